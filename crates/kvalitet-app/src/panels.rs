//! Citizen panels as use cases (docs/surveys.md): a panel and its members (read from a list
//! with their recruitment and background; leaving, and replacements), the population's
//! margins it is compared with, its representativeness, its waves (a survey sent to every
//! active member, each with a personal link), participation per wave and over all waves, a
//! wave's answers weighted to the population by raking, and its results over the waves.

use std::collections::BTreeMap;

use kvalitet_domain::questionnaire::QuestionKind;
use kvalitet_domain::survey_results::{Response, ResultRules, question_result};
use kvalitet_domain::weighting::{self, Estimate, Margin, RakeOptions};
use kvalitet_domain::{Action, Grants, Message, MunicipalityId, Timestamp};
use kvalitet_formats::Location;
use kvalitet_formats::table::Table;
use kvalitet_formats::weighting_files::read_targets;

use crate::accounts::{new_token, normalise_email, token_hash};
use crate::ports::{
    Actor, NewInvitation, NewMember, Panels, PopulationShare, Recruitment, StoreError,
    StoredMember, StoredPanel, StoredWave, Surveys,
};
use crate::refusal::Refusal;
use crate::surveys::{self, Invitee};

/// The most members read from one list, and the largest list and margins file.
pub const MAX_MEMBERS: usize = 100_000;
pub const MAX_MEMBER_LIST_BYTES: usize = 16 << 20;
pub const MAX_MARGINS_BYTES: usize = 1 << 20;

fn may(grants: &Grants, action: Action, m: &MunicipalityId) -> Result<(), Refusal> {
    if grants.allows(action, m) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(
            Message::new(if action == Action::ViewDrafts {
                "surveys_staff_only"
            } else {
                "surveys_editors_only"
            })
            .with("municipality", m),
        ))
    }
}

fn store_fault(e: impl std::fmt::Display) -> Refusal {
    Refusal::Store(StoreError::Database(e.to_string()))
}

/// Creates a panel.
pub async fn create(
    store: &impl Panels,
    grants: &Grants,
    m: &MunicipalityId,
    code: &str,
    title: &str,
    actor: &Actor,
) -> Result<i64, Refusal> {
    may(grants, Action::EditMeasures, m)?;
    let mut problems = Vec::new();
    if let Err(e) = kvalitet_domain::text::check_slug("code", code) {
        problems.push(e);
    }
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        problems.push(Message::in_field(
            "title",
            Message::new("give_title").with("max", 200),
        ));
    }
    if !problems.is_empty() {
        return Err(Refusal::BadRows(problems));
    }
    Ok(store.create_panel(m, code, title, actor).await?)
}

/// The municipality's panels, for its people.
pub async fn list(
    store: &impl Panels,
    grants: &Grants,
    m: &MunicipalityId,
) -> Result<Vec<StoredPanel>, Refusal> {
    may(grants, Action::ViewDrafts, m)?;
    Ok(store.panels(m).await?)
}

/// A member with their background read.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub stored: StoredMember,
    pub background: BTreeMap<String, String>,
}

impl Member {
    pub fn active(&self) -> bool {
        self.stored.left_on.is_none()
    }
}

/// A panel with everything its page shows.
#[derive(Debug, Clone)]
pub struct Panel {
    pub stored: StoredPanel,
    pub members: Vec<Member>,
    pub reference_date: Option<String>,
    pub margins: Vec<Margin>,
    pub waves: Vec<StoredWave>,
}

impl Panel {
    /// Answered of invited over every wave so far.
    pub fn cumulative(&self) -> (u64, u64) {
        self.waves
            .iter()
            .fold((0, 0), |(a, i), w| (a + w.answered, i + w.invited))
    }
}

/// The shares as the domain rakes to: a margin per variable, in the file's order.
fn margins_of(shares: &[PopulationShare]) -> Vec<Margin> {
    let mut margins: Vec<Margin> = Vec::new();
    for s in shares {
        let at = match margins.iter().position(|m| m.variable == s.variable) {
            Some(at) => at,
            None => {
                margins.push(Margin {
                    variable: s.variable.clone(),
                    levels: Vec::new(),
                    shares: Vec::new(),
                });
                margins.len() - 1
            }
        };
        margins[at].levels.push(s.level.clone());
        margins[at].shares.push(s.share);
    }
    margins
}

