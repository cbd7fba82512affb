//! Service measurements on the web: the rounds, a round's set-up (members, question bank,
//! plan), contacts by CSV or by the phone-friendly form, survey answers, the figures with
//! their intervals and warnings, publishing, and the public results page. Every change needs
//! a session and its CSRF token; the use cases check the person's rights again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Form, Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use kvalitet_app::Store;
use kvalitet_app::ports::{ServiceContent, ServiceRoundRecord};
use kvalitet_app::service::{self as s, ContactFields, FigureKind, RoundForm};
use kvalitet_domain::{Action, Grants};

use crate::WebError;
use crate::auth::{
    actor, message_page, private_page, redirect, refused, render_private, require_change,
    require_session, require_upload,
};
use crate::i18n::Lang;
use crate::site::html_response;
use crate::{AppState, query_pairs};

fn back(state: &AppState<impl Store>, lang: Lang, round: i64, notice: &str) -> Response {
    state.invalidate_version();
    redirect(
        &format!("{}/admin/service/{round}?klart={notice}", lang.base()),
        &[],
    )
}

/// The figures of a round as the results table shows them.
fn results_view(
    lang: Lang,
    d: &kvalitet_app::report::Directory,
    r: &ServiceRoundRecord,
    content: &ServiceContent,
) -> Value {
    let res = s::results(r, content);
    let pct = |v: f64| lang.number(v, 0);
    let kinds: Vec<Value> = FigureKind::ALL
        .iter()
        .map(|k| {
            let spread = res.spread.get(k);
            json!({
                "title": k.measure().1, "id": k.measure().0,
                "mean": spread.map(|x| pct(x.mean)), "min": spread.map(|x| pct(x.min)),
                "max": spread.map(|x| pct(x.max)), "n": spread.map(|x| x.n),
                "unreliable": res.unreliable.get(k).copied().unwrap_or(0),
            })
        })
        .collect();
    let rows: Vec<Value> = res
        .municipalities
        .iter()
        .map(|m| {
            json!({
                "id": m.municipality.as_str(), "name": d.name(&m.municipality),
                "emails": m.emails, "calls": m.calls,
                "figures": FigureKind::ALL.iter().map(|k| m.figures.get(k).map(|f| json!({
                    "value": pct(f.value), "n": f.n, "low": pct(f.low), "high": pct(f.high),
                    "unreliable": f.unreliable,
                }))).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"kinds": kinds, "rows": rows, "min_tests": r.min_tests, "partly_counts": r.partly_counts})
}

/// `GET /admin/service`: the rounds a person runs or tests in, and a form for a new one.
pub async fn list<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
) -> Response {
    let session = match require_session(&state, lang, &headers, "/admin/service").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let grants = &session.user.grants;
    let (_, d) = match state.directory().await {
        Ok(d) => d,
        Err(e) => return e.into_page(&state, lang),
    };
    let rounds = match state.store.service_rounds(None).await {
        Ok(r) => r,
        Err(e) => return WebError::internal(e).into_page(&state, lang),
    };
    let mut visible = Vec::new();
    for r in &rounds {
        let manages = s::may_manage(grants, r.organiser.as_ref());
        let tests = !manages
            && match state.store.service_content(r.id).await {
                Ok(c) => s::may_register(grants, &session.user.email, r, &c.plan),
                Err(e) => return WebError::internal(e).into_page(&state, lang),
            };
        if manages || tests || r.published {
            visible.push(json!({
                "id": r.id, "title": r.title, "year": r.year.get(), "published": r.published,
                "organiser": r.organiser.map_or_else(|| match lang { Lang::Sv => "nationell".to_owned(), Lang::En => "national".to_owned() }, |m| d.name(&m).to_owned()),
                "members": r.members.len(),
            }));
        }
    }
    let organisers: Vec<Value> = grants
        .roles
        .iter()
        .filter(|(m, _)| grants.allows(Action::Publish, m))
        .map(|(m, _)| json!({"id": m.as_str(), "name": d.name(m)}))
        .collect();
    render_private(
        &state,
        lang,
        "service-list.html",
        json!({
            "rounds": visible,
            "national": grants.system_admin,
            "organisers": organisers,
            "csrf": session.csrf_token,
            "other_path": format!("{}/admin/service", lang.other().base()),
        }),
    )
}

/// `POST /admin/service`: creates a round.
pub async fn create<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let session = match require_change(
        &state,
        lang,
        &headers,
        "/admin/service",
        form.get("csrf").map(String::as_str),
    )
    .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = |k: &str| form.get(k).cloned().unwrap_or_default();
    let round = RoundForm {
        title: f("title"),
        year: f("year"),
        organiser: f("organiser"),
        partly_counts: form.contains_key("partly_counts"),
        min_tests: f("min_tests"),
        closed_days: f("closed_days"),
    };
    match s::create_round(&state.store, &session.user.grants, &round, &actor(&session)).await {
        Ok(id) => back(&state, lang, id, "skapad"),
        Err(e) => refused(&state, lang, e),
    }
}

