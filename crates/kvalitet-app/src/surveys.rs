//! Surveys as use cases (docs/surveys.md): building a survey and its versions, personal links,
//! answering (an open link or a personal one, each answer checked whole), results per
//! question; and weighting a file of respondents to a file of population shares, for analysts
//! (`kvalitet survey weight`), with the design effect and effective number of respondents
//! that every weighted result's margin rests on.

use std::collections::BTreeMap;

use kvalitet_domain::questionnaire::{
    Answer, Question, QuestionKind, Questionnaire, changed_questions, read_submission,
};
use kvalitet_domain::survey_results::{
    Publish, QuestionResult, Response, ResultRules, breakdown, publishable, question_result,
};
use kvalitet_domain::weighting::{self, RakeOptions, Raked};
use kvalitet_domain::{
    Action, AreaId, Datum, Gender, Grants, MeasureId, Message, MunicipalityId, Timestamp, ValueKey,
    ValueRow, Year,
};
use kvalitet_formats::questionnaire_file;
use kvalitet_formats::table::Table;
use kvalitet_formats::table::upload_text;
use kvalitet_formats::weighting_files::{read_respondents, read_targets};

use crate::accounts::{new_token, normalise_email, token_hash};
use crate::own::{self, MeasureForm, OwnError};
use crate::ports::{
    Actor, NewInvitation, NewResponse, NewSurvey, OwnData, StoreError, StoredSurvey, SurveyStatus,
    Surveys, Values,
};
use crate::refusal::Refusal;

/// The largest respondents file read (a million respondents with a dozen columns is about
/// 60 MB) and targets file.
pub const MAX_SAMPLE_BYTES: u64 = 512 << 20;
pub const MAX_TARGETS_BYTES: u64 = 4 << 20;

/// Which input a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightingInput {
    Targets,
    Sample,
}

/// Why weighting was refused: the problems of one file (each naming its line and column),
/// or of the two together (a level with a target but no respondents).
#[derive(Debug, Clone, PartialEq)]
pub enum WeightingError {
    In(WeightingInput, Vec<Message>),
    Together(Message),
}

/// The respondents' weights and what they cost in precision.
#[derive(Debug, Clone, PartialEq)]
pub struct Weighted {
    pub ids: Vec<String>,
    pub raked: Raked,
    /// Kish's design effect and the effective number of respondents.
    pub deff: f64,
    pub n_eff: f64,
    pub min_weight: f64,
    pub max_weight: f64,
    /// Each variable with its discrepancy from the targets in percentage points, before
    /// weighting (from the base weights) and after.
    pub discrepancies: Vec<(String, f64, f64)>,
}

/// Reads the targets (`variable,level,share`) and the respondents (an id column, a column per
/// variable, optionally `base_weight`; CSV or a spreadsheet) and rakes the respondents'
/// weights to the targets. Nothing is guessed: an unknown level, a repeated id or shares
/// that do not sum to 1 refuse the whole.
pub fn weight_files(
    sample: &[u8],
    targets: &[u8],
    options: &RakeOptions,
) -> Result<Weighted, WeightingError> {
    let in_targets = |problems| WeightingError::In(WeightingInput::Targets, problems);
    let in_sample = |problems| WeightingError::In(WeightingInput::Sample, problems);
    let targets_text = upload_text(targets).map_err(|e| in_targets(vec![e]))?;
    let margins = read_targets(&targets_text).map_err(in_targets)?;
    let sample_text = upload_text(sample).map_err(|e| in_sample(vec![e]))?;
    let respondents = read_respondents(&sample_text, &margins).map_err(in_sample)?;
    let base = respondents
        .base_weights
        .clone()
        .unwrap_or_else(|| vec![1.0; respondents.ids.len()]);
    let before = weighting::discrepancies(&respondents.codes, &margins, &base);
    let raked = weighting::rake(
        &respondents.codes,
        &margins,
        respondents.base_weights.as_deref(),
        options,
    )
    .map_err(WeightingError::Together)?;
    let (min_weight, max_weight) = raked
        .weights
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), w| {
            (lo.min(*w), hi.max(*w))
        });
    let after = weighting::discrepancies(&respondents.codes, &margins, &raked.weights);
    Ok(Weighted {
        discrepancies: margins
            .iter()
            .zip(before.into_iter().zip(after))
            .map(|(m, (b, a))| (m.variable.clone(), b, a))
            .collect(),
        ids: respondents.ids,
        deff: weighting::design_effect(&raked.weights),
        n_eff: weighting::effective_n(&raked.weights),
        min_weight,
        max_weight,
        raked,
    })
}

