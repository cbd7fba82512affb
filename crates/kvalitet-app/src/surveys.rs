//! Surveys as use cases (docs/surveys.md). So far: weighting a file of respondents to a file of
//! population shares, for analysts (`kvalitet survey weight`), with the design effect and
//! effective number of respondents that every weighted result's margin rests on.

use kvalitet_domain::Message;
use kvalitet_domain::weighting::{self, RakeOptions, Raked};
use kvalitet_formats::table::upload_text;
use kvalitet_formats::weighting_files::{read_respondents, read_targets};

/// The largest respondents file read (a million respondents with a dozen columns is about
/// 60 MB) and targets file.
pub const MAX_SAMPLE_BYTES: u64 = 512 << 20;
pub const MAX_TARGETS_BYTES: u64 = 4 << 20;

/// Which input a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightingInput {
    Targets,
    Sample,
}

/// Why weighting was refused: the problems of one file (each naming its line and column),
/// or of the two together (a level with a target but no respondents).
#[derive(Debug, Clone, PartialEq)]
pub enum WeightingError {
    In(WeightingInput, Vec<Message>),
    Together(Message),
}

/// The respondents' weights and what they cost in precision.
#[derive(Debug, Clone, PartialEq)]
pub struct Weighted {
    pub ids: Vec<String>,
    pub raked: Raked,
    /// Kish's design effect and the effective number of respondents.
    pub deff: f64,
    pub n_eff: f64,
    pub min_weight: f64,
    pub max_weight: f64,
    /// Each variable with its discrepancy from the targets in percentage points, before
    /// weighting (from the base weights) and after.
    pub discrepancies: Vec<(String, f64, f64)>,
}

/// Reads the targets (`variable,level,share`) and the respondents (an id column, a column per
/// variable, optionally `base_weight`; CSV or a spreadsheet) and rakes the respondents'
/// weights to the targets. Nothing is guessed: an unknown level, a repeated id or shares
/// that do not sum to 1 refuse the whole.
pub fn weight_files(
    sample: &[u8],
    targets: &[u8],
    options: &RakeOptions,
) -> Result<Weighted, WeightingError> {
    let in_targets = |problems| WeightingError::In(WeightingInput::Targets, problems);
    let in_sample = |problems| WeightingError::In(WeightingInput::Sample, problems);
    let targets_text = upload_text(targets).map_err(|e| in_targets(vec![e]))?;
    let margins = read_targets(&targets_text).map_err(in_targets)?;
    let sample_text = upload_text(sample).map_err(|e| in_sample(vec![e]))?;
    let respondents = read_respondents(&sample_text, &margins).map_err(in_sample)?;
    let base = respondents
        .base_weights
        .clone()
        .unwrap_or_else(|| vec![1.0; respondents.ids.len()]);
    let before = weighting::discrepancies(&respondents.codes, &margins, &base);
    let raked = weighting::rake(
        &respondents.codes,
        &margins,
        respondents.base_weights.as_deref(),
        options,
    )
    .map_err(WeightingError::Together)?;
    let (min_weight, max_weight) = raked
        .weights
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), w| {
            (lo.min(*w), hi.max(*w))
        });
    let after = weighting::discrepancies(&respondents.codes, &margins, &raked.weights);
    Ok(Weighted {
        discrepancies: margins
            .iter()
            .zip(before.into_iter().zip(after))
            .map(|(m, (b, a))| (m.variable.clone(), b, a))
            .collect(),
        ids: respondents.ids,
        deff: weighting::design_effect(&raked.weights),
        n_eff: weighting::effective_n(&raked.weights),
        min_weight,
        max_weight,
        raked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_weighted_or_refused_naming_the_file() {
        let targets = b"variable,level,share\nsex,K,0.5\nsex,M,0.5\n";
        let sample = b"id,sex\na,K\nb,K\nc,K\nd,M\n";
        let w = weight_files(sample, targets, &RakeOptions::default()).unwrap();
        assert_eq!(w.ids, ["a", "b", "c", "d"]);
        assert!((w.raked.weights[3] - 2.0).abs() < 1e-12 && w.raked.converged);
        assert!((w.deff - 4.0 / 3.0).abs() < 1e-12 && (w.n_eff - 3.0).abs() < 1e-12);
        assert_eq!((w.min_weight, w.max_weight), (w.raked.weights[0], 2.0));
        let (variable, before, after) = &w.discrepancies[0];
        assert_eq!(variable, "sex");
        assert!((before - 50.0).abs() < 1e-9 && after.abs() < 1e-9);
        let only_women = b"id,sex\na,K\nb,K\n";
        assert!(matches!(
            weight_files(only_women, targets, &RakeOptions::default()),
            Err(WeightingError::Together(ref m)) if m.code == "weighting_empty_level"
        ));
        assert!(matches!(
            weight_files(sample, b"\xff\xfe", &RakeOptions::default()),
            Err(WeightingError::In(WeightingInput::Targets, _))
        ));
        assert!(matches!(
            weight_files(b"id,sex\na,X\n", targets, &RakeOptions::default()),
            Err(WeightingError::In(WeightingInput::Sample, _))
        ));
    }

    #[test]
    fn hme_answered_here_scores_as_the_imported_distributions_do() {
        use kvalitet_domain::questionnaire::Answer;
        use kvalitet_domain::survey_results::{Response, scale_distribution};
        let framework = kvalitet_formats::framework_toml::read(include_str!(
            "../../../data/frameworks/hme.toml"
        ))
        .unwrap();
        let imported = crate::assessments::parse_distributions(
            &framework,
            include_str!("../../../data/examples/hme-distribution.csv"),
        )
        .unwrap();
        let questionnaire = kvalitet_formats::questionnaire_file::read(include_str!(
            "../../../data/surveys/hme.toml"
        ))
        .unwrap();
        // Every answer of the imported distributions given one by one, as respondents would
        // here (each respondent answering every statement on the same step, and a "vet ej"
        // that must not count).
        let mut responses = Vec::new();
        for (statement, distribution, low) in &imported {
            for (step, count) in distribution.0.iter().enumerate() {
                for _ in 0..*count {
                    let answer = Answer::Number(f64::from(*low) + step as f64);
                    responses.push(Response {
                        weight: 1.0,
                        answers: [(statement.clone(), answer)].into_iter().collect(),
                        background: Default::default(),
                    });
                }
            }
            responses.push(Response {
                weight: 1.0,
                answers: [(statement.clone(), Answer::DontKnow)]
                    .into_iter()
                    .collect(),
                background: Default::default(),
            });
        }
        let refs: Vec<&Response> = responses.iter().collect();
        for (statement, distribution, low) in &imported {
            let question = questionnaire
                .questions()
                .find(|q| q.id == *statement)
                .unwrap();
            let here = scale_distribution(question, &refs).unwrap();
            assert_eq!(&here, distribution, "{statement}");
            assert_eq!(here.mean(*low), distribution.mean(*low));
        }
        assert_eq!(imported.len(), 9);
    }

    #[test]
    fn the_example_files_weight() {
        let w = weight_files(
            include_bytes!("../../../data/examples/weighting-respondents.csv"),
            include_bytes!("../../../data/examples/weighting-targets.csv"),
            &RakeOptions::default(),
        )
        .unwrap();
        assert!(w.raked.converged && w.ids.len() == 8, "{w:?}");
    }
}
