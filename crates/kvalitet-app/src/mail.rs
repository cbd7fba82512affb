//! E-mail as use cases: invitations, notices when a round moves to someone's step, and
//! reminders before a round's deadline, queued in the outbox and sent by [`deliver`]. Who
//! gets a notice or reminder is found with the same rules that allow the step itself.
//!
//! A message goes in Swedish and then English: the recipient's language is not known.

use time::Date;

use kvalitet_domain::round::{Status, Step};
use kvalitet_domain::{Grants, Lang, Message, MunicipalityId, Role, Timestamp};

use crate::accounts::INVITATION_DAYS;
use crate::assessments as a;
use crate::ports::{
    Accounts, AssessmentRounds, Clock, Mail, MailError, Mailer, Outbox, OutboxEntry, RoundFilter,
    RoundRecord, ServiceRounds, StoreError, UserRecord,
};
use crate::refusal::Refusal;
use crate::service;

const ISO_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Attempts before a message the relay keeps refusing for a while is given up.
pub const MAX_ATTEMPTS: u32 = 8;
/// Days before a deadline (and the day itself) on which those with work left are reminded.
pub const REMINDER_DAYS: [i64; 4] = [7, 3, 1, 0];
/// Messages a sender takes at a time, and how long its claim keeps others away.
const BATCH: u32 = 20;
const CLAIM_MINUTES: i64 = 10;

/// Messages the outbox view lists, newest first.
pub const OUTBOX_SHOWN: u32 = 500;

/// The outbox as system administrators see it: what was sent, what waits and what was given
/// up with the relay's answer. Addresses are personal data: nobody else sees them here.
pub async fn outbox(store: &impl Outbox, grants: &Grants) -> Result<Vec<OutboxEntry>, Refusal> {
    if !grants.system_admin {
        return Err(Refusal::Forbidden(Message::new("only_system_admins_page")));
    }
    Ok(store.outbox(OUTBOX_SHOWN).await?)
}

/// What one round of sending did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Sends the messages that are due. A relay that is down is tried again later, waiting
/// twice as long each time (1 min, 2 min, ... at most 6 h); a refusal for good, or
/// [`MAX_ATTEMPTS`] attempts, gives the message up with the relay's answer kept.
pub async fn deliver(
    store: &impl Outbox,
    mailer: &impl Mailer,
    clock: &dyn Clock,
) -> Result<Delivery, StoreError> {
    let now = clock.now();
    let claimed = store
        .claim_mail(now, now.plus(time::Duration::minutes(CLAIM_MINUTES)), BATCH)
        .await?;
    let mut done = Delivery::default();
    for q in claimed {
        match mailer.send(&q.mail).await {
            Ok(()) => {
                store.mail_sent(q.id, clock.now()).await?;
                done.sent += 1;
            }
            Err(MailError::Transient(e)) if q.attempts < MAX_ATTEMPTS => {
                let wait = 1i64 << q.attempts.saturating_sub(1).min(9);
                let retry = clock.now().plus(time::Duration::minutes(wait.min(360)));
                tracing::warn!(to = %q.mail.to, error = %e, "e-mail not sent; trying again");
                store
                    .mail_failed(q.id, &e, clock.now(), Some(retry))
                    .await?;
                done.retried += 1;
            }
            Err(MailError::Transient(e) | MailError::Permanent(e)) => {
                tracing::warn!(to = %q.mail.to, error = %e, "e-mail given up");
                store.mail_failed(q.id, &e, clock.now(), None).await?;
                done.failed += 1;
            }
        }
    }
    Ok(done)
}

/// A message in both languages: the subject `<key>.subject` and body `<key>.body` of the
/// words, filled with `args`.
pub(crate) fn compose(
    to: &str,
    key: &'static str,
    args: &Message,
    dedupe_key: Option<String>,
) -> Mail {
    let say = |lang: Lang, part: &str| {
        let mut m = args.clone();
        m.code = match part {
            "subject" => mail_key(key, "subject"),
            _ => mail_key(key, "body"),
        };
        lang.say(&m)
    };
    Mail {
        to: to.to_lowercase(),
        subject: format!(
            "{} / {}",
            say(Lang::Sv, "subject"),
            say(Lang::En, "subject")
        ),
        body: format!(
            "{}\n\n-- In English --\n\n{}\n",
            say(Lang::Sv, "body"),
            say(Lang::En, "body")
        ),
        dedupe_key,
    }
}

/// The words' key of a message's part; every kind has both parts in the table.
fn mail_key(kind: &str, part: &str) -> &'static str {
    MAIL_KEYS
        .iter()
        .find(|(k, p, _)| *k == kind && *p == part)
        .map_or("mail.unknown", |(_, _, key)| key)
}

