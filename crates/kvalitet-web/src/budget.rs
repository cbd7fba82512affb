//! Citizen budgets on the web (docs/dialogue.md). For the municipality's people: the rounds
//! with the form for a new one and the import of a `.pb` file; a round's page (projects added
//! and judged with a published reason, voting opened with the lot drawn, one-time codes made
//! as a file to print, the count when voting is over, the `.pb` export). For residents: the
//! round's public page, which states the rules before voting, takes a ballot with a one-time
//! code while voting is open (without script, on a phone), and afterwards explains in plain
//! words why each project won or lost and what each rule would have chosen. Staff changes need
//! a session and its CSRF token; the ballot form carries a double-submit token.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Form, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use kvalitet_app::Store;
use kvalitet_app::budget::{
    self as app, BallotForm, CountedRound, FateRecord, ProjectForm, Round, RoundForm, RuleResult,
};
use kvalitet_app::ports::{SessionRecord, StoredBudgetRound};
use kvalitet_domain::budget::{BallotKind, Rule};
use kvalitet_domain::budget_round::{BudgetStatus, Feasibility, Identification, WindowPlace};
use kvalitet_domain::goals::Linked;
use kvalitet_domain::{Action, Message, MunicipalityId};

use crate::admin::municipality;
use crate::auth::{private_page, redirect, render_private};
use crate::downloads::{self, Kind};
use crate::extract::{Change, PageLang, Pairs, Session, Upload};
use crate::forms::{Failed, answered};
use crate::goal_links::{GoalLinkForm, GoalLinkView, form_for, public_link};
use crate::i18n::Lang;
use crate::site::Named;
use crate::surveys::NoFields;
use crate::{AppState, WebError, query_pairs};

fn rounds_path(lang: Lang, m: &MunicipalityId) -> String {
    format!("{}/admin/kommun/{m}/medborgarbudget", lang.base())
}

fn round_path(lang: Lang, m: &MunicipalityId, id: i64) -> String {
    format!("{}/{id}", rounds_path(lang, m))
}

fn public_path(lang: Lang, m: &MunicipalityId, code: &str) -> String {
    format!("{}/kommun/{m}/medborgarbudget/{code}", lang.base())
}

fn notice(lang: Lang, raw: Option<&str>) -> Option<String> {
    let code = query_pairs(raw)
        .into_iter()
        .find(|(k, _)| k == "klart")
        .map(|(_, v)| v)?;
    let key = match code.as_str() {
        "skapad" => "budget_notice_created",
        "projekt" => "budget_notice_project",
        "bedomt" => "budget_notice_judged",
        "oppnad" => "budget_notice_opened",
        "raknad" => "budget_notice_counted",
        "inlast" => "budget_notice_imported",
        "mal" => "goal_link_notice",
        _ => return None,
    };
    Some(lang.t(key).to_owned())
}

fn kronor(lang: Lang, n: u64) -> String {
    format!("{} kr", lang.number(n as f64, 0))
}

fn status_words(lang: Lang, status: BudgetStatus) -> &'static str {
    lang.t(&format!("budget_status.{}", status.code()))
}

fn rule_words(lang: Lang, rule: Rule) -> &'static str {
    lang.t(&format!("budget_rule.{}", rule.code()))
}

#[derive(Serialize)]
struct Choice {
    code: String,
    label: String,
}

#[derive(Serialize)]
struct RoundLine {
    id: i64,
    code: String,
    title: String,
    status: &'static str,
}

/// What a round's rules say to a reader: the amount, how to vote, the rule, the days.
#[derive(Serialize)]
struct Rules {
    amount: String,
    ballot: String,
    rule: &'static str,
    rule_explained: &'static str,
    window: String,
    areas: Vec<String>,
    /// How a participant identifies, in words; and whether by e-mail.
    identification: &'static str,
    by_email: bool,
}

fn rules(lang: Lang, r: &StoredBudgetRound) -> Rules {
    let s = &r.setup;
    let ballot = match s.ballot.kind {
        BallotKind::Approval => match s.ballot.max_projects {
            Some(max) => lang
                .t("budget_ballot_approval_max")
                .replace("{max}", &max.to_string()),
            None => lang.t("budget_ballot_approval").to_owned(),
        },
        BallotKind::Points => lang
            .t("budget_ballot_points")
            .replace("{points}", &s.ballot.points.to_string()),
    };
    Rules {
        amount: kronor(lang, s.amount),
        ballot,
        rule: rule_words(lang, s.rule),
        rule_explained: lang.t(&format!("budget_rule_explained.{}", s.rule.code())),
        window: lang
            .t("budget_window")
            .replace("{first}", &s.window.first_day.to_string())
            .replace("{last}", &s.window.last_day.to_string()),
        areas: s.areas.clone(),
        identification: lang.t(&format!(
            "budget_identification.{}",
            s.identification.code()
        )),
        by_email: s.identification == Identification::Email,
    }
}

