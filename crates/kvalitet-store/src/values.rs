//! The values port: the import transaction (catalogue batches and values, with revision
//! history and counts, and the changes that travel with them), and values read back.
//!
//! SQLite receives multi-row upserts as chunks arrive. PostgreSQL receives the values by
//! COPY into a temporary staging table and merges them in one statement at commit. Either
//! way nothing is visible to others, or kept, before `ImportChunk::Commit`.

use std::fmt::Write as _;
use std::sync::Arc;

use futures_util::TryStreamExt;
use kvalitet_app::ports::{
    AreaValue, CatalogueBatch, ChangeSet, ImportChunk, ImportSource, KnownIds, MeasureValues,
    MeasureYearNumbers, StatusStep, StoreError, StoredValue, ValueFilter, ValueRevision, Values,
    WriteCounts,
};
use kvalitet_domain::{
    AreaId, Datum, Gender, GroupId, MeasureId, MunicipalityId, ValueKey, ValueRow, Year,
};
use sqlx::AssertSqlSafe;
use tokio::sync::mpsc;

use crate::read::{ValueTuple, datum, filter_sql, value_row};
use crate::{SqlStore, Tx, db, exec, fetch_all, invalid, moment, on_tx};

/// A filtered query (`read::filter_sql`) with its text arguments, then its years, bound.
/// Only placeholders are formatted into the SQL; every value is bound.
macro_rules! filtered {
    ($row:ty, $sql:expr, $texts:expr, $years:expr) => {{
        let mut query = sqlx::query_as::<_, $row>(sqlx::AssertSqlSafe($sql.as_str()));
        for a in $texts {
            query = query.bind(a);
        }
        for y in $years {
            query = query.bind(*y);
        }
        query
    }};
}

/// Rows per multi-row INSERT on SQLite (8 parameters each, under SQLite's limit of 32766).
const ROWS_PER_STATEMENT: usize = 500;

const UPSERT_TAIL: &str = " ON CONFLICT (measure_id, area_id, year, gender) DO UPDATE SET
    value = excluded.value, status = excluded.status, count = excluded.count, batch_id = excluded.batch_id
  WHERE value.value IS DISTINCT FROM excluded.value OR value.status IS DISTINCT FROM excluded.status
     OR value.count IS DISTINCT FROM excluded.count";

#[derive(Default)]
struct Tally {
    /// Rows offered for insert or update.
    upserts: u64,
    /// Rows actually inserted or changed.
    affected: u64,
    /// Deletions asked for, and done.
    deletes: u64,
    deleted: u64,
}

/// A multi-row upsert for SQLite. Anonymous `?` placeholders, because SQLite looks up
/// numbered (`$n`) names linearly, which makes a 4000-parameter statement quadratic.
fn upsert_sql(rows: usize) -> String {
    const ROW: &str = "(?,?,?,?,?,?,?,?)";
    let mut sql = String::with_capacity(100 + rows * (ROW.len() + 1) + UPSERT_TAIL.len());
    sql.push_str("INSERT INTO value (measure_id, area_id, year, gender, value, status, count, batch_id) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push_str(ROW);
    }
    sql.push_str(UPSERT_TAIL);
    sql
}

async fn write_sqlite(
    tx: &mut Tx,
    batch_id: i64,
    now: &str,
    rows: &[ValueRow],
    tally: &mut Tally,
) -> Result<(), StoreError> {
    let Tx::Sqlite(t) = tx else { return Ok(()) };
    let (deletions, upserts): (Vec<&ValueRow>, Vec<&ValueRow>) =
        rows.iter().partition(|r| matches!(r.datum, Datum::Deleted));
    let full_sql: Arc<str> = upsert_sql(ROWS_PER_STATEMENT).into();
    for part in upserts.chunks(ROWS_PER_STATEMENT) {
        let sql = if part.len() == ROWS_PER_STATEMENT {
            full_sql.clone()
        } else {
            upsert_sql(part.len()).into()
        };
        // The SQL is built from placeholders only; every value is bound.
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for r in part {
            let k = &r.key;
            query = query
                .bind(k.measure.as_str())
                .bind(k.area.as_str())
                .bind(i64::from(k.year.get()))
                .bind(k.gender.code())
                .bind(r.datum.number())
                .bind(r.datum.status().map(|s| s.code()))
                .bind(r.count.map(i64::from))
                .bind(batch_id);
        }
        tally.affected += query.execute(&mut **t).await.map_err(db)?.rows_affected();
        tally.upserts += part.len() as u64;
    }
    for r in deletions {
        let k = &r.key;
        tally.deletes += 1;
        sqlx::query(
            "INSERT INTO value_revision (measure_id, area_id, year, gender, value, status, count, batch_id, change, replaced_by, replaced_at)
             SELECT measure_id, area_id, year, gender, value, status, count, batch_id, 'deleted', $1, $2 FROM value
             WHERE measure_id = $3 AND area_id = $4 AND year = $5 AND gender = $6",
        )
        .bind(batch_id).bind(now)
        .bind(k.measure.as_str()).bind(k.area.as_str()).bind(i64::from(k.year.get())).bind(k.gender.code())
        .execute(&mut **t).await.map_err(db)?;
        tally.deleted += sqlx::query("DELETE FROM value WHERE measure_id = $1 AND area_id = $2 AND year = $3 AND gender = $4")
            .bind(k.measure.as_str()).bind(k.area.as_str()).bind(i64::from(k.year.get())).bind(k.gender.code())
            .execute(&mut **t).await.map_err(db)?.rows_affected();
    }
    Ok(())
}

