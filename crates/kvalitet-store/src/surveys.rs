//! The surveys port: surveys with their questionnaire versions, personal links kept as hashes,
//! and answers stored apart from the people who gave them (the tie is cut when a survey
//! closes; addresses go after the retention period).

use kvalitet_app::ports::{
    Actor, InvitationLookup, InvitationRecord, NewInvitation, NewResponse, NewSurvey, StoreError,
    StoredResponse, StoredSurvey, SurveyStatus, Surveys,
};
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::{Message, MunicipalityId, Timestamp};

use crate::audit::audit;
use crate::{SqlStore, exec, fetch_all, invalid, moment};

/// The columns of a [`StoredSurvey`] with its latest version and, when `$counts` is
/// `counted`, its counts (the respondents' pages leave them out: counting a survey's answers
/// on every answer sent would grow with the survey).
macro_rules! survey_select {
    (counted) => {
        survey_select!(
            "(SELECT COUNT(*) FROM survey_response r WHERE r.survey_id = s.id),
             (SELECT COUNT(*) FROM survey_invitation i WHERE i.survey_id = s.id),
             (SELECT COUNT(*) FROM survey_invitation i
              WHERE i.survey_id = s.id AND i.answered_at IS NOT NULL)"
        )
    };
    (uncounted) => {
        survey_select!("CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT)")
    };
    ($counts:literal) => {
        concat!(
            "SELECT s.id, s.code, s.status, s.open_link, s.retention_days, s.created_by,
                 s.created_at, s.opened_at, s.closed_at, v.version, v.id, v.source, ",
            $counts,
            ", s.panel_id
             FROM survey s JOIN survey_version v ON v.survey_id = s.id
                  AND v.version = (SELECT MAX(version) FROM survey_version WHERE survey_id = s.id)
             WHERE s.municipality_id = $1"
        )
    };
}

type SurveyRow = (
    i64,
    String,
    String,
    bool,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
);

fn survey_record(m: &MunicipalityId, row: SurveyRow) -> Result<StoredSurvey, StoreError> {
    let (
        id,
        code,
        status,
        open_link,
        retention_days,
        created_by,
        created_at,
        opened_at,
        closed_at,
        version,
        version_id,
        source,
        responses,
        invited,
        answered,
        panel,
    ) = row;
    let count = |n: i64| u64::try_from(n).map_err(|_| invalid("count"));
    Ok(StoredSurvey {
        id,
        municipality: *m,
        code,
        status: SurveyStatus::parse(&status).ok_or_else(|| invalid(&status))?,
        open_link,
        retention_days: u32::try_from(retention_days).map_err(|_| invalid("retention_days"))?,
        panel,
        created_by,
        created_at: moment(&created_at)?,
        opened_at: opened_at.as_deref().map(moment).transpose()?,
        closed_at: closed_at.as_deref().map(moment).transpose()?,
        version,
        version_id,
        source,
        responses: count(responses)?,
        invited: count(invited)?,
        answered_invitations: count(answered)?,
    })
}

fn conflict(code: &'static str) -> StoreError {
    StoreError::Conflict(Message::new(code))
}

fn not_found() -> StoreError {
    StoreError::NotFound(Message::new("survey_not_found"))
}

impl SqlStore {
    /// The survey's status when it belongs to the municipality, read inside `tx`.
    async fn survey_status_in(
        tx: &mut crate::Tx,
        m: &MunicipalityId,
        survey: i64,
    ) -> Result<SurveyStatus, StoreError> {
        let rows = fetch_all!(tx tx, (String,),
            "SELECT status FROM survey WHERE id = $1 AND municipality_id = $2",
            survey, m.as_str())?;
        let (status,) = rows.into_iter().next().ok_or_else(not_found)?;
        SurveyStatus::parse(&status).ok_or_else(|| invalid(&status))
    }
}

