//! The citizen-budget port: rounds with their published rules, projects, one-time codes kept
//! as hashes, and ballots kept apart from the codes that paid for them.

use kvalitet_app::ports::{
    Actor, Budgets, ImportedBudgetRound, NewBudgetBallot, NewBudgetProject, NewBudgetRound,
    StoreError, StoredBudgetBallot, StoredBudgetProject, StoredBudgetRound,
};
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::budget::{BallotKind, Rule};
use kvalitet_domain::budget_round::{
    BallotRules, BudgetStatus, Feasibility, Identification, ProposedBy, VotingWindow,
};
use kvalitet_domain::calendar::parse_date;
use kvalitet_domain::{Message, MunicipalityId, Timestamp};

use crate::audit::audit;
use crate::goals::inserted_id;
use crate::{SqlStore, Tx, exec, fetch_all, invalid, moment};

/// A round's columns for the municipality `$1`, followed by `$tail`: with its counts of codes
/// and ballots (`counted`), or with zeros (`uncounted`: a voter's request, which would
/// otherwise count the whole round each time).
macro_rules! round_select {
    (counted, $tail:literal) => {
        round_select!(
            "(SELECT COUNT(*) FROM budget_voter v WHERE v.round_id = r.id) AS codes,
             (SELECT COUNT(*) FROM budget_ballot b WHERE b.round_id = r.id) AS ballots",
            $tail
        )
    };
    (uncounted, $tail:literal) => {
        round_select!(
            "CAST(0 AS BIGINT) AS codes, CAST(0 AS BIGINT) AS ballots",
            $tail
        )
    };
    ($counts:literal, $tail:literal) => {
        concat!(
            "SELECT r.id, r.code, r.title, r.description, r.amount, r.ballot_kind,
                 r.max_projects, r.points, r.rule, r.first_day, r.last_day, r.areas, r.status,
                 r.lot, r.result, r.created_by, r.created_at, r.opened_at, r.counted_at,
                 r.identification, ",
            $counts,
            " FROM budget_round r WHERE r.municipality_id = $1 ",
            $tail
        )
    };
}

#[derive(sqlx::FromRow)]
struct RoundRow {
    id: i64,
    code: String,
    title: String,
    description: String,
    amount: i64,
    ballot_kind: String,
    max_projects: Option<i64>,
    points: i64,
    rule: String,
    first_day: String,
    last_day: String,
    areas: String,
    status: String,
    lot: Option<String>,
    result: Option<String>,
    created_by: String,
    created_at: String,
    opened_at: Option<String>,
    counted_at: Option<String>,
    identification: String,
    codes: i64,
    ballots: i64,
}

fn count(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| invalid("count"))
}

