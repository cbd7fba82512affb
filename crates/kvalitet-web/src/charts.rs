//! Server-rendered SVG charts: a sparkline per card, the time series against snitt and
//! range, the position strip (better always to the right), and the choropleth map. Each
//! chart names itself (`role="img"`, `<title>`, `<desc>`); the numbers are always also in a
//! table next to it, so nothing is said by the drawing alone.

use std::fmt::Write;

use kvalitet_app::report::SeriesPoint;
use kvalitet_domain::ticks::Ticks;
use kvalitet_domain::{Colour, Direction, Year};

/// Escapes text for SVG/XML content and attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Maps a value range onto pixels: the axis runs between nice ticks that cover the data
/// (`kvalitet_domain::ticks`), from 0 when that costs at most half of the axis.
struct Scale {
    ticks: Ticks,
    lo: f64,
    hi: f64,
    from: f64,
    to: f64,
}

impl Scale {
    fn new(values: impl Iterator<Item = f64>, from: f64, to: f64) -> Self {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let ticks = Ticks::cover(lo, hi, 4, true);
        Self {
            lo: ticks.lo,
            hi: ticks.hi,
            ticks,
            from,
            to,
        }
    }

    fn at(&self, v: f64) -> f64 {
        self.from + (v - self.lo) / (self.hi - self.lo) * (self.to - self.from)
    }
}

/// The two drawings of a chart. The page holds both and shows one by the screen's width
/// (`.chart-wide`, `.chart-narrow` in the style sheet): a 640-unit drawing shrunk onto a
/// phone would write its 12-unit text at 6 px, so phones get a drawing made for ~300 px with
/// fewer year labels and the legend stacked under the plot, and text stays at 12 px or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    Wide,
    Narrow,
}

impl Width {
    /// The narrow drawing is as wide as the smallest phone's column (320 px less the
    /// page's margins), so its text is never drawn smaller than written.
    fn units(self) -> f64 {
        match self {
            Width::Wide => 640.0,
            Width::Narrow => 288.0,
        }
    }

    fn id(self, id: &str) -> String {
        match self {
            Width::Wide => id.to_owned(),
            Width::Narrow => format!("{id}-n"),
        }
    }

    fn class(self) -> &'static str {
        match self {
            Width::Wide => "chart",
            Width::Narrow => "chart narrow",
        }
    }
}

/// Both drawings of a chart, each in the box the style sheet shows at its widths; nothing
/// when there is nothing to draw.
fn both_widths(draw: impl Fn(Width) -> String) -> String {
    let wide = draw(Width::Wide);
    if wide.is_empty() {
        return wide;
    }
    format!(
        r#"<div class="chart-wide">{wide}</div><div class="chart-narrow">{}</div>"#,
        draw(Width::Narrow)
    )
}

/// A chart's size and margins, in SVG units.
struct Frame {
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    bottom: f64,
    /// How many years may be labelled under the x axis.
    year_labels: usize,
}

/// Height of one stacked legend line in a narrow drawing.
const LEGEND_LINE: f64 = 18.0;

impl Frame {
    /// A phone's drawing: 24 units for the unit label, a 168-unit plot, 32 for the years,
    /// then one line per legend entry; room on the right for half of the last year's label.
    fn narrow(legend_lines: usize) -> Self {
        let legend = legend_lines as f64 * LEGEND_LINE;
        Frame {
            w: Width::Narrow.units(),
            h: 24.0 + 168.0 + 32.0 + legend,
            left: 52.0,
            right: 18.0,
            bottom: 32.0 + legend,
            year_labels: 4,
        }
    }
}

/// What is written above the value axis, in the page's language.
pub struct Axis<'a> {
    /// The unit of the values.
    pub unit: Option<&'a str>,
    /// "axeln börjar vid": said with the lowest tick when the axis of positive values does
    /// not start at 0, so a reader does not take the distance from the bottom for the value.
    pub starts_at: &'a str,
}

