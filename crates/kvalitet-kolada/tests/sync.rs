//! The sync against a fake Kolada that answers with a foreign `next_url`, a repeated
//! `next_url`, a body that is not JSON, and rows naming an unknown municipality: each is
//! reported with its URL, and a bad page leaves nothing of itself behind.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use kvalitet_app::import::{FileReport, ImportOptions};
use kvalitet_app::ports::prelude::*;
use kvalitet_app::sync::{SyncOptions, SyncProgress, sync};
use kvalitet_domain::{MeasureId, Year};
use kvalitet_kolada::{ClientOptions, KoladaClient};
use kvalitet_store::SqlStore;

/// Answers by path; `{base}` in a body is replaced by the server's base URL.
fn answer(path: &str) -> String {
    match path {
        p if p.starts_with("/v3/municipality_groups") => r#"{"values": [], "next_url": null}"#.into(),
        p if p.starts_with("/v3/municipality") && p.contains("page=2") => {
            r#"{"values": [{"id": "1280", "title": "Malmö", "type": "K"}], "next_url": "http://elsewhere.invalid/v3/municipality?page=3"}"#.into()
        }
        p if p.starts_with("/v3/municipality") => {
            r#"{"values": [{"id": "0180", "title": "Stockholm", "type": "K"}], "next_url": "{base}/municipality?per_page=5000&page=2"}"#.into()
        }
        p if p.starts_with("/v3/kpi_groups") => {
            r#"{"values": [{"id": "G1", "title": "KKiK", "members": [{"member_id": "N15428", "member_title": "Behöriga"}]}], "next_url": "{base}/kpi_groups?per_page=5000"}"#.into()
        }
        p if p.starts_with("/v3/kpi") => {
            r#"{"values": [{"id": "N15428", "title": "Behöriga, andel (%)", "description": "", "is_divided_by_gender": true, "municipality_type": "K", "auspice": null, "operating_area": "Grundskola", "perspective": null, "prel_publication_date": null, "publication_date": null, "publ_period": null, "has_ou_data": false}], "next_url": null}"#.into()
        }
        p if p.contains("/year/2021") => "<html>Service Unavailable</html>".into(),
        p if p.contains("/year/2022") => {
            r#"{"values": [{"kpi": "N15428", "period": 2022, "municipality": "0180", "values": [{"gender": "T", "count": 1, "status": "", "value": 88.0}]},
                           {"kpi": "N15428", "period": 2022, "municipality": "9999", "values": [{"gender": "T", "count": 1, "status": "", "value": 1.0}]}], "next_url": null}"#.into()
        }
        _ => r#"{"values": [{"kpi": "N15428", "period": 2023, "municipality": "0180", "values": [{"gender": "T", "count": 1, "status": "", "value": 90.0}]}], "next_url": null}"#.into(),
    }
}

async fn fake_kolada() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v3", listener.local_addr().unwrap());
    let served = base.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let base = served.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]);
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let body = answer(&path).replace("{base}", &base);
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    base
}

struct Quiet;
impl SyncProgress for Quiet {
    fn planned(&self, _: u64) {}
    fn page(&self, _: &str, _: &FileReport) {}
    fn query_done(&self) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_pages_are_reported_by_url_and_leave_nothing_behind() {
    let base = fake_kolada().await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::open(&format!("sqlite://{}", dir.path().join("s.db").display()))
        .await
        .unwrap();
    let client = KoladaClient::new(ClientOptions {
        requests_per_second: 1000.0,
        attempts: 1,
        backoff: Duration::from_millis(1),
        timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    })
    .unwrap();
    let year = |y| Year::new(y).unwrap();
    let options = SyncOptions {
        base_url: base.clone(),
        kpis: vec![MeasureId::parse("N15428").unwrap()],
        years: (2021..=2023).map(year).collect(),
        values_only: false,
        per_page: 5000,
        since: None,
        fail_fast: false,
        import: ImportOptions {
            format: None,
            skip_bad_rows: false,
            catalogue_year: None,
            current_year: year(2026),
            clock: std::sync::Arc::new(kvalitet_app::ports::SystemClock),
        },
    };
    // One KPI, and years one per query so each misbehaviour has its own page.
    let mut report = kvalitet_app::sync::SyncReport::default();
    for y in 2021..=2023 {
        let once = SyncOptions {
            years: vec![year(y)],
            values_only: y != 2021,
            ..options.clone()
        };
        let r = sync(&store, &client, &once, &Quiet).await;
        report.errors.extend(r.errors);
    }
    let errors = report.errors.join("\n");
    assert!(
        errors.contains("municipality?per_page=5000&page=2: next_url http://elsewhere.invalid"),
        "{errors}"
    );
    assert!(
        errors.contains("kpi_groups?per_page=5000: next_url repeats an earlier page"),
        "{errors}"
    );
    assert!(
        errors.contains("/data/kpi/N15428/year/2021?per_page=5000: not a Kolada answer"),
        "{errors}"
    );
    assert!(
        errors.contains("/data/kpi/N15428/year/2022?per_page=5000: 1 bad row(s)"),
        "{errors}"
    );
    assert!(
        errors.contains("unknown municipality or group 9999"),
        "{errors}"
    );
    assert_eq!(errors.lines().count(), 4, "{errors}");

    let overview = store.overview().await.unwrap();
    assert_eq!(
        overview.kommuner, 2,
        "both municipality pages were fine in themselves"
    );
    assert_eq!(
        overview.values, 1,
        "only the 2023 page was written; 2022 was rejected whole"
    );
}
