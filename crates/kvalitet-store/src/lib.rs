//! kvalitet's storage: one SQL code base for SQLite (the default, a file) and PostgreSQL
//! (`postgres://...`), with embedded migrations. Each [`Store`] method is one transaction.
//!
//! The same query text serves both backends (`$1` placeholders, `ON CONFLICT`, `RETURNING`,
//! `IS DISTINCT FROM`); the [`on_pool!`] and [`on_tx!`] macros expand a body once per
//! backend so each copy is type-checked against its own driver. Only bulk value writing
//! differs: multi-row upserts on SQLite, COPY into a staging table on PostgreSQL.

mod accounts;
mod catalogue;
mod read;
mod rounds;
mod service;
mod values;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::mpsc;

use kvalitet_app::ports::{
    Acceptor, Accounts, Actor, AnswerRecord, AssessmentRounds, AuditEvent, AuditLog, Catalogue,
    Comment, ConsensusRecord, DataVersion, DocumentRecord, Draft, ImportChunk, ImportSource,
    KnownIds, KpiGroupRecord, MeasureSetSummary, MeasureText, MeasureValues, NewRound,
    NewServiceRound, NewUser, Overview, OwnData, PlanRow, RoundContent, RoundFilter, RoundRecord,
    ServiceContent, ServiceQuestion, ServiceRoundRecord, ServiceRounds, SessionRecord, StoreError,
    StoredValue, SurveyCounts, SurveyRecord, SyncLog, UserRecord, ValueFilter, ValueRevision,
    Values, WriteCounts,
};
use kvalitet_domain::access::AttemptLimit;
use kvalitet_domain::{
    County, Gender, Measure, MeasureId, MeasureProfile, MeasureSet, Municipality,
    MunicipalityGroup, MunicipalityId, Role, ValueKey, ValueRow, Year,
    round::{AssessorRole, Status},
    service::Contact,
};

/// The migrations of each backend, embedded in the binary.
pub static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
pub static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// A database: SQLite or PostgreSQL, chosen by the URL.
#[derive(Clone, Debug)]
pub enum SqlStore {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Expands `$body` once per backend with `$p` bound to the pool.
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match $store {
            $crate::SqlStore::Sqlite($p) => $body,
            $crate::SqlStore::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_pool;

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
/// transaction of either backend.
macro_rules! fetch_all {
    (pool $store:expr, $row:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::on_pool!($store, p => sqlx::query_as::<_, $row>($sql)$(.bind($arg))*.fetch_all(p).await.map_err($crate::db))
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
        if is_postgres_url(url) {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(db)?;
            return Ok(Self::Postgres(pool));
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
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let result = match self {
            Self::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await,
            Self::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await,
        };
        result.map_err(|e| StoreError::Database(format!("migration failed: {e}")))
    }

    /// "sqlite" or "postgres".
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }

    pub(crate) async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            // IMMEDIATE takes the write lock up front, so two importers queue instead of
            // failing half-way with SQLITE_BUSY.
            Self::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await.map_err(db)?),
            Self::Postgres(p) => Tx::Postgres(p.begin().await.map_err(db)?),
        })
    }
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        on_tx!(self, t => t.commit().await.map_err(db))
    }
}

/// The current time as RFC 3339 UTC text, as stored in the database.
pub(crate) fn now_text() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Values for SqlStore {
    async fn import(
        &self,
        source: &ImportSource,
        chunks: mpsc::Receiver<ImportChunk>,
    ) -> Result<WriteCounts, StoreError> {
        values::import(self, source, chunks).await
    }

    async fn known_ids(&self) -> Result<KnownIds, StoreError> {
        read::known_ids(self).await
    }

    async fn export_values(
        &self,
        filter: &ValueFilter,
        out: mpsc::Sender<Vec<StoredValue>>,
    ) -> Result<u64, StoreError> {
        read::export_values(self, filter, out).await
    }

    async fn deleted_values(&self, filter: &ValueFilter) -> Result<Vec<ValueKey>, StoreError> {
        read::deleted_values(self, filter).await
    }

    async fn value_history(&self, key: &ValueKey) -> Result<Vec<ValueRevision>, StoreError> {
        read::value_history(self, key).await
    }

    async fn all_values(&self, out: mpsc::Sender<Vec<ValueRow>>) -> Result<u64, StoreError> {
        read::all_values(self, out).await
    }

    async fn measure_values(
        &self,
        measure: &MeasureId,
        gender: Gender,
    ) -> Result<MeasureValues, StoreError> {
        read::measure_values(self, measure, gender).await
    }
}

impl Catalogue for SqlStore {
    async fn municipalities(&self) -> Result<Vec<Municipality>, StoreError> {
        read::municipalities(self).await
    }

    async fn counties(&self) -> Result<Vec<County>, StoreError> {
        read::counties(self).await
    }

