//! The jobs port: work queued in the database and done once by whichever server claims it.

use std::future::Future;

use serde::Serialize;

use kvalitet_domain::Timestamp;
use kvalitet_domain::jobs::{JobKind, JobState};

use super::StoreError;

/// A job to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub kind: JobKind,
    pub args: Vec<String>,
    /// Not before this moment.
    pub run_at: Timestamp,
    /// A job that must be queued once (a schedule's run at a given minute) has a key;
    /// queuing it again, from any server, does nothing.
    pub unique_key: Option<String>,
}

/// A job as the administrators' page and `kvalitet jobs` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRecord {
    pub id: i64,
    pub kind: JobKind,
    pub args: Vec<String>,
    pub state: JobState,
    pub run_at: Timestamp,
    pub attempts: u32,
    pub max_attempts: u32,
    pub unique_key: Option<String>,
    /// The server that runs or ran it.
    pub worker: Option<String>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// A job taken to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: JobKind,
    pub args: Vec<String>,
    /// Attempts made, this one included.
    pub attempts: u32,
    pub max_attempts: u32,
}

/// Held while a claimed job runs; dropping it lets another server run a job of the kind.
/// On PostgreSQL it holds a session advisory lock on a connection of its own (closed when
/// dropped, which releases the lock however the run ended, even if the process dies); on
/// SQLite the claim's lease is the whole guard.
pub struct JobLock(#[allow(dead_code)] Option<Box<dyn Send + Sync>>);

impl JobLock {
    /// A lock that holds nothing beyond the claim.
    pub fn lease_only() -> Self {
        Self(None)
    }

    /// A lock kept alive by `guard` until dropped.
    pub fn holding(guard: impl Send + Sync + 'static) -> Self {
        Self(Some(Box::new(guard)))
    }
}

/// Background jobs. A claim is atomic and leased: two servers never run one job, and at most
/// one job of a kind runs at a time. A server that dies loses its lease, and the job is
/// claimed again once the lease has run out.
pub trait Jobs: Send + Sync + 'static {
    /// Queues jobs in one transaction; one whose key is already queued is skipped. Returns
    /// how many were queued.
    fn enqueue_jobs(
        &self,
        jobs: &[NewJob],
        at: Timestamp,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Takes the job due first at `now` (queued and due, or running with a lease that ran
    /// out) whose kind has no other job running, counts the attempt, and leases it to
    /// `worker` until `lease_until`.
    fn claim_job(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> impl Future<Output = Result<Option<ClaimedJob>, StoreError>> + Send;

    /// The lock of a kind for a claimed job's run; `None` when another server holds it (the
    /// job is then given back with [`Jobs::release_job`]).
    fn lock_job_kind(
        &self,
        kind: JobKind,
    ) -> impl Future<Output = Result<Option<JobLock>, StoreError>> + Send;

    /// Extends `worker`'s lease; false when the job is no longer theirs.
    fn extend_job(
        &self,
        id: i64,
        worker: &str,
        lease_until: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Gives a claimed job back untried (the attempt not counted).
    fn release_job(
        &self,
        id: i64,
        worker: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Marks `worker`'s job done; false when it was no longer theirs.
    fn finish_job(
        &self,
        id: i64,
        worker: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records why a job failed: queued again for `retry_at`, or failed for good when `None`.
    fn fail_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        at: Timestamp,
        retry_at: Option<Timestamp>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The latest jobs, newest first.
    fn jobs(&self, limit: u32) -> impl Future<Output = Result<Vec<JobRecord>, StoreError>> + Send;

    /// Deletes jobs that finished (done or failed) before `before`; returns how many.
    fn prune_jobs(&self, before: Timestamp)
    -> impl Future<Output = Result<u64, StoreError>> + Send;
}
