//! Counting a citizen budget (medborgarbudget): greedy by votes, and the Method of Equal
//! Shares with cost utilities and optional "Add1" completion, with one published tie-break
//! (lowest cost, then most votes, then a lot drawn before counting), and for every project
//! the reason it won or lost (docs/dialogue.md).
//!
//! Written here rather than taken from a crate: no maintained Rust crate counts participatory
//! budgets; the rules are short and are checked against `pabutools` (tests/pabutools).

use crate::Message;

/// How residents vote in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallotKind {
    /// Tick the projects one wants (up to a limit of projects or of their total cost).
    Approval,
    /// Spread a number of points over the projects.
    Points,
}

/// A project on the ballot: its id and what it costs, in whole currency units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    pub cost: u64,
}

/// One participant's ballot: the projects chosen (by index into the round's projects) with
/// the points given (1 for an approval ballot). Each project at most once.
pub type Ballot = Vec<(u32, u32)>;

/// A counted round's input.
#[derive(Debug, Clone, PartialEq)]
pub struct Election {
    pub budget: u64,
    pub kind: BallotKind,
    pub projects: Vec<Project>,
    pub ballots: Vec<Ballot>,
}

/// The counting rule, chosen and shown before voting opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Projects by votes (points for a points ballot), most first; each is funded if it fits
    /// in what is left, otherwise skipped.
    Greedy,
    /// The Method of Equal Shares: every participant holds an equal share of the budget and
    /// a project is bought by its supporters, each paying in proportion to their utility
    /// (the project's cost, times the points given on a points ballot).
    EqualShares { completion: Completion },
}

/// What the Method of Equal Shares does with money its first run leaves unspent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    None,
    /// Run again with each participant's share one currency unit larger, until the outcome
    /// leaves no project that fits in the rest, or the next run would spend more than the
    /// budget (then the last run within it stands).
    Add1,
}

impl Rule {
    /// The rule's code, as in files, commands and addresses.
    pub fn code(self) -> &'static str {
        match self {
            Rule::Greedy => "greedy",
            Rule::EqualShares {
                completion: Completion::None,
            } => "mes",
            Rule::EqualShares {
                completion: Completion::Add1,
            } => "mes-add1",
        }
    }

    /// The rule with this code.
    pub fn from_code(code: &str) -> Option<Rule> {
        [
            Rule::Greedy,
            Rule::EqualShares {
                completion: Completion::None,
            },
            Rule::EqualShares {
                completion: Completion::Add1,
            },
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }
}

/// Why a project was or was not funded: what the page explaining the result says.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// Funded, as the `order`-th project chosen (from 1). Under equal shares, `price` is what
    /// each supporter paid per unit of utility (for an approval ballot: the share of the
    /// cost a supporter who could afford it paid).
    Funded { order: usize, price: Option<f64> },
    /// Greedy: its turn came when only `left` remained, less than its cost.
    DidNotFit { left: u64 },
    /// Equal shares: its supporters together held only `supporters_had` when nothing more
    /// could be bought, less than its cost.
    SupportersCouldNotPay { supporters_had: f64 },
    /// Nobody voted for it.
    NoVotes,
}

/// A counted round.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The funded projects (indices) in the order chosen.
    pub funded: Vec<usize>,
    /// Their total cost.
    pub cost: u64,
    /// Per project (by index), why it was or was not funded.
    pub fates: Vec<Fate>,
    /// Per project, its votes (points on a points ballot) and its number of supporters.
    pub votes: Vec<u64>,
    pub supporters: Vec<u64>,
    /// Equal shares: each participant's share in the run that stands, and how many runs
    /// completion took (1 without it).
    pub share: Option<f64>,
    pub runs: usize,
}

/// Bounds on a round, far above any real one (Warsaw's citywide round: about 100 projects
/// and 100,000 ballots), so that hostile input cannot make counting run away.
pub const MAX_PROJECTS: usize = 10_000;
pub const MAX_BALLOTS: usize = 5_000_000;
/// The largest amount, a round's budget or a project's cost: far above any municipality's
/// budget (a million million kronor), so that the sum of a round's costs, at most
/// `MAX_PROJECTS` of them, never overflows.
pub const MAX_AMOUNT: u64 = 1_000_000_000_000;
/// The most runs completion makes before keeping the last feasible one.
pub const MAX_COMPLETION_RUNS: usize = 100_000;

