//! E-dialogues on the web (docs/dialogue.md). For residents: the municipality's dialogues,
//! a dialogue's page with the joining form while it is open and its result (the statements
//! with the most agreement and the most division, every statement's votes, participation day
//! by day, who took part with small groups hidden, the municipality's response), the CSV
//! exports, and the participant's own page that the mailed link opens (statements to answer
//! with three buttons each, a form for a new statement, their own with moderation). For
//! staff: setting up a dialogue, moderating statements with a reason, the response.

use std::sync::Arc;

use axum::extract::{Form, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;

use kvalitet_app::Store;
use kvalitet_app::dialogues::{self as app, DialogueForm, JoinForm, ModerationForm};
use kvalitet_app::ports::{DayActivity, SessionRecord, StoredDialogue, StoredStatement};
use kvalitet_app::refusal::Refusal;
use kvalitet_domain::dialogue::{AgeBand, GroupRow, MAX_STATEMENT_CHARS, Phase, StatementVote};
use kvalitet_domain::goals::Linked;
use kvalitet_domain::{Action, MunicipalityId, Timestamp};

use crate::admin::municipality;
use crate::auth::{private_page, redirect, render_private};
use crate::extract::{Change, PageLang, Pairs, Session};
use crate::forms::{Failed, answered};
use crate::goal_links::{GoalLinkForm, GoalLinkView, form_for, public_link};
use crate::i18n::Lang;
use crate::proposals::{
    Choice, SentView, day, field, links, new_token, no_referrer, public_municipality, status_of,
    token_ok, with_token,
};
use crate::site::Named;
use crate::{AppState, WebError, query_pairs};

fn public_path(lang: Lang, m: &MunicipalityId) -> String {
    format!("{}/kommun/{m}/dialog", lang.base())
}

fn staff_path(lang: Lang, m: &MunicipalityId) -> String {
    format!("{}/admin/kommun/{m}/dialog", lang.base())
}

/// A participant's own page; the token in it is their key.
pub(crate) fn participant_path(lang: Lang, m: &MunicipalityId, number: i64, token: &str) -> String {
    format!("{}/{number}/deltagare/{token}", public_path(lang, m))
}

fn phase_words(lang: Lang, p: Phase) -> &'static str {
    lang.t(match p {
        Phase::NotYetOpen => "dialogue_phase_coming",
        Phase::Open => "dialogue_phase_open",
        Phase::Closed => "dialogue_phase_closed",
    })
}

fn vote_words(lang: Lang, v: StatementVote) -> &'static str {
    lang.t(&format!("dialogue_vote.{}", v.code()))
}

/// A dialogue in a list or at the head of its page.
#[derive(Serialize)]
struct DialogueLine {
    number: i64,
    question: String,
    description: String,
    opens_on: String,
    closes_on: String,
    phase: &'static str,
    open: bool,
    participants: u64,
    votes: u64,
    response: String,
    responded_on: String,
}

fn line(lang: Lang, d: &StoredDialogue, now: Timestamp) -> DialogueLine {
    let phase = app::phase_of(d, now);
    DialogueLine {
        number: d.number,
        question: d.dialogue.question.clone(),
        description: d.dialogue.description.clone(),
        opens_on: day(lang, Some(d.dialogue.period.opens_on)),
        closes_on: day(lang, Some(d.dialogue.period.closes_on)),
        phase: phase_words(lang, phase),
        open: phase == Phase::Open,
        participants: d.participants,
        votes: d.votes,
        response: d.response.clone(),
        responded_on: day(lang, d.responded_on),
    }
}

/// A statement with its votes in words and shares.
#[derive(Serialize)]
struct StatementLine {
    number: i64,
    body: String,
    agree: u32,
    disagree: u32,
    pass: u32,
    /// "62 %" of those who answered, or empty before anyone has.
    agree_share: String,
    disagree_share: String,
    status: &'static str,
    pending: bool,
    reason: String,
    written_on: String,
}

