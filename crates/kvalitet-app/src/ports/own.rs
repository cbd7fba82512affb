//! The own-data port: a municipality's own measures, drafts and comments.

use std::future::Future;

use serde::Serialize;

use kvalitet_domain::Timestamp;
use kvalitet_domain::{Measure, MeasureId, MeasureProfile, MunicipalityId, ValueRow, Year};

use super::{Actor, StoreError};

/// A value waiting to be published, with who last changed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub row: ValueRow,
    pub updated_by: String,
    pub updated_at: Timestamp,
}

/// The municipality's comment on a measure and year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub year: i16,
    pub body: String,
    pub author: String,
    pub updated_at: Timestamp,
}

/// A municipality's own measures, drafts and comments.
pub trait OwnData: Send + Sync + 'static {
    /// Creates or changes the municipality's own measure and how it is shown (audited).
    fn define_own_measure(
        &self,
        measure: &Measure,
        profile: &MeasureProfile,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Saves drafts of one municipality's values, all or none (audited).
    fn save_drafts(
        &self,
        municipality: &MunicipalityId,
        rows: &[ValueRow],
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The drafts of one municipality, ordered by measure, year, gender.
    fn drafts(
        &self,
        municipality: &MunicipalityId,
    ) -> impl Future<Output = Result<Vec<Draft>, StoreError>> + Send;

    /// Sets (or with `None` removes) the comment on a measure and year; it is public at
    /// once, so it counts as a data change for caches (audited).
    fn set_comment(
        &self,
        measure: &MeasureId,
        municipality: &MunicipalityId,
        year: Year,
        body: Option<&str>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The comments on a measure by a municipality, newest year first.
    fn comments(
        &self,
        measure: &MeasureId,
        municipality: &MunicipalityId,
    ) -> impl Future<Output = Result<Vec<Comment>, StoreError>> + Send;
}