/// Counts a round by a rule. `lot` is each project's place in the order drawn before
/// counting (a permutation of the indices), used only when cost and votes are tied.
/// Refused when the input does not fit together (a ballot naming a project that is not
/// there, a project twice on one ballot, a lot that is not a permutation).
pub fn count(election: &Election, rule: Rule, lot: &[usize]) -> Result<Outcome, Message> {
    check(election, lot)?;
    let n = election.projects.len();
    let mut votes = vec![0u64; n];
    let mut supporters = vec![0u64; n];
    for ballot in &election.ballots {
        for &(p, points) in ballot {
            votes[p as usize] += u64::from(points);
            supporters[p as usize] += u64::from(points > 0);
        }
    }
    let tie = TieBreak {
        costs: election.projects.iter().map(|p| p.cost).collect(),
        votes: votes.clone(),
        lot: lot.to_vec(),
    };
    let (funded, fates, share, runs) = match rule {
        Rule::Greedy => {
            let (funded, fates) = greedy(election, &votes, &tie);
            (funded, fates, None, 1)
        }
        Rule::EqualShares { completion } => equal_shares(election, &tie, completion),
    };
    let cost = funded.iter().map(|&p| election.projects[p].cost).sum();
    Ok(Outcome {
        funded,
        cost,
        fates,
        votes,
        supporters,
        share,
        runs,
    })
}

fn check(election: &Election, lot: &[usize]) -> Result<(), Message> {
    let n = election.projects.len();
    if n > MAX_PROJECTS {
        return Err(Message::new("budget_too_many_projects").with("max", MAX_PROJECTS));
    }
    if election.ballots.len() > MAX_BALLOTS {
        return Err(Message::new("budget_too_many_ballots").with("max", MAX_BALLOTS));
    }
    let too_large = std::iter::once(election.budget)
        .chain(election.projects.iter().map(|p| p.cost))
        .find(|&amount| amount > MAX_AMOUNT);
    if let Some(amount) = too_large {
        return Err(Message::new("budget_amount_over_max")
            .with("value", amount)
            .with("max", MAX_AMOUNT));
    }
    let mut place = vec![false; n];
    if lot.len() != n
        || lot
            .iter()
            .any(|&i| i >= n || std::mem::replace(&mut place[i], true))
    {
        return Err(Message::new("budget_lot_not_an_order"));
    }
    let mut seen = vec![usize::MAX; n];
    for (b, ballot) in election.ballots.iter().enumerate() {
        for &(p, _) in ballot {
            let Some(mark) = seen.get_mut(p as usize) else {
                return Err(Message::new("budget_ballot_unknown_project")
                    .with("ballot", b + 1)
                    .with("project", p));
            };
            if *mark == b {
                return Err(Message::new("budget_ballot_project_twice")
                    .with("ballot", b + 1)
                    .with("project", &election.projects[p as usize].id));
            }
            *mark = b;
        }
    }
    Ok(())
}

/// The published tie-break: lowest cost, then most votes, then the lot.
struct TieBreak {
    costs: Vec<u64>,
    votes: Vec<u64>,
    lot: Vec<usize>,
}

impl TieBreak {
    fn key(&self, p: usize) -> (u64, std::cmp::Reverse<u64>, usize) {
        (self.costs[p], std::cmp::Reverse(self.votes[p]), self.lot[p])
    }
}

fn greedy(election: &Election, votes: &[u64], tie: &TieBreak) -> (Vec<usize>, Vec<Fate>) {
    let n = election.projects.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&p| (std::cmp::Reverse(votes[p]), tie.key(p)));
    let mut left = election.budget;
    let mut funded = Vec::new();
    let mut fates = vec![Fate::NoVotes; n];
    for p in order {
        if votes[p] == 0 {
            continue;
        }
        let cost = election.projects[p].cost;
        if cost <= left {
            left -= cost;
            funded.push(p);
            fates[p] = Fate::Funded {
                order: funded.len(),
                price: None,
            };
        } else {
            fates[p] = Fate::DidNotFit { left };
        }
    }
    (funded, fates)
}

/// Relative difference under which two prices count as equal: the rule is defined on exact
/// fractions, and sums of floating-point shares differ in their last bits.
const SAME: f64 = 1e-9;

/// One supporter of a project: the participant and the utility the project gives them.
#[derive(Clone, Copy)]
struct Support {
    voter: u32,
    utility: f64,
}

