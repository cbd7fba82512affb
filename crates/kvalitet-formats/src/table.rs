//! A small table as people upload it (question banks, plans, contacts, survey answers): CSV
//! with commas or semicolons, whichever the header uses, quotes, a BOM, blank lines skipped;
//! or the first sheet of a spreadsheet ([`upload_text`]). The header is lower-cased and every
//! row keeps its line number (the sheet's row) for error messages.

use kvalitet_domain::Message;

/// The line a record is on. The reader counts the blank lines before a record into it, so the
/// line is found from the record's first non-blank byte.
fn line_of(text: &str, position: Option<&csv::Position>) -> usize {
    let start = position
        .and_then(|p| usize::try_from(p.byte()).ok())
        .unwrap_or(0)
        .min(text.len());
    let rest = &text.as_bytes()[start..];
    let first = rest
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(text.len(), |i| start + i);
    text.as_bytes()[..first]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The text of an uploaded file: a spreadsheet's first sheet as CSV (.xlsx, .ods; see
/// [`crate::sheet`]), or the bytes themselves when they are UTF-8 text; otherwise why not,
/// naming the byte where the text stops being UTF-8.
pub fn upload_text(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, Message> {
    if bytes.is_empty() {
        return Err(Message::new("file_empty"));
    }
    if crate::sheet::kind(bytes).is_some() {
        return crate::sheet::to_csv(bytes)
            .map(std::borrow::Cow::Owned)
            .map_err(|e| e.message());
    }
    std::str::from_utf8(bytes)
        .map(std::borrow::Cow::Borrowed)
        .map_err(|e| Message::new("not_utf8").with("byte", e.valid_up_to()))
}

/// The columns of an uploaded file of values, and those it must have.
const VALUE_COLUMNS_NEEDED: [&str; 4] = ["kpi", "municipality_id", "year", "value"];
const VALUE_COLUMNS_OPTIONAL: [&str; 1] = ["gender"];

/// An uploaded file of values read as far as it can be.
pub struct ValuesUpload {
    /// The rows that could be read, each with its place.
    pub rows: Vec<(crate::Location, kvalitet_domain::ValueRow)>,
    /// Every row that could not be read and every cell that looks like a formula (it would
    /// run when the file is opened in a spreadsheet again), each with its place.
    pub errors: Vec<Message>,
}

/// An uploaded file of values (`kpi,municipality_id,year,value[,gender]`): CSV, or the first
/// sheet of a spreadsheet, of at most `max_bytes`. A file that cannot be read at all (too
/// large, not text, a wrong header, no rows) is refused with why; otherwise its rows and the
/// problems of its other rows come back, so the caller can list every problem at once.
pub fn values_upload(bytes: &[u8], max_bytes: usize) -> Result<ValuesUpload, Vec<Message>> {
    if bytes.len() > max_bytes {
        return Err(vec![
            Message::new("file_bytes_too_many")
                .with("size", bytes.len())
                .with("max", max_bytes),
        ]);
    }
    let text = upload_text(bytes).map_err(|e| vec![e])?;
    let text = text.trim_start_matches('\u{feff}');
    let header: Vec<String> = text
        .lines()
        .next()
        .unwrap_or_default()
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let mut errors = header_problems(&header, &VALUE_COLUMNS_NEEDED, &VALUE_COLUMNS_OPTIONAL);
    if !errors.is_empty() {
        return Err(errors);
    }
    for (i, line) in text.lines().enumerate().skip(1) {
        for (c, cell) in line.split(',').enumerate() {
            let cell = cell.trim().trim_matches('"');
            let numeric = cell.parse::<f64>().is_ok();
            if !numeric && cell.starts_with(['=', '+', '-', '@']) {
                let column = header.get(c).map_or("?", String::as_str);
                errors.push(
                    crate::Location::line(i as u64 + 1)
                        .with_field(column)
                        .say(Message::new("formula_cell").with("cell", format!("{cell:?}"))),
                );
            }
        }
    }
    let mut rows = Vec::new();
    let read = crate::read(
        text.as_bytes(),
        Some(crate::Format::ValuesCsv),
        &mut |r: Result<(crate::Location, crate::Record), crate::RowError>| {
            match r {
                Err(e) => errors.push(e.message()),
                Ok((at, crate::Record::Value(row))) => rows.push((at, row)),
                Ok(_) => {}
            }
            true
        },
    );
    if let Err(e) = read {
        return Err(vec![e.message()]);
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(vec![Message::new("no_value_rows")]);
    }
    Ok(ValuesUpload { rows, errors })
}

/// What is wrong with a header (line 1): each `needed` column that is missing, and each
/// column that is neither needed nor `optional`.
fn header_problems(header: &[String], needed: &[&str], optional: &[&str]) -> Vec<Message> {
    let line = crate::Location::line(1);
    let missing = needed
        .iter()
        .filter(|n| !header.iter().any(|h| h == *n))
        .map(|n| line.say(Message::new("column_missing").with("column", n)));
    let unknown = header
        .iter()
        .filter(|h| !needed.contains(&h.as_str()) && !optional.contains(&h.as_str()))
        .map(|h| {
            line.say(
                Message::new("column_unknown")
                    .with("column", format!("{h:?}"))
                    .with("expected", [needed, optional].concat().join(", ")),
            )
        });
    missing.chain(unknown).collect()
}

/// A header and its rows.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Reads the whole text; an empty text is an error.
    pub fn read(text: &str) -> Result<Self, Vec<Message>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else {
            return Err(vec![Message::new("file_empty")]);
        };
        let delimiter = if first.contains(';') { b';' } else { b',' };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let mut records = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = line_of(text, e.position()) as u64;
                vec![crate::Location::line(line).say(Message::new("bad_csv").with("detail", e))]
            })?;
            if record.iter().all(str::is_empty) {
                continue;
            }
            records.push((
                line_of(text, record.position()),
                record.iter().map(str::to_owned).collect::<Vec<_>>(),
            ));
        }
        let mut rows = records.into_iter();
        let header = rows
            .next()
            .map(|(_, h)| h.into_iter().map(|c| c.to_lowercase()).collect())
            .unwrap_or_default();
        Ok(Self {
            header,
            rows: rows.collect(),
        })
    }

    /// Reads a table that must have the `needed` columns, may have the `optional` ones, has
    /// no others, and has at least one row.
    pub fn with_columns(
        text: &str,
        needed: &[&str],
        optional: &[&str],
    ) -> Result<Self, Vec<Message>> {
        let table = Self::read(text)?;
        let mut errors = header_problems(&table.header, needed, optional);
        if errors.is_empty() && table.rows.is_empty() {
            errors.push(Message::new("no_rows"));
        }
        if errors.is_empty() {
            Ok(table)
        } else {
            Err(errors)
        }
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|(line, cells)| Row {
            line: *line,
            header: &self.header,
            cells,
        })
    }
}

