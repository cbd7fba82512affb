//! Survey weighting: raking (iterative proportional fitting) of respondents' weights to known
//! population shares on several variables at once, with optional bounds on the weights, and
//! the honest uncertainty that follows from them: the design effect, the effective number of
//! respondents and 95 % margins of weighted shares and means (docs/surveys.md).
//!
//! Written here rather than taken from a crate: no maintained Rust crate rakes survey weights,
//! and the rule is short; it is checked against R's `survey::rake` to 1e-6 (tests/r).

use crate::Message;

/// One variable's population shares: its levels and the share of each (summing to 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Margin {
    pub variable: String,
    pub levels: Vec<String>,
    pub shares: Vec<f64>,
}

/// Bounds on the weights as multiples of the mean weight (`high: Some(5.0)` caps every weight
/// at five times the mean); applied after each raking cycle, the weights renormalised to
/// their sum and the bounds applied again until they hold.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bounds {
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// How raking runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RakeOptions {
    /// The largest difference allowed between a weighted share and its target.
    pub tolerance: f64,
    pub max_iterations: usize,
    pub bounds: Bounds,
}

impl Default for RakeOptions {
    fn default() -> Self {
        Self {
            tolerance: 1e-6,
            max_iterations: 1_000,
            bounds: Bounds::default(),
        }
    }
}

/// Raked weights and how the raking went.
#[derive(Debug, Clone, PartialEq)]
pub struct Raked {
    /// One weight per respondent, summing to the sum of the base weights (n without them).
    pub weights: Vec<f64>,
    /// Every weighted share is within the tolerance of its target (and the bounds hold).
    pub converged: bool,
    /// Full cycles over the margins.
    pub iterations: usize,
    /// The largest difference between a weighted share and its target at the end.
    pub max_error: f64,
}

/// The most variables and levels a raking takes: far above any survey's.
pub const MAX_MARGINS: usize = 50;
pub const MAX_LEVELS: usize = 1_000;

/// Rakes weights so that, for every margin, the weighted share of each level is its target.
/// `codes[m][i]` is respondent `i`'s level in `margins[m]` (an index into its levels); `base`
/// are the starting weights (design weights), 1 for everyone when `None`. Refused, naming
/// the margin and level, when a level with a target above zero has no respondents (no weight
/// can reach it) or the input does not fit together.
pub fn rake(
    codes: &[Vec<u32>],
    margins: &[Margin],
    base: Option<&[f64]>,
    options: &RakeOptions,
) -> Result<Raked, Message> {
    let n = codes.first().map_or(0, Vec::len);
    check(codes, margins, base, n)?;
    let mut weights: Vec<f64> = base.map_or_else(|| vec![1.0; n], <[f64]>::to_vec);
    let total: f64 = weights.iter().sum();
    let mut totals: Vec<Vec<f64>> = margins.iter().map(|m| vec![0.0; m.levels.len()]).collect();
    let mut iterations = 0;
    let mut max_error = shares_error(codes, margins, &weights, total, &mut totals);
    while iterations < options.max_iterations
        && (max_error > options.tolerance || !within(&weights, total, options.bounds))
    {
        for (m, margin) in margins.iter().enumerate() {
            level_totals(&codes[m], &weights, &mut totals[m]);
            let factors: Vec<f64> = margin
                .shares
                .iter()
                .zip(&totals[m])
                .map(|(share, t)| if *t > 0.0 { share * total / t } else { 0.0 })
                .collect();
            for (w, &c) in weights.iter_mut().zip(&codes[m]) {
                *w *= factors[c as usize];
            }
        }
        bound(&mut weights, total, options.bounds);
        iterations += 1;
        max_error = shares_error(codes, margins, &weights, total, &mut totals);
    }
    Ok(Raked {
        converged: max_error <= options.tolerance && within(&weights, total, options.bounds),
        weights,
        iterations,
        max_error,
    })
}

