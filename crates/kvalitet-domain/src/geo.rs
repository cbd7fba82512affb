//! Places on the map: a point in WGS84, the site's map projection, and whether a point lies
//! in a municipality's drawn boundary (the SVG path made at import).
//!
//! Projection: equirectangular with the scale of longitude taken at 62.5° N (the middle of
//! Sweden), so shapes look right to a Swedish reader; [`MAP_WIDTH`] x [`MAP_HEIGHT`] units
//! cover 10.9-24.4° E and 55.1-69.2° N (one unit is about 1.6 km north to south).

use serde::{Deserialize, Serialize};

/// The map's size in SVG units (its `viewBox` is `0 0 MAP_WIDTH MAP_HEIGHT`).
pub const MAP_WIDTH: f64 = 440.0;
pub const MAP_HEIGHT: f64 = 990.0;

const WEST: f64 = 10.9;
const NORTH: f64 = 69.2;
/// SVG units per degree of latitude.
const SCALE: f64 = 70.0;
/// cos(62.5°): a degree of longitude at 62.5° N, in degrees of latitude.
const LON_FACTOR: f64 = 0.461_748_613;

/// How far outside a drawn boundary a point may lie and still count as in it, in map units
/// (about 800 m): the boundary is drawn to a tenth of a unit (about 160 m) and a place on
/// the shore or a bridge should not be refused for the drawing's sake.
pub const BOUNDARY_TOLERANCE: f64 = 0.5;

/// Projects a longitude and latitude to map units.
pub fn project(lon: f64, lat: f64) -> (f64, f64) {
    ((lon - WEST) * LON_FACTOR * SCALE, (NORTH - lat) * SCALE)
}

/// The longitude and latitude of a point in map units (the inverse of [`project`]).
pub fn unproject(x: f64, y: f64) -> (f64, f64) {
    (x / (LON_FACTOR * SCALE) + WEST, NORTH - y / SCALE)
}

/// A place in WGS84, in millionths of a degree (about 0.1 m), so equal places compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat_e6: i32,
    pub lon_e6: i32,
}

/// Why a typed place was not read; each names its field (`lat` or `lon`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceProblem {
    /// Not a number of degrees.
    NotANumber(&'static str),
    /// A number, but not in Sweden (55–69.2° N, 10.9–24.4° E).
    NotInSweden(&'static str),
    /// Only one of the two given.
    Half(&'static str),
}

impl GeoPoint {
    pub fn lat(self) -> f64 {
        f64::from(self.lat_e6) / 1e6
    }

    pub fn lon(self) -> f64 {
        f64::from(self.lon_e6) / 1e6
    }

    /// The point of degrees north and east, rounded to millionths; `None` outside Sweden's
    /// box (55–69.2° N, 10.9–24.4° E) or when a number is not finite.
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        let in_sweden = (55.0..=69.2).contains(&lat) && (10.9..=24.4).contains(&lon);
        // In the box, millionths of a degree fit an i32 with room to spare.
        in_sweden.then(|| Self {
            lat_e6: (lat * 1e6).round() as i32,
            lon_e6: (lon * 1e6).round() as i32,
        })
    }

    /// Reads a latitude and a longitude as typed, with a decimal comma or point and an
    /// optional degree sign; both empty is no place.
    pub fn read(lat: &str, lon: &str) -> Result<Option<Self>, PlaceProblem> {
        let (lat, lon) = (lat.trim(), lon.trim());
        match (lat.is_empty(), lon.is_empty()) {
            (true, true) => return Ok(None),
            (false, true) => return Err(PlaceProblem::Half("lon")),
            (true, false) => return Err(PlaceProblem::Half("lat")),
            (false, false) => {}
        }
        let degrees = |text: &str, field: &'static str| {
            let plain = text.trim_end_matches('°').trim().replace(',', ".");
            plain
                .parse::<f64>()
                .ok()
                .filter(|d| d.is_finite() && plain.len() <= 20)
                .ok_or(PlaceProblem::NotANumber(field))
        };
        let (lat, lon) = (degrees(lat, "lat")?, degrees(lon, "lon")?);
        if !(55.0..=69.2).contains(&lat) {
            return Err(PlaceProblem::NotInSweden("lat"));
        }
        Self::new(lat, lon)
            .map(Some)
            .ok_or(PlaceProblem::NotInSweden("lon"))
    }

    /// The point in map units.
    pub fn projected(self) -> (f64, f64) {
        project(self.lon(), self.lat())
    }
}

