//! E-dialogues over HTTP: staff set up a question for a period (errors beside their fields);
//! residents join from a mailed link that becomes their own page; they write statements,
//! which staff publish or refuse with a reason the writer sees; they answer others' once
//! each; the public result names the most agreed and most divided statements, participation
//! by day and by group with small groups hidden, and the municipality's response; the CSV
//! exports hold the statements and the votes without addresses; nothing is taken outside the
//! period; readers cannot set up or moderate; the pages speak English too.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use kvalitet_domain::{Role, Timestamp};
use kvalitet_testkit::{MovableClock, Seed, TestApp, Visitor};

async fn server() -> (TestApp, Arc<MovableClock>) {
    let clock = MovableClock::at("2026-03-02T09:00:00Z");
    let app = Seed::default()
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
    action: &str,
    fields: &[(&str, &str)],
) -> kvalitet_testkit::Answer {
    let csrf = who.get(page).await.hidden("csrf");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let call = app.post(action).form(&all);
    who.send(call).await
}

/// Joins dialogue 1 as `email` and gives the participant's own page.
async fn join(app: &TestApp, email: &str, area: &str, age: &str) -> String {
    let mut v = app.visitor();
    let page = "/kommun/0180/dialog/1";
    let sent = send_form(
        app,
        &mut v,
        page,
        page,
        &[("email", email), ("area", area), ("age_band", age)],
    )
    .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let link = app.mailed_link(email).await;
    let asked = v.get(&link).await;
    assert!(
        asked.body.contains("Bekräfta att du vill delta"),
        "{}",
        asked.body
    );
    let done = send_form(app, &mut v, &link, &link, &[]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    done.location().unwrap().to_owned()
}

async fn vote(app: &TestApp, me: &str, statement: &str, vote: &str) -> kvalitet_testkit::Answer {
    let mut v = app.visitor();
    send_form(
        app,
        &mut v,
        me,
        &format!("{me}/rosta"),
        &[("statement", statement), ("vote", vote)],
    )
    .await
}

async fn write(app: &TestApp, me: &str, text: &str) -> kvalitet_testkit::Answer {
    let mut v = app.visitor();
    send_form(
        app,
        &mut v,
        me,
        &format!("{me}/skriv"),
        &[("statement", text)],
    )
    .await
}

#[tokio::test]
async fn a_dialogue_is_set_up_joined_answered_moderated_and_shown() {
    let (app, clock) = server().await;
    assert_eq!(app.get("/kommun/0180/dialog").send().await.status, 404);
    let mut bo = app.logged_in("bo@kommun.se").await;
    let mut setup = vec![
        ("question", "Hur ska Vasaparken bli bättre?"),
        ("description", "Parken rustas 2027."),
        ("opens_on", "2026-03-02"),
        ("closes_on", "2026-03-01"),
        ("areas", "Norr\nSöder"),
    ];
    let refused = bo.post("/admin/kommun/0180/dialog", &setup).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains(r#"id="n-closes_on-error""#)
            && refused.body.contains("kan inte stänga före")
            && refused
                .body
                .contains(r#"value="Hur ska Vasaparken bli bättre?""#),
        "{}",
        refused.body
    );
    let mut cia = app.logged_in("cia@kommun.se").await;
    setup[3] = ("closes_on", "2026-03-31");
    assert_eq!(
        cia.post("/admin/kommun/0180/dialog", &setup).await.status,
        403
    );
    let made = bo.post("/admin/kommun/0180/dialog", &setup).await;
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(
        made.location(),
        Some("/admin/kommun/0180/dialog/1?klart=skapad")
    );

    // Joining: an area the dialogue does not offer is refused beside its field.
    let mut v = app.visitor();
    let page = "/kommun/0180/dialog/1";
    let wrong = send_form(
        &app,
        &mut v,
        page,
        page,
        &[
            ("email", "x@exempel.se"),
            ("area", "Mars"),
            ("age_band", ""),
        ],
    )
    .await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(
        wrong.body.contains(r#"id="j-area-error""#),
        "{}",
        wrong.body
    );
    let anna = join(&app, "anna@exempel.se", "Norr", "30-44").await;
    assert!(
        anna.starts_with("/kommun/0180/dialog/1/deltagare/"),
        "{anna}"
    );
    let own = app.get(&anna).send().await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(
        app.get("/kommun/0180/dialog/1/deltagare/fel")
            .send()
            .await
            .status,
        404
    );

    // Statements go to moderation; the writer sees the refusal's reason.
    let too_long = write(&app, &anna, &"å".repeat(281)).await;
    assert_eq!(too_long.status, 400, "{}", too_long.body);
    assert!(
        too_long.body.contains("högst 280 tecken"),
        "{}",
        too_long.body
    );
    for text in ["Fler bänkar", "Mer belysning", "Köp en isbjörn"] {
        assert_eq!(write(&app, &anna, text).await.status, 303);
    }
    assert!(!app.get(page).send().await.body.contains("Fler bänkar"));
    let staff = bo.get("/admin/kommun/0180/dialog/1").await;
    assert!(
        staff.body.contains("Väntar på granskning (3)"),
        "{}",
        staff.body
    );
    for n in ["1", "2"] {
        let done = bo
            .post(
                &format!("/admin/kommun/0180/dialog/1/pastaende/{n}"),
                &[("step", "publish")],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
    }
    let no_reason = bo
        .post(
            "/admin/kommun/0180/dialog/1/pastaende/3",
            &[("step", "reject"), ("reason", " ")],
        )
        .await;
    assert_eq!(no_reason.status, 400);
    assert!(
        no_reason.body.contains(r#"id="x3-reason-error""#),
        "{}",
        no_reason.body
    );
    bo.post(
        "/admin/kommun/0180/dialog/1/pastaende/3",
        &[("step", "reject"), ("reason", "Inte kommunens ansvar.")],
    )
    .await;
    assert_eq!(
        cia.post(
            "/admin/kommun/0180/dialog/1/pastaende/3",
            &[("step", "publish")]
        )
        .await
        .status,
        403
    );
    let own = app.get(&anna).send().await;
    assert!(
        own.body.contains("Köp en isbjörn") && own.body.contains("Inte kommunens ansvar."),
        "{}",
        own.body
    );
    // The writer has nothing of their own to answer.
    assert!(own.body.contains("Du har svarat på alla"), "{}", own.body);

    // Five more join; all agree with 1, they split on 2.
    let mut others = Vec::new();
    for (i, (area, age)) in [
        ("Norr", "30-44"),
        ("Norr", "30-44"),
        ("Norr", "30-44"),
        ("Norr", "65-79"),
        ("Söder", ""),
    ]
    .iter()
    .enumerate()
    {
        others.push(join(&app, &format!("p{i}@exempel.se"), area, age).await);
    }
    for (i, me) in others.iter().enumerate() {
        let first = app.get(me).send().await;
        assert!(first.body.contains("Fler bänkar"), "{}", first.body);
        assert_eq!(vote(&app, me, "1", "agree").await.status, 303);
        let side = if i % 2 == 0 { "agree" } else { "disagree" };
        assert_eq!(vote(&app, me, "2", side).await.status, 303);
    }
    // One answer per statement and participant; only published statements; known answers.
    let again = vote(&app, &others[0], "1", "disagree").await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.body.contains("redan svarat"), "{}", again.body);
    assert_eq!(vote(&app, &others[0], "3", "agree").await.status, 404);
    let odd = vote(&app, &others[1], "1", "kanske").await;
    assert_eq!(odd.status, 400, "{}", odd.body);

    let result = app.get(page).send().await;
    assert_eq!(result.status, 200);
    let body = &result.body;
    let agreed = body.split(r#"id="agree-h""#).nth(1).unwrap();
    let agreed = agreed.split("</table>").next().unwrap();
    assert!(
        agreed.contains("Fler bänkar") && agreed.contains("5 (100 %)"),
        "{agreed}"
    );
    let divided = body.split(r#"id="divide-h""#).nth(1).unwrap();
    let divided = divided.split("</table>").next().unwrap();
    assert!(divided.contains("Mer belysning"), "{divided}");
    assert!(!body.contains("Köp en isbjörn"));
    assert!(
        body.contains("Deltagare: 6. Svar på påståenden: 10."),
        "{body}"
    );
    // Norr has 5 and is shown; Söder's 1 joins the not stated and is hidden.
    let by_area = body.split(r#"id="area-c""#).nth(1).unwrap();
    let by_area = by_area.split("</table>").next().unwrap();
    assert!(
        by_area.contains(r#"<th scope="row">Norr</th><td class="num">5</td>"#)
            && by_area.contains("färre än 5")
            && !by_area.contains("Söder"),
        "{by_area}"
    );
    let by_age = body.split(r#"id="age-c""#).nth(1).unwrap();
    let by_age = by_age.split("</table>").next().unwrap();
    // 30–44 has 4 (anna and three others) and 65–79 one: too few, they join the one who
    // did not say, and those 6 are shown together.
    assert!(
        !by_age.contains("30–44 år")
            && by_age.contains(r#"Övriga och ej angivet</th><td class="num">6</td>"#),
        "{by_age}"
    );
    assert!(body.contains("Deltagande dag för dag"));

    // Open data: statements with their counts, votes by participant number.
    let csv = app.get("/kommun/0180/dialog/1/pastaenden.csv").send().await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.body
            .contains("statement,text,written_on,agree,disagree,pass")
            && csv.body.contains("1,Fler bänkar,2026-03-02,5,0,0"),
        "{}",
        csv.body
    );
    let votes = app.get("/kommun/0180/dialog/1/roster.csv").send().await;
    assert!(
        votes.body.contains("1,2,agree,2026-03-02") && !votes.body.contains("exempel.se"),
        "{}",
        votes.body
    );

    // After the period nothing more is taken.
    // (The token comes from a page seen while open: a closed dialogue's pages have no forms.)
    let mut late_voter = app.visitor();
    let csrf = late_voter.get(&anna).await.hidden("csrf");
    clock.set("2026-04-01T09:00:00Z");
    let call = app.post(&format!("{anna}/rosta")).form(&[
        ("csrf", csrf.as_str()),
        ("statement", "2"),
        ("vote", "agree"),
    ]);
    let late = late_voter.send(call).await;
    assert_eq!(late.status, 400, "{}", late.body);
    assert!(late.body.contains("inte öppen"), "{}", late.body);
    assert!(!app.get(page).send().await.body.contains(r#"id="join-h""#));

    // The municipality's response, published on the page (a month on, staff log in again).
    let mut bo = app.logged_in("bo@kommun.se").await;
    let answered = bo
        .post(
            "/admin/kommun/0180/dialog/1/svar",
            &[("response", "Vi sätter upp 20 bänkar i maj.")],
        )
        .await;
    assert_eq!(answered.status, 303, "{}", answered.body);
    assert_eq!(
        answered.location(),
        Some("/admin/kommun/0180/dialog/1?klart=svar")
    );
    let after = app.get(page).send().await;
    assert!(
        after.body.contains("Vi sätter upp 20 bänkar i maj.")
            && after.body.contains("Kommunen svarade 1 april 2026."),
        "{}",
        after.body
    );
    let list = app.get("/kommun/0180/dialog").send().await;
    assert!(list.body.contains("Avslutad"), "{}", list.body);
    let english = app.get("/en/kommun/0180/dialog/1").send().await;
    assert!(
        english.body.contains("Most agreement") && english.body.contains("Participants by area"),
        "{}",
        english.body
    );
}

/// A dialogue is followed up under a goal of the published plan: editors choose it on the
/// staff page, residents follow the link from the public page to the goal; a goal the plan
/// does not have is refused, readers may not link, and an empty choice removes the link.
#[tokio::test]
async fn a_dialogue_links_to_the_goal_it_is_followed_up_under() {
    let (app, _) = server().await;
    let mut bo = app.logged_in("bo@kommun.se").await;
    let setup = [
        ("question", "Hur ska Vasaparken bli bättre?"),
        ("description", ""),
        ("opens_on", "2026-03-02"),
        ("closes_on", "2026-03-31"),
        ("areas", ""),
    ];
    assert_eq!(
        bo.post("/admin/kommun/0180/dialog", &setup).await.status,
        303
    );
    // Without a published plan there is nothing to link to.
    let staff = bo.get("/admin/kommun/0180/dialog/1").await;
    assert!(!staff.body.contains("Följs upp i mål"), "{}", staff.body);
    let grants = kvalitet_domain::Grants {
        system_admin: true,
        ..kvalitet_domain::Grants::default()
    };
    let actor = kvalitet_app::ports::Actor {
        who: "cli:test".into(),
        at: Timestamp::parse("2026-03-02T09:00:00Z").unwrap(),
    };
    let plan = "municipality = \"0180\"\n[[goals]]\nid = \"kf1\"\nlevel = \"kf\"\ntitle = \"Gröna parker nära alla\"\n";
    let (m, id, _) = kvalitet_app::goals::import_plan(&app.store, &grants, plan, |_| true, &actor)
        .await
        .unwrap();
    kvalitet_app::goals::publish_plan(&app.store, &grants, &m, id, &actor)
        .await
        .unwrap();
    let staff = bo.get("/admin/kommun/0180/dialog/1").await;
    assert!(
        staff.body.contains("Följs upp i mål")
            && staff
                .body
                .contains(r#"<option value="kf1">Gröna parker nära alla</option>"#),
        "{}",
        staff.body
    );
    let mut cia = app.logged_in("cia@kommun.se").await;
    let refused = cia
        .post("/admin/kommun/0180/dialog/1/mal", &[("goal", "kf1")])
        .await;
    assert_eq!(refused.status, 403);
    let unknown = bo
        .post("/admin/kommun/0180/dialog/1/mal", &[("goal", "kf9")])
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert!(unknown.body.contains("inget mål kf9"), "{}", unknown.body);
    let linked = bo
        .post("/admin/kommun/0180/dialog/1/mal", &[("goal", "kf1")])
        .await;
    assert_eq!(linked.status, 303, "{}", linked.body);
    assert_eq!(
        linked.header("location"),
        Some("/admin/kommun/0180/dialog/1?klart=mal")
    );
    let staff = bo.get("/admin/kommun/0180/dialog/1?klart=mal").await;
    assert!(
        staff.body.contains("Målet är sparat.")
            && staff.body.contains(r#"<option value="kf1" selected>"#),
        "{}",
        staff.body
    );
    let public = app.get("/kommun/0180/dialog/1").send().await;
    assert!(
        public
            .body
            .contains(r#"<a href="/kommun/0180/mal#goal-kf1">Gröna parker nära alla</a>"#),
        "{}",
        public.body
    );
    let en = app.get("/en/kommun/0180/dialog/1").send().await;
    assert!(
        en.body.contains(r#"href="/en/kommun/0180/mal#goal-kf1""#),
        "{}",
        en.body
    );
    let trail = bo.get("/kommun/0180/logg").await;
    assert!(trail.body.contains("kopplade"), "{}", trail.body);
    // An empty choice removes the link.
    bo.post("/admin/kommun/0180/dialog/1/mal", &[("goal", "")])
        .await;
    let public = app.get("/kommun/0180/dialog/1").send().await;
    assert!(!public.body.contains("goal-kf1"), "{}", public.body);
}
