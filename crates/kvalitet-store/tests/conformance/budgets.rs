//! The citizen-budget port with its use cases: a round set up (bad forms refused field by
//! field), projects added and judged, voting opened with the lot, one-time codes, ballots
//! checked against the rules and the window, one ballot per code even when two race, the
//! count stored after the window, the `.pb` export read back, and a `.pb` round imported.

use kvalitet_app::budget::{self, BallotForm, ProjectForm, RoundForm};
use kvalitet_app::ports::prelude::*;
use kvalitet_app::ports::{Actor, StoreError};
use kvalitet_app::refusal::Refusal;
use kvalitet_domain::budget_round::BudgetStatus;
use kvalitet_store::SqlStore;

use crate::{load_catalogue, m, person, t};

both_backends!(
    a_round_is_set_up_voted_and_counted,
    a_code_takes_one_ballot_even_when_two_race,
    a_pb_round_is_imported_and_counted,
    an_address_votes_once_by_e_mail_even_when_two_links_race,
);

fn actor(at: &str) -> Actor {
    Actor {
        who: "anna@kommun.se".into(),
        at: t(at),
    }
}

fn round_form(code: &str) -> RoundForm {
    RoundForm {
        code: code.into(),
        title: "Medborgarbudget 2027".into(),
        description: "Förslag för parker och lekplatser.".into(),
        amount: "100 000".into(),
        ballot_kind: "approval".into(),
        max_projects: "2".into(),
        points: String::new(),
        rule: "mes".into(),
        first_day: "2026-12-01".into(),
        last_day: "2026-12-14".into(),
        areas: "Norr\nSöder\n".into(),
        identification: String::new(),
    }
}

fn project(code: &str, cost: &str) -> ProjectForm {
    ProjectForm {
        code: code.into(),
        title: format!("Projekt {code}"),
        description: String::new(),
        cost: cost.into(),
        area: "Norr".into(),
        proposed_by: "resident".into(),
    }
}

fn problems(r: Result<impl std::fmt::Debug, Refusal>) -> Vec<String> {
    match r {
        Err(Refusal::BadRows(ps)) => ps.iter().map(ToString::to_string).collect(),
        Err(other) => vec![other.message().to_string()],
        Ok(v) => panic!("expected a refusal, got {v:?}"),
    }
}

fn judged(project: i64, feasible: bool, reason: &str) -> budget::Judgement<'_> {
    budget::Judgement {
        project,
        feasible,
        reason,
    }
}

fn ballot(code: &str, area: &str, projects: &[i64]) -> BallotForm {
    BallotForm {
        code: code.into(),
        area: area.into(),
        choices: projects
            .iter()
            .map(|p| (p.to_string(), "1".to_owned()))
            .collect(),
    }
}

/// A round with projects a (60,000), b (40,000), c (30,000) feasible and d refused, opened.
async fn opened_round(store: &SqlStore, code: &str) -> (i64, Vec<i64>) {
    opened_round_by(store, round_form(code)).await
}

async fn opened_round_by(store: &SqlStore, form: RoundForm) -> (i64, Vec<i64>) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let muni = m("0180");
    let a = actor("2026-11-20T09:00:00Z");
    let id = budget::create_round(store, &anna, &muni, &form, &a)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (c, cost) in [
        ("a", "60000"),
        ("b", "40000"),
        ("c", "30000"),
        ("d", "5000"),
    ] {
        ids.push(
            budget::add_project(store, &anna, &muni, id, &project(c, cost), &a)
                .await
                .unwrap(),
        );
    }
    for &p in &ids[..3] {
        budget::judge(store, &anna, &muni, id, judged(p, true, ""), &a)
            .await
            .unwrap();
    }
    let refused = judged(ids[3], false, "Marken är inte kommunens.");
    budget::judge(store, &anna, &muni, id, refused, &a)
        .await
        .unwrap();
    budget::open(store, &anna, &muni, id, &a).await.unwrap();
    (id, ids)
}