#[derive(Serialize)]
struct ListView<'a> {
    m: Named,
    csrf: &'a str,
    notice: Option<String>,
    rounds: Vec<RoundLine>,
    can_edit: bool,
    kinds: Vec<Choice>,
    rule_choices: Vec<Choice>,
    identifications: Vec<Choice>,
    failed: Option<Failed>,
    other_path: String,
}

fn kinds(lang: Lang) -> Vec<Choice> {
    ["approval", "points"]
        .iter()
        .map(|k| Choice {
            code: (*k).to_owned(),
            label: lang.t(&format!("budget_kind.{k}")).to_owned(),
        })
        .collect()
}

fn rule_choices(lang: Lang) -> Vec<Choice> {
    ["mes-add1", "mes", "greedy"]
        .iter()
        .filter_map(|c| Rule::from_code(c))
        .map(|r| Choice {
            code: r.code().to_owned(),
            label: rule_words(lang, r).to_owned(),
        })
        .collect()
}

/// `GET /admin/kommun/{id}/medborgarbudget`: the rounds and the forms for a new one.
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
    let rounds = app::rounds_for_staff(&state.store, &session.user.grants, m).await?;
    let sent_back = failed.is_some();
    let view = ListView {
        m: Named::of(&d, m),
        csrf: &session.csrf_token,
        notice,
        rounds: rounds
            .iter()
            .map(|r| RoundLine {
                id: r.id,
                code: r.setup.code.clone(),
                title: r.setup.title.clone(),
                status: status_words(lang, r.status),
            })
            .collect(),
        can_edit: session.user.grants.allows(Action::EditMeasures, m),
        kinds: kinds(lang),
        rule_choices: rule_choices(lang),
        identifications: ["codes", "email"]
            .iter()
            .map(|c| Choice {
                code: (*c).to_owned(),
                label: lang.t(&format!("budget_identification.{c}")).to_owned(),
            })
            .collect(),
        failed,
        other_path: format!("{}/admin/kommun/{m}/medborgarbudget", lang.other().base()),
    };
    let response = render_private(state, lang, session, "budgets.html", view);
    Ok(answered(response, sent_back))
}

/// `POST /admin/kommun/{id}/medborgarbudget`: a new round as a draft, or the form back.
pub async fn create<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<RoundForm>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let grants = &session.user.grants;
    match app::create_round(&state.store, grants, &m, f, &state.actor(session)).await {
        Ok(round) => Ok(redirect(
            &format!("{}?klart=skapad", round_path(lang, &m, round)),
            &[],
        )),
        Err(refusal) => {
            let failed = Failed::new(lang, "n", f, &refusal.into_problems()?);
            list_page(&state, lang, session, &m, None, Some(failed)).await
        }
    }
}

/// `POST /admin/kommun/{id}/medborgarbudget/fil`: a round read from a `.pb` file.
pub async fn import<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    upload: Upload,
) -> Result<Response, WebError> {
    let session = &upload.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let typed = RoundForm {
        code: upload.field("code").trim().to_owned(),
        title: upload.field("title").to_owned(),
        rule: upload.field("rule").to_owned(),
        first_day: upload.field("first_day").to_owned(),
        last_day: upload.field("last_day").to_owned(),
        ..RoundForm::default()
    };
    let bytes = upload
        .files()
        .iter()
        .find(|f| f.field == "file")
        .map(|f| f.bytes.clone())
        .unwrap_or_default();
    let grants = &session.user.grants;
    let actor = state.actor(session);
    match app::import_pb(&state.store, grants, &m, &typed, &bytes, &actor).await {
        Ok(round) => Ok(redirect(
            &format!("{}?klart=inlast", round_path(lang, &m, round)),
            &[],
        )),
        Err(refusal) => {
            let failed = Failed::new(lang, "i", &typed, &refusal.into_problems()?);
            list_page(&state, lang, session, &m, None, Some(failed)).await
        }
    }
}

#[derive(Serialize)]
struct ProjectLine {
    id: i64,
    code: String,
    title: String,
    description: String,
    cost: String,
    area: String,
    by_resident: bool,
    feasibility: &'static str,
    pending: bool,
    feasible: bool,
    reason: String,
}

