//! E-förslag on the web (docs/dialogue.md). For residents: the municipality's proposals with
//! its rules and how well it kept its promised time to a decision, a proposal's page with its
//! signatures, the nämnd's answer and the signing form, the form for a new proposal, and the
//! page a mailed link opens to confirm a step (a button, so a mail scanner opening the link
//! signs nothing). For staff: the rules, the proposals with their stage, moderation with a
//! reason and the decision. Public forms carry a double-submit token; staff forms a session
//! and its CSRF token.

use std::sync::Arc;

use axum::extract::{Form, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

use kvalitet_app::Store;
use kvalitet_app::ports::{
    Confirmable, Confirmed, ProposalSettings, SessionRecord, StoredProposal, StoredSignature,
};
use kvalitet_app::proposals::{
    self as app, DecisionForm, Links, ModerationForm, ProposalForm, SentFile, SettingsForm,
    SignForm,
};
use kvalitet_app::refusal::Refusal;
use kvalitet_domain::geo::GeoPoint;
use kvalitet_domain::goals::Linked;
use kvalitet_domain::proposal::{Decision, Stage, Threshold};
use kvalitet_domain::{Action, Message, MunicipalityId, Timestamp};
use kvalitet_formats::attachment;

use crate::admin::municipality;
use crate::auth::{private_page, redirect, render_private};
use crate::dialogues::{GroupLine, group_lines};
use crate::extract::{Change, PageLang, Pairs, PublicUpload, Session};
use crate::forms::{Failed, answered};
use crate::goal_links::{GoalLinkForm, GoalLinkView, form_for, public_link};
use crate::i18n::Lang;
use crate::proposal_files::{self, Extras, MapView};
use crate::site::Named;
use crate::{AppState, WebError, query_pairs};

/// The double-submit cookie of the public forms.
const DIALOGUE_COOKIE: &str = "kv_dialogue";

fn staff_path(lang: Lang, m: &MunicipalityId) -> String {
    format!("{}/admin/kommun/{m}/e-forslag", lang.base())
}

fn public_path(lang: Lang, m: &MunicipalityId) -> String {
    format!("{}/kommun/{m}/e-forslag", lang.base())
}

pub(crate) fn links<'a, S: Store>(state: &'a AppState<S>, lang: Lang) -> Links<'a> {
    Links {
        site: &state.public_url,
        lang_base: lang.base(),
    }
}

/// A day as running text says it: "15 mars 2026", "15 March 2026".
pub(crate) fn day(lang: Lang, d: Option<time::Date>) -> String {
    d.map_or(String::new(), |d| {
        let month = lang.t(&format!("month.{}", u8::from(d.month())));
        format!("{} {month} {}", d.day(), d.year())
    })
}

fn stage_words(lang: Lang, s: Stage) -> &'static str {
    lang.t(&format!("proposal_stage.{}", s.code()))
}

fn decision_words(lang: Lang, d: Decision) -> &'static str {
    lang.t(&format!("proposal_decision.{}", d.code()))
}

/// The rules as residents read them.
#[derive(Serialize)]
struct RulesView {
    threshold: String,
    signing_days: u32,
    answer_working_days: u32,
    text: String,
}

fn rules_view(lang: Lang, s: &ProposalSettings) -> RulesView {
    let decimal = if lang == Lang::Sv { ',' } else { '.' };
    let threshold = match s.threshold {
        Threshold::Signatures(n) => lang
            .t("proposal_threshold_signatures")
            .replace("{n}", &lang.number(f64::from(n), 0)),
        Threshold::PerMille { .. } => lang
            .t("proposal_threshold_per_mille")
            .replace("{n}", &s.threshold.value_text(decimal)),
    };
    RulesView {
        threshold,
        signing_days: s.signing_days,
        answer_working_days: s.answer_working_days,
        text: s.rules.clone(),
    }
}

