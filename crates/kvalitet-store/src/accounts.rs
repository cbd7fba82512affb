//! People, roles, sessions, the audit trail, and what people change by hand: own measures,
//! drafts and comments. Every change writes its audit event in the same transaction, so there
//! is no change without its record and no record without its change.

use kvalitet_app::ports::{
    Acceptor, Actor, AuditEvent, AuditRecord, Comment, Draft, NewUser, SessionRecord, StoreError,
    UserRecord,
};
use kvalitet_domain::access::AttemptLimit;
use kvalitet_domain::{
    AreaId, Datum, Gender, Grants, Measure, MeasureId, MeasureOrigin, MeasureProfile,
    MissingStatus, MunicipalityId, Role, ValueKey, ValueRow, Year,
};

use crate::{SqlStore, Tx, exec, fetch_all, on_tx};

fn invalid(what: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("stored data is not valid: {what}"))
}

/// Writes one audit event inside the change's transaction.
pub(crate) async fn audit(
    tx: &mut Tx,
    actor: &Actor,
    municipality: Option<&MunicipalityId>,
    action: &str,
    object: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), StoreError> {
    exec!(
        tx,
        "INSERT INTO audit_event (at, actor, municipality_id, action, object, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &actor.at,
        &actor.who,
        municipality.map(|m| m.to_string()),
        action,
        object,
        before.map(|v| v.to_string()),
        after.map(|v| v.to_string())
    )?;
    Ok(())
}

type UserRow = (i64, String, String, String, bool, String);
const USER_COLUMNS: &str =
    "SELECT id, email, name, password_hash, system_admin, created_at FROM app_user";

