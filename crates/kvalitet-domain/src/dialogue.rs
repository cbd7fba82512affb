//! E-dialogues (docs/dialogue.md): participants post short statements on a question and vote
//! agree, disagree or pass on others'; the result names the statements with the most
//! agreement and the most division, judged so that a statement few have seen cannot top
//! either list by chance.

use time::Date;

use crate::Message;
use crate::coded::coded_enum;

/// The longest a statement may be: a thought, not an essay (Polis and Kialo use 140–280).
pub const MAX_STATEMENT_CHARS: usize = 280;
/// The longest a dialogue may stay open.
pub const MAX_DIALOGUE_DAYS: i64 = 366;
/// A group of participants smaller than this is not shown on its own (it could point at a
/// person); it joins the "other or not stated" row.
pub const MIN_GROUP: u64 = 5;
/// The statements each result list names.
pub const RESULT_LIST_LENGTH: usize = 5;
/// A statement must be answered by this many before it can top a result list.
pub const MIN_ANSWERS_TO_RANK: u32 = 3;

coded_enum!(
    /// A participant's age, in the bands they may tell us (optional), as SCB's
    /// Medborgarundersökning groups it.
    AgeBand {
        Under18 = "0-17",
        From18 = "18-29",
        From30 = "30-44",
        From45 = "45-64",
        From65 = "65-79",
        From80 = "80-",
    }
);

coded_enum!(
    /// Staff's moderation of a statement against the dialogue's rules.
    StatementModeration {
        /// Written by a participant, not yet shown to others.
        Pending = "pending",
        Published = "published",
        /// Not shown; the writer sees the reason.
        Rejected = "rejected",
    }
);

/// The days a dialogue is open, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub opens_on: Date,
    pub closes_on: Date,
}

impl Period {
    /// A period as set by staff: it closes on or after the day it opens and lasts at most
    /// [`MAX_DIALOGUE_DAYS`]. Problems name the field `closes_on`.
    pub fn new(opens_on: Date, closes_on: Date) -> Result<Self, Message> {
        let days = (closes_on - opens_on).whole_days();
        if days < 0 {
            return Err(Message::in_field(
                "closes_on",
                Message::new("dialogue_closes_before_it_opens"),
            ));
        }
        if days >= MAX_DIALOGUE_DAYS {
            return Err(Message::in_field(
                "closes_on",
                Message::new("dialogue_too_long").with("max", MAX_DIALOGUE_DAYS),
            ));
        }
        Ok(Self {
            opens_on,
            closes_on,
        })
    }

    /// Where the dialogue stands on `today` (a Swedish date).
    pub fn phase(&self, today: Date) -> Phase {
        if today < self.opens_on {
            Phase::NotYetOpen
        } else if today > self.closes_on {
            Phase::Closed
        } else {
            Phase::Open
        }
    }
}

/// Whether a dialogue takes statements and votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    NotYetOpen,
    Open,
    Closed,
}

/// A statement as written: trimmed, not empty, at most [`MAX_STATEMENT_CHARS`] characters.
/// Problems name the field `statement`.
pub fn statement_text(raw: &str) -> Result<String, Message> {
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return Err(Message::in_field(
            "statement",
            Message::new("proposal_fill_in"),
        ));
    }
    let chars = text.chars().count();
    if chars > MAX_STATEMENT_CHARS {
        return Err(Message::in_field(
            "statement",
            Message::new("dialogue_statement_too_long")
                .with("max", MAX_STATEMENT_CHARS)
                .with("chars", chars),
        ));
    }
    Ok(text)
}

/// One row of who took part: a group's label (`None` for "other or not stated") and how
/// many; `count` is `None` when the row is fewer than [`MIN_GROUP`] and not shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    pub label: Option<String>,
    pub count: Option<u64>,
}

