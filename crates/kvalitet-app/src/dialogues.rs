//! E-dialogues (docs/dialogue.md): staff put a question for a period; residents join from a
//! link mailed to them (one participant per address), telling an area and an age band if
//! they wish; they write short statements, which staff moderate with a reason on refusal,
//! and vote agree, disagree or pass on others'. The result names the statements with the
//! most agreement and the most division, participation day by day, and who took part with
//! small groups hidden; the municipality publishes what it made of it.

use serde::{Deserialize, Serialize};

use kvalitet_domain::calendar::{parse_date, stockholm_date};
use kvalitet_domain::dialogue::{
    AgeBand, GroupRow, MIN_ANSWERS_TO_RANK, Period, Phase, RESULT_LIST_LENGTH, StatementVote,
    Tally, breakdown, statement_text, top_by,
};
use kvalitet_domain::text::{check_len, max_chars};
use kvalitet_domain::{Grants, Message, MunicipalityId, Timestamp};

use crate::accounts::token_hash;
use crate::mail::compose;
use crate::ports::{
    Actor, Confirmable, DayActivity, DialogueParticipant, Dialogues, ExportedVote,
    MAX_DIALOGUE_AREAS, NewDialogue, Proposals, StatementStep, StoredDialogue, StoredStatement,
};
use crate::proposals::{
    LINK_HOURS, Links, ask_confirmation, may_edit, may_view, read_areas, read_email,
};
use crate::refusal::Refusal;

/// The set-up form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DialogueForm {
    pub question: String,
    pub description: String,
    pub areas: String,
    pub opens_on: String,
    pub closes_on: String,
}

/// A resident's joining, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct JoinForm {
    pub email: String,
    /// An offered area, or empty for "not telling".
    pub area: String,
    /// An [`AgeBand`] code, or empty.
    pub age_band: String,
}

/// Staff's moderation of a statement: `step` is `publish` or `reject` (with a reason).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModerationForm {
    pub step: String,
    pub reason: String,
}

fn not_found() -> Refusal {
    Refusal::NotFound(Message::new("dialogue_not_found"))
}

fn fill_in(field: &str) -> Message {
    Message::in_field(field, Message::new("proposal_fill_in"))
}

/// Reads the set-up form; every problem names its field.
pub fn read_dialogue_form(form: &DialogueForm) -> Result<NewDialogue, Vec<Message>> {
    let mut problems = Vec::new();
    let question = form.question.trim();
    if question.is_empty() {
        problems.push(fill_in("question"));
    }
    if let Err(m) = check_len("question", question, max_chars::TITLE) {
        problems.push(m);
    }
    if let Err(m) = check_len("description", &form.description, max_chars::DESCRIPTION) {
        problems.push(m);
    }
    let areas = read_areas("areas", &form.areas, MAX_DIALOGUE_AREAS, &mut problems);
    let mut day = |field: &str, text: &str| match parse_date(text) {
        Ok(d) => Some(d),
        Err(_) if text.trim().is_empty() => {
            problems.push(fill_in(field));
            None
        }
        Err(_) => {
            problems.push(Message::in_field(
                field,
                Message::new("dialogue_date_wrong").with("value", text.trim()),
            ));
            None
        }
    };
    let opens = day("opens_on", &form.opens_on);
    let closes = day("closes_on", &form.closes_on);
    let period = match (opens, closes) {
        (Some(o), Some(c)) => Period::new(o, c).map_err(|m| problems.push(m)).ok(),
        _ => None,
    };
    match period {
        Some(period) if problems.is_empty() => Ok(NewDialogue {
            question: question.to_owned(),
            description: form.description.trim().to_owned(),
            areas,
            period,
        }),
        _ => Err(problems),
    }
}

/// Sets up a dialogue; its number is its address.
pub async fn create(
    store: &impl Dialogues,
    grants: &Grants,
    m: &MunicipalityId,
    form: &DialogueForm,
    actor: &Actor,
) -> Result<i64, Refusal> {
    may_edit(grants, m)?;
    let dialogue = read_dialogue_form(form).map_err(Refusal::BadRows)?;
    Ok(store.create_dialogue(m, &dialogue, actor).await?)
}

