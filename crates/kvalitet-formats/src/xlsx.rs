//! Excel workbooks (.xlsx) as CSV text: the first worksheet's cells, with shared and inline
//! strings resolved, so an upload goes through the same CSV checks as a CSV file. A cell that
//! holds a formula is refused (naming the cell): only values are accepted.
//!
//! The archive is read with the `zip` crate and the XML with `quick-xml`, both streamed. The
//! walk over SpreadsheetML's few elements is written here rather than taken from calamine:
//! calamine trusts sizes the file declares (`uniqueCount` is passed to `reserve`, a sheet's
//! cells become one dense `Range`), so a 600-byte file can make it allocate gigabytes. Here
//! every size read from the file is bounded before anything is allocated ([`Limits`]), and a
//! file past any bound is refused whole, never cut short.

use std::io::{BufRead, BufReader, Cursor, Read};

use quick_xml::events::{BytesRef, BytesStart, Event};

/// Bounds on what one workbook may make the reader hold. Excel's own limits where it has
/// them (columns, rows, characters in a cell); memory bounds elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Parts in the archive.
    pub max_parts: usize,
    /// Bytes one XML part may inflate to (streamed, not held).
    pub max_part_bytes: u64,
    /// Characters of text in all shared strings together (held while the sheet is read).
    pub max_shared_bytes: usize,
    /// Characters in one cell (Excel: 32,767).
    pub max_cell_chars: usize,
    /// Columns (Excel: 16,384, the last is XFD).
    pub max_columns: usize,
    /// Rows (Excel: 1,048,576).
    pub max_rows: usize,
    /// Bytes of the CSV text made from the sheet.
    pub max_csv_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_parts: 10_000,
            max_part_bytes: 256 << 20,
            max_shared_bytes: 64 << 20,
            max_cell_chars: 32_767,
            max_columns: 16_384,
            max_rows: 1_048_576,
            max_csv_bytes: 64 << 20,
        }
    }
}

/// Why a workbook could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XlsxError {
    #[error("not an Excel workbook: {0}")]
    Broken(String),
    #[error("cell {0} holds a formula; save the values only (copy, paste as values)")]
    Formula(String),
    /// The file is past one of the [`Limits`]; nothing of it is used.
    #[error("the workbook is too large to read: {0}")]
    TooLarge(String),
}

fn broken(what: impl std::fmt::Display) -> XlsxError {
    XlsxError::Broken(what.to_string())
}

/// The parts of a workbook, opened one at a time.
struct Archive<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    limits: Limits,
}

impl<'a> Archive<'a> {
    fn open(bytes: &'a [u8], limits: Limits) -> Result<Self, XlsxError> {
        let zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(broken)?;
        if zip.len() > limits.max_parts {
            return Err(XlsxError::TooLarge(format!(
                "{} parts in the archive; at most {} are read",
                zip.len(),
                limits.max_parts
            )));
        }
        Ok(Self { zip, limits })
    }

    /// Streams the XML events of part `name` (if present) to `each`, refusing a part that
    /// inflates past the limit, whatever size it declares.
    fn read_xml(
        &mut self,
        name: &str,
        mut each: impl FnMut(Event<'_>) -> Result<(), XlsxError>,
    ) -> Result<bool, XlsxError> {
        let limit = self.limits.max_part_bytes;
        let file = match self.zip.by_name(name) {
            Ok(f) => f,
            Err(zip::result::ZipError::FileNotFound) => return Ok(false),
            Err(e) => return Err(broken(format!("{name}: {e}"))),
        };
        if file.size() > limit {
            return Err(too_large_part(name, limit));
        }
        let mut xml = quick_xml::Reader::from_reader(BufReader::new(file.take(limit + 1)));
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let event = xml
                .read_event_into(&mut buf)
                .map_err(|e| broken(format!("{name}: {e}")))?;
            if xml.buffer_position() > limit {
                return Err(too_large_part(name, limit));
            }
            if matches!(event, Event::Eof) {
                // `take` ends the stream at the limit: an XML part cut there is not complete,
                // and a part exactly at the limit is still read whole.
                if xml
                    .get_mut()
                    .fill_buf()
                    .map(|b| !b.is_empty())
                    .unwrap_or(false)
                    || xml.buffer_position() > limit
                {
                    return Err(too_large_part(name, limit));
                }
                return Ok(true);
            }
            each(event)?;
        }
    }
}

