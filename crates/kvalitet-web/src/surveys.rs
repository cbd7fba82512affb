//! Surveys on the web: for the municipality's people, the list with the form for a new survey
//! (from a shipped template or the municipality's own file), a survey's page (its questions
//! edited as text, opened and closed, personal links made as a file to send, a person's link
//! deleted on request), a preview, the results with their margins and the downloads; for
//! respondents, the answer page at the survey's address or a personal link, which works
//! without script and on a phone. Staff changes need a session and its CSRF token; the
//! answer form carries a double-submit token, since respondents have no session.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Form, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use kvalitet_app::Store;
use kvalitet_app::ports::{SessionRecord, SurveyStatus};
use kvalitet_app::surveys::{self as app, Invitee, Link, Survey, SurveyResults, SurveySetup};
use kvalitet_domain::questionnaire::{DONT_KNOW, Question, QuestionKind, Questionnaire};
use kvalitet_domain::survey_results::{Both, QuestionResult};
use kvalitet_domain::weighting::Estimate;
use kvalitet_domain::{Action, Message, MunicipalityId};

use crate::admin::municipality;
use crate::auth::{private_page, redirect, render_private};
use crate::downloads::{self, Kind};
use crate::extract::{Change, PageLang, Pairs, Session, Upload};
use crate::forms::{Failed, answered};
use crate::i18n::Lang;
use crate::site::Named;
use crate::{AppState, WebError, query_pairs};

/// The questionnaires shipped with kvalitet, offered when a survey is made.
const TEMPLATES: [(&str, &str); 3] = [
    ("hme", include_str!("../../../data/surveys/hme.toml")),
    (
        "brukarundersokning",
        include_str!("../../../data/surveys/brukarundersokning.toml"),
    ),
    (
        "medborgarpanel",
        include_str!("../../../data/surveys/medborgarpanel.toml"),
    ),
];

/// How long personal data is kept after a survey closes unless the builder says otherwise.
const DEFAULT_RETENTION_DAYS: u32 = 90;

fn surveys_path(lang: Lang, m: &MunicipalityId) -> String {
    format!("{}/admin/kommun/{m}/enkater", lang.base())
}

fn survey_path(lang: Lang, m: &MunicipalityId, id: i64) -> String {
    format!("{}/{id}", surveys_path(lang, m))
}

fn notice(lang: Lang, raw: Option<&str>) -> Option<String> {
    let code = query_pairs(raw)
        .into_iter()
        .find(|(k, _)| k == "klart")
        .map(|(_, v)| v)?;
    let key = match code.as_str() {
        "skapad" => "survey_notice_created",
        "fragor" => "survey_notice_saved",
        "oppnad" => "survey_notice_opened",
        "stangd" => "survey_notice_closed",
        "raderad" => "survey_notice_deleted",
        "viktad" => "survey_notice_weighted",
        _ => return None,
    };
    Some(lang.t(key).to_owned())
}

fn status_words(lang: Lang, status: SurveyStatus) -> &'static str {
    lang.t(match status {
        SurveyStatus::Draft => "survey_status.draft",
        SurveyStatus::Open => "survey_status.open",
        SurveyStatus::Closed => "survey_status.closed",
    })
}

#[derive(Serialize)]
struct SurveyLine {
    id: i64,
    code: String,
    title: String,
    status: &'static str,
    responses: u64,
    invited: u64,
    answered: u64,
}

fn line(lang: Lang, s: &Survey) -> SurveyLine {
    SurveyLine {
        id: s.stored.id,
        code: s.stored.code.clone(),
        title: s
            .questionnaire
            .title
            .in_english(lang == Lang::En)
            .to_owned(),
        status: status_words(lang, s.stored.status),
        responses: s.stored.responses,
        invited: s.stored.invited,
        answered: s.stored.answered_invitations,
    }
}

#[derive(Serialize)]
struct Choice {
    code: String,
    label: String,
}

#[derive(Serialize)]
struct ListView<'a> {
    m: Named,
    csrf: &'a str,
    notice: Option<String>,
    surveys: Vec<SurveyLine>,
    can_edit: bool,
    templates: Vec<Choice>,
    retention_days: u32,
    failed: Option<Failed>,
    other_path: String,
}

/// `GET /admin/kommun/{id}/enkater`: the municipality's surveys and the form for a new one.
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
    let surveys = app::list(&state.store, &session.user.grants, m).await?;
    let sent_back = failed.is_some();
    let view = ListView {
        m: Named::of(&d, m),
        csrf: &session.csrf_token,
        notice,
        surveys: surveys.iter().map(|s| line(lang, s)).collect(),
        can_edit: session.user.grants.allows(Action::EditMeasures, m),
        templates: TEMPLATES
            .iter()
            .map(|(code, _)| Choice {
                code: (*code).to_owned(),
                label: lang.t(&format!("survey_template.{code}")).to_owned(),
            })
            .chain(std::iter::once(Choice {
                code: "egen".into(),
                label: lang.t("survey_template.own").to_owned(),
            }))
            .collect(),
        retention_days: DEFAULT_RETENTION_DAYS,
        failed,
        other_path: format!("{}/admin/kommun/{m}/enkater", lang.other().base()),
    };
    let response = render_private(state, lang, session, "surveys.html", view);
    Ok(answered(response, sent_back))
}

/// What the new-survey form sends back.
#[derive(Serialize)]
struct NewFields<'a> {
    code: &'a str,
    template: &'a str,
    retention_days: &'a str,
    open_link: bool,
}

