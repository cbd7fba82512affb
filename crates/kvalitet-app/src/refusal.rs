//! Why a change to an assessment or a service round was not made: not allowed, unknown, bad
//! input (one problem, or every problem of a form or file), or the store failing.

use kvalitet_domain::Message;

use crate::ports::StoreError;

/// Each refusal is a coded message the web says in the person's language; `Display` says it
/// in English (logs, the command line).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Forbidden(Message),
    #[error("{0}")]
    NotFound(Message),
    #[error("{0}")]
    Invalid(Message),
    /// Every problem of a form or file, each naming its question, line or column.
    #[error("{}", self.message())]
    BadRows(Vec<Message>),
    #[error(transparent)]
    Store(StoreError),
}

impl Refusal {
    /// What to tell the person; a failing store says only that something went wrong.
    pub fn message(&self) -> Message {
        match self {
            Self::Forbidden(m) | Self::NotFound(m) | Self::Invalid(m) => m.clone(),
            Self::BadRows(rows) => nothing_saved(rows),
            Self::Store(_) => Message::new("store_failed"),
        }
    }

    /// The problems with what was typed or uploaded, to show beside the form that sent it;
    /// any other refusal (not allowed, unknown, a failing store) as it was.
    pub fn into_problems(self) -> Result<Vec<Message>, Self> {
        match self {
            Self::Invalid(problem) => Ok(vec![problem]),
            Self::BadRows(problems) => Ok(problems),
            other => Err(other),
        }
    }
}

/// "Nothing was saved:" and every problem, each naming its place.
pub fn nothing_saved(problems: &[Message]) -> Message {
    Message::new("nothing_saved").with_list("problems", problems.to_vec())
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
