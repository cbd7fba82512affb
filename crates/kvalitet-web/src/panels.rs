//! Citizen panels on the web, for the municipality's people: the list with the form for a
//! new panel, and a panel's page: its members (added from a list, leaving one by one), the
//! population margins and the panel beside them (also as a download), its waves with
//! participation, a new wave sent to every active member (the links as a file), and the
//! means over the waves. Every change needs a session and its CSRF token; the use cases
//! check the person's rights again.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use kvalitet_app::Store;
use kvalitet_app::panels::{self as app, Panel};
use kvalitet_app::ports::{Recruitment, SessionRecord, SurveyStatus};
use kvalitet_domain::{Action, Message, MunicipalityId};

use crate::admin::municipality;
use crate::auth::{redirect, render_private};
use crate::downloads::{self, Kind};
use crate::extract::{Change, PageLang, Session, Upload};
use crate::forms::{Failed, answered};
use crate::i18n::Lang;
use crate::site::Named;
use crate::{AppState, WebError, query_pairs};

fn panels_path(lang: Lang, m: &MunicipalityId) -> String {
    format!("{}/admin/kommun/{m}/paneler", lang.base())
}

fn panel_path(lang: Lang, m: &MunicipalityId, id: i64) -> String {
    format!("{}/{id}", panels_path(lang, m))
}

fn notice(lang: Lang, raw: Option<&str>) -> Option<String> {
    let code = query_pairs(raw)
        .into_iter()
        .find(|(k, _)| k == "klart")
        .map(|(_, v)| v)?;
    let key = match code.as_str() {
        "skapad" => "panel_notice_created",
        "medlemmar" => "panel_notice_members",
        "lamnat" => "panel_notice_left",
        "befolkning" => "panel_notice_margins",
        _ => return None,
    };
    Some(lang.t(key).to_owned())
}

fn percent(lang: Lang, share: f64) -> String {
    lang.number(share * 100.0, 0)
}

#[derive(Serialize)]
struct PanelLine {
    id: i64,
    code: String,
    title: String,
}

#[derive(Serialize)]
struct ListView<'a> {
    m: Named,
    csrf: &'a str,
    notice: Option<String>,
    panels: Vec<PanelLine>,
    can_edit: bool,
    failed: Option<Failed>,
    other_path: String,
}

/// `GET /admin/kommun/{id}/paneler`: the municipality's panels and the form for a new one.
pub async fn list<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    list_page(
        &state,
        lang,
        &session,
        &m,
        notice(lang, raw.as_deref()),
        None,
    )
    .await
}

async fn list_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    notice: Option<String>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let (_, d) = state.directory().await?;
    let panels = app::list(&state.store, &session.user.grants, m).await?;
    let sent_back = failed.is_some();
    let view = ListView {
        m: Named::of(&d, m),
        csrf: &session.csrf_token,
        notice,
        panels: panels
            .into_iter()
            .map(|p| PanelLine {
                id: p.id,
                code: p.code,
                title: p.title,
            })
            .collect(),
        can_edit: session.user.grants.allows(Action::EditMeasures, m),
        failed,
        other_path: format!("{}/admin/kommun/{m}/paneler", lang.other().base()),
    };
    let response = render_private(state, lang, session, "panels.html", view);
    Ok(answered(response, sent_back))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct NewPanelFields {
    code: String,
    title: String,
}

/// `POST /admin/kommun/{id}/paneler`: a new panel; or the form back with its problems.
pub async fn create<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<NewPanelFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let made = app::create(
        &state.store,
        &session.user.grants,
        &m,
        f.code.trim(),
        &f.title,
        &state.actor(session),
    )
    .await;
    match made {
        Ok(panel) => Ok(redirect(
            &format!("{}?klart=skapad", panel_path(lang, &m, panel)),
            &[],
        )),
        Err(refusal) => {
            let failed = Failed::new(lang, "n", f, &refusal.into_problems()?);
            list_page(&state, lang, session, &m, None, Some(failed)).await
        }
    }
}

#[derive(Serialize)]
struct LevelLine {
    level: String,
    population: Option<String>,
    panel: String,
    members: usize,
}

