//! Service measurements on the web: the rounds, a round's set-up (members, question bank,
//! plan), contacts by CSV or by the phone-friendly form, survey answers, the figures with
//! their intervals and warnings, publishing, and the public results page. Every change needs
//! a session and its CSRF token; the use cases check the person's rights again.

use std::collections::HashSet;
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
use crate::extract::PageLang;
use crate::extract::{Change, Session, Upload};
use crate::forms::{ConfirmFields, ConfirmView};
use crate::i18n::Lang;
use crate::site::html_response;
use crate::{AppState, query_pairs};

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
    Ok(render_private(
        &state,
        lang,
        &session,
        "service-list.html",
        ServiceListView {
            rounds,
            national: grants.system_admin,
            organisers,
            csrf: &session.csrf_token,
            other_path: format!("{}/admin/service", lang.other().base()),
        },
    ))
}

/// `POST /admin/service`: creates a round.
pub async fn create<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    change: Change<RoundForm>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let id = s::create_round(
        &state.store,
        &session.user.grants,
        &change.form,
        &state.actor(session),
    )
    .await?;
    Ok(back(&state, lang, id, "skapad"))
}

/// `GET /admin/service/{id}`: the round's set-up, registration and figures.
pub async fn round<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<ServiceRoundId>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let grants = &session.user.grants;
    let (r, content) = s::visible_round(&state.store, grants, &session.user.email, id).await?;
    let (_, d) = state.directory().await?;
    let manages = s::may_manage(grants, r.organiser.as_ref());
    let notice = query_pairs(raw.as_deref())
        .into_iter()
        .find(|(k, _)| k == "klart")
        .map(|(_, v)| v);
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
    Ok(render_private(
        &state,
        lang,
        &session,
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
            registers: !r.published,
            csrf: &session.csrf_token,
            notice,
            other_path: format!("{}/admin/service/{id}", lang.other().base()),
        },
    ))
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
    match part.as_str() {
        "medlemmar" => {
            let (_, d) = state.directory().await?;
            let known: HashSet<_> = d.kommuner.iter().map(|m| m.id).collect();
            s::set_members(&state.store, grants, id, text, &known, &who).await?;
        }
        "fragor" => {
            s::set_questions(&state.store, grants, id, text, &who).await?;
        }
        "plan" => {
            s::set_plan(&state.store, grants, id, text, &who).await?;
        }
        _ => return Err(WebError::not_found(lang.t("page_missing"))),
    }
    Ok(back(&state, lang, id, &part))
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
    let (_, bytes) = upload.file()?;
    // CSV, or the first sheet of a spreadsheet.
    let text = kvalitet_formats::table::upload_text(bytes).map_err(WebError::invalid)?;
    let grants = &session.user.grants;
    let who = state.actor(session);
    match part.as_str() {
        "kontakter" => {
            s::import_contacts(&state.store, grants, &session.user.email, id, &text, &who).await?;
        }
        "enkat" => {
            s::import_survey(&state.store, grants, id, &text, &who).await?;
        }
        _ => return Err(WebError::not_found(lang.t("page_missing"))),
    }
    Ok(back(&state, lang, id, &part))
}

/// `GET /admin/service/{id}/kontakt`: the phone-friendly form for one contact.
pub async fn contact_form<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<ServiceRoundId>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let (r, content) =
        s::visible_round(&state.store, &session.user.grants, &session.user.email, id).await?;
    let (_, d) = state.directory().await?;
    let email = session.user.email.to_lowercase();
    // The tester's own planned contacts that are not registered yet come first.
    let mine: Vec<PlannedLine<'_>> = content
        .plan
        .iter()
        .filter(|p| p.tester == email)
        .filter(|p| {
            !content.contacts.iter().any(|c| {
                (
                    c.contact.municipality,
                    &c.contact.question,
                    c.contact.channel,
                ) == (p.municipality, &p.question, p.channel)
            })
        })
        .map(|p| PlannedLine {
            m: p.municipality.to_string(),
            name: d.name(&p.municipality),
            q: &p.question,
            channel: p.channel.code(),
            on: &p.planned_on,
        })
        .collect();
    let notice = query_pairs(raw.as_deref())
        .into_iter()
        .any(|(k, _)| k == "klart");
    Ok(render_private(
        &state,
        lang,
        &session,
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
            notice,
            csrf: &session.csrf_token,
            other_path: format!("{}/admin/service/{id}/kontakt", lang.other().base()),
        },
    ))
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
    s::register_contact(
        &state.store,
        &session.user.grants,
        &session.user.email,
        id,
        &fields,
        &state.actor(session),
    )
    .await?;
    state.invalidate_version();
    Ok(redirect(
        &format!("{}/admin/service/{id}/kontakt?klart=1", lang.base()),
        &[],
    ))
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
    // A published round never changes, and publishing changes the data version: its page
    // is kept per version.
    let key = format!("{}/servicematning/{id}", lang.base());
    let version = state.data_version().await?;
    if let Some(body) = state.pages.get(version, &key) {
        return Ok(html_response(body, false));
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
            other_path: format!("{}/servicematning/{id}", lang.other().base()),
        },
    )?;
    if r.published {
        let b = bytes::Bytes::from(body);
        state.pages.put(version, key, b.clone());
        Ok(html_response(b, false))
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
    registers: bool,
    csrf: &'a str,
    notice: Option<String>,
    other_path: String,
}

/// The phone-friendly form for one contact, with the tester's planned tests.
#[derive(Serialize)]
struct ContactView<'a> {
    r: RoundFacts<'a>,
    members: Vec<Organiser<'a>>,
    questions: &'a [kvalitet_app::ports::ServiceQuestion],
    mine: Vec<PlannedLine<'a>>,
    notice: bool,
    csrf: &'a str,
    other_path: String,
}

#[derive(Serialize)]
struct PlannedLine<'a> {
    m: String,
    name: String,
    q: &'a str,
    channel: &'static str,
    on: &'a str,
}

/// A round's figures for everyone once published.
#[derive(Serialize)]
struct PublicView<'a> {
    r: RoundFacts<'a>,
    results: ResultsView,
    other_path: String,
}
