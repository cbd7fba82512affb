//! The citizen site: start page with the municipality finder, a page per municipality (its
//! measure set as cards), a page per measure and municipality (time series, everyone
//! ranked, map, definition), comparing up to five municipalities, an embeddable widget, and
//! downloads of what each page shows. Swedish at `/`, English at `/en/`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use kvalitet_app::Store;
use kvalitet_app::report::{
    self, Card, ComparedRow, Directory, Population, Presentation, Series, SeriesPoint,
    YearComparison,
};
use kvalitet_domain::{
    Colour, Direction, Gender, MeasureId, MunicipalityId, SourceKind, Trend, Year,
};

use crate::charts;
use crate::downloads::{self, Table};
use crate::i18n::Lang;
use crate::{AppState, WebError, query_pairs};

/// The most municipalities the compare page shows side by side.
pub const MAX_COMPARED: usize = 5;

/// The parameters every data page understands: year (`ar`), gender (`kon`), population
/// (`jamfor`) and measure set (`set`).
#[derive(Debug, Clone)]
pub struct Params {
    pub year: Option<Year>,
    pub gender: Gender,
    pub population: Population,
    pub set: Option<String>,
    pub pairs: Vec<(String, String)>,
}

impl Params {
    /// The site's parameters keep their Swedish names on English pages too, so a link can
    /// switch language and keep its choices.
    pub fn parse(raw: Option<&str>) -> Result<Self, WebError> {
        let pairs = query_pairs(raw);
        let get = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let year = get("ar")
            .map(|y| {
                Year::parse(&y).map_err(|_| {
                    WebError::bad_request(format!("ar={y}: not a year between 1950 and 2100"))
                })
            })
            .transpose()?;
        let gender = get("kon")
            .map(|g| {
                Gender::parse(&g)
                    .map_err(|_| WebError::bad_request(format!("kon={g}: use T, K or M")))
            })
            .transpose()?
            .unwrap_or(Gender::Total);
        let population = get("jamfor")
            .map(|p| Population::parse(&p))
            .transpose()?
            .unwrap_or(Population::Set);
        Ok(Self {
            year,
            gender,
            population,
            set: get("set"),
            pairs,
        })
    }

    /// The query string for links that keep these choices.
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.set {
            parts.push(format!("set={}", encode(s)));
        }
        if let Some(y) = self.year {
            parts.push(format!("ar={y}"));
        }
        if self.gender != Gender::Total {
            parts.push(format!("kon={}", self.gender.code()));
        }
        if self.population != Population::Set {
            parts.push(format!("jamfor={}", encode(&self.population.code())));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~,:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl<S: Store> AppState<S> {
    /// The directory of the current data version (loaded once per version).
    pub(crate) async fn directory(&self) -> Result<(i64, Arc<Directory>), WebError> {
        let version = self.data_version().await.map_err(WebError::internal)?;
        if let Some((v, d)) = self
            .directory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            && *v == version
        {
            return Ok((version, d.clone()));
        }
        let loaded = Arc::new(
            Directory::load(&self.store)
                .await
                .map_err(WebError::internal)?,
        );
        *self.directory.lock().unwrap_or_else(|p| p.into_inner()) = Some((version, loaded.clone()));
        Ok((version, loaded))
    }

    /// A measure's values for one gender, cached per data version.
    pub(crate) async fn series(
        &self,
        version: i64,
        measure: MeasureId,
        gender: Gender,
    ) -> Result<Arc<Series>, kvalitet_app::StoreError> {
        let key = format!("{measure}/{}", gender.code());
        if let Some(s) = self.series_cache.get(version, &key) {
            return Ok(s);
        }
        let series = Arc::new(Series::load(&self.store, &measure, gender).await?);
        self.series_cache.put(version, key, series.clone());
        Ok(series)
    }

    pub(crate) fn render(&self, name: &str, lang: Lang, ctx: Value) -> Result<String, WebError> {
        let mut ctx = ctx;
        if let Value::Object(map) = &mut ctx {
            map.insert("lang".into(), json!(lang.code()));
            map.insert("base".into(), json!(lang.base()));
            map.entry("other_path")
                .or_insert(json!(lang.other().base().to_owned() + "/"));
            map.entry("print").or_insert(json!(false));
            map.entry("oembed").or_insert(json!(false));
            map.entry("origin").or_insert(json!(self.public_url));
        }
        // The texts are made into a template value once per language, not per page.
        let texts = lang.template_texts();
        self.templates
            .get_template(name)
            .and_then(|t| {
                t.render(minijinja::context! { t => texts, ..minijinja::Value::from(minijinja::value::Serde(&ctx)) })
            })
            .map_err(WebError::internal)
    }
}

/// A rendered page with its security headers; `embeddable` allows framing by any site.
pub fn html_response(body: impl Into<bytes::Bytes>, embeddable: bool) -> Response {
    let frame = if embeddable {
        "frame-ancestors *"
    } else {
        "frame-ancestors 'none'"
    };
    // Only the widget runs a script (its own file, to report its height to the host page).
    let script = if embeddable {
        "script-src 'self'; "
    } else {
        ""
    };
    let csp = format!(
        "default-src 'none'; {script}style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; {frame}"
    );
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::CONTENT_SECURITY_POLICY, csp),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::REFERRER_POLICY, "same-origin".to_owned()),
        ],
        body.into(),
    )
        .into_response();
    if !embeddable {
        response.headers_mut().insert(
            header::X_FRAME_OPTIONS,
            header::HeaderValue::from_static("DENY"),
        );
    }
    response
}

fn error_page<S: Store>(state: &AppState<S>, lang: Lang, e: WebError) -> Response {
    let title = if e.status == StatusCode::NOT_FOUND {
        lang.texts()["not_found"]
    } else if e.status.is_client_error() {
        lang.texts()["bad_request"]
    } else {
        "Fel"
    };
    let body = state
        .render(
            "error.html",
            lang,
            json!({ "title": title, "message": e.message }),
        )
        .unwrap_or_else(|_| e.message.clone());
    let mut r = html_response(body, false);
    *r.status_mut() = e.status;
    r
}

