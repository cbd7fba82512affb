//! Reading every supported format from small hand-written inputs, good and bad.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use std::io::Write;

use kvalitet_domain::{Datum, Gender, GroupKind, MissingStatus, MunicipalityKind};
use kvalitet_formats::{Format, Location, ReadError, Record, RowError, read};

struct Read {
    records: Vec<(Location, Record)>,
    errors: Vec<RowError>,
    format: Result<Format, ReadError>,
}

fn read_all(input: &[u8], format: Option<Format>) -> Read {
    let mut records = Vec::new();
    let mut errors = Vec::new();
    let format = read(input, format, &mut |item| {
        match item {
            Ok(r) => records.push(r),
            Err(e) => errors.push(e),
        }
        true
    });
    Read {
        records,
        errors,
        format,
    }
}

fn values(r: &Read) -> Vec<kvalitet_domain::ValueRow> {
    r.records
        .iter()
        .filter_map(|(_, rec)| match rec {
            Record::Value(v) => Some(*v),
            _ => None,
        })
        .collect()
}

#[test]
fn long_value_csv_reads_numbers_statuses_and_genders() {
    let csv = b"kpi,municipality_id,year,value,gender,status,count\n\
N15428,0000,2022,85.310222,T,,\n\
N15428,0180,2022,..,K,,\n\
N15428,0180,2022,,M,not_reported,\n\
N15428,G92787,2022,80.5,T,,3\n";
    let r = read_all(csv, None);
    assert_eq!(r.format.as_ref().unwrap(), &Format::ValuesCsv);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let v = values(&r);
    assert_eq!(v.len(), 4);
    assert_eq!(v[0].datum, Datum::Number(85.310222));
    assert_eq!(v[0].key.area.as_str(), "0000");
    assert_eq!(v[1].datum, Datum::Missing(MissingStatus::Secret));
    assert_eq!(v[1].key.gender, Gender::Women);
    assert_eq!(v[2].datum, Datum::Missing(MissingStatus::NotReported));
    assert_eq!(v[3].count, Some(3));
    assert_eq!(r.records[3].0.line, Some(5));
}

#[test]
fn gender_defaults_to_total_when_the_column_is_absent() {
    let r = read_all(
        b"kpi,municipality_id,year,value\nN00053,0114,2008,1718.0\n",
        None,
    );
    assert_eq!(values(&r)[0].key.gender, Gender::Total);
}

#[test]
fn bad_value_rows_name_line_and_field() {
    let csv = b"kpi,municipality_id,year,value,gender\n\
N15428,0180,2022,85.3,T\n\
N15428,180,2022,85.3,T\n\
N15428,0180,20x2,85.3,T\n\
N15428,0180,2022,abc,T\n\
N15428,0180,2022,85.3,F\n\
N15428,0180,2022\n\
N 15428,0180,2022,1,T\n";
    let r = read_all(csv, None);
    assert_eq!(values(&r).len(), 1);
    let described: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
    assert_eq!(described.len(), 6, "{described:#?}");
    assert!(
        described[0].starts_with("line 3, column municipality_id:"),
        "{}",
        described[0]
    );
    assert!(
        described[1].starts_with("line 4, column year:"),
        "{}",
        described[1]
    );
    assert!(
        described[2].starts_with("line 5, column value:"),
        "{}",
        described[2]
    );
    assert!(
        described[3].starts_with("line 6, column gender:"),
        "{}",
        described[3]
    );
    assert!(
        described[4].contains("line 7") && described[4].contains("3 fields"),
        "{}",
        described[4]
    );
    assert!(
        described[5].starts_with("line 8, column kpi:"),
        "{}",
        described[5]
    );
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzip_is_undone_and_truncation_is_an_error() {
    let mut csv = b"kpi,municipality_id,year,value\n".to_vec();
    for i in 0..5000 {
        csv.extend_from_slice(format!("N00053,0114,{},{}.5\n", 1995 + i % 25, i).as_bytes());
    }
    let gz = gzip(&csv);
    let whole = read_all(&gz, None);
    assert_eq!(whole.format.as_ref().unwrap(), &Format::ValuesCsv);
    assert_eq!(values(&whole).len(), 5000);

    let truncated = read_all(&gz[..gz.len() / 2], None);
    let err = truncated.format.unwrap_err().to_string();
    assert!(err.contains("truncated") || err.contains("end"), "{err}");
    assert!(
        err.starts_with("line "),
        "the error names the line reached: {err}"
    );
}

const DATA_PAGE: &str = r#"{"values": [
 {"values": [
   {"gender": "T", "count": 1, "status": "", "value": 21.88749, "isdeleted": false},
   {"gender": "K", "count": 1, "status": "", "value": 25.688929, "isdeleted": false},
   {"gender": "M", "count": 1, "status": "Missing", "value": null, "isdeleted": false}],
  "kpi": "N21704", "period": 2023, "municipality": "0180"},
 {"values": [{"gender": "T", "count": 7, "status": "", "value": 3.5, "isdeleted": true}],
  "kpi": "N21704", "period": 2023, "municipality": "G92787"}],
 "count": 2, "next_url": null, "previous_url": null}"#;

