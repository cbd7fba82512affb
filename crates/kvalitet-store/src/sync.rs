//! The sync log: each `kvalitet sync` run and the queries it finished, so a run that stops
//! is resumed where it was.

use kvalitet_app::ports::{StoreError, SyncLog};
use kvalitet_domain::Timestamp;

use crate::{SqlStore, exec, fetch_all};

impl SyncLog for SqlStore {
    async fn start_sync(
        &self,
        source: &str,
        options: &str,
        at: Timestamp,
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
                    source, options, at.to_string())?;
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
        let mut tx = self.begin().await?;
        let t = &mut tx;
        exec!(
            t,
            "INSERT INTO sync_query (run_id, url) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            run,
            url
        )?;
        tx.commit().await
    }

    async fn finish_sync(&self, run: i64, at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        exec!(
            t,
            "UPDATE sync_run SET finished_at = $1 WHERE id = $2",
            at.to_string(),
            run
        )?;
        tx.commit().await
    }
}