/// Who took part by one trait (area or age band), safe to publish: groups smaller than
/// [`MIN_GROUP`] join the participants who did not say; that row is shown only when it too
/// reaches [`MIN_GROUP`] or is empty of small groups (so a single small group cannot be
/// worked out as the total less the others). `groups` are in display order; `not_stated`
/// counts those who did not say.
pub fn breakdown(groups: &[(String, u64)], not_stated: u64) -> Vec<GroupRow> {
    let mut rows = Vec::new();
    let mut rest = not_stated;
    let mut merged_small = false;
    for (label, n) in groups {
        if *n >= MIN_GROUP {
            rows.push(GroupRow {
                label: Some(label.clone()),
                count: Some(*n),
            });
        } else if *n > 0 {
            rest += n;
            merged_small = true;
        }
    }
    if rest > 0 {
        let shown = rest >= MIN_GROUP || !merged_small;
        rows.push(GroupRow {
            label: None,
            count: shown.then_some(rest),
        });
    }
    rows
}

coded_enum!(
    /// A participant's answer to a statement.
    StatementVote {
        Agree = "agree",
        Disagree = "disagree",
        /// Seen, no view: counts as seen, not as a side.
        Pass = "pass",
    }
);

/// The votes on one statement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    pub agree: u32,
    pub disagree: u32,
    pub pass: u32,
}

impl Tally {
    pub fn add(&mut self, vote: StatementVote) {
        match vote {
            StatementVote::Agree => self.agree += 1,
            StatementVote::Disagree => self.disagree += 1,
            StatementVote::Pass => self.pass += 1,
        }
    }

    /// Everyone who answered, passes included.
    pub fn seen(&self) -> u32 {
        self.agree + self.disagree + self.pass
    }

    /// The share agreeing of those who answered.
    pub fn agree_share(&self) -> Option<f64> {
        let n = self.seen();
        (n > 0).then(|| f64::from(self.agree) / f64::from(n))
    }

    /// How much agreement the statement has for sure: the lower end of the 95 % Wilson
    /// interval of the share agreeing. 9 of 10 ranks below 90 of 100, and 1 of 1 ranks low,
    /// which a plain share would put first.
    pub fn agreement(&self) -> f64 {
        wilson_lower(self.agree, self.seen())
    }

    /// How divided those who answered are: 1 when they split evenly between agree and
    /// disagree with nobody passing, 0 when all take one side or all pass. It is the share
    /// taking a side times how even the sides are (the smaller side's share of the sides,
    /// doubled), with the sides' counts shrunk by the Wilson bound so that 1 against 1 is not
    /// "most divided".
    pub fn division(&self) -> f64 {
        let sides = self.agree + self.disagree;
        let n = self.seen();
        if sides == 0 || n == 0 {
            return 0.0;
        }
        let smaller = self.agree.min(self.disagree);
        let evenness = 2.0 * wilson_lower(smaller, sides);
        let taking_a_side = wilson_lower(sides, n);
        (evenness * taking_a_side).clamp(0.0, 1.0)
    }
}

/// The lower end of the 95 % Wilson score interval for `k` successes in `n` trials (0 when
/// `n` is 0).
pub fn wilson_lower(k: u32, n: u32) -> f64 {
    if n == 0 {
        return 0.0;
    }
    const Z: f64 = 1.959_963_984_540_054;
    let n = f64::from(n);
    let p = f64::from(k) / n;
    let z2 = Z * Z;
    let centre = p + z2 / (2.0 * n);
    let margin = Z * ((p * (1.0 - p) + z2 / (4.0 * n)) / n).sqrt();
    ((centre - margin) / (1.0 + z2 / n)).max(0.0)
}