/// `POST /admin/kommun/{id}/enkater`: a new survey from a template or an uploaded file, as a
/// draft; or the form back with every problem (the file's named by question).
pub async fn create<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    upload: Upload,
) -> Result<Response, WebError> {
    let session = &upload.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let typed = NewFields {
        code: upload.field("code").trim(),
        template: upload.field("template"),
        retention_days: upload.field("retention_days").trim(),
        open_link: !upload.field("open_link").is_empty(),
    };
    let back = |problems: Vec<Message>| Failed::new(lang, "n", &typed, &problems);
    let file = upload.files().iter().find(|f| f.field == "file");
    let source = match (typed.template, file) {
        (_, Some(file)) => match std::str::from_utf8(&file.bytes) {
            Ok(text) => text.trim_start_matches('\u{feff}').to_owned(),
            Err(_) => {
                let problem = Message::in_field(
                    "file",
                    Message::new("goals_file_not_text").with("file", &file.name),
                );
                let failed = back(vec![problem]);
                return list_page(&state, lang, session, &m, None, Some(failed)).await;
            }
        },
        (code, None) => match TEMPLATES.iter().find(|(c, _)| *c == code) {
            Some((_, text)) => (*text).to_owned(),
            None => {
                let failed = back(vec![Message::in_field(
                    "file",
                    Message::new("survey_file_needed"),
                )]);
                return list_page(&state, lang, session, &m, None, Some(failed)).await;
            }
        },
    };
    let retention_days = typed.retention_days.parse().unwrap_or(0);
    let setup = SurveySetup {
        code: typed.code,
        open_link: typed.open_link,
        retention_days,
    };
    let created = app::create(
        &state.store,
        &session.user.grants,
        &m,
        setup,
        &source,
        &state.actor(session),
    )
    .await;
    match created {
        Ok(survey) => Ok(redirect(
            &format!("{}?klart=skapad", survey_path(lang, &m, survey)),
            &[],
        )),
        Err(refusal) => {
            let problems = refusal.into_problems()?;
            // The file's problems name their question, not a field of this form.
            let failed = Failed::located(lang, "n", &typed, &problems, |p| {
                p.field_problem()
                    .filter(|(f, _)| ["code", "retention_days"].contains(f))
                    .map(|(f, alone)| (f.to_owned(), alone))
                    .or(Some(("file".to_owned(), p)))
            });
            list_page(&state, lang, session, &m, None, Some(failed)).await
        }
    }
}

#[derive(Serialize)]
struct InvitationLine {
    id: i64,
    email: String,
    created: String,
    answered: bool,
}

#[derive(Serialize)]
struct SurveyView<'a> {
    m: Named,
    csrf: &'a str,
    notice: Option<String>,
    survey: SurveyLine,
    status: &'static str,
    open_link: bool,
    /// The survey's public address, when it takes answers there.
    address: Option<String>,
    version: i64,
    retention_days: u32,
    /// The panel whose wave it is.
    panel: Option<i64>,
    source: String,
    /// The questions in order, the sections a new one can go in, the kinds, and the
    /// choice questions a condition can name: the question form.
    questions: Vec<QuestionLine>,
    sections: Vec<Choice>,
    kinds: Vec<Choice>,
    conditions: Vec<Choice>,
    can_edit: bool,
    can_run: bool,
    invitations: Vec<InvitationLine>,
    failed: Option<Failed>,
    other_path: String,
}

async fn survey_page<S: Store>(
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
    let survey = app::for_staff(&state.store, grants, m, id).await?;
    let invitations = state
        .store
        .invitations(m, id)
        .await
        .map_err(WebError::internal)?;
    let sent_back = failed.is_some();
    let stored = &survey.stored;
    let view = SurveyView {
        m: Named::of(&d, m),
        csrf: &session.csrf_token,
        notice,
        status: status_words(lang, stored.status),
        open_link: stored.open_link,
        address: stored.open_link.then(|| {
            format!(
                "{}{}/kommun/{m}/enkat/{}",
                state.public_url,
                lang.base(),
                stored.code
            )
        }),
        version: stored.version,
        retention_days: stored.retention_days,
        panel: stored.panel,
        questions: survey
            .questionnaire
            .questions()
            .map(|q| QuestionLine {
                id: q.id.clone(),
                text: q.text.in_english(lang == Lang::En).to_owned(),
                kind: lang.t(&format!("question_kind.{}", q.kind.code())),
            })
            .collect(),
        sections: survey
            .questionnaire
            .sections
            .iter()
            .enumerate()
            .map(|(i, sec)| Choice {
                code: i.to_string(),
                label: sec.title.in_english(lang == Lang::En).to_owned(),
            })
            .chain(std::iter::once(Choice {
                code: "new".into(),
                label: lang.t("survey_new_section").to_owned(),
            }))
            .collect(),
        kinds: QuestionKind::ALL
            .iter()
            .map(|k| Choice {
                code: k.code().to_owned(),
                label: lang.t(&format!("question_kind.{}", k.code())).to_owned(),
            })
            .collect(),
        conditions: survey
            .questionnaire
            .questions()
            .filter(|q| matches!(q.kind, QuestionKind::Single | QuestionKind::Multiple))
            .map(|q| Choice {
                code: q.id.clone(),
                label: q.text.in_english(lang == Lang::En).to_owned(),
            })
            .collect(),
        source: failed
            .as_ref()
            .and_then(|f| f.typed("source"))
            .map_or_else(|| stored.source.clone(), str::to_owned),
        can_edit: grants.allows(Action::EditMeasures, m) && stored.status != SurveyStatus::Closed,
        can_run: grants.allows(Action::Publish, m),
        invitations: invitations
            .into_iter()
            .map(|i| InvitationLine {
                id: i.id,
                email: i.email.unwrap_or_default(),
                created: i.created_at.local_date_text(),
                answered: i.answered,
            })
            .collect(),
        survey: line(lang, &survey),
        failed,
        other_path: format!("{}/admin/kommun/{m}/enkater/{id}", lang.other().base()),
    };
    let response = render_private(state, lang, session, "survey.html", view);
    Ok(answered(response, sent_back))
}

