//! Sveriges Kvalitetskommun, step 1: every kommun screened on a published set of key figures.
//! Each figure is turned into a score from 0 (worst) to 100 (best) among the kommuner it is
//! normalised within (the same SKR kommungrupp, or all kommuner), both for the level in the
//! year screened and for the improvement over the years before ("bästa utvecklingskommun");
//! a kommun's score is the weighted mean of its figures' scores, and the ranking is by that.
//!
//! SKR and Kvalitetsmässan publish neither their figures nor their weights (domain.md §1d),
//! so the rule here is our own, chosen to be reproducible by hand and documented in
//! docs/reports.md:
//! - the level score is the mid-rank percentile: `100 × (worse + ½ × equal others) / (n − 1)`
//!   among the n kommuner in the scope with a value (none with fewer than 2);
//! - the improvement is the least-squares slope of the kommun's values over the
//!   `improvement_years` before the year and the year itself (at least [`MIN_TREND_POINTS`]
//!   values), scored the same way among the scope's slopes;
//! - a kommun is ranked only when the figures it has carry at least `min_coverage` of the
//!   weight of the figures anyone has that year; the others are listed as not ranked.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::ids::{GroupId, MeasureId, MunicipalityId};
use crate::measure::Direction;
use crate::message::Message;
use crate::value::Year;

/// The fewest values a slope is drawn through.
pub const MIN_TREND_POINTS: usize = 3;
/// The most figures a set may hold, and the most years an improvement looks back.
pub const MAX_MEASURES: usize = 200;
pub const MAX_IMPROVEMENT_YEARS: u8 = 10;
/// The largest weight a figure may have (weights are relative; this keeps sums finite).
pub const MAX_WEIGHT: f64 = 1000.0;

/// Which kommuner a figure is scored among.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    /// Among the kommuner of the same SKR kommungrupp (2023 division): a small kommun is
    /// measured against kommuner with its conditions.
    Kommungrupp,
    /// Among all kommuner.
    All,
}

impl Normalisation {
    pub fn code(self) -> &'static str {
        match self {
            Self::Kommungrupp => "kommungrupp",
            Self::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Kommungrupp, Self::All]
            .into_iter()
            .find(|n| n.code() == s)
    }
}

/// One key figure of the set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScreeningMeasure {
    pub measure: MeasureId,
    /// What the figure stands for in the screening: "Kvalitet", "Effektivitet",
    /// "Resultat", "Ekonomi".
    pub dimension: String,
    pub dimension_en: Option<String>,
    pub weight: f64,
    /// Higher or lower is better: a figure without a better direction cannot be scored.
    pub better: Direction,
}

/// A published set of key figures and the rule's settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScreeningSet {
    pub id: String,
    pub title: String,
    pub title_en: Option<String>,
    pub description: String,
    pub description_en: Option<String>,
    pub normalise: Normalisation,
    /// How many years before the screened one the improvement looks back (3 → four years).
    pub improvement_years: u8,
    /// The share of the weight a kommun's figures must carry for it to be ranked.
    pub min_coverage: f64,
    pub measures: Vec<ScreeningMeasure>,
}

impl ScreeningSet {
    /// Checks the set as a whole; an error about one figure gives its index, so that a file
    /// can name the figure's line.
    pub fn validate(&self) -> Result<(), (Option<usize>, Message)> {
        let whole = |m: Message| Err((None, m));
        if self.measures.is_empty() {
            return whole(Message::new("screening_no_measures"));
        }
        if self.measures.len() > MAX_MEASURES {
            return whole(Message::new("screening_too_many_measures").with("max", MAX_MEASURES));
        }
        if !(1..=MAX_IMPROVEMENT_YEARS).contains(&self.improvement_years) {
            return whole(
                Message::new("screening_improvement_years")
                    .with("value", self.improvement_years)
                    .with("max", MAX_IMPROVEMENT_YEARS),
            );
        }
        if !(self.min_coverage > 0.0 && self.min_coverage <= 1.0) {
            return whole(Message::new("screening_min_coverage").with("value", self.min_coverage));
        }
        for (i, m) in self.measures.iter().enumerate() {
            let problem = if !(m.weight.is_finite() && m.weight > 0.0 && m.weight <= MAX_WEIGHT) {
                Message::new("screening_weight")
                    .with("measure", m.measure)
                    .with("value", m.weight)
                    .with("max", MAX_WEIGHT)
            } else if m.better == Direction::None {
                Message::new("screening_no_direction").with("measure", m.measure)
            } else if m.dimension.trim().is_empty() {
                Message::new("screening_no_dimension").with("measure", m.measure)
            } else if self.measures[..i].iter().any(|o| o.measure == m.measure) {
                Message::new("screening_measure_twice").with("measure", m.measure)
            } else {
                continue;
            };
            return Err((Some(i), problem));
        }
        Ok(())
    }