/// Where PostgreSQL's COPY puts an import's rows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CopyTarget {
    /// The staging table, merged into `value` at commit.
    Staging,
    /// Straight into `value`, which was empty (and is locked against other writers): nothing
    /// to merge, no revisions to keep; a deletion has nothing to delete.
    Value,
}

/// Appends rows with COPY (text format; ids are plain ASCII) to the staging table, or
/// straight into an empty `value`.
async fn copy_postgres(
    t: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    target: CopyTarget,
    batch_id: i64,
    rows: &[ValueRow],
    tally: &mut Tally,
) -> Result<(), StoreError> {
    let mut data = String::with_capacity(rows.len() * 48);
    for r in rows {
        let k = &r.key;
        let is_delete = matches!(r.datum, Datum::Deleted);
        if is_delete {
            tally.deletes += 1;
            if target == CopyTarget::Value {
                continue;
            }
        } else {
            tally.upserts += 1;
            if target == CopyTarget::Value {
                tally.affected += 1;
            }
        }
        let _ = write!(
            data,
            "{}\t{}\t{}\t{}\t",
            k.measure,
            k.area,
            k.year,
            k.gender.code()
        );
        match r.datum.number() {
            Some(v) => {
                let _ = write!(data, "{v}\t");
            }
            None => data.push_str("\\N\t"),
        }
        data.push_str(r.datum.status().map_or("\\N", |s| s.code()));
        data.push('\t');
        match r.count {
            Some(c) => {
                let _ = write!(data, "{c}");
            }
            None => data.push_str("\\N"),
        }
        match target {
            CopyTarget::Staging => data.push_str(if is_delete { "\tt\n" } else { "\tf\n" }),
            CopyTarget::Value => {
                let _ = writeln!(data, "\t{batch_id}");
            }
        }
    }
    let statement = match target {
        CopyTarget::Staging => {
            "COPY value_staging (measure_id, area_id, year, gender, value, status, count, is_delete) FROM STDIN"
        }
        CopyTarget::Value => {
            "COPY value (measure_id, area_id, year, gender, value, status, count, batch_id) FROM STDIN"
        }
    };
    let mut copy = t.copy_in_raw(statement).await.map_err(db)?;
    copy.send(data.into_bytes()).await.map_err(db)?;
    copy.finish().await.map_err(db)?;
    Ok(())
}

/// Applies the staged rows: deletions (kept as revisions), then one upsert.
async fn merge_postgres(
    t: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    batch_id: i64,
    now: &str,
    tally: &mut Tally,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO value_revision (measure_id, area_id, year, gender, value, status, count, batch_id, change, replaced_by, replaced_at)
         SELECT v.measure_id, v.area_id, v.year, v.gender, v.value, v.status, v.count, v.batch_id, 'deleted', $1, $2
         FROM value v JOIN value_staging s USING (measure_id, area_id, year, gender) WHERE s.is_delete",
    )
    .bind(batch_id).bind(now)
    .execute(&mut **t).await.map_err(db)?;
    tally.deleted += sqlx::query(
        "DELETE FROM value v USING value_staging s WHERE s.is_delete AND v.measure_id = s.measure_id
           AND v.area_id = s.area_id AND v.year = s.year AND v.gender = s.gender",
    )
    .execute(&mut **t).await.map_err(db)?.rows_affected();
    let sql = format!(
        "INSERT INTO value (measure_id, area_id, year, gender, value, status, count, batch_id)
         SELECT measure_id, area_id, year, gender, value, status, count, $1 FROM value_staging WHERE NOT is_delete{UPSERT_TAIL}"
    );
    tally.affected += sqlx::query(AssertSqlSafe(sql))
        .bind(batch_id)
        .execute(&mut **t)
        .await
        .map_err(db)?
        .rows_affected();
    Ok(())
}

