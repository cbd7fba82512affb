//! The e-dialogue port with its use cases: a dialogue set up (numbered per municipality),
//! participants joining from their mailed link (one per address: joining again moves them
//! to the new link), statements through moderation, one vote per participant and statement
//! (also when two race), nothing taken outside the period, and the day-by-day and by-group
//! counts and the export.

use kvalitet_app::dialogues::{self, DialogueForm, JoinForm, ModerationForm};
use kvalitet_app::ports::{Actor, Confirmed, DialogueParticipant, Mail};
use kvalitet_app::proposals::{self, Links};
use kvalitet_app::refusal::Refusal;
use kvalitet_domain::Grants;
use kvalitet_domain::dialogue::StatementVote;
use kvalitet_store::SqlStore;

use crate::{load_catalogue, m, person, t};
use kvalitet_app::ports::prelude::*;

both_backends!(
    a_dialogue_is_joined_answered_and_counted,
    a_participant_answers_once_even_when_two_votes_race,
);

const LINKS: Links<'static> = Links {
    site: "https://k.example",
    lang_base: "",
};

fn actor(at: &str) -> Actor {
    Actor {
        who: "anna@kommun.se".into(),
        at: t(at),
    }
}

async fn mails(store: &SqlStore, now: &str) -> Vec<Mail> {
    let now = t(now);
    let claimed = store
        .claim_mail(now, now.plus(time::Duration::minutes(10)), 100)
        .await
        .unwrap();
    for q in &claimed {
        store.mail_sent(q.id, now).await.unwrap();
    }
    claimed.into_iter().map(|q| q.mail).collect()
}

