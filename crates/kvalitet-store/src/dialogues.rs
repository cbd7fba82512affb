//! The e-dialogue port: dialogues numbered per municipality, participants keyed by the hash
//! of their link's token, statements through moderation, one vote per participant and
//! statement, and the day-by-day and by-group counts of the result page.

use std::collections::HashMap;

use time::Date;

use kvalitet_app::ports::{
    Actor, DayActivity, DialogueParticipant, Dialogues, ExportedVote, NewDialogue, Participation,
    STATEMENTS_PER_PARTICIPANT, StatementStep, StoreError, StoredDialogue, StoredStatement,
    Turnout,
};
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::calendar::parse_date;
use kvalitet_domain::dialogue::{AgeBand, Period, StatementModeration, StatementVote, Tally};
use kvalitet_domain::{Message, MunicipalityId, Timestamp};

use crate::audit::audit;
use crate::proposals::{conflict, iso};
use crate::version::{Moved, bump_version};
use crate::{SqlStore, Tx, exec, fetch_all, invalid, moment};

fn date(text: &str) -> Result<Date, StoreError> {
    parse_date(text).map_err(|_| invalid(text))
}

fn count(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| invalid("a negative count"))
}

fn not_found() -> StoreError {
    StoreError::NotFound(Message::new("dialogue_not_found"))
}

/// A dialogue's columns with its counts, for the municipality `$1`, followed by `$tail`.
macro_rules! dialogue_select {
    ($tail:literal) => {
        concat!(
            "SELECT d.number, d.question, d.description, d.areas, d.opens_on, d.closes_on,
                 d.response, d.responded_on, d.created_at,
                 (SELECT COUNT(*) FROM dialogue_participant p WHERE p.dialogue_id = d.id),
                 (SELECT COUNT(*) FROM dialogue_vote v
                      JOIN dialogue_statement s ON s.id = v.statement_id
                  WHERE s.dialogue_id = d.id)
             FROM dialogue d WHERE d.municipality_id = $1 ",
            $tail
        )
    };
}

type DialogueRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
);

fn dialogue_record(m: &MunicipalityId, r: DialogueRow) -> Result<StoredDialogue, StoreError> {
    let (number, question, description, areas, opens, closes, response, responded, at, p, v) = r;
    Ok(StoredDialogue {
        municipality: *m,
        number,
        dialogue: NewDialogue {
            question,
            description,
            areas: areas
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            period: Period {
                opens_on: date(&opens)?,
                closes_on: date(&closes)?,
            },
        },
        response,
        responded_on: responded.as_deref().map(date).transpose()?,
        participants: count(p)?,
        votes: count(v)?,
        created_at: moment(&at)?,
    })
}

/// A statement's columns with its votes, for the dialogue `$1`, followed by `$tail`.
macro_rules! statement_select {
    ($tail:literal) => {
        concat!(
            "SELECT s.number, s.body, s.moderation, s.reason, s.written_on,
                 COALESCE(SUM(CASE WHEN v.vote = 'agree' THEN 1 ELSE 0 END), 0),
                 COALESCE(SUM(CASE WHEN v.vote = 'disagree' THEN 1 ELSE 0 END), 0),
                 COALESCE(SUM(CASE WHEN v.vote = 'pass' THEN 1 ELSE 0 END), 0)
             FROM dialogue_statement s LEFT JOIN dialogue_vote v ON v.statement_id = s.id
             WHERE s.dialogue_id = $1 ",
            $tail
        )
    };
}

type StatementRow = (i64, String, String, String, String, i64, i64, i64);

fn statement_record(r: StatementRow) -> Result<StoredStatement, StoreError> {
    let (number, body, moderation, reason, written, agree, disagree, pass) = r;
    let small = |n: i64| u32::try_from(n).map_err(|_| invalid("a vote count"));
    Ok(StoredStatement {
        number,
        body,
        moderation: StatementModeration::parse(&moderation).ok_or_else(|| invalid(&moderation))?,
        reason,
        written_on: date(&written)?,
        tally: Tally {
            agree: small(agree)?,
            disagree: small(disagree)?,
            pass: small(pass)?,
        },
    })
}

