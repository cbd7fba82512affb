//! Goals as use cases: a plan read from its file (checked whole) and saved as the
//! municipality's draft by its editors, published by its administrators, read back (the
//! published plan by everyone, the draft by the municipality's people), and official statuses
//! set by administrators with a motivation. The rules are the domain's (`goals`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kvalitet_domain::goals::{
    self, GoalResult, IndicatorResult, Linked, Official, Period, PlanGoal, PlanIndicator,
};
use kvalitet_domain::{
    Action, AreaId, Datum, Gender, Grants, MeasureId, Message, MunicipalityId, Placement,
    Timestamp, Year,
};
use kvalitet_formats::goal_file::{self, GoalPlan};
use kvalitet_formats::goal_report::{
    Band, FollowUpReport, GoalEntry, IndicatorEntry, OfficialEntry, PeriodEntry, PositionEntry,
    ProgressEntry, SuggestedEntry, TargetEntry, YearValue,
};

use crate::ports::{
    Actor, Goals, PlanStatus, StatusRecord, StoredPeriod, StoredPlan, ValueFilter, Values,
};
use crate::refusal::Refusal;
use crate::report::{Directory, Population, ReportError};

/// The largest plan file read, far above a municipality's (300 goals are about 150 kB).
pub const MAX_PLAN_BYTES: usize = 4 << 20;

/// Reads a plan, checks it whole and saves it as its municipality's draft (an earlier draft
/// is replaced). Returns the municipality, the stored plan's id and the number of goals.
pub async fn import_plan(
    store: &impl Goals,
    grants: &Grants,
    text: &str,
    known_measure: impl Fn(&str) -> bool,
    actor: &Actor,
) -> Result<(MunicipalityId, i64, usize), Refusal> {
    if text.len() > MAX_PLAN_BYTES {
        return Err(Refusal::Invalid(
            Message::new("file_too_large").with("mb", MAX_PLAN_BYTES >> 20),
        ));
    }
    let plan = goal_file::read(text, known_measure).map_err(Refusal::BadRows)?;
    let m = plan.municipality;
    if !grants.allows(Action::EditMeasures, &m) {
        return Err(Refusal::Forbidden(
            Message::new("goals_editors_only").with("municipality", m),
        ));
    }
    let id = store.save_goal_draft(&m, text, None, actor).await?;
    Ok((m, id, plan.goals.len()))
}

/// Makes one change to the plan being worked on (the draft, else the published plan, else
/// a new plan) and saves the result, checked whole, as the draft: the goal-by-goal editor.
/// `based_on` is the stored plan the editor's page showed (none when there was none); a
/// plan saved by someone else in between is refused (`goal_plan_changed`), never
/// overwritten. Returns the new draft's id.
pub async fn edit_plan(
    store: &impl Goals,
    grants: &Grants,
    m: &MunicipalityId,
    based_on: Option<i64>,
    edit: goals::PlanEdit,
    known_measure: impl Fn(&str) -> bool,
    actor: &Actor,
) -> Result<i64, Refusal> {
    if !grants.allows(Action::EditMeasures, m) {
        return Err(Refusal::Forbidden(
            Message::new("goals_editors_only").with("municipality", m),
        ));
    }
    let plans = store.goal_plans(m).await?;
    let current = plans
        .iter()
        .find(|p| p.status == PlanStatus::Draft)
        .or_else(|| plans.iter().find(|p| p.status == PlanStatus::Published));
    if current.map(|p| p.id) != based_on {
        return Err(Refusal::Invalid(Message::new("goal_plan_changed")));
    }
    let mut goals = match current {
        // Checked when it was saved; its measures stay named by their ids.
        Some(p) => {
            goal_file::read(&p.source, |_| true)
                .map_err(Refusal::BadRows)?
                .goals
        }
        None => Vec::new(),
    };
    goals::apply_edit(&mut goals, edit).map_err(Refusal::Invalid)?;
    let problems = goals::plan_problems(&goals, known_measure);
    if !problems.is_empty() {
        return Err(Refusal::BadRows(problems));
    }
    let text = goal_file::write(&GoalPlan {
        municipality: *m,
        goals,
    })
    .map_err(Refusal::Invalid)?;
    Ok(store.save_goal_draft(m, &text, based_on, actor).await?)
}

