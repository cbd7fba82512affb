//! Comparisons as the citizen site and the JSON API show them: who is compared with whom
//! (the population), a measure's values over the years (the series), one year's comparison
//! with every member's rank, colour and trend, and a municipality's report over a measure set.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use kvalitet_domain::compare::{self, Placement, Summary, Trend};
use kvalitet_domain::{
    AreaId, Colour, ColourCounts, County, Datum, Direction, Gender, GroupId, GroupKind, Measure,
    MeasureId, MeasureProfile, MeasureSet, MissingStatus, Municipality, MunicipalityGroup,
    MunicipalityId, MunicipalityKind, Year, swedish,
};

use crate::ports::{Catalogue, MeasureSetSummary, MeasureValues, StoreError, Values};

/// Why a comparison cannot be made; each names what was asked for.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("unknown municipality {0}")]
    UnknownMunicipality(String),
    #[error("unknown measure {0}")]
    UnknownMeasure(String),
    #[error("unknown measure set {0}")]
    UnknownSet(String),
    #[error("unknown group {0}")]
    UnknownGroup(String),
    #[error("unknown county {0}")]
    UnknownCounty(String),
    /// A population that does not parse: the text asked for, and why.
    #[error(
        "population {value:?}: {why}; use all, set, group:ID, county:NN, neighbours:ID or list:ID,ID"
    )]
    BadPopulation { value: String, why: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ReportError {
    /// What to tell a person (see [`kvalitet_domain::Message`]).
    pub fn message(&self) -> kvalitet_domain::Message {
        use kvalitet_domain::Message;
        match self {
            Self::UnknownMunicipality(id) => Message::new("unknown_municipality").with("id", id),
            Self::UnknownMeasure(id) => Message::new("unknown_measure").with("id", id),
            Self::UnknownSet(id) => Message::new("unknown_set").with("id", id),
            Self::UnknownGroup(id) => Message::new("unknown_group").with("id", id),
            Self::UnknownCounty(id) => Message::new("unknown_county").with("id", id),
            Self::BadPopulation { value, .. } => {
                Message::new("bad_population").with("value", value)
            }
            Self::Store(_) => Message::new("failed"),
        }
    }

    /// Whether the error is the asker's (400/404) rather than the server's.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Self::UnknownMunicipality(_)
                | Self::UnknownMeasure(_)
                | Self::UnknownSet(_)
                | Self::UnknownGroup(_)
                | Self::UnknownCounty(_)
        )
    }
}

/// Whom a municipality is compared with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Population {
    /// All kommuner.
    All,
    /// The participants of the measure set shown (all kommuner when it names none).
    Set,
    /// A municipality group: SKR kommungrupp, Kolada's similar municipalities, a custom group.
    Group(GroupId),
    /// The kommuner of one county ("01").
    County(String),
    /// A municipality and its neighbours.
    Neighbours(MunicipalityId),
    /// A list chosen on the spot.
    List(Vec<MunicipalityId>),
}

impl Population {
    /// Parses `all`, `set`, `group:G92787`, `county:01`, `neighbours:0180` or
    /// `list:0180,1480`.
    pub fn parse(s: &str) -> Result<Self, ReportError> {
        let bad = |why: String| ReportError::BadPopulation {
            value: s.to_owned(),
            why,
        };
        let (kind, arg) = s.split_once(':').unwrap_or((s, ""));
        Ok(match kind {
            "all" | "" => Self::All,
            "set" => Self::Set,
            "group" => Self::Group(GroupId::parse(arg).map_err(|e| bad(e.to_string()))?),
            "county" if arg.len() == 2 && arg.bytes().all(|b| b.is_ascii_digit()) => {
                Self::County(arg.to_owned())
            }
            "county" => return Err(bad(format!("county {arg:?} is not two digits"))),
            "neighbours" => {
                Self::Neighbours(MunicipalityId::parse(arg).map_err(|e| bad(e.to_string()))?)
            }
            "list" => Self::List(
                arg.split(',')
                    .filter(|s| !s.is_empty())
                    .map(|m| MunicipalityId::parse(m).map_err(|e| bad(e.to_string())))
                    .collect::<Result<_, _>>()?,
            ),
            other => return Err(bad(format!("{other:?} is not a kind of population"))),
        })
    }