/// The longest a survey's personal data may be kept after it closes (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;
/// The most personal links made at once.
pub const MAX_INVITATIONS: usize = 100_000;
/// The largest invitation list read.
pub const MAX_INVITATION_LIST_BYTES: usize = 16 << 20;

/// A survey as stored with its questionnaire read.
#[derive(Debug, Clone)]
pub struct Survey {
    pub stored: StoredSurvey,
    /// Read once per text and shared (see [`read_questionnaire`]).
    pub questionnaire: std::sync::Arc<Questionnaire>,
}

/// How a new survey is set up: its address, who answers and how long personal data is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurveySetup<'a> {
    pub code: &'a str,
    pub open_link: bool,
    pub retention_days: u32,
}

fn may_edit(grants: &Grants, m: &MunicipalityId) -> Result<(), Refusal> {
    if grants.allows(Action::EditMeasures, m) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(
            Message::new("surveys_editors_only").with("municipality", m),
        ))
    }
}

/// The questionnaires read lately, by their text: every answer sent reads its survey's
/// questionnaire, and reading and checking the file each time cost more than storing the
/// answer. Keyed by the whole text (compared on a hit), so an edited draft is read again.
static READ: std::sync::Mutex<Vec<(String, std::sync::Arc<Questionnaire>)>> =
    std::sync::Mutex::new(Vec::new());
const READ_KEPT: usize = 64;

/// A stored questionnaire's text read (once per text; see [`READ`]).
fn read_questionnaire(source: &str) -> Result<std::sync::Arc<Questionnaire>, Refusal> {
    let kept = |read: &Vec<(String, std::sync::Arc<Questionnaire>)>| {
        read.iter()
            .find(|(text, _)| text == source)
            .map(|(_, q)| q.clone())
    };
    if let Some(q) = READ.lock().ok().and_then(|read| kept(&read)) {
        return Ok(q);
    }
    // Checked when it was saved; a rule made stricter since must not hide the survey.
    let q = std::sync::Arc::new(questionnaire_file::read(source).map_err(Refusal::BadRows)?);
    if let Ok(mut read) = READ.lock() {
        if read.len() >= READ_KEPT {
            read.remove(0);
        }
        read.push((source.to_owned(), q.clone()));
    }
    Ok(q)
}

fn read_stored(stored: StoredSurvey) -> Result<Survey, Refusal> {
    let questionnaire = read_questionnaire(&stored.source)?;
    Ok(Survey {
        stored,
        questionnaire,
    })
}

fn not_found() -> Refusal {
    Refusal::NotFound(Message::new("survey_not_found"))
}

/// Creates a survey as a draft from a questionnaire file (one of the shipped templates, or
/// the municipality's own); every problem of the set-up and the file is named at once.
pub async fn create(
    store: &impl Surveys,
    grants: &Grants,
    m: &MunicipalityId,
    setup: SurveySetup<'_>,
    source: &str,
    actor: &Actor,
) -> Result<i64, Refusal> {
    may_edit(grants, m)?;
    let mut problems = Vec::new();
    if let Err(e) = kvalitet_domain::text::check_slug("code", setup.code) {
        problems.push(e);
    }
    if !(1..=MAX_RETENTION_DAYS).contains(&setup.retention_days) {
        problems.push(Message::in_field(
            "retention_days",
            Message::new("retention_days_range").with("max", MAX_RETENTION_DAYS),
        ));
    }
    if let Err(file) = questionnaire_file::read(source) {
        problems.extend(file);
    }
    if !problems.is_empty() {
        return Err(Refusal::BadRows(problems));
    }
    let survey = NewSurvey {
        code: setup.code,
        source,
        open_link: setup.open_link,
        retention_days: setup.retention_days,
    };
    Ok(store.create_survey(m, &survey, actor).await?)
}

