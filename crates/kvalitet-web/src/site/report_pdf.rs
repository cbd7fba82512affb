//! The municipality's yearly quality report as an accessible PDF: the figures of the
//! municipality page for one year, gathered here as the content a `Typesetter` sets (the
//! layout is `kvalitet-pdf`'s template; this module decides what is said, in which words).

use super::*;

use kvalitet_app::ports::{Document, Layout};
use kvalitet_app::service::FigureKind;
use kvalitet_domain::ticks::Ticks;

/// `GET /kommun/ID/rapport/ÅR.pdf` (the archival PDF/A-2a copy at `ÅR-arkiv.pdf`): the
/// same figures as the municipality page for that year, with the municipality's
/// introduction, comments and goals, dated by its data and naming the data version it was
/// made from.
pub async fn yearly_report<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let not_found = || {
        WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("no_download").with("file", &file),
        )
    };
    let stem = file.strip_suffix(".pdf").ok_or_else(not_found)?;
    let (year, archival) = match stem.strip_suffix("-arkiv") {
        Some(year) => (year, true),
        None => (stem, false),
    };
    let year = Year::parse(year).map_err(|_| not_found())?;
    let (pdf, _) = yearly_report_pdf(&state, lang, &id, year, archival).await?;
    let name = format!(
        "kvalitet-{id}-{year}{}.pdf",
        if archival { "-arkiv" } else { "" }
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

/// How many years of a measure's series the appendix shows.
const SERIES_YEARS: usize = 10;

/// The words the layout prints, looked up in the document's language.
const REPORT_WORDS: &[&str] = &[
    "pdf_introduction",
    "pdf_summary",
    "pdf_results",
    "pdf_how_to_read",
    "pdf_measure",
    "pdf_figure",
    "pdf_value",
    "pdf_colour",
    "pdf_trend",
    "pdf_mean",
    "pdf_range",
    "pdf_rank",
    "pdf_compared_with",
    "pdf_comment",
    "pdf_without_values",
    "pdf_goals",
    "pdf_goal_official",
    "pdf_goal_suggested",
    "pdf_goal_indicator",
    "pdf_goal_target",
    "pdf_assessments",
    "pdf_appendix",
    "pdf_year",
    "pdf_series_caption",
    "pdf_about",
    "pdf_data_version",
    "pdf_link",
    "pdf_source",
    "mean",
];

/// The yearly report of kommun `id` for `year` as PDF, with its title; the command line's
/// `kvalitet report` makes the same file. An unknown kommun or a year without any value
/// answers 404 (a page, not a PDF error).
pub async fn yearly_report_pdf<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    id: &str,
    year: Year,
    archival: bool,
) -> Result<(Vec<u8>, String), WebError> {
    let Some(typesetter) = state.typesetter.clone() else {
        return Err(WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("pdf_not_built"),
        ));
    };
    let (version, d) = state.directory().await?;
    let document = yearly_report_document(state, lang, version, &d, id, year, archival).await?;
    let title = document.title.clone();
    Ok((set_with(typesetter, state, document).await?, title))
}

/// `document` as PDF by the binary's typesetter; 404 when the binary has none.
pub(crate) async fn typeset<S: Store>(
    state: &AppState<S>,
    document: Document,
) -> Result<Vec<u8>, WebError> {
    let Some(typesetter) = state.typesetter.clone() else {
        return Err(WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("pdf_not_built"),
        ));
    };
    set_with(typesetter, state, document).await
}

async fn set_with<S: Store>(
    typesetter: Arc<dyn kvalitet_app::ports::Typesetter>,
    state: &AppState<S>,
    document: Document,
) -> Result<Vec<u8>, WebError> {
    // Setting a report takes tens of milliseconds of CPU: off the async workers, and no
    // more at once than there are cores.
    let _turn = state
        .typesetting
        .acquire()
        .await
        .map_err(WebError::internal)?;
    tokio::task::spawn_blocking(move || typesetter.typeset(&document))
        .await
        .map_err(WebError::internal)?
        .map_err(|m| WebError::coded(StatusCode::INTERNAL_SERVER_ERROR, m))
}

