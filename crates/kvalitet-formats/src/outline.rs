//! A report as an outline (headings, paragraphs, lists, tables): the one content model behind
//! the typeset PDF of a report and its editable copy as OpenDocument text (.odt), which Word,
//! LibreOffice and Google Docs open for officials to edit.
//!
//! The .odt is written here with `zip` and `quick-xml`'s escaping: the Rust .docx writer
//! (docx-rs) cannot set a document's language, title or a table's header row, which a
//! screen reader needs and which ODF says in three attributes; no crate writes ODF text.

use std::io::{Cursor, Write};

use quick_xml::escape::escape;
use serde::Serialize;

/// A document's content, in reading order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outline {
    pub title: String,
    /// "sv" or "en".
    pub lang: String,
    pub blocks: Vec<Block>,
}

/// One block of an outline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// A heading; levels follow each other without gaps (1 is the title).
    Heading {
        level: u8,
        text: String,
    },
    Paragraph {
        text: String,
    },
    /// A paragraph set apart as a note (a revision after a snapshot, say).
    Note {
        text: String,
    },
    List {
        items: Vec<String>,
    },
    /// A table with one header row; each row's first cell names the row.
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// Why an .odt could not be written (only the in-memory ZIP can fail).
#[derive(Debug, thiserror::Error)]
#[error("the .odt could not be written: {0}")]
pub struct OdtError(String);

const MIMETYPE: &str = "application/vnd.oasis.opendocument.text";

const NAMESPACES: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" office:version="1.3""#;

/// The outline as OpenDocument text: headings with their outline level, tables with a header
/// row, the language and title in the document's metadata. `date` (year, month, day) is the
/// document's; the same outline and date give the same bytes.
pub fn odt(outline: &Outline, date: (i32, u8, u8)) -> Result<Vec<u8>, OdtError> {
    let broken = |e: zip::result::ZipError| OdtError(e.to_string());
    let io = |e: std::io::Error| OdtError(e.to_string());
    let (language, country) = match outline.lang.as_str() {
        "en" => ("en", "GB"),
        _ => ("sv", "SE"),
    };
    let parts = [
        (
            "META-INF/manifest.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="{MIMETYPE}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/></manifest:manifest>"#
            ),
        ),
        (
            "meta.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><office:document-meta {NAMESPACES}><office:meta><dc:title>{}</dc:title><dc:language>{language}-{country}</dc:language><meta:generator>kvalitet</meta:generator><dc:date>{:04}-{:02}-{:02}T00:00:00</dc:date></office:meta></office:document-meta>"#,
                escape(outline.title.as_str()),
                date.0,
                date.1,
                date.2
            ),
        ),
        ("styles.xml", styles(language, country)),
        ("content.xml", content(outline)),
    ];
    // Fixed times in the archive, so the same outline gives the same bytes.
    let options =
        zip::write::SimpleFileOptions::default().last_modified_time(zip::DateTime::default());
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    // ODF: the `mimetype` part comes first and is stored, so the type can be read at a
    // fixed offset.
    out.start_file(
        "mimetype",
        options.compression_method(zip::CompressionMethod::Stored),
    )
    .map_err(broken)?;
    out.write_all(MIMETYPE.as_bytes()).map_err(io)?;
    for (name, body) in parts {
        out.start_file(name, options).map_err(broken)?;
        out.write_all(body.as_bytes()).map_err(io)?;
    }
    Ok(out.finish().map_err(broken)?.into_inner())
}

