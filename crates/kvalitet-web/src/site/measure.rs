//! A measure for one municipality: time series, everyone ranked, map and definition; and the
//! embeddable widget with its oEmbed description.

use super::*;

/// The data of one measure for one municipality: comparison of the chosen year, series.
pub(crate) struct MeasureView {
    pub(crate) presentation: Presentation,
    pub(crate) comparison: Option<YearComparison>,
    pub(crate) points: Vec<SeriesPoint>,
    pub(crate) members: Vec<MunicipalityId>,
    pub(crate) population_name: String,
    pub(crate) updated_at: Option<kvalitet_domain::Timestamp>,
    pub(crate) years: Vec<Year>,
}

pub(crate) async fn measure_view<S: Store>(
    lang: Lang,
    st: &AppState<S>,
    version: Versions,
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
            return Err(WebError::coded(
                StatusCode::NOT_FOUND,
                Message::new("no_values_for_year")
                    .with("measure", measure.id)
                    .with("year", y),
            ));
        }
        None => series.latest_year(&members, None),
    };
    let comparison = year.map(|y| report::compare_year(d, &series, &presentation, &members, y));
    Ok(MeasureView {
        points: report::time_series(&series, &presentation, &members, m),
        population_name: lang.say(&d.population_label(&params.population, set)),
        updated_at: series.updated_at,
        years: series.years.iter().copied().collect(),
        presentation,
        comparison,
        members,
    })
}