/// One import's transaction: its batch (which every value it writes refers to), the
/// PostgreSQL staging table, and the counts. Nothing is visible before `commit`.
struct ImportTx {
    tx: Tx,
    /// Where PostgreSQL's rows go (unused on SQLite).
    copy_target: CopyTarget,
    batch_id: i64,
    now: String,
    catalogue_counts: WriteCounts,
    tally: Tally,
}

impl ImportTx {
    /// `bulk`: an import of files (may go straight into an empty table), rather than a
    /// change from a page (always merged, and never waiting for the table's lock).
    async fn begin(
        store: &SqlStore,
        source: &ImportSource,
        bulk: bool,
    ) -> Result<Self, StoreError> {
        let mut tx = store.begin().await?;
        let now = source.at.to_string();
        let batch_id: i64 = on_tx!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO import_batch (source, format, imported_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(&source.source).bind(&source.format).bind(&now)
            .fetch_one(&mut **t).await.map_err(db))?;
        let mut copy_target = CopyTarget::Staging;
        if let Tx::Postgres(t) = &mut tx
            && bulk
        {
            // A first import (an empty table) is copied straight in: merging 4.5 M rows
            // through a staging table took three times SQLite's time. EXCLUSIVE lets readers
            // go on but keeps a second importer waiting, so the table stays empty until our
            // COPY; a later import waits for ours and then merges.
            sqlx::query("LOCK TABLE value IN EXCLUSIVE MODE")
                .execute(&mut **t)
                .await
                .map_err(db)?;
            let empty: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM value)")
                .fetch_one(&mut **t)
                .await
                .map_err(db)?;
            if empty {
                copy_target = CopyTarget::Value;
                // The key is built once after the COPY, by sorting: 4.5 M rows copied into
                // the keyed table took 19 s, without it 5 s plus 6 s for the key. Readers
                // of the (empty) table wait for the commit meanwhile; a duplicate key fails
                // the import when the key is built, and the rollback brings the key back.
                sqlx::query("ALTER TABLE value DROP CONSTRAINT value_pkey")
                    .execute(&mut **t)
                    .await
                    .map_err(db)?;
            }
        }
        if let Tx::Postgres(t) = &mut tx {
            sqlx::query(
                "CREATE TEMPORARY TABLE value_staging (measure_id TEXT NOT NULL, area_id TEXT NOT NULL,
                     year BIGINT NOT NULL, gender TEXT NOT NULL, value DOUBLE PRECISION, status TEXT,
                     count BIGINT, is_delete BOOLEAN NOT NULL) ON COMMIT DROP",
            )
            .execute(&mut **t)
            .await
            .map_err(db)?;
        }
        Ok(Self {
            tx,
            copy_target,
            batch_id,
            now,
            catalogue_counts: WriteCounts::default(),
            tally: Tally::default(),
        })
    }

    async fn catalogue(&mut self, batch: &CatalogueBatch) -> Result<(), StoreError> {
        self.catalogue_counts += crate::catalogue::apply(&mut self.tx, batch).await?;
        Ok(())
    }

    async fn values(&mut self, rows: &[ValueRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        match &mut self.tx {
            Tx::Sqlite(_) => {
                write_sqlite(
                    &mut self.tx,
                    self.batch_id,
                    &self.now,
                    rows,
                    &mut self.tally,
                )
                .await
            }
            Tx::Postgres(t) => {
                copy_postgres(t, self.copy_target, self.batch_id, rows, &mut self.tally).await
            }
        }
    }

    /// Merges what was staged, records the counts with the batch, moves the data version on
    /// and commits.
    async fn commit(mut self) -> Result<WriteCounts, StoreError> {
        if let Tx::Postgres(t) = &mut self.tx {
            match self.copy_target {
                CopyTarget::Staging => {
                    merge_postgres(t, self.batch_id, &self.now, &mut self.tally).await?
                }
                CopyTarget::Value => {
                    sqlx::query("SET LOCAL maintenance_work_mem = '256MB'")
                        .execute(&mut **t)
                        .await
                        .map_err(db)?;
                    sqlx::query(
                        "ALTER TABLE value ADD CONSTRAINT value_pkey
                         PRIMARY KEY (measure_id, area_id, year, gender)",
                    )
                    .execute(&mut **t)
                    .await
                    .map_err(db)?;
                }
            }
        }
        let tx_ref = &mut self.tx;
        let updated: i64 = on_tx!(tx_ref, t => sqlx::query_scalar(
            "SELECT count(*) FROM value_revision WHERE replaced_by = $1 AND change = 'updated'")
            .bind(self.batch_id).fetch_one(&mut **t).await.map_err(db))?;
        let updated = updated as u64;
        let tally = &self.tally;
        let mut counts = WriteCounts {
            inserted: tally.affected.saturating_sub(updated),
            updated,
            unchanged: (tally.upserts - tally.affected) + (tally.deletes - tally.deleted),
            deleted: tally.deleted,
        };
        counts += self.catalogue_counts;
        exec!(
            tx_ref,
            "UPDATE import_batch SET inserted = $1, updated = $2, unchanged = $3, deleted = $4 WHERE id = $5",
            counts.inserted as i64,
            counts.updated as i64,
            counts.unchanged as i64,
            counts.deleted as i64,
            self.batch_id
        )?;
        crate::version::bump_version(tx_ref, crate::version::Moved::Values).await?;
        self.tx.commit().await?;
        Ok(counts)
    }
}

