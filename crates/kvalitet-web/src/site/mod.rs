//! The citizen site: start page with the municipality finder, a page per municipality (its
//! measure set as cards), a page per measure and municipality (time series, everyone
//! ranked, map, definition), comparing up to five municipalities, an embeddable widget, and
//! downloads of what each page shows. Swedish at `/`, English at `/en/`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use kvalitet_app::Store;
use kvalitet_app::ports::Versions;
use kvalitet_app::report::{
    self, Card, ComparedRow, Directory, Population, Presentation, Series, SeriesPoint,
    YearComparison,
};
use kvalitet_domain::{
    Colour, Direction, Gender, MeasureId, Message, MunicipalityId, SourceKind, Trend, Year,
};

use crate::cache;
use crate::charts;
use crate::downloads::{self, Table};
use crate::extract::PageLang;
use crate::i18n::Lang;
use crate::{AppState, WebError, query_pairs};

mod compare;
mod files;
mod goals;
mod info;
mod measure;
mod municipality;
mod report_pdf;
mod screening;
mod start;

pub use compare::*;
pub use files::*;
pub use goals::*;
pub use info::*;
pub use measure::*;
pub use municipality::*;
pub use report_pdf::*;
pub use screening::*;
pub use start::*;

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
                Year::parse(&y).map_err(|e| WebError::coded(StatusCode::BAD_REQUEST, e.message()))
            })
            .transpose()?;
        let gender = get("kon")
            .map(|g| {
                Gender::parse(&g).map_err(|e| WebError::coded(StatusCode::BAD_REQUEST, e.message()))
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

    /// Whether the page is asked for in its print layout (`utskrift`).
    pub fn print(&self) -> bool {
        self.pairs.iter().any(|(k, _)| k == "utskrift")
    }

    /// Whether a time chart should also draw lowest–highest (`spann`), not only the middle
    /// half.
    pub fn whole_range(&self) -> bool {
        self.pairs.iter().any(|(k, _)| k == "spann")
    }

    /// The query and the layout, as the page cache keys a page: the print layout and the
    /// chart with the whole range are other pages.
    pub fn cache_key(&self) -> String {
        format!(
            "{}{}{}",
            self.query(),
            if self.print() { "#utskrift" } else { "" },
            if self.whole_range() { "#spann" } else { "" }
        )
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
    /// The directory of the current values version (loaded once per version, by one
    /// request), with the versions it was looked up at.
    pub(crate) async fn directory(&self) -> Result<(Versions, Arc<Directory>), WebError> {
        let versions = self.versions().await.map_err(WebError::internal)?;
        let directory = self
            .directory
            .get_or_make(versions.values, "", cache::Stale::Refused, || async {
                Ok::<_, WebError>(Arc::new(
                    Directory::load(&self.store)
                        .await
                        .map_err(WebError::internal)?,
                ))
            })
            .await?;
        Ok((versions, directory))
    }

    /// A measure's values for one gender, cached per values version: a change of text
    /// moves only the data version, and the values are not loaded again.
    pub(crate) async fn series(
        &self,
        versions: Versions,
        measure: MeasureId,
        gender: Gender,
    ) -> Result<Arc<Series>, kvalitet_app::StoreError> {
        let key = format!("{measure}/{}", gender.code());
        self.series_cache
            .get_or_make(versions.values, &key, cache::Stale::Refused, || async {
                Ok(Arc::new(Series::load(&self.store, &measure, gender).await?))
            })
            .await
    }

    /// Renders a template with its typed view and what every page has: language, base path,
    /// the other language's address, the site's origin. Templates fail on an undefined name
    /// (strict mode), so a misspelt field fails the page's test, not a resident's page.
    pub(crate) fn render(
        &self,
        name: &str,
        lang: Lang,
        view: impl serde::Serialize,
    ) -> Result<String, WebError> {
        let mut ctx = serde_json::to_value(view).map_err(WebError::internal)?;
        if let Value::Object(map) = &mut ctx {
            map.insert("lang".into(), json!(lang.code()));
            map.insert("base".into(), json!(lang.base()));
            map.entry("other_path")
                .or_insert(json!(lang.other().base().to_owned() + "/"));
            map.entry("print").or_insert(json!(false));
            map.entry("oembed").or_insert(json!(false));
            map.entry("staff").or_insert(json!(false));
            map.entry("origin").or_insert(json!(self.public_url));
        }
        // The texts are made into a template value once per language, not per page.
        let texts = crate::i18n::template_texts(lang);
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
    // Scripts only from the site's own files: the widget's (to report its height to the
    // host page) and the staff pages' (the warning before leaving unsaved changes).
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; {frame}"
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

/// Serves a page from the cache of the current data version, or makes and keeps it: once
/// per version however many ask (see [`cache::ResponseCache::get_or_make`]).
async fn cached<S, F, Fut>(
    state: &AppState<S>,
    lang: Lang,
    key: String,
    embeddable: bool,
    make: F,
) -> Result<Response, WebError>
where
    S: Store,
    F: FnOnce(Versions, Arc<Directory>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<u8>, WebError>>,
{
    // The page may be made from a directory a version newer than its key, which is
    // harmless: the next version's page is made again anyway.
    let version = state.data_version().await.map_err(WebError::internal)?;
    let key = format!("{}{key}", lang.code());
    let page = state
        .pages
        .get_or_make(version, &key, cache::Stale::Served, || async {
            let (versions, directory) = state.directory().await?;
            Ok::<_, WebError>(cache::Page::compressed(make(versions, directory).await?))
        })
        .await?;
    Ok(page_response(page, embeddable))
}

/// A kept page as an answer, gzipped for clients that accept it.
pub(crate) fn page_response(page: cache::Page, embeddable: bool) -> Response {
    page.into_response(|body| html_response(body, embeddable))
}

// ---------------------------------------------------------------------------------------
// Pages

pub(crate) fn localized(lang: Lang, sv: &str, en: Option<&str>) -> String {
    match (lang, en) {
        (Lang::En, Some(en)) => en.to_owned(),
        _ => sv.to_owned(),
    }
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

/// One option of a page's choice (gender, population) as the form shows it.
#[derive(Serialize)]
struct Choice {
    code: String,
    label: String,
    selected: bool,
}

/// A municipality as a page names and links it (citizen and staff pages alike).
#[derive(Serialize)]
pub(crate) struct Named {
    id: String,
    name: String,
}

impl Named {
    pub(crate) fn of(d: &Directory, m: &MunicipalityId) -> Self {
        Self {
            id: m.to_string(),
            name: d.name(m),
        }
    }
}

/// One year to choose, the chosen one marked.
#[derive(Serialize)]
struct YearChoice {
    year: i16,
    selected: bool,
}

/// A page that has nothing of its own to show but its address in the other language.
#[derive(Serialize)]
struct OtherPath {
    other_path: String,
}

impl OtherPath {
    fn new(lang: Lang, path: &str) -> Self {
        Self {
            other_path: format!("{}{path}", lang.other().base()),
        }
    }
}

fn gender_choices(lang: Lang, p: &Params, divided: bool) -> Vec<Choice> {
    let genders: &[Gender] = if divided {
        &Gender::ALL
    } else {
        &[Gender::Total]
    };
    genders
        .iter()
        .map(|g| Choice {
            code: g.code().to_owned(),
            label: lang.t(&format!("g_{}", g.code())).to_owned(),
            selected: *g == p.gender,
        })
        .collect()
}

/// The populations a kommun's visitor can choose from.
fn population_choices(lang: Lang, d: &Directory, m: &MunicipalityId, p: &Params) -> Vec<Choice> {
    // A set that names no participants compares among all municipalities: one choice,
    // named as the figures name it.
    let participants = d
        .set(p.set.as_deref())
        .is_ok_and(|s| !s.participants.is_empty());
    let mut choices: Vec<(Population, String)> = if participants {
        vec![
            (Population::Set, lang.t("population_set").to_owned()),
            (Population::All, lang.t("population_all").to_owned()),
        ]
    } else {
        vec![(Population::Set, lang.t("population_all").to_owned())]
    };
    if let Some(c) = d.areas.get(m).and_then(|k| k.county_code.clone()) {
        let name = d.population_name(&Population::County(c.clone()), None);
        choices.push((Population::County(c), name));
    }
    choices.push((
        Population::Neighbours(*m),
        lang.t("population_neighbours").to_owned(),
    ));
    for g in d.groups_of(m) {
        choices.push((Population::Group(g.id), g.title.clone()));
    }
    choices
        .into_iter()
        .map(|(pop, label)| Choice {
            selected: pop == p.population
                || (!participants && pop == Population::Set && p.population == Population::All),
            code: pop.code(),
            label,
        })
        .collect()
}

fn year_choices(years: impl Iterator<Item = Year>, selected: Option<Year>) -> Vec<YearChoice> {
    let mut years: Vec<Year> = years.collect();
    years.sort();
    years.dedup();
    years
        .iter()
        .rev()
        .map(|y| YearChoice {
            year: y.get(),
            selected: Some(*y) == selected,
        })
        .collect()
}

async fn build_report<S: Store>(
    st: &AppState<S>,
    version: Versions,
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

/// Where a value came from, in words fit for a public page: from the kind of import only,
/// never its recorded source (a server's path, a URL, a person's address).
fn public_source(lang: Lang, format: &str) -> &'static str {
    match format {
        "publish" => lang.t("source_published"),
        "kolada-json" => "Kolada",
        _ => lang.t("source_imported_file"),
    }
}

/// Where a measure's figures come from, as residents are told under every chart and table:
/// Kolada (with the producer its definition names), the municipality's own measurement, or
/// results published in kvalitet.
fn source_label(lang: Lang, measure: &kvalitet_domain::Measure, d: &Directory) -> String {
    use kvalitet_domain::MeasureOrigin;
    match measure.origin {
        MeasureOrigin::Kolada => {
            let producer = measure
                .description
                .rsplit_once("Källa:")
                .map(|(_, s)| s.trim().trim_end_matches('.').to_owned());
            match producer {
                Some(p) if !p.is_empty() => format!("Kolada ({p})"),
                _ => "Kolada".to_owned(),
            }
        }
        MeasureOrigin::Own(owner) => {
            lang.say(&Message::new("source_own").with("municipality", d.name(&owner)))
        }
        MeasureOrigin::Assessment => lang.t("source_assessments").to_owned(),
        MeasureOrigin::Service => lang.t("source_service").to_owned(),
        MeasureOrigin::Dialogue => lang.t("source_dialogue").to_owned(),
    }
}