/// The default paragraph style with the document's language, headings by level, the note
/// and the table header's bold.
fn styles(language: &str, country: &str) -> String {
    let mut headings = String::new();
    for (level, size) in (1..=6).zip(["20pt", "15pt", "13pt", "12pt", "11pt", "11pt"]) {
        headings.push_str(&format!(
            r#"<style:style style:name="Heading_20_{level}" style:display-name="Heading {level}" style:family="paragraph" style:next-style-name="Standard" style:default-outline-level="{level}"><style:paragraph-properties fo:margin-top="0.4cm" fo:margin-bottom="0.2cm" fo:keep-with-next="always"/><style:text-properties fo:font-size="{size}" fo:font-weight="bold"/></style:style>"#
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-styles {NAMESPACES}><office:styles><style:default-style style:family="paragraph"><style:text-properties fo:language="{language}" fo:country="{country}" fo:font-size="11pt"/></style:default-style><style:style style:name="Standard" style:family="paragraph"><style:paragraph-properties fo:margin-bottom="0.2cm"/></style:style><style:style style:name="Note" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-left="0.6cm"/><style:text-properties fo:font-style="italic"/></style:style><style:style style:name="Table_20_Heading" style:display-name="Table Heading" style:family="paragraph" style:parent-style-name="Standard"><style:text-properties fo:font-weight="bold"/></style:style>{headings}</office:styles></office:document-styles>"#
    )
}

fn content(outline: &Outline) -> String {
    let mut body = String::new();
    let p = |style: &str, text: &str| {
        format!(
            r#"<text:p text:style-name="{style}">{}</text:p>"#,
            escape(text)
        )
    };
    for (n, block) in outline.blocks.iter().enumerate() {
        match block {
            Block::Heading { level, text } => {
                let level = (*level).clamp(1, 6);
                body.push_str(&format!(
                    r#"<text:h text:style-name="Heading_20_{level}" text:outline-level="{level}">{}</text:h>"#,
                    escape(text.as_str())
                ));
            }
            Block::Paragraph { text } => body.push_str(&p("Standard", text)),
            Block::Note { text } => body.push_str(&p("Note", text)),
            Block::List { items } => {
                body.push_str("<text:list>");
                for item in items {
                    body.push_str("<text:list-item>");
                    body.push_str(&p("Standard", item));
                    body.push_str("</text:list-item>");
                }
                body.push_str("</text:list>");
            }
            Block::Table { header, rows } => {
                let width = header
                    .len()
                    .max(rows.iter().map(Vec::len).max().unwrap_or(0));
                body.push_str(&format!(r#"<table:table table:name="Tabell{}">"#, n + 1));
                body.push_str(&format!(
                    r#"<table:table-column table:number-columns-repeated="{}"/>"#,
                    width.max(1)
                ));
                let row = |cells: &[String], style: &str| {
                    let mut r = String::from("<table:table-row>");
                    for i in 0..width {
                        let text = cells.get(i).map_or("", String::as_str);
                        r.push_str(r#"<table:table-cell office:value-type="string">"#);
                        r.push_str(&p(style, text));
                        r.push_str("</table:table-cell>");
                    }
                    r.push_str("</table:table-row>");
                    r
                };
                body.push_str("<table:table-header-rows>");
                body.push_str(&row(header, "Table_20_Heading"));
                body.push_str("</table:table-header-rows>");
                for cells in rows {
                    body.push_str(&row(cells, "Standard"));
                }
                body.push_str("</table:table>");
            }
        }
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {NAMESPACES}><office:body><office:text>{body}</office:text></office:body></office:document-content>"#
    )
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn part(odt: &[u8], name: &str) -> String {
        let mut archive = zip::ZipArchive::new(Cursor::new(odt)).expect("a zip");
        let mut text = String::new();
        archive
            .by_name(name)
            .expect("the part")
            .read_to_string(&mut text)
            .expect("text");
        text
    }

    fn outline() -> Outline {
        Outline {
            title: "Uppföljning <delår> & mål".into(),
            lang: "sv".into(),
            blocks: vec![
                Block::Heading {
                    level: 1,
                    text: "Uppföljning <delår> & mål".into(),
                },
                Block::Paragraph {
                    text: "Värden till och med 2022.".into(),
                },
                Block::Table {
                    header: vec!["Indikator".into(), "Värde".into()],
                    rows: vec![vec!["Behöriga".into(), "90,0".into()]],
                },
                Block::Note {
                    text: "Ändrat efteråt".into(),
                },
                Block::List {
                    items: vec!["ett".into()],
                },
            ],
        }
    }

    #[test]
    fn an_odt_has_its_type_first_its_language_title_headings_and_table_header() {
        let bytes = odt(&outline(), (2023, 3, 1)).expect("written");
        // The type at the fixed offset ODF readers look at.
        assert_eq!(&bytes[30..38], b"mimetype");
        assert_eq!(
            &bytes[38..38 + MIMETYPE.len()],
            MIMETYPE.as_bytes(),
            "stored, not deflated"
        );
        let meta = part(&bytes, "meta.xml");
        assert!(meta.contains("<dc:title>Uppföljning &lt;delår&gt; &amp; mål</dc:title>"));
        assert!(meta.contains("<dc:language>sv-SE</dc:language>"));
        assert!(part(&bytes, "styles.xml").contains(r#"fo:language="sv" fo:country="SE""#));
        let content = part(&bytes, "content.xml");
        assert!(content.contains(r#"text:outline-level="1">Uppföljning &lt;delår&gt; &amp; mål"#));
        assert!(content.contains("<table:table-header-rows><table:table-row>"));
        assert!(content.contains(">90,0</text:p>"));
        // Every part is well-formed XML.
        for name in [
            "content.xml",
            "styles.xml",
            "meta.xml",
            "META-INF/manifest.xml",
        ] {
            let text = part(&bytes, name);
            let mut reader = quick_xml::Reader::from_str(&text);
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => panic!("{name}: {e}"),
                }
            }
        }
        assert_eq!(bytes, odt(&outline(), (2023, 3, 1)).expect("again"));
    }
}
