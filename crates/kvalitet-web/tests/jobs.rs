//! The background jobs page over HTTP: system administrators see the schedules with their
//! next run and the latest jobs, and queue one (a mistake sent back beside its field);
//! anyone else is refused.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use kvalitet_app::jobs::Schedule;
use kvalitet_app::ports::FixedClock;
use kvalitet_domain::{Role, Timestamp};
use kvalitet_testkit::{Seed, TestApp};

async fn server() -> TestApp {
    let options = kvalitet_web::SiteOptions {
        clock: Arc::new(FixedClock(
            Timestamp::parse("2026-12-04T10:00:00Z").unwrap(),
        )),
        schedules: vec![
            Schedule::parse(
                "nattlig-sync",
                "sync",
                "0 3 * * *",
                vec!["--set".into(), "kkik".into()],
            )
            .unwrap(),
        ],
        ..kvalitet_web::SiteOptions::default()
    };
    Seed::default()
        .kommun("0180", "Stockholm")
        .person(
            "admin@stockholm.se",
            "Kommunens Admin",
            &[("0180", Role::Admin)],
        )
        .system_admin("drift@skr.se", "Drift")
        .options(options)
        .start()
        .await
}

#[tokio::test]
async fn system_administrators_see_the_schedules_and_queue_a_job() {
    let app = server().await;
    let mut admin = app.logged_in("admin@stockholm.se").await;
    assert_eq!(admin.get("/admin/jobb").await.status, 403);
    assert_eq!(
        admin
            .post("/admin/jobb", &[("kind", "upkeep"), ("args", "")])
            .await
            .status,
        403,
        "a municipality's administrator may not queue jobs"
    );
    let mut ops = app.logged_in("drift@skr.se").await;
    let page = ops.get("/admin/jobb").await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The schedule with its next run in Swedish time: 03:00 on 5 December.
    assert!(page.body.contains("nattlig-sync"), "{}", page.body);
    assert!(page.body.contains("2026-12-05 03:00"), "{}", page.body);
    assert!(page.body.contains("Inga jobb ännu."));
    let bad = ops
        .post("/admin/jobb", &[("kind", "rensa"), ("args", "--set\nkkik")])
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains(r#"id="j-kind-error""#), "{}", bad.body);
    assert!(
        bad.body.contains("--set\nkkik"),
        "what was typed is kept: {}",
        bad.body
    );
    let queued = ops
        .post(
            "/admin/jobb",
            &[("kind", "sync"), ("args", "--set\nkkik\n")],
        )
        .await;
    assert_eq!(queued.status, 303, "{}", queued.body);
    let page = ops.get("/admin/jobb?klart=jobb").await;
    assert!(page.body.contains("Jobbet ligger i kön."), "{}", page.body);
    assert!(
        page.body.contains("<code>--set kkik</code>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("I kö till"), "{}", page.body);
    let en = ops.get("/en/admin/jobb").await;
    assert!(
        en.body.contains("Background jobs") && en.body.contains("Queued for"),
        "{}",
        en.body
    );
}