fn check(
    codes: &[Vec<u32>],
    margins: &[Margin],
    base: Option<&[f64]>,
    n: usize,
) -> Result<(), Message> {
    if margins.is_empty() || codes.len() != margins.len() {
        return Err(Message::new("weighting_no_margins"));
    }
    if margins.len() > MAX_MARGINS {
        return Err(Message::new("weighting_too_many_margins").with("max", MAX_MARGINS));
    }
    if n == 0 {
        return Err(Message::new("weighting_no_respondents"));
    }
    if base.is_some_and(|b| b.len() != n || b.iter().any(|w| !(w.is_finite() && *w > 0.0))) {
        return Err(Message::new("weighting_bad_base"));
    }
    for (margin, column) in margins.iter().zip(codes) {
        let levels = margin.levels.len();
        if levels == 0 || levels > MAX_LEVELS || margin.shares.len() != levels {
            return Err(Message::new("weighting_bad_margin").with("variable", &margin.variable));
        }
        let sum: f64 = margin.shares.iter().sum();
        if margin.shares.iter().any(|s| !(s.is_finite() && *s >= 0.0)) || (sum - 1.0).abs() > 1e-9 {
            return Err(Message::new("weighting_shares_sum")
                .with("variable", &margin.variable)
                .with("sum", sum));
        }
        if column.len() != n {
            return Err(Message::new("weighting_bad_margin").with("variable", &margin.variable));
        }
        let mut count = vec![0usize; levels];
        for &c in column {
            match count.get_mut(c as usize) {
                Some(k) => *k += 1,
                None => {
                    return Err(
                        Message::new("weighting_bad_margin").with("variable", &margin.variable)
                    );
                }
            }
        }
        if let Some(empty) = (0..levels).find(|&l| count[l] == 0 && margin.shares[l] > 0.0) {
            return Err(Message::new("weighting_empty_level")
                .with("variable", &margin.variable)
                .with("level", &margin.levels[empty])
                .with("share", margin.shares[empty]));
        }
    }
    Ok(())
}

/// Sums the weights of each level into `totals`.
fn level_totals(codes: &[u32], weights: &[f64], totals: &mut [f64]) {
    totals.iter_mut().for_each(|t| *t = 0.0);
    for (&c, w) in codes.iter().zip(weights) {
        totals[c as usize] += w;
    }
}

/// The largest difference between a weighted share and its target over every margin.
fn shares_error(
    codes: &[Vec<u32>],
    margins: &[Margin],
    weights: &[f64],
    total: f64,
    totals: &mut [Vec<f64>],
) -> f64 {
    let mut worst: f64 = 0.0;
    for (m, margin) in margins.iter().enumerate() {
        level_totals(&codes[m], weights, &mut totals[m]);
        for (t, share) in totals[m].iter().zip(&margin.shares) {
            worst = worst.max((t / total - share).abs());
        }
    }
    worst
}

/// Whether every weight is within the bounds (a hair of slack for rounding).
fn within(weights: &[f64], total: f64, bounds: Bounds) -> bool {
    let mean = total / weights.len() as f64;
    let slack = 1e-9 * mean;
    weights.iter().all(|w| {
        bounds.high.is_none_or(|k| *w <= k * mean + slack)
            && bounds.low.is_none_or(|k| *w >= k * mean - slack)
    })
}

/// Clamps the weights to the bounds and renormalises them to `total`, again until they hold
/// (each round moves the weights inside the bounds closer; 100 rounds are far more than
/// bounds that can hold need).
fn bound(weights: &mut [f64], total: f64, bounds: Bounds) {
    if bounds == Bounds::default() {
        return;
    }
    let mean = total / weights.len() as f64;
    for _ in 0..100 {
        if within(weights, total, bounds) {
            return;
        }
        for w in weights.iter_mut() {
            if let Some(k) = bounds.high {
                *w = w.min(k * mean);
            }
            if let Some(k) = bounds.low {
                *w = w.max(k * mean);
            }
        }
        let sum: f64 = weights.iter().sum();
        if sum > 0.0 {
            weights.iter_mut().for_each(|w| *w *= total / sum);
        }
    }
}