/// `GET /admin/kommun/{id}/enkater/{survey}`: a survey for its municipality's people.
pub async fn survey<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, survey)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    survey_page(
        &state,
        lang,
        &session,
        &m,
        survey,
        notice(lang, raw.as_deref()),
        None,
    )
    .await
}

#[derive(Serialize)]
struct QuestionLine {
    id: String,
    text: String,
    kind: &'static str,
}

/// The question form's fields: the question, and the version the page showed.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct QuestionFormFields {
    #[serde(flatten)]
    question: kvalitet_domain::questionnaire::QuestionFields,
    version: String,
    /// The question to remove (the remove buttons).
    remove: String,
}

/// The fields of the question form that a problem can stand beside.
const QUESTION_FORM_FIELDS: [&str; 9] = [
    "section",
    "new_section",
    "id",
    "kind",
    "text",
    "options",
    "scale",
    "show_if",
    "show_if_answers",
];

/// `POST /admin/kommun/{id}/enkater/{survey}/fraga`: a question added (or, with `remove`,
/// taken away) through the form, the questionnaire checked whole and saved as an edited text
/// would be; or the form back with each problem beside its field and what was typed.
pub async fn edit_question<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, survey)): Path<(String, i64)>,
    change: Change<QuestionFormFields>,
) -> Result<Response, WebError> {
    use kvalitet_domain::questionnaire::QuestionEdit;
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let edit = if f.remove.trim().is_empty() {
        QuestionEdit::Add(Box::new(f.question.clone()))
    } else {
        QuestionEdit::Remove(f.remove.trim().to_owned())
    };
    let saved = app::edit_questions(
        &state.store,
        &session.user.grants,
        &m,
        survey,
        f.version.trim().parse().unwrap_or(0),
        &edit,
        &state.actor(session),
    )
    .await;
    match saved {
        Ok(_) => Ok(redirect(
            &format!("{}?klart=fragor#q-h", survey_path(lang, &m, survey)),
            &[],
        )),
        Err(refusal) => {
            let problems = refusal.into_problems()?;
            let failed = Failed::located(lang, "qf", &f.question, &problems, |p| {
                p.inner_field_problem()
                    .filter(|(field, _)| QUESTION_FORM_FIELDS.contains(field))
                    .map(|(field, alone)| (field.to_owned(), alone))
            });
            survey_page(&state, lang, session, &m, survey, None, Some(failed)).await
        }
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct QuestionsFields {
    source: String,
    version: String,
}

/// `POST /admin/kommun/{id}/enkater/{survey}/fragor`: the questionnaire as edited, checked
/// whole (and, once answered, against the questions asked); or the form back with every
/// problem and the text as sent.
pub async fn save_questions<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, survey)): Path<(String, i64)>,
    change: Change<QuestionsFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let saved = app::save_questionnaire(
        &state.store,
        &session.user.grants,
        &m,
        survey,
        f.version.trim().parse().unwrap_or(0),
        &f.source,
        &state.actor(session),
    )
    .await;
    match saved {
        Ok(_) => Ok(redirect(
            &format!("{}?klart=fragor", survey_path(lang, &m, survey)),
            &[],
        )),
        Err(refusal) => {
            let problems = refusal.into_problems()?;
            let failed =
                Failed::located(lang, "f", f, &problems, |p| Some(("source".to_owned(), p)));
            survey_page(&state, lang, session, &m, survey, None, Some(failed)).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepFields {
    to: String,
}

/// `POST /admin/kommun/{id}/enkater/{survey}/status`: opens a draft or closes an open survey.
pub async fn set_status<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, survey)): Path<(String, i64)>,
    change: Change<StepFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::Publish)?;
    let (from, to, done) = match change.form.to.as_str() {
        "open" => (SurveyStatus::Draft, SurveyStatus::Open, "oppnad"),
        "closed" => (SurveyStatus::Open, SurveyStatus::Closed, "stangd"),
        _ => return Err(WebError::invalid(Message::new("survey_status_step"))),
    };
    app::set_status(
        &state.store,
        &session.user.grants,
        &m,
        survey,
        from,
        to,
        &state.actor(session),
    )
    .await?;
    Ok(redirect(
        &format!("{}?klart={done}", survey_path(lang, &m, survey)),
        &[],
    ))
}

/// What the links form sends back.
#[derive(Serialize)]
struct LinksFields<'a> {
    count: &'a str,
}

/// `POST /admin/kommun/{id}/enkater/{survey}/lankar`: personal links for an invitation list
/// (an `email` column and background columns) or a number of links to hand out, answered as
/// a CSV file of addresses and links to send: the only time the links are seen, since only
/// their hashes are kept.
pub async fn make_links<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, survey)): Path<(String, i64)>,
    upload: Upload,
) -> Result<Response, WebError> {
    let session = &upload.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let typed = LinksFields {
        count: upload.field("count").trim(),
    };
    let sent_back = |problems: Vec<Message>| {
        Failed::located(lang, "l", &typed, &problems, |p| {
            Some((
                if typed.count.is_empty() {
                    "file"
                } else {
                    "count"
                }
                .to_owned(),
                p.field_problem().map_or(p, |(_, alone)| alone),
            ))
        })
    };
    let invitees = match upload.files().iter().find(|f| f.field == "file") {
        Some(file) => {
            let read = kvalitet_formats::table::upload_text(&file.bytes)
                .map_err(|e| vec![e])
                .and_then(|text| app::read_invitation_list(&text));
            match read {
                Ok(list) => list,
                Err(problems) => {
                    let failed = sent_back(problems);
                    return survey_page(&state, lang, session, &m, survey, None, Some(failed))
                        .await;
                }
            }
        }
        None => {
            let count: usize = typed.count.parse().unwrap_or(0);
            (0..count.min(app::MAX_INVITATIONS + 1))
                .map(|_| Invitee {
                    email: None,
                    background: BTreeMap::new(),
                })
                .collect()
        }
    };
    let made = app::make_links(
        &state.store,
        &session.user.grants,
        &m,
        survey,
        invitees,
        &state.actor(session),
    )
    .await;
    let made = match made {
        Ok(made) => made,
        Err(refusal) => {
            let failed = sent_back(refusal.into_problems()?);
            return survey_page(&state, lang, session, &m, survey, None, Some(failed)).await;
        }
    };
    Ok(links_file(&state, lang, survey, &made))
}

