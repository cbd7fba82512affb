//! Sveriges Kvalitetskommun, step 1, in public: every kommun's screening on the published
//! key figures (level and improvement, weights shown), each kommun's breakdown, and the
//! ranking and the set file as downloads, so that anyone can reproduce it.

use kvalitet_app::screening::{self, ScreeningError};
use kvalitet_domain::screening::{Breakdown, Screening, ScreeningSet};

use super::*;

/// The set the site screens on: the shipped one unless the site is configured with another.
#[derive(Debug)]
pub struct ScreeningSetting {
    pub read: kvalitet_formats::screening_file::ReadSet,
    /// The file's text, published as it is.
    pub text: String,
}

impl Default for ScreeningSetting {
    fn default() -> Self {
        Self {
            read: screening::shipped_set(),
            text: screening::SHIPPED.to_owned(),
        }
    }
}

async fn screened<S: Store>(
    st: &AppState<S>,
    d: &Directory,
    year: Option<Year>,
) -> Result<screening::Screened, WebError> {
    screening::screen(&st.store, d, &st.screening.read, year)
        .await
        .map_err(|e| match e {
            ScreeningError::Store(e) => WebError::internal(e),
            other => WebError::coded(StatusCode::NOT_FOUND, other.message()),
        })
}

fn score(lang: Lang, x: Option<f64>) -> Option<String> {
    x.map(|x| lang.number(x, 1))
}

fn share(lang: Lang, x: f64) -> String {
    format!("{} %", lang.number(x * 100.0, 0))
}

fn group_name(d: &Directory, b: &Breakdown) -> Option<String> {
    b.scope
        .and_then(|g| d.groups.get(&g))
        .map(|g| g.title.trim_end_matches(" (ovägt medel)").to_owned())
}

/// The screening page: the rule, the weights, the ranking by level and the best improvers.
pub async fn screening_page<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let params = Params::parse(raw.as_deref())?;
    let key = format!("/kvalitetskommun{}", params.query());
    let st = state.clone();
    cached(&state, lang, key, false, |_, d| async move {
        let screened = screened(&st, &d, params.year).await?;
        let s = &screened.screening;
        let set = &st.screening.read.set;
        let line = |b: &Breakdown, rank: Option<usize>| RankLine {
            rank,
            id: b.municipality.to_string(),
            name: d.name(&b.municipality),
            group: group_name(&d, b),
            level: score(lang, b.level),
            improvement: score(lang, b.improvement),
            coverage: share(lang, b.level_coverage),
        };
        let view = ScreeningView {
            title: localized(lang, &set.title, set.title_en.as_deref()),
            description: localized(lang, &set.description, set.description_en.as_deref()),
            year: s.year.get(),
            years: screened.years.iter().map(|y| y.get()).collect(),
            within_group: set.normalise == kvalitet_domain::screening::Normalisation::Kommungrupp,
            improvement_from: s.year.get() - i16::from(set.improvement_years),
            min_coverage: share(lang, set.min_coverage),
            figures: figure_lines(lang, &d, set, s),
            dimensions: set
                .dimensions()
                .into_iter()
                .map(|(sv, en, w)| (localized(lang, &sv, en.as_deref()), share(lang, w)))
                .collect(),
            ranked: s
                .breakdowns
                .iter()
                .filter(|b| b.level_rank.is_some())
                .map(|b| line(b, b.level_rank))
                .collect(),
            not_ranked: s
                .breakdowns
                .iter()
                .filter(|b| b.level_rank.is_none())
                .map(|b| line(b, None))
                .collect(),
            improvers: s
                .by_improvement()
                .into_iter()
                .take(10)
                .map(|b| line(b, b.improvement_rank))
                .collect(),
            query: params.query(),
            other_path: format!("{}/kvalitetskommun{}", lang.other().base(), params.query()),
        };
        Ok(st.render("screening.html", lang, view)?.into_bytes())
    })
    .await
}

