//! Goals for the municipality's people: the plans (draft and published) with every goal's
//! suggested and official status, the plan uploaded or edited as its file's text (checked
//! whole, sent back with every problem and what was typed), publishing after a confirmation,
//! and a goal's page with its signals, its judgements so far and the form to judge it. Every
//! change needs a session and its CSRF token; the use cases decide again who may do what.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use kvalitet_app::Store;
use kvalitet_app::goals::{self as goals_app, Plan};
use kvalitet_app::ports::SessionRecord;
use kvalitet_domain::goals::{
    ActivityState, Aim, GoalFields, IndicatorFields, Level, Official, PeriodKind, PlanEdit,
    TrendBase,
};
use kvalitet_domain::{Action, Message, MunicipalityId};
use kvalitet_formats::goal_report::FollowUpReport;

use crate::admin::municipality;
use crate::auth::{redirect, render_private};
use crate::extract::{Change, PageLang, Session, Upload};
use crate::forms::{ConfirmView, Failed, answered};
use crate::i18n::Lang;
use crate::site::{GoalView, Named, live_report, official_shape, plan_report, tree};
use crate::{AppState, WebError, query_pairs};

fn goals_path(lang: Lang, m: &MunicipalityId) -> String {
    format!("{}/admin/kommun/{m}/mal", lang.base())
}

/// The notice a finished change leaves (`?klart=`), in words.
fn notice(lang: Lang, raw: Option<&str>) -> Option<String> {
    let code = query_pairs(raw)
        .into_iter()
        .find(|(k, _)| k == "klart")
        .map(|(_, v)| v)?;
    let key = match code.as_str() {
        "sparad" => "goals_notice_saved",
        "publicerad" => "goals_notice_published",
        "bedomd" => "goals_notice_judged",
        "stangd" => "goals_notice_closed",
        "borttaget" => "goals_notice_removed",
        _ => return None,
    };
    Some(lang.t(key).to_owned())
}

/// The draft (if any, what is being worked on) or else the published plan, followed up.
struct Shown {
    draft: Option<Plan>,
    published: Option<Plan>,
    report: Option<FollowUpReport>,
    goals: Vec<GoalView>,
}

impl Shown {
    fn plan(&self) -> Option<&Plan> {
        self.draft.as_ref().or(self.published.as_ref())
    }
}

async fn shown<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
) -> Result<Shown, WebError> {
    let grants = Some(&session.user.grants);
    let draft = goals_app::plan(&state.store, grants, m, true).await?;
    let published = goals_app::plan(&state.store, grants, m, false).await?;
    let mut shown = Shown {
        draft,
        published,
        report: None,
        goals: Vec::new(),
    };
    if let Some(plan) = shown.plan() {
        let (_, d) = state.directory().await?;
        let report = plan_report(state, &d, m, plan, None).await?;
        shown.goals = tree(lang, &d, &report);
        shown.report = Some(report);
    }
    Ok(shown)
}

/// "Saved 2026-12-01 by anna@kommun.se" of a stored plan, for its people.
fn plan_said(lang: Lang, plan: &Plan) -> String {
    let (p, count) = (&plan.stored, plan.plan.goals.len());
    let (at, by) = match (&p.published_at, &p.published_by) {
        (Some(at), Some(by)) => (at, by),
        _ => (&p.created_at, &p.created_by),
    };
    lang.say(
        &Message::new("goals_admin_plan_said")
            .with("goals", count)
            .with("date", at.local_date_text())
            .with("by", by),
    )
}

#[derive(Serialize)]
struct PlanLine {
    said: String,
}

#[derive(Serialize)]
struct PeriodLine {
    code: String,
    title: String,
    closes_on: String,
    taken: String,
    by: String,
}

#[derive(Serialize)]
struct OverviewView<'a> {
    m: Named,
    csrf: &'a str,
    notice: Option<String>,
    published: Option<PlanLine>,
    draft: Option<PlanLine>,
    /// Which plan the goals are from, in words.
    showing: &'static str,
    year: i32,
    goals: Vec<GoalView>,
    can_edit: bool,
    can_publish: bool,
    /// The closed follow-up periods, latest first.
    periods: Vec<PeriodLine>,
    kinds: Vec<Choice>,
    /// The year a new period follows up by default: the one the page shows.
    period_year: i32,
    /// The text the editor starts from: the draft's, else the published plan's, else the
    /// example.
    source: String,
    /// The stored plan the forms change (the draft, else the published plan); none before
    /// the first.
    based_on: Option<i64>,
    levels: Vec<Choice>,
    /// The goals a new goal can sit under, in the plan's order.
    parents: Vec<Choice>,
    failed: Option<Failed>,
    other_path: String,
}

