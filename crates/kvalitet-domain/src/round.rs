//! Assessment rounds: who takes part (lead evaluator, evaluator, municipal respondent), the
//! status flow draft → submitted → reviewed → published and who may take each step, where
//! assessors disagree, survey answer distributions (HME), and how a result stands against
//! others on the same framework version.

use std::collections::HashMap;

use serde::Serialize;

use crate::Message;
use crate::assessment::{Answer, Framework, Rule, Scores};
use crate::coded::coded_enum;
use crate::ids::UserId;

coded_enum!(
    /// What kind of assessment a round is.
    RoundKind {
        SelfAssessment = "self_assessment",
        /// An external evaluation with interviews (Kommunkompassen).
        External = "external",
        /// A review of the municipality's web site (Informationsindex).
        WebReview = "web_review",
        /// Answers from a survey, imported as distributions (HME).
        Survey = "survey",
    }
);

coded_enum!(
    /// The part a person plays in a round.
    AssessorRole {
        /// Scores, records the agreed scores and submits.
        Lead = "lead",
        Evaluator = "evaluator",
        /// Answers for the municipality (evidence, comments, own scoring).
        Respondent = "respondent",
    }
);

coded_enum!(
    /// Where a round is on its way to the public.
    Status {
        Draft = "draft",
        Submitted = "submitted",
        Reviewed = "reviewed",
        /// Public, and its scores are measures.
        Published = "published",
    }
);

coded_enum!(
    /// A move from one status to another.
    Step {
        Submit = "submit",
        /// Back to draft for more work.
        Return = "return",
        Review = "review",
        Publish = "publish",
    }
);

/// What a person is to a round: their part in it, and whether they administer the
/// municipality's data (or everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub user: UserId,
    pub assessor: Option<AssessorRole>,
    pub admin: bool,
}

impl Step {
    /// The status the step leads to from `status`, if `who` may take it. The reviewer is
    /// never the person who submitted (four eyes); a national coordinator is an
    /// administrator everywhere.
    pub fn take(
        self,
        status: Status,
        who: &Standing,
        submitted_by: Option<UserId>,
    ) -> Result<Status, Message> {
        let lead = who.assessor == Some(AssessorRole::Lead);
        let (from, to, allowed): (&[Status], Status, bool) = match self {
            Self::Submit => (&[Status::Draft], Status::Submitted, lead),
            Self::Return => (
                &[Status::Submitted, Status::Reviewed],
                Status::Draft,
                who.admin || lead,
            ),
            Self::Review => (
                &[Status::Submitted],
                Status::Reviewed,
                who.admin && submitted_by != Some(who.user),
            ),
            Self::Publish => (&[Status::Reviewed], Status::Published, who.admin),
        };
        if !from.contains(&status) {
            return Err(Message::new("step_not_from_status")
                .with_code("status", status.code())
                .with_code("step", self.code()));
        }
        if !allowed {
            return Err(match self {
                Self::Submit => Message::new("only_lead_submits"),
                Self::Review if who.admin => Message::new("reviewer_not_submitter"),
                _ => Message::new("step_not_allowed").with_code("step", self.code()),
            });
        }
        Ok(to)
    }
}

/// Whether `who` may record their own answers now.
pub fn may_answer(status: Status, who: &Standing) -> Result<(), Message> {
    match (status, who.assessor) {
        (Status::Draft, Some(_)) => Ok(()),
        (Status::Draft, None) => Err(Message::new("only_assessors_answer")),
        (s, _) => Err(Message::new("answers_only_in_draft").with_code("status", s.code())),
    }
}

/// Whether `who` may record agreed scores (or import survey answers) now.
pub fn may_decide(status: Status, who: &Standing) -> Result<(), Message> {
    match (status, who.assessor) {
        (Status::Draft, Some(AssessorRole::Lead)) => Ok(()),
        (Status::Draft, _) => Err(Message::new("only_lead_decides")),
        (s, _) => Err(Message::new("scores_only_in_draft").with_code("status", s.code())),
    }
}

