//! Every refusal as the site's page, from one layer on the site's routes: a handler's
//! [`crate::WebError`] (its message, or to the login page and back), and axum's own refusals (a path
//! segment that does not parse, a form that does not read, a body past its limit, a wrong
//! method) in the visitor's language instead of axum's plain English text. So no handler
//! writes an error page, and no extractor's refusal reaches a person raw.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use kvalitet_app::Store;

use crate::AppState;
use crate::auth::{message_page, redirect};
use crate::error::Refused;
use crate::i18n::Lang;

/// What a person is told for each refusal axum makes by itself.
pub(crate) fn message(lang: Lang, status: StatusCode) -> &'static str {
    match (lang, status) {
        (Lang::Sv, StatusCode::PAYLOAD_TOO_LARGE) => {
            "Det som skickades är för stort för den här sidan."
        }
        (Lang::En, StatusCode::PAYLOAD_TOO_LARGE) => "What was sent is too large for this page.",
        (Lang::Sv, StatusCode::METHOD_NOT_ALLOWED) => {
            "Det går inte att göra så här på den här adressen."
        }
        (Lang::En, StatusCode::METHOD_NOT_ALLOWED) => "This cannot be done at this address.",
        (Lang::Sv, StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::UNPROCESSABLE_ENTITY) => {
            "Formuläret kunde inte läsas. Gå tillbaka och försök igen."
        }
        (Lang::En, StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::UNPROCESSABLE_ENTITY) => {
            "The form could not be read. Go back and try again."
        }
        (Lang::Sv, _) => {
            "Adressen är inte rätt skriven. Kontrollera den, eller börja från startsidan."
        }
        (Lang::En, _) => "The address is not written right. Check it, or start from the home page.",
    }
}

/// Runs the request, then turns a refusal into the site's page: a `WebError`'s message, a
/// login redirect back to the path asked for, or a plain-text or empty client error (only
/// axum's extractors and router answer so; the site's handlers answer in HTML, CSV or JSON).
pub(crate) async fn as_page<S: Store>(
    State((state, lang)): State<(Arc<AppState<S>>, Lang)>,
    request: Request,
    next: Next,
) -> Response {
    // Where to come back to after logging in: the page asked for, or for a change sent from
    // a form (which cannot be sent again by a redirect) the page the form was on.
    let asked = if request.method() == axum::http::Method::GET {
        request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
    } else {
        request
            .headers()
            .get(header::REFERER)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| url::Url::parse(r).ok())
            .map(|u| match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_owned(),
            })
    }
    .unwrap_or_else(|| format!("{}/konto", lang.base()));
    let response = next.run(request).await;
    let status = response.status();
    match response.extensions().get::<Refused>() {
        Some(Refused::Message(message, words)) => {
            let text = words
                .as_ref()
                .map_or_else(|| message.clone(), |w| lang.say(w));
            let mut page = message_page(&state, lang, status, &text);
            if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
                page.headers_mut()
                    .insert(header::RETRY_AFTER, retry.clone());
            }
            return page;
        }
        Some(Refused::LoginNeeded) => {
            let back_to = asked.strip_prefix(lang.base()).unwrap_or(&asked);
            return redirect(
                &format!(
                    "{}/logga-in?next={}{}",
                    lang.base(),
                    lang.base(),
                    crate::site::encode(back_to)
                ),
                &[],
            );
        }
        None => {}
    }
    // axum answers in plain text, or (a wrong method) with no body at all.
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("text/plain"));
    if plain && status.is_client_error() {
        if status != StatusCode::PAYLOAD_TOO_LARGE && status != StatusCode::METHOD_NOT_ALLOWED {
            tracing::debug!(%status, "refused by an extractor");
        }
        message_page(&state, lang, status, message(lang, status))
    } else {
        response
    }
}
