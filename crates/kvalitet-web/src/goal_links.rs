//! The goal a proposal, an e-dialogue or a citizen budget round is followed up under: the
//! staff form that links it (on each item's staff page) and the link residents follow from
//! its public page to the goal on the municipality's goals page.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use kvalitet_app::Store;
use kvalitet_app::goals as app;
use kvalitet_domain::goals::Linked;
use kvalitet_domain::{Action, Grants, Message, MunicipalityId};

use crate::admin::municipality;
use crate::auth::redirect;
use crate::extract::{Change, PageLang};
use crate::i18n::Lang;
use crate::{AppState, WebError};

/// The segment of an item's staff address, which the link form's address repeats.
fn segment(kind: Linked) -> &'static str {
    match kind {
        Linked::Proposal => "e-forslag",
        Linked::Dialogue => "dialog",
        Linked::BudgetRound => "medborgarbudget",
    }
}

/// One goal offered in the form.
#[derive(Serialize)]
pub(crate) struct GoalChoice {
    id: String,
    title: String,
    selected: bool,
}

/// The form on an item's staff page; `None` where there is no published plan or the person
/// may not link.
#[derive(Serialize)]
pub(crate) struct GoalLinkForm {
    action: String,
    choices: Vec<GoalChoice>,
}

/// The goal as an item's public page links to it.
#[derive(Serialize)]
pub(crate) struct GoalLinkView {
    title: String,
    href: String,
}

/// The link form for an item (`item`: its number or the round's id) on its staff page.
pub(crate) async fn form_for<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    grants: &Grants,
    m: &MunicipalityId,
    kind: Linked,
    item: &str,
) -> Result<Option<GoalLinkForm>, WebError> {
    if !grants.allows(Action::EditMeasures, m) {
        return Ok(None);
    }
    let (choices, linked) = app::link_choices(&state.store, m, kind, item).await?;
    if choices.is_empty() {
        return Ok(None);
    }
    Ok(Some(GoalLinkForm {
        action: format!(
            "{}/admin/kommun/{m}/{}/{item}/mal",
            lang.base(),
            segment(kind)
        ),
        choices: choices
            .into_iter()
            .map(|g| GoalChoice {
                selected: linked.as_deref() == Some(g.id.as_str()),
                id: g.id,
                title: g.title,
            })
            .collect(),
    }))
}

/// The goal an item's public page links to, if it is linked to one still in the plan.
pub(crate) async fn public_link<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    m: &MunicipalityId,
    kind: Linked,
    item: &str,
) -> Result<Option<GoalLinkView>, WebError> {
    Ok(app::linked_goal(&state.store, m, kind, item)
        .await?
        .map(|g| GoalLinkView {
            href: format!("{}/kommun/{m}/mal#goal-{}", lang.base(), g.id),
            title: g.title,
        }))
}

/// The link form's one field: the goal's id, empty to remove the link.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct GoalLinkFields {
    goal: String,
}

/// `POST /admin/kommun/{id}/e-forslag/{number}/mal`.
pub async fn link_proposal<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, item)): Path<(String, String)>,
    change: Change<GoalLinkFields>,
) -> Result<Response, WebError> {
    link(&state, lang, &id, &item, Linked::Proposal, change).await
}

/// `POST /admin/kommun/{id}/dialog/{number}/mal`.
pub async fn link_dialogue<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, item)): Path<(String, String)>,
    change: Change<GoalLinkFields>,
) -> Result<Response, WebError> {
    link(&state, lang, &id, &item, Linked::Dialogue, change).await
}

/// `POST /admin/kommun/{id}/medborgarbudget/{round}/mal`.
pub async fn link_round<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Path((id, item)): Path<(String, String)>,
    change: Change<GoalLinkFields>,
) -> Result<Response, WebError> {
    link(&state, lang, &id, &item, Linked::BudgetRound, change).await
}

/// Links the item to a goal of the published plan, or removes the link; back to the item's
/// staff page.
async fn link<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    id: &str,
    item: &str,
    kind: Linked,
    change: Change<GoalLinkFields>,
) -> Result<Response, WebError> {
    let session = &change.session;
    let m = municipality(lang, session, id, Action::EditMeasures)?;
    // Numbers and round ids only: the item names a page of this municipality.
    if item.is_empty() || item.len() > 20 || !item.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WebError::coded(
            StatusCode::NOT_FOUND,
            Message::new("page_missing"),
        ));
    }
    app::link_goal(
        &state.store,
        &session.user.grants,
        &m,
        kind,
        item,
        &change.form.goal,
        &state.actor(session),
    )
    .await?;
    state.invalidate_version();
    Ok(redirect(
        &format!(
            "{}/admin/kommun/{m}/{}/{item}?klart=mal",
            lang.base(),
            segment(kind)
        ),
        &[],
    ))
}
