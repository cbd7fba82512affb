//! A goal plan followed up, as one document: the answer of `/api/v1/goals`, the frozen
//! snapshot of a closed follow-up period (stored as this JSON, read back to make its report
//! again exactly) and the rows of the council's CSV and Excel files all have this shape. Codes
//! are the stable ones of `docs/goals.md`; words are the reader's business.

use serde::{Deserialize, Serialize};

/// A municipality's plan followed up in a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUpReport {
    pub municipality: String,
    pub name: String,
    /// The year followed up: values up to it count.
    pub year: i32,
    /// When the plan followed up was published (RFC 3339).
    pub published: Option<String>,
    /// The closed period this is the snapshot of; none for a live follow-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<PeriodEntry>,
    /// Parents before children, in the plan's order.
    pub goals: Vec<GoalEntry>,
}

/// A closed follow-up period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodEntry {
    pub code: String,
    /// `t1`, `t2`, `interim` (delår), `annual` (helår) or `other`.
    pub kind: String,
    pub title: String,
    /// The day the period closes (ISO date).
    pub closes_on: String,
    /// When the snapshot was taken (RFC 3339).
    pub taken_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalEntry {
    pub id: String,
    pub parent: Option<String>,
    pub level: String,
    pub title: String,
    pub description: String,
    pub owner: String,
    pub from: Option<i32>,
    pub to: Option<i32>,
    pub serves: Vec<String>,
    pub weight: f64,
    /// An activity's state.
    pub state: Option<String>,
    pub due: Option<String>,
    pub official: Option<OfficialEntry>,
    /// None for activities, which do not count toward a status.
    pub suggested: Option<SuggestedEntry>,
    pub indicators: Vec<IndicatorEntry>,
}

/// The status a named person set, with the motivation (who it was is kept in the audit
/// trail, not in public documents).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficialEntry {
    pub status: String,
    pub motivation: String,
    pub set_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestedEntry {
    pub category: String,
    pub score: Option<f64>,
    pub counted: usize,
    pub left_out: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct YearValue {
    pub year: i32,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TargetEntry {
    pub year: i32,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressEntry {
    pub category: String,
    pub score: Option<f64>,
    pub ratio: Option<f64>,
    pub growth: Option<f64>,
    pub from_year: Option<i32>,
    pub to_year: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionEntry {
    pub colour: String,
    pub rank: Option<usize>,
    pub shared: bool,
}

/// An indicator with its four signals, never merged into one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorEntry {
    pub measure: String,
    pub gender: String,
    pub aim: String,
    pub baseline_year: i32,
    pub targets: Vec<TargetEntry>,
    pub weight: f64,
    pub group: Option<String>,
    /// The latest value up to the year followed up.
    pub latest: Option<YearValue>,
    /// The target in force in the latest value's year.
    pub target: Option<Band>,
    pub target_status: Option<String>,
    pub trend: Option<String>,
    pub trend_base: String,
    pub progress: Option<ProgressEntry>,
    pub position: Option<PositionEntry>,
    /// Every value up to the year followed up, oldest first: what the signals were computed
    /// from, kept so a snapshot shows its line as it was.
    #[serde(default)]
    pub values: Vec<YearValue>,
}

/// A later value of an indicator than the one a snapshot froze: shown beside the snapshot,
/// never replacing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    pub goal: String,
    pub measure: String,
    pub gender: String,
    pub year: i32,
    /// As frozen; none when the snapshot had no value for that year.
    pub frozen: Option<f64>,
    /// As now; none when the value was withdrawn.
    pub now: Option<f64>,
}

impl FollowUpReport {
    /// The values of `now` (the same plan followed up today) that differ from this snapshot's
    /// for the same indicator and year: revisions by Kolada or the municipality after the
    /// period closed. Indicators are matched by goal, measure and gender.
    pub fn revisions(&self, now: &FollowUpReport) -> Vec<Revision> {
        let mut out = Vec::new();
        for goal in &self.goals {
            let Some(current) = now.goals.iter().find(|g| g.id == goal.id) else {
                continue;
            };
            for ind in &goal.indicators {
                let Some(frozen) = ind.latest else {
                    continue;
                };
                let same = current
                    .indicators
                    .iter()
                    .find(|i| i.measure == ind.measure && i.gender == ind.gender);
                let value_now = same
                    .and_then(|i| i.latest)
                    .filter(|v| v.year == frozen.year)
                    .map(|v| v.value);
                if value_now != Some(frozen.value) {
                    out.push(Revision {
                        goal: goal.id.clone(),
                        measure: ind.measure.clone(),
                        gender: ind.gender.clone(),
                        year: frozen.year,
                        frozen: Some(frozen.value),
                        now: value_now,
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(value: Option<f64>) -> FollowUpReport {
        FollowUpReport {
            municipality: "0180".into(),
            name: "Stockholm".into(),
            year: 2024,
            published: None,
            period: None,
            goals: vec![GoalEntry {
                id: "kf1".into(),
                parent: None,
                level: "kf".into(),
                title: "Fler i arbete".into(),
                description: String::new(),
                owner: String::new(),
                from: None,
                to: None,
                serves: vec![],
                weight: 1.0,
                state: None,
                due: None,
                official: None,
                suggested: None,
                indicators: vec![IndicatorEntry {
                    measure: "N15428".into(),
                    gender: "T".into(),
                    aim: "higher".into(),
                    baseline_year: 2020,
                    targets: vec![],
                    weight: 1.0,
                    group: None,
                    latest: value.map(|value| YearValue { year: 2024, value }),
                    target: None,
                    target_status: None,
                    trend: None,
                    trend_base: "previous".into(),
                    progress: None,
                    position: None,
                    values: value
                        .map(|value| YearValue { year: 2024, value })
                        .into_iter()
                        .collect(),
                }],
            }],
        }
    }

    #[test]
    fn a_snapshot_reads_back_as_it_was_written() {
        let r = report(Some(81.5));
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<FollowUpReport>(&text).unwrap(), r);
    }

    #[test]
    fn revised_and_withdrawn_values_are_listed_and_equal_ones_are_not() {
        let frozen = report(Some(81.5));
        assert!(frozen.revisions(&report(Some(81.5))).is_empty());
        let revised = frozen.revisions(&report(Some(82.0)));
        assert_eq!(revised.len(), 1);
        assert_eq!(
            (revised[0].frozen, revised[0].now),
            (Some(81.5), Some(82.0))
        );
        let withdrawn = frozen.revisions(&report(None));
        assert_eq!(withdrawn[0].now, None);
        // A value that came after the snapshot froze none is not a revision of it.
        assert!(report(None).revisions(&report(Some(80.0))).is_empty());
    }
}