/// `GET /admin/kommun/{id}/mal`: the municipality's plans for its people.
pub async fn overview<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    overview_page(
        &state,
        lang,
        &session,
        &m,
        notice(lang, raw.as_deref()),
        None,
    )
    .await
}

async fn overview_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    notice: Option<String>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let (_, d) = state.directory().await?;
    let shown = shown(state, lang, session, m).await?;
    let grants = &session.user.grants;
    let sent_back = failed.is_some();
    let view = OverviewView {
        m: Named::of(&d, m),
        csrf: &session.csrf_token,
        notice,
        published: shown.published.as_ref().map(|p| PlanLine {
            said: plan_said(lang, p),
        }),
        draft: shown.draft.as_ref().map(|p| PlanLine {
            said: plan_said(lang, p),
        }),
        showing: lang.t(if shown.draft.is_some() {
            "goals_admin_showing_draft"
        } else {
            "goals_admin_showing_published"
        }),
        year: shown.report.as_ref().map_or(0, |r| r.year),
        source: shown.plan().map_or_else(
            || EXAMPLE_PLAN.replace("\"0180\"", &format!("\"{m}\"")),
            |p| p.stored.source.clone(),
        ),
        based_on: shown.plan().map(|p| p.stored.id),
        levels: level_choices(lang),
        parents: parent_choices(&shown, None),
        goals: shown.goals,
        can_edit: grants.allows(Action::EditMeasures, m),
        can_publish: grants.allows(Action::Publish, m),
        periods: goals_app::periods(&state.store, m)
            .await?
            .into_iter()
            .map(|p| PeriodLine {
                title: if p.period.title.is_empty() {
                    format!(
                        "{} {}",
                        lang.t(&format!("period_kind.{}", p.period.kind.code())),
                        p.period.year
                    )
                } else {
                    p.period.title
                },
                code: p.period.code,
                closes_on: p.period.closes_on,
                taken: p.taken_at.local_text(),
                by: p.taken_by,
            })
            .collect(),
        kinds: choices(
            lang,
            "period_kind.",
            PeriodKind::ALL.iter().map(|k| k.code()),
        ),
        period_year: shown.report.as_ref().map_or(0, |r| r.year),
        failed,
        other_path: format!("{}/admin/kommun/{m}/mal", lang.other().base()),
    };
    let response = render_private(state, lang, session, "goals-admin.html", view);
    Ok(answered(response, sent_back))
}

fn level_choices(lang: Lang) -> Vec<Choice> {
    choices(lang, "goal_level.", Level::ALL.iter().map(|l| l.code()))
}

/// The goals of the plan being worked on, indented by depth, that `goal` (none for a new
/// one) may sit under: not itself, nor one under it.
fn parent_choices(shown: &Shown, goal: Option<&str>) -> Vec<Choice> {
    let mut out = Vec::new();
    let mut skip_below: Option<usize> = None;
    for g in &shown.goals {
        if skip_below.is_some_and(|d| g.depth > d) {
            continue;
        }
        skip_below = None;
        if goal == Some(g.id.as_str()) {
            skip_below = Some(g.depth);
            continue;
        }
        out.push(Choice {
            code: g.id.clone(),
            label: format!("{}{}", "\u{a0}\u{a0}".repeat(g.depth), g.title),
        });
    }
    out
}

/// The documented example, the editor's start for a municipality without a plan.
const EXAMPLE_PLAN: &str = include_str!("../../../data/examples/goal-plan.toml");

/// What the plan form sent back keeps.
#[derive(Serialize)]
struct PlanFields<'a> {
    source: &'a str,
}

