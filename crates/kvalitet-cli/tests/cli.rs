//! The `kvalitet` binary end to end: import, export, configuration and serve, on fixtures.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;

use common::{BIN, serve};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A scratch directory with its own database.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("kvalitet.db").display())
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .current_dir(self.dir.path())
            .env("KVALITET_DATABASE_URL", self.url())
            .env_remove("DATABASE_URL")
            .env_remove("KVALITET_CONFIG")
            .output()
            .unwrap()
    }

    fn import(&self, paths: &[&Path], extra: &[&str]) -> Output {
        let mut args: Vec<String> = vec!["import".into(), "--quiet".into()];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(paths.iter().map(|p| p.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&args)
    }

    fn load_catalogue(&self) {
        let out = self.import(&[&fixtures().join("catalogue")], &[]);
        assert!(out.status.success(), "{}", text(&out));
    }

    fn export(&self, args: &[&str]) -> String {
        let mut all = vec!["export"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn help_reads_well() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = text(&out);
    for word in [
        "serve",
        "migrate",
        "import",
        "export",
        "--database-url",
        "kvalitet.toml",
    ] {
        assert!(help.contains(word), "--help mentions {word}:\n{help}");
    }
}

#[test]
fn a_catalogue_directory_then_values_import_and_export_back() {
    let s = Scratch::new();
    let out = s.import(&[&fixtures().join("catalogue")], &[]);
    let report = text(&out);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("municipality.json: kolada-json: read 6, inserted 6"),
        "{report}"
    );
    assert!(
        report.contains("kpi_catalogue_2026.csv: kpi-catalogue-csv: read 3, inserted 3"),
        "{report}"
    );
    assert!(
        !report.contains("README"),
        "a directory import reads only data files: {report}"
    );

    let out = s.import(
        &[
            &fixtures().join("values.csv"),
            &fixtures().join("data_page.json"),
        ],
        &[],
    );
    let report = text(&out);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("values.csv: values-csv: read 9, inserted 9, updated 0, unchanged 0"),
        "{report}"
    );
    assert!(
        report.contains("total: 2 file(s), read 13, inserted 13"),
        "{report}"
    );

    let csv = s.export(&[
        "--measure",
        "N15428",
        "--municipality",
        "0000",
        "--year",
        "2022",
    ]);
    assert_eq!(
        csv,
        "kpi,municipality_id,year,gender,value,status,count\n\
         N15428,0000,2022,K,86.094249,,\n\
         N15428,0000,2022,M,84.570047,,\n\
         N15428,0000,2022,T,85.310222,,\n"
    );
    let statuses = s.export(&["--measure", "N00003", "--year", "2022"]);
    assert!(
        statuses.contains("N00003,0180,2022,T,,secret,\n"),
        "{statuses}"
    );
    assert!(
        statuses.contains("N00003,2584,2022,T,,not_applicable,\n"),
        "{statuses}"
    );
    let group = s.export(&["--municipality", "G92787", "--measure", "U07414"]);
    assert!(group.contains("U07414,G92787,2023,T,30,,2\n"), "{group}");
}

#[test]
fn importing_twice_changes_nothing_and_a_changed_value_is_updated() {
    let s = Scratch::new();
    s.load_catalogue();
    let values = fixtures().join("values.csv");
    assert!(s.import(&[&values], &[]).status.success());
    let again = s.import(&[&values], &[]);
    assert!(
        text(&again).contains("read 9, inserted 0, updated 0, unchanged 9"),
        "{}",
        text(&again)
    );

    let changed = s.dir.path().join("changed.csv");
    let original = std::fs::read_to_string(&values).unwrap();
    std::fs::write(
        &changed,
        original.replace("N15428,1280,2022,79.25,T", "N15428,1280,2022,79.5,T"),
    )
    .unwrap();
    let out = s.import(&[&changed], &[]);
    assert!(
        text(&out).contains("read 9, inserted 0, updated 1, unchanged 8"),
        "{}",
        text(&out)
    );
    assert!(
        s.export(&["--municipality", "1280"])
            .contains("N15428,1280,2022,T,79.5,,")
    );
}

#[test]
fn every_kind_of_bad_row_rejects_the_file_and_names_the_place() {
    let s = Scratch::new();
    s.load_catalogue();
    let cases = [
        (
            "unknown_municipality.csv",
            "line 3, column municipality: unknown municipality or group 9999",
        ),
        (
            "unknown_measure.csv",
            "line 3, column kpi: unknown measure N99999",
        ),
        (
            "non_numeric.csv",
            "line 3, column value: sju is not a number",
        ),
        (
            "impossible_year.csv",
            "line 3, column year: 1066 is not a year",
        ),
        (
            "impossible_gender.csv",
            "line 3, column gender: Gender X does not exist",
        ),
        (
            "conflicting_repeat.csv",
            "line 4, column value: N15428 0180 2022 T appears again with a different value",
        ),
        (
            "malformed_row.csv",
            "line 3: the row has 3 fields but the header has 4",
        ),
        ("truncated.json", "line 6: cannot read: the JSON ends early"),
    ];
    for (file, expected) in cases {
        let path = fixtures().join("bad").join(file);
        let out = s.import(&[&path], &[]);
        let report = text(&out);
        assert_eq!(out.status.code(), Some(1), "{file} must fail:\n{report}");
        let named = format!("{}: {expected}", path.display());
        let rejected = format!("{}: unknown format: REJECTED: {expected}", path.display());
        assert!(
            report.contains(&named) || report.contains(&rejected),
            "{file}: expected {expected:?} in\n{report}"
        );
        assert!(report.contains("REJECTED"), "{report}");
    }
    assert_eq!(
        s.export(&[]).lines().count(),
        1,
        "nothing was written by any bad file"
    );
}

#[test]
fn every_bad_row_of_a_rejected_file_is_listed() {
    let s = Scratch::new();
    s.load_catalogue();
    let bad = s.dir.path().join("two-bad.csv");
    std::fs::write(&bad, "kpi,municipality_id,year,value\nN15428,9999,2022,1\nN15428,0180,2022,88\nN15428,1280,2022,x\n").unwrap();
    let out = s.import(&[&bad], &[]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("2 bad row(s); the file was rejected"),
        "{report}"
    );
    assert!(
        report.contains("line 2, column municipality") && report.contains("line 4, column value"),
        "{report}"
    );
    assert_eq!(s.export(&[]).lines().count(), 1);
}

