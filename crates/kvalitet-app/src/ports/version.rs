//! The data version port: one counter that every visible change moves.

use std::future::Future;

use super::StoreError;

/// The data version: a counter that every visible change moves, which caches key on.
pub trait DataVersion: Send + Sync + 'static {
    /// A number that changes whenever an import commits (on any instance sharing the
    /// database), so answers computed from the data may be cached until it does.
    fn data_version(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;
}
