//! Participation in the medborgardialog published as measures, one calendar year at a time:
//! participants per 1,000 residents (e-förslag, e-dialogues and citizen budgets), the share
//! of proposals decided within the promised working days, and the median working days from
//! threshold to decision, through the publishing path every result takes (a confirmation
//! page, then values, catalogue and audit in one change).

use time::{Date, Month};

use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::calendar::{Calendar, stockholm_date};
use kvalitet_domain::proposal::{Timeliness, timeliness_in_year};
use kvalitet_domain::swedish::format_number;
use kvalitet_domain::{
    Action, AreaId, Datum, Direction, Gender, Grants, MeasureId, MeasureOrigin, Message,
    MunicipalityId, SourceKind, Timestamp, ValueKey, ValueRow, Year,
};

use crate::ports::{Actor, AuditRecord, ChangeSet, Dialogues, ImportSource, Proposals, Values};
use crate::proposals::{email_hash, residents};
use crate::publish::{self, PublishCheck, ResultMeasure, ResultSet};
use crate::refusal::Refusal;

/// The measure set the figures are shown in on the citizen site.
pub const MEASURE_SET: &str = "medborgardialog";
/// Participants per 1,000 residents.
pub const PARTICIPANTS: &str = "DIAL-DELTAGARE";
/// The share of proposals decided within the promise, in per cent.
pub const IN_TIME: &str = "DIAL-LOFTE";
/// The median working days from threshold to decision.
pub const WORKING_DAYS: &str = "DIAL-DAGAR";

/// A municipality's participation figures for one year, before they are published.
#[derive(Debug, Clone, PartialEq)]
pub struct ParticipationFigures {
    pub municipality: MunicipalityId,
    pub year: Year,
    /// Distinct confirmed addresses that proposed, signed, joined an e-dialogue or voted by
    /// e-mail in a citizen budget.
    pub addresses: u64,
    /// Citizen budget ballots cast with one-time codes.
    pub ballots: u64,
    /// The residents the share is of, and the year of that count.
    pub residents: Option<(u64, i32)>,
    /// The working days promised, when the municipality takes proposals.
    pub promised: Option<u32>,
    pub timeliness: Timeliness,
    /// Whether the year has ended (Swedish time): until then the figures still grow.
    pub year_over: bool,
}

impl ParticipationFigures {
    /// Everyone who took part: addresses and ballots (a person who both voted with a code
    /// and signed with an address is counted twice; codes carry no address to match).
    pub fn participants(&self) -> u64 {
        self.addresses + self.ballots
    }

    /// Participants per 1,000 residents, with two decimals: a city's few hundred among
    /// half a million residents is still more than nothing.
    pub fn per_thousand(&self) -> Option<f64> {
        let (residents, _) = self.residents?;
        (residents > 0)
            .then(|| (self.participants() as f64 * 100_000.0 / residents as f64).round() / 100.0)
    }

    /// The share of proposals decided within the promise, in per cent with one decimal.
    pub fn share_in_time(&self) -> Option<f64> {
        self.timeliness.share_in_time().map(|s| round1(s * 100.0))
    }

    /// The values published: each figure the year has.
    pub fn values(&self) -> Vec<(&'static str, f64)> {
        [
            (PARTICIPANTS, self.per_thousand()),
            (IN_TIME, self.share_in_time()),
            (WORKING_DAYS, self.timeliness.median_working_days),
        ]
        .into_iter()
        .filter_map(|(id, v)| Some((id, v?)))
        .collect()
    }
}

/// One decimal, as a share in per cent is shown.
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Publishing figures is for the municipality's administrators, as every publishing is.
fn may_publish(grants: &Grants, m: &MunicipalityId) -> Result<(), Refusal> {
    if grants.allows(Action::Publish, m) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(
            Message::new("participation_admins_publish").with("municipality", m),
        ))
    }
}

