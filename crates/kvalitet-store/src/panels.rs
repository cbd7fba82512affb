//! The panels port: citizen panels with their members, population margins and waves, each
//! change audited in its transaction.

use kvalitet_app::ports::{
    Actor, NewInvitation, NewMember, Panels, PopulationShare, Recruitment, StoreError,
    StoredMember, StoredPanel, StoredWave,
};
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::{Message, MunicipalityId};

use crate::audit::audit;
use crate::{SqlStore, Tx, exec, fetch_all, invalid, moment};

fn not_found() -> StoreError {
    StoreError::NotFound(Message::new("panel_not_found"))
}

fn unique_to(e: StoreError, conflict: impl FnOnce() -> StoreError) -> StoreError {
    match e {
        StoreError::Database(d) if d.to_lowercase().contains("unique") => conflict(),
        e => e,
    }
}

/// Checks inside `tx` that the panel belongs to the municipality.
async fn owned(tx: &mut Tx, m: &MunicipalityId, panel: i64) -> Result<(), StoreError> {
    let rows = fetch_all!(tx tx, (i64,),
        "SELECT id FROM panel WHERE id = $1 AND municipality_id = $2", panel, m.as_str())?;
    if rows.is_empty() {
        Err(not_found())
    } else {
        Ok(())
    }
}

type PanelRow = (i64, String, String, String, String);

fn panel_record(m: &MunicipalityId, row: PanelRow) -> Result<StoredPanel, StoreError> {
    let (id, code, title, created_by, created_at) = row;
    Ok(StoredPanel {
        id,
        municipality: *m,
        code,
        title,
        created_by,
        created_at: moment(&created_at)?,
    })
}

