//! kvalitet's typesetter: a report's content (JSON) set by a Typst template compiled into the
//! binary, written as tagged PDF that Typst checks against PDF/UA-1 while writing (it refuses
//! a non-conforming file), and PDF/A-2a as well for the archive copy.
//!
//! The content reaches the template as data (`json("/content.json")`), never as markup, so a
//! resident's or an official's text cannot change the document: `*`, `#` or `$` in it are
//! printed as they are. Fonts are the ones Typst ships (Libertinus Serif covers Swedish and
//! the letters of the national minority languages); a character no font has becomes a
//! visible `[U+XXXX]` instead of failing the PDF/UA check (as kiesraad/abacus does).

use std::sync::OnceLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use kvalitet_app::ports::{Document, Layout, Typesetter};
use kvalitet_domain::Message;

/// The yearly quality report's layout.
const YEARLY_REPORT: &str = include_str!("../templates/yearly-report.typ");

/// Any report given as an outline (`kvalitet_formats::outline`).
const OUTLINE: &str = include_str!("../templates/outline.typ");

/// The largest content a document may have: far above a report of every measure.
pub const MAX_CONTENT_BYTES: usize = 16 << 20;

/// The fonts, read once: every document is set with the same ones.
struct Fonts {
    fonts: Vec<Font>,
    book: LazyHash<FontBook>,
    library: LazyHash<Library>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        Fonts {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
            // `a11y-extras` marks a table's first column as row headers
            // (`pdf.header-cell`), which the appendix's year-across tables need.
            library: LazyHash::new(
                Library::builder()
                    .with_features([typst::Feature::A11yExtras].into_iter().collect())
                    .build(),
            ),
        }
    })
}

fn file_id(path: &str) -> FileId {
    // Both paths are constants that are valid virtual paths; the interner keeps them once.
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).unwrap_or_else(|e| panic!("{path}: {e:?}")),
    )
    .intern()
}

/// One document's world: its template as the main file and its content as the only other.
struct DocumentWorld {
    main: Source,
    content_id: FileId,
    content: Bytes,
    today: Option<Datetime>,
}

impl World for DocumentWorld {
    fn library(&self) -> &LazyHash<Library> {
        &fonts().library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.content_id {
            Ok(self.content.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}

/// Sets documents with Typst.
#[derive(Debug, Default, Clone, Copy)]
pub struct TypstTypesetter;

impl Typesetter for TypstTypesetter {
    fn typeset(&self, document: &Document) -> Result<Vec<u8>, Message> {
        typeset(document)
    }
}

/// Whether any of the fonts has a glyph for `c`.
fn covered(c: char) -> bool {
    c.is_control()
        || fonts()
            .fonts
            .iter()
            .any(|f| f.info().coverage.contains(u32::from(c)))
}

/// `text` with every character no font has replaced by a visible `[U+XXXX]`.
pub fn with_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if covered(c) {
            out.push(c);
        } else {
            out.push_str(&format!("[U+{:04X}]", u32::from(c)));
        }
    }
    out
}

fn replace_uncovered(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) if s.chars().any(|c| !covered(c)) => {
            *s = with_placeholders(s);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(replace_uncovered),
        serde_json::Value::Object(map) => map.values_mut().for_each(replace_uncovered),
        _ => {}
    }
}