fn project_lines(lang: Lang, round: &Round) -> Vec<ProjectLine> {
    round
        .projects
        .iter()
        .map(|p| ProjectLine {
            id: p.id,
            code: p.code.clone(),
            title: p.title.clone(),
            description: p.description.clone(),
            cost: kronor(lang, p.cost),
            area: p.area.clone(),
            by_resident: p.proposed_by == kvalitet_domain::budget_round::ProposedBy::Resident,
            feasibility: lang.t(&format!("budget_feasibility.{}", p.feasibility.code())),
            pending: p.feasibility == Feasibility::Pending,
            feasible: p.feasibility == Feasibility::Feasible,
            reason: p.reason.clone(),
        })
        .collect()
}

#[derive(Serialize)]
struct RoundView<'a> {
    m: Named,
    csrf: &'a str,
    notice: Option<String>,
    id: i64,
    title: String,
    description: String,
    status: &'static str,
    draft: bool,
    open: bool,
    counted: bool,
    rules: Rules,
    public_path: Option<String>,
    codes: u64,
    ballots: u64,
    projects: Vec<ProjectLine>,
    can_edit: bool,
    goal_form: Option<GoalLinkForm>,
    failed: Option<Failed>,
    other_path: String,
}

async fn round_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    id: i64,
    notice: Option<String>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let (_, d) = state.directory().await?;
    let round = app::for_staff(&state.store, &session.user.grants, m, id).await?;
    let s = &round.stored;
    let sent_back = failed.is_some();
    let view = RoundView {
        goal_form: form_for(
            state,
            lang,
            &session.user.grants,
            m,
            Linked::BudgetRound,
            &id.to_string(),
        )
        .await?,
        m: Named::of(&d, m),
        csrf: &session.csrf_token,
        notice,
        id,
        title: s.setup.title.clone(),
        description: s.setup.description.clone(),
        status: status_words(lang, s.status),
        draft: s.status == BudgetStatus::Draft,
        open: s.status == BudgetStatus::Open,
        counted: s.status == BudgetStatus::Counted,
        rules: rules(lang, s),
        public_path: (s.status != BudgetStatus::Draft).then(|| public_path(lang, m, &s.setup.code)),
        codes: s.codes,
        ballots: s.ballots,
        projects: project_lines(lang, &round),
        can_edit: session.user.grants.allows(Action::EditMeasures, m),
        failed,
        other_path: format!(
            "{}/admin/kommun/{m}/medborgarbudget/{id}",
            lang.other().base()
        ),
    };
    let response = render_private(state, lang, session, "budget.html", view);
    Ok(answered(response, sent_back))
}

/// `GET /admin/kommun/{id}/medborgarbudget/{round}`: a round's page for its staff.
pub async fn round<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, round)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    round_page(
        &state,
        lang,
        &session,
        &m,
        round,
        notice(lang, raw.as_deref()),
        None,
    )
    .await
}

/// `POST /admin/kommun/{id}/medborgarbudget/{round}/projekt`: a project added to a draft.
pub async fn add_project<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, round)): Path<(String, i64)>,
    change: Change<ProjectForm>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let grants = &session.user.grants;
    let actor = state.actor(session);
    match app::add_project(&state.store, grants, &m, round, f, &actor).await {
        Ok(_) => Ok(redirect(
            &format!("{}?klart=projekt", round_path(lang, &m, round)),
            &[],
        )),
        Err(refusal) => {
            let failed = Failed::new(lang, "p", f, &refusal.into_problems()?);
            round_page(&state, lang, session, &m, round, None, Some(failed)).await
        }
    }
}

/// What the judgement form sends.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct JudgeFields {
    feasible: String,
    reason: String,
}

/// `POST /admin/kommun/{id}/medborgarbudget/{round}/projekt/{project}`: whether a project
/// can be carried out, with the published reason.
pub async fn judge<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, round, project)): Path<(String, i64, i64)>,
    change: Change<JudgeFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let grants = &session.user.grants;
    let actor = state.actor(session);
    let feasible = f.feasible == "yes";
    let judgement = app::Judgement {
        project,
        feasible,
        reason: &f.reason,
    };
    match app::judge(&state.store, grants, &m, round, judgement, &actor).await {
        Ok(()) => Ok(redirect(
            &format!("{}?klart=bedomt", round_path(lang, &m, round)),
            &[],
        )),
        Err(refusal) => {
            let failed = Failed::new(lang, format!("j{project}"), f, &refusal.into_problems()?);
            round_page(&state, lang, session, &m, round, None, Some(failed)).await
        }
    }
}

/// What a round's step (opening, counting) answers: the round's page with its notice, the
/// voters' copies of the municipality's rounds dropped; or the page with the refusal.
async fn after_step<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    round: i64,
    (form, notice): (&str, &str),
    done: Result<(), kvalitet_app::refusal::Refusal>,
) -> Result<Response, WebError> {
    match done {
        Ok(()) => {
            state.open_rounds.forget(m);
            let page = round_path(lang, m, round);
            Ok(redirect(&format!("{page}?klart={notice}"), &[]))
        }
        Err(refusal) => {
            let failed = Failed::new(lang, form, &NoFields {}, &refusal.into_problems()?);
            round_page(state, lang, session, m, round, None, Some(failed)).await
        }
    }
}

