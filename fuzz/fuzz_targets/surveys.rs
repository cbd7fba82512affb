//! Survey files and answers. A questionnaire (TOML or JSON): any text is read or refused with
//! its problems. An invitation list and a panel's member list: read or refused. An answer
//! page as a browser sends it (`field=value&…`) against the shipped medborgarpanel wave: read
//! or refused question by question, and what reads survives being stored as JSON. The files of `kvalitet survey weight`: any bytes split into a targets file and a
//! respondents file are read or refused with their problems, and what reads is raked without
//! a panic, its weights finite and summing to the respondents' number. The e-förslag forms
//! (rules, a proposal, a threshold, an address) as the same fields: read or refused, and a
//! threshold read gives a number of signatures within its bounds. The e-dialogue set-up form
//! and a statement: read or refused, a period read never runs backwards or too long, a
//! statement read is within its length.
#![no_main]

use kvalitet_domain::weighting::{RakeOptions, rake};
use kvalitet_formats::weighting_files::{read_respondents, read_targets};
use libfuzzer_sys::fuzz_target;

/// The shipped medborgarpanel wave, read once.
fn questionnaire() -> &'static kvalitet_domain::questionnaire::Questionnaire {
    static WAVE: std::sync::OnceLock<kvalitet_domain::questionnaire::Questionnaire> =
        std::sync::OnceLock::new();
    WAVE.get_or_init(|| {
        kvalitet_formats::questionnaire_file::read(include_str!("../../data/surveys/medborgarpanel.toml"))
            .expect("the shipped wave reads")
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(q) = kvalitet_formats::questionnaire_file::read(&text) {
        assert!(kvalitet_domain::questionnaire::questionnaire_problems(&q).is_empty());
    }
    let _ = kvalitet_app::surveys::read_invitation_list(&text);
    let _ = kvalitet_app::panels::read_members(&text);
    let mut fields: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for pair in text.split('&').take(1000) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        fields.entry(k.to_owned()).or_default().push(v.to_owned());
    }
    if let Ok(answers) = kvalitet_domain::questionnaire::read_submission(questionnaire(), &fields) {
        let json = serde_json::to_string(&answers).expect("answers serialise");
        let back: std::collections::BTreeMap<String, kvalitet_domain::questionnaire::Answer> =
            serde_json::from_str(&json).expect("answers read back");
        assert_eq!(back, answers);
    }
    let field = |name: &str| fields.get(name).and_then(|v| v.first()).cloned().unwrap_or_default();
    let rules = kvalitet_app::proposals::SettingsForm {
        threshold_kind: field("threshold_kind"),
        threshold_value: field("threshold_value"),
        signing_days: field("signing_days"),
        answer_working_days: field("answer_working_days"),
        areas: field("areas"),
        residence_areas: field("residence_areas"),
        rules: field("rules"),
    };
    if let Ok(settings) = kvalitet_app::proposals::read_settings_form(&rules) {
        if let Ok(n) = settings.threshold.needed(Some(10_000_000)) {
            assert!((1..=kvalitet_domain::proposal::MAX_THRESHOLD).contains(&n));
        }
        let proposal = kvalitet_app::proposals::ProposalForm {
            title: field("title"),
            body: field("body"),
            area: field("area"),
            email: field("email"),
            name: field("name"),
            lat: field("lat"),
            lon: field("lon"),
            residence: field("residence"),
        };
        // A municipality drawn as a box around Stockholm: a place read is inside it.
        let (l, t) = kvalitet_domain::geo::project(17.9, 59.4);
        let (r, b) = kvalitet_domain::geo::project(18.2, 59.25);
        let boundary = kvalitet_domain::geo::Boundary::from_svg_path(&format!(
            "M{l} {t}L{r} {t}L{r} {b}L{l} {b}Z"
        ));
        let read = kvalitet_app::proposals::read_proposal_form(
            &settings,
            &proposal,
            Some(&boundary),
            "Stockholm",
        );
        if let Ok((p, email)) = read {
            assert!(!p.title.is_empty() && email.contains('@'));
            // A residence kept is one the rules offer, and none when they ask for none.
            match &p.residence_area {
                Some(a) => assert!(settings.residence_areas.contains(a)),
                None => assert!(settings.residence_areas.is_empty()),
            }
            if let Some(place) = p.place {
                let (x, y) = place.projected();
                assert!(boundary.holds(x, y, kvalitet_domain::geo::BOUNDARY_TOLERANCE));
            }
        }
    }
    let dialogue = kvalitet_app::dialogues::DialogueForm {
        question: field("question"),
        description: field("description"),
        areas: field("areas"),
        opens_on: field("opens_on"),
        closes_on: field("closes_on"),
    };
    if let Ok(d) = kvalitet_app::dialogues::read_dialogue_form(&dialogue) {
        let days = (d.period.closes_on - d.period.opens_on).whole_days();
        assert!((0..kvalitet_domain::dialogue::MAX_DIALOGUE_DAYS).contains(&days));
        assert!(!d.question.is_empty());
    }
    if let Ok(s) = kvalitet_domain::dialogue::statement_text(&field("statement")) {
        assert!(!s.is_empty() && s.chars().count() <= kvalitet_domain::dialogue::MAX_STATEMENT_CHARS);
    }
    let (targets, sample) = text.split_once("\n\n").unwrap_or((&text, "id,x\n1,a\n"));
    let Ok(margins) = read_targets(targets) else {
        return;
    };
    let Ok(respondents) = read_respondents(sample, &margins) else {
        return;
    };
    let options = RakeOptions {
        max_iterations: 50,
        ..RakeOptions::default()
    };
    if let Ok(raked) = rake(&respondents.codes, &margins, respondents.base_weights.as_deref(), &options) {
        assert!(raked.weights.iter().all(|w| w.is_finite() && *w >= 0.0));
        let total: f64 = respondents
            .base_weights
            .as_deref()
            .map_or(respondents.ids.len() as f64, |b| b.iter().sum());
        let sum: f64 = raked.weights.iter().sum();
        assert!((sum - total).abs() <= 1e-6 * total.max(1.0), "{sum} vs {total}");
    }
});
