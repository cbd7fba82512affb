//! The goals port with its use cases: a plan imported as a draft (checked whole, by editors),
//! published by an administrator (the earlier one kept as superseded), read back, and official
//! statuses with motivations, closed follow-up periods with their frozen snapshots; every
//! change in the audit trail.

use kvalitet_app::goals;
use kvalitet_app::ports::prelude::*;
use kvalitet_app::ports::{Actor, PlanStatus, StoreError};
use kvalitet_app::refusal::Refusal;
use kvalitet_store::SqlStore;

use crate::{load_catalogue, m, person, t};

both_backends!(
    a_plan_goes_from_draft_to_published_and_the_earlier_one_is_kept,
    a_bad_plan_is_refused_whole_with_each_place,
    a_status_needs_an_administrator_a_motivation_and_a_known_goal,
    a_closed_period_keeps_its_snapshot_and_its_code_once,
    goal_by_goal_edits_never_overwrite_another_save,
    an_item_links_to_one_published_goal_at_a_time,
);

const PLAN: &str = r#"
municipality = "0180"

[[goals]]
id = "vision"
level = "vision"
title = "En stad för alla"

[[goals]]
id = "kf1"
parent = "vision"
level = "kf"
title = "Fler ska få ett jobb"

[[goals.indicators]]
measure = "N00001"
aim = "higher"
baseline_year = 2020
targets = { 2026 = 90 }
"#;

fn actor(who: &str, at: &str) -> Actor {
    Actor {
        who: who.into(),
        at: t(at),
    }
}

async fn a_plan_goes_from_draft_to_published_and_the_earlier_one_is_kept(store: &SqlStore) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let a = actor("anna@kommun.se", "2026-12-01T09:00:00Z");
    let (muni, first, n) = goals::import_plan(store, &anna, PLAN, |_| true, &a)
        .await
        .unwrap();
    assert_eq!((muni, n), (m("0180"), 2));
    // A draft is not public; its municipality's people see it.
    assert!(
        goals::plan(store, None, &muni, false)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        goals::plan(store, None, &muni, true)
            .await
            .unwrap()
            .is_none()
    );
    let draft = goals::plan(store, Some(&anna), &muni, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(draft.stored.status, PlanStatus::Draft);
    assert_eq!(draft.plan.goals[1].indicators[0].measure, "N00001");
    // A second import replaces the draft: publishing the first one is refused as stale.
    let second_text = PLAN.replace("Fler ska få ett jobb", "Fler ska få arbete");
    let (_, second, _) = goals::import_plan(store, &anna, &second_text, |_| true, &a)
        .await
        .unwrap();
    let stale = goals::publish_plan(store, &anna, &muni, first, &a).await;
    assert!(matches!(stale, Err(Refusal::Invalid(_))), "{stale:?}");
    goals::publish_plan(store, &anna, &muni, second, &a)
        .await
        .unwrap();
    let published = goals::plan(store, None, &muni, false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(published.plan.goals[1].title, "Fler ska få arbete");
    assert_eq!(
        published.stored.published_by.as_deref(),
        Some("anna@kommun.se")
    );
    // A new draft and its publishing: one published plan, the earlier kept as superseded.
    let (_, third, _) = goals::import_plan(store, &anna, PLAN, |_| true, &a)
        .await
        .unwrap();
    goals::publish_plan(store, &anna, &muni, third, &a)
        .await
        .unwrap();
    let plans = store.goal_plans(&muni).await.unwrap();
    assert_eq!(
        plans.len(),
        1,
        "only the published one is current: {plans:?}"
    );
    assert_eq!(plans[0].id, third);
    let trail = store.audit_events(Some(&muni), 50).await.unwrap();
    let codes: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "goal.import").count(),
        3,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == "goal.publish").count(),
        2,
        "{codes:?}"
    );
    // Another municipality's administrator may not publish it.
    let (_, dan) = person(store, "dan@kommun.se", Some("0114")).await;
    let (_, fourth, _) = goals::import_plan(store, &anna, PLAN, |_| true, &a)
        .await
        .unwrap();
    assert!(matches!(
        goals::publish_plan(store, &dan, &muni, fourth, &a).await,
        Err(Refusal::Forbidden(_))
    ));
    assert!(matches!(
        store.publish_goal_plan(&m("0114"), fourth, &a).await,
        Err(StoreError::Conflict(_))
    ));
}

async fn a_bad_plan_is_refused_whole_with_each_place(store: &SqlStore) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let a = actor("anna@kommun.se", "2026-12-01T09:00:00Z");
    let bad = PLAN
        .replace("parent = \"vision\"", "parent = \"kf1\"")
        .replace("targets = { 2026 = 90 }", "targets = { 2019 = 90 }");
    let Err(Refusal::BadRows(problems)) =
        goals::import_plan(store, &anna, &bad, |m| m == "N00001", &a).await
    else {
        panic!("a plan with a cycle and a target before its baseline is refused");
    };
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        text.iter().any(|p| p.contains("kf1") && p.contains("2019")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|p| p.contains("goal_cycle") || p.contains("circle")),
        "{text:?}"
    );
    assert!(
        store.goal_plans(&m("0180")).await.unwrap().is_empty(),
        "nothing written"
    );
    // Another municipality's plan by Anna: refused, nothing written.
    let (_, dan) = person(store, "dan@kommun.se", Some("0114")).await;
    assert!(matches!(
        goals::import_plan(store, &dan, PLAN, |_| true, &a).await,
        Err(Refusal::Forbidden(_))
    ));
    assert!(store.goal_plans(&m("0180")).await.unwrap().is_empty());
}