/// Publishes what the municipality made of the dialogue, dated today.
pub async fn respond(
    store: &impl Dialogues,
    grants: &Grants,
    m: &MunicipalityId,
    number: i64,
    response: &str,
    actor: &Actor,
) -> Result<(), Refusal> {
    may_edit(grants, m)?;
    let response = response.trim();
    if response.is_empty() {
        return Err(Refusal::BadRows(vec![fill_in("response")]));
    }
    check_len("response", response, max_chars::DESCRIPTION)
        .map_err(|e| Refusal::BadRows(vec![e]))?;
    let today = stockholm_date(actor.at.datetime());
    Ok(store
        .respond_to_dialogue(m, number, response, today, actor)
        .await?)
}

/// Publishes or rejects a statement; a rejection needs its reason.
pub async fn moderate(
    store: &impl Dialogues,
    grants: &Grants,
    m: &MunicipalityId,
    number: i64,
    statement: i64,
    form: &ModerationForm,
    actor: &Actor,
) -> Result<(), Refusal> {
    may_edit(grants, m)?;
    let step = match form.step.as_str() {
        "publish" => StatementStep::Publish,
        "reject" => {
            let reason = form.reason.trim();
            if reason.is_empty() {
                return Err(Refusal::BadRows(vec![Message::in_field(
                    "reason",
                    Message::new("dialogue_reason_needed"),
                )]));
            }
            check_len("reason", reason, max_chars::COMMENT)
                .map_err(|e| Refusal::BadRows(vec![e]))?;
            StatementStep::Reject {
                reason: reason.to_owned(),
            }
        }
        _ => return Err(Refusal::BadRows(vec![fill_in("step")])),
    };
    Ok(store
        .moderate_statement(m, number, statement, &step, actor)
        .await?)
}

/// The municipality's dialogues.
pub async fn list(
    store: &impl Dialogues,
    m: &MunicipalityId,
) -> Result<Vec<StoredDialogue>, Refusal> {
    Ok(store.dialogues(m).await?)
}

pub async fn find(
    store: &impl Dialogues,
    m: &MunicipalityId,
    number: i64,
) -> Result<StoredDialogue, Refusal> {
    store.dialogue(m, number).await?.ok_or_else(not_found)
}

/// A dialogue with every statement, for its staff.
pub async fn for_staff(
    store: &impl Dialogues,
    grants: &Grants,
    m: &MunicipalityId,
    number: i64,
) -> Result<(StoredDialogue, Vec<StoredStatement>), Refusal> {
    may_view(grants, m)?;
    let d = find(store, m, number).await?;
    Ok((d, store.statements(m, number, false).await?))
}

/// Where the dialogue stands now.
pub fn phase_of(d: &StoredDialogue, now: Timestamp) -> Phase {
    d.dialogue.period.phase(stockholm_date(now.datetime()))
}

/// A resident asks to take part: kept until they follow the link mailed to them, which
/// then is their key to their own page. The area must be one the dialogue offers.
pub async fn join<S: Dialogues + Proposals>(
    store: &S,
    m: &MunicipalityId,
    municipality_name: &str,
    number: i64,
    form: &JoinForm,
    links: Links<'_>,
    now: Timestamp,
) -> Result<(), Refusal> {
    let d = find(store, m, number).await?;
    if phase_of(&d, now) != Phase::Open {
        return Err(Refusal::Invalid(Message::new("dialogue_not_open")));
    }
    let mut problems = Vec::new();
    let email = read_email(&form.email).map_err(|e| problems.push(e)).ok();
    let area = match form.area.trim() {
        "" => None,
        a if d.dialogue.areas.iter().any(|x| x == a) => Some(a.to_owned()),
        a => {
            problems.push(Message::in_field(
                "area",
                Message::new("dialogue_area_unknown").with("value", a),
            ));
            None
        }
    };
    let age_band = match form.age_band.trim() {
        "" => None,
        code => match AgeBand::parse(code) {
            Some(b) => Some(b.code().to_owned()),
            None => {
                problems.push(Message::in_field(
                    "age_band",
                    Message::new("dialogue_age_band_unknown").with("value", code),
                ));
                None
            }
        },
    };
    let Some(email) = email.filter(|_| problems.is_empty()) else {
        return Err(Refusal::BadRows(problems));
    };
    let question = d.dialogue.question.clone();
    let mail_of = |token: &str| {
        let args = Message::new("mail.dialogue_join.body")
            .with("question", question.as_str())
            .with("municipality", municipality_name)
            .with("link", links.confirm(m, token))
            .with("hours", LINK_HOURS);
        compose(&email, "dialogue_join", &args, None)
    };
    let what = Confirmable::JoinDialogue {
        number,
        area,
        age_band,
    };
    ask_confirmation(store, m, &email, what, mail_of, now).await
}