/// `POST /admin/kommun/{id}/medborgarbudget/{round}/oppna`: voting opened, the lot drawn.
pub async fn open<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, round)): Path<(String, i64)>,
    change: Change<NoFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let actor = state.actor(session);
    let done = app::open(&state.store, &session.user.grants, &m, round, &actor).await;
    after_step(&state, lang, session, &m, round, ("o", "oppnad"), done).await
}

/// `POST /admin/kommun/{id}/medborgarbudget/{round}/rakna`: the count, once voting is over.
pub async fn count<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, round)): Path<(String, i64)>,
    change: Change<NoFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let actor = state.actor(session);
    let done = app::count_round(&state.store, &session.user.grants, &m, round, &actor).await;
    after_step(&state, lang, session, &m, round, ("c", "raknad"), done).await
}

/// What the codes form sends.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct CodesFields {
    count: String,
}

/// `POST /admin/kommun/{id}/medborgarbudget/{round}/koder`: one-time codes made, given as a
/// CSV file this once (only their hashes are kept).
pub async fn codes<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, round)): Path<(String, i64)>,
    change: Change<CodesFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let n = f.count.trim().parse::<usize>().unwrap_or(0);
    let grants = &session.user.grants;
    let actor = state.actor(session);
    let made = match app::make_codes(&state.store, grants, &m, round, n, &actor).await {
        Ok(made) => made,
        Err(refusal) => {
            let failed = Failed::new(lang, "k", f, &refusal.into_problems()?);
            return round_page(&state, lang, session, &m, round, None, Some(failed)).await;
        }
    };
    let r = app::for_staff(&state.store, grants, &m, round).await?;
    let address = format!(
        "{}{}",
        state.public_url,
        public_path(lang, &m, &r.stored.setup.code)
    );
    let table = downloads::Table {
        title: lang.t("budget_codes_file").to_owned(),
        header: vec!["code".to_owned(), "address".to_owned()],
        rows: made
            .into_iter()
            .map(|code| vec![code, address.clone()])
            .collect(),
        numeric: vec![false, false],
    };
    let mut r = downloads::respond(Kind::Csv, &table, &format!("koder-{round}"), &[]);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

fn pb_response(text: String, name: &str, public: bool) -> Response {
    let mut r = Response::new(axum::body::Body::from(text));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.pb\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if public { "no-cache" } else { "no-store" }),
    );
    r
}

/// `GET /admin/kommun/{id}/medborgarbudget/{round}/omgang.pb`: the round as a `.pb` file.
pub async fn export<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, round)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    let r = app::for_staff(&state.store, &session.user.grants, &m, round).await?;
    let text = app::export_pb(&state.store, &r).await?;
    Ok(pb_response(text, &r.stored.setup.code, false))
}

/// `GET /kommun/{id}/medborgarbudget/{code}/omgang.pb`: a counted round's ballots and
/// result as open data.
pub async fn public_export<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Path((id, code)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let r = app::for_public(&state.store, &m, &code, false).await?;
    if r.stored.status != BudgetStatus::Counted {
        return Err(not_found());
    }
    let text = app::export_pb(&state.store, &r).await?;
    Ok(pb_response(text, &r.stored.setup.code, true))
}

fn not_found() -> WebError {
    WebError::coded(
        StatusCode::NOT_FOUND,
        Message::new("budget_round_not_found"),
    )
}

fn public_municipality(id: &str) -> Result<MunicipalityId, WebError> {
    MunicipalityId::parse(id).map_err(|_| not_found())
}

/// A project on the public page: what it is, and once counted how it fared.
#[derive(Serialize)]
struct PublicProject {
    id: i64,
    code: String,
    title: String,
    description: String,
    cost: String,
    area: String,
    /// The points or tick sent back with a ballot that was refused.
    given: String,
    funded: bool,
    votes: String,
    why: String,
    /// Per rule: funded or not, in the rules' order.
    by_rule: Vec<bool>,
}

#[derive(Serialize)]
struct Participation {
    ballots: String,
    codes: String,
    by_area: Vec<(String, String)>,
}

