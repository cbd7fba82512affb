//! Accounts: creating people, passwords (argon2id, hashed off the async threads), logging in
//! with slow-down and lockout, sessions (random tokens of which only a SHA-256 hash is stored,
//! each with its own CSRF token), roles and password changes, all audited by the store.

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use ring::rand::{SecureRandom, SystemRandom};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use kvalitet_domain::{LoginPolicy, MunicipalityId, Role};

use crate::ports::{Actor, NewUser, SessionRecord, Store, StoreError, UserRecord};

/// How long a login lasts.
pub const SESSION_HOURS: i64 = 12;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    /// Wrong address or password; which of the two is not said.
    #[error("wrong e-mail address or password")]
    WrongCredentials,
    #[error("the account is locked until {0} after too many failed logins")]
    Locked(String),
    #[error("no account for {0}")]
    NoSuchUser(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// The current time in RFC 3339, UTC, to the second.
pub fn now() -> String {
    at(OffsetDateTime::now_utc())
}

fn at(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Lower case and trimmed; refuses what cannot be an address.
pub fn normalise_email(email: &str) -> Result<String, AccountError> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(e)
    } else {
        Err(AccountError::Invalid(format!(
            "{email:?} is not an e-mail address"
        )))
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N], AccountError> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AccountError::Hashing("no system randomness".into()))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random token (64 hex digits) for a session or a CSRF check.
pub fn new_token() -> Result<String, AccountError> {
    Ok(hex(&random_bytes::<32>()?))
}

/// What the database keeps of a session token.
pub fn token_hash(token: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref())
}

/// Hashes a password with argon2id (the crate's default parameters: 19 MiB, 2 passes) on a
/// blocking thread, so logins do not stall the server.
pub async fn hash_password(password: String) -> Result<String, AccountError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| AccountError::Hashing(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Hashing(e.to_string()))
    })
    .await
    .map_err(|e| AccountError::Hashing(e.to_string()))?
}

/// Checks a password against a stored hash on a blocking thread.
pub async fn verify_password(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Creates a person with a checked password.
pub async fn add_user(
    store: &impl Store,
    email: &str,
    name: &str,
    password: &str,
    system_admin: bool,
    actor: &Actor,
) -> Result<i64, AccountError> {
    let email = normalise_email(email)?;
    LoginPolicy::default()
        .check_password(password)
        .map_err(AccountError::Invalid)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(AccountError::Invalid("a name is needed".into()));
    }
    let password_hash = hash_password(password.to_owned()).await?;
    Ok(store
        .create_user(
            &NewUser {
                email,
                name: name.to_owned(),
                password_hash,
                system_admin,
            },
            actor,
        )
        .await?)
}

async fn user(store: &impl Store, email: &str) -> Result<UserRecord, AccountError> {
    let email = normalise_email(email)?;
    store
        .user_by_email(&email)
        .await?
        .ok_or(AccountError::NoSuchUser(email))
}

pub async fn set_role(
    store: &impl Store,
    email: &str,
    municipality: &MunicipalityId,
    role: Option<Role>,
    actor: &Actor,
) -> Result<(), AccountError> {
    let u = user(store, email).await?;
    Ok(store.set_role(u.id, municipality, role, actor).await?)
}

/// Sets a new password (after checking it); every session of the person ends.
pub async fn set_password(
    store: &impl Store,
    email: &str,
    password: &str,
    actor: &Actor,
) -> Result<(), AccountError> {
    let u = user(store, email).await?;
    LoginPolicy::default()
        .check_password(password)
        .map_err(AccountError::Invalid)?;
    let hash = hash_password(password.to_owned()).await?;
    Ok(store.set_password(u.id, &hash, actor).await?)
}

/// A new session: the token for the cookie, and the session as stored.
pub struct NewSession {
    pub token: String,
    pub session: SessionRecord,
}