/// The indices of the `k` statements ranked highest by `score` among those answered by at
/// least `min_seen`, best first; ties by more answers, then the earlier statement.
pub fn top_by(
    tallies: &[Tally],
    min_seen: u32,
    k: usize,
    score: impl Fn(&Tally) -> f64,
) -> Vec<usize> {
    let mut ranked: Vec<(usize, f64)> = tallies
        .iter()
        .enumerate()
        .filter(|(_, t)| t.seen() >= min_seen)
        .map(|(i, t)| (i, score(t)))
        .filter(|(_, s)| *s > 0.0)
        .collect();
    ranked.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then(tallies[b.0].seen().cmp(&tallies[a.0].seen()))
            .then(a.0.cmp(&b.0))
    });
    ranked.into_iter().take(k).map(|(i, _)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(agree: u32, disagree: u32, pass: u32) -> Tally {
        Tally {
            agree,
            disagree,
            pass,
        }
    }

    #[test]
    fn the_wilson_bound_matches_its_textbook_values() {
        // 8 of 10: the 95 % Wilson interval is 0.490–0.943.
        assert!((wilson_lower(8, 10) - 0.4902).abs() < 1e-3);
        assert_eq!(wilson_lower(0, 0), 0.0);
        assert_eq!(wilson_lower(0, 5), 0.0);
        assert!(wilson_lower(1, 1) < 0.25);
    }

    #[test]
    fn agreement_needs_numbers_not_just_a_share() {
        let tallies = [t(1, 0, 0), t(9, 1, 0), t(90, 10, 0), t(50, 50, 0)];
        assert_eq!(top_by(&tallies, 1, 4, Tally::agreement), [2, 1, 3, 0]);
        // Statements answered by fewer than the minimum are left out.
        assert_eq!(top_by(&tallies, 20, 4, Tally::agreement), [2, 3]);
    }

    #[test]
    fn division_is_an_even_split_of_many_who_take_a_side() {
        let even = t(40, 40, 0);
        let passing = t(10, 10, 60);
        let one_sided = t(78, 2, 0);
        let tiny = t(1, 1, 0);
        assert!(even.division() > 0.6, "{}", even.division());
        assert!(even.division() > passing.division());
        assert!(passing.division() > one_sided.division());
        assert!(even.division() > tiny.division());
        assert_eq!(t(0, 0, 5).division(), 0.0);
        let tallies = [one_sided, tiny, passing, even];
        assert_eq!(top_by(&tallies, 2, 2, Tally::division), [3, 2]);
    }

    #[test]
    fn small_groups_join_the_rest_so_no_one_can_be_pointed_at() {
        let groups = [
            ("Norr".to_owned(), 12),
            ("Söder".to_owned(), 3),
            ("Väster".to_owned(), 0),
        ];
        // Söder's 3 join the 1 who did not say: 4, still too few to show.
        let rows = breakdown(&groups, 1);
        assert_eq!(
            rows,
            [
                GroupRow {
                    label: Some("Norr".into()),
                    count: Some(12)
                },
                GroupRow {
                    label: None,
                    count: None
                }
            ]
        );
        // With 2 more who did not say the merged row reaches 5 and is shown.
        assert_eq!(breakdown(&groups, 3)[1].count, Some(6));
        // Those who did not say are shown however few, when no small group hides among them.
        assert_eq!(breakdown(&[("Norr".into(), 7)], 2)[1].count, Some(2));
        assert!(breakdown(&[], 0).is_empty());
    }

    #[test]
    fn a_period_runs_from_its_first_day_to_its_last() {
        let d =
            |s: &str| Date::parse(s, &time::format_description::well_known::Iso8601::DATE).unwrap();
        let p = Period::new(d("2026-03-02"), d("2026-03-31")).unwrap();
        assert_eq!(p.phase(d("2026-03-01")), Phase::NotYetOpen);
        assert_eq!(p.phase(d("2026-03-02")), Phase::Open);
        assert_eq!(p.phase(d("2026-03-31")), Phase::Open);
        assert_eq!(p.phase(d("2026-04-01")), Phase::Closed);
        assert_eq!(
            Period::new(d("2026-03-02"), d("2026-03-01"))
                .unwrap_err()
                .field_problem()
                .map(|f| f.0),
            Some("closes_on")
        );
        assert!(Period::new(d("2026-01-01"), d("2027-01-02")).is_err());
    }

    #[test]
    fn a_statement_is_one_short_line() {
        assert_eq!(
            statement_text("  Fler  bänkar\n i parken ").unwrap(),
            "Fler bänkar i parken"
        );
        assert!(statement_text(" \n ").is_err());
        assert!(statement_text(&"å".repeat(MAX_STATEMENT_CHARS)).is_ok());
        assert!(statement_text(&"å".repeat(MAX_STATEMENT_CHARS + 1)).is_err());
    }

    #[test]
    fn votes_are_counted_and_read_by_code() {
        let mut tally = Tally::default();
        for code in ["agree", "AGREE ", "pass", "disagree"] {
            tally.add(StatementVote::parse(code).unwrap());
        }
        assert_eq!(tally, t(2, 1, 1));
        assert_eq!(tally.agree_share(), Some(0.5));
        assert!(StatementVote::parse("maybe").is_none());
    }
}
