//! Axis ticks a reader can read at a glance: steps of 1, 2, 2.5 or 5 times a power of ten
//! ("nice numbers"), covering the data, never ticks like 22,5 – 47 417 – 92 423.

/// The ticks of an axis: from `lo` to `hi` in steps of `step`, and how many decimals a
/// tick needs to be written exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    pub lo: f64,
    pub hi: f64,
    pub step: f64,
    pub decimals: u8,
}

impl Ticks {
    /// Nice ticks covering `min`–`max` with at most `most` intervals (at least 2). With
    /// `from_zero`, an axis of values that are all positive starts at 0 when that costs at
    /// most half of the axis (shares and counts read wrongly otherwise); else it starts near
    /// the data, and the chart should say so.
    pub fn cover(min: f64, max: f64, most: usize, from_zero: bool) -> Self {
        let (mut min, mut max) = if min.is_finite() && max.is_finite() && min <= max {
            (min, max)
        } else {
            (0.0, 1.0)
        };
        if from_zero && min > 0.0 && min <= max - min {
            min = 0.0;
        }
        if max - min < 1e-9 {
            let pad = if max.abs() > 1e-9 {
                max.abs() / 10.0
            } else {
                1.0
            };
            (min, max) = (min - pad, max + pad);
        }
        let most = most.max(2) as f64;
        let raw = (max - min) / most;
        let power = 10f64.powi(raw.log10().floor() as i32);
        let step = [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * power)
            .find(|s| *s >= raw * (1.0 - 1e-9))
            .unwrap_or(10.0 * power);
        let lo = (min / step + 1e-9).floor() * step;
        let hi = (max / step - 1e-9).ceil() * step;
        // 2.5 × 10ⁿ needs one decimal more than its power of ten.
        let mantissa = step / 10f64.powi(step.log10().floor() as i32);
        let extra = if (mantissa - 2.5).abs() < 1e-9 {
            1.0
        } else {
            0.0
        };
        let decimals = (extra - step.log10().floor()).max(0.0) as u8;
        Self {
            lo,
            hi,
            step,
            decimals: decimals.min(6),
        }
    }

    /// Every tick from `lo` to `hi`.
    pub fn values(&self) -> Vec<f64> {
        let n = ((self.hi - self.lo) / self.step).round() as usize;
        (0..=n)
            .map(|i| {
                let v = self.lo + i as f64 * self.step;
                // No "-0" and no 0.30000000000000004.
                let rounded = (v / self.step).round() * self.step;
                if rounded.abs() < self.step * 1e-9 {
                    0.0
                } else {
                    rounded
                }
            })
            .collect()
    }
}

/// Whether a tick value is a nice number: 1, 2, 2.5 or 5 times a power of ten, times a whole
/// number of steps (a test helper and a check for charts).
pub fn is_nice_step(step: f64) -> bool {
    if step <= 0.0 || !step.is_finite() {
        return false;
    }
    let mantissa = step / 10f64.powi(step.log10().floor() as i32);
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .any(|m| (mantissa - m).abs() < 1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_get_steps_of_a_nice_size_from_zero() {
        let t = Ticks::cover(58.8, 98.2, 5, false);
        assert_eq!((t.lo, t.hi, t.step, t.decimals), (50.0, 100.0, 10.0, 0));
        let t = Ticks::cover(0.0, 98.2, 4, true);
        assert_eq!((t.lo, t.hi, t.step, t.decimals), (0.0, 100.0, 25.0, 0));
        assert_eq!(
            Ticks::cover(0.0, 9.0, 4, true).decimals,
            1,
            "2.5 needs one decimal"
        );
        assert_eq!(t.values(), [0.0, 25.0, 50.0, 75.0, 100.0]);
    }

    #[test]
    fn costs_get_round_thousands() {
        let t = Ticks::cover(47_417.0, 182_435.0, 5, false);
        assert!(is_nice_step(t.step), "{t:?}");
        assert_eq!(t.step, 50_000.0);
        assert_eq!(t.values(), [0.0, 50_000.0, 100_000.0, 150_000.0, 200_000.0]);
    }

    #[test]
    fn small_ranges_get_decimals_and_zero_is_kept_only_when_it_is_cheap() {
        let t = Ticks::cover(4.1, 5.3, 5, true);
        assert_eq!(t.lo, 4.0, "0 would take most of the axis");
        assert_eq!((t.step, t.decimals), (0.25, 2));
        let t = Ticks::cover(0.1, 0.7, 3, false);
        assert_eq!((t.step, t.decimals), (0.2, 1));
        let t = Ticks::cover(3.0, 3.0, 4, false);
        assert!(t.lo < 3.0 && t.hi > 3.0, "{t:?}");
        assert!(Ticks::cover(f64::NAN, 1.0, 4, false).hi >= 1.0);
    }

    #[test]
    fn every_cover_is_nice_and_covers_its_data() {
        for (lo, hi) in [
            (-5.0, 105.0),
            (0.0, 0.04),
            (-12.5, 3.3),
            (1e6, 4.2e6),
            (17.0, 18.0),
        ] {
            let t = Ticks::cover(lo, hi, 5, false);
            assert!(is_nice_step(t.step), "{lo}–{hi}: {t:?}");
            assert!(t.lo <= lo && t.hi >= hi, "{lo}–{hi}: {t:?}");
            assert!(t.values().len() <= 7, "{lo}–{hi}: {t:?}");
        }
    }
}
