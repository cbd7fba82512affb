//! Readers for every file format kvalitet imports. Each reader turns bytes into domain
//! records, one at a time, and names the place (line or JSON path, and field) of anything
//! it cannot read. Deciding what to do with a bad row is the caller's business.

mod csv_formats;
mod detect;
mod json_formats;
mod record;

use std::io::{BufRead, BufReader, Read};

pub use detect::{Format, FormatError};
pub use record::{GroupRecord, KpiGroupRecord, Location, ReadError, Record, RowError};

/// Receives each record or row error; returning `false` stops the reader early.
pub type Sink<'a> = dyn FnMut(Result<(Location, Record), RowError>) -> bool + 'a;

/// Reads a whole input: undoes gzip when the bytes say so, detects the format unless
/// `format` is given, and feeds every record to `sink`. Returns the format read.
pub fn read(input: impl Read, format: Option<Format>, sink: &mut Sink<'_>) -> Result<Format, ReadError> {
    let mut buffered = BufReader::with_capacity(1 << 16, input);
    let head = buffered.fill_buf().map_err(ReadError::io)?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let decoder = flate2::bufread::MultiGzDecoder::new(buffered);
        return read_plain(BufReader::with_capacity(1 << 16, decoder), format, sink);
    }
    read_plain(buffered, format, sink)
}

fn read_plain(mut input: impl BufRead, format: Option<Format>, sink: &mut Sink<'_>) -> Result<Format, ReadError> {
    let format = match format {
        Some(f) => f,
        None => detect::detect(&mut input)?,
    };
    if format.is_json() {
        json_formats::read(input, format, sink)?;
    } else {
        csv_formats::read(input, format, sink)?;
    }
    Ok(format)
}
