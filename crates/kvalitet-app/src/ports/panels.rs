//! The panels port: a municipality's citizen panels, their members (recruitment, background,
//! joining and leaving, replacements), the population margins they are compared with and
//! weighted to, and their waves (surveys sent to the members).

use std::future::Future;

use serde::Serialize;

use kvalitet_domain::{MunicipalityId, Timestamp};

use super::{Actor, NewInvitation, StoreError};

/// How a member came to the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recruitment {
    /// Drawn at random from the population register: a probability sample.
    Probability,
    /// Signed up of their own accord.
    SelfRecruited,
}

impl Recruitment {
    pub fn code(self) -> &'static str {
        match self {
            Self::Probability => "probability",
            Self::SelfRecruited => "self",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Probability, Self::SelfRecruited]
            .into_iter()
            .find(|r| r.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPanel {
    pub id: i64,
    pub municipality: MunicipalityId,
    pub code: String,
    pub title: String,
    pub created_by: String,
    pub created_at: Timestamp,
}

/// A member to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    pub email: Option<String>,
    /// Variable -> level, as JSON.
    pub background: String,
    pub recruitment: Recruitment,
    /// `YYYY-MM-DD`.
    pub joined_on: String,
    /// The member (by id) this one replaces.
    pub replaces: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredMember {
    pub id: i64,
    pub email: Option<String>,
    pub background: String,
    pub recruitment: Recruitment,
    pub joined_on: String,
    pub left_on: Option<String>,
    pub replaces: Option<i64>,
}

/// One population share: variable, level, share (0–1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationShare {
    pub variable: String,
    pub level: String,
    pub share: f64,
}

/// A wave: a survey sent to the panel, with its participation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredWave {
    pub survey: i64,
    pub code: String,
    pub status: String,
    pub opened_at: Option<String>,
    pub invited: u64,
    pub answered: u64,
}

/// Panels, each change audited in its transaction.
pub trait Panels: Send + Sync + 'static {
    /// `Conflict` when the municipality has a panel with the code.
    fn create_panel(
        &self,
        municipality: &MunicipalityId,
        code: &str,
        title: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    fn panels(
        &self,
        municipality: &MunicipalityId,
    ) -> impl Future<Output = Result<Vec<StoredPanel>, StoreError>> + Send;

    fn panel(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
    ) -> impl Future<Output = Result<Option<StoredPanel>, StoreError>> + Send;

    /// Adds members, all or none. A replacement must name a member of the same panel.
    fn add_members(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
        members: &[NewMember],
        actor: &Actor,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Every member, joined first.
    fn members(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
    ) -> impl Future<Output = Result<Vec<StoredMember>, StoreError>> + Send;

    /// Records that a member left on `on` (`YYYY-MM-DD`); `NotFound` for an unknown or
    /// already departed member.
    fn member_leaves(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
        member: i64,
        on: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces the population margins with `shares` as of `reference_date`.
    fn set_panel_margins(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
        reference_date: &str,
        shares: &[PopulationShare],
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The population margins and their reference date (none before the first import).
    fn panel_margins(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
    ) -> impl Future<Output = Result<(Option<String>, Vec<PopulationShare>), StoreError>> + Send;

    /// Makes the survey a wave of the panel and invites the members given, each with their
    /// own link (all or none). `Conflict` when the survey is closed or another panel's.
    fn start_wave(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
        survey: i64,
        invitations: &[(i64, NewInvitation)],
        actor: &Actor,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// The panel's waves, oldest first, with who was invited and who answered.
    fn waves(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
    ) -> impl Future<Output = Result<Vec<StoredWave>, StoreError>> + Send;

    /// Sets the weights of a survey's answers (by answer id), all in one transaction; an
    /// answer not named gets none.
    fn set_response_weights(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
        weights: &[(i64, f64)],
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
