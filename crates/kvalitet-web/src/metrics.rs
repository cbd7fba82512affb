//! Prometheus metrics (`/metrics`, to the machine itself only): requests by route, method and
//! status class with their latency, requests in flight, the in-memory caches' hits and
//! misses, background jobs by kind and outcome, and the database pool. Routes are labelled
//! by their pattern (`/kommun/{id}`), never the address asked for, so the label set stays
//! small whatever is requested.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use kvalitet_app::Store;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: &'static str,
    outcome: &'static str,
}

/// Tells the database pool's connections: open, and idle among them.
#[derive(Clone)]
pub struct PoolStats(pub Arc<dyn Fn() -> (u32, usize) + Send + Sync>);

impl std::fmt::Debug for PoolStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PoolStats")
    }
}

/// Latency buckets from 1 ms to about 16 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// Every metric of a server process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    cache: Family<CacheLabels, Counter>,
    jobs: Family<JobLabels, Counter>,
    pool_open: Gauge,
    pool_idle: Gauge,
    pool_stats: Option<PoolStats>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new(pool_stats: Option<PoolStats>) -> Self {
        let mut registry = Registry::with_prefix("kvalitet");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let in_flight = Gauge::default();
        let cache = Family::<CacheLabels, Counter>::default();
        let jobs = Family::<JobLabels, Counter>::default();
        let (pool_open, pool_idle) = (Gauge::default(), Gauge::default());
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status class",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route pattern",
            latency.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "Requests being answered now",
            in_flight.clone(),
        );
        registry.register(
            "cache_lookups",
            "Lookups in the in-memory caches (pages, v3 answers, v3 rows, series, directory), by hit, stale (the previous version's answer, served while the new one is made) or miss",
            cache.clone(),
        );
        registry.register(
            "jobs",
            "Background jobs run by this process, by kind and outcome",
            jobs.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections open in the pool",
            pool_open.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Database connections idle in the pool",
            pool_idle.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            in_flight,
            cache,
            jobs,
            pool_open,
            pool_idle,
            pool_stats,
        }
    }

    /// The counter of one cache's hits, stale answers or misses (`result`), for the cache
    /// to keep.
    pub(crate) fn cache_counter(&self, cache: &'static str, result: &'static str) -> Counter {
        self.cache
            .get_or_create(&CacheLabels { cache, result })
            .clone()
    }

    /// Counts a job run by this process.
    pub(crate) fn job(&self, kind: &'static str, outcome: &'static str) {
        self.jobs.get_or_create(&JobLabels { kind, outcome }).inc();
    }

    /// The metrics in Prometheus' text format.
    pub fn render(&self) -> String {
        if let Some(stats) = &self.pool_stats {
            let (open, idle) = (stats.0)();
            self.pool_open.set(i64::from(open));
            self.pool_idle.set(i64::try_from(idle).unwrap_or(i64::MAX));
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Counts and times every request (the outermost layer, so it sees what the caches and the
/// error pages answer too); a 5xx answer is logged.
pub async fn track<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let m = &state.metrics;
    m.in_flight.inc();
    let response = next.run(request).await;
    m.in_flight.dec();
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status();
    let class = match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    if status.is_server_error() {
        tracing::warn!(%method, %route, status = status.as_u16(), seconds, "request failed");
    } else {
        tracing::debug!(%method, %route, status = status.as_u16(), seconds, "request");
    }
    m.latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(seconds);
    m.requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: class,
        })
        .inc();
    response
}

/// `GET /metrics`: for a scraper on the machine itself (or through a proxy that must not
/// pass it on: the shipped nginx site denies it). Anyone else gets a 404, as if it were not
/// there.
pub async fn serve<S: Store>(State(state): State<Arc<AppState<S>>>, request: Request) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let request_headers = request.headers();
    // Behind a proxy every request comes from loopback: one that says it was forwarded is
    // from outside.
    let forwarded = request_headers.contains_key("x-forwarded-for")
        || request_headers.contains_key(header::FORWARDED);
    if !peer.is_some_and(|ip| ip.is_loopback()) || forwarded {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
