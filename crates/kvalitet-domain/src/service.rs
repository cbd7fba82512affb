//! Service measurements: test contacts by e-mail and telephone and what they give (e-mails
//! answered within one and two working days, calls with a direct answer, reception as a share
//! of the maximum points), each with the number of tests, a 95 % confidence interval and a
//! warning when too few tests make it unreliable; and the survey-based service index used
//! since 2022 (answers 1–5 mapped to 0–100, at least 100 answers per channel).

use serde::Serialize;
use time::OffsetDateTime;

use crate::calendar::{Calendar, stockholm_date};
use crate::coded::coded_enum;
use crate::ids::MunicipalityId;

coded_enum!(
    /// How the test question was put.
    Channel { Email = "email", Phone = "phone" }
);

coded_enum!(
    /// Whether an e-mail answer answered the question.
    Relevance { Yes = "yes", Partly = "partly", No = "no" }
);

coded_enum!(
    /// The survey questions of the service index (from 2022).
    SurveyQuestion { Reception = "reception", Ease = "ease", Clarity = "clarity" }
);

/// The four levels of reception on a test call: mycket god, god, medelgod, dålig.
pub const RECEPTION_MAX: u8 = 3;

/// One test contact as registered.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub municipality: MunicipalityId,
    pub question: String,
    pub channel: Channel,
    pub tester: String,
    /// When the e-mail was sent or the call made.
    pub sent_at: OffsetDateTime,
    /// E-mail: when the answer came; none if it never did.
    pub answered_at: Option<OffsetDateTime>,
    pub relevance: Option<Relevance>,
    /// Call: whether the question was answered directly.
    pub direct_answer: Option<bool>,
    pub wait_seconds: Option<u32>,
    /// Call: 3 mycket god, 2 god, 1 medelgod, 0 dålig.
    pub reception: Option<u8>,
    pub note: String,
}

impl Contact {
    /// Everything that does not fit together, each naming its field.
    pub fn problems(&self) -> Vec<crate::Message> {
        use crate::Message;
        let mut out = Vec::new();
        if let Some(a) = self.answered_at
            && a < self.sent_at
        {
            out.push(Message::in_field(
                "answered_at",
                Message::new("answer_before_sent"),
            ));
        }
        if let Some(r) = self.reception
            && r > RECEPTION_MAX
        {
            out.push(Message::in_field(
                "reception",
                Message::new("reception_outside").with("value", r),
            ));
        }
        match self.channel {
            Channel::Email => {
                if self.direct_answer.is_some()
                    || self.reception.is_some()
                    || self.wait_seconds.is_some()
                {
                    out.push(Message::new("email_test_fields"));
                }
                if self.answered_at.is_some() != self.relevance.is_some() {
                    out.push(Message::in_field(
                        "relevance",
                        Message::new("relevance_when_answered"),
                    ));
                }
            }
            Channel::Phone => {
                if self.answered_at.is_some() || self.relevance.is_some() {
                    out.push(Message::new("phone_test_fields"));
                }
                if self.direct_answer.is_none() {
                    out.push(Message::in_field(
                        "direct_answer",
                        Message::new("yes_or_no_for_call"),
                    ));
                }
            }
        }
        out
    }
}

/// When a figure is too uncertain to compare, and what counts as answered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rules {
    /// A partly relevant e-mail answer counts as answered.
    pub partly_counts: bool,
    /// Fewer tests than this make a figure unreliable.
    pub min_tests: u32,
    /// A 95 % interval wider than this many percentage points on either side, too.
    pub max_half_width: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            partly_counts: true,
            min_tests: 10,
            max_half_width: 15.0,
        }
    }
}

/// A computed figure, 0–100, with the tests behind it and how sure it is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figure {
    pub value: f64,
    pub n: u32,
    /// The 95 % confidence interval.
    pub low: f64,
    pub high: f64,
    pub unreliable: bool,
}

const Z95: f64 = 1.959_963_984_540_054;

