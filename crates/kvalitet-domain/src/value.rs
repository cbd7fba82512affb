//! A value: measure x area x year x gender -> a number, or a documented reason why there
//! is none. Missing is never zero.

use std::fmt;

use serde::Serialize;

use crate::ids::{AreaId, MeasureId};

/// A calendar year of measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Year(i16);

impl Year {
    /// Earliest year accepted: Kolada's series start in the 1990s; older years are typos.
    pub const MIN: i16 = 1950;
    /// Latest year accepted: plans and targets may look ahead, but not this far.
    pub const MAX: i16 = 2100;

    pub fn new(year: i64) -> Result<Self, ValueError> {
        if (i64::from(Self::MIN)..=i64::from(Self::MAX)).contains(&year) {
            Ok(Self(year as i16))
        } else {
            Err(ValueError::Year(year.to_string()))
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValueError> {
        s.trim()
            .parse::<i64>()
            .map_err(|_| ValueError::Year(s.to_owned()))
            .and_then(Self::new)
    }

    pub fn get(self) -> i16 {
        self.0
    }
}

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whom a value describes: everyone (T), women (K, "kvinnor") or men (M, "män").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Gender {
    #[serde(rename = "T")]
    Total,
    #[serde(rename = "K")]
    Women,
    #[serde(rename = "M")]
    Men,
}

impl Gender {
    pub const ALL: [Gender; 3] = [Gender::Total, Gender::Women, Gender::Men];

    /// Parses Kolada's letters. "F" (seen in an old README) is refused: real data uses K.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        match s {
            "T" => Ok(Self::Total),
            "K" => Ok(Self::Women),
            "M" => Ok(Self::Men),
            _ => Err(ValueError::Gender(s.to_owned())),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Total => "T",
            Self::Women => "K",
            Self::Men => "M",
        }
    }
}

/// Why a value is absent. Each is shown differently to residents, none as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingStatus {
    /// Not (yet) published by the source; Kolada's `"Missing"` with `value: null`.
    NotPublished,
    /// The municipality did not report it.
    NotReported,
    /// Suppressed for confidentiality, written ".." in Swedish statistics.
    Secret,
    /// The measure does not apply here, written ".".
    NotApplicable,
}

impl MissingStatus {
    pub const ALL: [MissingStatus; 4] = [
        Self::NotPublished,
        Self::NotReported,
        Self::Secret,
        Self::NotApplicable,
    ];

    /// The stable code stored in the database and written in exports.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotPublished => "not_published",
            Self::NotReported => "not_reported",
            Self::Secret => "secret",
            Self::NotApplicable => "not_applicable",
        }
    }

    /// Parses a stored code or the statistical symbols ".." and ".".
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        match s {
            "not_published" | "Missing" | "missing" => Ok(Self::NotPublished),
            "not_reported" => Ok(Self::NotReported),
            "secret" | ".." => Ok(Self::Secret),
            "not_applicable" | "." => Ok(Self::NotApplicable),
            _ => Err(ValueError::Status(s.to_owned())),
        }
    }
}

/// What a record says about one key.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "of")]
pub enum Datum {
    Number(f64),
    Missing(MissingStatus),
    /// The source withdrew the value (Kolada's `isdeleted`): it leaves the current data and
    /// stays in the revision history.
    Deleted,
}

impl Datum {
    /// Reads a value cell: a decimal number with a dot, ".." (secret), "." (not applicable),
    /// a status code, or an empty cell (not published).
    pub fn parse_cell(s: &str) -> Result<Self, ValueError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(Self::Missing(MissingStatus::NotPublished));
        }
        if let Ok(status) = MissingStatus::parse(s) {
            return Ok(Self::Missing(status));
        }
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Self::Number(v)),
            _ => Err(ValueError::Number(s.to_owned())),
        }
    }

    pub fn number(&self) -> Option<f64> {
        match self {
            Self::Number(v) => Some(*v),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<MissingStatus> {
        match self {
            Self::Missing(s) => Some(*s),
            _ => None,
        }
    }
}

/// The address of one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueKey {
    pub measure: MeasureId,
    pub area: AreaId,
    pub year: Year,
    pub gender: Gender,
}

