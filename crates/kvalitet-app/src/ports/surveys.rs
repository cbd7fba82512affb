//! The surveys port: a municipality's surveys with their questionnaire versions, personal
//! invitations (only a token's hash kept) and answers stored apart from the people who gave
//! them.

use std::future::Future;

use serde::Serialize;

use kvalitet_domain::{MunicipalityId, Timestamp};

use super::{Actor, StoreError};

/// Where a survey stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SurveyStatus {
    /// Being built and previewed; not answerable.
    Draft,
    Open,
    /// Answers kept; no more taken.
    Closed,
}

impl SurveyStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Draft, Self::Open, Self::Closed]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// A new survey as its builder set it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSurvey<'a> {
    /// Its address on the site (`/kommun/ID/enkat/CODE`), unique in the municipality.
    pub code: &'a str,
    /// The questionnaire in its file format, checked.
    pub source: &'a str,
    pub open_link: bool,
    pub retention_days: u32,
}

/// A survey as stored, with its latest questionnaire version and its counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredSurvey {
    pub id: i64,
    pub municipality: MunicipalityId,
    pub code: String,
    pub status: SurveyStatus,
    pub open_link: bool,
    pub retention_days: u32,
    /// The panel whose wave it is.
    pub panel: Option<i64>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub opened_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// The latest version: its number (1, 2, ...), row id and source.
    pub version: i64,
    pub version_id: i64,
    pub source: String,
    pub responses: u64,
    pub invited: u64,
    pub answered_invitations: u64,
}

/// A personal link to hand out: the hash of its token, the address it goes to (for the
/// reminder list) and the person's background (variable -> level) as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub token_hash: String,
    pub email: Option<String>,
    pub background: String,
}

/// An invitation as staff see it: never its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvitationRecord {
    pub id: i64,
    pub email: Option<String>,
    pub created_at: Timestamp,
    pub answered: bool,
}

/// An answered questionnaire to store: the survey, the personal link's token hash (none for
/// the open address), the questionnaire version answered, the answers as JSON and when.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResponse {
    pub survey: i64,
    pub token_hash: Option<String>,
    pub version_id: i64,
    pub answers: String,
    pub at: Timestamp,
}

/// One answered questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredResponse {
    pub id: i64,
    /// The questionnaire version's number.
    pub version: i64,
    /// Answers by question id, as JSON (`kvalitet_domain::questionnaire::Answer`).
    pub answers: String,
    /// Background by variable, as JSON.
    pub background: String,
    pub weight: Option<f64>,
    pub self_selected: bool,
    /// Only the day, so the time cannot be matched with an invitation's.
    pub answered_on: String,
}

/// A personal link looked up by its token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationLookup {
    pub municipality: MunicipalityId,
    pub survey: i64,
    pub answered: bool,
}

/// Surveys and their answers. Staff changes are audited; answers are not (an audit line
/// would tie a person to an answer).
pub trait Surveys: Send + Sync + 'static {
    /// Creates a survey as a draft with its first questionnaire version. `Conflict` when the
    /// municipality has a survey with the code.
    fn create_survey(
        &self,
        municipality: &MunicipalityId,
        survey: &NewSurvey<'_>,
        actor: &Actor,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Saves a new questionnaire for the survey, based on version `based_on` (the one the
    /// person edited): a survey without answers has its version replaced, an answered one
    /// gets the next version. `Conflict` when another version was saved in between or the
    /// survey is closed. Returns the version's number.
    fn save_survey_version(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
        based_on: i64,
        source: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// The municipality's surveys, newest first.
    fn surveys(
        &self,
        municipality: &MunicipalityId,
    ) -> impl Future<Output = Result<Vec<StoredSurvey>, StoreError>> + Send;

    /// One survey by id, or by its code when `id` is `None`; with its counts when
    /// `counted` (else they are 0: a respondent's page does not need them).
    fn survey(
        &self,
        municipality: &MunicipalityId,
        id: Option<i64>,
        code: &str,
        counted: bool,
    ) -> impl Future<Output = Result<Option<StoredSurvey>, StoreError>> + Send;

    /// Moves the survey from `from` to `to` (draft -> open -> closed). Closing removes the
    /// links between invitations and answers, except for a panel's wave (the panel follows
    /// its members' answers across waves). `Conflict` when it was no longer in `from`.
    fn set_survey_status(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
        from: SurveyStatus,
        to: SurveyStatus,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds personal links; all or none (`Conflict` on a token hash met before).
    fn invite(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
        invitations: &[NewInvitation],
        actor: &Actor,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// The survey's invitations, oldest first.
    fn invitations(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
    ) -> impl Future<Output = Result<Vec<InvitationRecord>, StoreError>> + Send;

    /// The invitation a token's hash belongs to.
    fn survey_invitation(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<InvitationLookup>, StoreError>> + Send;

    /// Stores answered questionnaires, several in one transaction (one commit for many
    /// respondents at busy times), each with its own outcome: `Conflict("survey_link_used")`
    /// when its personal link has been answered (also by an earlier one of the same batch),
    /// `Conflict("survey_not_open")` when the survey is not open (or the open link is not
    /// offered), `Conflict("survey_version_changed")` when its version is no longer the
    /// latest; nothing of a refused one is written. Each personal link is used up in the
    /// same transaction as its answer. The outer error is the store failing (nothing written).
    fn submit_responses(
        &self,
        batch: &[NewResponse],
    ) -> impl Future<Output = Result<Vec<Result<(), StoreError>>, StoreError>> + Send;

    /// The survey's answers, oldest first.
    fn responses(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
    ) -> impl Future<Output = Result<Vec<StoredResponse>, StoreError>> + Send;

    /// Deletes a person's invitation on request, with their answer while it is still tied to
    /// it. Returns whether an answer went too; `NotFound` for an unknown invitation.
    fn delete_invitation(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
        invitation: i64,
        actor: &Actor,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Deletes the invitations (addresses and backgrounds) of surveys closed longer ago than
    /// their retention period; the answers stay. Returns how many went.
    fn purge_survey_personal_data(
        &self,
        now: Timestamp,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}
