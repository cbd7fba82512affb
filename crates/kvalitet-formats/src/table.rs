//! A small table as people upload it (question banks, plans, contacts, survey answers): CSV
//! with commas or semicolons, whichever the header uses, quotes, a BOM, blank lines skipped;
//! or the first sheet of a spreadsheet ([`upload_text`]). The header is lower-cased and every
//! row keeps its line number (the sheet's row) for error messages.

use kvalitet_domain::Message;

/// Finds the line each record of one text is on, for records met in order. The reader counts
/// the blank lines before a record into it, so the line is found from the record's first
/// non-blank byte.
#[derive(Default)]
struct LineCounter {
    /// A byte already counted up to, and the newlines before it.
    byte: usize,
    newlines: usize,
}

impl LineCounter {
    fn line_of(&mut self, text: &str, position: Option<&csv::Position>) -> usize {
        let start = position
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(0)
            .min(text.len());
        let first = text.as_bytes()[start..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(text.len(), |i| start + i);
        if first < self.byte {
            // Out of order (never, for a reader going forward): count from the start.
            *self = Self::default();
        }
        self.newlines += text.as_bytes()[self.byte..first]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.byte = first;
        self.newlines + 1
    }
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
const VALUE_COLUMNS: [&str; 5] = ["kpi", "municipality_id", "year", "value", "gender"];

/// An uploaded file of values read as far as it can be.
pub struct ValuesUpload {
    /// The rows that could be read, each with its place.
    pub rows: Vec<(crate::Location, kvalitet_domain::ValueRow)>,
    /// Every row that could not be read and every cell that looks like a formula (it would
    /// run when the file is opened in a spreadsheet again), each with its place.
    pub errors: Vec<Message>,
}

/// An uploaded file of values (`kpi,municipality_id,year,value[,gender]`): CSV, or the first
/// sheet of a spreadsheet, of at most `max_bytes`, as people make them: commas or semicolons
/// (Swedish Excel's CSV), a decimal point or comma ("71,5", "1 234,5"), municipality codes that
/// a spreadsheet shortened ("180" for 0180), and, when the file is uploaded on one
/// municipality's page (`municipality`), no `municipality_id` column at all. A file that
/// cannot be read at all (too large, not text, a wrong header, no rows) is refused with why;
/// otherwise its rows and the problems of its other rows come back, so the caller can list
/// every problem at once.
pub fn values_upload(
    bytes: &[u8],
    max_bytes: usize,
    municipality: Option<&kvalitet_domain::MunicipalityId>,
) -> Result<ValuesUpload, Vec<Message>> {
    if bytes.len() > max_bytes {
        return Err(vec![
            Message::new("file_bytes_too_many")
                .with("size", bytes.len())
                .with("max", max_bytes),
        ]);
    }
    let text = upload_text(bytes).map_err(|e| vec![e])?;
    let table = Table::read(&text)?;
    let needed: &[&str] = if municipality.is_some() {
        &["kpi", "year", "value"]
    } else {
        &["kpi", "municipality_id", "year", "value"]
    };
    let optional: Vec<&str> = VALUE_COLUMNS
        .iter()
        .copied()
        .filter(|c| !needed.contains(c))
        .collect();
    let mut errors = header_problems(&table.header, needed, &optional);
    if !errors.is_empty() {
        return Err(errors);
    }
    // The rows in the one form the reader knows; what it says about its line n is said of
    // the uploaded file's line `lines[n - 2]` (the header is line 1 in both).
    let mut canonical = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(text.len() + 64));
    let _ = canonical.write_record(["kpi", "municipality_id", "year", "value", "gender"]);
    let mut lines: Vec<u64> = Vec::with_capacity(table.rows.len());
    for row in table.rows() {
        // A row whose value was left empty (a template's row not filled in) is no value.
        if row.get("value").is_empty() {
            continue;
        }
        for (c, cell) in row.cells.iter().enumerate() {
            if cell.parse::<f64>().is_err()
                && decimal_point(cell).parse::<f64>().is_err()
                && cell.starts_with(['=', '+', '-', '@'])
            {
                let column = table.header.get(c).map_or("?", String::as_str);
                errors.push(
                    crate::Location::line(row.line as u64)
                        .with_field(column)
                        .say(Message::new("formula_cell").with("cell", format!("{cell:?}"))),
                );
            }
        }
        let given = row.get("municipality_id");
        let area = match (given, municipality) {
            ("", Some(m)) => m.as_str().to_owned(),
            (given, _) => padded_code(given),
        };
        let gender = match row.get("gender") {
            "" => "T",
            given => given,
        };
        let cells = [
            row.get("kpi").to_owned(),
            area,
            row.get("year").to_owned(),
            decimal_point(row.get("value")),
            gender.to_owned(),
        ];
        if canonical.write_record(&cells).is_ok() {
            lines.push(row.line as u64);
        }
    }
    let canonical = canonical.into_inner().unwrap_or_default();
    let original = |mut at: crate::Location| {
        at.line = at
            .line
            .and_then(|n| lines.get(usize::try_from(n).ok()?.checked_sub(2)?).copied())
            .or(at.line);
        at
    };
    let mut rows = Vec::new();
    let read = crate::read(
        canonical.as_slice(),
        Some(crate::Format::ValuesCsv),
        &mut |r: Result<(crate::Location, crate::Record), crate::RowError>| {
            match r {
                Err(e) => errors.push(
                    crate::RowError {
                        location: original(e.location),
                        problem: e.problem,
                    }
                    .message(),
                ),
                Ok((at, crate::Record::Value(row))) => rows.push((original(at), row)),
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

/// A number written with a decimal comma and spaces between thousands ("1 234,5", "−3,2")
/// in the form the reader takes ("1234.5", "-3.2"); any other text as it is.
fn decimal_point(cell: &str) -> String {
    let compact: String = cell
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == '\u{2212}' { '-' } else { c })
        .collect();
    let digits = compact.strip_prefix('-').unwrap_or(&compact);
    let looks_swedish = !digits.is_empty()
        && !digits.contains('.')
        && digits.matches(',').count() <= 1
        && digits.chars().all(|c| c.is_ascii_digit() || c == ',')
        && !digits.starts_with(',')
        && !digits.ends_with(',');
    if looks_swedish {
        compact.replace(',', ".")
    } else {
        cell.to_owned()
    }
}

/// A municipality code a spreadsheet read as a number ("180") with its leading zeros back
/// ("0180"); anything else as it is, for the reader to judge.
fn padded_code(code: &str) -> String {
    if (1..4).contains(&code.len()) && code.chars().all(|c| c.is_ascii_digit()) {
        format!("{code:0>4}")
    } else {
        code.to_owned()
    }
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

/// The Swedish headings of the columns the site writes for people (Excel files) and reads
/// back, so a downloaded template returns as it went out: (machine name, Swedish heading).
const HEADINGS: [(&str, &str); 26] = [
    ("area", "Område"),
    ("kpi", "Mått"),
    ("question", "Fråga"),
    ("year", "År"),
    ("value", "Värde"),
    ("gender", "Kön"),
    ("status", "Status"),
    ("colour", "Färg"),
    ("trend", "Trend"),
    ("rank", "Placering"),
    ("n", "Antal kommuner"),
    ("mean", "Snitt"),
    ("worst", "Sämst"),
    ("best", "Bäst"),
    ("riket", "Riket"),
    ("municipality_id", "Kommunkod"),
    ("municipality", "Kommun"),
    ("previous_year_value", "Värde året före"),
    ("n_values", "Antal med värde"),
    ("id", "Nummer"),
    ("at", "Tid"),
    ("actor", "Vem"),
    ("action", "Ändring"),
    ("object", "Vad"),
    ("before", "Före"),
    ("after", "Efter"),
];

/// The Swedish heading of a column, or its machine name when it has none.
pub fn swedish_heading(name: &str) -> &str {
    HEADINGS
        .iter()
        .find(|(machine, _)| *machine == name)
        .map_or(name, |(_, swedish)| swedish)
}

/// The machine name of a (lower-cased) heading, Swedish or not.
fn machine_column(heading: &str) -> &str {
    HEADINGS
        .iter()
        .find(|(_, swedish)| swedish.to_lowercase() == heading)
        .map_or(heading, |(machine, _)| machine)
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
        // Lines are counted onward from the previous record, not from the start of the text
        // each time: a 100,000-row upload would otherwise count its lines 100,000 times over.
        let mut lines = LineCounter::default();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = lines.line_of(text, e.position()) as u64;
                vec![crate::Location::line(line).say(Message::new("bad_csv").with("detail", e))]
            })?;
            if record.iter().all(str::is_empty) {
                continue;
            }
            records.push((
                lines.line_of(text, record.position()),
                record.iter().map(str::to_owned).collect::<Vec<_>>(),
            ));
        }
        let mut rows = records.into_iter();
        let header = rows
            .next()
            .map(|(_, h)| {
                h.into_iter()
                    .map(|c| machine_column(&c.to_lowercase()).to_owned())
                    .collect()
            })
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

impl<'a> Row<'a> {
    /// The cell of a column, empty when the row is short (borrowed from the table).
    pub fn get(&self, name: &str) -> &'a str {
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
    fn values_are_read_as_swedish_excel_writes_them() {
        let m = kvalitet_domain::MunicipalityId::parse("0180").unwrap();
        // Semicolons, decimal commas, a shortened code, a blank line, no gender column.
        let file = "\u{feff}KPI;Municipality_id;Year;Value\nX0180-1;180;2022;71,5\n\nX0180-1;0180;2021;1 234,5\n";
        let read = values_upload(file.as_bytes(), 1 << 20, None).unwrap();
        assert!(read.errors.is_empty(), "{:?}", read.errors);
        let got: Vec<(String, String, f64)> = read
            .rows
            .iter()
            .map(|(at, r)| {
                let kvalitet_domain::Datum::Number(x) = r.datum else {
                    panic!("a number")
                };
                (at.to_string(), r.key.area.to_string(), x)
            })
            .collect();
        assert_eq!(
            got,
            [
                ("line 2".to_owned(), "0180".to_owned(), 71.5),
                ("line 4".to_owned(), "0180".to_owned(), 1234.5)
            ]
        );
        // On a municipality's page the column may be left out; a bad row names its line.
        let read = values_upload(
            b"kpi;year;value\nX0180-1;2022;71\nX0180-1;20x2;3\n",
            1 << 20,
            Some(&m),
        )
        .unwrap();
        assert_eq!(read.rows.len(), 1);
        assert_eq!(read.rows[0].1.key.area.to_string(), "0180");
        assert_eq!(read.errors.len(), 1);
        assert!(
            read.errors[0].to_string().starts_with("line 3"),
            "{:?}",
            read.errors
        );
        // Without a page's municipality the column is needed.
        let refused = values_upload(b"kpi;year;value\nX0180-1;2022;71\n", 1 << 20, None)
            .err()
            .unwrap();
        assert!(
            refused[0].to_string().contains("municipality_id"),
            "{refused:?}"
        );
        // A formula is still refused, with its cell; a negative number is not a formula.
        let read = values_upload(
            b"kpi;municipality_id;year;value\nX0180-1;0180;2022;=1+1\nX0180-1;0180;2021;\xe2\x88\x923,5\n",
            1 << 20,
            None,
        )
        .unwrap();
        assert!(
            read.errors
                .iter()
                .any(|e| e.to_string().contains("line 2, column value")),
            "{:?}",
            read.errors
        );
        assert_eq!(read.rows.len(), 1, "{:?}", read.errors);
        for (cell, read_as) in [
            ("71,5", "71.5"),
            ("−3,2", "-3.2"),
            ("1\u{a0}234", "1234"),
            ("1,234.5", "1,234.5"),
            ("abc", "abc"),
            (",5", ",5"),
        ] {
            assert_eq!(decimal_point(cell), read_as, "{cell}");
        }
        assert_eq!(
            (padded_code("180"), padded_code("0180"), padded_code("18a")),
            ("0180".into(), "0180".into(), "18a".into())
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
