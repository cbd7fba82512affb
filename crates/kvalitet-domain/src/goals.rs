//! Goals and follow-up (mål- och resultatstyrning): an indicator's aim and targets, and its
//! separate signals — target status, trend, and progress toward the target by Open SDG's
//! measure with its −5..+5 score — plus a goal's *suggested* status from its children and the
//! *official* status a person sets with a motivation. The signals are never merged into one
//! colour; position among municipalities is `compare`'s.
//!
//! The rules follow `docs/goals.md` (Open SDG's progress measure, Statistics Canada's
//! thresholds, the Decidim lesson: average, never sum, leave out what has no value).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::Message;
use crate::coded::coded_enum;
use crate::compare::Trend;

coded_enum!(
    /// Which way an indicator should go: up, down, into a band, or nowhere in particular.
    Aim { Higher = "higher", Lower = "lower", Within = "range", Neither = "none" }
);

/// A year's target. For `Aim::Higher` the value to reach (`low`), for `Aim::Lower` the value
/// to stay at or under (`high`), for `Aim::Within` the band; a single value has both equal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Target {
    pub low: f64,
    pub high: f64,
}

impl Target {
    pub fn at(value: f64) -> Self {
        Self {
            low: value,
            high: value,
        }
    }

    /// Whether `value` meets the target under `aim`; `None` when the aim has no direction.
    pub fn met_by(self, aim: Aim, value: f64) -> Option<bool> {
        match aim {
            Aim::Higher => Some(value >= self.low),
            Aim::Lower => Some(value <= self.high),
            Aim::Within => Some(self.low <= value && value <= self.high),
            Aim::Neither => None,
        }
    }

    /// How far `value` is from meeting the target (0 when it does), and the bound it is
    /// measured against.
    fn shortfall(self, aim: Aim, value: f64) -> Option<(f64, f64)> {
        match aim {
            Aim::Higher => Some(((self.low - value).max(0.0), self.low)),
            Aim::Lower => Some(((value - self.high).max(0.0), self.high)),
            Aim::Within if value < self.low => Some((self.low - value, self.low)),
            Aim::Within => Some(((value - self.high).max(0.0), self.high)),
            Aim::Neither => None,
        }
    }
}

coded_enum!(
    /// An indicator's value against this period's target.
    TargetStatus { Met = "met", Near = "near", NotMet = "not_met" }
);

/// How close to a target counts as "near": within `near` (a share, 0.05 = 5 %) of the
/// target's bound. A municipality may choose its own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StatusBands {
    pub near: f64,
}

impl Default for StatusBands {
    fn default() -> Self {
        Self { near: 0.05 }
    }
}

/// The target status of `value`: met, near (short by at most `bands.near` of the bound's
/// size) or not met; `None` for an indicator without direction.
pub fn target_status(
    aim: Aim,
    value: f64,
    target: Target,
    bands: StatusBands,
) -> Option<TargetStatus> {
    let (short, bound) = target.shortfall(aim, value)?;
    Some(if short <= 0.0 {
        TargetStatus::Met
    } else if short <= bands.near * bound.abs() {
        TargetStatus::Near
    } else {
        TargetStatus::NotMet
    })
}

coded_enum!(
    /// What an indicator's trend compares its latest value with.
    TrendBase { Previous = "previous", Baseline = "baseline" }
);

/// A series of values by year.
pub type Series = BTreeMap<i32, f64>;

/// The latest value's trend against the stated base: the value before it in the series, or
/// the baseline (the baseline year's value, or the first after it). Values equal at the
/// shown precision are unchanged; for a band, better is closer to it.
pub fn indicator_trend(
    aim: Aim,
    series: &Series,
    base: TrendBase,
    baseline_year: i32,
    target: Option<Target>,
    decimals: u8,
) -> Trend {
    let Some((&year, &now)) = series.last_key_value() else {
        return Trend::NotComparable;
    };
    let before = match base {
        TrendBase::Previous => series.range(..year).next_back(),
        TrendBase::Baseline => series.range(baseline_year..year).next(),
    };
    let Some((_, &before)) = before else {
        return Trend::NotComparable;
    };
    let scale = 10f64.powi(i32::from(decimals.min(12)));
    let (n, b) = ((now * scale).round(), (before * scale).round());
    if n == b {
        return Trend::Unchanged;
    }
    let better = match (aim, target) {
        (Aim::Higher, _) => n > b,
        (Aim::Lower, _) => n < b,
        (Aim::Within, Some(t)) => {
            let distance = |v: f64| t.shortfall(Aim::Within, v).map_or(0.0, |(s, _)| s);
            let (dn, db) = (distance(now), distance(before));
            if (dn * scale).round() == (db * scale).round() {
                return Trend::Unchanged;
            }
            dn < db
        }
        (Aim::Within, None) | (Aim::Neither, _) => return Trend::Changed,
    };
    if better { Trend::Better } else { Trend::Worse }
}

coded_enum!(
    /// Progress toward the target (Open SDG's categories).
    Progress {
        Achieved = "achieved",
        OnTrack = "on_track",
        AccelerationNeeded = "acceleration_needed",
        LimitedProgress = "limited_progress",
        Deterioration = "deterioration",
        NotAssessable = "not_assessable",
    }
);

impl Progress {
    /// The category of a score on the −5..+5 scale: [2.5, 5] on track, [0, 2.5[ acceleration
    /// needed, [−2.5, 0[ limited progress, below −2.5 deterioration.
    pub fn of_score(score: f64) -> Self {
        if score >= 2.5 {
            Self::OnTrack
        } else if score >= 0.0 {
            Self::AccelerationNeeded
        } else if score >= -2.5 {
            Self::LimitedProgress
        } else {
            Self::Deterioration
        }
    }
}

/// How growth was measured: compound annual growth where every value is positive, a straight
/// line where one is negative (growth of a value that crosses zero has no compound rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rate {
    Compound,
    Linear,
}

/// An indicator's progress: the category, the score, and what they came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProgressMeasure {
    pub category: Progress,
    /// −5..+5; none when not assessable.
    pub score: Option<f64>,
    /// Observed growth over required growth, with a target.
    pub ratio: Option<f64>,
    /// Observed growth per year in the aimed direction (a share), without a target.
    pub growth: Option<f64>,
    pub rate: Option<Rate>,
    /// The years compared: the base and the latest.
    pub from_year: Option<i32>,
    pub to_year: Option<i32>,
}

impl ProgressMeasure {
    fn not_assessable() -> Self {
        Self {
            category: Progress::NotAssessable,
            score: None,
            ratio: None,
            growth: None,
            rate: None,
            from_year: None,
            to_year: None,
        }
    }
}

/// Open SDG replaces a zero base or target by this, so that growth rates exist.
const ZERO_STANDIN: f64 = 0.001;

/// The score of a ratio of observed to required growth: −60 % → −5, 60 % → 0, 130 % → +5,
/// linear between, held at the ends.
fn ratio_score(r: f64) -> f64 {
    piecewise(r, &[(-0.6, -5.0), (0.6, 0.0), (1.3, 5.0)])
}

/// The score of yearly growth without a target: −2 % → −5, 0 → −2.5, 0.5 % → 0,
/// 1.5 % → 2.5, 2 % → +5, linear between, held at the ends.
fn growth_score(g: f64) -> f64 {
    piecewise(
        g,
        &[
            (-0.02, -5.0),
            (0.0, -2.5),
            (0.005, 0.0),
            (0.015, 2.5),
            (0.02, 5.0),
        ],
    )
}

fn piecewise(x: f64, anchors: &[(f64, f64)]) -> f64 {
    let (Some(&(x0, y0)), Some(&(xn, yn))) = (anchors.first(), anchors.last()) else {
        return 0.0;
    };
    if x <= x0 {
        return y0;
    }
    if x >= xn {
        return yn;
    }
    for pair in anchors.windows(2) {
        let ((a, fa), (b, fb)) = (pair[0], pair[1]);
        if x <= b {
            return fa + (x - a) * (fb - fa) / (b - a);
        }
    }
    yn
}

/// Growth per year from `(t0, y0)` to `(t, y)`: compound where both are positive (a zero
/// taken as 0.001), else a straight line.
fn yearly_growth(t0: i32, y0: f64, t: i32, y: f64, rate: Rate) -> f64 {
    let years = f64::from(t - t0);
    match rate {
        Rate::Compound => (y / y0).powf(1.0 / years) - 1.0,
        Rate::Linear => (y - y0) / years,
    }
}

fn stand_in(v: f64) -> f64 {
    if v == 0.0 { ZERO_STANDIN } else { v }
}

