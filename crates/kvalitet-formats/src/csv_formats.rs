//! CSV readers: long values, the Kolada catalogue, municipalities, groups and counties.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;

use kvalitet_domain::{
    AreaId, County, Datum, Gender, GroupId, GroupKind, KoladaMeta, Measure, MeasureId,
    MissingStatus, Municipality, MunicipalityId, MunicipalityKind, ValueKey, ValueRow, Year,
};

use crate::record::{GroupRecord, KpiGroupRecord, Location, ReadError, Record, RowError};
use crate::{Format, Sink};

/// Column positions by lower-cased header name.
struct Columns {
    names: Vec<String>,
}

impl Columns {
    fn new(header: &csv::StringRecord) -> Self {
        let names = header
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        Self { names }
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    fn require(&self, name: &str) -> Result<usize, ReadError> {
        self.index(name).ok_or_else(|| {
            ReadError::at(
                Location::line(1).with_field(name),
                format!(
                    "the header has no column {name:?} (it has: {})",
                    self.names.join(",")
                ),
            )
        })
    }
}

/// One data row with its line, giving typed access to fields by column.
struct Row<'r> {
    record: &'r csv::StringRecord,
    line: u64,
    columns: &'r Columns,
}

impl Row<'_> {
    fn location(&self, column: usize) -> Location {
        let field = self.columns.names.get(column).cloned().unwrap_or_default();
        Location::line(self.line).with_field(field)
    }

    fn text(&self, column: usize) -> &str {
        self.record.get(column).unwrap_or("").trim()
    }

    fn optional(&self, column: Option<usize>) -> Option<String> {
        column
            .map(|c| self.text(c))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }

    fn non_empty(&self, column: usize) -> Result<String, RowError> {
        let s = self.text(column);
        if s.is_empty() {
            Err(RowError::new(self.location(column), "must not be empty"))
        } else {
            Ok(s.to_owned())
        }
    }

    fn parse<T, E: Into<kvalitet_domain::Message>>(
        &self,
        column: usize,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, RowError> {
        parse(self.text(column)).map_err(|e| RowError::new(self.location(column), e))
    }

    fn boolean(&self, column: Option<usize>) -> Result<bool, RowError> {
        let Some(c) = column else { return Ok(false) };
        match self.text(c) {
            "True" | "true" | "TRUE" | "1" => Ok(true),
            "False" | "false" | "FALSE" | "0" | "" => Ok(false),
            other => Err(RowError::new(
                self.location(c),
                format!("{other:?} is not a boolean (True/False or 1/0)"),
            )),
        }
    }
}

pub(crate) fn read(
    input: impl BufRead,
    format: Format,
    sink: &mut Sink<'_>,
) -> Result<(), ReadError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(input);
    let header = reader.headers().map_err(|e| csv_error(&e, 0))?.clone();
    let columns = Columns::new(&header);
    if format == Format::ValuesCsv {
        return read_values(reader, &columns, sink);
    }
    let mut state = Aggregates::default();
    let handler = MetadataHandler::new(format, &columns)?;
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(&e, line)),
        }
        line = record.position().map_or(line + 1, |p| p.line());
        if record.len() != columns.names.len() {
            if !sink(Err(wrong_width(line, record.len(), columns.names.len()))) {
                return Ok(());
            }
            continue;
        }
        let row = Row {
            record: &record,
            line,
            columns: &columns,
        };
        let mut records = Vec::new();
        let result = handler.handle(&row, &mut state, &mut records);
        let keep_going = match result {
            Ok(()) => records
                .into_iter()
                .all(|r| sink(Ok((Location::line(line), r)))),
            Err(e) => sink(Err(e)),
        };
        if !keep_going {
            return Ok(());
        }
    }
    for r in state.finish() {
        if !sink(Ok(r)) {
            break;
        }
    }
    Ok(())
}

fn wrong_width(line: u64, got: usize, want: usize) -> RowError {
    RowError::new(
        Location::line(line),
        format!("the row has {got} fields but the header has {want}"),
    )
}

/// A CSV error that stops the file; `last_line` is the last line read well, used when the
/// error itself has no position (a broken gzip stream).
fn csv_error(e: &csv::Error, last_line: u64) -> ReadError {
    let line = e.position().map(|p| p.line()).or(Some(last_line + 1));
    let location = Location {
        line,
        ..Location::default()
    };
    let message = match e.kind() {
        csv::ErrorKind::Io(io) => format!("{io} (a truncated or damaged file?)"),
        csv::ErrorKind::Utf8 { err, .. } => format!("not UTF-8 text: {err}"),
        _ => e.to_string(),
    };
    ReadError::at(location, message)
}