fn round_record(m: &MunicipalityId, r: RoundRow) -> Result<StoredBudgetRound, StoreError> {
    let kind = match r.ballot_kind.as_str() {
        "approval" => BallotKind::Approval,
        "points" => BallotKind::Points,
        other => return Err(invalid(other)),
    };
    let small = |n: i64| u32::try_from(n).map_err(|_| invalid("ballot rule"));
    let ballot = BallotRules {
        kind,
        max_projects: r.max_projects.map(small).transpose()?,
        points: small(r.points)?,
    };
    let day = |s: &str| parse_date(s).map_err(|_| invalid(s));
    let lot = r
        .lot
        .map(|text| {
            text.split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<i64>().map_err(|_| invalid("lot")))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    Ok(StoredBudgetRound {
        id: r.id,
        municipality: *m,
        setup: NewBudgetRound {
            code: r.code,
            title: r.title,
            description: r.description,
            amount: count(r.amount)?,
            ballot,
            rule: Rule::from_code(&r.rule).ok_or_else(|| invalid(&r.rule))?,
            window: VotingWindow {
                first_day: day(&r.first_day)?,
                last_day: day(&r.last_day)?,
            },
            areas: r
                .areas
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            identification: Identification::parse(&r.identification)
                .ok_or_else(|| invalid(&r.identification))?,
        },
        status: BudgetStatus::parse(&r.status).ok_or_else(|| invalid(&r.status))?,
        lot,
        result: r.result,
        created_by: r.created_by,
        created_at: moment(&r.created_at)?,
        opened_at: r.opened_at.as_deref().map(moment).transpose()?,
        counted_at: r.counted_at.as_deref().map(moment).transpose()?,
        codes: count(r.codes)?,
        ballots: count(r.ballots)?,
    })
}

fn iso(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn amount(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Invalid(Message::new("budget_amount_too_large")))
}

fn conflict(code: &'static str) -> StoreError {
    StoreError::Conflict(Message::new(code))
}

fn not_found() -> StoreError {
    StoreError::NotFound(Message::new("budget_round_not_found"))
}

fn choices_json(choices: &[(i64, u32)]) -> String {
    serde_json::to_string(choices).unwrap_or_else(|_| "[]".into())
}

impl SqlStore {
    /// Casts a ballot confirmed from its e-mail link, in the confirmation's transaction: the
    /// round open, identified by e-mail and voting on `today` (Swedish); the address's hash
    /// used up as a code would be (`email:` before it, which no code has), so an address
    /// votes once per round however its links race.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn cast_confirmed_ballot(
        t: &mut Tx,
        m: &str,
        round: i64,
        email_hash: &str,
        choices: &[(i64, u32)],
        area: &str,
        today: time::Date,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let rows = fetch_all!(tx t, (String, String, String, String),
            "SELECT status, identification, first_day, last_day FROM budget_round
             WHERE id = $1 AND municipality_id = $2",
            round, m)?;
        let Some((status, identification, first, last)) = rows.into_iter().next() else {
            return Err(conflict("budget_not_open"));
        };
        let day = iso(today);
        if status != "open" || identification != "email" || day < first || day > last {
            return Err(conflict("budget_not_open"));
        }
        let voter = format!("email:{email_hash}");
        let now = at.to_string();
        exec!(
            t,
            "INSERT INTO budget_voter (round_id, code_hash, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (round_id, code_hash) DO NOTHING",
            round,
            &voter,
            &now
        )?;
        let used = fetch_all!(tx t, (i64,),
            "UPDATE budget_voter SET voted_at = $3
             WHERE round_id = $1 AND code_hash = $2 AND voted_at IS NULL RETURNING id",
            round, &voter, &now)?;
        if used.is_empty() {
            return Err(conflict("budget_email_voted"));
        }
        exec!(
            t,
            "INSERT INTO budget_ballot (round_id, choices, area, cast_on) VALUES ($1, $2, $3, $4)",
            round,
            choices_json(choices),
            area,
            at.local_date_text()
        )?;
        Ok(())
    }

    /// Inserts the round's row in `status`; `Conflict` when the code is taken.
    async fn insert_round(
        t: &mut Tx,
        m: &MunicipalityId,
        r: &NewBudgetRound,
        status: BudgetStatus,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let taken = || {
            StoreError::Conflict(Message::new("budget_code_taken").with("code", r.code.as_str()))
        };
        let exists = fetch_all!(tx t, (i64,),
            "SELECT id FROM budget_round WHERE municipality_id = $1 AND code = $2",
            m.as_str(), &r.code)?;
        if !exists.is_empty() {
            return Err(taken());
        }
        let kind = match r.ballot.kind {
            BallotKind::Approval => "approval",
            BallotKind::Points => "points",
        };
        let inserted = fetch_all!(tx t, (i64,),
            "INSERT INTO budget_round (municipality_id, code, title, description, amount,
                 ballot_kind, max_projects, points, rule, first_day, last_day, areas, status,
                 created_by, created_at, identification)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
             RETURNING id",
            m.as_str(), &r.code, &r.title, &r.description, amount(r.amount)?, kind,
            r.ballot.max_projects.map(i64::from), i64::from(r.ballot.points), r.rule.code(),
            iso(r.window.first_day), iso(r.window.last_day), r.areas.join("\n"), status.code(),
            &actor.who, actor.at.to_string(), r.identification.code());
        inserted_id(inserted, taken)
    }

    async fn insert_project(
        t: &mut Tx,
        round: i64,
        p: &NewBudgetProject,
        feasibility: Feasibility,
    ) -> Result<i64, StoreError> {
        let taken = || {
            StoreError::Conflict(
                Message::new("budget_project_code_taken").with("code", p.code.as_str()),
            )
        };
        let inserted = fetch_all!(tx t, (i64,),
            "INSERT INTO budget_project (round_id, code, title, description, cost, area,
                 proposed_by, feasibility, feasibility_reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '') RETURNING id",
            round, &p.code, &p.title, &p.description, amount(p.cost)?, &p.area,
            p.proposed_by.code(), feasibility.code());
        inserted_id(inserted, taken)
    }

    /// Locks the round's row for the change and gives its status; `NotFound` unless it is
    /// the municipality's.
    async fn lock_round(
        t: &mut Tx,
        m: &MunicipalityId,
        round: i64,
    ) -> Result<BudgetStatus, StoreError> {
        let rows = fetch_all!(tx t, (String,),
            "UPDATE budget_round SET status = status WHERE id = $1 AND municipality_id = $2
             RETURNING status",
            round, m.as_str())?;
        let (status,) = rows.into_iter().next().ok_or_else(not_found)?;
        BudgetStatus::parse(&status).ok_or_else(|| invalid(&status))
    }
}