/// Progress of an indicator toward its final `target` (year and target), by Open SDG's
/// measure: observed compound growth since the baseline over the growth the target needs.
/// Without a target, the observed growth itself against 1.5 % / 0.5 % / 0 a year. Needs the
/// baseline year's value (or the first after it) and a later one.
pub fn progress(
    aim: Aim,
    series: &Series,
    baseline_year: i32,
    target: Option<(i32, Target)>,
) -> ProgressMeasure {
    if aim == Aim::Neither {
        return ProgressMeasure::not_assessable();
    }
    let Some((&t0, &base)) = series.range(baseline_year..).next() else {
        return ProgressMeasure::not_assessable();
    };
    let Some((&t, &latest)) = series.last_key_value().filter(|(y, _)| **y > t0) else {
        return ProgressMeasure::not_assessable();
    };
    let years = (Some(t0), Some(t));
    let Some((target_year, target)) = target else {
        return without_target(aim, t0, base, t, latest);
    };
    if target.met_by(aim, latest) == Some(true) {
        return ProgressMeasure {
            category: Progress::Achieved,
            score: Some(5.0),
            ratio: None,
            growth: None,
            rate: None,
            from_year: years.0,
            to_year: years.1,
        };
    }
    // A band not reached is aimed at from the side the latest value is on.
    let (aim, goal) = match aim {
        Aim::Within if latest < target.low => (Aim::Higher, target.low),
        Aim::Within => (Aim::Lower, target.high),
        Aim::Higher => (Aim::Higher, target.low),
        _ => (Aim::Lower, target.high),
    };
    if target_year <= t0 {
        return ProgressMeasure::not_assessable();
    }
    let (y0, yt, y_goal) = (stand_in(base), stand_in(latest), stand_in(goal));
    let rate = if y0 > 0.0 && yt > 0.0 && y_goal > 0.0 {
        Rate::Compound
    } else {
        Rate::Linear
    };
    let observed = yearly_growth(t0, y0, t, yt, rate);
    let required = yearly_growth(t0, y0, target_year, y_goal, rate);
    let toward = |g: f64| if aim == Aim::Higher { g } else { -g };
    if toward(required) <= 0.0 {
        // The target was met at the baseline and is not now: the value went the wrong way.
        return ProgressMeasure {
            category: Progress::Deterioration,
            score: Some(-5.0),
            ratio: None,
            growth: None,
            rate: Some(rate),
            from_year: years.0,
            to_year: years.1,
        };
    }
    let r = observed / required;
    let category = if r >= 0.95 {
        Progress::OnTrack
    } else if r >= 0.6 {
        Progress::AccelerationNeeded
    } else if r >= 0.0 {
        Progress::LimitedProgress
    } else {
        Progress::Deterioration
    };
    ProgressMeasure {
        category,
        score: Some(ratio_score(r)),
        ratio: Some(r),
        growth: None,
        rate: Some(rate),
        from_year: years.0,
        to_year: years.1,
    }
}

fn without_target(aim: Aim, t0: i32, base: f64, t: i32, latest: f64) -> ProgressMeasure {
    let (y0, yt) = (stand_in(base), stand_in(latest));
    let (rate, growth) = if y0 > 0.0 && yt > 0.0 {
        (Rate::Compound, yearly_growth(t0, y0, t, yt, Rate::Compound))
    } else {
        // A straight line as a share of the base's size, so it compares with the thresholds.
        (
            Rate::Linear,
            yearly_growth(t0, y0, t, yt, Rate::Linear) / y0.abs(),
        )
    };
    let g = match aim {
        Aim::Lower => -growth,
        Aim::Within => return ProgressMeasure::not_assessable(),
        _ => growth,
    };
    let category = if g >= 0.015 {
        Progress::OnTrack
    } else if g >= 0.005 {
        Progress::AccelerationNeeded
    } else if g >= 0.0 {
        Progress::LimitedProgress
    } else {
        Progress::Deterioration
    };
    ProgressMeasure {
        category,
        score: Some(growth_score(g)),
        ratio: None,
        growth: Some(g),
        rate: Some(rate),
        from_year: Some(t0),
        to_year: Some(t),
    }
}

/// One child of a goal for its suggested status: an indicator's progress or a sub-goal's
/// suggested status, with its weight.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Child {
    pub category: Progress,
    pub score: Option<f64>,
    pub weight: f64,
}

/// A goal's suggested status from its children.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Suggested {
    pub category: Progress,
    /// The weighted mean of the children's scores; none when no child has one.
    pub score: Option<f64>,
    /// Children with a score, and those left out for having none.
    pub counted: usize,
    pub left_out: usize,
}

/// The suggested status: the weighted mean of the children's scores (never a sum; a child
/// without a score left out and counted), "achieved" only when every child is.
pub fn suggest(children: &[Child]) -> Suggested {
    let scored: Vec<&Child> = children.iter().filter(|c| c.score.is_some()).collect();
    let left_out = children.len() - scored.len();
    let weights: f64 = scored.iter().map(|c| c.weight).sum();
    let score = (weights > 0.0).then(|| {
        scored
            .iter()
            .map(|c| c.score.unwrap_or(0.0) * c.weight)
            .sum::<f64>()
            / weights
    });
    let all_achieved =
        !children.is_empty() && children.iter().all(|c| c.category == Progress::Achieved);
    let category = match score {
        _ if all_achieved => Progress::Achieved,
        Some(s) => Progress::of_score(s),
        None => Progress::NotAssessable,
    };
    Suggested {
        category,
        score,
        counted: scored.len(),
        left_out,
    }
}

coded_enum!(
    /// The official status of a goal, as a named person judged it.
    Official {
        Fulfilled = "fulfilled",
        PartlyFulfilled = "partly",
        NotFulfilled = "not_fulfilled",
        CannotAssess = "cannot_assess",
    }
);

impl Official {
    /// The official status a suggested category reads as, to show where the two differ:
    /// achieved is fulfilled, on track or needing acceleration partly fulfilled, limited
    /// progress or deterioration not fulfilled.
    pub fn reading_of(category: Progress) -> Self {
        match category {
            Progress::Achieved => Self::Fulfilled,
            Progress::OnTrack | Progress::AccelerationNeeded => Self::PartlyFulfilled,
            Progress::LimitedProgress | Progress::Deterioration => Self::NotFulfilled,
            Progress::NotAssessable => Self::CannotAssess,
        }
    }
}

/// The longest motivation of an official status.
pub const MAX_MOTIVATION_CHARS: usize = 4000;

/// A status needs a motivation: what it rests on, in words.
pub fn motivation(text: &str) -> Result<String, Message> {
    let text = text.trim();
    if text.is_empty() {
        Err(Message::in_field(
            "motivation",
            Message::new("goal_motivation_needed"),
        ))
    } else if let Err(e) = crate::text::check_len("motivation", text, MAX_MOTIVATION_CHARS) {
        Err(e)
    } else {
        Ok(text.to_owned())
    }
}

coded_enum!(
    /// Where a goal sits in the municipality's steering: the council's vision and goals,
    /// a committee's (nämnd, förvaltning), a unit's, or an activity.
    Level {
        Vision = "vision",
        Council = "kf",
        Committee = "namnd",
        Unit = "unit",
        Activity = "activity",
    }
);

coded_enum!(
    /// How an activity is going.
    ActivityState {
        NotStarted = "not_started",
        Ongoing = "ongoing",
        Done = "done",
        Cancelled = "cancelled",
    }
);

/// An indicator of a goal as a plan states it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanIndicator {
    pub measure: String,
    /// T, K or M.
    pub gender: String,
    pub aim: Aim,
    pub baseline_year: i32,
    /// The targets by year: a path, the last being the final target.
    pub targets: BTreeMap<i32, Target>,
    pub weight: f64,
    pub trend_base: TrendBase,
    /// The comparison group for its position (a group id); none for all kommuner.
    pub group: Option<String>,
}

/// What a resident's initiative linked to a goal is: the goal it is followed up under, shown
/// on its public page with a link to the goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Linked {
    Proposal,
    Dialogue,
    BudgetRound,
}

impl Linked {
    pub fn code(self) -> &'static str {
        match self {
            Self::Proposal => "proposal",
            Self::Dialogue => "dialogue",
            Self::BudgetRound => "budget",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Proposal, Self::Dialogue, Self::BudgetRound]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// A goal (or activity) as a plan states it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanGoal {
    pub id: String,
    pub parent: Option<String>,
    pub level: Level,
    pub title: String,
    pub description: String,
    /// The organisational unit that owns it (a nämnd, a förvaltning, a unit).
    pub owner: String,
    /// The years it runs (a mandate period or a single year).
    pub from_year: Option<i32>,
    pub to_year: Option<i32>,
    /// Other goals this one also serves (across branches).
    pub serves: Vec<String>,
    pub weight: f64,
    pub indicators: Vec<PlanIndicator>,
    /// An activity's state and due date (ISO).
    pub state: Option<ActivityState>,
    pub due: Option<String>,
}

/// The most goals a plan holds, and indicators a goal has: far above any municipality's.
pub const MAX_GOALS: usize = 5_000;
/// Ids a goal cannot have: the staff pages' addresses `…/mal/publicera` and `…/mal/period`
/// are these words, so a goal with one would have no page of its own.
pub const RESERVED_GOAL_IDS: [&str; 2] = ["publicera", "period"];
pub const MAX_INDICATORS_PER_GOAL: usize = 200;
const MAX_TITLE_CHARS: usize = 300;
const MAX_DESCRIPTION_CHARS: usize = 8_000;

