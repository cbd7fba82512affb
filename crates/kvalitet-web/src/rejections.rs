//! axum's own refusals (a path segment that does not parse, a form that does not read, a body
//! past its limit, a wrong method) shown as the site's pages in the visitor's language
//! instead of axum's plain English text. One layer on the site's routes does it for every
//! handler, so no extractor's refusal can reach a person raw.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;

use kvalitet_app::Store;

use crate::AppState;
use crate::auth::message_page;
use crate::i18n::Lang;

/// What a person is told for each refusal axum makes by itself.
fn message(lang: Lang, status: StatusCode) -> &'static str {
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

/// Replaces a plain-text or empty client error (only axum's extractors and router answer so;
/// the site's handlers answer in HTML, CSV or JSON) with the site's message page.
pub(crate) async fn as_page<S: Store>(
    State((state, lang)): State<(Arc<AppState<S>>, Lang)>,
    response: Response,
) -> Response {
    let status = response.status();
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
