//! The staff start page ("Att göra"), where everyone lands after logging in: what waits for
//! them (drafts to publish, rounds to answer, agree, submit, review or publish, planned
//! tests to register, today's first), with the progress of each round and plan.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use kvalitet_app::Store;
use kvalitet_app::todo;
use kvalitet_domain::round::Step;

use crate::auth::render_private;
use crate::extract::{PageLang, Session};
use crate::i18n::Lang;
use crate::{AppState, WebError};

/// `GET /att-gora`: what waits for the logged-in person.
pub async fn start<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
) -> Result<Response, WebError> {
    let today = state.actor(&session).at.local_date_text();
    let today_date = kvalitet_domain::calendar::parse_date(&today).ok();
    let todo = todo::todo(
        &state.store,
        &session.user.grants,
        session.user.id,
        &session.user.email,
        &today,
    )
    .await?;
    let (_, d) = state.directory().await?;
    let say = |m: kvalitet_domain::Message| lang.say(&m);
    let count =
        |code: &'static str, n: usize| say(kvalitet_domain::Message::new(code).with("n", n));
    let drafts = todo
        .drafts
        .iter()
        .map(|x| Line {
            href: format!("{}/admin/kommun/{}#drafts-h", lang.base(), x.municipality),
            text: say(kvalitet_domain::Message::new(if x.may_publish {
                "todo_drafts_publish"
            } else {
                "todo_drafts_wait"
            })
            .with("n", x.drafts)
            .with("name", d.name(&x.municipality))),
            note: None,
            urgent: x.may_publish,
        })
        .collect();
    let rounds = todo
        .rounds
        .iter()
        .map(|t| {
            let r = &t.round;
            // Submitting needs agreed answers first: until then, answering is the task.
            // Returning a round is a possibility, not a task.
            let what: Vec<String> = t
                .answer
                .then(|| lang.t("todo_answer").to_owned())
                .into_iter()
                .chain(
                    t.steps
                        .iter()
                        .filter(|s| **s != Step::Return)
                        .filter(|s| **s != Step::Submit || t.agreed > 0)
                        .map(|s| lang.t(step_task(*s)).to_owned()),
                )
                .collect();
            let progress: Vec<String> = t
                .progress
                .iter()
                .map(|(name, n)| {
                    say(kvalitet_domain::Message::new("todo_assessor_progress")
                        .with("name", name)
                        .with("n", n)
                        .with("of", t.questions))
                })
                .chain(std::iter::once(say(kvalitet_domain::Message::new(
                    "todo_agreed_progress",
                )
                .with("n", t.agreed)
                .with("of", t.questions))))
                .collect();
            Line {
                href: format!("{}/admin/bedomning/{}", lang.base(), r.id),
                text: format!(
                    "{}, {} ({})",
                    titled_with_year(&r.title, r.year.get()),
                    d.name(&r.municipality),
                    lang.t(&format!("w.{}", r.status.code()))
                ),
                note: Some(
                    deadline_note(lang, r.deadline.as_deref(), today_date)
                        .into_iter()
                        .chain((!what.is_empty()).then(|| what.join(", ")))
                        .chain(std::iter::once(progress.join(" · ")))
                        .collect::<Vec<_>>()
                        .join(". "),
                ),
                urgent: !what.is_empty(),
            }
        })
        .collect();
    let service = todo
        .service
        .iter()
        .map(|t| {
            let r = &t.round;
            let mut notes: Vec<String> = deadline_note(lang, r.deadline.as_deref(), today_date)
                .into_iter()
                .collect();
            if t.mine > 0 {
                notes.push(say(kvalitet_domain::Message::new("todo_tests_mine")
                    .with("n", t.mine)
                    .with("today", t.mine_today)));
            }
            if t.manages {
                notes.push(say(kvalitet_domain::Message::new("todo_plan_progress")
                    .with("n", t.registered)
                    .with("of", t.planned)));
            }
            Line {
                href: if t.mine > 0 {
                    format!("{}/admin/service/{}/kontakt", lang.base(), r.id)
                } else {
                    format!("{}/admin/service/{}", lang.base(), r.id)
                },
                text: titled_with_year(&r.title, r.year.get()),
                note: Some(notes.join(" · ")),
                urgent: t.mine_today > 0,
            }
        })
        .collect();
    let nothing = todo.drafts.is_empty() && todo.rounds.is_empty() && todo.service.is_empty();
    let year = year_at_a_glance(lang, &todo, today_date, &|m| d.name(m));
    Ok(render_private(
        &state,
        lang,
        &session,
        "todo.html",
        TodoView {
            name: &session.user.name,
            drafts,
            rounds,
            service,
            nothing,
            year,
            year_note: today_date
                .map(
                    |t| say(kvalitet_domain::Message::new("todo_year_note").with("year", t.year())),
                )
                .unwrap_or_default(),
            municipalities: session
                .user
                .grants
                .roles
                .iter()
                .map(|(m, role)| Line {
                    href: format!("{}/admin/kommun/{m}", lang.base()),
                    text: format!("{} ({})", d.name(m), lang.t(&format!("w.{}", role.code()))),
                    note: None,
                    urgent: false,
                })
                .collect(),
            system_admin: session.user.grants.system_admin,
            today_count: todo.service.iter().map(|t| t.mine_today).sum::<usize>(),
            summary: {
                let waiting = todo.drafts.len()
                    + todo
                        .rounds
                        .iter()
                        .filter(|t| t.answer || !t.steps.is_empty())
                        .count()
                    + todo.service.iter().filter(|t| t.mine > 0).count();
                count(
                    if waiting == 1 {
                        "todo_summary_one"
                    } else {
                        "todo_summary"
                    },
                    waiting,
                )
            },
            other_path: format!("{}/att-gora", lang.other().base()),
        },
    ))
}

