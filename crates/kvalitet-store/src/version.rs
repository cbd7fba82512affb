//! The data versions: caches key on them, and every change residents can see moves them, as
//! the last statement of its transaction.

use kvalitet_app::ports::{DataVersion, StoreError, Versions};

use crate::{SqlStore, Tx, exec, fetch_all};

/// What a change touched, which decides which versions it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Moved {
    /// Only what pages say beside the numbers (introductions, comments, goals, dialogues,
    /// award texts): pages are made again, the catalogue and the values are not reloaded.
    Pages,
    /// Something the catalogue or a measure's values are made from (values, measures,
    /// sets, municipalities, rounds' results): everything is made again.
    Values,
}

/// Moves the data version (and, for [`Moved::Values`], the values version) on, inside the
/// change's transaction. Called just before the commit: the counter's row stays locked
/// (PostgreSQL) only while the commit happens.
pub(crate) async fn bump_version(t: &mut Tx, moved: Moved) -> Result<(), StoreError> {
    match moved {
        Moved::Pages => exec!(
            t,
            "UPDATE data_version SET version = version + 1 WHERE id = 1"
        )?,
        // Both move: pages show the values, so they are made again too.
        Moved::Values => exec!(
            t,
            "UPDATE data_version SET version = version + 1, values_version = values_version + 1 WHERE id = 1"
        )?,
    };
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
    async fn versions(&self) -> Result<Versions, StoreError> {
        let rows = fetch_all!(
            pool self,
            (i64, i64),
            "SELECT version, values_version FROM data_version WHERE id = 1"
        )?;
        let (data, values) = rows.first().copied().unwrap_or_default();
        if let Self::Postgres(_, routes) = self {
            routes.primary_at(data);
        }
        Ok(Versions { data, values })
    }
}
