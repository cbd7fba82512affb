//! The surveys port with its use cases: a survey built as a draft, its questionnaire edited in
//! place until answered and versioned after (a changed question refused), opened, answered
//! through the open link and through personal links (one answer per link, also when two
//! answers race), closed (no more answers, the ties between people and answers cut), a
//! person's answer deleted on request, and personal data purged after the retention period.

use std::collections::BTreeMap;

use kvalitet_app::ports::prelude::*;
use kvalitet_app::ports::{Actor, StoreError, SurveyStatus};
use kvalitet_app::refusal::Refusal;
use kvalitet_app::surveys::{self, Invitee, Link, SurveySetup};
use kvalitet_store::SqlStore;

use crate::{load_catalogue, m, person, t};

both_backends!(
    a_survey_is_built_opened_answered_and_closed,
    a_personal_link_takes_one_answer_even_when_two_race,
    an_answered_question_cannot_change_its_meaning,
    personal_data_is_cut_deleted_on_request_and_purged,
    a_panel_has_members_waves_and_weighted_answers,
);

const SURVEY: &str = r#"
id = "bibliotek"
title = "Vad tycker du om biblioteket?"

[[sections]]
title = "Besöket"

[[sections.questions]]
id = "besokt"
kind = "single"
text = "Har du besökt biblioteket i år?"
required = true
options = [{ code = "ja", text = "Ja" }, { code = "nej", text = "Nej" }]

[[sections.questions]]
id = "nojd"
kind = "scale"
text = "Hur nöjd är du?"
dont_know = true
show_if = { question = "besokt", any_of = ["ja"] }
"#;

fn actor(who: &str) -> Actor {
    Actor {
        who: who.into(),
        at: t("2026-12-02T09:00:00Z"),
    }
}

fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
    let mut f: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        f.entry((*k).to_owned()).or_default().push((*v).to_owned());
    }
    f
}

fn setup(code: &str, open_link: bool) -> SurveySetup<'_> {
    SurveySetup {
        code,
        open_link,
        retention_days: 30,
    }
}

fn code_of(r: Result<impl std::fmt::Debug, Refusal>) -> String {
    match r {
        Err(refusal) => refusal.message().code.to_string(),
        Ok(v) => panic!("expected a refusal, got {v:?}"),
    }
}

