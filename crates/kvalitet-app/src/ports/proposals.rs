//! The e-förslag port: a municipality's published rules, proposals with their moderation,
//! signatures (one per confirmed e-mail address, kept as a hash) and the nämnd's decision, and
//! the confirmations a resident's e-mail link completes.

use std::future::Future;

use serde::{Deserialize, Serialize};
use time::Date;

use kvalitet_domain::geo::GeoPoint;
use kvalitet_domain::proposal::{Decision, Milestones, Moderation, Threshold};
use kvalitet_domain::{MunicipalityId, Timestamp};

use super::{Actor, Mail, StoreError};

/// The rules a municipality publishes for its e-förslag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalSettings {
    pub threshold: Threshold,
    /// How many days a proposal may be signed, from the day it is published.
    pub signing_days: u32,
    /// The working days from reaching the threshold within which the nämnd promises a
    /// decision.
    pub answer_working_days: u32,
    /// The areas a proposal is filed under (subjects or parts of the municipality).
    pub areas: Vec<String>,
    /// The residence areas proposers and signers choose the one they live in from; empty
    /// when residence is not asked (anyone may then propose and sign).
    pub residence_areas: Vec<String>,
    /// The rules proposals are moderated against, published as written.
    pub rules: String,
}

/// A proposal as a resident wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProposal {
    pub title: String,
    pub body: String,
    pub area: String,
    /// The name shown with it, when the proposer chose to be named.
    pub author_name: Option<String>,
    /// The place it is about, when the proposer put one on the map.
    #[serde(default)]
    pub place: Option<GeoPoint>,
    /// The residence area the proposer declared, when the rules ask for one.
    #[serde(default)]
    pub residence_area: Option<String>,
}

/// A file attached to a proposal, checked as a file (`kvalitet_formats::attachment`) before
/// it gets here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub file_name: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

/// A kept file, without its bytes: what a page lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentInfo {
    /// 1, 2, … in the order sent: its address under the proposal.
    pub position: u32,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: u64,
}

/// What a resident's e-mail link confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Confirmable {
    /// A new proposal, sent to moderation once confirmed.
    Proposal(NewProposal),
    /// A signature on the proposal with this number.
    Signature {
        number: i64,
        /// The name shown among the signatures, when the signer chose to be named.
        public_name: Option<String>,
        /// The residence area declared, when the rules ask for one.
        #[serde(default)]
        residence_area: Option<String>,
    },
    /// Joining the e-dialogue with this number, telling (or not) an area and an age band.
    /// The link's token then stays the participant's key to their page.
    JoinDialogue {
        number: i64,
        area: Option<String>,
        /// An `AgeBand` code.
        age_band: Option<String>,
    },
    /// A ballot in the citizen-budget round with this id (identified by e-mail): the
    /// projects by id with their points, and the area declared.
    Ballot {
        round: i64,
        choices: Vec<(i64, u32)>,
        area: String,
    },
}

/// A confirmation to wait for: only the token's hash is kept, with the hash of the address
/// (one signature per address) and, for a proposal, the address itself so the proposer
/// hears of its moderation and decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConfirmation {
    pub municipality: MunicipalityId,
    pub token_hash: String,
    pub email_hash: String,
    pub what: Confirmable,
    pub expires_at: Timestamp,
    /// The message with the link, queued with the confirmation.
    pub mail: Mail,
    /// A proposal's files, kept with the confirmation until its link is followed.
    pub attachments: Vec<NewAttachment>,
}

/// A confirmation waiting for its link to be followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingConfirmation {
    pub municipality: MunicipalityId,
    pub what: Confirmable,
    pub expires_at: Timestamp,
    pub used: bool,
}

/// What following a link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// The proposal, now awaiting moderation, by its number.
    Proposal { number: i64 },
    /// The signature counted; `reached` when it was the one that reached the threshold.
    Signature { number: i64, reached: bool },
    /// A participant in the dialogue with this number (a second joining from the same
    /// address moves the participant to the new link).
    Participant { number: i64 },
    /// The ballot cast in the budget round with this id.
    Ballot { round: i64 },
}

/// A proposal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProposal {
    pub id: i64,
    pub municipality: MunicipalityId,
    /// Its number in the municipality (1, 2, …): its address.
    pub number: i64,
    pub proposal: NewProposal,
    pub milestones: Milestones,
    /// Why it was not published (moderation).
    pub reason: String,
    /// The nämnd responsible, named when it was published.
    pub committee: String,
    pub published_on: Option<Date>,
    /// Signatures needed, fixed when published, and how that number came about.
    pub threshold: Option<u32>,
    pub threshold_note: String,
    /// The nämnd's answer, published with its decision.
    pub answer: String,
    pub decision: Option<Decision>,
    pub created_at: Timestamp,
    pub signatures: u64,
}