fn too_large_part(name: &str, limit: u64) -> XlsxError {
    XlsxError::TooLarge(format!("{name} inflates to more than {}", size(limit)))
}

/// A size in MB, or in bytes when smaller.
fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// The value of attribute `key` of an element, if present.
fn attribute(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, XlsxError> {
    match e.try_get_attribute(key).map_err(broken)? {
        Some(a) => Ok(Some(
            a.normalized_value(quick_xml::XmlVersion::default())
                .map_err(broken)?
                .into_owned(),
        )),
        None => Ok(None),
    }
}

/// The character an entity reference such as `&amp;` or `&#229;` stands for.
fn entity(r: &BytesRef<'_>) -> Result<char, XlsxError> {
    if let Some(c) = r.resolve_char_ref().map_err(broken)? {
        return Ok(c);
    }
    match r.as_ref() {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        other => Err(broken(format!("unknown entity &{};", other))),
    }
}

/// The text an event carries inside an element: characters, CDATA or an entity reference.
fn text_of<'b>(event: &Event<'b>) -> Result<Option<std::borrow::Cow<'b, str>>, XlsxError> {
    Ok(match event {
        Event::Text(t) => Some(t.xml10_content()),
        Event::CData(t) => Some(t.xml10_content()),
        Event::GeneralRef(r) => Some(entity(r)?.to_string().into()),
        _ => None,
    })
}

/// Text being gathered from `<t>` (or `<v>`) elements, bounded in characters.
#[derive(Default)]
struct Text {
    text: String,
    chars: usize,
}

impl Text {
    fn push(
        &mut self,
        s: &str,
        max_chars: usize,
        place: &dyn Fn() -> String,
    ) -> Result<(), XlsxError> {
        self.chars += s.chars().count();
        if self.chars > max_chars {
            return Err(XlsxError::TooLarge(format!(
                "{} holds more than {max_chars} characters",
                place()
            )));
        }
        self.text.push_str(s);
        Ok(())
    }
}

/// The shared strings, in order. Phonetic runs (`<rPh>`) are not part of a string's text.
fn shared_strings(archive: &mut Archive<'_>) -> Result<Vec<String>, XlsxError> {
    let limits = archive.limits;
    let mut strings = Vec::new();
    let mut total = 0usize;
    let mut current: Option<Text> = None;
    let (mut in_t, mut in_phonetic) = (false, false);
    archive.read_xml("xl/sharedStrings.xml", |event| {
        if in_t
            && !in_phonetic
            && let Some(s) = current.as_mut()
            && let Some(piece) = text_of(&event)?
        {
            let n = strings.len();
            return s.push(&piece, limits.max_cell_chars, &|| {
                format!("shared string {n}")
            });
        }
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "si" => current = Some(Text::default()),
                "t" => in_t = true,
                "rPh" => in_phonetic = true,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "si" => strings.push(String::new()),
            Event::End(e) => match e.local_name().as_ref() {
                "si" => {
                    let s = current.take().map(|t| t.text).unwrap_or_default();
                    total += s.len();
                    if total > limits.max_shared_bytes {
                        return Err(XlsxError::TooLarge(format!(
                            "the shared strings hold more than {} of text",
                            size(limits.max_shared_bytes as u64)
                        )));
                    }
                    strings.push(s);
                }
                "t" => in_t = false,
                "rPh" => in_phonetic = false,
                _ => {}
            },
            _ => {}
        }
        Ok(())
    })?;
    Ok(strings)
}

