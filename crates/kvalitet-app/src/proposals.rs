//! E-förslag (citizen proposals, docs/dialogue.md): a municipality's published rules; a
//! resident's proposal and signatures, each completed from a link mailed to the address given
//! (so one address signs once); moderation against the rules with a reason on refusal; the
//! threshold fixed when a proposal is published (a share of residents turned into
//! signatures); the nämnd's answer and decision; how well the promised time was kept.

use serde::{Deserialize, Serialize};
use time::Duration;

use kvalitet_domain::calendar::{Calendar, parse_date, stockholm_date};
use kvalitet_domain::dialogue::{GroupRow, breakdown};
use kvalitet_domain::geo::{self, Boundary, GeoPoint, PlaceProblem};
use kvalitet_domain::proposal::{
    Decision, MAX_ANSWER_WORKING_DAYS, MAX_PROPOSAL_AREAS, MAX_SIGNING_DAYS, Stage, Threshold,
    Timeliness, signing_ends, timeliness,
};
use kvalitet_domain::text::{check_len, max_chars};
use kvalitet_domain::{
    Action, AreaId, Datum, Gender, Grants, MeasureId, Message, MunicipalityId, Timestamp,
};
use kvalitet_formats::attachment::{self, AttachmentProblem};

use crate::accounts::{new_token, token_hash};
use crate::mail::compose;
use crate::ports::{
    Actor, AttachmentInfo, CONFIRMATIONS_WINDOW_HOURS, Catalogue, Confirmable, Confirmed, Mail,
    Moderated, NewAttachment, NewConfirmation, NewDecision, NewProposal, PendingConfirmation,
    ProposalSettings, Proposals, StoredProposal, StoredSignature, ValueFilter, Values,
};
use crate::refusal::Refusal;

/// How long a confirmation link works.
pub const LINK_HOURS: i64 = 48;
/// Kolada's count of residents (N01951, "Invånare totalt, antal"): what a per-mille threshold
/// is a share of.
pub const RESIDENTS_MEASURE: &str = "N01951";
/// The longest address taken (RFC 5321's path limit).
const MAX_EMAIL: usize = 254;

/// The rules' form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    pub threshold_kind: String,
    pub threshold_value: String,
    pub signing_days: String,
    pub answer_working_days: String,
    pub areas: String,
    /// The residence areas, one per line; empty: residence not asked.
    pub residence_areas: String,
    pub rules: String,
}

impl SettingsForm {
    /// The form filled with saved rules, the per mille written with `decimal`.
    pub fn of(s: &ProposalSettings, decimal: char) -> Self {
        Self {
            threshold_kind: s.threshold.kind_code().to_owned(),
            threshold_value: s.threshold.value_text(decimal),
            signing_days: s.signing_days.to_string(),
            answer_working_days: s.answer_working_days.to_string(),
            areas: s.areas.join("\n"),
            residence_areas: s.residence_areas.join("\n"),
            rules: s.rules.clone(),
        }
    }
}

/// A whole number from 1 to `max` typed in `field`.
fn days(field: &str, text: &str, max: u32) -> Result<u32, Message> {
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(Message::in_field(
            field,
            Message::new("proposal_days_range")
                .with("value", text.trim())
                .with("max", max),
        )),
    }
}

/// Reads the rules' form; every problem in its field.
pub fn read_settings_form(form: &SettingsForm) -> Result<ProposalSettings, Vec<Message>> {
    let mut problems = Vec::new();
    let threshold = Threshold::parse(&form.threshold_kind, &form.threshold_value)
        .map_err(|m| problems.push(m))
        .ok();
    let signing = days("signing_days", &form.signing_days, MAX_SIGNING_DAYS)
        .map_err(|m| problems.push(m))
        .ok();
    let answer = days(
        "answer_working_days",
        &form.answer_working_days,
        MAX_ANSWER_WORKING_DAYS,
    )
    .map_err(|m| problems.push(m))
    .ok();
    let areas = read_areas("areas", &form.areas, MAX_PROPOSAL_AREAS, &mut problems);
    let residence_areas = read_areas(
        "residence_areas",
        &form.residence_areas,
        MAX_PROPOSAL_AREAS,
        &mut problems,
    );
    if let Err(m) = check_len("rules", &form.rules, max_chars::DESCRIPTION) {
        problems.push(m);
    }
    if form.rules.trim().is_empty() {
        problems.push(Message::in_field("rules", Message::new("proposal_fill_in")));
    }
    match (threshold, signing, answer) {
        (Some(threshold), Some(signing_days), Some(answer_working_days)) if problems.is_empty() => {
            Ok(ProposalSettings {
                threshold,
                signing_days,
                answer_working_days,
                areas,
                residence_areas,
                rules: form.rules.trim().to_owned(),
            })
        }
        _ => Err(problems),
    }
}

