//! A municipality's goal plan as a TOML file (or JSON with the same keys, starting with `{`):
//! the goals of its steering from vision to activities, each with its indicators and their
//! targets by year. The format is in `docs/goals.md`. Errors name the line (syntax) or the
//! goal and indicator (meaning); the plan's own rules are the domain's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use kvalitet_domain::goals::{
    ActivityState, Aim, Level, PlanGoal, PlanIndicator, Target, TrendBase, plan_problems,
};
use kvalitet_domain::{Message, MunicipalityId};

/// A plan as read: its municipality and its goals, checked against the plan's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalPlan {
    pub municipality: MunicipalityId,
    pub goals: Vec<PlanGoal>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    municipality: String,
    #[serde(default)]
    goals: Vec<GoalFile>,
}

// The file's shape, read and written: what is left out when written is what reading fills
// in by default, so a written plan reads back the same.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct GoalFile {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<String>,
    level: String,
    title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    owner: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    serves: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    weight: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    indicators: Vec<IndicatorFile>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct IndicatorFile {
    measure: String,
    #[serde(default = "total")]
    gender: String,
    aim: String,
    baseline_year: i32,
    /// Year → a value, or `[low, high]` for a band.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    targets: BTreeMap<String, TargetFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    weight: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trend_base: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
}

fn total() -> String {
    "T".to_owned()
}

#[derive(Deserialize, Serialize)]
#[serde(untagged)]
enum TargetFile {
    Value(f64),
    Band([f64; 2]),
}

/// Whether a file's first bytes are a goal plan: TOML with a `[[goals]]` table, or JSON with
/// `"municipality"` and `"goals"` keys (Kolada's JSON has neither together).
pub fn looks_like_goal_plan(head: &str) -> bool {
    if head.starts_with('{') {
        head.contains("\"goals\"") && head.contains("\"municipality\"")
    } else {
        head.lines().any(|l| l.trim() == "[[goals]]")
    }
}

