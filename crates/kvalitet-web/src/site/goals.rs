//! "Så går det för kommunens mål": a municipality's published goals as a tree, each goal with
//! its official status and motivation, the status its indicators suggest (and whether the two
//! differ), and each indicator's signals in words with a line of its values — never a colour
//! alone. Also the follow-up as one report (`goal_report`), the one computation behind this
//! page, the staff pages, the API and a closed period's snapshot; and the page of a closed
//! period, drawn from its snapshot with the values revised since beside it.

use std::collections::HashMap;

use kvalitet_app::goals::Plan;
use kvalitet_domain::goals::{self as g, Official, Progress};
use kvalitet_formats::goal_report::{FollowUpReport, GoalEntry, IndicatorEntry, Revision};

use super::*;

/// A year asked for in `?ar=`, checked.
fn asked_year(raw: Option<&str>) -> Result<Option<i32>, WebError> {
    query_pairs(raw)
        .into_iter()
        .find(|(k, _)| k == "ar")
        .map(|(_, v)| {
            v.parse::<i32>()
                .ok()
                .filter(|y| (1950..=2100).contains(y))
                .ok_or_else(|| {
                    WebError::invalid(Message::new("not_a_year").with("value", format!("{v:?}")))
                })
        })
        .transpose()
}

/// The goal asked for in `?inbadda=` (the embed code the page shows), unchecked: a goal the
/// plan does not have gets the whole plan's code.
fn asked_embed(raw: Option<&str>) -> String {
    query_pairs(raw)
        .into_iter()
        .find(|(k, _)| k == "inbadda")
        .map(|(_, v)| v.chars().take(64).collect())
        .unwrap_or_default()
}

/// `GET /kommun/{id}/mal[?ar=YEAR][&inbadda=GOAL]`: the published goals followed up in a year
/// (by default the latest year any indicator has a value), the closed periods, and the code
/// to embed the goals (or the goal chosen) in another site.
pub async fn goals<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let asked_year = asked_year(raw.as_deref())?;
    let asked_embed = asked_embed(raw.as_deref());
    let key = format!(
        "/kommun/{id}/mal?ar={}&inbadda={asked_embed}",
        asked_year.unwrap_or(0)
    );
    let st = state.clone();
    cached(&state, lang, key, false, |_, d| async move {
        let m = d.kommun(&id)?.id;
        let mut view = GoalsView {
            m: Named::of(&d, &m),
            published: None,
            year: 0,
            goals: Vec::new(),
            periods: period_lines(lang, &st, &m).await?,
            period: None,
            revisions: Vec::new(),
            embed: None,
            oembed: Some(encode(&format!(
                "{}{}/kommun/{m}/mal",
                st.public_url,
                lang.base()
            ))),
            other_path: format!("{}/kommun/{m}/mal", lang.other().base()),
        };
        if let Some((plan, report)) = live_report(&st, &d, &m, asked_year).await? {
            view.year = report.year;
            view.published = plan.stored.published_at.map(|at| at.local_date_text());
            view.goals = tree(lang, &d, &report);
            view.embed = Some(embed_code(
                lang,
                &view.m,
                &view.goals,
                &asked_embed,
                asked_year,
            ));
        }
        Ok(st.render("goals.html", lang, view)?.into_bytes())
    })
    .await
}

/// The embed code of the goals page: the whole plan's widget, or the chosen goal's, and the
/// goals to choose among (a form that works without JavaScript).
fn embed_code(
    lang: Lang,
    m: &Named,
    goals: &[GoalView],
    asked: &str,
    year: Option<i32>,
) -> EmbedCode {
    let chosen = goals.iter().find(|g| g.id == asked);
    let year_query = year.map_or_else(String::new, |y| format!("?ar={y}"));
    let (src, title) = match chosen {
        Some(g) => (
            format!(
                "{}/inbaddning/kommun/{}/mal/{}{year_query}",
                lang.base(),
                m.id,
                encode(&g.id)
            ),
            format!("{} – {}", g.title, m.name),
        ),
        None => (
            format!("{}/inbaddning/kommun/{}/mal{year_query}", lang.base(), m.id),
            lang.say(&Message::new("goals_heading").with("name", &m.name)),
        ),
    };
    EmbedCode {
        choices: goals
            .iter()
            .filter(|g| g.activity.is_none())
            .map(|g| EmbedChoice {
                id: g.id.clone(),
                title: format!("{}{}", "\u{a0}\u{a0}".repeat(g.depth), g.title),
                selected: chosen.is_some_and(|c| c.id == g.id),
            })
            .collect(),
        src,
        title,
        year,
    }
}