/// The personal links just made, as a CSV file to send from: address, link, background.
pub(crate) fn links_file<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    survey: i64,
    made: &[(Invitee, String)],
) -> Response {
    let variables: Vec<String> = made
        .iter()
        .flat_map(|(i, _)| i.background.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut header = vec!["email".to_owned(), "link".to_owned()];
    header.extend(variables.iter().cloned());
    let rows = made
        .iter()
        .map(|(invitee, token)| {
            let mut row = vec![
                invitee.email.clone().unwrap_or_default(),
                format!("{}{}/enkat/{token}", state.public_url, lang.base()),
            ];
            row.extend(
                variables
                    .iter()
                    .map(|v| invitee.background.get(v).cloned().unwrap_or_default()),
            );
            row
        })
        .collect();
    let numeric = vec![false; header.len()];
    let table = downloads::Table {
        title: lang.t("survey_links_file").to_owned(),
        header,
        rows,
        numeric,
    };
    no_store(downloads::respond(
        Kind::Csv,
        &table,
        &format!("lankar-{survey}"),
        &[],
    ))
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct NoFields {}

/// `POST /admin/kommun/{id}/enkater/{survey}/vikta`: a panel wave's answers weighted to the
/// panel's population margins; refused with the reason (no margins, answers without a
/// level, a level without answers) on the survey's page.
pub async fn weight<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, survey)): Path<(String, i64)>,
    change: Change<NoFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let weighted = kvalitet_app::panels::weight_wave(
        &state.store,
        &session.user.grants,
        &m,
        survey,
        &state.actor(session),
    )
    .await;
    match weighted {
        Ok(_) => Ok(redirect(
            &format!("{}?klart=viktad", survey_path(lang, &m, survey)),
            &[],
        )),
        Err(refusal) => {
            let failed = Failed::new(lang, "w", &serde_json::json!({}), &refusal.into_problems()?);
            survey_page(&state, lang, session, &m, survey, None, Some(failed)).await
        }
    }
}

/// `POST /admin/kommun/{id}/enkater/{survey}/lankar/{invitation}/ta-bort`: a person's link
/// deleted on their request, with their answer while the survey is open.
pub async fn delete_link<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, survey, invitation)): Path<(String, i64, i64)>,
    change: Change<NoFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    state
        .store
        .delete_invitation(&m, survey, invitation, &state.actor(session))
        .await
        .map_err(kvalitet_app::refusal::Refusal::from)?;
    Ok(redirect(
        &format!("{}?klart=raderad", survey_path(lang, &m, survey)),
        &[],
    ))
}

/// One answer option as the answer page shows it.
#[derive(Serialize)]
struct OptionView {
    code: String,
    label: String,
    checked: bool,
}

#[derive(Serialize)]
struct QuestionView {
    id: String,
    kind: &'static str,
    text: String,
    help: String,
    required: bool,
    /// Options, or a scale's steps.
    options: Vec<OptionView>,
    dont_know: Option<OptionView>,
    /// What was typed (a number or a text).
    value: String,
    /// When to answer it, in words, for a question a condition shows.
    condition: Option<String>,
    /// The number field's bounds, in words.
    bounds: Option<String>,
}

#[derive(Serialize)]
struct SectionView {
    title: String,
    questions: Vec<QuestionView>,
}

fn question_view(
    lang: Lang,
    questionnaire: &Questionnaire,
    q: &Question,
    sent: &BTreeMap<String, Vec<String>>,
) -> QuestionView {
    let en = lang == Lang::En;
    let given = sent.get(&q.id).map(Vec::as_slice).unwrap_or_default();
    let checked = |code: &str| given.iter().any(|g| g == code);
    let options = match q.kind {
        QuestionKind::Single | QuestionKind::Multiple => q
            .options
            .iter()
            .map(|o| OptionView {
                code: o.code.clone(),
                label: o.text.in_english(en).to_owned(),
                checked: checked(&o.code),
            })
            .collect(),
        QuestionKind::Scale => {
            let (low, high) = (q.low.unwrap_or(1.0) as i64, q.high.unwrap_or(5.0) as i64);
            (low..=high)
                .map(|step| {
                    let code = step.to_string();
                    let end = if step == low {
                        q.low_label.as_ref()
                    } else if step == high {
                        q.high_label.as_ref()
                    } else {
                        None
                    };
                    OptionView {
                        label: match end {
                            Some(words) => format!("{step} – {}", words.in_english(en)),
                            None => code.clone(),
                        },
                        checked: checked(&code),
                        code,
                    }
                })
                .collect()
        }
        QuestionKind::Number | QuestionKind::Text => Vec::new(),
    };
    let condition = q.show_if.as_ref().map(|c| {
        let earlier = questionnaire.questions().find(|e| e.id == c.question);
        let chosen: Vec<String> = c
            .any_of
            .iter()
            .map(|code| {
                earlier
                    .and_then(|e| e.options.iter().find(|o| &o.code == code))
                    .map_or_else(|| code.clone(), |o| o.text.in_english(en).to_owned())
            })
            .collect();
        lang.say(
            &Message::new("survey_answer_if")
                .with(
                    "question",
                    earlier
                        .map_or_else(|| c.question.clone(), |e| e.text.in_english(en).to_owned()),
                )
                .with("answers", chosen.join(&format!(" {} ", lang.t("or")))),
        )
    });
    let bounds = match (q.kind, q.low, q.high) {
        (QuestionKind::Number, Some(low), Some(high)) => Some(
            lang.say(
                &Message::new("survey_number_between")
                    .with("low", lang.number(low, 0))
                    .with("high", lang.number(high, 0)),
            ),
        ),
        _ => None,
    };
    QuestionView {
        id: q.id.clone(),
        kind: q.kind.code(),
        text: q.text.in_english(en).to_owned(),
        help: q
            .help
            .as_ref()
            .map(|h| h.in_english(en).to_owned())
            .unwrap_or_default(),
        required: q.required,
        dont_know: q.dont_know.then(|| OptionView {
            code: DONT_KNOW.to_owned(),
            label: lang.t("dont_know").to_owned(),
            checked: checked(DONT_KNOW),
        }),
        value: match q.kind {
            QuestionKind::Number | QuestionKind::Text => given.first().cloned().unwrap_or_default(),
            _ => String::new(),
        },
        options,
        condition,
        bounds,
    }
}

