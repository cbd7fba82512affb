//! Scored assessments as data: a framework (Kommunkompassen, Informationsindex,
//! Delaktighetsindex, HME, or one a user writes) is areas of questions, each with a scoring
//! rule, a weight and a maximum; area and total scores are sums, shares of the maximum,
//! means of indices, or points scaled to a fixed maximum. One engine scores them all.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::{MeasureId, Message};

/// How one question is scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// Named choices with their points, e.g. Nej / Delvis / Ja = 0 / 1 / 3.
    Choice { options: Vec<(String, f64)> },
    /// A whole number from `low` to `high` mapped linearly onto 0–100 (HME: 1–5, (v−1)×25).
    Scale { low: u8, high: u8 },
    /// A number of points between `min` and `max`, taken as it is.
    Number { min: f64, max: f64 },
}

impl Rule {
    /// The most points an answer can earn (before the weight).
    pub fn max(&self) -> f64 {
        match self {
            Self::Choice { options } => options.iter().map(|(_, p)| *p).fold(0.0, f64::max),
            Self::Scale { .. } => 100.0,
            Self::Number { max, .. } => *max,
        }
    }

    /// Reads an answer as a form or file gives it: a choice's label, or a number (with a
    /// decimal comma or point) for scales and numbers.
    pub fn parse_answer(&self, text: &str) -> Result<Answer, Message> {
        let text = text.trim();
        let answer = match self {
            Self::Choice { .. } => Answer::Choice(text.to_owned()),
            Self::Scale { .. } | Self::Number { .. } => Answer::Number(
                text.replace(',', ".")
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        Message::new("not_a_number").with("value", format!("{text:?}"))
                    })?,
            ),
        };
        self.points(&answer)?;
        Ok(answer)
    }

    /// The points of an answer, or why the answer does not fit the rule.
    pub fn points(&self, answer: &Answer) -> Result<f64, Message> {
        match (self, answer) {
            (Self::Choice { options }, Answer::Choice(c)) => options
                .iter()
                .find(|(label, _)| label == c)
                .map(|(_, p)| *p)
                .ok_or_else(|| {
                    let labels: Vec<&str> = options.iter().map(|(l, _)| l.as_str()).collect();
                    Message::new("not_a_choice")
                        .with("value", format!("{c:?}"))
                        .with("choices", labels.join(", "))
                }),
            (Self::Scale { low, high }, Answer::Number(v)) => {
                let (lo, hi) = (f64::from(*low), f64::from(*high));
                if (lo..=hi).contains(v) {
                    Ok((v - lo) / (hi - lo) * 100.0)
                } else {
                    Err(Message::new("outside_scale")
                        .with("value", v)
                        .with("low", low)
                        .with("high", high))
                }
            }
            (Self::Number { min, max }, Answer::Number(v)) => {
                if (*min..=*max).contains(v) {
                    Ok(*v)
                } else {
                    Err(Message::new("outside_range")
                        .with("value", v)
                        .with("min", min)
                        .with("max", max))
                }
            }
            (_, a) => Err(Message::new("answer_misfits_rule").with("answer", format!("{a:?}"))),
        }
    }
}

/// An answer to one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Choice(String),
    Number(f64),
}

impl std::fmt::Display for Answer {
    /// The text `Rule::parse_answer` reads back.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Choice(c) => f.write_str(c),
            Self::Number(v) => write!(f, "{v}"),
        }
    }
}

/// How an area's (or the total's) score is made from its parts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Aggregation {
    /// The sum of the weighted points.
    Sum,
    /// Points as a share of the maximum, 0–100 (Informationsindex, Delaktighetsindex).
    PercentOfMax,
    /// The mean of the parts' indices (HME: each statement's index, then the means).
    MeanOfIndices,
    /// Points scaled so that the maximum is this number (Kommunkompassen: 100 per area).
    ScaledTo(f64),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub rule: Rule,
    pub weight: f64,
    /// The sub-area the question belongs to within its area, if the framework has them.
    pub subarea: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Area {
    pub id: String,
    pub title: String,
    pub aggregation: Aggregation,
    /// The maximum the framework states for the area, checked against its questions.
    pub stated_max: Option<f64>,
    pub questions: Vec<Question>,
}