/// The fast path for millions of long value rows.
fn read_values(
    mut reader: csv::Reader<impl BufRead>,
    columns: &Columns,
    sink: &mut Sink<'_>,
) -> Result<(), ReadError> {
    let kpi = columns.require("kpi")?;
    let municipality = columns.require("municipality_id")?;
    let year = columns.require("year")?;
    let value = columns.require("value")?;
    let gender = columns.index("gender");
    let status = columns.index("status");
    let count = columns.index("count");
    let width = columns.names.len();
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => return Err(csv_error(&e, line)),
        }
        line = record.position().map_or(line + 1, |p| p.line());
        let parsed = if record.len() == width {
            let row = Row {
                record: &record,
                line,
                columns,
            };
            value_row(
                &row,
                [kpi, municipality, year, value],
                gender,
                status,
                count,
            )
        } else {
            Err(wrong_width(line, record.len(), width))
        };
        let keep_going = sink(parsed.map(|v| (Location::line(line), Record::Value(v))));
        if !keep_going {
            return Ok(());
        }
    }
}

fn value_row(
    row: &Row<'_>,
    [kpi, municipality, year, value]: [usize; 4],
    gender: Option<usize>,
    status: Option<usize>,
    count: Option<usize>,
) -> Result<ValueRow, RowError> {
    let key = ValueKey {
        measure: row.parse(kpi, MeasureId::parse)?,
        area: row.parse(municipality, AreaId::parse)?,
        year: row.parse(year, Year::parse)?,
        gender: match gender {
            Some(c) => row.parse(c, Gender::parse)?,
            None => Gender::Total,
        },
    };
    let mut datum = row.parse(value, Datum::parse_cell)?;
    if let Some(c) = status.filter(|&c| !row.text(c).is_empty()) {
        let status = row.parse(c, MissingStatus::parse)?;
        if datum.number().is_some() {
            return Err(RowError::new(
                row.location(c),
                "a row with a number must not also have a missing-value status",
            ));
        }
        datum = Datum::Missing(status);
    }
    let count = match count.filter(|&c| !row.text(c).is_empty()) {
        Some(c) => Some(row.parse(c, |s| {
            s.parse::<u32>()
                .map_err(|_| format!("count {s:?} is not a whole number"))
        })?),
        None => None,
    };
    // As in Kolada's JSON, a count of 1 says no more than no count.
    let count = count.filter(|c| *c != 1);
    Ok(ValueRow { key, datum, count })
}

/// Rows that only make sense together (group members, SKR groups, KPI group members),
/// emitted once the file has been read.
#[derive(Default)]
struct Aggregates {
    groups: BTreeMap<GroupId, (u64, GroupRecord)>,
    kpi_groups: BTreeMap<String, (u64, KpiGroupRecord)>,
    counties: BTreeSet<String>,
}

impl Aggregates {
    fn finish(self) -> Vec<(Location, Record)> {
        let groups = self
            .groups
            .into_values()
            .map(|(line, g)| (Location::line(line), Record::Group(g)));
        let kpi_groups = self
            .kpi_groups
            .into_values()
            .map(|(line, g)| (Location::line(line), Record::KpiGroup(g)));
        groups.chain(kpi_groups).collect()
    }
}

/// Column positions for one metadata format.
enum MetadataHandler {
    Counties {
        code: usize,
        name: usize,
        region: Option<usize>,
    },
    Municipalities {
        id: usize,
        title: usize,
        kind: usize,
    },
    Kommuner(Box<KommunerColumns>),
    Groups {
        id: usize,
        title: usize,
        member: usize,
        kind: Option<usize>,
    },
    Catalogue(Box<CatalogueColumns>),
    KpiGroups {
        id: usize,
        title: usize,
        parent: Option<usize>,
    },
    KpiGroupMembers {
        group: usize,
        kpi: usize,
    },
}

struct KommunerColumns {
    code: usize,
    name: usize,
    county_code: Option<usize>,
    county_name: Option<usize>,
    region: Option<usize>,
    skr_group: Option<usize>,
    skr_title: Option<usize>,
    neighbours: Option<usize>,
}

struct CatalogueColumns {
    id: usize,
    title: usize,
    description: Option<usize>,
    divided: Option<usize>,
    municipality_type: Option<usize>,
    auspice: Option<usize>,
    operating_area: Option<usize>,
    perspective: Option<usize>,
    prel_publication_date: Option<usize>,
    publication_date: Option<usize>,
    publ_period: Option<usize>,
    has_ou_data: Option<usize>,
    /// The municipality whose own measure this is (none for Kolada's).
    owner: Option<usize>,
}

