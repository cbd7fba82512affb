//! The accounts port: people, their roles, sessions, login attempt counts and invitations.
//! Every change writes its audit event in the same transaction.

use kvalitet_app::ports::{
    Acceptor, Accounts, Actor, Invitation, NewUser, SessionRecord, StoreError, UserRecord,
};
use kvalitet_domain::Timestamp;
use kvalitet_domain::access::AttemptLimit;
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::{Grants, MunicipalityId, Role, UserId};

use crate::audit::audit;
use crate::{SqlStore, Tx, exec, fetch_all, invalid, moment};

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
                    id: UserId(id),
                    email,
                    name,
                    password_hash,
                    grants: Grants {
                        system_admin,
                        roles,
                    },
                    created_at: moment(&created_at)?,
                })
            },
        )
        .collect()
}

async fn email_of(t: &mut Tx, user: i64) -> Result<String, StoreError> {
    fetch_all!(tx t, (String,), "SELECT email FROM app_user WHERE id = $1", user)?
        .into_iter()
        .next()
        .map(|r| r.0)
        .ok_or_else(|| {
            StoreError::NotFound(kvalitet_domain::Message::new("user_not_found").with("id", user))
        })
}

impl Accounts for SqlStore {
    async fn create_user(&self, user: &NewUser, actor: &Actor) -> Result<UserId, StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let taken =
            fetch_all!(tx t, (i64,), "SELECT id FROM app_user WHERE email = $1", &user.email)?;
        if !taken.is_empty() {
            return Err(StoreError::Invalid(
                kvalitet_domain::Message::new("has_account").with("email", &user.email),
            ));
        }
        let id = fetch_all!(tx t, (i64,),
        "INSERT INTO app_user (email, name, password_hash, system_admin, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        &user.email, &user.name, &user.password_hash, user.system_admin, actor.at.to_string())?;
        let id = id
            .first()
            .map(|r| r.0)
            .ok_or_else(|| invalid("no id returned"))?;
        audit(t, actor, None, AuditAction::UserCreate, &format!("user:{}", user.email), None,
        Some(serde_json::json!({"email": user.email, "name": user.name, "system_admin": user.system_admin}))).await?;
        tx.commit().await?;
        Ok(UserId(id))
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        let sql = format!("{USER_COLUMNS} WHERE email = $1");
        let rows = fetch_all!(pool self, UserRow, sqlx::AssertSqlSafe(sql.as_str()), email)?;
        Ok(with_grants(self, rows).await?.into_iter().next())
    }