async fn with_grants(store: &SqlStore, rows: Vec<UserRow>) -> Result<Vec<UserRecord>, StoreError> {
    let memberships = match rows.as_slice() {
        // One person (a login or a session): only their memberships.
        [one] => fetch_all!(pool store, (i64, String, String),
            "SELECT user_id, municipality_id, role FROM membership WHERE user_id = $1 ORDER BY municipality_id", one.0)?,
        _ => fetch_all!(pool store, (i64, String, String),
            "SELECT user_id, municipality_id, role FROM membership ORDER BY municipality_id")?,
    };
    rows.into_iter()
        .map(
            |(id, email, name, password_hash, system_admin, created_at)| {
                let roles = memberships
                    .iter()
                    .filter(|(u, _, _)| *u == id)
                    .map(|(_, m, r)| {
                        Ok((
                            MunicipalityId::parse(m).map_err(invalid)?,
                            Role::parse(r).ok_or_else(|| invalid(r))?,
                        ))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                Ok(UserRecord {
                    id,
                    email,
                    name,
                    password_hash,
                    grants: Grants {
                        system_admin,
                        roles,
                    },
                    created_at,
                })
            },
        )
        .collect()
}

pub(crate) async fn create_user(
    store: &SqlStore,
    user: &NewUser,
    actor: &Actor,
) -> Result<i64, StoreError> {
    let mut tx = store.begin().await?;
    let t = &mut tx;
    let taken = fetch_all!(tx t, (i64,), "SELECT id FROM app_user WHERE email = $1", &user.email)?;
    if !taken.is_empty() {
        return Err(StoreError::Invalid(format!(
            "{} already has an account",
            user.email
        )));
    }
    let id = fetch_all!(tx t, (i64,),
        "INSERT INTO app_user (email, name, password_hash, system_admin, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        &user.email, &user.name, &user.password_hash, user.system_admin, &actor.at)?;
    let id = id
        .first()
        .map(|r| r.0)
        .ok_or_else(|| invalid("no id returned"))?;
    audit(t, actor, None, "user.create", &format!("user:{}", user.email), None,
        Some(serde_json::json!({"email": user.email, "name": user.name, "system_admin": user.system_admin}))).await?;
    tx.commit().await?;
    Ok(id)
}

pub(crate) async fn user_by_email(
    store: &SqlStore,
    email: &str,
) -> Result<Option<UserRecord>, StoreError> {
    let sql = format!("{USER_COLUMNS} WHERE email = $1");
    let rows = fetch_all!(pool store, UserRow, sqlx::AssertSqlSafe(sql.as_str()), email)?;
    Ok(with_grants(store, rows).await?.into_iter().next())
}

pub(crate) async fn users(store: &SqlStore) -> Result<Vec<UserRecord>, StoreError> {
    let sql = format!("{USER_COLUMNS} ORDER BY email");
    let rows = fetch_all!(pool store, UserRow, sqlx::AssertSqlSafe(sql.as_str()))?;
    with_grants(store, rows).await
}

async fn email_of(t: &mut Tx, user: i64) -> Result<String, StoreError> {
    fetch_all!(tx t, (String,), "SELECT email FROM app_user WHERE id = $1", user)?
        .into_iter()
        .next()
        .map(|r| r.0)
        .ok_or_else(|| StoreError::NotFound(format!("user {user}")))
}

pub(crate) async fn set_role(
    store: &SqlStore,
    user: i64,
    municipality: &MunicipalityId,
    role: Option<Role>,
    actor: &Actor,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    let t = &mut tx;
    let email = email_of(t, user).await?;
    let known = fetch_all!(tx t, (String,), "SELECT id FROM municipality WHERE id = $1", municipality.as_str())?;
    if known.is_empty() {
        return Err(StoreError::NotFound(format!("municipality {municipality}")));
    }
    let before = fetch_all!(tx t, (String,),
        "SELECT role FROM membership WHERE user_id = $1 AND municipality_id = $2", user, municipality.as_str())?
        .into_iter()
        .next()
        .map(|r| r.0);
    match role {
        Some(r) => exec!(
            t,
            "INSERT INTO membership (user_id, municipality_id, role) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, municipality_id) DO UPDATE SET role = excluded.role",
            user,
            municipality.as_str(),
            r.code()
        )?,
        None => exec!(
            t,
            "DELETE FROM membership WHERE user_id = $1 AND municipality_id = $2",
            user,
            municipality.as_str()
        )?,
    };
    audit(
        t,
        actor,
        Some(municipality),
        "role.set",
        &format!("user:{email}"),
        before.map(|b| serde_json::json!({"role": b})),
        role.map(|r| serde_json::json!({"role": r.code()})),
    )
    .await?;
    tx.commit().await
}

pub(crate) async fn set_password(
    store: &SqlStore,
    user: i64,
    hash: &str,
    actor: &Actor,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    let t = &mut tx;
    let email = email_of(t, user).await?;
    exec!(
        t,
        "UPDATE app_user SET password_hash = $1 WHERE id = $2",
        hash,
        user
    )?;
    exec!(t, "DELETE FROM session WHERE user_id = $1", user)?;
    audit(
        t,
        actor,
        None,
        "user.password",
        &format!("user:{email}"),
        None,
        None,
    )
    .await?;
    tx.commit().await
}

/// Counts one attempt against every key in one transaction; rolls back and answers the
/// window start of the full keys when any was already at its limit. Each upsert takes the
/// key's row lock (PostgreSQL) or runs under the single writer (SQLite), so parallel
/// attempts are counted one after another.
pub(crate) async fn reserve_attempt(
    store: &SqlStore,
    limits: &[AttemptLimit],
    now: &str,
    expired: &str,
) -> Result<Option<String>, StoreError> {
    let mut tx = store.begin().await?;
    let t = &mut tx;
    // Windows over long ago are forgotten as new attempts come.
    exec!(
        t,
        "DELETE FROM login_throttle WHERE window_start <= $1",
        expired
    )?;
    let mut full: Option<String> = None;
    for l in limits {
        let counted = fetch_all!(tx t, (i64, String),
            "INSERT INTO login_throttle (key, window_start, attempts) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
                attempts = CASE WHEN login_throttle.window_start <= $3 THEN 1 ELSE login_throttle.attempts + 1 END,
                window_start = CASE WHEN login_throttle.window_start <= $3 THEN excluded.window_start ELSE login_throttle.window_start END
             RETURNING attempts, window_start",
            &l.key, now, expired)?;
        if let Some((attempts, start)) = counted.into_iter().next()
            && attempts > i64::from(l.limit)
            && full.as_ref().is_none_or(|f| start > *f)
        {
            full = Some(start);
        }
    }
    match full {
        // Dropping the transaction rolls it back: nothing is counted.
        Some(start) => Ok(Some(start)),
        None => {
            tx.commit().await?;
            Ok(None)
        }
    }
}

pub(crate) async fn release_attempt(store: &SqlStore, keys: &[String]) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    let t = &mut tx;
    for key in keys {
        exec!(
            t,
            "UPDATE login_throttle SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
            key
        )?;
    }
    tx.commit().await
}

pub(crate) async fn create_session(
    store: &SqlStore,
    token_hash: &str,
    user: i64,
    csrf: &str,
    created_at: &str,
    expires_at: &str,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    let t = &mut tx;
    // Expired sessions are cleared as new ones begin.
    exec!(t, "DELETE FROM session WHERE expires_at < $1", created_at)?;
    exec!(
        t,
        "INSERT INTO session (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        token_hash,
        user,
        csrf,
        created_at,
        expires_at
    )?;
    tx.commit().await
}

pub(crate) async fn session(
    store: &SqlStore,
    token_hash: &str,
    now: &str,
) -> Result<Option<SessionRecord>, StoreError> {
    let rows = fetch_all!(pool store, (i64, String, String),
        "SELECT user_id, csrf_token, expires_at FROM session WHERE token_hash = $1 AND expires_at > $2", token_hash, now)?;
    let Some((user, csrf_token, expires_at)) = rows.into_iter().next() else {
        return Ok(None);
    };
    let sql = format!("{USER_COLUMNS} WHERE id = $1");
    let users = fetch_all!(pool store, UserRow, sqlx::AssertSqlSafe(sql.as_str()), user)?;
    Ok(with_grants(store, users)
        .await?
        .into_iter()
        .next()
        .map(|user| SessionRecord {
            user,
            csrf_token,
            expires_at,
        }))
}

pub(crate) async fn delete_session(store: &SqlStore, token_hash: &str) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    let t = &mut tx;
    exec!(t, "DELETE FROM session WHERE token_hash = $1", token_hash)?;
    tx.commit().await
}

pub(crate) async fn audit_events(
    store: &SqlStore,
    municipality: Option<&MunicipalityId>,
    limit: u32,
) -> Result<Vec<AuditEvent>, StoreError> {
    type Row = (
        i64,
        String,
        String,
        Option<String>,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let rows = match municipality {
        Some(m) => fetch_all!(pool store, Row,
            "SELECT id, at, actor, municipality_id, action, object, before, after FROM audit_event
             WHERE municipality_id = $1 ORDER BY id DESC LIMIT $2", m.as_str(), i64::from(limit))?,
        None => fetch_all!(pool store, Row,
            "SELECT id, at, actor, municipality_id, action, object, before, after FROM audit_event
             ORDER BY id DESC LIMIT $1", i64::from(limit))?,
    };
    Ok(rows
        .into_iter()
        .map(
            |(id, at, actor, municipality, action, object, before, after)| AuditEvent {
                id,
                at,
                actor,
                municipality,
                action,
                object,
                before,
                after,
            },
        )
        .collect())
}

/// Writes an audit record carried by an import.
pub(crate) async fn audit_record(tx: &mut Tx, r: &AuditRecord) -> Result<(), StoreError> {
    audit(
        tx,
        &r.actor,
        r.municipality.as_ref(),
        &r.action,
        &r.object,
        r.before.clone(),
        r.after.clone(),
    )
    .await
}

pub(crate) async fn define_own_measure(
    store: &SqlStore,
    measure: &Measure,
    profile: &MeasureProfile,
    actor: &Actor,
) -> Result<(), StoreError> {
    let MeasureOrigin::Own(owner) = measure.origin else {
        return Err(StoreError::Invalid(format!(
            "{} is not a municipality's own measure",
            measure.id
        )));
    };
    let mut tx = store.begin().await?;
    let t = &mut tx;
    let before = fetch_all!(tx t, (String, String, Option<String>),
        "SELECT title, description, owner_municipality FROM measure WHERE id = $1", measure.id.as_str())?
        .into_iter()
        .next();
    if let Some((_, _, existing_owner)) = &before
        && existing_owner.as_deref() != Some(owner.as_str())
    {
        return Err(StoreError::Invalid(format!(
            "measure {} belongs to someone else",
            measure.id
        )));
    }
    exec!(t,
        "INSERT INTO measure (id, title, description, unit, direction, source_kind, owner_municipality,
             is_divided_by_gender, has_ou_data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description,
             unit = excluded.unit, direction = excluded.direction, is_divided_by_gender = excluded.is_divided_by_gender",
        measure.id.as_str(), &measure.title, &measure.description, measure.unit.clone(), measure.direction.code(),
        measure.source_kind.code(), owner.as_str(), measure.kolada.is_divided_by_gender)?;
    exec!(t,
        "INSERT INTO measure_profile (measure_id, direction, decimals, unit, unit_en, question, question_en)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (measure_id) DO UPDATE SET direction = excluded.direction, decimals = excluded.decimals,
            unit = excluded.unit, unit_en = excluded.unit_en, question = excluded.question, question_en = excluded.question_en",
        profile.measure.as_str(), profile.direction.code(), i64::from(profile.decimals), profile.unit.clone(),
        profile.unit_en.clone(), &profile.question, profile.question_en.clone())?;
    // A definition changes what residents see: count it as a data change for the caches.
    bump_version(t, &actor.who, &actor.at, "measure").await?;
    audit(t, actor, Some(&owner), "measure.define", &format!("measure:{}", measure.id),
        before.map(|(title, description, _)| serde_json::json!({"title": title, "description": description})),
        Some(serde_json::json!({"title": measure.title, "description": measure.description,
            "question": profile.question, "unit": profile.unit, "direction": profile.direction.code(), "decimals": profile.decimals}))).await?;
    tx.commit().await
}

/// Records a change that is not an import of values, so cached pages are made anew.
async fn bump_version(t: &mut Tx, who: &str, at: &str, what: &str) -> Result<(), StoreError> {
    exec!(
        t,
        "INSERT INTO import_batch (source, format, imported_at) VALUES ($1, $2, $3)",
        format!("{what} by {who}"),
        what,
        at
    )?;
    Ok(())
}

/// Rows per multi-row statement: few round trips, far below either backend's parameter limit.
const DRAFT_BATCH: usize = 500;

/// `(?, ?, ...), (...)` for SQLite or `($1, $2, ...), (...)` for PostgreSQL.
fn placeholders(tx: &Tx, rows: usize, per_row: usize) -> String {
    let numbered = matches!(tx, Tx::Postgres(_));
    let mut sql = String::with_capacity(rows * per_row * 4);
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ",(" });
        for c in 0..per_row {
            if c > 0 {
                sql.push(',');
            }
            if numbered {
                sql.push_str(&format!("${}", r * per_row + c + 1));
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

pub(crate) async fn save_drafts(
    store: &SqlStore,
    municipality: &MunicipalityId,
    rows: &[ValueRow],
    actor: &Actor,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    for r in rows {
        if r.key.area != AreaId::Municipality(*municipality) {
            return Err(StoreError::Invalid(format!(
                "a draft of {} is not {municipality}'s",
                r.key.area
            )));
        }
        if r.datum == Datum::Deleted {
            return Err(StoreError::Invalid("a draft cannot delete".into()));
        }
    }
    for chunk in rows.chunks(DRAFT_BATCH) {
        let sql = format!(
            "INSERT INTO draft_value (measure_id, area_id, year, gender, value, status, updated_by, updated_at) VALUES {}
             ON CONFLICT (measure_id, area_id, year, gender) DO UPDATE SET value = excluded.value,
                status = excluded.status, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            placeholders(&tx, chunk.len(), 8)
        );
        on_tx!(&mut tx, t => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for r in chunk {
                let (value, status) = match r.datum {
                    Datum::Number(x) => (Some(x), None),
                    Datum::Missing(s) => (None, Some(s.code())),
                    Datum::Deleted => (None, None),
                };
                q = q.bind(r.key.measure.as_str()).bind(r.key.area.as_str()).bind(i64::from(r.key.year.get()))
                    .bind(r.key.gender.code()).bind(value).bind(status).bind(actor.who.as_str()).bind(actor.at.as_str());
            }
            q.execute(&mut **t).await.map_err(crate::db)?;
        });
    }
    let t = &mut tx;
    let mut measures: Vec<String> = rows.iter().map(|r| r.key.measure.to_string()).collect();
    measures.sort();
    measures.dedup();
    audit(
        t,
        actor,
        Some(municipality),
        "values.draft",
        &format!("measures:{}", measures.join(",")),
        None,
        Some(serde_json::json!({"rows": rows.len()})),
    )
    .await?;
    tx.commit().await
}

pub(crate) async fn drafts(
    store: &SqlStore,
    municipality: &MunicipalityId,
) -> Result<Vec<Draft>, StoreError> {
    type Row = (
        String,
        String,
        i64,
        String,
        Option<f64>,
        Option<String>,
        String,
        String,
    );
    let rows = fetch_all!(pool store, Row,
        "SELECT measure_id, area_id, year, gender, value, status, updated_by, updated_at FROM draft_value
         WHERE area_id = $1 ORDER BY measure_id, year, gender", municipality.as_str())?;
    rows.into_iter()
        .map(
            |(measure, area, year, gender, value, status, updated_by, updated_at)| {
                let datum = match (value, status) {
                    (Some(x), _) => Datum::Number(x),
                    (None, Some(s)) => Datum::Missing(MissingStatus::parse(&s).map_err(invalid)?),
                    (None, None) => return Err(invalid("a draft with neither number nor status")),
                };
                Ok(Draft {
                    row: ValueRow {
                        key: ValueKey {
                            measure: MeasureId::parse(&measure).map_err(invalid)?,
                            area: AreaId::parse(&area).map_err(invalid)?,
                            year: Year::new(year).map_err(invalid)?,
                            gender: Gender::parse(&gender).map_err(invalid)?,
                        },
                        datum,
                        count: None,
                    },
                    updated_by,
                    updated_at,
                })
            },
        )
        .collect()
}

/// Removes drafts that are being published, each only if it is still exactly as read; fails
/// with `Conflict` (the caller's transaction then rolls back) when any is not. On PostgreSQL
/// a concurrent publish waits for this one's row locks and then finds nothing to take.
pub(crate) async fn take_drafts(tx: &mut Tx, drafts: &[Draft]) -> Result<(), StoreError> {
    for chunk in drafts.chunks(DRAFT_BATCH) {
        let numbered = matches!(tx, Tx::Postgres(_));
        let mut n = 0;
        let mut p = || {
            n += 1;
            if numbered {
                format!("${n}")
            } else {
                "?".to_owned()
            }
        };
        let conditions: Vec<String> = chunk
            .iter()
            .map(|_| {
                format!(
                    "(measure_id = {} AND area_id = {} AND year = {} AND gender = {} AND value IS NOT DISTINCT FROM {} \
                     AND status IS NOT DISTINCT FROM {} AND updated_by = {} AND updated_at = {})",
                    p(), p(), p(), p(), p(), p(), p(), p()
                )
            })
            .collect();
        let sql = format!("DELETE FROM draft_value WHERE {}", conditions.join(" OR "));
        let taken = on_tx!(tx, t => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for d in chunk {
                let k = d.row.key;
                let (value, status) = match d.row.datum {
                    Datum::Number(x) => (Some(x), None),
                    Datum::Missing(s) => (None, Some(s.code())),
                    Datum::Deleted => (None, None),
                };
                q = q.bind(k.measure.as_str()).bind(k.area.as_str()).bind(i64::from(k.year.get())).bind(k.gender.code())
                    .bind(value).bind(status).bind(d.updated_by.as_str()).bind(d.updated_at.as_str());
            }
            q.execute(&mut **t).await.map_err(crate::db)?.rows_affected()
        });
        if taken != chunk.len() as u64 {
            return Err(StoreError::Conflict(
                "the drafts changed while they were being published (a new upload or another publish); nothing was published".into(),
            ));
        }
    }
    Ok(())
}

pub(crate) async fn set_comment(
    store: &SqlStore,
    measure: &MeasureId,
    municipality: &MunicipalityId,
    year: Year,
    body: Option<&str>,
    actor: &Actor,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    let t = &mut tx;
    let before = fetch_all!(tx t, (String,),
        "SELECT body FROM measure_comment WHERE measure_id = $1 AND municipality_id = $2 AND year = $3",
        measure.as_str(), municipality.as_str(), i64::from(year.get()))?
        .into_iter()
        .next()
        .map(|r| r.0);
    match body {
        Some(text) => exec!(t,
            "INSERT INTO measure_comment (measure_id, municipality_id, year, body, author, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (measure_id, municipality_id, year) DO UPDATE SET body = excluded.body,
                author = excluded.author, updated_at = excluded.updated_at",
            measure.as_str(), municipality.as_str(), i64::from(year.get()), text, &actor.who, &actor.at)?,
        None => exec!(t, "DELETE FROM measure_comment WHERE measure_id = $1 AND municipality_id = $2 AND year = $3",
            measure.as_str(), municipality.as_str(), i64::from(year.get()))?,
    };
    bump_version(t, &actor.who, &actor.at, "comment").await?;
    audit(
        t,
        actor,
        Some(municipality),
        "comment.set",
        &format!("comment:{measure}:{year}"),
        before.map(|b| serde_json::json!({"body": b})),
        body.map(|b| serde_json::json!({"body": b})),
    )
    .await?;
    tx.commit().await
}

/// Puts a note before the comment on a measure and year (or makes it the comment), unless
/// the comment already holds it; inside the caller's transaction.
pub(crate) async fn add_note(
    tx: &mut Tx,
    measure: &MeasureId,
    municipality: &MunicipalityId,
    year: Year,
    note: &str,
    author: &str,
    at: &str,
) -> Result<(), StoreError> {
    let before = fetch_all!(tx tx, (String,),
        "SELECT body FROM measure_comment WHERE measure_id = $1 AND municipality_id = $2 AND year = $3",
        measure.as_str(), municipality.as_str(), i64::from(year.get()))?
        .into_iter()
        .next()
        .map(|r| r.0);
    let body = match before {
        Some(b) if b.contains(note) => return Ok(()),
        Some(b) => format!("{note}\n\n{b}"),
        None => note.to_owned(),
    };
    exec!(
        tx,
        "INSERT INTO measure_comment (measure_id, municipality_id, year, body, author, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (measure_id, municipality_id, year) DO UPDATE SET body = excluded.body,
            author = excluded.author, updated_at = excluded.updated_at",
        measure.as_str(),
        municipality.as_str(),
        i64::from(year.get()),
        body,
        author,
        at
    )?;
    Ok(())
}

pub(crate) async fn comments(
    store: &SqlStore,
    measure: &MeasureId,
    municipality: &MunicipalityId,
) -> Result<Vec<Comment>, StoreError> {
    let rows = fetch_all!(pool store, (i64, String, String, String),
        "SELECT year, body, author, updated_at FROM measure_comment WHERE measure_id = $1 AND municipality_id = $2
         ORDER BY year DESC", measure.as_str(), municipality.as_str())?;
    Ok(rows
        .into_iter()
        .map(|(year, body, author, updated_at)| Comment {
            year: year as i16,
            body,
            author,
            updated_at,
        })
        .collect())
}

pub(crate) async fn create_invitation(
    store: &SqlStore,
    token_hash: &str,
    email: &str,
    municipality: &MunicipalityId,
    role: Role,
    expires_at: &str,
    actor: &Actor,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    let t = &mut tx;
    exec!(t,
        "INSERT INTO invitation (token_hash, email, municipality_id, role, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        token_hash, email, municipality.as_str(), role.code(), &actor.who, &actor.at, expires_at)?;
    audit(
        t,
        actor,
        Some(municipality),
        "invitation.create",
        &format!("user:{email}"),
        None,
        Some(serde_json::json!({"role": role.code(), "expires_at": expires_at})),
    )
    .await?;
    tx.commit().await
}

pub(crate) async fn invitation(
    store: &SqlStore,
    token_hash: &str,
    now: &str,
) -> Result<Option<(String, MunicipalityId, Role)>, StoreError> {
    let rows = fetch_all!(pool store, (String, String, String),
        "SELECT email, municipality_id, role FROM invitation
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2", token_hash, now)?;
    rows.into_iter()
        .next()
        .map(|(email, m, role)| {
            Ok((
                email,
                MunicipalityId::parse(&m).map_err(invalid)?,
                Role::parse(&role).ok_or_else(|| invalid(&role))?,
            ))
        })
        .transpose()
}

/// Uses an invitation: creates the account, or gives the role to the invited address's own
/// account when its logged-in owner accepts; marks the invitation used and audits, in one
/// transaction. Returns the address. An account is never changed by someone else's click.
pub(crate) async fn accept_invitation(
    store: &SqlStore,
    token_hash: &str,
    acceptor: Acceptor<'_>,
    now: &str,
) -> Result<String, StoreError> {
    let mut tx = store.begin().await?;
    let t = &mut tx;
    let found = fetch_all!(tx t, (String, String, String),
        "SELECT email, municipality_id, role FROM invitation
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2", token_hash, now)?;
    let Some((email, municipality, role)) = found.into_iter().next() else {
        return Err(StoreError::NotFound(
            "the invitation is used, expired or unknown".into(),
        ));
    };
    let municipality = MunicipalityId::parse(&municipality).map_err(invalid)?;
    let actor = Actor {
        who: email.clone(),
        at: now.to_owned(),
    };
    let existing = fetch_all!(tx t, (i64,), "SELECT id FROM app_user WHERE email = $1", &email)?;
    let id = match (existing.first(), acceptor) {
        (Some((id,)), Acceptor::Existing { user }) if *id == user => *id,
        (_, Acceptor::Existing { .. }) => {
            return Err(StoreError::Conflict(format!(
                "the invitation is for {email}; log in as that account to accept it"
            )));
        }
        (Some(_), Acceptor::NewAccount { .. }) => {
            return Err(StoreError::Conflict(format!(
                "{email} already has an account; log in as it to accept the invitation"
            )));
        }
        (
            None,
            Acceptor::NewAccount {
                name,
                password_hash,
            },
        ) => {
            let id = fetch_all!(tx t, (i64,),
                "INSERT INTO app_user (email, name, password_hash, system_admin, created_at) VALUES ($1, $2, $3, FALSE, $4) RETURNING id",
                &email, name, password_hash, now)?;
            audit(
                t,
                &actor,
                Some(&municipality),
                "user.create",
                &format!("user:{email}"),
                None,
                Some(serde_json::json!({"email": email, "name": name, "system_admin": false})),
            )
            .await?;
            id.first()
                .map(|r| r.0)
                .ok_or_else(|| invalid("no id returned"))?
        }
    };
    exec!(
        t,
        "INSERT INTO membership (user_id, municipality_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, municipality_id) DO UPDATE SET role = excluded.role",
        id,
        municipality.as_str(),
        &role
    )?;
    exec!(
        t,
        "UPDATE invitation SET used_at = $1 WHERE token_hash = $2",
        now,
        token_hash
    )?;
    audit(
        t,
        &actor,
        Some(&municipality),
        "invitation.accept",
        &format!("user:{email}"),
        None,
        Some(serde_json::json!({"role": role})),
    )
    .await?;
    tx.commit().await?;
    Ok(email)
}