/// Reads a plan and checks it whole: every problem is listed, each with its place, and a
/// plan with any problem is refused. `known_measure` says which measures the municipality
/// may follow (Kolada's and its own).
pub fn read(text: &str, known_measure: impl Fn(&str) -> bool) -> Result<GoalPlan, Vec<Message>> {
    let file: PlanFile = crate::toml_or_json(text)?;
    let mut errors = Vec::new();
    let municipality = MunicipalityId::parse(&file.municipality).map_err(|_| {
        vec![Message::in_field(
            "municipality",
            Message::new("not_a_municipality_id").with("value", format!("{:?}", file.municipality)),
        )]
    })?;
    let mut goals = Vec::new();
    for g in file.goals {
        let mut place = |problem: Message| {
            errors.push(
                Message::new("at_goal")
                    .with("id", format!("{:?}", g.id))
                    .with_said("problem", problem),
            );
        };
        let level = Level::parse(&g.level).unwrap_or_else(|| {
            place(Message::in_field(
                "level",
                Message::new("not_a_level").with("value", format!("{:?}", g.level)),
            ));
            Level::Unit
        });
        let state = g.state.as_deref().and_then(|s| {
            ActivityState::parse(s).or_else(|| {
                place(Message::in_field(
                    "state",
                    Message::new("not_an_activity_state").with("value", format!("{s:?}")),
                ));
                None
            })
        });
        if let Some(due) = &g.due
            && kvalitet_domain::calendar::parse_date(due).is_err()
        {
            place(Message::in_field(
                "due",
                Message::new("not_a_date").with("value", format!("{due:?}")),
            ));
        }
        let mut indicators = Vec::new();
        for (n, i) in g.indicators.into_iter().enumerate() {
            let mut at = |field: &str, problem: Message| {
                place(
                    Message::new("at_indicator")
                        .with("n", n + 1)
                        .with("measure", &i.measure)
                        .with_said("problem", Message::in_field(field, problem)),
                );
            };
            let aim = Aim::parse(&i.aim).unwrap_or_else(|| {
                at(
                    "aim",
                    Message::new("not_an_aim").with("value", format!("{:?}", i.aim)),
                );
                Aim::Neither
            });
            let trend_base = match i.trend_base.as_deref() {
                None => TrendBase::Previous,
                Some(b) => TrendBase::parse(b).unwrap_or_else(|| {
                    at(
                        "trend_base",
                        Message::new("not_a_trend_base").with("value", format!("{b:?}")),
                    );
                    TrendBase::Previous
                }),
            };
            if !matches!(i.gender.as_str(), "T" | "K" | "M") {
                at(
                    "gender",
                    Message::new("not_a_gender").with("value", format!("{:?}", i.gender)),
                );
            }
            let mut targets = BTreeMap::new();
            for (year, t) in &i.targets {
                let Ok(y) = year.trim().parse::<i32>() else {
                    at(
                        "targets",
                        Message::new("not_a_year").with("value", format!("{year:?}")),
                    );
                    continue;
                };
                let target = match (aim, t) {
                    (Aim::Within, TargetFile::Band([low, high])) => Target {
                        low: *low,
                        high: *high,
                    },
                    (Aim::Within, TargetFile::Value(_)) => {
                        at("targets", Message::new("band_needs_two").with("year", y));
                        continue;
                    }
                    (_, TargetFile::Value(v)) => Target::at(*v),
                    (_, TargetFile::Band(_)) => {
                        at(
                            "targets",
                            Message::new("band_only_for_range").with("year", y),
                        );
                        continue;
                    }
                };
                targets.insert(y, target);
            }
            indicators.push(PlanIndicator {
                measure: i.measure.trim().to_owned(),
                gender: i.gender,
                aim,
                baseline_year: i.baseline_year,
                targets,
                weight: i.weight.unwrap_or(1.0),
                trend_base,
                group: i.group.filter(|g| !g.trim().is_empty()),
            });
        }
        goals.push(PlanGoal {
            id: g.id.trim().to_owned(),
            parent: g.parent.filter(|p| !p.trim().is_empty()),
            level,
            title: g.title.trim().to_owned(),
            description: g.description.trim().to_owned(),
            owner: g.owner.trim().to_owned(),
            from_year: g.from,
            to_year: g.to,
            serves: g.serves,
            weight: g.weight.unwrap_or(1.0),
            indicators,
            state,
            due: g.due,
        });
    }
    errors.extend(plan_problems(&goals, known_measure));
    if errors.is_empty() {
        Ok(GoalPlan {
            municipality,
            goals,
        })
    } else {
        Err(errors)
    }
}

