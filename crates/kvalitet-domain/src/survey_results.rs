//! A survey question's results: how many answered and said "vet ej", each option's count and
//! share, a scale's or number's mean, unweighted and weighted, each with n, the effective n and
//! its 95 % margin; breakdowns by a background variable with cells of fewer than five answers
//! suppressed; and a self-selected sample's results without margins, since no margin is
//! honest for them (docs/surveys.md).

use std::collections::BTreeMap;

use crate::Message;
use crate::questionnaire::{Answer, Question, QuestionKind};
use crate::round::Distribution;
use crate::weighting::{Estimate, weighted_mean, weighted_share};

/// One respondent's answers, weight (1 when unweighted) and background (variable → level).
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub weight: f64,
    pub answers: BTreeMap<String, Answer>,
    pub background: BTreeMap<String, String>,
}

/// Fewer answers than this in a cell are not shown ("för få svar"): a small cell both says
/// little and may point at a person.
pub const MIN_CELL: usize = 5;

/// How results are computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResultRules {
    /// The respondents chose themselves (an open link, a self-recruited panel): results are
    /// labelled not representative and carry no margins.
    pub self_selected: bool,
    pub min_cell: usize,
}

impl Default for ResultRules {
    fn default() -> Self {
        Self {
            self_selected: false,
            min_cell: MIN_CELL,
        }
    }
}

/// An estimate both ways: as answered, and with the respondents' weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Both {
    pub unweighted: Estimate,
    pub weighted: Estimate,
}

