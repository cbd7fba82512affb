//! Results published as measures, one way for every context that publishes them (assessment
//! scores, service measurement figures, and later goals and surveys): each result becomes a
//! measure with its origin, the profile residents read (the question, the unit, higher is
//! better, whole numbers) and an item of the measure set it is shown in, all in the catalogue
//! part of the change that publishes it.

use kvalitet_domain::{
    Direction, Measure, MeasureId, MeasureOrigin, MeasureProfile, MeasureSet, MeasureSetArea,
    MeasureSetItem, Message, MunicipalityId, SourceKind, Year,
};

use crate::ports::CatalogueBatch;

/// What publishing makes public, what stays internal, and what the publisher should know
/// first: the confirmation page before every publishing lists them.
#[derive(Debug, Clone, Default)]
pub struct PublishCheck {
    pub public: Vec<Message>,
    pub internal: Vec<Message>,
    pub warnings: Vec<Message>,
}

/// One result to publish as a measure.
#[derive(Debug, Clone)]
pub struct ResultMeasure {
    pub id: MeasureId,
    pub title: String,
    /// What residents read above the answer; the title when the result has no other.
    pub question: String,
    pub description: String,
    pub unit: String,
    pub source_kind: SourceKind,
    pub direction: Direction,
    /// Decimals residents are shown.
    pub decimals: u8,
}

/// The measure set published results are shown in.
#[derive(Debug, Clone)]
pub struct ResultSet {
    pub id: String,
    pub title: String,
    pub title_en: Option<String>,
    pub area: String,
    pub area_en: Option<String>,
    pub description: String,
    /// Whom the results are compared among (empty: every municipality with a value).
    pub participants: Vec<MunicipalityId>,
}

/// The catalogue change that publishes `results` of `year`: their measures (of `origin`),
/// their profiles and the measure set they are shown in.
pub fn as_measures(
    origin: MeasureOrigin,
    year: Year,
    set: ResultSet,
    results: Vec<ResultMeasure>,
) -> CatalogueBatch {
    let mut measures = Vec::with_capacity(results.len());
    let mut items = Vec::with_capacity(results.len());
    for r in results {
        items.push(MeasureSetItem {
            measure: r.id,
            question: r.question.clone(),
            question_en: None,
            profile: Some(MeasureProfile {
                measure: r.id,
                question: r.question,
                question_en: None,
                unit: Some(r.unit.clone()),
                unit_en: None,
                direction: r.direction,
                decimals: r.decimals,
            }),
        });
        let mut measure =
            Measure::published(r.id, r.title, r.description, r.unit, origin, r.source_kind);
        measure.direction = r.direction;
        measures.push(measure);
    }
    let mut measure_set = MeasureSet::new(
        set.id,
        set.title,
        vec![MeasureSetArea {
            title: set.area,
            title_en: set.area_en,
            items,
        }],
    );
    measure_set.title_en = set.title_en;
    measure_set.description = set.description;
    measure_set.participants = set.participants;
    CatalogueBatch {
        catalogue_year: Some(year),
        measures,
        measure_sets: vec![measure_set],
        ..CatalogueBatch::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_become_measures_of_their_origin_with_profiles_and_a_set() {
        let id = MeasureId::parse("SERV-EPOST2").unwrap();
        let batch = as_measures(
            MeasureOrigin::Service,
            Year::new(2025).unwrap(),
            ResultSet {
                id: "servicematning".into(),
                title: "Service".into(),
                title_en: Some("Service".into()),
                area: "E-post".into(),
                area_en: None,
                description: "d".into(),
                participants: vec![],
            },
            vec![ResultMeasure {
                id,
                title: "E-post inom två arbetsdagar".into(),
                question: "Hur snabbt?".into(),
                description: "Testfrågor.".into(),
                unit: "procent".into(),
                source_kind: SourceKind::External,
                direction: Direction::HigherIsBetter,
                decimals: 0,
            }],
        );
        let m = &batch.measures[0];
        assert_eq!(m.origin, MeasureOrigin::Service);
        assert_eq!(m.direction, Direction::HigherIsBetter);
        assert_eq!(m.unit.as_deref(), Some("procent"));
        let item = &batch.measure_sets[0].areas[0].items[0];
        assert_eq!(item.question, "Hur snabbt?");
        assert_eq!(item.profile.as_ref().map(|p| p.decimals), Some(0));
        assert_eq!(batch.catalogue_year, Year::new(2025).ok());
    }
}