fn statement_line(lang: Lang, s: &StoredStatement) -> StatementLine {
    let t = &s.tally;
    let share = |k: u32| {
        let n = t.seen();
        if n == 0 {
            String::new()
        } else {
            format!("{} %", lang.number(100.0 * f64::from(k) / f64::from(n), 0))
        }
    };
    StatementLine {
        number: s.number,
        body: s.body.clone(),
        agree: t.agree,
        disagree: t.disagree,
        pass: t.pass,
        agree_share: share(t.agree),
        disagree_share: share(t.disagree),
        status: lang.t(&format!("dialogue_statement.{}", s.moderation.code())),
        pending: s.moderation == kvalitet_domain::dialogue::StatementModeration::Pending,
        reason: s.reason.clone(),
        written_on: day(lang, Some(s.written_on)),
    }
}

#[derive(Serialize)]
struct ActivityLine {
    day: String,
    joined: u64,
    voters: u64,
    votes: u64,
    statements: u64,
}

fn activity_line(lang: Lang, a: &DayActivity) -> ActivityLine {
    ActivityLine {
        day: day(lang, Some(a.day)),
        joined: a.joined,
        voters: a.voters,
        votes: a.votes,
        statements: a.statements,
    }
}

/// One row of who took part; `count` is words ("färre än 5") when the group is hidden.
#[derive(Serialize)]
pub(crate) struct GroupLine {
    label: String,
    count: String,
}

pub(crate) fn group_lines(
    lang: Lang,
    rows: &[GroupRow],
    label_of: impl Fn(&str) -> String,
) -> Vec<GroupLine> {
    rows.iter()
        .map(|r| GroupLine {
            label: r
                .label
                .as_deref()
                .map_or_else(|| lang.t("dialogue_group_other").to_owned(), &label_of),
            count: r.count.map_or_else(
                || {
                    lang.t("dialogue_group_few")
                        .replace("{n}", &kvalitet_domain::dialogue::MIN_GROUP.to_string())
                },
                |n| n.to_string(),
            ),
        })
        .collect()
}

fn age_label(lang: Lang, code: &str) -> String {
    lang.t(&format!("dialogue_age.{code}")).to_owned()
}

fn age_choices(lang: Lang) -> Vec<Choice> {
    AgeBand::ALL
        .iter()
        .map(|b| Choice {
            code: b.code(),
            label: lang.t(&format!("dialogue_age.{}", b.code())),
        })
        .collect()
}

fn not_found() -> WebError {
    WebError::coded(
        StatusCode::NOT_FOUND,
        kvalitet_domain::Message::new("dialogue_not_found"),
    )
}

// --- Residents' pages ---

#[derive(Serialize)]
struct ListView {
    m: Named,
    open: Vec<DialogueLine>,
    others: Vec<DialogueLine>,
    other_path: String,
}

/// `GET /kommun/{id}/dialog`: the municipality's dialogues, the open first.
pub async fn public_list<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let all = app::list(&state.store, &m).await?;
    if all.is_empty() {
        return Err(not_found());
    }
    let (_, d) = state.directory().await?;
    let now = state.clock.now();
    let (open, others): (Vec<_>, Vec<_>) =
        all.iter().map(|x| line(lang, x, now)).partition(|l| l.open);
    let view = ListView {
        m: Named::of(&d, &m),
        open,
        others,
        other_path: public_path(lang.other(), &m),
    };
    let body = state.render("dialogues.html", lang, view)?;
    Ok(private_page(body, StatusCode::OK))
}

#[derive(Serialize)]
struct OneView<'a> {
    m: Named,
    d: DialogueLine,
    areas: Vec<String>,
    ages: Vec<Choice>,
    most_agreement: Vec<StatementLine>,
    most_division: Vec<StatementLine>,
    statements: Vec<StatementLine>,
    activity: Vec<ActivityLine>,
    by_area: Vec<GroupLine>,
    by_age: Vec<GroupLine>,
    min_answers: u32,
    goal: Option<GoalLinkView>,
    csrf: &'a str,
    failed: Option<Failed>,
    action: String,
    list_path: String,
    other_path: String,
}

