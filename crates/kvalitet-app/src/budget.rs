//! Citizen budgets (medborgarbudget, docs/dialogue.md): rounds set up with their published
//! rules, projects judged for feasibility, voting opened with the lot drawn, one-time codes,
//! ballots checked whole and cast once per code, the count by the round's rule and the others
//! stored when voting ends; rounds in Pabulib's `.pb` format read and written, and the
//! analysts' path (`kvalitet budget count`).

use serde::{Deserialize, Serialize};

use kvalitet_domain::budget::{self, Ballot, BallotKind, Election, Fate, Outcome, Project, Rule};
use kvalitet_domain::budget_round::{
    BallotRules, BudgetStatus, Feasibility, Identification, MAX_BALLOT_PROJECTS, ProposedBy,
    VotingWindow, WindowPlace, draw_lot, lot_places,
};
use kvalitet_domain::calendar::parse_date;
use kvalitet_domain::text::{check_len, check_slug, max_chars};
use kvalitet_domain::{Action, Grants, Message, MunicipalityId, Timestamp};
use kvalitet_formats::pabulib::{self, PbRound};

use crate::accounts::token_hash;
use crate::mail::compose;
use crate::ports::{
    Actor, Budgets, ImportedBudgetRound, NewBudgetBallot, NewBudgetProject, NewBudgetRound,
    StoreError, StoredBudgetBallot, StoredBudgetProject, StoredBudgetRound,
};
use crate::ports::{Confirmable, Proposals};
use crate::proposals::{LINK_HOURS, Links, ask_confirmation, read_email};
use crate::refusal::Refusal;

/// The largest `.pb` file read: Warsaw's citywide rounds, the largest in Pabulib, are about
/// 10 MB.
pub const MAX_PB_BYTES: u64 = 256 << 20;
/// The largest `.pb` file taken on the site: a round of a million ballots.
pub const MAX_PB_UPLOAD_BYTES: usize = 64 << 20;

/// A `.pb` round and its count.
#[derive(Debug, Clone)]
pub struct CountedFile {
    pub round: PbRound,
    pub outcome: Outcome,
}

/// Reads a `.pb` file and counts it by `rule`. A `.pb` file carries no lot, so the file's
/// order of projects stands in for it where cost and votes are tied. Every problem of the
/// file names its line.
pub fn count_pb(bytes: &[u8], rule: Rule) -> Result<CountedFile, Vec<Message>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| vec![Message::new("not_utf8").with("byte", e.valid_up_to())])?;
    let round = pabulib::read(text)?;
    let lot: Vec<usize> = (0..round.election.projects.len()).collect();
    let outcome = budget::count(&round.election, rule, &lot).map_err(|e| vec![e])?;
    Ok(CountedFile { round, outcome })
}

/// The most one-time codes made at once, residence areas a round asks about, projects in a
/// round and ballots in a `.pb` file imported to the site.
pub const MAX_CODES: usize = 100_000;
pub const MAX_AREAS: usize = 200;
pub const MAX_ROUND_PROJECTS: usize = MAX_BALLOT_PROJECTS;
pub const MAX_IMPORTED_BALLOTS: usize = 1_000_000;

/// A round's form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoundForm {
    pub code: String,
    pub title: String,
    pub description: String,
    pub amount: String,
    pub ballot_kind: String,
    pub max_projects: String,
    pub points: String,
    pub rule: String,
    pub first_day: String,
    pub last_day: String,
    pub areas: String,
    /// `codes` (also when empty) or `email`.
    pub identification: String,
}

/// A project's form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProjectForm {
    pub code: String,
    pub title: String,
    pub description: String,
    pub cost: String,
    pub area: String,
    pub proposed_by: String,
}

/// A whole number of kronor as typed ("1 500 000", "1500000"), refused in `field`.
fn kronor(field: &str, text: &str) -> Result<u64, Message> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    match digits.parse::<u64>() {
        Ok(n) if n > 0 && n <= budget::MAX_AMOUNT => Ok(n),
        _ => Err(Message::in_field(
            field,
            Message::new("budget_not_an_amount").with("value", text),
        )),
    }
}