/// The areas typed one per line (blank lines dropped), at most `max` of them, each a title's
/// length; problems name `field`. Proposals and dialogues offer areas alike.
pub(crate) fn read_areas(
    field: &str,
    text: &str,
    max: usize,
    problems: &mut Vec<Message>,
) -> Vec<String> {
    let areas: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if areas.len() > max {
        problems.push(Message::in_field(
            field,
            Message::new("budget_too_many_areas").with("max", max),
        ));
    }
    for a in &areas {
        if let Err(m) = check_len(field, a, max_chars::TITLE) {
            problems.push(m);
        }
    }
    areas
}

/// Editors of the municipality set rules up, moderate and answer (e-förslag and e-dialogues).
pub(crate) fn may_edit(grants: &Grants, m: &MunicipalityId) -> Result<(), Refusal> {
    if grants.allows(Action::EditMeasures, m) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(
            Message::new("proposal_editors_only").with("municipality", m),
        ))
    }
}

/// Staff of the municipality see what awaits moderation.
pub(crate) fn may_view(grants: &Grants, m: &MunicipalityId) -> Result<(), Refusal> {
    if grants.allows(Action::ViewDrafts, m) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(
            Message::new("proposal_editors_only").with("municipality", m),
        ))
    }
}

fn not_offered() -> Refusal {
    Refusal::NotFound(Message::new("proposals_not_offered"))
}

fn not_found() -> Refusal {
    Refusal::NotFound(Message::new("proposal_not_found"))
}

/// Saves the municipality's rules. Proposals already published keep the threshold and days
/// they were published with.
pub async fn save_settings(
    store: &impl Proposals,
    grants: &Grants,
    m: &MunicipalityId,
    form: &SettingsForm,
    actor: &Actor,
) -> Result<(), Refusal> {
    may_edit(grants, m)?;
    let settings = read_settings_form(form).map_err(Refusal::BadRows)?;
    Ok(store.save_proposal_settings(m, &settings, actor).await?)
}

/// The rules, for the staff page (which may set them the first time).
pub async fn settings_for_staff(
    store: &impl Proposals,
    grants: &Grants,
    m: &MunicipalityId,
) -> Result<Option<ProposalSettings>, Refusal> {
    may_view(grants, m)?;
    Ok(store.proposal_settings(m).await?)
}

/// A resident's proposal form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProposalForm {
    pub title: String,
    pub body: String,
    pub area: String,
    pub email: String,
    pub name: String,
    /// The place as typed (degrees north and east), or as set by a click on the map.
    pub lat: String,
    pub lon: String,
    /// The residence area chosen, when the rules ask for one.
    pub residence: String,
}

/// A file as sent with a proposal: its name on the sender's machine and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct SentFile<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// Checks the files sent with a proposal (at most [`attachment::MAX_FILES`], each a whole
/// PDF, PNG or JPEG); pictures lose their metadata. Problems name the field `files` and
/// the file.
pub fn read_attachments(files: &[SentFile<'_>]) -> Result<Vec<NewAttachment>, Vec<Message>> {
    let in_files = |m: Message| Message::in_field("files", m);
    if files.len() > attachment::MAX_FILES {
        return Err(vec![in_files(
            Message::new("attachment_too_many").with("count", attachment::MAX_FILES),
        )]);
    }
    let mut problems = Vec::new();
    let mut kept = Vec::new();
    for f in files {
        match attachment::check(f.name, f.bytes) {
            Ok(c) => kept.push(NewAttachment {
                file_name: c.name,
                media_type: c.kind.media_type().to_owned(),
                content: c.bytes,
            }),
            Err(problem) => {
                let said = match problem {
                    AttachmentProblem::TooLarge => Message::new("attachment_too_large")
                        .with("mb", attachment::MAX_FILE_BYTES >> 20),
                    AttachmentProblem::Empty => Message::new("attachment_empty"),
                    AttachmentProblem::UnknownKind => Message::new("attachment_unknown_kind"),
                    AttachmentProblem::Broken(_) => Message::new("attachment_broken"),
                    AttachmentProblem::TooManyPixels => Message::new("attachment_too_many_pixels")
                        .with("pixels", attachment::MAX_PIXELS_SIDE),
                    AttachmentProblem::ActivePdf(what) => {
                        Message::new("attachment_active_pdf").with("what", what)
                    }
                };
                // The name as sent, shortened: it is the sender's own and said back to them.
                let name: String = f.name.chars().take(80).collect();
                problems.push(in_files(said.with("file", name)));
            }
        }
    }
    if problems.is_empty() {
        Ok(kept)
    } else {
        Err(problems)
    }
}

/// The place typed, if any: in Sweden and, when the municipality's boundary is known, in it
/// (or within [`geo::BOUNDARY_TOLERANCE`] of its drawn edge). Problems name `lat` or `lon`.
pub fn read_place(
    lat: &str,
    lon: &str,
    boundary: Option<&Boundary>,
    municipality_name: &str,
) -> Result<Option<GeoPoint>, Message> {
    let point = GeoPoint::read(lat, lon).map_err(|p| match p {
        PlaceProblem::NotANumber(f) => Message::in_field(f, Message::new("place_not_a_number")),
        PlaceProblem::NotInSweden(f) => Message::in_field(f, Message::new("place_not_in_sweden")),
        PlaceProblem::Half(f) => Message::in_field(f, Message::new("place_half")),
    })?;
    if let (Some(p), Some(b)) = (point, boundary) {
        let (x, y) = p.projected();
        if !b.is_empty() && !b.holds(x, y, geo::BOUNDARY_TOLERANCE) {
            return Err(Message::in_field(
                "lat",
                Message::new("place_outside").with("municipality", municipality_name),
            ));
        }
    }
    Ok(point)
}

/// The municipality's boundary as drawn on the map, when one is loaded.
pub async fn boundary(
    store: &impl Catalogue,
    m: &MunicipalityId,
) -> Result<Option<Boundary>, Refusal> {
    Ok(store
        .shapes()
        .await?
        .into_iter()
        .find(|(id, _)| id == m)
        .map(|(_, path)| Boundary::from_svg_path(&path))
        .filter(|b| !b.is_empty()))
}

/// A signature's form as typed; `name` is shown only when given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignForm {
    pub email: String,
    pub name: String,
    /// The residence area chosen, when the rules ask for one.
    pub residence: String,
}

