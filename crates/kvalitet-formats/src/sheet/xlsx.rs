//! Excel workbooks (.xlsx): the first worksheet (found through `workbook.xml` and its
//! relationships), with shared and inline strings resolved.

use quick_xml::events::Event;

use super::archive::{Archive, Text, attribute, text_of};
use super::{Limits, RowCells, Rows, SheetError, broken, size};

/// The shared strings, in order. Phonetic runs (`<rPh>`) are not part of a string's text.
fn shared_strings(archive: &mut Archive<'_>) -> Result<Vec<String>, SheetError> {
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
                        return Err(SheetError::TooLarge(format!(
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
fn first_sheet(archive: &mut Archive<'_>) -> Result<String, SheetError> {
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
pub(super) fn column(reference: &str, max_columns: usize) -> Option<usize> {
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

/// Reads the first sheet, handing each row to `rows`.
pub(super) fn read_rows(
    bytes: &[u8],
    limits: Limits,
    rows: &mut Rows<'_>,
) -> Result<(), SheetError> {
    let mut archive = Archive::open(bytes, limits)?;
    let shared = shared_strings(&mut archive)?;
    let sheet = first_sheet(&mut archive)?;
    let mut row = RowCells::default();
    let mut cell: Option<Cell> = None;
    let mut inside = Inside::Nothing;
    let mut in_inline = false;
    let found = archive.read_xml(&sheet, |event| {
        match event {
            Event::Start(e) if e.local_name().as_ref() == "row" => row = RowCells::default(),
            Event::Empty(e) if e.local_name().as_ref() == "row" => rows.push(Vec::new())?,
            Event::End(e) if e.local_name().as_ref() == "row" => rows.push(row.take_dense())?,
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
) -> Result<(), SheetError> {
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

/// Puts a finished cell into its row: refuses formulas, resolves shared strings, and leaves
/// the bounds on the column and the row's cells to the row.
fn place(row: &mut RowCells, c: Cell, shared: &[String], limits: Limits) -> Result<(), SheetError> {
    if c.formula {
        return Err(SheetError::Formula(c.reference));
    }
    let index = if c.reference.is_empty() {
        row.cells.last().map_or(0, |(i, _)| i + 1)
    } else {
        // A column past the limit is reported as the cell, not as a huge index.
        column(&c.reference, limits.max_columns).unwrap_or(limits.max_columns)
    };
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
    let reference = c.reference;
    row.place(index, text, limits, || {
        if reference.is_empty() {
            super::column_name(index)
        } else {
            reference.clone()
        }
    })
}
