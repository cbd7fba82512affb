//! Spreadsheets as CSV text: the first sheet of an Excel workbook (.xlsx, or Excel 97–2003's
//! .xls) or an OpenDocument spreadsheet (.ods, LibreOffice's own), so an upload goes through the
//! same CSV checks as a CSV file. A cell that holds a formula is refused (naming the cell):
//! only values are accepted.
//!
//! Every size read from a file is bounded before anything is allocated ([`Limits`]), and a
//! file past any bound is refused whole, never cut short. .xlsx and .ods are read here with
//! the `zip` and `quick-xml` crates, streamed: calamine, the spreadsheet crate, trusts sizes a
//! file declares (an .xlsx's `uniqueCount` goes to `Vec::reserve`, a sheet becomes one dense
//! `Range`, an .ods may expand to 100 million cells), so a file of a few hundred bytes can make
//! it allocate gigabytes. The binary .xls is read by [`xls`] on the `cfb` crate, with its
//! records read by hand for the same reason.

mod archive;
mod ods;
mod xls;
mod xlsx;

/// Bounds on what one spreadsheet may make the reader hold. Excel's own limits where it has
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

/// Why a spreadsheet could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("not a spreadsheet that can be read (.xlsx, .ods or .xls): {0}")]
    Broken(String),
    #[error("cell {0} holds a formula; save the values only (copy, paste as values)")]
    Formula(String),
    /// The file is past one of the [`Limits`]; nothing of it is used.
    #[error("the spreadsheet is too large to read: {0}")]
    TooLarge(String),
}

impl SheetError {
    /// What to tell the person who gave the file.
    pub fn message(&self) -> kvalitet_domain::Message {
        use kvalitet_domain::Message;
        match self {
            Self::Broken(detail) => Message::new("sheet_broken").with("detail", detail),
            Self::Formula(cell) => Message::new("sheet_formula").with("cell", cell),
            Self::TooLarge(detail) => Message::new("sheet_too_large").with("detail", detail),
        }
    }
}

/// The kinds of spreadsheet read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Office Open XML (Excel since 2007).
    Xlsx,
    /// OpenDocument (LibreOffice, OpenOffice).
    Ods,
    /// Excel 97–2003 (BIFF8 in a compound file).
    Xls,
}

/// What kind of spreadsheet the bytes are, if any: by the compound-file signature of .xls,
/// and for a ZIP by the `mimetype` part that an .ods begins with.
pub fn kind(bytes: &[u8]) -> Option<Kind> {
    const CFB: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(CFB) {
        return Some(Kind::Xls);
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return None;
    }
    // An .ods stores `mimetype` first and uncompressed, so its name and text stand at
    // fixed places of the first local header.
    let name = bytes.get(30..38);
    let ods = name == Some(b"mimetype".as_slice())
        && bytes
            .get(38..38 + 46)
            .is_some_and(|t| t == b"application/vnd.oasis.opendocument.spreadsheet");
    Some(if ods { Kind::Ods } else { Kind::Xlsx })
}

fn broken(what: impl std::fmt::Display) -> SheetError {
    SheetError::Broken(what.to_string())
}

/// A size in MB, or in bytes when smaller.
fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
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

/// The cells of the row being read, kept sparse as (column, text) until the row ends, so a
/// cell far to the right costs its text and no more.
#[derive(Default)]
struct RowCells {
    cells: Vec<(usize, String)>,
}

impl RowCells {
    /// Puts a cell's text at column `index`, refusing a column or a count of cells past the
    /// limits; `name` names the cell for the message.
    fn place(
        &mut self,
        index: usize,
        text: String,
        limits: Limits,
        name: impl Fn() -> String,
    ) -> Result<(), SheetError> {
        if index >= limits.max_columns {
            return Err(SheetError::TooLarge(format!(
                "cell {} lies beyond column {}, the last that is read",
                name(),
                column_name(limits.max_columns - 1)
            )));
        }
        if text.chars().count() > limits.max_cell_chars {
            return Err(SheetError::TooLarge(format!(
                "cell {} holds more than {} characters",
                name(),
                limits.max_cell_chars
            )));
        }
        if let Some(existing) = self.cells.iter_mut().find(|(i, _)| *i == index) {
            existing.1 = text;
            return Ok(());
        }
        if self.cells.len() >= limits.max_columns {
            return Err(SheetError::TooLarge(format!(
                "a row has more than {} cells",
                limits.max_columns
            )));
        }
        self.cells.push((index, text));
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.cells.iter().all(|(_, t)| t.is_empty())
    }

    /// The row from column A to its last cell, emptying this one for the next row.
    fn take_dense(&mut self) -> Vec<String> {
        let width = self.cells.iter().map(|(c, _)| c + 1).max().unwrap_or(0);
        let mut dense = vec![String::new(); width];
        for (c, text) in self.cells.drain(..) {
            dense[c] = text;
        }
        dense
    }
}

/// Where finished rows go: counted against the row limit, then handed on.
struct Rows<'a> {
    limits: Limits,
    count: usize,
    each: &'a mut dyn FnMut(Vec<String>) -> Result<(), SheetError>,
}

impl Rows<'_> {
    fn push(&mut self, row: Vec<String>) -> Result<(), SheetError> {
        self.count += 1;
        if self.count > self.limits.max_rows {
            return Err(SheetError::TooLarge(format!(
                "more than {} rows",
                self.limits.max_rows
            )));
        }
        (self.each)(row)
    }
}

