//! How kvalitet reaches PostgreSQL besides its main URL: through a pooler in transaction mode
//! (PgBouncer), a direct connection for what needs a session (LISTEN, job locks,
//! migrations), and a read replica for what residents read, used only while it has caught up.

use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions, Postgres};

use kvalitet_app::ports::StoreError;

use crate::db;

/// Connections of one server process to the primary.
const POOL_SIZE: u32 = 16;
/// How long a replica that failed is left alone before it is tried again.
const REPLICA_REST: Duration = Duration::from_secs(5);
/// The longest a replica may take to say how far it has come (or to give a connection)
/// before the primary is asked instead.
const REPLICA_PATIENCE: Duration = Duration::from_millis(500);

/// What `kvalitet.toml` says about PostgreSQL besides `database_url` (docs/operations.md).
#[derive(Clone, Debug, Default)]
pub struct PgOptions {
    /// `database_url` goes through a pooler in transaction mode: no statement is kept
    /// prepared between transactions, and every query runs in a transaction of its own.
    pub pooled: bool,
    /// A direct URL to the primary for LISTEN, the job locks and migrations (needed with
    /// `pooled`; LISTEN and session locks cannot go through a pooler in transaction mode).
    pub direct_url: Option<String>,
    /// A streaming replica that public pages and APIs read from.
    pub read_url: Option<String>,
}

/// The routes of an open PostgreSQL store.
#[derive(Debug)]
pub struct PgRoutes {
    pub(crate) pooled: bool,
    pub(crate) direct: Option<PgConnectOptions>,
    pub(crate) replica: Option<Replica>,
    /// The newest data version the primary has told this process: a replica behind it is
    /// not read, so that a page cached under that version never holds older data.
    pub(crate) primary_version: AtomicI64,
}

/// A read replica and how far it was last seen to have come.
#[derive(Debug)]
pub(crate) struct Replica {
    pool: PgPool,
    seen_version: AtomicI64,
    resting_until: Mutex<Option<Instant>>,
}

fn options(url: &str, pooled: bool) -> Result<PgConnectOptions, StoreError> {
    let options = PgConnectOptions::from_str(url).map_err(db)?;
    // A pooler in transaction mode hands each transaction to any server connection: a
    // statement prepared on one is not on the next.
    Ok(if pooled {
        options.statement_cache_capacity(0)
    } else {
        options
    })
}

