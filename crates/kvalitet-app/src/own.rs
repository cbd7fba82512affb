//! The municipality's own measurements: defining own measures, entering values as drafts (by
//! form or CSV upload, all rows or none), publishing drafts through the import path, and
//! comments. Every use case checks the person's grants itself, whatever the caller checked.

use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::text::{check_len, max_chars};
use kvalitet_domain::{
    Action, AreaId, Datum, Direction, Gender, Grants, KoladaMeta, Measure, MeasureId,
    MeasureOrigin, MeasureProfile, Message, MunicipalityId, ValueKey, ValueRow, Year,
};

use crate::ports::{
    Actor, AuditRecord, ChangeSet, Comment, Draft, ImportSource, Introduction, Note, OwnData,
    StoreError, Values, WriteCounts,
};
use crate::publish::PublishCheck;

/// The largest upload accepted, by default.
pub const MAX_UPLOAD_BYTES: usize = 10 << 20;

/// Why an own measure, value or comment was not saved: coded messages the web says in the
/// person's language; `Display` says them in English.
#[derive(Debug, thiserror::Error)]
pub enum OwnError {
    #[error("{}", self.message())]
    Forbidden(MunicipalityId),
    #[error("{0}")]
    Invalid(Message),
    /// Every bad row of an upload, each naming its line and column.
    #[error("{}", self.message())]
    BadRows(Vec<Message>),
    /// What the change was based on changed meanwhile; nothing was written.
    #[error("{0}")]
    Conflict(Message),
    /// What the change names is not there (a draft taken back already).
    #[error("{0}")]
    NotFound(Message),
    #[error(transparent)]
    Store(StoreError),
}

impl OwnError {
    /// What to tell the person.
    pub fn message(&self) -> Message {
        match self {
            Self::Forbidden(m) => Message::new("forbidden_in").with("municipality", m),
            Self::Invalid(m) | Self::Conflict(m) | Self::NotFound(m) => m.clone(),
            Self::BadRows(rows) => crate::refusal::nothing_saved(rows),
            Self::Store(_) => Message::new("store_failed"),
        }
    }
}

impl From<StoreError> for OwnError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(why) => Self::Conflict(why),
            StoreError::NotFound(what) => Self::NotFound(what),
            e => Self::Store(e),
        }
    }
}

fn require(grants: &Grants, action: Action, m: &MunicipalityId) -> Result<(), OwnError> {
    if grants.allows(action, m) {
        Ok(())
    } else {
        Err(OwnError::Forbidden(*m))
    }
}

/// What a form says about an own measure.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct MeasureForm {
    pub id: String,
    pub title: String,
    pub question: String,
    pub unit: String,
    pub direction: String,
    pub decimals: String,
    pub definition: String,
}

/// Creates or changes one of the municipality's own measures.
pub async fn define_measure(
    store: &impl OwnData,
    grants: &Grants,
    m: &MunicipalityId,
    form: &MeasureForm,
    actor: &Actor,
) -> Result<MeasureId, OwnError> {
    require(grants, Action::EditMeasures, m)?;
    // Own measures live in the municipality's namespace ("X0180-…"), so they can never take
    // an id that Kolada, a framework or the service measurements will use later.
    let id = MeasureId::own(m, &form.id)
        .map_err(|e| OwnError::Invalid(Message::in_field("id", e.into())))?;
    let title = form.title.trim();
    let question = form.question.trim();
    if title.is_empty() || question.is_empty() {
        return Err(OwnError::Invalid(Message::new("title_and_question_needed")));
    }
    for (field, text, max) in [
        ("title", title, max_chars::TITLE),
        ("question", question, max_chars::QUESTION),
        ("unit", form.unit.trim(), max_chars::UNIT),
        ("definition", form.definition.trim(), max_chars::DESCRIPTION),
    ] {
        check_len(field, text, max).map_err(OwnError::Invalid)?;
    }
    let direction = Direction::parse(form.direction.trim()).ok_or_else(|| {
        OwnError::Invalid(Message::in_field(
            "direction",
            Message::new("choose_direction"),
        ))
    })?;
    let decimals: u8 = form
        .decimals
        .trim()
        .parse()
        .ok()
        .filter(|d| *d <= MeasureProfile::MAX_DECIMALS)
        .ok_or_else(|| {
            OwnError::Invalid(Message::in_field(
                "decimals",
                Message::new("whole_number_from_to")
                    .with("min", 0)
                    .with("max", MeasureProfile::MAX_DECIMALS),
            ))
        })?;
    let unit = Some(form.unit.trim().to_owned()).filter(|u| !u.is_empty());
    let mut measure = Measure::from_kolada(
        id,
        title.to_owned(),
        form.definition.trim().to_owned(),
        KoladaMeta {
            municipality_type: Some("K".into()),
            ..KoladaMeta::default()
        },
    )
    .owned_by(*m);
    measure.unit = unit.clone();
    measure.direction = direction;
    let profile = MeasureProfile {
        measure: id,
        question: question.to_owned(),
        question_en: None,
        unit,
        unit_en: None,
        direction,
        decimals,
    };
    store.define_own_measure(&measure, &profile, actor).await?;
    Ok(id)
}

