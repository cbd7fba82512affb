//! The goals port: a municipality's goal plans (a draft and a published one, earlier ones
//! kept) and the official statuses of its goals.

use std::future::Future;

use serde::Serialize;

use kvalitet_domain::goals::{Linked, Official, Period};
use kvalitet_domain::{MunicipalityId, Timestamp};

use super::{Actor, StoreError};

/// Where a stored plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Draft,
    Published,
    /// Published once, replaced by a later one.
    Superseded,
}

impl PlanStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Superseded => "superseded",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Draft, Self::Published, Self::Superseded]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// A plan as stored: its source in the documented file format, checked when it was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPlan {
    pub id: i64,
    pub municipality: MunicipalityId,
    pub status: PlanStatus,
    pub source: String,
    pub created_by: String,
    pub created_at: Timestamp,
    pub published_by: Option<String>,
    pub published_at: Option<Timestamp>,
}

/// An official status as a named person set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusRecord {
    pub goal: String,
    pub status: Official,
    pub motivation: String,
    pub set_by: String,
    pub set_at: Timestamp,
}

/// A closed follow-up period as stored, with its frozen snapshot (the follow-up report as
/// JSON, `kvalitet_formats::goal_report`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPeriod {
    pub id: i64,
    pub period: Period,
    /// The published plan it followed up.
    pub plan: i64,
    pub snapshot: String,
    pub taken_by: String,
    pub taken_at: Timestamp,
}

/// Goal plans and statuses; every change is audited in its own transaction.
pub trait Goals: Send + Sync + 'static {
    /// Saves a checked plan as the municipality's draft, replacing an earlier draft. With
    /// `based_on`, only while that plan is still the one being worked on (the draft, else the
    /// published plan when there is no draft): `Conflict` when someone saved in between.
    fn save_goal_draft(
        &self,
        municipality: &MunicipalityId,
        source: &str,
        based_on: Option<i64>,
        actor: &Actor,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// The municipality's draft and published plans (either may be missing).
    fn goal_plans(
        &self,
        municipality: &MunicipalityId,
    ) -> impl Future<Output = Result<Vec<StoredPlan>, StoreError>> + Send;

    /// Publishes the draft `plan` (the one the person saw); the published one before it is
    /// kept as superseded. `Conflict` when `plan` is no longer the draft.
    fn publish_goal_plan(
        &self,
        municipality: &MunicipalityId,
        plan: i64,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records a goal's official status with its motivation.
    fn set_goal_status(
        &self,
        municipality: &MunicipalityId,
        status: &StatusRecord,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Links a proposal, dialogue or budget round (`item`: its number or code) to a goal of
    /// the municipality, or removes the link (`None`), audited.
    fn link_goal(
        &self,
        municipality: &MunicipalityId,
        kind: Linked,
        item: &str,
        goal: Option<&str>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The goal an item is linked to, if any.
    fn goal_link(
        &self,
        municipality: &MunicipalityId,
        kind: Linked,
        item: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Every status recorded for the municipality's goals, oldest first.
    fn goal_statuses(
        &self,
        municipality: &MunicipalityId,
    ) -> impl Future<Output = Result<Vec<StatusRecord>, StoreError>> + Send;

    /// Closes a follow-up period with its snapshot of the published plan `plan`, frozen for
    /// good. `Conflict` when the municipality already closed a period with its code.
    fn close_goal_period(
        &self,
        municipality: &MunicipalityId,
        period: &Period,
        plan: i64,
        snapshot: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// The municipality's closed periods, latest closing first, with their snapshots.
    fn goal_periods(
        &self,
        municipality: &MunicipalityId,
    ) -> impl Future<Output = Result<Vec<StoredPeriod>, StoreError>> + Send;
}
