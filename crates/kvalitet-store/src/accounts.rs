//! People, roles, sessions and the audit trail. Every change writes its audit event in the
//! same transaction, so there is no change without its record and no record without its change.

use kvalitet_app::ports::{Actor, AuditEvent, NewUser, SessionRecord, StoreError, UserRecord};
use kvalitet_domain::{Grants, MunicipalityId, Role};

use crate::{SqlStore, Tx, exec, fetch_all};

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

type UserRow = (
    i64,
    String,
    String,
    String,
    bool,
    i64,
    Option<String>,
    String,
);
const USER_COLUMNS: &str = "SELECT id, email, name, password_hash, system_admin, failed_logins, locked_until, created_at FROM app_user";

async fn with_grants(store: &SqlStore, rows: Vec<UserRow>) -> Result<Vec<UserRecord>, StoreError> {
    let memberships = fetch_all!(pool store, (i64, String, String),
        "SELECT user_id, municipality_id, role FROM membership ORDER BY municipality_id")?;
    rows.into_iter()
        .map(
            |(id, email, name, password_hash, system_admin, failed, locked_until, created_at)| {
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
                    failed_logins: u32::try_from(failed).unwrap_or(u32::MAX),
                    locked_until,
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
        "UPDATE app_user SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE id = $2",
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

pub(crate) async fn record_login(
    store: &SqlStore,
    user: i64,
    success: bool,
    lock_until: Option<&str>,
    at: &str,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    let t = &mut tx;
    if success {
        exec!(
            t,
            "UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE id = $1",
            user
        )?;
    } else {
        exec!(
            t,
            "UPDATE app_user SET failed_logins = failed_logins + 1, locked_until = COALESCE($1, locked_until) WHERE id = $2",
            lock_until.map(str::to_owned),
            user
        )?;
        if let Some(until) = lock_until {
            let email = email_of(t, user).await?;
            let actor = Actor {
                who: "system".into(),
                at: at.to_owned(),
            };
            audit(
                t,
                &actor,
                None,
                "user.locked",
                &format!("user:{email}"),
                None,
                Some(serde_json::json!({"locked_until": until})),
            )
            .await?;
        }
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
