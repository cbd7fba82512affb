//! The Kolada sync: fetch municipalities, groups, the KPI catalogue and KPI groups, then the
//! values of the chosen KPIs and years, page by page, from Kolada API v3 or from another
//! kvalitet's `/v3`. Every page goes through the import path as its own transaction, so a
//! stopped sync leaves only whole pages behind and a rerun makes the data identical.

use std::future::Future;

use serde::Deserialize;

use kvalitet_domain::{MeasureId, Year};
use kvalitet_formats::Format;

use crate::import::{FileReport, ImportOptions, import_bytes};
use crate::ports::{Catalogue, SyncLog, Values, WriteCounts};

/// Kolada's limit on ids or years in one list.
pub const MAX_LIST: usize = 25;

/// Something that GETs a URL, with its own politeness and retries.
pub trait Fetch: Send + Sync {
    fn get(&self, url: &str) -> impl Future<Output = Result<Vec<u8>, FetchError>> + Send;
}

/// A URL that could not be fetched, and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{url}: {reason}")]
pub struct FetchError {
    pub url: String,
    pub reason: String,
}

impl FetchError {
    pub fn new(url: &str, reason: impl Into<String>) -> Self {
        Self {
            url: url.to_owned(),
            reason: reason.into(),
        }
    }
}

/// What to sync.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The API's base URL, e.g. `https://api.kolada.se/v3`.
    pub base_url: String,
    /// The KPIs whose values to fetch; empty means every KPI in the catalogue.
    pub kpis: Vec<MeasureId>,
    pub years: Vec<Year>,
    /// Skip the metadata routes.
    pub values_only: bool,
    pub per_page: usize,
    /// Only values changed since this day (`YYYY-MM-DD`, Kolada's `from_date`), deletions
    /// included.
    pub since: Option<String>,
    /// Stop at the first failed page instead of going on with the next batch.
    pub fail_fast: bool,
    pub import: ImportOptions,
}

/// What a sync did.
#[derive(Debug, Default)]
pub struct SyncReport {
    pub requests: u64,
    pub counts: WriteCounts,
    /// Records read: municipalities, groups, KPIs and values.
    pub records_read: u64,
    /// Queries skipped because an interrupted run had finished them.
    pub skipped: u64,
    /// Each failed page: its URL and why; nothing of that page was written.
    pub errors: Vec<String>,
}

impl SyncReport {
    pub fn succeeded(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Told how far a sync has come, e.g. to draw a progress bar.
pub trait SyncProgress: Send + Sync {
    /// The number of queries the sync will make (known in full once the catalogue is in).
    fn planned(&self, queries: u64);
    /// One page was imported.
    fn page(&self, url: &str, report: &FileReport);
    /// One query (all its pages) is done or skipped.
    fn query_done(&self);
}

/// Progress nobody watches (a sync run as a background job).
pub struct NoSyncProgress;

impl SyncProgress for NoSyncProgress {
    fn planned(&self, _queries: u64) {}
    fn page(&self, _url: &str, _report: &FileReport) {}
    fn query_done(&self) {}
}

/// The part of an envelope the sync needs.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    values: Vec<serde::de::IgnoredAny>,
    next_url: Option<String>,
}

/// Runs a sync. Returns when every batch was tried (or at the first failure with `fail_fast`).
/// A run that did not finish is resumed by the next sync with the same source and options:
/// the queries it completed are skipped.
pub async fn sync<S: Values + Catalogue + SyncLog, F: Fetch>(
    store: &S,
    fetch: &F,
    options: &SyncOptions,
    progress: &dyn SyncProgress,
) -> SyncReport {
    let mut report = SyncReport::default();
    let base = options.base_url.trim_end_matches('/');
    let mut import = options.import.clone();
    import.format = Some(Format::KoladaJson);
    let fingerprint = format!(
        "kpis={};years={};values_only={};per_page={};since={}",
        options
            .kpis
            .iter()
            .map(MeasureId::as_str)
            .collect::<Vec<_>>()
            .join(","),
        options
            .years
            .iter()
            .map(Year::to_string)
            .collect::<Vec<_>>()
            .join(","),
        options.values_only,
        options.per_page,
        options.since.as_deref().unwrap_or("")
    );
    let (run, finished) = match store
        .start_sync(base, &fingerprint, options.import.clock.now())
        .await
    {
        Ok(started) => started,
        Err(e) => {
            report.errors.push(format!("cannot record the sync: {e}"));
            return report;
        }
    };
    if !options.values_only {
        progress.planned(4);
    }
    let job = Job {
        store,
        fetch,
        base,
        import: &import,
        progress,
        run,
        finished: &finished,
    };
    if !options.values_only {
        for route in ["municipality", "municipality_groups", "kpi", "kpi_groups"] {
            let url = format!("{base}/{route}?per_page={}", options.per_page);
            if !job.query(&url, &mut report).await && options.fail_fast {
                return report;
            }
        }
    }
    let kpis = if options.kpis.is_empty() {
        match store.measures().await {
            Ok(measures) => measures.into_iter().map(|m| m.id).collect(),
            Err(e) => {
                report
                    .errors
                    .push(format!("cannot list the KPIs to fetch: {e}"));
                return report;
            }
        }
    } else {
        options.kpis.clone()
    };
    let data_queries = kpis.len().div_ceil(MAX_LIST) * options.years.len().div_ceil(MAX_LIST);
    progress.planned(data_queries as u64 + if options.values_only { 0 } else { 4 });
    for kpi_chunk in kpis.chunks(MAX_LIST) {
        for year_chunk in options.years.chunks(MAX_LIST) {
            let ids: Vec<&str> = kpi_chunk.iter().map(MeasureId::as_str).collect();
            let years: Vec<String> = year_chunk.iter().map(Year::to_string).collect();
            let mut url = format!(
                "{base}/data/kpi/{}/year/{}?per_page={}",
                ids.join(","),
                years.join(","),
                options.per_page
            );
            if let Some(since) = &options.since {
                url.push_str(&format!("&from_date={since}"));
            }
            if !job.query(&url, &mut report).await && options.fail_fast {
                return report;
            }
        }
    }
    // A run with failures stays open, so the next identical sync retries only what failed.
    if report.succeeded()
        && let Err(e) = store.finish_sync(run, options.import.clock.now()).await
    {
        report
            .errors
            .push(format!("cannot record the end of the sync: {e}"));
    }
    report
}

/// What every query of one run shares.
struct Job<'a, S, F> {
    store: &'a S,
    fetch: &'a F,
    base: &'a str,
    import: &'a ImportOptions,
    progress: &'a dyn SyncProgress,
    run: i64,
    /// Queries an interrupted run of the same sync already completed.
    finished: &'a std::collections::HashSet<String>,
}