/// A panel for its municipality's people.
pub async fn load(
    store: &impl Panels,
    grants: &Grants,
    m: &MunicipalityId,
    id: i64,
) -> Result<Panel, Refusal> {
    may(grants, Action::ViewDrafts, m)?;
    let stored = store
        .panel(m, id)
        .await?
        .ok_or_else(|| Refusal::NotFound(Message::new("panel_not_found")))?;
    let members = store
        .members(m, id)
        .await?
        .into_iter()
        .map(|stored| {
            let background = serde_json::from_str(&stored.background).map_err(store_fault)?;
            Ok(Member { stored, background })
        })
        .collect::<Result<Vec<_>, Refusal>>()?;
    let (reference_date, shares) = store.panel_margins(m, id).await?;
    Ok(Panel {
        stored,
        members,
        reference_date,
        margins: margins_of(&shares),
        waves: store.waves(m, id).await?,
    })
}

/// One row of a member list, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub line: usize,
    pub email: Option<String>,
    pub recruitment: Recruitment,
    pub joined_on: Option<String>,
    /// The address of the member this one replaces.
    pub replaces: Option<String>,
    pub background: BTreeMap<String, String>,
}

/// Reads a member list: `recruitment` (`probability` or `self`; Swedish `urval` and `själv`
/// too), optional `email`, `joined_on` (YYYY-MM-DD) and `replaces` (the replaced member's
/// address), and a column per background variable. Every problem is named by its place.
pub fn read_members(text: &str) -> Result<Vec<MemberRow>, Vec<Message>> {
    if text.len() > MAX_MEMBER_LIST_BYTES {
        return Err(vec![
            Message::new("file_too_large").with("mb", MAX_MEMBER_LIST_BYTES >> 20),
        ]);
    }
    let table = Table::read(text)?;
    if !table.header.iter().any(|h| h == "recruitment") {
        return Err(vec![
            Location::line(1).say(Message::new("column_missing").with("column", "recruitment")),
        ]);
    }
    if table.rows.is_empty() {
        return Err(vec![Message::new("no_rows")]);
    }
    if table.rows.len() > MAX_MEMBERS {
        return Err(vec![Message::new("too_many_rows").with("max", MAX_MEMBERS)]);
    }
    let fixed = ["email", "recruitment", "joined_on", "replaces"];
    let mut problems = Vec::new();
    for (i, h) in table.header.iter().enumerate() {
        if let Err(e) = kvalitet_domain::text::check_slug("column", h) {
            problems.push(Location::line(1).with_field(format!("{}", i + 1)).say(e));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut rows = Vec::with_capacity(table.rows.len());
    let mut seen = std::collections::HashMap::new();
    for row in table.rows() {
        let email = match row.get("email") {
            "" => None,
            given => match normalise_email(given) {
                Ok(e) => {
                    if let Some(first) = seen.insert(e.clone(), row.line) {
                        problems.push(
                            row.at("email")
                                .say(Message::new("id_listed_twice").with("line", first)),
                        );
                    }
                    Some(e)
                }
                Err(e) => {
                    problems.push(row.at("email").say(e.message()));
                    None
                }
            },
        };
        let recruitment = match row.get("recruitment").to_lowercase().as_str() {
            "probability" | "urval" | "slumpmässigt urval" => Recruitment::Probability,
            "self" | "själv" | "självrekryterad" => Recruitment::SelfRecruited,
            other => {
                problems.push(row.at("recruitment").say(
                    Message::new("panel_recruitment_unknown").with("value", format!("{other:?}")),
                ));
                continue;
            }
        };
        let joined_on = match row.get("joined_on") {
            "" => None,
            d if time::Date::parse(d, &time::format_description::well_known::Iso8601::DATE)
                .is_ok() =>
            {
                Some(d.to_owned())
            }
            d => {
                problems.push(
                    row.at("joined_on")
                        .say(Message::new("not_a_date").with("value", format!("{d:?}"))),
                );
                None
            }
        };
        let replaces = match row.get("replaces") {
            "" => None,
            r => Some(r.trim().to_lowercase()),
        };
        let background = table
            .header
            .iter()
            .filter(|h| !fixed.contains(&h.as_str()))
            .map(|h| (h.clone(), row.get(h).to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        rows.push(MemberRow {
            line: row.line,
            email,
            recruitment,
            joined_on,
            replaces,
            background,
        });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// Adds the members of a list (all or none). A replacement names the address of a member
/// who has left; a member without a join date joined `today`.
pub async fn add_members(
    store: &impl Panels,
    grants: &Grants,
    m: &MunicipalityId,
    panel: i64,
    text: &str,
    today: &str,
    actor: &Actor,
) -> Result<usize, Refusal> {
    may(grants, Action::EditMeasures, m)?;
    let rows = read_members(text).map_err(Refusal::BadRows)?;
    let existing = store.members(m, panel).await?;
    let mut problems = Vec::new();
    let mut members = Vec::with_capacity(rows.len());
    for row in rows {
        let replaces = match &row.replaces {
            None => None,
            Some(email) => {
                match existing
                    .iter()
                    .find(|e| e.email.as_deref() == Some(email.as_str()))
                {
                    Some(e) if e.left_on.is_some() => Some(e.id),
                    Some(_) => {
                        problems.push(
                            Location::line(row.line as u64)
                                .with_field("replaces")
                                .say(Message::new("panel_replaces_active").with("email", email)),
                        );
                        None
                    }
                    None => {
                        problems.push(
                            Location::line(row.line as u64)
                                .with_field("replaces")
                                .say(Message::new("panel_replaces_unknown").with("email", email)),
                        );
                        None
                    }
                }
            }
        };
        if let Some(email) = &row.email
            && existing
                .iter()
                .any(|e| e.left_on.is_none() && e.email.as_deref() == Some(email.as_str()))
        {
            problems.push(
                Location::line(row.line as u64)
                    .with_field("email")
                    .say(Message::new("panel_member_already").with("email", email)),
            );
        }
        members.push(NewMember {
            email: row.email,
            background: serde_json::to_string(&row.background).map_err(store_fault)?,
            recruitment: row.recruitment,
            joined_on: row.joined_on.unwrap_or_else(|| today.to_owned()),
            replaces,
        });
    }
    if !problems.is_empty() {
        return Err(Refusal::BadRows(problems));
    }
    Ok(store.add_members(m, panel, &members, actor).await?)
}

/// Records that a member left on `on` (`YYYY-MM-DD`).
pub async fn leave(
    store: &impl Panels,
    grants: &Grants,
    m: &MunicipalityId,
    panel: i64,
    member: i64,
    on: &str,
    actor: &Actor,
) -> Result<(), Refusal> {
    may(grants, Action::EditMeasures, m)?;
    Ok(store.member_leaves(m, panel, member, on, actor).await?)
}

/// Replaces the panel's population margins with a targets file (`variable,level,share`, the
/// shares of each variable summing to 1) as of `reference_date` (`YYYY-MM-DD`).
pub async fn set_margins(
    store: &impl Panels,
    grants: &Grants,
    m: &MunicipalityId,
    panel: i64,
    reference_date: &str,
    text: &str,
    actor: &Actor,
) -> Result<usize, Refusal> {
    may(grants, Action::EditMeasures, m)?;
    let date = reference_date.trim();
    if time::Date::parse(date, &time::format_description::well_known::Iso8601::DATE).is_err() {
        return Err(Refusal::Invalid(Message::in_field(
            "reference_date",
            Message::new("not_a_date").with("value", format!("{date:?}")),
        )));
    }
    if text.len() > MAX_MARGINS_BYTES {
        return Err(Refusal::Invalid(
            Message::new("file_too_large").with("mb", MAX_MARGINS_BYTES >> 20),
        ));
    }
    let margins = read_targets(text).map_err(Refusal::BadRows)?;
    let shares: Vec<PopulationShare> = margins
        .iter()
        .flat_map(|g| {
            g.levels
                .iter()
                .zip(&g.shares)
                .map(|(level, share)| PopulationShare {
                    variable: g.variable.clone(),
                    level: level.clone(),
                    share: *share,
                })
        })
        .collect();
    store
        .set_panel_margins(m, panel, date, &shares, actor)
        .await?;
    Ok(margins.len())
}

/// One level of a background variable: the population's share, the active members' share
/// and count.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelShare {
    pub level: String,
    pub population: Option<f64>,
    pub panel: f64,
    pub members: usize,
}

/// The panel beside the population on one variable, with the sum of the absolute
/// differences in percentage points (ANES's discrepancy) and the members without a level.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableShares {
    pub variable: String,
    pub levels: Vec<LevelShare>,
    pub discrepancy: f64,
    pub missing: usize,
}

/// The active members against the population on every variable of the margins (members
/// with a level the population file lacks are listed under it without a population share).
pub fn representativeness(panel: &Panel) -> Vec<VariableShares> {
    let active: Vec<&Member> = panel.members.iter().filter(|m| m.active()).collect();
    panel
        .margins
        .iter()
        .map(|margin| {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            let mut missing = 0;
            for member in &active {
                match member.background.get(&margin.variable) {
                    Some(level) => *counts.entry(level.as_str()).or_default() += 1,
                    None => missing += 1,
                }
            }
            let known: usize = counts.values().sum();
            let share = |n: usize| {
                if known == 0 {
                    0.0
                } else {
                    n as f64 / known as f64
                }
            };
            let mut levels: Vec<LevelShare> = margin
                .levels
                .iter()
                .zip(&margin.shares)
                .map(|(level, population)| {
                    let n = counts.remove(level.as_str()).unwrap_or(0);
                    LevelShare {
                        level: level.clone(),
                        population: Some(*population),
                        panel: share(n),
                        members: n,
                    }
                })
                .collect();
            levels.extend(counts.into_iter().map(|(level, n)| LevelShare {
                level: level.to_owned(),
                population: None,
                panel: share(n),
                members: n,
            }));
            let discrepancy = levels
                .iter()
                .map(|l| (l.panel - l.population.unwrap_or(0.0)).abs() * 100.0)
                .sum();
            VariableShares {
                variable: margin.variable.clone(),
                levels,
                discrepancy,
                missing,
            }
        })
        .collect()
}

/// Sends a survey to the panel as a wave: a personal link for every active member, carrying
/// their background to their answer. Returns each member's address with their link's token
/// (the only time it is seen).
pub async fn start_wave(
    store: &(impl Panels + Surveys),
    grants: &Grants,
    m: &MunicipalityId,
    panel: i64,
    survey: i64,
    actor: &Actor,
) -> Result<Vec<(Invitee, String)>, Refusal> {
    let p = load(store, grants, m, panel).await?;
    may(grants, Action::EditMeasures, m)?;
    surveys::for_staff(store, grants, m, survey).await?;
    let active: Vec<&Member> = p.members.iter().filter(|m| m.active()).collect();
    if active.is_empty() {
        return Err(Refusal::Invalid(Message::new("panel_no_members")));
    }
    let mut rows = Vec::with_capacity(active.len());
    let mut made = Vec::with_capacity(active.len());
    for member in active {
        let token = new_token().map_err(store_fault)?;
        rows.push((
            member.stored.id,
            NewInvitation {
                token_hash: token_hash(&token),
                email: member.stored.email.clone(),
                background: member.stored.background.clone(),
            },
        ));
        made.push((
            Invitee {
                email: member.stored.email.clone(),
                background: member.background.clone(),
            },
            token,
        ));
    }
    store.start_wave(m, panel, survey, &rows, actor).await?;
    Ok(made)
}

/// What weighting a wave gave.
#[derive(Debug, Clone, PartialEq)]
pub struct WaveWeights {
    pub weighted: usize,
    pub converged: bool,
    pub iterations: usize,
    pub max_error: f64,
    pub deff: f64,
    pub n_eff: f64,
}

/// Weights a wave's answers to its panel's population margins by raking (every variable of
/// the margins). Refused when the survey is no panel's wave, the panel has no margins, an
/// answer lacks a variable or has a level the population file lacks (weighting would have
/// to guess), or a level with a population share has no answers.
pub async fn weight_wave(
    store: &(impl Panels + Surveys),
    grants: &Grants,
    m: &MunicipalityId,
    survey: i64,
    actor: &Actor,
) -> Result<WaveWeights, Refusal> {
    may(grants, Action::EditMeasures, m)?;
    let s = surveys::for_staff(store, grants, m, survey).await?;
    let panel = s
        .stored
        .panel
        .ok_or_else(|| Refusal::Invalid(Message::new("survey_not_a_wave")))?;
    let (_, shares) = store.panel_margins(m, panel).await?;
    let margins = margins_of(&shares);
    if margins.is_empty() {
        return Err(Refusal::Invalid(Message::new("panel_no_margins")));
    }
    let stored = store.responses(m, survey).await?;
    let responses = surveys::read_responses(&stored)?;
    let mut codes: Vec<Vec<u32>> = margins.iter().map(|_| Vec::new()).collect();
    let mut problems = Vec::new();
    for (margin, column) in margins.iter().zip(&mut codes) {
        let mut lacking = 0;
        for r in &responses {
            match r
                .background
                .get(&margin.variable)
                .and_then(|level| margin.levels.iter().position(|l| l == level))
            {
                Some(i) => column.push(i as u32),
                None => lacking += 1,
            }
        }
        if lacking > 0 {
            problems.push(
                Message::new("weighting_answers_lack")
                    .with("n", lacking)
                    .with("variable", &margin.variable),
            );
        }
    }
    if !problems.is_empty() {
        return Err(Refusal::BadRows(problems));
    }
    let raked = weighting::rake(&codes, &margins, None, &RakeOptions::default())
        .map_err(Refusal::Invalid)?;
    let weights: Vec<(i64, f64)> = stored
        .iter()
        .zip(&raked.weights)
        .map(|(r, w)| (r.id, *w))
        .collect();
    store
        .set_response_weights(m, survey, &weights, actor)
        .await?;
    Ok(WaveWeights {
        weighted: weights.len(),
        converged: raked.converged,
        iterations: raked.iterations,
        max_error: raked.max_error,
        deff: weighting::design_effect(&raked.weights),
        n_eff: weighting::effective_n(&raked.weights),
    })
}

/// One question's mean in each wave that asked it (none where too few answered).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub question: String,
    pub text: String,
    pub points: Vec<(String, Option<Estimate>)>,
}

/// The means of the scale questions over the panel's waves (weighted where the wave is),
/// questions in the order first asked, waves oldest first: a question keeps its meaning
/// under its id, so a question asked in several waves is one series.
pub async fn series(
    store: &(impl Panels + Surveys),
    grants: &Grants,
    m: &MunicipalityId,
    panel: &Panel,
) -> Result<Vec<Series>, Refusal> {
    let mut out: Vec<Series> = Vec::new();
    let waves = &panel.waves;
    for (i, wave) in waves.iter().enumerate() {
        let s = surveys::for_staff(store, grants, m, wave.survey).await?;
        let stored = store.responses(m, wave.survey).await?;
        let responses: Vec<Response> = surveys::read_responses(&stored)?;
        let refs: Vec<&Response> = responses.iter().collect();
        let rules = ResultRules {
            self_selected: panel
                .members
                .iter()
                .all(|m| m.stored.recruitment == Recruitment::SelfRecruited),
            ..ResultRules::default()
        };
        for q in s.questionnaire.questions() {
            if q.kind != QuestionKind::Scale {
                continue;
            }
            let at = match out.iter().position(|x| x.question == q.id) {
                Some(at) => at,
                None => {
                    out.push(Series {
                        question: q.id.clone(),
                        text: q.text.sv.clone(),
                        points: waves.iter().map(|w| (w.code.clone(), None)).collect(),
                    });
                    out.len() - 1
                }
            };
            let result = question_result(q, &refs, &rules);
            out[at].points[i].1 = result.mean.map(|b| b.weighted);
        }
    }
    Ok(out)
}

/// Today in Swedish time, as `YYYY-MM-DD`: a join date when the list gives none.
pub fn today(now: Timestamp) -> String {
    kvalitet_domain::calendar::stockholm_date(now.datetime()).to_string()
}
