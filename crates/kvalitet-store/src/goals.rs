//! The goals port: goal plans stored in their file format (a draft and a published one per
//! municipality, earlier ones superseded and kept) and the official statuses of goals, each
//! change audited in its transaction.

use kvalitet_app::ports::{
    Actor, Goals, PlanStatus, StatusRecord, StoreError, StoredPeriod, StoredPlan,
};
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::goals::{Linked, Official, Period, PeriodKind};
use kvalitet_domain::{Message, MunicipalityId};

/// A period row: id, code, kind, title, year, closes_on, plan, snapshot, taken_by, taken_at.
type PeriodRow = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    i64,
    String,
    String,
    String,
);

use crate::audit::audit;
use crate::version::{Moved, bump_version};
use crate::{SqlStore, exec, fetch_all, invalid, moment};

type PlanRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// The id an `INSERT … RETURNING id` gave, or `conflict` when the row met a unique index
/// (someone else wrote the same thing at the same moment).
pub(crate) fn inserted_id(
    inserted: Result<Vec<(i64,)>, StoreError>,
    conflict: impl FnOnce() -> StoreError,
) -> Result<i64, StoreError> {
    match inserted {
        Ok(rows) => rows
            .first()
            .map(|r| r.0)
            .ok_or_else(|| invalid("no id returned")),
        Err(StoreError::Database(e)) if e.to_lowercase().contains("unique") => Err(conflict()),
        Err(e) => Err(e),
    }
}

impl Goals for SqlStore {
    async fn save_goal_draft(
        &self,
        municipality: &MunicipalityId,
        source: &str,
        based_on: Option<i64>,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let m = municipality.as_str();
        let changed = || StoreError::Conflict(Message::new("goal_plan_changed"));
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let replaced = match based_on {
            None => exec!(
                t,
                "DELETE FROM goal_plan WHERE municipality_id = $1 AND status = 'draft'",
                m
            )?,
            // Deleting the very draft the edit began from takes its row (a second saver
            // waits on PostgreSQL, then finds it gone); an edit of the published plan
            // needs there to be no draft, and a draft inserted meanwhile meets the unique
            // index below.
            Some(base) => {
                let replaced = exec!(
                    t,
                    "DELETE FROM goal_plan WHERE municipality_id = $1 AND status = 'draft' AND id = $2",
                    m,
                    base
                )?;
                if replaced == 0 {
                    let current = fetch_all!(tx t, (i64, String),
                        "SELECT id, status FROM goal_plan
                         WHERE municipality_id = $1 AND status IN ('draft', 'published')",
                        m)?;
                    let published_base = current
                        .iter()
                        .all(|(id, status)| status == "published" && *id == base)
                        && !current.is_empty();
                    if !published_base {
                        return Err(changed());
                    }
                }
                replaced
            }
        };
        let inserted = fetch_all!(tx t, (i64,),
            "INSERT INTO goal_plan (municipality_id, status, source, created_by, created_at)
             VALUES ($1, 'draft', $2, $3, $4) RETURNING id",
            m, source, &actor.who, actor.at.to_string());
        let id = inserted_id(inserted, changed)?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::GoalImport,
            &format!("goal_plan:{id}"),
            None,
            Some(serde_json::json!({"bytes": source.len(), "replaced_draft": replaced > 0})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn goal_plans(
        &self,
        municipality: &MunicipalityId,
    ) -> Result<Vec<StoredPlan>, StoreError> {
        let rows = fetch_all!(pool self, PlanRow,
            "SELECT id, status, source, created_by, created_at, published_by, published_at
             FROM goal_plan WHERE municipality_id = $1 AND status <> 'superseded' ORDER BY id",
            municipality.as_str())?;
        rows.into_iter()
            .map(
                |(id, status, source, created_by, created_at, published_by, published_at)| {
                    Ok(StoredPlan {
                        id,
                        municipality: *municipality,
                        status: PlanStatus::parse(&status).ok_or_else(|| invalid(&status))?,
                        source,
                        created_by,
                        created_at: moment(&created_at)?,
                        published_by,
                        published_at: published_at.as_deref().map(moment).transpose()?,
                    })
                },
            )
            .collect()
    }

    async fn publish_goal_plan(
        &self,
        municipality: &MunicipalityId,
        plan: i64,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let m = municipality.as_str();
        let at = actor.at.to_string();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        // Taking the draft first (the row lock on PostgreSQL, the write lock on SQLite)
        // means two publishers cannot both see it as the draft.
        let taken = exec!(t,
            "UPDATE goal_plan SET status = 'superseded' WHERE municipality_id = $1 AND status = 'published'
             AND EXISTS (SELECT 1 FROM goal_plan WHERE id = $2 AND municipality_id = $1 AND status = 'draft')",
            m, plan)?;
        let published = exec!(
            t,
            "UPDATE goal_plan SET status = 'published', published_by = $3, published_at = $4
             WHERE id = $2 AND municipality_id = $1 AND status = 'draft'",
            m,
            plan,
            &actor.who,
            &at
        )?;
        if published == 0 {
            return Err(StoreError::Conflict(Message::new("goal_plan_not_draft")));
        }
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::GoalPublish,
            &format!("goal_plan:{plan}"),
            None,
            Some(serde_json::json!({"superseded_earlier": taken > 0})),
        )
        .await?;
        bump_version(t, Moved::Pages).await?;
        tx.commit().await
    }

    async fn set_goal_status(
        &self,
        municipality: &MunicipalityId,
        status: &StatusRecord,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        exec!(
            t,
            "INSERT INTO goal_status (municipality_id, goal_id, status, motivation, set_by, set_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            municipality.as_str(),
            &status.goal,
            status.status.code(),
            &status.motivation,
            &status.set_by,
            status.set_at.to_string()
        )?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::GoalStatus,
            &format!("goal:{}", status.goal),
            None,
            Some(serde_json::json!({"status": status.status.code(), "motivation": status.motivation})),
        )
        .await?;
        bump_version(t, Moved::Pages).await?;
        tx.commit().await
    }

