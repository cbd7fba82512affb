//! Logging in and out, the account page with its password change, and the audit page of a
//! municipality. Sessions are cookies (HttpOnly, SameSite=Lax, Secure behind https) holding a
//! random token whose hash the database keeps; every form that changes something carries the
//! session's CSRF token, and the login form a double-submit token of its own.

use std::sync::Arc;

use axum::extract::{Form, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use kvalitet_app::Store;
use kvalitet_app::accounts::{self, AccountError};
use kvalitet_app::ports::{Actor, SessionRecord};
use kvalitet_domain::{Action, Message, MunicipalityId};

use crate::WebError;
use crate::extract::PageLang;
use crate::extract::{Change, Session};
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

/// What a person is told when attempts are held back (the same whether the account
/// exists), with when to try again; `None` for other failures.
fn held_back(lang: Lang, e: &AccountError) -> Option<WebError> {
    match e {
        AccountError::Throttled { retry_after_secs } => {
            let minutes = retry_after_secs.div_ceil(60);
            let message = Message::new("too_many_attempts").with("minutes", minutes);
            Some(WebError::held_back(lang.say(&message), *retry_after_secs))
        }
        AccountError::Busy => Some(WebError::held_back(lang.t("busy"), 2)),
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
            at: self.clock.now(),
        }
    }

    /// Who makes a change, and when, for the audit trail.
    pub(crate) fn actor(&self, session: &SessionRecord) -> Actor {
        Actor {
            who: session.user.email.clone(),
            at: self.clock.now(),
        }
    }

    pub(crate) fn cookie_attributes(&self) -> &'static str {
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
            Some(token) => accounts::session(&self.store, &*self.clock, token)
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

/// A page's view with who is logged in: the header of every staff page names the person and
/// has a log-out button (public pages are cached for everyone and say neither).
#[derive(Serialize)]
pub(crate) struct WithStaff<'a, V> {
    #[serde(flatten)]
    view: V,
    staff: Staff<'a>,
}

#[derive(Serialize)]
struct Staff<'a> {
    name: &'a str,
    csrf: &'a str,
}

pub(crate) fn with_staff<V: Serialize>(session: &SessionRecord, view: V) -> WithStaff<'_, V> {
    WithStaff {
        view,
        staff: Staff {
            name: if session.user.name.is_empty() {
                &session.user.email
            } else {
                &session.user.name
            },
            csrf: &session.csrf_token,
        },
    }
}

/// Renders a page for one logged-in person: never kept by caches.
pub(crate) fn render_private<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    template: &str,
    view: impl Serialize,
) -> Response {
    match state.render(template, lang, with_staff(session, view)) {
        Ok(b) => private_page(b, StatusCode::OK),
        Err(e) => e.into_page(state, lang),
    }
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
    let title = lang.t(match status {
        s if s.is_success() => "done",
        StatusCode::FORBIDDEN => "no_access",
        StatusCode::NOT_FOUND => "not_found",
        _ => "did_not_work",
    });
    let body = state
        .render("error.html", lang, MessageView { title, message })
        .unwrap_or_else(|_| message.to_owned());
    private_page(body, status)
}

pub(crate) fn csrf_ok(session: &SessionRecord, sent: Option<&str>) -> bool {
    sent.is_some_and(|t| accounts::same_token(t, &session.csrf_token))
}

/// A path on this site to go to after logging in; anything else goes to the account page.
/// The text is parsed as a browser would resolve it against this site (tabs and newlines
/// removed, backslashes as slashes, dot segments resolved) and kept only when the result is
/// on the same origin; then only its normalised path and query are used.
fn safe_next(lang: Lang, next: Option<&str>) -> String {
    // Staff land on what waits for them.
    let fallback = || format!("{}/att-gora", lang.base());
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

/// The message page: a title by the answer's status and the message.
#[derive(Serialize)]
struct MessageView<'a> {
    title: &'a str,
    message: &'a str,
}

/// The login form.
#[derive(Serialize)]
struct LoginView<'a> {
    error: Option<String>,
    /// Where to go after logging in (a path on this site).
    next: &'a str,
    email: &'a str,
    csrf: &'a str,
    other_path: String,
}