/// `POST /admin/kommun/{id}/mal`: a plan file or the edited text, checked whole against the
/// measures the municipality may follow and saved as its draft; or the form back with every
/// problem and the text as sent.
pub async fn save_plan<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    upload: Upload,
) -> Result<Response, WebError> {
    let session = &upload.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let source = match upload.files().iter().find(|f| f.field == "file") {
        Some(file) => match std::str::from_utf8(&file.bytes) {
            Ok(text) => text.trim_start_matches('\u{feff}').to_owned(),
            Err(_) => {
                let problem = Message::in_field(
                    "source",
                    Message::new("goals_file_not_text").with("file", &file.name),
                );
                let failed = Failed::new(lang, "p", &PlanFields { source: "" }, &[problem]);
                return overview_page(&state, lang, session, &m, None, Some(failed)).await;
            }
        },
        None => upload.field("source").to_owned(),
    };
    let known = state.store.known_ids().await.map_err(WebError::internal)?;
    let known_measure = |id: &str| {
        kvalitet_domain::MeasureId::parse(id).is_ok_and(|id| known.measures.contains(&id))
    };
    let imported = goals_app::import_plan(
        &state.store,
        &session.user.grants,
        &source,
        known_measure,
        &state.actor(session),
    )
    .await;
    match imported {
        Ok((planned, _, _)) if planned == m => {
            state.invalidate_version();
            Ok(redirect(
                &format!("{}?klart=sparad", goals_path(lang, &m)),
                &[],
            ))
        }
        Ok((other, _, _)) => {
            // A plan names its municipality; one for another was saved there (its editors
            // allowed it) and is shown there.
            state.invalidate_version();
            Ok(redirect(
                &format!("{}?klart=sparad", goals_path(lang, &other)),
                &[],
            ))
        }
        Err(refusal) => {
            let problems = refusal.into_problems()?;
            let failed =
                Failed::located(lang, "p", &PlanFields { source: &source }, &problems, |p| {
                    Some(("source".to_owned(), p))
                });
            overview_page(&state, lang, session, &m, None, Some(failed)).await
        }
    }
}

/// The close-period form.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct PeriodFields {
    kind: String,
    year: String,
    code: String,
    title: String,
    closes_on: String,
}

/// `POST /admin/kommun/{id}/mal/period`: closes a follow-up period: the published plan
/// followed up in the period's year, as it stands now, is frozen as its snapshot. Or the form
/// back with each problem beside its field.
pub async fn close_period<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<PeriodFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::Publish)?;
    let sent_back = |problems: Vec<Message>| {
        let state = state.clone();
        async move {
            let failed = Failed::new(lang, "c", f, &problems);
            overview_page(&state, lang, session, &m, None, Some(failed)).await
        }
    };
    let period =
        match kvalitet_domain::goals::period(&f.kind, &f.year, &f.code, &f.title, &f.closes_on) {
            Ok(period) => period,
            Err(problems) => return sent_back(problems).await,
        };
    let (_, d) = state.directory().await?;
    let Some((plan, report)) = live_report(&state, &d, &m, Some(period.year)).await? else {
        return sent_back(vec![Message::new("period_needs_published_plan")]).await;
    };
    let closed = goals_app::close_period(
        &state.store,
        &session.user.grants,
        &m,
        &period,
        plan.stored.id,
        report,
        &state.actor(session),
    )
    .await;
    match closed {
        Ok(_) => {
            state.invalidate_version();
            Ok(redirect(
                &format!("{}?klart=stangd", goals_path(lang, &m)),
                &[],
            ))
        }
        Err(refusal) => sent_back(refusal.into_problems()?).await,
    }
}

