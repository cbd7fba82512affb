//! Accounts: creating people, passwords (argon2id, hashed off the async threads, a few at a
//! time), logging in with attempts counted per account and address before the password is
//! checked, sessions (random tokens of which only a SHA-256 hash is stored, each with its own
//! CSRF token), roles and password changes, all audited by the store.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use ring::rand::{SecureRandom, SystemRandom};

use kvalitet_domain::{LoginPolicy, Message, MunicipalityId, Role, Timestamp, UserId};

use crate::ports::{
    Acceptor, Accounts, Actor, AuditLog, Clock, NewUser, SessionRecord, StoreError, UserRecord,
};

/// How long a login lasts.
pub const SESSION_HOURS: i64 = 12;

/// Why an account action was refused; [`AccountError::message`] is what the person is told.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(Message),
    /// Wrong address or password; which of the two is not said.
    #[error("wrong e-mail address or password")]
    WrongCredentials,
    /// Too many failed attempts for this account or from this address; the same for
    /// accounts that exist and those that do not.
    #[error("too many failed attempts; try again in {retry_after_secs} seconds")]
    Throttled { retry_after_secs: u64 },
    /// Too many passwords are being checked at once; try again in a moment.
    #[error("too many logins at once; try again in a moment")]
    Busy,
    #[error("no account for {0}")]
    NoSuchUser(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl AccountError {
    /// What to tell the person; failures that are not theirs say only that.
    pub fn message(&self) -> Message {
        match self {
            Self::Invalid(m) => m.clone(),
            Self::WrongCredentials => Message::new("wrong_credentials"),
            Self::Throttled { retry_after_secs } => {
                Message::new("too_many_attempts").with("minutes", retry_after_secs.div_ceil(60))
            }
            Self::Busy => Message::new("busy"),
            Self::NoSuchUser(email) => Message::new("no_such_user").with("email", email),
            Self::Store(_) | Self::Hashing(_) => Message::new("store_failed"),
        }
    }
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
        Err(AccountError::Invalid(
            Message::new("not_an_email").with("value", format!("{email:?}")),
        ))
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

/// Hashes and checks passwords, a bounded number at once. argon2id holds 19 MiB for each
/// hash and keeps a core busy, so without a bound a crowd of logins takes the memory and the
/// cores from everyone (the probe saw 7.9 GB and a 0.47 s front page). A site keeps one;
/// beyond its turns and a short queue an attempt is refused at once with
/// [`AccountError::Busy`]. The hashes run on the hasher's own threads, one per turn, rather
/// than on tokio's blocking pool: the allocator keeps a freed 19 MiB block in the arena of the
/// thread that used it, so a pool of many threads would keep many such blocks.
pub struct Hasher {
    turns: Arc<tokio::sync::Semaphore>,
    /// Hashes running or waiting.
    in_flight: AtomicUsize,
    max_in_flight: usize,
    jobs: std::sync::mpsc::Sender<Job>,
}

/// A hash to compute on one of the hasher's threads.
type Job = Box<dyn FnOnce() + Send>;

/// The longest wait for a turn before the attempt is refused as busy.
const HASH_WAIT: Duration = Duration::from_secs(5);

/// Gives back a place in the queue however the waiting ends (also when the request is
/// dropped).
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Hasher {
    /// `at_once` hashes at a time (each on a thread of the hasher's), and `queue` more waiting.
    pub fn new(at_once: usize, queue: usize) -> Self {
        let at_once = at_once.max(1);
        let (jobs, inbox) = std::sync::mpsc::channel::<Job>();
        let inbox = Arc::new(std::sync::Mutex::new(inbox));
        for i in 0..at_once {
            let inbox = inbox.clone();
            // A thread that cannot start leaves fewer workers; the turns then wait longer
            // and end as `Busy`, never as a crash.
            let _ = std::thread::Builder::new()
                .name(format!("kvalitet-hash-{i}"))
                .spawn(move || {
                    loop {
                        let job = match inbox.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        // The hasher is gone when its sender is: the thread ends.
                        let Ok(job) = job else { return };
                        // A job that panics loses its answer (the caller gets an error),
                        // not the thread.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
        }
        Self {
            turns: Arc::new(tokio::sync::Semaphore::new(at_once)),
            in_flight: AtomicUsize::new(0),
            max_in_flight: at_once + queue,
            jobs,
        }
    }

    /// One hash per core but one (a core is left for pages), and a queue of eight.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores.saturating_sub(1), 8)
    }

    /// Runs an argon2 computation on one of the hasher's threads when a turn is free. The
    /// turn is held by the computation itself, so a dropped request cannot let more run at
    /// once.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AccountError> {
        let place = InFlight(&self.in_flight);
        if self.in_flight.fetch_add(1, Ordering::SeqCst) >= self.max_in_flight {
            return Err(AccountError::Busy);
        }
        let turn = match tokio::time::timeout(HASH_WAIT, self.turns.clone().acquire_owned()).await {
            Ok(Ok(t)) => t,
            _ => return Err(AccountError::Busy),
        };
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = answer.send(work());
                drop(turn);
            }))
            .map_err(|_| AccountError::Hashing("the hashing threads are gone".into()))?;
        let done = answered
            .await
            .map_err(|_| AccountError::Hashing("a hash was dropped".into()));
        drop(place);
        done
    }

    /// Hashes a password with argon2id (the crate's default parameters: 19 MiB, 2 passes).
    pub async fn hash(&self, password: String) -> Result<String, AccountError> {
        let salt = SaltString::encode_b64(&random_bytes::<16>()?)
            .map_err(|e| AccountError::Hashing(e.to_string()))?;
        self.run(move || {
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| AccountError::Hashing(e.to_string()))
        })
        .await?
    }

    /// Checks a password against a stored hash.
    pub async fn verify(&self, hash: String, password: String) -> Result<bool, AccountError> {
        self.run(move || {
            PasswordHash::new(&hash)
                .map(|h| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
    }
}

/// Creates a person with a checked password.
pub async fn add_user(
    store: &impl Accounts,
    hasher: &Hasher,
    email: &str,
    name: &str,
    password: &str,
    system_admin: bool,
    actor: &Actor,
) -> Result<UserId, AccountError> {
    let email = normalise_email(email)?;
    LoginPolicy::default()
        .check_password(password)
        .map_err(AccountError::Invalid)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(AccountError::Invalid(Message::new("name_needed")));
    }
    let password_hash = hasher.hash(password.to_owned()).await?;
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

async fn user(store: &impl Accounts, email: &str) -> Result<UserRecord, AccountError> {
    let email = normalise_email(email)?;
    store
        .user_by_email(&email)
        .await?
        .ok_or(AccountError::NoSuchUser(email))
}

pub async fn set_role(
    store: &impl Accounts,
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
    store: &impl Accounts,
    hasher: &Hasher,
    email: &str,
    password: &str,
    actor: &Actor,
) -> Result<(), AccountError> {
    let u = user(store, email).await?;
    LoginPolicy::default()
        .check_password(password)
        .map_err(AccountError::Invalid)?;
    let hash = hasher.hash(password.to_owned()).await?;
    Ok(store.set_password(u.id, &hash, actor).await?)
}

/// A new session: the token for the cookie, and the session as stored.
pub struct NewSession {
    pub token: String,
    pub session: SessionRecord,
}

/// A hash no password is known for, checked when the account does not exist so the answer
/// takes as long as for one that does.
async fn stand_in_hash(hasher: &Hasher) -> Result<String, AccountError> {
    static STAND_IN: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    STAND_IN
        .get_or_try_init(|| async {
            let unknowable = hex(&random_bytes::<32>()?);
            hasher.hash(unknowable).await
        })
        .await
        .cloned()
}

/// A password check as the site makes it: with its hasher, under its login policy, from the
/// address the attempt comes from.
pub struct Attempt<'a> {
    pub hasher: &'a Hasher,
    pub policy: &'a LoginPolicy,
    pub address: IpAddr,
    /// When the attempt is made (its window and a new session's expiry count from it).
    pub at: Timestamp,
}

/// Checks `password` for `account` (as typed) against `hash` (`None` when no such account
/// exists): the attempt is counted against the policy's limits before the check, and taken
/// back when it succeeds or is never checked.
async fn guarded_check(
    store: &impl Accounts,
    attempt: &Attempt<'_>,
    account: &str,
    hash: Option<String>,
    password: &str,
) -> Result<(), AccountError> {
    let Attempt {
        hasher,
        policy,
        address,
        at: now,
    } = *attempt;
    let limits = policy.limits(account, address);
    let window = time::Duration::minutes(i64::from(policy.window_minutes));
    if let Some(start) = store
        .reserve_attempt(&limits, now, now.plus(-window))
        .await?
    {
        let ends = start.plus(window).datetime();
        let retry_after_secs = u64::try_from((ends - now.datetime()).whole_seconds())
            .unwrap_or(0)
            .max(1);
        return Err(AccountError::Throttled { retry_after_secs });
    }
    let keys: Vec<String> = limits.into_iter().map(|l| l.key).collect();
    let exists = hash.is_some();
    let checked = match hash {
        Some(h) => hasher.verify(h, password.to_owned()).await,
        None => match stand_in_hash(hasher).await {
            Ok(h) => hasher.verify(h, password.to_owned()).await,
            Err(e) => Err(e),
        },
    };
    match checked {
        Ok(true) if exists => {
            store.release_attempt(&keys).await?;
            Ok(())
        }
        Ok(_) => Err(AccountError::WrongCredentials),
        Err(e) => {
            // Never checked (the server was busy): not a failure of the person's.
            store.release_attempt(&keys).await?;
            Err(e)
        }
    }
}

/// Logs in: refuses at once when the account or the attempt's address has had too many
/// failures lately (the same for addresses without an account), checks the password, and on
/// success starts a session.
pub async fn login(
    store: &impl Accounts,
    attempt: &Attempt<'_>,
    email: &str,
    password: &str,
) -> Result<NewSession, AccountError> {
    let account = email.trim().to_lowercase();
    let found = match normalise_email(email) {
        Ok(e) => store.user_by_email(&e).await?,
        Err(_) => None,
    };
    let hash = found.as_ref().map(|u| u.password_hash.clone());
    guarded_check(store, attempt, &account, hash, password).await?;
    let u = found.ok_or(AccountError::WrongCredentials)?;
    let now = attempt.at;
    let token = new_token()?;
    let csrf_token = new_token()?;
    let expires_at = now.plus(time::Duration::hours(SESSION_HOURS));
    store
        .create_session(&token_hash(&token), u.id, &csrf_token, now, expires_at)
        .await?;
    let session = store
        .session(&token_hash(&token), now)
        .await?
        .ok_or_else(|| AccountError::Hashing("the new session was not found".into()))?;
    Ok(NewSession { token, session })
}

/// A logged-in person changes their password: the current one is checked under the same
/// limits as a login (so a stolen session cannot guess it), then the new one is set and
/// every session ends.
pub async fn change_password(
    store: &impl Accounts,
    attempt: &Attempt<'_>,
    user: &UserRecord,
    current: &str,
    new: &str,
    actor: &Actor,
) -> Result<(), AccountError> {
    attempt
        .policy
        .check_password(new)
        .map_err(AccountError::Invalid)?;
    let hash = Some(user.password_hash.clone());
    guarded_check(store, attempt, &user.email, hash, current).await?;
    set_password(store, attempt.hasher, &user.email, new, actor).await
}

/// The session a cookie's token belongs to, if it is valid now.
pub async fn session(
    store: &impl Accounts,
    clock: &dyn Clock,
    token: &str,
) -> Result<Option<SessionRecord>, AccountError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(store.session(&token_hash(token), clock.now()).await?)
}