impl Figure {
    /// A share of `successes` in `n`, with the Wilson score interval (good also near 0 and
    /// 100 % and for small n, where the normal approximation fails).
    pub fn share(successes: u32, n: u32, rules: &Rules) -> Option<Self> {
        if n == 0 {
            return None;
        }
        let (k, n_f) = (f64::from(successes), f64::from(n));
        let p = k / n_f;
        let z2 = Z95 * Z95;
        let centre = (p + z2 / (2.0 * n_f)) / (1.0 + z2 / n_f);
        let half = Z95 / (1.0 + z2 / n_f) * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt();
        Some(Self::with(
            p * 100.0,
            n,
            (centre - half) * 100.0,
            (centre + half) * 100.0,
            rules,
        ))
    }

    /// A mean of scores already on 0–100, with the normal interval of the mean.
    pub fn mean(scores: &[f64], rules: &Rules) -> Option<Self> {
        let n = u32::try_from(scores.len()).ok().filter(|n| *n > 0)?;
        let n_f = f64::from(n);
        let mean = scores.iter().sum::<f64>() / n_f;
        let var = if n > 1 {
            scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n_f - 1.0)
        } else {
            0.0
        };
        let half = Z95 * (var / n_f).sqrt();
        Some(Self::with(mean, n, mean - half, mean + half, rules))
    }

    fn with(value: f64, n: u32, low: f64, high: f64, rules: &Rules) -> Self {
        let (low, high) = (low.clamp(0.0, 100.0), high.clamp(0.0, 100.0));
        Self {
            value,
            n,
            low,
            high,
            unreliable: n < rules.min_tests
                || (high - value).max(value - low) > rules.max_half_width,
        }
    }
}

/// What one municipality's test contacts give.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct TestFigures {
    /// Share of e-mails answered within two working days.
    pub email_within_two: Option<Figure>,
    pub email_within_one: Option<Figure>,
    /// Share of calls with a direct answer.
    pub direct_answer: Option<Figure>,
    /// Reception points as a share of the maximum.
    pub reception: Option<Figure>,
}

/// Computes the figures of one municipality's contacts. An e-mail counts as answered when an
/// answer came (relevant, or partly relevant if the rules say so) within the working days;
/// one never answered counts as not answered. Calls without a reception score are left out of
/// the reception figure only.
pub fn test_figures(contacts: &[&Contact], calendar: &Calendar, rules: &Rules) -> TestFigures {
    let emails: Vec<&&Contact> = contacts
        .iter()
        .filter(|c| c.channel == Channel::Email)
        .collect();
    let taken: Vec<Option<i64>> = emails
        .iter()
        .map(|c| {
            let counts = match c.relevance {
                Some(Relevance::Yes) => true,
                Some(Relevance::Partly) => rules.partly_counts,
                _ => false,
            };
            c.answered_at
                .filter(|_| counts)
                .map(|a| calendar.working_days_taken(stockholm_date(c.sent_at), stockholm_date(a)))
        })
        .collect();
    let n_email = u32::try_from(emails.len()).unwrap_or(u32::MAX);
    let within = |days: i64| {
        let k = taken
            .iter()
            .filter(|t| t.is_some_and(|t| t <= days))
            .count();
        Figure::share(u32::try_from(k).unwrap_or(u32::MAX), n_email, rules)
    };
    let calls: Vec<&&Contact> = contacts
        .iter()
        .filter(|c| c.channel == Channel::Phone)
        .collect();
    let direct = calls
        .iter()
        .filter(|c| c.direct_answer == Some(true))
        .count();
    let scores: Vec<f64> = calls
        .iter()
        .filter_map(|c| c.reception)
        .map(|r| f64::from(r) / f64::from(RECEPTION_MAX) * 100.0)
        .collect();
    TestFigures {
        email_within_two: within(2),
        email_within_one: within(1),
        direct_answer: Figure::share(
            u32::try_from(direct).unwrap_or(u32::MAX),
            u32::try_from(calls.len()).unwrap_or(u32::MAX),
            rules,
        ),
        reception: Figure::mean(&scores, rules),
    }
}