/// The account page.
#[derive(Serialize)]
struct AccountView<'a> {
    user: AccountUser<'a>,
    roles: Vec<RoleLine<'a>>,
    rounds: Vec<RoundLine<'a>>,
    csrf: &'a str,
    notice: Option<&'static str>,
    /// The password form sent back (never with what was typed in it).
    failed: Option<crate::forms::Failed>,
    other_path: String,
}

#[derive(Serialize)]
struct AccountUser<'a> {
    name: &'a str,
    email: &'a str,
    system_admin: bool,
}

/// A role the person has in a municipality.
#[derive(Serialize)]
struct RoleLine<'a> {
    id: &'a str,
    name: String,
    role: &'static str,
}

/// A round the person takes part in.
#[derive(Serialize)]
struct RoundLine<'a> {
    id: kvalitet_domain::RoundId,
    title: &'a str,
    year: i16,
    name: String,
    status: &'static str,
}

/// The audit trail of a municipality or of the whole system.
#[derive(Serialize)]
struct AuditView<'a> {
    m: Named,
    /// The page's own path, for the filter form and the CSV link.
    path: String,
    events: Vec<AuditLine<'a>>,
    shown: String,
    /// The kinds of change and the people to filter on, the chosen one selected.
    kinds: Vec<Choice>,
    people: Vec<PersonChoice<'a>>,
    from: String,
    to: String,
    /// The filter's query, for the CSV link of the same events.
    query: String,
    csrf: &'a str,
    other_path: String,
}

/// One change said as a sentence ("anna@kommun.se publicerade värden"), with its object
/// and its before and after for those who want the details.
#[derive(Serialize)]
struct AuditLine<'a> {
    at: kvalitet_domain::Timestamp,
    sentence: String,
    object: &'a str,
    before: Option<&'a str>,
    after: Option<&'a str>,
}

#[derive(Serialize)]
struct Choice {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct PersonChoice<'a> {
    email: &'a str,
    selected: bool,
}

/// Something shown by its name.
#[derive(Serialize)]
struct Named {
    name: String,
}

/// The invitation page: a new account's form, or the button of the logged-in owner.
#[derive(Serialize)]
struct InvitationView<'a> {
    email: &'a str,
    municipality: String,
    role: &'static str,
    /// An account only, with no role: a tester's.
    account_only: bool,
    token: &'a str,
    csrf: &'a str,
    error: Option<String>,
    /// The invited address already has an account.
    existing: bool,
    /// The one logged in is that account's owner.
    owner: bool,
    current_role: Option<&'static str>,
    logged_in_as: Option<&'a str>,
    login_path: String,
    other_path: String,
}

/// The login form, with a fresh double-submit token in its cookie and its field.
fn login_form<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    status: StatusCode,
    error: Option<String>,
    next: &str,
    email: &str,
) -> Result<Response, WebError> {
    let token = accounts::new_token().map_err(WebError::internal)?;
    let body = state.render(
        "login.html",
        lang,
        LoginView {
            error,
            next,
            email,
            csrf: &token,
            other_path: format!("{}/logga-in", lang.other().base()),
        },
    )?;
    let mut r = private_page(body, status);
    let c = format!("{LOGIN_CSRF_COOKIE}={token}{}", state.cookie_attributes());
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

impl WebError {
    pub(crate) fn into_page<S: Store>(self, state: &AppState<S>, lang: Lang) -> Response {
        message_page(state, lang, self.status, &self.message)
    }
}

/// Whether a double-submit token sent with a form is the one its cookie holds.
fn double_submit_ok(headers: &HeaderMap, sent: &str) -> bool {
    double_submit_ok_in(headers, LOGIN_CSRF_COOKIE, sent)
}

/// Whether a double-submit token sent with a form is the one the cookie `name` holds: for
/// forms of people without a session (logging in, answering a survey).
pub(crate) fn double_submit_ok_in(headers: &HeaderMap, name: &str, sent: &str) -> bool {
    let expected = cookie(headers, name).unwrap_or("");
    !sent.is_empty() && accounts::same_token(sent, expected)
}

/// `GET /logga-in?next=`: the login form.
pub async fn login_page<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
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

/// The login form's fields.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginFields {
    email: String,
    password: String,
    next: Option<String>,
    csrf: String,
}