/// A stored plan read back in full.
#[derive(Debug, Clone)]
pub struct Plan {
    pub stored: StoredPlan,
    pub plan: GoalPlan,
}

/// The municipality's published plan, for everyone; with `draft`, its draft instead, for its
/// own people only (to anyone else a draft does not exist).
pub async fn plan(
    store: &impl Goals,
    grants: Option<&Grants>,
    m: &MunicipalityId,
    draft: bool,
) -> Result<Option<Plan>, Refusal> {
    let wanted = if draft {
        if !grants.is_some_and(|g| g.allows(Action::ViewDrafts, m)) {
            return Ok(None);
        }
        PlanStatus::Draft
    } else {
        PlanStatus::Published
    };
    let Some(stored) = store
        .goal_plans(m)
        .await?
        .into_iter()
        .find(|p| p.status == wanted)
    else {
        return Ok(None);
    };
    // Checked when it was saved; the measures were known then and stay named by their ids.
    let plan = goal_file::read(&stored.source, |_| true).map_err(Refusal::BadRows)?;
    Ok(Some(Plan { stored, plan }))
}

/// A goal as an item linked to it names it: its id (the anchor on the goals page) and title.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GoalRef {
    pub id: String,
    pub title: String,
}

/// The goals of the published plan, in the plan's order: what an item may be linked to.
pub async fn goal_choices(store: &impl Goals, m: &MunicipalityId) -> Result<Vec<GoalRef>, Refusal> {
    Ok(plan(store, None, m, false)
        .await?
        .map(|p| {
            p.plan
                .goals
                .iter()
                .map(|g| GoalRef {
                    id: g.id.clone(),
                    title: g.title.clone(),
                })
                .collect()
        })
        .unwrap_or_default())
}

/// The published goal an item is followed up under; none when it is not linked or the
/// published plan no longer has the goal.
pub async fn linked_goal(
    store: &impl Goals,
    m: &MunicipalityId,
    kind: Linked,
    item: &str,
) -> Result<Option<GoalRef>, Refusal> {
    let Some(goal) = store.goal_link(m, kind, item).await? else {
        return Ok(None);
    };
    Ok(goal_choices(store, m)
        .await?
        .into_iter()
        .find(|g| g.id == goal))
}

/// The goals an item may be linked to and the id of the one it is linked to, if that goal
/// is still in the published plan: what the link form on its staff page offers, from one
/// reading of the plan.
pub async fn link_choices(
    store: &impl Goals,
    m: &MunicipalityId,
    kind: Linked,
    item: &str,
) -> Result<(Vec<GoalRef>, Option<String>), Refusal> {
    let choices = goal_choices(store, m).await?;
    let linked = store
        .goal_link(m, kind, item)
        .await?
        .filter(|g| choices.iter().any(|c| c.id == *g));
    Ok((choices, linked))
}

/// Links an item to a goal of the published plan (an empty `goal` removes the link): for
/// the municipality's editors, who answer proposals and dialogues.
pub async fn link_goal(
    store: &impl Goals,
    grants: &Grants,
    m: &MunicipalityId,
    kind: Linked,
    item: &str,
    goal: &str,
    actor: &Actor,
) -> Result<(), Refusal> {
    if !grants.allows(Action::EditMeasures, m) {
        return Err(Refusal::Forbidden(
            Message::new("goal_link_editors_only").with("municipality", m),
        ));
    }
    let goal = goal.trim();
    if !goal.is_empty() && !goal_choices(store, m).await?.iter().any(|g| g.id == goal) {
        return Err(Refusal::BadRows(vec![
            Message::new("goal_link_unknown")
                .with("goal", goal)
                .with_term("field", "field.goal", "goal"),
        ]));
    }
    store
        .link_goal(m, kind, item, (!goal.is_empty()).then_some(goal), actor)
        .await?;
    Ok(())
}

