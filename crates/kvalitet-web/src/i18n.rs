//! The site's words in Swedish (first) and English, and numbers in each language's form.
//! Wording follows ../shared/docs/citizen-presentation.md: colour always with words, the
//! trend as better/worse, missing values with their reason.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use kvalitet_domain::{Colour, MissingStatus, Trend, swedish};

/// The page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Sv,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::Sv => "sv",
            Self::En => "en",
        }
    }

    /// The path prefix of the language's pages.
    pub fn base(self) -> &'static str {
        match self {
            Self::Sv => "",
            Self::En => "/en",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Self::Sv => Self::En,
            Self::En => Self::Sv,
        }
    }

    /// A number with `decimals` decimals: "1 234,5" in Swedish, "1,234.5" in English.
    pub fn number(self, x: f64, decimals: u8) -> String {
        let sv = swedish::format_number(x, decimals);
        match self {
            Self::Sv => sv,
            Self::En => sv
                .replace(',', ".")
                .replace(swedish::NBSP, ",")
                .replace(swedish::MINUS, "-"),
        }
    }

    /// A value with its unit: "85,3 %" for percentages, else "12 dagar".
    pub fn with_unit(self, x: f64, decimals: u8, unit: Option<&str>) -> String {
        let n = self.number(x, decimals);
        match unit {
            Some(u) if u == "procent" || u == "per cent" || u.contains('%') => {
                format!("{n}{}%", swedish::NBSP)
            }
            Some(u) => format!("{n}{}{u}", swedish::NBSP),
            None => n,
        }
    }

    pub fn colour(self, c: Colour) -> &'static str {
        match (self, c) {
            (Self::Sv, Colour::Green) => "Bland de 25 % bästa",
            (Self::Sv, Colour::Yellow) => "Bland de 50 % i mitten",
            (Self::Sv, Colour::Red) => "Bland de 25 % sämsta",
            (Self::Sv, Colour::Grey) => "Uppgift saknas",
            (Self::Sv, Colour::None) => "Ingen färg",
            (Self::En, Colour::Green) => "Among the best 25 %",
            (Self::En, Colour::Yellow) => "Among the middle 50 %",
            (Self::En, Colour::Red) => "Among the worst 25 %",
            (Self::En, Colour::Grey) => "No value",
            (Self::En, Colour::None) => "No colour",
        }
    }

    pub fn trend(self, t: Trend) -> &'static str {
        match (self, t) {
            (Self::Sv, Trend::Better) => "Bättre",
            (Self::Sv, Trend::Worse) => "Sämre",
            (Self::Sv, Trend::Unchanged) => "Oförändrat",
            (Self::Sv, Trend::Changed) => "Förändrat",
            (Self::Sv, Trend::NotComparable) => "Kan inte jämföras",
            (Self::En, Trend::Better) => "Better",
            (Self::En, Trend::Worse) => "Worse",
            (Self::En, Trend::Unchanged) => "Unchanged",
            (Self::En, Trend::Changed) => "Changed",
            (Self::En, Trend::NotComparable) => "Cannot be compared",
        }
    }

    /// Why a value is missing, in words, with Kolada's symbol.
    pub fn missing(self, s: Option<MissingStatus>) -> &'static str {
        match (self, s) {
            (Self::Sv, Some(MissingStatus::Secret)) => {
                "..  Redovisas inte – för få svar eller personer"
            }
            (Self::Sv, Some(MissingStatus::NotApplicable)) => ".  Ej tillämpligt",
            (Self::Sv, Some(MissingStatus::NotReported)) => "-  Kommunen har inte lämnat uppgift",
            (Self::Sv, Some(MissingStatus::NotPublished)) => "Ännu inte publicerat",
            (Self::Sv, None) => "Uppgift saknas",
            (Self::En, Some(MissingStatus::Secret)) => "..  Not shown – too few answers or persons",
            (Self::En, Some(MissingStatus::NotApplicable)) => ".  Not applicable",
            (Self::En, Some(MissingStatus::NotReported)) => "-  Not reported by the municipality",
            (Self::En, Some(MissingStatus::NotPublished)) => "Not yet published",
            (Self::En, None) => "No value",
        }
    }

    /// The texts as a template value, made once per language.
    pub fn template_texts(self) -> minijinja::Value {
        static SV: OnceLock<minijinja::Value> = OnceLock::new();
        static EN: OnceLock<minijinja::Value> = OnceLock::new();
        let cell = match self {
            Self::Sv => &SV,
            Self::En => &EN,
        };
        cell.get_or_init(|| minijinja::Value::from(minijinja::value::Serde(self.texts())))
            .clone()
    }

    /// Every fixed text of the templates, by key.
    pub fn texts(self) -> &'static BTreeMap<&'static str, &'static str> {
        static SV: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
        static EN: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
        let (cell, column) = match self {
            Self::Sv => (&SV, 1),
            Self::En => (&EN, 2),
        };
        cell.get_or_init(|| {
            TEXTS
                .iter()
                .map(|row| (row.0, if column == 1 { row.1 } else { row.2 }))
                .collect()
        })
    }
}