/// The document of the yearly report: everything it says, as the layout reads it.
async fn yearly_report_document<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    version: Versions,
    d: &Directory,
    id: &str,
    year: Year,
    archival: bool,
) -> Result<Document, WebError> {
    let params = Params {
        year: Some(year),
        ..Params::parse(None)?
    };
    let report = build_report(state, version, d, id, &params).await?;
    let m = report.municipality.id;
    let in_year = |c: &Card| {
        c.comparison.as_ref().is_some_and(|x| x.year == year)
            && c.own(&m).is_some_and(|r| r.value.is_some())
    };
    if !report.areas.iter().flat_map(|a| &a.cards).any(in_year) {
        return Err(WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("report_no_data")
                .with("name", &report.municipality.title)
                .with("year", year),
        ));
    }
    let population_name = lang.say(&report.population_label);
    let headline = report::headline(&report);
    let comments = kvalitet_app::own::comments(&state.store, None, &m).await?;
    let introduction = kvalitet_app::own::introduction(&state.store, &m)
        .await?
        .map(|i| IntroductionView::new(lang, i).paragraphs)
        .unwrap_or_default();
    let name = report.municipality.title.clone();
    // Dated by its data: the latest import of any value it shows, so the same data gives
    // the same file.
    let mut updated: Option<kvalitet_domain::Timestamp> = None;
    let mut areas = Vec::new();
    let mut without_values = Vec::new();
    for area in &report.areas {
        let mut measures = Vec::new();
        for card in &area.cards {
            let view = card_view(lang, d, card, &m, &params, &population_name, &comments);
            let Some(f) = view.figures.filter(|_| in_year(card)) else {
                without_values.push(view.question);
                continue;
            };
            let series = state
                .series(version, card.presentation.measure, params.gender)
                .await
                .map_err(WebError::internal)?;
            updated = updated.max(series.updated_at);
            let p = &card.presentation;
            // The last ten years up to the report's year (the points run in year order):
            // what a page's width holds as a table and a chart with readable years.
            let end = card.points.iter().take_while(|pt| pt.year <= year).count();
            let points = &card.points[end.saturating_sub(SERIES_YEARS)..end];
            let unit_text = unit(lang, p);
            let cell =
                |x: Option<f64>| x.map_or_else(|| "–".to_owned(), |x| lang.number(x, p.decimals));
            measures.push(json!({
                "id": view.id,
                "question": view.question,
                "value": f.value,
                "colour": f.colour,
                "colour_words": f.colour_label,
                "trend_words": f.trend_label,
                "trend": f.trend_text,
                "mean": f.mean.unwrap_or_else(|| "–".into()),
                "range": f.range.map(|r| format!("{} {r}", f.range_label)).unwrap_or_else(|| "–".into()),
                "rank": f.rank.unwrap_or_else(|| "–".into()),
                "compared": f.compared,
                "comment": view.comment,
                "unit": unit_text,
                "chart": chart(points, lang),
                "alt": series_description(lang, &name, points, p, unit_text.as_deref()),
                "own_line": name,
                "series": points.iter().map(|pt| json!({
                    "year": pt.year.get().to_string(),
                    "value": cell(pt.value),
                    "mean": cell(pt.mean),
                })).collect::<Vec<_>>(),
            }));
        }
        if !measures.is_empty() {
            areas.push(json!({
                "title": localized(lang, &area.title, area.title_en.as_deref()),
                "measures": measures,
            }));
        }
    }
    let answer = answer_view(lang, d, &report, &headline, &params);
    let mut summary = vec![answer.sentence];
    for (key, lines) in [
        ("pdf_strongest", &answer.strongest),
        ("pdf_weakest", &answer.weakest),
    ] {
        summary.extend(lines.iter().map(|s| {
            lang.say(
                &Message::new(key)
                    .with("question", &s.question)
                    .with("place", &s.place),
            )
        }));
    }
    let goals = match goals::live_report(state, d, &m, Some(i32::from(year.get()))).await? {
        Some((_, followed)) if followed.year == i32::from(year.get()) => {
            serde_json::to_value(goals::tree(lang, d, &followed)).map_err(WebError::internal)?
        }
        _ => json!([]),
    };
    let rounds = published_rounds(state, lang, &m, year).await?;
    let words: serde_json::Map<String, Value> = REPORT_WORDS
        .iter()
        .map(|&k| (k.to_owned(), json!(lang.t(k))))
        .collect();
    let title = lang.say(
        &Message::new("pdf_title")
            .with("name", &name)
            .with("year", year),
    );
    let link = format!("{}{}/kommun/{m}?ar={year}", state.public_url, lang.base());
    let content = json!({
        "words": words,
        "name": name,
        "year": year.get(),
        "set_title": localized(lang, &report.set_title, report.set_title_en.as_deref()),
        "set_description": localized(lang, &report.set_description, report.set_description_en.as_deref()),
        "population": population_name,
        "introduction": introduction,
        "summary": summary,
        "areas": areas,
        "without_values": without_values,
        "goals": goals,
        "rounds": rounds,
        "data_version": version.data.to_string(),
        "link": link,
    });
    let date = updated.map_or((i32::from(year.get()) + 1, 1, 1), |t| {
        let d = t.date();
        (d.year(), u8::from(d.month()), d.day())
    });
    Ok(Document {
        layout: Layout::YearlyReport,
        title,
        lang: lang.code(),
        date,
        ident: format!("kvalitet/{m}/{year}/{}/{}", lang.code(), version.data),
        archival,
        content,
    })
}

