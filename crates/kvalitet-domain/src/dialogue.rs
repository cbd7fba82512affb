//! E-dialogues (docs/dialogue.md): participants post short statements on a question and vote
//! agree, disagree or pass on others'; the result names the statements with the most
//! agreement and the most division, judged so that a statement few have seen cannot top
//! either list by chance.

use crate::coded::coded_enum;

coded_enum!(
    /// A participant's answer to a statement.
    StatementVote {
        Agree = "agree",
        Disagree = "disagree",
        /// Seen, no view: counts as seen, not as a side.
        Pass = "pass",
    }
);

/// The votes on one statement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    pub agree: u32,
    pub disagree: u32,
    pub pass: u32,
}

impl Tally {
    pub fn add(&mut self, vote: StatementVote) {
        match vote {
            StatementVote::Agree => self.agree += 1,
            StatementVote::Disagree => self.disagree += 1,
            StatementVote::Pass => self.pass += 1,
        }
    }

    /// Everyone who answered, passes included.
    pub fn seen(&self) -> u32 {
        self.agree + self.disagree + self.pass
    }

    /// The share agreeing of those who answered.
    pub fn agree_share(&self) -> Option<f64> {
        let n = self.seen();
        (n > 0).then(|| f64::from(self.agree) / f64::from(n))
    }

    /// How much agreement the statement has for sure: the lower end of the 95 % Wilson
    /// interval of the share agreeing. 9 of 10 ranks below 90 of 100, and 1 of 1 ranks low,
    /// which a plain share would put first.
    pub fn agreement(&self) -> f64 {
        wilson_lower(self.agree, self.seen())
    }

    /// How divided those who answered are: 1 when they split evenly between agree and
    /// disagree with nobody passing, 0 when all take one side or all pass. It is the share
    /// taking a side times how even the sides are (the smaller side's share of the sides,
    /// doubled), with the sides' counts shrunk by the Wilson bound so that 1 against 1 is not
    /// "most divided".
    pub fn division(&self) -> f64 {
        let sides = self.agree + self.disagree;
        let n = self.seen();
        if sides == 0 || n == 0 {
            return 0.0;
        }
        let smaller = self.agree.min(self.disagree);
        let evenness = 2.0 * wilson_lower(smaller, sides);
        let taking_a_side = wilson_lower(sides, n);
        (evenness * taking_a_side).clamp(0.0, 1.0)
    }
}

/// The lower end of the 95 % Wilson score interval for `k` successes in `n` trials (0 when
/// `n` is 0).
pub fn wilson_lower(k: u32, n: u32) -> f64 {
    if n == 0 {
        return 0.0;
    }
    const Z: f64 = 1.959_963_984_540_054;
    let n = f64::from(n);
    let p = f64::from(k) / n;
    let z2 = Z * Z;
    let centre = p + z2 / (2.0 * n);
    let margin = Z * ((p * (1.0 - p) + z2 / (4.0 * n)) / n).sqrt();
    ((centre - margin) / (1.0 + z2 / n)).max(0.0)
}

/// The indices of the `k` statements ranked highest by `score` among those answered by at
/// least `min_seen`, best first; ties by more answers, then the earlier statement.
pub fn top_by(
    tallies: &[Tally],
    min_seen: u32,
    k: usize,
    score: impl Fn(&Tally) -> f64,
) -> Vec<usize> {
    let mut ranked: Vec<(usize, f64)> = tallies
        .iter()
        .enumerate()
        .filter(|(_, t)| t.seen() >= min_seen)
        .map(|(i, t)| (i, score(t)))
        .filter(|(_, s)| *s > 0.0)
        .collect();
    ranked.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then(tallies[b.0].seen().cmp(&tallies[a.0].seen()))
            .then(a.0.cmp(&b.0))
    });
    ranked.into_iter().take(k).map(|(i, _)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(agree: u32, disagree: u32, pass: u32) -> Tally {
        Tally {
            agree,
            disagree,
            pass,
        }
    }

    #[test]
    fn the_wilson_bound_matches_its_textbook_values() {
        // 8 of 10: the 95 % Wilson interval is 0.490–0.943.
        assert!((wilson_lower(8, 10) - 0.4902).abs() < 1e-3);
        assert_eq!(wilson_lower(0, 0), 0.0);
        assert_eq!(wilson_lower(0, 5), 0.0);
        assert!(wilson_lower(1, 1) < 0.25);
    }

    #[test]
    fn agreement_needs_numbers_not_just_a_share() {
        let tallies = [t(1, 0, 0), t(9, 1, 0), t(90, 10, 0), t(50, 50, 0)];
        assert_eq!(top_by(&tallies, 1, 4, Tally::agreement), [2, 1, 3, 0]);
        // Statements answered by fewer than the minimum are left out.
        assert_eq!(top_by(&tallies, 20, 4, Tally::agreement), [2, 3]);
    }

    #[test]
    fn division_is_an_even_split_of_many_who_take_a_side() {
        let even = t(40, 40, 0);
        let passing = t(10, 10, 60);
        let one_sided = t(78, 2, 0);
        let tiny = t(1, 1, 0);
        assert!(even.division() > 0.6, "{}", even.division());
        assert!(even.division() > passing.division());
        assert!(passing.division() > one_sided.division());
        assert!(even.division() > tiny.division());
        assert_eq!(t(0, 0, 5).division(), 0.0);
        let tallies = [one_sided, tiny, passing, even];
        assert_eq!(top_by(&tallies, 2, 2, Tally::division), [3, 2]);
    }

    #[test]
    fn votes_are_counted_and_read_by_code() {
        let mut tally = Tally::default();
        for code in ["agree", "AGREE ", "pass", "disagree"] {
            tally.add(StatementVote::parse(code).unwrap());
        }
        assert_eq!(tally, t(2, 1, 1));
        assert_eq!(tally.agree_share(), Some(0.5));
        assert!(StatementVote::parse("maybe").is_none());
    }
}