/// `POST /logga-in`: a session cookie and on to `next`, or the form again with why not.
pub async fn login<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginFields>,
) -> Result<Response, WebError> {
    let next = safe_next(lang, form.next.as_deref());
    let again = |status, message: String| {
        login_form(&state, lang, status, Some(message), &next, &form.email)
    };
    if !double_submit_ok(&headers, &form.csrf) {
        return again(StatusCode::FORBIDDEN, lang.t("form_expired").into());
    }
    let attempt = state.attempt(address);
    match accounts::login(&state.store, &attempt, &form.email, &form.password).await {
        Ok(s) => {
            tracing::info!(user = %s.session.user.email, "logged in");
            let session = format!("{SESSION_COOKIE}={}{}", s.token, state.cookie_attributes());
            let clear = format!(
                "{LOGIN_CSRF_COOKIE}=; Max-Age=0{}",
                state.cookie_attributes()
            );
            Ok(redirect(&next, &[session, clear]))
        }
        Err(AccountError::WrongCredentials) => {
            again(StatusCode::UNAUTHORIZED, lang.t("wrong_credentials").into())
        }
        Err(e) => match held_back(lang, &e) {
            // The form again, so the address typed is kept, with the wait.
            Some(held) => {
                let mut r = again(StatusCode::TOO_MANY_REQUESTS, held.message)?;
                if let Some(secs) = held.retry_after {
                    r.headers_mut().insert(header::RETRY_AFTER, secs.into());
                }
                Ok(r)
            }
            None => Err(WebError::internal(e)),
        },
    }
}

/// A form that carries nothing but its CSRF token.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsrfOnly {
    csrf: String,
}

/// `POST /logga-ut`: ends the session (with its CSRF token) and goes to the start page.
pub async fn logout<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    let home = format!("{}/", lang.base());
    let Some(session) = state.current_session(&headers).await? else {
        return Ok(redirect(&home, &[]));
    };
    if !csrf_ok(&session, Some(&form.csrf)) {
        return Err(WebError::form_expired());
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        accounts::logout(&state.store, token)
            .await
            .map_err(WebError::internal)?;
    }
    let clear = format!("{SESSION_COOKIE}=; Max-Age=0{}", state.cookie_attributes());
    Ok(redirect(&home, &[clear]))
}

/// `GET /konto`: the person's roles, the rounds they assess, and the password form.
pub async fn account<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs = query_pairs(raw.as_deref());
    let notice = pairs
        .iter()
        .find(|(k, _)| k == "klart")
        .map(|_| lang.t("password_changed"));
    account_page(&state, lang, &session, notice, None).await
}

/// The account page, with a notice or the password form sent back with its problem.
async fn account_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    notice: Option<&'static str>,
    failed: Option<crate::forms::Failed>,
) -> Result<Response, WebError> {
    let (_, d) = state.directory().await?;
    let roles = session
        .user
        .grants
        .roles
        .iter()
        .map(|(m, r)| RoleLine {
            id: m.as_str(),
            name: d.name(m),
            role: lang.t(&format!("w.{}", r.code())),
        })
        .collect();
    let rounds =
        kvalitet_app::assessments::rounds_as_assessor(&state.store, session.user.id).await?;
    let rounds = rounds
        .iter()
        .map(|r| RoundLine {
            id: r.id,
            title: &r.title,
            year: r.year.get(),
            name: d.name(&r.municipality),
            status: lang.t(&format!("w.{}", r.status.code())),
        })
        .collect();
    let sent_back = failed.is_some();
    let body = state.render(
        "account.html",
        lang,
        with_staff(
            session,
            AccountView {
                user: AccountUser {
                    name: &session.user.name,
                    email: &session.user.email,
                    system_admin: session.user.grants.system_admin,
                },
                roles,
                rounds,
                csrf: &session.csrf_token,
                notice,
                failed,
                other_path: format!("{}/konto", lang.other().base()),
            },
        ),
    )?;
    Ok(crate::forms::answered(
        private_page(body, StatusCode::OK),
        sent_back,
    ))
}

/// The password form's fields.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordFields {
    current: String,
    new: String,
}