async fn a_survey_is_built_opened_answered_and_closed(store: &SqlStore) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let (_, other) = person(store, "olle@annan.se", Some("0114")).await;
    let a = actor("anna@kommun.se");
    let muni = m("0180");
    let id = surveys::create(
        store,
        &anna,
        &muni,
        setup("bibliotek-2026", true),
        SURVEY,
        &a,
    )
    .await
    .unwrap();
    // Another municipality's people may neither build here nor see it.
    assert!(matches!(
        surveys::create(store, &other, &muni, setup("x", true), SURVEY, &a).await,
        Err(Refusal::Forbidden(_))
    ));
    assert!(matches!(
        surveys::for_staff(store, &other, &muni, id).await,
        Err(Refusal::Forbidden(_))
    ));
    // The code is the survey's address: once per municipality.
    assert_eq!(
        code_of(
            surveys::create(
                store,
                &anna,
                &muni,
                setup("bibliotek-2026", true),
                SURVEY,
                &a
            )
            .await
        ),
        "survey_code_taken"
    );
    // A bad set-up and a bad file are refused together, nothing written.
    let bad = surveys::create(
        store,
        &anna,
        &muni,
        SurveySetup {
            code: "a b",
            open_link: true,
            retention_days: 0,
        },
        "id = 'x'",
        &a,
    )
    .await;
    assert!(
        matches!(bad, Err(Refusal::BadRows(ref p)) if p.len() >= 3),
        "{bad:?}"
    );
    assert_eq!(store.surveys(&muni).await.unwrap().len(), 1);

    // A draft is not answerable, even by its address.
    let open = Link::Open {
        municipality: &muni,
        code: "bibliotek-2026",
    };
    assert!(matches!(
        surveys::for_respondent(store, open).await,
        Err(Refusal::NotFound(_))
    ));
    // Unanswered, the questionnaire is edited in place.
    let edited = SURVEY.replace("Hur nöjd är du?", "Hur nöjd är du med besöket?");
    assert_eq!(
        surveys::save_questionnaire(store, &anna, &muni, id, 1, &edited, &a)
            .await
            .unwrap(),
        1
    );
    // Opening is an administrator's step, and only from a draft.
    assert_eq!(
        code_of(
            surveys::set_status(
                store,
                &anna,
                &muni,
                id,
                SurveyStatus::Open,
                SurveyStatus::Draft,
                &a
            )
            .await
        ),
        "survey_status_step"
    );
    surveys::set_status(
        store,
        &anna,
        &muni,
        id,
        SurveyStatus::Draft,
        SurveyStatus::Open,
        &a,
    )
    .await
    .unwrap();
    assert_eq!(
        code_of(
            surveys::set_status(
                store,
                &anna,
                &muni,
                id,
                SurveyStatus::Draft,
                SurveyStatus::Open,
                &a
            )
            .await
        ),
        "survey_status_changed"
    );

    let survey = surveys::for_respondent(store, open).await.unwrap();
    assert_eq!(survey.questionnaire.questions().count(), 2);
    // A bad answer is refused beside its question; nothing is kept.
    let refused = surveys::submit(store, &survey, open, &form(&[("besokt", "kanske")]), a.at).await;
    assert!(
        matches!(refused, Err(Refusal::BadRows(ref p)) if p[0].field_problem().map(|(f, _)| f) == Some("besokt"))
    );
    for (visited, score) in [
        ("ja", "5"),
        ("ja", "4"),
        ("ja", "3"),
        ("ja", "4"),
        ("ja", "2"),
        ("ja", "vet_ej"),
        ("nej", "1"),
    ] {
        surveys::submit(
            store,
            &survey,
            open,
            &form(&[("besokt", visited), ("nojd", score)]),
            a.at,
        )
        .await
        .unwrap();
    }
    let results = surveys::results(store, &anna, &muni, id).await.unwrap();
    assert_eq!(results.responses, 7);
    assert!(
        results.rules.self_selected,
        "an open link's answers are self-selected"
    );
    let (_, visited) = &results.questions[0];
    assert_eq!(visited.answered, 7);
    assert_eq!(visited.options[0].count, 6);
    let (_, satisfied) = &results.questions[1];
    // The hidden question's answer (besökt = nej) was dropped; "vet ej" is counted apart.
    assert_eq!((satisfied.answered, satisfied.dont_know), (5, 1));
    let mean = satisfied.mean.unwrap().unweighted;
    assert!((mean.value - 3.6).abs() < 1e-12 && mean.margin.is_none());
    let stored = store.responses(&muni, id).await.unwrap();
    assert!(
        stored
            .iter()
            .all(|r| r.self_selected && r.answered_on == "2026-12-02")
    );

    surveys::set_status(
        store,
        &anna,
        &muni,
        id,
        SurveyStatus::Open,
        SurveyStatus::Closed,
        &a,
    )
    .await
    .unwrap();
    assert_eq!(
        code_of(surveys::for_respondent(store, open).await),
        "survey_not_open"
    );
    // A page opened before the close is refused on sending.
    assert_eq!(
        code_of(surveys::submit(store, &survey, open, &form(&[("besokt", "nej")]), a.at).await),
        "survey_not_open"
    );
    assert_eq!(store.responses(&muni, id).await.unwrap().len(), 7);
    let events = store.audit_events(Some(&muni), 100).await.unwrap();
    for action in ["survey.create", "survey.version", "survey.status"] {
        assert!(events.iter().any(|e| e.action == action), "{action}");
    }
}