/// `GET /inbaddning/kommun/{id}/mal[?ar=YEAR]`: the widget of a municipality's goals for
/// another site: the vision and the council's goals (the plan's first two levels) with their
/// official and suggested status.
pub async fn goals_embed<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    goal_widget(state, lang, id, None, raw).await
}

/// `GET /inbaddning/kommun/{id}/mal/{goal}[?ar=YEAR]`: the widget of one goal: its status,
/// its indicators' signals and its goals one level down.
pub async fn goal_embed<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, goal)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    goal_widget(state, lang, id, Some(goal), raw).await
}

async fn goal_widget<S: Store>(
    state: Arc<AppState<S>>,
    lang: Lang,
    id: String,
    goal: Option<String>,
    raw: Option<String>,
) -> Result<Response, WebError> {
    let asked_year = asked_year(raw.as_deref())?;
    let key = format!(
        "/inbaddning/kommun/{id}/mal/{}?ar={}",
        goal.as_deref().unwrap_or(""),
        asked_year.unwrap_or(0)
    );
    let st = state.clone();
    cached(&state, lang, key, true, |_, d| async move {
        let m = d.kommun(&id)?.id;
        let (all, year) = match live_report(&st, &d, &m, asked_year).await? {
            Some((_, report)) => (tree(lang, &d, &report), report.year),
            None => (Vec::new(), 0),
        };
        let page = format!("{}/kommun/{m}/mal", lang.base());
        let view = match goal {
            None => GoalWidgetView {
                m: Named::of(&d, &m),
                year,
                goal: None,
                goals: all.into_iter().filter(|g| g.depth <= 1).collect(),
                page,
            },
            Some(goal) => {
                let at = all.iter().position(|g| g.id == goal).ok_or_else(|| {
                    WebError::coded(
                        StatusCode::NOT_FOUND,
                        Message::new("goal_not_found").with("id", format!("{goal:?}")),
                    )
                })?;
                let mut below = all.into_iter().skip(at);
                let Some(chosen) = below.next() else {
                    unreachable!("`at` is the position of a goal in `all`")
                };
                let depth = chosen.depth;
                GoalWidgetView {
                    m: Named::of(&d, &m),
                    year,
                    page: format!("{page}#goal-{}", chosen.id),
                    goals: below
                        .take_while(|g| g.depth > depth)
                        .filter(|g| g.depth == depth + 1)
                        .collect(),
                    goal: Some(chosen),
                }
            }
        };
        Ok(st.render("goal-embed.html", lang, view)?.into_bytes())
    })
    .await
}

/// `GET /kommun/{id}/mal/uppfoljning/{code}`: a closed period's follow-up for the council and
/// residents, exactly as its snapshot froze it, with every value revised since listed beside.
pub async fn goal_period<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, code)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let key = format!("/kommun/{id}/mal/uppfoljning/{code}");
    let st = state.clone();
    cached(&state, lang, key, false, |_, d| async move {
        let m = d.kommun(&id)?.id;
        let (stored, frozen) = kvalitet_app::goals::period(&st.store, &m, &code)
            .await?
            .ok_or_else(|| {
                WebError::coded(
                    StatusCode::NOT_FOUND,
                    Message::new("period_not_found").with("code", &code),
                )
            })?;
        let revisions = match live_report(&st, &d, &m, Some(frozen.year)).await? {
            Some((_, now)) => frozen.revisions(&now),
            None => Vec::new(),
        };
        let view = GoalsView {
            m: Named::of(&d, &m),
            published: frozen
                .published
                .as_deref()
                .and_then(|t| kvalitet_domain::Timestamp::parse(t).ok())
                .map(|t| t.local_date_text()),
            year: frozen.year,
            goals: tree(lang, &d, &frozen),
            periods: Vec::new(),
            period: Some(PeriodView {
                code: stored.period.code.clone(),
                title: period_title(lang, &stored.period),
                closes_on: stored.period.closes_on.clone(),
                taken: stored.taken_at.local_text(),
            }),
            embed: None,
            oembed: None,
            revisions: revisions
                .iter()
                .map(|r| revision_line(lang, &d, &frozen, r))
                .collect(),
            other_path: format!(
                "{}/kommun/{m}/mal/uppfoljning/{}",
                lang.other().base(),
                encode(&code)
            ),
        };
        Ok(st.render("goals.html", lang, view)?.into_bytes())
    })
    .await
}

