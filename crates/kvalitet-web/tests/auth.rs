//! Logging in and out over HTTP: cookies and their flags, CSRF on every form, lockout,
//! password change, and who may read which municipality's audit trail.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use kvalitet_domain::Role;
use kvalitet_testkit::{Answer, PASSWORD, Seed, TestApp};

const FRAMEWORK: &str = r#"
id = "dx"
name = "Delaktighet"
version = "1"
valid_from = "2020-01-01"
total = "percent_of_max"
measure_prefix = "DX1"

[[areas]]
id = "a"
title = "Information"
aggregation = "percent_of_max"

[[areas.questions]]
id = "a1"
text = "Finns information om hur man lämnar synpunkter?"
rule = "choice"
options = [["Nej", 0], ["Delvis", 1], ["Ja", 3]]

[[areas.questions]]
id = "a2"
text = "Svarar kommunen på synpunkter?"
rule = "choice"
options = [["Nej", 0], ["Delvis", 1], ["Ja", 3]]
"#;

/// Stockholm and Göteborg with the framework above; Anna (administrator), Bo (editor) and
/// Cia (reader) of Stockholm, Dan (administrator) of Göteborg, Eva (an external evaluator
/// without a role) and Sam (a system administrator). A small upload limit, so the test can
/// pass it; behind a "proxy", so tests choose the client's address with X-Forwarded-For.
async fn server() -> TestApp {
    Seed::default()
        .kommun("0180", "Stockholm")
        .kommun("1480", "Göteborg")
        .framework(FRAMEWORK)
        .person("anna@kommun.se", "Anna", &[("0180", Role::Admin)])
        .person("eva@skr.se", "Eva", &[])
        .system_admin("sam@skr.se", "Sam")
        .person("bo@kommun.se", "bo@kommun.se", &[("0180", Role::Editor)])
        .person("cia@kommun.se", "cia@kommun.se", &[("0180", Role::Reader)])
        .person("dan@kommun.se", "dan@kommun.se", &[("1480", Role::Admin)])
        .options(kvalitet_web::SiteOptions {
            max_upload_bytes: 4096,
            trust_forwarded_for: true,
            ..kvalitet_web::SiteOptions::default()
        })
        .start()
        .await
}

async fn request(
    app: &TestApp,
    method: &str,
    path: &str,
    cookies: &str,
    form: &[(&str, &str)],
) -> Answer {
    request_with(app, method, path, cookies, form, "").await
}

/// As [`request`], with more header lines ("Name: value\r\n" each).
async fn request_with(
    app: &TestApp,
    method: &str,
    path: &str,
    cookies: &str,
    form: &[(&str, &str)],
    headers: &str,
) -> Answer {
    let mut call = app.call(method, path).cookies(cookies);
    for line in headers.split("\r\n").filter(|l| !l.is_empty()) {
        let (k, v) = line.split_once(": ").unwrap();
        call = call.header(k, v);
    }
    if method == "POST" {
        call = call.form(form);
    }
    call.send().await
}

/// POSTs a multipart form with a CSRF field and a file.
async fn upload(app: &TestApp, path: &str, cookies: &str, csrf: &str, file: &str) -> Answer {
    upload_bytes(app, path, cookies, csrf, "v.csv", file.as_bytes()).await
}

/// POSTs a multipart form with a CSRF field and a binary file.
async fn upload_bytes(
    app: &TestApp,
    path: &str,
    cookies: &str,
    csrf: &str,
    name: &str,
    file: &[u8],
) -> Answer {
    let sent = app
        .post(path)
        .cookies(cookies)
        .upload(&[("csrf", csrf)], name, file)
        .send()
        .await;
    save_preview(app, path, cookies, csrf, sent).await
}

/// An upload of values answers with a preview; saving it is the person's second click.
/// Tests about what an upload saves take that click; any other answer is passed on.
async fn save_preview(
    app: &TestApp,
    path: &str,
    cookies: &str,
    csrf: &str,
    sent: Answer,
) -> Answer {
    if sent.status != 200 || !sent.body.contains(r#"name="preview""#) {
        return sent;
    }
    let token = sent.hidden("preview");
    request(
        app,
        "POST",
        &format!("{path}/spara"),
        cookies,
        &[("csrf", csrf), ("preview", &token)],
    )
    .await
}

/// POSTs a multipart form with text fields and a file.
async fn upload_fields(
    app: &TestApp,
    path: &str,
    cookies: &str,
    fields: &[(&str, &str)],
    filename: &str,
    file: &str,
) -> Answer {
    app.post(path)
        .cookies(cookies)
        .upload(fields, filename, file.as_bytes())
        .send()
        .await
}

/// Logs in; returns the session cookie pair ("kv_session=...").
async fn login(app: &TestApp, email: &str, password: &str) -> Answer {
    login_from(app, email, password, "127.0.0.1").await
}

/// Logs in from the client address `from`.
async fn login_from(app: &TestApp, email: &str, password: &str, from: &str) -> Answer {
    let form = request(app, "GET", "/logga-in", "", &[]).await;
    let csrf = form.hidden("csrf");
    let login_cookie = form.cookie("kv_login").unwrap();
    let pair = login_cookie.split(';').next().unwrap().to_owned();
    request_with(
        app,
        "POST",
        "/logga-in",
        &pair,
        &[
            ("csrf", &csrf),
            ("email", email),
            ("password", password),
            ("next", "/konto"),
        ],
        &format!("X-Forwarded-For: {from}\r\n"),
    )
    .await
}

