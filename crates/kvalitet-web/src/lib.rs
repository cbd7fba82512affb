//! kvalitet's web server: a page listing what is loaded, a health check, and the read API in
//! Kolada v3's format under `/v3/`. The citizen site builds on this router.

mod cache;
mod kolada_v3;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use minijinja::Environment;

use kvalitet_app::Store;

/// Shared state of every handler.
pub struct AppState<S> {
    pub store: S,
    /// "sqlite" or "postgres", shown on the start page.
    pub backend: &'static str,
    templates: Environment<'static>,
    /// Answers of the `/v3/` API, valid until the next import.
    v3_cache: cache::ResponseCache<kolada_v3::Answer>,
    /// All rows of a `/v3/data` query, so its pages are cut from one computation.
    v3_rows: cache::ResponseCache<kolada_v3::Rows>,
}

/// Memory for cached API answers.
const V3_CACHE_BYTES: usize = 256 << 20;

impl<S: Store> AppState<S> {
    pub fn new(store: S, backend: &'static str) -> Arc<Self> {
        let mut templates = Environment::new();
        templates.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        templates.add_filter("num", format_count);
        // Templates are compiled into the binary; a broken one fails every test at once.
        templates
            .add_template("index.html", include_str!("../templates/index.html"))
            .unwrap_or_else(|e| panic!("templates/index.html does not parse: {e}"));
        Arc::new(Self {
            store,
            backend,
            templates,
            v3_cache: cache::ResponseCache::new(V3_CACHE_BYTES),
            v3_rows: cache::ResponseCache::new(V3_CACHE_BYTES),
        })
    }
}

/// A whole number with a non-breaking thin space between thousands, as Swedish writes it.
fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

/// The application's routes.
pub fn router<S: Store>(state: Arc<AppState<S>>) -> Router {
    Router::new()
        .route("/", get(index::<S>))
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
    let overview = state
        .store
        .overview()
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
    axum::serve(listener, router(state))
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