/// `GET /kommun/{id}/mal/uppfoljning/{code}/{uppfoljning.csv|uppfoljning-excel.csv|
/// uppfoljning.xlsx}`: the snapshot as a table, a row per indicator (a goal without
/// indicators has one row), for the council's own reports.
pub async fn goal_period_download<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, code, file)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let not_found = || {
        WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("period_not_found").with("code", &code),
        )
    };
    let kind = match file.as_str() {
        "uppfoljning.csv" => downloads::Kind::Csv,
        "uppfoljning-excel.csv" => downloads::Kind::ExcelCsv,
        "uppfoljning.xlsx" => downloads::Kind::Xlsx,
        "uppfoljning.pdf" | "uppfoljning.odt" => {
            return follow_up_document(&state, lang, &id, &code, file.ends_with(".pdf")).await;
        }
        _ => return Err(not_found()),
    };
    let (_, d) = state.directory().await?;
    let m = d.kommun(&id)?.id;
    let (stored, frozen) = kvalitet_app::goals::period(&state.store, &m, &code)
        .await?
        .ok_or_else(not_found)?;
    let table = follow_up_table(&d, &frozen);
    let about = vec![
        ("Kommun".to_owned(), frozen.name.clone()),
        ("Period".to_owned(), period_title(Lang::Sv, &stored.period)),
        ("Stängd".to_owned(), stored.period.closes_on.clone()),
        (
            "Ögonblicksbild tagen".to_owned(),
            stored.taken_at.to_string(),
        ),
        ("Värden till och med".to_owned(), frozen.year.to_string()),
        (
            "Källa".to_owned(),
            "Kolada och kommunens egna mått, enligt ögonblicksbilden".to_owned(),
        ),
    ];
    Ok(downloads::respond(
        kind,
        &table,
        &format!("mal-{m}-{}", stored.period.code),
        &about,
    ))
}