/// The participant whose link this is, in this municipality's dialogue `number`.
pub async fn participant(
    store: &impl Dialogues,
    m: &MunicipalityId,
    number: i64,
    token: &str,
) -> Result<DialogueParticipant, Refusal> {
    store
        .dialogue_participant(&token_hash(token))
        .await?
        .filter(|p| p.municipality == *m && p.dialogue == number)
        .ok_or_else(|| Refusal::NotFound(Message::new("dialogue_participant_unknown")))
}

/// What a participant's page shows: statements to answer and their own.
pub async fn participant_view(
    store: &impl Dialogues,
    p: &DialogueParticipant,
) -> Result<(Vec<StoredStatement>, Vec<StoredStatement>), Refusal> {
    Ok(store.statements_for(p).await?)
}

/// A participant's statement, to moderation.
pub async fn write(
    store: &impl Dialogues,
    p: &DialogueParticipant,
    text: &str,
    now: Timestamp,
) -> Result<i64, Refusal> {
    let body = statement_text(text).map_err(|e| Refusal::BadRows(vec![e]))?;
    Ok(store
        .write_statement(p, &body, stockholm_date(now.datetime()), now)
        .await?)
}

/// A participant's vote on a statement; `vote` is a [`StatementVote`] code.
pub async fn vote(
    store: &impl Dialogues,
    p: &DialogueParticipant,
    statement: i64,
    vote: &str,
    now: Timestamp,
) -> Result<(), Refusal> {
    let vote = StatementVote::parse(vote).ok_or_else(|| {
        Refusal::BadRows(vec![Message::in_field(
            "vote",
            Message::new("dialogue_vote_unknown").with("value", vote.trim()),
        )])
    })?;
    Ok(store
        .vote_on_statement(p, statement, vote, stockholm_date(now.datetime()))
        .await?)
}

/// The result page's content.
#[derive(Debug, Clone)]
pub struct DialogueResult {
    pub dialogue: StoredDialogue,
    /// The published statements, in the order written.
    pub statements: Vec<StoredStatement>,
    pub most_agreement: Vec<StoredStatement>,
    pub most_division: Vec<StoredStatement>,
    pub activity: Vec<DayActivity>,
    pub by_area: Vec<GroupRow>,
    /// Age bands by code, small groups hidden as for areas.
    pub by_age: Vec<GroupRow>,
}

/// The dialogue's result, as public as the dialogue itself.
pub async fn result(
    store: &impl Dialogues,
    m: &MunicipalityId,
    number: i64,
) -> Result<DialogueResult, Refusal> {
    let dialogue = find(store, m, number).await?;
    let statements = store.statements(m, number, true).await?;
    let tallies: Vec<Tally> = statements.iter().map(|s| s.tally).collect();
    let pick = |score: fn(&Tally) -> f64| {
        top_by(&tallies, MIN_ANSWERS_TO_RANK, RESULT_LIST_LENGTH, score)
            .into_iter()
            .map(|i| statements[i].clone())
            .collect::<Vec<_>>()
    };
    let most_agreement = pick(Tally::agreement);
    let most_division = pick(Tally::division);
    let activity = store.dialogue_activity(m, number).await?;
    let turnout = store.dialogue_turnout(m, number).await?;
    let ages: Vec<(String, u64)> = turnout
        .by_age
        .iter()
        .map(|(b, n)| (b.code().to_owned(), *n))
        .collect();
    Ok(DialogueResult {
        dialogue,
        statements,
        most_agreement,
        most_division,
        activity,
        by_area: breakdown(&turnout.by_area, turnout.area_not_stated),
        by_age: breakdown(&ages, turnout.age_not_stated),
    })
}

/// Every vote on the published statements, for the export.
pub async fn votes(
    store: &impl Dialogues,
    m: &MunicipalityId,
    number: i64,
) -> Result<Vec<ExportedVote>, Refusal> {
    find(store, m, number).await?;
    Ok(store.dialogue_votes(m, number).await?)
}