/// The municipality's surveys, for its people.
pub async fn list(
    store: &impl Surveys,
    grants: &Grants,
    m: &MunicipalityId,
) -> Result<Vec<Survey>, Refusal> {
    if !grants.allows(Action::ViewDrafts, m) {
        return Err(Refusal::Forbidden(
            Message::new("surveys_staff_only").with("municipality", m),
        ));
    }
    store
        .surveys(m)
        .await?
        .into_iter()
        .map(read_stored)
        .collect()
}

/// One survey, for its municipality's people.
pub async fn for_staff(
    store: &impl Surveys,
    grants: &Grants,
    m: &MunicipalityId,
    id: i64,
) -> Result<Survey, Refusal> {
    if !grants.allows(Action::ViewDrafts, m) {
        return Err(Refusal::Forbidden(
            Message::new("surveys_staff_only").with("municipality", m),
        ));
    }
    read_stored(
        store
            .survey(m, Some(id), "", true)
            .await?
            .ok_or_else(not_found)?,
    )
}

/// Saves a changed questionnaire, based on the version the editor showed. Once answers have
/// been given, a question that keeps its id must ask the same thing (a changed question is a
/// new question with a new id): each one changed is named and nothing is saved.
pub async fn save_questionnaire(
    store: &impl Surveys,
    grants: &Grants,
    m: &MunicipalityId,
    id: i64,
    based_on: i64,
    source: &str,
    actor: &Actor,
) -> Result<i64, Refusal> {
    may_edit(grants, m)?;
    let new = questionnaire_file::read(source).map_err(Refusal::BadRows)?;
    let current = read_stored(
        store
            .survey(m, Some(id), "", true)
            .await?
            .ok_or_else(not_found)?,
    )?;
    if current.stored.responses > 0 {
        let changed: Vec<Message> = changed_questions(&current.questionnaire, &new)
            .into_iter()
            .map(|q| {
                Message::new("at_question")
                    .with("question", format!("{q:?}"))
                    .with_said("problem", Message::new("question_changed_after_answers"))
            })
            .collect();
        if !changed.is_empty() {
            return Err(Refusal::BadRows(changed));
        }
    }
    Ok(store
        .save_survey_version(m, id, based_on, source, actor)
        .await?)
}

/// Makes one change of the question form (a question added to a section or a new one, or a
/// question removed) to the version the editor showed, and saves the result like an edited
/// text: checked whole, and once answered, refused if a question changed its meaning.
pub async fn edit_questions(
    store: &impl Surveys,
    grants: &Grants,
    m: &MunicipalityId,
    id: i64,
    based_on: i64,
    edit: &kvalitet_domain::questionnaire::QuestionEdit,
    actor: &Actor,
) -> Result<i64, Refusal> {
    may_edit(grants, m)?;
    let current = for_staff(store, grants, m, id).await?;
    let changed = kvalitet_domain::questionnaire::apply_question_edit(&current.questionnaire, edit)
        .map_err(Refusal::BadRows)?;
    let text = questionnaire_file::write(&changed).map_err(Refusal::Invalid)?;
    save_questionnaire(store, grants, m, id, based_on, &text, actor).await
}

/// Opens a draft or closes an open survey: an administrator's step, since an open survey is
/// in front of residents. Closing cuts the ties between personal links and answers.
pub async fn set_status(
    store: &impl Surveys,
    grants: &Grants,
    m: &MunicipalityId,
    id: i64,
    from: SurveyStatus,
    to: SurveyStatus,
    actor: &Actor,
) -> Result<(), Refusal> {
    if !grants.allows(Action::Publish, m) {
        return Err(Refusal::Forbidden(
            Message::new("surveys_admins_only").with("municipality", m),
        ));
    }
    let allowed = matches!(
        (from, to),
        (SurveyStatus::Draft, SurveyStatus::Open) | (SurveyStatus::Open, SurveyStatus::Closed)
    );
    if !allowed {
        return Err(Refusal::Invalid(Message::new("survey_status_step")));
    }
    Ok(store.set_survey_status(m, id, from, to, actor).await?)
}

/// One person to invite: an address for the mail (optional: links can be handed out on
/// paper) and background variables (age band, sex, area, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    pub email: Option<String>,
    pub background: BTreeMap<String, String>,
}