/// The council's follow-up report of a closed period, as an accessible PDF or as
/// OpenDocument text for the officials to edit: every goal with its judgement and
/// motivation, the suggestion, its indicators' four signals (against the target, trend,
/// pace, position among kommuner), and the values revised since the snapshot as notes.
async fn follow_up_document<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    id: &str,
    code: &str,
    pdf: bool,
) -> Result<Response, WebError> {
    let (version, d) = state.directory().await?;
    let m = d.kommun(id)?.id;
    let (stored, frozen) = kvalitet_app::goals::period(&state.store, &m, code)
        .await?
        .ok_or_else(|| {
            WebError::coded(
                StatusCode::NOT_FOUND,
                Message::new("period_not_found").with("code", code),
            )
        })?;
    let revisions: Vec<String> = match live_report(state, &d, &m, Some(frozen.year)).await? {
        Some((_, now)) => frozen
            .revisions(&now)
            .iter()
            .map(|r| revision_line(lang, &d, &frozen, r))
            .collect(),
        None => Vec::new(),
    };
    let period = period_title(lang, &stored.period);
    let title = lang.say(
        &Message::new("follow_up_title")
            .with("name", &frozen.name)
            .with("period", &period),
    );
    let link = format!(
        "{}{}/kommun/{m}/mal/uppfoljning/{}",
        state.public_url,
        lang.base(),
        encode(code)
    );
    let outline = follow_up_outline(
        lang,
        &title,
        &lang.say(
            &Message::new("goal_period_frozen")
                .with("closes", &stored.period.closes_on)
                .with("taken", stored.taken_at.local_text())
                .with("year", frozen.year),
        ),
        &tree(lang, &d, &frozen),
        &revisions,
        &link,
    );
    let date = stored.taken_at.date();
    let date = (date.year(), u8::from(date.month()), date.day());
    let name = format!("mal-{m}-{}", stored.period.code);
    if !pdf {
        let odt = kvalitet_formats::outline::odt(&outline, date).map_err(WebError::internal)?;
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.oasis.opendocument.text".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.odt\""),
                ),
            ],
            odt,
        )
            .into_response());
    }
    let document = kvalitet_app::ports::Document {
        layout: kvalitet_app::ports::Layout::Outline,
        title,
        lang: lang.code(),
        date,
        ident: format!(
            "kvalitet/{m}/mal/{}/{}/{}",
            stored.period.code,
            lang.code(),
            version.data
        ),
        archival: false,
        content: serde_json::to_value(&outline).map_err(WebError::internal)?,
    };
    let bytes = super::report_pdf::typeset(state, document).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}.pdf\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The follow-up as an outline: the title, what the snapshot is, then a section per goal
/// (its level under its parent's: the tree's depth gives headings without gaps), the
/// revisions, and where the same follow-up is on the web.
fn follow_up_outline(
    lang: Lang,
    title: &str,
    about: &str,
    goals: &[GoalView],
    revisions: &[String],
    link: &str,
) -> kvalitet_formats::outline::Outline {
    use kvalitet_formats::outline::Block;
    let t = |k: &str| lang.t(k).to_owned();
    let mut blocks = vec![
        Block::Heading {
            level: 1,
            text: title.to_owned(),
        },
        Block::Paragraph {
            text: about.to_owned(),
        },
    ];
    if !revisions.is_empty() {
        blocks.push(Block::Heading {
            level: 2,
            text: t("goal_revised_heading"),
        });
        blocks.push(Block::Paragraph {
            text: t("goal_revised_intro"),
        });
        blocks.extend(revisions.iter().map(|r| Block::Note { text: r.clone() }));
    }
    for goal in goals {
        // Activities are listed under their goal, not given headings of their own.
        let level = u8::try_from(goal.depth + 2).unwrap_or(6).min(6);
        blocks.push(Block::Heading {
            level,
            text: format!("{}: {}", goal.level, goal.title),
        });
        if !goal.description.is_empty() {
            blocks.push(Block::Paragraph {
                text: goal.description.clone(),
            });
        }
        let mut facts = Vec::new();
        if !goal.owner.is_empty() {
            facts.push(format!("{}: {}", t("goal_owner"), goal.owner));
        }
        if let Some(due) = &goal.due {
            facts.push(format!("{}: {due}", t("goal_due")));
        }
        match &goal.official {
            Some(o) => {
                facts.push(format!(
                    "{}: {} ({})",
                    t("goal_official"),
                    o.status,
                    lang.say(&Message::new("goal_judged_on").with("date", &o.date))
                ));
                if !o.motivation.is_empty() {
                    facts.push(format!("{}: {}", t("goal_motivation"), o.motivation));
                }
            }
            None => facts.push(t("goal_no_official")),
        }
        if !goal.suggested.is_empty() {
            facts.push(goal.suggested.clone());
        }
        blocks.push(Block::List { items: facts });
        if !goal.indicators.is_empty() {
            let or_dash = |x: &Option<String>| x.clone().unwrap_or_else(|| "–".into());
            blocks.push(Block::Table {
                header: [
                    "goal_indicators_caption",
                    "goal_col_value",
                    "goal_col_target",
                    "goal_col_status",
                    "goal_col_trend",
                    "goal_col_progress",
                    "goal_col_position",
                ]
                .iter()
                .map(|k| t(k))
                .collect(),
                rows: goal
                    .indicators
                    .iter()
                    .map(|i| {
                        vec![
                            i.title.clone(),
                            or_dash(&i.value),
                            or_dash(&i.target),
                            or_dash(&i.status),
                            i.trend.clone(),
                            i.progress.clone(),
                            i.position.as_ref().map_or_else(
                                || "–".to_owned(),
                                |p| match p.rank {
                                    Some(r) => format!("{} ({r})", p.words),
                                    None => p.words.to_owned(),
                                },
                            ),
                        ]
                    })
                    .collect(),
            });
        }
    }
    blocks.push(Block::Paragraph {
        text: format!("{}: {link}", t("pdf_link")),
    });
    kvalitet_formats::outline::Outline {
        title: title.to_owned(),
        lang: lang.code().to_owned(),
        blocks,
    }
}

