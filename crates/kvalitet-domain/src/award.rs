//! Sveriges Kvalitetskommun after the screening (docs/reports.md): the four descriptions a
//! nominated kommun writes (step 2) with links to its evidence, and the jury's scores per
//! criterion. The rules of what may be written and scored live here.

use crate::Message;
use crate::coded::coded_enum;
use crate::text::check_len;

/// The longest description of one theme: about two A4 pages.
pub const MAX_NARRATIVE_CHARS: usize = 8_000;
/// Evidence links under one description.
pub const MAX_EVIDENCE: usize = 20;
/// The longest link (browsers and servers refuse far longer ones anyway).
pub const MAX_LINK_CHARS: usize = 2_000;
/// A link's title.
pub const MAX_EVIDENCE_TITLE_CHARS: usize = 200;
/// A juror's note on one criterion.
pub const MAX_NOTE_CHARS: usize = 4_000;
/// The jury's scale, 1 (weak) to 5 (excellent): Kvalitetsmässan publishes none (domain.md
/// §1d), so kvalitet uses the 1–5 of the assessment frameworks' own scales.
pub const SCORE_RANGE: std::ops::RangeInclusive<u8> = 1..=5;

coded_enum!(
    /// The themes a nominee describes in step 2 (Kvalitetsmässan, from the 2025 award), in
    /// the jury's order.
    Theme {
        Digitalisation = "digitalisering",
        Leadership = "ledarskap",
        Interplay = "samspel",
        Capacity = "omstallning",
    }
);

coded_enum!(
    /// What the jury scores, in the dossier's order: results and efficiency, finances, the
    /// employer's results (HME), Kommunkompassen, and the step-2 descriptions.
    Criterion {
        Results = "resultat",
        Finances = "ekonomi",
        Employer = "hme",
        Kommunkompassen = "kommunkompassen",
        Descriptions = "beskrivningar",
    }
);

/// A link to what shows a description is true: a page of kvalitet (a path from `/`) or a
/// web address (http or https).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    pub title: String,
    pub link: String,
}

/// Reads evidence links as staff type them, one per line, `title | link` (a bare link is its
/// own title). Problems name the field `evidence` and the line.
pub fn parse_evidence(text: &str) -> Result<Vec<Evidence>, Message> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = |m: Message| {
            Message::in_field(
                "evidence",
                Message::new("award_evidence_line")
                    .with("line", n + 1)
                    .with_said("problem", m),
            )
        };
        if out.len() == MAX_EVIDENCE {
            return Err(Message::in_field(
                "evidence",
                Message::new("award_too_much_evidence").with("max", MAX_EVIDENCE),
            ));
        }
        let (title, link) = match line.rsplit_once('|') {
            Some((title, link)) => (title.trim(), link.trim()),
            None => (line, line),
        };
        if title.chars().count() > MAX_EVIDENCE_TITLE_CHARS {
            return Err(at(Message::new("too_long")
                .with("max", MAX_EVIDENCE_TITLE_CHARS)
                .with("given", title.chars().count())));
        }
        check_link(link).map_err(at)?;
        out.push(Evidence {
            title: title.to_owned(),
            link: link.to_owned(),
        });
    }
    Ok(out)
}

/// Evidence written back as [`parse_evidence`] reads it.
pub fn evidence_text(evidence: &[Evidence]) -> String {
    evidence
        .iter()
        .map(|e| {
            if e.title == e.link {
                e.link.clone()
            } else {
                format!("{} | {}", e.title, e.link)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A link may go to a page of the site or to a web page; nothing else (no `javascript:`, no
/// `//host` that a browser reads as another site, no spaces or quotes).
fn check_link(link: &str) -> Result<(), Message> {
    let bad = || Message::new("award_bad_link").with("link", link);
    if link.chars().count() > MAX_LINK_CHARS
        || link
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'))
    {
        return Err(bad());
    }
    let lower = link.to_ascii_lowercase();
    let web = ["https://", "http://"]
        .iter()
        .any(|p| lower.starts_with(p) && link.len() > p.len());
    let page = link.starts_with('/') && !link.starts_with("//");
    if web || page { Ok(()) } else { Err(bad()) }
}

/// A description as saved: within its length (the field `body`).
pub fn check_narrative(body: &str) -> Result<(), Message> {
    check_len("body", body, MAX_NARRATIVE_CHARS)
}

/// A juror's score on the jury's scale (the field `score`) and note (the field `note`).
pub fn check_score(score: u8, note: &str) -> Result<(), Message> {
    if !SCORE_RANGE.contains(&score) {
        return Err(Message::in_field(
            "score",
            Message::new("award_bad_score")
                .with("low", SCORE_RANGE.start())
                .with("high", SCORE_RANGE.end()),
        ));
    }
    check_len("note", note, MAX_NOTE_CHARS)
}

/// The jury's mean score of a nominee on a criterion, over the jurors who scored it.
pub fn mean_score(scores: impl IntoIterator<Item = u8>) -> Option<f64> {
    let (sum, n) = scores
        .into_iter()
        .fold((0u32, 0u32), |(s, n), x| (s + u32::from(x), n + 1));
    (n > 0).then(|| f64::from(sum) / f64::from(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_reads_titles_and_links_and_refuses_what_could_run_or_leave() {
        let read = parse_evidence(
            "Digitaliseringsstrategi | https://www.kommun.se/strategi.pdf\n\n/kommun/1480/mal\n",
        )
        .unwrap();
        assert_eq!(
            read,
            vec![
                Evidence {
                    title: "Digitaliseringsstrategi".into(),
                    link: "https://www.kommun.se/strategi.pdf".into()
                },
                Evidence {
                    title: "/kommun/1480/mal".into(),
                    link: "/kommun/1480/mal".into()
                },
            ]
        );
        assert_eq!(parse_evidence(&evidence_text(&read)).unwrap(), read);
        for bad in [
            "x | javascript:alert(1)",
            "x | //evil.example/",
            "x | https://",
            "x | ftp://a",
            "x | https://a b",
            "x | data:text/html,1",
        ] {
            let e = parse_evidence(bad).unwrap_err();
            assert_eq!(e.field_problem().map(|(f, _)| f), Some("evidence"), "{bad}");
        }
        let many = "https://a.se\n".repeat(MAX_EVIDENCE + 1);
        assert!(parse_evidence(&many).is_err());
        assert_eq!(
            parse_evidence(&"https://a.se\n".repeat(MAX_EVIDENCE))
                .unwrap()
                .len(),
            MAX_EVIDENCE
        );
    }

    #[test]
    fn scores_are_one_to_five_and_their_mean_is_over_those_given() {
        assert!(check_score(0, "").is_err());
        assert!(check_score(6, "").is_err());
        assert!(check_score(3, "bra").is_ok());
        assert!(check_score(3, &"x".repeat(MAX_NOTE_CHARS + 1)).is_err());
        assert_eq!(mean_score([4, 5, 3]), Some(4.0));
        assert_eq!(mean_score([]), None);
        assert!(check_narrative(&"å".repeat(MAX_NARRATIVE_CHARS)).is_ok());
        assert!(check_narrative(&"å".repeat(MAX_NARRATIVE_CHARS + 1)).is_err());
    }
}
