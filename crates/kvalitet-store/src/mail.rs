//! The outbox port: e-mail queued in the database and claimed by senders, once each.

use kvalitet_app::ports::{Mail, OutboxEntry, QueuedMail, StoreError};
use kvalitet_domain::Timestamp;

use crate::{SqlStore, Tx, exec, fetch_all, moment};

type OutboxRow = (
    i64,
    String,
    String,
    String,
    i32,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Takes due messages and pushes their next attempt past the claim.
const CLAIM_SQLITE: &str = "UPDATE outbox SET next_attempt_at = $2, attempts = attempts + 1
     WHERE id IN (SELECT id FROM outbox
                  WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
                  ORDER BY id LIMIT $3)
     RETURNING id, recipient, subject, body, attempts, dedupe_key";
/// The same; SQLite's write transaction already keeps other senders out, on PostgreSQL
/// SKIP LOCKED lets two servers claim different messages at the same moment.
const CLAIM_POSTGRES: &str = "UPDATE outbox SET next_attempt_at = $2, attempts = attempts + 1
     WHERE id IN (SELECT id FROM outbox
                  WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
                  ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING id, recipient, subject, body, attempts, dedupe_key";

impl kvalitet_app::ports::Outbox for SqlStore {
    async fn queue_mail(&self, mails: &[Mail], at: Timestamp) -> Result<usize, StoreError> {
        let at = at.to_string();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let mut queued = 0;
        for m in mails {
            queued += exec!(t,
                "INSERT INTO outbox (dedupe_key, recipient, subject, body, created_at, next_attempt_at)
                 VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (dedupe_key) DO NOTHING",
                m.dedupe_key.as_deref(), &m.to, &m.subject, &m.body, &at)?;
        }
        tx.commit().await?;
        Ok(queued as usize)
    }

    async fn claim_mail(
        &self,
        now: Timestamp,
        claim_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, StoreError> {
        let (now, until) = (now.to_string(), claim_until.to_string());
        let limit = i64::from(limit);
        let mut tx = self.begin().await?;
        // SQLite's write transaction already keeps other senders out; on PostgreSQL, SKIP
        // LOCKED lets two servers claim different messages at the same moment.
        let sql = match tx {
            Tx::Sqlite(_) => CLAIM_SQLITE,
            Tx::Postgres(_) => CLAIM_POSTGRES,
        };
        let t = &mut tx;
        let rows = fetch_all!(tx t, (i64, String, String, String, i32, Option<String>),
            sql, &now, &until, limit)?;
        tx.commit().await?;
        let mut claimed: Vec<QueuedMail> = rows
            .into_iter()
            .map(|(id, to, subject, body, attempts, dedupe_key)| QueuedMail {
                id,
                mail: Mail {
                    to,
                    subject,
                    body,
                    dedupe_key,
                },
                attempts: u32::try_from(attempts).unwrap_or(0),
            })
            .collect();
        claimed.sort_by_key(|q| q.id);
        Ok(claimed)
    }

    async fn mail_sent(&self, id: i64, at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        exec!(
            t,
            "UPDATE outbox SET sent_at = $1, last_error = NULL WHERE id = $2",
            at.to_string(),
            id
        )?;
        tx.commit().await
    }

    async fn mail_failed(
        &self,
        id: i64,
        error: &str,
        at: Timestamp,
        retry_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        // A relay's answer can be long; the view needs the gist.
        let error: String = error.chars().take(500).collect();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        match retry_at {
            Some(retry) => exec!(
                t,
                "UPDATE outbox SET last_error = $1, next_attempt_at = $2 WHERE id = $3",
                &error,
                retry.to_string(),
                id
            )?,
            None => exec!(
                t,
                "UPDATE outbox SET last_error = $1, failed_at = $2 WHERE id = $3",
                &error,
                at.to_string(),
                id
            )?,
        };
        tx.commit().await
    }

    async fn outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = fetch_all!(pool self, (i64, String, String, String, i32, Option<String>, Option<String>, Option<String>),
            "SELECT id, recipient, subject, created_at, attempts, sent_at, failed_at, last_error
             FROM outbox ORDER BY id DESC LIMIT $1", i64::from(limit))?;
        rows.into_iter()
            .map(|(id, to, subject, created_at, attempts, sent_at, failed_at, last_error): OutboxRow| {
                Ok(OutboxEntry {
                    id,
                    to,
                    subject,
                    created_at: moment(&created_at)?,
                    attempts: u32::try_from(attempts).unwrap_or(0),
                    sent_at: sent_at.as_deref().map(moment).transpose()?,
                    failed_at: failed_at.as_deref().map(moment).transpose()?,
                    last_error,
                })
            })
            .collect()
    }
}