impl Values for SqlStore {
    async fn import(
        &self,
        source: &ImportSource,
        mut chunks: mpsc::Receiver<ImportChunk>,
    ) -> Result<WriteCounts, StoreError> {
        let mut import = ImportTx::begin(self, source, true).await?;
        while let Some(chunk) = chunks.recv().await {
            match chunk {
                ImportChunk::Catalogue(batch) => import.catalogue(&batch).await?,
                ImportChunk::Values(rows) => import.values(&rows).await?,
                ImportChunk::Commit => return import.commit().await,
            }
        }
        // The producer went away without `Commit`: dropping the transaction rolls it back.
        Err(StoreError::Aborted)
    }

    async fn apply(
        &self,
        source: &ImportSource,
        change: ChangeSet,
    ) -> Result<WriteCounts, StoreError> {
        let mut import = ImportTx::begin(self, source, false).await?;
        // What someone else may have changed meanwhile goes first, so a change that lost a
        // race stops before it writes anything.
        match change.step {
            Some(StatusStep::Round { round, from, to }) => {
                crate::rounds::move_status(&mut import.tx, round.0, from, to, None).await?;
            }
            Some(StatusStep::ServiceRoundPublished(round)) => {
                crate::service::mark_published(&mut import.tx, round.0).await?;
            }
            None => {}
        }
        crate::own::take_drafts(&mut import.tx, &change.drafts_taken).await?;
        if let Some(batch) = &change.catalogue {
            import.catalogue(batch).await?;
        }
        import.values(&change.values).await?;
        for n in &change.notes {
            crate::own::add_note(
                &mut import.tx,
                &n.measure,
                &n.municipality,
                n.year,
                &n.text,
                &n.author,
                &import.now,
            )
            .await?;
        }
        for record in &change.audit {
            crate::audit::audit_record(&mut import.tx, record).await?;
        }
        import.commit().await
    }

    async fn known_ids(&self) -> Result<KnownIds, StoreError> {
        let mut known = KnownIds::default();
        for (id,) in fetch_all!(pool self, (String,), "SELECT id FROM measure")? {
            known
                .measures
                .insert(MeasureId::parse(&id).map_err(invalid)?);
        }
        for (id,) in fetch_all!(pool self, (String,), "SELECT id FROM municipality")? {
            known
                .municipalities
                .insert(MunicipalityId::parse(&id).map_err(invalid)?);
        }
        for (id,) in fetch_all!(pool self, (String,), "SELECT id FROM municipality_group")? {
            known.groups.insert(GroupId::parse(&id).map_err(invalid)?);
        }
        Ok(known)
    }

