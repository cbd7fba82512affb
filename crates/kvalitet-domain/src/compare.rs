//! The comparison engine: for one measure, year and gender over a population of
//! municipalities, the summary (snitt, median, quartiles, worst and best), each
//! municipality's rank and colour, and the trend against the previous year.
//!
//! The colour rule (documented for residents on the site, see docs/comparisons.md): sort the
//! n values best first, let k = ⌈n/4⌉; a value as good as the k-th is green, otherwise a
//! value as bad as the k-th from the bottom is red, otherwise yellow. Values are compared,
//! not positions, so equal values always get the same colour. Missing values are grey and
//! take no part; with no direction, or fewer than [`MIN_COLOURED`] values, nothing is
//! coloured.

use std::cmp::Ordering;

use serde::Serialize;

use crate::measure::Direction;

/// Fewer values than this and no colour is given: a quarter of three is not a group.
pub const MIN_COLOURED: usize = 4;

/// A municipality's colour class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// Among the 25 % best.
    Green,
    /// Among the 50 % in the middle.
    Yellow,
    /// Among the 25 % worst.
    Red,
    /// The value is missing.
    Grey,
    /// No colour: the measure has no better direction, or too few values to compare.
    None,
}

impl Colour {
    pub fn code(self) -> &'static str {
        match self {
            Self::Green => "green",
            Self::Yellow => "yellow",
            Self::Red => "red",
            Self::Grey => "grey",
            Self::None => "none",
        }
    }

    /// Better colours first, for ordering: green < yellow < red.
    fn goodness(self) -> Option<u8> {
        match self {
            Self::Green => Some(0),
            Self::Yellow => Some(1),
            Self::Red => Some(2),
            Self::Grey | Self::None => None,
        }
    }
}

/// Change against the previous year, judged by the measure's direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Better,
    Worse,
    /// The same at the displayed precision.
    Unchanged,
    /// Changed, but the measure has no better direction.
    Changed,
    /// No value this year or last year.
    NotComparable,
}

impl Trend {
    pub fn code(self) -> &'static str {
        match self {
            Self::Better => "better",
            Self::Worse => "worse",
            Self::Unchanged => "unchanged",
            Self::Changed => "changed",
            Self::NotComparable => "not_comparable",
        }
    }
}

/// The trend from `before` to `now`. Values equal when rounded to `decimals` are unchanged,
/// so the page never shows two equal numbers with "better" between them.
pub fn trend(now: Option<f64>, before: Option<f64>, direction: Direction, decimals: u8) -> Trend {
    let (Some(now), Some(before)) = (now, before) else {
        return Trend::NotComparable;
    };
    let scale = 10f64.powi(i32::from(decimals.min(12)));
    let (n, b) = ((now * scale).round(), (before * scale).round());
    if n == b {
        return Trend::Unchanged;
    }
    match direction {
        Direction::HigherIsBetter if n > b => Trend::Better,
        Direction::LowerIsBetter if n < b => Trend::Better,
        Direction::None => Trend::Changed,
        _ => Trend::Worse,
    }
}

/// How far a value moved, in units of the population's spread (its interquartile range),
/// so that changes of measures in different units can be ordered: `None` when either value
/// is missing or the middle half has no width.
pub fn spread_change(
    now: Option<f64>,
    before: Option<f64>,
    q1: Option<f64>,
    q3: Option<f64>,
) -> Option<f64> {
    let (now, before, q1, q3) = (now?, before?, q1?, q3?);
    let spread = (q3 - q1).abs();
    (spread > f64::EPSILON && (now - before).is_finite()).then(|| (now - before).abs() / spread)
}

/// The summary of one comparison. Worst and best follow the direction; with no direction
/// they are the lowest and highest value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Values that took part.
    pub n: usize,
    /// Members of the population, with or without a value.
    pub population: usize,
    /// Unweighted mean ("snitt").
    pub mean: Option<f64>,
    pub median: Option<f64>,
    /// First and third quartile, linear interpolation between order statistics (as pandas
    /// and NumPy do by default).
    pub q1: Option<f64>,
    pub q3: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub worst: Option<f64>,
    pub best: Option<f64>,
    /// Whether colours were given.
    pub coloured: bool,
}

