//! What readers produce: records, the place each came from, and errors.

use std::fmt;

use kvalitet_domain::{
    County, GroupKind, Measure, MeasureId, MeasureSet, Message, Municipality, MunicipalityId,
    ValueRow,
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

impl Location {
    /// The place in words: "rad 3, kolumn year" in Swedish, "line 3, column year" in English.
    pub fn message(&self) -> Message {
        let field = self.field.clone().unwrap_or_default();
        match (self.line, &self.json_path) {
            (Some(line), _) if self.field.is_some() => Message::new("place_line_column")
                .with("line", line)
                .with("column", field),
            (Some(line), _) => Message::new("place_line").with("line", line),
            (None, Some(path)) if self.field.is_some() => Message::new("place_path_field")
                .with("path", path)
                .with("field", field),
            (None, Some(path)) => Message::new("place_path").with("path", path),
            // A form's field, by its words ("Svar kom"), as the form labels it.
            (None, None) => {
                Message::new("place_form_field").with_term("field", format!("field.{field}"), field)
            }
        }
    }

    /// `problem` at this place.
    pub fn say(&self, problem: impl Into<Message>) -> Message {
        if *self == Self::default() {
            return problem.into();
        }
        Message::new("at_place")
            .with_said("place", self.message())
            .with_said("problem", problem.into())
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.message().fmt(f)
    }
}

/// One row that could not be read; the rest of the file may still be fine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct RowError {
    pub location: Location,
    pub problem: Message,
}

impl RowError {
    /// `problem` is a coded message, or (for the command line's machine files) plain text.
    pub fn new(location: Location, problem: impl Into<Message>) -> Self {
        Self {
            location,
            problem: problem.into(),
        }
    }

    /// The place and the problem, to be said in the reader's language.
    pub fn message(&self) -> Message {
        self.location.say(self.problem.clone())
    }
}

/// A file that cannot be read at all (truncated, not the claimed format, no header).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}", self.message())]
    Broken {
        location: Location,
        problem: Message,
    },
    #[error(transparent)]
    Format(#[from] crate::FormatError),
}

impl ReadError {
    pub(crate) fn io(e: std::io::Error) -> Self {
        Self::at(Location::default(), e.to_string())
    }

    pub(crate) fn at(location: Location, problem: impl Into<Message>) -> Self {
        Self::Broken {
            location,
            problem: problem.into(),
        }
    }

    /// What to tell the person who gave the file.
    pub fn message(&self) -> Message {
        match self {
            Self::Broken { location, problem } => {
                location.say(Message::new("cannot_read").with_said("problem", problem.clone()))
            }
            Self::Format(e) => e.message(),
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
