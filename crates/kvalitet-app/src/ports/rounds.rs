//! The assessment port: frameworks and rounds with assessors, answers, consensus and documents.

use std::future::Future;

use serde::Serialize;

use kvalitet_domain::Timestamp;
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::{
    DocumentId, MunicipalityId, RoundId, UserId, Year,
    round::{AssessorRole, RoundKind, Status},
};

use super::{Actor, StoreError};

/// An assessment round to create.
#[derive(Debug, Clone)]
pub struct NewRound {
    pub municipality: MunicipalityId,
    pub framework_id: String,
    pub framework_version: String,
    pub kind: RoundKind,
    pub title: String,
    pub year: Year,
}

/// An assessment round as stored, with its assessors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoundRecord {
    pub id: RoundId,
    pub municipality: MunicipalityId,
    pub framework_id: String,
    pub framework_version: String,
    pub kind: RoundKind,
    pub title: String,
    pub year: Year,
    pub status: Status,
    pub submitted_by: Option<UserId>,
    pub invited: Option<i64>,
    pub respondents: Option<i64>,
    pub created_by: String,
    pub created_at: Timestamp,
    /// The ISO date by which the round's work should be done.
    pub deadline: Option<String>,
    pub assessors: Vec<AssessorRecord>,
    /// Each time the published round was reopened to be corrected, oldest first.
    pub corrections: Vec<RoundCorrection>,
}

/// A published round reopened to be corrected, with the reason residents read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundCorrection {
    pub at: Timestamp,
    /// Who reopened it: for the audit trail and staff, never on a public page.
    #[serde(skip)]
    pub by: String,
    pub reason: String,
}

/// A person taking part in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssessorRecord {
    pub user: UserId,
    pub email: String,
    pub name: String,
    pub role: AssessorRole,
}

/// Which rounds to list.
#[derive(Debug, Clone, Default)]
pub struct RoundFilter {
    pub id: Option<RoundId>,
    pub municipality: Option<MunicipalityId>,
    /// Framework id and version.
    pub framework: Option<(String, String)>,
    pub status: Option<Status>,
    /// Rounds this person takes part in.
    pub assessor: Option<UserId>,
}

/// One assessor's own answer to a question, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerRecord {
    pub user: UserId,
    pub question: String,
    /// A choice's label or a number as text; `None` when only evidence is given.
    pub answer: Option<String>,
    pub evidence: String,
    pub link: String,
    pub comment: String,
    pub updated_at: Timestamp,
}

/// The agreed answer to a question, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsensusRecord {
    pub question: String,
    pub answer: String,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: Timestamp,
}

/// An evidence file, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentRecord {
    pub id: DocumentId,
    pub round: RoundId,
    pub question: String,
    pub user: UserId,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_at: Timestamp,
}

/// Survey answers of a round: counts per statement, and how many were asked and answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SurveyRecord {
    pub invited: Option<i64>,
    pub respondents: Option<i64>,
    pub distributions: Vec<(String, Vec<u64>)>,
}

/// Everything recorded in a round.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoundContent {
    pub answers: Vec<AnswerRecord>,
    pub consensus: Vec<ConsensusRecord>,
    pub documents: Vec<DocumentRecord>,
    pub distributions: Vec<(String, Vec<u64>)>,
}

/// Assessment frameworks and rounds: assessors, answers, consensus, documents, status.
pub trait AssessmentRounds: Send + Sync + 'static {
    /// The loaded frameworks as (id, version, TOML text), ordered by id and version.
    fn frameworks(
        &self,
    ) -> impl Future<Output = Result<Vec<(String, String, String)>, StoreError>> + Send;

    /// Creates an assessment round in draft (audited); returns its id.
    fn create_round(
        &self,
        round: &NewRound,
        actor: &Actor,
    ) -> impl Future<Output = Result<RoundId, StoreError>> + Send;

    /// Renames a round that is not published (audited with both names).
    fn rename_round(
        &self,
        round: RoundId,
        title: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Sets or clears the date by which a round not yet published should be done (audited
    /// with both dates); `Invalid` once published.
    fn set_round_deadline(
        &self,
        round: RoundId,
        deadline: Option<&str>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Reopens a published round to be corrected: back to draft (its published values stay
    /// until it is published again), with the reason recorded (audited); `Invalid` unless it
    /// is published.
    fn reopen_round(
        &self,
        round: RoundId,
        reason: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes a round in draft with its assessors, answers, agreed answers, files and
    /// distributions, all or nothing (audited with its name and framework); `Invalid` once
    /// it has left the draft.
    fn delete_round(
        &self,
        round: RoundId,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Gives a person a part in a round, or with `None` removes them (audited).
    fn set_assessor(
        &self,
        round: RoundId,
        user: UserId,
        role: Option<AssessorRole>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Rounds matching the filter, newest year first, then by id.
    fn rounds(
        &self,
        filter: &RoundFilter,
    ) -> impl Future<Output = Result<Vec<RoundRecord>, StoreError>> + Send;

    /// The answers, agreed scores, documents and distributions of a round.
    fn round_content(
        &self,
        round: RoundId,
    ) -> impl Future<Output = Result<RoundContent, StoreError>> + Send;

    /// The agreed answers of every published round on a framework version, by round: one
    /// read for a report's average and range.
    fn published_consensus(
        &self,
        framework_id: &str,
        version: &str,
    ) -> impl Future<Output = Result<Vec<(RoundId, ConsensusRecord)>, StoreError>> + Send;

    /// Saves one assessor's answers (each replaces the earlier one) and the evidence files
    /// sent with them, if the round is still in draft; all or none (audited, the files
    /// without their bytes).
    fn save_answers(
        &self,
        round: RoundId,
        user: UserId,
        answers: &[AnswerRecord],
        documents: &[(DocumentRecord, &[u8])],
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Saves agreed answers, and for a survey its distributions (replacing all earlier
    /// ones), if the round is still in draft; all or none (audited).
    fn save_consensus(
        &self,
        round: RoundId,
        consensus: &[ConsensusRecord],
        survey: Option<&SurveyRecord>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Moves a round from `from` to `to` (audited as `round.STEP`); `NotFound` when it is
    /// not in `from`. `submitted_by` is recorded on submission.
    fn set_round_status(
        &self,
        round: RoundId,
        from: Status,
        to: Status,
        submitted_by: Option<UserId>,
        action: AuditAction,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// An evidence file with its bytes.
    fn document(
        &self,
        id: DocumentId,
    ) -> impl Future<Output = Result<Option<(DocumentRecord, Vec<u8>)>, StoreError>> + Send;
}