/// Reads an invitation list: a CSV (or spreadsheet text) with an optional `email` column and
/// one column per background variable; every problem named by its line and column.
pub fn read_invitation_list(text: &str) -> Result<Vec<Invitee>, Vec<Message>> {
    if text.len() > MAX_INVITATION_LIST_BYTES {
        return Err(vec![
            Message::new("file_too_large").with("mb", MAX_INVITATION_LIST_BYTES >> 20),
        ]);
    }
    let table = Table::read(text)?;
    if table.rows.is_empty() {
        return Err(vec![Message::new("no_rows")]);
    }
    if table.rows.len() > MAX_INVITATIONS {
        return Err(vec![
            Message::new("too_many_rows").with("max", MAX_INVITATIONS),
        ]);
    }
    let mut problems = Vec::new();
    for (i, h) in table.header.iter().enumerate() {
        if let Err(e) = kvalitet_domain::text::check_slug("column", h) {
            problems.push(
                kvalitet_formats::Location::line(1)
                    .with_field(format!("{}", i + 1))
                    .say(e),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut seen = std::collections::HashMap::new();
    let mut invitees = Vec::with_capacity(table.rows.len());
    for row in table.rows() {
        let email = match row.get("email") {
            "" => None,
            given => match normalise_email(given) {
                Ok(e) => {
                    if let Some(first) = seen.insert(e.clone(), row.line) {
                        problems.push(
                            row.at("email")
                                .say(Message::new("id_listed_twice").with("line", first)),
                        );
                    }
                    Some(e)
                }
                Err(e) => {
                    problems.push(row.at("email").say(e.message()));
                    None
                }
            },
        };
        let background = table
            .header
            .iter()
            .filter(|h| h.as_str() != "email")
            .map(|h| (h.clone(), row.get(h).to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        invitees.push(Invitee { email, background });
    }
    if problems.is_empty() {
        Ok(invitees)
    } else {
        Err(problems)
    }
}

/// Makes a personal link for each invitee (or `count` links without names, to hand out) and
/// returns each with its token, the only time the token is seen: only its hash is kept.
pub async fn make_links(
    store: &impl Surveys,
    grants: &Grants,
    m: &MunicipalityId,
    id: i64,
    invitees: Vec<Invitee>,
    actor: &Actor,
) -> Result<Vec<(Invitee, String)>, Refusal> {
    may_edit(grants, m)?;
    if invitees.is_empty() || invitees.len() > MAX_INVITATIONS {
        return Err(Refusal::Invalid(Message::in_field(
            "count",
            Message::new("links_count").with("max", MAX_INVITATIONS),
        )));
    }
    let mut made = Vec::with_capacity(invitees.len());
    let mut rows = Vec::with_capacity(invitees.len());
    for invitee in invitees {
        let token =
            new_token().map_err(|_| Refusal::Store(StoreError::Database("random".into())))?;
        rows.push(NewInvitation {
            token_hash: token_hash(&token),
            email: invitee.email.clone(),
            background: serde_json::to_string(&invitee.background)
                .map_err(|e| Refusal::Store(StoreError::Database(e.to_string())))?,
        });
        made.push((invitee, token));
    }
    store.invite(m, id, &rows, actor).await?;
    Ok(made)
}

/// How a respondent reached the survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link<'a> {
    /// The survey's public address.
    Open {
        municipality: &'a MunicipalityId,
        code: &'a str,
    },
    /// A personal link's token.
    Personal(&'a str),
}

/// The survey a respondent's link leads to, when it may be answered: an unknown link, a
/// draft or a survey without an open link is not found; a closed survey and a used link
/// each say so.
pub async fn for_respondent(store: &impl Surveys, link: Link<'_>) -> Result<Survey, Refusal> {
    let stored = match link {
        Link::Open { municipality, code } => {
            let s = store
                .survey(municipality, None, code, false)
                .await?
                .ok_or_else(not_found)?;
            if !s.open_link {
                return Err(not_found());
            }
            s
        }
        Link::Personal(token) => {
            let found = store
                .survey_invitation(&token_hash(token))
                .await?
                .ok_or_else(not_found)?;
            if found.answered {
                return Err(Refusal::Invalid(Message::new("survey_link_used")));
            }
            store
                .survey(&found.municipality, Some(found.survey), "", false)
                .await?
                .ok_or_else(not_found)?
        }
    };
    match stored.status {
        SurveyStatus::Draft => Err(not_found()),
        SurveyStatus::Closed => Err(Refusal::Invalid(Message::new("survey_not_open"))),
        SurveyStatus::Open => read_stored(stored),
    }
}

/// Reads one respondent's answers as an answer to store: every problem is said beside its
/// question, and an empty page is refused.
pub fn prepare(
    survey: &Survey,
    link: Link<'_>,
    fields: &BTreeMap<String, Vec<String>>,
    at: Timestamp,
) -> Result<NewResponse, Refusal> {
    let answers = read_submission(&survey.questionnaire, fields).map_err(Refusal::BadRows)?;
    if answers.is_empty() {
        return Err(Refusal::Invalid(Message::new("survey_nothing_answered")));
    }
    Ok(NewResponse {
        survey: survey.stored.id,
        token_hash: match link {
            Link::Open { .. } => None,
            Link::Personal(token) => Some(token_hash(token)),
        },
        version_id: survey.stored.version_id,
        answers: serde_json::to_string(&answers)
            .map_err(|e| Refusal::Store(StoreError::Database(e.to_string())))?,
        at,
    })
}

/// Reads and stores one respondent's answers: every problem is said beside its question and
/// nothing is kept; a personal link is used up in the same transaction as the answer. (The
/// site sends answers through its queue, which stores those arriving together in one
/// transaction.)
pub async fn submit(
    store: &impl Surveys,
    survey: &Survey,
    link: Link<'_>,
    fields: &BTreeMap<String, Vec<String>>,
    at: Timestamp,
) -> Result<(), Refusal> {
    let response = prepare(survey, link, fields, at)?;
    let mut outcomes = store.submit_responses(&[response]).await?;
    match outcomes.pop() {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(e.into()),
        None => Err(Refusal::Store(StoreError::Database("no outcome".into()))),
    }
}

/// A question's results per level of a breakdown.
pub type Levels = Vec<(String, QuestionResult)>;

/// A survey's results: each question's figures over every answer given to it (in any
/// version: a question keeps its meaning under its id), and the free-text answers, which are
/// for staff only.
#[derive(Debug, Clone)]
pub struct SurveyResults {
    pub survey: Survey,
    pub rules: ResultRules,
    pub responses: usize,
    /// Whether any answer carries a weight (else weighted equals unweighted).
    pub weighted: bool,
    /// The weights' design effect and effective number of answers, when weighted.
    pub design: Option<(f64, f64)>,
    pub questions: Vec<(Question, QuestionResult)>,
    pub texts: Vec<(Question, Vec<String>)>,
    /// The variables the results can be broken down by.
    pub variables: Vec<String>,
    /// The breakdown asked for: the variable, and per question (by id) its results per level.
    pub by: Option<(String, Vec<(String, Levels)>)>,
}

/// The stored answers as the domain counts them. An answer row that cannot be read is a
/// store fault, never skipped silently.
pub fn read_responses(stored: &[crate::ports::StoredResponse]) -> Result<Vec<Response>, Refusal> {
    stored
        .iter()
        .map(|r| {
            let fault = |e: serde_json::Error| {
                Refusal::Store(StoreError::Invalid(
                    Message::new("store_failed").with("detail", e.to_string()),
                ))
            };
            Ok(Response {
                weight: r.weight.unwrap_or(1.0),
                answers: serde_json::from_str::<BTreeMap<String, Answer>>(&r.answers)
                    .map_err(fault)?,
                background: serde_json::from_str(&r.background).map_err(fault)?,
            })
        })
        .collect()
}

/// The results of a survey, for its municipality's people.
pub async fn results(
    store: &impl Surveys,
    grants: &Grants,
    m: &MunicipalityId,
    id: i64,
) -> Result<SurveyResults, Refusal> {
    results_by(store, grants, m, id, None).await
}

/// The variables answers can be broken down by: the background variables the answers carry
/// (from invitations and panels), then the survey's single-choice questions (an age band or
/// an area asked in the survey itself).
fn breakdown_variables(survey: &Survey, responses: &[Response]) -> Vec<String> {
    let mut variables: Vec<String> = responses
        .iter()
        .flat_map(|r| r.background.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for q in survey.questionnaire.questions() {
        if q.kind == QuestionKind::Single && !variables.contains(&q.id) {
            variables.push(q.id.clone());
        }
    }
    variables
}

/// The results, and broken down by `by` (a background variable or a single-choice question,
/// see [`breakdown_variables`]) when given: each question's results per level, a level with
/// fewer than five answers to the question suppressed.
pub async fn results_by(
    store: &impl Surveys,
    grants: &Grants,
    m: &MunicipalityId,
    id: i64,
    by: Option<&str>,
) -> Result<SurveyResults, Refusal> {
    let survey = for_staff(store, grants, m, id).await?;
    let stored = store.responses(m, id).await?;
    let mut responses = read_responses(&stored)?;
    let variables = breakdown_variables(&survey, &responses);
    let by = by.filter(|v| variables.iter().any(|x| x == v));
    // A question to break down by is read as a background variable of its answer.
    if let Some(variable) = by
        && survey.questionnaire.questions().any(|q| q.id == variable)
    {
        for r in &mut responses {
            if let Some(Answer::Choice(code)) = r.answers.get(variable) {
                r.background.insert(variable.to_owned(), code.clone());
            }
        }
    }
    let refs: Vec<&Response> = responses.iter().collect();
    let rules = ResultRules {
        self_selected: survey.stored.open_link || stored.iter().any(|r| r.self_selected),
        ..ResultRules::default()
    };
    let mut questions = Vec::new();
    let mut texts = Vec::new();
    let mut broken_down = Vec::new();
    for q in survey.questionnaire.questions() {
        if q.kind == QuestionKind::Text {
            let said = responses
                .iter()
                .filter_map(|r| match r.answers.get(&q.id) {
                    Some(Answer::Text(t)) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            texts.push((q.clone(), said));
        } else {
            if let Some(variable) = by
                && q.id != variable
            {
                broken_down.push((q.id.clone(), breakdown(q, &refs, variable, &rules)));
            }
            questions.push((q.clone(), question_result(q, &refs, &rules)));
        }
    }
    let weighted = stored.iter().any(|r| r.weight.is_some());
    let weights: Vec<f64> = responses.iter().map(|r| r.weight).collect();
    Ok(SurveyResults {
        weighted,
        design: weighted.then(|| {
            (
                weighting::design_effect(&weights),
                weighting::effective_n(&weights),
            )
        }),
        responses: responses.len(),
        rules,
        questions,
        texts,
        by: by.map(|variable| (variable.to_owned(), broken_down)),
        variables,
        survey,
    })
}

/// A survey result an administrator publishes as a measure of the municipality: which
/// question, what of it (a share of chosen options, or a mean), the measure's id and title
/// as typed, and the year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultMeasure<'a> {
    pub question: &'a str,
    pub what: Publish,
    pub measure: &'a str,
    pub title: &'a str,
    pub year: &'a str,
}

fn own_refusal(e: OwnError) -> Refusal {
    match e {
        OwnError::Forbidden(m) => {
            Refusal::Forbidden(Message::new("surveys_admins_only").with("municipality", m))
        }
        OwnError::Invalid(m) | OwnError::Conflict(m) => Refusal::Invalid(m),
        OwnError::BadRows(rows) => Refusal::BadRows(rows),
        OwnError::NotFound(m) => Refusal::NotFound(m),
        OwnError::Store(e) => Refusal::Store(e),
    }
}

/// Makes a survey result a measure of the municipality through the one publishing path: the
/// municipality's own measure (defined or updated, its definition saying how the figure was
/// made), the year's value as a draft that an administrator publishes with the other drafts,
/// and the year's comment with n, the effective n and the margin, or the words that the
/// answers are self-selected. Returns the measure's id.
pub async fn result_as_measure(
    store: &(impl Surveys + OwnData + Values),
    grants: &Grants,
    m: &MunicipalityId,
    id: i64,
    spec: &ResultMeasure<'_>,
    actor: &Actor,
) -> Result<MeasureId, Refusal> {
    if !grants.allows(Action::Publish, m) {
        return Err(Refusal::Forbidden(
            Message::new("surveys_admins_only").with("municipality", m),
        ));
    }
    let year = Year::parse(spec.year)
        .map_err(|e| Refusal::Invalid(Message::in_field("year", e.into())))?;
    let survey = for_staff(store, grants, m, id).await?;
    let q = survey
        .questionnaire
        .questions()
        .find(|q| q.id == spec.question)
        .ok_or_else(|| Refusal::NotFound(Message::new("survey_question_unknown")))?;
    let stored = store.responses(m, id).await?;
    let responses = read_responses(&stored)?;
    let refs: Vec<&Response> = responses.iter().collect();
    let rules = ResultRules {
        self_selected: survey.stored.open_link || stored.iter().any(|r| r.self_selected),
        ..ResultRules::default()
    };
    let estimate = publishable(q, &refs, &rules, &spec.what)
        .map_err(|e| Refusal::Invalid(Message::in_field("what", e)))?;
    let sv = kvalitet_domain::Lang::Sv;
    let title = survey.questionnaire.title.sv.as_str();
    let (value, unit, decimals, how) = match &spec.what {
        Publish::Share(codes) => {
            let said: Vec<&str> = codes
                .iter()
                .map(|c| {
                    q.options
                        .iter()
                        .find(|o| &o.code == c)
                        .map_or(c.as_str(), |o| o.text.sv.as_str())
                })
                .collect();
            (
                estimate.value * 100.0,
                "procent",
                "0",
                Message::new("survey_measure_share").with("answers", said.join(", ")),
            )
        }
        Publish::Mean => (estimate.value, "", "1", Message::new("survey_measure_mean")),
    };
    let definition = sv.say(
        &Message::new("survey_measure_definition")
            .with("survey", title)
            .with("question", &q.text.sv)
            .with_said("how", how),
    );
    let form = MeasureForm {
        id: spec.measure.to_owned(),
        title: spec.title.to_owned(),
        question: q.text.sv.clone(),
        unit: unit.to_owned(),
        direction: "higher".to_owned(),
        decimals: decimals.to_owned(),
        definition,
    };
    let measure = own::define_measure(store, grants, m, &form, actor)
        .await
        .map_err(own_refusal)?;
    let row = ValueRow {
        key: ValueKey {
            measure,
            area: AreaId::Municipality(*m),
            year,
            gender: Gender::Total,
        },
        datum: Datum::Number(value),
        count: None,
    };
    own::save_drafts(store, grants, m, &[row], "", actor)
        .await
        .map_err(own_refusal)?;
    let scale = if matches!(spec.what, Publish::Share(_)) {
        100.0
    } else {
        1.0
    };
    let note = match estimate.margin {
        Some(margin) => Message::new("survey_measure_note")
            .with("survey", title)
            .with("year", year)
            .with("n", estimate.n)
            .with("n_eff", sv.number(estimate.n_eff, 0))
            .with("margin", sv.number(margin * scale, 1)),
        None => Message::new("survey_measure_note_self_selected")
            .with("survey", title)
            .with("year", year)
            .with("n", estimate.n),
    };
    store
        .set_comment(&measure, m, year, Some(&sv.say(&note)), actor)
        .await?;
    Ok(measure)
}

/// A survey's answers as the answer distributions a survey round (HME) imports: a header
/// `question` and the steps of the scale most of its scale questions use, then a row per such
/// question with the count of answers on each step ("vet ej" left out), and the number
/// invited when the survey had personal links. The same distributions an HME file from a
/// survey company gives, so HME answered here is scored by the same rule.
pub async fn distributions(
    store: &impl Surveys,
    grants: &Grants,
    m: &MunicipalityId,
    id: i64,
) -> Result<(String, Option<i64>), Refusal> {
    let survey = for_staff(store, grants, m, id).await?;
    let stored = store.responses(m, id).await?;
    let responses = read_responses(&stored)?;
    let refs: Vec<&Response> = responses.iter().collect();
    let scale = |q: &Question| (q.low.unwrap_or(1.0) as i64, q.high.unwrap_or(5.0) as i64);
    let mut uses: BTreeMap<(i64, i64), usize> = BTreeMap::new();
    for q in survey.questionnaire.questions() {
        if q.kind == QuestionKind::Scale {
            *uses.entry(scale(q)).or_default() += 1;
        }
    }
    let Some((&(low, high), _)) = uses.iter().max_by_key(|(_, n)| **n) else {
        return Err(Refusal::Invalid(Message::new("survey_no_scale_questions")));
    };
    let mut text = String::from("question");
    for step in low..=high {
        text.push_str(&format!(";{step}"));
    }
    text.push('\n');
    for q in survey.questionnaire.questions() {
        if q.kind != QuestionKind::Scale || scale(q) != (low, high) {
            continue;
        }
        if let Some(d) = kvalitet_domain::survey_results::scale_distribution(q, &refs) {
            text.push_str(&q.id);
            for count in &d.0 {
                text.push_str(&format!(";{count}"));
            }
            text.push('\n');
        }
    }
    let invited = i64::try_from(survey.stored.invited).ok().filter(|n| *n > 0);
    Ok((text, invited))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_weighted_or_refused_naming_the_file() {
        let targets = b"variable,level,share\nsex,K,0.5\nsex,M,0.5\n";
        let sample = b"id,sex\na,K\nb,K\nc,K\nd,M\n";
        let w = weight_files(sample, targets, &RakeOptions::default()).unwrap();
        assert_eq!(w.ids, ["a", "b", "c", "d"]);
        assert!((w.raked.weights[3] - 2.0).abs() < 1e-12 && w.raked.converged);
        assert!((w.deff - 4.0 / 3.0).abs() < 1e-12 && (w.n_eff - 3.0).abs() < 1e-12);
        assert_eq!((w.min_weight, w.max_weight), (w.raked.weights[0], 2.0));
        let (variable, before, after) = &w.discrepancies[0];
        assert_eq!(variable, "sex");
        assert!((before - 50.0).abs() < 1e-9 && after.abs() < 1e-9);
        let only_women = b"id,sex\na,K\nb,K\n";
        assert!(matches!(
            weight_files(only_women, targets, &RakeOptions::default()),
            Err(WeightingError::Together(ref m)) if m.code == "weighting_empty_level"
        ));
        assert!(matches!(
            weight_files(sample, b"\xff\xfe", &RakeOptions::default()),
            Err(WeightingError::In(WeightingInput::Targets, _))
        ));
        assert!(matches!(
            weight_files(b"id,sex\na,X\n", targets, &RakeOptions::default()),
            Err(WeightingError::In(WeightingInput::Sample, _))
        ));
    }

    #[test]
    fn hme_answered_here_scores_as_the_imported_distributions_do() {
        use kvalitet_domain::questionnaire::Answer;
        use kvalitet_domain::survey_results::{Response, scale_distribution};
        let framework = kvalitet_formats::framework_toml::read(include_str!(
            "../../../data/frameworks/hme.toml"
        ))
        .unwrap();
        let imported = crate::assessments::parse_distributions(
            &framework,
            include_str!("../../../data/examples/hme-distribution.csv"),
        )
        .unwrap();
        let questionnaire = kvalitet_formats::questionnaire_file::read(include_str!(
            "../../../data/surveys/hme.toml"
        ))
        .unwrap();
        // Every answer of the imported distributions given one by one, as respondents would
        // here (each respondent answering every statement on the same step, and a "vet ej"
        // that must not count).
        let mut responses = Vec::new();
        for (statement, distribution, low) in &imported {
            for (step, count) in distribution.0.iter().enumerate() {
                for _ in 0..*count {
                    let answer = Answer::Number(f64::from(*low) + step as f64);
                    responses.push(Response {
                        weight: 1.0,
                        answers: [(statement.clone(), answer)].into_iter().collect(),
                        background: Default::default(),
                    });
                }
            }
            responses.push(Response {
                weight: 1.0,
                answers: [(statement.clone(), Answer::DontKnow)]
                    .into_iter()
                    .collect(),
                background: Default::default(),
            });
        }
        let refs: Vec<&Response> = responses.iter().collect();
        for (statement, distribution, low) in &imported {
            let question = questionnaire
                .questions()
                .find(|q| q.id == *statement)
                .unwrap();
            let here = scale_distribution(question, &refs).unwrap();
            assert_eq!(&here, distribution, "{statement}");
            assert_eq!(here.mean(*low), distribution.mean(*low));
        }
        assert_eq!(imported.len(), 9);
    }

    #[test]
    fn the_example_files_weight() {
        let w = weight_files(
            include_bytes!("../../../data/examples/weighting-respondents.csv"),
            include_bytes!("../../../data/examples/weighting-targets.csv"),
            &RakeOptions::default(),
        )
        .unwrap();
        assert!(w.raked.converged && w.ids.len() == 8, "{w:?}");
    }
}
