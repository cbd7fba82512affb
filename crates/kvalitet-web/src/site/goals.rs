//! "Så går det för kommunens mål": a municipality's published goals as a tree, each goal with
//! its official status and motivation, the status its indicators suggest (and whether the two
//! differ), and each indicator's signals in words — never a colour alone.

use std::collections::{BTreeMap, HashMap};

use kvalitet_app::ports::StatusRecord;
use kvalitet_domain::goals::{self as g, GoalResult, Official, PlanGoal, Progress};

use super::*;

/// `GET /kommun/{id}/mal[?ar=YEAR]`: the published goals followed up in a year (by default
/// the latest year any indicator has a value).
pub async fn goals<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let asked_year = query_pairs(raw.as_deref())
        .into_iter()
        .find(|(k, _)| k == "ar")
        .map(|(_, v)| {
            v.parse::<i32>()
                .ok()
                .filter(|y| (1950..=2100).contains(y))
                .ok_or_else(|| {
                    WebError::invalid(Message::new("not_a_year").with("value", format!("{v:?}")))
                })
        })
        .transpose()?;
    let key = format!("/kommun/{id}/mal?ar={}", asked_year.unwrap_or(0));
    let st = state.clone();
    cached(&state, lang, key, false, |version, d| async move {
        let m = d.kommun(&id)?.id;
        let plan = kvalitet_app::goals::plan(&st.store, None, &m, false).await?;
        let statuses = kvalitet_app::goals::statuses(&st.store, &m).await?;
        let mut view = GoalsView {
            m: Named::of(&d, &m),
            published: None,
            year: 0,
            goals: Vec::new(),
            other_path: format!("{}/kommun/{m}/mal", lang.other().base()),
        };
        if let Some(plan) = plan {
            // Each indicator's values for this municipality, read once per measure and gender.
            let mut series: HashMap<(String, String), g::Series> = HashMap::new();
            for ind in plan.plan.goals.iter().flat_map(|goal| &goal.indicators) {
                let key = (ind.measure.clone(), ind.gender.clone());
                if series.contains_key(&key) {
                    continue;
                }
                let values = match (MeasureId::parse(&ind.measure), Gender::parse(&ind.gender)) {
                    (Ok(measure), Ok(gender)) => {
                        let s = st
                            .series(version, measure, gender)
                            .await
                            .map_err(WebError::internal)?;
                        s.years
                            .iter()
                            .filter_map(|y| s.number(&m, *y).map(|v| (i32::from(y.get()), v)))
                            .collect()
                    }
                    _ => g::Series::new(),
                };
                series.insert(key, values);
            }
            let latest = series
                .values()
                .filter_map(|s| s.keys().next_back())
                .max()
                .copied();
            let year = asked_year.or(latest).unwrap_or(2000);
            let decimals = |measure: &str| {
                MeasureId::parse(measure)
                    .ok()
                    .and_then(|id| d.measures.get(&id))
                    .map_or(1, |x| d.presentation(x).decimals)
            };
            let results = g::follow_up(
                &plan.plan.goals,
                |ind| {
                    series
                        .get(&(ind.measure.clone(), ind.gender.clone()))
                        .cloned()
                        .unwrap_or_default()
                },
                decimals,
                year,
                g::StatusBands::default(),
            );
            view.year = year;
            view.published = plan.stored.published_at.map(|at| at.local_date_text());
            view.goals = tree(lang, &d, &plan.plan.goals, &results, &statuses);
        }
        Ok(st.render("goals.html", lang, view)?.into_bytes())
    })
    .await
}

/// The goals in the plan's order, each after its parent, with its depth for the outline.
fn tree(
    lang: Lang,
    d: &Directory,
    goals: &[PlanGoal],
    results: &[GoalResult],
    statuses: &BTreeMap<String, StatusRecord>,
) -> Vec<GoalView> {
    let result: HashMap<&str, &GoalResult> = results.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut children: BTreeMap<Option<&str>, Vec<&PlanGoal>> = BTreeMap::new();
    for goal in goals {
        children
            .entry(goal.parent.as_deref())
            .or_default()
            .push(goal);
    }
    let mut out = Vec::new();
    let mut stack: Vec<(&PlanGoal, usize)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|goal| (*goal, 0)).collect())
        .unwrap_or_default();
    while let Some((goal, depth)) = stack.pop() {
        if let Some(r) = result.get(goal.id.as_str()) {
            out.push(goal_view(lang, d, goal, r, statuses.get(&goal.id), depth));
        }
        if let Some(kids) = children.get(&Some(goal.id.as_str())) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    out
}

