//! Assessment rounds on the web: the list and creation of a municipality's rounds, the work
//! page (assessors, each assessor's answers with evidence and files, the consensus step,
//! survey imports, the status steps), the report residents read once a round is published,
//! and the framework editor. Every change needs a session and its CSRF token; what a person
//! may do is decided again by the use cases.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use kvalitet_app::Store;
use kvalitet_app::assessments::{self as a, AnswerForm, AssessError, DecisionForm};
use kvalitet_app::ports::{NewRound, SessionRecord};
use kvalitet_domain::assessment::{Framework, Rule};
use kvalitet_domain::round::{self, Agreement, AssessorRole, RoundKind, Status, Step};
use kvalitet_domain::{Action, DocumentId, Grants, Message, MunicipalityId, RoundId, UserId};

use crate::WebError;
use crate::auth::{private_page, redirect, render_private};
use crate::cache::Page;
use crate::charts::{self, AreaBar};
use crate::extract::PageLang;
use crate::extract::{Change, Pairs, Session, Upload};
use crate::forms::{ConfirmFields, ConfirmView, Failed, notice_of};
use crate::i18n::Lang;
use crate::site::{Named, page_response};
use crate::{AppState, query_pairs};

/// The words for the stable codes of kinds, roles, statuses and steps (`w.` in the table).
fn word(lang: Lang, code: &str) -> &'static str {
    lang.t(&format!("w.{code}"))
}

/// Points as whole numbers when they are whole.
fn points(lang: Lang, v: f64) -> String {
    lang.number(v, if v.fract() == 0.0 { 0 } else { 1 })
}

fn round_path(lang: Lang, id: RoundId) -> String {
    format!("{}/admin/bedomning/{id}", lang.base())
}

fn done(state: &AppState<impl Store>, lang: Lang, round: RoundId, notice: &str) -> Response {
    state.invalidate_version();
    redirect(&format!("{}?klart={notice}", round_path(lang, round)), &[])
}

/// `GET /admin/kommun/{id}/bedomningar`: the municipality's rounds and a form for a new one.
pub async fn list<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let notice = notice_of(lang, raw.as_deref());
    list_page(&state, lang, &session, &id, notice, None).await
}

/// A municipality's rounds, with a notice after a change or the new round's form sent back.
async fn list_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    id: &str,
    notice: Option<String>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let (_, d) = state.directory().await?;
    let m = d.kommun(id)?.id;
    let grants = &session.user.grants;
    let rounds = a::rounds_of(&state.store, grants, session.user.id, &m).await?;
    // Frameworks by their names and versions, as their files title them.
    let frameworks: Vec<(String, String, String)> = a::frameworks(&state.store)
        .await?
        .into_iter()
        .map(|(id, version, text)| {
            let label = match kvalitet_formats::framework_toml::read(&text) {
                Ok(f) => lang.say(
                    &Message::new("framework_label")
                        .with("name", &f.name)
                        .with("version", &f.version)
                        .with("valid_from", &f.valid_from),
                ),
                Err(_) => format!("{id} {version}"),
            };
            (id, version, label)
        })
        .collect();
    let label_of = |id: &str, version: &str| {
        frameworks
            .iter()
            .find(|(i, v, _)| i == id && v == version)
            .map_or_else(|| format!("{id} {version}"), |(_, _, l)| l.clone())
    };
    let rounds: Vec<RoundLine<'_>> = rounds
        .iter()
        .map(|r| RoundLine {
            id: r.id,
            title: &r.title,
            year: r.year.get(),
            framework: label_of(&r.framework_id, &r.framework_version),
            kind: word(lang, r.kind.code()),
            status: word(lang, r.status.code()),
        })
        .collect();
    let sent_back = failed.is_some();
    let response = render_private(
        state,
        lang,
        session,
        "rounds.html",
        RoundsView {
            m: Named::of(&d, &m),
            csrf: &session.csrf_token,
            rounds,
            can_create: grants.allows(Action::Publish, &m),
            frameworks: frameworks
                .iter()
                .map(|(i, v, label)| Coded {
                    code: format!("{i}|{v}"),
                    label: label.clone().into(),
                })
                .collect(),
            kinds: coded(lang, RoundKind::ALL.iter().map(|k| k.code())),
            other_path: format!("{}/admin/kommun/{m}/bedomningar", lang.other().base()),
            notice,
            failed,
        },
    );
    Ok(crate::forms::answered(response, sent_back))
}

/// `POST /admin/kommun/{id}/bedomningar`: creates a round and goes to it.
pub async fn create<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<RoundFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = MunicipalityId::parse(&id).map_err(|_| {
        WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("unknown_municipality").with("id", &id),
        )
    })?;
    let created = match new_round(m, f) {
        Ok(new) => {
            a::create_round(
                &state.store,
                &session.user.grants,
                &new,
                &state.actor(session),
            )
            .await
        }
        Err(problem) => Err(AssessError::Invalid(problem)),
    };
    match created {
        Ok(round) => Ok(done(&state, lang, round, "skapad")),
        Err(e) => {
            let failed = Failed::new(lang, "n", f, &e.into_problems()?);
            list_page(&state, lang, session, &id, None, Some(failed)).await
        }
    }
}

/// The new round a form describes, or the first problem with it (naming its field).
fn new_round(m: MunicipalityId, f: &RoundFields) -> Result<NewRound, Message> {
    let (fw, version) = f
        .framework
        .split_once('|')
        .ok_or_else(|| Message::in_field("framework", Message::new("choose_framework")))?;
    let kind = RoundKind::parse(&f.kind)
        .ok_or_else(|| Message::in_field("kind", Message::new("choose_kind")))?;
    Ok(NewRound {
        municipality: m,
        framework_id: fw.to_owned(),
        framework_version: version.to_owned(),
        kind,
        title: f.title.trim().to_owned(),
        year: a::parse_year(&f.year).map_err(|e| e.message())?,
    })
}