/// The weights table: each figure, its dimension, which way is better and its weight.
fn figure_lines(lang: Lang, d: &Directory, set: &ScreeningSet, s: &Screening) -> Vec<FigureLine> {
    let total: f64 = set.measures.iter().map(|m| m.weight).sum();
    set.measures
        .iter()
        .map(|m| {
            let question = d
                .measures
                .get(&m.measure)
                .map(|x| {
                    let p = d.presentation(x);
                    localized(lang, &p.question, p.question_en.as_deref())
                })
                .unwrap_or_else(|| m.measure.to_string());
            FigureLine {
                id: m.measure.to_string(),
                question,
                dimension: localized(lang, &m.dimension, m.dimension_en.as_deref()),
                higher: m.better == Direction::HigherIsBetter,
                weight: share(lang, m.weight / total),
                without_values: s.without_values.contains(&m.measure),
            }
        })
        .collect()
}

/// One kommun's screening, figure by figure.
pub async fn screening_kommun<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let params = Params::parse(raw.as_deref())?;
    let key = format!("/kvalitetskommun/kommun/{id}{}", params.query());
    let st = state.clone();
    cached(&state, lang, key, false, |_, d| async move {
        let kommun = d.kommun(&id)?.id;
        let screened = screened(&st, &d, params.year).await?;
        let s = &screened.screening;
        let set = &st.screening.read.set;
        let Some(b) = s.breakdown(&kommun) else {
            return Err(WebError::coded(
                StatusCode::NOT_FOUND,
                Message::new("unknown_municipality").with("id", &id),
            ));
        };
        let figures = figure_lines(lang, &d, set, s);
        let rows = b
            .figures
            .iter()
            .zip(figures)
            .map(|(f, line)| {
                let decimals = d
                    .measures
                    .get(&f.measure)
                    .map_or(1, |x| d.presentation(x).decimals);
                BreakdownRow {
                    value: f.value.map(|v| lang.number(v, decimals)),
                    level: score(lang, f.level),
                    slope: f.slope.map(|v| lang.number(v, decimals.max(1) + 1)),
                    improvement: score(lang, f.improvement),
                    peers: f.peers,
                    line,
                }
            })
            .collect();
        let view = KommunScreeningView {
            title: localized(lang, &set.title, set.title_en.as_deref()),
            name: d.name(&kommun),
            id: kommun.to_string(),
            year: s.year.get(),
            improvement_from: s.year.get() - i16::from(set.improvement_years),
            group: group_name(&d, b),
            level: score(lang, b.level),
            level_rank: b.level_rank,
            level_coverage: share(lang, b.level_coverage),
            improvement: score(lang, b.improvement),
            improvement_rank: b.improvement_rank,
            improvement_coverage: share(lang, b.improvement_coverage),
            ranked_count: s
                .breakdowns
                .iter()
                .filter(|b| b.level_rank.is_some())
                .count(),
            dimensions: b
                .dimensions
                .iter()
                .zip(set.dimensions())
                .map(|(x, (sv, en, _))| DimensionLine {
                    name: localized(lang, &sv, en.as_deref()),
                    level: score(lang, x.level),
                    improvement: score(lang, x.improvement),
                })
                .collect(),
            rows,
            query: params.query(),
            other_path: format!(
                "{}/kvalitetskommun/kommun/{kommun}{}",
                lang.other().base(),
                params.query()
            ),
        };
        Ok(st.render("screening-kommun.html", lang, view)?.into_bytes())
    })
    .await
}

