//! kvalitet's storage: one SQL code base for SQLite (the default, a file) and PostgreSQL
//! (`postgres://...`), with embedded migrations. `SqlStore` implements every port of
//! `kvalitet_app::ports`, one module per port; each method is one transaction.
//!
//! The same query text serves both backends (`$1` placeholders, `ON CONFLICT`, `RETURNING`,
//! `IS DISTINCT FROM`); the [`on_pool!`] and [`on_tx!`] macros expand a body once per
//! backend so each copy is type-checked against its own driver. Only bulk value writing
//! differs: multi-row upserts on SQLite, COPY into a staging table on PostgreSQL.

mod accounts;
mod audit;
mod award;
mod budgets;
mod catalogue;
mod dialogues;
mod goals;
mod jobs;
mod mail;
mod own;
mod panels;
mod postgres;
mod proposals;
mod read;
mod rounds;
mod service;
mod surveys;
mod sync;
mod values;
mod version;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPool;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use kvalitet_app::ports::StoreError;

pub use postgres::{PgOptions, PgRoutes};

/// The migrations of each backend, embedded in the binary.
pub static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
pub static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// A database: SQLite or PostgreSQL, chosen by the URL; on PostgreSQL the primary's pool
/// and the other routes to it ([`PgOptions`]).
#[derive(Clone, Debug)]
pub enum SqlStore {
    Sqlite(SqlitePool),
    Postgres(PgPool, Arc<PgRoutes>),
}

/// Expands `$body` once per backend with `$p` bound to the pool. For queries use
/// [`fetch_all!`] (or a transaction), which also go through a pooler in transaction mode.
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match $store {
            $crate::SqlStore::Sqlite($p) => $body,
            $crate::SqlStore::Postgres($p, _) => $body,
        }
    };
}

/// An open transaction on either backend.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Expands `$body` once per backend with `$t` bound to the transaction.
macro_rules! on_tx {
    ($tx:expr, $t:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite($t) => $body,
            $crate::Tx::Postgres($t) => $body,
        }
    };
}
pub(crate) use on_tx;

/// Runs one statement on a transaction of either backend; returns the rows affected.
macro_rules! exec {
    ($tx:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::on_tx!($tx, t => sqlx::query($sql)$(.bind($arg))*.execute(&mut **t).await
            .map(|r| r.rows_affected()).map_err($crate::db))
    };
}
pub(crate) use exec;

/// Fetches all rows of a query as `$row` (a tuple or `FromRow` type) from a pool or
/// transaction of either backend. `public` reads what anyone may see: on PostgreSQL from the
/// read replica while it has caught up (the arguments are evaluated again for the primary
/// when the replica fails, so pass them by reference).
macro_rules! fetch_all {
    (pool $store:expr, $row:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $store {
            $crate::SqlStore::Sqlite(p) => sqlx::query_as::<_, $row>($sql)$(.bind($arg))*.fetch_all(p).await.map_err($crate::db),
            $crate::SqlStore::Postgres(p, routes) => routes.fetch_all(p, sqlx::query_as::<_, $row>($sql)$(.bind($arg))*).await,
        }
    };
    (public $store:expr, query => $query:expr) => {
        match $store {
            $crate::SqlStore::Sqlite(p) => $query.fetch_all(p).await.map_err($crate::db),
            $crate::SqlStore::Postgres(p, routes) => routes.fetch_public(p, || $query).await,
        }
    };
    (public $store:expr, $row:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::fetch_all!(public $store, query => sqlx::query_as::<_, $row>($sql)$(.bind($arg))*)
    };
    (tx $tx:expr, $row:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::on_tx!($tx, t => sqlx::query_as::<_, $row>($sql)$(.bind($arg))*.fetch_all(&mut **t).await.map_err($crate::db))
    };
}
pub(crate) use fetch_all;