/// A proposal in a list or on its page.
#[derive(Serialize)]
struct ProposalLine {
    number: i64,
    title: String,
    body: String,
    area: String,
    author: Option<String>,
    stage: &'static str,
    stage_code: &'static str,
    signatures: String,
    threshold: String,
    /// Signatures as a share of the threshold, 0–100, for the progress bar.
    progress: u32,
    published_on: String,
    signing_ends_on: String,
    reached_on: String,
    committee: String,
    decision: Option<&'static str>,
    decided_on: String,
    answer: String,
    working_days: Option<i64>,
    reason: String,
    created_at: String,
}

fn line(lang: Lang, p: &StoredProposal, now: Timestamp) -> ProposalLine {
    let stage = app::stage_of(p, now);
    let m = &p.milestones;
    let progress = p.threshold.map_or(0, |t| {
        u32::try_from((p.signatures.saturating_mul(100) / u64::from(t.max(1))).min(100))
            .unwrap_or(100)
    });
    ProposalLine {
        number: p.number,
        title: p.proposal.title.clone(),
        body: p.proposal.body.clone(),
        area: p.proposal.area.clone(),
        author: p.proposal.author_name.clone(),
        stage: stage_words(lang, stage),
        stage_code: stage.code(),
        signatures: lang.number(p.signatures as f64, 0),
        threshold: p
            .threshold
            .map_or(String::new(), |t| lang.number(f64::from(t), 0)),
        progress,
        published_on: day(lang, p.published_on),
        signing_ends_on: day(lang, m.signing_ends_on),
        reached_on: day(lang, m.threshold_reached_on),
        committee: p.committee.clone(),
        decision: p.decision.map(|d| decision_words(lang, d)),
        decided_on: day(lang, m.decided_on),
        answer: p.answer.clone(),
        working_days: app::working_days_to_decision(p),
        reason: p.reason.clone(),
        created_at: p.created_at.local_text(),
    }
}

/// How well promises were kept, in words.
#[derive(Serialize)]
struct KeptView {
    decided: usize,
    in_time: usize,
    overdue: usize,
    waiting: usize,
    share: Option<String>,
    median: Option<String>,
}

fn not_found() -> WebError {
    WebError::coded(StatusCode::NOT_FOUND, Message::new("proposal_not_found"))
}

pub(crate) fn public_municipality(id: &str) -> Result<MunicipalityId, WebError> {
    MunicipalityId::parse(id).map_err(|_| not_found())
}

