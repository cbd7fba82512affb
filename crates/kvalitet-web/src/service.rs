//! Service measurements on the web: the rounds, a round's set-up (members, question bank,
//! plan), contacts by CSV or by the phone-friendly form, survey answers, the figures with
//! their intervals and warnings, publishing, and the public results page. Every change needs
//! a session and its CSRF token; the use cases check the person's rights again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use kvalitet_app::Store;
use kvalitet_app::ports::{ServiceContent, ServiceRoundRecord};
use kvalitet_app::service::{self as s, ContactFields, FigureKind, RoundForm};
use kvalitet_domain::{Action, Grants, ServiceRoundId};

use crate::WebError;
use crate::auth::{private_page, redirect, render_private};
use crate::cache::Page as KeptPage;
use crate::extract::PageLang;
use crate::extract::{Change, Session, Upload};
use crate::forms::{ConfirmFields, ConfirmView, Failed, notice_of};
use crate::i18n::Lang;
use crate::site::page_response;
use crate::{AppState, query_pairs};
use kvalitet_app::ports::SessionRecord;
use kvalitet_domain::Message;

fn back(state: &AppState<impl Store>, lang: Lang, round: ServiceRoundId, notice: &str) -> Response {
    state.invalidate_version();
    redirect(
        &format!("{}/admin/service/{round}?klart={notice}", lang.base()),
        &[],
    )
}

/// The figures of a round as the results table shows them.
#[derive(Serialize)]
struct ResultsView {
    kinds: Vec<KindLine>,
    rows: Vec<ResultRow>,
    min_tests: u32,
    partly_counts: bool,
}

/// One kind of figure (a measure) with its spread over the municipalities.
#[derive(Serialize)]
struct KindLine {
    title: &'static str,
    id: &'static str,
    mean: Option<String>,
    min: Option<String>,
    max: Option<String>,
    n: Option<usize>,
    unreliable: usize,
}

/// One municipality's figures, in the order of the kinds.
#[derive(Serialize)]
struct ResultRow {
    id: String,
    name: String,
    emails: usize,
    calls: usize,
    figures: Vec<Option<FigureCell>>,
}

#[derive(Serialize)]
struct FigureCell {
    value: String,
    n: u32,
    low: String,
    high: String,
    unreliable: bool,
}

fn results_view(
    lang: Lang,
    d: &kvalitet_app::report::Directory,
    r: &ServiceRoundRecord,
    content: &ServiceContent,
) -> ResultsView {
    let res = s::results(r, content);
    let pct = |v: f64| lang.number(v, 0);
    let kinds = FigureKind::ALL
        .iter()
        .map(|k| {
            let spread = res.spread.get(k);
            KindLine {
                title: k.measure().1,
                id: k.measure().0,
                mean: spread.map(|x| pct(x.mean)),
                min: spread.map(|x| pct(x.min)),
                max: spread.map(|x| pct(x.max)),
                n: spread.map(|x| x.n),
                unreliable: res.unreliable.get(k).copied().unwrap_or(0),
            }
        })
        .collect();
    let rows = res
        .municipalities
        .iter()
        .map(|m| ResultRow {
            id: m.municipality.to_string(),
            name: d.name(&m.municipality),
            emails: m.emails,
            calls: m.calls,
            figures: FigureKind::ALL
                .iter()
                .map(|k| {
                    m.figures.get(k).map(|f| FigureCell {
                        value: pct(f.value),
                        n: f.n,
                        low: pct(f.low),
                        high: pct(f.high),
                        unreliable: f.unreliable,
                    })
                })
                .collect(),
        })
        .collect();
    ResultsView {
        kinds,
        rows,
        min_tests: r.min_tests,
        partly_counts: r.partly_counts,
    }
}

/// The list of service rounds, with the form for a new one.
#[derive(Serialize)]
struct ServiceListView<'a> {
    rounds: Vec<RoundLine<'a>>,
    /// The person may start a national round.
    national: bool,
    /// The municipalities the person may start a round of their own for.
    organisers: Vec<Organiser<'a>>,
    /// The new round's form sent back with its problems.
    failed: Option<Failed>,
    csrf: &'a str,
    other_path: String,
}

#[derive(Serialize)]
struct RoundLine<'a> {
    id: kvalitet_domain::ServiceRoundId,
    title: &'a str,
    year: i16,
    published: bool,
    organiser: String,
    members: usize,
}