#[derive(Serialize)]
struct VariableLine {
    variable: String,
    levels: Vec<LevelLine>,
    discrepancy: String,
    missing: usize,
}

#[derive(Serialize)]
struct WaveLine {
    survey: i64,
    code: String,
    status: &'static str,
    answered: u64,
    invited: u64,
    rate: Option<String>,
}

#[derive(Serialize)]
struct MemberLine {
    id: i64,
    email: String,
    recruitment: &'static str,
    joined_on: String,
    left_on: Option<String>,
    background: String,
    replacement: bool,
}

#[derive(Serialize)]
struct SeriesLine {
    text: String,
    points: Vec<Option<String>>,
}

#[derive(Serialize)]
struct WaveChoice {
    id: i64,
    label: String,
}

#[derive(Serialize)]
struct PanelView<'a> {
    m: Named,
    csrf: &'a str,
    notice: Option<String>,
    id: i64,
    code: String,
    title: String,
    active: usize,
    probability: usize,
    self_recruited: usize,
    left: usize,
    replacements: usize,
    reference_date: Option<String>,
    variables: Vec<VariableLine>,
    waves: Vec<WaveLine>,
    cumulative: Option<String>,
    answered: u64,
    invited: u64,
    series: Vec<SeriesLine>,
    wave_codes: Vec<String>,
    /// Surveys that can be sent as a new wave.
    choices: Vec<WaveChoice>,
    /// The latest members, at most [`MEMBERS_SHOWN`], and how many more there are.
    members: Vec<MemberLine>,
    members_not_shown: usize,
    today: String,
    can_edit: bool,
    failed: Option<Failed>,
    other_path: String,
}

/// The most members listed on the page (a panel may have thousands; the counts above cover
/// them all).
const MEMBERS_SHOWN: usize = 500;

fn recruitment_words(lang: Lang, r: Recruitment) -> &'static str {
    lang.t(match r {
        Recruitment::Probability => "panel_recruitment.probability",
        Recruitment::SelfRecruited => "panel_recruitment.self",
    })
}

async fn panel_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    id: i64,
    notice: Option<String>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let (_, d) = state.directory().await?;
    let grants = &session.user.grants;
    let p = app::load(&state.store, grants, m, id).await?;
    let series = app::series(&state.store, grants, m, &p).await?;
    let surveys = kvalitet_app::surveys::list(&state.store, grants, m).await?;
    let active: Vec<&app::Member> = p.members.iter().filter(|x| x.active()).collect();
    let (answered_all, invited_all) = p.cumulative();
    let sent_back = failed.is_some();
    let view = PanelView {
        m: Named::of(&d, m),
        csrf: &session.csrf_token,
        notice,
        id,
        code: p.stored.code.clone(),
        title: p.stored.title.clone(),
        active: active.len(),
        probability: active
            .iter()
            .filter(|x| x.stored.recruitment == Recruitment::Probability)
            .count(),
        self_recruited: active
            .iter()
            .filter(|x| x.stored.recruitment == Recruitment::SelfRecruited)
            .count(),
        left: p.members.len() - active.len(),
        replacements: p
            .members
            .iter()
            .filter(|x| x.stored.replaces.is_some())
            .count(),
        reference_date: p.reference_date.clone(),
        variables: variables(lang, &p),
        waves: p
            .waves
            .iter()
            .map(|w| WaveLine {
                survey: w.survey,
                code: w.code.clone(),
                status: lang.t(&format!("survey_status.{}", w.status)),
                answered: w.answered,
                invited: w.invited,
                rate: (w.invited > 0).then(|| percent(lang, w.answered as f64 / w.invited as f64)),
            })
            .collect(),
        cumulative: (invited_all > 0)
            .then(|| percent(lang, answered_all as f64 / invited_all as f64)),
        answered: answered_all,
        invited: invited_all,
        wave_codes: p.waves.iter().map(|w| w.code.clone()).collect(),
        series: series
            .into_iter()
            .map(|s| SeriesLine {
                text: s.text,
                points: s
                    .points
                    .iter()
                    .map(|(_, e)| {
                        e.map(|e| match e.margin {
                            Some(margin) => {
                                format!("{} ± {}", lang.number(e.value, 1), lang.number(margin, 1))
                            }
                            None => lang.number(e.value, 1),
                        })
                    })
                    .collect(),
            })
            .collect(),
        choices: surveys
            .iter()
            .filter(|s| s.stored.status != SurveyStatus::Closed && s.stored.panel.is_none())
            .map(|s| WaveChoice {
                id: s.stored.id,
                label: format!(
                    "{} ({})",
                    s.questionnaire.title.in_english(lang == Lang::En),
                    s.stored.code
                ),
            })
            .collect(),
        members_not_shown: p.members.len().saturating_sub(MEMBERS_SHOWN),
        members: p
            .members
            .iter()
            .rev()
            .take(MEMBERS_SHOWN)
            .map(|x| MemberLine {
                id: x.stored.id,
                email: x.stored.email.clone().unwrap_or_default(),
                recruitment: recruitment_words(lang, x.stored.recruitment),
                joined_on: x.stored.joined_on.clone(),
                left_on: x.stored.left_on.clone(),
                background: x
                    .background
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                replacement: x.stored.replaces.is_some(),
            })
            .collect(),
        today: app::today(state.clock.now()),
        can_edit: grants.allows(Action::EditMeasures, m),
        failed,
        other_path: format!("{}/admin/kommun/{m}/paneler/{id}", lang.other().base()),
    };
    let response = render_private(state, lang, session, "panel.html", view);
    Ok(answered(response, sent_back))
}

