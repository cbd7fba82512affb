//! Measures: Kolada KPIs and the municipality's own, with the metadata needed to present
//! and compare them.

use serde::Serialize;

use crate::ids::{MeasureId, MunicipalityId};

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
    /// No better or worse (e.g. a cost or a count): never coloured.
    None,
}

impl Direction {
    pub fn code(self) -> &'static str {
        match self {
            Self::HigherIsBetter => "higher",
            Self::LowerIsBetter => "lower",
            Self::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "higher" => Some(Self::HigherIsBetter),
            "lower" => Some(Self::LowerIsBetter),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// Where the numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    NationalStatistics,
    OwnReporting,
    Survey,
    External,
}

impl SourceKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::NationalStatistics => "national_statistics",
            Self::OwnReporting => "own_reporting",
            Self::Survey => "survey",
            Self::External => "external",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::NationalStatistics,
            Self::OwnReporting,
            Self::Survey,
            Self::External,
        ]
        .into_iter()
        .find(|k| k.code() == s)
    }

    /// Infers the source kind of a Kolada KPI. Kolada does not say it; the rule (documented
    /// in docs/data-model.md) reads the "Källa:" text first and falls back on the id letter:
    /// "Egen undersökning" or "enkät" is a survey, U ids are otherwise the municipality's
    /// own reporting, N ids national statistics.
    pub fn infer_kolada(id: &MeasureId, description: &str) -> Self {
        let source = description
            .rsplit_once("Källa:")
            .map(|(_, s)| s.to_lowercase())
            .unwrap_or_default();
        if source.contains("egen undersökning") || source.contains("enkät") {
            Self::Survey
        } else if id.as_str().starts_with('U') {
            Self::OwnReporting
        } else {
            Self::NationalStatistics
        }
    }
}

/// Who defines a measure, and so where residents are told its figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "municipality")]
pub enum MeasureOrigin {
    Kolada,
    /// The municipality's own measure.
    Own(MunicipalityId),
    /// Published results of assessment rounds on one framework version.
    Assessment,
    /// Published figures of service measurement rounds.
    Service,
    /// Published participation in e-förslag, e-dialogues and citizen budgets.
    Dialogue,
}

impl MeasureOrigin {
    /// The code stored with the measure (its owner, for an own measure, beside it).
    pub fn code(self) -> &'static str {
        match self {
            Self::Kolada => "kolada",
            Self::Own(_) => "own",
            Self::Assessment => "assessment",
            Self::Service => "service",
            Self::Dialogue => "dialogue",
        }
    }

    /// The origin of a stored code and owner; `None` when they do not fit together.
    pub fn parse(code: &str, owner: Option<MunicipalityId>) -> Option<Self> {
        match (code, owner) {
            ("kolada", None) => Some(Self::Kolada),
            ("own", Some(m)) => Some(Self::Own(m)),
            ("assessment", None) => Some(Self::Assessment),
            ("service", None) => Some(Self::Service),
            ("dialogue", None) => Some(Self::Dialogue),
            _ => None,
        }
    }

    /// The municipality that owns the measure, if one does.
    pub fn owner(self) -> Option<MunicipalityId> {
        match self {
            Self::Own(m) => Some(m),
            _ => None,
        }
    }
}

/// Kolada's catalogue fields, kept as Kolada writes them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct KoladaMeta {
    pub operating_area: Option<String>,
    pub perspective: Option<String>,
    pub is_divided_by_gender: bool,
    /// "K" kommun, "L" region, "A" both.
    pub municipality_type: Option<String>,
    /// Regi code (E, T, P, O, X, A).
    pub auspice: Option<String>,
    pub publ_period: Option<String>,
    pub prel_publication_date: Option<String>,
    pub publication_date: Option<String>,
    pub has_ou_data: bool,
}

/// A measure with its current title and definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measure {
    pub id: MeasureId,
    pub title: String,
    pub description: String,
    pub unit: Option<String>,
    pub direction: Direction,
    pub source_kind: SourceKind,
    pub origin: MeasureOrigin,
    pub kolada: KoladaMeta,
    /// No longer offered for new values (an own measure its municipality retired); its
    /// values stay and are shown.
    pub retired: bool,
}

impl Measure {
    /// A Kolada KPI as its catalogue describes it; unit and source kind are inferred, the
    /// direction is unknown until a measure set or a user sets it.
    pub fn from_kolada(
        id: MeasureId,
        title: String,
        description: String,
        kolada: KoladaMeta,
    ) -> Self {
        Self {
            unit: unit_from_title(&title),
            source_kind: SourceKind::infer_kolada(&id, &description),
            direction: Direction::None,
            origin: MeasureOrigin::Kolada,
            retired: false,
            id,
            title,
            description,
            kolada,
        }
    }
}

