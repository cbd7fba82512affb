//! Sveriges Kvalitetskommun's step 2 and jury over HTTP: a kommun's editor writes its four
//! descriptions (a bad link sent back beside its field, the text kept), the dossier in the
//! jury's order as a page, a tagged PDF and an .odt, private until published; a system
//! administrator nominates, scores and publishes; the published page numbers the jurors
//! and names no address.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use kvalitet_app::ports::CatalogueBatch;
use kvalitet_domain::{
    AreaId, Datum, Gender, KoladaMeta, Measure, MeasureId, Municipality, MunicipalityId,
    MunicipalityKind, Role, ValueKey, ValueRow, Year,
};
use kvalitet_testkit::{Seed, TestApp};
use kvalitet_web::ScreeningSetting;

const SET: &str = r#"
id = "test"
title = "Provurval"
normalise = "all"
improvement_years = 2
min_coverage = 0.5

[[measures]]
id = "N15428"
dimension = "Resultat"
weight = 1
better = "higher"

[[measures]]
id = "N03102"
dimension = "Ekonomi"
weight = 1
better = "higher"
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
        municipalities: vec![kommun("0180", "Stockholm"), kommun("1480", "Göteborg")],
        measures: vec![
            measure("N15428", "Elever i åk 9 behöriga, andel (%)"),
            measure("N03102", "Soliditet, andel (%)"),
            measure("U00200", "Hållbart medarbetarengagemang (HME), totalindex"),
        ],
        ..CatalogueBatch::default()
    };
    let mut values = Vec::new();
    for (m, xs) in [("0180", [80.0, 85.0, 90.0]), ("1480", [90.0, 85.0, 80.0])] {
        for (y, x) in (2023..).zip(xs) {
            values.push(value("N15428", m, y, x));
            values.push(value("N03102", m, y, x / 2.0));
        }
    }
    values.push(value("U00200", "1480", 2024, 79.0));
    values.push(value("U00200", "1480", 2025, 81.0));
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
        typesetter: Some(Arc::new(kvalitet_pdf::TypstTypesetter)),
        ..kvalitet_web::SiteOptions::default()
    };
    Seed::default()
        .catalogue(|c| *c = catalogue)
        .values(values)
        .person("red@goteborg.se", "Red Aktör", &[("1480", Role::Editor)])
        .person(
            "sthlm@stockholm.se",
            "Annan Kommun",
            &[("0180", Role::Admin)],
        )
        .system_admin("jury@skr.se", "Jury Ordförande")
        .options(options)
        .start()
        .await
}

const WRITE: &str = "/admin/kommun/1480/kvalitetskommun/2026";
const DOSSIER: &str = "/kvalitetskommun/underlag/2026/1480";

