//! One conformance suite for both backends. Every test runs on a fresh SQLite file; the
//! `postgres::` copies run on a fresh PostgreSQL database when `TEST_POSTGRES_URL` is set
//! (`.ci/run` sets it) and say they were skipped otherwise.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use kvalitet_app::ports::prelude::*;
use kvalitet_app::ports::{
    CatalogueBatch, ChangeSet, ImportChunk, ImportSource, StoreError, ValueFilter, WriteCounts,
};
use kvalitet_domain::access::AttemptLimit;
use kvalitet_domain::{
    AreaId, County, Datum, Direction, Gender, GroupId, GroupKind, KoladaMeta, Measure, MeasureId,
    MeasureProfile, MeasureSet, MeasureSetArea, MeasureSetItem, MissingStatus, Municipality,
    MunicipalityGroup, MunicipalityId, MunicipalityKind, ValueKey, ValueRow, Year,
};
use kvalitet_store::SqlStore;
use tokio::sync::mpsc;

/// A store on a fresh database, and what to remove afterwards.
struct Fresh {
    store: SqlStore,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    Fresh {
        store: SqlStore::open(&url).await.unwrap(),
        _dir: Some(dir),
    }
}

async fn postgres() -> Option<Fresh> {
    let admin_url = std::env::var("TEST_POSTGRES_URL").ok()?;
    let admin = SqlStore::connect(&admin_url).await.unwrap();
    let name = format!("kvalitet_test_{}_{}", std::process::id(), rand_suffix());
    let SqlStore::Postgres(pool) = &admin else {
        panic!("TEST_POSTGRES_URL must be postgres://")
    };
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(pool)
        .await
        .unwrap();
    admin.close().await;
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let store = SqlStore::open(&format!("{base}/{name}")).await.unwrap();
    Some(Fresh { store, _dir: None })
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    h.finish() % 1_000_000_000
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(#[tokio::test]
            async fn $name() {
                let fresh = super::sqlite().await;
                super::$name(&fresh.store).await;
            })*
        }
        mod postgres_backend {
            $(#[tokio::test]
            async fn $name() {
                match super::postgres().await {
                    Some(fresh) => super::$name(&fresh.store).await,
                    None => eprintln!("skipped: TEST_POSTGRES_URL is not set"),
                }
            })*
        }
    };
}

both_backends!(
    catalogue_round_trips_and_reimport_changes_nothing,
    measure_texts_are_kept_per_year,
    values_are_inserted_updated_or_left_alone_with_revisions_kept,
    deletions_leave_the_value_in_the_history,
    an_import_without_commit_writes_nothing,
    missing_statuses_and_group_counts_round_trip,
    export_filters_and_orders_values,
    measure_sets_round_trip,
    overview_counts_what_is_loaded,
    an_unfinished_sync_is_resumed_with_its_finished_queries,
    measure_values_all_values_and_shapes_read_back,
    people_roles_sessions_and_their_audit_trail,
    own_measures_drafts_publishing_and_comments,
    publishing_takes_exactly_the_drafts_shown,
    a_measure_keeps_its_owner,
    every_role_every_action_own_and_other_municipality,
    frameworks_are_kept_per_version,
    assessment_rounds_go_from_answers_through_consensus_to_published_measures,
    survey_rounds_import_distributions_and_leave_out_thin_statements,
    service_rounds_register_contacts_compute_figures_and_publish,
);

/// A national service round through the use cases: members, questions and plan; bad
/// contact files refused whole with every problem named; contacts from CSV and from a
/// tester's phone form (Swedish time across the change to summer time); survey answers; the
/// figures, their spread and warnings; publishing them as measures.
async fn service_rounds_register_contacts_compute_figures_and_publish(store: &SqlStore) {
    use kvalitet_app::ports::Actor;
    use kvalitet_app::service::{self as s, ContactFields, FigureKind, RoundForm, ServiceError};
    load_catalogue(store).await;
    let actor = Actor {
        who: "samordnare@skr.se".into(),
        at: "2026-11-23T09:00:00Z".into(),
    };
    let coordinator = kvalitet_domain::Grants {
        system_admin: true,
        roles: vec![],
    };
    let admin_0180 = kvalitet_domain::Grants {
        system_admin: false,
        roles: vec![(m("0180"), kvalitet_domain::Role::Admin)],
    };
    let form = |organiser: &str| RoundForm {
        title: "Servicemätning 2025".into(),
        year: "2025".into(),
        organiser: organiser.into(),
        partly_counts: true,
        min_tests: "10".into(),
        closed_days: String::new(),
    };
    assert!(matches!(
        s::create_round(store, &admin_0180, &form(""), &actor).await,
        Err(ServiceError::Forbidden(_))
    ));
    let own = s::create_round(store, &admin_0180, &form("0180"), &actor)
        .await
        .unwrap();
    let round = s::create_round(store, &coordinator, &form(""), &actor)
        .await
        .unwrap();
    assert_ne!(own, round);
    let known: std::collections::HashSet<MunicipalityId> =
        [m("0114"), m("0180"), m("1280")].into_iter().collect();
    assert!(matches!(
        s::set_members(store, &coordinator, round, "0180, 9999", &known, &actor).await,
        Err(ServiceError::BadRows(_))
    ));
    assert!(
        matches!(
            s::set_members(store, &admin_0180, own, "0180 1280", &known, &actor).await,
            Err(ServiceError::BadRows(_))
        ),
        "a municipality's own round tests only itself"
    );
    s::set_members(store, &coordinator, round, "0180, 1280", &known, &actor)
        .await
        .unwrap();
    s::set_questions(store, &coordinator, round,
        "id;area;text\nq1;bygglov;Behöver jag bygglov för en altan?\nq2;förskola;Hur söker jag förskoleplats?\n", &actor)
        .await
        .unwrap();
    s::set_plan(store, &coordinator, round,
        "municipality_id;question_id;channel;planned_on;tester\n1280;q2;email;2025-03-28;Testare@skr.se\n", &actor)
        .await
        .unwrap();
    let err = s::set_plan(
        store,
        &coordinator,
        round,
        "municipality_id;question_id;channel;planned_on;tester\n0114;q9;fax;igår;nobody\n",
        &actor,
    )
    .await
    .unwrap_err();
    let ServiceError::BadRows(problems) = err else {
        panic!("{err:?}")
    };
    assert_eq!(problems.len(), 5, "{problems:?}");

    let header = "municipality_id,question_id,channel,tester,sent_at,answered_at,relevance,direct_answer,wait_seconds,reception,note\n";
    let bad = format!(
        "{header}\
0180,q1,email,t@skr.se,2025-03-03T09:00:00+01:00,2025-03-03T08:00:00+01:00,yes,,,,\n\
0180,q1,phone,t@skr.se,2025-03-03T09:00:00+01:00,,,yes,40,4,\n\
0180,q2,email,t@skr.se,2025-03-03T09:00:00,,,,,,\n\
0114,q2,phone,t@skr.se,2025-03-03T09:00:00+01:00,,,no,10,2,\n\
1280,q1,phone,t@skr.se,2025-03-03T10:00:00+01:00,,,yes,30,2,\n\
1280,q1,phone,t@skr.se,2025-03-04T10:00:00+01:00,,,no,30,2,\n"
    );
    let err = s::import_contacts(
        store,
        &coordinator,
        "samordnare@skr.se",
        round,
        &bad,
        &actor,
    )
    .await
    .unwrap_err();
    let ServiceError::BadRows(problems) = err else {
        panic!("{err:?}")
    };
    let expect = [
        "line 2: answered_at: the answer came before the question was sent",
        "line 3, column 10 (reception): \"4\" is outside 0–3",
        "line 4, column 5 (sent_at): \"2025-03-03T09:00:00\" has no time zone",
        "line 5, column 1 (municipality_id): 0114 is not a municipality of this round",
        "line 7: question \"q1\" to 1280 by phone is a duplicate contact (first on line 6)",
    ];
    assert_eq!(problems.len(), expect.len(), "{problems:#?}");
    for (p, e) in problems.iter().zip(expect) {
        assert!(p.starts_with(e), "{p} / {e}");
    }
    assert!(
        store
            .service_content(round)
            .await
            .unwrap()
            .contacts
            .is_empty(),
        "nothing written"
    );

    let good = format!(
        "{header}\
0180,q1,email,t@skr.se,2025-03-03T09:00:00+01:00,2025-03-04T10:00:00+01:00,yes,,,,\n\
0180,q2,email,t@skr.se,2025-03-03T09:00:00+01:00,2025-03-06T10:00:00+01:00,yes,,,,\n\
0180,q1,phone,t@skr.se,2025-03-03T09:00:00+01:00,,,ja,1:35,3,\n\
0180,q2,phone,t@skr.se,2025-03-03T09:30:00+01:00,,,nej,20,1,\"Kopplades runt, \"\"vänta\"\"\"\n\
1280,q1,email,t@skr.se,2025-03-03T09:00:00Z,,,,,,aldrig besvarad\n\
1280,q1,phone,t@skr.se,2025-03-03T10:00:00+01:00,,,yes,30,2,\n"
    );
    assert_eq!(
        s::import_contacts(
            store,
            &coordinator,
            "samordnare@skr.se",
            round,
            &good,
            &actor
        )
        .await
        .unwrap(),
        6
    );
    // The planned tester registers by phone in Swedish time: sent Friday 28 March 16:00,
    // answered Monday 31 March 08:30, after the clocks went forward: one working day.
    let tester = kvalitet_domain::Grants::default();
    let fields = ContactFields {
        municipality: "1280".into(),
        question: "q2".into(),
        channel: "email".into(),
        sent_at: "2025-03-28T16:00".into(),
        answered_at: "2025-03-31T08:30".into(),
        relevance: "delvis".into(),
        ..ContactFields::default()
    };
    // Someone not in the plan is not told that the unpublished round exists.
    assert!(matches!(
        s::register_contact(store, &tester, "someone@else.se", round, &fields, &actor).await,
        Err(ServiceError::NotFound(_))
    ));
    s::register_contact(store, &tester, "testare@skr.se", round, &fields, &actor)
        .await
        .unwrap();
    assert!(
        matches!(
            s::register_contact(store, &tester, "testare@skr.se", round, &fields, &actor).await,
            Err(ServiceError::Invalid(_))
        ),
        "a duplicate contact"
    );
    let stored = store.service_content(round).await.unwrap();
    assert_eq!(stored.contacts.len(), 7);
    let phone = stored
        .contacts
        .iter()
        .find(|c| c.contact.question == "q2" && c.contact.municipality == m("1280"))
        .unwrap();
    assert_eq!(phone.contact.tester, "testare@skr.se");
    assert_eq!(
        phone.contact.sent_at,
        time::macros::datetime!(2025-03-28 15:00 UTC)
    );
    assert!(
        stored
            .contacts
            .iter()
            .any(|c| c.contact.note == "Kopplades runt, \"vänta\"")
    );

    s::import_survey(store, &coordinator, round,
        "municipality_id;channel;question;got_answer;1;2;3;4;5\n0180;phone;reception;ja;10;10;20;60;100\n0180;email;ease;nej;5;5;5;5;5\n0180;email;ease;ja;1;1;1;1;1\n", &actor)
        .await
        .unwrap();
    assert!(
        matches!(
            s::import_survey(
                store,
                &coordinator,
                round,
                "municipality_id;channel;question;1;2;3;4;5\n0180;phone;clarity;1;1;1;1;1\n",
                &actor
            )
            .await,
            Err(ServiceError::BadRows(_))
        ),
        "the telephone survey has no clarity question"
    );

    let r = s::round(store, round).await.unwrap();
    let res = s::results(&r, &store.service_content(round).await.unwrap());
    let fig = |muni: &str, k: FigureKind| {
        res.municipalities
            .iter()
            .find(|x| x.municipality == m(muni))
            .unwrap()
            .figures[&k]
    };
    // 0180: e-mails answered in 1 and 3 working days: 50 % within two, 50 % within one.
    assert_eq!(fig("0180", FigureKind::EmailWithinTwo).value, 50.0);
    assert_eq!(fig("0180", FigureKind::EmailWithinOne).value, 50.0);
    assert_eq!(fig("0180", FigureKind::DirectAnswer).value, 50.0);
    assert!(
        (fig("0180", FigureKind::Reception).value - 400.0 / 6.0).abs() < 1e-9,
        "3 + 1 of 6 points"
    );
    assert!((fig("0180", FigureKind::PhoneReceptionIndex).value - 78.75).abs() < 1e-9);
    assert!(
        fig("0180", FigureKind::EmailEaseIndex).unreliable,
        "5 answers"
    );
    // 1280: one e-mail never answered, one (partly relevant) in one working day.
    assert_eq!(fig("1280", FigureKind::EmailWithinOne).value, 50.0);
    assert_eq!(fig("1280", FigureKind::DirectAnswer).value, 100.0);
    assert!(fig("1280", FigureKind::DirectAnswer).unreliable, "one call");
    let direct = res.spread[&FigureKind::DirectAnswer];
    assert_eq!(
        (direct.mean, direct.min, direct.max, direct.n),
        (75.0, 50.0, 100.0, 2)
    );

    // A tested municipality's administrator does not run (nor see) the national round.
    assert!(matches!(
        s::publish(store, &admin_0180, round, &actor).await,
        Err(ServiceError::NotFound(_))
    ));
    let n = s::publish(store, &coordinator, round, &actor)
        .await
        .unwrap();
    assert_eq!(
        n, 9,
        "4 + 4 test figures and one survey index with 200 answers"
    );
    // Published figures say where they come from: not Kolada.
    assert_eq!(
        store
            .measure(&kpi("SERV-TELBEM"))
            .await
            .unwrap()
            .map(|m| m.origin),
        Some(kvalitet_domain::MeasureOrigin::Service)
    );
    let v = store
        .measure_values(&kpi("SERV-TELBEM"), Gender::Total)
        .await
        .unwrap();
    assert!((number(&v.values[0].datum) - 78.75).abs() < 1e-9);
    assert!(
        store
            .measure_values(&kpi("SERV-EPENK"), Gender::Total)
            .await
            .unwrap()
            .values
            .is_empty()
    );
    assert!(store.measure_set("servicematning").await.unwrap().is_some());
    let notes = store
        .comments(&kpi("SERV-DIREKT"), &m("1280"))
        .await
        .unwrap();
    assert!(
        notes[0]
            .body
            .starts_with("Osäker siffra: den bygger på 1 test;"),
        "{notes:?}"
    );
    assert!(
        matches!(
            s::import_contacts(
                store,
                &coordinator,
                "samordnare@skr.se",
                round,
                &good,
                &actor
            )
            .await,
            Err(ServiceError::Invalid(_))
        ),
        "a published round does not change"
    );
    let actions: Vec<String> = store
        .audit_events(None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "service.create",
        "service.setup",
        "service.contacts",
        "service.survey",
        "service.publish",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} missing from {actions:?}"
        );
    }
    // A national round's contacts, survey and publishing are also in each municipality's trail.
    let own_trail: Vec<String> = store
        .audit_events(Some(&m("0180")), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in ["service.contacts", "service.survey", "service.publish"] {
        assert!(
            own_trail.iter().any(|x| x == a),
            "{a} missing from {own_trail:?}"
        );
    }
}

