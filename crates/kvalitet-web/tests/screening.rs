//! Sveriges Kvalitetskommun step 1 over HTTP: the screening page, a kommun's breakdown and the
//! downloads on a hand-computed case (two figures, four kommuner, three years), in Swedish and
//! English, and 404 (not 500) for a year without values or an unknown kommun.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use kvalitet_app::ports::CatalogueBatch;
use kvalitet_domain::{
    AreaId, Datum, Gender, KoladaMeta, Measure, MeasureId, Municipality, MunicipalityId,
    MunicipalityKind, ValueKey, ValueRow, Year,
};
use kvalitet_testkit::{Seed, TestApp};
use kvalitet_web::ScreeningSetting;

const SET: &str = r#"
id = "test"
title = "Provurval"
title_en = "Test set"
normalise = "all"
improvement_years = 2
min_coverage = 0.75

[[measures]]
id = "N15428"
dimension = "Resultat"
dimension_en = "Results"
weight = 1
better = "higher"

[[measures]]
id = "U23401"
dimension = "Tillgänglighet"
weight = 1
better = "lower"
"#;

fn value(measure: &str, area: &str, year: i64, x: f64) -> ValueRow {
    ValueRow {
        key: ValueKey {
            measure: MeasureId::parse(measure).unwrap(),
            area: AreaId::parse(area).unwrap(),
            year: Year::new(year).unwrap(),
            gender: Gender::Total,
        },
        datum: Datum::Number(x),
        count: None,
    }
}

async fn server() -> TestApp {
    let kommun = |id: &str, title: &str| {
        Municipality::new(
            MunicipalityId::parse(id).unwrap(),
            title.into(),
            MunicipalityKind::Kommun,
        )
    };
    let measure = |id: &str, title: &str| {
        Measure::from_kolada(
            MeasureId::parse(id).unwrap(),
            title.into(),
            String::new(),
            KoladaMeta::default(),
        )
    };
    let catalogue = CatalogueBatch {
        catalogue_year: Some(Year::new(2026).unwrap()),
        municipalities: vec![
            kommun("0180", "Stockholm"),
            kommun("1480", "Göteborg"),
            kommun("2321", "Åre"),
            kommun("1407", "Öckerö"),
        ],
        measures: vec![
            measure("N15428", "Elever i åk 9 behöriga, andel (%)"),
            measure("U23401", "Väntetid särskilt boende, dagar"),
        ],
        ..CatalogueBatch::default()
    };
    let mut values = Vec::new();
    // Behöriga (higher better) 2020–2022: Stockholm rises 5 a year, Göteborg falls 5, Åre
    // stays, Öckerö has 2022 only.
    for (m, xs) in [
        ("0180", [80.0, 85.0, 90.0]),
        ("1480", [90.0, 85.0, 80.0]),
        ("2321", [70.0, 70.0, 70.0]),
    ] {
        for (y, x) in (2020..).zip(xs) {
            values.push(value("N15428", m, y, x));
        }
    }
    values.push(value("N15428", "1407", 2022, 60.0));
    // Waiting days (lower better): Stockholm falls 5 a year, Göteborg stays, Åre rises.
    for (m, xs) in [
        ("0180", [40.0, 35.0, 30.0]),
        ("1480", [40.0, 40.0, 40.0]),
        ("2321", [45.0, 50.0, 50.0]),
    ] {
        for (y, x) in (2020..).zip(xs) {
            values.push(value("U23401", m, y, x));
        }
    }
    let screening = kvalitet_app::screening::read_set(
        SET,
        &kvalitet_app::report::Directory {
            measures: catalogue
                .measures
                .iter()
                .map(|m| (m.id, m.clone()))
                .collect(),
            ..Default::default()
        },
    )
    .unwrap();
    let options = kvalitet_web::SiteOptions {
        screening: Arc::new(ScreeningSetting {
            read: screening,
            text: SET.to_owned(),
        }),
        ..kvalitet_web::SiteOptions::default()
    };
    Seed::default()
        .catalogue(|c| *c = catalogue)
        .values(values)
        .options(options)
        .start()
        .await
}