const MAIL_KEYS: &[(&str, &str, &str)] = &[
    ("invitation", "subject", "mail.invitation.subject"),
    ("invitation", "body", "mail.invitation.body"),
    ("tester", "subject", "mail.tester.subject"),
    ("tester", "body", "mail.tester.body"),
    ("step", "subject", "mail.step.subject"),
    ("step", "body", "mail.step.body"),
    ("published", "subject", "mail.published.subject"),
    ("published", "body", "mail.published.body"),
    ("reminder", "subject", "mail.reminder.subject"),
    ("reminder", "body", "mail.reminder.body"),
    (
        "service_reminder",
        "subject",
        "mail.service_reminder.subject",
    ),
    ("service_reminder", "body", "mail.service_reminder.body"),
    (
        "proposal_confirm",
        "subject",
        "mail.proposal_confirm.subject",
    ),
    ("proposal_confirm", "body", "mail.proposal_confirm.body"),
    (
        "signature_confirm",
        "subject",
        "mail.signature_confirm.subject",
    ),
    ("signature_confirm", "body", "mail.signature_confirm.body"),
    (
        "proposal_published",
        "subject",
        "mail.proposal_published.subject",
    ),
    ("proposal_published", "body", "mail.proposal_published.body"),
    (
        "proposal_rejected",
        "subject",
        "mail.proposal_rejected.subject",
    ),
    ("proposal_rejected", "body", "mail.proposal_rejected.body"),
    (
        "proposal_decided",
        "subject",
        "mail.proposal_decided.subject",
    ),
    ("proposal_decided", "body", "mail.proposal_decided.body"),
    ("dialogue_join", "subject", "mail.dialogue_join.subject"),
    ("dialogue_join", "body", "mail.dialogue_join.body"),
    (
        "budget_vote_confirm",
        "subject",
        "mail.budget_vote_confirm.subject",
    ),
    (
        "budget_vote_confirm",
        "body",
        "mail.budget_vote_confirm.body",
    ),
];

/// The invitation to a role in a municipality (named) with its link.
pub fn invitation_mail(to: &str, link: &str, municipality: &str, role: Role) -> Mail {
    let args = Message::new("mail.invitation.body")
        .with("link", link)
        .with("municipality", municipality)
        .with_code("role", role.code())
        .with("days", INVITATION_DAYS);
    compose(to, "invitation", &args, None)
}

/// The invitation of a tester, who needs an account but no role, to a service round.
pub fn tester_invitation_mail(to: &str, link: &str, round: &str) -> Mail {
    let args = Message::new("mail.tester.body")
        .with("link", link)
        .with("round", round)
        .with("days", INVITATION_DAYS);
    compose(to, "tester", &args, None)
}

/// Queues `mails`; a store error is passed on for the caller to log (the change the mail
/// tells about is already made).
pub async fn queue(
    store: &impl Outbox,
    mails: &[Mail],
    at: Timestamp,
) -> Result<usize, StoreError> {
    if mails.is_empty() {
        return Ok(0);
    }
    store.queue_mail(mails, at).await
}

/// The people who can act on `r` in its status now, by the rules of the steps: assessors
/// while it is a draft, reviewers once submitted, publishers once reviewed.
fn who_acts<'a>(users: &'a [UserRecord], r: &RoundRecord) -> Vec<&'a UserRecord> {
    users
        .iter()
        .filter(|u| {
            let who = a::standing(&u.grants, u.id, r);
            let answer = r.status == Status::Draft && who.assessor.is_some();
            answer
                || Step::ALL
                    .iter()
                    .filter(|s| **s != Step::Return)
                    .any(|s| s.take(r.status, &who, r.submitted_by).is_ok())
        })
        .collect()
}

/// After a step on round `round`: tells those who can act on it now (everyone but the
/// person who took the step), or its assessors that it is published. `link` is the round's
/// page. Returns the messages queued.
pub async fn notify_step(
    store: &(impl Accounts + AssessmentRounds + Outbox),
    round: kvalitet_domain::RoundId,
    actor: &UserRecord,
    municipality: &str,
    link: &str,
    at: Timestamp,
) -> Result<usize, StoreError> {
    let filter = RoundFilter {
        id: Some(round),
        ..RoundFilter::default()
    };
    let Some(r) = store.rounds(&filter).await?.into_iter().next() else {
        return Ok(0);
    };
    let users = store.users().await?;
    let args = Message::new("mail.step.body")
        .with("round", &r.title)
        .with("municipality", municipality)
        .with_code("status", r.status.code())
        .with("link", link);
    let (kind, to): (&str, Vec<&str>) = if r.status == Status::Published {
        (
            "published",
            r.assessors.iter().map(|x| x.email.as_str()).collect(),
        )
    } else {
        (
            "step",
            who_acts(&users, &r)
                .iter()
                .map(|u| u.email.as_str())
                .collect(),
        )
    };
    let mails: Vec<Mail> = to
        .into_iter()
        .filter(|e| !e.eq_ignore_ascii_case(&actor.email))
        .map(|e| compose(e, kind, &args, None))
        .collect();
    queue(store, &mails, at).await
}

