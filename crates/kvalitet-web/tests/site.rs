//! The citizen site and `/api/v1` over HTTP on a small hand-made dataset whose comparisons
//! are checked by hand: colours, ranks with ties, snitt, trends, populations, Swedish order,
//! downloads, security headers, and 400/404 (never 500) for bad input.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

use kvalitet_app::ports::CatalogueBatch;
use kvalitet_domain::{
    AreaId, County, Datum, Direction, Gender, GroupId, GroupKind, KoladaMeta, Measure, MeasureId,
    MeasureProfile, MeasureSet, MeasureSetArea, MeasureSetItem, MissingStatus, Municipality,
    MunicipalityGroup, MunicipalityId, MunicipalityKind, ValueKey, ValueRow, Year,
};
use kvalitet_testkit::{Seed, TestApp};

fn m(id: &str) -> MunicipalityId {
    MunicipalityId::parse(id).unwrap()
}

fn kpi(id: &str) -> MeasureId {
    MeasureId::parse(id).unwrap()
}

fn value(measure: &str, area: &str, year: i64, datum: Datum) -> ValueRow {
    ValueRow {
        key: ValueKey {
            measure: kpi(measure),
            area: AreaId::parse(area).unwrap(),
            year: Year::new(year).unwrap(),
            gender: Gender::Total,
        },
        datum,
        count: None,
    }
}

fn item(
    id: &str,
    question: &str,
    direction: Direction,
    decimals: u8,
    unit: &str,
) -> MeasureSetItem {
    MeasureSetItem {
        measure: kpi(id),
        question: question.into(),
        question_en: Some(format!("EN {question}")),
        profile: Some(MeasureProfile {
            measure: kpi(id),
            question: question.into(),
            question_en: Some(format!("EN {question}")),
            unit: Some(unit.into()),
            unit_en: None,
            direction,
            decimals,
        }),
    }
}

/// Six kommuner (with Å, Ö and the two Upplands), Riket, one county, a group, neighbours,
/// three measures (higher, lower, no direction) in a set, values for 2021 and 2022.
async fn server() -> TestApp {
    server_with(kvalitet_web::SiteOptions::default()).await
}

async fn server_with(options: kvalitet_web::SiteOptions) -> TestApp {
    seed().options(options).start().await
}

/// The seed of [`server`], for tests that add people.
fn seed() -> Seed {
    let kommun =
        |id: &str, title: &str| Municipality::new(m(id), title.into(), MunicipalityKind::Kommun);
    let measure = |id: &str, title: &str| {
        Measure::from_kolada(
            kpi(id),
            title.into(),
            format!("{title}. Källa: SCB."),
            KoladaMeta::default(),
        )
    };
    let set = MeasureSet::new(
        "kkik",
        "KKiK",
        vec![MeasureSetArea {
            title: "Barn och unga".into(),
            title_en: Some("Children".into()),
            items: vec![
                item(
                    "N15428",
                    "Hur många är behöriga?",
                    Direction::HigherIsBetter,
                    1,
                    "procent",
                ),
                item(
                    "U23401",
                    "Hur länge väntar man?",
                    Direction::LowerIsBetter,
                    0,
                    "dagar",
                ),
                item(
                    "N11008",
                    "Vad kostar förskolan?",
                    Direction::None,
                    0,
                    "kronor",
                ),
            ],
        }],
    );
    let catalogue = CatalogueBatch {
        catalogue_year: Some(Year::new(2026).unwrap()),
        counties: vec![(
            County {
                code: "01".into(),
                name: "Stockholms län".into(),
            },
            None,
        )],
        municipalities: vec![
            kommun("0180", "Stockholm"),
            kommun("1480", "Göteborg"),
            kommun("2321", "Åre"),
            kommun("1407", "Öckerö"),
            kommun("0114", "Upplands Väsby"),
            kommun("0139", "Upplands-Bro"),
            Municipality::new(m("0000"), "Riket".into(), MunicipalityKind::Riket),
        ],
        groups: vec![MunicipalityGroup {
            id: GroupId::parse("G1").unwrap(),
            title: "Storstäder <b>".into(),
            kind: GroupKind::Custom,
            members: vec![m("0180"), m("1480")],
        }],
        neighbours: vec![(m("0114"), vec![m("0139"), m("0180")])],
        measures: vec![
            measure("N15428", "Elever i åk 9 behöriga, andel (%)"),
            measure("U23401", "Väntetid särskilt boende, dagar"),
            measure("N11008", "Kostnad förskola, kr/inskrivet barn"),
            measure(
                "N15543",
                "Elever i åk 6 som uppnått kunskapskraven, andel (%)",
            ),
            measure("X0180-1", "Nöjda besökare i simhallen, andel (%)").owned_by(m("0180")),
        ],
        measure_sets: vec![set],
        shapes: vec![
            (m("0180"), "M1 1L9 1L9 9Z".into()),
            (m("1480"), "M20 20L30 20L30 30Z".into()),
        ],
        ..CatalogueBatch::default()
    };
    let n = |x: f64| Datum::Number(x);
    let values = vec![
        value("N15428", "0180", 2022, n(90.0)),
        value("N15428", "1480", 2022, n(80.0)),
        value("N15428", "2321", 2022, n(80.0)),
        value("N15428", "1407", 2022, n(70.0)),
        value("N15428", "0114", 2022, n(60.0)),
        value(
            "N15428",
            "0139",
            2022,
            Datum::Missing(MissingStatus::Secret),
        ),
        value("N15428", "0000", 2022, n(85.3)),
        value("N15428", "0180", 2021, n(88.0)),
        value("N15428", "1480", 2021, n(80.04)),
        value("N15428", "0114", 2021, n(65.0)),
        value("U23401", "0180", 2022, n(30.0)),
        value("U23401", "1480", 2022, n(40.0)),
        value("U23401", "2321", 2022, n(50.0)),
        value("U23401", "1407", 2022, n(60.0)),
        value("U23401", "0180", 2021, n(45.0)),
        value("N11008", "0180", 2022, n(150000.0)),
        value("N11008", "1480", 2022, n(140000.0)),
        value("N11008", "2321", 2022, n(130000.0)),
        value("N11008", "1407", 2022, n(120000.0)),
        value("X0180-1", "0180", 2022, n(91.5)),
    ];
    Seed::default().catalogue(|c| *c = catalogue).values(values)
}

