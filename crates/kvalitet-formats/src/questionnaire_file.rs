//! A survey's questionnaire as a TOML file (or JSON with the same keys): sections of
//! questions, Swedish texts with `_en` beside them, options, scales and conditions. The format
//! is in `docs/surveys.md`; the shipped templates are in `data/surveys/`. Errors name the line
//! (syntax) or the question (meaning); the rules are the domain's (`questionnaire`).

use serde::{Deserialize, Serialize};

use kvalitet_domain::Message;
use kvalitet_domain::questionnaire::{
    Bilingual, Choice, Condition, Question, QuestionKind, Questionnaire, Section,
    questionnaire_problems,
};

/// The largest questionnaire file read.
pub const MAX_QUESTIONNAIRE_BYTES: usize = 1 << 20;

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct File {
    id: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    intro: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    intro_en: Option<String>,
    #[serde(default)]
    sections: Vec<SectionFile>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SectionFile {
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title_en: Option<String>,
    #[serde(default)]
    questions: Vec<QuestionFile>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct QuestionFile {
    id: String,
    kind: String,
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    text_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_en: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    options: Vec<ChoiceFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    high: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    low_label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    low_label_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    high_label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    high_label_en: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    dont_know: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    show_if: Option<ConditionFile>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ChoiceFile {
    code: String,
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    text_en: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ConditionFile {
    question: String,
    any_of: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn bilingual(sv: String, en: Option<String>) -> Bilingual {
    Bilingual {
        sv: sv.trim().to_owned(),
        en: en.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()),
    }
}

fn optional(sv: Option<String>, en: Option<String>) -> Option<Bilingual> {
    sv.filter(|s| !s.trim().is_empty())
        .map(|s| bilingual(s, en))
}

/// Reads a questionnaire and checks it whole: every problem is listed with its place, and a
/// questionnaire with any problem is refused.
pub fn read(text: &str) -> Result<Questionnaire, Vec<Message>> {
    if text.len() > MAX_QUESTIONNAIRE_BYTES {
        return Err(vec![
            Message::new("file_too_large").with("mb", MAX_QUESTIONNAIRE_BYTES >> 20),
        ]);
    }
    let file: File = crate::toml_or_json(text)?;
    let mut problems = Vec::new();
    let sections = file
        .sections
        .into_iter()
        .map(|s| Section {
            title: bilingual(s.title, s.title_en),
            questions: s
                .questions
                .into_iter()
                .map(|q| {
                    let kind = QuestionKind::parse(&q.kind).unwrap_or_else(|| {
                        problems.push(
                            Message::new("at_question")
                                .with("question", format!("{:?}", q.id))
                                .with_said(
                                    "problem",
                                    Message::in_field(
                                        "kind",
                                        Message::new("not_a_question_kind")
                                            .with("value", format!("{:?}", q.kind)),
                                    ),
                                ),
                        );
                        QuestionKind::Text
                    });
                    Question {
                        id: q.id.trim().to_owned(),
                        kind,
                        text: bilingual(q.text, q.text_en),
                        help: optional(q.help, q.help_en),
                        options: q
                            .options
                            .into_iter()
                            .map(|o| Choice {
                                code: o.code.trim().to_owned(),
                                text: bilingual(o.text, o.text_en),
                            })
                            .collect(),
                        low: q.low,
                        high: q.high,
                        low_label: optional(q.low_label, q.low_label_en),
                        high_label: optional(q.high_label, q.high_label_en),
                        dont_know: q.dont_know,
                        required: q.required,
                        show_if: q.show_if.map(|c| Condition {
                            question: c.question.trim().to_owned(),
                            any_of: c.any_of,
                        }),
                    }
                })
                .collect(),
        })
        .collect();
    let questionnaire = Questionnaire {
        id: file.id.trim().to_owned(),
        title: bilingual(file.title, file.title_en),
        intro: optional(file.intro, file.intro_en),
        sections,
    };
    problems.extend(questionnaire_problems(&questionnaire));
    if problems.is_empty() {
        Ok(questionnaire)
    } else {
        Err(problems)
    }
}

/// A questionnaire as its file (TOML), the way [`read`] reads it back: what the question
/// form saves. The file's comments are not kept (a questionnaire changed in the form is
/// written anew).
pub fn write(q: &Questionnaire) -> Result<String, Message> {
    let split = |b: &Bilingual| (b.sv.clone(), b.en.clone());
    let optional = |b: &Option<Bilingual>| match b {
        Some(b) => (Some(b.sv.clone()), b.en.clone()),
        None => (None, None),
    };
    let (title, title_en) = split(&q.title);
    let (intro, intro_en) = optional(&q.intro);
    let file = File {
        id: q.id.clone(),
        title,
        title_en,
        intro,
        intro_en,
        sections: q
            .sections
            .iter()
            .map(|s| {
                let (title, title_en) = split(&s.title);
                SectionFile {
                    title,
                    title_en,
                    questions: s
                        .questions
                        .iter()
                        .map(|x| {
                            let (text, text_en) = split(&x.text);
                            let (help, help_en) = optional(&x.help);
                            let (low_label, low_label_en) = optional(&x.low_label);
                            let (high_label, high_label_en) = optional(&x.high_label);
                            QuestionFile {
                                id: x.id.clone(),
                                kind: x.kind.code().to_owned(),
                                text,
                                text_en,
                                help,
                                help_en,
                                options: x
                                    .options
                                    .iter()
                                    .map(|o| ChoiceFile {
                                        code: o.code.clone(),
                                        text: o.text.sv.clone(),
                                        text_en: o.text.en.clone(),
                                    })
                                    .collect(),
                                low: x.low,
                                high: x.high,
                                low_label,
                                low_label_en,
                                high_label,
                                high_label_en,
                                dont_know: x.dont_know,
                                required: x.required,
                                show_if: x.show_if.as_ref().map(|c| ConditionFile {
                                    question: c.question.clone(),
                                    any_of: c.any_of.clone(),
                                }),
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    toml::to_string(&file).map_err(|e| Message::new("text").with("text", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_templates_read() {
        for (text, id, questions) in [
            (include_str!("../../../data/surveys/hme.toml"), "hme", 9),
            (
                include_str!("../../../data/surveys/brukarundersokning.toml"),
                "brukarundersokning",
                10,
            ),
            (
                include_str!("../../../data/surveys/medborgarpanel.toml"),
                "medborgarpanel",
                8,
            ),
        ] {
            let q = read(text).unwrap_or_else(|e| panic!("{id}: {e:?}"));
            // Written as the question form saves it, it reads back the same.
            let written = write(&q).unwrap();
            assert_eq!(read(&written).unwrap(), q, "{id}:\n{written}");
            assert_eq!((q.id.as_str(), q.questions().count()), (id, questions));
            assert!(
                q.questions().all(|x| x.text.en.is_some()),
                "{id}: every question has English"
            );
        }
    }

    #[test]
    fn bad_questionnaires_name_each_place() {
        let syntax = read("id = \"x\"\ntitle = \n").unwrap_err();
        assert!(syntax[0].to_string().contains("line 2"), "{}", syntax[0]);
        let bad = r#"
id = "x"
title = "Test"
[[sections]]
title = "Del 1"
[[sections.questions]]
id = "q1"
kind = "radio"
text = "Vad tycker du?"
[[sections.questions]]
id = "q2"
kind = "scale"
text = "Hur nöjd?"
low = 1
high = 7
"#;
        let said: Vec<String> = read(bad)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            said.iter().any(|s| s.contains("q1") && s.contains("radio")),
            "{said:?}"
        );
        assert!(
            said.iter().any(|s| s.contains("q2") && s.contains("1–7")),
            "{said:?}"
        );
        assert!(read(&"x".repeat(MAX_QUESTIONNAIRE_BYTES + 1)).is_err());
    }
}
