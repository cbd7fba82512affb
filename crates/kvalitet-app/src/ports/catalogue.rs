//! The catalogue port: municipalities, groups, measures and their texts, measure sets, map shapes.

use std::collections::HashMap;
use std::future::Future;

use serde::Serialize;

use kvalitet_domain::Timestamp;
use kvalitet_domain::{
    County, Measure, MeasureId, MeasureProfile, MeasureSet, Municipality, MunicipalityGroup,
    MunicipalityId, Year,
};
use kvalitet_formats::KpiGroupRecord;

use super::StoreError;

/// What is loaded, for the start page and `kvalitet status`-like summaries.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overview {
    pub kommuner: u64,
    pub regions: u64,
    pub riket: u64,
    pub groups: u64,
    pub measures: u64,
    pub values: u64,
    pub first_year: Option<i16>,
    pub last_year: Option<i16>,
    pub recent_imports: Vec<ImportRecord>,
}

/// One finished import, as recorded in the database.
#[derive(Debug, Clone, Serialize)]
pub struct ImportRecord {
    /// For staff only: may hold a path, a URL or a person's address.
    #[serde(skip)]
    pub source: String,
    pub format: String,
    pub imported_at: Timestamp,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
}

/// A measure's title and definition as of one catalogue year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureText {
    pub year: i16,
    pub title: String,
    pub description: String,
}

/// A measure set in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureSetSummary {
    pub id: String,
    pub title: String,
    pub title_en: Option<String>,
    pub measures: u64,
}

impl From<&MeasureSet> for MeasureSetSummary {
    fn from(set: &MeasureSet) -> Self {
        Self {
            id: set.id.clone(),
            title: set.title.clone(),
            title_en: set.title_en.clone(),
            measures: set.areas.iter().map(|a| a.items.len() as u64).sum(),
        }
    }
}

/// The catalogue: municipalities, counties, groups, measures with their texts, measure sets, shapes, and an overview of what is loaded.
pub trait Catalogue: Send + Sync + 'static {
    fn municipalities(&self) -> impl Future<Output = Result<Vec<Municipality>, StoreError>> + Send;

    fn counties(&self) -> impl Future<Output = Result<Vec<County>, StoreError>> + Send;

    /// Every municipality's neighbours, in one read.
    fn neighbours(
        &self,
    ) -> impl Future<Output = Result<HashMap<MunicipalityId, Vec<MunicipalityId>>, StoreError>> + Send;

    fn groups(&self) -> impl Future<Output = Result<Vec<MunicipalityGroup>, StoreError>> + Send;

    fn measure(
        &self,
        id: &MeasureId,
    ) -> impl Future<Output = Result<Option<Measure>, StoreError>> + Send;

    /// Every measure, ordered by id.
    fn measures(&self) -> impl Future<Output = Result<Vec<Measure>, StoreError>> + Send;

    /// The measure's title and definition as of `year`: the text of the latest catalogue
    /// year not after `year`, or the earliest text when all are later.
    fn measure_text(
        &self,
        id: &MeasureId,
        year: Year,
    ) -> impl Future<Output = Result<Option<MeasureText>, StoreError>> + Send;

    /// The number of measures; with a year, the number the catalogue of that year listed.
    fn measure_count(
        &self,
        catalogue_year: Option<Year>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    fn kpi_groups(&self) -> impl Future<Output = Result<Vec<KpiGroupRecord>, StoreError>> + Send;

    /// Creates or replaces a measure set.
    fn save_measure_set(
        &self,
        set: &MeasureSet,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn measure_set(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<MeasureSet>, StoreError>> + Send;

    /// Every measure set whole, ordered by id, in a few reads however many there are.
    fn measure_sets(&self) -> impl Future<Output = Result<Vec<MeasureSet>, StoreError>> + Send;

    /// How measures are shown and compared, as the measure sets set it.
    fn measure_profiles(
        &self,
    ) -> impl Future<Output = Result<Vec<MeasureProfile>, StoreError>> + Send;

    /// Map outlines of municipalities as SVG paths.
    fn shapes(
        &self,
    ) -> impl Future<Output = Result<Vec<(MunicipalityId, String)>, StoreError>> + Send;

    /// Counts of everything loaded (reads every value: for the status page).
    fn overview(&self) -> impl Future<Output = Result<Overview, StoreError>> + Send;

    /// Whether any municipality and any value is loaded, without counting them: what a
    /// starting server and a new site's start page ask.
    fn contents(&self) -> impl Future<Output = Result<Contents, StoreError>> + Send;
}

/// Whether a site has anything loaded yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contents {
    pub municipalities: bool,
    pub values: bool,
}
