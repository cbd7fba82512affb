//! `kvalitet`: measure, compare and publish a municipality's quality (KKiK) from one binary.

mod config;
mod jobs;
mod progress;
mod reference;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use kvalitet_app::ValueFilter;
use kvalitet_app::export::export_csv;
use kvalitet_app::import::{ImportOptions, NoProgress, Progress, import_paths};
use kvalitet_app::ports::Actor;
use kvalitet_app::ports::prelude::*;
use kvalitet_app::sync::{SyncOptions, SyncProgress};
use kvalitet_domain::{AreaId, Direction, Gender, MeasureId, MunicipalityId, Role, Year};
use kvalitet_formats::Format;
use kvalitet_store::SqlStore;

use config::{DEFAULT_ADDR, DEFAULT_DATABASE_URL, FileConfig, layered, redact};

/// Exit code when every file was written but some bad rows were skipped.
const EXIT_ROWS_SKIPPED: u8 = 3;

#[derive(Parser)]
#[command(
    name = "kvalitet",
    version,
    about = "Kommunens kvalitet i korthet: load Kolada data and the municipality's own measurements, compare, and publish.",
    long_about = "kvalitet keeps KKiK measures, municipalities and values in one database (SQLite by default, \
PostgreSQL when DATABASE_URL is postgres://...), and serves them on a web site.\n\n\
Configuration, weakest first: built-in defaults, ./kvalitet.toml (or --config), KVALITET_* environment \
variables (and DATABASE_URL), then flags.",
    after_help = "Examples:\n  kvalitet import ../shared/data/kolada_meta ../shared/data/municipalities\n  \
kvalitet import ../shared/data/kolada_values/kkik_values_total.csv\n  \
kvalitet export --measure N15428 --year 2022 --output n15428.csv\n  kvalitet serve --addr 127.0.0.1:8080"
)]
struct Cli {
    /// Database URL: sqlite://FILE or postgres://USER:PASSWORD@HOST/DB [default: sqlite://kvalitet.db]
    #[arg(
        long,
        global = true,
        env = "KVALITET_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Configuration file [default: ./kvalitet.toml when present]
    #[arg(long, global = true, env = "KVALITET_CONFIG")]
    config: Option<PathBuf>,
    /// Log lines as text for a person or as JSON, one object per line, for a log collector
    #[arg(
        long,
        global = true,
        env = "KVALITET_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web site
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080]
        #[arg(long, env = "KVALITET_ADDR")]
        addr: Option<String>,
        /// The site's public address, for the embed codes it hands out (e.g.
        /// https://kvalitet.example.se) [default: http:// and the listening address]
        #[arg(long, env = "KVALITET_PUBLIC_URL")]
        public_url: Option<String>,
        /// Where residents report accessibility problems (an e-mail address or a web page),
        /// shown in the accessibility statement
        #[arg(long, env = "KVALITET_CONTACT")]
        contact: Option<String>,
        /// The Sveriges Kvalitetskommun screening set (TOML, as data/screening/
        /// kvalitetskommun.toml) [default: the shipped set]
        #[arg(long, env = "KVALITET_SCREENING_SET")]
        screening_set: Option<PathBuf>,
        /// The largest upload of values (CSV or Excel) in megabytes [default: 10]
        #[arg(long, env = "KVALITET_MAX_UPLOAD_MB")]
        max_upload_mb: Option<f64>,
        /// Take each client's address from the last entry of X-Forwarded-For; only behind a
        /// reverse proxy that sets it, since anyone can send the header [default: false]
        #[arg(long, env = "KVALITET_TRUST_FORWARDED_FOR")]
        trust_forwarded_for: Option<bool>,
        /// Failed logins allowed from one address (any accounts) in 15 minutes [default: 50]
        #[arg(long, env = "KVALITET_LOGIN_ATTEMPTS_PER_ADDRESS")]
        login_attempts_per_address: Option<u32>,
        /// The SMTP relay for invitations, notices and reminders, e.g.
        /// smtp://user:password@relay.kommun.se:587?tls=required [default: no e-mail]
        #[arg(long, env = "KVALITET_SMTP_URL")]
        smtp_url: Option<String>,
        /// The sender of e-mail, e.g. "kvalitet <noreply@kommun.se>"
        #[arg(long, env = "KVALITET_MAIL_FROM")]
        mail_from: Option<String>,
        /// Load the built-in KKiK values into a database without values, so the site shows
        /// real results offline (a database without municipalities gets the built-in
        /// municipalities, catalogue, map, sets and frameworks on any start)
        #[arg(long)]
        demo: bool,
    },
    /// Create or update the database schema (import and serve also do this)
    Migrate,
    /// Write a consistent copy of the SQLite database to FILE while it is in use
    /// (PostgreSQL: pg_dump, docs/operations.md)
    Backup {
        /// The copy to write; must not exist
        file: PathBuf,
    },
    /// Put a backup in place of the SQLite database, after checking it (stop the servers
    /// first; the database it replaces is kept beside it as FILE.before-restore)
    Restore {
        /// The backup to restore
        file: PathBuf,
    },
    /// Import files or directories: Kolada API v3 JSON, long value CSV (optionally .gz),
    /// the KPI catalogue and municipality CSVs, measure sets, frameworks and goal plans.
    /// Metadata is imported before values, and goal plans last; each file is one transaction.
    Import(ImportArgs),
    /// Write values as CSV (kpi,municipality_id,year,gender,value,status,count), which
    /// `import` reads back
    Export(ExportArgs),
    /// Fetch municipalities, groups, the KPI catalogue and values from Kolada API v3 (or
    /// another kvalitet's /v3). Each page is imported as one transaction; a rerun after an
    /// interruption completes the data.
    Sync(SyncArgs),
    /// Write the comparison statistics of every measure, year and gender over all kommuner
    /// as CSV: n, snitt, median, quartiles, lowest, highest, and the colour counts
    Stats(StatsArgs),
    /// Write a municipality's yearly quality report as an accessible PDF (PDF/UA-1; with
    /// --archival also PDF/A-2a), the same file as /kommun/ID/rapport/YEAR.pdf
    Report(ReportArgs),
    /// Manage people and their roles (the first administrator starts here)
    #[command(subcommand)]
    User(UserCommand),
    /// Work with assessment frameworks (Kommunkompassen, Informationsindex, ...)
    #[command(subcommand)]
    Framework(FrameworkCommand),
    /// Work with goal plans: vision, goals, indicators and targets (docs/goals.md)
    #[command(subcommand)]
    Goals(GoalsCommand),
    /// Background jobs: list them, queue one, or work on them without serving
    /// (docs/operations.md)
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// Work with surveys: weighting respondents (docs/surveys.md); needs no database
    #[command(subcommand)]
    Survey(SurveyCommand),
    /// Work with citizen budgets (docs/dialogue.md); needs no database
    #[command(subcommand)]
    Budget(BudgetCommand),
}

