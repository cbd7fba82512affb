//! The municipality's administration page: own measures, values entered by form or uploaded
//! as CSV (saved as drafts, all rows or none), publishing, and comments. Every request is
//! checked on the server: a session, the CSRF token on every change, and the person's role
//! in this municipality (again inside each use case).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Form, Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use kvalitet_app::Store;
use kvalitet_app::accounts;
use kvalitet_app::own::{self, MeasureForm, OwnError};
use kvalitet_app::ports::SessionRecord;
use kvalitet_domain::{Action, MeasureOrigin, MunicipalityId};

use crate::auth::{
    actor, csrf_ok, message_page, read_multipart, redirect, render_private, require_session,
};
use crate::i18n::Lang;
use crate::{AppState, query_pairs};

/// The session and municipality of an admin request, or the answer that refuses it: no
/// session, an unknown municipality, a role that does not allow `action`, or (for a change)
/// a form without the session's CSRF token.
async fn gate<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    headers: &HeaderMap,
    id: &str,
    action: Action,
    change: Option<Option<&str>>,
) -> Result<(SessionRecord, MunicipalityId), Response> {
    let session = require_session(state, lang, headers, &format!("/admin/kommun/{id}")).await?;
    let m = MunicipalityId::parse(id)
        .map_err(|_| message_page(state, lang, StatusCode::NOT_FOUND, "unknown municipality"))?;
    if !session.user.grants.allows(action, &m) {
        let message = match lang {
            Lang::Sv => "Din roll i den här kommunen räcker inte för det här.",
            Lang::En => "Your role in this municipality does not allow this.",
        };
        return Err(message_page(state, lang, StatusCode::FORBIDDEN, message));
    }
    if let Some(sent) = change
        && !csrf_ok(&session, sent)
    {
        return Err(message_page(state, lang, StatusCode::FORBIDDEN, "CSRF"));
    }
    Ok((session, m))
}

/// Back to the administration page after a change, which shows at once.
fn back<S: Store>(state: &AppState<S>, lang: Lang, m: &MunicipalityId, notice: &str) -> Response {
    state.invalidate_version();
    redirect(
        &format!("{}/admin/kommun/{m}?klart={notice}", lang.base()),
        &[],
    )
}

