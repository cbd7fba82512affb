//! The system administrators' view of background jobs: what is queued, running, done or
//! given up (with the last error), the schedules this server plans, and a form that queues
//! a job to run now.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use kvalitet_app::Store;
use kvalitet_app::jobs;
use kvalitet_domain::Message;
use kvalitet_domain::jobs::{JobKind, JobState};

use crate::auth::{redirect, render_private};
use crate::extract::{Change, PageLang, Session};
use crate::forms::{Failed, answered, notice_of};
use crate::i18n::Lang;
use crate::{AppState, WebError};

/// How many of the latest jobs the page lists.
const SHOWN: u32 = 100;

#[derive(Serialize)]
struct JobsView<'a> {
    csrf: &'a str,
    notice: Option<String>,
    schedules: Vec<ScheduleLine>,
    lines: Vec<JobLine>,
    kinds: Vec<&'static str>,
    failed: Option<Failed>,
    other_path: String,
}

#[derive(Serialize)]
struct ScheduleLine {
    name: String,
    kind: &'static str,
    cron: String,
    args: String,
    next: Option<String>,
}

#[derive(Serialize)]
struct JobLine {
    id: i64,
    kind: &'static str,
    args: String,
    state: String,
    failed: bool,
    run_at: String,
    attempts: String,
    worker: String,
    error: String,
}

/// The job's form: a kind and its arguments, one per line.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct JobFields {
    kind: String,
    args: String,
}

/// `GET /admin/jobb`: the latest jobs, newest first, and the schedules.
pub async fn page<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, WebError> {
    view(
        &state,
        lang,
        &session,
        notice_of(lang, raw.as_deref()),
        None,
    )
    .await
}

async fn view<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &kvalitet_app::ports::SessionRecord,
    notice: Option<String>,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let records = jobs::list(&state.store, &session.user.grants, SHOWN).await?;
    let now = state.clock.now();
    let lines = records
        .into_iter()
        .map(|j| {
            let state_words = match j.state {
                JobState::Queued if j.attempts > 0 => {
                    lang.say(&Message::new("job_state_retry").with("at", j.run_at.local_text()))
                }
                JobState::Queued => {
                    lang.say(&Message::new("job_state_queued").with("at", j.run_at.local_text()))
                }
                JobState::Running => lang.say(
                    &Message::new("job_state_running")
                        .with("at", j.started_at.unwrap_or(j.run_at).local_text()),
                ),
                JobState::Done => lang.say(&Message::new("job_state_done").with(
                    "at",
                    j.finished_at.map(|t| t.local_text()).unwrap_or_default(),
                )),
                JobState::Failed => lang.say(&Message::new("job_state_failed").with(
                    "at",
                    j.finished_at.map(|t| t.local_text()).unwrap_or_default(),
                )),
            };
            JobLine {
                id: j.id,
                kind: j.kind.code(),
                args: j.args.join(" "),
                state: state_words,
                failed: j.state == JobState::Failed,
                run_at: j.run_at.local_text(),
                attempts: format!("{} / {}", j.attempts, j.max_attempts),
                worker: j.worker.unwrap_or_default(),
                error: j.last_error.unwrap_or_default(),
            }
        })
        .collect();
    let schedules = state
        .schedules
        .iter()
        .map(|s| ScheduleLine {
            name: s.name.clone(),
            kind: s.kind.code(),
            cron: s.cron.text().to_owned(),
            args: s.args.join(" "),
            next: s.cron.next_after(now).map(|t| t.local_text()),
        })
        .collect();
    let sent_back = failed.is_some();
    let response = render_private(
        state,
        lang,
        session,
        "jobs.html",
        JobsView {
            csrf: &session.csrf_token,
            notice,
            schedules,
            lines,
            kinds: JobKind::ALL.iter().map(|k| k.code()).collect(),
            failed,
            other_path: format!("{}/admin/jobb", lang.other().base()),
        },
    );
    Ok(answered(response, sent_back))
}

/// `POST /admin/jobb`: queues a job to run now (the next free worker takes it).
pub async fn queue<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    change: Change<JobFields>,
) -> Result<Response, WebError> {
    let (session, f) = (&change.session, &change.form);
    let kind = JobKind::parse(&f.kind).ok_or_else(|| {
        Message::in_field(
            "kind",
            Message::new("job_unknown_kind").with("value", format!("{:?}", f.kind)),
        )
    });
    let args: Vec<String> = f
        .args
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    let done = match kind {
        Ok(kind) => {
            jobs::enqueue(
                &state.store,
                &session.user.grants,
                kind,
                args,
                state.clock.now(),
            )
            .await
        }
        Err(m) => Err(kvalitet_app::refusal::Refusal::Invalid(m)),
    };
    match done {
        Ok(_) => Ok(redirect(
            &format!("{}/admin/jobb?klart=jobb", lang.base()),
            &[],
        )),
        Err(refusal) => {
            let problems = refusal.into_problems()?;
            let failed = Failed::new(lang, "j", f, &problems);
            view(&state, lang, session, None, Some(failed)).await
        }
    }
}
