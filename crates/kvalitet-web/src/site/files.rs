//! Downloads of what each page shows (CSV, Excel-flavoured CSV, .xlsx).

use super::*;

/// `data.csv`, `data-excel.csv` or `data.xlsx`.
pub(crate) fn parse_kind(file: &str) -> Result<downloads::Kind, WebError> {
    match file {
        "data.csv" => Ok(downloads::Kind::Csv),
        "data-excel.csv" => Ok(downloads::Kind::ExcelCsv),
        "data.xlsx" => Ok(downloads::Kind::Xlsx),
        other => Err(WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("no_download").with("file", other),
        )),
    }
}

pub async fn municipality_download<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Path((id, file)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
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
            let shown = |x: Option<f64>| downloads::shown_number(x, p.decimals);
            let ranked = p.direction != Direction::None;
            rows.push(vec![
                area.title.clone(),
                p.measure.to_string(),
                card.question.clone(),
                c.map_or(String::new(), |c| c.year.to_string()),
                shown(own.and_then(|r| r.value)),
                own.and_then(|r| r.status)
                    .map_or(String::new(), |s| s.code().to_owned()),
                own.map_or(String::new(), |r| r.placement.colour.code().to_owned()),
                own.map_or(String::new(), |r| r.trend.code().to_owned()),
                own.and_then(|r| r.placement.rank)
                    .filter(|_| ranked)
                    .map_or(String::new(), |r| r.to_string()),
                s.map_or(String::new(), |s| s.n.to_string()),
                shown(s.and_then(|s| s.mean)),
                shown(s.and_then(|s| s.worst)),
                shown(s.and_then(|s| s.best)),
                shown(c.and_then(|c| c.riket)),
            ]);
        }
    }
    let table = Table {
        title: format!("{} – {}", report.municipality.title, report.set_title),
        header: [
            "area", "kpi", "question", "year", "value", "status", "colour", "trend", "rank", "n",
            "mean", "worst", "best", "riket",
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

/// A measure page's downloads: `data.*` the series the chart and its table show, year by
/// year; `rangordning.*` every municipality in the year shown, as the ranked table. Values
/// are rounded as the page shows them; a measure without a better direction is not ranked.
pub async fn measure_download<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Path((id, kpi, file)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let (ranking, kind) = match file.strip_prefix("rangordning") {
        Some(rest) => (true, parse_kind(&format!("data{rest}"))?),
        None => (false, parse_kind(&file)?),
    };
    let params = Params::parse(raw.as_deref())?;
    let (version, d) = state.directory().await?;
    let m = d.kommun(&id)?.id;
    let v = measure_view(Lang::Sv, &state, version, &d, &m, &kpi, &params).await?;
    let p = &v.presentation;
    let shown = |x: Option<f64>| downloads::shown_number(x, p.decimals);
    let (table, stem) = if ranking {
        let ranked = p.direction != Direction::None;
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
                            shown(r.value),
                            r.status.map_or(String::new(), |s| s.code().to_owned()),
                            r.placement
                                .rank
                                .filter(|_| ranked)
                                .map_or(String::new(), |x| x.to_string()),
                            r.placement.colour.code().to_owned(),
                            r.trend.code().to_owned(),
                            shown(r.previous),
                        ]
                    })
                    .collect()
            })
            .unwrap_or_default();
        let year = v
            .comparison
            .as_ref()
            .map_or(String::new(), |c| c.year.to_string());
        let header = [
            "municipality_id",
            "municipality",
            "year",
            "value",
            "status",
            "rank",
            "colour",
            "trend",
            "previous_year_value",
        ];
        (
            Table {
                title: format!("{} ({}), {year}", p.title, p.measure),
                header: header.map(str::to_owned).to_vec(),
                rows,
                numeric: [false, false, true, true, false, true, false, false, true].to_vec(),
            },
            format!("kvalitet-{}-{year}-rangordning", p.measure),
        )
    } else {
        let rows = v
            .points
            .iter()
            .map(|pt| {
                vec![
                    pt.year.to_string(),
                    shown(pt.value),
                    shown(pt.mean),
                    shown(pt.worst),
                    shown(pt.best),
                    shown(pt.riket),
                    pt.n.to_string(),
                ]
            })
            .collect();
        let header = [
            "year", "value", "mean", "worst", "best", "riket", "n_values",
        ];
        (
            Table {
                title: format!("{} ({}) – {}", p.title, p.measure, d.name(&m)),
                header: header.map(str::to_owned).to_vec(),
                rows,
                numeric: [true; 7].to_vec(),
            },
            format!("kvalitet-{}-{m}-serie", p.measure),
        )
    };
    Ok::<_, WebError>(downloads::respond(
        kind,
        &table,
        &stem,
        &about_sheet(&v.population_name, params.gender),
    ))
}

pub async fn compare_download<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let kind = parse_kind(&file)?;
    let params = Params::parse(raw.as_deref())?;
    let (version, d) = state.directory().await?;
    let table = compare_table(&state, version, &d, &params, lang)
        .await?
        .ok_or_else(|| WebError::coded(StatusCode::BAD_REQUEST, Message::new("choose_measure")))?;
    Ok::<_, WebError>(downloads::respond(
        kind,
        &table.table,
        &format!("kvalitet-jamfor-{}", table.measure),
        &about_sheet("alla kommuner", params.gender),
    ))
}

pub(crate) fn about_sheet(population: &str, gender: Gender) -> Vec<(String, String)> {
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