    /// The dimensions in the order they first appear, with their share of the weight.
    pub fn dimensions(&self) -> Vec<(String, Option<String>, f64)> {
        let total: f64 = self.measures.iter().map(|m| m.weight).sum();
        let mut out: Vec<(String, Option<String>, f64)> = Vec::new();
        for m in &self.measures {
            match out.iter_mut().find(|(d, _, _)| *d == m.dimension) {
                Some(d) => d.2 += m.weight / total,
                None => out.push((
                    m.dimension.clone(),
                    m.dimension_en.clone(),
                    m.weight / total,
                )),
            }
        }
        out
    }
}

/// The values the screening reads: per figure (in the set's order), each kommun's values by
/// year.
pub type ScreeningValues = Vec<HashMap<MunicipalityId, BTreeMap<Year, f64>>>;

/// One figure for one kommun.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureScore {
    pub measure: MeasureId,
    /// The value in the year screened.
    pub value: Option<f64>,
    /// 0–100 among the scope's values that year.
    pub level: Option<f64>,
    /// The change per year over the improvement years, in the figure's unit (a fall for a
    /// figure where lower is better is shown as the fall it is).
    pub slope: Option<f64>,
    /// 0–100 among the scope's slopes, better direction taken into account.
    pub improvement: Option<f64>,
    /// How many kommuner in the scope had a value that year.
    pub peers: usize,
}

/// A dimension's weighted mean for one kommun.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionScore {
    pub dimension: String,
    pub level: Option<f64>,
    pub improvement: Option<f64>,
}

/// One kommun's screening, figure by figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdown {
    pub municipality: MunicipalityId,
    /// The kommungrupp it was normalised within (none when normalised among all).
    pub scope: Option<GroupId>,
    pub figures: Vec<FigureScore>,
    pub dimensions: Vec<DimensionScore>,
    /// The weighted mean of its level scores, and the share of the weight behind it.
    pub level: Option<f64>,
    pub level_coverage: f64,
    pub level_rank: Option<usize>,
    pub improvement: Option<f64>,
    pub improvement_coverage: f64,
    pub improvement_rank: Option<usize>,
}

/// Every kommun screened for one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Screening {
    pub year: Year,
    /// Best level first; kommuner not ranked last, by id.
    pub breakdowns: Vec<Breakdown>,
    /// Figures no kommun has a value for that year: left out of everyone's weight.
    pub without_values: Vec<MeasureId>,
}

impl Screening {
    pub fn breakdown(&self, m: &MunicipalityId) -> Option<&Breakdown> {
        self.breakdowns.iter().find(|b| b.municipality == *m)
    }

    /// Ranked by improvement, best first.
    pub fn by_improvement(&self) -> Vec<&Breakdown> {
        let mut ranked: Vec<&Breakdown> = self
            .breakdowns
            .iter()
            .filter(|b| b.improvement_rank.is_some())
            .collect();
        ranked.sort_by_key(|b| (b.improvement_rank, b.municipality));
        ranked
    }
}