/// A public page with a fresh double-submit token set as its cookie.
pub(crate) fn with_token<S: Store>(
    state: &AppState<S>,
    body: String,
    status: StatusCode,
    token: &str,
) -> Response {
    let mut r = private_page(body, status);
    let c = format!("{DIALOGUE_COOKIE}={token}{}", state.cookie_attributes());
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// A response whose address holds a secret (a mailed link's token): never passed on as a
/// referrer.
pub(crate) fn no_referrer(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

pub(crate) fn new_token() -> Result<String, WebError> {
    kvalitet_app::accounts::new_token().map_err(WebError::internal)
}

pub(crate) fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or(String::new(), |(_, v)| v.clone())
}

pub(crate) fn token_ok(headers: &HeaderMap, pairs: &[(String, String)]) -> Result<(), WebError> {
    if crate::auth::double_submit_ok_in(headers, DIALOGUE_COOKIE, &field(pairs, "csrf")) {
        Ok(())
    } else {
        Err(WebError::form_expired())
    }
}

pub(crate) fn status_of(failed: &Option<Failed>) -> StatusCode {
    if failed.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

#[derive(Serialize)]
struct ListView {
    m: Named,
    rules: RulesView,
    open: Vec<ProposalLine>,
    answered: Vec<ProposalLine>,
    closed: Vec<ProposalLine>,
    kept: KeptView,
    other_path: String,
}

/// `GET /kommun/{id}/e-forslag`: the municipality's proposals, its rules and promises kept.
pub async fn public_list<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let now = state.clock.now();
    let list = app::public_list(&state.store, &m, now).await?;
    let (_, d) = state.directory().await?;
    let (mut open, mut answered, mut closed) = (Vec::new(), Vec::new(), Vec::new());
    for p in &list.proposals {
        let l = line(lang, p, now);
        match app::stage_of(p, now) {
            Stage::Signing | Stage::WithCommittee => open.push(l),
            Stage::Decided => answered.push(l),
            _ => closed.push(l),
        }
    }
    let t = list.timeliness;
    let kept = KeptView {
        decided: t.decided,
        in_time: t.in_time,
        overdue: t.overdue,
        waiting: t.waiting,
        share: t
            .share_in_time()
            .map(|s| format!("{} %", lang.number(s * 100.0, 0))),
        median: t
            .median_working_days
            .map(|x| lang.number(x, if x.fract() == 0.0 { 0 } else { 1 })),
    };
    let view = ListView {
        m: Named::of(&d, &m),
        rules: rules_view(lang, &list.settings),
        open,
        answered,
        closed,
        kept,
        other_path: public_path(lang.other(), &m),
    };
    let body = state.render("proposals.html", lang, view)?;
    Ok(private_page(body, StatusCode::OK))
}

/// `GET /kommun/{id}/e-forslag.csv`: the published proposals as open data, one row each,
/// with the days and the working days from threshold to decision, so anyone can recount how
/// promises were kept. Names and addresses are not in it.
pub async fn open_data<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let now = state.clock.now();
    let list = app::public_list(&state.store, &m, now).await?;
    let iso = |d: Option<time::Date>| d.map_or(String::new(), |d| d.to_string());
    let promised = i64::from(list.settings.answer_working_days);
    let rows = list
        .proposals
        .iter()
        .map(|p| {
            let days = app::working_days_to_decision(p);
            let place = p.proposal.place;
            vec![
                p.number.to_string(),
                p.proposal.title.clone(),
                p.proposal.area.clone(),
                app::stage_of(p, now).code().to_owned(),
                p.committee.clone(),
                iso(p.published_on),
                iso(p.milestones.signing_ends_on),
                p.threshold.map_or(String::new(), |t| t.to_string()),
                p.signatures.to_string(),
                iso(p.milestones.threshold_reached_on),
                p.decision.map_or("", |d| d.code()).to_owned(),
                iso(p.milestones.decided_on),
                days.map_or(String::new(), |d| d.to_string()),
                days.map_or(String::new(), |d| (d <= promised).to_string()),
                // Degrees with a point and six decimals, as GIS tools read them.
                place.map_or(String::new(), |g| format!("{:.6}", g.lat())),
                place.map_or(String::new(), |g| format!("{:.6}", g.lon())),
            ]
        })
        .collect();
    let header = [
        "number",
        "title",
        "area",
        "stage",
        "committee",
        "published_on",
        "signing_ends_on",
        "threshold",
        "signatures",
        "threshold_reached_on",
        "decision",
        "decided_on",
        "working_days_to_decision",
        "decided_within_promise",
        "place_lat",
        "place_lon",
    ];
    let table = crate::downloads::Table {
        title: format!("e-forslag-{m}"),
        header: header.iter().map(|h| (*h).to_owned()).collect(),
        rows,
        numeric: header
            .iter()
            .map(|h| {
                matches!(
                    *h,
                    "number"
                        | "threshold"
                        | "signatures"
                        | "working_days_to_decision"
                        | "place_lat"
                        | "place_lon"
                )
            })
            .collect(),
    };
    Ok(crate::downloads::respond(
        crate::downloads::Kind::Csv,
        &table,
        &format!("e-forslag-{m}"),
        &[],
    ))
}

#[derive(Serialize)]
struct NewView<'a> {
    m: Named,
    rules: RulesView,
    areas: Vec<String>,
    /// The residence areas to choose from; empty when residence is not asked.
    residence_areas: Vec<String>,
    csrf: &'a str,
    failed: Option<Failed>,
    /// The map to click, with the place typed or clicked marked; none without a boundary.
    map: Option<MapView>,
    /// The place a click on the map just set, said in words.
    placed: Option<String>,
    max_files: usize,
    max_file_mb: usize,
    action: String,
    other_path: String,
}