#[test]
fn a_truncated_gzip_is_rejected_with_the_line_reached() {
    let s = Scratch::new();
    s.load_catalogue();
    let mut csv = String::from("kpi,municipality_id,year,value\n");
    for y in 1994..2023 {
        for m in ["0114", "0180", "1280", "2584"] {
            csv.push_str(&format!("N00003,{m},{y},{}.25\n", y * 3));
        }
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let whole = s.dir.path().join("values.csv.gz");
    std::fs::write(&whole, &gz).unwrap();
    let cut = s.dir.path().join("cut.csv.gz");
    std::fs::write(&cut, &gz[..gz.len() - 20]).unwrap();

    let out = s.import(&[&cut], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("cut.csv.gz: unknown format: REJECTED: line "),
        "{}",
        text(&out)
    );
    assert_eq!(s.export(&[]).lines().count(), 1);

    let out = s.import(&[&whole], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("inserted 116"), "{}", text(&out));
}

#[test]
fn skip_bad_rows_writes_the_good_ones_and_lists_the_bad() {
    let s = Scratch::new();
    s.load_catalogue();
    let bad = s.dir.path().join("mixed.csv");
    std::fs::write(
        &bad,
        "kpi,municipality_id,year,value\nN15428,0180,2022,88.1\nN15428,9999,2022,1\nN15428,1280,2022,x\nN15428,1280,2021,70\n",
    )
    .unwrap();
    let out = s.import(&[&bad], &["--skip-bad-rows"]);
    let report = text(&out);
    assert_eq!(
        out.status.code(),
        Some(3),
        "written with skipped rows: {report}"
    );
    assert!(
        report.contains("read 4, inserted 2, updated 0, unchanged 0, deleted 0, rejected 2"),
        "{report}"
    );
    assert!(report.contains("line 3, column municipality"), "{report}");
    assert!(report.contains("line 4, column value"), "{report}");
    assert_eq!(s.export(&[]).lines().count(), 3);
}

#[test]
fn values_before_their_catalogue_are_refused() {
    let s = Scratch::new();
    let out = s.import(&[&fixtures().join("values.csv")], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("import the KPI catalogue first"),
        "{}",
        text(&out)
    );
}

#[test]
fn one_run_orders_metadata_before_values() {
    let s = Scratch::new();
    let out = s.import(
        &[
            &fixtures().join("values.csv"),
            &fixtures().join("catalogue"),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn an_export_imports_back_unchanged() {
    let s = Scratch::new();
    s.load_catalogue();
    assert!(
        s.import(
            &[
                &fixtures().join("values.csv"),
                &fixtures().join("data_page.json")
            ],
            &[]
        )
        .status
        .success()
    );
    let exported = s.dir.path().join("export.csv");
    let out = s.run(&["export", "--output", exported.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("exported 13 values"));

    let other = Scratch::new();
    other.load_catalogue();
    let out = other.import(&[&exported], &[]);
    assert!(text(&out).contains("inserted 13"), "{}", text(&out));
    assert_eq!(
        other.export(&[]),
        std::fs::read_to_string(&exported).unwrap()
    );
    let out = s.import(&[&exported], &[]);
    assert!(
        text(&out).contains("inserted 0, updated 0, unchanged 13"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_forced_format_is_used() {
    let s = Scratch::new();
    s.load_catalogue();
    let out = s.import(
        &[&fixtures().join("values.csv")],
        &["--format", "kpi-catalogue-csv"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("column id"), "{}", text(&out));
    let out = s.import(
        &[&fixtures().join("values.csv")],
        &["--format", "values-csv"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = s.run(&["import", "--format", "xml", "x"]);
    assert_eq!(out.status.code(), Some(2), "usage errors exit with 2");
}

#[test]
fn configuration_layers_file_then_environment_then_flag() {
    let s = Scratch::new();
    let in_file = s.dir.path().join("from-file.db");
    let in_env = s.dir.path().join("from-env.db");
    let by_flag = s.dir.path().join("by-flag.db");
    std::fs::write(
        s.dir.path().join("kvalitet.toml"),
        format!("database_url = \"sqlite://{}\"\n", in_file.display()),
    )
    .unwrap();
    let run = |env: Option<&Path>, flag: Option<&Path>| {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(s.dir.path())
            .env_remove("KVALITET_DATABASE_URL")
            .env_remove("DATABASE_URL")
            .env_remove("KVALITET_CONFIG");
        if let Some(e) = env {
            cmd.env("KVALITET_DATABASE_URL", format!("sqlite://{}", e.display()));
        }
        if let Some(f) = flag {
            cmd.arg("--database-url")
                .arg(format!("sqlite://{}", f.display()));
        }
        assert!(cmd.arg("migrate").output().unwrap().status.success());
    };
    run(None, None);
    assert!(in_file.exists());
    run(Some(&in_env), None);
    assert!(in_env.exists());
    run(Some(&in_env), Some(&by_flag));
    assert!(by_flag.exists());

    std::fs::write(
        s.dir.path().join("kvalitet.toml"),
        "databse_url = \"typo\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .current_dir(s.dir.path())
        .env_remove("KVALITET_DATABASE_URL")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("kvalitet.toml is not a valid kvalitet configuration"),
        "{}",
        text(&out)
    );
}

#[test]
fn serve_lists_what_is_loaded() {
    let s = Scratch::new();
    s.load_catalogue();
    assert!(
        s.import(&[&fixtures().join("values.csv")], &[])
            .status
            .success()
    );
    let (mut child, addr) = serve(&s.url());
    let page = get(&addr, "/status");
    let start = get(&addr, "/");
    let health = get(&addr, "/healthz");
    child.kill().unwrap();
    let _ = child.wait();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("<html lang=\"sv\">"), "{page}");
    assert!(
        page.contains("<th scope=\"row\">Kommuner</th><td class=\"num\">4</td>"),
        "{page}"
    );
    assert!(
        page.contains("<th scope=\"row\">Värden</th><td class=\"num\">9</td>"),
        "{page}"
    );
    assert!(health.ends_with("ok"), "{health}");
    assert!(start.starts_with("HTTP/1.1 200"), "{start}");
    assert!(
        start.contains("href=\"/kommun/0180\""),
        "the start page lists the kommuner: {start}"
    );
}

/// A new site starts with the reference data the binary carries (when it was built with the
/// data folder beside the checkout, as CI does) and says how to get values; `--demo` adds the
/// KKiK values; a second start loads nothing again.
#[test]
fn the_first_start_loads_the_reference_data_and_the_demo_its_values() {
    let s = Scratch::new();
    let (mut child, addr, said) = common::serve_with(&s.url(), &[]);
    let start = get(&addr, "/");
    let stockholm = get(&addr, "/kommun/0180");
    child.kill().unwrap();
    let _ = child.wait();
    if said.contains("carries no reference data") {
        assert!(start.contains("Inga kommuner är inlästa ännu."), "{start}");
        eprintln!("skipped: this build has no reference data (no ../shared/data)");
        return;
    }
    assert!(
        said.contains("loaded the built-in reference data"),
        "{said}"
    );
    assert_eq!(
        start.matches("<li><a href=\"/kommun/").count(),
        290,
        "the start page lists the 290 municipalities"
    );
    assert!(
        start.contains("Inga resultat är inlästa ännu")
            && start.contains("kvalitet sync --set kkik"),
        "a site without values says how to get them: {start}"
    );
    assert!(stockholm.starts_with("HTTP/1.1 200"), "{stockholm}");

    let (mut child, addr, said) = common::serve_with(&s.url(), &["--demo"]);
    let stockholm = get(&addr, "/kommun/0180");
    let map = get(&addr, "/kommun/0180/matt/N15428");
    let start = get(&addr, "/");
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        said.contains("loaded the built-in KKiK values") && !said.contains("reference data"),
        "{said}"
    );
    assert!(stockholm.contains("Av 26 mått har"), "{stockholm}");
    assert!(map.contains("<title>Stockholm: "), "the map is there");
    assert!(!start.contains("Inga resultat är inlästa ännu"));

    let (mut child, _, said) = common::serve_with(&s.url(), &["--demo"]);
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        !said.contains("loaded"),
        "a second start loads nothing: {said}"
    );
}

fn get(addr: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// Instance A holding the fixtures and serving them, and an empty instance B to sync from it.
/// Dropping it stops A's server, also when a test fails.
struct Mirror {
    a: Scratch,
    b: Scratch,
    source: String,
    server: std::process::Child,
}

impl Mirror {
    fn new(value_files: &[&str]) -> Self {
        let a = Scratch::new();
        a.load_catalogue();
        let files: Vec<PathBuf> = value_files.iter().map(|f| fixtures().join(f)).collect();
        let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        assert!(a.import(&paths, &[]).status.success());
        let (server, addr) = serve(&a.url());
        Self {
            a,
            b: Scratch::new(),
            source: format!("http://{addr}/v3"),
            server,
        }
    }

    /// `kvalitet sync` into B from A, 2020-2023, with `extra` arguments.
    fn sync(&self, extra: &[&str]) -> Output {
        let mut args = vec![
            "sync",
            "--source",
            self.source.as_str(),
            "--year",
            "2020-2023",
            "--rate",
            "200",
            "-q",
        ];
        args.extend_from_slice(extra);
        self.b.run(&args)
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

#[test]
fn own_measures_are_served_in_v3_with_their_owner_and_mirrored() {
    let m = Mirror::new(&["values.csv", "own_measures_2026.csv", "own_values.csv"]);
    let addr = m
        .source
        .trim_start_matches("http://")
        .trim_end_matches("/v3")
        .to_owned();
    let kpi = get(&addr, "/v3/kpi/X0180-1");
    assert!(
        kpi.contains(r#""id":"X0180-1""#) && kpi.contains(r#""owner":"0180""#),
        "{kpi}"
    );
    let kolada = get(&addr, "/v3/kpi/N15428");
    assert!(
        !kolada.contains("owner"),
        "Kolada's KPIs keep Kolada's shape: {kolada}"
    );
    let data = get(&addr, "/v3/data/kpi/X0180-1/year/2022");
    assert!(data.contains(r#""value":87.5"#), "{data}");

    let synced = m.sync(&["--kpi", "X0180-1"]);
    assert!(synced.status.success(), "{}", text(&synced));
    assert_eq!(
        m.b.export(&["--measure", "X0180-1"]),
        m.a.export(&["--measure", "X0180-1"])
    );
    let (mut child, b_addr) = serve(&m.b.url());
    let mirrored = get(&b_addr, "/v3/kpi/X0180-1");
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        mirrored.contains(r#""owner":"0180""#),
        "the mirror keeps the owner: {mirrored}"
    );

    // An owner that is not a known municipality is refused with its place.
    let s = Scratch::new();
    s.load_catalogue();
    let bad = s.dir.path().join("own_2026.csv");
    std::fs::write(&bad, "id,title,owner\nX9-1,Test,9999\n").unwrap();
    let out = s.import(&[&bad], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("line 2, column owner: unknown municipality 9999"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_kvalitet_instance_mirrors_another_through_its_v3_api() {
    let m = Mirror::new(&["values.csv", "data_page.json"]);
    let first = m.sync(&["--per-page", "3"]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("records read 24, inserted 24"),
        "{}",
        text(&first)
    );
    assert_eq!(
        m.b.export(&[]),
        m.a.export(&[]),
        "every value arrives unchanged"
    );

    let again = m.sync(&["--per-page", "3"]);
    assert!(
        text(&again).contains("records read 24, inserted 0, updated 0, unchanged 24"),
        "{}",
        text(&again)
    );

    // Nothing listens on port 9: every page fails, and --fail-fast stops at the first.
    let unreachable = m.b.run(&[
        "sync",
        "--source",
        "http://127.0.0.1:9/v3",
        "--year",
        "2022",
        "--fail-fast",
        "--attempts",
        "2",
        "-q",
    ]);
    assert_eq!(unreachable.status.code(), Some(1), "{}", text(&unreachable));
    assert!(
        text(&unreachable).contains(
            "error: http://127.0.0.1:9/v3/municipality?per_page=5000: gave up after 2 attempts"
        ),
        "{}",
        text(&unreachable)
    );
}

#[test]
fn a_killed_sync_resumes_and_ends_with_identical_data() {
    let m = Mirror::new(&["values.csv", "data_page.json"]);
    // One item per page at 4 requests/s: over 20 pages, so the kill lands mid-way.
    let args = [
        "sync",
        "--source",
        m.source.as_str(),
        "--year",
        "2020-2023",
        "--per-page",
        "1",
        "-q",
    ];
    let mut slow = Command::new(BIN)
        .args(args)
        .args(["--rate", "4"])
        .current_dir(m.b.dir.path())
        .env("KVALITET_DATABASE_URL", m.b.url())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    slow.kill().unwrap(); // SIGKILL: no chance to clean up
    assert!(
        !slow.wait().unwrap().success(),
        "the sync was still running when killed"
    );

    let rerun = |m: &Mirror| m.b.run(&[&args[..], &["--rate", "200"]].concat());
    let resumed = rerun(&m);
    assert!(resumed.status.success(), "{}", text(&resumed));
    assert!(
        text(&resumed).contains("resumed an interrupted sync: skipped"),
        "{}",
        text(&resumed)
    );
    assert_eq!(
        m.b.export(&[]),
        m.a.export(&[]),
        "the data is as if the sync had never stopped"
    );
    let fresh = rerun(&m);
    assert!(
        !text(&fresh).contains("resumed"),
        "a finished sync is not resumed again: {}",
        text(&fresh)
    );
}

#[test]
fn an_incremental_sync_brings_changes_and_deletions() {
    let m = Mirror::new(&["values.csv"]);
    assert!(m.sync(&[]).status.success());

    let changed = m.a.dir.path().join("changed.csv");
    std::fs::write(
        &changed,
        "kpi,municipality_id,year,value\nN15428,1280,2022,80.5\n",
    )
    .unwrap();
    let deletion = m.a.dir.path().join("deleted.json");
    std::fs::write(
        &deletion,
        r#"{"values": [{"kpi": "N00003", "municipality": "2584", "period": 2022,
            "values": [{"gender": "T", "count": 1, "status": "", "value": null, "isdeleted": true}]}]}"#,
    )
    .unwrap();
    let out = m.a.import(&[&changed, &deletion], &[]);
    assert!(text(&out).contains("deleted 1"), "{}", text(&out));

    let incremental = m.sync(&["--since", "2000-01-01", "--values-only"]);
    assert!(incremental.status.success(), "{}", text(&incremental));
    assert!(
        text(&incremental).contains("updated 1"),
        "{}",
        text(&incremental)
    );
    assert!(
        text(&incremental).contains("deleted 1"),
        "{}",
        text(&incremental)
    );
    assert_eq!(m.b.export(&[]), m.a.export(&[]));
    assert_eq!(
        m.sync(&["--since", "2024-02-30"]).status.code(),
        Some(2),
        "an impossible date is a usage error"
    );
}

#[test]
fn a_sync_can_take_its_measures_from_a_measure_set() {
    let m = Mirror::new(&["values.csv"]);
    let catalogue_only = m.sync(&["--kpi", "N00003"]);
    assert!(catalogue_only.status.success(), "{}", text(&catalogue_only));
    let set_file = m.b.dir.path().join("kkik-test.toml");
    std::fs::write(
        &set_file,
        "id = \"kkik-test\"\ntitle = \"KKiK test\"\n[[areas]]\ntitle = \"Barn och unga\"\n[[areas.measures]]\nid = \"N15428\"\nquestion = \"Behöriga?\"\ndirection = \"higher\"\n",
    )
    .unwrap();
    let loaded = m.b.import(&[&set_file], &[]);
    assert!(loaded.status.success(), "{}", text(&loaded));
    assert!(
        text(&loaded).contains("measure-set-toml"),
        "{}",
        text(&loaded)
    );
    let by_set = m.sync(&["--set", "kkik-test", "--values-only"]);
    assert!(by_set.status.success(), "{}", text(&by_set));
    assert_eq!(
        m.b.export(&["--measure", "N15428"]),
        m.a.export(&["--measure", "N15428"])
    );
    let unknown = m.sync(&["--set", "nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown).contains("no measure set \"nope\""),
        "{}",
        text(&unknown)
    );
}

/// A sync queued as a background job is done once by `kvalitet jobs work`; one that cannot
/// reach its source fails and is queued again after a backoff; bad arguments are refused
/// when queued, not at night.
#[test]
fn a_sync_runs_as_a_background_job_once_and_a_failing_one_is_tried_again() {
    let m = Mirror::new(&["values.csv"]);
    let queued = m.b.run(&[
        "jobs",
        "run",
        "sync",
        "--",
        "--source",
        &m.source,
        "--year",
        "2020-2023",
        "--rate",
        "200",
    ]);
    assert!(queued.status.success(), "{}", text(&queued));
    assert!(text(&queued).contains("queued: sync"), "{}", text(&queued));
    let worked =
        m.b.run(&["--log-format", "json", "jobs", "work", "--until-idle"]);
    assert!(worked.status.success(), "{}", text(&worked));
    assert!(text(&worked).contains("sync: done"), "{}", text(&worked));
    // The sync's log line as JSON, for a log collector.
    let logged: Vec<serde_json::Value> = String::from_utf8_lossy(&worked.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    let sync_line = logged
        .iter()
        .find(|l| l["fields"]["message"] == "sync")
        .unwrap_or_else(|| panic!("{logged:?}"));
    assert_eq!(sync_line["level"], "INFO");
    assert!(
        sync_line["fields"]["inserted"].as_u64().unwrap() > 0,
        "{sync_line}"
    );
    assert_eq!(m.b.export(&[]), m.a.export(&[]));
    // Done once: a second worker finds nothing.
    let again = m.b.run(&["jobs", "work", "--until-idle"]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        String::from_utf8_lossy(&again.stdout).is_empty(),
        "{}",
        text(&again)
    );
    let list = m.b.run(&["jobs", "list"]);
    assert!(text(&list).contains("\tsync\tdone\t"), "{}", text(&list));

    // Port 9 on this machine answers nothing: the sync fails and waits for its next try.
    let unreachable = m.b.run(&[
        "jobs",
        "run",
        "sync",
        "--",
        "--source",
        "http://127.0.0.1:9/v3",
        "--attempts",
        "1",
        "--kpi",
        "N15428",
        "--year",
        "2022",
        "--values-only",
    ]);
    assert!(unreachable.status.success(), "{}", text(&unreachable));
    let failed = m.b.run(&["jobs", "work", "--until-idle"]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    assert!(
        text(&failed).contains("sync: failed, tried again"),
        "{}",
        text(&failed)
    );
    let list = m.b.run(&["jobs", "list"]);
    assert!(text(&list).contains("\tsync\tqueued\t"), "{}", text(&list));

    let bad = m.b.run(&["jobs", "run", "sync", "--", "--bogus"]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("--bogus"), "{}", text(&bad));
    let unknown = m.b.run(&["jobs", "run", "rensa"]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("\"rensa\" is not a job"),
        "{}",
        text(&unknown)
    );
}

/// SIGTERM (systemd's stop) lets a request in flight finish before the server ends, with
/// exit code 0.
#[cfg(unix)]
#[test]
fn sigterm_finishes_the_request_in_flight_then_stops() {
    use std::io::{Read, Write};
    let s = Scratch::new();
    s.load_catalogue();
    let mut child = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("KVALITET_DATABASE_URL", s.url())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Everything the server says, read as it comes (a closed pipe would fail its writes).
    let said = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let said = said.clone();
        let mut stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                said.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let addr = loop {
        let so_far = said.lock().unwrap().clone();
        if let Some(rest) = so_far.split("http://").nth(1)
            && let Some((addr, _)) = rest.split_once('/')
        {
            break addr.to_owned();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    // Half a request: the headers and half its body.
    conn.write_all(
        b"POST /logga-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 20\r\nConnection: close\r\n\r\nemail=a%40b.se",
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    std::thread::sleep(std::time::Duration::from_millis(200));
    // The rest of the body after the signal: the answer still comes.
    conn.write_all(b"&pw=x1").unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 "), "{answer:?}");
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let rest = said.lock().unwrap().clone();
    assert!(status.success(), "{status:?}: {rest}");
    assert!(rest.contains("kvalitet stopped"), "{rest}");
}

/// `/metrics` in Prometheus' text format for a scraper on the machine: requests by route
/// pattern (never the address asked for), latency, caches, the pool; not for anyone coming
/// through a proxy.
#[test]
fn metrics_are_served_to_the_machine_itself() {
    let s = Scratch::new();
    s.load_catalogue();
    let (mut server, addr) = serve(&s.url());
    // Two kommuner the catalogue has no values for (404 pages), the method page twice.
    for path in ["/healthz", "/kommun/0180", "/kommun/1280", "/om", "/om"] {
        get(&addr, path);
    }
    let metrics = get(&addr, "/metrics");
    // Through a proxy: not there.
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut proxied = String::new();
    stream.read_to_string(&mut proxied).unwrap();
    assert!(proxied.starts_with("HTTP/1.1 404"), "{proxied}");
    let _ = server.kill();
    let _ = server.wait();
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    for expected in [
        "kvalitet_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"2xx\"} 1",
        "kvalitet_http_requests_total{route=\"/kommun/{id}\",method=\"GET\",status=\"4xx\"} 2",
        "kvalitet_http_requests_total{route=\"/om\",method=\"GET\",status=\"2xx\"} 2",
        "kvalitet_http_request_duration_seconds_bucket{le=",
        "kvalitet_cache_lookups_total{cache=\"pages\",result=\"miss\"}",
        "kvalitet_db_pool_connections ",
        "kvalitet_http_requests_in_flight 1",
    ] {
        assert!(metrics.contains(expected), "{expected} is not in {metrics}");
    }
    assert!(
        !metrics.contains("1280"),
        "no addresses as labels: {metrics}"
    );
}

/// `kvalitet backup` copies the SQLite database while it is in use; `kvalitet restore` checks
/// a backup and puts it back, keeping the database it replaces; a file that is not a
/// kvalitet database is refused and nothing is touched.
#[test]
fn a_backup_is_restored_and_a_bad_one_is_refused() {
    let s = Scratch::new();
    s.load_catalogue();
    assert!(
        s.import(&[&fixtures().join("values.csv")], &[])
            .status
            .success()
    );
    let before = s.export(&[]);
    let (mut server, _) = serve(&s.url());
    let backup = s.dir.path().join("kopia.db");
    let out = s.run(&["backup", backup.to_str().unwrap()]);
    let _ = server.kill();
    let _ = server.wait();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("backup written to"), "{}", text(&out));
    let again = s.run(&["backup", backup.to_str().unwrap()]);
    assert!(
        !again.status.success(),
        "an existing file is not overwritten"
    );
    // The data changes after the backup; the restore brings back what was backed up.
    let changed = s.dir.path().join("changed.csv");
    std::fs::write(
        &changed,
        "kpi,municipality_id,year,value\nN15428,1280,2022,1.5\n",
    )
    .unwrap();
    assert!(s.import(&[&changed], &[]).status.success());
    assert_ne!(s.export(&[]), before);
    let bad = s.dir.path().join("inte-en-databas.db");
    std::fs::write(&bad, "det här är ingen databas").unwrap();
    let refused = s.run(&["restore", bad.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("cannot be restored"),
        "{}",
        text(&refused)
    );
    assert_ne!(s.export(&[]), before, "nothing was touched");
    let restored = s.run(&["restore", backup.to_str().unwrap()]);
    assert!(restored.status.success(), "{}", text(&restored));
    assert!(
        text(&restored).contains("before-restore"),
        "{}",
        text(&restored)
    );
    assert_eq!(s.export(&[]), before);
    assert!(s.dir.path().join("kvalitet.db.before-restore").exists());
}

/// A schedule the configuration gets wrong stops the start, naming the entry and the field.
#[test]
fn a_bad_schedule_stops_the_start_with_its_place() {
    let s = Scratch::new();
    std::fs::write(
        s.dir.path().join("kvalitet.toml"),
        "[[jobs.schedule]]\nname = \"natt\"\njob = \"sync\"\ncron = \"0 25 * * *\"\nargs = [\"--set\", \"kkik\"]\n",
    )
    .unwrap();
    let out = s.run(&["serve", "--addr", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains(
            "[[jobs.schedule]] number 1 (\"natt\"): cron: the schedule's hour field is \"25\""
        ),
        "{}",
        text(&out)
    );
    std::fs::write(
        s.dir.path().join("kvalitet.toml"),
        "[[jobs.schedule]]\nname = \"natt\"\njob = \"sync\"\ncron = \"0 3 * * *\"\nargs = [\"--sett\", \"kkik\"]\n",
    )
    .unwrap();
    let out = s.run(&["serve", "--addr", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("(\"natt\"): args"), "{}", text(&out));
}

#[test]
fn the_first_administrator_is_made_on_the_command_line() {
    let s = Scratch::new();
    s.load_catalogue();
    let add = s.run(&[
        "user",
        "add",
        "Anna@Kommun.se",
        "--name",
        "Anna Andersson",
        "--municipality",
        "0180",
        "--role",
        "admin",
    ]);
    assert!(add.status.success(), "{}", text(&add));
    let password = String::from_utf8_lossy(&add.stdout).trim().to_owned();
    assert_eq!(
        password.chars().count(),
        20,
        "a generated password is printed once: {password}"
    );

    let again = s.run(&["user", "add", "anna@kommun.se", "--name", "Anna"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(
        text(&again).contains("already has an account"),
        "{}",
        text(&again)
    );

    let mut child = Command::new(BIN)
        .args([
            "user",
            "add",
            "bo@kommun.se",
            "--name",
            "Bo",
            "--password-stdin",
        ])
        .env("KVALITET_DATABASE_URL", s.url())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"kort\n").unwrap();
    let short = child.wait_with_output().unwrap();
    assert_eq!(short.status.code(), Some(1));
    assert!(
        text(&short).contains("at least 12 characters"),
        "{}",
        text(&short)
    );

    let role = s.run(&["user", "set-role", "anna@kommun.se", "1280", "editor"]);
    assert!(role.status.success(), "{}", text(&role));
    let unknown = s.run(&["user", "set-role", "anna@kommun.se", "1280", "boss"]);
    assert_ne!(unknown.status.code(), Some(0));
    let list = s.run(&["user", "list"]);
    let listed = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(
        listed.contains("anna@kommun.se\tAnna Andersson\tfalse\t0180:admin,1280:editor"),
        "{listed}"
    );
    assert!(
        !listed.contains("argon2") && !listed.contains(&password),
        "no secrets listed"
    );

    let reset = s.run(&["user", "reset-password", "anna@kommun.se"]);
    assert!(reset.status.success(), "{}", text(&reset));
    assert_ne!(String::from_utf8_lossy(&reset.stdout).trim(), password);
    let nobody = s.run(&["user", "reset-password", "nobody@kommun.se"]);
    assert!(
        text(&nobody).contains("no account for nobody@kommun.se"),
        "{}",
        text(&nobody)
    );
}

#[test]
fn framework_files_are_checked_with_their_places() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/frameworks");
    let good = Command::new(BIN)
        .arg("framework")
        .arg("check")
        .arg(root.join("kommunkompassen-2020.toml"))
        .arg(root.join("hme.toml"))
        .output()
        .unwrap();
    assert!(good.status.success(), "{}", text(&good));
    assert!(
        text(&good).contains("Kommunkompassen 2020 (from 2020-01-01), 8 areas"),
        "{}",
        text(&good)
    );
    let s = Scratch::new();
    let bad = s.dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "id = \"x\"\nname = \"X\"\nversion = \"1\"\nvalid_from = \"2020-01-01\"\ntotal = \"sum\"\n\
         [[areas]]\nid = \"a\"\ntitle = \"A\"\naggregation = \"sum\"\nmax = 10\n\
         [[areas.questions]]\nid = \"q\"\ntext = \"?\"\nrule = \"choice\"\noptions = [[\"Ja\", 3], [\"Ja\", 1]]\n\
         [[areas.questions]]\nid = \"q\"\ntext = \"?\"\nrule = \"scale\"\nlow = 5\nhigh = 1\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["framework", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    assert!(
        t.contains("areas[0].questions[0]: the choice \"Ja\" is listed twice"),
        "{t}"
    );
    assert!(
        t.contains("areas[0].questions[1]: the question id \"q\" is used twice"),
        "{t}"
    );
    assert!(t.contains("the scale 5–1 is empty"), "{t}");
    assert!(t.contains("not the stated maximum 10"), "{t}");
}

#[test]
fn frameworks_load_through_import_and_are_shown() {
    let s = Scratch::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/frameworks");
    let first = s.import(&[&dir], &[]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("framework-toml") && text(&first).contains("inserted 4"),
        "{}",
        text(&first)
    );
    let again = s.import(&[&dir], &[]);
    assert!(
        text(&again).contains("inserted 0, updated 0, unchanged 4"),
        "{}",
        text(&again)
    );
    let (mut child, addr) = serve(&s.url());
    let page = get(&addr, "/ramverk");
    child.kill().unwrap();
    let _ = child.wait();
    assert!(page.contains("Kommunkompassen (2020)"), "{page}");
    assert!(page.contains("poäng omräknade till 100"), "{page}");
    assert!(page.contains("Motivation (U00201)"), "{page}");
}

/// A goal plan is checked against the measures the database knows, refused with each place,
/// and saved as the municipality's draft, or published with `--publish`.
#[test]
fn goal_plans_are_checked_imported_and_published() {
    let s = Scratch::new();
    s.load_catalogue();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/examples/goal-plan.toml");
    // The example follows U21468, which the test catalogue does not have: refused, by name.
    let unknown = s.run(&["goals", "check", &example.display().to_string()]);
    assert_eq!(unknown.status.code(), Some(1), "{}", text(&unknown));
    assert!(
        text(&unknown).contains("kf-omsorg") && text(&unknown).contains("U21468"),
        "{}",
        text(&unknown)
    );
    let plan = s.dir.path().join("plan.toml");
    let source = std::fs::read_to_string(&example)
        .unwrap()
        .replace("measure = \"U21468\"", "measure = \"N15428\"");
    std::fs::write(&plan, &source).unwrap();
    let plan = plan.display().to_string();
    let checked = s.run(&["goals", "check", &plan]);
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(
        text(&checked).contains(
            "0180: 5 goals (vision 1, kf 2, namnd 1, unit 0, activities 1), 2 indicators"
        ),
        "{}",
        text(&checked)
    );
    let imported = s.run(&["goals", "import", &plan, "--publish"]);
    assert!(imported.status.success(), "{}", text(&imported));
    assert!(
        text(&imported).contains("saved as the draft goal plan of 0180 (5 goals)")
            && text(&imported).contains("published"),
        "{}",
        text(&imported)
    );
    let broken = s.dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        source.replace("parent = \"vision\"", "parent = \"kf-omsorg\""),
    )
    .unwrap();
    let refused = s.run(&["goals", "import", &broken.display().to_string()]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("circle"), "{}", text(&refused));

    // `kvalitet import` takes plans too, in a directory with values: the values first, the
    // plan after them, a broken plan refused with its place while the rest is written.
    let dir = s.dir.path().join("move-in");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("plan.toml"), &source).unwrap();
    std::fs::write(
        dir.join("values.csv"),
        "kpi,municipality_id,year,value\nN15428,0180,2023,91.5\n",
    )
    .unwrap();
    let moved = s.run(&["import", "--quiet", &dir.display().to_string()]);
    assert!(moved.status.success(), "{}", text(&moved));
    let said = text(&moved);
    let values_at = said.find("values-csv: read 1, inserted 1").expect(&said);
    let plan_at = said
        .find("plan.toml: goal-plan: saved as the draft goal plan of 0180 (5 goals)")
        .expect(&said);
    assert!(values_at < plan_at, "{said}");
    assert!(!said.contains("published"), "{said}");
    std::fs::copy(&broken, dir.join("plan.toml")).unwrap();
    let refused = s.run(&[
        "import",
        "--quiet",
        "--publish-goals",
        &dir.display().to_string(),
    ]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("circle"), "{}", text(&refused));
}

#[test]
fn survey_weight_rakes_a_file_to_the_targets_without_a_database() {
    let s = Scratch::new();
    let write = |name: &str, text: &str| {
        std::fs::write(s.dir.path().join(name), text).unwrap();
    };
    write(
        "targets.csv",
        "variable;level;share\nsex;K;0,5\nsex;M;0,5\nage;ung;0,4\nage;äldre;0,6\n",
    );
    // 30 young women, 10 older women, 20 young men, 40 older men.
    let mut sample = String::from("id,sex,age,note\n");
    for (n, (sex, age, count)) in [
        ("K", "ung", 30),
        ("K", "äldre", 10),
        ("M", "ung", 20),
        ("M", "äldre", 40),
    ]
    .into_iter()
    .enumerate()
    {
        for i in 0..count {
            sample.push_str(&format!("p{n}-{i},{sex},{age},\n"));
        }
    }
    write("sample.csv", &sample);
    let out = s.run(&[
        "survey",
        "weight",
        "--sample",
        "sample.csv",
        "--targets",
        "targets.csv",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("id,weight"));
    let weights: Vec<(String, f64)> = lines
        .map(|l| {
            let (id, w) = l.split_once(',').unwrap();
            (id.to_owned(), w.parse().unwrap())
        })
        .collect();
    assert_eq!(weights.len(), 100);
    let share = |prefixes: &[&str]| {
        weights
            .iter()
            .filter(|(id, _)| prefixes.iter().any(|p| id.starts_with(p)))
            .map(|(_, w)| w)
            .sum::<f64>()
            / 100.0
    };
    assert!((share(&["p0-", "p1-"]) - 0.5).abs() < 1e-6, "women");
    assert!((share(&["p0-", "p2-"]) - 0.4).abs() < 1e-6, "young");
    let summary: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stderr).trim()).unwrap();
    assert_eq!(summary["converged"], true);
    assert_eq!(summary["n"], 100);
    assert!(summary["deff"].as_f64().unwrap() > 1.0);
    // 40 women against 50 %: 20 points off before (10 + 10), none after.
    assert!((summary["discrepancy"]["sex"]["before"].as_f64().unwrap() - 20.0).abs() < 1e-9);
    assert!(summary["discrepancy"]["age"]["after"].as_f64().unwrap() < 1e-4);
    assert!(
        !s.dir.path().join("kvalitet.db").exists(),
        "no database is made"
    );

    // A cap the targets cannot live with: weights written, exit 3, the error said.
    let capped = s.run(&[
        "survey",
        "weight",
        "--sample",
        "sample.csv",
        "--targets",
        "targets.csv",
        "--cap",
        "1.1",
    ]);
    assert_eq!(capped.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&capped.stderr).contains("\"converged\":false"));

    // Bad input names the file, line and column, and writes no weights.
    write("bad.csv", "id,sex,age\na,K,ung\nb,X,ung\na,M,äldre\n");
    let bad = s.run(&[
        "survey",
        "weight",
        "--sample",
        "bad.csv",
        "--targets",
        "targets.csv",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(bad.stdout.is_empty());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("bad.csv: line 3, column 2 (sex)")
            && err.contains("bad.csv: line 4, column 1 (id)"),
        "{err}"
    );
    write("sum.csv", "variable,level,share\nsex,K,0.5\nsex,M,0.4\n");
    let sum = s.run(&[
        "survey",
        "weight",
        "--sample",
        "sample.csv",
        "--targets",
        "sum.csv",
    ]);
    assert!(
        String::from_utf8_lossy(&sum.stderr).contains("sum.csv: the shares of sex sum to 0.9000")
    );
    write(
        "empty.csv",
        "variable,level,share\nsex,K,0.4\nsex,M,0.4\nsex,X,0.2\n",
    );
    let empty = s.run(&[
        "survey",
        "weight",
        "--sample",
        "sample.csv",
        "--targets",
        "empty.csv",
    ]);
    assert!(
        String::from_utf8_lossy(&empty.stderr).contains("sex = X"),
        "{}",
        String::from_utf8_lossy(&empty.stderr)
    );
    std::fs::write(
        s.dir.path().join("latin1.csv"),
        b"variable,level,share\nsex,K\xf6,1\n",
    )
    .unwrap();
    let latin1 = s.run(&[
        "survey",
        "weight",
        "--sample",
        "sample.csv",
        "--targets",
        "latin1.csv",
    ]);
    assert_eq!(latin1.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&latin1.stderr).contains("latin1.csv"));
    let cap = s.run(&[
        "survey",
        "weight",
        "--sample",
        "sample.csv",
        "--targets",
        "targets.csv",
        "--cap",
        "0.5",
    ]);
    assert!(!cap.status.success());
}

#[test]
fn survey_check_reads_the_shipped_questionnaires_and_names_problems() {
    let s = Scratch::new();
    let surveys = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/surveys");
    let hme = surveys.join("hme.toml");
    let out = s.run(&["survey", "check", hme.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("hme \"Hållbart medarbetarengagemang (HME)\": 3 sections, 9 questions"),
        "{said}"
    );
    std::fs::write(
        s.dir.path().join("bad.toml"),
        "id = \"x\"\ntitle = \"T\"\n[[sections]]\ntitle = \"S\"\n[[sections.questions]]\nid = \"q\"\nkind = \"single\"\ntext = \"Välj\"\n",
    )
    .unwrap();
    let bad = s.run(&["survey", "check", "bad.toml"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("bad.toml: question \"q\"") && err.contains("2 to 100 options"),
        "{err}"
    );
    assert!(!s.dir.path().join("kvalitet.db").exists());
}

/// The real Pabulib rounds beside the pabutools check (tests/pabutools/instances).
fn pabulib_rounds() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/pabutools/instances");
    let mut rounds: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    rounds.sort();
    rounds
}

#[test]
fn budget_count_by_greedy_gives_the_official_outcome_of_real_rounds() {
    let s = Scratch::new();
    let mut checked = 0;
    for round in pabulib_rounds() {
        let file = std::fs::read_to_string(&round).unwrap();
        // Rounds decided by greedy with skipping that record their outcome: greedy must
        // repeat it.
        if !file.lines().any(|l| l.trim() == "rule;greedy") {
            continue;
        }
        let projects = file
            .split("PROJECTS")
            .nth(1)
            .unwrap()
            .split("VOTES")
            .next()
            .unwrap();
        let mut lines = projects.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<&str> = lines.next().unwrap().split(';').map(str::trim).collect();
        let Some(selected_at) = header.iter().position(|h| *h == "selected") else {
            continue;
        };
        let mut official: Vec<String> = lines
            .filter(|l| l.split(';').nth(selected_at).map(str::trim) == Some("1"))
            .map(|l| l.split(';').next().unwrap().to_owned())
            .collect();
        official.sort();
        let out = s.run(&[
            "budget",
            "count",
            &round.display().to_string(),
            "--rule",
            "greedy",
        ]);
        assert!(out.status.success(), "{}", text(&out));
        let said: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut ours: Vec<String> = said["selected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        ours.sort();
        assert_eq!(ours, official, "{}", round.display());
        let cost = said["cost"].as_u64().unwrap();
        assert!(cost <= said["budget"].as_u64().unwrap());
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} greedy rounds with an outcome");
}

#[test]
fn budget_count_refuses_a_bad_round_naming_the_line() {
    let s = Scratch::new();
    let path = s.dir.path().join("bad.pb");
    let refused = |round: &str, rule: &str| {
        std::fs::write(&path, round).unwrap();
        let out = s.run(&[
            "budget",
            "count",
            &path.display().to_string(),
            "--rule",
            rule,
        ]);
        assert_eq!(out.status.code(), Some(1));
        text(&out)
    };
    let said = refused(
        "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;60\n2;\nVOTES\nvoter_id;vote\na;1\n",
        "mes",
    );
    assert!(
        said.contains("line 8") && said.contains("project 2"),
        "{said}"
    );
    let said = refused(
        "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;60\nVOTES\nvoter_id;vote\na;1,7\n",
        "greedy",
    );
    assert!(
        said.contains("line 10") && said.contains("project 7"),
        "{said}"
    );
}

/// `kvalitet report` writes the site's yearly report for one kommun, and with `--all` one
/// per kommun; an unknown kommun or a year without values is refused in words.
#[test]
fn report_writes_the_yearly_pdf_for_one_kommun_or_all() {
    let s = Scratch::new();
    let (mut child, _, said) = common::serve_with(&s.url(), &["--demo"]);
    child.kill().unwrap();
    let _ = child.wait();
    if said.contains("carries no reference data") {
        eprintln!("skipped: this build has no reference data (no ../shared/data)");
        return;
    }
    let pdf = s.dir.path().join("göteborg.pdf");
    let out = s.run(&[
        "report",
        "--municipality",
        "1480",
        "--year",
        "2022",
        "--output",
        pdf.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Kvalitet i korthet 2022: Göteborg"));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-1.7"));

    let out = s.run(&[
        "report",
        "--municipality",
        "9999",
        "--year",
        "2022",
        "-o",
        "x.pdf",
    ]);
    assert!(!out.status.success());
    assert!(text(&out).contains("9999"), "{}", text(&out));
    let out = s.run(&[
        "report",
        "--municipality",
        "1480",
        "--year",
        "1990",
        "-o",
        "x.pdf",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("Det finns inga värden för Göteborg 1990"),
        "{}",
        text(&out)
    );

    let out = s.run(&["report", "--all", "--year", "2022", "--output", "alla"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("290 report(s) written to alla, 0 skipped"),
        "{}",
        text(&out)
    );
    assert!(s.dir.path().join("alla/2584-2022.pdf").exists());
}
