//! Logging in and out, the account page with its password change, and the audit page of a
//! municipality. Sessions are cookies (HttpOnly, SameSite=Lax, Secure behind https) holding a
//! random token whose hash the database keeps; every form that changes something carries the
//! session's CSRF token, and the login form a double-submit token of its own.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Form, Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use kvalitet_app::Store;
use kvalitet_app::accounts::{self, AccountError};
use kvalitet_app::ports::{Actor, SessionRecord};
use kvalitet_domain::{Action, MunicipalityId};

use crate::WebError;
use crate::i18n::Lang;
use crate::site::html_response;
use crate::{AppState, query_pairs};

/// The address a request came from: the connection's peer, or behind a trusted reverse
/// proxy the last address of `X-Forwarded-For` (the one the proxy itself added). A request
/// with neither (a test calling the router directly) counts as the unspecified address.
pub(crate) struct ClientAddress(pub std::net::IpAddr);

impl<S: Store> axum::extract::FromRequestParts<Arc<AppState<S>>> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Arc<AppState<S>>,
    ) -> Result<Self, Self::Rejection> {
        let forwarded = state
            .trust_forwarded_for
            .then(|| {
                parts
                    .headers
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .next_back()
                    .and_then(|a| a.trim().parse().ok())
            })
            .flatten();
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Self(forwarded.or(peer).unwrap_or(std::net::IpAddr::V4(
            std::net::Ipv4Addr::UNSPECIFIED,
        ))))
    }
}

/// The answer to a login or password check that was held back: 429 with `Retry-After`.
fn held_back(mut r: Response, retry_after_secs: u64) -> Response {
    *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// What a person is told when attempts are held back, the same whether the account exists.
fn held_back_message(lang: Lang, e: &AccountError) -> Option<(String, u64)> {
    match e {
        AccountError::Throttled { retry_after_secs } => {
            let minutes = retry_after_secs.div_ceil(60);
            Some((
                match lang {
                    Lang::Sv => format!(
                        "För många misslyckade försök. Vänta {minutes} min och försök igen."
                    ),
                    Lang::En => {
                        format!("Too many failed attempts. Wait {minutes} min and try again.")
                    }
                },
                *retry_after_secs,
            ))
        }
        AccountError::Busy => Some((
            match lang {
                Lang::Sv => "Många loggar in just nu. Försök igen om en stund.".to_owned(),
                Lang::En => "Many are logging in right now. Try again in a moment.".to_owned(),
            },
            2,
        )),
        _ => None,
    }
}

const SESSION_COOKIE: &str = "kv_session";
const LOGIN_CSRF_COOKIE: &str = "kv_login";

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl<S: Store> AppState<S> {
    /// A password check from `address` under the site's policy.
    fn attempt(&self, address: std::net::IpAddr) -> accounts::Attempt<'_> {
        accounts::Attempt {
            hasher: &self.hasher,
            policy: &self.login_policy,
            address,
        }
    }

    fn cookie_attributes(&self) -> &'static str {
        if self.public_url.starts_with("https://") {
            "; Path=/; HttpOnly; SameSite=Lax; Secure"
        } else {
            "; Path=/; HttpOnly; SameSite=Lax"
        }
    }

    /// The logged-in session of a request, if any.
    pub(crate) async fn current_session(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<SessionRecord>, WebError> {
        match cookie(headers, SESSION_COOKIE) {
            Some(token) => accounts::session(&self.store, token)
                .await
                .map_err(WebError::internal),
            None => Ok(None),
        }
    }
}

/// A page for one person: never cached, never framed.
pub(crate) fn private_page(body: String, status: StatusCode) -> Response {
    let mut r = html_response(body, false);
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Renders a page for one person: never kept by caches.
pub(crate) fn render_private<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    template: &str,
    ctx: serde_json::Value,
) -> Response {
    match state.render(template, lang, ctx) {
        Ok(b) => private_page(b, StatusCode::OK),
        Err(e) => e.into_page(state, lang),
    }
}

/// Who makes a change, and when, for the audit trail.
pub(crate) fn actor(session: &SessionRecord) -> Actor {
    Actor {
        who: session.user.email.clone(),
        at: accounts::now(),
    }
}

