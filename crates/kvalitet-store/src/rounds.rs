//! Assessment rounds: the round, its assessors, their own answers, the agreed scores, evidence
//! files and survey distributions. Every change is one transaction with its audit event, and
//! answers change only while the round is in draft.

use std::collections::HashMap;

use kvalitet_app::ports::{
    Actor, AnswerRecord, AssessmentRounds, AssessorRecord, ConsensusRecord, DocumentRecord,
    NewRound, RoundContent, RoundCorrection, RoundFilter, RoundRecord, StoreError, SurveyRecord,
};
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::{
    DocumentId, MunicipalityId, RoundId, UserId, Year,
    round::{AssessorRole, RoundKind, Status},
};

use crate::audit::audit;
use crate::{SqlStore, Tx, exec, fetch_all, invalid, moment};

fn round_object(round: i64) -> String {
    format!("round:{round}")
}

fn round_not_found(round: i64) -> kvalitet_domain::Message {
    kvalitet_domain::Message::new("round_not_found").with("id", round)
}

/// The round's municipality and status, locked for the rest of the transaction on
/// PostgreSQL; `NotFound` for an unknown round.
async fn round_state(tx: &mut Tx, round: i64) -> Result<(MunicipalityId, Status), StoreError> {
    let sql = match tx {
        Tx::Sqlite(_) => "SELECT municipality_id, status FROM assessment_round WHERE id = $1",
        Tx::Postgres(_) => {
            "SELECT municipality_id, status FROM assessment_round WHERE id = $1 FOR UPDATE"
        }
    };
    let row = fetch_all!(tx tx, (String, String), sql, round)?;
    let (m, status) = row
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound(round_not_found(round)))?;
    Ok((
        MunicipalityId::parse(&m).map_err(invalid)?,
        Status::parse(&status).ok_or_else(|| invalid(&status))?,
    ))
}

/// Refuses changes to answers once a round has left draft.
async fn require_draft(tx: &mut Tx, round: i64) -> Result<MunicipalityId, StoreError> {
    let (m, status) = round_state(tx, round).await?;
    if status == Status::Draft {
        Ok(m)
    } else {
        Err(StoreError::Invalid(
            kvalitet_domain::Message::new("answers_only_in_draft")
                .with_code("status", status.code()),
        ))
    }
}

type RoundRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    String,
    Option<String>,
);

/// Moves a round's status inside an open transaction; `NotFound` when it is not in `from`.
pub(crate) async fn move_status(
    tx: &mut Tx,
    round: i64,
    from: Status,
    to: Status,
    submitted_by: Option<i64>,
) -> Result<MunicipalityId, StoreError> {
    let (m, status) = round_state(tx, round).await?;
    if status != from {
        return Err(StoreError::Conflict(
            kvalitet_domain::Message::new("status_changed")
                .with_code("expected", from.code())
                .with_code("status", status.code()),
        ));
    }
    exec!(
        tx,
        "UPDATE assessment_round SET status = $1, submitted_by = COALESCE($2, submitted_by) WHERE id = $3",
        to.code(),
        submitted_by,
        round
    )?;
    Ok(m)
}

impl AssessmentRounds for SqlStore {
    async fn frameworks(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        fetch_all!(pool self, (String, String, String), "SELECT id, version, source FROM framework ORDER BY id, version")
    }

