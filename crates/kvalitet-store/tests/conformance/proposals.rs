//! The e-förslag port with its use cases: the rules set (refused field by field), a
//! proposal confirmed from its mailed link into moderation, published with its threshold or
//! rejected with a reason told to the proposer, signatures counted once per address (also
//! when two links race), the threshold day recorded, the decision with its working days, the
//! check-and-count of confirmation mails per address, and expired or used links refused.

use kvalitet_app::ports::{Actor, Confirmed, Mail};
use kvalitet_app::proposals::{
    self, DecisionForm, Links, ModerationForm, ProposalForm, SentFile, SettingsForm, SignForm,
};
use kvalitet_app::refusal::Refusal;
use kvalitet_domain::Timestamp;
use kvalitet_domain::proposal::{Decision, Stage};
use kvalitet_store::SqlStore;

use crate::{load_catalogue, m, person, t};
use kvalitet_app::ports::prelude::*;

both_backends!(
    a_proposal_goes_from_confirmation_to_decision,
    a_proposal_keeps_its_place_and_checked_files_and_shows_them_once_published,
    an_address_signs_once_even_when_two_links_race,
    confirmation_mails_are_counted_per_address,
    residence_is_kept_with_a_proposal_and_each_signature_when_asked,
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

fn settings(threshold: &str) -> SettingsForm {
    SettingsForm {
        threshold_kind: "signatures".into(),
        threshold_value: threshold.into(),
        signing_days: "30".into(),
        answer_working_days: "5".into(),
        areas: "Skola\nMiljö\n".into(),
        residence_areas: String::new(),
        rules: "Förslag ska gälla kommunens ansvar och hålla god ton.".into(),
    }
}

fn proposal_form(email: &str) -> ProposalForm {
    ProposalForm {
        title: "Fler bänkar i Vasaparken".into(),
        body: "Äldre behöver kunna vila på vägen.".into(),
        area: "Miljö".into(),
        email: email.into(),
        name: "Anna Andersson".into(),
        ..ProposalForm::default()
    }
}

/// The mails queued so far (claimed and marked sent, so each is seen once).
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

/// The token of the confirmation link in a mail.
fn token_in(mail: &Mail) -> String {
    let start = mail.body.find("/bekrafta/").unwrap() + "/bekrafta/".len();
    mail.body[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

async fn confirm(store: &SqlStore, token: &str, at: &str) -> Result<Confirmed, Refusal> {
    proposals::confirm(store, &m("0180"), token, t(at)).await
}

async fn sign(store: &SqlStore, number: i64, email: &str, at: &str) -> String {
    sign_living_in(store, number, email, "", at).await
}

async fn sign_living_in(
    store: &SqlStore,
    number: i64,
    email: &str,
    residence: &str,
    at: &str,
) -> String {
    let form = SignForm {
        email: email.into(),
        name: String::new(),
        residence: residence.into(),
    };
    proposals::sign(store, &m("0180"), "Stockholm", number, &form, LINKS, t(at))
        .await
        .unwrap();
    let sent = mails(store, at).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, email);
    token_in(&sent[0])
}

async fn published_proposal(store: &SqlStore, threshold: &str) -> i64 {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let muni = m("0180");
    let a = actor("2026-03-02T08:00:00Z");
    proposals::save_settings(store, &anna, &muni, &settings(threshold), &a)
        .await
        .unwrap();
    let now = t("2026-03-02T09:00:00Z");
    proposals::submit(
        store,
        &muni,
        "Stockholm",
        &proposal_form("p@x.se"),
        &[],
        LINKS,
        now,
    )
    .await
    .unwrap();
    let token = token_in(&mails(store, "2026-03-02T09:00:00Z").await[0]);
    let Confirmed::Proposal { number } = confirm(store, &token, "2026-03-02T09:05:00Z")
        .await
        .unwrap()
    else {
        panic!("a proposal")
    };
    let publish = ModerationForm {
        step: "publish".into(),
        committee: "Trafiknämnden".into(),
        reason: String::new(),
    };
    proposals::moderate(store, &anna, &muni, number, &publish, LINKS, &a)
        .await
        .unwrap();
    mails(store, "2026-03-02T09:06:00Z").await;
    number
}

async fn a_proposal_goes_from_confirmation_to_decision(store: &SqlStore) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let (_, other) = person(store, "olle@annan.se", Some("0114")).await;
    let muni = m("0180");
    let a = actor("2026-03-02T08:00:00Z");
    let now = t("2026-03-02T09:00:00Z");
    // Without rules the municipality takes no proposals.
    assert!(matches!(
        proposals::submit(
            store,
            &muni,
            "Stockholm",
            &proposal_form("p@x.se"),
            &[],
            LINKS,
            now
        )
        .await,
        Err(Refusal::NotFound(_))
    ));
    // Rules refused field by field; another municipality's people may not set them.
    let mut bad = settings("0");
    bad.signing_days = "900".into();
    bad.rules = String::new();
    match proposals::save_settings(store, &anna, &muni, &bad, &a).await {
        Err(Refusal::BadRows(ps)) => assert_eq!(ps.len(), 3, "{ps:?}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        proposals::save_settings(store, &other, &muni, &settings("2"), &a).await,
        Err(Refusal::Forbidden(_))
    ));
    proposals::save_settings(store, &anna, &muni, &settings("2"), &a)
        .await
        .unwrap();
    let stored = store.proposal_settings(&muni).await.unwrap().unwrap();
    assert_eq!(stored.signing_days, 30);

    // A proposal waits for its link; the mail names the title and the link.
    proposals::submit(
        store,
        &muni,
        "Stockholm",
        &proposal_form("P@X.se"),
        &[],
        LINKS,
        now,
    )
    .await
    .unwrap();
    let sent = mails(store, "2026-03-02T09:00:00Z").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "p@x.se");
    assert!(
        sent[0].body.contains("Fler bänkar i Vasaparken"),
        "{}",
        sent[0].body
    );
    assert!(store.proposals(&muni, false).await.unwrap().is_empty());
    let token = token_in(&sent[0]);
    // A link from another municipality's page or a mistyped one does nothing.
    assert!(matches!(
        proposals::confirm(store, &m("0114"), &token, t("2026-03-02T09:01:00Z")).await,
        Err(Refusal::NotFound(_))
    ));
    assert!(matches!(
        confirm(store, "abc", "2026-03-02T09:01:00Z").await,
        Err(Refusal::NotFound(_))
    ));
    let number = match confirm(store, &token, "2026-03-02T09:05:00Z")
        .await
        .unwrap()
    {
        Confirmed::Proposal { number } => number,
        other => panic!("{other:?}"),
    };
    assert_eq!(number, 1);
    // The link works once.
    assert!(matches!(
        confirm(store, &token, "2026-03-02T09:06:00Z").await,
        Err(Refusal::NotFound(_))
    ));
    let p = store.proposal(&muni, 1).await.unwrap().unwrap();
    assert_eq!(proposals::stage_of(&p, now), Stage::AwaitingModeration);
    assert_eq!(p.proposal.author_name.as_deref(), Some("Anna Andersson"));
    // Not public before moderation, and not signable.
    assert!(store.proposals(&muni, true).await.unwrap().is_empty());
    assert!(proposals::public_one(store, &muni, 1).await.is_err());

    // A rejection needs its reason, which the proposer is told.
    let reject = ModerationForm {
        step: "reject".into(),
        committee: String::new(),
        reason: String::new(),
    };
    assert!(matches!(
        proposals::moderate(store, &anna, &muni, 1, &reject, LINKS, &a).await,
        Err(Refusal::BadRows(_))
    ));
    // Published with its threshold and last day; the proposer hears of it.
    let publish = ModerationForm {
        step: "publish".into(),
        committee: "Trafiknämnden".into(),
        reason: String::new(),
    };
    assert!(matches!(
        proposals::moderate(store, &other, &muni, 1, &publish, LINKS, &a).await,
        Err(Refusal::Forbidden(_))
    ));
    let at = actor("2026-03-02T10:00:00Z");
    proposals::moderate(store, &anna, &muni, 1, &publish, LINKS, &at)
        .await
        .unwrap();
    assert!(matches!(
        proposals::moderate(store, &anna, &muni, 1, &publish, LINKS, &at).await,
        Err(Refusal::Invalid(_))
    ));
    let told = mails(store, "2026-03-02T10:00:00Z").await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].to, "p@x.se");
    assert!(told[0].body.contains("2026-03-31"), "{}", told[0].body);
    assert!(told[0].body.contains("Trafiknämnden"));
    let p = store.proposal(&muni, 1).await.unwrap().unwrap();
    assert_eq!(p.threshold, Some(2));
    assert_eq!(p.committee, "Trafiknämnden");

    // A decision waits for the threshold.
    let decision = DecisionForm {
        decision: "partly".into(),
        answer: "Tio bänkar ställs ut i vår.".into(),
        decided_on: "2026-03-13".into(),
    };
    let late = actor("2026-03-20T10:00:00Z");
    assert!(matches!(
        proposals::decide(store, &anna, &muni, 1, &decision, LINKS, &late).await,
        Err(Refusal::Invalid(_))
    ));
    // Two signatures (Friday 6 March) reach it.
    let first = sign(store, 1, "a@x.se", "2026-03-06T08:00:00Z").await;
    let second = sign(store, 1, "b@x.se", "2026-03-06T08:00:00Z").await;
    assert_eq!(
        confirm(store, &first, "2026-03-06T08:10:00Z")
            .await
            .unwrap(),
        Confirmed::Signature {
            number: 1,
            reached: false
        }
    );
    assert_eq!(
        confirm(store, &second, "2026-03-06T09:00:00Z")
            .await
            .unwrap(),
        Confirmed::Signature {
            number: 1,
            reached: true
        }
    );
    let p = store.proposal(&muni, 1).await.unwrap().unwrap();
    assert_eq!(p.signatures, 2);
    assert_eq!(
        p.milestones.threshold_reached_on.map(|d| d.to_string()),
        Some("2026-03-06".into())
    );
    assert_eq!(
        proposals::stage_of(&p, t("2026-03-07T09:00:00Z")),
        Stage::WithCommittee
    );
    // Signing goes on after the threshold; names are shown only when given.
    let third = sign(store, 1, "c@x.se", "2026-03-07T08:00:00Z").await;
    confirm(store, &third, "2026-03-07T08:01:00Z")
        .await
        .unwrap();
    let (_, _, signatures) = proposals::public_one(store, &muni, 1).await.unwrap();
    assert_eq!(signatures.len(), 3);
    assert!(signatures.iter().all(|s| s.public_name.is_none()));

    // The decision: not before the threshold, not in the future; then the working days.
    let mut early = decision.clone();
    early.decided_on = "2026-03-05".into();
    assert!(matches!(
        proposals::decide(store, &anna, &muni, 1, &early, LINKS, &late).await,
        Err(Refusal::BadRows(_))
    ));
    let mut future = decision.clone();
    future.decided_on = "2026-04-01".into();
    assert!(matches!(
        proposals::decide(store, &anna, &muni, 1, &future, LINKS, &late).await,
        Err(Refusal::BadRows(_))
    ));
    proposals::decide(store, &anna, &muni, 1, &decision, LINKS, &late)
        .await
        .unwrap();
    let told = mails(store, "2026-03-20T10:00:00Z").await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].to, "p@x.se");
    let p = store.proposal(&muni, 1).await.unwrap().unwrap();
    assert_eq!(p.decision, Some(Decision::Partly));
    assert_eq!(proposals::working_days_to_decision(&p), Some(5));
    let public = proposals::public_list(store, &muni, t("2026-03-20T10:00:00Z"))
        .await
        .unwrap();
    assert_eq!(public.timeliness.decided, 1);
    assert_eq!(public.timeliness.share_in_time(), Some(1.0));
    // No more signatures after the decision.
    assert!(matches!(
        proposals::sign(
            store,
            &muni,
            "Stockholm",
            1,
            &SignForm {
                email: "d@x.se".into(),
                ..SignForm::default()
            },
            LINKS,
            t("2026-03-21T08:00:00Z")
        )
        .await,
        Err(Refusal::Invalid(_))
    ));

    // Every step audited; the signatures are not, and no address is.
    let events = store.audit_events(Some(&muni), 100).await.unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e.action.as_str())
        .filter(|a| a.starts_with("proposal."))
        .collect();
    for expected in [
        "proposal.settings",
        "proposal.submit",
        "proposal.moderate",
        "proposal.threshold",
        "proposal.decide",
    ] {
        assert!(actions.contains(&expected), "{actions:?}");
    }
    let logged = format!("{events:?}");
    assert!(!logged.contains("p@x.se") && !logged.contains("a@x.se"));
}

