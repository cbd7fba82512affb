//! E-förslag (citizen proposals, docs/dialogue.md): the rules a municipality publishes (the
//! signatures a proposal needs, how long it may be signed, the working days within which the
//! nämnd promises a decision), where a proposal stands, and how well promises were kept.

use time::{Date, Duration};

use crate::Message;
use crate::calendar::Calendar;
use crate::coded::coded_enum;

/// The longest a proposal may be signed, and the most working days a promise may name.
pub const MAX_SIGNING_DAYS: u32 = 365;
pub const MAX_ANSWER_WORKING_DAYS: u32 = 500;
/// The most signatures a threshold may ask for: above any municipality's population.
pub const MAX_THRESHOLD: u32 = 1_000_000;
/// The most areas a municipality lists for proposals.
pub const MAX_PROPOSAL_AREAS: usize = 100;

/// How many signatures send a proposal to its nämnd: a fixed number, or a share of the
/// municipality's residents in tenths of a per mille (`15` is 1.5 ‰), so a rule can be the
/// same for Stockholm and Bjurholm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    Signatures(u32),
    PerMille { tenths: u32 },
}

impl Threshold {
    /// Reads the rule as typed: `kind` `signatures` or `per_mille`; `value` a whole number of
    /// signatures, or a per mille with at most one decimal ("1,5" or "1.5"). Problems name
    /// the field `threshold_value`.
    pub fn parse(kind: &str, value: &str) -> Result<Self, Message> {
        let wrong = || {
            Message::in_field(
                "threshold_value",
                Message::new("proposal_threshold_wrong").with("value", value.trim()),
            )
        };
        let value = value.trim();
        match kind.trim() {
            "signatures" => match value.parse::<u32>() {
                Ok(n) if (1..=MAX_THRESHOLD).contains(&n) => Ok(Self::Signatures(n)),
                _ => Err(wrong()),
            },
            "per_mille" => {
                let normal = value.replace(',', ".");
                let (whole, tenth) = normal.split_once('.').unwrap_or((&normal, "0"));
                let whole: u32 = whole.parse().map_err(|_| wrong())?;
                let tenth: u32 = match tenth.len() {
                    1 => tenth.parse().map_err(|_| wrong())?,
                    _ => return Err(wrong()),
                };
                let tenths = whole.checked_mul(10).and_then(|w| w.checked_add(tenth));
                match tenths {
                    Some(t) if (1..=10_000).contains(&t) => Ok(Self::PerMille { tenths: t }),
                    _ => Err(wrong()),
                }
            }
            _ => Err(Message::in_field(
                "threshold_kind",
                Message::new("proposal_fill_in"),
            )),
        }
    }

    /// The stable code of the kind, for forms and the database.
    pub fn kind_code(self) -> &'static str {
        match self {
            Self::Signatures(_) => "signatures",
            Self::PerMille { .. } => "per_mille",
        }
    }

    /// The number stored beside the kind: signatures, or tenths of a per mille.
    pub fn stored_value(self) -> u32 {
        match self {
            Self::Signatures(n) => n,
            Self::PerMille { tenths } => tenths,
        }
    }

    /// The rule back from its stored kind and number.
    pub fn from_stored(kind: &str, value: u32) -> Option<Self> {
        match kind {
            "signatures" => Some(Self::Signatures(value)),
            "per_mille" => Some(Self::PerMille { tenths: value }),
            _ => None,
        }
    }

    /// The value as a person types it: "100", or "1,5" in Swedish ("1.5" in English).
    pub fn value_text(self, decimal: char) -> String {
        match self {
            Self::Signatures(n) => n.to_string(),
            Self::PerMille { tenths } if tenths % 10 == 0 => (tenths / 10).to_string(),
            Self::PerMille { tenths } => format!("{}{decimal}{}", tenths / 10, tenths % 10),
        }
    }

    /// The signatures a proposal needs. A share is of the residents counted (rounded up, at
    /// least 1); without a count of residents a share cannot be turned into signatures.
    pub fn needed(self, residents: Option<u64>) -> Result<u32, Message> {
        match self {
            Self::Signatures(n) => Ok(n),
            Self::PerMille { tenths } => {
                let residents = residents.ok_or_else(|| Message::new("proposal_no_population"))?;
                let needed = (residents * u64::from(tenths)).div_ceil(10_000).max(1);
                Ok(u32::try_from(needed.min(u64::from(MAX_THRESHOLD))).unwrap_or(MAX_THRESHOLD))
            }
        }
    }
}