async fn a_round_is_set_up_voted_and_counted(store: &SqlStore) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let (_, other) = person(store, "olle@annan.se", Some("0114")).await;
    let muni = m("0180");
    let a = actor("2026-11-20T09:00:00Z");
    // Every problem of the form at once, in its field; nothing written.
    let mut bad = round_form("a b");
    bad.amount = "mycket".into();
    bad.last_day = "2026-11-01".into();
    let said = problems(budget::create_round(store, &anna, &muni, &bad, &a).await);
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(said.iter().any(|p| p.starts_with("Amount")), "{said:?}");
    assert!(store.budget_rounds(&muni).await.unwrap().is_empty());
    // Another municipality's people may not set up a round here.
    assert!(matches!(
        budget::create_round(store, &other, &muni, &round_form("x"), &a).await,
        Err(Refusal::Forbidden(_))
    ));
    let id = budget::create_round(store, &anna, &muni, &round_form("2027"), &a)
        .await
        .unwrap();
    assert!(
        problems(budget::create_round(store, &anna, &muni, &round_form("2027"), &a).await)[0]
            .contains("2027")
    );
    let p1 = budget::add_project(store, &anna, &muni, id, &project("a", "60000"), &a)
        .await
        .unwrap();
    let p2 = budget::add_project(store, &anna, &muni, id, &project("b", "50000"), &a)
        .await
        .unwrap();
    // Not opened while a project waits for its judgement; an infeasible one needs a reason.
    assert!(budget::open(store, &anna, &muni, id, &a).await.is_err());
    assert!(
        budget::judge(store, &anna, &muni, id, judged(p2, false, " "), &a)
            .await
            .is_err()
    );
    budget::judge(store, &anna, &muni, id, judged(p1, true, ""), &a)
        .await
        .unwrap();
    budget::judge(store, &anna, &muni, id, judged(p2, true, ""), &a)
        .await
        .unwrap();
    // Not public as a draft.
    assert!(
        budget::for_public(store, &muni, "2027", true)
            .await
            .is_err()
    );
    budget::open(store, &anna, &muni, id, &a).await.unwrap();
    let round = budget::for_public(store, &muni, "2027", true)
        .await
        .unwrap();
    let mut lot = round.stored.lot.clone().unwrap();
    lot.sort_unstable();
    assert_eq!(lot, vec![p1, p2]);
    // Opened: the projects and rules are fixed.
    assert!(
        budget::add_project(store, &anna, &muni, id, &project("c", "1"), &a)
            .await
            .is_err()
    );
    let codes = budget::make_codes(store, &anna, &muni, id, 3, &a)
        .await
        .unwrap();
    assert_eq!(codes.len(), 3);
    assert_eq!(codes[0].len(), 14, "{}", codes[0]);
    let during = t("2026-12-05T12:00:00Z");
    let before = t("2026-11-30T12:00:00Z");
    // Outside the window, over the rules, without the area or with a code not handed out:
    // refused and nothing written.
    let good = ballot(&codes[0], "Norr", &[p1]);
    assert!(budget::vote(store, &round, &good, before).await.is_err());
    let over =
        problems(budget::vote(store, &round, &ballot(&codes[0], "Norr", &[p1, p2]), during).await);
    assert!(over[0].contains("more than the budget"), "{over:?}");
    let no_area =
        problems(budget::vote(store, &round, &ballot(&codes[0], "", &[p1]), during).await);
    assert!(no_area[0].starts_with("Area"), "{no_area:?}");
    let unknown = problems(
        budget::vote(
            store,
            &round,
            &ballot("AAAA-BBBB-CCCC", "Norr", &[p1]),
            during,
        )
        .await,
    );
    assert!(unknown[0].contains("code does not exist"), "{unknown:?}");
    // The code as typed on a phone: small letters, no dashes.
    let typed = ballot(&codes[0].replace('-', " ").to_lowercase(), "Norr", &[p1]);
    budget::vote(store, &round, &typed, during).await.unwrap();
    let again = problems(budget::vote(store, &round, &good, during).await);
    assert!(again[0].contains("used"), "{again:?}");
    budget::vote(store, &round, &ballot(&codes[1], "Söder", &[p1]), during)
        .await
        .unwrap();
    budget::vote(store, &round, &ballot(&codes[2], "Söder", &[p2]), during)
        .await
        .unwrap();
    let ballots = store.budget_ballots(&muni, id).await.unwrap();
    assert_eq!(ballots.len(), 3);
    assert_eq!(ballots[0].choices, vec![(p1, 1)]);
    assert_eq!(ballots[0].cast_on, "2026-12-05");
    // The ballots are the round's participants in the year they were cast.
    let december = |d| time::Date::from_calendar_date(2026, time::Month::December, d).unwrap();
    let taking_part = store
        .participation(&muni, december(1), december(31))
        .await
        .unwrap();
    assert_eq!((taking_part.ballots, taking_part.addresses.len()), (3, 0));
    let other_days = store
        .participation(&muni, december(6), december(31))
        .await
        .unwrap();
    assert_eq!(other_days.ballots, 0);
    // Counted only after the last day; then stored with every rule's choice.
    assert!(
        budget::count_round(store, &anna, &muni, id, &actor("2026-12-14T20:00:00Z"))
            .await
            .is_err()
    );
    budget::count_round(store, &anna, &muni, id, &actor("2026-12-15T08:00:00Z"))
        .await
        .unwrap();
    let counted = budget::for_public(store, &muni, "2027", true)
        .await
        .unwrap();
    assert_eq!(counted.stored.status, BudgetStatus::Counted);
    let result = counted.counted.clone().unwrap();
    assert_eq!(result.ballots, 3);
    assert_eq!(
        result
            .by_rule
            .iter()
            .map(|r| r.rule.as_str())
            .collect::<Vec<_>>(),
        ["mes", "greedy", "mes-add1"]
    );
    // Greedy: a (2 votes), then b does not fit in the 40,000 left.
    assert_eq!(result.by_rule[1].funded, ["a"]);
    assert_eq!(result.by_rule[1].cost, 60_000);
    // Equal shares: 3 voters with 33,333 each; a's two supporters hold 66,667 and buy it,
    // b's one supporter holds 33,333 < 50,000.
    assert_eq!(result.by_rule[0].funded, ["a"]);
    assert!(matches!(
        result.by_rule[0].projects[1].fate,
        budget::FateRecord::SupportersCouldNotPay { .. }
    ));
    // No more ballots once counted; the export reads back with the same outcome.
    assert!(budget::vote(store, &counted, &good, during).await.is_err());
    let pb = budget::export_pb(store, &counted).await.unwrap();
    let read = kvalitet_formats::pabulib::read(&pb).unwrap();
    assert_eq!(read.election.ballots.len(), 3);
    assert_eq!(read.selected, vec![Some(true), Some(false)]);
    let audit = store.audit_events(Some(&muni), 100).await.unwrap();
    for action in [
        "budget.create",
        "budget.open",
        "budget.codes",
        "budget.count",
    ] {
        assert!(
            audit.iter().any(|e| e.action == action),
            "{action} not audited"
        );
    }
}