/// Reads a round's form; every problem in its field.
pub fn read_round_form(form: &RoundForm) -> Result<NewBudgetRound, Vec<Message>> {
    let mut problems = Vec::new();
    let mut keep = |r: Result<(), Message>| {
        if let Err(m) = r {
            problems.push(m);
        }
    };
    keep(check_slug("code", form.code.trim()));
    keep(check_len("title", &form.title, max_chars::TITLE));
    if form.title.trim().is_empty() {
        keep(Err(Message::in_field(
            "title",
            Message::new("budget_fill_in"),
        )));
    }
    keep(check_len(
        "description",
        &form.description,
        max_chars::DESCRIPTION,
    ));
    let amount = kronor("amount", &form.amount);
    let kind = match form.ballot_kind.as_str() {
        "approval" => Some(BallotKind::Approval),
        "points" => Some(BallotKind::Points),
        _ => None,
    };
    let rule = Rule::from_code(&form.rule);
    let identification = match form.identification.trim() {
        "" => Some(Identification::Codes),
        code => Identification::parse(code),
    };
    if identification.is_none() {
        keep(Err(Message::in_field(
            "identification",
            Message::new("budget_fill_in"),
        )));
    }
    let whole = |field: &str, text: &str| -> Result<Option<u32>, Message> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<u32>().map(Some).map_err(|_| {
            Message::in_field(
                field,
                Message::new("budget_points_not_whole").with("value", text),
            )
        })
    };
    let max_projects = whole("max_projects", &form.max_projects);
    let points = whole("points", &form.points);
    let first = parse_date(&form.first_day).map_err(|m| Message::in_field("first_day", m));
    let last = parse_date(&form.last_day).map_err(|m| Message::in_field("last_day", m));
    let areas: Vec<String> = form
        .areas
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if areas.len() > MAX_AREAS {
        keep(Err(Message::in_field(
            "areas",
            Message::new("budget_too_many_areas").with("max", MAX_AREAS),
        )));
    }
    for a in &areas {
        keep(check_len("areas", a, max_chars::TITLE));
    }
    if kind.is_none() {
        keep(Err(Message::in_field(
            "ballot_kind",
            Message::new("budget_fill_in"),
        )));
    }
    if rule.is_none() {
        keep(Err(Message::in_field(
            "rule",
            Message::new("budget_fill_in"),
        )));
    }
    let (max_projects, points) = match (max_projects, points) {
        (Ok(m), Ok(p)) => (m, p),
        (m, p) => {
            keep(m.map(|_| ()));
            keep(p.map(|_| ()));
            (None, None)
        }
    };
    let ballot = kind.map(|k| BallotRules::new(k, max_projects, points.unwrap_or(0)));
    let window = match (first, last) {
        (Ok(f), Ok(l)) => VotingWindow::new(f, l).map(Some),
        (f, l) => {
            keep(f.map(|_| ()));
            keep(l.map(|_| ()));
            Ok(None)
        }
    };
    let amount = amount.map_err(|m| problems.push(m)).ok();
    let window = window.map_err(|m| problems.push(m)).ok().flatten();
    let ballot = match ballot {
        Some(Err(mut ps)) => {
            problems.append(&mut ps);
            None
        }
        Some(Ok(b)) => Some(b),
        None => None,
    };
    match (amount, ballot, rule, window, identification) {
        (Some(amount), Some(ballot), Some(rule), Some(window), Some(identification))
            if problems.is_empty() =>
        {
            Ok(NewBudgetRound {
                code: form.code.trim().to_owned(),
                title: form.title.trim().to_owned(),
                description: form.description.trim().to_owned(),
                amount,
                ballot,
                rule,
                window,
                areas,
                identification,
            })
        }
        _ => Err(problems),
    }
}

/// Reads a project's form; every problem in its field.
pub fn read_project_form(form: &ProjectForm) -> Result<NewBudgetProject, Vec<Message>> {
    let mut problems = Vec::new();
    for r in [
        check_slug("code", form.code.trim()),
        check_len("title", &form.title, max_chars::TITLE),
        check_len("description", &form.description, max_chars::DESCRIPTION),
        check_len("area", &form.area, max_chars::TITLE),
    ] {
        if let Err(m) = r {
            problems.push(m);
        }
    }
    if form.title.trim().is_empty() {
        problems.push(Message::in_field("title", Message::new("budget_fill_in")));
    }
    let cost = kronor("cost", &form.cost)
        .map_err(|m| problems.push(m))
        .ok();
    let proposed_by = ProposedBy::parse(&form.proposed_by).unwrap_or(ProposedBy::Staff);
    match cost {
        Some(cost) if problems.is_empty() => Ok(NewBudgetProject {
            code: form.code.trim().to_owned(),
            title: form.title.trim().to_owned(),
            description: form.description.trim().to_owned(),
            cost,
            area: form.area.trim().to_owned(),
            proposed_by,
        }),
        _ => Err(problems),
    }
}

fn may_edit(grants: &Grants, m: &MunicipalityId) -> Result<(), Refusal> {
    if grants.allows(Action::EditMeasures, m) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(
            Message::new("budget_editors_only").with("municipality", m),
        ))
    }
}

