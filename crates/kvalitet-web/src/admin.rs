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
use kvalitet_domain::{Action, MeasureOrigin, Message, MunicipalityId, Role};

use crate::auth::{redirect, render_private};
use crate::extract::PageLang;
use crate::extract::{Change, Session, Upload};
use crate::forms::{ConfirmView, Failed, answered, notice_words};
use crate::i18n::Lang;
use crate::site::Named;
use crate::{AppState, WebError, query_pairs};

/// The municipality of an admin request, if the person's role there allows `action`.
pub(crate) fn municipality(
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
    /// The municipality has own measures.
    has_own: bool,
    /// The long lists as rendered HTML (see [`AdminLists`]).
    lists: AdminLists,
    /// How many of the reportable measures the picker shows, when not all.
    picker_note: Option<String>,
    /// The search that narrowed the picker.
    search: String,
    drafts: Vec<DraftLine<'a>>,
    /// The fingerprint of the drafts, which publishing must match.
    drafts_version: String,
    /// "The first 200 of 100,000 drafts" when not all are listed.
    drafts_note: Option<String>,
    max_upload_mb: String,
    other_path: String,
    /// The introduction as it stands (prefilled) and its earlier versions.
    introduction: Option<IntroductionLine>,
    introduction_history: Vec<IntroductionLine>,
    invitation: Option<InvitationNotice>,
    /// A form sent back with its problems.
    failed: Option<Failed>,
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
    retired: bool,
}

/// The administration page's long lists — the own measures as links and as the retire
/// form's options, and the pickers' measures — rendered once per data version, language and
/// municipality and kept: they are the same for everyone and most of the page's work (250
/// own measures make 750 rows). A search's picker is rendered each time.
#[derive(Serialize)]
struct AdminLists {
    own_links: String,
    own_options: String,
    picker_options: String,
}

#[derive(Serialize)]
struct ListPart<'a> {
    part: &'static str,
    m: &'a str,
    own: &'a [MeasureLine<'a>],
    pickable: &'a [MeasureLine<'a>],
}

impl AdminLists {
    fn of<'a, S: Store>(
        state: &AppState<S>,
        lang: Lang,
        version: i64,
        m: &MunicipalityId,
        cacheable: bool,
        own: &[MeasureLine<'a>],
        pickable: impl FnOnce() -> Vec<MeasureLine<'a>>,
    ) -> Result<Self, WebError> {
        let key = |part: &str| format!("admin-lists:{part}:{m}:{}", lang.code());
        let cached = |part: &str| {
            cacheable
                .then(|| state.pages.get(version, &key(part)))
                .flatten()
                .and_then(|page| String::from_utf8(page.body.to_vec()).ok())
        };
        let render = |part: &'static str, own: &[MeasureLine<'_>], pickable: &[MeasureLine<'_>]| {
            let html = state.render(
                "admin-lists.html",
                lang,
                ListPart {
                    part,
                    m: m.as_str(),
                    own,
                    pickable,
                },
            )?;
            if cacheable {
                let page = crate::cache::Page {
                    body: bytes::Bytes::from(html.clone()),
                    gzip: None,
                };
                state.pages.put(version, key(part), page);
            }
            Ok::<_, WebError>(html)
        };
        let own_links = match cached("own") {
            Some(html) => html,
            None => render("own", own, &[])?,
        };
        let own_options = match cached("retire") {
            Some(html) => html,
            None => render("retire", own, &[])?,
        };
        let picker_options = match cached("picker") {
            Some(html) => html,
            None => render("picker", &[], &pickable())?,
        };
        Ok(Self {
            own_links,
            own_options,
            picker_options,
        })
    }
}

