//! The `/v3/` read API over HTTP: Kolada's shapes, paging, group means and error codes.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use tokio::sync::mpsc;

use kvalitet_app::ports::prelude::*;
use kvalitet_app::ports::{CatalogueBatch, ImportChunk, ImportSource};
use kvalitet_domain::{
    AreaId, Datum, Gender, GroupId, GroupKind, KoladaMeta, Measure, MeasureId, MissingStatus,
    Municipality, MunicipalityGroup, MunicipalityId, MunicipalityKind, ValueKey, ValueRow, Year,
};
use kvalitet_store::SqlStore;
use kvalitet_testkit::{HOST, Seed, TestApp};

fn m(id: &str) -> MunicipalityId {
    MunicipalityId::parse(id).unwrap()
}

fn value(measure: &str, area: &str, year: i64, gender: Gender, datum: Datum) -> ValueRow {
    ValueRow {
        key: ValueKey {
            measure: MeasureId::parse(measure).unwrap(),
            area: AreaId::parse(area).unwrap(),
            year: Year::new(year).unwrap(),
            gender,
        },
        datum,
        count: None,
    }
}

/// Imports chunks into the store as one committed import.
async fn import(store: &SqlStore, chunks: Vec<ImportChunk>) {
    let (tx, rx) = mpsc::channel(chunks.len() + 1);
    for chunk in chunks {
        tx.send(chunk).await.unwrap();
    }
    tx.send(ImportChunk::Commit).await.unwrap();
    drop(tx);
    let source = ImportSource {
        source: "test".into(),
        format: "test".into(),
        at: kvalitet_app::ports::Clock::now(&kvalitet_app::ports::SystemClock),
    };
    store.import(&source, rx).await.unwrap();
}

/// A site on a fresh SQLite database with a small catalogue and values.
async fn server() -> TestApp {
    let catalogue = CatalogueBatch {
        catalogue_year: Some(Year::new(2026).unwrap()),
        municipalities: vec![
            Municipality::new(m("0000"), "Riket".into(), MunicipalityKind::Riket),
            Municipality::new(
                m("0001"),
                "Region Stockholm".into(),
                MunicipalityKind::Region,
            ),
            Municipality::new(m("0114"), "Upplands Väsby".into(), MunicipalityKind::Kommun),
            Municipality::new(m("0180"), "Stockholm".into(), MunicipalityKind::Kommun),
            Municipality::new(m("1280"), "Malmö".into(), MunicipalityKind::Kommun),
        ],
        groups: vec![MunicipalityGroup {
            id: GroupId::parse("G92787").unwrap(),
            title: "Storstäder (ovägt medel)".into(),
            kind: GroupKind::SkrKommungrupp,
            members: vec![m("0180"), m("1280")],
        }],
        measures: vec![
            Measure::from_kolada(
                MeasureId::parse("N15428").unwrap(),
                "Behöriga till yrkesprogram, andel (%)".into(),
                "Källa: Skolverket.".into(),
                KoladaMeta {
                    is_divided_by_gender: true,
                    municipality_type: Some("K".into()),
                    ..KoladaMeta::default()
                },
            ),
            Measure::from_kolada(
                MeasureId::parse("N00003").unwrap(),
                "Personalkostnader, kr/inv".into(),
                "Källa: SCB.".into(),
                KoladaMeta::default(),
            ),
        ],
        ..CatalogueBatch::default()
    };
    let values = vec![
        value("N15428", "0180", 2022, Gender::Total, Datum::Number(88.0)),
        value("N15428", "0180", 2022, Gender::Women, Datum::Number(90.0)),
        value("N15428", "1280", 2022, Gender::Total, Datum::Number(79.0)),
        value(
            "N15428",
            "1280",
            2022,
            Gender::Women,
            Datum::Missing(MissingStatus::Secret),
        ),
        value("N15428", "0114", 2022, Gender::Total, Datum::Number(70.5)),
        value("N15428", "0180", 2021, Gender::Total, Datum::Number(86.0)),
        value(
            "N00003",
            "0180",
            2022,
            Gender::Total,
            Datum::Number(41234.0),
        ),
    ];
    Seed::default()
        .catalogue(|c| *c = catalogue)
        .values(values)
        .start()
        .await
}

/// GETs a path; returns the status code and the parsed JSON body.
async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    let (status, body) = get_text(app, path).await;
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

/// GETs a path; returns the status code and the body as text, which must be JSON's.
async fn get_text(app: &TestApp, path: &str) -> (u16, String) {
    let a = app.get(path).send().await;
    assert!(
        a.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{}",
        a.head()
    );
    (a.status, a.body)
}