/// The fewest survey answers per channel for the index to be compared.
pub const MIN_SURVEY_ANSWERS: u64 = 100;

/// The service index of answers counted per step 1–5: the mean of 5 → 100, 4 → 75, 3 → 50,
/// 2 → 25, 1 → 0, with its interval; unreliable (and not compared) under 100 answers.
pub fn service_index(counts: &[u64; 5]) -> Option<Figure> {
    let rules = Rules {
        min_tests: u32::try_from(MIN_SURVEY_ANSWERS).unwrap_or(100),
        // The answer count decides; the interval is shown, not judged.
        max_half_width: f64::INFINITY,
        ..Rules::default()
    };
    let scores: Vec<f64> = counts
        .iter()
        .enumerate()
        .flat_map(|(i, c)| std::iter::repeat_n(i as f64 * 25.0, usize::try_from(*c).unwrap_or(0)))
        .collect();
    Figure::mean(&scores, &rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn m() -> MunicipalityId {
        MunicipalityId::parse("0180").unwrap()
    }

    fn email(
        sent: OffsetDateTime,
        answered: Option<OffsetDateTime>,
        relevance: Option<Relevance>,
    ) -> Contact {
        Contact {
            municipality: m(),
            question: "q".into(),
            channel: Channel::Email,
            tester: "t".into(),
            sent_at: sent,
            answered_at: answered,
            relevance,
            direct_answer: None,
            wait_seconds: None,
            reception: None,
            note: String::new(),
        }
    }

    fn call(direct: bool, reception: Option<u8>) -> Contact {
        Contact {
            channel: Channel::Phone,
            answered_at: None,
            relevance: None,
            direct_answer: Some(direct),
            reception,
            wait_seconds: Some(30),
            ..email(datetime!(2026-03-02 09:00 +01:00), None, None)
        }
    }

    #[test]
    fn e_mails_count_in_swedish_working_days() {
        let c = Calendar::default();
        let rules = Rules::default();
        let mon = datetime!(2026-03-02 09:00 +01:00);
        let contacts = [
            // Same day; next day; two days; three days; never; a partly relevant next day; an
            // irrelevant answer the same day.
            email(
                mon,
                Some(datetime!(2026-03-02 15:00 +01:00)),
                Some(Relevance::Yes),
            ),
            email(
                mon,
                Some(datetime!(2026-03-03 08:00 +01:00)),
                Some(Relevance::Yes),
            ),
            email(
                mon,
                Some(datetime!(2026-03-04 16:59 +01:00)),
                Some(Relevance::Yes),
            ),
            email(
                mon,
                Some(datetime!(2026-03-05 08:00 +01:00)),
                Some(Relevance::Yes),
            ),
            email(mon, None, None),
            email(
                mon,
                Some(datetime!(2026-03-03 10:00 +01:00)),
                Some(Relevance::Partly),
            ),
            email(
                mon,
                Some(datetime!(2026-03-02 10:00 +01:00)),
                Some(Relevance::No),
            ),
        ];
        let refs: Vec<&Contact> = contacts.iter().collect();
        let f = test_figures(&refs, &c, &rules);
        let two = f.email_within_two.unwrap();
        assert_eq!(two.n, 7);
        assert!(
            (two.value - 400.0 / 7.0).abs() < 1e-9,
            "4 of 7 within two days"
        );
        assert!(
            (f.email_within_one.unwrap().value - 300.0 / 7.0).abs() < 1e-9,
            "3 of 7 within one"
        );
        assert!(two.unreliable, "7 tests are too few");
        let strict = Rules {
            partly_counts: false,
            ..rules
        };
        assert!(
            (test_figures(&refs, &c, &strict)
                .email_within_one
                .unwrap()
                .value
                - 200.0 / 7.0)
                .abs()
                < 1e-9
        );

        // A question sent late in the evening of 31 December UTC is sent on New Year's Day in
        // Sweden: answered Friday 2 January 2026 it took 0 working days.
        let nye = email(
            datetime!(2025-12-31 23:30 UTC),
            Some(datetime!(2026-01-02 10:00 +01:00)),
            Some(Relevance::Yes),
        );
        assert_eq!(
            test_figures(&[&nye], &c, &rules)
                .email_within_one
                .unwrap()
                .value,
            100.0
        );
    }

    #[test]
    fn calls_give_direct_answers_and_reception_as_share_of_the_maximum() {
        // Reception 3, 2, 2, 1, 0 = 8 of 15 points = 53.3 %; direct answers 3 of 5.
        let calls = [
            call(true, Some(3)),
            call(true, Some(2)),
            call(false, Some(2)),
            call(true, Some(1)),
            call(false, Some(0)),
        ];
        let refs: Vec<&Contact> = calls.iter().collect();
        let f = test_figures(&refs, &Calendar::default(), &Rules::default());
        assert!((f.reception.unwrap().value - 800.0 / 15.0).abs() < 1e-9);
        assert_eq!(f.direct_answer.unwrap().value, 60.0);
        assert_eq!(f.email_within_two, None, "no e-mails, no figure");
    }

    #[test]
    fn the_wilson_interval_matches_a_hand_computation() {
        // 8 of 10: Wilson 95 % = 0.4902 to 0.9433.
        let f = Figure::share(8, 10, &Rules::default()).unwrap();
        assert!(
            (f.low - 49.02).abs() < 0.01 && (f.high - 94.33).abs() < 0.01,
            "{f:?}"
        );
        assert!(f.unreliable, "±22 points is too wide");
        // 160 of 200: 0.7391 to 0.8495, half width about 5.5 points: reliable.
        let f = Figure::share(160, 200, &Rules::default()).unwrap();
        assert!(
            (f.low - 73.91).abs() < 0.01 && (f.high - 84.95).abs() < 0.01,
            "{f:?}"
        );
        assert!(!f.unreliable);
        // All successes still give an interval reaching down from 100.
        let f = Figure::share(10, 10, &Rules::default()).unwrap();
        assert!(
            (f.high - 100.0).abs() < 1e-9 && (f.low - 72.25).abs() < 0.01,
            "{f:?}"
        );
    }

    #[test]
    fn the_service_index_maps_1_to_5_onto_0_to_100_and_needs_100_answers() {
        // 10 x 1, 10 x 2, 20 x 3, 60 x 4, 100 x 5: (0 + 250 + 1000 + 4500 + 10000) / 200 = 78.75.
        let f = service_index(&[10, 10, 20, 60, 100]).unwrap();
        assert!((f.value - 78.75).abs() < 1e-9);
        assert_eq!(f.n, 200);
        assert!(!f.unreliable);
        let few = service_index(&[0, 0, 10, 40, 49]).unwrap();
        assert!(few.unreliable, "99 answers are not compared");
        assert_eq!(service_index(&[0; 5]), None);
    }

    #[test]
    fn contacts_that_do_not_fit_together_are_named() {
        let mut e = email(
            datetime!(2026-03-02 09:00 +01:00),
            Some(datetime!(2026-03-02 08:00 +01:00)),
            Some(Relevance::Yes),
        );
        assert!(
            e.problems()[0]
                .to_string()
                .contains("before the question was sent")
        );
        e.answered_at = None;
        assert!(e.problems()[0].to_string().contains("answered_at"));
        let mut c = call(true, Some(4));
        assert!(c.problems()[0].to_string().contains("outside 0–3"));
        c.reception = Some(3);
        c.direct_answer = None;
        assert!(c.problems()[0].to_string().starts_with("Direct answer: "));
        assert!(call(false, Some(0)).problems().is_empty());
    }
}