    async fn neighbours(&self, id: &MunicipalityId) -> Result<Vec<MunicipalityId>, StoreError> {
        read::neighbours(self, id).await
    }

    async fn groups(&self) -> Result<Vec<MunicipalityGroup>, StoreError> {
        read::groups(self).await
    }

    async fn measure(&self, id: &MeasureId) -> Result<Option<Measure>, StoreError> {
        read::measure(self, id).await
    }

    async fn measures(&self) -> Result<Vec<Measure>, StoreError> {
        read::measures(self).await
    }

    async fn measure_text(
        &self,
        id: &MeasureId,
        year: Year,
    ) -> Result<Option<MeasureText>, StoreError> {
        read::measure_text(self, id, year).await
    }

    async fn measure_count(&self, catalogue_year: Option<Year>) -> Result<u64, StoreError> {
        read::measure_count(self, catalogue_year).await
    }

    async fn kpi_groups(&self) -> Result<Vec<KpiGroupRecord>, StoreError> {
        read::kpi_groups(self).await
    }

    async fn save_measure_set(&self, set: &MeasureSet) -> Result<(), StoreError> {
        catalogue::save_measure_set(self, set).await
    }

    async fn measure_set(&self, id: &str) -> Result<Option<MeasureSet>, StoreError> {
        read::measure_set(self, id).await
    }

    async fn measure_sets(&self) -> Result<Vec<MeasureSetSummary>, StoreError> {
        read::measure_sets(self).await
    }

    async fn measure_profiles(&self) -> Result<Vec<MeasureProfile>, StoreError> {
        read::measure_profiles(self).await
    }

    async fn shapes(&self) -> Result<Vec<(MunicipalityId, String)>, StoreError> {
        read::shapes(self).await
    }

    async fn overview(&self) -> Result<Overview, StoreError> {
        read::overview(self).await
    }
}

impl Accounts for SqlStore {
    async fn create_user(&self, user: &NewUser, actor: &Actor) -> Result<i64, StoreError> {
        accounts::create_user(self, user, actor).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        accounts::user_by_email(self, email).await
    }

    async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        accounts::users(self).await
    }

    async fn set_role(
        &self,
        user: i64,
        municipality: &MunicipalityId,
        role: Option<Role>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        accounts::set_role(self, user, municipality, role, actor).await
    }

    async fn set_password(&self, user: i64, hash: &str, actor: &Actor) -> Result<(), StoreError> {
        accounts::set_password(self, user, hash, actor).await
    }

    async fn reserve_attempt(
        &self,
        limits: &[AttemptLimit],
        now: &str,
        expired: &str,
    ) -> Result<Option<String>, StoreError> {
        accounts::reserve_attempt(self, limits, now, expired).await
    }

    async fn release_attempt(&self, keys: &[String]) -> Result<(), StoreError> {
        accounts::release_attempt(self, keys).await
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user: i64,
        csrf_token: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        accounts::create_session(self, token_hash, user, csrf_token, created_at, expires_at).await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        accounts::session(self, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        accounts::delete_session(self, token_hash).await
    }

    async fn create_invitation(
        &self,
        token_hash: &str,
        email: &str,
        municipality: &MunicipalityId,
        role: Role,
        expires_at: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        accounts::create_invitation(
            self,
            token_hash,
            email,
            municipality,
            role,
            expires_at,
            actor,
        )
        .await
    }

    async fn invitation(
        &self,
        token_hash: &str,
        now: &str,
    ) -> Result<Option<(String, MunicipalityId, Role)>, StoreError> {
        accounts::invitation(self, token_hash, now).await
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        acceptor: Acceptor<'_>,
        now: &str,
    ) -> Result<String, StoreError> {
        accounts::accept_invitation(self, token_hash, acceptor, now).await
    }
}

impl AuditLog for SqlStore {
    async fn audit_events(
        &self,
        municipality: Option<&MunicipalityId>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        accounts::audit_events(self, municipality, limit).await
    }
}

impl OwnData for SqlStore {
    async fn define_own_measure(
        &self,
        measure: &Measure,
        profile: &MeasureProfile,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        accounts::define_own_measure(self, measure, profile, actor).await
    }

    async fn save_drafts(
        &self,
        municipality: &MunicipalityId,
        rows: &[ValueRow],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        accounts::save_drafts(self, municipality, rows, actor).await
    }

    async fn drafts(&self, municipality: &MunicipalityId) -> Result<Vec<Draft>, StoreError> {
        accounts::drafts(self, municipality).await
    }

    async fn set_comment(
        &self,
        measure: &MeasureId,
        municipality: &MunicipalityId,
        year: Year,
        body: Option<&str>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        accounts::set_comment(self, measure, municipality, year, body, actor).await
    }

    async fn comments(
        &self,
        measure: &MeasureId,
        municipality: &MunicipalityId,
    ) -> Result<Vec<Comment>, StoreError> {
        accounts::comments(self, measure, municipality).await
    }
}