/// The most areas, questions in all, and choices per question a framework may have.
const MAX_AREAS: usize = 100;
const MAX_QUESTIONS: usize = 2_000;
const MAX_CHOICES: usize = 100;

/// A versioned framework. A new version is a new framework; results on different versions
/// are not directly comparable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Framework {
    pub id: String,
    pub name: String,
    pub version: String,
    pub valid_from: String,
    /// How the total is made from the area scores.
    pub total: Aggregation,
    pub areas: Vec<Area>,
    /// When set, published results become measures: the total as `PREFIX`, the areas as
    /// `PREFIX-1`, `PREFIX-2`, ... in the order of the areas.
    pub measure_prefix: Option<String>,
}

/// One area's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaScore {
    pub id: String,
    /// The area's score by its aggregation.
    pub score: f64,
    /// Weighted points earned and possible over the answered questions.
    pub points: f64,
    pub max: f64,
    pub answered: usize,
    pub questions: usize,
}

/// A whole result: per area and in total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    pub areas: Vec<AreaScore>,
    pub total: f64,
}

impl Aggregation {
    /// The highest score this aggregation gives when the most points possible are `max`.
    pub fn score_max(self, max: f64) -> f64 {
        match self {
            Self::Sum => max,
            Self::PercentOfMax | Self::MeanOfIndices => 100.0,
            Self::ScaledTo(to) => to,
        }
    }
}

fn aggregate(agg: Aggregation, points: f64, max: f64, indices: &[f64]) -> f64 {
    match agg {
        Aggregation::Sum => points,
        Aggregation::PercentOfMax => {
            if max > 0.0 {
                points / max * 100.0
            } else {
                0.0
            }
        }
        Aggregation::MeanOfIndices => {
            if indices.is_empty() {
                0.0
            } else {
                indices.iter().sum::<f64>() / indices.len() as f64
            }
        }
        Aggregation::ScaledTo(to) => {
            if max > 0.0 {
                points / max * to
            } else {
                0.0
            }
        }
    }
}

impl Framework {
    /// Every question with its area.
    pub fn questions(&self) -> impl Iterator<Item = (&Area, &Question)> {
        self.areas
            .iter()
            .flat_map(|a| a.questions.iter().map(move |q| (a, q)))
    }

    /// The most weighted points an area can earn.
    pub fn area_max(area: &Area) -> f64 {
        area.questions.iter().map(|q| q.rule.max() * q.weight).sum()
    }

    /// The highest score an area can have (100 for a share, 800 / 8 areas for Kommunkompassen).
    pub fn area_score_max(area: &Area) -> f64 {
        area.aggregation
            .score_max(area.stated_max.unwrap_or_else(|| Self::area_max(area)))
    }

    /// The highest total score.
    pub fn total_max(&self) -> f64 {
        match self.total {
            Aggregation::Sum => self.areas.iter().map(Self::area_score_max).sum(),
            agg => agg.score_max(self.areas.iter().map(Self::area_max).sum()),
        }
    }

    /// The measures a published result becomes: (id, area index or `None` for the total).
    pub fn measure_ids(&self) -> Vec<(MeasureId, Option<usize>)> {
        let Some(prefix) = &self.measure_prefix else {
            return Vec::new();
        };
        std::iter::once((prefix.clone(), None))
            .chain((0..self.areas.len()).map(|i| (format!("{prefix}-{}", i + 1), Some(i))))
            .filter_map(|(id, area)| MeasureId::parse(&id).ok().map(|m| (m, area)))
            .collect()
    }