/// One row, read by column name.
pub struct Row<'a> {
    pub line: usize,
    header: &'a [String],
    pub cells: &'a [String],
}

impl Row<'_> {
    /// The cell of a column, empty when the row is short.
    pub fn get(&self, name: &str) -> &str {
        self.header
            .iter()
            .position(|h| h == name)
            .and_then(|i| self.cells.get(i))
            .map_or("", String::as_str)
    }

    /// The place of a cell, for an error about it: its line, and its column by number and
    /// name ("line 3, column 2 (b)").
    pub fn at(&self, name: &str) -> crate::Location {
        let column = self
            .header
            .iter()
            .position(|h| h == name)
            .map_or(0, |i| i + 1);
        crate::Location::line(self.line as u64).with_field(format!("{column} ({name})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_separators_blank_lines_and_line_numbers() {
        let t = Table::read("\u{feff}A;B\n\n1;\"x; y\"\n2;\"say \"\"hej\"\"\"\n").unwrap();
        assert_eq!(t.header, ["a", "b"]);
        let rows: Vec<(usize, Vec<&str>)> = t
            .rows()
            .map(|r| (r.line, r.cells.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            rows,
            [(3, vec!["1", "x; y"]), (4, vec!["2", "say \"hej\""])]
        );
        let row = t.rows().next().unwrap();
        assert_eq!((row.get("b"), row.get("c")), ("x; y", ""));
        assert_eq!(row.at("b").to_string(), "line 3, column 2 (b)");
        assert_eq!(
            kvalitet_domain::Lang::Sv.say(&row.at("b").say(Message::new("no_rows"))),
            "rad 3, kolumn 2 (b): Filen har en rubrikrad men inga rader."
        );
        assert_eq!(
            Table::read(" \n").err().unwrap(),
            [Message::new("file_empty")]
        );
        let e = Table::with_columns("a,z\n", &["a", "b"], &[])
            .err()
            .unwrap();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(
            Table::with_columns("a,b\n", &["a", "b"], &[])
                .err()
                .unwrap(),
            [Message::new("no_rows")]
        );
    }

    #[test]
    fn an_upload_is_text_or_a_spreadsheet() {
        assert_eq!(upload_text(b"a;b\n1;2\n").unwrap(), "a;b\n1;2\n");
        assert!(
            upload_text(b"a\n\xe5\n")
                .unwrap_err()
                .to_string()
                .contains("byte 2")
        );
        assert_eq!(upload_text(b"").unwrap_err(), Message::new("file_empty"));
        assert!(
            upload_text(b"PK\x03\x04garbage")
                .unwrap_err()
                .to_string()
                .contains("Not a spreadsheet")
        );
    }
}
