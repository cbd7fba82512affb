//! A municipality's page: its measure set as cards with the latest value, colour and trend.

use super::*;

/// Everything shown about one measure for one municipality in one year.
pub(crate) fn figures(
    lang: Lang,
    p: &Presentation,
    c: &YearComparison,
    own: Option<&ComparedRow>,
    population_name: &str,
) -> Figures {
    let t = lang.texts();
    let unit = unit(lang, p);
    let fmt = |x: Option<f64>| x.map(|x| lang.with_unit(x, p.decimals, unit.as_deref()));
    let s = &c.summary;
    let colour = own.map_or(Colour::Grey, |r| r.placement.colour);
    let colour_note = match colour {
        Colour::None if p.direction == Direction::None => lang.t("no_colour_no_direction"),
        Colour::None => lang.t("no_colour_too_few"),
        _ => "",
    };
    let trend = own.map_or(Trend::NotComparable, |r| r.trend);
    let previous_year = c.previous_year.map(|y| y.get());
    let trend_text = trend_words(
        lang,
        p,
        unit.as_deref(),
        trend,
        own.and_then(|r| r.value),
        own.and_then(|r| r.previous),
        previous_year,
        c.year.get(),
    );
    // A rank needs a better direction; costs and volumes are not placed.
    let rank = own
        .and_then(|r| r.placement.rank)
        // A place needs a direction and someone to be placed against ("1 av 1" says nothing).
        .filter(|_| p.direction != Direction::None && s.n > 1)
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
            &lang.say(&Message::new("strip_label").with("population", population_name)),
        ),
        _ => String::new(),
    };
    // Every figure names its comparison and how many in it have values.
    let compared = lang.say(
        &Message::new(if s.n == s.population {
            "compared_all_with_values"
        } else {
            "compared_with_values"
        })
        .with("n", s.n)
        .with("size", s.population)
        .with("population", population_name)
        .with("year", c.year.get()),
    );
    Figures {
        compared,
        year: c.year.get(),
        value: own
            .and_then(|r| r.value)
            .map(|x| lang.with_unit(x, p.decimals, unit.as_deref())),
        missing: lang.missing(own.and_then(|r| r.status)),
        mean: fmt(s.mean),
        median: fmt(s.median),
        range_label,
        range: match (lo, hi) {
            (Some(a), Some(b)) => Some(format!(
                "{} – {}",
                fmt(Some(a)).unwrap_or_default(),
                fmt(Some(b)).unwrap_or_default()
            )),
            _ => None,
        },
        riket: fmt(c.riket),
        n: s.n,
        population: s.population,
        colour: colour.code(),
        colour_label: lang.colour(colour),
        colour_icon: charts::badge_icon(colour),
        colour_note,
        trend: trend.code(),
        trend_label: lang.trend(trend),
        trend_text,
        trend_icon: charts::trend_icon(trend),
        rank,
        strip,
    }
}

/// The change since the measure's previous year of collection in words: "Bättre: upp 2,3
/// procentenheter sedan 2021 (85,1 → 87,4)", "Sämre: ned 4 200 kr sedan 2021", "Oförändrat:
/// samma värde som 2021"; a share changes in procentenheter; when a year has no value, the year
/// that lacks it is named, and a first year of collection says so.
#[allow(clippy::too_many_arguments)]
fn trend_words(
    lang: Lang,
    p: &Presentation,
    unit: Option<&str>,
    trend: Trend,
    now: Option<f64>,
    before: Option<f64>,
    previous_year: Option<i16>,
    year: i16,
) -> String {
    let label = lang.trend(trend);
    let Some(previous_year) = previous_year else {
        return format!("{label}: {}", lang.t("no_earlier_year"));
    };
    let (now, before) = match (now, before) {
        (Some(now), Some(before)) if trend != Trend::NotComparable => (now, before),
        (None, _) => {
            let lacking = Message::new("no_value_for").with("year", year);
            return format!("{label}: {}", lang.say(&lacking));
        }
        _ => {
            let lacking = Message::new("no_value_for").with("year", previous_year);
            return format!("{label}: {}", lang.say(&lacking));
        }
    };
    let shown = |x: f64| lang.number(x, p.decimals);
    let diff = now - before;
    // The same value as shown, even if the stored figures differ in a later decimal.
    if shown(now) == shown(before) {
        let same = Message::new("same_value_as").with("year", previous_year);
        return format!("{label}: {} ({})", lang.say(&same), shown(now));
    }
    let share = unit.is_some_and(|u| u == "procent" || u == "per cent" || u.contains('%'));
    let amount = if share {
        lang.say(&Message::new("percentage_points").with("n", shown(diff.abs())))
    } else {
        lang.with_unit(diff.abs(), p.decimals, unit)
    };
    let change = Message::new(if diff > 0.0 {
        "change_up"
    } else {
        "change_down"
    })
    .with("amount", amount)
    .with("year", previous_year);
    format!(
        "{label}: {} ({} → {})",
        lang.say(&change),
        shown(before),
        shown(now)
    )
}

