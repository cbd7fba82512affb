//! Assessment rounds as use cases: creating a round and naming its assessors, each assessor's
//! own answers with evidence, the consensus step, survey imports (HME answer distributions),
//! the status flow up to publishing (when results become measures), and the round's report
//! against everyone who published on the same framework version. Every use case checks the
//! person's standing itself, whatever the caller checked.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use serde::Serialize;

use kvalitet_formats::Location;

use kvalitet_domain::assessment::{Answer, Framework, Rule, Scores};
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::round::{
    self, Agreement, AssessorRole, Distribution, Part, RoundKind, Spread, Standing, Status, Step,
};
use kvalitet_domain::{
    Action, AreaId, Datum, Direction, DocumentId, Gender, Grants, MeasureOrigin, Message,
    MunicipalityId, RoundId, SourceKind, UserId, ValueKey, ValueRow, Year,
};

use crate::ports::{
    Accounts, Actor, AnswerRecord, AssessmentRounds, AuditRecord, CatalogueBatch, ChangeSet,
    ConsensusRecord, DocumentRecord, ImportSource, NewRound, RoundContent, RoundFilter,
    RoundRecord, StatusStep, SurveyRecord, Values,
};
use crate::publish::{self, PublishCheck, ResultMeasure, ResultSet};

/// The largest evidence file accepted.
pub const MAX_DOCUMENT_BYTES: usize = 10 << 20;
const MAX_TEXT_CHARS: usize = 10_000;

pub use crate::refusal::Refusal as AssessError;

/// A loaded framework version, read from its stored file.
pub async fn framework(
    store: &impl AssessmentRounds,
    id: &str,
    version: &str,
) -> Result<Framework, AssessError> {
    let source = store
        .frameworks()
        .await?
        .into_iter()
        .find(|(i, v, _)| i == id && v == version)
        .map(|(_, _, s)| s)
        .ok_or_else(|| {
            AssessError::NotFound(
                Message::new("framework_not_found").with("framework", format!("{id} {version}")),
            )
        })?;
    parse_stored(&source).map_err(|e| {
        AssessError::Invalid(
            Message::new("at_place")
                .with("place", format!("{id} {version}"))
                .with_said("problem", Message::all(e)),
        )
    })
}

/// How many framework texts are kept parsed (there are a handful of versions in use).
const PARSED_FRAMEWORKS: usize = 64;

/// A stored framework, read from its TOML text once per process and text rather than on
/// every page that shows a round: the text is the key, so a changed or new version is parsed
/// anew, and nothing has to know which database the text came from.
fn parse_stored(source: &str) -> Result<Framework, Vec<Message>> {
    static PARSED: Mutex<Option<HashMap<String, Framework>>> = Mutex::new(None);
    let cached = |source: &str| {
        PARSED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .and_then(|m| m.get(source).cloned())
    };
    if let Some(f) = cached(source) {
        return Ok(f);
    }
    let f = kvalitet_formats::framework_toml::read(source)?;
    let mut parsed = PARSED.lock().unwrap_or_else(|p| p.into_inner());
    let map = parsed.get_or_insert_with(HashMap::new);
    if map.len() >= PARSED_FRAMEWORKS {
        map.clear();
    }
    map.insert(source.to_owned(), f.clone());
    Ok(f)
}

/// One round by id.
pub async fn round(store: &impl AssessmentRounds, id: RoundId) -> Result<RoundRecord, AssessError> {
    store
        .rounds(&RoundFilter {
            id: Some(id),
            ..RoundFilter::default()
        })
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AssessError::NotFound(round_not_found(id)))
}

/// What a person is to a round.
pub fn standing(grants: &Grants, user: UserId, r: &RoundRecord) -> Standing {
    Standing {
        user,
        assessor: r.assessors.iter().find(|a| a.user == user).map(|a| a.role),
        admin: grants.allows(Action::Publish, &r.municipality),
    }
}

/// Whether a person may see a round before it is published: its assessors, and those who
/// may see the municipality's drafts.
pub fn may_view_unpublished(grants: &Grants, user: UserId, r: &RoundRecord) -> bool {
    r.assessors.iter().any(|a| a.user == user) || grants.allows(Action::ViewDrafts, &r.municipality)
}

/// Assessors score on their own: while a round is a draft, an evaluator or respondent sees
/// only their own answers and files, whatever other roles they have; the lead evaluator (who
/// leads the consensus) and those who oversee the round without taking part see everyone's.
pub fn sees_all_answers(grants: &Grants, user: UserId, r: &RoundRecord) -> bool {
    r.status != Status::Draft
        || matches!(
            standing(grants, user, r).assessor,
            None | Some(AssessorRole::Lead)
        )
}

/// What of a round's content a person may read now: all of it for those who see all answers;
/// for an evaluator or respondent while the round is a draft, only their own answers and
/// files, not the others' nor the agreed answers and reasons (which repeat them). Every use
/// case that hands content out goes through this, so no page can show more.
fn visible_content(
    grants: &Grants,
    user: UserId,
    r: &RoundRecord,
    content: RoundContent,
) -> RoundContent {
    if sees_all_answers(grants, user, r) {
        return content;
    }
    RoundContent {
        answers: content
            .answers
            .into_iter()
            .filter(|a| a.user == user)
            .collect(),
        consensus: Vec::new(),
        documents: content
            .documents
            .into_iter()
            .filter(|d| d.user == user)
            .collect(),
        distributions: content.distributions,
    }
}

/// A municipality's rounds that the person may see: the published ones, and the others to
/// their assessors and those who may see the municipality's drafts.
pub async fn rounds_of(
    store: &impl AssessmentRounds,
    grants: &Grants,
    user: UserId,
    m: &MunicipalityId,
) -> Result<Vec<RoundRecord>, AssessError> {
    let rounds = store
        .rounds(&RoundFilter {
            municipality: Some(*m),
            ..RoundFilter::default()
        })
        .await?;
    Ok(rounds
        .into_iter()
        .filter(|r| r.status == Status::Published || may_view_unpublished(grants, user, r))
        .collect())
}

/// The rounds a person takes part in, for their account page.
pub async fn rounds_as_assessor(
    store: &impl AssessmentRounds,
    user: UserId,
) -> Result<Vec<RoundRecord>, AssessError> {
    Ok(store
        .rounds(&RoundFilter {
            assessor: Some(user),
            ..RoundFilter::default()
        })
        .await?)
}

/// A municipality's published rounds, for everyone.
pub async fn published_rounds(
    store: &impl AssessmentRounds,
    m: &MunicipalityId,
) -> Result<Vec<RoundRecord>, AssessError> {
    Ok(store
        .rounds(&RoundFilter {
            municipality: Some(*m),
            status: Some(Status::Published),
            ..RoundFilter::default()
        })
        .await?)
}

