//! The award port: a kommun's step-2 descriptions saved and replaced with their evidence,
//! nominees set (those left out lose their scores), a juror's score replaced by their next,
//! a score of a kommun that is not nominated refused, and nothing changed once the year is
//! published; every change in the audit trail.

use kvalitet_app::ports::prelude::*;
use kvalitet_app::ports::{Actor, StoreError};
use kvalitet_domain::Year;
use kvalitet_domain::audit::AuditAction;
use kvalitet_domain::award::{Criterion, Evidence, Theme};
use kvalitet_store::SqlStore;

use kvalitet_app::award;
use kvalitet_app::refusal::Refusal;

use crate::{load_catalogue, m, person, t};

both_backends!(
    descriptions_are_saved_per_theme_and_replaced,
    the_jury_scores_nominees_until_the_year_is_published,
    the_use_cases_keep_descriptions_and_scores_private_until_published,
);

fn actor(who: &str, at: &str) -> Actor {
    Actor {
        who: who.into(),
        at: t(at),
    }
}

fn year() -> Year {
    Year::new(2026).unwrap()
}

async fn descriptions_are_saved_per_theme_and_replaced(store: &SqlStore) {
    load_catalogue(store).await;
    let a = actor("anna@kommun.se", "2026-12-01T09:00:00Z");
    let evidence = vec![Evidence {
        title: "Strategi".into(),
        link: "https://kommun.se/strategi".into(),
    }];
    store
        .save_narrative(&m("0180"), year(), Theme::Leadership, "Första", &[], &a)
        .await
        .unwrap();
    store
        .save_narrative(
            &m("0180"),
            year(),
            Theme::Digitalisation,
            "Digitalt",
            &evidence,
            &a,
        )
        .await
        .unwrap();
    let b = actor("bo@kommun.se", "2026-12-02T09:00:00Z");
    store
        .save_narrative(
            &m("0180"),
            year(),
            Theme::Leadership,
            "Andra",
            &evidence,
            &b,
        )
        .await
        .unwrap();
    let saved = store.narratives(&m("0180"), year()).await.unwrap();
    assert_eq!(
        saved
            .iter()
            .map(|n| (n.theme, n.body.as_str(), n.saved_by.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (Theme::Digitalisation, "Digitalt", "anna@kommun.se"),
            (Theme::Leadership, "Andra", "bo@kommun.se"),
        ],
        "in the themes' order, the later text replacing the earlier"
    );
    assert_eq!(saved[1].evidence, evidence);
    assert_eq!(saved[1].saved_at, t("2026-12-02T09:00:00Z"));
    assert!(
        store
            .narratives(&m("0114"), year())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .narratives(&m("0180"), Year::new(2025).unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    let trail = store.audit_events(Some(&m("0180")), 10).await.unwrap();
    assert_eq!(
        trail
            .iter()
            .filter(|e| e.action == AuditAction::AwardNarrative.code())
            .count(),
        3
    );
}

async fn the_jury_scores_nominees_until_the_year_is_published(store: &SqlStore) {
    load_catalogue(store).await;
    let admin = actor("admin@skr.se", "2026-12-01T09:00:00Z");
    assert_eq!(store.award_year(year()).await.unwrap(), None);
    store
        .set_nominees(year(), &[m("0180"), m("0114")], &admin)
        .await
        .unwrap();
    let juror = actor("jurist@skr.se", "2026-12-02T09:00:00Z");
    for (muni, score) in [("0180", 4), ("0114", 3)] {
        store
            .score_nominee(year(), &m(muni), Criterion::Results, score, "Bra", &juror)
            .await
            .unwrap();
    }
    // The same juror's next score replaces the first; another juror's stands beside it.
    store
        .score_nominee(
            year(),
            &m("0180"),
            Criterion::Results,
            5,
            "Mycket bra",
            &juror,
        )
        .await
        .unwrap();
    store
        .score_nominee(year(), &m("0180"), Criterion::Results, 2, "Svagt", &admin)
        .await
        .unwrap();
    let scores = store.jury_scores(year()).await.unwrap();
    assert_eq!(
        scores
            .iter()
            .map(|s| (
                s.municipality.as_str().to_owned(),
                s.juror.as_str(),
                s.score
            ))
            .collect::<Vec<_>>(),
        vec![
            ("0114".to_owned(), "jurist@skr.se", 3),
            ("0180".to_owned(), "admin@skr.se", 2),
            ("0180".to_owned(), "jurist@skr.se", 5),
        ]
    );
    // A kommun that is not nominated cannot be scored.
    let refused = store
        .score_nominee(year(), &m("1480"), Criterion::Results, 3, "", &juror)
        .await;
    assert!(
        matches!(refused, Err(StoreError::NotFound(_))),
        "{refused:?}"
    );
    // Leaving a nominee out takes their scores with them.
    store
        .set_nominees(year(), &[m("0180")], &admin)
        .await
        .unwrap();
    let award = store.award_year(year()).await.unwrap().unwrap();
    assert_eq!(award.nominees, vec![m("0180")]);
    assert_eq!(award.published, None);
    assert_eq!(store.jury_scores(year()).await.unwrap().len(), 2);
    // Published: frozen.
    let later = actor("admin@skr.se", "2026-12-03T09:00:00Z");
    store.publish_award(year(), &later).await.unwrap();
    let award = store.award_year(year()).await.unwrap().unwrap();
    assert_eq!(
        award.published,
        Some(("admin@skr.se".to_owned(), t("2026-12-03T09:00:00Z")))
    );
    for refused in [
        store
            .score_nominee(year(), &m("0180"), Criterion::Finances, 3, "", &juror)
            .await,
        store.set_nominees(year(), &[m("0114")], &admin).await,
        store.publish_award(year(), &later).await,
    ] {
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
    }
    assert!(matches!(
        store.publish_award(Year::new(2027).unwrap(), &later).await,
        Err(StoreError::NotFound(_))
    ));
}

/// Who may do what: the kommun's people write and read its descriptions, another kommun's
/// may not; only system administrators nominate and score; nothing is public before the
/// year is published, everything after.
async fn the_use_cases_keep_descriptions_and_scores_private_until_published(store: &SqlStore) {
    load_catalogue(store).await;
    let (_, anna) = person(store, "anna@kommun.se", Some("0180")).await;
    let (_, other) = person(store, "olle@kommun.se", Some("0114")).await;
    let root = kvalitet_domain::Grants {
        system_admin: true,
        roles: Vec::new(),
    };
    let a = actor("anna@kommun.se", "2026-12-01T09:00:00Z");
    let y = year();
    award::save_narrative(
        store,
        &anna,
        &m("0180"),
        y,
        "ledarskap",
        " Chefer med mandat. ",
        "Chefspolicy | https://kommun.se/policy\n/kommun/0180/mal",
        &a,
    )
    .await
    .unwrap();
    let refused =
        award::save_narrative(store, &other, &m("0180"), y, "ledarskap", "x", "", &a).await;
    assert!(matches!(refused, Err(Refusal::Forbidden(_))), "{refused:?}");
    let bad = award::save_narrative(
        store,
        &anna,
        &m("0180"),
        y,
        "ledarskap",
        "x",
        "x | javascript:1",
        &a,
    )
    .await
    .unwrap_err()
    .message();
    assert_eq!(bad.field_problem().map(|(f, _)| f), Some("evidence"));
    assert!(
        award::save_narrative(store, &anna, &m("0180"), y, "okänt", "x", "", &a)
            .await
            .is_err()
    );
    let own = award::narratives(store, Some(&anna), &m("0180"), y)
        .await
        .unwrap();
    assert_eq!(own[0].body, "Chefer med mandat.");
    assert_eq!(own[0].evidence.len(), 2);
    for who in [None, Some(&other)] {
        assert!(matches!(
            award::narratives(store, who, &m("0180"), y).await,
            Err(Refusal::NotFound(_))
        ));
    }
    // The jury is the system administrators'.
    assert!(matches!(
        award::set_nominees(store, &anna, &[m("0180")], y, "0180", &a).await,
        Err(Refusal::Forbidden(_))
    ));
    let kommuner = [m("0180"), m("0114")];
    let bad = award::set_nominees(store, &root, &kommuner, y, "0180, 0001", &a)
        .await
        .unwrap_err()
        .message();
    assert_eq!(bad.field_problem().map(|(f, _)| f), Some("nominees"));
    assert_eq!(
        award::set_nominees(store, &root, &kommuner, y, "0180 0180\n0114", &a)
            .await
            .unwrap(),
        vec![m("0180"), m("0114")]
    );
    for (score, ok) in [("4", true), ("0", false), ("fyra", false), ("6", false)] {
        let done = award::score(store, &root, y, &m("0180"), "hme", score, "", &a).await;
        assert_eq!(done.is_ok(), ok, "{score}: {done:?}");
    }
    assert!(matches!(
        award::score(store, &anna, y, &m("0180"), "hme", "4", "", &a).await,
        Err(Refusal::Forbidden(_))
    ));
    assert!(award::jury(store, Some(&root), y).await.unwrap().is_some());
    assert!(matches!(
        award::jury(store, Some(&anna), y).await,
        Err(Refusal::NotFound(_))
    ));
    award::publish(store, &root, y, &a).await.unwrap();
    let (published, scores) = award::jury(store, None, y).await.unwrap().unwrap();
    assert!(published.published.is_some());
    assert_eq!(scores.len(), 1);
    assert_eq!(
        award::narratives(store, None, &m("0180"), y)
            .await
            .unwrap()
            .len(),
        1
    );
    // Frozen: the kommun's text too.
    assert!(
        award::save_narrative(store, &anna, &m("0180"), y, "ledarskap", "y", "", &a)
            .await
            .is_err()
    );
}