/// Serves a page from the cache of the current data version, or makes and keeps it.
async fn cached<S, F, Fut>(
    state: &AppState<S>,
    lang: Lang,
    key: String,
    embeddable: bool,
    make: F,
) -> Response
where
    S: Store,
    F: FnOnce(i64, Arc<Directory>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<u8>, WebError>>,
{
    let (version, directory) = match state.directory().await {
        Ok(d) => d,
        Err(e) => return error_page(state, lang, e),
    };
    let key = format!("{}{key}", lang.code());
    if let Some(body) = state.pages.get(version, &key) {
        return html_response(body, embeddable);
    }
    match make(version, directory).await {
        Ok(body) => {
            let body = bytes::Bytes::from(body);
            state.pages.put(version, key, body.clone());
            html_response(body, embeddable)
        }
        Err(e) => error_page(state, lang, e),
    }
}

// ---------------------------------------------------------------------------------------
// Pages

pub async fn start<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query_pairs(raw.as_deref());
    let q = pairs
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let key = format!("/?q={q}");
    let st = state.clone();
    cached(&state, lang, key, false, |_, d| async move {
        let needle = q.to_lowercase();
        let matching: Vec<&kvalitet_domain::Municipality> = d
            .kommuner
            .iter()
            .filter(|m| needle.is_empty() || m.title.to_lowercase().contains(&needle))
            .collect();
        // Even a single match is shown as a result list: clearer for screen readers, and the
        // back button keeps working.
        let mut letters: Vec<(String, Vec<Value>)> = Vec::new();
        for m in &matching {
            let letter = kvalitet_domain::swedish::index_letter(&m.title);
            let entry = json!({ "id": m.id.as_str(), "name": m.title });
            match letters.last_mut() {
                Some((l, list)) if *l == letter => list.push(entry),
                _ => letters.push((letter, vec![entry])),
            }
        }
        let set = d.set(None).ok();
        let body = st.render(
            "start.html",
            lang,
            json!({
                "q": q,
                "count": matching.len(),
                "total": d.kommuner.len(),
                "letters": letters.iter().map(|(l, list)| json!({"letter": l, "kommuner": list})).collect::<Vec<_>>(),
                "set_title": set.map(|s| localized(lang, &s.title, s.title_en.as_deref())),
                "set_description": set.map(|s| localized(lang, &s.description, s.description_en.as_deref())),
                "other_path": format!("{}/", lang.other().base()),
            }),
        )?;
        Ok(body.into_bytes())
    })
    .await
}

fn localized(lang: Lang, sv: &str, en: Option<&str>) -> String {
    match (lang, en) {
        (Lang::En, Some(en)) => en.to_owned(),
        _ => sv.to_owned(),
    }
}

/// Everything shown about one measure for one municipality in one year.
fn figures(
    lang: Lang,
    p: &Presentation,
    c: &YearComparison,
    own: Option<&ComparedRow>,
    population_name: &str,
) -> Value {
    let t = lang.texts();
    let unit = unit(lang, p);
    let fmt = |x: Option<f64>| x.map(|x| lang.with_unit(x, p.decimals, unit.as_deref()));
    let s = &c.summary;
    let colour = own.map_or(Colour::Grey, |r| r.placement.colour);
    let colour_note = match colour {
        Colour::None if p.direction == Direction::None => match lang {
            Lang::Sv => {
                "Måttet har ingen tydlig riktning (till exempel en kostnad), så det får ingen färg."
            }
            Lang::En => {
                "The measure has no clear better direction (a cost, for example), so it gets no colour."
            }
        },
        Colour::None => match lang {
            Lang::Sv => "För få kommuner har värden för att färga.",
            Lang::En => "Too few municipalities have values to colour.",
        },
        _ => "",
    };
    let trend = own.map_or(Trend::NotComparable, |r| r.trend);
    let previous_year = c.year.get() - 1;
    let trend_text = match (own.and_then(|r| r.value), own.and_then(|r| r.previous)) {
        (Some(now), Some(before)) if trend != Trend::NotComparable => format!(
            "{} {} {previous_year} ({} → {})",
            lang.trend(trend),
            match (lang, trend) {
                (Lang::Sv, Trend::Better | Trend::Worse) => "än",
                (Lang::Sv, _) => "sedan",
                (Lang::En, Trend::Better | Trend::Worse) => "than",
                (Lang::En, _) => "since",
            },
            lang.with_unit(before, p.decimals, unit.as_deref()),
            lang.with_unit(now, p.decimals, unit.as_deref())
        ),
        _ => format!(
            "{}: {}",
            lang.trend(Trend::NotComparable),
            match lang {
                Lang::Sv => format!("värde saknas {previous_year} eller {}", c.year),
                Lang::En => format!("no value for {previous_year} or {}", c.year),
            }
        ),
    };
    // A rank needs a better direction; costs and volumes are not placed.
    let rank = own
        .and_then(|r| r.placement.rank)
        .filter(|_| p.direction != Direction::None)
        .map(|rank| {
            let shared = own.is_some_and(|r| r.placement.shared);
            format!(
                "{}{rank} {} {}",
                if shared {
                    t["shared"].to_owned() + " "
                } else {
                    String::new()
                },
                t["of"],
                s.n
            )
        });
    let range_label = if p.direction == Direction::None {
        t["range_none"]
    } else {
        t["range_dir"]
    };
    let (lo, hi) = if p.direction == Direction::None {
        (s.min, s.max)
    } else {
        (s.worst, s.best)
    };
    let strip = match (s.worst, s.best, s.q1, s.q3, s.mean) {
        (Some(w), Some(b), Some(q1), Some(q3), Some(m)) if s.n > 1 => charts::position_strip(
            p.direction,
            w,
            b,
            q1,
            q3,
            m,
            own.and_then(|r| r.value),
            &match lang {
                Lang::Sv => format!(
                    "Kommunens läge mellan sämsta (vänster) och bästa (höger) värde bland {population_name}"
                ),
                Lang::En => format!(
                    "The municipality's position between the worst (left) and best (right) value among {population_name}"
                ),
            },
        ),
        _ => String::new(),
    };
    json!({
        "year": c.year.get(),
        "value": own.and_then(|r| r.value).map(|x| lang.with_unit(x, p.decimals, unit.as_deref())),
        "missing": lang.missing(own.and_then(|r| r.status)),
        "mean": fmt(s.mean),
        "median": fmt(s.median),
        "range_label": range_label,
        "range": match (lo, hi) { (Some(a), Some(b)) => Some(format!("{} – {}", fmt(Some(a)).unwrap_or_default(), fmt(Some(b)).unwrap_or_default())), _ => None },
        "riket": fmt(c.riket),
        "n": s.n,
        "population": s.population,
        "colour": colour.code(),
        "colour_label": lang.colour(colour),
        "colour_icon": charts::badge_icon(colour),
        "colour_note": colour_note,
        "trend": trend.code(),
        "trend_label": lang.trend(trend),
        "trend_text": trend_text,
        "trend_icon": charts::trend_icon(trend),
        "rank": rank,
        "strip": strip,
    })
}