fn may_view(grants: &Grants, m: &MunicipalityId) -> Result<(), Refusal> {
    if grants.allows(Action::ViewDrafts, m) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(
            Message::new("budget_editors_only").with("municipality", m),
        ))
    }
}

/// A round by its id as residents may know it (open or counted; a draft does not exist to
/// them): for the page that confirms a ballot mailed as a link.
pub async fn public_round_by_id(
    store: &impl Budgets,
    m: &MunicipalityId,
    id: i64,
) -> Result<StoredBudgetRound, Refusal> {
    store
        .budget_round(m, Some(id), "", false)
        .await?
        .filter(|r| r.status != BudgetStatus::Draft)
        .ok_or_else(round_not_found)
}

fn round_not_found() -> Refusal {
    Refusal::NotFound(Message::new("budget_round_not_found"))
}

/// Creates a round as a draft from its form.
pub async fn create_round(
    store: &impl Budgets,
    grants: &Grants,
    m: &MunicipalityId,
    form: &RoundForm,
    actor: &Actor,
) -> Result<i64, Refusal> {
    may_edit(grants, m)?;
    let round = read_round_form(form).map_err(Refusal::BadRows)?;
    store
        .create_budget_round(m, &round, actor)
        .await
        .map_err(in_code_field)
}

/// A taken code is a problem with the form's code field.
fn in_code_field(e: StoreError) -> Refusal {
    match e {
        StoreError::Conflict(m) if m.code.ends_with("code_taken") => {
            Refusal::Invalid(Message::in_field("code", m))
        }
        other => other.into(),
    }
}

/// A round with its projects and, once counted, its count.
#[derive(Debug, Clone)]
pub struct Round {
    pub stored: StoredBudgetRound,
    pub projects: Vec<StoredBudgetProject>,
    pub counted: Option<CountedRound>,
}

impl Round {
    /// The projects on the ballot: the feasible ones, in the order proposed.
    pub fn on_ballot(&self) -> Vec<&StoredBudgetProject> {
        self.projects
            .iter()
            .filter(|p| p.feasibility == Feasibility::Feasible)
            .collect()
    }
}

async fn load(store: &impl Budgets, stored: StoredBudgetRound) -> Result<Round, Refusal> {
    let projects = store
        .budget_projects(&stored.municipality, stored.id)
        .await?;
    let counted = stored
        .result
        .as_deref()
        .map(serde_json::from_str::<CountedRound>)
        .transpose()
        .map_err(|e| Refusal::Store(StoreError::Database(format!("stored count: {e}"))))?;
    Ok(Round {
        stored,
        projects,
        counted,
    })
}

/// The municipality's rounds for its staff, newest first.
pub async fn rounds_for_staff(
    store: &impl Budgets,
    grants: &Grants,
    m: &MunicipalityId,
) -> Result<Vec<StoredBudgetRound>, Refusal> {
    may_view(grants, m)?;
    Ok(store.budget_rounds(m).await?)
}

/// The rounds residents see: open and counted ones (a draft is still being prepared).
pub async fn public_rounds(
    store: &impl Budgets,
    m: &MunicipalityId,
) -> Result<Vec<StoredBudgetRound>, Refusal> {
    let mut rounds = store.budget_rounds(m).await?;
    rounds.retain(|r| r.status != BudgetStatus::Draft);
    Ok(rounds)
}

/// A round for its staff.
pub async fn for_staff(
    store: &impl Budgets,
    grants: &Grants,
    m: &MunicipalityId,
    id: i64,
) -> Result<Round, Refusal> {
    may_view(grants, m)?;
    let stored = store
        .budget_round(m, Some(id), "", true)
        .await?
        .ok_or_else(round_not_found)?;
    load(store, stored).await
}

/// A round's public page by its code: open or counted; with its counts of codes and ballots
/// when `counted` (a voter's request goes without).
pub async fn for_public(
    store: &impl Budgets,
    m: &MunicipalityId,
    code: &str,
    counted: bool,
) -> Result<Round, Refusal> {
    let stored = store
        .budget_round(m, None, code, counted)
        .await?
        .filter(|r| r.status != BudgetStatus::Draft)
        .ok_or_else(round_not_found)?;
    load(store, stored).await
}