/// The form for a new proposal: `typed` is the form sent back with its problems, or with
/// none after a click on the map set its place (then said above the map, answering 200).
async fn new_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    m: &MunicipalityId,
    typed: Option<(&ProposalForm, Vec<Message>)>,
) -> Result<Response, WebError> {
    let settings = app::offered(&state.store, m).await?;
    let (_, d) = state.directory().await?;
    let token = new_token()?;
    let map = proposal_files::map_of(state, m).await?;
    // The place marked on the map: the one typed, when it reads as one.
    let marked = typed
        .as_ref()
        .and_then(|(f, _)| GeoPoint::read(&f.lat, &f.lon).ok().flatten());
    let clicked = typed.as_ref().is_some_and(|(_, p)| p.is_empty()) && marked.is_some();
    let failed = typed.map(|(f, problems)| Failed::new(lang, "p", f, &problems));
    let status = match &failed {
        Some(_) if !clicked => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let view = NewView {
        m: Named::of(&d, m),
        rules: rules_view(lang, &settings),
        areas: settings.areas.clone(),
        residence_areas: settings.residence_areas.clone(),
        csrf: &token,
        failed,
        map: map
            .as_ref()
            .map(|(_, frame)| proposal_files::map_view(lang.base(), m, frame, marked)),
        placed: marked.filter(|_| clicked).map(|p| {
            lang.t("proposal_place_set")
                .replace("{lat}", &proposal_files::degrees(lang, p.lat()))
                .replace("{lon}", &proposal_files::degrees(lang, p.lon()))
        }),
        max_files: attachment::MAX_FILES,
        max_file_mb: attachment::MAX_FILE_BYTES >> 20,
        action: format!("{}/nytt", public_path(lang, m)),
        other_path: format!("{}/nytt", public_path(lang.other(), m)),
    };
    let body = state.render("proposal-new.html", lang, view)?;
    Ok(with_token(state, body, status, &token))
}

/// `GET /kommun/{id}/e-forslag/nytt`: the form for a new proposal.
pub async fn new_form<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    new_page(&state, lang, &m, None).await
}

#[derive(Serialize)]
pub(crate) struct SentView {
    pub(crate) m: Named,
    pub(crate) heading: &'static str,
    pub(crate) text: String,
    pub(crate) back: String,
    /// The back link's words, when it leads elsewhere than the e-förslag.
    pub(crate) back_text: Option<String>,
    pub(crate) other_path: String,
}

/// The page after a step that waits for its mailed link.
pub(crate) async fn mail_sent<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    m: &MunicipalityId,
    email: &str,
    back: String,
) -> Result<Response, WebError> {
    let (_, d) = state.directory().await?;
    let view = SentView {
        m: Named::of(&d, m),
        heading: lang.t("proposal_check_mail"),
        text: lang
            .t("proposal_check_mail_text")
            .replace("{email}", email.trim())
            .replace("{hours}", &app::LINK_HOURS.to_string()),
        back,
        back_text: None,
        other_path: public_path(lang.other(), m),
    };
    let body = state.render("proposal-step.html", lang, view)?;
    Ok(private_page(body, StatusCode::OK))
}

/// `POST /kommun/{id}/e-forslag/nytt`: a proposal with its files kept until its link is
/// followed; or, sent by a click on the map, the form again with the place set.
pub async fn submit<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    headers: HeaderMap,
    sent: PublicUpload,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let pairs = &sent.fields;
    token_ok(&headers, pairs)?;
    let mut typed = ProposalForm {
        title: field(pairs, "title"),
        body: field(pairs, "body"),
        area: field(pairs, "area"),
        email: field(pairs, "email"),
        name: field(pairs, "name"),
        lat: field(pairs, "lat"),
        lon: field(pairs, "lon"),
        residence: field(pairs, "residence"),
    };
    if let Some((_, frame)) = proposal_files::map_of(&state, &m).await?
        && let Some(place) = proposal_files::clicked(pairs, &frame)
    {
        let problems = match place {
            Some(p) => {
                // Written with a point, as any reader of degrees takes them.
                typed.lat = format!("{:.6}", p.lat());
                typed.lon = format!("{:.6}", p.lon());
                Vec::new()
            }
            None => vec![Message::in_field("lat", Message::new("place_click_again"))],
        };
        return new_page(&state, lang, &m, Some((&typed, problems))).await;
    }
    let files: Vec<SentFile<'_>> = sent
        .files
        .iter()
        .filter(|f| f.field == "files")
        .map(|f| SentFile {
            name: &f.name,
            bytes: &f.bytes,
        })
        .collect();
    let (_, d) = state.directory().await?;
    let name = d.name(&m);
    let now = state.clock.now();
    let links = links(&state, lang);
    match app::submit(&state.store, &m, &name, &typed, &files, links, now).await {
        Ok(()) => mail_sent(&state, lang, &m, &typed.email, public_path(lang, &m)).await,
        Err(refusal) => {
            let problems = refusal.into_problems()?;
            new_page(&state, lang, &m, Some((&typed, problems))).await
        }
    }
}

