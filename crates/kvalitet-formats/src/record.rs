//! What readers produce: records, the place each came from, and errors.

use std::fmt;

use kvalitet_domain::{
    County, GroupKind, Measure, MeasureId, MeasureSet, Municipality, MunicipalityId, ValueRow,
};

/// Where in a file something is: a line (CSV; 1 is the header) or a JSON path, and the
/// field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub line: Option<u64>,
    pub json_path: Option<String>,
    pub field: Option<String>,
}

impl Location {
    pub fn line(line: u64) -> Self {
        Self {
            line: Some(line),
            ..Self::default()
        }
    }

    pub fn json(path: impl Into<String>) -> Self {
        Self {
            json_path: Some(path.into()),
            ..Self::default()
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(line) = self.line {
            parts.push(format!("line {line}"));
        }
        if let Some(path) = &self.json_path {
            parts.push(path.clone());
        }
        if let Some(field) = &self.field {
            parts.push(format!("field {field}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// One row that could not be read; the rest of the file may still be fine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct RowError {
    pub location: Location,
    pub message: String,
}

impl RowError {
    pub fn new(location: Location, message: impl fmt::Display) -> Self {
        Self {
            location,
            message: message.to_string(),
        }
    }
}

/// A file that cannot be read at all (truncated, not the claimed format, no header).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{location}: cannot read: {message}")]
    Broken { location: Location, message: String },
    #[error(transparent)]
    Format(#[from] crate::FormatError),
}

impl ReadError {
    pub(crate) fn io(e: std::io::Error) -> Self {
        Self::Broken {
            location: Location::default(),
            message: e.to_string(),
        }
    }

    pub(crate) fn at(location: Location, message: impl fmt::Display) -> Self {
        Self::Broken {
            location,
            message: message.to_string(),
        }
    }
}

/// A municipality group as a file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub id: kvalitet_domain::GroupId,
    pub title: String,
    /// Set when the file says what kind it is; otherwise classified from Kolada's title.
    pub kind: Option<GroupKind>,
    pub members: Vec<MunicipalityId>,
}

/// A KPI group ("tag" in Kolada's menu).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiGroupRecord {
    pub id: String,
    /// None when the file lists only memberships.
    pub title: Option<String>,
    pub parent: Option<String>,
    /// None when the file gives only titles.
    pub members: Option<Vec<MeasureId>>,
}

/// Everything a reader can produce.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Value(ValueRow),
    Municipality(Municipality),
    County {
        county: County,
        region: Option<MunicipalityId>,
    },
    Group(GroupRecord),
    Neighbours {
        municipality: MunicipalityId,
        neighbours: Vec<MunicipalityId>,
    },
    Measure(Box<Measure>),
    KpiGroup(KpiGroupRecord),
    MeasureSet(Box<MeasureSet>),
    /// An assessment framework with the TOML text it was read from.
    Framework(Box<(kvalitet_domain::assessment::Framework, String)>),
    /// A municipality's outline as an SVG path (see the GeoJSON reader's projection).
    Shape {
        municipality: MunicipalityId,
        svg_path: String,
    },
}