/// What a card, the measure page and the widget say about one measure in one year.
#[derive(Serialize)]
pub(crate) struct Figures {
    pub(crate) compared: String,
    pub(crate) year: i16,
    pub(crate) value: Option<String>,
    missing: &'static str,
    pub(crate) mean: Option<String>,
    median: Option<String>,
    pub(crate) range_label: &'static str,
    pub(crate) range: Option<String>,
    riket: Option<String>,
    n: usize,
    population: usize,
    pub(crate) colour: &'static str,
    pub(crate) colour_label: &'static str,
    colour_icon: &'static str,
    colour_note: &'static str,
    trend: &'static str,
    pub(crate) trend_label: &'static str,
    pub(crate) trend_text: String,
    trend_icon: &'static str,
    pub(crate) rank: Option<String>,
    strip: String,
}

/// One measure's card on the municipality page.
#[derive(Serialize)]
pub(crate) struct CardView {
    pub(crate) id: String,
    pub(crate) question: String,
    known: bool,
    pub(crate) figures: Option<Figures>,
    spark: String,
    /// The sparkline's years and what its lines are, in words under it.
    spark_caption: String,
    /// The municipality's own comment on the value shown.
    pub(crate) comment: Option<String>,
    link: String,
}

pub(crate) fn card_view(
    lang: Lang,
    d: &Directory,
    card: &Card,
    m: &MunicipalityId,
    params: &Params,
    population_name: &str,
    comments: &[kvalitet_app::ports::Comment],
) -> CardView {
    let p = &card.presentation;
    // The municipality's comment on the year the card shows.
    let comment = card.comparison.as_ref().and_then(|c| {
        comments
            .iter()
            .find(|k| k.measure == p.measure && k.year == c.year.get())
            .map(|k| k.body.clone())
    });
    let q = question(lang, &card.question, card.question_en.as_deref());
    let figures = card
        .comparison
        .as_ref()
        .map(|c| figures(lang, p, c, c.row(m), population_name));
    let spark = charts::sparkline(
        &card.points,
        &lang.say(&Message::new("spark_label").with("name", d.name(m))),
    );
    let drawn = &card.points[card.points.len().saturating_sub(charts::SPARK_YEARS)..];
    let spark_caption = match (drawn.first(), drawn.last()) {
        (Some(first), Some(last)) if !spark.is_empty() => lang.say(
            &Message::new("spark_caption")
                .with("from", first.year)
                .with("to", last.year)
                .with("name", d.name(m)),
        ),
        _ => String::new(),
    };
    CardView {
        spark_caption,
        comment,
        id: p.measure.to_string(),
        question: q,
        known: card.known,
        figures,
        spark,
        link: format!(
            "{}/kommun/{}/matt/{}{}",
            lang.base(),
            m,
            p.measure,
            params.query()
        ),
    }
}