/// Everything wrong with a plan, each naming its goal (and indicator): duplicate ids, an
/// unknown parent or served goal, a cycle, an unknown measure, a weight that is not above
/// zero, a target year before the baseline, a band upside down.
pub fn plan_problems(goals: &[PlanGoal], known_measure: impl Fn(&str) -> bool) -> Vec<Message> {
    let mut problems = Vec::new();
    let at = |id: &str, problem: Message| {
        Message::new("at_goal")
            .with("id", format!("{id:?}"))
            .with_said("problem", problem)
    };
    if goals.len() > MAX_GOALS {
        return vec![Message::new("too_many_goals").with("max", MAX_GOALS)];
    }
    let mut ids = BTreeSet::new();
    for g in goals {
        if let Err(e) = crate::text::check_slug("id", &g.id) {
            problems.push(at(&g.id, e));
        }
        if RESERVED_GOAL_IDS.contains(&g.id.as_str()) {
            problems.push(at(
                &g.id,
                Message::in_field("id", Message::new("goal_id_reserved")),
            ));
        }
        if !ids.insert(g.id.as_str()) {
            problems.push(at(&g.id, Message::new("goal_listed_twice")));
        }
    }
    for g in goals {
        let title = g.title.trim().chars().count();
        if title == 0 || title > MAX_TITLE_CHARS {
            problems.push(at(
                &g.id,
                Message::new("give_title").with("max", MAX_TITLE_CHARS),
            ));
        }
        if let Err(e) = crate::text::check_len("description", &g.description, MAX_DESCRIPTION_CHARS)
        {
            problems.push(at(&g.id, e));
        }
        if let (Some(from), Some(to)) = (g.from_year, g.to_year)
            && from > to
        {
            problems.push(at(
                &g.id,
                Message::in_field(
                    "to",
                    Message::new("period_backwards")
                        .with("from", from)
                        .with("to", to),
                ),
            ));
        }
        if g.level != Level::Activity && (g.state.is_some() || g.due.is_some()) {
            problems.push(at(
                &g.id,
                Message::in_field("state", Message::new("state_only_for_activities")),
            ));
        }
        if g.indicators.len() > MAX_INDICATORS_PER_GOAL {
            problems.push(at(
                &g.id,
                Message::new("too_many_indicators").with("max", MAX_INDICATORS_PER_GOAL),
            ));
        }
        let links = g.parent.iter().map(|p| ("parent", p));
        for (field, other) in links.chain(g.serves.iter().map(|s| ("serves", s))) {
            if !ids.contains(other.as_str()) {
                problems.push(at(
                    &g.id,
                    Message::in_field(
                        field,
                        Message::new("goal_unknown").with("other", format!("{other:?}")),
                    ),
                ));
            }
        }
        if !(g.weight > 0.0 && g.weight.is_finite()) {
            problems.push(at(
                &g.id,
                Message::in_field("weight", Message::new("weight_not_positive")),
            ));
        }
        for (n, i) in g.indicators.iter().enumerate() {
            let place = |problem: Message| {
                at(
                    &g.id,
                    Message::new("at_indicator")
                        .with("n", n + 1)
                        .with("measure", &i.measure)
                        .with_said("problem", problem),
                )
            };
            if !known_measure(&i.measure) {
                problems.push(place(Message::in_field(
                    "measure",
                    Message::new("measure_unknown_here"),
                )));
            }
            if !(i.weight > 0.0 && i.weight.is_finite()) {
                problems.push(place(Message::in_field(
                    "weight",
                    Message::new("weight_not_positive"),
                )));
            }
            for (&year, t) in &i.targets {
                if year <= i.baseline_year {
                    problems.push(place(Message::in_field(
                        "targets",
                        Message::new("target_before_baseline")
                            .with("year", year)
                            .with("baseline", i.baseline_year),
                    )));
                }
                if !t.low.is_finite() || !t.high.is_finite() || t.low > t.high {
                    problems.push(place(Message::in_field(
                        "targets",
                        Message::new("target_band_upside_down").with("year", year),
                    )));
                }
            }
            if i.aim == Aim::Neither && !i.targets.is_empty() {
                problems.push(place(Message::in_field(
                    "aim",
                    Message::new("target_without_aim"),
                )));
            }
        }
    }
    if let Some(cycle) = parent_cycle(goals) {
        problems.push(Message::new("goal_cycle").with("goals", cycle.join(" → ")));
    }
    problems
}

/// A chain of parents that comes back to where it began, if there is one.
fn parent_cycle(goals: &[PlanGoal]) -> Option<Vec<String>> {
    let parent: HashMap<&str, &str> = goals
        .iter()
        .filter_map(|g| g.parent.as_deref().map(|p| (g.id.as_str(), p)))
        .collect();
    let mut cleared: BTreeSet<&str> = BTreeSet::new();
    for g in goals {
        let mut path: Vec<&str> = Vec::new();
        let mut at = Some(g.id.as_str());
        while let Some(id) = at {
            if cleared.contains(id) {
                break;
            }
            if let Some(start) = path.iter().position(|p| *p == id) {
                let mut cycle: Vec<String> =
                    path[start..].iter().map(|s| (*s).to_owned()).collect();
                cycle.push(id.to_owned());
                return Some(cycle);
            }
            path.push(id);
            at = parent.get(id).copied();
        }
        cleared.extend(path);
    }
    None
}

/// The target that applies in `year`: the path's target for that year, or the latest one
/// before it (a path states the years it changes).
pub fn target_in(targets: &BTreeMap<i32, Target>, year: i32) -> Option<Target> {
    targets.range(..=year).next_back().map(|(_, t)| *t)
}

/// The final target of a path: its last year and target.
pub fn final_target(targets: &BTreeMap<i32, Target>) -> Option<(i32, Target)> {
    targets.last_key_value().map(|(y, t)| (*y, *t))
}

/// An indicator followed up in a year: its latest value up to then and the four signals
/// (position is the measure pages' and added by the caller).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorResult {
    pub measure: String,
    pub gender: String,
    pub aim: Aim,
    pub weight: f64,
    /// The latest year with a value, and the value.
    pub latest: Option<(i32, f64)>,
    /// The target for the latest value's year.
    pub target: Option<Target>,
    pub status: Option<TargetStatus>,
    pub trend: Trend,
    pub trend_base: TrendBase,
    pub progress: ProgressMeasure,
}

/// A goal followed up: its indicators' results and its suggested status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalResult {
    pub id: String,
    pub indicators: Vec<IndicatorResult>,
    pub suggested: Suggested,
}

/// Follows up a checked plan in `year`: each indicator's signals from its values up to that
/// year, and each goal's suggested status from its indicators and sub-goals (a sub-goal is
/// one child with its weight, so its indicators are averaged first). Activities are shown by
/// their state and do not count toward a status. `series` gives an indicator's values by
/// year, `decimals` the precision of a measure's values (for "unchanged").
pub fn follow_up(
    goals: &[PlanGoal],
    series: impl Fn(&PlanIndicator) -> Series,
    decimals: impl Fn(&str) -> u8,
    year: i32,
    bands: StatusBands,
) -> Vec<GoalResult> {
    let index: HashMap<&str, usize> = goals
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.as_str(), i))
        .collect();
    // Deepest first, so every sub-goal is done before its parent; a walk never takes more
    // steps than there are goals (a checked plan has no cycles).
    let depth = |g: &PlanGoal| {
        let mut d = 0;
        let mut at = g.parent.as_deref();
        while let Some(p) = at.filter(|_| d < goals.len()) {
            d += 1;
            at = index.get(p).and_then(|&i| goals[i].parent.as_deref());
        }
        d
    };
    let mut order: Vec<(usize, usize)> = goals
        .iter()
        .enumerate()
        .map(|(i, g)| (depth(g), i))
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, g) in goals.iter().enumerate() {
        if let Some(p) = &g.parent {
            children.entry(p.as_str()).or_default().push(i);
        }
    }
    let mut results: Vec<Option<GoalResult>> = vec![None; goals.len()];
    for (_, i) in order {
        let g = &goals[i];
        let indicators: Vec<IndicatorResult> = g
            .indicators
            .iter()
            .map(|ind| {
                let all = series(ind);
                let upto: Series = all.range(..=year).map(|(y, v)| (*y, *v)).collect();
                let latest = upto.last_key_value().map(|(y, v)| (*y, *v));
                let target = latest.and_then(|(y, _)| target_in(&ind.targets, y));
                IndicatorResult {
                    measure: ind.measure.clone(),
                    gender: ind.gender.clone(),
                    aim: ind.aim,
                    weight: ind.weight,
                    latest,
                    target,
                    status: latest
                        .zip(target)
                        .and_then(|((_, v), t)| target_status(ind.aim, v, t, bands)),
                    trend: indicator_trend(
                        ind.aim,
                        &upto,
                        ind.trend_base,
                        ind.baseline_year,
                        final_target(&ind.targets).map(|(_, t)| t),
                        decimals(&ind.measure),
                    ),
                    trend_base: ind.trend_base,
                    progress: progress(
                        ind.aim,
                        &upto,
                        ind.baseline_year,
                        final_target(&ind.targets),
                    ),
                }
            })
            .collect();
        let mut inputs: Vec<Child> = indicators
            .iter()
            .map(|r| Child {
                category: r.progress.category,
                score: r.progress.score,
                weight: r.weight,
            })
            .collect();
        for &c in children.get(g.id.as_str()).map_or(&[][..], Vec::as_slice) {
            if goals[c].level == Level::Activity {
                continue;
            }
            if let Some(r) = &results[c] {
                inputs.push(Child {
                    category: r.suggested.category,
                    score: r.suggested.score,
                    weight: goals[c].weight,
                });
            }
        }
        results[i] = Some(GoalResult {
            id: g.id.clone(),
            indicators,
            suggested: suggest(&inputs),
        });
    }
    results.into_iter().flatten().collect()
}

