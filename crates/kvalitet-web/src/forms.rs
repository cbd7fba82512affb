//! What every staff form shares: the form sent back with what was typed and each problem
//! beside its field, and the sentence that says what the change just made did.

use serde::Serialize;

use kvalitet_app::publish::PublishCheck;
use kvalitet_domain::Message;

use crate::i18n::Lang;

/// What the change just made did, in a sentence, from the code the redirect after it carries
/// ("fil-6": six values saved as drafts); an unknown code says nothing.
pub(crate) fn notice_words(lang: Lang, code: &str) -> Option<String> {
    let counted = |prefix: &str| {
        code.strip_prefix(prefix)
            .and_then(|n| n.parse::<u64>().ok())
    };
    let message = if let Some(n) = counted("fil-") {
        Message::new("notice_file").with("n", n)
    } else if let Some(n) = counted("publicerat-") {
        Message::new("notice_published").with("n", n)
    } else {
        Message::new(match code {
            "kommentar" => "notice_comment",
            "inledning" => "notice_introduction",
            "matt" => "notice_measure",
            "utkast" => "notice_draft",
            "inga-utkast" => "notice_no_drafts",
            "skapad" => "notice_round_created",
            "ny" => "notice_service_created",
            "svar" => "notice_answers",
            "konsensus" => "notice_consensus",
            "bedomare" => "notice_assessors",
            "enkat" => "notice_survey",
            "submit" => "notice_submitted",
            "review" => "notice_reviewed",
            "return" => "notice_returned",
            "publish" | "publicera" => "notice_round_published",
            "medlemmar" => "notice_members",
            "fragor" => "notice_questions",
            "plan" => "notice_plan",
            "sista-dag" => "notice_deadline",
            "rattas" | "ratta" => "notice_reopened",
            "kontakter" => "notice_contacts",
            "andrad" => "notice_contact_changed",
            "namn" => "notice_renamed",
            "borttaget" => "notice_removed",
            "pensionerat" => "notice_retired",
            "aterupptaget" => "notice_unretired",
            "sparad" => "notice_award_saved",
            "nominerade" => "notice_award_nominees",
            "poang" => "notice_award_score",
            "publicerad" => "notice_award_published",
            "jobb" => "notice_job_queued",
            _ => return None,
        })
    };
    Some(lang.say(&message))
}

/// A rendered page that shows a form sent back answers 400 (nothing was saved, and the
/// browser does not cache it); a page that failed to render keeps its own status.
pub(crate) fn answered(
    mut page: axum::response::Response,
    sent_back: bool,
) -> axum::response::Response {
    if sent_back && page.status() == axum::http::StatusCode::OK {
        *page.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    page
}

/// The notice of the query `klart=CODE` a redirect after a change carries.
pub(crate) fn notice_of(lang: Lang, raw_query: Option<&str>) -> Option<String> {
    crate::query_pairs(raw_query)
        .into_iter()
        .find(|(k, _)| k == "klart")
        .and_then(|(_, v)| notice_words(lang, &v))
}

/// A form sent back to the person who filled it in: what they typed, each problem beside its
/// field, and all of them in a summary at the top of the page that links to the fields (the
/// page answers 400, so nothing was saved and the browser does not cache it).
#[derive(Serialize)]
pub(crate) struct Failed {
    /// Which form of the page, also the prefix of its fields' ids ("m", "v", "c", "i",
    /// "svar"; "i2" for the third of a list of like forms).
    form: String,
    /// What was typed, by field name.
    values: serde_json::Value,
    /// Each problem that belongs to a field, said without the field's name, by field name.
    fields: std::collections::BTreeMap<String, String>,
    /// Every problem said whole, with the field it links to.
    summary: Vec<SummaryLine>,
}

#[derive(Serialize)]
struct SummaryLine {
    text: String,
    field: Option<String>,
}

impl Failed {
    /// The form sent back.
    pub(crate) fn form(&self) -> &str {
        &self.form
    }

    /// What was typed in a field, if it was text.
    pub(crate) fn typed(&self, field: &str) -> Option<&str> {
        self.values.get(field).and_then(serde_json::Value::as_str)
    }

    /// A form whose problems name their field (`Message::in_field`).
    pub(crate) fn new(
        lang: Lang,
        form: impl Into<String>,
        typed: &impl Serialize,
        problems: &[Message],
    ) -> Self {
        Self::located(lang, form, typed, problems, |p| {
            p.field_problem()
                .map(|(field, alone)| (field.to_owned(), alone))
        })
    }

    /// A form whose problems `locate` places: the field's name and the problem said
    /// without it, or `None` for a problem of the whole form.
    pub(crate) fn located<'m>(
        lang: Lang,
        form: impl Into<String>,
        typed: &impl Serialize,
        problems: &'m [Message],
        locate: impl Fn(&'m Message) -> Option<(String, &'m Message)>,
    ) -> Self {
        let mut fields = std::collections::BTreeMap::new();
        let mut summary = Vec::new();
        for problem in problems {
            let field = locate(problem).map(|(field, alone)| {
                fields
                    .entry(field.clone())
                    .or_insert_with(|| lang.say(alone));
                field
            });
            summary.push(SummaryLine {
                text: sentence(lang.say(problem)),
                field,
            });
        }
        Self {
            form: form.into(),
            values: serde_json::to_value(typed).unwrap_or_default(),
            fields,
            summary,
        }
    }
}

/// The text with its first letter a capital: a problem said inside a sentence ("fråga
/// \"kk1\": …") stands alone in a summary.
fn sentence(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => text,
    }
}

/// The page that asks before publishing: what becomes public, what stays internal, every
/// warning, and a form that publishes (its `hidden` fields and `confirmed=1`) or a way back.
#[derive(Serialize)]
pub(crate) struct ConfirmView<'a> {
    /// What is published ("Delaktighetsindex 2022").
    pub what: String,
    pub public: Vec<String>,
    pub internal: Vec<String>,
    pub warnings: Vec<String>,
    pub action: String,
    pub hidden: Vec<(&'static str, String)>,
    pub back: String,
    pub csrf: &'a str,
    pub other_path: String,
}

impl<'a> ConfirmView<'a> {
    /// The page for `check`, in `lang`.
    pub(crate) fn of(lang: Lang, check: &PublishCheck, csrf: &'a str) -> Self {
        let say = |ms: &[Message]| ms.iter().map(|m| lang.say(m)).collect();
        Self {
            what: String::new(),
            public: say(&check.public),
            internal: say(&check.internal),
            warnings: say(&check.warnings),
            action: String::new(),
            hidden: Vec::new(),
            back: String::new(),
            csrf,
            other_path: String::new(),
        }
    }
}

/// A publishing form's fields: `confirmed=1` once the person has seen the confirmation page.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct ConfirmFields {
    pub confirmed: String,
}

impl ConfirmFields {
    pub(crate) fn confirmed(&self) -> bool {
        self.confirmed == "1"
    }
}