#[derive(Serialize)]
struct Organiser<'a> {
    id: &'a str,
    name: String,
}

/// `GET /admin/service`: the rounds a person runs or tests in, and a form for a new one.
pub async fn list<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
) -> Result<Response, WebError> {
    list_page(&state, lang, &session, None).await
}

/// The list of rounds, with the new round's form sent back when `failed`.
async fn list_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    failed: Option<Failed>,
) -> Result<Response, WebError> {
    let grants = &session.user.grants;
    let (_, d) = state.directory().await?;
    let listed = s::rounds_for(&state.store, grants, &session.user.email).await?;
    let rounds = listed
        .iter()
        .map(|(r, _)| RoundLine {
            id: r.id,
            title: &r.title,
            year: r.year.get(),
            published: r.published,
            organiser: r
                .organiser
                .map_or_else(|| lang.t("national").to_owned(), |m| d.name(&m)),
            members: r.members.len(),
        })
        .collect();
    let organisers = grants
        .roles
        .iter()
        .filter(|(m, _)| grants.allows(Action::Publish, m))
        .map(|(m, _)| Organiser {
            id: m.as_str(),
            name: d.name(m),
        })
        .collect();
    let sent_back = failed.is_some();
    let response = render_private(
        state,
        lang,
        session,
        "service-list.html",
        ServiceListView {
            rounds,
            national: grants.system_admin,
            organisers,
            failed,
            csrf: &session.csrf_token,
            other_path: format!("{}/admin/service", lang.other().base()),
        },
    );
    Ok(crate::forms::answered(response, sent_back))
}

/// `POST /admin/service`: creates a round.
pub async fn create<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    change: Change<RoundForm>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let created = s::create_round(
        &state.store,
        &session.user.grants,
        &change.form,
        &state.actor(session),
    )
    .await;
    match created {
        Ok(id) => Ok(back(&state, lang, id, "ny")),
        Err(e) => {
            let failed = Failed::new(lang, "s", &change.form, &e.into_problems()?);
            list_page(&state, lang, session, Some(failed)).await
        }
    }
}

/// `GET /admin/service/{id}`: the round's set-up, registration and figures.
pub async fn round<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<ServiceRoundId>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let page = Page {
        notice: notice_of(lang, raw.as_deref()),
        ..Page::default()
    };
    round_page(&state, lang, &session, id, page).await
}

/// `GET /admin/service/{id}/mall/{kontakter,enkat}.{csv,xlsx}`: the file to fill in. The
/// contacts file has a row per planned test not yet registered (a tester gets their own);
/// the survey file, for the organiser, a row per municipality, channel and question.
pub async fn template<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, file)): Path<(ServiceRoundId, String)>,
) -> Result<Response, WebError> {
    let missing = || WebError::not_found(lang.t("page_missing"));
    let (name, kind) = file.rsplit_once('.').ok_or_else(missing)?;
    let kind = match kind {
        "csv" => crate::downloads::Kind::ExcelCsv,
        "xlsx" => crate::downloads::Kind::Xlsx,
        _ => return Err(missing()),
    };
    let grants = &session.user.grants;
    let (r, content) = s::visible_round(&state.store, grants, &session.user.email, id).await?;
    let manages = s::may_manage(grants, r.organiser.as_ref());
    let (header, rows) = match name {
        "kontakter" => {
            s::contacts_template(&content, (!manages).then_some(session.user.email.as_str()))
        }
        "enkat" if manages => s::survey_template(&r, &content),
        _ => return Err(missing()),
    };
    let table = crate::downloads::Table {
        title: r.title.clone(),
        numeric: vec![false; header.len()],
        header: header.into_iter().map(str::to_owned).collect(),
        rows,
    };
    Ok(crate::downloads::respond(
        kind,
        &table,
        &format!("kvalitet-mall-{name}-{id}"),
        &[],
    ))
}