#[derive(Serialize)]
struct AnswerView<'a> {
    title: String,
    intro: String,
    municipality: String,
    sections: Vec<SectionView>,
    action: String,
    version: i64,
    csrf: &'a str,
    /// Staff looking at a survey before it is answered: nothing is saved.
    preview: bool,
    /// The answers were saved: the thank-you page.
    thanks: bool,
    failed: Option<Failed>,
    other_path: String,
}

/// The answer page of `survey` at `path` (in both languages), with what was `sent` kept.
fn answer_view<'a>(
    lang: Lang,
    municipality: String,
    survey: &Survey,
    sent: &BTreeMap<String, Vec<String>>,
    path: &str,
    csrf: &'a str,
) -> AnswerView<'a> {
    let q = &survey.questionnaire;
    let en = lang == Lang::En;
    AnswerView {
        title: q.title.in_english(en).to_owned(),
        intro: q
            .intro
            .as_ref()
            .map(|i| i.in_english(en).to_owned())
            .unwrap_or_default(),
        municipality,
        sections: q
            .sections
            .iter()
            .map(|s| SectionView {
                title: s.title.in_english(en).to_owned(),
                questions: s
                    .questions
                    .iter()
                    .map(|question| question_view(lang, q, question, sent))
                    .collect(),
            })
            .collect(),
        action: format!("{}{path}", lang.base()),
        version: survey.stored.version_id,
        csrf,
        preview: false,
        thanks: false,
        failed: None,
        other_path: format!("{}{path}", lang.other().base()),
    }
}

/// The fields of an answer form by name (several for a multiple choice), without the form's
/// own fields.
fn answer_fields(pairs: Vec<(String, String)>) -> BTreeMap<String, Vec<String>> {
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        if k != "csrf" && k != "version" {
            fields.entry(k).or_default().push(v);
        }
    }
    fields
}

/// `GET /admin/kommun/{id}/enkater/{survey}/forhandsvisning`: the answer page as respondents
/// will see it; answers sent from it are checked and shown back, never saved.
pub async fn preview<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, survey)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    preview_page(&state, lang, &session, &m, survey, BTreeMap::new(), None).await
}

async fn preview_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    id: i64,
    sent: BTreeMap<String, Vec<String>>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let (_, d) = state.directory().await?;
    let survey = app::for_staff(&state.store, &session.user.grants, m, id).await?;
    let path = format!("/admin/kommun/{m}/enkater/{id}/forhandsvisning");
    let sent_back = failed.is_some();
    let mut view = answer_view(lang, d.name(m), &survey, &sent, &path, &session.csrf_token);
    view.failed = failed;
    view.preview = true;
    view.thanks = !sent.is_empty() && !sent_back;
    let response = render_private(state, lang, session, "survey-answer.html", view);
    Ok(answered(response, sent_back))
}

/// `POST …/forhandsvisning`: answers checked as a respondent's would be, never saved.
pub async fn preview_check<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, survey)): Path<(String, i64)>,
    change: Change<Pairs>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::ViewDrafts)?;
    let sent = answer_fields(change.form.0);
    let stored = app::for_staff(&state.store, &session.user.grants, &m, survey).await?;
    let failed = kvalitet_domain::questionnaire::read_submission(&stored.questionnaire, &sent)
        .err()
        .map(|problems| Failed::new(lang, "q", &sent, &problems));
    preview_page(&state, lang, session, &m, survey, sent, failed).await
}

/// The answer page's double-submit token: a cookie and the same value in the form, so a page
/// elsewhere cannot send answers in a visitor's name.
const ANSWER_COOKIE: &str = "kv_answer";

fn answer_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    view: AnswerView<'_>,
    token: &str,
) -> Result<Response, WebError> {
    let sent_back = view.failed.is_some();
    let body = state.render("survey-answer.html", lang, view)?;
    let mut r = private_page(
        body,
        if sent_back {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
    );
    let c = format!("{ANSWER_COOKIE}={token}{}", state.cookie_attributes());
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// Where a respondent's link points: the survey's address or a personal link.
enum Address {
    Open(MunicipalityId, String),
    Personal(String),
}

impl Address {
    fn link(&self) -> Link<'_> {
        match self {
            Self::Open(m, code) => Link::Open {
                municipality: m,
                code,
            },
            Self::Personal(token) => Link::Personal(token),
        }
    }

    fn path(&self) -> String {
        match self {
            Self::Open(m, code) => format!("/kommun/{m}/enkat/{code}"),
            Self::Personal(token) => format!("/enkat/{token}"),
        }
    }
}

async fn show_answer_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    address: &Address,
    sent: BTreeMap<String, Vec<String>>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let survey = app::for_respondent(&state.store, address.link()).await?;
    let (_, d) = state.directory().await?;
    let token = kvalitet_app::accounts::new_token().map_err(WebError::internal)?;
    let path = address.path();
    let municipality = d.name(&survey.stored.municipality);
    let mut view = answer_view(lang, municipality, &survey, &sent, &path, &token);
    view.failed = failed;
    answer_page(state, lang, view, &token)
}

