//! Sveriges Kvalitetskommun after the screening (docs/reports.md): a kommun's dossier in the
//! jury's order (results and efficiency, finances, HME, Kommunkompassen, its four
//! descriptions) as a page, a PDF and an .odt; the staff page where its editors write the
//! descriptions; the jury's page for system administrators (nominees side by side, scores
//! and notes per criterion, publishing) and the published result.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use kvalitet_app::Store;
use kvalitet_app::award as award_app;
use kvalitet_app::ports::{AwardYear, Document, JuryScore, Layout, SessionRecord, StoredNarrative};
use kvalitet_app::report::Directory;
use kvalitet_domain::access::{Action, Grants};
use kvalitet_domain::award::{self, Criterion, Theme};
use kvalitet_domain::{Message, MunicipalityId, Year};
use kvalitet_formats::outline::{Block, Outline};

use crate::auth::{redirect, render_private};
use crate::extract::{Change, PageLang, Session};
use crate::forms::{Failed, answered, notice_of};
use crate::i18n::Lang;
use crate::{AppState, WebError};

/// The dimension of the screening set that the dossier puts under finances (the shipped
/// set's "Ekonomi": nettokostnadsavvikelse, resultat, soliditet); every other dimension goes
/// under results and efficiency.
pub const FINANCE_DIMENSION: &str = "Ekonomi";

/// HME in Kolada for the whole kommun: the total index and its three parts (domain.md).
const HME_MEASURES: [&str; 4] = ["U00200", "U00201", "U00202", "U00203"];

/// How many years of HME the dossier shows.
const HME_YEARS: usize = 4;

fn year_of(text: &str) -> Result<Year, WebError> {
    Year::parse(text).map_err(|_| {
        WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("award_not_public").with("year", text),
        )
    })
}

fn kommun_of(d: &Directory, id: &str) -> Result<MunicipalityId, WebError> {
    Ok(d.kommun(id)?.id)
}

