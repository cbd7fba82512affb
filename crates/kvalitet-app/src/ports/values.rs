//! The values port: the import stream (catalogue, values and the changes that go with them, in one transaction) and reading values back.

use std::collections::HashSet;
use std::future::Future;

use serde::Serialize;
use tokio::sync::mpsc;

use kvalitet_domain::Timestamp;
use kvalitet_domain::{
    AreaId, County, Datum, Gender, GroupId, Measure, MeasureId, MeasureSet, Municipality,
    MunicipalityGroup, MunicipalityId, RoundId, ServiceRoundId, ValueKey, ValueRow, Year,
    round::Status,
};
use kvalitet_formats::KpiGroupRecord;

use super::{AuditRecord, Draft, StoreError};

/// Where an import came from, recorded with every value it wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSource {
    /// A file path or URL.
    pub source: String,
    /// The format name (see `kvalitet_formats::Format::name`).
    pub format: String,
    /// When the import was made: the batch's time in the value history.
    pub at: kvalitet_domain::Timestamp,
}

/// Catalogue metadata read from one file.
#[derive(Debug, Clone, Default)]
pub struct CatalogueBatch {
    /// The year the catalogue describes; titles and definitions are kept per year.
    pub catalogue_year: Option<Year>,
    pub counties: Vec<(County, Option<MunicipalityId>)>,
    pub municipalities: Vec<Municipality>,
    pub groups: Vec<MunicipalityGroup>,
    pub neighbours: Vec<(MunicipalityId, Vec<MunicipalityId>)>,
    pub measures: Vec<Measure>,
    pub kpi_groups: Vec<KpiGroupRecord>,
    pub measure_sets: Vec<MeasureSet>,
    /// Map outlines as SVG paths.
    pub shapes: Vec<(MunicipalityId, String)>,
    /// Assessment frameworks with their TOML text.
    pub frameworks: Vec<(kvalitet_domain::assessment::Framework, String)>,
}

impl CatalogueBatch {
    pub fn len(&self) -> usize {
        self.counties.len()
            + self.municipalities.len()
            + self.groups.len()
            + self.neighbours.len()
            + self.measures.len()
            + self.kpi_groups.len()
            + self.measure_sets.len()
            + self.shapes.len()
            + self.frameworks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What flows into [`Values::import`], a file or a sync streamed in pieces. Nothing is kept
/// unless the last message is `Commit`: a producer that stops (an error, a panic, a dropped
/// sender) leaves the store unchanged.
#[derive(Debug)]
pub enum ImportChunk {
    Catalogue(Box<CatalogueBatch>),
    /// Values with no key repeated, neither within the chunk nor across chunks.
    Values(Vec<ValueRow>),
    Commit,
}

/// One change of published data and everything that belongs to it, written by
/// [`Values::apply`] in one transaction: what it publishes (catalogue and values), the drafts
/// it takes, the notes it puts beside values, the status step it makes, and its audit events.
/// Either all of it is written or none.
#[derive(Debug, Default)]
pub struct ChangeSet {
    pub catalogue: Option<CatalogueBatch>,
    /// Values with no key repeated.
    pub values: Vec<ValueRow>,
    /// Drafts this change publishes, each taken only if it is still exactly as read (value,
    /// status, who and when); if any has changed or gone meanwhile (a new upload, another
    /// publish), the whole change is refused with `Conflict`.
    pub drafts_taken: Vec<Draft>,
    pub notes: Vec<Note>,
    /// A status step made with the change, refused unless the object is still where it was.
    pub step: Option<StatusStep>,
    pub audit: Vec<AuditRecord>,
}

/// A note shown with a published value (e.g. that it is uncertain), put before the
/// municipality's own comment on the measure and year, if any, unless already there.
#[derive(Debug, Clone)]
pub struct Note {
    pub measure: MeasureId,
    pub municipality: MunicipalityId,
    pub year: Year,
    pub text: String,
    pub author: String,
}

/// A status step that a change makes.
#[derive(Debug, Clone, Copy)]
pub enum StatusStep {
    /// An assessment round from one status to another; `NotFound` when it is not in `from`
    /// (someone else moved it).
    Round {
        round: RoundId,
        from: Status,
        to: Status,
    },
    /// A service round from draft to published; refused unless it is a draft.
    ServiceRoundPublished(ServiceRoundId),
}

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WriteCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
}

impl std::ops::AddAssign for WriteCounts {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.deleted += o.deleted;
    }
}

/// The ids a value may refer to.
#[derive(Debug, Clone, Default)]
pub struct KnownIds {
    pub measures: HashSet<MeasureId>,
    pub municipalities: HashSet<MunicipalityId>,
    pub groups: HashSet<GroupId>,
}

