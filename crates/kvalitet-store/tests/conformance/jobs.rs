//! Background jobs: claimed once with a lease, one of a kind at a time, retried with backoff, a schedule's run queued once by every server, two workers doing every job exactly once, migrations run by several servers at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kvalitet_app::jobs::{self, Runner, Schedule, Worked};
use kvalitet_app::ports::{ClaimedJob, Clock, FixedClock, NewJob, SystemClock};
use kvalitet_domain::jobs::{JobKind, JobState};

use super::*;

both_backends!(
    a_job_is_claimed_once_and_one_of_a_kind_runs_at_a_time,
    a_job_whose_server_died_is_claimed_again_after_its_lease,
    a_failing_job_is_tried_again_with_backoff_then_given_up,
    a_schedules_run_is_queued_once_however_many_servers_plan_it,
    two_workers_do_every_job_exactly_once,
);

fn job(kind: JobKind, at: &str) -> NewJob {
    NewJob {
        kind,
        args: vec!["--set".into(), "kkik".into()],
        run_at: t(at),
        unique_key: None,
    }
}

async fn a_job_is_claimed_once_and_one_of_a_kind_runs_at_a_time(store: &SqlStore) {
    let now = t("2026-12-04T09:00:00Z");
    let lease = t("2026-12-04T09:02:00Z");
    let queued = store
        .enqueue_jobs(
            &[
                job(JobKind::Sync, "2026-12-04T08:00:00Z"),
                job(JobKind::Sync, "2026-12-04T08:01:00Z"),
                job(JobKind::Reminders, "2026-12-04T08:30:00Z"),
                // Not due yet.
                job(JobKind::Upkeep, "2026-12-04T10:00:00Z"),
            ],
            now,
        )
        .await
        .unwrap();
    assert_eq!(queued, 4);
    let first = store.claim_job("a", now, lease).await.unwrap().unwrap();
    assert_eq!((first.kind, first.attempts), (JobKind::Sync, 1));
    assert_eq!(first.args, ["--set", "kkik"]);
    // The second sync waits while the first runs; the reminders do not.
    let second = store.claim_job("b", now, lease).await.unwrap().unwrap();
    assert_eq!(second.kind, JobKind::Reminders);
    assert!(store.claim_job("c", now, lease).await.unwrap().is_none());
    // Another server cannot finish a job it does not hold.
    assert!(!store.finish_job(first.id, "b", now).await.unwrap());
    assert!(store.finish_job(first.id, "a", now).await.unwrap());
    let third = store.claim_job("c", now, lease).await.unwrap().unwrap();
    assert_eq!(third.kind, JobKind::Sync);
    assert_ne!(third.id, first.id);
    // A kind's lock: on PostgreSQL a second holder is refused until the first lets go.
    let held = store.lock_job_kind(JobKind::Sync).await.unwrap();
    assert!(held.is_some());
    let again = store.lock_job_kind(JobKind::Sync).await.unwrap();
    match store.backend() {
        "postgres" => assert!(again.is_none(), "a second server got the kind's lock"),
        _ => assert!(again.is_some(), "SQLite's claim is the whole guard"),
    }
    drop(again);
    drop(held);
    // The lock's connection is closed; PostgreSQL frees its locks once it sees the close,
    // a moment later.
    let mut freed = false;
    for _ in 0..50 {
        if store.lock_job_kind(JobKind::Sync).await.unwrap().is_some() {
            freed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    }
    assert!(freed, "the kind's lock was not freed");
    // Given back untried: the attempt is not counted, and it can be claimed again.
    store.release_job(third.id, "c").await.unwrap();
    let retaken = store.claim_job("d", now, lease).await.unwrap().unwrap();
    assert_eq!((retaken.id, retaken.attempts), (third.id, 1));
    let listed = store.jobs(10).await.unwrap();
    assert_eq!(listed.len(), 4);
    let by_id: HashMap<i64, _> = listed.iter().map(|j| (j.id, j)).collect();
    assert_eq!(by_id[&first.id].state, JobState::Done);
    assert_eq!(by_id[&retaken.id].state, JobState::Running);
    assert_eq!(by_id[&retaken.id].worker.as_deref(), Some("d"));
}

async fn a_job_whose_server_died_is_claimed_again_after_its_lease(store: &SqlStore) {
    store
        .enqueue_jobs(
            &[job(JobKind::Upkeep, "2026-12-04T08:00:00Z")],
            t("2026-12-04T08:00:00Z"),
        )
        .await
        .unwrap();
    let a = store
        .claim_job("a", t("2026-12-04T09:00:00Z"), t("2026-12-04T09:02:00Z"))
        .await
        .unwrap()
        .unwrap();
    // While the lease lasts, nobody else takes it; a heartbeat extends it.
    assert!(
        store
            .claim_job("b", t("2026-12-04T09:01:00Z"), t("2026-12-04T09:03:00Z"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .extend_job(a.id, "a", t("2026-12-04T09:04:00Z"))
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_job("b", t("2026-12-04T09:03:00Z"), t("2026-12-04T09:05:00Z"))
            .await
            .unwrap()
            .is_none()
    );
    // "a" stops sending heartbeats: after the lease "b" takes the job, as a new attempt.
    let b = store
        .claim_job("b", t("2026-12-04T09:05:00Z"), t("2026-12-04T09:07:00Z"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((b.id, b.attempts), (a.id, 2));
    assert!(
        !store
            .extend_job(a.id, "a", t("2026-12-04T09:06:00Z"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish_job(a.id, "a", t("2026-12-04T09:06:00Z"))
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_job(b.id, "b", t("2026-12-04T09:06:00Z"))
            .await
            .unwrap()
    );
}

/// Fails every time with the same words.
struct Failing;

impl Runner for Failing {
    async fn run(&self, _job: &ClaimedJob) -> Result<(), String> {
        Err("Kolada svarade 503".into())
    }
}

async fn a_failing_job_is_tried_again_with_backoff_then_given_up(store: &SqlStore) {
    let start = t("2026-12-04T09:00:00Z");
    store
        .enqueue_jobs(&[job(JobKind::Sync, "2026-12-04T09:00:00Z")], start)
        .await
        .unwrap();
    // A sync is tried three times: after 30 s, then after 60 s more, then given up.
    let mut now = start;
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let worked = jobs::work_one(store, &FixedClock(now), "a", &Failing)
            .await
            .unwrap();
        if let Worked::Retry { at, .. } = &worked {
            assert_eq!(
                jobs::work_one(store, &FixedClock(now), "a", &Failing)
                    .await
                    .unwrap(),
                Worked::Idle,
                "not before its time"
            );
            now = *at;
        }
        outcomes.push(worked);
    }
    assert!(
        matches!(&outcomes[0], Worked::Retry { at, .. } if at.to_string() == "2026-12-04T09:00:30Z"),
        "{outcomes:?}"
    );
    assert!(
        matches!(&outcomes[1], Worked::Retry { at, .. } if at.to_string() == "2026-12-04T09:01:30Z"),
        "{outcomes:?}"
    );
    assert!(
        matches!(&outcomes[2], Worked::Failed { error, .. } if error == "Kolada svarade 503"),
        "{outcomes:?}"
    );
    let listed = store.jobs(10).await.unwrap();
    assert_eq!(listed[0].state, JobState::Failed);
    assert_eq!(listed[0].attempts, 3);
    assert_eq!(listed[0].last_error.as_deref(), Some("Kolada svarade 503"));
    // Finished jobs are pruned after their time.
    assert_eq!(
        store.prune_jobs(t("2026-12-04T09:01:00Z")).await.unwrap(),
        0
    );
    assert_eq!(
        store.prune_jobs(t("2027-01-04T09:00:00Z")).await.unwrap(),
        1
    );
}

async fn a_schedules_run_is_queued_once_however_many_servers_plan_it(store: &SqlStore) {
    let schedules = [
        Schedule::parse(
            "nattlig-sync",
            "sync",
            "0 3 * * *",
            vec!["--set".into(), "kkik".into()],
        )
        .unwrap(),
        Schedule::parse("paminnelser", "reminders", "*/10 * * * *", Vec::new()).unwrap(),
    ];
    // Three servers plan the same minutes, each from where it last looked.
    let from = t("2026-12-05T01:55:00Z");
    let now = t("2026-12-05T02:00:30Z");
    let mut queued = 0;
    for _server in 0..3 {
        queued += jobs::plan(store, &schedules, from, now).await.unwrap();
    }
    // 03:00 in Stockholm is 02:00 UTC: one sync and one round of reminders, once each.
    assert_eq!(queued, 2);
    let listed = store.jobs(10).await.unwrap();
    let mut keys: Vec<String> = listed.iter().filter_map(|j| j.unique_key.clone()).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "schedule:nattlig-sync:2026-12-05T02:00:00Z",
            "schedule:paminnelser:2026-12-05T02:00:00Z"
        ]
    );
    // A bad schedule names its field.
    let bad = Schedule::parse("x", "sync", "0 25 * * *", Vec::new()).unwrap_err();
    assert!(
        bad.to_string()
            .starts_with("cron: the schedule's hour field"),
        "{bad}"
    );
    let bad = Schedule::parse("x", "rensa", "0 2 * * *", Vec::new()).unwrap_err();
    assert!(bad.to_string().starts_with("job: "), "{bad}");
}

/// Counts each job's runs and the most jobs of one kind running at once.
#[derive(Default)]
struct Counting {
    runs: Mutex<HashMap<i64, u32>>,
    running: Mutex<HashMap<JobKind, u32>>,
    most_at_once: Mutex<u32>,
}

impl Runner for Counting {
    async fn run(&self, job: &ClaimedJob) -> Result<(), String> {
        {
            let mut running = self.running.lock().unwrap();
            let n = running.entry(job.kind).or_default();
            *n += 1;
            let mut most = self.most_at_once.lock().unwrap();
            *most = (*most).max(*n);
        }
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        *self.runs.lock().unwrap().entry(job.id).or_default() += 1;
        *self.running.lock().unwrap().entry(job.kind).or_default() -= 1;
        Ok(())
    }
}

async fn two_workers_do_every_job_exactly_once(store: &SqlStore) {
    let now = SystemClock.now();
    let kinds = [JobKind::Sync, JobKind::Upkeep, JobKind::Reminders];
    let new: Vec<NewJob> = (0..30)
        .map(|i| NewJob {
            kind: kinds[i % 3],
            args: vec![i.to_string()],
            run_at: now,
            unique_key: None,
        })
        .collect();
    store.enqueue_jobs(&new, now).await.unwrap();
    let counting = Arc::new(Counting::default());
    let worker = |name: &'static str| {
        let store = store.clone();
        let counting = counting.clone();
        tokio::spawn(async move {
            let mut idle = 0;
            while idle < 20 {
                match jobs::work_one(&store, &SystemClock, name, &counting).await {
                    Ok(Worked::Done { .. }) => idle = 0,
                    Ok(Worked::Idle | Worked::Busy) => {
                        idle += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    }
                    Ok(other) => panic!("{other:?}"),
                    // SQLite answers "busy" when both write at one instant past its timeout;
                    // the worker goes on as a real one would.
                    Err(e) => {
                        eprintln!("{name}: {e}");
                        idle += 1;
                    }
                }
            }
        })
    };
    let (a, b) = (worker("a"), worker("b"));
    a.await.unwrap();
    b.await.unwrap();
    let runs = counting.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 30, "every job ran");
    assert!(runs.values().all(|n| *n == 1), "each once: {runs:?}");
    assert_eq!(
        *counting.most_at_once.lock().unwrap(),
        1,
        "one of a kind at a time"
    );
    let listed = store.jobs(100).await.unwrap();
    assert!(listed.iter().all(|j| j.state == JobState::Done));
    let workers: std::collections::BTreeSet<_> =
        listed.iter().filter_map(|j| j.worker.clone()).collect();
    assert_eq!(workers.len(), 2, "both workers took jobs: {workers:?}");
}

/// In a module named like the suite's PostgreSQL copies, so that `.ci/run`'s PostgreSQL
/// pass (`-- postgres_backend`) runs it with a server; it checks SQLite as well.
mod postgres_backend_servers_at_once {
    use super::*;

    /// Several servers starting at once on one fresh database: every one migrates or waits for
    /// the one that does (sqlx takes an advisory lock on PostgreSQL; SQLite's write lock).
    #[tokio::test]
    async fn servers_starting_at_once_migrate_one_database() {
        let dir = tempfile::tempdir().unwrap();
        let mut urls = vec![format!(
            "sqlite://{}",
            dir.path().join("start.db").display()
        )];
        if let Some(url) = fresh_postgres_url("kvalitet_start").await {
            urls.push(url);
        }
        // The SQLite file exists, as a new database does once installed: switching a brand-new
        // file to WAL is SQLite's own one-writer moment, before any migration.
        SqlStore::connect(&urls[0]).await.unwrap().close().await;
        for url in urls {
            let starts: Vec<_> = (0..4)
                .map(|_| {
                    let url = url.clone();
                    tokio::spawn(async move { SqlStore::open(&url).await.map(|_| ()) })
                })
                .collect();
            for s in starts {
                s.await.unwrap().unwrap_or_else(|e| panic!("{url}: {e}"));
            }
        }
    }
}
