//! The state every handler shares: the store, the site's settings, the compiled templates
//! and the caches that live until the next change of data (see `data_version`).

use std::sync::Arc;

use minijinja::Environment;

use kvalitet_app::Store;
use kvalitet_app::ports::Versions;

use crate::{cache, charts, kolada_v3};

/// Shared state of every handler.
pub struct AppState<S> {
    pub store: S,
    /// The site's address as others reach it (`https://kvalitet.example.se`), for embed codes;
    /// empty gives paths relative to the site.
    pub public_url: String,
    /// Where residents report accessibility problems; empty when not configured.
    pub contact: String,
    /// The largest upload of values accepted.
    pub max_upload_bytes: usize,
    /// How failed logins are counted and held back.
    pub login_policy: kvalitet_domain::LoginPolicy,
    /// Hashes and checks passwords a few at a time.
    pub hasher: kvalitet_app::accounts::Hasher,
    /// What time it is (the system's clock; a fixed one in tests).
    pub clock: Arc<dyn kvalitet_app::ports::Clock>,
    /// Whether the client's address is the last one in `X-Forwarded-For` (behind a reverse
    /// proxy that sets it) rather than the connection's.
    pub trust_forwarded_for: bool,
    /// "sqlite" or "postgres", shown on the start page.
    pub backend: &'static str,
    /// An SMTP relay is configured: invitations, notices and reminders are queued as e-mail.
    pub mail: bool,
    pub(crate) templates: Environment<'static>,
    /// Answers of the `/v3/` API, valid until the next import.
    pub(crate) v3_cache: cache::ResponseCache<kolada_v3::Answer>,
    /// All rows of a `/v3/data` query, so its pages are cut from one computation.
    pub(crate) v3_rows: cache::ResponseCache<kolada_v3::Rows>,
    /// The catalogue as the site needs it, with the data version it was loaded at.
    pub(crate) directory: cache::ResponseCache<Arc<kvalitet_app::report::Directory>>,
    /// Each measure's values per gender, as the comparisons read them.
    pub(crate) series_cache: cache::ResponseCache<Arc<kvalitet_app::report::Series>>,
    /// Rendered pages of the citizen site and answers of `/api/v1`.
    pub(crate) pages: cache::ResponseCache,
    /// The last data versions seen and when they were read.
    pub(crate) version: std::sync::Mutex<VersionSeen>,
    /// Taken by the one request that reads the versions from the store: when a change is
    /// heard, hundreds of requests in flight would otherwise each ask the database at once.
    pub(crate) version_read: tokio::sync::Mutex<()>,
    /// Changes are announced to this server (PostgreSQL LISTEN is connected).
    pub(crate) hearing_changes: std::sync::atomic::AtomicBool,
    /// Survey answers on their way to the store, written together at busy times.
    pub(crate) answers: crate::answers::WriteQueue<kvalitet_app::ports::NewResponse>,
    /// Citizen-budget ballots on their way to the store, written together at busy times.
    pub(crate) ballots: crate::answers::WriteQueue<kvalitet_app::ports::NewBudgetBallot>,
    /// Citizen-budget rounds open for voting, as their voters read them.
    pub(crate) open_rounds: crate::budget::OpenRounds,
    /// Sets reports as PDF, when the binary carries a typesetter.
    pub(crate) typesetter: Option<Arc<dyn kvalitet_app::ports::Typesetter>>,
    /// The Sveriges Kvalitetskommun screening set.
    pub(crate) screening: Arc<crate::site::ScreeningSetting>,
    /// The jobs run on a schedule (shown on the jobs page; the caller runs [`crate::run_jobs`]).
    pub schedules: Arc<Vec<kvalitet_app::jobs::Schedule>>,
    /// What `/metrics` tells.
    pub(crate) metrics: crate::metrics::Metrics,
    /// Residents' forms with files read at once: each may hold several megabytes in memory
    /// until it is checked, so anyone sending many at a time waits rather than fills memory.
    pub(crate) public_uploads: tokio::sync::Semaphore,
    /// Reports set at once: one takes tens of milliseconds of a core, so as many as there
    /// are cores, and a crowd asking for PDFs waits in line while pages are still served.
    pub(crate) typesetting: tokio::sync::Semaphore,
}