async fn a_personal_link_takes_one_answer_even_when_two_race(store: &SqlStore) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let a = actor("anna@kommun.se");
    let muni = m("0180");
    let id = surveys::create(store, &anna, &muni, setup("panel", false), SURVEY, &a)
        .await
        .unwrap();
    let invitees = surveys::read_invitation_list(
        "email,age_band,area\nEva@Example.se,30-44,Norr\n,65-,Söder\nkim@example.se,18-29,\n",
    )
    .unwrap();
    assert_eq!(invitees[0].email.as_deref(), Some("eva@example.se"));
    let links = surveys::make_links(store, &anna, &muni, id, invitees, &a)
        .await
        .unwrap();
    assert_eq!(links.len(), 3);
    surveys::set_status(
        store,
        &anna,
        &muni,
        id,
        SurveyStatus::Draft,
        SurveyStatus::Open,
        &a,
    )
    .await
    .unwrap();
    // No open link on this survey: its address leads nowhere.
    let open = Link::Open {
        municipality: &muni,
        code: "panel",
    };
    assert!(matches!(
        surveys::for_respondent(store, open).await,
        Err(Refusal::NotFound(_))
    ));
    assert!(matches!(
        surveys::for_respondent(store, Link::Personal("not-a-token")).await,
        Err(Refusal::NotFound(_))
    ));
    let (_, token) = &links[0];
    let link = Link::Personal(token);
    let survey = surveys::for_respondent(store, link).await.unwrap();
    let answer = form(&[("besokt", "ja"), ("nojd", "4")]);
    // Two answers sent on one link at the same moment: exactly one is kept.
    let (first, second) = tokio::join!(
        surveys::submit(store, &survey, link, &answer, a.at),
        surveys::submit(store, &survey, link, &answer, a.at),
    );
    assert_eq!(
        [first.is_ok(), second.is_ok()]
            .iter()
            .filter(|ok| **ok)
            .count(),
        1,
        "{first:?} {second:?}"
    );
    let lost = if first.is_err() { first } else { second };
    assert_eq!(code_of(lost), "survey_link_used");
    assert_eq!(
        code_of(surveys::for_respondent(store, link).await),
        "survey_link_used"
    );
    let stored = store.responses(&muni, id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].self_selected);
    // The invitation's background came with the answer; the address did not.
    assert!(stored[0].background.contains("30-44") && !stored[0].background.contains("eva"));
    let invitations = store.invitations(&muni, id).await.unwrap();
    assert_eq!(
        invitations.iter().map(|i| i.answered).collect::<Vec<_>>(),
        [true, false, false]
    );
    let record = store
        .survey(&muni, Some(id), "", true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((record.invited, record.answered_invitations), (3, 1));
    let results = surveys::results(store, &anna, &muni, id).await.unwrap();
    assert!(!results.rules.self_selected);
}

async fn an_answered_question_cannot_change_its_meaning(store: &SqlStore) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let a = actor("anna@kommun.se");
    let muni = m("0180");
    let id = surveys::create(store, &anna, &muni, setup("bibliotek", true), SURVEY, &a)
        .await
        .unwrap();
    surveys::set_status(
        store,
        &anna,
        &muni,
        id,
        SurveyStatus::Draft,
        SurveyStatus::Open,
        &a,
    )
    .await
    .unwrap();
    let open = Link::Open {
        municipality: &muni,
        code: "bibliotek",
    };
    let survey = surveys::for_respondent(store, open).await.unwrap();
    surveys::submit(store, &survey, open, &form(&[("besokt", "nej")]), a.at)
        .await
        .unwrap();
    // Once answered, a question that keeps its id must keep its meaning.
    let changed = SURVEY.replace("Hur nöjd är du?", "Hur missnöjd är du?");
    let refused = surveys::save_questionnaire(store, &anna, &muni, id, 1, &changed, &a).await;
    assert!(
        matches!(refused, Err(Refusal::BadRows(ref p)) if p.len() == 1 && p[0].code == "at_question"),
        "{refused:?}"
    );
    // A translation, or a new question, makes version 2; answers of version 1 stay.
    let translated = SURVEY.replace(
        "text = \"Hur nöjd är du?\"",
        "text = \"Hur nöjd är du?\"\ntext_en = \"How satisfied are you?\"",
    );
    assert_eq!(
        surveys::save_questionnaire(store, &anna, &muni, id, 1, &translated, &a)
            .await
            .unwrap(),
        2
    );
    // An editor who still had version 1 open is refused, not overwriting version 2.
    assert_eq!(
        code_of(surveys::save_questionnaire(store, &anna, &muni, id, 1, &translated, &a).await),
        "survey_version_changed"
    );
    // A page of version 1 sent after version 2 was saved is refused (asked again).
    assert_eq!(
        code_of(surveys::submit(store, &survey, open, &form(&[("besokt", "nej")]), a.at).await),
        "survey_version_changed"
    );
    let stored = store.responses(&muni, id).await.unwrap();
    assert_eq!(stored.iter().map(|r| r.version).collect::<Vec<_>>(), [1]);
}