async fn an_address_signs_once_even_when_two_links_race(store: &SqlStore) {
    let number = published_proposal(store, "5").await;
    let muni = m("0180");
    // The same address asks twice (two links); both are followed at once: one counts.
    let one = sign(store, number, "same@x.se", "2026-03-03T08:00:00Z").await;
    let two = sign(store, number, "same@x.se", "2026-03-03T08:00:01Z").await;
    let (a, b) = tokio::join!(
        confirm(store, &one, "2026-03-03T08:01:00Z"),
        confirm(store, &two, "2026-03-03T08:01:00Z")
    );
    let outcomes = [a, b];
    assert_eq!(
        outcomes.iter().filter(|r| r.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(outcomes.iter().any(|r| matches!(
        r,
        Err(Refusal::Invalid(m)) if m.code == "proposal_already_signed"
    )));
    let p = store.proposal(&muni, number).await.unwrap().unwrap();
    assert_eq!(p.signatures, 1);
    // A link expires after its hours.
    let late = sign(store, number, "late@x.se", "2026-03-03T08:00:00Z").await;
    assert!(matches!(
        confirm(store, &late, "2026-03-06T08:00:00Z").await,
        Err(Refusal::NotFound(_))
    ));
    // After the last day (30 days from 2 March: 31 March) a link no longer signs.
    let after = sign(store, number, "after@x.se", "2026-03-31T20:00:00Z").await;
    assert!(matches!(
        confirm(store, &after, "2026-04-01T08:00:00Z").await,
        Err(Refusal::Invalid(_))
    ));
    let p = store.proposal(&muni, number).await.unwrap().unwrap();
    assert_eq!(p.signatures, 1);
    assert_eq!(
        proposals::stage_of(&p, t("2026-04-01T08:00:00Z")),
        Stage::Closed
    );
}

async fn confirmation_mails_are_counted_per_address(store: &SqlStore) {
    let number = published_proposal(store, "5").await;
    let muni = m("0180");
    let form = SignForm {
        email: "many@x.se".into(),
        name: "Many".into(),
        ..SignForm::default()
    };
    let at = t("2026-03-03T08:00:00Z");
    // Ten asked at once: all kept; the eleventh refused in the e-mail field, nothing kept.
    let asks: Vec<_> = (0..10)
        .map(|_| proposals::sign(store, &muni, "Stockholm", number, &form, LINKS, at))
        .collect();
    for r in futures_util::future::join_all(asks).await {
        r.unwrap();
    }
    match proposals::sign(store, &muni, "Stockholm", number, &form, LINKS, at).await {
        Err(Refusal::Invalid(m)) => {
            assert_eq!(m.term("field"), Some("email"));
            assert_eq!(
                m.said("problem").unwrap().code,
                "dialogue_too_many_requests"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(mails(store, "2026-03-03T08:00:00Z").await.len(), 10);
    // Another address is not held back; a day later this one may ask again.
    proposals::sign(
        store,
        &muni,
        "Stockholm",
        number,
        &SignForm {
            email: "other@x.se".into(),
            ..SignForm::default()
        },
        LINKS,
        at,
    )
    .await
    .unwrap();
    let tomorrow: Timestamp = t("2026-03-04T08:00:01Z");
    proposals::sign(store, &muni, "Stockholm", number, &form, LINKS, tomorrow)
        .await
        .unwrap();
}

const PNG: &[u8] =
    include_bytes!("../../../kvalitet-formats/tests/fixtures/attachments/lekplats.png");
const PDF: &[u8] = include_bytes!("../../../kvalitet-formats/tests/fixtures/attachments/plan.pdf");
const SCRIPT_PDF: &[u8] =
    include_bytes!("../../../kvalitet-formats/tests/fixtures/attachments/script.pdf");

async fn a_proposal_keeps_its_place_and_checked_files_and_shows_them_once_published(
    store: &SqlStore,
) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let muni = m("0180");
    let a = actor("2026-03-02T08:00:00Z");
    proposals::save_settings(store, &anna, &muni, &settings("10"), &a)
        .await
        .unwrap();
    let form = ProposalForm {
        lat: "59,3326".into(),
        lon: "18,0649".into(),
        ..proposal_form("p@x.se")
    };
    let now = t("2026-03-02T09:00:00Z");
    // A script in a PDF refuses the whole proposal, naming the file; nothing is kept or mailed.
    let refused = proposals::submit(
        store,
        &muni,
        "Stockholm",
        &form,
        &[
            SentFile {
                name: "lekplats.png",
                bytes: PNG,
            },
            SentFile {
                name: "hack.pdf",
                bytes: SCRIPT_PDF,
            },
        ],
        LINKS,
        now,
    )
    .await;
    let Err(Refusal::BadRows(problems)) = refused else {
        panic!("refused: {refused:?}")
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].term("field"), Some("files"));
    assert!(format!("{problems:?}").contains("hack.pdf"));
    assert!(mails(store, "2026-03-02T09:00:00Z").await.is_empty());

    let files = [
        SentFile {
            name: "plan.pdf",
            bytes: PDF,
        },
        SentFile {
            name: "C:\\bilder\\lekplats.PNG",
            bytes: PNG,
        },
    ];
    proposals::submit(store, &muni, "Stockholm", &form, &files, LINKS, now)
        .await
        .unwrap();
    let token = token_in(&mails(store, "2026-03-02T09:00:00Z").await[0]);
    let Confirmed::Proposal { number } = confirm(store, &token, "2026-03-02T09:05:00Z")
        .await
        .unwrap()
    else {
        panic!("a proposal")
    };
    let (p, _) = proposals::one_for_staff(store, &anna, &muni, number)
        .await
        .unwrap();
    let place = p.proposal.place.expect("a place");
    assert_eq!((place.lat_e6, place.lon_e6), (59_332_600, 18_064_900));

    // Staff see the files at moderation; the public sees nothing before publication.
    let listed = proposals::attachment_list(store, Some(&anna), &muni, number)
        .await
        .unwrap();
    let names: Vec<_> = listed
        .iter()
        .map(|f| (f.position, f.file_name.as_str()))
        .collect();
    assert_eq!(names, [(1, "plan.pdf"), (2, "lekplats.png")]);
    assert_eq!(listed[0].size_bytes, PDF.len() as u64);
    assert!(matches!(
        proposals::attachment_list(store, None, &muni, number).await,
        Err(Refusal::NotFound(_))
    ));
    assert!(matches!(
        proposals::attachment_file(store, None, &muni, number, 2).await,
        Err(Refusal::NotFound(_))
    ));
    let publish = ModerationForm {
        step: "publish".into(),
        committee: "Trafiknämnden".into(),
        reason: String::new(),
    };
    proposals::moderate(store, &anna, &muni, number, &publish, LINKS, &a)
        .await
        .unwrap();
    let (info, png) = proposals::attachment_file(store, None, &muni, number, 2)
        .await
        .unwrap();
    assert_eq!(info.media_type, "image/png");
    assert!(png.starts_with(b"\x89PNG"));
    // The picture lost the text naming a place, and kept everything else.
    assert!(!png.windows(9).any(|w| w == b"Storgatan"));
    assert!(PNG.windows(9).any(|w| w == b"Storgatan"));
    assert!(png.len() < PNG.len());
    assert!(matches!(
        proposals::attachment_file(store, None, &muni, number, 3).await,
        Err(Refusal::NotFound(_))
    ));
    // Another municipality's address for the same number finds nothing.
    assert!(
        proposals::attachment_file(store, None, &m("1480"), number, 1)
            .await
            .is_err()
    );
}

async fn residence_is_kept_with_a_proposal_and_each_signature_when_asked(store: &SqlStore) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let muni = m("0180");
    let a = actor("2026-03-02T08:00:00Z");
    let asking = SettingsForm {
        residence_areas: "Centrum\nNorra".into(),
        ..settings("10")
    };
    proposals::save_settings(store, &anna, &muni, &asking, &a)
        .await
        .unwrap();
    let saved = proposals::settings_for_staff(store, &anna, &muni)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.residence_areas, ["Centrum", "Norra"]);
    let now = t("2026-03-02T09:00:00Z");
    // Without the area where the proposer lives: refused in its field, nothing mailed.
    let refused = proposals::submit(
        store,
        &muni,
        "Stockholm",
        &proposal_form("p@x.se"),
        &[],
        LINKS,
        now,
    )
    .await;
    let Err(Refusal::BadRows(problems)) = refused else {
        panic!("refused: {refused:?}")
    };
    assert_eq!(problems[0].term("field"), Some("residence"));
    assert!(mails(store, "2026-03-02T09:00:00Z").await.is_empty());
    let form = ProposalForm {
        residence: "Norra".into(),
        ..proposal_form("p@x.se")
    };
    proposals::submit(store, &muni, "Stockholm", &form, &[], LINKS, now)
        .await
        .unwrap();
    let token = token_in(&mails(store, "2026-03-02T09:00:00Z").await[0]);
    let Confirmed::Proposal { number } = confirm(store, &token, "2026-03-02T09:05:00Z")
        .await
        .unwrap()
    else {
        panic!("a proposal")
    };
    let (p, _) = proposals::one_for_staff(store, &anna, &muni, number)
        .await
        .unwrap();
    assert_eq!(p.proposal.residence_area.as_deref(), Some("Norra"));
    let publish = ModerationForm {
        step: "publish".into(),
        committee: "Trafiknämnden".into(),
        reason: String::new(),
    };
    proposals::moderate(store, &anna, &muni, number, &publish, LINKS, &a)
        .await
        .unwrap();
    // The proposer is told it is published.
    assert_eq!(mails(store, "2026-03-02T10:00:00Z").await[0].to, "p@x.se");

    // A signer who names no area is refused; those who do are kept with it.
    let unsigned = proposals::sign(
        store,
        &muni,
        "Stockholm",
        number,
        &SignForm {
            email: "x@x.se".into(),
            ..SignForm::default()
        },
        LINKS,
        t("2026-03-03T08:00:00Z"),
    )
    .await;
    assert!(matches!(unsigned, Err(Refusal::BadRows(_))), "{unsigned:?}");
    for (email, area) in [("c@x.se", "Centrum"), ("n@x.se", "Norra")] {
        let token = sign_living_in(store, number, email, area, "2026-03-03T08:00:00Z").await;
        confirm(store, &token, "2026-03-03T08:05:00Z")
            .await
            .unwrap();
    }
    let (rules, _, signatures) = proposals::public_one(store, &muni, number).await.unwrap();
    let areas: Vec<_> = signatures
        .iter()
        .map(|s| s.residence_area.as_deref())
        .collect();
    assert_eq!(areas.len(), 2);
    assert!(areas.contains(&Some("Centrum")) && areas.contains(&Some("Norra")));
    // Two signers are too few to show by area.
    let rows = proposals::signers_by_residence(&rules, &signatures);
    assert!(rows.iter().all(|r| r.count.is_none()), "{rows:?}");

    // The rules no longer asking: the next signature is kept without an area.
    proposals::save_settings(store, &anna, &muni, &settings("10"), &a)
        .await
        .unwrap();
    let token = sign_living_in(store, number, "o@x.se", "Centrum", "2026-03-04T08:00:00Z").await;
    confirm(store, &token, "2026-03-04T08:05:00Z")
        .await
        .unwrap();
    let (_, _, signatures) = proposals::public_one(store, &muni, number).await.unwrap();
    assert_eq!(
        signatures
            .iter()
            .filter(|s| s.residence_area.is_none())
            .count(),
        1
    );
}