/// Every framework version loaded, read: those that no longer read (a stored framework was
/// checked when loaded) are left out with a warning in the log.
pub async fn loaded_frameworks(
    store: &impl AssessmentRounds,
) -> Result<Vec<Framework>, AssessError> {
    Ok(store
        .frameworks()
        .await?
        .into_iter()
        .filter_map(|(id, version, source)| match parse_stored(&source) {
            Ok(f) => Some(f),
            Err(_) => {
                tracing::warn!(%id, %version, "a stored framework no longer reads");
                None
            }
        })
        .collect())
}

/// Every framework version loaded: (id, version, source text).
pub async fn frameworks(
    store: &impl AssessmentRounds,
) -> Result<Vec<(String, String, String)>, AssessError> {
    Ok(store.frameworks().await?)
}

async fn visible_round(
    store: &impl AssessmentRounds,
    grants: &Grants,
    user: UserId,
    id: RoundId,
) -> Result<RoundRecord, AssessError> {
    let r = round(store, id).await?;
    if r.status == Status::Published || may_view_unpublished(grants, user, &r) {
        Ok(r)
    } else if let Some(c) = r.corrections.last() {
        // Residents knew the round: they are told why it is away and since when.
        Err(AssessError::NotFound(
            Message::new("round_under_correction")
                .with("date", c.at.local_date_text())
                .with("reason", &c.reason),
        ))
    } else {
        // Not "forbidden": an unpublished round's existence is not told to outsiders.
        Err(AssessError::NotFound(round_not_found(id)))
    }
}

/// A round and its framework, if the person may make this kind of change to it now.
async fn round_to_change(
    store: &impl AssessmentRounds,
    grants: &Grants,
    user: UserId,
    round_id: RoundId,
    may: fn(Status, &Standing) -> Result<(), Message>,
) -> Result<(RoundRecord, Framework), AssessError> {
    let r = visible_round(store, grants, user, round_id).await?;
    may(r.status, &standing(grants, user, &r)).map_err(AssessError::Forbidden)?;
    let f = framework(store, &r.framework_id, &r.framework_version).await?;
    Ok((r, f))
}

fn require_admin(grants: &Grants, m: &MunicipalityId) -> Result<(), AssessError> {
    if grants.allows(Action::Publish, m) {
        Ok(())
    } else {
        Err(AssessError::Forbidden(
            Message::new("only_admins_manage_rounds").with("municipality", m),
        ))
    }
}

/// Creates a round in draft; an administrator of the municipality (or a national
/// coordinator, who administers everything) does this.
pub async fn create_round(
    store: &impl AssessmentRounds,
    grants: &Grants,
    new: &NewRound,
    actor: &Actor,
) -> Result<RoundId, AssessError> {
    require_admin(grants, &new.municipality)?;
    if new.title.trim().is_empty() || new.title.chars().count() > 200 {
        return Err(AssessError::Invalid(Message::in_field(
            "title",
            Message::new("give_title").with("max", 200),
        )));
    }
    framework(store, &new.framework_id, &new.framework_version).await?;
    Ok(store.create_round(new, actor).await?)
}

/// Renames a round that is not published yet; its municipality's administrators do this.
pub async fn rename_round(
    store: &impl AssessmentRounds,
    grants: &Grants,
    round_id: RoundId,
    title: &str,
    actor: &Actor,
) -> Result<(), AssessError> {
    let r = managed(store, grants, round_id).await?;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(AssessError::Invalid(Message::in_field(
            "title",
            Message::new("give_title").with("max", 200),
        )));
    }
    if r.status == Status::Published {
        return Err(AssessError::Invalid(Message::new("published_round_stays")));
    }
    Ok(store.rename_round(round_id, title, actor).await?)
}

/// Sets or clears (an empty text) the date by which a round should be done; reminders go
/// before it. Its municipality's administrators do this, until it is published.
pub async fn set_deadline(
    store: &impl AssessmentRounds,
    grants: &Grants,
    round_id: RoundId,
    text: &str,
    actor: &Actor,
) -> Result<(), AssessError> {
    let r = managed(store, grants, round_id).await?;
    if r.status == Status::Published {
        return Err(AssessError::Invalid(Message::new("published_round_stays")));
    }
    let deadline = kvalitet_domain::calendar::parse_deadline(text)
        .map_err(|e| AssessError::Invalid(Message::in_field("deadline", e)))?;
    Ok(store
        .set_round_deadline(round_id, deadline.map(|d| d.to_string()).as_deref(), actor)
        .await?)
}

/// Reopens a published round to correct it (an answer agreed wrongly, a mistyped survey):
/// back to draft for its assessors, with a reason residents read on its report once it is
/// published again, through the same steps (answers, consensus, submit, review, publish),
/// which write its measures anew with their revision history. Until then its report says
/// that it is being corrected and why; the values published from it stay. For its
/// municipality's administrators.
pub async fn reopen_for_correction(
    store: &impl AssessmentRounds,
    grants: &Grants,
    round_id: RoundId,
    reason: &str,
    actor: &Actor,
) -> Result<(), AssessError> {
    let r = managed(store, grants, round_id).await?;
    if r.status != Status::Published {
        return Err(AssessError::Invalid(Message::new(
            "only_published_corrected",
        )));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AssessError::Invalid(Message::in_field(
            "reason",
            Message::new("correction_needs_reason"),
        )));
    }
    kvalitet_domain::text::check_len("reason", reason, 500).map_err(AssessError::Invalid)?;
    Ok(store.reopen_round(round_id, reason, actor).await?)
}

/// Removes a round still in draft, with everything in it (a round made on the wrong
/// framework, or by mistake); its municipality's administrators do this. Returns its
/// municipality, where the person goes next.
pub async fn delete_round(
    store: &impl AssessmentRounds,
    grants: &Grants,
    round_id: RoundId,
    actor: &Actor,
) -> Result<MunicipalityId, AssessError> {
    let r = managed(store, grants, round_id).await?;
    if r.status != Status::Draft {
        return Err(AssessError::Invalid(
            Message::new("only_draft_rounds_removed").with_code("status", r.status.code()),
        ));
    }
    store.delete_round(round_id, actor).await?;
    Ok(r.municipality)
}

/// A round its municipality's administrators manage; not found for those who may not see it.
async fn managed(
    store: &impl AssessmentRounds,
    grants: &Grants,
    round_id: RoundId,
) -> Result<RoundRecord, AssessError> {
    let r = round(store, round_id).await?;
    if r.status != Status::Published && !grants.allows(Action::ViewDrafts, &r.municipality) {
        return Err(AssessError::NotFound(round_not_found(round_id)));
    }
    require_admin(grants, &r.municipality)?;
    Ok(r)
}