#[derive(Subcommand)]
enum BudgetCommand {
    /// Count a round in Pabulib's .pb format: prints the selected project ids (in the order
    /// chosen), their total cost and the budget as JSON; exits 1 on a bad file, naming the line
    Count(CountArgs),
}

#[derive(clap::Args)]
struct CountArgs {
    /// The round (META, PROJECTS, VOTES)
    file: PathBuf,
    /// greedy: by votes, skipping what does not fit; mes: the Method of Equal Shares with
    /// cost utilities
    #[arg(long, value_enum)]
    rule: CountRule,
    /// add1: raise each voter's share by one unit until the budget is used (mes only)
    #[arg(long, value_enum)]
    completion: Option<CountCompletion>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CountRule {
    Greedy,
    Mes,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CountCompletion {
    Add1,
}

#[derive(Subcommand)]
enum SurveyCommand {
    /// Rake respondents' weights to the population's shares: writes `id,weight` to standard
    /// output and a JSON summary (converged, iterations, max_error, deff, n_eff, min and max
    /// weight) to standard error; exits 3 when the weights did not converge, 1 on bad input
    Weight(WeightArgs),
    /// Read and check questionnaire files (TOML or JSON, as data/surveys/): prints each one's
    /// sections and questions, or every problem with its place
    Check { files: Vec<PathBuf> },
}

#[derive(clap::Args)]
struct WeightArgs {
    /// The respondents: an id column, then a column per variable, optionally base_weight
    /// (CSV with commas or semicolons, or .xlsx/.ods)
    #[arg(long)]
    sample: PathBuf,
    /// The population's shares: the columns variable, level, share (each variable's shares
    /// summing to 1)
    #[arg(long)]
    targets: PathBuf,
    /// Cap every weight at K times the mean weight (K at least 1)
    #[arg(long, value_name = "K")]
    cap: Option<f64>,
    /// Keep every weight at least K times the mean weight (K from 0 to 1)
    #[arg(long, value_name = "K")]
    floor: Option<f64>,
    /// The largest difference allowed between a weighted share and its target
    #[arg(long, default_value_t = 1e-6)]
    tolerance: f64,
    /// The most raking cycles
    #[arg(long, default_value_t = 1_000)]
    max_iterations: usize,
}

#[derive(Subcommand)]
enum GoalsCommand {
    /// Read and check plan files (TOML or JSON) against the measures in the database; prints
    /// each plan's goals by level, or every problem with its place
    Check { files: Vec<PathBuf> },
    /// Save a plan as its municipality's draft (replacing an earlier draft), checked whole;
    /// with --publish also publish it
    Import {
        file: PathBuf,
        #[arg(long)]
        publish: bool,
    },
}

#[derive(Subcommand)]
enum FrameworkCommand {
    /// Read and check framework files (TOML): ids, rules, weights and maxima; prints each
    /// area's maximum, or every problem with its place
    Check { files: Vec<PathBuf> },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; prints a generated password unless --password-stdin
    Add {
        email: String,
        #[arg(long)]
        name: String,
        /// May do everything in every municipality
        #[arg(long)]
        system_admin: bool,
        /// Give a role in this municipality at once (with --role)
        #[arg(long, value_parser = parse_municipality, requires = "role")]
        municipality: Option<MunicipalityId>,
        /// reader, editor or admin
        #[arg(long, value_parser = parse_role, requires = "municipality")]
        role: Option<Role>,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts with their roles
    List,
    /// Give a role in a municipality: reader, editor, admin, or none to take it away
    SetRole {
        email: String,
        #[arg(value_parser = parse_municipality)]
        municipality: MunicipalityId,
        role: String,
    },
    /// Set a new password (generated and printed unless --password-stdin); ends every session
    ResetPassword {
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Args)]
struct ReportArgs {
    /// The kommun's id, e.g. 0180
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    municipality: Option<String>,
    /// Every kommun's report, written to the directory --output as ID-YEAR.pdf (a kommun
    /// without values that year is named and skipped)
    #[arg(long)]
    all: bool,
    /// The year reported
    #[arg(long)]
    year: i64,
    /// The PDF to write (with --all: the directory)
    #[arg(long, short)]
    output: PathBuf,
    /// The report's language
    #[arg(long, value_parser = ["sv", "en"], default_value = "sv")]
    lang: String,
    /// Also PDF/A-2a, for the archive
    #[arg(long)]
    archival: bool,
}

#[derive(Args)]
struct StatsArgs {
    /// Colour measures that have no direction as if higher (or lower) were better
    #[arg(long, value_parser = ["higher", "lower", "none"], default_value = "none")]
    undirected: String,
    /// Write to this file instead of standard output
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct SyncArgs {
    /// The API's base URL
    #[arg(
        long,
        env = "KVALITET_KOLADA_URL",
        default_value = "https://api.kolada.se/v3"
    )]
    source: String,
    /// KPIs whose values to fetch [default: every KPI in the catalogue]
    #[arg(long = "kpi", value_delimiter = ',', value_parser = parse_measure)]
    kpis: Vec<MeasureId>,
    /// Also the KPIs of this measure set (e.g. kkik-2024)
    #[arg(long = "set")]
    sets: Vec<String>,
    /// Years, e.g. 2020,2021 or 1994-2022 [default: 1994 to this year]
    #[arg(long = "year", value_delimiter = ',', value_parser = parse_years)]
    years: Vec<Vec<Year>>,
    /// Only values changed since this day (YYYY-MM-DD), and the deletions since then
    #[arg(long, value_parser = parse_day)]
    since: Option<String>,
    /// Only values; skip municipalities, groups and the catalogue
    #[arg(long)]
    values_only: bool,
    /// Requests per second at most
    #[arg(long, default_value_t = 5.0)]
    rate: f64,
    /// Attempts per page before giving up (retries back off exponentially)
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=20))]
    attempts: u32,
    /// Items per page (Kolada's maximum is 5000)
    #[arg(long, default_value_t = 5000)]
    per_page: usize,
    /// Stop at the first page that fails instead of going on with the next
    #[arg(long)]
    fail_fast: bool,
    /// Print only the summary
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct ImportArgs {
    /// Files or directories (read recursively: *.csv, *.csv.gz, *.json, *.json.gz)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Read every file as this format instead of detecting it
    #[arg(long, value_parser = parse_format)]
    format: Option<Format>,
    /// Write the good rows and list the bad ones, instead of rejecting the whole file
    #[arg(long)]
    skip_bad_rows: bool,
    /// The year a KPI catalogue describes [default: a year in the file name, else this year]
    #[arg(long, value_parser = parse_year)]
    catalogue_year: Option<Year>,
    /// No progress bar
    #[arg(long, short)]
    quiet: bool,
    /// Publish the goal plans imported (each is otherwise saved as its municipality's draft)
    #[arg(long)]
    publish_goals: bool,
}