fn unit(lang: Lang, p: &Presentation) -> Option<String> {
    match lang {
        Lang::En => p.unit_en.clone().or_else(|| p.unit.clone()),
        Lang::Sv => p.unit.clone(),
    }
}

fn question(lang: Lang, sv: &str, en: Option<&str>) -> String {
    localized(lang, sv, en)
}

fn gender_choices(lang: Lang, p: &Params, divided: bool) -> Vec<Value> {
    let genders: &[Gender] = if divided {
        &Gender::ALL
    } else {
        &[Gender::Total]
    };
    genders
        .iter()
        .map(|g| json!({"code": g.code(), "label": lang.texts()[format!("g_{}", g.code()).as_str()], "selected": *g == p.gender}))
        .collect()
}

/// The populations a kommun's visitor can choose from.
fn population_choices(lang: Lang, d: &Directory, m: &MunicipalityId, p: &Params) -> Vec<Value> {
    let mut choices: Vec<(Population, String)> = vec![
        (
            Population::Set,
            match lang {
                Lang::Sv => "Kommunerna i måttsamlingen".into(),
                Lang::En => "The municipalities in the set".into(),
            },
        ),
        (
            Population::All,
            match lang {
                Lang::Sv => "Alla kommuner".into(),
                Lang::En => "All municipalities".into(),
            },
        ),
    ];
    if let Some(c) = d.areas.get(m).and_then(|k| k.county_code.clone()) {
        let name = d.population_name(&Population::County(c.clone()), None);
        choices.push((Population::County(c), name));
    }
    choices.push((
        Population::Neighbours(*m),
        match lang {
            Lang::Sv => "Grannkommunerna".into(),
            Lang::En => "Neighbouring municipalities".into(),
        },
    ));
    for g in d.groups_of(m) {
        choices.push((Population::Group(g.id), g.title.clone()));
    }
    choices
        .into_iter()
        .map(|(pop, label)| json!({"code": pop.code(), "label": label, "selected": pop == p.population}))
        .collect()
}

fn year_choices(years: impl Iterator<Item = Year>, selected: Option<Year>) -> Vec<Value> {
    let mut years: Vec<Year> = years.collect();
    years.sort();
    years.dedup();
    years
        .iter()
        .rev()
        .map(|y| json!({"year": y.get(), "selected": Some(*y) == selected}))
        .collect()
}

fn card_view(
    lang: Lang,
    d: &Directory,
    card: &Card,
    m: &MunicipalityId,
    params: &Params,
    population_name: &str,
) -> Value {
    let p = &card.presentation;
    let q = question(lang, &card.question, card.question_en.as_deref());
    let figures = card
        .comparison
        .as_ref()
        .map(|c| figures(lang, p, c, c.row(m), population_name));
    let spark = charts::sparkline(
        &card.points,
        &match lang {
            Lang::Sv => format!(
                "Utvecklingen för {} de senaste åren (heldragen linje) mot snittet (streckad)",
                d.name(m)
            ),
            Lang::En => format!(
                "Recent years for {} (solid line) against the average (dashed)",
                d.name(m)
            ),
        },
    );
    json!({
        "id": p.measure.as_str(),
        "question": q,
        "known": card.known,
        "figures": figures,
        "spark": spark,
        "link": format!("{}/kommun/{}/matt/{}{}", lang.base(), m, p.measure, params.query()),
    })
}

pub async fn municipality<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = match Params::parse(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return error_page(&state, lang, e),
    };
    let key = format!("/kommun/{id}{}", params.query());
    let st = state.clone();
    cached(&state, lang, key, false, |version, d| async move {
        let report = build_report(&st, version, &d, &id, &params).await?;
        let m = report.municipality.id;
        let population_name = report.population_name.clone();
        let areas: Vec<Value> = report
            .areas
            .iter()
            .map(|a| json!({
                "title": localized(lang, &a.title, a.title_en.as_deref()),
                "cards": a.cards.iter().map(|c| card_view(lang, &d, c, &m, &params, &population_name)).collect::<Vec<_>>(),
            }))
            .collect();
        // Published assessment results; publishing changes the data version, so the cache
        // keeps this list up to date.
        let assessments: Vec<Value> = kvalitet_app::assessments::published_rounds(&st.store, &m)
            .await?
            .iter()
            .map(|r| json!({"id": r.id, "title": r.title, "year": r.year.get(), "framework": format!("{} {}", r.framework_id, r.framework_version)}))
            .collect();
        let service: Vec<Value> = kvalitet_app::service::published_rounds_of(&st.store, &m)
            .await?
            .iter()
            .map(|r| json!({"id": r.id, "title": r.title, "year": r.year.get()}))
            .collect();
        let years = report.areas.iter().flat_map(|a| a.cards.iter()).flat_map(|c| c.points.iter().map(|p| p.year));
        let set = d.set(params.set.as_deref())?;
        let body = st.render(
            "municipality.html",
            lang,
            json!({
                "m": {"id": m.as_str(), "name": report.municipality.title},
                "set_title": localized(lang, &report.set_title, report.set_title_en.as_deref()),
                "set_description": localized(lang, &report.set_description, report.set_description_en.as_deref()),
                "sets": d.sets.iter().map(|s| json!({"id": s.id, "title": localized(lang, &s.title, s.title_en.as_deref()), "selected": s.id == set.id})).collect::<Vec<_>>(),
                "areas": areas,
                "assessments": assessments,
                "service": service,
                "population_name": population_name,
                "population_size": report.population_size,
                "colours": report.colours,
                "colours_before": report.colours_before,
                "years": year_choices(years, params.year),
                "genders": gender_choices(lang, &params, true),
                "populations": population_choices(lang, &d, &m, &params),
                "query": params.query(),
                "other_path": format!("{}/kommun/{}{}", lang.other().base(), m, params.query()),
                "print": params.pairs.iter().any(|(k, _)| k == "utskrift"),
            }),
        )?;
        Ok(body.into_bytes())
    })
    .await
}