/// The path of the workbook's first sheet: the first `<sheet>` of `xl/workbook.xml`, through
/// the workbook's relationships; `xl/worksheets/sheet1.xml` when those parts are missing.
fn first_sheet(archive: &mut Archive<'_>) -> Result<String, XlsxError> {
    let mut first_id = None;
    archive.read_xml("xl/workbook.xml", |event| {
        if let Event::Start(e) | Event::Empty(e) = event
            && e.local_name().as_ref() == "sheet"
            && first_id.is_none()
        {
            first_id = e
                .attributes()
                .filter_map(Result::ok)
                .find(|a| a.key.local_name().as_ref() == "id")
                .and_then(|a| {
                    a.normalized_value(quick_xml::XmlVersion::default())
                        .ok()
                        .map(|v| v.into_owned())
                });
        }
        Ok(())
    })?;
    let mut target = None;
    if let Some(id) = &first_id {
        archive.read_xml("xl/_rels/workbook.xml.rels", |event| {
            if let Event::Start(e) | Event::Empty(e) = event
                && e.local_name().as_ref() == "Relationship"
                && attribute(&e, "Id")?.as_deref() == Some(id.as_str())
            {
                target = attribute(&e, "Target")?;
            }
            Ok(())
        })?;
    }
    Ok(match target {
        Some(t) if t.starts_with('/') => t.trim_start_matches('/').to_owned(),
        Some(t) => format!("xl/{}", t.trim_start_matches("./")),
        None => "xl/worksheets/sheet1.xml".to_owned(),
    })
}

/// Column index of a cell reference like "C12" (A = 0), if its letters name a column within
/// `max_columns`. The letters are read no further than the limit needs.
fn column(reference: &str, max_columns: usize) -> Option<usize> {
    let mut index = 0usize;
    let mut letters = 0;
    for b in reference.bytes().take_while(u8::is_ascii_alphabetic) {
        index = index * 26 + usize::from(b.to_ascii_uppercase() - b'A') + 1;
        letters += 1;
        if index > max_columns {
            return None;
        }
    }
    (letters > 0).then(|| index - 1)
}

/// One `<c>` being read.
#[derive(Default)]
struct Cell {
    reference: String,
    kind: Option<String>,
    value: Text,
    inline: Text,
    formula: bool,
}

/// Where text inside a cell goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Inside {
    Nothing,
    Value,
    InlineText,
}

/// Reads the first sheet, giving each row's cells (dense, from column A, up to its last
/// cell) to `each_row`, which may refuse.
fn read_rows(
    bytes: &[u8],
    limits: Limits,
    mut each_row: impl FnMut(Vec<String>) -> Result<(), XlsxError>,
) -> Result<(), XlsxError> {
    let mut archive = Archive::open(bytes, limits)?;
    let shared = shared_strings(&mut archive)?;
    let sheet = first_sheet(&mut archive)?;
    // Cells of the current row as (column, text), kept sparse until the row ends.
    let mut row: Vec<(usize, String)> = Vec::new();
    let mut rows = 0usize;
    let mut cell: Option<Cell> = None;
    let mut inside = Inside::Nothing;
    let mut in_inline = false;
    let mut end_row = |row: &mut Vec<(usize, String)>, rows: &mut usize| {
        *rows += 1;
        if *rows > limits.max_rows {
            return Err(XlsxError::TooLarge(format!(
                "more than {} rows",
                limits.max_rows
            )));
        }
        let width = row.iter().map(|(c, _)| c + 1).max().unwrap_or(0);
        let mut dense = vec![String::new(); width];
        for (c, text) in row.drain(..) {
            dense[c] = text;
        }
        each_row(dense)
    };
    let found = archive.read_xml(&sheet, |event| {
        match event {
            Event::Start(e) if e.local_name().as_ref() == "row" => row.clear(),
            Event::Empty(e) if e.local_name().as_ref() == "row" => {
                row.clear();
                end_row(&mut row, &mut rows)?;
            }
            Event::End(e) if e.local_name().as_ref() == "row" => end_row(&mut row, &mut rows)?,
            Event::Start(e) if e.local_name().as_ref() == "c" && cell.is_none() => {
                cell = Some(Cell {
                    reference: attribute(&e, "r")?.unwrap_or_default(),
                    kind: attribute(&e, "t")?,
                    ..Cell::default()
                });
            }
            // An empty element (`<c r="B2" s="1"/>`) is a cell with nothing in it.
            Event::Empty(e) if e.local_name().as_ref() == "c" && cell.is_none() => {
                let empty = Cell {
                    reference: attribute(&e, "r")?.unwrap_or_default(),
                    ..Cell::default()
                };
                place(&mut row, empty, &shared, limits)?;
            }
            Event::End(e) if e.local_name().as_ref() == "c" => {
                if let Some(c) = cell.take() {
                    place(&mut row, c, &shared, limits)?;
                }
            }
            Event::Start(e) if cell.is_some() => match e.local_name().as_ref() {
                "f" => {
                    if let Some(c) = cell.as_mut() {
                        c.formula = true;
                    }
                }
                "v" => inside = Inside::Value,
                "is" => in_inline = true,
                "t" if in_inline => inside = Inside::InlineText,
                _ => {}
            },
            Event::Empty(e) if cell.is_some() && e.local_name().as_ref() == "f" => {
                if let Some(c) = cell.as_mut() {
                    c.formula = true;
                }
            }
            Event::End(e) if cell.is_some() => match e.local_name().as_ref() {
                "v" | "t" => inside = Inside::Nothing,
                "is" => in_inline = false,
                _ => {}
            },
            other if inside != Inside::Nothing => {
                if let Some(piece) = text_of(&other)? {
                    gather(&mut cell, inside, &piece, limits)?;
                }
            }
            _ => {}
        }
        Ok(())
    })?;
    if !found {
        return Err(broken(format!("no first worksheet ({sheet})")));
    }
    Ok(())
}