/// A month of the year at a glance and what falls in it.
#[derive(Serialize)]
struct Month {
    name: String,
    now: bool,
    events: Vec<Line>,
}

/// "15 december" (or "15 December") of an ISO date; the text itself if it is not one.
fn day_month(lang: Lang, iso: &str) -> String {
    match kvalitet_domain::calendar::parse_date(iso) {
        Ok(d) => lang.say(
            &kvalitet_domain::Message::new("day_month")
                .with("day", d.day())
                .with("month", lang.t(&format!("month.{}", u8::from(d.month())))),
        ),
        Err(_) => iso.to_owned(),
    }
}

/// How near a deadline is, from the person's today.
fn deadline_note(lang: Lang, deadline: Option<&str>, today: Option<time::Date>) -> Option<String> {
    let (text, today) = (deadline?, today?);
    let d = kvalitet_domain::calendar::parse_date(text).ok()?;
    let left = (d - today).whole_days();
    let m = match left {
        0 => kvalitet_domain::Message::new("todo_deadline_today"),
        n if n < 0 => kvalitet_domain::Message::new("todo_deadline_passed")
            .with("date", day_month(lang, text)),
        n => kvalitet_domain::Message::new("todo_deadline_in")
            .with("date", day_month(lang, text))
            .with("n", n),
    };
    Some(lang.say(&m))
}

/// This year's deadlines and test periods of the person's unpublished rounds, by month
/// (only months with something in them, in order).
fn year_at_a_glance(
    lang: Lang,
    todo: &todo::Todo,
    today: Option<time::Date>,
    name: &dyn Fn(&kvalitet_domain::MunicipalityId) -> String,
) -> Vec<Month> {
    let Some(today) = today else {
        return Vec::new();
    };
    let year = today.year().to_string();
    // (ISO date, line): sorted by date, then grouped by month.
    let mut events: Vec<(String, Line)> = Vec::new();
    for t in &todo.rounds {
        let r = &t.round;
        if let Some(d) = r.deadline.as_deref().filter(|d| d.starts_with(&year)) {
            let title = format!(
                "{} ({})",
                titled_with_year(&r.title, r.year.get()),
                name(&r.municipality)
            );
            events.push((
                d.to_owned(),
                Line {
                    href: format!("{}/admin/bedomning/{}", lang.base(), r.id),
                    text: format!(
                        "{}: {}",
                        day_month(lang, d),
                        lang.say(
                            &kvalitet_domain::Message::new("todo_year_deadline")
                                .with("title", title)
                        )
                    ),
                    note: None,
                    urgent: false,
                },
            ));
        }
    }
    for t in &todo.service {
        let r = &t.round;
        let href = format!("{}/admin/service/{}", lang.base(), r.id);
        let title = titled_with_year(&r.title, r.year.get());
        if let (Some(from), Some(to)) = (&t.tests_from, &t.tests_to)
            && (from.starts_with(&year) || to.starts_with(&year))
        {
            events.push((
                from.clone(),
                Line {
                    href: href.clone(),
                    text: lang.say(
                        &kvalitet_domain::Message::new("todo_year_tests")
                            .with("from", day_month(lang, from))
                            .with("to", day_month(lang, to))
                            .with("title", &title),
                    ),
                    note: None,
                    urgent: false,
                },
            ));
        }
        if let Some(d) = r.deadline.as_deref().filter(|d| d.starts_with(&year)) {
            events.push((
                d.to_owned(),
                Line {
                    href,
                    text: format!(
                        "{}: {}",
                        day_month(lang, d),
                        lang.say(
                            &kvalitet_domain::Message::new("todo_year_deadline")
                                .with("title", &title)
                        )
                    ),
                    note: None,
                    urgent: false,
                },
            ));
        }
    }
    events.sort_by(|a, b| a.0.cmp(&b.0));
    let mut months: Vec<Month> = Vec::new();
    for (date, line) in events {
        let Ok(d) = kvalitet_domain::calendar::parse_date(&date) else {
            continue;
        };
        let month = u8::from(d.month());
        let name = lang.t(&format!("month.{month}"));
        let name = name[..1].to_uppercase() + &name[1..];
        match months.last_mut() {
            Some(m) if m.name == name => m.events.push(line),
            _ => months.push(Month {
                name,
                now: d.year() == today.year() && d.month() == today.month(),
                events: vec![line],
            }),
        }
    }
    months
}

/// A round's title with its year, unless the title already says it.
fn titled_with_year(title: &str, year: i16) -> String {
    if title.contains(&year.to_string()) {
        title.to_owned()
    } else {
        format!("{title} {year}")
    }
}

/// The task a step is, in the table of words.
fn step_task(step: Step) -> &'static str {
    match step {
        Step::Submit => "todo_submit",
        Step::Review => "todo_review",
        // Not listed as a task (see above); the words stay for the step's own button.
        Step::Return => "todo_return",
        Step::Publish => "todo_publish",
    }
}

/// One line of the page: a link, what it is, and how far it has come.
#[derive(Serialize)]
struct Line {
    href: String,
    text: String,
    note: Option<String>,
    /// Something the person can do now.
    urgent: bool,
}

#[derive(Serialize)]
struct TodoView<'a> {
    name: &'a str,
    drafts: Vec<Line>,
    rounds: Vec<Line>,
    service: Vec<Line>,
    nothing: bool,
    year: Vec<Month>,
    year_note: String,
    municipalities: Vec<Line>,
    system_admin: bool,
    today_count: usize,
    summary: String,
    other_path: String,
}
