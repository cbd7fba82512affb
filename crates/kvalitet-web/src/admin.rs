//! The municipality's administration page: own measures, values entered by form or uploaded
//! as CSV or a spreadsheet (saved as drafts, all rows or none), publishing, and comments.
//! Every request is checked on the server: a session, the CSRF token on every change (the
//! `Change` extractor), and the person's role in this municipality (here for a clear
//! message, and again inside each use case).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use kvalitet_app::Store;
use kvalitet_app::accounts;
use kvalitet_app::own::{self, MeasureForm, OwnError};
use kvalitet_app::ports::SessionRecord;
use kvalitet_domain::{Action, MeasureId, MeasureOrigin, Message, MunicipalityId, Role};

use crate::auth::{message_page, redirect, render_private};
use crate::extract::PageLang;
use crate::extract::{Change, Session, Upload};
use crate::i18n::Lang;
use crate::site::Named;
use crate::{AppState, WebError, query_pairs};

/// The municipality of an admin request, if the person's role there allows `action`.
fn municipality(
    lang: Lang,
    session: &SessionRecord,
    id: &str,
    action: Action,
) -> Result<MunicipalityId, WebError> {
    let m = MunicipalityId::parse(id).map_err(|_| {
        WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("unknown_municipality").with("id", id),
        )
    })?;
    if session.user.grants.allows(action, &m) {
        Ok(m)
    } else {
        Err(WebError::forbidden(lang.t("role_too_low")))
    }
}

/// Back to the administration page after a change, which shows at once.
fn back<S: Store>(state: &AppState<S>, lang: Lang, m: &MunicipalityId, notice: &str) -> Response {
    state.invalidate_version();
    redirect(
        &format!("{}/admin/kommun/{m}?klart={notice}", lang.base()),
        &[],
    )
}

/// The administration page of a municipality.
#[derive(Serialize)]
struct AdminView<'a> {
    m: Named,
    csrf: &'a str,
    notice: Option<String>,
    can_measures: bool,
    can_values: bool,
    can_publish: bool,
    can_comment: bool,
    can_invite: bool,
    own: Vec<MeasureLine<'a>>,
    reportable: Vec<MeasureLine<'a>>,
    drafts: Vec<DraftLine<'a>>,
    /// The fingerprint of the drafts shown, which publishing must match.
    drafts_version: String,
    max_upload_mb: String,
    other_path: String,
    /// The introduction as it stands (prefilled) and its earlier versions.
    introduction: Option<IntroductionLine>,
    introduction_history: Vec<IntroductionLine>,
}

/// One version of the municipality's introduction.
#[derive(Serialize)]
struct IntroductionLine {
    body: String,
    body_en: String,
    by: String,
    at: kvalitet_domain::Timestamp,
}

#[derive(Serialize)]
struct MeasureLine<'a> {
    id: &'a str,
    title: &'a str,
}

impl<'a> MeasureLine<'a> {
    fn of(m: &'a kvalitet_domain::Measure) -> Self {
        Self {
            id: m.id.as_str(),
            title: &m.title,
        }
    }
}

/// A draft value waiting to be published.
#[derive(Serialize)]
struct DraftLine<'a> {
    measure: &'a str,
    year: i16,
    gender: &'static str,
    value: String,
    by: &'a str,
    at: kvalitet_domain::Timestamp,
}

pub async fn dashboard<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    let (_, d) = state.directory().await?;
    let grants = &session.user.grants;
    let drafts = own::drafts(&state.store, grants, &m).await?;
    let mut introductions: Vec<IntroductionLine> = if grants.allows(Action::Comment, &m) {
        own::introduction_versions(&state.store, grants, &m)
            .await?
            .into_iter()
            .map(|i| IntroductionLine {
                body: i.body,
                body_en: i.body_en,
                by: i.author,
                at: i.written_at,
            })
            .collect()
    } else {
        Vec::new()
    };
    let introduction = (!introductions.is_empty()).then(|| introductions.remove(0));
    let mut own_measures: Vec<_> = d
        .measures
        .values()
        .filter(|x| x.origin == MeasureOrigin::Own(m))
        .collect();
    own_measures.sort_by_key(|x| x.id);
    let mut reportable: Vec<_> = d
        .measures
        .values()
        .filter(|x| {
            x.origin == MeasureOrigin::Own(m)
                || (x.origin == MeasureOrigin::Kolada && x.id.as_str().starts_with('U'))
        })
        .collect();
    reportable.sort_by_key(|x| (x.origin == MeasureOrigin::Kolada, x.id));
    let notice = query_pairs(raw.as_deref())
        .into_iter()
        .find(|(k, _)| k == "klart")
        .map(|(_, v)| v);
    Ok(render_private(
        &state,
        lang,
        "admin.html",
        AdminView {
            m: Named::of(&d, &m),
            csrf: &session.csrf_token,
            notice,
            can_measures: grants.allows(Action::EditMeasures, &m),
            can_values: grants.allows(Action::EditValues, &m),
            can_publish: grants.allows(Action::Publish, &m),
            can_comment: grants.allows(Action::Comment, &m),
            can_invite: grants.allows(Action::ManageUsers, &m),
            own: own_measures.iter().map(|x| MeasureLine::of(x)).collect(),
            reportable: reportable
                .iter()
                .take(500)
                .map(|x| MeasureLine::of(x))
                .collect(),
            drafts: drafts
                .iter()
                .map(|x| DraftLine {
                    measure: x.row.key.measure.as_str(),
                    year: x.row.key.year.get(),
                    gender: x.row.key.gender.code(),
                    value: match x.row.datum {
                        kvalitet_domain::Datum::Number(v) => lang.number(v, 2),
                        _ => "–".into(),
                    },
                    by: &x.updated_by,
                    at: x.updated_at,
                })
                .collect(),
            drafts_version: own::drafts_version(&drafts),
            max_upload_mb: format!("{:.1}", state.max_upload_bytes as f64 / f64::from(1 << 20)),
            other_path: format!("{}/admin/kommun/{m}", lang.other().base()),
            introduction,
            introduction_history: introductions,
        },
    ))
}

