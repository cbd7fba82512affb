//! The jobs port: background work claimed with a lease, one job of a kind at a time; on
//! PostgreSQL `FOR UPDATE SKIP LOCKED` for the claim and a session advisory lock per kind for
//! the run.

use kvalitet_app::ports::{ClaimedJob, JobLock, JobRecord, NewJob, StoreError};
use kvalitet_domain::Timestamp;
use kvalitet_domain::jobs::{JobKind, JobState};

use crate::{SqlStore, Tx, db, exec, fetch_all, invalid, moment};

/// Takes the job due first (queued and due, or running with a lease that ran out) whose kind
/// has no other job running with a live lease; `$lock` is what the backend adds to the
/// row's selection.
macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE job SET state = 'running', worker = $2, lease_until = $3,
                attempts = attempts + 1, started_at = $1
             WHERE id = (SELECT j.id FROM job j
                         WHERE ((j.state = 'queued' AND j.run_at <= $1)
                                OR (j.state = 'running' AND j.lease_until < $1))
                           AND NOT EXISTS (SELECT 1 FROM job o WHERE o.kind = j.kind AND o.id <> j.id
                                           AND o.state = 'running' AND o.lease_until >= $1)
                         ORDER BY j.run_at, j.id LIMIT 1",
            $lock,
            ") RETURNING id, kind, args, attempts, max_attempts"
        )
    };
}
/// SQLite's write transaction keeps other claimers out for the statement.
const CLAIM_SQLITE: &str = claim_sql!("");
/// SKIP LOCKED lets two servers claim different jobs at the same moment (two of one kind
/// claimed at once are kept apart by the kind's advisory lock).
const CLAIM_POSTGRES: &str = claim_sql!(" FOR UPDATE SKIP LOCKED");

/// The advisory lock key of a kind: a constant of kvalitet's own ("kv" in its high bytes)
/// plus the kind's place, so that it meets no other application's keys by chance.
fn lock_key(kind: JobKind) -> i64 {
    let place = JobKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    0x6b76_0000_0000_0000 + place as i64
}

