//! The own-data port: a municipality's own measures, drafts and comments.

use std::future::Future;

use serde::Serialize;

use kvalitet_domain::Timestamp;
use kvalitet_domain::{
    Datum, Measure, MeasureId, MeasureProfile, MunicipalityId, UserId, ValueKey, ValueRow, Year,
};

use super::{Actor, StoreError};

/// A value waiting to be published, with who last changed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub row: ValueRow,
    /// The value published under the same key, which publishing the draft replaces.
    pub published: Option<Datum>,
    /// Why the draft corrects the published value, shown to residents once published.
    pub reason: Option<String>,
    pub updated_by: String,
    pub updated_at: Timestamp,
}

/// The municipality's comment on a measure and year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub measure: MeasureId,
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

    /// Retires the municipality's own measure (no longer offered for new values; its values
    /// stay), or with `retired == false` takes it up again (audited); `NotFound` unless the
    /// measure is the municipality's own.
    fn set_measure_retired(
        &self,
        measure: &MeasureId,
        owner: &MunicipalityId,
        retired: bool,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Saves drafts of one municipality's values, all or none (audited), with the reason
    /// for the correction of those that change a published value.
    fn save_drafts(
        &self,
        municipality: &MunicipalityId,
        rows: &[ValueRow],
        reason: Option<&str>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Keeps a checked upload (its rows as text) for its preview, under a token's hash, for
    /// the person who made it.
    fn keep_upload(
        &self,
        token_hash: &str,
        municipality: &MunicipalityId,
        user: UserId,
        rows_text: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Takes (and forgets) a kept upload of this person and municipality made at or after
    /// `not_before`; forgets every older one on the way.
    fn take_upload(
        &self,
        token_hash: &str,
        municipality: &MunicipalityId,
        user: UserId,
        not_before: Timestamp,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Removes one draft of the municipality (audited with its value); `NotFound` when
    /// there is none under the key.
    fn remove_draft(
        &self,
        municipality: &MunicipalityId,
        key: &ValueKey,
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

    /// The comments by a municipality on one measure (or on every measure, with `None`),
    /// by measure, newest year first.
    fn comments(
        &self,
        measure: Option<&MeasureId>,
        municipality: &MunicipalityId,
    ) -> impl Future<Output = Result<Vec<Comment>, StoreError>> + Send;

    /// Saves a new version of the municipality's introduction (an empty text withdraws
    /// it); earlier versions are kept (audited, public at once).
    fn set_introduction(
        &self,
        municipality: &MunicipalityId,
        body: &str,
        body_en: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every version of the municipality's introduction, newest first.
    fn introductions(
        &self,
        municipality: &MunicipalityId,
    ) -> impl Future<Output = Result<Vec<Introduction>, StoreError>> + Send;
}

/// One version of the municipality's own introduction to its results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introduction {
    /// In Swedish; empty when the version withdrew the introduction.
    pub body: String,
    /// In English; empty when there is no translation (English pages then show the Swedish).
    pub body_en: String,
    pub author: String,
    pub written_at: Timestamp,
}
