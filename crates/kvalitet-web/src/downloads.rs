//! Downloads of what a page shows: CSV for machines (UTF-8, comma, point decimals), CSV for
//! Swedish Excel (BOM, semicolon, decimal comma), and Excel .xlsx with a data sheet and an
//! "Om datan" sheet, written with rust_xlsxwriter.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A table as the page shows it.
pub struct Table {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Per column: whether its cells are numbers (written as numbers in Excel).
    pub numeric: Vec<bool>,
}

/// Which file to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    ExcelCsv,
    Xlsx,
}

/// A number for machines: point decimals, no grouping, empty when missing.
pub fn machine_number(x: Option<f64>) -> String {
    x.map_or_else(String::new, |x| {
        let s = format!("{x:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".to_owned()
        } else {
            s.to_owned()
        }
    })
}

/// A number rounded as the page shows it (`decimals`), for machines: point decimals, no
/// grouping, empty when missing.
pub fn shown_number(x: Option<f64>, decimals: u8) -> String {
    x.map_or_else(String::new, |x| {
        let s = format!("{x:.*}", usize::from(decimals));
        if s.trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            s.trim_start_matches('-').to_owned()
        } else {
            s
        }
    })
}

/// A code column's words in Swedish for the Excel variants (`green` → "Bland de 25 % bästa",
/// `not_comparable` → "Kan inte jämföras"); other columns as they are.
fn swedish_cell<'a>(column: &str, cell: &'a str) -> std::borrow::Cow<'a, str> {
    let prefix = match column {
        "colour" => "colour",
        "trend" => "trend",
        "status" => "missing",
        _ => return cell.into(),
    };
    if cell.is_empty() {
        return cell.into();
    }
    match kvalitet_domain::Lang::Sv.t(&format!("{prefix}.{cell}")) {
        "" => cell.into(),
        words => words.into(),
    }
}

/// Excel and LibreOffice run cells that start with these as formulas (also after leading
/// spaces); a leading apostrophe keeps them text.
fn defuse(cell: &str) -> String {
    let start = cell.trim_start_matches(' ');
    if start.starts_with(['=', '+', '@', '\t', '\r', '\n', '|'])
        || (start.starts_with('-') && start.parse::<f64>().is_err())
    {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

pub fn csv(table: &Table, excel: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if excel {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(if excel { b';' } else { b',' })
        .from_writer(out);
    // The Excel variant is for people: Swedish headings and words; the plain CSV keeps the
    // machine names and codes.
    let header: Vec<&str> = table
        .header
        .iter()
        .map(|h| {
            if excel {
                kvalitet_formats::table::swedish_heading(h)
            } else {
                h.as_str()
            }
        })
        .collect();
    let _ = w.write_record(&header);
    for row in &table.rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let numeric = table.numeric.get(i).copied().unwrap_or(false);
                let column = table.header.get(i).map_or("", String::as_str);
                match (numeric, excel) {
                    (true, true) => c.replace('.', ","),
                    (true, false) => c.clone(),
                    // Both CSVs end up in spreadsheets (the audit trail too): a text cell
                    // is never left to run as a formula.
                    (false, true) => defuse(&swedish_cell(column, c)),
                    (false, false) => defuse(c),
                }
            })
            .collect();
        let _ = w.write_record(&cells);
    }
    w.into_inner().unwrap_or_default()
}

/// The number format of a numeric column: thousands grouped, as many decimals as its values
/// have (at most three), so 85.3 shows as 85,3 in Swedish Excel and 4 542 773 grouped.
fn number_format(values: &[&str]) -> String {
    let decimals = values
        .iter()
        .filter_map(|v| v.split_once('.').map(|(_, d)| d.len()))
        .max()
        .unwrap_or(0)
        .min(3);
    if decimals == 0 {
        "#,##0".to_owned()
    } else {
        format!("#,##0.{}", "0".repeat(decimals))
    }
}

/// An .xlsx workbook (written with rust_xlsxwriter): the table on "Data" with Swedish
/// headings in bold, the heading row frozen, ids and texts as text (leading zeros kept, a
/// leading "=" never a formula), numbers as numbers with their format, and columns as wide as
/// their contents; then "Om datan" with `about` as two columns.
pub fn xlsx(
    table: &Table,
    about: &[(String, String)],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let data = book.add_worksheet();
    data.set_name("Data")?;
    for (c, heading) in table.header.iter().enumerate() {
        data.write_string_with_format(
            0,
            c as u16,
            kvalitet_formats::table::swedish_heading(heading),
            &bold,
        )?;
    }
    let formats: Vec<Option<Format>> = (0..table.header.len())
        .map(|c| {
            table.numeric.get(c).copied().unwrap_or(false).then(|| {
                let values: Vec<&str> = table
                    .rows
                    .iter()
                    .filter_map(|r| r.get(c).map(String::as_str))
                    .collect();
                Format::new().set_num_format(number_format(&values))
            })
        })
        .collect();
    for (r, row) in table.rows.iter().enumerate() {
        let at = r as u32 + 1;
        for (c, text) in row.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let col = c as u16;
            match (formats.get(c).and_then(Option::as_ref), text.parse::<f64>()) {
                (Some(f), Ok(x)) if x.is_finite() => {
                    data.write_number_with_format(at, col, x, f)?;
                }
                _ => {
                    let column = table.header.get(c).map_or("", String::as_str);
                    data.write_string(at, col, swedish_cell(column, text))?;
                }
            }
        }
    }
    data.set_freeze_panes(1, 0)?;
    data.autofit();
    let info = book.add_worksheet();
    info.set_name("Om datan")?;
    info.write_string_with_format(0, 0, "Tabell", &bold)?;
    info.write_string(0, 1, &table.title)?;
    for (i, (k, v)) in about.iter().enumerate() {
        info.write_string_with_format(i as u32 + 1, 0, k, &bold)?;
        info.write_string(i as u32 + 1, 1, v)?;
    }
    info.autofit();
    book.save_to_buffer()
}