#[derive(Serialize)]
struct PublicView<'a> {
    m: Named,
    title: String,
    description: String,
    status: &'static str,
    rules: Rules,
    /// The lot as drawn: the projects' titles in order.
    lot: Vec<String>,
    voting: bool,
    points: bool,
    not_yet: bool,
    over: bool,
    counted: bool,
    funded_total: String,
    rule_names: Vec<&'static str>,
    projects: Vec<PublicProject>,
    not_on_ballot: Vec<PublicProject>,
    participation: Option<Participation>,
    /// Voters identify by a confirmed e-mail address instead of a code.
    by_email: bool,
    goal: Option<GoalLinkView>,
    action: String,
    csrf: &'a str,
    area: String,
    thanks: bool,
    failed: Option<Failed>,
    pb_path: Option<String>,
    other_path: String,
}

/// Rounds open for voting as their voters read them, for a few seconds: every ballot would
/// otherwise read the round and its projects again (two reads of four per ballot at busy
/// times). Safe to keep: an open round's rules, days, lot and projects no longer change, and
/// the store refuses a ballot once the round is counted, whatever a voter's copy says; the
/// copy is read again after [`OPEN_ROUND_SECONDS`] so the page shows a count soon after it is made.
pub(crate) type OpenRounds = KeptCopies<Arc<Round>>;

/// A round by its municipality and code.
type RoundKey = (MunicipalityId, String);

const OPEN_ROUND_SECONDS: u64 = 5;
/// The most rounds kept: far above the rounds open at once on one site.
const OPEN_ROUNDS_KEPT: usize = 1_000;

/// Copies read from the store, each used for a few seconds and then read again by one request
/// while the others go on with the old copy. Without that, every request in flight when a
/// copy grew old read it again at once: at 500 voters at once on PostgreSQL, hundreds of reads
/// queued for the pool every five seconds, and those ballots waited (the p99 of the vote).
/// Written by hand: a few lines over a map, where a cache crate would bring its own clock and
/// eviction that this does not need.
pub(crate) struct KeptCopies<T> {
    kept: std::sync::Mutex<HashMap<RoundKey, Kept<T>>>,
}

struct Kept<T> {
    read_at: Instant,
    copy: T,
    /// When a request set out to read the copy again, if one has: another one tries when
    /// that one has not come back within the same few seconds (its client went away).
    rereading_since: Option<Instant>,
}

impl<T> Default for KeptCopies<T> {
    fn default() -> Self {
        Self {
            kept: std::sync::Mutex::new(HashMap::new()),
        }
    }
}

/// What a request does for a copy: use the one kept, or read it (and [`KeptCopies::keep`] it).
#[derive(Debug, PartialEq)]
enum Lookup<T> {
    Use(T),
    Read,
}

impl<T: Clone> KeptCopies<T> {
    fn fresh() -> Duration {
        Duration::from_secs(OPEN_ROUND_SECONDS)
    }

    fn lookup(&self, key: &RoundKey, now: Instant) -> Lookup<T> {
        let Ok(mut kept) = self.kept.lock() else {
            return Lookup::Read;
        };
        let young = |at: Instant| now.saturating_duration_since(at) < Self::fresh();
        match kept.get_mut(key) {
            Some(k) if young(k.read_at) || k.rereading_since.is_some_and(young) => {
                Lookup::Use(k.copy.clone())
            }
            Some(k) => {
                k.rereading_since = Some(now);
                Lookup::Read
            }
            None => Lookup::Read,
        }
    }

    /// Keeps a copy just read (`keep` false: one no longer to be kept, such as a round that
    /// closed, and the old copy goes).
    fn keep(&self, key: RoundKey, copy: T, keep: bool, now: Instant) {
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        if !keep {
            kept.remove(&key);
            return;
        }
        if kept.len() >= OPEN_ROUNDS_KEPT {
            let fresh = Self::fresh();
            kept.retain(|_, k| now.saturating_duration_since(k.read_at) < fresh);
        }
        if kept.len() < OPEN_ROUNDS_KEPT || kept.contains_key(&key) {
            let copy = Kept {
                read_at: now,
                copy,
                rereading_since: None,
            };
            kept.insert(key, copy);
        }
    }

    /// After a read that failed: the next request tries again.
    fn read_failed(&self, key: &RoundKey) {
        if let Ok(mut kept) = self.kept.lock()
            && let Some(k) = kept.get_mut(key)
        {
            k.rereading_since = None;
        }
    }

    /// Drops the municipality's copies, after a change to one of them on this server.
    fn forget(&self, m: &MunicipalityId) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.retain(|(of, _), _| of != m);
        }
    }
}

/// A round as a voter reads it: an open round from memory when read lately, else from the
/// store (kept when open).
async fn voters_round<S: Store>(
    state: &AppState<S>,
    m: &MunicipalityId,
    code: &str,
) -> Result<Arc<Round>, WebError> {
    let key = (*m, code.to_owned());
    if let Lookup::Use(round) = state.open_rounds.lookup(&key, Instant::now()) {
        return Ok(round);
    }
    match app::for_public(&state.store, m, code, false).await {
        Ok(round) => {
            let round = Arc::new(round);
            let open = round.stored.status == BudgetStatus::Open;
            state
                .open_rounds
                .keep(key, round.clone(), open, Instant::now());
            Ok(round)
        }
        Err(e) => {
            state.open_rounds.read_failed(&key);
            Err(e.into())
        }
    }
}

