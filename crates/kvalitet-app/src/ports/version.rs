//! The data version port: counters that visible changes move, which caches key on.

use std::future::Future;

use super::StoreError;

/// Where the data stands: two counters that only ever grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Versions {
    /// Moved by every change residents can see: pages key on it.
    pub data: i64,
    /// Moved only by changes to what the catalogue and the measures' values are made from
    /// (values, measures, sets, municipalities); never ahead of `data`. The catalogue and the
    /// values loaded for pages key on it, so a changed text does not reload the numbers.
    pub values: i64,
}

/// The data versions, which caches key on.
pub trait DataVersion: Send + Sync + 'static {
    /// Both counters, read together. They change whenever a change commits (on any
    /// instance sharing the database), so answers computed from the data may be cached
    /// until they do.
    fn versions(&self) -> impl Future<Output = Result<Versions, StoreError>> + Send;

    /// The data version alone (see [`Versions::data`]).
    fn data_version(&self) -> impl Future<Output = Result<i64, StoreError>> + Send {
        async { Ok(self.versions().await?.data) }
    }
}