/// A new round's form.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct RoundFields {
    framework: String,
    kind: String,
    title: String,
    year: String,
}

/// The input a question gets on a form: its choices, or the range of a number.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Input<'a> {
    Choice { options: Vec<ChoiceOption<'a>> },
    Number { min: f64, max: f64 },
}

#[derive(Serialize)]
struct ChoiceOption<'a> {
    label: &'a str,
    points: f64,
}

fn input_of(rule: &Rule) -> Input<'_> {
    match rule {
        Rule::Choice { options } => Input::Choice {
            options: options
                .iter()
                .map(|(label, points)| ChoiceOption {
                    label,
                    points: *points,
                })
                .collect(),
        },
        Rule::Scale { low, high } => Input::Number {
            min: f64::from(*low),
            max: f64::from(*high),
        },
        Rule::Number { min, max } => Input::Number {
            min: *min,
            max: *max,
        },
    }
}

/// `GET /admin/bedomning/{round}`: the round's work page.
pub async fn work<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(round_id): Path<RoundId>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let page = WorkPage {
        notice: notice_of(lang, raw.as_deref()),
        ..WorkPage::default()
    };
    work_page(&state, lang, &session, round_id, page).await
}

/// What one showing of a round's work page adds: the notice of the change just made, or a
/// form sent back with what was typed into it (shown instead of what is saved).
#[derive(Default)]
struct WorkPage {
    notice: Option<String>,
    failed: Option<Failed>,
    typed: HashMap<String, String>,
    /// Files were chosen in the form sent back: the browser cannot keep them.
    files_again: bool,
}

/// The answers form ("svar") and the consensus form ("konsensus") of the work page.
const ANSWERS_FORM: &str = "svar";
const CONSENSUS_FORM: &str = "konsensus";