/// The double-submit token of the ballot form: residents have no session.
const BALLOT_COOKIE: &str = "kv_ballot";

/// Why a project won or lost, in plain words.
fn why(lang: Lang, rule: Rule, p: &app::ProjectResult, cost: u64, share: Option<f64>) -> String {
    let fill = |key: &str| {
        lang.t(key)
            .replace("{votes}", &lang.number(p.votes as f64, 0))
            .replace("{supporters}", &lang.number(p.supporters as f64, 0))
            .replace("{cost}", &kronor(lang, cost))
    };
    match (&p.fate, rule) {
        (FateRecord::Funded { order, .. }, Rule::Greedy) => {
            fill("budget_why_funded_greedy").replace("{order}", &order.to_string())
        }
        (FateRecord::Funded { order, price }, _) => {
            let paid = price.map(|x| x * cost as f64).unwrap_or(0.0);
            fill("budget_why_funded_mes")
                .replace("{order}", &order.to_string())
                .replace("{paid}", &kronor(lang, paid.round() as u64))
                .replace(
                    "{share}",
                    &kronor(lang, share.unwrap_or(0.0).round() as u64),
                )
        }
        (FateRecord::DidNotFit { left }, _) => {
            fill("budget_why_did_not_fit").replace("{left}", &kronor(lang, *left))
        }
        (FateRecord::SupportersCouldNotPay { supporters_had }, _) => {
            fill("budget_why_could_not_pay")
                .replace("{had}", &kronor(lang, supporters_had.round() as u64))
        }
        (FateRecord::NoVotes, _) => fill("budget_why_no_votes"),
    }
}

fn public_projects(
    lang: Lang,
    round: &Round,
    counted: Option<&CountedRound>,
    given: &[(String, String)],
) -> (Vec<PublicProject>, String, Vec<&'static str>) {
    let own: Option<&RuleResult> = counted.and_then(|c| c.by_rule.first());
    let rule = round.stored.setup.rule;
    let mut lines: Vec<(usize, PublicProject)> = round
        .on_ballot()
        .into_iter()
        .map(|p| {
            let result = own.and_then(|r| r.projects.iter().find(|x| x.project == p.code));
            let order = own
                .and_then(|r| r.funded.iter().position(|c| *c == p.code))
                .unwrap_or(usize::MAX);
            let line = PublicProject {
                id: p.id,
                code: p.code.clone(),
                title: p.title.clone(),
                description: p.description.clone(),
                cost: kronor(lang, p.cost),
                area: p.area.clone(),
                given: given
                    .iter()
                    .find(|(k, _)| *k == p.id.to_string())
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
                funded: order != usize::MAX,
                votes: result.map_or(String::new(), |r| lang.number(r.votes as f64, 0)),
                why: result.map_or(String::new(), |r| {
                    why(lang, rule, r, p.cost, own.and_then(|o| o.share))
                }),
                by_rule: counted.map_or(Vec::new(), |c| {
                    c.by_rule
                        .iter()
                        .map(|r| r.funded.contains(&p.code))
                        .collect()
                }),
            };
            (order, line)
        })
        .collect();
    // Funded first in the order chosen, then the rest by votes.
    lines.sort_by(|(a, pa), (b, pb)| {
        a.cmp(b).then_with(|| {
            let votes = |p: &PublicProject| {
                own.and_then(|r| r.projects.iter().find(|x| x.project == p.code))
                    .map_or(0, |x| x.votes)
            };
            votes(pb).cmp(&votes(pa))
        })
    });
    let total = own.map_or(String::new(), |r| kronor(lang, r.cost));
    let names = counted.map_or(Vec::new(), |c| {
        c.by_rule
            .iter()
            .filter_map(|r| Rule::from_code(&r.rule))
            .map(|r| rule_words(lang, r))
            .collect()
    });
    (lines.into_iter().map(|(_, p)| p).collect(), total, names)
}

/// Ballots by declared area, each fewer than five said as such (a small count with an area
/// could point at a person).
fn participation(
    lang: Lang,
    round: &Round,
    ballots: &[kvalitet_app::ports::StoredBudgetBallot],
) -> Participation {
    let mut by_area: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for b in ballots {
        if !b.area.is_empty() {
            *by_area.entry(b.area.as_str()).or_default() += 1;
        }
    }
    Participation {
        ballots: lang.number(round.stored.ballots as f64, 0),
        // By e-mail a voter is made as they vote: there are no codes handed out to tell of.
        codes: if round.stored.setup.identification == Identification::Email {
            "0".to_owned()
        } else {
            lang.number(round.stored.codes as f64, 0)
        },
        by_area: by_area
            .into_iter()
            .map(|(area, n)| {
                let shown = if n < 5 {
                    lang.t("budget_fewer_than_five").to_owned()
                } else {
                    lang.number(n as f64, 0)
                };
                (area.to_owned(), shown)
            })
            .collect(),
    }
}