/// Whether a number can be a value of the measure, by its unit: a share (per cent) lies in
/// 0–100, a count or a number of days is not negative; other units are not bounded.
pub fn check_range(measure: &Measure, x: f64) -> Result<(), Message> {
    let unit = measure.unit.as_deref().unwrap_or_default().to_lowercase();
    let title = measure.title.to_lowercase();
    let share = unit.contains('%')
        || unit.starts_with("procent")
        || unit.starts_with("andel")
        || title.ends_with("andel (%)");
    let count =
        unit.starts_with("antal") || unit.starts_with("dagar") || unit.starts_with("personer");
    if !x.is_finite() {
        Err(Message::new("not_a_number").with("value", x))
    } else if share && !(0.0..=100.0).contains(&x) {
        Err(Message::new("share_outside_0_100").with("value", x))
    } else if count && x < 0.0 {
        Err(Message::new("negative_count").with("value", x))
    } else {
        Ok(())
    }
}

/// Whether a municipality may report values of a measure: its own, or Kolada's
/// own-reporting measures (U ids).
fn reportable(measure: &Measure, m: &MunicipalityId) -> bool {
    match measure.origin {
        MeasureOrigin::Own(owner) => owner == *m,
        MeasureOrigin::Kolada => measure.id.as_str().starts_with('U'),
        // Published results are written by their rounds only.
        MeasureOrigin::Assessment | MeasureOrigin::Service | MeasureOrigin::Dialogue => false,
    }
}

/// Reads an uploaded CSV or spreadsheet (.xlsx, .ods or .xls, first sheet) file of values
/// (`kpi,[municipality_id,]year,value[,gender]`, commas or semicolons, a decimal point or
/// comma) for `m`. Any bad row rejects the whole file;
/// every bad row is listed with its line (the sheet's row) and column.
pub fn parse_upload(
    bytes: &[u8],
    m: &MunicipalityId,
    measures: &std::collections::HashMap<MeasureId, Measure>,
    max_bytes: usize,
) -> Result<Vec<ValueRow>, OwnError> {
    let read =
        kvalitet_formats::table::values_upload(bytes, max_bytes, Some(m)).map_err(|mut e| {
            if e.len() == 1 {
                OwnError::Invalid(e.remove(0))
            } else {
                OwnError::BadRows(e)
            }
        })?;
    if read.rows.is_empty() && read.errors.is_empty() {
        return Err(OwnError::Invalid(Message::new("no_values_filled")));
    }
    let mut errors = read.errors;
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (at, row) in read.rows {
        if row.key.area != AreaId::Municipality(*m) {
            errors.push(
                at.with_field("municipality_id").say(
                    Message::new("not_this_municipality")
                        .with("given", row.key.area)
                        .with("municipality", m),
                ),
            );
        } else if measures.get(&row.key.measure).is_some_and(|x| x.retired) {
            errors.push(
                at.with_field("kpi")
                    .say(Message::new("measure_retired").with("measure", row.key.measure)),
            );
        } else if !measures
            .get(&row.key.measure)
            .is_some_and(|x| reportable(x, m))
        {
            errors.push(
                at.with_field("kpi").say(
                    Message::new("not_reportable")
                        .with("measure", row.key.measure)
                        .with("municipality", m),
                ),
            );
        } else if matches!(row.datum, Datum::Deleted) {
            errors.push(at.with_field("value").say(Message::new("value_needed")));
        } else if let (Datum::Number(x), Some(measure)) =
            (row.datum, measures.get(&row.key.measure))
            && let Err(e) = check_range(measure, x)
        {
            errors.push(at.with_field("value").say(e));
        } else if !seen.insert(row.key) {
            errors.push(at.say(Message::new("row_again")));
        } else {
            rows.push(row);
        }
    }
    if !errors.is_empty() {
        return Err(OwnError::BadRows(errors));
    }
    Ok(rows)
}

