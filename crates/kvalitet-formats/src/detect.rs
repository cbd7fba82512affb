//! The formats kvalitet reads, and how one is recognised from a file's first bytes.

use std::io::BufRead;

use crate::record::ReadError;

/// A file format kvalitet imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// `kolada_meta/lan.csv`-style counties (`lan_kod,lan[,kolada_region_id]`).
    CountiesCsv,
    /// Kolada `/municipality` as CSV (`id,title,type`).
    MunicipalitiesCsv,
    /// `municipalities/kommuner.csv`: counties, SKR kommungrupp and neighbours.
    KommunerCsv,
    /// Kolada `/municipality_groups` as CSV, one row per member.
    MunicipalityGroupsCsv,
    /// `grannkommuner.json`: `{"0114": ["0115", ...]}`.
    NeighboursJson,
    /// Kolada `/kpi` as CSV (v3 names, or v2 names as in the open-numbers copy).
    KpiCatalogueCsv,
    /// KPI groups (`kpi_group_id,kpi_group_title[,parent_group_id]`).
    KpiGroupsCsv,
    /// KPI group members (`kpi_group_id,kpi_id`).
    KpiGroupMembersCsv,
    /// A Kolada API v3 response: the `values` envelope of any metadata or data route.
    KoladaJson,
    /// Long values, `kpi,municipality_id,year,value[,gender][,status][,count]`.
    ValuesCsv,
    /// Municipality boundaries, a GeoJSON FeatureCollection (drawn as map shapes).
    GeoJson,
    /// A measure set with its areas, questions and measure profiles, in TOML.
    MeasureSetToml,
    /// An assessment framework in TOML (it has a `valid_from`).
    FrameworkToml,
    /// A municipality's goal plan in TOML or JSON (it has `[[goals]]`); imported whole by the
    /// goals use case, after the measures it names.
    GoalPlan,
}

impl Format {
    pub const ALL: [Format; 14] = [
        Self::CountiesCsv,
        Self::MunicipalitiesCsv,
        Self::KommunerCsv,
        Self::MunicipalityGroupsCsv,
        Self::NeighboursJson,
        Self::KpiCatalogueCsv,
        Self::KpiGroupsCsv,
        Self::KpiGroupMembersCsv,
        Self::KoladaJson,
        Self::ValuesCsv,
        Self::GeoJson,
        Self::MeasureSetToml,
        Self::FrameworkToml,
        Self::GoalPlan,
    ];

    /// The name used by `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Self::CountiesCsv => "counties-csv",
            Self::MunicipalitiesCsv => "municipalities-csv",
            Self::KommunerCsv => "kommuner-csv",
            Self::MunicipalityGroupsCsv => "municipality-groups-csv",
            Self::NeighboursJson => "neighbours-json",
            Self::KpiCatalogueCsv => "kpi-catalogue-csv",
            Self::KpiGroupsCsv => "kpi-groups-csv",
            Self::KpiGroupMembersCsv => "kpi-group-members-csv",
            Self::KoladaJson => "kolada-json",
            Self::ValuesCsv => "values-csv",
            Self::GeoJson => "geojson",
            Self::MeasureSetToml => "measure-set-toml",
            Self::FrameworkToml => "framework-toml",
            Self::GoalPlan => "goal-plan",
        }
    }

    pub fn parse(name: &str) -> Result<Self, FormatError> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| FormatError::UnknownName(name.to_owned()))
    }

    pub fn is_json(self) -> bool {
        matches!(
            self,
            Self::KoladaJson | Self::NeighboursJson | Self::GeoJson
        )
    }

    /// Whether the format carries values (as opposed to catalogue metadata). Metadata is
    /// imported first so values can be checked against it.
    pub fn carries_values(self) -> bool {
        matches!(self, Self::ValuesCsv | Self::KoladaJson)
    }
}

/// Why a format could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("unknown format {0:?}; known formats: {known}", known = Format::ALL.map(Format::name).join(", "))]
    UnknownName(String),
    #[error("the file is empty")]
    Empty,
    #[error(
        "line 1: the CSV header ({0}) matches no known format; expected e.g. kpi,municipality_id,year,value"
    )]
    UnknownHeader(String),
}

impl FormatError {
    /// What to tell the person who gave the file.
    pub fn message(&self) -> kvalitet_domain::Message {
        use kvalitet_domain::Message;
        match self {
            Self::UnknownName(_) => Message::from(self.to_string()),
            Self::Empty => Message::new("file_empty"),
            Self::UnknownHeader(h) => Message::new("unknown_header").with("header", h),
        }
    }
}

/// Decides the format from the first bytes without consuming them. JSON is recognised by
/// its first character; the kind of JSON is decided by the JSON reader from the content.
pub(crate) fn detect(input: &mut impl BufRead) -> Result<Format, ReadError> {
    let head = input.fill_buf().map_err(ReadError::io)?;
    Ok(detect_head(&String::from_utf8_lossy(head))?)
}

