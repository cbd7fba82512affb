//! The e-dialogue port: a question open for a period, participants who joined from a
//! confirmed e-mail link (kept as the address's hash, with the area and age band they chose
//! to tell), their statements through moderation, and their agree / disagree / pass votes.

use std::collections::BTreeSet;
use std::future::Future;

use time::Date;

use kvalitet_domain::dialogue::{AgeBand, Period, StatementModeration, StatementVote, Tally};
use kvalitet_domain::{MunicipalityId, Timestamp};

use super::{Actor, StoreError};

/// The most statements one participant may write in one dialogue: room for every thought,
/// not for flooding the moderators.
pub const STATEMENTS_PER_PARTICIPANT: u32 = 20;
/// The most areas a dialogue offers its participants.
pub const MAX_DIALOGUE_AREAS: usize = 100;

/// Who took part in a municipality's medborgardialog over some days: the distinct confirmed
/// addresses (their hashes) that signed a proposal or joined an e-dialogue, the e-mail voters
/// of citizen budgets, and the ballots cast with one-time codes (a code holder has no address,
/// so those are counted apart).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Participation {
    pub addresses: BTreeSet<String>,
    pub ballots: u64,
    /// Every proposal's proposer (address as written) and when it arrived: the use case
    /// hashes the addresses as it hashes every address and keeps those of the days asked.
    pub proposers: Vec<(String, Timestamp)>,
    /// Citizen-budget voters by e-mail (address hash) and the moment they voted, from a day
    /// before the first to a day after the last (moments are kept in UTC): the use case keeps
    /// those of the Swedish days asked.
    pub email_voters: Vec<(String, Timestamp)>,
}

/// A dialogue as staff set it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDialogue {
    pub question: String,
    /// Background: what the municipality asks and what it will do with the answers.
    pub description: String,
    /// The areas a participant may say they live in (optional for them), one per entry.
    pub areas: Vec<String>,
    pub period: Period,
}

/// A dialogue as stored, with its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDialogue {
    pub municipality: MunicipalityId,
    /// Its number in the municipality (1, 2, …): its address.
    pub number: i64,
    pub dialogue: NewDialogue,
    /// What the municipality made of it, published when written.
    pub response: String,
    pub responded_on: Option<Date>,
    pub participants: u64,
    pub votes: u64,
    pub created_at: Timestamp,
}

/// A statement with its moderation and votes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStatement {
    /// Its number in the dialogue.
    pub number: i64,
    pub body: String,
    pub moderation: StatementModeration,
    /// Why it was not published.
    pub reason: String,
    pub written_on: Date,
    pub tally: Tally,
}

/// A participant, found by the token of their personal link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialogueParticipant {
    pub id: i64,
    pub municipality: MunicipalityId,
    pub dialogue: i64,
}

/// One day of a dialogue: who joined, how many voted and how often, statements written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayActivity {
    pub day: Date,
    pub joined: u64,
    pub voters: u64,
    pub votes: u64,
    pub statements: u64,
}

/// Who took part, by what they chose to tell (counts before suppression; the domain's
/// `breakdown` makes them safe to show).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Turnout {
    pub by_area: Vec<(String, u64)>,
    pub area_not_stated: u64,
    pub by_age: Vec<(AgeBand, u64)>,
    pub age_not_stated: u64,
}

/// One vote for the export: the participant by their order of joining (1, 2, …), never by
/// address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportedVote {
    pub statement: i64,
    pub participant: i64,
    pub vote: StatementVote,
    pub day: Date,
}

/// Staff's step on a statement awaiting moderation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementStep {
    Publish,
    Reject { reason: String },
}

/// E-dialogues. Staff steps are audited; participants' statements and votes are not (an
/// audit line would tie a moment to a participant), the statements themselves are kept.
pub trait Dialogues: Send + Sync + 'static {
    /// Sets up a dialogue and gives its number.
    fn create_dialogue(
        &self,
        municipality: &MunicipalityId,
        dialogue: &NewDialogue,
        actor: &Actor,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Publishes what the municipality made of the dialogue (replacing an earlier text).
    fn respond_to_dialogue(
        &self,
        municipality: &MunicipalityId,
        number: i64,
        response: &str,
        on: Date,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The municipality's dialogues, newest first.
    fn dialogues(
        &self,
        municipality: &MunicipalityId,
    ) -> impl Future<Output = Result<Vec<StoredDialogue>, StoreError>> + Send;

    fn dialogue(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> impl Future<Output = Result<Option<StoredDialogue>, StoreError>> + Send;

    /// The dialogue's statements in the order written: all, or only the published.
    fn statements(
        &self,
        municipality: &MunicipalityId,
        number: i64,
        published_only: bool,
    ) -> impl Future<Output = Result<Vec<StoredStatement>, StoreError>> + Send;

    /// The participant whose personal link carries this token (its hash); `None` when none.
    fn dialogue_participant(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<DialogueParticipant>, StoreError>> + Send;

    /// The published statements the participant has not answered and did not write, in the
    /// order written, and the participant's own with their moderation.
    fn statements_for(
        &self,
        participant: &DialogueParticipant,
    ) -> impl Future<Output = Result<(Vec<StoredStatement>, Vec<StoredStatement>), StoreError>> + Send;

    /// Adds a statement awaiting moderation and gives its number.
    /// `Conflict("dialogue_not_open")` outside the period on `today`;
    /// `Conflict("dialogue_too_many_statements")` past [`STATEMENTS_PER_PARTICIPANT`].
    fn write_statement(
        &self,
        participant: &DialogueParticipant,
        body: &str,
        today: Date,
        at: Timestamp,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Counts a vote on a published statement. `Conflict("dialogue_not_open")` outside the
    /// period; `Conflict("dialogue_already_voted")` for a second vote on the same statement;
    /// `NotFound("dialogue_statement_not_found")` for a statement not published in it.
    fn vote_on_statement(
        &self,
        participant: &DialogueParticipant,
        statement: i64,
        vote: StatementVote,
        today: Date,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Publishes or rejects a statement awaiting moderation; `Conflict` when it is no longer
    /// awaiting it.
    fn moderate_statement(
        &self,
        municipality: &MunicipalityId,
        number: i64,
        statement: i64,
        step: &StatementStep,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The dialogue's days with any activity, in order.
    fn dialogue_activity(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> impl Future<Output = Result<Vec<DayActivity>, StoreError>> + Send;

    fn dialogue_turnout(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> impl Future<Output = Result<Turnout, StoreError>> + Send;

    /// Who took part from `first` to `last` (Swedish days, both included) in the
    /// municipality's e-förslag (signatures), e-dialogues (joining) and citizen budgets
    /// (ballots), and every proposal's proposer.
    fn participation(
        &self,
        municipality: &MunicipalityId,
        first: Date,
        last: Date,
    ) -> impl Future<Output = Result<Participation, StoreError>> + Send;

    /// Every vote on the dialogue's published statements, by statement then participant.
    fn dialogue_votes(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> impl Future<Output = Result<Vec<ExportedVote>, StoreError>> + Send;
}