async fn build_report<S: Store>(
    st: &AppState<S>,
    version: i64,
    d: &Directory,
    id: &str,
    params: &Params,
) -> Result<report::Report, WebError> {
    let m = d.kommun(id)?.id;
    let set = d.set(params.set.as_deref())?;
    let gender = params.gender;
    Ok(report::municipality_report(
        d,
        set,
        &m,
        gender,
        &params.population,
        params.year,
        |measure| st.series(version, measure, gender),
    )
    .await?)
}

/// The data of one measure for one municipality: comparison of the chosen year, series.
struct MeasureView {
    presentation: Presentation,
    comparison: Option<YearComparison>,
    points: Vec<SeriesPoint>,
    members: Vec<MunicipalityId>,
    population_name: String,
    updated_at: Option<String>,
    years: Vec<Year>,
}

async fn measure_view<S: Store>(
    st: &AppState<S>,
    version: i64,
    d: &Directory,
    m: &MunicipalityId,
    kpi: &str,
    params: &Params,
) -> Result<MeasureView, WebError> {
    let measure = d.measure(kpi)?;
    let presentation = d.presentation(measure);
    let set = d.set(params.set.as_deref()).ok();
    let members = d.population(&params.population, set)?;
    let series = st
        .series(version, measure.id, params.gender)
        .await
        .map_err(WebError::internal)?;
    let year = match params.year {
        Some(y) if series.years.contains(&y) => Some(y),
        Some(y) => {
            return Err(WebError {
                status: StatusCode::NOT_FOUND,
                message: format!("{} has no values for {y}", measure.id),
            });
        }
        None => series.latest_year(&members, None),
    };
    let comparison = year.map(|y| report::compare_year(d, &series, &presentation, &members, y));
    Ok(MeasureView {
        points: report::time_series(&series, &presentation, &members, m),
        population_name: d.population_name(&params.population, set),
        updated_at: series.updated_at.clone(),
        years: series.years.iter().copied().collect(),
        presentation,
        comparison,
        members,
    })
}

pub async fn measure<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    Path((id, kpi)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = match Params::parse(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return error_page(&state, lang, e),
    };
    let key = format!("/kommun/{id}/matt/{kpi}{}", params.query());
    let st = state.clone();
    cached(&state, lang, key, false, |version, d| async move {
        let m = d.kommun(&id)?.id;
        let v = measure_view(&st, version, &d, &m, &kpi, &params).await?;
        let measure = d.measure(&kpi)?;
        let p = &v.presentation;
        let name = d.name(&m);
        let unit_text = unit(lang, p);
        let fmt = |x: Option<f64>| x.map(|x| lang.with_unit(x, p.decimals, unit_text.as_deref()));
        let figures = v.comparison.as_ref().map(|c| figures(lang, p, c, c.row(&m), &v.population_name));
        let ranked: Vec<Value> = v
            .comparison
            .as_ref()
            .map(|c| {
                c.ranked()
                    .into_iter()
                    .map(|r| json!({
                        "id": r.municipality.as_str(),
                        "name": r.name,
                        "value": fmt(r.value),
                        "missing": lang.missing(r.status),
                        "rank": r.placement.rank.filter(|_| p.direction != Direction::None),
                        "shared": r.placement.shared,
                        "colour": r.placement.colour.code(),
                        "colour_label": lang.colour(r.placement.colour),
                        "colour_icon": charts::badge_icon(r.placement.colour),
                        "trend_label": lang.trend(r.trend),
                        "selected": r.municipality == m,
                    }))
                    .collect()
            })
            .unwrap_or_default();
        let texts = lang.texts();
        let chart = charts::time_chart(
            &v.points,
            &charts::TimeChartText {
                title: &format!("{}: {}", name, question(lang, &p.question, p.question_en.as_deref())),
                desc: &series_description(lang, &name, &v.points, p, unit_text.as_deref()),
                own: &name,
                mean: texts["mean"],
                range: texts["range_dir"],
                riket: texts["riket"],
            },
            &|x| lang.number(x, p.decimals),
        );
        let colour_of = |k: &MunicipalityId| {
            v.comparison
                .as_ref()
                .and_then(|c| c.row(k))
                .map_or(Colour::None, |r| r.placement.colour)
        };
        let map = charts::map(
            &d.shapes,
            &colour_of,
            Some(&m),
            &match lang {
                Lang::Sv => format!("Karta: färg per kommun, {}", v.comparison.as_ref().map_or(String::new(), |c| c.year.to_string())),
                Lang::En => format!("Map: colour per municipality, {}", v.comparison.as_ref().map_or(String::new(), |c| c.year.to_string())),
            },
            &match lang {
                Lang::Sv => format!("Kommuner i jämförelsen är färgade grönt, gult eller rött; {} är markerad med tjock kant. Samma uppgifter finns i tabellen över alla kommuner.", name),
                Lang::En => format!("Municipalities in the comparison are coloured green, yellow or red; {} is outlined. The same figures are in the table of all municipalities.", name),
            },
        );
        let points: Vec<Value> = v
            .points
            .iter()
            .rev()
            .map(|pt| json!({"year": pt.year.get(), "value": fmt(pt.value), "mean": fmt(pt.mean), "worst": fmt(pt.worst), "best": fmt(pt.best), "riket": fmt(pt.riket), "n": pt.n}))
            .collect();
        let source = source_label(lang, measure, &d);
        let year = v.comparison.as_ref().map(|c| c.year);
        let comments = kvalitet_app::own::comments(&st.store, &measure.id, &m).await?;
        let comment = comments
            .iter()
            .find(|c| Some(c.year) == year.map(Year::get))
            .map(|c| json!({"year": c.year, "body": c.body, "date": c.updated_at.get(..10).unwrap_or(&c.updated_at)}));
        let history = match year {
            Some(y) => report::value_history(
                &st.store,
                &kvalitet_domain::ValueKey {
                    measure: measure.id,
                    area: kvalitet_domain::AreaId::Municipality(m),
                    year: y,
                    gender: params.gender,
                },
            )
            .await?,
            None => Vec::new(),
        };
        let history: Vec<Value> = history
            .iter()
            .map(|h| json!({
                "value": match h.datum {
                    kvalitet_domain::Datum::Number(x) => lang.with_unit(x, p.decimals, unit_text.as_deref()),
                    kvalitet_domain::Datum::Missing(s) => lang.missing(Some(s)).to_owned(),
                    kvalitet_domain::Datum::Deleted => "–".to_owned(),
                },
                "from": h.imported_at.get(..10).unwrap_or(&h.imported_at),
                "until": h.replaced_at.as_deref().map(|r| r.get(..10).unwrap_or(r)),
                "source": public_source(lang, &h.format),
            }))
            .collect();
        let answer = v.comparison.as_ref().and_then(|c| c.row(&m)).map(|r| {
            answer_sentence(lang, &name, r, c_year(&v.comparison), p, unit_text.as_deref())
        });
        let query = params.query();
        let page = format!("{}/kommun/{}/matt/{}", lang.base(), m, p.measure);
        let body = st.render(
            "measure.html",
            lang,
            json!({
                "m": {"id": m.as_str(), "name": name},
                "question": question(lang, &p.question, p.question_en.as_deref()),
                "answer": answer,
                "figures": figures,
                "ranked": ranked,
                "points": points,
                "chart": chart,
                "map": map,
                "has_riket": v.points.iter().any(|pt| pt.riket.is_some()),
                "comment": comment,
                "history": if history.len() > 1 { history } else { Vec::new() },
                "kpi": {"id": p.measure.as_str(), "title": p.title, "description": measure.description, "unit": unit_text, "source": source,
                        "own_reporting": measure.source_kind == SourceKind::OwnReporting, "survey": measure.source_kind == SourceKind::Survey},
                "updated": v.updated_at.as_deref().map(|u| u.get(..10).unwrap_or(u).to_owned()),
                "population_name": v.population_name,
                "population_size": v.members.len(),
                "years": year_choices(v.years.iter().copied(), params.year),
                "genders": gender_choices(lang, &params, p.divided_by_gender),
                "populations": population_choices(lang, &d, &m, &params),
                "query": query,
                "page": page,
                "embed_url": format!("{}/inbaddning/kommun/{}/matt/{}{}", lang.base(), m, p.measure, query),
                "oembed": encode(&format!("{}{page}{query}", st.public_url)),
                "other_path": format!("{}/kommun/{}/matt/{}{}", lang.other().base(), m, p.measure, query),
                "print": params.pairs.iter().any(|(k, _)| k == "utskrift"),
            }),
        )?;
        Ok(body.into_bytes())
    })
    .await
}