async fn personal_data_is_cut_deleted_on_request_and_purged(store: &SqlStore) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let a = actor("anna@kommun.se");
    let muni = m("0180");
    let id = surveys::create(store, &anna, &muni, setup("hme-2026", false), SURVEY, &a)
        .await
        .unwrap();
    let people = (0..3)
        .map(|i| Invitee {
            email: Some(format!("p{i}@example.se")),
            background: BTreeMap::new(),
        })
        .collect();
    let links = surveys::make_links(store, &anna, &muni, id, people, &a)
        .await
        .unwrap();
    surveys::set_status(
        store,
        &anna,
        &muni,
        id,
        SurveyStatus::Draft,
        SurveyStatus::Open,
        &a,
    )
    .await
    .unwrap();
    for (_, token) in &links[..2] {
        let link = Link::Personal(token);
        let survey = surveys::for_respondent(store, link).await.unwrap();
        surveys::submit(store, &survey, link, &form(&[("besokt", "nej")]), a.at)
            .await
            .unwrap();
    }
    let invitations = store.invitations(&muni, id).await.unwrap();
    // While open, a person's answer goes with their invitation on request.
    assert!(
        store
            .delete_invitation(&muni, id, invitations[0].id, &a)
            .await
            .unwrap()
    );
    assert_eq!(store.responses(&muni, id).await.unwrap().len(), 1);
    assert!(matches!(
        store
            .delete_invitation(&muni, id, invitations[0].id, &a)
            .await,
        Err(StoreError::NotFound(_))
    ));
    surveys::set_status(
        store,
        &anna,
        &muni,
        id,
        SurveyStatus::Open,
        SurveyStatus::Closed,
        &a,
    )
    .await
    .unwrap();
    // Closed, no answer can be traced to a person any more: deleting the invitation leaves
    // the answers.
    assert!(
        !store
            .delete_invitation(&muni, id, invitations[1].id, &a)
            .await
            .unwrap()
    );
    assert_eq!(store.responses(&muni, id).await.unwrap().len(), 1);
    // Within the retention period the addresses stay; after it they go, the answers stay.
    assert_eq!(
        store
            .purge_survey_personal_data(t("2026-12-20T00:00:00Z"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .purge_survey_personal_data(t("2027-01-02T09:00:01Z"))
            .await
            .unwrap(),
        1
    );
    assert!(store.invitations(&muni, id).await.unwrap().is_empty());
    assert_eq!(store.responses(&muni, id).await.unwrap().len(), 1);
    let events = store.audit_events(Some(&muni), 100).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == "survey.invitation_delete")
    );
    assert!(
        !events
            .iter()
            .any(|e| e.after.as_ref().is_some_and(|a| a.contains("p0@")))
    );
}

const MEMBERS: &str = "email,recruitment,age_band,sex\n\
a@x.se,probability,18-39,K\nb@x.se,probability,18-39,M\nc@x.se,probability,40-,K\n\
d@x.se,self,40-,M\ne@x.se,self,40-,M\nf@x.se,probability,40-,M\n";

const POPULATION: &str = "variable,level,share\nage_band,18-39,0.5\nage_band,40-,0.5\n\
sex,K,0.5\nsex,M,0.5\n";