/// Gives the person with `email` a part in the round, or removes them with `None`.
pub async fn set_assessor(
    store: &(impl Accounts + AssessmentRounds),
    grants: &Grants,
    round_id: RoundId,
    email: &str,
    role: Option<AssessorRole>,
    actor: &Actor,
) -> Result<(), AssessError> {
    let r = round(store, round_id).await?;
    if r.status != Status::Published && !grants.allows(Action::ViewDrafts, &r.municipality) {
        // Not "forbidden": an unpublished round's existence is not told to outsiders.
        return Err(AssessError::NotFound(round_not_found(round_id)));
    }
    require_admin(grants, &r.municipality)?;
    if r.status == Status::Published {
        return Err(AssessError::Invalid(Message::new(
            "published_assessors_stay",
        )));
    }
    let email = email.trim().to_lowercase();
    let user = store.user_by_email(&email).await?.ok_or_else(|| {
        AssessError::Invalid(Message::in_field(
            "email",
            Message::new("no_account_invite_first").with("email", &email),
        ))
    })?;
    Ok(store.set_assessor(round_id, user.id, role, actor).await?)
}

/// An evidence file sent with an assessor's answers, for one question.
#[derive(Debug, Clone, Copy)]
pub struct Attachment<'a> {
    pub question: &'a str,
    /// The file's name on the sender's machine (only its last part is kept).
    pub filename: &'a str,
    pub body: &'a [u8],
}

/// One question's entry on an assessor's form.
#[derive(Debug, Clone, Default)]
pub struct AnswerForm {
    pub question: String,
    /// A choice's label or a number; empty leaves the question unanswered.
    pub answer: String,
    pub evidence: String,
    pub link: String,
    pub comment: String,
}

fn check_text(errors: &mut Vec<Message>, question: &str, field: &'static str, text: &str) {
    let n = text.chars().count();
    if n > MAX_TEXT_CHARS {
        errors.push(at_question(
            question,
            Message::in_field(
                field,
                Message::new("too_long")
                    .with("max", MAX_TEXT_CHARS)
                    .with("given", n),
            ),
        ));
    }
}

/// `problem` said of one question of a form.
/// A problem with the answer to one question; `id` (not said) lets a form put it beside
/// the question's field.
fn at_question(question: &str, problem: Message) -> Message {
    Message::new("at_question")
        .with("question", format!("{question:?}"))
        .with("id", question)
        .with_said("problem", problem)
}

fn round_not_found(id: RoundId) -> Message {
    Message::new("round_not_found").with("id", id)
}

fn not_in_framework(question: &str, f: &Framework) -> Message {
    Message::new("question_not_in_framework")
        .with("question", format!("{question:?}"))
        .with("framework", format!("{} {}", f.id, f.version))
}

fn rules(framework: &Framework) -> HashMap<&str, &Rule> {
    framework
        .questions()
        .map(|(_, q)| (q.id.as_str(), &q.rule))
        .collect()
}