/// How many residents' forms with files are read at once.
pub(crate) const PUBLIC_UPLOADS_AT_ONCE: usize = 8;

/// How long a data version is trusted before the database is asked again: an import
/// committed by another process shows within this time, and a busy server asks the
/// database a few times a second instead of once per request.
pub const VERSION_TTL: std::time::Duration = std::time::Duration::from_millis(200);

/// How long a data version is trusted while this server hears every change announced
/// (PostgreSQL's LISTEN): the look at the database is then only a safety net.
pub const LISTENING_VERSION_TTL: std::time::Duration = std::time::Duration::from_secs(5);

impl<S: Store> AppState<S> {
    /// Forgets the data version, after a change made by this process, so the next request
    /// sees the change at once.
    pub(crate) fn invalidate_version(&self) {
        let mut seen = self.version.lock().unwrap_or_else(|p| p.into_inner());
        seen.read = None;
        seen.forgotten += 1;
    }

    /// Another server moved the data version (an announcement heard): this one forgets
    /// its own, so the next request reads the new one.
    pub fn version_changed(&self) {
        self.invalidate_version();
    }

    /// Whether this server hears every change announced; while it does, it trusts its data
    /// version for [`LISTENING_VERSION_TTL`] instead of [`VERSION_TTL`].
    pub fn set_hearing_changes(&self, hearing: bool) {
        self.hearing_changes
            .store(hearing, std::sync::atomic::Ordering::Relaxed);
    }

    /// The current data version (what pages key on).
    pub(crate) async fn data_version(&self) -> Result<i64, kvalitet_app::StoreError> {
        Ok(self.versions().await?.data)
    }

    /// The current data and values versions, read from the store at most once per
    /// [`VERSION_TTL`] (or [`LISTENING_VERSION_TTL`] while changes are announced), and by
    /// one request at a time: the others wait for its answer.
    pub(crate) async fn versions(&self) -> Result<Versions, kvalitet_app::StoreError> {
        let ttl = if self
            .hearing_changes
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            LISTENING_VERSION_TTL
        } else {
            VERSION_TTL
        };
        let fresh = || {
            let seen = self.version.lock().unwrap_or_else(|p| p.into_inner());
            let fresh = seen.read.filter(|(at, _)| at.elapsed() < ttl).map(|r| r.1);
            (fresh, seen.forgotten)
        };
        if let (Some(v), _) = fresh() {
            return Ok(v);
        }
        let _turn = self.version_read.lock().await;
        let (kept, forgotten) = fresh();
        if let Some(v) = kept {
            return Ok(v);
        }
        let v = self.store.versions().await?;
        let mut seen = self.version.lock().unwrap_or_else(|p| p.into_inner());
        // Forgotten while it was read (a change heard or made here): the answer may predate
        // the change, so it is used once but not kept.
        if seen.forgotten == forgotten {
            seen.read = Some((std::time::Instant::now(), v));
        }
        Ok(v)
    }
}

/// The data versions as this server last read them.
#[derive(Debug, Default)]
pub(crate) struct VersionSeen {
    /// The versions and when they were read; none after a change was heard or made here.
    read: Option<(std::time::Instant, Versions)>,
    /// How many times the versions were forgotten: a read that began before the latest
    /// forgetting is not kept.
    forgotten: u64,
}

/// The directory is kept alone: it counts as one of one.
impl cache::CacheSize for Arc<kvalitet_app::report::Directory> {
    fn size(&self) -> usize {
        1
    }
}

impl cache::CacheSize for Arc<kvalitet_app::report::Series> {
    fn size(&self) -> usize {
        kvalitet_app::report::Series::size(self)
    }
}