/// One value as read from a source, before it is stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueRow {
    pub key: ValueKey,
    pub datum: Datum,
    /// Members behind a group value (Kolada's `count`); 1 or none for a municipality.
    pub count: Option<u32>,
}

impl ValueRow {
    /// True when two rows for the same key say different things.
    pub fn conflicts_with(&self, other: &ValueRow) -> bool {
        let same_datum = match (self.datum, other.datum) {
            (Datum::Number(a), Datum::Number(b)) => a.to_bits() == b.to_bits(),
            (a, b) => a == b,
        };
        !(same_datum && self.count == other.count)
    }
}

/// Why a value field is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("year {0:?} is not a year between 1950 and 2100")]
    Year(String),
    #[error("gender {0:?} must be T (total), K (women) or M (men)")]
    Gender(String),
    #[error(
        "value {0:?} is not a number (use a dot for decimals; \"..\" secret, \".\" not applicable)"
    )]
    Number(String),
    #[error(
        "status {0:?} is not one of not_published, not_reported, secret (..), not_applicable (.)"
    )]
    Status(String),
}

impl ValueError {
    /// What to tell a person (see [`crate::Message`]).
    pub fn message(&self) -> crate::Message {
        use crate::Message;
        match self {
            Self::Year(v) => Message::new("bad_year").with("value", v),
            Self::Gender(v) => Message::new("bad_gender").with("value", v),
            Self::Number(v) => Message::new("bad_number").with("value", v),
            Self::Status(v) => Message::new("bad_status").with("value", v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_outside_the_plausible_range_are_refused() {
        assert_eq!(Year::parse("2022").unwrap().get(), 2022);
        assert!(Year::parse("1949").is_err());
        assert!(Year::parse("2101").is_err());
        assert!(Year::parse("20x2").is_err());
        assert!(Year::parse("").is_err());
    }

    #[test]
    fn genders_are_kolada_letters() {
        for g in Gender::ALL {
            assert_eq!(Gender::parse(g.code()).unwrap(), g);
        }
        assert!(Gender::parse("F").is_err());
        assert!(Gender::parse("t").is_err());
    }

    #[test]
    fn statuses_round_trip_through_their_codes() {
        for s in MissingStatus::ALL {
            assert_eq!(MissingStatus::parse(s.code()).unwrap(), s);
        }
        assert_eq!(MissingStatus::parse("..").unwrap(), MissingStatus::Secret);
        assert_eq!(
            MissingStatus::parse(".").unwrap(),
            MissingStatus::NotApplicable
        );
    }

    #[test]
    fn cells_parse_to_numbers_or_statuses_never_zero() {
        assert_eq!(Datum::parse_cell("85.31").unwrap(), Datum::Number(85.31));
        assert_eq!(Datum::parse_cell("-1e3").unwrap(), Datum::Number(-1000.0));
        assert_eq!(
            Datum::parse_cell("").unwrap(),
            Datum::Missing(MissingStatus::NotPublished)
        );
        assert_eq!(
            Datum::parse_cell("..").unwrap(),
            Datum::Missing(MissingStatus::Secret)
        );
        assert!(Datum::parse_cell("85,31").is_err());
        assert!(Datum::parse_cell("abc").is_err());
        assert!(Datum::parse_cell("NaN").is_err());
        assert!(Datum::parse_cell("inf").is_err());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// An export writes numbers with `{}`; reading them back must give the same bits,
        /// or a re-import would report changes that are not there.
        #[test]
        fn numbers_survive_export_and_import(v in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO) {
            let written = format!("{v}");
            prop_assert_eq!(Datum::parse_cell(&written).unwrap().number().map(f64::to_bits), Some(v.to_bits()));
        }

        #[test]
        fn every_year_in_range_parses_and_nothing_else(y in -5000i64..5000) {
            let parsed = Year::parse(&y.to_string());
            prop_assert_eq!(parsed.is_ok(), (1950..=2100).contains(&y));
        }
    }
}
