//! Sveriges Kvalitetskommun, step 1: every kommun screened on the published set of key
//! figures (the shipped `data/screening/kvalitetskommun.toml`, or a set the site is
//! configured with), read from the stored values in one query. The rule is the domain's
//! (`kvalitet_domain::screening`); here the set is checked against the catalogue and the year
//! is chosen.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kvalitet_domain::screening::{self, Screening, ScreeningValues};
use kvalitet_domain::{AreaId, Datum, Gender, GroupKind, Message, MunicipalityKind, Year};
use kvalitet_formats::ReadError;
use kvalitet_formats::screening_file::{self, ReadSet};

use crate::ports::{Catalogue, StoreError, ValueFilter, Values};
use crate::report::Directory;

/// The set shipped with kvalitet, as its file reads.
pub const SHIPPED: &str = include_str!("../../../data/screening/kvalitetskommun.toml");

/// Why a screening could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ScreeningError {
    #[error("{}", .0.message())]
    Set(#[from] ReadError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No year in which figures carrying at least half the weight have values.
    #[error("{}", Message::new("screening_no_year"))]
    NoYear,
    #[error("{}", Message::new("screening_year_without_values").with("year", .0))]
    YearWithoutValues(Year),
}

impl ScreeningError {
    pub fn message(&self) -> Message {
        match self {
            Self::Set(e) => e.message(),
            Self::Store(e) => Message::from(e.to_string()),
            Self::NoYear => Message::new("screening_no_year"),
            Self::YearWithoutValues(y) => {
                Message::new("screening_year_without_values").with("year", y)
            }
        }
    }
}

/// The shipped set, read.
pub fn shipped_set() -> ReadSet {
    // The file is the repository's own and is read in this crate's tests: a broken one
    // fails them, so reading it here cannot fail in a release.
    screening_file::read(SHIPPED).unwrap_or_else(|e| panic!("{}", e.message()))
}

/// Reads a set from a file's text and checks that the catalogue knows each figure; the error
/// names the figure's line.
pub fn read_set(text: &str, directory: &Directory) -> Result<ReadSet, ReadError> {
    let read = screening_file::read(text)?;
    check_against(&read, directory)?;
    Ok(read)
}

fn check_against(read: &ReadSet, directory: &Directory) -> Result<(), ReadError> {
    match read
        .set
        .measures
        .iter()
        .position(|m| !directory.measures.contains_key(&m.measure))
    {
        Some(i) => Err(read.at_figure(
            i,
            Message::new("screening_unknown_measure").with("measure", read.set.measures[i].measure),
        )),
        None => Ok(()),
    }
}

/// A screening with the years it could have been made for.
#[derive(Debug, Clone)]
pub struct Screened {
    pub screening: Screening,
    /// Years with figures carrying at least half the weight, latest first.
    pub years: Vec<Year>,
}

/// Screens every kommun in `year`, or in the latest year with figures carrying at least half
/// of the set's weight.
pub async fn screen(
    store: &(impl Values + Catalogue),
    directory: &Directory,
    read: &ReadSet,
    year: Option<Year>,
) -> Result<Screened, ScreeningError> {
    check_against(read, directory)?;
    let set = &read.set;
    let kommuner: Vec<_> = directory
        .kommuner
        .iter()
        .filter(|m| m.kind == MunicipalityKind::Kommun)
        .map(|m| m.id)
        .collect();
    let kommungrupp: HashMap<_, _> = directory
        .groups
        .values()
        .filter(|g| g.kind == GroupKind::SkrKommungrupp)
        .flat_map(|g| g.members.iter().map(move |m| (*m, g.id)))
        .collect();
    let rows = store
        .select_values(&ValueFilter {
            measures: set.measures.iter().map(|m| m.measure).collect(),
            genders: vec![Gender::Total],
            ..ValueFilter::default()
        })
        .await?;
    let index: HashMap<_, _> = set
        .measures
        .iter()
        .enumerate()
        .map(|(i, m)| (m.measure, i))
        .collect();
    let mut values: ScreeningValues = vec![HashMap::new(); set.measures.len()];
    for row in rows {
        let (AreaId::Municipality(m), Datum::Number(x), Some(&i)) =
            (row.key.area, row.datum, index.get(&row.key.measure))
        else {
            continue;
        };
        values[i].entry(m).or_default().insert(row.key.year, x);
    }
    let years = years_with_values(set, &values);
    let year = match year {
        Some(y) if years.contains(&y) => y,
        Some(y) => return Err(ScreeningError::YearWithoutValues(y)),
        None => *years.first().ok_or(ScreeningError::NoYear)?,
    };
    Ok(Screened {
        screening: screening::screen(set, year, &kommuner, &kommungrupp, &values),
        years,
    })
}

/// The years in which the figures with a value for any kommun carry at least half the
/// weight: a year with a few figures only would rank on those few.
fn years_with_values(set: &screening::ScreeningSet, values: &ScreeningValues) -> Vec<Year> {
    let total: f64 = set.measures.iter().map(|m| m.weight).sum();
    let mut weight: BTreeMap<Year, f64> = BTreeMap::new();
    for (item, by_kommun) in set.measures.iter().zip(values) {
        let years: BTreeSet<Year> = by_kommun.values().flat_map(|s| s.keys().copied()).collect();
        for y in years {
            *weight.entry(y).or_default() += item.weight;
        }
    }
    weight
        .into_iter()
        .rev()
        .filter(|(_, w)| *w * 2.0 >= total)
        .map(|(y, _)| y)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_set_reads() {
        let read = shipped_set();
        assert_eq!(read.set.id, "kvalitetskommun");
        assert!(read.set.measures.len() >= 10);
    }
}