/// Screens `kommuner` in `year`. `values[i]` holds figure i's values; `kommungrupp` names
/// each kommun's group (used when the set normalises within kommungrupp; a kommun without
/// one is scored among all).
pub fn screen(
    set: &ScreeningSet,
    year: Year,
    kommuner: &[MunicipalityId],
    kommungrupp: &HashMap<MunicipalityId, GroupId>,
    values: &ScreeningValues,
) -> Screening {
    let scope_of = |m: &MunicipalityId| match set.normalise {
        Normalisation::Kommungrupp => kommungrupp.get(m).copied(),
        Normalisation::All => None,
    };
    let mut scopes: BTreeMap<Option<GroupId>, Vec<MunicipalityId>> = BTreeMap::new();
    for m in kommuner {
        scopes.entry(scope_of(m)).or_default().push(*m);
    }
    let first = Year::new(i64::from(year.get()) - i64::from(set.improvement_years)).ok();
    let empty = HashMap::new();
    let mut figures: Vec<HashMap<MunicipalityId, FigureScore>> = Vec::new();
    let mut without_values = Vec::new();
    for (i, item) in set.measures.iter().enumerate() {
        let by_kommun = values.get(i).unwrap_or(&empty);
        let sign = if item.better == Direction::LowerIsBetter {
            -1.0
        } else {
            1.0
        };
        let mut scored = HashMap::new();
        let mut anyone = false;
        for members in scopes.values() {
            let level_values: Vec<(MunicipalityId, f64)> = members
                .iter()
                .filter_map(|m| {
                    let v = by_kommun.get(m)?.get(&year).copied()?;
                    v.is_finite().then_some((*m, v))
                })
                .collect();
            anyone |= !level_values.is_empty();
            let slopes: Vec<(MunicipalityId, f64)> = members
                .iter()
                .filter_map(|m| {
                    let series = by_kommun.get(m)?;
                    let points: Vec<(f64, f64)> = series
                        .range(first.unwrap_or(year)..=year)
                        .filter(|(_, v)| v.is_finite())
                        .map(|(y, v)| (f64::from(y.get()), *v))
                        .collect();
                    Some((*m, slope(&points)?))
                })
                .collect();
            let levels = percentiles(&level_values, sign);
            let improvements = percentiles(&slopes, sign);
            for m in members {
                scored.insert(
                    *m,
                    FigureScore {
                        measure: item.measure,
                        value: level_values.iter().find(|(k, _)| k == m).map(|(_, v)| *v),
                        level: levels.get(m).copied(),
                        slope: slopes.iter().find(|(k, _)| k == m).map(|(_, s)| *s),
                        improvement: improvements.get(m).copied(),
                        peers: level_values.len(),
                    },
                );
            }
        }
        if !anyone {
            without_values.push(item.measure);
        }
        figures.push(scored);
    }
    let counted: Vec<bool> = set
        .measures
        .iter()
        .map(|m| !without_values.contains(&m.measure))
        .collect();
    let weight_counted: f64 = set
        .measures
        .iter()
        .zip(&counted)
        .filter(|(_, c)| **c)
        .map(|(m, _)| m.weight)
        .sum();
    let mut breakdowns: Vec<Breakdown> = kommuner
        .iter()
        .map(|m| {
            let figs: Vec<FigureScore> = figures
                .iter()
                .zip(&set.measures)
                .map(|(f, item)| {
                    f.get(m).cloned().unwrap_or(FigureScore {
                        measure: item.measure,
                        value: None,
                        level: None,
                        slope: None,
                        improvement: None,
                        peers: 0,
                    })
                })
                .collect();
            let (level, level_coverage) = weighted(set, &figs, |f| f.level, weight_counted, None);
            let (improvement, improvement_coverage) =
                weighted(set, &figs, |f| f.improvement, weight_counted, None);
            let dimensions = set
                .dimensions()
                .into_iter()
                .map(|(d, _, _)| DimensionScore {
                    level: weighted(set, &figs, |f| f.level, 0.0, Some(&d)).0,
                    improvement: weighted(set, &figs, |f| f.improvement, 0.0, Some(&d)).0,
                    dimension: d,
                })
                .collect();
            let ranked = |score: Option<f64>, coverage: f64| {
                score.filter(|_| coverage + 1e-9 >= set.min_coverage)
            };
            Breakdown {
                municipality: *m,
                scope: scope_of(m),
                figures: figs,
                dimensions,
                level: ranked(level, level_coverage),
                level_coverage,
                level_rank: None,
                improvement: ranked(improvement, improvement_coverage),
                improvement_coverage,
                improvement_rank: None,
            }
        })
        .collect();
    let levels = ranks(breakdowns.iter().map(|b| (b.municipality, b.level)));
    let improvements = ranks(breakdowns.iter().map(|b| (b.municipality, b.improvement)));
    for b in &mut breakdowns {
        b.level_rank = levels.get(&b.municipality).copied();
        b.improvement_rank = improvements.get(&b.municipality).copied();
    }
    breakdowns.sort_by_key(|b| (b.level_rank.is_none(), b.level_rank, b.municipality));
    Screening {
        year,
        breakdowns,
        without_values,
    }
}