impl<'a> MeasureLine<'a> {
    fn of(m: &'a kvalitet_domain::Measure) -> Self {
        Self {
            id: m.id.as_str(),
            title: &m.title,
            retired: m.retired,
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
    /// The value residents see now, which publishing the draft replaces.
    published: Option<String>,
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
    let pairs = query_pairs(raw.as_deref());
    let notice = pairs
        .iter()
        .find(|(k, _)| k == "klart")
        .and_then(|(_, v)| notice_words(lang, v));
    let search = pairs
        .into_iter()
        .find(|(k, _)| k == "sok")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let page = AdminPage {
        notice,
        search,
        ..AdminPage::default()
    };
    admin_page(&state, lang, &session, m, page).await
}

/// What one showing of the administration page adds to its data: a notice of the change
/// just made, a search among the measures to report, or a form sent back.
#[derive(Default)]
struct AdminPage {
    notice: Option<String>,
    search: Option<String>,
    failed: Option<Failed>,
    invitation: Option<InvitationNotice>,
}

/// An invitation just made: the link to send, shown once (only its hash is kept).
#[derive(Serialize)]
pub(crate) struct InvitationNotice {
    pub(crate) text: String,
    pub(crate) link: String,
}

/// Queues e-mail about a change already made; a failure is logged and reported as `false`
/// (the page then shows the link to pass on by hand), never undoing the change.
pub(crate) async fn queue_logged<S: Store>(
    store: &S,
    mails: &[kvalitet_app::ports::Mail],
    at: kvalitet_domain::Timestamp,
) -> bool {
    match kvalitet_app::mail::queue(store, mails, at).await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(error = %e, "e-mail not queued");
            false
        }
    }
}

/// How many measures the value form offers at once; a search finds the others.
const PICKER_MAX: usize = 500;

/// How many drafts the page lists (a 100,000-row upload would make a page of tens of
/// megabytes); the confirmation before publishing counts them all.
const DRAFTS_SHOWN: usize = 200;

/// After a form's use case: back to the page with the notice it saved under, or, when what
/// was typed was wrong, the page again with form `form` as typed and its problems (at most
/// 100, for a file).
async fn form_answer<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: MunicipalityId,
    form: &'static str,
    typed: &impl Serialize,
    saved: Result<String, OwnError>,
) -> Result<Response, WebError> {
    match saved {
        Ok(notice) => Ok(back(state, lang, &m, &notice)),
        Err(e) => {
            let mut problems = typed_wrong(e)?;
            problems.truncate(100);
            let failed = Failed::new(lang, form, typed, &problems);
            let page = AdminPage {
                failed: Some(failed),
                ..AdminPage::default()
            };
            admin_page(state, lang, session, m, page).await
        }
    }
}

/// The problems a form's use case found with what was typed; any other refusal stays one.
fn typed_wrong(e: OwnError) -> Result<Vec<Message>, WebError> {
    match e {
        OwnError::Invalid(problem) => Ok(vec![problem]),
        OwnError::BadRows(problems) => Ok(problems),
        other => Err(other.into()),
    }
}