type Counted = (Vec<usize>, Vec<Fate>, Option<f64>, usize);

fn equal_shares(election: &Election, tie: &TieBreak, completion: Completion) -> Counted {
    let n = election.projects.len();
    let voters = election.ballots.len();
    let mut fates = vec![Fate::NoVotes; n];
    if voters == 0 {
        return (Vec::new(), fates, None, 0);
    }
    let mut supports: Vec<Vec<Support>> = vec![Vec::new(); n];
    for (v, ballot) in election.ballots.iter().enumerate() {
        for &(p, points) in ballot {
            if points == 0 {
                continue;
            }
            let cost = election.projects[p as usize].cost as f64;
            let utility = match election.kind {
                BallotKind::Approval => cost,
                BallotKind::Points => f64::from(points) * cost,
            };
            supports[p as usize].push(Support {
                voter: v as u32,
                utility,
            });
        }
    }
    // A project that costs nothing and has supporters is funded before counting starts.
    let free: Vec<usize> = (0..n)
        .filter(|&p| election.projects[p].cost == 0 && !supports[p].is_empty())
        .collect();
    let candidates: Vec<usize> = (0..n)
        .filter(|&p| election.projects[p].cost > 0 && !supports[p].is_empty())
        .collect();
    let budget = election.budget as f64;
    let mut share = budget / voters as f64;
    let mut run = mes_run(election, &supports, &candidates, tie, share, voters, true);
    let mut runs = 1;
    if completion == Completion::Add1 {
        loop {
            let spent: u64 = run.0.iter().map(|&p| election.projects[p].cost).sum();
            let left = election.budget.saturating_sub(spent);
            let exhaustive = candidates
                .iter()
                .all(|&p| run.0.contains(&p) || election.projects[p].cost > left);
            if exhaustive || runs >= MAX_COMPLETION_RUNS {
                break;
            }
            let next = mes_run(
                election,
                &supports,
                &candidates,
                tie,
                share + 1.0,
                voters,
                false,
            );
            runs += 1;
            let next_cost: u64 = next.0.iter().map(|&p| election.projects[p].cost).sum();
            if next_cost > election.budget {
                break;
            }
            share += 1.0;
            run = next;
        }
    }
    let (chosen, prices, had) = run;
    let mut funded = free;
    funded.extend(chosen.iter().copied());
    for (i, &p) in funded.iter().enumerate() {
        fates[p] = Fate::Funded {
            order: i + 1,
            price: prices.get(&p).copied(),
        };
    }
    for &p in &candidates {
        if !matches!(fates[p], Fate::Funded { .. }) {
            fates[p] = Fate::SupportersCouldNotPay {
                supporters_had: had[p],
            };
        }
    }
    (funded, fates, Some(share), runs)
}