/// Saves an assessor's own answers, all or none; each problem names its question.
pub async fn save_answers(
    store: &impl AssessmentRounds,
    grants: &Grants,
    user: UserId,
    round_id: RoundId,
    forms: &[AnswerForm],
    attachments: &[Attachment<'_>],
    actor: &Actor,
) -> Result<(), AssessError> {
    let (_, f) = round_to_change(store, grants, user, round_id, round::may_answer).await?;
    let rules = rules(&f);
    let mut errors = Vec::new();
    let mut records = Vec::new();
    let mut seen = BTreeSet::new();
    for form in forms {
        let q = form.question.as_str();
        let Some(rule) = rules.get(q) else {
            errors.push(not_in_framework(q, &f));
            continue;
        };
        if !seen.insert(q) {
            errors.push(at_question(q, Message::new("answered_twice")));
            continue;
        }
        let answer = match form.answer.trim() {
            "" => None,
            text => match rule.parse_answer(text) {
                Ok(a) => Some(a.to_string()),
                Err(e) => {
                    errors.push(at_question(q, e));
                    continue;
                }
            },
        };
        let link = form.link.trim();
        if !(link.is_empty() || link.starts_with("https://") || link.starts_with("http://")) {
            errors.push(at_question(
                q,
                Message::in_field("link", Message::new("link_scheme")),
            ));
        }
        check_text(&mut errors, q, "evidence", &form.evidence);
        check_text(&mut errors, q, "comment", &form.comment);
        check_text(&mut errors, q, "link", link);
        let (evidence, comment) = (form.evidence.trim(), form.comment.trim());
        if answer.is_none() && evidence.is_empty() && link.is_empty() && comment.is_empty() {
            continue;
        }
        records.push(AnswerRecord {
            user,
            question: form.question.clone(),
            answer,
            evidence: evidence.to_owned(),
            link: link.to_owned(),
            comment: comment.to_owned(),
            updated_at: actor.at,
        });
    }
    let mut documents = Vec::new();
    for file in attachments {
        let q = file.question;
        if !rules.contains_key(q) {
            errors.push(not_in_framework(q, &f));
            continue;
        }
        match document_record(round_id, user, file, actor) {
            Ok(record) => documents.push((record, file.body)),
            Err(problem) => errors.push(at_question(q, Message::in_field("file", problem))),
        }
    }
    if !errors.is_empty() {
        return Err(AssessError::BadRows(errors));
    }
    Ok(store
        .save_answers(round_id, user, &records, &documents, actor)
        .await?)
}

/// The record of an evidence file, or why it is refused (empty, too large).
fn document_record(
    round: RoundId,
    user: UserId,
    file: &Attachment<'_>,
    actor: &Actor,
) -> Result<DocumentRecord, Message> {
    if file.body.is_empty() {
        return Err(Message::new("file_empty"));
    }
    if file.body.len() > MAX_DOCUMENT_BYTES {
        return Err(Message::new("file_too_large").with("mb", MAX_DOCUMENT_BYTES >> 20));
    }
    // Only the last path part, without control characters: the name is shown and sent back.
    let name: String = file
        .filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let name = if name.trim().is_empty() {
        "bilaga".to_owned()
    } else {
        name
    };
    Ok(DocumentRecord {
        id: DocumentId(0),
        round,
        question: file.question.to_owned(),
        user,
        content_type: content_type_of(&name).to_owned(),
        filename: name,
        size: file.body.len() as i64,
        uploaded_at: actor.at,
    })
}

/// The agreed answer to one question, as the lead evaluator records it.
#[derive(Debug, Clone, Default)]
pub struct DecisionForm {
    pub question: String,
    pub answer: String,
    pub reason: String,
}

/// Where the assessors stand on each question, in framework order.
pub fn agreements(framework: &Framework, content: &RoundContent) -> Vec<(String, Agreement)> {
    framework
        .questions()
        .map(|(_, q)| {
            let answers: Vec<Answer> = content
                .answers
                .iter()
                .filter(|a| a.question == q.id)
                .filter_map(|a| a.answer.as_deref())
                .filter_map(|t| q.rule.parse_answer(t).ok())
                .collect();
            let refs: Vec<&Answer> = answers.iter().collect();
            (q.id.clone(), round::agreement(&q.rule, &refs))
        })
        .collect()
}

/// Records agreed answers, all or none. Where the assessors' points differ, the reason for
/// the agreed score is required.
pub async fn decide(
    store: &impl AssessmentRounds,
    grants: &Grants,
    user: UserId,
    round_id: RoundId,
    forms: &[DecisionForm],
    actor: &Actor,
) -> Result<(), AssessError> {
    let (_, f) = round_to_change(store, grants, user, round_id, round::may_decide).await?;
    let rules = rules(&f);
    let content = store.round_content(round_id).await?;
    let agreements: HashMap<String, Agreement> = agreements(&f, &content).into_iter().collect();
    let mut errors = Vec::new();
    let mut records = Vec::new();
    for form in forms {
        let q = form.question.as_str();
        let Some(rule) = rules.get(q) else {
            errors.push(not_in_framework(q, &f));
            continue;
        };
        if form.answer.trim().is_empty() {
            continue;
        }
        let answer = match rule.parse_answer(&form.answer) {
            Ok(a) => a,
            Err(e) => {
                errors.push(at_question(q, e));
                continue;
            }
        };
        let reason = form.reason.trim();
        check_text(&mut errors, q, "reason", reason);
        if let Some(Agreement::Differ { lowest, highest }) = agreements.get(&form.question)
            && reason.is_empty()
        {
            errors.push(at_question(
                q,
                Message::in_field(
                    "reason",
                    Message::new("differ_give_reason")
                        .with("lowest", lowest)
                        .with("highest", highest),
                ),
            ));
            continue;
        }
        records.push(ConsensusRecord {
            question: form.question.clone(),
            answer: answer.to_string(),
            reason: reason.to_owned(),
            decided_by: actor.who.clone(),
            decided_at: actor.at,
        });
    }
    if !errors.is_empty() {
        return Err(AssessError::BadRows(errors));
    }
    Ok(store
        .save_consensus(round_id, &records, None, actor)
        .await?)
}

/// Reads a survey's answer distributions: a header `question` followed by the scale's steps
/// (`question;1;2;3;4;5` for HME), then one row per statement with the number of answers
/// per step. Commas or semicolons separate; errors name line and column.
/// The answer distributions template of a survey round's framework: `question` and the steps
/// of its scale as the header, a row per statement on that scale with the counts to fill in
/// (statements on another scale, if a framework mixed them, are left out: one file, one scale).
pub fn distribution_template(framework: &Framework) -> (Vec<String>, Vec<Vec<String>>) {
    let scales: Vec<(&str, (u8, u8))> = framework
        .questions()
        .filter_map(|(_, q)| match q.rule {
            Rule::Scale { low, high } => Some((q.id.as_str(), (low, high))),
            _ => None,
        })
        .collect();
    // The scale most statements use.
    let mut uses: BTreeMap<(u8, u8), usize> = BTreeMap::new();
    for (_, scale) in &scales {
        *uses.entry(*scale).or_default() += 1;
    }
    let Some((&(low, high), _)) = uses.iter().max_by_key(|(_, n)| **n) else {
        return (vec!["question".to_owned()], Vec::new());
    };
    let header = std::iter::once("question".to_owned())
        .chain((low..=high).map(|s| s.to_string()))
        .collect();
    let steps = usize::from(high - low) + 1;
    let rows = scales
        .iter()
        .filter(|(_, scale)| *scale == (low, high))
        .map(|(id, _)| {
            std::iter::once((*id).to_owned())
                .chain(std::iter::repeat_n(String::new(), steps))
                .collect()
        })
        .collect();
    (header, rows)
}

pub fn parse_distributions(
    framework: &Framework,
    text: &str,
) -> Result<Vec<(String, Distribution, u8)>, Vec<Message>> {
    let scales: HashMap<&str, (u8, u8)> = framework
        .questions()
        .filter_map(|(_, q)| match q.rule {
            Rule::Scale { low, high } => Some((q.id.as_str(), (low, high))),
            _ => None,
        })
        .collect();
    let table = kvalitet_formats::table::Table::read(text)?;
    let header = &table.header;
    if header.first().map(String::as_str) != Some("question") {
        return Err(vec![
            Location::line(1)
                .with_field("1")
                .say(Message::new("distribution_header")),
        ]);
    }
    let mut steps = Vec::new();
    for (c, h) in header.iter().enumerate().skip(1) {
        match h.parse::<u8>() {
            Ok(s) if steps.last().is_none_or(|l| s == l + 1) => steps.push(s),
            _ => {
                return Err(vec![Location::line(1).with_field((c + 1).to_string()).say(
                    Message::new("not_next_step").with("value", format!("{h:?}")),
                )]);
            }
        }
    }
    let (Some(&low), Some(&high)) = (steps.first(), steps.last()) else {
        return Err(vec![Location::line(1).say(Message::new("no_scale_steps"))]);
    };
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen = BTreeSet::new();
    for row in table.rows() {
        let (n, cells) = (row.line, row.cells);
        let line = Location::line(n as u64);
        if cells.len() != header.len() {
            errors.push(
                line.say(
                    Message::new("column_count")
                        .with("given", cells.len())
                        .with("header", header.len()),
                ),
            );
            continue;
        }
        let first = line.clone().with_field("1");
        let q = cells[0].as_str();
        // A template's statement left empty: no counts on any step.
        if cells.iter().skip(1).all(|c| c.trim().is_empty()) {
            continue;
        }
        match scales.get(q) {
            None => {
                errors.push(
                    first.say(
                        Message::new("not_a_scale_statement")
                            .with("question", format!("{q:?}"))
                            .with(
                                "framework",
                                format!("{} {}", framework.id, framework.version),
                            ),
                    ),
                );
                continue;
            }
            Some(&(l, h)) if (l, h) != (low, high) => {
                errors.push(
                    first.say(
                        Message::new("other_scale")
                            .with("question", format!("{q:?}"))
                            .with("scale", format!("{l}–{h}"))
                            .with("header", format!("{low}–{high}")),
                    ),
                );
                continue;
            }
            Some(_) => {}
        }
        if !seen.insert(q.to_owned()) {
            errors.push(first.say(Message::new("listed_twice").with("value", format!("{q:?}"))));
            continue;
        }
        let mut counts = Vec::new();
        for (c, cell) in cells.iter().enumerate().skip(1) {
            match cell.parse::<u64>() {
                Ok(v) => counts.push(v),
                // An empty step in a filled row is a step nobody chose.
                Err(_) if cell.trim().is_empty() => counts.push(0),
                Err(_) => errors.push(
                    line.clone()
                        .with_field(format!("{} ({})", c + 1, header[c]))
                        .say(Message::new("not_a_count").with("value", format!("{cell:?}"))),
                ),
            }
        }
        if counts.len() == steps.len() {
            rows.push((q.to_owned(), Distribution(counts), low));
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(Message::new("no_statements"));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Imports a survey's answer distributions, replacing earlier ones. A statement's mean
/// becomes its agreed answer when at least `min_answers` answered; with fewer it is kept
/// but left out of the scores.
#[allow(clippy::too_many_arguments)]
pub async fn import_survey(
    store: &impl AssessmentRounds,
    grants: &Grants,
    user: UserId,
    round_id: RoundId,
    text: &str,
    invited: Option<i64>,
    min_answers: u64,
    actor: &Actor,
) -> Result<(), AssessError> {
    let (r, f) = round_to_change(store, grants, user, round_id, round::may_decide).await?;
    if r.kind != RoundKind::Survey {
        return Err(AssessError::Invalid(Message::new(
            "distributions_in_survey_rounds",
        )));
    }
    let rows = parse_distributions(&f, text).map_err(AssessError::BadRows)?;
    let respondents = rows.iter().map(|(_, d, _)| d.answers()).max().unwrap_or(0);
    let respondents = i64::try_from(respondents).unwrap_or(i64::MAX);
    if let Some(invited) = invited
        && invited < respondents
    {
        return Err(AssessError::Invalid(Message::in_field(
            "invited",
            Message::new("fewer_invited_than_answered")
                .with("invited", invited)
                .with("respondents", respondents),
        )));
    }
    let consensus: Vec<ConsensusRecord> = rows
        .iter()
        .filter(|(_, d, _)| d.answers() >= min_answers)
        .filter_map(|(q, d, low)| {
            d.mean(*low).map(|mean| ConsensusRecord {
                question: q.clone(),
                answer: Answer::Number(mean).to_string(),
                reason: format!("medelvärde av {} svar", d.answers()),
                decided_by: actor.who.clone(),
                decided_at: actor.at,
            })
        })
        .collect();
    let survey = SurveyRecord {
        invited,
        respondents: Some(respondents),
        distributions: rows.into_iter().map(|(q, d, _)| (q, d.0)).collect(),
    };
    Ok(store
        .save_consensus(round_id, &consensus, Some(&survey), actor)
        .await?)
}

/// The type a document is served with, by its name's ending; anything else is a download.
fn content_type_of(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

/// An evidence file, to those who may see its round.
pub async fn document(
    store: &impl AssessmentRounds,
    grants: &Grants,
    user: UserId,
    id: DocumentId,
) -> Result<(DocumentRecord, Vec<u8>), AssessError> {
    let (d, body) = store
        .document(id)
        .await?
        .ok_or_else(|| AssessError::NotFound(Message::new("document_not_found").with("id", id)))?;
    // Evidence stays with those who worked on or oversee the round, also once published:
    // it may hold internal material the published result does not.
    let r = round(store, d.round).await?;
    if !may_view_unpublished(grants, user, &r)
        || !(d.user == user || sees_all_answers(grants, user, &r))
    {
        return Err(AssessError::NotFound(
            Message::new("document_not_found").with("id", id),
        ));
    }
    Ok((d, body))
}

/// The agreed answers of a round as the scoring engine reads them.
fn agreed_answers(framework: &Framework, content: &RoundContent) -> HashMap<String, Answer> {
    let rules = rules(framework);
    content
        .consensus
        .iter()
        .filter_map(|c| {
            let rule = rules.get(c.question.as_str())?;
            Some((c.question.clone(), rule.parse_answer(&c.answer).ok()?))
        })
        .collect()
}

/// Takes a step in the round's status flow. Submitting needs an agreed answer for every
/// question an assessor answered; publishing makes the scores measures (when the framework
/// names a measure prefix), all in one transaction with the status and the audit event.
pub async fn take_step(
    store: &(impl Values + AssessmentRounds),
    grants: &Grants,
    user: UserId,
    round_id: RoundId,
    step: Step,
    actor: &Actor,
) -> Result<Status, AssessError> {
    let r = visible_round(store, grants, user, round_id).await?;
    let to = step
        .take(r.status, &standing(grants, user, &r), r.submitted_by)
        .map_err(AssessError::Forbidden)?;
    if step == Step::Publish {
        let f = framework(store, &r.framework_id, &r.framework_version).await?;
        let content = store.round_content(round_id).await?;
        publish(store, &r, &f, &content, actor).await?;
        return Ok(to);
    }
    if step == Step::Submit {
        let content = store.round_content(round_id).await?;
        let agreed: BTreeSet<&str> = content
            .consensus
            .iter()
            .map(|c| c.question.as_str())
            .collect();
        if agreed.is_empty() {
            return Err(AssessError::Invalid(Message::new(
                "agree_before_submitting",
            )));
        }
        let open: BTreeSet<&str> = content
            .answers
            .iter()
            .filter(|a| a.answer.is_some() && !agreed.contains(a.question.as_str()))
            .map(|a| a.question.as_str())
            .collect();
        if !open.is_empty() {
            return Err(AssessError::Invalid(
                Message::new("answered_without_agreement")
                    .with("questions", open.into_iter().collect::<Vec<_>>().join(", ")),
            ));
        }
    }
    let submitted_by = (step == Step::Submit).then_some(user);
    store
        .set_round_status(
            round_id,
            r.status,
            to,
            submitted_by,
            AuditAction::round_step(step),
            actor,
        )
        .await?;
    Ok(to)
}

/// The measure set a framework version's results are shown in on the citizen site.
pub fn measure_set_id(framework: &Framework) -> String {
    format!("{}-{}", framework.id, framework.version)
}

/// The measures and the measure set a framework version's results become, published in
/// `year` and compared among `participants`.
fn measures_of(
    framework: &Framework,
    year: Year,
    participants: Vec<MunicipalityId>,
) -> CatalogueBatch {
    let name = format!("{} {}", framework.name, framework.version);
    let results = framework
        .measure_ids()
        .into_iter()
        .map(|(id, area)| {
            let (title, max) = match area {
                None => (format!("{name}: totalt"), framework.total_max()),
                Some(i) => (
                    format!("{name}: {}", framework.areas[i].title),
                    Framework::area_score_max(&framework.areas[i]),
                ),
            };
            ResultMeasure {
                direction: Direction::HigherIsBetter,
                decimals: 0,
                id,
                question: title.clone(),
                title,
                description: format!(
                    "Publicerat resultat av {name}, ramverk giltigt från {}. Resultat på andra versioner är inte direkt jämförbara.",
                    framework.valid_from
                ),
                unit: if (max - 100.0).abs() < 1e-9 {
                    "av 100".to_owned()
                } else {
                    format!("poäng av {max}")
                },
                source_kind: SourceKind::External,
            }
        })
        .collect();
    let set = ResultSet {
        id: measure_set_id(framework),
        title: name.clone(),
        title_en: None,
        area: name,
        area_en: None,
        description: "Resultat av publicerade bedömningar, jämförda med de kommuner som publicerat på samma ramverksversion.".into(),
        participants,
    };
    publish::as_measures(MeasureOrigin::Assessment, year, set, results)
}

async fn publish(
    store: &(impl Values + AssessmentRounds),
    r: &RoundRecord,
    f: &Framework,
    content: &RoundContent,
    actor: &Actor,
) -> Result<(), AssessError> {
    let answers = agreed_answers(f, content);
    let scores = f.score(&answers).map_err(AssessError::BadRows)?;
    let mut catalogue = CatalogueBatch::default();
    let mut rows = Vec::new();
    if f.measure_prefix.is_some() {
        // Compared among those who published on this version, this one included.
        let mut participants: BTreeSet<MunicipalityId> = store
            .rounds(&RoundFilter {
                framework: Some((f.id.clone(), f.version.clone())),
                status: Some(Status::Published),
                ..RoundFilter::default()
            })
            .await?
            .into_iter()
            .map(|p| p.municipality)
            .collect();
        participants.insert(r.municipality);
        catalogue = measures_of(f, r.year, participants.into_iter().collect());
        for (id, area) in f.measure_ids() {
            let score = match area {
                None => Some(scores.total),
                Some(i) => Some(&scores.areas[i])
                    .filter(|a| a.answered > 0)
                    .map(|a| a.score),
            };
            if let Some(value) = score {
                rows.push(ValueRow {
                    key: ValueKey {
                        measure: id,
                        area: AreaId::Municipality(r.municipality),
                        year: r.year,
                        gender: Gender::Total,
                    },
                    datum: Datum::Number(value),
                    count: None,
                });
            }
        }
    }
    let record = AuditRecord {
        actor: actor.clone(),
        municipality: Some(r.municipality),
        action: AuditAction::RoundPublish,
        object: format!("round:{}", r.id),
        before: Some(serde_json::json!({"status": r.status.code()})),
        after: Some(serde_json::json!({
            "status": Status::Published.code(),
            "total": scores.total,
            "values": rows.len(),
        })),
    };
    let source = ImportSource {
        source: format!("round {} published by {}", r.id, actor.who),
        format: "publish".into(),
        at: actor.at,
    };
    let change = ChangeSet {
        catalogue: (!catalogue.is_empty()).then_some(catalogue),
        values: rows,
        step: Some(StatusStep::Round {
            round: r.id,
            from: r.status,
            to: Status::Published,
        }),
        audit: vec![record],
        ..ChangeSet::default()
    };
    store.apply(&source, change).await?;
    Ok(())
}

/// One area (or the total) of a report: the round's score beside the others'.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    pub id: String,
    pub title: String,
    pub score: Option<f64>,
    pub max: f64,
    pub answered: usize,
    pub questions: usize,
    /// Among the latest published rounds of every municipality on the same version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub others: Option<Spread>,
}

/// Every area of a result as a row, without the others' spread.
fn area_rows(f: &Framework, scores: &Scores) -> Vec<ReportRow> {
    f.areas
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let s = scores.areas.get(i);
            ReportRow {
                id: a.id.clone(),
                title: a.title.clone(),
                score: s.filter(|s| s.answered > 0).map(|s| s.score),
                max: Framework::area_score_max(a),
                answered: s.map_or(0, |s| s.answered),
                questions: a.questions.len(),
                others: None,
            }
        })
        .collect()
}

/// An earlier round of the same municipality and framework.
#[derive(Debug, Clone, Serialize)]
pub struct EarlierRound {
    pub round: RoundRecord,
    /// False when it is on another version of the framework.
    pub comparable: bool,
    /// Area scores by area id, and the total.
    pub areas: HashMap<String, f64>,
    pub total: f64,
}

/// A part (area or sub-area) with what the assessors wrote about it.
#[derive(Debug, Clone, Serialize)]
pub struct PartWithText {
    pub part: Part,
    /// The agreed reasons in it, each once (the assessors' own notes stay internal).
    pub texts: Vec<String>,
}

/// A statement of a survey with its distribution.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyRow {
    pub question: String,
    pub text: String,
    pub counts: Vec<u64>,
    pub answers: u64,
    pub mean: Option<f64>,
    pub index: Option<f64>,
    /// False when fewer answered than the framework's minimum.
    pub reported: bool,
}

/// Everything the report page shows.
#[derive(Debug, Clone, Serialize)]
pub struct RoundReport {
    pub round: RoundRecord,
    pub framework: Framework,
    pub scores: Scores,
    pub total: ReportRow,
    pub areas: Vec<ReportRow>,
    pub strengths: Vec<PartWithText>,
    pub improvements: Vec<PartWithText>,
    pub earlier: Vec<EarlierRound>,
    pub survey: Vec<SurveyRow>,
    /// Respondents / invited, 0–100.
    pub response_rate: Option<f64>,
    /// How many published rounds on this version the spread is over.
    pub compared_with: usize,
}

/// The number of strengths and improvement areas a report names.
const PARTS_NAMED: usize = 3;

fn scores_of(f: &Framework, content: &RoundContent) -> Scores {
    let answers = agreed_answers(f, content);
    // Agreed answers were checked when recorded; a later framework edit could orphan one,
    // which is then left out rather than failing the whole report.
    let known: HashMap<String, Answer> = answers
        .into_iter()
        .filter(|(q, a)| {
            f.questions()
                .any(|(_, fq)| &fq.id == q && fq.rule.points(a).is_ok())
        })
        .collect();
    f.score(&known).unwrap_or(Scores {
        areas: Vec::new(),
        total: 0.0,
    })
}

/// The report of a round: public once published, and to its assessors and the
/// municipality's readers before.
pub async fn report(
    store: &impl AssessmentRounds,
    grants: &Grants,
    user: UserId,
    round_id: RoundId,
) -> Result<RoundReport, AssessError> {
    let r = visible_round(store, grants, user, round_id).await?;
    let f = framework(store, &r.framework_id, &r.framework_version).await?;
    let content = visible_content(grants, user, &r, store.round_content(round_id).await?);
    let scores = scores_of(&f, &content);
    let answers = agreed_answers(&f, &content);

    // The others: each municipality's latest published round on this version.
    let published = store
        .rounds(&RoundFilter {
            framework: Some((f.id.clone(), f.version.clone())),
            status: Some(Status::Published),
            ..RoundFilter::default()
        })
        .await?;
    let mut latest: HashMap<MunicipalityId, &RoundRecord> = HashMap::new();
    for p in &published {
        latest.entry(p.municipality).or_insert(p);
    }
    let mut agreed: HashMap<RoundId, RoundContent> = HashMap::new();
    for (round_id, c) in store.published_consensus(&f.id, &f.version).await? {
        agreed.entry(round_id).or_default().consensus.push(c);
    }
    let other_scores: Vec<Scores> = latest
        .values()
        .map(|p| scores_of(&f, agreed.get(&p.id).unwrap_or(&RoundContent::default())))
        .collect();
    let spread_of = |pick: &dyn Fn(&Scores) -> Option<f64>| {
        Spread::of(&other_scores.iter().filter_map(pick).collect::<Vec<_>>())
    };
    let mut areas = area_rows(&f, &scores);
    for (i, row) in areas.iter_mut().enumerate() {
        row.others =
            spread_of(&|o: &Scores| o.areas.get(i).filter(|s| s.answered > 0).map(|s| s.score));
    }
    let answered: usize = areas.iter().map(|a| a.answered).sum();
    let total = ReportRow {
        id: "total".into(),
        title: f.name.clone(),
        score: (answered > 0).then_some(scores.total),
        max: f.total_max(),
        answered,
        questions: f.questions().count(),
        others: spread_of(&|o: &Scores| o.areas.iter().any(|s| s.answered > 0).then_some(o.total)),
    };

    let parts = round::parts_by_share(&f, &scores, &answers);
    let texts = |part: &Part| -> Vec<String> {
        let questions: BTreeSet<&str> = f
            .areas
            .iter()
            .filter(|a| a.id == part.area)
            .flat_map(|a| &a.questions)
            .filter(|q| match &part.question {
                Some(id) => q.id == *id,
                None => part.subarea.is_none() || q.subarea == part.subarea,
            })
            .map(|q| q.id.as_str())
            .collect();
        // Only the agreed reasons are public: the assessors' own evidence and comments are
        // their internal working notes (the form marks them so), and a reason shared by
        // several questions is said once.
        let mut seen = BTreeSet::new();
        content
            .consensus
            .iter()
            .filter(|c| questions.contains(c.question.as_str()))
            .map(|c| c.reason.trim())
            .filter(|reason| !reason.is_empty() && seen.insert(*reason))
            .map(str::to_owned)
            .collect()
    };
    let with_text = |p: &Part| PartWithText {
        part: p.clone(),
        texts: texts(p),
    };
    let named = PARTS_NAMED.min(parts.len() / 2);
    let strengths = parts.iter().take(named).map(with_text).collect();
    let improvements = parts.iter().rev().take(named).map(with_text).collect();

    // The municipality's own earlier rounds of the same framework, any version.
    let mut earlier = Vec::new();
    for e in store
        .rounds(&RoundFilter {
            municipality: Some(r.municipality),
            status: Some(Status::Published),
            ..RoundFilter::default()
        })
        .await?
        .into_iter()
        .filter(|e| e.framework_id == f.id && e.id != r.id)
    {
        let ef = if e.framework_version == f.version {
            f.clone()
        } else {
            framework(store, &e.framework_id, &e.framework_version).await?
        };
        let s = scores_of(&ef, &store.round_content(e.id).await?);
        earlier.push(EarlierRound {
            comparable: e.framework_version == f.version,
            areas: ef
                .areas
                .iter()
                .zip(&s.areas)
                .map(|(a, s)| (a.id.clone(), s.score))
                .collect(),
            total: s.total,
            round: e,
        });
    }

    let min_answers = round::MIN_SURVEY_ANSWERS;
    let survey: Vec<SurveyRow> = f
        .questions()
        .filter_map(|(_, q)| {
            let (_, counts) = content.distributions.iter().find(|(id, _)| *id == q.id)?;
            let Rule::Scale { low, .. } = q.rule else {
                return None;
            };
            let d = Distribution(counts.clone());
            let mean = d.mean(low);
            Some(SurveyRow {
                question: q.id.clone(),
                text: q.text.clone(),
                answers: d.answers(),
                index: mean.and_then(|m| q.rule.points(&Answer::Number(m)).ok()),
                mean,
                counts: counts.clone(),
                reported: d.answers() >= min_answers,
            })
        })
        .collect();
    let response_rate = match (r.respondents, r.invited) {
        (Some(answered), Some(invited)) if invited > 0 => {
            Some(answered as f64 / invited as f64 * 100.0)
        }
        _ => None,
    };
    Ok(RoundReport {
        compared_with: latest.len(),
        round: r,
        framework: f,
        scores,
        total,
        areas,
        strengths,
        improvements,
        earlier,
        survey,
        response_rate,
    })
}

/// A published result as open data.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedResult {
    pub round: RoundId,
    pub municipality: MunicipalityId,
    pub framework: String,
    pub version: String,
    pub kind: RoundKind,
    pub title: String,
    pub year: i16,
    pub total: f64,
    pub total_max: f64,
    pub areas: Vec<ReportRow>,
}

