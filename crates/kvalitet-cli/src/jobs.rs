//! `kvalitet jobs`: the background jobs as the command line sees them (list, queue one,
//! work without serving), the schedules read from the configuration, and what each kind of
//! job does in this binary (a sync reaches Kolada, which only the command line may).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use kvalitet_app::jobs::{self, Runner, Schedule, Worked};
use kvalitet_app::ports::ClaimedJob;
use kvalitet_domain::Grants;
use kvalitet_domain::jobs::JobKind;
use kvalitet_store::SqlStore;
use kvalitet_web::AppState;

use crate::config::JobsConfig;

#[derive(Subcommand)]
pub enum JobsCommand {
    /// The latest jobs, newest first
    List {
        #[arg(long, default_value_t = 30)]
        limit: u32,
    },
    /// Queue a job to run now, e.g. `kvalitet jobs run sync -- --set kkik --values-only`
    Run {
        /// sync, upkeep or reminders
        kind: String,
        /// The job's arguments (for sync: those of `kvalitet sync`)
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Do due jobs and plan the schedules without serving pages (a worker of its own)
    Work {
        /// Stop when nothing is due instead of waiting for more
        #[arg(long)]
        until_idle: bool,
    },
}

/// The schedules: the built-in ones, then the file's (one of the same name replaces a
/// built-in one). A mistake names the entry and its field.
pub fn schedules(config: &JobsConfig, mail: bool) -> anyhow::Result<Vec<Schedule>> {
    let mut out = vec![
        Schedule::parse("upkeep", "upkeep", "0 * * * *", Vec::new())
            .map_err(|m| anyhow::anyhow!("{m}"))?,
    ];
    if mail {
        out.push(
            Schedule::parse("reminders", "reminders", "*/10 * * * *", Vec::new())
                .map_err(|m| anyhow::anyhow!("{m}"))?,
        );
    }
    for (n, s) in config.schedule.iter().enumerate() {
        let schedule = Schedule::parse(&s.name, &s.job, &s.cron, s.args.clone()).map_err(|m| {
            anyhow::anyhow!("[[jobs.schedule]] number {} ({:?}): {m}", n + 1, s.name)
        })?;
        if schedule.kind == JobKind::Sync {
            SyncJob::read(&schedule.args).with_context(|| {
                format!("[[jobs.schedule]] number {} ({:?}): args", n + 1, s.name)
            })?;
        }
        out.retain(|o| o.name != schedule.name);
        out.push(schedule);
    }
    Ok(out)
}

/// A sync job's arguments, read as `kvalitet sync` reads its own.
#[derive(Parser)]
#[command(name = "sync", no_binary_name = false)]
struct SyncJob {
    #[command(flatten)]
    args: crate::SyncArgs,
}

impl SyncJob {
    fn read(args: &[String]) -> anyhow::Result<crate::SyncArgs> {
        let with_name = std::iter::once("sync".to_owned()).chain(args.iter().cloned());
        Ok(SyncJob::try_parse_from(with_name)
            .map_err(|e| anyhow::anyhow!("{}", e.render().to_string().trim()))?
            .args)
    }
}

/// What each kind of job does in this binary.
pub struct CliJobs {
    pub state: Arc<AppState<SqlStore>>,
}

impl Runner for CliJobs {
    async fn run(&self, job: &ClaimedJob) -> Result<(), String> {
        match job.kind {
            JobKind::Sync => sync(&self.state.store, &job.args)
                .await
                .map_err(|e| format!("{e:#}")),
            JobKind::Upkeep => kvalitet_web::upkeep(&self.state).await,
            JobKind::Reminders => kvalitet_web::remind(&self.state)
                .await
                .map(|n| {
                    if n > 0 {
                        tracing::info!(reminders = n, "reminders queued");
                    }
                })
                .map_err(|e| format!("{e:?}")),
        }
    }
}

/// A Kolada sync as a job: no progress bar, the outcome in the log; a sync with failed pages
/// fails (and is tried again: it resumes where it stopped).
async fn sync(store: &SqlStore, args: &[String]) -> anyhow::Result<()> {
    let mut args = SyncJob::read(args)?;
    args.quiet = true;
    let (client, options) = crate::sync_setup(store, args).await?;
    let report = kvalitet_app::sync::sync(
        store,
        &client,
        &options,
        &kvalitet_app::sync::NoSyncProgress,
    )
    .await;
    let c = report.counts;
    tracing::info!(
        requests = report.requests,
        read = report.records_read,
        inserted = c.inserted,
        updated = c.updated,
        deleted = c.deleted,
        failed_pages = report.errors.len(),
        "sync"
    );
    if report.succeeded() {
        Ok(())
    } else {
        let first: Vec<String> = report
            .errors
            .iter()
            .take(3)
            .map(ToString::to_string)
            .collect();
        anyhow::bail!(
            "{} page(s) failed: {}",
            report.errors.len(),
            first.join("; ")
        )
    }
}

/// The name a worker goes by on the jobs page: the host and the process.
pub fn worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// `kvalitet jobs …`.
pub async fn command(
    state: Arc<AppState<SqlStore>>,
    command: JobsCommand,
) -> anyhow::Result<ExitCode> {
    // The command line is the operator's: it acts as a system administrator.
    let grants = Grants {
        system_admin: true,
        ..Grants::default()
    };
    match command {
        JobsCommand::List { limit } => {
            let listed = jobs::list(&state.store, &grants, limit)
                .await
                .map_err(|r| anyhow::anyhow!("{r}"))?;
            println!("id\tkind\tstate\trun_at\tattempts\tworker\targs\tlast_error");
            for j in listed {
                println!(
                    "{}\t{}\t{}\t{}\t{}/{}\t{}\t{}\t{}",
                    j.id,
                    j.kind.code(),
                    j.state.code(),
                    j.run_at,
                    j.attempts,
                    j.max_attempts,
                    j.worker.unwrap_or_default(),
                    j.args.join(" "),
                    j.last_error.unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        JobsCommand::Run { kind, args } => {
            let kind = JobKind::parse(&kind).ok_or_else(|| {
                anyhow::anyhow!("{kind:?} is not a job: it must be sync, upkeep or reminders")
            })?;
            if kind == JobKind::Sync {
                SyncJob::read(&args)?;
            }
            jobs::enqueue(&state.store, &grants, kind, args, state.clock.now())
                .await
                .map_err(|r| anyhow::anyhow!("{r}"))?;
            println!("queued: {}", kind.code());
            Ok(ExitCode::SUCCESS)
        }
        JobsCommand::Work { until_idle: true } => {
            let runner = CliJobs {
                state: state.clone(),
            };
            let worker = worker_name();
            let mut failed = false;
            loop {
                match jobs::work_one(&state.store, &*state.clock, &worker, &runner).await? {
                    Worked::Idle | Worked::Busy => break,
                    Worked::Done { id, kind } => println!("{id} {}: done", kind.code()),
                    Worked::Retry {
                        id,
                        kind,
                        at,
                        error,
                    } => {
                        failed = true;
                        println!("{id} {}: failed, tried again {at}: {error}", kind.code());
                    }
                    Worked::Failed { id, kind, error } => {
                        failed = true;
                        println!("{id} {}: given up: {error}", kind.code());
                    }
                }
            }
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        JobsCommand::Work { until_idle: false } => {
            eprintln!("kvalitet works on background jobs (Ctrl-C stops)");
            let runner = CliJobs {
                state: state.clone(),
            };
            tokio::select! {
                () = kvalitet_web::run_jobs(state, runner, worker_name()) => {}
                () = crate::stop_signal() => {}
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
