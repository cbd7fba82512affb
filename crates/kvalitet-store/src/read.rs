//! Reading: ids, values (streamed), revision history, catalogue and the overview.

use futures_util::TryStreamExt;
use tokio::sync::mpsc;

use std::collections::HashMap;

use kvalitet_app::ports::{
    AreaValue, ImportRecord, KnownIds, KpiGroupRecord, MeasureSetSummary, MeasureText,
    MeasureValues, Overview, StoreError, StoredValue, ValueFilter, ValueRevision,
};
use kvalitet_domain::{
    AreaId, County, Datum, Direction, Gender, GroupId, GroupKind, KoladaMeta, Measure, MeasureId,
    MeasureOrigin, MeasureProfile, MeasureSet, MeasureSetArea, MeasureSetItem, MissingStatus,
    Municipality, MunicipalityGroup, MunicipalityId, MunicipalityKind, SourceKind, ValueKey,
    ValueRow, Year,
};

use crate::{SqlStore, db, fetch_all, on_pool};

fn invalid(what: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("stored data is not valid: {what}"))
}

pub(crate) async fn known_ids(store: &SqlStore) -> Result<KnownIds, StoreError> {
    let mut known = KnownIds::default();
    for (id,) in fetch_all!(pool store, (String,), "SELECT id FROM measure")? {
        known
            .measures
            .insert(MeasureId::parse(&id).map_err(invalid)?);
    }
    for (id,) in fetch_all!(pool store, (String,), "SELECT id FROM municipality")? {
        known
            .municipalities
            .insert(MunicipalityId::parse(&id).map_err(invalid)?);
    }
    for (id,) in fetch_all!(pool store, (String,), "SELECT id FROM municipality_group")? {
        known.groups.insert(GroupId::parse(&id).map_err(invalid)?);
    }
    Ok(known)
}

type ValueTuple = (
    String,
    String,
    i64,
    String,
    Option<f64>,
    Option<String>,
    Option<i64>,
);

fn datum(value: Option<f64>, status: Option<&str>) -> Result<Datum, StoreError> {
    match (value, status) {
        (Some(v), _) => Ok(Datum::Number(v)),
        (None, Some(s)) => Ok(Datum::Missing(MissingStatus::parse(s).map_err(invalid)?)),
        (None, None) => Err(invalid("a value with neither number nor status")),
    }
}

fn value_row(
    (measure, area, year, gender, value, status, count): ValueTuple,
) -> Result<ValueRow, StoreError> {
    Ok(ValueRow {
        key: ValueKey {
            measure: MeasureId::parse(&measure).map_err(invalid)?,
            area: AreaId::parse(&area).map_err(invalid)?,
            year: Year::new(year).map_err(invalid)?,
            gender: Gender::parse(&gender).map_err(invalid)?,
        },
        datum: datum(value, status.as_deref())?,
        count: count.map(|c| c as u32),
    })
}

/// `column IN ($n, ...)` for a filter list, numbering placeholders from `next`.
fn in_list(column: &str, len: usize, next: &mut usize) -> String {
    let placeholders: Vec<String> = (0..len)
        .map(|_| {
            *next += 1;
            format!("${next}")
        })
        .collect();
    format!("{column} IN ({})", placeholders.join(", "))
}

