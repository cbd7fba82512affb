//! The storage ports, one per context: each use case asks only for the ports it uses, and
//! every method is its own transaction. `Store` is all of them, for the wiring.

pub use kvalitet_formats::KpiGroupRecord;

mod accounts;
mod audit;
mod award;
mod budgets;
mod catalogue;
mod clock;
mod dialogues;
mod goals;
mod jobs;
mod mail;
mod own;
mod panels;
mod proposals;
mod rounds;
mod service;
mod surveys;
mod sync;
mod typeset;
mod values;
mod version;

pub use accounts::*;
pub use audit::*;
pub use award::*;
pub use budgets::*;
pub use catalogue::*;
pub use clock::*;
pub use dialogues::*;
pub use goals::*;
pub use jobs::*;
pub use mail::*;
pub use own::*;
pub use panels::*;
pub use proposals::*;
pub use rounds::*;
pub use service::*;
pub use surveys::*;
pub use sync::*;
pub use typeset::*;
pub use values::*;
pub use version::*;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(String),
    /// The import was not confirmed with [`ImportChunk::Commit`]; nothing was written.
    #[error("import aborted before commit; nothing was written")]
    Aborted,
    #[error("{0}")]
    Invalid(kvalitet_domain::Message),
    #[error("{0}")]
    NotFound(kvalitet_domain::Message),
    /// Someone else changed what the change was based on; nothing was written.
    #[error("{0}")]
    Conflict(kvalitet_domain::Message),
}

/// The ports as traits in scope, for code that holds a concrete store (the CLI, tests).
pub mod prelude {
    pub use super::{
        Accounts, AssessmentRounds, AuditLog, Award, Budgets, Catalogue, DataVersion, Dialogues,
        Goals, Jobs, Outbox, OwnData, Panels, Proposals, ServiceRounds, Store, Surveys, SyncLog,
        Values,
    };
}

/// Every port: what a whole backend provides. Use cases name the ports they need instead.
pub trait Store:
    Values
    + Catalogue
    + Accounts
    + AuditLog
    + OwnData
    + AssessmentRounds
    + ServiceRounds
    + SyncLog
    + DataVersion
    + Outbox
    + Goals
    + Surveys
    + Panels
    + Budgets
    + Proposals
    + Dialogues
    + Award
    + Jobs
{
}

impl<T> Store for T where
    T: Values
        + Catalogue
        + Accounts
        + AuditLog
        + OwnData
        + AssessmentRounds
        + ServiceRounds
        + SyncLog
        + DataVersion
        + Outbox
        + Goals
        + Surveys
        + Panels
        + Budgets
        + Proposals
        + Dialogues
        + Award
        + Jobs
{
}
