//! E-förslag over HTTP: staff set the rules (errors beside their fields, in Swedish); a
//! resident writes a proposal without script and confirms it from the mailed link (the link's
//! page asks before it does anything); staff publish it; residents sign, each from their own
//! link; the threshold sends it to the nämnd, whose decision and answer are published with
//! the working days taken; readers cannot moderate, other sites cannot post in a resident's
//! name, and the pages speak English too.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use kvalitet_domain::Role;
use kvalitet_testkit::{MovableClock, Seed, TestApp, Visitor};

async fn server() -> (TestApp, Arc<MovableClock>) {
    server_with(Seed::default()).await
}

/// The test site on `seed` (with Stockholm and its staff added), its clock movable.
async fn server_with(seed: Seed) -> (TestApp, Arc<MovableClock>) {
    let clock = MovableClock::at("2026-03-02T09:00:00Z");
    let app = seed
        .kommun("0180", "Stockholm")
        .person("bo@kommun.se", "Bo", &[("0180", Role::Editor)])
        .person("cia@kommun.se", "Cia", &[("0180", Role::Reader)])
        .options(kvalitet_web::SiteOptions {
            clock: clock.clone(),
            ..kvalitet_web::SiteOptions::default()
        })
        .start()
        .await;
    (app, clock)
}

/// Sends a public form with the token of the page it is on.
async fn send_form(
    app: &TestApp,
    who: &mut Visitor<'_>,
    page: &str,
    fields: &[(&str, &str)],
) -> kvalitet_testkit::Answer {
    let csrf = who.get(page).await.hidden("csrf");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let call = app.post(page).form(&all);
    who.send(call).await
}

async fn sign(app: &TestApp, email: &str) -> kvalitet_testkit::Answer {
    let mut signer = app.visitor();
    let sent = send_form(
        app,
        &mut signer,
        "/kommun/0180/e-forslag/1",
        &[("email", email)],
    )
    .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("Titta i din e-post"), "{}", sent.body);
    let link = app.mailed_link(email).await;
    send_form(app, &mut signer, &link, &[]).await
}