/// Every published result, optionally of one municipality and of one framework (and version).
pub async fn published(
    store: &impl AssessmentRounds,
    municipality: Option<MunicipalityId>,
    framework_id: Option<&str>,
    version: Option<&str>,
) -> Result<Vec<PublishedResult>, AssessError> {
    let rounds = store
        .rounds(&RoundFilter {
            municipality,
            status: Some(Status::Published),
            ..RoundFilter::default()
        })
        .await?;
    let mut frameworks: HashMap<(String, String), (Framework, HashMap<RoundId, RoundContent>)> =
        HashMap::new();
    let mut out = Vec::new();
    for r in rounds {
        if framework_id.is_some_and(|f| f != r.framework_id)
            || version.is_some_and(|v| v != r.framework_version)
        {
            continue;
        }
        let key = (r.framework_id.clone(), r.framework_version.clone());
        if !frameworks.contains_key(&key) {
            let f = framework(store, &key.0, &key.1).await?;
            // One read of every published round's agreed answers per framework version.
            let mut by_round: HashMap<RoundId, RoundContent> = HashMap::new();
            for (round_id, c) in store.published_consensus(&key.0, &key.1).await? {
                by_round.entry(round_id).or_default().consensus.push(c);
            }
            frameworks.insert(key.clone(), (f, by_round));
        }
        let Some((f, by_round)) = frameworks.get(&key) else {
            continue;
        };
        let scores = scores_of(f, by_round.get(&r.id).unwrap_or(&RoundContent::default()));
        out.push(PublishedResult {
            round: r.id,
            municipality: r.municipality,
            framework: r.framework_id.clone(),
            version: r.framework_version.clone(),
            kind: r.kind,
            title: r.title.clone(),
            year: r.year.get(),
            total: scores.total,
            total_max: f.total_max(),
            areas: area_rows(f, &scores),
        });
    }
    Ok(out)
}