/// The snapshot's rows: machine codes in the cells (words in the Excel variants' headings).
fn follow_up_table(d: &Directory, report: &FollowUpReport) -> downloads::Table {
    let header: Vec<String> = [
        "goal",
        "parent",
        "level",
        "goal_title",
        "owner",
        "official",
        "motivation",
        "suggested",
        "suggested_score",
        "measure",
        "measure_title",
        "gender",
        "aim",
        "year",
        "value",
        "target_low",
        "target_high",
        "target_status",
        "trend",
        "progress",
        "progress_score",
        "position",
    ]
    .map(str::to_owned)
    .to_vec();
    let numeric: Vec<bool> = header
        .iter()
        .map(|h| {
            matches!(
                h.as_str(),
                "suggested_score"
                    | "year"
                    | "value"
                    | "target_low"
                    | "target_high"
                    | "progress_score"
            )
        })
        .collect();
    let number = |x: Option<f64>| downloads::machine_number(x);
    let mut rows = Vec::new();
    for goal in &report.goals {
        let goal_cells = vec![
            goal.id.clone(),
            goal.parent.clone().unwrap_or_default(),
            goal.level.clone(),
            goal.title.clone(),
            goal.owner.clone(),
            goal.official
                .as_ref()
                .map_or_else(String::new, |o| o.status.clone()),
            goal.official
                .as_ref()
                .map_or_else(String::new, |o| o.motivation.clone()),
            goal.suggested
                .as_ref()
                .map_or_else(String::new, |s| s.category.clone()),
            number(goal.suggested.as_ref().and_then(|s| s.score)),
        ];
        if goal.indicators.is_empty() {
            let mut row = goal_cells.clone();
            row.resize(header.len(), String::new());
            rows.push(row);
        }
        for ind in &goal.indicators {
            let mut row = goal_cells.clone();
            row.extend([
                ind.measure.clone(),
                measure_title(d, ind),
                ind.gender.clone(),
                ind.aim.clone(),
                ind.latest.map_or_else(String::new, |v| v.year.to_string()),
                number(ind.latest.map(|v| v.value)),
                number(ind.target.map(|t| t.low)),
                number(ind.target.map(|t| t.high)),
                ind.target_status.clone().unwrap_or_default(),
                ind.trend.clone().unwrap_or_default(),
                ind.progress
                    .as_ref()
                    .map_or_else(String::new, |p| p.category.clone()),
                number(ind.progress.as_ref().and_then(|p| p.score)),
                ind.position
                    .as_ref()
                    .map_or_else(String::new, |p| p.colour.clone()),
            ]);
            rows.push(row);
        }
    }
    downloads::Table {
        title: format!("Måluppföljning {} {}", report.name, report.year),
        header,
        rows,
        numeric,
    }
}

fn measure_title(d: &Directory, ind: &IndicatorEntry) -> String {
    MeasureId::parse(&ind.measure)
        .ok()
        .and_then(|id| d.measures.get(&id))
        .map_or_else(|| ind.measure.clone(), |x| x.title.clone())
}

/// "Delårsrapport 2025" or the kind's name with the year when the period has no title.
fn period_title(lang: Lang, p: &g::Period) -> String {
    if p.title.is_empty() {
        format!(
            "{} {}",
            lang.t(&format!("period_kind.{}", p.kind.code())),
            p.year
        )
    } else {
        p.title.clone()
    }
}

