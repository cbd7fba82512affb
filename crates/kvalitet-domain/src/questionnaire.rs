//! A survey's questionnaire: sections of questions (single and multiple choice, 1–5 and 0–10
//! scales, numbers, free text, each optionally with "vet ej"), Swedish texts with English
//! beside them, and simple conditions (show a question when an earlier one was answered with
//! one of some options). The rules a questionnaire must follow, which questions a set of
//! answers shows, and reading one answer as a form sends it (docs/surveys.md).

use std::collections::{BTreeMap, BTreeSet};

use crate::Message;
use crate::coded::coded_enum;

coded_enum!(
    /// What a question asks for.
    QuestionKind {
        Single = "single",
        Multiple = "multiple",
        Scale = "scale",
        Number = "number",
        Text = "text",
    }
);

/// A text in Swedish, and in English where it has been translated (else Swedish is shown).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bilingual {
    pub sv: String,
    pub en: Option<String>,
}

impl Bilingual {
    /// The text in English when it has one.
    pub fn in_english(&self, english: bool) -> &str {
        match (&self.en, english) {
            (Some(en), true) => en,
            _ => &self.sv,
        }
    }
}

/// One option of a choice question: a stable code (what is stored and counted) and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub code: String,
    pub text: Bilingual,
}

/// Show a question only when an earlier single- or multiple-choice question was answered
/// with one of `any_of`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub question: String,
    pub any_of: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: String,
    pub kind: QuestionKind,
    pub text: Bilingual,
    pub help: Option<Bilingual>,
    /// The options of a choice question.
    pub options: Vec<Choice>,
    /// A scale's ends (1–5 or 0–10) with their words, or a number's bounds.
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub low_label: Option<Bilingual>,
    pub high_label: Option<Bilingual>,
    /// "Vet ej" is offered (and counted apart, never as a value).
    pub dont_know: bool,
    pub required: bool,
    pub show_if: Option<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub title: Bilingual,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Questionnaire {
    pub id: String,
    pub title: Bilingual,
    pub intro: Option<Bilingual>,
    pub sections: Vec<Section>,
}

impl Questionnaire {
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| &s.questions)
    }
}

/// Bounds far above any questionnaire's.
pub const MAX_QUESTIONS: usize = 500;
pub const MAX_OPTIONS: usize = 100;
const MAX_TEXT_CHARS: usize = 2_000;
/// The longest free-text answer.
pub const MAX_ANSWER_CHARS: usize = 4_000;
/// The scales a question can have: 1–5 and 0–10.
pub const SCALES: [(f64, f64); 2] = [(1.0, 5.0), (0.0, 10.0)];

