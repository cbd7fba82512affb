//! A municipality's own data: own measures, drafts of values (saved all or none, taken back
//! exactly as read when published) and comments, with the notes other rounds put before them.

use kvalitet_app::ports::{Actor, Comment, Draft, Introduction, OwnData, StoreError};
use kvalitet_domain::Timestamp;
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::{
    AreaId, Datum, Gender, Measure, MeasureId, MeasureOrigin, MeasureProfile, MissingStatus,
    MunicipalityId, UserId, ValueKey, ValueRow, Year,
};

use crate::audit::audit;
use crate::version::{Moved, bump_version};
use crate::{SqlStore, Tx, exec, fetch_all, invalid, moment, on_tx};

/// Rows per multi-row statement: few round trips, far below either backend's parameter limit.
const DRAFT_BATCH: usize = 500;

/// `(?, ?, ...), (...)` for SQLite or `($1, $2, ...), (...)` for PostgreSQL.
pub(crate) fn placeholders(tx: &Tx, rows: usize, per_row: usize) -> String {
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
                    .bind(value).bind(status).bind(d.updated_by.as_str()).bind(d.updated_at.to_string());
            }
            q.execute(&mut **t).await.map_err(crate::db)?.rows_affected()
        });
        if taken != chunk.len() as u64 {
            return Err(StoreError::Conflict(kvalitet_domain::Message::new(
                "drafts_changed_publishing",
            )));
        }
    }
    Ok(())
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