/// The closed periods of `m`, latest first, for links.
async fn period_lines<S: Store>(
    lang: Lang,
    state: &AppState<S>,
    m: &MunicipalityId,
) -> Result<Vec<PeriodView>, WebError> {
    Ok(kvalitet_app::goals::periods(&state.store, m)
        .await?
        .iter()
        .map(|p| PeriodView {
            code: p.period.code.clone(),
            title: period_title(lang, &p.period),
            closes_on: p.period.closes_on.clone(),
            taken: p.taken_at.local_text(),
        })
        .collect())
}

fn revision_line(lang: Lang, d: &Directory, frozen: &FollowUpReport, r: &Revision) -> String {
    let goal = frozen
        .goals
        .iter()
        .find(|g| g.id == r.goal)
        .map_or(r.goal.as_str(), |g| g.title.as_str());
    let decimals = MeasureId::parse(&r.measure)
        .ok()
        .and_then(|id| d.measures.get(&id))
        .map_or(1, |x| d.presentation(x).decimals);
    let shown = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| lang.number(v, decimals));
    let title = MeasureId::parse(&r.measure)
        .ok()
        .and_then(|id| d.measures.get(&id))
        .map_or_else(|| r.measure.clone(), |x| x.title.clone());
    lang.say(
        &Message::new("goal_revision")
            .with("goal", goal)
            .with("measure", title)
            .with("year", r.year)
            .with("frozen", shown(r.frozen))
            .with("now", shown(r.now)),
    )
}

/// The published plan of `m` followed up in `year` (default: the latest with a value) as its
/// report, with the plan; none without a published plan.
pub(crate) async fn live_report<S: Store>(
    state: &AppState<S>,
    d: &Directory,
    m: &MunicipalityId,
    year: Option<i32>,
) -> Result<Option<(Plan, FollowUpReport)>, WebError> {
    let Some(plan) = kvalitet_app::goals::plan(&state.store, None, m, false).await? else {
        return Ok(None);
    };
    let report = plan_report(state, d, m, &plan, year).await?;
    Ok(Some((plan, report)))
}

/// `plan` of `m` (published or a draft) followed up in `year` (default: the latest with a
/// value) as its report (see `kvalitet_app::goals::plan_report`).
pub(crate) async fn plan_report<S: Store>(
    state: &AppState<S>,
    d: &Directory,
    m: &MunicipalityId,
    plan: &Plan,
    year: Option<i32>,
) -> Result<FollowUpReport, WebError> {
    Ok(kvalitet_app::goals::plan_report(&state.store, d, m, plan, year).await?)
}

/// The goals of a report in the plan's order, each after its parent, with its depth for the
/// outline.
pub(crate) fn tree(lang: Lang, d: &Directory, report: &FollowUpReport) -> Vec<GoalView> {
    let mut children: HashMap<Option<&str>, Vec<&GoalEntry>> = HashMap::new();
    for goal in &report.goals {
        children
            .entry(goal.parent.as_deref())
            .or_default()
            .push(goal);
    }
    let mut out = Vec::new();
    let mut stack: Vec<(&GoalEntry, usize)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|goal| (*goal, 0)).collect())
        .unwrap_or_default();
    while let Some((goal, depth)) = stack.pop() {
        out.push(goal_view(lang, d, goal, depth));
        if let Some(kids) = children.get(&Some(goal.id.as_str())) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    out
}