pub async fn define_measure<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<MeasureForm>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    own::define_measure(
        &state.store,
        &session.user.grants,
        &m,
        &change.form,
        &state.actor(session),
    )
    .await?;
    Ok(back(&state, lang, &m, "matt"))
}

/// A value typed into the form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ValueFields {
    measure: String,
    year: String,
    gender: String,
    value: String,
}

pub async fn enter_value<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<ValueFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::EditValues)?;
    let (_, d) = state.directory().await?;
    let measure = d
        .measure(&f.measure)
        .map_err(|_| unknown_measure(&f.measure))?;
    let row = own::form_value(measure, &m, &f.year, &f.gender, &f.value)?;
    own::save_drafts(
        &state.store,
        &session.user.grants,
        &m,
        &[row],
        &state.actor(session),
    )
    .await?;
    Ok(back(&state, lang, &m, "utkast"))
}

pub async fn upload<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    upload: Upload,
) -> Result<Response, WebError> {
    let session = &upload.session;
    let m = municipality(lang, session, &id, Action::EditValues)?;
    let (_, file) = upload.file()?;
    let (_, d) = state.directory().await?;
    let saved = match own::parse_upload(file, &m, &d.measures, state.max_upload_bytes) {
        Ok(rows) => own::save_drafts(
            &state.store,
            &session.user.grants,
            &m,
            &rows,
            &state.actor(session),
        )
        .await
        .map(|()| rows.len()),
        Err(e) => Err(e),
    };
    match saved {
        Ok(n) => Ok(back(&state, lang, &m, &format!("fil-{n}"))),
        Err(OwnError::BadRows(rows)) => {
            let rows = rows.into_iter().take(100).collect::<Vec<_>>();
            Err(WebError::coded(
                StatusCode::BAD_REQUEST,
                Message::new("file_not_saved").with_list("rows", rows),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The publish button's form: the fingerprint of the drafts the page showed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PublishFields {
    drafts: String,
}

pub async fn publish<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<PublishFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::Publish)?;
    let counts = own::publish(
        &state.store,
        &session.user.grants,
        &m,
        &change.form.drafts,
        &state.actor(session),
    )
    .await?;
    Ok(back(
        &state,
        lang,
        &m,
        &format!("publicerat-{}", counts.inserted + counts.updated),
    ))
}

/// A comment on a measure and year.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CommentFields {
    measure: String,
    year: String,
    body: String,
}

pub async fn comment<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<CommentFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::Comment)?;
    let measure = MeasureId::parse(f.measure.trim()).map_err(|_| unknown_measure(&f.measure))?;
    own::comment(
        &state.store,
        &session.user.grants,
        &m,
        &measure,
        &f.year,
        &f.body,
        &state.actor(session),
    )
    .await?;
    Ok(back(&state, lang, &m, "kommentar"))
}

/// A new version of the municipality's introduction.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IntroductionFields {
    body: String,
    body_en: String,
}

pub async fn introduction<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<IntroductionFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::Comment)?;
    own::set_introduction(
        &state.store,
        &session.user.grants,
        &m,
        &f.body,
        &f.body_en,
        &state.actor(session),
    )
    .await?;
    Ok(back(&state, lang, &m, "inledning"))
}

/// An invitation: who, and as what.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InviteFields {
    email: String,
    role: String,
}

pub async fn invite<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<InviteFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = municipality(lang, session, &id, Action::ManageUsers)?;
    let role = Role::parse(&f.role)
        .ok_or_else(|| WebError::invalid(Message::in_field("role", Message::new("choose_role"))))?;
    let token = accounts::invite(
        &state.store,
        &session.user.grants,
        &m,
        &f.email,
        role,
        &state.actor(session),
    )
    .await?;
    let link = format!("{}{}/inbjudan/{token}", state.public_url, lang.base());
    let message = lang.say(
        &Message::new("invitation_link")
            .with("email", &f.email)
            .with("days", accounts::INVITATION_DAYS)
            .with("link", link),
    );
    Ok(message_page(&state, lang, StatusCode::OK, &message))
}

/// A measure id typed into a form that names no measure.
fn unknown_measure(typed: &str) -> WebError {
    WebError::invalid(Message::in_field(
        "measure",
        Message::new("unknown_measure").with("id", format!("{:?}", typed.trim())),
    ))
}