/// One option of a choice question (or one step of a scale).
#[derive(Debug, Clone, PartialEq)]
pub struct OptionResult {
    pub code: String,
    pub count: usize,
    /// The share of those who answered (not "vet ej"); a multiple choice's shares may sum
    /// above 1.
    pub share: Option<Both>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuestionResult {
    pub question: String,
    /// Answered with a value, and "vet ej".
    pub answered: usize,
    pub dont_know: usize,
    /// Fewer than the smallest cell answered: no figures are given.
    pub suppressed: bool,
    /// Margins are left out (a self-selected sample).
    pub self_selected: bool,
    pub options: Vec<OptionResult>,
    /// A scale's or number's mean.
    pub mean: Option<Both>,
}

/// The results of `question` over `responses` (those who were shown it and answered).
pub fn question_result(
    q: &Question,
    responses: &[&Response],
    rules: &ResultRules,
) -> QuestionResult {
    let mut valued: Vec<(&Answer, f64)> = Vec::new();
    let mut dont_know = 0;
    for r in responses {
        match r.answers.get(&q.id) {
            Some(Answer::DontKnow) => dont_know += 1,
            Some(a) => valued.push((a, r.weight)),
            None => {}
        }
    }
    let mut result = QuestionResult {
        question: q.id.clone(),
        answered: valued.len(),
        dont_know,
        suppressed: valued.len() < rules.min_cell,
        self_selected: rules.self_selected,
        options: Vec::new(),
        mean: None,
    };
    if result.suppressed {
        return result;
    }
    let weights: Vec<f64> = valued.iter().map(|(_, w)| *w).collect();
    let ones = vec![1.0; valued.len()];
    let honest = |e: Estimate| {
        if rules.self_selected {
            Estimate { margin: None, ..e }
        } else {
            e
        }
    };
    let both_share = |yes: &[bool]| {
        Some(Both {
            unweighted: honest(weighted_share(yes, &ones)?),
            weighted: honest(weighted_share(yes, &weights)?),
        })
    };
    let option = |code: &str, yes: Vec<bool>| OptionResult {
        code: code.to_owned(),
        count: yes.iter().filter(|y| **y).count(),
        share: both_share(&yes),
    };
    match q.kind {
        QuestionKind::Single | QuestionKind::Multiple => {
            for o in &q.options {
                let yes = valued
                    .iter()
                    .map(|(a, _)| match a {
                        Answer::Choice(c) => *c == o.code,
                        Answer::Choices(cs) => cs.contains(&o.code),
                        _ => false,
                    })
                    .collect();
                result.options.push(option(&o.code, yes));
            }
        }
        QuestionKind::Scale | QuestionKind::Number => {
            let values: Vec<f64> = valued
                .iter()
                .map(|(a, _)| match a {
                    Answer::Number(x) => *x,
                    _ => f64::NAN,
                })
                .collect();
            if q.kind == QuestionKind::Scale {
                let (low, high) = (q.low.unwrap_or(1.0) as i64, q.high.unwrap_or(5.0) as i64);
                for step in low..=high {
                    let yes = values.iter().map(|x| *x == step as f64).collect();
                    result.options.push(option(&step.to_string(), yes));
                }
            }
            result.mean = weighted_mean(&values, &ones)
                .zip(weighted_mean(&values, &weights))
                .map(|(unweighted, weighted)| Both {
                    unweighted: honest(unweighted),
                    weighted: honest(weighted),
                });
        }
        QuestionKind::Text => {}
    }
    result
}

/// How many answered each step of a scale question (lowest step first; "vet ej" and other
/// answers left out): the distribution an imported HME file gives, so that HME answered here
/// is scored by the same rule (`round::Distribution`) as HME answered elsewhere. `None` for a
/// question that is not a scale.
pub fn scale_distribution(q: &Question, responses: &[&Response]) -> Option<Distribution> {
    if q.kind != QuestionKind::Scale {
        return None;
    }
    let (low, high) = (q.low.unwrap_or(1.0), q.high.unwrap_or(5.0));
    let mut counts = vec![0u64; (high - low) as usize + 1];
    for r in responses {
        if let Some(Answer::Number(x)) = r.answers.get(&q.id)
            && *x >= low
            && *x <= high
            && x.fract() == 0.0
        {
            counts[(*x - low) as usize] += 1;
        }
    }
    Some(Distribution(counts))
}

/// The results of `question` for each level of a background variable, in the levels' order;
/// a level with fewer than the smallest cell's answers is suppressed.
pub fn breakdown(
    q: &Question,
    responses: &[&Response],
    variable: &str,
    rules: &ResultRules,
) -> Vec<(String, QuestionResult)> {
    let mut groups: BTreeMap<&str, Vec<&Response>> = BTreeMap::new();
    for r in responses {
        if let Some(level) = r.background.get(variable) {
            groups.entry(level).or_default().push(r);
        }
    }
    groups
        .into_iter()
        .map(|(level, group)| (level.to_owned(), question_result(q, &group, rules)))
        .collect()
}

/// What of a question becomes a measure's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Publish {
    /// The share who answered any of these options (or scale steps), of those who answered.
    Share(Vec<String>),
    /// A scale's or number's mean.
    Mean,
}