/// `GET /kommun/{id}/enkat/{code}`: an open survey's answer page.
pub async fn answer_open<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, code)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let address = open_address(&id, code)?;
    show_answer_page(&state, lang, &address, BTreeMap::new(), None).await
}

/// `GET /enkat/{token}`: a personal link's answer page.
pub async fn answer_personal<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let address = Address::Personal(token);
    show_answer_page(&state, lang, &address, BTreeMap::new(), None).await
}

fn open_address(id: &str, code: String) -> Result<Address, WebError> {
    let m = MunicipalityId::parse(id)
        .map_err(|_| WebError::coded(StatusCode::NOT_FOUND, Message::new("survey_not_found")))?;
    Ok(Address::Open(m, code))
}

/// `POST /kommun/{id}/enkat/{code}`: an answer through the survey's address.
pub async fn submit_open<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, code)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    let address = open_address(&id, code)?;
    submit(&state, lang, &address, &headers, form.0).await
}

/// `POST /enkat/{token}`: an answer through a personal link, which it uses up.
pub async fn submit_personal<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    submit(&state, lang, &Address::Personal(token), &headers, form.0).await
}

async fn submit<S: Store>(
    state: &Arc<AppState<S>>,
    lang: Lang,
    address: &Address,
    headers: &HeaderMap,
    pairs: Vec<(String, String)>,
) -> Result<Response, WebError> {
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if !crate::auth::double_submit_ok_in(headers, ANSWER_COOKIE, csrf) {
        return Err(WebError::form_expired());
    }
    let survey = app::for_respondent(&state.store, address.link()).await?;
    let sent = answer_fields(pairs);
    let stored = match app::prepare(&survey, address.link(), &sent, state.clock.now()) {
        Ok(response) => crate::answers::store(state, response)
            .await
            .map_err(kvalitet_app::refusal::Refusal::from),
        Err(refusal) => Err(refusal),
    };
    match stored {
        Ok(()) => show_thanks(state, lang, &survey),
        Err(refusal) => {
            let problems = refusal.into_problems()?;
            let failed = Failed::new(lang, "q", &sent, &problems);
            show_answer_page(state, lang, address, sent, Some(failed)).await
        }
    }
}

fn show_thanks<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    survey: &Survey,
) -> Result<Response, WebError> {
    let en = lang == Lang::En;
    let view = AnswerView {
        title: survey.questionnaire.title.in_english(en).to_owned(),
        intro: String::new(),
        municipality: String::new(),
        sections: Vec::new(),
        action: String::new(),
        version: survey.stored.version_id,
        csrf: "",
        preview: false,
        thanks: true,
        failed: None,
        other_path: format!("{}/", lang.other().base()),
    };
    let body = state.render("survey-answer.html", lang, view)?;
    Ok(private_page(body, StatusCode::OK))
}

/// An estimate as a results table says it: the share or mean, and "± margin" when honest.
#[derive(Serialize)]
struct Figure {
    value: String,
    margin: Option<String>,
    n_eff: String,
}

fn figure(lang: Lang, e: &Estimate, percent: bool) -> Figure {
    let (scale, decimals) = if percent { (100.0, 0) } else { (1.0, 1) };
    Figure {
        value: lang.number(e.value * scale, decimals),
        margin: e.margin.map(|m| lang.number(m * scale, decimals)),
        n_eff: lang.number(e.n_eff, 0),
    }
}

#[derive(Serialize)]
struct OptionLine {
    label: String,
    count: usize,
    share: Option<Figure>,
    weighted: Option<Figure>,
}

#[derive(Serialize)]
struct ResultLine {
    id: String,
    /// Whether a mean can be published (a scale or a number).
    numeric: bool,
    /// The codes and labels a share can count.
    choices: Vec<Choice>,
    /// The measure id offered for publishing it.
    measure: String,
    /// Its results per level of the chosen breakdown.
    breakdown: Vec<BreakdownRow>,
    text: String,
    answered: usize,
    dont_know: usize,
    suppressed: bool,
    options: Vec<OptionLine>,
    mean: Option<Figure>,
    weighted_mean: Option<Figure>,
}

#[derive(Serialize)]
struct TextLine {
    text: String,
    answers: Vec<String>,
}

#[derive(Serialize)]
struct ResultsView<'a> {
    m: Named,
    survey: SurveyLine,
    self_selected: bool,
    weighted: bool,
    /// The weights' design effect and the effective number of answers, in words.
    deff: Option<String>,
    n_eff: Option<String>,
    questions: Vec<ResultLine>,
    texts: Vec<TextLine>,
    /// What the answers can be broken down by, and the one chosen.
    variables: Vec<Choice>,
    by: Option<String>,
    /// The person may make results measures, and the year and form sent back for it.
    can_publish: bool,
    year: i32,
    failed: Option<Failed>,
    csrf: &'a str,
    other_path: String,
}

fn option_label(lang: Lang, q: &Question, code: &str) -> String {
    q.options.iter().find(|o| o.code == code).map_or_else(
        || code.to_owned(),
        |o| o.text.in_english(lang == Lang::En).to_owned(),
    )
}