async fn a_status_needs_an_administrator_a_motivation_and_a_known_goal(store: &SqlStore) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let a = actor("anna@kommun.se", "2026-12-01T09:00:00Z");
    let muni = m("0180");
    goals::import_plan(store, &anna, PLAN, |_| true, &a)
        .await
        .unwrap();
    let no_reason = goals::set_status(store, &anna, &muni, "kf1", "partly", "  ", &a).await;
    assert!(
        matches!(no_reason, Err(Refusal::Invalid(_))),
        "{no_reason:?}"
    );
    let unknown = goals::set_status(store, &anna, &muni, "kf9", "partly", "Skäl.", &a).await;
    assert!(matches!(unknown, Err(Refusal::NotFound(_))), "{unknown:?}");
    let (_, dan) = person(store, "dan@kommun.se", Some("0114")).await;
    let outsider = goals::set_status(store, &dan, &muni, "kf1", "partly", "Skäl.", &a).await;
    assert!(
        matches!(outsider, Err(Refusal::Forbidden(_))),
        "{outsider:?}"
    );
    goals::set_status(
        store,
        &anna,
        &muni,
        "kf1",
        "partly",
        "Sysselsättningen ökar men når inte målet.",
        &a,
    )
    .await
    .unwrap();
    let later = actor("anna@kommun.se", "2026-12-02T09:00:00Z");
    goals::set_status(
        store,
        &anna,
        &muni,
        "kf1",
        "fulfilled",
        "Målet nåddes i december.",
        &later,
    )
    .await
    .unwrap();
    let now = goals::statuses(store, &muni).await.unwrap();
    let kf1 = &now["kf1"];
    assert_eq!(kf1.status.code(), "fulfilled");
    assert_eq!(kf1.set_by, "anna@kommun.se");
    assert_eq!(
        store.goal_statuses(&muni).await.unwrap().len(),
        2,
        "the history is kept"
    );
}

async fn a_closed_period_keeps_its_snapshot_and_its_code_once(store: &SqlStore) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let a = actor("anna@kommun.se", "2026-12-01T09:00:00Z");
    let muni = m("0180");
    let (_, plan, _) = goals::import_plan(store, &anna, PLAN, |_| true, &a)
        .await
        .unwrap();
    goals::publish_plan(store, &anna, &muni, plan, &a)
        .await
        .unwrap();
    let published = goals::plan(store, None, &muni, false)
        .await
        .unwrap()
        .unwrap();
    let report = goals::follow_up_report(
        &muni,
        "Stockholm".into(),
        2025,
        published.stored.published_at,
        &published.plan.goals,
        &[],
        |_| None,
        |_, _| None,
        &Default::default(),
    );
    let period = kvalitet_domain::goals::period("interim", "2025", "", "Delår 2025", "").unwrap();
    let (_, cia) = person(store, "cia@kommun.se", None).await;
    let outsider = goals::close_period(store, &cia, &muni, &period, plan, report.clone(), &a).await;
    assert!(
        matches!(outsider, Err(Refusal::Forbidden(_))),
        "{outsider:?}"
    );
    goals::close_period(store, &anna, &muni, &period, plan, report.clone(), &a)
        .await
        .unwrap();
    let again = goals::close_period(store, &anna, &muni, &period, plan, report.clone(), &a).await;
    assert!(matches!(again, Err(Refusal::Invalid(_))), "{again:?}");
    let (stored, frozen) = goals::period(store, &muni, "delar-2025")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.period.closes_on, "2025-08-31");
    assert_eq!(stored.plan, plan);
    assert_eq!(
        frozen.goals, report.goals,
        "the snapshot reads back as frozen"
    );
    assert_eq!(
        frozen.period.as_ref().map(|p| p.title.as_str()),
        Some("Delår 2025")
    );
    assert!(
        goals::period(store, &muni, "helar-2025")
            .await
            .unwrap()
            .is_none()
    );
    let events = store.audit_events(Some(&muni), 10).await.unwrap();
    assert!(
        events.iter().any(|e| e.action == "goal.period_close"),
        "{events:?}"
    );
}