    pub fn code(&self) -> String {
        match self {
            Self::All => "all".into(),
            Self::Set => "set".into(),
            Self::Group(g) => format!("group:{g}"),
            Self::County(c) => format!("county:{c}"),
            Self::Neighbours(m) => format!("neighbours:{m}"),
            Self::List(l) => format!(
                "list:{}",
                l.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(",")
            ),
        }
    }
}

/// The catalogue as the site needs it, loaded once per data version.
#[derive(Debug, Default)]
pub struct Directory {
    /// Kommuner in Swedish alphabetical order.
    pub kommuner: Vec<Municipality>,
    /// Every municipality, region and Riket by id.
    pub areas: HashMap<MunicipalityId, Municipality>,
    pub groups: HashMap<GroupId, MunicipalityGroup>,
    pub counties: Vec<County>,
    pub neighbours: HashMap<MunicipalityId, Vec<MunicipalityId>>,
    pub measures: HashMap<MeasureId, Measure>,
    pub profiles: HashMap<MeasureId, MeasureProfile>,
    pub sets: Vec<MeasureSetSummary>,
    /// Every set whole, by id.
    pub set_details: HashMap<String, MeasureSet>,
    /// Map outlines by municipality.
    pub shapes: Vec<(MunicipalityId, String)>,
}

impl Directory {
    pub async fn load(store: &impl Catalogue) -> Result<Self, StoreError> {
        let all = store.municipalities().await?;
        let mut kommuner: Vec<Municipality> = all
            .iter()
            .filter(|m| m.kind == MunicipalityKind::Kommun)
            .cloned()
            .collect();
        kommuner.sort_by(|a, b| swedish::compare_names(&a.title, &b.title));
        let neighbours = store.neighbours().await?;
        let whole = store.measure_sets().await?;
        let sets = whole.iter().map(MeasureSetSummary::from).collect();
        let set_details = whole.into_iter().map(|s| (s.id.clone(), s)).collect();
        Ok(Self {
            kommuner,
            areas: all.into_iter().map(|m| (m.id, m)).collect(),
            groups: store
                .groups()
                .await?
                .into_iter()
                .map(|g| (g.id, g))
                .collect(),
            counties: store.counties().await?,
            neighbours,
            measures: store
                .measures()
                .await?
                .into_iter()
                .map(|m| (m.id, m))
                .collect(),
            profiles: store
                .measure_profiles()
                .await?
                .into_iter()
                .map(|p| (p.measure, p))
                .collect(),
            sets,
            set_details,
            shapes: store.shapes().await?,
        })
    }

    pub fn kommun(&self, id: &str) -> Result<&Municipality, ReportError> {
        MunicipalityId::parse(id)
            .ok()
            .and_then(|m| self.areas.get(&m))
            .filter(|m| m.kind == MunicipalityKind::Kommun)
            .ok_or_else(|| ReportError::UnknownMunicipality(id.to_owned()))
    }

    pub fn measure(&self, id: &str) -> Result<&Measure, ReportError> {
        MeasureId::parse(id)
            .ok()
            .and_then(|m| self.measures.get(&m))
            .ok_or_else(|| ReportError::UnknownMeasure(id.to_owned()))
    }

    /// A set by id, or the default: "kkik" when loaded, else the first set.
    pub fn set(&self, id: Option<&str>) -> Result<&MeasureSet, ReportError> {
        match id {
            Some(id) => self
                .set_details
                .get(id)
                .ok_or_else(|| ReportError::UnknownSet(id.to_owned())),
            None => self
                .set_details
                .get("kkik")
                .or_else(|| self.sets.first().and_then(|s| self.set_details.get(&s.id)))
                .ok_or_else(|| {
                    ReportError::UnknownSet(
                        "(none is loaded: kvalitet import data/measure-sets)".into(),
                    )
                }),
        }
    }

    pub fn name(&self, id: &MunicipalityId) -> String {
        self.areas
            .get(id)
            .map_or_else(|| id.to_string(), |m| m.title.clone())
    }

