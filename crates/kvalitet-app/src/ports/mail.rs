//! The mail ports: an outbox in the database (e-mail queued with the change it tells about)
//! and a mailer that hands one message to the SMTP relay.

use std::future::Future;

use serde::Serialize;

use kvalitet_domain::Timestamp;

use super::StoreError;

/// One e-mail, plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mail {
    /// One address, lower case.
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Set for a message that must go only once (a reminder of a day): queuing it again with
    /// the same key does nothing.
    pub dedupe_key: Option<String>,
}

/// A message taken from the outbox to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub mail: Mail,
    /// Attempts made, this one included.
    pub attempts: u32,
}

/// A line of the outbox for the administrators' view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub created_at: Timestamp,
    pub attempts: u32,
    pub sent_at: Option<Timestamp>,
    pub failed_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// E-mail waiting to be sent. Claiming is atomic, so several servers never send one message
/// twice while its claim lasts.
pub trait Outbox: Send + Sync + 'static {
    /// Queues the messages in one transaction; one whose key is already queued is skipped.
    /// Returns how many were queued.
    fn queue_mail(
        &self,
        mails: &[Mail],
        at: Timestamp,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Takes up to `limit` messages due at `now` (oldest first), counts the attempt and hides
    /// them from other senders until `claim_until`.
    fn claim_mail(
        &self,
        now: Timestamp,
        claim_until: Timestamp,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<QueuedMail>, StoreError>> + Send;

    /// Marks a message sent.
    fn mail_sent(
        &self,
        id: i64,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records why a message was not sent: tried again at `retry_at`, or given up when `None`.
    fn mail_failed(
        &self,
        id: i64,
        error: &str,
        at: Timestamp,
        retry_at: Option<Timestamp>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The newest messages, sent or not.
    fn outbox(
        &self,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<OutboxEntry>, StoreError>> + Send;
}

/// Why the relay did not take a message.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Worth trying again later (the relay is down, a 4xx answer).
    #[error("{0}")]
    Transient(String),
    /// Trying again will not help (a 5xx answer, an address the relay refuses).
    #[error("{0}")]
    Permanent(String),
}

/// Hands one message to the relay.
pub trait Mailer: Send + Sync + 'static {
    fn send(&self, mail: &Mail) -> impl Future<Output = Result<(), MailError>> + Send;
}
