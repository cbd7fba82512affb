//! `Award`: Sveriges Kvalitetskommun's step 2 and jury (docs/reports.md): a kommun's four
//! descriptions per award year, the year's nominees, and the jurors' scores, private until
//! the year is published. Every change is audited in its transaction.

use std::future::Future;

use kvalitet_domain::award::{Criterion, Evidence, Theme};
use kvalitet_domain::{MunicipalityId, Timestamp, Year};

use super::{Actor, StoreError};

/// One of a kommun's step-2 descriptions as saved.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredNarrative {
    pub theme: Theme,
    pub body: String,
    pub evidence: Vec<Evidence>,
    pub saved_by: String,
    pub saved_at: Timestamp,
}

/// An award year: its nominees (by id) and when the jury's result was published.
#[derive(Debug, Clone, PartialEq)]
pub struct AwardYear {
    pub year: Year,
    pub nominees: Vec<MunicipalityId>,
    pub published: Option<(String, Timestamp)>,
}

/// One juror's score of one nominee on one criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct JuryScore {
    pub municipality: MunicipalityId,
    pub criterion: Criterion,
    pub juror: String,
    pub score: u8,
    pub note: String,
    pub scored_at: Timestamp,
}

/// What was written and scored for the award.
pub trait Award: Send + Sync {
    /// Saves a kommun's description of `theme` for the award `year` (replacing the earlier
    /// text), audited; a later read shows it at once.
    fn save_narrative(
        &self,
        municipality: &MunicipalityId,
        year: Year,
        theme: Theme,
        body: &str,
        evidence: &[Evidence],
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A kommun's descriptions for the award `year`, in the themes' order.
    fn narratives(
        &self,
        municipality: &MunicipalityId,
        year: Year,
    ) -> impl Future<Output = Result<Vec<StoredNarrative>, StoreError>> + Send;

    /// Sets the nominees of the award `year`: those left out lose their scores. `Conflict`
    /// once the year is published.
    fn set_nominees(
        &self,
        year: Year,
        nominees: &[MunicipalityId],
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The award year, if nominees were ever set for it.
    fn award_year(
        &self,
        year: Year,
    ) -> impl Future<Output = Result<Option<AwardYear>, StoreError>> + Send;

    /// Records the actor's score of a nominee on a criterion (replacing their earlier one).
    /// `NotFound` when the kommun is not a nominee; `Conflict` once the year is published.
    fn score_nominee(
        &self,
        year: Year,
        municipality: &MunicipalityId,
        criterion: Criterion,
        score: u8,
        note: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every score of the award `year`, by nominee, criterion and juror.
    fn jury_scores(
        &self,
        year: Year,
    ) -> impl Future<Output = Result<Vec<JuryScore>, StoreError>> + Send;

    /// Publishes the jury's result of `year`: scores and notes become public and are frozen.
    /// `Conflict` when already published, `NotFound` when the year has no nominees.
    fn publish_award(
        &self,
        year: Year,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