    /// Everything wrong with the framework, each naming its place.
    pub fn validate(&self) -> Result<(), Vec<Message>> {
        let mut errors = Vec::new();
        use crate::text::{check_len, check_slug, max_chars};
        if self.id.trim().is_empty() || self.version.trim().is_empty() {
            errors.push(Message::new("framework_needs_id"));
        } else {
            errors.extend(check_slug("id", &self.id).err());
            errors.extend(check_slug("version", &self.version).err());
        }
        errors.extend(check_len("name", &self.name, max_chars::TITLE).err());
        if self.areas.len() > MAX_AREAS {
            errors.push(Message::in_field(
                "areas",
                Message::new("too_many")
                    .with("max", MAX_AREAS)
                    .with("given", self.areas.len()),
            ));
        }
        let question_count: usize = self.areas.iter().map(|a| a.questions.len()).sum();
        if question_count > MAX_QUESTIONS {
            errors.push(Message::in_field(
                "questions",
                Message::new("too_many")
                    .with("max", MAX_QUESTIONS)
                    .with("given", question_count),
            ));
        }
        if let Some(prefix) = &self.measure_prefix {
            let longest = format!("{prefix}-{}", self.areas.len());
            match MeasureId::parse(&longest) {
                Err(_) => errors.push(Message::in_field(
                    "measure_prefix",
                    Message::new("prefix_too_long")
                        .with("value", format!("{prefix:?}"))
                        .with("longest", format!("{longest:?}")),
                )),
                Ok(_) if MeasureId::parse(prefix).is_ok_and(|m| m.is_kolada()) => {
                    errors.push(Message::in_field(
                        "measure_prefix",
                        Message::new("prefix_is_kolada").with("value", format!("{prefix:?}")),
                    ))
                }
                // "X0180" would publish "X0180-1": a municipality's own measure.
                Ok(m)
                    if m.own_namespace().is_some()
                        || MeasureId::parse(prefix).is_ok_and(|p| p.own_namespace().is_some()) =>
                {
                    errors.push(Message::in_field(
                        "measure_prefix",
                        Message::new("prefix_is_own").with("value", format!("{prefix:?}")),
                    ))
                }
                Ok(_) => {}
            }
        }
        let mut areas = HashSet::new();
        let mut questions = HashSet::new();
        for (a, area) in self.areas.iter().enumerate() {
            errors.extend(check_slug(&format!("areas[{a}].id"), &area.id).err());
            errors.extend(
                check_len(&format!("areas[{a}].title"), &area.title, max_chars::TITLE).err(),
            );
            if !areas.insert(area.id.as_str()) {
                errors.push(at(
                    &format!("areas[{a}]"),
                    Message::new("area_twice").with("id", format!("{:?}", area.id)),
                ));
            }
            for (q, question) in area.questions.iter().enumerate() {
                let place = format!("areas[{a}].questions[{q}]");
                errors.extend(check_slug(&format!("{place}.id"), &question.id).err());
                errors.extend(
                    check_len(
                        &format!("{place}.text"),
                        &question.text,
                        max_chars::QUESTION,
                    )
                    .err(),
                );
                if let Some(sub) = &question.subarea {
                    errors.extend(
                        check_len(&format!("{place}.subarea"), sub, max_chars::TITLE).err(),
                    );
                }
                if !questions.insert(question.id.as_str()) {
                    errors.push(at(
                        &place,
                        Message::new("question_twice").with("id", format!("{:?}", question.id)),
                    ));
                }
                if !(question.weight.is_finite() && question.weight > 0.0) {
                    errors.push(at(&place, Message::new("weight_not_positive")));
                }
                match &question.rule {
                    Rule::Choice { options } if options.is_empty() => {
                        errors.push(at(&place, Message::new("choice_needs_options")));
                    }
                    Rule::Choice { options } => {
                        let mut labels = HashSet::new();
                        if options.len() > MAX_CHOICES {
                            errors.push(at(
                                &place,
                                Message::new("too_many_choices").with("max", MAX_CHOICES),
                            ));
                        }
                        for (label, points) in options {
                            errors.extend(
                                check_len(&format!("{place}.options"), label, max_chars::QUESTION)
                                    .err(),
                            );
                            if !labels.insert(label.as_str()) {
                                errors.push(at(
                                    &place,
                                    Message::new("choice_twice")
                                        .with("label", format!("{label:?}")),
                                ));
                            }
                            if !points.is_finite() || *points < 0.0 {
                                errors.push(at(
                                    &place,
                                    Message::new("choice_bad_points")
                                        .with("label", format!("{label:?}"))
                                        .with("points", points),
                                ));
                            }
                        }
                    }
                    Rule::Scale { low, high } if low >= high => {
                        errors.push(at(
                            &place,
                            Message::new("empty_scale")
                                .with("low", low)
                                .with("high", high),
                        ));
                    }
                    Rule::Number { min, max }
                        if min.partial_cmp(max) != Some(std::cmp::Ordering::Less) =>
                    {
                        errors.push(at(
                            &place,
                            Message::new("empty_range")
                                .with("min", min)
                                .with("max", max),
                        ));
                    }
                    _ => {}
                }
            }
            if let Some(stated) = area.stated_max {
                let computed = Self::area_max(area);
                // An area with no questions loaded yet (Kommunkompassen's criteria are
                // SKR's) states its maximum and is scored from area-level answers.
                if !area.questions.is_empty() && (computed - stated).abs() > 1e-9 {
                    errors.push(at(
                        &format!("areas[{a}] {:?}", area.id),
                        Message::new("max_differs")
                            .with("computed", computed)
                            .with("stated", stated),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Scores answers by question id. An answer to a question not in this version, or one
    /// outside its rule, is an error naming the question; unanswered questions are left out
    /// of both points and maximum (the report says "n of N answered").
    pub fn score(&self, answers: &HashMap<String, Answer>) -> Result<Scores, Vec<Message>> {
        let known: HashSet<&str> = self.questions().map(|(_, q)| q.id.as_str()).collect();
        let mut unknown: Vec<&String> = answers
            .keys()
            .filter(|k| !known.contains(k.as_str()))
            .collect();
        unknown.sort();
        let mut errors: Vec<Message> = unknown
            .into_iter()
            .map(|k| {
                Message::new("question_not_in_framework")
                    .with("question", format!("{k:?}"))
                    .with("framework", format!("{} {}", self.id, self.version))
            })
            .collect();
        let mut areas = Vec::new();
        for area in &self.areas {
            let (mut points, mut max, mut indices, mut answered) = (0.0, 0.0, Vec::new(), 0);
            for q in &area.questions {
                let Some(answer) = answers.get(&q.id) else {
                    continue;
                };
                match q.rule.points(answer) {
                    Ok(p) => {
                        points += p * q.weight;
                        max += q.rule.max() * q.weight;
                        let m = q.rule.max();
                        indices.push(if m > 0.0 { p / m * 100.0 } else { 0.0 });
                        answered += 1;
                    }
                    Err(e) => errors.push(at(&format!("{:?}", q.id), e)),
                }
            }
            areas.push(AreaScore {
                id: area.id.clone(),
                score: aggregate(area.aggregation, points, max, &indices),
                points,
                max,
                answered,
                questions: area.questions.len(),
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let points: f64 = areas.iter().map(|a| a.points).sum();
        let max: f64 = areas.iter().map(|a| a.max).sum();
        let area_scores: Vec<f64> = areas
            .iter()
            .filter(|a| a.answered > 0)
            .map(|a| a.score)
            .collect();
        let total = match self.total {
            // The total of area scores (Kommunkompassen: eight areas of 100 = 800).
            Aggregation::Sum => area_scores.iter().sum(),
            agg => aggregate(agg, points, max, &area_scores),
        };
        Ok(Scores { areas, total })
    }
}

/// `problem` at a place of a framework or file (`areas[0].questions[2]`, a question's id).
fn at(place: &str, problem: Message) -> Message {
    Message::new("at_place")
        .with("place", place)
        .with_said("problem", problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(id: &str, options: &[(&str, f64)]) -> Question {
        Question {
            id: id.into(),
            text: id.into(),
            rule: Rule::Choice {
                options: options.iter().map(|(l, p)| ((*l).to_owned(), *p)).collect(),
            },
            weight: 1.0,
            subarea: None,
        }
    }

    fn area(id: &str, agg: Aggregation, questions: Vec<Question>) -> Area {
        Area {
            id: id.into(),
            title: id.into(),
            aggregation: agg,
            stated_max: None,
            questions,
        }
    }

    fn framework(total: Aggregation, areas: Vec<Area>) -> Framework {
        Framework {
            id: "f".into(),
            name: "F".into(),
            version: "1".into(),
            valid_from: "2020-01-01".into(),
            total,
            areas,
            measure_prefix: None,
        }
    }

    const NDJ: [(&str, f64); 3] = [("Nej", 0.0), ("Delvis", 1.0), ("Ja", 3.0)];

    fn answers(pairs: &[(&str, Answer)]) -> HashMap<String, Answer> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn delaktighetsindex_is_points_over_max_and_matches_published_values() {
        // 18 questions of Nej/Delvis/Ja = 0/1/3: max 54; 28 points = 52 % (Enköping 2016).
        let qs: Vec<Question> = (1..=18).map(|i| choice(&format!("q{i}"), &NDJ)).collect();
        let f = framework(
            Aggregation::PercentOfMax,
            vec![area("all", Aggregation::PercentOfMax, qs)],
        );
        f.validate().unwrap();
        let mut a = HashMap::new();
        for i in 1..=9 {
            a.insert(format!("q{i}"), Answer::Choice("Ja".into()));
        }
        a.insert("q10".into(), Answer::Choice("Delvis".into()));
        for i in 11..=18 {
            a.insert(format!("q{i}"), Answer::Choice("Nej".into()));
        }
        let s = f.score(&a).unwrap();
        assert_eq!(s.areas[0].points, 28.0);
        assert_eq!(s.areas[0].max, 54.0);
        assert_eq!(s.total.round(), 52.0);
    }

    #[test]
    fn hme_statements_map_1_to_5_onto_0_to_100_and_average() {
        let scale = |id: &str| Question {
            id: id.into(),
            text: id.into(),
            rule: Rule::Scale { low: 1, high: 5 },
            weight: 1.0,
            subarea: None,
        };
        let f = framework(
            Aggregation::MeanOfIndices,
            vec![
                area(
                    "motivation",
                    Aggregation::MeanOfIndices,
                    vec![scale("1"), scale("2"), scale("3")],
                ),
                area(
                    "ledarskap",
                    Aggregation::MeanOfIndices,
                    vec![scale("4"), scale("5"), scale("6")],
                ),
            ],
        );
        let s = f
            .score(&answers(&[
                ("1", Answer::Number(4.2)),
                ("2", Answer::Number(4.0)),
                ("3", Answer::Number(3.8)),
                ("4", Answer::Number(5.0)),
                ("5", Answer::Number(3.0)),
                ("6", Answer::Number(4.0)),
            ]))
            .unwrap();
        assert!(
            (s.areas[0].score - 75.0).abs() < 1e-9,
            "(4.0 - 1) x 25 on average"
        );
        assert!((s.areas[1].score - 75.0).abs() < 1e-9);
        assert!((s.total - 75.0).abs() < 1e-9);
    }

    #[test]
    fn kommunkompassen_areas_of_100_sum_to_800_as_grastorp_2014() {
        // Area-level answers (the published scores): 61 60 73 53 70 56 65 68 = 506.
        let areas: Vec<Area> = (1..=8)
            .map(|i| Area {
                id: format!("{i}"),
                title: format!("{i}"),
                aggregation: Aggregation::ScaledTo(100.0),
                stated_max: Some(100.0),
                questions: vec![Question {
                    id: format!("a{i}"),
                    text: "poäng".into(),
                    rule: Rule::Number {
                        min: 0.0,
                        max: 100.0,
                    },
                    weight: 1.0,
                    subarea: None,
                }],
            })
            .collect();
        let f = framework(Aggregation::Sum, areas);
        f.validate().unwrap();
        let published = [61.0, 60.0, 73.0, 53.0, 70.0, 56.0, 65.0, 68.0];
        let a: HashMap<String, Answer> = published
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("a{}", i + 1), Answer::Number(*p)))
            .collect();
        let s = f.score(&a).unwrap();
        assert_eq!(s.total, 506.0);
        assert_eq!(s.areas[2].score, 73.0);
    }

    #[test]
    fn informationsindex_scores_0_1_3_and_weights_count() {
        let mut heavy = choice("b", &[("0", 0.0), ("1", 1.0), ("3", 3.0)]);
        heavy.weight = 2.0;
        let f = framework(
            Aggregation::PercentOfMax,
            vec![area(
                "förskola",
                Aggregation::PercentOfMax,
                vec![choice("a", &[("0", 0.0), ("1", 1.0), ("3", 3.0)]), heavy],
            )],
        );
        let s = f
            .score(&answers(&[
                ("a", Answer::Choice("3".into())),
                ("b", Answer::Choice("1".into())),
            ]))
            .unwrap();
        assert_eq!((s.areas[0].points, s.areas[0].max), (5.0, 9.0));
        assert!((s.total - 500.0 / 9.0).abs() < 1e-9);
    }

    #[test]
    fn bad_answers_and_frameworks_are_refused_with_their_place() {
        let f = framework(
            Aggregation::PercentOfMax,
            vec![area(
                "x",
                Aggregation::PercentOfMax,
                vec![choice("a", &NDJ)],
            )],
        );
        let e = f
            .score(&answers(&[
                ("a", Answer::Choice("Kanske".into())),
                ("zz", Answer::Number(1.0)),
            ]))
            .unwrap_err();
        assert!(
            e.iter()
                .any(|m| m.to_string().contains("\"zz\" is not in f 1")),
            "{e:?}"
        );
        assert!(
            e.iter().any(|m| m
                .to_string()
                .contains("\"Kanske\" is not one of Nej, Delvis, Ja")),
            "{e:?}"
        );
        let scale = Question {
            id: "s".into(),
            text: "s".into(),
            rule: Rule::Scale { low: 1, high: 5 },
            weight: 1.0,
            subarea: None,
        };
        let f = framework(
            Aggregation::MeanOfIndices,
            vec![area("x", Aggregation::MeanOfIndices, vec![scale])],
        );
        assert!(
            f.score(&answers(&[("s", Answer::Number(6.0))]))
                .unwrap_err()[0]
                .to_string()
                .contains("outside the scale 1–5")
        );

        let mut twice = framework(
            Aggregation::Sum,
            vec![
                area(
                    "x",
                    Aggregation::Sum,
                    vec![choice("a", &NDJ), choice("a", &NDJ)],
                ),
                area("x", Aggregation::Sum, vec![]),
            ],
        );
        twice.areas[0].stated_max = Some(10.0);
        let e = twice.validate().unwrap_err();
        assert!(
            e.iter().any(|m| m
                .to_string()
                .contains("areas[0].questions[1]: the question id \"a\" is used twice")),
            "{e:?}"
        );
        assert!(
            e.iter().any(|m| m
                .to_string()
                .contains("areas[1]: the area id \"x\" is used twice")),
            "{e:?}"
        );
        assert!(
            e.iter().any(|m| m
                .to_string()
                .contains("add up to 6, not the stated maximum 10")),
            "{e:?}"
        );

        // The probe: an id with < or " was saved and broke publishing at the last step; a
        // name of megabytes made a page of megabytes; a prefix could publish into a
        // municipality's own measures.
        let mut bad = framework(
            Aggregation::Sum,
            vec![area("y", Aggregation::Sum, vec![choice("b\"", &NDJ)])],
        );
        bad.id = "kk<script>".into();
        bad.version = "2020\"".into();
        bad.name = "n".repeat(201);
        bad.measure_prefix = Some("X0180".into());
        let e = bad
            .validate()
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        for expected in [
            "Id: \"kk<script>\" must be",
            "Version: \"2020\\\"\" must be",
            "Name: at most 200 characters",
            "areas[0].questions[0].id: \"b\\\"\" must be",
            "Measure prefix (measure_prefix): \"X0180\" would give ids in a municipality's own namespace",
        ] {
            assert!(e.contains(expected), "{expected} in {e}");
        }
    }
}