/// The administration page, with what `page` adds.
async fn admin_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: MunicipalityId,
    page: AdminPage,
) -> Result<Response, WebError> {
    let AdminPage {
        notice,
        search,
        failed,
        invitation,
    } = page;
    let (version, d) = state.directory().await?;
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
            !x.retired
                && (x.origin == MeasureOrigin::Own(m)
                    || (x.origin == MeasureOrigin::Kolada && x.id.as_str().starts_with('U')))
        })
        .collect();
    reportable.sort_by_key(|x| (x.origin == MeasureOrigin::Kolada, x.id));
    let reportable_total = reportable.len();
    let key = search.as_deref().map(kvalitet_domain::swedish::search_key);
    let wanted = |x: &&kvalitet_domain::Measure| {
        key.as_ref().is_none_or(|key| {
            kvalitet_domain::swedish::search_key(&format!("{} {}", x.id, x.title)).contains(key)
        })
    };
    reportable.retain(wanted);
    let reportable_found = reportable.len();
    // A comment can be written on any measure the municipality's pages show.
    let mut commentable: Vec<&kvalitet_domain::Measure> = d
        .set(None)
        .map(|set| {
            set.areas
                .iter()
                .flat_map(|a| &a.items)
                .filter_map(|i| d.measures.get(&i.measure))
                .collect()
        })
        .unwrap_or_default();
    commentable.extend(own_measures.iter().copied());
    commentable.retain(wanted);
    // One list for both forms' pickers: what may be reported (at most PICKER_MAX, narrowed
    // by a search), then what the pages show that may be commented on.
    let pickable = || -> Vec<MeasureLine<'_>> {
        let mut seen = std::collections::HashSet::new();
        reportable
            .iter()
            .take(PICKER_MAX)
            .chain(commentable.iter())
            .filter(|x| seen.insert(x.id))
            .map(|x| MeasureLine::of(x))
            .collect()
    };
    let own_lines: Vec<MeasureLine<'_>> = own_measures.iter().map(|x| MeasureLine::of(x)).collect();
    let lists = AdminLists::of(
        state,
        lang,
        version.data,
        &m,
        search.is_none(),
        &own_lines,
        pickable,
    )?;
    let sent_back = failed.is_some();
    let page = render_private(
        state,
        lang,
        session,
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
            has_own: !own_measures.is_empty(),
            lists,
            picker_note: (search.is_some() || reportable_found > PICKER_MAX).then(|| {
                lang.say(
                    &Message::new("picker_shown")
                        .with("shown", reportable_found.min(PICKER_MAX))
                        .with("found", reportable_found)
                        .with("total", reportable_total),
                )
            }),
            search: search.clone().unwrap_or_default(),
            drafts: drafts
                .iter()
                .take(DRAFTS_SHOWN)
                .map(|x| {
                    // With the measure's own decimals, as residents will see it ("71", not
                    // "71,00"); a reason for no value in words.
                    let shown = |datum: kvalitet_domain::Datum| match datum {
                        kvalitet_domain::Datum::Number(v) => lang.number(
                            v,
                            d.measures
                                .get(&x.row.key.measure)
                                .map_or(2, |measure| d.presentation(measure).decimals),
                        ),
                        kvalitet_domain::Datum::Missing(status) => {
                            lang.missing(Some(status)).to_owned()
                        }
                        kvalitet_domain::Datum::Deleted => "–".into(),
                    };
                    DraftLine {
                        measure: x.row.key.measure.as_str(),
                        year: x.row.key.year.get(),
                        gender: x.row.key.gender.code(),
                        value: shown(x.row.datum),
                        published: x.published.map(shown),
                        by: &x.updated_by,
                        at: x.updated_at,
                    }
                })
                .collect(),
            drafts_version: own::drafts_version(&drafts),
            drafts_note: (drafts.len() > DRAFTS_SHOWN).then(|| {
                lang.say(
                    &Message::new("drafts_shown")
                        .with("shown", DRAFTS_SHOWN)
                        .with("total", drafts.len()),
                )
            }),
            max_upload_mb: format!("{:.1}", state.max_upload_bytes as f64 / f64::from(1 << 20)),
            other_path: format!("{}/admin/kommun/{m}", lang.other().base()),
            introduction,
            introduction_history: introductions,
            invitation,
            failed,
        },
    );
    Ok(answered(page, sent_back))
}

pub async fn define_measure<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<MeasureForm>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let saved = own::define_measure(
        &state.store,
        &session.user.grants,
        &m,
        &change.form,
        &state.actor(session),
    )
    .await;
    form_answer(
        &state,
        lang,
        session,
        m,
        "m",
        &change.form,
        saved.map(|_| "matt".to_owned()),
    )
    .await
}

