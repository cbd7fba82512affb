//! The web's side of the words: the table itself is `kvalitet_domain::words`, shared with
//! the command line and every crate's errors; here it becomes a template value.

use std::sync::OnceLock;

pub use kvalitet_domain::words::Lang;

/// The texts as a template value (`t` in the templates), made once per language.
pub(crate) fn template_texts(lang: Lang) -> minijinja::Value {
    static SV: OnceLock<minijinja::Value> = OnceLock::new();
    static EN: OnceLock<minijinja::Value> = OnceLock::new();
    let cell = match lang {
        Lang::Sv => &SV,
        Lang::En => &EN,
    };
    cell.get_or_init(|| minijinja::Value::from(minijinja::value::Serde(lang.texts())))
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys written in the code (in calls of `t` and `Message::new`) of the web, the use
    /// cases and the domain, and every code of a round's kind, status, role and step, have
    /// words in the table: a typo fails here, not as an empty place on a page.
    #[test]
    fn every_key_used_has_words() {
        use kvalitet_domain::round::{AssessorRole, RoundKind, Status, Step};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut sources = Vec::new();
        let mut folders = vec![
            root.join("kvalitet-web/src"),
            root.join("kvalitet-app/src"),
            root.join("kvalitet-domain/src"),
            root.join("kvalitet-formats/src"),
            root.join("kvalitet-store/src"),
            root.join("kvalitet-cli/src"),
        ];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    sources.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        let mut used = Vec::new();
        for (path, text) in &sources {
            for marker in ["Message::new(\"", ".t(\""] {
                for (at, _) in text.match_indices(marker) {
                    let rest = &text[at + marker.len()..];
                    let key = &rest[..rest.find('"').unwrap()];
                    used.push((path.display().to_string(), key.to_owned()));
                }
            }
        }
        assert!(used.len() > 50, "the scan found the keys: {}", used.len());
        let codes = RoundKind::ALL
            .iter()
            .map(|c| c.code())
            .chain(Status::ALL.iter().map(|c| c.code()))
            .chain(AssessorRole::ALL.iter().map(|c| c.code()))
            .chain(Step::ALL.iter().map(|c| c.code()));
        used.extend(codes.map(|c| ("round codes".to_owned(), format!("w.{c}"))));
        // The templates' `t.key` places, and no text chosen by language in a template.
        let templates = root.join("kvalitet-web/templates");
        for entry in std::fs::read_dir(&templates).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                !text.contains("lang == 'sv'") && !text.contains("lang == 'en'"),
                "{name} chooses words by language; put them in the words table"
            );
            for (at, _) in text.match_indices("t.") {
                let before = text[..at].chars().last().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' || before == '.' {
                    continue;
                }
                let key: String = text[at + 2..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                // "t.ex." is Swedish for "e.g.", not a key.
                let abbreviation = text[at + 2 + key.len()..].starts_with('.');
                if !key.is_empty() && !abbreviation {
                    used.push((name.clone(), key));
                }
            }
        }
        let missing: Vec<_> = used
            .iter()
            .filter(|(_, key)| !Lang::Sv.texts().contains_key(key.as_str()))
            .collect();
        assert!(missing.is_empty(), "no words for {missing:?}");
    }
}
