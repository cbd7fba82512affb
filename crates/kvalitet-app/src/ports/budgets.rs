//! The citizen-budget port: rounds with their published rules, projects with their
//! feasibility, participants' one-time codes (only hashes kept) and ballots stored apart from
//! the codes, and the count stored when voting ends.

use std::future::Future;

use serde::Serialize;

use kvalitet_domain::budget::Rule;
use kvalitet_domain::budget_round::{
    BallotRules, BudgetStatus, Feasibility, Identification, ProposedBy, VotingWindow,
};
use kvalitet_domain::{MunicipalityId, Timestamp};

use super::{Actor, StoreError};

/// A round as set up, before voting.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBudgetRound {
    /// Its address on the site, unique in the municipality.
    pub code: String,
    pub title: String,
    pub description: String,
    /// The money to share, in whole kronor.
    pub amount: u64,
    pub ballot: BallotRules,
    pub rule: Rule,
    pub window: VotingWindow,
    /// The residence areas a participant declares; empty when none is asked.
    pub areas: Vec<String>,
    /// One-time codes or a confirmed e-mail address.
    pub identification: Identification,
}

/// A round as stored, with its counts.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBudgetRound {
    pub id: i64,
    pub municipality: MunicipalityId,
    pub setup: NewBudgetRound,
    pub status: BudgetStatus,
    /// The projects' ids in the order drawn when voting opened.
    pub lot: Option<Vec<i64>>,
    /// The count (JSON, `app::budget::CountedRound`), once counted.
    pub result: Option<String>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub opened_at: Option<Timestamp>,
    pub counted_at: Option<Timestamp>,
    /// One-time codes made, and ballots cast.
    pub codes: u64,
    pub ballots: u64,
}

/// A project as proposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBudgetProject {
    /// Its short id, unique in the round (the `.pb` file's `project_id`).
    pub code: String,
    pub title: String,
    pub description: String,
    pub cost: u64,
    pub area: String,
    pub proposed_by: ProposedBy,
}

/// A project as stored, with the municipality's judgement and its published reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredBudgetProject {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub description: String,
    pub cost: u64,
    pub area: String,
    #[serde(skip)]
    pub proposed_by: ProposedBy,
    #[serde(skip)]
    pub feasibility: Feasibility,
    pub reason: String,
}

/// A ballot to cast with the code that pays for it (its hash): the projects by id with their
/// points, the area declared and the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBudgetBallot {
    pub round: i64,
    pub code_hash: String,
    pub choices: Vec<(i64, u32)>,
    pub area: String,
    pub at: Timestamp,
}

/// A ballot as stored: nothing ties it to a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBudgetBallot {
    pub choices: Vec<(i64, u32)>,
    pub area: String,
    /// The day (Swedish), so the moment cannot be matched with a code's use.
    pub cast_on: String,
}

/// A whole round read from a file: set up, its projects (all feasible), its ballots by
/// project position and, when it came with votes, its count and lot (project positions in
/// drawn order).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedBudgetRound {
    pub setup: NewBudgetRound,
    pub projects: Vec<NewBudgetProject>,
    pub ballots: Vec<Vec<(usize, u32)>>,
    pub counted: Option<(Vec<usize>, String)>,
}

/// Citizen-budget rounds. Staff changes are audited; ballots are not (an audit line would tie
/// a moment to a ballot).
pub trait Budgets: Send + Sync + 'static {
    /// Creates a round as a draft. `Conflict` when the municipality has a round with the code.
    fn create_budget_round(
        &self,
        municipality: &MunicipalityId,
        round: &NewBudgetRound,
        actor: &Actor,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// A whole round from a file, in one transaction: open with its ballots, or counted when
    /// it came with a count. `Conflict` when the code is taken.
    fn import_budget_round(
        &self,
        municipality: &MunicipalityId,
        round: &ImportedBudgetRound,
        actor: &Actor,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// The municipality's rounds, newest first.
    fn budget_rounds(
        &self,
        municipality: &MunicipalityId,
    ) -> impl Future<Output = Result<Vec<StoredBudgetRound>, StoreError>> + Send;

    /// One round by id, or by its code when `id` is `None`; with its counts of codes and
    /// ballots when `counted` (else 0: a voter's request does not need them, and counting
    /// grows with the round).
    fn budget_round(
        &self,
        municipality: &MunicipalityId,
        id: Option<i64>,
        code: &str,
        counted: bool,
    ) -> impl Future<Output = Result<Option<StoredBudgetRound>, StoreError>> + Send;

    /// The round's projects in the order proposed.
    fn budget_projects(
        &self,
        municipality: &MunicipalityId,
        round: i64,
    ) -> impl Future<Output = Result<Vec<StoredBudgetProject>, StoreError>> + Send;

    /// Adds a project to a draft round, pending judgement. `Conflict` when the round is no
    /// longer a draft or has a project with the code.
    fn add_budget_project(
        &self,
        municipality: &MunicipalityId,
        round: i64,
        project: &NewBudgetProject,
        actor: &Actor,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Records whether a project of a draft round can be carried out, with the reason that is
    /// published. `Conflict` when the round is no longer a draft.
    fn judge_budget_project(
        &self,
        municipality: &MunicipalityId,
        round: i64,
        project: i64,
        feasibility: Feasibility,
        reason: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Opens a draft round for voting with the lot drawn (the feasible projects' ids in drawn
    /// order). `Conflict` when it is no longer a draft or the lot is not exactly its feasible
    /// projects.
    fn open_budget_round(
        &self,
        municipality: &MunicipalityId,
        round: i64,
        lot: &[i64],
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds one-time codes (their hashes) to a round not yet counted; all or none. Returns
    /// how many.
    fn add_budget_codes(
        &self,
        municipality: &MunicipalityId,
        round: i64,
        code_hashes: &[String],
        actor: &Actor,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Casts ballots, several in one transaction (one commit for many voters at busy
    /// times), each with its own outcome and each using up its code with it:
    /// `NotFound("budget_code_unknown")` for a code not of its round,
    /// `Conflict("budget_code_used")` for a used one (also by an earlier ballot of the same
    /// batch), `Conflict("budget_not_open")` when its round is not open; nothing of a refused
    /// one is written. The outer error is the store failing (nothing written).
    fn cast_budget_ballots(
        &self,
        ballots: &[NewBudgetBallot],
    ) -> impl Future<Output = Result<Vec<Result<(), StoreError>>, StoreError>> + Send;

    /// The round's ballots, in the order cast.
    fn budget_ballots(
        &self,
        municipality: &MunicipalityId,
        round: i64,
    ) -> impl Future<Output = Result<Vec<StoredBudgetBallot>, StoreError>> + Send;

    /// Closes an open round with its count. `Conflict` when it was no longer open.
    fn count_budget_round(
        &self,
        municipality: &MunicipalityId,
        round: i64,
        result: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