/// An address as typed, lower case, or its problem in the field `email`. Only the shape is
/// checked: the link sent to it is the real check.
pub fn read_email(text: &str) -> Result<String, Message> {
    let email = text.trim().to_lowercase();
    let wrong = || Message::in_field("email", Message::new("proposal_email_wrong"));
    let (local, domain) = email.split_once('@').ok_or_else(wrong)?;
    let shaped = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= MAX_EMAIL
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if shaped { Ok(email) } else { Err(wrong()) }
}

/// The residence area chosen from the rules' list, or its problem in the field `residence`;
/// `None` when the rules ask for none (what was sent is then ignored, so nothing unasked is
/// kept).
pub fn read_residence(settings: &ProposalSettings, typed: &str) -> Result<Option<String>, Message> {
    if settings.residence_areas.is_empty() {
        return Ok(None);
    }
    let typed = typed.trim();
    settings
        .residence_areas
        .iter()
        .find(|a| *a == typed)
        .map(|a| Some(a.clone()))
        .ok_or_else(|| Message::in_field("residence", Message::new("proposal_residence_choose")))
}

/// Signers by the residence area they declared, safe to publish (groups smaller than
/// [`MIN_GROUP`](kvalitet_domain::dialogue::MIN_GROUP) hidden as for dialogues); empty when
/// the rules ask for no residence. Areas no longer offered count with those who did not say.
pub fn signers_by_residence(
    settings: &ProposalSettings,
    signatures: &[StoredSignature],
) -> Vec<GroupRow> {
    if settings.residence_areas.is_empty() {
        return Vec::new();
    }
    let groups: Vec<(String, u64)> = settings
        .residence_areas
        .iter()
        .map(|a| {
            let n = signatures
                .iter()
                .filter(|s| s.residence_area.as_deref() == Some(a.as_str()))
                .count() as u64;
            (a.clone(), n)
        })
        .collect();
    let counted: u64 = groups.iter().map(|(_, n)| n).sum();
    breakdown(&groups, signatures.len() as u64 - counted)
}

/// A name to show, if any, or its problem in the field `name`.
fn read_name(text: &str) -> Result<Option<String>, Message> {
    check_len("name", text, max_chars::NAME)?;
    let name = text.trim();
    Ok((!name.is_empty()).then(|| name.to_owned()))
}

/// What is kept of an address to count it once: a hash, not the address, salted with the
/// municipality so the same address gives different hashes in two municipalities. A hash of
/// an address can be tried against a list of addresses; it is pseudonymous, not anonymous
/// (docs/security.md).
pub fn email_hash(m: &MunicipalityId, email: &str) -> String {
    token_hash(&format!("kvalitet-dialogue\u{0}{m}\u{0}{email}"))
}

/// Reads a proposal's form against the municipality's rules; every problem in its field.
pub fn read_proposal_form(
    settings: &ProposalSettings,
    form: &ProposalForm,
    boundary: Option<&Boundary>,
    municipality_name: &str,
) -> Result<(NewProposal, String), Vec<Message>> {
    let mut problems = Vec::new();
    let mut keep = |r: Result<(), Message>| {
        if let Err(m) = r {
            problems.push(m);
        }
    };
    keep(check_len("title", &form.title, max_chars::TITLE));
    keep(check_len("body", &form.body, max_chars::DESCRIPTION));
    for (field, text) in [("title", &form.title), ("body", &form.body)] {
        if text.trim().is_empty() {
            keep(Err(Message::in_field(
                field,
                Message::new("proposal_fill_in"),
            )));
        }
    }
    let area = form.area.trim();
    if !settings.areas.is_empty() && !settings.areas.iter().any(|a| a == area) {
        keep(Err(Message::in_field(
            "area",
            Message::new("proposal_fill_in"),
        )));
    }
    let place = read_place(&form.lat, &form.lon, boundary, municipality_name)
        .map_err(|m| problems.push(m))
        .ok();
    let residence_area = read_residence(settings, &form.residence)
        .map_err(|m| problems.push(m))
        .ok();
    let email = read_email(&form.email).map_err(|m| problems.push(m)).ok();
    let name = read_name(&form.name).map_err(|m| problems.push(m)).ok();
    match (email, name, place, residence_area) {
        (Some(email), Some(author_name), Some(place), Some(residence_area))
            if problems.is_empty() =>
        {
            Ok((
                NewProposal {
                    title: form.title.trim().to_owned(),
                    body: form.body.trim().to_owned(),
                    area: area.to_owned(),
                    author_name,
                    place,
                    residence_area,
                },
                email,
            ))
        }
        _ => Err(problems),
    }
}