async fn goal_by_goal_edits_never_overwrite_another_save(store: &SqlStore) {
    use kvalitet_domain::goals::{GoalFields, PlanEdit, goal_from_fields};
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let a = actor("anna@kommun.se", "2026-12-01T09:00:00Z");
    let muni = m("0180");
    let goal = |id: &str, parent: &str| {
        goal_from_fields(&GoalFields {
            id: id.into(),
            parent: parent.into(),
            level: "kf".into(),
            title: format!("Mål {id}"),
            ..GoalFields::default()
        })
        .unwrap()
    };
    // The first goal starts a plan; a second "first" made from nothing is refused.
    let first = goals::edit_plan(
        store,
        &anna,
        &muni,
        None,
        PlanEdit::AddGoal(goal("a", "")),
        |_| true,
        &a,
    )
    .await
    .unwrap();
    let again = goals::edit_plan(
        store,
        &anna,
        &muni,
        None,
        PlanEdit::AddGoal(goal("b", "")),
        |_| true,
        &a,
    )
    .await;
    assert!(
        matches!(again, Err(Refusal::Invalid(ref m)) if m.code == "goal_plan_changed"),
        "{again:?}"
    );
    // Published, the plan is what an edit starts from until there is a draft.
    goals::publish_plan(store, &anna, &muni, first, &a)
        .await
        .unwrap();
    let draft = goals::edit_plan(
        store,
        &anna,
        &muni,
        Some(first),
        PlanEdit::AddGoal(goal("a1", "a")),
        |_| true,
        &a,
    )
    .await
    .unwrap();
    let stale = goals::edit_plan(
        store,
        &anna,
        &muni,
        Some(first),
        PlanEdit::AddGoal(goal("a2", "a")),
        |_| true,
        &a,
    )
    .await;
    assert!(matches!(stale, Err(Refusal::Invalid(_))), "{stale:?}");
    // The port itself refuses a save based on a plan that is no longer current, whatever
    // the use case saw.
    let conflict = store.save_goal_draft(&muni, "x", Some(first), &a).await;
    assert!(
        matches!(conflict, Err(StoreError::Conflict(_))),
        "{conflict:?}"
    );
    let next = store
        .save_goal_draft(&muni, "municipality = \"0180\"\n", Some(draft), &a)
        .await
        .unwrap();
    assert!(next > draft);
    let plans = store.goal_plans(&muni).await.unwrap();
    assert_eq!(
        plans
            .iter()
            .filter(|p| p.status == PlanStatus::Draft)
            .count(),
        1
    );
    // An unknown measure or a broken link is refused whole, nothing saved.
    let dangling = goals::edit_plan(
        store,
        &anna,
        &muni,
        Some(next),
        PlanEdit::AddGoal(goal("c", "nowhere")),
        |_| true,
        &a,
    )
    .await;
    assert!(matches!(dangling, Err(Refusal::BadRows(_))), "{dangling:?}");
    assert_eq!(
        store
            .goal_plans(&muni)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .max(),
        Some(next)
    );
}

async fn an_item_links_to_one_published_goal_at_a_time(store: &SqlStore) {
    use kvalitet_domain::goals::Linked;
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let a = actor("anna@kommun.se", "2026-12-01T09:00:00Z");
    let muni = m("0180");
    let (_, draft, _) = goals::import_plan(store, &anna, PLAN, |_| true, &a)
        .await
        .unwrap();
    // Only a goal of the published plan: none is published yet.
    let early = goals::link_goal(store, &anna, &muni, Linked::Proposal, "3", "kf1", &a).await;
    assert!(matches!(early, Err(Refusal::BadRows(_))), "{early:?}");
    goals::publish_plan(store, &anna, &muni, draft, &a)
        .await
        .unwrap();
    let (_, dan) = person(store, "dan@kommun.se", Some("0114")).await;
    let outsider = goals::link_goal(store, &dan, &muni, Linked::Proposal, "3", "kf1", &a).await;
    assert!(
        matches!(outsider, Err(Refusal::Forbidden(_))),
        "{outsider:?}"
    );
    goals::link_goal(store, &anna, &muni, Linked::Proposal, "3", "kf1", &a)
        .await
        .unwrap();
    // Another kind with the same number is another item.
    goals::link_goal(store, &anna, &muni, Linked::Dialogue, "3", "vision", &a)
        .await
        .unwrap();
    let linked = goals::linked_goal(store, &muni, Linked::Proposal, "3")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (linked.id.as_str(), linked.title.as_str()),
        ("kf1", "Fler ska få ett jobb")
    );
    // Linking again replaces; an empty goal removes.
    goals::link_goal(store, &anna, &muni, Linked::Proposal, "3", "vision", &a)
        .await
        .unwrap();
    assert_eq!(
        store
            .goal_link(&muni, Linked::Proposal, "3")
            .await
            .unwrap()
            .as_deref(),
        Some("vision")
    );
    goals::link_goal(store, &anna, &muni, Linked::Proposal, "3", " ", &a)
        .await
        .unwrap();
    assert_eq!(
        store.goal_link(&muni, Linked::Proposal, "3").await.unwrap(),
        None
    );
    assert_eq!(
        store
            .goal_link(&muni, Linked::Dialogue, "3")
            .await
            .unwrap()
            .as_deref(),
        Some("vision")
    );
    assert!(
        goals::linked_goal(store, &muni, Linked::BudgetRound, "3")
            .await
            .unwrap()
            .is_none()
    );
}