pub async fn measure<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, kpi)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let params = Params::parse(raw.as_deref())?;
    let key = format!("/kommun/{id}/matt/{kpi}{}", params.cache_key());
    let st = state.clone();
    cached(&state, lang, key, false, |version, d| async move {
        let m = d.kommun(&id)?.id;
        let v = measure_view(lang, &st, version, &d, &m, &kpi, &params).await?;
        let measure = d.measure(&kpi)?;
        let p = &v.presentation;
        let name = d.name(&m);
        let unit_text = unit(lang, p);
        // The tables say the unit once, in a caption or heading; their cells hold numbers.
        let fmt = |x: Option<f64>| x.map(|x| lang.number(x, p.decimals));
        let figures = v
            .comparison
            .as_ref()
            .map(|c| figures(lang, p, c, c.row(&m), &v.population_name));
        let all_rows: Vec<RankedRow> = v
            .comparison
            .as_ref()
            .map(|c| {
                c.ranked()
                    .into_iter()
                    .map(|r| RankedRow {
                        id: r.municipality.to_string(),
                        name: r.name.to_string(),
                        value: fmt(r.value),
                        missing: lang.missing(r.status),
                        rank: r.placement.rank.filter(|_| p.direction != Direction::None),
                        shared: r.placement.shared,
                        colour: r.placement.colour.code(),
                        colour_label: lang.colour(r.placement.colour),
                        colour_icon: charts::badge_icon(r.placement.colour),
                        trend_label: lang.trend(r.trend),
                        selected: r.municipality == m,
                    })
                    .collect()
            })
            .unwrap_or_default();
        // The ranking lists those with a value (and the municipality itself); the others are
        // one line with their names behind it, not hundreds of rows saying "no value".
        let (ranked, without): (Vec<RankedRow>, Vec<RankedRow>) = all_rows
            .into_iter()
            .partition(|r| r.value.is_some() || r.selected);
        let texts = lang.texts();
        // Worst–best for a measure with a better direction, lowest–highest for one without.
        let range_label = if p.direction == Direction::None {
            texts["range_none"]
        } else {
            texts["range_dir"]
        };
        let chart = charts::time_chart(
            &v.points,
            &charts::TimeChartText {
                title: &format!(
                    "{}: {}",
                    name,
                    question(lang, &p.question, p.question_en.as_deref())
                ),
                desc: &series_description(lang, &name, &v.points, p, unit_text.as_deref()),
                own: &name,
                mean: texts["mean"],
                middle: texts["middle_half"],
                range: range_label,
                riket: texts["riket"],
                axis: charts::Axis {
                    unit: unit_text.as_deref(),
                    starts_at: texts["axis_starts_at"],
                },
            },
            &|x, decimals| lang.number(x, decimals),
            params.whole_range(),
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
            &|k| d.name(k),
            &|c| lang.colour(c),
            Some(&m),
            &lang.say(
                &Message::new("map_title").with(
                    "year",
                    v.comparison
                        .as_ref()
                        .map_or(String::new(), |c| c.year.to_string()),
                ),
            ),
            &lang.say(&Message::new("map_description").with("name", &name)),
        );
        let points: Vec<PointRow> = v
            .points
            .iter()
            .rev()
            .map(|pt| PointRow {
                year: pt.year.get(),
                value: fmt(pt.value),
                mean: fmt(pt.mean),
                worst: fmt(pt.worst),
                best: fmt(pt.best),
                q1: fmt(pt.q1),
                q3: fmt(pt.q3),
                riket: fmt(pt.riket),
                n: pt.n,
            })
            .collect();
        let source = source_label(lang, measure, &d);
        let year = v.comparison.as_ref().map(|c| c.year);
        let comments = kvalitet_app::own::comments(&st.store, Some(&measure.id), &m).await?;
        let comment = comments
            .iter()
            .find(|c| Some(c.year) == year.map(Year::get))
            .map(|c| CommentView {
                year: c.year,
                body: c.body.clone(),
                date: c.updated_at.date_text(),
            });
        let history = match year {
            Some(y) => {
                report::value_history(
                    &st.store,
                    &kvalitet_domain::ValueKey {
                        measure: measure.id,
                        area: kvalitet_domain::AreaId::Municipality(m),
                        year: y,
                        gender: params.gender,
                    },
                )
                .await?
            }
            None => Vec::new(),
        };
        let history: Vec<HistoryRow> = history
            .iter()
            .map(|h| HistoryRow {
                value: match h.datum {
                    kvalitet_domain::Datum::Number(x) => {
                        lang.with_unit(x, p.decimals, unit_text.as_deref())
                    }
                    kvalitet_domain::Datum::Missing(s) => lang.missing(Some(s)).to_owned(),
                    kvalitet_domain::Datum::Deleted => "–".to_owned(),
                },
                from: h.imported_at.date_text(),
                until: h.replaced_at.map(|r| r.date_text()),
                source: public_source(lang, &h.format),
            })
            .collect();
        let answer = v.comparison.as_ref().and_then(|c| c.row(&m)).map(|r| {
            answer_sentence(
                lang,
                &name,
                r,
                c_year(&v.comparison),
                p,
                unit_text.as_deref(),
            )
        });
        let query = params.query();
        let page = format!("{}/kommun/{}/matt/{}", lang.base(), m, p.measure);
        let body = st.render(
            "measure.html",
            lang,
            MeasurePage {
                question: question(lang, &p.question, p.question_en.as_deref()),
                answer,
                figures,
                ranked,
                without,
                points,
                chart,
                whole_range: params.whole_range(),
                range_label,
                range_link: if params.whole_range() {
                    format!("{page}{query}#ts-h")
                } else {
                    format!(
                        "{page}{query}{}spann=1#ts-h",
                        if query.is_empty() { '?' } else { '&' }
                    )
                },
                map,
                has_riket: v.points.iter().any(|pt| pt.riket.is_some()),
                // A measure nobody has values for yet shows no empty chart, map or ranking.
                has_values: !v.points.is_empty(),
                comment,
                history: if history.len() > 1 {
                    history
                } else {
                    Vec::new()
                },
                kpi: MeasureFacts {
                    id: p.measure.to_string(),
                    title: p.title.clone(),
                    description: measure.description.clone(),
                    unit: unit_text.clone(),
                    source,
                    own_reporting: measure.source_kind == SourceKind::OwnReporting,
                    from_kolada: measure.origin == kvalitet_domain::MeasureOrigin::Kolada,
                    published: measure
                        .kolada
                        .publication_date
                        .as_deref()
                        .and_then(|d| d.get(..10))
                        .filter(|d| d.len() == 10)
                        .map(str::to_owned),
                    survey: measure.source_kind == SourceKind::Survey,
                },
                updated: v.updated_at.map(|u| u.date_text()),
                population_size: v.members.len(),
                years: year_choices(v.years.iter().copied(), params.year),
                genders: gender_choices(lang, &params, p.divided_by_gender),
                populations: population_choices(lang, &d, &m, &params),
                embed_url: format!(
                    "{}/inbaddning/kommun/{}/matt/{}{}",
                    lang.base(),
                    m,
                    p.measure,
                    query
                ),
                oembed: encode(&format!("{}{page}{query}", st.public_url)),
                other_path: format!(
                    "{}/kommun/{}/matt/{}{}",
                    lang.other().base(),
                    m,
                    p.measure,
                    query
                ),
                print: params.print(),
                m: Named {
                    id: m.to_string(),
                    name,
                },
                population_name: v.population_name.clone(),
                query,
                page,
            },
        )?;
        Ok(body.into_bytes())
    })
    .await
}

