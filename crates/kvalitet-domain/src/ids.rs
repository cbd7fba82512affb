//! Identifiers as Kolada writes them: municipality ids ("0180"), group ids ("G92787"),
//! measure ids ("N15428", or a municipality's own), kept as short inline ASCII strings so
//! a value row is `Copy` and millions of them cost no allocations.

use std::fmt;

use serde::{Serialize, Serializer};

/// Why a text is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("municipality id {0:?} must be exactly 4 digits (leading zeros kept, e.g. \"0180\")")]
    Municipality(String),
    #[error("group id {0:?} must be \"G\" followed by 1 to 15 letters or digits")]
    Group(String),
    #[error("measure id {0:?} must be 1 to 16 letters, digits, '_' or '-'")]
    Measure(String),
    #[error("{0:?} is neither a municipality id (4 digits) nor a group id (G...)")]
    Area(String),
    #[error(
        "measure id {id:?} lies in municipality {namespace}'s own namespace (X{namespace}-…); {owner}'s own measures begin with X{owner}-"
    )]
    OthersNamespace {
        id: String,
        namespace: MunicipalityId,
        owner: MunicipalityId,
    },
}

impl IdError {
    /// What to tell a person (see [`crate::Message`]).
    pub fn message(&self) -> crate::Message {
        use crate::Message;
        match self {
            Self::Municipality(v) => Message::new("bad_municipality_id").with("value", v),
            Self::Group(v) => Message::new("bad_group_id").with("value", v),
            Self::Measure(v) => Message::new("bad_measure_id").with("value", v),
            Self::Area(v) => Message::new("bad_area_id").with("value", v),
            Self::OthersNamespace {
                id,
                namespace,
                owner,
            } => Message::new("others_namespace")
                .with("id", id)
                .with("namespace", namespace)
                .with("owner", owner),
        }
    }
}

/// Longest identifier the system stores; Kolada's longest are 7 characters.
const MAX_ID: usize = 16;

/// A short ASCII string stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Inline {
    len: u8,
    bytes: [u8; MAX_ID],
}

impl Inline {
    fn new(s: &str) -> Option<Self> {
        if s.is_empty() || s.len() > MAX_ID || !s.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; MAX_ID];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Some(Self {
            len: s.len() as u8,
            bytes,
        })
    }

    fn as_str(&self) -> &str {
        // Only ever built from a `&str` that was checked to be ASCII.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

macro_rules! inline_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Inline);

        impl $name {
            /// The id as text, exactly as parsed.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }
    };
}

inline_id!(
    /// A Kolada municipality id: a 4-digit SCB kommun code ("0180"), a region ("0001") or
    /// Riket ("0000"). Leading zeros are part of the id.
    MunicipalityId
);
inline_id!(
    /// A municipality group id, "G" + letters or digits ("G92787" for Storstäder).
    GroupId
);
inline_id!(
    /// A measure id: a Kolada KPI ("N15428", "U07414") or a municipality's own measure.
    MeasureId
);

impl MunicipalityId {
    /// Parses a 4-digit id; "180" is refused rather than padded, because a lost leading
    /// zero usually means a spreadsheet mangled the file.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            Inline::new(s)
                .map(Self)
                .ok_or_else(|| IdError::Municipality(s.to_owned()))
        } else {
            Err(IdError::Municipality(s.to_owned()))
        }
    }

    /// The two-digit county (län) code: the first two digits of a kommun id, the last two
    /// of a region id ("00LL"), none for Riket.
    pub fn county_code(&self) -> Option<&str> {
        let s = self.as_str();
        if s == "0000" {
            None
        } else if let Some(region) = s.strip_prefix("00") {
            Some(region)
        } else {
            Some(&s[..2])
        }
    }
}

impl GroupId {
    /// Parses "G" followed by 1 to 15 ASCII letters or digits.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ok =
            s.len() >= 2 && s.starts_with('G') && s[1..].bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then(|| Inline::new(s).map(Self))
            .flatten()
            .ok_or_else(|| IdError::Group(s.to_owned()))
    }
}