/// Everything wrong with a questionnaire, each naming its question: ids, texts, options,
/// scales, bounds and conditions (which must look back, to a choice question, at its
/// options).
pub fn questionnaire_problems(q: &Questionnaire) -> Vec<Message> {
    let mut problems = Vec::new();
    if let Err(e) = crate::text::check_slug("id", &q.id) {
        problems.push(e);
    }
    if q.title.sv.trim().is_empty() {
        problems.push(Message::in_field(
            "title",
            Message::new("give_title").with("max", MAX_TEXT_CHARS),
        ));
    }
    let count = q.questions().count();
    if count == 0 {
        problems.push(Message::new("questionnaire_empty"));
    }
    if count > MAX_QUESTIONS {
        return vec![Message::new("too_many_questions").with("max", MAX_QUESTIONS)];
    }
    // The questions met so far, for conditions (which may only look back).
    let mut earlier: BTreeMap<&str, &Question> = BTreeMap::new();
    for question in q.questions() {
        let at = |problem: Message| {
            Message::new("at_question")
                .with("question", format!("{:?}", question.id))
                .with_said("problem", problem)
        };
        if let Err(e) = crate::text::check_slug("id", &question.id) {
            problems.push(at(e));
        }
        if earlier.contains_key(question.id.as_str()) {
            problems.push(at(Message::new("question_listed_twice")));
        }
        let text_chars = question.text.sv.trim().chars().count();
        if text_chars == 0 || text_chars > MAX_TEXT_CHARS {
            problems.push(at(Message::in_field(
                "text",
                Message::new("give_title").with("max", MAX_TEXT_CHARS),
            )));
        }
        problems.extend(kind_problems(question).into_iter().map(at));
        if let Some(condition) = &question.show_if {
            match earlier.get(condition.question.as_str()) {
                None => problems.push(at(Message::in_field(
                    "show_if",
                    Message::new("condition_looks_back").with("question", &condition.question),
                ))),
                Some(asked) => {
                    if !matches!(asked.kind, QuestionKind::Single | QuestionKind::Multiple) {
                        problems.push(at(Message::in_field(
                            "show_if",
                            Message::new("condition_on_choice")
                                .with("question", &condition.question),
                        )));
                    }
                    for code in &condition.any_of {
                        if !asked.options.iter().any(|o| o.code == *code) {
                            problems.push(at(Message::in_field(
                                "show_if",
                                Message::new("option_unknown")
                                    .with("option", format!("{code:?}"))
                                    .with("question", &condition.question),
                            )));
                        }
                    }
                    if condition.any_of.is_empty() {
                        problems.push(at(Message::in_field(
                            "show_if",
                            Message::new("condition_empty"),
                        )));
                    }
                }
            }
        }
        earlier.insert(&question.id, question);
    }
    problems
}

/// What is wrong with a question for its kind.
fn kind_problems(q: &Question) -> Vec<Message> {
    let mut problems = Vec::new();
    let choice = matches!(q.kind, QuestionKind::Single | QuestionKind::Multiple);
    if choice {
        if q.options.len() < 2 || q.options.len() > MAX_OPTIONS {
            problems.push(Message::in_field(
                "options",
                Message::new("options_count").with("max", MAX_OPTIONS),
            ));
        }
        let mut codes = BTreeSet::new();
        for o in &q.options {
            if let Err(e) = crate::text::check_slug("options", &o.code) {
                problems.push(e);
            }
            if !codes.insert(o.code.as_str()) {
                problems.push(Message::in_field(
                    "options",
                    Message::new("option_listed_twice").with("option", &o.code),
                ));
            }
            if o.text.sv.trim().is_empty() {
                problems.push(Message::in_field(
                    "options",
                    Message::new("option_needs_text").with("option", &o.code),
                ));
            }
        }
    } else if !q.options.is_empty() {
        problems.push(Message::in_field(
            "options",
            Message::new("options_only_for_choices"),
        ));
    }
    match q.kind {
        QuestionKind::Scale => {
            let ends = (q.low.unwrap_or(1.0), q.high.unwrap_or(5.0));
            if !SCALES.contains(&ends) {
                problems.push(Message::in_field(
                    "scale",
                    Message::new("scale_not_offered")
                        .with("low", ends.0)
                        .with("high", ends.1),
                ));
            }
        }
        QuestionKind::Number => {
            if let (Some(low), Some(high)) = (q.low, q.high)
                && !(low.is_finite() && high.is_finite() && low < high)
            {
                problems.push(Message::in_field(
                    "low",
                    Message::new("bounds_backwards")
                        .with("low", low)
                        .with("high", high),
                ));
            }
        }
        _ => {}
    }
    problems
}

/// One answer as stored and counted (stored as JSON: `{"choice": "ja"}`, `"dont_know"`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Choice(String),
    Choices(Vec<String>),
    Number(f64),
    Text(String),
    DontKnow,
}

/// The code a "vet ej" answer is sent as.
pub const DONT_KNOW: &str = "vet_ej";