/// `GET /admin/kommun/{id}/mal/publicera`: what publishing the draft makes public, and what
/// to look at first.
pub async fn confirm_publish<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::Publish)?;
    let shown = shown(&state, lang, &session, &m).await?;
    let (Some(draft), Some(report)) = (&shown.draft, &shown.report) else {
        return Ok(redirect(&goals_path(lang, &m), &[]));
    };
    let (_, d) = state.directory().await?;
    let goals = &draft.plan.goals;
    let count = |level| goals.iter().filter(|g| g.level == level).count();
    let indicators: usize = goals.iter().map(|g| g.indicators.len()).sum();
    let mut public = vec![
        lang.say(
            &Message::new("goals_publish_public")
                .with("goals", goals.len() - count(Level::Activity))
                .with("activities", count(Level::Activity))
                .with("indicators", indicators)
                .with("name", d.name(&m)),
        ),
    ];
    public.push(lang.t("goals_publish_statuses").to_owned());
    let mut warnings = Vec::new();
    if let Some(published) = &shown.published {
        warnings.push(
            lang.say(
                &Message::new("goals_publish_replaces").with(
                    "date",
                    published
                        .stored
                        .published_at
                        .map_or_else(String::new, |t| t.local_date_text()),
                ),
            ),
        );
    }
    let without_value: usize = report
        .goals
        .iter()
        .flat_map(|g| &g.indicators)
        .filter(|i| i.latest.is_none())
        .count();
    if without_value > 0 {
        warnings.push(lang.say(&Message::new("goals_publish_no_values").with("n", without_value)));
    }
    let without_indicators: Vec<&str> = goals
        .iter()
        .filter(|g| g.level != Level::Activity && g.level != Level::Vision)
        .filter(|g| {
            g.indicators.is_empty() && !goals.iter().any(|c| c.parent.as_ref() == Some(&g.id))
        })
        .map(|g| g.title.as_str())
        .collect();
    if !without_indicators.is_empty() {
        warnings.push(lang.say(
            &Message::new("goals_publish_unfollowed").with("goals", without_indicators.join(", ")),
        ));
    }
    let check = kvalitet_app::publish::PublishCheck {
        public: Vec::new(),
        internal: vec![Message::new("goals_publish_internal")],
        warnings: Vec::new(),
    };
    let mut view = ConfirmView::of(lang, &check, &session.csrf_token);
    view.public = public;
    view.warnings = warnings;
    view.what = lang.say(&Message::new("goals_of").with("name", d.name(&m)));
    view.action = format!("{}/publicera", goals_path(lang, &m));
    view.hidden = vec![("plan", draft.stored.id.to_string())];
    view.back = goals_path(lang, &m);
    view.other_path = format!("{}/admin/kommun/{m}/mal/publicera", lang.other().base());
    Ok(render_private(&state, lang, &session, "confirm.html", view))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PublishPlanFields {
    plan: String,
    confirmed: String,
}

/// `POST /admin/kommun/{id}/mal/publicera`: publishes the draft the confirmation showed.
pub async fn publish<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<PublishPlanFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::Publish)?;
    let plan = change.form.plan.trim().parse::<i64>().ok();
    let (Some(plan), true) = (plan, change.form.confirmed == "1") else {
        return Ok(redirect(
            &format!("{}/publicera", goals_path(lang, &m)),
            &[],
        ));
    };
    goals_app::publish_plan(
        &state.store,
        &session.user.grants,
        &m,
        plan,
        &state.actor(session),
    )
    .await?;
    state.invalidate_version();
    Ok(redirect(
        &format!("{}?klart=publicerad", goals_path(lang, &m)),
        &[],
    ))
}

/// `GET /admin/kommun/{id}/malplan/{utkast|publicerad}.toml`: a stored plan's text as it was
/// saved, to edit in a spreadsheet's neighbour or keep.
pub async fn plan_file<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    let draft = match file.as_str() {
        "utkast.toml" => true,
        "publicerad.toml" => false,
        _ => return Err(no_plan()),
    };
    let plan = goals_app::plan(&state.store, Some(&session.user.grants), &m, draft)
        .await?
        .ok_or_else(no_plan)?;
    let mut response = plan.stored.source.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/toml; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"mal-{m}-{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn no_plan() -> WebError {
    WebError::coded(StatusCode::NOT_FOUND, Message::new("goal_plan_not_found"))
}

#[derive(Serialize)]
struct HistoryLine {
    status: &'static str,
    shape: &'static str,
    motivation: String,
    by: String,
    at: String,
}

#[derive(Serialize)]
struct Choice {
    code: String,
    label: String,
}

fn choices(lang: Lang, prefix: &str, codes: impl Iterator<Item = &'static str>) -> Vec<Choice> {
    codes
        .map(|code| Choice {
            code: code.to_owned(),
            label: lang.t(&format!("{prefix}{code}")).to_owned(),
        })
        .collect()
}

#[derive(Serialize)]
struct GoalPageView<'a> {
    m: Named,
    csrf: &'a str,
    notice: Option<String>,
    g: GoalView,
    period: Option<String>,
    plan_said: &'static str,
    year: i32,
    history: Vec<HistoryLine>,
    can_judge: bool,
    officials: Vec<Choice>,
    /// The status checked on the form: as sent back, else the one the suggestion reads as.
    chosen: String,
    failed: Option<Failed>,
    /// The goal-by-goal editor, for editors.
    editor: Option<EditorView>,
    other_path: String,
}