#[derive(Args)]
struct ExportArgs {
    /// Measure ids (repeat or separate with commas)
    #[arg(long = "measure", value_delimiter = ',', value_parser = parse_measure)]
    measures: Vec<MeasureId>,
    /// Municipality or group ids
    #[arg(long = "municipality", value_delimiter = ',', value_parser = parse_area)]
    municipalities: Vec<AreaId>,
    /// Years, e.g. 2021,2022 or 2015-2022
    #[arg(long = "year", value_delimiter = ',', value_parser = parse_years)]
    years: Vec<Vec<Year>>,
    /// Genders: T (total), K (women), M (men)
    #[arg(long = "gender", value_delimiter = ',', value_parser = parse_gender)]
    genders: Vec<Gender>,
    /// Write to this file instead of standard output
    #[arg(long, short)]
    output: Option<PathBuf>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).map_err(|e| e.to_string())
}
fn parse_year(s: &str) -> Result<Year, String> {
    Year::parse(s).map_err(|e| e.to_string())
}
fn parse_years(s: &str) -> Result<Vec<Year>, String> {
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (parse_year(a)?, parse_year(b)?);
            if a > b {
                return Err(format!("the range {s} runs backwards"));
            }
            (a.get()..=b.get())
                .map(|y| Year::new(y.into()).map_err(|e| e.to_string()))
                .collect()
        }
        None => Ok(vec![parse_year(s)?]),
    }
}
fn parse_day(s: &str) -> Result<String, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &format)
        .map(|_| s.to_owned())
        .map_err(|_| format!("{s:?} is not a date written YYYY-MM-DD"))
}
fn parse_measure(s: &str) -> Result<MeasureId, String> {
    MeasureId::parse(s).map_err(|e| e.to_string())
}
fn parse_area(s: &str) -> Result<AreaId, String> {
    AreaId::parse(s).map_err(|e| e.to_string())
}
fn parse_gender(s: &str) -> Result<Gender, String> {
    Gender::parse(s).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "kvalitet=info,kvalitet_web=info,kvalitet_app=info".into()),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().with_current_span(false).init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Weighting reads two files and writes to the terminal: no database is opened.
    let Cli {
        command,
        config,
        database_url,
        log_format: _,
    } = cli;
    let command = match command {
        Command::Survey(SurveyCommand::Weight(args)) => return survey_weight(&args),
        Command::Survey(SurveyCommand::Check { files }) => return Ok(check_questionnaires(&files)),
        Command::Budget(BudgetCommand::Count(args)) => return budget_count(&args),
        other => other,
    };
    let file = FileConfig::load(config.as_deref())?;
    let database_url = layered(
        database_url,
        &["DATABASE_URL"],
        file.database_url.clone(),
        DEFAULT_DATABASE_URL,
    );
    if let Command::Restore { file } = &command {
        return restore(&database_url, file).await;
    }
    let store = SqlStore::open_with(&database_url, &file.postgres_options())
        .await
        .with_context(|| format!("cannot open the database {}", redact(&database_url)))?;
    let code = match command {
        Command::Migrate => {
            eprintln!("{}: schema is up to date", redact(&database_url));
            ExitCode::SUCCESS
        }
        Command::Backup { file } => {
            anyhow::ensure!(!file.exists(), "{} exists already", file.display());
            store
                .backup_to(&file)
                .await
                .with_context(|| format!("no backup written to {}", file.display()))?;
            let version = SqlStore::check_sqlite_file(&file).await?;
            println!("backup written to {} (schema {version})", file.display());
            ExitCode::SUCCESS
        }
        Command::Restore { .. } => unreachable!("restored before the database is opened"),
        Command::Serve {
            addr,
            public_url,
            contact,
            screening_set,
            max_upload_mb,
            trust_forwarded_for,
            login_attempts_per_address,
            smtp_url,
            mail_from,
            demo,
        } => {
            first_start(&store, demo).await?;
            let addr = layered(addr, &[], file.serve.addr, DEFAULT_ADDR);
            let settings = ServeSettings {
                public_url: public_url.or(file.serve.public_url),
                contact: contact.or(file.serve.contact),
                screening_set: screening_set.or(file.serve.screening_set),
                max_upload_mb: max_upload_mb.or(file.serve.max_upload_mb),
                trust_forwarded_for: trust_forwarded_for
                    .or(file.serve.trust_forwarded_for)
                    .unwrap_or(false),
                login_attempts_per_address: login_attempts_per_address
                    .or(file.serve.login_attempts_per_address),
                smtp_url: smtp_url.or(file.mail.smtp_url),
                mail_from: mail_from.or(file.mail.from),
                worker: file.jobs.worker.unwrap_or(true),
                schedules: Vec::new(),
            };
            let mail = settings.smtp_url.as_deref().is_some_and(|u| !u.is_empty());
            let settings = ServeSettings {
                schedules: jobs::schedules(&file.jobs, mail)?,
                ..settings
            };
            serve(store.clone(), &addr, settings).await?;
            ExitCode::SUCCESS
        }
        Command::Import(args) => import(&store, args).await?,
        Command::Sync(args) => sync(&store, args).await?,
        Command::Export(args) => {
            export(&store, args).await?;
            ExitCode::SUCCESS
        }
        Command::Framework(FrameworkCommand::Check { files }) => check_frameworks(&files),
        Command::Goals(command) => goals(&store, command).await?,
        Command::Jobs(command) => {
            let mail = file.mail.smtp_url.as_deref().is_some_and(|u| !u.is_empty());
            let options = kvalitet_web::SiteOptions {
                public_url: file.serve.public_url.clone().unwrap_or_default(),
                mail,
                schedules: jobs::schedules(&file.jobs, mail)?,
                ..kvalitet_web::SiteOptions::default()
            };
            let backend = store.backend();
            let state = kvalitet_web::AppState::with_options(store.clone(), backend, options);
            jobs::command(state, command).await?
        }
        Command::Survey(_) | Command::Budget(_) => {
            unreachable!("answered before the database is opened")
        }
        Command::User(command) => {
            user(&store, command).await?;
            ExitCode::SUCCESS
        }
        Command::Stats(args) => {
            stats(&store, args).await?;
            ExitCode::SUCCESS
        }
        Command::Report(args) => report(&store, args).await?,
    };
    store.close().await;
    Ok(code)
}