impl KnownIds {
    pub fn knows_area(&self, area: &AreaId) -> bool {
        match area {
            AreaId::Municipality(m) => self.municipalities.contains(m),
            AreaId::Group(g) => self.groups.contains(g),
        }
    }
}

/// Which values to read; empty lists mean "all".
#[derive(Debug, Clone, Default)]
pub struct ValueFilter {
    pub measures: Vec<MeasureId>,
    pub areas: Vec<AreaId>,
    pub years: Vec<Year>,
    pub genders: Vec<Gender>,
    /// Only values written by imports at or after this time (RFC 3339 or `YYYY-MM-DD`, UTC).
    pub changed_since: Option<String>,
}

/// A stored value with where and when it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredValue {
    #[serde(skip)]
    pub row: ValueRow,
    pub source: String,
    /// RFC 3339, UTC.
    pub imported_at: Timestamp,
}

/// One version of a value: the current one (`replaced_at` none) or an earlier one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueRevision {
    pub datum: Datum,
    pub count: Option<u32>,
    /// The file, URL or person the import came from: for staff only, never on a public page
    /// (it may hold a server's paths or a person's address).
    pub source: String,
    /// The kind of import (`publish`, `kolada-json`, `values-csv`, ...), safe to show.
    pub format: String,
    pub imported_at: Timestamp,
    pub replaced_at: Option<Timestamp>,
}

/// One value of a measure (gender given by the query).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AreaValue {
    pub area: AreaId,
    pub year: Year,
    pub datum: Datum,
    pub count: Option<u32>,
}

/// Every value of one measure and gender, unordered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeasureValues {
    pub values: Vec<AreaValue>,
    /// When the newest of the measure's values was imported (RFC 3339).
    pub updated_at: Option<Timestamp>,
}

/// Every area's number of one measure, gender and year.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureYearNumbers {
    pub measure: MeasureId,
    pub gender: Gender,
    pub year: Year,
    pub numbers: Vec<(AreaId, f64)>,
}

/// Values and the two ways in for them (a streamed import, a change set of a use case), and
/// reading values back.
pub trait Values: Send + Sync + 'static {
    /// Applies the chunks of one import in one transaction, committing only on
    /// [`ImportChunk::Commit`]. Values are inserted, updated (the old version kept as a
    /// revision) or deleted; identical values are left alone.
    fn import(
        &self,
        source: &ImportSource,
        chunks: mpsc::Receiver<ImportChunk>,
    ) -> impl Future<Output = Result<WriteCounts, StoreError>> + Send;

    /// Writes a use case's change and everything that goes with it in one transaction (see
    /// [`ChangeSet`]); values as an import does, recorded as from `source`.
    fn apply(
        &self,
        source: &ImportSource,
        change: ChangeSet,
    ) -> impl Future<Output = Result<WriteCounts, StoreError>> + Send;

    /// The ids of everything values may refer to.
    fn known_ids(&self) -> impl Future<Output = Result<KnownIds, StoreError>> + Send;

    /// Sends the values matching `filter`, ordered by measure, area, year, gender, in chunks.
    fn export_values(
        &self,
        filter: &ValueFilter,
        out: mpsc::Sender<Vec<StoredValue>>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Keys matching `filter` whose value was deleted at or after `filter.changed_since`
    /// and has not come back since.
    fn deleted_values(
        &self,
        filter: &ValueFilter,
    ) -> impl Future<Output = Result<Vec<ValueKey>, StoreError>> + Send;

    /// All versions of one value, newest first.
    fn value_history(
        &self,
        key: &ValueKey,
    ) -> impl Future<Output = Result<Vec<ValueRevision>, StoreError>> + Send;

    /// Every value, ordered by measure, area, year, gender, in chunks; no provenance.
    fn all_values(
        &self,
        out: mpsc::Sender<Vec<ValueRow>>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The values matching `filter` without provenance, in no particular order: many
    /// measures read at once (a goal plan's indicators) in one query.
    fn select_values(
        &self,
        filter: &ValueFilter,
    ) -> impl Future<Output = Result<Vec<ValueRow>, StoreError>> + Send;

    /// Every area's number (missing values left out) of each measure, gender and year that
    /// match `filter`, one list per measure, gender and year: the input of comparisons for
    /// many measures, read as one row per list rather than one per value.
    fn numbers_by_measure_year(
        &self,
        filter: &ValueFilter,
    ) -> impl Future<Output = Result<Vec<MeasureYearNumbers>, StoreError>> + Send;

    /// Every value of one measure and gender, for all areas and years.
    fn measure_values(
        &self,
        measure: &MeasureId,
        gender: Gender,
    ) -> impl Future<Output = Result<MeasureValues, StoreError>> + Send;
}