/// The forms that change one goal: its own fields, each indicator, a new indicator, and
/// taking the goal out.
#[derive(Serialize)]
struct EditorView {
    /// The stored plan the forms change.
    based_on: i64,
    /// The goal's fields as the plan has them (a form sent back shows what was typed).
    fields: GoalFields,
    levels: Vec<Choice>,
    parents: Vec<Choice>,
    states: Vec<Choice>,
    indicators: Vec<IndicatorForm>,
    /// The new indicator's form: empty, or as sent back.
    blank: IndicatorForm,
    aims: Vec<Choice>,
    genders: Vec<Choice>,
    trend_bases: Vec<Choice>,
    /// Goals sit under this one: it cannot be taken out.
    has_children: bool,
}

#[derive(Serialize)]
struct IndicatorForm {
    /// The form's id prefix: `i0`, `i1`, … and `in` for a new one.
    prefix: String,
    /// The indicator's place among the goal's (empty for a new one).
    index: String,
    title: String,
    fields: IndicatorFields,
}

/// `GET /admin/kommun/{id}/mal/{goal}`: one goal with its signals, its judgements so far and
/// the form to judge it.
pub async fn goal<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, goal)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    goal_page(
        &state,
        lang,
        &session,
        &m,
        &goal,
        notice(lang, raw.as_deref()),
        None,
    )
    .await
}

async fn goal_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    goal: &str,
    notice: Option<String>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let (_, d) = state.directory().await?;
    let shown = shown(state, lang, session, m).await?;
    let not_found = || {
        WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("goal_not_found").with("id", format!("{goal:?}")),
        )
    };
    let plan = shown.plan().ok_or_else(not_found)?;
    let planned = plan
        .plan
        .goals
        .iter()
        .find(|g| g.id == goal)
        .ok_or_else(not_found)?;
    let period = match (planned.from_year, planned.to_year) {
        (Some(a), Some(b)) if a != b => Some(format!("{a}–{b}")),
        (Some(a), _) | (None, Some(a)) => Some(a.to_string()),
        _ => None,
    };
    let history = goals_app::history(&state.store, m, goal)
        .await?
        .into_iter()
        .map(|h| HistoryLine {
            status: lang.t(&format!("official.{}", h.status.code())),
            shape: official_shape(h.status),
            motivation: h.motivation,
            by: h.set_by,
            at: h.set_at.local_text(),
        })
        .collect();
    let year = shown.report.as_ref().map_or(0, |r| r.year);
    let plan_said = lang.t(if shown.draft.is_some() {
        "goals_admin_showing_draft"
    } else {
        "goals_admin_showing_published"
    });
    let grants = &session.user.grants;
    let editor = grants.allows(Action::EditMeasures, m).then(|| {
        let title = |i: &kvalitet_domain::goals::PlanIndicator| {
            kvalitet_domain::MeasureId::parse(&i.measure)
                .ok()
                .and_then(|id| d.measures.get(&id))
                .map_or_else(
                    || i.measure.clone(),
                    |x| format!("{} ({})", x.title, i.measure),
                )
        };
        EditorView {
            based_on: plan.stored.id,
            fields: GoalFields::of(planned),
            levels: level_choices(lang),
            parents: parent_choices(&shown, Some(goal)),
            states: choices(
                lang,
                "activity.",
                ActivityState::ALL.iter().map(|a| a.code()),
            ),
            indicators: planned
                .indicators
                .iter()
                .enumerate()
                .map(|(n, i)| IndicatorForm {
                    prefix: format!("i{n}"),
                    index: n.to_string(),
                    title: title(i),
                    fields: IndicatorFields::of(i),
                })
                .collect(),
            blank: IndicatorForm {
                prefix: "in".to_owned(),
                index: String::new(),
                title: String::new(),
                fields: IndicatorFields {
                    gender: "T".to_owned(),
                    aim: Aim::Higher.code().to_owned(),
                    weight: "1".to_owned(),
                    trend_base: TrendBase::Previous.code().to_owned(),
                    ..IndicatorFields::default()
                },
            },
            aims: choices(lang, "goal_aim.", Aim::ALL.iter().map(|a| a.code())),
            genders: choices(lang, "g_", ["T", "K", "M"].into_iter()),
            trend_bases: choices(lang, "trend_base.", TrendBase::ALL.iter().map(|b| b.code())),
            has_children: plan
                .plan
                .goals
                .iter()
                .any(|c| c.parent.as_deref() == Some(goal)),
        }
    });
    let g = shown
        .goals
        .into_iter()
        .find(|v| v.id == goal)
        .ok_or_else(not_found)?;
    let sent_back = failed.is_some();
    let chosen = failed
        .as_ref()
        .filter(|f| f.form() == "s")
        .and_then(|f| f.typed("status"))
        .or(g.suggested_official)
        .unwrap_or("")
        .to_owned();
    let view = GoalPageView {
        m: Named::of(&d, m),
        csrf: &session.csrf_token,
        notice,
        g,
        period,
        plan_said,
        year,
        history,
        can_judge: grants.allows(Action::Publish, m),
        officials: choices(lang, "official.", Official::ALL.iter().map(|o| o.code())),
        chosen,
        failed,
        editor,
        other_path: format!(
            "{}/admin/kommun/{m}/mal/{}",
            lang.other().base(),
            crate::site::encode(goal)
        ),
    };
    let response = render_private(state, lang, session, "goal-admin.html", view);
    Ok(answered(response, sent_back))
}

