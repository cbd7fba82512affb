//! The pure core of kvalitet: identifiers, years, genders, values with their missing-value
//! statuses, measures, municipalities and groups. No IO, no async, no database.

pub mod access;
pub mod assessment;
pub mod audit;
pub mod award;
pub mod budget;
pub mod budget_round;
pub mod calendar;
mod coded;
pub mod compare;
pub mod dialogue;
pub mod geo;
pub mod goals;
pub mod group;
pub mod ids;
pub mod jobs;
pub mod measure;
pub mod measure_set;
pub mod message;
pub mod municipality;
pub mod proposal;
pub mod questionnaire;
pub mod round;
pub mod screening;
pub mod service;
pub mod survey_results;
pub mod swedish;
pub mod text;
pub mod ticks;
pub mod timestamp;
pub mod value;
pub mod weighting;
pub mod words;

pub use access::{Action, Grants, LoginPolicy, Role};
pub use compare::{Colour, ColourCounts, Comparison, Placement, Summary, Trend, compare, trend};
pub use group::{GroupKind, MunicipalityGroup};
pub use ids::{
    AreaId, DocumentId, GroupId, IdError, MeasureId, MunicipalityId, RoundId, ServiceRoundId,
    UserId,
};
pub use measure::{Direction, KoladaMeta, Measure, MeasureOrigin, SourceKind};
pub use measure_set::{MeasureProfile, MeasureSet, MeasureSetArea, MeasureSetItem};
pub use message::Message;
pub use municipality::{County, Municipality, MunicipalityKind};
pub use timestamp::Timestamp;
pub use value::{Datum, Gender, MissingStatus, ValueKey, ValueRow, Year};
pub use words::Lang;