impl MeasureId {
    /// Parses 1 to 16 ASCII letters, digits, '_' or '-'.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ok = s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| Inline::new(s).map(Self))
            .flatten()
            .ok_or_else(|| IdError::Measure(s.to_owned()))
    }

    /// True for Kolada's id form: "N" or "U" followed by five digits.
    pub fn is_kolada(&self) -> bool {
        let b = self.as_str().as_bytes();
        b.len() == 6 && matches!(b[0], b'N' | b'U') && b[1..].iter().all(u8::is_ascii_digit)
    }

    /// The beginning of every id of `owner`'s own measures: "X0180-". Ids of this form
    /// belong to that municipality alone, so no national measure (Kolada's, a framework's
    /// results, the service measurements) can ever have one, and no municipality can take
    /// a national id before it exists.
    pub fn own_prefix(owner: &MunicipalityId) -> String {
        format!("X{owner}-")
    }

    /// The municipality whose own namespace the id lies in: 0180 for "X0180-7".
    pub fn own_namespace(&self) -> Option<MunicipalityId> {
        let rest = self.as_str().strip_prefix('X')?;
        let (m, tail) = rest.split_at_checked(4)?;
        if !tail.starts_with('-') || tail.len() < 2 {
            return None;
        }
        MunicipalityId::parse(m).ok()
    }

    /// The id of one of `owner`'s own measures from what a person typed: as it is when it
    /// already lies in `owner`'s namespace ("X0180-7"), otherwise with the prefix put before
    /// it ("7" and "KK2020" become "X0180-7" and "X0180-KK2020"). Another municipality's
    /// namespace is refused.
    pub fn own(owner: &MunicipalityId, typed: &str) -> Result<Self, IdError> {
        let typed = typed.trim();
        if let Ok(id) = Self::parse(typed)
            && let Some(namespace) = id.own_namespace()
        {
            return if namespace == *owner {
                Ok(id)
            } else {
                Err(IdError::OthersNamespace {
                    id: typed.to_owned(),
                    namespace,
                    owner: *owner,
                })
            };
        }
        let full = format!("{}{typed}", Self::own_prefix(owner));
        if typed.is_empty() {
            return Err(IdError::Measure(full));
        }
        Self::parse(&full)
    }
}

/// What stands in the municipality position of a value: a municipality, region, Riket,
/// or a municipality group (whose value is the unweighted mean of its members).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AreaId {
    Municipality(MunicipalityId),
    Group(GroupId),
}

impl AreaId {
    /// Parses a municipality id or a group id.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if let Ok(m) = MunicipalityId::parse(s) {
            Ok(Self::Municipality(m))
        } else if let Ok(g) = GroupId::parse(s) {
            Ok(Self::Group(g))
        } else {
            Err(IdError::Area(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Municipality(m) => m.as_str(),
            Self::Group(g) => g.as_str(),
        }
    }
}

impl fmt::Display for AreaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AreaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AreaId({:?})", self.as_str())
    }
}