fn c_year(c: &Option<YearComparison>) -> i16 {
    c.as_ref().map_or(0, |c| c.year.get())
}

/// "I Ale var värdet 85,3 procent år 2022." Digits for the number, the unit in words.
fn answer_sentence(
    lang: Lang,
    name: &str,
    r: &ComparedRow,
    year: i16,
    p: &Presentation,
    unit: Option<&str>,
) -> String {
    match (lang, r.value) {
        (Lang::Sv, Some(x)) => format!(
            "I {name} var värdet {} {} år {year}.",
            lang.number(x, p.decimals),
            unit.unwrap_or("")
        )
        .replace("  ", " "),
        (Lang::En, Some(x)) => format!(
            "In {name} the value was {} {} in {year}.",
            lang.number(x, p.decimals),
            unit.unwrap_or("")
        )
        .replace("  ", " "),
        (Lang::Sv, None) => format!(
            "För {name} finns inget värde år {year}: {}.",
            lang.missing(r.status).trim_start_matches(['.', '-', ' '])
        ),
        (Lang::En, None) => format!(
            "There is no value for {name} in {year}: {}.",
            lang.missing(r.status).trim_start_matches(['.', '-', ' '])
        ),
    }
}

/// The long description of the time chart: first and last values against the snitt.
fn series_description(
    lang: Lang,
    name: &str,
    points: &[SeriesPoint],
    p: &Presentation,
    unit: Option<&str>,
) -> String {
    let with_value: Vec<&SeriesPoint> = points.iter().filter(|pt| pt.value.is_some()).collect();
    let (Some(first), Some(last)) = (with_value.first(), with_value.last()) else {
        return match lang {
            Lang::Sv => format!("{name} har inga värden för måttet."),
            Lang::En => format!("{name} has no values for the measure."),
        };
    };
    let f =
        |x: Option<f64>| x.map_or_else(|| "–".to_owned(), |x| lang.with_unit(x, p.decimals, unit));
    match lang {
        Lang::Sv => format!(
            "Linjediagram. {name}: {} år {} och {} år {}. Snittet år {} var {}.",
            f(first.value),
            first.year,
            f(last.value),
            last.year,
            last.year,
            f(last.mean)
        ),
        Lang::En => format!(
            "Line chart. {name}: {} in {} and {} in {}. The average in {} was {}.",
            f(first.value),
            first.year,
            f(last.value),
            last.year,
            last.year,
            f(last.mean)
        ),
    }
}

pub async fn embed<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    Path((id, kpi)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = match Params::parse(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return error_page(&state, lang, e),
    };
    let key = format!("/inbaddning/kommun/{id}/matt/{kpi}{}", params.query());
    let st = state.clone();
    cached(&state, lang, key, true, |version, d| async move {
        let m = d.kommun(&id)?.id;
        let v = measure_view(&st, version, &d, &m, &kpi, &params).await?;
        let p = &v.presentation;
        let figures = v.comparison.as_ref().map(|c| figures(lang, p, c, c.row(&m), &v.population_name));
        let body = st.render(
            "embed.html",
            lang,
            json!({
                "m": {"id": m.as_str(), "name": d.name(&m)},
                "question": question(lang, &p.question, p.question_en.as_deref()),
                "figures": figures,
                "population_name": v.population_name,
                "source": d.measures.get(&p.measure).map(|x| source_label(lang, x, &d)),
                "page": format!("{}/kommun/{}/matt/{}{}", lang.base(), m, p.measure, params.query()),
            }),
        )?;
        Ok(body.into_bytes())
    })
    .await
}