/// `GET /admin/service/{id}`: the round's set-up, registration and figures.
pub async fn round<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Response {
    let session =
        match require_session(&state, lang, &headers, &format!("/admin/service/{id}")).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let grants = &session.user.grants;
    let (r, content) = match s::visible_round(&state.store, grants, &session.user.email, id).await {
        Ok(x) => x,
        Err(e) => return refused(&state, lang, e),
    };
    let (_, d) = match state.directory().await {
        Ok(d) => d,
        Err(e) => return e.into_page(&state, lang),
    };
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
    render_private(
        &state,
        lang,
        "service-round.html",
        json!({
            "r": {"id": r.id, "title": r.title, "year": r.year.get(), "published": r.published,
                  "organiser": r.organiser.map(|m| d.name(&m).to_owned()),
                  "closed_days": r.closed_days.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")},
            "members": r.members.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "),
            "member_names": r.members.iter().map(|m| d.name(m).to_owned()).collect::<Vec<_>>(),
            "questions_csv": questions_csv,
            "plan_csv": plan_csv,
            "questions": content.questions.len(),
            "plan": content.plan.len(),
            "contacts": content.contacts.len(),
            "survey_rows": content.survey.len(),
            "results": results_view(lang, &d, &r, &content),
            "manages": manages && !r.published,
            "registers": !r.published,
            "csrf": session.csrf_token,
            "notice": notice,
            "other_path": format!("{}/admin/service/{id}", lang.other().base()),
        }),
    )
}

/// `POST /admin/service/{id}/{part}`: members, question bank or plan from a form.
pub async fn setup<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path((id, part)): Path<(i64, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let session = match require_change(
        &state,
        lang,
        &headers,
        &format!("/admin/service/{id}"),
        form.get("csrf").map(String::as_str),
    )
    .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let grants = &session.user.grants;
    let text = form.get("text").cloned().unwrap_or_default();
    let who = actor(&session);
    let done = match part.as_str() {
        "medlemmar" => {
            let (_, d) = match state.directory().await {
                Ok(d) => d,
                Err(e) => return e.into_page(&state, lang),
            };
            let known: HashSet<_> = d.kommuner.iter().map(|m| m.id).collect();
            s::set_members(&state.store, grants, id, &text, &known, &who)
                .await
                .map(|()| 0)
        }
        "fragor" => s::set_questions(&state.store, grants, id, &text, &who).await,
        "plan" => s::set_plan(&state.store, grants, id, &text, &who).await,
        "publicera" => s::publish(&state.store, grants, id, &who).await,
        _ => return message_page(&state, lang, StatusCode::NOT_FOUND, "no such form"),
    };
    match done {
        Ok(_) => back(&state, lang, id, &part),
        Err(e) => refused(&state, lang, e),
    }
}

/// `POST /admin/service/{id}/{part}` with a file: contacts or survey answers as CSV.
pub async fn upload<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path((id, part)): Path<(i64, String)>,
    multipart: Multipart,
) -> Response {
    let (session, (_fields, file)) = match require_upload(
        &state,
        lang,
        &headers,
        &format!("/admin/service/{id}"),
        state.max_upload_bytes,
        multipart,
    )
    .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some((_, bytes)) = file else {
        return message_page(&state, lang, StatusCode::BAD_REQUEST, "no file was sent");
    };
    // CSV, or the first sheet of a spreadsheet.
    let text = match kvalitet_formats::table::upload_text(&bytes) {
        Ok(t) => t,
        Err(why) => return message_page(&state, lang, StatusCode::BAD_REQUEST, &why),
    };
    let text = text.as_ref();
    let grants = &session.user.grants;
    let who = actor(&session);
    let done = match part.as_str() {
        "kontakter" => {
            s::import_contacts(&state.store, grants, &session.user.email, id, text, &who).await
        }
        "enkat" => s::import_survey(&state.store, grants, id, text, &who).await,
        _ => return message_page(&state, lang, StatusCode::NOT_FOUND, "no such form"),
    };
    match done {
        Ok(_) => back(&state, lang, id, &part),
        Err(e) => refused(&state, lang, e),
    }
}

