//! Sveriges Kvalitetskommun after the screening (docs/reports.md): a kommun's editors write
//! its four step-2 descriptions with evidence links; a system administrator sets the year's
//! nominees, scores them as a juror (as may other system administrators) and publishes the
//! jury's result. Until then the descriptions are the kommun's and the system
//! administrators', and the scores the system administrators' only.

use kvalitet_domain::access::{Action, Grants};
use kvalitet_domain::award::{self, Criterion, Theme};
use kvalitet_domain::{Message, MunicipalityId, Year};

use crate::ports::{Actor, Award, AwardYear, JuryScore, StoredNarrative};
use crate::refusal::Refusal;

/// Saves a kommun's description of one theme for the award `year`: its editors may; the
/// text and the evidence lines (`title | link`, one per line) are checked first, and a
/// problem names its field.
#[allow(clippy::too_many_arguments)] // the form's fields, each its own
pub async fn save_narrative(
    store: &impl Award,
    grants: &Grants,
    m: &MunicipalityId,
    year: Year,
    theme: &str,
    body: &str,
    evidence: &str,
    actor: &Actor,
) -> Result<(), Refusal> {
    if !grants.allows(Action::EditMeasures, m) {
        return Err(Refusal::Forbidden(
            Message::new("award_editors_only").with("municipality", m),
        ));
    }
    let theme = Theme::parse(theme).ok_or_else(|| {
        Refusal::Invalid(Message::in_field(
            "theme",
            Message::new("award_choose_theme"),
        ))
    })?;
    let body = body.trim();
    award::check_narrative(body).map_err(Refusal::Invalid)?;
    let evidence = award::parse_evidence(evidence).map_err(Refusal::Invalid)?;
    if let Some(y) = store.award_year(year).await?
        && y.published.is_some()
    {
        return Err(Refusal::Invalid(
            Message::new("award_published").with("year", year),
        ));
    }
    Ok(store
        .save_narrative(m, year, theme, body, &evidence, actor)
        .await?)
}

/// Whether the award year's jury result is public.
async fn published(store: &impl Award, year: Year) -> Result<Option<AwardYear>, Refusal> {
    Ok(store.award_year(year).await?)
}

/// A kommun's descriptions for the award `year`: for its own people and system
/// administrators always, for everyone once the year is published.
pub async fn narratives(
    store: &impl Award,
    grants: Option<&Grants>,
    m: &MunicipalityId,
    year: Year,
) -> Result<Vec<StoredNarrative>, Refusal> {
    let public = published(store, year)
        .await?
        .is_some_and(|y| y.published.is_some());
    if !public && !grants.is_some_and(|g| g.allows(Action::ViewDrafts, m)) {
        return Err(Refusal::NotFound(
            Message::new("award_not_public").with("year", year),
        ));
    }
    Ok(store.narratives(m, year).await?)
}

fn system_admin_only(grants: &Grants) -> Result<(), Refusal> {
    if grants.system_admin {
        Ok(())
    } else {
        Err(Refusal::Forbidden(Message::new("award_jury_only")))
    }
}

/// Sets the year's nominees (kommuner by id, one per line or separated by commas or
/// spaces); system administrators only. An id that is not a kommun is refused by its place.
pub async fn set_nominees(
    store: &impl Award,
    grants: &Grants,
    kommuner: &[MunicipalityId],
    year: Year,
    text: &str,
    actor: &Actor,
) -> Result<Vec<MunicipalityId>, Refusal> {
    system_admin_only(grants)?;
    let mut nominees = Vec::new();
    for id in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let m = MunicipalityId::parse(id)
            .ok()
            .filter(|m| kommuner.contains(m))
            .ok_or_else(|| {
                Refusal::Invalid(Message::in_field(
                    "nominees",
                    Message::new("award_not_a_kommun").with("id", id),
                ))
            })?;
        if !nominees.contains(&m) {
            nominees.push(m);
        }
    }
    if nominees.len() > MAX_NOMINEES {
        return Err(Refusal::Invalid(Message::in_field(
            "nominees",
            Message::new("award_too_many_nominees").with("max", MAX_NOMINEES),
        )));
    }
    store.set_nominees(year, &nominees, actor).await?;
    Ok(nominees)
}

/// The most nominees a year may have: the award has nominated five or six (domain.md §1d);
/// room for a longer list, not for all 290.
pub const MAX_NOMINEES: usize = 20;

/// A juror's score of a nominee on a criterion; system administrators only.
#[allow(clippy::too_many_arguments)] // the form's fields, each its own
pub async fn score(
    store: &impl Award,
    grants: &Grants,
    year: Year,
    m: &MunicipalityId,
    criterion: &str,
    score: &str,
    note: &str,
    actor: &Actor,
) -> Result<(), Refusal> {
    system_admin_only(grants)?;
    let criterion = Criterion::parse(criterion).ok_or_else(|| {
        Refusal::Invalid(Message::in_field(
            "criterion",
            Message::new("award_choose_criterion"),
        ))
    })?;
    let bad_score = || {
        Refusal::Invalid(Message::in_field(
            "score",
            Message::new("award_bad_score")
                .with("low", award::SCORE_RANGE.start())
                .with("high", award::SCORE_RANGE.end()),
        ))
    };
    let value: u8 = score.trim().parse().map_err(|_| bad_score())?;
    let note = note.trim();
    award::check_score(value, note).map_err(Refusal::Invalid)?;
    Ok(store
        .score_nominee(year, m, criterion, value, note, actor)
        .await?)
}

/// The year's nominees and every score: for system administrators, and for everyone once
/// published. `None` when the year has no nominees.
pub async fn jury(
    store: &impl Award,
    grants: Option<&Grants>,
    year: Year,
) -> Result<Option<(AwardYear, Vec<JuryScore>)>, Refusal> {
    let Some(award) = published(store, year).await? else {
        return Ok(None);
    };
    if award.published.is_none() && !grants.is_some_and(|g| g.system_admin) {
        return Err(Refusal::NotFound(
            Message::new("award_not_public").with("year", year),
        ));
    }
    let scores = store.jury_scores(year).await?;
    Ok(Some((award, scores)))
}

/// Publishes the year's jury result; system administrators only.
pub async fn publish(
    store: &impl Award,
    grants: &Grants,
    year: Year,
    actor: &Actor,
) -> Result<(), Refusal> {
    system_admin_only(grants)?;
    Ok(store.publish_award(year, actor).await?)
}