async fn work_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    round_id: RoundId,
    page: WorkPage,
) -> Result<Response, WebError> {
    let WorkPage {
        notice,
        failed,
        typed,
        files_again,
    } = page;
    let form_sent_back = |form: &str| failed.as_ref().is_some_and(|f| f.form() == form);
    let (answers_back, consensus_back) =
        (form_sent_back(ANSWERS_FORM), form_sent_back(CONSENSUS_FORM));
    let typed_field = |prefix: &str, q: &str| {
        typed
            .get(&format!("{prefix}.{q}"))
            .map_or("", String::as_str)
    };
    let grants = &session.user.grants;
    let user = session.user.id;
    let w = a::work(&state.store, grants, user, round_id).await?;
    let r = &w.round;
    let name_of = |uid: UserId| {
        r.assessors
            .iter()
            .find(|x| x.user == uid)
            .map_or_else(|| format!("#{uid}"), |x| x.name.clone())
    };
    let agreements: HashMap<&str, &Agreement> = w
        .agreements
        .iter()
        .map(|(q, ag)| (q.as_str(), ag))
        .collect();
    let may_answer = round::may_answer(r.status, &w.standing).is_ok();
    let sees_all = a::sees_all_answers(grants, user, r);
    let may_decide = round::may_decide(r.status, &w.standing).is_ok();
    // A person who cannot see the municipality's surveys is offered none.
    let our_surveys = if r.kind == RoundKind::Survey && may_decide {
        kvalitet_app::surveys::list(&state.store, grants, &r.municipality)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.stored.responses > 0)
            .map(|s| {
                (
                    s.stored.id,
                    format!("{} ({})", s.questionnaire.title.sv, s.stored.code),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let areas: Vec<AreaWork<'_>> = w
        .framework
        .areas
        .iter()
        .enumerate()
        .map(|(i, area)| {
            let score = w.scores.areas.get(i);
            AreaWork {
                id: &area.id,
                title: &area.title,
                score: score
                    .filter(|s| s.answered > 0)
                    .map(|s| lang.number(s.score, 1)),
                max: lang.number(Framework::area_score_max(area), 0),
                questions: area
                    .questions
                    .iter()
                    .map(|q| {
                        let mine = w
                            .content
                            .answers
                            .iter()
                            .find(|x| x.user == user && x.question == q.id);
                        let agreed = w.content.consensus.iter().find(|c| c.question == q.id);
                        let answers = w
                            .content
                            .answers
                            .iter()
                            .filter(|x| x.question == q.id && (sees_all || x.user == user))
                            .map(|x| AnswerView {
                                who: Some(name_of(x.user)),
                                answer: x.answer.as_deref(),
                                evidence: &x.evidence,
                                link: &x.link,
                                comment: &x.comment,
                            })
                            .collect();
                        let (agreement, differ) = match agreements.get(q.id.as_str()) {
                            Some(Agreement::Differ { lowest, highest }) => (
                                lang.say(
                                    &Message::new("assessors_differ")
                                        .with("lowest", points(lang, *lowest))
                                        .with("highest", points(lang, *highest)),
                                ),
                                true,
                            ),
                            Some(Agreement::Agreed { .. }) => {
                                (lang.t("assessors_agree").to_owned(), false)
                            }
                            _ => (lang.t("not_answered").to_owned(), false),
                        };
                        let suggested = match agreements.get(q.id.as_str()) {
                            Some(Agreement::Agreed { answer }) => Some(answer.to_string()),
                            _ => None,
                        };
                        QuestionWork {
                            id: &q.id,
                            text: &q.text,
                            subarea: q.subarea.as_deref(),
                            short: if q.text.chars().count() > 60 {
                                q.text.chars().take(59).collect::<String>() + "…"
                            } else {
                                q.text.clone()
                            },
                            input: input_of(&q.rule),
                            mine: if answers_back {
                                Some(AnswerView {
                                    who: None,
                                    answer: Some(typed_field("a", &q.id)).filter(|a| !a.is_empty()),
                                    evidence: typed_field("e", &q.id),
                                    link: typed_field("l", &q.id),
                                    comment: typed_field("c", &q.id),
                                })
                            } else {
                                mine.map(|x| AnswerView {
                                    who: None,
                                    answer: x.answer.as_deref(),
                                    evidence: &x.evidence,
                                    link: &x.link,
                                    comment: &x.comment,
                                })
                            },
                            answers,
                            agreement,
                            differ,
                            agreed: agreed.map(|c| AgreedView {
                                answer: &c.answer,
                                reason: &c.reason,
                                by: &c.decided_by,
                            }),
                            suggested: if consensus_back {
                                Some(typed_field("k", &q.id).to_owned())
                            } else {
                                agreed.map(|c| c.answer.clone()).or(suggested)
                            },
                            reason: if consensus_back {
                                typed_field("r", &q.id)
                            } else {
                                agreed.map_or("", |c| c.reason.as_str())
                            },
                            documents: w
                                .content
                                .documents
                                .iter()
                                .filter(|d| d.question == q.id && (sees_all || d.user == user))
                                .map(|d| DocumentView {
                                    id: d.id,
                                    name: &d.filename,
                                    kb: (d.size + 1023) / 1024,
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let steps = coded(
        lang,
        Step::ALL
            .iter()
            .filter(|s| s.take(r.status, &w.standing, r.submitted_by).is_ok())
            .map(|s| s.code()),
    );
    let (_, d) = state.directory().await?;
    let response = render_private(
        state,
        lang,
        session,
        "round.html",
        WorkView {
            r: RoundFacts {
                id: r.id,
                title: &r.title,
                year: r.year.get(),
                status: word(lang, r.status.code()),
                status_code: r.status.code(),
                kind: word(lang, r.kind.code()),
                survey: r.kind == RoundKind::Survey,
                m: r.municipality.to_string(),
                m_name: d.name(&r.municipality),
                invited: r.invited,
                respondents: r.respondents,
                deadline: r.deadline.as_deref(),
            },
            f: FrameworkFacts {
                name: &w.framework.name,
                version: &w.framework.version,
                valid_from: &w.framework.valid_from,
            },
            total: lang.number(w.scores.total, 1),
            total_max: lang.number(w.framework.total_max(), 0),
            areas,
            assessors: r
                .assessors
                .iter()
                .map(|x| AssessorLine {
                    email: &x.email,
                    name: &x.name,
                    role: word(lang, x.role.code()),
                })
                .collect(),
            roles: coded(lang, AssessorRole::ALL.iter().map(|x| x.code())),
            my_role: w.standing.assessor.map(|x| word(lang, x.code())),
            can_manage: w.standing.admin && r.status != Status::Published,
            can_delete: w.standing.admin && r.status == Status::Draft,
            can_correct: w.standing.admin && r.status == Status::Published,
            may_answer,
            may_decide,
            sees_all,
            steps,
            csrf: &session.csrf_token,
            notice,
            min_answers: round::MIN_SURVEY_ANSWERS,
            other_path: round_path(lang.other(), r.id),
            failed: failed.as_ref(),
            files_again,
            our_surveys,
        },
    );
    Ok(crate::forms::answered(response, failed.is_some()))
}

/// A stable code (kind, role, step) with its words, as a form offers it.
#[derive(Serialize)]
struct Coded {
    code: String,
    label: std::borrow::Cow<'static, str>,
}

fn coded<'a>(lang: Lang, codes: impl Iterator<Item = &'a str>) -> Vec<Coded> {
    codes
        .map(|code| Coded {
            label: word(lang, code).into(),
            code: code.to_owned(),
        })
        .collect()
}

/// The municipality's assessment rounds and the form for a new one.
#[derive(Serialize)]
struct RoundsView<'a> {
    m: Named,
    csrf: &'a str,
    rounds: Vec<RoundLine<'a>>,
    can_create: bool,
    frameworks: Vec<Coded>,
    kinds: Vec<Coded>,
    other_path: String,
    notice: Option<String>,
    /// The new round's form sent back with its problems.
    failed: Option<Failed>,
}

#[derive(Serialize)]
struct RoundLine<'a> {
    id: RoundId,
    title: &'a str,
    year: i16,
    framework: String,
    kind: &'static str,
    status: &'static str,
}

/// A round's work page: every area's questions with the answers the person may see.
#[derive(Serialize)]
struct WorkView<'a> {
    r: RoundFacts<'a>,
    f: FrameworkFacts<'a>,
    total: String,
    total_max: String,
    areas: Vec<AreaWork<'a>>,
    assessors: Vec<AssessorLine<'a>>,
    roles: Vec<Coded>,
    my_role: Option<&'static str>,
    can_manage: bool,
    can_delete: bool,
    /// The round is published and the person may reopen it to correct it.
    can_correct: bool,
    may_answer: bool,
    may_decide: bool,
    sees_all: bool,
    steps: Vec<Coded>,
    csrf: &'a str,
    notice: Option<String>,
    min_answers: u64,
    other_path: String,
    failed: Option<&'a Failed>,
    files_again: bool,
    /// The municipality's surveys in kvalitet a survey round can take its answers from.
    our_surveys: Vec<(i64, String)>,
}

#[derive(Serialize)]
struct RoundFacts<'a> {
    id: RoundId,
    title: &'a str,
    year: i16,
    status: &'static str,
    status_code: &'static str,
    kind: &'static str,
    survey: bool,
    m: String,
    m_name: String,
    invited: Option<i64>,
    respondents: Option<i64>,
    deadline: Option<&'a str>,
}

#[derive(Serialize)]
struct FrameworkFacts<'a> {
    name: &'a str,
    version: &'a str,
    valid_from: &'a str,
}

#[derive(Serialize)]
struct AreaWork<'a> {
    id: &'a str,
    title: &'a str,
    score: Option<String>,
    max: String,
    questions: Vec<QuestionWork<'a>>,
}

#[derive(Serialize)]
struct QuestionWork<'a> {
    id: &'a str,
    text: &'a str,
    subarea: Option<&'a str>,
    short: String,
    input: Input<'a>,
    mine: Option<AnswerView<'a>>,
    answers: Vec<AnswerView<'a>>,
    agreement: String,
    differ: bool,
    agreed: Option<AgreedView<'a>>,
    suggested: Option<String>,
    /// What the consensus form's reason shows: the agreed reason, or what was typed.
    reason: &'a str,
    documents: Vec<DocumentView<'a>>,
}

/// One assessor's answer; `who` on the lists of everyone's answers.
#[derive(Serialize)]
struct AnswerView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    who: Option<String>,
    answer: Option<&'a str>,
    evidence: &'a str,
    link: &'a str,
    comment: &'a str,
}

#[derive(Serialize)]
struct AgreedView<'a> {
    answer: &'a str,
    reason: &'a str,
    by: &'a str,
}

#[derive(Serialize)]
struct DocumentView<'a> {
    id: DocumentId,
    name: &'a str,
    kb: i64,
}