/// `POST /konto/losenord`: a new password, which ends every session (this one too).
pub async fn change_password<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    ClientAddress(address): ClientAddress,
    change: Change<PasswordFields>,
) -> Result<Response, WebError> {
    let Change { session, form } = change;
    let changed = accounts::change_password(
        &state.store,
        &state.attempt(address),
        &session.user,
        &form.current,
        &form.new,
        &state.actor(&session),
    )
    .await;
    match changed {
        // A new password ends every session, this one too: log in again.
        Ok(()) => Ok(redirect(
            &format!(
                "{}/logga-in?next={}/konto%3Fklart%3D1",
                lang.base(),
                lang.base()
            ),
            &[],
        )),
        Err(AccountError::Invalid(m)) => {
            let failed = password_failed(lang, Message::in_field("new", m));
            account_page(&state, lang, &session, None, Some(failed)).await
        }
        Err(AccountError::WrongCredentials) => {
            let m = Message::in_field("current", Message::new("wrong_current_password"));
            account_page(&state, lang, &session, None, Some(password_failed(lang, m))).await
        }
        Err(e) => Err(held_back(lang, &e).unwrap_or_else(|| WebError::internal(e))),
    }
}

/// The password form sent back: its problem beside its field, and nothing typed in it kept.
fn password_failed(lang: Lang, problem: Message) -> crate::forms::Failed {
    let nothing: [(&str, &str); 0] = [];
    crate::forms::Failed::new(
        lang,
        "pw",
        &std::collections::HashMap::from(nothing),
        &[problem],
    )
}

/// The audit trail of one municipality, for its readers, editors and administrators; as a
/// page or, with `?format=csv`, as CSV. `?action=` filters by kind of change.
pub async fn audit<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = MunicipalityId::parse(&id).map_err(|_| {
        WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("unknown_municipality").with("id", &id),
        )
    })?;
    // Authorization on the server, for every request: the session's grants for this municipality.
    if !session.user.grants.allows(Action::ViewAudit, &m) {
        return Err(WebError::forbidden(lang.t("no_role_here")));
    }
    audit_page(&state, lang, &session, Some(m), raw.as_deref()).await
}

/// `GET /admin/logg`: every change, also those of no municipality (national rounds,
/// frameworks, accounts), for system administrators.
pub async fn audit_all<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    if !session.user.grants.system_admin {
        return Err(WebError::coded(
            StatusCode::FORBIDDEN,
            Message::new("only_system_admins_page"),
        ));
    }
    audit_page(&state, lang, &session, None, raw.as_deref()).await
}

async fn audit_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: Option<MunicipalityId>,
    raw: Option<&str>,
) -> Result<Response, WebError> {
    let pairs = query_pairs(raw);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let action = get("action");
    let person = get("person");
    // Dates as the date inputs send them (ISO); a change is on the day of its Swedish time.
    let from = get("fran");
    let to = get("till");
    let all = accounts::audit_trail(&state.store, &session.user.grants, m.as_ref(), 10_000).await?;
    let people: std::collections::BTreeSet<String> = all.iter().map(|e| e.actor.clone()).collect();
    let events = all
        .into_iter()
        .filter(|e| action.as_ref().is_none_or(|a| &e.action == a))
        .filter(|e| person.as_ref().is_none_or(|p| &e.actor == p))
        .filter(|e| {
            let day = e.at.local_date_text();
            from.as_deref().is_none_or(|f| day.as_str() >= f)
                && to.as_deref().is_none_or(|t| day.as_str() <= t)
        })
        .collect::<Vec<_>>();
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
                        e.at.to_string(),
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
        return Ok(r);
    }
    let (_, d) = state.directory().await?;
    let name = match m {
        Some(m) => d.name(&m).to_owned(),
        None => lang.t("whole_system").to_owned(),
    };
    Ok(render_private(
        state,
        lang,
        session,
        "audit.html",
        AuditView {
            m: Named { name },
            other_path: format!("{}{path}", lang.other().base()),
            path,
            shown: lang.say(&Message::new("audit_shown").with("n", events.len())),
            events: events
                .iter()
                .map(|e| AuditLine {
                    at: e.at,
                    sentence: lang.say(
                        &Message::new("audit_sentence")
                            .with("who", &e.actor)
                            .with_term("did", format!("audit.{}", e.action), &e.action),
                    ),
                    object: &e.object,
                    before: e.before.as_deref(),
                    after: e.after.as_deref(),
                })
                .collect(),
            kinds: kvalitet_domain::audit::AuditAction::ALL
                .iter()
                .map(|a| Choice {
                    code: a.code(),
                    label: lang.t(&format!("audit.{}", a.code())),
                    selected: action.as_deref() == Some(a.code()),
                })
                .collect(),
            people: people
                .iter()
                .map(|p| PersonChoice {
                    selected: person.as_deref() == Some(p.as_str()),
                    email: p,
                })
                .collect(),
            from: from.unwrap_or_default(),
            to: to.unwrap_or_default(),
            query: raw.unwrap_or_default().to_owned(),
            csrf: &session.csrf_token,
        },
    ))
}

