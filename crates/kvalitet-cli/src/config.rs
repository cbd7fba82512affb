//! Configuration in layers: built-in defaults < `kvalitet.toml` < `KVALITET_*` environment
//! variables (and `DATABASE_URL`) < command-line flags.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// The default SQLite database, in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://kvalitet.db";
/// The default address of `kvalitet serve`: loopback only, so nothing is exposed by accident.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// What `kvalitet.toml` may hold. Unknown keys are an error, so a typo is not ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    /// `database_url` goes through a pooler in transaction mode (PgBouncer): nothing is kept
    /// prepared between transactions; needs `database_direct_url`.
    pub database_pooled: Option<bool>,
    /// A direct PostgreSQL URL for what needs a session of its own: LISTEN, the job locks and
    /// migrations (a pooler in transaction mode cannot carry them).
    #[serde(alias = "database_listen_url")]
    pub database_direct_url: Option<String>,
    /// A streaming replica's URL that public pages and APIs read from while it has caught up.
    pub database_read_url: Option<String>,
    #[serde(default)]
    pub serve: ServeConfig,
    #[serde(default)]
    pub mail: MailConfig,
    #[serde(default)]
    pub jobs: JobsConfig,
}

/// Background jobs (docs/operations.md): whether this process does them, and the schedules.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsConfig {
    /// Do jobs in `kvalitet serve` (the default); `false` for a server that only serves while
    /// other processes (`kvalitet jobs work`) do the jobs.
    pub worker: Option<bool>,
    /// Jobs run on a schedule, besides the built-in `upkeep` (hourly) and `reminders` (every
    /// ten minutes, with a mail relay); one of the same name replaces a built-in one.
    #[serde(default)]
    pub schedule: Vec<ScheduleConfig>,
}

/// `[[jobs.schedule]]`: e.g. `name = "nattlig-sync"`, `job = "sync"`, `cron = "0 3 * * *"`
/// (Swedish time), `args = ["--set", "kkik", "--values-only"]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    pub name: String,
    pub job: String,
    pub cron: String,
    #[serde(default)]
    pub args: Vec<String>,
}

/// The SMTP relay through which invitations, notices and reminders go. Without it nothing is
/// e-mailed: invitation links are shown to copy, and Att göra is the only reminder.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// `smtp://user:password@relay:587?tls=required` (STARTTLS), `smtps://...` (TLS) or
    /// `smtp://relay:25` (plain, for a relay on the same host or network).
    pub smtp_url: Option<String>,
    /// The sender, e.g. `kvalitet <noreply@kommun.se>`.
    pub from: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    pub addr: Option<String>,
    /// The address residents and embedding sites use, e.g. `https://kvalitet.example.se`.
    pub public_url: Option<String>,
    /// Where residents report accessibility problems (an e-mail address or a web page),
    /// named in the accessibility statement.
    pub contact: Option<String>,
    /// The Sveriges Kvalitetskommun screening set (a TOML file); the shipped one without it.
    pub screening_set: Option<PathBuf>,
    /// The largest upload of values, in megabytes.
    pub max_upload_mb: Option<f64>,
    /// Take the client's address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: Option<bool>,
    /// Failed logins allowed from one address in 15 minutes (staff behind one NAT may need
    /// more than the default 50).
    pub login_attempts_per_address: Option<u32>,
}

impl FileConfig {
    /// Reads `path`, or `./kvalitet.toml` when no path is given and that file exists.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let (path, required) = match path {
            Some(p) => (p.to_owned(), true),
            None => (PathBuf::from("kvalitet.toml"), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Self::default());
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        toml::from_str(&text)
            .with_context(|| format!("{} is not a valid kvalitet configuration", path.display()))
    }
}

impl FileConfig {
    /// PostgreSQL's routes besides `database_url`, each also from the environment
    /// (`KVALITET_DATABASE_POOLED=1`, `KVALITET_DATABASE_DIRECT_URL`, `KVALITET_DATABASE_READ_URL`).
    pub fn postgres_options(&self) -> kvalitet_store::PgOptions {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        kvalitet_store::PgOptions {
            pooled: env("KVALITET_DATABASE_POOLED")
                .map(|v| matches!(v.as_str(), "1" | "true" | "yes"))
                .or(self.database_pooled)
                .unwrap_or(false),
            direct_url: env("KVALITET_DATABASE_DIRECT_URL")
                .or_else(|| self.database_direct_url.clone()),
            read_url: env("KVALITET_DATABASE_READ_URL").or_else(|| self.database_read_url.clone()),
        }
    }
}

/// Picks the first value present: flag, environment, file, default.
pub fn layered(flag: Option<String>, env: &[&str], file: Option<String>, default: &str) -> String {
    flag.or_else(|| {
        env.iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    })
    .or(file)
    .unwrap_or_else(|| default.to_owned())
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_files_beat_defaults() {
        assert_eq!(layered(Some("a".into()), &[], Some("b".into()), "c"), "a");
        assert_eq!(
            layered(
                None,
                &["KVALITET_TEST_UNSET_VARIABLE"],
                Some("b".into()),
                "c"
            ),
            "b"
        );
        assert_eq!(layered(None, &[], None, "c"), "c");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://kv:secret@127.0.0.1/kv"),
            "postgres://kv:***@127.0.0.1/kv"
        );
        assert_eq!(redact("sqlite://kvalitet.db"), "sqlite://kvalitet.db");
    }

    #[test]
    fn postgres_routes_are_read_from_the_file() {
        let c: FileConfig = toml::from_str(
            "database_url = \"postgres://kv@127.0.0.1:6432/kv\"\ndatabase_pooled = true\n\
             database_direct_url = \"postgres://kv@db:5432/kv\"\n\
             database_read_url = \"postgres://kv@replica:5432/kv\"\n",
        )
        .unwrap();
        let pg = c.postgres_options();
        assert!(pg.pooled);
        assert_eq!(pg.direct_url.as_deref(), Some("postgres://kv@db:5432/kv"));
        assert_eq!(
            pg.read_url.as_deref(),
            Some("postgres://kv@replica:5432/kv")
        );
        // The earlier name of the direct URL is still read.
        let c: FileConfig =
            toml::from_str("database_listen_url = \"postgres://kv@db/kv\"\n").unwrap();
        assert_eq!(
            c.postgres_options().direct_url.as_deref(),
            Some("postgres://kv@db/kv")
        );
        assert!(!c.postgres_options().pooled);
    }

    #[test]
    fn the_mail_relay_is_read_from_the_file() {
        let c: FileConfig = toml::from_str(
            "[mail]\nsmtp_url = \"smtp://relay:25\"\nfrom = \"kvalitet <noreply@kommun.se>\"\n",
        )
        .unwrap();
        assert_eq!(c.mail.smtp_url.as_deref(), Some("smtp://relay:25"));
        assert_eq!(c.mail.from.as_deref(), Some("kvalitet <noreply@kommun.se>"));
        assert!(toml::from_str::<FileConfig>("[mail]\nsmtp = \"x\"\n").is_err());
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kvalitet.toml");
        std::fs::write(
            &path,
            "database_url = \"sqlite://x.db\"\n[serve]\naddr = \"0.0.0.0:1\"\n",
        )
        .unwrap();
        let c = FileConfig::load(Some(&path)).unwrap();
        assert_eq!(c.database_url.as_deref(), Some("sqlite://x.db"));
        assert_eq!(c.serve.addr.as_deref(), Some("0.0.0.0:1"));
        std::fs::write(&path, "databse_url = \"x\"\n").unwrap();
        assert!(FileConfig::load(Some(&path)).is_err());
    }
}
