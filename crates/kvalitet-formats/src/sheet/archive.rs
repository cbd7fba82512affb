//! Reading the parts of a ZIP-packed spreadsheet (.xlsx, .ods) as streams of XML events,
//! each part bounded in how far it may inflate, and the small XML helpers both readers use.

use std::io::{BufRead, BufReader, Cursor, Read};

use quick_xml::events::{BytesRef, BytesStart, Event};

use super::{Limits, SheetError, broken, size};

/// The parts of a workbook, opened one at a time.
pub(super) struct Archive<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    pub(super) limits: Limits,
}

impl<'a> Archive<'a> {
    pub(super) fn open(bytes: &'a [u8], limits: Limits) -> Result<Self, SheetError> {
        let zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(broken)?;
        if zip.len() > limits.max_parts {
            return Err(SheetError::TooLarge(format!(
                "{} parts in the archive; at most {} are read",
                zip.len(),
                limits.max_parts
            )));
        }
        Ok(Self { zip, limits })
    }

    /// Streams the XML events of part `name` (if present) to `each`, refusing a part that
    /// inflates past the limit, whatever size it declares.
    pub(super) fn read_xml(
        &mut self,
        name: &str,
        mut each: impl FnMut(Event<'_>) -> Result<(), SheetError>,
    ) -> Result<bool, SheetError> {
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

fn too_large_part(name: &str, limit: u64) -> SheetError {
    SheetError::TooLarge(format!("{name} inflates to more than {}", size(limit)))
}

/// The value of attribute `key` of an element, if present.
pub(super) fn attribute(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, SheetError> {
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
pub(super) fn entity(r: &BytesRef<'_>) -> Result<char, SheetError> {
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
pub(super) fn text_of<'b>(
    event: &Event<'b>,
) -> Result<Option<std::borrow::Cow<'b, str>>, SheetError> {
    Ok(match event {
        Event::Text(t) => Some(t.xml10_content()),
        Event::CData(t) => Some(t.xml10_content()),
        Event::GeneralRef(r) => Some(entity(r)?.to_string().into()),
        _ => None,
    })
}

/// Text being gathered from `<t>` (or `<v>`) elements, bounded in characters.
#[derive(Default)]
pub(super) struct Text {
    pub(super) text: String,
    chars: usize,
}

impl Text {
    pub(super) fn push(
        &mut self,
        s: &str,
        max_chars: usize,
        place: &dyn Fn() -> String,
    ) -> Result<(), SheetError> {
        self.chars += s.chars().count();
        if self.chars > max_chars {
            return Err(SheetError::TooLarge(format!(
                "{} holds more than {max_chars} characters",
                place()
            )));
        }
        self.text.push_str(s);
        Ok(())
    }
}
