//! Work a running site does on its own: every hour, deleting the personal data of surveys
//! closed longer ago than their retention period; and when an SMTP relay is configured,
//! sending what waits in the outbox every minute, and queuing the day's deadline reminders
//! every ten minutes (each reminder has a key, so several servers or restarts never send one
//! twice).

use std::sync::Arc;
use std::time::Duration;

use kvalitet_app::Store;
use kvalitet_app::mail;
use kvalitet_app::ports::Mailer;

use crate::AppState;

/// How often the outbox is sent, and how many sends between two looks for reminders.
const SEND_EVERY: Duration = Duration::from_secs(60);
const REMIND_EVERY_SENDS: u32 = 10;

/// How often surveys' personal data past its retention period is looked for.
const UPKEEP_EVERY: Duration = Duration::from_secs(3600);

/// Deletes expired survey personal data every hour until the process ends; a failing round
/// is logged and tried again an hour later. Deleting is idempotent, so several servers doing
/// it is harmless.
pub async fn run_upkeep<S: Store>(state: Arc<AppState<S>>) {
    let mut tick = tokio::time::interval(UPKEEP_EVERY);
    loop {
        tick.tick().await;
        match state
            .store
            .purge_survey_personal_data(state.clock.now())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                invitations = n,
                "survey personal data past retention deleted"
            ),
            Err(e) => tracing::warn!(error = %e, "survey personal data not purged"),
        }
    }
}

/// Sends and reminds until the process ends; a failing round is logged and tried again on
/// the next tick, never ends the loop.
pub async fn run_mail<S: Store, M: Mailer>(state: Arc<AppState<S>>, mailer: M) {
    let mut tick = tokio::time::interval(SEND_EVERY);
    let mut n: u32 = 0;
    loop {
        tick.tick().await;
        if n.is_multiple_of(REMIND_EVERY_SENDS)
            && let Err(e) = remind(&state).await
        {
            tracing::warn!(error = ?e, "reminders not queued");
        }
        n = n.wrapping_add(1);
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