/// `POST /admin/service/{id}/testare`: invites a planned tester without an account (by
/// e-mail when a relay is configured); the page shows the link once, to pass on by hand.
pub async fn invite_tester<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<ServiceRoundId>,
    change: Change<SetupFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let email = change.form.text.trim().to_lowercase();
    let actor = state.actor(session);
    let token = match s::invite_tester(&state.store, &session.user.grants, id, &email, &actor).await
    {
        Ok(token) => token,
        Err(e) => {
            let problems = e.into_problems()?;
            let typed = HashMap::from([("text", email.as_str())]);
            let failed = Failed::located(lang, "testare", &typed, &problems, |p| {
                Some(("text".into(), p))
            });
            return round_page(&state, lang, session, id, Page::failed(failed)).await;
        }
    };
    let link = format!("{}{}/inbjudan/{token}", state.public_url, lang.base());
    let r = s::round(&state.store, id).await?;
    let mailed = state.mail
        && crate::admin::queue_logged(
            &state.store,
            &[kvalitet_app::mail::tester_invitation_mail(
                &email, &link, &r.title,
            )],
            actor.at,
        )
        .await;
    let text = lang.say(
        &Message::new(if mailed {
            "tester_invitation_mailed"
        } else {
            "tester_invitation_made"
        })
        .with("email", &email)
        .with("days", kvalitet_app::accounts::INVITATION_DAYS),
    );
    let invitation = crate::admin::InvitationNotice { text, link };
    let page = Page {
        invitation: Some(invitation),
        ..Page::default()
    };
    round_page(&state, lang, session, id, page).await
}

/// What the round page shows besides the round: a notice after a change, an invitation
/// just made, or a form sent back with its problems (then with HTTP 400).
#[derive(Default)]
struct Page {
    notice: Option<String>,
    invitation: Option<crate::admin::InvitationNotice>,
    failed: Option<Failed>,
}

impl Page {
    fn failed(failed: Failed) -> Self {
        Self {
            failed: Some(failed),
            ..Self::default()
        }
    }
}

async fn round_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    id: ServiceRoundId,
    page: Page,
) -> Result<Response, WebError> {
    let Page {
        notice,
        invitation,
        failed,
    } = page;
    let grants = &session.user.grants;
    let (r, content) = s::visible_round(&state.store, grants, &session.user.email, id).await?;
    let (_, d) = state.directory().await?;
    let manages = s::may_manage(grants, r.organiser.as_ref());
    let without_account = if manages && !r.published {
        s::testers_without_account(&state.store, &content).await?
    } else {
        Vec::new()
    };
    let questions_csv: String = std::iter::once("id;area;text".to_owned())
        .chain(
            content
                .questions
                .iter()
                .map(|q| format!("{};{};{}", q.id, q.area, q.text)),
        )
        .collect::<Vec<_>>()
        .join("\n");
    let plan_csv: String =
        std::iter::once("municipality_id;question_id;channel;planned_on;tester".to_owned())
            .chain(content.plan.iter().map(|p| {
                format!(
                    "{};{};{};{};{}",
                    p.municipality,
                    p.question,
                    p.channel.code(),
                    p.planned_on,
                    p.tester
                )
            }))
            .collect::<Vec<_>>()
            .join("\n");
    let sent_back = failed.is_some();
    let response = render_private(
        state,
        lang,
        session,
        "service-round.html",
        SetUpView {
            r: RoundFacts::of(&r, &d),
            members: r
                .members
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            member_names: r.members.iter().map(|m| d.name(m)).collect(),
            questions_csv,
            plan_csv,
            questions: content.questions.len(),
            plan: content.plan.len(),
            contacts: content.contacts.len(),
            survey_rows: content.survey.len(),
            results: results_view(lang, &d, &r, &content),
            manages: manages && !r.published,
            can_correct: manages && r.published,
            registers: !r.published,
            without_account_text: (!without_account.is_empty()).then(|| {
                lang.say(
                    &Message::new("testers_without_account")
                        .with("n", without_account.len())
                        .with("emails", without_account.join(", ")),
                )
            }),
            without_account,
            mail: state.mail,
            invitation,
            failed,
            csrf: &session.csrf_token,
            notice,
            other_path: format!("{}/admin/service/{id}", lang.other().base()),
        },
    );
    Ok(crate::forms::answered(response, sent_back))
}

