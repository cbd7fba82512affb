//! kvalitet's web server: the citizen site (Swedish at `/`, English at `/en/`), the JSON
//! API under `/api/v1/`, the read API in Kolada v3's format under `/v3/`, a page listing
//! what is loaded (`/status`) and a health check.

mod admin;
mod answers;
mod api_v1;
mod auth;
mod award;
mod background;
mod budget;
mod cache;
mod charts;
mod dialogues;
mod downloads;
mod error;
mod extract;
mod forms;
mod goal_links;
mod goals_admin;
mod gzip;
mod i18n;
mod jobs;
mod kolada_v3;
mod metrics;
mod outbox;
mod panels;
mod participation;
mod proposal_files;
mod proposals;
mod rejections;
mod rounds;
mod routes;
mod service;
mod site;
mod state;
mod surveys;
mod todo;

pub use background::{remind, run_jobs, run_mail, upkeep};
pub use error::WebError;
pub use i18n::Lang;
pub(crate) use kolada_v3::query_pairs;
pub use metrics::PoolStats;
pub use routes::router;
pub use site::{ScreeningSetting, yearly_report_pdf};
pub use state::{AppState, FORM_LIMIT, SiteOptions, VERSION_TTL};

use std::sync::Arc;

use kvalitet_app::Store;

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