/// Grid lines at the scale's nice ticks, written with as many decimals as the step needs and
/// the unit above them (and where the axis starts, when not at 0), and at most `year_labels`
/// years under the x axis (the first, every k-th and the last, never two close together), the
/// year at index i drawn at `x(i)`.
fn axes(
    svg: &mut String,
    ys: &Scale,
    f: &Frame,
    years: &[Year],
    x: &dyn Fn(usize) -> f64,
    fmt: &dyn Fn(f64, u8) -> String,
    axis: &Axis<'_>,
) {
    let mut above: Vec<String> = axis
        .unit
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .into_iter()
        .collect();
    if ys.lo > 0.0 {
        above.push(format!(
            "{} {}",
            axis.starts_at,
            fmt(ys.lo, ys.ticks.decimals)
        ));
    }
    if !above.is_empty() {
        let _ = write!(
            svg,
            r#"<text class="tick unit" x="{}" y="10" text-anchor="start">{}</text>"#,
            f.left - 6.0,
            esc(&above.join(" · "))
        );
    }
    for v in ys.ticks.values() {
        let y = ys.at(v);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{}" x2="{}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            f.left,
            f.w - f.right,
            f.left - 6.0,
            y + 4.0,
            esc(&fmt(v, ys.ticks.decimals))
        );
    }
    let n = years.len();
    let every = n.div_ceil(f.year_labels).max(1);
    for (i, year) in years.iter().enumerate() {
        // The last year is always labelled; the one labelled before it gives way when the
        // two would touch.
        let near_last = i + every > n - 1 && i != n - 1;
        if (i % every == 0 && !near_last) || i == n - 1 {
            let _ = write!(
                svg,
                r#"<text class="tick" x="{:.1}" y="{}" text-anchor="middle">{year}</text>"#,
                x(i),
                f.h - f.bottom + 18.0
            );
        }
    }
}

