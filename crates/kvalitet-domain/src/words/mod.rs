//! Every word kvalitet says to a person, in Swedish (first) and English, by key: the pages'
//! texts, the words for stable codes (statuses, roles, kinds) and the messages of refusals
//! and file errors, whose `{name}` places take their values; and numbers in each language's
//! form. One table, so the web, the command line and the errors of every crate say the same
//! thing. Wording follows ../shared/docs/citizen-presentation.md: colour always with words,
//! the trend as better/worse, missing values with their reason.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::{Colour, Message, MissingStatus, Trend, swedish};

mod errors;
mod pages;

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

    /// A value with its unit: "85,3 %" for percentages, else "12 dagar".
    pub fn with_unit(self, x: f64, decimals: u8, unit: Option<&str>) -> String {
        let n = self.number(x, decimals);
        match unit {
            Some(u) if u == "procent" || u == "per cent" || u.contains('%') => {
                format!("{n}{}%", swedish::NBSP)
            }
            // "76 index 0–100" reads as a typing error: an index on a scale is "76 av 100".
            Some(u) if u.starts_with("index 0–") || u.starts_with("index 0-") => {
                let top = u
                    .trim_start_matches("index 0")
                    .trim_start_matches(['–', '-']);
                format!("{n} {}{}{top}", self.t("out_of"), swedish::NBSP)
            }
            Some(u) => format!("{n}{}{u}", swedish::NBSP),
            None => n,
        }
    }

    pub fn colour(self, c: Colour) -> &'static str {
        self.t(match c {
            Colour::Green => "colour.green",
            Colour::Yellow => "colour.yellow",
            Colour::Red => "colour.red",
            Colour::Grey => "colour.grey",
            Colour::None => "colour.none",
        })
    }

    pub fn trend(self, t: Trend) -> &'static str {
        self.t(match t {
            Trend::Better => "trend.better",
            Trend::Worse => "trend.worse",
            Trend::Unchanged => "trend.unchanged",
            Trend::Changed => "trend.changed",
            Trend::NotComparable => "trend.not_comparable",
        })
    }

    /// Why a value is missing, in words, with Kolada's symbol.
    pub fn missing(self, s: Option<MissingStatus>) -> &'static str {
        self.t(match s {
            Some(MissingStatus::Secret) => "missing.secret",
            Some(MissingStatus::NotApplicable) => "missing.not_applicable",
            Some(MissingStatus::NotReported) => "missing.not_reported",
            Some(MissingStatus::NotPublished) => "missing.not_published",
            None => "missing.none",
        })
    }

    /// Every text of the table, by key.
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
                .chain(pages::PAGE_TEXTS)
                .chain(errors::ERROR_TEXTS)
                .map(|row| (row.0, if column == 1 { row.1 } else { row.2 }))
                .collect()
        })
    }
}

impl Lang {
    /// The word or sentence of `key` in this language; the key itself when the table has
    /// none (a test checks that every code used is in the table).
    pub fn t(self, key: &str) -> &'static str {
        // A test of the web checks that every key written in the code has words.
        self.texts().get(key).copied().unwrap_or_default()
    }

    /// A coded message in this language, its `{name}` places filled with its values.
    pub fn say(self, message: &Message) -> String {
        let mut text = match self.texts().get(message.code) {
            Some(t) => (*t).to_owned(),
            None => return message.code.to_owned(),
        };
        for (name, value) in &message.args {
            let value = match value {
                crate::message::Arg::Text(t) => t.clone(),
                crate::message::Arg::Said(inner) => self.say(inner),
                crate::message::Arg::List(items) => items
                    .iter()
                    .map(|m| self.say(m))
                    .collect::<Vec<_>>()
                    .join("; "),
                crate::message::Arg::Term { key, fallback } => self
                    .texts()
                    .get(key.as_str())
                    .map_or_else(|| fallback.clone(), |w| (*w).to_owned()),
            };
            text = text.replace(&format!("{{{name}}}"), &value);
        }
        text
    }
}

