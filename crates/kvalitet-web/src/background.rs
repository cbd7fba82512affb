//! Work a running site does on its own: background jobs (claimed from the job table, so
//! with several servers each is done once: a Kolada sync, the day's deadline reminders, the
//! hourly upkeep that deletes survey personal data past its retention and old finished
//! jobs), and, when an SMTP relay is configured, sending what waits in the outbox every
//! minute.

use std::sync::Arc;
use std::time::Duration;

use kvalitet_app::Store;
use kvalitet_app::jobs::{self, Runner, Worked};
use kvalitet_app::mail;
use kvalitet_app::ports::Mailer;

use crate::AppState;

/// How often the outbox is sent.
const SEND_EVERY: Duration = Duration::from_secs(60);

/// How often a server plans its schedules and looks for due jobs.
const JOBS_EVERY: Duration = Duration::from_secs(15);

/// Plans the schedules and does due jobs until the process ends, as `worker` (a name that
/// tells the servers apart on the jobs page). A failing turn is logged and tried again on
/// the next tick, never ends the loop.
pub async fn run_jobs<S: Store, R: Runner>(state: Arc<AppState<S>>, runner: R, worker: String) {
    let mut tick = tokio::time::interval(JOBS_EVERY);
    // Runs due before this server started were planned by another one, or are missed: a
    // stopped site does not catch up a night's sync at start.
    let mut planned_to = state.clock.now();
    loop {
        tick.tick().await;
        let now = state.clock.now();
        match jobs::plan(&state.store, &state.schedules, planned_to, now).await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(queued = n, "scheduled jobs queued");
                }
                planned_to = now;
            }
            Err(e) => tracing::warn!(error = %e, "schedules not planned"),
        }
        loop {
            match jobs::work_one(&state.store, &*state.clock, &worker, &runner).await {
                Ok(Worked::Idle | Worked::Busy) => break,
                Ok(Worked::Done { id, kind }) => {
                    state.metrics.job(kind.code(), "done");
                    tracing::info!(job = id, kind = kind.code(), "job done");
                }
                Ok(Worked::Retry {
                    id,
                    kind,
                    at,
                    error,
                }) => {
                    tracing::warn!(job = id, kind = kind.code(), retry_at = %at, error, "job failed, tried again later");
                }
                Ok(Worked::Failed { id, kind, error }) => {
                    state.metrics.job(kind.code(), "failed");
                    tracing::error!(job = id, kind = kind.code(), error, "job given up");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "jobs not claimed");
                    break;
                }
            }
        }
    }
}

/// The hourly upkeep: survey personal data past its retention deleted (idempotent), and
/// finished jobs older than [`jobs::KEEP_FINISHED_DAYS`] removed.
pub async fn upkeep<S: Store>(state: &AppState<S>) -> Result<(), String> {
    let now = state.clock.now();
    let purged = state
        .store
        .purge_survey_personal_data(now)
        .await
        .map_err(|e| e.to_string())?;
    if purged > 0 {
        tracing::info!(
            invitations = purged,
            "survey personal data past retention deleted"
        );
    }
    state
        .store
        .prune_jobs(now.plus(time::Duration::days(-jobs::KEEP_FINISHED_DAYS)))
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Sends the outbox every minute until the process ends; a failing round is logged and
/// tried again on the next tick, never ends the loop. (The reminders are a job of their own,
/// `reminders`, on a schedule.)
pub async fn run_mail<S: Store, M: Mailer>(state: Arc<AppState<S>>, mailer: M) {
    let mut tick = tokio::time::interval(SEND_EVERY);
    loop {
        tick.tick().await;
        match mail::deliver(&state.store, &mailer, &*state.clock).await {
            Ok(d) if d != mail::Delivery::default() => {
                tracing::info!(
                    sent = d.sent,
                    retried = d.retried,
                    failed = d.failed,
                    "e-mail"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox not sent"),
        }
    }
}

/// Queues today's reminders (today in Swedish time).
pub async fn remind<S: Store>(state: &AppState<S>) -> Result<usize, crate::WebError> {
    let now = state.clock.now();
    let (_, d) = state.directory().await?;
    let names = |m: &kvalitet_domain::MunicipalityId| d.name(m);
    mail::queue_reminders(
        &state.store,
        kvalitet_domain::calendar::stockholm_date(now.datetime()),
        &state.public_url,
        &names,
        now,
    )
    .await
    .map_err(crate::WebError::internal)
}