async fn one_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    m: &MunicipalityId,
    number: i64,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let r = app::result(&state.store, m, number).await?;
    let (_, d) = state.directory().await?;
    let now = state.clock.now();
    let token = new_token()?;
    let status = status_of(&failed);
    let lines = |list: &[StoredStatement]| list.iter().map(|s| statement_line(lang, s)).collect();
    let view = OneView {
        goal: public_link(state, lang, m, Linked::Dialogue, &number.to_string()).await?,
        m: Named::of(&d, m),
        d: line(lang, &r.dialogue, now),
        areas: r.dialogue.dialogue.areas.clone(),
        ages: age_choices(lang),
        most_agreement: lines(&r.most_agreement),
        most_division: lines(&r.most_division),
        statements: lines(&r.statements),
        activity: r.activity.iter().map(|a| activity_line(lang, a)).collect(),
        by_area: group_lines(lang, &r.by_area, str::to_owned),
        by_age: group_lines(lang, &r.by_age, |c| age_label(lang, c)),
        min_answers: kvalitet_domain::dialogue::MIN_ANSWERS_TO_RANK,
        csrf: &token,
        failed,
        action: format!("{}/{number}", public_path(lang, m)),
        list_path: public_path(lang, m),
        other_path: format!("{}/{number}", public_path(lang.other(), m)),
    };
    let body = state.render("dialogue.html", lang, view)?;
    Ok(with_token(state, body, status, &token))
}

/// `GET /kommun/{id}/dialog/{number}`: the question, the joining form and the result.
pub async fn public_one<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, number)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    one_page(&state, lang, &m, number, None).await
}

/// `POST /kommun/{id}/dialog/{number}`: joining, kept until the mailed link is followed.
pub async fn join<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, number)): Path<(String, i64)>,
    headers: HeaderMap,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let pairs = form.0;
    token_ok(&headers, &pairs)?;
    let typed = JoinForm {
        email: field(&pairs, "email"),
        area: field(&pairs, "area"),
        age_band: field(&pairs, "age_band"),
    };
    let (_, d) = state.directory().await?;
    let name = d.name(&m);
    let now = state.clock.now();
    match app::join(
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
        Ok(()) => {
            let view = SentView {
                m: Named::of(&d, &m),
                heading: lang.t("proposal_check_mail"),
                text: lang
                    .t("dialogue_check_mail_text")
                    .replace("{email}", typed.email.trim())
                    .replace("{hours}", &kvalitet_app::proposals::LINK_HOURS.to_string()),
                back: format!("{}/{number}", public_path(lang, &m)),
                back_text: Some(lang.t("dialogue_back").to_owned()),
                other_path: format!("{}/{number}", public_path(lang.other(), &m)),
            };
            let body = state.render("proposal-step.html", lang, view)?;
            Ok(private_page(body, StatusCode::OK))
        }
        Err(refusal) => {
            let failed = Failed::new(lang, "j", &typed, &refusal.into_problems()?);
            one_page(&state, lang, &m, number, Some(failed)).await
        }
    }
}

/// `GET /kommun/{id}/dialog/{number}/pastaenden.csv`: the published statements with their
/// votes, open data.
pub async fn statements_csv<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Path((id, number)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let r = app::result(&state.store, &m, number).await?;
    let rows = r
        .statements
        .iter()
        .map(|s| {
            vec![
                s.number.to_string(),
                s.body.clone(),
                s.written_on.to_string(),
                s.tally.agree.to_string(),
                s.tally.disagree.to_string(),
                s.tally.pass.to_string(),
                format!("{:.4}", s.tally.agreement()),
                format!("{:.4}", s.tally.division()),
            ]
        })
        .collect();
    let header = [
        "statement",
        "text",
        "written_on",
        "agree",
        "disagree",
        "pass",
        "agreement",
        "division",
    ];
    table(
        &format!("dialog-{m}-{number}-pastaenden"),
        &header,
        rows,
        &[
            "statement",
            "agree",
            "disagree",
            "pass",
            "agreement",
            "division",
        ],
    )
}