/// Reads one question's answer as a form sends it (`sent`: its field's values, several for a
/// multiple choice): `None` when left empty (refused if the question is required), else the
/// answer or the problem, said for the field.
pub fn read_answer(q: &Question, sent: &[&str]) -> Result<Option<Answer>, Message> {
    let given: Vec<&str> = sent
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if given.is_empty() {
        return if q.required {
            Err(Message::new("answer_required"))
        } else {
            Ok(None)
        };
    }
    if q.dont_know && given == [DONT_KNOW] {
        return Ok(Some(Answer::DontKnow));
    }
    let known = |code: &str| q.options.iter().any(|o| o.code == code);
    let answer = match q.kind {
        QuestionKind::Single => match given[..] {
            [code] if known(code) => Answer::Choice(code.to_owned()),
            _ => return Err(Message::new("choose_one_option")),
        },
        QuestionKind::Multiple => {
            let mut codes: Vec<String> = Vec::new();
            for code in given {
                if !known(code) {
                    return Err(Message::new("choose_listed_options"));
                }
                if !codes.iter().any(|c| c == code) {
                    codes.push(code.to_owned());
                }
            }
            Answer::Choices(codes)
        }
        QuestionKind::Scale | QuestionKind::Number => {
            let [text] = given[..] else {
                return Err(Message::new("one_number"));
            };
            let x = crate::swedish::parse_number(text)
                .ok_or_else(|| Message::new("not_a_number").with("value", format!("{text:?}")))?;
            let (low, high) = match q.kind {
                QuestionKind::Scale => (q.low.or(Some(1.0)), q.high.or(Some(5.0))),
                _ => (q.low, q.high),
            };
            let whole = q.kind == QuestionKind::Number || x.fract() == 0.0;
            if low.is_some_and(|l| x < l) || high.is_some_and(|h| x > h) || !whole {
                let code = if q.kind == QuestionKind::Scale {
                    "scale_answer_outside"
                } else {
                    "number_out_of_range"
                };
                return Err(Message::new(code)
                    .with("low", low.map_or_else(|| "–".to_owned(), |l| l.to_string()))
                    .with(
                        "high",
                        high.map_or_else(|| "–".to_owned(), |h| h.to_string()),
                    ));
            }
            Answer::Number(x)
        }
        QuestionKind::Text => {
            let text = given.join("\n");
            crate::text::check_len("answer", &text, MAX_ANSWER_CHARS)?;
            Answer::Text(text)
        }
    };
    Ok(Some(answer))
}

/// Whether a question is shown, given the answers so far: always without a condition, else
/// when its question was answered with one of the options.
pub fn shown(q: &Question, answers: &BTreeMap<String, Answer>) -> bool {
    let Some(c) = &q.show_if else {
        return true;
    };
    match answers.get(&c.question) {
        Some(Answer::Choice(code)) => c.any_of.contains(code),
        Some(Answer::Choices(codes)) => codes.iter().any(|code| c.any_of.contains(code)),
        _ => false,
    }
}

/// Reads a whole answer page as a form sends it (`fields`: each question's values by its id),
/// in the questionnaire's order: answers to questions a condition hides are dropped (a
/// browser without script sends them), a required question counts only when shown. Every
/// problem is said for its question's field.
pub fn read_submission(
    q: &Questionnaire,
    fields: &BTreeMap<String, Vec<String>>,
) -> Result<BTreeMap<String, Answer>, Vec<Message>> {
    let mut answers = BTreeMap::new();
    let mut problems = Vec::new();
    for question in q.questions() {
        if !shown(question, &answers) {
            continue;
        }
        let sent: Vec<&str> = fields
            .get(&question.id)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        match read_answer(question, &sent) {
            Ok(Some(answer)) => {
                answers.insert(question.id.clone(), answer);
            }
            Ok(None) => {}
            Err(problem) => problems.push(Message::in_field(question.id.clone(), problem)),
        }
    }
    if problems.is_empty() {
        Ok(answers)
    } else {
        Err(problems)
    }
}

