//! A small table as people upload it (question banks, plans, contacts, survey answers): CSV
//! with commas or semicolons, whichever the header uses, quotes, a BOM, blank lines skipped;
//! or the first sheet of a spreadsheet ([`upload_text`]). The header is lower-cased and every
//! row keeps its line number (the sheet's row) for error messages.

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
pub fn upload_text(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if crate::sheet::kind(bytes).is_some() {
        return crate::sheet::to_csv(bytes)
            .map(std::borrow::Cow::Owned)
            .map_err(|e| e.to_string());
    }
    std::str::from_utf8(bytes)
        .map(std::borrow::Cow::Borrowed)
        .map_err(|e| {
            format!(
                "the file is not UTF-8 text (byte {}); save it as \"CSV UTF-8\" or as .xlsx",
                e.valid_up_to()
            )
        })
}

/// A header and its rows.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Reads the whole text; an empty text is an error.
    pub fn read(text: &str) -> Result<Self, Vec<String>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else {
            return Err(vec!["the file is empty".into()]);
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
            let record =
                record.map_err(|e| vec![format!("line {}: {e}", line_of(text, e.position()))])?;
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
    ) -> Result<Self, Vec<String>> {
        let table = Self::read(text)?;
        let mut errors: Vec<String> = needed
            .iter()
            .filter(|n| !table.header.iter().any(|h| h == *n))
            .map(|n| format!("line 1: the column {n:?} is missing"))
            .collect();
        errors.extend(
            table
                .header
                .iter()
                .filter(|h| !needed.contains(&h.as_str()) && !optional.contains(&h.as_str()))
                .map(|h| {
                    format!(
                        "line 1: the column {h:?} is not known (expected {})",
                        [needed, optional].concat().join(", ")
                    )
                }),
        );
        if errors.is_empty() && table.rows.is_empty() {
            errors.push("the file has a header but no rows".into());
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

    /// "line L, column C (name)", for an error about a cell.
    pub fn at(&self, name: &str) -> String {
        let column = self
            .header
            .iter()
            .position(|h| h == name)
            .map_or(0, |i| i + 1);
        format!("line {}, column {column} ({name})", self.line)
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
        assert_eq!(row.at("b"), "line 3, column 2 (b)");
        assert_eq!(Table::read(" \n").err().unwrap(), ["the file is empty"]);
        let e = Table::with_columns("a,z\n", &["a", "b"], &[])
            .err()
            .unwrap();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(
            Table::with_columns("a,b\n", &["a", "b"], &[])
                .err()
                .unwrap(),
            ["the file has a header but no rows"]
        );
    }

    #[test]
    fn an_upload_is_text_or_a_spreadsheet() {
        assert_eq!(upload_text(b"a;b\n1;2\n").unwrap(), "a;b\n1;2\n");
        assert!(upload_text(b"a\n\xe5\n").unwrap_err().contains("byte 2"));
        assert_eq!(upload_text(b"").unwrap_err(), "the file is empty");
        assert!(
            upload_text(b"PK\x03\x04garbage")
                .unwrap_err()
                .contains("not a spreadsheet")
        );
    }
}