/// Up to five kommuner side by side for one measure, year by year.
pub async fn compare<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = match Params::parse(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return error_page(&state, lang, e),
    };
    let key = format!("/jamfor?{}", raw.unwrap_or_default());
    let st = state.clone();
    cached(&state, lang, key, false, |version, d| async move {
        let table = compare_table(&st, version, &d, &params, lang).await?;
        let measures: Vec<Value> = d
            .set(params.set.as_deref())
            .map(|s| {
                s.measures()
                    .filter(|(_, i)| d.measures.contains_key(&i.measure))
                    .map(|(_, i)| json!({"id": i.measure.as_str(), "label": question(lang, &i.question, i.question_en.as_deref()), "selected": table.as_ref().is_some_and(|t| t.measure == i.measure)}))
                    .collect()
            })
            .unwrap_or_default();
        let chosen: Vec<String> = table.as_ref().map(|t| t.kommuner.iter().map(|m| m.to_string()).collect()).unwrap_or_default();
        let slots: Vec<Value> = (0..MAX_COMPARED)
            .map(|i| {
                let selected = chosen.get(i).cloned().unwrap_or_default();
                json!({
                    "n": i + 1,
                    "options": d.kommuner.iter().map(|k| json!({"id": k.id.as_str(), "name": k.title, "selected": k.id.as_str() == selected})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let body = st.render(
            "compare.html",
            lang,
            json!({
                "measures": measures,
                "slots": slots,
                "table": table.as_ref().map(|t| &t.view),
                "source": table.as_ref().and_then(|t| d.measures.get(&t.measure)).map(|x| source_label(lang, x, &d)),
                "query": raw_query_of(&params),
                "other_path": format!("{}/jamfor{}", lang.other().base(), raw_query_of(&params)),
            }),
        )?;
        Ok(body.into_bytes())
    })
    .await
}

fn raw_query_of(params: &Params) -> String {
    if params.pairs.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = params
        .pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("?{}", parts.join("&"))
}

pub(crate) struct CompareTable {
    pub measure: MeasureId,
    pub kommuner: Vec<MunicipalityId>,
    pub view: Value,
    pub table: Table,
}

/// The compare page's table: years down, chosen kommuner across, with the snitt of all.
pub(crate) async fn compare_table<S: Store>(
    st: &AppState<S>,
    version: i64,
    d: &Directory,
    params: &Params,
    lang: Lang,
) -> Result<Option<CompareTable>, WebError> {
    let Some(kpi) = params
        .pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "matt")
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    let measure = d.measure(&kpi)?;
    let mut kommuner: Vec<MunicipalityId> = Vec::new();
    for (_, v) in params
        .pairs
        .iter()
        .filter(|(k, v)| k == "kommun" && !v.is_empty())
    {
        let m = d.kommun(v)?.id;
        if !kommuner.contains(&m) {
            kommuner.push(m);
        }
    }
    if kommuner.len() > MAX_COMPARED {
        return Err(WebError::bad_request(format!(
            "at most {MAX_COMPARED} municipalities can be compared; {} were chosen",
            kommuner.len()
        )));
    }
    if kommuner.is_empty() {
        return Err(WebError::bad_request(
            "choose at least one municipality (kommun=0180)",
        ));
    }
    let p = d.presentation(measure);
    let unit_text = unit(lang, &p);
    let series = st
        .series(version, measure.id, params.gender)
        .await
        .map_err(WebError::internal)?;
    let all = d.population(&Population::All, None)?;
    let points = report::time_series(&series, &p, &all, &kommuner[0]);
    let fmt = |x: Option<f64>| x.map(|x| lang.with_unit(x, p.decimals, unit_text.as_deref()));
    let names: Vec<String> = kommuner.iter().map(|m| d.name(m)).collect();
    let mut rows = Vec::new();
    let mut table_rows = Vec::new();
    for pt in points.iter().rev() {
        let values: Vec<Option<f64>> = kommuner.iter().map(|m| series.number(m, pt.year)).collect();
        rows.push(json!({
            "year": pt.year.get(),
            "values": values.iter().zip(&kommuner).map(|(v, m)| json!({"text": fmt(*v), "missing": lang.missing(match series.datum(m, pt.year) { Some(kvalitet_domain::Datum::Missing(s)) => Some(s), _ => None })})).collect::<Vec<_>>(),
            "mean": fmt(pt.mean),
        }));
        let mut cells = vec![pt.year.to_string()];
        cells.extend(values.iter().map(|v| downloads::machine_number(*v)));
        cells.push(downloads::machine_number(pt.mean));
        table_rows.push(cells);
    }
    let mut header = vec!["year".to_owned()];
    header.extend(kommuner.iter().map(|m| format!("{} {}", m, d.name(m))));
    header.push("mean_all_kommuner".into());
    let chart_points: Vec<Vec<SeriesPoint>> = kommuner
        .iter()
        .map(|m| report::time_series(&series, &p, &all, m))
        .collect();
    let chart = charts::multi_line(
        &chart_points,
        &names,
        &question(lang, &p.question, p.question_en.as_deref()),
        &|x| lang.number(x, p.decimals),
    );
    Ok(Some(CompareTable {
        measure: measure.id,
        kommuner: kommuner.clone(),
        view: json!({
            "question": question(lang, &p.question, p.question_en.as_deref()),
            "unit": unit_text,
            "names": names,
            "rows": rows,
            "chart": chart,
            "kpi": measure.id.as_str(),
        }),
        table: Table {
            title: format!("{} ({})", p.title, measure.id),
            numeric: vec![true; header.len()],
            header,
            rows: table_rows,
        },
    }))
}

/// oEmbed (https://oembed.com/) for measure pages: `/oembed?url=<measure page URL>` gives the
/// widget's iframe code, so sites that support oEmbed embed a measure from its address alone.
pub async fn oembed<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let answer = async {
        let pairs = query_pairs(raw.as_deref());
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        if get("format").is_some_and(|f| f != "json") {
            return Err(WebError {
                status: StatusCode::NOT_IMPLEMENTED,
                message: "only format=json is offered".into(),
            });
        }
        let url = get("url").ok_or_else(|| WebError::bad_request("url is required"))?;
        // Only this site's own pages get a widget, and the widget's code is made from the
        // configured public address alone, never from the caller's text.
        let foreign = || WebError {
            status: StatusCode::NOT_FOUND,
            message: "url is not a page of this site".into(),
        };
        let own = url::Url::parse(&state.public_url).map_err(|_| foreign())?;
        let asked = url::Url::parse(&url).map_err(|_| foreign())?;
        if asked.origin() != own.origin() || !matches!(asked.scheme(), "http" | "https") {
            return Err(foreign());
        }
        let path = asked
            .path()
            .strip_prefix(own.path().trim_end_matches('/'))
            .ok_or_else(foreign)?;
        let (lang, path) = match path.strip_prefix("/en/") {
            Some(rest) => (Lang::En, rest),
            None => (Lang::Sv, path.trim_start_matches('/')),
        };
        let query = asked.query().unwrap_or_default();
        let parts: Vec<&str> = path.split('/').collect();
        let ["kommun", id, "matt", kpi] = parts[..] else {
            return Err(WebError::bad_request("url is not a measure page (…/kommun/ID/matt/KPI)"));
        };
        let origin = state.public_url.as_str();
        let (_, d) = state.directory().await?;
        let m = d.kommun(id)?;
        let measure = d.measure(kpi)?;
        let p = d.presentation(measure);
        let title = format!("{} – {}", question(lang, &p.question, p.question_en.as_deref()), m.title);
        let (width, height) = (400, 360);
        let query = if query.is_empty() { String::new() } else { format!("?{query}") };
        let src = format!("{origin}{}/inbaddning/kommun/{}/matt/{}{query}", lang.base(), m.id, measure.id);
        let html = format!(
            r#"<iframe src="{}" title="{}" width="{width}" height="{height}" loading="lazy"></iframe><script src="{}/static/embed-host.js" async></script>"#,
            charts::esc(&src),
            charts::esc(&title),
            charts::esc(origin)
        );
        Ok(json!({
            "version": "1.0",
            "type": "rich",
            "provider_name": "kvalitet",
            "title": title,
            "html": html,
            "width": width,
            "height": height,
        }))
    }
    .await;
    match answer {
        Ok(v) => (
            [
                (header::CONTENT_TYPE, "application/json; charset=utf-8"),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            ],
            v.to_string(),
        )
            .into_response(),
        Err(e) => (
            e.status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            json!({ "error": e.message }).to_string(),
        )
            .into_response(),
    }
}

pub async fn about<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
) -> Response {
    let st = state.clone();
    cached(&state, lang, "/om".into(), false, |_, _| async move {
        Ok(st
            .render(
                "about.html",
                lang,
                json!({"other_path": format!("{}/om", lang.other().base())}),
            )?
            .into_bytes())
    })
    .await
}

/// The loaded assessment frameworks, for anyone to see how results are scored.
pub async fn frameworks<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
) -> Response {
    let st = state.clone();
    cached(&state, lang, "/ramverk".into(), false, |_, _| async move {
        use kvalitet_domain::assessment::{Aggregation, Framework};
        let describe = |a: Aggregation| match (lang, a) {
            (Lang::Sv, Aggregation::Sum) => "summa".to_owned(),
            (Lang::Sv, Aggregation::PercentOfMax) => "andel av maxpoäng (%)".to_owned(),
            (Lang::Sv, Aggregation::MeanOfIndices) => "medelvärde av index (0–100)".to_owned(),
            (Lang::Sv, Aggregation::ScaledTo(n)) => format!("poäng omräknade till {n}"),
            (Lang::En, Aggregation::Sum) => "sum".to_owned(),
            (Lang::En, Aggregation::PercentOfMax) => "share of the maximum (%)".to_owned(),
            (Lang::En, Aggregation::MeanOfIndices) => "mean of indices (0–100)".to_owned(),
            (Lang::En, Aggregation::ScaledTo(n)) => format!("points scaled to {n}"),
        };
        let mut list = Vec::new();
        for f in kvalitet_app::assessments::loaded_frameworks(&st.store).await? {
            list.push(json!({
                "name": f.name,
                "version": f.version,
                "valid_from": f.valid_from,
                "total": describe(f.total),
                "areas": f.areas.iter().map(|a| json!({
                    "title": a.title,
                    "questions": a.questions.len(),
                    "max": a.stated_max.unwrap_or_else(|| Framework::area_max(a)),
                    "aggregation": describe(a.aggregation),
                })).collect::<Vec<_>>(),
            }));
        }
        Ok(st
            .render("frameworks.html", lang, json!({"frameworks": list, "other_path": format!("{}/ramverk", lang.other().base())}))?
            .into_bytes())
    })
    .await
}

