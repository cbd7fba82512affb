//! Readers for every file format kvalitet imports. Each reader turns bytes into domain
//! records, one at a time, and names the place (line or JSON path, and field) of anything
//! it cannot read. Deciding what to do with a bad row is the caller's business.

pub mod attachment;
mod csv_formats;
mod detect;
pub mod framework_toml;
mod geojson;
pub mod goal_file;
pub mod goal_report;
mod json_formats;
mod measure_set_toml;
pub mod outline;
pub mod pabulib;
pub mod questionnaire_file;
mod record;
pub mod screening_file;
pub mod sheet;
pub mod table;
pub mod weighting_files;

use std::io::{BufRead, BufReader, Read};

use kvalitet_domain::Message;

pub use detect::{Format, FormatError, detect_head};
pub use kvalitet_domain::geo::{MAP_HEIGHT, MAP_WIDTH, project};
pub use record::{GroupRecord, KpiGroupRecord, Location, ReadError, Record, RowError};

/// Receives each record or row error; returning `false` stops the reader early.
pub type Sink<'a> = dyn FnMut(Result<(Location, Record), RowError>) -> bool + 'a;

/// Reads a whole input: undoes gzip when the bytes say so, detects the format unless
/// `format` is given, and feeds every record to `sink`. Returns the format read.
pub fn read(
    input: impl Read + Send,
    format: Option<Format>,
    sink: &mut Sink<'_>,
) -> Result<Format, ReadError> {
    read_plain(decompressed(input).map_err(ReadError::io)?, format, sink)
}

/// The input as text bytes: gzip (recognised by its magic bytes) is undone.
pub fn decompressed<'a>(
    input: impl Read + Send + 'a,
) -> std::io::Result<Box<dyn BufRead + Send + 'a>> {
    let mut buffered = BufReader::with_capacity(1 << 16, input);
    if buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
        let decoder = flate2::bufread::MultiGzDecoder::new(buffered);
        return Ok(Box::new(BufReader::with_capacity(1 << 16, decoder)));
    }
    Ok(Box::new(buffered))
}

/// Whether text looks like TOML (a measure set or a framework) rather than a CSV file.
#[cfg(any())]
pub(crate) fn looks_like_toml(text: &str) -> bool {
    measure_set_toml::looks_like_toml(text)
}

/// A file people write by hand, as TOML or (starting with `{`) as JSON with the same keys:
/// read into `T`, or its syntax error with the line (and column). The parsers' own words about
/// the syntax are English; the line is said in the reader's language.
pub(crate) fn toml_or_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Vec<Message>> {
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| {
            vec![
                Location::line(e.line() as u64)
                    .with_field(e.column().to_string())
                    .say(e.to_string()),
            ]
        })
    } else {
        toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].lines().count().max(1)
            });
            vec![Location::line(line as u64).say(e.message().to_owned())]
        })
    }
}

/// Which TOML format a text is: a framework has a `valid_from`, a measure set has not.
pub(crate) fn toml_format(text: &str) -> Format {
    if text
        .lines()
        .any(|l| l.trim_start().starts_with("valid_from"))
    {
        Format::FrameworkToml
    } else {
        Format::MeasureSetToml
    }
}

/// The CSV format a header line belongs to, if any.
pub(crate) fn format_of_header(line: &str) -> Option<Format> {
    let fields: Vec<String> = line
        .split(',')
        .map(|f| f.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    detect::classify_header(&fields)
}

fn read_plain(
    mut input: impl BufRead,
    format: Option<Format>,
    sink: &mut Sink<'_>,
) -> Result<Format, ReadError> {
    let format = match format {
        Some(f) => f,
        None => detect::detect(&mut input)?,
    };
    if format == Format::GoalPlan {
        // A plan is checked against the measures in the database and saved as a draft by the
        // goals use case, never as records in a batch.
        return Err(ReadError::at(
            Location::default(),
            "a goal plan is imported whole by `kvalitet import` or `kvalitet goals import`",
        ));
    }
    if matches!(format, Format::MeasureSetToml | Format::FrameworkToml) {
        let mut text = String::new();
        input
            .read_to_string(&mut text)
            .map_err(|e| ReadError::at(Location::default(), format!("not UTF-8 text: {e}")))?;
        let text = text.trim_start_matches('\u{feff}');
        let record = if format == Format::MeasureSetToml {
            measure_set_toml::read(text)?
        } else {
            let framework = framework_toml::read(text)
                .map_err(|errors| ReadError::at(Location::default(), Message::all(errors)))?;
            Record::Framework(Box::new((framework, text.to_owned())))
        };
        sink(Ok((Location::line(1), record)));
        return Ok(format);
    }
    if format.is_json() {
        json_formats::read(input, format, sink)
    } else {
        csv_formats::read(input, format, sink)?;
        Ok(format)
    }
}
