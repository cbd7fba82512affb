//! Excel 97–2003 workbooks (.xls): the first worksheet of the `Workbook` stream (BIFF8) of a
//! compound file. The compound file is opened with the `cfb` crate, which checks the whole
//! sector table before anything is read (a sector pointed to twice, a chain past the file).
//! The BIFF8 records are read here by hand: calamine's reader, the one well-kept Rust
//! choice, was tried first and our fuzzer made it abort the process within a minute (a
//! cyclic sector chain in its own compound-file code grows a buffer without end; the sheet's
//! DIMENSIONS record goes to `Vec::reserve` unchecked). Only what an upload needs is read:
//! shared strings, strings, numbers (also the packed RK forms), booleans and error cells;
//! formulas are refused like in the other formats. Every count read from the file is checked
//! against what is left of the file before it is used, so nothing is allocated on a claim.
//!
//! The format is Microsoft's [MS-XLS] specification; record numbers are named below.

use std::io::{Cursor, Read};

use super::{Limits, RowCells, Rows, SheetError, broken, column_name};

/// BIFF8 record types read (MS-XLS 2.3).
const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const FILEPASS: u16 = 0x002F;
const BOUNDSHEET: u16 = 0x0085;
const SST: u16 = 0x00FC;
const CONTINUE: u16 = 0x003C;
const LABELSST: u16 = 0x00FD;
const LABEL: u16 = 0x0204;
const RSTRING: u16 = 0x00D6;
const NUMBER: u16 = 0x0203;
const RK: u16 = 0x027E;
const MULRK: u16 = 0x00BD;
const BOOLERR: u16 = 0x0205;
const FORMULA: u16 = 0x0006;

pub(super) fn read_rows(
    bytes: &[u8],
    limits: Limits,
    rows: &mut Rows<'_>,
) -> Result<(), SheetError> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| broken(format!("not a readable .xls file ({e})")))?;
    let stream = if file.is_stream("/Workbook") {
        "/Workbook"
    } else if file.is_stream("/Book") {
        return Err(broken(
            "an Excel 5/95 workbook; save it as .xlsx or .ods (Save as) and upload that",
        ));
    } else {
        return Err(broken("an .xls file without a workbook"));
    };
    let mut workbook = Vec::new();
    file.open_stream(stream)
        .map_err(|e| broken(format!("the workbook cannot be read ({e})")))?
        .take(limits.max_part_bytes + 1)
        .read_to_end(&mut workbook)
        .map_err(|e| broken(format!("the workbook cannot be read ({e})")))?;
    if workbook.len() as u64 > limits.max_part_bytes {
        return Err(SheetError::TooLarge(format!(
            "the workbook is larger than {}",
            super::size(limits.max_part_bytes)
        )));
    }
    let globals = Globals::read(&workbook, limits)?;
    read_sheet(
        &workbook,
        globals.first_sheet,
        &globals.strings,
        limits,
        rows,
    )
}

/// One BIFF record: its type and its data.
struct Record<'a> {
    kind: u16,
    data: &'a [u8],
}

/// The records of a stream from `at` on; a record that claims more than is left ends the
/// stream with an error.
struct Records<'a> {
    stream: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, SheetError>;

    fn next(&mut self) -> Option<Self::Item> {
        let head = self.stream.get(self.at..self.at + 4)?;
        let kind = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let start = self.at + 4;
        let Some(data) = self.stream.get(start..start + len) else {
            self.at = self.stream.len();
            return Some(Err(broken("the workbook is cut short")));
        };
        self.at = start + len;
        Some(Ok(Record { kind, data }))
    }
}

fn u16_at(data: &[u8], at: usize) -> Result<u16, SheetError> {
    data.get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| broken("a record of the workbook is cut short"))
}

fn u32_at(data: &[u8], at: usize) -> Result<u32, SheetError> {
    data.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| broken("a record of the workbook is cut short"))
}

fn f64_at(data: &[u8], at: usize) -> Result<f64, SheetError> {
    data.get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map(f64::from_le_bytes)
        .ok_or_else(|| broken("a record of the workbook is cut short"))
}

/// What the workbook's globals give: the shared strings and where the first worksheet is.
struct Globals {
    strings: Vec<String>,
    first_sheet: usize,
}