fn section<'a>(html: &'a str, id: &str) -> &'a str {
    html.split(&format!(r#"id="{id}""#))
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap_or_default()
}

/// Level 2022: behöriga 90, 80, 70, 60 → 100, 66.7, 33.3, 0; waiting (lower better) 30, 40,
/// 50 → 100, 50, 0. Stockholm (100 + 100)/2 = 100, Göteborg 58.3, Åre 16.7; Öckerö has
/// half the weight (< 75 %) and is not ranked. Improvement 2020–2022: slopes +5, −5, 0 →
/// 100, 0, 50; waiting −5, 0, +2.5 → 100, 50, 0: Stockholm 100, Göteborg and Åre 25 (shared
/// rank 2).
#[tokio::test]
async fn the_screening_ranks_by_hand_computed_scores_and_names_the_rule() {
    let app = server().await;
    let page = app.get("/kvalitetskommun").send().await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = page.body;
    assert!(html.contains("<h1>Provurval</h1>"));
    assert!(html.contains("Rangordning 2022"));
    let ranking = section(&html, "skq-ranking");
    let rows: Vec<&str> = ranking.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 3, "{ranking}");
    assert!(
        rows[0].contains("Stockholm") && rows[0].contains(">100,0<"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("Göteborg") && rows[1].contains(">58,3<"),
        "{}",
        rows[1]
    );
    assert!(
        rows[2].contains("Åre") && rows[2].contains(">16,7<"),
        "{}",
        rows[2]
    );
    assert!(ranking.contains("Inte rangordnade"));
    assert!(ranking.contains("Öckerö</a> (50 %)"), "{ranking}");
    let improvers = section(&html, "skq-improvers");
    assert!(improvers.contains("2020–2022"));
    let shared: Vec<&str> = improvers
        .split("<tr>")
        .filter(|r| r.contains(r#"<td class="num">2</td>"#))
        .collect();
    assert_eq!(shared.len(), 2, "{improvers}");
    // The weights are shown, and the set's own file is downloadable as it is.
    assert!(html.contains(">50 %<"));
    let file = app.get("/kvalitetskommun/urval.toml").send().await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body, SET);
    // English.
    let en = app.get("/en/kvalitetskommun").send().await;
    assert_eq!(en.status, 200);
    assert!(en.body.contains("<h1>Test set</h1>") && en.body.contains("Ranking 2022"));
    // An earlier year with values is screened on its own.
    let earlier = app.get("/kvalitetskommun?ar=2021").send().await;
    assert_eq!(earlier.status, 200);
    assert!(earlier.body.contains("Rangordning 2021"));
}

#[tokio::test]
async fn a_kommun_breakdown_and_the_csv_carry_every_figure() {
    let app = server().await;
    let page = app.get("/kvalitetskommun/kommun/1480").send().await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Plats 2 av 3 på nivån, med 58,3 poäng."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Plats 2 på utvecklingen 2020–2022, med 25,0 poäng.")
    );
    // Göteborg's behöriga fell 5 a year; shown with its sign in Swedish format.
    assert!(
        page.body.contains("−5,0") || page.body.contains("-5,0"),
        "{}",
        page.body
    );
    let csv = app.get("/kvalitetskommun/data.csv").send().await;
    assert_eq!(csv.status, 200);
    let mut lines = csv.body.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let row = |id: &str| {
        rows.iter()
            .find(|r| r[col("municipality_id")] == id)
            .unwrap()
    };
    assert_eq!(row("0180")[col("level_rank")], "1");
    assert_eq!(row("0180")[col("level_score")], "100");
    assert_eq!(row("1480")[col("level_score")], "58.333333");
    assert_eq!(row("1407")[col("level_rank")], "");
    assert_eq!(row("1407")[col("level_weight_share")], "0.5");
    assert_eq!(row("1480")[col("N15428_slope_per_year")], "-5");
    assert_eq!(row("2321")[col("U23401_improvement_score")], "0");
    assert_eq!(row("2321")[col("improvement_rank")], "2");
}

#[tokio::test]
async fn a_year_without_values_or_an_unknown_kommun_is_a_clear_404() {
    let app = server().await;
    let year = app.get("/kvalitetskommun?ar=2015").send().await;
    assert_eq!(year.status, 404);
    assert!(
        year.body.contains("för få av urvalets nyckeltal"),
        "{}",
        year.body
    );
    let kommun = app.get("/kvalitetskommun/kommun/9999").send().await;
    assert_eq!(kommun.status, 404);
    let file = app.get("/kvalitetskommun/annat.pdf").send().await;
    assert_eq!(file.status, 404);
}
