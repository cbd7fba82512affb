//! Service measurement rounds: the round and its members, the question bank, the plan, the
//! registered contacts and the survey answers. Every change is one transaction with its
//! audit event, and only while the round is a draft.

use kvalitet_app::ports::{
    Actor, ContactRecord, NewServiceRound, PlanRow, ServiceContent, ServiceQuestion,
    ServiceRoundRecord, ServiceRounds, StoreError, SurveyCounts,
};
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::{
    MunicipalityId, ServiceRoundId, Year,
    service::{Channel, Contact, Relevance, SurveyQuestion},
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::audit::audit;
use crate::{SqlStore, Tx, exec, fetch_all, invalid, moment};

fn object(round: i64) -> String {
    format!("service_round:{round}")
}

fn round_not_found(round: i64) -> kvalitet_domain::Message {
    kvalitet_domain::Message::new("service_round_not_found").with("id", round)
}

fn utc_text(t: OffsetDateTime) -> Result<String, StoreError> {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(invalid)
}

fn instant(text: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| invalid(text))
}

/// The round's organiser (for the audit trail), refusing a round that is not a draft.
/// A contact that is registered already (same municipality, question and channel).
fn duplicate_contact(c: &Contact) -> StoreError {
    StoreError::Invalid(
        kvalitet_domain::Message::new("duplicate_contact")
            .with("question", format!("{:?}", c.question))
            .with("municipality", c.municipality)
            .with_code("channel", c.channel.code())
            .with_said("first", kvalitet_domain::Message::new("already_registered")),
    )
}

async fn require_draft(tx: &mut Tx, round: i64) -> Result<Option<MunicipalityId>, StoreError> {
    let (organiser, published) = locked_round(tx, round).await?;
    if published {
        return Err(StoreError::Invalid(kvalitet_domain::Message::new(
            "published_contacts_stay",
        )));
    }
    Ok(organiser)
}

/// A round's organiser and whether it is published, its row locked (on PostgreSQL) until the
/// transaction ends, so a change checked against its status cannot race a publish.
async fn locked_round(
    tx: &mut Tx,
    round: i64,
) -> Result<(Option<MunicipalityId>, bool), StoreError> {
    let sql = match tx {
        Tx::Sqlite(_) => "SELECT organiser_id, status FROM service_round WHERE id = $1",
        Tx::Postgres(_) => {
            "SELECT organiser_id, status FROM service_round WHERE id = $1 FOR UPDATE"
        }
    };
    let (organiser, status) = fetch_all!(tx tx, (Option<String>, String), sql, round)?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound(round_not_found(round)))?;
    let organiser = organiser
        .map(|m| MunicipalityId::parse(&m).map_err(invalid))
        .transpose()?;
    Ok((organiser, status == "published"))
}

/// In a national round, also writes the change into the trail of each municipality it
/// concerns, so that a municipality's own trail shows the tests of it.
async fn audit_each_municipality(
    tx: &mut Tx,
    actor: &Actor,
    organiser: Option<MunicipalityId>,
    action: AuditAction,
    round: i64,
    items: impl Iterator<Item = (MunicipalityId, String)>,
) -> Result<(), StoreError> {
    if organiser.is_some() {
        return Ok(());
    }
    let mut by_municipality: std::collections::BTreeMap<MunicipalityId, Vec<String>> =
        std::collections::BTreeMap::new();
    for (m, what) in items {
        by_municipality.entry(m).or_default().push(what);
    }
    for (m, what) in by_municipality {
        audit(
            tx,
            actor,
            Some(&m),
            action,
            &object(round),
            None,
            Some(serde_json::json!({"items": what})),
        )
        .await?;
    }
    Ok(())
}

type RoundRow = (
    i64,
    String,
    i64,
    Option<String>,
    String,
    bool,
    i64,
    String,
    String,
    String,
    Option<String>,
);

fn channel(s: &str) -> Result<Channel, StoreError> {
    Channel::parse(s).ok_or_else(|| invalid(s))
}

type ContactRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<bool>,
    Option<i64>,
    Option<i64>,
    String,
    String,
    String,
);