fn goal_view(
    lang: Lang,
    d: &Directory,
    goal: &PlanGoal,
    r: &GoalResult,
    official: Option<&StatusRecord>,
    depth: usize,
) -> GoalView {
    let say = |m: Message| lang.say(&m);
    let s = &r.suggested;
    let suggested = say(Message::new("goal_suggested")
        .with(
            "category",
            lang.t(&format!("progress.{}", s.category.code())),
        )
        .with("counted", s.counted)
        .with("all", s.counted + s.left_out));
    let score = s.score.map(|x| lang.number(x, 1));
    let differs = official.is_some_and(|o| o.status != Official::reading_of(s.category));
    GoalView {
        id: goal.id.clone(),
        depth: depth.min(6),
        level: lang.t(&format!("goal_level.{}", goal.level.code())),
        title: goal.title.clone(),
        description: goal.description.clone(),
        owner: goal.owner.clone(),
        activity: goal
            .state
            .map(|st| lang.t(&format!("activity.{}", st.code()))),
        due: goal.due.clone(),
        official: official.map(|o| OfficialView {
            status: lang.t(&format!("official.{}", o.status.code())),
            shape: official_shape(o.status),
            motivation: o.motivation.clone(),
            date: o.set_at.local_date_text(),
        }),
        suggested,
        suggested_shape: progress_shape(s.category),
        score,
        differs,
        indicators: r
            .indicators
            .iter()
            .map(|i| {
                let measure = MeasureId::parse(&i.measure)
                    .ok()
                    .and_then(|id| d.measures.get(&id));
                let p = measure.map(|x| d.presentation(x));
                let decimals = p.as_ref().map_or(1, |p| p.decimals);
                let fmt = |v: f64| lang.number(v, decimals);
                IndicatorView {
                    id: i.measure.clone(),
                    title: measure.map_or_else(|| i.measure.clone(), |x| x.title.clone()),
                    linked: measure.is_some(),
                    value: i.latest.map(|(y, v)| format!("{} ({y})", fmt(v))),
                    target: i.target.map(|t| {
                        if t.low == t.high {
                            fmt(t.low)
                        } else {
                            format!("{}–{}", fmt(t.low), fmt(t.high))
                        }
                    }),
                    status: i
                        .status
                        .map(|st| lang.t(&format!("target_status.{}", st.code())).to_owned()),
                    trend: lang.t(&format!("goal_trend.{}", i.trend.code())).to_owned(),
                    trend_base: lang
                        .t(&format!("trend_base.{}", i.trend_base.code()))
                        .to_owned(),
                    progress: lang
                        .t(&format!("progress.{}", i.progress.category.code()))
                        .to_owned(),
                    shape: progress_shape(i.progress.category),
                }
            })
            .collect(),
    }
}

/// A shape per category, so a status reads without colour: ● on track/achieved, ◐ needs
/// acceleration, ◔ limited, ○ deterioration, – not assessable.
fn progress_shape(p: Progress) -> &'static str {
    match p {
        Progress::Achieved | Progress::OnTrack => "●",
        Progress::AccelerationNeeded => "◐",
        Progress::LimitedProgress => "◔",
        Progress::Deterioration => "○",
        Progress::NotAssessable => "–",
    }
}

fn official_shape(o: Official) -> &'static str {
    match o {
        Official::Fulfilled => "●",
        Official::PartlyFulfilled => "◐",
        Official::NotFulfilled => "○",
        Official::CannotAssess => "–",
    }
}

#[derive(Serialize)]
struct GoalsView {
    m: Named,
    /// The day the plan was published; none when there is no published plan.
    published: Option<String>,
    year: i32,
    goals: Vec<GoalView>,
    other_path: String,
}

#[derive(Serialize)]
struct GoalView {
    id: String,
    depth: usize,
    level: &'static str,
    title: String,
    description: String,
    owner: String,
    activity: Option<&'static str>,
    due: Option<String>,
    official: Option<OfficialView>,
    suggested: String,
    suggested_shape: &'static str,
    score: Option<String>,
    /// The official status reads otherwise than the suggestion.
    differs: bool,
    indicators: Vec<IndicatorView>,
}

#[derive(Serialize)]
struct OfficialView {
    status: &'static str,
    shape: &'static str,
    motivation: String,
    date: String,
}

#[derive(Serialize)]
struct IndicatorView {
    id: String,
    title: String,
    linked: bool,
    value: Option<String>,
    target: Option<String>,
    status: Option<String>,
    trend: String,
    trend_base: String,
    progress: String,
    shape: &'static str,
}