/// Each margin's total absolute discrepancy between the weighted shares and the targets,
/// Σ|share − target| over its levels, in percentage points. ANES rakes on the variables
/// where it is at least 5 before weighting and looks at it again after; `codes` and
/// `margins` as for [`rake`] (already checked there).
pub fn discrepancies(codes: &[Vec<u32>], margins: &[Margin], weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    margins
        .iter()
        .zip(codes)
        .map(|(margin, column)| {
            let mut totals = vec![0.0; margin.levels.len()];
            for (&c, w) in column.iter().zip(weights) {
                if let Some(t) = totals.get_mut(c as usize) {
                    *t += w;
                }
            }
            100.0
                * totals
                    .iter()
                    .zip(&margin.shares)
                    .map(|(t, share)| (t / total - share).abs())
                    .sum::<f64>()
        })
        .collect()
}

/// Kish's design effect of unequal weights, n·Σw²/(Σw)²: 1 for equal weights.
pub fn design_effect(weights: &[f64]) -> f64 {
    let (sum, squares) = sums(weights);
    if sum == 0.0 {
        return f64::NAN;
    }
    weights.len() as f64 * squares / (sum * sum)
}

/// The effective number of respondents, (Σw)²/Σw² = n / design effect: how many
/// respondents of a simple random sample the weighted answers are worth.
pub fn effective_n(weights: &[f64]) -> f64 {
    let (sum, squares) = sums(weights);
    if squares == 0.0 {
        return 0.0;
    }
    sum * sum / squares
}

fn sums(weights: &[f64]) -> (f64, f64) {
    weights
        .iter()
        .fold((0.0, 0.0), |(s, q), w| (s + w, q + w * w))
}

/// The z of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A weighted estimate with its 95 % margin (half the interval's width), computed from the
/// effective number of respondents; none where no margin is honest (a single respondent, a
/// self-selected sample).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub margin: Option<f64>,
    /// Respondents counted, and their effective number.
    pub n: usize,
    pub n_eff: f64,
}

/// The weighted share of respondents for whom `yes` holds, with its margin
/// 1.96·√(p(1−p)/n_eff). `None` without respondents.
pub fn weighted_share(yes: &[bool], weights: &[f64]) -> Option<Estimate> {
    let (sum, _) = sums(weights);
    if yes.is_empty() || yes.len() != weights.len() || sum <= 0.0 {
        return None;
    }
    let p = yes
        .iter()
        .zip(weights)
        .filter(|(y, _)| **y)
        .map(|(_, w)| w)
        .sum::<f64>()
        / sum;
    let n_eff = effective_n(weights);
    Some(Estimate {
        value: p,
        margin: Some(Z95 * (p * (1.0 - p) / n_eff).sqrt()),
        n: yes.len(),
        n_eff,
    })
}