impl OwnData for SqlStore {
    async fn define_own_measure(
        &self,
        measure: &Measure,
        profile: &MeasureProfile,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let MeasureOrigin::Own(owner) = measure.origin else {
            return Err(StoreError::Invalid(
                kvalitet_domain::Message::new("not_own_measure").with("measure", measure.id),
            ));
        };
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let before = fetch_all!(tx t, (String, String, Option<String>),
        "SELECT title, description, owner_municipality FROM measure WHERE id = $1", measure.id.as_str())?
        .into_iter()
        .next();
        if let Some((_, _, existing_owner)) = &before
            && existing_owner.as_deref() != Some(owner.as_str())
        {
            return Err(StoreError::Invalid(
                kvalitet_domain::Message::new("measure_of_other").with("measure", measure.id),
            ));
        }
        exec!(t,
        "INSERT INTO measure (id, title, description, unit, direction, source_kind, owner_municipality,
             is_divided_by_gender, has_ou_data, origin)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE, 'own')
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
        audit(t, actor, Some(&owner), AuditAction::MeasureDefine, &format!("measure:{}", measure.id),
        before.map(|(title, description, _)| serde_json::json!({"title": title, "description": description})),
        Some(serde_json::json!({"title": measure.title, "description": measure.description,
            "question": profile.question, "unit": profile.unit, "direction": profile.direction.code(), "decimals": profile.decimals}))).await?;
        // A definition or a comment changes what residents see: the caches must know.
        bump_version(t, Moved::Values).await?;
        tx.commit().await
    }

    async fn set_measure_retired(
        &self,
        measure: &MeasureId,
        owner: &MunicipalityId,
        retired: bool,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let retired_at = retired.then(|| actor.at.to_string());
        let changed = fetch_all!(tx t, (String,),
        "UPDATE measure SET retired_at = $1 WHERE id = $2 AND origin = 'own' AND owner_municipality = $3
         RETURNING id",
        retired_at, measure.as_str(), owner.as_str())?;
        if changed.is_empty() {
            return Err(StoreError::NotFound(
                kvalitet_domain::Message::new("not_own_measure").with("measure", measure),
            ));
        }
        audit(
            t,
            actor,
            Some(owner),
            AuditAction::MeasureRetire,
            &format!("measure:{measure}"),
            Some(serde_json::json!({"retired": !retired})),
            Some(serde_json::json!({"retired": retired})),
        )
        .await?;
        // The catalogue changed: the pages' lists of measures must know.
        bump_version(t, Moved::Values).await?;
        tx.commit().await
    }

    async fn save_drafts(
        &self,
        municipality: &MunicipalityId,
        rows: &[ValueRow],
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for r in rows {
            if r.key.area != AreaId::Municipality(*municipality) {
                return Err(StoreError::Invalid(
                    kvalitet_domain::Message::new("not_this_municipality")
                        .with("given", r.key.area)
                        .with("municipality", municipality),
                ));
            }
            if r.datum == Datum::Deleted {
                return Err(StoreError::Invalid(kvalitet_domain::Message::new(
                    "value_needed",
                )));
            }
        }
        for chunk in rows.chunks(DRAFT_BATCH) {
            let sql = format!(
            "INSERT INTO draft_value (measure_id, area_id, year, gender, value, status, updated_by, updated_at, reason) VALUES {}
             ON CONFLICT (measure_id, area_id, year, gender) DO UPDATE SET value = excluded.value,
                status = excluded.status, updated_by = excluded.updated_by, updated_at = excluded.updated_at,
                reason = excluded.reason",
            placeholders(&tx, chunk.len(), 9)
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
                        .bind(r.key.gender.code()).bind(value).bind(status).bind(actor.who.as_str()).bind(actor.at.to_string())
                        .bind(reason);
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
            AuditAction::ValuesDraft,
            &format!("measures:{}", measures.join(",")),
            None,
            Some(serde_json::json!({"rows": rows.len()})),
        )
        .await?;
        tx.commit().await
    }

    async fn keep_upload(
        &self,
        token_hash: &str,
        municipality: &MunicipalityId,
        user: UserId,
        rows_text: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        exec!(t,
            "INSERT INTO upload_preview (token_hash, municipality_id, user_id, created_at, rows_text)
             VALUES ($1, $2, $3, $4, $5)",
            token_hash, municipality.as_str(), user.0, at.to_string(), rows_text)?;
        tx.commit().await
    }

    async fn take_upload(
        &self,
        token_hash: &str,
        municipality: &MunicipalityId,
        user: UserId,
        not_before: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let not_before = not_before.to_string();
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let found = fetch_all!(tx t, (String,),
            "DELETE FROM upload_preview
             WHERE token_hash = $1 AND municipality_id = $2 AND user_id = $3 AND created_at >= $4
             RETURNING rows_text",
            token_hash, municipality.as_str(), user.0, &not_before)?;
        exec!(
            t,
            "DELETE FROM upload_preview WHERE created_at < $1",
            &not_before
        )?;
        tx.commit().await?;
        Ok(found.into_iter().next().map(|r| r.0))
    }

    async fn remove_draft(
        &self,
        municipality: &MunicipalityId,
        key: &ValueKey,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let removed = fetch_all!(tx t, (Option<f64>, Option<String>),
        "DELETE FROM draft_value WHERE measure_id = $1 AND area_id = $2 AND year = $3 AND gender = $4
         RETURNING value, status",
        key.measure.as_str(), municipality.as_str(), i64::from(key.year.get()), key.gender.code())?;
        let Some((value, status)) = removed.into_iter().next() else {
            return Err(StoreError::NotFound(
                kvalitet_domain::Message::new("no_such_draft")
                    .with("measure", key.measure)
                    .with("year", key.year.get()),
            ));
        };
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::ValuesDraftRemove,
            &format!("measures:{}", key.measure),
            Some(serde_json::json!({
                "year": key.year.get(), "gender": key.gender.code(), "value": value, "status": status
            })),
            None,
        )
        .await?;
        tx.commit().await
    }

    async fn drafts(&self, municipality: &MunicipalityId) -> Result<Vec<Draft>, StoreError> {
        type Row = (
            String,
            String,
            i64,
            String,
            Option<f64>,
            Option<String>,
            String,
            String,
            Option<f64>,
            Option<String>,
            Option<String>,
        );
        // Each draft with the value published under its key, if any: the page shows both.
        let rows = fetch_all!(pool self, Row,
        "SELECT d.measure_id, d.area_id, d.year, d.gender, d.value, d.status, d.updated_by, d.updated_at,
                v.value, v.status, d.reason
         FROM draft_value d
         LEFT JOIN value v ON v.measure_id = d.measure_id AND v.area_id = d.area_id
              AND v.year = d.year AND v.gender = d.gender
         WHERE d.area_id = $1 ORDER BY d.measure_id, d.year, d.gender", municipality.as_str())?;
        let datum_of = |value: Option<f64>, status: Option<String>| match (value, status) {
            (Some(x), _) => Ok(Some(Datum::Number(x))),
            (None, Some(s)) => Ok(Some(Datum::Missing(
                MissingStatus::parse(&s).map_err(invalid)?,
            ))),
            (None, None) => Ok(None),
        };
        rows.into_iter()
            .map(
                |(
                    measure,
                    area,
                    year,
                    gender,
                    value,
                    status,
                    updated_by,
                    updated_at,
                    published_value,
                    published_status,
                    reason,
                )| {
                    let datum = datum_of(value, status)?
                        .ok_or_else(|| invalid("a draft with neither number nor status"))?;
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
                        published: datum_of(published_value, published_status)?,
                        reason,
                        updated_by,
                        updated_at: moment(&updated_at)?,
                    })
                },
            )
            .collect()
    }

    async fn set_comment(
        &self,
        measure: &MeasureId,
        municipality: &MunicipalityId,
        year: Year,
        body: Option<&str>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
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
            measure.as_str(), municipality.as_str(), i64::from(year.get()), text, &actor.who, actor.at.to_string())?,
        None => exec!(t, "DELETE FROM measure_comment WHERE measure_id = $1 AND municipality_id = $2 AND year = $3",
            measure.as_str(), municipality.as_str(), i64::from(year.get()))?,
    };
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::CommentSet,
            &format!("comment:{measure}:{year}"),
            before.map(|b| serde_json::json!({"body": b})),
            body.map(|b| serde_json::json!({"body": b})),
        )
        .await?;
        // A definition or a comment changes what residents see: the caches must know.
        bump_version(t, Moved::Pages).await?;
        tx.commit().await
    }

    async fn comments(
        &self,
        measure: Option<&MeasureId>,
        municipality: &MunicipalityId,
    ) -> Result<Vec<Comment>, StoreError> {
        let rows = fetch_all!(pool self, (String, i64, String, String, String),
        "SELECT measure_id, year, body, author, updated_at FROM measure_comment
         WHERE municipality_id = $1 AND ($2 IS NULL OR measure_id = $2)
         ORDER BY measure_id, year DESC", municipality.as_str(), measure.map(MeasureId::as_str))?;
        rows.into_iter()
            .map(|(measure, year, body, author, updated_at)| {
                Ok(Comment {
                    measure: MeasureId::parse(&measure).map_err(invalid)?,
                    year: year as i16,
                    body,
                    author,
                    updated_at: moment(&updated_at)?,
                })
            })
            .collect()
    }

    async fn set_introduction(
        &self,
        municipality: &MunicipalityId,
        body: &str,
        body_en: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let t = &mut tx;
        let before = fetch_all!(tx t, (String, String),
            "SELECT body, body_en FROM municipality_introduction WHERE municipality_id = $1
             ORDER BY id DESC LIMIT 1", municipality.as_str())?
        .into_iter()
        .next();
        exec!(t,
            "INSERT INTO municipality_introduction (municipality_id, body, body_en, author, written_at)
             VALUES ($1, $2, $3, $4, $5)",
            municipality.as_str(), body, body_en, &actor.who, actor.at.to_string())?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::IntroductionSet,
            &format!("introduction:{municipality}"),
            before.map(|(b, e)| serde_json::json!({"body": b, "body_en": e})),
            Some(serde_json::json!({"body": body, "body_en": body_en})),
        )
        .await?;
        // The introduction is on the public page: the caches must know.
        bump_version(t, Moved::Pages).await?;
        tx.commit().await
    }

    async fn introductions(
        &self,
        municipality: &MunicipalityId,
    ) -> Result<Vec<Introduction>, StoreError> {
        let rows = fetch_all!(pool self, (String, String, String, String),
            "SELECT body, body_en, author, written_at FROM municipality_introduction
             WHERE municipality_id = $1 ORDER BY id DESC", municipality.as_str())?;
        rows.into_iter()
            .map(|(body, body_en, author, written_at)| {
                Ok(Introduction {
                    body,
                    body_en,
                    author,
                    written_at: moment(&written_at)?,
                })
            })
            .collect()
    }
}