/// Adds a project to a draft round.
pub async fn add_project(
    store: &impl Budgets,
    grants: &Grants,
    m: &MunicipalityId,
    round: i64,
    form: &ProjectForm,
    actor: &Actor,
) -> Result<i64, Refusal> {
    may_edit(grants, m)?;
    let project = read_project_form(form).map_err(Refusal::BadRows)?;
    let existing = store.budget_projects(m, round).await?;
    if existing.len() >= MAX_ROUND_PROJECTS {
        return Err(Refusal::Invalid(
            Message::new("budget_too_many_projects").with("max", MAX_ROUND_PROJECTS),
        ));
    }
    store
        .add_budget_project(m, round, &project, actor)
        .await
        .map_err(in_code_field)
}

/// A project judged: whether it can be carried out, and the reason published with it.
#[derive(Debug, Clone, Copy)]
pub struct Judgement<'a> {
    pub project: i64,
    pub feasible: bool,
    pub reason: &'a str,
}

/// Records whether a project can be carried out, with the published reason (required when
/// it cannot).
pub async fn judge(
    store: &impl Budgets,
    grants: &Grants,
    m: &MunicipalityId,
    round: i64,
    judgement: Judgement<'_>,
    actor: &Actor,
) -> Result<(), Refusal> {
    let Judgement {
        project,
        feasible,
        reason,
    } = judgement;
    may_edit(grants, m)?;
    check_len("reason", reason, max_chars::COMMENT).map_err(Refusal::Invalid)?;
    if !feasible && reason.trim().is_empty() {
        return Err(Refusal::Invalid(Message::in_field(
            "reason",
            Message::new("budget_reason_needed"),
        )));
    }
    let feasibility = if feasible {
        Feasibility::Feasible
    } else {
        Feasibility::Infeasible
    };
    Ok(store
        .judge_budget_project(m, round, project, feasibility, reason.trim(), actor)
        .await?)
}

/// Opens voting: every project judged, at least one on the ballot; the lot is drawn now from
/// the system's randomness and published with the round before anyone votes.
pub async fn open(
    store: &impl Budgets,
    grants: &Grants,
    m: &MunicipalityId,
    round: i64,
    actor: &Actor,
) -> Result<(), Refusal> {
    may_edit(grants, m)?;
    let r = for_staff(store, grants, m, round).await?;
    if r.projects
        .iter()
        .any(|p| p.feasibility == Feasibility::Pending)
    {
        return Err(Refusal::Invalid(Message::new("budget_projects_pending")));
    }
    let ballot = r.on_ballot();
    if ballot.is_empty() {
        return Err(Refusal::Invalid(Message::new("budget_no_feasible_project")));
    }
    let random = random_numbers(ballot.len())?;
    let lot: Vec<i64> = draw_lot(&random)
        .into_iter()
        .map(|i| ballot[i].id)
        .collect();
    Ok(store.open_budget_round(m, round, &lot, actor).await?)
}

fn random_numbers(n: usize) -> Result<Vec<u64>, Refusal> {
    let rng = ring::rand::SystemRandom::new();
    (0..n)
        .map(|_| {
            let mut bytes = [0u8; 8];
            ring::rand::SecureRandom::fill(&rng, &mut bytes)
                .map(|()| u64::from_le_bytes(bytes))
                .map_err(|_| Refusal::Store(StoreError::Database("no system randomness".into())))
        })
        .collect()
}

/// The letters of a one-time code: no 0/O, 1/I/L, so a code read from a letter is typed right.
const CODE_LETTERS: &[u8; 32] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789#";

/// A new one-time code, 12 letters in three groups (60 bits: guessing one is hopeless).
fn new_code() -> Result<String, Refusal> {
    let random = random_numbers(1)?;
    let mut n = random[0];
    let mut code = String::with_capacity(14);
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        // 31 letters: the table's last place is never drawn.
        code.push(char::from(CODE_LETTERS[(n % 31) as usize]));
        n /= 31;
    }
    Ok(code)
}

/// A code as typed, without blanks and dashes and in capitals, for hashing.
pub fn normalise_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .take(64)
        .collect()
}

/// Makes `n` one-time codes for a round not yet counted; only their hashes are kept, so the
/// codes are shown this once (to print on letters or hand out).
pub async fn make_codes(
    store: &impl Budgets,
    grants: &Grants,
    m: &MunicipalityId,
    round: i64,
    n: usize,
    actor: &Actor,
) -> Result<Vec<String>, Refusal> {
    may_edit(grants, m)?;
    let r = store
        .budget_round(m, Some(round), "", false)
        .await?
        .ok_or_else(round_not_found)?;
    if r.setup.identification == Identification::Email {
        return Err(Refusal::Invalid(Message::new(
            "budget_email_round_no_codes",
        )));
    }
    if n == 0 || n > MAX_CODES {
        return Err(Refusal::Invalid(Message::in_field(
            "count",
            Message::new("budget_codes_range").with("max", MAX_CODES),
        )));
    }
    let codes = (0..n).map(|_| new_code()).collect::<Result<Vec<_>, _>>()?;
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| token_hash(&normalise_code(c)))
        .collect();
    store.add_budget_codes(m, round, &hashes, actor).await?;
    Ok(codes)
}