    async fn export_values(
        &self,
        filter: &ValueFilter,
        out: mpsc::Sender<Vec<StoredValue>>,
    ) -> Result<u64, StoreError> {
        let (where_sql, text_args, years) = filter_sql(filter, "v");
        let sql = format!(
        "SELECT v.measure_id, v.area_id, v.year, v.gender, v.value, v.status, v.count, b.source, b.imported_at
         FROM value v JOIN import_batch b ON b.id = v.batch_id{where_sql}
         ORDER BY v.measure_id, v.area_id, v.year, v.gender"
    );
        type Row = (
            String,
            String,
            i64,
            String,
            Option<f64>,
            Option<String>,
            Option<i64>,
            String,
            String,
        );
        let mut tx = self.begin_read().await?;
        on_tx!(&mut tx, t => {
            let mut rows = filtered!(Row, &sql, &text_args, &years).fetch(&mut **t);
            let mut chunk = Vec::with_capacity(4096);
            let mut total = 0u64;
            while let Some((m, a, y, g, v, s, c, source, imported_at)) = rows.try_next().await.map_err(db)? {
                chunk.push(StoredValue { row: value_row((m, a, y, g, v, s, c))?, source, imported_at: moment(&imported_at)? });
                total += 1;
                if chunk.len() == 4096 {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(4096));
                    if out.send(full).await.is_err() {
                        return Err(StoreError::Aborted);
                    }
                }
            }
            if !chunk.is_empty() && out.send(chunk).await.is_err() {
                return Err(StoreError::Aborted);
            }
            Ok::<_, StoreError>(total)
        })
    }

    async fn select_values(&self, filter: &ValueFilter) -> Result<Vec<ValueRow>, StoreError> {
        let (where_sql, text_args, years) = filter_sql(filter, "v");
        let sql = format!(
            "SELECT v.measure_id, v.area_id, v.year, v.gender, v.value, v.status, v.count
             FROM value v{where_sql}"
        );
        type Row = (
            String,
            String,
            i64,
            String,
            Option<f64>,
            Option<String>,
            Option<i64>,
        );
        let rows: Vec<Row> =
            fetch_all!(public self, query => filtered!(Row, &sql, &text_args, &years))?;
        rows.into_iter().map(value_row).collect()
    }

    async fn numbers_by_measure_year(
        &self,
        filter: &ValueFilter,
    ) -> Result<Vec<MeasureYearNumbers>, StoreError> {
        let (where_sql, text_args, years) = filter_sql(filter, "v");
        // One row per list, the areas and numbers joined as text ("0180:91.5,0114:88"): a
        // row costs far more than its bytes, and a plan's positions need 290 areas of 1,000
        // measures. Both write each float so that it reads back exactly (17 significant digits).
        let joined = if self.backend() == "postgres" {
            "string_agg(v.area_id || ':' || v.value::text, ',')"
        } else {
            "group_concat(v.area_id || ':' || printf('%!.17g', v.value), ',')"
        };
        let sql = format!(
            "SELECT v.measure_id, v.gender, v.year, {joined} FROM value v{where_sql}
             {} v.value IS NOT NULL GROUP BY v.measure_id, v.gender, v.year",
            if where_sql.is_empty() { "WHERE" } else { "AND" }
        );
        let rows: Vec<(String, String, i64, String)> = fetch_all!(public self, query => filtered!((String, String, i64, String), &sql, &text_args, &years))?;
        rows.into_iter()
            .map(|(measure, gender, year, joined)| {
                let numbers = joined
                    .split(',')
                    .map(|pair| {
                        let (area, number) = pair.split_once(':').ok_or_else(|| invalid(pair))?;
                        Ok((
                            AreaId::parse(area).map_err(invalid)?,
                            number.parse::<f64>().map_err(|_| invalid(pair))?,
                        ))
                    })
                    .collect::<Result<_, StoreError>>()?;
                Ok(MeasureYearNumbers {
                    measure: MeasureId::parse(&measure).map_err(invalid)?,
                    gender: Gender::parse(&gender).map_err(invalid)?,
                    year: Year::new(year).map_err(invalid)?,
                    numbers,
                })
            })
            .collect()
    }

    async fn deleted_values(&self, filter: &ValueFilter) -> Result<Vec<ValueKey>, StoreError> {
        let (where_sql, text_args, years) = filter_sql(filter, "r");
        let sql = format!(
        "SELECT DISTINCT r.measure_id, r.area_id, r.year, r.gender FROM value_revision r{where_sql}
         {} r.change = 'deleted' AND NOT EXISTS (SELECT 1 FROM value v WHERE v.measure_id = r.measure_id
           AND v.area_id = r.area_id AND v.year = r.year AND v.gender = r.gender)",
        if where_sql.is_empty() { "WHERE" } else { "AND" }
    );
        let rows: Vec<(String, String, i64, String)> = fetch_all!(public self, query => filtered!((String, String, i64, String), &sql, &text_args, &years))?;
        let mut keys = rows
            .into_iter()
            .map(|(m, a, y, g)| {
                Ok(ValueKey {
                    measure: MeasureId::parse(&m).map_err(invalid)?,
                    area: AreaId::parse(&a).map_err(invalid)?,
                    year: Year::new(y).map_err(invalid)?,
                    gender: Gender::parse(&g).map_err(invalid)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        keys.sort();
        Ok(keys)
    }

    async fn value_history(&self, key: &ValueKey) -> Result<Vec<ValueRevision>, StoreError> {
        type Row = (
            Option<f64>,
            Option<String>,
            Option<i64>,
            String,
            String,
            String,
            Option<String>,
            i64,
        );
        let rows = fetch_all!(public self, Row,
        "SELECT v.value, v.status, v.count, b.source, b.format, b.imported_at, CAST(NULL AS TEXT), 9223372036854775807 AS ord
           FROM value v JOIN import_batch b ON b.id = v.batch_id
          WHERE v.measure_id = $1 AND v.area_id = $2 AND v.year = $3 AND v.gender = $4
         UNION ALL
         SELECT r.value, r.status, r.count, b.source, b.format, b.imported_at, r.replaced_at, r.id AS ord
           FROM value_revision r JOIN import_batch b ON b.id = r.batch_id
          WHERE r.measure_id = $1 AND r.area_id = $2 AND r.year = $3 AND r.gender = $4
         ORDER BY ord DESC",
        key.measure.as_str(), key.area.as_str(), i64::from(key.year.get()), key.gender.code())?;
        rows.into_iter()
            .map(
                |(value, status, count, source, format, imported_at, replaced_at, _)| {
                    Ok(ValueRevision {
                        datum: datum(value, status.as_deref())?,
                        count: count.map(|c| c as u32),
                        source,
                        format,
                        imported_at: moment(&imported_at)?,
                        replaced_at: replaced_at.as_deref().map(moment).transpose()?,
                    })
                },
            )
            .collect()
    }

    /// Every value in key order, without provenance: the fast path for whole-dump computations.
    async fn all_values(&self, out: mpsc::Sender<Vec<ValueRow>>) -> Result<u64, StoreError> {
        const SQL: &str =
            "SELECT measure_id, area_id, year, gender, value, status, count FROM value
        ORDER BY measure_id, area_id, year, gender";
        let mut tx = self.begin_read().await?;
        on_tx!(&mut tx, t => {
            let mut rows = sqlx::query_as::<_, ValueTuple>(SQL).fetch(&mut **t);
            let mut chunk = Vec::with_capacity(8192);
            let mut total = 0u64;
            while let Some(row) = rows.try_next().await.map_err(db)? {
                chunk.push(value_row(row)?);
                total += 1;
                if chunk.len() == 8192 {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(8192));
                    if out.send(full).await.is_err() {
                        return Err(StoreError::Aborted);
                    }
                }
            }
            if !chunk.is_empty() && out.send(chunk).await.is_err() {
                return Err(StoreError::Aborted);
            }
            Ok::<_, StoreError>(total)
        })
    }

    /// Every value of one measure and gender, and when the measure's values last changed.
    async fn measure_values(
        &self,
        measure: &MeasureId,
        gender: Gender,
    ) -> Result<MeasureValues, StoreError> {
        let rows = fetch_all!(public self, (String, i64, Option<f64>, Option<String>, Option<i64>),
        "SELECT area_id, year, value, status, count FROM value WHERE measure_id = $1 AND gender = $2",
        measure.as_str(), gender.code())?;
        let updated = fetch_all!(public self, (Option<String>,),
        "SELECT max(b.imported_at) FROM import_batch b
         WHERE b.id = (SELECT max(v.batch_id) FROM value v WHERE v.measure_id = $1)", measure.as_str())?;
        let mut values = Vec::with_capacity(rows.len());
        for (area, year, number, status, count) in rows {
            let datum = datum(number, status.as_deref())?;
            values.push(AreaValue {
                area: AreaId::parse(&area).map_err(invalid)?,
                year: Year::new(year).map_err(invalid)?,
                datum,
                count: count.and_then(|c| u32::try_from(c).ok()),
            });
        }
        Ok(MeasureValues {
            values,
            updated_at: updated
                .into_iter()
                .next()
                .and_then(|(u,)| u)
                .as_deref()
                .map(moment)
                .transpose()?,
        })
    }
}