#[test]
fn kolada_data_pages_give_one_value_per_gender() {
    let r = read_all(DATA_PAGE.as_bytes(), None);
    assert_eq!(r.format.as_ref().unwrap(), &Format::KoladaJson);
    let v = values(&r);
    assert_eq!(v.len(), 4);
    assert_eq!(v[0].datum, Datum::Number(21.88749));
    assert_eq!(v[1].key.gender, Gender::Women);
    assert_eq!(v[2].datum, Datum::Missing(MissingStatus::NotPublished));
    assert_eq!(v[3].datum, Datum::Deleted);
    assert_eq!(v[3].count, Some(7));
    assert_eq!(
        v[0].count, None,
        "count 1 on a municipality carries nothing and is not kept"
    );
    assert_eq!(
        r.records[1].0.json_path.as_deref(),
        Some("$.values[0].values[1]")
    );
}

#[test]
fn wrong_json_types_name_the_json_path() {
    let page = r#"{"values": [{"values": [{"gender": "T", "count": 1, "status": "", "value": "21,9"}],
        "kpi": "N21704", "period": 2023, "municipality": "0180"},
        {"values": [], "kpi": "N21704", "period": "last year", "municipality": "0180"}]}"#;
    let r = read_all(page.as_bytes(), None);
    let described: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
    assert_eq!(described.len(), 2);
    assert!(
        described[0]
            .starts_with("$.values[0].values[0].value, field value: expected a number or null"),
        "{}",
        described[0]
    );
    assert!(
        described[1].starts_with("$.values[1].period"),
        "{}",
        described[1]
    );
}

#[test]
fn truncated_json_is_an_error_with_a_line() {
    let cut = &DATA_PAGE[..DATA_PAGE.len() - 40];
    let err = read_all(cut.as_bytes(), None)
        .format
        .unwrap_err()
        .to_string();
    assert!(err.contains("ends early"), "{err}");
    assert!(err.starts_with("line "), "{err}");
    let err = read_all(b"<html>oops</html>", None)
        .format
        .unwrap_err()
        .to_string();
    assert!(err.contains("matches no known format"), "{err}");
}

#[test]
fn kolada_metadata_pages_are_recognised() {
    let kpi = r#"{"values": [{"id": "N15428", "title": "Elever i åk 9 som är behöriga till yrkesprogram, hemkommun, andel (%)",
        "description": "Andel. Källa: Skolverket.", "is_divided_by_gender": true, "municipality_type": "K",
        "auspice": "T", "operating_area": "Grundskola", "perspective": "Kvalitet och resultat",
        "prel_publication_date": null, "publication_date": "2026-09-30", "publ_period": "2025", "has_ou_data": true}]}"#;
    let r = read_all(kpi.as_bytes(), None);
    let Record::Measure(m) = &r.records[0].1 else {
        panic!("{:?}", r.records)
    };
    assert_eq!(m.id.as_str(), "N15428");
    assert!(m.kolada.is_divided_by_gender);
    assert_eq!(m.unit.as_deref(), Some("andel (%)"));

    let municipalities = r#"{"values": [{"id": "0000", "title": "Riket", "type": "L"},
        {"id": "0001", "title": "Region Stockholm", "type": "L"}, {"id": "0180", "title": "Stockholm", "type": "K"}]}"#;
    let r = read_all(municipalities.as_bytes(), None);
    let kinds: Vec<MunicipalityKind> = r
        .records
        .iter()
        .map(|(_, rec)| match rec {
            Record::Municipality(m) => m.kind,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            MunicipalityKind::Riket,
            MunicipalityKind::Region,
            MunicipalityKind::Kommun
        ]
    );

    let groups = r#"{"values": [{"id": "G92787", "title": "Storstäder (ovägt medel)",
        "members": [{"member_id": "0180", "member_title": "Stockholm"}, {"member_id": "1280", "member_title": "Malmö"}]}]}"#;
    let r = read_all(groups.as_bytes(), None);
    let Record::Group(g) = &r.records[0].1 else {
        panic!()
    };
    assert_eq!(g.members.len(), 2);

    let kpi_groups = r#"{"values": [{"id": "G2KPI74586", "title": "KKiK", "members": [{"member_id": "N15428", "member_title": "x"}]}]}"#;
    let r = read_all(kpi_groups.as_bytes(), None);
    assert!(
        matches!(&r.records[0].1, Record::KpiGroup(g) if g.members.as_ref().map(Vec::len) == Some(1))
    );
}