/// The format of a file from its first bytes as text (gzip already undone): the one place
/// that recognises formats, for the import's plan as for the reader.
pub fn detect_head(text: &str) -> Result<Format, FormatError> {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.is_empty() {
        return Err(FormatError::Empty);
    }
    if crate::goal_file::looks_like_goal_plan(text) {
        return Ok(Format::GoalPlan);
    }
    if text.starts_with('{') && text.contains("\"valid_from\"") && text.contains("\"areas\"") {
        // An assessment framework written as JSON (Kolada's objects have no valid_from).
        return Ok(Format::FrameworkToml);
    }
    if text.starts_with('{') || text.starts_with('[') {
        return Ok(Format::KoladaJson);
    }
    if crate::measure_set_toml::looks_like_toml(text) {
        return Ok(crate::toml_format(text));
    }
    let header_line = text.lines().next().unwrap_or_default();
    crate::format_of_header(header_line)
        .ok_or_else(|| FormatError::UnknownHeader(header_line.to_owned()))
}

/// Picks the CSV format whose required columns the header has.
pub(crate) fn classify_header(fields: &[String]) -> Option<Format> {
    let has = |name: &str| fields.iter().any(|f| f == name);
    let format = if has("kpi") && has("municipality_id") && has("year") && has("value") {
        Format::ValuesCsv
    } else if has("kommun_kod") && has("kommun") {
        Format::KommunerCsv
    } else if has("lan_kod") && has("lan") {
        Format::CountiesCsv
    } else if has("group_id") && has("member_id") {
        Format::MunicipalityGroupsCsv
    } else if has("kpi_group_id") && has("kpi_id") {
        Format::KpiGroupMembersCsv
    } else if has("kpi_group_id") && has("kpi_group_title") {
        Format::KpiGroupsCsv
    } else if has("id")
        && has("title")
        && (has("operating_area") || has("municipality_type") || has("owner"))
    {
        Format::KpiCatalogueCsv
    } else if has("id") && has("title") && has("type") {
        Format::MunicipalitiesCsv
    } else {
        return None;
    };
    Some(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(s: &str) -> Option<Format> {
        let fields: Vec<String> = s.split(',').map(str::to_owned).collect();
        classify_header(&fields)
    }

    #[test]
    fn headers_of_the_shared_files_are_recognised() {
        assert_eq!(
            header("kpi,municipality_id,year,value"),
            Some(Format::ValuesCsv)
        );
        assert_eq!(
            header("kpi,municipality_id,gender,year,value"),
            Some(Format::ValuesCsv)
        );
        assert_eq!(
            header(
                "id,title,description,is_divided_by_gender,municipality_type,auspice,operating_area,perspective,prel_publication_date,publication_date,publ_period,has_ou_data"
            ),
            Some(Format::KpiCatalogueCsv)
        );
        assert_eq!(header("id,title,type"), Some(Format::MunicipalitiesCsv));
        assert_eq!(
            header("group_id,group_title,member_id,member_title"),
            Some(Format::MunicipalityGroupsCsv)
        );
        assert_eq!(
            header("kommun_kod,kommun,lan_kod,lan,kolada_region_id"),
            Some(Format::KommunerCsv)
        );
        assert_eq!(
            header("lan_kod,lan,kolada_region_id,kolada_region_title"),
            Some(Format::CountiesCsv)
        );
        assert_eq!(
            header("kpi_group_id,kpi_group_title,parent_group_id"),
            Some(Format::KpiGroupsCsv)
        );
        assert_eq!(
            header("kpi_group_id,kpi_id,kpi_title"),
            Some(Format::KpiGroupMembersCsv)
        );
        assert_eq!(header("a,b,c"), None);
    }

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.name()).unwrap(), f);
        }
        assert!(Format::parse("xml").is_err());
    }

    #[test]
    fn goal_plans_are_recognised_in_toml_and_json() {
        let toml = include_str!("../../../data/examples/goal-plan.toml");
        assert_eq!(detect_head(toml), Ok(Format::GoalPlan));
        let json =
            r#"{"municipality": "0180", "goals": [{"id": "v", "level": "vision", "title": "V"}]}"#;
        assert_eq!(detect_head(json), Ok(Format::GoalPlan));
        // A measure set and Kolada JSON are not plans.
        assert_eq!(
            detect_head("id = \"kkik\"\ntitle = \"KKiK\"\n[[areas]]\n"),
            Ok(Format::MeasureSetToml)
        );
        assert_eq!(
            detect_head(r#"{"count": 1, "values": [{"id": "0180"}]}"#),
            Ok(Format::KoladaJson)
        );
    }
}