/// Everything the round's work page shows to a person who may see it.
#[derive(Debug, Clone)]
pub struct RoundWork {
    pub round: RoundRecord,
    pub framework: Framework,
    pub content: RoundContent,
    pub standing: Standing,
    pub agreements: Vec<(String, Agreement)>,
    pub scores: Scores,
}

/// The round with all its answers, for its assessors and the municipality's people.
pub async fn work(
    store: &impl AssessmentRounds,
    grants: &Grants,
    user: UserId,
    round_id: RoundId,
) -> Result<RoundWork, AssessError> {
    let r = round(store, round_id).await?;
    if !may_view_unpublished(grants, user, &r) {
        return Err(AssessError::NotFound(round_not_found(round_id)));
    }
    let f = framework(store, &r.framework_id, &r.framework_version).await?;
    let content = visible_content(grants, user, &r, store.round_content(round_id).await?);
    Ok(RoundWork {
        standing: standing(grants, user, &r),
        agreements: agreements(&f, &content),
        scores: scores_of(&f, &content),
        round: r,
        framework: f,
        content,
    })
}

/// The check before publishing `w`'s round.
pub fn publish_check(w: &RoundWork, min_survey_answers: u64) -> PublishCheck {
    let questions = w.framework.questions().count();
    let agreed: BTreeSet<&str> = w
        .content
        .consensus
        .iter()
        .map(|c| c.question.as_str())
        .collect();
    let reasons = w
        .content
        .consensus
        .iter()
        .filter(|c| !c.reason.trim().is_empty())
        .count();
    let mut check = PublishCheck {
        public: vec![
            Message::new("public_round_facts"),
            Message::new("public_round_scores"),
            Message::new("public_round_reasons").with("n", reasons),
        ],
        internal: vec![Message::new("internal_round_notes")],
        warnings: Vec::new(),
    };
    let unanswered = questions.saturating_sub(agreed.len());
    if unanswered > 0 {
        check.warnings.push(
            Message::new("warn_unanswered")
                .with("n", unanswered)
                .with("of", questions),
        );
    }
    if w.round.kind == RoundKind::Survey {
        let few = w
            .content
            .distributions
            .iter()
            .filter(|(_, counts)| counts.iter().sum::<u64>() < min_survey_answers)
            .count();
        if w.content.distributions.is_empty() {
            check.warnings.push(Message::new("warn_no_survey"));
        } else if few > 0 {
            check.warnings.push(
                Message::new("warn_few_answers")
                    .with("n", few)
                    .with("min", min_survey_answers),
            );
        }
    }
    check.warnings.push(Message::new("warn_published_final"));
    check
}