fn variables(lang: Lang, p: &Panel) -> Vec<VariableLine> {
    app::representativeness(p)
        .into_iter()
        .map(|v| VariableLine {
            variable: v.variable,
            levels: v
                .levels
                .into_iter()
                .map(|l| LevelLine {
                    level: l.level,
                    population: l.population.map(|s| percent(lang, s)),
                    panel: percent(lang, l.panel),
                    members: l.members,
                })
                .collect(),
            discrepancy: lang.number(v.discrepancy, 1),
            missing: v.missing,
        })
        .collect()
}

/// `GET /admin/kommun/{id}/paneler/{panel}`: a panel for its municipality's people.
pub async fn panel<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, panel)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    panel_page(
        &state,
        lang,
        &session,
        &m,
        panel,
        notice(lang, raw.as_deref()),
        None,
    )
    .await
}

/// The text of an uploaded file (CSV or a spreadsheet's first sheet), or its problem.
fn uploaded_text(upload: &Upload) -> Result<String, Message> {
    let file = upload
        .files()
        .iter()
        .find(|f| f.field == "file")
        .ok_or_else(|| Message::new("no_file_sent"))?;
    kvalitet_formats::table::upload_text(&file.bytes).map(|t| t.into_owned())
}

/// `POST /admin/kommun/{id}/paneler/{panel}/medlemmar`: members from a list, all or none;
/// or the page back with each problem of the list.
pub async fn add_members<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, panel)): Path<(String, i64)>,
    upload: Upload,
) -> Result<Response, WebError> {
    let session = &upload.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let added = match uploaded_text(&upload) {
        Ok(text) => {
            app::add_members(
                &state.store,
                &session.user.grants,
                &m,
                panel,
                &text,
                &app::today(state.clock.now()),
                &state.actor(session),
            )
            .await
        }
        Err(problem) => Err(kvalitet_app::refusal::Refusal::Invalid(problem)),
    };
    match added {
        Ok(_) => Ok(redirect(
            &format!("{}?klart=medlemmar", panel_path(lang, &m, panel)),
            &[],
        )),
        Err(refusal) => {
            let problems = refusal.into_problems()?;
            let failed = Failed::located(lang, "a", &serde_json::json!({}), &problems, |p| {
                Some(("file".to_owned(), p))
            });
            panel_page(&state, lang, session, &m, panel, None, Some(failed)).await
        }
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct LeaveFields {
    on: String,
}

/// `POST /admin/kommun/{id}/paneler/{panel}/medlem/{member}/lamnar`: a member has left.
pub async fn leave<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, panel, member)): Path<(String, i64, i64)>,
    change: Change<LeaveFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let on = match change.form.on.trim() {
        "" => app::today(state.clock.now()),
        d => d.to_owned(),
    };
    if time::Date::parse(&on, &time::format_description::well_known::Iso8601::DATE).is_err() {
        return Err(WebError::invalid(
            Message::new("not_a_date").with("value", format!("{on:?}")),
        ));
    }
    app::leave(
        &state.store,
        &session.user.grants,
        &m,
        panel,
        member,
        &on,
        &state.actor(session),
    )
    .await?;
    Ok(redirect(
        &format!("{}?klart=lamnat", panel_path(lang, &m, panel)),
        &[],
    ))
}