#[tokio::test]
async fn an_editor_writes_the_descriptions_and_the_dossier_follows_the_jurys_order() {
    let app = server().await;
    let mut red = app.logged_in("red@goteborg.se").await;
    let page = red.get(WRITE).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for theme in ["digitalisering", "ledarskap", "samspel", "omstallning"] {
        assert!(
            page.body
                .contains(&format!(r#"name="theme" value="{theme}""#))
        );
    }
    // A link that could run is sent back beside its field, with what was typed.
    let bad = red
        .post(
            WRITE,
            &[
                ("theme", "ledarskap"),
                ("body", "Vi leder <tillsammans>."),
                ("evidence", "Policy | javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains(r#"id="ledarskap-evidence-error""#),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("Vi leder &lt;tillsammans&gt;."),
        "the text is kept"
    );
    let saved = red
        .post(
            WRITE,
            &[
                ("theme", "ledarskap"),
                ("body", "Vi leder <tillsammans>.\n\nAndra stycket."),
                (
                    "evidence",
                    "Ledarpolicy | https://goteborg.se/policy\n/kommun/1480/mal",
                ),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = red.get(WRITE).await;
    assert!(
        page.body.contains("Senast sparad av red@goteborg.se"),
        "{}",
        page.body
    );

    // Another kommun's people and residents do not see it before publishing.
    assert_eq!(app.get(DOSSIER).send().await.status, 404);
    let mut other = app.logged_in("sthlm@stockholm.se").await;
    assert_eq!(other.get(DOSSIER).await.status, 404);
    assert_eq!(other.get(WRITE).await.status, 403);

    let dossier = red.get(DOSSIER).await;
    assert_eq!(dossier.status, 200, "{}", dossier.body);
    let body = &dossier.body;
    let at = |needle: &str| {
        body.find(needle)
            .unwrap_or_else(|| panic!("{needle} is not in {body}"))
    };
    // The jury's order.
    assert!(at("Resultat och effektivitet") < at("Ekonomi och god ekonomisk hushållning"));
    assert!(at("Ekonomi och god ekonomisk hushållning") < at("Arbetsgivarens resultat (HME)"));
    assert!(at("Arbetsgivarens resultat (HME)") < at("<h2>Kommunkompassen</h2>"));
    assert!(at("<h2>Kommunkompassen</h2>") < at("Kommunens beskrivningar (steg 2)"));
    // The screening's figures split: behöriga under results, soliditet under finances.
    assert!(at("Elever i åk 9 behöriga") < at("Ekonomi och god ekonomisk hushållning"));
    assert!(at("Soliditet") > at("Ekonomi och god ekonomisk hushållning"));
    // HME from Kolada, years before the award year; the descriptions escaped, in paragraphs.
    assert!(body.contains("<td>79</td><td>81</td>"), "{body}");
    assert!(body.contains("<p>Vi leder &lt;tillsammans&gt;.</p>\n<p>Andra stycket.</p>"));
    assert!(body.contains("Ledarpolicy: https://goteborg.se/policy"));
    assert!(body.contains("Inte skriven ännu."));

    let pdf = red.get(&format!("{DOSSIER}/underlag.pdf")).await;
    assert_eq!(pdf.status, 200, "{}", pdf.body);
    assert!(kvalitet_testkit::pdfinfo(&pdf.bytes).contains("Tagged:          yes"));
    let text = kvalitet_testkit::pdftotext(&pdf.bytes);
    assert!(text.contains("Vi leder <tillsammans>.") && text.contains("Kommunkompassen"));
    let odt = red.get(&format!("{DOSSIER}/underlag.odt")).await;
    assert_eq!(odt.status, 200);
    assert!(odt.bytes.starts_with(b"PK"));
}

#[tokio::test]
async fn the_jury_nominates_scores_and_publishes_and_the_public_page_names_no_juror() {
    let app = server().await;
    let mut red = app.logged_in("red@goteborg.se").await;
    assert_eq!(red.get("/admin/kvalitetskommun/2026").await.status, 403);
    let mut jury = app.logged_in("jury@skr.se").await;
    let page = jury.get("/admin/kvalitetskommun/2026").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let bad = jury
        .post(
            "/admin/kvalitetskommun/2026/nominerade",
            &[("nominees", "1480, 9999")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("9999 är ingen kommun."), "{}", bad.body);
    let ok = jury
        .post(
            "/admin/kvalitetskommun/2026/nominerade",
            &[("nominees", "1480 0180")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let out_of_range = jury
        .post(
            "/admin/kvalitetskommun/2026/poang",
            &[
                ("municipality", "1480"),
                ("criterion", "hme"),
                ("score", "9"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(out_of_range.status, 400);
    assert!(out_of_range.body.contains(r#"id="s-1480-hme-score-error""#));
    // The score not chosen yet (the form's empty first choice) is sent back too.
    let unchosen = jury
        .post(
            "/admin/kvalitetskommun/2026/poang",
            &[
                ("municipality", "1480"),
                ("criterion", "hme"),
                ("score", ""),
                ("note", "Stark utveckling."),
            ],
        )
        .await;
    assert_eq!(unchosen.status, 400);
    assert!(
        unchosen.body.contains("Stark utveckling."),
        "typed note kept"
    );
    let scored = jury
        .post(
            "/admin/kvalitetskommun/2026/poang",
            &[
                ("municipality", "1480"),
                ("criterion", "hme"),
                ("score", "4"),
                ("note", "Stark utveckling."),
            ],
        )
        .await;
    assert_eq!(scored.status, 303, "{}", scored.body);
    let page = jury.get("/admin/kvalitetskommun/2026").await;
    assert!(
        page.body.contains("jury@skr.se: 4 – Stark utveckling."),
        "{}",
        page.body
    );
    // Private until published.
    assert_eq!(
        app.get("/kvalitetskommun/jury/2026").send().await.status,
        404
    );
    let published = jury
        .post("/admin/kvalitetskommun/2026/publicera", &[])
        .await;
    assert_eq!(published.status, 303, "{}", published.body);
    let public = app.get("/kvalitetskommun/jury/2026").send().await;
    assert_eq!(public.status, 200, "{}", public.body);
    assert!(public.body.contains("Jurymedlem 1: 4 – Stark utveckling."));
    assert!(!public.body.contains("jury@skr.se"));
    // The dossier is public now, and nothing can be changed.
    assert_eq!(app.get(DOSSIER).send().await.status, 200);
    let late = red
        .post(
            WRITE,
            &[("theme", "samspel"), ("body", "Sent."), ("evidence", "")],
        )
        .await;
    assert_eq!(late.status, 400);
    // English.
    let en = app.get("/en/kvalitetskommun/jury/2026").send().await;
    assert!(en.body.contains("Juror 1"), "{}", en.body);
}