/// The judgement form.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct StatusFields {
    status: String,
    motivation: String,
}

/// `POST /admin/kommun/{id}/mal/{goal}/status`: a goal's official status with its
/// motivation, by an administrator; or the form back with the problem beside its field.
pub async fn set_status<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, goal)): Path<(String, String)>,
    change: Change<StatusFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::Publish)?;
    let set = goals_app::set_status(
        &state.store,
        &session.user.grants,
        &m,
        &goal,
        &f.status,
        &f.motivation,
        &state.actor(session),
    )
    .await;
    match set {
        Ok(()) => {
            state.invalidate_version();
            Ok(redirect(
                &format!(
                    "{}/{}?klart=bedomd",
                    goals_path(lang, &m),
                    crate::site::encode(&goal)
                ),
                &[],
            ))
        }
        Err(refusal) => {
            let problems = refusal.into_problems()?;
            let failed = Failed::new(lang, "s", f, &problems);
            goal_page(&state, lang, session, &m, &goal, None, Some(failed)).await
        }
    }
}

/// The stored plan a form was made from (`based_on`), as the use case takes it.
fn based_on(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// Makes one change to the plan being worked on, checked against the measures the
/// municipality may follow.
async fn edit<S: Store>(
    state: &AppState<S>,
    session: &SessionRecord,
    m: &MunicipalityId,
    based_on_text: &str,
    change: PlanEdit,
) -> Result<i64, kvalitet_app::refusal::Refusal> {
    let known = state.store.known_ids().await?;
    let known_measure = |id: &str| {
        kvalitet_domain::MeasureId::parse(id).is_ok_and(|id| known.measures.contains(&id))
    };
    goals_app::edit_plan(
        &state.store,
        &session.user.grants,
        m,
        based_on(based_on_text),
        change,
        known_measure,
        &state.actor(session),
    )
    .await
}

/// A refusal's problems placed beside the fields of the form they belong to, however deep
/// the plan's rules put them ("goal \"kf1\": indicator 2: target …").
fn sent_back_form(
    lang: Lang,
    form: impl Into<String>,
    typed: &impl Serialize,
    problems: &[Message],
) -> Failed {
    Failed::located(lang, form, typed, problems, |p| {
        p.inner_field_problem()
            .map(|(field, alone)| (field.to_owned(), alone))
    })
}

fn goal_path(lang: Lang, m: &MunicipalityId, goal: &str) -> String {
    format!("{}/{}", goals_path(lang, m), crate::site::encode(goal))
}

/// A goal's form: the plan it was made from and the goal's fields.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct GoalForm {
    based_on: String,
    #[serde(flatten)]
    fields: GoalFields,
}

/// `POST /admin/kommun/{id}/malplan/nytt-mal`: a new goal from the staff goals page, saved
/// into the draft; then its own page, to add indicators. Or the form back with each problem.
pub async fn add_goal<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<GoalForm>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let result = match kvalitet_domain::goals::goal_from_fields(&f.fields) {
        Ok(goal) => edit(&state, session, &m, &f.based_on, PlanEdit::AddGoal(goal))
            .await
            .map_err(|r| r.into_problems()),
        Err(problems) => Err(Ok(problems)),
    };
    match result {
        Ok(_) => {
            state.invalidate_version();
            Ok(redirect(
                &format!("{}?klart=sparad", goal_path(lang, &m, f.fields.id.trim())),
                &[],
            ))
        }
        Err(problems) => {
            let failed = sent_back_form(lang, "n", f, &(problems?));
            overview_page(&state, lang, session, &m, None, Some(failed)).await
        }
    }
}

