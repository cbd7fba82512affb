//! The storage port: one trait whose methods are use cases, each its own transaction.

use std::collections::HashSet;
use std::future::Future;

use serde::Serialize;
use tokio::sync::mpsc;

use kvalitet_domain::{
    AreaId, County, Datum, Gender, Grants, GroupId, Measure, MeasureId, MeasureProfile, MeasureSet,
    Municipality, MunicipalityGroup, MunicipalityId, Role, ValueKey, ValueRow, Year,
    access::AttemptLimit,
    round::{AssessorRole, RoundKind, Status},
    service::{Channel, Contact, SurveyQuestion},
};
pub use kvalitet_formats::KpiGroupRecord;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(String),
    /// The import was not confirmed with [`ImportChunk::Commit`]; nothing was written.
    #[error("import aborted before commit; nothing was written")]
    Aborted,
    #[error("invalid data: {0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// Someone else changed what the change was based on; nothing was written.
    #[error("changed meanwhile: {0}")]
    Conflict(String),
}

/// Where an import came from, recorded with every value it wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSource {
    /// A file path or URL.
    pub source: String,
    /// The format name (see `kvalitet_formats::Format::name`).
    pub format: String,
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

/// What flows into [`Store::import`]. Nothing is kept unless the last message is `Commit`:
/// a producer that stops (an error, a panic, a dropped sender) leaves the store unchanged.
#[derive(Debug)]
pub enum ImportChunk {
    Catalogue(Box<CatalogueBatch>),
    /// Values with no key repeated, neither within the chunk nor across chunks.
    Values(Vec<ValueRow>),
    /// Drafts that this import publishes, removed in the same transaction, each exactly as
    /// it was read (value, status, who and when): if any has changed or gone meanwhile (a
    /// new upload, another publish), the whole import is refused with `Conflict`.
    PublishDrafts(Vec<Draft>),
    /// An audit event written in the same transaction.
    Audit(Box<AuditRecord>),
    /// Moves an assessment round from one status to another in the same transaction;
    /// `NotFound` when the round is not in `from` (someone else moved it).
    RoundStatus {
        round: i64,
        from: Status,
        to: Status,
    },
    /// Marks a service round published in the same transaction; refused unless it is a draft.
    ServiceRoundPublished(i64),
    /// A note shown with a published value (e.g. that it is uncertain), put before the
    /// municipality's own comment on the measure and year, if any, unless already there.
    Note {
        measure: MeasureId,
        municipality: MunicipalityId,
        year: Year,
        text: String,
        author: String,
    },
    Commit,
}

/// Writes `chunks` (ending with [`ImportChunk::Commit`]) through [`Store::import`] as one
/// transaction: the way use cases make a change together with its audit event.
pub async fn import_all(
    store: &impl Store,
    source: &ImportSource,
    chunks: Vec<ImportChunk>,
) -> Result<WriteCounts, StoreError> {
    let (tx, rx) = mpsc::channel(chunks.len().max(1));
    let sending = async move {
        for chunk in chunks {
            if tx.send(chunk).await.is_err() {
                break;
            }
        }
    };
    let (counts, ()) = tokio::join!(store.import(source, rx), sending);
    counts
}

/// An audit event to write.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub actor: Actor,
    pub municipality: Option<MunicipalityId>,
    pub action: String,
    pub object: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// An assessment round to create.
#[derive(Debug, Clone)]
pub struct NewRound {
    pub municipality: MunicipalityId,
    pub framework_id: String,
    pub framework_version: String,
    pub kind: RoundKind,
    pub title: String,
    pub year: Year,
}

/// An assessment round as stored, with its assessors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoundRecord {
    pub id: i64,
    pub municipality: MunicipalityId,
    pub framework_id: String,
    pub framework_version: String,
    pub kind: RoundKind,
    pub title: String,
    pub year: Year,
    pub status: Status,
    pub submitted_by: Option<i64>,
    pub invited: Option<i64>,
    pub respondents: Option<i64>,
    pub created_by: String,
    pub created_at: String,
    pub assessors: Vec<AssessorRecord>,
}