/// The ranking with every figure's value and scores (CSV, Excel-CSV, .xlsx), or the set file.
pub async fn screening_download<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    if file == "urval.toml" {
        return Ok((
            [
                (header::CONTENT_TYPE, "application/toml; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"kvalitetskommun-urval.toml\"",
                ),
            ],
            state.screening.text.clone(),
        )
            .into_response());
    }
    let kind = parse_kind(&file)?;
    let params = Params::parse(raw.as_deref())?;
    let (_, d) = state.directory().await?;
    let screened = screened(&state, &d, params.year).await?;
    let s = &screened.screening;
    let set = &state.screening.read.set;
    let mut header = vec![
        "year".to_owned(),
        "municipality_id".into(),
        "municipality".into(),
        "kommungrupp".into(),
        "level_rank".into(),
        "level_score".into(),
        "level_weight_share".into(),
        "improvement_rank".into(),
        "improvement_score".into(),
        "improvement_weight_share".into(),
    ];
    for m in &set.measures {
        for part in [
            "value",
            "level_score",
            "slope_per_year",
            "improvement_score",
        ] {
            header.push(format!("{}_{part}", m.measure));
        }
    }
    let number = |x: Option<f64>| downloads::machine_number(x);
    let rows = s
        .breakdowns
        .iter()
        .map(|b| {
            let mut cells = vec![
                s.year.to_string(),
                b.municipality.to_string(),
                d.name(&b.municipality),
                group_name(&d, b).unwrap_or_default(),
                b.level_rank.map(|r| r.to_string()).unwrap_or_default(),
                number(b.level),
                number(Some(b.level_coverage)),
                b.improvement_rank
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
                number(b.improvement),
                number(Some(b.improvement_coverage)),
            ];
            for f in &b.figures {
                cells.extend([
                    number(f.value),
                    number(f.level),
                    number(f.slope),
                    number(f.improvement),
                ]);
            }
            cells
        })
        .collect();
    let numeric = header
        .iter()
        .map(|h| {
            !matches!(
                h.as_str(),
                "municipality_id" | "municipality" | "kommungrupp"
            )
        })
        .collect();
    let table = Table {
        title: format!("{} {}", set.title, s.year),
        header,
        numeric,
        rows,
    };
    let about = vec![
        ("Urval".into(), format!("{} ({})", set.title, set.id)),
        ("År".into(), s.year.to_string()),
        (
            "Normering".into(),
            format!(
                "{}: poäng 0–100 som mittrangens percentil bland kommunerna {}",
                set.normalise.code(),
                if set.normalise == kvalitet_domain::screening::Normalisation::Kommungrupp {
                    "i samma kommungrupp"
                } else {
                    "i hela landet"
                }
            ),
        ),
        (
            "Utveckling".into(),
            format!(
                "minsta-kvadrat-lutning per år {}–{} (minst 3 värden), poängsatt på samma sätt",
                s.year.get() - i16::from(set.improvement_years),
                s.year
            ),
        ),
        ("Urvalsfil".into(), "/kvalitetskommun/urval.toml".into()),
        (
            "Källa".into(),
            "Kolada (www.kolada.se), bearbetat av kvalitet".into(),
        ),
    ];
    Ok(downloads::respond(
        kind,
        &table,
        &format!("kvalitetskommun-{}", s.year),
        &about,
    ))
}

#[derive(Serialize)]
struct ScreeningView {
    title: String,
    description: String,
    year: i16,
    years: Vec<i16>,
    within_group: bool,
    improvement_from: i16,
    min_coverage: String,
    figures: Vec<FigureLine>,
    dimensions: Vec<(String, String)>,
    ranked: Vec<RankLine>,
    not_ranked: Vec<RankLine>,
    improvers: Vec<RankLine>,
    query: String,
    other_path: String,
}

#[derive(Serialize)]
struct FigureLine {
    id: String,
    question: String,
    dimension: String,
    higher: bool,
    weight: String,
    without_values: bool,
}

#[derive(Serialize)]
struct RankLine {
    rank: Option<usize>,
    id: String,
    name: String,
    group: Option<String>,
    level: Option<String>,
    improvement: Option<String>,
    coverage: String,
}

#[derive(Serialize)]
struct KommunScreeningView {
    title: String,
    name: String,
    id: String,
    year: i16,
    improvement_from: i16,
    group: Option<String>,
    level: Option<String>,
    level_rank: Option<usize>,
    level_coverage: String,
    improvement: Option<String>,
    improvement_rank: Option<usize>,
    improvement_coverage: String,
    ranked_count: usize,
    dimensions: Vec<DimensionLine>,
    rows: Vec<BreakdownRow>,
    query: String,
    other_path: String,
}

#[derive(Serialize)]
struct DimensionLine {
    name: String,
    level: Option<String>,
    improvement: Option<String>,
}

#[derive(Serialize)]
struct BreakdownRow {
    line: FigureLine,
    value: Option<String>,
    level: Option<String>,
    slope: Option<String>,
    improvement: Option<String>,
    peers: usize,
}