/// How the assessors' own answers to one question relate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Agreement {
    /// Nobody answered.
    Unanswered,
    /// Every answer gives the same points.
    Agreed { answer: Answer },
    /// The answers give different points: the consensus step must settle it.
    Differ { lowest: f64, highest: f64 },
}

/// Compares the assessors' answers to a question by the points they give.
pub fn agreement(rule: &Rule, answers: &[&Answer]) -> Agreement {
    let points: Vec<f64> = answers.iter().filter_map(|a| rule.points(a).ok()).collect();
    let (Some(first), Some(lowest), Some(highest)) = (
        answers.first(),
        points.iter().copied().reduce(f64::min),
        points.iter().copied().reduce(f64::max),
    ) else {
        return Agreement::Unanswered;
    };
    if (highest - lowest).abs() < 1e-9 {
        Agreement::Agreed {
            answer: (*first).clone(),
        }
    } else {
        Agreement::Differ { lowest, highest }
    }
}

/// The fewest survey answers to a statement for its index to be reported, unless the
/// framework says otherwise (HME: 10).
pub const MIN_SURVEY_ANSWERS: u64 = 10;

/// How many answered each step of a scale, lowest step first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Distribution(pub Vec<u64>);

impl Distribution {
    pub fn answers(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The mean answer on the scale that starts at `low`.
    pub fn mean(&self, low: u8) -> Option<f64> {
        let n = self.answers();
        (n > 0).then(|| {
            self.0
                .iter()
                .enumerate()
                .map(|(i, c)| (f64::from(low) + i as f64) * *c as f64)
                .sum::<f64>()
                / n as f64
        })
    }
}

/// The mean, lowest and highest of a score among the rounds compared.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Spread {
    pub fn of(values: &[f64]) -> Option<Self> {
        let n = values.len();
        (n > 0).then(|| Self {
            mean: values.iter().sum::<f64>() / n as f64,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            n,
        })
    }
}

/// One part of a result (an area or a sub-area) as a share of its maximum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    pub area: String,
    pub subarea: Option<String>,
    /// Set when the part is one question (frameworks with fewer than three areas).
    pub question: Option<String>,
    pub title: String,
    /// Score as a share of the most it can be, 0–100.
    pub share: f64,
    pub answered: usize,
}

