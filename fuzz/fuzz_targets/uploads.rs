//! The files staff upload, through the use cases' readers: values (CSV or Excel), service
//! contacts, question banks and survey answers, and HME answer distributions.
#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

use kvalitet_app::ports::{ServiceContent, ServiceRoundRecord};
use kvalitet_domain::{KoladaMeta, Measure, MeasureId, MunicipalityId, Year};

struct Fixture {
    municipality: MunicipalityId,
    measures: HashMap<MeasureId, Measure>,
    round: ServiceRoundRecord,
    content: ServiceContent,
    hme: kvalitet_domain::assessment::Framework,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let m = MunicipalityId::parse("0180").expect("an id");
        let own = Measure::from_kolada(
            MeasureId::parse("X0180-1").expect("an id"),
            "Eget, andel (%)".into(),
            String::new(),
            KoladaMeta::default(),
        )
        .owned_by(m);
        let round = ServiceRoundRecord {
            id: kvalitet_domain::ServiceRoundId(1),
            title: "Fuzz".into(),
            year: Year::new(2025).expect("a year"),
            organiser: None,
            published: false,
            partly_counts: true,
            min_tests: 10,
            closed_days: Vec::new(),
            members: vec![m],
            created_by: "fuzz".into(),
            created_at: kvalitet_domain::Timestamp::parse("2025-01-01T00:00:00Z").expect("a moment"),
            deadline: None,
            corrections: Vec::new(),
        };
        let content = ServiceContent {
            questions: kvalitet_app::service::parse_questions("id;area;text\nq1;bygglov;Fråga?\n")
                .expect("a bank"),
            ..ServiceContent::default()
        };
        let hme =
            kvalitet_formats::framework_toml::read(include_str!("../../data/frameworks/hme.toml"))
                .expect("the shipped HME framework");
        Fixture {
            municipality: m,
            measures: [(own.id, own)].into_iter().collect(),
            round,
            content,
            hme,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let _ = kvalitet_app::own::parse_upload(data, &f.municipality, &f.measures, 1 << 20);
    let text = String::from_utf8_lossy(data);
    let _ = kvalitet_app::service::parse_questions(&text);
    let _ = kvalitet_app::service::parse_contacts(&f.round, &f.content, &text);
    let _ = kvalitet_app::service::parse_survey(&f.round, &text);
    let _ = kvalitet_app::assessments::parse_distributions(&f.hme, &text);
});