/// The weighted mean of `values`, with its margin 1.96·√(s²/n_eff), s² the weighted variance
/// (with the n_eff/(n_eff−1) correction). `None` without respondents.
pub fn weighted_mean(values: &[f64], weights: &[f64]) -> Option<Estimate> {
    let (sum, _) = sums(weights);
    if values.is_empty() || values.len() != weights.len() || sum <= 0.0 {
        return None;
    }
    let mean = values.iter().zip(weights).map(|(x, w)| x * w).sum::<f64>() / sum;
    let n_eff = effective_n(weights);
    let variance = values
        .iter()
        .zip(weights)
        .map(|(x, w)| w * (x - mean) * (x - mean))
        .sum::<f64>()
        / sum;
    Some(Estimate {
        value: mean,
        margin: (n_eff > 1.0).then(|| Z95 * (variance * n_eff / (n_eff - 1.0) / n_eff).sqrt()),
        n: values.len(),
        n_eff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn margin(variable: &str, levels: &[(&str, f64)]) -> Margin {
        Margin {
            variable: variable.into(),
            levels: levels.iter().map(|(l, _)| (*l).into()).collect(),
            shares: levels.iter().map(|(_, s)| *s).collect(),
        }
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn one_margin_is_post_stratification() {
        // Three women and one man; the population is half and half: each woman weighs 2/3,
        // the man 2 (the weights sum to n = 4).
        let codes = vec![vec![0, 0, 0, 1]];
        let sex = margin("sex", &[("K", 0.5), ("M", 0.5)]);
        let r = rake(&codes, &[sex], None, &RakeOptions::default()).unwrap();
        assert!(r.converged && r.iterations == 1, "{r:?}");
        for (w, want) in r.weights.iter().zip([2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 2.0]) {
            assert!(close(*w, want, 1e-12), "{:?}", r.weights);
        }
        // Three in four were women against half: 25 + 25 points off before, none after.
        let sex = [margin("sex", &[("K", 0.5), ("M", 0.5)])];
        assert!(close(discrepancies(&codes, &sex, &[1.0; 4])[0], 50.0, 1e-9));
        assert!(close(discrepancies(&codes, &sex, &r.weights)[0], 0.0, 1e-9));
        // Kish: n·Σw²/(Σw)² = 4·(3·4/9 + 4)/16 = 4/3.
        assert!(close(design_effect(&r.weights), 4.0 / 3.0, 1e-12));
        assert!(close(effective_n(&r.weights), 3.0, 1e-12));
    }

    #[test]
    fn two_margins_meet_both_targets_by_hand() {
        // A 2×2 table with counts 30 10 / 20 40 (sex × age), raked to 50/50 and 40/60. The
        // fitted table of iterative proportional fitting, worked by hand to convergence.
        let mut sex = Vec::new();
        let mut age = Vec::new();
        for (s, a, count) in [(0, 0, 30), (0, 1, 10), (1, 0, 20), (1, 1, 40)] {
            for _ in 0..count {
                sex.push(s);
                age.push(a);
            }
        }
        let margins = [
            margin("sex", &[("K", 0.5), ("M", 0.5)]),
            margin("age", &[("ung", 0.4), ("äldre", 0.6)]),
        ];
        let r = rake(
            &[sex.clone(), age.clone()],
            &margins,
            None,
            &RakeOptions::default(),
        )
        .unwrap();
        assert!(r.converged && r.max_error <= 1e-6, "{r:?}");
        let cell = |s: u32, a: u32| -> f64 {
            sex.iter()
                .zip(&age)
                .zip(&r.weights)
                .filter(|((x, y), _)| **x == s && **y == a)
                .map(|(_, w)| w)
                .sum()
        };
        // Raking keeps the sample's odds ratio (30·40)/(10·20) = 6 while meeting the margins:
        // x(60−(40−x)... solved: cells a, 50−a, 40−a, 10+a with a(10+a) = 6(50−a)(40−a).
        let a = cell(0, 0);
        assert!(close(a + cell(0, 1), 50.0, 1e-4) && close(a + cell(1, 0), 40.0, 1e-4));
        assert!(close(a * cell(1, 1) / (cell(0, 1) * cell(1, 0)), 6.0, 1e-4));
        let solved = {
            // 5a² − 550a + 12000 = 0 (from a(10+a) = 6(50−a)(40−a)), the root below 40.
            (550.0 - (550.0f64 * 550.0 - 4.0 * 5.0 * 12_000.0).sqrt()) / 10.0
        };
        assert!(close(a, solved, 1e-4), "{a} vs {solved}");
    }

    #[test]
    fn a_level_with_a_target_but_nobody_is_refused_by_name() {
        let codes = vec![vec![0, 0, 1]];
        let three = margin("area", &[("Norr", 0.4), ("Söder", 0.4), ("Väster", 0.2)]);
        let e = rake(&codes, &[three], None, &RakeOptions::default()).unwrap_err();
        assert_eq!(e.code, "weighting_empty_level");
        assert!(e.to_string().contains("Väster"), "{e}");
        let bad_sum = margin("sex", &[("K", 0.5), ("M", 0.6)]);
        let e = rake(&[vec![0, 1]], &[bad_sum], None, &RakeOptions::default()).unwrap_err();
        assert_eq!(e.code, "weighting_shares_sum");
        assert_eq!(
            rake(
                &[vec![0, 5]],
                &[margin("x", &[("a", 1.0)])],
                None,
                &RakeOptions::default()
            )
            .unwrap_err()
            .code,
            "weighting_bad_margin"
        );
    }

    #[test]
    fn capped_weights_stay_under_k_times_the_mean() {
        // One man among nine women, the population half and half: uncapped he weighs 5 × the
        // mean; capped at 3 he cannot reach the target, so raking stops unconverged and says
        // how far off it is.
        let codes = vec![vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 1]];
        let sex = [margin("sex", &[("K", 0.5), ("M", 0.5)])];
        let free = rake(&codes, &sex, None, &RakeOptions::default()).unwrap();
        assert!(close(free.weights[9], 5.0, 1e-9));
        let options = RakeOptions {
            max_iterations: 50,
            bounds: Bounds {
                low: None,
                high: Some(3.0),
            },
            ..RakeOptions::default()
        };
        let capped = rake(&codes, &sex, None, &options).unwrap();
        let mean = capped.weights.iter().sum::<f64>() / 10.0;
        assert!(
            capped.weights.iter().all(|w| *w <= 3.0 * mean + 1e-9),
            "{capped:?}"
        );
        assert!(close(capped.weights.iter().sum::<f64>(), 10.0, 1e-9));
        assert!(!capped.converged && capped.max_error > 0.1, "{capped:?}");
        // A cap the targets allow is met together with the margins.
        let loose = RakeOptions {
            bounds: Bounds {
                low: Some(0.1),
                high: Some(6.0),
            },
            ..RakeOptions::default()
        };
        assert!(rake(&codes, &sex, None, &loose).unwrap().converged);
    }

    #[test]
    fn shares_and_means_carry_margins_from_the_effective_n() {
        let equal = vec![1.0; 100];
        let yes: Vec<bool> = (0..100).map(|i| i < 40).collect();
        let s = weighted_share(&yes, &equal).unwrap();
        assert!(close(s.value, 0.4, 1e-12));
        let margin = |e: Estimate| e.margin.unwrap();
        assert!(close(margin(s), Z95 * (0.24f64 / 100.0).sqrt(), 1e-12));
        // Unequal weights: fewer effective respondents, a wider margin.
        let unequal: Vec<f64> = (0..100)
            .map(|i| if i % 2 == 0 { 0.5 } else { 1.5 })
            .collect();
        let u = weighted_share(&yes, &unequal).unwrap();
        assert!(u.n_eff < 100.0 && margin(u) > margin(s) * (100.0 / u.n_eff).sqrt() * 0.99);
        let values: Vec<f64> = (0..100).map(|i| f64::from(i % 5 + 1)).collect();
        let m = weighted_mean(&values, &equal).unwrap();
        assert!(close(m.value, 3.0, 1e-12));
        // Sample variance of 1..5 repeated: 2 × 100/99.
        assert!(close(
            margin(m),
            Z95 * (2.0f64 * 100.0 / 99.0 / 100.0).sqrt(),
            1e-12
        ));
        assert_eq!(weighted_mean(&[3.0], &[1.0]).unwrap().margin, None);
        assert!(weighted_share(&[], &[]).is_none());
    }
}