/// Loads or replaces a framework version from its file text, written or edited in the UI;
/// a national coordinator (system administrator) does this. A version that has published
/// results is not changed: a changed framework is a new version.
pub async fn save_framework(
    store: &(impl Values + AssessmentRounds),
    grants: &Grants,
    text: &str,
    actor: &Actor,
) -> Result<Framework, AssessError> {
    if !grants.system_admin {
        return Err(AssessError::Forbidden(Message::new(
            "only_system_admin_frameworks",
        )));
    }
    let f = kvalitet_formats::framework_toml::read(text).map_err(AssessError::BadRows)?;
    let published = store
        .rounds(&RoundFilter {
            framework: Some((f.id.clone(), f.version.clone())),
            status: Some(Status::Published),
            ..RoundFilter::default()
        })
        .await?;
    let unchanged = store
        .frameworks()
        .await?
        .iter()
        .any(|(i, v, source)| *i == f.id && *v == f.version && source == text);
    if !published.is_empty() && !unchanged {
        return Err(AssessError::Invalid(
            Message::new("framework_has_results")
                .with("framework", format!("{} {}", f.id, f.version))
                .with("results", published.len()),
        ));
    }
    let record = AuditRecord {
        actor: actor.clone(),
        municipality: None,
        action: AuditAction::FrameworkSave,
        object: format!("framework:{}:{}", f.id, f.version),
        before: None,
        after: Some(serde_json::json!({"name": f.name, "areas": f.areas.len(),
            "questions": f.questions().count()})),
    };
    let source = ImportSource {
        source: format!("framework edited by {}", actor.who),
        format: "framework".into(),
        at: actor.at,
    };
    let batch = CatalogueBatch {
        frameworks: vec![(f.clone(), text.to_owned())],
        ..CatalogueBatch::default()
    };
    let change = ChangeSet {
        catalogue: Some(batch),
        audit: vec![record],
        ..ChangeSet::default()
    };
    store.apply(&source, change).await?;
    Ok(f)
}