impl SqlStore {
    /// The dialogue's id and period, `NotFound` unless it is the municipality's.
    async fn dialogue_id(
        &self,
        m: &MunicipalityId,
        number: i64,
    ) -> Result<(i64, Period), StoreError> {
        let rows = fetch_all!(pool self, (i64, String, String),
            "SELECT id, opens_on, closes_on FROM dialogue WHERE municipality_id = $1 AND number = $2",
            m.as_str(), number)?;
        let (id, opens, closes) = rows.into_iter().next().ok_or_else(not_found)?;
        Ok((
            id,
            Period {
                opens_on: date(&opens)?,
                closes_on: date(&closes)?,
            },
        ))
    }

    /// In the caller's transaction: the participant's dialogue id, `Conflict` unless it is
    /// open on `today`. The dialogue's row is locked, so statements get their numbers one
    /// after the other.
    async fn open_dialogue_of(
        t: &mut Tx,
        participant: &DialogueParticipant,
        today: Date,
    ) -> Result<i64, StoreError> {
        let today = iso(today);
        let rows = fetch_all!(tx t, (i64,),
            "UPDATE dialogue SET number = number
             WHERE municipality_id = $1 AND number = $2 AND opens_on <= $3 AND closes_on >= $3
             RETURNING id",
            participant.municipality.as_str(), participant.dialogue, &today)?;
        rows.into_iter()
            .next()
            .map(|r| r.0)
            .ok_or_else(|| conflict("dialogue_not_open"))
    }

    /// Adds (or moves to the new link) a participant, in the caller's confirmation
    /// transaction. `Conflict("dialogue_not_open")` unless the dialogue is open on `today`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn join_dialogue(
        t: &mut Tx,
        m: &str,
        number: i64,
        email_hash: &str,
        token_hash: &str,
        area: Option<&str>,
        age_band: Option<&str>,
        today: Date,
    ) -> Result<(), StoreError> {
        let day = iso(today);
        let open = fetch_all!(tx t, (i64,),
            "SELECT id FROM dialogue
             WHERE municipality_id = $1 AND number = $2 AND opens_on <= $3 AND closes_on >= $3",
            m, number, &day)?;
        let Some((id,)) = open.into_iter().next() else {
            return Err(conflict("dialogue_not_open"));
        };
        exec!(
            t,
            "INSERT INTO dialogue_participant (dialogue_id, email_hash, token_hash, area, age_band,
                 joined_on)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (dialogue_id, email_hash) DO UPDATE SET token_hash = excluded.token_hash,
                 area = COALESCE(excluded.area, dialogue_participant.area),
                 age_band = COALESCE(excluded.age_band, dialogue_participant.age_band)",
            id,
            email_hash,
            token_hash,
            area,
            age_band,
            &day
        )?;
        Ok(())
    }
}