/// `POST /admin/kommun/{id}/paneler/{panel}/befolkning`: the population margins (a targets
/// file) with their reference date; or the page back with each problem.
pub async fn margins<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, panel)): Path<(String, i64)>,
    upload: Upload,
) -> Result<Response, WebError> {
    let session = &upload.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let date = upload.field("reference_date").trim().to_owned();
    let set = match uploaded_text(&upload) {
        Ok(text) => {
            app::set_margins(
                &state.store,
                &session.user.grants,
                &m,
                panel,
                &date,
                &text,
                &state.actor(session),
            )
            .await
        }
        Err(problem) => Err(kvalitet_app::refusal::Refusal::Invalid(Message::in_field(
            "file", problem,
        ))),
    };
    match set {
        Ok(_) => Ok(redirect(
            &format!("{}?klart=befolkning", panel_path(lang, &m, panel)),
            &[],
        )),
        Err(refusal) => {
            let problems = refusal.into_problems()?;
            let typed = serde_json::json!({ "reference_date": date });
            let failed = Failed::located(lang, "b", &typed, &problems, |p| {
                Some(match p.field_problem() {
                    Some(("reference_date", alone)) => ("reference_date".to_owned(), alone),
                    Some((_, alone)) => ("file".to_owned(), alone),
                    None => ("file".to_owned(), p),
                })
            });
            panel_page(&state, lang, session, &m, panel, None, Some(failed)).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WaveFields {
    survey: String,
}

/// `POST /admin/kommun/{id}/paneler/{panel}/omgang`: a survey sent to every active member
/// as a wave, answered as a CSV file of addresses and personal links to send.
pub async fn start_wave<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, panel)): Path<(String, i64)>,
    change: Change<WaveFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let survey: i64 = change
        .form
        .survey
        .trim()
        .parse()
        .map_err(|_| WebError::invalid(Message::new("survey_not_found")))?;
    let made = app::start_wave(
        &state.store,
        &session.user.grants,
        &m,
        panel,
        survey,
        &state.actor(session),
    )
    .await?;
    Ok(crate::surveys::links_file(&state, lang, survey, &made))
}

/// `GET /admin/kommun/{id}/paneler/{panel}/{file}`: the representativeness report
/// (`representativitet.csv`, `-excel.csv`, `.xlsx`): each variable's levels with the
/// population's share, the active members' share and count.
pub async fn report<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, panel, file)): Path<(String, i64, String)>,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    let kind = match file.as_str() {
        "representativitet.csv" => Kind::Csv,
        "representativitet-excel.csv" => Kind::ExcelCsv,
        "representativitet.xlsx" => Kind::Xlsx,
        _ => {
            return Err(WebError::coded(
                axum::http::StatusCode::NOT_FOUND,
                Message::new("panel_not_found"),
            ));
        }
    };
    let p = app::load(&state.store, &session.user.grants, &m, panel).await?;
    let machine = |x: Option<f64>| downloads::machine_number(x);
    let rows = app::representativeness(&p)
        .into_iter()
        .flat_map(|v| {
            v.levels.into_iter().map(move |l| {
                vec![
                    v.variable.clone(),
                    l.level,
                    machine(l.population),
                    machine(Some(l.panel)),
                    l.members.to_string(),
                ]
            })
        })
        .collect();
    let table = downloads::Table {
        title: p.stored.title.clone(),
        header: [
            "variable",
            "level",
            "population_share",
            "panel_share",
            "members",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows,
        numeric: vec![false, false, true, true, true],
    };
    let about = [(
        lang.t("panel_reference_date").to_owned(),
        p.reference_date.clone().unwrap_or_default(),
    )];
    let mut r = downloads::respond(
        kind,
        &table,
        &format!("{}-representativitet", p.stored.code),
        &about,
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