impl Globals {
    fn read(stream: &[u8], limits: Limits) -> Result<Self, SheetError> {
        let mut records = Records { stream, at: 0 };
        match records.next() {
            Some(Ok(r)) if r.kind == BOF && u16_at(r.data, 0)? == 0x0600 => {}
            Some(Ok(r)) if r.kind == BOF => {
                return Err(broken(
                    "an Excel workbook older than 97; save it as .xlsx or .ods and upload that",
                ));
            }
            _ => {
                return Err(broken(
                    "the workbook does not begin as an Excel 97 workbook",
                ));
            }
        }
        let mut first_sheet = None;
        let mut strings = None;
        let mut pending: Option<Record<'_>> = None;
        loop {
            let record = match pending.take() {
                Some(r) => r,
                None => match records.next() {
                    Some(r) => r?,
                    None => return Err(broken("the workbook ends before its sheets")),
                },
            };
            match record.kind {
                EOF => break,
                FILEPASS => {
                    return Err(broken(
                        "the workbook is protected with a password; save it without one",
                    ));
                }
                // A worksheet (type 0) in the order the workbook shows them.
                BOUNDSHEET if first_sheet.is_none() && record.data.get(5) == Some(&0) => {
                    first_sheet = Some(u32_at(record.data, 0)? as usize);
                }
                SST => {
                    // The table goes on in the CONTINUE records right after it.
                    let mut parts = vec![record.data];
                    loop {
                        match records.next() {
                            Some(Ok(r)) if r.kind == CONTINUE => parts.push(r.data),
                            Some(r) => {
                                pending = Some(r?);
                                break;
                            }
                            None => break,
                        }
                    }
                    strings = Some(read_sst(&parts, limits)?);
                }
                _ => {}
            }
        }
        Ok(Self {
            strings: strings.unwrap_or_default(),
            first_sheet: first_sheet.ok_or_else(|| broken("the workbook has no worksheet"))?,
        })
    }
}

/// Bytes read across a record and the CONTINUE records after it, as one string table.
struct Pieces<'a, 'p> {
    parts: &'p [&'a [u8]],
    part: usize,
    at: usize,
}

impl Pieces<'_, '_> {
    fn left_in_part(&self) -> usize {
        self.parts
            .get(self.part)
            .map_or(0, |p| p.len().saturating_sub(self.at))
    }

    /// Moves to the next record when this one is used up; false at the end.
    fn next_part_if_done(&mut self) -> bool {
        while self.left_in_part() == 0 {
            if self.part + 1 >= self.parts.len() {
                return false;
            }
            self.part += 1;
            self.at = 0;
        }
        true
    }

    fn bytes(&mut self, n: usize) -> Result<Vec<u8>, SheetError> {
        let mut out = Vec::with_capacity(n.min(self.left_in_part()));
        while out.len() < n {
            if !self.next_part_if_done() {
                return Err(broken("the shared strings are cut short"));
            }
            let take = (n - out.len()).min(self.left_in_part());
            out.extend_from_slice(&self.parts[self.part][self.at..self.at + take]);
            self.at += take;
        }
        Ok(out)
    }

    fn skip(&mut self, mut n: usize) -> Result<(), SheetError> {
        while n > 0 {
            if !self.next_part_if_done() {
                return Err(broken("the shared strings are cut short"));
            }
            let take = n.min(self.left_in_part());
            self.at += take;
            n -= take;
        }
        Ok(())
    }