/// (key, Swedish, English).
const TEXTS: &[(&str, &str, &str)] = &[
    ("site_name", "Kommunens kvalitet", "Municipal quality"),
    ("skip", "Hoppa till innehållet", "Skip to content"),
    ("other_lang", "In English", "På svenska"),
    ("start", "Startsida", "Home"),
    ("about", "Så läser du resultaten", "How to read the results"),
    ("accessibility", "Tillgänglighet", "Accessibility"),
    ("open_data", "Öppna data (API)", "Open data (API)"),
    (
        "start_title",
        "Hur bra är din kommun?",
        "How good is your municipality?",
    ),
    (
        "start_intro",
        "Här ser du hur din kommun ligger till jämfört med andra kommuner: inom skola, omsorg, samhälle och miljö. Siffrorna kommer från Kolada och kommunernas egna mätningar.",
        "See how your municipality compares with others in schools, care, society and the environment. The figures come from Kolada and the municipalities' own measurements.",
    ),
    ("find_label", "Kommunens namn", "Name of the municipality"),
    ("search", "Sök", "Search"),
    (
        "all_kommuner",
        "Alla kommuner A–Ö",
        "All municipalities A–Ö",
    ),
    (
        "no_match",
        "Ingen kommun matchar",
        "No municipality matches",
    ),
    ("matches", "kommuner matchar", "municipalities match"),
    ("show_all", "Visa alla", "Show all"),
    ("value", "Kommunens värde", "The municipality's value"),
    ("mean", "Snitt (ovägt)", "Average (unweighted)"),
    ("range_dir", "Sämsta – bästa värde", "Worst – best value"),
    (
        "range_none",
        "Lägsta – högsta värde",
        "Lowest – highest value",
    ),
    ("colour", "Färg", "Colour"),
    ("trend", "Utveckling", "Trend"),
    ("rank", "Plats", "Rank"),
    ("of", "av", "of"),
    ("shared", "delad", "shared"),
    ("year", "År", "Year"),
    ("latest", "Senaste", "Latest"),
    ("refers_to", "Avser", "Refers to"),
    ("updated", "Uppdaterad", "Updated"),
    ("gender", "Kön", "Gender"),
    ("g_T", "Totalt", "Total"),
    ("g_K", "Kvinnor", "Women"),
    ("g_M", "Män", "Men"),
    ("compare_with", "Jämför med", "Compare with"),
    ("show", "Visa", "Show"),
    ("measure_set", "Måttsamling", "Set of measures"),
    ("riket", "Riket (vägt)", "Sweden (weighted)"),
    ("question", "Fråga", "Question"),
    ("answer", "Svar", "Answer"),
    ("municipality", "Kommun", "Municipality"),
    (
        "all_ranked",
        "Alla kommuner i jämförelsen",
        "All municipalities in the comparison",
    ),
    ("time_series", "Utveckling över tid", "Over time"),
    ("map", "Karta", "Map"),
    ("about_measure", "Om måttet", "About the measure"),
    ("definition", "Definition", "Definition"),
    ("kolada_title", "Titel i Kolada", "Title in Kolada"),
    ("id", "Id", "Id"),
    ("unit", "Enhet", "Unit"),
    ("source", "Källa", "Source"),
    (
        "processing",
        "Bearbetning: kvalitet (färg, placering och snitt)",
        "Processing: kvalitet (colour, rank and average)",
    ),
    (
        "comment",
        "Kommunens kommentar",
        "The municipality's comment",
    ),
    (
        "no_comment",
        "Kommunen har inte kommenterat resultatet.",
        "The municipality has not commented on the result.",
    ),
    ("download", "Ladda ner", "Download"),
    ("csv", "CSV (UTF-8)", "CSV (UTF-8)"),
    (
        "csv_excel",
        "CSV för Excel (semikolon)",
        "CSV for Excel (semicolon)",
    ),
    ("xlsx", "Excel (.xlsx)", "Excel (.xlsx)"),
    ("embed", "Bädda in", "Embed"),
    (
        "embed_help",
        "Klistra in koden på din webbplats:",
        "Paste the code into your web site:",
    ),
    (
        "print",
        "Utskriftsvänlig version",
        "Printer-friendly version",
    ),
    ("compare", "Jämför kommuner", "Compare municipalities"),
    (
        "compare_intro",
        "Välj ett mått och upp till fem kommuner.",
        "Choose a measure and up to five municipalities.",
    ),
    ("measure", "Mått", "Measure"),
    (
        "choose_kommuner",
        "Kommuner (högst fem)",
        "Municipalities (at most five)",
    ),
    ("data_table", "Tabell", "Table"),
    (
        "no_data",
        "Det finns inga värden för det här valet.",
        "There are no values for this choice.",
    ),
    (
        "colour_rule",
        "Färgen visar hur kommunen ligger till jämfört med de andra kommunerna i jämförelsen: grönt = bland de 25 % bästa, gult = bland de 50 % i mitten, rött = bland de 25 % sämsta. Grått betyder att uppgift saknas. Färgen säger inget om resultatet är bra eller dåligt i sig.",
        "The colour shows how the municipality compares with the others: green = among the best 25 %, yellow = the middle 50 %, red = among the worst 25 %. Grey means no value. The colour does not say whether a result is good or bad in itself.",
    ),
    (
        "no_colour_rule",
        "Mått utan tydlig riktning (till exempel kostnader) och jämförelser med färre än fyra värden får ingen färg.",
        "Measures without a clear better direction (such as costs) and comparisons with fewer than four values get no colour.",
    ),
    (
        "mean_rule",
        "Snitt är medelvärdet av kommunernas värden, där varje kommun räknas lika (ovägt). Riket är värdet för hela Sveriges befolkning (vägt) och kan skilja sig från snittet.",
        "The average is the mean of the municipalities' values, each counted once (unweighted). Sweden is the value for the whole population (weighted) and may differ from the average.",
    ),
    (
        "trend_rule",
        "Utveckling jämför med året före. Oförändrat betyder samma värde med de decimaler som visas.",
        "Trend compares with the year before. Unchanged means the same value at the decimals shown.",
    ),
    ("summary", "Sammanfattning", "Summary"),
    ("green_count", "gröna", "green"),
    ("yellow_count", "gula", "yellow"),
    ("red_count", "röda", "red"),
    ("no_value_count", "utan värde", "without a value"),
    ("this_year", "Senaste året", "Latest year"),
    ("year_before", "Året före", "The year before"),
    (
        "not_in_catalogue",
        "Måttet finns inte i den laddade katalogen.",
        "The measure is not in the loaded catalogue.",
    ),
    ("back_to", "Tillbaka till", "Back to"),
    ("not_found", "Sidan finns inte", "Page not found"),
    ("bad_request", "Felaktig fråga", "Bad request"),
    (
        "error_help",
        "Kontrollera adressen eller börja om från startsidan.",
        "Check the address or start again from the home page.",
    ),
    ("source_kolada", "Kolada", "Kolada"),
    ("compared_with", "Jämfört med", "Compared with"),
    (
        "values_of",
        "kommuner har värden",
        "municipalities have values",
    ),
    ("legend", "Förklaring", "Legend"),
    (
        "a11y_title",
        "Tillgänglighetsredogörelse",
        "Accessibility statement",
    ),
    (
        "a11y_text",
        "Webbplatsen ska kunna användas av alla. Sidorna fungerar utan JavaScript, med tangentbord och med skärmläsare. Varje diagram och karta har en tabell med samma siffror, och färger förklaras alltid med ord och former. Sidorna testas automatiskt med axe-core mot WCAG 2.1 nivå AA. Hittar du något som inte fungerar? Kontakta den organisation som driver webbplatsen. Du kan också anmäla till Myndigheten för digital förvaltning (DIGG), som ansvarar för tillsynen av lagen om tillgänglighet till digital offentlig service.",
        "The site is meant for everyone. Pages work without JavaScript, with a keyboard and with screen readers. Every chart and map has a table with the same figures, and colours are always explained with words and shapes. Pages are tested automatically with axe-core against WCAG 2.1 level AA. Found something that does not work? Contact the organisation running the site. You may also report to the Agency for Digital Government (DIGG), which supervises the Swedish law on accessibility of digital public services.",
    ),
    (
        "map_none",
        "Inga kartgränser är laddade (kvalitet import kommuner.geojson).",
        "No map boundaries are loaded (kvalitet import kommuner.geojson).",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_has_both_languages_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for (key, sv, en) in TEXTS {
            assert!(keys.insert(key), "{key} twice");
            assert!(!sv.is_empty() && !en.is_empty(), "{key}");
        }
        assert_eq!(Lang::Sv.texts().len(), TEXTS.len());
    }

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(Lang::Sv.number(-1234.5, 1), "\u{2212}1\u{a0}234,5");
        assert_eq!(Lang::En.number(-1234.5, 1), "-1,234.5");
        assert_eq!(Lang::Sv.with_unit(85.31, 1, Some("procent")), "85,3\u{a0}%");
        assert_eq!(Lang::Sv.with_unit(38.0, 0, Some("dagar")), "38\u{a0}dagar");
    }
}