/// Where links in mails lead: the site's address and the page's language base.
#[derive(Debug, Clone, Copy)]
pub struct Links<'a> {
    pub site: &'a str,
    pub lang_base: &'a str,
}

impl Links<'_> {
    pub fn confirm(&self, m: &MunicipalityId, token: &str) -> String {
        format!(
            "{}{}/kommun/{m}/e-forslag/bekrafta/{token}",
            self.site, self.lang_base
        )
    }

    /// A participant's own page in an e-dialogue: the token is their key.
    pub fn participant(&self, m: &MunicipalityId, number: i64, token: &str) -> String {
        format!(
            "{}{}/kommun/{m}/dialog/{number}/deltagare/{token}",
            self.site, self.lang_base
        )
    }

    pub fn proposal(&self, m: &MunicipalityId, number: i64) -> String {
        format!(
            "{}{}/kommun/{m}/e-forslag/{number}",
            self.site, self.lang_base
        )
    }
}

/// Whether the municipality takes e-förslag (its rules are saved).
pub async fn takes_proposals(store: &impl Proposals, m: &MunicipalityId) -> Result<bool, Refusal> {
    Ok(store.proposal_settings(m).await?.is_some())
}

/// The municipality's published rules; `NotFound` when it takes no proposals.
pub async fn offered(
    store: &impl Proposals,
    m: &MunicipalityId,
) -> Result<ProposalSettings, Refusal> {
    store.proposal_settings(m).await?.ok_or_else(not_offered)
}

/// Keeps a step until the resident follows the link mailed to `email`.
pub(crate) async fn ask_confirmation(
    store: &impl Proposals,
    m: &MunicipalityId,
    email: &str,
    what: Confirmable,
    mail_of: impl FnOnce(&str) -> Mail,
    now: Timestamp,
) -> Result<(), Refusal> {
    ask_confirmation_with(store, m, email, what, Vec::new(), mail_of, now).await
}

/// As [`ask_confirmation`], with a proposal's files kept until the link is followed.
async fn ask_confirmation_with(
    store: &impl Proposals,
    m: &MunicipalityId,
    email: &str,
    what: Confirmable,
    attachments: Vec<NewAttachment>,
    mail_of: impl FnOnce(&str) -> Mail,
    now: Timestamp,
) -> Result<(), Refusal> {
    let token = new_token()
        .map_err(|_| Refusal::Store(crate::ports::StoreError::Database("no randomness".into())))?;
    let confirmation = NewConfirmation {
        municipality: *m,
        token_hash: token_hash(&token),
        email_hash: email_hash(m, email),
        what,
        expires_at: now.plus(Duration::hours(LINK_HOURS)),
        mail: mail_of(&token),
        attachments,
    };
    store
        .request_confirmation(
            &confirmation,
            now,
            now.plus(Duration::hours(-CONFIRMATIONS_WINDOW_HOURS)),
        )
        .await
        .map_err(|e| match e {
            crate::ports::StoreError::Conflict(m) => {
                Refusal::Invalid(Message::in_field("email", m))
            }
            other => other.into(),
        })
}