#[derive(Serialize)]
struct AssessorLine<'a> {
    email: &'a str,
    name: &'a str,
    role: &'static str,
}

/// Splits a form's `prefix.question` fields by question.
fn by_question<'a>(form: &'a [(String, String)], prefix: &str) -> Vec<(&'a str, &'a str)> {
    form.iter()
        .filter_map(|(k, v)| {
            k.split_once('.')
                .filter(|(p, _)| *p == prefix)
                .map(|(_, q)| (q, v.as_str()))
        })
        .collect()
}

/// `POST /admin/bedomning/{round}/svar`: the person's own answers and the evidence files
/// chosen with them (`f.QUESTION`), saved together; when something is wrong, nothing is
/// saved and the page comes back as typed.
pub async fn answers<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(round_id): Path<RoundId>,
    upload: Upload,
) -> Result<Response, WebError> {
    let session = &upload.session;
    let form = &upload.fields;
    let field = |prefix: &str, q: &str| {
        form.get(&format!("{prefix}.{q}"))
            .cloned()
            .unwrap_or_default()
    };
    let questions: std::collections::BTreeSet<&str> = form
        .keys()
        .filter_map(|k| k.split_once('.'))
        .filter(|(p, _)| ["a", "e", "l", "c"].contains(p))
        .map(|(_, q)| q)
        .collect();
    let forms: Vec<AnswerForm> = questions
        .into_iter()
        .map(|q| AnswerForm {
            question: q.to_owned(),
            answer: field("a", q),
            evidence: field("e", q),
            link: field("l", q),
            comment: field("c", q),
        })
        .collect();
    let attachments: Vec<a::Attachment<'_>> = upload
        .files()
        .iter()
        .filter_map(|f| {
            let question = f.field.strip_prefix("f.")?;
            Some(a::Attachment {
                question,
                filename: &f.name,
                body: &f.bytes,
            })
        })
        .collect();
    let saved = a::save_answers(
        &state.store,
        &session.user.grants,
        session.user.id,
        round_id,
        &forms,
        &attachments,
        &state.actor(session),
    )
    .await;
    let back = WorkPage {
        files_again: !attachments.is_empty(),
        ..WorkPage::default()
    };
    form_answer(
        &state,
        lang,
        session,
        round_id,
        ANSWERS_FORM,
        form,
        saved,
        back,
    )
    .await
}

/// `POST /admin/bedomning/{round}/konsensus`: the agreed answers and the reasons.
pub async fn consensus<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(round_id): Path<RoundId>,
    change: Change<Pairs>,
) -> Result<Response, WebError> {
    let (session, Pairs(form)) = (&change.session, &change.form);
    let reasons: HashMap<&str, &str> = by_question(form, "r").into_iter().collect();
    let forms: Vec<DecisionForm> = by_question(form, "k")
        .into_iter()
        .map(|(q, answer)| DecisionForm {
            question: q.to_owned(),
            answer: answer.to_owned(),
            reason: reasons.get(q).copied().unwrap_or_default().to_owned(),
        })
        .collect();
    let saved = a::decide(
        &state.store,
        &session.user.grants,
        session.user.id,
        round_id,
        &forms,
        &state.actor(session),
    )
    .await;
    let typed: HashMap<String, String> = form.iter().cloned().collect();
    let back = WorkPage::default();
    form_answer(
        &state,
        lang,
        session,
        round_id,
        CONSENSUS_FORM,
        &typed,
        saved,
        back,
    )
    .await
}

/// After a work-page form's use case: back to the page with its notice, or, when what was
/// typed was wrong, the page again as typed with each problem beside its question's field.
#[allow(clippy::too_many_arguments)]
async fn form_answer<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    round_id: RoundId,
    form: &'static str,
    typed: &HashMap<String, String>,
    saved: Result<(), AssessError>,
    back: WorkPage,
) -> Result<Response, WebError> {
    let mut problems = match saved {
        Ok(()) => return Ok(done(state, lang, round_id, form)),
        Err(AssessError::BadRows(problems)) => problems,
        Err(AssessError::Invalid(problem)) => vec![problem],
        Err(other) => return Err(other.into()),
    };
    problems.truncate(100);
    let mut typed = typed.clone();
    typed.remove("csrf");
    let answer_prefix = if form == ANSWERS_FORM { "a" } else { "k" };
    let failed = Failed::located(lang, form, &typed, &problems, |p| {
        question_field(p, answer_prefix)
    });
    let page = WorkPage {
        failed: Some(failed),
        typed,
        ..back
    };
    work_page(state, lang, session, round_id, page).await
}