/// The municipality's comments on one measure or (with `None`) on all, by measure and newest
/// year first: public, as residents read them beside the values.
pub async fn comments(
    store: &impl OwnData,
    measure: Option<&MeasureId>,
    m: &MunicipalityId,
) -> Result<Vec<Comment>, OwnError> {
    Ok(store.comments(measure, m).await?)
}

/// The municipality's introduction to its results as residents read it: the newest version,
/// unless that withdrew it.
pub async fn introduction(
    store: &impl OwnData,
    m: &MunicipalityId,
) -> Result<Option<Introduction>, OwnError> {
    Ok(store
        .introductions(m)
        .await?
        .into_iter()
        .next()
        .filter(|i| !i.body.is_empty()))
}

/// Every version of the introduction, newest first, for those who may write it.
pub async fn introduction_versions(
    store: &impl OwnData,
    grants: &Grants,
    m: &MunicipalityId,
) -> Result<Vec<Introduction>, OwnError> {
    require(grants, Action::Comment, m)?;
    Ok(store.introductions(m).await?)
}

/// Saves a new version of the introduction (Swedish, and English if written); an empty
/// Swedish text withdraws it, and an English text needs the Swedish one it translates.
pub async fn set_introduction(
    store: &impl OwnData,
    grants: &Grants,
    m: &MunicipalityId,
    body: &str,
    body_en: &str,
    actor: &Actor,
) -> Result<(), OwnError> {
    require(grants, Action::Comment, m)?;
    // Browsers send a textarea's line breaks as CRLF; paragraphs are parted by blank lines.
    let (body, body_en) = (body.replace("\r\n", "\n"), body_en.replace("\r\n", "\n"));
    let (body, body_en) = (body.trim(), body_en.trim());
    check_len("introduction", body, max_chars::INTRODUCTION).map_err(OwnError::Invalid)?;
    check_len("introduction_en", body_en, max_chars::INTRODUCTION).map_err(OwnError::Invalid)?;
    if body.is_empty() && !body_en.is_empty() {
        return Err(OwnError::Invalid(Message::in_field(
            "introduction",
            Message::new("introduction_needs_swedish"),
        )));
    }
    Ok(store.set_introduction(m, body, body_en, actor).await?)
}

/// The municipality's drafts, for those who may see them.
pub async fn drafts(
    store: &impl OwnData,
    grants: &Grants,
    m: &MunicipalityId,
) -> Result<Vec<Draft>, OwnError> {
    require(grants, Action::ViewDrafts, m)?;
    Ok(store.drafts(m).await?)
}

/// Retires one of the municipality's own measures (a mistyped or discontinued one: its
/// values and pages stay, new values are refused), or takes it up again.
pub async fn set_retired(
    store: &impl OwnData,
    grants: &Grants,
    m: &MunicipalityId,
    measure: &str,
    retired: bool,
    actor: &Actor,
) -> Result<(), OwnError> {
    require(grants, Action::EditMeasures, m)?;
    let id = MeasureId::parse(measure.trim()).map_err(|_| {
        OwnError::Invalid(Message::in_field(
            "measure",
            Message::new("not_own_measure").with("measure", measure.trim()),
        ))
    })?;
    Ok(store.set_measure_retired(&id, m, retired, actor).await?)
}

/// Takes back one draft before it is published: an editor's undo of a mistyped value.
pub async fn remove_draft(
    store: &impl OwnData,
    grants: &Grants,
    m: &MunicipalityId,
    key: &ValueKey,
    actor: &Actor,
) -> Result<(), OwnError> {
    require(grants, Action::EditValues, m)?;
    if key.area != AreaId::Municipality(*m) {
        return Err(OwnError::Forbidden(*m));
    }
    Ok(store.remove_draft(m, key, actor).await?)
}

/// The check before publishing the drafts: how many values become public and for how many
/// measures, and which of them replace or repeat a published value.
pub fn publish_check(drafts: &[Draft]) -> PublishCheck {
    let measures: std::collections::BTreeSet<_> =
        drafts.iter().map(|d| d.row.key.measure).collect();
    let replaced = drafts
        .iter()
        .filter(|d| d.published.is_some_and(|p| p != d.row.datum))
        .count();
    let same = drafts
        .iter()
        .filter(|d| d.published == Some(d.row.datum))
        .count();
    let mut check = PublishCheck {
        public: vec![
            Message::new("public_drafts")
                .with("n", drafts.len())
                .with("measures", measures.len()),
        ],
        internal: vec![Message::new("internal_drafts_who")],
        warnings: Vec::new(),
    };
    if replaced > 0 {
        check
            .warnings
            .push(Message::new("warn_drafts_replace").with("n", replaced));
    }
    let reasons: std::collections::BTreeSet<&str> = drafts
        .iter()
        .filter(|d| corrects(d))
        .filter_map(|d| d.reason.as_deref())
        .collect();
    for reason in &reasons {
        check
            .public
            .push(Message::new("public_correction_reason").with("reason", reason));
    }
    let unexplained = drafts
        .iter()
        .filter(|d| corrects(d) && d.reason.is_none())
        .count();
    if unexplained > 0 {
        check
            .warnings
            .push(Message::new("warn_corrections_unexplained").with("n", unexplained));
    }
    if same > 0 {
        check
            .warnings
            .push(Message::new("warn_drafts_same").with("n", same));
    }
    check
}

