//! Assessment rounds: frameworks per version, answers through consensus to published measures, survey distributions.

use super::*;

both_backends!(
    frameworks_are_kept_per_version,
    assessment_rounds_go_from_answers_through_consensus_to_published_measures,
    survey_rounds_import_distributions_and_leave_out_thin_statements,
    a_draft_round_is_renamed_and_removed_with_everything_in_it,
    a_published_round_is_reopened_for_correction_with_its_reason,
);

/// A published round reopened: back to draft, the correction listed with its reason (and
/// who, for staff), audited; a round that is not published is refused.
async fn a_published_round_is_reopened_for_correction_with_its_reason(store: &SqlStore) {
    use kvalitet_app::ports::{Actor, NewRound, RoundFilter};
    use kvalitet_domain::audit::AuditAction;
    use kvalitet_domain::round::{RoundKind, Status};
    load_catalogue(store).await;
    load_framework(store, ROUND_FRAMEWORK).await;
    let (_, admin_g) = person(store, "admin@sthlm.se", Some("0180")).await;
    let actor = Actor {
        who: "admin@sthlm.se".into(),
        at: t("2026-12-01T09:00:00Z"),
    };
    let new = NewRound {
        municipality: m("0180"),
        framework_id: "dx".into(),
        framework_version: "1".into(),
        kind: RoundKind::SelfAssessment,
        title: "Delaktighet".into(),
        year: Year::new(2026).unwrap(),
    };
    let round = kvalitet_app::assessments::create_round(store, &admin_g, &new, &actor)
        .await
        .unwrap();
    assert!(
        store.reopen_round(round, "x", &actor).await.is_err(),
        "a draft is not reopened"
    );
    for (from, to, action) in [
        (Status::Draft, Status::Submitted, AuditAction::RoundSubmit),
        (
            Status::Submitted,
            Status::Reviewed,
            AuditAction::RoundReview,
        ),
        (
            Status::Reviewed,
            Status::Published,
            AuditAction::RoundPublish,
        ),
    ] {
        store
            .set_round_status(round, from, to, None, action, &actor)
            .await
            .unwrap();
    }
    store
        .reopen_round(round, "Fel underlag.", &actor)
        .await
        .unwrap();
    let r = store
        .rounds(&RoundFilter {
            id: Some(round),
            ..RoundFilter::default()
        })
        .await
        .unwrap()
        .remove(0);
    assert_eq!(r.status, Status::Draft);
    assert_eq!(r.corrections.len(), 1);
    assert_eq!(
        (
            r.corrections[0].reason.as_str(),
            r.corrections[0].by.as_str()
        ),
        ("Fel underlag.", "admin@sthlm.se")
    );
    let trail = store.audit_events(Some(&m("0180")), 10).await.unwrap();
    assert_eq!(trail[0].action, "round.correct");
}

/// A round made by mistake: renamed by its administrator, removed with its assessors,
/// answers and files while in draft (all of it), refused once submitted.
async fn a_draft_round_is_renamed_and_removed_with_everything_in_it(store: &SqlStore) {
    use kvalitet_app::assessments::{self as a, AnswerForm, AssessError, DecisionForm};
    use kvalitet_app::ports::{Actor, NewRound};
    use kvalitet_domain::round::{AssessorRole, RoundKind, Step};
    load_catalogue(store).await;
    load_framework(store, ROUND_FRAMEWORK).await;
    let (admin, admin_g) = person(store, "admin@sthlm.se", Some("0180")).await;
    let (_, malmo_g) = person(store, "admin@malmo.se", Some("1280")).await;
    let actor = Actor {
        who: "admin@sthlm.se".into(),
        at: t("2026-11-23T09:00:00Z"),
    };
    let new = NewRound {
        municipality: m("0180"),
        framework_id: "dx".into(),
        framework_version: "1".into(),
        kind: RoundKind::SelfAssessment,
        title: "Fel".into(),
        year: Year::new(2025).unwrap(),
    };
    let round = a::create_round(store, &admin_g, &new, &actor)
        .await
        .unwrap();
    a::set_assessor(
        store,
        &admin_g,
        round,
        "admin@sthlm.se",
        Some(AssessorRole::Lead),
        &actor,
    )
    .await
    .unwrap();
    let lead_g = store
        .user_by_email("admin@sthlm.se")
        .await
        .unwrap()
        .unwrap()
        .grants;
    let answer = AnswerForm {
        question: "a1".into(),
        answer: "Ja".into(),
        ..AnswerForm::default()
    };
    let file = a::Attachment {
        question: "a1",
        filename: "rutin.txt",
        body: b"rutin",
    };
    a::save_answers(store, &lead_g, admin, round, &[answer], &[file], &actor)
        .await
        .unwrap();
    assert!(matches!(
        a::rename_round(store, &malmo_g, round, "Annat", &actor).await,
        Err(AssessError::NotFound(_))
    ));
    a::rename_round(store, &admin_g, round, "  Rätt namn ", &actor)
        .await
        .unwrap();
    assert_eq!(a::round(store, round).await.unwrap().title, "Rätt namn");
    assert!(matches!(
        a::delete_round(store, &malmo_g, round, &actor).await,
        Err(AssessError::NotFound(_))
    ));
    assert_eq!(
        a::delete_round(store, &admin_g, round, &actor)
            .await
            .unwrap(),
        m("0180")
    );
    assert!(matches!(
        a::round(store, round).await,
        Err(AssessError::NotFound(_))
    ));
    let content = store.round_content(round).await.unwrap();
    assert!(content.answers.is_empty() && content.documents.is_empty());
    let actions: Vec<String> = store
        .audit_events(Some(&m("0180")), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.contains(&"round.rename".to_owned())
            && actions.contains(&"round.delete".to_owned())
    );

    // Once submitted, it stays.
    let kept = a::create_round(store, &admin_g, &new, &actor)
        .await
        .unwrap();
    a::set_assessor(
        store,
        &admin_g,
        kept,
        "admin@sthlm.se",
        Some(AssessorRole::Lead),
        &actor,
    )
    .await
    .unwrap();
    let agreed = DecisionForm {
        question: "a1".into(),
        answer: "Ja".into(),
        reason: String::new(),
    };
    a::decide(store, &lead_g, admin, kept, &[agreed], &actor)
        .await
        .unwrap();
    a::take_step(store, &lead_g, admin, kept, Step::Submit, &actor)
        .await
        .unwrap();
    assert!(matches!(
        a::delete_round(store, &admin_g, kept, &actor).await,
        Err(AssessError::Invalid(_))
    ));
}