fn refused<S: Store>(state: &AppState<S>, lang: Lang, e: OwnError) -> Response {
    match e {
        OwnError::Forbidden(_) => message_page(state, lang, StatusCode::FORBIDDEN, &e.to_string()),
        OwnError::Conflict(_) => message_page(state, lang, StatusCode::CONFLICT, &e.to_string()),
        OwnError::Store(kvalitet_app::StoreError::Database(_)) => {
            crate::site::SiteError::internal(e).into_page(state, lang)
        }
        e => message_page(state, lang, StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

pub async fn dashboard<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (session, m) = match gate(&state, lang, &headers, &id, Action::ViewDrafts, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (_, d) = match state.directory().await {
        Ok(d) => d,
        Err(e) => return e.into_page(&state, lang),
    };
    let drafts = match state.store.drafts(&m).await {
        Ok(x) => x,
        Err(e) => return crate::site::SiteError::internal(e).into_page(&state, lang),
    };
    let mut own: Vec<_> = d
        .measures
        .values()
        .filter(|x| x.origin == MeasureOrigin::Own(m))
        .collect();
    own.sort_by_key(|x| x.id);
    let mut reportable: Vec<_> = d
        .measures
        .values()
        .filter(|x| {
            x.origin == MeasureOrigin::Own(m)
                || (x.origin == MeasureOrigin::Kolada && x.id.as_str().starts_with('U'))
        })
        .collect();
    reportable.sort_by_key(|x| (x.origin == MeasureOrigin::Kolada, x.id));
    let grants = &session.user.grants;
    let notice = query_pairs(raw.as_deref())
        .into_iter()
        .find(|(k, _)| k == "klart")
        .map(|(_, v)| v);
    render_private(
        &state,
        lang,
        "admin.html",
        json!({
            "m": {"id": m.as_str(), "name": d.name(&m)},
            "csrf": session.csrf_token,
            "notice": notice,
            "can_measures": grants.allows(Action::EditMeasures, &m),
            "can_values": grants.allows(Action::EditValues, &m),
            "can_publish": grants.allows(Action::Publish, &m),
            "can_comment": grants.allows(Action::Comment, &m),
            "can_invite": grants.allows(Action::ManageUsers, &m),
            "own": own.iter().map(|x| json!({"id": x.id.as_str(), "title": x.title})).collect::<Vec<_>>(),
            "reportable": reportable.iter().take(500).map(|x| json!({"id": x.id.as_str(), "title": x.title})).collect::<Vec<_>>(),
            "drafts": drafts.iter().map(|x| json!({
                "measure": x.row.key.measure.as_str(),
                "year": x.row.key.year.get(),
                "gender": x.row.key.gender.code(),
                "value": match x.row.datum { kvalitet_domain::Datum::Number(v) => lang.number(v, 2), _ => "–".into() },
                "by": x.updated_by,
                "at": x.updated_at,
            })).collect::<Vec<_>>(),
            "drafts_version": own::drafts_version(&drafts),
            "max_upload_mb": format!("{:.1}", state.max_upload_bytes as f64 / f64::from(1 << 20)),
            "other_path": format!("{}/admin/kommun/{m}", lang.other().base()),
        }),
    )
}

pub async fn define_measure<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (session, m) = match gate(
        &state,
        lang,
        &headers,
        &id,
        Action::EditMeasures,
        Some(form.get("csrf").map(String::as_str)),
    )
    .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = |k: &str| form.get(k).cloned().unwrap_or_default();
    let measure = MeasureForm {
        id: f("id"),
        title: f("title"),
        question: f("question"),
        unit: f("unit"),
        direction: f("direction"),
        decimals: f("decimals"),
        definition: f("definition"),
    };
    match own::define_measure(
        &state.store,
        &session.user.grants,
        &m,
        &measure,
        &actor(&session),
    )
    .await
    {
        Ok(_) => back(&state, lang, &m, "matt"),
        Err(e) => refused(&state, lang, e),
    }
}

pub async fn enter_value<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (session, m) = match gate(
        &state,
        lang,
        &headers,
        &id,
        Action::EditValues,
        Some(form.get("csrf").map(String::as_str)),
    )
    .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = |k: &str| form.get(k).cloned().unwrap_or_default();
    let (_, d) = match state.directory().await {
        Ok(d) => d,
        Err(e) => return e.into_page(&state, lang),
    };
    let Ok(measure) = d.measure(&f("measure")) else {
        return message_page(&state, lang, StatusCode::BAD_REQUEST, "unknown measure");
    };
    let saved = match own::form_value(measure, &m, &f("year"), &f("gender"), &f("value")) {
        Ok(row) => {
            own::save_drafts(
                &state.store,
                &session.user.grants,
                &m,
                &[row],
                &actor(&session),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => back(&state, lang, &m, "utkast"),
        Err(e) => refused(&state, lang, e),
    }
}

pub async fn upload<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Response {
    let (session, m) = match gate(&state, lang, &headers, &id, Action::EditValues, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (fields, file) = match read_multipart(&state, lang, state.max_upload_bytes, multipart).await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let csrf = fields.get("csrf");
    if !csrf_ok(&session, csrf.map(String::as_str)) {
        return message_page(&state, lang, StatusCode::FORBIDDEN, "CSRF");
    }
    let Some((_, file)) = file else {
        return message_page(&state, lang, StatusCode::BAD_REQUEST, "no file was sent");
    };
    let (_, d) = match state.directory().await {
        Ok(d) => d,
        Err(e) => return e.into_page(&state, lang),
    };
    let result = match own::parse_upload(&file, &m, &d.measures, state.max_upload_bytes) {
        Ok(rows) => own::save_drafts(
            &state.store,
            &session.user.grants,
            &m,
            &rows,
            &actor(&session),
        )
        .await
        .map(|()| rows.len()),
        Err(e) => Err(e),
    };
    match result {
        Ok(n) => back(&state, lang, &m, &format!("fil-{n}")),
        Err(OwnError::BadRows(rows)) => {
            let mut message = match lang {
                Lang::Sv => String::from("Filen sparades inte. Rätta raderna och försök igen: "),
                Lang::En => {
                    String::from("The file was not saved. Correct the rows and try again: ")
                }
            };
            message.push_str(&rows.into_iter().take(100).collect::<Vec<_>>().join("; "));
            message_page(&state, lang, StatusCode::BAD_REQUEST, &message)
        }
        Err(e) => refused(&state, lang, e),
    }
}

pub async fn publish<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (session, m) = match gate(
        &state,
        lang,
        &headers,
        &id,
        Action::Publish,
        Some(form.get("csrf").map(String::as_str)),
    )
    .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let shown = form.get("drafts").map(String::as_str).unwrap_or_default();
    match own::publish(
        &state.store,
        &session.user.grants,
        &m,
        shown,
        &actor(&session),
    )
    .await
    {
        Ok(c) => back(
            &state,
            lang,
            &m,
            &format!("publicerat-{}", c.inserted + c.updated),
        ),
        Err(e) => refused(&state, lang, e),
    }
}

pub async fn comment<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (session, m) = match gate(
        &state,
        lang,
        &headers,
        &id,
        Action::Comment,
        Some(form.get("csrf").map(String::as_str)),
    )
    .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = |k: &str| form.get(k).cloned().unwrap_or_default();
    let Ok(measure) = kvalitet_domain::MeasureId::parse(f("measure").trim()) else {
        return message_page(&state, lang, StatusCode::BAD_REQUEST, "unknown measure");
    };
    match own::comment(
        &state.store,
        &session.user.grants,
        &m,
        &measure,
        &f("year"),
        &f("body"),
        &actor(&session),
    )
    .await
    {
        Ok(()) => back(&state, lang, &m, "kommentar"),
        Err(e) => refused(&state, lang, e),
    }
}

pub async fn invite<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (session, m) = match gate(
        &state,
        lang,
        &headers,
        &id,
        Action::ManageUsers,
        Some(form.get("csrf").map(String::as_str)),
    )
    .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let Some(role) = kvalitet_domain::Role::parse(f("role")) else {
        return message_page(
            &state,
            lang,
            StatusCode::BAD_REQUEST,
            "role: reader, editor or admin",
        );
    };
    match accounts::invite(
        &state.store,
        &session.user.grants,
        &m,
        f("email"),
        role,
        &actor(&session),
    )
    .await
    {
        Ok(token) => {
            let link = format!("{}{}/inbjudan/{token}", state.public_url, lang.base());
            let message = match lang {
                Lang::Sv => format!(
                    "Skicka den här länken till {} (den visas bara nu och gäller i {} dagar): {link}",
                    f("email"),
                    accounts::INVITATION_DAYS
                ),
                Lang::En => format!(
                    "Send this link to {} (it is shown only now and works for {} days): {link}",
                    f("email"),
                    accounts::INVITATION_DAYS
                ),
            };
            message_page(&state, lang, StatusCode::OK, &message)
        }
        Err(accounts::AccountError::Invalid(e)) => {
            message_page(&state, lang, StatusCode::BAD_REQUEST, &e)
        }
        Err(e) => crate::site::SiteError::internal(e).into_page(&state, lang),
    }
}