impl Surveys for SqlStore {
    async fn create_survey(
        &self,
        municipality: &MunicipalityId,
        survey: &NewSurvey<'_>,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let at = actor.at.to_string();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let taken = fetch_all!(tx t, (i64,),
            "SELECT id FROM survey WHERE municipality_id = $1 AND code = $2",
            municipality.as_str(), survey.code)?;
        let code_taken =
            || StoreError::Conflict(Message::new("survey_code_taken").with("code", survey.code));
        if !taken.is_empty() {
            return Err(code_taken());
        }
        let inserted = fetch_all!(tx t, (i64,),
            "INSERT INTO survey (municipality_id, code, status, open_link, retention_days,
                 created_by, created_at)
             VALUES ($1, $2, 'draft', $3, $4, $5, $6) RETURNING id",
            municipality.as_str(), survey.code, survey.open_link,
            i64::from(survey.retention_days), &actor.who, &at);
        let id = crate::goals::inserted_id(inserted, code_taken)?;
        exec!(
            t,
            "INSERT INTO survey_version (survey_id, version, source, created_by, created_at)
             VALUES ($1, 1, $2, $3, $4)",
            id,
            survey.source,
            &actor.who,
            &at
        )?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::SurveyCreate,
            &format!("survey:{id}"),
            None,
            Some(serde_json::json!({
                "code": survey.code, "open_link": survey.open_link,
                "retention_days": survey.retention_days, "bytes": survey.source.len(),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn save_survey_version(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
        based_on: i64,
        source: &str,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let at = actor.at.to_string();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        // Taking the survey row first (a write lock on SQLite's IMMEDIATE transaction, the
        // row lock on PostgreSQL) makes two savers queue, so the second sees the first's
        // version and is refused.
        let locked = exec!(
            t,
            "UPDATE survey SET code = code WHERE id = $1 AND municipality_id = $2",
            survey,
            municipality.as_str()
        )?;
        if locked == 0 {
            return Err(not_found());
        }
        if Self::survey_status_in(t, municipality, survey).await? == SurveyStatus::Closed {
            return Err(conflict("survey_closed"));
        }
        let latest = fetch_all!(tx t, (i64, i64, i64),
            "SELECT v.id, v.version,
                 (SELECT COUNT(*) FROM survey_response r WHERE r.version_id = v.id)
             FROM survey_version v WHERE v.survey_id = $1 ORDER BY v.version DESC LIMIT 1",
            survey)?;
        let (version_id, version, answered) = latest.into_iter().next().ok_or_else(not_found)?;
        if version != based_on {
            return Err(conflict("survey_version_changed"));
        }
        let saved = if answered == 0 {
            exec!(
                t,
                "UPDATE survey_version SET source = $2, created_by = $3, created_at = $4
                 WHERE id = $1",
                version_id,
                source,
                &actor.who,
                &at
            )?;
            version
        } else {
            exec!(
                t,
                "INSERT INTO survey_version (survey_id, version, source, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
                survey,
                version + 1,
                source,
                &actor.who,
                &at
            )?;
            version + 1
        };
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::SurveyVersion,
            &format!("survey:{survey}"),
            None,
            Some(serde_json::json!({"version": saved, "bytes": source.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn surveys(
        &self,
        municipality: &MunicipalityId,
    ) -> Result<Vec<StoredSurvey>, StoreError> {
        let rows = fetch_all!(pool self, SurveyRow,
            concat!(survey_select!(counted), " ORDER BY s.id DESC"),
            municipality.as_str())?;
        rows.into_iter()
            .map(|row| survey_record(municipality, row))
            .collect()
    }

    async fn survey(
        &self,
        municipality: &MunicipalityId,
        id: Option<i64>,
        code: &str,
        counted: bool,
    ) -> Result<Option<StoredSurvey>, StoreError> {
        let m = municipality.as_str();
        let rows = match (id, counted) {
            (Some(id), true) => fetch_all!(pool self, SurveyRow,
                concat!(survey_select!(counted), " AND s.id = $2"), m, id)?,
            (None, true) => fetch_all!(pool self, SurveyRow,
                concat!(survey_select!(counted), " AND s.code = $2"), m, code)?,
            (Some(id), false) => fetch_all!(pool self, SurveyRow,
                concat!(survey_select!(uncounted), " AND s.id = $2"), m, id)?,
            (None, false) => fetch_all!(pool self, SurveyRow,
                concat!(survey_select!(uncounted), " AND s.code = $2"), m, code)?,
        };
        rows.into_iter()
            .next()
            .map(|row| survey_record(municipality, row))
            .transpose()
    }

    async fn set_survey_status(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
        from: SurveyStatus,
        to: SurveyStatus,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let at = actor.at.to_string();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let moved = match to {
            SurveyStatus::Open => exec!(
                t,
                "UPDATE survey SET status = 'open', opened_at = COALESCE(opened_at, $4)
                 WHERE id = $1 AND municipality_id = $2 AND status = $3",
                survey,
                municipality.as_str(),
                from.code(),
                &at
            )?,
            SurveyStatus::Closed => exec!(
                t,
                "UPDATE survey SET status = 'closed', closed_at = $4
                 WHERE id = $1 AND municipality_id = $2 AND status = $3",
                survey,
                municipality.as_str(),
                from.code(),
                &at
            )?,
            SurveyStatus::Draft => exec!(
                t,
                "UPDATE survey SET status = 'draft'
                 WHERE id = $1 AND municipality_id = $2 AND status = $3
                   AND NOT EXISTS (SELECT 1 FROM survey_response WHERE survey_id = $1)",
                survey,
                municipality.as_str(),
                from.code()
            )?,
        };
        if moved == 0 {
            Self::survey_status_in(t, municipality, survey).await?;
            return Err(conflict("survey_status_changed"));
        }
        if to == SurveyStatus::Closed {
            exec!(
                t,
                "UPDATE survey_invitation SET response_id = NULL WHERE survey_id = $1
                 AND NOT EXISTS (SELECT 1 FROM survey WHERE id = $1 AND panel_id IS NOT NULL)",
                survey
            )?;
        }
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::SurveyStatus,
            &format!("survey:{survey}"),
            Some(serde_json::json!({"status": from.code()})),
            Some(serde_json::json!({"status": to.code()})),
        )
        .await?;
        tx.commit().await
    }

    async fn invite(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
        invitations: &[NewInvitation],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        let at = actor.at.to_string();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        if Self::survey_status_in(t, municipality, survey).await? == SurveyStatus::Closed {
            return Err(conflict("survey_closed"));
        }
        for i in invitations {
            exec!(
                t,
                "INSERT INTO survey_invitation (survey_id, token_hash, email, background, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
                survey,
                &i.token_hash,
                i.email.as_deref(),
                &i.background,
                &at
            )
            .map_err(|e| match e {
                StoreError::Database(d) if d.to_lowercase().contains("unique") => {
                    conflict("survey_token_taken")
                }
                e => e,
            })?;
        }
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::SurveyInvite,
            &format!("survey:{survey}"),
            None,
            Some(serde_json::json!({"links": invitations.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok(invitations.len())
    }

    async fn invitations(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
    ) -> Result<Vec<InvitationRecord>, StoreError> {
        let rows = fetch_all!(pool self, (i64, Option<String>, String, bool),
            "SELECT i.id, i.email, i.created_at, i.answered_at IS NOT NULL
             FROM survey_invitation i JOIN survey s ON s.id = i.survey_id
             WHERE i.survey_id = $1 AND s.municipality_id = $2 ORDER BY i.id",
            survey, municipality.as_str())?;
        rows.into_iter()
            .map(|(id, email, created_at, answered)| {
                Ok(InvitationRecord {
                    id,
                    email,
                    created_at: moment(&created_at)?,
                    answered,
                })
            })
            .collect()
    }

    async fn survey_invitation(
        &self,
        token_hash: &str,
    ) -> Result<Option<InvitationLookup>, StoreError> {
        let rows = fetch_all!(pool self, (String, i64, bool),
            "SELECT s.municipality_id, s.id, i.answered_at IS NOT NULL
             FROM survey_invitation i JOIN survey s ON s.id = i.survey_id
             WHERE i.token_hash = $1",
            token_hash)?;
        rows.into_iter()
            .next()
            .map(|(m, survey, answered)| {
                Ok(InvitationLookup {
                    municipality: MunicipalityId::parse(&m).map_err(invalid)?,
                    survey,
                    answered,
                })
            })
            .transpose()
    }

    async fn submit_responses(
        &self,
        batch: &[NewResponse],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        // Each survey's state is read once per batch, inside the transaction that writes.
        let mut surveys: std::collections::HashMap<i64, Option<(String, bool, i64)>> =
            std::collections::HashMap::new();
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut open: Vec<&NewResponse> = Vec::new();
        for r in batch {
            if let std::collections::hash_map::Entry::Vacant(slot) = surveys.entry(r.survey) {
                let row = fetch_all!(tx t, (String, bool, i64),
                    "SELECT s.status, s.open_link,
                         (SELECT MAX(id) FROM survey_version WHERE survey_id = s.id)
                     FROM survey s WHERE s.id = $1",
                    r.survey)?;
                slot.insert(row.into_iter().next());
            }
            let Some(Some((status, open_link, latest))) = surveys.get(&r.survey) else {
                outcomes.push(Err(not_found()));
                continue;
            };
            if status != "open" || (r.token_hash.is_none() && !open_link) {
                outcomes.push(Err(conflict("survey_not_open")));
                continue;
            }
            if *latest != r.version_id {
                outcomes.push(Err(conflict("survey_version_changed")));
                continue;
            }
            let Some(hash) = &r.token_hash else {
                // Open-address answers of the batch go in with one statement below.
                open.push(r);
                outcomes.push(Ok(()));
                continue;
            };
            // The link is used up first: of two answers on one link, the second finds it
            // answered and nothing of it is kept.
            let used = fetch_all!(tx t, (String,),
                "UPDATE survey_invitation SET answered_at = $3
                 WHERE token_hash = $1 AND survey_id = $2 AND answered_at IS NULL
                 RETURNING background",
                hash, r.survey, r.at.to_string())?;
            let Some((background,)) = used.into_iter().next() else {
                outcomes.push(Err(conflict("survey_link_used")));
                continue;
            };
            let inserted = fetch_all!(tx t, (i64,),
                "INSERT INTO survey_response (survey_id, version_id, answers, background,
                     self_selected, answered_on)
                 VALUES ($1, $2, $3, $4, FALSE, $5) RETURNING id",
                r.survey, r.version_id, &r.answers, &background, r.at.date_text())?;
            let id = inserted
                .first()
                .map(|row| row.0)
                .ok_or_else(|| invalid("no id returned"))?;
            exec!(
                t,
                "UPDATE survey_invitation SET response_id = $2 WHERE token_hash = $1",
                hash,
                id
            )?;
            outcomes.push(Ok(()));
        }
        // One statement for all the open address's answers: at busy times most answers
        // come this way, and each statement is a round trip to PostgreSQL.
        if !open.is_empty() {
            crate::on_tx!(t, t => {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO survey_response (survey_id, version_id, answers, background, \
                     self_selected, answered_on) ",
                );
                insert.push_values(&open, |mut row, r| {
                    row.push_bind(r.survey)
                        .push_bind(r.version_id)
                        .push_bind(r.answers.as_str())
                        .push_bind("{}")
                        .push_bind(true)
                        .push_bind(r.at.date_text());
                });
                insert
                    .build()
                    .execute(&mut **t)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err(crate::db)
            })?;
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn responses(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
    ) -> Result<Vec<StoredResponse>, StoreError> {
        let rows = fetch_all!(pool self, (i64, i64, String, String, Option<f64>, bool, String),
            "SELECT r.id, v.version, r.answers, r.background, r.weight, r.self_selected,
                 r.answered_on
             FROM survey_response r JOIN survey s ON s.id = r.survey_id
                 JOIN survey_version v ON v.id = r.version_id
             WHERE r.survey_id = $1 AND s.municipality_id = $2 ORDER BY r.id",
            survey, municipality.as_str())?;
        Ok(rows
            .into_iter()
            .map(
                |(id, version, answers, background, weight, self_selected, answered_on)| {
                    StoredResponse {
                        id,
                        version,
                        answers,
                        background,
                        weight,
                        self_selected,
                        answered_on,
                    }
                },
            )
            .collect())
    }

    async fn delete_invitation(
        &self,
        municipality: &MunicipalityId,
        survey: i64,
        invitation: i64,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        Self::survey_status_in(t, municipality, survey).await?;
        let found = fetch_all!(tx t, (Option<i64>,),
            "SELECT response_id FROM survey_invitation WHERE id = $1 AND survey_id = $2",
            invitation, survey)?;
        let (response,) = found
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound(Message::new("survey_invitation_not_found")))?;
        exec!(t, "DELETE FROM survey_invitation WHERE id = $1", invitation)?;
        if let Some(response) = response {
            exec!(t, "DELETE FROM survey_response WHERE id = $1", response)?;
        }
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::SurveyInvitationDelete,
            &format!("survey:{survey}"),
            None,
            Some(serde_json::json!({"answer_deleted": response.is_some()})),
        )
        .await?;
        tx.commit().await?;
        Ok(response.is_some())
    }

    async fn purge_survey_personal_data(&self, now: Timestamp) -> Result<u64, StoreError> {
        let closed = fetch_all!(pool self, (i64, String, i64),
            "SELECT id, closed_at, retention_days FROM survey
             WHERE status = 'closed' AND closed_at IS NOT NULL
               AND EXISTS (SELECT 1 FROM survey_invitation WHERE survey_id = survey.id)")?;
        let mut purged = 0;
        for (survey, closed_at, days) in closed {
            let until = moment(&closed_at)?.datetime() + time::Duration::days(days);
            if now.datetime() < until {
                continue;
            }
            let mut tx = self.begin().await?;
            purged += exec!(
                &mut tx,
                "DELETE FROM survey_invitation WHERE survey_id = $1",
                survey
            )?;
            tx.commit().await?;
        }
        Ok(purged)
    }
}
