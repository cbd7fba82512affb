//! The import transaction: catalogue batches and values, with revision history and counts.
//!
//! SQLite receives multi-row upserts as chunks arrive. PostgreSQL receives the values by
//! COPY into a temporary staging table and merges them in one statement at commit. Either
//! way nothing is visible to others, or kept, before `ImportChunk::Commit`.

use std::fmt::Write as _;
use std::sync::Arc;

use sqlx::AssertSqlSafe;

use tokio::sync::mpsc;

use kvalitet_app::ports::{ImportChunk, ImportSource, StoreError, WriteCounts};
use kvalitet_domain::{Datum, ValueRow};

use crate::{SqlStore, Tx, catalogue, db, exec, now_text, on_tx};

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

pub(crate) async fn import(
    store: &SqlStore,
    source: &ImportSource,
    mut chunks: mpsc::Receiver<ImportChunk>,
) -> Result<WriteCounts, StoreError> {
    let mut tx = store.begin().await?;
    let now = now_text();
    let batch_id: i64 = on_tx!(&mut tx, t => sqlx::query_scalar(
        "INSERT INTO import_batch (source, format, imported_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(&source.source).bind(&source.format).bind(&now)
        .fetch_one(&mut **t).await.map_err(db))?;
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
    let mut catalogue_counts = WriteCounts::default();
    let mut tally = Tally::default();
    while let Some(chunk) = chunks.recv().await {
        match chunk {
            ImportChunk::Catalogue(batch) => {
                catalogue_counts += catalogue::apply(&mut tx, &batch).await?
            }
            ImportChunk::Values(rows) => match &mut tx {
                Tx::Sqlite(_) => write_sqlite(&mut tx, batch_id, &now, &rows, &mut tally).await?,
                Tx::Postgres(t) => stage_postgres(t, &rows, &mut tally).await?,
            },
            ImportChunk::PublishDrafts(drafts) => {
                crate::accounts::take_drafts(&mut tx, &drafts).await?
            }
            ImportChunk::Audit(record) => crate::accounts::audit_record(&mut tx, &record).await?,
            ImportChunk::Note {
                measure,
                municipality,
                year,
                text,
                author,
            } => {
                crate::accounts::add_note(
                    &mut tx,
                    &measure,
                    &municipality,
                    year,
                    &text,
                    &author,
                    &now,
                )
                .await?;
            }
            ImportChunk::ServiceRoundPublished(round) => {
                crate::service::mark_published(&mut tx, round).await?;
            }
            ImportChunk::RoundStatus { round, from, to } => {
                crate::rounds::move_status(&mut tx, round, from, to, None).await?;
            }
            ImportChunk::Commit => {
                if let Tx::Postgres(t) = &mut tx {
                    merge_postgres(t, batch_id, &now, &mut tally).await?;
                }
                let tx_ref = &mut tx;
                let updated: i64 = on_tx!(tx_ref, t => sqlx::query_scalar(
                    "SELECT count(*) FROM value_revision WHERE replaced_by = $1 AND change = 'updated'")
                    .bind(batch_id).fetch_one(&mut **t).await.map_err(db))?;
                let updated = updated as u64;
                let mut counts = WriteCounts {
                    inserted: tally.affected.saturating_sub(updated),
                    updated,
                    unchanged: (tally.upserts - tally.affected) + (tally.deletes - tally.deleted),
                    deleted: tally.deleted,
                };
                counts += catalogue_counts;
                exec!(
                    tx_ref,
                    "UPDATE import_batch SET inserted = $1, updated = $2, unchanged = $3, deleted = $4 WHERE id = $5",
                    counts.inserted as i64,
                    counts.updated as i64,
                    counts.unchanged as i64,
                    counts.deleted as i64,
                    batch_id
                )?;
                tx.commit().await?;
                return Ok(counts);
            }
        }
    }
    // The producer went away without `Commit`: dropping `tx` rolls everything back.
    Err(StoreError::Aborted)
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

/// Appends rows to the staging table with COPY (text format; ids are plain ASCII).
async fn stage_postgres(
    t: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    rows: &[ValueRow],
    tally: &mut Tally,
) -> Result<(), StoreError> {
    let mut data = String::with_capacity(rows.len() * 48);
    for r in rows {
        let k = &r.key;
        let is_delete = matches!(r.datum, Datum::Deleted);
        if is_delete {
            tally.deletes += 1;
        } else {
            tally.upserts += 1;
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
        data.push_str(if is_delete { "\tt\n" } else { "\tf\n" });
    }
    let mut copy = t
        .copy_in_raw("COPY value_staging (measure_id, area_id, year, gender, value, status, count, is_delete) FROM STDIN")
        .await
        .map_err(db)?;
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