/// The municipality's step on a proposal awaiting moderation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moderated {
    Publish {
        on: Date,
        signing_ends_on: Date,
        threshold: u32,
        threshold_note: String,
        committee: String,
    },
    Reject {
        reason: String,
    },
}

impl Moderated {
    pub fn moderation(&self) -> Moderation {
        match self {
            Self::Publish { .. } => Moderation::Published,
            Self::Reject { .. } => Moderation::Rejected,
        }
    }
}

/// The nämnd's decision as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDecision {
    pub decision: Decision,
    pub answer: String,
    pub decided_on: Date,
}

/// A signature as shown: a name only when the signer chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSignature {
    pub public_name: Option<String>,
    pub signed_on: Date,
    /// The residence area declared, when the rules asked for one; shown only counted.
    pub residence_area: Option<String>,
}

/// How many confirmation mails one address may ask for in [`CONFIRMATIONS_WINDOW_HOURS`]:
/// enough to sign several proposals in an evening, too few to use the site to flood an
/// inbox.
pub const CONFIRMATIONS_PER_ADDRESS: u32 = 10;
pub const CONFIRMATIONS_WINDOW_HOURS: i64 = 24;

/// E-förslag. Staff steps and a proposal's arrival are audited (without the address);
/// signatures are not (an audit line would tie a moment to a signer).
pub trait Proposals: Send + Sync + 'static {
    /// The municipality's rules; `None` until set (no e-förslag then).
    fn proposal_settings(
        &self,
        municipality: &MunicipalityId,
    ) -> impl Future<Output = Result<Option<ProposalSettings>, StoreError>> + Send;

    fn save_proposal_settings(
        &self,
        municipality: &MunicipalityId,
        settings: &ProposalSettings,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Keeps a confirmation and queues its mail in one transaction, once the address's count
    /// of confirmations in the window is checked and raised in the same transaction:
    /// `Conflict("dialogue_too_many_requests")` past [`CONFIRMATIONS_PER_ADDRESS`] (nothing
    /// written). `window_start` is now less the window.
    fn request_confirmation(
        &self,
        confirmation: &NewConfirmation,
        now: Timestamp,
        window_start: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A confirmation by its token's hash, used or not; `None` when unknown.
    fn confirmation(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<PendingConfirmation>, StoreError>> + Send;

    /// Uses a confirmation up and does what it confirms, in one transaction:
    /// `NotFound("dialogue_link_unknown")` for an unknown, used or expired token;
    /// `Conflict("proposal_already_signed")` when the address signed before;
    /// `Conflict("proposal_not_signable")` when the proposal is not open for signing on
    /// `today` (a Swedish date). A signature that reaches the threshold records the day.
    fn confirm(
        &self,
        token_hash: &str,
        today: Date,
        actor: &Actor,
    ) -> impl Future<Output = Result<Confirmed, StoreError>> + Send;

    /// The municipality's proposals, newest first: all of them, or only the published.
    fn proposals(
        &self,
        municipality: &MunicipalityId,
        published_only: bool,
    ) -> impl Future<Output = Result<Vec<StoredProposal>, StoreError>> + Send;

    fn proposal(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> impl Future<Output = Result<Option<StoredProposal>, StoreError>> + Send;

    /// The files attached to the proposal, in the order sent.
    fn proposal_attachments(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> impl Future<Output = Result<Vec<AttachmentInfo>, StoreError>> + Send;

    /// One attached file with its bytes.
    fn proposal_attachment(
        &self,
        municipality: &MunicipalityId,
        number: i64,
        position: u32,
    ) -> impl Future<Output = Result<Option<(AttachmentInfo, Vec<u8>)>, StoreError>> + Send;

    /// The proposal's signatures, in the order signed.
    fn proposal_signatures(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> impl Future<Output = Result<Vec<StoredSignature>, StoreError>> + Send;

    /// Publishes or rejects a proposal awaiting moderation; `notice` (its `to` filled in
    /// from the proposer's address) is queued in the same transaction. `Conflict` when it
    /// is no longer awaiting moderation.
    fn moderate_proposal(
        &self,
        municipality: &MunicipalityId,
        number: i64,
        step: &Moderated,
        notice: &Mail,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records the nämnd's decision on a proposal that reached its threshold, with the
    /// notice to its proposer as above. `Conflict("proposal_not_with_committee")` otherwise.
    fn decide_proposal(
        &self,
        municipality: &MunicipalityId,
        number: i64,
        decision: &NewDecision,
        notice: &Mail,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
