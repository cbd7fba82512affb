//! The staff pages that publish a year's participation in the medborgardialog as measures:
//! the confirmation page with the figures as they will read, and the publishing itself.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;

use kvalitet_app::Store;
use kvalitet_app::participation as app;
use kvalitet_domain::{Action, Message, Timestamp, Year};

use crate::admin::municipality;
use crate::auth::{redirect, render_private};
use crate::extract::{Change, PageLang, Session};
use crate::forms::{ConfirmFields, ConfirmView};
use crate::{AppState, WebError, query_pairs};

/// The years offered: this one (still running) and the five before it, newest first.
pub(crate) fn years(now: Timestamp) -> Vec<i32> {
    let this = kvalitet_domain::calendar::stockholm_date(now.datetime()).year();
    (this - 5..=this).rev().collect()
}

/// The year a form or an address names (`ar`); a text that is no year is a bad request.
fn year_of(text: &str) -> Result<Year, WebError> {
    Year::parse(text).map_err(|_| {
        WebError::invalid(Message::new("not_a_year").with("value", format!("{text:?}")))
    })
}

/// `GET /admin/kommun/{id}/delaktighet?ar=ÅR`: the year's figures as they will be
/// published, what stays internal and every warning, with the button that publishes.
pub async fn confirm<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::Publish)?;
    let ar = query_pairs(raw.as_deref())
        .into_iter()
        .find(|(k, _)| k == "ar")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let year = year_of(&ar)?;
    let figures = app::figures(
        &state.store,
        &session.user.grants,
        &m,
        year,
        state.clock.now(),
    )
    .await?;
    let mut view = ConfirmView::of(lang, &app::publish_check(&figures), &session.csrf_token);
    view.what = lang.say(&Message::new("participation_what").with("year", year));
    view.action = format!("{}/admin/kommun/{m}/delaktighet", lang.base());
    view.hidden = vec![("ar", year.to_string())];
    view.back = format!("{}/admin/kommun/{m}/e-forslag", lang.base());
    view.other_path = format!(
        "{}/admin/kommun/{m}/delaktighet?ar={year}",
        lang.other().base()
    );
    Ok(render_private(&state, lang, &session, "confirm.html", view))
}

/// The publishing form: the year and `confirmed=1`.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PublishFields {
    ar: String,
    #[serde(flatten)]
    confirm: ConfirmFields,
}

/// `POST /admin/kommun/{id}/delaktighet`: publishes the year's figures once the person has
/// seen the confirmation page; without `confirmed=1`, to that page.
pub async fn publish<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    change: Change<PublishFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, &id, Action::Publish)?;
    let year = year_of(&change.form.ar)?;
    if !change.form.confirm.confirmed() {
        return Ok(redirect(
            &format!("{}/admin/kommun/{m}/delaktighet?ar={year}", lang.base()),
            &[],
        ));
    }
    app::publish(
        &state.store,
        &session.user.grants,
        &m,
        year,
        &state.actor(session),
    )
    .await?;
    state.invalidate_version();
    Ok(redirect(
        &format!(
            "{}/admin/kommun/{m}/e-forslag?klart=delaktighet",
            lang.base()
        ),
        &[],
    ))
}