/// A ballot as a resident sent it: the code, the area declared, and the projects with their
/// points (1 for a tick) by project id as text.
#[derive(Debug, Clone, Default)]
pub struct BallotForm {
    pub code: String,
    pub area: String,
    pub choices: Vec<(String, String)>,
}

/// Checks a resident's ballot before it is cast: the round open and today within its window,
/// the area one of the round's when it asks, the ballot within the rules. Every refusal names
/// its field. Gives the ballot to cast with its code's hash.
pub fn prepare_ballot(
    round: &Round,
    form: &BallotForm,
    now: Timestamp,
) -> Result<NewBudgetBallot, Refusal> {
    let setup = &round.stored.setup;
    if round.stored.status != BudgetStatus::Open {
        return Err(Refusal::Invalid(Message::new("budget_not_open")));
    }
    match setup.window.place(now) {
        WindowPlace::Before => return Err(Refusal::Invalid(Message::new("budget_vote_not_yet"))),
        WindowPlace::After => return Err(Refusal::Invalid(Message::new("budget_vote_over"))),
        WindowPlace::Open => {}
    }
    let mut problems = Vec::new();
    let code = normalise_code(&form.code);
    // By e-mail the address is the identification, checked by the use case that mails it.
    if code.is_empty() && setup.identification == Identification::Codes {
        problems.push(Message::in_field(
            "code",
            Message::new("budget_code_needed"),
        ));
    }
    let area = form.area.trim();
    if !setup.areas.is_empty() && !setup.areas.iter().any(|a| a == area) {
        problems.push(Message::in_field(
            "area",
            Message::new("budget_area_choose"),
        ));
    }
    let on_ballot = round.on_ballot();
    let mut choices = Vec::new();
    for (id, points) in &form.choices {
        let points = points.trim();
        if points.is_empty() {
            continue;
        }
        let index = on_ballot.iter().position(|p| p.id.to_string() == *id);
        let Some(index) = index else {
            problems.push(Message::in_field(
                "projects",
                Message::new("budget_vote_unknown_project"),
            ));
            continue;
        };
        match points.parse::<u32>() {
            Ok(n) => choices.push((index as u32, n)),
            Err(_) => problems.push(Message::in_field(
                "projects",
                Message::new("budget_points_not_whole").with("value", points),
            )),
        }
    }
    let costs: Vec<u64> = on_ballot.iter().map(|p| p.cost).collect();
    let ballot = if problems
        .iter()
        .any(|p| p.field_problem().is_some_and(|(f, _)| f == "projects"))
    {
        None
    } else {
        match setup.ballot.check(setup.amount, &costs, &choices) {
            Ok(b) => Some(b),
            Err(m) => {
                problems.push(Message::in_field("projects", m));
                None
            }
        }
    };
    let Some(ballot) = ballot.filter(|_| problems.is_empty()) else {
        return Err(Refusal::BadRows(problems));
    };
    Ok(NewBudgetBallot {
        round: round.stored.id,
        code_hash: token_hash(&code),
        choices: ballot
            .iter()
            .map(|&(i, points)| (on_ballot[i as usize].id, points))
            .collect(),
        area: area.to_owned(),
        at: now,
    })
}

/// A ballot in a round identified by e-mail: checked as [`prepare_ballot`] checks it, with
/// the address beside it; nothing is cast yet. A link is mailed, and the ballot is cast
/// when the link is confirmed, once per address and round (`Confirmable::Ballot`).
#[allow(clippy::too_many_arguments)]
pub async fn vote_by_email(
    store: &impl Proposals,
    m: &MunicipalityId,
    municipality_name: &str,
    round: &Round,
    form: &BallotForm,
    email: &str,
    links: Links<'_>,
    now: Timestamp,
) -> Result<(), Refusal> {
    if round.stored.setup.identification != Identification::Email {
        return Err(Refusal::Invalid(Message::new("budget_code_needed")));
    }
    let mut problems = Vec::new();
    let email = read_email(email).map_err(|e| problems.push(e)).ok();
    let ballot = match prepare_ballot(round, form, now) {
        Ok(b) => Some(b),
        Err(Refusal::BadRows(mut ps)) => {
            problems.append(&mut ps);
            None
        }
        Err(other) => return Err(other),
    };
    let (Some(email), Some(ballot)) = (email, ballot) else {
        return Err(Refusal::BadRows(problems));
    };
    let title = round.stored.setup.title.clone();
    let mail_of = |token: &str| {
        let args = Message::new("mail.budget_vote_confirm.body")
            .with("title", title.as_str())
            .with("municipality", municipality_name)
            .with("link", links.confirm(m, token))
            .with("hours", LINK_HOURS);
        compose(&email, "budget_vote_confirm", &args, None)
    };
    let what = Confirmable::Ballot {
        round: round.stored.id,
        choices: ballot.choices,
        area: ballot.area,
    };
    ask_confirmation(store, m, &email, what, mail_of, now).await
}