fn result_line(lang: Lang, q: &Question, r: &QuestionResult, weighted: bool) -> ResultLine {
    let both = |b: &Option<Both>, percent: bool| {
        (
            b.as_ref().map(|b| figure(lang, &b.unweighted, percent)),
            b.as_ref()
                .filter(|_| weighted)
                .map(|b| figure(lang, &b.weighted, percent)),
        )
    };
    let (mean, weighted_mean) = both(&r.mean, false);
    ResultLine {
        id: q.id.clone(),
        numeric: matches!(q.kind, QuestionKind::Scale | QuestionKind::Number),
        choices: r
            .options
            .iter()
            .map(|o| Choice {
                code: o.code.clone(),
                label: option_label(lang, q, &o.code),
            })
            .collect(),
        measure: String::new(),
        breakdown: Vec::new(),
        text: q.text.in_english(lang == Lang::En).to_owned(),
        answered: r.answered,
        dont_know: r.dont_know,
        suppressed: r.suppressed,
        options: r
            .options
            .iter()
            .map(|o| {
                let (share, weighted) = both(&o.share, true);
                OptionLine {
                    label: option_label(lang, q, &o.code),
                    count: o.count,
                    share,
                    weighted,
                }
            })
            .collect(),
        mean,
        weighted_mean,
    }
}

/// `GET /admin/kommun/{id}/enkater/{survey}/resultat`: each question's figures with n,
/// effective n and margins (none for a self-selected sample, which is said), small groups
/// suppressed, and the free-text answers, for staff only.
pub async fn results<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, survey)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    let by = query_pairs(raw.as_deref())
        .into_iter()
        .find(|(k, _)| k == "dela")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty());
    results_page(&state, lang, &session, &m, survey, by.as_deref(), None).await
}

async fn results_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    survey: i64,
    by: Option<&str>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let (_, d) = state.directory().await?;
    let r = app::results_by(&state.store, &session.user.grants, m, survey, by).await?;
    let en = lang == Lang::En;
    let question_of = |id: &str| r.survey.questionnaire.questions().find(|q| q.id == id);
    // A level of the breakdown in words: a question's option text, else as the data has it.
    let level_words = |level: &str| match r.by.as_ref().and_then(|(v, _)| question_of(v)) {
        Some(q) => option_label(lang, q, level),
        None => level.to_owned(),
    };
    let sent_back = failed.is_some();
    let view = ResultsView {
        m: Named::of(&d, m),
        survey: line(lang, &r.survey),
        self_selected: r.rules.self_selected,
        weighted: r.weighted,
        deff: r.design.map(|(deff, _)| lang.number(deff, 2)),
        n_eff: r.design.map(|(_, n_eff)| lang.number(n_eff, 0)),
        questions: r
            .questions
            .iter()
            .enumerate()
            .map(|(i, (q, res))| {
                let mut l = result_line(lang, q, res, r.weighted);
                l.measure = format!("E{survey}-{}", i + 1);
                if let Some((_, all)) = &r.by
                    && let Some((_, levels)) = all.iter().find(|(id, _)| *id == q.id)
                {
                    l.breakdown = breakdown_rows(lang, q, levels, &level_words);
                }
                l
            })
            .collect(),
        variables: r
            .variables
            .iter()
            .map(|v| Choice {
                code: v.clone(),
                label: question_of(v)
                    .map_or_else(|| v.clone(), |q| q.text.in_english(en).to_owned()),
            })
            .collect(),
        by: r.by.as_ref().map(|(v, _)| v.clone()),
        texts: r
            .texts
            .iter()
            .map(|(q, answers)| TextLine {
                text: q.text.in_english(lang == Lang::En).to_owned(),
                answers: answers.clone(),
            })
            .collect(),
        can_publish: session.user.grants.allows(Action::Publish, m),
        year: kvalitet_domain::calendar::stockholm_date(state.clock.now().datetime()).year(),
        failed,
        csrf: &session.csrf_token,
        other_path: format!(
            "{}/admin/kommun/{m}/enkater/{survey}/resultat",
            lang.other().base()
        ),
    };
    let response = render_private(state, lang, session, "survey-results.html", view);
    Ok(answered(response, sent_back))
}

/// One level of a breakdown: its answers, and each option's share (or the mean) with its
/// margin; nothing when fewer than five answered.
#[derive(Serialize)]
struct BreakdownRow {
    level: String,
    answered: usize,
    suppressed: bool,
    cells: Vec<String>,
}

fn breakdown_rows(
    lang: Lang,
    q: &Question,
    levels: &[(String, QuestionResult)],
    level_words: &dyn Fn(&str) -> String,
) -> Vec<BreakdownRow> {
    let said = |f: Figure, unit: &str| match f.margin {
        Some(m) => format!("{}{unit} ± {m}", f.value),
        None => format!("{}{unit}", f.value),
    };
    levels
        .iter()
        .map(|(level, r)| BreakdownRow {
            level: level_words(level),
            answered: r.answered,
            suppressed: r.suppressed,
            cells: if q.kind == QuestionKind::Single || q.kind == QuestionKind::Multiple {
                r.options
                    .iter()
                    .map(|o| {
                        o.share
                            .map(|b| said(figure(lang, &b.weighted, true), " %"))
                            .unwrap_or_default()
                    })
                    .collect()
            } else {
                r.mean
                    .map(|b| said(figure(lang, &b.weighted, false), ""))
                    .into_iter()
                    .collect()
            },
        })
        .collect()
}

/// `POST /admin/kommun/{id}/enkater/{survey}/matt`: a question's share (of the options
/// ticked) or mean made the municipality's own measure, its value a draft that the
/// administrator publishes with the others; or the results back with the problem beside the
/// question's form.
pub async fn result_as_measure<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, survey)): Path<(String, i64)>,
    change: Change<Pairs>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::Publish)?;
    let pairs = change.form.0;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let options: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "option")
        .map(|(_, v)| v.clone())
        .collect();
    let what = if field("what") == "mean" {
        kvalitet_domain::survey_results::Publish::Mean
    } else {
        kvalitet_domain::survey_results::Publish::Share(options.clone())
    };
    let spec = app::ResultMeasure {
        question: field("question"),
        what,
        measure: field("id"),
        title: field("title"),
        year: field("year"),
    };
    let made = app::result_as_measure(
        &state.store,
        &session.user.grants,
        &m,
        survey,
        &spec,
        &state.actor(session),
    )
    .await;
    match made {
        Ok(_) => {
            state.invalidate_version();
            Ok(redirect(
                &format!("{}/admin/kommun/{m}?klart=utkast", lang.base()),
                &[],
            ))
        }
        Err(refusal) => {
            let problems = refusal.into_problems()?;
            let typed = serde_json::json!({
                "what": field("what"), "id": spec.measure, "title": spec.title,
                "year": spec.year, "option": options,
            });
            let failed = Failed::new(lang, format!("p-{}", spec.question), &typed, &problems);
            results_page(&state, lang, session, &m, survey, None, Some(failed)).await
        }
    }
}