/// A resident's proposal with its files: checked against the rules (the place against the
/// municipality's boundary), then kept until confirmed from the link mailed to the address
/// given. `municipality_name` is said in the mail.
pub async fn submit(
    store: &(impl Proposals + Catalogue),
    m: &MunicipalityId,
    municipality_name: &str,
    form: &ProposalForm,
    files: &[SentFile<'_>],
    links: Links<'_>,
    now: Timestamp,
) -> Result<(), Refusal> {
    let settings = offered(store, m).await?;
    let boundary = boundary(store, m).await?;
    let read = read_proposal_form(&settings, form, boundary.as_ref(), municipality_name);
    let attachments = read_attachments(files);
    let ((proposal, email), attachments) = match (read, attachments) {
        (Ok(p), Ok(a)) => (p, a),
        (read, attachments) => {
            let mut problems = read.err().unwrap_or_default();
            problems.extend(attachments.err().unwrap_or_default());
            return Err(Refusal::BadRows(problems));
        }
    };
    let title = proposal.title.clone();
    let mail_of = |token: &str| {
        let args = Message::new("mail.proposal_confirm.body")
            .with("title", title.as_str())
            .with("municipality", municipality_name)
            .with("link", links.confirm(m, token))
            .with("hours", LINK_HOURS);
        compose(&email, "proposal_confirm", &args, None)
    };
    ask_confirmation_with(
        store,
        m,
        &email,
        Confirmable::Proposal(proposal),
        attachments,
        mail_of,
        now,
    )
    .await
}

/// A signature: counted once confirmed from the link mailed to the address given, if the
/// proposal is still open for signing then.
pub async fn sign(
    store: &impl Proposals,
    m: &MunicipalityId,
    municipality_name: &str,
    number: i64,
    form: &SignForm,
    links: Links<'_>,
    now: Timestamp,
) -> Result<(), Refusal> {
    let settings = offered(store, m).await?;
    let p = store.proposal(m, number).await?.ok_or_else(not_found)?;
    if !p.milestones.may_sign(stockholm_date(now.datetime())) {
        return Err(Refusal::Invalid(Message::new("proposal_not_signable")));
    }
    let mut problems = Vec::new();
    let email = read_email(&form.email).map_err(|e| problems.push(e)).ok();
    let name = read_name(&form.name).map_err(|e| problems.push(e)).ok();
    let residence = read_residence(&settings, &form.residence)
        .map_err(|e| problems.push(e))
        .ok();
    let (Some(email), Some(public_name), Some(residence_area)) = (email, name, residence) else {
        return Err(Refusal::BadRows(problems));
    };
    let title = p.proposal.title.clone();
    let mail_of = |token: &str| {
        let args = Message::new("mail.signature_confirm.body")
            .with("title", title.as_str())
            .with("municipality", municipality_name)
            .with("link", links.confirm(m, token))
            .with("hours", LINK_HOURS);
        compose(&email, "signature_confirm", &args, None)
    };
    let what = Confirmable::Signature {
        number,
        public_name,
        residence_area,
    };
    ask_confirmation(store, m, &email, what, mail_of, now).await
}

/// A confirmation link's step, for the page that asks to confirm it (a mail scanner that
/// opens links must not sign anything). Unknown, used and expired links are refused.
pub async fn pending(
    store: &impl Proposals,
    m: &MunicipalityId,
    token: &str,
    now: Timestamp,
) -> Result<(PendingConfirmation, Option<StoredProposal>), Refusal> {
    let unknown = || Refusal::NotFound(Message::new("dialogue_link_unknown"));
    let c = store
        .confirmation(&token_hash(token))
        .await?
        .filter(|c| c.municipality == *m && !c.used && c.expires_at > now)
        .ok_or_else(unknown)?;
    let proposal = match &c.what {
        Confirmable::Signature { number, .. } => store.proposal(m, *number).await?,
        Confirmable::Proposal(_)
        | Confirmable::JoinDialogue { .. }
        | Confirmable::Ballot { .. } => None,
    };
    Ok((c, proposal))
}

/// Follows a confirmation link: the proposal goes to moderation, or the signature counts.
pub async fn confirm(
    store: &impl Proposals,
    m: &MunicipalityId,
    token: &str,
    now: Timestamp,
) -> Result<Confirmed, Refusal> {
    pending(store, m, token, now).await?;
    let actor = Actor {
        who: "resident".into(),
        at: now,
    };
    Ok(store
        .confirm(&token_hash(token), stockholm_date(now.datetime()), &actor)
        .await?)
}

/// The municipality's proposals for its staff, all of them.
pub async fn for_staff(
    store: &impl Proposals,
    grants: &Grants,
    m: &MunicipalityId,
) -> Result<Vec<StoredProposal>, Refusal> {
    may_view(grants, m)?;
    Ok(store.proposals(m, false).await?)
}

/// One proposal for its staff, with its signatures.
pub async fn one_for_staff(
    store: &impl Proposals,
    grants: &Grants,
    m: &MunicipalityId,
    number: i64,
) -> Result<(StoredProposal, Vec<StoredSignature>), Refusal> {
    may_view(grants, m)?;
    let p = store.proposal(m, number).await?.ok_or_else(not_found)?;
    let signatures = store.proposal_signatures(m, number).await?;
    Ok((p, signatures))
}

/// Checks that the viewer may see the proposal: staff of the municipality (`viewer` given)
/// see any, the public (`None`) only a published one.
async fn may_see(
    store: &impl Proposals,
    viewer: Option<&Grants>,
    m: &MunicipalityId,
    number: i64,
) -> Result<(), Refusal> {
    let p = store.proposal(m, number).await?.ok_or_else(not_found)?;
    match viewer {
        Some(grants) => may_view(grants, m),
        None if p.milestones.moderation == kvalitet_domain::proposal::Moderation::Published => {
            Ok(())
        }
        None => Err(not_found()),
    }
}

/// The files attached to a proposal the viewer may see (see [`may_see`]).
pub async fn attachment_list(
    store: &impl Proposals,
    viewer: Option<&Grants>,
    m: &MunicipalityId,
    number: i64,
) -> Result<Vec<AttachmentInfo>, Refusal> {
    may_see(store, viewer, m, number).await?;
    Ok(store.proposal_attachments(m, number).await?)
}

/// One file of a proposal the viewer may see, with its bytes.
pub async fn attachment_file(
    store: &impl Proposals,
    viewer: Option<&Grants>,
    m: &MunicipalityId,
    number: i64,
    position: u32,
) -> Result<(AttachmentInfo, Vec<u8>), Refusal> {
    may_see(store, viewer, m, number).await?;
    store
        .proposal_attachment(m, number, position)
        .await?
        .ok_or_else(|| Refusal::NotFound(Message::new("attachment_not_found")))
}

/// The moderation form as typed: `step` `publish` or `reject`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModerationForm {
    pub step: String,
    pub committee: String,
    pub reason: String,
}