/// Reads the first sheet, handing each row (dense, from column A) to `each`.
fn read_rows(
    bytes: &[u8],
    limits: Limits,
    each: &mut dyn FnMut(Vec<String>) -> Result<(), SheetError>,
) -> Result<(), SheetError> {
    let mut rows = Rows {
        limits,
        count: 0,
        each,
    };
    match kind(bytes) {
        Some(Kind::Xlsx) => xlsx::read_rows(bytes, limits, &mut rows),
        Some(Kind::Ods) => ods::read_rows(bytes, limits, &mut rows),
        Some(Kind::Xls) => xls::read_rows(bytes, limits, &mut rows),
        None => Err(broken(
            "neither a ZIP archive (.xlsx, .ods) nor an .xls file",
        )),
    }
}

fn too_much_text(limits: Limits) -> SheetError {
    SheetError::TooLarge(format!(
        "the sheet holds more than {} as text",
        size(limits.max_csv_bytes as u64)
    ))
}

/// The first sheet as rows of cell texts, in row order, within the default [`Limits`].
pub fn rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    let limits = Limits::default();
    let mut out = Vec::new();
    let mut held = 0usize;
    read_rows(bytes, limits, &mut |row| {
        held += row.iter().map(|c| c.len() + 1).sum::<usize>();
        if held > limits.max_csv_bytes {
            return Err(too_much_text(limits));
        }
        out.push(row);
        Ok(())
    })?;
    Ok(out)
}

/// The first sheet as CSV text, within the default [`Limits`].
pub fn to_csv(bytes: &[u8]) -> Result<String, SheetError> {
    to_csv_within(bytes, Limits::default())
}

/// The first sheet as CSV text: each row as wide as the first (the header), trailing empty
/// cells dropped, cells beyond the header's width kept only when they hold something (so the
/// CSV checks name them instead of losing them).
pub fn to_csv_within(bytes: &[u8], limits: Limits) -> Result<String, SheetError> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut width = None;
    let mut written = 0usize;
    read_rows(bytes, limits, &mut |mut row| {
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

    use std::io::Cursor;

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

    /// An .ods as LibreOffice writes it: `mimetype` first and stored, then `content.xml`.
    fn ods(content: &str) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        out.start_file(
            "mimetype",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored),
        )
        .unwrap();
        out.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        out.start_file("content.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(content.as_bytes()).unwrap();
        out.finish().unwrap().into_inner()
    }

    fn table(rows: &str) -> String {
        format!(
            r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet><table:table table:name="A">{rows}</table:table><table:table table:name="B"><table:table-row><table:table-cell office:value-type="string"><text:p>inte detta</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
        )
    }

    #[test]
    fn the_kind_is_told_by_the_bytes() {
        assert_eq!(kind(&ods(&table(""))), Some(Kind::Ods));
        assert_eq!(kind(&zip(&[("xl/workbook.xml", "<w/>")])), Some(Kind::Xlsx));
        assert_eq!(
            kind(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some(Kind::Xls)
        );
        assert_eq!(kind(b"kpi,year\n"), None);
    }

    #[test]
    fn an_ods_first_table_becomes_csv_with_numbers_in_machine_form() {
        let rows = r#"
<table:table-row><table:table-cell office:value-type="string"><text:p>kpi</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>value</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>note</text:p></table:table-cell></table:table-row>
<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="3"/></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>X0180-1</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="87.5"><text:p>87,5</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>a<text:s text:c="2"/>b &amp; c</text:p><text:p>rad 2</text:p></table:table-cell></table:table-row>
<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#;
        assert_eq!(
            to_csv(&ods(&table(rows))).unwrap(),
            "kpi,value,note\n,,\n,,\nX0180-1,87.5,\"a  b & c\nrad 2\"\n",
            "empty rows between keep the line numbers; the empty rest is not written"
        );
    }

    #[test]
    fn ods_formulas_and_repeats_past_the_limits_are_refused() {
        let formula = r#"<table:table-row><table:table-cell office:value-type="string"><text:p>a</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell/><table:table-cell table:formula="of:=1+1" office:value-type="float" office:value="2"><text:p>2</text:p></table:table-cell></table:table-row>"#;
        assert_eq!(
            to_csv(&ods(&table(formula))),
            Err(SheetError::Formula("B2".into()))
        );
        let limits = Limits {
            max_columns: 10,
            max_rows: 5,
            ..Limits::default()
        };
        let wide = r#"<table:table-row><table:table-cell table:number-columns-repeated="999999999" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#;
        assert_eq!(
            to_csv_within(&ods(&table(wide)), limits),
            Err(SheetError::TooLarge(
                "cell K1 lies beyond column J, the last that is read".into()
            ))
        );
        let long = r#"<table:table-row table:number-rows-repeated="999999999"><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#;
        assert_eq!(
            to_csv_within(&ods(&table(long)), limits),
            Err(SheetError::TooLarge("more than 5 rows".into()))
        );
    }

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
        assert_eq!(to_csv(&book), Err(SheetError::Formula("C2".into())));
        assert!(matches!(
            to_csv(b"PK\x03\x04 not really"),
            Err(SheetError::Broken(_))
        ));
        assert!(matches!(
            to_csv(&zip(&[("other.xml", "<x/>")])),
            Err(SheetError::Broken(_))
        ));
        assert_eq!(xlsx::column("AA10", 16_384), Some(26));
        assert_eq!(xlsx::column("XFD1", 16_384), Some(16_383));
        assert_eq!(xlsx::column("XFE1", 16_384), None);
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
            SheetError::TooLarge(
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
            Err(SheetError::TooLarge("more than 50 rows".into()))
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
            Err(SheetError::TooLarge(
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
            Err(SheetError::TooLarge(
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
            Err(SheetError::TooLarge(
                "cell K lies beyond column J, the last that is read".into()
            ))
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
            Err(SheetError::TooLarge(
                "the sheet holds more than 300 bytes as text".into()
            ))
        );
    }
}