/// The page for a refused assessment or service change: 403, 404 or 400 with the reason, or
/// the internal-error page when the store failed.
pub(crate) fn refused<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    e: kvalitet_app::refusal::Refusal,
) -> Response {
    use kvalitet_app::refusal::Refusal;
    let status = match &e {
        Refusal::Forbidden(_) => StatusCode::FORBIDDEN,
        Refusal::NotFound(_) => StatusCode::NOT_FOUND,
        Refusal::Invalid(_) | Refusal::BadRows(_) => StatusCode::BAD_REQUEST,
        Refusal::Store(_) => return WebError::internal(e).into_page(state, lang),
    };
    message_page(state, lang, status, &e.to_string())
}

pub(crate) fn redirect(to: &str, cookies: &[String]) -> Response {
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A short page with a message for one person, titled by its status.
pub(crate) fn message_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    status: StatusCode,
    message: &str,
) -> Response {
    let title = match (lang, status) {
        (Lang::Sv, s) if s.is_success() => "Klart",
        (Lang::En, s) if s.is_success() => "Done",
        (Lang::Sv, StatusCode::FORBIDDEN) => "Åtkomst saknas",
        (Lang::En, StatusCode::FORBIDDEN) => "No access",
        (Lang::Sv, _) => "Det gick inte",
        (Lang::En, _) => "That did not work",
    };
    let body = state
        .render(
            "error.html",
            lang,
            json!({"title": title, "message": message}),
        )
        .unwrap_or_else(|_| message.to_owned());
    private_page(body, status)
}

/// The session of a request that needs one; without one, the answer sends the visitor to log
/// in and come back to `back_to` (a path below the language's base).
pub(crate) async fn require_session<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    headers: &HeaderMap,
    back_to: &str,
) -> Result<SessionRecord, Response> {
    match state.current_session(headers).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(redirect(
            &format!("{}/logga-in?next={}{back_to}", lang.base(), lang.base()),
            &[],
        )),
        Err(e) => Err(e.into_page(state, lang)),
    }
}

/// The text fields and the one file (the field `file`, with its name) of a multipart form
/// whose route accepts at most `limit` bytes of file; a larger one is refused with 413 and
/// the limit, in the person's language.
pub(crate) async fn read_multipart<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    limit: usize,
    mut multipart: Multipart,
) -> Result<(HashMap<String, String>, Option<(String, bytes::Bytes)>), Response> {
    let too_large = || {
        let mb = lang.number(limit as f64 / f64::from(1 << 20), 1);
        let message = match lang {
            Lang::Sv => format!("Filen är för stor. Här tas filer på högst {mb} MB emot."),
            Lang::En => {
                format!("The file is too large. Files of at most {mb} MB are accepted here.")
            }
        };
        message_page(state, lang, StatusCode::PAYLOAD_TOO_LARGE, &message)
    };
    let mut fields = HashMap::new();
    let mut file = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let filename = field.file_name().map(str::to_owned);
                match field.bytes().await {
                    Ok(bytes) if name == "file" => {
                        file = Some((filename.unwrap_or_default(), bytes));
                    }
                    Ok(bytes) => {
                        fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
                    }
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        return Err(too_large());
                    }
                    Err(e) => {
                        return Err(message_page(
                            state,
                            lang,
                            StatusCode::BAD_REQUEST,
                            &format!("the upload broke off: {e}"),
                        ));
                    }
                }
            }
            Ok(None) => return Ok((fields, file)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => {
                return Err(message_page(
                    state,
                    lang,
                    StatusCode::BAD_REQUEST,
                    &format!("not a file upload: {e}"),
                ));
            }
        }
    }
}

/// The session of a system administrator, or the answer that refuses anyone else.
pub(crate) async fn require_system_admin<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    headers: &HeaderMap,
    back_to: &str,
    refusal: &str,
) -> Result<SessionRecord, Response> {
    let session = require_session(state, lang, headers, back_to).await?;
    if session.user.grants.system_admin {
        Ok(session)
    } else {
        Err(message_page(state, lang, StatusCode::FORBIDDEN, refusal))
    }
}

/// The session of a change from a form: logged in (else to the login page, back to
/// `back_to`), and the form's `csrf` field is the session's token (else 403).
pub(crate) async fn require_change<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    headers: &HeaderMap,
    back_to: &str,
    csrf: Option<&str>,
) -> Result<SessionRecord, Response> {
    let session = require_session(state, lang, headers, back_to).await?;
    if csrf_ok(&session, csrf) {
        Ok(session)
    } else {
        Err(message_page(state, lang, StatusCode::FORBIDDEN, "CSRF"))
    }
}