/// The municipality's latest count of residents (of a year up to `up_to`, when given) and
/// its year, if the data has one.
pub async fn residents(
    store: &impl Values,
    m: &MunicipalityId,
    up_to: Option<i32>,
) -> Result<Option<(u64, i32)>, Refusal> {
    let measure = MeasureId::parse(RESIDENTS_MEASURE)
        .map_err(|_| Refusal::Invalid(Message::new("proposal_no_population")))?;
    let rows = store
        .select_values(&ValueFilter {
            measures: vec![measure],
            areas: vec![AreaId::Municipality(*m)],
            years: Vec::new(),
            genders: vec![Gender::Total],
            changed_since: None,
        })
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| match r.datum {
            Datum::Number(n) if n >= 1.0 => Some((n.round() as u64, i32::from(r.key.year.get()))),
            _ => None,
        })
        .filter(|&(_, year)| up_to.is_none_or(|last| year <= last))
        .max_by_key(|&(_, year)| year))
}

/// Publishes a proposal awaiting moderation (its threshold fixed from today's rules and
/// count of residents, its signing days starting today) or refuses it with a reason, which
/// the proposer is told.
#[allow(clippy::too_many_arguments)]
pub async fn moderate(
    store: &(impl Proposals + Values),
    grants: &Grants,
    m: &MunicipalityId,
    number: i64,
    form: &ModerationForm,
    links: Links<'_>,
    actor: &Actor,
) -> Result<(), Refusal> {
    may_edit(grants, m)?;
    let settings = offered(store, m).await?;
    let p = store.proposal(m, number).await?.ok_or_else(not_found)?;
    let title = p.proposal.title.as_str();
    let today = stockholm_date(actor.at.datetime());
    let (step, mail) = match form.step.as_str() {
        "publish" => {
            let committee = form.committee.trim();
            let mut problems = Vec::new();
            if committee.is_empty() {
                problems.push(Message::in_field(
                    "committee",
                    Message::new("proposal_fill_in"),
                ));
            }
            if let Err(e) = check_len("committee", committee, max_chars::TITLE) {
                problems.push(e);
            }
            let counted = residents(store, m, None).await?;
            let threshold = settings
                .threshold
                .needed(counted.map(|(n, _)| n))
                .map_err(|e| problems.push(Message::in_field("committee", e)))
                .ok();
            let (Some(threshold), true) = (threshold, problems.is_empty()) else {
                return Err(Refusal::BadRows(problems));
            };
            let note = match (settings.threshold, counted) {
                (Threshold::PerMille { .. }, Some((n, year))) => format!(
                    "{} ‰ × {n} ({RESIDENTS_MEASURE} {year})",
                    settings.threshold.value_text(',')
                ),
                _ => String::new(),
            };
            let ends = signing_ends(today, settings.signing_days);
            let args = Message::new("mail.proposal_published.body")
                .with("title", title)
                .with("last_day", ends.to_string())
                .with("threshold", threshold)
                .with("committee", committee)
                .with("days", settings.answer_working_days)
                .with("link", links.proposal(m, number));
            (
                Moderated::Publish {
                    on: today,
                    signing_ends_on: ends,
                    threshold,
                    threshold_note: note,
                    committee: committee.to_owned(),
                },
                compose("", "proposal_published", &args, None),
            )
        }
        "reject" => {
            let reason = form.reason.trim();
            if reason.is_empty() {
                return Err(Refusal::BadRows(vec![Message::in_field(
                    "reason",
                    Message::new("proposal_reason_needed"),
                )]));
            }
            check_len("reason", reason, max_chars::COMMENT)
                .map_err(|e| Refusal::BadRows(vec![e]))?;
            let args = Message::new("mail.proposal_rejected.body")
                .with("title", title)
                .with("reason", reason);
            (
                Moderated::Reject {
                    reason: reason.to_owned(),
                },
                compose("", "proposal_rejected", &args, None),
            )
        }
        _ => {
            return Err(Refusal::BadRows(vec![Message::in_field(
                "step",
                Message::new("proposal_fill_in"),
            )]));
        }
    };
    Ok(store
        .moderate_proposal(m, number, &step, &mail, actor)
        .await?)
}

