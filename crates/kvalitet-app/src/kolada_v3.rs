//! Answers in Kolada API v3's shapes, from the store: KPI, municipality and group objects, and
//! data rows with one entry per gender. A group id in the municipality position is answered
//! with the unweighted mean of its members (and `count` = members with a value), unless a
//! value for the group itself is stored (e.g. mirrored from Kolada).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use tokio::sync::mpsc;

use kvalitet_domain::{
    AreaId, Datum, Gender, GroupId, Measure, MeasureId, MissingStatus, MunicipalityGroup, Year,
};

use crate::ports::{Catalogue, StoreError, StoredValue, ValueFilter, Values};

/// A KPI object, the 12 fields in Kolada's order.
#[derive(Debug, Serialize)]
pub struct KpiObject {
    pub id: String,
    pub title: String,
    pub description: String,
    pub is_divided_by_gender: bool,
    pub municipality_type: Option<String>,
    pub auspice: Option<String>,
    pub operating_area: Option<String>,
    pub perspective: Option<String>,
    pub prel_publication_date: Option<String>,
    pub publication_date: Option<String>,
    pub publ_period: Option<String>,
    pub has_ou_data: bool,
    /// Not in Kolada's shape: the municipality whose own measure this is. Only own measures
    /// carry it, so Kolada's KPIs look exactly as Kolada gives them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl From<&Measure> for KpiObject {
    fn from(m: &Measure) -> Self {
        let k = &m.kolada;
        Self {
            id: m.id.to_string(),
            title: m.title.clone(),
            description: m.description.clone(),
            is_divided_by_gender: k.is_divided_by_gender,
            municipality_type: k.municipality_type.clone(),
            auspice: k.auspice.clone(),
            operating_area: k.operating_area.clone(),
            perspective: k.perspective.clone(),
            prel_publication_date: k.prel_publication_date.clone(),
            publication_date: k.publication_date.clone(),
            publ_period: k.publ_period.clone(),
            has_ou_data: k.has_ou_data,
            owner: m.origin.owner().map(|o| o.to_string()),
        }
    }
}

/// `{"id": "0180", "title": "Stockholm", "type": "K"}`.
#[derive(Debug, Serialize)]
pub struct MunicipalityObject {
    pub id: String,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// A member of a municipality or KPI group.
#[derive(Debug, Serialize)]
pub struct MemberObject {
    pub member_id: String,
    pub member_title: String,
}

/// `{"id", "title", "members": [{"member_id", "member_title"}]}`.
#[derive(Debug, Serialize)]
pub struct GroupObject {
    pub id: String,
    pub title: String,
    pub members: Vec<MemberObject>,
}

impl GroupObject {
    /// A group whose members are named from `titles` (id -> title).
    pub fn new(
        id: String,
        title: String,
        members: &[impl ToString],
        titles: &HashMap<String, String>,
    ) -> Self {
        let members = members
            .iter()
            .map(|m| {
                let member_id = m.to_string();
                let member_title = titles.get(&member_id).cloned().unwrap_or_default();
                MemberObject {
                    member_id,
                    member_title,
                }
            })
            .collect();
        Self { id, title, members }
    }
}

/// One entry of a data row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenderValue {
    pub gender: &'static str,
    pub count: u32,
    pub status: &'static str,
    pub value: Option<f64>,
    pub isdeleted: bool,
}

/// A data row: one measure, area and year, with its genders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataRow {
    pub values: Vec<GenderValue>,
    pub kpi: String,
    pub period: i16,
    pub municipality: String,
}

/// Which values a data route asks for; an empty list means every one of that dimension.
#[derive(Debug, Clone, Default)]
pub struct DataQuery {
    pub kpis: Vec<MeasureId>,
    pub areas: Vec<AreaId>,
    pub years: Vec<Year>,
    /// Kolada's `from_date` (`YYYY-MM-DD`): only values changed on or after that day, and the
    /// values deleted since, marked `isdeleted`. Group means are not computed then.
    pub from_date: Option<String>,
}