/// The figure of `q` that `what` asks for, weighted (with weights of 1 it is the answers as
/// given), for publishing as a measure: refused when too few answered (the smallest cell),
/// for a mean of a choice question, and for codes the question does not offer. A
/// self-selected sample's figure carries no margin.
pub fn publishable(
    q: &Question,
    responses: &[&Response],
    rules: &ResultRules,
    what: &Publish,
) -> Result<Estimate, Message> {
    let mut valued: Vec<(&Answer, f64)> = Vec::new();
    for r in responses {
        match r.answers.get(&q.id) {
            Some(Answer::DontKnow) | None => {}
            Some(a) => valued.push((a, r.weight)),
        }
    }
    if valued.len() < rules.min_cell {
        return Err(Message::new("survey_too_few_to_publish")
            .with("n", valued.len())
            .with("min", rules.min_cell));
    }
    let weights: Vec<f64> = valued.iter().map(|(_, w)| *w).collect();
    let estimate = match what {
        Publish::Share(codes) => {
            let offered: Vec<String> = match q.kind {
                QuestionKind::Single | QuestionKind::Multiple => {
                    q.options.iter().map(|o| o.code.clone()).collect()
                }
                QuestionKind::Scale => {
                    let (low, high) = (q.low.unwrap_or(1.0) as i64, q.high.unwrap_or(5.0) as i64);
                    (low..=high).map(|s| s.to_string()).collect()
                }
                QuestionKind::Number | QuestionKind::Text => Vec::new(),
            };
            if codes.is_empty() {
                return Err(Message::new("survey_choose_options"));
            }
            if let Some(unknown) = codes.iter().find(|c| !offered.contains(c)) {
                return Err(Message::new("option_unknown")
                    .with("question", format!("{:?}", q.id))
                    .with("option", format!("{unknown:?}")));
            }
            let yes: Vec<bool> = valued
                .iter()
                .map(|(a, _)| match a {
                    Answer::Choice(c) => codes.contains(c),
                    Answer::Choices(cs) => cs.iter().any(|c| codes.contains(c)),
                    Answer::Number(x) => codes.iter().any(|c| c.parse::<f64>() == Ok(*x)),
                    _ => false,
                })
                .collect();
            weighted_share(&yes, &weights)
        }
        Publish::Mean => {
            if !matches!(q.kind, QuestionKind::Scale | QuestionKind::Number) {
                return Err(Message::new("survey_mean_needs_numbers"));
            }
            let values: Vec<f64> = valued
                .iter()
                .map(|(a, _)| match a {
                    Answer::Number(x) => *x,
                    _ => f64::NAN,
                })
                .collect();
            weighted_mean(&values, &weights)
        }
    };
    let estimate = estimate.ok_or_else(|| Message::new("survey_too_few_to_publish"))?;
    Ok(if rules.self_selected {
        Estimate {
            margin: None,
            ..estimate
        }
    } else {
        estimate
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::{Bilingual, Choice};

    fn question(kind: QuestionKind) -> Question {
        Question {
            id: "q".into(),
            kind,
            text: Bilingual {
                sv: "Fråga".into(),
                en: None,
            },
            help: None,
            options: ["ja", "nej"]
                .iter()
                .filter(|_| kind == QuestionKind::Single)
                .map(|c| Choice {
                    code: (*c).into(),
                    text: Bilingual {
                        sv: (*c).into(),
                        en: None,
                    },
                })
                .collect(),
            low: None,
            high: None,
            low_label: None,
            high_label: None,
            dont_know: true,
            required: false,
            show_if: None,
        }
    }

    fn response(answer: Answer, weight: f64, area: &str) -> Response {
        Response {
            weight,
            answers: [("q".to_owned(), answer)].into_iter().collect(),
            background: [("area".to_owned(), area.to_owned())].into_iter().collect(),
        }
    }

    #[test]
    fn shares_come_weighted_and_not_with_dont_know_apart() {
        // 6 yes (weight 1), 4 no (weight 2), 2 "vet ej": unweighted 60 % yes, weighted 6/14.
        let mut all: Vec<Response> = (0..6)
            .map(|_| response(Answer::Choice("ja".into()), 1.0, "Norr"))
            .collect();
        all.extend((0..4).map(|_| response(Answer::Choice("nej".into()), 2.0, "Söder")));
        all.extend((0..2).map(|_| response(Answer::DontKnow, 1.0, "Söder")));
        let refs: Vec<&Response> = all.iter().collect();
        let r = question_result(
            &question(QuestionKind::Single),
            &refs,
            &ResultRules::default(),
        );
        assert_eq!((r.answered, r.dont_know, r.suppressed), (10, 2, false));
        let yes = r.options[0].share.unwrap();
        assert!((yes.unweighted.value - 0.6).abs() < 1e-12);
        assert!((yes.weighted.value - 6.0 / 14.0).abs() < 1e-12);
        assert!(yes.weighted.n_eff < 10.0 && yes.weighted.margin > yes.unweighted.margin);
        assert!(yes.unweighted.margin.is_some());
        // By area: Söder has 4 valued answers, fewer than 5, so nothing is shown for it.
        let by_area = breakdown(
            &question(QuestionKind::Single),
            &refs,
            "area",
            &ResultRules::default(),
        );
        assert_eq!(by_area.len(), 2);
        assert!(
            !by_area[0].1.suppressed && by_area[1].1.suppressed && by_area[1].1.options.is_empty()
        );
        // Self-selected: the same shares, no margins.
        let open = ResultRules {
            self_selected: true,
            ..ResultRules::default()
        };
        let s = question_result(&question(QuestionKind::Single), &refs, &open);
        assert!(s.self_selected && s.options[0].share.unwrap().weighted.margin.is_none());
    }

    #[test]
    fn a_scale_has_its_steps_and_mean() {
        let all: Vec<Response> = [1.0, 2.0, 4.0, 5.0, 5.0]
            .iter()
            .map(|x| response(Answer::Number(*x), 1.0, "Norr"))
            .collect();
        let refs: Vec<&Response> = all.iter().collect();
        let r = question_result(
            &question(QuestionKind::Scale),
            &refs,
            &ResultRules::default(),
        );
        let steps: Vec<(String, usize)> = r
            .options
            .iter()
            .map(|o| (o.code.clone(), o.count))
            .collect();
        assert_eq!(
            steps,
            [
                ("1".into(), 1),
                ("2".into(), 1),
                ("3".into(), 0),
                ("4".into(), 1),
                ("5".into(), 2)
            ]
        );
        assert!((r.mean.unwrap().weighted.value - 3.4).abs() < 1e-12);
        let few = question_result(
            &question(QuestionKind::Scale),
            &refs[..4],
            &ResultRules::default(),
        );
        assert!(few.suppressed && few.mean.is_none());
    }

    #[test]
    fn a_published_figure_is_the_chosen_share_or_mean_weighted() {
        let all: Vec<Response> = [1.0, 2.0, 4.0, 5.0, 5.0, 4.0]
            .iter()
            .zip([1.0, 1.0, 1.0, 1.0, 2.0, 2.0])
            .map(|(x, w)| response(Answer::Number(*x), w, "Norr"))
            .collect();
        let refs: Vec<&Response> = all.iter().collect();
        let scale = question(QuestionKind::Scale);
        let rules = ResultRules::default();
        let satisfied = Publish::Share(vec!["4".into(), "5".into()]);
        // Weighted: (1 + 1 + 2 + 2) of 8 answered 4 or 5.
        let share = publishable(&scale, &refs, &rules, &satisfied).unwrap();
        assert!((share.value - 0.75).abs() < 1e-12 && share.margin.is_some());
        let mean = publishable(&scale, &refs, &rules, &Publish::Mean).unwrap();
        assert!((mean.value - 30.0 / 8.0).abs() < 1e-12);
        let refused = |what: &Publish, n: usize| {
            publishable(&scale, &refs[..n], &rules, what)
                .unwrap_err()
                .code
        };
        assert_eq!(refused(&satisfied, 4), "survey_too_few_to_publish");
        assert_eq!(
            refused(&Publish::Share(vec!["6".into()]), 6),
            "option_unknown"
        );
        assert_eq!(
            refused(&Publish::Share(Vec::new()), 6),
            "survey_choose_options"
        );
        let choice = question(QuestionKind::Single);
        assert_eq!(
            publishable(&choice, &refs, &rules, &Publish::Mean)
                .unwrap_err()
                .code,
            "survey_mean_needs_numbers"
        );
        let open = ResultRules {
            self_selected: true,
            ..rules
        };
        assert!(
            publishable(&scale, &refs, &open, &satisfied)
                .unwrap()
                .margin
                .is_none()
        );
    }
}