/// A value typed into the form.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct ValueFields {
    measure: String,
    year: String,
    gender: String,
    value: String,
    /// Why the value corrects a published one, if it does.
    reason: String,
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
    let saved = match d.measure(&f.measure) {
        Err(_) => Err(OwnError::Invalid(unknown_measure(&f.measure))),
        Ok(measure) => match own::form_value(measure, &m, &f.year, &f.gender, &f.value) {
            Ok(row) => {
                own::save_drafts(
                    &state.store,
                    &session.user.grants,
                    &m,
                    &[row],
                    &f.reason,
                    &state.actor(session),
                )
                .await
            }
            Err(e) => Err(e),
        },
    };
    form_answer(
        &state,
        lang,
        session,
        m,
        "v",
        f,
        saved.map(|()| "utkast".to_owned()),
    )
    .await
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
    let previewed = match own::parse_upload(file, &m, &d.measures, state.max_upload_bytes) {
        Ok(rows) => {
            own::preview_upload(
                &state.store,
                &session.user.grants,
                &m,
                session.user.id,
                &rows,
                state.clock.now(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match previewed {
        Ok(preview) => {
            let view = preview_view(lang, session, &m, &d, &preview);
            Ok(render_private(
                &state,
                lang,
                session,
                "upload-preview.html",
                view,
            ))
        }
        Err(e) => {
            form_answer(
                &state,
                lang,
                session,
                m,
                "u",
                &serde_json::json!({}),
                Err(e),
            )
            .await
        }
    }
}

/// How many rows of each kind the preview lists (the counts are always whole).
const PREVIEW_ROWS: usize = 200;

/// An upload's preview: what saving would make drafts of, against what is published.
#[derive(Serialize)]
struct PreviewView<'a> {
    m: String,
    name: String,
    summary: String,
    changed: Vec<PreviewLine>,
    new: Vec<PreviewLine>,
    more: Option<String>,
    to_save: usize,
    save_label: String,
    token: String,
    csrf: &'a str,
    other_path: String,
}

#[derive(Serialize)]
struct PreviewLine {
    measure: String,
    title: String,
    year: i16,
    gender: &'static str,
    value: String,
    published: Option<String>,
}

fn preview_view<'a>(
    lang: Lang,
    session: &'a SessionRecord,
    m: &MunicipalityId,
    d: &kvalitet_app::report::Directory,
    p: &own::UploadPreview,
) -> PreviewView<'a> {
    let shown = |row: &kvalitet_domain::ValueRow, datum: kvalitet_domain::Datum| match datum {
        kvalitet_domain::Datum::Number(v) => lang.number(
            v,
            d.measures
                .get(&row.key.measure)
                .map_or(2, |measure| d.presentation(measure).decimals),
        ),
        kvalitet_domain::Datum::Missing(status) => lang.missing(Some(status)).to_owned(),
        kvalitet_domain::Datum::Deleted => "–".into(),
    };
    let line =
        |row: &kvalitet_domain::ValueRow, published: Option<kvalitet_domain::Datum>| PreviewLine {
            measure: row.key.measure.to_string(),
            title: d
                .measures
                .get(&row.key.measure)
                .map(|x| x.title.clone())
                .unwrap_or_default(),
            year: row.key.year.get(),
            gender: lang.t(&format!("g_{}", row.key.gender.code())),
            value: shown(row, row.datum),
            published: published.map(|old| shown(row, old)),
        };
    let hidden =
        p.changed.len().saturating_sub(PREVIEW_ROWS) + p.new.len().saturating_sub(PREVIEW_ROWS);
    PreviewView {
        m: m.to_string(),
        name: d.name(m),
        summary: lang.say(
            &Message::new("preview_summary")
                .with("new", p.new.len())
                .with("changed", p.changed.len())
                .with("unchanged", p.unchanged),
        ),
        changed: p
            .changed
            .iter()
            .take(PREVIEW_ROWS)
            .map(|(row, old)| line(row, Some(*old)))
            .collect(),
        new: p
            .new
            .iter()
            .take(PREVIEW_ROWS)
            .map(|row| line(row, None))
            .collect(),
        more: (hidden > 0).then(|| lang.say(&Message::new("preview_more").with("n", hidden))),
        to_save: p.to_save(),
        save_label: lang.say(&Message::new("preview_save").with("n", p.to_save())),
        token: p.token.clone(),
        csrf: &session.csrf_token,
        other_path: format!("{}/admin/kommun/{m}", lang.other().base()),
    }
}

