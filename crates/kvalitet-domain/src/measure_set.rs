//! Measure sets such as "KKiK 2024": areas holding ordered measures, each with the plain
//! question residents read.

use serde::Serialize;

use crate::ids::MeasureId;

/// One measure in a set, as residents meet it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureSetItem {
    pub measure: MeasureId,
    /// The citizen question, e.g. "Hur stor andel av eleverna i årskurs 9 är behöriga till
    /// gymnasiet?".
    pub question: String,
}

/// An area of a set ("Barn och unga"), with its measures in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureSetArea {
    pub title: String,
    pub items: Vec<MeasureSetItem>,
}

/// A named, ordered selection of measures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureSet {
    /// A short stable id, e.g. "kkik-2024".
    pub id: String,
    pub title: String,
    pub areas: Vec<MeasureSetArea>,
}

impl MeasureSet {
    /// Every measure of the set in order, with the area it is in.
    pub fn measures(&self) -> impl Iterator<Item = (&MeasureSetArea, &MeasureSetItem)> {
        self.areas
            .iter()
            .flat_map(|a| a.items.iter().map(move |i| (a, i)))
    }

    /// A set is valid when it has an id, a title, and no measure twice.
    pub fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() || self.title.trim().is_empty() {
            return Err("a measure set needs an id and a title".into());
        }
        let mut seen = std::collections::HashSet::new();
        for (area, item) in self.measures() {
            if !seen.insert(item.measure) {
                return Err(format!(
                    "measure {} appears twice (again in area {:?})",
                    item.measure, area.title
                ));
            }
        }
        Ok(())
    }
}