/// `POST /admin/service/{id}/{part}`: members, question bank or plan from a form.
pub async fn setup<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, part)): Path<(ServiceRoundId, String)>,
    change: Change<SetupFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let grants = &session.user.grants;
    let text = &change.form.text;
    let who = state.actor(session);
    let (form, saved) = match part.as_str() {
        "medlemmar" => {
            let (_, d) = state.directory().await?;
            let known: HashSet<_> = d.kommuner.iter().map(|m| m.id).collect();
            let saved = s::set_members(&state.store, grants, id, text, &known, &who).await;
            ("medlemmar", saved.map(drop))
        }
        "fragor" => (
            "fragor",
            s::set_questions(&state.store, grants, id, text, &who)
                .await
                .map(drop),
        ),
        "plan" => (
            "plan",
            s::set_plan(&state.store, grants, id, text, &who)
                .await
                .map(drop),
        ),
        "sista-dag" => (
            "sista-dag",
            s::set_deadline(&state.store, grants, id, text, &who)
                .await
                .map(drop),
        ),
        "ratta" => (
            "ratta",
            s::reopen_for_correction(&state.store, grants, id, text, &who)
                .await
                .map(drop),
        ),
        _ => return Err(WebError::not_found(lang.t("page_missing"))),
    };
    let problems = match saved {
        Ok(()) => return Ok(back(&state, lang, id, form)),
        Err(e) => e.into_problems()?,
    };
    // Every problem of a pasted text belongs to its one field.
    let typed = HashMap::from([("text", text.as_str())]);
    let failed = Failed::located(lang, form, &typed, &problems, |p| Some(("text".into(), p)));
    round_page(&state, lang, session, id, Page::failed(failed)).await
}

/// `GET /admin/service/{id}/publicera`: what publishing makes public and every warning
/// (unreliable figures, planned tests not registered), with the button that publishes.
pub async fn confirm_publish<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<ServiceRoundId>,
) -> Result<Response, WebError> {
    let (r, check) = s::publish_preview(&state.store, &session.user.grants, id).await?;
    let mut view = ConfirmView::of(lang, &check, &session.csrf_token);
    view.what = format!("{} {}", r.title, r.year.get());
    view.action = format!("{}/admin/service/{id}/publicera", lang.base());
    view.back = format!("{}/admin/service/{id}", lang.base());
    view.other_path = format!("{}/admin/service/{id}/publicera", lang.other().base());
    Ok(render_private(&state, lang, &session, "confirm.html", view))
}

/// `POST /admin/service/{id}/publicera`: publishes the round's figures once the person has
/// seen the confirmation page; without `confirmed=1`, to that page.
pub async fn publish<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<ServiceRoundId>,
    change: Change<ConfirmFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    if !change.form.confirmed() {
        // Refused alike for a round one may not run, as the publishing itself would be.
        s::publish_preview(&state.store, &session.user.grants, id).await?;
        return Ok(redirect(
            &format!("{}/admin/service/{id}/publicera", lang.base()),
            &[],
        ));
    }
    s::publish(
        &state.store,
        &session.user.grants,
        id,
        &state.actor(session),
    )
    .await?;
    Ok(back(&state, lang, id, "publicera"))
}

/// A set-up form: its text (members, a question bank or a plan).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetupFields {
    text: String,
}

/// `POST /admin/service/{id}/{part}` with a file: contacts or survey answers as CSV.
pub async fn upload<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, part)): Path<(ServiceRoundId, String)>,
    upload: Upload,
) -> Result<Response, WebError> {
    let session = &upload.session;
    let form = match part.as_str() {
        "kontakter" => "kontakter",
        "enkat" => "enkat",
        _ => return Err(WebError::not_found(lang.t("page_missing"))),
    };
    let (_, bytes) = upload.file()?;
    let grants = &session.user.grants;
    let who = state.actor(session);
    // CSV, or the first sheet of a spreadsheet.
    let saved = match kvalitet_formats::table::upload_text(bytes) {
        Err(problem) => Err(s::ServiceError::Invalid(problem)),
        Ok(text) if form == "kontakter" => {
            s::import_contacts(&state.store, grants, &session.user.email, id, &text, &who)
                .await
                .map(drop)
        }
        Ok(text) => s::import_survey(&state.store, grants, id, &text, &who)
            .await
            .map(drop),
    };
    let problems = match saved {
        Ok(()) => return Ok(back(&state, lang, id, form)),
        Err(e) => e.into_problems()?,
    };
    // A file cannot be given back: its problems are said beside the file field.
    let failed = Failed::located(lang, form, &HashMap::<&str, &str>::new(), &problems, |p| {
        Some(("file".into(), p))
    });
    round_page(&state, lang, session, id, Page::failed(failed)).await
}

