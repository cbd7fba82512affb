//! The service measurement port: rounds, their set-up, contacts and survey answers.

use std::future::Future;

use serde::Serialize;

use kvalitet_domain::Timestamp;
use kvalitet_domain::{
    MunicipalityId, ServiceRoundId, Year,
    service::{Channel, Contact, SurveyQuestion},
};

use super::{Actor, StoreError};

/// A service measurement round to create.
#[derive(Debug, Clone)]
pub struct NewServiceRound {
    pub title: String,
    pub year: Year,
    /// None for a national round.
    pub organiser: Option<MunicipalityId>,
    pub partly_counts: bool,
    pub min_tests: u32,
    /// Further non-working days.
    pub closed_days: Vec<time::Date>,
}

/// A service measurement round as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceRoundRecord {
    pub id: ServiceRoundId,
    pub title: String,
    pub year: Year,
    pub organiser: Option<MunicipalityId>,
    pub published: bool,
    pub partly_counts: bool,
    pub min_tests: u32,
    #[serde(skip)]
    pub closed_days: Vec<time::Date>,
    pub members: Vec<MunicipalityId>,
    pub created_by: String,
    pub created_at: Timestamp,
    /// The ISO date by which the plan's tests should be registered.
    pub deadline: Option<String>,
    /// Each time the published round was reopened to be corrected, oldest first.
    pub corrections: Vec<super::RoundCorrection>,
}

/// A question of a round's bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceQuestion {
    pub id: String,
    /// bygglov, förskola, grundskola, äldreomsorg, miljö och hälsa, ...
    pub area: String,
    pub text: String,
}

/// Which question goes to which municipality, when and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanRow {
    pub municipality: MunicipalityId,
    pub question: String,
    pub channel: Channel,
    /// An ISO date.
    pub planned_on: String,
    /// The tester's e-mail address.
    pub tester: String,
}

/// A registered contact with who registered it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRecord {
    pub id: i64,
    pub contact: Contact,
    pub registered_by: String,
    pub registered_at: Timestamp,
}

/// Survey answers of one municipality, channel and question: counts of 1 to 5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurveyCounts {
    pub municipality: MunicipalityId,
    pub channel: Channel,
    pub question: SurveyQuestion,
    /// False for e-mail answers from residents who got no answer; they are not in the index.
    pub got_answer: bool,
    pub counts: [u64; 5],
}

/// Everything recorded in a service round.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceContent {
    pub questions: Vec<ServiceQuestion>,
    pub plan: Vec<PlanRow>,
    pub contacts: Vec<ContactRecord>,
    pub survey: Vec<SurveyCounts>,
}

/// Service measurement rounds: set-up, contacts and survey answers.
pub trait ServiceRounds: Send + Sync + 'static {
    /// Creates a service round in draft (audited); returns its id.
    fn create_service_round(
        &self,
        round: &NewServiceRound,
        actor: &Actor,
    ) -> impl Future<Output = Result<ServiceRoundId, StoreError>> + Send;

    /// One service round, or all, newest year first.
    fn service_rounds(
        &self,
        id: Option<ServiceRoundId>,
    ) -> impl Future<Output = Result<Vec<ServiceRoundRecord>, StoreError>> + Send;

    /// The question bank, plan, contacts and survey answers of a round.
    fn service_content(
        &self,
        round: ServiceRoundId,
    ) -> impl Future<Output = Result<ServiceContent, StoreError>> + Send;

    /// Replaces the members, the question bank and/or the plan (those given) of a round in
    /// draft; all or none (audited).
    fn save_service_setup(
        &self,
        round: ServiceRoundId,
        members: Option<&[MunicipalityId]>,
        questions: Option<&[ServiceQuestion]>,
        plan: Option<&[PlanRow]>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds contacts to a round in draft, all or none; a contact already registered (same
    /// municipality, question and channel) is `Invalid` naming it (audited).
    fn add_service_contacts(
        &self,
        round: ServiceRoundId,
        contacts: &[Contact],
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Sets or clears the date by which a round in draft should be done (audited with both
    /// dates); `Invalid` once published.
    fn set_service_deadline(
        &self,
        round: ServiceRoundId,
        deadline: Option<&str>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Reopens a published round to be corrected: back to draft (its published figures stay
    /// until it is published again), with the reason recorded (audited); `Invalid` unless it
    /// is published.
    fn reopen_service_round(
        &self,
        round: ServiceRoundId,
        reason: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces one registered contact of a round in draft by `contact`, or with `None`
    /// removes it (audited with what it was); `NotFound` for an unknown id, `Invalid` when
    /// the change would register the same municipality, question and channel twice.
    fn change_service_contact(
        &self,
        round: ServiceRoundId,
        id: i64,
        contact: Option<&Contact>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces the survey answers of a round in draft (audited).
    fn save_service_survey(
        &self,
        round: ServiceRoundId,
        rows: &[SurveyCounts],
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
