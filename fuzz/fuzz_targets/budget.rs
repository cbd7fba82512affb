//! Citizen-budget rounds in Pabulib's `.pb` format: any text is read or refused with its
//! problems; a round that reads is counted by greedy, equal shares and (a small round) equal
//! shares with completion without a panic, each outcome within the budget and funding no project twice,
//! a round written back reads back the same, and each of its ballots passes the site's ballot
//! check as a tick ballot within the sum of all costs.
#![no_main]

use kvalitet_domain::budget::{BallotKind, Completion, Rule, count};
use kvalitet_domain::budget_round::BallotRules;
use kvalitet_formats::pabulib;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(round) = pabulib::read(text) else {
        return;
    };
    let lot: Vec<usize> = (0..round.election.projects.len()).collect();
    // Completion runs the count once per unit added to each share, tens of thousands of times
    // on a real round (Budapest's): only on small rounds here, so each input takes seconds.
    let small = round.election.ballots.len() <= 100 && round.election.projects.len() <= 20;
    let mut rules = vec![
        Rule::Greedy,
        Rule::EqualShares {
            completion: Completion::None,
        },
    ];
    if small {
        rules.push(Rule::EqualShares {
            completion: Completion::Add1,
        });
    }
    for rule in rules {
        let outcome = count(&round.election, rule, &lot).expect("a round that reads counts");
        assert!(
            outcome.cost <= round.election.budget,
            "{rule:?} over the budget"
        );
        let mut funded = outcome.funded.clone();
        funded.sort_unstable();
        funded.dedup();
        assert_eq!(
            funded.len(),
            outcome.funded.len(),
            "{rule:?} funds a project twice"
        );
    }
    let costs: Vec<u64> = round.election.projects.iter().map(|p| p.cost).collect();
    let all = costs.iter().fold(0u64, |sum, c| sum.saturating_add(*c));
    let ticks = BallotRules {
        kind: BallotKind::Approval,
        max_projects: None,
        points: 0,
    };
    for ballot in round.election.ballots.iter().take(1_000) {
        let checked = ticks.check(all, &costs, ballot);
        if !ballot.is_empty() && ballot.iter().all(|&(_, points)| points > 0) {
            let mut projects: Vec<u32> = ballot.iter().map(|&(p, _)| p).collect();
            projects.sort_unstable();
            let taken: Vec<u32> = checked
                .expect("a ballot of the file passes")
                .iter()
                .map(|&(p, _)| p)
                .collect();
            assert_eq!(taken, projects);
        }
    }
    let written = pabulib::write(
        &round.meta,
        &round.election,
        &round.names,
        &round.voters,
        None,
    );
    let again = pabulib::read(&written).expect("a written round reads");
    assert_eq!(again.election, round.election);
});