/// Settings of a running site.
#[derive(Debug, Clone)]
pub struct SiteOptions {
    /// The address residents and embedding sites use; empty for relative links.
    pub public_url: String,
    /// Where residents report accessibility problems; empty when not configured.
    pub contact: String,
    /// The largest upload of values accepted (CSV or Excel).
    pub max_upload_bytes: usize,
    /// How failed logins are counted and held back.
    pub login_policy: kvalitet_domain::LoginPolicy,
    /// Take the client's address from the last entry of `X-Forwarded-For`: only behind a
    /// reverse proxy that sets it, since anyone can send the header.
    pub trust_forwarded_for: bool,
    /// What time it is.
    pub clock: Arc<dyn kvalitet_app::ports::Clock>,
    /// An SMTP relay is configured (the caller runs [`crate::run_mail`]).
    pub mail: bool,
    /// The Sveriges Kvalitetskommun screening set (the shipped one by default).
    pub screening: Arc<crate::site::ScreeningSetting>,
    /// Sets reports as PDF (`kvalitet-pdf`); without one the report addresses answer 404.
    pub typesetter: Option<Arc<dyn kvalitet_app::ports::Typesetter>>,
    /// The jobs run on a schedule.
    pub schedules: Vec<kvalitet_app::jobs::Schedule>,
    /// The database pool's connections (open, idle), for `/metrics`.
    pub pool_stats: Option<crate::metrics::PoolStats>,
}

impl Default for SiteOptions {
    fn default() -> Self {
        Self {
            public_url: String::new(),
            contact: String::new(),
            max_upload_bytes: kvalitet_app::own::MAX_UPLOAD_BYTES,
            login_policy: kvalitet_domain::LoginPolicy::default(),
            trust_forwarded_for: false,
            clock: Arc::new(kvalitet_app::ports::SystemClock),
            mail: false,
            screening: Arc::default(),
            typesetter: None,
            schedules: Vec::new(),
            pool_stats: None,
        }
    }
}

/// The largest body of a form without a limit of its own (axum's default, made explicit).
pub const FORM_LIMIT: usize = 2 << 20;

/// Memory for cached API answers.
const V3_CACHE_BYTES: usize = 64 << 20;
/// Memory for measure series (a KKiK measure is about 0.5 MB with all years).
const SERIES_CACHE_BYTES: usize = 64 << 20;
/// Memory for rendered pages.
const PAGE_CACHE_BYTES: usize = 48 << 20;

