//! Excel workbooks (.xlsx) as CSV text: the first worksheet's cells, with shared and inline
//! strings resolved, so an upload goes through the same CSV checks as a CSV file. A cell that
//! holds a formula is refused (naming the cell): only values are accepted.
//!
//! Written here (a ZIP directory walk, inflate with flate2, and a scan of SpreadsheetML's few
//! elements) rather than with a spreadsheet crate, to keep the build lean.

use std::io::Read;

/// The most a workbook part may inflate to: a guard against ZIP bombs.
const MAX_PART_BYTES: u64 = 200 << 20;

/// Why a workbook could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XlsxError {
    #[error("not an Excel workbook: {0}")]
    Broken(String),
    #[error("cell {0} holds a formula; save the values only (copy, paste as values)")]
    Formula(String),
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// One part of a ZIP archive: its name, compression method and compressed bytes.
type Entry<'a> = (String, u16, &'a [u8]);

/// The parts of a ZIP archive.
fn entries(zip: &[u8]) -> Result<Vec<Entry<'_>>, XlsxError> {
    let broken = |what: &str| XlsxError::Broken(what.to_owned());
    let eocd = (0..zip.len().saturating_sub(21))
        .rev()
        .take(66_000)
        .find(|&i| u32_at(zip, i) == Some(0x0605_4b50))
        .ok_or_else(|| broken("no ZIP directory"))?;
    let count = usize::from(u16_at(zip, eocd + 10).ok_or_else(|| broken("short directory"))?);
    let mut at = u32_at(zip, eocd + 16).ok_or_else(|| broken("short directory"))? as usize;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(zip, at) != Some(0x0201_4b50) {
            return Err(broken("bad directory entry"));
        }
        let field = |o: usize| u16_at(zip, at + o).ok_or_else(|| broken("short entry"));
        let method = field(10)?;
        let size = u32_at(zip, at + 20).ok_or_else(|| broken("short entry"))? as usize;
        let (name_len, extra_len, comment_len) = (
            usize::from(field(28)?),
            usize::from(field(30)?),
            usize::from(field(32)?),
        );
        let local = u32_at(zip, at + 42).ok_or_else(|| broken("short entry"))? as usize;
        let name = zip
            .get(at + 46..at + 46 + name_len)
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .ok_or_else(|| broken("short name"))?;
        let data_at = local
            + 30
            + usize::from(u16_at(zip, local + 26).ok_or_else(|| broken("short local header"))?)
            + usize::from(u16_at(zip, local + 28).ok_or_else(|| broken("short local header"))?);
        let data = zip
            .get(data_at..data_at + size)
            .ok_or_else(|| broken("a part runs past the end"))?;
        out.push((name, method, data));
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(out)
}

fn part(zip: &[u8], name: &str) -> Result<Option<String>, XlsxError> {
    let Some((_, method, data)) = entries(zip)?.into_iter().find(|(n, _, _)| n == name) else {
        return Ok(None);
    };
    let mut text = String::new();
    let read = match method {
        0 => std::io::Read::take(data, MAX_PART_BYTES).read_to_string(&mut text),
        8 => flate2::read::DeflateDecoder::new(data)
            .take(MAX_PART_BYTES)
            .read_to_string(&mut text),
        m => {
            return Err(XlsxError::Broken(format!(
                "{name} uses compression method {m}"
            )));
        }
    };
    read.map_err(|e| XlsxError::Broken(format!("{name}: {e}")))?;
    Ok(Some(text))
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').unwrap_or(0);
        let entity = &tail[1..end.max(1)];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) if end > 0 => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of every `<t>` inside `xml`, joined (rich text has several runs).
fn texts(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(i) = rest.find("<t") {
        let after = &rest[i + 2..];
        if !after.starts_with('>') && !after.starts_with(' ') {
            rest = after;
            continue;
        }
        let Some(open_end) = after.find('>') else {
            break;
        };
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</t>") else {
            break;
        };
        out.push_str(&unescape(&body[..close]));
        rest = &body[close + 4..];
    }
    out
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    tag[at..].split('"').next()
}

/// Column index of a reference like "C12" (A = 0).
fn column(reference: &str) -> usize {
    reference
        .bytes()
        .take_while(u8::is_ascii_alphabetic)
        .fold(0usize, |acc, b| {
            acc * 26 + usize::from(b.to_ascii_uppercase() - b'A') + 1
        })
        .saturating_sub(1)
}