/// The form field a problem with one question's answer belongs to ("e.kk1" for its
/// evidence; the answer's own field, `answer_prefix`, when it names none), and the problem
/// said without the question.
fn question_field<'m>(problem: &'m Message, answer_prefix: &str) -> Option<(String, &'m Message)> {
    if problem.code != "at_question" {
        return None;
    }
    let question = problem.text("id")?;
    let inner = problem.said("problem")?;
    let (prefix, alone) = match inner.field_problem() {
        Some((field, alone)) => (
            match field {
                "evidence" => "e",
                "link" => "l",
                "comment" => "c",
                "file" => "f",
                "reason" => "r",
                _ => answer_prefix,
            },
            alone,
        ),
        None => (answer_prefix, inner),
    };
    Some((format!("{prefix}.{question}"), alone))
}

/// `POST /admin/bedomning/{round}/bedomare`: gives a person a part, or removes them.
pub async fn assessor<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(round_id): Path<RoundId>,
    change: Change<AssessorFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let saved = match f.role.as_str() {
        "remove" => Ok(None),
        code => AssessorRole::parse(code).map(Some).ok_or_else(|| {
            AssessError::Invalid(Message::in_field("role", Message::new("choose_part")))
        }),
    };
    let saved = match saved {
        Ok(role) => {
            a::set_assessor(
                &state.store,
                &session.user.grants,
                round_id,
                &f.email,
                role,
                &state.actor(session),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(done(&state, lang, round_id, "bedomare")),
        Err(e) => {
            let typed = HashMap::from([
                ("email".to_owned(), f.email.clone()),
                ("role".to_owned(), f.role.clone()),
            ]);
            // A problem that names no field is about the person.
            let problems = e.into_problems()?;
            let failed = Failed::located(lang, "p", &typed, &problems, |p| {
                Some(match p.field_problem() {
                    Some((field, alone)) => (field.to_owned(), alone),
                    None => ("email".to_owned(), p),
                })
            });
            let page = WorkPage {
                failed: Some(failed),
                ..WorkPage::default()
            };
            work_page(&state, lang, session, round_id, page).await
        }
    }
}

/// `POST /admin/bedomning/{round}/namn`: renames a round not yet published.
pub async fn rename<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(round_id): Path<RoundId>,
    change: Change<RenameFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let saved = a::rename_round(
        &state.store,
        &session.user.grants,
        round_id,
        &change.form.title,
        &state.actor(session),
    )
    .await;
    let typed: HashMap<String, String> =
        HashMap::from([("title".to_owned(), change.form.title.clone())]);
    match saved {
        Err(AssessError::Invalid(problem)) => {
            let page = WorkPage {
                failed: Some(Failed::new(lang, "namn", &typed, &[problem])),
                ..WorkPage::default()
            };
            work_page(&state, lang, session, round_id, page).await
        }
        saved => {
            saved?;
            Ok(done(&state, lang, round_id, "namn"))
        }
    }
}

/// The rename form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RenameFields {
    title: String,
}

/// `POST /admin/bedomning/{round}/sista-dag`: sets or clears the round's deadline; a date
/// that is not one comes back in the form with its problem.
pub async fn deadline<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(round_id): Path<RoundId>,
    change: Change<DeadlineFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let saved = a::set_deadline(
        &state.store,
        &session.user.grants,
        round_id,
        &change.form.deadline,
        &state.actor(session),
    )
    .await;
    match saved {
        Err(AssessError::Invalid(problem)) => {
            let typed = HashMap::from([("deadline".to_owned(), change.form.deadline.clone())]);
            let page = WorkPage {
                failed: Some(Failed::new(lang, "sista-dag", &typed, &[problem])),
                ..WorkPage::default()
            };
            work_page(&state, lang, session, round_id, page).await
        }
        saved => {
            saved?;
            Ok(done(&state, lang, round_id, "sista-dag"))
        }
    }
}

/// `POST /admin/bedomning/{round}/ratta`: reopens a published round to correct it, with
/// the reason residents read; a missing reason comes back in the form.
pub async fn correct<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(round_id): Path<RoundId>,
    change: Change<CorrectFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let saved = a::reopen_for_correction(
        &state.store,
        &session.user.grants,
        round_id,
        &change.form.reason,
        &state.actor(session),
    )
    .await;
    match saved {
        Err(AssessError::Invalid(problem)) => {
            let typed = HashMap::from([("reason".to_owned(), change.form.reason.clone())]);
            let page = WorkPage {
                failed: Some(Failed::new(lang, "ratta", &typed, &[problem])),
                ..WorkPage::default()
            };
            work_page(&state, lang, session, round_id, page).await
        }
        saved => {
            saved?;
            Ok(done(&state, lang, round_id, "rattas"))
        }
    }
}

/// Why a published round is reopened.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CorrectFields {
    reason: String,
}

/// The deadline form: an ISO date, or empty for none.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeadlineFields {
    deadline: String,
}

/// `POST /admin/bedomning/{round}/ta-bort`: removes a draft round with everything in it,
/// once the person has ticked that they mean it; back to the municipality's rounds.
pub async fn delete<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(round_id): Path<RoundId>,
    change: Change<ConfirmFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    if !change.form.confirmed() {
        let problem = Message::in_field("confirmed", Message::new("tick_to_remove"));
        let page = WorkPage {
            failed: Some(Failed::new(
                lang,
                "ta-bort",
                &HashMap::<String, String>::new(),
                &[problem],
            )),
            ..WorkPage::default()
        };
        return work_page(&state, lang, session, round_id, page).await;
    }
    let m = a::delete_round(
        &state.store,
        &session.user.grants,
        round_id,
        &state.actor(session),
    )
    .await?;
    state.invalidate_version();
    Ok(redirect(
        &format!(
            "{}/admin/kommun/{m}/bedomningar?klart=borttaget",
            lang.base()
        ),
        &[],
    ))
}

/// A person's part in a round, or `remove`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssessorFields {
    email: String,
    role: String,
}

