//! Downloads of what a page shows: CSV for machines (UTF-8, comma, point decimals), CSV for
//! Swedish Excel (BOM, semicolon, decimal comma), and Excel .xlsx with a data sheet and an
//! "Om datan" sheet. The .xlsx is written here (a small ZIP of SpreadsheetML parts, deflated
//! with flate2) rather than with a spreadsheet crate, to keep the build lean.

use std::io::Write;

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
    let _ = w.write_record(&table.header);
    for row in &table.rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let numeric = table.numeric.get(i).copied().unwrap_or(false);
                match (numeric, excel) {
                    (true, true) => c.replace('.', ","),
                    (true, false) => c.clone(),
                    // Both CSVs end up in spreadsheets (the audit trail too): a text cell
                    // is never left to run as a formula.
                    (false, _) => defuse(c),
                }
            })
            .collect();
        let _ = w.write_record(&cells);
    }
    w.into_inner().unwrap_or_default()
}

/// Escapes text for XML, dropping the control characters XML 1.0 forbids.
fn xml_escape(s: &str) -> String {
    let allowed: String = s
        .chars()
        .filter(|c| (*c as u32) >= 0x20 || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    crate::charts::esc(&allowed)
}

/// The column letters of a 0-based index: A, B, ..., Z, AA, ...
fn column(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

fn sheet_xml(rows: &[Vec<(String, bool)>]) -> String {
    let mut x = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        x.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, (text, numeric)) in row.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let at = format!("{}{}", column(c), r + 1);
            if *numeric && text.parse::<f64>().is_ok_and(f64::is_finite) {
                x.push_str(&format!(r#"<c r="{at}"><v>{text}</v></c>"#));
            } else {
                x.push_str(&format!(
                    r#"<c r="{at}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
                    xml_escape(text)
                ));
            }
        }
        x.push_str("</row>");
    }
    x.push_str("</sheetData></worksheet>");
    x
}

/// An .xlsx workbook: the table, then "Om datan" with `about` as two columns.
pub fn xlsx(table: &Table, about: &[(String, String)]) -> Vec<u8> {
    let mut data: Vec<Vec<(String, bool)>> =
        vec![table.header.iter().map(|h| (h.clone(), false)).collect()];
    for row in &table.rows {
        data.push(
            row.iter()
                .enumerate()
                .map(|(i, c)| (c.clone(), table.numeric.get(i).copied().unwrap_or(false)))
                .collect(),
        );
    }
    let mut info: Vec<Vec<(String, bool)>> =
        vec![vec![("Tabell".into(), false), (table.title.clone(), false)]];
    info.extend(
        about
            .iter()
            .map(|(k, v)| vec![(k.clone(), false), (v.clone(), false)]),
    );
    let parts: Vec<(&str, String)> = vec![
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#.into()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.into()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/><sheet name="Om datan" sheetId="2" r:id="rId2"/></sheets></workbook>"#.into()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#.into()),
        ("xl/styles.xml", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs></styleSheet>"#.into()),
        ("xl/worksheets/sheet1.xml", sheet_xml(&data)),
        ("xl/worksheets/sheet2.xml", sheet_xml(&info)),
    ];
    zip(&parts)
}

/// A ZIP archive of deflated entries.
fn zip(parts: &[(&str, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    // 1 January 2020, 00:00 in DOS format: a fixed time keeps downloads reproducible.
    let (time, date) = (0u16, ((2020 - 1980) << 9 | 1 << 5 | 1) as u16);
    for (name, body) in parts {
        let mut crc = flate2::Crc::new();
        crc.update(body.as_bytes());
        let mut enc =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = enc.write_all(body.as_bytes());
        let compressed = enc.finish().unwrap_or_default();
        let offset = out.len() as u32;
        let fields = |h: &mut Vec<u8>| {
            h.extend_from_slice(&20u16.to_le_bytes()); // version needed
            h.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
            h.extend_from_slice(&8u16.to_le_bytes()); // deflate
            h.extend_from_slice(&time.to_le_bytes());
            h.extend_from_slice(&date.to_le_bytes());
            h.extend_from_slice(&crc.sum().to_le_bytes());
            h.extend_from_slice(&(compressed.len() as u32).to_le_bytes());
            h.extend_from_slice(&(body.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        fields(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&compressed);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        fields(&mut central);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
    out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// The download as an HTTP answer named `stem` plus the kind's extension.
pub fn respond(kind: Kind, table: &Table, stem: &str, about: &[(String, String)]) -> Response {
    let (body, mime, ext) = match kind {
        Kind::Csv => (csv(table, false), "text/csv; charset=utf-8", "csv"),
        Kind::ExcelCsv => (csv(table, true), "text/csv; charset=utf-8", "csv"),
        Kind::Xlsx => (
            xlsx(table, about),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
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
    fn xlsx_is_a_zip_with_ids_as_text_and_values_as_numbers() {
        let bytes = xlsx(&table(), &[("Källa".into(), "Kolada".into())]);
        assert!(bytes.starts_with(b"PK\x03\x04"));
        // Find sheet1 and inflate it.
        let name = b"xl/worksheets/sheet1.xml";
        let at = bytes.windows(name.len()).position(|w| w == name).unwrap();
        let header_start = at - 30;
        let size = u32::from_le_bytes(
            bytes[header_start + 18..header_start + 22]
                .try_into()
                .unwrap(),
        ) as usize;
        let data = &bytes[at + name.len()..at + name.len() + size];
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut flate2::read::DeflateDecoder::new(data), &mut xml)
            .unwrap();
        assert!(
            xml.contains(r#"<c r="A2" t="inlineStr"><is><t xml:space="preserve">0180</t>"#),
            "{xml}"
        );
        assert!(xml.contains(r#"<c r="C2"><v>85.3</v></c>"#), "{xml}");
        assert!(
            xml.contains("=HYPERLINK(&quot;x&quot;)"),
            "formulas stay text: {xml}"
        );
        // The archive's directory is right too: the workbook reads back through it.
        let rows = kvalitet_formats::sheet::rows(&bytes).unwrap();
        assert_eq!(rows[1], ["0180", "Stockholm", "85.3"]);
        assert_eq!(column(0), "A");
        assert_eq!(column(26), "AA");
    }
}
