//! Row decoding and query pieces shared by the values and catalogue ports: values and their
//! statuses, measures, group members, and the filters of an export.

use kvalitet_app::ports::{StoreError, ValueFilter};
use kvalitet_domain::{
    AreaId, Datum, Direction, Gender, KoladaMeta, Measure, MeasureId, MeasureOrigin, MissingStatus,
    MunicipalityId, SourceKind, ValueKey, ValueRow, Year,
};

use crate::invalid;

pub(crate) type ValueTuple = (
    String,
    String,
    i64,
    String,
    Option<f64>,
    Option<String>,
    Option<i64>,
);

pub(crate) fn datum(value: Option<f64>, status: Option<&str>) -> Result<Datum, StoreError> {
    match (value, status) {
        (Some(v), _) => Ok(Datum::Number(v)),
        (None, Some(s)) => Ok(Datum::Missing(MissingStatus::parse(s).map_err(invalid)?)),
        (None, None) => Err(invalid("a value with neither number nor status")),
    }
}

pub(crate) fn value_row(
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
pub(crate) fn in_list(column: &str, len: usize, next: &mut usize) -> String {
    let placeholders: Vec<String> = (0..len)
        .map(|_| {
            *next += 1;
            format!("${next}")
        })
        .collect();
    format!("{column} IN ({})", placeholders.join(", "))
}

/// The WHERE clause of a value filter over `alias`, its text arguments, then its years.
pub(crate) fn filter_sql(filter: &ValueFilter, alias: &str) -> (String, Vec<String>, Vec<i64>) {
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

/// (group, member) rows, ordered, as each group's parsed members.
pub(crate) fn members_by_group<T, E: std::fmt::Display>(
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

#[derive(sqlx::FromRow)]
pub(crate) struct MeasureRow {
    id: String,
    title: String,
    description: String,
    unit: Option<String>,
    direction: String,
    source_kind: String,
    origin: String,
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
    retired: bool,
}

pub(crate) const MEASURE_COLUMNS: &str =
    "SELECT id, title, description, unit,
        COALESCE((SELECT p.direction FROM measure_profile p WHERE p.measure_id = measure.id), direction) AS direction,
        source_kind, origin, owner_municipality,
        operating_area, perspective, is_divided_by_gender, municipality_type, auspice, publ_period,
        prel_publication_date, publication_date, has_ou_data,
        retired_at IS NOT NULL AS retired FROM measure";

pub(crate) fn measure_from_row(r: MeasureRow) -> Result<Measure, StoreError> {
    Ok(Measure {
        id: MeasureId::parse(&r.id).map_err(invalid)?,
        title: r.title,
        description: r.description,
        unit: r.unit,
        direction: Direction::parse(&r.direction).ok_or_else(|| invalid(&r.direction))?,
        source_kind: SourceKind::parse(&r.source_kind).ok_or_else(|| invalid(&r.source_kind))?,
        origin: {
            let owner = match &r.owner_municipality {
                Some(m) => Some(MunicipalityId::parse(m).map_err(invalid)?),
                None => None,
            };
            MeasureOrigin::parse(&r.origin, owner).ok_or_else(|| invalid(&r.origin))?
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
        retired: r.retired,
    })
}