/// A person taking part in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssessorRecord {
    pub user: i64,
    pub email: String,
    pub name: String,
    pub role: AssessorRole,
}

/// Which rounds to list.
#[derive(Debug, Clone, Default)]
pub struct RoundFilter {
    pub id: Option<i64>,
    pub municipality: Option<MunicipalityId>,
    /// Framework id and version.
    pub framework: Option<(String, String)>,
    pub status: Option<Status>,
    /// Rounds this person takes part in.
    pub assessor: Option<i64>,
}

/// One assessor's own answer to a question, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerRecord {
    pub user: i64,
    pub question: String,
    /// A choice's label or a number as text; `None` when only evidence is given.
    pub answer: Option<String>,
    pub evidence: String,
    pub link: String,
    pub comment: String,
    pub updated_at: String,
}

/// The agreed answer to a question, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsensusRecord {
    pub question: String,
    pub answer: String,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: String,
}

/// An evidence file, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentRecord {
    pub id: i64,
    pub round: i64,
    pub question: String,
    pub user: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_at: String,
}

/// Survey answers of a round: counts per statement, and how many were asked and answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SurveyRecord {
    pub invited: Option<i64>,
    pub respondents: Option<i64>,
    pub distributions: Vec<(String, Vec<u64>)>,
}

/// Everything recorded in a round.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoundContent {
    pub answers: Vec<AnswerRecord>,
    pub consensus: Vec<ConsensusRecord>,
    pub documents: Vec<DocumentRecord>,
    pub distributions: Vec<(String, Vec<u64>)>,
}

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
    pub id: i64,
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
    pub created_at: String,
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
    pub registered_at: String,
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

/// A value waiting to be published, with who last changed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub row: ValueRow,
    pub updated_by: String,
    pub updated_at: String,
}

/// The municipality's comment on a measure and year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub year: i16,
    pub body: String,
    pub author: String,
    pub updated_at: String,
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
    pub imported_at: String,
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
    pub imported_at: String,
    pub replaced_at: Option<String>,
}

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
    pub imported_at: String,
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
    pub updated_at: Option<String>,
}

/// A person who can log in, with what they are granted. The password hash is never
/// serialised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub grants: Grants,
    pub created_at: String,
}

/// Who accepts an invitation.
#[derive(Debug, Clone, Copy)]
pub enum Acceptor<'a> {
    /// Someone without an account, making one.
    NewAccount {
        name: &'a str,
        password_hash: &'a str,
    },
    /// The logged-in owner of the invited address.
    Existing { user: i64 },
}

/// A person to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Lower case.
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub system_admin: bool,
}

/// Who made a change and when (RFC 3339, UTC), for the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    /// An e-mail address, or `cli:<login>` for the command line.
    pub who: String,
    pub at: String,
}

/// A logged-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub user: UserRecord,
    /// The token forms must send back (CSRF protection).
    pub csrf_token: String,
    pub expires_at: String,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub municipality: Option<String>,
    pub action: String,
    pub object: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The storage kvalitet needs. Every method is one transaction.