    /// How a measure is presented: its profile, or what the catalogue says.
    pub fn presentation(&self, measure: &Measure) -> Presentation {
        let profile = self.profiles.get(&measure.id);
        Presentation {
            measure: measure.id,
            question: profile.map_or_else(|| measure.title.clone(), |p| p.question.clone()),
            question_en: profile.and_then(|p| p.question_en.clone()),
            title: measure.title.clone(),
            unit: profile
                .and_then(|p| p.unit.clone())
                .or_else(|| measure.unit.clone()),
            unit_en: profile.and_then(|p| p.unit_en.clone()),
            direction: measure.direction,
            decimals: profile.map_or_else(|| default_decimals(measure), |p| p.decimals),
            divided_by_gender: measure.kolada.is_divided_by_gender,
        }
    }

    /// The kommuner of a population, in Swedish alphabetical order.
    pub fn population(
        &self,
        population: &Population,
        set: Option<&MeasureSet>,
    ) -> Result<Vec<MunicipalityId>, ReportError> {
        let is_kommun = |m: &MunicipalityId| {
            self.areas
                .get(m)
                .is_some_and(|a| a.kind == MunicipalityKind::Kommun)
        };
        let members: Vec<MunicipalityId> = match population {
            Population::All => return Ok(self.kommuner.iter().map(|m| m.id).collect()),
            Population::Set => match set {
                Some(s) if !s.participants.is_empty() => s.participants.clone(),
                _ => return Ok(self.kommuner.iter().map(|m| m.id).collect()),
            },
            Population::Group(g) => self
                .groups
                .get(g)
                .ok_or_else(|| ReportError::UnknownGroup(g.to_string()))?
                .members
                .clone(),
            Population::County(c) => {
                if !self.counties.iter().any(|k| &k.code == c) {
                    return Err(ReportError::UnknownCounty(c.clone()));
                }
                self.kommuner
                    .iter()
                    .filter(|m| m.county_code.as_deref() == Some(c))
                    .map(|m| m.id)
                    .collect()
            }
            Population::Neighbours(m) => {
                let list = self
                    .neighbours
                    .get(m)
                    .ok_or_else(|| ReportError::UnknownMunicipality(m.to_string()))?;
                std::iter::once(*m).chain(list.iter().copied()).collect()
            }
            Population::List(list) => {
                if let Some(bad) = list.iter().find(|m| !is_kommun(m)) {
                    return Err(ReportError::UnknownMunicipality(bad.to_string()));
                }
                list.clone()
            }
        };
        let wanted: BTreeSet<MunicipalityId> = members.into_iter().filter(is_kommun).collect();
        Ok(self
            .kommuner
            .iter()
            .map(|m| m.id)
            .filter(|m| wanted.contains(m))
            .collect())
    }

    /// A population's name in Swedish ("alla kommuner", "Storstäder", "Stockholms län"):
    /// the JSON API's and the downloads' language.
    pub fn population_name(&self, population: &Population, set: Option<&MeasureSet>) -> String {
        kvalitet_domain::Lang::Sv.say(&self.population_label(population, set))
    }

    /// The population's name to be said in a reader's language: "alla kommuner" / "all
    /// municipalities", a group's or county's own name, "Ale och grannkommunerna".
    pub fn population_label(
        &self,
        population: &Population,
        set: Option<&MeasureSet>,
    ) -> kvalitet_domain::Message {
        use kvalitet_domain::Message;
        match population {
            Population::All => Message::new("pop_all"),
            Population::Set => match set {
                Some(s) if !s.participants.is_empty() => {
                    Message::new("pop_participants").with("set", &s.title)
                }
                _ => Message::new("pop_all"),
            },
            Population::Group(g) => Message::from(
                self.groups
                    .get(g)
                    .map_or_else(|| g.to_string(), |g| g.title.clone()),
            ),
            Population::County(c) => Message::from(
                self.counties
                    .iter()
                    .find(|k| &k.code == c)
                    .map_or_else(|| c.clone(), |k| k.name.clone()),
            ),
            Population::Neighbours(m) => Message::new("pop_neighbours").with("name", self.name(m)),
            Population::List(_) => Message::new("pop_list"),
        }
    }