/// A plan as its file (TOML), the way `read` reads it back: what the goal-by-goal editor
/// saves. The file's comments are not kept (a plan edited in the form is written anew).
pub fn write(plan: &GoalPlan) -> Result<String, Message> {
    let weight = |w: f64| Some(w).filter(|w| *w != 1.0);
    let file = PlanFile {
        municipality: plan.municipality.to_string(),
        goals: plan
            .goals
            .iter()
            .map(|g| GoalFile {
                id: g.id.clone(),
                parent: g.parent.clone(),
                level: g.level.code().to_owned(),
                title: g.title.clone(),
                description: g.description.clone(),
                owner: g.owner.clone(),
                from: g.from_year,
                to: g.to_year,
                serves: g.serves.clone(),
                weight: weight(g.weight),
                state: g.state.map(|s| s.code().to_owned()),
                due: g.due.clone(),
                indicators: g
                    .indicators
                    .iter()
                    .map(|i| IndicatorFile {
                        measure: i.measure.clone(),
                        gender: i.gender.clone(),
                        aim: i.aim.code().to_owned(),
                        baseline_year: i.baseline_year,
                        targets: i
                            .targets
                            .iter()
                            .map(|(year, t)| {
                                let target = if t.low == t.high && i.aim != Aim::Within {
                                    TargetFile::Value(t.low)
                                } else {
                                    TargetFile::Band([t.low, t.high])
                                };
                                (year.to_string(), target)
                            })
                            .collect(),
                        weight: weight(i.weight),
                        trend_base: Some(i.trend_base)
                            .filter(|b| *b != TrendBase::Previous)
                            .map(|b| b.code().to_owned()),
                        group: i.group.clone(),
                    })
                    .collect(),
            })
            .collect(),
    };
    toml::to_string(&file).map_err(|e| Message::from(format!("the plan could not be written: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

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
owner = "Kommunstyrelsen"
from = 2023
to = 2026
serves = ["kf2"]

[[goals.indicators]]
measure = "N15428"
aim = "higher"
baseline_year = 2022
targets = { 2024 = 80, 2026 = 90 }

[[goals.indicators]]
measure = "N00956"
aim = "range"
baseline_year = 2022
targets = { 2026 = [0.97, 1.03] }
weight = 2

[[goals]]
id = "kf2"
parent = "vision"
level = "kf"
title = "Trygg vård"

[[goals]]
id = "a1"
parent = "kf1"
level = "activity"
title = "Jobbtorg i varje stadsdel"
state = "ongoing"
due = "2025-06-30"
"#;

    #[test]
    fn a_plan_reads_with_paths_bands_and_activities() {
        let plan = read(PLAN, |_| true).unwrap();
        assert_eq!(plan.municipality.as_str(), "0180");
        assert_eq!(plan.goals.len(), 4);
        let kf1 = &plan.goals[1];
        assert_eq!(kf1.level, Level::Council);
        assert_eq!(kf1.serves, vec!["kf2".to_owned()]);
        assert_eq!(kf1.indicators[0].targets[&2026], Target::at(90.0));
        assert_eq!(
            kf1.indicators[1].targets[&2026],
            Target {
                low: 0.97,
                high: 1.03
            }
        );
        assert_eq!(kf1.indicators[1].weight, 2.0);
        assert_eq!(plan.goals[3].state, Some(ActivityState::Ongoing));
        // The same keys as JSON.
        let json = r#"{"municipality":"0180","goals":[{"id":"v","level":"vision","title":"V"}]}"#;
        assert_eq!(read(json, |_| true).unwrap().goals.len(), 1);
    }

    #[test]
    fn a_written_plan_reads_back_the_same() {
        let plan = read(PLAN, |_| true).unwrap();
        let text = write(&plan).unwrap();
        assert!(looks_like_goal_plan(&text), "{text}");
        assert_eq!(read(&text, |_| true).unwrap(), plan, "{text}");
        // Text that needs quoting survives too.
        let mut odd = plan.clone();
        odd.goals[0].title = "\"Alla\" ska med\n[[goals]]\\".to_owned();
        odd.goals[0].description = "Rad ett\nrad två = tre".to_owned();
        assert_eq!(read(&write(&odd).unwrap(), |_| true).unwrap(), odd);
    }

    #[test]
    fn the_example_plan_reads() {
        let text = include_str!("../../../data/examples/goal-plan.toml");
        let plan = read(text, |m| ["N15428", "U21468"].contains(&m)).unwrap();
        assert_eq!(plan.goals.len(), 5);
        assert_eq!(plan.goals[4].level, Level::Activity);
    }

    #[test]
    fn bad_plans_name_each_place() {
        let syntax = read("municipality = \"0180\"\n[[goals]]\nid = ", |_| true).unwrap_err();
        assert!(syntax[0].to_string().contains("line 3"), "{}", syntax[0]);
        let bad = PLAN
            .replace("aim = \"higher\"", "aim = \"upp\"")
            .replace("state = \"ongoing\"", "state = \"kanske\"")
            .replace(
                "targets = { 2026 = [0.97, 1.03] }",
                "targets = { 2026 = 1 }",
            )
            .replace(
                "baseline_year = 2022\ntargets = { 2024",
                "baseline_year = 2025\ntargets = { 2024",
            );
        let errors: Vec<String> = read(&bad, |m| m == "N15428")
            .unwrap_err()
            .iter()
            .map(|m| m.to_string())
            .collect();
        let all = errors.join("\n");
        for needle in ["upp", "kanske", "N00956", "2024", "kf1", "a1"] {
            assert!(all.contains(needle), "{needle}: {all}");
        }
        let unknown = read(
            &PLAN.replace(
                "title = \"Trygg vård\"",
                "title = \"Trygg vård\"\ncolour = \"red\"",
            ),
            |_| true,
        );
        assert!(unknown.is_err());
    }
}
