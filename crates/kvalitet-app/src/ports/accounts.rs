//! The accounts port: people, roles, sessions, login attempt counts and invitations.

use std::future::Future;

use serde::Serialize;

use kvalitet_domain::Timestamp;
use kvalitet_domain::{Grants, MunicipalityId, Role, UserId, access::AttemptLimit};

use super::{Actor, StoreError};

/// A person who can log in, with what they are granted. The password hash is never
/// serialised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRecord {
    pub id: UserId,
    pub email: String,
    pub name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub grants: Grants,
    pub created_at: Timestamp,
}

/// Who accepts an invitation.
#[derive(Debug, Clone, Copy)]
pub enum Acceptor<'a> {
    /// Someone without an account, making one.
    NewAccount {
        name: &'a str,
        password_hash: &'a str,
    },
    /// The logged-in owner of the invited address.
    Existing { user: UserId },
}

/// An invitation that can still be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// Lower case.
    pub email: String,
    /// The role in a municipality it gives; `None`: an account only (a tester).
    pub grant: Option<(MunicipalityId, Role)>,
}

/// A person to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Lower case.
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub system_admin: bool,
}

/// A logged-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub user: UserRecord,
    /// The token forms must send back (CSRF protection).
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

/// People, roles, sessions, login attempts and invitations.
pub trait Accounts: Send + Sync + 'static {
    /// Creates a person (audited); an e-mail address already in use is `Invalid`.
    fn create_user(
        &self,
        user: &NewUser,
        actor: &Actor,
    ) -> impl Future<Output = Result<UserId, StoreError>> + Send;

    fn user_by_email(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<UserRecord>, StoreError>> + Send;

    /// Everyone, ordered by e-mail address.
    fn users(&self) -> impl Future<Output = Result<Vec<UserRecord>, StoreError>> + Send;

    /// Gives a person a role in a municipality, or takes it away with `None` (audited).
    fn set_role(
        &self,
        user: UserId,
        municipality: &MunicipalityId,
        role: Option<Role>,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces a password hash and ends every session (audited, without the hash).
    fn set_password(
        &self,
        user: UserId,
        password_hash: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Counts one attempt against every limit, all or none, atomically (so parallel attempts
    /// cannot pass a count together): `None` when counted; when any key is already at its
    /// limit, nothing is counted and the answer is the latest start of the full keys'
    /// windows. A window that began at or before `expired` is over and starts again.
    fn reserve_attempt(
        &self,
        limits: &[AttemptLimit],
        now: Timestamp,
        expired: Timestamp,
    ) -> impl Future<Output = Result<Option<Timestamp>, StoreError>> + Send;

    /// Takes back one counted attempt of each key (a success, or an attempt that was never
    /// checked); a key's count does not go below zero.
    fn release_attempt(
        &self,
        keys: &[String],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        csrf_token: &str,
        created_at: Timestamp,
        expires_at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The session of a token hash, unless it expired before `now`.
    fn session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<SessionRecord>, StoreError>> + Send;

    fn delete_session(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records an invitation to `email` for a role in a municipality, or for an account only
    /// when `grant` is `None` (audited).
    fn create_invitation(
        &self,
        token_hash: &str,
        email: &str,
        grant: Option<(MunicipalityId, Role)>,
        expires_at: Timestamp,
        actor: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// An unused invitation that has not expired before `now`.
    fn invitation(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<Invitation>, StoreError>> + Send;

    /// Uses an invitation: a new account is made, or the logged-in account of the invited
    /// address gets the role. `NotFound` when the invitation is used, expired or unknown;
    /// `Conflict` when a new account is asked for an address that has one (its owner must
    /// accept, logged in) or the acceptor is not the invited address. Returns the address.
    fn accept_invitation(
        &self,
        token_hash: &str,
        acceptor: Acceptor<'_>,
        now: Timestamp,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;
}
