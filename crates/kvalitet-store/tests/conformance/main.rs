//! One conformance suite for both backends. Every test runs on a fresh SQLite file; the
//! `postgres::` copies run on a fresh PostgreSQL database when `TEST_POSTGRES_URL` is set
//! (`.ci/run` sets it) and say they were skipped otherwise. One module per port (values, sync,
//! accounts, own measures, assessments, service tests), all in one test binary.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use kvalitet_app::ports::prelude::*;
use kvalitet_app::ports::{
    CatalogueBatch, ChangeSet, ImportChunk, ImportSource, StoreError, ValueFilter, WriteCounts,
};
use kvalitet_domain::access::AttemptLimit;
use kvalitet_domain::{
    AreaId, County, Datum, Direction, Gender, GroupId, GroupKind, KoladaMeta, Measure, MeasureId,
    MeasureProfile, MeasureSet, MeasureSetArea, MeasureSetItem, MissingStatus, Municipality,
    MunicipalityGroup, MunicipalityId, MunicipalityKind, ValueKey, ValueRow, Year,
};
use kvalitet_store::SqlStore;

/// A moment of a test, from its RFC 3339 text.
fn t(text: &str) -> kvalitet_domain::Timestamp {
    kvalitet_domain::Timestamp::parse(text).unwrap()
}
use tokio::sync::mpsc;

/// A store on a fresh database, and what to remove afterwards.
struct Fresh {
    store: SqlStore,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    Fresh {
        store: SqlStore::open(&url).await.unwrap(),
        _dir: Some(dir),
    }
}

/// A store on a fresh PostgreSQL database; through PgBouncer in transaction mode when
/// `TEST_PGBOUNCER_URL` is set (`.ci/postgres.sh` with `KVALITET_PGBOUNCER=1`), with the
/// direct URL for what needs a session.
async fn postgres() -> Option<Fresh> {
    let url = fresh_postgres_url("kvalitet_test").await?;
    let store = match std::env::var("TEST_PGBOUNCER_URL") {
        Ok(bouncer) => {
            let (bouncer_base, _) = bouncer.rsplit_once('/').unwrap();
            let (_, name) = url.rsplit_once('/').unwrap();
            let options = kvalitet_store::PgOptions {
                pooled: true,
                direct_url: Some(url.clone()),
                read_url: None,
            };
            SqlStore::open_with(&format!("{bouncer_base}/{name}"), &options)
                .await
                .unwrap()
        }
        Err(_) => SqlStore::open(&url).await.unwrap(),
    };
    Some(Fresh { store, _dir: None })
}

/// A new, empty PostgreSQL database on `TEST_POSTGRES_URL`'s server, named from `prefix`.
async fn fresh_postgres_url(prefix: &str) -> Option<String> {
    let admin_url = std::env::var("TEST_POSTGRES_URL").ok()?;
    let admin = SqlStore::connect(&admin_url).await.unwrap();
    let name = format!("{prefix}_{}_{}", std::process::id(), rand_suffix());
    let SqlStore::Postgres(pool, _) = &admin else {
        panic!("TEST_POSTGRES_URL must be postgres://")
    };
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(pool)
        .await
        .unwrap();
    admin.close().await;
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    Some(format!("{base}/{name}"))
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    h.finish() % 1_000_000_000
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(#[tokio::test]
            async fn $name() {
                let fresh = crate::sqlite().await;
                super::$name(&fresh.store).await;
            })*
        }
        mod postgres_backend {
            $(#[tokio::test]
            async fn $name() {
                match crate::postgres().await {
                    Some(fresh) => super::$name(&fresh.store).await,
                    None => eprintln!("skipped: TEST_POSTGRES_URL is not set"),
                }
            })*
        }
    };
}

mod accounts;
mod assessments;
mod award;
mod budgets;
mod dialogues;
mod goals;
mod jobs;
mod mail;
mod own;
mod proposals;
mod replicas;
mod servers;
mod service;
mod surveys;
mod sync;
mod values;

async fn load_framework(store: &SqlStore, text: &str) {
    let f = kvalitet_formats::framework_toml::read(text).unwrap();
    let batch = CatalogueBatch {
        frameworks: vec![(f, text.to_owned())],
        ..CatalogueBatch::default()
    };
    import(
        store,
        vec![ImportChunk::Catalogue(Box::new(batch)), ImportChunk::Commit],
    )
    .await
    .unwrap();
}