/// `GET /kommun/{id}/dialog/{number}/roster.csv`: every vote on the published statements,
/// participants by their order of joining (no address, area or age: those could point at a
/// person when joined with the votes).
pub async fn votes_csv<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Path((id, number)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let votes = app::votes(&state.store, &m, number).await?;
    let rows = votes
        .iter()
        .map(|v| {
            vec![
                v.statement.to_string(),
                v.participant.to_string(),
                v.vote.code().to_owned(),
                v.day.to_string(),
            ]
        })
        .collect();
    let header = ["statement", "participant", "vote", "day"];
    table(
        &format!("dialog-{m}-{number}-roster"),
        &header,
        rows,
        &["statement", "participant"],
    )
}

fn table(
    title: &str,
    header: &[&str],
    rows: Vec<Vec<String>>,
    numeric: &[&str],
) -> Result<Response, WebError> {
    let table = crate::downloads::Table {
        title: title.to_owned(),
        header: header.iter().map(|h| (*h).to_owned()).collect(),
        rows,
        numeric: header.iter().map(|h| numeric.contains(h)).collect(),
    };
    Ok(crate::downloads::respond(
        crate::downloads::Kind::Csv,
        &table,
        title,
        &[],
    ))
}

#[derive(Serialize)]
struct ParticipantView<'a> {
    m: Named,
    d: DialogueLine,
    to_answer: Vec<StatementLine>,
    answered_all: bool,
    own: Vec<StatementLine>,
    votes: Vec<Choice>,
    max_chars: usize,
    notice: Option<&'static str>,
    csrf: &'a str,
    failed: Option<Failed>,
    action: String,
    dialogue_path: String,
    other_path: String,
}

#[allow(clippy::too_many_arguments)]
async fn participant_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    m: &MunicipalityId,
    number: i64,
    link: &str,
    notice: Option<&'static str>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let p = app::participant(&state.store, m, number, link).await?;
    let dialogue = app::find(&state.store, m, number).await?;
    let (to_answer, own) = app::participant_view(&state.store, &p).await?;
    let (_, d) = state.directory().await?;
    let now = state.clock.now();
    let token = new_token()?;
    let status = status_of(&failed);
    let view = ParticipantView {
        m: Named::of(&d, m),
        d: line(lang, &dialogue, now),
        answered_all: to_answer.is_empty(),
        // One statement at a time keeps the page short on a phone; the next comes after.
        to_answer: to_answer
            .iter()
            .take(1)
            .map(|s| statement_line(lang, s))
            .collect(),
        own: own.iter().map(|s| statement_line(lang, s)).collect(),
        votes: StatementVote::ALL
            .iter()
            .map(|&v| Choice {
                code: v.code(),
                label: vote_words(lang, v),
            })
            .collect(),
        max_chars: MAX_STATEMENT_CHARS,
        notice,
        csrf: &token,
        failed,
        action: participant_path(lang, m, number, link),
        dialogue_path: format!("{}/{number}", public_path(lang, m)),
        other_path: participant_path(lang.other(), m, number, link),
    };
    let body = state.render("dialogue-participant.html", lang, view)?;
    // The address holds the participant's key.
    Ok(no_referrer(with_token(state, body, status, &token)))
}

fn participant_notice(raw: Option<&str>) -> Option<&'static str> {
    let code = query_pairs(raw)
        .into_iter()
        .find(|(k, _)| k == "klart")
        .map(|(_, v)| v)?;
    match code.as_str() {
        "rost" => Some("dialogue_notice_voted"),
        "skrivet" => Some("dialogue_notice_written"),
        _ => None,
    }
}