impl AssessmentRounds for SqlStore {
    async fn frameworks(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        fetch_all!(pool self, (String, String, String), "SELECT id, version, source FROM framework ORDER BY id, version")
    }

    async fn create_round(&self, round: &NewRound, actor: &Actor) -> Result<i64, StoreError> {
        rounds::create_round(self, round, actor).await
    }

    async fn set_assessor(
        &self,
        round: i64,
        user: i64,
        role: Option<AssessorRole>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        rounds::set_assessor(self, round, user, role, actor).await
    }

    async fn rounds(&self, filter: &RoundFilter) -> Result<Vec<RoundRecord>, StoreError> {
        rounds::rounds(self, filter).await
    }

    async fn round_content(&self, round: i64) -> Result<RoundContent, StoreError> {
        rounds::round_content(self, round).await
    }

    async fn published_consensus(
        &self,
        framework_id: &str,
        version: &str,
    ) -> Result<Vec<(i64, ConsensusRecord)>, StoreError> {
        rounds::published_consensus(self, framework_id, version).await
    }

    async fn save_answers(
        &self,
        round: i64,
        user: i64,
        answers: &[AnswerRecord],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        rounds::save_answers(self, round, user, answers, actor).await
    }

    async fn save_consensus(
        &self,
        round: i64,
        consensus: &[ConsensusRecord],
        survey: Option<&SurveyRecord>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        rounds::save_consensus(self, round, consensus, survey, actor).await
    }

    async fn set_round_status(
        &self,
        round: i64,
        from: Status,
        to: Status,
        submitted_by: Option<i64>,
        action: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        rounds::set_round_status(self, round, from, to, submitted_by, action, actor).await
    }

    async fn add_document(
        &self,
        document: &DocumentRecord,
        body: &[u8],
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        rounds::add_document(self, document, body, actor).await
    }

    async fn document(&self, id: i64) -> Result<Option<(DocumentRecord, Vec<u8>)>, StoreError> {
        rounds::document(self, id).await
    }
}

impl ServiceRounds for SqlStore {
    async fn create_service_round(
        &self,
        round: &NewServiceRound,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        service::create_round(self, round, actor).await
    }

    async fn service_rounds(&self, id: Option<i64>) -> Result<Vec<ServiceRoundRecord>, StoreError> {
        service::rounds(self, id).await
    }

    async fn service_content(&self, round: i64) -> Result<ServiceContent, StoreError> {
        service::content(self, round).await
    }

    async fn save_service_setup(
        &self,
        round: i64,
        members: Option<&[MunicipalityId]>,
        questions: Option<&[ServiceQuestion]>,
        plan: Option<&[PlanRow]>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        service::save_setup(self, round, members, questions, plan, actor).await
    }

    async fn add_service_contacts(
        &self,
        round: i64,
        contacts: &[Contact],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        service::add_contacts(self, round, contacts, actor).await
    }

    async fn save_service_survey(
        &self,
        round: i64,
        rows: &[SurveyCounts],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        service::save_survey(self, round, rows, actor).await
    }
}

impl SyncLog for SqlStore {
    async fn start_sync(
        &self,
        source: &str,
        options: &str,
    ) -> Result<(i64, std::collections::HashSet<String>), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let open = fetch_all!(tx t, (i64,),
            "SELECT id FROM sync_run WHERE source = $1 AND options = $2 AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
            source, options)?;
        let (run, done) = match open.first() {
            Some((id,)) => {
                let urls = fetch_all!(tx t, (String,), "SELECT url FROM sync_query WHERE run_id = $1", *id)?;
                (*id, urls.into_iter().map(|(u,)| u).collect())
            }
            None => {
                let created = fetch_all!(tx t, (i64,),
                    "INSERT INTO sync_run (source, options, started_at) VALUES ($1, $2, $3) RETURNING id",
                    source, options, now_text())?;
                let id = created
                    .first()
                    .map(|r| r.0)
                    .ok_or_else(|| StoreError::Database("no sync run id".into()))?;
                (id, std::collections::HashSet::new())
            }
        };
        tx.commit().await?;
        Ok((run, done))
    }

    async fn finish_sync_query(&self, run: i64, url: &str) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query("INSERT INTO sync_query (run_id, url) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(run).bind(url).execute(p).await.map(|_| ()).map_err(db))
    }

    async fn finish_sync(&self, run: i64) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query("UPDATE sync_run SET finished_at = $1 WHERE id = $2")
            .bind(now_text()).bind(run).execute(p).await.map(|_| ()).map_err(db))
    }
}

impl DataVersion for SqlStore {
    async fn data_version(&self) -> Result<i64, StoreError> {
        let rows = fetch_all!(pool self, (Option<i64>,), "SELECT max(id) FROM import_batch")?;
        Ok(rows.first().and_then(|r| r.0).unwrap_or(0))
    }
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
