//! Comparing up to five municipalities, measure by measure.

use super::*;

/// Up to five kommuner side by side for one measure, year by year.
pub async fn compare<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let params = Params::parse(raw.as_deref())?;
    let key = format!("/jamfor?{}", raw.unwrap_or_default());
    let st = state.clone();
    cached(&state, lang, key, false, |version, d| async move {
        let table = compare_table(&st, version, &d, &params, lang).await?;
        let measures: Vec<Choice> = d
            .set(params.set.as_deref())
            .map(|s| {
                s.measures()
                    .filter(|(_, i)| d.measures.contains_key(&i.measure))
                    .map(|(_, i)| Choice {
                        code: i.measure.to_string(),
                        label: question(lang, &i.question, i.question_en.as_deref()),
                        selected: table.as_ref().is_some_and(|t| t.measure == i.measure),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let chosen: Vec<String> = table
            .as_ref()
            .map(|t| t.kommuner.iter().map(|m| m.to_string()).collect())
            .unwrap_or_default();
        let slots: Vec<Slot> = (0..MAX_COMPARED)
            .map(|i| {
                let selected = chosen.get(i).cloned().unwrap_or_default();
                Slot {
                    n: i + 1,
                    options: d
                        .kommuner
                        .iter()
                        .map(|k| Choice {
                            code: k.id.to_string(),
                            label: k.title.clone(),
                            selected: k.id.as_str() == selected,
                        })
                        .collect(),
                }
            })
            .collect();
        let body = st.render(
            "compare.html",
            lang,
            CompareView {
                measures,
                slots,
                table: table.as_ref().map(|t| &t.view),
                source: table
                    .as_ref()
                    .and_then(|t| d.measures.get(&t.measure))
                    .map(|x| source_label(lang, x, &d)),
                query: raw_query_of(&params),
                other_path: format!("{}/jamfor{}", lang.other().base(), raw_query_of(&params)),
            },
        )?;
        Ok(body.into_bytes())
    })
    .await
}

pub(crate) fn raw_query_of(params: &Params) -> String {
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
    pub view: CompareTableView,
    pub table: Table,
}

/// The compare page's table: years down, chosen kommuner across, with the snitt of all.
pub(crate) async fn compare_table<S: Store>(
    st: &AppState<S>,
    version: Versions,
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
        return Err(WebError::coded(
            StatusCode::BAD_REQUEST,
            Message::new("too_many_compared")
                .with("max", MAX_COMPARED)
                .with("chosen", kommuner.len()),
        ));
    }
    if kommuner.is_empty() {
        return Err(WebError::coded(
            StatusCode::BAD_REQUEST,
            Message::new("choose_municipality"),
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
    // The unit is said once, in the table's caption; the cells hold numbers.
    let fmt = |x: Option<f64>| x.map(|x| lang.number(x, p.decimals));
    let names: Vec<String> = kommuner.iter().map(|m| d.name(m)).collect();
    let mut rows = Vec::new();
    let mut table_rows = Vec::new();
    for pt in points.iter().rev() {
        let values: Vec<Option<f64>> = kommuner.iter().map(|m| series.number(m, pt.year)).collect();
        rows.push(CompareRow {
            year: pt.year.get(),
            values: values
                .iter()
                .zip(&kommuner)
                .map(|(v, m)| Cell {
                    text: fmt(*v),
                    missing: lang.missing(match series.datum(m, pt.year) {
                        Some(kvalitet_domain::Datum::Missing(s)) => Some(s),
                        _ => None,
                    }),
                })
                .collect(),
            mean: fmt(pt.mean),
        });
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
        &|x, decimals| lang.number(x, decimals),
        &charts::Axis {
            unit: unit_text.as_deref(),
            starts_at: lang.t("axis_starts_at"),
        },
        lang.t("mean"),
    );
    Ok(Some(CompareTable {
        measure: measure.id,
        kommuner: kommuner.clone(),
        view: CompareTableView {
            question: question(lang, &p.question, p.question_en.as_deref()),
            unit: unit_text,
            names,
            rows,
            chart,
            kpi: measure.id.to_string(),
        },
        table: Table {
            title: format!("{} ({})", p.title, measure.id),
            numeric: vec![true; header.len()],
            header,
            rows: table_rows,
        },
    }))
}

/// The compare page: the form's choices and, once chosen, the table and chart.
#[derive(Serialize)]
struct CompareView<'a> {
    measures: Vec<Choice>,
    slots: Vec<Slot>,
    table: Option<&'a CompareTableView>,
    source: Option<String>,
    query: String,
    other_path: String,
}

/// One of the five municipality pickers.
#[derive(Serialize)]
struct Slot {
    n: usize,
    options: Vec<Choice>,
}

/// The chosen municipalities year by year, as the page's table and chart show them.
#[derive(Serialize)]
pub(crate) struct CompareTableView {
    question: String,
    unit: Option<String>,
    names: Vec<String>,
    rows: Vec<CompareRow>,
    chart: String,
    kpi: String,
}

#[derive(Serialize)]
struct CompareRow {
    year: i16,
    values: Vec<Cell>,
    mean: Option<String>,
}

/// A value, or why it is missing.
#[derive(Serialize)]
struct Cell {
    text: Option<String>,
    missing: &'static str,
}