pub(crate) fn db(e: sqlx::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

/// True when the URL names PostgreSQL rather than an SQLite file.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl SqlStore {
    /// Opens the database without migrating. An SQLite URL is `sqlite://PATH`, `sqlite:PATH`
    /// or a plain path; the file is created when missing.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, &PgOptions::default()).await
    }

    /// [`Self::connect`] with PostgreSQL's other routes (ignored for SQLite).
    pub async fn connect_with(url: &str, pg: &PgOptions) -> Result<Self, StoreError> {
        if is_postgres_url(url) {
            let (pool, routes) = PgRoutes::connect(url, pg).await?;
            return Ok(Self::Postgres(pool, Arc::new(routes)));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let options = if path == ":memory:" {
            SqliteConnectOptions::from_str("sqlite::memory:").map_err(db)?
        } else {
            SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
        }
        // WAL lets readers go on during an import; FULL makes every commit durable, so a
        // crash never loses or corrupts a committed import.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(30))
        .pragma("cache_size", "-65536")
        .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(if path == ":memory:" { 1 } else { 4 })
            .connect_with(options)
            .await
            .map_err(db)?;
        Ok(Self::Sqlite(pool))
    }

    /// Opens and migrates.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, &PgOptions::default()).await
    }

    /// Opens with PostgreSQL's other routes, and migrates.
    pub async fn open_with(url: &str, pg: &PgOptions) -> Result<Self, StoreError> {
        let store = Self::connect_with(url, pg).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let result = match self {
            // sqlx locks PostgreSQL's migrations with an advisory lock but SQLite's not at
            // all: two processes starting on a new file (a server and an import) both
            // found schema 1 missing. All of them run in one IMMEDIATE transaction, so a
            // second process waits for the first and then finds nothing to do (sqlx runs
            // each migration as a savepoint inside it).
            Self::Sqlite(p) => migrate_sqlite(p).await,
            // sqlx's advisory lock is a session's: on the direct connection when there is one.
            Self::Postgres(p, routes) => match &routes.direct {
                Some(direct) => {
                    // A pool of one rather than `PgRoutes::session`: sqlx's `run` on a bare
                    // `&mut PgConnection` makes the future not `Send` for every lifetime.
                    let session = sqlx::postgres::PgPoolOptions::new()
                        .max_connections(1)
                        .connect_with(direct.clone())
                        .await
                        .map_err(db)?;
                    let result = POSTGRES_MIGRATIONS.run(&session).await;
                    session.close().await;
                    result
                }
                None => POSTGRES_MIGRATIONS.run(p).await,
            },
        };
        result.map_err(|e| StoreError::Database(format!("migration failed: {e}")))
    }

    /// "sqlite" or "postgres".
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(..) => "postgres",
        }
    }

    /// Writes a consistent copy of an SQLite database to `path` while it is in use
    /// (`VACUUM INTO`: one read transaction, so writers go on and the copy is compact); the
    /// file must not exist. PostgreSQL is backed up with `pg_dump` (docs/operations.md).
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(p) => {
                let target = path
                    .to_str()
                    .ok_or_else(|| invalid("the backup path is not UTF-8"))?;
                sqlx::query("VACUUM INTO $1")
                    .bind(target)
                    .execute(p)
                    .await
                    .map(drop)
                    .map_err(db)
            }
            Self::Postgres(..) => Err(StoreError::Invalid(
                kvalitet_domain::Message::new("text").with(
                    "text",
                    "a PostgreSQL database is backed up with pg_dump -Fc (docs/operations.md)",
                ),
            )),
        }
    }

    /// Checks an SQLite file: `PRAGMA integrity_check` answers "ok" and it carries
    /// kvalitet's schema; returns the schema version it has.
    pub async fn check_sqlite_file(path: &std::path::Path) -> Result<i64, StoreError> {
        let options = SqliteConnectOptions::new().filename(path).read_only(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(db)?;
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .map_err(db)?;
        if check != "ok" {
            return Err(invalid(format!("integrity check: {check}")));
        }
        let version: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&pool)
                .await
                .map_err(|_| invalid("it is not a kvalitet database"))?;
        pool.close().await;
        version.ok_or_else(|| invalid("it is not a kvalitet database"))
    }

    /// The pool's connections: open, and idle among them (for `/metrics`).
    pub fn pool_stats(&self) -> (u32, usize) {
        on_pool!(self, p => (p.size(), p.num_idle()))
    }

    pub async fn close(&self) {
        if let Self::Postgres(_, routes) = self {
            routes.close().await;
        }
        on_pool!(self, p => p.close().await)
    }

    /// A transaction that only reads (deferred on SQLite, so writers go on): a long read
    /// sees one state of the data throughout.
    pub(crate) async fn begin_read(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Self::Sqlite(p) => Tx::Sqlite(p.begin().await.map_err(db)?),
            Self::Postgres(p, routes) => Tx::Postgres(routes.begin(p).await?),
        })
    }

    pub(crate) async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            // IMMEDIATE takes the write lock up front, so two importers queue instead of
            // failing half-way with SQLITE_BUSY.
            Self::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await.map_err(db)?),
            Self::Postgres(p, routes) => Tx::Postgres(routes.begin(p).await?),
        })
    }
}

async fn migrate_sqlite(pool: &SqlitePool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut conn = pool.acquire().await?;
    let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
    SQLITE_MIGRATIONS.run_direct(None, &mut *tx, false).await?;
    tx.commit().await?;
    Ok(())
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        on_tx!(self, t => t.commit().await.map_err(db))
    }
}

/// A stored row that does not read back as the domain type it was written from.
pub(crate) fn invalid(what: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("stored data is not valid: {what}").into())
}

/// A stored moment (RFC 3339 text in both backends) read back.
pub(crate) fn moment(text: &str) -> Result<kvalitet_domain::Timestamp, StoreError> {
    kvalitet_domain::Timestamp::parse(text).map_err(invalid)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    fn migrations(backend: &str) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let sqlite = migrations("sqlite");
        assert!(!sqlite.is_empty());
        assert_eq!(
            sqlite,
            migrations("postgres"),
            "migrations/sqlite and migrations/postgres must have the same versions and names"
        );
        let versions: Vec<i64> = super::SQLITE_MIGRATIONS.iter().map(|m| m.version).collect();
        let pg_versions: Vec<i64> = super::POSTGRES_MIGRATIONS
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(versions, pg_versions);
    }
}