/// The first worksheet as rows of cell texts, in row order.
pub fn rows(zip: &[u8]) -> Result<Vec<Vec<String>>, XlsxError> {
    let shared: Vec<String> = match part(zip, "xl/sharedStrings.xml")? {
        Some(xml) => xml.split("<si").skip(1).map(texts).collect(),
        None => Vec::new(),
    };
    let sheet = part(zip, "xl/worksheets/sheet1.xml")?
        .ok_or_else(|| XlsxError::Broken("no first worksheet (xl/worksheets/sheet1.xml)".into()))?;
    let mut rows = Vec::new();
    for row_xml in sheet.split("<row").skip(1) {
        let row_xml = row_xml.split("</row>").next().unwrap_or_default();
        let mut cells: Vec<String> = Vec::new();
        for cell in row_xml.split("<c").skip(1) {
            if !cell.starts_with(' ') && !cell.starts_with('>') && !cell.starts_with('/') {
                continue;
            }
            let tag_end = cell.find('>').unwrap_or(cell.len());
            let tag = &cell[..tag_end];
            let reference = attribute(tag, "r").unwrap_or_default();
            let body = if tag.ends_with('/') {
                ""
            } else {
                cell[tag_end..].split("</c>").next().unwrap_or_default()
            };
            if body.contains("<f") {
                return Err(XlsxError::Formula(reference.to_owned()));
            }
            let value = body
                .split("<v>")
                .nth(1)
                .and_then(|v| v.split("</v>").next())
                .map(unescape);
            let text = match attribute(tag, "t") {
                Some("s") => value
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .and_then(|i| shared.get(i).cloned())
                    .unwrap_or_default(),
                Some("inlineStr") => texts(body),
                _ => value.unwrap_or_default(),
            };
            let index = if reference.is_empty() {
                cells.len()
            } else {
                column(reference)
            };
            if index >= cells.len() {
                cells.resize(index + 1, String::new());
            }
            cells[index] = text;
        }
        rows.push(cells);
    }
    Ok(rows)
}

/// The first worksheet as CSV text, trailing empty cells of each row dropped.
pub fn to_csv(zip: &[u8]) -> Result<String, XlsxError> {
    let rows = rows(zip)?;
    let width = rows.first().map_or(0, |r| {
        r.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1)
    });
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for row in rows {
        let mut row = row;
        row.resize(width.max(1), String::new());
        w.write_record(&row)
            .map_err(|e| XlsxError::Broken(e.to_string()))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| XlsxError::Broken(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| XlsxError::Broken(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored (uncompressed) ZIP of the given parts.
    fn zip(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, body) in parts {
            let offset = out.len() as u32;
            let header = |h: &mut Vec<u8>| {
                h.extend_from_slice(&20u16.to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes());
                h.extend_from_slice(&[0; 8]);
                h.extend_from_slice(&(body.len() as u32).to_le_bytes());
                h.extend_from_slice(&(body.len() as u32).to_le_bytes());
                h.extend_from_slice(&(name.len() as u16).to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes());
            };
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            header(&mut out);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(body.as_bytes());
            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&20u16.to_le_bytes());
            header(&mut central);
            central.extend_from_slice(&[0; 10]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let at = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
        out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&at.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    const SHARED: &str = r#"<sst><si><t>kpi</t></si><si><t>municipality_id</t></si><si><t>year</t></si><si><t>value</t></si><si><r><t>X0180</t></r><r><t>-1</t></r></si></sst>"#;

    #[test]
    fn a_sheet_with_shared_and_inline_strings_becomes_csv() {
        let sheet = r#"<worksheet><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>
<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2" t="inlineStr"><is><t>0180</t></is></c><c r="C2"><v>2022</v></c><c r="D2"><v>87.5</v></c></row>
<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="str"><v>0180</v></c><c r="C3"><v>2021</v></c></row>
</sheetData></worksheet>"#;
        let book = zip(&[
            ("xl/sharedStrings.xml", SHARED),
            ("xl/worksheets/sheet1.xml", sheet),
        ]);
        assert_eq!(
            to_csv(&book).unwrap(),
            "kpi,municipality_id,year,value\nX0180-1,0180,2022,87.5\nX0180-1,0180,2021,\n"
        );
    }

    #[test]
    fn formulas_and_broken_files_are_refused() {
        let sheet = r#"<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="C2"><f>SUM(A1:A1)</f><v>1</v></c></row></sheetData></worksheet>"#;
        let book = zip(&[("xl/worksheets/sheet1.xml", sheet)]);
        assert_eq!(to_csv(&book), Err(XlsxError::Formula("C2".into())));
        assert!(matches!(
            to_csv(b"PK\x03\x04 not really"),
            Err(XlsxError::Broken(_))
        ));
        assert!(matches!(
            to_csv(&zip(&[("other.xml", "<x/>")])),
            Err(XlsxError::Broken(_))
        ));
        assert_eq!(
            unescape("a &amp; b &lt;c&gt; &#229;&#x e"),
            "a & b <c> å&#x e"
        );
        assert_eq!(column("AA10"), 26);
    }
}
