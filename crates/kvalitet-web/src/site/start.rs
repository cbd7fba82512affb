//! The start page: the municipality finder and what the site offers.

use super::*;

pub async fn start<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    lang: Lang,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs = query_pairs(raw.as_deref());
    let q = pairs
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let key = format!("/?q={q}");
    let st = state.clone();
    cached(&state, lang, key, false, |_, d| async move {
        let needle = q.to_lowercase();
        let matching: Vec<&kvalitet_domain::Municipality> = d
            .kommuner
            .iter()
            .filter(|m| needle.is_empty() || m.title.to_lowercase().contains(&needle))
            .collect();
        // Even a single match is shown as a result list: clearer for screen readers, and the
        // back button keeps working.
        let mut letters: Vec<(String, Vec<Value>)> = Vec::new();
        for m in &matching {
            let letter = kvalitet_domain::swedish::index_letter(&m.title);
            let entry = json!({ "id": m.id.as_str(), "name": m.title });
            match letters.last_mut() {
                Some((l, list)) if *l == letter => list.push(entry),
                _ => letters.push((letter, vec![entry])),
            }
        }
        let set = d.set(None).ok();
        let body = st.render(
            "start.html",
            lang,
            json!({
                "q": q,
                "count": matching.len(),
                "total": d.kommuner.len(),
                "letters": letters.iter().map(|(l, list)| json!({"letter": l, "kommuner": list})).collect::<Vec<_>>(),
                "set_title": set.map(|s| localized(lang, &s.title, s.title_en.as_deref())),
                "set_description": set.map(|s| localized(lang, &s.description, s.description_en.as_deref())),
                "other_path": format!("{}/", lang.other().base()),
            }),
        )?;
        Ok(body.into_bytes())
    })
    .await
}