    fn u8(&mut self) -> Result<u8, SheetError> {
        Ok(self.bytes(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, SheetError> {
        let b = self.bytes(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, SheetError> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// `count` characters, one or two bytes each by `wide`. Where the characters cross into
    /// the next CONTINUE record, that record begins with a new flag byte (MS-XLS 2.5.293).
    fn chars(&mut self, count: usize, mut wide: bool) -> Result<String, SheetError> {
        let mut units: Vec<u16> = Vec::with_capacity(count.min(self.left_in_part()));
        while units.len() < count {
            if self.left_in_part() == 0 {
                if !self.next_part_if_done() {
                    return Err(broken("the shared strings are cut short"));
                }
                wide = self.u8()? & 1 == 1;
            }
            let width = if wide { 2 } else { 1 };
            let here = (self.left_in_part() / width).min(count - units.len());
            if here == 0 {
                return Err(broken("a shared string is split inside a character"));
            }
            let part = &self.parts[self.part][self.at..self.at + here * width];
            if wide {
                units.extend(
                    part.chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]])),
                );
            } else {
                units.extend(part.iter().map(|&b| u16::from(b)));
            }
            self.at += here * width;
        }
        Ok(String::from_utf16_lossy(&units))
    }

    /// One XLUnicodeRichExtendedString (MS-XLS 2.5.293): its characters; rich-text runs and
    /// phonetic data are skipped.
    fn rich_string(&mut self, limits: Limits) -> Result<String, SheetError> {
        let count = usize::from(self.u16()?);
        let flags = self.u8()?;
        let runs = if flags & 0x08 != 0 { self.u16()? } else { 0 };
        let ext = if flags & 0x04 != 0 { self.u32()? } else { 0 };
        if count > limits.max_cell_chars {
            return Err(SheetError::TooLarge(format!(
                "a shared string holds more than {} characters",
                limits.max_cell_chars
            )));
        }
        let text = self.chars(count, flags & 0x01 == 1)?;
        self.skip(usize::from(runs) * 4)?;
        self.skip(ext as usize)?;
        Ok(text)
    }
}

/// The shared string table (SST with its CONTINUE records), within the limits on held text.
fn read_sst(parts: &[&[u8]], limits: Limits) -> Result<Vec<String>, SheetError> {
    let mut pieces = Pieces {
        parts,
        part: 0,
        at: 0,
    };
    let _total = pieces.u32()?;
    let unique = pieces.u32()? as usize;
    // Each string takes at least three bytes, so the count is checked against what is there
    // before anything is kept for it.
    let there: usize = parts.iter().map(|p| p.len()).sum();
    if unique > there / 3 {
        return Err(broken(
            "the shared strings claim more strings than the file holds",
        ));
    }
    // Grown as strings are read, so a count that the bytes only barely allow costs nothing.
    let mut strings = Vec::with_capacity(unique.min(4096));
    let mut held = 0usize;
    for _ in 0..unique {
        let s = pieces.rich_string(limits)?;
        held += s.len();
        if held > limits.max_shared_bytes {
            return Err(SheetError::TooLarge(format!(
                "the shared strings hold more than {}",
                super::size(limits.max_shared_bytes as u64)
            )));
        }
        strings.push(s);
    }
    Ok(strings)
}

/// An RK number (MS-XLS 2.5.217): 30 bits of an integer or of a double's high bits, maybe
/// divided by 100.
fn rk(value: u32) -> f64 {
    let x = if value & 0x02 != 0 {
        f64::from((value as i32) >> 2)
    } else {
        f64::from_bits(u64::from(value & 0xFFFF_FFFC) << 32)
    };
    if value & 0x01 != 0 { x / 100.0 } else { x }
}

/// A number as text, in the same machine form the other formats give ("87.5", "2022").
fn number(x: f64) -> String {
    format!("{x}")
}

/// The cell name ("B7") of a zero-based row and column.
fn cell_name(row: usize, column: usize) -> String {
    format!("{}{}", column_name(column), row + 1)
}

/// Reads the worksheet whose BOF is at `at`, handing rows on in order; empty rows between
/// are handed on too, so line numbers in messages match the sheet's.
fn read_sheet(
    stream: &[u8],
    at: usize,
    strings: &[String],
    limits: Limits,
    rows: &mut Rows<'_>,
) -> Result<(), SheetError> {
    let mut records = Records { stream, at };
    match records.next() {
        Some(Ok(r)) if r.kind == BOF => {}
        _ => return Err(broken("the first worksheet is not where the workbook says")),
    }
    let mut sheet = SheetRows::default();
    loop {
        let record = match records.next() {
            Some(r) => r?,
            None => return Err(broken("the worksheet ends before its end mark")),
        };
        let d = record.data;
        let cell = || -> Result<(usize, usize), SheetError> {
            Ok((usize::from(u16_at(d, 0)?), usize::from(u16_at(d, 2)?)))
        };
        match record.kind {
            EOF => break,
            FORMULA => {
                let (row, column) = cell()?;
                return Err(SheetError::Formula(cell_name(row, column)));
            }
            LABELSST => {
                let (row, column) = cell()?;
                let index = u32_at(d, 6)? as usize;
                let text = strings.get(index).cloned().ok_or_else(|| {
                    broken(format!(
                        "cell {} refers to a shared string that is not there",
                        cell_name(row, column)
                    ))
                })?;
                sheet.put(row, column, text, limits, rows)?;
            }
            LABEL | RSTRING => {
                let (row, column) = cell()?;
                let count = usize::from(u16_at(d, 6)?);
                let wide = d.get(8).is_some_and(|f| f & 1 == 1);
                let width = if wide { 2 } else { 1 };
                let chars = d
                    .get(9..9 + count * width)
                    .ok_or_else(|| broken("a record of the workbook is cut short"))?;
                let text = if wide {
                    let units: Vec<u16> = chars
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect();
                    String::from_utf16_lossy(&units)
                } else {
                    chars.iter().map(|&b| char::from(b)).collect()
                };
                sheet.put(row, column, text, limits, rows)?;
            }
            NUMBER => {
                let (row, column) = cell()?;
                let text = number(f64_at(d, 6)?);
                sheet.put(row, column, text, limits, rows)?;
            }
            RK => {
                let (row, column) = cell()?;
                let text = number(rk(u32_at(d, 6)?));
                sheet.put(row, column, text, limits, rows)?;
            }
            MULRK => {
                let (row, first) = cell()?;
                // row, first column, then six bytes per cell, then the last column.
                let cells = d.len().saturating_sub(6) / 6;
                for i in 0..cells {
                    let text = number(rk(u32_at(d, 4 + i * 6 + 2)?));
                    sheet.put(row, first + i, text, limits, rows)?;
                }
            }
            BOOLERR => {
                let (row, column) = cell()?;
                let value = d.get(6).copied().unwrap_or(0);
                let is_error = d.get(7).is_some_and(|&e| e != 0);
                let text = match (is_error, value) {
                    (false, 0) => "FALSE",
                    (false, _) => "TRUE",
                    (true, _) => "",
                };
                sheet.put(row, column, text.to_owned(), limits, rows)?;
            }
            _ => {}
        }
    }
    sheet.finish(rows)
}

/// The rows of a worksheet as its cells arrive (row by row, as Excel writes them).
#[derive(Default)]
struct SheetRows {
    current: RowCells,
    /// The row whose cells are being gathered (zero-based).
    row: usize,
    /// How many rows have been handed on.
    handed_on: usize,
}

impl SheetRows {
    fn put(
        &mut self,
        row: usize,
        column: usize,
        text: String,
        limits: Limits,
        rows: &mut Rows<'_>,
    ) -> Result<(), SheetError> {
        if row < self.row {
            return Err(broken(format!(
                "cell {} comes after row {}; save the file again in Excel",
                cell_name(row, column),
                self.row + 1
            )));
        }
        if row > self.row {
            self.hand_on(rows)?;
            self.row = row;
        }
        self.current
            .place(column, text, limits, || cell_name(row, column))
    }