#[derive(Serialize)]
struct OneView<'a> {
    m: Named,
    p: ProposalLine,
    rules: RulesView,
    may_sign: bool,
    names: Vec<String>,
    unnamed: usize,
    /// The residence areas a signer chooses from; empty when residence is not asked.
    residence_areas: Vec<String>,
    /// Signers by residence area, small groups hidden.
    by_residence: Vec<GroupLine>,
    goal: Option<GoalLinkView>,
    extras: Extras,
    csrf: &'a str,
    failed: Option<Failed>,
    action: String,
    list_path: String,
    other_path: String,
}

fn names(signatures: &[StoredSignature]) -> (Vec<String>, usize) {
    let named: Vec<String> = signatures
        .iter()
        .filter_map(|s| s.public_name.clone())
        .collect();
    let unnamed = signatures.len() - named.len();
    (named, unnamed)
}

async fn one_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    m: &MunicipalityId,
    number: i64,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let (settings, p, signatures) = app::public_one(&state.store, m, number).await?;
    let (_, d) = state.directory().await?;
    let now = state.clock.now();
    let today = kvalitet_domain::calendar::stockholm_date(now.datetime());
    let (names, unnamed) = names(&signatures);
    let token = new_token()?;
    let status = status_of(&failed);
    let view = OneView {
        m: Named::of(&d, m),
        p: line(lang, &p, now),
        rules: rules_view(lang, &settings),
        may_sign: p.milestones.may_sign(today),
        names,
        unnamed,
        by_residence: group_lines(
            lang,
            &app::signers_by_residence(&settings, &signatures),
            str::to_owned,
        ),
        residence_areas: settings.residence_areas.clone(),
        goal: public_link(state, lang, m, Linked::Proposal, &number.to_string()).await?,
        extras: proposal_files::extras(
            state,
            lang,
            None,
            m,
            number,
            p.proposal.place,
            &format!("{}/{number}", public_path(lang, m)),
        )
        .await?,
        csrf: &token,
        failed,
        action: format!("{}/{number}", public_path(lang, m)),
        list_path: public_path(lang, m),
        other_path: format!("{}/{number}", public_path(lang.other(), m)),
    };
    let body = state.render("proposal.html", lang, view)?;
    Ok(with_token(state, body, status, &token))
}

/// `GET /kommun/{id}/e-forslag/{number}`: a published proposal.
pub async fn public_one<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, number)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    one_page(&state, lang, &m, number, None).await
}

/// `POST /kommun/{id}/e-forslag/{number}`: a signature kept until its link is followed.
pub async fn sign<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, number)): Path<(String, i64)>,
    headers: HeaderMap,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let pairs = form.0;
    token_ok(&headers, &pairs)?;
    let typed = SignForm {
        email: field(&pairs, "email"),
        name: field(&pairs, "name"),
        residence: field(&pairs, "residence"),
    };
    let (_, d) = state.directory().await?;
    let name = d.name(&m);
    let now = state.clock.now();
    let back = format!("{}/{number}", public_path(lang, &m));
    match app::sign(
        &state.store,
        &m,
        &name,
        number,
        &typed,
        links(&state, lang),
        now,
    )
    .await
    {
        Ok(()) => mail_sent(&state, lang, &m, &typed.email, back).await,
        Err(refusal) => {
            let failed = Failed::new(lang, "s", &typed, &refusal.into_problems()?);
            one_page(&state, lang, &m, number, Some(failed)).await
        }
    }
}