    async fn link_goal(
        &self,
        municipality: &MunicipalityId,
        kind: Linked,
        item: &str,
        goal: Option<&str>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let before = fetch_all!(tx t, (String,),
            "SELECT goal_id FROM goal_link WHERE municipality_id = $1 AND kind = $2 AND item = $3",
            municipality.as_str(), kind.code(), item)?
        .into_iter()
        .next()
        .map(|(g,)| g);
        exec!(
            t,
            "DELETE FROM goal_link WHERE municipality_id = $1 AND kind = $2 AND item = $3",
            municipality.as_str(),
            kind.code(),
            item
        )?;
        if let Some(goal) = goal {
            exec!(
                t,
                "INSERT INTO goal_link (municipality_id, kind, item, goal_id, linked_by, linked_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                municipality.as_str(),
                kind.code(),
                item,
                goal,
                &actor.who,
                actor.at.to_string()
            )?;
        }
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::GoalLink,
            &format!("{}:{item}", kind.code()),
            before.map(|g| serde_json::json!({"goal": g})),
            goal.map(|g| serde_json::json!({"goal": g})),
        )
        .await?;
        bump_version(t, Moved::Pages).await?;
        tx.commit().await
    }

    async fn goal_link(
        &self,
        municipality: &MunicipalityId,
        kind: Linked,
        item: &str,
    ) -> Result<Option<String>, StoreError> {
        let rows = fetch_all!(pool self, (String,),
            "SELECT goal_id FROM goal_link WHERE municipality_id = $1 AND kind = $2 AND item = $3",
            municipality.as_str(), kind.code(), item)?;
        Ok(rows.into_iter().next().map(|(g,)| g))
    }

    async fn goal_statuses(
        &self,
        municipality: &MunicipalityId,
    ) -> Result<Vec<StatusRecord>, StoreError> {
        let rows = fetch_all!(pool self, (String, String, String, String, String),
            "SELECT goal_id, status, motivation, set_by, set_at FROM goal_status
             WHERE municipality_id = $1 ORDER BY id",
            municipality.as_str())?;
        rows.into_iter()
            .map(|(goal, status, motivation, set_by, set_at)| {
                Ok(StatusRecord {
                    goal,
                    status: Official::parse(&status).ok_or_else(|| invalid(&status))?,
                    motivation,
                    set_by,
                    set_at: moment(&set_at)?,
                })
            })
            .collect()
    }

    async fn close_goal_period(
        &self,
        municipality: &MunicipalityId,
        period: &Period,
        plan: i64,
        snapshot: &str,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let m = municipality.as_str();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let exists = fetch_all!(tx t, (i64,),
            "SELECT id FROM goal_period WHERE municipality_id = $1 AND code = $2",
            m, &period.code)?;
        if !exists.is_empty() {
            return Err(StoreError::Conflict(
                Message::new("period_exists").with("code", &period.code),
            ));
        }
        // A period closed at the same moment by someone else meets the unique index and is
        // refused the same way (as a conflict), never written twice.
        let inserted = fetch_all!(tx t, (i64,),
            "INSERT INTO goal_period (municipality_id, code, kind, title, year, closes_on, plan_id,
                 snapshot, taken_by, taken_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            m, &period.code, period.kind.code(), &period.title, i64::from(period.year),
            &period.closes_on, plan, snapshot, &actor.who, actor.at.to_string());
        let id = inserted_id(inserted, || {
            StoreError::Conflict(Message::new("period_exists").with("code", &period.code))
        })?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::GoalPeriodClose,
            &format!("goal_period:{}", period.code),
            None,
            Some(serde_json::json!({
                "kind": period.kind.code(), "year": period.year, "closes_on": period.closes_on,
                "plan": plan, "bytes": snapshot.len(),
            })),
        )
        .await?;
        bump_version(t, Moved::Pages).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn goal_periods(
        &self,
        municipality: &MunicipalityId,
    ) -> Result<Vec<StoredPeriod>, StoreError> {
        let rows = fetch_all!(pool self, PeriodRow,
            "SELECT id, code, kind, title, year, closes_on, plan_id, snapshot, taken_by, taken_at
             FROM goal_period WHERE municipality_id = $1 ORDER BY closes_on DESC, id DESC",
            municipality.as_str())?;
        rows.into_iter()
            .map(
                |(id, code, kind, title, year, closes_on, plan, snapshot, taken_by, taken_at)| {
                    Ok(StoredPeriod {
                        id,
                        period: Period {
                            code,
                            kind: PeriodKind::parse(&kind).ok_or_else(|| invalid(&kind))?,
                            title,
                            year: i32::try_from(year).map_err(|_| invalid("year"))?,
                            closes_on,
                        },
                        plan,
                        snapshot,
                        taken_by,
                        taken_at: moment(&taken_at)?,
                    })
                },
            )
            .collect()
    }
}