pub(crate) const ROUND_FRAMEWORK: &str = r#"
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
        at: t("2026-11-23T09:00:00Z"),
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
        &[],
        &actor("eval@skr.se"),
    )
    .await
    .unwrap_err();
    let AssessError::BadRows(problems) = err else {
        panic!("{err:?}")
    };
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0]
            .to_string()
            .contains("\"Kanske\" is not one of Nej, Delvis, Ja"),
        "{problems:?}"
    );
    assert!(
        problems[1]
            .to_string()
            .contains("question \"zz\" is not in dx 1"),
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
                &[],
                &actor("admin@sthlm.se")
            )
            .await,
            Err(AssessError::Forbidden(_))
        ),
        "an administrator who is not an assessor does not answer"
    );

    // Files go with the answers: an empty one refuses the whole save, named at its question.
    let file = |question, body: &'static [u8]| a::Attachment {
        question,
        filename: "C:\\Users\\eva\\rutin.pdf",
        body,
    };
    let err = a::save_answers(
        store,
        &eval_g,
        eval,
        round,
        &[form("a1", "Ja")],
        &[file("a1", b"%PDF-1.7"), file("a2", b"")],
        &actor("eval@skr.se"),
    )
    .await
    .unwrap_err();
    let AssessError::BadRows(problems) = err else {
        panic!("{err:?}")
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    let content = store.round_content(round).await.unwrap();
    assert!(content.answers.is_empty() && content.documents.is_empty());
    a::save_answers(
        store,
        &eval_g,
        eval,
        round,
        &[form("a1", "Ja"), form("a2", "Delvis"), form("b1", "Nej")],
        &[file("a1", b"%PDF-1.7")],
        &actor("eval@skr.se"),
    )
    .await
    .unwrap();
    let documents = store.round_content(round).await.unwrap().documents;
    assert_eq!(documents.len(), 1);
    assert_eq!(
        (
            documents[0].filename.as_str(),
            documents[0].content_type.as_str()
        ),
        ("rutin.pdf", "application/pdf"),
        "only the name's last part is kept"
    );
    a::save_answers(
        store,
        &lead_g,
        lead,
        round,
        &[form("a1", "Ja"), form("a2", "Ja"), form("b1", "Nej")],
        &[],
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
        problems[0]
            .to_string()
            .contains("the assessors differ (1–3 points)"),
        "{problems:?}"
    );
    assert!(
        problems[1].to_string().contains("\"9\" is not one of"),
        "{problems:?}"
    );
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
            &[],
            &actor("eval@skr.se")
        )
        .await
        .is_err(),
        "answers are frozen once submitted"
    );
    // Unpublished rounds are unknown to outsiders, and reports follow the same rule.
    assert!(matches!(
        a::report(store, &malmo_g, kvalitet_domain::UserId(999), round).await,
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
        &[],
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

    let report = a::report(
        store,
        &kvalitet_domain::Grants::default(),
        kvalitet_domain::UserId::NOBODY,
        round,
    )
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
        at: t("2026-11-23T09:00:00Z"),
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
    assert!(
        problems[2]
            .to_string()
            .starts_with("line 4, column 1: \"U00300\" is listed twice")
    );
    assert!(
        problems[0].to_string().starts_with("line 2, column 4 (3)"),
        "{problems:?}"
    );
    assert!(
        problems[1]
            .to_string()
            .starts_with("line 3, column 1: \"U00399\" is not a 1–5 statement"),
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