/// One run of equal shares with each participant holding `share` (the budget's equal share in
/// the `first_run`, more in completion's): the projects bought in order, the price each was
/// bought at, and per project what its supporters held at the end.
fn mes_run(
    election: &Election,
    supports: &[Vec<Support>],
    candidates: &[usize],
    tie: &TieBreak,
    share: f64,
    voters: usize,
    first_run: bool,
) -> (Vec<usize>, std::collections::HashMap<usize, f64>, Vec<f64>) {
    let mut money = vec![share; voters];
    // Each project's last known price; prices only rise as money is spent, so a project
    // whose last price is above the best found this step cannot win it (equalshares.net).
    let mut last_price: Vec<(usize, f64)> = candidates
        .iter()
        .map(|&p| {
            let total: f64 = supports[p].iter().map(|s| s.utility).sum();
            (p, election.projects[p].cost as f64 / total)
        })
        .collect();
    let mut chosen = Vec::new();
    let mut spent = 0u64;
    let mut prices = std::collections::HashMap::new();
    let mut order: Vec<Support> = Vec::new();
    loop {
        last_price.sort_by(|a, b| a.1.total_cmp(&b.1));
        let mut best: Option<(usize, f64)> = None;
        let mut ties: Vec<usize> = Vec::new();
        let mut keep = Vec::with_capacity(last_price.len());
        for &(p, previous) in &last_price {
            if let Some((_, best_price)) = best
                && previous > best_price * (1.0 + SAME)
            {
                keep.push((p, previous));
                continue;
            }
            // The shares sum to the budget: never more in all, whatever their last bits say.
            // (Completion's larger shares may overspend; that run is then not taken.)
            if first_run && election.projects[p].cost > election.budget.saturating_sub(spent) {
                continue;
            }
            let cost = election.projects[p].cost as f64;
            let (mut behind, mut utility, mut poorest) = (0.0, 0.0, f64::INFINITY);
            for s in &supports[p] {
                let m = money[s.voter as usize];
                behind += m;
                utility += s.utility;
                poorest = poorest.min(m / s.utility);
            }
            if behind < cost * (1.0 - SAME) {
                continue;
            }
            // Most often every supporter can pay their part of an equal split: then that
            // is the price, found without sorting them.
            let even = cost / utility;
            let price = if even <= poorest * (1.0 + SAME) {
                even
            } else {
                price_with_poor(&supports[p], &money, cost, &mut order)
            };
            keep.push((p, price));
            match best {
                Some((_, best_price)) if price > best_price * (1.0 + SAME) => {}
                Some((_, best_price)) if price >= best_price * (1.0 - SAME) => ties.push(p),
                _ => {
                    best = Some((p, price));
                    ties.clear();
                    ties.push(p);
                }
            }
        }
        last_price = keep;
        let Some((_, price)) = best else {
            break;
        };
        let winner = ties
            .iter()
            .copied()
            .min_by_key(|&p| tie.key(p))
            .unwrap_or(ties[0]);
        for s in &supports[winner] {
            let m = &mut money[s.voter as usize];
            *m -= (price * s.utility).min(*m);
        }
        chosen.push(winner);
        spent += election.projects[winner].cost;
        prices.insert(winner, price);
        last_price.retain(|&(p, _)| p != winner);
    }
    let had = (0..election.projects.len())
        .map(|p| supports[p].iter().map(|s| money[s.voter as usize]).sum())
        .collect();
    (chosen, prices, had)
}

