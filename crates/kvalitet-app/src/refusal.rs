//! Why a change to an assessment or a service round was not made: not allowed, unknown, bad
//! input (one problem, or every problem of a form or file), or the store failing.

use crate::ports::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// Every problem of a form or file, each naming its question, line or column.
    #[error("nothing was saved: {}", .0.join("; "))]
    BadRows(Vec<String>),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Invalid(why) | StoreError::Conflict(why) => Self::Invalid(why),
            other => Self::Store(other),
        }
    }
}