impl Measure {
    /// A measure that results published in kvalitet become (an assessment's scores, a
    /// service measurement's figures): higher is better, reported for kommuner.
    pub fn published(
        id: MeasureId,
        title: String,
        description: String,
        unit: String,
        origin: MeasureOrigin,
        source_kind: SourceKind,
    ) -> Self {
        Self {
            id,
            title,
            description,
            unit: Some(unit),
            direction: Direction::HigherIsBetter,
            source_kind,
            origin,
            kolada: KoladaMeta {
                municipality_type: Some("K".into()),
                ..KoladaMeta::default()
            },
            retired: false,
        }
    }

    /// The same measure as the municipality's own (not Kolada's): its source is the
    /// municipality's own reporting, or its survey when the definition says so.
    pub fn owned_by(mut self, owner: MunicipalityId) -> Self {
        self.origin = MeasureOrigin::Own(owner);
        if self.source_kind != SourceKind::Survey {
            self.source_kind = SourceKind::OwnReporting;
        }
        self
    }
}

/// Kolada titles end in the unit after the last comma ("Invånare totalt, antal",
/// "Personalkostnader, kr/inv"); this returns that part when it looks like a unit.
pub fn unit_from_title(title: &str) -> Option<String> {
    let (_, tail) = title.rsplit_once(", ")?;
    let tail = tail.trim();
    let looks_like_unit = tail.contains('%')
        || tail.contains('/')
        || tail.starts_with("antal")
        || tail.starts_with("andel")
        || tail.starts_with("kr")
        || tail.starts_with("tkr")
        || tail.starts_with("mnkr")
        || tail.starts_with("dagar")
        || tail.starts_with("timmar")
        || tail.starts_with("år")
        || tail.starts_with("poäng")
        || tail.starts_with("index")
        || tail.starts_with("medelvärde")
        || tail.starts_with("median");
    looks_like_unit.then(|| tail.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_round_trip_through_their_codes() {
        let m = MunicipalityId::parse("0180").unwrap();
        for o in [
            MeasureOrigin::Kolada,
            MeasureOrigin::Own(m),
            MeasureOrigin::Assessment,
            MeasureOrigin::Service,
            MeasureOrigin::Dialogue,
        ] {
            assert_eq!(MeasureOrigin::parse(o.code(), o.owner()), Some(o));
        }
        assert_eq!(
            MeasureOrigin::parse("own", None),
            None,
            "an own measure has an owner"
        );
        assert_eq!(MeasureOrigin::parse("kolada", Some(m)), None);
    }

    fn id(s: &str) -> MeasureId {
        MeasureId::parse(s).unwrap()
    }

    #[test]
    fn units_come_from_the_title_tail() {
        assert_eq!(
            unit_from_title("Personalkostnader, kr/inv").as_deref(),
            Some("kr/inv")
        );
        assert_eq!(
            unit_from_title("Sjukfrånvaro totalt bland anställda, kommun, andel (%)").as_deref(),
            Some("andel (%)")
        );
        assert_eq!(
            unit_from_title("Invånare totalt, antal").as_deref(),
            Some("antal")
        );
        assert_eq!(unit_from_title("Kommunen, övergripande"), None);
        assert_eq!(unit_from_title("Utan komma"), None);
    }

    #[test]
    fn source_kind_reads_the_source_text_then_the_id() {
        assert_eq!(
            SourceKind::infer_kolada(&id("N00003"), "Personalkostnader. Källa: SCB."),
            SourceKind::NationalStatistics
        );
        assert_eq!(
            SourceKind::infer_kolada(&id("U07414"), "Andel. Källa: Egen undersökning i kommunen."),
            SourceKind::Survey
        );
        assert_eq!(
            SourceKind::infer_kolada(&id("U00200"), "Index. Källa: Kommunens egen rapportering."),
            SourceKind::OwnReporting
        );
    }

    #[test]
    fn codes_round_trip() {
        for d in [
            Direction::HigherIsBetter,
            Direction::LowerIsBetter,
            Direction::None,
        ] {
            assert_eq!(Direction::parse(d.code()), Some(d));
        }
        for k in [
            SourceKind::NationalStatistics,
            SourceKind::OwnReporting,
            SourceKind::Survey,
            SourceKind::External,
        ] {
            assert_eq!(SourceKind::parse(k.code()), Some(k));
        }
    }
}