/// The weighted mean of the scores a kommun has (of one dimension, when given), and the share
/// of `of_weight` behind it (of the dimension's own weight when `of_weight` is 0).
fn weighted(
    set: &ScreeningSet,
    figures: &[FigureScore],
    score: impl Fn(&FigureScore) -> Option<f64>,
    of_weight: f64,
    dimension: Option<&str>,
) -> (Option<f64>, f64) {
    let (mut sum, mut weight, mut dimension_weight) = (0.0, 0.0, 0.0);
    for (f, item) in figures.iter().zip(&set.measures) {
        if dimension.is_some_and(|d| d != item.dimension) {
            continue;
        }
        dimension_weight += item.weight;
        if let Some(s) = score(f) {
            sum += s * item.weight;
            weight += item.weight;
        }
    }
    let of = if of_weight > 0.0 {
        of_weight
    } else {
        dimension_weight
    };
    let coverage = if of > 0.0 {
        (weight / of).min(1.0)
    } else {
        0.0
    };
    // A weighted mean lies within its scores, 0–100, but not after rounding: weights 0.1, 0.1
    // and 0.7 on three scores of 100 give 100.00000000000001. Clamped so that a top score
    // reads as 100 and never ranks above another 100.
    let mean = (weight > 0.0).then(|| (sum / weight).clamp(0.0, 100.0));
    (mean, coverage)
}

/// Mid-rank percentiles of `values` (multiplied by `sign` so that higher is better): the best
/// 100, the worst 0, equal values the same score. None with fewer than two values.
fn percentiles(values: &[(MunicipalityId, f64)], sign: f64) -> HashMap<MunicipalityId, f64> {
    let n = values.len();
    if n < 2 {
        return HashMap::new();
    }
    let mut sorted: Vec<f64> = values.iter().map(|(_, v)| v * sign).collect();
    sorted.sort_by(f64::total_cmp);
    values
        .iter()
        .map(|(m, v)| {
            let x = v * sign;
            let worse = sorted.partition_point(|s| *s < x);
            let equal = sorted.partition_point(|s| *s <= x) - worse;
            let score = 100.0 * (worse as f64 + 0.5 * (equal as f64 - 1.0)) / (n as f64 - 1.0);
            (*m, score)
        })
        .collect()
}

/// The least-squares slope through the points, none with fewer than [`MIN_TREND_POINTS`].
fn slope(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < MIN_TREND_POINTS {
        return None;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx).filter(|s| s.is_finite())
}

