//! JSON readers: Kolada API v3 envelopes (`{"values": [...], "count", "next_url", ...}`) of
//! every route, and the neighbour map.

use std::io::BufRead;

use serde_json::{Map, Value};

use kvalitet_domain::{
    AreaId, Datum, Gender, GroupId, KoladaMeta, Measure, MeasureId, MissingStatus, Municipality,
    MunicipalityId, MunicipalityKind, ValueKey, ValueRow, Year,
};

use crate::record::{GroupRecord, KpiGroupRecord, Location, ReadError, Record, RowError};
use crate::{Format, Sink};

/// Reads a JSON document and returns the format it turned out to be.
pub(crate) fn read(
    input: impl BufRead,
    format: Format,
    sink: &mut Sink<'_>,
) -> Result<Format, ReadError> {
    let document: Value = serde_json::from_reader(input).map_err(|e| {
        let location = Location {
            line: Some(e.line() as u64),
            ..Location::default()
        };
        let what = if e.is_eof() {
            "the JSON ends early (truncated?)".to_owned()
        } else {
            format!("not valid JSON: {e}")
        };
        ReadError::at(location, what)
    })?;
    match (&document, format) {
        (Value::Object(map), _) if crate::geojson::is_geojson(map) => {
            crate::geojson::read(map, sink);
            Ok(Format::GeoJson)
        }
        (Value::Object(map), _) if map.contains_key("values") => {
            read_envelope(map, "$", sink).map(|()| Format::KoladaJson)
        }
        (Value::Array(pages), Format::KoladaJson) => {
            for (i, page) in pages.iter().enumerate() {
                let path = format!("$[{i}]");
                match page.as_object() {
                    Some(map) if map.contains_key("values") => read_envelope(map, &path, sink)?,
                    _ => {
                        return Err(ReadError::at(
                            Location::json(path),
                            "expected a Kolada envelope {\"values\": [...]}",
                        ));
                    }
                }
            }
            Ok(Format::KoladaJson)
        }
        (Value::Object(map), _) if map.values().all(Value::is_array) => {
            read_neighbours(map, sink);
            Ok(Format::NeighboursJson)
        }
        _ => Err(ReadError::at(
            Location::json("$"),
            "expected a Kolada API response {\"values\": [...]} or a neighbour map {\"0114\": [...]}",
        )),
    }
}

/// What one envelope holds, decided from its first item.
#[derive(Clone, Copy)]
enum Kind {
    Data,
    Kpi,
    Municipality,
    MunicipalityGroup,
    KpiGroup,
}

fn kind_of(item: &Value) -> Option<Kind> {
    let o = item.as_object()?;
    if o.contains_key("kpi") && o.contains_key("period") {
        Some(Kind::Data)
    } else if o.contains_key("members") {
        let first_member = o
            .get("members")?
            .as_array()?
            .first()
            .and_then(|m| m.get("member_id").or_else(|| m.get("id")))
            .and_then(Value::as_str);
        match first_member {
            Some(m) if MunicipalityId::parse(m).is_ok() => Some(Kind::MunicipalityGroup),
            Some(_) => Some(Kind::KpiGroup),
            None if o
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| GroupId::parse(id).is_ok()) =>
            {
                Some(Kind::MunicipalityGroup)
            }
            None => Some(Kind::KpiGroup),
        }
    } else if o.contains_key("operating_area")
        || o.contains_key("is_divided_by_gender")
        || o.contains_key("municipality_type")
    {
        Some(Kind::Kpi)
    } else if o.contains_key("type") && o.contains_key("title") {
        Some(Kind::Municipality)
    } else {
        None
    }
}

fn read_envelope(
    map: &Map<String, Value>,
    path: &str,
    sink: &mut Sink<'_>,
) -> Result<(), ReadError> {
    let Some(items) = map.get("values").and_then(Value::as_array) else {
        return Err(ReadError::at(
            Location::json(format!("{path}.values")),
            "expected an array",
        ));
    };
    let Some(first) = items.first() else {
        return Ok(());
    };
    let kind = kind_of(first).ok_or_else(|| {
        ReadError::at(
            Location::json(format!("{path}.values[0]")),
            "not a Kolada data row, KPI, municipality or group object",
        )
    })?;
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}.values[{i}]");
        let keep_going = match kind {
            Kind::Data => {
                let mut keep = true;
                match data_row(item, &at) {
                    Ok(rows) => {
                        for (j, row) in rows {
                            keep = sink(Ok((
                                Location::json(format!("{at}.values[{j}]")),
                                Record::Value(row),
                            )));
                            if !keep {
                                break;
                            }
                        }
                    }
                    Err(e) => keep = sink(Err(e)),
                }
                keep
            }
            Kind::Kpi => {
                sink(kpi(item, &at).map(|m| (Location::json(&at), Record::Measure(Box::new(m)))))
            }
            Kind::Municipality => sink(
                municipality(item, &at).map(|m| (Location::json(&at), Record::Municipality(m))),
            ),
            Kind::MunicipalityGroup => {
                sink(group(item, &at).map(|g| (Location::json(&at), Record::Group(g))))
            }
            Kind::KpiGroup => {
                sink(kpi_group(item, &at).map(|g| (Location::json(&at), Record::KpiGroup(g))))
            }
        };
        if !keep_going {
            break;
        }
    }
    Ok(())
}