/// The save button of an upload's preview.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PreviewFields {
    preview: String,
    /// Why the file changes published values, if it does.
    reason: String,
}

/// `POST /admin/kommun/{id}/fil/spara`: saves a previewed upload's new and changed values
/// as drafts, all or none.
pub async fn save_upload<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<PreviewFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::EditValues)?;
    let n = own::save_preview(
        &state.store,
        &session.user.grants,
        &m,
        session.user.id,
        &change.form.preview,
        &change.form.reason,
        &state.actor(session),
    )
    .await?;
    Ok(back(&state, lang, &m, &format!("fil-{n}")))
}

/// The publish button's form: the fingerprint of the drafts the page showed, and
/// `confirmed=1` once the person has seen the confirmation page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PublishFields {
    drafts: String,
    confirmed: String,
}

/// `GET /admin/kommun/{id}/publicera`: what publishing the drafts makes public and which of
/// them replace a published value, with the button that publishes.
pub async fn confirm_publish<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::Publish)?;
    let drafts = own::drafts(&state.store, &session.user.grants, &m).await?;
    if drafts.is_empty() {
        return Ok(back(&state, lang, &m, "inga-utkast"));
    }
    let (_, d) = state.directory().await?;
    let mut view = ConfirmView::of(lang, &own::publish_check(&drafts), &session.csrf_token);
    view.what = lang.say(&Message::new("drafts_of").with("name", d.name(&m)));
    view.action = format!("{}/admin/kommun/{m}/publicera", lang.base());
    view.hidden = vec![("drafts", own::drafts_version(&drafts))];
    view.back = format!("{}/admin/kommun/{m}#drafts-h", lang.base());
    view.other_path = format!("{}/admin/kommun/{m}/publicera", lang.other().base());
    Ok(render_private(&state, lang, &session, "confirm.html", view))
}

/// `POST /admin/kommun/{id}/publicera`: publishes the drafts the confirmation page showed;
/// without `confirmed=1`, to that page.
pub async fn publish<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<PublishFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::Publish)?;
    if change.form.confirmed != "1" {
        return Ok(redirect(
            &format!("{}/admin/kommun/{m}/publicera", lang.base()),
            &[],
        ));
    }
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

/// `POST /admin/kommun/{id}/matt/avsluta`: retires an own measure (`retired=1`) or takes
/// it up again (`retired=0`).
pub async fn retire_measure<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<RetireFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::EditMeasures)?;
    let retired = change.form.retired == "1";
    own::set_retired(
        &state.store,
        &session.user.grants,
        &m,
        &change.form.measure,
        retired,
        &state.actor(session),
    )
    .await?;
    Ok(back(
        &state,
        lang,
        &m,
        if retired {
            "pensionerat"
        } else {
            "aterupptaget"
        },
    ))
}

/// Which own measure to retire or take up again.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RetireFields {
    measure: String,
    retired: String,
}