/// A municipality's boundary as drawn: rings of points in map units, read from the SVG
/// path the import made (`M x y L x y … Z`, nothing else).
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    rings: Vec<Vec<(f64, f64)>>,
}

impl Boundary {
    /// Reads the path; anything it does not understand ends the reading there (the path is
    /// ours, made at import, so this is a guard rather than a parser for outside text).
    pub fn from_svg_path(path: &str) -> Self {
        let mut rings: Vec<Vec<(f64, f64)>> = Vec::new();
        for part in path.split_inclusive(['M', 'L', 'Z']) {
            let (numbers, command) = match part.chars().last() {
                Some(c @ ('M' | 'L' | 'Z')) => (&part[..part.len() - 1], Some(c)),
                _ => (part, None),
            };
            let mut it = numbers.split_whitespace().map(str::parse::<f64>);
            if let (Some(Ok(x)), Some(Ok(y))) = (it.next(), it.next())
                && let Some(ring) = rings.last_mut()
            {
                ring.push((x, y));
            }
            if command == Some('M') {
                rings.push(Vec::new());
            }
        }
        rings.retain(|r| r.len() >= 3);
        Self { rings }
    }

    pub fn is_empty(&self) -> bool {
        self.rings.is_empty()
    }

    /// The rings written again as an SVG path: numbers and `M`, `L`, `Z` only, whatever
    /// the stored text held, so it can go into a picture as it is.
    pub fn svg_path(&self) -> String {
        use std::fmt::Write;
        let mut d = String::new();
        for ring in &self.rings {
            for (i, (x, y)) in ring.iter().enumerate() {
                let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { 'M' } else { 'L' });
            }
            d.push('Z');
        }
        d
    }

    /// The smallest box around every ring: (left, top, right, bottom) in map units.
    pub fn bounds(&self) -> Option<(f64, f64, f64, f64)> {
        let mut points = self.rings.iter().flatten();
        let &(x0, y0) = points.next()?;
        Some(points.fold((x0, y0, x0, y0), |(l, t, r, b), &(x, y)| {
            (l.min(x), t.min(y), r.max(x), b.max(y))
        }))
    }

    /// Whether a point (map units) lies inside (even–odd over all rings, so lakes cut out
    /// of a municipality are outside) or within `tolerance` units of an edge.
    pub fn holds(&self, x: f64, y: f64, tolerance: f64) -> bool {
        let mut inside = false;
        for ring in &self.rings {
            for (i, &(x1, y1)) in ring.iter().enumerate() {
                let (x2, y2) = ring[(i + 1) % ring.len()];
                if (y1 > y) != (y2 > y) && x < (x2 - x1) * (y - y1) / (y2 - y1) + x1 {
                    inside = !inside;
                }
                if distance_to_segment((x, y), (x1, y1), (x2, y2)) <= tolerance {
                    return true;
                }
            }
        }
        inside
    }
}

/// A municipality's map drawn at a fixed size in CSS pixels: the part of the map it shows
/// (in map units) and the pixel size. A click on the map sent without script (an image
/// button) gives pixels, which [`MapFrame::point_at`] turns back into a place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapFrame {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
    pub px_width: u32,
    pub px_height: u32,
}

impl MapFrame {
    /// The frame around a boundary's box with a margin of a twentieth on each side, as large
    /// as fits in `max_px` × `max_px` pixels with the map's proportions kept.
    pub fn around(bounds: (f64, f64, f64, f64), max_px: u32) -> Self {
        let (l, t, r, b) = bounds;
        let margin = ((r - l).max(b - t) / 20.0).max(0.5);
        let (width, height) = (r - l + 2.0 * margin, b - t + 2.0 * margin);
        let max = f64::from(max_px);
        let scale = (max / width).min(max / height);
        // Both sides are at most `max_px`, so the casts cannot overflow.
        Self {
            left: l - margin,
            top: t - margin,
            width,
            height,
            px_width: (width * scale).round().max(1.0) as u32,
            px_height: (height * scale).round().max(1.0) as u32,
        }
    }