impl Panels for SqlStore {
    async fn create_panel(
        &self,
        municipality: &MunicipalityId,
        code: &str,
        title: &str,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let taken = || StoreError::Conflict(Message::new("panel_code_taken").with("code", code));
        let inserted = fetch_all!(tx t, (i64,),
            "INSERT INTO panel (municipality_id, code, title, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            municipality.as_str(), code, title, &actor.who, actor.at.to_string());
        let id = crate::goals::inserted_id(inserted, taken)?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::PanelCreate,
            &format!("panel:{id}"),
            None,
            Some(serde_json::json!({"code": code, "title": title})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn panels(&self, municipality: &MunicipalityId) -> Result<Vec<StoredPanel>, StoreError> {
        let rows = fetch_all!(pool self, PanelRow,
            "SELECT id, code, title, created_by, created_at FROM panel
             WHERE municipality_id = $1 ORDER BY id DESC",
            municipality.as_str())?;
        rows.into_iter()
            .map(|r| panel_record(municipality, r))
            .collect()
    }

    async fn panel(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
    ) -> Result<Option<StoredPanel>, StoreError> {
        let rows = fetch_all!(pool self, PanelRow,
            "SELECT id, code, title, created_by, created_at FROM panel
             WHERE municipality_id = $1 AND id = $2",
            municipality.as_str(), panel)?;
        rows.into_iter()
            .next()
            .map(|r| panel_record(municipality, r))
            .transpose()
    }

    async fn add_members(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
        members: &[NewMember],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        owned(t, municipality, panel).await?;
        for member in members {
            if let Some(replaced) = member.replaces {
                let found = fetch_all!(tx t, (i64,),
                    "SELECT id FROM panel_member WHERE id = $1 AND panel_id = $2",
                    replaced, panel)?;
                if found.is_empty() {
                    return Err(StoreError::Invalid(Message::new("panel_member_unknown")));
                }
            }
            exec!(
                t,
                "INSERT INTO panel_member (panel_id, email, background, recruitment, joined_on,
                     replaces_id)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                panel,
                member.email.as_deref(),
                &member.background,
                member.recruitment.code(),
                &member.joined_on,
                member.replaces
            )?;
        }
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::PanelMembers,
            &format!("panel:{panel}"),
            None,
            Some(serde_json::json!({
                "added": members.len(),
                "replacements": members.iter().filter(|m| m.replaces.is_some()).count(),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(members.len())
    }

    async fn members(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
    ) -> Result<Vec<StoredMember>, StoreError> {
        type Row = (
            i64,
            Option<String>,
            String,
            String,
            String,
            Option<String>,
            Option<i64>,
        );
        let rows = fetch_all!(pool self, Row,
            "SELECT m.id, m.email, m.background, m.recruitment, m.joined_on, m.left_on,
                 m.replaces_id
             FROM panel_member m JOIN panel p ON p.id = m.panel_id
             WHERE m.panel_id = $1 AND p.municipality_id = $2 ORDER BY m.joined_on, m.id",
            panel, municipality.as_str())?;
        rows.into_iter()
            .map(
                |(id, email, background, recruitment, joined_on, left_on, replaces)| {
                    Ok(StoredMember {
                        id,
                        email,
                        background,
                        recruitment: Recruitment::parse(&recruitment)
                            .ok_or_else(|| invalid(&recruitment))?,
                        joined_on,
                        left_on,
                        replaces,
                    })
                },
            )
            .collect()
    }

    async fn member_leaves(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
        member: i64,
        on: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        owned(t, municipality, panel).await?;
        let left = exec!(
            t,
            "UPDATE panel_member SET left_on = $3
             WHERE id = $1 AND panel_id = $2 AND left_on IS NULL",
            member,
            panel,
            on
        )?;
        if left == 0 {
            return Err(StoreError::NotFound(Message::new("panel_member_unknown")));
        }
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::PanelMemberLeave,
            &format!("panel:{panel}"),
            None,
            Some(serde_json::json!({"member": member, "left_on": on})),
        )
        .await?;
        tx.commit().await
    }

    async fn set_panel_margins(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
        reference_date: &str,
        shares: &[PopulationShare],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        owned(t, municipality, panel).await?;
        exec!(t, "DELETE FROM panel_margin WHERE panel_id = $1", panel)?;
        for s in shares {
            exec!(
                t,
                "INSERT INTO panel_margin (panel_id, variable, level, share, reference_date)
                 VALUES ($1, $2, $3, $4, $5)",
                panel,
                &s.variable,
                &s.level,
                s.share,
                reference_date
            )?;
        }
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::PanelMargins,
            &format!("panel:{panel}"),
            None,
            Some(serde_json::json!({"reference_date": reference_date, "shares": shares.len()})),
        )
        .await?;
        tx.commit().await
    }

    async fn panel_margins(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
    ) -> Result<(Option<String>, Vec<PopulationShare>), StoreError> {
        let rows = fetch_all!(pool self, (String, String, f64, String),
            "SELECT g.variable, g.level, g.share, g.reference_date
             FROM panel_margin g JOIN panel p ON p.id = g.panel_id
             WHERE g.panel_id = $1 AND p.municipality_id = $2 ORDER BY g.variable, g.level",
            panel, municipality.as_str())?;
        let date = rows.first().map(|r| r.3.clone());
        Ok((
            date,
            rows.into_iter()
                .map(|(variable, level, share, _)| PopulationShare {
                    variable,
                    level,
                    share,
                })
                .collect(),
        ))
    }

    async fn start_wave(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
        survey: i64,
        invitations: &[(i64, NewInvitation)],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        let at = actor.at.to_string();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        owned(t, municipality, panel).await?;
        let taken = exec!(
            t,
            "UPDATE survey SET panel_id = $3
             WHERE id = $1 AND municipality_id = $2 AND status <> 'closed'
               AND (panel_id IS NULL OR panel_id = $3)",
            survey,
            municipality.as_str(),
            panel
        )?;
        if taken == 0 {
            return Err(StoreError::Conflict(Message::new("panel_wave_survey")));
        }
        for (member, i) in invitations {
            exec!(
                t,
                "INSERT INTO survey_invitation (survey_id, token_hash, email, background,
                     created_at, member_id)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                survey,
                &i.token_hash,
                i.email.as_deref(),
                &i.background,
                &at,
                member
            )
            .map_err(|e| {
                unique_to(e, || {
                    StoreError::Conflict(Message::new("survey_token_taken"))
                })
            })?;
        }
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::PanelWave,
            &format!("panel:{panel}"),
            None,
            Some(serde_json::json!({"survey": survey, "invited": invitations.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok(invitations.len())
    }

    async fn waves(
        &self,
        municipality: &MunicipalityId,
        panel: i64,
    ) -> Result<Vec<StoredWave>, StoreError> {
        let rows = fetch_all!(pool self, (i64, String, String, Option<String>, i64, i64),
            "SELECT s.id, s.code, s.status, s.opened_at,
                 (SELECT COUNT(*) FROM survey_invitation i WHERE i.survey_id = s.id
                    AND i.member_id IS NOT NULL),
                 (SELECT COUNT(*) FROM survey_invitation i WHERE i.survey_id = s.id
                    AND i.member_id IS NOT NULL AND i.answered_at IS NOT NULL)
             FROM survey s WHERE s.panel_id = $1 AND s.municipality_id = $2 ORDER BY s.id",
            panel, municipality.as_str())?;
        rows.into_iter()
            .map(|(survey, code, status, opened_at, invited, answered)| {
                Ok(StoredWave {
                    survey,
                    code,
                    status,
                    opened_at,
                    invited: u64::try_from(invited).map_err(|_| invalid("invited"))?,
                    answered: u64::try_from(answered).map_err(|_| invalid("answered"))?,
                })
            })
            .collect()
    }

    async fn set_response_weights(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
        weights: &[(i64, f64)],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let found = fetch_all!(tx t, (i64,),
            "SELECT id FROM survey WHERE id = $1 AND municipality_id = $2",
            survey, municipality.as_str())?;
        if found.is_empty() {
            return Err(StoreError::NotFound(Message::new("survey_not_found")));
        }
        exec!(
            t,
            "UPDATE survey_response SET weight = NULL WHERE survey_id = $1",
            survey
        )?;
        for (response, weight) in weights {
            exec!(
                t,
                "UPDATE survey_response SET weight = $3 WHERE id = $1 AND survey_id = $2",
                response,
                survey,
                weight
            )?;
        }
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::SurveyWeights,
            &format!("survey:{survey}"),
            None,
            Some(serde_json::json!({"weighted": weights.len()})),
        )
        .await?;
        tx.commit().await
    }
}
