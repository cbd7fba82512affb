//! The e-förslag port: a municipality's rules, proposals through moderation, signing and the
//! nämnd's decision, signatures kept as address hashes, and the confirmations an e-mail link
//! completes (each used once, counted per address in a window).

use time::Date;

use kvalitet_app::ports::{
    Actor, AttachmentInfo, CONFIRMATIONS_PER_ADDRESS, Confirmable, Confirmed, Mail, Moderated,
    NewConfirmation, NewDecision, NewProposal, PendingConfirmation, ProposalSettings, Proposals,
    StoreError, StoredProposal, StoredSignature,
};
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::calendar::parse_date;
use kvalitet_domain::geo::GeoPoint;
use kvalitet_domain::proposal::{Decision, Milestones, Moderation, Threshold};
use kvalitet_domain::{Message, MunicipalityId, Timestamp};

use crate::audit::audit;
use crate::version::{Moved, bump_version};
use crate::{SqlStore, Tx, exec, fetch_all, invalid, moment};

/// A day as stored: ISO 8601.
pub(crate) fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn day(text: Option<&str>) -> Result<Option<Date>, StoreError> {
    text.map(|s| parse_date(s).map_err(|_| invalid(s)))
        .transpose()
}

fn small(n: i64) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| invalid("proposal number"))
}

pub(crate) fn conflict(code: &'static str) -> StoreError {
    StoreError::Conflict(Message::new(code))
}

fn not_found() -> StoreError {
    StoreError::NotFound(Message::new("proposal_not_found"))
}

/// A proposal's columns for the municipality `$1`, followed by `$tail`.
macro_rules! proposal_select {
    ($tail:literal) => {
        concat!(
            "SELECT id, number, title, body, area, author_name, moderation, reason, committee,
                 published_on, signing_ends_on, threshold, threshold_note, threshold_reached_on,
                 answer, decision, decided_on, signatures, created_at, place_lat_e6, place_lon_e6,
                 residence_area
             FROM proposal WHERE municipality_id = $1 ",
            $tail
        )
    };
}

#[derive(sqlx::FromRow)]
struct ProposalRow {
    id: i64,
    number: i64,
    title: String,
    body: String,
    area: String,
    author_name: Option<String>,
    moderation: String,
    reason: String,
    committee: String,
    published_on: Option<String>,
    signing_ends_on: Option<String>,
    threshold: Option<i64>,
    threshold_note: String,
    threshold_reached_on: Option<String>,
    answer: String,
    decision: Option<String>,
    decided_on: Option<String>,
    signatures: i64,
    created_at: String,
    place_lat_e6: Option<i64>,
    place_lon_e6: Option<i64>,
    residence_area: Option<String>,
}

fn proposal_record(m: &MunicipalityId, r: ProposalRow) -> Result<StoredProposal, StoreError> {
    Ok(StoredProposal {
        id: r.id,
        municipality: *m,
        number: r.number,
        proposal: NewProposal {
            title: r.title,
            body: r.body,
            area: r.area,
            author_name: r.author_name,
            place: match (r.place_lat_e6, r.place_lon_e6) {
                (Some(lat), Some(lon)) => Some(GeoPoint {
                    lat_e6: i32::try_from(lat).map_err(|_| invalid("place"))?,
                    lon_e6: i32::try_from(lon).map_err(|_| invalid("place"))?,
                }),
                _ => None,
            },
            residence_area: r.residence_area,
        },
        milestones: Milestones {
            moderation: Moderation::parse(&r.moderation).ok_or_else(|| invalid(&r.moderation))?,
            signing_ends_on: day(r.signing_ends_on.as_deref())?,
            threshold_reached_on: day(r.threshold_reached_on.as_deref())?,
            decided_on: day(r.decided_on.as_deref())?,
        },
        reason: r.reason,
        committee: r.committee,
        published_on: day(r.published_on.as_deref())?,
        threshold: r.threshold.map(small).transpose()?,
        threshold_note: r.threshold_note,
        answer: r.answer,
        decision: r
            .decision
            .map(|d| Decision::parse(&d).ok_or_else(|| invalid(&d)))
            .transpose()?,
        created_at: moment(&r.created_at)?,
        signatures: u64::try_from(r.signatures).map_err(|_| invalid("signatures"))?,
    })
}