/// The decision form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    pub decision: String,
    pub answer: String,
    pub decided_on: String,
}

/// Records the nämnd's decision and answer on a proposal that reached its threshold, and
/// tells the proposer.
pub async fn decide(
    store: &impl Proposals,
    grants: &Grants,
    m: &MunicipalityId,
    number: i64,
    form: &DecisionForm,
    links: Links<'_>,
    actor: &Actor,
) -> Result<(), Refusal> {
    may_edit(grants, m)?;
    let p = store.proposal(m, number).await?.ok_or_else(not_found)?;
    let mut problems = Vec::new();
    let decision = Decision::parse(&form.decision);
    if decision.is_none() {
        problems.push(Message::in_field(
            "decision",
            Message::new("proposal_fill_in"),
        ));
    }
    let answer = form.answer.trim();
    if answer.is_empty() {
        problems.push(Message::in_field(
            "answer",
            Message::new("proposal_fill_in"),
        ));
    }
    if let Err(e) = check_len("answer", answer, max_chars::DESCRIPTION) {
        problems.push(e);
    }
    let day = parse_date(&form.decided_on)
        .map_err(|e| problems.push(Message::in_field("decided_on", e)))
        .ok();
    if day.is_some_and(|d| d > stockholm_date(actor.at.datetime())) {
        problems.push(Message::in_field(
            "decided_on",
            Message::new("proposal_decided_in_future"),
        ));
    }
    let (Some(decision), Some(decided_on), true) = (decision, day, problems.is_empty()) else {
        return Err(Refusal::BadRows(problems));
    };
    let args = Message::new("mail.proposal_decided.body")
        .with("title", p.proposal.title.as_str())
        .with("committee", p.committee.as_str())
        .with("day", decided_on.to_string())
        .with("link", links.proposal(m, number));
    let mail = compose("", "proposal_decided", &args, None);
    let d = NewDecision {
        decision,
        answer: answer.to_owned(),
        decided_on,
    };
    store
        .decide_proposal(m, number, &d, &mail, actor)
        .await
        .map_err(|e| match e {
            crate::ports::StoreError::Invalid(msg) => Refusal::BadRows(vec![msg]),
            other => other.into(),
        })
}

/// The public e-förslag of a municipality: its rules, the published proposals, and how well
/// the promised time to a decision was kept.
#[derive(Debug, Clone)]
pub struct PublicProposals {
    pub settings: ProposalSettings,
    pub proposals: Vec<StoredProposal>,
    pub timeliness: Timeliness,
}

/// How well the promise was kept over `proposals`, on `today`.
pub fn kept_promises(
    settings: &ProposalSettings,
    proposals: &[StoredProposal],
    today: time::Date,
) -> Timeliness {
    let cases: Vec<_> = proposals
        .iter()
        .filter_map(|p| {
            p.milestones
                .threshold_reached_on
                .map(|r| (r, p.milestones.decided_on))
        })
        .collect();
    timeliness(
        &Calendar::default(),
        settings.answer_working_days,
        &cases,
        today,
    )
}

/// The municipality's public e-förslag; `NotFound` when it offers none.
pub async fn public_list(
    store: &impl Proposals,
    m: &MunicipalityId,
    now: Timestamp,
) -> Result<PublicProposals, Refusal> {
    let settings = offered(store, m).await?;
    let proposals = store.proposals(m, true).await?;
    let timeliness = kept_promises(&settings, &proposals, stockholm_date(now.datetime()));
    Ok(PublicProposals {
        settings,
        proposals,
        timeliness,
    })
}

/// One published proposal with its signatures and the rules; `NotFound` for one not public.
pub async fn public_one(
    store: &impl Proposals,
    m: &MunicipalityId,
    number: i64,
) -> Result<(ProposalSettings, StoredProposal, Vec<StoredSignature>), Refusal> {
    let settings = offered(store, m).await?;
    let p = store
        .proposal(m, number)
        .await?
        .filter(|p| p.milestones.moderation == kvalitet_domain::proposal::Moderation::Published)
        .ok_or_else(not_found)?;
    let signatures = store.proposal_signatures(m, number).await?;
    Ok((settings, p, signatures))
}

/// Where a proposal stands today.
pub fn stage_of(p: &StoredProposal, now: Timestamp) -> Stage {
    p.milestones.stage(stockholm_date(now.datetime()))
}