const TEMPLATES: [(&str, &str); 68] = [
    (
        "proposals.html",
        include_str!("../templates/proposals.html"),
    ),
    ("proposal.html", include_str!("../templates/proposal.html")),
    (
        "proposal-new.html",
        include_str!("../templates/proposal-new.html"),
    ),
    (
        "proposal-step.html",
        include_str!("../templates/proposal-step.html"),
    ),
    (
        "proposal-confirm.html",
        include_str!("../templates/proposal-confirm.html"),
    ),
    (
        "proposals-admin.html",
        include_str!("../templates/proposals-admin.html"),
    ),
    (
        "dialogues.html",
        include_str!("../templates/dialogues.html"),
    ),
    ("dialogue.html", include_str!("../templates/dialogue.html")),
    (
        "dialogue-participant.html",
        include_str!("../templates/dialogue-participant.html"),
    ),
    (
        "dialogues-admin.html",
        include_str!("../templates/dialogues-admin.html"),
    ),
    (
        "dialogue-admin.html",
        include_str!("../templates/dialogue-admin.html"),
    ),
    (
        "proposal-admin.html",
        include_str!("../templates/proposal-admin.html"),
    ),
    ("panels.html", include_str!("../templates/panels.html")),
    ("budgets.html", include_str!("../templates/budgets.html")),
    ("budget.html", include_str!("../templates/budget.html")),
    (
        "budget-round.html",
        include_str!("../templates/budget-round.html"),
    ),
    ("panel.html", include_str!("../templates/panel.html")),
    ("surveys.html", include_str!("../templates/surveys.html")),
    ("survey.html", include_str!("../templates/survey.html")),
    (
        "survey-answer.html",
        include_str!("../templates/survey-answer.html"),
    ),
    (
        "survey-results.html",
        include_str!("../templates/survey-results.html"),
    ),
    (
        "indicator-form.html",
        include_str!("../templates/indicator-form.html"),
    ),
    (
        "goal-embed.html",
        include_str!("../templates/goal-embed.html"),
    ),
    (
        "goals-admin.html",
        include_str!("../templates/goals-admin.html"),
    ),
    (
        "goal-admin.html",
        include_str!("../templates/goal-admin.html"),
    ),
    (
        "goal-indicators.html",
        include_str!("../templates/goal-indicators.html"),
    ),
    (
        "goal-status.html",
        include_str!("../templates/goal-status.html"),
    ),
    (
        "service-table.html",
        include_str!("../templates/service-table.html"),
    ),
    (
        "service-list.html",
        include_str!("../templates/service-list.html"),
    ),
    (
        "service-round.html",
        include_str!("../templates/service-round.html"),
    ),
    (
        "service-contact.html",
        include_str!("../templates/service-contact.html"),
    ),
    (
        "service-results.html",
        include_str!("../templates/service-results.html"),
    ),
    ("rounds.html", include_str!("../templates/rounds.html")),
    ("round.html", include_str!("../templates/round.html")),
    ("confirm.html", include_str!("../templates/confirm.html")),
    ("todo.html", include_str!("../templates/todo.html")),
    (
        "upload-preview.html",
        include_str!("../templates/upload-preview.html"),
    ),
    (
        "round-report.html",
        include_str!("../templates/round-report.html"),
    ),
    (
        "framework-edit.html",
        include_str!("../templates/framework-edit.html"),
    ),
    (
        "frameworks.html",
        include_str!("../templates/frameworks.html"),
    ),
    (
        "invitation.html",
        include_str!("../templates/invitation.html"),
    ),
    ("admin.html", include_str!("../templates/admin.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("account.html", include_str!("../templates/account.html")),
    ("audit.html", include_str!("../templates/audit.html")),
    ("index.html", include_str!("../templates/index.html")),
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("start.html", include_str!("../templates/start.html")),
    (
        "municipality.html",
        include_str!("../templates/municipality.html"),
    ),
    ("measure.html", include_str!("../templates/measure.html")),
    ("compare.html", include_str!("../templates/compare.html")),
    ("embed.html", include_str!("../templates/embed.html")),
    ("about.html", include_str!("../templates/about.html")),
    (
        "accessibility.html",
        include_str!("../templates/accessibility.html"),
    ),
    ("error.html", include_str!("../templates/error.html")),
    ("goals.html", include_str!("../templates/goals.html")),
    (
        "screening.html",
        include_str!("../templates/screening.html"),
    ),
    (
        "screening-kommun.html",
        include_str!("../templates/screening-kommun.html"),
    ),
    (
        "award-outline.html",
        include_str!("../templates/award-outline.html"),
    ),
    (
        "award-dossier.html",
        include_str!("../templates/award-dossier.html"),
    ),
    (
        "award-narratives.html",
        include_str!("../templates/award-narratives.html"),
    ),
    (
        "award-jury.html",
        include_str!("../templates/award-jury.html"),
    ),
    (
        "award-jury-published.html",
        include_str!("../templates/award-jury-published.html"),
    ),
    (
        "admin-lists.html",
        include_str!("../templates/admin-lists.html"),
    ),
    ("outbox.html", include_str!("../templates/outbox.html")),
    ("jobs.html", include_str!("../templates/jobs.html")),
    (
        "open-data.html",
        include_str!("../templates/open-data.html"),
    ),
];

impl<S: Store> AppState<S> {
    pub fn new(store: S, backend: &'static str) -> Arc<Self> {
        Self::with_options(store, backend, SiteOptions::default())
    }

    /// As [`AppState::new`], with the site's settings.
    pub fn with_options(store: S, backend: &'static str, options: SiteOptions) -> Arc<Self> {
        let mut templates = Environment::new();
        templates.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        templates.add_filter("num", format_count);
        templates.add_filter("fill", fill);
        templates.add_filter("local", local_time);
        // Templates are compiled into the binary; a broken one fails every test at once.
        templates.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        // Escapes what HTML needs (& < > " ') and leaves '/' alone, so URLs stay readable.
        templates.set_formatter(|out, state, value| match value.as_str() {
            Some(s) if *state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() => {
                out.write_str(&charts::esc(s))
                    .map_err(minijinja::Error::from)
            }
            _ => minijinja::escape_formatter(out, state, value),
        });
        for (name, source) in TEMPLATES {
            // Templates are compiled into the binary; a broken one fails every test at once.
            templates
                .add_template(name, source)
                .unwrap_or_else(|e| panic!("templates/{name} does not parse: {e}"));
        }
        let metrics = crate::metrics::Metrics::new(options.pool_stats);
        Arc::new(Self {
            store,
            public_url: options.public_url.trim_end_matches('/').to_owned(),
            contact: options.contact.trim().to_owned(),
            max_upload_bytes: options.max_upload_bytes,
            login_policy: options.login_policy,
            hasher: kvalitet_app::accounts::Hasher::for_this_machine(),
            clock: options.clock,
            trust_forwarded_for: options.trust_forwarded_for,
            backend,
            mail: options.mail,
            templates,
            v3_cache: cache::ResponseCache::counted(V3_CACHE_BYTES, &metrics, "v3"),
            v3_rows: cache::ResponseCache::counted(V3_CACHE_BYTES, &metrics, "v3_rows"),
            directory: cache::ResponseCache::counted(1, &metrics, "directory"),
            series_cache: cache::ResponseCache::counted(SERIES_CACHE_BYTES, &metrics, "series"),
            pages: cache::ResponseCache::counted(PAGE_CACHE_BYTES, &metrics, "pages"),
            version: std::sync::Mutex::default(),
            version_read: tokio::sync::Mutex::new(()),
            hearing_changes: std::sync::atomic::AtomicBool::new(false),
            answers: crate::answers::WriteQueue::default(),
            ballots: crate::answers::WriteQueue::default(),
            open_rounds: crate::budget::OpenRounds::default(),
            screening: options.screening,
            typesetter: options.typesetter,
            schedules: Arc::new(options.schedules),
            metrics,
            public_uploads: tokio::sync::Semaphore::new(PUBLIC_UPLOADS_AT_ONCE),
            typesetting: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            ),
        })
    }
}

/// A text of the words table with its `{name}` places filled from the filter's named
/// arguments: `{{ t.key|fill(name=m.name) }}`. The result is escaped as any text is.
fn fill(text: String, values: minijinja::value::Kwargs) -> Result<String, minijinja::Error> {
    let mut filled = text;
    for name in values.args() {
        let value: minijinja::Value = values.get(name)?;
        // As a page prints nothing for a missing value, so does a filled place.
        let text = if value.is_none() || value.is_undefined() {
            String::new()
        } else {
            value.to_string()
        };
        filled = filled.replace(&format!("{{{name}}}"), &text);
    }
    values.assert_all_used()?;
    Ok(filled)
}

/// A whole number with a no-break space between thousands, as Swedish writes it.
/// A stored moment (RFC 3339, as views carry them) in Swedish time for staff pages; other
/// text as it is.
fn local_time(text: String) -> String {
    kvalitet_domain::Timestamp::parse(&text).map_or(text, |t| t.local_text())
}

fn format_count(n: u64) -> String {
    kvalitet_domain::swedish::group_thousands(&n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_use_swedish_digit_grouping() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(4_542_773), "4\u{a0}542\u{a0}773");
    }
}
