//! The award port: a kommun's step-2 descriptions for Sveriges Kvalitetskommun, the year's
//! nominees and the jurors' scores, frozen once the year is published; every change audited
//! in its transaction.

use kvalitet_app::ports::{Actor, Award, AwardYear, JuryScore, StoreError, StoredNarrative};
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::award::{Criterion, Evidence, Theme};
use kvalitet_domain::{Message, MunicipalityId, Year};

use crate::audit::audit;
use crate::version::{Moved, bump_version};
use crate::{SqlStore, Tx, exec, fetch_all, invalid, moment};

/// Refuses a change to a published year (within the change's transaction).
async fn not_published(t: &mut Tx, year: Year) -> Result<(), StoreError> {
    let published = fetch_all!(tx t, (Option<String>,),
        "SELECT published_at FROM award_year WHERE year = $1", i64::from(year.get()))?;
    if published.iter().any(|(at,)| at.is_some()) {
        return Err(StoreError::Conflict(
            Message::new("award_published").with("year", year),
        ));
    }
    Ok(())
}

impl Award for SqlStore {
    async fn save_narrative(
        &self,
        municipality: &MunicipalityId,
        year: Year,
        theme: Theme,
        body: &str,
        evidence: &[Evidence],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let evidence = serde_json::to_string(evidence).map_err(invalid)?;
        let mut tx = self.begin().await?;
        let t = &mut tx;
        exec!(
            t,
            "INSERT INTO award_narrative (municipality_id, year, theme, body, evidence, saved_by, saved_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (municipality_id, year, theme) DO UPDATE SET
                 body = excluded.body, evidence = excluded.evidence,
                 saved_by = excluded.saved_by, saved_at = excluded.saved_at",
            municipality.as_str(),
            i64::from(year.get()),
            theme.code(),
            body,
            &evidence,
            &actor.who,
            actor.at.to_string()
        )?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::AwardNarrative,
            &format!("award:{year}:{}", theme.code()),
            None,
            Some(serde_json::json!({"chars": body.chars().count(), "evidence": evidence})),
        )
        .await?;
        bump_version(t, Moved::Pages).await?;
        tx.commit().await
    }

    async fn narratives(
        &self,
        municipality: &MunicipalityId,
        year: Year,
    ) -> Result<Vec<StoredNarrative>, StoreError> {
        let rows = fetch_all!(pool self, (String, String, String, String, String),
            "SELECT theme, body, evidence, saved_by, saved_at FROM award_narrative
             WHERE municipality_id = $1 AND year = $2",
            municipality.as_str(), i64::from(year.get()))?;
        let mut out = rows
            .into_iter()
            .map(|(theme, body, evidence, saved_by, saved_at)| {
                Ok(StoredNarrative {
                    theme: Theme::parse(&theme).ok_or_else(|| invalid(&theme))?,
                    body,
                    evidence: serde_json::from_str(&evidence).map_err(invalid)?,
                    saved_by,
                    saved_at: moment(&saved_at)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_by_key(|n| n.theme);
        Ok(out)
    }

    async fn set_nominees(
        &self,
        year: Year,
        nominees: &[MunicipalityId],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let y = i64::from(year.get());
        let mut tx = self.begin().await?;
        let t = &mut tx;
        not_published(t, year).await?;
        exec!(
            t,
            "INSERT INTO award_year (year) VALUES ($1) ON CONFLICT (year) DO NOTHING",
            y
        )?;
        let before: Vec<String> = fetch_all!(tx t, (String,),
            "SELECT municipality_id FROM award_nominee WHERE year = $1 ORDER BY municipality_id", y)?
        .into_iter()
        .map(|(m,)| m)
        .collect();
        let mut after: Vec<&str> = nominees.iter().map(MunicipalityId::as_str).collect();
        after.sort_unstable();
        after.dedup();
        for gone in before.iter().filter(|m| !after.contains(&m.as_str())) {
            // Their scores go with them (ON DELETE CASCADE).
            exec!(
                t,
                "DELETE FROM award_nominee WHERE year = $1 AND municipality_id = $2",
                y,
                gone
            )?;
        }
        for new in after.iter().filter(|m| !before.iter().any(|b| b == *m)) {
            exec!(
                t,
                "INSERT INTO award_nominee (year, municipality_id) VALUES ($1, $2)",
                y,
                *new
            )?;
        }
        audit(
            t,
            actor,
            None,
            AuditAction::AwardNominees,
            &format!("award:{year}"),
            Some(serde_json::json!({"nominees": before})),
            Some(serde_json::json!({"nominees": after})),
        )
        .await?;
        bump_version(t, Moved::Pages).await?;
        tx.commit().await
    }

    async fn award_year(&self, year: Year) -> Result<Option<AwardYear>, StoreError> {
        let y = i64::from(year.get());
        let Some((published_by, published_at)) =
            fetch_all!(pool self, (Option<String>, Option<String>),
            "SELECT published_by, published_at FROM award_year WHERE year = $1", y)?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let nominees = fetch_all!(pool self, (String,),
            "SELECT municipality_id FROM award_nominee WHERE year = $1 ORDER BY municipality_id", y)?
        .into_iter()
        .map(|(m,)| MunicipalityId::parse(&m).map_err(invalid))
        .collect::<Result<Vec<_>, _>>()?;
        let published = match (published_by, published_at) {
            (Some(by), Some(at)) => Some((by, moment(&at)?)),
            _ => None,
        };
        Ok(Some(AwardYear {
            year,
            nominees,
            published,
        }))
    }

    async fn score_nominee(
        &self,
        year: Year,
        municipality: &MunicipalityId,
        criterion: Criterion,
        score: u8,
        note: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let y = i64::from(year.get());
        let mut tx = self.begin().await?;
        let t = &mut tx;
        not_published(t, year).await?;
        let nominated = fetch_all!(tx t, (i64,),
            "SELECT year FROM award_nominee WHERE year = $1 AND municipality_id = $2",
            y, municipality.as_str())?;
        if nominated.is_empty() {
            return Err(StoreError::NotFound(
                Message::new("award_not_nominee")
                    .with("municipality", municipality)
                    .with("year", year),
            ));
        }
        exec!(
            t,
            "INSERT INTO award_score (year, municipality_id, criterion, juror, score, note, scored_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (year, municipality_id, criterion, juror) DO UPDATE SET
                 score = excluded.score, note = excluded.note, scored_at = excluded.scored_at",
            y,
            municipality.as_str(),
            criterion.code(),
            &actor.who,
            i64::from(score),
            note,
            actor.at.to_string()
        )?;
        audit(
            t,
            actor,
            Some(municipality),
            AuditAction::AwardScore,
            &format!("award:{year}:{}", criterion.code()),
            None,
            Some(serde_json::json!({"score": score})),
        )
        .await?;
        tx.commit().await
    }

    async fn jury_scores(&self, year: Year) -> Result<Vec<JuryScore>, StoreError> {
        let rows = fetch_all!(pool self, (String, String, String, i64, String, String),
            "SELECT municipality_id, criterion, juror, score, note, scored_at FROM award_score
             WHERE year = $1 ORDER BY municipality_id, criterion, juror",
            i64::from(year.get()))?;
        rows.into_iter()
            .map(|(m, criterion, juror, score, note, at)| {
                Ok(JuryScore {
                    municipality: MunicipalityId::parse(&m).map_err(invalid)?,
                    criterion: Criterion::parse(&criterion).ok_or_else(|| invalid(&criterion))?,
                    juror,
                    score: u8::try_from(score).map_err(invalid)?,
                    note,
                    scored_at: moment(&at)?,
                })
            })
            .collect()
    }

    async fn publish_award(&self, year: Year, actor: &Actor) -> Result<(), StoreError> {
        let y = i64::from(year.get());
        let mut tx = self.begin().await?;
        let t = &mut tx;
        not_published(t, year).await?;
        let nominees = fetch_all!(tx t, (String,),
            "SELECT municipality_id FROM award_nominee WHERE year = $1", y)?;
        if nominees.is_empty() {
            return Err(StoreError::NotFound(
                Message::new("award_no_nominees").with("year", year),
            ));
        }
        exec!(
            t,
            "UPDATE award_year SET published_by = $1, published_at = $2 WHERE year = $3",
            &actor.who,
            actor.at.to_string(),
            y
        )?;
        audit(
            t,
            actor,
            None,
            AuditAction::AwardPublish,
            &format!("award:{year}"),
            None,
            None,
        )
        .await?;
        bump_version(t, Moved::Pages).await?;
        tx.commit().await
    }
}