async fn a_panel_has_members_waves_and_weighted_answers(store: &SqlStore) {
    use kvalitet_app::panels;
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let a = actor("anna@kommun.se");
    let muni = m("0180");
    let panel = panels::create(store, &anna, &muni, "panelen", "Medborgarpanelen", &a)
        .await
        .unwrap();
    assert_eq!(
        code_of(panels::create(store, &anna, &muni, "panelen", "Igen", &a).await),
        "panel_code_taken"
    );
    // A bad list is refused whole, each problem at its place.
    let bad = panels::add_members(
        store,
        &anna,
        &muni,
        panel,
        "email,recruitment\nx@x.se,lottad\nnot-an-address,self\n",
        "2026-12-02",
        &a,
    )
    .await;
    assert!(
        matches!(bad, Err(Refusal::BadRows(ref p)) if p.len() == 2),
        "{bad:?}"
    );
    assert_eq!(
        panels::add_members(store, &anna, &muni, panel, MEMBERS, "2026-12-02", &a)
            .await
            .unwrap(),
        6
    );
    // A member leaves; a replacement names them (only once they have left).
    let members = store.members(&muni, panel).await.unwrap();
    let replacement =
        "email,recruitment,replaces,age_band,sex\ng@x.se,probability,b@x.se,18-39,M\n";
    assert!(matches!(
        panels::add_members(store, &anna, &muni, panel, replacement, "2026-12-02", &a).await,
        Err(Refusal::BadRows(ref p))
            if p.len() == 1 && format!("{:?}", p[0]).contains("panel_replaces_active")
    ));
    panels::leave(store, &anna, &muni, panel, members[1].id, "2026-12-02", &a)
        .await
        .unwrap();
    panels::add_members(store, &anna, &muni, panel, replacement, "2026-12-03", &a)
        .await
        .unwrap();
    let members = store.members(&muni, panel).await.unwrap();
    assert_eq!(members.len(), 7);
    assert_eq!(members[6].replaces, Some(members[1].id));
    assert_eq!(members[1].left_on.as_deref(), Some("2026-12-02"));

    // The population margins, and the panel beside them.
    assert!(matches!(
        panels::set_margins(store, &anna, &muni, panel, "31 dec", POPULATION, &a).await,
        Err(Refusal::Invalid(_))
    ));
    panels::set_margins(store, &anna, &muni, panel, "2025-12-31", POPULATION, &a)
        .await
        .unwrap();
    let p = panels::load(store, &anna, &muni, panel).await.unwrap();
    assert_eq!(p.reference_date.as_deref(), Some("2025-12-31"));
    let shares = panels::representativeness(&p);
    // Six active members: two 18-39, four 40-.
    let age = &shares[0];
    assert_eq!(age.variable, "age_band");
    assert_eq!(
        age.levels.iter().map(|l| l.members).collect::<Vec<_>>(),
        [2, 4]
    );
    assert!(
        (age.discrepancy - (100.0 / 6.0 * 2.0)).abs() < 1e-9,
        "{age:?}"
    );

    // A wave: every active member gets a link carrying their background.
    let survey = surveys::create(store, &anna, &muni, setup("omgang-1", false), SURVEY, &a)
        .await
        .unwrap();
    let links = panels::start_wave(store, &anna, &muni, panel, survey, &a)
        .await
        .unwrap();
    assert_eq!(links.len(), 6, "the member who left is not invited");
    surveys::set_status(
        store,
        &anna,
        &muni,
        survey,
        SurveyStatus::Draft,
        SurveyStatus::Open,
        &a,
    )
    .await
    .unwrap();
    // Everyone but f (40-, M) answers: both ages and both sexes answer in both age bands,
    // so raking can meet both margins.
    let answering = links.iter().enumerate().filter(|(i, _)| *i != 4);
    for (k, (_, (_, token))) in answering.enumerate() {
        let link = Link::Personal(token);
        let s = surveys::for_respondent(store, link).await.unwrap();
        let score = ["5", "4", "2", "3", "1"][k];
        surveys::submit(
            store,
            &s,
            link,
            &form(&[("besokt", "ja"), ("nojd", score)]),
            a.at,
        )
        .await
        .unwrap();
    }
    let p = panels::load(store, &anna, &muni, panel).await.unwrap();
    assert_eq!((p.waves[0].answered, p.waves[0].invited), (5, 6));
    assert_eq!(p.cumulative(), (5, 6));
    // Weighted to the population: the weighted answers match the margins.
    let w = panels::weight_wave(store, &anna, &muni, survey, &a)
        .await
        .unwrap();
    assert!(w.converged && w.weighted == 5 && w.deff > 1.0, "{w:?}");
    let results = surveys::results(store, &anna, &muni, survey).await.unwrap();
    assert!(results.weighted && !results.rules.self_selected);
    let stored = store.responses(&muni, survey).await.unwrap();
    let young: f64 = stored
        .iter()
        .filter(|r| r.background.contains("18-39"))
        .filter_map(|r| r.weight)
        .sum();
    let all: f64 = stored.iter().filter_map(|r| r.weight).sum();
    assert!((young / all - 0.5).abs() < 1e-6, "{young} of {all}");
    // A panel's wave keeps who answered when it closes (the panel follows its members).
    surveys::set_status(
        store,
        &anna,
        &muni,
        survey,
        SurveyStatus::Open,
        SurveyStatus::Closed,
        &a,
    )
    .await
    .unwrap();
    let invitations = store.invitations(&muni, survey).await.unwrap();
    assert!(
        store
            .delete_invitation(&muni, survey, invitations[0].id, &a)
            .await
            .unwrap(),
        "the member's answer goes with them on request"
    );
    let p = panels::load(store, &anna, &muni, panel).await.unwrap();
    let series = panels::series(store, &anna, &muni, &p).await.unwrap();
    assert_eq!(series.len(), 1, "{series:?}");
    assert_eq!(series[0].question, "nojd");
    assert!(
        series[0].points[0].1.is_none(),
        "four answers left: too few to show"
    );
}
