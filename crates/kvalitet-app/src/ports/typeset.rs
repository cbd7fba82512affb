//! `Typesetter`: turns a report's content into an accessible PDF. Declared here, where the
//! reports are made; implemented by `kvalitet-pdf` (Typst), which the binary carries when
//! built with its `pdf` feature.

use serde::Serialize;

use kvalitet_domain::Message;

/// Which layout a document is set in (each is a template of the typesetter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// The municipality's yearly quality report.
    YearlyReport,
    /// Any report given as a `kvalitet_formats::outline::Outline` (headings, paragraphs,
    /// lists, tables): the council's follow-up, which is also written as .odt.
    Outline,
}

/// A document to set: its metadata and its content as the layout reads it.
#[derive(Debug, Clone)]
pub struct Document {
    pub layout: Layout,
    pub title: String,
    /// "sv" or "en".
    pub lang: &'static str,
    /// The date the document is dated (its data's), as (year, month, day): the same content
    /// on the same data gives the same file.
    pub date: (i32, u8, u8),
    /// A stable name of the document (municipality, year, language, data version), from
    /// which the PDF's identifier is made.
    pub ident: String,
    /// PDF/A-2a (for archiving) as well as PDF/UA-1.
    pub archival: bool,
    /// The content, as JSON the layout reads.
    pub content: serde_json::Value,
}

/// Sets documents as tagged PDF that passes PDF/UA-1.
pub trait Typesetter: Send + Sync + std::fmt::Debug + 'static {
    /// The PDF, or why it could not be made (said in the reader's language).
    fn typeset(&self, document: &Document) -> Result<Vec<u8>, Message>;
}