/// Field access on one JSON object that names the path in every error.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Obj<'a> {
    fn new(item: &'a Value, path: &'a str) -> Result<Self, RowError> {
        item.as_object()
            .map(|map| Self { map, path })
            .ok_or_else(|| RowError::new(Location::json(path), "expected an object"))
    }

    fn err(&self, field: &str, message: impl Into<kvalitet_domain::Message>) -> RowError {
        RowError::new(
            Location::json(format!("{}.{field}", self.path)).with_field(field),
            message,
        )
    }

    fn string(&self, field: &str) -> Result<&'a str, RowError> {
        match self.map.get(field) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(self.err(
                field,
                format!("expected a string, found {}", type_name(other)),
            )),
            None => Err(self.err(field, "missing")),
        }
    }

    fn optional_string(&self, field: &str) -> Result<Option<String>, RowError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.err(
                field,
                format!("expected a string or null, found {}", type_name(other)),
            )),
        }
    }

    fn boolean(&self, field: &str) -> Result<bool, RowError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            // v2 wrote 0/1.
            Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(false),
            Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(true),
            Some(other) => Err(self.err(
                field,
                format!("expected true or false, found {}", type_name(other)),
            )),
        }
    }

    fn parse<T, E: Into<kvalitet_domain::Message>>(
        &self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, RowError> {
        let s = self.string(field)?;
        parse(s).map_err(|e| self.err(field, e))
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn data_row(item: &Value, path: &str) -> Result<Vec<(usize, ValueRow)>, RowError> {
    let o = Obj::new(item, path)?;
    let measure = o.parse("kpi", MeasureId::parse)?;
    let area = o.parse("municipality", AreaId::parse)?;
    let year = match o.map.get("period") {
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| o.err("period", format!("{n} is not a whole year")))
            .and_then(|y| Year::new(y).map_err(|e| o.err("period", e)))?,
        Some(Value::String(s)) => Year::parse(s).map_err(|e| o.err("period", e))?,
        Some(other) => {
            return Err(o.err(
                "period",
                format!("expected a year, found {}", type_name(other)),
            ));
        }
        None => return Err(o.err("period", "missing")),
    };
    let entries = match o.map.get("values") {
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(o.err(
                "values",
                format!("expected an array, found {}", type_name(other)),
            ));
        }
        None => return Err(o.err("values", "missing")),
    };
    let mut rows = Vec::with_capacity(entries.len());
    for (j, entry) in entries.iter().enumerate() {
        let entry_path = format!("{path}.values[{j}]");
        let e = Obj::new(entry, &entry_path)?;
        let gender = e.parse("gender", Gender::parse)?;
        let count = match e.map.get("count") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(
                n.as_u64()
                    .and_then(|c| u32::try_from(c).ok())
                    .ok_or_else(|| e.err("count", format!("{n} is not a count")))?,
            ),
            Some(other) => {
                return Err(e.err(
                    "count",
                    format!("expected a whole number, found {}", type_name(other)),
                ));
            }
        };
        let deleted = match e.map.get("isdeleted").or_else(|| e.map.get("is_deleted")) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_u64() == Some(1),
            Some(other) => {
                return Err(e.err(
                    "isdeleted",
                    format!("expected a boolean, found {}", type_name(other)),
                ));
            }
        };
        let status = e.optional_string("status")?;
        let datum = if deleted {
            Datum::Deleted
        } else {
            match e.map.get("value") {
                Some(Value::Number(n)) => match n.as_f64() {
                    Some(v) if v.is_finite() => Datum::Number(v),
                    _ => return Err(e.err("value", format!("{n} is not a finite number"))),
                },
                None | Some(Value::Null) => match status.as_deref() {
                    None => Datum::Missing(MissingStatus::NotPublished),
                    Some(s) => {
                        Datum::Missing(MissingStatus::parse(s).map_err(|err| e.err("status", err))?)
                    }
                },
                Some(other) => {
                    return Err(e.err(
                        "value",
                        format!("expected a number or null, found {}", type_name(other)),
                    ));
                }
            }
        };
        // Kolada sends count 1 with every single value; 1 and "no count" mean the same.
        let count = count.filter(|c| *c != 1);
        rows.push((
            j,
            ValueRow {
                key: ValueKey {
                    measure,
                    area,
                    year,
                    gender,
                },
                datum,
                count,
            },
        ));
    }
    Ok(rows)
}

