//! Assessment frameworks as TOML files (`data/frameworks/*.toml`), or JSON with the same keys:
//! areas of questions with their scoring rules, weights and maxima. Errors name the line, or
//! the area and question.

use kvalitet_domain::Message;

use serde::Deserialize;

use kvalitet_domain::assessment::{Aggregation, Area, Framework, Question, Rule};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameworkFile {
    id: String,
    name: String,
    version: String,
    valid_from: String,
    total: String,
    measure_prefix: Option<String>,
    #[serde(default)]
    areas: Vec<AreaFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AreaFile {
    id: String,
    title: String,
    aggregation: String,
    max: Option<f64>,
    #[serde(default)]
    questions: Vec<QuestionFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionFile {
    id: String,
    text: String,
    rule: String,
    #[serde(default)]
    options: Vec<(String, f64)>,
    low: Option<u8>,
    high: Option<u8>,
    min: Option<f64>,
    max: Option<f64>,
    weight: Option<f64>,
    subarea: Option<String>,
}

fn aggregation(s: &str) -> Result<Aggregation, Message> {
    match s {
        "sum" => Ok(Aggregation::Sum),
        "percent_of_max" => Ok(Aggregation::PercentOfMax),
        "mean_of_indices" => Ok(Aggregation::MeanOfIndices),
        other => match other.strip_prefix("scaled_to:").map(str::parse::<f64>) {
            Some(Ok(to)) if to > 0.0 => Ok(Aggregation::ScaledTo(to)),
            _ => Err(Message::new("bad_aggregation").with("value", format!("{other:?}"))),
        },
    }
}

/// Reads and validates one framework, written as TOML or (starting with `{`) as JSON with
/// the same keys; every problem is listed with its place.
pub fn read(text: &str) -> Result<Framework, Vec<Message>> {
    let file: FrameworkFile = crate::toml_or_json(text)?;
    let mut errors = Vec::new();
    let total = aggregation(&file.total).unwrap_or_else(|e| {
        errors.push(Message::in_field("total", e));
        Aggregation::Sum
    });
    let mut areas = Vec::new();
    for (a, area) in file.areas.into_iter().enumerate() {
        let agg = aggregation(&area.aggregation).unwrap_or_else(|e| {
            errors.push(Message::in_field(format!("areas[{a}].aggregation"), e));
            Aggregation::Sum
        });
        let mut questions = Vec::new();
        for (q, question) in area.questions.into_iter().enumerate() {
            let at = format!("areas[{a}].questions[{q}]");
            let rule = match question.rule.as_str() {
                "choice" => Rule::Choice {
                    options: question.options,
                },
                "scale" => match (question.low, question.high) {
                    (Some(low), Some(high)) => Rule::Scale { low, high },
                    _ => {
                        errors.push(Message::in_field(at, Message::new("scale_needs_bounds")));
                        continue;
                    }
                },
                "number" => match (question.min, question.max) {
                    (Some(min), Some(max)) => Rule::Number { min, max },
                    _ => {
                        errors.push(Message::in_field(at, Message::new("number_needs_bounds")));
                        continue;
                    }
                },
                other => {
                    errors.push(Message::in_field(
                        format!("{at}.rule"),
                        Message::new("bad_rule").with("value", format!("{other:?}")),
                    ));
                    continue;
                }
            };
            questions.push(Question {
                id: question.id,
                text: question.text,
                rule,
                weight: question.weight.unwrap_or(1.0),
                subarea: question.subarea,
            });
        }
        areas.push(Area {
            id: area.id,
            title: area.title,
            aggregation: agg,
            stated_max: area.max,
            questions,
        });
    }
    let framework = Framework {
        id: file.id,
        name: file.name,
        version: file.version,
        valid_from: file.valid_from,
        total,
        areas,
        measure_prefix: file.measure_prefix,
    };
    if let Err(e) = framework.validate() {
        errors.extend(e);
    }
    if errors.is_empty() {
        Ok(framework)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_frameworks_read_and_validate() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/frameworks");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let f = read(&text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
            assert!(!f.areas.is_empty(), "{}", path.display());
            n += 1;
        }
        assert_eq!(
            n, 4,
            "Kommunkompassen, Informationsindex, Delaktighetsindex, HME"
        );
    }

    #[test]
    fn json_with_the_same_keys_reads_as_the_toml() {
        let toml_text = "id = \"d\"\nname = \"D\"\nversion = \"1\"\nvalid_from = \"2020-01-01\"\ntotal = \"percent_of_max\"\n[[areas]]\nid = \"a\"\ntitle = \"A\"\naggregation = \"percent_of_max\"\n[[areas.questions]]\nid = \"q\"\ntext = \"?\"\nrule = \"choice\"\noptions = [[\"Nej\", 0], [\"Ja\", 3]]\n";
        let json_text = r#"{"id": "d", "name": "D", "version": "1", "valid_from": "2020-01-01",
            "total": "percent_of_max", "areas": [{"id": "a", "title": "A",
            "aggregation": "percent_of_max", "questions": [{"id": "q", "text": "?",
            "rule": "choice", "options": [["Nej", 0], ["Ja", 3]]}]}]}"#;
        assert_eq!(read(json_text).unwrap(), read(toml_text).unwrap());
        let e = read("{\"id\": \"d\",\n \"nonsense\": 1}").unwrap_err();
        assert!(e[0].to_string().starts_with("line 2, column"), "{e:?}");
        let mut records = Vec::new();
        let format = crate::read(json_text.as_bytes(), None, &mut |r| {
            records.push(r.is_ok());
            true
        })
        .unwrap();
        assert_eq!(
            (format, records),
            (crate::Format::FrameworkToml, vec![true]),
            "a JSON framework is recognised by its valid_from and read by the import path"
        );
    }

    #[test]
    fn bad_files_name_their_place() {
        let e = read("id = \"x\"\nname = \"X\"\nversion = \"1\"\nvalid_from = \"2020-01-01\"\ntotal = \"avg\"\n[[areas]]\nid = \"a\"\ntitle = \"A\"\naggregation = \"sum\"\nmax = 5\n[[areas.questions]]\nid = \"q\"\ntext = \"?\"\nrule = \"choice\"\noptions = [[\"Ja\", 3]]\n").unwrap_err();
        assert!(
            e.iter().any(|m| m.to_string().starts_with("Total:")),
            "{e:?}"
        );
        assert!(
            e.iter().any(|m| m
                .to_string()
                .contains("add up to 3, not the stated maximum 5")),
            "{e:?}"
        );
        let e = read("id = \"x\"\nnonsense = 1\n").unwrap_err();
        assert!(
            e[0].to_string().starts_with("line 2") || e[0].to_string().starts_with("line 1"),
            "{e:?}"
        );
    }
}