/// The municipality's figures for `year` (not a year still to come), for its administrators.
pub async fn figures(
    store: &(impl Dialogues + Proposals + Values),
    grants: &Grants,
    m: &MunicipalityId,
    year: Year,
    now: Timestamp,
) -> Result<ParticipationFigures, Refusal> {
    may_publish(grants, m)?;
    let today = stockholm_date(now.datetime());
    let y = i32::from(year.get());
    if y > today.year() {
        return Err(Refusal::Invalid(
            Message::new("participation_future_year").with("year", y),
        ));
    }
    let first = Date::from_calendar_date(y, Month::January, 1)
        .map_err(|_| Refusal::Invalid(Message::new("participation_future_year").with("year", y)))?;
    let last = Date::from_calendar_date(y, Month::December, 31).unwrap_or(first);
    let mut taking_part = store.participation(m, first, last).await?;
    for (email, at) in &taking_part.proposers {
        if stockholm_date(at.datetime()).year() == y {
            taking_part.addresses.insert(email_hash(m, email));
        }
    }
    for (hash, at) in &taking_part.email_voters {
        if stockholm_date(at.datetime()).year() == y {
            taking_part.addresses.insert(hash.clone());
        }
    }
    let settings = store.proposal_settings(m).await?;
    let timeliness = match &settings {
        Some(s) => {
            let proposals = store.proposals(m, true).await?;
            let cases: Vec<_> = proposals
                .iter()
                .filter_map(|p| {
                    let reached = p.milestones.threshold_reached_on?;
                    Some((reached, p.milestones.decided_on))
                })
                .collect();
            timeliness_in_year(
                &Calendar::default(),
                s.answer_working_days,
                &cases,
                today,
                y,
            )
        }
        None => Timeliness::default(),
    };
    Ok(ParticipationFigures {
        municipality: *m,
        year,
        addresses: taking_part.addresses.len() as u64,
        ballots: taking_part.ballots,
        residents: residents(store, m, Some(y)).await?,
        promised: settings.map(|s| s.answer_working_days),
        timeliness,
        year_over: today > last,
    })
}

/// The check before publishing: each figure as it will read, the counts that stay
/// internal, and what the publisher should know first.
pub fn publish_check(f: &ParticipationFigures) -> PublishCheck {
    let mut check = PublishCheck::default();
    match (f.per_thousand(), f.residents) {
        (Some(per), Some((residents, of_year))) => check.public.push(
            Message::new("public_participation")
                .with("n", f.participants())
                .with("addresses", f.addresses)
                .with("ballots", f.ballots)
                .with("residents", format_number(residents as f64, 0))
                .with("residents_year", of_year)
                .with("per", format_number(per, 2)),
        ),
        _ => check
            .warnings
            .push(Message::new("warn_participation_no_residents").with("n", f.participants())),
    }
    let t = &f.timeliness;
    match f.share_in_time() {
        Some(share) => check.public.push(
            Message::new("public_promise_share")
                .with("in_time", t.in_time)
                .with("due", t.decided + t.overdue)
                .with("share", format_number(share, 1))
                .with("promised", f.promised.unwrap_or_default()),
        ),
        None => check
            .warnings
            .push(Message::new("warn_no_promise_due").with("year", f.year)),
    }
    if let Some(days) = t.median_working_days {
        check
            .public
            .push(Message::new("public_median_days").with("days", format_number(days, 1)));
    }
    check
        .internal
        .push(Message::new("internal_participation_addresses"));
    if !f.year_over {
        check
            .warnings
            .push(Message::new("warn_year_not_over").with("year", f.year));
    }
    check
}