coded_enum!(
    /// A follow-up period of the municipality's year: the tertials (T1 to 30 April, T2 to 31
    /// August), the delårsrapport (at least half and at most two thirds of the year: 31
    /// August by default), the årsredovisning (helår), or one of its own.
    PeriodKind {
        T1 = "t1",
        T2 = "t2",
        Interim = "interim",
        Annual = "annual",
        Other = "other",
    }
);

impl PeriodKind {
    /// The day a period of this kind closes in `year` (ISO), when the kind says it.
    pub fn closes_on(self, year: i32) -> Option<String> {
        let day = match self {
            Self::T1 => "04-30",
            Self::T2 | Self::Interim => "08-31",
            Self::Annual => "12-31",
            Self::Other => return None,
        };
        Some(format!("{year}-{day}"))
    }

    /// The code a period of this kind gets in `year` unless one is given (`delar-2025`).
    pub fn code_in(self, year: i32) -> String {
        let stem = match self {
            Self::T1 => "t1",
            Self::T2 => "t2",
            Self::Interim => "delar",
            Self::Annual => "helar",
            Self::Other => "period",
        };
        format!("{stem}-{year}")
    }
}

/// A follow-up period to close, as its administrator gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    pub code: String,
    pub kind: PeriodKind,
    pub title: String,
    /// The year followed up: values up to it count.
    pub year: i32,
    /// The day the period closes (ISO date).
    pub closes_on: String,
}

/// The longest period title.
pub const MAX_PERIOD_TITLE_CHARS: usize = 200;

/// A period from its form's fields: the kind chosen, the year, and optionally a code, title
/// and closing day (else the kind's). Every problem names its field.
pub fn period(
    kind: &str,
    year: &str,
    code: &str,
    title: &str,
    closes_on: &str,
) -> Result<Period, Vec<Message>> {
    let mut problems = Vec::new();
    let kind = PeriodKind::parse(kind);
    if kind.is_none() {
        problems.push(Message::in_field(
            "kind",
            Message::new("choose_period_kind"),
        ));
    }
    let typed_year = year;
    let year = year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (1950..=2100).contains(y));
    if year.is_none() {
        problems.push(Message::in_field(
            "year",
            Message::new("not_a_year").with("value", format!("{:?}", typed_year.trim())),
        ));
    }
    let (Some(kind), Some(year)) = (kind, year) else {
        return Err(problems);
    };
    let code = match code.trim() {
        "" => kind.code_in(year),
        given => given.to_owned(),
    };
    if let Err(e) = crate::text::check_slug("code", &code) {
        problems.push(e);
    }
    let closes_on = match closes_on.trim() {
        "" => kind
            .closes_on(year)
            .unwrap_or_else(|| format!("{year}-12-31")),
        given => given.to_owned(),
    };
    let date_ok = time::Date::parse(
        &closes_on,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .is_ok_and(|d| d.year() == year || d.year() == year + 1);
    if !date_ok {
        problems.push(Message::in_field(
            "closes_on",
            Message::new("period_close_date").with("year", year),
        ));
    }
    let title = title.trim().to_owned();
    if title.chars().count() > MAX_PERIOD_TITLE_CHARS {
        problems.push(Message::in_field(
            "title",
            Message::new("too_long")
                .with("max", MAX_PERIOD_TITLE_CHARS)
                .with("given", title.chars().count()),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Period {
        code,
        kind,
        title,
        year,
        closes_on,
    })
}

/// A goal's fields as the staff pages' form sends them, every one text. The goal's
/// indicators have a form of their own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct GoalFields {
    pub id: String,
    pub parent: String,
    pub level: String,
    pub title: String,
    pub description: String,
    pub owner: String,
    pub from: String,
    pub to: String,
    /// The ids of the goals it also serves, separated by commas or blanks.
    pub serves: String,
    pub weight: String,
    pub state: String,
    pub due: String,
}

impl GoalFields {
    /// The form filled in with a goal as the plan has it.
    pub fn of(g: &PlanGoal) -> Self {
        let year = |y: Option<i32>| y.map_or_else(String::new, |y| y.to_string());
        Self {
            id: g.id.clone(),
            parent: g.parent.clone().unwrap_or_default(),
            level: g.level.code().to_owned(),
            title: g.title.clone(),
            description: g.description.clone(),
            owner: g.owner.clone(),
            from: year(g.from_year),
            to: year(g.to_year),
            serves: g.serves.join(", "),
            weight: decimal_text(g.weight),
            state: g.state.map_or("", ActivityState::code).to_owned(),
            due: g.due.clone().unwrap_or_default(),
        }
    }
}

/// An indicator's fields as its form sends them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct IndicatorFields {
    pub measure: String,
    pub gender: String,
    pub aim: String,
    pub baseline_year: String,
    /// The target path: `2024: 80; 2026: 90`, a band as `2026: 0,97–1,03`.
    pub targets: String,
    pub weight: String,
    pub trend_base: String,
    pub group: String,
}

impl IndicatorFields {
    /// The form filled in with an indicator as the plan has it.
    pub fn of(i: &PlanIndicator) -> Self {
        Self {
            measure: i.measure.clone(),
            gender: i.gender.clone(),
            aim: i.aim.code().to_owned(),
            baseline_year: i.baseline_year.to_string(),
            targets: targets_text(&i.targets),
            weight: decimal_text(i.weight),
            trend_base: i.trend_base.code().to_owned(),
            group: i.group.clone().unwrap_or_default(),
        }
    }
}

/// A number as a Swedish form shows it: a decimal comma, no needless zeros.
fn decimal_text(x: f64) -> String {
    x.to_string().replace('.', ",")
}

/// Reads a field that must be one of a coded enum's codes; the problem names the field.
pub fn coded_field<T>(
    field: &str,
    text: &str,
    parse: impl Fn(&str) -> Option<T>,
    not_one: &'static str,
) -> Result<T, Message> {
    parse(text).ok_or_else(|| {
        Message::in_field(
            field,
            Message::new(not_one).with("value", format!("{:?}", text.trim())),
        )
    })
}

/// An indicator's gender: T (everyone), K or M.
pub fn gender_field(text: &str) -> Result<String, Message> {
    let g = text.trim().to_uppercase();
    match g.as_str() {
        "" => Ok("T".to_owned()),
        "T" | "K" | "M" => Ok(g),
        _ => Err(Message::in_field(
            "gender",
            Message::new("not_a_gender").with("value", format!("{:?}", text.trim())),
        )),
    }
}

/// The year of a field, or none when it is empty.
fn year_field(field: &str, text: &str) -> Result<Option<i32>, Message> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i32>()
        .ok()
        .filter(|y| (1950..=2100).contains(y))
        .map(Some)
        .ok_or_else(|| {
            Message::in_field(
                field,
                Message::new("not_a_year").with("value", format!("{text:?}")),
            )
        })
}

/// A weight above zero, 1 when the field is empty.
fn weight_field(text: &str) -> Result<f64, Message> {
    if text.trim().is_empty() {
        return Ok(1.0);
    }
    crate::swedish::parse_number(text)
        .filter(|w| *w > 0.0)
        .ok_or_else(|| Message::in_field("weight", Message::new("weight_not_positive")))
}

