//! Service measurements as use cases: a round (national, run by a coordinator, or a
//! municipality's own), its members, question bank and plan; contacts registered one by one
//! on a phone or as CSV; survey answers for the service index; the computed figures with their
//! intervals and warnings, the average and range over the members; and publishing the figures
//! as measures. Every use case checks the person's rights itself.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::calendar::{self, Calendar};
use kvalitet_domain::round::Spread;
use kvalitet_domain::service::{
    self, Channel, Contact, Figure, Relevance, Rules, SurveyQuestion, TestFigures,
};
use kvalitet_domain::text::{check_len, check_slug, max_chars};
use kvalitet_domain::{
    Action, AreaId, Datum, Direction, Gender, Grants, MeasureId, MeasureOrigin, Message,
    MunicipalityId, ServiceRoundId, SourceKind, ValueKey, ValueRow, Year,
};

use crate::ports::{
    Actor, AuditRecord, CatalogueBatch, ChangeSet, ImportSource, NewServiceRound, Note, PlanRow,
    ServiceContent, ServiceQuestion, ServiceRoundRecord, ServiceRounds, StatusStep, SurveyCounts,
    Values,
};
use crate::publish::{self, PublishCheck, ResultMeasure, ResultSet};
use kvalitet_formats::Location;
use kvalitet_formats::table::Table;

pub use crate::refusal::Refusal as ServiceError;

/// Whether a person runs this round: a system administrator (national coordinator) for a
/// national round, an administrator of the organising municipality for its own.
pub fn may_manage(grants: &Grants, organiser: Option<&MunicipalityId>) -> bool {
    match organiser {
        None => grants.system_admin,
        Some(m) => grants.allows(Action::Publish, m),
    }
}

/// Whether a person may register contacts: those who run the round, and the testers the
/// plan names.
pub fn may_register(
    grants: &Grants,
    email: &str,
    r: &ServiceRoundRecord,
    plan: &[PlanRow],
) -> bool {
    may_manage(grants, r.organiser.as_ref())
        || plan.iter().any(|p| p.tester.eq_ignore_ascii_case(email))
}

pub async fn round(
    store: &impl ServiceRounds,
    id: ServiceRoundId,
) -> Result<ServiceRoundRecord, ServiceError> {
    store
        .service_rounds(Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ServiceError::NotFound(round_not_found(id)))
}

/// A round someone may see: once published everyone; before, those who run it and testers.
pub async fn visible_round(
    store: &impl ServiceRounds,
    grants: &Grants,
    email: &str,
    id: ServiceRoundId,
) -> Result<(ServiceRoundRecord, ServiceContent), ServiceError> {
    let r = round(store, id).await?;
    let content = store.service_content(id).await?;
    if r.published || may_register(grants, email, &r, &content.plan) {
        Ok((r, content))
    } else if let Some(c) = r.corrections.last() {
        // Residents knew the round: they are told why it is away and since when.
        Err(ServiceError::NotFound(
            Message::new("service_under_correction")
                .with("date", c.at.local_date_text())
                .with("reason", &c.reason),
        ))
    } else {
        Err(ServiceError::NotFound(round_not_found(id)))
    }
}

async fn managed_round(
    store: &impl ServiceRounds,
    grants: &Grants,
    id: ServiceRoundId,
) -> Result<ServiceRoundRecord, ServiceError> {
    let r = round(store, id).await?;
    if may_manage(grants, r.organiser.as_ref()) {
        Ok(r)
    } else if !r.published {
        // Those who may not run an unpublished round are not told that it exists.
        Err(ServiceError::NotFound(round_not_found(id)))
    } else {
        Err(ServiceError::Forbidden(match r.organiser {
            None => Message::new("national_round_admin"),
            Some(m) => Message::new("only_admins_run_round").with("municipality", m),
        }))
    }
}

fn round_not_found(id: ServiceRoundId) -> Message {
    Message::new("service_round_not_found").with("id", id)
}

/// What the form for a new round says.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct RoundForm {
    pub title: String,
    pub year: String,
    /// Empty for a national round.
    pub organiser: String,
    /// A checkbox: present (whatever its value) when ticked.
    #[serde(deserialize_with = "ticked")]
    pub partly_counts: bool,
    pub min_tests: String,
    /// ISO dates separated by commas or spaces.
    pub closed_days: String,
}

/// A ticked checkbox: sent at all, whatever its value.
fn ticked<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let _: serde::de::IgnoredAny = serde::Deserialize::deserialize(d)?;
    Ok(true)
}

/// The published rounds that tested municipality `m`, for its page.
pub async fn published_rounds_of(
    store: &impl ServiceRounds,
    m: &MunicipalityId,
) -> Result<Vec<ServiceRoundRecord>, ServiceError> {
    Ok(store
        .service_rounds(None)
        .await?
        .into_iter()
        .filter(|r| r.published && r.members.contains(m))
        .collect())
}

/// Every published round (of `year`, when given) with its figures, for open data.
pub async fn published_results(
    store: &impl ServiceRounds,
    year: Option<Year>,
) -> Result<Vec<(ServiceRoundRecord, ServiceResults)>, ServiceError> {
    let mut out = Vec::new();
    for r in store.service_rounds(None).await? {
        if !r.published || year.is_some_and(|y| y != r.year) {
            continue;
        }
        let content = store.service_content(r.id).await?;
        let res = results(&r, &content);
        out.push((r, res));
    }
    Ok(out)
}

/// The rounds a person may see, each with whether they run it: those they run, those they
/// test in (named in the plan), and the published ones.
pub async fn rounds_for(
    store: &impl ServiceRounds,
    grants: &Grants,
    email: &str,
) -> Result<Vec<(ServiceRoundRecord, bool)>, ServiceError> {
    let mut out = Vec::new();
    for r in store.service_rounds(None).await? {
        let manages = may_manage(grants, r.organiser.as_ref());
        let visible = manages
            || r.published
            || may_register(grants, email, &r, &store.service_content(r.id).await?.plan);
        if visible {
            out.push((r, manages));
        }
    }
    Ok(out)
}

use calendar::parse_date;