fn kpi(item: &Value, path: &str) -> Result<Measure, RowError> {
    let o = Obj::new(item, path)?;
    let id = o.parse("id", MeasureId::parse)?;
    let title = o.string("title")?.to_owned();
    let municipality_type = o.optional_string("municipality_type")?;
    if let Some(t) = &municipality_type
        && !matches!(t.as_str(), "K" | "L" | "A")
    {
        return Err(o.err("municipality_type", format!("{t:?} must be K, L or A")));
    }
    let auspice = match o.optional_string("auspice")? {
        Some(a) => Some(a),
        None => o.optional_string("auspices")?,
    };
    let kolada = KoladaMeta {
        operating_area: o.optional_string("operating_area")?,
        perspective: o.optional_string("perspective")?,
        is_divided_by_gender: o.boolean("is_divided_by_gender")?,
        municipality_type,
        auspice,
        publ_period: o.optional_string("publ_period")?,
        prel_publication_date: o.optional_string("prel_publication_date")?,
        publication_date: o.optional_string("publication_date")?,
        has_ou_data: o.boolean("has_ou_data")?,
    };
    let description = o.optional_string("description")?.unwrap_or_default();
    let measure = Measure::from_kolada(id, title, description, kolada);
    Ok(match o.optional_string("owner")? {
        Some(owner) => measure
            .owned_by(MunicipalityId::parse(&owner).map_err(|e| o.err("owner", e.to_string()))?),
        None => measure,
    })
}

fn municipality(item: &Value, path: &str) -> Result<Municipality, RowError> {
    let o = Obj::new(item, path)?;
    let id = o.parse("id", MunicipalityId::parse)?;
    let kolada_type = o.string("type")?;
    let kind = MunicipalityKind::from_kolada(&id, kolada_type).ok_or_else(|| {
        o.err(
            "type",
            format!("{kolada_type:?} does not fit id {id} (K kommun, L region or Riket)"),
        )
    })?;
    Ok(Municipality::new(id, o.string("title")?.to_owned(), kind))
}

fn members<'a>(o: &Obj<'a>) -> Result<Vec<(String, &'a str)>, RowError> {
    let Some(Value::Array(members)) = o.map.get("members") else {
        return Err(o.err("members", "expected an array"));
    };
    members
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let path = format!("{}.members[{k}]", o.path);
            let id = m
                .get("member_id")
                .or_else(|| m.get("id"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    RowError::new(
                        Location::json(format!("{path}.member_id")).with_field("member_id"),
                        "expected a string member_id",
                    )
                })?;
            Ok((path, id))
        })
        .collect()
}

fn group(item: &Value, path: &str) -> Result<GroupRecord, RowError> {
    let o = Obj::new(item, path)?;
    let id = o.parse("id", GroupId::parse)?;
    let members = members(&o)?
        .into_iter()
        .map(|(p, m)| {
            MunicipalityId::parse(m).map_err(|e| {
                RowError::new(
                    Location::json(format!("{p}.member_id")).with_field("member_id"),
                    e,
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(GroupRecord {
        id,
        title: o.string("title")?.to_owned(),
        kind: None,
        members,
    })
}

fn kpi_group(item: &Value, path: &str) -> Result<KpiGroupRecord, RowError> {
    let o = Obj::new(item, path)?;
    let members = members(&o)?
        .into_iter()
        .map(|(p, m)| {
            MeasureId::parse(m).map_err(|e| {
                RowError::new(
                    Location::json(format!("{p}.member_id")).with_field("member_id"),
                    e,
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KpiGroupRecord {
        id: o.string("id")?.to_owned(),
        title: Some(o.string("title")?.to_owned()),
        parent: None,
        members: Some(members),
    })
}

fn read_neighbours(map: &Map<String, Value>, sink: &mut Sink<'_>) {
    for (key, list) in map {
        let path = format!("$.{key}");
        let parsed = MunicipalityId::parse(key)
            .map_err(|e| RowError::new(Location::json(&path), e))
            .and_then(|municipality| {
                let neighbours = list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, n)| {
                        n.as_str()
                            .ok_or_else(|| "expected a string".to_owned())
                            .and_then(|s| MunicipalityId::parse(s).map_err(|e| e.to_string()))
                            .map_err(|e| RowError::new(Location::json(format!("{path}[{i}]")), e))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Record::Neighbours {
                    municipality,
                    neighbours,
                })
            });
        if !sink(parsed.map(|r| (Location::json(&path), r))) {
            break;
        }
    }
}