/// Areas and sub-areas as shares of their maxima, best first (ties in framework order):
/// the head are the strengths, the tail the improvement areas.
pub fn parts_by_share(
    framework: &Framework,
    scores: &Scores,
    answers: &HashMap<String, Answer>,
) -> Vec<Part> {
    let mut parts = Vec::new();
    for (area, score) in framework.areas.iter().zip(&scores.areas) {
        if score.answered == 0 {
            continue;
        }
        let max = Framework::area_score_max(area);
        parts.push(Part {
            area: area.id.clone(),
            subarea: None,
            question: None,
            title: area.title.clone(),
            share: if max > 0.0 {
                score.score / max * 100.0
            } else {
                0.0
            },
            answered: score.answered,
        });
        let mut subareas: Vec<(&str, f64, f64, usize)> = Vec::new();
        for q in &area.questions {
            let (Some(sub), Some(answer)) = (&q.subarea, answers.get(&q.id)) else {
                continue;
            };
            let Ok(points) = q.rule.points(answer) else {
                continue;
            };
            let i = match subareas.iter().position(|(s, ..)| *s == sub.as_str()) {
                Some(i) => i,
                None => {
                    subareas.push((sub, 0.0, 0.0, 0));
                    subareas.len() - 1
                }
            };
            subareas[i].1 += points * q.weight;
            subareas[i].2 += q.rule.max() * q.weight;
            subareas[i].3 += 1;
        }
        // One sub-area covering the area says nothing the area does not.
        if subareas.len() < 2 {
            continue;
        }
        for (sub, points, max, answered) in subareas {
            parts.push(Part {
                area: area.id.clone(),
                subarea: Some(sub.to_owned()),
                question: None,
                title: format!("{} – {sub}", area.title),
                share: if max > 0.0 { points / max * 100.0 } else { 0.0 },
                answered,
            });
        }
    }
    // With fewer than three areas, strengths and weaknesses are found among the questions.
    if scores.areas.iter().filter(|a| a.answered > 0).count() < 3 {
        for (area, q) in framework.questions() {
            let Some(Ok(points)) = answers.get(&q.id).map(|a| q.rule.points(a)) else {
                continue;
            };
            let max = q.rule.max();
            parts.push(Part {
                area: area.id.clone(),
                subarea: q.subarea.clone(),
                question: Some(q.id.clone()),
                title: q.text.clone(),
                share: if max > 0.0 { points / max * 100.0 } else { 0.0 },
                answered: 1,
            });
        }
    }
    parts.sort_by(|a, b| b.share.total_cmp(&a.share));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment::{Aggregation, Area, Question};

    fn standing(assessor: Option<AssessorRole>, admin: bool) -> Standing {
        Standing {
            user: UserId(1),
            assessor,
            admin,
        }
    }

    #[test]
    fn the_status_flow_goes_draft_submitted_reviewed_published_with_four_eyes() {
        let lead = standing(Some(AssessorRole::Lead), false);
        let evaluator = standing(Some(AssessorRole::Evaluator), false);
        let admin = Standing {
            user: UserId(2),
            ..standing(None, true)
        };
        assert_eq!(
            Step::Submit.take(Status::Draft, &lead, None),
            Ok(Status::Submitted)
        );
        assert!(Step::Submit.take(Status::Draft, &evaluator, None).is_err());
        assert!(Step::Submit.take(Status::Draft, &admin, None).is_err());
        assert!(
            Step::Publish
                .take(Status::Submitted, &admin, Some(UserId(1)))
                .is_err()
        );
        assert_eq!(
            Step::Review.take(Status::Submitted, &admin, Some(UserId(1))),
            Ok(Status::Reviewed)
        );
        // The one who submitted does not review, even as an administrator.
        let lead_admin = standing(Some(AssessorRole::Lead), true);
        assert!(
            Step::Review
                .take(Status::Submitted, &lead_admin, Some(UserId(1)))
                .unwrap_err()
                .to_string()
                .contains("cannot also review")
        );
        assert!(
            Step::Review
                .take(Status::Submitted, &lead, Some(UserId(2)))
                .is_err()
        );
        assert_eq!(
            Step::Publish.take(Status::Reviewed, &admin, Some(UserId(1))),
            Ok(Status::Published)
        );
        assert!(
            Step::Publish
                .take(Status::Reviewed, &lead, Some(UserId(1)))
                .is_err()
        );
        assert_eq!(
            Step::Return.take(Status::Reviewed, &admin, Some(UserId(1))),
            Ok(Status::Draft)
        );
        assert!(
            Step::Return
                .take(Status::Published, &admin, Some(UserId(1)))
                .is_err()
        );
        assert!(Step::Return.take(Status::Draft, &lead, None).is_err());

        assert!(may_answer(Status::Draft, &evaluator).is_ok());
        assert!(may_answer(Status::Draft, &admin).is_err());
        assert!(may_answer(Status::Submitted, &lead).is_err());
        assert!(may_decide(Status::Draft, &lead).is_ok());
        assert!(may_decide(Status::Draft, &evaluator).is_err());
    }

    #[test]
    fn agreement_compares_points_not_words() {
        let rule = Rule::Choice {
            options: vec![
                ("Nej".into(), 0.0),
                ("Delvis".into(), 1.0),
                ("Ja".into(), 3.0),
                ("Ja, helt".into(), 3.0),
            ],
        };
        let (ja, helt, nej) = (
            Answer::Choice("Ja".into()),
            Answer::Choice("Ja, helt".into()),
            Answer::Choice("Nej".into()),
        );
        assert_eq!(agreement(&rule, &[]), Agreement::Unanswered);
        assert_eq!(
            agreement(&rule, &[&ja, &helt]),
            Agreement::Agreed { answer: ja.clone() }
        );
        assert_eq!(
            agreement(&rule, &[&ja, &nej, &helt]),
            Agreement::Differ {
                lowest: 0.0,
                highest: 3.0
            }
        );
    }

    #[test]
    fn a_distribution_gives_the_mean_answer() {
        // 2 x 1, 3 x 2, 5 x 3, 6 x 4, 4 x 5 = 67 / 20 = 3.35 -> index (3.35 - 1) x 25 = 58.75.
        let d = Distribution(vec![2, 3, 5, 6, 4]);
        assert_eq!(d.answers(), 20);
        let mean = d.mean(1).unwrap();
        assert!((mean - 3.35).abs() < 1e-12);
        let index = Rule::Scale { low: 1, high: 5 }
            .points(&Answer::Number(mean))
            .unwrap();
        assert!((index - 58.75).abs() < 1e-9);
        assert_eq!(Distribution(vec![0, 0]).mean(1), None);
    }

    #[test]
    fn spread_and_parts_rank_areas_and_subareas() {
        let s = Spread::of(&[506.0, 420.0, 610.0]).unwrap();
        assert_eq!((s.min, s.max, s.n), (420.0, 610.0, 3));
        assert!((s.mean - 512.0).abs() < 1e-9);
        assert_eq!(Spread::of(&[]), None);

        let q = |id: &str, sub: &str| Question {
            id: id.into(),
            text: id.into(),
            rule: Rule::Choice {
                options: vec![("Nej".into(), 0.0), ("Ja".into(), 3.0)],
            },
            weight: 1.0,
            subarea: Some(sub.into()),
        };
        let f = Framework {
            id: "f".into(),
            name: "F".into(),
            version: "1".into(),
            valid_from: "2020-01-01".into(),
            total: Aggregation::PercentOfMax,
            areas: vec![
                Area {
                    id: "a".into(),
                    title: "A".into(),
                    aggregation: Aggregation::PercentOfMax,
                    stated_max: None,
                    questions: vec![q("a1", "x"), q("a2", "x"), q("a3", "y")],
                },
                Area {
                    id: "b".into(),
                    title: "B".into(),
                    aggregation: Aggregation::ScaledTo(100.0),
                    stated_max: None,
                    questions: vec![q("b1", "z")],
                },
            ],
            measure_prefix: None,
        };
        let answers: HashMap<String, Answer> =
            [("a1", "Ja"), ("a2", "Nej"), ("a3", "Ja"), ("b1", "Nej")]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Answer::Choice((*v).to_owned())))
                .collect();
        let scores = f.score(&answers).unwrap();
        let parts = parts_by_share(&f, &scores, &answers);
        let shares: Vec<(&str, Option<&str>, i64)> = parts
            .iter()
            .filter(|p| p.question.is_none())
            .map(|p| {
                (
                    p.area.as_str(),
                    p.subarea.as_deref(),
                    p.share.round() as i64,
                )
            })
            .collect();
        assert_eq!(
            shares,
            vec![
                ("a", Some("y"), 100),
                ("a", None, 67),
                ("a", Some("x"), 50),
                ("b", None, 0),
            ],
            "b's only sub-area is not repeated"
        );
        // Two areas: the questions are ranked too, best first.
        let questions: Vec<&str> = parts.iter().filter_map(|p| p.question.as_deref()).collect();
        assert_eq!(questions, vec!["a1", "a3", "a2", "b1"]);
    }
}