/// A goal from its form; its indicators are left empty (they are edited one by one). Every
/// problem names its field; the plan's own rules (ids, parents, cycles) are checked on the
/// whole plan after.
pub fn goal_from_fields(f: &GoalFields) -> Result<PlanGoal, Vec<Message>> {
    let mut problems = Vec::new();
    let mut keep = |r: Result<(), Message>| {
        if let Err(e) = r {
            problems.push(e);
        }
    };
    let level = coded_field("level", &f.level, Level::parse, "not_a_level");
    let state = match f.state.trim() {
        "" => Ok(None),
        s => coded_field("state", s, ActivityState::parse, "not_an_activity_state").map(Some),
    };
    let due = match f.due.trim() {
        "" => Ok(None),
        d => crate::calendar::parse_date(d)
            .map(|_| Some(d.to_owned()))
            .map_err(|_| {
                Message::in_field(
                    "due",
                    Message::new("not_a_date").with("value", format!("{d:?}")),
                )
            }),
    };
    let from = year_field("from", &f.from);
    let to = year_field("to", &f.to);
    let weight = weight_field(&f.weight);
    keep(crate::text::check_slug("id", f.id.trim()));
    let title = f.title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        keep(Err(Message::in_field(
            "title",
            Message::new("give_title").with("max", MAX_TITLE_CHARS),
        )));
    }
    keep(crate::text::check_len(
        "description",
        f.description.trim(),
        MAX_DESCRIPTION_CHARS,
    ));
    keep(crate::text::check_len(
        "owner",
        f.owner.trim(),
        MAX_TITLE_CHARS,
    ));
    let (level, state, due, from, to, weight) = match (level, state, due, from, to, weight) {
        (Ok(level), Ok(state), Ok(due), Ok(from), Ok(to), Ok(weight)) if problems.is_empty() => {
            (level, state, due, from, to, weight)
        }
        (level, state, due, from, to, weight) => {
            problems.extend(
                [
                    level.err(),
                    state.err(),
                    due.err(),
                    from.err(),
                    to.err(),
                    weight.err(),
                ]
                .into_iter()
                .flatten(),
            );
            return Err(problems);
        }
    };
    Ok(PlanGoal {
        id: f.id.trim().to_owned(),
        parent: Some(f.parent.trim().to_owned()).filter(|p| !p.is_empty()),
        level,
        title: title.to_owned(),
        description: f.description.trim().to_owned(),
        owner: f.owner.trim().to_owned(),
        from_year: from,
        to_year: to,
        serves: f
            .serves
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        weight,
        indicators: Vec::new(),
        state,
        due,
    })
}

/// An indicator from its form. Every problem names its field; whether the measure exists is
/// the plan's rule.
pub fn indicator_from_fields(f: &IndicatorFields) -> Result<PlanIndicator, Vec<Message>> {
    let measure = f.measure.trim();
    let measure = if measure.is_empty() {
        Err(Message::in_field(
            "measure",
            Message::new("give_measure_id"),
        ))
    } else {
        Ok(measure.to_uppercase())
    };
    let aim = coded_field("aim", &f.aim, Aim::parse, "not_an_aim");
    let trend_base = match f.trend_base.trim() {
        "" => Ok(TrendBase::Previous),
        b => coded_field("trend_base", b, TrendBase::parse, "not_a_trend_base"),
    };
    let baseline = year_field("baseline_year", &f.baseline_year).and_then(|y| {
        y.ok_or_else(|| {
            Message::in_field(
                "baseline_year",
                Message::new("not_a_year").with("value", "\"\""),
            )
        })
    });
    let targets = match &aim {
        Ok(aim) => parse_targets(&f.targets, *aim),
        Err(_) => Ok(BTreeMap::new()),
    };
    let gender = gender_field(&f.gender);
    let weight = weight_field(&f.weight);
    let group = f.group.trim();
    match (measure, aim, trend_base, baseline, targets, gender, weight) {
        (
            Ok(measure),
            Ok(aim),
            Ok(trend_base),
            Ok(baseline_year),
            Ok(targets),
            Ok(gender),
            Ok(weight),
        ) => Ok(PlanIndicator {
            measure,
            gender,
            aim,
            baseline_year,
            targets,
            weight,
            trend_base,
            group: Some(group.to_owned()).filter(|g| !g.is_empty()),
        }),
        (measure, aim, trend_base, baseline, targets, gender, weight) => Err([
            measure.err(),
            aim.err(),
            trend_base.err(),
            baseline.err(),
            targets.err(),
            gender.err(),
            weight.err(),
        ]
        .into_iter()
        .flatten()
        .collect()),
    }
}

/// The most years a target path holds.
const MAX_TARGET_YEARS: usize = 100;

/// Reads a target path as a form gives it: `2024: 80; 2026: 90` (a year and its value, by
/// semicolons or lines; `=` also separates), a band `2026: 0,97–1,03` when the aim is a
/// range. Decimal comma or point. Empty is no target.
pub fn parse_targets(text: &str, aim: Aim) -> Result<BTreeMap<i32, Target>, Message> {
    let bad = |item: &str, problem: Message| {
        Message::in_field(
            "targets",
            Message::new("target_item")
                .with("item", format!("{:?}", item.trim()))
                .with_said("problem", problem),
        )
    };
    let mut targets = BTreeMap::new();
    for item in text.split([';', '\n']).filter(|i| !i.trim().is_empty()) {
        if targets.len() >= MAX_TARGET_YEARS {
            return Err(Message::in_field(
                "targets",
                Message::new("too_many_targets").with("max", MAX_TARGET_YEARS),
            ));
        }
        let Some((year, value)) = item.split_once([':', '=']) else {
            return Err(bad(item, Message::new("target_needs_year")));
        };
        let year = year
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (1950..=2100).contains(y))
            .ok_or_else(|| {
                bad(
                    item,
                    Message::new("not_a_year").with("value", format!("{:?}", year.trim())),
                )
            })?;
        let band = ["–", "—", "..", " - "]
            .iter()
            .find_map(|sep| value.split_once(sep));
        let number = |v: &str| {
            crate::swedish::parse_number(v).ok_or_else(|| {
                bad(
                    item,
                    Message::new("not_a_number").with("value", format!("{:?}", v.trim())),
                )
            })
        };
        let target = match (aim, band) {
            (Aim::Within, Some((low, high))) => Target {
                low: number(low)?,
                high: number(high)?,
            },
            (Aim::Within, None) => {
                return Err(bad(item, Message::new("band_needs_two").with("year", year)));
            }
            (_, Some(_)) => {
                return Err(bad(
                    item,
                    Message::new("band_only_for_range").with("year", year),
                ));
            }
            (_, None) => Target::at(number(value)?),
        };
        if targets.insert(year, target).is_some() {
            return Err(bad(
                item,
                Message::new("target_year_twice").with("year", year),
            ));
        }
    }
    Ok(targets)
}