/// Saves checked rows as drafts, all or none, with the reason (possibly empty) residents
/// will read for those that correct a published value.
pub async fn save_drafts(
    store: &impl OwnData,
    grants: &Grants,
    m: &MunicipalityId,
    rows: &[ValueRow],
    reason: &str,
    actor: &Actor,
) -> Result<(), OwnError> {
    require(grants, Action::EditValues, m)?;
    let reason = correction_reason(reason)?;
    Ok(store.save_drafts(m, rows, reason.as_deref(), actor).await?)
}

/// The longest reason for a correction.
pub const MAX_REASON_CHARS: usize = 500;

/// A correction's reason as typed: trimmed, empty for none, at most [`MAX_REASON_CHARS`].
fn correction_reason(text: &str) -> Result<Option<String>, OwnError> {
    let text = text.trim();
    check_len("reason", text, MAX_REASON_CHARS).map_err(OwnError::Invalid)?;
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// Whether a draft changes a published value (a correction, which residents are told of).
fn corrects(d: &Draft) -> bool {
    d.published.is_some_and(|p| !same_datum(&p, &d.row.datum))
}

/// The notes that tell residents why published values changed: one per measure and year
/// whose drafts correct a value with a reason ("Rättat 2026-12-01: …"), in Swedish like the
/// municipality's own comments they stand beside.
fn correction_notes(drafts: &[Draft], m: &MunicipalityId, actor: &Actor) -> Vec<Note> {
    let mut seen = std::collections::BTreeSet::new();
    drafts
        .iter()
        .filter(|d| corrects(d))
        .filter_map(|d| Some((d, d.reason.as_deref()?)))
        .filter(|(d, reason)| seen.insert((d.row.key.measure, d.row.key.year, reason.to_string())))
        .map(|(d, reason)| Note {
            measure: d.row.key.measure,
            municipality: *m,
            year: d.row.key.year,
            text: kvalitet_domain::Lang::Sv.say(
                &Message::new("correction_note")
                    .with("date", actor.at.local_date_text())
                    .with("reason", reason),
            ),
            author: actor.who.clone(),
        })
        .collect()
}

/// How long an upload's preview waits to be saved.
pub const PREVIEW_MINUTES: i64 = 60;

/// An upload checked and compared with what is published, kept until it is saved.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadPreview {
    /// For the save button (shown once; only its hash is kept).
    pub token: String,
    /// Rows with no published value yet.
    pub new: Vec<ValueRow>,
    /// Rows that replace a published value, with that value.
    pub changed: Vec<(ValueRow, Datum)>,
    /// Rows equal to the published value: not saved again.
    pub unchanged: usize,
}

impl UploadPreview {
    /// The rows saving makes drafts of.
    pub fn to_save(&self) -> usize {
        self.new.len() + self.changed.len()
    }
}

/// Compares checked upload rows with the published values and keeps them for
/// [`save_preview`]; nothing becomes a draft yet.
pub async fn preview_upload(
    store: &(impl Values + OwnData),
    grants: &Grants,
    m: &MunicipalityId,
    user: kvalitet_domain::UserId,
    rows: &[ValueRow],
    at: kvalitet_domain::Timestamp,
) -> Result<UploadPreview, OwnError> {
    require(grants, Action::EditValues, m)?;
    let published = published_of(store, m, rows).await?;
    let mut preview = UploadPreview {
        token: String::new(),
        new: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
    };
    for row in rows {
        match published.get(&row.key) {
            None => preview.new.push(*row),
            Some(old) if same_datum(old, &row.datum) => preview.unchanged += 1,
            Some(old) => preview.changed.push((*row, *old)),
        }
    }
    let token = crate::accounts::new_token()
        .map_err(|_| OwnError::Invalid(Message::new("store_failed")))?;
    let kept: Vec<ValueRow> = preview
        .new
        .iter()
        .copied()
        .chain(preview.changed.iter().map(|(r, _)| *r))
        .collect();
    store
        .keep_upload(
            &crate::accounts::token_hash(&token),
            m,
            user,
            &rows_text(&kept),
            at,
        )
        .await?;
    preview.token = token;
    Ok(preview)
}