pub(crate) fn c_year(c: &Option<YearComparison>) -> i16 {
    c.as_ref().map_or(0, |c| c.year.get())
}

/// "I Ale var värdet 85,3 procent år 2022." Digits for the number, the unit in words.
pub(crate) fn answer_sentence(
    lang: Lang,
    name: &str,
    r: &ComparedRow,
    year: i16,
    p: &Presentation,
    unit: Option<&str>,
) -> String {
    let message = match r.value {
        Some(x) => Message::new("answer_value")
            .with("value", lang.number(x, p.decimals))
            .with("unit", unit.unwrap_or("")),
        None => Message::new("answer_missing").with(
            "why",
            lang.missing(r.status).trim_start_matches(['.', '-', ' ']),
        ),
    };
    lang.say(&message.with("name", name).with("year", year))
        .replace("  ", " ")
}

/// The long description of the time chart: first and last values against the snitt.
pub(crate) fn series_description(
    lang: Lang,
    name: &str,
    points: &[SeriesPoint],
    p: &Presentation,
    unit: Option<&str>,
) -> String {
    let with_value: Vec<&SeriesPoint> = points.iter().filter(|pt| pt.value.is_some()).collect();
    let (Some(first), Some(last)) = (with_value.first(), with_value.last()) else {
        return lang.say(&Message::new("series_empty").with("name", name));
    };
    let f =
        |x: Option<f64>| x.map_or_else(|| "–".to_owned(), |x| lang.with_unit(x, p.decimals, unit));
    lang.say(
        &Message::new("series_description")
            .with("name", name)
            .with("first", f(first.value))
            .with("first_year", first.year)
            .with("last", f(last.value))
            .with("last_year", last.year)
            .with("mean", f(last.mean)),
    )
}

pub async fn embed<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, kpi)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let params = Params::parse(raw.as_deref())?;
    let key = format!("/inbaddning/kommun/{id}/matt/{kpi}{}", params.query());
    let st = state.clone();
    cached(&state, lang, key, true, |version, d| async move {
        let m = d.kommun(&id)?.id;
        let v = measure_view(lang, &st, version, &d, &m, &kpi, &params).await?;
        let p = &v.presentation;
        let figures = v
            .comparison
            .as_ref()
            .map(|c| figures(lang, p, c, c.row(&m), &v.population_name));
        let body = st.render(
            "embed.html",
            lang,
            EmbedView {
                m: Named::of(&d, &m),
                question: question(lang, &p.question, p.question_en.as_deref()),
                figures,
                population_name: v.population_name.clone(),
                source: d
                    .measures
                    .get(&p.measure)
                    .map(|x| source_label(lang, x, &d)),
                page: format!(
                    "{}/kommun/{}/matt/{}{}",
                    lang.base(),
                    m,
                    p.measure,
                    params.query()
                ),
            },
        )?;
        Ok(body.into_bytes())
    })
    .await
}