/// The form that turns an invitation link into an account, or, for an address that has an
/// account, the button with which its logged-in owner accepts.
pub async fn invitation_page<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    invitation_form(&state, lang, &headers, &token, StatusCode::OK, None).await
}

async fn invitation_form<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    headers: &HeaderMap,
    token: &str,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, WebError> {
    let found = accounts::invitation(&state.store, &*state.clock, token)
        .await
        .map_err(WebError::internal)?;
    let Some(found) = found else {
        return Err(WebError::not_found(lang.t("invitation_gone")));
    };
    let email = found.email;
    let existing = accounts::has_account(&state.store, &email)
        .await
        .map_err(WebError::internal)?;
    let session = state.current_session(headers).await?;
    // An existing account is changed only by its owner: logged in as the invited address,
    // the form carries the session's CSRF token; a new account's form has a token of its own.
    let owner = session.as_ref().filter(|s| s.user.email == email);
    let csrf = match owner {
        Some(s) => s.csrf_token.clone(),
        None => accounts::new_token().map_err(WebError::internal)?,
    };
    let (_, d) = state.directory().await?;
    let current_role = owner
        .zip(found.grant)
        .and_then(|(s, (m, _))| s.user.grants.role_in(&m))
        .map(|r| lang.t(&format!("w.{}", r.code())));
    let body = state.render(
        "invitation.html",
        lang,
        InvitationView {
            email: &email,
            municipality: found.grant.map(|g| d.name(&g.0)).unwrap_or_default(),
            role: found
                .grant
                .map_or("", |g| lang.t(&format!("w.{}", g.1.code()))),
            account_only: found.grant.is_none(),
            token,
            csrf: &csrf,
            error,
            existing,
            owner: owner.is_some(),
            current_role,
            logged_in_as: session.as_ref().map(|s| s.user.email.as_str()),
            login_path: format!(
                "{}/logga-in?next={}/inbjudan/{token}",
                lang.base(),
                lang.base()
            ),
            other_path: format!("{}/inbjudan/{token}", lang.other().base()),
        },
    )?;
    let mut r = private_page(body, status);
    let c = format!("{LOGIN_CSRF_COOKIE}={csrf}{}", state.cookie_attributes());
    if owner.is_none()
        && let Ok(v) = HeaderValue::from_str(&c)
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// The invitation form's fields: a new account's name and password, or `as_account` when
/// the logged-in owner of an existing account accepts.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InvitationFields {
    csrf: String,
    name: String,
    password: String,
    as_account: Option<String>,
}

/// `POST /inbjudan/{token}`: a new account, or the role added to the logged-in owner's.
pub async fn accept_invitation<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<InvitationFields>,
) -> Result<Response, WebError> {
    let as_account = form.as_account.is_some();
    let accepted = if as_account {
        // The owner of an existing account, logged in, with the session's token.
        let session = state
            .current_session(&headers)
            .await?
            .ok_or_else(WebError::login_needed)?;
        if !csrf_ok(&session, Some(&form.csrf)) {
            return Err(WebError::form_expired());
        }
        accounts::accept_as(&state.store, &*state.clock, &token, &session.user).await
    } else {
        if !double_submit_ok(&headers, &form.csrf) {
            return Err(WebError::form_expired());
        }
        accounts::accept(
            &state.store,
            &*state.clock,
            &state.hasher,
            &token,
            &form.name,
            &form.password,
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
            let to = if as_account {
                format!("{}/konto", lang.base())
            } else {
                format!("{}/logga-in", lang.base())
            };
            Ok(redirect(&to, &[clear]))
        }
        Err(AccountError::Invalid(m)) => {
            invitation_form(
                &state,
                lang,
                &headers,
                &token,
                StatusCode::BAD_REQUEST,
                Some(lang.say(&m)),
            )
            .await
        }
        Err(e) => Err(WebError::internal(e)),
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
            assert_eq!(safe_next(Lang::Sv, Some(evil)), "/att-gora", "{evil:?}");
        }
        assert_eq!(safe_next(Lang::En, None), "/en/att-gora");
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