pub async fn municipality<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let params = Params::parse(raw.as_deref())?;
    let key = format!("/kommun/{id}{}", params.cache_key());
    let st = state.clone();
    cached(&state, lang, key, false, |version, d| async move {
        let report = build_report(&st, version, &d, &id, &params).await?;
        let m = report.municipality.id;
        let population_name = lang.say(&report.population_label);
        let headline = report::headline(&report);
        let comments = kvalitet_app::own::comments(&st.store, None, &m).await?;
        let introduction = kvalitet_app::own::introduction(&st.store, &m)
            .await?
            .map(|i| IntroductionView::new(lang, i));
        // Measures without a value leave the cards for one short list with the reason.
        let areas: Vec<AreaView> = report
            .areas
            .iter()
            .map(|a| AreaView {
                title: localized(lang, &a.title, a.title_en.as_deref()),
                cards: a
                    .cards
                    .iter()
                    .filter(|c| c.own(&m).is_some_and(|r| r.value.is_some()))
                    .map(|c| card_view(lang, &d, c, &m, &params, &population_name, &comments))
                    .collect(),
            })
            .filter(|a| !a.cards.is_empty())
            .collect();
        let report_years: Vec<i16> = areas
            .iter()
            .flat_map(|a| &a.cards)
            .filter_map(|c| c.figures.as_ref().map(|f| f.year))
            .collect();
        let answer = answer_view(lang, &d, &report, &headline, &params);
        // Published assessment results; publishing changes the data version, so the cache
        // keeps this list up to date.
        let assessments: Vec<PublishedRound> =
            kvalitet_app::assessments::published_rounds(&st.store, &m)
                .await?
                .into_iter()
                .map(|r| PublishedRound {
                    id: r.id.to_string(),
                    framework: Some(format!("{} {}", r.framework_id, r.framework_version)),
                    title: r.title,
                    year: r.year.get(),
                })
                .collect();
        let service: Vec<PublishedRound> =
            kvalitet_app::service::published_rounds_of(&st.store, &m)
                .await?
                .into_iter()
                .map(|r| PublishedRound {
                    id: r.id.to_string(),
                    title: r.title,
                    year: r.year.get(),
                    framework: None,
                })
                .collect();
        let has_goals = kvalitet_app::goals::has_published(&st.store, &m).await?;
        let has_proposals = kvalitet_app::proposals::takes_proposals(&st.store, &m).await?;
        let has_dialogues = !kvalitet_app::dialogues::list(&st.store, &m)
            .await?
            .is_empty();
        let years = report
            .areas
            .iter()
            .flat_map(|a| a.cards.iter())
            .flat_map(|c| c.points.iter().map(|p| p.year));
        let set = d.set(params.set.as_deref())?;
        let body = st.render(
            "municipality.html",
            lang,
            MunicipalityView {
                answer,
                introduction,
                m: Named {
                    id: m.to_string(),
                    name: report.municipality.title.clone(),
                },
                set_title: localized(lang, &report.set_title, report.set_title_en.as_deref()),
                set_description: localized(
                    lang,
                    &report.set_description,
                    report.set_description_en.as_deref(),
                ),
                sets: d
                    .sets
                    .iter()
                    .map(|s| Choice {
                        code: s.id.clone(),
                        label: localized(lang, &s.title, s.title_en.as_deref()),
                        selected: s.id == set.id,
                    })
                    .collect(),
                areas,
                assessments,
                service,
                has_goals,
                has_proposals,
                has_dialogues,
                population_name,
                population_size: report.population_size,
                colours: &report.colours,
                colours_before: &report.colours_before,
                years: year_choices(years, params.year),
                genders: gender_choices(lang, &params, true),
                populations: population_choices(lang, &d, &m, &params),
                query: params.query(),
                other_path: format!("{}/kommun/{}{}", lang.other().base(), m, params.query()),
                print: params.print(),
                report_year: st
                    .typesetter
                    .as_ref()
                    .and(report_years.iter().copied().max()),
            },
        )?;
        Ok(body.into_bytes())
    })
    .await
}

/// The municipality page: its set's areas of cards, what it has published, and the choices.
#[derive(Serialize)]
struct MunicipalityView<'a> {
    answer: AnswerView,
    introduction: Option<IntroductionView>,
    m: Named,
    set_title: String,
    set_description: String,
    sets: Vec<Choice>,
    areas: Vec<AreaView>,
    assessments: Vec<PublishedRound>,
    service: Vec<PublishedRound>,
    /// The municipality has published goals (linked to their page).
    has_goals: bool,
    /// The municipality takes e-förslag (linked to their page).
    has_proposals: bool,
    /// The municipality has e-dialogues (linked to their list).
    has_dialogues: bool,
    population_name: String,
    population_size: usize,
    colours: &'a kvalitet_domain::ColourCounts,
    colours_before: &'a kvalitet_domain::ColourCounts,
    years: Vec<YearChoice>,
    genders: Vec<Choice>,
    populations: Vec<Choice>,
    query: String,
    other_path: String,
    print: bool,
    /// The year of the yearly report as PDF (the latest year shown), when the binary sets
    /// PDFs.
    report_year: Option<i16>,
}