/// The screening set named in the configuration, checked whole (its figures against the
/// catalogue too) before the site starts: a mistake stops the start with its line.
async fn read_screening_set(
    store: &SqlStore,
    path: &Path,
) -> anyhow::Result<kvalitet_web::ScreeningSetting> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    anyhow::ensure!(
        size <= kvalitet_formats::screening_file::MAX_BYTES as u64,
        "{} is larger than a screening set may be ({} bytes)",
        path.display(),
        kvalitet_formats::screening_file::MAX_BYTES
    );
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let directory = kvalitet_app::report::Directory::load(store).await?;
    let read = kvalitet_app::screening::read_set(&text, &directory)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?;
    Ok(kvalitet_web::ScreeningSetting { read, text })
}

/// What `serve` takes from the configuration layers.
struct ServeSettings {
    public_url: Option<String>,
    contact: Option<String>,
    screening_set: Option<PathBuf>,
    max_upload_mb: Option<f64>,
    trust_forwarded_for: bool,
    login_attempts_per_address: Option<u32>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    /// Do background jobs in this process.
    worker: bool,
    schedules: Vec<kvalitet_app::jobs::Schedule>,
}

/// Connections waiting to be accepted before the kernel drops new ones. Tokio's `bind` asks
/// for 1024; behind a proxy opening thousands of connections a second to a server whose
/// cores are busy that queue overflowed (`ListenOverflows` in /proc/net/netstat), the
/// dropped connection's retry came a second later and nginx answered 504. The kernel caps
/// it at `net.core.somaxconn` (4096 by default).
const LISTEN_BACKLOG: u32 = 8192;

/// A listener on `addr` (a host name or address with a port) with [`LISTEN_BACKLOG`].
async fn listen(addr: &str) -> std::io::Result<tokio::net::TcpListener> {
    let mut last = None;
    for address in tokio::net::lookup_host(addr).await? {
        let socket = if address.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        // As std's bind does: a restarted server may listen while old connections linger.
        socket.set_reuseaddr(true)?;
        match socket.bind(address) {
            Ok(()) => return socket.listen(LISTEN_BACKLOG),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to listen on")
    }))
}