/// The year a round's form names, checked.
pub fn parse_year(text: &str) -> Result<Year, AssessError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .and_then(|y| Year::new(y).ok())
        .ok_or_else(|| {
            AssessError::Invalid(Message::in_field(
                "year",
                Message::new("not_a_year").with("value", format!("{text:?}")),
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hme_example_distribution_reads_against_the_shipped_framework() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let framework = kvalitet_formats::framework_toml::read(
            &std::fs::read_to_string(root.join("data/frameworks/hme.toml")).unwrap(),
        )
        .unwrap();
        let text =
            std::fs::read_to_string(root.join("data/examples/hme-distribution.csv")).unwrap();
        let rows = parse_distributions(&framework, &text).unwrap();
        assert_eq!(rows.len(), 9, "the nine statements");
        // U00300: 2/3/15/60/80 = 160 answers, mean (2 + 6 + 45 + 240 + 400) / 160 = 4.33125,
        // index (4.33125 - 1) x 25 = 83.28.
        let (_, d, low) = &rows[0];
        assert_eq!(d.answers(), 160);
        let mean = d.mean(*low).unwrap();
        assert!((mean - 4.33125).abs() < 1e-12);
        let answers: HashMap<String, Answer> = rows
            .iter()
            .map(|(q, d, low)| (q.clone(), Answer::Number(d.mean(*low).unwrap())))
            .collect();
        let scores = framework.score(&answers).unwrap();
        // Motivation: U00300 83.28125, U00301 624/160 = 3.9 -> 72.5, U00302 605/160 =
        // 3.78125 -> 69.53125; their mean 75.104.
        let motivation = (83.28125 + 72.5 + 69.53125) / 3.0;
        assert!(
            (scores.areas[0].score - motivation).abs() < 1e-9,
            "{scores:?}"
        );
    }
}