impl<S: Values + SyncLog, F: Fetch> Job<'_, S, F> {
    /// Runs one query unless an earlier run finished it; false when a page failed.
    async fn query(&self, url: &str, report: &mut SyncReport) -> bool {
        if self.finished.contains(url) {
            report.skipped += 1;
            self.progress.query_done();
            return true;
        }
        let ok = follow(
            self.store,
            self.fetch,
            url,
            self.base,
            self.import,
            report,
            self.progress,
        )
        .await;
        if ok && let Err(e) = self.store.finish_sync_query(self.run, url).await {
            report.errors.push(format!("cannot record progress: {e}"));
        }
        self.progress.query_done();
        ok
    }
}

/// Fetches and imports every page of one query; false when a page failed.
async fn follow<S: Values, F: Fetch>(
    store: &S,
    fetch: &F,
    first: &str,
    base: &str,
    import: &ImportOptions,
    report: &mut SyncReport,
    progress: &dyn SyncProgress,
) -> bool {
    let mut url = first.to_owned();
    let mut seen = std::collections::HashSet::new();
    loop {
        if !seen.insert(url.clone()) {
            report.errors.push(format!(
                "{url}: next_url repeats an earlier page; stopped following"
            ));
            return false;
        }
        report.requests += 1;
        let body = match fetch.get(&url).await {
            Ok(body) => body,
            Err(e) => {
                report.errors.push(e.to_string());
                return false;
            }
        };
        let envelope: Envelope = match serde_json::from_slice(&body) {
            Ok(e) => e,
            Err(e) => {
                report
                    .errors
                    .push(format!("{url}: not a Kolada answer: {e}"));
                return false;
            }
        };
        if !envelope.values.is_empty() {
            match import_bytes(store, &url, body, import).await {
                Ok(page) => {
                    progress.page(&url, &page);
                    if let Some(why) = &page.failure {
                        let first_error = page.errors.first().cloned().unwrap_or_default();
                        report.errors.push(format!("{url}: {why} {first_error}"));
                        return false;
                    }
                    report.counts += page.counts;
                    report.records_read += page.read;
                }
                Err(e) => {
                    report.errors.push(format!("{url}: {e}"));
                    return false;
                }
            }
        }
        match envelope.next_url.filter(|n| !n.is_empty()) {
            None => return true,
            Some(next) if envelope.values.is_empty() => {
                // A page with no values ends the query whatever next_url says (some clients
                // loop forever otherwise).
                tracing::warn!(%next, "empty page with a next_url; stopping");
                return true;
            }
            Some(next) if !same_origin(&next, base) => {
                report.errors.push(format!(
                    "{url}: next_url {next} leaves {base}; stopped following"
                ));
                return false;
            }
            Some(next) => url = next,
        }
    }
}

/// True when `url` has the scheme, host and port of `base`.
fn same_origin(url: &str, base: &str) -> bool {
    fn origin(u: &str) -> Option<&str> {
        let (scheme, rest) = u.split_once("://")?;
        let host_end = rest.find('/').unwrap_or(rest.len());
        Some(&u[..scheme.len() + 3 + host_end])
    }
    origin(url).is_some() && origin(url) == origin(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_urls_must_stay_on_the_base_host() {
        assert!(same_origin(
            "http://127.0.0.1:8080/v3/kpi?page=2",
            "http://127.0.0.1:8080/v3"
        ));
        assert!(!same_origin(
            "http://evil.example/v3/kpi?page=2",
            "http://127.0.0.1:8080/v3"
        ));
        assert!(!same_origin("/v3/kpi?page=2", "http://127.0.0.1:8080/v3"));
    }
}