impl Dialogues for SqlStore {
    async fn create_dialogue(
        &self,
        municipality: &MunicipalityId,
        d: &NewDialogue,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let m = municipality.as_str();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        // The municipality's row is the lock: two dialogues set up at once get the next
        // numbers one after the other.
        exec!(t, "UPDATE municipality SET id = id WHERE id = $1", m)?;
        let next = fetch_all!(tx t, (i64,),
            "SELECT COALESCE(MAX(number), 0) + 1 FROM dialogue WHERE municipality_id = $1", m)?;
        let number = next.first().map_or(1, |r| r.0);
        exec!(
            t,
            "INSERT INTO dialogue (municipality_id, number, question, description, areas,
                 opens_on, closes_on, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            m,
            number,
            &d.question,
            &d.description,
            d.areas.join("\n"),
            iso(d.period.opens_on),
            iso(d.period.closes_on),
            &actor.who,
            actor.at.to_string()
        )?;
        // The municipality's page links to its dialogues: cached pages are made again.
        bump_version(t, Moved::Pages).await?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::DialogueCreate,
            &format!("dialogue:{m}:{number}"),
            None,
            Some(serde_json::json!({
                "question": d.question,
                "opens_on": iso(d.period.opens_on), "closes_on": iso(d.period.closes_on),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(number)
    }

    async fn respond_to_dialogue(
        &self,
        municipality: &MunicipalityId,
        number: i64,
        response: &str,
        on: Date,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let m = municipality.as_str();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let before = fetch_all!(tx t, (String,),
            "SELECT response FROM dialogue WHERE municipality_id = $1 AND number = $2",
            m, number)?;
        let Some((before,)) = before.into_iter().next() else {
            return Err(not_found());
        };
        exec!(
            t,
            "UPDATE dialogue SET response = $3, responded_on = $4
             WHERE municipality_id = $1 AND number = $2",
            m,
            number,
            response,
            iso(on)
        )?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::DialogueRespond,
            &format!("dialogue:{m}:{number}"),
            Some(serde_json::json!({ "response": before })),
            Some(serde_json::json!({ "response": response, "on": iso(on) })),
        )
        .await?;
        tx.commit().await
    }

    async fn dialogues(
        &self,
        municipality: &MunicipalityId,
    ) -> Result<Vec<StoredDialogue>, StoreError> {
        let rows = fetch_all!(pool self, DialogueRow,
            dialogue_select!("ORDER BY d.number DESC"), municipality.as_str())?;
        rows.into_iter()
            .map(|r| dialogue_record(municipality, r))
            .collect()
    }

    async fn dialogue(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> Result<Option<StoredDialogue>, StoreError> {
        let rows = fetch_all!(pool self, DialogueRow,
            dialogue_select!("AND d.number = $2"), municipality.as_str(), number)?;
        rows.into_iter()
            .next()
            .map(|r| dialogue_record(municipality, r))
            .transpose()
    }

    async fn statements(
        &self,
        municipality: &MunicipalityId,
        number: i64,
        published_only: bool,
    ) -> Result<Vec<StoredStatement>, StoreError> {
        let (id, _) = self.dialogue_id(municipality, number).await?;
        let rows = if published_only {
            fetch_all!(pool self, StatementRow, statement_select!(
                "AND s.moderation = 'published'
                 GROUP BY s.id, s.number, s.body, s.moderation, s.reason, s.written_on
                 ORDER BY s.number"), id)?
        } else {
            fetch_all!(pool self, StatementRow, statement_select!(
                "GROUP BY s.id, s.number, s.body, s.moderation, s.reason, s.written_on
                 ORDER BY s.number"), id)?
        };
        rows.into_iter().map(statement_record).collect()
    }

    async fn dialogue_participant(
        &self,
        token_hash: &str,
    ) -> Result<Option<DialogueParticipant>, StoreError> {
        let rows = fetch_all!(pool self, (i64, String, i64),
            "SELECT p.id, d.municipality_id, d.number FROM dialogue_participant p
             JOIN dialogue d ON d.id = p.dialogue_id WHERE p.token_hash = $1",
            token_hash)?;
        rows.into_iter()
            .next()
            .map(|(id, m, dialogue)| {
                Ok(DialogueParticipant {
                    id,
                    municipality: MunicipalityId::parse(&m).map_err(|_| invalid(&m))?,
                    dialogue,
                })
            })
            .transpose()
    }

    async fn statements_for(
        &self,
        p: &DialogueParticipant,
    ) -> Result<(Vec<StoredStatement>, Vec<StoredStatement>), StoreError> {
        let (id, _) = self.dialogue_id(&p.municipality, p.dialogue).await?;
        let unanswered = fetch_all!(pool self, StatementRow, statement_select!(
            "AND s.moderation = 'published' AND s.participant_id <> $2
               AND NOT EXISTS (SELECT 1 FROM dialogue_vote mine
                               WHERE mine.statement_id = s.id AND mine.participant_id = $2)
             GROUP BY s.id, s.number, s.body, s.moderation, s.reason, s.written_on
             ORDER BY s.number"), id, p.id)?;
        let own = fetch_all!(pool self, StatementRow, statement_select!(
            "AND s.participant_id = $2
             GROUP BY s.id, s.number, s.body, s.moderation, s.reason, s.written_on
             ORDER BY s.number"), id, p.id)?;
        Ok((
            unanswered
                .into_iter()
                .map(statement_record)
                .collect::<Result<_, _>>()?,
            own.into_iter()
                .map(statement_record)
                .collect::<Result<_, _>>()?,
        ))
    }

    async fn write_statement(
        &self,
        p: &DialogueParticipant,
        body: &str,
        today: Date,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let id = Self::open_dialogue_of(t, p, today).await?;
        let written = fetch_all!(tx t, (i64,),
            "SELECT COUNT(*) FROM dialogue_statement WHERE dialogue_id = $1 AND participant_id = $2",
            id, p.id)?;
        if written
            .first()
            .is_some_and(|(n,)| *n >= i64::from(STATEMENTS_PER_PARTICIPANT))
        {
            return Err(StoreError::Conflict(
                Message::new("dialogue_too_many_statements")
                    .with("max", STATEMENTS_PER_PARTICIPANT),
            ));
        }
        let next = fetch_all!(tx t, (i64,),
            "SELECT COALESCE(MAX(number), 0) + 1 FROM dialogue_statement WHERE dialogue_id = $1",
            id)?;
        let number = next.first().map_or(1, |r| r.0);
        exec!(
            t,
            "INSERT INTO dialogue_statement (dialogue_id, number, participant_id, body, moderation,
                 written_on, written_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
            id,
            number,
            p.id,
            body,
            iso(today),
            at.to_string()
        )?;
        tx.commit().await?;
        Ok(number)
    }

    async fn vote_on_statement(
        &self,
        p: &DialogueParticipant,
        statement: i64,
        vote: StatementVote,
        today: Date,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let id = Self::open_dialogue_of(t, p, today).await?;
        let found = fetch_all!(tx t, (i64,),
            "SELECT id FROM dialogue_statement
             WHERE dialogue_id = $1 AND number = $2 AND moderation = 'published'",
            id, statement)?;
        let Some((statement_id,)) = found.into_iter().next() else {
            return Err(StoreError::NotFound(Message::new(
                "dialogue_statement_not_found",
            )));
        };
        let added = exec!(
            t,
            "INSERT INTO dialogue_vote (statement_id, participant_id, vote, voted_on)
             VALUES ($1, $2, $3, $4) ON CONFLICT (statement_id, participant_id) DO NOTHING",
            statement_id,
            p.id,
            vote.code(),
            iso(today)
        )?;
        if added == 0 {
            return Err(conflict("dialogue_already_voted"));
        }
        tx.commit().await
    }

    async fn moderate_statement(
        &self,
        municipality: &MunicipalityId,
        number: i64,
        statement: i64,
        step: &StatementStep,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let (id, _) = self.dialogue_id(municipality, number).await?;
        let (moderation, reason) = match step {
            StatementStep::Publish => (StatementModeration::Published, ""),
            StatementStep::Reject { reason } => (StatementModeration::Rejected, reason.as_str()),
        };
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let changed = exec!(
            t,
            "UPDATE dialogue_statement SET moderation = $3, reason = $4
             WHERE dialogue_id = $1 AND number = $2 AND moderation = 'pending'",
            id,
            statement,
            moderation.code(),
            reason
        )?;
        if changed == 0 {
            return Err(conflict("dialogue_statement_not_pending"));
        }
        let m = municipality.as_str();
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::DialogueModerate,
            &format!("dialogue:{m}:{number}:{statement}"),
            None,
            Some(serde_json::json!({ "moderation": moderation.code(), "reason": reason })),
        )
        .await?;
        tx.commit().await
    }

    async fn dialogue_activity(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> Result<Vec<DayActivity>, StoreError> {
        let (id, _) = self.dialogue_id(municipality, number).await?;
        let joined = fetch_all!(pool self, (String, i64),
            "SELECT joined_on, COUNT(*) FROM dialogue_participant WHERE dialogue_id = $1
             GROUP BY joined_on", id)?;
        let voted = fetch_all!(pool self, (String, i64, i64),
            "SELECT v.voted_on, COUNT(DISTINCT v.participant_id), COUNT(*)
             FROM dialogue_vote v JOIN dialogue_statement s ON s.id = v.statement_id
             WHERE s.dialogue_id = $1 GROUP BY v.voted_on", id)?;
        let written = fetch_all!(pool self, (String, i64),
            "SELECT written_on, COUNT(*) FROM dialogue_statement WHERE dialogue_id = $1
             GROUP BY written_on", id)?;
        let mut days: std::collections::BTreeMap<Date, DayActivity> = Default::default();
        fn on<'a>(
            days: &'a mut std::collections::BTreeMap<Date, DayActivity>,
            text: &str,
        ) -> Result<&'a mut DayActivity, StoreError> {
            let day = date(text)?;
            Ok(days.entry(day).or_insert(DayActivity {
                day,
                joined: 0,
                voters: 0,
                votes: 0,
                statements: 0,
            }))
        }
        for (d, n) in joined {
            on(&mut days, &d)?.joined = count(n)?;
        }
        for (d, voters, votes) in voted {
            let a = on(&mut days, &d)?;
            a.voters = count(voters)?;
            a.votes = count(votes)?;
        }
        for (d, n) in written {
            on(&mut days, &d)?.statements = count(n)?;
        }
        Ok(days.into_values().collect())
    }

    async fn participation(
        &self,
        municipality: &MunicipalityId,
        first: Date,
        last: Date,
    ) -> Result<Participation, StoreError> {
        let (first_day, last_day) = (first, last);
        let (first, last) = (iso(first), iso(last));
        // UNION, not UNION ALL: an address that signed and joined is one participant.
        let addresses = fetch_all!(pool self, (String,),
            "SELECT s.email_hash FROM proposal_signature s JOIN proposal p ON p.id = s.proposal_id
             WHERE p.municipality_id = $1 AND s.signed_on BETWEEN $2 AND $3
             UNION
             SELECT dp.email_hash FROM dialogue_participant dp JOIN dialogue d ON d.id = dp.dialogue_id
             WHERE d.municipality_id = $1 AND dp.joined_on BETWEEN $2 AND $3",
            municipality.as_str(), &first, &last)?;
        // A vote's moment is kept in UTC: a day either side, for the use case to keep those
        // of the Swedish days asked.
        let (wide_first, wide_last) = (
            iso(first_day.previous_day().unwrap_or(first_day)),
            iso(last_day.next_day().unwrap_or(last_day)),
        );
        let email_voters = fetch_all!(pool self, (String, String),
            "SELECT substr(v.code_hash, 7), v.voted_at FROM budget_voter v
             JOIN budget_round r ON r.id = v.round_id
             WHERE r.municipality_id = $1 AND v.code_hash LIKE 'email:%'
               AND substr(v.voted_at, 1, 10) BETWEEN $2 AND $3",
            municipality.as_str(), &wide_first, &wide_last)?;
        // A voter by e-mail is an address (the list before); a ballot counts apart only
        // when a code cast it.
        let ballots = fetch_all!(pool self, (i64,),
            "SELECT COUNT(*) FROM budget_ballot b JOIN budget_round r ON r.id = b.round_id
             WHERE r.municipality_id = $1 AND r.identification = 'codes'
               AND b.cast_on BETWEEN $2 AND $3",
            municipality.as_str(), &first, &last)?;
        let proposers = fetch_all!(pool self, (String, String),
            "SELECT author_email, created_at FROM proposal WHERE municipality_id = $1",
            municipality.as_str())?;
        Ok(Participation {
            addresses: addresses.into_iter().map(|(h,)| h).collect(),
            ballots: count(ballots.first().map_or(0, |(n,)| *n))?,
            proposers: proposers
                .into_iter()
                .map(|(email, at)| Ok((email, moment(&at)?)))
                .collect::<Result<_, StoreError>>()?,
            email_voters: email_voters
                .into_iter()
                .map(|(hash, at)| Ok((hash, moment(&at)?)))
                .collect::<Result<_, StoreError>>()?,
        })
    }

    async fn dialogue_turnout(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> Result<Turnout, StoreError> {
        let (id, _) = self.dialogue_id(municipality, number).await?;
        let areas = fetch_all!(pool self, (String,),
            "SELECT areas FROM dialogue WHERE id = $1", id)?;
        let by_area = fetch_all!(pool self, (Option<String>, i64),
            "SELECT area, COUNT(*) FROM dialogue_participant WHERE dialogue_id = $1 GROUP BY area",
            id)?;
        let by_age = fetch_all!(pool self, (Option<String>, i64),
            "SELECT age_band, COUNT(*) FROM dialogue_participant WHERE dialogue_id = $1
             GROUP BY age_band", id)?;
        let mut turnout = Turnout::default();
        let mut area_counts: HashMap<String, u64> = HashMap::new();
        for (area, n) in by_area {
            match area {
                Some(a) => {
                    area_counts.insert(a, count(n)?);
                }
                None => turnout.area_not_stated += count(n)?,
            }
        }
        // In the dialogue's own order; an area no longer offered counts as not stated.
        let offered: Vec<String> = areas
            .first()
            .map(|(a,)| {
                a.lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        for area in &offered {
            turnout
                .by_area
                .push((area.clone(), area_counts.remove(area).unwrap_or(0)));
        }
        turnout.area_not_stated += area_counts.values().sum::<u64>();
        let mut age_counts: HashMap<AgeBand, u64> = HashMap::new();
        for (band, n) in by_age {
            match band.as_deref().and_then(AgeBand::parse) {
                Some(b) => *age_counts.entry(b).or_default() += count(n)?,
                None => turnout.age_not_stated += count(n)?,
            }
        }
        turnout.by_age = AgeBand::ALL
            .iter()
            .map(|b| (*b, age_counts.get(b).copied().unwrap_or(0)))
            .collect();
        Ok(turnout)
    }

    async fn dialogue_votes(
        &self,
        municipality: &MunicipalityId,
        number: i64,
    ) -> Result<Vec<ExportedVote>, StoreError> {
        let (id, _) = self.dialogue_id(municipality, number).await?;
        let order = fetch_all!(pool self, (i64,),
            "SELECT id FROM dialogue_participant WHERE dialogue_id = $1 ORDER BY id", id)?;
        // Participants by their order of joining in this dialogue, not their row ids.
        let seat: HashMap<i64, i64> = order
            .into_iter()
            .zip(1..)
            .map(|((pid,), n)| (pid, n))
            .collect();
        let rows = fetch_all!(pool self, (i64, i64, String, String),
            "SELECT s.number, v.participant_id, v.vote, v.voted_on
             FROM dialogue_vote v JOIN dialogue_statement s ON s.id = v.statement_id
             WHERE s.dialogue_id = $1 AND s.moderation = 'published'
             ORDER BY s.number, v.participant_id", id)?;
        rows.into_iter()
            .map(|(statement, pid, vote, day)| {
                Ok(ExportedVote {
                    statement,
                    participant: seat.get(&pid).copied().ok_or_else(|| invalid(pid))?,
                    vote: StatementVote::parse(&vote).ok_or_else(|| invalid(&vote))?,
                    day: date(&day)?,
                })
            })
            .collect()
    }
}