coded_enum!(
    /// The municipality's moderation of a proposal against its published rules.
    Moderation {
        /// Sent by a resident who confirmed their e-mail address; not public yet.
        Pending = "pending",
        /// Public and open for signing.
        Published = "published",
        /// Not published, with the reason given to the proposer and shown to staff.
        Rejected = "rejected",
    }
);

coded_enum!(
    /// What the nämnd decided.
    Decision {
        /// Bifall: the proposal is carried out.
        Approved = "approved",
        /// Delvis bifall: in part.
        Partly = "partly",
        /// Avslag: not carried out.
        Refused = "refused",
        /// Besvarad: answered, e.g. the matter is already being handled.
        Answered = "answered",
    }
);

/// Where a proposal stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    AwaitingModeration,
    Rejected,
    /// Public and open for signing, below the threshold.
    Signing,
    /// The signing time ended below the threshold.
    Closed,
    /// The threshold was reached: with the nämnd until it decides (signing may go on).
    WithCommittee,
    Decided,
}

impl Stage {
    /// Every stage, in the order a proposal passes them.
    pub const ALL: [Stage; 6] = [
        Stage::AwaitingModeration,
        Stage::Rejected,
        Stage::Signing,
        Stage::Closed,
        Stage::WithCommittee,
        Stage::Decided,
    ];

    /// The code used in addresses and words.
    pub fn code(self) -> &'static str {
        match self {
            Self::AwaitingModeration => "awaiting_moderation",
            Self::Rejected => "rejected",
            Self::Signing => "signing",
            Self::Closed => "closed",
            Self::WithCommittee => "with_committee",
            Self::Decided => "decided",
        }
    }

    /// Public: everything but what awaits moderation or was rejected.
    pub fn is_public(self) -> bool {
        !matches!(self, Self::AwaitingModeration | Self::Rejected)
    }
}

/// The dates that decide where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Milestones {
    pub moderation: Moderation,
    /// The last day it may be signed (Swedish date), set when published.
    pub signing_ends_on: Option<Date>,
    pub threshold_reached_on: Option<Date>,
    pub decided_on: Option<Date>,
}

impl Milestones {
    /// Where the proposal stands on `today` (a Swedish date).
    pub fn stage(&self, today: Date) -> Stage {
        match self.moderation {
            Moderation::Pending => Stage::AwaitingModeration,
            Moderation::Rejected => Stage::Rejected,
            Moderation::Published => {
                if self.decided_on.is_some() {
                    Stage::Decided
                } else if self.threshold_reached_on.is_some() {
                    Stage::WithCommittee
                } else if self.signing_ends_on.is_some_and(|end| today > end) {
                    Stage::Closed
                } else {
                    Stage::Signing
                }
            }
        }
    }

    /// Whether a signature counts on `today`: published and within its signing days. Signing
    /// goes on after the threshold (the support keeps showing) but not after the decision.
    pub fn may_sign(&self, today: Date) -> bool {
        self.moderation == Moderation::Published
            && self.decided_on.is_none()
            && self.signing_ends_on.is_none_or(|end| today <= end)
    }
}

/// The last day of signing for a proposal published on `published_on`: `days` days
/// including the first.
pub fn signing_ends(published_on: Date, days: u32) -> Date {
    published_on
        .checked_add(Duration::days(i64::from(days.max(1)) - 1))
        .unwrap_or(published_on)
}

/// How well the promise "a decision within N working days of reaching the threshold" was
/// kept, over a municipality's proposals: the measure published on its e-förslag page.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Timeliness {
    /// Decided, and of them within the promise.
    pub decided: usize,
    pub in_time: usize,
    /// Past the promise without a decision.
    pub overdue: usize,
    /// With the nämnd and still within the promise: not counted either way yet.
    pub waiting: usize,
    /// The median working days from threshold to decision, of the decided.
    pub median_working_days: Option<f64>,
}

impl Timeliness {
    /// The share decided within the promise of those whose promise has come due (decided,
    /// or overdue); `None` when none has.
    pub fn share_in_time(&self) -> Option<f64> {
        let due = self.decided + self.overdue;
        (due > 0).then(|| self.in_time as f64 / due as f64)
    }
}