#[test]
fn catalogue_csv_reads_v3_and_v2_column_names() {
    let v3 = "id,title,description,is_divided_by_gender,municipality_type,auspice,operating_area,perspective,prel_publication_date,publication_date,publ_period,has_ou_data\n\
N00003,\"Personalkostnader, kr/inv\",\"Personalkostnader. Källa: SCB.\",False,K,E,\"Kommunen, övergripande\",Resurser,2026-04-01,2026-08-28,2025,False\n";
    let r = read_all(v3.as_bytes(), None);
    assert_eq!(r.format.unwrap(), Format::KpiCatalogueCsv);
    let Record::Measure(m) = &r.records[0].1 else {
        panic!()
    };
    assert_eq!(m.kolada.auspice.as_deref(), Some("E"));
    assert_eq!(m.unit.as_deref(), Some("kr/inv"));

    let v2 = "id,title,operating_area,perspective,auspices,municipality_type,is_divided_by_gender,publication_date,description\n\
N00053,\"Månadsavlönade totalt, kommun, antal\",\"Kommunen, övergripande\",Resurser,E,K,1,2025-04-03,Antal anställda.\n\
N00054,Bad,x,y,E,Q,1,2025-04-03,x\n";
    let r = read_all(v2.as_bytes(), None);
    let Record::Measure(m) = &r.records[0].1 else {
        panic!()
    };
    assert!(m.kolada.is_divided_by_gender);
    assert_eq!(m.kolada.auspice.as_deref(), Some("E"));
    assert_eq!(r.errors.len(), 1);
    assert!(
        r.errors[0]
            .to_string()
            .starts_with("line 3, column municipality_type")
    );
}

#[test]
fn kommuner_csv_gives_counties_skr_groups_and_neighbours() {
    let csv = "kommun_kod,kommun,lan_kod,lan,kolada_region_id,skr_kommungrupp_2023_code,skr_kommungrupp_2023,skr_kommungrupp_2023_kolada_group,grannkommuner\n\
0114,Upplands Väsby,01,Stockholms län,0001,A2,Pendlingskommun nära storstad,G92793,0115;0123\n\
0115,Vallentuna,01,Stockholms län,0001,A2,Pendlingskommun nära storstad,G92793,0114\n\
0125,Ekerö,01,Stockholms län,0001,A2,Pendlingskommun nära storstad,G92793,\n";
    let r = read_all(csv.as_bytes(), None);
    assert_eq!(r.format.unwrap(), Format::KommunerCsv);
    assert!(r.errors.is_empty());
    let counties = r
        .records
        .iter()
        .filter(|(_, x)| matches!(x, Record::County { .. }))
        .count();
    assert_eq!(counties, 1);
    let group = r
        .records
        .iter()
        .find_map(|(_, x)| match x {
            Record::Group(g) => Some(g),
            _ => None,
        })
        .unwrap();
    assert_eq!(group.kind, Some(GroupKind::SkrKommungrupp));
    assert_eq!(group.members.len(), 3);
    let island = r.records.iter().any(|(_, x)| matches!(x, Record::Neighbours { municipality, neighbours } if municipality.as_str() == "0125" && neighbours.is_empty()));
    assert!(island);
}

#[test]
fn a_forced_format_that_does_not_fit_names_the_missing_column() {
    let err = read_all(b"a,b\n1,2\n", Some(Format::ValuesCsv))
        .format
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 1, column kpi"), "{err}");
}

/// Excel 97–2003 files as xlwt writes them (`tests/fixtures/make_xls.py`): shared strings
/// over several CONTINUE records, Swedish letters, a 9,000-character cell, an empty row
/// kept as a line, booleans, RK and float numbers; only the first sheet.
#[test]
fn an_old_excel_workbook_reads_as_its_first_sheet() {
    let rows = kvalitet_formats::sheet::rows(include_bytes!("fixtures/many.xls")).unwrap();
    assert_eq!(rows.len(), 1004);
    assert_eq!(rows[0], ["kpi", "municipality_id", "year", "value", "note"]);
    assert_eq!(
        rows[1],
        ["X0180-1", "0180", "2001", "0.125", "anteckning 1 åäö ÅÄÖ"]
    );
    assert_eq!(
        rows[1000],
        [
            "X0180-1000",
            "0180",
            "2000",
            "125",
            "anteckning 1000 åäö ÅÄÖ"
        ]
    );
    assert!(rows[1001].is_empty(), "the empty row keeps its line");
    assert_eq!(rows[1002][0], "lång");
    assert_eq!(rows[1002][4], "ö".repeat(9000));
    assert_eq!(rows[1003], ["TRUE", "FALSE", "", "1.23", "-7"]);
}

#[test]
fn an_old_excel_formula_is_refused_naming_its_cell() {
    assert_eq!(
        kvalitet_formats::sheet::to_csv(include_bytes!("fixtures/formula.xls")),
        Err(kvalitet_formats::sheet::SheetError::Formula("C2".into()))
    );
}