impl MetadataHandler {
    fn new(format: Format, c: &Columns) -> Result<Self, ReadError> {
        Ok(match format {
            Format::CountiesCsv => Self::Counties {
                code: c.require("lan_kod")?,
                name: c.require("lan")?,
                region: c.index("kolada_region_id"),
            },
            Format::MunicipalitiesCsv => Self::Municipalities {
                id: c.require("id")?,
                title: c.require("title")?,
                kind: c.require("type")?,
            },
            Format::KommunerCsv => Self::Kommuner(Box::new(KommunerColumns {
                code: c.require("kommun_kod")?,
                name: c.require("kommun")?,
                county_code: c.index("lan_kod"),
                county_name: c.index("lan"),
                region: c.index("kolada_region_id"),
                skr_group: c.index("skr_kommungrupp_2023_kolada_group"),
                skr_title: c.index("skr_kommungrupp_2023"),
                neighbours: c.index("grannkommuner"),
            })),
            Format::MunicipalityGroupsCsv => Self::Groups {
                id: c.require("group_id")?,
                title: c.require("group_title")?,
                member: c.require("member_id")?,
                kind: c.index("kind"),
            },
            Format::KpiCatalogueCsv => Self::Catalogue(Box::new(CatalogueColumns {
                id: c.require("id")?,
                title: c.require("title")?,
                description: c.index("description"),
                divided: c.index("is_divided_by_gender"),
                municipality_type: c.index("municipality_type"),
                auspice: c.index("auspice").or_else(|| c.index("auspices")),
                operating_area: c.index("operating_area"),
                perspective: c.index("perspective"),
                prel_publication_date: c.index("prel_publication_date"),
                publication_date: c.index("publication_date"),
                publ_period: c.index("publ_period"),
                has_ou_data: c.index("has_ou_data"),
                owner: c.index("owner"),
            })),
            Format::KpiGroupsCsv => Self::KpiGroups {
                id: c.require("kpi_group_id")?,
                title: c.require("kpi_group_title")?,
                parent: c.index("parent_group_id"),
            },
            Format::KpiGroupMembersCsv => Self::KpiGroupMembers {
                group: c.require("kpi_group_id")?,
                kpi: c.require("kpi_id")?,
            },
            Format::ValuesCsv
            | Format::KoladaJson
            | Format::NeighboursJson
            | Format::GeoJson
            | Format::MeasureSetToml
            | Format::FrameworkToml
            | Format::GoalPlan => {
                return Err(ReadError::at(
                    Location::default(),
                    format!("{} is not a metadata CSV format", format.name()),
                ));
            }
        })
    }

    fn handle(
        &self,
        row: &Row<'_>,
        state: &mut Aggregates,
        out: &mut Vec<Record>,
    ) -> Result<(), RowError> {
        match self {
            Self::Counties { code, name, region } => {
                let county = County {
                    code: row.parse(*code, county_code)?,
                    name: row.non_empty(*name)?,
                };
                let region = match region.filter(|&c| !row.text(c).is_empty()) {
                    Some(c) => Some(row.parse(c, MunicipalityId::parse)?),
                    None => None,
                };
                out.push(Record::County { county, region });
            }
            Self::Municipalities { id, title, kind } => {
                let parsed = row.parse(*id, MunicipalityId::parse)?;
                let kolada_type = row.text(*kind);
                let kind = MunicipalityKind::from_kolada(&parsed, kolada_type).ok_or_else(|| {
                    RowError::new(
                        row.location(*kind),
                        format!("type {kolada_type:?} does not fit id {parsed} (K for kommuner, L for regions and Riket 0000)"),
                    )
                })?;
                out.push(Record::Municipality(Municipality::new(
                    parsed,
                    row.non_empty(*title)?,
                    kind,
                )));
            }
            Self::Kommuner(c) => kommuner_row(c, row, state, out)?,
            Self::Groups {
                id,
                title,
                member,
                kind,
            } => {
                let group = row.parse(*id, GroupId::parse)?;
                let title = row.non_empty(*title)?;
                let member = row.parse(*member, MunicipalityId::parse)?;
                let kind = match kind.filter(|&c| !row.text(c).is_empty()) {
                    Some(c) => Some(row.parse(c, |s| {
                        GroupKind::parse(s).ok_or_else(|| format!("unknown group kind {s:?}"))
                    })?),
                    None => None,
                };
                let entry = state.groups.entry(group).or_insert_with(|| {
                    (
                        row.line,
                        GroupRecord {
                            id: group,
                            title,
                            kind,
                            members: Vec::new(),
                        },
                    )
                });
                entry.1.members.push(member);
            }
            Self::Catalogue(c) => out.push(Record::Measure(Box::new(catalogue_row(c, row)?))),
            Self::KpiGroups { id, title, parent } => out.push(Record::KpiGroup(KpiGroupRecord {
                id: row.non_empty(*id)?,
                title: Some(row.non_empty(*title)?),
                parent: row.optional(*parent),
                members: None,
            })),
            Self::KpiGroupMembers { group, kpi } => {
                let group = row.non_empty(*group)?;
                let kpi = row.parse(*kpi, MeasureId::parse)?;
                let entry = state.kpi_groups.entry(group.clone()).or_insert_with(|| {
                    (
                        row.line,
                        KpiGroupRecord {
                            id: group,
                            title: None,
                            parent: None,
                            members: Some(Vec::new()),
                        },
                    )
                });
                entry.1.members.get_or_insert_with(Vec::new).push(kpi);
            }
        }
        Ok(())
    }
}