async fn person(
    store: &SqlStore,
    email: &str,
    admin_of: Option<&str>,
) -> (kvalitet_domain::UserId, kvalitet_domain::Grants) {
    use kvalitet_app::ports::{Actor, NewUser};
    let actor = Actor {
        who: "cli:root".into(),
        at: t("2026-11-22T10:00:00Z"),
    };
    let id = store
        .create_user(
            &NewUser {
                email: email.into(),
                name: email.into(),
                password_hash: "$argon2id$x".into(),
                system_admin: false,
            },
            &actor,
        )
        .await
        .unwrap();
    let mut grants = kvalitet_domain::Grants::default();
    if let Some(muni) = admin_of {
        store
            .set_role(id, &m(muni), Some(kvalitet_domain::Role::Admin), &actor)
            .await
            .unwrap();
        grants.roles.push((m(muni), kvalitet_domain::Role::Admin));
    }
    (id, grants)
}

fn number(d: &Datum) -> f64 {
    match d {
        Datum::Number(x) => *x,
        other => panic!("{other:?} is not a number"),
    }
}

fn m(id: &str) -> MunicipalityId {
    MunicipalityId::parse(id).unwrap()
}
fn kpi(id: &str) -> MeasureId {
    MeasureId::parse(id).unwrap()
}
fn year(y: i64) -> Year {
    Year::new(y).unwrap()
}

fn catalogue() -> CatalogueBatch {
    CatalogueBatch {
        catalogue_year: Some(year(2026)),
        counties: vec![(
            County {
                code: "01".into(),
                name: "Stockholms län".into(),
            },
            Some(m("0001")),
        )],
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
        neighbours: vec![(m("0114"), vec![m("0180")])],
        measures: vec![
            Measure::from_kolada(
                kpi("N15428"),
                "Behöriga till yrkesprogram, andel (%)".into(),
                "Källa: Skolverket.".into(),
                KoladaMeta {
                    is_divided_by_gender: true,
                    municipality_type: Some("K".into()),
                    ..KoladaMeta::default()
                },
            ),
            Measure::from_kolada(
                kpi("N00003"),
                "Personalkostnader, kr/inv".into(),
                "Källa: SCB.".into(),
                KoladaMeta::default(),
            ),
        ],
        kpi_groups: vec![],
        measure_sets: vec![],
        shapes: vec![(m("0180"), "M0 0L1 1Z".into())],
        frameworks: vec![],
    }
}

/// The moment every test import is made: the store stamps its batches with the time it is
/// given, not its own clock.
fn imported_at() -> kvalitet_domain::Timestamp {
    kvalitet_domain::Timestamp::parse("2026-03-02T09:15:00Z").unwrap()
}

fn source() -> ImportSource {
    ImportSource {
        source: "test".into(),
        format: "test".into(),
        at: imported_at(),
    }
}

async fn import(store: &SqlStore, chunks: Vec<ImportChunk>) -> Result<WriteCounts, StoreError> {
    let (tx, rx) = mpsc::channel(chunks.len() + 1);
    for c in chunks {
        tx.send(c).await.unwrap();
    }
    drop(tx);
    store.import(&source(), rx).await
}

async fn load_catalogue(store: &SqlStore) {
    import(
        store,
        vec![
            ImportChunk::Catalogue(Box::new(catalogue())),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
}

fn value(measure: &str, area: &str, y: i64, gender: Gender, datum: Datum) -> ValueRow {
    ValueRow {
        key: ValueKey {
            measure: kpi(measure),
            area: AreaId::parse(area).unwrap(),
            year: year(y),
            gender,
        },
        datum,
        count: None,
    }
}

async fn all_values(store: &SqlStore, filter: ValueFilter) -> Vec<ValueRow> {
    let (tx, mut rx) = mpsc::channel(4);
    let (n, rows) = tokio::join!(store.export_values(&filter, tx), async {
        let mut rows = Vec::new();
        while let Some(chunk) = rx.recv().await {
            rows.extend(chunk.into_iter().map(|v| v.row));
        }
        rows
    });
    assert_eq!(n.unwrap() as usize, rows.len());
    rows
}