#[tokio::test]
async fn a_proposal_is_written_confirmed_published_signed_and_decided_over_http() {
    let (app, clock) = server().await;
    // Before the rules are saved there is nothing to propose to.
    assert_eq!(app.get("/kommun/0180/e-forslag").send().await.status, 404);
    let mut bo = app.logged_in("bo@kommun.se").await;
    let rules = [
        ("threshold_kind", "signatures"),
        ("threshold_value", "2"),
        ("signing_days", "30"),
        ("answer_working_days", "5"),
        ("areas", "Skola\nMiljö"),
        ("rules", "Förslaget ska gälla något kommunen ansvarar för."),
    ];
    let mut bad = rules.to_vec();
    bad[1] = ("threshold_value", "många");
    let back = bo.post("/admin/kommun/0180/e-forslag", &bad).await;
    assert_eq!(back.status, 400, "{}", back.body);
    assert!(
        back.body.contains(r#"id="r-threshold_value-error""#)
            && back.body.contains("är ingen gräns")
            && back.body.contains(r#"value="många""#),
        "{}",
        back.body
    );
    let saved = bo.post("/admin/kommun/0180/e-forslag", &rules).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    // A reader cannot change the rules.
    let mut cia = app.logged_in("cia@kommun.se").await;
    assert_eq!(
        cia.post("/admin/kommun/0180/e-forslag", &rules)
            .await
            .status,
        403
    );

    // A resident's proposal: problems beside their fields, as typed.
    let mut anna = app.visitor();
    let list = anna.get("/kommun/0180/e-forslag").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("2 underskrifter") && list.body.contains("inom 5 arbetsdagar"));
    let new = "/kommun/0180/e-forslag/nytt";
    let wrong = send_form(
        &app,
        &mut anna,
        new,
        &[
            ("title", "Bänkar"),
            ("body", ""),
            ("area", "Skola"),
            ("email", "anna"),
        ],
    )
    .await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(
        wrong.body.contains(r#"id="p-body-error""#)
            && wrong.body.contains(r#"id="p-email-error""#)
            && wrong.body.contains(r#"value="Bänkar""#),
        "{}",
        wrong.body
    );
    // Another site cannot send one in a resident's name.
    let forged = app
        .post(new)
        .form(&[
            ("csrf", "x"),
            ("title", "X"),
            ("body", "Y"),
            ("email", "a@x.se"),
        ])
        .send()
        .await;
    assert_eq!(forged.status, 403);
    let fields = [
        ("title", "Fler bänkar i Vasaparken"),
        ("body", "Äldre behöver kunna vila."),
        ("area", "Miljö"),
        ("email", "anna@exempel.se"),
        ("name", "Anna A"),
    ];
    let sent = send_form(&app, &mut anna, new, &fields).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("anna@exempel.se"));
    // The link's page asks first: opening it changes nothing.
    let link = app.mailed_link("anna@exempel.se").await;
    let asked = anna.get(&link).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.body.contains("Bekräfta ditt förslag") && asked.body.contains("Fler bänkar"));
    assert_eq!(asked.header("referrer-policy"), Some("no-referrer"));
    let staff = bo.get("/admin/kommun/0180/e-forslag").await;
    assert!(!staff.body.contains("Fler bänkar"), "{}", staff.body);
    let done = send_form(&app, &mut anna, &link, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("Ditt förslag har kommit in"),
        "{}",
        done.body
    );
    assert_eq!(anna.get(&link).await.status, 404, "a link works once");
    // Not public before moderation.
    assert_eq!(app.get("/kommun/0180/e-forslag/1").send().await.status, 404);

    // Staff publish it; a reader may not.
    let staff = bo.get("/admin/kommun/0180/e-forslag").await;
    assert!(staff.body.contains("Fler bänkar"), "{}", staff.body);
    let publish = [("step", "publish"), ("committee", "Trafiknämnden")];
    let refused = cia
        .post("/admin/kommun/0180/e-forslag/1/granska", &publish)
        .await;
    assert_eq!(refused.status, 403);
    let no_reason = bo
        .post(
            "/admin/kommun/0180/e-forslag/1/granska",
            &[("step", "reject"), ("reason", "")],
        )
        .await;
    assert_eq!(no_reason.status, 400);
    assert!(
        no_reason.body.contains(r#"id="x-reason-error""#),
        "{}",
        no_reason.body
    );
    let published = bo
        .post("/admin/kommun/0180/e-forslag/1/granska", &publish)
        .await;
    assert_eq!(published.status, 303, "{}", published.body);
    let page = app.get("/kommun/0180/e-forslag/1").send().await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("0 av 2 underskrifter")
            && page.body.contains("31 mars 2026")
            && page.body.contains("Trafiknämnden")
            && page.body.contains("av Anna A")
            && !page.body.contains("anna@exempel.se"),
        "{}",
        page.body
    );

    // Two residents sign on Friday 6 March: the second reaches the threshold.
    clock.set("2026-03-06T09:00:00Z");
    let first = sign(&app, "eva@exempel.se").await;
    assert!(
        first.body.contains("Din underskrift räknas."),
        "{}",
        first.body
    );
    let second = sign(&app, "olof@exempel.se").await;
    assert!(second.body.contains("nått gränsen"), "{}", second.body);
    // The same address again: refused, still two.
    let again = sign(&app, "eva@exempel.se").await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.body.contains("redan skrivit under"), "{}", again.body);
    let page = app.get("/kommun/0180/e-forslag/1").send().await;
    assert!(page.body.contains("2 av 2 underskrifter") && page.body.contains("Hos nämnden"));

    // The decision, entered on Friday 13 March: 5 working days, within the promise.
    clock.set("2026-03-13T15:00:00Z");
    let mut bo = app.logged_in("bo@kommun.se").await;
    let decided = bo
        .post(
            "/admin/kommun/0180/e-forslag/1/beslut",
            &[
                ("decision", "partly"),
                ("decided_on", "2026-03-13"),
                ("answer", "Tio bänkar ställs ut i vår."),
            ],
        )
        .await;
    assert_eq!(decided.status, 303, "{}", decided.body);
    let page = app.get("/kommun/0180/e-forslag/1").send().await;
    assert!(
        page.body.contains("Delvis bifall")
            && page.body.contains("13 mars 2026")
            && page.body.contains("5 arbetsdagar")
            && page.body.contains("Tio bänkar")
            && !page.body.contains(r#"name="email""#),
        "{}",
        page.body
    );
    let list = app.get("/kommun/0180/e-forslag").send().await;
    assert!(
        list.body.contains("100 %") && list.body.contains("1 av 1"),
        "{}",
        list.body
    );
    // The proposals as open data: the days and working days, no names or addresses.
    let csv = app.get("/kommun/0180/e-forslag.csv").send().await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.body.starts_with("number,title,area,stage,")
            && csv.body.contains("1,Fler bänkar i Vasaparken,Miljö,decided,Trafiknämnden,2026-03-02,2026-03-31,2,2,2026-03-06,partly,2026-03-13,5,true")
            && !csv.body.contains("Anna A")
            && !csv.body.contains("@"),
        "{}",
        csv.body
    );
    // In English.
    let en = app.get("/en/kommun/0180/e-forslag/1").send().await;
    assert_eq!(en.status, 200);
    assert!(en.body.contains("Partly approved") && en.body.contains("13 March 2026"));
}

/// Participation becomes measures: an administrator sees the year's figures with what stays
/// internal and every warning, publishes them, and residents find them on the municipality's
/// page; editors and readers may not publish.
#[tokio::test]
async fn participation_is_published_as_measures_after_the_figures_are_seen() {
    use kvalitet_domain::{
        AreaId, Datum, Gender, KoladaMeta, Measure, MeasureId, ValueKey, ValueRow, Year,
    };
    let clock = MovableClock::at("2026-03-02T09:00:00Z");
    let residents = MeasureId::parse("N01951").unwrap();
    let app = Seed::default()
        .kommun("0180", "Stockholm")
        .catalogue(|c| {
            c.measures.push(Measure::from_kolada(
                residents,
                "Invånare totalt, antal".into(),
                "Antal invånare 31 december.".into(),
                KoladaMeta::default(),
            ));
        })
        .values([ValueRow {
            key: ValueKey {
                measure: residents,
                area: AreaId::parse("0180").unwrap(),
                year: Year::new(2025).unwrap(),
                gender: Gender::Total,
            },
            datum: Datum::Number(1000.0),
            count: None,
        }])
        .person("bo@kommun.se", "Bo", &[("0180", Role::Editor)])
        .person("ada@kommun.se", "Ada", &[("0180", Role::Admin)])
        .options(kvalitet_web::SiteOptions {
            clock: clock.clone(),
            ..kvalitet_web::SiteOptions::default()
        })
        .start()
        .await;
    let mut bo = app.logged_in("bo@kommun.se").await;
    let rules = [
        ("threshold_kind", "signatures"),
        ("threshold_value", "1"),
        ("signing_days", "30"),
        ("answer_working_days", "5"),
        ("areas", ""),
        ("rules", "Förslaget ska gälla kommunen."),
    ];
    assert_eq!(
        bo.post("/admin/kommun/0180/e-forslag", &rules).await.status,
        303
    );
    // Anna proposes, Eva signs on Friday 6 March, the nämnd decides on the 13th.
    let mut anna = app.visitor();
    let fields = [
        ("title", "Fler bänkar"),
        ("body", "Äldre behöver kunna vila."),
        ("email", "anna@exempel.se"),
    ];
    send_form(&app, &mut anna, "/kommun/0180/e-forslag/nytt", &fields).await;
    let link = app.mailed_link("anna@exempel.se").await;
    assert_eq!(send_form(&app, &mut anna, &link, &[]).await.status, 200);
    let publish = [("step", "publish"), ("committee", "Parknämnden")];
    let published = bo
        .post("/admin/kommun/0180/e-forslag/1/granska", &publish)
        .await;
    assert_eq!(published.status, 303, "{}", published.body);
    clock.set("2026-03-06T09:00:00Z");
    assert!(
        sign(&app, "eva@exempel.se")
            .await
            .body
            .contains("nått gränsen")
    );
    clock.set("2026-03-13T15:00:00Z");
    let mut bo = app.logged_in("bo@kommun.se").await;
    let decided = bo
        .post(
            "/admin/kommun/0180/e-forslag/1/beslut",
            &[
                ("decision", "approved"),
                ("decided_on", "2026-03-13"),
                ("answer", "Bänkarna kommer i vår."),
            ],
        )
        .await;
    assert_eq!(decided.status, 303, "{}", decided.body);

    // An editor is not offered publishing, and may not publish.
    let staff = bo.get("/admin/kommun/0180/e-forslag").await;
    assert!(!staff.body.contains("delaktighet"), "{}", staff.body);
    assert_eq!(
        bo.get("/admin/kommun/0180/delaktighet?ar=2026")
            .await
            .status,
        403
    );
    let forbidden = bo
        .post(
            "/admin/kommun/0180/delaktighet",
            &[("ar", "2026"), ("confirmed", "1")],
        )
        .await;
    assert_eq!(forbidden.status, 403);

    // The administrator sees the figures first: two addresses of 1,000 residents, the one
    // promise kept, 5 working days, and that 2026 is not over.
    let mut ada = app.logged_in("ada@kommun.se").await;
    let staff = ada.get("/admin/kommun/0180/e-forslag").await;
    assert!(staff.body.contains("Deltagande som mått"), "{}", staff.body);
    let shown = ada.get("/admin/kommun/0180/delaktighet?ar=2026").await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(
        shown
            .body
            .contains("Deltagare per 1 000 invånare: 2,00 (2 deltagare")
            && shown.body.contains("N01951 för 2025")
            && shown.body.contains("100,0 % (1 av 1")
            && shown.body.contains("median för årets beslut: 5,0")
            && shown.body.contains("2026 är inte slut"),
        "{}",
        shown.body
    );
    assert_eq!(
        ada.get("/admin/kommun/0180/delaktighet?ar=2027")
            .await
            .status,
        400
    );
    assert_eq!(
        ada.get("/admin/kommun/0180/delaktighet?ar=x").await.status,
        400
    );
    // Without the confirmation, back to the figures.
    let unconfirmed = ada
        .post("/admin/kommun/0180/delaktighet", &[("ar", "2026")])
        .await;
    assert_eq!(unconfirmed.status, 303);
    assert_eq!(
        unconfirmed.header("location"),
        Some("/admin/kommun/0180/delaktighet?ar=2026")
    );
    let done = ada
        .post(
            "/admin/kommun/0180/delaktighet",
            &[("ar", "2026"), ("confirmed", "1")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let page = app.get("/kommun/0180/matt/DIAL-DELTAGARE").send().await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("2,00")
            && page
                .body
                .contains("e-förslag, e-dialoger och medborgarbudget i kvalitet"),
        "{}",
        page.body
    );
    let page = app.get("/kommun/0180/matt/DIAL-DAGAR").send().await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("5,0"), "{}", page.body);
    let trail = ada.get("/kommun/0180/logg").await;
    assert!(
        trail.body.contains("publicerade årets deltagande"),
        "{}",
        trail.body
    );
    // The year may be published again (once it is over): its figures are replaced.
    let again = ada
        .post(
            "/admin/kommun/0180/delaktighet",
            &[("ar", "2026"), ("confirmed", "1")],
        )
        .await;
    assert_eq!(again.status, 303, "{}", again.body);
    let en = ada.get("/en/admin/kommun/0180/delaktighet?ar=2026").await;
    assert!(
        en.body.contains("Participants per 1,000 residents"),
        "{}",
        en.body
    );
}

const PNG: &[u8] = include_bytes!("../../kvalitet-formats/tests/fixtures/attachments/lekplats.png");
const PDF: &[u8] = include_bytes!("../../kvalitet-formats/tests/fixtures/attachments/plan.pdf");

/// Sends the new-proposal form as the browser does (multipart), with files.
async fn send_multipart(
    app: &TestApp,
    who: &mut Visitor<'_>,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> kvalitet_testkit::Answer {
    let page = "/kommun/0180/e-forslag/nytt";
    let csrf = who.get(page).await.hidden("csrf");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let call = app.post(page).upload_files(&all, files);
    who.send(call).await
}

#[tokio::test]
async fn a_place_is_clicked_on_the_map_and_files_are_checked_kept_and_served_safely() {
    // Stockholm drawn as a box around the city (about 17.9-18.2° E, 59.25-59.4° N).
    let (l, t) = kvalitet_formats::project(17.9, 59.4);
    let (r, b) = kvalitet_formats::project(18.2, 59.25);
    let square = format!("M{l:.1} {t:.1}L{r:.1} {t:.1}L{r:.1} {b:.1}L{l:.1} {b:.1}Z");
    let seed = Seed::default().catalogue(|c| c.shapes.push((kvalitet_testkit::m("0180"), square)));
    let (app, _clock) = server_with(seed).await;
    let mut bo = app.logged_in("bo@kommun.se").await;
    let rules = [
        ("threshold_kind", "signatures"),
        ("threshold_value", "2"),
        ("signing_days", "30"),
        ("answer_working_days", "5"),
        ("rules", "Förslaget ska gälla något kommunen ansvarar för."),
    ];
    assert_eq!(
        bo.post("/admin/kommun/0180/e-forslag", &rules).await.status,
        303
    );

    // The form sends files, and the map is a picture to click, drawn at its own size.
    let mut anna = app.visitor();
    let form = anna.get("/kommun/0180/e-forslag/nytt").await;
    assert!(
        form.body.contains(r#"enctype="multipart/form-data""#)
            && form
                .body
                .contains(r#"type="image" class="map-pick" name="karta""#)
            && form.body.contains(r#"height="300""#),
        "{}",
        form.body
    );
    let map = app.get("/kommun/0180/e-forslag/karta.svg").send().await;
    assert_eq!(map.status, 200);
    assert_eq!(
        map.header("content-type"),
        Some("image/svg+xml; charset=utf-8")
    );
    assert!(map.body.starts_with("<svg") && map.body.contains("<path d=\"M"));

    // A click in the middle sets the place and keeps what was typed; nothing is sent yet.
    let typed = [
        ("title", "Gungor vid Observatorielunden"),
        ("body", "Barnen saknar gungor."),
        ("email", "anna@exempel.se"),
    ];
    let mut click = typed.to_vec();
    click.extend([("karta.x", "150"), ("karta.y", "80")]);
    let placed = send_multipart(&app, &mut anna, &click, &[]).await;
    assert_eq!(placed.status, 200, "{}", placed.body);
    assert!(
        placed.body.contains("Platsen är vald: 59,3")
            && placed
                .body
                .contains(r#"value="Gungor vid Observatorielunden""#)
            && placed.body.contains(r#"id="p-lat" name="lat" value="59.3"#)
            && placed.body.contains("karta.svg?lat=59"),
        "{}",
        placed.body
    );
    assert!(!placed.body.contains("error-summary"));
    // A click beside the map is said beside the place's field.
    let mut beside = typed.to_vec();
    beside.extend([("karta.x", "999"), ("karta.y", "80")]);
    let missed = send_multipart(&app, &mut anna, &beside, &[]).await;
    assert_eq!(missed.status, 400);
    assert!(
        missed.body.contains(r#"id="p-lat-error""#) && missed.body.contains("Klicket hamnade inte")
    );
    // A place typed in Göteborg is outside Stockholm.
    let mut away = typed.to_vec();
    away.extend([("lat", "57,70"), ("lon", "11,97")]);
    let outside = send_multipart(&app, &mut anna, &away, &[]).await;
    assert_eq!(outside.status, 400);
    assert!(
        outside.body.contains("Platsen ligger utanför Stockholm"),
        "{}",
        outside.body
    );
    // A program is not a file to attach: refused by name, the text kept.
    let mut here = typed.to_vec();
    here.extend([("lat", "59,3430"), ("lon", "18,0540")]);
    let exe = send_multipart(
        &app,
        &mut anna,
        &here,
        &[("files", "gungor.exe", b"MZ\x90\x00")],
    )
    .await;
    assert_eq!(exe.status, 400);
    assert!(
        exe.body.contains(r#"id="p-files-error""#)
            && exe.body.contains("gungor.exe: bara PDF-filer och bilder"),
        "{}",
        exe.body
    );
    // Enter in a field sends the form by its first button, the map, at (0, 0): it is sent.
    let mut enter = here.clone();
    enter.extend([("karta.x", "0"), ("karta.y", "0")]);
    let files: [(&str, &str, &[u8]); 2] = [
        ("files", "lekplats.png", PNG),
        ("files", "ritning.pdf", PDF),
    ];
    let sent = send_multipart(&app, &mut anna, &enter, &files).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("Titta i din e-post"), "{}", sent.body);
    let link = app.mailed_link("anna@exempel.se").await;
    let csrf = anna.get(&link).await.hidden("csrf");
    let done = anna.send(app.post(&link).form(&[("csrf", &csrf)])).await;
    assert_eq!(done.status, 200, "{}", done.body);

    // Staff see the place and the files before publishing; the public does not.
    let staff = bo.get("/admin/kommun/0180/e-forslag/1").await;
    assert!(
        staff.body.contains("59,3430 grader nord, 18,0540 grader öst")
            && staff.body.contains(r#"href="/admin/kommun/0180/e-forslag/1/bilaga/1">lekplats.png</a> (PNG-bild, 1 kB)"#)
            && staff.body.contains("ritning.pdf"),
        "{}",
        staff.body
    );
    assert_eq!(
        bo.get("/admin/kommun/0180/e-forslag/1/bilaga/2")
            .await
            .bytes,
        PDF
    );
    assert_eq!(
        app.get("/kommun/0180/e-forslag/1/bilaga/1")
            .send()
            .await
            .status,
        404
    );
    let publish = [("step", "publish"), ("committee", "Kulturnämnden")];
    assert_eq!(
        bo.post("/admin/kommun/0180/e-forslag/1/granska", &publish)
            .await
            .status,
        303
    );

    let page = app.get("/kommun/0180/e-forslag/1").send().await;
    assert!(
        page.body.contains(r#"class="place-map" src="/kommun/0180/e-forslag/karta.svg?lat=59343000&amp;lon=18054000""#)
            && page.body.contains("openstreetmap.org/?mlat=59.34300&amp;mlon=18.05400")
            && page.body.contains(r#"href="/kommun/0180/e-forslag/1/bilaga/2">ritning.pdf</a> (PDF, 1 kB)"#),
        "{}",
        page.body
    );
    let marked = app
        .get("/kommun/0180/e-forslag/karta.svg?lat=59343000&lon=18054000")
        .send()
        .await;
    assert!(marked.body.contains("<circle"));
    // A picture is shown, without the text naming a place; a PDF is downloaded; neither may
    // run anything should the browser open it as a page.
    let picture = app.get("/kommun/0180/e-forslag/1/bilaga/1").send().await;
    assert_eq!(picture.status, 200);
    assert_eq!(picture.header("content-type"), Some("image/png"));
    assert!(
        picture
            .header("content-disposition")
            .unwrap()
            .starts_with("inline; filename=\"lekplats.png\"")
    );
    assert_eq!(picture.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        picture.header("content-security-policy"),
        Some("default-src 'none'; sandbox")
    );
    assert!(!picture.bytes.windows(9).any(|w| w == b"Storgatan"));
    let pdf = app.get("/kommun/0180/e-forslag/1/bilaga/2").send().await;
    assert!(
        pdf.header("content-disposition")
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(pdf.bytes, PDF);
    // The place is in the open data, in degrees as GIS tools read them.
    let csv = app.get("/kommun/0180/e-forslag.csv").send().await;
    assert!(
        csv.body
            .lines()
            .next()
            .unwrap()
            .ends_with(",place_lat,place_lon")
            && csv.body.contains(",59.343000,18.054000"),
        "{}",
        csv.body
    );
    // In English too.
    let en = app.get("/en/kommun/0180/e-forslag/1").send().await;
    assert!(
        en.body.contains("59.3430 degrees north") && en.body.contains("PNG picture"),
        "{}",
        en.body
    );
}

/// Signs proposal 1 from `email`, declaring `residence`; the answer to following the link.
async fn sign_living_in(app: &TestApp, email: &str, residence: &str) -> kvalitet_testkit::Answer {
    let mut signer = app.visitor();
    let page = "/kommun/0180/e-forslag/1";
    let sent = send_form(
        app,
        &mut signer,
        page,
        &[("email", email), ("residence", residence)],
    )
    .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let link = app.mailed_link(email).await;
    send_form(app, &mut signer, &link, &[]).await
}

#[tokio::test]
async fn only_residents_propose_and_sign_when_asked_and_signers_are_shown_counted_by_area() {
    let (app, _clock) = server().await;
    let mut bo = app.logged_in("bo@kommun.se").await;
    let rules = [
        ("threshold_kind", "signatures"),
        ("threshold_value", "50"),
        ("signing_days", "30"),
        ("answer_working_days", "5"),
        ("residence_areas", "Centrum\nNorra\n\nSödra"),
        ("rules", "Förslag tas emot från dem som bor i kommunen."),
    ];
    assert_eq!(
        bo.post("/admin/kommun/0180/e-forslag", &rules).await.status,
        303
    );
    let staff = bo.get("/admin/kommun/0180/e-forslag").await;
    assert!(
        staff.body.contains("Centrum\nNorra\nSödra</textarea>"),
        "{}",
        staff.body
    );

    // A proposal without the area where its proposer lives is refused beside that field.
    let mut anna = app.visitor();
    let new = "/kommun/0180/e-forslag/nytt";
    let form = anna.get(new).await;
    assert!(
        form.body
            .contains(r#"<select id="p-residence" name="residence" required"#)
            && form.body.contains("<option>Norra</option>")
            && form.body.contains("tas emot från dem som bor i Stockholm"),
        "{}",
        form.body
    );
    let typed = [
        ("title", "Belysning på gångvägen"),
        ("body", "Det är mörkt på vintern."),
        ("email", "anna@exempel.se"),
    ];
    let refused = send_form(&app, &mut anna, new, &typed).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains(r#"id="p-residence-error""#)
            && refused.body.contains("Välj området där du bor")
            && refused.body.contains(r#"value="Belysning på gångvägen""#),
        "{}",
        refused.body
    );
    // An area the municipality does not offer is refused the same way.
    let mut elsewhere = typed.to_vec();
    elsewhere.push(("residence", "Göteborg"));
    let outside = send_form(&app, &mut anna, new, &elsewhere).await;
    assert_eq!(outside.status, 400);
    let mut living = typed.to_vec();
    living.push(("residence", "Norra"));
    let sent = send_form(&app, &mut anna, new, &living).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let link = app.mailed_link("anna@exempel.se").await;
    assert_eq!(send_form(&app, &mut anna, &link, &[]).await.status, 200);
    // Staff see where the proposer lives; the public never does.
    let one = bo.get("/admin/kommun/0180/e-forslag/1").await;
    assert!(
        one.body
            .contains("<dt>Området där du bor</dt><dd>Norra</dd>"),
        "{}",
        one.body
    );
    let publish = [("step", "publish"), ("committee", "Trafiknämnden")];
    assert_eq!(
        bo.post("/admin/kommun/0180/e-forslag/1/granska", &publish)
            .await
            .status,
        303
    );

    // A signature without an area is refused; with one it counts.
    let mut olle = app.visitor();
    let unsigned = send_form(
        &app,
        &mut olle,
        "/kommun/0180/e-forslag/1",
        &[("email", "olle@exempel.se")],
    )
    .await;
    assert_eq!(unsigned.status, 400, "{}", unsigned.body);
    assert!(
        unsigned.body.contains(r#"id="s-residence-error""#),
        "{}",
        unsigned.body
    );
    for n in 0..5 {
        let done = sign_living_in(&app, &format!("c{n}@exempel.se"), "Centrum").await;
        assert!(
            done.body.contains("Din underskrift räknas."),
            "{}",
            done.body
        );
    }
    sign_living_in(&app, "n0@exempel.se", "Norra").await;

    // Counted by area, the small group hidden among the others.
    let page = app.get("/kommun/0180/e-forslag/1").send().await;
    assert!(
        page.body.contains("6 av 50 underskrifter")
            && page
                .body
                .contains("<caption>Underskrifter per bostadsområde</caption>")
            && page
                .body
                .contains(r#"<th scope="row">Centrum</th><td class="num">5</td>"#)
            && page.body.contains(
                r#"<th scope="row">Övriga och ej angivet</th><td class="num">färre än 5</td>"#
            )
            && !page.body.contains(r#"<th scope="row">Norra</th>"#),
        "{}",
        page.body
    );
    // Where anyone lives is not open data.
    let csv = app.get("/kommun/0180/e-forslag.csv").send().await;
    assert!(
        !csv.body.contains("Norra") && !csv.body.contains("Centrum"),
        "{}",
        csv.body
    );
    let en = app.get("/en/kommun/0180/e-forslag/1").send().await;
    assert!(
        en.body.contains("Signatures by residence area"),
        "{}",
        en.body
    );
}