fn token_in(mail: &Mail) -> String {
    let start = mail.body.find("/bekrafta/").unwrap() + "/bekrafta/".len();
    mail.body[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// Municipality 0180 with its editor and dialogue 1, open 2 – 31 March 2026.
async fn dialogue(store: &SqlStore) -> Grants {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let form = DialogueForm {
        question: "Hur ska Vasaparken bli bättre?".into(),
        description: String::new(),
        areas: "Norr\nSöder".into(),
        opens_on: "2026-03-02".into(),
        closes_on: "2026-03-31".into(),
    };
    let number = dialogues::create(
        store,
        &anna,
        &m("0180"),
        &form,
        &actor("2026-03-01T08:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(number, 1);
    anna
}

/// Joins dialogue 1 as `email`; the participant and their link's token.
async fn join(
    store: &SqlStore,
    email: &str,
    area: &str,
    at: &str,
) -> (DialogueParticipant, String) {
    let form = JoinForm {
        email: email.into(),
        area: area.into(),
        age_band: "30-44".into(),
    };
    dialogues::join(store, &m("0180"), "Stockholm", 1, &form, LINKS, t(at))
        .await
        .unwrap();
    let token = token_in(&mails(store, at).await[0]);
    let confirmed = proposals::confirm(store, &m("0180"), &token, t(at))
        .await
        .unwrap();
    assert_eq!(confirmed, Confirmed::Participant { number: 1 });
    let p = dialogues::participant(store, &m("0180"), 1, &token)
        .await
        .unwrap();
    (p, token)
}

fn publish() -> ModerationForm {
    ModerationForm {
        step: "publish".into(),
        reason: String::new(),
    }
}

async fn a_dialogue_is_joined_answered_and_counted(store: &SqlStore) {
    let anna = dialogue(store).await;
    let muni = m("0180");
    let at = "2026-03-02T09:00:00Z";
    // Before the period nobody joins.
    let early = JoinForm {
        email: "tidig@x.se".into(),
        ..JoinForm::default()
    };
    assert!(matches!(
        dialogues::join(
            store,
            &muni,
            "Stockholm",
            1,
            &early,
            LINKS,
            t("2026-03-01T09:00:00Z")
        )
        .await,
        Err(Refusal::Invalid(_))
    ));
    let (writer, first_token) = join(store, "w@x.se", "Norr", at).await;
    // Joining again from the same address moves the participant to the new link.
    let (again, second_token) = join(store, "w@x.se", "", at).await;
    assert_eq!(again.id, writer.id);
    assert!(
        dialogues::participant(store, &muni, 1, &first_token)
            .await
            .is_err()
    );
    assert!(
        dialogues::participant(store, &muni, 1, &second_token)
            .await
            .is_ok()
    );

    for text in ["Fler bänkar", "Mer   belysning", "Köp en isbjörn"] {
        dialogues::write(store, &writer, text, t(at)).await.unwrap();
    }
    let a = actor(at);
    for n in [1, 2] {
        dialogues::moderate(store, &anna, &muni, 1, n, &publish(), &a)
            .await
            .unwrap();
    }
    let reject = ModerationForm {
        step: "reject".into(),
        reason: "Inte kommunens ansvar.".into(),
    };
    dialogues::moderate(store, &anna, &muni, 1, 3, &reject, &a)
        .await
        .unwrap();
    // A moderated statement is not moderated again.
    assert!(
        dialogues::moderate(store, &anna, &muni, 1, 3, &publish(), &a)
            .await
            .is_err()
    );
    let (to_answer, own) = dialogues::participant_view(store, &writer).await.unwrap();
    assert!(to_answer.is_empty());
    assert_eq!(own.len(), 3);
    assert_eq!(own[1].body, "Mer belysning");
    assert_eq!(own[2].reason, "Inte kommunens ansvar.");

    let mut voters = Vec::new();
    for (i, area) in ["Norr", "Norr", "Söder"].iter().enumerate() {
        voters.push(
            join(store, &format!("v{i}@x.se"), area, "2026-03-03T09:00:00Z")
                .await
                .0,
        );
    }
    for v in &voters {
        let (to_answer, _) = dialogues::participant_view(store, v).await.unwrap();
        assert_eq!(
            to_answer.iter().map(|s| s.number).collect::<Vec<_>>(),
            [1, 2]
        );
        dialogues::vote(store, v, 1, "agree", t("2026-03-03T10:00:00Z"))
            .await
            .unwrap();
    }
    dialogues::vote(store, &voters[0], 2, "disagree", t("2026-03-04T10:00:00Z"))
        .await
        .unwrap();
    // Twice, on a rejected statement, or after the period: refused, nothing counted.
    let twice = dialogues::vote(store, &voters[0], 1, "pass", t("2026-03-04T10:00:00Z")).await;
    assert!(matches!(twice, Err(Refusal::Invalid(_))), "{twice:?}");
    let rejected = dialogues::vote(store, &voters[0], 3, "pass", t("2026-03-04T10:00:00Z")).await;
    assert!(
        matches!(rejected, Err(Refusal::NotFound(_))),
        "{rejected:?}"
    );
    let late = dialogues::vote(store, &voters[1], 2, "agree", t("2026-04-01T10:00:00Z")).await;
    assert!(matches!(late, Err(Refusal::Invalid(_))), "{late:?}");
    assert!(
        dialogues::write(store, &voters[1], "Sent", t("2026-04-01T10:00:00Z"))
            .await
            .is_err()
    );

    let r = dialogues::result(store, &muni, 1).await.unwrap();
    assert_eq!(r.dialogue.participants, 4);
    assert_eq!(r.dialogue.votes, 4);
    assert_eq!(r.statements.len(), 2);
    assert_eq!(
        (r.statements[0].tally.agree, r.statements[1].tally.disagree),
        (3, 1)
    );
    assert_eq!(r.most_agreement.first().map(|s| s.number), Some(1));
    let days: Vec<(String, u64, u64, u64, u64)> = r
        .activity
        .iter()
        .map(|d| (d.day.to_string(), d.joined, d.voters, d.votes, d.statements))
        .collect();
    assert_eq!(
        days,
        [
            ("2026-03-02".to_owned(), 1, 0, 0, 3),
            ("2026-03-03".to_owned(), 3, 3, 3, 0),
            ("2026-03-04".to_owned(), 0, 1, 1, 0),
        ]
    );
    let turnout = store.dialogue_turnout(&muni, 1).await.unwrap();
    // The writer said Norr first and nothing the second time: Norr is kept.
    assert_eq!(
        turnout.by_area,
        [("Norr".to_owned(), 3), ("Söder".to_owned(), 1)]
    );
    let votes = dialogues::votes(store, &muni, 1).await.unwrap();
    assert_eq!(votes.len(), 4);
    assert_eq!(
        (votes[0].statement, votes[0].participant, votes[0].vote),
        (1, 2, StatementVote::Agree)
    );

    // The response, audited with the other staff steps.
    dialogues::respond(
        store,
        &anna,
        &muni,
        1,
        "Vi sätter upp bänkar.",
        &actor("2026-04-02T09:00:00Z"),
    )
    .await
    .unwrap();
    let d = dialogues::find(store, &muni, 1).await.unwrap();
    assert_eq!(d.response, "Vi sätter upp bänkar.");
    assert_eq!(
        d.responded_on.map(|x| x.to_string()).as_deref(),
        Some("2026-04-02")
    );
    let reader = Grants::default();
    assert!(matches!(
        dialogues::respond(store, &reader, &muni, 1, "X", &a).await,
        Err(Refusal::Forbidden(_))
    ));

    // Participation over the year: each address once (one joined twice), no ballots; none
    // the year before.
    let year = |y| {
        (
            time::Date::from_calendar_date(y, time::Month::January, 1).unwrap(),
            time::Date::from_calendar_date(y, time::Month::December, 31).unwrap(),
        )
    };
    let (first, last) = year(2026);
    let taking_part = store.participation(&muni, first, last).await.unwrap();
    assert_eq!(taking_part.addresses.len() as u64, d.participants);
    assert_eq!(taking_part.ballots, 0);
    let (first, last) = year(2025);
    let before = store.participation(&muni, first, last).await.unwrap();
    assert!(before.addresses.is_empty());
    assert!(before.proposers.is_empty());
}

async fn a_participant_answers_once_even_when_two_votes_race(store: &SqlStore) {
    let anna = dialogue(store).await;
    let at = "2026-03-02T09:00:00Z";
    let (writer, _) = join(store, "w@x.se", "", at).await;
    dialogues::write(store, &writer, "Fler bänkar", t(at))
        .await
        .unwrap();
    dialogues::moderate(store, &anna, &m("0180"), 1, 1, &publish(), &actor(at))
        .await
        .unwrap();
    let (voter, _) = join(store, "v@x.se", "", at).await;
    let (a, b) = tokio::join!(
        dialogues::vote(store, &voter, 1, "agree", t(at)),
        dialogues::vote(store, &voter, 1, "disagree", t(at)),
    );
    assert_eq!(u8::from(a.is_ok()) + u8::from(b.is_ok()), 1, "{a:?} {b:?}");
    let r = dialogues::result(store, &m("0180"), 1).await.unwrap();
    assert_eq!(r.statements[0].tally.seen(), 1);
}