/// Kolada's status text for a missing value; `""` for a number.
fn status_text(datum: &Datum) -> &'static str {
    match datum {
        Datum::Number(_) => "",
        Datum::Missing(MissingStatus::NotPublished) => "Missing",
        Datum::Missing(MissingStatus::NotReported) => "not_reported",
        Datum::Missing(MissingStatus::Secret) => "..",
        Datum::Missing(MissingStatus::NotApplicable) => ".",
        Datum::Deleted => "",
    }
}

type Cell = (MeasureId, AreaId, Year, Gender);

/// Data rows for a query, ordered by measure, area and year (genders T, K, M).
pub async fn data<S: Values + Catalogue>(
    store: &S,
    query: &DataQuery,
) -> Result<Vec<DataRow>, StoreError> {
    let requested_groups: Vec<GroupId> = query
        .areas
        .iter()
        .filter_map(|a| match a {
            AreaId::Group(g) => Some(*g),
            AreaId::Municipality(_) => None,
        })
        .collect();
    let groups: HashMap<GroupId, MunicipalityGroup> =
        if requested_groups.is_empty() || query.from_date.is_some() {
            HashMap::new()
        } else {
            store
                .groups()
                .await?
                .into_iter()
                .filter(|g| requested_groups.contains(&g.id))
                .map(|g| (g.id, g))
                .collect()
        };
    let mut areas = query.areas.clone();
    for g in groups.values() {
        areas.extend(g.members.iter().map(|m| AreaId::Municipality(*m)));
    }
    let filter = ValueFilter {
        measures: query.kpis.clone(),
        areas,
        years: query.years.clone(),
        genders: Vec::new(),
        changed_since: query.from_date.clone(),
    };
    let stored = collect_values(store, &filter).await?;
    let deleted = match &query.from_date {
        Some(_) => store.deleted_values(&filter).await?,
        None => Vec::new(),
    };

    let mut cells: BTreeMap<Cell, (Datum, u32)> = BTreeMap::new();
    for v in &stored {
        let k = v.row.key;
        cells.insert(
            (k.measure, k.area, k.year, k.gender),
            (v.row.datum, v.row.count.unwrap_or(1)),
        );
    }
    // Group means where no group value is stored.
    for group in groups.values() {
        let mut sums: BTreeMap<(MeasureId, Year, Gender), (f64, u32)> = BTreeMap::new();
        for member in &group.members {
            let area = AreaId::Municipality(*member);
            for ((measure, a, year, gender), (datum, _)) in &cells {
                if *a == area
                    && let Datum::Number(v) = datum
                {
                    let e = sums.entry((*measure, *year, *gender)).or_insert((0.0, 0));
                    e.0 += v;
                    e.1 += 1;
                }
            }
        }
        for ((measure, year, gender), (sum, n)) in sums {
            cells
                .entry((measure, AreaId::Group(group.id), year, gender))
                .or_insert((Datum::Number(sum / f64::from(n)), n));
        }
    }

    for k in deleted {
        cells
            .entry((k.measure, k.area, k.year, k.gender))
            .or_insert((Datum::Deleted, 1));
    }

    let wanted = |area: &AreaId| query.areas.is_empty() || query.areas.contains(area);
    let mut rows: Vec<DataRow> = Vec::new();
    for ((measure, area, year, gender), (datum, count)) in cells {
        if !wanted(&area) {
            continue;
        }
        let entry = GenderValue {
            gender: gender.code(),
            count,
            status: status_text(&datum),
            value: datum.number(),
            isdeleted: datum == Datum::Deleted,
        };
        match rows.last_mut() {
            Some(last)
                if last.kpi == measure.as_str()
                    && last.municipality == area.as_str()
                    && last.period == year.get() =>
            {
                last.values.push(entry)
            }
            _ => rows.push(DataRow {
                values: vec![entry],
                kpi: measure.to_string(),
                period: year.get(),
                municipality: area.to_string(),
            }),
        }
    }
    Ok(rows)
}