async fn a_code_takes_one_ballot_even_when_two_race(store: &SqlStore) {
    let (id, ids) = opened_round(store, "race").await;
    let (_, anna) = person(store, "bo@kommun.se", Some("0180")).await;
    let muni = m("0180");
    let codes = budget::make_codes(store, &anna, &muni, id, 1, &actor("2026-11-21T09:00:00Z"))
        .await
        .unwrap();
    let round = budget::for_public(store, &muni, "race", false)
        .await
        .unwrap();
    let during = t("2026-12-05T12:00:00Z");
    let tries = (0..8).map(|_| {
        let (store, round, code) = (store.clone(), round.clone(), codes[0].clone());
        let p = ids[0];
        tokio::spawn(async move {
            budget::vote(&store, &round, &ballot(&code, "Norr", &[p]), during)
                .await
                .is_ok()
        })
    });
    let mut taken = 0;
    for t in tries.collect::<Vec<_>>() {
        taken += usize::from(t.await.unwrap());
    }
    assert_eq!(taken, 1);
    assert_eq!(store.budget_ballots(&muni, id).await.unwrap().len(), 1);
    // One batch (ballots arriving together): the second ballot on a code finds it used, a
    // code not handed out is unknown, the rest are cast; only those are stored.
    let more = budget::make_codes(store, &anna, &muni, id, 2, &actor("2026-11-21T09:00:00Z"))
        .await
        .unwrap();
    let checked = |code: &str| {
        budget::prepare_ballot(&round, &ballot(code, "Norr", &[ids[1]]), during).unwrap()
    };
    let outcomes = store
        .cast_budget_ballots(&[
            checked(&more[0]),
            checked(&more[0]),
            checked("ZZZZ-ZZZZ-ZZZZ"),
            checked(&more[1]),
        ])
        .await
        .unwrap();
    let said: Vec<String> = outcomes
        .iter()
        .map(|o| match o {
            Ok(()) => "ok".to_owned(),
            Err(StoreError::Conflict(m) | StoreError::NotFound(m)) => m.code.to_string(),
            Err(e) => e.to_string(),
        })
        .collect();
    assert_eq!(
        said,
        ["ok", "budget_code_used", "budget_code_unknown", "ok"]
    );
    assert_eq!(store.budget_ballots(&muni, id).await.unwrap().len(), 3);
    // The infeasible project is not on the ballot.
    assert!(
        budget::vote(store, &round, &ballot("x", "Norr", &[ids[3]]), during)
            .await
            .is_err()
    );
}