fn goal_view(lang: Lang, d: &Directory, goal: &GoalEntry, depth: usize) -> GoalView {
    let suggested = goal
        .suggested
        .as_ref()
        .and_then(|s| Progress::parse(&s.category).map(|p| (p, s)));
    let official = goal
        .official
        .as_ref()
        .and_then(|o| Official::parse(&o.status).map(|status| (status, o)));
    GoalView {
        id: goal.id.clone(),
        depth: depth.min(6),
        level: g::Level::parse(&goal.level)
            .map_or("", |l| lang.t(&format!("goal_level.{}", l.code()))),
        title: goal.title.clone(),
        description: goal.description.clone(),
        owner: goal.owner.clone(),
        activity: goal
            .state
            .as_deref()
            .and_then(g::ActivityState::parse)
            .map(|st| lang.t(&format!("activity.{}", st.code()))),
        due: goal.due.clone(),
        official: official.map(|(status, o)| OfficialView {
            status: lang.t(&format!("official.{}", status.code())),
            shape: official_shape(status),
            motivation: o.motivation.clone(),
            date: kvalitet_domain::Timestamp::parse(&o.set_at)
                .map_or_else(|_| o.set_at.clone(), |t| t.local_date_text()),
        }),
        suggested: suggested.map_or_else(String::new, |(p, s)| {
            lang.say(
                &Message::new("goal_suggested")
                    .with("category", lang.t(&format!("progress.{}", p.code())))
                    .with("counted", s.counted)
                    .with("all", s.counted + s.left_out),
            )
        }),
        suggested_shape: suggested.map_or("", |(p, _)| progress_shape(p)),
        suggested_official: suggested.map(|(p, _)| Official::reading_of(p).code()),
        score: suggested
            .and_then(|(_, s)| s.score)
            .map(|x| lang.number(x, 1)),
        differs: matches!((official, suggested), (Some((o, _)), Some((p, _))) if o != Official::reading_of(p)),
        indicators: goal
            .indicators
            .iter()
            .map(|i| indicator_view(lang, d, i))
            .collect(),
    }
}

fn indicator_view(lang: Lang, d: &Directory, i: &IndicatorEntry) -> IndicatorView {
    let measure = MeasureId::parse(&i.measure)
        .ok()
        .and_then(|id| d.measures.get(&id));
    let decimals = measure.map_or(1, |x| d.presentation(x).decimals);
    let fmt = |v: f64| lang.number(v, decimals);
    let word = |prefix: &str, code: &Option<String>| {
        code.as_deref()
            .map(|c| lang.t(&format!("{prefix}.{c}")).to_owned())
    };
    let progress = i
        .progress
        .as_ref()
        .and_then(|p| Progress::parse(&p.category))
        .unwrap_or(Progress::NotAssessable);
    let colour = i.position.as_ref().and_then(|p| match p.colour.as_str() {
        "green" => Some(Colour::Green),
        "yellow" => Some(Colour::Yellow),
        "red" => Some(Colour::Red),
        _ => None,
    });
    IndicatorView {
        id: i.measure.clone(),
        title: measure.map_or_else(|| i.measure.clone(), |x| x.title.clone()),
        linked: measure.is_some(),
        value: i.latest.map(|v| format!("{} ({})", fmt(v.value), v.year)),
        target: i.target.map(|t| {
            if t.low == t.high {
                fmt(t.low)
            } else {
                format!("{}–{}", fmt(t.low), fmt(t.high))
            }
        }),
        status: word("target_status", &i.target_status),
        trend: word("goal_trend", &i.trend).unwrap_or_default(),
        trend_base: lang.t(&format!("trend_base.{}", i.trend_base)).to_owned(),
        progress: lang.t(&format!("progress.{}", progress.code())).to_owned(),
        shape: progress_shape(progress),
        position: colour.map(|c| PositionView {
            colour: c.code(),
            words: lang.t(&format!("colour.{}", c.code())),
            rank: i.position.as_ref().and_then(|p| p.rank),
            badge: charts::badge_icon(c),
        }),
        spark: indicator_line(lang, i),
    }
}

