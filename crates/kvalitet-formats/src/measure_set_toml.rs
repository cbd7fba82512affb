//! Measure sets as TOML files (`data/measure-sets/kkik.toml`): a set's areas and, for each
//! measure, the citizen question, the unit in words, which way is better and the precision.

use serde::Deserialize;

use kvalitet_domain::{
    Direction, MeasureId, MeasureProfile, MeasureSet, MeasureSetArea, MeasureSetItem,
    MunicipalityId,
};

use crate::record::{Location, ReadError, Record};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    id: String,
    title: String,
    title_en: Option<String>,
    #[serde(default)]
    description: String,
    description_en: Option<String>,
    #[serde(default)]
    participants: Vec<String>,
    #[serde(default)]
    areas: Vec<AreaFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AreaFile {
    title: String,
    title_en: Option<String>,
    #[serde(default)]
    measures: Vec<ItemFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemFile {
    id: String,
    question: String,
    question_en: Option<String>,
    unit: Option<String>,
    unit_en: Option<String>,
    /// "higher", "lower" or "none"; without it the set leaves the measure's profile alone.
    direction: Option<String>,
    decimals: Option<u8>,
}

/// Whether text looks like TOML rather than CSV: its first line that is not a comment is a
/// `key = value` or a `[table]`.
pub(crate) fn looks_like_toml(text: &str) -> bool {
    let Some(line) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return false;
    };
    if line.starts_with('[') {
        return true;
    }
    line.split_once('=').is_some_and(|(key, _)| {
        let key = key.trim();
        !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// Reads one measure set.
pub(crate) fn read(text: &str) -> Result<Record, ReadError> {
    let file: SetFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1) as u64);
        ReadError::at(
            Location {
                line,
                ..Location::default()
            },
            e.message(),
        )
    })?;
    let field = |path: String, message: String| {
        ReadError::at(Location::default().with_field(path), message)
    };
    let participants = file
        .participants
        .iter()
        .enumerate()
        .map(|(i, p)| {
            MunicipalityId::parse(p).map_err(|e| field(format!("participants[{i}]"), e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut areas = Vec::new();
    for (a, area) in file.areas.into_iter().enumerate() {
        let mut items = Vec::new();
        for (m, item) in area.measures.into_iter().enumerate() {
            let at = |name: &str| format!("areas[{a}].measures[{m}].{name}");
            let measure = MeasureId::parse(&item.id).map_err(|e| field(at("id"), e.to_string()))?;
            let profile = match item.direction.as_deref() {
                None => None,
                Some(d) => Some(MeasureProfile {
                    measure,
                    question: item.question.clone(),
                    question_en: item.question_en.clone(),
                    unit: item.unit,
                    unit_en: item.unit_en,
                    direction: Direction::parse(d).ok_or_else(|| {
                        field(
                            at("direction"),
                            format!("{d:?} is not higher, lower or none"),
                        )
                    })?,
                    decimals: item.decimals.unwrap_or(0),
                }),
            };
            items.push(MeasureSetItem {
                measure,
                question: item.question,
                question_en: item.question_en,
                profile,
            });
        }
        areas.push(MeasureSetArea {
            title: area.title,
            title_en: area.title_en,
            items,
        });
    }
    let set = MeasureSet {
        id: file.id,
        title: file.title,
        title_en: file.title_en,
        description: file.description,
        description_en: file.description_en,
        participants,
        areas,
    };
    set.validate()
        .map_err(|e| ReadError::at(Location::default(), e))?;
    Ok(Record::MeasureSet(Box::new(set)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_is_told_from_csv() {
        assert!(looks_like_toml("# KKiK\nid = \"kkik\"\n"));
        assert!(looks_like_toml("[[areas]]\n"));
        assert!(!looks_like_toml("kpi,municipality_id,year,value\n"));
        assert!(!looks_like_toml("id,title,type\n"));
    }
}