const ROUND_FRAMEWORK: &str = r#"
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
text = "Finns information?"
subarea = "Webb"
rule = "choice"
options = [["Nej", 0], ["Delvis", 1], ["Ja", 3]]

[[areas.questions]]
id = "a2"
text = "Är den lätt att hitta?"
subarea = "Webb"
rule = "choice"
options = [["Nej", 0], ["Delvis", 1], ["Ja", 3]]

[[areas]]
id = "b"
title = "Dialog"
aggregation = "percent_of_max"

[[areas.questions]]
id = "b1"
text = "Förs dialog?"
rule = "choice"
options = [["Nej", 0], ["Delvis", 1], ["Ja", 3]]
"#;

async fn load_framework(store: &SqlStore, text: &str) {
    let f = kvalitet_formats::framework_toml::read(text).unwrap();
    let batch = CatalogueBatch {
        frameworks: vec![(f, text.to_owned())],
        ..CatalogueBatch::default()
    };
    import(
        store,
        vec![ImportChunk::Catalogue(Box::new(batch)), ImportChunk::Commit],
    )
    .await
    .unwrap();
}

async fn person(
    store: &SqlStore,
    email: &str,
    admin_of: Option<&str>,
) -> (i64, kvalitet_domain::Grants) {
    use kvalitet_app::ports::{Actor, NewUser};
    let actor = Actor {
        who: "cli:root".into(),
        at: "2026-11-22T10:00:00Z".into(),
    };
    let id = store
        .create_user(
            &NewUser {
                email: email.into(),
                name: email.into(),
                password_hash: "$argon2id$x".into(),
                system_admin: false,
            },
            &actor,
        )
        .await
        .unwrap();
    let mut grants = kvalitet_domain::Grants::default();
    if let Some(muni) = admin_of {
        store
            .set_role(id, &m(muni), Some(kvalitet_domain::Role::Admin), &actor)
            .await
            .unwrap();
        grants.roles.push((m(muni), kvalitet_domain::Role::Admin));
    }
    (id, grants)
}