/// `GET /admin/service/{id}/kontakt`: the phone-friendly form for one contact. A tapped
/// planned test (`?m=&q=&kanal=`) fills the form; `?andra=ID` opens a registered contact
/// for change.
pub async fn contact_form<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<ServiceRoundId>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let query = query_pairs(raw.as_deref());
    let asked = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let page = ContactPage {
        typed: ContactFields {
            municipality: asked("m"),
            question: asked("q"),
            channel: asked("kanal"),
            ..ContactFields::default()
        },
        editing: asked("andra").parse().ok(),
        notice: notice_of(lang, raw.as_deref()).or_else(|| {
            (asked("klart") == "1").then(|| lang.t("contact_saved_register_next").to_owned())
        }),
        failed: None,
    };
    contact_page(&state, lang, &session, id, page).await
}

/// What one showing of the contact page holds: the form's values, the contact being
/// changed, the notice of the change just made, or the form sent back with its problems.
struct ContactPage {
    typed: ContactFields,
    editing: Option<i64>,
    notice: Option<String>,
    failed: Option<Failed>,
}

async fn contact_page<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    id: ServiceRoundId,
    page: ContactPage,
) -> Result<Response, WebError> {
    let ContactPage {
        mut typed,
        editing,
        notice,
        failed,
    } = page;
    let email = session.user.email.to_lowercase();
    let grants = &session.user.grants;
    let (r, content) = s::visible_round(&state.store, grants, &email, id).await?;
    let (_, d) = state.directory().await?;
    let local = |t| {
        kvalitet_domain::Timestamp::new(t)
            .local_text()
            .replacen(' ', "T", 1)
    };
    // A contact opened for change fills the form, unless the form came back as typed.
    let editing = editing.and_then(|cid| content.contacts.iter().find(|c| c.id == cid));
    if let (Some(c), None) = (editing, &failed) {
        let x = &c.contact;
        typed = ContactFields {
            municipality: x.municipality.to_string(),
            question: x.question.clone(),
            channel: x.channel.code().to_owned(),
            tester: String::new(),
            sent_at: local(x.sent_at),
            answered_at: x.answered_at.map(local).unwrap_or_default(),
            relevance: x.relevance.map(|v| v.code().to_owned()).unwrap_or_default(),
            direct_answer: match x.direct_answer {
                Some(true) => "ja".into(),
                Some(false) => "nej".into(),
                None => String::new(),
            },
            wait: x.wait_seconds.map(|w| w.to_string()).unwrap_or_default(),
            reception: x.reception.map(|v| v.to_string()).unwrap_or_default(),
            note: x.note.clone(),
        };
    }
    // The tester's own planned tests not registered yet, today's first, each a link that
    // fills the form.
    let today = state.actor(session).at.local_date_text();
    let mut mine: Vec<PlannedLine<'_>> = content
        .plan
        .iter()
        .filter(|p| {
            p.tester.eq_ignore_ascii_case(&email) && !s::is_registered(p, &content.contacts)
        })
        .map(|p| PlannedLine {
            m: p.municipality.to_string(),
            name: d.name(&p.municipality),
            q: &p.question,
            channel: p.channel.code(),
            channel_words: channel_words(lang, p.channel),
            on: &p.planned_on,
            today: p.planned_on == today,
        })
        .collect();
    mine.sort_by_key(|p| (!p.today, p.on));
    let registered: Vec<RegisteredLine<'_>> = content
        .contacts
        .iter()
        .filter(|c| {
            c.contact.tester.eq_ignore_ascii_case(&email)
                || c.registered_by.eq_ignore_ascii_case(&email)
        })
        .map(|c| RegisteredLine {
            id: c.id,
            name: d.name(&c.contact.municipality),
            q: &c.contact.question,
            channel_words: channel_words(lang, c.contact.channel),
            sent: local(c.contact.sent_at).replacen('T', " ", 1),
        })
        .collect();
    let action = match editing {
        Some(c) => format!("{}/admin/service/{id}/kontakt/{}", lang.base(), c.id),
        None => format!("{}/admin/service/{id}/kontakt", lang.base()),
    };
    let response = render_private(
        state,
        lang,
        session,
        "service-contact.html",
        ContactView {
            r: RoundFacts::of(&r, &d),
            members: r
                .members
                .iter()
                .map(|m| Organiser {
                    id: m.as_str(),
                    name: d.name(m),
                })
                .collect(),
            questions: &content.questions,
            mine,
            registered,
            changeable: !r.published,
            editing: editing.map(|c| c.id),
            action,
            form: &typed,
            notice,
            failed: failed.as_ref(),
            csrf: &session.csrf_token,
            other_path: format!("{}/admin/service/{id}/kontakt", lang.other().base()),
        },
    );
    Ok(crate::forms::answered(response, failed.is_some()))
}

