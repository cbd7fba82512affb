//! Background jobs: queued by hand or by a schedule (each run queued once, however many
//! servers plan it), and a worker that claims one, keeps its lease alive while it runs,
//! records how it went and tries a failure again after a backoff.

use std::future::Future;
use std::time::Duration;

use kvalitet_domain::jobs::{self as rules, Cron, JobKind};
use kvalitet_domain::{Grants, Message, Timestamp};

use crate::ports::{ClaimedJob, Clock, JobRecord, Jobs, NewJob, StoreError};
use crate::refusal::Refusal;

/// How long a claim lasts without news from its worker: a server that stops (killed, cut
/// off) loses its job after this, and another takes it.
pub const LEASE: Duration = Duration::from_secs(120);
/// How often a running job's lease is renewed.
pub const HEARTBEAT: Duration = Duration::from_secs(30);
/// How many runs of one schedule are queued at once at most (a server that was stopped for
/// a long time does not queue a backlog of a minutely schedule).
const MAX_RUNS_PLANNED: usize = 10;
/// How long finished jobs are kept for the administrators' page.
pub const KEEP_FINISHED_DAYS: i64 = 30;

/// A job run on a schedule, from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Names the schedule in the queue's keys: a renamed schedule is a new one.
    pub name: String,
    pub kind: JobKind,
    pub cron: Cron,
    pub args: Vec<String>,
}

impl Schedule {
    /// Reads one schedule; a problem names the field.
    pub fn parse(name: &str, job: &str, cron: &str, args: Vec<String>) -> Result<Self, Message> {
        let name = name.trim();
        if name.is_empty() || name.len() > 60 || name.contains(char::is_whitespace) {
            return Err(Message::in_field(
                "name",
                Message::new("bad_slug").with("value", format!("{name:?}")),
            ));
        }
        let kind = JobKind::parse(job).ok_or_else(|| {
            Message::in_field(
                "job",
                Message::new("job_unknown_kind").with("value", format!("{job:?}")),
            )
        })?;
        let cron = Cron::parse(cron).map_err(|m| Message::in_field("cron", m))?;
        rules::check_args(&args)?;
        Ok(Self {
            name: name.to_owned(),
            kind,
            cron,
            args,
        })
    }
}

/// Queues the runs of each schedule that fall after `from` and at or before `now`. Each run
/// has the key `schedule:NAME:MOMENT`, so every server may plan: a run is queued once.
pub async fn plan(
    store: &impl Jobs,
    schedules: &[Schedule],
    from: Timestamp,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let mut runs = Vec::new();
    for s in schedules {
        let mut after = from;
        let mut planned = 0;
        while let Some(at) = s.cron.next_after(after) {
            if at > now || planned == MAX_RUNS_PLANNED {
                break;
            }
            runs.push(NewJob {
                kind: s.kind,
                args: s.args.clone(),
                run_at: at,
                unique_key: Some(format!("schedule:{}:{at}", s.name)),
            });
            after = at;
            planned += 1;
        }
    }
    if runs.is_empty() {
        return Ok(0);
    }
    store.enqueue_jobs(&runs, now).await
}

/// Queues one job to run now (`kvalitet jobs run`, the administrators' page).
pub async fn enqueue(
    store: &impl Jobs,
    grants: &Grants,
    kind: JobKind,
    args: Vec<String>,
    now: Timestamp,
) -> Result<usize, Refusal> {
    system_admin_only(grants)?;
    rules::check_args(&args).map_err(Refusal::Invalid)?;
    Ok(store
        .enqueue_jobs(
            &[NewJob {
                kind,
                args,
                run_at: now,
                unique_key: None,
            }],
            now,
        )
        .await?)
}

/// The latest jobs, for system administrators.
pub async fn list(
    store: &impl Jobs,
    grants: &Grants,
    limit: u32,
) -> Result<Vec<JobRecord>, Refusal> {
    system_admin_only(grants)?;
    Ok(store.jobs(limit).await?)
}

fn system_admin_only(grants: &Grants) -> Result<(), Refusal> {
    if grants.system_admin {
        Ok(())
    } else {
        Err(Refusal::Forbidden(Message::new("jobs_admin_only")))
    }
}

/// Does the work of a claimed job; a failure's text is kept with the job.
pub trait Runner: Send + Sync {
    fn run(&self, job: &ClaimedJob) -> impl Future<Output = Result<(), String>> + Send;
}

/// A runner shared between workers.
impl<R: Runner> Runner for std::sync::Arc<R> {
    fn run(&self, job: &ClaimedJob) -> impl Future<Output = Result<(), String>> + Send {
        R::run(self, job)
    }
}

/// What one turn of a worker did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Worked {
    /// Nothing was due.
    Idle,
    /// A job was claimed but its kind runs on another server; it was given back.
    Busy,
    Done {
        id: i64,
        kind: JobKind,
    },
    /// Failed, and queued again for `at`.
    Retry {
        id: i64,
        kind: JobKind,
        at: Timestamp,
        error: String,
    },
    /// Failed for good.
    Failed {
        id: i64,
        kind: JobKind,
        error: String,
    },
}

/// Claims the job due first and runs it, renewing its lease every [`HEARTBEAT`] until it
/// ends, then records the outcome.
pub async fn work_one<S: Jobs, R: Runner>(
    store: &S,
    clock: &dyn Clock,
    worker: &str,
    runner: &R,
) -> Result<Worked, StoreError> {
    let now = clock.now();
    let Some(job) = store.claim_job(worker, now, lease_end(now)).await? else {
        return Ok(Worked::Idle);
    };
    if job.attempts > job.max_attempts {
        // Claimed again after its servers stopped while running it, more often than it may
        // be tried: it is not started once more.
        let error = "stopped: its server went away while running it, too many times".to_owned();
        store
            .fail_job(job.id, worker, &error, clock.now(), None)
            .await?;
        return Ok(Worked::Failed {
            id: job.id,
            kind: job.kind,
            error,
        });
    }
    let Some(lock) = store.lock_job_kind(job.kind).await? else {
        store.release_job(job.id, worker).await?;
        return Ok(Worked::Busy);
    };
    let run = runner.run(&job);
    tokio::pin!(run);
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.tick().await;
    let result = loop {
        tokio::select! {
            result = &mut run => break result,
            _ = beat.tick() => {
                match store.extend_job(job.id, worker, lease_end(clock.now())).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(job = job.id, "the job's lease was lost while it ran"),
                    Err(e) => tracing::warn!(job = job.id, error = %e, "the job's lease was not renewed"),
                }
            }
        }
    };
    let at = clock.now();
    let worked = match result {
        Ok(()) => {
            if !store.finish_job(job.id, worker, at).await? {
                tracing::warn!(job = job.id, "a job finished after its lease was lost");
            }
            Worked::Done {
                id: job.id,
                kind: job.kind,
            }
        }
        Err(error) if job.attempts < job.max_attempts => {
            let retry = at.plus(rules::backoff(job.attempts));
            store
                .fail_job(job.id, worker, &error, at, Some(retry))
                .await?;
            Worked::Retry {
                id: job.id,
                kind: job.kind,
                at: retry,
                error,
            }
        }
        Err(error) => {
            store.fail_job(job.id, worker, &error, at, None).await?;
            Worked::Failed {
                id: job.id,
                kind: job.kind,
                error,
            }
        }
    };
    // Held until the outcome is written: no other server starts the kind before.
    drop(lock);
    Ok(worked)
}

fn lease_end(now: Timestamp) -> Timestamp {
    now.plus(time::Duration::seconds(LEASE.as_secs() as i64))
}
