//! Municipalities (kommuner), regions and Riket, as Kolada lists them.

use serde::Serialize;

use crate::ids::MunicipalityId;

/// What kind of area a Kolada municipality id denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MunicipalityKind {
    Kommun,
    Region,
    Riket,
}

impl MunicipalityKind {
    /// Decides the kind from the id and Kolada's `type` ("K" kommun, "L" region or Riket).
    /// Returns `None` when the two disagree, e.g. type "K" on a region id.
    pub fn from_kolada(id: &MunicipalityId, kolada_type: &str) -> Option<Self> {
        let implied = Self::implied_by(id);
        let consistent = match kolada_type {
            "K" => implied == Self::Kommun,
            "L" => implied != Self::Kommun,
            _ => false,
        };
        consistent.then_some(implied)
    }

    /// The kind an id implies: "0000" Riket, "00LL" a region, anything else a kommun.
    pub fn implied_by(id: &MunicipalityId) -> Self {
        match id.as_str() {
            "0000" => Self::Riket,
            s if s.starts_with("00") => Self::Region,
            _ => Self::Kommun,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Kommun => "kommun",
            Self::Region => "region",
            Self::Riket => "riket",
        }
    }

    /// Kolada's `type` letter.
    pub fn kolada_type(self) -> &'static str {
        match self {
            Self::Kommun => "K",
            Self::Region | Self::Riket => "L",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "kommun" => Some(Self::Kommun),
            "region" => Some(Self::Region),
            "riket" => Some(Self::Riket),
            _ => None,
        }
    }
}

/// A county (län), the area of a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct County {
    /// Two digits, "01" Stockholms län.
    pub code: String,
    pub name: String,
}

/// A municipality, region or Riket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Municipality {
    pub id: MunicipalityId,
    pub title: String,
    pub kind: MunicipalityKind,
    /// The county code, derived from the id (none for Riket).
    pub county_code: Option<String>,
}

impl Municipality {
    pub fn new(id: MunicipalityId, title: String, kind: MunicipalityKind) -> Self {
        Self {
            id,
            title,
            kind,
            county_code: id.county_code().map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> MunicipalityId {
        MunicipalityId::parse(s).unwrap()
    }

    #[test]
    fn kind_follows_id_and_kolada_type() {
        use MunicipalityKind::*;
        assert_eq!(
            MunicipalityKind::from_kolada(&id("0180"), "K"),
            Some(Kommun)
        );
        assert_eq!(
            MunicipalityKind::from_kolada(&id("0001"), "L"),
            Some(Region)
        );
        assert_eq!(MunicipalityKind::from_kolada(&id("0000"), "L"), Some(Riket));
        assert_eq!(MunicipalityKind::from_kolada(&id("0001"), "K"), None);
        assert_eq!(MunicipalityKind::from_kolada(&id("0180"), "L"), None);
        assert_eq!(MunicipalityKind::from_kolada(&id("0180"), "X"), None);
    }
}