fn channel_words(lang: Lang, channel: kvalitet_domain::service::Channel) -> &'static str {
    match channel {
        kvalitet_domain::service::Channel::Email => lang.t("e_mail"),
        kvalitet_domain::service::Channel::Phone => lang.t("telephone"),
    }
}

/// `POST /admin/service/{id}/kontakt`: registers one contact; back to an empty form.
pub async fn register<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<ServiceRoundId>,
    change: Change<ContactFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    // The phone form registers the person's own contacts: no tester is taken from it.
    let fields = ContactFields {
        tester: String::new(),
        ..change.form
    };
    let saved = s::register_contact(
        &state.store,
        &session.user.grants,
        &session.user.email,
        id,
        &fields,
        &state.actor(session),
    )
    .await;
    contact_answer(&state, lang, session, id, None, fields, saved, "1").await
}

/// `POST /admin/service/{id}/kontakt/{contact}`: changes one registered contact.
pub async fn change_contact<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, contact)): Path<(ServiceRoundId, i64)>,
    change: Change<ContactFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let fields = change.form;
    let saved = s::change_contact(
        &state.store,
        &session.user.grants,
        &session.user.email,
        id,
        contact,
        Some(&fields),
        &state.actor(session),
    )
    .await;
    contact_answer(
        &state,
        lang,
        session,
        id,
        Some(contact),
        fields,
        saved,
        "andrad",
    )
    .await
}

/// `POST /admin/service/{id}/kontakt/{contact}/ta-bort`: removes one registered contact.
pub async fn remove_contact<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, contact)): Path<(ServiceRoundId, i64)>,
    change: Change<ConfirmFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    s::change_contact(
        &state.store,
        &session.user.grants,
        &session.user.email,
        id,
        contact,
        None,
        &state.actor(session),
    )
    .await?;
    state.invalidate_version();
    Ok(redirect(
        &format!("{}/admin/service/{id}/kontakt?klart=borttaget", lang.base()),
        &[],
    ))
}

/// After the contact form's use case: back to an empty form with the notice, or the form
/// again as typed with each problem beside its field.
#[allow(clippy::too_many_arguments)]
async fn contact_answer<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    session: &SessionRecord,
    id: ServiceRoundId,
    editing: Option<i64>,
    typed: ContactFields,
    saved: Result<(), s::ServiceError>,
    notice: &str,
) -> Result<Response, WebError> {
    let problems = match saved {
        Ok(()) => {
            state.invalidate_version();
            return Ok(redirect(
                &format!("{}/admin/service/{id}/kontakt?klart={notice}", lang.base()),
                &[],
            ));
        }
        Err(s::ServiceError::BadRows(problems)) => problems,
        Err(s::ServiceError::Invalid(problem)) => vec![problem],
        Err(other) => return Err(other.into()),
    };
    let failed = Failed::located(lang, "c", &typed, &problems, contact_field);
    let page = ContactPage {
        typed,
        editing,
        notice: None,
        failed: Some(failed),
    };
    contact_page(state, lang, session, id, page).await
}

/// The contact form's field a problem names ("rad …" never: the form's problems name a
/// field by its column name, `municipality_id`, as the file's do), and the problem alone.
fn contact_field(problem: &Message) -> Option<(String, &Message)> {
    if problem.code != "at_place" {
        return None;
    }
    let place = problem.said("place")?;
    let field = place.term("field")?;
    let alone = problem.said("problem")?;
    let field = match field {
        "municipality_id" => "municipality",
        "question_id" => "question",
        "wait_seconds" => "wait",
        other => other,
    };
    Some((field.to_owned(), alone))
}

