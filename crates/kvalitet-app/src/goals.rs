//! Goals as use cases: a plan read from its file (checked whole) and saved as the
//! municipality's draft by its editors, published by its administrators, read back (the
//! published plan by everyone, the draft by the municipality's people), and official statuses
//! set by administrators with a motivation. The rules are the domain's (`goals`).

use kvalitet_domain::goals::{self, Official};
use kvalitet_domain::{Action, Grants, Message, MunicipalityId};
use kvalitet_formats::goal_file::{self, GoalPlan};

use crate::ports::{Actor, Goals, PlanStatus, StatusRecord, StoredPlan};
use crate::refusal::Refusal;

/// The largest plan file read, far above a municipality's (300 goals are about 150 kB).
pub const MAX_PLAN_BYTES: usize = 4 << 20;

/// Reads a plan, checks it whole and saves it as its municipality's draft (an earlier draft
/// is replaced). Returns the municipality, the stored plan's id and the number of goals.
pub async fn import_plan(
    store: &impl Goals,
    grants: &Grants,
    text: &str,
    known_measure: impl Fn(&str) -> bool,
    actor: &Actor,
) -> Result<(MunicipalityId, i64, usize), Refusal> {
    if text.len() > MAX_PLAN_BYTES {
        return Err(Refusal::Invalid(
            Message::new("file_too_large").with("mb", MAX_PLAN_BYTES >> 20),
        ));
    }
    let plan = goal_file::read(text, known_measure).map_err(Refusal::BadRows)?;
    let m = plan.municipality;
    if !grants.allows(Action::EditMeasures, &m) {
        return Err(Refusal::Forbidden(
            Message::new("goals_editors_only").with("municipality", m),
        ));
    }
    let id = store.save_goal_draft(&m, text, actor).await?;
    Ok((m, id, plan.goals.len()))
}

/// A stored plan read back in full.
#[derive(Debug, Clone)]
pub struct Plan {
    pub stored: StoredPlan,
    pub plan: GoalPlan,
}

/// The municipality's published plan, for everyone; with `draft`, its draft instead, for its
/// own people only (to anyone else a draft does not exist).
pub async fn plan(
    store: &impl Goals,
    grants: Option<&Grants>,
    m: &MunicipalityId,
    draft: bool,
) -> Result<Option<Plan>, Refusal> {
    let wanted = if draft {
        if !grants.is_some_and(|g| g.allows(Action::ViewDrafts, m)) {
            return Ok(None);
        }
        PlanStatus::Draft
    } else {
        PlanStatus::Published
    };
    let Some(stored) = store
        .goal_plans(m)
        .await?
        .into_iter()
        .find(|p| p.status == wanted)
    else {
        return Ok(None);
    };
    // Checked when it was saved; the measures were known then and stay named by their ids.
    let plan = goal_file::read(&stored.source, |_| true).map_err(Refusal::BadRows)?;
    Ok(Some(Plan { stored, plan }))
}

/// Publishes the draft the administrator saw (`plan` is its id).
pub async fn publish_plan(
    store: &impl Goals,
    grants: &Grants,
    m: &MunicipalityId,
    plan: i64,
    actor: &Actor,
) -> Result<(), Refusal> {
    if !grants.allows(Action::Publish, m) {
        return Err(Refusal::Forbidden(
            Message::new("goals_admins_publish").with("municipality", m),
        ));
    }
    Ok(store.publish_goal_plan(m, plan, actor).await?)
}

/// Sets a goal's official status: by an administrator, with a motivation, for a goal of the
/// published plan or the draft.
pub async fn set_status(
    store: &impl Goals,
    grants: &Grants,
    m: &MunicipalityId,
    goal: &str,
    status: &str,
    motivation: &str,
    actor: &Actor,
) -> Result<(), Refusal> {
    if !grants.allows(Action::Publish, m) {
        return Err(Refusal::Forbidden(
            Message::new("goals_admins_publish").with("municipality", m),
        ));
    }
    let status = Official::parse(status).ok_or_else(|| {
        Refusal::Invalid(Message::in_field(
            "status",
            Message::new("choose_goal_status"),
        ))
    })?;
    let motivation = goals::motivation(motivation).map_err(Refusal::Invalid)?;
    let known = store
        .goal_plans(m)
        .await?
        .iter()
        .filter_map(|p| goal_file::read(&p.source, |_| true).ok())
        .any(|p| p.goals.iter().any(|g| g.id == goal));
    if !known {
        return Err(Refusal::NotFound(
            Message::new("goal_not_found").with("id", format!("{goal:?}")),
        ));
    }
    let record = StatusRecord {
        goal: goal.to_owned(),
        status,
        motivation,
        set_by: actor.who.clone(),
        set_at: actor.at,
    };
    Ok(store.set_goal_status(m, &record, actor).await?)
}

/// Each goal's official status now: its latest record.
pub async fn statuses(
    store: &impl Goals,
    m: &MunicipalityId,
) -> Result<std::collections::BTreeMap<String, StatusRecord>, Refusal> {
    Ok(store
        .goal_statuses(m)
        .await?
        .into_iter()
        .map(|s| (s.goal.clone(), s))
        .collect())
}