async fn serve(store: SqlStore, addr: &str, settings: ServeSettings) -> anyhow::Result<()> {
    let ServeSettings {
        public_url,
        contact,
        screening_set,
        max_upload_mb,
        trust_forwarded_for,
        login_attempts_per_address,
        smtp_url,
        mail_from,
        worker,
        schedules,
    } = settings;
    let mailer = match (smtp_url.filter(|u| !u.is_empty()), mail_from) {
        (Some(url), Some(from)) => Some(
            kvalitet_mail::SmtpMailer::new(&url, &from)
                .with_context(|| format!("the mail settings ({}) are not usable", redact(&url)))?,
        ),
        (Some(_), None) => {
            anyhow::bail!("an SMTP relay needs a sender: set --mail-from or [mail] from")
        }
        (None, _) => None,
    };
    let listener = listen(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    eprintln!("kvalitet serves http://{bound}/ (Ctrl-C stops)");
    let backend = store.backend();
    let mut options = kvalitet_web::SiteOptions {
        public_url: public_url.unwrap_or_else(|| format!("http://{bound}")),
        contact: contact.unwrap_or_default(),
        trust_forwarded_for,
        mail: mailer.is_some(),
        typesetter: typesetter(),
        schedules,
        pool_stats: Some(kvalitet_web::PoolStats(Arc::new({
            let store = store.clone();
            move || store.pool_stats()
        }))),
        ..kvalitet_web::SiteOptions::default()
    };
    if let Some(n) = login_attempts_per_address {
        anyhow::ensure!(n >= 5, "--login-attempts-per-address must be at least 5");
        options.login_policy.per_address = n;
    }
    if let Some(mb) = max_upload_mb {
        anyhow::ensure!(
            mb > 0.0 && mb <= 1024.0,
            "--max-upload-mb must be between 0 and 1024"
        );
        options.max_upload_bytes = (mb * f64::from(1 << 20)) as usize;
    }
    if let Some(path) = screening_set {
        options.screening = std::sync::Arc::new(read_screening_set(&store, &path).await?);
    }
    let state = kvalitet_web::AppState::with_options(store.clone(), backend, options);
    tokio::spawn(hear_changes(store.clone(), state.clone()));
    if worker {
        let runner = jobs::CliJobs {
            state: state.clone(),
        };
        tokio::spawn(kvalitet_web::run_jobs(
            state.clone(),
            runner,
            jobs::worker_name(),
        ));
    }
    if let Some(mailer) = mailer {
        eprintln!("e-mail goes through the configured SMTP relay");
        tokio::spawn(kvalitet_web::run_mail(state.clone(), mailer));
    }
    // Requests in flight are finished before the process ends; new connections are refused.
    kvalitet_web::serve(state, listener, stop_signal()).await?;
    eprintln!("kvalitet stopped: the requests in flight were answered");
    Ok(())
}

/// `kvalitet restore FILE`: the backup is checked (integrity, kvalitet's schema, not newer
/// than this binary) before it replaces the SQLite file; the replaced file is kept.
async fn restore(database_url: &str, backup: &Path) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        !kvalitet_store::is_postgres_url(database_url),
        "a PostgreSQL database is restored with pg_restore (docs/operations.md)"
    );
    let version = SqlStore::check_sqlite_file(backup)
        .await
        .with_context(|| format!("{} cannot be restored", backup.display()))?;
    let newest = kvalitet_store::SQLITE_MIGRATIONS
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    anyhow::ensure!(
        version <= newest,
        "{} has schema {version}, newer than this kvalitet's {newest}: restore it with a newer kvalitet",
        backup.display()
    );
    let path = PathBuf::from(
        database_url
            .strip_prefix("sqlite://")
            .or_else(|| database_url.strip_prefix("sqlite:"))
            .unwrap_or(database_url),
    );
    let kept = PathBuf::from(format!("{}.before-restore", path.display()));
    if path.exists() {
        std::fs::rename(&path, &kept)
            .with_context(|| format!("cannot move {} aside", path.display()))?;
        // The old database's write-ahead log belongs to it, not to the restored one.
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", path.display()));
            if side.exists() {
                std::fs::rename(&side, format!("{}{suffix}", kept.display()))?;
            }
        }
    }
    std::fs::copy(backup, &path)
        .with_context(|| format!("cannot copy {} to {}", backup.display(), path.display()))?;
    // Brought up to this binary's schema now rather than at the next start.
    SqlStore::open(database_url).await?.close().await;
    println!(
        "restored {} (schema {version}) to {}{}",
        backup.display(),
        path.display(),
        if kept.exists() {
            format!("; the replaced database is {}", kept.display())
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Hears every data version moved by any server on the same PostgreSQL (LISTEN) and makes
/// this one forget its cached pages at once; while the connection is down it polls, as on
/// SQLite (`VERSION_TTL`).
async fn hear_changes(store: SqlStore, state: Arc<kvalitet_web::AppState<SqlStore>>) {
    loop {
        match store.version_listener().await {
            Ok(None) => return,
            Ok(Some(mut listener)) => {
                state.set_hearing_changes(true);
                state.version_changed();
                loop {
                    match listener.try_recv().await {
                        Ok(Some(_)) => {
                            state.set_hearing_changes(true);
                            state.version_changed();
                        }
                        // The connection was lost (the next call connects again): what
                        // was announced meanwhile is not heard, so poll until it is back.
                        Ok(None) => {
                            state.set_hearing_changes(false);
                            state.version_changed();
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "changes are not heard; polling");
                            break;
                        }
                    }
                }
                state.set_hearing_changes(false);
            }
            Err(e) => tracing::warn!(error = %e, "changes are not heard; polling"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
}

/// Ctrl-C, or SIGTERM (systemd's and Docker's way of asking a service to stop).
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Loads the built-in reference data into an empty database (and the demo's values when
/// asked), saying what it did.
async fn first_start(store: &SqlStore, demo: bool) -> anyhow::Result<()> {
    let clock = system_clock();
    let options = ImportOptions {
        format: None,
        skip_bad_rows: false,
        catalogue_year: None,
        current_year: Year::new(i64::from(clock.now().date().year()))?,
        clock,
    };
    let loaded = reference::load_if_empty(store, &options, demo).await?;
    if loaded.reference {
        eprintln!(
            "loaded the built-in reference data: municipalities, counties, groups, neighbours, map, KPI catalogue, measure sets, frameworks"
        );
    } else if !reference::COMPLETE && !kvalitet_app::report::contents(store).await?.municipalities {
        eprintln!(
            "this build carries no reference data; get it with `kvalitet sync --set kkik` (or `kvalitet import`)"
        );
    }
    if loaded.demo {
        eprintln!("loaded the built-in KKiK values (demo)");
    }
    Ok(())
}

async fn import(store: &SqlStore, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let clock = system_clock();
    let current_year = Year::new(i64::from(clock.now().date().year()))?;
    let options = ImportOptions {
        format: args.format,
        skip_bad_rows: args.skip_bad_rows,
        catalogue_year: args.catalogue_year,
        current_year,
        clock,
    };
    let progress: Arc<dyn Progress> = if args.quiet {
        Arc::new(NoProgress)
    } else {
        Arc::new(progress::Bar::new())
    };
    // Goal plans are whole plans for the goals use case, read after the measures they name.
    let (plans, others): (Vec<_>, Vec<_>) =
        kvalitet_app::import::plan_files(&args.paths, args.format)?
            .into_iter()
            .map(|(path, _)| path)
            .partition(|path| {
                kvalitet_app::import::detected_format(path, args.format) == Some(Format::GoalPlan)
            });
    let report = if others.is_empty() {
        kvalitet_app::import::ImportReport::default()
    } else {
        import_paths(store, &others, &options, progress).await?
    };
    for file in &report.files {
        let c = &file.counts;
        let format = file.format.unwrap_or("unknown format");
        match &file.failure {
            None => println!(
                "{}: {format}: read {}, inserted {}, updated {}, unchanged {}, deleted {}, rejected {}",
                file.path.display(),
                file.read,
                c.inserted,
                c.updated,
                c.unchanged,
                c.deleted,
                file.rejected
            ),
            Some(why) => println!("{}: {format}: REJECTED: {why}", file.path.display()),
        }
        for e in &file.errors {
            eprintln!("  {e}");
        }
        if file.rejected as usize > file.errors.len() {
            eprintln!(
                "  ... and {} more bad rows",
                file.rejected as usize - file.errors.len()
            );
        }
    }
    let (read, rejected, c) = report.totals();
    if !report.files.is_empty() {
        println!(
            "total: {} file(s), read {read}, inserted {}, updated {}, unchanged {}, deleted {}, rejected {rejected}",
            report.files.len(),
            c.inserted,
            c.updated,
            c.unchanged,
            c.deleted
        );
    }
    let mut plans_saved = true;
    if !plans.is_empty() {
        let known = store.known_ids().await?;
        for path in &plans {
            plans_saved &= import_goal_plan(store, &known, path, args.publish_goals).await;
        }
    }
    Ok(if !report.succeeded() || !plans_saved {
        ExitCode::FAILURE
    } else if rejected > 0 {
        ExitCode::from(EXIT_ROWS_SKIPPED)
    } else {
        ExitCode::SUCCESS
    })
}

/// A progress bar over the queries, with the counts so far and an ETA (hidden when standard
/// error is not a terminal).
struct SyncBar {
    bar: indicatif::ProgressBar,
    counts: std::sync::Mutex<kvalitet_app::WriteCounts>,
}

impl SyncBar {
    fn new(quiet: bool) -> Self {
        let bar = if quiet {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new(0)
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} queries, ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Self {
            bar,
            counts: Default::default(),
        }
    }
}

impl SyncProgress for SyncBar {
    fn planned(&self, queries: u64) {
        self.bar.set_length(queries);
    }

    fn page(&self, _url: &str, r: &kvalitet_app::import::FileReport) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts += r.counts;
        self.bar.set_message(format!(
            "new {}, changed {}, deleted {}, unchanged {}",
            counts.inserted, counts.updated, counts.deleted, counts.unchanged
        ));
    }

    fn query_done(&self) {
        self.bar.inc(1);
    }
}

/// The Kolada client and the sync's options from `kvalitet sync`'s arguments (the command's
/// and the `sync` job's): the years, the KPIs of the sets named, the politeness settings.
async fn sync_setup(
    store: &SqlStore,
    args: SyncArgs,
) -> anyhow::Result<(kvalitet_kolada::KoladaClient, SyncOptions)> {
    let this_year = time::OffsetDateTime::now_utc().year();
    let current_year = Year::new(i64::from(this_year))?;
    let mut years: Vec<Year> = args.years.into_iter().flatten().collect();
    if years.is_empty() {
        years = (1994..=this_year)
            .map(|y| Year::new(i64::from(y)))
            .collect::<Result<_, _>>()?;
    }
    if args.per_page == 0 || args.per_page > 5000 {
        anyhow::bail!("--per-page must be from 1 to 5000");
    }
    let client = kvalitet_kolada::KoladaClient::new(kvalitet_kolada::ClientOptions {
        requests_per_second: args.rate,
        attempts: args.attempts,
        ..kvalitet_kolada::ClientOptions::default()
    })?;
    let mut kpis = args.kpis;
    for id in &args.sets {
        let set = store
            .measure_set(id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no measure set {id:?}"))?;
        kpis.extend(set.measures().map(|(_, item)| item.measure));
    }
    kpis.sort();
    kpis.dedup();
    let options = SyncOptions {
        base_url: args.source,
        kpis,
        years,
        values_only: args.values_only,
        per_page: args.per_page,
        since: args.since,
        fail_fast: args.fail_fast,
        import: ImportOptions {
            format: None,
            skip_bad_rows: false,
            catalogue_year: Some(current_year),
            current_year,
            clock: system_clock(),
        },
    };
    Ok((client, options))
}

async fn sync(store: &SqlStore, args: SyncArgs) -> anyhow::Result<ExitCode> {
    let quiet = args.quiet;
    let (client, options) = sync_setup(store, args).await?;
    let bar = SyncBar::new(quiet);
    let report = kvalitet_app::sync::sync(store, &client, &options, &bar).await;
    bar.bar.finish_and_clear();
    for e in &report.errors {
        eprintln!("error: {e}");
    }
    if report.skipped > 0 {
        println!(
            "resumed an interrupted sync: skipped {} finished queries",
            report.skipped
        );
    }
    let c = report.counts;
    println!(
        "sync: {} request(s), records read {}, inserted {}, updated {}, unchanged {}, deleted {}, failed pages {}",
        report.requests,
        report.records_read,
        c.inserted,
        c.updated,
        c.unchanged,
        c.deleted,
        report.errors.len()
    );
    Ok(if report.succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `kvalitet goals check|import`: plans checked against the measures the database knows; an
/// import runs as the command line's system actor, as every other command does.
async fn goals(store: &SqlStore, command: GoalsCommand) -> anyhow::Result<ExitCode> {
    let known = store.known_ids().await?;
    let known_measure =
        |id: &str| MeasureId::parse(id).is_ok_and(|id| known.measures.contains(&id));
    match command {
        GoalsCommand::Check { files } => {
            let mut code = ExitCode::SUCCESS;
            for path in &files {
                match read_plan_file(path)
                    .and_then(|t| kvalitet_formats::goal_file::read(&t, known_measure))
                {
                    Ok(plan) => {
                        let count = |level| plan.goals.iter().filter(|g| g.level == level).count();
                        let indicators: usize = plan.goals.iter().map(|g| g.indicators.len()).sum();
                        use kvalitet_domain::goals::Level;
                        println!(
                            "{}: {}: {} goals (vision {}, kf {}, namnd {}, unit {}, activities {}), {indicators} indicators",
                            path.display(),
                            plan.municipality,
                            plan.goals.len(),
                            count(Level::Vision),
                            count(Level::Council),
                            count(Level::Committee),
                            count(Level::Unit),
                            count(Level::Activity),
                        );
                    }
                    Err(errors) => {
                        report_plan_problems(path, errors);
                        code = ExitCode::FAILURE;
                    }
                }
            }
            Ok(code)
        }
        GoalsCommand::Import { file, publish } => {
            Ok(if import_goal_plan(store, &known, &file, publish).await {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// A plan file read whole (at most `MAX_PLAN_BYTES`), or why not.
fn read_plan_file(path: &Path) -> Result<String, Vec<kvalitet_domain::Message>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![kvalitet_domain::Message::from(e.to_string())])?;
    if text.len() > kvalitet_app::goals::MAX_PLAN_BYTES {
        return Err(vec![kvalitet_domain::Message::from(format!(
            "larger than {} MB",
            kvalitet_app::goals::MAX_PLAN_BYTES >> 20
        ))]);
    }
    Ok(text)
}

fn report_plan_problems(path: &Path, errors: Vec<kvalitet_domain::Message>) {
    for e in errors {
        eprintln!("{}: {e}", path.display());
    }
}

/// Saves a plan file as its municipality's draft (and publishes it when asked) as the command
/// line's system actor, as every other command does; says what happened. True when saved.
async fn import_goal_plan(
    store: &SqlStore,
    known: &kvalitet_app::ports::KnownIds,
    path: &Path,
    publish: bool,
) -> bool {
    let known_measure =
        |id: &str| MeasureId::parse(id).is_ok_and(|id| known.measures.contains(&id));
    let text = match read_plan_file(path) {
        Ok(text) => text,
        Err(errors) => {
            report_plan_problems(path, errors);
            return false;
        }
    };
    let grants = kvalitet_domain::Grants {
        system_admin: true,
        ..kvalitet_domain::Grants::default()
    };
    let actor = cli_actor();
    let imported =
        kvalitet_app::goals::import_plan(store, &grants, &text, known_measure, &actor).await;
    let (m, id, n) = match imported {
        Ok(done) => done,
        Err(kvalitet_app::refusal::Refusal::BadRows(errors)) => {
            report_plan_problems(path, errors);
            return false;
        }
        Err(e) => {
            report_plan_problems(path, vec![e.message()]);
            return false;
        }
    };
    println!(
        "{}: goal-plan: saved as the draft goal plan of {m} ({n} goals)",
        path.display()
    );
    if publish {
        if let Err(e) = kvalitet_app::goals::publish_plan(store, &grants, &m, id, &actor).await {
            report_plan_problems(path, vec![e.message()]);
            return false;
        }
        println!("{}: published", path.display());
    }
    true
}

fn check_frameworks(files: &[PathBuf]) -> ExitCode {
    let mut ok = true;
    for path in files {
        let read = std::fs::read_to_string(path)
            .map_err(|e| vec![kvalitet_domain::Message::from(e.to_string())])
            .and_then(|text| kvalitet_formats::framework_toml::read(&text));
        match read {
            Ok(f) => {
                println!(
                    "{}: {} {} (from {}), {} areas",
                    path.display(),
                    f.name,
                    f.version,
                    f.valid_from,
                    f.areas.len()
                );
                for area in &f.areas {
                    println!(
                        "  {} {}: {} questions, max {}",
                        area.id,
                        area.title,
                        area.questions.len(),
                        kvalitet_domain::assessment::Framework::area_max(area)
                    );
                }
            }
            Err(errors) => {
                ok = false;
                for e in errors {
                    eprintln!("{}: {e}", path.display());
                }
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn parse_municipality(s: &str) -> Result<MunicipalityId, String> {
    MunicipalityId::parse(s).map_err(|e| e.to_string())
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("{s:?} is not reader, editor or admin"))
}

/// A password from standard input, or a generated one that is printed once.
fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        return Ok((line.trim_end_matches(['\r', '\n']).to_owned(), false));
    }
    // 20 characters from 56 letters and digits without look-alikes: about 116 bits.
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let token = kvalitet_app::accounts::new_token()?;
    let password = token
        .as_bytes()
        .chunks(3)
        .take(20)
        .map(|c| {
            let n = c.iter().fold(0usize, |acc, b| {
                acc * 16 + (*b as char).to_digit(16).unwrap_or(0) as usize
            });
            ALPHABET[n % ALPHABET.len()] as char
        })
        .collect();
    Ok((password, true))
}

/// The command line tells the time by the system's clock (the site's is set in serve).
fn system_clock() -> Arc<dyn kvalitet_app::ports::Clock> {
    Arc::new(kvalitet_app::ports::SystemClock)
}

fn cli_actor() -> Actor {
    let login = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    Actor {
        who: format!("cli:{login}"),
        at: system_clock().now(),
    }
}

async fn user(store: &SqlStore, command: UserCommand) -> anyhow::Result<()> {
    use kvalitet_app::accounts;
    match command {
        UserCommand::Add {
            email,
            name,
            system_admin,
            municipality,
            role,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            let actor = cli_actor();
            let hasher = accounts::Hasher::for_this_machine();
            accounts::add_user(
                store,
                &hasher,
                &email,
                &name,
                &password,
                system_admin,
                &actor,
            )
            .await?;
            if let (Some(m), Some(r)) = (municipality, role) {
                accounts::set_role(store, &email, &m, Some(r), &actor).await?;
            }
            eprintln!("created {}", accounts::normalise_email(&email)?);
            if generated {
                println!("{password}");
                eprintln!("(the password above is shown once; give it to the person safely)");
            }
        }
        UserCommand::List => {
            println!("email\tname\tsystem_admin\troles\tcreated_at");
            for u in store.users().await? {
                let roles: Vec<String> = u
                    .grants
                    .roles
                    .iter()
                    .map(|(m, r)| format!("{m}:{}", r.code()))
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.email,
                    u.name,
                    u.grants.system_admin,
                    roles.join(","),
                    u.created_at
                );
            }
        }
        UserCommand::SetRole {
            email,
            municipality,
            role,
        } => {
            let role = match role.as_str() {
                "none" => None,
                other => Some(parse_role(other).map_err(anyhow::Error::msg)?),
            };
            accounts::set_role(store, &email, &municipality, role, &cli_actor()).await?;
            eprintln!(
                "{email}: {} in {municipality}",
                role.map_or("no role", Role::code)
            );
        }
        UserCommand::ResetPassword {
            email,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            let hasher = accounts::Hasher::for_this_machine();
            accounts::set_password(store, &hasher, &email, &password, &cli_actor()).await?;
            eprintln!("new password set for {email}; every session of the account ended");
            if generated {
                println!("{password}");
            }
        }
    }
    Ok(())
}

/// Makes the yearly report through the site's own code, so the file is the one the site
/// serves for the same data; with `--all` every kommun's, as many at once as there are cores.
async fn report(store: &SqlStore, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let lang = if args.lang == "en" {
        kvalitet_web::Lang::En
    } else {
        kvalitet_web::Lang::Sv
    };
    let year = Year::new(args.year).map_err(|e| anyhow::anyhow!("--year {}: {e}", args.year))?;
    let state = kvalitet_web::AppState::with_options(
        store.clone(),
        store.backend(),
        site_options_for_reports(),
    );
    let Some(id) = args.municipality else {
        return report_all(state, lang, year, args.archival, &args.output).await;
    };
    match kvalitet_web::yearly_report_pdf(&state, lang, &id, year, args.archival).await {
        Ok((pdf, title)) => {
            std::fs::write(&args.output, &pdf)
                .with_context(|| format!("cannot write {}", args.output.display()))?;
            eprintln!("{title}: {} ({} bytes)", args.output.display(), pdf.len());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => anyhow::bail!("{}", e.message_in(lang)),
    }
}

/// Every kommun's yearly report into `dir`. A kommun without values that year is named and
/// skipped; any other failure stops the run.
async fn report_all(
    state: std::sync::Arc<kvalitet_web::AppState<SqlStore>>,
    lang: kvalitet_web::Lang,
    year: Year,
    archival: bool,
    dir: &Path,
) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let kommuner = kvalitet_app::report::Directory::load(&state.store)
        .await?
        .kommuner;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(cores));
    let mut tasks = tokio::task::JoinSet::new();
    for kommun in kommuner {
        let (state, permits) = (state.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let id = kommun.id.to_string();
            let made = kvalitet_web::yearly_report_pdf(&state, lang, &id, year, archival).await;
            (id, made)
        });
    }
    let (mut written, mut skipped) = (0usize, Vec::new());
    while let Some(done) = tasks.join_next().await {
        let (id, made) = done?;
        match made {
            Ok((pdf, _)) => {
                let path = dir.join(format!("{id}-{year}.pdf"));
                std::fs::write(&path, &pdf)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                written += 1;
            }
            Err(e) if e.status.as_u16() == 404 => {
                skipped.push(format!("{id}: {}", e.message_in(lang)));
            }
            Err(e) => anyhow::bail!("{id}: {}", e.message_in(lang)),
        }
    }
    skipped.sort();
    for line in &skipped {
        eprintln!("skipped {line}");
    }
    eprintln!(
        "{written} report(s) written to {}, {} skipped",
        dir.display(),
        skipped.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The site's options with the typesetter the binary carries.
fn site_options_for_reports() -> kvalitet_web::SiteOptions {
    kvalitet_web::SiteOptions {
        typesetter: typesetter(),
        ..kvalitet_web::SiteOptions::default()
    }
}

#[cfg(feature = "pdf")]
fn typesetter() -> Option<std::sync::Arc<dyn kvalitet_app::ports::Typesetter>> {
    Some(std::sync::Arc::new(kvalitet_pdf::TypstTypesetter))
}

#[cfg(not(feature = "pdf"))]
fn typesetter() -> Option<std::sync::Arc<dyn kvalitet_app::ports::Typesetter>> {
    None
}

async fn stats(store: &SqlStore, args: StatsArgs) -> anyhow::Result<()> {
    let undirected = Direction::parse(&args.undirected).unwrap_or(Direction::None);
    let counts = match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            kvalitet_app::stats::write_statistics(store, undirected, file).await?
        }
        None => kvalitet_app::stats::write_statistics(store, undirected, std::io::stdout()).await?,
    };
    eprintln!(
        "{} comparisons of {} values",
        counts.comparisons, counts.values
    );
    Ok(())
}

async fn export(store: &SqlStore, args: ExportArgs) -> anyhow::Result<()> {
    let filter = ValueFilter {
        measures: args.measures,
        areas: args.municipalities,
        years: args.years.into_iter().flatten().collect(),
        genders: args.genders,
        changed_since: None,
    };
    let n = match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            export_csv(store, &filter, std::io::BufWriter::new(file)).await?
        }
        None => export_csv(store, &filter, std::io::BufWriter::new(std::io::stdout())).await?,
    };
    eprintln!("exported {n} values");
    Ok(())
}

/// A file read whole, refused before reading when it is larger than `max` bytes.
fn read_bounded(path: &Path, max: u64) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > max {
        anyhow::bail!("{}: larger than {} MB", path.display(), max >> 20);
    }
    Ok(bytes)
}

/// `kvalitet budget count`: a `.pb` round counted by a rule, the outcome as JSON on standard
/// output (docs/dialogue.md).
fn budget_count(args: &CountArgs) -> anyhow::Result<ExitCode> {
    use kvalitet_domain::budget::{Completion, Rule};
    let rule = match (args.rule, args.completion) {
        (CountRule::Greedy, None) => Rule::Greedy,
        (CountRule::Greedy, Some(_)) => anyhow::bail!("--completion goes with --rule mes only"),
        (CountRule::Mes, completion) => Rule::EqualShares {
            completion: match completion {
                Some(CountCompletion::Add1) => Completion::Add1,
                None => Completion::None,
            },
        },
    };
    let bytes = read_bounded(&args.file, kvalitet_app::budget::MAX_PB_BYTES)?;
    let counted = match kvalitet_app::budget::count_pb(&bytes, rule) {
        Ok(c) => c,
        Err(problems) => {
            for problem in problems {
                eprintln!("{}: {problem}", args.file.display());
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let projects = &counted.round.election.projects;
    let summary = serde_json::json!({
        "rule": rule.code(),
        "selected": counted.outcome.funded.iter().map(|&p| &projects[p].id).collect::<Vec<_>>(),
        "cost": counted.outcome.cost,
        "budget": counted.round.election.budget,
        "voters": counted.round.election.ballots.len(),
        "share": counted.outcome.share,
        "runs": counted.outcome.runs,
    });
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

/// `kvalitet survey weight`: respondents raked to the population's shares; the weights to
/// standard output, the summary to standard error (docs/surveys.md).
fn survey_weight(args: &WeightArgs) -> anyhow::Result<ExitCode> {
    use kvalitet_app::surveys::{self, WeightingError, WeightingInput};
    use kvalitet_domain::weighting::{Bounds, RakeOptions};
    use std::io::Write;
    if args.cap.is_some_and(|k| !(k >= 1.0 && k.is_finite())) {
        anyhow::bail!("--cap must be a number of at least 1 (times the mean weight)");
    }
    if args.floor.is_some_and(|k| !(0.0..=1.0).contains(&k)) {
        anyhow::bail!("--floor must be a number from 0 to 1 (times the mean weight)");
    }
    if !(args.tolerance > 0.0 && args.tolerance < 1.0) {
        anyhow::bail!("--tolerance must be above 0 and below 1");
    }
    if args.max_iterations == 0 || args.max_iterations > 100_000 {
        anyhow::bail!("--max-iterations must be from 1 to 100000");
    }
    let sample = read_bounded(&args.sample, surveys::MAX_SAMPLE_BYTES)?;
    let targets = read_bounded(&args.targets, surveys::MAX_TARGETS_BYTES)?;
    let options = RakeOptions {
        tolerance: args.tolerance,
        max_iterations: args.max_iterations,
        bounds: Bounds {
            low: args.floor,
            high: args.cap,
        },
    };
    let weighted = match surveys::weight_files(&sample, &targets, &options) {
        Ok(w) => w,
        Err(WeightingError::In(input, problems)) => {
            let path = match input {
                WeightingInput::Targets => &args.targets,
                WeightingInput::Sample => &args.sample,
            };
            for problem in problems {
                eprintln!("{}: {problem}", path.display());
            }
            return Ok(ExitCode::FAILURE);
        }
        Err(WeightingError::Together(problem)) => {
            eprintln!(
                "{} and {}: {problem}",
                args.sample.display(),
                args.targets.display()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let stdout = std::io::stdout();
    let mut out = csv::Writer::from_writer(std::io::BufWriter::new(stdout.lock()));
    out.write_record(["id", "weight"])?;
    for (id, w) in weighted.ids.iter().zip(&weighted.raked.weights) {
        out.write_record([id.as_str(), &w.to_string()])?;
    }
    out.flush()?;
    let summary = serde_json::json!({
        "converged": weighted.raked.converged,
        "iterations": weighted.raked.iterations,
        "max_error": weighted.raked.max_error,
        "n": weighted.ids.len(),
        "deff": weighted.deff,
        "n_eff": weighted.n_eff,
        "min_weight": weighted.min_weight,
        "max_weight": weighted.max_weight,
        "discrepancy": weighted
            .discrepancies
            .iter()
            .map(|(variable, before, after)| {
                (variable.clone(), serde_json::json!({"before": before, "after": after}))
            })
            .collect::<serde_json::Map<_, _>>(),
    });
    writeln!(std::io::stderr(), "{summary}")?;
    Ok(if weighted.raked.converged {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// `kvalitet survey check`: questionnaires read and checked whole.
fn check_questionnaires(files: &[PathBuf]) -> ExitCode {
    use kvalitet_formats::questionnaire_file::{self, MAX_QUESTIONNAIRE_BYTES};
    let mut ok = true;
    for path in files {
        let read = read_bounded(path, MAX_QUESTIONNAIRE_BYTES as u64)
            .map_err(|e| vec![kvalitet_domain::Message::from(e.to_string())])
            .and_then(|bytes| {
                String::from_utf8(bytes).map_err(|e| {
                    vec![
                        kvalitet_domain::Message::new("not_utf8")
                            .with("byte", e.utf8_error().valid_up_to()),
                    ]
                })
            })
            .and_then(|text| questionnaire_file::read(&text));
        match read {
            Ok(q) => {
                println!(
                    "{}: {} \"{}\": {} sections, {} questions",
                    path.display(),
                    q.id,
                    q.title.sv,
                    q.sections.len(),
                    q.questions().count()
                );
                for section in &q.sections {
                    let kinds: Vec<&str> =
                        section.questions.iter().map(|x| x.kind.code()).collect();
                    println!("  {}: {}", section.title.sv, kinds.join(", "));
                }
            }
            Err(problems) => {
                ok = false;
                for problem in problems {
                    eprintln!("{}: {problem}", path.display());
                }
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