/// Saves a previewed upload's new and changed rows as drafts (all or none); `NotFound` when
/// the preview is unknown, someone else's, or older than [`PREVIEW_MINUTES`]. Returns how
/// many drafts were saved.
pub async fn save_preview(
    store: &impl OwnData,
    grants: &Grants,
    m: &MunicipalityId,
    user: kvalitet_domain::UserId,
    token: &str,
    reason: &str,
    actor: &Actor,
) -> Result<usize, OwnError> {
    require(grants, Action::EditValues, m)?;
    let not_before = actor.at.plus(time::Duration::minutes(-PREVIEW_MINUTES));
    let text = store
        .take_upload(&crate::accounts::token_hash(token), m, user, not_before)
        .await?
        .ok_or_else(|| OwnError::NotFound(Message::new("preview_gone")))?;
    let rows = text_rows(&text, m).map_err(|e| OwnError::Store(StoreError::Invalid(e)))?;
    if rows.is_empty() {
        return Ok(0);
    }
    store
        .save_drafts(m, &rows, correction_reason(reason)?.as_deref(), actor)
        .await?;
    Ok(rows.len())
}

fn same_datum(a: &Datum, b: &Datum) -> bool {
    match (a, b) {
        (Datum::Number(x), Datum::Number(y)) => x.to_bits() == y.to_bits(),
        (a, b) => a == b,
    }
}

/// The published values of the rows' keys.
async fn published_of(
    store: &impl Values,
    m: &MunicipalityId,
    rows: &[ValueRow],
) -> Result<std::collections::HashMap<ValueKey, Datum>, OwnError> {
    if rows.is_empty() {
        return Ok(Default::default());
    }
    let mut measures: Vec<MeasureId> = rows.iter().map(|r| r.key.measure).collect();
    measures.sort_unstable();
    measures.dedup();
    let mut years: Vec<Year> = rows.iter().map(|r| r.key.year).collect();
    years.sort_unstable();
    years.dedup();
    let filter = crate::ports::ValueFilter {
        measures,
        areas: vec![AreaId::Municipality(*m)],
        years,
        ..Default::default()
    };
    let values = crate::kolada_v3::collect_values(store, &filter).await?;
    Ok(values
        .into_iter()
        .map(|v| (v.row.key, v.row.datum))
        .collect())
}

/// Checked rows as the text a preview keeps: measure, year, gender and the value cell per
/// line (a number written so that it reads back to the same bits, or a status code).
fn rows_text(rows: &[ValueRow]) -> String {
    let mut out = String::new();
    for r in rows {
        let cell = match r.datum {
            Datum::Number(x) => format!("{x:?}"),
            Datum::Missing(s) => s.code().to_owned(),
            Datum::Deleted => continue,
        };
        out.push_str(&format!(
            "{}\t{}\t{}\t{cell}\n",
            r.key.measure,
            r.key.year.get(),
            r.key.gender.code()
        ));
    }
    out
}

/// The rows of [`rows_text`] back, for municipality `m`.
fn text_rows(text: &str, m: &MunicipalityId) -> Result<Vec<ValueRow>, Message> {
    let bad = |line: &str| Message::new("preview_unreadable").with("line", line);
    text.lines()
        .map(|line| {
            let mut f = line.split('\t');
            let (Some(measure), Some(year), Some(gender), Some(cell), None) =
                (f.next(), f.next(), f.next(), f.next(), f.next())
            else {
                return Err(bad(line));
            };
            Ok(ValueRow {
                key: ValueKey {
                    measure: MeasureId::parse(measure).map_err(|_| bad(line))?,
                    area: AreaId::Municipality(*m),
                    year: Year::parse(year).map_err(|_| bad(line))?,
                    gender: Gender::parse(gender).map_err(|_| bad(line))?,
                },
                datum: Datum::parse_cell(cell).map_err(|_| bad(line))?,
                count: None,
            })
        })
        .collect()
}