/// The dossier of kommun `m` for the award `year` as an outline: what the page, the PDF and
/// the .odt show, in the jury's order.
async fn dossier<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    version: kvalitet_app::ports::Versions,
    d: &Directory,
    m: &MunicipalityId,
    year: Year,
    narratives: &[StoredNarrative],
) -> Result<Outline, WebError> {
    let t = |k: &str| lang.t(k).to_owned();
    let name = d.name(m);
    let title = lang.say(
        &Message::new("award_dossier_title")
            .with("year", year)
            .with("name", &name),
    );
    let mut blocks = vec![Block::Heading {
        level: 1,
        text: title.clone(),
    }];
    // Results, efficiency and finances: the screening's latest year, the figures split by
    // the finance dimension.
    let set = &state.screening.read.set;
    let screened = kvalitet_app::screening::screen(&state.store, d, &state.screening.read, None)
        .await
        .ok();
    let breakdown = screened
        .as_ref()
        .and_then(|s| s.screening.breakdown(m).map(|b| (s.screening.year, b)));
    blocks.push(Block::Paragraph {
        text: lang.say(
            &Message::new("award_dossier_about")
                .with(
                    "set",
                    crate::site::localized(lang, &set.title, set.title_en.as_deref()),
                )
                .with(
                    "data_year",
                    breakdown.map_or_else(|| "–".to_owned(), |(y, _)| y.to_string()),
                )
                .with("version", version.data),
        ),
    });
    for (criterion, finance) in [(Criterion::Results, false), (Criterion::Finances, true)] {
        blocks.push(Block::Heading {
            level: 2,
            text: t(&format!("award_criterion.{}", criterion.code())),
        });
        let Some((data_year, b)) = breakdown else {
            blocks.push(Block::Paragraph {
                text: t("award_no_screening"),
            });
            continue;
        };
        if !finance {
            let number = |x: Option<f64>| x.map_or_else(|| "–".to_owned(), |x| lang.number(x, 1));
            blocks.push(Block::Paragraph {
                text: lang.say(
                    &Message::new("award_dossier_scores")
                        .with("level", number(b.level))
                        .with(
                            "level_rank",
                            b.level_rank
                                .map_or_else(|| "–".to_owned(), |r| r.to_string()),
                        )
                        .with("improvement", number(b.improvement))
                        .with(
                            "improvement_rank",
                            b.improvement_rank
                                .map_or_else(|| "–".to_owned(), |r| r.to_string()),
                        ),
                ),
            });
        }
        let rows: Vec<Vec<String>> = set
            .measures
            .iter()
            .zip(&b.figures)
            .filter(|(sm, _)| (sm.dimension == FINANCE_DIMENSION) == finance)
            .map(|(sm, f)| {
                let (question, decimals) = d.measures.get(&sm.measure).map_or_else(
                    || (sm.measure.to_string(), 1),
                    |x| {
                        let p = d.presentation(x);
                        (
                            crate::site::localized(lang, &p.question, p.question_en.as_deref()),
                            p.decimals,
                        )
                    },
                );
                let or_dash = |x: Option<String>| x.unwrap_or_else(|| "–".into());
                vec![
                    question,
                    or_dash(f.value.map(|v| lang.number(v, decimals))),
                    or_dash(f.level.map(|v| lang.number(v, 1))),
                    or_dash(f.slope.map(|v| lang.number(v, decimals.max(1) + 1))),
                    or_dash(f.improvement.map(|v| lang.number(v, 1))),
                ]
            })
            .collect();
        if rows.is_empty() {
            blocks.push(Block::Paragraph {
                text: t("award_no_figures"),
            });
        } else {
            blocks.push(Block::Table {
                header: vec![
                    t("award_col_figure"),
                    format!("{} {data_year}", t("award_col_value")),
                    t("award_col_level"),
                    t("award_col_slope"),
                    t("award_col_improvement"),
                ],
                rows,
            });
        }
    }
    // The employer's results: HME from Kolada, the latest years.
    blocks.push(Block::Heading {
        level: 2,
        text: t("award_criterion.hme"),
    });
    let mut hme_rows = Vec::new();
    let mut hme_years: Vec<Year> = Vec::new();
    let mut hme_series = Vec::new();
    for id in HME_MEASURES {
        let Some(measure) = kvalitet_domain::MeasureId::parse(id)
            .ok()
            .and_then(|id| d.measures.get(&id))
        else {
            continue;
        };
        let series = state
            .series(version, measure.id, kvalitet_domain::Gender::Total)
            .await
            .map_err(WebError::internal)?;
        let values: Vec<(Year, f64)> = series
            .years
            .iter()
            .filter(|y| **y < year)
            .filter_map(|y| series.number(m, *y).map(|v| (*y, v)))
            .collect();
        hme_years.extend(values.iter().map(|(y, _)| *y));
        hme_series.push((measure, values));
    }
    hme_years.sort_unstable();
    hme_years.dedup();
    let shown_years: Vec<Year> = hme_years
        .iter()
        .rev()
        .take(HME_YEARS)
        .rev()
        .copied()
        .collect();
    for (measure, values) in &hme_series {
        let p = d.presentation(measure);
        let mut row = vec![crate::site::localized(
            lang,
            &p.question,
            p.question_en.as_deref(),
        )];
        row.extend(shown_years.iter().map(|y| {
            values
                .iter()
                .find(|(vy, _)| vy == y)
                .map_or_else(|| "–".to_owned(), |(_, v)| lang.number(*v, 0))
        }));
        hme_rows.push(row);
    }
    if shown_years.is_empty() {
        blocks.push(Block::Paragraph {
            text: t("award_no_hme"),
        });
    } else {
        let mut header = vec![t("award_col_index")];
        header.extend(shown_years.iter().map(ToString::to_string));
        blocks.push(Block::Table {
            header,
            rows: hme_rows,
        });
    }
    // Kommunkompassen: the latest published round.
    blocks.push(Block::Heading {
        level: 2,
        text: t("award_criterion.kommunkompassen"),
    });
    let compass = kvalitet_app::assessments::published(&state.store, Some(*m), None, None)
        .await
        .map_err(|e| WebError::internal(e.to_string()))?
        .into_iter()
        .filter(|r| r.framework.starts_with("kommunkompassen"))
        .max_by_key(|r| r.year);
    match compass {
        Some(r) => {
            blocks.push(Block::Paragraph {
                text: lang.say(
                    &Message::new("award_compass_total")
                        .with("title", &r.title)
                        .with("year", r.year)
                        .with("total", lang.number(r.total, 0))
                        .with("max", lang.number(r.total_max, 0)),
                ),
            });
            blocks.push(Block::Table {
                header: vec![
                    t("award_col_area"),
                    t("award_col_points"),
                    t("award_col_max"),
                ],
                rows: r
                    .areas
                    .iter()
                    .map(|a| {
                        vec![
                            a.title.clone(),
                            a.score.map_or_else(|| "–".into(), |s| lang.number(s, 0)),
                            lang.number(a.max, 0),
                        ]
                    })
                    .collect(),
            });
        }
        None => blocks.push(Block::Paragraph {
            text: t("award_no_compass"),
        }),
    }
    // The four descriptions.
    blocks.push(Block::Heading {
        level: 2,
        text: t("award_criterion.beskrivningar"),
    });
    for theme in Theme::ALL {
        blocks.push(Block::Heading {
            level: 3,
            text: t(&format!("award_theme.{}", theme.code())),
        });
        match narratives.iter().find(|n| n.theme == *theme) {
            Some(n) if !n.body.is_empty() => {
                blocks.extend(
                    n.body
                        .split("\n\n")
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(|p| Block::Paragraph { text: p.to_owned() }),
                );
                if !n.evidence.is_empty() {
                    blocks.push(Block::Paragraph {
                        text: t("award_evidence"),
                    });
                    blocks.push(Block::List {
                        items: n
                            .evidence
                            .iter()
                            .map(|e| {
                                let link = if e.link.starts_with('/') {
                                    format!("{}{}", state.public_url, e.link)
                                } else {
                                    e.link.clone()
                                };
                                if e.title == e.link {
                                    link
                                } else {
                                    format!("{}: {link}", e.title)
                                }
                            })
                            .collect(),
                    });
                }
            }
            _ => blocks.push(Block::Paragraph {
                text: t("award_not_written"),
            }),
        }
    }
    Ok(Outline {
        title,
        lang: lang.code().to_owned(),
        blocks,
    })
}

