//! kvalitet's web server: the citizen site (Swedish at `/`, English at `/en/`), the JSON
//! API under `/api/v1/`, the read API in Kolada v3's format under `/v3/`, a page listing
//! what is loaded (`/status`) and a health check.

mod admin;
mod api_v1;
mod auth;
mod cache;
mod charts;
mod downloads;
mod error;
mod extract;
mod i18n;
mod kolada_v3;
mod rejections;
mod rounds;
mod service;
mod site;

pub use error::WebError;
pub use i18n::Lang;
pub(crate) use kolada_v3::query_pairs;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use minijinja::Environment;

use kvalitet_app::Store;

/// Shared state of every handler.
pub struct AppState<S> {
    pub store: S,
    /// The site's address as others reach it (`https://kvalitet.example.se`), for embed codes;
    /// empty gives paths relative to the site.
    pub public_url: String,
    /// The largest upload of values accepted.
    pub max_upload_bytes: usize,
    /// How failed logins are counted and held back.
    pub login_policy: kvalitet_domain::LoginPolicy,
    /// Hashes and checks passwords a few at a time.
    pub hasher: kvalitet_app::accounts::Hasher,
    /// Whether the client's address is the last one in `X-Forwarded-For` (behind a reverse
    /// proxy that sets it) rather than the connection's.
    pub trust_forwarded_for: bool,
    /// "sqlite" or "postgres", shown on the start page.
    pub backend: &'static str,
    templates: Environment<'static>,
    /// Answers of the `/v3/` API, valid until the next import.
    v3_cache: cache::ResponseCache<kolada_v3::Answer>,
    /// All rows of a `/v3/data` query, so its pages are cut from one computation.
    v3_rows: cache::ResponseCache<kolada_v3::Rows>,
    /// The catalogue as the site needs it, with the data version it was loaded at.
    directory: std::sync::Mutex<Option<(i64, Arc<kvalitet_app::report::Directory>)>>,
    /// Each measure's values per gender, as the comparisons read them.
    series_cache: cache::ResponseCache<Arc<kvalitet_app::report::Series>>,
    /// Rendered pages of the citizen site and answers of `/api/v1`.
    pages: cache::ResponseCache,
    /// The last data version seen and when it was read.
    version: std::sync::Mutex<Option<(std::time::Instant, i64)>>,
}

/// How long a data version is trusted before the database is asked again: an import
/// committed by another process shows within this time, and a busy server asks the
/// database a few times a second instead of once per request.
pub const VERSION_TTL: std::time::Duration = std::time::Duration::from_millis(200);