fn typeset(document: &Document) -> Result<Vec<u8>, Message> {
    let failed = |what: String| Message::new("pdf_failed").with("problem", what);
    let template = match document.layout {
        Layout::YearlyReport => YEARLY_REPORT,
        Layout::Outline => OUTLINE,
    };
    let (year, month, day) = document.date;
    let date = Datetime::from_ymd(year, month, day)
        .ok_or_else(|| failed(format!("{year}-{month}-{day} is not a date")))?;
    let mut content = document.content.clone();
    replace_uncovered(&mut content);
    let meta = serde_json::json!({
        "title": with_placeholders(&document.title),
        "lang": document.lang,
        "date": { "year": year, "month": month, "day": day },
    });
    let bytes = serde_json::to_vec(&serde_json::json!({ "meta": meta, "content": content }))
        .map_err(|e| failed(e.to_string()))?;
    if bytes.len() > MAX_CONTENT_BYTES {
        return Err(failed(format!(
            "the content is {} bytes, more than {MAX_CONTENT_BYTES}",
            bytes.len()
        )));
    }
    let world = DocumentWorld {
        main: Source::new(file_id("/main.typ"), template.to_owned()),
        content_id: file_id("/content.json"),
        content: Bytes::new(bytes),
        today: Some(date),
    };
    let said = |diagnostics: &[typst::diag::SourceDiagnostic]| {
        diagnostics
            .iter()
            .map(|d| d.message.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let compiled = typst::compile::<typst_layout::PagedDocument>(&world);
    let paged = compiled.output.map_err(|e| failed(said(&e)))?;
    let mut standards = vec![PdfStandard::Ua_1];
    if document.archival {
        standards.push(PdfStandard::A_2a);
    }
    let options = PdfOptions {
        ident: typst::foundations::Smart::Custom(document.ident.clone()),
        creator: typst::foundations::Smart::Custom(Some("kvalitet".into())),
        timestamp: Some(Timestamp::new_utc(date)),
        standards: PdfStandards::new(&standards).map_err(|e| failed(e.message().to_string()))?,
        ..PdfOptions::default()
    };
    let pdf = typst_pdf::pdf(&paged, &options).map_err(|e| failed(said(&e)));
    // Typst memoises layout work in a process-wide cache that only grows unless told:
    // without this, 290 reports in a row held 5 GB. What recent documents used (the fonts'
    // shaping, the template) stays; what no document asked for in the last few goes.
    typst::comemo::evict(CACHE_AGE);
    pdf
}

/// How many documents a memoised result survives without being used again.
const CACHE_AGE: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;

    fn document(content: serde_json::Value, archival: bool) -> Document {
        Document {
            layout: Layout::YearlyReport,
            title: "Kvalitetsrapport 2022: Åre".into(),
            lang: "sv",
            date: (2023, 3, 1),
            ident: "test".into(),
            archival,
            content,
        }
    }

    /// The smallest content the layout reads.
    fn content(name: &str) -> serde_json::Value {
        serde_json::json!({
            "words": {},
            "name": name,
            "year": 2022,
            "areas": [],
        })
    }

    #[test]
    fn the_minority_languages_letters_are_covered_and_others_get_a_placeholder() {
        // Sámi, Meänkieli, Finnish, Romani chib and Yiddish in Latin letters, and Swedish.
        for c in "ÁáČčĐđŊŋŠšŦŧŽžÏïÆæØøÅåÄäÖöÕõÜüÉéÈèŽž".chars()
        {
            assert!(covered(c), "{c} is not covered");
        }
        assert_eq!(with_placeholders("a😀b"), "a[U+1F600]b");
    }

    #[test]
    fn a_name_with_markup_and_missing_glyphs_still_makes_a_pdf_of_both_kinds() {
        for archival in [false, true] {
            let pdf = typeset(&document(content("Å*re* #set $x$ 中文 😀"), archival)).unwrap();
            assert!(pdf.starts_with(b"%PDF-"));
            let text = String::from_utf8_lossy(&pdf);
            assert!(text.contains("pdfuaid"), "no PDF/UA identification");
            assert_eq!(text.contains("pdfaid"), archival);
            // A second reader: poppler sees a tagged PDF and reads the placeholders back.
            assert!(kvalitet_testkit::pdfinfo(&pdf).contains("Tagged:          yes"));
            let read = kvalitet_testkit::pdftotext(&pdf);
            assert!(
                read.contains("Å*re* #set $x$ [U+4E2D][U+6587] [U+1F600]"),
                "{read}"
            );
        }
    }

    #[test]
    fn the_same_document_gives_the_same_bytes() {
        let a = typeset(&document(content("Åre"), false)).unwrap();
        let b = typeset(&document(content("Åre"), false)).unwrap();
        assert_eq!(a, b);
    }
}