/// The descriptions of `m` for `year` for the person asking (a session or none), or the
/// refusal: the kommun's people and system administrators always, everyone once published.
async fn visible_narratives<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
    m: &MunicipalityId,
    year: Year,
) -> Result<(Vec<StoredNarrative>, Option<SessionRecord>), WebError> {
    let session = state.current_session(headers).await?;
    let grants = session.as_ref().map(|s| &s.user.grants);
    let narratives = award_app::narratives(&state.store, grants, m, year).await?;
    Ok((narratives, session))
}

#[derive(Serialize)]
struct DossierView {
    outline: Outline,
    id: String,
    year: i16,
    /// The person may write the descriptions (a link to the staff page).
    can_edit: bool,
    other_path: String,
}

/// `GET /kvalitetskommun/underlag/{year}/{id}`: the dossier as a page. Never kept in the page
/// cache: until the year is published it is the kommun's and the jury's only.
pub async fn dossier_page<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((year, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let year = year_of(&year)?;
    let (version, d) = state.directory().await?;
    let m = kommun_of(&d, &id)?;
    let (narratives, session) = visible_narratives(&state, &headers, &m, year).await?;
    let outline = dossier(&state, lang, version, &d, &m, year, &narratives).await?;
    let view = DossierView {
        outline,
        id: m.to_string(),
        year: year.get(),
        can_edit: session
            .as_ref()
            .is_some_and(|s| s.user.grants.allows(Action::EditMeasures, &m)),
        other_path: format!(
            "{}/kvalitetskommun/underlag/{year}/{m}",
            lang.other().base()
        ),
    };
    let body = state.render("award-dossier.html", lang, view)?;
    Ok(crate::auth::private_page(body, StatusCode::OK))
}

/// `GET /kvalitetskommun/underlag/{year}/{id}/underlag.pdf|underlag.odt`: the dossier as an
/// accessible PDF, or as OpenDocument text.
pub async fn dossier_file<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((year, id, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let pdf = match file.as_str() {
        "underlag.pdf" => true,
        "underlag.odt" => false,
        _ => {
            return Err(WebError::coded(
                StatusCode::NOT_FOUND,
                Message::new("no_download").with("file", &file),
            ));
        }
    };
    let year = year_of(&year)?;
    let (version, d) = state.directory().await?;
    let m = kommun_of(&d, &id)?;
    let (narratives, _) = visible_narratives(&state, &headers, &m, year).await?;
    let outline = dossier(&state, lang, version, &d, &m, year, &narratives).await?;
    // Dated by its latest description (or the first day of the award year): the same
    // texts and data give the same file.
    let date = narratives
        .iter()
        .map(|n| n.saved_at)
        .max()
        .map(|t| {
            let d = t.date();
            (d.year(), u8::from(d.month()), d.day())
        })
        .unwrap_or((i32::from(year.get()), 1, 1));
    let name = format!("kvalitetskommun-{year}-{m}");
    let private = [(header::CACHE_CONTROL, "private, no-store".to_owned())];
    if !pdf {
        let odt = kvalitet_formats::outline::odt(&outline, date).map_err(WebError::internal)?;
        return Ok((
            private,
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
    let document = Document {
        layout: Layout::Outline,
        title: outline.title.clone(),
        lang: lang.code(),
        date,
        ident: format!(
            "kvalitet/kvalitetskommun/{year}/{m}/{}/{}",
            lang.code(),
            version.data
        ),
        archival: false,
        content: serde_json::to_value(&outline).map_err(WebError::internal)?,
    };
    let bytes = crate::site::typeset(&state, document).await?;
    Ok((
        private,
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

/// One description's form.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct NarrativeFields {
    theme: String,
    body: String,
    evidence: String,
}

#[derive(Serialize)]
struct NarrativeForm {
    /// The form's id prefix: the theme's code.
    form: &'static str,
    theme: &'static str,
    title: String,
    body: String,
    evidence: String,
    saved: Option<String>,
}

#[derive(Serialize)]
struct NarrativesView<'a> {
    m: crate::site::Named,
    year: i16,
    csrf: &'a str,
    notice: Option<String>,
    forms: Vec<NarrativeForm>,
    published: bool,
    max_chars: usize,
    max_evidence: usize,
    failed: Option<Failed>,
    other_path: String,
}

/// `GET /admin/kommun/{id}/kvalitetskommun/{year}`: the four descriptions to write, each
/// with its evidence links.
pub async fn narratives_page<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, year)): Path<(String, String)>,
    Session(session): Session,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, WebError> {
    let m = crate::admin::municipality(lang, &session, &id, Action::EditMeasures)?;
    let year = year_of(&year)?;
    narratives_view(
        &state,
        lang,
        &session,
        &m,
        year,
        notice_of(lang, raw.as_deref()),
        None,
    )
    .await
}

async fn narratives_view<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    m: &MunicipalityId,
    year: Year,
    notice: Option<String>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let (_, d) = state.directory().await?;
    let saved = award_app::narratives(&state.store, Some(&session.user.grants), m, year).await?;
    let published = state
        .store
        .award_year(year)
        .await
        .map_err(WebError::internal)?
        .is_some_and(|y| y.published.is_some());
    let forms = Theme::ALL
        .iter()
        .map(|theme| {
            let n = saved.iter().find(|n| n.theme == *theme);
            NarrativeForm {
                form: theme.code(),
                theme: theme.code(),
                title: lang.t(&format!("award_theme.{}", theme.code())).to_owned(),
                body: n.map(|n| n.body.clone()).unwrap_or_default(),
                evidence: n
                    .map(|n| award::evidence_text(&n.evidence))
                    .unwrap_or_default(),
                saved: n.map(|n| {
                    lang.say(
                        &Message::new("award_saved_by")
                            .with("who", &n.saved_by)
                            .with("at", n.saved_at.local_text()),
                    )
                }),
            }
        })
        .collect();
    let sent_back = failed.is_some();
    let view = NarrativesView {
        m: crate::site::Named::of(&d, m),
        year: year.get(),
        csrf: &session.csrf_token,
        notice,
        forms,
        published,
        max_chars: award::MAX_NARRATIVE_CHARS,
        max_evidence: award::MAX_EVIDENCE,
        failed,
        other_path: format!(
            "{}/admin/kommun/{m}/kvalitetskommun/{year}",
            lang.other().base()
        ),
    };
    let response = render_private(state, lang, session, "award-narratives.html", view);
    Ok(answered(response, sent_back))
}

/// `POST /admin/kommun/{id}/kvalitetskommun/{year}`: saves one description; or its form
/// back with each problem beside its field and the text as typed.
pub async fn save_narrative<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, year)): Path<(String, String)>,
    change: Change<NarrativeFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let m = crate::admin::municipality(lang, session, &id, Action::EditMeasures)?;
    let year = year_of(&year)?;
    let saved = award_app::save_narrative(
        &state.store,
        &session.user.grants,
        &m,
        year,
        &f.theme,
        &f.body,
        &f.evidence,
        &state.actor(session),
    )
    .await;
    match saved {
        Ok(()) => {
            state.invalidate_version();
            Ok(redirect(
                &format!(
                    "{}/admin/kommun/{m}/kvalitetskommun/{year}?klart=sparad#{}",
                    lang.base(),
                    f.theme
                ),
                &[],
            ))
        }
        Err(refusal) => {
            let problems = refusal.into_problems()?;
            let form = Theme::parse(&f.theme).map_or("digitalisering", |t| t.code());
            let failed = Failed::new(lang, form, f, &problems);
            narratives_view(&state, lang, session, &m, year, None, Some(failed)).await
        }
    }
}

