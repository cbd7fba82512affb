//! The audit trail: every change writes its event inside its own transaction (`audit`), so
//! there is no change without its record and no record without its change; read back here.

use kvalitet_app::ports::{Actor, AuditEvent, AuditLog, AuditRecord, StoreError};
use kvalitet_domain::MunicipalityId;
use kvalitet_domain::audit::AuditAction;

use crate::{SqlStore, Tx, exec, fetch_all, moment};

/// Writes one audit event inside the change's transaction.
pub(crate) async fn audit(
    tx: &mut Tx,
    actor: &Actor,
    municipality: Option<&MunicipalityId>,
    action: AuditAction,
    object: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), StoreError> {
    exec!(
        tx,
        "INSERT INTO audit_event (at, actor, municipality_id, action, object, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        actor.at.to_string(),
        &actor.who,
        municipality.map(|m| m.to_string()),
        action.code(),
        object,
        before.map(|v| v.to_string()),
        after.map(|v| v.to_string())
    )?;
    Ok(())
}

/// Writes an audit record carried by an import.
pub(crate) async fn audit_record(tx: &mut Tx, r: &AuditRecord) -> Result<(), StoreError> {
    audit(
        tx,
        &r.actor,
        r.municipality.as_ref(),
        r.action,
        &r.object,
        r.before.clone(),
        r.after.clone(),
    )
    .await
}

impl AuditLog for SqlStore {
    async fn audit_events(
        &self,
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
            Some(m) => fetch_all!(pool self, Row,
            "SELECT id, at, actor, municipality_id, action, object, before, after FROM audit_event
             WHERE municipality_id = $1 ORDER BY id DESC LIMIT $2", m.as_str(), i64::from(limit))?,
            None => fetch_all!(pool self, Row,
            "SELECT id, at, actor, municipality_id, action, object, before, after FROM audit_event
             ORDER BY id DESC LIMIT $1", i64::from(limit))?,
        };
        rows.into_iter()
            .map(
                |(id, at, actor, municipality, action, object, before, after)| -> Result<_, StoreError> {
                    Ok(AuditEvent {
                    id,
                    at: moment(&at)?,
                    actor,
                    municipality,
                    action,
                    object,
                    before,
                    after,
                })
                },
            )
            .collect()
    }
}