/// A code's refusal from the store as a problem with the form's code field; any other as it
/// was.
pub fn cast_refusal(e: StoreError) -> Refusal {
    match e {
        StoreError::NotFound(m) | StoreError::Conflict(m) if m.code.starts_with("budget_code") => {
            Refusal::BadRows(vec![Message::in_field("code", m)])
        }
        other => other.into(),
    }
}

/// Checks and casts a resident's ballot alone ([`prepare_ballot`], then the code used up with
/// the ballot stored in one transaction); nothing is written on a refusal. The site sends
/// ballots arriving together through one transaction instead.
pub async fn vote(
    store: &impl Budgets,
    round: &Round,
    form: &BallotForm,
    now: Timestamp,
) -> Result<(), Refusal> {
    let ballot = prepare_ballot(round, form, now)?;
    let mut outcomes = store
        .cast_budget_ballots(std::slice::from_ref(&ballot))
        .await?;
    outcomes
        .pop()
        .unwrap_or_else(|| Err(StoreError::Database("no outcome".into())))
        .map_err(cast_refusal)
}

/// Why a project won or lost under a rule, as stored with the count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FateRecord {
    Funded { order: usize, price: Option<f64> },
    DidNotFit { left: u64 },
    SupportersCouldNotPay { supporters_had: f64 },
    NoVotes,
}

impl From<&Fate> for FateRecord {
    fn from(f: &Fate) -> Self {
        match *f {
            Fate::Funded { order, price } => Self::Funded { order, price },
            Fate::DidNotFit { left } => Self::DidNotFit { left },
            Fate::SupportersCouldNotPay { supporters_had } => {
                Self::SupportersCouldNotPay { supporters_had }
            }
            Fate::NoVotes => Self::NoVotes,
        }
    }
}

/// One project under one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectResult {
    /// The project's code (its `.pb` `project_id`).
    pub project: String,
    pub votes: u64,
    pub supporters: u64,
    pub fate: FateRecord,
}

/// A round counted by one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    pub rule: String,
    /// The funded projects' codes in the order chosen, and their cost.
    pub funded: Vec<String>,
    pub cost: u64,
    pub share: Option<f64>,
    pub runs: usize,
    pub projects: Vec<ProjectResult>,
}

/// A round's count as stored when voting ended: by the round's rule first, then by the other
/// rules, so the result page can show what each would have chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountedRound {
    pub ballots: u64,
    pub by_rule: Vec<RuleResult>,
}

/// The rules a count is made by: the round's own first.
fn rules_for(own: Rule) -> Vec<Rule> {
    let mut rules = vec![own];
    for code in ["greedy", "mes", "mes-add1"] {
        if let Some(r) = Rule::from_code(code)
            && r != own
        {
            rules.push(r);
        }
    }
    rules
}

/// Counts an election by the round's rule and the others.
pub fn count_all(election: &Election, lot: &[usize], own: Rule) -> Result<CountedRound, Message> {
    let codes = || election.projects.iter().map(|p| p.id.clone());
    let mut by_rule = Vec::new();
    for rule in rules_for(own) {
        let o = budget::count(election, rule, lot)?;
        by_rule.push(RuleResult {
            rule: rule.code().to_owned(),
            funded: o
                .funded
                .iter()
                .map(|&i| election.projects[i].id.clone())
                .collect(),
            cost: o.cost,
            share: o.share,
            runs: o.runs,
            projects: codes()
                .enumerate()
                .map(|(i, project)| ProjectResult {
                    project,
                    votes: o.votes[i],
                    supporters: o.supporters[i],
                    fate: FateRecord::from(&o.fates[i]),
                })
                .collect(),
        });
    }
    Ok(CountedRound {
        ballots: election.ballots.len() as u64,
        by_rule,
    })
}