pub async fn logout(store: &impl Accounts, token: &str) -> Result<(), AccountError> {
    Ok(store.delete_session(&token_hash(token)).await?)
}

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 14;

/// Invites `email` to `role` in `m`; returns the token for the link (shown once). Needs
/// the right to manage the municipality's people.
pub async fn invite(
    store: &impl Accounts,
    grants: &kvalitet_domain::Grants,
    m: &MunicipalityId,
    email: &str,
    role: Role,
    actor: &Actor,
) -> Result<String, AccountError> {
    if !grants.allows(kvalitet_domain::Action::ManageUsers, m) {
        return Err(AccountError::Invalid(
            Message::new("may_not_invite").with("municipality", m),
        ));
    }
    record_invitation(store, email, Some((*m, role)), actor).await
}

/// Records an invitation (for a role, or for an account only) and returns its link's token.
pub(crate) async fn record_invitation(
    store: &impl Accounts,
    email: &str,
    grant: Option<(MunicipalityId, Role)>,
    actor: &Actor,
) -> Result<String, AccountError> {
    let email = normalise_email(email)?;
    let token = new_token()?;
    let expires = actor.at.plus(time::Duration::days(INVITATION_DAYS));
    store
        .create_invitation(&token_hash(&token), &email, grant, expires, actor)
        .await?;
    Ok(token)
}