/// A measure's time series as the layout draws it: every point as fractions of the plot
/// (0–1 from the left and from the bottom), the value axis' ticks with their labels, and
/// the years. The numbers are also in the data table beside it and the alt text says what
/// the lines show, so the drawing carries nothing alone.
fn chart(points: &[SeriesPoint], lang: Lang) -> Value {
    let values = points.iter().flat_map(|p| [p.value, p.mean]).flatten();
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || points.len() < 2 {
        return Value::Null;
    }
    let ticks = Ticks::cover(lo, hi, 4, true);
    let span = (ticks.hi - ticks.lo).max(f64::EPSILON);
    let y = |v: f64| ((v - ticks.lo) / span * 1000.0).round() / 1000.0;
    let last = (points.len() - 1) as f64;
    let x = |i: usize| (i as f64 / last * 1000.0).round() / 1000.0;
    let line = |of: fn(&SeriesPoint) -> Option<f64>| {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| of(p).map(|v| json!([x(i), y(v)])))
            .collect::<Vec<_>>()
    };
    json!({
        "own": line(|p| p.value),
        "mean": line(|p| p.mean),
        "ticks": ticks.values().into_iter().map(|t| json!({
            "at": y(t),
            "label": lang.number(t, ticks.decimals),
        })).collect::<Vec<_>>(),
        "years": points.iter().enumerate().map(|(i, p)| json!({
            "at": x(i),
            "label": p.year.get().to_string(),
        })).collect::<Vec<_>>(),
    })
}

/// The year's published assessments (total and area scores) and service measurements (the
/// kommun's figures beside the members' mean and range) as the report's tables: a title, a
/// summary line, a header and rows whose first cell names the row.
async fn published_rounds<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    m: &MunicipalityId,
    year: Year,
) -> Result<Vec<Value>, WebError> {
    let number = |v: f64| lang.number(v, 1);
    let mut out: Vec<Value> = kvalitet_app::assessments::published(
        &state.store,
        Some(*m),
        None,
        None,
    )
    .await?
    .into_iter()
    .filter(|r| r.year == year.get())
    .map(|r| {
        let score_of_max = |score: f64, max: f64| {
            lang.say(
                &Message::new("score_of_max")
                    .with("score", number(score))
                    .with("max", number(max)),
            )
        };
        json!({
            "title": format!("{} ({} {}, {})", r.title, r.framework, r.version, r.year),
            "summary": format!("{}: {}.", lang.t("in_total"), score_of_max(r.total, r.total_max)),
            "header": [lang.t("area"), lang.t("points")],
            "rows": r.areas.iter().map(|a| [
                a.title.clone(),
                a.score.map_or_else(|| "–".to_owned(), |s| score_of_max(s, a.max)),
            ]).collect::<Vec<_>>(),
        })
    })
    .collect();
    for (r, results) in kvalitet_app::service::published_results(&state.store, Some(year)).await? {
        let Some(own) = results.municipalities.iter().find(|f| f.municipality == *m) else {
            continue;
        };
        let rows: Vec<[String; 4]> = FigureKind::ALL
            .iter()
            .filter_map(|k| {
                let f = own.figures.get(k)?;
                let spread = results.spread.get(k);
                let mut value = format!("{} (n {})", number(f.value), f.n);
                if f.unreliable {
                    value = format!("{value} {}", lang.t("uncertain_lower"));
                }
                Some([
                    k.measure().1.to_owned(),
                    value,
                    spread.map_or_else(|| "–".to_owned(), |s| number(s.mean)),
                    spread.map_or_else(
                        || "–".to_owned(),
                        |s| format!("{}–{}", number(s.min), number(s.max)),
                    ),
                ])
            })
            .collect();
        out.push(json!({
            "title": format!("{} ({})", r.title, r.year),
            "summary": "",
            "header": [lang.t("pdf_measure"), lang.t("pdf_value"), lang.t("pdf_mean"), lang.t("pdf_range")],
            "rows": rows,
        }));
    }
    Ok(out)
}