#[derive(Serialize)]
struct ConfirmView<'a> {
    m: Named,
    heading: &'static str,
    what: String,
    csrf: &'a str,
    action: String,
    other_path: String,
}

/// `GET /kommun/{id}/e-forslag/bekrafta/{token}`: what the link confirms, and the button.
pub async fn confirm_page<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, link)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let (pending, proposal) = app::pending(&state.store, &m, &link, state.clock.now()).await?;
    let (_, d) = state.directory().await?;
    let (heading, what) = match &pending.what {
        Confirmable::Proposal(p) => (lang.t("proposal_confirm_proposal"), p.title.clone()),
        Confirmable::Signature { .. } => (
            lang.t("proposal_confirm_signature"),
            proposal.map_or(String::new(), |p| p.proposal.title),
        ),
        Confirmable::JoinDialogue { number, .. } => (
            lang.t("dialogue_confirm_join"),
            kvalitet_app::dialogues::find(&state.store, &m, *number)
                .await?
                .dialogue
                .question,
        ),
        Confirmable::Ballot { round, .. } => (
            lang.t("budget_confirm_ballot"),
            kvalitet_app::budget::public_round_by_id(&state.store, &m, *round)
                .await?
                .setup
                .title,
        ),
    };
    let token = new_token()?;
    let view = ConfirmView {
        m: Named::of(&d, &m),
        heading,
        what,
        csrf: &token,
        action: format!("{}/bekrafta/{link}", public_path(lang, &m)),
        other_path: format!("{}/bekrafta/{link}", public_path(lang.other(), &m)),
    };
    let body = state.render("proposal-confirm.html", lang, view)?;
    // The link is a secret: no page it leads to is kept or passed on as a referrer.
    Ok(no_referrer(with_token(
        &state,
        body,
        StatusCode::OK,
        &token,
    )))
}

/// `POST /kommun/{id}/e-forslag/bekrafta/{token}`: the step confirmed.
pub async fn confirm<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, link)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    token_ok(&headers, &form.0)?;
    let confirmed = app::confirm(&state.store, &m, &link, state.clock.now()).await?;
    let (_, d) = state.directory().await?;
    let (text, back) = match confirmed {
        Confirmed::Proposal { .. } => (
            lang.t("proposal_confirmed_proposal").to_owned(),
            public_path(lang, &m),
        ),
        Confirmed::Signature { number, reached } => (
            lang.t(if reached {
                "proposal_confirmed_signature_reached"
            } else {
                "proposal_confirmed_signature"
            })
            .to_owned(),
            format!("{}/{number}", public_path(lang, &m)),
        ),
        Confirmed::Participant { number } => {
            // The link's token is the participant's key from now on: on to their page.
            return Ok(no_referrer(redirect(
                &crate::dialogues::participant_path(lang, &m, number, &link),
                &[],
            )));
        }
        Confirmed::Ballot { round } => {
            let r = kvalitet_app::budget::public_round_by_id(&state.store, &m, round).await?;
            (
                lang.t("budget_thanks").to_owned(),
                format!(
                    "{}/kommun/{m}/medborgarbudget/{}",
                    lang.base(),
                    r.setup.code
                ),
            )
        }
    };
    let view = SentView {
        m: Named::of(&d, &m),
        heading: lang.t("proposal_thanks"),
        text,
        back,
        back_text: None,
        other_path: public_path(lang.other(), &m),
    };
    let body = state.render("proposal-step.html", lang, view)?;
    Ok(private_page(body, StatusCode::OK))
}

// --- Staff pages ---

fn notice(lang: Lang, raw: Option<&str>) -> Option<String> {
    let code = query_pairs(raw)
        .into_iter()
        .find(|(k, _)| k == "klart")
        .map(|(_, v)| v)?;
    let key = match code.as_str() {
        "regler" => "proposal_notice_settings",
        "granskat" => "proposal_notice_moderated",
        "beslut" => "proposal_notice_decided",
        "delaktighet" => "participation_notice_published",
        "mal" => "goal_link_notice",
        _ => return None,
    };
    Some(lang.t(key).to_owned())
}