/// Logs in: waits longer after each earlier failure, refuses a locked account, locks it
/// after too many failures, and on success starts a session.
pub async fn login(
    store: &impl Store,
    policy: &LoginPolicy,
    email: &str,
    password: &str,
) -> Result<NewSession, AccountError> {
    let found = match normalise_email(email) {
        Ok(e) => store.user_by_email(&e).await?,
        Err(_) => None,
    };
    let Some(u) = found else {
        // Spend the time a real check takes, so timing does not tell who has an account.
        static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
        let dummy = DUMMY
            .get_or_try_init(|| hash_password("no account has this password".into()))
            .await?;
        let _ = verify_password(dummy.clone(), password.to_owned()).await;
        return Err(AccountError::WrongCredentials);
    };
    let now_t = OffsetDateTime::now_utc();
    let now_s = at(now_t);
    if let Some(until) = &u.locked_until
        && until.as_str() > now_s.as_str()
    {
        return Err(AccountError::Locked(until.clone()));
    }
    tokio::time::sleep(Duration::from_millis(policy.delay_ms(u.failed_logins))).await;
    if !verify_password(u.password_hash.clone(), password.to_owned()).await {
        let failures = u.failed_logins + 1;
        let lock = policy
            .locks(failures)
            .then(|| at(now_t + time::Duration::minutes(i64::from(policy.lock_minutes))));
        store
            .record_login(u.id, false, lock.as_deref(), &now_s)
            .await?;
        return Err(match lock {
            Some(until) => AccountError::Locked(until),
            None => AccountError::WrongCredentials,
        });
    }
    store.record_login(u.id, true, None, &now_s).await?;
    let token = new_token()?;
    let csrf_token = new_token()?;
    let expires_at = at(now_t + time::Duration::hours(SESSION_HOURS));
    store
        .create_session(&token_hash(&token), u.id, &csrf_token, &now_s, &expires_at)
        .await?;
    let session = store
        .session(&token_hash(&token), &now_s)
        .await?
        .ok_or_else(|| AccountError::Hashing("the new session was not found".into()))?;
    Ok(NewSession { token, session })
}

/// The session a cookie's token belongs to, if it is valid now.
pub async fn session(
    store: &impl Store,
    token: &str,
) -> Result<Option<SessionRecord>, AccountError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(store.session(&token_hash(token), &now()).await?)
}

pub async fn logout(store: &impl Store, token: &str) -> Result<(), AccountError> {
    Ok(store.delete_session(&token_hash(token)).await?)
}

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 14;

/// Invites `email` to `role` in `m`; returns the token for the link (shown once). Needs
/// the right to manage the municipality's people.
pub async fn invite(
    store: &impl Store,
    grants: &kvalitet_domain::Grants,
    m: &MunicipalityId,
    email: &str,
    role: Role,
    actor: &Actor,
) -> Result<String, AccountError> {
    if !grants.allows(kvalitet_domain::Action::ManageUsers, m) {
        return Err(AccountError::Invalid(format!(
            "you may not invite people to {m}"
        )));
    }
    let email = normalise_email(email)?;
    let token = new_token()?;
    let expires = at(OffsetDateTime::now_utc() + time::Duration::days(INVITATION_DAYS));
    store
        .create_invitation(&token_hash(&token), &email, m, role, &expires, actor)
        .await?;
    Ok(token)
}

/// The invitation of a link's token, if it can still be used.
pub async fn invitation(
    store: &impl Store,
    token: &str,
) -> Result<Option<(String, MunicipalityId, Role)>, AccountError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(store.invitation(&token_hash(token), &now()).await?)
}

/// Uses an invitation with the person's name and chosen password.
pub async fn accept(
    store: &impl Store,
    token: &str,
    name: &str,
    password: &str,
) -> Result<String, AccountError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AccountError::Invalid("a name is needed".into()));
    }
    LoginPolicy::default()
        .check_password(password)
        .map_err(AccountError::Invalid)?;
    let hash = hash_password(password.to_owned()).await?;
    store
        .accept_invitation(&token_hash(token), name, &hash, &now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound(m) => AccountError::Invalid(m),
            e => AccountError::Store(e),
        })
}

/// Compares two tokens in constant time.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_or_refused() {
        assert_eq!(
            normalise_email(" Anna@Kommun.SE ").unwrap(),
            "anna@kommun.se"
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@kommun.se",
            "anna@kommun",
            "an na@kommun.se",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("ett långt lösenord".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("långt"));
        assert!(verify_password(hash.clone(), "ett långt lösenord".into()).await);
        assert!(!verify_password(hash, "fel lösenord här".into()).await);
        assert!(!verify_password("not a hash".into(), "x".into()).await);
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert!(same_token(&a, &a.clone()) && !same_token(&a, &b) && !same_token(&a, "x"));
    }
}
