//! Bounds on the free text people type (titles, questions, names, comments) and on the
//! identifiers they choose, checked wherever such text enters: one place for every limit, so
//! no form or file can make a page of megabytes or an id that breaks a link.

use crate::Message;

/// The longest text of each kind, in characters.
pub mod max_chars {
    /// A title: of a measure, a round, a framework, an area.
    pub const TITLE: usize = 200;
    /// A person's or an organisation's name.
    pub const NAME: usize = 200;
    /// A question put to residents or assessors, or a choice's label.
    pub const QUESTION: usize = 1_000;
    /// A definition, description or evidence text.
    pub const DESCRIPTION: usize = 10_000;
    /// A comment or note shown with a value.
    pub const COMMENT: usize = 4_000;
    /// The municipality's introduction to its results, per language.
    pub const INTRODUCTION: usize = 4_000;
    /// A unit such as "procent" or "dagar".
    pub const UNIT: usize = 50;
}

/// Why a text was refused: names the field.
pub fn check_len(field: &str, text: &str, max: usize) -> Result<(), Message> {
    let n = text.chars().count();
    if n > max {
        Err(Message::in_field(
            field,
            Message::new("too_long").with("max", max).with("given", n),
        ))
    } else {
        Ok(())
    }
}

/// A chosen identifier (a framework's id or version, an area's or question's id): 1 to 40
/// ASCII letters, digits, '_', '-' or '.', so it is safe in a path, an attribute and a file
/// name without escaping.
pub fn check_slug(field: &str, id: &str) -> Result<(), Message> {
    let ok = !id.is_empty()
        && id.len() <= 40
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && !id.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(Message::in_field(
            field,
            Message::new("bad_slug").with("value", format!("{id:?}")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(check_len("title", &"å".repeat(200), max_chars::TITLE).is_ok());
        let refused = check_len("title", &"å".repeat(201), max_chars::TITLE).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "Title: at most 200 characters (201 given)"
        );
        assert_eq!(
            crate::Lang::Sv.say(&refused),
            "Titel: högst 200 tecken (201 angavs)"
        );
    }

    #[test]
    fn slugs_are_safe_anywhere() {
        for ok in ["kommunkompassen", "2020", "ii1-1", "U00300", "v1.2"] {
            assert!(check_slug("id", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a<b",
            "a\"b",
            "a b",
            "å",
            "../x",
            ".hidden",
            &"a".repeat(41),
        ] {
            assert!(check_slug("id", bad).is_err(), "{bad}");
        }
    }
}