const PB: &str = "META
key;value
description;Parkbudget
num_projects;3
num_votes;4
budget;100
vote_type;approval
PROJECTS
project_id;cost;votes;name
p1;60;3;Lekplats
p2;50;2;Parkbänkar
p3;40;1;Belysning
VOTES
voter_id;vote
1;p1,p2
2;p1
3;p1,p3
4;p2
";

async fn a_pb_round_is_imported_and_counted(store: &SqlStore) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let muni = m("0180");
    let a = actor("2026-11-20T09:00:00Z");
    let form = RoundForm {
        code: "park".into(),
        rule: "greedy".into(),
        first_day: "2026-01-01".into(),
        last_day: "2026-01-31".into(),
        ..RoundForm::default()
    };
    // A bad file is refused at its line, nothing written.
    let broken = PB.replace("p3;40;1;Belysning", "p3;;1;Belysning");
    let said = problems(budget::import_pb(store, &anna, &muni, &form, broken.as_bytes(), &a).await);
    assert!(said[0].contains("line 12"), "{said:?}");
    assert!(store.budget_rounds(&muni).await.unwrap().is_empty());
    let id = budget::import_pb(store, &anna, &muni, &form, PB.as_bytes(), &a)
        .await
        .unwrap();
    let round = budget::for_staff(store, &anna, &muni, id).await.unwrap();
    assert_eq!(round.stored.status, BudgetStatus::Counted);
    assert_eq!(round.stored.setup.title, "Parkbudget");
    assert_eq!(round.stored.ballots, 4);
    let result = round.counted.clone().unwrap();
    // Greedy: p1 (3 votes, 60) then p2 (2 votes, 50) does not fit in 40; p3 (40) does.
    assert_eq!(result.by_rule[0].rule, "greedy");
    assert_eq!(result.by_rule[0].funded, ["p1", "p3"]);
    let pb = budget::export_pb(store, &round).await.unwrap();
    let read = kvalitet_formats::pabulib::read(&pb).unwrap();
    assert_eq!(read.selected, vec![Some(true), Some(false), Some(true)]);
    assert_eq!(read.names, ["Lekplats", "Parkbänkar", "Belysning"]);
    // A points file without its points stated: its largest ballot shows them.
    let points = "META\nkey;value\nnum_projects;2\nnum_votes;2\nbudget;100\nvote_type;cumulative\n\
                  PROJECTS\nproject_id;cost\np1;60\np2;50\n\
                  VOTES\nvoter_id;vote;points\n1;p1,p2;3,2\n2;p2;5\n";
    let form = RoundForm {
        code: "poang".into(),
        ..form
    };
    let id = budget::import_pb(store, &anna, &muni, &form, points.as_bytes(), &a)
        .await
        .unwrap();
    let round = budget::for_staff(store, &anna, &muni, id).await.unwrap();
    assert_eq!(round.stored.setup.ballot.points, 5);
    // Greedy by points: p2 (7) first, then p1 does not fit in the 50 left.
    assert_eq!(round.counted.unwrap().by_rule[0].funded, ["p2"]);
}