pub trait Store: Send + Sync + 'static {
    /// Applies the chunks of one import in one transaction, committing only on
    /// [`ImportChunk::Commit`]. Values are inserted, updated (the old version kept as a
    /// revision) or deleted; identical values are left alone.
    fn import(
        &self,
        source: &ImportSource,
        chunks: mpsc::Receiver<ImportChunk>,
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

    fn municipalities(&self) -> impl Future<Output = Result<Vec<Municipality>, StoreError>> + Send;

    fn counties(&self) -> impl Future<Output = Result<Vec<County>, StoreError>> + Send;

    fn neighbours(
        &self,
        id: &MunicipalityId,
    ) -> impl Future<Output = Result<Vec<MunicipalityId>, StoreError>> + Send;

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

    /// Every value, ordered by measure, area, year, gender, in chunks; no provenance.
    fn all_values(
        &self,
        out: mpsc::Sender<Vec<ValueRow>>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Every measure set, ordered by id.
    fn measure_sets(
        &self,
    ) -> impl Future<Output = Result<Vec<MeasureSetSummary>, StoreError>> + Send;

    /// How measures are shown and compared, as the measure sets set it.
    fn measure_profiles(
        &self,
    ) -> impl Future<Output = Result<Vec<MeasureProfile>, StoreError>> + Send;

    /// Map outlines of municipalities as SVG paths.
    fn shapes(
        &self,
    ) -> impl Future<Output = Result<Vec<(MunicipalityId, String)>, StoreError>> + Send;

    /// Every value of one measure and gender, for all areas and years.
    fn measure_values(
        &self,
        measure: &MeasureId,
        gender: Gender,
    ) -> impl Future<Output = Result<MeasureValues, StoreError>> + Send;

    fn overview(&self) -> impl Future<Output = Result<Overview, StoreError>> + Send;

    /// Creates a person (audited); an e-mail address already in use is `Invalid`.
    fn create_user(
        &self,
        user: &NewUser,
        actor: &Actor,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    fn user_by_email(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<UserRecord>, StoreError>> + Send;

    /// Everyone, ordered by e-mail address.
    fn users(&self) -> impl Future<Output = Result<Vec<UserRecord>, StoreError>> + Send;

    /// Gives a person a role in a municipality, or takes it away with `None` (audited).
    fn set_role(
        &self,
        user: i64,
        municipality: &MunicipalityId,
        role: Option<Role>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces a password hash and ends every session (audited, without the hash).
    fn set_password(
        &self,
        user: i64,
        password_hash: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Counts one attempt against every limit, all or none, atomically (so parallel attempts
    /// cannot pass a count together): `None` when counted; when any key is already at its
    /// limit, nothing is counted and the answer is the latest start of the full keys'
    /// windows. A window that began at or before `expired` is over and starts again.
    fn reserve_attempt(
        &self,
        limits: &[AttemptLimit],
        now: &str,
        expired: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Takes back one counted attempt of each key (a success, or an attempt that was never
    /// checked); a key's count does not go below zero.
    fn release_attempt(
        &self,
        keys: &[String],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn create_session(
        &self,
        token_hash: &str,
        user: i64,
        csrf_token: &str,
        created_at: &str,
        expires_at: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The session of a token hash, unless it expired before `now`.
    fn session(
        &self,
        token_hash: &str,
        now: &str,
    ) -> impl Future<Output = Result<Option<SessionRecord>, StoreError>> + Send;

    fn delete_session(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

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

    /// The loaded frameworks as (id, version, TOML text), ordered by id and version.
    fn frameworks(
        &self,
    ) -> impl Future<Output = Result<Vec<(String, String, String)>, StoreError>> + Send;

    /// Creates an assessment round in draft (audited); returns its id.
    fn create_round(
        &self,
        round: &NewRound,
        actor: &Actor,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Gives a person a part in a round, or with `None` removes them (audited).
    fn set_assessor(
        &self,
        round: i64,
        user: i64,
        role: Option<AssessorRole>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Rounds matching the filter, newest year first, then by id.
    fn rounds(
        &self,
        filter: &RoundFilter,
    ) -> impl Future<Output = Result<Vec<RoundRecord>, StoreError>> + Send;

    /// The answers, agreed scores, documents and distributions of a round.
    fn round_content(
        &self,
        round: i64,
    ) -> impl Future<Output = Result<RoundContent, StoreError>> + Send;

    /// The agreed answers of every published round on a framework version, by round: one
    /// read for a report's average and range.
    fn published_consensus(
        &self,
        framework_id: &str,
        version: &str,
    ) -> impl Future<Output = Result<Vec<(i64, ConsensusRecord)>, StoreError>> + Send;

    /// Saves one assessor's answers (each replaces the earlier one), if the round is
    /// still in draft; all or none (audited).
    fn save_answers(
        &self,
        round: i64,
        user: i64,
        answers: &[AnswerRecord],
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Saves agreed answers, and for a survey its distributions (replacing all earlier
    /// ones), if the round is still in draft; all or none (audited).
    fn save_consensus(
        &self,
        round: i64,
        consensus: &[ConsensusRecord],
        survey: Option<&SurveyRecord>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Moves a round from `from` to `to` (audited as `round.STEP`); `NotFound` when it is
    /// not in `from`. `submitted_by` is recorded on submission.
    fn set_round_status(
        &self,
        round: i64,
        from: Status,
        to: Status,
        submitted_by: Option<i64>,
        action: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores an evidence file (audited without its bytes); returns its id.
    fn add_document(
        &self,
        document: &DocumentRecord,
        body: &[u8],
        actor: &Actor,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// An evidence file with its bytes.
    fn document(
        &self,
        id: i64,
    ) -> impl Future<Output = Result<Option<(DocumentRecord, Vec<u8>)>, StoreError>> + Send;

    /// Creates a service round in draft (audited); returns its id.
    fn create_service_round(
        &self,
        round: &NewServiceRound,
        actor: &Actor,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// One service round, or all, newest year first.
    fn service_rounds(
        &self,
        id: Option<i64>,
    ) -> impl Future<Output = Result<Vec<ServiceRoundRecord>, StoreError>> + Send;

    /// The question bank, plan, contacts and survey answers of a round.
    fn service_content(
        &self,
        round: i64,
    ) -> impl Future<Output = Result<ServiceContent, StoreError>> + Send;

    /// Replaces the members, the question bank and/or the plan (those given) of a round in
    /// draft; all or none (audited).
    fn save_service_setup(
        &self,
        round: i64,
        members: Option<&[MunicipalityId]>,
        questions: Option<&[ServiceQuestion]>,
        plan: Option<&[PlanRow]>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds contacts to a round in draft, all or none; a contact already registered (same
    /// municipality, question and channel) is `Invalid` naming it (audited).
    fn add_service_contacts(
        &self,
        round: i64,
        contacts: &[Contact],
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces the survey answers of a round in draft (audited).
    fn save_service_survey(
        &self,
        round: i64,
        rows: &[SurveyCounts],
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records an invitation to `email` for `role` in `municipality` (audited).
    fn create_invitation(
        &self,
        token_hash: &str,
        email: &str,
        municipality: &MunicipalityId,
        role: Role,
        expires_at: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// An unused invitation that has not expired before `now`: address, municipality, role.
    fn invitation(
        &self,
        token_hash: &str,
        now: &str,
    ) -> impl Future<Output = Result<Option<(String, MunicipalityId, Role)>, StoreError>> + Send;

    /// Uses an invitation: a new account is made, or the logged-in account of the invited
    /// address gets the role. `NotFound` when the invitation is used, expired or unknown;
    /// `Conflict` when a new account is asked for an address that has one (its owner must
    /// accept, logged in) or the acceptor is not the invited address. Returns the address.
    fn accept_invitation(
        &self,
        token_hash: &str,
        acceptor: Acceptor<'_>,
        now: &str,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;

    /// The newest audit events first; of one municipality, or all.
    fn audit_events(
        &self,
        municipality: Option<&MunicipalityId>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AuditEvent>, StoreError>> + Send;

    /// Starts a sync of `source` with `options` (a canonical text), or resumes the latest
    /// unfinished one with the same two; returns the run and the queries it finished.
    fn start_sync(
        &self,
        source: &str,
        options: &str,
    ) -> impl Future<Output = Result<(i64, std::collections::HashSet<String>), StoreError>> + Send;

    /// Records that every page of the query starting at `url` was imported.
    fn finish_sync_query(
        &self,
        run: i64,
        url: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Marks a run finished, so the next sync starts afresh.
    fn finish_sync(&self, run: i64) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A number that changes whenever an import commits (on any instance sharing the
    /// database), so answers computed from the data may be cached until it does.
    fn data_version(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;
}
