//! GeoJSON boundaries of municipalities (a FeatureCollection of Polygons or MultiPolygons,
//! WGS84) to SVG paths for the site's maps, drawn once at import so no page ever fetches
//! or projects geometry.
//!
//! The projection is the domain's (`kvalitet_domain::geo`); coordinates are rounded to 0.1
//! unit and repeated points dropped, which keeps the whole country near 100 kB.

use serde_json::{Map, Value};

use kvalitet_domain::MunicipalityId;
use kvalitet_domain::geo::project;

use crate::Sink;
use crate::record::{Location, Record, RowError};

/// Properties that may hold the 4-digit municipality code, in order of preference.
const CODE_FIELDS: [&str; 5] = ["kommun_kod", "kommunkod", "municipality_id", "id", "code"];

/// Whether a JSON document is a GeoJSON FeatureCollection.
pub(crate) fn is_geojson(map: &Map<String, Value>) -> bool {
    map.get("type").and_then(Value::as_str) == Some("FeatureCollection")
}

/// Reads every feature into a [`Record::Shape`].
pub(crate) fn read(map: &Map<String, Value>, sink: &mut Sink<'_>) {
    let features = map.get("features").and_then(Value::as_array);
    let Some(features) = features else {
        sink(Err(RowError::new(
            Location::json("$.features"),
            "expected an array of features",
        )));
        return;
    };
    for (i, feature) in features.iter().enumerate() {
        let path = format!("$.features[{i}]");
        if !sink(shape(feature, &path).map(|r| (Location::json(&path), r))) {
            break;
        }
    }
}

fn shape(feature: &Value, path: &str) -> Result<Record, RowError> {
    let properties = feature.get("properties").and_then(Value::as_object);
    let code = properties.and_then(|p| CODE_FIELDS.iter().find_map(|f| p.get(*f).map(|v| (*f, v))));
    let Some((field, code)) = code else {
        return Err(RowError::new(
            Location::json(format!("{path}.properties")),
            "no municipality code (kommun_kod, municipality_id or id)",
        ));
    };
    let at = |suffix: &str| Location::json(format!("{path}{suffix}"));
    let code = match code {
        Value::String(s) => s.clone(),
        // A code that lost its leading zero to a number type.
        Value::Number(n) => format!("{:04}", n.as_u64().unwrap_or(u64::MAX)),
        _ => {
            return Err(RowError::new(
                at(&format!(".properties.{field}")),
                "expected a string",
            ));
        }
    };
    let municipality = MunicipalityId::parse(&code)
        .map_err(|e| RowError::new(at(&format!(".properties.{field}")), e))?;
    let geometry = feature.get("geometry").and_then(Value::as_object);
    let kind = geometry.and_then(|g| g.get("type")).and_then(Value::as_str);
    let coordinates = geometry.and_then(|g| g.get("coordinates"));
    let polygons: Vec<&Value> = match (kind, coordinates) {
        (Some("Polygon"), Some(c)) => vec![c],
        (Some("MultiPolygon"), Some(Value::Array(polys))) => polys.iter().collect(),
        _ => {
            return Err(RowError::new(
                at(".geometry"),
                "expected a Polygon or MultiPolygon with coordinates",
            ));
        }
    };
    let mut svg = String::new();
    for (p, polygon) in polygons.iter().enumerate() {
        let rings = polygon.as_array().ok_or_else(|| {
            RowError::new(at(&format!(".geometry.coordinates[{p}]")), "expected rings")
        })?;
        for (r, ring) in rings.iter().enumerate() {
            let ring_path = format!(".geometry.coordinates[{p}][{r}]");
            append_ring(&mut svg, ring).map_err(|e| RowError::new(at(&ring_path), e))?;
        }
    }
    Ok(Record::Shape {
        municipality,
        svg_path: svg,
    })
}

fn append_ring(svg: &mut String, ring: &Value) -> Result<(), String> {
    use std::fmt::Write;
    let points = ring.as_array().ok_or("expected an array of positions")?;
    let mut last: Option<(i64, i64)> = None;
    let mut drawn = 0;
    for (i, point) in points.iter().enumerate() {
        let pair = point.as_array().filter(|p| p.len() >= 2);
        let lonlat = pair.and_then(|p| Some((p[0].as_f64()?, p[1].as_f64()?)));
        let Some((lon, lat)) = lonlat else {
            return Err(format!("position {i}: expected [longitude, latitude]"));
        };
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(format!(
                "position {i}: [{lon}, {lat}] is not WGS84 longitude, latitude"
            ));
        }
        let (x, y) = project(lon, lat);
        let tenths = ((x * 10.0).round() as i64, (y * 10.0).round() as i64);
        if last == Some(tenths) {
            continue;
        }
        let _ = write!(
            svg,
            "{}{} {}",
            if drawn == 0 { 'M' } else { 'L' },
            Tenths(tenths.0),
            Tenths(tenths.1)
        );
        last = Some(tenths);
        drawn += 1;
    }
    if drawn > 0 {
        svg.push('Z');
    }
    Ok(())
}

/// A number of tenths written as a short decimal ("12.3", "-4", "0.5").
struct Tenths(i64);

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (whole, tenth) = (self.0 / 10, (self.0 % 10).abs());
        let sign = if self.0 < 0 && whole == 0 { "-" } else { "" };
        if tenth == 0 {
            write!(f, "{sign}{whole}")
        } else {
            write!(f, "{sign}{whole}.{tenth}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenths_print_short() {
        let s = |n| Tenths(n).to_string();
        assert_eq!(
            (s(123), s(120), s(5), s(-5), s(-15)),
            (
                "12.3".into(),
                "12".into(),
                "0.5".into(),
                "-0.5".into(),
                "-1.5".into()
            )
        );
    }
}
