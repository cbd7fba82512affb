//! Comparison statistics of every measure, year and gender over all kommuner at once (for
//! analysts, and to check the engine against other tools): n, snitt, median, quartiles,
//! lowest and highest value, and how many kommuner fall in each colour.

use std::io::Write;

use kvalitet_domain::compare::{self, ColourCounts};
use kvalitet_domain::{
    AreaId, Datum, Direction, Gender, MeasureId, MunicipalityKind, ValueRow, Year,
};

use crate::ports::{Catalogue, StoreError, Values};

/// Why the statistics could not be written.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write: {0}")]
    Write(#[from] std::io::Error),
}

/// What was computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsCounts {
    /// (measure, year, gender) comparisons.
    pub comparisons: u64,
    /// Values that took part.
    pub values: u64,
}

/// Writes one CSV row per measure, year and gender with at least one kommun value:
/// `measure,year,gender,n,mean,median,q1,q3,min,max,green,yellow,red`. Measures without a
/// direction are coloured as `undirected` says (`None` leaves them uncoloured).
pub async fn write_statistics(
    store: &(impl Values + Catalogue),
    undirected: Direction,
    out: impl Write,
) -> Result<StatsCounts, StatsError> {
    let mut out = std::io::BufWriter::new(out);
    writeln!(
        out,
        "measure,year,gender,n,mean,median,q1,q3,min,max,green,yellow,red"
    )?;
    let kommuner: std::collections::HashSet<_> = store
        .municipalities()
        .await?
        .into_iter()
        .filter(|m| m.kind == MunicipalityKind::Kommun)
        .map(|m| m.id)
        .collect();
    let directions: std::collections::HashMap<MeasureId, Direction> = store
        .measures()
        .await?
        .into_iter()
        .map(|m| (m.id, m.direction))
        .collect();
    let mut counts = StatsCounts::default();
    // SQLite reads on its worker thread while this task groups and computes.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ValueRow>>(8);
    let reading = store.all_values(tx);
    let computing = async {
        let mut current: Option<MeasureId> = None;
        let mut groups = Groups::new();
        while let Some(chunk) = rx.recv().await {
            for row in chunk {
                let (AreaId::Municipality(m), Datum::Number(x)) = (row.key.area, row.datum) else {
                    continue;
                };
                if !kommuner.contains(&m) {
                    continue;
                }
                if current != Some(row.key.measure) {
                    if let Some(done) = current {
                        flush(
                            &mut out,
                            done,
                            &directions,
                            undirected,
                            &mut groups,
                            &mut counts,
                        )?;
                    }
                    current = Some(row.key.measure);
                }
                groups
                    .entry((row.key.year, row.key.gender))
                    .or_default()
                    .push(Some(x));
            }
        }
        if let Some(done) = current {
            flush(
                &mut out,
                done,
                &directions,
                undirected,
                &mut groups,
                &mut counts,
            )?;
        }
        Ok::<_, StatsError>(())
    };
    let (read, computed) = tokio::join!(reading, computing);
    read?;
    computed?;
    out.flush()?;
    Ok(counts)
}

type Groups = std::collections::HashMap<(Year, Gender), Vec<Option<f64>>>;

/// Writes and empties the groups of one measure, in year and gender order.
fn flush(
    out: &mut impl Write,
    measure: MeasureId,
    directions: &std::collections::HashMap<MeasureId, Direction>,
    undirected: Direction,
    groups: &mut Groups,
    counts: &mut StatsCounts,
) -> Result<(), StatsError> {
    let direction = match directions.get(&measure).copied().unwrap_or(Direction::None) {
        Direction::None => undirected,
        d => d,
    };
    let mut keys: Vec<(Year, Gender)> = groups.keys().copied().collect();
    keys.sort();
    for (year, gender) in keys {
        let values = groups.remove(&(year, gender)).unwrap_or_default();
        let c = compare::compare(&values, direction);
        let mut colours = ColourCounts::default();
        c.placements.iter().for_each(|p| colours.add(p.colour));
        let s = c.summary;
        let f = |x: Option<f64>| x.map_or_else(String::new, |x| format!("{x}"));
        writeln!(
            out,
            "{measure},{year},{},{},{},{},{},{},{},{},{},{},{}",
            gender.code(),
            s.n,
            f(s.mean),
            f(s.median),
            f(s.q1),
            f(s.q3),
            f(s.min),
            f(s.max),
            colours.green,
            colours.yellow,
            colours.red,
        )?;
        counts.comparisons += 1;
        counts.values += s.n as u64;
    }
    Ok(())
}