fn ids(body: &Value, key: &str) -> Vec<String> {
    body["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_routes_answer_in_kolada_shapes() {
    let app = server().await;
    let (status, body) = get(&app, "/v3/municipality").await;
    assert_eq!(status, 200);
    assert_eq!(ids(&body, "id"), ["0000", "0001", "0114", "0180", "1280"]);
    assert_eq!(
        body["values"][3],
        serde_json::json!({"id": "0180", "title": "Stockholm", "type": "K"})
    );
    assert_eq!(body["count"], 5);
    assert!(body["next_url"].is_null() && body["previous_url"].is_null());

    let (_, regions) = get(&app, "/v3/municipality?region_type=L").await;
    assert_eq!(ids(&regions, "id"), ["0000", "0001"]);
    let (_, by_title) = get(&app, "/v3/municipality?title=STOCK").await;
    assert_eq!(ids(&by_title, "id"), ["0001", "0180"]);
    let (_, listed) = get(&app, "/v3/municipality/1280,0180,9999").await;
    assert_eq!(ids(&listed, "id"), ["0180", "1280"]);
    let (_, encoded) = get(&app, "/v3/municipality?title=malm%C3%B6").await;
    assert_eq!(ids(&encoded, "id"), ["1280"]);

    let (_, kpis) = get(&app, "/v3/kpi/N15428").await;
    let kpi = &kpis["values"][0];
    let keys: Vec<&str> = kpi
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 12);
    assert_eq!(kpi["is_divided_by_gender"], true);
    assert!(
        kpi["auspice"].is_null(),
        "missing fields are null, never absent"
    );
    let (_, alias) = get(&app, "/v3/kpi?id=N00003").await;
    assert_eq!(ids(&alias, "id"), ["N00003"]);
    let (_, search) = get(&app, "/v3/kpi?title=personal").await;
    assert_eq!(ids(&search, "id"), ["N00003"]);

    let (_, groups) = get(&app, "/v3/municipality_groups/G92787").await;
    assert_eq!(
        groups["values"][0]["members"][1],
        serde_json::json!({"member_id": "1280", "member_title": "Malmö"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_rows_carry_every_gender_and_groups_are_member_means() {
    let app = server().await;
    let (status, body) = get(
        &app,
        "/v3/data/kpi/N15428/municipality/0180,1280,G92787/year/2022",
    )
    .await;
    assert_eq!(status, 200);
    let rows = body["values"].as_array().unwrap();
    assert_eq!(ids(&body, "municipality"), ["0180", "1280", "G92787"]);
    assert_eq!(rows[0]["period"], 2022);
    assert_eq!(
        rows[0]["values"][0],
        serde_json::json!({"gender": "T", "count": 1, "status": "", "value": 88.0, "isdeleted": false})
    );
    assert_eq!(
        rows[1]["values"][1],
        serde_json::json!({"gender": "K", "count": 1, "status": "..", "value": null, "isdeleted": false})
    );
    let group = &rows[2]["values"];
    assert_eq!(group[0]["value"], 83.5, "unweighted mean of 88 and 79");
    assert_eq!(group[0]["count"], 2);
    assert_eq!(group[1]["value"], 90.0, "only members with a number count");
    assert_eq!(group[1]["count"], 1);

    let (_, any_order) = get(&app, "/v3/data/year/2022/kpi/N15428").await;
    assert_eq!(ids(&any_order, "municipality"), ["0114", "0180", "1280"]);
    let (_, two_dims) = get(&app, "/v3/data/kpi/N15428/municipality/0180").await;
    let periods: Vec<i64> = two_dims["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["period"].as_i64().unwrap())
        .collect();
    assert_eq!(periods, [2021, 2022]);
    let (_, query_form) = get(
        &app,
        "/v3/data?kpi_id=N15428&kpi_id=N00003&municipality_id=0180&year=2022",
    )
    .await;
    assert_eq!(ids(&query_form, "kpi"), ["N00003", "N15428"]);
    let (status, one_dim) = get(&app, "/v3/data/?kpi_id=N15428&municipality=0180").await;
    assert_eq!(
        (status, one_dim["count"].as_i64()),
        (200, Some(0)),
        "unknown parameter names give an empty answer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_link_with_absolute_urls_until_the_last() {
    let app = server().await;
    let mut url = format!("http://{HOST}/v3/municipality?per_page=2");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let path = url
            .strip_prefix(&format!("http://{HOST}"))
            .unwrap()
            .to_owned();
        let (status, body) = get(&app, &path).await;
        assert_eq!(status, 200);
        pages += 1;
        if pages > 1 {
            assert!(
                body["previous_url"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("page={}", pages - 1))
            );
        }
        seen.extend(ids(&body, "id"));
        match body["next_url"].as_str() {
            Some(next) => {
                assert!(
                    next.starts_with(&format!("http://{HOST}/v3/municipality?")),
                    "{next}"
                );
                assert!(next.contains("per_page=2"), "{next}");
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["0000", "0001", "0114", "0180", "1280"]);
    let (_, past_end) = get(&app, "/v3/municipality?per_page=2&page=9").await;
    assert_eq!(
        (past_end["count"].as_i64(), past_end["next_url"].is_null()),
        (Some(0), true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_kolada_style_errors_never_500() {
    let app = server().await;
    let too_many = (0..26)
        .map(|i| format!("{:04}", 100 + i))
        .collect::<Vec<_>>()
        .join(",");
    let cases = [
        ("/v3/nothing", 404),
        ("/v3/data/kpi/N15428", 404),
        ("/v3/data/kpi/N15428/kpi/N00003", 404),
        ("/v3/data/kpi/N15428/colour/blue", 404),
        ("/v3/data/kpi/N15428/year/20x2", 400),
        ("/v3/data/kpi/N%2015428/year/2022", 400),
        ("/v3/municipality?per_page=0", 400),
        ("/v3/municipality?page=abc", 400),
        ("/v3/municipality?per_page=5001", 422),
        ("/v3/municipality?region_type=X", 400),
        (&format!("/v3/data/kpi/N15428/municipality/{too_many}"), 422),
    ];
    for (path, expected) in cases {
        let (status, body) = get(&app, path).await;
        assert_eq!(status, expected, "{path}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{path}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committed_import_is_seen_at_once_despite_the_cache() {
    let app = server().await;
    let store = &app.store;
    let path = "/v3/data/kpi/N15428/municipality/0114/year/2022";
    let (_, before) = get(&app, path).await;
    assert_eq!(before["values"][0]["values"][0]["value"], 70.5);
    let (_, again) = get(&app, path).await;
    assert_eq!(again, before);

    import(
        store,
        vec![ImportChunk::Values(vec![value(
            "N15428",
            "0114",
            2022,
            Gender::Total,
            Datum::Number(71.0),
        )])],
    )
    .await;

    // The server looks for a new data version at most every VERSION_TTL (200 ms).
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let (_, after) = get(&app, path).await;
    assert_eq!(after["values"][0]["values"][0]["value"], 71.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_date_gives_changes_and_deletions_since_a_day() {
    let app = server().await;
    let store = &app.store;
    let path = "/v3/data/kpi/N15428/municipality/0114,0180/year/2021,2022";
    let (_, everything) = get(&app, &format!("{path}?from_date=2000-01-01")).await;
    assert_eq!(everything["count"], 3);
    let (_, nothing) = get(&app, &format!("{path}?from_date=2100-01-01")).await;
    assert_eq!(nothing["count"], 0, "nothing changed after 2100");

    import(
        store,
        vec![ImportChunk::Values(vec![value(
            "N15428",
            "0114",
            2022,
            Gender::Total,
            Datum::Deleted,
        )])],
    )
    .await;

    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let (_, after) = get(&app, &format!("{path}?from_date=2000-01-01")).await;
    let deleted = after["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["municipality"] == "0114")
        .unwrap();
    assert_eq!(
        deleted["values"][0],
        serde_json::json!({"gender": "T", "count": 1, "status": "", "value": null, "isdeleted": true})
    );
    let (_, plain) = get(&app, path).await;
    assert!(
        plain["values"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["municipality"] != "0114"),
        "without from_date a deleted value is simply gone"
    );
    let (status, _) = get(&app, &format!("{path}?from_date=2022-13-01")).await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_come_gzip_compressed_to_clients_that_ask() {
    use std::io::Read as _;
    let app = server().await;
    let path = "/v3/municipality";
    let (_, plain) = get_text(&app, path).await;
    let zipped = app
        .get(path)
        .header("accept-encoding", "gzip, deflate")
        .send()
        .await;
    let head = zipped.head().to_lowercase();
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("vary: accept-encoding"), "{head}");
    let mut body = String::new();
    flate2::read::GzDecoder::new(zipped.bytes.as_slice())
        .read_to_string(&mut body)
        .unwrap();
    assert_eq!(body, plain);
}