/// Marks a draft round published inside an open transaction.
pub(crate) async fn mark_published(tx: &mut Tx, round: i64) -> Result<(), StoreError> {
    require_draft(tx, round).await?;
    exec!(
        tx,
        "UPDATE service_round SET status = 'published' WHERE id = $1",
        round
    )?;
    Ok(())
}

impl ServiceRounds for SqlStore {
    async fn create_service_round(
        &self,
        new: &NewServiceRound,
        actor: &Actor,
    ) -> Result<ServiceRoundId, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let closed: Vec<String> = new.closed_days.iter().map(ToString::to_string).collect();
        let id = fetch_all!(tx t, (i64,),
        "INSERT INTO service_round (title, year, organiser_id, status, partly_counts, min_tests, closed_days, created_by, created_at)
         VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8) RETURNING id",
        &new.title, i64::from(new.year.get()), new.organiser.map(|m| m.to_string()), new.partly_counts,
        i64::from(new.min_tests), closed.join(","), &actor.who, actor.at.to_string())?
    .first()
    .map(|r| r.0)
    .ok_or_else(|| invalid("no id returned"))?;
        audit(
            t,
            actor,
            new.organiser.as_ref(),
            AuditAction::ServiceCreate,
            &object(id),
            None,
            Some(serde_json::json!({
                "title": new.title, "year": new.year.get(), "partly_counts": new.partly_counts,
                "min_tests": new.min_tests, "closed_days": closed,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(ServiceRoundId(id))
    }

    async fn service_rounds(
        &self,
        id: Option<ServiceRoundId>,
    ) -> Result<Vec<ServiceRoundRecord>, StoreError> {
        let id = id.map(|v| v.0);
        let rows = fetch_all!(pool self, RoundRow,
        "SELECT id, title, year, organiser_id, status, partly_counts, min_tests, closed_days, created_by, created_at, deadline
         FROM service_round WHERE ($1 IS NULL OR id = $1) ORDER BY year DESC, id DESC", id)?;
        let members = fetch_all!(pool self, (i64, String),
        "SELECT round_id, municipality_id FROM service_member WHERE ($1 IS NULL OR round_id = $1)
         ORDER BY round_id, municipality_id", id)?;
        let mut corrections_of: std::collections::HashMap<
            i64,
            Vec<kvalitet_app::ports::RoundCorrection>,
        > = std::collections::HashMap::new();
        for (round, at, by, reason) in fetch_all!(pool self, (i64, String, String, String),
            "SELECT round_id, corrected_at, corrected_by, reason FROM service_correction
             WHERE ($1 IS NULL OR round_id = $1) ORDER BY round_id, corrected_at", id)?
        {
            corrections_of
                .entry(round)
                .or_default()
                .push(kvalitet_app::ports::RoundCorrection {
                    at: moment(&at)?,
                    by,
                    reason,
                });
        }
        let mut members_of: std::collections::HashMap<i64, Vec<MunicipalityId>> =
            std::collections::HashMap::new();
        for (round, m) in members {
            members_of
                .entry(round)
                .or_default()
                .push(MunicipalityId::parse(&m).map_err(invalid)?);
        }
        rows.into_iter()
            .map(|r| {
                let closed_days =
                    r.7.split(',')
                        .filter(|d| !d.is_empty())
                        .map(|d| {
                            time::Date::parse(
                                d,
                                time::macros::format_description!("[year]-[month]-[day]"),
                            )
                            .map_err(|_| invalid(d))
                        })
                        .collect::<Result<_, _>>()?;
                Ok(ServiceRoundRecord {
                    id: ServiceRoundId(r.0),
                    title: r.1,
                    year: Year::new(r.2).map_err(invalid)?,
                    organiser: r
                        .3
                        .map(|m| MunicipalityId::parse(&m).map_err(invalid))
                        .transpose()?,
                    published: r.4 == "published",
                    partly_counts: r.5,
                    min_tests: u32::try_from(r.6).map_err(invalid)?,
                    closed_days,
                    members: members_of.remove(&r.0).unwrap_or_default(),
                    created_by: r.8,
                    created_at: moment(&r.9)?,
                    deadline: r.10,
                    corrections: corrections_of.remove(&r.0).unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn service_content(&self, round: ServiceRoundId) -> Result<ServiceContent, StoreError> {
        let round = round.0;
        let questions = fetch_all!(pool self, (String, String, String),
        "SELECT id, area, text FROM service_question WHERE round_id = $1 ORDER BY area, id", round)?
        .into_iter()
        .map(|(id, area, text)| ServiceQuestion { id, area, text })
        .collect();
        let plan = fetch_all!(pool self, (String, String, String, String, String),
        "SELECT municipality_id, question_id, channel, planned_on, tester FROM service_plan
         WHERE round_id = $1 ORDER BY planned_on, municipality_id, question_id, channel", round)?
        .into_iter()
        .map(|(m, question, ch, planned_on, tester)| {
            Ok(PlanRow {
                municipality: MunicipalityId::parse(&m).map_err(invalid)?,
                question,
                channel: channel(&ch)?,
                planned_on,
                tester,
            })
        })
        .collect::<Result<_, StoreError>>()?;
        let contacts = fetch_all!(pool self, ContactRow,
        "SELECT id, municipality_id, question_id, channel, tester, sent_at, answered_at, relevance,
                direct_answer, wait_seconds, reception, note, registered_by, registered_at
         FROM service_contact WHERE round_id = $1 ORDER BY municipality_id, sent_at, id", round)?
        .into_iter()
        .map(|r| {
            Ok(ContactRecord {
                id: r.0,
                contact: Contact {
                    municipality: MunicipalityId::parse(&r.1).map_err(invalid)?,
                    question: r.2,
                    channel: channel(&r.3)?,
                    tester: r.4,
                    sent_at: instant(&r.5)?,
                    answered_at: r.6.as_deref().map(instant).transpose()?,
                    relevance: r
                        .7
                        .as_deref()
                        .map(|v| Relevance::parse(v).ok_or_else(|| invalid(v)))
                        .transpose()?,
                    direct_answer: r.8,
                    wait_seconds: r.9.map(|w| u32::try_from(w).map_err(invalid)).transpose()?,
                    reception: r.10.map(|v| u8::try_from(v).map_err(invalid)).transpose()?,
                    note: r.11,
                },
                registered_by: r.12,
                registered_at: moment(&r.13)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
        let survey = fetch_all!(pool self, (String, String, String, bool, String),
        "SELECT municipality_id, channel, question, got_answer, counts FROM service_survey
         WHERE round_id = $1 ORDER BY municipality_id, channel, question, got_answer DESC", round)?
        .into_iter()
        .map(|(m, ch, q, got_answer, counts)| {
            let parsed: Vec<u64> = counts
                .split(',')
                .map(|c| c.parse().map_err(|_| invalid(&counts)))
                .collect::<Result<_, _>>()?;
            Ok(SurveyCounts {
                municipality: MunicipalityId::parse(&m).map_err(invalid)?,
                channel: channel(&ch)?,
                question: SurveyQuestion::parse(&q).ok_or_else(|| invalid(&q))?,
                got_answer,
                counts: parsed.try_into().map_err(|_| invalid(&counts))?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
        Ok(ServiceContent {
            questions,
            plan,
            contacts,
            survey,
        })
    }

    async fn save_service_setup(
        &self,
        round: ServiceRoundId,
        members: Option<&[MunicipalityId]>,
        questions: Option<&[ServiceQuestion]>,
        plan: Option<&[PlanRow]>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let round = round.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let organiser = require_draft(t, round).await?;
        let mut after = serde_json::Map::new();
        if let Some(members) = members {
            exec!(t, "DELETE FROM service_member WHERE round_id = $1", round)?;
            for m in members {
                exec!(
                    t,
                    "INSERT INTO service_member (round_id, municipality_id) VALUES ($1, $2)",
                    round,
                    m.to_string()
                )?;
            }
            after.insert(
                "members".into(),
                serde_json::json!(members.iter().map(ToString::to_string).collect::<Vec<_>>()),
            );
        }
        if let Some(questions) = questions {
            exec!(t, "DELETE FROM service_question WHERE round_id = $1", round)?;
            for q in questions {
                exec!(
                    t,
                    "INSERT INTO service_question (round_id, id, area, text) VALUES ($1, $2, $3, $4)",
                    round,
                    &q.id,
                    &q.area,
                    &q.text
                )?;
            }
            after.insert("questions".into(), serde_json::json!(questions.len()));
        }
        if let Some(plan) = plan {
            exec!(t, "DELETE FROM service_plan WHERE round_id = $1", round)?;
            for p in plan {
                exec!(t, "INSERT INTO service_plan (round_id, municipality_id, question_id, channel, planned_on, tester)
                      VALUES ($1, $2, $3, $4, $5, $6)",
                round, p.municipality.to_string(), &p.question, p.channel.code(), &p.planned_on, &p.tester)?;
            }
            after.insert("plan".into(), serde_json::json!(plan.len()));
        }
        audit(
            t,
            actor,
            organiser.as_ref(),
            AuditAction::ServiceSetup,
            &object(round),
            None,
            Some(serde_json::Value::Object(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_service_deadline(
        &self,
        round: ServiceRoundId,
        deadline: Option<&str>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let round = round.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let organiser = require_draft(t, round).await?;
        let before = fetch_all!(tx t, (Option<String>,),
            "SELECT deadline FROM service_round WHERE id = $1", round)?
        .into_iter()
        .next()
        .and_then(|r| r.0);
        exec!(
            t,
            "UPDATE service_round SET deadline = $1 WHERE id = $2",
            deadline,
            round
        )?;
        audit(
            t,
            actor,
            organiser.as_ref(),
            AuditAction::ServiceDeadline,
            &format!("service_round:{round}"),
            Some(serde_json::json!({"deadline": before})),
            Some(serde_json::json!({"deadline": deadline})),
        )
        .await?;
        tx.commit().await
    }

    async fn reopen_service_round(
        &self,
        round: ServiceRoundId,
        reason: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let round = round.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let (organiser, published) = locked_round(t, round).await?;
        if !published {
            return Err(StoreError::Invalid(kvalitet_domain::Message::new(
                "only_published_corrected",
            )));
        }
        exec!(
            t,
            "UPDATE service_round SET status = 'draft' WHERE id = $1",
            round
        )?;
        exec!(
            t,
            "INSERT INTO service_correction (round_id, corrected_at, corrected_by, reason) VALUES ($1, $2, $3, $4)",
            round,
            actor.at.to_string(),
            &actor.who,
            reason
        )?;
        audit(
            t,
            actor,
            organiser.as_ref(),
            AuditAction::ServiceCorrect,
            &format!("service_round:{round}"),
            Some(serde_json::json!({"status": "published"})),
            Some(serde_json::json!({"status": "draft", "reason": reason})),
        )
        .await?;
        // The public results page changes: cached pages must go.
        crate::version::bump_version(t, crate::version::Moved::Values).await?;
        tx.commit().await
    }

    async fn change_service_contact(
        &self,
        round: ServiceRoundId,
        id: i64,
        contact: Option<&Contact>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let round = round.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let organiser = require_draft(t, round).await?;
        let before = fetch_all!(tx t, (String, String, String, String),
        "SELECT municipality_id, question_id, channel, sent_at FROM service_contact WHERE round_id = $1 AND id = $2",
        round, id)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            StoreError::NotFound(kvalitet_domain::Message::new("no_such_contact").with("id", id))
        })?;
        let before = serde_json::json!({
            "municipality": before.0, "question": before.1, "channel": before.2, "sent_at": before.3,
        });
        let (action, after) = match contact {
            None => {
                exec!(
                    t,
                    "DELETE FROM service_contact WHERE round_id = $1 AND id = $2",
                    round,
                    id
                )?;
                (AuditAction::ServiceContactRemove, None)
            }
            Some(c) => {
                let taken = fetch_all!(tx t, (i64,),
                "SELECT id FROM service_contact WHERE round_id = $1 AND municipality_id = $2 AND question_id = $3
                     AND channel = $4 AND id <> $5",
                round, c.municipality.to_string(), &c.question, c.channel.code(), id)?;
                if !taken.is_empty() {
                    return Err(duplicate_contact(c));
                }
                exec!(t,
                "UPDATE service_contact SET municipality_id = $1, question_id = $2, channel = $3, tester = $4,
                     sent_at = $5, answered_at = $6, relevance = $7, direct_answer = $8, wait_seconds = $9,
                     reception = $10, note = $11, registered_by = $12, registered_at = $13
                 WHERE round_id = $14 AND id = $15",
                c.municipality.to_string(), &c.question, c.channel.code(), &c.tester, utc_text(c.sent_at)?,
                c.answered_at.map(utc_text).transpose()?, c.relevance.map(Relevance::code), c.direct_answer,
                c.wait_seconds.map(i64::from), c.reception.map(i64::from), &c.note, &actor.who,
                actor.at.to_string(), round, id)?;
                (
                    AuditAction::ServiceContactEdit,
                    Some(serde_json::json!({
                        "municipality": c.municipality.to_string(), "question": c.question,
                        "channel": c.channel.code(), "sent_at": utc_text(c.sent_at)?,
                    })),
                )
            }
        };
        audit(
            t,
            actor,
            organiser.as_ref(),
            action,
            &object(round),
            Some(before),
            after,
        )
        .await?;
        tx.commit().await
    }

    async fn add_service_contacts(
        &self,
        round: ServiceRoundId,
        contacts: &[Contact],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let round = round.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let organiser = require_draft(t, round).await?;
        for c in contacts {
            let taken = fetch_all!(tx t, (i64,),
            "SELECT id FROM service_contact WHERE round_id = $1 AND municipality_id = $2 AND question_id = $3 AND channel = $4",
            round, c.municipality.to_string(), &c.question, c.channel.code())?;
            if !taken.is_empty() {
                return Err(duplicate_contact(c));
            }
            exec!(t,
            "INSERT INTO service_contact (round_id, municipality_id, question_id, channel, tester, sent_at, answered_at,
                 relevance, direct_answer, wait_seconds, reception, note, registered_by, registered_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            round, c.municipality.to_string(), &c.question, c.channel.code(), &c.tester, utc_text(c.sent_at)?,
            c.answered_at.map(utc_text).transpose()?, c.relevance.map(Relevance::code), c.direct_answer,
            c.wait_seconds.map(i64::from), c.reception.map(i64::from), &c.note, &actor.who, actor.at.to_string())?;
        }
        audit(
            t,
            actor,
            organiser.as_ref(),
            AuditAction::ServiceContacts,
            &object(round),
            None,
            Some(serde_json::json!({"added": contacts.len()})),
        )
        .await?;
        audit_each_municipality(
            t,
            actor,
            organiser,
            AuditAction::ServiceContacts,
            round,
            contacts.iter().map(|c| {
                (
                    c.municipality,
                    format!("{} {}", c.question, c.channel.code()),
                )
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn save_service_survey(
        &self,
        round: ServiceRoundId,
        rows: &[SurveyCounts],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let round = round.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let organiser = require_draft(t, round).await?;
        exec!(t, "DELETE FROM service_survey WHERE round_id = $1", round)?;
        for r in rows {
            let counts: Vec<String> = r.counts.iter().map(u64::to_string).collect();
            exec!(t,
            "INSERT INTO service_survey (round_id, municipality_id, channel, question, got_answer, counts)
             VALUES ($1, $2, $3, $4, $5, $6)",
            round, r.municipality.to_string(), r.channel.code(), r.question.code(), r.got_answer, counts.join(","))?;
        }
        audit(
            t,
            actor,
            organiser.as_ref(),
            AuditAction::ServiceSurvey,
            &object(round),
            None,
            Some(serde_json::json!({"rows": rows.len()})),
        )
        .await?;
        audit_each_municipality(
            t,
            actor,
            organiser,
            AuditAction::ServiceSurvey,
            round,
            rows.iter().map(|r| {
                (
                    r.municipality,
                    format!("{} {}", r.channel.code(), r.question.code()),
                )
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