/// A multipart form's text fields, and its one file with the file's name.
pub(crate) type Upload = (HashMap<String, String>, Option<(String, bytes::Bytes)>);

/// The session, fields and file of a change sent as a file upload. The session is checked
/// before anything is read, the CSRF token (a field of the form) after.
pub(crate) async fn require_upload<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    headers: &HeaderMap,
    back_to: &str,
    limit: usize,
    multipart: Multipart,
) -> Result<(SessionRecord, Upload), Response> {
    let session = require_session(state, lang, headers, back_to).await?;
    let (fields, file) = read_multipart(state, lang, limit, multipart).await?;
    if csrf_ok(&session, fields.get("csrf").map(String::as_str)) {
        Ok((session, (fields, file)))
    } else {
        Err(message_page(state, lang, StatusCode::FORBIDDEN, "CSRF"))
    }
}

pub(crate) fn csrf_ok(session: &SessionRecord, sent: Option<&str>) -> bool {
    sent.is_some_and(|t| accounts::same_token(t, &session.csrf_token))
}

/// A path on this site to go to after logging in; anything else goes to the account page.
/// The text is parsed as a browser would resolve it against this site (tabs and newlines
/// removed, backslashes as slashes, dot segments resolved) and kept only when the result is
/// on the same origin; then only its normalised path and query are used.
fn safe_next(lang: Lang, next: Option<&str>) -> String {
    let fallback = || format!("{}/konto", lang.base());
    let Some(next) = next.filter(|n| n.starts_with('/')) else {
        return fallback();
    };
    let Ok(here) = url::Url::parse("http://this.site.invalid/") else {
        return fallback();
    };
    match here.join(next) {
        Ok(u) if u.origin() == here.origin() => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        },
        _ => fallback(),
    }
}

fn login_form<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    status: StatusCode,
    error: Option<String>,
    next: &str,
    email: &str,
) -> Response {
    let token = match accounts::new_token() {
        Ok(t) => t,
        Err(e) => return WebError::internal(e).into_page(state, lang),
    };
    let body = state.render(
        "login.html",
        lang,
        json!({"error": error, "next": next, "email": email, "csrf": token, "other_path": format!("{}/logga-in", lang.other().base())}),
    );
    match body {
        Ok(body) => {
            let mut r = private_page(body, status);
            let c = format!("{LOGIN_CSRF_COOKIE}={token}{}", state.cookie_attributes());
            if let Ok(v) = HeaderValue::from_str(&c) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => e.into_page(state, lang),
    }
}

impl WebError {
    pub(crate) fn into_page<S: Store>(self, state: &AppState<S>, lang: Lang) -> Response {
        message_page(state, lang, self.status, &self.message)
    }
}

pub async fn login_page<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query_pairs(raw.as_deref());
    let next = pairs
        .iter()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.as_str());
    login_form(
        &state,
        lang,
        StatusCode::OK,
        None,
        &safe_next(lang, next),
        "",
    )
}

pub async fn login<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let next = safe_next(lang, form.get("next").map(String::as_str));
    let sent = field("csrf");
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if sent.is_empty() || !accounts::same_token(sent, expected) {
        let message = match lang {
            Lang::Sv => "Formuläret har gått ut. Försök igen.",
            Lang::En => "The form has expired. Please try again.",
        };
        return login_form(
            &state,
            lang,
            StatusCode::FORBIDDEN,
            Some(message.into()),
            &next,
            field("email"),
        );
    }
    match accounts::login(
        &state.store,
        &state.attempt(address),
        field("email"),
        field("password"),
    )
    .await
    {
        Ok(s) => {
            tracing::info!(user = %s.session.user.email, "logged in");
            let session = format!("{SESSION_COOKIE}={}{}", s.token, state.cookie_attributes());
            let clear = format!(
                "{LOGIN_CSRF_COOKIE}=; Max-Age=0{}",
                state.cookie_attributes()
            );
            redirect(&next, &[session, clear])
        }
        Err(AccountError::WrongCredentials) => {
            let message = match lang {
                Lang::Sv => "Fel e-postadress eller lösenord.",
                Lang::En => "Wrong e-mail address or password.",
            };
            login_form(
                &state,
                lang,
                StatusCode::UNAUTHORIZED,
                Some(message.into()),
                &next,
                field("email"),
            )
        }
        Err(e) => match held_back_message(lang, &e) {
            Some((message, retry)) => held_back(
                login_form(
                    &state,
                    lang,
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(message),
                    &next,
                    field("email"),
                ),
                retry,
            ),
            None => WebError::internal(e).into_page(&state, lang),
        },
    }
}

