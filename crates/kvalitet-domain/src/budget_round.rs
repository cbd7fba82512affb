//! A citizen-budget round's published rules (docs/dialogue.md): what a ballot may hold, the
//! days voting is open, and the lot that settles ties, all fixed before voting opens.

use time::Date;

use crate::budget::{Ballot, BallotKind};
use crate::calendar::stockholm_date;
use crate::coded::coded_enum;
use crate::{Message, Timestamp};

coded_enum!(
    /// Where a round stands.
    BudgetStatus {
        /// Projects proposed and judged; the rules can still change.
        Draft = "draft",
        /// Voting by the published rules and lot.
        Open = "open",
        /// Counted: the result is stored and public.
        Counted = "counted",
    }
);

coded_enum!(
    /// Whether a project can be carried out, as the municipality judged it.
    Feasibility {
        Pending = "pending",
        Feasible = "feasible",
        Infeasible = "infeasible",
    }
);

coded_enum!(
    /// Who proposed a project.
    ProposedBy {
        Resident = "resident",
        Staff = "staff",
    }
);

coded_enum!(
    /// How a participant is identified: a one-time code handed out (letters, library
    /// visits), or a confirmed e-mail address (one ballot per address).
    Identification {
        Codes = "codes",
        Email = "email",
    }
);

/// The most points a points ballot spreads, and the most projects a round puts on its
/// ballot: far above a real round's, small enough that a form cannot grow without bound.
pub const MAX_POINTS: u32 = 1_000;
pub const MAX_BALLOT_PROJECTS: usize = 500;

/// What a ballot may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BallotRules {
    pub kind: BallotKind,
    /// Approval: the most projects one may tick (`None`: as many as fit in the budget).
    pub max_projects: Option<u32>,
    /// Points: the points each participant spreads, all of them.
    pub points: u32,
}

impl BallotRules {
    /// The rules as typed on the round's form; each problem names its field.
    pub fn new(
        kind: BallotKind,
        max_projects: Option<u32>,
        points: u32,
    ) -> Result<Self, Vec<Message>> {
        let mut problems = Vec::new();
        if kind == BallotKind::Approval && max_projects == Some(0) {
            problems.push(Message::in_field(
                "max_projects",
                Message::new("budget_max_projects_zero"),
            ));
        }
        if kind == BallotKind::Points && !(1..=MAX_POINTS).contains(&points) {
            problems.push(Message::in_field(
                "points",
                Message::new("budget_points_range").with("max", MAX_POINTS),
            ));
        }
        if problems.is_empty() {
            Ok(Self {
                kind,
                max_projects,
                points,
            })
        } else {
            Err(problems)
        }
    }

    /// Checks a participant's choices, (project index, points) with 1 point for an approval
    /// tick and zero-point lines left out, against the round's projects' costs and budget:
    /// at least one project, each on the ballot and once, an approval ballot within the
    /// limit of projects and within the budget together, a points ballot spreading exactly
    /// its points. Gives the ballot as counted.
    pub fn check(
        &self,
        budget: u64,
        costs: &[u64],
        choices: &[(u32, u32)],
    ) -> Result<Ballot, Message> {
        let mut seen = vec![false; costs.len()];
        let mut ballot: Ballot = Vec::with_capacity(choices.len().min(costs.len()));
        for &(project, points) in choices {
            if points == 0 {
                continue;
            }
            let Some(slot) = seen.get_mut(project as usize) else {
                return Err(Message::new("budget_vote_unknown_project"));
            };
            if *slot {
                return Err(Message::new("budget_vote_project_twice"));
            }
            *slot = true;
            let points = if self.kind == BallotKind::Approval {
                1
            } else {
                points
            };
            ballot.push((project, points));
        }
        if ballot.is_empty() {
            return Err(Message::new("budget_vote_empty"));
        }
        match self.kind {
            BallotKind::Approval => {
                if let Some(max) = self.max_projects
                    && ballot.len() > max as usize
                {
                    return Err(Message::new("budget_vote_too_many")
                        .with("n", ballot.len())
                        .with("max", max));
                }
                let total = ballot
                    .iter()
                    .fold(0u64, |sum, &(p, _)| sum.saturating_add(costs[p as usize]));
                if total > budget {
                    return Err(Message::new("budget_vote_over_budget")
                        .with("total", total)
                        .with("budget", budget));
                }
            }
            BallotKind::Points => {
                let sum: u64 = ballot.iter().map(|&(_, points)| u64::from(points)).sum();
                if sum != u64::from(self.points) {
                    return Err(Message::new("budget_vote_points_sum")
                        .with("sum", sum)
                        .with("points", self.points));
                }
            }
        }
        ballot.sort_unstable();
        Ok(ballot)
    }
}

/// The days voting is open, first and last included, in Swedish time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VotingWindow {
    pub first_day: Date,
    pub last_day: Date,
}