    /// The place under a pixel of the drawn map, if the pixel is on it and the place is in
    /// Sweden.
    pub fn point_at(&self, px: f64, py: f64) -> Option<GeoPoint> {
        let (w, h) = (f64::from(self.px_width), f64::from(self.px_height));
        if !(0.0..=w).contains(&px) || !(0.0..=h).contains(&py) {
            return None;
        }
        let x = self.left + px / w * self.width;
        let y = self.top + py / h * self.height;
        let (lon, lat) = unproject(x, y);
        GeoPoint::new(lat, lon)
    }
}

fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length2 = dx * dx + dy * dy;
    let t = if length2 == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / length2).clamp(0.0, 1.0)
    };
    let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweden_fits_the_map_and_a_point_comes_back_from_it() {
        let (x, y) = project(11.0, 55.2);
        assert!(x >= 0.0 && y <= MAP_HEIGHT, "{x} {y}");
        let (x, y) = project(24.2, 69.1);
        assert!(x <= MAP_WIDTH && y >= 0.0, "{x} {y}");
        let (x, y) = project(18.0686, 59.3293);
        let (lon, lat) = unproject(x, y);
        assert!((lon - 18.0686).abs() < 1e-9 && (lat - 59.3293).abs() < 1e-9);
    }

    #[test]
    fn a_place_is_read_with_a_comma_or_a_point_and_only_in_sweden() {
        let p = GeoPoint::read("59,3293", " 18.0686° ")
            .expect("read")
            .expect("a place");
        assert_eq!((p.lat_e6, p.lon_e6), (59_329_300, 18_068_600));
        assert_eq!(GeoPoint::read("", " "), Ok(None));
        assert_eq!(GeoPoint::read("59,3", ""), Err(PlaceProblem::Half("lon")));
        assert_eq!(
            GeoPoint::read("norr", "18"),
            Err(PlaceProblem::NotANumber("lat"))
        );
        assert_eq!(
            GeoPoint::read("59", "NaN"),
            Err(PlaceProblem::NotANumber("lon"))
        );
        assert_eq!(
            GeoPoint::read("48.85", "2.35"),
            Err(PlaceProblem::NotInSweden("lat"))
        );
        assert_eq!(
            GeoPoint::read("59.3", "2.35"),
            Err(PlaceProblem::NotInSweden("lon"))
        );
    }

    #[test]
    fn a_click_on_the_drawn_map_is_the_place_under_it() {
        let (x, y) = project(18.0686, 59.3293);
        let frame = MapFrame::around((x - 10.0, y - 5.0, x + 10.0, y + 5.0), 300);
        assert_eq!((frame.px_width, frame.px_height), (300, 164));
        let centre = frame.point_at(150.0, 82.0).expect("a place");
        assert!((centre.lat() - 59.3293).abs() < 0.01, "{centre:?}");
        assert!((centre.lon() - 18.0686).abs() < 0.01, "{centre:?}");
        assert_eq!(frame.point_at(301.0, 10.0), None);
        assert_eq!(frame.point_at(-1.0, 10.0), None);
    }

    #[test]
    fn a_point_is_in_a_boundary_inside_it_or_near_its_edge_but_not_in_its_lake() {
        // A square 10 x 10 with a 2 x 2 lake in the middle, and a separate island.
        let b =
            Boundary::from_svg_path("M0 0L10 0L10 10L0 10ZM4 4L6 4L6 6L4 6ZM20 0L22 0L22 2L20 2Z");
        assert_eq!(b.bounds(), Some((0.0, 0.0, 22.0, 10.0)));
        assert!(b.holds(1.0, 1.0, 0.0));
        assert!(b.holds(21.0, 1.0, 0.0), "the island");
        assert!(!b.holds(5.0, 5.0, 0.0), "the lake");
        assert!(!b.holds(15.0, 5.0, 0.5));
        assert!(b.holds(10.4, 5.0, 0.5), "just outside the drawn shore");
        assert_eq!(
            Boundary::from_svg_path("M0 0L1 0L1 1Z\"><script>").svg_path(),
            "M0.0 0.0L1.0 0.0L1.0 1.0Z"
        );
        assert!(Boundary::from_svg_path("").is_empty());
        assert!(Boundary::from_svg_path("garbage").is_empty());
    }
}