    async fn create_round(&self, new: &NewRound, actor: &Actor) -> Result<RoundId, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let known = fetch_all!(tx t, (String,), "SELECT id FROM framework WHERE id = $1 AND version = $2",
        &new.framework_id, &new.framework_version)?;
        if known.is_empty() {
            return Err(StoreError::Invalid(
                kvalitet_domain::Message::new("framework_not_found").with(
                    "framework",
                    format!("{} {}", new.framework_id, new.framework_version),
                ),
            ));
        }
        let id = fetch_all!(tx t, (i64,),
        "INSERT INTO assessment_round (municipality_id, framework_id, framework_version, kind, title, year, status, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8) RETURNING id",
        new.municipality.to_string(), &new.framework_id, &new.framework_version, new.kind.code(),
        &new.title, i64::from(new.year.get()), &actor.who, actor.at.to_string())?
    .first()
    .map(|r| r.0)
    .ok_or_else(|| invalid("no id returned"))?;
        audit(
            t,
            actor,
            Some(&new.municipality),
            AuditAction::RoundCreate,
            &round_object(id),
            None,
            Some(serde_json::json!({
                "framework": new.framework_id, "version": new.framework_version,
                "kind": new.kind.code(), "title": new.title, "year": new.year.get(),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(RoundId(id))
    }

    async fn rename_round(
        &self,
        round: RoundId,
        title: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let round = round.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let (m, status) = round_state(t, round).await?;
        if status == Status::Published {
            return Err(StoreError::Invalid(kvalitet_domain::Message::new(
                "published_round_stays",
            )));
        }
        let before =
            fetch_all!(tx t, (String,), "SELECT title FROM assessment_round WHERE id = $1", round)?
                .into_iter()
                .next()
                .map(|r| r.0)
                .unwrap_or_default();
        exec!(
            t,
            "UPDATE assessment_round SET title = $1 WHERE id = $2",
            title,
            round
        )?;
        audit(
            t,
            actor,
            Some(&m),
            AuditAction::RoundRename,
            &round_object(round),
            Some(serde_json::json!({"title": before})),
            Some(serde_json::json!({"title": title})),
        )
        .await?;
        tx.commit().await
    }

    async fn set_round_deadline(
        &self,
        round: RoundId,
        deadline: Option<&str>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let round = round.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let (m, status) = round_state(t, round).await?;
        if status == Status::Published {
            return Err(StoreError::Invalid(kvalitet_domain::Message::new(
                "published_round_stays",
            )));
        }
        let before = fetch_all!(tx t, (Option<String>,),
            "SELECT deadline FROM assessment_round WHERE id = $1", round)?
        .into_iter()
        .next()
        .and_then(|r| r.0);
        exec!(
            t,
            "UPDATE assessment_round SET deadline = $1 WHERE id = $2",
            deadline,
            round
        )?;
        audit(
            t,
            actor,
            Some(&m),
            AuditAction::RoundDeadline,
            &round_object(round),
            Some(serde_json::json!({"deadline": before})),
            Some(serde_json::json!({"deadline": deadline})),
        )
        .await?;
        tx.commit().await
    }

    async fn reopen_round(
        &self,
        round: RoundId,
        reason: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let round = round.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let (m, status) = round_state(t, round).await?;
        if status != Status::Published {
            return Err(StoreError::Invalid(kvalitet_domain::Message::new(
                "only_published_corrected",
            )));
        }
        exec!(
            t,
            "UPDATE assessment_round SET status = 'draft', submitted_by = NULL WHERE id = $1",
            round
        )?;
        exec!(
            t,
            "INSERT INTO assessment_correction (round_id, corrected_at, corrected_by, reason) VALUES ($1, $2, $3, $4)",
            round,
            actor.at.to_string(),
            &actor.who,
            reason
        )?;
        audit(
            t,
            actor,
            Some(&m),
            AuditAction::RoundCorrect,
            &round_object(round),
            Some(serde_json::json!({"status": "published"})),
            Some(serde_json::json!({"status": "draft", "reason": reason})),
        )
        .await?;
        // The public report of the round changes: cached pages must go.
        crate::version::bump_version(t, crate::version::Moved::Values).await?;
        tx.commit().await
    }

    async fn delete_round(&self, round: RoundId, actor: &Actor) -> Result<(), StoreError> {
        let round = round.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let m = require_draft(t, round).await?;
        let (title, framework, version, year) = fetch_all!(tx t, (String, String, String, i64),
            "SELECT title, framework_id, framework_version, year FROM assessment_round WHERE id = $1", round)?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound(round_not_found(round)))?;
        // Children first, so that neither backend depends on cascading deletes being on.
        exec!(
            t,
            "DELETE FROM assessment_assessor WHERE round_id = $1",
            round
        )?;
        exec!(
            t,
            "DELETE FROM assessment_answer WHERE round_id = $1",
            round
        )?;
        exec!(
            t,
            "DELETE FROM assessment_consensus WHERE round_id = $1",
            round
        )?;
        exec!(
            t,
            "DELETE FROM assessment_document WHERE round_id = $1",
            round
        )?;
        exec!(
            t,
            "DELETE FROM assessment_distribution WHERE round_id = $1",
            round
        )?;
        exec!(t, "DELETE FROM assessment_round WHERE id = $1", round)?;
        audit(
            t,
            actor,
            Some(&m),
            AuditAction::RoundDelete,
            &round_object(round),
            Some(serde_json::json!({
                "title": title, "framework": framework, "version": version, "year": year,
            })),
            None,
        )
        .await?;
        tx.commit().await
    }

    async fn set_assessor(
        &self,
        round: RoundId,
        user: UserId,
        role: Option<AssessorRole>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let round = round.0;
        let user = user.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let (m, _) = round_state(t, round).await?;
        let email = fetch_all!(tx t, (String,), "SELECT email FROM app_user WHERE id = $1", user)?
            .into_iter()
            .next()
            .ok_or_else(|| {
                StoreError::NotFound(
                    kvalitet_domain::Message::new("user_not_found").with("id", user),
                )
            })?
            .0;
        let before = fetch_all!(tx t, (String,), "SELECT role FROM assessment_assessor WHERE round_id = $1 AND user_id = $2", round, user)?
        .into_iter()
        .next()
        .map(|r| r.0);
        match role {
            Some(role) => exec!(
                t,
                "INSERT INTO assessment_assessor (round_id, user_id, role) VALUES ($1, $2, $3)
             ON CONFLICT (round_id, user_id) DO UPDATE SET role = excluded.role",
                round,
                user,
                role.code()
            )?,
            None => exec!(
                t,
                "DELETE FROM assessment_assessor WHERE round_id = $1 AND user_id = $2",
                round,
                user
            )?,
        };
        audit(
            t,
            actor,
            Some(&m),
            AuditAction::RoundAssessor,
            &round_object(round),
            Some(serde_json::json!({"email": email, "role": before})),
            Some(serde_json::json!({"email": email, "role": role.map(AssessorRole::code)})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rounds(&self, filter: &RoundFilter) -> Result<Vec<RoundRecord>, StoreError> {
        let (fw, version) = filter.framework.clone().unzip();
        let municipality = filter.municipality.map(|m| m.to_string());
        let status = filter.status.map(Status::code);
        // NULL parameters switch a condition off, so one statement serves every filter; the
        // assessors are read with the same conditions.
        macro_rules! matching {
        () => {
            " WHERE ($1 IS NULL OR r.municipality_id = $1) AND ($2 IS NULL OR r.framework_id = $2)
                AND ($3 IS NULL OR r.framework_version = $3) AND ($4 IS NULL OR r.status = $4)
                AND ($5 IS NULL OR r.id = $5)
                AND ($6 IS NULL OR r.id IN (SELECT round_id FROM assessment_assessor WHERE user_id = $6))"
        };
    }
        let rows = fetch_all!(pool self, RoundRow,
        concat!("SELECT r.id, r.municipality_id, r.framework_id, r.framework_version, r.kind, r.title,
                r.year, r.status, r.submitted_by, r.invited, r.respondents, r.created_by, r.created_at, r.deadline
         FROM assessment_round r", matching!(), " ORDER BY r.year DESC, r.id DESC"),
        &municipality, &fw, &version, status, filter.id.map(|i| i.0), filter.assessor.map(|u| u.0))?;
        let mut assessors: HashMap<i64, Vec<AssessorRecord>> = HashMap::new();
        let mut corrections: HashMap<i64, Vec<RoundCorrection>> = HashMap::new();
        if !rows.is_empty() {
            for (round, at, by, reason) in fetch_all!(pool self, (i64, String, String, String),
            concat!("SELECT c.round_id, c.corrected_at, c.corrected_by, c.reason
             FROM assessment_correction c JOIN assessment_round r ON r.id = c.round_id", matching!(),
             " ORDER BY c.round_id, c.corrected_at"),
            &municipality, &fw, &version, status, filter.id.map(|i| i.0), filter.assessor.map(|u| u.0))?
            {
                corrections.entry(round).or_default().push(RoundCorrection {
                    at: moment(&at)?,
                    by,
                    reason,
                });
            }
            for (round, user, email, name, role) in fetch_all!(pool self, (i64, i64, String, String, String),
            concat!("SELECT a.round_id, a.user_id, u.email, u.name, a.role
             FROM assessment_assessor a JOIN app_user u ON u.id = a.user_id
             JOIN assessment_round r ON r.id = a.round_id", matching!(), " ORDER BY a.round_id, a.role, u.email"),
            &municipality, &fw, &version, status, filter.id.map(|i| i.0), filter.assessor.map(|u| u.0))?
            {
                let role = AssessorRole::parse(&role).ok_or_else(|| invalid(&role))?;
                assessors.entry(round).or_default().push(AssessorRecord {
                    user: UserId(user),
                    email,
                    name,
                    role,
                });
            }
        }
        rows.into_iter()
            .map(|r| {
                let id = r.0;
                Ok(RoundRecord {
                    id: RoundId(id),
                    municipality: MunicipalityId::parse(&r.1).map_err(invalid)?,
                    framework_id: r.2,
                    framework_version: r.3,
                    kind: RoundKind::parse(&r.4).ok_or_else(|| invalid(&r.4))?,
                    title: r.5,
                    year: Year::new(r.6).map_err(invalid)?,
                    status: Status::parse(&r.7).ok_or_else(|| invalid(&r.7))?,
                    submitted_by: r.8.map(UserId),
                    invited: r.9,
                    respondents: r.10,
                    created_by: r.11,
                    created_at: moment(&r.12)?,
                    deadline: r.13,
                    assessors: assessors.remove(&id).unwrap_or_default(),
                    corrections: corrections.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn round_content(&self, round: RoundId) -> Result<RoundContent, StoreError> {
        let round = round.0;
        let answers = fetch_all!(pool self, (i64, String, Option<String>, String, String, String, String),
        "SELECT user_id, question_id, answer, evidence, link, comment, updated_at FROM assessment_answer
         WHERE round_id = $1 ORDER BY question_id, user_id", round)?
    .into_iter()
    .map(|(user, question, answer, evidence, link, comment, updated_at)| Ok(AnswerRecord {
        user: UserId(user), question, answer, evidence, link, comment, updated_at: moment(&updated_at)?,
    }))
    .collect::<Result<_, StoreError>>()?;
        let consensus = fetch_all!(pool self, (String, String, String, String, String),
        "SELECT question_id, answer, reason, decided_by, decided_at FROM assessment_consensus
         WHERE round_id = $1 ORDER BY question_id", round)?
        .into_iter()
        .map(|(question, answer, reason, decided_by, decided_at)| {
            Ok(ConsensusRecord {
                question,
                answer,
                reason,
                decided_by,
                decided_at: moment(&decided_at)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
        let documents = fetch_all!(pool self, (i64, String, i64, String, String, i64, String),
        "SELECT id, question_id, user_id, filename, content_type, CAST(length(body) AS BIGINT), uploaded_at
         FROM assessment_document WHERE round_id = $1 ORDER BY question_id, id", round)?
    .into_iter()
    .map(|(id, question, user, filename, content_type, size, uploaded_at)| Ok(DocumentRecord {
        id: DocumentId(id), round: RoundId(round), question, user: UserId(user), filename, content_type, size,
        uploaded_at: moment(&uploaded_at)?,
    }))
    .collect::<Result<_, StoreError>>()?;
        let distributions = fetch_all!(pool self, (String, String),
        "SELECT question_id, counts FROM assessment_distribution WHERE round_id = $1 ORDER BY question_id", round)?
    .into_iter()
    .map(|(q, counts)| {
        let counts = counts
            .split(',')
            .map(|c| c.parse::<u64>().map_err(|_| invalid(&counts)))
            .collect::<Result<Vec<u64>, StoreError>>()?;
        Ok((q, counts))
    })
    .collect::<Result<_, StoreError>>()?;
        Ok(RoundContent {
            answers,
            consensus,
            documents,
            distributions,
        })
    }

    async fn published_consensus(
        &self,
        framework_id: &str,
        version: &str,
    ) -> Result<Vec<(RoundId, ConsensusRecord)>, StoreError> {
        fetch_all!(pool self, (i64, String, String, String, String, String),
        "SELECT c.round_id, c.question_id, c.answer, c.reason, c.decided_by, c.decided_at
         FROM assessment_consensus c JOIN assessment_round r ON r.id = c.round_id
         WHERE r.framework_id = $1 AND r.framework_version = $2 AND r.status = 'published'
         ORDER BY c.round_id, c.question_id", framework_id, version)?
        .into_iter()
        .map(
            |(round, question, answer, reason, decided_by, decided_at)| {
                Ok((
                    RoundId(round),
                    ConsensusRecord {
                        question,
                        answer,
                        reason,
                        decided_by,
                        decided_at: moment(&decided_at)?,
                    },
                ))
            },
        )
        .collect::<Result<_, StoreError>>()
    }

    async fn save_answers(
        &self,
        round: RoundId,
        user: UserId,
        answers: &[AnswerRecord],
        documents: &[(DocumentRecord, &[u8])],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let round = round.0;
        let user = user.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let m = require_draft(t, round).await?;
        for a in answers {
            exec!(t,
            "INSERT INTO assessment_answer (round_id, user_id, question_id, answer, evidence, link, comment, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (round_id, user_id, question_id) DO UPDATE SET answer = excluded.answer,
                 evidence = excluded.evidence, link = excluded.link, comment = excluded.comment,
                 updated_at = excluded.updated_at",
            round, user, &a.question, a.answer.as_deref(), &a.evidence, &a.link, &a.comment, actor.at.to_string())?;
        }
        if !answers.is_empty() {
            let after: serde_json::Map<String, serde_json::Value> = answers
                .iter()
                .map(|a| (a.question.clone(), serde_json::json!(a.answer)))
                .collect();
            audit(
                t,
                actor,
                Some(&m),
                AuditAction::RoundAnswers,
                &round_object(round),
                None,
                Some(serde_json::Value::Object(after)),
            )
            .await?;
        }
        for (d, body) in documents {
            exec!(t,
            "INSERT INTO assessment_document (round_id, question_id, user_id, filename, content_type, body, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            round, &d.question, user, &d.filename, &d.content_type, *body, actor.at.to_string())?;
            audit(
                t,
                actor,
                Some(&m),
                AuditAction::RoundDocument,
                &round_object(round),
                None,
                Some(serde_json::json!({"question": d.question, "file": d.filename, "bytes": body.len()})),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn save_consensus(
        &self,
        round: RoundId,
        consensus: &[ConsensusRecord],
        survey: Option<&SurveyRecord>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let round = round.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let m = require_draft(t, round).await?;
        if let Some(survey) = survey {
            // A new import replaces the earlier one whole: no statement is left from it.
            exec!(
                t,
                "DELETE FROM assessment_distribution WHERE round_id = $1",
                round
            )?;
            exec!(
                t,
                "DELETE FROM assessment_consensus WHERE round_id = $1",
                round
            )?;
            for (q, counts) in &survey.distributions {
                let text: Vec<String> = counts.iter().map(u64::to_string).collect();
                exec!(
                    t,
                    "INSERT INTO assessment_distribution (round_id, question_id, counts) VALUES ($1, $2, $3)",
                    round,
                    q,
                    text.join(",")
                )?;
            }
            exec!(
                t,
                "UPDATE assessment_round SET invited = $1, respondents = $2 WHERE id = $3",
                survey.invited,
                survey.respondents,
                round
            )?;
        }
        for c in consensus {
            exec!(t,
            "INSERT INTO assessment_consensus (round_id, question_id, answer, reason, decided_by, decided_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (round_id, question_id) DO UPDATE SET answer = excluded.answer,
                 reason = excluded.reason, decided_by = excluded.decided_by, decided_at = excluded.decided_at",
            round, &c.question, &c.answer, &c.reason, &actor.who, actor.at.to_string())?;
        }
        let after: serde_json::Map<String, serde_json::Value> = consensus
            .iter()
            .map(|c| {
                (
                    c.question.clone(),
                    serde_json::json!({"answer": c.answer, "reason": c.reason}),
                )
            })
            .collect();
        let action = if survey.is_some() {
            AuditAction::RoundSurvey
        } else {
            AuditAction::RoundConsensus
        };
        let mut after = serde_json::Value::Object(after);
        if let Some(s) = survey {
            after = serde_json::json!({"agreed": after, "invited": s.invited, "respondents": s.respondents,
            "statements": s.distributions.len()});
        }
        audit(
            t,
            actor,
            Some(&m),
            action,
            &round_object(round),
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_round_status(
        &self,
        round: RoundId,
        from: Status,
        to: Status,
        submitted_by: Option<UserId>,
        action: AuditAction,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let round = round.0;
        let submitted_by = submitted_by.map(|v| v.0);
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let m = move_status(t, round, from, to, submitted_by).await?;
        audit(
            t,
            actor,
            Some(&m),
            action,
            &round_object(round),
            Some(serde_json::json!({"status": from.code()})),
            Some(serde_json::json!({"status": to.code()})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn document(
        &self,
        id: DocumentId,
    ) -> Result<Option<(DocumentRecord, Vec<u8>)>, StoreError> {
        let id = id.0;
        fetch_all!(pool self, (i64, String, i64, String, String, String, Vec<u8>),
        "SELECT round_id, question_id, user_id, filename, content_type, uploaded_at, body
         FROM assessment_document WHERE id = $1", id)?
        .into_iter()
        .next()
        .map(
            |(round, question, user, filename, content_type, uploaded_at, body)| {
                Ok::<_, StoreError>((
                    DocumentRecord {
                        id: DocumentId(id),
                        round: RoundId(round),
                        question,
                        user: UserId(user),
                        filename,
                        content_type,
                        size: body.len() as i64,
                        uploaded_at: moment(&uploaded_at)?,
                    },
                    body,
                ))
            },
        )
        .transpose()
    }
}