fn county_code(s: &str) -> Result<String, String> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "county code {s:?} must be two digits (e.g. \"01\")"
        ))
    }
}

fn kommuner_row(
    c: &KommunerColumns,
    row: &Row<'_>,
    state: &mut Aggregates,
    out: &mut Vec<Record>,
) -> Result<(), RowError> {
    let id = row.parse(c.code, MunicipalityId::parse)?;
    if MunicipalityKind::implied_by(&id) != MunicipalityKind::Kommun {
        return Err(RowError::new(
            row.location(c.code),
            format!("{id} is not a kommun code"),
        ));
    }
    let title = row.non_empty(c.name)?;
    if let (Some(code_col), Some(name_col)) = (c.county_code, c.county_name) {
        let code = row.parse(code_col, county_code)?;
        if Some(code.as_str()) != id.county_code() {
            return Err(RowError::new(
                row.location(code_col),
                format!("county {code} does not match kommun code {id}"),
            ));
        }
        if state.counties.insert(code.clone()) {
            let region = match c.region.filter(|&r| !row.text(r).is_empty()) {
                Some(r) => Some(row.parse(r, MunicipalityId::parse)?),
                None => None,
            };
            out.push(Record::County {
                county: County {
                    code,
                    name: row.non_empty(name_col)?,
                },
                region,
            });
        }
    }
    out.push(Record::Municipality(Municipality::new(
        id,
        title,
        MunicipalityKind::Kommun,
    )));
    if let Some(g) = c.skr_group.filter(|&g| !row.text(g).is_empty()) {
        let group = row.parse(g, GroupId::parse)?;
        let title = c
            .skr_title
            .map(|t| row.text(t).to_owned())
            .unwrap_or_default();
        let entry = state.groups.entry(group).or_insert_with(|| {
            (
                row.line,
                GroupRecord {
                    id: group,
                    title: if title.is_empty() {
                        group.to_string()
                    } else {
                        title
                    },
                    kind: Some(GroupKind::SkrKommungrupp),
                    members: Vec::new(),
                },
            )
        });
        entry.1.members.push(id);
    }
    if let Some(n) = c.neighbours {
        let neighbours = row
            .text(n)
            .split(';')
            .filter(|s| !s.trim().is_empty())
            .map(|s| MunicipalityId::parse(s.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| RowError::new(row.location(n), e))?;
        out.push(Record::Neighbours {
            municipality: id,
            neighbours,
        });
    }
    Ok(())
}

fn catalogue_row(c: &CatalogueColumns, row: &Row<'_>) -> Result<Measure, RowError> {
    let id = row.parse(c.id, MeasureId::parse)?;
    let title = row.non_empty(c.title)?;
    let description = row.optional(c.description).unwrap_or_default();
    let municipality_type = row.optional(c.municipality_type);
    if let (Some(t), Some(col)) = (&municipality_type, c.municipality_type)
        && !matches!(t.as_str(), "K" | "L" | "A")
    {
        return Err(RowError::new(
            row.location(col),
            format!("municipality_type {t:?} must be K, L or A"),
        ));
    }
    let kolada = KoladaMeta {
        operating_area: row.optional(c.operating_area),
        perspective: row.optional(c.perspective),
        is_divided_by_gender: row.boolean(c.divided)?,
        municipality_type,
        auspice: row.optional(c.auspice),
        publ_period: row.optional(c.publ_period),
        prel_publication_date: row.optional(c.prel_publication_date),
        publication_date: row.optional(c.publication_date),
        has_ou_data: row.boolean(c.has_ou_data)?,
    };
    let measure = Measure::from_kolada(id, title, description, kolada);
    Ok(match (row.optional(c.owner), c.owner) {
        (Some(_), Some(column)) => measure.owned_by(row.parse(column, MunicipalityId::parse)?),
        _ => measure,
    })
}