/// `GET /admin/kommun/{id}/mall/{file}`: the values upload's template (`varden.csv` or
/// `varden.xlsx`): its columns, and a row per own measure still in use for last year, its
/// value left for the person to fill in.
pub async fn template<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::EditValues)?;
    let kind = match file.as_str() {
        "varden.csv" => crate::downloads::Kind::ExcelCsv,
        "varden.xlsx" => crate::downloads::Kind::Xlsx,
        _ => return Err(WebError::not_found(lang.t("page_missing"))),
    };
    let (_, d) = state.directory().await?;
    let last_year = state.actor(&session).at.in_sweden().year() - 1;
    let mut own: Vec<_> = d
        .measures
        .values()
        .filter(|x| x.origin == MeasureOrigin::Own(m) && !x.retired)
        .collect();
    own.sort_by_key(|x| x.id);
    let table = crate::downloads::Table {
        title: lang.say(&Message::new("template_title").with("name", d.name(&m))),
        header: ["kpi", "year", "value", "gender"]
            .map(str::to_owned)
            .to_vec(),
        rows: own
            .iter()
            .map(|x| {
                vec![
                    x.id.to_string(),
                    last_year.to_string(),
                    String::new(),
                    "T".to_owned(),
                ]
            })
            .collect(),
        numeric: vec![false, true, true, false],
    };
    Ok(crate::downloads::respond(
        kind,
        &table,
        &format!("kvalitet-mall-varden-{m}"),
        &[],
    ))
}

/// `POST /admin/kommun/{id}/utkast/ta-bort`: takes back one draft (measure, year, gender).
pub async fn remove_draft<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<DraftKeyFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::EditValues)?;
    let f = &change.form;
    let bad = |field: &str| {
        WebError::invalid(Message::in_field(field, Message::new("no_such_draft_key")))
    };
    let key = kvalitet_domain::ValueKey {
        measure: kvalitet_domain::MeasureId::parse(&f.measure).map_err(|_| bad("measure"))?,
        area: kvalitet_domain::AreaId::Municipality(m),
        year: f
            .year
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|y| kvalitet_domain::Year::new(y).ok())
            .ok_or_else(|| bad("year"))?,
        gender: kvalitet_domain::Gender::parse(&f.gender).map_err(|_| bad("gender"))?,
    };
    own::remove_draft(
        &state.store,
        &session.user.grants,
        &m,
        &key,
        &state.actor(session),
    )
    .await?;
    Ok(back(&state, lang, &m, "borttaget"))
}

/// Which draft a remove button takes back.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DraftKeyFields {
    measure: String,
    year: String,
    gender: String,
}

/// A comment on a measure and year.
#[derive(Deserialize, Serialize, Default)]
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
    let (_, d) = state.directory().await?;
    let saved = own::comment(
        &state.store,
        &session.user.grants,
        &m,
        &d.measures,
        &f.measure,
        &f.year,
        &f.body,
        &state.actor(session),
    )
    .await;
    form_answer(
        &state,
        lang,
        session,
        m,
        "c",
        f,
        saved.map(|()| "kommentar".to_owned()),
    )
    .await
}

/// A new version of the municipality's introduction.
#[derive(Deserialize, Serialize, Default)]
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
    let saved = own::set_introduction(
        &state.store,
        &session.user.grants,
        &m,
        &f.body,
        &f.body_en,
        &state.actor(session),
    )
    .await;
    form_answer(
        &state,
        lang,
        session,
        m,
        "i",
        f,
        saved.map(|()| "inledning".to_owned()),
    )
    .await
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
    let (_, d) = state.directory().await?;
    let email = f.email.trim().to_lowercase();
    let mailed = state.mail
        && queue_logged(
            &state.store,
            &[kvalitet_app::mail::invitation_mail(
                &email,
                &link,
                &d.name(&m),
                role,
            )],
            state.clock.now(),
        )
        .await;
    let page = AdminPage {
        invitation: Some(InvitationNotice {
            text: lang.say(
                &Message::new(if mailed {
                    "invitation_mailed"
                } else {
                    "invitation_made"
                })
                .with("email", &email)
                .with("days", accounts::INVITATION_DAYS),
            ),
            link,
        }),
        ..AdminPage::default()
    };
    admin_page(&state, lang, session, m, page).await
}

/// A measure id typed into a form that names no measure.
fn unknown_measure(typed: &str) -> Message {
    Message::in_field(
        "measure",
        Message::new("unknown_measure").with("id", format!("{:?}", typed.trim())),
    )
}
