//! The sync log port: runs of `kvalitet sync` and the queries they finished.

use std::future::Future;

use super::StoreError;

/// Runs of `kvalitet sync` and the queries they finished, so an interrupted sync resumes.
pub trait SyncLog: Send + Sync + 'static {
    /// Starts a sync of `source` with `options` (a canonical text), or resumes the latest
    /// unfinished one with the same two; returns the run and the queries it finished.
    fn start_sync(
        &self,
        source: &str,
        options: &str,
        at: kvalitet_domain::Timestamp,
    ) -> impl Future<Output = Result<(i64, std::collections::HashSet<String>), StoreError>> + Send;

    /// Records that every page of the query starting at `url` was imported.
    fn finish_sync_query(
        &self,
        run: i64,
        url: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Marks a run finished, so the next sync starts afresh.
    fn finish_sync(
        &self,
        run: i64,
        at: kvalitet_domain::Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