/// A polyline through the present points; gaps (missing years) break the line.
fn line_path(points: &[(f64, Option<f64>)]) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (x, y) in points {
        match y {
            Some(y) => {
                let _ = write!(d, "{}{x:.1} {y:.1}", if pen_down { 'L' } else { 'M' });
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d
}

/// Line styles for up to five series, so lines differ by more than colour.
const SERIES_STYLES: [&str; 5] = ["s1", "s2", "s3", "s4", "s5"];

/// Several municipalities' lines over the years (the compare page), each with its own
/// colour and dash pattern and the snitt of all municipalities (the points' `mean`) as a
/// dashed line labelled `mean_label`. The wide drawing labels each line at its last point;
/// the narrow one stacks a legend under the plot, where long names fit.
pub fn multi_line(
    series: &[Vec<SeriesPoint>],
    names: &[String],
    title: &str,
    fmt: &dyn Fn(f64, u8) -> String,
    axis: &Axis<'_>,
    mean_label: &str,
) -> String {
    both_widths(|width| multi_line_in(width, series, names, title, fmt, axis, mean_label))
}

fn multi_line_in(
    width: Width,
    series: &[Vec<SeriesPoint>],
    names: &[String],
    title: &str,
    fmt: &dyn Fn(f64, u8) -> String,
    axis: &Axis<'_>,
    mean_label: &str,
) -> String {
    let years: std::collections::BTreeSet<_> = series
        .iter()
        .flatten()
        .filter(|p| p.value.is_some())
        .map(|p| p.year)
        .collect();
    if years.is_empty() {
        return String::new();
    }
    let years: Vec<_> = years.into_iter().collect();
    let w = width.units();
    let top = 24.0;
    let frame = match width {
        Width::Wide => Frame {
            w,
            h: 300.0,
            left: 64.0,
            right: 130.0,
            bottom: 32.0,
            year_labels: 8,
        },
        // The snitt and each municipality on a legend line of their own.
        Width::Narrow => Frame::narrow(series.len() + 1),
    };
    let ys = Scale::new(
        series
            .iter()
            .flatten()
            .flat_map(|p| [p.value, p.mean])
            .flatten(),
        frame.h - frame.bottom,
        top,
    );
    let step = if years.len() > 1 {
        (w - frame.left - frame.right) / (years.len() - 1) as f64
    } else {
        0.0
    };
    let left = frame.left;
    let x_of = |y| left + years.iter().position(|v| *v == y).unwrap_or(0) as f64 * step;
    let id = width.id("mc-title");
    let mut svg = format!(
        r#"<svg class="{}" viewBox="0 0 {w} {}" role="img" aria-labelledby="{id}"><title id="{id}">{}</title>"#,
        width.class(),
        frame.h,
        esc(title)
    );
    axes(
        &mut svg,
        &ys,
        &frame,
        &years,
        &|i| left + i as f64 * step,
        fmt,
        axis,
    );
    let mut keys = Vec::new();
    if let Some(first) = series.first() {
        let mean: Vec<(f64, Option<f64>)> = years
            .iter()
            .map(|y| {
                let v = first.iter().find(|p| p.year == *y).and_then(|p| p.mean);
                (x_of(*y), v.map(|v| ys.at(v)))
            })
            .collect();
        let _ = write!(svg, r#"<path class="line-mean" d="{}"/>"#, line_path(&mean));
        match width {
            Width::Wide => label_line_end(&mut svg, &mean, mean_label),
            Width::Narrow => keys.push((Key::Line("line-mean".into()), mean_label)),
        }
    }
    for (i, (points, name)) in series.iter().zip(names).enumerate() {
        let style = SERIES_STYLES[i % SERIES_STYLES.len()];
        let line: Vec<(f64, Option<f64>)> = years
            .iter()
            .map(|y| {
                (
                    x_of(*y),
                    points
                        .iter()
                        .find(|p| p.year == *y)
                        .and_then(|p| p.value)
                        .map(|v| ys.at(v)),
                )
            })
            .collect();
        let _ = write!(
            svg,
            r#"<path class="ml {style}" d="{}"/>"#,
            line_path(&line)
        );
        match width {
            Width::Wide => label_line_end(&mut svg, &line, name),
            Width::Narrow => keys.push((Key::Line(format!("ml {style}")), name)),
        }
    }
    legend(&mut svg, &keys, width, left, frame.h - frame.bottom + 40.0);
    svg.push_str("</svg>");
    svg
}

/// What a legend entry shows beside its words: a line sample of a class, or a band.
enum Key {
    Line(String),
    Band(&'static str),
}

/// A legend as words beside samples: in one row in the wide drawing, one entry per line in
/// the narrow one; the first entry's baseline at `y`.
fn legend(svg: &mut String, keys: &[(Key, &str)], width: Width, left: f64, y: f64) {
    let (mut lx, mut ly) = (left, y);
    for (key, label) in keys {
        match key {
            Key::Band(class) => {
                let _ = write!(
                    svg,
                    r#"<rect class="{class}" x="{lx}" y="{}" width="18" height="10"/>"#,
                    ly - 9.0
                );
            }
            Key::Line(class) => {
                let _ = write!(
                    svg,
                    r#"<line class="{class}" x1="{lx}" x2="{}" y1="{}" y2="{}"/>"#,
                    lx + 18.0,
                    ly - 4.0,
                    ly - 4.0
                );
            }
        }
        let _ = write!(
            svg,
            r#"<text class="legend" x="{}" y="{ly}">{}</text>"#,
            lx + 22.0,
            esc(label)
        );
        match width {
            Width::Wide => lx += 34.0 + label.chars().count() as f64 * 6.5,
            Width::Narrow => ly += LEGEND_LINE,
        }
    }
}

/// Writes `label` just right of a line's last drawn point (a direct label, not a legend).
fn label_line_end(svg: &mut String, line: &[(f64, Option<f64>)], label: &str) {
    if let Some((lx, ly)) = line.iter().rev().find_map(|(x, y)| Some((*x, (*y)?))) {
        let _ = write!(
            svg,
            r#"<text class="legend" x="{:.1}" y="{:.1}">{}</text>"#,
            lx + 6.0,
            ly + 4.0,
            esc(label)
        );
    }
}

/// How many of the latest years a sparkline draws.
pub const SPARK_YEARS: usize = 10;

/// A small line of the municipality's values (solid) and the snitt (dashed) in the latest
/// [`SPARK_YEARS`] years.
pub fn sparkline(points: &[SeriesPoint], label: &str) -> String {
    let last: Vec<&SeriesPoint> = points.iter().rev().take(SPARK_YEARS).rev().collect();
    if last.iter().all(|p| p.value.is_none()) {
        return String::new();
    }
    let (w, h) = (120.0, 32.0);
    let ys = Scale::new(
        last.iter().flat_map(|p| [p.value, p.mean]).flatten(),
        h - 3.0,
        3.0,
    );
    let step = if last.len() > 1 {
        (w - 6.0) / (last.len() - 1) as f64
    } else {
        0.0
    };
    let xy = |f: fn(&SeriesPoint) -> Option<f64>| -> Vec<(f64, Option<f64>)> {
        last.iter()
            .enumerate()
            .map(|(i, p)| (3.0 + i as f64 * step, f(p).map(|v| ys.at(v))))
            .collect()
    };
    format!(
        r#"<svg class="spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{label}"><path class="spark-mean" d="{mean}"/><path class="spark-own" d="{own}"/></svg>"#,
        label = esc(label),
        mean = line_path(&xy(|p| p.mean)),
        own = line_path(&xy(|p| p.value)),
    )
}

/// Labels of the time chart, in the page's language.
pub struct TimeChartText<'a> {
    pub title: &'a str,
    pub desc: &'a str,
    pub own: &'a str,
    pub mean: &'a str,
    /// The middle half of the population (between the quartiles).
    pub middle: &'a str,
    /// Lowest to highest, drawn only when asked for.
    pub range: &'a str,
    pub riket: &'a str,
    /// What is written above the value axis.
    pub axis: Axis<'a>,
}

/// The municipality's line against the snitt (dashed) and the band of the middle half (the
/// interquartile range), with lowest–highest as a lighter band when `whole_range` (one
/// outlier then sets the axis, which is why it is not the default), and Riket (dotted) when
/// there is one; y ticks use `fmt`.
pub fn time_chart(
    points: &[SeriesPoint],
    text: &TimeChartText<'_>,
    fmt: &dyn Fn(f64, u8) -> String,
    whole_range: bool,
) -> String {
    if points.is_empty() {
        return String::new();
    }
    both_widths(|width| time_chart_in(width, points, text, fmt, whole_range))
}

/// A closed band between two lines of points, for the points that have both ends.
fn band(
    svg: &mut String,
    class: &str,
    points: &[SeriesPoint],
    x: &dyn Fn(usize) -> f64,
    ys: &Scale,
    ends: fn(&SeriesPoint) -> Option<(f64, f64)>,
) {
    let pairs: Vec<(f64, f64, f64)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let (a, b) = ends(p)?;
            Some((x(i), ys.at(a.max(b)), ys.at(a.min(b))))
        })
        .collect();
    if pairs.len() > 1 {
        let mut d = String::new();
        let upper = pairs.iter().map(|(x, hi, _)| (x, hi));
        let lower = pairs.iter().rev().map(|(x, _, lo)| (x, lo));
        for (i, (px, py)) in upper.chain(lower).enumerate() {
            let _ = write!(d, "{}{px:.1} {py:.1}", if i == 0 { 'M' } else { 'L' });
        }
        d.push('Z');
        let _ = write!(svg, r#"<path class="{class}" d="{d}"/>"#);
    }
}

fn time_chart_in(
    width: Width,
    points: &[SeriesPoint],
    text: &TimeChartText<'_>,
    fmt: &dyn Fn(f64, u8) -> String,
    whole_range: bool,
) -> String {
    let has_riket = points.iter().any(|p| p.riket.is_some());
    let mut keys = vec![
        (Key::Line("line-own".into()), text.own),
        (Key::Line("line-mean".into()), text.mean),
        (Key::Band("band"), text.middle),
    ];
    if whole_range {
        keys.push((Key::Band("band-range"), text.range));
    }
    if has_riket {
        keys.push((Key::Line("line-riket".into()), text.riket));
    }
    let w = width.units();
    let top = 24.0;
    let frame = match width {
        Width::Wide => Frame {
            w,
            h: 300.0,
            left: 64.0,
            right: 16.0,
            bottom: 40.0,
            year_labels: 8,
        },
        Width::Narrow => Frame::narrow(keys.len()),
    };
    let ys = Scale::new(
        points
            .iter()
            .flat_map(|p| {
                let (lo, hi) = if whole_range {
                    (p.worst, p.best)
                } else {
                    (p.q1, p.q3)
                };
                [p.value, p.mean, lo, hi, p.riket]
            })
            .flatten(),
        frame.h - frame.bottom,
        top,
    );
    let n = points.len();
    let step = if n > 1 {
        (w - frame.left - frame.right) / (n - 1) as f64
    } else {
        0.0
    };
    let left = frame.left;
    let x = |i: usize| left + i as f64 * step;
    let (title_id, desc_id) = (width.id("tc-title"), width.id("tc-desc"));
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="{}" viewBox="0 0 {w} {}" role="img" aria-labelledby="{title_id} {desc_id}"><title id="{title_id}">{}</title><desc id="{desc_id}">{}</desc>"#,
        width.class(),
        frame.h,
        esc(text.title),
        esc(text.desc)
    );
    if whole_range {
        band(&mut svg, "band-range", points, &x, &ys, |p| {
            Some((p.worst?, p.best?))
        });
    }
    band(&mut svg, "band", points, &x, &ys, |p| Some((p.q1?, p.q3?)));
    let years: Vec<Year> = points.iter().map(|p| p.year).collect();
    axes(&mut svg, &ys, &frame, &years, &x, fmt, &text.axis);
    let series = |f: fn(&SeriesPoint) -> Option<f64>| -> Vec<(f64, Option<f64>)> {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| (x(i), f(p).map(|v| ys.at(v))))
            .collect()
    };
    let _ = write!(
        svg,
        r#"<path class="line-mean" d="{}"/>"#,
        line_path(&series(|p| p.mean))
    );
    if has_riket {
        let _ = write!(
            svg,
            r#"<path class="line-riket" d="{}"/>"#,
            line_path(&series(|p| p.riket))
        );
    }
    let own = series(|p| p.value);
    let _ = write!(svg, r#"<path class="line-own" d="{}"/>"#, line_path(&own));
    for (px, py) in own.iter().filter_map(|(px, py)| Some((px, (*py)?))) {
        let _ = write!(
            svg,
            r#"<circle class="dot-own" cx="{px:.1}" cy="{py:.1}" r="3.5"/>"#
        );
    }
    let legend_y = match width {
        Width::Wide => frame.h - 8.0,
        Width::Narrow => frame.h - frame.bottom + 40.0,
    };
    legend(&mut svg, &keys, width, left, legend_y);
    svg.push_str("</svg>");
    svg
}

/// A strip from worst (left) to best (right): the middle half shaded, a tick for the snitt,
/// and a marker for the municipality. Better is always to the right.
#[allow(clippy::too_many_arguments)]
pub fn position_strip(
    direction: Direction,
    worst: f64,
    best: f64,
    q1: f64,
    q3: f64,
    mean: f64,
    own: Option<f64>,
    label: &str,
) -> String {
    let (w, h) = (320.0, 28.0);
    let (lo, hi) = (worst.min(best), worst.max(best));
    let span = if hi - lo < 1e-9 { 1.0 } else { hi - lo };
    // Position 0 = worst, 1 = best.
    let pos = |v: f64| {
        let t = (v - lo) / span;
        let t = if direction == Direction::LowerIsBetter {
            1.0 - t
        } else {
            t
        };
        8.0 + t.clamp(0.0, 1.0) * (w - 16.0)
    };
    let (a, b) = (pos(q1).min(pos(q3)), pos(q1).max(pos(q3)));
    let mut svg = format!(
        r#"<svg class="strip" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}"><line class="strip-axis" x1="8" x2="{}" y1="14" y2="14"/><rect class="strip-mid" x="{a:.1}" y="8" width="{:.1}" height="12"/><line class="strip-mean" x1="{m:.1}" x2="{m:.1}" y1="4" y2="24"/>"#,
        esc(label),
        w - 8.0,
        (b - a).max(1.0),
        m = pos(mean),
    );
    if let Some(v) = own {
        let _ = write!(
            svg,
            r#"<circle class="strip-own" cx="{:.1}" cy="14" r="6"/>"#,
            pos(v)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A choropleth of the kommuner by colour class; the chosen one is outlined.
pub fn map(
    shapes: &[(kvalitet_domain::MunicipalityId, String)],
    colour_of: &dyn Fn(&kvalitet_domain::MunicipalityId) -> Colour,
    name_of: &dyn Fn(&kvalitet_domain::MunicipalityId) -> String,
    colour_words: &dyn Fn(Colour) -> &'static str,
    selected: Option<&kvalitet_domain::MunicipalityId>,
    title: &str,
    desc: &str,
) -> String {
    if shapes.is_empty() {
        return String::new();
    }
    let (w, h) = (kvalitet_formats::MAP_WIDTH, kvalitet_formats::MAP_HEIGHT);
    let mut svg = format!(
        r#"<svg class="map" viewBox="0 0 {w} {h}" role="img" aria-labelledby="map-title map-desc"><title id="map-title">{}</title><desc id="map-desc">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    // Besides its colour, each class has its own pattern (the badges' shapes cannot be
    // drawn inside a municipality): yellow dotted, red hatched, green plain.
    svg.push_str(
        r##"<defs><pattern id="map-dots" width="4" height="4" patternUnits="userSpaceOnUse"><rect width="4" height="4" class="p-yellow"/><circle cx="2" cy="2" r=".9" class="p-mark"/></pattern><pattern id="map-hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="4" height="4" class="p-red"/><line x1="0" y1="0" x2="0" y2="4" class="p-line"/></pattern></defs>"##,
    );
    let mut chosen = None;
    for (m, path) in shapes {
        if Some(m) == selected {
            chosen = Some(path);
        }
        // The name and the colour in words show on hover (the list beside the map and the
        // ranked table carry them for everyone).
        let colour = colour_of(m);
        let _ = write!(
            svg,
            r#"<path class="m-{}" d="{path}"><title>{}: {}</title></path>"#,
            colour.code(),
            esc(&name_of(m)),
            esc(colour_words(colour))
        );
    }
    if let Some(path) = chosen {
        let _ = write!(svg, r#"<path class="m-selected" d="{}"/>"#, esc(path));
        // A ring around the chosen municipality, so a small one is found (its outline
        // alone makes a dot).
        if let Some((cx, cy, r)) = ring_around(path) {
            let _ = write!(
                svg,
                r#"<circle class="m-ring" cx="{cx:.1}" cy="{cy:.1}" r="{r:.1}"/>"#
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The centre of a path's bounding box and a radius that clears it: the path's numbers are
/// read as x y pairs (the map's paths are absolute M/L/Z commands).
fn ring_around(path: &str) -> Option<(f64, f64, f64)> {
    let numbers: Vec<f64> = path
        .split(|c: char| c.is_ascii_alphabetic() || c.is_whitespace() || c == ',')
        .filter_map(|t| t.parse().ok())
        .collect();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for xy in numbers.chunks_exact(2) {
        (x0, x1) = (x0.min(xy[0]), x1.max(xy[0]));
        (y0, y1) = (y0.min(xy[1]), y1.max(xy[1]));
    }
    (x0 <= x1).then(|| {
        let r = ((x1 - x0).hypot(y1 - y0) / 2.0 + 4.0).max(9.0);
        ((x0 + x1) / 2.0, (y0 + y1) / 2.0, r)
    })
}

/// The badge of a colour class: a shape per class, so colour is never the only sign.
pub fn badge_icon(colour: Colour) -> &'static str {
    match colour {
        Colour::Green => {
            r#"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><circle class="c-green" cx="8" cy="8" r="6.5"/></svg>"#
        }
        Colour::Yellow => {
            r#"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><path class="c-yellow" d="M8 1L15 8L8 15L1 8Z"/></svg>"#
        }
        Colour::Red => {
            r#"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><rect class="c-red" x="2" y="2" width="12" height="12"/></svg>"#
        }
        Colour::Grey => {
            r#"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><circle class="c-grey" cx="8" cy="8" r="6"/></svg>"#
        }
        Colour::None => "",
    }
}

/// The icon of a trend: up/right for better, down for worse, a bar for unchanged.
pub fn trend_icon(trend: kvalitet_domain::Trend) -> &'static str {
    use kvalitet_domain::Trend;
    match trend {
        Trend::Better => {
            r#"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><path class="t-icon" d="M3 11L8 5L13 11"/></svg>"#
        }
        Trend::Worse => {
            r#"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><path class="t-icon" d="M3 5L8 11L13 5"/></svg>"#
        }
        Trend::Unchanged | Trend::Changed => {
            r#"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><path class="t-icon" d="M3 8H13"/></svg>"#
        }
        Trend::NotComparable => "",
    }
}

/// One bar of [`area_bars`]: a share of the maximum (0–100), and the others' lowest, mean
/// and highest share when there are others to compare with.
pub struct AreaBar<'a> {
    pub label: &'a str,
    pub share: Option<f64>,
    pub others: Option<(f64, f64, f64)>,
}

/// Horizontal bars of an assessment's areas as shares of their maxima: the municipality's
/// bar, a line from the others' lowest to highest, and a tick at their mean. The wide
/// drawing writes each area's name left of its bar; the narrow one above it.
pub fn area_bars(bars: &[AreaBar<'_>], title: &str, desc: &str, id: &str) -> String {
    both_widths(|width| area_bars_in(width, bars, title, desc, id))
}

fn area_bars_in(width: Width, bars: &[AreaBar<'_>], title: &str, desc: &str, id: &str) -> String {
    let w = width.units();
    // Where a bar starts, how tall a row is, how far down in it the bar starts, and how
    // many characters of a name fit.
    let (label_w, row, bar_top, fits) = match width {
        Width::Wide => (250.0, 34.0, 0.0, 34),
        Width::Narrow => (0.0, 52.0, 18.0, 40),
    };
    let plot = w - label_w - 16.0;
    let h = row * bars.len() as f64 + 24.0;
    let x = |share: f64| label_w + 4.0 + share.clamp(0.0, 100.0) / 100.0 * plot;
    let id = width.id(id);
    let mut svg = format!(
        r#"<svg class="{} bars" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        width.class(),
        esc(title),
        esc(desc)
    );
    for (i, tick) in [0.0, 25.0, 50.0, 75.0, 100.0].iter().enumerate() {
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{x:.1}" x2="{x:.1}" y1="0" y2="{y:.1}"/><text class="tick" x="{x:.1}" y="{t:.1}" text-anchor="{a}">{tick}</text>"#,
            x = x(*tick),
            y = h - 20.0,
            t = h - 6.0,
            a = if i == 0 {
                "start"
            } else if i == 4 {
                "end"
            } else {
                "middle"
            },
        );
    }
    for (i, bar) in bars.iter().enumerate() {
        let top = i as f64 * row + 4.0;
        let label: String = if bar.label.chars().count() > fits {
            bar.label.chars().take(fits - 1).collect::<String>() + "…"
        } else {
            bar.label.to_owned()
        };
        let _ = write!(
            svg,
            r#"<text class="tick" x="0" y="{:.1}">{}</text>"#,
            top + 13.0,
            esc(&label)
        );
        let top = top + bar_top;
        if let Some(share) = bar.share {
            let _ = write!(
                svg,
                r#"<rect class="bar-own" x="{:.1}" y="{top:.1}" width="{:.1}" height="16"/>"#,
                x(0.0),
                (x(share) - x(0.0)).max(1.0)
            );
        }
        if let Some((lo, mean, hi)) = bar.others {
            let y = top + 22.0;
            let _ = write!(
                svg,
                r#"<line class="bar-range" x1="{:.1}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><line class="bar-mean" x1="{m:.1}" x2="{m:.1}" y1="{:.1}" y2="{:.1}"/>"#,
                x(lo),
                x(hi),
                y - 5.0,
                y + 5.0,
                m = x(mean),
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(year: i64, value: f64, worst: f64, best: f64) -> SeriesPoint {
        SeriesPoint {
            year: Year::new(year).unwrap(),
            value: Some(value),
            mean: Some((worst + best) / 2.0),
            worst: Some(worst),
            best: Some(best),
            q1: Some(worst + (best - worst) / 4.0),
            q3: Some(best - (best - worst) / 4.0),
            riket: None,
            n: 290,
        }
    }

    /// The wide drawing of a chart that has both.
    fn wide(svg: &str) -> &str {
        svg.split("chart-narrow").next().unwrap_or(svg)
    }

    /// The texts of the value ticks of the wide drawing, in drawing order (bottom up).
    fn ticks(svg: &str) -> Vec<f64> {
        wide(svg)
            .split(r#"text-anchor="end">"#)
            .skip(1)
            .filter_map(|t| t.split('<').next())
            .map(|t| {
                t.replace('\u{a0}', "")
                    .replace(',', ".")
                    .replace('\u{2212}', "-")
            })
            .filter_map(|t| t.parse().ok())
            .collect()
    }

    #[test]
    fn value_ticks_are_nice_numbers_with_the_unit_above() {
        let text = TimeChartText {
            title: "t",
            desc: "d",
            own: "Ale",
            mean: "Snitt",
            middle: "Mittersta hälften",
            range: "Spann",
            riket: "Riket",
            axis: Axis {
                unit: Some("procent"),
                starts_at: "axeln börjar vid",
            },
        };
        let fmt = |x: f64, d: u8| kvalitet_domain::swedish::format_number(x, d);
        for (lo, hi) in [
            (58.8, 98.2),
            (0.0, 4.9),
            (47_417.0, 182_435.0),
            (-5.0, 105.0),
        ] {
            let points: Vec<SeriesPoint> = (2015..=2022)
                .map(|y| point(y, (lo + hi) / 2.0, lo, hi))
                .collect();
            let svg = time_chart(&points, &text, &fmt, true);
            let t = ticks(&svg);
            assert!(t.len() >= 3, "{lo}–{hi}: {t:?}");
            let step = t[1] - t[0];
            assert!(
                kvalitet_domain::ticks::is_nice_step(step),
                "{lo}–{hi}: {t:?}"
            );
            assert!(
                t.windows(2).all(|w| ((w[1] - w[0]) - step).abs() < 1e-6),
                "{t:?}"
            );
            assert!(t[0] <= lo && *t.last().unwrap() >= hi, "{lo}–{hi}: {t:?}");
            assert!(svg.contains(r#"class="tick unit""#) && svg.contains(">procent"));
            // An axis of positive values that does not start at 0 says where it starts.
            let from = t[0];
            assert_eq!(
                wide(&svg).contains(&format!("procent · axeln börjar vid {}", fmt(from, 0))),
                from > 0.0,
                "{lo}–{hi}: {t:?}"
            );
        }
    }

    #[test]
    fn phones_get_their_own_drawing_with_its_own_ids_and_a_stacked_legend() {
        let points: Vec<SeriesPoint> = (1998..=2022).map(|y| point(y, 1.0, 0.5, 2.0)).collect();
        let text = TimeChartText {
            title: "t",
            desc: "d",
            own: "Upplands Väsby",
            mean: "Snitt",
            middle: "Mittersta hälften",
            range: "Sämsta – bästa",
            riket: "Riket",
            axis: Axis {
                unit: None,
                starts_at: "axeln börjar vid",
            },
        };
        let fmt = |x: f64, d: u8| kvalitet_domain::swedish::format_number(x, d);
        let svg = time_chart(&points, &text, &fmt, false);
        let narrow = svg.split("chart-narrow").nth(1).unwrap();
        assert!(narrow.contains(r#"viewBox="0 0 288 "#), "{narrow}");
        assert!(narrow.contains(r#"id="tc-title-n""#) && wide(&svg).contains(r#"id="tc-title""#));
        // At most four years labelled, and every legend entry on its own line.
        assert!(narrow.matches(r#"text-anchor="middle""#).count() <= 4);
        let legend_ys: Vec<&str> = narrow
            .split(r#"<text class="legend" x=""#)
            .skip(1)
            .filter_map(|t| t.split("y=\"").nth(1)?.split('"').next())
            .collect();
        assert_eq!(legend_ys.len(), 3, "{narrow}");
        assert!(legend_ys.windows(2).all(|w| w[0] != w[1]));
        // The whole range is drawn only when asked for, and then named in the legend.
        assert!(!svg.contains("band-range"));
        let whole = time_chart(&points, &text, &fmt, true);
        assert!(whole.contains(r#"class="band-range""#) && whole.contains(">Sämsta – bästa<"));
    }

    #[test]
    fn year_labels_never_crowd_the_last_year() {
        let points: Vec<SeriesPoint> = (1998..=2022).map(|y| point(y, 1.0, 0.5, 2.0)).collect();
        let svg = time_chart(
            &points,
            &TimeChartText {
                title: "t",
                desc: "d",
                own: "o",
                mean: "m",
                middle: "h",
                range: "r",
                riket: "k",
                axis: Axis {
                    unit: None,
                    starts_at: "axeln börjar vid",
                },
            },
            &|x, d| kvalitet_domain::swedish::format_number(x, d),
            false,
        );
        let years: Vec<i64> = wide(&svg)
            .split(r#"text-anchor="middle">"#)
            .skip(1)
            .filter_map(|t| t.split('<').next()?.parse().ok())
            .collect();
        assert_eq!(years.last(), Some(&2022));
        assert!(years.windows(2).all(|w| w[1] - w[0] >= 3), "{years:?}");
    }

    #[test]
    fn the_map_names_each_municipality_and_marks_colour_by_pattern_too() {
        let a = kvalitet_domain::MunicipalityId::parse("0180").unwrap();
        let b = kvalitet_domain::MunicipalityId::parse("1480").unwrap();
        let shapes = vec![(a, "M0 0L1 1Z".to_owned()), (b, "M2 2L3 3Z".to_owned())];
        let svg = map(
            &shapes,
            &|m| if *m == a { Colour::Red } else { Colour::Yellow },
            &|m| {
                if *m == a {
                    "Stockholm <1>".into()
                } else {
                    "Göteborg".into()
                }
            },
            &|c| if c == Colour::Red { "sämst" } else { "mitten" },
            Some(&a),
            "t",
            "d",
        );
        assert!(
            svg.contains("<title>Stockholm &lt;1&gt;: sämst</title>"),
            "{svg}"
        );
        assert!(svg.contains("<title>Göteborg: mitten</title>"));
        assert!(
            svg.contains(r#"<pattern id="map-hatch""#) && svg.contains(r#"<pattern id="map-dots""#)
        );
    }

    #[test]
    fn text_in_charts_is_escaped() {
        let svg = sparkline(
            &[SeriesPoint {
                year: kvalitet_domain::Year::new(2022).unwrap(),
                value: Some(1.0),
                mean: Some(2.0),
                worst: Some(0.0),
                best: Some(3.0),
                q1: Some(1.0),
                q3: Some(2.0),
                riket: None,
                n: 4,
            }],
            "<script>",
        );
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
    }

    #[test]
    fn better_is_to_the_right_whatever_the_direction() {
        let cx = |svg: &str| {
            let at = svg.find("strip-own\" cx=\"").unwrap() + 15;
            svg[at..].split('"').next().unwrap().parse::<f64>().unwrap()
        };
        let up = position_strip(
            Direction::HigherIsBetter,
            0.0,
            10.0,
            2.0,
            8.0,
            5.0,
            Some(9.0),
            "x",
        );
        let down = position_strip(
            Direction::LowerIsBetter,
            10.0,
            0.0,
            2.0,
            8.0,
            5.0,
            Some(1.0),
            "x",
        );
        assert!(cx(&up) > 250.0, "{up}");
        assert!(cx(&down) > 250.0, "{down}");
    }
}