/// One value from a form: measure, year, gender and a number.
pub fn form_value(
    measure: &Measure,
    m: &MunicipalityId,
    year: &str,
    gender: &str,
    value: &str,
) -> Result<ValueRow, OwnError> {
    if measure.retired {
        return Err(OwnError::Invalid(Message::in_field(
            "measure",
            Message::new("measure_retired").with("measure", measure.id),
        )));
    }
    if !reportable(measure, m) {
        return Err(OwnError::Invalid(
            Message::new("not_reportable")
                .with("measure", measure.id)
                .with("municipality", m),
        ));
    }
    let year =
        Year::parse(year).map_err(|e| OwnError::Invalid(Message::in_field("year", e.into())))?;
    let gender = Gender::parse(if gender.is_empty() { "T" } else { gender })
        .map_err(|e| OwnError::Invalid(Message::in_field("gender", e.into())))?;
    let number: f64 = value
        .trim()
        .replace(',', ".")
        .replace(['\u{a0}', ' '], "")
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite())
        .ok_or_else(|| {
            OwnError::Invalid(Message::in_field(
                "value",
                Message::new("not_a_number").with("value", format!("{value:?}")),
            ))
        })?;
    check_range(measure, number).map_err(|e| OwnError::Invalid(Message::in_field("value", e)))?;
    Ok(ValueRow {
        key: ValueKey {
            measure: measure.id,
            area: AreaId::Municipality(*m),
            year,
            gender,
        },
        datum: Datum::Number(number),
        count: None,
    })
}