fn gather(
    cell: &mut Option<Cell>,
    inside: Inside,
    s: &str,
    limits: Limits,
) -> Result<(), XlsxError> {
    let Some(c) = cell.as_mut() else {
        return Ok(());
    };
    let reference = c.reference.clone();
    let place = || format!("cell {reference}");
    match inside {
        Inside::Value => c.value.push(s, limits.max_cell_chars, &place),
        Inside::InlineText => c.inline.push(s, limits.max_cell_chars, &place),
        Inside::Nothing => Ok(()),
    }
}

/// Puts a finished cell into its row: refuses formulas, resolves shared strings, and bounds
/// the column and the number of cells in the row.
fn place(
    row: &mut Vec<(usize, String)>,
    c: Cell,
    shared: &[String],
    limits: Limits,
) -> Result<(), XlsxError> {
    if c.formula {
        return Err(XlsxError::Formula(c.reference));
    }
    let index = if c.reference.is_empty() {
        row.last().map_or(0, |(i, _)| i + 1)
    } else {
        column(&c.reference, limits.max_columns).ok_or_else(|| {
            XlsxError::TooLarge(format!(
                "cell {} lies beyond column {}, the last that is read",
                c.reference,
                column_name(limits.max_columns - 1)
            ))
        })?
    };
    if index >= limits.max_columns || row.len() >= limits.max_columns {
        return Err(XlsxError::TooLarge(format!(
            "a row has more than {} cells",
            limits.max_columns
        )));
    }
    let text = match c.kind.as_deref() {
        Some("s") => c
            .value
            .text
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|i| shared.get(i).cloned())
            .unwrap_or_default(),
        Some("inlineStr") => c.inline.text,
        _ => c.value.text,
    };
    match row.iter_mut().find(|(i, _)| *i == index) {
        Some(existing) => existing.1 = text,
        None => row.push((index, text)),
    }
    Ok(())
}

/// The letters of a column (0 = A).
fn column_name(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8_lossy(&letters).into_owned()
}

/// The first worksheet as rows of cell texts, in row order, within the default [`Limits`].
pub fn rows(zip: &[u8]) -> Result<Vec<Vec<String>>, XlsxError> {
    let limits = Limits::default();
    let mut out = Vec::new();
    let mut bytes = 0usize;
    read_rows(zip, limits, |row| {
        bytes += row.iter().map(|c| c.len() + 1).sum::<usize>();
        if bytes > limits.max_csv_bytes {
            return Err(too_much_text(limits));
        }
        out.push(row);
        Ok(())
    })?;
    Ok(out)
}

