//! Swedish conventions residents expect: names sorted A–Z, Å, Ä, Ö (W its own letter after
//! V, é with e, ü with y), and numbers with a decimal comma, a no-break space between
//! thousands and a true minus sign (CLDR's `sv` patterns).
//!
//! Hand-written rather than ICU4X: the rules needed are few, fully tested below, and ICU's
//! collation data would double the build on a 2-core machine.

use std::cmp::Ordering;

/// The no-break space that groups thousands and joins a number to its unit.
pub const NBSP: char = '\u{a0}';
/// The minus sign used in display (not the ASCII hyphen).
pub const MINUS: char = '\u{2212}';

/// Primary weight of a character: letters in Swedish alphabet order, digits before them,
/// space and punctuation before digits.
fn primary(c: char) -> (u32, u32) {
    let lower = c.to_lowercase().next().unwrap_or(c);
    let letter = match lower {
        'a'..='z' => Some(lower as u32 - 'a' as u32),
        'å' => Some(26),
        'ä' | 'æ' => Some(27),
        'ö' | 'ø' => Some(28),
        'à' | 'á' | 'â' | 'ã' => Some(0),
        'ç' => Some(2),
        'è' | 'é' | 'ê' | 'ë' => Some(4),
        'ì' | 'í' | 'î' | 'ï' => Some(8),
        'ñ' => Some(13),
        'ò' | 'ó' | 'ô' | 'õ' => Some(14),
        'ù' | 'ú' | 'û' => Some(20),
        'ü' | 'ý' | 'ÿ' => Some(24),
        _ => None,
    };
    match (letter, lower) {
        (Some(l), _) => (3, l),
        (None, d) if d.is_ascii_digit() => (2, d as u32),
        (None, ' ') => (0, 0),
        (None, other) => (1, other as u32),
    }
}

/// Compares two names as a Swedish reader sorts them: by letters first, then accents,
/// then lower case before upper case.
pub fn compare_names(a: &str, b: &str) -> Ordering {
    let primary_of = |s: &str| s.chars().map(primary).collect::<Vec<_>>();
    primary_of(a)
        .cmp(&primary_of(b))
        .then_with(|| {
            // Unaccented before accented ("e" before "é") at the same letter.
            let plain = |s: &str| s.chars().map(|c| !c.is_ascii()).collect::<Vec<_>>();
            plain(&a.to_lowercase()).cmp(&plain(&b.to_lowercase()))
        })
        .then_with(|| {
            let upper = |s: &str| s.chars().map(char::is_uppercase).collect::<Vec<_>>();
            upper(a).cmp(&upper(b))
        })
        .then_with(|| a.cmp(b))
}

/// A name or a typed search as a search key: lower case, without accents or the dots and
/// rings of å, ä, ö (so "goteborg", "malmo" and "orebro" find Göteborg, Malmö and Örebro),
/// hyphens and runs of spaces as one space.
pub fn search_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'å' | 'ä' | 'à' | 'á' | 'â' | 'ã' => 'a',
            'æ' => 'a',
            'ö' | 'ø' | 'ò' | 'ó' | 'ô' | 'õ' => 'o',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            'ç' => 'c',
            'ñ' => 'n',
            '-' | '\u{a0}' => ' ',
            other => other,
        };
        if folded == ' ' && key.ends_with(' ') {
            continue;
        }
        key.push(folded);
    }
    key
}

/// The letter a name is listed under in an A–Ö index ("Å" for "Åre").
pub fn index_letter(name: &str) -> String {
    name.chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default()
}

/// Reads a number as a person types it in a form or a Swedish file: a decimal comma or point,
/// blanks (also no-break) between the thousands, the minus sign or a hyphen; only finite.
pub fn parse_number(text: &str) -> Option<f64> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            ',' => '.',
            MINUS => '-',
            c => c,
        })
        .collect();
    compact.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// A number with `decimals` decimals in Swedish display form: "1 234,5", "−3,5".
pub fn format_number(x: f64, decimals: u8) -> String {
    let text = format!("{:.*}", usize::from(decimals), x.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let negative = x < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut out = String::new();
    if negative {
        out.push(MINUS);
    }
    out.push_str(&group_thousands(whole));
    if !fraction.is_empty() {
        out.push(',');
        out.push_str(fraction);
    }
    out
}

/// Digits grouped in threes with no-break spaces ("4 542 773"). Sweden groups from 1 000.
pub fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(NBSP);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_find_names_without_their_dots_and_accents() {
        assert_eq!(search_key("Göteborg"), "goteborg");
        assert_eq!(search_key(" Malmö "), "malmo");
        assert_eq!(search_key("ÖREBRO"), "orebro");
        assert_eq!(search_key("Upplands-Bro"), "upplands bro");
        assert_eq!(search_key("Upplands  Väsby"), "upplands vasby");
        assert!(search_key("Håbo").contains(&search_key("habo")));
    }

    #[test]
    fn numbers_are_read_as_typed() {
        assert_eq!(parse_number("1 234,5"), Some(1234.5));
        assert_eq!(parse_number("\u{a0}−3.25 "), Some(-3.25));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("tjugo"), None);
    }

    #[test]
    fn municipalities_sort_as_swedish_readers_expect() {
        let expected = [
            "Upplands Väsby",
            "Upplands-Bro",
            "Vara",
            "Varberg",
            "Vaxholm",
            "Vellinge",
            "Vetlanda",
            "Ydre",
            "Ystad",
            "Åmål",
            "Ånge",
            "Åre",
            "Älmhult",
            "Älvdalen",
            "Öckerö",
            "Ödeshög",
            "Örebro",
            "Övertorneå",
        ];
        let mut shuffled = expected.to_vec();
        shuffled.reverse();
        shuffled.sort_by(|a, b| compare_names(a, b));
        assert_eq!(shuffled, expected);
        assert_eq!(compare_names("Vaxholm", "Wallenberg"), Ordering::Less);
        assert_eq!(compare_names("Wallenberg", "Ydre"), Ordering::Less);
        assert_eq!(compare_names("Malmö", "Malå"), Ordering::Less, "m before å");
        assert_eq!(compare_names("göteborg", "Göteborg"), Ordering::Less);
    }

    #[test]
    fn numbers_use_comma_nbsp_and_true_minus() {
        assert_eq!(format_number(85.3102, 1), "85,3");
        assert_eq!(format_number(1234567.0, 0), "1\u{a0}234\u{a0}567");
        assert_eq!(format_number(-3.5, 1), "\u{2212}3,5");
        assert_eq!(format_number(-0.01, 1), "0,0", "no minus on a rounded zero");
        assert_eq!(format_number(999.0, 0), "999");
        assert_eq!(format_number(1000.0, 2), "1\u{a0}000,00");
    }
}