/// Publishes the draft the administrator saw (`plan` is its id).
pub async fn publish_plan(
    store: &impl Goals,
    grants: &Grants,
    m: &MunicipalityId,
    plan: i64,
    actor: &Actor,
) -> Result<(), Refusal> {
    if !grants.allows(Action::Publish, m) {
        return Err(Refusal::Forbidden(
            Message::new("goals_admins_publish").with("municipality", m),
        ));
    }
    Ok(store.publish_goal_plan(m, plan, actor).await?)
}

/// Sets a goal's official status: by an administrator, with a motivation, for a goal of the
/// published plan or the draft.
pub async fn set_status(
    store: &impl Goals,
    grants: &Grants,
    m: &MunicipalityId,
    goal: &str,
    status: &str,
    motivation: &str,
    actor: &Actor,
) -> Result<(), Refusal> {
    if !grants.allows(Action::Publish, m) {
        return Err(Refusal::Forbidden(
            Message::new("goals_admins_publish").with("municipality", m),
        ));
    }
    let status = Official::parse(status).ok_or_else(|| {
        Refusal::Invalid(Message::in_field(
            "status",
            Message::new("choose_goal_status"),
        ))
    })?;
    let motivation = goals::motivation(motivation).map_err(Refusal::Invalid)?;
    let known = store
        .goal_plans(m)
        .await?
        .iter()
        .filter_map(|p| goal_file::read(&p.source, |_| true).ok())
        .any(|p| p.goals.iter().any(|g| g.id == goal));
    if !known {
        return Err(Refusal::NotFound(
            Message::new("goal_not_found").with("id", format!("{goal:?}")),
        ));
    }
    let record = StatusRecord {
        goal: goal.to_owned(),
        status,
        motivation,
        set_by: actor.who.clone(),
        set_at: actor.at,
    };
    Ok(store.set_goal_status(m, &record, actor).await?)
}

/// Each goal's official status now: its latest record.
pub async fn statuses(
    store: &impl Goals,
    m: &MunicipalityId,
) -> Result<std::collections::BTreeMap<String, StatusRecord>, Refusal> {
    Ok(store
        .goal_statuses(m)
        .await?
        .into_iter()
        .map(|s| (s.goal.clone(), s))
        .collect())
}

/// Every official status a goal was given, the latest first: the judgements as they were
/// made, none replaced.
pub async fn history(
    store: &impl Goals,
    m: &MunicipalityId,
    goal: &str,
) -> Result<Vec<StatusRecord>, Refusal> {
    let mut records: Vec<StatusRecord> = store
        .goal_statuses(m)
        .await?
        .into_iter()
        .filter(|s| s.goal == goal)
        .collect();
    records.reverse();
    Ok(records)
}

/// Whether the municipality has published a goal plan (for a link to it).
pub async fn has_published(store: &impl Goals, m: &MunicipalityId) -> Result<bool, Refusal> {
    Ok(store
        .goal_plans(m)
        .await?
        .iter()
        .any(|p| p.status == PlanStatus::Published))
}

