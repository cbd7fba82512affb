//! A citizen budget over HTTP: staff set up a round (errors beside their fields, in Swedish),
//! add and judge projects, open voting and make codes; a resident votes on the public page
//! without script, is refused beside the field for a ballot over the rules or a used code;
//! the count after the last day is explained on the public page with every rule's choice, and
//! the ballots are open data as `.pb`.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use kvalitet_domain::Role;
use kvalitet_testkit::{MovableClock, Seed, TestApp};

async fn server() -> (TestApp, Arc<MovableClock>) {
    let clock = MovableClock::at("2026-11-20T09:00:00Z");
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

fn path_of(location: Option<&str>) -> String {
    location.unwrap().split('?').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_citizen_budget_is_set_up_voted_counted_and_explained_over_http() {
    let (app, clock) = server().await;
    let mut bo = app.logged_in("bo@kommun.se").await;
    let round = [
        ("title", "Medborgarbudget 2027"),
        ("code", "2027"),
        ("description", "Förslag för parker."),
        ("amount", "100 000"),
        ("ballot_kind", "approval"),
        ("max_projects", "2"),
        ("rule", "mes"),
        ("first_day", "2026-12-01"),
        ("last_day", "2026-12-14"),
        ("areas", "Norr\nSöder"),
    ];
    // A bad form comes back with each problem beside its field, in Swedish, as typed.
    let mut bad = round.to_vec();
    bad[3] = ("amount", "mycket");
    bad[8] = ("last_day", "2026-11-01");
    let back = bo.post("/admin/kommun/0180/medborgarbudget", &bad).await;
    assert_eq!(back.status, 400, "{}", back.body);
    assert!(
        back.body.contains(r#"id="n-amount-error""#)
            && back.body.contains(r#"id="n-last_day-error""#)
            && back.body.contains("hela kronor")
            && back.body.contains(r#"value="mycket""#),
        "{}",
        back.body
    );
    let made = bo.post("/admin/kommun/0180/medborgarbudget", &round).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = path_of(made.location());
    // A reader sees the round but cannot add to it.
    let mut cia = app.logged_in("cia@kommun.se").await;
    let seen = cia.get(&page).await;
    assert_eq!(seen.status, 200);
    assert!(!seen.body.contains("p-cost"));
    let refused = cia
        .post(
            &format!("{page}/projekt"),
            &[("code", "x"), ("title", "X"), ("cost", "1")],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    for (code, title, cost) in [
        ("lek", "Ny lekplats", "60000"),
        ("bank", "Parkbänkar", "50000"),
        ("golf", "Golfbana", "90000"),
    ] {
        let added = bo
            .post(
                &format!("{page}/projekt"),
                &[
                    ("code", code),
                    ("title", title),
                    ("cost", cost),
                    ("proposed_by", "resident"),
                ],
            )
            .await;
        assert_eq!(added.status, 303, "{}", added.body);
    }
    let staff = bo.get(&page).await;
    let ids: Vec<String> = staff
        .body
        .match_indices("/projekt/")
        .map(|(i, _)| {
            staff.body[i + 9..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect()
        })
        .collect();
    assert_eq!(ids.len(), 3, "{}", staff.body);
    // Not feasible without a published reason.
    let no_reason = bo
        .post(&format!("{page}/projekt/{}", ids[2]), &[("feasible", "no")])
        .await;
    assert_eq!(no_reason.status, 400);
    assert!(no_reason.body.contains("skälet publiceras"));
    for (id, feasible, reason) in [
        (&ids[0], "yes", ""),
        (&ids[1], "yes", ""),
        (&ids[2], "no", "Marken är reserverad för skola."),
    ] {
        let judged = bo
            .post(
                &format!("{page}/projekt/{id}"),
                &[("feasible", feasible), ("reason", reason)],
            )
            .await;
        assert_eq!(judged.status, 303, "{}", judged.body);
    }
    assert_eq!(bo.post(&format!("{page}/oppna"), &[]).await.status, 303);
    let codes = bo.post(&format!("{page}/koder"), &[("count", "3")]).await;
    assert_eq!(codes.status, 200, "{}", codes.body);
    assert_eq!(codes.header("cache-control"), Some("no-store"));
    let codes: Vec<String> = codes
        .body
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().trim_matches('"').to_owned())
        .collect();
    assert_eq!(codes.len(), 3, "{codes:?}");

    // Before the first day the public page states the rules and the lot, but takes no vote.
    let public = "/kommun/0180/medborgarbudget/2027";
    let mut resident = app.visitor();
    let early = resident.get(public).await;
    assert_eq!(early.status, 200, "{}", early.body);
    assert!(
        early.body.contains("Lika andelar")
            && early.body.contains("Lottens ordning")
            && early.body.contains("Marken är reserverad för skola.")
            && !early.body.contains(r#"name="code""#),
        "{}",
        early.body
    );
    clock.set("2026-12-05T12:00:00Z");
    let form = resident.get(public).await;
    assert!(form.body.contains(r#"name="p" value=""#), "{}", form.body);
    // Each page the resident is shown carries a fresh token for its form.
    let vote = |csrf: String, code: &str, area: &str, projects: &[&str]| {
        let mut fields = vec![
            ("csrf".to_owned(), csrf),
            ("code".to_owned(), code.to_owned()),
            ("area".to_owned(), area.to_owned()),
        ];
        fields.extend(projects.iter().map(|p| ("p".to_owned(), (*p).to_owned())));
        fields
    };
    let send = |fields: Vec<(String, String)>| {
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        app.post(public).form(&pairs)
    };
    // A page elsewhere cannot vote in a resident's name.
    let forged = app
        .post(public)
        .form(&[("csrf", "x"), ("code", &codes[0]), ("p", &ids[0])])
        .send()
        .await;
    assert_eq!(forged.status, 403);
    // Over the budget: sent back beside the projects, with the ticks kept.
    let over = resident
        .send(send(vote(
            form.hidden("csrf"),
            &codes[0],
            "Norr",
            &[&ids[0], &ids[1]],
        )))
        .await;
    assert_eq!(over.status, 400, "{}", over.body);
    assert!(
        over.body.contains(r#"id="v-projects-error""#)
            && over.body.contains("mer än budgetens")
            && over.body.contains(" checked"),
        "{}",
        over.body
    );
    // The infeasible project is not on the ballot.
    let not_on = resident
        .send(send(vote(
            over.hidden("csrf"),
            &codes[0],
            "Norr",
            &[&ids[2]],
        )))
        .await;
    assert_eq!(not_on.status, 400);
    let ok = resident
        .send(send(vote(
            not_on.hidden("csrf"),
            &codes[0],
            "Norr",
            &[&ids[0]],
        )))
        .await;
    // Post/Redirect/Get: the ballot's answer sends the voter to the round's page, which
    // thanks them (a reload there sends nothing again).
    assert_eq!(ok.status, 303, "{}", ok.body);
    let thanked = ok.location().unwrap().to_owned();
    assert!(
        thanked.ends_with("/kommun/0180/medborgarbudget/2027?rostat=1"),
        "{thanked}"
    );
    let thanks = resident.get(&thanked).await;
    assert!(thanks.body.contains("Tack!") && !thanks.body.contains(r#"name="code""#));
    let csrf = resident.get(public).await.hidden("csrf");
    let again = resident
        .send(send(vote(csrf, &codes[0], "Norr", &[&ids[0]])))
        .await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains(r#"id="v-code-error""#) && again.body.contains("redan använts"));
    for (code, area, project) in [(&codes[1], "Söder", &ids[0]), (&codes[2], "Söder", &ids[1])] {
        let csrf = resident.get(public).await.hidden("csrf");
        let cast = resident
            .send(send(vote(csrf, code, area, &[project])))
            .await;
        assert_eq!(cast.status, 303, "{}", cast.body);
    }
    // Counted only after the last day; then the public page explains the result. (Days
    // passed: the session from before has expired.)
    let mut bo = app.logged_in("bo@kommun.se").await;
    let early_count = bo.post(&format!("{page}/rakna"), &[]).await;
    assert_eq!(early_count.status, 400, "{}", early_count.body);
    clock.set("2026-12-15T08:00:00Z");
    let mut bo = app.logged_in("bo@kommun.se").await;
    let counted = bo.post(&format!("{page}/rakna"), &[]).await;
    assert_eq!(counted.status, 303, "{}", counted.body);
    let result = app.get(public).send().await;
    assert_eq!(result.status, 200);
    assert!(
        result.body.contains("Får pengar")
            && result.body.contains("Vad varje regel skulle ha valt")
            && result.body.contains("Flest röster")
            && result.body.contains("hade tillsammans bara")
            && result.body.contains("3 röster av 3 utdelade koder")
            && result.body.contains("färre än 5"),
        "{}",
        result.body
    );
    let english = app.get("/en/kommun/0180/medborgarbudget/2027").send().await;
    assert!(english.body.contains("What each rule would have chosen"));
    let pb = app
        .get("/kommun/0180/medborgarbudget/2027/omgang.pb")
        .send()
        .await;
    assert_eq!(pb.status, 200);
    let read = kvalitet_formats::pabulib::read(&pb.body).unwrap();
    assert_eq!(read.election.ballots.len(), 3);
    assert_eq!(read.selected, vec![Some(true), Some(false)]);
    // A draft round has no public page.
    assert_eq!(
        app.get("/kommun/0180/medborgarbudget/finns-inte")
            .send()
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_pb_file_is_imported_or_refused_at_its_line() {
    let (app, _) = server().await;
    let mut bo = app.logged_in("bo@kommun.se").await;
    let file = "META\nkey;value\nnum_projects;2\nnum_votes;2\nbudget;100\nvote_type;approval\n\
                PROJECTS\nproject_id;cost;votes;name\np1;60;2;Lekplats\np2;;1;Bänkar\n\
                VOTES\nvoter_id;vote\n1;p1,p2\n2;p1\n";
    let fields = [
        ("code", "park"),
        ("title", "Parkbudget"),
        ("rule", "greedy"),
        ("first_day", "2026-01-01"),
        ("last_day", "2026-01-31"),
    ];
    let path = "/admin/kommun/0180/medborgarbudget/fil";
    let refused = bo.upload(path, &fields, "park.pb", file.as_bytes()).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("rad 10") && refused.body.contains(r#"id="i-file-error""#),
        "{}",
        refused.body
    );
    let fixed = file.replace("p2;;1", "p2;40;1");
    let made = bo.upload(path, &fields, "park.pb", fixed.as_bytes()).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let public = app.get("/kommun/0180/medborgarbudget/park").send().await;
    assert!(
        public.body.contains("Lekplats") && public.body.contains("Får pengar"),
        "{}",
        public.body
    );
}

/// A round identified by e-mail: the ballot asks for an address, nothing counts until the
/// mailed link is confirmed, an address votes once, and the round has no codes.
#[tokio::test]
async fn a_round_by_e_mail_counts_a_ballot_once_its_link_is_confirmed() {
    let (app, clock) = server().await;
    let mut bo = app.logged_in("bo@kommun.se").await;
    let round = [
        ("title", "Skolgårdar 2027"),
        ("code", "skolgard"),
        ("amount", "100000"),
        ("ballot_kind", "approval"),
        ("rule", "greedy"),
        ("identification", "email"),
        ("first_day", "2026-12-01"),
        ("last_day", "2026-12-14"),
    ];
    let made = bo.post("/admin/kommun/0180/medborgarbudget", &round).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = path_of(made.location());
    let added = bo
        .post(
            &format!("{page}/projekt"),
            &[
                ("code", "lek"),
                ("title", "Klätterställning"),
                ("cost", "60000"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let staff = bo.get(&page).await;
    let id: String = staff.body[staff.body.find("/projekt/").unwrap() + 9..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    bo.post(&format!("{page}/projekt/{id}"), &[("feasible", "yes")])
        .await;
    assert_eq!(bo.post(&format!("{page}/oppna"), &[]).await.status, 303);
    // No codes for a round by e-mail: not offered, and refused if asked for.
    let staff = bo.get(&page).await;
    assert!(
        staff.body.contains("bekräftad e-postadress") && !staff.body.contains("/koder"),
        "{}",
        staff.body
    );
    let codes = bo.post(&format!("{page}/koder"), &[("count", "3")]).await;
    assert_eq!(codes.status, 400, "{}", codes.body);

    clock.set("2026-12-05T12:00:00Z");
    // The staff session ended with the days that passed.
    let mut bo = app.logged_in("bo@kommun.se").await;
    let public = "/kommun/0180/medborgarbudget/skolgard";
    let mut eva = app.visitor();
    let form = eva.get(public).await;
    assert!(
        form.body.contains(r#"name="email""#) && !form.body.contains(r#"name="code""#),
        "{}",
        form.body
    );
    // Every problem at once, beside its field, the address kept as typed.
    let csrf = form.hidden("csrf");
    let bad = eva
        .send(
            app.post(public)
                .form(&[("csrf", csrf.as_str()), ("email", "eva")]),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains(r#"id="v-email-error""#)
            && bad.body.contains(r#"id="v-projects-error""#)
            && bad.body.contains(r#"value="eva""#),
        "{}",
        bad.body
    );
    let vote = |eva_csrf: String| {
        vec![
            ("csrf".to_owned(), eva_csrf),
            ("email".to_owned(), "eva@exempel.se".to_owned()),
            ("p".to_owned(), id.clone()),
        ]
    };
    let fields = vote(bad.hidden("csrf"));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sent = eva.send(app.post(public).form(&pairs)).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("eva@exempel.se"), "{}", sent.body);
    // Nothing counts before the link is confirmed; its page asks first.
    let staff = bo.get(&page).await;
    assert!(staff.body.contains("<dd>0</dd>"), "{}", staff.body);
    let link = app.mailed_link("eva@exempel.se").await;
    let asked = eva.get(&link).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(
        asked.body.contains("Bekräfta din röst") && asked.body.contains("Skolgårdar 2027"),
        "{}",
        asked.body
    );
    let csrf = asked.hidden("csrf");
    let done = eva
        .send(app.post(&link).form(&[("csrf", csrf.as_str())]))
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("Din röst är registrerad")
            && done
                .body
                .contains(r#"href="/kommun/0180/medborgarbudget/skolgard""#),
        "{}",
        done.body
    );
    let staff = bo.get(&page).await;
    assert!(staff.body.contains("<dd>1</dd>"), "{}", staff.body);
    // The same address again: a second link, refused when confirmed; still one ballot.
    let form = eva.get(public).await;
    let fields = vote(form.hidden("csrf"));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(eva.send(app.post(public).form(&pairs)).await.status, 200);
    let link = app.mailed_link("eva@exempel.se").await;
    let csrf = eva.get(&link).await.hidden("csrf");
    let twice = eva
        .send(app.post(&link).form(&[("csrf", csrf.as_str())]))
        .await;
    assert_eq!(twice.status, 400, "{}", twice.body);
    assert!(twice.body.contains("redan röstat"), "{}", twice.body);
    let staff = bo.get(&page).await;
    assert!(staff.body.contains("<dd>1</dd>"), "{}", staff.body);
}
