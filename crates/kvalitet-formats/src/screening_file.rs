//! The Sveriges Kvalitetskommun screening set as a TOML file (`data/screening/kvalitetskommun.toml`):
//! the rule's settings and the key figures with their dimension, weight and better direction.
//! Errors name the line of the figure (or of the syntax error); the set's rules are the
//! domain's (`kvalitet_domain::screening`). The format is in docs/reports.md.

use serde::Deserialize;
use toml::Spanned;

use kvalitet_domain::screening::{Normalisation, ScreeningMeasure, ScreeningSet};
use kvalitet_domain::{Direction, MeasureId, Message};

use crate::record::{Location, ReadError};

/// The largest set file read: a set of the most figures with long texts is far smaller.
pub const MAX_BYTES: usize = 1 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    id: String,
    title: String,
    title_en: Option<String>,
    #[serde(default)]
    description: String,
    description_en: Option<String>,
    normalise: Spanned<String>,
    #[serde(default = "default_improvement_years")]
    improvement_years: u8,
    #[serde(default = "default_min_coverage")]
    min_coverage: f64,
    #[serde(default)]
    measures: Vec<Spanned<MeasureFile>>,
}

fn default_improvement_years() -> u8 {
    3
}

fn default_min_coverage() -> f64 {
    0.75
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeasureFile {
    id: String,
    dimension: String,
    dimension_en: Option<String>,
    weight: f64,
    better: String,
}

/// A set as read, with the line each figure starts on (for errors found later, such as a
/// figure the catalogue does not know).
#[derive(Debug, Clone, PartialEq)]
pub struct ReadSet {
    pub set: ScreeningSet,
    pub lines: Vec<u64>,
}

impl ReadSet {
    /// `problem` placed at figure `index`'s line.
    pub fn at_figure(&self, index: usize, problem: Message) -> ReadError {
        ReadError::at(
            Location {
                line: self.lines.get(index).copied(),
                ..Location::default()
            },
            problem,
        )
    }
}

/// Reads a set and checks it by the domain's rules.
pub fn read(text: &str) -> Result<ReadSet, ReadError> {
    let line_of = |offset: usize| {
        let end = offset.min(text.len());
        // A span always falls on a character boundary; `get` keeps a bad one from panicking.
        text.get(..end)
            .map_or(1, |before| before.matches('\n').count() as u64 + 1)
    };
    let at_line = |line: u64, problem: Message| {
        ReadError::at(
            Location {
                line: Some(line),
                ..Location::default()
            },
            problem,
        )
    };
    if text.len() > MAX_BYTES {
        return Err(ReadError::at(
            Location::default(),
            Message::new("file_too_large").with("mb", MAX_BYTES >> 20),
        ));
    }
    let file: SetFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(s.start));
        at_line(line, Message::from(e.message().to_owned()))
    })?;
    let normalise = Normalisation::parse(file.normalise.get_ref()).ok_or_else(|| {
        at_line(
            line_of(file.normalise.span().start),
            Message::new("screening_normalise")
                .with("value", format!("{:?}", file.normalise.get_ref())),
        )
    })?;
    let mut measures = Vec::with_capacity(file.measures.len().min(1000));
    let mut lines = Vec::with_capacity(measures.capacity());
    for spanned in &file.measures {
        let line = line_of(spanned.span().start);
        let m = spanned.get_ref();
        let measure =
            MeasureId::parse(&m.id).map_err(|e| at_line(line, Message::from(e.to_string())))?;
        let better = match Direction::parse(&m.better) {
            Some(d @ (Direction::HigherIsBetter | Direction::LowerIsBetter)) => d,
            _ => {
                return Err(at_line(
                    line,
                    Message::new("screening_better").with("value", format!("{:?}", m.better)),
                ));
            }
        };
        measures.push(ScreeningMeasure {
            measure,
            dimension: m.dimension.trim().to_owned(),
            dimension_en: m.dimension_en.clone(),
            weight: m.weight,
            better,
        });
        lines.push(line);
    }
    let read = ReadSet {
        set: ScreeningSet {
            id: file.id,
            title: file.title,
            title_en: file.title_en,
            description: file.description,
            description_en: file.description_en,
            normalise,
            improvement_years: file.improvement_years,
            min_coverage: file.min_coverage,
            measures,
        },
        lines,
    };
    match read.set.validate() {
        Ok(()) => Ok(read),
        Err((Some(i), problem)) => Err(read.at_figure(i, problem)),
        Err((None, problem)) => Err(ReadError::at(Location::default(), problem)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "test"
title = "Test"
normalise = "kommungrupp"

[[measures]]
id = "N00097"
dimension = "Effektivitet"
weight = 1
better = "lower"

[[measures]]
id = "U23471"
dimension = "Kvalitet"
weight = 2.5
better = "higher"
"#;

    #[test]
    fn a_set_reads_with_its_defaults_and_lines() {
        let read = read(GOOD).unwrap();
        assert_eq!(read.set.normalise, Normalisation::Kommungrupp);
        assert_eq!(read.set.improvement_years, 3);
        assert_eq!(read.set.min_coverage, 0.75);
        assert_eq!(read.set.measures.len(), 2);
        assert_eq!(read.set.measures[1].weight, 2.5);
        assert_eq!(read.set.measures[0].better, Direction::LowerIsBetter);
        assert_eq!(read.lines, [6, 12]);
    }

    fn refusal(text: &str) -> String {
        read(text).unwrap_err().message().to_string()
    }

    #[test]
    fn a_bad_figure_is_refused_at_its_line() {
        let zero = GOOD.replace("weight = 2.5", "weight = 0");
        assert!(refusal(&zero).contains("line 12"), "{}", refusal(&zero));
        assert!(refusal(&zero).contains("weight 0"), "{}", refusal(&zero));
        let none = GOOD.replace("better = \"lower\"", "better = \"none\"");
        assert!(refusal(&none).contains("line 6"), "{}", refusal(&none));
        let twice = GOOD.replace("U23471", "N00097");
        assert!(refusal(&twice).contains("line 12"), "{}", refusal(&twice));
        let scope = GOOD.replace("\"kommungrupp\"", "\"län\"");
        assert!(refusal(&scope).contains("line 4"), "{}", refusal(&scope));
        let syntax = GOOD.replace("weight = 1\n", "weight = \n");
        assert!(refusal(&syntax).contains("line 9"), "{}", refusal(&syntax));
        let unknown_key = GOOD.replace("weight = 1\n", "weight = 1\nvikt = 2\n");
        assert!(
            refusal(&unknown_key).contains("vikt"),
            "{}",
            refusal(&unknown_key)
        );
    }
}
