//! Export: values as long CSV, the same shape `import` reads, so an export imports back
//! unchanged.

use std::io::Write;

use tokio::sync::mpsc;

use kvalitet_domain::Datum;

use crate::ports::{StoreError, StoredValue, ValueFilter, Values};

/// The header of an export; `import` reads it back.
pub const HEADER: [&str; 7] = [
    "kpi",
    "municipality_id",
    "year",
    "gender",
    "value",
    "status",
    "count",
];

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
}

/// Writes every value matching `filter` to `out` and returns how many were written.
pub async fn export_csv<S: Values, W: Write + Send + 'static>(
    store: &S,
    filter: &ValueFilter,
    out: W,
) -> Result<u64, ExportError> {
    let (tx, mut rx) = mpsc::channel::<Vec<StoredValue>>(4);
    let writer = tokio::task::spawn_blocking(move || -> Result<(), std::io::Error> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(HEADER)?;
        let mut number = String::new();
        let mut count = String::new();
        while let Some(chunk) = rx.blocking_recv() {
            for v in chunk {
                let k = v.row.key;
                number.clear();
                let status = match v.row.datum {
                    Datum::Number(n) => {
                        use std::fmt::Write as _;
                        let _ = write!(number, "{n}");
                        ""
                    }
                    Datum::Missing(s) => s.code(),
                    Datum::Deleted => continue,
                };
                count.clear();
                if let Some(c) = v.row.count {
                    use std::fmt::Write as _;
                    let _ = write!(count, "{c}");
                }
                let year = k.year.to_string();
                csv.write_record([
                    k.measure.as_str(),
                    k.area.as_str(),
                    year.as_str(),
                    k.gender.code(),
                    number.as_str(),
                    status,
                    count.as_str(),
                ])?;
            }
        }
        csv.flush()
    });
    let exported = store.export_values(filter, tx).await;
    let written = writer
        .await
        .map_err(|e| std::io::Error::other(format!("the writer stopped: {e}")))?;
    let n = exported?;
    written?;
    Ok(n)
}