pub(crate) async fn collect_values<S: Values>(
    store: &S,
    filter: &ValueFilter,
) -> Result<Vec<StoredValue>, StoreError> {
    let (tx, mut rx) = mpsc::channel(8);
    let (result, values) = tokio::join!(store.export_values(filter, tx), async {
        let mut all = Vec::new();
        while let Some(chunk) = rx.recv().await {
            all.extend(chunk);
        }
        all
    });
    result?;
    Ok(values)
}

/// The KPIs asked for (all when `wanted` is empty), whose title matches `title` if given.
pub async fn kpis(
    store: &impl Catalogue,
    wanted: &[MeasureId],
    title: Option<&str>,
) -> Result<Vec<KpiObject>, StoreError> {
    Ok(store
        .measures()
        .await?
        .iter()
        .filter(|m| wanted.is_empty() || wanted.contains(&m.id))
        .filter(|m| title.is_none_or(|t| title_matches(&m.title, t)))
        .map(KpiObject::from)
        .collect())
}

/// The municipalities and regions asked for, by id, title and Kolada type (K or L).
pub async fn municipalities(
    store: &impl Catalogue,
    ids: &[String],
    title: Option<&str>,
    kind: Option<&str>,
) -> Result<Vec<MunicipalityObject>, StoreError> {
    Ok(store
        .municipalities()
        .await?
        .into_iter()
        .filter(|m| ids.is_empty() || ids.iter().any(|i| i == m.id.as_str()))
        .filter(|m| title.is_none_or(|t| title_matches(&m.title, t)))
        .filter(|m| kind.is_none_or(|t| t == m.kind.kolada_type()))
        .map(|m| MunicipalityObject {
            id: m.id.to_string(),
            title: m.title,
            kind: m.kind.kolada_type(),
        })
        .collect())
}

/// The municipality groups asked for, with their members' titles.
pub async fn municipality_groups(
    store: &impl Catalogue,
    ids: &[String],
    title: Option<&str>,
) -> Result<Vec<GroupObject>, StoreError> {
    let titles: HashMap<String, String> = store
        .municipalities()
        .await?
        .into_iter()
        .map(|m| (m.id.to_string(), m.title))
        .collect();
    let mut groups = store.groups().await?;
    groups.sort_by_key(|g| g.id);
    Ok(groups
        .into_iter()
        .filter(|g| ids.is_empty() || ids.iter().any(|i| i == g.id.as_str()))
        .filter(|g| title.is_none_or(|t| title_matches(&g.title, t)))
        .map(|g| GroupObject::new(g.id.to_string(), g.title, &g.members, &titles))
        .collect())
}

/// The KPI groups asked for, with their members' titles.
pub async fn kpi_groups(
    store: &impl Catalogue,
    ids: &[String],
    title: Option<&str>,
) -> Result<Vec<GroupObject>, StoreError> {
    let titles: HashMap<String, String> = store
        .measures()
        .await?
        .into_iter()
        .map(|m| (m.id.to_string(), m.title))
        .collect();
    Ok(store
        .kpi_groups()
        .await?
        .into_iter()
        .filter(|g| ids.is_empty() || ids.contains(&g.id))
        .filter(|g| title.is_none_or(|t| g.title.as_deref().is_some_and(|gt| title_matches(gt, t))))
        .map(|g| {
            let title = g.title.unwrap_or_else(|| g.id.clone());
            GroupObject::new(g.id, title, &g.members.unwrap_or_default(), &titles)
        })
        .collect())
}

/// True when `title` contains `search`, ignoring case (Kolada's `?title=`).
pub fn title_matches(title: &str, search: &str) -> bool {
    title.to_lowercase().contains(&search.to_lowercase())
}