/// What the measures are and how they are counted: read by residents on each measure's page.
fn measures(year: Year) -> crate::ports::CatalogueBatch {
    let measure = |id: &str,
                   title: &str,
                   question: &str,
                   description: &str,
                   unit: &str,
                   direction,
                   decimals| {
        Some(ResultMeasure {
            id: MeasureId::parse(id).ok()?,
            title: title.to_owned(),
            question: question.to_owned(),
            description: description.to_owned(),
            unit: unit.to_owned(),
            source_kind: SourceKind::OwnReporting,
            direction,
            decimals,
        })
    };
    let results = [
        measure(
            PARTICIPANTS,
            "Deltagare i medborgardialog per 1 000 invånare",
            "Hur många deltar i kommunens e-förslag, e-dialoger och medborgarbudget?",
            "Deltagare under året per 1 000 invånare med två decimaler (Kolada N01951 för året eller senast före): olika bekräftade e-postadresser som lämnat eller skrivit under ett e-förslag, gått med i en e-dialog eller röstat med e-post i medborgarbudget, plus röster med engångskod i medborgarbudget (en kod räknas som en deltagare eftersom den saknar adress att jämföra med).",
            "per 1 000 invånare",
            Direction::HigherIsBetter,
            2,
        ),
        measure(
            IN_TIME,
            "E-förslag besvarade inom utlovad tid",
            "Får e-förslag som nått sin gräns beslut inom den tid kommunen lovat?",
            "Andel e-förslag vars löfte avgjordes under året som fick nämndens beslut inom det utlovade antalet arbetsdagar från dagen gränsen nåddes. Ett löfte avgörs beslutsdagen om beslutet kom i tid, annars första arbetsdagen efter löftet.",
            "procent",
            Direction::HigherIsBetter,
            1,
        ),
        measure(
            WORKING_DAYS,
            "Arbetsdagar från gräns till beslut för e-förslag",
            "Hur lång tid tar det från att ett e-förslag når sin gräns till nämndens beslut?",
            "Median av arbetsdagarna (svensk kalender: helger, helgdagar, midsommar-, jul- och nyårsafton räknas inte) från dagen gränsen nåddes till beslutsdagen, för beslut under året.",
            "arbetsdagar",
            Direction::LowerIsBetter,
            1,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let set = ResultSet {
        id: MEASURE_SET.to_owned(),
        title: "Medborgardialog".into(),
        title_en: Some("Citizen dialogue".into()),
        area: "Delaktighet och svar".into(),
        area_en: Some("Participation and answers".into()),
        description: "Hur många invånare som deltar i kommunens e-förslag, e-dialoger och medborgarbudget, och hur väl kommunen håller vad den lovar om svar.".into(),
        participants: Vec::new(),
    };
    publish::as_measures(MeasureOrigin::Dialogue, year, set, results)
}

/// Publishes the year's figures as values of the municipality, with their measures and an
/// audit event, in one change. Publishing a year again replaces its figures (a year is
/// published while it runs and again when it is over).
pub async fn publish(
    store: &(impl Dialogues + Proposals + Values),
    grants: &Grants,
    m: &MunicipalityId,
    year: Year,
    actor: &Actor,
) -> Result<usize, Refusal> {
    let f = figures(store, grants, m, year, actor.at).await?;
    let values = f.values();
    if values.is_empty() {
        return Err(Refusal::Invalid(
            Message::new("no_participation_figures").with("year", year),
        ));
    }
    let rows: Vec<ValueRow> = values
        .iter()
        .filter_map(|&(id, value)| {
            Some(ValueRow {
                key: ValueKey {
                    measure: MeasureId::parse(id).ok()?,
                    area: AreaId::Municipality(*m),
                    year,
                    gender: Gender::Total,
                },
                datum: Datum::Number(value),
                count: None,
            })
        })
        .collect();
    let n = rows.len();
    let change = ChangeSet {
        catalogue: Some(measures(year)),
        values: rows,
        audit: vec![AuditRecord {
            actor: actor.clone(),
            municipality: Some(*m),
            action: AuditAction::ParticipationPublish,
            object: format!("participation:{m}:{year}"),
            before: None,
            after: Some(serde_json::json!(
                values
                    .iter()
                    .map(|(id, v)| (id.to_string(), *v))
                    .collect::<std::collections::BTreeMap<_, _>>()
            )),
        }],
        ..ChangeSet::default()
    };
    let source = ImportSource {
        source: format!("participation {m} {year} published by {}", actor.who),
        format: "publish".into(),
        at: actor.at,
    };
    store.apply(&source, change).await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(addresses: u64, ballots: u64, residents: Option<u64>) -> ParticipationFigures {
        ParticipationFigures {
            municipality: MunicipalityId::parse("2460").unwrap(),
            year: Year::new(2026).unwrap(),
            addresses,
            ballots,
            residents: residents.map(|r| (r, 2025)),
            promised: Some(30),
            timeliness: Timeliness::default(),
            year_over: true,
        }
    }

    #[test]
    fn participants_are_counted_per_thousand_residents_with_one_decimal() {
        // Vännäs: 40 addresses and 25 ballots among 8,765 residents is 7.416 per 1,000.
        let f = figures(40, 25, Some(8_765));
        assert_eq!(f.participants(), 65);
        assert_eq!(f.per_thousand(), Some(7.42));
        assert_eq!(f.values(), vec![(PARTICIPANTS, 7.42)]);
        let check = publish_check(&f);
        assert_eq!(check.public[0].arg("per"), Some("7,42"));
        // Seven in a city of 596,841 is not nothing.
        assert_eq!(figures(7, 0, Some(596_841)).per_thousand(), Some(0.01));
        assert!(
            check
                .warnings
                .iter()
                .any(|w| w.code == "warn_no_promise_due")
        );
        // Without a count of residents nothing is per 1,000, and the publisher is told.
        let f = figures(40, 25, None);
        assert_eq!(f.per_thousand(), None);
        assert!(f.values().is_empty());
        assert!(
            publish_check(&f)
                .warnings
                .iter()
                .any(|w| w.code == "warn_participation_no_residents")
        );
    }

    #[test]
    fn the_promise_and_the_days_are_published_when_the_year_has_them() {
        let mut f = figures(0, 0, Some(1_000));
        f.timeliness = Timeliness {
            decided: 2,
            in_time: 1,
            overdue: 1,
            waiting: 0,
            median_working_days: Some(12.5),
        };
        f.year_over = false;
        assert_eq!(
            f.values(),
            vec![(PARTICIPANTS, 0.0), (IN_TIME, 33.3), (WORKING_DAYS, 12.5)]
        );
        let check = publish_check(&f);
        assert!(
            check
                .warnings
                .iter()
                .any(|w| w.code == "warn_year_not_over")
        );
        let batch = measures(f.year);
        let days = batch
            .measures
            .iter()
            .find(|m| m.id.as_str() == WORKING_DAYS)
            .unwrap();
        assert_eq!(days.direction, Direction::LowerIsBetter);
        assert_eq!(days.origin, MeasureOrigin::Dialogue);
    }
}