/// When a proposal's promise was settled, and how: kept on the day of a decision within
/// the promised working days, or broken on the first working day past them (decided later or
/// not at all). `None` while it is with the nämnd and still within the promise on `today`.
pub fn settled(
    calendar: &Calendar,
    promised: u32,
    reached: Date,
    decided: Option<Date>,
    today: Date,
) -> Option<(Date, bool)> {
    let promised = i64::from(promised);
    if let Some(d) = decided
        && calendar.working_days_taken(reached, d) <= promised
    {
        return Some((d, true));
    }
    let broken = calendar.working_day_after(reached, promised + 1);
    (decided.is_some() || broken <= today).then_some((broken, false))
}

/// Counts how promises were kept: `cases` are each proposal's day the threshold was reached
/// and day of decision, if any, `promised` the working days promised, `today` a Swedish date.
pub fn timeliness(
    calendar: &Calendar,
    promised: u32,
    cases: &[(Date, Option<Date>)],
    today: Date,
) -> Timeliness {
    count_promises(calendar, promised, cases, today, None)
}

/// [`timeliness`] for one calendar year, the figures published as measures: a promise counts
/// in the year it was settled (kept on its decision day, broken on the first working day past
/// it), the median over the decisions made in the year; none is waiting in a past year.
pub fn timeliness_in_year(
    calendar: &Calendar,
    promised: u32,
    cases: &[(Date, Option<Date>)],
    today: Date,
    year: i32,
) -> Timeliness {
    count_promises(calendar, promised, cases, today, Some(year))
}