/// oEmbed (https://oembed.com/) for measure and goals pages: `/oembed?url=<page URL>` gives the
/// widget's iframe code, so sites that support oEmbed embed a measure from its address alone.
pub async fn oembed<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let answer = async {
        let pairs = query_pairs(raw.as_deref());
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        if get("format").is_some_and(|f| f != "json") {
            return Err(WebError::with(StatusCode::NOT_IMPLEMENTED, "only format=json is offered"));
        }
        let url = get("url").ok_or_else(|| WebError::bad_request("url is required"))?;
        // Only this site's own pages get a widget, and the widget's code is made from the
        // configured public address alone, never from the caller's text.
        let foreign = || WebError::with(StatusCode::NOT_FOUND, "url is not a page of this site");
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
        let origin = state.public_url.as_str();
        let (_, d) = state.directory().await?;
        let (title, src) = match parts[..] {
            ["kommun", id, "matt", kpi] => {
                let m = d.kommun(id)?;
                let measure = d.measure(kpi)?;
                let p = d.presentation(measure);
                let title = format!("{} – {}", question(lang, &p.question, p.question_en.as_deref()), m.title);
                let query = if query.is_empty() { String::new() } else { format!("?{query}") };
                (title, format!("{origin}{}/inbaddning/kommun/{}/matt/{}{query}", lang.base(), m.id, measure.id))
            }
            ["kommun", id, "mal"] => {
                // A goal's section (`#goal-ID`) or the page's embed choice (`?inbadda=ID`)
                // gets that goal's widget; the page alone, the plan's.
                let m = d.kommun(id)?;
                let pairs = query_pairs(Some(query));
                let pick = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
                let goal_id = asked
                    .fragment()
                    .and_then(|f| f.strip_prefix("goal-"))
                    .map(str::to_owned)
                    .or_else(|| pick("inbadda"));
                let year = pick("ar").and_then(|y| y.parse::<i32>().ok());
                let plan = kvalitet_app::goals::plan(&state.store, None, &m.id, false).await?;
                let goal = goal_id.and_then(|id| plan?.plan.goals.into_iter().find(|g| g.id == id));
                let year = year.map_or_else(String::new, |y| format!("?ar={y}"));
                match goal {
                    Some(g) => (
                        format!("{} – {}", g.title, m.title),
                        format!("{origin}{}/inbaddning/kommun/{}/mal/{}{year}", lang.base(), m.id, encode(&g.id)),
                    ),
                    None => (
                        lang.say(&Message::new("goals_heading").with("name", &m.title)),
                        format!("{origin}{}/inbaddning/kommun/{}/mal{year}", lang.base(), m.id),
                    ),
                }
            }
            _ => {
                return Err(WebError::bad_request(
                    "url is not a measure or goals page (…/kommun/ID/matt/KPI or …/kommun/ID/mal)",
                ));
            }
        };
        let (width, height) = (400, 360);
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

/// The measure page: the answer, the figures, the series, everyone ranked, map, definition.
#[derive(Serialize)]
struct MeasurePage {
    m: Named,
    question: String,
    answer: Option<String>,
    figures: Option<Figures>,
    ranked: Vec<RankedRow>,
    /// Members of the comparison without a value, each with why.
    without: Vec<RankedRow>,
    points: Vec<PointRow>,
    chart: String,
    /// Whether the chart draws lowest–highest too, and the link that turns it on or off.
    whole_range: bool,
    range_label: &'static str,
    range_link: String,
    map: String,
    has_riket: bool,
    has_values: bool,
    comment: Option<CommentView>,
    history: Vec<HistoryRow>,
    kpi: MeasureFacts,
    updated: Option<String>,
    population_name: String,
    population_size: usize,
    years: Vec<YearChoice>,
    genders: Vec<Choice>,
    populations: Vec<Choice>,
    query: String,
    page: String,
    embed_url: String,
    oembed: String,
    other_path: String,
    print: bool,
}

/// One municipality in the ranked table of a year.
#[derive(Serialize)]
struct RankedRow {
    id: String,
    name: String,
    value: Option<String>,
    missing: &'static str,
    rank: Option<usize>,
    shared: bool,
    colour: &'static str,
    colour_label: &'static str,
    colour_icon: &'static str,
    trend_label: &'static str,
    selected: bool,
}

/// One year of the series table.
#[derive(Serialize)]
struct PointRow {
    year: i16,
    value: Option<String>,
    mean: Option<String>,
    worst: Option<String>,
    best: Option<String>,
    q1: Option<String>,
    q3: Option<String>,
    riket: Option<String>,
    n: usize,
}

/// The municipality's published comment on the year shown.
#[derive(Serialize)]
struct CommentView {
    year: i16,
    body: String,
    date: String,
}

/// One earlier value of the year shown, and when it was replaced.
#[derive(Serialize)]
struct HistoryRow {
    value: String,
    from: String,
    until: Option<String>,
    source: &'static str,
}

/// The measure's definition as the page states it.
#[derive(Serialize)]
struct MeasureFacts {
    id: String,
    title: String,
    description: String,
    unit: Option<String>,
    source: String,
    own_reporting: bool,
    /// Whether the title is Kolada's (own measures and published results have their own).
    from_kolada: bool,
    survey: bool,
    /// The day the source published the figures (Kolada's publication date).
    published: Option<String>,
}

/// The embeddable widget of one measure.
#[derive(Serialize)]
struct EmbedView {
    m: Named,
    question: String,
    figures: Option<Figures>,
    population_name: String,
    source: Option<String>,
    page: String,
}