impl Budgets for SqlStore {
    async fn create_budget_round(
        &self,
        municipality: &MunicipalityId,
        round: &NewBudgetRound,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let id = Self::insert_round(t, municipality, round, BudgetStatus::Draft, actor).await?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::BudgetCreate,
            &format!("budget:{id}"),
            None,
            Some(serde_json::json!({
                "code": round.code, "amount": round.amount, "rule": round.rule.code(),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn import_budget_round(
        &self,
        municipality: &MunicipalityId,
        round: &ImportedBudgetRound,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let status = if round.counted.is_some() {
            BudgetStatus::Counted
        } else {
            BudgetStatus::Open
        };
        let id = Self::insert_round(t, municipality, &round.setup, status, actor).await?;
        let mut ids = Vec::with_capacity(round.projects.len());
        for p in &round.projects {
            ids.push(Self::insert_project(t, id, p, Feasibility::Feasible).await?);
        }
        let on = actor.at.local_date_text();
        for ballot in &round.ballots {
            let choices: Vec<(i64, u32)> = ballot
                .iter()
                .map(|&(p, points)| ids.get(p).map(|&id| (id, points)))
                .collect::<Option<_>>()
                .ok_or_else(|| invalid("ballot names no project"))?;
            exec!(
                t,
                "INSERT INTO budget_ballot (round_id, choices, area, cast_on)
                 VALUES ($1, $2, '', $3)",
                id,
                choices_json(&choices),
                &on
            )?;
        }
        let at = actor.at.to_string();
        if let Some((drawn, result)) = &round.counted {
            let lot = drawn
                .iter()
                .map(|&p| ids.get(p).map(i64::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| invalid("lot names no project"))?
                .join(",");
            exec!(
                t,
                "UPDATE budget_round SET lot = $2, result = $3, opened_at = $4, counted_at = $4
                 WHERE id = $1",
                id,
                lot,
                result,
                &at
            )?;
        } else {
            let lot = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            exec!(
                t,
                "UPDATE budget_round SET lot = $2, opened_at = $3 WHERE id = $1",
                id,
                lot,
                &at
            )?;
        }
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::BudgetImport,
            &format!("budget:{id}"),
            None,
            Some(serde_json::json!({
                "code": round.setup.code, "projects": round.projects.len(),
                "ballots": round.ballots.len(), "counted": round.counted.is_some(),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn budget_rounds(
        &self,
        municipality: &MunicipalityId,
    ) -> Result<Vec<StoredBudgetRound>, StoreError> {
        let rows = fetch_all!(pool self, RoundRow, round_select!(counted, "ORDER BY r.id DESC"),
            municipality.as_str())?;
        rows.into_iter()
            .map(|r| round_record(municipality, r))
            .collect()
    }

    async fn budget_round(
        &self,
        municipality: &MunicipalityId,
        id: Option<i64>,
        code: &str,
        counted: bool,
    ) -> Result<Option<StoredBudgetRound>, StoreError> {
        let m = municipality.as_str();
        let rows = match (id, counted) {
            (Some(id), true) => fetch_all!(pool self, RoundRow,
                round_select!(counted, "AND r.id = $2"), m, id)?,
            (Some(id), false) => fetch_all!(pool self, RoundRow,
                round_select!(uncounted, "AND r.id = $2"), m, id)?,
            (None, true) => fetch_all!(pool self, RoundRow,
                round_select!(counted, "AND r.code = $2"), m, code)?,
            (None, false) => fetch_all!(pool self, RoundRow,
                round_select!(uncounted, "AND r.code = $2"), m, code)?,
        };
        rows.into_iter()
            .next()
            .map(|r| round_record(municipality, r))
            .transpose()
    }

    async fn budget_projects(
        &self,
        municipality: &MunicipalityId,
        round: i64,
    ) -> Result<Vec<StoredBudgetProject>, StoreError> {
        let rows = fetch_all!(pool self,
            (i64, String, String, String, i64, String, String, String, String),
            "SELECT p.id, p.code, p.title, p.description, p.cost, p.area, p.proposed_by,
                 p.feasibility, p.feasibility_reason
             FROM budget_project p JOIN budget_round r ON r.id = p.round_id
             WHERE p.round_id = $1 AND r.municipality_id = $2 ORDER BY p.id",
            round, municipality.as_str())?;
        rows.into_iter()
            .map(
                |(id, code, title, description, cost, area, by, feasibility, reason)| {
                    Ok(StoredBudgetProject {
                        id,
                        code,
                        title,
                        description,
                        cost: count(cost)?,
                        area,
                        proposed_by: ProposedBy::parse(&by).ok_or_else(|| invalid(&by))?,
                        feasibility: Feasibility::parse(&feasibility)
                            .ok_or_else(|| invalid(&feasibility))?,
                        reason,
                    })
                },
            )
            .collect()
    }

    async fn add_budget_project(
        &self,
        municipality: &MunicipalityId,
        round: i64,
        project: &NewBudgetProject,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        if Self::lock_round(t, municipality, round).await? != BudgetStatus::Draft {
            return Err(conflict("budget_not_draft"));
        }
        let id = Self::insert_project(t, round, project, Feasibility::Pending).await?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::BudgetProject,
            &format!("budget:{round}:project:{id}"),
            None,
            Some(serde_json::json!({
                "code": project.code, "cost": project.cost,
                "proposed_by": project.proposed_by.code(),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn judge_budget_project(
        &self,
        municipality: &MunicipalityId,
        round: i64,
        project: i64,
        feasibility: Feasibility,
        reason: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        if Self::lock_round(t, municipality, round).await? != BudgetStatus::Draft {
            return Err(conflict("budget_not_draft"));
        }
        let before = fetch_all!(tx t, (String, String),
            "SELECT feasibility, feasibility_reason FROM budget_project
             WHERE id = $1 AND round_id = $2",
            project, round)?;
        let Some((was, was_reason)) = before.into_iter().next() else {
            return Err(StoreError::NotFound(Message::new(
                "budget_project_not_found",
            )));
        };
        exec!(
            t,
            "UPDATE budget_project SET feasibility = $2, feasibility_reason = $3 WHERE id = $1",
            project,
            feasibility.code(),
            reason
        )?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::BudgetFeasibility,
            &format!("budget:{round}:project:{project}"),
            Some(serde_json::json!({"feasibility": was, "reason": was_reason})),
            Some(serde_json::json!({"feasibility": feasibility.code(), "reason": reason})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn open_budget_round(
        &self,
        municipality: &MunicipalityId,
        round: i64,
        lot: &[i64],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        if Self::lock_round(t, municipality, round).await? != BudgetStatus::Draft {
            return Err(conflict("budget_not_draft"));
        }
        let feasible = fetch_all!(tx t, (i64,),
            "SELECT id FROM budget_project WHERE round_id = $1 AND feasibility = 'feasible'
             ORDER BY id",
            round)?;
        let mut drawn = lot.to_vec();
        drawn.sort_unstable();
        if feasible.is_empty() || drawn != feasible.into_iter().map(|(id,)| id).collect::<Vec<_>>()
        {
            return Err(conflict("budget_lot_not_the_ballot"));
        }
        let text = lot.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        exec!(
            t,
            "UPDATE budget_round SET status = 'open', lot = $2, opened_at = $3 WHERE id = $1",
            round,
            &text,
            actor.at.to_string()
        )?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::BudgetOpen,
            &format!("budget:{round}"),
            None,
            Some(serde_json::json!({"lot": text})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_budget_codes(
        &self,
        municipality: &MunicipalityId,
        round: i64,
        code_hashes: &[String],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        if Self::lock_round(t, municipality, round).await? == BudgetStatus::Counted {
            return Err(conflict("budget_counted"));
        }
        let at = actor.at.to_string();
        // Many rows per statement: each statement is a round trip to PostgreSQL, and a
        // municipality prints codes by the ten thousand. 3 binds a row, well within both
        // backends' limits on binds per statement.
        for chunk in code_hashes.chunks(5_000) {
            crate::on_tx!(t, t => {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO budget_voter (round_id, code_hash, created_at) ",
                );
                insert.push_values(chunk, |mut row, hash| {
                    row.push_bind(round).push_bind(hash.as_str()).push_bind(at.as_str());
                });
                insert
                    .build()
                    .execute(&mut **t)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err(crate::db)
            })?;
        }
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::BudgetCodes,
            &format!("budget:{round}"),
            None,
            Some(serde_json::json!({"codes": code_hashes.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok(code_hashes.len())
    }

    async fn cast_budget_ballots(
        &self,
        ballots: &[NewBudgetBallot],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        // Each round's status is read once per batch, inside the transaction that writes.
        let mut open: std::collections::HashMap<i64, bool> = std::collections::HashMap::new();
        for b in ballots {
            if let std::collections::hash_map::Entry::Vacant(slot) = open.entry(b.round) {
                let status = fetch_all!(tx t, (String,),
                    "SELECT status FROM budget_round WHERE id = $1", b.round)?;
                slot.insert(status.first().is_some_and(|(s,)| s == "open"));
            }
        }
        // The codes are used up first, a round's at once (a statement is a round trip to
        // PostgreSQL): of two ballots on one code, only the first finds it unused.
        let at = ballots
            .first()
            .map(|b| b.at.to_string())
            .unwrap_or_default();
        let mut claimed: std::collections::HashSet<(i64, &str)> = std::collections::HashSet::new();
        let rounds: std::collections::BTreeSet<i64> = ballots
            .iter()
            .filter(|b| open.get(&b.round) == Some(&true))
            .map(|b| b.round)
            .collect();
        for &round in &rounds {
            let hashes: Vec<&str> = ballots
                .iter()
                .filter(|b| b.round == round)
                .map(|b| b.code_hash.as_str())
                .collect();
            for chunk in hashes.chunks(1_000) {
                let used: Vec<(String,)> = crate::on_tx!(t, t => {
                    let mut update = sqlx::QueryBuilder::new("UPDATE budget_voter SET voted_at = ");
                    update.push_bind(at.as_str());
                    update.push(" WHERE round_id = ");
                    update.push_bind(round);
                    update.push(" AND voted_at IS NULL AND code_hash IN (");
                    let mut list = update.separated(", ");
                    for h in chunk {
                        list.push_bind(*h);
                    }
                    update.push(") RETURNING code_hash");
                    update
                        .build_query_as::<(String,)>()
                        .fetch_all(&mut **t)
                        .await
                        .map_err(crate::db)
                })?;
                for (hash,) in used {
                    if let Some(b) = ballots
                        .iter()
                        .find(|b| b.round == round && b.code_hash == hash)
                    {
                        claimed.insert((round, b.code_hash.as_str()));
                    }
                }
            }
        }
        let mut outcomes = Vec::with_capacity(ballots.len());
        let mut taken: Vec<&NewBudgetBallot> = Vec::with_capacity(ballots.len());
        for b in ballots {
            if open.get(&b.round) != Some(&true) {
                outcomes.push(Err(conflict("budget_not_open")));
            } else if claimed.remove(&(b.round, b.code_hash.as_str())) {
                taken.push(b);
                outcomes.push(Ok(()));
            } else {
                let known = fetch_all!(tx t, (i64,),
                    "SELECT id FROM budget_voter WHERE code_hash = $1 AND round_id = $2",
                    &b.code_hash, b.round)?;
                outcomes.push(Err(if known.is_empty() {
                    StoreError::NotFound(Message::new("budget_code_unknown"))
                } else {
                    conflict("budget_code_used")
                }));
            }
        }
        // The batch's ballots in statements of many rows: each statement is a round trip to
        // PostgreSQL. 4 binds a row.
        for chunk in taken.chunks(1_000) {
            crate::on_tx!(t, t => {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO budget_ballot (round_id, choices, area, cast_on) ",
                );
                insert.push_values(chunk, |mut row, b| {
                    row.push_bind(b.round)
                        .push_bind(choices_json(&b.choices))
                        .push_bind(b.area.as_str())
                        .push_bind(b.at.local_date_text());
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

    async fn budget_ballots(
        &self,
        municipality: &MunicipalityId,
        round: i64,
    ) -> Result<Vec<StoredBudgetBallot>, StoreError> {
        let rows = fetch_all!(pool self, (String, String, String),
            "SELECT b.choices, b.area, b.cast_on FROM budget_ballot b
             JOIN budget_round r ON r.id = b.round_id
             WHERE b.round_id = $1 AND r.municipality_id = $2 ORDER BY b.id",
            round, municipality.as_str())?;
        rows.into_iter()
            .map(|(choices, area, cast_on)| {
                Ok(StoredBudgetBallot {
                    choices: serde_json::from_str(&choices).map_err(invalid)?,
                    area,
                    cast_on,
                })
            })
            .collect()
    }

    async fn count_budget_round(
        &self,
        municipality: &MunicipalityId,
        round: i64,
        result: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        if Self::lock_round(t, municipality, round).await? != BudgetStatus::Open {
            return Err(conflict("budget_not_open"));
        }
        exec!(
            t,
            "UPDATE budget_round SET status = 'counted', result = $2, counted_at = $3
             WHERE id = $1",
            round,
            result,
            actor.at.to_string()
        )?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::BudgetCount,
            &format!("budget:{round}"),
            None,
            Some(serde_json::json!({"bytes": result.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