/// The invitation of a link's token, if it can still be used.
pub async fn invitation(
    store: &impl Accounts,
    clock: &dyn Clock,
    token: &str,
) -> Result<Option<crate::ports::Invitation>, AccountError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(store.invitation(&token_hash(token), clock.now()).await?)
}

/// Uses an invitation to make a new account with the person's name and chosen password.
/// Refused for an address that already has an account: its owner accepts with
/// [`accept_as`], logged in.
pub async fn accept(
    store: &impl Accounts,
    clock: &dyn Clock,
    hasher: &Hasher,
    token: &str,
    name: &str,
    password: &str,
) -> Result<String, AccountError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AccountError::Invalid(Message::new("name_needed")));
    }
    LoginPolicy::default()
        .check_password(password)
        .map_err(AccountError::Invalid)?;
    let hash = hasher.hash(password.to_owned()).await?;
    let acceptor = Acceptor::NewAccount {
        name,
        password_hash: &hash,
    };
    store
        .accept_invitation(&token_hash(token), acceptor, clock.now())
        .await
        .map_err(invitation_refused)
}

/// The logged-in owner of the invited address accepts the invitation: their account gets
/// the role. Anyone else is refused, so no one can change another's account with a link.
pub async fn accept_as(
    store: &impl Accounts,
    clock: &dyn Clock,
    token: &str,
    user: &UserRecord,
) -> Result<String, AccountError> {
    store
        .accept_invitation(
            &token_hash(token),
            Acceptor::Existing { user: user.id },
            clock.now(),
        )
        .await
        .map_err(invitation_refused)
}