/// The results as a table: a row per option (or mean) of each question.
fn results_table(lang: Lang, r: &SurveyResults) -> downloads::Table {
    let machine = |x: Option<f64>| downloads::machine_number(x);
    let mut rows = Vec::new();
    for (q, res) in &r.questions {
        let mut push = |what: String, count: Option<usize>, b: Option<&Both>| {
            rows.push(vec![
                q.id.clone(),
                what,
                count.map(|c| c.to_string()).unwrap_or_default(),
                res.answered.to_string(),
                res.dont_know.to_string(),
                machine(b.map(|b| b.unweighted.value)),
                machine(b.and_then(|b| b.unweighted.margin)),
                machine(b.map(|b| b.weighted.value)),
                machine(b.and_then(|b| b.weighted.margin)),
                machine(b.map(|b| b.weighted.n_eff)),
            ]);
        };
        if res.suppressed {
            push(lang.t("too_few_answers").to_owned(), None, None);
            continue;
        }
        for o in &res.options {
            push(o.code.clone(), Some(o.count), o.share.as_ref());
        }
        if let Some(mean) = &res.mean {
            push("mean".to_owned(), None, Some(mean));
        }
    }
    downloads::Table {
        title: r.survey.questionnaire.title.sv.clone(),
        header: [
            "question",
            "option",
            "count",
            "answered",
            "dont_know",
            "value",
            "margin",
            "weighted_value",
            "weighted_margin",
            "n_eff",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows,
        numeric: vec![false, false, true, true, true, true, true, true, true, true],
    }
}

/// The answers as a table, one row per answer, without anything that points at a person:
/// no address, link or time of day.
fn answers_table(
    r: &SurveyResults,
    stored: &[kvalitet_app::ports::StoredResponse],
) -> Result<downloads::Table, WebError> {
    let responses = app::read_responses(stored)?;
    let questions: Vec<&Question> = r.survey.questionnaire.questions().collect();
    let variables: Vec<String> = responses
        .iter()
        .flat_map(|x| x.background.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut header = vec!["answer".to_owned(), "version".into(), "answered_on".into()];
    header.extend(variables.iter().cloned());
    header.extend(questions.iter().map(|q| q.id.clone()));
    let numeric = header
        .iter()
        .enumerate()
        .map(|(i, _)| {
            i >= 3 + variables.len()
                && matches!(
                    questions[i - 3 - variables.len()].kind,
                    QuestionKind::Scale | QuestionKind::Number
                )
        })
        .collect();
    use kvalitet_domain::questionnaire::Answer;
    let rows = responses
        .iter()
        .zip(stored)
        .enumerate()
        .map(|(i, (resp, s))| {
            let mut row = vec![
                (i + 1).to_string(),
                s.version.to_string(),
                s.answered_on.clone(),
            ];
            row.extend(
                variables
                    .iter()
                    .map(|v| resp.background.get(v).cloned().unwrap_or_default()),
            );
            row.extend(questions.iter().map(|q| match resp.answers.get(&q.id) {
                Some(Answer::Choice(c)) => c.clone(),
                Some(Answer::Choices(cs)) => cs.join(";"),
                Some(Answer::Number(x)) => downloads::machine_number(Some(*x)),
                Some(Answer::Text(t)) => t.clone(),
                Some(Answer::DontKnow) => DONT_KNOW.to_owned(),
                None => String::new(),
            }));
            row
        })
        .collect();
    Ok(downloads::Table {
        title: r.survey.questionnaire.title.sv.clone(),
        header,
        rows,
        numeric,
    })
}

/// `GET /admin/kommun/{id}/enkater/{survey}/{file}`: the results or the answers as CSV, CSV
/// for Swedish Excel or .xlsx (`resultat.csv`, `svar-excel.csv`, `svar.xlsx`, ...).
pub async fn download<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, survey, file)): Path<(String, i64, String)>,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    let (stem, kind) = match file.rsplit_once('.') {
        Some((stem, "csv")) => match stem.strip_suffix("-excel") {
            Some(stem) => (stem, Kind::ExcelCsv),
            None => (stem, Kind::Csv),
        },
        Some((stem, "xlsx")) => (stem, Kind::Xlsx),
        _ => {
            return Err(WebError::coded(
                StatusCode::NOT_FOUND,
                Message::new("survey_not_found"),
            ));
        }
    };
    let r = app::results(&state.store, &session.user.grants, &m, survey).await?;
    let table = match stem {
        "resultat" => results_table(lang, &r),
        "svar" => {
            let stored = state
                .store
                .responses(&m, survey)
                .await
                .map_err(WebError::internal)?;
            answers_table(&r, &stored)?
        }
        _ => {
            return Err(WebError::coded(
                StatusCode::NOT_FOUND,
                Message::new("survey_not_found"),
            ));
        }
    };
    let about = [
        (lang.t("survey").to_owned(), r.survey.stored.code.clone()),
        (
            lang.t("survey_representative").to_owned(),
            lang.t(if r.rules.self_selected {
                "not_statistically_representative"
            } else {
                "survey_sample_invited"
            })
            .to_owned(),
        ),
    ];
    Ok(no_store(downloads::respond(
        kind,
        &table,
        &format!("{}-{stem}", r.survey.stored.code),
        &about,
    )))
}