    async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let sql = format!("{USER_COLUMNS} ORDER BY email");
        let rows = fetch_all!(pool self, UserRow, sqlx::AssertSqlSafe(sql.as_str()))?;
        with_grants(self, rows).await
    }

    async fn set_role(
        &self,
        user: UserId,
        municipality: &MunicipalityId,
        role: Option<Role>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let user = user.0;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let email = email_of(t, user).await?;
        let known = fetch_all!(tx t, (String,), "SELECT id FROM municipality WHERE id = $1", municipality.as_str())?;
        if known.is_empty() {
            return Err(StoreError::NotFound(
                kvalitet_domain::Message::new("unknown_municipality").with("id", municipality),
            ));
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
            AuditAction::RoleSet,
            &format!("user:{email}"),
            before.map(|b| serde_json::json!({"role": b})),
            role.map(|r| serde_json::json!({"role": r.code()})),
        )
        .await?;
        tx.commit().await
    }

    async fn set_password(
        &self,
        user: UserId,
        hash: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let user = user.0;
        let mut tx = self.begin().await?;
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
            AuditAction::UserPassword,
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
    async fn reserve_attempt(
        &self,
        limits: &[AttemptLimit],
        now: Timestamp,
        expired: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let now = now.to_string();
        let now = now.as_str();
        let expired = expired.to_string();
        let expired = expired.as_str();
        let mut tx = self.begin().await?;
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
            Some(start) => Ok(Some(moment(&start)?)),
            None => {
                tx.commit().await?;
                Ok(None)
            }
        }
    }

    async fn release_attempt(&self, keys: &[String]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
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

    async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        csrf: &str,
        created_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        let created_at = created_at.to_string();
        let created_at = created_at.as_str();
        let expires_at = expires_at.to_string();
        let expires_at = expires_at.as_str();
        let user = user.0;
        let mut tx = self.begin().await?;
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

    async fn session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let now = now.to_string();
        let now = now.as_str();
        let rows = fetch_all!(pool self, (i64, String, String),
        "SELECT user_id, csrf_token, expires_at FROM session WHERE token_hash = $1 AND expires_at > $2", token_hash, now)?;
        let Some((user, csrf_token, expires_at)) = rows.into_iter().next() else {
            return Ok(None);
        };
        let sql = format!("{USER_COLUMNS} WHERE id = $1");
        let users = fetch_all!(pool self, UserRow, sqlx::AssertSqlSafe(sql.as_str()), user)?;
        let expires_at = moment(&expires_at)?;
        Ok(with_grants(self, users)
            .await?
            .into_iter()
            .next()
            .map(|user| SessionRecord {
                user,
                csrf_token,
                expires_at,
            }))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        exec!(t, "DELETE FROM session WHERE token_hash = $1", token_hash)?;
        tx.commit().await
    }

    async fn create_invitation(
        &self,
        token_hash: &str,
        email: &str,
        grant: Option<(MunicipalityId, Role)>,
        expires_at: Timestamp,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let expires_at = expires_at.to_string();
        let expires_at = expires_at.as_str();
        let municipality = grant.map(|g| g.0);
        let role = grant.map(|g| g.1.code());
        let mut tx = self.begin().await?;
        let t = &mut tx;
        exec!(t,
        "INSERT INTO invitation (token_hash, email, municipality_id, role, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        token_hash, email, municipality.as_ref().map(|m| m.as_str()), role, &actor.who, actor.at.to_string(), expires_at)?;
        audit(
            t,
            actor,
            municipality.as_ref(),
            AuditAction::InvitationCreate,
            &format!("user:{email}"),
            None,
            Some(serde_json::json!({"role": role, "expires_at": expires_at})),
        )
        .await?;
        tx.commit().await
    }

    async fn invitation(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Invitation>, StoreError> {
        let now = now.to_string();
        let now = now.as_str();
        let rows = fetch_all!(pool self, (String, Option<String>, Option<String>),
        "SELECT email, municipality_id, role FROM invitation
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2", token_hash, now)?;
        rows.into_iter()
            .next()
            .map(|(email, m, role)| {
                Ok(Invitation {
                    email,
                    grant: stored_grant(m.as_deref(), role.as_deref())?,
                })
            })
            .transpose()
    }

    /// Uses an invitation: creates the account, or gives the role to the invited address's own
    /// account when its logged-in owner accepts; marks the invitation used and audits, in one
    /// transaction. Returns the address. An account is never changed by someone else's click.
    async fn accept_invitation(
        &self,
        token_hash: &str,
        acceptor: Acceptor<'_>,
        at: Timestamp,
    ) -> Result<String, StoreError> {
        let now = at.to_string();
        let now = now.as_str();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let found = fetch_all!(tx t, (String, Option<String>, Option<String>),
        "SELECT email, municipality_id, role FROM invitation
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2", token_hash, now)?;
        let Some((email, municipality, role)) = found.into_iter().next() else {
            return Err(StoreError::NotFound(kvalitet_domain::Message::new(
                "invitation_gone",
            )));
        };
        let grant = stored_grant(municipality.as_deref(), role.as_deref())?;
        let municipality = grant.map(|g| g.0);
        let role = grant.map(|g| g.1.code());
        let actor = Actor {
            who: email.clone(),
            at,
        };
        let existing =
            fetch_all!(tx t, (i64,), "SELECT id FROM app_user WHERE email = $1", &email)?;
        let id = match (existing.first(), acceptor) {
            (Some((id,)), Acceptor::Existing { user }) if *id == user.0 => *id,
            (_, Acceptor::Existing { .. }) => {
                return Err(StoreError::Conflict(
                    kvalitet_domain::Message::new("invitation_for_other").with("email", &email),
                ));
            }
            (Some(_), Acceptor::NewAccount { .. }) => {
                return Err(StoreError::Conflict(
                    kvalitet_domain::Message::new("invitation_log_in_first").with("email", &email),
                ));
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
                    municipality.as_ref(),
                    AuditAction::UserCreate,
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
        if let Some((m, role)) = grant {
            exec!(
                t,
                "INSERT INTO membership (user_id, municipality_id, role) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, municipality_id) DO UPDATE SET role = excluded.role",
                id,
                m.as_str(),
                role.code()
            )?;
        }
        exec!(
            t,
            "UPDATE invitation SET used_at = $1 WHERE token_hash = $2",
            now,
            token_hash
        )?;
        audit(
            t,
            &actor,
            municipality.as_ref(),
            AuditAction::InvitationAccept,
            &format!("user:{email}"),
            None,
            Some(serde_json::json!({"role": role})),
        )
        .await?;
        tx.commit().await?;
        Ok(email)
    }
}

/// An invitation's stored municipality and role: both, or neither for an account only.
fn stored_grant(
    m: Option<&str>,
    role: Option<&str>,
) -> Result<Option<(MunicipalityId, Role)>, StoreError> {
    match (m, role) {
        (Some(m), Some(role)) => Ok(Some((
            MunicipalityId::parse(m).map_err(invalid)?,
            Role::parse(role).ok_or_else(|| invalid(role))?,
        ))),
        (None, None) => Ok(None),
        _ => Err(invalid("an invitation with a municipality but no role")),
    }
}