/// The municipality's own introduction in the page's language: an English page shows the
/// Swedish text (marked as Swedish) when there is no translation.
#[derive(Serialize)]
pub(crate) struct IntroductionView {
    pub(crate) paragraphs: Vec<String>,
    /// `lang` of the text when it differs from the page's.
    text_lang: Option<&'static str>,
    date: String,
}

impl IntroductionView {
    pub(crate) fn new(lang: Lang, i: kvalitet_app::ports::Introduction) -> Self {
        let (text, text_lang) = match lang {
            Lang::En if !i.body_en.is_empty() => (i.body_en, None),
            Lang::En => (i.body, Some("sv")),
            Lang::Sv => (i.body, None),
        };
        Self {
            // Blank lines part paragraphs; the text is escaped by the template.
            paragraphs: text
                .split("\n\n")
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
            text_lang,
            date: i.written_at.date_text(),
        }
    }
}

#[derive(Serialize)]
struct AreaView {
    title: String,
    cards: Vec<CardView>,
}

/// A published assessment or service round to link to.
#[derive(Serialize)]
struct PublishedRound {
    id: String,
    title: String,
    year: i16,
    /// The framework and its version, for assessment rounds.
    framework: Option<String>,
}

/// The answer first: a sentence with the counts, the strongest and weakest measures, and
/// the measures without a value with why.
#[derive(Serialize)]
pub(crate) struct AnswerView {
    pub(crate) sentence: String,
    pub(crate) strongest: Vec<StandingLine>,
    pub(crate) weakest: Vec<StandingLine>,
    changed: Vec<ChangedLine>,
    gaps: Vec<GapLine>,
    gaps_title: String,
}

/// A measure that moved much since its previous year, with its trend in words.
#[derive(Serialize)]
struct ChangedLine {
    question: String,
    link: String,
    trend: &'static str,
    trend_icon: &'static str,
    words: String,
}

#[derive(Serialize)]
pub(crate) struct StandingLine {
    pub(crate) question: String,
    link: String,
    pub(crate) place: String,
    colour: &'static str,
    colour_label: &'static str,
    colour_icon: &'static str,
}

#[derive(Serialize)]
struct GapLine {
    question: String,
    link: String,
    why: String,
    latest: Option<String>,
}