fn count_promises(
    calendar: &Calendar,
    promised: u32,
    cases: &[(Date, Option<Date>)],
    today: Date,
    year: Option<i32>,
) -> Timeliness {
    let in_year = |d: Date| year.is_none_or(|y| d.year() == y);
    let mut t = Timeliness::default();
    let mut days = Vec::new();
    for &(reached, decided) in cases {
        if let Some(d) = decided
            && in_year(d)
        {
            days.push(calendar.working_days_taken(reached, d));
        }
        match settled(calendar, promised, reached, decided, today) {
            Some((day, _)) if !in_year(day) => {}
            Some((_, kept)) if decided.is_some() => {
                t.decided += 1;
                t.in_time += usize::from(kept);
            }
            Some(_) => t.overdue += 1,
            None if in_year(today) => t.waiting += 1,
            None => {}
        }
    }
    days.sort_unstable();
    t.median_working_days = match days.len() {
        0 => None,
        n if n % 2 == 1 => Some(days[n / 2] as f64),
        n => Some((days[n / 2 - 1] + days[n / 2]) as f64 / 2.0),
    };
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_threshold_is_read_as_typed_and_refused_in_its_field() {
        assert_eq!(
            Threshold::parse("signatures", " 100 "),
            Ok(Threshold::Signatures(100))
        );
        assert_eq!(
            Threshold::parse("per_mille", "1,5"),
            Ok(Threshold::PerMille { tenths: 15 })
        );
        assert_eq!(
            Threshold::parse("per_mille", "2"),
            Ok(Threshold::PerMille { tenths: 20 })
        );
        for (kind, bad) in [
            ("signatures", "0"),
            ("signatures", "1,5"),
            ("per_mille", "1,55"),
            ("per_mille", "0"),
            ("per_mille", "x"),
        ] {
            let e = Threshold::parse(kind, bad).unwrap_err();
            assert_eq!(e.term("field"), Some("threshold_value"), "{kind} {bad}");
        }
        let e = Threshold::parse("", "5").unwrap_err();
        assert_eq!(e.term("field"), Some("threshold_kind"));
        assert_eq!(Threshold::PerMille { tenths: 15 }.value_text(','), "1,5");
    }

    #[test]
    fn a_share_of_residents_is_rounded_up() {
        // 1.5 ‰ of Bjurholm's 2,387 residents is 3.58: 4 signatures.
        let t = Threshold::PerMille { tenths: 15 };
        assert_eq!(t.needed(Some(2_387)), Ok(4));
        assert_eq!(t.needed(Some(984_748)), Ok(1_478));
        assert_eq!(t.needed(Some(1)), Ok(1));
        let all = Threshold::PerMille { tenths: 10_000 };
        assert_eq!(all.needed(Some(50_000_000)), Ok(MAX_THRESHOLD));
        assert!(t.needed(None).is_err());
        assert_eq!(Threshold::Signatures(50).needed(None), Ok(50));
    }

    #[test]
    fn a_proposal_passes_its_stages() {
        let mut m = Milestones {
            moderation: Moderation::Pending,
            signing_ends_on: None,
            threshold_reached_on: None,
            decided_on: None,
        };
        let day = date!(2026 - 03 - 10);
        assert_eq!(m.stage(day), Stage::AwaitingModeration);
        assert!(!m.may_sign(day));
        m.moderation = Moderation::Published;
        m.signing_ends_on = Some(signing_ends(date!(2026 - 01 - 01), 90));
        assert_eq!(m.signing_ends_on, Some(date!(2026 - 03 - 31)));
        assert_eq!(m.stage(day), Stage::Signing);
        assert_eq!(m.stage(date!(2026 - 04 - 01)), Stage::Closed);
        assert!(!m.may_sign(date!(2026 - 04 - 01)));
        m.threshold_reached_on = Some(day);
        assert_eq!(m.stage(date!(2026 - 04 - 01)), Stage::WithCommittee);
        assert!(m.may_sign(day), "signing goes on after the threshold");
        m.decided_on = Some(date!(2026 - 05 - 01));
        assert_eq!(m.stage(date!(2026 - 05 - 01)), Stage::Decided);
        assert!(!m.may_sign(day));
    }

    #[test]
    fn promises_are_counted_in_working_days() {
        let cal = Calendar::default();
        // Reached Friday 2026-03-06; promise 5 working days: Friday 13 March is day 5.
        let reached = date!(2026 - 03 - 06);
        let cases = [
            (reached, Some(date!(2026 - 03 - 13))),
            (reached, Some(date!(2026 - 03 - 16))),
            (reached, None),
            (date!(2026 - 03 - 30), None),
        ];
        let t = timeliness(&cal, 5, &cases, date!(2026 - 03 - 31));
        assert_eq!((t.decided, t.in_time, t.overdue, t.waiting), (2, 1, 1, 1));
        assert_eq!(t.median_working_days, Some(5.5));
        assert_eq!(t.share_in_time(), Some(1.0 / 3.0));
        // Easter: Good Friday 3 April and Easter Monday 6 April 2026 are not working days.
        let t = timeliness(
            &cal,
            2,
            &[(date!(2026 - 04 - 02), Some(date!(2026 - 04 - 08)))],
            date!(2026 - 04 - 30),
        );
        assert_eq!(t.median_working_days, Some(2.0));
        assert_eq!(t.in_time, 1);
    }

    #[test]
    fn a_promise_counts_in_the_year_it_was_settled() {
        let cal = Calendar::default();
        // Reached Monday 2026-12-14, promise 10 working days: the 24th, 25th and 31st and
        // New Year's Day are not working days, so day 10 is 30 December and day 11 is
        // Monday 4 January 2027.
        let reached = date!(2026 - 12 - 14);
        assert_eq!(cal.working_day_after(reached, 11), date!(2027 - 01 - 04));
        assert_eq!(
            settled(
                &cal,
                10,
                reached,
                Some(date!(2026 - 12 - 30)),
                date!(2027 - 02 - 01)
            ),
            Some((date!(2026 - 12 - 30), true))
        );
        assert_eq!(
            settled(&cal, 10, reached, None, date!(2026 - 12 - 31)),
            None
        );
        assert_eq!(
            settled(&cal, 10, reached, None, date!(2027 - 01 - 04)),
            Some((date!(2027 - 01 - 04), false))
        );
        let cases = [
            // Kept in 2026.
            (date!(2026 - 03 - 02), Some(date!(2026 - 03 - 04))),
            // Broken on 4 January 2027, decided in February: counted in 2027, its days too.
            (reached, Some(date!(2027 - 02 - 01))),
            // Broken in 2026 (day 11 is 16 March), decided in 2027: broken in 2026, days in 2027.
            (date!(2026 - 03 - 02), Some(date!(2027 - 01 - 11))),
            // Undecided and past the promise in 2026.
            (date!(2026 - 06 - 01), None),
        ];
        let today = date!(2027 - 03 - 01);
        let y2026 = timeliness_in_year(&cal, 10, &cases, today, 2026);
        assert_eq!(
            (y2026.decided, y2026.in_time, y2026.overdue, y2026.waiting),
            (2, 1, 1, 0)
        );
        assert_eq!(y2026.median_working_days, Some(2.0));
        let y2027 = timeliness_in_year(&cal, 10, &cases, today, 2027);
        assert_eq!((y2027.decided, y2027.in_time, y2027.overdue), (1, 0, 0));
        assert_eq!(y2027.share_in_time(), Some(0.0));
        assert_eq!(y2027.median_working_days.map(|d| d > 10.0), Some(true));
        let all = timeliness(&cal, 10, &cases, today);
        assert_eq!((all.decided, all.in_time, all.overdue), (3, 1, 1));
    }
}