/// `GET /kommun/{id}/dialog/{number}/deltagare/{token}`: the participant's own page.
pub async fn participant<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, number, link)): Path<(String, i64, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let notice = participant_notice(raw.as_deref()).map(|k| lang.t(k));
    participant_page(&state, lang, &m, number, &link, notice, None).await
}

/// `POST /kommun/{id}/dialog/{number}/deltagare/{token}/rosta`: a vote on a statement.
pub async fn vote<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, number, link)): Path<(String, i64, String)>,
    headers: HeaderMap,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let pairs = form.0;
    token_ok(&headers, &pairs)?;
    let p = app::participant(&state.store, &m, number, &link).await?;
    let statement: i64 = field(&pairs, "statement")
        .trim()
        .parse()
        .map_err(|_| not_found())?;
    let vote = field(&pairs, "vote");
    let done = app::vote(&state.store, &p, statement, &vote, state.clock.now()).await;
    after_participant(&state, lang, &m, number, &link, ("v", &pairs, done), "rost").await
}

/// `POST /kommun/{id}/dialog/{number}/deltagare/{token}/skriv`: a new statement.
pub async fn write<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, number, link)): Path<(String, i64, String)>,
    headers: HeaderMap,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let pairs = form.0;
    token_ok(&headers, &pairs)?;
    let p = app::participant(&state.store, &m, number, &link).await?;
    let typed = field(&pairs, "statement");
    let done = app::write(&state.store, &p, &typed, state.clock.now())
        .await
        .map(|_| ());
    after_participant(
        &state,
        lang,
        &m,
        number,
        &link,
        ("w", &pairs, done),
        "skrivet",
    )
    .await
}

#[derive(Serialize)]
struct Typed {
    statement: String,
}

async fn after_participant<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    m: &MunicipalityId,
    number: i64,
    link: &str,
    (form, pairs, done): (&str, &[(String, String)], Result<(), Refusal>),
    notice: &str,
) -> Result<Response, WebError> {
    match done {
        Ok(()) => Ok(no_referrer(redirect(
            &format!("{}?klart={notice}", participant_path(lang, m, number, link)),
            &[],
        ))),
        Err(refusal) => {
            let typed = Typed {
                statement: field(pairs, "statement"),
            };
            let failed = Failed::new(lang, form, &typed, &refusal.into_problems()?);
            participant_page(state, lang, m, number, link, None, Some(failed)).await
        }
    }
}

// --- Staff pages ---

fn staff_notice(lang: Lang, raw: Option<&str>) -> Option<String> {
    let code = query_pairs(raw)
        .into_iter()
        .find(|(k, _)| k == "klart")
        .map(|(_, v)| v)?;
    let key = match code.as_str() {
        "skapad" => "dialogue_notice_created",
        "granskat" => "proposal_notice_moderated",
        "svar" => "dialogue_notice_responded",
        "mal" => "goal_link_notice",
        _ => return None,
    };
    Some(lang.t(key).to_owned())
}

#[derive(Serialize)]
struct StaffListView<'a> {
    m: Named,
    csrf: &'a str,
    can_edit: bool,
    dialogues: Vec<DialogueLine>,
    form: DialogueForm,
    failed: Option<Failed>,
    other_path: String,
}

async fn staff_list_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let grants = &session.user.grants;
    if !grants.allows(Action::ViewDrafts, m) {
        return Err(Refusal::Forbidden(
            kvalitet_domain::Message::new("proposal_editors_only").with("municipality", m),
        )
        .into());
    }
    let all = app::list(&state.store, m).await?;
    let (_, d) = state.directory().await?;
    let now = state.clock.now();
    let sent_back = failed.is_some();
    let view = StaffListView {
        m: Named::of(&d, m),
        csrf: &session.csrf_token,
        can_edit: grants.allows(Action::EditMeasures, m),
        dialogues: all.iter().map(|x| line(lang, x, now)).collect(),
        form: DialogueForm::default(),
        failed,
        other_path: staff_path(lang.other(), m),
    };
    let response = render_private(state, lang, session, "dialogues-admin.html", view);
    Ok(answered(response, sent_back))
}