pub async fn logout<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let session = match state.current_session(&headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return redirect(&format!("{}/", lang.base()), &[]),
        Err(e) => return e.into_page(&state, lang),
    };
    if !csrf_ok(&session, form.get("csrf").map(String::as_str)) {
        return message_page(&state, lang, StatusCode::FORBIDDEN, "CSRF");
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = accounts::logout(&state.store, token).await
    {
        return WebError::internal(e).into_page(&state, lang);
    }
    let clear = format!("{SESSION_COOKIE}=; Max-Age=0{}", state.cookie_attributes());
    redirect(&format!("{}/", lang.base()), &[clear])
}

pub async fn account<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let session = match require_session(&state, lang, &headers, "/konto").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (_, d) = match state.directory().await {
        Ok(d) => d,
        Err(e) => return e.into_page(&state, lang),
    };
    let pairs = query_pairs(raw.as_deref());
    let notice = pairs
        .iter()
        .find(|(k, _)| k == "klart")
        .map(|_| match lang {
            Lang::Sv => "Lösenordet är bytt.",
            Lang::En => "The password has been changed.",
        });
    let roles: Vec<_> = session
        .user
        .grants
        .roles
        .iter()
        .map(|(m, r)| json!({"id": m.as_str(), "name": d.name(m), "role": r.code()}))
        .collect();
    let rounds =
        match kvalitet_app::assessments::rounds_as_assessor(&state.store, session.user.id).await {
            Ok(r) => r,
            Err(e) => return WebError::from(e).into_page(&state, lang),
        };
    let rounds: Vec<_> = rounds
        .iter()
        .map(|r| json!({"id": r.id, "title": r.title, "year": r.year.get(), "name": d.name(&r.municipality), "status": r.status.code()}))
        .collect();
    let body = state.render(
        "account.html",
        lang,
        json!({
            "user": {"name": session.user.name, "email": session.user.email, "system_admin": session.user.grants.system_admin},
            "roles": roles,
            "rounds": rounds,
            "csrf": session.csrf_token,
            "notice": notice,
            "error": null,
            "other_path": format!("{}/konto", lang.other().base()),
        }),
    );
    match body {
        Ok(b) => private_page(b, StatusCode::OK),
        Err(e) => e.into_page(&state, lang),
    }
}

pub async fn change_password<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let session = match require_change(
        &state,
        lang,
        &headers,
        "/konto",
        form.get("csrf").map(String::as_str),
    )
    .await
    {
        Ok(s) => s,
        Err(r) => return r,
    };
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let actor = Actor {
        who: session.user.email.clone(),
        at: accounts::now(),
    };
    match accounts::change_password(
        &state.store,
        &state.attempt(address),
        &session.user,
        field("current"),
        field("new"),
        &actor,
    )
    .await
    {
        // A new password ends every session, this one too: log in again.
        Ok(()) => redirect(
            &format!(
                "{}/logga-in?next={}/konto%3Fklart%3D1",
                lang.base(),
                lang.base()
            ),
            &[],
        ),
        Err(AccountError::Invalid(m)) => message_page(&state, lang, StatusCode::BAD_REQUEST, &m),
        Err(AccountError::WrongCredentials) => {
            let message = match lang {
                Lang::Sv => "Det nuvarande lösenordet stämmer inte.",
                Lang::En => "The current password is not right.",
            };
            message_page(&state, lang, StatusCode::BAD_REQUEST, message)
        }
        Err(e) => match held_back_message(lang, &e) {
            Some((message, retry)) => held_back(
                message_page(&state, lang, StatusCode::TOO_MANY_REQUESTS, &message),
                retry,
            ),
            None => WebError::internal(e).into_page(&state, lang),
        },
    }
}