    /// The groups a kommun can be compared within: its SKR kommungrupp and Kolada's similar
    /// municipalities groups that include it, and custom groups.
    pub fn groups_of(&self, m: &MunicipalityId) -> Vec<&MunicipalityGroup> {
        let mut groups: Vec<&MunicipalityGroup> = self
            .groups
            .values()
            .filter(|g| {
                matches!(
                    g.kind,
                    GroupKind::SkrKommungrupp
                        | GroupKind::SimilarMunicipalities
                        | GroupKind::Custom
                )
            })
            .filter(|g| g.members.contains(m))
            .collect();
        // Similar-municipality groups are named after the kommun they serve; keep those.
        let name = self.name(m);
        groups.retain(|g| g.kind != GroupKind::SimilarMunicipalities || g.title.contains(&name));
        groups.sort_by(|a, b| (a.kind.code(), &a.title).cmp(&(b.kind.code(), &b.title)));
        groups
    }
}

/// One decimal for shares and ratios, none for kronor and whole numbers.
fn default_decimals(measure: &Measure) -> u8 {
    match measure.unit.as_deref() {
        Some(u) if u.starts_with("kr") || u.starts_with("tkr") || u.starts_with("antal") => 0,
        _ => 1,
    }
}

/// How a measure is shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Presentation {
    pub measure: MeasureId,
    /// The citizen question (the Kolada title when no set gives one).
    pub question: String,
    pub question_en: Option<String>,
    /// Kolada's title.
    pub title: String,
    pub unit: Option<String>,
    pub unit_en: Option<String>,
    pub direction: Direction,
    pub decimals: u8,
    pub divided_by_gender: bool,
}

/// A measure's values for one gender over all areas and years.
#[derive(Debug, Clone, Default)]
pub struct Series {
    values: HashMap<(MunicipalityId, Year), (Datum, Option<u32>)>,
    /// Years with at least one number.
    pub years: BTreeSet<Year>,
    pub updated_at: Option<kvalitet_domain::Timestamp>,
}

impl Series {
    pub async fn load(
        store: &impl Values,
        measure: &MeasureId,
        gender: Gender,
    ) -> Result<Self, StoreError> {
        Ok(Self::from(store.measure_values(measure, gender).await?))
    }

    pub fn datum(&self, m: &MunicipalityId, year: Year) -> Option<Datum> {
        self.values.get(&(*m, year)).map(|(d, _)| *d)
    }

    pub fn number(&self, m: &MunicipalityId, year: Year) -> Option<f64> {
        match self.datum(m, year) {
            Some(Datum::Number(x)) => Some(x),
            _ => None,
        }
    }

    /// The number of respondents or members behind a value, when the source gives it.
    pub fn count(&self, m: &MunicipalityId, year: Year) -> Option<u32> {
        self.values.get(&(*m, year)).and_then(|(_, c)| *c)
    }

    /// The latest year before `year` in which anyone has a number: the year a trend looks
    /// back to (measures collected every fourth year skip the years between).
    pub fn previous_year(&self, year: Year) -> Option<Year> {
        self.years.range(..year).next_back().copied()
    }

    /// Approximate memory, for caches.
    pub fn size(&self) -> usize {
        self.values.len() * 48 + self.years.len() * 8 + 64
    }

    /// The latest year, not after `until`, in which any of `population` has a number.
    pub fn latest_year(&self, population: &[MunicipalityId], until: Option<Year>) -> Option<Year> {
        self.years
            .iter()
            .rev()
            .filter(|y| until.is_none_or(|u| **y <= u))
            .find(|y| population.iter().any(|m| self.number(m, **y).is_some()))
            .copied()
    }
}

impl From<MeasureValues> for Series {
    fn from(v: MeasureValues) -> Self {
        let mut series = Series {
            updated_at: v.updated_at,
            ..Series::default()
        };
        for value in v.values {
            if let AreaId::Municipality(m) = value.area {
                if matches!(value.datum, Datum::Number(_)) {
                    series.years.insert(value.year);
                }
                series
                    .values
                    .insert((m, value.year), (value.datum, value.count));
            }
        }
        series
    }
}

/// One member's line in a year's comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparedRow {
    pub municipality: MunicipalityId,
    pub name: String,
    /// The number, or why there is none (`None` when nothing was loaded at all).
    pub value: Option<f64>,
    pub status: Option<MissingStatus>,
    #[serde(flatten)]
    pub placement: Placement,
    pub previous: Option<f64>,
    pub trend: Trend,
}

