//! The outbox port (queued once by key, claimed once, retried with backoff, given up) with
//! the sending use case, invitations that make an account only, and round deadlines.

use std::sync::Mutex;

use kvalitet_app::mail;
use kvalitet_app::ports::prelude::*;
use kvalitet_app::ports::{Actor, FixedClock, Mail, MailError, Mailer, Outbox};
use kvalitet_store::SqlStore;

use crate::t;

both_backends!(
    a_keyed_message_is_queued_once_and_claimed_by_one_sender,
    a_relay_that_is_down_is_tried_again_later_and_a_refusal_is_final,
    an_account_only_invitation_gives_no_role,
    reminders_go_to_those_with_work_left_once_a_day_before_the_deadline,
    a_step_tells_those_who_take_the_next,
);

fn mail_to(to: &str, key: Option<&str>) -> Mail {
    Mail {
        to: to.into(),
        subject: "Ämne".into(),
        body: "Brödtext".into(),
        dedupe_key: key.map(str::to_owned),
    }
}

async fn a_keyed_message_is_queued_once_and_claimed_by_one_sender(store: &SqlStore) {
    let at = t("2026-12-01T08:00:00Z");
    let first = [
        mail_to("a@x.se", Some("reminder:1")),
        mail_to("b@x.se", None),
    ];
    assert_eq!(store.queue_mail(&first, at).await.unwrap(), 2);
    // The same reminder again (another server, a second run): nothing new.
    let again = [
        mail_to("a@x.se", Some("reminder:1")),
        mail_to("c@x.se", None),
    ];
    assert_eq!(store.queue_mail(&again, at).await.unwrap(), 1);

    let until = t("2026-12-01T08:10:00Z");
    let claimed = store.claim_mail(at, until, 2).await.unwrap();
    assert_eq!(
        claimed
            .iter()
            .map(|q| q.mail.to.as_str())
            .collect::<Vec<_>>(),
        ["a@x.se", "b@x.se"],
        "oldest first, at most the limit"
    );
    assert!(claimed.iter().all(|q| q.attempts == 1));
    assert_eq!(claimed[0].mail.dedupe_key.as_deref(), Some("reminder:1"));
    // While claimed, another sender gets only the rest.
    let other = store.claim_mail(at, until, 10).await.unwrap();
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].mail.to, "c@x.se");
    assert!(store.claim_mail(at, until, 10).await.unwrap().is_empty());

    for q in claimed.iter().chain(&other) {
        store.mail_sent(q.id, at).await.unwrap();
    }
    // Sent messages are never taken again, even after the claim runs out.
    assert!(
        store
            .claim_mail(t("2026-12-02T00:00:00Z"), t("2026-12-02T00:10:00Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let listed = store.outbox(10).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|e| e.sent_at.is_some()));
}

/// A relay that answers each message by its address.
#[derive(Default)]
struct Relay {
    sent: Mutex<Vec<String>>,
}

impl Mailer for Relay {
    async fn send(&self, m: &Mail) -> Result<(), MailError> {
        if m.to.starts_with("down") {
            return Err(MailError::Transient("451 try later".into()));
        }
        if m.to.starts_with("nobody") {
            return Err(MailError::Permanent("550 no such user".into()));
        }
        self.sent.lock().unwrap().push(m.to.clone());
        Ok(())
    }
}

async fn a_relay_that_is_down_is_tried_again_later_and_a_refusal_is_final(store: &SqlStore) {
    let at = t("2026-12-01T08:00:00Z");
    let mails = [
        mail_to("ok@x.se", None),
        mail_to("down@x.se", None),
        mail_to("nobody@x.se", None),
    ];
    store.queue_mail(&mails, at).await.unwrap();
    let relay = Relay::default();
    let done = mail::deliver(store, &relay, &FixedClock(at)).await.unwrap();
    assert_eq!((done.sent, done.retried, done.failed), (1, 1, 1));
    assert_eq!(*relay.sent.lock().unwrap(), ["ok@x.se"]);

    // Half a minute later nothing is due; after the first wait (1 min) the one that waits is.
    let soon = mail::deliver(store, &relay, &FixedClock(t("2026-12-01T08:00:30Z")))
        .await
        .unwrap();
    assert_eq!(soon, mail::Delivery::default());
    let later = mail::deliver(store, &relay, &FixedClock(t("2026-12-01T08:01:30Z")))
        .await
        .unwrap();
    assert_eq!(later.retried, 1);

    // Given up after the last attempt, with the relay's answer kept.
    let mut clock = t("2026-12-01T09:00:00Z");
    for _ in 0..mail::MAX_ATTEMPTS {
        mail::deliver(store, &relay, &FixedClock(clock))
            .await
            .unwrap();
        clock = clock.plus(time::Duration::hours(7));
    }
    let listed = store.outbox(10).await.unwrap();
    let down = listed.iter().find(|e| e.to == "down@x.se").unwrap();
    assert!(down.failed_at.is_some() && down.sent_at.is_none());
    assert_eq!(down.attempts, mail::MAX_ATTEMPTS);
    assert_eq!(down.last_error.as_deref(), Some("451 try later"));
    let nobody = listed.iter().find(|e| e.to == "nobody@x.se").unwrap();
    assert_eq!((nobody.attempts, nobody.failed_at.is_some()), (1, true));
}

async fn an_account_only_invitation_gives_no_role(store: &SqlStore) {
    use kvalitet_app::ports::{Acceptor, Accounts};
    let actor = Actor {
        who: "samordnare@skr.se".into(),
        at: t("2026-12-01T08:00:00Z"),
    };
    store
        .create_invitation(
            "hash1",
            "testare@x.se",
            None,
            t("2026-12-15T00:00:00Z"),
            &actor,
        )
        .await
        .unwrap();
    let found = store
        .invitation("hash1", t("2026-12-02T00:00:00Z"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.email.as_str(), found.grant), ("testare@x.se", None));
    let acceptor = Acceptor::NewAccount {
        name: "Testare",
        password_hash: "$argon2id$x",
    };
    store
        .accept_invitation("hash1", acceptor, t("2026-12-02T00:00:00Z"))
        .await
        .unwrap();
    let user = store.user_by_email("testare@x.se").await.unwrap().unwrap();
    assert!(user.grants.roles.is_empty() && !user.grants.system_admin);
    assert!(
        store
            .invitation("hash1", t("2026-12-02T00:00:00Z"))
            .await
            .unwrap()
            .is_none(),
        "used once"
    );
}

/// A round due in three days: the evaluator with questions left and the lead are reminded,
/// the administrator (nothing to do in a draft) is not, and a second run sends nothing new.
/// A deadline four days away reminds no one; the deadline is audited.
async fn reminders_go_to_those_with_work_left_once_a_day_before_the_deadline(store: &SqlStore) {
    use kvalitet_app::assessments as a;
    use kvalitet_app::ports::NewRound;
    use kvalitet_domain::round::{AssessorRole, RoundKind};
    crate::load_catalogue(store).await;
    crate::load_framework(store, crate::assessments::ROUND_FRAMEWORK).await;
    let (_, admin_g) = crate::person(store, "admin@sthlm.se", Some("0180")).await;
    crate::person(store, "lead@sthlm.se", None).await;
    crate::person(store, "eva@sthlm.se", None).await;
    let actor = Actor {
        who: "admin@sthlm.se".into(),
        at: t("2026-12-01T09:00:00Z"),
    };
    let new = NewRound {
        municipality: crate::m("0180"),
        framework_id: "dx".into(),
        framework_version: "1".into(),
        kind: RoundKind::SelfAssessment,
        title: "Delaktighet".into(),
        year: kvalitet_domain::Year::new(2026).unwrap(),
    };
    let round = a::create_round(store, &admin_g, &new, &actor)
        .await
        .unwrap();
    for (who, role) in [
        ("lead@sthlm.se", AssessorRole::Lead),
        ("eva@sthlm.se", AssessorRole::Evaluator),
    ] {
        a::set_assessor(store, &admin_g, round, who, Some(role), &actor)
            .await
            .unwrap();
    }
    let refused = a::set_deadline(store, &admin_g, round, "4 december", &actor).await;
    assert!(refused.is_err(), "not a date");
    a::set_deadline(store, &admin_g, round, "2026-12-04", &actor)
        .await
        .unwrap();
    let names = |_: &kvalitet_domain::MunicipalityId| "Stockholm".to_owned();
    let today = time::macros::date!(2026 - 12 - 01);
    let n = mail::queue_reminders(store, today, "https://k.example", &names, actor.at)
        .await
        .unwrap();
    assert_eq!(n, 2, "the lead and the evaluator");
    let again = mail::queue_reminders(store, today, "https://k.example", &names, actor.at)
        .await
        .unwrap();
    assert_eq!(again, 0, "once a day");
    let listed = store.outbox(10).await.unwrap();
    let mut to: Vec<&str> = listed.iter().map(|e| e.to.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["eva@sthlm.se", "lead@sthlm.se"]);
    assert!(listed[0].subject.contains("Delaktighet") && listed[0].subject.contains("2026-12-04"));

    let earlier = time::macros::date!(2026 - 11 - 30);
    let none = mail::queue_reminders(store, earlier, "https://k.example", &names, actor.at)
        .await
        .unwrap();
    assert_eq!(none, 0, "four days before is not a reminder day");
    let trail = store
        .audit_events(Some(&crate::m("0180")), 50)
        .await
        .unwrap();
    assert!(trail.iter().any(|e| e.action == "round.deadline"));
}

/// Submitting a round tells the administrator who can review it, not the lead who submitted.
async fn a_step_tells_those_who_take_the_next(store: &SqlStore) {
    use kvalitet_app::assessments as a;
    use kvalitet_app::ports::NewRound;
    use kvalitet_domain::round::{AssessorRole, RoundKind, Status};
    crate::load_catalogue(store).await;
    crate::load_framework(store, crate::assessments::ROUND_FRAMEWORK).await;
    let (_, admin_g) = crate::person(store, "admin@sthlm.se", Some("0180")).await;
    let (lead, _) = crate::person(store, "lead@sthlm.se", None).await;
    let actor = Actor {
        who: "admin@sthlm.se".into(),
        at: t("2026-12-01T09:00:00Z"),
    };
    let new = NewRound {
        municipality: crate::m("0180"),
        framework_id: "dx".into(),
        framework_version: "1".into(),
        kind: RoundKind::SelfAssessment,
        title: "Delaktighet".into(),
        year: kvalitet_domain::Year::new(2026).unwrap(),
    };
    let round = a::create_round(store, &admin_g, &new, &actor)
        .await
        .unwrap();
    a::set_assessor(
        store,
        &admin_g,
        round,
        "lead@sthlm.se",
        Some(AssessorRole::Lead),
        &actor,
    )
    .await
    .unwrap();
    store
        .set_round_status(
            round,
            Status::Draft,
            Status::Submitted,
            Some(lead),
            kvalitet_domain::audit::AuditAction::RoundSubmit,
            &actor,
        )
        .await
        .unwrap();
    let lead_user = store.user_by_email("lead@sthlm.se").await.unwrap().unwrap();
    let n = mail::notify_step(
        store,
        round,
        &lead_user,
        "Stockholm",
        "https://k.example/admin/bedomning/1",
        actor.at,
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    let listed = store.outbox(10).await.unwrap();
    assert_eq!(listed[0].to, "admin@sthlm.se");
}