fn attachment_info(
    (position, file_name, media_type, size): (i64, String, String, i64),
) -> Result<AttachmentInfo, StoreError> {
    Ok(AttachmentInfo {
        position: small(position)?,
        file_name,
        media_type,
        size_bytes: u64::try_from(size).map_err(|_| invalid("file size"))?,
    })
}

/// Queues `mail` to the proposal's proposer, in the caller's transaction.
async fn queue_notice(t: &mut Tx, proposal: i64, mail: &Mail, at: &str) -> Result<(), StoreError> {
    exec!(
        t,
        "INSERT INTO outbox (dedupe_key, recipient, subject, body, created_at, next_attempt_at)
         SELECT NULL, author_email, $2, $3, $4, $4 FROM proposal WHERE id = $1",
        proposal,
        &mail.subject,
        &mail.body,
        at
    )?;
    Ok(())
}

impl SqlStore {
    /// Locks a proposal's row for a change; its id and moderation, `NotFound` unless it is
    /// the municipality's.
    async fn lock_proposal(
        t: &mut Tx,
        m: &MunicipalityId,
        number: i64,
    ) -> Result<(i64, String, Option<String>, Option<String>), StoreError> {
        let rows = fetch_all!(tx t, (i64, String, Option<String>, Option<String>),
            "UPDATE proposal SET number = number WHERE municipality_id = $1 AND number = $2
             RETURNING id, moderation, threshold_reached_on, decided_on",
            m.as_str(), number)?;
        rows.into_iter().next().ok_or_else(not_found)
    }

    async fn insert_proposal(
        t: &mut Tx,
        m: &str,
        p: &NewProposal,
        email: &str,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        // The rules' row is the municipality's lock: two proposals confirmed at once get
        // the next numbers one after the other.
        let locked = exec!(
            t,
            "UPDATE proposal_settings SET municipality_id = municipality_id
             WHERE municipality_id = $1",
            m
        )?;
        if locked == 0 {
            return Err(conflict("proposals_not_offered"));
        }
        let next = fetch_all!(tx t, (i64,),
            "SELECT COALESCE(MAX(number), 0) + 1 FROM proposal WHERE municipality_id = $1", m)?;
        let number = next.first().map_or(1, |r| r.0);
        exec!(
            t,
            "INSERT INTO proposal (municipality_id, number, title, body, area, author_name,
                 author_email, moderation, created_at, place_lat_e6, place_lon_e6,
                 residence_area)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $11)",
            m,
            number,
            &p.title,
            &p.body,
            &p.area,
            p.author_name.as_deref(),
            email,
            actor.at.to_string(),
            p.place.map(|g| i64::from(g.lat_e6)),
            p.place.map(|g| i64::from(g.lon_e6)),
            p.residence_area.as_deref()
        )?;
        Ok(number)
    }

    /// Counts a signature on a published proposal open for signing on `today`; the day the
    /// threshold is reached is recorded with the signature that reaches it.
    async fn insert_signature(
        t: &mut Tx,
        m: &str,
        number: i64,
        email_hash: &str,
        public_name: Option<&str>,
        residence_area: Option<&str>,
        today: &str,
    ) -> Result<bool, StoreError> {
        let open = fetch_all!(tx t, (i64, Option<String>),
            "UPDATE proposal SET number = number
             WHERE municipality_id = $1 AND number = $2 AND moderation = 'published'
               AND decided_on IS NULL AND (signing_ends_on IS NULL OR signing_ends_on >= $3)
             RETURNING id, threshold_reached_on",
            m, number, today)?;
        let Some((id, reached_before)) = open.into_iter().next() else {
            return Err(conflict("proposal_not_signable"));
        };
        let added = exec!(
            t,
            "INSERT INTO proposal_signature (proposal_id, email_hash, public_name, signed_on,
                 residence_area)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (proposal_id, email_hash) DO NOTHING",
            id,
            email_hash,
            public_name,
            today,
            residence_area
        )?;
        if added == 0 {
            return Err(conflict("proposal_already_signed"));
        }
        let after = fetch_all!(tx t, (Option<String>,),
            "UPDATE proposal SET signatures = signatures + 1,
                 threshold_reached_on = CASE
                     WHEN threshold_reached_on IS NULL AND signatures + 1 >= threshold THEN $2
                     ELSE threshold_reached_on END
             WHERE id = $1 RETURNING threshold_reached_on",
            id, today)?;
        let reached_now = reached_before.is_none() && after.first().is_some_and(|(r,)| r.is_some());
        Ok(reached_now)
    }
}