/// The round's public page; `loaded` is the round when the request has read it already (a
/// ballot's answer, which is not counted: a round shows participation only once counted).
#[allow(clippy::too_many_arguments)]
async fn public_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    m: &MunicipalityId,
    code: &str,
    loaded: Option<Arc<Round>>,
    sent: Option<&BallotForm>,
    thanks: bool,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    // A ballot's answer (the round already loaded) leaves out the goal: it is on the page's
    // every other view, and voting is the path that must stay light.
    let answering_a_ballot = loaded.is_some();
    let round = match loaded {
        Some(round) => round,
        None => {
            let round = voters_round(state, m, code).await?;
            if round.stored.status == BudgetStatus::Counted {
                // Only a counted round shows its participation, with its counts.
                Arc::new(app::for_public(&state.store, m, code, true).await?)
            } else {
                round
            }
        }
    };
    let (_, d) = state.directory().await?;
    let s = &round.stored;
    let place = s.setup.window.place(state.clock.now());
    let voting = s.status == BudgetStatus::Open && place == WindowPlace::Open && !thanks;
    let given = sent.map_or(Vec::new(), |f| f.choices.clone());
    let (projects, funded_total, rule_names) =
        public_projects(lang, &round, round.counted.as_ref(), &given);
    let title_of = |id: i64| {
        round
            .projects
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.title.clone())
            .unwrap_or_default()
    };
    let participation = if s.status == BudgetStatus::Counted {
        let ballots = state
            .store
            .budget_ballots(m, s.id)
            .await
            .map_err(WebError::internal)?;
        Some(participation(lang, &round, &ballots))
    } else {
        None
    };
    let not_on_ballot = round
        .projects
        .iter()
        .filter(|p| p.feasibility == Feasibility::Infeasible)
        .map(|p| PublicProject {
            id: p.id,
            code: p.code.clone(),
            title: p.title.clone(),
            description: p.description.clone(),
            cost: kronor(lang, p.cost),
            area: p.area.clone(),
            given: String::new(),
            funded: false,
            votes: String::new(),
            why: p.reason.clone(),
            by_rule: Vec::new(),
        })
        .collect();
    let token = kvalitet_app::accounts::new_token().map_err(WebError::internal)?;
    let sent_back = failed.is_some();
    let view = PublicView {
        by_email: s.setup.identification == Identification::Email,
        goal: if answering_a_ballot {
            None
        } else {
            public_link(state, lang, m, Linked::BudgetRound, &s.id.to_string()).await?
        },
        m: Named::of(&d, m),
        title: s.setup.title.clone(),
        description: s.setup.description.clone(),
        status: status_words(lang, s.status),
        rules: rules(lang, s),
        lot: s.lot.as_ref().map_or(Vec::new(), |lot| {
            lot.iter().map(|&id| title_of(id)).collect()
        }),
        voting,
        points: s.setup.ballot.kind == BallotKind::Points,
        not_yet: s.status == BudgetStatus::Open && place == WindowPlace::Before,
        over: s.status == BudgetStatus::Open && place == WindowPlace::After,
        counted: s.status == BudgetStatus::Counted,
        funded_total,
        rule_names,
        projects,
        not_on_ballot,
        participation,
        action: public_path(lang, m, code),
        csrf: &token,
        area: sent.map_or(String::new(), |f| f.area.clone()),
        thanks,
        failed,
        pb_path: (s.status == BudgetStatus::Counted)
            .then(|| format!("/kommun/{m}/medborgarbudget/{code}/omgang.pb")),
        other_path: public_path(lang.other(), m, code),
    };
    let body = state.render("budget-round.html", lang, view)?;
    let mut r = private_page(
        body,
        if sent_back {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
    );
    let c = format!("{BALLOT_COOKIE}={token}{}", state.cookie_attributes());
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// The query a cast ballot is sent on to, so the round's page thanks the voter.
const VOTED: &str = "rostat=1";

/// `GET /kommun/{id}/medborgarbudget/{code}`: a round's public page; `?rostat=1` after a
/// ballot was cast thanks the voter instead of showing the ballot.
pub async fn public<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, code)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let thanks = raw.is_some_and(|q| q.split('&').any(|p| p == VOTED));
    public_page(&state, lang, &m, &code, None, None, thanks, None).await
}