/// A short fingerprint of a list of drafts (each one's key, value, author and time): the
/// publish form carries the one of the drafts it showed, so what is published is exactly
/// what the administrator saw.
pub fn drafts_version(drafts: &[Draft]) -> String {
    let mut h = ring::digest::Context::new(&ring::digest::SHA256);
    for d in drafts {
        let k = d.row.key;
        let datum = match d.row.datum {
            Datum::Number(x) => format!("{:x}", x.to_bits()),
            Datum::Missing(s) => s.code().to_owned(),
            Datum::Deleted => "-".to_owned(),
        };
        h.update(
            format!(
                "{}\t{}\t{}\t{}\t{datum}\t{}\t{}\n",
                k.measure,
                k.area,
                k.year.get(),
                k.gender.code(),
                d.updated_by,
                d.updated_at
            )
            .as_bytes(),
        );
    }
    h.finish().as_ref()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Publishes the drafts of the municipality that the administrator saw (`shown`, their
/// [`drafts_version`]): the values go through the import path (with their revision history),
/// the drafts go, and the audit event is written, in one transaction. Drafts that changed
/// since (an upload, another publish) refuse the whole publish with `Conflict`, so nothing
/// is lost between the page and the click, and a repeated click publishes nothing twice.
pub async fn publish(
    store: &(impl Values + OwnData),
    grants: &Grants,
    m: &MunicipalityId,
    shown: &str,
    actor: &Actor,
) -> Result<WriteCounts, OwnError> {
    require(grants, Action::Publish, m)?;
    let drafts = store.drafts(m).await?;
    if drafts.is_empty() {
        return Err(OwnError::Invalid(Message::new("no_drafts_to_publish")));
    }
    if drafts_version(&drafts) != shown.trim() {
        return Err(OwnError::Conflict(Message::new("drafts_changed")));
    }
    let rows: Vec<ValueRow> = drafts.iter().map(|d| d.row).collect();
    let source = ImportSource {
        source: format!("published by {}", actor.who),
        format: "publish".into(),
        at: actor.at,
    };
    let record = AuditRecord {
        actor: actor.clone(),
        municipality: Some(*m),
        action: AuditAction::ValuesPublish,
        object: format!("municipality:{m}"),
        before: None,
        after: Some(serde_json::json!({"rows": rows.len()})),
    };
    let change = ChangeSet {
        values: rows,
        notes: correction_notes(&drafts, m, actor),
        drafts_taken: drafts,
        audit: vec![record],
        ..ChangeSet::default()
    };
    Ok(store.apply(&source, change).await?)
}

/// Sets or removes (empty text) the comment on a measure and year. A comment belongs to a
/// measure the catalogue knows (`measures`) and to a year in which the municipality has a
/// value or a reason for none, since residents read it beside that value; removing one
/// needs neither.
#[allow(clippy::too_many_arguments)]
pub async fn comment(
    store: &(impl OwnData + Values),
    grants: &Grants,
    m: &MunicipalityId,
    measures: &std::collections::HashMap<MeasureId, Measure>,
    measure: &str,
    year: &str,
    body: &str,
    actor: &Actor,
) -> Result<(), OwnError> {
    require(grants, Action::Comment, m)?;
    let typed = measure.trim();
    let measure = MeasureId::parse(typed)
        .ok()
        .filter(|id| measures.contains_key(id))
        .ok_or_else(|| {
            OwnError::Invalid(Message::in_field(
                "measure",
                Message::new("unknown_measure").with("id", format!("{typed:?}")),
            ))
        })?;
    let year =
        Year::parse(year).map_err(|e| OwnError::Invalid(Message::in_field("year", e.into())))?;
    let body = body.trim();
    check_len("comment", body, max_chars::COMMENT).map_err(OwnError::Invalid)?;
    let body = (!body.is_empty()).then_some(body);
    if body.is_some() {
        let values = store.measure_values(&measure, Gender::Total).await?;
        let shown = values
            .values
            .iter()
            .any(|v| v.area == AreaId::Municipality(*m) && v.year == year);
        if !shown {
            return Err(OwnError::Invalid(Message::in_field(
                "year",
                Message::new("comment_needs_value")
                    .with("measure", measure)
                    .with("year", year),
            )));
        }
    }
    Ok(store.set_comment(&measure, m, year, body, actor).await?)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn a_kept_preview_reads_back_to_the_same_rows() {
        let key = |year: i64, gender: &str| ValueKey {
            measure: MeasureId::parse("X0180-1").unwrap(),
            area: AreaId::Municipality(m("0180")),
            year: Year::new(year).unwrap(),
            gender: Gender::parse(gender).unwrap(),
        };
        let rows = vec![
            ValueRow {
                key: key(2022, "T"),
                datum: Datum::Number(0.1 + 0.2),
                count: None,
            },
            ValueRow {
                key: key(2023, "K"),
                datum: Datum::Missing(kvalitet_domain::MissingStatus::Secret),
                count: None,
            },
        ];
        assert_eq!(text_rows(&rows_text(&rows), &m("0180")).unwrap(), rows);
        assert!(text_rows("X0180-1\t2022\n", &m("0180")).is_err());
    }

    fn m(s: &str) -> MunicipalityId {
        MunicipalityId::parse(s).unwrap()
    }

    fn measures() -> HashMap<MeasureId, Measure> {
        let mut own = Measure::from_kolada(
            MeasureId::parse("X0180-1").unwrap(),
            "Eget".into(),
            String::new(),
            KoladaMeta::default(),
        )
        .owned_by(m("0180"));
        own.unit = Some("procent".into());
        let theirs = Measure::from_kolada(
            MeasureId::parse("X1480-1").unwrap(),
            "Deras".into(),
            String::new(),
            KoladaMeta::default(),
        )
        .owned_by(m("1480"));
        let national = Measure::from_kolada(
            MeasureId::parse("N15428").unwrap(),
            "Nationellt".into(),
            String::new(),
            KoladaMeta::default(),
        );
        let u = Measure::from_kolada(
            MeasureId::parse("U23401").unwrap(),
            "Egenrapporterat".into(),
            String::new(),
            KoladaMeta::default(),
        );
        [own, theirs, national, u]
            .into_iter()
            .map(|x| (x.id, x))
            .collect()
    }

    fn upload(text: &str) -> Result<Vec<ValueRow>, OwnError> {
        parse_upload(text.as_bytes(), &m("0180"), &measures(), 1000)
    }

    fn bad_rows(r: Result<Vec<ValueRow>, OwnError>) -> String {
        match r {
            Err(OwnError::BadRows(rows)) => rows
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            Err(OwnError::Invalid(e)) => e.to_string(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_good_file_gives_its_rows() {
        let rows = upload("kpi,municipality_id,year,value,gender\nX0180-1,0180,2022,87.5,T\nU23401,0180,2022,40,K\n").unwrap();
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn every_bad_input_is_refused_with_its_place() {
        assert!(bad_rows(upload("")).contains("empty"));
        assert!(
            bad_rows(parse_upload(&[b'a'; 2000], &m("0180"), &measures(), 1000))
                .contains("at most 1000")
        );
        assert!(
            bad_rows(parse_upload(
                b"kpi,municipality_id,year,value\nX0180-1,0180,2022,\xe5\n",
                &m("0180"),
                &measures(),
                1000
            ))
            .contains("not UTF-8")
        );
        assert!(bad_rows(upload("kpi,value\n")).contains("the column year is missing"));
        // The page's municipality stands for a missing column; Swedish Excel's CSV is read.
        assert!(bad_rows(upload("kpi,year,value\n")).contains("no rows"));
        assert!(
            bad_rows(upload("kpi,municipality_id,year,value,note\n"))
                .contains("\"note\" is not known")
        );
        assert!(bad_rows(upload("kpi,municipality_id,year,value\n")).contains("no rows"));
        let e = bad_rows(upload(
            "kpi,municipality_id,year,value\nX0180-1,0180,2022,=1+1\nX0180-1,0180,2023,abc\nX0180-1,0180,2021,1\nX0180-1,0180,2021,1\nX1480-1,0180,2022,1\nN15428,0180,2022,1\nX0180-1,1480,2022,1\n",
        ));
        assert!(e.contains("line 2, column value: a formula"), "{e}");
        assert!(
            e.contains("line 3, column value: abc is not a number"),
            "{e}"
        );
        assert!(e.contains("line 5") && e.contains("again"), "{e}");
        assert!(e.contains("line 6, column kpi: X1480-1 is neither"), "{e}");
        assert!(e.contains("line 7, column kpi: N15428 is neither"), "{e}");
        assert!(
            e.contains("line 8, column municipality_id: municipality 1480 is not 0180"),
            "{e}"
        );
        let e = bad_rows(upload(
            "kpi,municipality_id,year,value\nX0180-1,0180,2022,120\nX0180-1,0180,2021,-1\n",
        ));
        assert!(
            e.contains("line 2, column value: 120 is outside 0–100"),
            "{e}"
        );
        assert!(
            e.contains("line 3, column value: -1 is outside 0–100"),
            "{e}"
        );
    }

    #[test]
    fn excel_workbooks_are_read_like_csv() {
        // Made with openpyxl: shared strings, numbers, the first sheet.
        let rows = parse_upload(
            include_bytes!("../tests/fixtures/upload.xlsx"),
            &m("0180"),
            &measures(),
            100_000,
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].datum, Datum::Number(87.5));
        let formula = bad_rows(parse_upload(
            include_bytes!("../tests/fixtures/formula.xlsx"),
            &m("0180"),
            &measures(),
            100_000,
        ));
        assert!(formula.contains("Cell D2 holds a formula"), "{formula}");
        assert!(
            bad_rows(parse_upload(
                b"PK\x03\x04garbage",
                &m("0180"),
                &measures(),
                1000
            ))
            .contains("Not a spreadsheet that can be read")
        );
    }

    /// The same refusal is said in Swedish on a Swedish page: every place and problem.
    #[test]
    fn upload_problems_are_said_in_swedish() {
        let Err(e) = upload(
            "kpi,municipality_id,year,value\nX0180-1,0180,2022,=1+1\nX0180-1,0180,2021,120\n",
        ) else {
            panic!("refused")
        };
        let said = kvalitet_domain::Lang::Sv.say(&e.message());
        assert_eq!(
            said,
            "Inget sparades: rad 2, kolumn value: en formel (\"=1+1\") är inte ett värde; \
             rad 2, kolumn value: =1+1 är inte ett tal. Skriv till exempel 12,5.; \
             rad 3, kolumn value: 120 ligger utanför 0–100 för en andel i procent",
        );
        assert!(!said.contains("line"), "{said}");
    }

    /// LibreOffice's .ods (made with odfpy, with the empty rest of the sheet repeated as
    /// LibreOffice writes it) and Excel 97–2003's .xls (made with xlwt: shared strings,
    /// RK and float numbers) read like .xlsx, the first sheet only.
    #[test]
    fn ods_and_old_excel_workbooks_are_read_like_csv() {
        for (name, file) in [
            (
                "ods",
                include_bytes!("../tests/fixtures/upload.ods").as_slice(),
            ),
            (
                "xls",
                include_bytes!("../tests/fixtures/upload.xls").as_slice(),
            ),
        ] {
            let rows = parse_upload(file, &m("0180"), &measures(), 100_000).unwrap();
            assert_eq!(rows.len(), 2, "{name}");
            assert_eq!(rows[0].datum, Datum::Number(87.5), "{name}");
            assert_eq!(rows[1].key.year, Year::new(2021).unwrap(), "{name}");
        }
    }

    #[test]
    fn form_values_accept_swedish_decimals() {
        let ms = measures();
        let own = &ms[&MeasureId::parse("X0180-1").unwrap()];
        let row = form_value(own, &m("0180"), "2022", "", "12,5").unwrap();
        assert_eq!(row.datum, Datum::Number(12.5));
        assert!(form_value(own, &m("0180"), "2022", "T", "mycket").is_err());
        assert!(form_value(own, &m("0180"), "1800", "T", "1").is_err());
        assert!(
            form_value(own, &m("0180"), "2022", "T", "101").is_err(),
            "a share over 100 %"
        );
        assert!(form_value(own, &m("1480"), "2022", "T", "1").is_err());
    }
}