/// (key, Swedish, English): every word of the site, the words for stable codes (statuses,
/// roles, kinds) and the messages of refusals, whose `{name}` places take their values.
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
    (
        "match_count_one",
        "1 kommun matchar",
        "1 municipality matches",
    ),
    (
        "match_count",
        "{count} kommuner matchar",
        "{count} municipalities match",
    ),
    ("show_all", "Visa alla", "Show all"),
    ("value", "Kommunens värde", "The municipality's value"),
    ("mean", "Snitt (ovägt)", "Average (unweighted)"),
    ("range_dir", "Sämsta – bästa värde", "Worst – best value"),
    ("middle_half", "Mittersta hälften", "Middle half"),
    ("axis_starts_at", "axeln börjar vid", "the axis starts at"),
    (
        "range_show",
        "Visa också hela spannet i diagrammet",
        "Also show the whole range in the chart",
    ),
    (
        "range_hide",
        "Visa bara mittersta hälften i diagrammet",
        "Show only the middle half in the chart",
    ),
    (
        "middle_half_note",
        "Det skuggade bandet visar den mittersta hälften av kommunerna (mellan första och tredje kvartilen), så att en enstaka avvikande kommun inte bestämmer skalan.",
        "The shaded band shows the middle half of the municipalities (between the first and third quartile), so that a single outlier does not set the scale.",
    ),
    (
        "range_none",
        "Lägsta – högsta värde",
        "Lowest – highest value",
    ),
    ("colour", "Färg", "Colour"),
    ("trend", "Utveckling", "Trend"),
    ("rank", "Plats", "Rank"),
    ("of", "av", "of"),
    ("out_of", "av", "out of"),
    ("shared", "delad", "shared"),
    ("year", "År", "Year"),
    ("latest", "Senaste", "Latest"),
    ("refers_to", "Avser", "Refers to"),
    ("updated", "Inläst här", "Loaded here"),
    (
        "published_at_source",
        "Publicerad i Kolada",
        "Published in Kolada",
    ),
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
        "measure_no_values",
        "Det finns ännu inga värden för det här måttet i någon kommun. Värdena visas här när de har publicerats.",
        "No municipality has values for this measure yet. They show here once they are published.",
    ),
    (
        "no_data",
        "Det finns inga värden för det här valet.",
        "There are no values for this choice.",
    ),
    (
        "colour_rule",
        "Färgen visar hur kommunen ligger till jämfört med de andra kommunerna i jämförelsen: grönt = bland de 25 % bästa, gult = bland de 50 % i mitten, rött = bland de 25 % sämsta. Grått betyder att uppgift saknas. Färgen säger inget om resultatet är bra eller dåligt i sig.",
        "The colour shows how the municipality compares with the others: green = among the best 25 %, yellow = the middle 50 %, red = among the worst 25 %. Grey means no value. The colour does not say whether a result is good or bad in itself.",
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
    // Refusals: codes with their values (kvalitet_domain::Message).
    (
        "failed",
        "Något gick fel. Försök igen senare.",
        "Something went wrong. Please try again later.",
    ),
    (
        "unknown_municipality",
        "Det finns ingen kommun med koden {id}. Sök kommunen på startsidan.",
        "There is no municipality with the code {id}. Find it from the home page.",
    ),
    (
        "unknown_measure",
        "Det finns inget mått med id {id}.",
        "There is no measure with the id {id}.",
    ),
    (
        "unknown_set",
        "Det finns ingen måttsamling som heter {id}.",
        "There is no measure set called {id}.",
    ),
    (
        "unknown_group",
        "Det finns ingen kommungrupp med id {id}.",
        "There is no municipality group with the id {id}.",
    ),
    (
        "unknown_county",
        "Det finns inget län med koden {id}.",
        "There is no county with the code {id}.",
    ),
    (
        "bad_population",
        "Jämförelsen {value} går inte att läsa. Välj alla kommuner, en grupp, ett län, grannar eller en lista i formuläret.",
        "The comparison {value} cannot be read. Choose all municipalities, a group, a county, neighbours or a list in the form.",
    ),
    (
        "bad_year",
        "{value} är inte ett år mellan 1950 och 2100.",
        "{value} is not a year between 1950 and 2100.",
    ),
    (
        "bad_gender",
        "Kön {value} finns inte: välj T (totalt), K (kvinnor) eller M (män).",
        "Gender {value} does not exist: choose T (total), K (women) or M (men).",
    ),
    (
        "bad_number",
        "{value} är inte ett tal. Skriv till exempel 12,5.",
        "{value} is not a number. Write for example 12.5.",
    ),
    (
        "bad_status",
        "{value} är inte en av statusarna ej publicerat, ej rapporterat, sekretess (..) eller ej tillämpligt (.).",
        "{value} is not one of the statuses not published, not reported, secret (..) or not applicable (.).",
    ),
    (
        "bad_municipality_id",
        "{value} är inte en kommunkod: den har fyra siffror, till exempel 0180.",
        "{value} is not a municipality code: it has four digits, for example 0180.",
    ),
    (
        "bad_group_id",
        "{value} är inte ett grupp-id: det börjar med G, till exempel G92787.",
        "{value} is not a group id: it begins with G, for example G92787.",
    ),
    (
        "bad_measure_id",
        "{value} är inte ett mått-id: högst 16 bokstäver, siffror, _ eller -.",
        "{value} is not a measure id: at most 16 letters, digits, _ or -.",
    ),
    (
        "bad_area_id",
        "{value} är varken en kommunkod (fyra siffror) eller ett grupp-id (G…).",
        "{value} is neither a municipality code (four digits) nor a group id (G…).",
    ),
    (
        "others_namespace",
        "Måttet {id} hör till kommun {namespace}. Kommun {owner}s egna mått börjar med X{owner}-.",
        "The measure {id} belongs to municipality {namespace}. Municipality {owner}'s own measures begin with X{owner}-.",
    ),
    (
        "too_many_compared",
        "Högst {max} kommuner kan jämföras åt gången; du valde {chosen}.",
        "At most {max} municipalities can be compared at a time; you chose {chosen}.",
    ),
    (
        "choose_municipality",
        "Välj minst en kommun att jämföra.",
        "Choose at least one municipality to compare.",
    ),
    (
        "choose_measure",
        "Välj ett mått att jämföra.",
        "Choose a measure to compare.",
    ),
    (
        "no_download",
        "Det finns ingen nedladdning som heter {file}. Välj data.csv, data-excel.csv eller data.xlsx.",
        "There is no download called {file}. Choose data.csv, data-excel.csv or data.xlsx.",
    ),
    (
        "role_too_low",
        "Din roll i den här kommunen räcker inte för det här.",
        "Your role in this municipality does not allow this.",
    ),
    (
        "file_not_saved",
        "Filen sparades inte. Rätta raderna och försök igen: {rows}",
        "The file was not saved. Correct the rows and try again: {rows}",
    ),
    (
        "too_many_attempts",
        "För många misslyckade försök. Vänta {minutes} min och försök igen.",
        "Too many failed attempts. Wait {minutes} min and try again.",
    ),
    (
        "busy",
        "Många loggar in just nu. Försök igen om en stund.",
        "Many are logging in right now. Try again in a moment.",
    ),
    ("done", "Klart", "Done"),
    ("no_access", "Åtkomst saknas", "No access"),
    ("did_not_work", "Det gick inte", "That did not work"),
    (
        "form_expired",
        "Formuläret har gått ut. Försök igen.",
        "The form has expired. Please try again.",
    ),
    (
        "wrong_credentials",
        "Fel e-postadress eller lösenord.",
        "Wrong e-mail address or password.",
    ),
    (
        "password_changed",
        "Lösenordet är bytt.",
        "The password has been changed.",
    ),
    (
        "wrong_current_password",
        "Det nuvarande lösenordet stämmer inte.",
        "The current password is not right.",
    ),
    (
        "no_role_here",
        "Du har ingen roll i den här kommunen.",
        "You have no role in this municipality.",
    ),
    (
        "invitation_gone",
        "Inbjudan är redan använd, har gått ut eller finns inte. Be om en ny.",
        "The invitation is used, has expired or does not exist. Ask for a new one.",
    ),
    (
        "file_too_large",
        "Filen är för stor. Här tas filer på högst {mb} MB emot.",
        "The file is too large. Files of at most {mb} MB are accepted here.",
    ),
    (
        "upload_broken",
        "Filen kom inte fram hela. Försök igen.",
        "The file did not arrive whole. Please try again.",
    ),
    ("w.self_assessment", "Självvärdering", "Self-assessment"),
    ("w.external", "Extern utvärdering", "External evaluation"),
    (
        "w.web_review",
        "Granskning av webbplatsen",
        "Web site review",
    ),
    ("w.survey", "Enkät", "Survey"),
    ("w.lead", "Huvudutvärderare", "Lead evaluator"),
    ("w.evaluator", "Utvärderare", "Evaluator"),
    ("w.respondent", "Kommunens svarande", "Municipal respondent"),
    ("w.draft", "Utkast", "Draft"),
    ("w.reader", "Läsare", "Reader"),
    ("w.editor", "Redaktör", "Editor"),
    ("w.admin", "Administratör", "Administrator"),
    ("w.submitted", "Inlämnad", "Submitted"),
    ("w.reviewed", "Granskad", "Reviewed"),
    ("w.published", "Publicerad", "Published"),
    ("w.submit", "Lämna in för granskning", "Submit for review"),
    ("w.return", "Skicka tillbaka till utkast", "Return to draft"),
    ("w.review", "Godkänn granskningen", "Approve the review"),
    ("w.publish", "Publicera resultatet", "Publish the result"),
    (
        "assessors_differ",
        "Bedömarna skiljer sig åt: {lowest} till {highest} poäng",
        "The assessors differ: {lowest} to {highest} points",
    ),
    (
        "assessors_agree",
        "Bedömarna är eniga",
        "The assessors agree",
    ),
    ("not_answered", "Inte besvarad", "Not answered"),
    (
        "area_bars_title",
        "Poäng per område som andel av max",
        "Points per area as a share of the maximum",
    ),
    (
        "area_bars_description",
        "Staplarna visar kommunens poäng per område som andel av områdets maxpoäng. Linjen under varje stapel går från lägsta till högsta bland de {compared} kommuner som publicerat på samma version, strecket är deras medelvärde. Siffrorna finns i tabellen.",
        "The bars show the municipality's points per area as a share of the area's maximum. The line under each bar runs from the lowest to the highest among the {compared} municipalities that published on the same version; the tick is their mean. The numbers are in the table.",
    ),
    ("national", "nationell", "national"),
    ("total.sum", "summa", "sum"),
    (
        "total.percent_of_max",
        "andel av maxpoäng (%)",
        "share of the maximum (%)",
    ),
    (
        "total.mean_of_indices",
        "medelvärde av index (0–100)",
        "mean of indices (0–100)",
    ),
    (
        "total.scaled_to",
        "poäng omräknade till {n}",
        "points scaled to {n}",
    ),
    (
        "page_missing",
        "Sidan finns inte. Kontrollera adressen, eller börja från startsidan.",
        "The page does not exist. Check the address, or start from the home page.",
    ),
    (
        "map_title",
        "Karta: färg per kommun, {year}",
        "Map: colour per municipality, {year}",
    ),
    (
        "map_description",
        "Kommuner i jämförelsen är färgade grönt, gult eller rött; {name} är markerad med tjock kant. Samma uppgifter finns i tabellen över alla kommuner.",
        "Municipalities in the comparison are coloured green, yellow or red; {name} is outlined. The same figures are in the table of all municipalities.",
    ),
    (
        "answer_value",
        "I {name} var värdet {value} {unit} år {year}.",
        "In {name} the value was {value} {unit} in {year}.",
    ),
    (
        "answer_missing",
        "För {name} finns inget värde år {year}: {why}.",
        "There is no value for {name} in {year}: {why}.",
    ),
    (
        "spark_caption",
        "{from}–{to}: {name} heldragen, snittet streckat",
        "{from}–{to}: {name} solid, the average dashed",
    ),
    ("strip_worse", "sämre", "worse"),
    ("strip_better", "bättre", "better"),
    (
        "series_empty",
        "{name} har inga värden för måttet.",
        "{name} has no values for the measure.",
    ),
    (
        "series_description",
        "Linjediagram. {name}: {first} år {first_year} och {last} år {last_year}. Snittet år {last_year} var {mean}.",
        "Line chart. {name}: {first} in {first_year} and {last} in {last_year}. The average in {last_year} was {mean}.",
    ),
    (
        "population_set",
        "Kommunerna i måttsamlingen",
        "The municipalities in the set",
    ),
    ("population_all", "Alla kommuner", "All municipalities"),
    (
        "population_neighbours",
        "Grannkommunerna",
        "Neighbouring municipalities",
    ),
    (
        "no_colour_no_direction",
        "Måttet har ingen tydlig riktning (till exempel en kostnad), så det får ingen färg.",
        "The measure has no clear better direction (a cost, for example), so it gets no colour.",
    ),
    (
        "no_colour_too_few",
        "För få kommuner har värden för att färga.",
        "Too few municipalities have values to colour.",
    ),
    (
        "strip_label",
        "Kommunens läge mellan sämsta (vänster) och bästa (höger) värde bland {population}",
        "The municipality's position between the worst (left) and best (right) value among {population}",
    ),
    (
        "spark_label",
        "Utvecklingen för {name} de senaste åren (heldragen linje) mot snittet (streckad)",
        "Recent years for {name} (solid line) against the average (dashed)",
    ),
    ("colour.green", "Bland de 25 % bästa", "Among the best 25 %"),
    (
        "colour.yellow",
        "Bland de 50 % i mitten",
        "Among the middle 50 %",
    ),
    ("colour.red", "Bland de 25 % sämsta", "Among the worst 25 %"),
    ("colour.grey", "Uppgift saknas", "No value"),
    ("colour.none", "Ingen färg", "No colour"),
    ("trend.better", "Bättre", "Better"),
    ("trend.worse", "Sämre", "Worse"),
    ("trend.unchanged", "Oförändrat", "Unchanged"),
    ("trend.changed", "Förändrat", "Changed"),
    (
        "trend.not_comparable",
        "Kan inte jämföras",
        "Cannot be compared",
    ),
    (
        "missing.secret",
        "..  Redovisas inte – för få svar eller personer",
        "..  Not shown – too few answers or persons",
    ),
    (
        "missing.not_applicable",
        ".  Ej tillämpligt",
        ".  Not applicable",
    ),
    (
        "missing.not_reported",
        "-  Kommunen har inte lämnat uppgift",
        "-  Not reported by the municipality",
    ),
    (
        "missing.not_published",
        "Ännu inte publicerat",
        "Not yet published",
    ),
    ("missing.none", "Uppgift saknas", "No value"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_has_both_languages_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for (key, sv, en) in TEXTS
            .iter()
            .chain(pages::PAGE_TEXTS)
            .chain(errors::ERROR_TEXTS)
        {
            assert!(keys.insert(key), "{key} twice");
            assert!(!sv.is_empty() && !en.is_empty(), "{key}");
        }
        assert_eq!(
            Lang::Sv.texts().len(),
            TEXTS.len() + pages::PAGE_TEXTS.len() + errors::ERROR_TEXTS.len()
        );
    }

    #[test]
    fn coded_messages_are_said_in_each_language_with_their_values() {
        let m = Message::new("unknown_municipality").with("id", "9999");
        assert_eq!(
            Lang::Sv.say(&m),
            "Det finns ingen kommun med koden 9999. Sök kommunen på startsidan."
        );
        assert_eq!(
            Lang::En.say(&m),
            "There is no municipality with the code 9999. Find it from the home page."
        );
    }

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(Lang::Sv.number(-1234.5, 1), "\u{2212}1\u{a0}234,5");
        assert_eq!(Lang::En.number(-1234.5, 1), "-1,234.5");
        assert_eq!(Lang::Sv.with_unit(85.31, 1, Some("procent")), "85,3\u{a0}%");
        assert_eq!(Lang::Sv.with_unit(38.0, 0, Some("dagar")), "38\u{a0}dagar");
        assert_eq!(
            Lang::Sv.with_unit(76.0, 0, Some("index 0–100")),
            "76 av\u{a0}100"
        );
        assert_eq!(
            Lang::En.with_unit(76.0, 0, Some("index 0–100")),
            "76 out of\u{a0}100"
        );
    }
}