pub async fn create_round(
    store: &impl ServiceRounds,
    grants: &Grants,
    form: &RoundForm,
    actor: &Actor,
) -> Result<ServiceRoundId, ServiceError> {
    let organiser = match form.organiser.trim() {
        "" => None,
        m => Some(MunicipalityId::parse(m).map_err(|_| {
            ServiceError::Invalid(Message::in_field(
                "organiser",
                Message::new("not_a_municipality_id").with("value", format!("{m:?}")),
            ))
        })?),
    };
    if !may_manage(grants, organiser.as_ref()) {
        return Err(ServiceError::Forbidden(match organiser {
            None => Message::new("national_round_admin"),
            Some(m) => Message::new("only_admins_create_rounds").with("municipality", m),
        }));
    }
    let title = form.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ServiceError::Invalid(Message::in_field(
            "title",
            Message::new("give_title").with("max", 200),
        )));
    }
    let year = form
        .year
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|y| Year::new(y).ok())
        .ok_or_else(|| {
            ServiceError::Invalid(Message::in_field(
                "year",
                Message::new("not_a_year").with("value", format!("{:?}", form.year)),
            ))
        })?;
    let min_tests = match form.min_tests.trim() {
        "" => Rules::default().min_tests,
        t => t
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| {
                ServiceError::Invalid(Message::in_field(
                    "min_tests",
                    Message::new("not_a_number_of_tests").with("value", format!("{t:?}")),
                ))
            })?,
    };
    let closed_days = form
        .closed_days
        .split([',', ' ', '\n'])
        .filter(|d| !d.trim().is_empty())
        .map(|d| {
            parse_date(d).map_err(|e| ServiceError::Invalid(Message::in_field("closed_days", e)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let new = NewServiceRound {
        title: title.to_owned(),
        year,
        organiser,
        partly_counts: form.partly_counts,
        min_tests,
        closed_days,
    };
    Ok(store.create_service_round(&new, actor).await?)
}

fn member(r: &ServiceRoundRecord, text: &str) -> Result<MunicipalityId, Message> {
    let m = MunicipalityId::parse(text)
        .map_err(|_| Message::new("not_a_municipality_id").with("value", format!("{text:?}")))?;
    if r.members.contains(&m) {
        Ok(m)
    } else {
        Err(Message::new("not_in_round").with("municipality", m))
    }
}

/// Sets the round's municipalities: ids separated by commas, spaces or lines. A national
/// round names any kommuner; a municipality's own round only itself.
pub async fn set_members(
    store: &impl ServiceRounds,
    grants: &Grants,
    round_id: ServiceRoundId,
    text: &str,
    known: &HashSet<MunicipalityId>,
    actor: &Actor,
) -> Result<(), ServiceError> {
    let r = managed_round(store, grants, round_id).await?;
    let mut members = BTreeSet::new();
    let mut errors = Vec::new();
    for id in text
        .split([',', ' ', '\n', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match MunicipalityId::parse(id) {
            Ok(m) if !known.contains(&m) => {
                errors.push(Message::new("unknown_kommun").with("municipality", m))
            }
            Ok(m) if r.organiser.is_some_and(|o| o != m) => {
                errors.push(Message::new("own_round_only_itself").with("municipality", m))
            }
            Ok(m) => {
                members.insert(m);
            }
            Err(_) => {
                errors.push(Message::new("not_a_municipality_id").with("value", format!("{id:?}")))
            }
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::BadRows(errors));
    }
    let members: Vec<MunicipalityId> = members.into_iter().collect();
    Ok(store
        .save_service_setup(round_id, Some(&members), None, None, actor)
        .await?)
}

/// The most questions a bank may hold.
const MAX_QUESTIONS: usize = 1_000;

/// Reads a question bank: CSV `id;area;text`, every id once.
pub fn parse_questions(text: &str) -> Result<Vec<ServiceQuestion>, Vec<Message>> {
    let table = Table::with_columns(text, &["id", "area", "text"], &[])?;
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut questions = Vec::new();
    for row in table.rows() {
        let (id, area, q) = (row.get("id"), row.get("area"), row.get("text"));
        let line = Location::line(row.line as u64);
        if id.is_empty() || area.is_empty() || q.is_empty() {
            errors.push(line.say(Message::new("id_area_text_needed")));
        } else if !seen.insert(id.to_owned()) {
            errors.push(
                row.at("id")
                    .say(Message::new("listed_twice").with("value", format!("{id:?}"))),
            );
        } else if let Some(e) = [
            check_slug("id", id).err().map(|e| row.at("id").say(e)),
            check_len("area", area, max_chars::TITLE)
                .err()
                .map(|e| line.say(e)),
            check_len("text", q, max_chars::QUESTION)
                .err()
                .map(|e| line.say(e)),
        ]
        .into_iter()
        .flatten()
        .next()
        {
            errors.push(e);
        } else if questions.len() >= MAX_QUESTIONS {
            errors.push(line.say(Message::new("bank_too_large").with("max", MAX_QUESTIONS)));
            break;
        } else {
            questions.push(ServiceQuestion {
                id: id.to_owned(),
                area: area.to_owned(),
                text: q.to_owned(),
            });
        }
    }
    if errors.is_empty() {
        Ok(questions)
    } else {
        Err(errors)
    }
}

/// Replaces the question bank from CSV: `id;area;text`.
pub async fn set_questions(
    store: &impl ServiceRounds,
    grants: &Grants,
    round_id: ServiceRoundId,
    text: &str,
    actor: &Actor,
) -> Result<usize, ServiceError> {
    managed_round(store, grants, round_id).await?;
    let questions = parse_questions(text).map_err(ServiceError::BadRows)?;
    store
        .save_service_setup(round_id, None, Some(&questions), None, actor)
        .await?;
    Ok(questions.len())
}

/// Replaces the plan from CSV: `municipality_id;question_id;channel;planned_on;tester`.
pub async fn set_plan(
    store: &impl ServiceRounds,
    grants: &Grants,
    round_id: ServiceRoundId,
    text: &str,
    actor: &Actor,
) -> Result<usize, ServiceError> {
    let r = managed_round(store, grants, round_id).await?;
    let content = store.service_content(round_id).await?;
    let questions: HashSet<&str> = content.questions.iter().map(|q| q.id.as_str()).collect();
    let table = Table::with_columns(
        text,
        &[
            "municipality_id",
            "question_id",
            "channel",
            "planned_on",
            "tester",
        ],
        &[],
    )
    .map_err(ServiceError::BadRows)?;
    let mut errors = Vec::new();
    let mut plan = Vec::new();
    let mut seen = HashSet::new();
    for row in table.rows() {
        let line = Location::line(row.line as u64);
        let m =
            member(&r, row.get("municipality_id")).map_err(|e| row.at("municipality_id").say(e));
        let q = row.get("question_id");
        if !questions.contains(q) {
            errors.push(
                row.at("question_id")
                    .say(Message::new("not_in_bank").with("question", format!("{q:?}"))),
            );
        }
        let channel = Channel::parse(row.get("channel"))
            .ok_or_else(|| row.at("channel").say(Message::new("use_email_or_phone")));
        let day = parse_date(row.get("planned_on")).map_err(|e| row.at("planned_on").say(e));
        let tester = row.get("tester").to_lowercase();
        if !tester.contains('@') {
            errors.push(row.at("tester").say(Message::new("give_tester_email")));
        }
        match (m, channel, day) {
            (Ok(m), Ok(channel), Ok(day)) => {
                if !seen.insert((m, q.to_owned(), channel)) {
                    errors.push(
                        line.say(
                            Message::new("planned_twice")
                                .with("question", format!("{q:?}"))
                                .with("municipality", m)
                                .with_code("channel", channel.code()),
                        ),
                    );
                }
                plan.push(PlanRow {
                    municipality: m,
                    question: q.to_owned(),
                    channel,
                    planned_on: day.to_string(),
                    tester,
                });
            }
            (m, c, d) => errors.extend([m.err(), c.err(), d.err()].into_iter().flatten()),
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::BadRows(errors));
    }
    store
        .save_service_setup(round_id, None, None, Some(&plan), actor)
        .await?;
    Ok(plan.len())
}

fn yes_no(text: &str) -> Result<Option<bool>, Message> {
    match text.trim().to_lowercase().as_str() {
        "" => Ok(None),
        "ja" | "yes" | "1" | "true" => Ok(Some(true)),
        "nej" | "no" | "0" | "false" => Ok(Some(false)),
        other => Err(Message::new("not_yes_no").with("value", format!("{other:?}"))),
    }
}

/// A waiting time as seconds or minutes and seconds (`95` or `1:35`).
fn seconds(text: &str) -> Result<Option<u32>, Message> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let parsed = match t.split_once(':') {
        Some((m, s)) => m
            .parse::<u32>()
            .ok()
            .zip(s.parse::<u32>().ok().filter(|s| *s < 60))
            .map(|(m, s)| m * 60 + s),
        None => t.parse::<u32>().ok(),
    };
    parsed
        .map(Some)
        .ok_or_else(|| Message::new("not_seconds").with("value", format!("{t:?}")))
}

/// The fields of one contact as text, from a CSV row or a form.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ContactFields {
    pub municipality: String,
    pub question: String,
    pub channel: String,
    pub tester: String,
    pub sent_at: String,
    pub answered_at: String,
    pub relevance: String,
    pub direct_answer: String,
    pub wait: String,
    pub reception: String,
    pub note: String,
}

/// Reads one contact; `instant` reads a time (with a zone for files, Swedish wall-clock
/// time for the phone form). Problems are named by field through `at`.
fn read_contact(
    r: &ServiceRoundRecord,
    questions: &HashSet<&str>,
    f: &ContactFields,
    instant: fn(&str) -> Result<time::OffsetDateTime, Message>,
    at: &dyn Fn(&str) -> Location,
) -> Result<Contact, Vec<Message>> {
    let mut errors = Vec::new();
    let mut check = |field: &str, e: Message| errors.push(at(field).say(e));
    let municipality = member(r, f.municipality.trim())
        .map_err(|e| check("municipality_id", e))
        .ok();
    let question = f.question.trim().to_owned();
    if !questions.contains(question.as_str()) {
        check(
            "question_id",
            Message::new("not_in_bank").with("question", format!("{question:?}")),
        );
    }
    let channel = Channel::parse(&f.channel).or_else(|| {
        check("channel", Message::new("use_email_or_phone"));
        None
    });
    let sent_at = instant(&f.sent_at).map_err(|e| check("sent_at", e)).ok();
    let answered_at = match f.answered_at.trim() {
        "" => None,
        t => instant(t).map_err(|e| check("answered_at", e)).ok(),
    };
    let relevance = match f.relevance.trim() {
        "" => None,
        // Swedish words too, as testers write them.
        t => Relevance::parse(match t.to_lowercase().as_str() {
            "ja" => "yes",
            "delvis" => "partly",
            "nej" => "no",
            other => other,
        })
        .or_else(|| {
            check(
                "relevance",
                Message::new("not_yes_partly_no").with("value", format!("{t:?}")),
            );
            None
        }),
    };
    let direct_answer = yes_no(&f.direct_answer)
        .map_err(|e| check("direct_answer", e))
        .ok()
        .flatten();
    let wait_seconds = seconds(&f.wait)
        .map_err(|e| check("wait_seconds", e))
        .ok()
        .flatten();
    let reception = match f.reception.trim() {
        "" => None,
        t => match t.parse::<u8>() {
            Ok(v) if v <= service::RECEPTION_MAX => Some(v),
            _ => {
                check(
                    "reception",
                    Message::new("reception_outside").with("value", format!("{t:?}")),
                );
                None
            }
        },
    };
    let tester = f.tester.trim().to_lowercase();
    if tester.is_empty() {
        check("tester", Message::new("say_who_tested"));
    }
    let note = f.note.trim().to_owned();
    if note.chars().count() > 2000 {
        check(
            "note",
            Message::new("too_long")
                .with("max", 2000)
                .with("given", note.chars().count()),
        );
    }
    let (Some(municipality), Some(channel), Some(sent_at)) = (municipality, channel, sent_at)
    else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let contact = Contact {
        municipality,
        question,
        channel,
        tester,
        sent_at,
        answered_at,
        relevance,
        direct_answer,
        wait_seconds,
        reception,
        note,
    };
    let problems: Vec<Message> = contact
        .problems()
        .into_iter()
        .map(|p| at("").say(p))
        .collect();
    if problems.is_empty() {
        Ok(contact)
    } else {
        Err(problems)
    }
}

const CONTACT_COLUMNS: [&str; 5] = [
    "municipality_id",
    "question_id",
    "channel",
    "tester",
    "sent_at",
];
const CONTACT_OPTIONAL: [&str; 6] = [
    "answered_at",
    "relevance",
    "direct_answer",
    "wait_seconds",
    "reception",
    "note",
];

/// Reads contacts from CSV. Times must carry their zone (`2026-03-02T09:15:00+01:00`).
/// Every problem is named by line and column; a contact repeated in the file or already
/// registered is refused.
pub fn parse_contacts(
    r: &ServiceRoundRecord,
    content: &ServiceContent,
    text: &str,
) -> Result<Vec<Contact>, Vec<Message>> {
    let table = Table::with_columns(text, &CONTACT_COLUMNS, &CONTACT_OPTIONAL)?;
    let questions: HashSet<&str> = content.questions.iter().map(|q| q.id.as_str()).collect();
    let mut registered: HashMap<(MunicipalityId, String, Channel), Message> = content
        .contacts
        .iter()
        .map(|c| {
            (
                (
                    c.contact.municipality,
                    c.contact.question.clone(),
                    c.contact.channel,
                ),
                Message::new("already_registered"),
            )
        })
        .collect();
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut skipped = 0;
    for row in table.rows() {
        let line = row.line;
        let fields = ContactFields {
            municipality: row.get("municipality_id").into(),
            question: row.get("question_id").into(),
            channel: row.get("channel").into(),
            tester: row.get("tester").into(),
            sent_at: row.get("sent_at").into(),
            answered_at: row.get("answered_at").into(),
            relevance: row.get("relevance").into(),
            direct_answer: row.get("direct_answer").into(),
            wait: row.get("wait_seconds").into(),
            reception: row.get("reception").into(),
            note: row.get("note").into(),
        };
        // A template's planned test not filled in yet (nothing from the sending time on).
        let unfilled = [
            &fields.sent_at,
            &fields.answered_at,
            &fields.relevance,
            &fields.direct_answer,
            &fields.wait,
            &fields.reception,
            &fields.note,
        ]
        .iter()
        .all(|v| v.trim().is_empty());
        if unfilled {
            skipped += 1;
            continue;
        }
        let at = |field: &str| {
            if field.is_empty() {
                Location::line(line as u64)
            } else {
                row.at(field)
            }
        };
        match read_contact(r, &questions, &fields, calendar::parse_instant, &at) {
            Ok(c) => {
                let key = (c.municipality, c.question.clone(), c.channel);
                if let Some(first) = registered.get(&key) {
                    errors.push(
                        Location::line(line as u64).say(
                            Message::new("duplicate_contact")
                                .with("question", format!("{:?}", c.question))
                                .with("municipality", c.municipality)
                                .with_code("channel", c.channel.code())
                                .with_said("first", first.clone()),
                        ),
                    );
                } else {
                    registered.insert(key, Message::new("first_on_line").with("line", line));
                    out.push(c);
                }
            }
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() && out.is_empty() && skipped > 0 {
        errors.push(Message::new("no_contacts_filled"));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The contacts template of a round: a row per planned test not yet registered, with its
/// municipality, question, channel and tester filled in, the rest for the tester; rows left
/// unfilled are skipped when the file comes back. With `tester`, only that tester's tests.
pub fn contacts_template(
    content: &ServiceContent,
    tester: Option<&str>,
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut header = CONTACT_COLUMNS.to_vec();
    header.extend_from_slice(&CONTACT_OPTIONAL);
    let rows = content
        .plan
        .iter()
        .filter(|p| !is_registered(p, &content.contacts))
        .filter(|p| tester.is_none_or(|t| p.tester.eq_ignore_ascii_case(t)))
        .map(|p| {
            header
                .iter()
                .map(|column| match *column {
                    "municipality_id" => p.municipality.to_string(),
                    "question_id" => p.question.clone(),
                    "channel" => p.channel.code().to_owned(),
                    "tester" => p.tester.clone(),
                    _ => String::new(),
                })
                .collect()
        })
        .collect();
    (header, rows)
}

/// Registers contacts from a CSV file, all or none.
pub async fn import_contacts(
    store: &impl ServiceRounds,
    grants: &Grants,
    email: &str,
    round_id: ServiceRoundId,
    text: &str,
    actor: &Actor,
) -> Result<usize, ServiceError> {
    let (r, content) = registering(store, grants, email, round_id).await?;
    let contacts = parse_contacts(&r, &content, text).map_err(ServiceError::BadRows)?;
    store
        .add_service_contacts(round_id, &contacts, actor)
        .await?;
    Ok(contacts.len())
}

/// Registers one contact from the phone form, whose times are Swedish wall-clock times.
pub async fn register_contact(
    store: &impl ServiceRounds,
    grants: &Grants,
    email: &str,
    round_id: ServiceRoundId,
    fields: &ContactFields,
    actor: &Actor,
) -> Result<(), ServiceError> {
    let (r, content) = registering(store, grants, email, round_id).await?;
    let questions: HashSet<&str> = content.questions.iter().map(|q| q.id.as_str()).collect();
    let mut fields = fields.clone();
    if fields.tester.trim().is_empty() {
        fields.tester = email.to_owned();
    }
    let contact = read_contact(
        &r,
        &questions,
        &fields,
        calendar::parse_swedish_local,
        &|f: &str| {
            if f.is_empty() {
                Location::default()
            } else {
                Location::default().with_field(f)
            }
        },
    )
    .map_err(ServiceError::BadRows)?;
    if content.contacts.iter().any(|c| {
        (
            c.contact.municipality,
            &c.contact.question,
            c.contact.channel,
        ) == (contact.municipality, &contact.question, contact.channel)
    }) {
        return Err(ServiceError::Invalid(
            Message::new("duplicate_contact")
                .with("question", format!("{:?}", contact.question))
                .with("municipality", contact.municipality)
                .with_code("channel", contact.channel.code())
                .with_said("first", Message::new("already_registered")),
        ));
    }
    Ok(store
        .add_service_contacts(round_id, &[contact], actor)
        .await?)
}

/// Changes (`Some` fields) or removes (`None`) one registered contact until the round is
/// published: the person who registered it or is its tester, or those who run the round.
#[allow(clippy::too_many_arguments)]
pub async fn change_contact(
    store: &impl ServiceRounds,
    grants: &Grants,
    email: &str,
    round_id: ServiceRoundId,
    contact_id: i64,
    fields: Option<&ContactFields>,
    actor: &Actor,
) -> Result<(), ServiceError> {
    let (r, content) = registering(store, grants, email, round_id).await?;
    let existing = content
        .contacts
        .iter()
        .find(|c| c.id == contact_id)
        .ok_or_else(|| {
            ServiceError::NotFound(Message::new("no_such_contact").with("id", contact_id))
        })?;
    if !may_change_contact(grants, email, &r, existing) {
        return Err(ServiceError::Forbidden(Message::new("not_your_contact")));
    }
    let contact = match fields {
        None => None,
        Some(fields) => {
            let questions: HashSet<&str> =
                content.questions.iter().map(|q| q.id.as_str()).collect();
            let mut fields = fields.clone();
            fields.tester = existing.contact.tester.clone();
            Some(
                read_contact(
                    &r,
                    &questions,
                    &fields,
                    calendar::parse_swedish_local,
                    &|f: &str| Location::default().with_field(f),
                )
                .map_err(ServiceError::BadRows)?,
            )
        }
    };
    Ok(store
        .change_service_contact(round_id, contact_id, contact.as_ref(), actor)
        .await?)
}

/// Whether a person may change a registered contact: its tester, who registered it, or
/// those who run the round.
pub fn may_change_contact(
    grants: &Grants,
    email: &str,
    r: &ServiceRoundRecord,
    c: &crate::ports::ContactRecord,
) -> bool {
    may_manage(grants, r.organiser.as_ref())
        || c.contact.tester.eq_ignore_ascii_case(email)
        || c.registered_by.eq_ignore_ascii_case(email)
}

async fn registering(
    store: &impl ServiceRounds,
    grants: &Grants,
    email: &str,
    round_id: ServiceRoundId,
) -> Result<(ServiceRoundRecord, ServiceContent), ServiceError> {
    let r = round(store, round_id).await?;
    let content = store.service_content(round_id).await?;
    if !may_register(grants, email, &r, &content.plan) && !r.published {
        return Err(ServiceError::NotFound(round_not_found(round_id)));
    }
    if !may_register(grants, email, &r, &content.plan) {
        return Err(ServiceError::Forbidden(Message::new(
            "only_planned_testers",
        )));
    }
    if r.published {
        return Err(ServiceError::Invalid(Message::new(
            "published_contacts_stay",
        )));
    }
    Ok((r, content))
}

/// Reads survey answers: `municipality_id;channel;question;got_answer;1;2;3;4;5`, where
/// `got_answer` says for e-mail whether the resident got an answer (only those count).
const SURVEY_STEPS: [&str; 5] = ["1", "2", "3", "4", "5"];
const SURVEY_COLUMNS: [&str; 8] = [
    "municipality_id",
    "channel",
    "question",
    "1",
    "2",
    "3",
    "4",
    "5",
];
const SURVEY_OPTIONAL: [&str; 1] = ["got_answer"];

/// The questions each channel's survey asks (the e-mail survey has no reception question,
/// the telephone survey no clarity question).
fn survey_questions(channel: Channel) -> [SurveyQuestion; 2] {
    match channel {
        Channel::Email => [SurveyQuestion::Ease, SurveyQuestion::Clarity],
        Channel::Phone => [SurveyQuestion::Reception, SurveyQuestion::Ease],
    }
}

/// The survey answers template of a round: a row per municipality, channel and question,
/// with the answers already saved filled in (an upload replaces them all, so the file comes
/// back whole), the rest empty; rows left empty are skipped when the file comes back.
pub fn survey_template(
    r: &ServiceRoundRecord,
    content: &ServiceContent,
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut header = SURVEY_COLUMNS.to_vec();
    header.extend_from_slice(&SURVEY_OPTIONAL);
    let row = |m: MunicipalityId,
               channel: Channel,
               question: SurveyQuestion,
               counts: Option<&SurveyCounts>| {
        let mut cells = vec![
            m.to_string(),
            channel.code().to_owned(),
            question.code().to_owned(),
        ];
        match counts {
            Some(s) => {
                cells.extend(s.counts.iter().map(u64::to_string));
                cells.push(if s.got_answer { "ja" } else { "nej" }.to_owned());
            }
            None => cells.extend(std::iter::repeat_n(String::new(), 6)),
        }
        cells
    };
    let mut rows = Vec::new();
    for &m in &r.members {
        for channel in [Channel::Email, Channel::Phone] {
            for question in survey_questions(channel) {
                let saved: Vec<&SurveyCounts> = content
                    .survey
                    .iter()
                    .filter(|s| (s.municipality, s.channel, s.question) == (m, channel, question))
                    .collect();
                if saved.is_empty() {
                    rows.push(row(m, channel, question, None));
                }
                rows.extend(
                    saved
                        .into_iter()
                        .map(|s| row(m, channel, question, Some(s))),
                );
            }
        }
    }
    (header, rows)
}

pub fn parse_survey(r: &ServiceRoundRecord, text: &str) -> Result<Vec<SurveyCounts>, Vec<Message>> {
    let table = Table::with_columns(text, &SURVEY_COLUMNS, &SURVEY_OPTIONAL)?;
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut skipped = 0;
    for row in table.rows() {
        let line = row.line;
        // A template's row not filled in: no answer counted on any step.
        if SURVEY_STEPS.iter().all(|s| row.get(s).trim().is_empty()) {
            skipped += 1;
            continue;
        }
        let m = member(r, row.get("municipality_id"))
            .map_err(|e| errors.push(row.at("municipality_id").say(e)))
            .ok();
        let channel = Channel::parse(row.get("channel"));
        if channel.is_none() {
            errors.push(row.at("channel").say(Message::new("use_email_or_phone")));
        }
        let question = SurveyQuestion::parse(row.get("question"));
        match (channel, question) {
            (_, None) => errors.push(row.at("question").say(Message::new("use_survey_question"))),
            (Some(c), Some(q)) if !survey_questions(c).contains(&q) => errors.push(
                row.at("question")
                    .say(Message::new("survey_question_channel")),
            ),
            _ => {}
        }
        let got_answer = match yes_no(row.get("got_answer")) {
            Ok(v) => v.unwrap_or(true),
            Err(e) => {
                errors.push(row.at("got_answer").say(e));
                true
            }
        };
        let mut counts = [0u64; 5];
        for (c, name) in counts.iter_mut().zip(SURVEY_STEPS) {
            // An empty step in a filled row is a step nobody chose.
            let cell = row.get(name).trim();
            match cell.parse::<u64>() {
                Ok(v) => *c = v,
                Err(_) if cell.is_empty() => *c = 0,
                Err(_) => errors.push(
                    row.at(name)
                        .say(Message::new("not_a_count").with("value", format!("{cell:?}"))),
                ),
            }
        }
        if let (Some(m), Some(channel), Some(question)) = (m, channel, question) {
            if !seen.insert((m, channel, question, got_answer)) {
                errors.push(
                    Location::line(line as u64).say(Message::new("listed_twice").with(
                        "value",
                        format!("{m} {} {}", channel.code(), question.code()),
                    )),
                );
            }
            out.push(SurveyCounts {
                municipality: m,
                channel,
                question,
                got_answer,
                counts,
            });
        }
    }
    if errors.is_empty() && out.is_empty() && skipped > 0 {
        errors.push(Message::new("no_survey_filled"));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Replaces a round's survey answers from CSV.
pub async fn import_survey(
    store: &impl ServiceRounds,
    grants: &Grants,
    round_id: ServiceRoundId,
    text: &str,
    actor: &Actor,
) -> Result<usize, ServiceError> {
    let r = managed_round(store, grants, round_id).await?;
    let rows = parse_survey(&r, text).map_err(ServiceError::BadRows)?;
    store.save_service_survey(round_id, &rows, actor).await?;
    Ok(rows.len())
}

/// The figures a round gives, one kind of figure per measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FigureKind {
    EmailWithinTwo,
    EmailWithinOne,
    DirectAnswer,
    Reception,
    PhoneReceptionIndex,
    PhoneEaseIndex,
    EmailClarityIndex,
    EmailEaseIndex,
}

impl FigureKind {
    pub const ALL: [FigureKind; 8] = [
        Self::EmailWithinTwo,
        Self::EmailWithinOne,
        Self::DirectAnswer,
        Self::Reception,
        Self::PhoneReceptionIndex,
        Self::PhoneEaseIndex,
        Self::EmailClarityIndex,
        Self::EmailEaseIndex,
    ];

    /// The measure the figure is published as, and its Swedish title.
    pub fn measure(self) -> (&'static str, &'static str) {
        match self {
            Self::EmailWithinTwo => (
                "SERV-EPOST2",
                "E-post besvarad inom två arbetsdagar, andel (%)",
            ),
            Self::EmailWithinOne => (
                "SERV-EPOST1",
                "E-post besvarad inom en arbetsdag, andel (%)",
            ),
            Self::DirectAnswer => (
                "SERV-DIREKT",
                "Direkt svar på enkel fråga via telefon, andel (%)",
            ),
            Self::Reception => (
                "SERV-BEMOT",
                "Gott bemötande via telefon, andel av maxpoäng (%)",
            ),
            Self::PhoneReceptionIndex => {
                ("SERV-TELBEM", "Servicemätning: bemötande telefoni, index")
            }
            Self::PhoneEaseIndex => ("SERV-TELENK", "Servicemätning: enkelhet telefoni, index"),
            Self::EmailClarityIndex => ("SERV-EPTYD", "Servicemätning: tydlighet e-post, index"),
            Self::EmailEaseIndex => ("SERV-EPENK", "Servicemätning: enkelhet e-post, index"),
        }
    }

    /// The citizen's question the figure answers.
    pub fn question(self) -> &'static str {
        match self {
            Self::EmailWithinTwo => {
                "Hur stor andel av medborgarna som skickar en enkel fråga via e-post får svar inom två arbetsdagar?"
            }
            Self::EmailWithinOne => {
                "Hur stor andel av medborgarna som skickar en enkel fråga via e-post får svar inom en arbetsdag?"
            }
            Self::DirectAnswer => {
                "Hur stor andel av medborgarna som tar kontakt med kommunen via telefon får ett direkt svar på en enkel fråga?"
            }
            Self::Reception => {
                "Hur gott bemötande får medborgarna när de via telefon ställer en enkel fråga till kommunen?"
            }
            Self::PhoneReceptionIndex => "Hur nöjda är de som ringt kommunen med bemötandet?",
            Self::PhoneEaseIndex => "Hur enkelt var det att få hjälp av kommunen via telefon?",
            Self::EmailClarityIndex => "Hur tydliga upplevde de som mejlat kommunen svaren?",
            Self::EmailEaseIndex => "Hur enkelt var det att få hjälp av kommunen via e-post?",
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Self::Reception => "procent av maxpoäng",
            Self::PhoneReceptionIndex
            | Self::PhoneEaseIndex
            | Self::EmailClarityIndex
            | Self::EmailEaseIndex => "index 0–100",
            _ => "procent",
        }
    }

    fn survey(self) -> Option<(Channel, SurveyQuestion)> {
        match self {
            Self::PhoneReceptionIndex => Some((Channel::Phone, SurveyQuestion::Reception)),
            Self::PhoneEaseIndex => Some((Channel::Phone, SurveyQuestion::Ease)),
            Self::EmailClarityIndex => Some((Channel::Email, SurveyQuestion::Clarity)),
            Self::EmailEaseIndex => Some((Channel::Email, SurveyQuestion::Ease)),
            _ => None,
        }
    }
}

/// One municipality's figures.
#[derive(Debug, Clone, Serialize)]
pub struct MunicipalityFigures {
    pub municipality: MunicipalityId,
    pub figures: BTreeMap<FigureKind, Figure>,
    /// Registered e-mail tests and calls.
    pub emails: usize,
    pub calls: usize,
    /// E-mail survey answers left out because the resident got no answer.
    pub email_answers_without_reply: u64,
}

/// What a round gives: each member's figures, and the mean and range of each figure over
/// the members that have it (unreliable figures included, and counted).
#[derive(Debug, Clone, Serialize)]
pub struct ServiceResults {
    pub municipalities: Vec<MunicipalityFigures>,
    pub spread: BTreeMap<FigureKind, Spread>,
    pub unreliable: BTreeMap<FigureKind, usize>,
}

/// Computes the round's figures with its rules and calendar.
pub fn results(r: &ServiceRoundRecord, content: &ServiceContent) -> ServiceResults {
    let rules = Rules {
        partly_counts: r.partly_counts,
        min_tests: r.min_tests,
        ..Rules::default()
    };
    let calendar = Calendar {
        extra_closed: r.closed_days.iter().copied().collect(),
    };
    let mut by_municipality: HashMap<MunicipalityId, Vec<&Contact>> = HashMap::new();
    for c in &content.contacts {
        by_municipality
            .entry(c.contact.municipality)
            .or_default()
            .push(&c.contact);
    }
    let mut municipalities = Vec::new();
    for m in &r.members {
        let contacts: Vec<&Contact> = by_municipality.remove(m).unwrap_or_default();
        let TestFigures {
            email_within_two,
            email_within_one,
            direct_answer,
            reception,
        } = service::test_figures(&contacts, &calendar, &rules);
        let mut figures = BTreeMap::new();
        for (kind, f) in [
            (FigureKind::EmailWithinTwo, email_within_two),
            (FigureKind::EmailWithinOne, email_within_one),
            (FigureKind::DirectAnswer, direct_answer),
            (FigureKind::Reception, reception),
        ] {
            if let Some(f) = f {
                figures.insert(kind, f);
            }
        }
        for kind in FigureKind::ALL {
            let Some((channel, question)) = kind.survey() else {
                continue;
            };
            if let Some(row) = content.survey.iter().find(|s| {
                s.municipality == *m
                    && s.channel == channel
                    && s.question == question
                    && s.got_answer
            }) && let Some(f) = service::service_index(&row.counts)
            {
                figures.insert(kind, f);
            }
        }
        municipalities.push(MunicipalityFigures {
            municipality: *m,
            figures,
            emails: contacts
                .iter()
                .filter(|c| c.channel == Channel::Email)
                .count(),
            calls: contacts
                .iter()
                .filter(|c| c.channel == Channel::Phone)
                .count(),
            email_answers_without_reply: content
                .survey
                .iter()
                .filter(|s| {
                    s.municipality == *m
                        && s.channel == Channel::Email
                        && !s.got_answer
                        && s.question == SurveyQuestion::Ease
                })
                .map(|s| s.counts.iter().sum::<u64>())
                .sum(),
        });
    }
    let mut spread = BTreeMap::new();
    let mut unreliable = BTreeMap::new();
    for kind in FigureKind::ALL {
        let values: Vec<f64> = municipalities
            .iter()
            .filter_map(|m| m.figures.get(&kind))
            .map(|f| f.value)
            .collect();
        if let Some(s) = Spread::of(&values) {
            spread.insert(kind, s);
        }
        let n = municipalities
            .iter()
            .filter_map(|m| m.figures.get(&kind))
            .filter(|f| f.unreliable)
            .count();
        unreliable.insert(kind, n);
    }
    ServiceResults {
        municipalities,
        spread,
        unreliable,
    }
}

/// The measure set the figures are shown in on the citizen site.
pub const MEASURE_SET: &str = "servicematning";

/// The measures and the measure set a round's figures are published as, for `year`.
fn measures(year: Year) -> CatalogueBatch {
    let results = FigureKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let (id, title) = kind.measure();
            Some(ResultMeasure {
                direction: Direction::HigherIsBetter,
                decimals: 0,
                id: MeasureId::parse(id).ok()?,
                title: title.to_owned(),
                question: kind.question().to_owned(),
                description: match kind.survey() {
                    Some(_) => "Enkät till medborgare efter verklig kontakt; svaren 1–5 räknas om till 0–100 (5 = 100, 4 = 75, 3 = 50, 2 = 25, 1 = 0) och medelvärdet är index. Minst 100 svar per kanal krävs för att jämföras; e-postsvar räknas bara när medborgaren fått svar.".to_owned(),
                    None => "Testfrågor via e-post och telefon registrerade i kvalitet. Arbetsdagar enligt svensk kalender (helger, helgdagar, midsommarafton, julafton och nyårsafton räknas inte) i svensk tid.".to_owned(),
                },
                unit: kind.unit().to_owned(),
                source_kind: if kind.survey().is_some() {
                    SourceKind::Survey
                } else {
                    SourceKind::External
                },
            })
        })
        .collect();
    let set = ResultSet {
        id: MEASURE_SET.to_owned(),
        title: "Service och tillgänglighet".into(),
        title_en: Some("Service and accessibility".into()),
        area: "E-post, telefon och bemötande".into(),
        area_en: Some("E-mail, telephone and reception".into()),
        description:
            "Hur kommunen svarar när medborgare hör av sig med enkla frågor via e-post och telefon."
                .into(),
        participants: Vec::new(),
    };
    publish::as_measures(MeasureOrigin::Service, year, set, results)
}

/// Whether a planned test has been registered: a contact to the same municipality with the
/// same question by the same channel (a round puts each question once per channel).
pub fn is_registered(planned: &PlanRow, contacts: &[crate::ports::ContactRecord]) -> bool {
    contacts.iter().any(|c| {
        (
            c.contact.municipality,
            &c.contact.question,
            c.contact.channel,
        ) == (planned.municipality, &planned.question, planned.channel)
    })
}

/// The testers the plan names who have no account yet: they cannot log in to register
/// their tests until they are invited.
pub async fn testers_without_account(
    store: &impl crate::ports::Accounts,
    content: &ServiceContent,
) -> Result<Vec<String>, ServiceError> {
    let testers: std::collections::BTreeSet<String> = content
        .plan
        .iter()
        .map(|p| p.tester.to_lowercase())
        .collect();
    let mut missing = Vec::new();
    for email in testers {
        if store.user_by_email(&email).await?.is_none() {
            missing.push(email);
        }
    }
    Ok(missing)
}

/// The round and its check before publishing, for those who run it (refused once published).
pub async fn publish_preview(
    store: &impl ServiceRounds,
    grants: &Grants,
    round_id: ServiceRoundId,
) -> Result<(ServiceRoundRecord, PublishCheck), ServiceError> {
    let r = managed_round(store, grants, round_id).await?;
    if r.published {
        return Err(ServiceError::Invalid(Message::new("already_published")));
    }
    let content = store.service_content(round_id).await?;
    let check = publish_check(&r, &content);
    Ok((r, check))
}

/// The check before publishing a service round: its figures become measures on the
/// members' pages; figures resting on fewer tests than the round's minimum are marked
/// unreliable there (survey indices left out), and planned tests not registered are missing.
pub fn publish_check(r: &ServiceRoundRecord, content: &ServiceContent) -> PublishCheck {
    let res = results(r, content);
    let mut check = PublishCheck {
        public: vec![
            Message::new("public_service_figures").with("n", res.municipalities.len()),
            Message::new("public_service_notes"),
        ],
        internal: vec![Message::new("internal_service_contacts")],
        warnings: Vec::new(),
    };
    let unreliable: usize = res.unreliable.values().sum();
    if unreliable > 0 {
        check.warnings.push(
            Message::new("warn_unreliable_figures")
                .with("n", unreliable)
                .with("min", r.min_tests),
        );
    }
    let not_registered = content
        .plan
        .iter()
        .filter(|p| !is_registered(p, &content.contacts))
        .count();
    if not_registered > 0 {
        check.warnings.push(
            Message::new("warn_planned_not_registered")
                .with("n", not_registered)
                .with("of", content.plan.len()),
        );
    }
    let without = r
        .members
        .iter()
        .filter(|m| !res.municipalities.iter().any(|f| f.municipality == **m))
        .count();
    if without > 0 {
        check
            .warnings
            .push(Message::new("warn_members_without_figures").with("n", without));
    }
    check.warnings.push(Message::new("warn_published_final"));
    check
}

/// Publishes a round: every member's figures become values of the round's year (survey
/// indices only with at least 100 answers), in one transaction with the status and the audit
/// event. Figures marked unreliable are published too, and the round's page says so.
pub async fn publish(
    store: &(impl Values + ServiceRounds),
    grants: &Grants,
    round_id: ServiceRoundId,
    actor: &Actor,
) -> Result<usize, ServiceError> {
    let r = managed_round(store, grants, round_id).await?;
    if r.published {
        return Err(ServiceError::Invalid(Message::new("already_published")));
    }
    let content = store.service_content(round_id).await?;
    let res = results(&r, &content);
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for m in &res.municipalities {
        for (kind, f) in &m.figures {
            if kind.survey().is_some() && f.unreliable {
                continue;
            }
            let Ok(measure) = MeasureId::parse(kind.measure().0) else {
                continue;
            };
            if f.unreliable {
                // The warning goes with the value to the citizen site, where the comment is shown.
                notes.push(Note {
                    measure,
                    municipality: m.municipality,
                    year: r.year,
                    text: format!(
                        "Osäker siffra: den bygger på {} {}; 95 % konfidensintervall {:.0}–{:.0}.",
                        f.n,
                        if f.n == 1 { "test" } else { "tester" },
                        f.low,
                        f.high
                    ),
                    author: actor.who.clone(),
                });
            }
            rows.push(ValueRow {
                key: ValueKey {
                    measure,
                    area: AreaId::Municipality(m.municipality),
                    year: r.year,
                    gender: Gender::Total,
                },
                datum: Datum::Number(f.value),
                count: None,
            });
        }
    }
    if rows.is_empty() {
        return Err(ServiceError::Invalid(Message::new("no_figures_yet")));
    }
    let catalogue = measures(r.year);
    let n = rows.len();
    // A national round's publishing is also in each municipality's own trail.
    let mut per_municipality: BTreeMap<MunicipalityId, usize> = BTreeMap::new();
    if r.organiser.is_none() {
        for row in &rows {
            if let AreaId::Municipality(m) = row.key.area {
                *per_municipality.entry(m).or_default() += 1;
            }
        }
    }
    let record = AuditRecord {
        actor: actor.clone(),
        municipality: r.organiser,
        action: AuditAction::ServicePublish,
        object: format!("service_round:{round_id}"),
        before: None,
        after: Some(serde_json::json!({"values": n, "municipalities": r.members.len()})),
    };
    let mut audit = vec![record];
    audit.extend(per_municipality.into_iter().map(|(m, values)| AuditRecord {
        actor: actor.clone(),
        municipality: Some(m),
        action: AuditAction::ServicePublish,
        object: format!("service_round:{round_id}"),
        before: None,
        after: Some(serde_json::json!({"values": values})),
    }));
    let change = ChangeSet {
        catalogue: Some(catalogue),
        values: rows,
        notes,
        step: Some(StatusStep::ServiceRoundPublished(round_id)),
        audit,
        ..ChangeSet::default()
    };
    let source = ImportSource {
        source: format!("service round {round_id} published by {}", actor.who),
        format: "publish".into(),
        at: actor.at,
    };
    store.apply(&source, change).await?;
    Ok(n)
}

/// Sets or clears (an empty text) the date by which the plan's tests should be registered;
/// for those who run the round, before it is published.
pub async fn set_deadline(
    store: &impl ServiceRounds,
    grants: &Grants,
    round_id: ServiceRoundId,
    text: &str,
    actor: &Actor,
) -> Result<(), ServiceError> {
    managed_round(store, grants, round_id).await?;
    let deadline = calendar::parse_deadline(text)
        .map_err(|e| ServiceError::Invalid(Message::in_field("deadline", e)))?;
    Ok(store
        .set_service_deadline(round_id, deadline.map(|d| d.to_string()).as_deref(), actor)
        .await?)
}

/// Reopens a published round to correct it (a contact registered wrongly, survey answers
/// mistyped), with a reason residents read: back to draft for those who run it and its
/// testers, published again as before, which writes its figures anew with their history.
/// Until then its results page says that it is being corrected and why.
pub async fn reopen_for_correction(
    store: &impl ServiceRounds,
    grants: &Grants,
    round_id: ServiceRoundId,
    reason: &str,
    actor: &Actor,
) -> Result<(), ServiceError> {
    let r = managed_round(store, grants, round_id).await?;
    if !r.published {
        return Err(ServiceError::Invalid(Message::new(
            "only_published_corrected",
        )));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::Invalid(Message::in_field(
            "text",
            Message::new("correction_needs_reason"),
        )));
    }
    check_len("text", reason, 500).map_err(ServiceError::Invalid)?;
    Ok(store.reopen_service_round(round_id, reason, actor).await?)
}

/// Invites a planned tester who has no account to make one, with no role in any
/// municipality (a national round's testers work for many); for those who run the round,
/// before it is published. Returns the link's token.
pub async fn invite_tester(
    store: &(impl ServiceRounds + crate::ports::Accounts),
    grants: &Grants,
    round_id: ServiceRoundId,
    email: &str,
    actor: &Actor,
) -> Result<String, ServiceError> {
    let r = managed_round(store, grants, round_id).await?;
    if r.published {
        return Err(ServiceError::Invalid(Message::new(
            "published_contacts_stay",
        )));
    }
    let content = store.service_content(round_id).await?;
    let email = email.trim().to_lowercase();
    if !content
        .plan
        .iter()
        .any(|p| p.tester.eq_ignore_ascii_case(&email))
    {
        return Err(ServiceError::Invalid(
            Message::new("not_a_planned_tester").with("email", &email),
        ));
    }
    if store.user_by_email(&email).await?.is_some() {
        return Err(ServiceError::Invalid(
            Message::new("tester_has_account").with("email", &email),
        ));
    }
    crate::accounts::record_invitation(store, &email, None, actor)
        .await
        .map_err(|e| match e {
            crate::accounts::AccountError::Invalid(m) => ServiceError::Invalid(m),
            other => ServiceError::Invalid(Message::new("store_failed").with("why", other)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/examples")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn round() -> ServiceRoundRecord {
        ServiceRoundRecord {
            id: ServiceRoundId(1),
            title: "Exempel".into(),
            year: Year::new(2026).unwrap(),
            organiser: None,
            published: false,
            partly_counts: true,
            min_tests: 10,
            closed_days: Vec::new(),
            members: ["0180", "1280"]
                .iter()
                .map(|m| MunicipalityId::parse(m).unwrap())
                .collect(),
            created_by: "t".into(),
            created_at: kvalitet_domain::Timestamp::parse("2025-01-01T00:00:00Z").unwrap(),
            deadline: None,
            corrections: Vec::new(),
        }
    }

    #[test]
    fn question_banks_are_bounded_and_their_ids_safe() {
        let long = "å".repeat(1001);
        let errors = parse_questions(&format!(
            "id;area;text\nq<1;bygglov;Fråga?\nq2;bygglov;{long}\nq3;{};Fråga?\n",
            "x".repeat(201)
        ))
        .unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .starts_with("line 2, column 1 (id): Id: \"q<1\" must be"),
            "{errors:?}"
        );
        assert_eq!(
            errors[1].to_string(),
            "line 3: text: at most 1000 characters (1001 given)"
        );
        assert!(
            errors[2]
                .to_string()
                .starts_with("line 4: Area: at most 200"),
            "{errors:?}"
        );
    }

    #[test]
    fn the_example_files_read_and_give_hand_checked_figures() {
        let r = round();
        let content = ServiceContent {
            questions: parse_questions(&example("service-questions.csv")).unwrap(),
            ..ServiceContent::default()
        };
        let contacts = parse_contacts(&r, &content, &example("service-contacts.csv")).unwrap();
        assert_eq!(contacts.len(), 4);
        let survey = parse_survey(&r, &example("service-survey.csv")).unwrap();
        assert_eq!(survey.len(), 5);
        let content = ServiceContent {
            contacts: contacts
                .into_iter()
                .enumerate()
                .map(|(i, contact)| crate::ports::ContactRecord {
                    id: i as i64,
                    contact,
                    registered_by: "t".into(),
                    registered_at: kvalitet_domain::Timestamp::parse("2025-01-01T00:00:00Z")
                        .unwrap(),
                })
                .collect(),
            survey,
            ..content
        };
        let res = results(&r, &content);
        let sthlm = &res.municipalities[0].figures;
        // Sent Monday, answered Tuesday: one working day.
        assert_eq!(sthlm[&FigureKind::EmailWithinOne].value, 100.0);
        assert_eq!(sthlm[&FigureKind::Reception].value, 100.0);
        // Telephone reception: (9x25 + 21x50 + 58x75 + 112x100) / 206 = 16825 / 206 = 81.67.
        assert!((sthlm[&FigureKind::PhoneReceptionIndex].value - 16_825.0 / 206.0).abs() < 1e-9);
        assert!(
            !sthlm[&FigureKind::PhoneReceptionIndex].unreliable,
            "206 answers"
        );
        assert_eq!(
            res.municipalities[0].email_answers_without_reply, 35,
            "those without a reply are kept apart"
        );
        let malmo = &res.municipalities[1].figures;
        assert_eq!(
            malmo[&FigureKind::EmailWithinTwo].value,
            0.0,
            "never answered"
        );
        assert!((malmo[&FigureKind::Reception].value - 100.0 / 3.0).abs() < 1e-9);
    }
}