/// `GET /servicematning/{id}`: the figures of a published round for everyone (a preview
/// for its organisers and testers before).
pub async fn public<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
    Path(id): Path<ServiceRoundId>,
) -> Result<Response, WebError> {
    let session = state.current_session(&headers).await?;
    // Publishing and reopening a round change the data version: its page is kept per
    // version.
    let key = format!("{}/servicematning/{id}", lang.base());
    let version = state.data_version().await?;
    if let Some(page) = state.pages.get(version, &key) {
        return Ok(page_response(page, false));
    }
    let (grants, email) = session
        .as_ref()
        .map_or((Grants::default(), String::new()), |s| {
            (s.user.grants.clone(), s.user.email.clone())
        });
    let (r, content) = s::visible_round(&state.store, &grants, &email, id).await?;
    let (_, d) = state.directory().await?;
    let body = state.render(
        "service-results.html",
        lang,
        PublicView {
            r: RoundFacts::of(&r, &d),
            results: results_view(lang, &d, &r, &content),
            corrections: r
                .corrections
                .iter()
                .map(|c| {
                    lang.say(
                        &Message::new("round_corrected")
                            .with("date", c.at.local_date_text())
                            .with("reason", &c.reason),
                    )
                })
                .collect(),
            other_path: format!("{}/servicematning/{id}", lang.other().base()),
        },
    )?;
    if r.published {
        let page = KeptPage::compressed(body);
        state.pages.put(version, key, page.clone());
        Ok(page_response(page, false))
    } else {
        Ok(private_page(body, StatusCode::OK))
    }
}

/// What the round pages say about the round itself.
#[derive(Serialize)]
struct RoundFacts<'a> {
    id: ServiceRoundId,
    title: &'a str,
    year: i16,
    published: bool,
    organiser: Option<String>,
    closed_days: String,
    deadline: Option<&'a str>,
}

impl<'a> RoundFacts<'a> {
    fn of(r: &'a ServiceRoundRecord, d: &kvalitet_app::report::Directory) -> Self {
        Self {
            id: r.id,
            title: &r.title,
            year: r.year.get(),
            published: r.published,
            organiser: r.organiser.map(|m| d.name(&m)),
            closed_days: r
                .closed_days
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            deadline: r.deadline.as_deref(),
        }
    }
}

/// A round's set-up page: members, question bank, plan, imports and the figures so far.
#[derive(Serialize)]
struct SetUpView<'a> {
    r: RoundFacts<'a>,
    members: String,
    member_names: Vec<String>,
    questions_csv: String,
    plan_csv: String,
    questions: usize,
    plan: usize,
    contacts: usize,
    survey_rows: usize,
    results: ResultsView,
    manages: bool,
    /// The round is published and the person runs it: it may be reopened to be corrected.
    can_correct: bool,
    registers: bool,
    /// The planned testers who cannot log in yet, and the sentence that says so.
    without_account: Vec<String>,
    without_account_text: Option<String>,
    /// Invitations go by e-mail.
    mail: bool,
    /// An invitation just made, with its link.
    invitation: Option<crate::admin::InvitationNotice>,
    failed: Option<Failed>,
    csrf: &'a str,
    notice: Option<String>,
    other_path: String,
}

/// The phone-friendly form for one contact, with the tester's planned tests and the
/// contacts they registered.
#[derive(Serialize)]
struct ContactView<'a> {
    r: RoundFacts<'a>,
    members: Vec<Organiser<'a>>,
    questions: &'a [kvalitet_app::ports::ServiceQuestion],
    mine: Vec<PlannedLine<'a>>,
    registered: Vec<RegisteredLine<'a>>,
    /// Registered contacts can be changed until the round is published.
    changeable: bool,
    editing: Option<i64>,
    action: String,
    /// What the form shows: empty, a tapped planned test, a contact to change, or as typed.
    form: &'a ContactFields,
    notice: Option<String>,
    failed: Option<&'a Failed>,
    csrf: &'a str,
    other_path: String,
}

#[derive(Serialize)]
struct PlannedLine<'a> {
    m: String,
    name: String,
    q: &'a str,
    channel: &'static str,
    channel_words: &'static str,
    on: &'a str,
    today: bool,
}

/// A contact the person registered.
#[derive(Serialize)]
struct RegisteredLine<'a> {
    id: i64,
    name: String,
    q: &'a str,
    channel_words: &'static str,
    sent: String,
}

/// A round's figures for everyone once published.
#[derive(Serialize)]
struct PublicView<'a> {
    r: RoundFacts<'a>,
    results: ResultsView,
    /// Each correction since it was first published: "Rättad 1 december 2026: …".
    corrections: Vec<String>,
    other_path: String,
}
