//! The start page: the municipality finder and what the site offers.

use super::*;

pub async fn start<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs = query_pairs(raw.as_deref());
    let q = pairs
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let needle = kvalitet_domain::swedish::search_key(&q);
    if !needle.is_empty() {
        // One match, or a name typed in full, goes straight to the municipality's page.
        let (_, d) = state.directory().await?;
        let keyed: Vec<(&kvalitet_domain::Municipality, String)> = d
            .kommuner
            .iter()
            .map(|m| (m, kvalitet_domain::swedish::search_key(&m.title)))
            .filter(|(_, key)| key.contains(&needle))
            .collect();
        let exact = keyed.iter().find(|(_, key)| *key == needle);
        if let Some((m, _)) = exact.or(keyed.first().filter(|_| keyed.len() == 1)) {
            return Ok(crate::auth::redirect(
                &format!("{}/kommun/{}", lang.base(), m.id),
                &[],
            ));
        }
    }
    let key = format!("/?q={needle}");
    let st = state.clone();
    cached(&state, lang, key, false, |_, d| async move {
        let matching: Vec<&kvalitet_domain::Municipality> = d
            .kommuner
            .iter()
            .filter(|m| {
                needle.is_empty()
                    || kvalitet_domain::swedish::search_key(&m.title).contains(&needle)
            })
            .collect();
        let mut letters: Vec<LetterGroup<'_>> = Vec::new();
        for m in &matching {
            let letter = kvalitet_domain::swedish::index_letter(&m.title);
            let entry = Link {
                id: m.id.as_str(),
                name: &m.title,
            };
            match letters.last_mut() {
                Some(group) if group.letter == letter => group.kommuner.push(entry),
                _ => letters.push(LetterGroup {
                    letter,
                    kommuner: vec![entry],
                }),
            }
        }
        let set = d.set(None).ok();
        // A new site says how to fill it (cached with the page, per data version).
        let empty = !kvalitet_app::report::contents(&st.store).await?.values;
        let body = st.render(
            "start.html",
            lang,
            StartView {
                q: &q,
                count: matching.len(),
                total: d.kommuner.len(),
                empty,
                letters,
                set_title: set.map(|s| localized(lang, &s.title, s.title_en.as_deref())),
                set_description: set
                    .map(|s| localized(lang, &s.description, s.description_en.as_deref())),
                other_path: format!("{}/", lang.other().base()),
            },
        )?;
        Ok(body.into_bytes())
    })
    .await
}

/// The finder: the municipalities matching the search, grouped by their first letter.
#[derive(Serialize)]
struct StartView<'a> {
    q: &'a str,
    count: usize,
    total: usize,
    /// No values are loaded yet.
    empty: bool,
    letters: Vec<LetterGroup<'a>>,
    set_title: Option<String>,
    set_description: Option<String>,
    other_path: String,
}

#[derive(Serialize)]
struct LetterGroup<'a> {
    letter: String,
    kommuner: Vec<Link<'a>>,
}

/// A municipality to link to.
#[derive(Serialize)]
struct Link<'a> {
    id: &'a str,
    name: &'a str,
}
