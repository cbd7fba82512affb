//! The audit port: who changed what and when.

use std::future::Future;

use serde::Serialize;

use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::{MunicipalityId, Timestamp};

use super::StoreError;

/// An audit event to write.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub actor: Actor,
    pub municipality: Option<MunicipalityId>,
    pub action: AuditAction,
    pub object: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Who made a change and when (RFC 3339, UTC), for the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    /// An e-mail address, or `cli:<login>` for the command line.
    pub who: String,
    pub at: Timestamp,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub municipality: Option<String>,
    pub action: String,
    pub object: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The audit trail, read back (every change writes its own event in its transaction).
pub trait AuditLog: Send + Sync + 'static {
    /// The newest audit events first; of one municipality, or all.
    fn audit_events(
        &self,
        municipality: Option<&MunicipalityId>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AuditEvent>, StoreError>> + Send;
}