/// The download as an HTTP answer named `stem` plus the kind's extension.
pub fn respond(kind: Kind, table: &Table, stem: &str, about: &[(String, String)]) -> Response {
    let (body, mime, ext) = match kind {
        Kind::Csv => (csv(table, false), "text/csv; charset=utf-8", "csv"),
        Kind::ExcelCsv => (csv(table, true), "text/csv; charset=utf-8", "csv"),
        Kind::Xlsx => match xlsx(table, about) {
            Ok(bytes) => (
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            Err(e) => {
                tracing::error!(error = %e, "an .xlsx download could not be written");
                return (
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "Något gick fel. Försök igen senare.",
                )
                    .into_response();
            }
        },
    };
    let stem: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.{ext}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            title: "T".into(),
            header: vec!["id".into(), "name".into(), "value".into()],
            rows: vec![
                vec!["0180".into(), "Stockholm".into(), "85.3".into()],
                vec!["1480".into(), "=HYPERLINK(\"x\")".into(), "".into()],
            ],
            numeric: vec![false, false, true],
        }
    }

    #[test]
    fn shown_numbers_are_rounded_as_the_page_rounds_them() {
        assert_eq!(shown_number(Some(85.310222), 1), "85.3");
        assert_eq!(shown_number(Some(4542.7), 0), "4543");
        assert_eq!(shown_number(Some(-0.01), 1), "0.0");
        assert_eq!(shown_number(None, 1), "");
    }

    #[test]
    fn the_excel_variants_say_codes_in_swedish_and_the_plain_csv_keeps_them() {
        let t = Table {
            title: "T".into(),
            header: vec!["colour".into(), "trend".into(), "status".into()],
            rows: vec![vec![
                "yellow".into(),
                "not_comparable".into(),
                "secret".into(),
            ]],
            numeric: vec![false; 3],
        };
        let excel = String::from_utf8(csv(&t, true)).unwrap();
        assert!(excel.contains("Färg;Trend;Status"), "{excel}");
        assert!(
            !excel.contains("yellow") && !excel.contains("not_comparable"),
            "{excel}"
        );
        let plain = String::from_utf8(csv(&t, false)).unwrap();
        assert!(
            plain.starts_with("colour,trend,status\nyellow,not_comparable,secret"),
            "{plain}"
        );
    }

    #[test]
    fn machine_numbers_are_plain() {
        assert_eq!(machine_number(Some(85.310222)), "85.310222");
        assert_eq!(machine_number(Some(3.0)), "3");
        assert_eq!(machine_number(Some(-0.0000001)), "0");
        assert_eq!(machine_number(None), "");
    }

    #[test]
    fn excel_csv_has_bom_semicolons_decimal_commas_and_no_formulas() {
        let text = String::from_utf8(csv(&table(), true)).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("0180;Stockholm;85,3"), "{text}");
        assert!(text.contains("'=HYPERLINK"), "{text}");
        let plain = String::from_utf8(csv(&table(), false)).unwrap();
        assert!(plain.contains("0180,Stockholm,85.3"));
        // The probe's audit CSV: a text cell made by a person is never a formula.
        assert!(plain.contains("'=HYPERLINK"), "{plain}");
        for (cell, kept) in [
            ("=1+1@x.se", "'=1+1@x.se"),
            ("  =cmd", "'  =cmd"),
            ("+46 8 123", "'+46 8 123"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("-2+3", "'-2+3"),
            ("-2.5", "-2.5"),
            ("anna@kommun.se", "anna@kommun.se"),
        ] {
            assert_eq!(defuse(cell), kept);
        }
    }

    #[test]
    fn xlsx_has_swedish_headings_ids_as_text_numbers_as_numbers_and_no_formulas() {
        let bytes = xlsx(&table(), &[("Källa".into(), "Kolada".into())]).unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"));
        // Read back through the upload reader: the first sheet, ids with their zeros.
        let rows = kvalitet_formats::sheet::rows(&bytes).unwrap();
        assert_eq!(
            rows[0],
            ["Nummer", "name", "Värde"],
            "unknown headings kept"
        );
        assert_eq!(rows[1], ["0180", "Stockholm", "85.3"]);
        assert_eq!(rows[2][1], "=HYPERLINK(\"x\")", "formulas stay text");
        // The sheet itself: a frozen heading row, widths, a number format with a decimal.
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
        let mut sheet = String::new();
        std::io::Read::read_to_string(
            &mut archive.by_name("xl/worksheets/sheet1.xml").unwrap(),
            &mut sheet,
        )
        .unwrap();
        assert!(sheet.contains(r#"<pane ySplit="1""#), "{sheet}");
        assert!(sheet.contains("<cols>"), "column widths: {sheet}");
        assert!(!sheet.contains("<f>"), "no formula anywhere: {sheet}");
        let mut styles = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("xl/styles.xml").unwrap(), &mut styles)
            .unwrap();
        assert!(styles.contains("formatCode=\"#,##0.0\""), "{styles}");
        assert_eq!(number_format(&["4542773", "12"]), "#,##0");
        assert_eq!(number_format(&["85.3", "1.25", "0.123456"]), "#,##0.000");
    }
}