impl<S: Store> AppState<S> {
    /// Forgets the data version, after a change made by this process, so the next request
    /// sees the change at once.
    pub(crate) fn invalidate_version(&self) {
        *self.version.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The current data version, read from the store at most once per [`VERSION_TTL`].
    pub(crate) async fn data_version(&self) -> Result<i64, kvalitet_app::StoreError> {
        if let Some((at, v)) = *self.version.lock().unwrap_or_else(|p| p.into_inner())
            && at.elapsed() < VERSION_TTL
        {
            return Ok(v);
        }
        let v = self.store.data_version().await?;
        *self.version.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((std::time::Instant::now(), v));
        Ok(v)
    }
}

impl cache::CacheSize for Arc<kvalitet_app::report::Series> {
    fn size(&self) -> usize {
        kvalitet_app::report::Series::size(self)
    }
}

/// Settings of a running site.
#[derive(Debug, Clone)]
pub struct SiteOptions {
    /// The address residents and embedding sites use; empty for relative links.
    pub public_url: String,
    /// The largest upload of values accepted (CSV or Excel).
    pub max_upload_bytes: usize,
    /// How failed logins are counted and held back.
    pub login_policy: kvalitet_domain::LoginPolicy,
    /// Take the client's address from the last entry of `X-Forwarded-For`: only behind a
    /// reverse proxy that sets it, since anyone can send the header.
    pub trust_forwarded_for: bool,
}

impl Default for SiteOptions {
    fn default() -> Self {
        Self {
            public_url: String::new(),
            max_upload_bytes: kvalitet_app::own::MAX_UPLOAD_BYTES,
            login_policy: kvalitet_domain::LoginPolicy::default(),
            trust_forwarded_for: false,
        }
    }
}

/// The largest body of a form without a limit of its own (axum's default, made explicit).
pub(crate) const FORM_LIMIT: usize = 2 << 20;

/// Memory for cached API answers.
const V3_CACHE_BYTES: usize = 64 << 20;
/// Memory for measure series (a KKiK measure is about 0.5 MB with all years).
const SERIES_CACHE_BYTES: usize = 64 << 20;
/// Memory for rendered pages.
const PAGE_CACHE_BYTES: usize = 48 << 20;

const TEMPLATES: [(&str, &str); 26] = [
    (
        "service-table.html",
        include_str!("../templates/service-table.html"),
    ),
    (
        "service-list.html",
        include_str!("../templates/service-list.html"),
    ),
    (
        "service-round.html",
        include_str!("../templates/service-round.html"),
    ),
    (
        "service-contact.html",
        include_str!("../templates/service-contact.html"),
    ),
    (
        "service-results.html",
        include_str!("../templates/service-results.html"),
    ),
    ("rounds.html", include_str!("../templates/rounds.html")),
    ("round.html", include_str!("../templates/round.html")),
    (
        "round-report.html",
        include_str!("../templates/round-report.html"),
    ),
    (
        "framework-edit.html",
        include_str!("../templates/framework-edit.html"),
    ),
    (
        "frameworks.html",
        include_str!("../templates/frameworks.html"),
    ),
    (
        "invitation.html",
        include_str!("../templates/invitation.html"),
    ),
    ("admin.html", include_str!("../templates/admin.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("account.html", include_str!("../templates/account.html")),
    ("audit.html", include_str!("../templates/audit.html")),
    ("index.html", include_str!("../templates/index.html")),
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("start.html", include_str!("../templates/start.html")),
    (
        "municipality.html",
        include_str!("../templates/municipality.html"),
    ),
    ("measure.html", include_str!("../templates/measure.html")),
    ("compare.html", include_str!("../templates/compare.html")),
    ("embed.html", include_str!("../templates/embed.html")),
    ("about.html", include_str!("../templates/about.html")),
    (
        "accessibility.html",
        include_str!("../templates/accessibility.html"),
    ),
    ("error.html", include_str!("../templates/error.html")),
];

/// The widget's height report, and the listener for the pages that embed widgets.
const EMBED_JS: &str = include_str!("../templates/embed.js");
const EMBED_HOST_JS: &str = include_str!("../templates/embed-host.js");

/// The site's style sheet (no inline styles, so the CSP can forbid them).
const SITE_CSS: &str = include_str!("../templates/site.css");

impl<S: Store> AppState<S> {
    pub fn new(store: S, backend: &'static str) -> Arc<Self> {
        Self::with_options(store, backend, SiteOptions::default())
    }

    /// As [`AppState::new`], with the site's settings.
    pub fn with_options(store: S, backend: &'static str, options: SiteOptions) -> Arc<Self> {
        let mut templates = Environment::new();
        templates.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        templates.add_filter("num", format_count);
        // Templates are compiled into the binary; a broken one fails every test at once.
        templates.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        // Escapes what HTML needs (& < > " ') and leaves '/' alone, so URLs stay readable.
        templates.set_formatter(|out, state, value| match value.as_str() {
            Some(s) if *state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() => {
                out.write_str(&charts::esc(s))
                    .map_err(minijinja::Error::from)
            }
            _ => minijinja::escape_formatter(out, state, value),
        });
        for (name, source) in TEMPLATES {
            // Templates are compiled into the binary; a broken one fails every test at once.
            templates
                .add_template(name, source)
                .unwrap_or_else(|e| panic!("templates/{name} does not parse: {e}"));
        }
        Arc::new(Self {
            store,
            public_url: options.public_url.trim_end_matches('/').to_owned(),
            max_upload_bytes: options.max_upload_bytes,
            login_policy: options.login_policy,
            hasher: kvalitet_app::accounts::Hasher::for_this_machine(),
            trust_forwarded_for: options.trust_forwarded_for,
            backend,
            templates,
            v3_cache: cache::ResponseCache::new(V3_CACHE_BYTES),
            v3_rows: cache::ResponseCache::new(V3_CACHE_BYTES),
            directory: std::sync::Mutex::new(None),
            series_cache: cache::ResponseCache::new(SERIES_CACHE_BYTES),
            pages: cache::ResponseCache::new(PAGE_CACHE_BYTES),
            version: std::sync::Mutex::new(None),
        })
    }
}

/// A whole number with a no-break space between thousands, as Swedish writes it.
fn format_count(n: u64) -> String {
    kvalitet_domain::swedish::group_thousands(&n.to_string())
}

/// The citizen site's routes for one language.
fn site_routes<S: Store>(state: &Arc<AppState<S>>, lang: Lang) -> Router<Arc<AppState<S>>> {
    let max_upload_bytes = state.max_upload_bytes;
    Router::new()
        .route("/", get(site::start::<S>))
        .route("/kommun/{id}", get(site::municipality::<S>))
        .route("/kommun/{id}/{file}", get(site::municipality_download::<S>))
        .route("/kommun/{id}/matt/{kpi}", get(site::measure::<S>))
        .route(
            "/kommun/{id}/matt/{kpi}/{file}",
            get(site::measure_download::<S>),
        )
        .route("/inbaddning/kommun/{id}/matt/{kpi}", get(site::embed::<S>))
        .route("/jamfor", get(site::compare::<S>))
        .route("/jamfor/{file}", get(site::compare_download::<S>))
        .route("/om", get(site::about::<S>))
        .route("/tillganglighet", get(site::accessibility::<S>))
        .route("/ramverk", get(site::frameworks::<S>))
        .route(
            "/logga-in",
            get(auth::login_page::<S>).post(auth::login::<S>),
        )
        .route("/logga-ut", axum::routing::post(auth::logout::<S>))
        .route("/konto", get(auth::account::<S>))
        .route(
            "/konto/losenord",
            axum::routing::post(auth::change_password::<S>),
        )
        .route("/kommun/{id}/logg", get(auth::audit::<S>))
        .route("/admin/logg", get(auth::audit_all::<S>))
        .route("/admin/kommun/{id}", get(admin::dashboard::<S>))
        .route(
            "/admin/kommun/{id}/inbjudan",
            axum::routing::post(admin::invite::<S>),
        )
        .route(
            "/inbjudan/{token}",
            get(auth::invitation_page::<S>).post(auth::accept_invitation::<S>),
        )
        .route(
            "/admin/kommun/{id}/matt",
            axum::routing::post(admin::define_measure::<S>),
        )
        .route(
            "/admin/kommun/{id}/varde",
            axum::routing::post(admin::enter_value::<S>),
        )
        .route(
            "/admin/kommun/{id}/fil",
            axum::routing::post(admin::upload::<S>).layer(axum::extract::DefaultBodyLimit::max(
                // The multipart envelope around the file is small.
                max_upload_bytes + (64 << 10),
            )),
        )
        .route(
            "/admin/kommun/{id}/publicera",
            axum::routing::post(admin::publish::<S>),
        )
        .route(
            "/admin/kommun/{id}/kommentar",
            axum::routing::post(admin::comment::<S>),
        )
        .route(
            "/admin/kommun/{id}/bedomningar",
            get(rounds::list::<S>).post(rounds::create::<S>),
        )
        .route("/admin/bedomning/{round}", get(rounds::work::<S>))
        .route(
            "/admin/bedomning/{round}/svar",
            axum::routing::post(rounds::answers::<S>),
        )
        .route(
            "/admin/bedomning/{round}/konsensus",
            axum::routing::post(rounds::consensus::<S>),
        )
        .route(
            "/admin/bedomning/{round}/bedomare",
            axum::routing::post(rounds::assessor::<S>),
        )
        .route(
            "/admin/bedomning/{round}/steg",
            axum::routing::post(rounds::step::<S>),
        )
        .route(
            "/admin/bedomning/{round}/enkat",
            axum::routing::post(rounds::survey::<S>),
        )
        .route(
            "/admin/bedomning/{round}/dokument",
            axum::routing::post(rounds::upload_document::<S>).layer(
                axum::extract::DefaultBodyLimit::max(
                    kvalitet_app::assessments::MAX_DOCUMENT_BYTES + (64 << 10),
                ),
            ),
        )
        .route("/admin/dokument/{id}", get(rounds::document::<S>))
        .route("/kommun/{id}/bedomning/{round}", get(rounds::report::<S>))
        .route(
            "/admin/ramverk",
            get(rounds::editor::<S>).post(rounds::save_framework::<S>),
        )
        .route(
            "/admin/service",
            get(service::list::<S>).post(service::create::<S>),
        )
        .route("/admin/service/{id}", get(service::round::<S>))
        .route(
            "/admin/service/{id}/kontakt",
            get(service::contact_form::<S>).post(service::register::<S>),
        )
        .route(
            "/admin/service/{id}/{part}",
            axum::routing::post(service::setup::<S>),
        )
        .route(
            "/admin/service/{id}/fil/{part}",
            axum::routing::post(service::upload::<S>).layer(axum::extract::DefaultBodyLimit::max(
                max_upload_bytes + (64 << 10),
            )),
        )
        .route("/servicematning/{id}", get(service::public::<S>))
        .fallback(site::not_found::<S>)
        .layer(axum::middleware::from_fn_with_state(
            (state.clone(), lang),
            rejections::as_page::<S>,
        ))
        .layer(Extension(lang))
}

/// The application's routes.
pub fn router<S: Store>(state: Arc<AppState<S>>) -> Router {
    Router::new()
        .merge(site_routes::<S>(&state, Lang::Sv))
        .nest("/en", site_routes::<S>(&state, Lang::En))
        .route("/en/", get(site::start::<S>).layer(Extension(Lang::En)))
        .route("/status", get(index::<S>))
        .route(
            "/static/site.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    SITE_CSS,
                )
            }),
        )
        .route(
            "/static/embed.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    EMBED_JS,
                )
            }),
        )
        .route(
            "/static/embed-host.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                    ],
                    EMBED_HOST_JS,
                )
            }),
        )
        .route("/oembed", get(site::oembed::<S>))
        .route("/api/v1/openapi.json", get(api_v1::openapi))
        .route("/api/v1/municipalities", get(api_v1::municipalities::<S>))
        .route("/api/v1/measures", get(api_v1::measures::<S>))
        .route("/api/v1/compare", get(api_v1::compare::<S>))
        .route("/api/v1/assessments", get(api_v1::assessments::<S>))
        .route("/api/v1/service", get(api_v1::service::<S>))
        .route(
            "/api/v1/municipalities/{id}/report",
            get(api_v1::report::<S>),
        )
        .route("/api/v1/{*rest}", get(api_v1::not_found))
        .route("/healthz", get(|| async { "ok" }))
        .route("/v3", get(kolada_v3::handle::<S>))
        .route("/v3/", get(kolada_v3::handle::<S>))
        .route("/v3/{*rest}", get(kolada_v3::handle::<S>))
        .with_state(state)
}

/// A failure shown to the visitor without internals; the details go to the log.
struct PageError(String);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self.0, "request failed");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Något gick fel. Försök igen senare.",
        )
            .into_response()
    }
}

async fn index<S: Store>(State(state): State<Arc<AppState<S>>>) -> Result<Html<String>, PageError> {
    let overview = kvalitet_app::report::overview(&state.store)
        .await
        .map_err(|e| PageError(e.to_string()))?;
    let page = state
        .templates
        .get_template("index.html")
        .and_then(|t| t.render(minijinja::context! { o => minijinja::Value::from(minijinja::value::Serde(&overview)), backend => state.backend }))
        .map_err(|e| PageError(e.to_string()))?;
    Ok(Html(page))
}

/// Serves until `shutdown` completes.
pub async fn serve<S: Store>(
    state: Arc<AppState<S>>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer's address is kept with each request: logins are counted per address.
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_use_swedish_digit_grouping() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(4_542_773), "4\u{a0}542\u{a0}773");
    }
}