/// The token in the newest confirmation mail to `to`.
async fn token_to(store: &SqlStore, to: &str) -> String {
    let now = t("2030-01-01T00:00:00Z");
    let claimed = store
        .claim_mail(now, now.plus(time::Duration::minutes(10)), 100)
        .await
        .unwrap();
    for q in &claimed {
        store.mail_sent(q.id, now).await.unwrap();
    }
    let mail = claimed.iter().rev().find(|q| q.mail.to == to).unwrap();
    let start = mail.mail.body.find("/bekrafta/").unwrap() + "/bekrafta/".len();
    mail.mail.body[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

async fn an_address_votes_once_by_e_mail_even_when_two_links_race(store: &SqlStore) {
    use kvalitet_app::proposals::{self, Links};
    let mut form = round_form("epost");
    form.identification = "email".into();
    form.areas = String::new();
    let (id, ids) = opened_round_by(store, form).await;
    let muni = m("0180");
    let round = budget::for_public(store, &muni, "epost", false)
        .await
        .unwrap();
    let links = Links {
        site: "https://k.example",
        lang_base: "",
    };
    let ballot = BallotForm {
        code: String::new(),
        area: String::new(),
        choices: vec![(ids[0].to_string(), "1".into())],
    };
    let during = t("2026-12-05T12:00:00Z");
    // A code is not how this round is voted, and no codes are made for it.
    let (_, anna) = person(store, "anna2@kommun.se", Some("0180")).await;
    let codes =
        budget::make_codes(store, &anna, &muni, id, 2, &actor("2026-12-05T09:00:00Z")).await;
    assert!(matches!(codes, Err(Refusal::Invalid(_))), "{codes:?}");
    // Two links for one address, confirmed at once: one ballot.
    let mut tokens = Vec::new();
    for _ in 0..2 {
        budget::vote_by_email(
            store,
            &muni,
            "Stockholm",
            &round,
            &ballot,
            "eva@x.se",
            links,
            during,
        )
        .await
        .unwrap();
        tokens.push(token_to(store, "eva@x.se").await);
    }
    assert_eq!(
        store.budget_ballots(&muni, id).await.unwrap().len(),
        0,
        "nothing before a link"
    );
    let (a, b) = tokio::join!(
        proposals::confirm(store, &muni, &tokens[0], during),
        proposals::confirm(store, &muni, &tokens[1], during),
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    let ballots = store.budget_ballots(&muni, id).await.unwrap();
    assert_eq!(ballots.len(), 1);
    assert_eq!(ballots[0].choices, vec![(ids[0], 1)]);
    // The voter is an address of the year's participation, not a code's ballot.
    let december = |d| time::Date::from_calendar_date(2026, time::Month::December, d).unwrap();
    let taking_part = store
        .participation(&muni, december(1), december(31))
        .await
        .unwrap();
    assert_eq!(
        (
            taking_part.email_voters.len(),
            taking_part.addresses.len(),
            taking_part.ballots
        ),
        (1, 0, 0)
    );
    // The use case keeps the vote by its Swedish day: one address in 2026, none in 2025.
    let year = |y| kvalitet_domain::Year::new(y).unwrap();
    let now = t("2027-01-10T09:00:00Z");
    let f = kvalitet_app::participation::figures(store, &anna, &muni, year(2026), now)
        .await
        .unwrap();
    assert_eq!((f.addresses, f.ballots), (1, 0));
    let f = kvalitet_app::participation::figures(store, &anna, &muni, year(2025), now)
        .await
        .unwrap();
    assert_eq!(f.addresses, 0);
    // After the last day a link confirms nothing.
    budget::vote_by_email(
        store,
        &muni,
        "Stockholm",
        &round,
        &ballot,
        "olle@x.se",
        links,
        during,
    )
    .await
    .unwrap();
    let late = token_to(store, "olle@x.se").await;
    let after = proposals::confirm(store, &muni, &late, t("2026-12-15T09:00:00Z")).await;
    assert!(after.is_err(), "{after:?}");
    assert_eq!(store.budget_ballots(&muni, id).await.unwrap().len(), 1);
}