/// The price of a project some of whose supporters cannot pay an equal split: supporters
/// in order of what they hold per unit of utility, the poorest paying all they have, until
/// the rest can pay an equal price for what is left.
fn price_with_poor(
    supports: &[Support],
    money: &[f64],
    cost: f64,
    order: &mut Vec<Support>,
) -> f64 {
    order.clear();
    order.extend_from_slice(supports);
    order.sort_by(|a, b| {
        (money[a.voter as usize] / a.utility).total_cmp(&(money[b.voter as usize] / b.utility))
    });
    let mut paid = 0.0;
    let mut utility_left: f64 = order.iter().map(|s| s.utility).sum();
    for s in order.iter() {
        let rho = (cost - paid) / utility_left;
        if rho * s.utility <= money[s.voter as usize] * (1.0 + SAME) {
            return rho;
        }
        paid += money[s.voter as usize];
        utility_left -= s.utility;
    }
    // Rounding left the last supporters a hair short: they pay all they hold.
    cost / order.iter().map(|s| s.utility).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn election(budget: u64, costs: &[u64], ballots: &[&[u32]]) -> Election {
        Election {
            budget,
            kind: BallotKind::Approval,
            projects: costs
                .iter()
                .enumerate()
                .map(|(i, &cost)| Project {
                    id: format!("p{i}"),
                    cost,
                })
                .collect(),
            ballots: ballots
                .iter()
                .map(|b| b.iter().map(|&p| (p, 1)).collect())
                .collect(),
        }
    }

    fn order(n: usize) -> Vec<usize> {
        (0..n).collect()
    }

    const MES: Rule = Rule::EqualShares {
        completion: Completion::None,
    };

    #[test]
    fn greedy_skips_what_does_not_fit_and_goes_on() {
        // Votes: p0 3, p1 2, p2 1. p0 (60) fits, p1 (50) does not (40 left), p2 (30) does.
        let e = election(100, &[60, 50, 30], &[&[0, 1], &[0, 1], &[0, 2]]);
        let out = count(&e, Rule::Greedy, &order(3)).unwrap();
        assert_eq!(out.funded, vec![0, 2]);
        assert_eq!(out.cost, 90);
        assert_eq!(out.fates[1], Fate::DidNotFit { left: 40 });
        assert_eq!(out.votes, vec![3, 2, 1]);
    }

    #[test]
    fn ties_go_to_the_cheaper_then_the_more_voted_then_the_lot() {
        // Equal votes, the cheaper first.
        let e = election(100, &[80, 70], &[&[0, 1]]);
        assert_eq!(count(&e, Rule::Greedy, &order(2)).unwrap().funded, vec![1]);
        // Equal votes and cost: the lot decides, either way.
        let e = election(100, &[80, 80], &[&[0, 1]]);
        assert_eq!(count(&e, Rule::Greedy, &[0, 1]).unwrap().funded, vec![0]);
        assert_eq!(count(&e, Rule::Greedy, &[1, 0]).unwrap().funded, vec![1]);
        // Under equal shares the same: two projects at the same price, the lot picks.
        assert_eq!(count(&e, MES, &[1, 0]).unwrap().funded, vec![1]);
    }

    #[test]
    fn equal_shares_gives_a_minority_its_share() {
        // 100 to spend, 10 voters (10 each). Seven like A and B (50 each), three like C (30).
        // Greedy spends it all on the majority's A and B; equal shares buys A with the
        // seven's 70 and C with the three's 30.
        let mut ballots: Vec<&[u32]> = vec![&[0, 1]; 7];
        ballots.extend([&[2][..]; 3]);
        let e = election(100, &[50, 50, 30], &ballots);
        assert_eq!(
            count(&e, Rule::Greedy, &order(3)).unwrap().funded,
            vec![0, 1]
        );
        let out = count(&e, MES, &order(3)).unwrap();
        let mut funded = out.funded.clone();
        funded.sort_unstable();
        assert_eq!(funded, vec![0, 2]);
        // B: the seven had 70 − 50 = 20 left, short of its 50.
        match out.fates[1] {
            Fate::SupportersCouldNotPay { supporters_had } => {
                assert!((supporters_had - 20.0).abs() < 1e-9);
            }
            ref other => panic!("{other:?}"),
        }
        // Each of the three paid 10 of C's 30: a third of the cost.
        match out.fates[2] {
            Fate::Funded { price: Some(p), .. } => assert!((p - 1.0 / 3.0).abs() < 1e-9),
            ref other => panic!("{other:?}"),
        }
    }

    #[test]
    fn add1_completion_spends_what_the_first_run_leaves() {
        // 4 voters with 25 each. Two like A (60): 50 behind it, too little. Two like B (40).
        // The first run buys only B; raising the shares lets A be bought too (60 + 40 = 100).
        let e = election(100, &[60, 40], &[&[0], &[0], &[1], &[1]]);
        let plain = count(&e, MES, &order(2)).unwrap();
        assert_eq!(plain.funded, vec![1]);
        let done = count(
            &e,
            Rule::EqualShares {
                completion: Completion::Add1,
            },
            &order(2),
        )
        .unwrap();
        assert_eq!(done.cost, 100);
        assert_eq!(done.runs, 6);
        assert_eq!(done.share, Some(30.0));
    }

    #[test]
    fn completion_keeps_the_last_run_within_the_budget() {
        // Raising the shares until A is affordable would also buy C, over the budget: the
        // last run within it stands.
        let e = election(100, &[70, 40, 30], &[&[0], &[0], &[1], &[2], &[2]]);
        let out = count(
            &e,
            Rule::EqualShares {
                completion: Completion::Add1,
            },
            &order(3),
        )
        .unwrap();
        assert!(out.cost <= 100, "{out:?}");
    }

    #[test]
    fn input_that_does_not_fit_together_is_refused() {
        let e = election(100, &[10], &[&[1]]);
        assert_eq!(
            count(&e, Rule::Greedy, &order(1)).unwrap_err().code,
            "budget_ballot_unknown_project"
        );
        let e = election(100, &[10], &[&[0, 0]]);
        assert_eq!(
            count(&e, Rule::Greedy, &order(1)).unwrap_err().code,
            "budget_ballot_project_twice"
        );
        let e = election(100, &[10, 20], &[&[0]]);
        assert_eq!(
            count(&e, Rule::Greedy, &[0, 0]).unwrap_err().code,
            "budget_lot_not_an_order"
        );
        let e = election(100, &[MAX_AMOUNT + 1], &[&[0]]);
        assert_eq!(
            count(&e, Rule::Greedy, &order(1)).unwrap_err().code,
            "budget_amount_over_max"
        );
    }

    #[test]
    fn rules_read_back_from_their_codes() {
        for code in ["greedy", "mes", "mes-add1"] {
            assert_eq!(Rule::from_code(code).map(Rule::code), Some(code));
        }
        assert_eq!(Rule::from_code("borda"), None);
    }
}