/// `POST /admin/bedomning/{round}/steg`: submits, reviews, returns or publishes.
pub async fn step<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(round_id): Path<RoundId>,
    change: Change<StepFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let step = Step::parse(&change.form.step).ok_or_else(|| {
        WebError::invalid(Message::in_field("step", Message::new("unknown_step")))
    })?;
    if step == Step::Publish && change.form.confirmed != "1" {
        // Publishing is asked about first, on a page that says what becomes public.
        return Ok(redirect(
            &format!("{}/publicera", round_path(lang, round_id)),
            &[],
        ));
    }
    let actor = state.actor(session);
    a::take_step(
        &state.store,
        &session.user.grants,
        session.user.id,
        round_id,
        step,
        &actor,
    )
    .await?;
    if state.mail {
        notify(&state, lang, session, round_id, step, actor.at).await;
    }
    Ok(done(&state, lang, round_id, step.code()))
}

/// Tells by e-mail those who can act on the round now (or its assessors that it is
/// published); a failure is logged, the step stays taken.
async fn notify<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    round_id: RoundId,
    step: Step,
    at: kvalitet_domain::Timestamp,
) {
    let Ok(r) = a::round(&state.store, round_id).await else {
        return;
    };
    let Ok((_, d)) = state.directory().await else {
        return;
    };
    let link = if step == Step::Publish {
        format!(
            "{}{}/kommun/{}/bedomning/{}",
            state.public_url,
            lang.base(),
            r.municipality,
            round_id.0
        )
    } else {
        format!("{}{}", state.public_url, round_path(lang, round_id))
    };
    let name = d.name(&r.municipality);
    if let Err(e) =
        kvalitet_app::mail::notify_step(&state.store, round_id, &session.user, &name, &link, at)
            .await
    {
        tracing::warn!(error = %e, "no e-mail about the step");
    }
}

/// The step button's form; publishing carries `confirmed=1` from its confirmation page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepFields {
    step: String,
    confirmed: String,
}

/// `GET /admin/bedomning/{round}/publicera`: what publishing the round makes public, what
/// stays internal and what to know first, with the button that publishes.
pub async fn confirm_publish<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(round_id): Path<RoundId>,
) -> Result<Response, WebError> {
    let w = a::work(
        &state.store,
        &session.user.grants,
        session.user.id,
        round_id,
    )
    .await?;
    let r = &w.round;
    Step::Publish
        .take(r.status, &w.standing, r.submitted_by)
        .map_err(|m| WebError::coded(StatusCode::FORBIDDEN, m))?;
    let check = a::publish_check(&w, round::MIN_SURVEY_ANSWERS);
    let mut view = ConfirmView::of(lang, &check, &session.csrf_token);
    view.what = format!("{} {}", r.title, r.year.get());
    view.public.insert(
        1,
        lang.say(
            &Message::new("public_round_total")
                .with("score", lang.number(w.scores.total, 1))
                .with("max", lang.number(w.framework.total_max(), 0)),
        ),
    );
    view.action = format!("{}/steg", round_path(lang, round_id));
    view.hidden = vec![("step", Step::Publish.code().to_owned())];
    view.back = round_path(lang, round_id);
    view.other_path = format!("{}/publicera", round_path(lang.other(), round_id));
    Ok(render_private(&state, lang, &session, "confirm.html", view))
}

/// `POST /admin/bedomning/{round}/enkat`: a survey's answer distributions as CSV.
/// A survey round's distributions taken from a survey answered in kvalitet (HME's nine
/// statements, say): the answers counted per step as a survey company's file gives them, and
/// imported by the same path, so the indices come out as from that file.
async fn survey_from_kvalitet<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    round_id: RoundId,
    survey: i64,
) -> Result<Response, WebError> {
    let w = a::work(
        &state.store,
        &session.user.grants,
        session.user.id,
        round_id,
    )
    .await?;
    let (text, invited) = kvalitet_app::surveys::distributions(
        &state.store,
        &session.user.grants,
        &w.round.municipality,
        survey,
    )
    .await?;
    let saved = a::import_survey(
        &state.store,
        &session.user.grants,
        session.user.id,
        round_id,
        &text,
        invited,
        round::MIN_SURVEY_ANSWERS,
        &state.actor(session),
    )
    .await;
    match saved {
        Ok(()) => Ok(done(state, lang, round_id, "enkat")),
        Err(e) => {
            let problems = e.into_problems()?;
            let failed = Failed::located(
                lang,
                "s",
                &HashMap::<String, String>::new(),
                &problems,
                |p| Some(("from_survey".to_owned(), p)),
            );
            let page = WorkPage {
                failed: Some(failed),
                ..WorkPage::default()
            };
            work_page(state, lang, session, round_id, page).await
        }
    }
}

pub async fn survey<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(round_id): Path<RoundId>,
    upload: Upload,
) -> Result<Response, WebError> {
    let session = &upload.session;
    if let Ok(survey) = upload.field("from_survey").trim().parse::<i64>() {
        return survey_from_kvalitet(&state, lang, session, round_id, survey).await;
    }
    let (_, bytes) = upload.file()?;
    let invited_text = upload.field("invited").trim().to_owned();
    let invited = match Some(invited_text.as_str()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| {
                AssessError::Invalid(Message::in_field(
                    "invited",
                    Message::new("not_a_number_of_people").with("value", format!("{s:?}")),
                ))
            }),
    };
    // CSV, or the first sheet of a spreadsheet.
    let text = kvalitet_formats::table::upload_text(bytes).map_err(AssessError::Invalid);
    let saved = match (text, invited) {
        (Ok(text), Ok(invited)) => {
            a::import_survey(
                &state.store,
                &session.user.grants,
                session.user.id,
                round_id,
                &text,
                invited,
                round::MIN_SURVEY_ANSWERS,
                &state.actor(session),
            )
            .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match saved {
        Ok(()) => Ok(done(&state, lang, round_id, "enkat")),
        Err(e) => {
            let typed = HashMap::from([("invited".to_owned(), invited_text)]);
            // The file cannot be given back: its problems are said beside the file field.
            let problems = e.into_problems()?;
            let failed = Failed::located(lang, "s", &typed, &problems, |p| {
                Some(match p.field_problem() {
                    Some(("invited", alone)) => ("invited".to_owned(), alone),
                    _ => ("file".to_owned(), p),
                })
            });
            let page = WorkPage {
                failed: Some(failed),
                files_again: true,
                ..WorkPage::default()
            };
            work_page(&state, lang, session, round_id, page).await
        }
    }
}

/// `GET /admin/bedomning/{round}/mall/enkat.{csv,xlsx}`: the answer distributions file to
/// fill in, a row per statement of the framework's scale, for those who import them.
pub async fn template<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((round_id, file)): Path<(RoundId, String)>,
) -> Result<Response, WebError> {
    let kind = match file.as_str() {
        "enkat.csv" => crate::downloads::Kind::ExcelCsv,
        "enkat.xlsx" => crate::downloads::Kind::Xlsx,
        _ => return Err(WebError::not_found(lang.t("page_missing"))),
    };
    let w = a::work(
        &state.store,
        &session.user.grants,
        session.user.id,
        round_id,
    )
    .await?;
    let (header, rows) = a::distribution_template(&w.framework);
    let table = crate::downloads::Table {
        title: w.round.title.clone(),
        numeric: vec![false; header.len()],
        header,
        rows,
    };
    Ok(crate::downloads::respond(
        kind,
        &table,
        &format!("kvalitet-mall-enkat-{round_id}"),
        &[],
    ))
}