/// `GET /admin/kommun/{id}/dialog`: the dialogues and the form for a new one.
pub async fn staff_list<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    staff_list_page(&state, lang, &session, &m, None).await
}

/// `POST /admin/kommun/{id}/dialog`: a new dialogue.
pub async fn create<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<DialogueForm>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let actor = state.actor(session);
    match app::create(&state.store, &session.user.grants, &m, f, &actor).await {
        Ok(number) => {
            // The municipality's page links to its dialogues.
            state.invalidate_version();
            Ok(redirect(
                &format!("{}/{number}?klart=skapad", staff_path(lang, &m)),
                &[],
            ))
        }
        Err(refusal) => {
            let failed = Failed::new(lang, "n", f, &refusal.into_problems()?);
            staff_list_page(&state, lang, session, &m, Some(failed)).await
        }
    }
}

#[derive(Serialize)]
struct StaffOneView<'a> {
    m: Named,
    csrf: &'a str,
    notice: Option<String>,
    can_edit: bool,
    d: DialogueLine,
    areas: Vec<String>,
    waiting: Vec<StatementLine>,
    statements: Vec<StatementLine>,
    goal_form: Option<GoalLinkForm>,
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
    let (dialogue, statements) = app::for_staff(&state.store, grants, m, number).await?;
    let (_, d) = state.directory().await?;
    let now = state.clock.now();
    let sent_back = failed.is_some();
    let (waiting, others): (Vec<_>, Vec<_>) = statements
        .iter()
        .map(|s| statement_line(lang, s))
        .partition(|s| s.pending);
    let view = StaffOneView {
        goal_form: form_for(
            state,
            lang,
            grants,
            m,
            Linked::Dialogue,
            &number.to_string(),
        )
        .await?,
        m: Named::of(&d, m),
        csrf: &session.csrf_token,
        notice,
        can_edit: grants.allows(Action::EditMeasures, m),
        d: line(lang, &dialogue, now),
        areas: dialogue.dialogue.areas.clone(),
        waiting,
        statements: others,
        public_path: format!("{}/{number}", public_path(lang, m)),
        list_path: staff_path(lang, m),
        failed,
        other_path: format!("{}/{number}", staff_path(lang.other(), m)),
    };
    let response = render_private(state, lang, session, "dialogue-admin.html", view);
    Ok(answered(response, sent_back))
}

/// `GET /admin/kommun/{id}/dialog/{number}`: statements to moderate and the response.
pub async fn staff_one<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, number)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    let notice = staff_notice(lang, raw.as_deref());
    staff_one_page(&state, lang, &session, &m, number, None, notice).await
}

/// `POST /admin/kommun/{id}/dialog/{number}/pastaende/{statement}`: published or refused.
pub async fn moderate<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, number, statement)): Path<(String, i64, i64)>,
    change: Change<ModerationForm>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let actor = state.actor(session);
    let done = app::moderate(
        &state.store,
        &session.user.grants,
        &m,
        number,
        statement,
        f,
        &actor,
    )
    .await;
    if done.is_ok() {
        // The result page counts only published statements.
        state.invalidate_version();
    }
    let form = format!("x{statement}");
    staff_after(
        &state,
        lang,
        session,
        &m,
        number,
        (&form, f, done),
        "granskat",
    )
    .await
}

#[derive(Serialize, serde::Deserialize, Default)]
#[serde(default)]
pub struct ResponseForm {
    pub response: String,
}

/// `POST /admin/kommun/{id}/dialog/{number}/svar`: what the municipality made of it.
pub async fn respond<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, number)): Path<(String, i64)>,
    change: Change<ResponseForm>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let actor = state.actor(session);
    let done = app::respond(
        &state.store,
        &session.user.grants,
        &m,
        number,
        &f.response,
        &actor,
    )
    .await;
    staff_after(&state, lang, session, &m, number, ("r", f, done), "svar").await
}

async fn staff_after<S: Store>(
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