/// The questions of `new` that keep an id of `old` but ask something else (another kind,
/// text, options, scale or condition): once answers have been given, a changed question must
/// be a new question with a new id, or the answers of two versions would be counted together
/// as if the same thing had been asked. Translations and help texts may change.
pub fn changed_questions(old: &Questionnaire, new: &Questionnaire) -> Vec<String> {
    let asked = |q: &Question| {
        (
            q.kind,
            q.text.sv.clone(),
            q.options
                .iter()
                .map(|o| (o.code.clone(), o.text.sv.clone()))
                .collect::<Vec<_>>(),
            q.low.map(f64::to_bits),
            q.high.map(f64::to_bits),
            q.show_if.clone().map(|c| (c.question, c.any_of)),
            q.dont_know,
        )
    };
    new.questions()
        .filter(|n| {
            old.questions()
                .any(|o| o.id == n.id && asked(o) != asked(n))
        })
        .map(|n| n.id.clone())
        .collect()
}

/// A question as the question form sends it: where it goes (an existing section by its
/// number, or a new section's title), and its fields as typed. Options are one per line,
/// `code = text` or just the text (its code made from it); a scale is `1-5` or `0-10`; a
/// condition names an earlier question and the codes that show this one, separated by
/// commas.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct QuestionFields {
    pub section: String,
    pub new_section: String,
    pub id: String,
    pub kind: String,
    pub text: String,
    pub text_en: String,
    pub help: String,
    pub options: String,
    pub scale: String,
    pub low_label: String,
    pub high_label: String,
    pub dont_know: String,
    pub required: String,
    pub show_if: String,
    pub show_if_answers: String,
}

/// One change of the question form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionEdit {
    Add(Box<QuestionFields>),
    /// Removes the question with this id (and any condition on it is refused by the rules).
    Remove(String),
}

/// A code made from an option's text: lower case ASCII letters and digits joined by `_`
/// (å, ä → a, ö → o), at most 40 characters.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    for c in text.to_lowercase().chars() {
        let c = match c {
            'å' | 'ä' | 'à' | 'á' => 'a',
            'ö' | 'ø' | 'ó' => 'o',
            'é' | 'è' => 'e',
            'ü' => 'u',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            code.push(c);
        } else if !code.is_empty() && !code.ends_with('_') {
            code.push('_');
        }
    }
    let code = code.trim_end_matches('_');
    code.chars().take(40).collect()
}

fn filled(text: &str) -> Option<Bilingual> {
    let t = text.trim();
    (!t.is_empty()).then(|| Bilingual {
        sv: t.to_owned(),
        en: None,
    })
}

/// The question the form describes, or each problem of its own fields (the whole
/// questionnaire's rules are checked after the change, by [`apply_question_edit`]).
pub fn question_from_fields(f: &QuestionFields) -> Result<Question, Vec<Message>> {
    let mut problems = Vec::new();
    let kind = QuestionKind::parse(f.kind.trim()).unwrap_or_else(|| {
        problems.push(Message::in_field(
            "kind",
            Message::new("not_a_question_kind").with("value", format!("{:?}", f.kind)),
        ));
        QuestionKind::Text
    });
    let options: Vec<Choice> = f
        .options
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| match line.split_once(" = ") {
            Some((code, text)) => Choice {
                code: code.trim().to_owned(),
                text: Bilingual {
                    sv: text.trim().to_owned(),
                    en: None,
                },
            },
            None => Choice {
                code: code_of(line),
                text: Bilingual {
                    sv: line.to_owned(),
                    en: None,
                },
            },
        })
        .collect();
    let (low, high) = match (kind, f.scale.trim()) {
        (QuestionKind::Scale, "0-10" | "0–10") => (Some(0.0), Some(10.0)),
        (QuestionKind::Scale, "" | "1-5" | "1–5") => (Some(1.0), Some(5.0)),
        (QuestionKind::Scale, other) => {
            problems.push(Message::in_field(
                "scale",
                Message::new("scale_choose").with("value", format!("{other:?}")),
            ));
            (None, None)
        }
        _ => (None, None),
    };
    let show_if = match f.show_if.trim() {
        "" => None,
        question => Some(Condition {
            question: question.to_owned(),
            any_of: f
                .show_if_answers
                .split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
        }),
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let is_scale = kind == QuestionKind::Scale;
    Ok(Question {
        id: f.id.trim().to_owned(),
        kind,
        text: Bilingual {
            sv: f.text.trim().to_owned(),
            en: filled(&f.text_en).map(|b| b.sv),
        },
        help: filled(&f.help),
        options: if matches!(kind, QuestionKind::Single | QuestionKind::Multiple) {
            options
        } else {
            Vec::new()
        },
        low,
        high,
        low_label: filled(&f.low_label).filter(|_| is_scale),
        high_label: filled(&f.high_label).filter(|_| is_scale),
        dont_know: !f.dont_know.is_empty(),
        required: !f.required.is_empty(),
        show_if,
    })
}