pub(crate) fn answer_view(
    lang: Lang,
    d: &Directory,
    report: &report::Report,
    h: &report::Headline,
    params: &Params,
) -> AnswerView {
    let m = report.municipality.id;
    let name = report.municipality.title.as_str();
    let c = &report.colours;
    let sentence = lang.say(
        &Message::new("headline_sentence")
            .with("measures", h.measures)
            .with("with_values", h.with_values)
            .with("name", name)
            .with("year", h.year.map_or(String::new(), |y| y.to_string()))
            .with("green", c.green)
            .with("yellow", c.yellow)
            .with("red", c.red)
            .with("none", c.none)
            .with("population", lang.say(&report.population_label)),
    );
    let link = |measure: &MeasureId| {
        format!(
            "{}/kommun/{}/matt/{}{}",
            lang.base(),
            m,
            measure,
            params.query()
        )
    };
    let standing = |s: &report::Standing| StandingLine {
        question: question(lang, &s.question, s.question_en.as_deref()),
        link: link(&s.measure),
        place: lang.say(
            &Message::new("place_of")
                .with("rank", s.rank)
                .with("of", s.of)
                .with("year", s.year),
        ),
        colour: s.colour.code(),
        colour_label: lang.colour(s.colour),
        colour_icon: charts::badge_icon(s.colour),
    };
    let gaps = h
        .gaps
        .iter()
        .map(|g| {
            let why = if !g.known {
                lang.t("not_in_catalogue").to_owned()
            } else if let Some(status) = g.status {
                lang.missing(Some(status)).to_owned()
            } else {
                match g.year {
                    Some(y) => lang.say(&Message::new("gap_no_value").with("year", y)),
                    None => lang.t("gap_not_collected").to_owned(),
                }
            };
            let latest = g.latest.and_then(|(year, value)| {
                let measure = d.measures.get(&g.measure)?;
                let p = d.presentation(measure);
                Some(
                    lang.say(
                        &Message::new("gap_latest")
                            .with(
                                "value",
                                lang.with_unit(value, p.decimals, unit(lang, &p).as_deref()),
                            )
                            .with("year", year),
                    ),
                )
            });
            GapLine {
                question: question(lang, &g.question, g.question_en.as_deref()),
                link: link(&g.measure),
                why,
                latest,
            }
        })
        .collect();
    let changed = h
        .changed
        .iter()
        .map(|c| {
            let p = &c.presentation;
            ChangedLine {
                question: question(lang, &c.question, c.question_en.as_deref()),
                link: link(&p.measure),
                trend: c.trend.code(),
                trend_icon: charts::trend_icon(c.trend),
                words: trend_words(
                    lang,
                    p,
                    unit(lang, p).as_deref(),
                    c.trend,
                    Some(c.now),
                    Some(c.before),
                    Some(c.previous_year.get()),
                    c.year.get(),
                ),
            }
        })
        .collect();
    AnswerView {
        sentence,
        changed,
        strongest: h.strongest.iter().map(standing).collect(),
        weakest: h.weakest.iter().map(standing).collect(),
        gaps,
        gaps_title: lang.say(
            &Message::new("gaps_title")
                .with("name", name)
                .with("count", h.gaps.len()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presentation(unit: &str, decimals: u8) -> Presentation {
        Presentation {
            measure: MeasureId::parse("N15428").unwrap(),
            question: "?".into(),
            question_en: None,
            title: "t".into(),
            unit: Some(unit.into()),
            unit_en: None,
            direction: Direction::HigherIsBetter,
            decimals,
            divided_by_gender: false,
        }
    }

    #[test]
    fn changes_are_said_with_their_size_and_the_year_before() {
        let share = presentation("procent", 1);
        let said = |p: &Presentation, unit: &str, trend, now, before| {
            trend_words(
                Lang::Sv,
                p,
                Some(unit),
                trend,
                now,
                before,
                Some(2021),
                2022,
            )
        };
        assert_eq!(
            said(&share, "procent", Trend::Better, Some(87.4), Some(85.1)),
            "Bättre: upp 2,3 procentenheter sedan 2021 (85,1 → 87,4)"
        );
        let cost = presentation("kr", 0);
        assert_eq!(
            said(&cost, "kr", Trend::Worse, Some(95_800.0), Some(100_000.0)),
            "Sämre: ned 4\u{a0}200\u{a0}kr sedan 2021 (100\u{a0}000 → 95\u{a0}800)"
        );
        assert!(
            said(&share, "procent", Trend::Unchanged, Some(4.91), Some(4.94))
                .ends_with("samma värde som 2021 (4,9)"),
        );
        assert!(
            said(&share, "procent", Trend::NotComparable, Some(4.9), None)
                .ends_with("värde saknas för 2021")
        );
        assert!(
            said(&share, "procent", Trend::NotComparable, None, Some(4.9))
                .ends_with("värde saknas för 2022")
        );
        // An election measure looks back to the previous election; a first year says so.
        assert_eq!(
            trend_words(
                Lang::Sv,
                &share,
                Some("procent"),
                Trend::Better,
                Some(84.2),
                Some(82.1),
                Some(2018),
                2022
            ),
            "Bättre: upp 2,1 procentenheter sedan 2018 (82,1 → 84,2)"
        );
        assert_eq!(
            trend_words(
                Lang::Sv,
                &share,
                Some("procent"),
                Trend::NotComparable,
                Some(84.2),
                None,
                None,
                2022
            ),
            "Kan inte jämföras: inget tidigare år att jämföra med"
        );
        let en = trend_words(
            Lang::En,
            &share,
            Some("per cent"),
            Trend::Better,
            Some(87.4),
            Some(85.1),
            Some(2021),
            2022,
        );
        assert!(
            en.ends_with("up 2.3 percentage points since 2021 (85.1 → 87.4)"),
            "{en}"
        );
    }
}