/// Competition ranks (1, 2, 2, 4) of the kommuner with a score, best first; scores equal to
/// nine decimals share a rank.
fn ranks(
    scores: impl Iterator<Item = (MunicipalityId, Option<f64>)>,
) -> HashMap<MunicipalityId, usize> {
    let key = |s: f64| (s * 1e9).round();
    let mut scored: Vec<(MunicipalityId, f64)> =
        scores.filter_map(|(m, s)| Some((m, key(s?)))).collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = HashMap::new();
    for (i, (m, s)) in scored.iter().enumerate() {
        let rank = if i > 0 && scored[i - 1].1 == *s {
            out[&scored[i - 1].0]
        } else {
            i + 1
        };
        out.insert(*m, rank);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> MunicipalityId {
        MunicipalityId::parse(s).unwrap()
    }

    fn y(n: i64) -> Year {
        Year::new(n).unwrap()
    }

    fn figure(id: &str, dimension: &str, weight: f64, better: Direction) -> ScreeningMeasure {
        ScreeningMeasure {
            measure: MeasureId::parse(id).unwrap(),
            dimension: dimension.into(),
            dimension_en: None,
            weight,
            better,
        }
    }

    fn set(normalise: Normalisation, measures: Vec<ScreeningMeasure>) -> ScreeningSet {
        ScreeningSet {
            id: "test".into(),
            title: "Test".into(),
            title_en: None,
            description: String::new(),
            description_en: None,
            normalise,
            improvement_years: 3,
            min_coverage: 0.75,
            measures,
        }
    }

    fn series(rows: &[(&str, &[(i64, f64)])]) -> HashMap<MunicipalityId, BTreeMap<Year, f64>> {
        rows.iter()
            .map(|(m, vs)| (k(m), vs.iter().map(|(yr, v)| (y(*yr), *v)).collect()))
            .collect()
    }

    #[test]
    fn a_hand_computed_screening_of_four_kommuner() {
        // Quality (weight 2, higher better) and a cost deviation (weight 1, lower better).
        let s = set(
            Normalisation::All,
            vec![
                figure("N00001", "Kvalitet", 2.0, Direction::HigherIsBetter),
                figure("N00002", "Ekonomi", 1.0, Direction::LowerIsBetter),
            ],
        );
        let kommuner = [k("0114"), k("0115"), k("0117"), k("0120")];
        let quality = series(&[
            (
                "0114",
                &[(2020, 50.0), (2021, 55.0), (2022, 60.0), (2023, 70.0)],
            ),
            ("0115", &[(2021, 80.0), (2022, 80.0), (2023, 80.0)]),
            ("0117", &[(2023, 60.0)]),
            (
                "0120",
                &[(2020, 90.0), (2021, 85.0), (2022, 70.0), (2023, 60.0)],
            ),
        ]);
        let cost = series(&[
            ("0114", &[(2023, 5.0)]),
            ("0115", &[(2023, -2.0)]),
            ("0117", &[(2023, 0.0)]),
        ]);
        let out = screen(
            &s,
            y(2023),
            &kommuner,
            &HashMap::new(),
            &vec![quality, cost],
        );
        let b = |m: &str| out.breakdown(&k(m)).unwrap();
        // Quality 2023: 70, 80, 60, 60 → 0115 best (100), 0114 next (2/3 of the way: 66.7),
        // 0117 and 0120 equal at the bottom: (0 + ½·1)/3 = 16.7 each.
        let close = |a: Option<f64>, e: f64| (a.unwrap() - e).abs() < 1e-9;
        assert!(close(b("0115").figures[0].level, 100.0));
        assert!(close(b("0114").figures[0].level, 200.0 / 3.0));
        assert!(close(b("0117").figures[0].level, 50.0 / 3.0));
        assert!(close(b("0120").figures[0].level, 50.0 / 3.0));
        // Cost, lower better: -2 best (100), 0 (50), 5 worst (0); 0120 has none.
        assert!(close(b("0115").figures[1].level, 100.0));
        assert!(close(b("0117").figures[1].level, 50.0));
        assert!(close(b("0114").figures[1].level, 0.0));
        // Totals: 0115 (2·100 + 100)/3 = 100; 0114 (2·66.7 + 0)/3 = 44.4;
        // 0117 (2·16.7 + 50)/3 = 27.8; 0120 only quality: coverage 2/3 < 0.75, not ranked.
        assert!(close(b("0115").level, 100.0));
        assert!(close(b("0114").level, 400.0 / 9.0));
        assert!(close(b("0117").level, 250.0 / 9.0));
        assert_eq!(b("0120").level, None);
        assert!((b("0120").level_coverage - 2.0 / 3.0).abs() < 1e-9);
        let order: Vec<(&str, Option<usize>)> = out
            .breakdowns
            .iter()
            .map(|b| (b.municipality.as_str(), b.level_rank))
            .collect();
        assert_eq!(
            order,
            [
                ("0115", Some(1)),
                ("0114", Some(2)),
                ("0117", Some(3)),
                ("0120", None)
            ]
        );
        // Slopes of quality over 2020–2023: 0114 (50, 55, 60, 70) → 6.5 a year; 0115 flat (0);
        // 0120 (90, 85, 70, 60) → −52.5 / 5 = −10.5; 0117 has one value, no slope.
        assert!(close(b("0114").figures[0].slope, 6.5));
        assert!(close(b("0115").figures[0].slope, 0.0));
        assert!(close(b("0120").figures[0].slope, -10.5));
        assert_eq!(b("0117").figures[0].slope, None);
        assert!(close(b("0114").figures[0].improvement, 100.0));
        assert!(close(b("0120").figures[0].improvement, 0.0));
        // The cost figure has no slopes (one year each): improvement covers 2/3 of the weight,
        // so nobody is ranked on improvement.
        assert!(out.by_improvement().is_empty());
        assert!(out.without_values.is_empty());
    }

    #[test]
    fn kommungrupp_scores_each_group_apart_and_figures_without_values_leave_the_weight() {
        let s = set(
            Normalisation::Kommungrupp,
            vec![
                figure("N00001", "Kvalitet", 1.0, Direction::HigherIsBetter),
                figure("N00003", "Resultat", 5.0, Direction::HigherIsBetter),
            ],
        );
        let (a, b) = (
            GroupId::parse("G92787").unwrap(),
            GroupId::parse("G92788").unwrap(),
        );
        let groups: HashMap<_, _> = [
            (k("0114"), a),
            (k("0115"), a),
            (k("0117"), b),
            (k("0120"), b),
        ]
        .into_iter()
        .collect();
        let kommuner = [k("0114"), k("0115"), k("0117"), k("0120")];
        let quality = series(&[
            ("0114", &[(2023, 10.0)]),
            ("0115", &[(2023, 20.0)]),
            ("0117", &[(2023, 90.0)]),
            ("0120", &[(2023, 95.0)]),
        ]);
        let out = screen(
            &s,
            y(2023),
            &kommuner,
            &groups,
            &vec![quality, HashMap::new()],
        );
        // The best of each group scores 100 whatever the other group's values.
        assert_eq!(out.breakdown(&k("0115")).unwrap().level, Some(100.0));
        assert_eq!(out.breakdown(&k("0120")).unwrap().level, Some(100.0));
        assert_eq!(out.breakdown(&k("0117")).unwrap().level, Some(0.0));
        assert_eq!(out.breakdown(&k("0115")).unwrap().scope, Some(a));
        assert_eq!(out.breakdown(&k("0115")).unwrap().level_rank, Some(1));
        assert_eq!(out.breakdown(&k("0120")).unwrap().level_rank, Some(1));
        assert_eq!(out.breakdown(&k("0114")).unwrap().level_rank, Some(3));
        assert_eq!(out.without_values, [MeasureId::parse("N00003").unwrap()]);
        assert_eq!(out.breakdown(&k("0114")).unwrap().level_coverage, 1.0);
    }

    #[test]
    fn the_best_on_every_figure_scores_exactly_100_whatever_the_weights() {
        // 100 × 0.1 + 100 × 0.1 + 100 × 0.7 over 0.9 is 100.00000000000001 in floating point
        // (found by the screening fuzz target).
        let s = set(
            Normalisation::All,
            vec![
                figure("N00001", "Kvalitet", 0.1, Direction::HigherIsBetter),
                figure("N00002", "Kvalitet", 0.1, Direction::HigherIsBetter),
                figure("N00003", "Kvalitet", 0.7, Direction::HigherIsBetter),
            ],
        );
        let kommuner = [k("0114"), k("0115")];
        let values = series(&[("0114", &[(2023, 2.0)]), ("0115", &[(2023, 1.0)])]);
        let out = screen(
            &s,
            y(2023),
            &kommuner,
            &HashMap::new(),
            &vec![values.clone(), values.clone(), values],
        );
        let best = out.breakdown(&k("0114")).unwrap();
        assert_eq!(best.level, Some(100.0));
        assert_eq!(best.level_coverage, 1.0);
        assert_eq!(out.breakdown(&k("0115")).unwrap().level, Some(0.0));
    }

    #[test]
    fn a_set_that_does_not_hold_together_is_refused() {
        let ok = set(
            Normalisation::All,
            vec![figure("N00001", "Kvalitet", 1.0, Direction::HigherIsBetter)],
        );
        assert_eq!(ok.validate(), Ok(()));
        let code = |s: ScreeningSet| s.validate().unwrap_err().1.code;
        let mut zero = ok.clone();
        zero.measures[0].weight = 0.0;
        assert_eq!(code(zero), "screening_weight");
        let mut none = ok.clone();
        none.measures[0].better = Direction::None;
        assert_eq!(code(none), "screening_no_direction");
        let mut twice = ok.clone();
        twice.measures.push(twice.measures[0].clone());
        assert_eq!(code(twice), "screening_measure_twice");
        let mut empty = ok.clone();
        empty.measures.clear();
        assert_eq!(code(empty), "screening_no_measures");
        let mut coverage = ok.clone();
        coverage.min_coverage = 0.0;
        assert_eq!(code(coverage), "screening_min_coverage");
        let mut years = ok;
        years.improvement_years = 0;
        assert_eq!(code(years), "screening_improvement_years");
    }
}