pub async fn accessibility<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
) -> Response {
    let st = state.clone();
    cached(
        &state,
        lang,
        "/tillganglighet".into(),
        false,
        |_, _| async move {
            Ok(st
                .render(
                    "accessibility.html",
                    lang,
                    json!({"other_path": format!("{}/tillganglighet", lang.other().base())}),
                )?
                .into_bytes())
        },
    )
    .await
}

pub async fn not_found<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
) -> Response {
    error_page(
        &state,
        lang,
        WebError {
            status: StatusCode::NOT_FOUND,
            message: "Sidan finns inte. / The page does not exist.".into(),
        },
    )
}

// ---------------------------------------------------------------------------------------
// Downloads of what the pages show

/// `data.csv`, `data-excel.csv` or `data.xlsx`.
fn parse_kind(file: &str) -> Result<downloads::Kind, WebError> {
    match file {
        "data.csv" => Ok(downloads::Kind::Csv),
        "data-excel.csv" => Ok(downloads::Kind::ExcelCsv),
        "data.xlsx" => Ok(downloads::Kind::Xlsx),
        other => Err(WebError {
            status: StatusCode::NOT_FOUND,
            message: format!("no download {other}; use data.csv, data-excel.csv or data.xlsx"),
        }),
    }
}

pub async fn municipality_download<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    Path((id, file)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let result = async {
        let kind = parse_kind(&file)?;
        let params = Params::parse(raw.as_deref())?;
        let (version, d) = state.directory().await?;
        let report = build_report(&state, version, &d, &id, &params).await?;
        let m = report.municipality.id;
        let mut rows = Vec::new();
        for area in &report.areas {
            for card in &area.cards {
                let p = &card.presentation;
                let c = card.comparison.as_ref();
                let own = c.and_then(|c| c.row(&m));
                let s = c.map(|c| c.summary);
                rows.push(vec![
                    area.title.clone(),
                    p.measure.to_string(),
                    card.question.clone(),
                    c.map_or(String::new(), |c| c.year.to_string()),
                    downloads::machine_number(own.and_then(|r| r.value)),
                    own.and_then(|r| r.status)
                        .map_or(String::new(), |s| s.code().to_owned()),
                    own.map_or(String::new(), |r| r.placement.colour.code().to_owned()),
                    own.map_or(String::new(), |r| r.trend.code().to_owned()),
                    own.and_then(|r| r.placement.rank)
                        .map_or(String::new(), |r| r.to_string()),
                    s.map_or(String::new(), |s| s.n.to_string()),
                    downloads::machine_number(s.and_then(|s| s.mean)),
                    downloads::machine_number(s.and_then(|s| s.worst)),
                    downloads::machine_number(s.and_then(|s| s.best)),
                    downloads::machine_number(c.and_then(|c| c.riket)),
                ]);
            }
        }
        let table = Table {
            title: format!("{} – {}", report.municipality.title, report.set_title),
            header: [
                "area", "kpi", "question", "year", "value", "status", "colour", "trend", "rank",
                "n", "mean", "worst", "best", "riket",
            ]
            .map(str::to_owned)
            .to_vec(),
            rows,
            numeric: [
                false, false, false, true, true, false, false, false, true, true, true, true, true,
                true,
            ]
            .to_vec(),
        };
        Ok::<_, WebError>(downloads::respond(
            kind,
            &table,
            &format!("kvalitet-{m}-{}", report.set_id),
            &about_sheet(&report.population_name, report.gender),
        ))
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, lang, e))
}