/// The questionnaire with one change of the question form made, checked whole: every
/// problem is named (by field for the new question's own fields, by question for the rest).
pub fn apply_question_edit(
    q: &Questionnaire,
    edit: &QuestionEdit,
) -> Result<Questionnaire, Vec<Message>> {
    let mut changed = q.clone();
    match edit {
        QuestionEdit::Add(f) => {
            let question = question_from_fields(f)?;
            match f.section.trim() {
                "new" | "" => {
                    let Some(title) = filled(&f.new_section) else {
                        return Err(vec![Message::in_field(
                            "new_section",
                            Message::new("give_title").with("max", MAX_TEXT_CHARS),
                        )]);
                    };
                    changed.sections.push(Section {
                        title,
                        questions: vec![question],
                    });
                }
                number => {
                    let section = number
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| changed.sections.get_mut(i))
                        .ok_or_else(|| {
                            vec![Message::in_field(
                                "section",
                                Message::new("section_unknown"),
                            )]
                        })?;
                    section.questions.push(question);
                }
            }
        }
        QuestionEdit::Remove(id) => {
            let before = changed.questions().count();
            for section in &mut changed.sections {
                section.questions.retain(|x| x.id != *id);
            }
            if changed.questions().count() == before {
                return Err(vec![Message::new("survey_question_unknown")]);
            }
            changed.sections.retain(|s| !s.questions.is_empty());
        }
    }
    let problems = questionnaire_problems(&changed);
    if problems.is_empty() {
        Ok(changed)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(sv: &str) -> Bilingual {
        Bilingual {
            sv: sv.into(),
            en: None,
        }
    }

    fn question(id: &str, kind: QuestionKind) -> Question {
        Question {
            id: id.into(),
            kind,
            text: text("Fråga"),
            help: None,
            options: Vec::new(),
            low: None,
            high: None,
            low_label: None,
            high_label: None,
            dont_know: false,
            required: false,
            show_if: None,
        }
    }

    fn options(codes: &[&str]) -> Vec<Choice> {
        codes
            .iter()
            .map(|c| Choice {
                code: (*c).into(),
                text: text(c),
            })
            .collect()
    }

    #[test]
    fn answers_are_read_for_their_kind() {
        let mut single = question("q1", QuestionKind::Single);
        single.options = options(&["ja", "nej"]);
        single.dont_know = true;
        assert_eq!(
            read_answer(&single, &["ja"]),
            Ok(Some(Answer::Choice("ja".into())))
        );
        assert_eq!(
            read_answer(&single, &[DONT_KNOW]),
            Ok(Some(Answer::DontKnow))
        );
        assert_eq!(
            read_answer(&single, &["kanske"]).unwrap_err().code,
            "choose_one_option"
        );
        assert_eq!(read_answer(&single, &[""]), Ok(None));
        single.required = true;
        assert_eq!(
            read_answer(&single, &[]).unwrap_err().code,
            "answer_required"
        );
        let mut multiple = question("q2", QuestionKind::Multiple);
        multiple.options = options(&["buss", "cykel", "bil"]);
        assert_eq!(
            read_answer(&multiple, &["buss", "bil", "buss"]),
            Ok(Some(Answer::Choices(vec!["buss".into(), "bil".into()])))
        );
        let scale = question("q3", QuestionKind::Scale);
        assert_eq!(read_answer(&scale, &["4"]), Ok(Some(Answer::Number(4.0))));
        for bad in ["6", "0", "3,5"] {
            assert_eq!(
                read_answer(&scale, &[bad]).unwrap_err().code,
                "scale_answer_outside",
                "{bad}"
            );
        }
        let mut number = question("q4", QuestionKind::Number);
        number.low = Some(0.0);
        assert_eq!(
            read_answer(&number, &["2,5"]),
            Ok(Some(Answer::Number(2.5)))
        );
        assert!(read_answer(&number, &["-1"]).is_err());
        let free = question("q5", QuestionKind::Text);
        assert!(read_answer(&free, &[&"x".repeat(MAX_ANSWER_CHARS + 1)]).is_err());
    }

    #[test]
    fn conditions_look_back_to_a_choice_and_show_by_its_answer() {
        let mut uses = question("uses", QuestionKind::Single);
        uses.options = options(&["ja", "nej"]);
        let mut how = question("how", QuestionKind::Scale);
        how.show_if = Some(Condition {
            question: "uses".into(),
            any_of: vec!["ja".into()],
        });
        let q = Questionnaire {
            id: "bib".into(),
            title: text("Biblioteket"),
            intro: None,
            sections: vec![Section {
                title: text("Om dig"),
                questions: vec![uses.clone(), how.clone()],
            }],
        };
        assert!(
            questionnaire_problems(&q).is_empty(),
            "{:?}",
            questionnaire_problems(&q)
        );
        let mut answers = BTreeMap::new();
        assert!(!shown(&how, &answers));
        answers.insert("uses".to_owned(), Answer::Choice("ja".into()));
        assert!(shown(&how, &answers));
        // Backwards, on an unknown option, on a scale: each refused by name.
        let mut backwards = q.clone();
        backwards.sections[0].questions.reverse();
        let said: Vec<String> = questionnaire_problems(&backwards)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            said.iter()
                .any(|s| s.starts_with("question \"how\"") && s.contains("uses")),
            "{said:?}"
        );
        let mut unknown = q.clone();
        unknown.sections[0].questions[1]
            .show_if
            .as_mut()
            .unwrap()
            .any_of = vec!["kanske".into()];
        assert!(
            questionnaire_problems(&unknown)[0]
                .to_string()
                .contains("kanske")
        );
        let mut odd = q;
        odd.sections[0].questions[1].low = Some(1.0);
        odd.sections[0].questions[1].high = Some(7.0);
        odd.sections[0].questions[0].options.truncate(1);
        odd.sections[0].questions.push(uses);
        assert_eq!(
            questionnaire_problems(&odd).len(),
            3,
            "{:?}",
            questionnaire_problems(&odd)
        );
    }

    #[test]
    fn a_page_is_read_whole_and_hidden_answers_are_dropped() {
        let mut uses = question("uses", QuestionKind::Single);
        uses.options = options(&["ja", "nej"]);
        uses.required = true;
        let mut how = question("how", QuestionKind::Scale);
        how.required = true;
        how.show_if = Some(Condition {
            question: "uses".into(),
            any_of: vec!["ja".into()],
        });
        let q = Questionnaire {
            id: "bib".into(),
            title: text("Biblioteket"),
            intro: None,
            sections: vec![Section {
                title: text("Del"),
                questions: vec![uses, how],
            }],
        };
        let fields = |pairs: &[(&str, &str)]| -> BTreeMap<String, Vec<String>> {
            let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (k, v) in pairs {
                m.entry((*k).into()).or_default().push((*v).into());
            }
            m
        };
        // "nej" hides the scale: its answer (sent anyway) is dropped, its requirement too.
        let no = read_submission(&q, &fields(&[("uses", "nej"), ("how", "9")])).unwrap();
        assert_eq!(no.len(), 1);
        // "ja" shows it: required, and within the scale.
        let missing = read_submission(&q, &fields(&[("uses", "ja")])).unwrap_err();
        assert_eq!(missing[0].field_problem().map(|(f, _)| f), Some("how"));
        let out = read_submission(&q, &fields(&[("uses", "ja"), ("how", "9")])).unwrap_err();
        assert_eq!(
            out[0].field_problem().unwrap().1.code,
            "scale_answer_outside"
        );
        let yes = read_submission(&q, &fields(&[("uses", "ja"), ("how", "4")])).unwrap();
        assert_eq!(yes.get("how"), Some(&Answer::Number(4.0)));
        // A new version: a translation may change, the question may not.
        let mut translated = q.clone();
        translated.sections[0].questions[1].text.en = Some("How satisfied?".into());
        assert!(changed_questions(&q, &translated).is_empty());
        let mut reworded = q.clone();
        reworded.sections[0].questions[1].text.sv = "Hur nöjd var du?".into();
        reworded.sections[0].questions[0].options[1].code = "nej_aldrig".into();
        assert_eq!(changed_questions(&q, &reworded), ["uses", "how"]);
    }

    #[test]
    fn the_question_form_adds_and_removes_questions_checked_whole() {
        let q = Questionnaire {
            id: "x".into(),
            title: Bilingual {
                sv: "X".into(),
                en: None,
            },
            intro: None,
            sections: vec![Section {
                title: Bilingual {
                    sv: "Del".into(),
                    en: None,
                },
                questions: Vec::new(),
            }],
        };
        let visited = QuestionFields {
            section: "0".into(),
            id: "besokt".into(),
            kind: "single".into(),
            text: "Har du besökt biblioteket?".into(),
            options: "Ja, ofta\nnej = Nej".into(),
            required: "1".into(),
            ..QuestionFields::default()
        };
        let q = apply_question_edit(&q, &QuestionEdit::Add(Box::new(visited.clone()))).unwrap();
        let codes: Vec<&str> = q.sections[0].questions[0]
            .options
            .iter()
            .map(|o| o.code.as_str())
            .collect();
        assert_eq!(codes, ["ja_ofta", "nej"]);
        let satisfied = QuestionFields {
            section: "new".into(),
            new_section: "Nöjdhet".into(),
            id: "nojd".into(),
            kind: "scale".into(),
            scale: "0-10".into(),
            text: "Hur nöjd är du?".into(),
            low_label: "Inte alls".into(),
            dont_know: "1".into(),
            show_if: "besokt".into(),
            show_if_answers: "ja_ofta".into(),
            ..QuestionFields::default()
        };
        let q = apply_question_edit(&q, &QuestionEdit::Add(Box::new(satisfied.clone()))).unwrap();
        let added = &q.sections[1].questions[0];
        assert_eq!((added.low, added.high), (Some(0.0), Some(10.0)));
        assert!(added.dont_know && added.show_if.is_some() && added.low_label.is_some());
        // The same id again, a condition on an answer not offered, a scale not offered:
        // each refused, by the whole questionnaire's rules or the form's own.
        assert!(apply_question_edit(&q, &QuestionEdit::Add(Box::new(visited))).is_err());
        let wrong_condition = QuestionFields {
            id: "nojd2".into(),
            show_if_answers: "kanske".into(),
            ..satisfied.clone()
        };
        assert!(apply_question_edit(&q, &QuestionEdit::Add(Box::new(wrong_condition))).is_err());
        let wrong_scale = QuestionFields {
            id: "nojd3".into(),
            scale: "1-7".into(),
            ..satisfied
        };
        let refused =
            apply_question_edit(&q, &QuestionEdit::Add(Box::new(wrong_scale))).unwrap_err();
        assert_eq!(refused[0].field_problem().map(|(f, _)| f), Some("scale"));
        // Removing the question another's condition names is refused; removing both is not.
        assert!(apply_question_edit(&q, &QuestionEdit::Remove("besokt".into())).is_err());
        let q = apply_question_edit(&q, &QuestionEdit::Remove("nojd".into())).unwrap();
        assert_eq!(q.sections.len(), 1, "an emptied section goes");
    }
}