impl Proposals for SqlStore {
    async fn proposal_settings(
        &self,
        municipality: &MunicipalityId,
    ) -> Result<Option<ProposalSettings>, StoreError> {
        let rows = fetch_all!(pool self, (String, i64, i64, i64, String, String, String),
            "SELECT threshold_kind, threshold_value, signing_days, answer_working_days, areas,
                 rules, residence_areas
             FROM proposal_settings WHERE municipality_id = $1",
            municipality.as_str())?;
        let lines = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
        rows.into_iter()
            .next()
            .map(|(kind, value, signing, answer, areas, rules, residence)| {
                Ok(ProposalSettings {
                    threshold: Threshold::from_stored(&kind, small(value)?)
                        .ok_or_else(|| invalid(&kind))?,
                    signing_days: small(signing)?,
                    answer_working_days: small(answer)?,
                    areas: lines(&areas),
                    residence_areas: lines(&residence),
                    rules,
                })
            })
            .transpose()
    }

    async fn save_proposal_settings(
        &self,
        municipality: &MunicipalityId,
        s: &ProposalSettings,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        exec!(
            t,
            "INSERT INTO proposal_settings (municipality_id, threshold_kind, threshold_value,
                 signing_days, answer_working_days, areas, rules, updated_by, updated_at,
                 residence_areas)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (municipality_id) DO UPDATE SET
                 threshold_kind = excluded.threshold_kind,
                 threshold_value = excluded.threshold_value,
                 signing_days = excluded.signing_days,
                 answer_working_days = excluded.answer_working_days,
                 areas = excluded.areas, rules = excluded.rules,
                 residence_areas = excluded.residence_areas,
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            municipality.as_str(),
            s.threshold.kind_code(),
            i64::from(s.threshold.stored_value()),
            i64::from(s.signing_days),
            i64::from(s.answer_working_days),
            s.areas.join("\n"),
            &s.rules,
            &actor.who,
            actor.at.to_string(),
            s.residence_areas.join("\n")
        )?;
        // The municipality's page links to its e-förslag: cached pages are made again.
        bump_version(t, Moved::Pages).await?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::ProposalSettings,
            &format!("proposals:{municipality}"),
            None,
            Some(serde_json::json!({
                "threshold": s.threshold.kind_code(), "value": s.threshold.stored_value(),
                "signing_days": s.signing_days, "answer_working_days": s.answer_working_days,
                "residence_asked": !s.residence_areas.is_empty(),
            })),
        )
        .await?;
        tx.commit().await
    }

    async fn request_confirmation(
        &self,
        c: &NewConfirmation,
        now: Timestamp,
        window_start: Timestamp,
    ) -> Result<(), StoreError> {
        let (now, start) = (now.to_string(), window_start.to_string());
        let mut tx = self.begin().await?;
        let t = &mut tx;
        exec!(
            t,
            "DELETE FROM dialogue_throttle WHERE window_start <= $1",
            &start
        )?;
        // A proposal's files wait with its link and go with it when it expires unused.
        exec!(
            t,
            "DELETE FROM proposal_attachment WHERE token_hash IN (SELECT token_hash
                 FROM dialogue_confirmation WHERE expires_at <= $1 OR used_at <= $2)",
            &now,
            &start
        )?;
        exec!(
            t,
            "DELETE FROM dialogue_confirmation WHERE expires_at <= $1 OR used_at <= $2",
            &now,
            &start
        )?;
        // Checked and counted in one statement, so requests racing in cannot both pass.
        let counted = fetch_all!(tx t, (i64,),
            "INSERT INTO dialogue_throttle (key, window_start, requests) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET requests = dialogue_throttle.requests + 1
             RETURNING requests",
            &c.email_hash, &now)?;
        if counted
            .first()
            .is_some_and(|(n,)| *n > i64::from(CONFIRMATIONS_PER_ADDRESS))
        {
            return Err(conflict("dialogue_too_many_requests"));
        }
        let what = serde_json::to_string(&c.what).map_err(invalid)?;
        // The address is kept only where it is needed afterwards: a proposer hears of the
        // moderation and decision; a signer hears nothing more.
        let email = matches!(c.what, Confirmable::Proposal(_)).then_some(c.mail.to.as_str());
        exec!(
            t,
            "INSERT INTO dialogue_confirmation (token_hash, municipality_id, email_hash, email,
                 what, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &c.token_hash,
            c.municipality.as_str(),
            &c.email_hash,
            email,
            &what,
            &now,
            c.expires_at.to_string()
        )?;
        for (position, a) in (1_i64..).zip(&c.attachments) {
            exec!(
                t,
                "INSERT INTO proposal_attachment (municipality_id, token_hash, position,
                     file_name, media_type, size_bytes, content, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                c.municipality.as_str(),
                &c.token_hash,
                position,
                &a.file_name,
                &a.media_type,
                i64::try_from(a.content.len()).map_err(|_| invalid("file size"))?,
                &a.content,
                &now
            )?;
        }
        exec!(
            t,
            "INSERT INTO outbox (dedupe_key, recipient, subject, body, created_at, next_attempt_at)
             VALUES (NULL, $1, $2, $3, $4, $4)",
            &c.mail.to,
            &c.mail.subject,
            &c.mail.body,
            &now
        )?;
        tx.commit().await
    }

    async fn confirmation(
        &self,
        token_hash: &str,
    ) -> Result<Option<PendingConfirmation>, StoreError> {
        let rows = fetch_all!(pool self, (String, String, String, Option<String>),
            "SELECT municipality_id, what, expires_at, used_at FROM dialogue_confirmation
             WHERE token_hash = $1",
            token_hash)?;
        rows.into_iter()
            .next()
            .map(|(m, what, expires, used)| {
                Ok(PendingConfirmation {
                    municipality: MunicipalityId::parse(&m).map_err(|_| invalid(&m))?,
                    what: serde_json::from_str(&what).map_err(invalid)?,
                    expires_at: moment(&expires)?,
                    used: used.is_some(),
                })
            })
            .transpose()
    }

    async fn confirm(
        &self,
        token_hash: &str,
        today: Date,
        actor: &Actor,
    ) -> Result<Confirmed, StoreError> {
        let now = actor.at.to_string();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let used = fetch_all!(tx t, (String, String, Option<String>, String),
            "UPDATE dialogue_confirmation SET used_at = $2
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
             RETURNING municipality_id, email_hash, email, what",
            token_hash, &now)?;
        let Some((m, email_hash, email, what)) = used.into_iter().next() else {
            return Err(StoreError::NotFound(Message::new("dialogue_link_unknown")));
        };
        let municipality = MunicipalityId::parse(&m).map_err(|_| invalid(&m))?;
        let what: Confirmable = serde_json::from_str(&what).map_err(invalid)?;
        let confirmed = match what {
            Confirmable::Proposal(p) => {
                let email = email.ok_or_else(|| invalid("a proposal without its address"))?;
                let number = Self::insert_proposal(t, &m, &p, &email, actor).await?;
                exec!(
                    t,
                    "UPDATE proposal_attachment SET token_hash = NULL, proposal_id = (
                         SELECT id FROM proposal WHERE municipality_id = $1 AND number = $2)
                     WHERE token_hash = $3",
                    &m,
                    number,
                    token_hash
                )?;
                audit(
                    t,
                    actor,
                    Some(&municipality),
                    AuditAction::ProposalSubmit,
                    &format!("proposal:{m}:{number}"),
                    None,
                    Some(serde_json::json!({ "title": p.title, "area": p.area })),
                )
                .await?;
                Confirmed::Proposal { number }
            }
            Confirmable::Signature {
                number,
                public_name,
                residence_area,
            } => {
                let reached = Self::insert_signature(
                    t,
                    &m,
                    number,
                    &email_hash,
                    public_name.as_deref(),
                    residence_area.as_deref(),
                    &iso(today),
                )
                .await?;
                if reached {
                    audit(
                        t,
                        actor,
                        Some(&municipality),
                        AuditAction::ProposalThreshold,
                        &format!("proposal:{m}:{number}"),
                        None,
                        None,
                    )
                    .await?;
                }
                Confirmed::Signature { number, reached }
            }
            Confirmable::JoinDialogue {
                number,
                area,
                age_band,
            } => {
                Self::join_dialogue(
                    t,
                    &m,
                    number,
                    &email_hash,
                    token_hash,
                    area.as_deref(),
                    age_band.as_deref(),
                    today,
                )
                .await?;
                Confirmed::Participant { number }
            }
            Confirmable::Ballot {
                round,
                choices,
                area,
            } => {
                Self::cast_confirmed_ballot(
                    t,
                    &m,
                    round,
                    &email_hash,
                    &choices,
                    &area,
                    today,
                    actor.at,
                )
                .await?;
                Confirmed::Ballot { round }
            }
        };
        tx.commit().await?;
        Ok(confirmed)
    }

    async fn proposals(
        &self,
        municipality: &MunicipalityId,
        published_only: bool,
    ) -> Result<Vec<StoredProposal>, StoreError> {
        let m = municipality.as_str();
        let rows = if published_only {
            fetch_all!(pool self, ProposalRow,
                proposal_select!("AND moderation = 'published' ORDER BY number DESC"), m)?
        } else {
            fetch_all!(pool self, ProposalRow, proposal_select!("ORDER BY number DESC"), m)?
        };
        rows.into_iter()
            .map(|r| proposal_record(municipality, r))
            .collect()
    }

    async fn proposal(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> Result<Option<StoredProposal>, StoreError> {
        let rows = fetch_all!(pool self, ProposalRow, proposal_select!("AND number = $2"),
            municipality.as_str(), number)?;
        rows.into_iter()
            .next()
            .map(|r| proposal_record(municipality, r))
            .transpose()
    }

    async fn proposal_attachments(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> Result<Vec<AttachmentInfo>, StoreError> {
        let rows = fetch_all!(pool self, (i64, String, String, i64),
            "SELECT a.position, a.file_name, a.media_type, a.size_bytes
             FROM proposal_attachment a JOIN proposal p ON p.id = a.proposal_id
             WHERE p.municipality_id = $1 AND p.number = $2 ORDER BY a.position",
            municipality.as_str(), number)?;
        rows.into_iter().map(attachment_info).collect()
    }

    async fn proposal_attachment(
        &self,
        municipality: &MunicipalityId,
        number: i64,
        position: u32,
    ) -> Result<Option<(AttachmentInfo, Vec<u8>)>, StoreError> {
        let rows = fetch_all!(pool self, (i64, String, String, i64, Vec<u8>),
            "SELECT a.position, a.file_name, a.media_type, a.size_bytes, a.content
             FROM proposal_attachment a JOIN proposal p ON p.id = a.proposal_id
             WHERE p.municipality_id = $1 AND p.number = $2 AND a.position = $3",
            municipality.as_str(), number, i64::from(position))?;
        rows.into_iter()
            .next()
            .map(|(p, name, kind, size, content)| {
                Ok((attachment_info((p, name, kind, size))?, content))
            })
            .transpose()
    }

    async fn proposal_signatures(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> Result<Vec<StoredSignature>, StoreError> {
        let rows = fetch_all!(pool self, (Option<String>, String, Option<String>),
            "SELECT s.public_name, s.signed_on, s.residence_area FROM proposal_signature s
             JOIN proposal p ON p.id = s.proposal_id
             WHERE p.municipality_id = $1 AND p.number = $2
             ORDER BY s.signed_on, s.email_hash",
            municipality.as_str(), number)?;
        rows.into_iter()
            .map(|(public_name, on, residence_area)| {
                Ok(StoredSignature {
                    public_name,
                    signed_on: parse_date(&on).map_err(|_| invalid(&on))?,
                    residence_area,
                })
            })
            .collect()
    }

    async fn moderate_proposal(
        &self,
        municipality: &MunicipalityId,
        number: i64,
        step: &Moderated,
        notice: &Mail,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let (id, moderation, _, _) = Self::lock_proposal(t, municipality, number).await?;
        if moderation != Moderation::Pending.code() {
            return Err(conflict("proposal_already_moderated"));
        }
        match step {
            Moderated::Publish {
                on,
                signing_ends_on,
                threshold,
                threshold_note,
                committee,
            } => {
                exec!(
                    t,
                    "UPDATE proposal SET moderation = 'published', published_on = $2,
                         signing_ends_on = $3, threshold = $4, threshold_note = $5,
                         committee = $6
                     WHERE id = $1",
                    id,
                    iso(*on),
                    iso(*signing_ends_on),
                    i64::from(*threshold),
                    threshold_note,
                    committee
                )?;
            }
            Moderated::Reject { reason } => {
                exec!(
                    t,
                    "UPDATE proposal SET moderation = 'rejected', reason = $2 WHERE id = $1",
                    id,
                    reason
                )?;
            }
        }
        let at = actor.at.to_string();
        queue_notice(t, id, notice, &at).await?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::ProposalModerate,
            &format!("proposal:{municipality}:{number}"),
            None,
            Some(serde_json::json!({ "moderation": step.moderation().code() })),
        )
        .await?;
        tx.commit().await
    }

    async fn decide_proposal(
        &self,
        municipality: &MunicipalityId,
        number: i64,
        d: &NewDecision,
        notice: &Mail,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let (id, _, reached, decided) = Self::lock_proposal(t, municipality, number).await?;
        let Some(reached) = reached else {
            return Err(conflict("proposal_not_with_committee"));
        };
        if decided.is_some() {
            return Err(conflict("proposal_not_with_committee"));
        }
        if iso(d.decided_on) < reached {
            return Err(StoreError::Invalid(Message::in_field(
                "decided_on",
                Message::new("proposal_decided_before_threshold").with("day", reached),
            )));
        }
        exec!(
            t,
            "UPDATE proposal SET decision = $2, answer = $3, decided_on = $4 WHERE id = $1",
            id,
            d.decision.code(),
            &d.answer,
            iso(d.decided_on)
        )?;
        queue_notice(t, id, notice, &actor.at.to_string()).await?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::ProposalDecide,
            &format!("proposal:{municipality}:{number}"),
            None,
            Some(serde_json::json!({
                "decision": d.decision.code(), "decided_on": iso(d.decided_on),
            })),
        )
        .await?;
        tx.commit().await
    }
}