impl Serialize for AreaId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_measures_live_in_their_municipality_namespace() {
        let stockholm = MunicipalityId::parse("0180").unwrap();
        let goteborg = MunicipalityId::parse("1480").unwrap();
        let own = |typed: &str| MeasureId::own(&stockholm, typed).map(|m| m.to_string());
        assert_eq!(own("X0180-7").unwrap(), "X0180-7");
        assert_eq!(own(" 7 ").unwrap(), "X0180-7");
        // The ids the probe claimed before the national measures existed.
        assert_eq!(own("KK2020").unwrap(), "X0180-KK2020");
        assert_eq!(own("SERV-EPOST").unwrap(), "X0180-SERV-EPOST");
        assert!(own("SERV-EPOST2").is_err(), "17 characters");
        assert_eq!(own("N15428").unwrap(), "X0180-N15428");
        assert!(matches!(
            MeasureId::own(&goteborg, "X0180-7"),
            Err(IdError::OthersNamespace { .. })
        ));
        assert!(own("").is_err());
        assert!(own("alldeles-för-långt").is_err());
        assert!(own("a<b").is_err());
        let id = |s: &str| MeasureId::parse(s).unwrap();
        assert_eq!(id("X0180-7").own_namespace(), Some(stockholm));
        for national in [
            "KK2020",
            "SERV-EPOST2",
            "N15428",
            "X0180",
            "X0180-",
            "X018-12",
            "XA180-1",
        ] {
            assert_eq!(id(national).own_namespace(), None, "{national}");
        }
    }

    #[test]
    fn municipality_ids_keep_leading_zeros() {
        let id = MunicipalityId::parse("0180").unwrap();
        assert_eq!(id.as_str(), "0180");
        assert_eq!(id.county_code(), Some("01"));
        assert_eq!(
            MunicipalityId::parse("0001").unwrap().county_code(),
            Some("01")
        );
        assert_eq!(MunicipalityId::parse("0000").unwrap().county_code(), None);
        assert_eq!(
            MunicipalityId::parse("2584").unwrap().county_code(),
            Some("25")
        );
    }

    #[test]
    fn municipality_ids_that_lost_a_zero_are_refused() {
        assert!(MunicipalityId::parse("180").is_err());
        assert!(MunicipalityId::parse("01800").is_err());
        assert!(MunicipalityId::parse("01a0").is_err());
        assert!(MunicipalityId::parse("").is_err());
    }

    #[test]
    fn group_ids_start_with_g() {
        assert_eq!(GroupId::parse("G92787").unwrap().as_str(), "G92787");
        assert!(GroupId::parse("G").is_err());
        assert!(GroupId::parse("X92787").is_err());
        assert!(GroupId::parse("G 1").is_err());
    }

    #[test]
    fn measure_ids_know_kolada_form() {
        assert!(MeasureId::parse("N15428").unwrap().is_kolada());
        assert!(MeasureId::parse("U07414").unwrap().is_kolada());
        assert!(!MeasureId::parse("EGEN-1").unwrap().is_kolada());
        assert!(MeasureId::parse("N 1").is_err());
        assert!(MeasureId::parse("").is_err());
        assert!(MeasureId::parse("ABCDEFGHIJKLMNOPQ").is_err());
        assert!(MeasureId::parse("Å1").is_err());
    }

    #[test]
    fn areas_are_municipalities_or_groups() {
        assert!(matches!(AreaId::parse("0180"), Ok(AreaId::Municipality(_))));
        assert!(matches!(AreaId::parse("G92787"), Ok(AreaId::Group(_))));
        assert!(AreaId::parse("Stockholm").is_err());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn four_digit_ids_round_trip(n in 0u32..10_000) {
            let text = format!("{n:04}");
            let id = MunicipalityId::parse(&text).unwrap();
            prop_assert_eq!(id.as_str(), text.as_str());
            prop_assert_eq!(AreaId::parse(&text).unwrap(), AreaId::Municipality(id));
        }

        #[test]
        fn measure_ids_round_trip_or_are_refused(s in "[A-Za-z0-9_-]{1,16}|.{0,20}") {
            match MeasureId::parse(&s) {
                Ok(id) => prop_assert_eq!(id.as_str(), s.as_str()),
                Err(_) => prop_assert!(
                    s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                ),
            }
        }
    }
}

/// Declares the id of a stored record: a number the database gives, typed so that a round's
/// id cannot be passed where a person's is meant. Shown and sent as the bare number.
macro_rules! record_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

record_id!(
    /// An assessment round.
    RoundId
);
record_id!(
    /// A service measurement round.
    ServiceRoundId
);
record_id!(
    /// A person's account.
    UserId
);
record_id!(
    /// An evidence file of an assessment round.
    DocumentId
);

impl UserId {
    /// No account: a visitor who is not logged in (the database's ids start at 1).
    pub const NOBODY: UserId = UserId(0);
}