/// The audit trail of one municipality, for its readers, editors and administrators; as a
/// page or, with `?format=csv`, as CSV. `?action=` filters by kind of change.
pub async fn audit<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let session = match require_session(&state, lang, &headers, &format!("/kommun/{id}/logg")).await
    {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(m) = MunicipalityId::parse(&id) else {
        return message_page(&state, lang, StatusCode::NOT_FOUND, "unknown municipality");
    };
    // Authorization on the server, for every request: the session's grants for this municipality.
    if !session.user.grants.allows(Action::ViewAudit, &m) {
        let message = match lang {
            Lang::Sv => "Du har ingen roll i den här kommunen.",
            Lang::En => "You have no role in this municipality.",
        };
        return message_page(&state, lang, StatusCode::FORBIDDEN, message);
    }
    audit_page(&state, lang, &session, Some(m), raw.as_deref()).await
}

/// `GET /admin/logg`: every change, also those of no municipality (national rounds,
/// frameworks, accounts), for system administrators.
pub async fn audit_all<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let session = match require_system_admin(
        &state,
        lang,
        &headers,
        "/admin/logg",
        "only system administrators read the whole audit trail",
    )
    .await
    {
        Ok(s) => s,
        Err(r) => return r,
    };
    audit_page(&state, lang, &session, None, raw.as_deref()).await
}