/// A nominee's line on the jury's page: the dossier's headline figures side by side.
#[derive(Serialize)]
struct NomineeLine {
    id: String,
    name: String,
    level: String,
    level_rank: String,
    improvement_rank: String,
    finance: String,
    /// Each criterion: the jurors' mean, and this juror's own score and note.
    criteria: Vec<CriterionCell>,
}

#[derive(Serialize)]
struct CriterionCell {
    code: &'static str,
    title: String,
    mean: String,
    /// Every juror's score and note; the jurors numbered, not named, on the public page.
    scores: Vec<ScoreLine>,
    mine: Option<u8>,
    my_note: String,
}

#[derive(Serialize)]
struct ScoreLine {
    juror: String,
    score: u8,
    note: String,
}

/// The nominees side by side with their scores. Jurors are named on the jury's own page and
/// numbered on the public one (no addresses on public pages).
async fn nominee_lines<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    d: &Directory,
    award: &AwardYear,
    scores: &[JuryScore],
    me: Option<&str>,
) -> Vec<NomineeLine> {
    let screened = kvalitet_app::screening::screen(&state.store, d, &state.screening.read, None)
        .await
        .ok();
    let set = &state.screening.read.set;
    let finance_index = set
        .dimensions()
        .iter()
        .position(|(name, _, _)| name == FINANCE_DIMENSION);
    let mut jurors: Vec<&str> = scores.iter().map(|s| s.juror.as_str()).collect();
    jurors.sort_unstable();
    jurors.dedup();
    let juror_name = |who: &str| match me {
        Some(_) => who.to_owned(),
        None => lang.say(&Message::new("award_juror_n").with(
            "n",
            jurors.iter().position(|j| *j == who).map_or(0, |i| i + 1),
        )),
    };
    let dash = || "–".to_owned();
    award
        .nominees
        .iter()
        .map(|m| {
            let b = screened.as_ref().and_then(|s| s.screening.breakdown(m));
            NomineeLine {
                id: m.to_string(),
                name: d.name(m),
                level: b
                    .and_then(|b| b.level)
                    .map_or_else(dash, |x| lang.number(x, 1)),
                level_rank: b
                    .and_then(|b| b.level_rank)
                    .map_or_else(dash, |r| r.to_string()),
                improvement_rank: b
                    .and_then(|b| b.improvement_rank)
                    .map_or_else(dash, |r| r.to_string()),
                finance: b
                    .zip(finance_index)
                    .and_then(|(b, i)| b.dimensions.get(i))
                    .and_then(|x| x.level)
                    .map_or_else(dash, |x| lang.number(x, 1)),
                criteria: Criterion::ALL
                    .iter()
                    .map(|c| {
                        let of: Vec<&JuryScore> = scores
                            .iter()
                            .filter(|s| s.municipality == *m && s.criterion == *c)
                            .collect();
                        let mine = me.and_then(|me| of.iter().find(|s| s.juror == me));
                        CriterionCell {
                            code: c.code(),
                            title: lang.t(&format!("award_criterion.{}", c.code())).to_owned(),
                            mean: award::mean_score(of.iter().map(|s| s.score))
                                .map_or_else(dash, |x| lang.number(x, 1)),
                            scores: of
                                .iter()
                                .map(|s| ScoreLine {
                                    juror: juror_name(&s.juror),
                                    score: s.score,
                                    note: s.note.clone(),
                                })
                                .collect(),
                            mine: mine.map(|s| s.score),
                            my_note: mine.map(|s| s.note.clone()).unwrap_or_default(),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

#[derive(Serialize)]
struct JuryView<'a> {
    year: i16,
    csrf: &'a str,
    notice: Option<String>,
    nominees_text: String,
    nominees: Vec<NomineeLine>,
    published: Option<String>,
    scale: Vec<u8>,
    failed: Option<Failed>,
    other_path: String,
}

fn system_admin(lang: Lang, grants: &Grants) -> Result<(), WebError> {
    if grants.system_admin {
        Ok(())
    } else {
        Err(WebError::forbidden(lang.t("role_too_low")))
    }
}

/// `GET /admin/kvalitetskommun/{year}`: the jury's page, for system administrators.
pub async fn jury_page<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(year): Path<String>,
    Session(session): Session,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, WebError> {
    system_admin(lang, &session.user.grants)?;
    let year = year_of(&year)?;
    jury_view(
        &state,
        lang,
        &session,
        year,
        notice_of(lang, raw.as_deref()),
        None,
    )
    .await
}

async fn jury_view<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    year: Year,
    notice: Option<String>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let (_, d) = state.directory().await?;
    let jury = award_app::jury(&state.store, Some(&session.user.grants), year).await?;
    let (nominees_text, nominees, published) = match &jury {
        Some((award, scores)) => (
            award
                .nominees
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            nominee_lines(state, lang, &d, award, scores, Some(&session.user.email)).await,
            award.published.as_ref().map(|(_, at)| at.local_text()),
        ),
        None => (String::new(), Vec::new(), None),
    };
    let sent_back = failed.is_some();
    let view = JuryView {
        year: year.get(),
        csrf: &session.csrf_token,
        notice,
        nominees_text,
        nominees,
        published,
        scale: award::SCORE_RANGE.collect(),
        failed,
        other_path: format!("{}/admin/kvalitetskommun/{year}", lang.other().base()),
    };
    let response = render_private(state, lang, session, "award-jury.html", view);
    Ok(answered(response, sent_back))
}

/// The jury's forms: the nominees, one score, or publishing.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct JuryFields {
    nominees: String,
    municipality: String,
    criterion: String,
    score: String,
    note: String,
}

/// `POST /admin/kvalitetskommun/{year}/{what}` (`nominerade`, `poang`, `publicera`).
pub async fn jury_change<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((year, what)): Path<(String, String)>,
    change: Change<JuryFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    system_admin(lang, &session.user.grants)?;
    let year = year_of(&year)?;
    let grants = &session.user.grants;
    let actor = state.actor(session);
    let (done, form) = match what.as_str() {
        "nominerade" => {
            let (_, d) = state.directory().await?;
            let kommuner: Vec<MunicipalityId> = d.kommuner.iter().map(|k| k.id).collect();
            (
                award_app::set_nominees(&state.store, grants, &kommuner, year, &f.nominees, &actor)
                    .await
                    .map(|_| "nominerade"),
                "n".to_owned(),
            )
        }
        "poang" => {
            let m = MunicipalityId::parse(&f.municipality).map_err(|_| {
                WebError::coded(
                    StatusCode::NOT_FOUND,
                    Message::new("unknown_municipality").with("id", &f.municipality),
                )
            })?;
            (
                award_app::score(
                    &state.store,
                    grants,
                    year,
                    &m,
                    &f.criterion,
                    &f.score,
                    &f.note,
                    &actor,
                )
                .await
                .map(|()| "poang"),
                format!("s-{m}-{}", f.criterion),
            )
        }
        "publicera" => (
            award_app::publish(&state.store, grants, year, &actor)
                .await
                .map(|()| "publicerad"),
            "p".to_owned(),
        ),
        _ => {
            return Err(WebError::coded(
                StatusCode::NOT_FOUND,
                Message::new("no_download").with("file", &what),
            ));
        }
    };
    match done {
        Ok(notice) => {
            state.invalidate_version();
            Ok(redirect(
                &format!(
                    "{}/admin/kvalitetskommun/{year}?klart={notice}",
                    lang.base()
                ),
                &[],
            ))
        }
        Err(refusal) => {
            let problems = refusal.into_problems()?;
            let failed = Failed::new(lang, form, f, &problems);
            jury_view(&state, lang, session, year, None, Some(failed)).await
        }
    }
}

#[derive(Serialize)]
struct PublishedJuryView {
    year: i16,
    published: String,
    nominees: Vec<NomineeLine>,
    other_path: String,
}

/// `GET /kvalitetskommun/jury/{year}`: the jury's published result, jurors numbered.
pub async fn jury_published<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(year): Path<String>,
) -> Result<Response, WebError> {
    let year = year_of(&year)?;
    let (_, d) = state.directory().await?;
    let not_public = || {
        WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("award_not_public").with("year", year),
        )
    };
    let (award, scores) = award_app::jury(&state.store, None, year)
        .await
        .map_err(|_| not_public())?
        .ok_or_else(not_public)?;
    let published = award
        .published
        .as_ref()
        .map(|(_, at)| at.local_text())
        .ok_or_else(not_public)?;
    let view = PublishedJuryView {
        year: year.get(),
        published,
        nominees: nominee_lines(&state, lang, &d, &award, &scores, None).await,
        other_path: format!("{}/kvalitetskommun/jury/{year}", lang.other().base()),
    };
    let body = state.render("award-jury-published.html", lang, view)?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response())
}