pub async fn measure_download<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    Path((id, kpi, file)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let result = async {
        let kind = parse_kind(&file)?;
        let params = Params::parse(raw.as_deref())?;
        let (version, d) = state.directory().await?;
        let m = d.kommun(&id)?.id;
        let v = measure_view(&state, version, &d, &m, &kpi, &params).await?;
        let rows = v
            .comparison
            .as_ref()
            .map(|c| {
                c.ranked()
                    .into_iter()
                    .map(|r| {
                        vec![
                            r.municipality.to_string(),
                            r.name.clone(),
                            c.year.to_string(),
                            downloads::machine_number(r.value),
                            r.status.map_or(String::new(), |s| s.code().to_owned()),
                            r.placement.rank.map_or(String::new(), |x| x.to_string()),
                            r.placement.colour.code().to_owned(),
                            r.trend.code().to_owned(),
                            downloads::machine_number(r.previous),
                        ]
                    })
                    .collect()
            })
            .unwrap_or_default();
        let table = Table {
            title: format!("{} ({})", v.presentation.title, v.presentation.measure),
            header: [
                "municipality_id",
                "municipality",
                "year",
                "value",
                "status",
                "rank",
                "colour",
                "trend",
                "previous_year_value",
            ]
            .map(str::to_owned)
            .to_vec(),
            rows,
            numeric: [false, false, true, true, false, true, false, false, true].to_vec(),
        };
        Ok::<_, WebError>(downloads::respond(
            kind,
            &table,
            &format!("kvalitet-{}-{m}", v.presentation.measure),
            &about_sheet(&v.population_name, params.gender),
        ))
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, lang, e))
}

pub async fn compare_download<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let result = async {
        let kind = parse_kind(&file)?;
        let params = Params::parse(raw.as_deref())?;
        let (version, d) = state.directory().await?;
        let table = compare_table(&state, version, &d, &params, lang)
            .await?
            .ok_or_else(|| WebError::bad_request("choose a measure (matt=N15428)"))?;
        Ok::<_, WebError>(downloads::respond(
            kind,
            &table.table,
            &format!("kvalitet-jamfor-{}", table.measure),
            &about_sheet("alla kommuner", params.gender),
        ))
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, lang, e))
}

fn about_sheet(population: &str, gender: Gender) -> Vec<(String, String)> {
    vec![
        ("Källa".into(), "Kolada (www.kolada.se) och kommunernas egna mätningar".into()),
        ("Bearbetning".into(), "kvalitet: snitt (ovägt medelvärde), placering och färg".into()),
        ("Jämförelse".into(), population.to_owned()),
        ("Kön".into(), gender.code().to_owned()),
        ("Färg".into(), "green = bland de 25 % bästa, yellow = 50 % i mitten, red = 25 % sämsta, grey = uppgift saknas, none = ingen färg".into()),
        ("Status".into(), "secret = .. (sekretess), not_applicable = . (ej tillämpligt), not_reported = - (bortfall), not_published = ännu inte publicerat".into()),
        ("Trend".into(), "better, worse, unchanged, changed (måttet saknar riktning), not_comparable".into()),
    ]
}

/// Where a value came from, in words fit for a public page: from the kind of import only,
/// never its recorded source (a server's path, a URL, a person's address).
fn public_source(lang: Lang, format: &str) -> &'static str {
    match (format, lang) {
        ("publish", Lang::Sv) => "Publicerat i kvalitet",
        ("publish", Lang::En) => "Published in kvalitet",
        ("kolada-json", _) => "Kolada",
        (_, Lang::Sv) => "Inläst fil",
        (_, Lang::En) => "Imported file",
    }
}

/// Where a measure's figures come from, as residents are told under every chart and table:
/// Kolada (with the producer its definition names), the municipality's own measurement, or
/// results published in kvalitet.
fn source_label(lang: Lang, measure: &kvalitet_domain::Measure, d: &Directory) -> String {
    use kvalitet_domain::MeasureOrigin;
    match (measure.origin, lang) {
        (MeasureOrigin::Kolada, _) => {
            let producer = measure
                .description
                .rsplit_once("Källa:")
                .map(|(_, s)| s.trim().trim_end_matches('.').to_owned());
            match producer {
                Some(p) if !p.is_empty() => format!("Kolada ({p})"),
                _ => "Kolada".to_owned(),
            }
        }
        (MeasureOrigin::Own(owner), Lang::Sv) => format!("{}, egen mätning", d.name(&owner)),
        (MeasureOrigin::Own(owner), Lang::En) => format!("{}, own measurement", d.name(&owner)),
        (MeasureOrigin::Assessment, Lang::Sv) => {
            "Bedömningar publicerade i kvalitet (kommunernas egna och externa bedömare)".to_owned()
        }
        (MeasureOrigin::Assessment, Lang::En) => {
            "Assessments published in kvalitet (the municipalities' own and external assessors)"
                .to_owned()
        }
        (MeasureOrigin::Service, Lang::Sv) => {
            "Servicemätning publicerad i kvalitet (testfrågor och enkäter)".to_owned()
        }
        (MeasureOrigin::Service, Lang::En) => {
            "Service measurement published in kvalitet (test questions and surveys)".to_owned()
        }
    }
}