async fn audit_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: Option<MunicipalityId>,
    raw: Option<&str>,
) -> Response {
    let pairs = query_pairs(raw);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let action = get("action");
    let events =
        match accounts::audit_trail(&state.store, &session.user.grants, m.as_ref(), 10_000).await {
            Ok(e) => e,
            Err(e) => return WebError::from(e).into_page(state, lang),
        };
    let events: Vec<_> = events
        .into_iter()
        .filter(|e| action.as_ref().is_none_or(|a| &e.action == a))
        .collect();
    let (path, scope) = match m {
        Some(m) => (format!("/kommun/{m}/logg"), m.to_string()),
        None => ("/admin/logg".to_owned(), "alla".to_owned()),
    };
    if get("format").as_deref() == Some("csv") {
        let table = crate::downloads::Table {
            title: format!("audit {scope}"),
            header: [
                "id",
                "at",
                "actor",
                "municipality",
                "action",
                "object",
                "before",
                "after",
            ]
            .map(str::to_owned)
            .to_vec(),
            rows: events
                .iter()
                .map(|e| {
                    vec![
                        e.id.to_string(),
                        e.at.clone(),
                        e.actor.clone(),
                        e.municipality.clone().unwrap_or_default(),
                        e.action.clone(),
                        e.object.clone(),
                        e.before.clone().unwrap_or_default(),
                        e.after.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
            numeric: vec![true, false, false, false, false, false, false, false],
        };
        let mut r = crate::downloads::respond(
            crate::downloads::Kind::Csv,
            &table,
            &format!("kvalitet-logg-{scope}"),
            &[],
        );
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return r;
    }
    let (_, d) = match state.directory().await {
        Ok(d) => d,
        Err(e) => return e.into_page(state, lang),
    };
    let name = match (m, lang) {
        (Some(m), _) => d.name(&m).to_owned(),
        (None, Lang::Sv) => "hela systemet".to_owned(),
        (None, Lang::En) => "the whole system".to_owned(),
    };
    render_private(
        state,
        lang,
        "audit.html",
        json!({
            "m": {"name": name},
            "path": path,
            "events": events,
            "action": action,
            "csrf": session.csrf_token,
            "other_path": format!("{}{path}", lang.other().base()),
        }),
    )
}

/// The form that turns an invitation link into an account, or, for an address that has an
/// account, the button with which its logged-in owner accepts.
pub async fn invitation_page<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    invitation_form(&state, lang, &headers, &token, StatusCode::OK, None).await
}

async fn invitation_form<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    headers: &HeaderMap,
    token: &str,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let found = match accounts::invitation(&state.store, token).await {
        Ok(f) => f,
        Err(e) => return WebError::internal(e).into_page(state, lang),
    };
    let Some((email, m, role)) = found else {
        let message = match lang {
            Lang::Sv => "Inbjudan är redan använd, har gått ut eller finns inte. Be om en ny.",
            Lang::En => "The invitation is used, has expired or does not exist. Ask for a new one.",
        };
        return message_page(state, lang, StatusCode::NOT_FOUND, message);
    };
    let (existing, session) = match (
        accounts::has_account(&state.store, &email).await,
        state.current_session(headers).await,
    ) {
        (Ok(e), Ok(s)) => (e, s),
        (Err(e), _) => return WebError::internal(e).into_page(state, lang),
        (_, Err(e)) => return e.into_page(state, lang),
    };
    // An existing account is changed only by its owner: logged in as the invited address,
    // the form carries the session's CSRF token; a new account's form has a token of its own.
    let owner = session.as_ref().filter(|s| s.user.email == email);
    let csrf = match owner {
        Some(s) => s.csrf_token.clone(),
        None => match accounts::new_token() {
            Ok(t) => t,
            Err(e) => return WebError::internal(e).into_page(state, lang),
        },
    };
    let name = match state.directory().await {
        Ok((_, d)) => d.name(&m),
        Err(e) => return e.into_page(state, lang),
    };
    let current_role = owner
        .and_then(|s| s.user.grants.role_in(&m))
        .map(|r| r.code());
    let is_owner = owner.is_some();
    let body = state.render(
        "invitation.html",
        lang,
        json!({"email": email, "municipality": name, "role": role.code(), "token": token, "csrf": csrf, "error": error,
               "existing": existing, "owner": owner.is_some(), "current_role": current_role,
               "logged_in_as": session.as_ref().map(|s| s.user.email.clone()),
               "login_path": format!("{}/logga-in?next={}/inbjudan/{token}", lang.base(), lang.base()),
               "other_path": format!("{}/inbjudan/{token}", lang.other().base())}),
    );
    match body {
        Ok(b) => {
            let mut r = private_page(b, status);
            let c = format!("{LOGIN_CSRF_COOKIE}={csrf}{}", state.cookie_attributes());
            if !is_owner && let Ok(v) = HeaderValue::from_str(&c) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => e.into_page(state, lang),
    }
}

pub async fn accept_invitation<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let accepted = if form.contains_key("as_account") {
        // The owner of an existing account, logged in.
        let session = match require_change(
            &state,
            lang,
            &headers,
            &format!("/inbjudan/{token}"),
            Some(field("csrf")),
        )
        .await
        {
            Ok(s) => s,
            Err(r) => return r,
        };
        accounts::accept_as(&state.store, &token, &session.user).await
    } else {
        let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
        if field("csrf").is_empty() || !accounts::same_token(field("csrf"), expected) {
            return message_page(&state, lang, StatusCode::FORBIDDEN, "CSRF");
        }
        accounts::accept(
            &state.store,
            &state.hasher,
            &token,
            field("name"),
            field("password"),
        )
        .await
    };
    match accepted {
        Ok(email) => {
            state.invalidate_version();
            tracing::info!(user = %email, "invitation accepted");
            let clear = format!(
                "{LOGIN_CSRF_COOKIE}=; Max-Age=0{}",
                state.cookie_attributes()
            );
            let to = if form.contains_key("as_account") {
                format!("{}/konto", lang.base())
            } else {
                format!("{}/logga-in", lang.base())
            };
            redirect(&to, &[clear])
        }
        Err(AccountError::Invalid(m)) => {
            invitation_form(
                &state,
                lang,
                &headers,
                &token,
                StatusCode::BAD_REQUEST,
                Some(m),
            )
            .await
        }
        Err(e) => WebError::internal(e).into_page(&state, lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probe's `next=/%09/evil.example` (a tab, dropped by browsers) and its siblings go
    /// to the account page; local paths keep their query.
    #[test]
    fn only_paths_on_this_site_are_followed_after_login() {
        for evil in [
            "/\t/evil.example",
            "/\n/evil.example",
            "//evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            " /konto",
            "/\r\n/evil.example/x",
        ] {
            assert_eq!(safe_next(Lang::Sv, Some(evil)), "/konto", "{evil:?}");
        }
        assert_eq!(safe_next(Lang::En, None), "/en/konto");
        assert_eq!(
            safe_next(Lang::Sv, Some("/admin/kommun/0180")),
            "/admin/kommun/0180"
        );
        assert_eq!(
            safe_next(Lang::Sv, Some("/konto?klart=1")),
            "/konto?klart=1"
        );
        assert_eq!(safe_next(Lang::Sv, Some("/a/../b")), "/b");
        assert_eq!(
            safe_next(Lang::Sv, Some("/%09/evil.example")),
            "/%09/evil.example",
            "still encoded, it is a path on this site"
        );
    }
}