/// Where a moment falls against a voting window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowPlace {
    Before,
    Open,
    After,
}

impl VotingWindow {
    /// The window as typed; refused when it ends before it begins.
    pub fn new(first_day: Date, last_day: Date) -> Result<Self, Message> {
        if last_day < first_day {
            return Err(Message::in_field(
                "last_day",
                Message::new("budget_window_backwards"),
            ));
        }
        Ok(Self {
            first_day,
            last_day,
        })
    }

    /// Whether voting is open at `now` by the Swedish calendar.
    pub fn place(&self, now: Timestamp) -> WindowPlace {
        let today = stockholm_date(now.datetime());
        if today < self.first_day {
            WindowPlace::Before
        } else if today > self.last_day {
            WindowPlace::After
        } else {
            WindowPlace::Open
        }
    }
}

/// Turns the lot drawn (project positions in drawn order) into each project's place in it,
/// as [`crate::budget::count`] takes it. `None` unless `drawn` orders `0..n` once each.
pub fn lot_places(drawn: &[usize], n: usize) -> Option<Vec<usize>> {
    if drawn.len() != n {
        return None;
    }
    let mut places = vec![usize::MAX; n];
    for (place, &project) in drawn.iter().enumerate() {
        let slot = places.get_mut(project)?;
        if *slot != usize::MAX {
            return None;
        }
        *slot = place;
    }
    Some(places)
}

/// Draws the lot: the projects `0..n` in an order made from `random` (one number per
/// project, from the operating system's generator), by sorting on them.
pub fn draw_lot(random: &[u64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..random.len()).collect();
    order.sort_by_key(|&i| (random[i], i));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approval(max: Option<u32>) -> BallotRules {
        BallotRules::new(BallotKind::Approval, max, 0).unwrap()
    }

    #[test]
    fn an_approval_ballot_within_its_limits_is_taken_sorted() {
        let costs = [100, 200, 300];
        assert_eq!(
            approval(Some(2)).check(1000, &costs, &[(2, 1), (0, 1)]),
            Ok(vec![(0, 1), (2, 1)])
        );
    }

    #[test]
    fn an_approval_ballot_over_its_limits_is_refused() {
        let costs = [100, 200, 300];
        let code = |r: Result<Ballot, Message>| r.unwrap_err().code;
        assert_eq!(
            code(approval(Some(1)).check(1000, &costs, &[(0, 1), (1, 1)])),
            "budget_vote_too_many"
        );
        assert_eq!(
            code(approval(None).check(400, &costs, &[(1, 1), (2, 1)])),
            "budget_vote_over_budget"
        );
        assert_eq!(
            code(approval(None).check(400, &costs, &[(1, 1), (1, 1)])),
            "budget_vote_project_twice"
        );
        assert_eq!(
            code(approval(None).check(400, &costs, &[(3, 1)])),
            "budget_vote_unknown_project"
        );
        assert_eq!(
            code(approval(None).check(400, &costs, &[])),
            "budget_vote_empty"
        );
    }

    #[test]
    fn a_points_ballot_must_spread_every_point() {
        let rules = BallotRules::new(BallotKind::Points, None, 10).unwrap();
        let costs = [100, 200];
        assert_eq!(
            rules.check(100, &costs, &[(0, 7), (1, 3)]),
            Ok(vec![(0, 7), (1, 3)])
        );
        assert_eq!(
            rules
                .check(100, &costs, &[(0, 7), (1, 2)])
                .unwrap_err()
                .code,
            "budget_vote_points_sum"
        );
        assert!(BallotRules::new(BallotKind::Points, None, 0).is_err());
    }

    #[test]
    fn the_window_counts_swedish_days() {
        let day = |s| crate::calendar::parse_date(s).unwrap();
        let w = VotingWindow::new(day("2026-12-01"), day("2026-12-14")).unwrap();
        let at = |s| Timestamp::parse(s).unwrap();
        // 23:30 UTC on 30 November is already 1 December in Sweden.
        assert_eq!(w.place(at("2026-11-30T23:30:00Z")), WindowPlace::Open);
        assert_eq!(w.place(at("2026-11-30T22:30:00Z")), WindowPlace::Before);
        assert_eq!(w.place(at("2026-12-14T22:59:00Z")), WindowPlace::Open);
        assert_eq!(w.place(at("2026-12-14T23:00:00Z")), WindowPlace::After);
        assert!(VotingWindow::new(day("2026-12-02"), day("2026-12-01")).is_err());
    }

    #[test]
    fn the_lot_orders_every_project_once() {
        let drawn = draw_lot(&[30, 10, 20]);
        assert_eq!(drawn, vec![1, 2, 0]);
        assert_eq!(lot_places(&drawn, 3), Some(vec![2, 0, 1]));
        assert_eq!(lot_places(&[0, 0, 1], 3), None);
        assert_eq!(lot_places(&[0, 1], 3), None);
    }
}