fn invitation_refused(e: StoreError) -> AccountError {
    match e {
        StoreError::NotFound(m) | StoreError::Conflict(m) => AccountError::Invalid(m),
        e => AccountError::Store(e),
    }
}

/// Whether an account with this address exists: an invitation to it is accepted by its
/// owner, logged in, instead of by making an account.
pub async fn has_account(store: &impl Accounts, email: &str) -> Result<bool, AccountError> {
    Ok(store.user_by_email(email).await?.is_some())
}

/// The audit trail, newest first: of one municipality for those who may read it (its
/// readers, editors and administrators), or of everything for system administrators.
pub async fn audit_trail(
    store: &impl AuditLog,
    grants: &kvalitet_domain::Grants,
    m: Option<&MunicipalityId>,
    limit: u32,
) -> Result<Vec<crate::ports::AuditEvent>, AccountError> {
    let allowed = match m {
        Some(m) => grants.allows(kvalitet_domain::Action::ViewAudit, m),
        None => grants.system_admin,
    };
    if !allowed {
        return Err(AccountError::Invalid(Message::new("may_not_read_audit")));
    }
    Ok(store.audit_events(m, limit).await?)
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
        let hasher = Hasher::for_this_machine();
        let hash = hasher.hash("ett långt lösenord".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("långt"));
        assert!(
            hasher
                .verify(hash.clone(), "ett långt lösenord".into())
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(hash, "fel lösenord här".into())
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("not a hash".into(), "x".into())
                .await
                .unwrap()
        );
    }

    /// The probe's storm: 200 checks at once held 200 argon2 states. Now at most `at_once`
    /// run, a few wait, and the rest are refused at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_crowd_of_hashes_runs_a_few_at_a_time_and_the_rest_are_refused() {
        static RUNNING: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        let hasher = Arc::new(Hasher::new(2, 3));
        let crowd: Vec<_> = (0..40)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move {
                    hasher
                        .run(|| {
                            let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
                            MOST.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(200));
                            RUNNING.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        let mut done = 0;
        let mut busy = 0;
        for c in crowd {
            match c.await.unwrap() {
                Ok(()) => done += 1,
                Err(AccountError::Busy) => busy += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(MOST.load(Ordering::SeqCst) <= 2, "at most two at once");
        assert!((2..=5).contains(&done), "{done} ran");
        assert_eq!(done + busy, 40);
        assert_eq!(
            hasher.in_flight.load(Ordering::SeqCst),
            0,
            "every place given back"
        );
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