#[derive(Serialize)]
pub(crate) struct Choice {
    pub(crate) code: &'static str,
    pub(crate) label: &'static str,
}

#[derive(Serialize)]
struct StaffListView<'a> {
    m: Named,
    csrf: &'a str,
    notice: Option<String>,
    can_edit: bool,
    /// Administrators publish the participation figures; the years they may choose.
    can_publish: bool,
    years: Vec<i32>,
    offered: bool,
    settings: SettingsForm,
    kinds: Vec<Choice>,
    waiting: Vec<ProposalLine>,
    proposals: Vec<ProposalLine>,
    public_path: String,
    failed: Option<Failed>,
    other_path: String,
}

async fn staff_list_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    notice: Option<String>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let grants = &session.user.grants;
    let settings = app::settings_for_staff(&state.store, grants, m).await?;
    let all = app::for_staff(&state.store, grants, m).await?;
    let (_, d) = state.directory().await?;
    let now = state.clock.now();
    let decimal = if lang == Lang::Sv { ',' } else { '.' };
    let (waiting, proposals): (Vec<_>, Vec<_>) = all
        .iter()
        .partition(|p| app::stage_of(p, now) == Stage::AwaitingModeration);
    let sent_back = failed.is_some();
    let view = StaffListView {
        m: Named::of(&d, m),
        csrf: &session.csrf_token,
        notice,
        can_edit: grants.allows(Action::EditMeasures, m),
        can_publish: grants.allows(Action::Publish, m),
        years: crate::participation::years(now),
        offered: settings.is_some(),
        settings: settings.map_or_else(
            || SettingsForm {
                threshold_kind: "signatures".into(),
                threshold_value: "100".into(),
                signing_days: "90".into(),
                answer_working_days: "60".into(),
                ..SettingsForm::default()
            },
            |s| SettingsForm::of(&s, decimal),
        ),
        kinds: vec![
            Choice {
                code: "signatures",
                label: lang.t("proposal_kind_signatures"),
            },
            Choice {
                code: "per_mille",
                label: lang.t("proposal_kind_per_mille"),
            },
        ],
        waiting: waiting.into_iter().map(|p| line(lang, p, now)).collect(),
        proposals: proposals.into_iter().map(|p| line(lang, p, now)).collect(),
        public_path: public_path(lang, m),
        failed,
        other_path: staff_path(lang.other(), m),
    };
    let response = render_private(state, lang, session, "proposals-admin.html", view);
    Ok(answered(response, sent_back))
}

/// `GET /admin/kommun/{id}/e-forslag`: the rules and the proposals, those awaiting
/// moderation first.
pub async fn staff_list<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    let notice = notice(lang, raw.as_deref());
    staff_list_page(&state, lang, &session, &m, notice, None).await
}

/// `POST /admin/kommun/{id}/e-forslag`: the rules saved.
pub async fn save_settings<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<SettingsForm>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let actor = state.actor(session);
    match app::save_settings(&state.store, &session.user.grants, &m, f, &actor).await {
        Ok(()) => {
            // The municipality's page links to its e-förslag once it takes them.
            state.invalidate_version();
            Ok(redirect(
                &format!("{}?klart=regler", staff_path(lang, &m)),
                &[],
            ))
        }
        Err(refusal) => {
            let failed = Failed::new(lang, "r", f, &refusal.into_problems()?);
            staff_list_page(&state, lang, session, &m, None, Some(failed)).await
        }
    }
}

#[derive(Serialize)]
struct StaffOneView<'a> {
    m: Named,
    csrf: &'a str,
    notice: Option<String>,
    can_edit: bool,
    p: ProposalLine,
    awaiting: bool,
    with_committee: bool,
    names: Vec<String>,
    unnamed: usize,
    /// The residence area the proposer declared, when asked.
    residence: Option<String>,
    by_residence: Vec<GroupLine>,
    decisions: Vec<Choice>,
    today: String,
    goal_form: Option<GoalLinkForm>,
    extras: Extras,
    public_path: String,
    list_path: String,
    failed: Option<Failed>,
    other_path: String,
}