/// `GET /admin/service/{id}/kontakt`: the phone-friendly form for one contact.
pub async fn contact_form<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Response {
    let session = match require_session(
        &state,
        lang,
        &headers,
        &format!("/admin/service/{id}/kontakt"),
    )
    .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (r, content) =
        match s::visible_round(&state.store, &session.user.grants, &session.user.email, id).await {
            Ok(x) => x,
            Err(e) => return refused(&state, lang, e),
        };
    let (_, d) = match state.directory().await {
        Ok(d) => d,
        Err(e) => return e.into_page(&state, lang),
    };
    let email = session.user.email.to_lowercase();
    // The tester's own planned contacts that are not registered yet come first.
    let mine: Vec<Value> = content
        .plan
        .iter()
        .filter(|p| p.tester == email)
        .filter(|p| !content.contacts.iter().any(|c| (c.contact.municipality, &c.contact.question, c.contact.channel) == (p.municipality, &p.question, p.channel)))
        .map(|p| json!({"m": p.municipality.as_str(), "name": d.name(&p.municipality), "q": p.question, "channel": p.channel.code(), "on": p.planned_on}))
        .collect();
    let notice = query_pairs(raw.as_deref())
        .into_iter()
        .any(|(k, _)| k == "klart");
    render_private(
        &state,
        lang,
        "service-contact.html",
        json!({
            "r": {"id": r.id, "title": r.title},
            "members": r.members.iter().map(|m| json!({"id": m.as_str(), "name": d.name(m)})).collect::<Vec<_>>(),
            "questions": content.questions.iter().map(|q| json!({"id": q.id, "area": q.area, "text": q.text})).collect::<Vec<_>>(),
            "mine": mine,
            "notice": notice,
            "csrf": session.csrf_token,
            "other_path": format!("{}/admin/service/{id}/kontakt", lang.other().base()),
        }),
    )
}

/// `POST /admin/service/{id}/kontakt`: registers one contact; back to an empty form.
pub async fn register<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let session = match require_change(
        &state,
        lang,
        &headers,
        &format!("/admin/service/{id}/kontakt"),
        form.get("csrf").map(String::as_str),
    )
    .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = |k: &str| form.get(k).cloned().unwrap_or_default();
    let fields = ContactFields {
        municipality: f("municipality"),
        question: f("question"),
        channel: f("channel"),
        tester: String::new(),
        sent_at: f("sent_at"),
        answered_at: f("answered_at"),
        relevance: f("relevance"),
        direct_answer: f("direct_answer"),
        wait: f("wait"),
        reception: f("reception"),
        note: f("note"),
    };
    match s::register_contact(
        &state.store,
        &session.user.grants,
        &session.user.email,
        id,
        &fields,
        &actor(&session),
    )
    .await
    {
        Ok(()) => {
            state.invalidate_version();
            redirect(
                &format!("{}/admin/service/{id}/kontakt?klart=1", lang.base()),
                &[],
            )
        }
        Err(e) => refused(&state, lang, e),
    }
}

/// `GET /servicematning/{id}`: the figures of a published round for everyone (a preview
/// for its organisers and testers before).
pub async fn public<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let session = match state.current_session(&headers).await {
        Ok(s) => s,
        Err(e) => return e.into_page(&state, lang),
    };
    // A published round never changes, and publishing changes the data version: its page
    // is kept per version.
    let key = format!("{}/servicematning/{id}", lang.base());
    let version = match state.data_version().await {
        Ok(v) => v,
        Err(e) => return WebError::internal(e).into_page(&state, lang),
    };
    if let Some(body) = state.pages.get(version, &key) {
        return html_response(body, false);
    }
    let (grants, email) = session
        .as_ref()
        .map_or((Grants::default(), String::new()), |s| {
            (s.user.grants.clone(), s.user.email.clone())
        });
    let (r, content) = match s::visible_round(&state.store, &grants, &email, id).await {
        Ok(x) => x,
        Err(e) => return refused(&state, lang, e),
    };
    let (_, d) = match state.directory().await {
        Ok(d) => d,
        Err(e) => return e.into_page(&state, lang),
    };
    let body = state.render(
        "service-results.html",
        lang,
        json!({
            "r": {"id": r.id, "title": r.title, "year": r.year.get(), "published": r.published,
                  "closed_days": r.closed_days.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")},
            "results": results_view(lang, &d, &r, &content),
            "other_path": format!("{}/servicematning/{id}", lang.other().base()),
        }),
    );
    match body {
        Ok(b) if r.published => {
            let b = bytes::Bytes::from(b);
            state.pages.put(version, key, b.clone());
            html_response(b, false)
        }
        Ok(b) => private_page(b, StatusCode::OK),
        Err(e) => e.into_page(&state, lang),
    }
}