/// The working days from threshold to decision, when decided.
pub fn working_days_to_decision(p: &StoredProposal) -> Option<i64> {
    let m = &p.milestones;
    Some(Calendar::default().working_days_taken(m.threshold_reached_on?, m.decided_on?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_read_loosely_and_refused_in_its_field() {
        assert_eq!(
            read_email(" Anna@Exempel.SE "),
            Ok("anna@exempel.se".into())
        );
        for bad in [
            "", "anna", "anna@", "@x.se", "anna@se", "a b@x.se", "a@x.se.",
        ] {
            assert!(read_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_same_address_hashes_apart_in_two_municipalities() {
        let a = MunicipalityId::parse("0180").unwrap();
        let b = MunicipalityId::parse("1480").unwrap();
        assert_eq!(email_hash(&a, "x@y.se"), email_hash(&a, "x@y.se"));
        assert_ne!(email_hash(&a, "x@y.se"), email_hash(&b, "x@y.se"));
    }

    #[test]
    fn a_proposal_names_each_problem_in_its_field() {
        let settings = ProposalSettings {
            threshold: Threshold::Signatures(10),
            signing_days: 90,
            answer_working_days: 60,
            areas: vec!["Skola".into(), "Miljö".into()],
            residence_areas: Vec::new(),
            rules: "Håll god ton.".into(),
        };
        let form = ProposalForm {
            title: " ".into(),
            body: "Fler bänkar".into(),
            area: "Trafik".into(),
            email: "nej".into(),
            name: String::new(),
            lat: "59,3".into(),
            lon: String::new(),
            residence: "Långt bort".into(),
        };
        let problems = read_proposal_form(&settings, &form, None, "Stockholm").unwrap_err();
        let fields: Vec<_> = problems.iter().filter_map(|p| p.term("field")).collect();
        assert_eq!(fields, ["title", "area", "lon", "email"]);
        let form = ProposalForm {
            title: "Bänkar i parken".into(),
            area: "Miljö".into(),
            email: "a@b.se".into(),
            name: "Anna".into(),
            lon: "18,07".into(),
            ..form
        };
        // A place outside the municipality's drawn boundary is refused in its field.
        let (x, y) = geo::project(11.97, 57.7);
        let goteborg = Boundary::from_svg_path(&format!(
            "M{} {}L{} {}L{} {}Z",
            x - 5.0,
            y - 5.0,
            x + 5.0,
            y - 5.0,
            x,
            y + 5.0
        ));
        let outside =
            read_proposal_form(&settings, &form, Some(&goteborg), "Göteborg").unwrap_err();
        assert_eq!(outside[0].term("field"), Some("lat"));
        let (p, email) = read_proposal_form(&settings, &form, None, "Stockholm").unwrap();
        assert_eq!(p.place, GeoPoint::new(59.3, 18.07));
        assert_eq!((p.area.as_str(), email.as_str()), ("Miljö", "a@b.se"));
        assert_eq!(p.author_name.as_deref(), Some("Anna"));
        // Residence not asked: what was sent is not kept.
        assert_eq!(p.residence_area, None);
    }

    fn asking_residence() -> ProposalSettings {
        ProposalSettings {
            threshold: Threshold::Signatures(10),
            signing_days: 90,
            answer_working_days: 60,
            areas: Vec::new(),
            residence_areas: vec!["Centrum".into(), "Norra".into(), "Södra".into()],
            rules: "Håll god ton.".into(),
        }
    }

    #[test]
    fn residence_asked_must_be_one_of_the_areas_offered() {
        let settings = asking_residence();
        for refused in ["", "  ", "centrum", "Västra"] {
            let m = read_residence(&settings, refused).unwrap_err();
            assert_eq!(m.term("field"), Some("residence"), "{refused:?}");
        }
        assert_eq!(
            read_residence(&settings, " Norra "),
            Ok(Some("Norra".into()))
        );
        let form = ProposalForm {
            title: "Bänkar".into(),
            body: "Fler bänkar".into(),
            email: "a@b.se".into(),
            ..ProposalForm::default()
        };
        let problems = read_proposal_form(&settings, &form, None, "Lund").unwrap_err();
        assert_eq!(problems[0].term("field"), Some("residence"));
        let form = ProposalForm {
            residence: "Södra".into(),
            ..form
        };
        let (p, _) = read_proposal_form(&settings, &form, None, "Lund").unwrap();
        assert_eq!(p.residence_area.as_deref(), Some("Södra"));
    }

    #[test]
    fn signers_are_counted_by_residence_with_small_groups_hidden() {
        let settings = asking_residence();
        let day = parse_date("2026-05-04").unwrap();
        let signed = |area: Option<&str>| StoredSignature {
            public_name: None,
            signed_on: day,
            residence_area: area.map(str::to_owned),
        };
        let mut signatures: Vec<_> = (0..6).map(|_| signed(Some("Centrum"))).collect();
        signatures.extend((0..2).map(|_| signed(Some("Norra"))));
        // One from an area the municipality no longer offers, one from before it asked.
        signatures.push(signed(Some("Gamla staden")));
        signatures.push(signed(None));
        let rows = signers_by_residence(&settings, &signatures);
        assert_eq!(
            rows,
            [
                GroupRow {
                    label: Some("Centrum".into()),
                    count: Some(6)
                },
                // Norra's 2 join the 2 who did not say: 4, still too few to show.
                GroupRow {
                    label: None,
                    count: None
                },
            ]
        );
        let not_asked = ProposalSettings {
            residence_areas: Vec::new(),
            ..settings
        };
        assert!(signers_by_residence(&not_asked, &signatures).is_empty());
    }
}