async fn staff_one_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    number: i64,
    failed: Option<Failed>,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let grants = &session.user.grants;
    let (p, signatures) = app::one_for_staff(&state.store, grants, m, number).await?;
    let settings = app::settings_for_staff(&state.store, grants, m).await?;
    let (_, d) = state.directory().await?;
    let now = state.clock.now();
    let stage = app::stage_of(&p, now);
    let (names, unnamed) = names(&signatures);
    let sent_back = failed.is_some();
    let today = kvalitet_domain::calendar::stockholm_date(now.datetime());
    let view = StaffOneView {
        m: Named::of(&d, m),
        csrf: &session.csrf_token,
        notice,
        can_edit: grants.allows(Action::EditMeasures, m),
        p: line(lang, &p, now),
        awaiting: stage == Stage::AwaitingModeration,
        with_committee: stage == Stage::WithCommittee,
        names,
        unnamed,
        residence: p.proposal.residence_area.clone(),
        by_residence: settings.map_or_else(Vec::new, |s| {
            group_lines(
                lang,
                &app::signers_by_residence(&s, &signatures),
                str::to_owned,
            )
        }),
        decisions: Decision::ALL
            .iter()
            .map(|&d| Choice {
                code: d.code(),
                label: decision_words(lang, d),
            })
            .collect(),
        today: format!(
            "{:04}-{:02}-{:02}",
            today.year(),
            u8::from(today.month()),
            today.day()
        ),
        goal_form: match stage {
            // Only what residents can see is followed up under a goal.
            Stage::AwaitingModeration | Stage::Rejected => None,
            _ => {
                form_for(
                    state,
                    lang,
                    grants,
                    m,
                    Linked::Proposal,
                    &number.to_string(),
                )
                .await?
            }
        },
        extras: proposal_files::extras(
            state,
            lang,
            Some(grants),
            m,
            number,
            p.proposal.place,
            &format!("{}/{number}", staff_path(lang, m)),
        )
        .await?,
        public_path: format!("{}/{number}", public_path(lang, m)),
        list_path: staff_path(lang, m),
        failed,
        other_path: format!("{}/{number}", staff_path(lang.other(), m)),
    };
    let response = render_private(state, lang, session, "proposal-admin.html", view);
    Ok(answered(response, sent_back))
}

/// `GET /admin/kommun/{id}/e-forslag/{number}`: a proposal with its moderation or decision.
pub async fn staff_one<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, number)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    let notice = notice(lang, raw.as_deref());
    staff_one_page(&state, lang, &session, &m, number, None, notice).await
}

async fn after<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    number: i64,
    (form, typed, done): (&str, &impl Serialize, Result<(), Refusal>),
    notice: &str,
) -> Result<Response, WebError> {
    match done {
        Ok(()) => Ok(redirect(
            &format!("{}/{number}?klart={notice}", staff_path(lang, m)),
            &[],
        )),
        Err(refusal) => {
            let failed = Failed::new(lang, form, typed, &refusal.into_problems()?);
            staff_one_page(state, lang, session, m, number, Some(failed), None).await
        }
    }
}

/// `POST /admin/kommun/{id}/e-forslag/{number}/granska`: published or refused.
pub async fn moderate<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, number)): Path<(String, i64)>,
    change: Change<ModerationForm>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let actor = state.actor(session);
    let grants = &session.user.grants;
    let done = app::moderate(
        &state.store,
        grants,
        &m,
        number,
        f,
        links(&state, lang),
        &actor,
    )
    .await;
    let form = if f.step == "reject" { "x" } else { "g" };
    after(
        &state,
        lang,
        session,
        &m,
        number,
        (form, f, done),
        "granskat",
    )
    .await
}

/// `POST /admin/kommun/{id}/e-forslag/{number}/beslut`: the nämnd's decision and answer.
pub async fn decide<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, number)): Path<(String, i64)>,
    change: Change<DecisionForm>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let actor = state.actor(session);
    let grants = &session.user.grants;
    let done = app::decide(
        &state.store,
        grants,
        &m,
        number,
        f,
        links(&state, lang),
        &actor,
    )
    .await;
    after(&state, lang, session, &m, number, ("b", f, done), "beslut").await
}