/// A target path as its form shows it, the way `parse_targets` reads it back.
pub fn targets_text(targets: &BTreeMap<i32, Target>) -> String {
    targets
        .iter()
        .map(|(year, t)| {
            if t.low == t.high {
                format!("{year}: {}", decimal_text(t.low))
            } else {
                format!("{year}: {}–{}", decimal_text(t.low), decimal_text(t.high))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One change to a plan, as the staff pages' goal-by-goal editor makes them.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanEdit {
    /// A new goal (its id must be new).
    AddGoal(PlanGoal),
    /// A goal's own fields saved from its form; its indicators stay.
    UpdateGoal(PlanGoal),
    /// A goal taken out of the plan; refused while goals sit under it. Other goals stop
    /// serving it.
    RemoveGoal(String),
    /// An indicator of a goal added (`index` none) or replaced.
    SetIndicator {
        goal: String,
        index: Option<usize>,
        indicator: PlanIndicator,
    },
    RemoveIndicator {
        goal: String,
        index: usize,
    },
}

/// Makes one change to a plan's goals. The result still has to pass `plan_problems`.
pub fn apply_edit(goals: &mut Vec<PlanGoal>, edit: PlanEdit) -> Result<(), Message> {
    let position = |goals: &[PlanGoal], id: &str| {
        goals
            .iter()
            .position(|g| g.id == id)
            .ok_or_else(|| Message::new("goal_not_found").with("id", format!("{id:?}")))
    };
    match edit {
        PlanEdit::AddGoal(goal) => {
            if goals.iter().any(|g| g.id == goal.id) {
                return Err(Message::in_field(
                    "id",
                    Message::new("goal_id_taken").with("id", &goal.id),
                ));
            }
            if goals.len() >= MAX_GOALS {
                return Err(Message::new("too_many_goals").with("max", MAX_GOALS));
            }
            // After its parent's last descendant, so the plan's order stays an outline.
            let at = match &goal.parent {
                Some(parent) => goals
                    .iter()
                    .rposition(|g| g.id == *parent || descends_from(goals, &g.id, parent))
                    .map_or(goals.len(), |i| i + 1),
                None => goals.len(),
            };
            goals.insert(at, goal);
        }
        PlanEdit::UpdateGoal(mut goal) => {
            let at = position(goals, &goal.id)?;
            goal.indicators = std::mem::take(&mut goals[at].indicators);
            goals[at] = goal;
        }
        PlanEdit::RemoveGoal(id) => {
            let at = position(goals, &id)?;
            let children: Vec<&str> = goals
                .iter()
                .filter(|g| g.parent.as_deref() == Some(id.as_str()))
                .map(|g| g.title.as_str())
                .collect();
            if !children.is_empty() {
                return Err(Message::new("goal_has_children").with("goals", children.join(", ")));
            }
            goals.remove(at);
            for g in goals.iter_mut() {
                g.serves.retain(|s| *s != id);
            }
        }
        PlanEdit::SetIndicator {
            goal,
            index,
            indicator,
        } => {
            let at = position(goals, &goal)?;
            let indicators = &mut goals[at].indicators;
            match index {
                None if indicators.len() >= MAX_INDICATORS_PER_GOAL => {
                    return Err(
                        Message::new("too_many_indicators").with("max", MAX_INDICATORS_PER_GOAL)
                    );
                }
                None => indicators.push(indicator),
                Some(i) => {
                    *indicators
                        .get_mut(i)
                        .ok_or_else(|| Message::new("indicator_not_found").with("n", i + 1))? =
                        indicator;
                }
            }
        }
        PlanEdit::RemoveIndicator { goal, index } => {
            let at = position(goals, &goal)?;
            let indicators = &mut goals[at].indicators;
            if index >= indicators.len() {
                return Err(Message::new("indicator_not_found").with("n", index + 1));
            }
            indicators.remove(index);
        }
    }
    Ok(())
}

/// Whether goal `id` sits somewhere under `ancestor` (a cycle ends the walk).
fn descends_from(goals: &[PlanGoal], id: &str, ancestor: &str) -> bool {
    let mut at = id;
    for _ in 0..goals.len() {
        let Some(parent) = goals
            .iter()
            .find(|g| g.id == at)
            .and_then(|g| g.parent.as_deref())
        else {
            return false;
        };
        if parent == ancestor {
            return true;
        }
        at = parent;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(i32, f64)]) -> Series {
        points.iter().copied().collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn target_status_has_bands_for_each_aim() {
        let b = StatusBands::default();
        let t = Target::at(80.0);
        assert_eq!(
            target_status(Aim::Higher, 80.0, t, b),
            Some(TargetStatus::Met)
        );
        // 5 % of 80 is 4: 76 is near, 75.9 is not.
        assert_eq!(
            target_status(Aim::Higher, 76.0, t, b),
            Some(TargetStatus::Near)
        );
        assert_eq!(
            target_status(Aim::Higher, 75.9, t, b),
            Some(TargetStatus::NotMet)
        );
        assert_eq!(
            target_status(Aim::Lower, 84.0, t, b),
            Some(TargetStatus::Near)
        );
        assert_eq!(
            target_status(Aim::Lower, 79.0, t, b),
            Some(TargetStatus::Met)
        );
        let band = Target {
            low: 0.97,
            high: 1.03,
        };
        assert_eq!(
            target_status(Aim::Within, 1.0, band, b),
            Some(TargetStatus::Met)
        );
        assert_eq!(
            target_status(Aim::Within, 1.08, band, b),
            Some(TargetStatus::Near)
        );
        assert_eq!(
            target_status(Aim::Within, 0.9, band, b),
            Some(TargetStatus::NotMet)
        );
        assert_eq!(target_status(Aim::Neither, 1.0, band, b), None);
        // A target of zero: only meeting it counts, there is no "near" of nothing.
        assert_eq!(
            target_status(Aim::Lower, 0.1, Target::at(0.0), b),
            Some(TargetStatus::NotMet)
        );
    }

    #[test]
    fn trend_states_its_base() {
        let s = series(&[(2019, 50.0), (2021, 55.0), (2022, 53.0)]);
        assert_eq!(
            indicator_trend(Aim::Higher, &s, TrendBase::Previous, 2019, None, 0),
            Trend::Worse
        );
        assert_eq!(
            indicator_trend(Aim::Higher, &s, TrendBase::Baseline, 2019, None, 0),
            Trend::Better
        );
        assert_eq!(
            indicator_trend(Aim::Lower, &s, TrendBase::Previous, 2019, None, 0),
            Trend::Better
        );
        assert_eq!(
            indicator_trend(Aim::Neither, &s, TrendBase::Previous, 2019, None, 0),
            Trend::Changed
        );
        // Equal when rounded: unchanged, never "better" between two equal numbers.
        let flat = series(&[(2021, 55.04), (2022, 54.96)]);
        assert_eq!(
            indicator_trend(Aim::Higher, &flat, TrendBase::Previous, 2021, None, 1),
            Trend::Unchanged
        );
        assert_eq!(
            indicator_trend(
                Aim::Higher,
                &series(&[(2022, 1.0)]),
                TrendBase::Previous,
                2020,
                None,
                0
            ),
            Trend::NotComparable
        );
        // The baseline missing: the first value after it is the base.
        let late = series(&[(2020, 10.0), (2023, 12.0)]);
        assert_eq!(
            indicator_trend(Aim::Higher, &late, TrendBase::Baseline, 2018, None, 0),
            Trend::Better
        );
        // Into a band: closer is better, whichever side.
        let band = Some(Target {
            low: 40.0,
            high: 60.0,
        });
        let s = series(&[(2021, 80.0), (2022, 30.0)]);
        assert_eq!(
            indicator_trend(Aim::Within, &s, TrendBase::Previous, 2021, band, 0),
            Trend::Better
        );
    }

    /// Hand-checked: from 50 in 2015 to 60 in 2020, a target of 70 in 2025.
    /// Observed (60/50)^(1/5) − 1 = 3.7137 %, required (70/50)^(1/10) − 1 = 3.4227 %,
    /// R = 1.0853: on track, score 5 × (1.0853 − 0.6)/0.7 = 3.466.
    #[test]
    fn progress_toward_a_higher_target() {
        let s = series(&[(2015, 50.0), (2018, 55.0), (2020, 60.0)]);
        let p = progress(Aim::Higher, &s, 2015, Some((2025, Target::at(70.0))));
        assert_eq!(p.category, Progress::OnTrack);
        assert_eq!(p.rate, Some(Rate::Compound));
        let r = p.ratio.unwrap();
        assert!((r - 1.08526).abs() < 1e-4, "{r}");
        assert!((p.score.unwrap() - 3.4661).abs() < 1e-3, "{:?}", p.score);
        // Slower: 50 → 52 in five years, R = 0.7875 / 3.4220 = 0.2301: limited progress.
        let slow = progress(
            Aim::Higher,
            &series(&[(2015, 50.0), (2020, 52.0)]),
            2015,
            Some((2025, Target::at(70.0))),
        );
        assert_eq!(slow.category, Progress::LimitedProgress);
        assert!(
            (slow.ratio.unwrap() - 0.23013).abs() < 1e-4,
            "{:?}",
            slow.ratio
        );
        // The wrong way: deterioration, R < 0.
        let worse = progress(
            Aim::Higher,
            &series(&[(2015, 50.0), (2020, 45.0)]),
            2015,
            Some((2025, Target::at(70.0))),
        );
        assert_eq!(worse.category, Progress::Deterioration);
        assert!(worse.score.unwrap() < -2.5);
        // Reached: achieved, whatever the pace.
        let done = progress(
            Aim::Higher,
            &series(&[(2015, 50.0), (2020, 71.0)]),
            2015,
            Some((2025, Target::at(70.0))),
        );
        assert_eq!((done.category, done.score), (Progress::Achieved, Some(5.0)));
    }

    /// Hand-checked: waiting days from 120 (2016) to 100 (2020), target 60 in 2026.
    /// Observed (100/120)^(1/4) − 1 = −4.4557 %, required (60/120)^(1/10) − 1 = −6.6967 %,
    /// R = 0.6654: acceleration needed, score 5 × 0.0654/0.7 = 0.467.
    #[test]
    fn progress_toward_a_lower_target() {
        let s = series(&[(2016, 120.0), (2020, 100.0)]);
        let p = progress(Aim::Lower, &s, 2016, Some((2026, Target::at(60.0))));
        assert_eq!(p.category, Progress::AccelerationNeeded);
        assert!((p.ratio.unwrap() - 0.66536).abs() < 1e-4, "{:?}", p.ratio);
        assert!((p.score.unwrap() - 0.4669).abs() < 1e-3, "{:?}", p.score);
    }

    #[test]
    fn progress_into_a_band_and_with_zero_and_negative_values() {
        let band = Target {
            low: 40.0,
            high: 60.0,
        };
        // Above the band: aimed down at 60. 100 → 80 over 2 years of 5 needed.
        let p = progress(
            Aim::Within,
            &series(&[(2020, 100.0), (2022, 80.0)]),
            2020,
            Some((2025, band)),
        );
        assert_ne!(p.category, Progress::NotAssessable);
        assert!(p.ratio.unwrap() > 0.95, "{:?}", p.ratio);
        let inside = progress(
            Aim::Within,
            &series(&[(2020, 100.0), (2022, 50.0)]),
            2020,
            Some((2025, band)),
        );
        assert_eq!(inside.category, Progress::Achieved);
        // A zero base is taken as 0.001, so the rate exists and is large.
        let zero = progress(
            Aim::Higher,
            &series(&[(2020, 0.0), (2022, 5.0)]),
            2020,
            Some((2026, Target::at(10.0))),
        );
        assert_eq!(zero.category, Progress::OnTrack);
        assert!(zero.score.unwrap().is_finite());
        // Crossing zero: a straight line. −4 → −1 over 3 of 6 years toward +2: R = 1 / 1 = 1.
        let neg = progress(
            Aim::Higher,
            &series(&[(2020, -4.0), (2023, -1.0)]),
            2020,
            Some((2026, Target::at(2.0))),
        );
        assert_eq!(neg.rate, Some(Rate::Linear));
        assert!(close(neg.ratio.unwrap(), 1.0), "{:?}", neg.ratio);
        assert_eq!(neg.category, Progress::OnTrack);
    }

    #[test]
    fn progress_needs_two_values_and_a_direction() {
        let one = series(&[(2020, 5.0)]);
        assert_eq!(
            progress(Aim::Higher, &one, 2020, Some((2025, Target::at(9.0)))).category,
            Progress::NotAssessable
        );
        let before_baseline = series(&[(2018, 5.0), (2019, 6.0)]);
        assert_eq!(
            progress(Aim::Higher, &before_baseline, 2020, None).category,
            Progress::NotAssessable
        );
        let two = series(&[(2020, 5.0), (2021, 6.0)]);
        assert_eq!(
            progress(Aim::Neither, &two, 2020, None).category,
            Progress::NotAssessable
        );
        // Met at the baseline and fallen below since: the target asks for no growth.
        let fell = progress(
            Aim::Higher,
            &series(&[(2020, 90.0), (2022, 70.0)]),
            2020,
            Some((2025, Target::at(80.0))),
        );
        assert_eq!(
            (fell.category, fell.score),
            (Progress::Deterioration, Some(-5.0))
        );
    }

    /// Without a target, the yearly growth against 1.5 % / 0.5 % / 0: 100 → 102.01 in two
    /// years is 1 % a year (acceleration needed, score 1.25); for a lower-is-better
    /// indicator the same numbers are −1 % (deterioration, score −3.75).
    #[test]
    fn progress_without_a_target() {
        let s = series(&[(2020, 100.0), (2022, 102.01)]);
        let up = progress(Aim::Higher, &s, 2020, None);
        assert_eq!(up.category, Progress::AccelerationNeeded);
        assert!(close(up.growth.unwrap(), 0.01), "{:?}", up.growth);
        assert!((up.score.unwrap() - 1.25).abs() < 1e-9);
        let down = progress(Aim::Lower, &s, 2020, None);
        assert_eq!(down.category, Progress::Deterioration);
        assert!((down.score.unwrap() + 3.75).abs() < 1e-9);
        let fast = progress(
            Aim::Higher,
            &series(&[(2020, 100.0), (2021, 103.0)]),
            2020,
            None,
        );
        assert_eq!((fast.category, fast.score), (Progress::OnTrack, Some(5.0)));
    }

    #[test]
    fn a_goal_suggests_the_weighted_mean_and_counts_what_it_left_out() {
        let c = |category, score, weight| Child {
            category,
            score,
            weight,
        };
        let s = suggest(&[
            c(Progress::OnTrack, Some(4.0), 1.0),
            c(Progress::Deterioration, Some(-4.0), 3.0),
            c(Progress::NotAssessable, None, 5.0),
        ]);
        // (4 − 12) / 4 = −2: limited progress; the child without a score weighs nothing.
        assert_eq!(s.score, Some(-2.0));
        assert_eq!(s.category, Progress::LimitedProgress);
        assert_eq!((s.counted, s.left_out), (2, 1));
        let all = suggest(&[
            c(Progress::Achieved, Some(5.0), 1.0),
            c(Progress::Achieved, Some(5.0), 2.0),
        ]);
        assert_eq!(all.category, Progress::Achieved);
        let not_all = suggest(&[
            c(Progress::Achieved, Some(5.0), 1.0),
            c(Progress::NotAssessable, None, 1.0),
        ]);
        assert_eq!(
            not_all.category,
            Progress::OnTrack,
            "achieved only when every child is"
        );
        assert_eq!(suggest(&[]).category, Progress::NotAssessable);
        assert_eq!(
            Official::reading_of(not_all.category),
            Official::PartlyFulfilled
        );
    }

    #[test]
    fn a_status_needs_a_motivation() {
        assert!(motivation("  ").is_err());
        assert_eq!(motivation(" Målet nåddes. ").unwrap(), "Målet nåddes.");
        assert!(motivation(&"x".repeat(MAX_MOTIVATION_CHARS + 1)).is_err());
    }

    #[test]
    fn a_plan_names_each_problem() {
        let ind = |measure: &str, baseline, targets: &[(i32, f64)], weight| PlanIndicator {
            measure: measure.into(),
            gender: "T".into(),
            aim: Aim::Higher,
            baseline_year: baseline,
            targets: targets.iter().map(|(y, v)| (*y, Target::at(*v))).collect(),
            weight,
            trend_base: TrendBase::Previous,
            group: None,
        };
        let goal = |id: &str, parent: Option<&str>, indicators| PlanGoal {
            id: id.into(),
            parent: parent.map(Into::into),
            level: Level::Council,
            title: format!("Mål {id}"),
            description: String::new(),
            owner: "Kommunstyrelsen".into(),
            from_year: Some(2023),
            to_year: Some(2026),
            serves: vec![],
            weight: 1.0,
            indicators,
            state: None,
            due: None,
        };
        let good = vec![
            goal("vision", None, vec![]),
            goal(
                "kf1",
                Some("vision"),
                vec![ind("N15428", 2020, &[(2022, 80.0), (2026, 90.0)], 1.0)],
            ),
        ];
        assert!(plan_problems(&good, |m| m == "N15428").is_empty());
        let bad = vec![
            goal("a", Some("c"), vec![ind("X1", 2020, &[(2019, 5.0)], 0.0)]),
            goal("b", Some("a"), vec![]),
            goal("c", Some("b"), vec![]),
            goal("d", Some("nowhere"), vec![]),
            goal("d", None, vec![]),
            goal("period", None, vec![]),
        ];
        // The innermost problem of each message, under its goal and indicator.
        fn innermost(m: &Message) -> &'static str {
            m.said("problem").map_or(m.code, innermost)
        }
        let found = plan_problems(&bad, |_| false);
        let inner: BTreeSet<&str> = found.iter().map(innermost).collect();
        for code in [
            "goal_listed_twice",
            "goal_unknown",
            "measure_unknown_here",
            "weight_not_positive",
            "target_before_baseline",
            "goal_cycle",
            "goal_id_reserved",
        ] {
            assert!(inner.contains(code), "{code}: {inner:?}");
        }
        let codes: Vec<&str> = found.iter().map(|m| m.code).collect();
        assert_eq!(
            codes.iter().filter(|c| **c == "at_goal").count(),
            6,
            "{codes:?}"
        );
    }

    #[test]
    fn a_plan_is_followed_up_from_the_leaves() {
        let ind = |measure: &str, aim, targets: &[(i32, f64)]| PlanIndicator {
            measure: measure.into(),
            gender: "T".into(),
            aim,
            baseline_year: 2015,
            targets: targets.iter().map(|(y, v)| (*y, Target::at(*v))).collect(),
            weight: 1.0,
            trend_base: TrendBase::Previous,
            group: None,
        };
        let goal = |id: &str, parent: Option<&str>, level, indicators| PlanGoal {
            id: id.into(),
            parent: parent.map(Into::into),
            level,
            title: id.into(),
            description: String::new(),
            owner: String::new(),
            from_year: None,
            to_year: None,
            serves: vec![],
            weight: 1.0,
            indicators,
            state: None,
            due: None,
        };
        let plan = vec![
            goal("vision", None, Level::Vision, vec![]),
            goal(
                "kf",
                Some("vision"),
                Level::Council,
                vec![ind("UP", Aim::Higher, &[(2020, 58.0), (2025, 70.0)])],
            ),
            goal(
                "namnd",
                Some("kf"),
                Level::Committee,
                vec![
                    ind("DOWN", Aim::Lower, &[(2026, 60.0)]),
                    ind("NONE", Aim::Higher, &[(2026, 1.0)]),
                ],
            ),
            goal("act", Some("namnd"), Level::Activity, vec![]),
        ];
        let values = |i: &PlanIndicator| -> Series {
            match i.measure.as_str() {
                "UP" => series(&[(2015, 50.0), (2018, 55.0), (2020, 60.0), (2023, 99.0)]),
                "DOWN" => series(&[(2015, 120.0), (2019, 100.0)]),
                _ => Series::new(),
            }
        };
        let results = follow_up(&plan, values, |_| 0, 2020, StatusBands::default());
        let by_id: HashMap<&str, &GoalResult> =
            results.iter().map(|r| (r.id.as_str(), r)).collect();
        let up = &by_id["kf"].indicators[0];
        // Values after the year are not seen: 60 in 2020 against that year's target 58.
        assert_eq!(up.latest, Some((2020, 60.0)));
        assert_eq!(up.status, Some(TargetStatus::Met));
        assert_eq!(up.trend, Trend::Better);
        assert_eq!(up.progress.category, Progress::OnTrack);
        let namnd = &by_id["namnd"].suggested;
        // The indicator without values is left out and counted; the activity does not count.
        assert_eq!((namnd.counted, namnd.left_out), (1, 1));
        let down = by_id["namnd"].indicators[0].progress.score.unwrap();
        assert_eq!(namnd.score, Some(down));
        // kf: its indicator and its sub-goal, each one child.
        let kf = &by_id["kf"].suggested;
        let expected = (up.progress.score.unwrap() + down) / 2.0;
        assert!(close(kf.score.unwrap(), expected), "{kf:?}");
        assert_eq!(by_id["vision"].suggested.score, kf.score);
        assert_eq!(by_id["act"].suggested.category, Progress::NotAssessable);
    }

    #[test]
    fn a_path_of_targets_applies_from_its_years() {
        let path: BTreeMap<i32, Target> =
            [(2022, Target::at(80.0)), (2026, Target::at(90.0))].into();
        assert_eq!(target_in(&path, 2021), None);
        assert_eq!(target_in(&path, 2024), Some(Target::at(80.0)));
        assert_eq!(final_target(&path), Some((2026, Target::at(90.0))));
    }

    #[test]
    fn a_period_takes_its_kinds_code_and_closing_day_unless_given() {
        let p = period("interim", "2025", "", "Delårsrapport 2025", "").unwrap();
        assert_eq!(
            (p.code.as_str(), p.closes_on.as_str(), p.kind),
            ("delar-2025", "2025-08-31", PeriodKind::Interim)
        );
        let t1 = period("t1", "2026", "", "", "").unwrap();
        assert_eq!(
            (t1.code.as_str(), t1.closes_on.as_str()),
            ("t1-2026", "2026-04-30")
        );
        let own = period("other", "2025", "budget-uppf", "", "2025-10-31").unwrap();
        assert_eq!(
            (own.code.as_str(), own.closes_on.as_str()),
            ("budget-uppf", "2025-10-31")
        );
        // An annual report closed in February of the next year is fine; a day in 2023 is not.
        assert!(period("annual", "2025", "", "", "2026-02-15").is_ok());
        let fields = |r: Result<Period, Vec<Message>>| -> Vec<String> {
            r.unwrap_err()
                .iter()
                .filter_map(|m| m.field_problem().map(|(f, _)| f.to_owned()))
                .collect()
        };
        assert_eq!(
            fields(period("annual", "2025", "", "", "2023-12-31")),
            ["closes_on"]
        );
        assert_eq!(
            fields(period("quarter", "tjugo", "", "", "")),
            ["kind", "year"]
        );
        assert_eq!(fields(period("t2", "2025", "a b", "", "")), ["code"]);
    }

    #[test]
    fn a_target_path_reads_with_decimal_commas_and_bands() {
        let path = parse_targets("2024: 80; 2026 = 90,5\n", Aim::Higher).unwrap();
        assert_eq!(path[&2024], Target::at(80.0));
        assert_eq!(path[&2026], Target::at(90.5));
        let band = parse_targets("2026: 0,97–1,03", Aim::Within).unwrap();
        assert_eq!(
            band[&2026],
            Target {
                low: 0.97,
                high: 1.03
            }
        );
        assert_eq!(targets_text(&band), "2026: 0,97–1,03");
        assert_eq!(
            parse_targets(&targets_text(&path), Aim::Higher).unwrap(),
            path
        );
        assert!(parse_targets("", Aim::Higher).unwrap().is_empty());
        for (bad, aim, needle) in [
            ("80", Aim::Higher, "target_needs_year"),
            ("tjugo: 80", Aim::Higher, "not_a_year"),
            ("2024: mycket", Aim::Higher, "not_a_number"),
            ("2024: 1", Aim::Within, "band_needs_two"),
            ("2024: 1–2", Aim::Lower, "band_only_for_range"),
            ("2024: 1; 2024: 2", Aim::Higher, "target_year_twice"),
        ] {
            let e = parse_targets(bad, aim).unwrap_err();
            let (field, problem) = e.field_problem().unwrap();
            assert_eq!(field, "targets");
            assert_eq!(
                problem.said("problem").map(|m| m.code),
                Some(needle),
                "{bad}"
            );
        }
        let many = (1950..2100)
            .map(|y| format!("{y}: 1"))
            .collect::<Vec<_>>()
            .join(";");
        assert!(parse_targets(&many, Aim::Higher).is_err());
    }

    #[test]
    fn a_goal_form_names_each_field_wrong() {
        let ok = goal_from_fields(&GoalFields {
            id: " kf1 ".into(),
            level: "kf".into(),
            title: "Fler i jobb".into(),
            from: "2023".into(),
            serves: "kf2, kf3".into(),
            weight: "1,5".into(),
            ..GoalFields::default()
        })
        .unwrap();
        assert_eq!((ok.id.as_str(), ok.weight), ("kf1", 1.5));
        assert_eq!(ok.serves, vec!["kf2".to_owned(), "kf3".to_owned()]);
        assert_eq!(GoalFields::of(&ok).weight, "1,5");
        let bad = goal_from_fields(&GoalFields {
            id: "k f".into(),
            level: "kommun".into(),
            from: "förra året".into(),
            weight: "0".into(),
            state: "snart".into(),
            due: "31/12".into(),
            ..GoalFields::default()
        })
        .unwrap_err();
        let mut fields: Vec<&str> = bad
            .iter()
            .filter_map(|m| m.field_problem())
            .map(|(f, _)| f)
            .collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            ["due", "from", "id", "level", "state", "title", "weight"]
        );
        let indicator = indicator_from_fields(&IndicatorFields {
            measure: "n15428".into(),
            aim: "higher".into(),
            baseline_year: "2022".into(),
            targets: "2026: 90".into(),
            ..IndicatorFields::default()
        })
        .unwrap();
        assert_eq!(
            (indicator.measure.as_str(), indicator.gender.as_str()),
            ("N15428", "T")
        );
        assert_eq!(IndicatorFields::of(&indicator).targets, "2026: 90");
        let bad = indicator_from_fields(&IndicatorFields {
            aim: "upp".into(),
            gender: "X".into(),
            ..IndicatorFields::default()
        })
        .unwrap_err();
        let mut fields: Vec<&str> = bad
            .iter()
            .filter_map(|m| m.field_problem())
            .map(|(f, _)| f)
            .collect();
        fields.sort_unstable();
        assert_eq!(fields, ["aim", "baseline_year", "gender", "measure"]);
    }

    #[test]
    fn plan_edits_keep_an_outline_and_refuse_what_would_break_it() {
        let goal = |id: &str, parent: Option<&str>| PlanGoal {
            id: id.into(),
            parent: parent.map(Into::into),
            level: Level::Council,
            title: id.to_uppercase(),
            description: String::new(),
            owner: String::new(),
            from_year: None,
            to_year: None,
            serves: Vec::new(),
            weight: 1.0,
            indicators: Vec::new(),
            state: None,
            due: None,
        };
        let mut goals = vec![
            goal("v", None),
            goal("a", Some("v")),
            goal("a1", Some("a")),
            goal("b", Some("v")),
        ];
        goals[3].serves = vec!["a1".into()];
        // A new goal under `a` comes after a's last descendant.
        apply_edit(&mut goals, PlanEdit::AddGoal(goal("a2", Some("a")))).unwrap();
        let order: Vec<&str> = goals.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(order, ["v", "a", "a1", "a2", "b"]);
        let taken = apply_edit(&mut goals, PlanEdit::AddGoal(goal("a2", None))).unwrap_err();
        assert_eq!(taken.field_problem().map(|(f, _)| f), Some("id"));
        // Indicators stay when the goal's own fields are saved.
        let indicator = PlanIndicator {
            measure: "N15428".into(),
            gender: "T".into(),
            aim: Aim::Higher,
            baseline_year: 2022,
            targets: BTreeMap::new(),
            weight: 1.0,
            trend_base: TrendBase::Previous,
            group: None,
        };
        apply_edit(
            &mut goals,
            PlanEdit::SetIndicator {
                goal: "a".into(),
                index: None,
                indicator: indicator.clone(),
            },
        )
        .unwrap();
        let mut renamed = goal("a", Some("v"));
        renamed.title = "Nytt".into();
        apply_edit(&mut goals, PlanEdit::UpdateGoal(renamed)).unwrap();
        assert_eq!(
            (goals[1].title.as_str(), goals[1].indicators.len()),
            ("Nytt", 1)
        );
        assert!(
            apply_edit(
                &mut goals,
                PlanEdit::RemoveIndicator {
                    goal: "a".into(),
                    index: 1
                }
            )
            .is_err()
        );
        apply_edit(
            &mut goals,
            PlanEdit::RemoveIndicator {
                goal: "a".into(),
                index: 0,
            },
        )
        .unwrap();
        assert!(goals[1].indicators.is_empty());
        // A goal with goals under it stays; a leaf goes, and no goal serves it any longer.
        let kept = apply_edit(&mut goals, PlanEdit::RemoveGoal("a".into())).unwrap_err();
        assert_eq!(kept.code, "goal_has_children");
        apply_edit(&mut goals, PlanEdit::RemoveGoal("a1".into())).unwrap();
        assert!(goals.iter().all(|g| g.id != "a1" && g.serves.is_empty()));
        assert!(plan_problems(&goals, |_| true).is_empty());
        assert!(apply_edit(&mut goals, PlanEdit::RemoveGoal("saknas".into())).is_err());
    }
}
