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
    // Every server listening hears of it when the change commits (never if it rolls back),
    // and forgets its cached pages at once instead of at its next look.
    if let Tx::Postgres(_) = t {
        exec!(t, "SELECT pg_notify($1, '')", VERSION_CHANNEL)?;
    }
    Ok(())
}

/// The PostgreSQL channel on which a moved data version is announced.
pub const VERSION_CHANNEL: &str = "kvalitet_version";

impl SqlStore {
    /// On PostgreSQL, a listener on [`VERSION_CHANNEL`] on a connection of its own (LISTEN
    /// needs a session: the direct URL when there is one); `None` on SQLite, where one
    /// machine's servers poll the version.
    pub async fn version_listener(&self) -> Result<Option<sqlx::postgres::PgListener>, StoreError> {
        let Self::Postgres(pool, routes) = self else {
            return Ok(None);
        };
        let mut listener = match &routes.direct {
            // The listener reconnects through this pool of one when its connection drops.
            Some(direct) => {
                sqlx::postgres::PgListener::connect_with(
                    &sqlx::postgres::PgPoolOptions::new()
                        .max_connections(1)
                        .connect_lazy_with(direct.clone()),
                )
                .await
            }
            None => sqlx::postgres::PgListener::connect_with(pool).await,
        }
        .map_err(crate::db)?;
        listener.listen(VERSION_CHANNEL).await.map_err(crate::db)?;
        Ok(Some(listener))
    }
}

impl DataVersion for SqlStore {
    async fn data_version(&self) -> Result<i64, StoreError> {
        let rows = fetch_all!(pool self, (i64,), "SELECT version FROM data_version WHERE id = 1")?;
        let version = rows.first().map_or(0, |r| r.0);
        if let Self::Postgres(_, routes) = self {
            routes.primary_at(version);
        }
        Ok(version)
    }
}