/// The whole flow of a round through the use cases: assessors answer on their own, bad
/// answers are refused without writing, the consensus step needs a reason where they
/// differ, the status flow keeps four eyes, and publishing makes measures compared among
/// those who published.
async fn assessment_rounds_go_from_answers_through_consensus_to_published_measures(
    store: &SqlStore,
) {
    use kvalitet_app::assessments::{self as a, AnswerForm, AssessError, DecisionForm};
    use kvalitet_app::ports::{Actor, NewRound, RoundFilter};
    use kvalitet_domain::round::{Agreement, AssessorRole, RoundKind, Status, Step};
    load_catalogue(store).await;
    load_framework(store, ROUND_FRAMEWORK).await;
    let (admin, admin_g) = person(store, "admin@sthlm.se", Some("0180")).await;
    let (lead, lead_g) = person(store, "lead@skr.se", None).await;
    let (eval, eval_g) = person(store, "eval@skr.se", None).await;
    let (_, malmo_g) = person(store, "admin@malmo.se", Some("1280")).await;
    let actor = |who: &str| Actor {
        who: who.into(),
        at: "2026-11-23T09:00:00Z".into(),
    };
    let new = |muni: &str, year: i64| NewRound {
        municipality: m(muni),
        framework_id: "dx".into(),
        framework_version: "1".into(),
        kind: RoundKind::External,
        title: "Utvärdering".into(),
        year: Year::new(year).unwrap(),
    };
    assert!(matches!(
        a::create_round(
            store,
            &malmo_g,
            &new("0180", 2025),
            &actor("admin@malmo.se")
        )
        .await,
        Err(AssessError::Forbidden(_))
    ));
    let mut unknown = new("0180", 2025);
    unknown.framework_version = "9".into();
    assert!(matches!(
        a::create_round(store, &admin_g, &unknown, &actor("admin@sthlm.se")).await,
        Err(AssessError::NotFound(_))
    ));
    let round = a::create_round(
        store,
        &admin_g,
        &new("0180", 2025),
        &actor("admin@sthlm.se"),
    )
    .await
    .unwrap();
    let lead_role = Some(AssessorRole::Lead);
    assert!(
        a::set_assessor(
            store,
            &lead_g,
            round,
            "lead@skr.se",
            lead_role,
            &actor("lead@skr.se")
        )
        .await
        .is_err(),
        "an assessor does not appoint themself"
    );
    a::set_assessor(
        store,
        &admin_g,
        round,
        "lead@skr.se",
        lead_role,
        &actor("admin@sthlm.se"),
    )
    .await
    .unwrap();
    a::set_assessor(
        store,
        &admin_g,
        round,
        "EVAL@skr.se",
        Some(AssessorRole::Evaluator),
        &actor("admin@sthlm.se"),
    )
    .await
    .unwrap();
    assert!(matches!(
        a::set_assessor(
            store,
            &admin_g,
            round,
            "nobody@x.se",
            lead_role,
            &actor("admin@sthlm.se")
        )
        .await,
        Err(AssessError::Invalid(_))
    ));

    let form = |q: &str, answer: &str| AnswerForm {
        question: q.into(),
        answer: answer.into(),
        evidence: format!("underlag {q}"),
        ..AnswerForm::default()
    };
    // Bad answers: nothing is written, every problem is named.
    let err = a::save_answers(
        store,
        &eval_g,
        eval,
        round,
        &[form("a1", "Ja"), form("a2", "Kanske"), form("zz", "Ja")],
        &actor("eval@skr.se"),
    )
    .await
    .unwrap_err();
    let AssessError::BadRows(problems) = err else {
        panic!("{err:?}")
    };
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("\"Kanske\" is not one of Nej, Delvis, Ja"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains("question \"zz\" is not in dx 1"),
        "{problems:?}"
    );
    assert!(store.round_content(round).await.unwrap().answers.is_empty());
    assert!(
        matches!(
            a::save_answers(
                store,
                &admin_g,
                admin,
                round,
                &[form("a1", "Ja")],
                &actor("admin@sthlm.se")
            )
            .await,
            Err(AssessError::Forbidden(_))
        ),
        "an administrator who is not an assessor does not answer"
    );

    a::save_answers(
        store,
        &eval_g,
        eval,
        round,
        &[form("a1", "Ja"), form("a2", "Delvis"), form("b1", "Nej")],
        &actor("eval@skr.se"),
    )
    .await
    .unwrap();
    a::save_answers(
        store,
        &lead_g,
        lead,
        round,
        &[form("a1", "Ja"), form("a2", "Ja"), form("b1", "Nej")],
        &actor("lead@skr.se"),
    )
    .await
    .unwrap();
    let work = a::work(store, &lead_g, lead, round).await.unwrap();
    assert_eq!(work.content.answers.len(), 6);
    let agreements: std::collections::HashMap<_, _> = work.agreements.into_iter().collect();
    assert_eq!(
        agreements["a2"],
        Agreement::Differ {
            lowest: 1.0,
            highest: 3.0
        }
    );
    assert!(matches!(agreements["a1"], Agreement::Agreed { .. }));

    let decision = |q: &str, answer: &str, reason: &str| DecisionForm {
        question: q.into(),
        answer: answer.into(),
        reason: reason.into(),
    };
    assert!(matches!(
        a::decide(
            store,
            &eval_g,
            eval,
            round,
            &[decision("a1", "Ja", "")],
            &actor("eval@skr.se")
        )
        .await,
        Err(AssessError::Forbidden(_))
    ));
    let err = a::decide(
        store,
        &lead_g,
        lead,
        round,
        &[
            decision("a1", "Ja", ""),
            decision("a2", "Delvis", ""),
            decision("b1", "9", ""),
        ],
        &actor("lead@skr.se"),
    )
    .await
    .unwrap_err();
    let AssessError::BadRows(problems) = err else {
        panic!("{err:?}")
    };
    assert!(
        problems[0].contains("the assessors differ (1–3 points)"),
        "{problems:?}"
    );
    assert!(problems[1].contains("\"9\" is not one of"), "{problems:?}");
    assert!(
        store
            .round_content(round)
            .await
            .unwrap()
            .consensus
            .is_empty()
    );
    assert!(
        matches!(
            a::take_step(
                store,
                &lead_g,
                lead,
                round,
                Step::Submit,
                &actor("lead@skr.se")
            )
            .await,
            Err(AssessError::Invalid(_))
        ),
        "nothing agreed yet"
    );
    a::decide(
        store,
        &lead_g,
        lead,
        round,
        &[
            decision("a1", "Ja", ""),
            decision("a2", "Delvis", "Sökfunktionen saknas"),
        ],
        &actor("lead@skr.se"),
    )
    .await
    .unwrap();
    let err = a::take_step(
        store,
        &lead_g,
        lead,
        round,
        Step::Submit,
        &actor("lead@skr.se"),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("without an agreed score: b1"),
        "{err}"
    );
    a::decide(
        store,
        &lead_g,
        lead,
        round,
        &[decision("b1", "Nej", "")],
        &actor("lead@skr.se"),
    )
    .await
    .unwrap();

    assert!(matches!(
        a::take_step(
            store,
            &eval_g,
            eval,
            round,
            Step::Submit,
            &actor("eval@skr.se")
        )
        .await,
        Err(AssessError::Forbidden(_))
    ));
    assert!(
        matches!(
            a::take_step(
                store,
                &admin_g,
                admin,
                round,
                Step::Publish,
                &actor("admin@sthlm.se")
            )
            .await,
            Err(AssessError::Forbidden(_))
        ),
        "a draft is not published"
    );
    assert_eq!(
        a::take_step(
            store,
            &lead_g,
            lead,
            round,
            Step::Submit,
            &actor("lead@skr.se")
        )
        .await
        .unwrap(),
        Status::Submitted
    );
    assert!(
        a::save_answers(
            store,
            &eval_g,
            eval,
            round,
            &[form("a1", "Nej")],
            &actor("eval@skr.se")
        )
        .await
        .is_err(),
        "answers are frozen once submitted"
    );
    // Unpublished rounds are unknown to outsiders, and reports follow the same rule.
    assert!(matches!(
        a::report(store, &malmo_g, 999, round).await,
        Err(AssessError::NotFound(_))
    ));
    assert_eq!(
        a::take_step(
            store,
            &admin_g,
            admin,
            round,
            Step::Review,
            &actor("admin@sthlm.se")
        )
        .await
        .unwrap(),
        Status::Reviewed
    );
    assert_eq!(
        a::take_step(
            store,
            &admin_g,
            admin,
            round,
            Step::Publish,
            &actor("admin@sthlm.se")
        )
        .await
        .unwrap(),
        Status::Published
    );

    // Scores: a = (3 + 1) / 6 = 66.7 %, b = 0 %, total 4 / 9 = 44.4 %.
    let published = store.measure(&kpi("DX1")).await.unwrap().unwrap();
    assert_eq!(published.origin, kvalitet_domain::MeasureOrigin::Assessment);
    let total = store
        .measure_values(&kpi("DX1"), Gender::Total)
        .await
        .unwrap();
    assert_eq!(total.values.len(), 1);
    assert!(
        (number(&total.values[0].datum) - 400.0 / 9.0).abs() < 1e-9,
        "{total:?}"
    );
    let area_a = store
        .measure_values(&kpi("DX1-1"), Gender::Total)
        .await
        .unwrap();
    assert!((number(&area_a.values[0].datum) - 200.0 / 3.0).abs() < 1e-9);
    let set = store.measure_set("dx-1").await.unwrap().unwrap();
    assert_eq!(set.participants, vec![m("0180")]);

    // A second municipality publishes; each report compares with both.
    let (lead2, lead2_g) = person(store, "lead@malmo.se", None).await;
    let round2 = a::create_round(
        store,
        &malmo_g,
        &new("1280", 2025),
        &actor("admin@malmo.se"),
    )
    .await
    .unwrap();
    a::set_assessor(
        store,
        &malmo_g,
        round2,
        "lead@malmo.se",
        lead_role,
        &actor("admin@malmo.se"),
    )
    .await
    .unwrap();
    a::save_answers(
        store,
        &lead2_g,
        lead2,
        round2,
        &[form("a1", "Ja"), form("a2", "Ja"), form("b1", "Ja")],
        &actor("lead@malmo.se"),
    )
    .await
    .unwrap();
    a::decide(
        store,
        &lead2_g,
        lead2,
        round2,
        &[
            decision("a1", "Ja", ""),
            decision("a2", "Ja", ""),
            decision("b1", "Ja", ""),
        ],
        &actor("lead@malmo.se"),
    )
    .await
    .unwrap();
    a::take_step(
        store,
        &lead2_g,
        lead2,
        round2,
        Step::Submit,
        &actor("lead@malmo.se"),
    )
    .await
    .unwrap();
    let malmo_admin = store
        .user_by_email("admin@malmo.se")
        .await
        .unwrap()
        .unwrap()
        .id;
    a::take_step(
        store,
        &malmo_g,
        malmo_admin,
        round2,
        Step::Review,
        &actor("admin@malmo.se"),
    )
    .await
    .unwrap();
    a::take_step(
        store,
        &malmo_g,
        malmo_admin,
        round2,
        Step::Publish,
        &actor("admin@malmo.se"),
    )
    .await
    .unwrap();
    let set = store.measure_set("dx-1").await.unwrap().unwrap();
    assert_eq!(set.participants, vec![m("0180"), m("1280")]);

    let report = a::report(store, &kvalitet_domain::Grants::default(), 0, round)
        .await
        .unwrap();
    let others = report.total.others.unwrap();
    assert_eq!(others.n, 2);
    assert!((others.mean - (400.0 / 9.0 + 100.0) / 2.0).abs() < 1e-9);
    assert_eq!((others.min, others.max), (400.0 / 9.0, 100.0));
    // Two areas: questions are ranked with areas. a1 100 %, a 67 %, a2 33 %, b and b1 0 %.
    let titles = |parts: &[kvalitet_app::assessments::PartWithText]| {
        parts
            .iter()
            .map(|p| p.part.title.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        titles(&report.strengths),
        ["Finns information?", "Information"]
    );
    assert_eq!(titles(&report.improvements), ["Förs dialog?", "Dialog"]);
    assert!(
        report.strengths[1]
            .texts
            .contains(&"Sökfunktionen saknas".to_owned()),
        "{:?}",
        report.strengths
    );

    // Every step is in the audit trail of the municipality.
    let actions: Vec<String> = store
        .audit_events(Some(&m("0180")), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for step in [
        "round.create",
        "round.assessor",
        "round.answers",
        "round.consensus",
        "round.submit",
        "round.review",
        "round.publish",
    ] {
        assert!(
            actions.iter().any(|a| a == step),
            "{step} missing from {actions:?}"
        );
    }
    let published = store
        .rounds(&RoundFilter {
            status: Some(Status::Published),
            ..RoundFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(published.len(), 2);
}

fn number(d: &Datum) -> f64 {
    match d {
        Datum::Number(x) => *x,
        other => panic!("{other:?} is not a number"),
    }
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

async fn survey_rounds_import_distributions_and_leave_out_thin_statements(store: &SqlStore) {
    use kvalitet_app::assessments::{self as a, AssessError};
    use kvalitet_app::ports::{Actor, NewRound};
    use kvalitet_domain::round::{AssessorRole, RoundKind, Step};
    load_catalogue(store).await;
    load_framework(store, SURVEY_FRAMEWORK).await;
    let (admin, admin_g) = person(store, "hr@sthlm.se", Some("0180")).await;
    let (lead, lead_g) = person(store, "analys@sthlm.se", None).await;
    let actor = Actor {
        who: "hr@sthlm.se".into(),
        at: "2026-11-23T09:00:00Z".into(),
    };
    let round = a::create_round(
        store,
        &admin_g,
        &NewRound {
            municipality: m("0180"),
            framework_id: "hmex".into(),
            framework_version: "2015".into(),
            kind: RoundKind::Survey,
            title: "HME 2025".into(),
            year: Year::new(2025).unwrap(),
        },
        &actor,
    )
    .await
    .unwrap();
    a::set_assessor(
        store,
        &admin_g,
        round,
        "analys@sthlm.se",
        Some(AssessorRole::Lead),
        &actor,
    )
    .await
    .unwrap();
    // Bad files name line and column and write nothing.
    let err = a::import_survey(
        store,
        &lead_g,
        lead,
        round,
        "question;1;2;3;4;5\nU00300;2;3;x;6;4\nU00399;1;1;1;1;1\nU00300;1;1;1;1;1\n",
        Some(100),
        10,
        &actor,
    )
    .await
    .unwrap_err();
    let AssessError::BadRows(problems) = err else {
        panic!("{err:?}")
    };
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[2].starts_with("line 4, column 1: \"U00300\" is listed twice"));
    assert!(
        problems[0].starts_with("line 2, column 4 (3)"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with("line 3, column 1: \"U00399\" is not a 1–5 statement"),
        "{problems:?}"
    );
    assert!(
        store
            .round_content(round)
            .await
            .unwrap()
            .distributions
            .is_empty()
    );
    assert!(
        a::import_survey(
            store,
            &lead_g,
            lead,
            round,
            "question;1;2;3;4;5\nU00300;2;3;5;6;4\n",
            Some(10),
            10,
            &actor
        )
        .await
        .is_err(),
        "more answered than were asked"
    );

    // 2/3/5/6/4 = mean 3.35 -> 58.75; the second statement has 7 answers: kept, not scored.
    a::import_survey(
        store,
        &lead_g,
        lead,
        round,
        "\u{feff}question,1,2,3,4,5\nU00300,2,3,5,6,4\nU00301,0,0,1,3,3\n",
        Some(40),
        10,
        &actor,
    )
    .await
    .unwrap();
    let report = a::report(store, &admin_g, admin, round).await.unwrap();
    assert_eq!(report.survey.len(), 2);
    assert!((report.survey[0].index.unwrap() - 58.75).abs() < 1e-9);
    assert!(!report.survey[1].reported);
    assert!(
        (report.total.score.unwrap() - 58.75).abs() < 1e-9,
        "{:?}",
        report.total
    );
    assert_eq!(report.response_rate, Some(50.0), "20 of 40");
    a::take_step(store, &lead_g, lead, round, Step::Submit, &actor)
        .await
        .unwrap();
    a::take_step(store, &admin_g, admin, round, Step::Review, &actor)
        .await
        .unwrap();
    a::take_step(store, &admin_g, admin, round, Step::Publish, &actor)
        .await
        .unwrap();
    let v = store
        .measure_values(&kpi("HMEX-1"), Gender::Total)
        .await
        .unwrap();
    assert!((number(&v.values[0].datum) - 58.75).abs() < 1e-9);
}

async fn frameworks_are_kept_per_version(store: &SqlStore) {
    use kvalitet_domain::assessment::{Aggregation, Framework};
    let framework = |version: &str| Framework {
        id: "hme".into(),
        name: "HME".into(),
        version: version.into(),
        valid_from: "2015-01-01".into(),
        total: Aggregation::MeanOfIndices,
        areas: vec![],
        measure_prefix: None,
    };
    let batch = |version: &str, source: &str| CatalogueBatch {
        frameworks: vec![(framework(version), source.to_owned())],
        ..CatalogueBatch::default()
    };
    let load = |b: CatalogueBatch| {
        import(
            store,
            vec![ImportChunk::Catalogue(Box::new(b)), ImportChunk::Commit],
        )
    };
    assert_eq!(load(batch("2015", "a")).await.unwrap().inserted, 1);
    assert_eq!(load(batch("2015", "a")).await.unwrap().unchanged, 1);
    assert_eq!(load(batch("2015", "b")).await.unwrap().updated, 1);
    assert_eq!(
        load(batch("2020", "c")).await.unwrap().inserted,
        1,
        "a new version is a new framework"
    );
    let stored = store.frameworks().await.unwrap();
    assert_eq!(
        stored,
        vec![
            ("hme".to_owned(), "2015".to_owned(), "b".to_owned()),
            ("hme".to_owned(), "2020".to_owned(), "c".to_owned())
        ]
    );
}

/// The role matrix through the use cases: every role (and none, and the system
/// administrator) x every action that changes data x the person's own municipality and
/// another. Allowed actions succeed; refused ones fail with `Forbidden` and write nothing.
async fn every_role_every_action_own_and_other_municipality(store: &SqlStore) {
    use kvalitet_app::own::{self, MeasureForm, OwnError};
    use kvalitet_app::ports::Actor;
    use kvalitet_domain::{Grants, Role};
    load_catalogue(store).await;
    let actor = Actor {
        who: "test".into(),
        at: "2026-11-22T10:00:00Z".into(),
    };
    let (own_m, other) = (m("0180"), m("1280"));
    let mut people: Vec<(String, Grants)> = Role::ALL
        .iter()
        .map(|r| {
            (
                r.code().to_owned(),
                Grants {
                    system_admin: false,
                    roles: vec![(own_m, *r)],
                },
            )
        })
        .collect();
    people.push(("nobody".into(), Grants::default()));
    people.push((
        "system admin".into(),
        Grants {
            system_admin: true,
            roles: vec![],
        },
    ));
    for (who, grants) in &people {
        for target in [own_m, other] {
            let tag = format!("{who} on {target}");
            let allowed = |action| grants.allows(action, &target);
            let check = |result: Result<(), OwnError>, action: kvalitet_domain::Action| match (
                result,
                allowed(action),
            ) {
                (Ok(()), true) => {}
                (Err(OwnError::Forbidden(_)), false) => {}
                (r, a) => panic!("{tag} {action:?}: allowed {a}, got {r:?}"),
            };
            let id = format!("X{target}-{}", &who[..3]);
            let form = MeasureForm {
                id: id.clone(),
                title: "t".into(),
                question: "q".into(),
                unit: String::new(),
                direction: "higher".into(),
                decimals: "0".into(),
                definition: String::new(),
            };
            let defined = own::define_measure(store, grants, &target, &form, &actor)
                .await
                .map(|_| ());
            check(defined, kvalitet_domain::Action::EditMeasures);
            // Values and comments need a measure of the target, whoever may define it.
            let measure_id = format!("X{target}-base");
            let base = MeasureForm {
                id: measure_id.clone(),
                ..form
            };
            own::define_measure(
                store,
                &Grants {
                    system_admin: true,
                    roles: vec![],
                },
                &target,
                &base,
                &actor,
            )
            .await
            .unwrap();
            let row = value(
                &measure_id,
                target.as_str(),
                2022,
                Gender::Total,
                Datum::Number(1.0),
            );
            check(
                own::save_drafts(store, grants, &target, &[row], &actor).await,
                kvalitet_domain::Action::EditValues,
            );
            let shown = own::drafts_version(&store.drafts(&target).await.unwrap());
            let published = own::publish(store, grants, &target, &shown, &actor).await;
            match (published, allowed(kvalitet_domain::Action::Publish)) {
                (Err(OwnError::Forbidden(_)), false) => {}
                // Allowed: publishes the drafts, or finds none left by an earlier person.
                (Ok(_), true) | (Err(OwnError::Invalid(_)), true) => {}
                (r, a) => panic!("{tag} Publish: allowed {a}, got {r:?}"),
            }
            let commented = own::comment(
                store,
                grants,
                &target,
                &kpi(&measure_id),
                "2022",
                "Kommentar.",
                &actor,
            )
            .await;
            check(commented, kvalitet_domain::Action::Comment);
        }
    }
    // Only the system administrator could write drafts for the other municipality, and
    // published them: refused attempts left nothing behind.
    assert!(store.drafts(&other).await.unwrap().is_empty());
}

/// The probe's race: values B uploaded while an administrator publishes A were neither
/// published nor kept, and three simultaneous publishes wrote three audit events. Publishing
/// takes exactly the drafts it showed, or nothing.
async fn publishing_takes_exactly_the_drafts_shown(store: &SqlStore) {
    use kvalitet_app::own::{self, MeasureForm, OwnError};
    use kvalitet_app::ports::Actor;
    use kvalitet_domain::Grants;
    load_catalogue(store).await;
    let admin = Grants {
        system_admin: false,
        roles: vec![(m("0180"), kvalitet_domain::Role::Admin)],
    };
    let actor = |who: &str| Actor {
        who: who.into(),
        at: "2026-11-22T10:00:00Z".into(),
    };
    let form = MeasureForm {
        id: "lopp".into(),
        title: "Eget".into(),
        question: "Hur?".into(),
        unit: String::new(),
        direction: "higher".into(),
        decimals: "1".into(),
        definition: String::new(),
    };
    let id = own::define_measure(store, &admin, &m("0180"), &form, &actor("anna@kommun.se"))
        .await
        .unwrap();
    assert_eq!(
        id.as_str(),
        "X0180-lopp",
        "own ids live in the municipality's namespace"
    );
    let row = |y: i64, x: f64| value(id.as_str(), "0180", y, Gender::Total, Datum::Number(x));
    own::save_drafts(
        store,
        &admin,
        &m("0180"),
        &[row(2021, 1.0), row(2022, 2.0)],
        &actor("anna@kommun.se"),
    )
    .await
    .unwrap();
    let shown = own::drafts_version(&store.drafts(&m("0180")).await.unwrap());
    // B arrives between the page and the click, changing one of the drafts shown.
    own::save_drafts(
        store,
        &admin,
        &m("0180"),
        &[row(2022, 3.0)],
        &actor("bo@kommun.se"),
    )
    .await
    .unwrap();
    let raced = own::publish(store, &admin, &m("0180"), &shown, &actor("anna@kommun.se")).await;
    assert!(matches!(raced, Err(OwnError::Conflict(_))), "{raced:?}");
    let kept = store.drafts(&m("0180")).await.unwrap();
    assert_eq!(kept.len(), 2, "B is kept as a draft, A not lost");
    assert!(kept.iter().any(|d| d.row.datum == Datum::Number(3.0)));
    assert!(
        all_values(store, ValueFilter::default())
            .await
            .iter()
            .all(|v| v.key.measure != id),
        "nothing was published"
    );

    // The store refuses drafts that changed after they were read, whatever the caller checked.
    let read = store.drafts(&m("0180")).await.unwrap();
    own::save_drafts(
        store,
        &admin,
        &m("0180"),
        &[row(2021, 5.0)],
        &actor("bo@kommun.se"),
    )
    .await
    .unwrap();
    let stale = store
        .apply(
            &source(),
            ChangeSet {
                drafts_taken: read,
                values: vec![row(2021, 1.0), row(2022, 3.0)],
                ..ChangeSet::default()
            },
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    assert_eq!(store.drafts(&m("0180")).await.unwrap().len(), 2);

    // Three administrators press "Publicera" on the same page at once: one publishes.
    let shown = own::drafts_version(&store.drafts(&m("0180")).await.unwrap());
    let publishers = ["anna@kommun.se", "bo@kommun.se", "cia@kommun.se"].map(|who| {
        let (store, admin, shown) = (store.clone(), admin.clone(), shown.clone());
        tokio::spawn(
            async move { own::publish(&store, &admin, &m("0180"), &shown, &actor(who)).await },
        )
    });
    let mut published = 0;
    for p in publishers {
        match p.await.unwrap() {
            Ok(_) => published += 1,
            Err(OwnError::Conflict(_) | OwnError::Invalid(_)) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(published, 1);
    let trail = store.audit_events(Some(&m("0180")), 100).await.unwrap();
    assert_eq!(
        trail
            .iter()
            .filter(|e| e.action == "values.publish")
            .count(),
        1,
        "one audit event for one change"
    );
    assert!(store.drafts(&m("0180")).await.unwrap().is_empty());
}

/// The probe's claim: an own measure `KK2020` made before Kommunkompassen was published let
/// Stockholm's title and values stand in Göteborg's results. Own ids now live in the
/// owner's namespace, and the store refuses any write that would change a measure's owner.
async fn a_measure_keeps_its_owner(store: &SqlStore) {
    load_catalogue(store).await;
    // A measure that some municipality owns (as one defined before the namespace rule).
    let claimed = Measure::from_kolada(
        kpi("KK2020"),
        "Stockholms eget".into(),
        String::new(),
        KoladaMeta::default(),
    )
    .owned_by(m("0180"));
    let mut batch = CatalogueBatch {
        catalogue_year: Some(year(2026)),
        ..CatalogueBatch::default()
    };
    batch.measures = vec![claimed];
    import(
        store,
        vec![ImportChunk::Catalogue(Box::new(batch)), ImportChunk::Commit],
    )
    .await
    .unwrap();
    // Publishing a national round's results into it is refused, with nothing written.
    let national = Measure::from_kolada(
        kpi("KK2020"),
        "Kommunkompassen, totalt".into(),
        String::new(),
        KoladaMeta::default(),
    );
    let mut batch = CatalogueBatch {
        catalogue_year: Some(year(2026)),
        ..CatalogueBatch::default()
    };
    batch.measures = vec![national.clone()];
    let refused = import(
        store,
        vec![
            ImportChunk::Catalogue(Box::new(batch.clone())),
            ImportChunk::Values(vec![value(
                "KK2020",
                "1280",
                2026,
                Gender::Total,
                Datum::Number(61.0),
            )]),
            ImportChunk::Commit,
        ],
    )
    .await;
    let e = refused.unwrap_err().to_string();
    assert!(
        e.contains("KK2020 is held as municipality 0180's own; it cannot be written as kolada"),
        "{e}"
    );
    let stored = store.measure(&kpi("KK2020")).await.unwrap().unwrap();
    assert_eq!(stored.title, "Stockholms eget");
    assert!(
        all_values(store, ValueFilter::default())
            .await
            .iter()
            .all(|v| v.key.measure != kpi("KK2020")),
        "no value was written into another's measure"
    );
    // Nor may a national measure become a municipality's own.
    let mut batch = CatalogueBatch {
        catalogue_year: Some(year(2026)),
        ..CatalogueBatch::default()
    };
    batch.measures = vec![
        Measure::from_kolada(
            kpi("N15428"),
            "Tagen".into(),
            String::new(),
            KoladaMeta::default(),
        )
        .owned_by(m("1280")),
    ];
    let e = import(
        store,
        vec![ImportChunk::Catalogue(Box::new(batch)), ImportChunk::Commit],
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("N15428 is held as kolada (no municipality's)"),
        "{e}"
    );
}

async fn own_measures_drafts_publishing_and_comments(store: &SqlStore) {
    use kvalitet_app::ports::{Actor, AuditRecord};
    load_catalogue(store).await;
    let actor = Actor {
        who: "anna@kommun.se".into(),
        at: "2026-11-22T10:00:00Z".into(),
    };
    let measure = Measure::from_kolada(
        kpi("X0180-1"),
        "Eget, andel (%)".into(),
        "Egen enkät.".into(),
        KoladaMeta::default(),
    )
    .owned_by(m("0180"));
    let profile = MeasureProfile {
        measure: kpi("X0180-1"),
        question: "Hur nöjda?".into(),
        question_en: None,
        unit: Some("procent".into()),
        unit_en: None,
        direction: Direction::HigherIsBetter,
        decimals: 1,
    };
    store
        .define_own_measure(&measure, &profile, &actor)
        .await
        .unwrap();
    let stored = store.measure(&kpi("X0180-1")).await.unwrap().unwrap();
    assert_eq!(
        stored.origin,
        kvalitet_domain::MeasureOrigin::Own(m("0180"))
    );
    assert_eq!(stored.direction, Direction::HigherIsBetter);
    let theirs = measure.clone().owned_by(m("1280"));
    assert!(
        store
            .define_own_measure(&theirs, &profile, &actor)
            .await
            .is_err(),
        "another's measure"
    );

    // More rows than one statement holds, to cover the batching.
    let rows: Vec<ValueRow> = (0..1200)
        .map(|i| {
            value(
                "X0180-1",
                "0180",
                1950 + (i / 3) % 150,
                [Gender::Total, Gender::Women, Gender::Men][(i % 3) as usize],
                Datum::Number(i as f64),
            )
        })
        .collect();
    let mut unique = rows.clone();
    unique.sort_by_key(|r| (r.key.year, r.key.gender));
    unique.dedup_by_key(|r| (r.key.year, r.key.gender));
    store
        .save_drafts(&m("0180"), &unique, &actor)
        .await
        .unwrap();
    assert_eq!(store.drafts(&m("0180")).await.unwrap().len(), unique.len());
    let wrong = vec![value(
        "X0180-1",
        "1280",
        2022,
        Gender::Total,
        Datum::Number(1.0),
    )];
    assert!(
        store.save_drafts(&m("0180"), &wrong, &actor).await.is_err(),
        "a draft for another municipality"
    );
    assert_eq!(
        store.drafts(&m("0180")).await.unwrap().len(),
        unique.len(),
        "nothing half-written"
    );

    let drafts = store.drafts(&m("0180")).await.unwrap();
    let counts = store
        .apply(
            &source(),
            ChangeSet {
                values: drafts.iter().map(|d| d.row).collect(),
                drafts_taken: drafts.clone(),
                audit: vec![AuditRecord {
                    actor: actor.clone(),
                    municipality: Some(m("0180")),
                    action: kvalitet_domain::audit::AuditAction::ValuesPublish,
                    object: "municipality:0180".into(),
                    before: None,
                    after: None,
                }],
                ..ChangeSet::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(counts.inserted as usize, unique.len());
    assert!(store.drafts(&m("0180")).await.unwrap().is_empty());
    let trail = store.audit_events(Some(&m("0180")), 10).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["values.publish", "values.draft", "measure.define"]
    );

    let before = store.data_version().await.unwrap();
    store
        .set_comment(
            &kpi("X0180-1"),
            &m("0180"),
            year(2022),
            Some("Bra år."),
            &actor,
        )
        .await
        .unwrap();
    assert!(
        store.data_version().await.unwrap() > before,
        "a comment is a visible change"
    );
    store
        .set_comment(
            &kpi("X0180-1"),
            &m("0180"),
            year(2021),
            Some("Sämre år."),
            &actor,
        )
        .await
        .unwrap();
    let comments = store.comments(&kpi("X0180-1"), &m("0180")).await.unwrap();
    assert_eq!(
        (comments.len(), comments[0].year, comments[0].body.as_str()),
        (2, 2022, "Bra år.")
    );
    store
        .set_comment(&kpi("X0180-1"), &m("0180"), year(2021), None, &actor)
        .await
        .unwrap();
    assert_eq!(
        store
            .comments(&kpi("X0180-1"), &m("0180"))
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn people_roles_sessions_and_their_audit_trail(store: &SqlStore) {
    use kvalitet_app::ports::{Actor, NewUser};
    use kvalitet_domain::Role;
    load_catalogue(store).await;
    let actor = Actor {
        who: "cli:root".into(),
        at: "2026-11-22T10:00:00Z".into(),
    };
    let new = NewUser {
        email: "anna@kommun.se".into(),
        name: "Anna".into(),
        password_hash: "$argon2id$x".into(),
        system_admin: false,
    };
    let id = store.create_user(&new, &actor).await.unwrap();
    assert!(matches!(
        store.create_user(&new, &actor).await,
        Err(StoreError::Invalid(_))
    ));
    store
        .set_role(id, &m("0180"), Some(Role::Editor), &actor)
        .await
        .unwrap();
    store
        .set_role(id, &m("0180"), Some(Role::Admin), &actor)
        .await
        .unwrap();
    store
        .set_role(id, &m("1280"), Some(Role::Reader), &actor)
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_role(id, &m("9999"), Some(Role::Reader), &actor)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let u = store
        .user_by_email("anna@kommun.se")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.grants.role_in(&m("0180")), Some(Role::Admin));
    assert_eq!(u.grants.role_in(&m("1280")), Some(Role::Reader));
    store.set_role(id, &m("1280"), None, &actor).await.unwrap();
    assert_eq!(store.users().await.unwrap()[0].grants.roles.len(), 1);

    let events = store.audit_events(Some(&m("0180")), 10).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].before.as_deref(), Some(r#"{"role":"editor"}"#));
    assert_eq!(events[0].after.as_deref(), Some(r#"{"role":"admin"}"#));
    assert_eq!(events[0].actor, "cli:root");
    let all = store.audit_events(None, 100).await.unwrap();
    assert_eq!(all.last().unwrap().action, "user.create");
    assert!(
        all.iter()
            .all(|e| !e.after.as_deref().unwrap_or("").contains("argon2")),
        "no hash in the trail"
    );

    store
        .create_session(
            "h1",
            id,
            "csrf",
            "2026-11-22T10:00:00Z",
            "2026-11-22T22:00:00Z",
        )
        .await
        .unwrap();
    let s = store
        .session("h1", "2026-11-22T11:00:00Z")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((s.user.id, s.csrf_token.as_str()), (id, "csrf"));
    assert!(
        store
            .session("h1", "2026-11-23T00:00:00Z")
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(
        store
            .session("nope", "2026-11-22T11:00:00Z")
            .await
            .unwrap()
            .is_none()
    );

    // Login attempts: counted per key within a window, all keys or none, atomically.
    let limits = |limit: u32| {
        vec![
            AttemptLimit {
                key: "account+address:anna@kommun.se|192.0.2.7".into(),
                limit,
            },
            AttemptLimit {
                key: "address:192.0.2.7".into(),
                limit: 100,
            },
        ]
    };
    let (now, expired) = ("2026-11-22T10:00:00Z", "2026-11-22T09:45:00Z");
    for _ in 0..3 {
        assert_eq!(
            store
                .reserve_attempt(&limits(3), now, expired)
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(
        store
            .reserve_attempt(&limits(3), "2026-11-22T10:05:00Z", "2026-11-22T09:50:00Z")
            .await
            .unwrap(),
        Some(now.to_owned()),
        "the fourth is held back until the window that began at the first ends"
    );
    // A success takes its count back; a window that is over starts again.
    store
        .release_attempt(&["account+address:anna@kommun.se|192.0.2.7".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        store
            .reserve_attempt(&limits(3), now, expired)
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .reserve_attempt(&limits(3), now, expired)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .reserve_attempt(&limits(3), "2026-11-22T10:16:00Z", "2026-11-22T10:01:00Z")
            .await
            .unwrap(),
        None
    );
    // Held-back attempts count nothing, on any of their keys.
    let pair = AttemptLimit {
        key: "account+address:x@y.se|198.51.100.1".into(),
        limit: 1,
    };
    let address = |limit| AttemptLimit {
        key: "address:198.51.100.1".into(),
        limit,
    };
    let both = [pair, address(10)];
    assert_eq!(
        store.reserve_attempt(&both, now, expired).await.unwrap(),
        None
    );
    assert!(
        store
            .reserve_attempt(&both, now, expired)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .reserve_attempt(&[address(2)], now, expired)
            .await
            .unwrap(),
        None,
        "1 + 1"
    );
    assert!(
        store
            .reserve_attempt(&[address(2)], now, expired)
            .await
            .unwrap()
            .is_some()
    );
    // The probe's race: 100 attempts at once against a limit of 5 let exactly 5 through.
    let attempts: Vec<_> = (0..100)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let l = [AttemptLimit {
                    key: "account:bo@kommun.se".into(),
                    limit: 5,
                }];
                store
                    .reserve_attempt(&l, "2026-11-22T10:00:00Z", "2026-11-22T09:45:00Z")
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut passed = 0;
    for a in attempts {
        if a.await.unwrap().is_none() {
            passed += 1;
        }
    }
    assert_eq!(passed, 5);
    store.set_password(id, "$argon2id$y", &actor).await.unwrap();
    let reset = store
        .user_by_email("anna@kommun.se")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reset.password_hash, "$argon2id$y");
    assert!(
        store
            .session("h1", "2026-11-22T11:00:00Z")
            .await
            .unwrap()
            .is_none(),
        "a new password ends sessions"
    );
    store.delete_session("h1").await.unwrap();
}

async fn measure_values_all_values_and_shapes_read_back(store: &SqlStore) {
    load_catalogue(store).await;
    import(
        store,
        vec![
            ImportChunk::Values(vec![
                value("N15428", "0180", 2022, Gender::Total, Datum::Number(88.5)),
                value("N15428", "0180", 2022, Gender::Women, Datum::Number(90.0)),
                value(
                    "N15428",
                    "1480",
                    2021,
                    Gender::Total,
                    Datum::Missing(MissingStatus::Secret),
                ),
                value("N00003", "0180", 2022, Gender::Total, Datum::Number(1.0)),
            ]),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    let total = store
        .measure_values(&kpi("N15428"), Gender::Total)
        .await
        .unwrap();
    let mut got: Vec<_> = total
        .values
        .iter()
        .map(|v| (v.area.to_string(), v.year.get(), v.datum))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        vec![
            ("0180".to_owned(), 2022, Datum::Number(88.5)),
            (
                "1480".to_owned(),
                2021,
                Datum::Missing(MissingStatus::Secret)
            ),
        ]
    );
    assert!(total.updated_at.is_some_and(|u| u.starts_with("20")));
    let women = store
        .measure_values(&kpi("N15428"), Gender::Women)
        .await
        .unwrap();
    assert_eq!(women.values.len(), 1);

    let (tx, mut rx) = mpsc::channel(4);
    let n = store.all_values(tx).await.unwrap();
    let mut rows = Vec::new();
    while let Some(chunk) = rx.recv().await {
        rows.extend(chunk);
    }
    assert_eq!(n, 4);
    // Key order as the database sorts text: measure, area, year, then the gender letter.
    let keys: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.key.measure.to_string(),
                r.key.area.to_string(),
                r.key.year,
                r.key.gender.code(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "in key order");

    assert_eq!(
        store.shapes().await.unwrap(),
        vec![(m("0180"), "M0 0L1 1Z".to_owned())]
    );
}

fn m(id: &str) -> MunicipalityId {
    MunicipalityId::parse(id).unwrap()
}
fn kpi(id: &str) -> MeasureId {
    MeasureId::parse(id).unwrap()
}
fn year(y: i64) -> Year {
    Year::new(y).unwrap()
}

fn catalogue() -> CatalogueBatch {
    CatalogueBatch {
        catalogue_year: Some(year(2026)),
        counties: vec![(
            County {
                code: "01".into(),
                name: "Stockholms län".into(),
            },
            Some(m("0001")),
        )],
        municipalities: vec![
            Municipality::new(m("0000"), "Riket".into(), MunicipalityKind::Riket),
            Municipality::new(
                m("0001"),
                "Region Stockholm".into(),
                MunicipalityKind::Region,
            ),
            Municipality::new(m("0114"), "Upplands Väsby".into(), MunicipalityKind::Kommun),
            Municipality::new(m("0180"), "Stockholm".into(), MunicipalityKind::Kommun),
            Municipality::new(m("1280"), "Malmö".into(), MunicipalityKind::Kommun),
        ],
        groups: vec![MunicipalityGroup {
            id: GroupId::parse("G92787").unwrap(),
            title: "Storstäder (ovägt medel)".into(),
            kind: GroupKind::SkrKommungrupp,
            members: vec![m("0180"), m("1280")],
        }],
        neighbours: vec![(m("0114"), vec![m("0180")])],
        measures: vec![
            Measure::from_kolada(
                kpi("N15428"),
                "Behöriga till yrkesprogram, andel (%)".into(),
                "Källa: Skolverket.".into(),
                KoladaMeta {
                    is_divided_by_gender: true,
                    municipality_type: Some("K".into()),
                    ..KoladaMeta::default()
                },
            ),
            Measure::from_kolada(
                kpi("N00003"),
                "Personalkostnader, kr/inv".into(),
                "Källa: SCB.".into(),
                KoladaMeta::default(),
            ),
        ],
        kpi_groups: vec![],
        measure_sets: vec![],
        shapes: vec![(m("0180"), "M0 0L1 1Z".into())],
        frameworks: vec![],
    }
}

fn source() -> ImportSource {
    ImportSource {
        source: "test".into(),
        format: "test".into(),
    }
}

async fn import(store: &SqlStore, chunks: Vec<ImportChunk>) -> Result<WriteCounts, StoreError> {
    let (tx, rx) = mpsc::channel(chunks.len() + 1);
    for c in chunks {
        tx.send(c).await.unwrap();
    }
    drop(tx);
    let source = ImportSource {
        source: "test".into(),
        format: "test".into(),
    };
    store.import(&source, rx).await
}

async fn load_catalogue(store: &SqlStore) {
    import(
        store,
        vec![
            ImportChunk::Catalogue(Box::new(catalogue())),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
}

fn value(measure: &str, area: &str, y: i64, gender: Gender, datum: Datum) -> ValueRow {
    ValueRow {
        key: ValueKey {
            measure: kpi(measure),
            area: AreaId::parse(area).unwrap(),
            year: year(y),
            gender,
        },
        datum,
        count: None,
    }
}

async fn all_values(store: &SqlStore, filter: ValueFilter) -> Vec<ValueRow> {
    let (tx, mut rx) = mpsc::channel(4);
    let (n, rows) = tokio::join!(store.export_values(&filter, tx), async {
        let mut rows = Vec::new();
        while let Some(chunk) = rx.recv().await {
            rows.extend(chunk.into_iter().map(|v| v.row));
        }
        rows
    });
    assert_eq!(n.unwrap() as usize, rows.len());
    rows
}

async fn catalogue_round_trips_and_reimport_changes_nothing(store: &SqlStore) {
    let first = import(
        store,
        vec![
            ImportChunk::Catalogue(Box::new(catalogue())),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    assert_eq!(first.inserted, 1 + 5 + 1 + 1 + 2 + 1); // county, municipalities, group, neighbours, measures, shape
    let again = import(
        store,
        vec![
            ImportChunk::Catalogue(Box::new(catalogue())),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        again,
        WriteCounts {
            unchanged: 11,
            ..WriteCounts::default()
        }
    );

    let municipalities = store.municipalities().await.unwrap();
    assert_eq!(municipalities.len(), 5);
    assert_eq!(municipalities[0].id.as_str(), "0000");
    assert_eq!(municipalities[0].kind, MunicipalityKind::Riket);
    assert_eq!(municipalities[1].county_code.as_deref(), Some("01"));
    let groups = store.groups().await.unwrap();
    assert_eq!(groups[0].members, vec![m("0180"), m("1280")]);
    assert_eq!(groups[0].kind, GroupKind::SkrKommungrupp);
    assert_eq!(
        store.neighbours().await.unwrap()[&m("0114")],
        vec![m("0180")]
    );
    assert_eq!(store.counties().await.unwrap()[0].name, "Stockholms län");
    let measure = store.measure(&kpi("N15428")).await.unwrap().unwrap();
    assert!(measure.kolada.is_divided_by_gender);
    assert_eq!(measure.unit.as_deref(), Some("andel (%)"));
    assert!(store.measure(&kpi("N99999")).await.unwrap().is_none());

    let mut changed = catalogue();
    changed.groups[0].members.pop();
    changed.municipalities[4].title = "Malmö stad".into();
    let third = import(
        store,
        vec![
            ImportChunk::Catalogue(Box::new(changed)),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    assert_eq!(third.updated, 2);
    assert_eq!(store.groups().await.unwrap()[0].members, vec![m("0180")]);
}

async fn measure_texts_are_kept_per_year(store: &SqlStore) {
    load_catalogue(store).await;
    let mut old = catalogue();
    old.catalogue_year = Some(year(2020));
    old.measures[1].title = "Personalkostnader (gammal definition), kr/inv".into();
    import(
        store,
        vec![ImportChunk::Catalogue(Box::new(old)), ImportChunk::Commit],
    )
    .await
    .unwrap();

    let id = kpi("N00003");
    // The main row follows the newest catalogue, even when an older one is imported later.
    assert_eq!(
        store.measure(&id).await.unwrap().unwrap().title,
        "Personalkostnader, kr/inv"
    );
    assert_eq!(
        store
            .measure_text(&id, year(2019))
            .await
            .unwrap()
            .unwrap()
            .year,
        2020
    );
    assert_eq!(
        store
            .measure_text(&id, year(2022))
            .await
            .unwrap()
            .unwrap()
            .title,
        "Personalkostnader (gammal definition), kr/inv"
    );
    assert_eq!(
        store
            .measure_text(&id, year(2026))
            .await
            .unwrap()
            .unwrap()
            .title,
        "Personalkostnader, kr/inv"
    );
    assert_eq!(
        store
            .measure_text(&id, year(2030))
            .await
            .unwrap()
            .unwrap()
            .year,
        2026
    );
    assert_eq!(store.measure_count(Some(year(2026))).await.unwrap(), 2);
    assert_eq!(store.measure_count(None).await.unwrap(), 2);
}

async fn values_are_inserted_updated_or_left_alone_with_revisions_kept(store: &SqlStore) {
    load_catalogue(store).await;
    let rows = vec![
        value("N15428", "0180", 2022, Gender::Total, Datum::Number(85.31)),
        value("N15428", "0180", 2022, Gender::Women, Datum::Number(86.09)),
        value("N15428", "1280", 2022, Gender::Total, Datum::Number(80.0)),
    ];
    let first = import(
        store,
        vec![ImportChunk::Values(rows.clone()), ImportChunk::Commit],
    )
    .await
    .unwrap();
    assert_eq!(
        first,
        WriteCounts {
            inserted: 3,
            ..WriteCounts::default()
        }
    );
    let same = import(
        store,
        vec![ImportChunk::Values(rows.clone()), ImportChunk::Commit],
    )
    .await
    .unwrap();
    assert_eq!(
        same,
        WriteCounts {
            unchanged: 3,
            ..WriteCounts::default()
        }
    );

    let mut changed = rows.clone();
    changed[2].datum = Datum::Number(81.5);
    let third = import(
        store,
        vec![ImportChunk::Values(changed), ImportChunk::Commit],
    )
    .await
    .unwrap();
    assert_eq!(
        third,
        WriteCounts {
            updated: 1,
            unchanged: 2,
            ..WriteCounts::default()
        }
    );

    let history = store.value_history(&rows[2].key).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].datum, Datum::Number(81.5));
    assert!(history[0].replaced_at.is_none());
    assert_eq!(history[1].datum, Datum::Number(80.0));
    assert!(history[1].replaced_at.is_some());
    assert_eq!(store.value_history(&rows[0].key).await.unwrap().len(), 1);
}

async fn deletions_leave_the_value_in_the_history(store: &SqlStore) {
    load_catalogue(store).await;
    let kept = value("N15428", "0180", 2021, Gender::Total, Datum::Number(1.0));
    let gone = value("N15428", "0180", 2022, Gender::Total, Datum::Number(2.0));
    import(
        store,
        vec![ImportChunk::Values(vec![kept, gone]), ImportChunk::Commit],
    )
    .await
    .unwrap();
    let mut deletion = gone;
    deletion.datum = Datum::Deleted;
    let never_there = value("N15428", "1280", 2022, Gender::Total, Datum::Deleted);
    let counts = import(
        store,
        vec![
            ImportChunk::Values(vec![deletion, never_there]),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        counts,
        WriteCounts {
            deleted: 1,
            unchanged: 1,
            ..WriteCounts::default()
        }
    );
    assert_eq!(all_values(store, ValueFilter::default()).await, vec![kept]);
    let history = store.value_history(&gone.key).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].datum, Datum::Number(2.0));
    assert!(history[0].replaced_at.is_some());
}

async fn an_import_without_commit_writes_nothing(store: &SqlStore) {
    let rows = vec![value(
        "N15428",
        "0180",
        2022,
        Gender::Total,
        Datum::Number(1.0),
    )];
    let result = import(
        store,
        vec![
            ImportChunk::Catalogue(Box::new(catalogue())),
            ImportChunk::Values(rows),
        ],
    )
    .await;
    assert!(matches!(result, Err(StoreError::Aborted)), "{result:?}");
    let overview = store.overview().await.unwrap();
    assert_eq!(
        (overview.values, overview.measures, overview.kommuner),
        (0, 0, 0)
    );
    assert!(overview.recent_imports.is_empty());
}

async fn missing_statuses_and_group_counts_round_trip(store: &SqlStore) {
    load_catalogue(store).await;
    let mut rows: Vec<ValueRow> = MissingStatus::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| {
            value(
                "N00003",
                "0180",
                2010 + i as i64,
                Gender::Total,
                Datum::Missing(*s),
            )
        })
        .collect();
    let mut group = value("N00003", "G92787", 2010, Gender::Total, Datum::Number(-0.5));
    group.count = Some(2);
    rows.push(group);
    import(
        store,
        vec![ImportChunk::Values(rows.clone()), ImportChunk::Commit],
    )
    .await
    .unwrap();
    let mut back = all_values(store, ValueFilter::default()).await;
    back.sort_by_key(|r| (r.key.area, r.key.year));
    rows.sort_by_key(|r| (r.key.area, r.key.year));
    assert_eq!(back, rows);
}

async fn export_filters_and_orders_values(store: &SqlStore) {
    load_catalogue(store).await;
    let mut rows = Vec::new();
    for measure in ["N15428", "N00003"] {
        for area in ["1280", "0180", "G92787"] {
            for y in [2021, 2022] {
                for g in Gender::ALL {
                    rows.push(value(measure, area, y, g, Datum::Number(y as f64)));
                }
            }
        }
    }
    import(
        store,
        vec![ImportChunk::Values(rows.clone()), ImportChunk::Commit],
    )
    .await
    .unwrap();
    let everything = all_values(store, ValueFilter::default()).await;
    assert_eq!(everything.len(), rows.len());
    let keys: Vec<_> = everything
        .iter()
        .map(|r| {
            (
                r.key.measure.to_string(),
                r.key.area.to_string(),
                r.key.year,
                r.key.gender.code(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        keys, sorted,
        "exports are ordered by measure, area, year, gender bytewise"
    );
    assert_eq!(everything[0].key.measure.as_str(), "N00003");
    assert_eq!(everything[0].key.area.as_str(), "0180");

    let filtered = all_values(
        store,
        ValueFilter {
            measures: vec![kpi("N15428")],
            areas: vec![
                AreaId::parse("0180").unwrap(),
                AreaId::parse("G92787").unwrap(),
            ],
            years: vec![year(2022)],
            genders: vec![Gender::Women, Gender::Men],
            changed_since: None,
        },
    )
    .await;
    assert_eq!(filtered.len(), 4);
    assert!(
        filtered
            .iter()
            .all(|r| r.key.year == year(2022) && r.key.gender != Gender::Total)
    );
}

async fn measure_sets_round_trip(store: &SqlStore) {
    load_catalogue(store).await;
    let profile = MeasureProfile {
        measure: kpi("N15428"),
        question: "Hur många elever är behöriga?".into(),
        question_en: Some("How many pupils are eligible?".into()),
        unit: Some("procent".into()),
        unit_en: Some("per cent".into()),
        direction: Direction::HigherIsBetter,
        decimals: 1,
    };
    let mut set = MeasureSet::new(
        "kkik-test",
        "KKiK test",
        vec![
            MeasureSetArea {
                title: "Barn och unga".into(),
                title_en: Some("Children".into()),
                items: vec![MeasureSetItem {
                    measure: kpi("N15428"),
                    question: "Hur många elever är behöriga?".into(),
                    question_en: Some("How many pupils are eligible?".into()),
                    profile: Some(profile.clone()),
                }],
            },
            MeasureSetArea {
                title: "Samhälle och miljö".into(),
                title_en: None,
                items: vec![MeasureSetItem {
                    measure: kpi("N00003"),
                    question: "Vad kostar personalen?".into(),
                    question_en: None,
                    profile: None,
                }],
            },
        ],
    );
    set.participants = vec![m("0180")];
    set.description = "Ett test.".into();
    store.save_measure_set(&set).await.unwrap();
    assert_eq!(store.measure_set("kkik-test").await.unwrap().unwrap(), set);
    assert!(store.measure_set("none").await.unwrap().is_none());
    assert_eq!(store.measure_profiles().await.unwrap(), vec![profile]);
    assert_eq!(
        store
            .measure(&kpi("N15428"))
            .await
            .unwrap()
            .unwrap()
            .direction,
        Direction::HigherIsBetter,
        "the profile's direction is the measure's"
    );
    let listed = store.measure_sets().await.unwrap();
    assert_eq!(listed, vec![set.clone()], "all sets whole, as one is read");

    let mut twice = set.clone();
    twice.areas[1].items[0].measure = kpi("N15428");
    assert!(matches!(
        store.save_measure_set(&twice).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        store.measure_set("kkik-test").await.unwrap().unwrap(),
        set,
        "a failed save leaves the old set"
    );
    // A set may name a measure whose catalogue is not loaded yet (a shipped set).
    let mut ahead = set.clone();
    ahead.areas[1].items[0].measure = kpi("N99999");
    store.save_measure_set(&ahead).await.unwrap();
}

async fn overview_counts_what_is_loaded(store: &SqlStore) {
    load_catalogue(store).await;
    import(
        store,
        vec![
            ImportChunk::Values(vec![
                value("N15428", "0180", 1998, Gender::Total, Datum::Number(1.0)),
                value("N15428", "0180", 2022, Gender::Total, Datum::Number(1.0)),
            ]),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    let o = store.overview().await.unwrap();
    assert_eq!(
        (
            o.kommuner, o.regions, o.riket, o.groups, o.measures, o.values
        ),
        (3, 1, 1, 1, 2, 2)
    );
    assert_eq!((o.first_year, o.last_year), (Some(1998), Some(2022)));
    assert_eq!(o.recent_imports.len(), 2);
    assert_eq!(o.recent_imports[0].inserted, 2);
    let known = store.known_ids().await.unwrap();
    assert!(known.measures.contains(&kpi("N15428")));
    assert!(known.knows_area(&AreaId::parse("G92787").unwrap()));
}

async fn an_unfinished_sync_is_resumed_with_its_finished_queries(store: &SqlStore) {
    let (run, done) = store
        .start_sync("http://a/v3", "kpis=;years=2022")
        .await
        .unwrap();
    assert!(done.is_empty());
    store
        .finish_sync_query(run, "http://a/v3/kpi?per_page=5000")
        .await
        .unwrap();
    store
        .finish_sync_query(run, "http://a/v3/kpi?per_page=5000")
        .await
        .unwrap();
    let (again, done) = store
        .start_sync("http://a/v3", "kpis=;years=2022")
        .await
        .unwrap();
    assert_eq!(again, run);
    assert_eq!(
        done.into_iter().collect::<Vec<_>>(),
        ["http://a/v3/kpi?per_page=5000"]
    );
    let (other, done) = store
        .start_sync("http://a/v3", "kpis=;years=2023")
        .await
        .unwrap();
    assert_ne!(other, run, "other options make another run");
    assert!(done.is_empty());
    store.finish_sync(run).await.unwrap();
    let (fresh, done) = store
        .start_sync("http://a/v3", "kpis=;years=2022")
        .await
        .unwrap();
    assert_ne!(fresh, run, "a finished run is not resumed");
    assert!(done.is_empty());
}