/// The indicator's values against its target path, as a sparkline whose label says the same
/// in words (the table beside it has the numbers).
fn indicator_line(lang: Lang, i: &IndicatorEntry) -> String {
    let (Some(first), Some(last)) = (i.values.first(), i.values.last()) else {
        return String::new();
    };
    let value_in = |y: i32| i.values.iter().find(|v| v.year == y).map(|v| v.value);
    let target_in = |y: i32| {
        i.targets
            .iter()
            .rev()
            .find(|t| t.year <= y)
            .map(|t| (t.low + t.high) / 2.0)
    };
    let points: Vec<SeriesPoint> = (first.year..=last.year)
        .filter_map(|y| {
            Some(SeriesPoint {
                year: Year::new(i64::from(y)).ok()?,
                value: value_in(y),
                mean: target_in(y),
                worst: None,
                best: None,
                q1: None,
                q3: None,
                riket: None,
                n: 0,
            })
        })
        .collect();
    let label = lang.say(
        &Message::new("goal_spark")
            .with("from", first.year)
            .with("to", last.year),
    );
    charts::sparkline(&points, &label)
}

/// A shape per category, so a status reads without colour: ● on track/achieved, ◐ needs
/// acceleration, ◔ limited, ○ deterioration, – not assessable.
fn progress_shape(p: Progress) -> &'static str {
    match p {
        Progress::Achieved | Progress::OnTrack => "●",
        Progress::AccelerationNeeded => "◐",
        Progress::LimitedProgress => "◔",
        Progress::Deterioration => "○",
        Progress::NotAssessable => "–",
    }
}

pub(crate) fn official_shape(o: Official) -> &'static str {
    match o {
        Official::Fulfilled => "●",
        Official::PartlyFulfilled => "◐",
        Official::NotFulfilled => "○",
        Official::CannotAssess => "–",
    }
}

#[derive(Serialize)]
struct GoalsView {
    m: Named,
    /// The day the plan was published; none when there is no published plan.
    published: Option<String>,
    year: i32,
    goals: Vec<GoalView>,
    /// The closed periods, on the live page.
    periods: Vec<PeriodView>,
    /// The period shown, on a period's page.
    period: Option<PeriodView>,
    /// Values revised since the period's snapshot, in words.
    revisions: Vec<String>,
    /// The code to embed the goals in another site, on the live page.
    embed: Option<EmbedCode>,
    /// The live page's own address for its oEmbed link.
    oembed: Option<String>,
    other_path: String,
}

#[derive(Serialize)]
struct EmbedCode {
    choices: Vec<EmbedChoice>,
    /// The widget's path (the origin is the template's).
    src: String,
    title: String,
    /// The year asked for, kept when another goal is chosen.
    year: Option<i32>,
}

#[derive(Serialize)]
struct EmbedChoice {
    id: String,
    title: String,
    selected: bool,
}

#[derive(Serialize)]
struct GoalWidgetView {
    m: Named,
    year: i32,
    /// The goal of a goal's widget; none in the plan's.
    goal: Option<GoalView>,
    /// The plan's first two levels, or the goal's goals one level down.
    goals: Vec<GoalView>,
    /// The goals page (at the goal), for "more".
    page: String,
}

#[derive(Serialize)]
struct PeriodView {
    code: String,
    title: String,
    closes_on: String,
    taken: String,
}

#[derive(Serialize)]
pub(crate) struct GoalView {
    pub id: String,
    pub depth: usize,
    level: &'static str,
    pub title: String,
    description: String,
    owner: String,
    activity: Option<&'static str>,
    due: Option<String>,
    official: Option<OfficialView>,
    suggested: String,
    suggested_shape: &'static str,
    /// The official status the suggestion reads as (the judging form's default).
    pub suggested_official: Option<&'static str>,
    score: Option<String>,
    /// The official status reads otherwise than the suggestion.
    differs: bool,
    indicators: Vec<IndicatorView>,
}

#[derive(Serialize)]
struct OfficialView {
    status: &'static str,
    shape: &'static str,
    motivation: String,
    date: String,
}

#[derive(Serialize)]
struct IndicatorView {
    id: String,
    title: String,
    linked: bool,
    value: Option<String>,
    target: Option<String>,
    status: Option<String>,
    trend: String,
    trend_base: String,
    progress: String,
    shape: &'static str,
    position: Option<PositionView>,
    /// The values of the latest years (solid) against the target path (dashed), as SVG.
    spark: String,
}

#[derive(Serialize)]
struct PositionView {
    colour: &'static str,
    words: &'static str,
    rank: Option<usize>,
    badge: &'static str,
}
