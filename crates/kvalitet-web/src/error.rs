//! One error type for the site's pages. Handlers return `Result<_, WebError>` and use `?`;
//! the answer carries the status and the message, and one layer ([`crate::rejections`])
//! renders it as the site's page in the person's language (or, for `login_needed`, sends the
//! person to log in and back). No handler writes an error page by hand.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use kvalitet_app::report::ReportError;
use kvalitet_domain::Message;

use crate::i18n::Lang;

/// Why a page or a change was refused: the status and the message for the person, either
/// as a code the page layer says in the person's language (`words`) or as text already in
/// it (`message`, which also holds the English of a coded message for logs and the API).
#[derive(Debug, Clone)]
pub struct WebError {
    pub status: StatusCode,
    pub message: String,
    pub words: Option<Message>,
    /// Seconds after which trying again may work (sent as `Retry-After`).
    pub retry_after: Option<u64>,
}

/// What a refused answer carries to the page layer.
#[derive(Debug, Clone)]
pub(crate) enum Refused {
    /// The message page with this text, or these words in the page's language.
    Message(String, Option<Message>),
    /// To the login page, and back to where the person was.
    LoginNeeded,
}

impl WebError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::with(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::with(StatusCode::NOT_FOUND, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::with(StatusCode::FORBIDDEN, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::with(StatusCode::CONFLICT, message)
    }

    pub fn with(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            words: None,
            retry_after: None,
        }
    }

    /// Bad input: a coded message, said in the person's language.
    pub fn invalid(words: Message) -> Self {
        Self::coded(StatusCode::BAD_REQUEST, words)
    }

    /// A form sent without its session's CSRF token (an old tab, or another site).
    pub fn form_expired() -> Self {
        Self::coded(StatusCode::FORBIDDEN, Message::new("form_expired"))
    }

    /// A refusal whose message is a code, said in the person's language by the page layer.
    pub fn coded(status: StatusCode, words: Message) -> Self {
        Self {
            message: Lang::En.say(&words),
            words: Some(words),
            ..Self::with(status, "")
        }
    }

    /// The message in `lang`.
    pub fn message_in(&self, lang: Lang) -> String {
        match &self.words {
            Some(w) => lang.say(w),
            None => self.message.clone(),
        }
    }

    /// Attempts held back (429): try again after `retry_after_secs`.
    pub fn held_back(message: impl Into<String>, retry_after_secs: u64) -> Self {
        Self {
            retry_after: Some(retry_after_secs),
            ..Self::with(StatusCode::TOO_MANY_REQUESTS, message)
        }
    }

    /// The person must log in first; the page layer sends them there and back.
    pub fn login_needed() -> Self {
        Self::with(StatusCode::SEE_OTHER, "")
    }

    /// A failure that is not the person's: logged in full, shown without internals.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "page failed");
        Self::with(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Något gick fel. Försök igen senare.",
        )
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let refused = if self.status == StatusCode::SEE_OTHER {
            Refused::LoginNeeded
        } else {
            Refused::Message(self.message, self.words)
        };
        let mut r = self.status.into_response();
        if let Some(secs) = self.retry_after {
            r.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        r.extensions_mut().insert(refused);
        r
    }
}

impl From<ReportError> for WebError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Store(e) => Self::internal(e),
            e if e.is_not_found() => Self::coded(StatusCode::NOT_FOUND, e.message()),
            e => Self::coded(StatusCode::BAD_REQUEST, e.message()),
        }
    }
}

impl From<kvalitet_app::StoreError> for WebError {
    fn from(e: kvalitet_app::StoreError) -> Self {
        use kvalitet_app::StoreError;
        match e {
            StoreError::NotFound(m) => Self::coded(StatusCode::NOT_FOUND, m),
            StoreError::Conflict(m) => Self::coded(StatusCode::CONFLICT, m),
            StoreError::Invalid(m) => Self::coded(StatusCode::BAD_REQUEST, m),
            e => Self::internal(e),
        }
    }
}

impl From<kvalitet_app::refusal::Refusal> for WebError {
    fn from(e: kvalitet_app::refusal::Refusal) -> Self {
        use kvalitet_app::refusal::Refusal;
        let status = match &e {
            Refusal::Forbidden(_) => StatusCode::FORBIDDEN,
            Refusal::NotFound(_) => StatusCode::NOT_FOUND,
            Refusal::Invalid(_) | Refusal::BadRows(_) => StatusCode::BAD_REQUEST,
            Refusal::Store(_) => return Self::internal(e),
        };
        Self::coded(status, e.message())
    }
}

impl From<kvalitet_app::own::OwnError> for WebError {
    fn from(e: kvalitet_app::own::OwnError) -> Self {
        use kvalitet_app::own::OwnError;
        let status = match &e {
            OwnError::Forbidden(_) => StatusCode::FORBIDDEN,
            OwnError::Conflict(_) => StatusCode::CONFLICT,
            OwnError::NotFound(_) => StatusCode::NOT_FOUND,
            OwnError::Invalid(_) | OwnError::BadRows(_) => StatusCode::BAD_REQUEST,
            OwnError::Store(_) => return Self::internal(e),
        };
        Self::coded(status, e.message())
    }
}

impl From<kvalitet_app::accounts::AccountError> for WebError {
    fn from(e: kvalitet_app::accounts::AccountError) -> Self {
        use kvalitet_app::accounts::AccountError;
        let status = match &e {
            AccountError::Invalid(_) | AccountError::WrongCredentials => StatusCode::BAD_REQUEST,
            AccountError::NoSuchUser(_) => StatusCode::NOT_FOUND,
            AccountError::Throttled { .. } | AccountError::Busy => StatusCode::TOO_MANY_REQUESTS,
            AccountError::Store(_) | AccountError::Hashing(_) => return Self::internal(e),
        };
        Self::coded(status, e.message())
    }
}