/// One measure, year and population compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearComparison {
    pub year: Year,
    pub summary: Summary,
    /// Kolada's Riket value (weighted), shown apart from the unweighted snitt.
    pub riket: Option<f64>,
    /// The year each row's trend looks back to: the latest earlier year in which the measure
    /// was collected at all, so a measure of elections compares 2022 with 2018, not with 2021.
    pub previous_year: Option<Year>,
    /// In the population's (Swedish alphabetical) order.
    pub rows: Vec<ComparedRow>,
}

impl YearComparison {
    pub fn row(&self, m: &MunicipalityId) -> Option<&ComparedRow> {
        self.rows.iter().find(|r| &r.municipality == m)
    }

    /// The rows best first (missing last), for ranked tables.
    pub fn ranked(&self) -> Vec<&ComparedRow> {
        let mut rows: Vec<&ComparedRow> = self.rows.iter().collect();
        rows.sort_by_key(|r| r.placement.rank.unwrap_or(usize::MAX));
        rows
    }
}

/// Compares `population` in `year`, with each member's trend against the measure's previous
/// year of collection (see [`YearComparison::previous_year`]).
pub fn compare_year(
    directory: &Directory,
    series: &Series,
    presentation: &Presentation,
    population: &[MunicipalityId],
    year: Year,
) -> YearComparison {
    let values: Vec<Option<f64>> = population.iter().map(|m| series.number(m, year)).collect();
    let result = compare::compare(&values, presentation.direction);
    let previous_year = series.previous_year(year);
    let rows = population
        .iter()
        .zip(result.placements)
        .map(|(m, placement)| {
            let previous = previous_year.and_then(|y| series.number(m, y));
            ComparedRow {
                municipality: *m,
                name: directory.name(m),
                value: placement.value,
                status: match series.datum(m, year) {
                    Some(Datum::Missing(s)) => Some(s),
                    _ => None,
                },
                trend: compare::trend(
                    placement.value,
                    previous,
                    presentation.direction,
                    presentation.decimals,
                ),
                placement,
                previous,
            }
        })
        .collect();
    YearComparison {
        year,
        summary: result.summary,
        riket: MunicipalityId::parse("0000")
            .ok()
            .and_then(|r| series.number(&r, year)),
        previous_year,
        rows,
    }
}

/// One year of a time series chart: the municipality against the population.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPoint {
    pub year: Year,
    pub value: Option<f64>,
    pub mean: Option<f64>,
    pub worst: Option<f64>,
    pub best: Option<f64>,
    /// The quartiles: the middle half of the population lies between them.
    pub q1: Option<f64>,
    pub q3: Option<f64>,
    pub riket: Option<f64>,
    pub n: usize,
}

/// The municipality's values and the population's snitt and range, year by year.
pub fn time_series(
    series: &Series,
    presentation: &Presentation,
    population: &[MunicipalityId],
    m: &MunicipalityId,
) -> Vec<SeriesPoint> {
    let riket = MunicipalityId::parse("0000").ok();
    series
        .years
        .iter()
        .map(|&year| {
            let values: Vec<Option<f64>> =
                population.iter().map(|p| series.number(p, year)).collect();
            let s = compare::compare(&values, presentation.direction).summary;
            SeriesPoint {
                year,
                value: series.number(m, year),
                mean: s.mean,
                worst: s.worst,
                best: s.best,
                q1: s.q1,
                q3: s.q3,
                riket: riket.and_then(|r| series.number(&r, year)),
                n: s.n,
            }
        })
        .filter(|p| p.n > 0 || p.value.is_some())
        .collect()
}

/// One measure of a municipality's report.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub presentation: Presentation,
    /// The set's question for this measure.
    pub question: String,
    pub question_en: Option<String>,
    /// Whether the catalogue knows the measure.
    pub known: bool,
    /// The comparison of the latest year with data, not after the report's year.
    pub comparison: Option<YearComparison>,
    pub points: Vec<SeriesPoint>,
}

impl Card {
    pub fn own(&self, m: &MunicipalityId) -> Option<&ComparedRow> {
        self.comparison.as_ref().and_then(|c| c.row(m))
    }
}