/// `POST /kommun/{id}/medborgarbudget/{code}`: a ballot cast with a one-time code.
pub async fn vote<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, code)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let pairs = form.0;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or(String::new(), |(_, v)| v.clone())
    };
    if !crate::auth::double_submit_ok_in(&headers, BALLOT_COOKIE, &field("csrf")) {
        return Err(WebError::form_expired());
    }
    let round = voters_round(&state, &m, &code).await?;
    let points = round.stored.setup.ballot.kind == BallotKind::Points;
    // A tick sends `p=ID`; a points field `p-ID=N`. The bound keeps a hostile form small.
    let choices: Vec<(String, String)> = pairs
        .iter()
        .filter_map(|(k, v)| {
            if points {
                k.strip_prefix("p-").map(|id| (id.to_owned(), v.clone()))
            } else {
                (k == "p").then(|| (v.clone(), "1".to_owned()))
            }
        })
        .take(kvalitet_domain::budget_round::MAX_BALLOT_PROJECTS + 1)
        .collect();
    let ballot = BallotForm {
        code: field("code"),
        area: field("area"),
        choices,
    };
    let email = field("email");
    let cast = if round.stored.setup.identification == Identification::Email {
        // Nothing is cast yet: the ballot waits for its mailed link to be confirmed.
        let (_, d) = state.directory().await?;
        match app::vote_by_email(
            &state.store,
            &m,
            &d.name(&m),
            &round,
            &ballot,
            &email,
            crate::proposals::links(&state, lang),
            state.clock.now(),
        )
        .await
        {
            Ok(()) => {
                let back = format!("{}/kommun/{m}/medborgarbudget/{code}", lang.base());
                return crate::proposals::mail_sent(&state, lang, &m, &email, back).await;
            }
            Err(refusal) => Err(refusal),
        }
    } else {
        match app::prepare_ballot(&round, &ballot, state.clock.now()) {
            Ok(checked) => crate::answers::store(&state, checked)
                .await
                .map_err(app::cast_refusal),
            Err(refusal) => Err(refusal),
        }
    };
    match cast {
        // Post/Redirect/Get: reloading the thank-you page asks for a page, it does not send
        // the ballot again; and the answer to the many voters at once is a few bytes.
        Ok(()) => Ok(redirect(
            &format!("{}/kommun/{m}/medborgarbudget/{code}?{VOTED}", lang.base()),
            &[],
        )),
        Err(refusal) => {
            #[derive(Serialize)]
            struct Typed<'a> {
                code: &'a str,
                area: &'a str,
                email: &'a str,
            }
            let typed = Typed {
                code: &ballot.code,
                area: &ballot.area,
                email: &email,
            };
            let failed = Failed::new(lang, "v", &typed, &refusal.into_problems()?);
            let sent = Some(&ballot);
            public_page(
                &state,
                lang,
                &m,
                &code,
                Some(round),
                sent,
                false,
                Some(failed),
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One request reads an old copy again; the others go on with the old one meanwhile,
    /// and another tries when that read failed or never came back.
    #[test]
    fn one_request_reads_an_old_copy_again_while_the_others_use_it() {
        let copies: KeptCopies<u32> = KeptCopies::default();
        let key: RoundKey = (MunicipalityId::parse("0180").unwrap(), "bank".into());
        let t0 = Instant::now();
        let later = |s: u64| t0 + Duration::from_secs(s);
        assert_eq!(copies.lookup(&key, t0), Lookup::Read);
        copies.keep(key.clone(), 1, true, t0);
        assert_eq!(copies.lookup(&key, later(4)), Lookup::Use(1));
        // Old: the first request reads, the rest use the old copy.
        assert_eq!(copies.lookup(&key, later(6)), Lookup::Read);
        assert_eq!(copies.lookup(&key, later(6)), Lookup::Use(1));
        copies.read_failed(&key);
        assert_eq!(copies.lookup(&key, later(7)), Lookup::Read);
        // That read never came back: after a while another request tries.
        assert_eq!(copies.lookup(&key, later(11)), Lookup::Use(1));
        assert_eq!(copies.lookup(&key, later(13)), Lookup::Read);
        copies.keep(key.clone(), 2, true, later(13));
        assert_eq!(copies.lookup(&key, later(14)), Lookup::Use(2));
        // A round read as no longer open is not kept, nor its old copy.
        copies.keep(key.clone(), 3, false, later(20));
        assert_eq!(copies.lookup(&key, later(20)), Lookup::Read);
        copies.keep(key.clone(), 4, true, later(21));
        copies.forget(&key.0);
        assert_eq!(copies.lookup(&key, later(21)), Lookup::Read);
    }
}
