//! Municipality groups: SKR's kommungrupper, Kolada's "liknande kommuner", counties,
//! networks, and groups users make themselves.

use serde::Serialize;

use crate::ids::{GroupId, MunicipalityId};

/// What a group is for; decides where it is offered as a comparison population.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// SKR's kommungruppsindelning (Kolada G92786-G92794 for the 2023 division).
    SkrKommungrupp,
    /// Kolada's "Liknande kommuner <område>, <kommun>, <år>" (7 members each).
    SimilarMunicipalities,
    /// The municipalities of one county.
    County,
    /// A network or association of municipalities.
    Network,
    /// Made by a user of this system.
    Custom,
}

impl GroupKind {
    pub const ALL: [GroupKind; 5] = [
        Self::SkrKommungrupp,
        Self::SimilarMunicipalities,
        Self::County,
        Self::Network,
        Self::Custom,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::SkrKommungrupp => "skr_kommungrupp",
            Self::SimilarMunicipalities => "similar_municipalities",
            Self::County => "county",
            Self::Network => "network",
            Self::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// Classifies a group that came from Kolada, which does not say what kind it is. The
    /// 2023 SKR groups are known by id; "Liknande kommuner" and county groups by title;
    /// everything else is taken as a network.
    pub fn classify_kolada(id: &GroupId, title: &str) -> Self {
        const SKR_2023: [&str; 9] = [
            "G92786", "G92787", "G92788", "G92789", "G92790", "G92791", "G92792", "G92793",
            "G92794",
        ];
        if SKR_2023.contains(&id.as_str()) {
            Self::SkrKommungrupp
        } else if title.starts_with("Liknande kommuner") {
            Self::SimilarMunicipalities
        } else if title.contains(" läns kommuner") {
            Self::County
        } else {
            Self::Network
        }
    }
}

/// A named set of municipalities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MunicipalityGroup {
    pub id: GroupId,
    pub title: String,
    pub kind: GroupKind,
    pub members: Vec<MunicipalityId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> GroupId {
        GroupId::parse(s).unwrap()
    }

    #[test]
    fn kolada_groups_are_classified() {
        assert_eq!(
            GroupKind::classify_kolada(&g("G92787"), "Storstäder (ovägt medel)"),
            GroupKind::SkrKommungrupp
        );
        assert_eq!(
            GroupKind::classify_kolada(
                &g("G176199"),
                "Liknande kommuner socioekonomi, Arboga, 2024"
            ),
            GroupKind::SimilarMunicipalities
        );
        assert_eq!(
            GroupKind::classify_kolada(&g("G1"), "Stockholms läns kommuner (ovägt medel)"),
            GroupKind::County
        );
        assert_eq!(
            GroupKind::classify_kolada(
                &g("G2"),
                "Nordvästkommunerna i Stockholms län (ovägt medel)"
            ),
            GroupKind::Network
        );
        assert_eq!(
            GroupKind::classify_kolada(&g("G114418"), "Fyrkommunsnätverket (ovägt medel)"),
            GroupKind::Network
        );
    }

    #[test]
    fn kind_codes_round_trip() {
        for k in GroupKind::ALL {
            assert_eq!(GroupKind::parse(k.code()), Some(k));
        }
    }
}
