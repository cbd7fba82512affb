//! The data version: caches key on it, and every change residents can see moves it, as the
//! last statement of its transaction.

use kvalitet_app::ports::{DataVersion, StoreError};

use crate::{SqlStore, Tx, exec, fetch_all};

/// Moves the data version on, inside the change's transaction. Called just before the
/// commit: the counter's row stays locked (PostgreSQL) only while the commit happens.
pub(crate) async fn bump_version(t: &mut Tx) -> Result<(), StoreError> {
    exec!(
        t,
        "UPDATE data_version SET version = version + 1 WHERE id = 1"
    )?;
    Ok(())
}

impl DataVersion for SqlStore {
    async fn data_version(&self) -> Result<i64, StoreError> {
        let rows = fetch_all!(pool self, (i64,), "SELECT version FROM data_version WHERE id = 1")?;
        Ok(rows.first().map_or(0, |r| r.0))
    }
}
