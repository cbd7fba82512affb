//! Measure sets such as KKiK: areas holding ordered measures, each with the plain question
//! residents read, and the profile (direction, unit, precision) used to compare and show it.

use serde::Serialize;

use crate::ids::{MeasureId, MunicipalityId};
use crate::measure::Direction;

/// How a measure is compared and shown: which way is better, its unit in words, and how
/// many decimals every figure of it (value, snitt, range, table) is shown with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureProfile {
    pub measure: MeasureId,
    pub question: String,
    pub question_en: Option<String>,
    /// The unit as residents read it: "procent", "kronor per elev", "dagar".
    pub unit: Option<String>,
    pub unit_en: Option<String>,
    pub direction: Direction,
    pub decimals: u8,
}

impl MeasureProfile {
    /// The most decimals a profile may ask for.
    pub const MAX_DECIMALS: u8 = 6;
}

/// One measure in a set, as residents meet it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureSetItem {
    pub measure: MeasureId,
    /// The citizen question, e.g. "Hur stor andel av eleverna i årskurs 9 är behöriga till
    /// gymnasiet?".
    pub question: String,
    pub question_en: Option<String>,
    /// How the set compares and shows the measure; none leaves an earlier profile alone.
    pub profile: Option<MeasureProfile>,
}

/// An area of a set ("Barn och unga"), with its measures in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureSetArea {
    pub title: String,
    pub title_en: Option<String>,
    pub items: Vec<MeasureSetItem>,
}

/// A named, ordered selection of measures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureSet {
    /// A short stable id, e.g. "kkik".
    pub id: String,
    pub title: String,
    pub title_en: Option<String>,
    pub description: String,
    pub description_en: Option<String>,
    /// The municipalities compared with each other; empty means all kommuner.
    pub participants: Vec<MunicipalityId>,
    pub areas: Vec<MeasureSetArea>,
}

impl MeasureSet {
    /// A set with a title and areas and nothing else.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        areas: Vec<MeasureSetArea>,
    ) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            title_en: None,
            description: String::new(),
            description_en: None,
            participants: Vec::new(),
            areas,
        }
    }

    /// Every measure of the set in order, with the area it is in.
    pub fn measures(&self) -> impl Iterator<Item = (&MeasureSetArea, &MeasureSetItem)> {
        self.areas
            .iter()
            .flat_map(|a| a.items.iter().map(move |i| (a, i)))
    }

    /// A set is valid when it has a well-formed id, a title, no measure twice, and profiles
    /// that belong to their item with a sane precision.
    pub fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() || self.title.trim().is_empty() {
            return Err("a measure set needs an id and a title".into());
        }
        if !self
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "set id {:?} may hold only letters a-z, digits, '-' and '_'",
                self.id
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (area, item) in self.measures() {
            if !seen.insert(item.measure) {
                return Err(format!(
                    "measure {} appears twice (again in area {:?})",
                    item.measure, area.title
                ));
            }
            if let Some(p) = &item.profile {
                if p.measure != item.measure {
                    return Err(format!(
                        "the profile of {} names {}",
                        item.measure, p.measure
                    ));
                }
                if p.decimals > MeasureProfile::MAX_DECIMALS {
                    return Err(format!(
                        "measure {}: decimals {} is more than {}",
                        item.measure,
                        p.decimals,
                        MeasureProfile::MAX_DECIMALS
                    ));
                }
            }
        }
        Ok(())
    }
}