/// One member's place in a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Placement {
    pub value: Option<f64>,
    /// 1 = best; equal values share the best of their ranks ("delad plats 3"). With no
    /// direction, 1 = highest. None when the value is missing.
    pub rank: Option<usize>,
    /// Whether another member has the same rank.
    pub shared: bool,
    pub colour: Colour,
}

/// A whole comparison: the summary and one placement per input, in input order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub summary: Summary,
    pub placements: Vec<Placement>,
}

/// Compares the population's values (missing as `None`; NaN counts as missing).
pub fn compare(values: &[Option<f64>], direction: Direction) -> Comparison {
    let present: Vec<f64> = values
        .iter()
        .filter_map(|v| v.filter(|x| x.is_finite()))
        .collect();
    let mut ascending = present.clone();
    ascending.sort_by(f64::total_cmp);
    let n = ascending.len();

    // Best first: for "higher" and for no direction, the highest value ranks 1.
    let better = |a: f64, b: f64| -> bool {
        match direction {
            Direction::LowerIsBetter => a < b,
            _ => a > b,
        }
    };
    let best_first: Vec<f64> = match direction {
        Direction::LowerIsBetter => ascending.clone(),
        _ => ascending.iter().rev().copied().collect(),
    };
    let coloured = direction != Direction::None && n >= MIN_COLOURED;
    let k = n.div_ceil(4);
    let (green_cut, red_cut) = if coloured {
        (best_first[k - 1], best_first[n - k])
    } else {
        (f64::NAN, f64::NAN)
    };

    let placements = values
        .iter()
        .map(|v| match v.filter(|x| x.is_finite()) {
            None => Placement {
                value: None,
                rank: None,
                shared: false,
                colour: if coloured { Colour::Grey } else { Colour::None },
            },
            Some(x) => {
                // Rank = 1 + the number of strictly better values (competition ranking).
                let strictly_better = best_first.partition_point(|&y| better(y, x));
                let equal = best_first[strictly_better..]
                    .iter()
                    .take_while(|&&y| y.total_cmp(&x) == Ordering::Equal)
                    .count();
                let colour = if !coloured {
                    Colour::None
                } else if !better(green_cut, x) {
                    Colour::Green
                } else if !better(x, red_cut) {
                    Colour::Red
                } else {
                    Colour::Yellow
                };
                Placement {
                    value: Some(x),
                    rank: Some(strictly_better + 1),
                    shared: equal > 1,
                    colour,
                }
            }
        })
        .collect();

    let (worst, best) = match direction {
        Direction::LowerIsBetter => (ascending.last().copied(), ascending.first().copied()),
        _ => (ascending.first().copied(), ascending.last().copied()),
    };
    let summary = Summary {
        n,
        population: values.len(),
        mean: (n > 0).then(|| present.iter().sum::<f64>() / n as f64),
        median: quantile(&ascending, 0.5),
        q1: quantile(&ascending, 0.25),
        q3: quantile(&ascending, 0.75),
        min: ascending.first().copied(),
        max: ascending.last().copied(),
        worst,
        best,
        coloured,
    };
    Comparison {
        summary,
        placements,
    }
}

/// The q-quantile of sorted values by linear interpolation (Hyndman and Fan type 7).
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// Counts of colours, for "12 gröna, 20 gula, 4 röda".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ColourCounts {
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
    pub grey: usize,
    pub none: usize,
}

impl ColourCounts {
    pub fn add(&mut self, c: Colour) {
        match c {
            Colour::Green => self.green += 1,
            Colour::Yellow => self.yellow += 1,
            Colour::Red => self.red += 1,
            Colour::Grey => self.grey += 1,
            Colour::None => self.none += 1,
        }
    }
}