/// The round as an election: its ballot's projects (named by code), ballots by position,
/// and the lot as each project's place.
pub fn election_of(
    round: &Round,
    ballots: &[StoredBudgetBallot],
) -> Result<(Election, Vec<usize>), Refusal> {
    let on_ballot = round.on_ballot();
    let ids: Vec<i64> = on_ballot.iter().map(|p| p.id).collect();
    let position = |id: i64| ids.iter().position(|&x| x == id);
    let broken = |what: &str| Refusal::Store(StoreError::Database(format!("stored {what}")));
    let ballots = ballots
        .iter()
        .map(|b| {
            b.choices
                .iter()
                .map(|&(id, points)| position(id).map(|p| (p as u32, points)))
                .collect::<Option<Ballot>>()
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| broken("ballot"))?;
    let drawn: Vec<usize> = match &round.stored.lot {
        Some(lot) => lot
            .iter()
            .map(|&id| position(id))
            .collect::<Option<_>>()
            .ok_or_else(|| broken("lot"))?,
        None => (0..ids.len()).collect(),
    };
    let lot = lot_places(&drawn, ids.len()).ok_or_else(|| broken("lot"))?;
    let election = Election {
        budget: round.stored.setup.amount,
        kind: round.stored.setup.ballot.kind,
        projects: on_ballot
            .iter()
            .map(|p| Project {
                id: p.code.clone(),
                cost: p.cost,
            })
            .collect(),
        ballots,
    };
    Ok((election, lot))
}

/// Counts an open round whose voting days are over, by its rule and the others, and stores
/// the count: from then on it is the published result.
pub async fn count_round(
    store: &impl Budgets,
    grants: &Grants,
    m: &MunicipalityId,
    round: i64,
    actor: &Actor,
) -> Result<(), Refusal> {
    may_edit(grants, m)?;
    let r = for_staff(store, grants, m, round).await?;
    if r.stored.status != BudgetStatus::Open {
        return Err(Refusal::Invalid(Message::new("budget_not_open")));
    }
    if r.stored.setup.window.place(actor.at) != WindowPlace::After {
        return Err(Refusal::Invalid(Message::new("budget_count_after_window")));
    }
    let ballots = store.budget_ballots(m, round).await?;
    let (election, lot) = election_of(&r, &ballots)?;
    let own = r.stored.setup.rule;
    // Completion on a large round takes seconds: off the async workers.
    let counted = tokio::task::spawn_blocking(move || count_all(&election, &lot, own))
        .await
        .map_err(|e| Refusal::Store(StoreError::Database(e.to_string())))?
        .map_err(Refusal::Invalid)?;
    let json = serde_json::to_string(&counted)
        .map_err(|e| Refusal::Store(StoreError::Database(e.to_string())))?;
    Ok(store.count_budget_round(m, round, &json, actor).await?)
}

/// The round in Pabulib's `.pb` format, with its ballots (voters numbered 1, 2, ... in the
/// order cast) and, once counted, the `selected` column by the round's rule.
pub async fn export_pb(store: &impl Budgets, round: &Round) -> Result<String, Refusal> {
    let m = round.stored.municipality;
    let ballots = store.budget_ballots(&m, round.stored.id).await?;
    let (election, _) = election_of(round, &ballots)?;
    let setup = &round.stored.setup;
    let mut meta = vec![
        ("description".to_owned(), setup.title.clone()),
        ("country".to_owned(), "Sweden".to_owned()),
        ("unit".to_owned(), m.to_string()),
        ("instance".to_owned(), setup.code.clone()),
        ("rule".to_owned(), setup.rule.code().to_owned()),
        ("date_begin".to_owned(), setup.window.first_day.to_string()),
        ("date_end".to_owned(), setup.window.last_day.to_string()),
    ];
    match setup.ballot.kind {
        BallotKind::Approval => {
            if let Some(max) = setup.ballot.max_projects {
                meta.push(("max_length".to_owned(), max.to_string()));
            }
            // The site's ballots keep within the amount; a round imported from a file
            // without that limit may not, and its file must read back.
            let within = election.ballots.iter().all(|b| {
                b.iter()
                    .map(|&(p, _)| election.projects[p as usize].cost)
                    .sum::<u64>()
                    <= setup.amount
            });
            if within {
                meta.push(("max_sum_cost".to_owned(), setup.amount.to_string()));
            }
        }
        BallotKind::Points => {
            meta.push(("max_sum_points".to_owned(), setup.ballot.points.to_string()));
            meta.push(("min_sum_points".to_owned(), setup.ballot.points.to_string()));
        }
    }
    let names: Vec<String> = round.on_ballot().iter().map(|p| p.title.clone()).collect();
    let voters: Vec<String> = (1..=election.ballots.len())
        .map(|i| i.to_string())
        .collect();
    let funded: Option<Vec<usize>> = round.counted.as_ref().and_then(|c| {
        c.by_rule.first().map(|r| {
            r.funded
                .iter()
                .filter_map(|code| election.projects.iter().position(|p| &p.id == code))
                .collect()
        })
    });
    Ok(pabulib::write(
        &meta,
        &election,
        &names,
        &voters,
        funded.as_deref(),
    ))
}

/// Reads a `.pb` round into the site as a new round under `code`: its projects (all on the
/// ballot), its ballots, and, when it has votes, counted by `rule` and the others with the
/// file's order as the lot. A round without votes opens for voting on the given days.
pub async fn import_pb(
    store: &impl Budgets,
    grants: &Grants,
    m: &MunicipalityId,
    form: &RoundForm,
    bytes: &[u8],
    actor: &Actor,
) -> Result<i64, Refusal> {
    may_edit(grants, m)?;
    let in_file = |problems: Vec<Message>| {
        Refusal::BadRows(
            problems
                .into_iter()
                .map(|p| Message::in_field("file", p))
                .collect(),
        )
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|e| in_file(vec![Message::new("not_utf8").with("byte", e.valid_up_to())]))?;
    let pb = pabulib::read(text).map_err(in_file)?;
    let e = &pb.election;
    if e.projects.len() > MAX_ROUND_PROJECTS || e.ballots.len() > MAX_IMPORTED_BALLOTS {
        return Err(in_file(vec![
            Message::new("budget_file_too_large")
                .with("projects", MAX_ROUND_PROJECTS)
                .with("ballots", MAX_IMPORTED_BALLOTS),
        ]));
    }
    // The form gives the address, title, rule and days; the file the amount and ballot.
    let mut typed = form.clone();
    typed.amount = e.budget.to_string();
    typed.ballot_kind = match e.kind {
        BallotKind::Approval => "approval",
        BallotKind::Points => "points",
    }
    .into();
    typed.max_projects = pb.meta("max_length").unwrap_or("").to_owned();
    // A points file states the points to spread, or else its largest ballot shows them.
    typed.points = match (e.kind, pb.meta("max_sum_points")) {
        (BallotKind::Points, Some(points)) => points.to_owned(),
        (BallotKind::Points, None) => e
            .ballots
            .iter()
            .map(|b| b.iter().map(|&(_, n)| u64::from(n)).sum::<u64>())
            .max()
            .unwrap_or(1)
            .max(1)
            .to_string(),
        (BallotKind::Approval, _) => String::new(),
    };
    // Without a title typed: the file's description, else the round's code.
    if typed.title.trim().is_empty() {
        typed.title = pb
            .meta("description")
            .filter(|d| !d.trim().is_empty())
            .unwrap_or(&typed.code)
            .chars()
            .take(max_chars::TITLE)
            .collect();
    }
    let setup = read_round_form(&typed).map_err(Refusal::BadRows)?;
    let projects: Vec<NewBudgetProject> = e
        .projects
        .iter()
        .zip(&pb.names)
        .map(|(p, name)| NewBudgetProject {
            code: p.id.clone(),
            title: if name.is_empty() {
                p.id.clone()
            } else {
                name.chars().take(max_chars::TITLE).collect()
            },
            description: String::new(),
            cost: p.cost,
            area: String::new(),
            proposed_by: ProposedBy::Resident,
        })
        .collect();
    for p in &projects {
        check_slug("code", &p.code).map_err(|m| in_file(vec![m]))?;
    }
    let counted = if e.ballots.is_empty() {
        None
    } else {
        // A `.pb` file carries no lot: the file's order of projects stands in for it.
        let drawn: Vec<usize> = (0..e.projects.len()).collect();
        let election = e.clone();
        let rule = setup.rule;
        let lot = drawn.clone();
        let counted = tokio::task::spawn_blocking(move || count_all(&election, &lot, rule))
            .await
            .map_err(|err| Refusal::Store(StoreError::Database(err.to_string())))?
            .map_err(|m| in_file(vec![m]))?;
        let json = serde_json::to_string(&counted)
            .map_err(|err| Refusal::Store(StoreError::Database(err.to_string())))?;
        Some((drawn, json))
    };
    let imported = ImportedBudgetRound {
        setup,
        projects,
        ballots: e
            .ballots
            .iter()
            .map(|b| b.iter().map(|&(p, n)| (p as usize, n)).collect())
            .collect(),
        counted,
    };
    store
        .import_budget_round(m, &imported, actor)
        .await
        .map_err(in_code_field)
}
