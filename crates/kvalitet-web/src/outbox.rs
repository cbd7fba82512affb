//! The system administrators' view of the e-mail outbox: what was sent, what waits and what
//! was given up, with the relay's last answer, so "did the invitation go out?" has an answer.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use kvalitet_app::Store;
use kvalitet_app::mail;
use kvalitet_domain::Message;

use crate::auth::render_private;
use crate::extract::{PageLang, Session};
use crate::{AppState, WebError};

/// `GET /admin/epost`: the latest messages of the outbox, newest first.
pub async fn page<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
) -> Result<Response, WebError> {
    let entries = mail::outbox(&state.store, &session.user.grants).await?;
    let lines = entries
        .into_iter()
        .map(|e| {
            let status = match (&e.sent_at, &e.failed_at, &e.last_error) {
                (Some(at), _, _) => Message::new("outbox_sent").with("at", at.local_text()),
                (None, Some(at), error) => Message::new("outbox_given_up")
                    .with("at", at.local_text())
                    .with("error", error.clone().unwrap_or_default()),
                (None, None, Some(error)) => {
                    Message::new("outbox_waiting_error").with("error", error)
                }
                (None, None, None) => Message::new("outbox_waiting"),
            };
            OutboxLine {
                to: e.to,
                subject: e.subject,
                queued: e.created_at.local_text(),
                attempts: e.attempts,
                status: lang.say(&status),
                given_up: e.failed_at.is_some() && e.sent_at.is_none(),
            }
        })
        .collect();
    Ok(render_private(
        &state,
        lang,
        &session,
        "outbox.html",
        OutboxView {
            intro: lang.say(&Message::new("outbox_intro").with("n", mail::OUTBOX_SHOWN)),
            relay: state.mail,
            lines,
            other_path: format!("{}/admin/epost", lang.other().base()),
        },
    ))
}

#[derive(Serialize)]
struct OutboxView {
    intro: String,
    /// A relay is configured.
    relay: bool,
    lines: Vec<OutboxLine>,
    other_path: String,
}

#[derive(Serialize)]
struct OutboxLine {
    to: String,
    subject: String,
    queued: String,
    attempts: u32,
    status: String,
    given_up: bool,
}