/// `GET /admin/dokument/{id}`: an evidence file, always as a download.
pub async fn document<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Session(session): Session,
    Path(id): Path<DocumentId>,
) -> Result<Response, WebError> {
    match a::document(&state.store, &session.user.grants, session.user.id, id).await {
        Ok((d, body)) => Ok(crate::proposal_files::file_response(
            body,
            &d.content_type,
            &d.filename,
            false,
            "no-store",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `GET /kommun/{id}/bedomning/{round}`: the report; public once published, a preview for
/// the round's people before.
pub async fn report<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
    Path((id, round_id)): Path<(String, RoundId)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let session = state.current_session(&headers).await?;
    let (grants, user) = session
        .as_ref()
        .map_or((Grants::default(), UserId::NOBODY), |s| {
            (s.user.grants.clone(), s.user.id)
        });
    // A published report changes only when something is published or a framework is
    // loaded, both of which change the data version: it is kept per version.
    let print = query_pairs(raw.as_deref())
        .iter()
        .any(|(k, _)| k == "utskrift");
    let key = format!("{}/kommun/{id}/bedomning/{round_id}?{print}", lang.base());
    let version = state.data_version().await?;
    if let Some(page) = state.pages.get(version, &key) {
        return Ok(page_response(page, false));
    }
    let rep = a::report(&state.store, &grants, user, round_id).await?;
    if rep.round.municipality.as_str() != id {
        return Err(WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("round_not_found").with("id", round_id),
        ));
    }
    let (_, d) = state.directory().await?;
    let num = |v: f64| lang.number(v, 1);
    let row = |r: &'_ a::ReportRow| ReportLine {
        title: r.title.clone(),
        score: r.score.map(num),
        max: lang.number(r.max, 0),
        answered: r.answered,
        questions: r.questions,
        mean: r.others.map(|o| num(o.mean)),
        min: r.others.map(|o| num(o.min)),
        max_others: r.others.map(|o| num(o.max)),
        n: r.others.map(|o| o.n),
    };
    let share = |v: f64, max: f64| if max > 0.0 { v / max * 100.0 } else { 0.0 };
    let bars: Vec<AreaBar<'_>> = rep
        .areas
        .iter()
        .map(|r| AreaBar {
            label: &r.title,
            share: r.score.map(|s| share(s, r.max)),
            others: r.others.map(|o| {
                (
                    share(o.min, r.max),
                    share(o.mean, r.max),
                    share(o.max, r.max),
                )
            }),
        })
        .collect();
    let title = lang.t("area_bars_title");
    let desc = lang.say(&Message::new("area_bars_description").with("compared", rep.compared_with));
    let chart = charts::area_bars(&bars, title, &desc, "areas");
    let part = |p: &'_ a::PartWithText| PartLine {
        title: p.part.title.clone(),
        share: lang.number(p.part.share, 0),
        texts: p.texts.clone(),
    };
    let earlier: Vec<EarlierLine> = rep
        .earlier
        .iter()
        .map(|e| EarlierLine {
            title: e.round.title.clone(),
            year: e.round.year.get(),
            version: e.round.framework_version.clone(),
            comparable: e.comparable,
            total: num(e.total),
            areas: rep
                .framework
                .areas
                .iter()
                .map(|a| e.areas.get(&a.id).map(|v| num(*v)))
                .collect(),
        })
        .collect();
    let body = state.render(
        "round-report.html",
        lang,
        ReportView {
            r: ReportFacts {
                id: rep.round.id,
                title: &rep.round.title,
                year: rep.round.year.get(),
                kind: word(lang, rep.round.kind.code()),
                status: word(lang, rep.round.status.code()),
                published: rep.round.status == Status::Published,
                m: rep.round.municipality.to_string(),
                m_name: d.name(&rep.round.municipality),
                corrections: rep
                    .round
                    .corrections
                    .iter()
                    .map(|c| {
                        lang.say(
                            &Message::new("round_corrected")
                                .with("date", c.at.local_date_text())
                                .with("reason", &c.reason),
                        )
                    })
                    .collect(),
            },
            f: FrameworkFacts {
                name: &rep.framework.name,
                version: &rep.framework.version,
                valid_from: &rep.framework.valid_from,
            },
            total: row(&rep.total),
            areas: rep.areas.iter().map(row).collect(),
            chart,
            strengths: rep.strengths.iter().map(part).collect(),
            improvements: rep.improvements.iter().map(part).collect(),
            earlier,
            area_titles: rep
                .framework
                .areas
                .iter()
                .map(|a| a.title.as_str())
                .collect(),
            survey: rep
                .survey
                .iter()
                .map(|s| SurveyLine {
                    question: &s.question,
                    text: &s.text,
                    counts: &s.counts,
                    answers: s.answers,
                    mean: s.mean.map(|m| lang.number(m, 2)),
                    index: s.index.map(num),
                    reported: s.reported,
                })
                .collect(),
            steps: rep.survey.first().map_or(0, |s| s.counts.len()),
            response_rate: rep.response_rate.map(num),
            compared_with: rep.compared_with,
            print,
            other_path: format!("{}/kommun/{id}/bedomning/{round_id}", lang.other().base()),
        },
    )?;
    if rep.round.status == Status::Published {
        let page = Page::compressed(body);
        state.pages.put(version, key, page.clone());
        Ok(page_response(page, false))
    } else {
        Ok(private_page(body, StatusCode::OK))
    }
}