/// A plan followed up as its document: every goal with its official status (without who set
/// it: public documents name no addresses) and suggested status, every indicator with its
/// four signals and its values up to `year`. `values` gives an indicator's values,
/// `position` its place among municipalities.
#[allow(clippy::too_many_arguments)]
pub fn follow_up_report<'s>(
    municipality: &MunicipalityId,
    name: String,
    year: i32,
    published: Option<Timestamp>,
    goals: &[PlanGoal],
    results: &[GoalResult],
    values: impl Fn(&PlanIndicator) -> Option<&'s goals::Series>,
    position: impl Fn(&PlanGoal, &IndicatorResult) -> Option<Placement>,
    statuses: &BTreeMap<String, StatusRecord>,
) -> FollowUpReport {
    let result_of: std::collections::HashMap<&str, &GoalResult> =
        results.iter().map(|r| (r.id.as_str(), r)).collect();
    let entries = goals
        .iter()
        .map(|goal| {
            let result = result_of.get(goal.id.as_str()).copied();
            let indicators = goal
                .indicators
                .iter()
                .map(|ind| {
                    let r = result.and_then(|r| {
                        r.indicators
                            .iter()
                            .find(|x| x.measure == ind.measure && x.gender == ind.gender)
                    });
                    IndicatorEntry {
                        measure: ind.measure.clone(),
                        gender: ind.gender.clone(),
                        aim: ind.aim.code().to_owned(),
                        baseline_year: ind.baseline_year,
                        targets: ind
                            .targets
                            .iter()
                            .map(|(y, t)| TargetEntry {
                                year: *y,
                                low: t.low,
                                high: t.high,
                            })
                            .collect(),
                        weight: ind.weight,
                        group: ind.group.clone(),
                        latest: r
                            .and_then(|r| r.latest)
                            .map(|(year, value)| YearValue { year, value }),
                        target: r.and_then(|r| r.target).map(|t| Band {
                            low: t.low,
                            high: t.high,
                        }),
                        target_status: r.and_then(|r| r.status).map(|s| s.code().to_owned()),
                        trend: r.map(|r| r.trend.code().to_owned()),
                        trend_base: ind.trend_base.code().to_owned(),
                        progress: r.map(|r| ProgressEntry {
                            category: r.progress.category.code().to_owned(),
                            score: r.progress.score,
                            ratio: r.progress.ratio,
                            growth: r.progress.growth,
                            from_year: r.progress.from_year,
                            to_year: r.progress.to_year,
                        }),
                        position: r.and_then(|r| position(goal, r)).map(|p| PositionEntry {
                            colour: p.colour.code().to_owned(),
                            rank: p.rank,
                            shared: p.shared,
                        }),
                        values: values(ind)
                            .map(|s| {
                                s.range(..=year)
                                    .map(|(year, value)| YearValue {
                                        year: *year,
                                        value: *value,
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    }
                })
                .collect();
            GoalEntry {
                id: goal.id.clone(),
                parent: goal.parent.clone(),
                level: goal.level.code().to_owned(),
                title: goal.title.clone(),
                description: goal.description.clone(),
                owner: goal.owner.clone(),
                from: goal.from_year,
                to: goal.to_year,
                serves: goal.serves.clone(),
                weight: goal.weight,
                state: goal.state.map(|s| s.code().to_owned()),
                due: goal.due.clone(),
                official: statuses.get(&goal.id).map(|o| OfficialEntry {
                    status: o.status.code().to_owned(),
                    motivation: o.motivation.clone(),
                    set_at: o.set_at.to_string(),
                }),
                suggested: result.map(|r| SuggestedEntry {
                    category: r.suggested.category.code().to_owned(),
                    score: r.suggested.score,
                    counted: r.suggested.counted,
                    left_out: r.suggested.left_out,
                }),
                indicators,
            }
        })
        .collect();
    FollowUpReport {
        municipality: municipality.as_str().to_owned(),
        name,
        year,
        published: published.map(|t| t.to_string()),
        period: None,
        goals: entries,
    }
}

/// Closes a follow-up period: `report` (the published plan `plan` followed up in the
/// period's year, as it stands now) is frozen as its snapshot. By administrators only; a
/// period's code is closed once.
pub async fn close_period(
    store: &impl Goals,
    grants: &Grants,
    m: &MunicipalityId,
    period: &Period,
    plan: i64,
    mut report: FollowUpReport,
    actor: &Actor,
) -> Result<i64, Refusal> {
    if !grants.allows(Action::Publish, m) {
        return Err(Refusal::Forbidden(
            Message::new("goals_admins_publish").with("municipality", m),
        ));
    }
    report.period = Some(PeriodEntry {
        code: period.code.clone(),
        kind: period.kind.code().to_owned(),
        title: period.title.clone(),
        closes_on: period.closes_on.clone(),
        taken_at: actor.at.to_string(),
    });
    let snapshot = serde_json::to_string(&report)
        .map_err(|e| Refusal::Store(crate::ports::StoreError::Database(e.to_string())))?;
    Ok(store
        .close_goal_period(m, period, plan, &snapshot, actor)
        .await?)
}

/// The municipality's closed periods, latest first (public: each froze a published plan).
pub async fn periods(store: &impl Goals, m: &MunicipalityId) -> Result<Vec<StoredPeriod>, Refusal> {
    Ok(store.goal_periods(m).await?)
}

/// One closed period and its snapshot read back, or none.
pub async fn period(
    store: &impl Goals,
    m: &MunicipalityId,
    code: &str,
) -> Result<Option<(StoredPeriod, FollowUpReport)>, Refusal> {
    let Some(stored) = store
        .goal_periods(m)
        .await?
        .into_iter()
        .find(|p| p.period.code == code)
    else {
        return Ok(None);
    };
    let report = serde_json::from_str(&stored.snapshot).map_err(|e| {
        Refusal::Store(crate::ports::StoreError::Invalid(Message::from(format!(
            "the snapshot of period {code} does not read back: {e}"
        ))))
    })?;
    Ok(Some((stored, report)))
}

/// A plan followed up in a year: each goal's result, each indicator's values and its position
/// among municipalities.
#[derive(Debug, Clone)]
pub struct FollowedUp {
    /// The year asked for, else the latest year any indicator has a value.
    pub year: i32,
    /// Per goal (activities excluded), in the plan's order.
    pub results: Vec<GoalResult>,
    /// Per indicator (measure, gender, group): its place in its comparison group in the year
    /// of its latest value; none without a value or a known group.
    positions: HashMap<(String, String, Option<String>), Placement>,
    /// Each indicator's values for the municipality, by (measure, gender).
    pub values: HashMap<(String, String), goals::Series>,
}

impl FollowedUp {
    /// The position of a goal's indicator.
    pub fn position(&self, goal: &PlanGoal, result: &IndicatorResult) -> Option<Placement> {
        let group = goal
            .indicators
            .iter()
            .find(|i| i.measure == result.measure && i.gender == result.gender)
            .and_then(|i| i.group.clone());
        self.positions
            .get(&(result.measure.clone(), result.gender.clone(), group))
            .copied()
    }
}

/// An indicator's comparison group: a group id (`G92787`) or a population as the compare
/// page writes it (`county:01`, `neighbours:0180`); none is all kommuner.
pub fn comparison_group(group: Option<&str>) -> Result<Population, ReportError> {
    match group {
        None => Ok(Population::All),
        Some(g) if g.contains(':') || g == "all" => Population::parse(g),
        Some(g) => Population::parse(&format!("group:{g}")),
    }
}

/// Follows up `plan` of `m` in `year` (default: the latest year any indicator has a value).
/// Two queries however large the plan: the municipality's values of every indicator, then
/// every kommun's values of those measures in the years of the indicators' latest values,
/// for their positions (the colours of the measure pages, in each indicator's group).
pub async fn follow_up_plan(
    store: &impl Values,
    d: &Directory,
    m: &MunicipalityId,
    plan: &GoalPlan,
    year: Option<i32>,
) -> Result<FollowedUp, Refusal> {
    let indicators = || plan.goals.iter().flat_map(|g| &g.indicators);
    let measures: Vec<MeasureId> = indicators()
        .filter_map(|i| MeasureId::parse(&i.measure).ok())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let genders: Vec<Gender> = indicators()
        .filter_map(|i| Gender::parse(&i.gender).ok())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let key = |measure: &MeasureId, gender: Gender| (measure.to_string(), gender.code().to_owned());
    let mut values: HashMap<(String, String), goals::Series> = HashMap::new();
    if !measures.is_empty() {
        let own = ValueFilter {
            measures: measures.clone(),
            areas: vec![AreaId::Municipality(*m)],
            years: Vec::new(),
            genders: genders.clone(),
            changed_since: None,
        };
        for row in store.select_values(&own).await? {
            if let Datum::Number(v) = row.datum {
                values
                    .entry(key(&row.key.measure, row.key.gender))
                    .or_default()
                    .insert(i32::from(row.key.year.get()), v);
            }
        }
    }
    let latest = values
        .values()
        .filter_map(|s| s.keys().next_back())
        .max()
        .copied();
    let year = year.or(latest).unwrap_or(2000);
    let decimals = |measure: &str| {
        MeasureId::parse(measure)
            .ok()
            .and_then(|id| d.measures.get(&id))
            .map_or(1, |x| d.presentation(x).decimals)
    };
    let results = goals::follow_up(
        &plan.goals,
        |ind| {
            values
                .get(&(ind.measure.clone(), ind.gender.clone()))
                .cloned()
                .unwrap_or_default()
        },
        decimals,
        year,
        goals::StatusBands::default(),
    );
    // Each indicator's latest year, then every kommun's value of its measure in that year.
    let result_of: HashMap<&str, &GoalResult> =
        results.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut wanted: HashMap<(String, String, Option<String>), i32> = HashMap::new();
    for goal in &plan.goals {
        let Some(r) = result_of.get(goal.id.as_str()) else {
            continue;
        };
        for (ind, result) in goal.indicators.iter().zip(&r.indicators) {
            if let Some((latest_year, _)) = result.latest {
                wanted.insert(
                    (ind.measure.clone(), ind.gender.clone(), ind.group.clone()),
                    latest_year,
                );
            }
        }
    }
    let years: Vec<Year> = wanted
        .values()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(|y| Year::new(i64::from(y)).ok())
        .collect();
    let mut all: HashMap<(String, String, i32), HashMap<MunicipalityId, f64>> = HashMap::new();
    if !years.is_empty() {
        let everyone = ValueFilter {
            measures,
            areas: Vec::new(),
            years,
            genders,
            changed_since: None,
        };
        for list in store.numbers_by_measure_year(&everyone).await? {
            let (measure, gender) = key(&list.measure, list.gender);
            let numbers = list
                .numbers
                .into_iter()
                .filter_map(|(area, v)| match area {
                    AreaId::Municipality(m) => Some((m, v)),
                    AreaId::Group(_) => None,
                })
                .collect();
            all.insert((measure, gender, i32::from(list.year.get())), numbers);
        }
    }
    let mut positions = HashMap::new();
    for ((measure, gender, group), latest_year) in wanted {
        let (Some(found), Some(x)) = (
            all.get(&(measure.clone(), gender.clone(), latest_year)),
            MeasureId::parse(&measure)
                .ok()
                .and_then(|id| d.measures.get(&id)),
        ) else {
            continue;
        };
        let Ok(population) =
            comparison_group(group.as_deref()).and_then(|p| d.population(&p, None))
        else {
            continue;
        };
        let Some(at) = population.iter().position(|p| p == m) else {
            continue;
        };
        let numbers: Vec<Option<f64>> = population.iter().map(|p| found.get(p).copied()).collect();
        let compared = kvalitet_domain::compare(&numbers, d.presentation(x).direction);
        if let Some(place) = compared.placements.get(at) {
            positions.insert((measure, gender, group), *place);
        }
    }
    Ok(FollowedUp {
        year,
        results,
        positions,
        values,
    })
}

/// `plan` of `m` (published or a draft) followed up in `year` as its report: the one
/// computation behind every goals page, the API and a period's snapshot.
pub async fn plan_report(
    store: &(impl Values + Goals),
    d: &Directory,
    m: &MunicipalityId,
    plan: &Plan,
    year: Option<i32>,
) -> Result<FollowUpReport, Refusal> {
    let statuses = statuses(store, m).await?;
    let followed = follow_up_plan(store, d, m, &plan.plan, year).await?;
    Ok(follow_up_report(
        m,
        d.name(m),
        followed.year,
        plan.stored.published_at,
        &plan.plan.goals,
        &followed.results,
        |ind| {
            followed
                .values
                .get(&(ind.measure.clone(), ind.gender.clone()))
        },
        |goal, r| followed.position(goal, r),
        &statuses,
    ))
}