/// `POST /admin/kommun/{id}/mal/{goal}/andra`: a goal's own fields saved into the draft
/// (its id stays; its indicators have their own forms).
pub async fn save_goal<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, goal)): Path<(String, String)>,
    change: Change<GoalForm>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let fields = GoalFields {
        id: goal.clone(),
        ..f.fields.clone()
    };
    let result = match kvalitet_domain::goals::goal_from_fields(&fields) {
        Ok(g) => edit(&state, session, &m, &f.based_on, PlanEdit::UpdateGoal(g))
            .await
            .map_err(|r| r.into_problems()),
        Err(problems) => Err(Ok(problems)),
    };
    changed(&state, lang, session, &m, &goal, "g".to_owned(), f, result).await
}

/// The answer to a change on a goal's page: back to the page with its notice, or the page
/// with the form sent back.
#[allow(clippy::too_many_arguments)]
async fn changed<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    goal: &str,
    form: String,
    typed: &impl Serialize,
    result: Result<i64, Result<Vec<Message>, kvalitet_app::refusal::Refusal>>,
) -> Result<Response, WebError> {
    match result {
        Ok(_) => {
            state.invalidate_version();
            Ok(redirect(
                &format!("{}?klart=sparad", goal_path(lang, m, goal)),
                &[],
            ))
        }
        Err(problems) => {
            let failed = sent_back_form(lang, form, typed, &(problems?));
            goal_page(state, lang, session, m, goal, None, Some(failed)).await
        }
    }
}

/// An indicator's form: the plan it was made from, its place (empty for a new one), and
/// whether it is saved or taken out.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct IndicatorFormFields {
    based_on: String,
    index: String,
    action: String,
    #[serde(flatten)]
    fields: IndicatorFields,
}

/// `POST /admin/kommun/{id}/mal/{goal}/indikator`: an indicator of the goal added, saved
/// or (`action=remove`) taken out, in the draft.
pub async fn save_indicator<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, goal)): Path<(String, String)>,
    change: Change<IndicatorFormFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let index = f.index.trim().parse::<usize>().ok();
    let prefix = index.map_or_else(|| "in".to_owned(), |n| format!("i{n}"));
    let change = match (f.action.as_str(), index) {
        ("remove", Some(index)) => Ok(PlanEdit::RemoveIndicator {
            goal: goal.clone(),
            index,
        }),
        _ => kvalitet_domain::goals::indicator_from_fields(&f.fields).map(|indicator| {
            PlanEdit::SetIndicator {
                goal: goal.clone(),
                index,
                indicator,
            }
        }),
    };
    let result = match change {
        Ok(change) => edit(&state, session, &m, &f.based_on, change)
            .await
            .map_err(|r| r.into_problems()),
        Err(problems) => Err(Ok(problems)),
    };
    changed(&state, lang, session, &m, &goal, prefix, f, result).await
}

/// Taking a goal out: the plan it was made from and the editor's yes.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct RemoveGoalFields {
    based_on: String,
    confirmed: String,
}

/// `POST /admin/kommun/{id}/mal/{goal}/ta-bort`: the goal taken out of the draft (not while
/// goals sit under it); its judgements stay on record.
pub async fn remove_goal<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, goal)): Path<(String, String)>,
    change: Change<RemoveGoalFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    if f.confirmed != "1" {
        let problem = Message::in_field("confirmed", Message::new("goal_remove_confirm"));
        let failed = Failed::new(lang, "r", f, &[problem]);
        return goal_page(&state, lang, session, &m, &goal, None, Some(failed)).await;
    }
    match edit(
        &state,
        session,
        &m,
        &f.based_on,
        PlanEdit::RemoveGoal(goal.clone()),
    )
    .await
    {
        Ok(_) => {
            state.invalidate_version();
            Ok(redirect(
                &format!("{}?klart=borttaget", goals_path(lang, &m)),
                &[],
            ))
        }
        Err(refusal) => {
            let failed = Failed::new(lang, "r", f, &refusal.into_problems()?);
            goal_page(&state, lang, session, &m, &goal, None, Some(failed)).await
        }
    }
}