fn too_much_text(limits: Limits) -> XlsxError {
    XlsxError::TooLarge(format!(
        "the sheet holds more than {} as text",
        size(limits.max_csv_bytes as u64)
    ))
}

/// The first worksheet as CSV text, within the default [`Limits`].
pub fn to_csv(zip: &[u8]) -> Result<String, XlsxError> {
    to_csv_within(zip, Limits::default())
}

/// The first worksheet as CSV text: each row as wide as the first (the header), trailing
/// empty cells dropped, cells beyond the header's width kept only when they hold something
/// (so the CSV checks name them instead of losing them).
pub fn to_csv_within(zip: &[u8], limits: Limits) -> Result<String, XlsxError> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut width = None;
    let mut written = 0usize;
    read_rows(zip, limits, |mut row| {
        let header_width = *width
            .get_or_insert_with(|| row.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1));
        let used = row.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
        row.resize(used.max(header_width).max(1), String::new());
        written += row.iter().map(|c| c.len() + 1).sum::<usize>();
        if written > limits.max_csv_bytes {
            return Err(too_much_text(limits));
        }
        w.write_record(&row).map_err(broken)
    })?;
    let bytes = w.into_inner().map_err(broken)?;
    String::from_utf8(bytes).map_err(broken)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A ZIP of the given parts, deflated.
    fn zip(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, body) in parts {
            out.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            out.write_all(body.as_bytes()).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    fn sheet(rows: &str) -> String {
        format!("<worksheet><sheetData>{rows}</sheetData></worksheet>")
    }

    const SHARED: &str = r#"<sst><si><t>kpi</t></si><si><t>municipality_id</t></si><si><t>year</t></si><si><t>value</t></si><si><r><t>X0180</t></r><r><t>-1</t></r><rPh><t>ignored</t></rPh></si></sst>"#;

    const HEADER: &str = r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>"#;

    #[test]
    fn a_sheet_with_shared_and_inline_strings_becomes_csv() {
        let body = sheet(&format!(
            r#"{HEADER}
<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2" t="inlineStr"><is><t>0180</t></is></c><c r="C2"><v>2022</v></c><c r="D2"><v>87.5</v></c></row>
<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="str"><v>0180</v></c><c r="C3"><v>2021</v></c><c r="D3" s="1"/></row>"#
        ));
        let book = zip(&[
            ("xl/sharedStrings.xml", SHARED),
            ("xl/worksheets/sheet1.xml", &body),
        ]);
        assert_eq!(
            to_csv(&book).unwrap(),
            "kpi,municipality_id,year,value\nX0180-1,0180,2022,87.5\nX0180-1,0180,2021,\n"
        );
    }

    #[test]
    fn the_first_sheet_is_found_through_the_workbook() {
        let workbook = r#"<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Värden" sheetId="7" r:id="rId3"/><sheet name="Annat" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
        let rels = r#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Target="worksheets/sheet7.xml"/></Relationships>"#;
        let book = zip(&[
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", rels),
            (
                "xl/worksheets/sheet1.xml",
                &sheet(r#"<row><c t="inlineStr"><is><t>fel</t></is></c></row>"#),
            ),
            (
                "xl/worksheets/sheet7.xml",
                &sheet(r#"<row><c t="inlineStr"><is><t>r&#228;tt &amp; bra</t></is></c></row>"#),
            ),
        ]);
        assert_eq!(to_csv(&book).unwrap(), "rätt & bra\n");
    }

    #[test]
    fn formulas_and_broken_files_are_refused() {
        let body = sheet(
            r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="C2"><f>SUM(A1:A1)</f><v>1</v></c></row>"#,
        );
        let book = zip(&[("xl/worksheets/sheet1.xml", &body)]);
        assert_eq!(to_csv(&book), Err(XlsxError::Formula("C2".into())));
        assert!(matches!(
            to_csv(b"PK\x03\x04 not really"),
            Err(XlsxError::Broken(_))
        ));
        assert!(matches!(
            to_csv(&zip(&[("other.xml", "<x/>")])),
            Err(XlsxError::Broken(_))
        ));
        assert_eq!(column("AA10", 16_384), Some(26));
        assert_eq!(column("XFD1", 16_384), Some(16_383));
        assert_eq!(column("XFE1", 16_384), None);
        assert_eq!(column_name(16_383), "XFD");
        assert_eq!(column_name(26), "AA");
    }

    /// The probe's file: a cell far beyond the last column made the old reader allocate
    /// 200 GB and abort the process.
    #[test]
    fn a_cell_beyond_the_last_column_is_refused_without_allocating() {
        let body = sheet(&format!(
            r#"{HEADER}<row r="2"><c r="AAAAAAAA2"><v>1</v></c></row>"#
        ));
        let book = zip(&[
            ("xl/sharedStrings.xml", SHARED),
            ("xl/worksheets/sheet1.xml", &body),
        ]);
        let e = to_csv(&book).unwrap_err();
        assert_eq!(
            e,
            XlsxError::TooLarge(
                "cell AAAAAAAA2 lies beyond column XFD, the last that is read".into()
            )
        );
    }

    #[test]
    fn declared_sizes_are_not_trusted() {
        // A huge uniqueCount is only a number: nothing is reserved for it.
        let shared = r#"<sst uniqueCount="999999999999999"><si><t>a</t></si></sst>"#;
        let body = sheet(r#"<row r="9999999999"><c r="A9999999999" t="s"><v>0</v></c></row>"#);
        let book = zip(&[
            ("xl/sharedStrings.xml", shared),
            ("xl/worksheets/sheet1.xml", &body),
        ]);
        assert_eq!(to_csv(&book).unwrap(), "a\n");
    }

    #[test]
    fn a_file_past_any_limit_is_refused_whole() {
        let limits = Limits {
            max_part_bytes: 4096,
            max_rows: 50,
            max_columns: 10,
            max_cell_chars: 20,
            ..Limits::default()
        };
        let many_rows: String = (1..=60)
            .map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#))
            .collect();
        let book = zip(&[("xl/worksheets/sheet1.xml", &sheet(&many_rows))]);
        assert_eq!(
            to_csv_within(&book, limits),
            Err(XlsxError::TooLarge("more than 50 rows".into()))
        );
        // A part that inflates past the limit (here of zeros, compressing 1000 to 1) is
        // refused, not cut short with the rows read so far kept.
        let padding = " ".repeat(10_000);
        let book = zip(&[(
            "xl/worksheets/sheet1.xml",
            &sheet(&format!(
                r#"<row><c><v>1</v></c></row>{padding}<row><c><v>2</v></c></row>"#
            )),
        )]);
        assert_eq!(
            to_csv_within(&book, limits),
            Err(XlsxError::TooLarge(
                "xl/worksheets/sheet1.xml inflates to more than 4096 bytes".into()
            ))
        );
        let long = "x".repeat(21);
        let book = zip(&[(
            "xl/worksheets/sheet1.xml",
            &sheet(&format!(
                r#"<row><c r="B1" t="inlineStr"><is><t>{long}</t></is></c></row>"#
            )),
        )]);
        assert_eq!(
            to_csv_within(&book, limits),
            Err(XlsxError::TooLarge(
                "cell B1 holds more than 20 characters".into()
            ))
        );
        let wide: String = (0..11).map(|_| "<c><v>1</v></c>").collect();
        let book = zip(&[(
            "xl/worksheets/sheet1.xml",
            &sheet(&format!("<row>{wide}</row>")),
        )]);
        assert_eq!(
            to_csv_within(&book, limits),
            Err(XlsxError::TooLarge("a row has more than 10 cells".into()))
        );
        let padded = (1..=40)
            .map(|r| format!(r#"<row><c r="J{r}"><v>1</v></c></row>"#))
            .collect::<String>();
        let small_text = Limits {
            max_csv_bytes: 300,
            ..limits
        };
        assert_eq!(
            to_csv_within(
                &zip(&[("xl/worksheets/sheet1.xml", &sheet(&padded))]),
                small_text
            ),
            Err(XlsxError::TooLarge(
                "the sheet holds more than 300 bytes as text".into()
            ))
        );
    }
}