impl PgRoutes {
    /// Opens the primary's pool and, when configured, the replica's.
    pub(crate) async fn connect(
        url: &str,
        settings: &PgOptions,
    ) -> Result<(PgPool, PgRoutes), StoreError> {
        if settings.pooled && settings.direct_url.is_none() {
            return Err(StoreError::Invalid(
                kvalitet_domain::Message::new("text").with(
                    "text",
                    "database_pooled needs database_direct_url: LISTEN, job locks and migrations need a direct connection",
                ),
            ));
        }
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options(url, settings.pooled)?)
            .await
            .map_err(db)?;
        let direct = match &settings.direct_url {
            Some(url) => Some(options(url, false)?),
            None => None,
        };
        let replica = match &settings.read_url {
            // Connected lazily: a replica that is down at start is not a reason not to serve.
            Some(url) => Some(Replica {
                pool: PgPoolOptions::new()
                    .max_connections(POOL_SIZE)
                    .acquire_timeout(REPLICA_PATIENCE)
                    .connect_lazy_with(options(url, settings.pooled)?),
                seen_version: AtomicI64::new(-1),
                resting_until: Mutex::new(None),
            }),
            None => None,
        };
        Ok((
            pool,
            PgRoutes {
                pooled: settings.pooled,
                direct,
                replica,
                primary_version: AtomicI64::new(0),
            },
        ))
    }

    /// A connection of its own to the primary, outside any pool: for LISTEN and locks held
    /// for a session. Without a direct URL, one from `pool` is taken out of it.
    pub(crate) async fn session(
        &self,
        pool: &PgPool,
    ) -> Result<sqlx::postgres::PgConnection, StoreError> {
        match &self.direct {
            Some(options) => options.connect().await.map_err(db),
            None => Ok(pool.acquire().await.map_err(db)?.detach()),
        }
    }

    /// Begins a transaction on `pool`. Behind a pooler it first drops what other clients
    /// left prepared on the server connection it was given, whose names could meet ours.
    pub(crate) async fn begin(
        &self,
        pool: &PgPool,
    ) -> Result<sqlx::Transaction<'static, Postgres>, StoreError> {
        if self.pooled {
            pool.begin_with("BEGIN; DEALLOCATE ALL").await.map_err(db)
        } else {
            pool.begin().await.map_err(db)
        }
    }

    /// Every row of `query` from `pool`, in a transaction of its own behind a pooler.
    pub(crate) async fn fetch_all<'q, R>(
        &self,
        pool: &PgPool,
        query: sqlx::query::QueryAs<'q, Postgres, R, PgArguments>,
    ) -> Result<Vec<R>, StoreError>
    where
        R: Send + Unpin + for<'r> sqlx::FromRow<'r, PgRow>,
    {
        if !self.pooled {
            return query.fetch_all(pool).await.map_err(db);
        }
        let mut tx = self.begin(pool).await?;
        let rows = query.fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows)
    }

    /// Notes the data version the primary answered.
    pub(crate) fn primary_at(&self, version: i64) {
        self.primary_version.fetch_max(version, Ordering::Relaxed);
    }

    /// The replica to read from now: configured, not resting after a failure, and at least
    /// at the primary's newest version this process knows (asked again while behind).
    pub(crate) async fn replica(&self) -> Option<&PgPool> {
        let replica = self.replica.as_ref()?;
        {
            let mut resting = replica
                .resting_until
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            match *resting {
                Some(until) if Instant::now() < until => return None,
                Some(_) => *resting = None,
                None => {}
            }
        }
        let wanted = self.primary_version.load(Ordering::Relaxed);
        if replica.seen_version.load(Ordering::Relaxed) >= wanted {
            return Some(&replica.pool);
        }
        let asked = sqlx::query_as::<_, (i64,)>("SELECT version FROM data_version WHERE id = 1");
        match tokio::time::timeout(REPLICA_PATIENCE, self.fetch_all(&replica.pool, asked)).await {
            Ok(Ok(rows)) => {
                let version = rows.first().map_or(0, |r| r.0);
                replica.seen_version.fetch_max(version, Ordering::Relaxed);
                (version >= wanted).then_some(&replica.pool)
            }
            Ok(Err(e)) => {
                self.replica_failed(&e);
                None
            }
            Err(_) => {
                self.replica_failed(&"no answer in time");
                None
            }
        }
    }

    /// Leaves the replica alone for a while after it failed; reads go to the primary.
    pub(crate) fn replica_failed(&self, why: &dyn std::fmt::Display) {
        if let Some(replica) = &self.replica {
            tracing::warn!("the read replica failed ({why}); reading from the primary");
            *replica
                .resting_until
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + REPLICA_REST);
        }
    }

    /// Every row of a public read: from the replica when it may be read, else (or when it
    /// fails) from the primary. `query` makes the query afresh for each try.
    pub(crate) async fn fetch_public<'q, R>(
        &self,
        pool: &PgPool,
        query: impl Fn() -> sqlx::query::QueryAs<'q, Postgres, R, PgArguments>,
    ) -> Result<Vec<R>, StoreError>
    where
        R: Send + Unpin + for<'r> sqlx::FromRow<'r, PgRow>,
    {
        if let Some(replica) = self.replica().await {
            match self.fetch_all(replica, query()).await {
                Ok(rows) => return Ok(rows),
                Err(e) => self.replica_failed(&e),
            }
        }
        self.fetch_all(pool, query()).await
    }

    pub(crate) async fn close(&self) {
        if let Some(replica) = &self.replica {
            replica.pool.close().await;
        }
    }
}

impl crate::SqlStore {
    /// Whether a public read would now go to the read replica: one is configured, answers,
    /// and has caught up with the newest data version this process has read.
    pub async fn reads_from_replica(&self) -> bool {
        match self {
            Self::Sqlite(_) => false,
            Self::Postgres(_, routes) => routes.replica().await.is_some(),
        }
    }
}