/// An area of a report with its cards.
#[derive(Debug, Clone, Serialize)]
pub struct ReportArea {
    pub title: String,
    pub title_en: Option<String>,
    pub cards: Vec<Card>,
    /// The municipality's own measures, after the set's areas: shown, but not counted in the
    /// set's summary (they are compared with no one).
    pub own: bool,
}

/// A municipality's results over a measure set.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub municipality: Municipality,
    pub set_id: String,
    pub set_title: String,
    pub set_title_en: Option<String>,
    pub set_description: String,
    pub set_description_en: Option<String>,
    pub gender: Gender,
    pub population: String,
    pub population_name: String,
    /// The population's name to be said in the reader's language.
    #[serde(skip)]
    pub population_label: kvalitet_domain::Message,
    pub population_size: usize,
    pub areas: Vec<ReportArea>,
    /// Colours of the municipality's measures in their latest year, and the year before.
    pub colours: ColourCounts,
    pub colours_before: ColourCounts,
}

/// What a resident reads first about a municipality: how many of the set's measures have a
/// value, the strongest and weakest by position, and the measures without a value with why.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    /// The measures of the set.
    pub measures: usize,
    /// Those with a value for the municipality in their latest year.
    pub with_values: usize,
    /// The latest year any of them has.
    pub year: Option<Year>,
    /// The best placed first (by rank relative to how many have values), at most three.
    pub strongest: Vec<Standing>,
    /// The worst placed first, at most three, none of them among the strongest.
    pub weakest: Vec<Standing>,
    /// The measures without a value, in the set's order.
    pub gaps: Vec<Gap>,
    /// The measures that moved most since their previous year of collection, measured in
    /// the population's spread ([`compare::spread_change`]), largest first.
    pub changed: Vec<Moved>,
}

/// A measure that moved: its value now and before, and the years.
#[derive(Debug, Clone, Serialize)]
pub struct Moved {
    pub presentation: Presentation,
    pub question: String,
    pub question_en: Option<String>,
    pub year: Year,
    pub previous_year: Year,
    pub now: f64,
    pub before: f64,
    pub trend: Trend,
    /// |now − before| in units of the population's interquartile range.
    pub size: f64,
}

/// A measure where the municipality is placed.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    pub measure: MeasureId,
    pub question: String,
    pub question_en: Option<String>,
    pub rank: usize,
    /// How many have values.
    pub of: usize,
    pub colour: Colour,
    pub year: Year,
}

/// A measure without a value for the municipality.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    pub measure: MeasureId,
    pub question: String,
    pub question_en: Option<String>,
    /// The year compared, when any municipality has values.
    pub year: Option<Year>,
    /// Kolada's reason when it gives one.
    pub status: Option<MissingStatus>,
    /// Whether the catalogue knows the measure at all.
    pub known: bool,
    /// The municipality's latest earlier value and its year.
    pub latest: Option<(Year, f64)>,
}

/// How many to name as strongest and weakest.
const STANDINGS: usize = 3;

