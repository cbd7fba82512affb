//! The pages around the data: about the site, frameworks, accessibility, not found, and the
//! status overview of what is loaded.

use super::*;

/// A page of fixed text at `path`, cached per language and data version.
async fn text_page<S: Store>(
    state: &Arc<AppState<S>>,
    lang: Lang,
    path: &'static str,
    template: &'static str,
) -> Result<Response, WebError> {
    let st = state.clone();
    cached(state, lang, path.into(), false, |_, _| async move {
        Ok(st
            .render(template, lang, OtherPath::new(lang, path))?
            .into_bytes())
    })
    .await
}

pub async fn about<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
) -> Result<Response, WebError> {
    text_page(&state, lang, "/om", "about.html").await
}

/// The loaded assessment frameworks, for anyone to see how results are scored.
pub async fn frameworks<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
) -> Result<Response, WebError> {
    let st = state.clone();
    cached(&state, lang, "/ramverk".into(), false, |_, _| async move {
        use kvalitet_domain::assessment::{Aggregation, Framework};
        let describe = |a: Aggregation| {
            lang.say(&match a {
                Aggregation::Sum => Message::new("total.sum"),
                Aggregation::PercentOfMax => Message::new("total.percent_of_max"),
                Aggregation::MeanOfIndices => Message::new("total.mean_of_indices"),
                Aggregation::ScaledTo(n) => Message::new("total.scaled_to").with("n", n),
            })
        };
        let mut list = Vec::new();
        for f in kvalitet_app::assessments::loaded_frameworks(&st.store).await? {
            list.push(FrameworkLine {
                areas: f
                    .areas
                    .iter()
                    .map(|a| AreaLine {
                        title: a.title.clone(),
                        questions: a.questions.len(),
                        max: {
                            let max = a.stated_max.unwrap_or_else(|| Framework::area_max(a));
                            // Points as "21", not "21.0"; a fraction with its decimal comma.
                            lang.number(max, if max.fract() == 0.0 { 0 } else { 1 })
                        },
                        aggregation: describe(a.aggregation),
                    })
                    .collect(),
                total: describe(f.total),
                name: f.name,
                version: f.version,
                valid_from: f.valid_from,
            });
        }
        let view = FrameworksView {
            frameworks: list,
            other_path: format!("{}/ramverk", lang.other().base()),
        };
        Ok(st.render("frameworks.html", lang, view)?.into_bytes())
    })
    .await
}

pub async fn accessibility<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
) -> Result<Response, WebError> {
    let st = state.clone();
    cached(
        &state,
        lang,
        "/tillganglighet".into(),
        false,
        |_, _| async move {
            let contact = (!st.contact.is_empty()).then(|| Contact {
                href: if st.contact.contains('@') && !st.contact.contains('/') {
                    format!("mailto:{}", st.contact)
                } else {
                    st.contact.clone()
                },
                text: st.contact.clone(),
            });
            let view = AccessibilityView {
                contact,
                other_path: format!("{}/tillganglighet", lang.other().base()),
            };
            Ok(st.render("accessibility.html", lang, view)?.into_bytes())
        },
    )
    .await
}

/// What can be downloaded and fetched, and on which terms.
pub async fn open_data<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
) -> Result<Response, WebError> {
    text_page(&state, lang, "/oppna-data", "open-data.html").await
}

/// Every path the site does not have.
pub async fn not_found(PageLang(lang): PageLang) -> WebError {
    WebError::not_found(lang.t("page_missing"))
}

// ---------------------------------------------------------------------------------------
// Downloads of what the pages show

/// `GET /status`: what is loaded (counts per table, the last imports) and on which backend.
pub async fn status<S: Store>(State(state): State<Arc<AppState<S>>>) -> Result<Response, WebError> {
    let overview = kvalitet_app::report::overview(&state.store).await?;
    let page = state
        .templates
        .get_template("index.html")
        .and_then(|t| {
            t.render(minijinja::context! {
                o => minijinja::Value::from(minijinja::value::Serde(&overview)),
                backend => state.backend,
            })
        })
        .map_err(WebError::internal)?;
    Ok(axum::response::Html(page).into_response())
}

/// The frameworks page: each loaded framework with how its areas and total are scored.
#[derive(Serialize)]
struct FrameworksView {
    frameworks: Vec<FrameworkLine>,
    other_path: String,
}

#[derive(Serialize)]
struct FrameworkLine {
    name: String,
    version: String,
    valid_from: String,
    total: String,
    areas: Vec<AreaLine>,
}

#[derive(Serialize)]
struct AreaLine {
    title: String,
    questions: usize,
    max: String,
    aggregation: String,
}

/// The accessibility statement, with where to report problems when the site names it.
#[derive(Serialize)]
struct AccessibilityView {
    contact: Option<Contact>,
    other_path: String,
}

#[derive(Serialize)]
struct Contact {
    href: String,
    text: String,
}