/// The ranking lists those with a value; the others are one line with their names and why.
#[tokio::test]
async fn the_ranking_lists_values_and_names_the_rest_in_one_line() {
    let app = server().await;
    let (_, html) = page(&app, "/kommun/0180/matt/N15428?ar=2022&jamfor=all").await;
    let ranking = html
        .split(r#"id="rank-h""#)
        .nth(1)
        .and_then(|r| r.split("</section>").next())
        .unwrap_or_default();
    assert_eq!(ranking.matches("<tr class=").count(), 5, "{ranking}");
    assert!(
        ranking.contains("<summary>Utan värde: 1 kommun</summary>")
            && ranking.contains(">Upplands-Bro</a>: "),
        "{ranking}"
    );
}

/// A measure nobody has values for yet says so once, without an empty chart, map or ranking.
#[tokio::test]
async fn a_measure_without_values_anywhere_says_so_plainly() {
    let app = server().await;
    let (status, html) = page(&app, "/kommun/0180/matt/N15543").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Det finns ännu inga värden för det här måttet i någon kommun."),
        "{html}"
    );
    for absent in [
        r#"class="chart""#,
        r#"id="map-h""#,
        r#"id="rank-h""#,
        "inga värden för det här valet",
    ] {
        assert!(
            !html.contains(absent),
            "{absent} on the page of a measure without values"
        );
    }
    assert!(
        html.contains(r#"id="about-h""#),
        "what the measure is stays"
    );
}

/// Once the municipality has saved its rules for e-förslag, its page links to them (and not
/// before: there is nothing to propose to).
#[tokio::test]
async fn the_municipality_page_links_to_e_forslag_once_they_are_taken() {
    use kvalitet_domain::Role;
    let app = seed()
        .person("bo@kommun.se", "Bo", &[("0180", Role::Editor)])
        .start()
        .await;
    let (status, before) = page(&app, "/kommun/0180").await;
    assert_eq!(status, 200);
    assert!(!before.contains("/kommun/0180/e-forslag"), "{before}");
    let mut bo = app.logged_in("bo@kommun.se").await;
    let saved = bo
        .post(
            "/admin/kommun/0180/e-forslag",
            &[
                ("threshold_kind", "signatures"),
                ("threshold_value", "2"),
                ("signing_days", "30"),
                ("answer_working_days", "5"),
                ("areas", "Skola"),
                ("rules", "Förslaget ska gälla kommunen."),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let (_, after) = page(&app, "/kommun/0180").await;
    assert!(
        after.contains(r#"<a href="/kommun/0180/e-forslag">"#),
        "{after}"
    );
    let (_, english) = page(&app, "/en/kommun/0180").await;
    assert!(
        english.contains(r#"<a href="/en/kommun/0180/e-forslag">"#),
        "{english}"
    );
}

/// The municipality's own words on its page: an introduction (with every version kept and
/// an English translation or the Swedish marked as Swedish) and a comment on a card; and
/// the summary's "changed most" measured in the spread of the middle half.
#[tokio::test]
async fn the_municipality_introduces_its_results_and_comments_on_them() {
    use kvalitet_domain::Role;
    let app = seed()
        .person("bo@kommun.se", "Bo", &[("0180", Role::Editor)])
        .person("cia@kommun.se", "Cia", &[("0180", Role::Reader)])
        .start()
        .await;
    let mut bo = app.logged_in("bo@kommun.se").await;
    let saved = bo
        .post(
            "/admin/kommun/0180/inledning",
            &[
                ("body", "Vi satsar på skolan.\r\n\r\nLäs mer <här>."),
                ("body_en", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let (_, sv) = page(&app, "/kommun/0180").await;
    assert!(sv.contains("Stockholm om sina resultat"), "{sv}");
    assert!(sv.contains("<p>Vi satsar på skolan.</p><p>Läs mer &lt;här&gt;.</p>"));
    let (_, en) = page(&app, "/en/kommun/0180").await;
    assert!(
        en.contains(r#"<div lang="sv"><p>Vi satsar på skolan.</p>"#),
        "no translation: the Swedish, marked as Swedish: {en}"
    );
    // A changed text makes the pages again but not what they are made from: the catalogue
    // and the measures' values are not loaded again (they key on the values version).
    let loads = || async {
        let metrics = app.get("/metrics").from_this_machine().send().await.body;
        ["directory", "series"].map(|cache| {
            let line =
                format!("kvalitet_cache_lookups_total{{cache=\"{cache}\",result=\"miss\"}} ");
            metrics
                .lines()
                .find_map(|l| l.strip_prefix(&line))
                .unwrap_or_else(|| panic!("{line} in {metrics}"))
                .to_owned()
        })
    };
    let before = loads().await;
    bo.post(
        "/admin/kommun/0180/inledning",
        &[("body", "Skolan först."), ("body_en", "The school first.")],
    )
    .await;
    let (_, en) = page(&app, "/en/kommun/0180").await;
    assert!(en.contains("<div><p>The school first.</p></div>"), "{en}");
    assert_eq!(loads().await, before, "directory and series misses");
    let admin = bo.get("/admin/kommun/0180").await;
    assert!(
        admin.body.contains("Skolan först.</textarea>")
            && admin.body.contains("Tidigare versioner (1)")
            && admin.body.contains("Läs mer &lt;här&gt;."),
        "the form holds the text, the earlier version is kept: {}",
        admin.body
    );
    let english_alone = bo
        .post(
            "/admin/kommun/0180/inledning",
            &[("body", ""), ("body_en", "Only English.")],
        )
        .await;
    assert_eq!(english_alone.status, 400);
    assert!(
        english_alone
            .body
            .contains("skriv den svenska texten först"),
        "{}",
        english_alone.body
    );
    let mut cia = app.logged_in("cia@kommun.se").await;
    let refused = cia
        .post("/admin/kommun/0180/inledning", &[("body", "Reader.")])
        .await;
    assert_eq!(refused.status, 403, "a reader may not write it");

    let commented = bo
        .post(
            "/admin/kommun/0180/kommentar",
            &[
                ("measure", "N15428"),
                ("year", "2022"),
                ("body", "Sommarskolan gav fler behöriga."),
            ],
        )
        .await;
    assert_eq!(commented.status, 303);
    let (_, sv) = page(&app, "/kommun/0180").await;
    assert!(
        sv.contains("Stockholm kommenterar:</span> Sommarskolan gav fler behöriga."),
        "the comment on its card: {sv}"
    );
    // The municipality's own measures have an area of their own, after the set's, compared
    // with no one (no place "1 av 1"), and outside the set's counts.
    let own = sv
        .split("<h2 id=\"area-2\">Kommunens egna mått</h2>")
        .nth(1)
        .expect("an area of own measures");
    assert!(own.contains("91,5"), "{own}");
    assert!(!own.contains("1 av 1"), "{own}");
    assert!(sv.contains("Av 3 mått"), "the set's count stays: {sv}");
    // Waiting time fell 15 days where the middle half spans 15 (a whole spread); the share
    // of pupils rose 2 points where it spans 10: the waiting time changed most.
    let changed = sv
        .split("Störst förändring sedan förra mätningen")
        .nth(1)
        .expect("a list of what changed most");
    let wait = changed.find("Bättre: ned 15\u{a0}dagar sedan 2021 (45 → 30)");
    let share = changed.find("Bättre: upp 2,0 procentenheter sedan 2021 (88,0 → 90,0)");
    assert!(
        matches!((wait, share), (Some(a), Some(b)) if a < b),
        "{changed}"
    );
}

/// GETs a path; returns the status, the head and the body bytes.
async fn fetch(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let a = app.get(path).send().await;
    (a.status, a.head(), a.bytes)
}

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let a = app.get(path).send().await;
    (a.status, a.body)
}

async fn json(app: &TestApp, path: &str) -> (u16, Value) {
    let a = app.get(path).send().await;
    (a.status, a.json())
}

#[tokio::test]
async fn compare_api_gives_hand_checked_colours_ranks_and_summary() {
    let app = server().await;
    let (status, c) = json(&app, "/api/v1/compare?measure=N15428&year=2022").await;
    assert_eq!(status, 200, "{c}");
    let s = &c["summary"];
    // 90, 80, 80, 70, 60 and a secret value: n = 5, k = 2.
    assert_eq!(
        (s["n"].as_u64(), s["mean"].as_f64(), s["median"].as_f64()),
        (Some(5), Some(76.0), Some(80.0))
    );
    assert_eq!(
        (s["q1"].as_f64(), s["q3"].as_f64()),
        (Some(70.0), Some(80.0))
    );
    assert_eq!(
        (s["worst"].as_f64(), s["best"].as_f64()),
        (Some(60.0), Some(90.0))
    );
    assert_eq!(
        c["riket"].as_f64(),
        Some(85.3),
        "Riket apart from the snitt"
    );
    let row = |id: &str| {
        c["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["municipality"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (row("0180")["rank"].as_u64(), row("0180")["colour"].as_str()),
        (Some(1), Some("green"))
    );
    assert_eq!(
        (
            row("1480")["rank"].as_u64(),
            row("1480")["rank_shared"].as_bool()
        ),
        (Some(2), Some(true))
    );
    assert_eq!(row("2321")["colour"], "green", "equal values, equal colour");
    assert_eq!(
        (row("1407")["rank"].as_u64(), row("1407")["colour"].as_str()),
        (Some(4), Some("red"))
    );
    assert_eq!(row("0139")["colour"], "grey");
    assert_eq!(row("0139")["status"], "secret");
    assert_eq!(row("0139")["rank"], Value::Null);
    assert_eq!(row("0180")["trend"], "better");
    assert_eq!(
        row("1480")["trend"],
        "unchanged",
        "80.04 and 80 are equal at one decimal"
    );
    assert_eq!(row("0114")["trend"], "worse");
    assert_eq!(row("2321")["trend"], "not_comparable");
    // Results come in Swedish order: Göteborg, Stockholm, Upplands Väsby, Upplands-Bro, Åre, Öckerö.
    let names: Vec<&str> = c["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Göteborg",
            "Stockholm",
            "Upplands Väsby",
            "Upplands-Bro",
            "Åre",
            "Öckerö"
        ]
    );

    // Lower is better: the shortest wait ranks first.
    let (_, w) = json(&app, "/api/v1/compare?measure=U23401").await;
    let first = w["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rank"] == 1)
        .unwrap();
    assert_eq!(first["municipality"], "0180");
    assert_eq!(w["summary"]["best"].as_f64(), Some(30.0));
    // No direction: no colours at all.
    let (_, cost) = json(&app, "/api/v1/compare?measure=N11008").await;
    assert!(
        cost["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["colour"] == "none")
    );
    assert_eq!(cost["summary"]["coloured"], false);
}

#[tokio::test]
async fn populations_narrow_the_comparison() {
    let app = server().await;
    let size = |c: &Value| c["population"]["size"].as_u64().unwrap();
    let (_, county) = json(&app, "/api/v1/compare?measure=N15428&population=county:01").await;
    assert_eq!(size(&county), 3, "Stockholm and the two Upplands");
    let (_, group) = json(&app, "/api/v1/compare?measure=N15428&population=group:G1").await;
    assert_eq!(size(&group), 2);
    assert_eq!(
        group["summary"]["coloured"], false,
        "fewer than four values are not coloured"
    );
    let (_, n) = json(
        &app,
        "/api/v1/compare?measure=N15428&population=neighbours:0114",
    )
    .await;
    assert_eq!(size(&n), 3);
    let (_, list) = json(
        &app,
        "/api/v1/compare?measure=N15428&population=list:0180,2321",
    )
    .await;
    assert_eq!(size(&list), 2);
}

#[tokio::test]
async fn report_api_and_lists() {
    let app = server().await;
    let (status, r) = json(&app, "/api/v1/municipalities/0180/report?set=kkik").await;
    assert_eq!(status, 200, "{r}");
    let measures = r["areas"][0]["measures"].as_array().unwrap();
    assert_eq!(measures.len(), 3);
    assert_eq!(measures[0]["colour"], "green");
    assert_eq!(measures[1]["colour"], "green", "shortest wait");
    assert_eq!(r["colours"]["green"], 2);
    let (_, list) = json(&app, "/api/v1/municipalities").await;
    assert_eq!(list["count"], 6);
    assert_eq!(list["municipalities"][4]["name"], "Åre");
    let (_, ms) = json(&app, "/api/v1/measures?set=kkik").await;
    assert_eq!(ms["measures"][1]["direction"], "lower");
    let (status, doc) = json(&app, "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["paths"]["/api/v1/compare"]["get"]["parameters"].is_array());
}

#[tokio::test]
async fn bad_api_parameters_get_400_or_404_never_500() {
    let app = server().await;
    for (path, want) in [
        ("/api/v1/compare", 400),
        ("/api/v1/compare?measure=N99999", 404),
        ("/api/v1/compare?measure=%3Cscript%3E", 404),
        ("/api/v1/compare?measure=N15428&year=1800", 400),
        ("/api/v1/compare?measure=N15428&year=abc", 400),
        ("/api/v1/compare?measure=N15428&year=1999", 200),
        ("/api/v1/compare?measure=N15428&gender=X", 400),
        ("/api/v1/compare?measure=N15428&population=everyone", 400),
        ("/api/v1/compare?measure=N15428&population=group:G999", 404),
        ("/api/v1/compare?measure=N15428&population=county:99", 404),
        (
            "/api/v1/compare?measure=N15428&population=list:0180,9999",
            404,
        ),
        ("/api/v1/compare?measure=N15428&colour=red", 400),
        ("/api/v1/assessments", 200),
        ("/api/v1/assessments?municipality=abc", 400),
        ("/api/v1/assessments?kommun=0180", 400),
        ("/api/v1/service", 200),
        ("/api/v1/service?year=x", 400),
        ("/api/v1/service?municipality=12", 400),
        ("/api/v1/municipalities/9999/report", 404),
        ("/api/v1/municipalities/abc/report", 404),
        ("/api/v1/municipalities/0180/report?set=nope", 404),
        ("/api/v1/nothing", 404),
    ] {
        let (status, body) = json(&app, path).await;
        assert_eq!(status, want, "{path}: {body}");
        if want != 200 {
            assert!(
                body["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{path}: {body}"
            );
        }
    }
}

#[tokio::test]
async fn start_page_finds_municipalities_in_swedish_order() {
    let app = server().await;
    let (status, html) = page(&app, "/").await;
    assert_eq!(status, 200);
    let at = |name: &str| {
        html.find(&format!(">{name}</a>"))
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert!(at("Göteborg") < at("Stockholm"));
    assert!(at("Upplands Väsby") < at("Upplands-Bro"));
    assert!(at("Upplands-Bro") < at("Åre") && at("Åre") < at("Öckerö"));
    let (_, found) = page(&app, "/?q=upplands").await;
    assert!(
        found.contains("Upplands-Bro")
            && !found.contains(">Stockholm</a>")
            && found.contains("2 kommuner matchar"),
        "{found}"
    );
    // Without dots and rings, one match or a whole name goes straight to the page.
    for (typed, to) in [
        ("goteborg", "/kommun/1480"),
        ("OCKERO", "/kommun/1407"),
        ("upplands%20vasby", "/kommun/0114"),
    ] {
        let answer = app.get(&format!("/?q={typed}")).send().await;
        assert_eq!(answer.status, 303, "{typed}");
        assert_eq!(answer.location(), Some(to), "{typed}");
    }
    let en = app.get("/en/?q=upplands-bro").send().await;
    assert_eq!(en.location(), Some("/en/kommun/0139"));
    let (_, none) = page(&app, "/?q=%3Cscript%3E").await;
    assert!(
        none.contains("&lt;script&gt;") && !none.contains("<script>"),
        "the query is escaped"
    );
    let (_, en) = page(&app, "/en/").await;
    assert!(en.contains("<html lang=\"en\">") && en.contains("Name of the municipality"));
}

#[tokio::test]
async fn municipality_and_measure_pages_say_colour_in_words() {
    let app = server().await;
    let (status, html) = page(&app, "/kommun/0180").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Hur bra är Stockholm jämfört med andra kommuner?"));
    // The answer first: the counts in a sentence and the strongest measures, before any form.
    let answer = html
        .find("ett värde för Stockholm")
        .expect("the headline sentence");
    assert!(
        answer < html.find("<form").unwrap(),
        "the answer comes before the choices"
    );
    assert!(html.contains("<h3>Starkast</h3>"), "{html}");
    assert!(
        html.contains("Bland de 25\u{a0}% bästa"),
        "colour with words"
    );
    assert!(html.contains("1 av 5"), "rank x of n");
    assert!(
        html.contains("Bättre: upp 2,0 procentenheter sedan 2021"),
        "{html}"
    );
    assert!(html.contains("Ingen färg"), "the cost has no colour");
    assert!(html.contains("href=\"/kommun/0180/matt/N15428\""));

    let (status, html) = page(&app, "/kommun/0180/matt/N15428").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("I Stockholm var värdet 90,0 procent år 2022."),
        "answer sentence"
    );
    assert!(html.contains("<svg class=\"map\""), "map");
    assert!(
        html.contains("class=\"m-green\" d=\"M1 1L9 1L9 9Z\""),
        "Stockholm green on the map"
    );
    assert!(html.contains("<svg class=\"chart\""), "time chart");
    assert!(
        html.contains("Källa: Kolada (SCB)") || html.contains("Kolada (SCB)"),
        "source"
    );
    assert!(
        html.contains("delad 2") || html.contains("delad plats 2") || html.contains(">delad 2<"),
        "shared rank in the table"
    );
    assert!(
        html.contains("Redovisas inte"),
        "secret shown with its reason"
    );
    assert!(html.contains("Kommunens kommentar"));
    assert!(
        html.contains("<dt>Inläst här</dt>"),
        "the import date is named for what it is"
    );

    // The comparison group is named in the page's language, and the same way in the form.
    let (_, en_page) = page(&app, "/en/kommun/0180").await;
    assert!(
        en_page.contains("compared with all municipalities") && !en_page.contains("alla kommuner"),
        "{en_page}"
    );
    let (_, sv_page) = page(&app, "/kommun/0180").await;
    assert!(
        sv_page.contains("<option value=\"set\" selected>Alla kommuner</option>")
            && !sv_page.contains("Kommunerna i måttsamlingen"),
        "{sv_page}"
    );

    let (_, en) = page(&app, "/en/kommun/0180/matt/U23401").await;
    assert!(
        en.contains("Among the best 25\u{a0}%") && en.contains("EN Hur länge väntar man?"),
        "{en}"
    );
    let (_, group) = page(&app, "/kommun/0180?jamfor=group:G1").await;
    assert!(
        group.contains("Storstäder &lt;b&gt;"),
        "group names are escaped"
    );
}

#[tokio::test]
async fn compare_page_and_downloads() {
    let app = server().await;
    let (status, html) = page(&app, "/jamfor?matt=N15428&kommun=0180&kommun=1407").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<th scope=\"col\">Stockholm</th>")
            && html.contains("<th scope=\"col\">Öckerö</th>")
    );
    let six = "/jamfor?matt=N15428&kommun=0180&kommun=1480&kommun=2321&kommun=1407&kommun=0114&kommun=0139";
    assert_eq!(page(&app, six).await.0, 400, "at most five");

    // The measure page's downloads: the series it charts, and the ranked year, under
    // different names, rounded as the page rounds.
    let (status, head, body) = fetch(&app, "/kommun/0180/matt/N15428/data.csv").await;
    assert_eq!(status, 200);
    assert!(
        head.contains("text/csv") && head.contains("kvalitet-N15428-0180-serie.csv"),
        "{head}"
    );
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.starts_with("year,value,mean,worst,best,riket,n_values\n2021,88.0,")
            && text.contains("\n2022,90.0,76.0,60.0,90.0,85.3,5"),
        "{text}"
    );
    let (status, head, body) = fetch(&app, "/kommun/0180/matt/N15428/rangordning.csv").await;
    assert_eq!(status, 200);
    assert!(
        head.contains("kvalitet-N15428-2022-rangordning.csv"),
        "{head}"
    );
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.starts_with("municipality_id,municipality,year,value,status,rank,colour,trend"),
        "{text}"
    );
    assert!(
        text.contains("0180,Stockholm,2022,90.0,,1,green,better,88.0"),
        "{text}"
    );
    assert!(
        text.contains("0139,Upplands-Bro,2022,,secret,,grey"),
        "{text}"
    );
    let (_, _, excel) = fetch(&app, "/kommun/0180/matt/N15428/rangordning-excel.csv").await;
    let excel = String::from_utf8_lossy(&excel).into_owned();
    assert!(
        excel.contains("Kommunkod;Kommun;År;Värde") && excel.contains("Bland de 25\u{a0}% bästa"),
        "{excel}"
    );
    let (_, _, excel) = fetch(&app, "/kommun/0180/data-excel.csv").await;
    assert!(excel.starts_with(b"\xEF\xBB\xBF"));
    assert!(String::from_utf8_lossy(&excel).contains(";N15428;"));
    let (status, head, xlsx) = fetch(&app, "/jamfor/data.xlsx?matt=N15428&kommun=0180").await;
    assert_eq!(status, 200);
    assert!(head.contains("spreadsheetml") && xlsx.starts_with(b"PK"));
    assert_eq!(fetch(&app, "/kommun/0180/data.pdf").await.0, 404);
}

#[tokio::test]
async fn oembed_gives_the_widget_code_for_a_measure_page() {
    let app = server_with(kvalitet_web::SiteOptions {
        public_url: "https://k.example.se".into(),
        ..kvalitet_web::SiteOptions::default()
    })
    .await;
    let url = "https%3A%2F%2Fk.example.se%2Fen%2Fkommun%2F0180%2Fmatt%2FN15428%3Far%3D2022";
    let (status, o) = json(&app, &format!("/oembed?url={url}")).await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(
        (o["type"].as_str(), o["version"].as_str()),
        (Some("rich"), Some("1.0"))
    );
    let html = o["html"].as_str().unwrap();
    assert!(
        html.contains(
            r#"src="https://k.example.se/en/inbaddning/kommun/0180/matt/N15428?ar=2022""#
        ),
        "{html}"
    );
    assert!(
        html.contains("title=\"EN Hur många är behöriga? – Stockholm\""),
        "{html}"
    );
    assert_eq!(
        json(&app, "/oembed?url=https%3A%2F%2Fk.example.se%2F")
            .await
            .0,
        400
    );
    assert_eq!(
        json(
            &app,
            "/oembed?url=https%3A%2F%2Fk.example.se%2Fkommun%2F9999%2Fmatt%2FN15428"
        )
        .await
        .0,
        404
    );
    // The probe: another origin was echoed into a script tag, a javascript: URL into the
    // iframe. Only this site's own pages get a widget, built from its public address.
    for foreign in [
        "https%3A%2F%2Fevil.example%2Fkommun%2F0180%2Fmatt%2FN15428",
        "http%3A%2F%2Fk.example.se%2Fkommun%2F0180%2Fmatt%2FN15428",
        "https%3A%2F%2Fk.example.se.evil.example%2Fkommun%2F0180%2Fmatt%2FN15428",
        "javascript%3Aalert(1)%2F%2Fk.example.se%2Fkommun%2F0180%2Fmatt%2FN15428",
        "%2Fkommun%2F0180%2Fmatt%2FN15428",
    ] {
        let (status, o) = json(&app, &format!("/oembed?url={foreign}")).await;
        assert_eq!(status, 404, "{foreign}: {o}");
        assert!(!o.to_string().contains("evil") && !o.to_string().contains("javascript"));
    }
    assert_eq!(json(&app, "/oembed?url=x&format=xml").await.0, 501);
    let (_, measure_page) = page(&app, "/kommun/0180/matt/N15428").await;
    assert!(
        measure_page.contains("application/json+oembed"),
        "the measure page announces its oEmbed"
    );

    // The goals page and a goal's section on it (`#goal-ID`) embed the same way.
    let grants = kvalitet_domain::Grants {
        system_admin: true,
        ..kvalitet_domain::Grants::default()
    };
    let actor = kvalitet_app::ports::Actor {
        who: "cli:test".into(),
        at: kvalitet_domain::Timestamp::parse("2026-12-01T09:00:00Z").unwrap(),
    };
    let plan = "municipality = \"0180\"\n[[goals]]\nid = \"kf1\"\nlevel = \"kf\"\ntitle = \"Trygg skola\"\n";
    let (m, id, _) = kvalitet_app::goals::import_plan(&app.store, &grants, plan, |_| true, &actor)
        .await
        .unwrap();
    kvalitet_app::goals::publish_plan(&app.store, &grants, &m, id, &actor)
        .await
        .unwrap();
    let goals_url = "https%3A%2F%2Fk.example.se%2Fkommun%2F0180%2Fmal";
    let (status, o) = json(&app, &format!("/oembed?url={goals_url}%23goal-kf1")).await;
    assert_eq!(status, 200, "{o}");
    let html = o["html"].as_str().unwrap();
    assert!(
        html.contains(r#"src="https://k.example.se/inbaddning/kommun/0180/mal/kf1""#)
            && html.contains(r#"title="Trygg skola – Stockholm""#),
        "{html}"
    );
    let (_, o) = json(&app, &format!("/oembed?url={goals_url}%3Far%3D2022")).await;
    assert!(
        o["html"]
            .as_str()
            .unwrap()
            .contains(r#"src="https://k.example.se/inbaddning/kommun/0180/mal?ar=2022""#),
        "{o}"
    );
    tokio::time::sleep(kvalitet_web::VERSION_TTL + std::time::Duration::from_millis(50)).await;
    let (_, goals_page) = page(&app, "/kommun/0180/mal").await;
    assert!(
        goals_page.contains("/oembed?url=https:%2F%2Fk.example.se%2Fkommun%2F0180%2Fmal\""),
        "the goals page announces its oEmbed"
    );
}

#[tokio::test]
async fn pages_carry_security_headers_and_only_the_widget_may_be_framed() {
    let app = server().await;
    let (_, head, _) = fetch(&app, "/kommun/0180").await;
    let head = head.to_ascii_lowercase();
    assert!(head.contains("x-frame-options: deny") && head.contains("frame-ancestors 'none'"));
    assert!(head.contains("x-content-type-options: nosniff"));
    assert!(head.contains("content-security-policy: default-src 'none'"));
    let (status, head, _) = fetch(&app, "/inbaddning/kommun/0180/matt/N15428").await;
    assert_eq!(status, 200);
    let head = head.to_ascii_lowercase();
    assert!(head.contains("frame-ancestors *") && !head.contains("x-frame-options"));
    assert!(
        head.contains("script-src 'self'"),
        "the widget may run its own height script"
    );
}

#[tokio::test]
async fn bad_page_requests_get_helpful_400_or_404_pages() {
    let app = server().await;
    for (path, want) in [
        ("/kommun/9999", 404),
        ("/kommun/abc", 404),
        ("/kommun/0000", 404),
        ("/kommun/0180?ar=1800", 400),
        ("/kommun/0180?kon=X", 400),
        ("/kommun/0180?jamfor=alla", 400),
        ("/kommun/0180?set=nope", 404),
        ("/kommun/0180/matt/N99999", 404),
        ("/kommun/0180/matt/N15428?ar=2001", 404),
        ("/jamfor?matt=N15428&kommun=9999", 404),
        ("/jamfor?matt=N15428", 400),
        ("/en/kommun/0180/matt/%20", 404),
        ("/no/such/page", 404),
    ] {
        let (status, html) = page(&app, path).await;
        assert_eq!(status, want, "{path}");
        let home = if path.starts_with("/en") {
            "href=\"/en/\""
        } else {
            "href=\"/\""
        };
        assert!(
            html.contains("<h1>") && html.contains(home),
            "{path}: {html}"
        );
    }
    // The probe: Swedish pages said "unknown municipality 9999" and "ar=1800: not a year
    // between 1950 and 2100". Refusals are codes the page says in its own language.
    for (path, says) in [
        (
            "/kommun/9999",
            "Det finns ingen kommun med koden 9999. Sök kommunen på startsidan.",
        ),
        (
            "/kommun/0180?ar=1800",
            "1800 är inte ett år mellan 1950 och 2100.",
        ),
        (
            "/kommun/0180?kon=X",
            "Kön X finns inte: välj T (totalt), K (kvinnor) eller M (män).",
        ),
        ("/jamfor?matt=N15428", "Välj minst en kommun att jämföra."),
        (
            "/en/kommun/9999",
            "There is no municipality with the code 9999. Find it from the home page.",
        ),
    ] {
        let (_, html) = page(&app, path).await;
        assert!(html.contains(says), "{path}: {html}");
        assert!(!html.contains("unknown municipality"), "{path}: {html}");
    }
}

/// The part of a page between `from` and the first `to` after it.
fn fragment<'a>(page: &'a str, from: &str, to: &str) -> &'a str {
    let start = page
        .find(from)
        .unwrap_or_else(|| panic!("no {from} in {page}"));
    let end = page[start..]
        .find(to)
        .map_or(page.len(), |e| start + e + to.len());
    &page[start..end]
}

/// The API's shapes and the key parts of the pages are pinned: a change to `openapi.json`,
/// an answer's fields or a card's markup shows as a snapshot diff to review
/// (`cargo insta review`), never as a silent change for clients and residents.
#[tokio::test]
async fn api_answers_openapi_and_key_page_parts_are_pinned() {
    let app = server().await;
    let (_, openapi) = json(&app, "/api/v1/openapi.json").await;
    insta::assert_json_snapshot!("openapi", openapi);
    let (_, compare) = json(&app, "/api/v1/compare?measure=N15428&year=2022").await;
    insta::assert_json_snapshot!("api_compare_n15428_2022", compare, {".**.updated_at" => "[time]"});
    let (_, report) = json(&app, "/api/v1/municipalities/0180/report?year=2022").await;
    insta::assert_json_snapshot!("api_report_0180_2022", report, {".**.updated_at" => "[time]"});
    let (_, municipality) = page(&app, "/kommun/0180?ar=2022").await;
    insta::assert_snapshot!(
        "municipality_0180_first_card",
        fragment(&municipality, "<li class=\"card", "</li>")
    );
    let (_, measure) = page(&app, "/kommun/0180/matt/N15428?ar=2022").await;
    insta::assert_snapshot!(
        "measure_0180_n15428_answer",
        fragment(&measure, "<h1", "</p>")
    );
}

/// The roots of both APIs list their routes, and a page says what can be fetched and on
/// which terms, in both languages.
#[tokio::test]
async fn open_data_has_entry_points() {
    let app = server().await;
    for root in ["/api/v1", "/api/v1/", "/v3", "/v3/"] {
        let (status, index) = json(&app, root).await;
        assert_eq!(status, 200, "{root}");
        assert!(
            index["routes"].as_array().is_some_and(|r| r.len() >= 4),
            "{root}: {index}"
        );
        assert_eq!(index["documentation"], "/oppna-data", "{root}");
    }
    let (_, v1) = json(&app, "/api/v1").await;
    assert_eq!(v1["openapi"], "/api/v1/openapi.json");
    let (status, sv) = page(&app, "/oppna-data").await;
    assert_eq!(status, 200);
    assert!(
        sv.contains("<h1>Öppna data</h1>") && sv.contains("Källa: Kolada"),
        "{sv}"
    );
    let (_, en) = page(&app, "/en/oppna-data").await;
    assert!(
        en.contains("<h1>Open data</h1>") && en.contains("href=\"/v3\""),
        "{en}"
    );
    let (_, start) = page(&app, "/").await;
    assert!(
        start.contains("href=\"/oppna-data\""),
        "the footer leads to it"
    );
}

/// The print layout is its own page, also after the screen layout was cached: a measure's
/// ranking keeps the top ten and the municipality's row.
#[tokio::test]
async fn print_layout_is_not_the_cached_screen_page() {
    let app = server().await;
    for path in ["/kommun/0180", "/kommun/0180/matt/N15428"] {
        let (_, screen) = page(&app, path).await;
        assert!(!screen.contains("<body class=\"print\">"), "{path}");
        let (_, print) = page(&app, &format!("{path}?utskrift=1")).await;
        assert!(print.contains("<body class=\"print\">"), "{path}: {print}");
    }
    let (_, print) = page(&app, "/kommun/0180/matt/N15428?utskrift=1").await;
    assert!(print.contains("class=\"print-only note\""));
    assert!(print.contains("<tr class=\"selected top\">") || print.contains(" top\">"));
}

/// The accessibility statement says how far the site complies, its known gaps, where to
/// report (the configured contact, as a link) and the route to DIGG.
#[tokio::test]
async fn the_accessibility_statement_has_what_digg_asks_for() {
    let app = server_with(kvalitet_web::SiteOptions {
        contact: "tillganglighet@kommun.se".into(),
        ..kvalitet_web::SiteOptions::default()
    })
    .await;
    let (status, sv) = page(&app, "/tillganglighet").await;
    assert_eq!(status, 200);
    for part in [
        "delvis förenlig",
        "<h2>Kända brister</h2>",
        "href=\"mailto:tillganglighet@kommun.se\"",
        "href=\"https://www.digg.se/tdosanmalan\"",
        "1 december 2026",
    ] {
        assert!(sv.contains(part), "{part}");
    }
    let (_, unset) = page(&server().await, "/en/tillganglighet").await;
    assert!(
        unset.contains("contact the organisation running the site") && !unset.contains("mailto:"),
        "{unset}"
    );
}

/// The residents' goals page: nothing before a plan is published (a draft is not shown), then
/// the tree with each goal's official status and motivation, what its indicators suggest, and
/// each indicator's signals in words; a judgement that differs from the suggestion says so.
#[tokio::test]
async fn the_goals_page_shows_the_published_plan_with_its_signals_in_words() {
    use kvalitet_app::goals;
    use kvalitet_app::ports::Actor;
    let app = server_with_pdf().await;
    let grants = kvalitet_domain::Grants {
        system_admin: true,
        ..kvalitet_domain::Grants::default()
    };
    let actor = Actor {
        who: "cli:test".into(),
        at: kvalitet_domain::Timestamp::parse("2026-12-01T09:00:00Z").unwrap(),
    };
    let plan = r#"
municipality = "0180"

[[goals]]
id = "vision"
level = "vision"
title = "En stad där alla kan växa"

[[goals]]
id = "kf1"
parent = "vision"
level = "kf"
title = "Alla elever ska nå kunskapsmålen"
owner = "Kommunfullmäktige"

[[goals.indicators]]
measure = "N15428"
aim = "higher"
baseline_year = 2021
targets = { 2022 = 89, 2026 = 95 }
"#;
    let (m, id, _) = goals::import_plan(&app.store, &grants, plan, |_| true, &actor)
        .await
        .unwrap();
    let (status, draft) = page(&app, "/kommun/0180/mal").await;
    assert_eq!(status, 200);
    assert!(
        draft.contains("inte publicerat några mål") && !draft.contains("Alla elever"),
        "{draft}"
    );
    goals::publish_plan(&app.store, &grants, &m, id, &actor)
        .await
        .unwrap();
    goals::set_status(
        &app.store,
        &grants,
        &m,
        "kf1",
        "not_fulfilled",
        "Behörigheten ökar men skillnaderna mellan skolorna består.",
        &actor,
    )
    .await
    .unwrap();
    // Changed behind the site's back (not through a page), so it sees the new data version
    // once the one it holds has aged out.
    tokio::time::sleep(kvalitet_web::VERSION_TTL + std::time::Duration::from_millis(50)).await;
    let (status, html) = page(&app, "/kommun/0180/mal").await;
    assert_eq!(status, 200, "{html}");
    for needle in [
        "Alla elever ska nå kunskapsmålen",
        "Fullmäktiges mål",
        "Ej uppfyllt",
        "skillnaderna mellan skolorna består",
        // 90 in 2022 against that year's 89; 88 → 90; R = 1.47 toward 95 in 2026.
        "90,0 (2022)",
        "<dd>nått</dd>",
        "bättre",
        "i fas",
        "Bedömningen skiljer sig",
        "Uppföljning med värden till och med 2022",
    ] {
        assert!(html.contains(needle), "{needle}: {html}");
    }
    let (_, english) = page(&app, "/en/kommun/0180/mal").await;
    assert!(
        english.contains("on track") && english.contains("Not fulfilled"),
        "{english}"
    );
    let (bad, _) = page(&app, "/kommun/0180/mal?ar=tjugo").await;
    assert_eq!(bad, 400);
    // Kept pages go gzipped (compressed once) to clients that take it, plain to the others.
    let gz = app
        .get("/kommun/0180/mal")
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.header("vary"), Some("accept-encoding"));
    let plain = app.get("/kommun/0180/mal").send().await;
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.body.contains("Alla elever ska nå kunskapsmålen"));

    // The goals as a widget for the municipality's own site: the plan's top levels with
    // their status, or one goal with its indicators; framable, unlike the pages.
    let (status, head, widget) = fetch(&app, "/inbaddning/kommun/0180/mal").await;
    let widget = String::from_utf8(widget).unwrap();
    assert_eq!(status, 200, "{widget}");
    assert!(
        widget.contains("Alla elever ska nå kunskapsmålen")
            && widget.contains("Ej uppfyllt")
            && !widget.contains("90,0 (2022)")
            && !head.to_ascii_lowercase().contains("x-frame-options"),
        "{head}{widget}"
    );
    let (status, one) = page(&app, "/inbaddning/kommun/0180/mal/kf1?ar=2022").await;
    assert_eq!(status, 200, "{one}");
    for needle in [
        "90,0 (2022)",
        "i fas",
        "Ej uppfyllt",
        "skillnaderna mellan skolorna",
    ] {
        assert!(one.contains(needle), "{needle}: {one}");
    }
    let (_, vision) = page(&app, "/inbaddning/kommun/0180/mal/vision").await;
    assert!(
        vision.contains("Mål under detta mål") && vision.contains("Alla elever ska nå"),
        "{vision}"
    );
    assert_eq!(
        page(&app, "/inbaddning/kommun/0180/mal/saknas").await.0,
        404
    );
    assert_eq!(page(&app, "/inbaddning/kommun/0180/mal?ar=x").await.0, 400);
    // The goals page gives the code for the goal chosen (a form, no script needed), and the
    // plan's for a goal the plan does not have.
    let (_, chosen) = page(&app, "/kommun/0180/mal?inbadda=kf1").await;
    assert!(
        chosen.contains(r#"iframe src="/inbaddning/kommun/0180/mal/kf1" title="Alla elever"#)
            && chosen.contains(r#"<option value="kf1" selected>"#),
        "{chosen}"
    );
    let (_, unknown) = page(&app, "/kommun/0180/mal?inbadda=%3Cscript%3E").await;
    assert!(
        unknown.contains(r#"iframe src="/inbaddning/kommun/0180/mal" title="Stockholm: så"#),
        "{unknown}"
    );
    assert!(!unknown.contains("<script>"));

    // The API has every signal apart, the score and the judgement beside the suggestion.
    let (status, api) = json(&app, "/api/v1/goals?municipality=0180").await;
    assert_eq!(status, 200, "{api}");
    assert_eq!(api["year"], 2022);
    let kf1 = &api["goals"][1];
    assert_eq!(kf1["id"], "kf1");
    assert_eq!(kf1["parent"], "vision");
    assert_eq!(kf1["official"]["status"], "not_fulfilled");
    assert_eq!(kf1["suggested"]["category"], "on_track");
    assert_eq!(kf1["suggested"]["counted"], 1);
    let ind = &kf1["indicators"][0];
    assert_eq!(ind["measure"], "N15428");
    assert_eq!(ind["aim"], "higher");
    assert_eq!(ind["latest"]["value"], 90.0);
    assert_eq!(ind["target"]["low"], 89.0);
    assert_eq!(ind["target_status"], "met");
    assert_eq!(ind["trend"], "better");
    assert_eq!(ind["progress"]["category"], "on_track");
    assert!(
        ind["progress"]["score"].as_f64().is_some_and(|s| s > 2.5),
        "{ind}"
    );
    assert!(
        ["green", "yellow", "red"].contains(&ind["position"]["colour"].as_str().unwrap_or("")),
        "{ind}"
    );
    assert!(html.contains("Jämfört med andra kommuner"), "{html}");
    let (_, earlier) = json(&app, "/api/v1/goals?municipality=0180&year=2021").await;
    assert_eq!(earlier["goals"][1]["indicators"][0]["latest"]["year"], 2021);
    let (_, none) = json(&app, "/api/v1/goals?municipality=1480").await;
    assert_eq!(none["goals"], serde_json::json!([]));
    // A period closed on this follow-up freezes it; a value revised afterwards is shown
    // beside the snapshot, never in it.
    let report: kvalitet_formats::goal_report::FollowUpReport =
        serde_json::from_value(api.clone()).unwrap();
    let period = kvalitet_domain::goals::period("interim", "2022", "", "", "").unwrap();
    goals::close_period(&app.store, &grants, &m, &period, id, report, &actor)
        .await
        .unwrap();
    let options = kvalitet_app::import::ImportOptions {
        format: None,
        skip_bad_rows: false,
        catalogue_year: None,
        current_year: kvalitet_domain::Year::new(2026).unwrap(),
        clock: std::sync::Arc::new(kvalitet_app::ports::FixedClock(actor.at)),
    };
    let revised = kvalitet_app::import::import_bytes(
        &app.store,
        "revision.csv",
        b"kpi,municipality_id,year,value\nN15428,0180,2022,91.5\n".to_vec(),
        &options,
    )
    .await
    .unwrap();
    assert!(revised.failure.is_none(), "{revised:?}");
    tokio::time::sleep(kvalitet_web::VERSION_TTL + std::time::Duration::from_millis(50)).await;
    let (status, frozen) = page(&app, "/kommun/0180/mal/uppfoljning/delar-2022").await;
    assert_eq!(status, 200, "{frozen}");
    assert!(
        frozen.contains("Delårsrapport 2022")
            && frozen.contains("90,0 (2022)")
            && frozen.contains("var 90,0 i ögonblicksbilden och är nu 91,5"),
        "{frozen}"
    );
    let (_, live) = page(&app, "/kommun/0180/mal").await;
    assert!(
        live.contains("91,5 (2022)") && live.contains("/kommun/0180/mal/uppfoljning/delar-2022"),
        "{live}"
    );
    let (_, snapshot) = json(&app, "/api/v1/goals?municipality=0180&period=delar-2022").await;
    assert_eq!(snapshot["period"]["kind"], "interim");
    assert_eq!(
        snapshot["goals"][1]["indicators"][0]["latest"]["value"],
        90.0
    );
    assert_eq!(snapshot["revisions"][0]["now"], 91.5);
    let csv = app
        .get("/kommun/0180/mal/uppfoljning/delar-2022/uppfoljning.csv")
        .send()
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.body.starts_with("goal,parent,level,goal_title")
            && csv
                .body
                .contains("kf1,vision,kf,Alla elever ska nå kunskapsmålen")
            && csv.body.contains("N15428"),
        "{}",
        csv.body
    );
    let xlsx = app
        .get("/kommun/0180/mal/uppfoljning/delar-2022/uppfoljning.xlsx")
        .send()
        .await;
    assert_eq!(xlsx.status, 200);
    // The council's report of the snapshot: a tagged PDF whose text has every goal, its
    // judgement, the indicator's signals as frozen, and the revision as a note.
    let pdf = app
        .get("/kommun/0180/mal/uppfoljning/delar-2022/uppfoljning.pdf")
        .send()
        .await;
    assert_eq!(pdf.status, 200, "{}", pdf.body);
    let info = kvalitet_testkit::pdfinfo(&pdf.bytes);
    assert!(
        info.contains("Tagged:          yes")
            && info.contains("Title:           Uppföljning av mål: Stockholm, Delårsrapport 2022"),
        "{info}"
    );
    let text = kvalitet_testkit::pdftotext(&pdf.bytes);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "Alla elever ska nå kunskapsmålen",
        "Kommunens bedömning: Ej uppfyllt",
        "skillnaderna mellan skolorna",
        "90,0 (2022)",
        "var 90,0 i ögonblicksbilden och är nu 91,5",
        "/kommun/0180/mal/uppfoljning/delar-2022",
    ] {
        assert!(flat.contains(needle), "{needle}: {text}");
    }
    // The same as OpenDocument text for the officials to edit.
    let odt = app
        .get("/kommun/0180/mal/uppfoljning/delar-2022/uppfoljning.odt")
        .send()
        .await;
    assert_eq!(odt.status, 200);
    assert_eq!(
        odt.header("content-type"),
        Some("application/vnd.oasis.opendocument.text")
    );
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(odt.bytes.clone())).unwrap();
    let mut content = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("content.xml").unwrap(), &mut content)
        .unwrap();
    assert!(
        content.contains("Alla elever ska nå kunskapsmålen")
            && content.contains("var 90,0 i ögonblicksbilden och är nu 91,5")
            && content.contains("<table:table-header-rows>"),
        "{content}"
    );
    // The yearly report carries the live follow-up of the same goals.
    let yearly = app.get("/kommun/0180/rapport/2022.pdf").send().await;
    let text = kvalitet_testkit::pdftotext(&yearly.bytes);
    assert!(
        text.contains("Mål och uppföljning") && text.contains("Alla elever ska nå kunskapsmålen"),
        "{text}"
    );
    // The same code is closed once.
    let again = goals::close_period(
        &app.store,
        &grants,
        &m,
        &period,
        id,
        serde_json::from_value(api.clone()).unwrap(),
        &actor,
    )
    .await;
    assert!(again.is_err());
    for (path, want) in [
        ("/kommun/0180/mal/uppfoljning/nope", 404),
        ("/kommun/0180/mal/uppfoljning/delar-2022/data.pdf", 404),
    ] {
        assert_eq!(page(&app, path).await.0, want, "{path}");
    }
    for (path, want) in [
        ("/api/v1/goals?municipality=0180&period=nope", 404),
        (
            "/api/v1/goals?municipality=0180&period=delar-2022&year=2022",
            400,
        ),
        ("/api/v1/goals", 400),
        ("/api/v1/goals?municipality=9999", 404),
        ("/api/v1/goals?municipality=0180&year=x", 400),
    ] {
        let (status, body) = json(&app, path).await;
        assert_eq!(status, want, "{path}: {body}");
    }
}

#[tokio::test]
async fn editors_build_a_plan_goal_by_goal_in_forms() {
    use kvalitet_domain::Role;
    let app = seed()
        .person("anna@kommun.se", "Anna", &[("0180", Role::Admin)])
        .person("bo@kommun.se", "Bo", &[("0180", Role::Editor)])
        .person("cia@kommun.se", "Cia", &[("0180", Role::Reader)])
        .person("dan@kommun.se", "Dan", &[("1480", Role::Admin)])
        .start()
        .await;
    let mut bo = app.logged_in("bo@kommun.se").await;
    let start = bo.get("/admin/kommun/0180/mal").await;
    assert!(start.body.contains(r#"id="n-title""#), "{}", start.body);
    assert_eq!(start.hidden("based_on"), "");
    // The first goal starts the plan, in the draft; its page follows.
    let added = bo
        .post(
            "/admin/kommun/0180/malplan/nytt-mal",
            &[
                ("based_on", ""),
                ("id", "vision"),
                ("title", "En stad för alla"),
                ("level", "vision"),
                ("parent", ""),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(
        added.location(),
        Some("/admin/kommun/0180/mal/vision?klart=sparad")
    );
    let overview = bo.get("/admin/kommun/0180/mal").await;
    let first = overview.hidden("based_on");
    assert!(first.parse::<i64>().is_ok(), "{first}");
    let kf1 = [
        ("id", "kf1"),
        ("title", "Alla elever ska nå målen"),
        ("level", "kf"),
        ("parent", "vision"),
        ("owner", "Kommunfullmäktige"),
    ];
    let mut with_base = vec![("based_on", first.as_str())];
    with_base.extend_from_slice(&kf1);
    assert_eq!(
        bo.post("/admin/kommun/0180/malplan/nytt-mal", &with_base)
            .await
            .status,
        303
    );
    // A form made from an older plan is refused, what was typed kept: no one's change is
    // overwritten.
    let mut stale = vec![("based_on", first.as_str())];
    stale.extend_from_slice(&[("id", "kf2"), ("title", "Trygg vård"), ("level", "kf")]);
    let refused = bo.post("/admin/kommun/0180/malplan/nytt-mal", &stale).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("har ändrats") && refused.body.contains(r#"value="Trygg vård""#),
        "{}",
        refused.body
    );
    // A taken id is refused beside its field.
    let page = bo.get("/admin/kommun/0180/mal/kf1").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let base = page.hidden("based_on");
    let mut again = vec![("based_on", base.as_str())];
    again.extend_from_slice(&kf1);
    let taken = bo.post("/admin/kommun/0180/malplan/nytt-mal", &again).await;
    assert_eq!(taken.status, 400);
    assert!(taken.body.contains(r#"id="n-id-error""#), "{}", taken.body);

    // An indicator with a target path; bad ones come back beside their fields.
    let indicator = |base: &str, targets: &str, measure: &str| {
        vec![
            ("based_on".to_owned(), base.to_owned()),
            ("index".to_owned(), String::new()),
            ("action".to_owned(), "save".to_owned()),
            ("measure".to_owned(), measure.to_owned()),
            ("aim".to_owned(), "higher".to_owned()),
            ("baseline_year".to_owned(), "2021".to_owned()),
            ("targets".to_owned(), targets.to_owned()),
            ("gender".to_owned(), "T".to_owned()),
            ("trend_base".to_owned(), "previous".to_owned()),
            ("weight".to_owned(), "1".to_owned()),
            ("group".to_owned(), String::new()),
        ]
    };
    fn post(fields: &[(String, String)]) -> Vec<(&str, &str)> {
        fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
    let bad = bo
        .post(
            "/admin/kommun/0180/mal/kf1/indikator",
            &post(&indicator(&base, "2026: mycket", "N15428")),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains(r#"id="in-targets-error""#) && bad.body.contains("2026: mycket"),
        "{}",
        bad.body
    );
    let unknown = bo
        .post(
            "/admin/kommun/0180/mal/kf1/indikator",
            &post(&indicator(&base, "2026: 95", "N99999")),
        )
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert!(
        unknown.body.contains(r#"id="in-measure-error""#),
        "{}",
        unknown.body
    );
    let saved = bo
        .post(
            "/admin/kommun/0180/mal/kf1/indikator",
            &post(&indicator(&base, "2022: 89; 2026: 95", "N15428")),
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = bo.get("/admin/kommun/0180/mal/kf1").await;
    assert!(
        page.body.contains(r#"value="2022: 89; 2026: 95""#)
            && page.body.contains(r#"id="i0-measure""#),
        "{}",
        page.body
    );
    // The goal's own fields saved keep its indicators.
    let base = page.hidden("based_on");
    let renamed = bo
        .post(
            "/admin/kommun/0180/mal/kf1/andra",
            &[
                ("based_on", base.as_str()),
                ("title", "Alla elever ska nå kunskapsmålen"),
                ("level", "kf"),
                ("parent", "vision"),
                ("from", "2023"),
                ("to", "2026"),
                ("weight", "1"),
            ],
        )
        .await;
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    let draft = bo.get("/admin/kommun/0180/malplan/utkast.toml").await;
    assert!(
        draft.body.contains("Alla elever ska nå kunskapsmålen")
            && draft.body.contains("N15428")
            && draft.body.contains("from = 2023"),
        "{}",
        draft.body
    );
    let base = draft_base(&mut bo).await;
    let backwards = bo
        .post(
            "/admin/kommun/0180/mal/kf1/andra",
            &[
                ("based_on", base.as_str()),
                ("title", "X"),
                ("level", "kf"),
                ("parent", "vision"),
                ("from", "2026"),
                ("to", "2023"),
            ],
        )
        .await;
    assert_eq!(backwards.status, 400);
    assert!(
        backwards.body.contains(r#"id="g-to-error""#),
        "{}",
        backwards.body
    );

    // Readers and another municipality's people change nothing.
    let mut cia = app.logged_in("cia@kommun.se").await;
    let read = cia.get("/admin/kommun/0180/mal/kf1").await;
    assert!(!read.body.contains("g-title"), "readers get no editor");
    let base = draft_base(&mut bo).await;
    for who in ["cia@kommun.se", "dan@kommun.se"] {
        let mut v = app.logged_in(who).await;
        let denied = v
            .post(
                "/admin/kommun/0180/mal/kf1/ta-bort",
                &[("based_on", base.as_str()), ("confirmed", "1")],
            )
            .await;
        assert_eq!(denied.status, 403, "{who}");
    }
    // An indicator taken out, then the goal (not its parent, which has goals under it).
    let removed = bo
        .post(
            "/admin/kommun/0180/mal/kf1/indikator",
            &[
                ("based_on", base.as_str()),
                ("index", "0"),
                ("action", "remove"),
            ],
        )
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    let base = draft_base(&mut bo).await;
    let parent = bo
        .post(
            "/admin/kommun/0180/mal/vision/ta-bort",
            &[("based_on", base.as_str()), ("confirmed", "1")],
        )
        .await;
    assert_eq!(parent.status, 400);
    assert!(parent.body.contains("mål under sig"), "{}", parent.body);
    let unconfirmed = bo
        .post(
            "/admin/kommun/0180/mal/kf1/ta-bort",
            &[("based_on", base.as_str())],
        )
        .await;
    assert_eq!(unconfirmed.status, 400);
    let gone = bo
        .post(
            "/admin/kommun/0180/mal/kf1/ta-bort",
            &[("based_on", base.as_str()), ("confirmed", "1")],
        )
        .await;
    assert_eq!(gone.status, 303, "{}", gone.body);
    assert_eq!(
        gone.location(),
        Some("/admin/kommun/0180/mal?klart=borttaget")
    );
    let draft = bo.get("/admin/kommun/0180/malplan/utkast.toml").await;
    assert!(
        draft.body.contains("vision") && !draft.body.contains("kf1"),
        "{}",
        draft.body
    );
    // Nothing is public until an administrator publishes the draft.
    assert!(
        !app.get("/kommun/0180/mal")
            .send()
            .await
            .body
            .contains("En stad för alla")
    );
}

/// The plan the staff goals page's forms are made from now.
async fn draft_base(visitor: &mut kvalitet_testkit::Visitor<'_>) -> String {
    visitor
        .get("/admin/kommun/0180/mal")
        .await
        .hidden("based_on")
}

/// The site with the binary's typesetter, as `kvalitet serve` runs it.
async fn server_with_pdf() -> TestApp {
    server_with(kvalitet_web::SiteOptions {
        typesetter: Some(std::sync::Arc::new(kvalitet_pdf::TypstTypesetter)),
        ..kvalitet_web::SiteOptions::default()
    })
    .await
}

/// The yearly report read back by a second checker: poppler sees a tagged PDF with its
/// title, and its text holds the page's figures in Swedish number format, the colour and
/// trend in words, the own measure, the data version and the link to the data.
#[tokio::test]
async fn the_yearly_report_is_a_tagged_pdf_with_the_pages_figures() {
    let app = server_with_pdf().await;
    let (_, html) = page(&app, "/kommun/0180").await;
    assert!(
        html.contains(
            r#"<a href="/kommun/0180/rapport/2022.pdf">Rapport 2022 som tillgänglig PDF</a>"#
        ),
        "the page links its report: {html}"
    );
    let a = app.get("/kommun/0180/rapport/2022.pdf").send().await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("content-type"), Some("application/pdf"));
    let info = kvalitet_testkit::pdfinfo(&a.bytes);
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(
        info.contains("Title:           Kvalitet i korthet 2022: Stockholm"),
        "{info}"
    );
    let text = kvalitet_testkit::pdftotext(&a.bytes);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Sammanfattning",
        "Hur många är behöriga?",
        // 90 with one decimal, a comma and the unit; the kostnad in groups of three.
        "90,0 %",
        "150 000 kronor",
        "Bland de 25 % bästa",
        // The trend since 2021 (88.0 → 90.0) in words.
        "Bättre",
        "Bilaga A: Barn och unga",
        "Nöjda besökare i simhallen",
        "91,5",
        "Dataversion",
        "/kommun/0180?ar=2022",
    ] {
        assert!(flat.contains(expected), "{expected:?} is not in:\n{text}");
    }
    // The series' table: 2021 and 2022 with their values.
    assert!(flat.contains("År 2021 2022 Värde 88,0 90,0"), "{text}");
}

/// The same report in English, and the archival copy that claims PDF/A-2a as well.
#[tokio::test]
async fn the_yearly_report_comes_in_english_and_as_an_archival_copy() {
    let app = server_with_pdf().await;
    let a = app.get("/en/kommun/0180/rapport/2022.pdf").send().await;
    assert_eq!(a.status, 200, "{}", a.body);
    let text = kvalitet_testkit::pdftotext(&a.bytes);
    assert!(
        text.contains("Summary") && text.contains("Appendix A"),
        "{text}"
    );
    assert!(text.contains("EN Hur många är behöriga?"), "{text}");
    let a = app.get("/kommun/0180/rapport/2022-arkiv.pdf").send().await;
    assert_eq!(a.status, 200, "{}", a.body);
    let raw = String::from_utf8_lossy(&a.bytes);
    assert!(raw.contains("pdfaid:part") && raw.contains("pdfuaid:part"));
    assert!(kvalitet_testkit::pdfinfo(&a.bytes).contains("Tagged:          yes"));
    // Made again from the same data version: the same file.
    let again = app.get("/kommun/0180/rapport/2022-arkiv.pdf").send().await;
    assert_eq!(a.bytes, again.bytes);
}

/// The year's published assessment is in the report with its scores: the total and each
/// area's, in Swedish number format (a round of another year is not).
#[tokio::test]
async fn the_yearly_report_gives_a_published_assessments_scores() {
    use kvalitet_app::ports::{Actor, AssessmentRounds, ConsensusRecord, NewRound};
    use kvalitet_domain::audit::AuditAction;
    use kvalitet_domain::round::{RoundKind, Status};
    const FRAMEWORK: &str = r#"
id = "dx"
name = "Delaktighet"
version = "1"
valid_from = "2020-01-01"
total = "sum"

[[areas]]
id = "a"
title = "Information på webben"
aggregation = "sum"

[[areas.questions]]
id = "a1"
text = "Finns information?"
rule = "choice"
options = [["Nej", 0], ["Delvis", 1], ["Ja", 3]]

[[areas]]
id = "b"
title = "Dialog med invånarna"
aggregation = "sum"

[[areas.questions]]
id = "b1"
text = "Hålls dialoger?"
rule = "choice"
options = [["Nej", 0], ["Delvis", 1], ["Ja", 3]]
"#;
    let app = seed()
        .framework(FRAMEWORK)
        .options(kvalitet_web::SiteOptions {
            typesetter: Some(std::sync::Arc::new(kvalitet_pdf::TypstTypesetter)),
            ..kvalitet_web::SiteOptions::default()
        })
        .start()
        .await;
    let actor = Actor {
        who: "cli:test".into(),
        at: kvalitet_domain::Timestamp::parse("2026-12-01T09:00:00Z").unwrap(),
    };
    for (title, year) in [
        ("Delaktighetsindex 2022", 2022),
        ("Delaktighetsindex 2021", 2021),
    ] {
        let round = app
            .store
            .create_round(
                &NewRound {
                    municipality: m("0180"),
                    framework_id: "dx".into(),
                    framework_version: "1".into(),
                    kind: RoundKind::SelfAssessment,
                    title: title.into(),
                    year: kvalitet_domain::Year::new(year).unwrap(),
                },
                &actor,
            )
            .await
            .unwrap();
        let agreed = |question: &str, answer: &str| ConsensusRecord {
            question: question.into(),
            answer: answer.into(),
            reason: String::new(),
            decided_by: "cli:test".into(),
            decided_at: actor.at,
        };
        app.store
            .save_consensus(
                round,
                &[agreed("a1", "Ja"), agreed("b1", "Delvis")],
                None,
                &actor,
            )
            .await
            .unwrap();
        for (from, to, action) in [
            (Status::Draft, Status::Submitted, AuditAction::RoundSubmit),
            (
                Status::Submitted,
                Status::Reviewed,
                AuditAction::RoundReview,
            ),
            (
                Status::Reviewed,
                Status::Published,
                AuditAction::RoundPublish,
            ),
        ] {
            app.store
                .set_round_status(round, from, to, None, action, &actor)
                .await
                .unwrap();
        }
    }
    let a = app.get("/kommun/0180/rapport/2022.pdf").send().await;
    assert_eq!(a.status, 200, "{}", a.body);
    let text = kvalitet_testkit::pdftotext(&a.bytes);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Delaktighetsindex 2022 (dx 1, 2022)",
        "Totalt: 4,0 av 6,0.",
        "Område Poäng",
        "Information på webben 3,0 av 3,0",
        "Dialog med invånarna 1,0 av 3,0",
    ] {
        assert!(flat.contains(expected), "{expected:?} is not in:\n{text}");
    }
    assert!(!flat.contains("Delaktighetsindex 2021"), "{text}");
}

/// An unknown kommun, a year without values and a name that is not a report answer a 404
/// page in the reader's language, not a PDF error.
#[tokio::test]
async fn a_report_without_data_is_a_404_page() {
    let app = server_with_pdf().await;
    for (path, says) in [
        ("/kommun/9999/rapport/2022.pdf", "9999"),
        (
            "/kommun/0180/rapport/2019.pdf",
            "Det finns inga värden för Stockholm 2019",
        ),
        ("/kommun/0180/rapport/2022.docx", "2022.docx"),
        ("/kommun/0180/rapport/tjugo.pdf", "tjugo.pdf"),
    ] {
        let a = app.get(path).send().await;
        assert_eq!(a.status, 404, "{path}");
        assert!(
            a.header("content-type")
                .unwrap_or_default()
                .starts_with("text/html")
        );
        assert!(a.body.contains(says), "{path}: {}", a.body);
    }
    // A site built without the typesetter says so, also as a page, and links no report.
    let plain = server().await;
    assert!(!page(&plain, "/kommun/0180").await.1.contains("/rapport/"));
    let a = plain.get("/kommun/0180/rapport/2022.pdf").send().await;
    assert_eq!(a.status, 404);
    assert!(
        a.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html")
    );
}
