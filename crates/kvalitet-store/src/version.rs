//! The data version: caches key on it, and every change residents can see moves it.

use kvalitet_app::ports::{DataVersion, StoreError};

use crate::{SqlStore, Tx, exec, fetch_all};

/// Records a change that is not an import of values, so cached pages are made anew.
pub(crate) async fn bump_version(
    t: &mut Tx,
    who: &str,
    at: &str,
    what: &str,
) -> Result<(), StoreError> {
    exec!(
        t,
        "INSERT INTO import_batch (source, format, imported_at) VALUES ($1, $2, $3)",
        format!("{what} by {who}"),
        what,
        at
    )?;
    Ok(())
}

impl DataVersion for SqlStore {
    async fn data_version(&self) -> Result<i64, StoreError> {
        let rows = fetch_all!(pool self, (Option<i64>,), "SELECT max(id) FROM import_batch")?;
        Ok(rows.first().and_then(|r| r.0).unwrap_or(0))
    }
}