/// The headline of a report (see [`Headline`]). Only coloured measures are placed: a
/// measure without a better direction or with too few values says nothing about strength.
pub fn headline(report: &Report) -> Headline {
    let m = report.municipality.id;
    let cards = report
        .areas
        .iter()
        .filter(|a| !a.own)
        .flat_map(|a| &a.cards);
    let mut placed = Vec::new();
    let mut gaps = Vec::new();
    let mut changed = Vec::new();
    let (mut measures, mut with_values, mut year) = (0, 0, None::<Year>);
    for card in cards {
        measures += 1;
        let own = card.own(&m);
        match (own, &card.comparison) {
            (Some(row), Some(c)) if row.value.is_some() => {
                with_values += 1;
                year = year.max(Some(c.year));
                let moved =
                    compare::spread_change(row.value, row.previous, c.summary.q1, c.summary.q3);
                if let (Some(size), Some(now), Some(before), Some(previous_year)) =
                    (moved, row.value, row.previous, c.previous_year)
                    && matches!(row.trend, Trend::Better | Trend::Worse | Trend::Changed)
                {
                    changed.push(Moved {
                        presentation: card.presentation.clone(),
                        question: card.question.clone(),
                        question_en: card.question_en.clone(),
                        year: c.year,
                        previous_year,
                        now,
                        before,
                        trend: row.trend,
                        size,
                    });
                }
                let coloured = matches!(
                    row.placement.colour,
                    Colour::Green | Colour::Yellow | Colour::Red
                );
                if let (Some(rank), true) = (row.placement.rank, coloured) {
                    placed.push(Standing {
                        measure: card.presentation.measure,
                        question: card.question.clone(),
                        question_en: card.question_en.clone(),
                        rank,
                        of: c.summary.n,
                        colour: row.placement.colour,
                        year: c.year,
                    });
                }
            }
            _ => gaps.push(Gap {
                measure: card.presentation.measure,
                question: card.question.clone(),
                question_en: card.question_en.clone(),
                year: card.comparison.as_ref().map(|c| c.year),
                status: own.and_then(|r| r.status),
                known: card.known,
                latest: card
                    .points
                    .iter()
                    .rev()
                    .find_map(|p| Some((p.year, p.value?))),
            }),
        }
    }
    // Position 0 is the best, 1 the worst, whatever the number of values.
    let position = |s: &Standing| {
        if s.of > 1 {
            (s.rank - 1) as f64 / (s.of - 1) as f64
        } else {
            0.0
        }
    };
    placed.sort_by(|a, b| {
        position(a)
            .total_cmp(&position(b))
            .then_with(|| a.measure.cmp(&b.measure))
    });
    let strongest: Vec<Standing> = placed.iter().take(STANDINGS).cloned().collect();
    let weakest: Vec<Standing> = placed
        .iter()
        .rev()
        .take(STANDINGS.min(placed.len().saturating_sub(strongest.len())))
        .cloned()
        .collect();
    changed.sort_by(|a, b| {
        b.size
            .total_cmp(&a.size)
            .then_with(|| a.presentation.measure.cmp(&b.presentation.measure))
    });
    changed.truncate(STANDINGS);
    Headline {
        measures,
        with_values,
        year,
        strongest,
        weakest,
        gaps,
        changed,
    }
}

/// Builds a report; `series` gives each measure's values (from a cache in the web layer).
pub async fn municipality_report<F, Fut>(
    directory: &Directory,
    set: &MeasureSet,
    m: &MunicipalityId,
    gender: Gender,
    population: &Population,
    until: Option<Year>,
    mut series: F,
) -> Result<Report, ReportError>
where
    F: FnMut(MeasureId) -> Fut,
    Fut: std::future::Future<Output = Result<std::sync::Arc<Series>, StoreError>>,
{
    let municipality = directory.kommun(m.as_str())?.clone();
    let members = directory.population(population, Some(set))?;
    let mut colours = ColourCounts::default();
    let mut colours_before = ColourCounts::default();
    let mut areas = Vec::new();
    for area in &set.areas {
        let mut cards = Vec::new();
        for item in &area.items {
            let known = directory.measures.get(&item.measure);
            let presentation = match known {
                Some(measure) => directory.presentation(measure),
                None => Presentation {
                    measure: item.measure,
                    question: item.question.clone(),
                    question_en: item.question_en.clone(),
                    title: item.question.clone(),
                    unit: item.profile.as_ref().and_then(|p| p.unit.clone()),
                    unit_en: item.profile.as_ref().and_then(|p| p.unit_en.clone()),
                    direction: item
                        .profile
                        .as_ref()
                        .map_or(Direction::None, |p| p.direction),
                    decimals: item.profile.as_ref().map_or(1, |p| p.decimals),
                    divided_by_gender: false,
                },
            };
            let data = series(item.measure).await?;
            let year = data.latest_year(&members, until);
            let comparison =
                year.map(|y| compare_year(directory, &data, &presentation, &members, y));
            if let Some(c) = &comparison {
                if let Some(row) = c.row(m) {
                    colours.add(row.placement.colour);
                }
                if let Some(before) = c.previous_year {
                    let earlier = compare_year(directory, &data, &presentation, &members, before);
                    if let Some(row) = earlier.row(m) {
                        colours_before.add(row.placement.colour);
                    }
                }
            }
            cards.push(Card {
                points: time_series(&data, &presentation, &members, m),
                presentation,
                question: item.question.clone(),
                question_en: item.question_en.clone(),
                known: known.is_some(),
                comparison,
            });
        }
        areas.push(ReportArea {
            title: area.title.clone(),
            title_en: area.title_en.clone(),
            cards,
            own: false,
        });
    }
    let mut own: Vec<&Measure> = directory
        .measures
        .values()
        .filter(|x| x.origin == kvalitet_domain::MeasureOrigin::Own(*m))
        .collect();
    own.sort_by_key(|x| x.id);
    let mut own_cards = Vec::new();
    for measure in own {
        let presentation = directory.presentation(measure);
        let data = series(measure.id).await?;
        let comparison = data
            .latest_year(&[*m], until)
            .map(|y| compare_year(directory, &data, &presentation, &members, y));
        own_cards.push(Card {
            points: time_series(&data, &presentation, &members, m),
            question: presentation.question.clone(),
            question_en: presentation.question_en.clone(),
            presentation,
            known: true,
            comparison,
        });
    }
    if !own_cards.is_empty() {
        areas.push(ReportArea {
            title: kvalitet_domain::Lang::Sv.t("own_measures_area").to_owned(),
            title_en: Some(kvalitet_domain::Lang::En.t("own_measures_area").to_owned()),
            cards: own_cards,
            own: true,
        });
    }
    Ok(Report {
        municipality,
        set_id: set.id.clone(),
        set_title: set.title.clone(),
        set_title_en: set.title_en.clone(),
        set_description: set.description.clone(),
        set_description_en: set.description_en.clone(),
        gender,
        population: population.code(),
        population_name: directory.population_name(population, Some(set)),
        population_label: directory.population_label(population, Some(set)),
        population_size: members.len(),
        areas,
        colours,
        colours_before,
    })
}