    /// Hands on the gathered row, after the empty rows before it.
    fn hand_on(&mut self, rows: &mut Rows<'_>) -> Result<(), SheetError> {
        if self.current.is_empty() {
            return Ok(());
        }
        while self.handed_on < self.row {
            rows.push(Vec::new())?;
            self.handed_on += 1;
        }
        rows.push(self.current.take_dense())?;
        self.handed_on += 1;
        Ok(())
    }

    fn finish(mut self, rows: &mut Rows<'_>) -> Result<(), SheetError> {
        self.hand_on(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rk_numbers_unpack_as_excel_writes_them() {
        // 2022 as a shifted integer; 87.5 as a double's high bits; 1.23 as 123 / 100.
        assert_eq!(rk((2022 << 2) | 0x02), 2022.0);
        assert_eq!(rk((87.5f64.to_bits() >> 32) as u32), 87.5);
        assert_eq!(rk((123 << 2) | 0x03), 1.23);
        assert_eq!(rk(((-7i32 << 2) as u32) | 0x02), -7.0);
    }

    #[test]
    fn strings_cross_continue_records_with_a_new_flag_byte() {
        // Two strings: "ab" (8-bit) and "åäö" that starts 8-bit in the SST record and goes
        // on as 16-bit in the CONTINUE record.
        let sst: &[u8] = &[2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, b'a', b'b', 3, 0, 0, 0xE5];
        let cont: &[u8] = &[1, 0xE4, 0, 0xF6, 0];
        let strings = read_sst(&[sst, cont], Limits::default()).unwrap();
        assert_eq!(strings, ["ab", "åäö"]);
    }

    #[test]
    fn a_string_count_past_the_file_is_refused_before_anything_is_kept() {
        let sst: &[u8] = &[
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 1, 0, 0, b'a',
        ];
        assert!(matches!(
            read_sst(&[sst], Limits::default()),
            Err(SheetError::Broken(_))
        ));
    }
}