/// The WHERE clause of a value filter over `alias`, its text arguments, then its years.
fn filter_sql(filter: &ValueFilter, alias: &str) -> (String, Vec<String>, Vec<i64>) {
    let mut clauses = Vec::new();
    let mut next = 0;
    let mut text_args: Vec<String> = Vec::new();
    let lists: [(&str, Vec<String>); 3] = [
        (
            "measure_id",
            filter.measures.iter().map(|m| m.to_string()).collect(),
        ),
        (
            "area_id",
            filter.areas.iter().map(|a| a.to_string()).collect(),
        ),
        (
            "gender",
            filter.genders.iter().map(|g| g.code().to_owned()).collect(),
        ),
    ];
    for (column, values) in lists {
        if !values.is_empty() {
            clauses.push(in_list(
                &format!("{alias}.{column}"),
                values.len(),
                &mut next,
            ));
            text_args.extend(values);
        }
    }
    if let Some(since) = &filter.changed_since {
        next += 1;
        let column = if alias == "r" {
            "r.replaced_at"
        } else {
            "b.imported_at"
        };
        clauses.push(format!("{column} >= ${next}"));
        text_args.push(since.clone());
    }
    let years: Vec<i64> = filter.years.iter().map(|y| i64::from(y.get())).collect();
    if !years.is_empty() {
        clauses.push(in_list(&format!("{alias}.year"), years.len(), &mut next));
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    (where_sql, text_args, years)
}

pub(crate) async fn deleted_values(
    store: &SqlStore,
    filter: &ValueFilter,
) -> Result<Vec<ValueKey>, StoreError> {
    let (where_sql, text_args, years) = filter_sql(filter, "r");
    let sql = format!(
        "SELECT DISTINCT r.measure_id, r.area_id, r.year, r.gender FROM value_revision r{where_sql}
         {} r.change = 'deleted' AND NOT EXISTS (SELECT 1 FROM value v WHERE v.measure_id = r.measure_id
           AND v.area_id = r.area_id AND v.year = r.year AND v.gender = r.gender)",
        if where_sql.is_empty() { "WHERE" } else { "AND" }
    );
    let rows: Vec<(String, String, i64, String)> = on_pool!(store, p => {
        let mut query = sqlx::query_as::<_, (String, String, i64, String)>(sqlx::AssertSqlSafe(sql.as_str()));
        for a in &text_args {
            query = query.bind(a);
        }
        for y in &years {
            query = query.bind(*y);
        }
        query.fetch_all(p).await.map_err(db)
    })?;
    let mut keys = rows
        .into_iter()
        .map(|(m, a, y, g)| {
            Ok(ValueKey {
                measure: MeasureId::parse(&m).map_err(invalid)?,
                area: AreaId::parse(&a).map_err(invalid)?,
                year: Year::new(y).map_err(invalid)?,
                gender: Gender::parse(&g).map_err(invalid)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    keys.sort();
    Ok(keys)
}

/// Every value in key order, without provenance: the fast path for whole-dump computations.
pub(crate) async fn all_values(
    store: &SqlStore,
    out: mpsc::Sender<Vec<ValueRow>>,
) -> Result<u64, StoreError> {
    const SQL: &str = "SELECT measure_id, area_id, year, gender, value, status, count FROM value
        ORDER BY measure_id, area_id, year, gender";
    on_pool!(store, p => {
        let mut rows = sqlx::query_as::<_, ValueTuple>(SQL).fetch(p);
        let mut chunk = Vec::with_capacity(8192);
        let mut total = 0u64;
        while let Some(row) = rows.try_next().await.map_err(db)? {
            chunk.push(value_row(row)?);
            total += 1;
            if chunk.len() == 8192 {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(8192));
                if out.send(full).await.is_err() {
                    return Err(StoreError::Aborted);
                }
            }
        }
        if !chunk.is_empty() && out.send(chunk).await.is_err() {
            return Err(StoreError::Aborted);
        }
        Ok(total)
    })
}

pub(crate) async fn export_values(
    store: &SqlStore,
    filter: &ValueFilter,
    out: mpsc::Sender<Vec<StoredValue>>,
) -> Result<u64, StoreError> {
    let (where_sql, text_args, years) = filter_sql(filter, "v");
    let sql = format!(
        "SELECT v.measure_id, v.area_id, v.year, v.gender, v.value, v.status, v.count, b.source, b.imported_at
         FROM value v JOIN import_batch b ON b.id = v.batch_id{where_sql}
         ORDER BY v.measure_id, v.area_id, v.year, v.gender"
    );
    type Row = (
        String,
        String,
        i64,
        String,
        Option<f64>,
        Option<String>,
        Option<i64>,
        String,
        String,
    );
    on_pool!(store, p => {
        // Only placeholders are formatted into the SQL; every value is bound.
        let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.as_str()));
        for a in &text_args {
            query = query.bind(a);
        }
        for y in &years {
            query = query.bind(*y);
        }
        let mut rows = query.fetch(p);
        let mut chunk = Vec::with_capacity(4096);
        let mut total = 0u64;
        while let Some((m, a, y, g, v, s, c, source, imported_at)) = rows.try_next().await.map_err(db)? {
            chunk.push(StoredValue { row: value_row((m, a, y, g, v, s, c))?, source, imported_at });
            total += 1;
            if chunk.len() == 4096 {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(4096));
                if out.send(full).await.is_err() {
                    return Err(StoreError::Aborted);
                }
            }
        }
        if !chunk.is_empty() && out.send(chunk).await.is_err() {
            return Err(StoreError::Aborted);
        }
        Ok(total)
    })
}

pub(crate) async fn value_history(
    store: &SqlStore,
    key: &ValueKey,
) -> Result<Vec<ValueRevision>, StoreError> {
    type Row = (
        Option<f64>,
        Option<String>,
        Option<i64>,
        String,
        String,
        String,
        Option<String>,
        i64,
    );
    let rows = fetch_all!(pool store, Row,
        "SELECT v.value, v.status, v.count, b.source, b.format, b.imported_at, CAST(NULL AS TEXT), 9223372036854775807 AS ord
           FROM value v JOIN import_batch b ON b.id = v.batch_id
          WHERE v.measure_id = $1 AND v.area_id = $2 AND v.year = $3 AND v.gender = $4
         UNION ALL
         SELECT r.value, r.status, r.count, b.source, b.format, b.imported_at, r.replaced_at, r.id AS ord
           FROM value_revision r JOIN import_batch b ON b.id = r.batch_id
          WHERE r.measure_id = $1 AND r.area_id = $2 AND r.year = $3 AND r.gender = $4
         ORDER BY ord DESC",
        key.measure.as_str(), key.area.as_str(), i64::from(key.year.get()), key.gender.code())?;
    rows.into_iter()
        .map(
            |(value, status, count, source, format, imported_at, replaced_at, _)| {
                Ok(ValueRevision {
                    datum: datum(value, status.as_deref())?,
                    count: count.map(|c| c as u32),
                    source,
                    format,
                    imported_at,
                    replaced_at,
                })
            },
        )
        .collect()
}

pub(crate) async fn municipalities(store: &SqlStore) -> Result<Vec<Municipality>, StoreError> {
    let rows = fetch_all!(pool store, (String, String, String, Option<String>),
        "SELECT id, title, kind, county_code FROM municipality ORDER BY id")?;
    rows.into_iter()
        .map(|(id, title, kind, county_code)| {
            Ok(Municipality {
                id: MunicipalityId::parse(&id).map_err(invalid)?,
                title,
                kind: MunicipalityKind::parse(&kind).ok_or_else(|| invalid(&kind))?,
                county_code,
            })
        })
        .collect()
}

pub(crate) async fn counties(store: &SqlStore) -> Result<Vec<County>, StoreError> {
    let rows =
        fetch_all!(pool store, (String, String), "SELECT code, name FROM county ORDER BY code")?;
    Ok(rows
        .into_iter()
        .map(|(code, name)| County { code, name })
        .collect())
}

pub(crate) async fn neighbours(
    store: &SqlStore,
    id: &MunicipalityId,
) -> Result<Vec<MunicipalityId>, StoreError> {
    let rows = fetch_all!(pool store, (String,),
        "SELECT neighbour_id FROM municipality_neighbour WHERE municipality_id = $1 ORDER BY neighbour_id", id.as_str())?;
    rows.into_iter()
        .map(|(n,)| MunicipalityId::parse(&n).map_err(invalid))
        .collect()
}

/// (group, member) rows, ordered, as each group's parsed members.
fn members_by_group<T, E: std::fmt::Display>(
    rows: Vec<(String, String)>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<std::collections::HashMap<String, Vec<T>>, StoreError> {
    let mut by_group: std::collections::HashMap<String, Vec<T>> = Default::default();
    for (group, member) in rows {
        by_group
            .entry(group)
            .or_default()
            .push(parse(&member).map_err(invalid)?);
    }
    Ok(by_group)
}

pub(crate) async fn groups(store: &SqlStore) -> Result<Vec<MunicipalityGroup>, StoreError> {
    let rows = fetch_all!(pool store, (String, String, String), "SELECT id, title, kind FROM municipality_group ORDER BY id")?;
    let members = fetch_all!(pool store, (String, String),
        "SELECT group_id, municipality_id FROM municipality_group_member ORDER BY group_id, municipality_id")?;
    let mut by_group = members_by_group(members, MunicipalityId::parse)?;
    rows.into_iter()
        .map(|(id, title, kind)| {
            Ok(MunicipalityGroup {
                id: GroupId::parse(&id).map_err(invalid)?,
                title,
                kind: GroupKind::parse(&kind).ok_or_else(|| invalid(&kind))?,
                members: by_group.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct MeasureRow {
    id: String,
    title: String,
    description: String,
    unit: Option<String>,
    direction: String,
    source_kind: String,
    owner_municipality: Option<String>,
    operating_area: Option<String>,
    perspective: Option<String>,
    is_divided_by_gender: bool,
    municipality_type: Option<String>,
    auspice: Option<String>,
    publ_period: Option<String>,
    prel_publication_date: Option<String>,
    publication_date: Option<String>,
    has_ou_data: bool,
}

const MEASURE_COLUMNS: &str =
    "SELECT id, title, description, unit,
        COALESCE((SELECT p.direction FROM measure_profile p WHERE p.measure_id = measure.id), direction) AS direction,
        source_kind, owner_municipality,
        operating_area, perspective, is_divided_by_gender, municipality_type, auspice, publ_period,
        prel_publication_date, publication_date, has_ou_data FROM measure";

pub(crate) async fn measure(
    store: &SqlStore,
    id: &MeasureId,
) -> Result<Option<Measure>, StoreError> {
    let sql = format!("{MEASURE_COLUMNS} WHERE id = $1");
    let rows = fetch_all!(pool store, MeasureRow, sqlx::AssertSqlSafe(sql.as_str()), id.as_str())?;
    rows.into_iter().next().map(measure_from_row).transpose()
}

pub(crate) async fn measures(store: &SqlStore) -> Result<Vec<Measure>, StoreError> {
    let sql = format!("{MEASURE_COLUMNS} ORDER BY id");
    let rows = fetch_all!(pool store, MeasureRow, sqlx::AssertSqlSafe(sql.as_str()))?;
    // SQLite and PostgreSQL may collate ids differently; Kolada orders them bytewise.
    let mut measures = rows
        .into_iter()
        .map(measure_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    measures.sort_by_key(|m| m.id);
    Ok(measures)
}

fn measure_from_row(r: MeasureRow) -> Result<Measure, StoreError> {
    Ok(Measure {
        id: MeasureId::parse(&r.id).map_err(invalid)?,
        title: r.title,
        description: r.description,
        unit: r.unit,
        direction: Direction::parse(&r.direction).ok_or_else(|| invalid(&r.direction))?,
        source_kind: SourceKind::parse(&r.source_kind).ok_or_else(|| invalid(&r.source_kind))?,
        origin: match r.owner_municipality {
            Some(m) => MeasureOrigin::Own(MunicipalityId::parse(&m).map_err(invalid)?),
            None => MeasureOrigin::Kolada,
        },
        kolada: KoladaMeta {
            operating_area: r.operating_area,
            perspective: r.perspective,
            is_divided_by_gender: r.is_divided_by_gender,
            municipality_type: r.municipality_type,
            auspice: r.auspice,
            publ_period: r.publ_period,
            prel_publication_date: r.prel_publication_date,
            publication_date: r.publication_date,
            has_ou_data: r.has_ou_data,
        },
    })
}

pub(crate) async fn measure_text(
    store: &SqlStore,
    id: &MeasureId,
    year: Year,
) -> Result<Option<MeasureText>, StoreError> {
    let rows = fetch_all!(pool store, (i64, String, String),
        "SELECT year, title, description FROM measure_text WHERE measure_id = $1
         ORDER BY CASE WHEN year <= $2 THEN 0 ELSE 1 END, CASE WHEN year <= $2 THEN -year ELSE year END
         LIMIT 1", id.as_str(), i64::from(year.get()))?;
    Ok(rows
        .into_iter()
        .next()
        .map(|(year, title, description)| MeasureText {
            year: year as i16,
            title,
            description,
        }))
}

pub(crate) async fn measure_count(
    store: &SqlStore,
    catalogue_year: Option<Year>,
) -> Result<u64, StoreError> {
    let rows = match catalogue_year {
        Some(y) => {
            fetch_all!(pool store, (i64,), "SELECT count(*) FROM measure_text WHERE year = $1", i64::from(y.get()))?
        }
        None => fetch_all!(pool store, (i64,), "SELECT count(*) FROM measure")?,
    };
    Ok(rows.first().map_or(0, |r| r.0 as u64))
}

pub(crate) async fn kpi_groups(store: &SqlStore) -> Result<Vec<KpiGroupRecord>, StoreError> {
    let groups = fetch_all!(pool store, (String, String, Option<String>), "SELECT id, title, parent_id FROM kpi_group ORDER BY id")?;
    let members = fetch_all!(pool store, (String, String),
        "SELECT group_id, measure_id FROM kpi_group_member ORDER BY group_id, position")?;
    let mut by_group = members_by_group(members, MeasureId::parse)?;
    Ok(groups
        .into_iter()
        .map(|(id, title, parent)| KpiGroupRecord {
            members: Some(by_group.remove(&id).unwrap_or_default()),
            id,
            title: Some(title),
            parent,
        })
        .collect())
}

pub(crate) async fn measure_set(
    store: &SqlStore,
    id: &str,
) -> Result<Option<MeasureSet>, StoreError> {
    let sets = fetch_all!(pool store, (String, String, Option<String>, String, Option<String>),
        "SELECT id, title, title_en, description, description_en FROM measure_set WHERE id = $1", id)?;
    let Some((id, title, title_en, description, description_en)) = sets.into_iter().next() else {
        return Ok(None);
    };
    let areas = fetch_all!(pool store, (i64, String, Option<String>),
        "SELECT position, title, title_en FROM measure_set_area WHERE set_id = $1 ORDER BY position", &id)?;
    let items = fetch_all!(pool store, (i64, String, String, Option<String>),
        "SELECT area_position, measure_id, question, question_en FROM measure_set_item WHERE set_id = $1 ORDER BY area_position, position", &id)?;
    let participants = fetch_all!(pool store, (String,),
        "SELECT municipality_id FROM measure_set_participant WHERE set_id = $1 ORDER BY municipality_id", &id)?;
    let profiles: HashMap<MeasureId, MeasureProfile> = measure_profiles(store)
        .await?
        .into_iter()
        .map(|p| (p.measure, p))
        .collect();
    let mut areas: Vec<(i64, MeasureSetArea)> = areas
        .into_iter()
        .map(|(p, title, title_en)| {
            (
                p,
                MeasureSetArea {
                    title,
                    title_en,
                    items: Vec::new(),
                },
            )
        })
        .collect();
    for (area, measure, question, question_en) in items {
        let slot = areas
            .iter_mut()
            .find(|(p, _)| *p == area)
            .ok_or_else(|| invalid(format!("item in missing area {area}")))?;
        let measure = MeasureId::parse(&measure).map_err(invalid)?;
        slot.1.items.push(MeasureSetItem {
            measure,
            question,
            question_en,
            profile: profiles.get(&measure).cloned(),
        });
    }
    Ok(Some(MeasureSet {
        id,
        title,
        title_en,
        description,
        description_en,
        participants: participants
            .into_iter()
            .map(|(m,)| MunicipalityId::parse(&m).map_err(invalid))
            .collect::<Result<_, _>>()?,
        areas: areas.into_iter().map(|(_, a)| a).collect(),
    }))
}

pub(crate) async fn measure_sets(store: &SqlStore) -> Result<Vec<MeasureSetSummary>, StoreError> {
    let rows = fetch_all!(pool store, (String, String, Option<String>, i64),
        "SELECT s.id, s.title, s.title_en, (SELECT count(*) FROM measure_set_item i WHERE i.set_id = s.id)
         FROM measure_set s ORDER BY s.id")?;
    Ok(rows
        .into_iter()
        .map(|(id, title, title_en, n)| MeasureSetSummary {
            id,
            title,
            title_en,
            measures: n as u64,
        })
        .collect())
}

pub(crate) async fn measure_profiles(store: &SqlStore) -> Result<Vec<MeasureProfile>, StoreError> {
    let rows = fetch_all!(pool store, (String, String, i64, Option<String>, Option<String>, String, Option<String>),
        "SELECT measure_id, direction, decimals, unit, unit_en, question, question_en FROM measure_profile ORDER BY measure_id")?;
    rows.into_iter()
        .map(
            |(id, direction, decimals, unit, unit_en, question, question_en)| {
                Ok(MeasureProfile {
                    measure: MeasureId::parse(&id).map_err(invalid)?,
                    direction: Direction::parse(&direction).ok_or_else(|| invalid(&direction))?,
                    decimals: u8::try_from(decimals).map_err(invalid)?,
                    unit,
                    unit_en,
                    question,
                    question_en,
                })
            },
        )
        .collect()
}

pub(crate) async fn shapes(store: &SqlStore) -> Result<Vec<(MunicipalityId, String)>, StoreError> {
    let rows = fetch_all!(pool store, (String, String), "SELECT area_id, svg_path FROM area_shape ORDER BY area_id")?;
    rows.into_iter()
        .map(|(id, path)| Ok((MunicipalityId::parse(&id).map_err(invalid)?, path)))
        .collect()
}

/// Every value of one measure and gender, and when the measure's values last changed.
pub(crate) async fn measure_values(
    store: &SqlStore,
    measure: &MeasureId,
    gender: Gender,
) -> Result<MeasureValues, StoreError> {
    let rows = fetch_all!(pool store, (String, i64, Option<f64>, Option<String>, Option<i64>),
        "SELECT area_id, year, value, status, count FROM value WHERE measure_id = $1 AND gender = $2",
        measure.as_str(), gender.code())?;
    let updated = fetch_all!(pool store, (Option<String>,),
        "SELECT max(b.imported_at) FROM import_batch b
         WHERE b.id = (SELECT max(v.batch_id) FROM value v WHERE v.measure_id = $1)", measure.as_str())?;
    let mut values = Vec::with_capacity(rows.len());
    for (area, year, number, status, count) in rows {
        let datum = datum(number, status.as_deref())?;
        values.push(AreaValue {
            area: AreaId::parse(&area).map_err(invalid)?,
            year: Year::new(year).map_err(invalid)?,
            datum,
            count: count.and_then(|c| u32::try_from(c).ok()),
        });
    }
    Ok(MeasureValues {
        values,
        updated_at: updated.into_iter().next().and_then(|(u,)| u),
    })
}

pub(crate) async fn overview(store: &SqlStore) -> Result<Overview, StoreError> {
    let kinds = fetch_all!(pool store, (String, i64), "SELECT kind, count(*) FROM municipality GROUP BY kind")?;
    let count = |sql: &'static str| async move {
        fetch_all!(pool store, (i64,), sql).map(|r| r.first().map_or(0, |c| c.0 as u64))
    };
    let years = fetch_all!(pool store, (Option<i64>, Option<i64>), "SELECT min(year), max(year) FROM value")?;
    let imports = fetch_all!(pool store, (String, String, String, i64, i64, i64, i64),
        "SELECT source, format, imported_at, inserted, updated, unchanged, deleted FROM import_batch ORDER BY id DESC LIMIT 10")?;
    let of_kind = |k: &str| {
        kinds
            .iter()
            .find(|(kind, _)| kind == k)
            .map_or(0, |(_, n)| *n as u64)
    };
    Ok(Overview {
        kommuner: of_kind("kommun"),
        regions: of_kind("region"),
        riket: of_kind("riket"),
        groups: count("SELECT count(*) FROM municipality_group").await?,
        measures: count("SELECT count(*) FROM measure").await?,
        values: count("SELECT count(*) FROM value").await?,
        first_year: years.first().and_then(|y| y.0).map(|y| y as i16),
        last_year: years.first().and_then(|y| y.1).map(|y| y as i16),
        recent_imports: imports
            .into_iter()
            .map(|(source, format, imported_at, i, u, n, d)| ImportRecord {
                source,
                format,
                imported_at,
                inserted: i as u64,
                updated: u as u64,
                unchanged: n as u64,
                deleted: d as u64,
            })
            .collect(),
    })
}