/// Every version of a value, the current one first: residents see how a figure changed.
pub async fn value_history(
    store: &impl Values,
    key: &kvalitet_domain::ValueKey,
) -> Result<Vec<crate::ports::ValueRevision>, StoreError> {
    store.value_history(key).await
}

/// What is loaded, for the status page.
pub async fn overview(store: &impl Catalogue) -> Result<crate::ports::Overview, StoreError> {
    store.overview().await
}

/// Whether any municipality and any value is loaded (cheap).
pub async fn contents(store: &impl Catalogue) -> Result<crate::ports::Contents, StoreError> {
    store.contents().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn populations_parse_and_print_back() {
        for s in [
            "all",
            "set",
            "group:G92787",
            "county:01",
            "neighbours:0180",
            "list:0180,1480",
        ] {
            assert_eq!(Population::parse(s).unwrap().code(), s);
        }
        for bad in [
            "county:1",
            "group:X",
            "neighbours:18",
            "list:0180,x",
            "everyone",
        ] {
            assert!(
                matches!(
                    Population::parse(bad),
                    Err(ReportError::BadPopulation { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_measure_of_elections_looks_back_to_the_previous_election() {
        use crate::ports::AreaValue;
        let stockholm = MunicipalityId::parse("0180").unwrap();
        let year = |y| Year::new(y).unwrap();
        let values = [(2014, 80.0), (2018, 82.1), (2022, 84.2)]
            .into_iter()
            .map(|(y, x)| AreaValue {
                area: AreaId::Municipality(stockholm),
                year: year(y),
                datum: Datum::Number(x),
                count: None,
            })
            .collect();
        let series = Series::from(MeasureValues {
            values,
            updated_at: None,
        });
        let presentation = Presentation {
            measure: MeasureId::parse("N05401").unwrap(),
            question: "Valdeltagande".into(),
            question_en: None,
            title: "Valdeltagande".into(),
            unit: Some("procent".into()),
            unit_en: None,
            direction: Direction::HigherIsBetter,
            decimals: 1,
            divided_by_gender: false,
        };
        let directory = Directory::default();
        let c = compare_year(&directory, &series, &presentation, &[stockholm], year(2022));
        assert_eq!(c.previous_year, Some(year(2018)));
        assert_eq!(c.rows[0].previous, Some(82.1));
        assert_eq!(c.rows[0].trend, Trend::Better);
        let first = compare_year(&directory, &series, &presentation, &[stockholm], year(2014));
        assert_eq!(first.previous_year, None);
        assert_eq!(first.rows[0].trend, Trend::NotComparable);
    }
}