/// `GET /admin/ramverk`: the framework editor (system administrators).
pub async fn editor<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    if !session.user.grants.system_admin {
        return Err(WebError::coded(
            StatusCode::FORBIDDEN,
            Message::new("only_system_admin_frameworks"),
        ));
    }
    let frameworks = a::frameworks(&state.store).await?;
    let pairs = query_pairs(raw.as_deref());
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let source = frameworks
        .iter()
        .find(|(i, v, _)| Some(i.as_str()) == get("id") && Some(v.as_str()) == get("version"))
        .map(|(_, _, s)| s.clone())
        .unwrap_or_default();
    render_editor(
        &state,
        lang,
        &session,
        &frameworks,
        &source,
        get("klart"),
        &[],
    )
}

fn render_editor<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    frameworks: &[(String, String, String)],
    source: &str,
    notice: Option<&str>,
    errors: &[String],
) -> Result<Response, WebError> {
    let body = state.render(
        "framework-edit.html",
        lang,
        crate::auth::with_staff(
            session,
            EditorView {
                frameworks: frameworks
                    .iter()
                    .map(|(i, v, _)| FrameworkLink {
                        id: i,
                        version: v,
                        query: format!(
                            "id={}&version={}",
                            crate::site::encode(i),
                            crate::site::encode(v)
                        ),
                    })
                    .collect(),
                source,
                notice,
                errors,
                csrf: &session.csrf_token,
                other_path: format!("{}/admin/ramverk", lang.other().base()),
            },
        ),
    );
    let mut r = private_page(body?, StatusCode::OK);
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(r)
}

/// `POST /admin/ramverk`: checks and saves a framework; errors come back beside the text.
pub async fn save_framework<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    change: Change<FrameworkFields>,
) -> Result<Response, WebError> {
    let (session, source) = (&change.session, &change.form.source);
    match a::save_framework(
        &state.store,
        &session.user.grants,
        source,
        &state.actor(session),
    )
    .await
    {
        Ok(f) => {
            state.invalidate_version();
            Ok(redirect(
                &format!(
                    "{}/admin/ramverk?id={}&version={}&klart=sparat",
                    lang.base(),
                    crate::site::encode(&f.id),
                    crate::site::encode(&f.version)
                ),
                &[],
            ))
        }
        Err(AssessError::BadRows(errors)) => {
            let frameworks = a::frameworks(&state.store).await?;
            let errors: Vec<String> = errors.iter().map(|e| lang.say(e)).collect();
            render_editor(&state, lang, session, &frameworks, source, None, &errors)
        }
        Err(e) => Err(e.into()),
    }
}

/// The framework editor's form: the framework's text.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FrameworkFields {
    source: String,
}

/// A round's report as residents read it once published.
#[derive(Serialize)]
struct ReportView<'a> {
    r: ReportFacts<'a>,
    f: FrameworkFacts<'a>,
    total: ReportLine,
    areas: Vec<ReportLine>,
    chart: String,
    strengths: Vec<PartLine>,
    improvements: Vec<PartLine>,
    earlier: Vec<EarlierLine>,
    area_titles: Vec<&'a str>,
    survey: Vec<SurveyLine<'a>>,
    /// The number of answer steps of the survey's statements.
    steps: usize,
    response_rate: Option<String>,
    compared_with: usize,
    print: bool,
    other_path: String,
}

#[derive(Serialize)]
struct ReportFacts<'a> {
    id: RoundId,
    title: &'a str,
    year: i16,
    kind: &'static str,
    status: &'static str,
    published: bool,
    m: String,
    m_name: String,
    /// Each correction since it was first published: "Rättad 1 december 2026: …".
    corrections: Vec<String>,
}

/// An area's (or the total's) score beside the spread of the other municipalities.
#[derive(Serialize)]
struct ReportLine {
    title: String,
    score: Option<String>,
    max: String,
    answered: usize,
    questions: usize,
    mean: Option<String>,
    min: Option<String>,
    max_others: Option<String>,
    n: Option<usize>,
}

/// A strength or improvement area with what the assessors wrote about it.
#[derive(Serialize)]
struct PartLine {
    title: String,
    share: String,
    texts: Vec<String>,
}

#[derive(Serialize)]
struct EarlierLine {
    title: String,
    year: i16,
    version: String,
    comparable: bool,
    total: String,
    areas: Vec<Option<String>>,
}

#[derive(Serialize)]
struct SurveyLine<'a> {
    question: &'a str,
    text: &'a str,
    counts: &'a [u64],
    answers: u64,
    mean: Option<String>,
    index: Option<String>,
    reported: bool,
}

/// The framework editor: the loaded frameworks, the text being edited and its errors.
#[derive(Serialize)]
struct EditorView<'a> {
    frameworks: Vec<FrameworkLink<'a>>,
    source: &'a str,
    notice: Option<&'a str>,
    errors: &'a [String],
    csrf: &'a str,
    other_path: String,
}

#[derive(Serialize)]
struct FrameworkLink<'a> {
    id: &'a str,
    version: &'a str,
    query: String,
}