/// Whether colour `a` is at least as good as `b` (both real colours).
pub fn at_least_as_good(a: Colour, b: Colour) -> Option<bool> {
    Some(a.goodness()? <= b.goodness()?)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn some(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().copied().map(Some).collect()
    }

    #[test]
    fn eight_values_give_two_green_four_yellow_two_red() {
        let c = compare(
            &some(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
            Direction::HigherIsBetter,
        );
        let colours: Vec<_> = c.placements.iter().map(|p| p.colour).collect();
        use Colour::*;
        assert_eq!(
            colours,
            [Red, Red, Yellow, Yellow, Yellow, Yellow, Green, Green]
        );
        assert_eq!(c.placements[7].rank, Some(1));
        assert_eq!(c.placements[0].rank, Some(8));
        assert_eq!(c.summary.mean, Some(4.5));
        assert_eq!(c.summary.median, Some(4.5));
        assert_eq!(c.summary.q1, Some(2.75));
        assert_eq!(c.summary.q3, Some(6.25));
        assert_eq!((c.summary.worst, c.summary.best), (Some(1.0), Some(8.0)));
    }

    #[test]
    fn lower_is_better_mirrors_colours_ranks_and_range() {
        let c = compare(
            &some(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
            Direction::LowerIsBetter,
        );
        assert_eq!(c.placements[0].colour, Colour::Green);
        assert_eq!(c.placements[7].colour, Colour::Red);
        assert_eq!(c.placements[0].rank, Some(1));
        assert_eq!((c.summary.worst, c.summary.best), (Some(8.0), Some(1.0)));
    }

    #[test]
    fn ties_share_rank_and_colour() {
        // Five values, k = 2: the second best is 9, shared by three: all green.
        let c = compare(
            &some(&[10.0, 9.0, 9.0, 9.0, 1.0]),
            Direction::HigherIsBetter,
        );
        let r: Vec<_> = c.placements.iter().map(|p| (p.rank, p.shared)).collect();
        assert_eq!(
            r,
            [
                (Some(1), false),
                (Some(2), true),
                (Some(2), true),
                (Some(2), true),
                (Some(5), false)
            ]
        );
        assert!(c.placements[..4].iter().all(|p| p.colour == Colour::Green));
        assert_eq!(c.placements[4].colour, Colour::Red);
    }

    #[test]
    fn missing_is_grey_and_takes_no_part() {
        let c = compare(
            &[
                Some(1.0),
                None,
                Some(2.0),
                Some(3.0),
                Some(4.0),
                Some(f64::NAN),
            ],
            Direction::HigherIsBetter,
        );
        assert_eq!(c.summary.n, 4);
        assert_eq!(c.summary.population, 6);
        assert_eq!(c.placements[1].colour, Colour::Grey);
        assert_eq!(c.placements[1].rank, None);
        assert_eq!(c.placements[5].colour, Colour::Grey);
        assert_eq!(c.summary.mean, Some(2.5));
    }

    #[test]
    fn no_direction_or_too_few_values_gives_no_colour() {
        let c = compare(&some(&[1.0, 2.0, 3.0, 4.0]), Direction::None);
        assert!(c.placements.iter().all(|p| p.colour == Colour::None));
        assert!(!c.summary.coloured);
        assert_eq!(
            c.placements[3].rank,
            Some(1),
            "highest first without direction"
        );
        let c = compare(
            &[Some(1.0), Some(2.0), Some(3.0), None],
            Direction::HigherIsBetter,
        );
        assert!(c.placements.iter().all(|p| p.colour == Colour::None));
        assert_eq!(compare(&[], Direction::HigherIsBetter).summary.mean, None);
    }

    #[test]
    fn trend_follows_direction_and_displayed_precision() {
        use Direction::*;
        assert_eq!(
            trend(Some(88.0), Some(85.0), HigherIsBetter, 0),
            Trend::Better
        );
        assert_eq!(
            trend(Some(38.0), Some(45.0), LowerIsBetter, 0),
            Trend::Better
        );
        assert_eq!(
            trend(Some(46.0), Some(45.0), LowerIsBetter, 0),
            Trend::Worse
        );
        assert_eq!(
            trend(Some(85.04), Some(85.01), HigherIsBetter, 1),
            Trend::Unchanged
        );
        assert_eq!(
            trend(Some(85.06), Some(85.01), HigherIsBetter, 1),
            Trend::Better
        );
        assert_eq!(trend(Some(2.0), Some(1.0), None, 0), Trend::Changed);
        assert_eq!(
            trend(Some(2.0), Option::None, HigherIsBetter, 0),
            Trend::NotComparable
        );
    }

    fn values() -> impl Strategy<Value = Vec<Option<f64>>> {
        // Few distinct values so ties are common.
        prop::collection::vec(
            prop::option::weighted(0.9, (0i32..12).prop_map(f64::from)),
            0..40,
        )
    }

    fn direction() -> impl Strategy<Value = Direction> {
        prop_oneof![
            Just(Direction::HigherIsBetter),
            Just(Direction::LowerIsBetter),
            Just(Direction::None)
        ]
    }

    proptest! {
        #[test]
        fn equal_values_get_equal_rank_and_colour(v in values(), d in direction()) {
            let c = compare(&v, d);
            for (a, pa) in v.iter().zip(&c.placements) {
                for (b, pb) in v.iter().zip(&c.placements) {
                    if a == b {
                        prop_assert_eq!(pa.rank, pb.rank);
                        prop_assert_eq!(pa.colour, pb.colour);
                    }
                }
            }
        }

        #[test]
        fn colour_and_rank_are_monotone_in_value(v in values(), d in direction()) {
            let c = compare(&v, d);
            for pa in &c.placements {
                for pb in &c.placements {
                    let (Some(a), Some(b)) = (pa.value, pb.value) else { continue };
                    let a_better = match d { Direction::LowerIsBetter => a < b, _ => a > b };
                    if a_better {
                        prop_assert!(pa.rank < pb.rank);
                        if let Some(ok) = at_least_as_good(pa.colour, pb.colour) {
                            prop_assert!(ok, "{a} is better than {b} but has a worse colour");
                        }
                    }
                }
            }
        }

        #[test]
        fn reversing_the_direction_mirrors_the_values(v in values()) {
            // Negating every value and flipping the direction changes nothing.
            let neg: Vec<_> = v.iter().map(|x| x.map(|x| -x)).collect();
            let up = compare(&v, Direction::HigherIsBetter);
            let down = compare(&neg, Direction::LowerIsBetter);
            for (a, b) in up.placements.iter().zip(&down.placements) {
                prop_assert_eq!(a.rank, b.rank);
                prop_assert_eq!(a.colour, b.colour);
            }
            prop_assert_eq!(up.summary.best.map(|x| -x), down.summary.best);
        }

        #[test]
        fn at_least_a_quarter_is_green_and_a_quarter_red(v in values()) {
            let c = compare(&v, Direction::HigherIsBetter);
            if c.summary.coloured {
                let mut counts = ColourCounts::default();
                c.placements.iter().for_each(|p| counts.add(p.colour));
                let quarter = c.summary.n.div_ceil(4);
                prop_assert!(counts.green >= quarter && counts.red >= quarter.min(c.summary.n - counts.green));
                prop_assert_eq!(counts.green + counts.yellow + counts.red, c.summary.n);
            }
        }

        #[test]
        fn summary_is_ordered(v in values(), d in direction()) {
            let s = compare(&v, d).summary;
            if s.n > 0 {
                let (min, q1, med, q3, max) = (s.min.unwrap(), s.q1.unwrap(), s.median.unwrap(), s.q3.unwrap(), s.max.unwrap());
                prop_assert!(min <= q1 && q1 <= med && med <= q3 && q3 <= max);
                let mean = s.mean.unwrap();
                prop_assert!(min - 1e-9 <= mean && mean <= max + 1e-9);
            }
        }
    }
}
