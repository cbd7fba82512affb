//! The real Kolada files from `../shared/data` (when present): catalogue, municipalities and
//! all 4.5 M values import with the published counts and known values.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

mod common;

use common::{kvalitet_ok, serve};

fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    dir.join("kolada_values/kolada_values_total_1994-2022.csv.gz")
        .exists()
        .then_some(dir)
}

#[test]
fn the_real_catalogue_and_values_import_with_their_published_counts() {
    let Some(data) = shared_data() else {
        eprintln!("skipped: ../shared/data is not present");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("real.db").display());
    let run = |args: &[&str]| kvalitet_ok(&url, args).1;
    let meta = data.join("kolada_meta");
    let municipalities = data.join("municipalities");
    let values = data.join("kolada_values/kolada_values_total_1994-2022.csv.gz");
    let report = run(&[
        "import",
        "-q",
        meta.to_str().unwrap(),
        municipalities.to_str().unwrap(),
        values.to_str().unwrap(),
    ]);
    assert!(
        report.contains("kolada_kpi_catalogue_2026.csv: kpi-catalogue-csv: read 6099,"),
        "{report}"
    );
    assert!(
        report.contains("kolada_municipality_2026.csv: municipalities-csv: read 312, inserted 312"),
        "{report}"
    );
    assert!(
        report.contains("kolada_values_total_1994-2022.csv.gz: values-csv: read 4542773, inserted 4542773, updated 0, unchanged 0, deleted 0, rejected 0"),
        "{report}"
    );

    let store = tokio::runtime::Runtime::new().unwrap();
    store.block_on(async {
        use kvalitet_app::ports::prelude::*;
        let store = kvalitet_store::SqlStore::open(&url).await.unwrap();
        let overview = store.overview().await.unwrap();
        assert_eq!(
            (overview.kommuner, overview.regions, overview.riket),
            (290, 21, 1)
        );
        assert_eq!(overview.values, 4_542_773);
        assert_eq!(
            (overview.first_year, overview.last_year),
            (Some(1994), Some(2022))
        );
        let year = kvalitet_domain::Year::new(2026).unwrap();
        assert_eq!(
            store.measure_count(Some(year)).await.unwrap(),
            6099,
            "KPIs in the 2026 catalogue"
        );
        // The 2024 catalogue adds KPIs since retired, whose values are in the dump.
        assert_eq!(store.measure_count(None).await.unwrap(), 6142);
        let groups = store.groups().await.unwrap();
        let big_cities = groups.iter().find(|g| g.id.as_str() == "G92787").unwrap();
        assert_eq!(big_cities.kind, kvalitet_domain::GroupKind::SkrKommungrupp);
        assert_eq!(big_cities.members.len(), 3);
        store.close().await;
    });

    let riket = run(&[
        "export",
        "--measure",
        "N15428",
        "--municipality",
        "0000",
        "--year",
        "2022",
    ]);
    assert!(
        riket.contains("N15428,0000,2022,T,85.310222,,\n"),
        "{riket}"
    );
    let stockholm = run(&[
        "export",
        "--measure",
        "N00945",
        "--municipality",
        "0180,1280,1480",
        "--year",
        "2000",
    ]);
    for expected in [
        "N00945,0180,2000,T,31.32959689,,",
        "N00945,1280,2000,T,28.36722648,,",
        "N00945,1480,2000,T,33.23952169,,",
    ] {
        assert!(stockholm.contains(expected), "{stockholm}");
    }

    let again = run(&["import", "-q", values.to_str().unwrap()]);
    assert!(
        again.contains("read 4542773, inserted 0, updated 0, unchanged 4542773"),
        "{again}"
    );
}

#[test]
fn an_instance_synced_from_another_has_every_real_value() {
    let Some(data) = shared_data() else {
        eprintln!("skipped: ../shared/data is not present");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url_a = format!("sqlite://{}", dir.path().join("a.db").display());
    let url_b = format!("sqlite://{}", dir.path().join("b.db").display());
    let run = kvalitet_ok;
    let path = |p: &str| data.join(p).display().to_string();
    run(
        &url_a,
        &[
            "import",
            "-q",
            &path("kolada_meta"),
            &path("municipalities"),
        ],
    );
    run(
        &url_a,
        &[
            "import",
            "-q",
            &path("kolada_values/kkik_values_total.csv"),
            &path("kolada_values/kkik_values_gender.csv"),
        ],
    );
    let (mut server, addr) = serve(&url_a);
    let source = format!("http://{addr}/v3");
    let synced = std::panic::catch_unwind(|| {
        run(
            &url_b,
            &[
                "sync",
                "--source",
                &source,
                "--year",
                "1994-2022",
                "--rate",
                "1000",
                "-q",
            ],
        )
    });
    server.kill().unwrap();
    let _ = server.wait();
    let (_, report) = synced.unwrap();
    assert!(report.contains("failed pages 0"), "{report}");

    let (a, _) = run(&url_a, &["export"]);
    let (b, _) = run(&url_b, &["export"]);
    assert_eq!(
        a.lines().count(),
        205_924,
        "the two KKiK files hold 205,923 values"
    );
    assert!(
        a == b,
        "B differs from A: {} vs {} lines",
        a.lines().count(),
        b.lines().count()
    );
    let (municipalities_a, _) = run(
        &url_a,
        &["export", "--municipality", "0180", "--measure", "N15428"],
    );
    assert!(
        municipalities_a.contains("N15428,0180,2022,T,"),
        "{municipalities_a}"
    );
}
