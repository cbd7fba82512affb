//! OpenDocument spreadsheets (.ods, LibreOffice's own format): the first table of
//! `content.xml`. Numbers, dates and truth values are read from their machine form
//! (`office:value`, with a decimal point), text from its paragraphs. Repeated cells and rows
//! (`table:number-columns-repeated`, `table:number-rows-repeated`, which LibreOffice writes
//! for the empty rest of a sheet) are never expanded for nothing: empty ones only move the
//! position, and rows are written out only up to the last one that holds something.

use quick_xml::events::{BytesStart, Event};

use super::archive::{Archive, Text, attribute, text_of};
use super::{Limits, RowCells, Rows, SheetError, broken, column_name};

/// One `<table:table-cell>` being read.
#[derive(Default)]
struct Cell {
    /// How many times the cell stands in a row.
    repeat: usize,
    /// The machine form of a number, date, time or truth value.
    value: Option<String>,
    text: Text,
    paragraphs: usize,
    formula: bool,
}

/// A repeat count (1 when absent). It is never expanded for nothing: a repeated empty cell
/// or row only moves the position, and one with content is written out cell by cell or row
/// by row, where the limits stop it.
fn repeat(e: &BytesStart<'_>, key: &str) -> Result<usize, SheetError> {
    Ok(match attribute(e, key)? {
        Some(n) => n
            .trim()
            .parse::<usize>()
            .map_err(|_| broken(format!("{key}={n:?} is not a count")))?
            .max(1),
        None => 1,
    })
}

fn new_cell(e: &BytesStart<'_>) -> Result<Cell, SheetError> {
    let kind = attribute(e, "office:value-type")?;
    let value = match kind.as_deref() {
        Some("float" | "percentage" | "currency") => attribute(e, "office:value")?,
        Some("date") => attribute(e, "office:date-value")?,
        Some("time") => attribute(e, "office:time-value")?,
        Some("boolean") => attribute(e, "office:boolean-value")?,
        _ => None,
    };
    Ok(Cell {
        repeat: repeat(e, "table:number-columns-repeated")?,
        value,
        formula: attribute(e, "table:formula")?.is_some(),
        ..Cell::default()
    })
}

/// Reads the first table, handing each row to `rows`.
pub(super) fn read_rows(
    bytes: &[u8],
    limits: Limits,
    rows: &mut Rows<'_>,
) -> Result<(), SheetError> {
    let mut archive = Archive::open(bytes, limits)?;
    // 0: before the first table, 1: inside it, 2: after it.
    let mut table = 0u8;
    let mut depth_in_table = 0usize;
    let mut row = RowCells::default();
    let mut row_repeat = 1usize;
    let mut column = 0usize;
    // Empty rows seen but not yet written: written only when a row with content follows.
    let mut empty_rows = 0usize;
    let mut cell: Option<Cell> = None;
    let mut in_paragraph = false;
    let finish_cell = |cell: Cell,
                       row: &mut RowCells,
                       column: &mut usize,
                       row_number: usize|
     -> Result<(), SheetError> {
        let name = |c: usize| format!("{}{row_number}", column_name(c));
        if cell.formula {
            return Err(SheetError::Formula(name(*column)));
        }
        let text = cell.value.unwrap_or(cell.text.text);
        if text.is_empty() {
            *column = column.saturating_add(cell.repeat);
            return Ok(());
        }
        for _ in 0..cell.repeat {
            let at = *column;
            row.place(at, text.clone(), limits, || name(at))?;
            *column += 1;
        }
        Ok(())
    };
    let found = archive.read_xml("content.xml", |event| {
        let name_of = |e: &BytesStart<'_>| e.name().as_ref().to_owned();
        match &event {
            Event::Start(e) if table == 0 && name_of(e) == "table:table" => {
                table = 1;
                return Ok(());
            }
            Event::Empty(e) if table == 0 && name_of(e) == "table:table" => {
                table = 2;
                return Ok(());
            }
            _ => {}
        }
        if table != 1 {
            return Ok(());
        }
        let row_number = rows.count + empty_rows + 1;
        match event {
            Event::Start(e) => {
                depth_in_table += 1;
                match name_of(&e).as_str() {
                    "table:table-row" => {
                        row = RowCells::default();
                        column = 0;
                        row_repeat = repeat(&e, "table:number-rows-repeated")?;
                    }
                    "table:table-cell" | "table:covered-table-cell" => {
                        cell = Some(new_cell(&e)?);
                    }
                    "text:p" if cell.is_some() => {
                        if let Some(c) = cell.as_mut() {
                            if c.paragraphs > 0 {
                                c.text.push("\n", limits.max_cell_chars, &|| name_of(&e))?;
                            }
                            c.paragraphs += 1;
                        }
                        in_paragraph = true;
                    }
                    _ => {}
                }
            }
            Event::Empty(e) => match name_of(&e).as_str() {
                "table:table-row" => {
                    let n = repeat(&e, "table:number-rows-repeated")?;
                    empty_rows = empty_rows.saturating_add(n);
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    let c = new_cell(&e)?;
                    finish_cell(c, &mut row, &mut column, row_number)?;
                }
                // Spaces, tabs and line breaks written as elements inside a paragraph.
                "text:s" if in_paragraph => {
                    // One past the limit is enough for the text to be refused.
                    let n = repeat(&e, "text:c")?.min(limits.max_cell_chars + 1);
                    if let Some(c) = cell.as_mut() {
                        c.text
                            .push(&" ".repeat(n), limits.max_cell_chars, &|| "a cell".into())?;
                    }
                }
                "text:tab" | "text:line-break" if in_paragraph => {
                    let s = if name_of(&e) == "text:tab" {
                        "\t"
                    } else {
                        "\n"
                    };
                    if let Some(c) = cell.as_mut() {
                        c.text.push(s, limits.max_cell_chars, &|| "a cell".into())?;
                    }
                }
                _ => {}
            },
            Event::End(e) => {
                if depth_in_table == 0 {
                    // The end of the first table: the rest of the document is not read.
                    table = 2;
                    return Ok(());
                }
                depth_in_table -= 1;
                match e.name().as_ref() {
                    "text:p" => in_paragraph = false,
                    "table:table-cell" | "table:covered-table-cell" => {
                        if let Some(c) = cell.take() {
                            finish_cell(c, &mut row, &mut column, row_number)?;
                        }
                    }
                    "table:table-row" => {
                        if row.is_empty() {
                            empty_rows = empty_rows.saturating_add(row_repeat);
                        } else {
                            for _ in 0..empty_rows {
                                rows.push(Vec::new())?;
                            }
                            empty_rows = 0;
                            let dense = row.take_dense();
                            for _ in 1..row_repeat {
                                rows.push(dense.clone())?;
                            }
                            rows.push(dense)?;
                        }
                    }
                    _ => {}
                }
            }
            other if in_paragraph => {
                if let (Some(piece), Some(c)) = (text_of(&other)?, cell.as_mut()) {
                    c.text
                        .push(&piece, limits.max_cell_chars, &|| "a cell".to_owned())?;
                }
            }
            _ => {}
        }
        Ok(())
    })?;
    if !found {
        return Err(broken("no content.xml"));
    }
    if table == 0 {
        return Err(broken("no table in content.xml"));
    }
    Ok(())
}