fn session_pair(a: &Answer) -> String {
    a.cookie("kv_session")
        .unwrap_or_else(|| panic!("not logged in: {} {}", a.status, a.body))
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn login_sets_a_safe_cookie_and_logout_needs_the_csrf_token() {
    let app = server().await;
    let ok = login(&app, "ANNA@kommun.se", PASSWORD).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let cookie = ok.cookie("kv_session").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = session_pair(&ok);

    let page = request(&app, "GET", "/konto", &session, &[]).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Anna (anna@kommun.se)") && page.body.contains(">Administratör<"),
        "{}",
        page.body
    );
    assert!(
        page.head()
            .to_ascii_lowercase()
            .contains("cache-control: no-store")
    );
    let csrf = page.hidden("csrf");
    // Every staff page's header names the person and can log out; the public pages, cached
    // for everyone, lead staff to their account and name no one.
    let admin = request(&app, "GET", "/admin/kommun/0180", &session, &[]).await;
    assert!(
        admin.body.contains("Inloggad som Anna")
            && admin.body.contains(&format!(
                r#"<form class="logout" method="post" action="/logga-ut"><input type="hidden" name="csrf" value="{csrf}">"#
            )),
        "{}",
        admin.body
    );
    let public = request(&app, "GET", "/", &session, &[]).await;
    assert!(public.body.contains(">För personal</a>") && !public.body.contains("Anna"));

    let forged = request(&app, "POST", "/logga-ut", &session, &[("csrf", "0000")]).await;
    assert_eq!(forged.status, 403, "a logout without the token is refused");
    let still = request(&app, "GET", "/konto", &session, &[]).await;
    assert_eq!(still.status, 200);

    let out = request(&app, "POST", "/logga-ut", &session, &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    let gone = request(&app, "GET", "/konto", &session, &[]).await;
    assert_eq!(gone.status, 303, "the session is over");
    assert!(gone.head().contains("/logga-in"));
}

/// A form with a mistake comes back as it was typed, each problem in Swedish beside its field
/// and in a summary that links to it; nothing is saved (the probe: an English error page that
/// lost the input).
#[tokio::test]
async fn a_form_with_a_mistake_comes_back_with_what_was_typed() {
    let app = server().await;
    let anna = session_pair(&login(&app, "anna@kommun.se", PASSWORD).await);
    let csrf = request(&app, "GET", "/admin/kommun/0180", &anna, &[])
        .await
        .hidden("csrf");
    let sent = request(
        &app,
        "POST",
        "/admin/kommun/0180/matt",
        &anna,
        &[
            ("csrf", &csrf),
            ("id", "X0180-7"),
            ("title", "Nöjda <besökare>"),
            ("question", "Hur nöjda?"),
            ("unit", "procent"),
            ("direction", "lower"),
            ("decimals", "9"),
            ("definition", "Egen enkät."),
        ],
    )
    .await;
    assert_eq!(sent.status, 400, "{:?} {}", sent.location(), sent.body);
    let page = &sent.body;
    assert!(
        page.contains("Inget sparades. Rätta det här och skicka igen:"),
        "{page}"
    );
    assert!(
        page.contains(r##"<a href="#m-decimals">Decimaler: "##),
        "the summary links to the field: {page}"
    );
    assert!(
        page.contains(r#"<p class="field-error" id="m-decimals-error">"#)
            && page.contains(r#"id="m-decimals" name="decimals" value="9" aria-invalid="true" aria-describedby="m-decimals-error""#),
        "the problem beside its field: {page}"
    );
    assert!(
        page.contains(r#"value="Nöjda &lt;besökare&gt;""#)
            && page.contains(r#"<option value="lower" selected>"#)
            && page.contains("Egen enkät.</textarea>"),
        "what was typed is kept, escaped: {page}"
    );
    assert!(!page.contains("decimals:"), "no field codes: {page}");
    assert!(
        !request(&app, "GET", "/v3/kpi/X0180-7", "", &[])
            .await
            .body
            .contains("X0180-7"),
        "nothing was saved"
    );

    // A comment on a measure id that does not exist keeps its text.
    let comment = request(
        &app,
        "POST",
        "/admin/kommun/0180/kommentar",
        &anna,
        &[
            ("csrf", &csrf),
            ("measure", "N99"),
            ("year", "2022"),
            ("body", "Lång text som inte får försvinna."),
        ],
    )
    .await;
    assert_eq!(comment.status, 400, "{}", comment.body);
    assert!(
        comment.body.contains(r##"<a href="#c-measure">"##)
            && comment
                .body
                .contains("Lång text som inte får försvinna.</textarea>"),
        "{}",
        comment.body
    );

    // A file with bad rows: the page lists every row with its line, the forms still there.
    let bad = upload(
        &app,
        "/admin/kommun/0180/fil",
        &anna,
        &csrf,
        "kpi;year;value\nX0180-1;2022;1\nX0180-1;20x2;1\n",
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains("Inget sparades")
            && bad.body.contains("Rad 3")
            && bad.body.contains(r#"id="u-file""#),
        "{}",
        bad.body
    );
}

/// Failed logins are held back per account and address, the same for accounts that exist
/// and those that do not, and an attacker cannot lock the owner out (the probe: known
/// addresses got 423 on the fifth try and unknown ones never, and anyone could lock anyone
/// out for 15 minutes).
#[tokio::test]
async fn wrong_passwords_are_held_back_alike_and_the_owner_is_not_locked_out() {
    let app = server().await;
    let attacker = "203.0.113.9";
    for email in ["anna@kommun.se", "nobody@kommun.se"] {
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(login_from(&app, email, "fel lösenord igen", attacker).await);
        }
        assert_eq!(
            statuses.iter().map(|a| a.status).collect::<Vec<_>>(),
            [401, 401, 401, 401, 401, 429],
            "{email}"
        );
        assert!(
            statuses[0]
                .body
                .contains("Fel e-postadress eller lösenord.")
        );
        let held = &statuses[5];
        assert!(
            held.body.contains("För många misslyckade försök."),
            "{}",
            held.body
        );
        assert!(
            held.head().to_ascii_lowercase().contains("retry-after: "),
            "{}",
            held.head()
        );
        assert!(!held.body.contains("låst"), "no word of a lock");
    }
    // The right password from the attacker's address is held back as well...
    let right = login_from(&app, "anna@kommun.se", PASSWORD, attacker).await;
    assert_eq!(right.status, 429);
    // ...but the owner, at her own address, logs in.
    let owner = login_from(&app, "anna@kommun.se", PASSWORD, "198.51.100.20").await;
    assert_eq!(owner.status, 303, "{}", owner.body);

    // A login form posted without its own token (from another site) is refused.
    let forged = request(
        &app,
        "POST",
        "/logga-in",
        "",
        &[("email", "anna@kommun.se"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(forged.status, 403);
}

/// The probe's race: 100 wrong passwords in parallel had 123 checked before the first
/// refusal, and the right one sent last logged in. Each attempt is counted before its check.
#[tokio::test]
async fn parallel_guesses_cannot_pass_the_count() {
    let app = server().await;
    let form = request(&app, "GET", "/logga-in", "", &[]).await;
    let csrf = form.hidden("csrf");
    let pair = form
        .cookie("kv_login")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let guesses: Vec<_> = (0..60)
        .map(|i| {
            let (app, csrf, pair) = (app.clone(), csrf.clone(), pair.clone());
            tokio::spawn(async move {
                let password = if i == 59 {
                    PASSWORD.to_owned()
                } else {
                    format!("gissning nummer {i}")
                };
                request_with(
                    &app,
                    "POST",
                    "/logga-in",
                    &pair,
                    &[
                        ("csrf", &csrf),
                        ("email", "anna@kommun.se"),
                        ("password", &password),
                    ],
                    "X-Forwarded-For: 203.0.113.50\r\n",
                )
                .await
                .status
            })
        })
        .collect();
    let mut checked = 0;
    for g in guesses {
        match g.await.unwrap() {
            401 | 303 => checked += 1,
            429 => {}
            other => panic!("{other}"),
        }
    }
    assert!(checked <= 5, "{checked} guesses were checked");
    let after = login_from(&app, "anna@kommun.se", PASSWORD, "203.0.113.50").await;
    assert_eq!(after.status, 429, "still held back");
}

/// `/konto/losenord` checks the current password under the same limits as a login, so a
/// borrowed session cannot be used to guess it.
#[tokio::test]
async fn the_current_password_cannot_be_guessed_on_the_account_page() {
    let app = server().await;
    let session = session_pair(&login(&app, "bo@kommun.se", PASSWORD).await);
    let csrf = request(&app, "GET", "/konto", &session, &[])
        .await
        .hidden("csrf");
    let mut statuses = Vec::new();
    for i in 0..6 {
        let guess = format!("gissning nummer {i}");
        statuses.push(
            request(
                &app,
                "POST",
                "/konto/losenord",
                &session,
                &[
                    ("csrf", &csrf),
                    ("current", &guess),
                    ("new", "ett nytt långt lösenord"),
                ],
            )
            .await
            .status,
        );
    }
    assert_eq!(statuses, [400, 400, 400, 400, 400, 429]);
}

/// axum's own refusals used to reach people as plain English text ("Error parsing
/// multipart/form-data request", "Invalid URL: Cannot parse ..."); they are the site's pages.
#[tokio::test]
async fn refusals_are_pages_in_the_persons_language() {
    let app = server().await;
    let bo = session_pair(&login(&app, "bo@kommun.se", PASSWORD).await);
    let csrf = request(&app, "GET", "/admin/kommun/0180", &bo, &[])
        .await
        .hidden("csrf");
    let big = format!(
        "kpi,municipality_id,year,value\n{}",
        "X0180-1,0180,2022,1\n".repeat(5000)
    );
    let refused = upload(&app, "/admin/kommun/0180/fil", &bo, &csrf, &big).await;
    assert_eq!(refused.status, 413, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Filen är för stor. Här tas filer på högst 0,0 MB emot."),
        "{}",
        refused.body
    );
    assert!(refused.head().contains("text/html"), "{}", refused.head());
    for (path, text) in [
        ("/admin/bedomning/abc", "Adressen är inte rätt skriven"),
        (
            "/en/admin/bedomning/abc",
            "The address is not written right",
        ),
        ("/admin/service/1x", "Adressen är inte rätt skriven"),
    ] {
        let page = request(&app, "GET", path, &bo, &[]).await;
        assert_eq!(page.status, 400, "{path}");
        assert!(
            page.body.contains(text) && page.head().contains("text/html"),
            "{path}: {}",
            page.body
        );
    }
    // The probe's workbook: a cell at column AAAAAAAA made the server allocate 200 GB and
    // die. It is refused, and the server goes on answering.
    let wide = upload_bytes(
        &app,
        "/admin/kommun/0180/fil",
        &bo,
        &csrf,
        "v.xlsx",
        include_bytes!("fixtures/wide-cell.xlsx"),
    )
    .await;
    assert_eq!(wide.status, 400, "{}", wide.body);
    assert!(
        wide.body.contains("cell AAAAAAAA2 lies beyond column XFD"),
        "{}",
        wide.body
    );
    assert_eq!(request(&app, "GET", "/healthz", "", &[]).await.status, 200);
    let wrong_method = request(&app, "GET", "/admin/kommun/0180/varde", &bo, &[]).await;
    assert_eq!(wrong_method.status, 405);
    assert!(
        wrong_method.body.contains("Det går inte att göra så här"),
        "{}",
        wrong_method.body
    );
}

#[tokio::test]
async fn the_audit_trail_is_for_the_municipalitys_own_people_only() {
    let app = server().await;
    let session = session_pair(&login(&app, "anna@kommun.se", PASSWORD).await);
    let own = request(&app, "GET", "/kommun/0180/logg", &session, &[]).await;
    assert_eq!(own.status, 200);
    assert!(
        own.body.contains("cli:test ändrade en roll") && own.body.contains("(user:anna@kommun.se)"),
        "changes are said as sentences: {}",
        own.body
    );
    let filtered = request(
        &app,
        "GET",
        "/kommun/0180/logg?action=role.set&person=cli%3Atest&fran=2000-01-01",
        &session,
        &[],
    )
    .await;
    assert!(
        filtered
            .body
            .contains(r#"<option value="role.set" selected>"#)
            && filtered.body.contains("<option selected>cli:test</option>")
            && filtered.body.contains("cli:test ändrade en roll"),
        "{}",
        filtered.body
    );
    let none = request(
        &app,
        "GET",
        "/kommun/0180/logg?fran=2999-01-01",
        &session,
        &[],
    )
    .await;
    assert!(none.body.contains("0 ändringar visas."), "{}", none.body);
    let csv = request(&app, "GET", "/kommun/0180/logg?format=csv", &session, &[]).await;
    assert!(
        csv.body
            .contains("id,at,actor,municipality,action,object,before,after")
            && csv.body.contains("cli:test")
    );
    let other = request(&app, "GET", "/kommun/1480/logg", &session, &[]).await;
    assert_eq!(other.status, 403, "no role in Göteborg");
    let anonymous = request(&app, "GET", "/kommun/0180/logg", "", &[]).await;
    assert_eq!(anonymous.status, 303);
    let forged_cookie = request(
        &app,
        "GET",
        "/kommun/0180/logg",
        &format!("kv_session={}", "a".repeat(64)),
        &[],
    )
    .await;
    assert_eq!(forged_cookie.status, 303, "an unknown token is no session");
}

#[tokio::test]
async fn changing_the_password_ends_the_session() {
    let app = server().await;
    let session = session_pair(&login(&app, "anna@kommun.se", PASSWORD).await);
    let csrf = request(&app, "GET", "/konto", &session, &[])
        .await
        .hidden("csrf");
    let short = request(
        &app,
        "POST",
        "/konto/losenord",
        &session,
        &[("csrf", &csrf), ("current", PASSWORD), ("new", "kort")],
    )
    .await;
    assert_eq!(short.status, 400);
    // Sent back on the account page, beside the field, and the passwords never typed back.
    assert!(
        short.body.contains("pw-new-error") && short.body.contains("Mitt konto"),
        "{}",
        short.body
    );
    assert!(!short.body.contains(PASSWORD), "{}", short.body);
    let wrong = request(
        &app,
        "POST",
        "/konto/losenord",
        &session,
        &[
            ("csrf", &csrf),
            ("current", "gissning gissning"),
            ("new", "ett nytt långt lösenord"),
        ],
    )
    .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("pw-current-error"), "{}", wrong.body);
    let changed = request(
        &app,
        "POST",
        "/konto/losenord",
        &session,
        &[
            ("csrf", &csrf),
            ("current", PASSWORD),
            ("new", "ett nytt långt lösenord"),
        ],
    )
    .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(
        request(&app, "GET", "/konto", &session, &[]).await.status,
        303
    );
    assert_eq!(
        login(&app, "anna@kommun.se", "ett nytt långt lösenord")
            .await
            .status,
        303
    );
    assert_eq!(login(&app, "anna@kommun.se", PASSWORD).await.status, 401);
}

#[tokio::test]
async fn own_values_are_drafts_until_an_administrator_publishes_them() {
    let app = server().await;
    let anna = session_pair(&login(&app, "anna@kommun.se", PASSWORD).await);
    let bo = session_pair(&login(&app, "bo@kommun.se", PASSWORD).await);
    let cia = session_pair(&login(&app, "cia@kommun.se", PASSWORD).await);
    let dan = session_pair(&login(&app, "dan@kommun.se", PASSWORD).await);
    let csrf = |a: Answer| a.hidden("csrf");
    let anna_csrf = csrf(request(&app, "GET", "/admin/kommun/0180", &anna, &[]).await);
    let bo_csrf = csrf(request(&app, "GET", "/admin/kommun/0180", &bo, &[]).await);
    let cia_page = request(&app, "GET", "/admin/kommun/0180", &cia, &[]).await;
    assert_eq!(cia_page.status, 200, "a reader sees drafts");
    assert!(
        !cia_page.body.contains("/varde"),
        "but gets no forms to change them"
    );
    let cia_csrf = request(&app, "GET", "/konto", &cia, &[])
        .await
        .hidden("csrf");
    assert_eq!(
        request(&app, "GET", "/admin/kommun/0180", &dan, &[])
            .await
            .status,
        403,
        "another municipality's admin"
    );
    assert_eq!(
        request(&app, "GET", "/admin/kommun/0180", "", &[])
            .await
            .status,
        303,
        "anonymous goes to login"
    );

    let define = [
        ("csrf", anna_csrf.as_str()),
        ("id", "X0180-1"),
        ("title", "Nöjda besökare, andel (%)"),
        ("question", "Hur nöjda är besökarna på biblioteket?"),
        ("unit", "procent"),
        ("direction", "higher"),
        ("decimals", "1"),
        ("definition", "Egen enkät."),
    ];
    assert_eq!(
        request(
            &app,
            "POST",
            "/admin/kommun/0180/matt",
            &cia,
            &[
                ("csrf", &cia_csrf),
                ("id", "X0180-2"),
                ("title", "t"),
                ("question", "q"),
                ("direction", "none"),
                ("decimals", "0")
            ]
        )
        .await
        .status,
        403,
        "a reader may not define measures"
    );
    assert_eq!(
        request(&app, "POST", "/admin/kommun/0180/matt", &anna, &define[1..])
            .await
            .status,
        403,
        "no CSRF token"
    );
    let defined = request(&app, "POST", "/admin/kommun/0180/matt", &anna, &define).await;
    assert_eq!(defined.status, 303, "{}", defined.body);
    // The value form's picker can be searched by name or id, and says how much it shows.
    let found = request(&app, "GET", "/admin/kommun/0180?sok=besokare", &anna, &[]).await;
    assert!(
        found
            .body
            .contains(r#"<datalist id="measure-list"><option value="X0180-1">"#)
            && found.body.contains("Visar 1 av 1 träffar bland 1 mått"),
        "{}",
        found.body
    );
    let none = request(&app, "GET", "/admin/kommun/0180?sok=simhall", &anna, &[]).await;
    assert!(
        !none
            .body
            .contains(r#"<datalist id="measure-list"><option value="X0180-1">"#)
            && none.body.contains("Visar 0 av 0 träffar"),
        "{}",
        none.body
    );
    assert_eq!(
        request(
            &app,
            "POST",
            "/admin/kommun/0180/matt",
            &anna,
            &[
                ("csrf", &anna_csrf),
                ("id", "X1480-1"),
                ("title", "t"),
                ("question", "q"),
                ("direction", "none"),
                ("decimals", "0")
            ]
        )
        .await
        .status,
        400,
        "another municipality's namespace is refused"
    );
    // A national id typed by an editor lands in the municipality's own namespace.
    let claimed = request(
        &app,
        "POST",
        "/admin/kommun/0180/matt",
        &anna,
        &[
            ("csrf", &anna_csrf),
            ("id", "KK2020"),
            ("title", "t"),
            ("question", "q"),
            ("direction", "none"),
            ("decimals", "0"),
        ],
    )
    .await;
    assert_eq!(claimed.status, 303, "{}", claimed.body);
    assert!(
        request(&app, "GET", "/v3/kpi/X0180-KK2020", "", &[])
            .await
            .body
            .contains(r#""owner":"0180""#)
    );
    assert!(
        request(&app, "GET", "/v3/kpi/KK2020", "", &[])
            .await
            .body
            .contains(r#""count":0"#),
        "the national id is still free"
    );

    // Bad rows: nothing is written, every row named.
    let bad = upload(&app, "/admin/kommun/0180/fil", &bo, &bo_csrf, "kpi,municipality_id,year,value\nX0180-1,0180,2022,87.5\nX0180-1,1480,2022,1\nX0180-1,0180,2021,=SUM(A1)\n").await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains("Rad 3, kolumn municipality_id")
            && bad.body.contains("Rad 4, kolumn value: en formel"),
        "{}",
        bad.body
    );
    assert!(
        !request(&app, "GET", "/admin/kommun/0180", &anna, &[])
            .await
            .body
            .contains("<th scope=\"row\">X0180-1</th>"),
        "nothing saved"
    );
    assert_eq!(
        upload(
            &app,
            "/admin/kommun/0180/fil",
            &cia,
            &cia_csrf,
            "kpi,municipality_id,year,value\nX0180-1,0180,2022,1\n"
        )
        .await
        .status,
        403,
        "a reader may not upload"
    );

    let good = upload(
        &app,
        "/admin/kommun/0180/fil",
        &bo,
        &bo_csrf,
        "kpi,municipality_id,year,value\nX0180-1,0180,2022,87.5\nX0180-1,0180,2021,84\n",
    )
    .await;
    assert_eq!(good.status, 303, "{}", good.body);
    let listed = request(&app, "GET", "/admin/kommun/0180", &bo, &[]).await;
    assert!(
        listed.body.contains(r#"<td class="num">87,5</td>"#)
            && listed.body.contains(r#"<td class="num">84,0</td>"#),
        "drafts with the measure's one decimal: {}",
        listed.body
    );
    // The same values from LibreOffice.
    let ods = upload_bytes(
        &app,
        "/admin/kommun/0180/fil",
        &bo,
        &bo_csrf,
        "v.ods",
        include_bytes!("../../kvalitet-app/tests/fixtures/upload.ods"),
    )
    .await;
    assert_eq!(ods.status, 303, "{}", ods.body);
    let typed = request(
        &app,
        "POST",
        "/admin/kommun/0180/varde",
        &bo,
        &[
            ("csrf", &bo_csrf),
            ("measure", "X0180-1"),
            ("year", "2020"),
            ("gender", "T"),
            ("value", "80,5"),
        ],
    )
    .await;
    assert_eq!(typed.status, 303, "{}", typed.body);
    let drafts = request(&app, "GET", "/admin/kommun/0180", &anna, &[]).await;
    assert!(drafts.body.contains("bo@kommun.se"), "{}", drafts.body);
    let todo = request(&app, "GET", "/att-gora", &anna, &[]).await;
    assert!(
        todo.body
            .contains("utkast väntar på publicering i Stockholm"),
        "the administrator's start page counts the drafts: {}",
        todo.body
    );

    // Not public yet.
    let v3 = request(&app, "GET", "/v3/data/kpi/X0180-1/year/2022", "", &[]).await;
    assert!(v3.body.contains("\"count\":0"), "{}", v3.body);
    assert_eq!(
        request(
            &app,
            "POST",
            "/admin/kommun/0180/publicera",
            &bo,
            &[("csrf", &bo_csrf)]
        )
        .await
        .status,
        403,
        "an editor may not publish"
    );
    let shown = request(&app, "GET", "/admin/kommun/0180", &anna, &[])
        .await
        .hidden("drafts");
    // The button asks first: a page that says what becomes public, and what it replaces.
    let asked = request(
        &app,
        "POST",
        "/admin/kommun/0180/publicera",
        &anna,
        &[("csrf", &anna_csrf), ("drafts", &shown)],
    )
    .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    assert_eq!(asked.location(), Some("/admin/kommun/0180/publicera"));
    let confirm = request(&app, "GET", "/admin/kommun/0180/publicera", &anna, &[]).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    for said in [
        "Publicera utkasten för Stockholm?",
        "3 värden för 1 mått",
        "name=\"confirmed\" value=\"1\"",
    ] {
        assert!(confirm.body.contains(said), "{said}: {}", confirm.body);
    }
    assert_eq!(confirm.hidden("drafts"), shown);
    let published = request(
        &app,
        "POST",
        "/admin/kommun/0180/publicera",
        &anna,
        &[("csrf", &anna_csrf), ("drafts", &shown), ("confirmed", "1")],
    )
    .await;
    assert_eq!(published.status, 303, "{}", published.body);
    assert!(
        published.head().contains("publicerat-3"),
        "{}",
        published.head()
    );
    let told = request(
        &app,
        "GET",
        published.location().unwrap_or_default(),
        &anna,
        &[],
    )
    .await;
    assert!(
        told.body
            .contains("3 värden är publicerade och syns nu för invånarna."),
        "the notice is a sentence, not a code: {}",
        told.body
    );
    // The same page sent again (a double click, a second tab) publishes nothing more.
    let again = request(
        &app,
        "POST",
        "/admin/kommun/0180/publicera",
        &anna,
        &[("csrf", &anna_csrf), ("drafts", &shown), ("confirmed", "1")],
    )
    .await;
    assert!(matches!(again.status, 400 | 409), "{}", again.status);
    // Drafts shown before an upload changed them are not published.
    assert_eq!(
        upload(
            &app,
            "/admin/kommun/0180/fil",
            &bo,
            &bo_csrf,
            "kpi,municipality_id,year,value\nX0180-1,0180,2019,70\n"
        )
        .await
        .status,
        303
    );
    let stale = request(&app, "GET", "/admin/kommun/0180", &anna, &[])
        .await
        .hidden("drafts");
    assert_eq!(
        upload(
            &app,
            "/admin/kommun/0180/fil",
            &bo,
            &bo_csrf,
            "kpi,municipality_id,year,value\nX0180-1,0180,2019,71\n"
        )
        .await
        .status,
        303
    );
    let refused = request(
        &app,
        "POST",
        "/admin/kommun/0180/publicera",
        &anna,
        &[("csrf", &anna_csrf), ("drafts", &stale), ("confirmed", "1")],
    )
    .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains("ändrats sedan sidan visades"),
        "{}",
        refused.body
    );

    // A draft that would replace a published value shows both; the confirmation counts
    // it; an editor can take a single draft back, and the audit trail keeps it.
    let retyped = request(
        &app,
        "POST",
        "/admin/kommun/0180/varde",
        &bo,
        &[
            ("csrf", &bo_csrf),
            ("measure", "X0180-1"),
            ("year", "2022"),
            ("gender", "T"),
            ("value", "90"),
        ],
    )
    .await;
    assert_eq!(retyped.status, 303, "{}", retyped.body);
    let listed = request(&app, "GET", "/admin/kommun/0180", &bo, &[]).await;
    assert!(
        listed
            .body
            .contains(r#"<td class="num">90,0</td><td class="num">87,5</td>"#),
        "the draft beside the value residents see now: {}",
        listed.body
    );
    let confirm = request(&app, "GET", "/admin/kommun/0180/publicera", &anna, &[]).await;
    assert!(
        confirm
            .body
            .contains("1 av värdena ersätter ett publicerat värde"),
        "{}",
        confirm.body
    );
    let removed = request(
        &app,
        "POST",
        "/admin/kommun/0180/utkast/ta-bort",
        &bo,
        &[
            ("csrf", &bo_csrf),
            ("measure", "X0180-1"),
            ("year", "2022"),
            ("gender", "T"),
        ],
    )
    .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    let listed = request(&app, "GET", "/admin/kommun/0180", &bo, &[]).await;
    assert!(
        !listed.body.contains(r#"<td class="num">90,0</td>"#),
        "{}",
        listed.body
    );
    let again = request(
        &app,
        "POST",
        "/admin/kommun/0180/utkast/ta-bort",
        &bo,
        &[
            ("csrf", &bo_csrf),
            ("measure", "X0180-1"),
            ("year", "2022"),
            ("gender", "T"),
        ],
    )
    .await;
    assert_eq!(again.status, 404, "gone already: {}", again.body);

    // The upload's template lists the own measures for last year; filled in, it uploads.
    let template = request(&app, "GET", "/admin/kommun/0180/mall/varden.csv", &bo, &[]).await;
    assert_eq!(template.status, 200, "{}", template.body);
    assert!(
        template.body.contains("Mått;År;Värde;Kön") && template.body.contains("X0180-1;"),
        "{}",
        template.body
    );
    let filled = template.body.replacen(";;T", ";77,5;T", 1);
    let uploaded = upload(&app, "/admin/kommun/0180/fil", &bo, &bo_csrf, &filled).await;
    assert_eq!(
        uploaded.status, 303,
        "the filled-in template uploads: {}",
        uploaded.body
    );
    let xlsx = request(&app, "GET", "/admin/kommun/0180/mall/varden.xlsx", &bo, &[]).await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.head().contains("spreadsheetml"), "{}", xlsx.head());

    // A retired own measure keeps its values but takes no new ones until taken up again.
    let retire = |flag: &'static str| {
        let (app, bo, bo_csrf) = (app.clone(), bo.clone(), bo_csrf.clone());
        async move {
            request(
                &app,
                "POST",
                "/admin/kommun/0180/matt/avsluta",
                &bo,
                &[
                    ("csrf", &bo_csrf),
                    ("measure", "X0180-1"),
                    ("retired", flag),
                ],
            )
            .await
        }
    };
    assert_eq!(retire("1").await.status, 303);
    let value = |year: &'static str| {
        let (app, bo, bo_csrf) = (app.clone(), bo.clone(), bo_csrf.clone());
        async move {
            request(
                &app,
                "POST",
                "/admin/kommun/0180/varde",
                &bo,
                &[
                    ("csrf", &bo_csrf),
                    ("measure", "X0180-1"),
                    ("year", year),
                    ("gender", "T"),
                    ("value", "50"),
                ],
            )
            .await
        }
    };
    let refused = value("2018").await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("är avslutat"), "{}", refused.body);
    let page = request(&app, "GET", "/kommun/0180/matt/X0180-1", "", &[]).await;
    assert!(
        page.body.contains("87,5"),
        "its values stay public: {}",
        page.body
    );
    assert_eq!(retire("0").await.status, 303);
    assert_eq!(value("2018").await.status, 303);
    let trail = request(&app, "GET", "/kommun/0180/logg", &anna, &[]).await;
    assert!(
        trail.body.contains("values.draft_remove") || trail.body.contains("tog bort ett utkast"),
        "{}",
        trail.body
    );

    // A change made through this server shows at once, without waiting for VERSION_TTL.
    let v3 = request(&app, "GET", "/v3/data/kpi/X0180-1/year/2022", "", &[]).await;
    assert!(v3.body.contains("87.5"), "{}", v3.body);
    let commented = request(
        &app,
        "POST",
        "/admin/kommun/0180/kommentar",
        &bo,
        &[
            ("csrf", &bo_csrf),
            ("measure", "X0180-1"),
            ("year", "2022"),
            ("body", "Nya öppettider <b>gav</b> fler nöjda."),
        ],
    )
    .await;
    assert_eq!(commented.status, 303);
    let page = request(&app, "GET", "/kommun/0180/matt/X0180-1", "", &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Hur nöjda är besökarna på biblioteket?") && page.body.contains("87,5"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Nya öppettider &lt;b&gt;gav&lt;/b&gt; fler nöjda."),
        "the comment, escaped"
    );
    assert!(page.body.contains("Stockholm, egen mätning"), "own source");
    // No staff address on a public page (the probe found them on /status).
    for public in [
        "/status",
        "/kommun/0180/matt/X0180-1",
        "/kommun/0180/matt/X0180-1?ar=2021",
    ] {
        let body = request(&app, "GET", public, "", &[]).await.body;
        assert!(!body.contains("@kommun.se"), "{public}: {body}");
    }

    let trail = request(&app, "GET", "/kommun/0180/logg?format=csv", &cia, &[]).await;
    for action in [
        "measure.define",
        "values.draft",
        "values.publish",
        "comment.set",
    ] {
        assert!(trail.body.contains(action), "{action} in {}", trail.body);
    }
}

#[tokio::test]
async fn an_invitation_link_makes_an_account_with_its_role_once() {
    let app = server().await;
    let anna = session_pair(&login(&app, "anna@kommun.se", PASSWORD).await);
    let bo = session_pair(&login(&app, "bo@kommun.se", PASSWORD).await);
    let anna_csrf = request(&app, "GET", "/admin/kommun/0180", &anna, &[])
        .await
        .hidden("csrf");
    let bo_csrf = request(&app, "GET", "/admin/kommun/0180", &bo, &[])
        .await
        .hidden("csrf");
    let refused = request(
        &app,
        "POST",
        "/admin/kommun/0180/inbjudan",
        &bo,
        &[
            ("csrf", &bo_csrf),
            ("email", "eva@kommun.se"),
            ("role", "editor"),
        ],
    )
    .await;
    assert_eq!(refused.status, 403, "an editor may not invite");
    let made = request(
        &app,
        "POST",
        "/admin/kommun/0180/inbjudan",
        &anna,
        &[
            ("csrf", &anna_csrf),
            ("email", "Eva@Kommun.se"),
            ("role", "editor"),
        ],
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.body);
    assert!(
        made.body.contains(r#"class="invitation-link""#)
            && made.body.contains("Inbjudan till eva@kommun.se är skapad"),
        "the link is shown on the administration page, to be clicked or copied: {}",
        made.body
    );
    let at = made.body.find("/inbjudan/").unwrap() + "/inbjudan/".len();
    let token: String = made.body[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64);

    let form = request(&app, "GET", &format!("/inbjudan/{token}"), "", &[]).await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains("eva@kommun.se") && form.body.contains("inbjuden som redaktör"),
        "{}",
        form.body
    );
    let csrf = form.hidden("csrf");
    let pair = form
        .cookie("kv_login")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let short = request(
        &app,
        "POST",
        &format!("/inbjudan/{token}"),
        &pair,
        &[("csrf", &csrf), ("name", "Eva"), ("password", "kort")],
    )
    .await;
    assert_eq!(short.status, 400);
    let form = request(&app, "GET", &format!("/inbjudan/{token}"), "", &[]).await;
    let (csrf, pair) = (
        form.hidden("csrf"),
        form.cookie("kv_login")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned(),
    );
    let done = request(
        &app,
        "POST",
        &format!("/inbjudan/{token}"),
        &pair,
        &[
            ("csrf", &csrf),
            ("name", "Eva"),
            ("password", "evas långa lösenord"),
        ],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let eva = session_pair(&login(&app, "eva@kommun.se", "evas långa lösenord").await);
    assert!(
        request(&app, "GET", "/konto", &eva, &[])
            .await
            .body
            .contains(">Redaktör<")
    );
    assert_eq!(
        request(&app, "GET", &format!("/inbjudan/{token}"), "", &[])
            .await
            .status,
        404,
        "used once"
    );
    assert_eq!(
        request(
            &app,
            "GET",
            &format!("/inbjudan/{}", "0".repeat(64)),
            "",
            &[]
        )
        .await
        .status,
        404
    );
    let trail = request(&app, "GET", "/kommun/0180/logg?format=csv", &anna, &[]).await;
    assert!(
        trail.body.contains("invitation.create") && trail.body.contains("invitation.accept"),
        "{}",
        trail.body
    );

    // The probe: an administrator invited another's address as reader, opened the link
    // herself and so made the other account a reader. An existing account's invitation is
    // accepted by that account, logged in, and no one else.
    let invite = |email: &'static str| {
        let (app, anna, anna_csrf) = (app.clone(), anna.clone(), anna_csrf.clone());
        async move {
            let made = request(
                &app,
                "POST",
                "/admin/kommun/0180/inbjudan",
                &anna,
                &[("csrf", &anna_csrf), ("email", email), ("role", "reader")],
            )
            .await;
            let at = made.body.find("/inbjudan/").unwrap() + "/inbjudan/".len();
            made.body[at..]
                .chars()
                .take_while(char::is_ascii_hexdigit)
                .collect::<String>()
        }
    };
    let token = invite("bo@kommun.se").await;
    let link = format!("/inbjudan/{token}");
    let anonymous = request(&app, "GET", &link, "", &[]).await;
    assert!(
        anonymous.body.contains("Logga in som bo@kommun.se"),
        "{}",
        anonymous.body
    );
    assert!(
        !anonymous.body.contains("name=\"password\""),
        "no form that makes an account"
    );
    // A forged new-account form for the existing address changes nothing.
    let form = request(&app, "GET", "/logga-in", "", &[]).await;
    let pair = form
        .cookie("kv_login")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let forged = request(
        &app,
        "POST",
        &link,
        &pair,
        &[
            ("csrf", &form.hidden("csrf")),
            ("name", "Bo"),
            ("password", "ett helt annat lösenord"),
        ],
    )
    .await;
    assert_eq!(forged.status, 400, "{}", forged.body);
    // Anna, logged in as herself, is told to log in as Bo; her own click changes nothing.
    let as_anna = request(&app, "GET", &link, &anna, &[]).await;
    assert!(
        as_anna.body.contains("Du är inloggad som anna@kommun.se"),
        "{}",
        as_anna.body
    );
    let anna_click = request(
        &app,
        "POST",
        &link,
        &anna,
        &[("csrf", &anna_csrf), ("as_account", "1")],
    )
    .await;
    assert_eq!(anna_click.status, 400, "{}", anna_click.body);
    let bo_account = request(&app, "GET", "/konto", &bo, &[]).await;
    assert!(
        bo_account.body.contains(">Redaktör<"),
        "Bo is still an editor"
    );
    assert_eq!(
        login(&app, "bo@kommun.se", PASSWORD).await.status,
        303,
        "and keeps his password"
    );
    // Bo himself accepts, logged in.
    let as_bo = request(&app, "GET", &link, &bo, &[]).await;
    assert!(
        as_bo.body.contains("är nu redaktör och blir läsare"),
        "{}",
        as_bo.body
    );
    let accepted = request(
        &app,
        "POST",
        &link,
        &bo,
        &[("csrf", &bo_csrf), ("as_account", "1")],
    )
    .await;
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    assert!(
        request(&app, "GET", "/konto", &bo, &[])
            .await
            .body
            .contains(">Läsare<")
    );
}

/// A round over HTTP: the administrator creates it and names the assessors, each assessor
/// answers on their own (with a document), the lead settles the disagreement with a reason,
/// the round is submitted, reviewed and published, and only then do residents see the
/// report. Outsiders meet 404 or 403 at every step.
/// A round made by mistake can be renamed, and removed while it is a draft, with a tick to
/// say so; the audit trail keeps both.
#[tokio::test]
async fn a_draft_round_can_be_renamed_and_removed() {
    let app = server().await;
    let anna = session_pair(&login(&app, "anna@kommun.se", PASSWORD).await);
    let csrf = request(&app, "GET", "/admin/kommun/0180/bedomningar", &anna, &[])
        .await
        .hidden("csrf");
    let created = request(
        &app,
        "POST",
        "/admin/kommun/0180/bedomningar",
        &anna,
        &[
            ("csrf", &csrf),
            ("framework", "dx|1"),
            ("kind", "external"),
            ("title", "Fel ramverk"),
            ("year", "2025"),
        ],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        let (app, anna) = (app.clone(), anna.clone());
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            request(&app, "POST", path, &anna, &fields).await
        }
    };
    let empty = post(
        "/admin/bedomning/1/namn",
        vec![("csrf", csrf.clone()), ("title", "   ".into())],
    )
    .await;
    assert_eq!(empty.status, 400, "{}", empty.body);
    assert!(
        empty.body.contains(r#"id="namn-title-error""#),
        "{}",
        empty.body
    );
    let renamed = post(
        "/admin/bedomning/1/namn",
        vec![("csrf", csrf.clone()), ("title", "Delaktighet 2025".into())],
    )
    .await;
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    let page = request(&app, "GET", "/admin/bedomning/1?klart=namn", &anna, &[]).await;
    assert!(
        page.body.contains("<h1>Delaktighet 2025</h1>") && page.body.contains("Namnet är ändrat."),
        "{}",
        page.body
    );
    let unticked = post("/admin/bedomning/1/ta-bort", vec![("csrf", csrf.clone())]).await;
    assert_eq!(unticked.status, 400, "{}", unticked.body);
    assert!(
        unticked.body.contains("kryssa i rutan"),
        "{}",
        unticked.body
    );
    let removed = post(
        "/admin/bedomning/1/ta-bort",
        vec![("csrf", csrf.clone()), ("confirmed", "1".into())],
    )
    .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(
        removed.location(),
        Some("/admin/kommun/0180/bedomningar?klart=borttaget")
    );
    assert_eq!(
        request(&app, "GET", "/admin/bedomning/1", &anna, &[])
            .await
            .status,
        404
    );
    let trail = request(&app, "GET", "/kommun/0180/logg", &anna, &[]).await;
    assert!(
        trail.body.contains("round.delete") || trail.body.contains("tog bort"),
        "{}",
        trail.body
    );
}

#[tokio::test]
async fn an_assessment_round_over_http_from_creation_to_a_public_report() {
    let app = server().await;
    let anna = session_pair(&login(&app, "anna@kommun.se", PASSWORD).await);
    let dan = session_pair(&login(&app, "dan@kommun.se", PASSWORD).await);
    let list = request(&app, "GET", "/admin/kommun/0180/bedomningar", &anna, &[]).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body
            .contains(r#"<option value="dx|1">Delaktighet, version 1 (från 2020-01-01)</option>"#),
        "the framework is offered by its name and version: {}",
        list.body
    );
    let csrf = list.hidden("csrf");
    let new = [
        ("framework", "dx|1"),
        ("kind", "external"),
        ("title", "Delaktighet 2025"),
        ("year", "2025"),
    ];
    let forged = request(&app, "POST", "/admin/kommun/0180/bedomningar", &anna, &new).await;
    assert_eq!(forged.status, 403, "no CSRF token");
    let dan_csrf = request(&app, "GET", "/konto", &dan, &[])
        .await
        .hidden("csrf");
    let mut as_dan = new.to_vec();
    as_dan.push(("csrf", &dan_csrf));
    let other = request(
        &app,
        "POST",
        "/admin/kommun/0180/bedomningar",
        &dan,
        &as_dan,
    )
    .await;
    assert_eq!(other.status, 403, "another municipality's administrator");
    let mut typo = new.to_vec();
    typo[3] = ("year", "tjugo");
    typo.push(("csrf", &csrf));
    let refused = request(&app, "POST", "/admin/kommun/0180/bedomningar", &anna, &typo).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("n-year-error")
            && refused.body.contains(r#"value="tjugo""#)
            && refused.body.contains(r#"<option value="dx|1" selected>"#),
        "the form comes back as typed: {}",
        refused.body
    );
    let mut with = new.to_vec();
    with.push(("csrf", &csrf));
    let created = request(&app, "POST", "/admin/kommun/0180/bedomningar", &anna, &with).await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert!(
        created.head().contains("/admin/bedomning/1"),
        "{}",
        created.head()
    );
    assert_eq!(
        request(&app, "GET", "/admin/bedomning/1", &dan, &[])
            .await
            .status,
        404
    );

    for (email, role) in [("eva@skr.se", "lead"), ("bo@kommun.se", "evaluator")] {
        let a = request(
            &app,
            "POST",
            "/admin/bedomning/1/bedomare",
            &anna,
            &[("csrf", &csrf), ("email", email), ("role", role)],
        )
        .await;
        assert_eq!(a.status, 303, "{}", a.body);
    }
    let eva = session_pair(&login(&app, "eva@skr.se", PASSWORD).await);
    let bo = session_pair(&login(&app, "bo@kommun.se", PASSWORD).await);
    let account = request(&app, "GET", "/konto", &eva, &[]).await;
    assert!(
        account.body.contains("/admin/bedomning/1"),
        "the evaluator finds the round"
    );
    let todo = request(&app, "GET", "/att-gora", &eva, &[]).await;
    assert!(
        todo.body.contains("Delaktighet 2025, Stockholm (Utkast)")
            && todo.body.contains("ge dina svar")
            && todo.body.contains("Eva: 0 av 2 svar"),
        "the evaluator's start page says what to do and how far each has come: {}",
        todo.body
    );
    let page = request(&app, "GET", "/admin/bedomning/1", &eva, &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let eva_csrf = page.hidden("csrf");
    let bo_csrf = request(&app, "GET", "/admin/bedomning/1", &bo, &[])
        .await
        .hidden("csrf");

    let bad = request(
        &app,
        "POST",
        "/admin/bedomning/1/svar",
        &eva,
        &[("csrf", &eva_csrf), ("a.a1", "Kanske")],
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("är inte ett av svaren Nej, Delvis, Ja"),
        "{}",
        bad.body
    );
    let saved = request(
        &app,
        "POST",
        "/admin/bedomning/1/svar",
        &eva,
        &[
            ("csrf", &eva_csrf),
            ("a.a1", "Ja"),
            ("e.a1", "Blankett finns"),
            ("l.a1", "https://example.se/synpunkter"),
            ("c.a1", ""),
            ("a.a2", "Delvis"),
            ("e.a2", ""),
            ("l.a2", ""),
            ("c.a2", ""),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let saved = request(
        &app,
        "POST",
        "/admin/bedomning/1/svar",
        &bo,
        &[("csrf", &bo_csrf), ("a.a1", "Nej"), ("a.a2", "Delvis")],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    // A file goes with the answers in one save; a wrong answer beside it saves neither, and
    // the page comes back as typed, the problem beside its field.
    let refused = app
        .post("/admin/bedomning/1/svar")
        .cookies(&eva)
        .upload_as(
            &[
                ("csrf", &eva_csrf),
                ("a.a1", "Ja"),
                ("a.a2", "Kanske"),
                ("e.a2", "Se rutinen"),
            ],
            "f.a1",
            "rutin.txt",
            "Rutin för synpunkter".as_bytes(),
        )
        .send()
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    for shown in [
        "id=\"svar-a.a2-error\"",
        "href=\"#svar-a.a2\"",
        ">Se rutinen</textarea>",
        "välj dem igen",
    ] {
        assert!(refused.body.contains(shown), "{shown}: {}", refused.body);
    }
    let doc = app
        .post("/admin/bedomning/1/svar")
        .cookies(&eva)
        .upload_as(
            &[
                ("csrf", &eva_csrf),
                ("a.a1", "Ja"),
                ("e.a1", "Blankett finns"),
                ("l.a1", "https://example.se/synpunkter"),
            ],
            "f.a1",
            "rutin.txt",
            "Rutin för synpunkter".as_bytes(),
        )
        .send()
        .await;
    assert_eq!(doc.status, 303, "{}", doc.body);
    let fetched = request(&app, "GET", "/admin/dokument/1", &eva, &[]).await;
    assert_eq!(fetched.status, 200);
    assert!(
        fetched
            .head()
            .to_ascii_lowercase()
            .contains("content-disposition: attachment"),
        "{}",
        fetched.head()
    );
    assert_eq!(fetched.body, "Rutin för synpunkter");
    assert_eq!(
        request(&app, "GET", "/admin/dokument/1", &dan, &[])
            .await
            .status,
        404
    );
    assert_eq!(
        request(&app, "GET", "/admin/dokument/1", &bo, &[])
            .await
            .status,
        404,
        "another evaluator's file, before submission"
    );
    assert_eq!(
        request(&app, "GET", "/admin/dokument/1", "", &[])
            .await
            .status,
        303,
        "log in first"
    );

    let own_view = request(&app, "GET", "/admin/bedomning/1", &bo, &[]).await;
    assert!(
        !own_view.body.contains("Blankett finns") && own_view.body.contains("bara dina egna svar"),
        "an evaluator does not see the others' answers before submission"
    );
    let page = request(&app, "GET", "/admin/bedomning/1", &eva, &[]).await;
    assert!(
        page.body
            .contains("Bedömarna skiljer sig åt: 0 till 3 poäng"),
        "{}",
        page.body
    );
    let no_reason = request(
        &app,
        "POST",
        "/admin/bedomning/1/konsensus",
        &eva,
        &[
            ("csrf", &eva_csrf),
            ("k.a1", "Ja"),
            ("r.a1", ""),
            ("k.a2", "Delvis"),
            ("r.a2", ""),
        ],
    )
    .await;
    assert_eq!(no_reason.status, 400);
    assert!(
        no_reason.body.contains("ange motiveringen"),
        "{}",
        no_reason.body
    );
    let by_bo = request(
        &app,
        "POST",
        "/admin/bedomning/1/konsensus",
        &bo,
        &[("csrf", &bo_csrf), ("k.a1", "Ja"), ("r.a1", "x")],
    )
    .await;
    assert_eq!(by_bo.status, 403, "only the lead records the agreed score");
    let agreed = request(
        &app,
        "POST",
        "/admin/bedomning/1/konsensus",
        &eva,
        &[
            ("csrf", &eva_csrf),
            ("k.a1", "Ja"),
            ("r.a1", "Blanketten finns på webben"),
            ("k.a2", "Delvis"),
            ("r.a2", ""),
        ],
    )
    .await;
    assert_eq!(agreed.status, 303, "{}", agreed.body);

    assert_eq!(
        request(&app, "GET", "/kommun/0180/bedomning/1", "", &[])
            .await
            .status,
        404,
        "not published"
    );
    let preview = request(&app, "GET", "/kommun/0180/bedomning/1", &anna, &[]).await;
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("Förhandsvisning"));
    // The probe: the evaluator read the lead's evidence and reasons in the preview while
    // the work page hid them. Neither shows them before submission.
    let bo_preview = request(&app, "GET", "/kommun/0180/bedomning/1", &bo, &[]).await;
    assert_eq!(bo_preview.status, 200);
    for hidden in ["Blankett finns", "Blanketten finns på webben"] {
        assert!(
            !bo_preview.body.contains(hidden),
            "{hidden}: {}",
            bo_preview.body
        );
        assert!(
            !request(&app, "GET", "/admin/bedomning/1", &bo, &[])
                .await
                .body
                .contains(hidden)
        );
    }
    // An outsider cannot tell an unpublished round from one that does not exist.
    for path in [
        "/kommun/0180/bedomning/1",
        "/admin/bedomning/1",
        "/kommun/0180/bedomning/999",
        "/admin/bedomning/999",
    ] {
        assert_eq!(
            request(&app, "GET", path, &dan, &[]).await.status,
            404,
            "{path}"
        );
    }
    // Nor by trying to change it.
    let dan_csrf = request(&app, "GET", "/konto", &dan, &[])
        .await
        .hidden("csrf");
    for round in ["1", "999"] {
        for (part, form) in [
            (
                "bedomare",
                vec![("email", "dan@kommun.se"), ("role", "evaluator")],
            ),
            ("steg", vec![("step", "submit")]),
            ("svar", vec![("a.a1", "Ja")]),
            ("konsensus", vec![("k.a1", "Ja"), ("r.a1", "x")]),
        ] {
            let mut fields = vec![("csrf", dan_csrf.as_str())];
            fields.extend(form);
            let path = format!("/admin/bedomning/{round}/{part}");
            assert_eq!(
                request(&app, "POST", &path, &dan, &fields).await.status,
                404,
                "{path}"
            );
        }
    }

    let step = |who: &str, csrf: &str, step: &str| {
        let (who, csrf, step) = (who.to_owned(), csrf.to_owned(), step.to_owned());
        let app = app.clone();
        async move {
            request(
                &app,
                "POST",
                "/admin/bedomning/1/steg",
                &who,
                &[("csrf", &csrf), ("step", &step)],
            )
            .await
        }
    };
    assert_eq!(
        step(&bo, &bo_csrf, "submit").await.status,
        403,
        "only the lead submits"
    );
    assert_eq!(step(&eva, &eva_csrf, "submit").await.status, 303);
    let todo = request(&app, "GET", "/att-gora", &anna, &[]).await;
    assert!(
        todo.body.contains("granska"),
        "the reviewer sees the round to review: {}",
        todo.body
    );
    assert_eq!(
        step(&eva, &eva_csrf, "review").await.status,
        403,
        "the lead does not review"
    );
    assert_eq!(step(&anna, &csrf, "review").await.status, 303);
    // Publishing asks first, on a page that says what becomes public and what to know.
    let asked = step(&anna, &csrf, "publish").await;
    assert_eq!(asked.location(), Some("/admin/bedomning/1/publicera"));
    assert_eq!(
        request(&app, "GET", "/admin/bedomning/1/publicera", &eva, &[])
            .await
            .status,
        403,
        "the lead may not publish"
    );
    let confirm = request(&app, "GET", "/admin/bedomning/1/publicera", &anna, &[]).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    for said in [
        "Bedömarnas egna svar, underlag, länkar, kommentarer och filer.",
        "Totalpoängen: 66,7 av 100.",
        "kan inte ändras",
    ] {
        assert!(confirm.body.contains(said), "{said}: {}", confirm.body);
    }
    let published = request(
        &app,
        "POST",
        "/admin/bedomning/1/steg",
        &anna,
        &[("csrf", &csrf), ("step", "publish"), ("confirmed", "1")],
    )
    .await;
    assert_eq!(published.status, 303, "{}", published.body);
    let late = request(
        &app,
        "POST",
        "/admin/bedomning/1/svar",
        &eva,
        &[("csrf", &eva_csrf), ("a.a1", "Nej")],
    )
    .await;
    assert_eq!(late.status, 403, "a published round's answers stay");

    let report = request(&app, "GET", "/kommun/0180/bedomning/1", "", &[]).await;
    assert_eq!(report.status, 200, "{}", report.body);
    // (3 + 1) / 6 = 66.7 % of the maximum.
    assert!(
        report.body.contains("Totalt <strong>66,7 av 100</strong>"),
        "{}",
        report.body
    );
    assert!(report.body.contains("role=\"img\"") && report.body.contains("<caption>"));
    assert!(
        report.body.contains("Blanketten finns på webben"),
        "the strength with its reason"
    );
    assert!(
        !report.body.contains("rutin.txt"),
        "evidence files stay internal"
    );
    let page = request(&app, "GET", "/kommun/0180", "", &[]).await;
    assert!(
        page.body.contains("/kommun/0180/bedomning/1"),
        "{}",
        page.body
    );
    let open = request(
        &app,
        "GET",
        "/api/v1/assessments?municipality=0180&framework=dx",
        "",
        &[],
    )
    .await;
    assert_eq!(open.status, 200);
    let open: serde_json::Value = serde_json::from_str(&open.body).unwrap();
    assert_eq!(open["count"], 1);
    assert!(
        (open["results"][0]["total"].as_f64().unwrap() - 200.0 / 3.0).abs() < 1e-9,
        "{open}"
    );
    assert_eq!(open["results"][0]["areas"][0]["answered"], 2);
    let measure = request(&app, "GET", "/kommun/0180/matt/DX1", "", &[]).await;
    assert_eq!(
        measure.status, 200,
        "the result is a measure on the citizen site"
    );
    // Said to come from assessments published here, not from Kolada (issue 13), also in the
    // widget.
    assert!(
        measure
            .body
            .contains("Källa: Bedömningar publicerade i kvalitet"),
        "{}",
        measure.body
    );
    assert!(!measure.body.contains("Källa: Kolada"));
    let widget = request(&app, "GET", "/inbaddning/kommun/0180/matt/DX1", "", &[]).await;
    assert!(
        widget.body.contains("Bedömningar publicerade i kvalitet"),
        "{}",
        widget.body
    );

    // A published round is corrected: reopened with a reason residents read, answered
    // again, published again through the same steps, and its report lists the correction.
    let work = request(&app, "GET", "/admin/bedomning/1", &anna, &[]).await;
    assert!(
        work.body.contains("Rätta den publicerade omgången"),
        "{}",
        work.body
    );
    let bare = request(
        &app,
        "POST",
        "/admin/bedomning/1/ratta",
        &anna,
        &[("csrf", &csrf), ("reason", " ")],
    )
    .await;
    assert_eq!(bare.status, 400, "{}", bare.body);
    assert!(
        bare.body.contains("Skriv varför omgången rättas"),
        "{}",
        bare.body
    );
    let reason = "Fråga a1 bedömdes på fel underlag.";
    assert_eq!(
        request(
            &app,
            "POST",
            "/admin/bedomning/1/ratta",
            &bo,
            &[("csrf", &bo_csrf), ("reason", reason)]
        )
        .await
        .status,
        403,
        "an assessor does not reopen"
    );
    let reopened = request(
        &app,
        "POST",
        "/admin/bedomning/1/ratta",
        &anna,
        &[("csrf", &csrf), ("reason", reason)],
    )
    .await;
    assert_eq!(reopened.status, 303, "{}", reopened.body);
    let away = request(&app, "GET", "/kommun/0180/bedomning/1", "", &[]).await;
    assert_eq!(away.status, 404);
    assert!(
        away.body.contains("Bedömningen rättas sedan") && away.body.contains(reason),
        "{}",
        away.body
    );
    assert_eq!(
        request(&app, "GET", "/kommun/0180/matt/DX1", "", &[])
            .await
            .status,
        200,
        "the published values stay meanwhile"
    );
    assert_eq!(step(&eva, &eva_csrf, "submit").await.status, 303);
    assert_eq!(step(&anna, &csrf, "review").await.status, 303);
    let again = request(
        &app,
        "POST",
        "/admin/bedomning/1/steg",
        &anna,
        &[("csrf", &csrf), ("step", "publish"), ("confirmed", "1")],
    )
    .await;
    assert_eq!(again.status, 303, "{}", again.body);
    let report = request(&app, "GET", "/kommun/0180/bedomning/1", "", &[]).await;
    assert_eq!(report.status, 200);
    assert!(
        report.body.contains("Rättad 20") && report.body.contains(reason),
        "{}",
        report.body
    );
    assert!(
        !report.body.contains("anna@kommun.se"),
        "who reopened it stays internal"
    );
    let trail = request(&app, "GET", "/kommun/0180/logg", &anna, &[]).await;
    assert!(
        trail
            .body
            .contains("öppnade en publicerad bedömningsomgång för rättelse"),
        "{}",
        trail.body
    );

    assert_eq!(
        request(&app, "GET", "/admin/ramverk", &anna, &[])
            .await
            .status,
        403,
        "system administrators only"
    );
}

/// A national service round over HTTP: the coordinator sets it up, a bad contact file is
/// refused whole, a planned tester registers a call on the phone form, other people are
/// refused, and the published figures reach residents.
#[tokio::test]
async fn a_service_round_over_http_from_set_up_to_published_figures() {
    let app = server().await;
    let sam = session_pair(&login(&app, "sam@skr.se", PASSWORD).await);
    let anna = session_pair(&login(&app, "anna@kommun.se", PASSWORD).await);
    let page = request(&app, "GET", "/admin/service", &sam, &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.hidden("csrf");
    let anna_csrf = request(&app, "GET", "/admin/service", &anna, &[])
        .await
        .hidden("csrf");
    let national = [
        ("title", "Servicemätning 2025"),
        ("year", "2025"),
        ("organiser", ""),
        ("min_tests", "10"),
    ];
    let mut as_anna = national.to_vec();
    as_anna.push(("csrf", &anna_csrf));
    assert_eq!(
        request(&app, "POST", "/admin/service", &anna, &as_anna)
            .await
            .status,
        403,
        "national rounds are the coordinator's"
    );
    // A year that is not one comes back in the form as typed, beside its field.
    let typo = [
        ("title", "Servicemätning 2025"),
        ("year", "20255"),
        ("organiser", ""),
        ("min_tests", "10"),
        ("csrf", csrf.as_str()),
    ];
    let refused = request(&app, "POST", "/admin/service", &sam, &typo).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("s-year-error")
            && refused.body.contains(r#"value="20255""#)
            && refused.body.contains(r#"value="Servicemätning 2025""#),
        "{}",
        refused.body
    );
    let mut with = national.to_vec();
    with.push(("csrf", &csrf));
    let created = request(&app, "POST", "/admin/service", &sam, &with).await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert!(
        created.head().contains("/admin/service/1"),
        "{}",
        created.head()
    );
    for (part, text) in [
        ("medlemmar", "0180, 1480"),
        (
            "fragor",
            "id;area;text\nq1;bygglov;Behöver jag bygglov för en altan?",
        ),
        (
            "plan",
            "municipality_id;question_id;channel;planned_on;tester\n1480;q1;phone;2025-03-03;bo@kommun.se\n0180;q1;email;2025-03-04;ny.testare@skr.se",
        ),
    ] {
        let a = request(
            &app,
            "POST",
            &format!("/admin/service/1/{part}"),
            &sam,
            &[("csrf", &csrf), ("text", text)],
        )
        .await;
        assert_eq!(a.status, 303, "{part}: {}", a.body);
    }
    let set_up = request(&app, "GET", "/admin/service/1?klart=plan", &sam, &[]).await;
    assert!(
        set_up.body.contains("Planen är sparad.")
            && set_up
                .body
                .contains("1 planerade testare har inget konto än och kan inte logga in för att registrera sina tester: ny.testare@skr.se"),
        "a planned tester without an account is named: {}",
        set_up.body
    );
    let header = "municipality_id,question_id,channel,tester,sent_at,answered_at,relevance,direct_answer,wait_seconds,reception";
    let bad = format!("{header}\n0180,q1,email,t@skr.se,2025-03-03T09:00:00,,,,,\n");
    let refused = upload_fields(
        &app,
        "/admin/service/1/fil/kontakter",
        &sam,
        &[("csrf", &csrf)],
        "k.csv",
        &bad,
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("rad 2, kolumn 5 (sent_at)")
            && refused.body.contains("saknar tidszon"),
        "{}",
        refused.body
    );
    let good = format!(
        "{header}\n0180,q1,email,t@skr.se,2025-03-03T09:00:00+01:00,2025-03-04T09:00:00+01:00,yes,,,\n0180,q1,phone,t@skr.se,2025-03-03T10:00:00+01:00,,,ja,45,3\n"
    );
    let ok = upload_fields(
        &app,
        "/admin/service/1/fil/kontakter",
        &sam,
        &[("csrf", &csrf)],
        "k.csv",
        &good,
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);

    // The planned tester registers a call on the phone form, in Swedish time.
    let bo = session_pair(&login(&app, "bo@kommun.se", PASSWORD).await);
    let todo = request(&app, "GET", "/att-gora", &bo, &[]).await;
    assert!(
        todo.body
            .contains("1 av dina planerade tester är inte registrerade"),
        "the tester's start page leads to the planned tests: {}",
        todo.body
    );
    let form = request(&app, "GET", "/admin/service/1/kontakt", &bo, &[]).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.body.contains(
            r#"<a href="?m=1480&amp;q=q1&amp;kanal=phone">2025-03-03: Göteborg, q1, Telefon</a>"#
        ),
        "the planned test is a link that fills the form: {}",
        form.body
    );
    let tapped = request(
        &app,
        "GET",
        "/admin/service/1/kontakt?m=1480&q=q1&kanal=phone",
        &bo,
        &[],
    )
    .await;
    for filled in [
        r#"<option value="1480" selected>"#,
        r#"value="phone" checked"#,
        r#"<fieldset class="for-email" hidden>"#,
    ] {
        assert!(tapped.body.contains(filled), "{filled}: {}", tapped.body);
    }
    let bo_csrf = form.hidden("csrf");
    let call = [
        ("csrf", bo_csrf.as_str()),
        ("municipality", "1480"),
        ("question", "q1"),
        ("channel", "phone"),
        ("sent_at", "2025-03-03T10:15"),
        ("direct_answer", "nej"),
        ("wait", "2:10"),
        ("reception", "4"),
    ];
    let bad_score = request(&app, "POST", "/admin/service/1/kontakt", &bo, &call).await;
    assert_eq!(bad_score.status, 400);
    assert!(
        bad_score
            .body
            .contains("Bemötande: &quot;4&quot; ligger utanför 0–3"),
        "{}",
        bad_score.body
    );
    for kept in [
        r#"id="c-reception-error""#,
        "href=\"#c-reception\"",
        r#"value="2:10""#,
        r#"value="2025-03-03T10:15""#,
    ] {
        assert!(bad_score.body.contains(kept), "{kept}: {}", bad_score.body);
    }
    let mut call = call.to_vec();
    call[7] = ("reception", "2");
    assert_eq!(
        request(&app, "POST", "/admin/service/1/kontakt", &bo, &call)
            .await
            .status,
        303
    );
    // The tester's own contact is listed and can be changed (not refused as a duplicate of
    // itself) or removed and entered again, until the round is published.
    let listed = request(&app, "GET", "/admin/service/1/kontakt?klart=1", &bo, &[]).await;
    let contact_id: String = listed
        .body
        .split("?andra=")
        .nth(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_default();
    assert!(!contact_id.is_empty(), "{}", listed.body);
    let opened = request(
        &app,
        "GET",
        &format!("/admin/service/1/kontakt?andra={contact_id}"),
        &bo,
        &[],
    )
    .await;
    assert!(
        opened.body.contains("Ändra kontakten")
            && opened.body.contains(r#"value="2025-03-03T10:15""#),
        "{}",
        opened.body
    );
    call[7] = ("reception", "3");
    let changed = request(
        &app,
        "POST",
        &format!("/admin/service/1/kontakt/{contact_id}"),
        &bo,
        &call,
    )
    .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let removed = request(
        &app,
        "POST",
        &format!("/admin/service/1/kontakt/{contact_id}/ta-bort"),
        &bo,
        &[("csrf", &bo_csrf)],
    )
    .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    call[7] = ("reception", "2");
    assert_eq!(
        request(&app, "POST", "/admin/service/1/kontakt", &bo, &call)
            .await
            .status,
        303,
        "entered again after removal"
    );
    let dan = session_pair(&login(&app, "dan@kommun.se", PASSWORD).await);
    assert_eq!(
        request(&app, "GET", "/admin/service/1", &dan, &[])
            .await
            .status,
        404,
        "not planned, not the organiser"
    );
    // Nor can the round's existence be told from a change refused with 403 (the probe).
    let dan_csrf = request(&app, "GET", "/konto", &dan, &[])
        .await
        .hidden("csrf");
    for path in [
        "/admin/service/1/publicera",
        "/admin/service/1/kontakt",
        "/admin/service/999/publicera",
    ] {
        assert_eq!(
            request(&app, "POST", path, &dan, &[("csrf", &dan_csrf)])
                .await
                .status,
            404,
            "{path}"
        );
    }
    assert_eq!(
        request(&app, "GET", "/servicematning/1", "", &[])
            .await
            .status,
        404,
        "not published yet"
    );

    let asked = request(
        &app,
        "POST",
        "/admin/service/1/publicera",
        &sam,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(asked.location(), Some("/admin/service/1/publicera"));
    let confirm = request(&app, "GET", "/admin/service/1/publicera", &sam, &[]).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(
        confirm.body.contains("bygger på färre än") && confirm.body.contains("markeras som osäkra"),
        "the unreliable figures are named before publishing: {}",
        confirm.body
    );
    let published = request(
        &app,
        "POST",
        "/admin/service/1/publicera",
        &sam,
        &[("csrf", &csrf), ("confirmed", "1")],
    )
    .await;
    assert_eq!(published.status, 303, "{}", published.body);
    let results = request(&app, "GET", "/servicematning/1", "", &[]).await;
    assert_eq!(results.status, 200);
    // Göteborg: one call, no direct answer, reception 2 of 3 = 67 %; Stockholm's e-mail took
    // one working day.
    assert!(
        results.body.contains("<strong>67</strong> (n 1;"),
        "{}",
        results.body
    );
    assert!(results.body.contains("osäker"), "one test is too few");
    let uncertain = request(&app, "GET", "/kommun/1480/matt/SERV-DIREKT", "", &[]).await;
    assert!(
        uncertain
            .body
            .contains("Osäker siffra: den bygger på 1 test;"),
        "the warning goes with the value: {}",
        uncertain.body
    );
    let measure = request(&app, "GET", "/kommun/0180/matt/SERV-EPOST1", "", &[]).await;
    assert_eq!(measure.status, 200);
    assert!(measure.body.contains("100"), "{}", measure.body);
    assert!(
        measure
            .body
            .contains("Källa: Servicemätning publicerad i kvalitet"),
        "{}",
        measure.body
    );
    let late = upload_fields(
        &app,
        "/admin/service/1/fil/kontakter",
        &sam,
        &[("csrf", &csrf)],
        "k.csv",
        &good,
    )
    .await;
    assert_eq!(late.status, 400, "a published round does not change");
    let open = request(
        &app,
        "GET",
        "/api/v1/service?municipality=1480&year=2025",
        "",
        &[],
    )
    .await;
    let open: serde_json::Value = serde_json::from_str(&open.body).unwrap();
    let call = &open["rounds"][0]["municipalities"][0];
    assert_eq!(call["calls"], 1);
    let direct = call["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["measure"] == "SERV-DIREKT")
        .unwrap();
    assert_eq!(
        (
            direct["value"].as_f64(),
            direct["n"].as_u64(),
            direct["unreliable"].as_bool()
        ),
        (Some(0.0), Some(1), Some(true))
    );
    let trail = request(&app, "GET", "/admin/logg?action=service.publish", &sam, &[]).await;
    assert_eq!(trail.status, 200);
    assert!(trail.body.contains("service_round:1"), "{}", trail.body);
    let refused = request(&app, "GET", "/admin/logg", &anna, &[]).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("Bara systemadministratörer"),
        "{}",
        refused.body
    );
    assert_eq!(
        request(&app, "GET", "/admin/epost", &anna, &[])
            .await
            .status,
        403,
        "the outbox's addresses are for system administrators"
    );
    let own = request(&app, "GET", "/kommun/0180/logg?format=csv", &anna, &[]).await;
    assert!(
        own.body.contains("service.contacts"),
        "the national round's tests are in the municipality's trail"
    );

    // The published round is reopened to correct it: residents are told why meanwhile, the
    // contacts can change again, and once published again the page lists the correction.
    let page = request(&app, "GET", "/admin/service/1", &sam, &[]).await;
    assert!(
        page.body.contains("Rätta den publicerade mätningen"),
        "{}",
        page.body
    );
    let reason = "Ett samtal registrerades på fel kommun.";
    let refused = request(
        &app,
        "POST",
        "/admin/service/1/ratta",
        &anna,
        &[("csrf", &anna_csrf), ("text", reason)],
    )
    .await;
    assert_eq!(
        refused.status, 403,
        "a national round is the coordinator's: {}",
        refused.body
    );
    let bare = request(
        &app,
        "POST",
        "/admin/service/1/ratta",
        &sam,
        &[("csrf", &csrf), ("text", "")],
    )
    .await;
    assert_eq!(bare.status, 400, "{}", bare.body);
    let reopened = request(
        &app,
        "POST",
        "/admin/service/1/ratta",
        &sam,
        &[("csrf", &csrf), ("text", reason)],
    )
    .await;
    assert_eq!(reopened.status, 303, "{}", reopened.body);
    let away = request(&app, "GET", "/servicematning/1", "", &[]).await;
    assert_eq!(away.status, 404);
    assert!(
        away.body.contains("Servicemätningen rättas sedan") && away.body.contains(reason),
        "{}",
        away.body
    );
    let republished = request(
        &app,
        "POST",
        "/admin/service/1/publicera",
        &sam,
        &[("csrf", &csrf), ("confirmed", "1")],
    )
    .await;
    assert_eq!(republished.status, 303, "{}", republished.body);
    let results = request(&app, "GET", "/servicematning/1", "", &[]).await;
    assert_eq!(results.status, 200);
    assert!(
        results.body.contains("Rättad 20") && results.body.contains(reason),
        "{}",
        results.body
    );
    let trail = request(&app, "GET", "/admin/logg?action=service.correct", &sam, &[]).await;
    assert!(
        trail
            .body
            .contains("öppnade en publicerad servicemätning för rättelse"),
        "{}",
        trail.body
    );
}

/// A municipality's staff upload own values as LibreOffice's .ods and Excel 97–2003's .xls
/// (the same first-sheet files the app's reader tests use); both become drafts, row by row,
/// and the drafts page shows them in Swedish form.
#[tokio::test]
async fn own_values_upload_as_ods_and_old_excel_files() {
    let app = Seed::default()
        .kommun("0180", "Stockholm")
        .person("anna@kommun.se", "Anna", &[("0180", Role::Admin)])
        .start()
        .await;
    let mut anna = app.logged_in("anna@kommun.se").await;
    let defined = anna
        .post(
            "/admin/kommun/0180/matt",
            &[
                ("id", "X0180-1"),
                ("title", "Nöjda besökare, andel (%)"),
                ("question", "Hur nöjda är besökarna?"),
                ("unit", "procent"),
                ("direction", "higher"),
                ("decimals", "1"),
            ],
        )
        .await;
    assert_eq!(defined.status, 303, "{}", defined.body);
    for (name, file) in [
        (
            "varden.ods",
            include_bytes!("../../kvalitet-app/tests/fixtures/upload.ods").as_slice(),
        ),
        (
            "varden.xls",
            include_bytes!("../../kvalitet-app/tests/fixtures/upload.xls").as_slice(),
        ),
    ] {
        let previewed = anna.upload("/admin/kommun/0180/fil", &[], name, file).await;
        assert_eq!(previewed.status, 200, "{name}: {}", previewed.body);
        let token = previewed.hidden("preview");
        let sent = anna
            .post("/admin/kommun/0180/fil/spara", &[("preview", &token)])
            .await;
        assert_eq!(sent.status, 303, "{name}: {}", sent.body);
        assert!(
            sent.location().is_some_and(|l| l.contains("fil-2")),
            "{name}: two rows saved: {:?}",
            sent.location()
        );
        let drafts = anna.get("/admin/kommun/0180").await;
        assert!(drafts.body.contains("87,5</td>"), "{name}: {}", drafts.body);
    }
}

/// With an SMTP relay configured: the coordinator invites a planned tester without an
/// account by e-mail (an account with no role), sets the round's deadline, the invitation
/// is in the outbox with its link, and the tester who accepts lands on Att göra with the
/// round and its deadline.
#[tokio::test]
async fn a_coordinator_invites_a_tester_by_e_mail_and_sets_a_deadline() {
    use kvalitet_app::ports::Outbox;
    let app = Seed::default()
        .kommun("0180", "Stockholm")
        .system_admin("sam@skr.se", "Sam")
        .options(kvalitet_web::SiteOptions {
            mail: true,
            public_url: "https://kvalitet.example".into(),
            ..kvalitet_web::SiteOptions::default()
        })
        .start()
        .await;
    let sam = session_pair(&login(&app, "sam@skr.se", PASSWORD).await);
    let csrf = request(&app, "GET", "/admin/service", &sam, &[])
        .await
        .hidden("csrf");
    let round = [
        ("title", "Servicemätning 2026"),
        ("year", "2026"),
        ("organiser", ""),
        ("min_tests", "10"),
        ("csrf", &csrf),
    ];
    assert_eq!(
        request(&app, "POST", "/admin/service", &sam, &round)
            .await
            .status,
        303
    );
    let today = kvalitet_domain::Timestamp::new(time::OffsetDateTime::now_utc()).local_date_text();
    let plan = format!(
        "municipality_id;question_id;channel;planned_on;tester\n0180;q1;email;{today};Ny.Testare@skr.se"
    );
    for (part, text) in [
        ("medlemmar", "0180"),
        ("fragor", "id;area;text\nq1;bygglov;Behöver jag bygglov?"),
        ("plan", plan.as_str()),
    ] {
        let a = request(
            &app,
            "POST",
            &format!("/admin/service/1/{part}"),
            &sam,
            &[("csrf", &csrf), ("text", text)],
        )
        .await;
        assert_eq!(a.status, 303, "{part}: {}", a.body);
    }
    let page = request(&app, "GET", "/admin/service/1", &sam, &[]).await;
    assert!(page.body.contains("Skicka inbjudan"), "{}", page.body);

    // A date that is not one is refused by name; a real one is kept and shown.
    let bad = request(
        &app,
        "POST",
        "/admin/service/1/sista-dag",
        &sam,
        &[("csrf", &csrf), ("text", "31/12")],
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("31/12"), "{}", bad.body);
    // Refused set-up comes back on the round's page as typed, never on a dead end.
    assert!(
        bad.body.contains("error-summary") && bad.body.contains("sista-dag-text-error"),
        "{}",
        bad.body
    );
    let pasted = "municipality_id;question_id;channel;planned_on;tester\n0180;q9;fax;2026-13-01;x";
    let bad_plan = request(
        &app,
        "POST",
        "/admin/service/1/plan",
        &sam,
        &[("csrf", &csrf), ("text", pasted)],
    )
    .await;
    assert_eq!(bad_plan.status, 400, "{}", bad_plan.body);
    assert!(
        bad_plan
            .body
            .contains("0180;q9;fax;2026-13-01;x</textarea>"),
        "{}",
        bad_plan.body
    );
    assert!(
        bad_plan.body.contains("href=\"#plan-text\"")
            && !bad_plan.body.contains("Startsida</a></p>"),
        "{}",
        bad_plan.body
    );
    let bad_file = upload_fields(
        &app,
        "/admin/service/1/fil/kontakter",
        &sam,
        &[("csrf", &csrf)],
        "k.csv",
        "a;b\n1;2",
    )
    .await;
    assert_eq!(bad_file.status, 400, "{}", bad_file.body);
    assert!(
        bad_file.body.contains("kontakter-file-error")
            && bad_file.body.contains("href=\"#kontakter-file\""),
        "{}",
        bad_file.body
    );
    let deadline = format!("{}-12-31", &today[..4]);
    let ok = request(
        &app,
        "POST",
        "/admin/service/1/sista-dag",
        &sam,
        &[("csrf", &csrf), ("text", &deadline)],
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let page = request(&app, "GET", "/admin/service/1?klart=sista-dag", &sam, &[]).await;
    assert!(
        page.body.contains("Sista dagen är sparad.") && page.body.contains(&deadline),
        "{}",
        page.body
    );

    // The contacts template: a row per planned test, the rest to fill in; left unfilled, a
    // row is skipped, and a file with none filled is refused.
    let template = request(
        &app,
        "GET",
        "/admin/service/1/mall/kontakter.csv",
        &sam,
        &[],
    )
    .await;
    assert_eq!(template.status, 200);
    assert!(
        template.body.contains("0180;q1;email;ny.testare@skr.se"),
        "{}",
        template.body
    );
    let unfilled = upload_fields(
        &app,
        "/admin/service/1/fil/kontakter",
        &sam,
        &[("csrf", &csrf)],
        "k.csv",
        &template.body,
    )
    .await;
    assert_eq!(unfilled.status, 400, "{}", unfilled.body);
    assert!(
        unfilled.body.contains("inga ifyllda kontakter"),
        "{}",
        unfilled.body
    );
    let filled = template.body.replace(
        "ny.testare@skr.se;",
        &format!("ny.testare@skr.se;{today}T09:00:00+01:00"),
    );
    let registered = upload_fields(
        &app,
        "/admin/service/1/fil/kontakter",
        &sam,
        &[("csrf", &csrf)],
        "k.csv",
        &filled,
    )
    .await;
    assert_eq!(registered.status, 303, "{}", registered.body);
    let after = request(
        &app,
        "GET",
        "/admin/service/1/mall/kontakter.csv",
        &sam,
        &[],
    )
    .await;
    assert!(
        !after.body.contains("ny.testare@skr.se"),
        "registered tests leave the template: {}",
        after.body
    );

    // The survey template: a row per municipality, channel and question; empty rows are
    // skipped, an empty step of a filled row counts nobody, and what is saved comes back.
    let survey = request(&app, "GET", "/admin/service/1/mall/enkat.csv", &sam, &[]).await;
    assert_eq!(survey.status, 200, "{}", survey.body);
    for row in [
        "0180;email;ease;;",
        "0180;email;clarity;;",
        "0180;phone;reception;;",
        "0180;phone;ease;;",
    ] {
        assert!(survey.body.contains(row), "{row}: {}", survey.body);
    }
    let empty = upload_fields(
        &app,
        "/admin/service/1/fil/enkat",
        &sam,
        &[("csrf", &csrf)],
        "e.csv",
        &survey.body,
    )
    .await;
    assert_eq!(empty.status, 400, "{}", empty.body);
    assert!(
        empty.body.contains("inga ifyllda enkätsvar"),
        "{}",
        empty.body
    );
    let answered = survey
        .body
        .replace("0180;phone;ease;;;;;;", "0180;phone;ease;1;2;;30;40;");
    let saved = upload_fields(
        &app,
        "/admin/service/1/fil/enkat",
        &sam,
        &[("csrf", &csrf)],
        "e.csv",
        &answered,
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let again = request(&app, "GET", "/admin/service/1/mall/enkat.xlsx", &sam, &[]).await;
    assert_eq!(again.status, 200);
    let again = request(&app, "GET", "/admin/service/1/mall/enkat.csv", &sam, &[]).await;
    assert!(
        again.body.contains("0180;phone;ease;1;2;0;30;40;ja"),
        "{}",
        again.body
    );
    assert!(again.body.contains("0180;email;ease;;"), "{}", again.body);

    // Only a planned tester can be invited this way, and only once without an account.
    let stranger = request(
        &app,
        "POST",
        "/admin/service/1/testare",
        &sam,
        &[("csrf", &csrf), ("text", "vem@x.se")],
    )
    .await;
    assert_eq!(stranger.status, 400, "{}", stranger.body);
    let invited = request(
        &app,
        "POST",
        "/admin/service/1/testare",
        &sam,
        &[("csrf", &csrf), ("text", "ny.testare@skr.se")],
    )
    .await;
    assert_eq!(invited.status, 200, "{}", invited.body);
    assert!(
        invited.body.contains("skickas med e-post"),
        "{}",
        invited.body
    );
    // The system administrator sees the invitation wait in the outbox; nobody else sees it.
    let outbox = request(&app, "GET", "/admin/epost", &sam, &[]).await;
    assert_eq!(outbox.status, 200, "{}", outbox.body);
    assert!(
        outbox.body.contains("ny.testare@skr.se") && outbox.body.contains("<td>Väntar</td>"),
        "{}",
        outbox.body
    );
    let outbox = app.store.outbox(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to, "ny.testare@skr.se");
    let claimed = app
        .store
        .claim_mail(
            kvalitet_domain::Timestamp::new(time::OffsetDateTime::now_utc()),
            kvalitet_domain::Timestamp::new(
                time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
            ),
            10,
        )
        .await
        .unwrap();
    let body = &claimed[0].mail.body;
    let at = body.find("https://kvalitet.example/inbjudan/").unwrap()
        + "https://kvalitet.example/inbjudan/".len();
    let token = &body[at..at + 64];
    assert!(
        body.contains("Servicemätning 2026") && body.contains("In English"),
        "{body}"
    );

    // The link makes an account that has no role anywhere; the tester lands on Att göra.
    let form = request(&app, "GET", &format!("/inbjudan/{token}"), "", &[]).await;
    assert!(form.body.contains("inbjuden som testare"), "{}", form.body);
    let login_csrf = form.hidden("csrf");
    let cookie = form
        .cookie("kv_login")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let made = request(
        &app,
        "POST",
        &format!("/inbjudan/{token}"),
        &cookie,
        &[
            ("csrf", &login_csrf),
            ("name", "Ny Testare"),
            ("password", "ett långt lösenord"),
        ],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let tester = session_pair(&login(&app, "ny.testare@skr.se", "ett långt lösenord").await);
    let todo = request(&app, "GET", "/att-gora", &tester, &[]).await;
    assert!(
        todo.body.contains("Servicemätning 2026")
            && todo.body.contains("Sista dag 31 december")
            && todo.body.contains("Året i korthet"),
        "{}",
        todo.body
    );
    let admin = request(&app, "GET", "/admin/kommun/0180", &tester, &[]).await;
    assert_eq!(
        admin.status, 403,
        "a tester has no role in the municipality"
    );
}

/// An upload is first a preview: new, changed (with the published value) and unchanged rows
/// against what residents see, nothing saved; saving makes drafts of the new and changed
/// only; a preview is saved once, by its own maker.
#[tokio::test]
async fn an_upload_is_previewed_against_what_is_published_before_it_is_saved() {
    let app = server().await;
    let anna = session_pair(&login(&app, "anna@kommun.se", PASSWORD).await);
    let bo = session_pair(&login(&app, "bo@kommun.se", PASSWORD).await);
    let anna_csrf = request(&app, "GET", "/admin/kommun/0180", &anna, &[])
        .await
        .hidden("csrf");
    let bo_csrf = request(&app, "GET", "/admin/kommun/0180", &bo, &[])
        .await
        .hidden("csrf");
    let define = [
        ("csrf", anna_csrf.as_str()),
        ("id", "X0180-1"),
        ("title", "Nöjda besökare, andel (%)"),
        ("question", "Hur nöjda är besökarna?"),
        ("direction", "higher"),
        ("decimals", "1"),
    ];
    assert_eq!(
        request(&app, "POST", "/admin/kommun/0180/matt", &anna, &define)
            .await
            .status,
        303
    );
    // 2021 and 2022 published first.
    let first = upload(
        &app,
        "/admin/kommun/0180/fil",
        &bo,
        &bo_csrf,
        "kpi;year;value\nX0180-1;2021;84\nX0180-1;2022;87,5\n",
    )
    .await;
    assert_eq!(first.status, 303, "{}", first.body);
    let shown = request(&app, "GET", "/admin/kommun/0180", &anna, &[])
        .await
        .hidden("drafts");
    let published = request(
        &app,
        "POST",
        "/admin/kommun/0180/publicera",
        &anna,
        &[("csrf", &anna_csrf), ("drafts", &shown), ("confirmed", "1")],
    )
    .await;
    assert_eq!(published.status, 303, "{}", published.body);

    // 2021 unchanged, 2022 changed, 2023 new.
    let file = "kpi;year;value\nX0180-1;2021;84\nX0180-1;2022;88\nX0180-1;2023;90\n";
    let preview = app
        .post("/admin/kommun/0180/fil")
        .cookies(&bo)
        .upload(&[("csrf", &bo_csrf)], "v.csv", file.as_bytes())
        .send()
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    for said in [
        "Filen har 1 nya värden, 1 som ändrar ett publicerat värde och 1 som är lika med det publicerade",
        "<td class=\"num\">87,5</td><td class=\"num\">88,0</td>",
        "<td class=\"num\">90,0</td>",
        "Spara 2 värden som utkast",
        "Nöjda besökare, andel (%)",
    ] {
        assert!(preview.body.contains(said), "{said}: {}", preview.body);
    }
    let before = request(&app, "GET", "/admin/kommun/0180", &bo, &[]).await;
    assert!(
        before.body.contains("Inga utkast"),
        "nothing saved by the preview"
    );
    let token = preview.hidden("preview");

    // Not someone else's preview.
    let other = request(
        &app,
        "POST",
        "/admin/kommun/0180/fil/spara",
        &anna,
        &[("csrf", &anna_csrf), ("preview", &token)],
    )
    .await;
    assert_eq!(other.status, 404, "{}", other.body);
    let saved = request(
        &app,
        "POST",
        "/admin/kommun/0180/fil/spara",
        &bo,
        &[("csrf", &bo_csrf), ("preview", &token)],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(saved.head().contains("fil-2"), "{}", saved.head());
    let drafts = request(&app, "GET", "/admin/kommun/0180", &bo, &[]).await;
    assert!(
        drafts.body.contains("<td class=\"num\">88,0</td>")
            && drafts.body.contains("<td class=\"num\">90,0</td>"),
        "{}",
        drafts.body
    );
    let again = request(
        &app,
        "POST",
        "/admin/kommun/0180/fil/spara",
        &bo,
        &[("csrf", &bo_csrf), ("preview", &token)],
    )
    .await;
    assert_eq!(again.status, 404, "saved once: {}", again.body);
    assert!(
        again.body.contains("Ladda upp filen igen"),
        "{}",
        again.body
    );
}

/// A published value corrected: the draft carries a reason, the confirmation says it will
/// be shown (and warns of a correction without one), and residents read "Rättat …" with
/// the value, which keeps its earlier version in its history.
#[tokio::test]
async fn a_published_value_is_corrected_with_a_reason_residents_read() {
    let app = server().await;
    let anna = session_pair(&login(&app, "anna@kommun.se", PASSWORD).await);
    let csrf = request(&app, "GET", "/admin/kommun/0180", &anna, &[])
        .await
        .hidden("csrf");
    let define = [
        ("csrf", csrf.as_str()),
        ("id", "X0180-1"),
        ("title", "Nöjda besökare, andel (%)"),
        ("question", "Hur nöjda är besökarna?"),
        ("direction", "higher"),
        ("decimals", "1"),
    ];
    assert_eq!(
        request(&app, "POST", "/admin/kommun/0180/matt", &anna, &define)
            .await
            .status,
        303
    );
    async fn publish(app: &TestApp, anna: &str, csrf: &str) -> Answer {
        let shown = request(app, "GET", "/admin/kommun/0180", anna, &[])
            .await
            .hidden("drafts");
        let confirm = request(app, "GET", "/admin/kommun/0180/publicera", anna, &[]).await;
        let done = request(
            app,
            "POST",
            "/admin/kommun/0180/publicera",
            anna,
            &[("csrf", csrf), ("drafts", &shown), ("confirmed", "1")],
        )
        .await;
        assert_eq!(done.status, 303, "{}", done.body);
        confirm
    }
    async fn enter(app: &TestApp, anna: &str, csrf: &str, value: &str, reason: &str) -> Answer {
        request(
            app,
            "POST",
            "/admin/kommun/0180/varde",
            anna,
            &[
                ("csrf", csrf),
                ("measure", "X0180-1"),
                ("year", "2022"),
                ("gender", "T"),
                ("value", value),
                ("reason", reason),
            ],
        )
        .await
    }
    assert_eq!(enter(&app, &anna, &csrf, "80", "").await.status, 303);
    publish(&app, &anna, &csrf).await;

    // Corrected without a reason: the confirmation warns.
    assert_eq!(enter(&app, &anna, &csrf, "81", "").await.status, 303);
    let asked = request(&app, "GET", "/admin/kommun/0180/publicera", &anna, &[]).await;
    assert!(
        asked.body.contains("rättar ett publicerat värde utan skäl"),
        "{}",
        asked.body
    );
    // With one: the confirmation says what residents will read.
    let long = "x".repeat(501);
    let refused = request(
        &app,
        "POST",
        "/admin/kommun/0180/varde",
        &anna,
        &[
            ("csrf", &csrf),
            ("measure", "X0180-1"),
            ("year", "2022"),
            ("gender", "T"),
            ("value", "82"),
            ("reason", &long),
        ],
    )
    .await;
    assert_eq!(
        refused.status, 400,
        "a reason of 501 characters: {}",
        refused.body
    );
    let reason = "Svaren från filial Syd räknades två gånger.";
    assert_eq!(enter(&app, &anna, &csrf, "82", reason).await.status, 303);
    let confirm = publish(&app, &anna, &csrf).await;
    assert!(
        confirm
            .body
            .contains("Skälet till rättelsen, som visas vid värdet")
            && confirm
                .body
                .contains("Svaren från filial Syd räknades två gånger.")
            && !confirm.body.contains("utan skäl"),
        "{}",
        confirm.body
    );
    let page = request(&app, "GET", "/kommun/0180/matt/X0180-1", "", &[]).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Rättat 20")
            && page
                .body
                .contains("Svaren från filial Syd räknades två gånger."),
        "residents read the reason: {}",
        page.body
    );
}

const SURVEY_FRAMEWORK: &str = r#"
id = "hmex"
name = "HME"
version = "2015"
valid_from = "2015-01-01"
total = "mean_of_indices"
measure_prefix = "HMEX"

[[areas]]
id = "motivation"
title = "Motivation"
aggregation = "mean_of_indices"

[[areas.questions]]
id = "U00300"
text = "Mitt arbete känns meningsfullt."
rule = "scale"
low = 1
high = 5

[[areas.questions]]
id = "U00301"
text = "Jag lär nytt."
rule = "scale"
low = 1
high = 5
"#;

/// A survey round's distributions: the template lists the statements on the framework's
/// scale; sent back empty, or with a count that is not one, it comes back on the round's page
/// with the problem beside the file field and the typed number kept; filled, it is saved.
#[tokio::test]
async fn survey_distributions_come_from_a_template_and_problems_stay_on_the_round_page() {
    let app = Seed::default()
        .kommun("0180", "Stockholm")
        .framework(SURVEY_FRAMEWORK)
        .person("anna@kommun.se", "Anna", &[("0180", Role::Admin)])
        .start()
        .await;
    let anna = session_pair(&login(&app, "anna@kommun.se", PASSWORD).await);
    let csrf = request(&app, "GET", "/admin/kommun/0180/bedomningar", &anna, &[])
        .await
        .hidden("csrf");
    let created = request(
        &app,
        "POST",
        "/admin/kommun/0180/bedomningar",
        &anna,
        &[
            ("csrf", &csrf),
            ("framework", "hmex|2015"),
            ("kind", "survey"),
            ("title", "HME 2025"),
            ("year", "2025"),
        ],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    // A person without an account comes back in the form as typed.
    let nobody = request(
        &app,
        "POST",
        "/admin/bedomning/1/bedomare",
        &anna,
        &[("csrf", &csrf), ("email", "ingen@x.se"), ("role", "lead")],
    )
    .await;
    assert_eq!(nobody.status, 400, "{}", nobody.body);
    assert!(
        nobody.body.contains("p-email-error") && nobody.body.contains(r#"value="ingen@x.se""#),
        "{}",
        nobody.body
    );
    let lead = request(
        &app,
        "POST",
        "/admin/bedomning/1/bedomare",
        &anna,
        &[
            ("csrf", &csrf),
            ("email", "anna@kommun.se"),
            ("role", "lead"),
        ],
    )
    .await;
    assert_eq!(lead.status, 303, "{}", lead.body);
    let page = request(&app, "GET", "/admin/bedomning/1", &anna, &[]).await;
    assert!(
        page.body.contains("/admin/bedomning/1/mall/enkat.xlsx"),
        "{}",
        page.body
    );
    let template = request(&app, "GET", "/admin/bedomning/1/mall/enkat.csv", &anna, &[]).await;
    assert_eq!(template.status, 200);
    assert!(
        template.body.contains("Fråga;1;2;3;4;5") && template.body.contains("U00300;;;;;"),
        "{}",
        template.body
    );
    let xlsx = request(
        &app,
        "GET",
        "/admin/bedomning/1/mall/enkat.xlsx",
        &anna,
        &[],
    )
    .await;
    assert_eq!(xlsx.status, 200);

    let empty = upload_fields(
        &app,
        "/admin/bedomning/1/enkat",
        &anna,
        &[("csrf", &csrf), ("invited", "40")],
        "e.csv",
        &template.body,
    )
    .await;
    assert_eq!(empty.status, 400, "{}", empty.body);
    assert!(
        empty.body.contains("s-file-error")
            && empty.body.contains(r#"value="40""#)
            && empty.body.contains("HME 2025"),
        "{}",
        empty.body
    );
    let wrong = template.body.replace("U00300;;;;;", "U00300;1;två;3;4;5");
    let wrong = upload_fields(
        &app,
        "/admin/bedomning/1/enkat",
        &anna,
        &[("csrf", &csrf), ("invited", "40")],
        "e.csv",
        &wrong,
    )
    .await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(wrong.body.contains("två"), "{}", wrong.body);
    let filled = template.body.replace("U00300;;;;;", "U00300;1;2;;10;20");
    let saved = upload_fields(
        &app,
        "/admin/bedomning/1/enkat",
        &anna,
        &[("csrf", &csrf), ("invited", "40")],
        "e.csv",
        &filled,
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let after = request(&app, "GET", "/admin/bedomning/1?klart=enkat", &anna, &[]).await;
    assert!(
        after.body.contains("33"),
        "33 respondents of 40: {}",
        after.body
    );
}

/// The goals for the municipality's people: readers see the plans, editors upload or edit
/// one (every problem beside the text they sent), administrators publish after a
/// confirmation and judge goals with a motivation; another municipality's people see nothing.
#[tokio::test]
async fn goal_plans_are_edited_published_and_judged_by_the_right_people() {
    let app = server().await;
    let plan = r#"municipality = "0180"

[[goals]]
id = "vision"
level = "vision"
title = "En stad där alla kan växa"

[[goals]]
id = "kf1"
parent = "vision"
level = "kf"
title = "Fler i arbete"
owner = "Kommunfullmäktige"
from = 2023
to = 2026
"#;
    let mut cia = app.logged_in("cia@kommun.se").await;
    let read = cia.get("/admin/kommun/0180/mal").await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert!(!read.body.contains("p-source"), "readers do not edit");

    let mut bo = app.logged_in("bo@kommun.se").await;
    let start = bo.get("/admin/kommun/0180/mal").await;
    assert!(
        start.body.contains("p-source") && start.body.contains("En stad d"),
        "the editor starts from the example: {}",
        start.body
    );
    // A plan following a measure the database does not know, as a file: refused, the text
    // kept, the problem beside it.
    let unknown = plan.to_owned()
        + "\n[[goals.indicators]]\nmeasure = \"N99999\"\naim = \"higher\"\nbaseline_year = 2022\n";
    let refused = bo
        .upload(
            "/admin/kommun/0180/mal",
            &[],
            "plan.toml",
            unknown.as_bytes(),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("N99999")
            && refused.body.contains(r#"id="p-source-error""#)
            && refused.body.contains("aria-invalid"),
        "{}",
        refused.body
    );
    let saved = bo.post("/admin/kommun/0180/mal", &[("source", plan)]).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.location(),
        Some("/admin/kommun/0180/mal?klart=sparad")
    );
    assert_eq!(bo.get("/admin/kommun/0180/mal/publicera").await.status, 403);
    // Not public before it is published.
    assert!(
        !app.get("/kommun/0180/mal")
            .send()
            .await
            .body
            .contains("Fler i arbete")
    );

    let mut anna = app.logged_in("anna@kommun.se").await;
    let overview = anna.get("/admin/kommun/0180/mal").await;
    assert!(
        overview.body.contains("Fler i arbete") && overview.body.contains("bo@kommun.se"),
        "{}",
        overview.body
    );
    let confirm = anna.get("/admin/kommun/0180/mal/publicera").await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(confirm.body.contains("2 mål"), "{}", confirm.body);
    let id = confirm.hidden("plan");
    let published = anna
        .post(
            "/admin/kommun/0180/mal/publicera",
            &[("plan", &id), ("confirmed", "1")],
        )
        .await;
    assert_eq!(published.status, 303, "{}", published.body);
    let public = app.get("/kommun/0180/mal").send().await;
    assert!(public.body.contains("Fler i arbete"), "{}", public.body);

    // A judgement needs a motivation; the form comes back with the choice kept.
    let bare = anna
        .post(
            "/admin/kommun/0180/mal/kf1/status",
            &[("status", "partly"), ("motivation", "  ")],
        )
        .await;
    assert_eq!(bare.status, 400, "{}", bare.body);
    assert!(
        bare.body.contains(r#"id="s-motivation-error""#)
            && bare.body.contains(r#"value="partly" checked"#),
        "{}",
        bare.body
    );
    let judged = anna
        .post(
            "/admin/kommun/0180/mal/kf1/status",
            &[
                ("status", "partly"),
                (
                    "motivation",
                    "Sysselsättningen ökar men inte i alla stadsdelar.",
                ),
            ],
        )
        .await;
    assert_eq!(judged.status, 303, "{}", judged.body);
    let goal = anna.get("/admin/kommun/0180/mal/kf1?klart=bedomd").await;
    assert!(
        goal.body.contains("Bedömningen är sparad")
            && goal.body.contains("inte i alla stadsdelar")
            && goal.body.contains("anna@kommun.se"),
        "{}",
        goal.body
    );
    let public = app.get("/kommun/0180/mal").send().await;
    assert!(
        public.body.contains("inte i alla stadsdelar") && !public.body.contains("anna@kommun.se"),
        "{}",
        public.body
    );
    let file = anna.get("/admin/kommun/0180/malplan/publicerad.toml").await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body, plan);
    assert_eq!(anna.get("/admin/kommun/0180/mal/nope").await.status, 404);

    // Closing a period freezes the published plan's follow-up; a code is closed once and a
    // bad field comes back beside itself.
    let closed = anna
        .post(
            "/admin/kommun/0180/mal/period",
            &[
                ("kind", "annual"),
                ("year", "2025"),
                ("title", "Årsredovisning 2025"),
            ],
        )
        .await;
    assert_eq!(closed.status, 303, "{}", closed.body);
    let listed = anna.get("/admin/kommun/0180/mal?klart=stangd").await;
    assert!(
        listed
            .body
            .contains("/kommun/0180/mal/uppfoljning/helar-2025")
            && listed.body.contains("2025-12-31"),
        "{}",
        listed.body
    );
    let twice = anna
        .post(
            "/admin/kommun/0180/mal/period",
            &[("kind", "annual"), ("year", "2025")],
        )
        .await;
    assert_eq!(twice.status, 400, "{}", twice.body);
    assert!(
        twice.body.contains("helar-2025 är redan stängd"),
        "{}",
        twice.body
    );
    let bad_day = anna
        .post(
            "/admin/kommun/0180/mal/period",
            &[("kind", "other"), ("year", "2025"), ("closes_on", "31/12")],
        )
        .await;
    assert_eq!(bad_day.status, 400);
    assert!(
        bad_day.body.contains(r#"id="c-closes_on-error""#)
            && bad_day.body.contains(r#"value="31/12""#),
        "{}",
        bad_day.body
    );
    let frozen = app
        .get("/kommun/0180/mal/uppfoljning/helar-2025")
        .send()
        .await;
    assert_eq!(frozen.status, 200, "{}", frozen.body);
    assert!(
        frozen.body.contains("Årsredovisning 2025")
            && frozen.body.contains("inte i alla stadsdelar"),
        "{}",
        frozen.body
    );
    assert_eq!(
        bo.post(
            "/admin/kommun/0180/mal/period",
            &[("kind", "t1"), ("year", "2025")]
        )
        .await
        .status,
        403
    );

    // Readers do not judge; another municipality's administrator sees nothing.
    let by_reader = cia
        .post(
            "/admin/kommun/0180/mal/kf1/status",
            &[("status", "fulfilled"), ("motivation", "Klart.")],
        )
        .await;
    assert_eq!(by_reader.status, 403, "{}", by_reader.body);
    let mut dan = app.logged_in("dan@kommun.se").await;
    assert_eq!(dan.get("/admin/kommun/0180/mal").await.status, 403);
    assert_eq!(
        dan.get("/admin/kommun/0180/malplan/publicerad.toml")
            .await
            .status,
        403
    );
    let trail = anna.get("/kommun/0180/logg").await;
    assert!(
        trail.body.contains("goal.publish") || trail.body.contains("publicerade"),
        "{}",
        trail.body
    );
}

/// A survey over HTTP: built from a template by an editor (a bad set-up sent back with each
/// problem beside its field), previewed, opened by an administrator, answered through its
/// open address (with the double-submit token; a bad answer sent back beside its question)
/// and through personal links (one answer each), its results and downloads for staff only,
/// and closed.
#[tokio::test]
async fn a_survey_is_built_answered_and_counted_over_http() {
    let app = server().await;
    let mut cia = app.logged_in("cia@kommun.se").await;
    let list = cia.get("/admin/kommun/0180/enkater").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(!list.body.contains("n-code"), "readers do not build");

    let mut bo = app.logged_in("bo@kommun.se").await;
    let bad = bo
        .post(
            "/admin/kommun/0180/enkater",
            &[
                ("code", "a b"),
                ("template", "medborgarpanel"),
                ("retention_days", "0"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains(r#"id="n-code-error""#)
            && bad.body.contains(r#"id="n-retention_days-error""#)
            && bad.body.contains(r#"value="a b""#),
        "{}",
        bad.body
    );
    let made = bo
        .post(
            "/admin/kommun/0180/enkater",
            &[
                ("code", "panel-2026"),
                ("template", "medborgarpanel"),
                ("retention_days", "90"),
                ("open_link", "1"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page_path = made
        .location()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = bo.get(&page_path).await;
    assert!(page.body.contains("Medborgarpanelen") && page.body.contains("f-source"));
    // A question added through the form: a scale not offered is sent back beside its field
    // with what was typed; then added, and a question taken away.
    let version = page.hidden("version");
    let question = |scale: &'static str| {
        vec![
            ("version", version.clone()),
            ("section", "new".to_owned()),
            ("new_section", "Biblioteket".to_owned()),
            ("kind", "scale".to_owned()),
            ("id", "bibliotek_nojd".to_owned()),
            ("text", "Hur nöjd är du med biblioteket?".to_owned()),
            ("scale", scale.to_owned()),
            ("dont_know", "1".to_owned()),
        ]
    };
    let fields = question("1-7");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = bo.post(&format!("{page_path}/fraga"), &fields).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains(r#"id="qf-scale-error""#)
            && refused.body.contains("Hur nöjd är du med biblioteket?"),
        "{}",
        refused.body
    );
    let fields = question("0-10");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let added = bo.post(&format!("{page_path}/fraga"), &fields).await;
    assert_eq!(added.status, 303, "{}", added.body);
    let removed = bo
        .post(
            &format!("{page_path}/fraga"),
            &[("version", &version), ("remove", "bibliotek_nojd")],
        )
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    let page = bo.get(&page_path).await;
    assert!(!page.body.contains("bibliotek_nojd:"), "{}", page.body);
    // Another municipality's administrator sees nothing of it.
    let mut dan = app.logged_in("dan@kommun.se").await;
    assert_eq!(dan.get(&page_path).await.status, 403);

    // The preview checks answers and saves nothing.
    let preview = bo.get(&format!("{page_path}/forhandsvisning")).await;
    assert!(
        preview.body.contains("Hur trygg känner du dig"),
        "{}",
        preview.body
    );
    let checked = bo
        .post(
            &format!("{page_path}/forhandsvisning"),
            &[("trygghet", "9")],
        )
        .await;
    assert_eq!(checked.status, 400, "{}", checked.body);
    assert!(
        checked.body.contains(r#"id="q-trygghet-error""#),
        "{}",
        checked.body
    );

    // Not answerable before an administrator opens it; an editor may not.
    assert_eq!(
        app.get("/kommun/0180/enkat/panel-2026").send().await.status,
        404
    );
    let step = [("to", "open")];
    assert_eq!(
        bo.post(&format!("{page_path}/status"), &step).await.status,
        403
    );
    let mut anna = app.logged_in("anna@kommun.se").await;
    assert_eq!(
        anna.post(&format!("{page_path}/status"), &step)
            .await
            .status,
        303
    );

    // A resident answers on the open address.
    let mut resident = app.visitor();
    let form = resident.get("/kommun/0180/enkat/panel-2026").await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains(r#"type="radio" name="trygghet""#));
    let csrf = form.hidden("csrf");
    let version = form.hidden("version");
    // Without the cookie's token (a page elsewhere posting), nothing is taken.
    let forged = app
        .post("/kommun/0180/enkat/panel-2026")
        .form(&[("csrf", "x"), ("version", &version), ("trygghet", "4")])
        .send()
        .await;
    assert_ne!(forged.status, 200);
    let wrong = resident
        .send(app.post("/kommun/0180/enkat/panel-2026").form(&[
            ("csrf", &csrf),
            ("version", &version),
            ("trygghet", "9"),
        ]))
        .await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(
        wrong.body.contains(r#"id="q-trygghet-error""#),
        "{}",
        wrong.body
    );
    let csrf = wrong.hidden("csrf");
    for score in ["4", "5", "3", "4", "2", "vet_ej"] {
        let sent = resident
            .send(app.post("/kommun/0180/enkat/panel-2026").form(&[
                ("csrf", &csrf),
                ("version", &version),
                ("trygghet", score),
                ("fardmedel", "cykel"),
                ("fardmedel", "bil"),
            ]))
            .await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        assert!(sent.body.contains("Tack!"), "{}", sent.body);
    }

    // Personal links: a file to send, each link answering once.
    let links = bo
        .post(&format!("{page_path}/lankar"), &[("count", "2")])
        .await;
    assert_eq!(links.status, 200, "{}", links.body);
    assert_eq!(links.header("cache-control"), Some("no-store"));
    let link = links
        .body
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').nth(1))
        .unwrap()
        .to_owned();
    let path = link
        .split_once("/enkat/")
        .map(|(_, t)| format!("/enkat/{t}"))
        .unwrap();
    let mut invited = app.visitor();
    let form = invited.get(&path).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let answer = [
        ("csrf", form.hidden("csrf")),
        ("version", form.hidden("version")),
        ("rekommendera", "8".to_owned()),
    ];
    let answer: Vec<(&str, &str)> = answer.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        invited.send(app.post(&path).form(&answer)).await.status,
        200
    );
    let again = invited.send(app.post(&path).form(&answer)).await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.body.contains("redan använts"), "{}", again.body);

    // Results for staff: self-selected, so labelled and without margins.
    let results = cia.get(&format!("{page_path}/resultat")).await;
    assert_eq!(results.status, 200, "{}", results.body);
    assert!(
        results.body.contains("Inte statistiskt representativt")
            && results.body.contains("Hur trygg")
            && !results.body.contains(" ± "),
        "{}",
        results.body
    );
    let answers = cia.get(&format!("{page_path}/fil/svar.csv")).await;
    assert_eq!(answers.status, 200);
    assert!(
        answers.body.contains("cykel;bil") && !answers.body.contains("enkat/"),
        "{}",
        answers.body
    );
    assert_eq!(
        answers.body.lines().count(),
        8,
        "a header and seven answers"
    );
    let table = cia.get(&format!("{page_path}/fil/resultat.xlsx")).await;
    assert_eq!(table.status, 200);
    assert_eq!(dan.get(&format!("{page_path}/resultat")).await.status, 403);

    // A result made a measure: refused without a choice (beside the question's form), then
    // a draft the administrator publishes like any other, read by residents and on /v3.
    let publish = format!("{page_path}/matt");
    let none_ticked = anna
        .post(
            &publish,
            &[
                ("question", "trygghet"),
                ("what", "share"),
                ("id", "T1"),
                ("title", "Trygga"),
                ("year", "2026"),
            ],
        )
        .await;
    assert_eq!(none_ticked.status, 400, "{}", none_ticked.body);
    assert!(
        none_ticked.body.contains(r#"id="p-trygghet-what-error""#),
        "{}",
        none_ticked.body
    );
    assert_eq!(
        cia.post(&publish, &[("question", "trygghet")]).await.status,
        403,
        "readers do not publish"
    );
    let made = anna
        .post(
            &publish,
            &[
                ("question", "trygghet"),
                ("what", "share"),
                ("option", "4"),
                ("option", "5"),
                ("id", "T1"),
                ("title", "Trygga i sitt område"),
                ("year", "2026"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let admin = anna.get("/admin/kommun/0180").await;
    assert!(admin.body.contains("X0180-T1"), "{}", admin.body);
    let drafts = admin.hidden("drafts");
    let published = anna
        .post(
            "/admin/kommun/0180/publicera",
            &[("drafts", &drafts), ("confirmed", "1")],
        )
        .await;
    assert_eq!(published.status, 303, "{}", published.body);
    tokio::time::sleep(kvalitet_web::VERSION_TTL + std::time::Duration::from_millis(50)).await;
    let citizen = app.get("/kommun/0180/matt/X0180-T1").send().await;
    assert_eq!(citizen.status, 200, "{}", citizen.body);
    // 3 of the 5 who answered (4, 5, 3, 4, 2) said 4 or 5: 60 %.
    assert!(
        citizen.body.contains("60") && citizen.body.contains("Inte statistiskt representativt"),
        "{}",
        citizen.body
    );
    let v3 = app
        .get("/v3/data/kpi/X0180-T1/municipality/0180")
        .send()
        .await;
    assert!(v3.body.contains("\"value\":60"), "{}", v3.body);

    // Closed: no more answers, and the address says so.
    let close = [("to", "closed")];
    assert_eq!(
        anna.post(&format!("{page_path}/status"), &close)
            .await
            .status,
        303
    );
    let shut = app.get("/kommun/0180/enkat/panel-2026").send().await;
    assert_eq!(shut.status, 400, "{}", shut.body);
    assert!(shut.body.contains("tar inte emot svar"), "{}", shut.body);
}

/// A citizen panel over HTTP: created, members added from a list (a bad list sent back),
/// the population margins imported, the panel beside the population (also as a file), a
/// wave sent as personal links, answered, weighted to the population, and the weighted
/// results; another municipality sees nothing.
#[tokio::test]
async fn a_panel_is_built_compared_sent_a_wave_and_weighted_over_http() {
    let app = server().await;
    let mut bo = app.logged_in("bo@kommun.se").await;
    let made = bo
        .post(
            "/admin/kommun/0180/paneler",
            &[("code", "panelen"), ("title", "Stockholmspanelen")],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let panel = made
        .location()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let bad = bo
        .upload(
            &format!("{panel}/medlemmar"),
            &[],
            "m.csv",
            b"email,recruitment\nx@x.se,lottad\n",
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains(r#"id="a-file-error""#) && bad.body.contains("lottad"),
        "{}",
        bad.body
    );
    let mut members = String::from("email,recruitment,age_band\n");
    for i in 0..12 {
        let age = if i % 3 == 0 { "18-39" } else { "40-" };
        members.push_str(&format!("p{i}@x.se,probability,{age}\n"));
    }
    let added = bo
        .upload(
            &format!("{panel}/medlemmar"),
            &[],
            "m.csv",
            members.as_bytes(),
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let margins = bo
        .upload(
            &format!("{panel}/befolkning"),
            &[("reference_date", "2025-12-31")],
            "pop.csv",
            b"variable,level,share\nage_band,18-39,0.5\nage_band,40-,0.5\n",
        )
        .await;
    assert_eq!(margins.status, 303, "{}", margins.body);
    let page = bo.get(&panel).await;
    assert_eq!(page.status, 200, "{}", page.body);
    // 4 of 12 are 18-39: 33 % against 50 %, a difference of 33 points in all.
    assert!(
        page.body.contains("33 %") && page.body.contains("2025-12-31"),
        "{}",
        page.body
    );
    let report = bo.get(&format!("{panel}/representativitet.csv")).await;
    assert!(
        report.body.contains("age_band,18-39,0.5,0.333"),
        "{}",
        report.body
    );
    let mut dan = app.logged_in("dan@kommun.se").await;
    assert_eq!(dan.get(&panel).await.status, 403);

    // A wave: a survey sent to the twelve, answered by all, weighted.
    let survey = bo
        .post(
            "/admin/kommun/0180/enkater",
            &[
                ("code", "omgang-1"),
                ("template", "medborgarpanel"),
                ("retention_days", "90"),
            ],
        )
        .await;
    let survey_path = survey
        .location()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let survey_id = survey_path.rsplit('/').next().unwrap().to_owned();
    let links = bo
        .post(&format!("{panel}/omgang"), &[("survey", &survey_id)])
        .await;
    assert_eq!(links.status, 200, "{}", links.body);
    assert_eq!(links.body.lines().count(), 13, "{}", links.body);
    let mut anna = app.logged_in("anna@kommun.se").await;
    anna.post(&format!("{survey_path}/status"), &[("to", "open")])
        .await;
    for (i, line) in links.body.lines().skip(1).enumerate() {
        let path = line
            .split(',')
            .nth(1)
            .and_then(|l| l.split_once("/enkat/"))
            .map(|(_, t)| format!("/enkat/{t}"))
            .unwrap();
        let mut member = app.visitor();
        let form = member.get(&path).await;
        // The young answer 5, the others 1: unweighted mean 7/3, weighted 3.
        let score = if line.contains("18-39") { "5" } else { "1" };
        let sent = member
            .send(app.post(&path).form(&[
                ("csrf", &form.hidden("csrf")),
                ("version", &form.hidden("version")),
                ("trygghet", score),
            ]))
            .await;
        assert_eq!(sent.status, 200, "{i}: {}", sent.body);
    }
    let weighted = bo.post(&format!("{survey_path}/vikta"), &[]).await;
    assert_eq!(weighted.status, 303, "{}", weighted.body);
    let results = bo.get(&format!("{survey_path}/resultat")).await;
    assert!(
        results.body.contains("designeffekt") && results.body.contains("<strong>3,0</strong>"),
        "{}",
        results.body
    );
    // Broken down by age: the four young are too few to show, the eight others answered 1.
    let by_age = bo
        .get(&format!("{survey_path}/resultat?dela=age_band"))
        .await;
    assert_eq!(by_age.status, 200, "{}", by_age.body);
    let table = by_age
        .body
        .split(r#"id="b-trygghet""#)
        .nth(1)
        .unwrap_or_default();
    assert!(
        table.contains(
            "<th scope=\"row\">18-39</th><td class=\"num\">4</td><td colspan=\"1\">för få svar"
        ) && table.contains(
            "<th scope=\"row\">40-</th><td class=\"num\">8</td><td class=\"num\">1,0 ± 0,0"
        ),
        "{}",
        by_age.body
    );
    let page = bo.get(&panel).await;
    assert!(page.body.contains("12 svar av 12"), "{}", page.body);
}

/// HME answered in kvalitet, taken into a survey round, gives the index the same answers give
/// when imported as a survey company's distribution file.
#[tokio::test]
async fn hme_answered_here_gives_the_same_index_as_the_imported_file() {
    let app = Seed::default()
        .kommun("0180", "Stockholm")
        .framework(include_str!("../../../data/frameworks/hme.toml"))
        .person("anna@kommun.se", "Anna", &[("0180", Role::Admin)])
        .start()
        .await;
    let file = include_str!("../../../data/examples/hme-distribution.csv");
    let mut anna = app.logged_in("anna@kommun.se").await;
    let make_round = async |anna: &mut kvalitet_testkit::Visitor<'_>, title: &str| {
        let fields = [
            ("framework", "hme|2015"),
            ("kind", "survey"),
            ("title", title),
            ("year", "2026"),
        ];
        let made = anna.post("/admin/kommun/0180/bedomningar", &fields).await;
        assert_eq!(made.status, 303, "{}", made.body);
        let path = made
            .location()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let lead = anna
            .post(
                &format!("{path}/bedomare"),
                &[("email", "anna@kommun.se"), ("role", "lead")],
            )
            .await;
        assert_eq!(lead.status, 303, "{}", lead.body);
        path
    };
    let imported = make_round(&mut anna, "HME från fil").await;
    let sent = anna
        .upload(
            &format!("{imported}/enkat"),
            &[],
            "hme.csv",
            file.as_bytes(),
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);

    // The same answers given one by one on the HME template's answer page.
    let made = anna
        .post(
            "/admin/kommun/0180/enkater",
            &[
                ("code", "hme-2026"),
                ("template", "hme"),
                ("retention_days", "30"),
                ("open_link", "1"),
            ],
        )
        .await;
    let survey = made
        .location()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    anna.post(&format!("{survey}/status"), &[("to", "open")])
        .await;
    let mut steps: Vec<(String, Vec<u32>)> = Vec::new();
    for line in file.lines().skip(1) {
        let mut cells = line.split(';');
        let id = cells.next().unwrap().to_owned();
        let mut answers = Vec::new();
        for (step, count) in cells.enumerate() {
            answers.extend(std::iter::repeat_n(step as u32 + 1, count.parse().unwrap()));
        }
        steps.push((id, answers));
    }
    let respondents = steps.iter().map(|(_, a)| a.len()).max().unwrap();
    let mut resident = app.visitor();
    let form = resident.get("/kommun/0180/enkat/hme-2026").await;
    let (csrf, version) = (form.hidden("csrf"), form.hidden("version"));
    for i in 0..respondents {
        let mut fields = vec![
            ("csrf".to_owned(), csrf.clone()),
            ("version".to_owned(), version.clone()),
        ];
        for (id, answers) in &steps {
            if let Some(step) = answers.get(i) {
                fields.push((id.clone(), step.to_string()));
            }
        }
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let sent = resident
            .send(app.post("/kommun/0180/enkat/hme-2026").form(&fields))
            .await;
        assert_eq!(sent.status, 200, "{}", sent.body);
    }
    let here = make_round(&mut anna, "HME här").await;
    let survey_id = survey.rsplit('/').next().unwrap();
    let page = anna.get(&here).await;
    assert!(page.body.contains("s-from_survey"), "{}", page.body);
    let taken = anna
        .post(&format!("{here}/enkat"), &[("from_survey", survey_id)])
        .await;
    assert_eq!(taken.status, 303, "{}", taken.body);
    let total = |body: &str| {
        body.split("<dd>")
            .find(|part| part.contains(" av 100"))
            .map(|part| part.split(" av ").next().unwrap_or_default().to_owned())
    };
    let from_file = total(&anna.get(&imported).await.body);
    let from_here = total(&anna.get(&here).await.body);
    assert!(from_file.is_some(), "no total on the round page");
    assert_eq!(from_file, from_here);
}