/// Queues today's reminders for every unpublished round whose deadline is [`REMINDER_DAYS`]
/// away: to assessors with questions left and to those who can take the next step, and to
/// testers with planned tests not registered. Each reminder has a key of its round, person,
/// deadline and day, so running this again (or on another server) sends nothing twice.
/// `site` is the address the links start with; `names` gives a municipality's name.
pub async fn queue_reminders(
    store: &(impl Accounts + AssessmentRounds + ServiceRounds + Outbox),
    today: Date,
    site: &str,
    names: &(dyn Fn(&MunicipalityId) -> String + Sync),
    at: Timestamp,
) -> Result<usize, StoreError> {
    let users = store.users().await?;
    let mut mails = Vec::new();
    let days_left = |deadline: &Option<String>| {
        let d = Date::parse(deadline.as_deref()?, ISO_DATE).ok()?;
        let left = (d - today).whole_days();
        REMINDER_DAYS.contains(&left).then_some((d, left))
    };
    for r in store.rounds(&RoundFilter::default()).await? {
        if r.status == Status::Published {
            continue;
        }
        let Some((deadline, left)) = days_left(&r.deadline) else {
            continue;
        };
        let content = store.round_content(r.id).await?;
        let questions = a::framework(store, &r.framework_id, &r.framework_version)
            .await
            .map(|f| f.questions().count())
            .unwrap_or(0);
        let link = format!("{site}/admin/bedomning/{}", r.id.0);
        for u in who_acts(&users, &r) {
            let answered = content
                .answers
                .iter()
                .filter(|x| x.user == u.id && x.answer.is_some())
                .count();
            let assessor = r.assessors.iter().any(|x| x.user == u.id);
            // In a draft only the assessors act; those who are done wait for the others.
            if r.status == Status::Draft && (!assessor || answered >= questions) {
                let lead = r.assessors.iter().any(|x| {
                    x.user == u.id && x.role == kvalitet_domain::round::AssessorRole::Lead
                });
                if !lead {
                    continue;
                }
            }
            let args = Message::new("mail.reminder.body")
                .with("round", &r.title)
                .with("municipality", names(&r.municipality))
                .with("deadline", deadline)
                .with("days", left)
                .with("answered", answered)
                .with("questions", questions)
                .with_code("status", r.status.code())
                .with("link", &link);
            let key = format!("reminder:round:{}:{}:{deadline}:{left}", r.id.0, u.id.0);
            mails.push(compose(&u.email, "reminder", &args, Some(key)));
        }
    }
    for r in store.service_rounds(None).await? {
        if r.published {
            continue;
        }
        let Some((deadline, left)) = days_left(&r.deadline) else {
            continue;
        };
        let content = store.service_content(r.id).await?;
        let mut open: std::collections::BTreeMap<String, usize> = Default::default();
        for p in &content.plan {
            if !service::is_registered(p, &content.contacts) {
                *open.entry(p.tester.to_lowercase()).or_default() += 1;
            }
        }
        let link = format!("{site}/admin/service/{}/kontakt", r.id.0);
        for (tester, n) in open {
            let args = Message::new("mail.service_reminder.body")
                .with("round", &r.title)
                .with("deadline", deadline)
                .with("days", left)
                .with("n", n)
                .with("link", &link);
            let key = format!("reminder:service:{}:{tester}:{deadline}:{left}", r.id.0);
            mails.push(compose(&tester, "service_reminder", &args, Some(key)));
        }
    }
    queue(store, &mails, at).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_mail_has_words_in_both_languages() {
        for (_, _, key) in MAIL_KEYS {
            for lang in [Lang::Sv, Lang::En] {
                assert!(!lang.t(key).is_empty(), "{key} has no words in {lang:?}");
            }
        }
    }

    #[test]
    fn an_invitation_names_the_role_and_link_in_both_languages() {
        let m = invitation_mail(
            "Anna@Example.se",
            "https://k.example/inbjudan/abc",
            "Stockholm",
            Role::Editor,
        );
        assert_eq!(m.to, "anna@example.se");
        assert!(m.subject.contains("Inbjudan") && m.subject.contains("Invitation"));
        assert!(
            m.body.contains("Redaktör") && m.body.contains("Editor"),
            "{}",
            m.body
        );
        assert_eq!(m.body.matches("https://k.example/inbjudan/abc").count(), 2);
        assert!(!m.body.contains('{'), "every place filled: {}", m.body);
    }
}