/// A connection of its own (never a pooled one, which would keep the lock when given
/// back, nor one through a pooler) holding a kind's advisory lock. Dropped, its socket is
/// closed and the lock goes with it.
struct AdvisoryLock(#[allow(dead_code)] sqlx::postgres::PgConnection);

fn args_text(args: &[String]) -> String {
    serde_json::Value::from(args.to_vec()).to_string()
}

fn args_of(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(invalid)
}

fn kind_of(code: &str) -> Result<JobKind, StoreError> {
    JobKind::parse(code).ok_or_else(|| invalid(format!("job kind {code:?}")))
}

type ClaimRow = (i64, String, String, i32, i32);
type JobRow = (
    i64,
    String,
    String,
    String,
    String,
    i32,
    i32,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl kvalitet_app::ports::Jobs for SqlStore {
    async fn enqueue_jobs(&self, jobs: &[NewJob], at: Timestamp) -> Result<usize, StoreError> {
        let at = at.to_string();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let mut queued = 0;
        for j in jobs {
            queued +=
                exec!(t,
                "INSERT INTO job (kind, args, unique_key, state, run_at, max_attempts, created_at)
                 VALUES ($1, $2, $3, 'queued', $4, $5, $6) ON CONFLICT (unique_key) DO NOTHING",
                j.kind.code(), args_text(&j.args), j.unique_key.as_deref(), j.run_at.to_string(),
                i32::try_from(j.kind.max_attempts()).unwrap_or(i32::MAX), &at)?;
        }
        tx.commit().await?;
        Ok(queued as usize)
    }

    async fn claim_job(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        let mut tx = self.begin().await?;
        let sql = match tx {
            Tx::Sqlite(_) => CLAIM_SQLITE,
            Tx::Postgres(_) => CLAIM_POSTGRES,
        };
        let t = &mut tx;
        let rows =
            fetch_all!(tx t, ClaimRow, sql, now.to_string(), worker, lease_until.to_string())?;
        tx.commit().await?;
        rows.into_iter()
            .next()
            .map(|(id, kind, args, attempts, max_attempts)| {
                Ok(ClaimedJob {
                    id,
                    kind: kind_of(&kind)?,
                    args: args_of(&args)?,
                    attempts: u32::try_from(attempts).unwrap_or(0),
                    max_attempts: u32::try_from(max_attempts).unwrap_or(0),
                })
            })
            .transpose()
    }

    async fn lock_job_kind(&self, kind: JobKind) -> Result<Option<JobLock>, StoreError> {
        match self {
            Self::Sqlite(_) => Ok(Some(JobLock::lease_only())),
            Self::Postgres(pool, routes) => {
                let mut conn = routes.session(pool).await?;
                let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(lock_key(kind))
                    .fetch_one(&mut conn)
                    .await
                    .map_err(db)?;
                Ok(locked.then(|| JobLock::holding(AdvisoryLock(conn))))
            }
        }
    }

    async fn extend_job(
        &self,
        id: i64,
        worker: &str,
        lease_until: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let n = exec!(
            t,
            "UPDATE job SET lease_until = $1 WHERE id = $2 AND worker = $3 AND state = 'running'",
            lease_until.to_string(),
            id,
            worker
        )?;
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn release_job(&self, id: i64, worker: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        exec!(t,
            "UPDATE job SET state = 'queued', attempts = attempts - 1, worker = NULL, lease_until = NULL
             WHERE id = $1 AND worker = $2 AND state = 'running'",
            id, worker)?;
        tx.commit().await
    }

    async fn finish_job(&self, id: i64, worker: &str, at: Timestamp) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let n =
            exec!(t,
            "UPDATE job SET state = 'done', finished_at = $1, lease_until = NULL, last_error = NULL
             WHERE id = $2 AND worker = $3 AND state = 'running'",
            at.to_string(), id, worker)?;
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn fail_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        at: Timestamp,
        retry_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        // An error can be long (a whole sync report); the page needs the gist.
        let error: String = error.chars().take(1000).collect();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        match retry_at {
            Some(retry) => exec!(t,
                "UPDATE job SET state = 'queued', run_at = $1, last_error = $2, lease_until = NULL
                 WHERE id = $3 AND worker = $4 AND state = 'running'",
                retry.to_string(), &error, id, worker)?,
            None => exec!(t,
                "UPDATE job SET state = 'failed', finished_at = $1, last_error = $2, lease_until = NULL
                 WHERE id = $3 AND worker = $4 AND state = 'running'",
                at.to_string(), &error, id, worker)?,
        };
        tx.commit().await
    }

    async fn jobs(&self, limit: u32) -> Result<Vec<JobRecord>, StoreError> {
        let rows = fetch_all!(pool self, JobRow,
            "SELECT id, kind, args, state, run_at, attempts, max_attempts, unique_key, worker,
                    created_at, started_at, finished_at, last_error
             FROM job ORDER BY id DESC LIMIT $1", i64::from(limit))?;
        rows.into_iter()
            .map(
                |(
                    id,
                    kind,
                    args,
                    state,
                    run_at,
                    attempts,
                    max_attempts,
                    unique_key,
                    worker,
                    created_at,
                    started_at,
                    finished_at,
                    last_error,
                ): JobRow| {
                    Ok(JobRecord {
                        id,
                        kind: kind_of(&kind)?,
                        args: args_of(&args)?,
                        state: JobState::parse(&state)
                            .ok_or_else(|| invalid(format!("job state {state:?}")))?,
                        run_at: moment(&run_at)?,
                        attempts: u32::try_from(attempts).unwrap_or(0),
                        max_attempts: u32::try_from(max_attempts).unwrap_or(0),
                        unique_key,
                        worker,
                        created_at: moment(&created_at)?,
                        started_at: started_at.as_deref().map(moment).transpose()?,
                        finished_at: finished_at.as_deref().map(moment).transpose()?,
                        last_error,
                    })
                },
            )
            .collect()
    }

    async fn prune_jobs(&self, before: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let n = exec!(
            t,
            "DELETE FROM job WHERE state IN ('done', 'failed') AND finished_at < $1",
            before.to_string()
        )?;
        tx.commit().await?;
        Ok(n)
    }
}
