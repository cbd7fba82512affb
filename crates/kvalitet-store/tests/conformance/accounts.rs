//! Accounts: people, roles, sessions, login throttling, the audit trail and the role matrix.

use super::*;

both_backends!(
    people_roles_sessions_and_their_audit_trail,
    every_role_every_action_own_and_other_municipality,
    a_session_lasts_its_hours_by_the_clock,
);

/// A login's session lasts `SESSION_HOURS` from the moment of the attempt, as the clock the
/// use cases are given tells it: valid a second before the end, gone a second after.
async fn a_session_lasts_its_hours_by_the_clock(store: &SqlStore) {
    use kvalitet_app::accounts::{self, Attempt, Hasher, SESSION_HOURS};
    use kvalitet_app::ports::{Actor, FixedClock};
    let start = t("2026-11-22T10:00:00Z");
    let actor = Actor {
        who: "cli:root".into(),
        at: start,
    };
    let hasher = Hasher::for_this_machine();
    let password = "ett långt och bra lösenord";
    accounts::add_user(
        store,
        &hasher,
        "anna@kommun.se",
        "Anna",
        password,
        false,
        &actor,
    )
    .await
    .unwrap();
    let policy = kvalitet_domain::LoginPolicy::default();
    let attempt = Attempt {
        hasher: &hasher,
        policy: &policy,
        address: std::net::Ipv4Addr::LOCALHOST.into(),
        at: start,
    };
    let new = accounts::login(store, &attempt, "anna@kommun.se", password)
        .await
        .unwrap();
    let end = start.plus(time::Duration::hours(SESSION_HOURS));
    let before = FixedClock(end.plus(time::Duration::seconds(-1)));
    let after = FixedClock(end.plus(time::Duration::seconds(1)));
    assert!(
        accounts::session(store, &before, &new.token)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        accounts::session(store, &after, &new.token)
            .await
            .unwrap()
            .is_none()
    );
}

/// The role matrix through the use cases: every role (and none, and the system
/// administrator) x every action that changes data x the person's own municipality and
/// another. Allowed actions succeed; refused ones fail with `Forbidden` and write nothing.
async fn every_role_every_action_own_and_other_municipality(store: &SqlStore) {
    use kvalitet_app::own::{self, MeasureForm, OwnError};
    use kvalitet_app::ports::Actor;
    use kvalitet_domain::{Grants, Role};
    load_catalogue(store).await;
    let actor = Actor {
        who: "test".into(),
        at: t("2026-11-22T10:00:00Z"),
    };
    let (own_m, other) = (m("0180"), m("1280"));
    let mut people: Vec<(String, Grants)> = Role::ALL
        .iter()
        .map(|r| {
            (
                r.code().to_owned(),
                Grants {
                    system_admin: false,
                    roles: vec![(own_m, *r)],
                },
            )
        })
        .collect();
    people.push(("nobody".into(), Grants::default()));
    people.push((
        "system admin".into(),
        Grants {
            system_admin: true,
            roles: vec![],
        },
    ));
    for (who, grants) in &people {
        for target in [own_m, other] {
            let tag = format!("{who} on {target}");
            let allowed = |action| grants.allows(action, &target);
            let check = |result: Result<(), OwnError>, action: kvalitet_domain::Action| match (
                result,
                allowed(action),
            ) {
                (Ok(()), true) => {}
                (Err(OwnError::Forbidden(_)), false) => {}
                (r, a) => panic!("{tag} {action:?}: allowed {a}, got {r:?}"),
            };
            let id = format!("X{target}-{}", &who[..3]);
            let form = MeasureForm {
                id: id.clone(),
                title: "t".into(),
                question: "q".into(),
                unit: String::new(),
                direction: "higher".into(),
                decimals: "0".into(),
                definition: String::new(),
            };
            let defined = own::define_measure(store, grants, &target, &form, &actor)
                .await
                .map(|_| ());
            check(defined, kvalitet_domain::Action::EditMeasures);
            // Values and comments need a measure of the target, whoever may define it.
            let measure_id = format!("X{target}-base");
            let base = MeasureForm {
                id: measure_id.clone(),
                ..form
            };
            own::define_measure(
                store,
                &Grants {
                    system_admin: true,
                    roles: vec![],
                },
                &target,
                &base,
                &actor,
            )
            .await
            .unwrap();
            let row = value(
                &measure_id,
                target.as_str(),
                2022,
                Gender::Total,
                Datum::Number(1.0),
            );
            check(
                own::save_drafts(store, grants, &target, &[row], "", &actor).await,
                kvalitet_domain::Action::EditValues,
            );
            let shown = own::drafts_version(&store.drafts(&target).await.unwrap());
            let published = own::publish(store, grants, &target, &shown, &actor).await;
            match (published, allowed(kvalitet_domain::Action::Publish)) {
                (Err(OwnError::Forbidden(_)), false) => {}
                // Allowed: publishes the drafts, or finds none left by an earlier person.
                (Ok(_), true) | (Err(OwnError::Invalid(_)), true) => {}
                (r, a) => panic!("{tag} Publish: allowed {a}, got {r:?}"),
            }
            // Removing a comment needs no value that year: what is checked here is who may.
            let measures = std::collections::HashMap::from([(
                kpi(&measure_id),
                kvalitet_domain::Measure::from_kolada(
                    kpi(&measure_id),
                    "t".into(),
                    String::new(),
                    kvalitet_domain::KoladaMeta::default(),
                ),
            )]);
            let commented = own::comment(
                store,
                grants,
                &target,
                &measures,
                &measure_id,
                "2022",
                "",
                &actor,
            )
            .await;
            check(commented, kvalitet_domain::Action::Comment);
        }
    }
    // Only the system administrator could write drafts for the other municipality, and
    // published them: refused attempts left nothing behind.
    assert!(store.drafts(&other).await.unwrap().is_empty());
}

async fn people_roles_sessions_and_their_audit_trail(store: &SqlStore) {
    use kvalitet_app::ports::{Actor, NewUser};
    use kvalitet_domain::Role;
    load_catalogue(store).await;
    let actor = Actor {
        who: "cli:root".into(),
        at: t("2026-11-22T10:00:00Z"),
    };
    let new = NewUser {
        email: "anna@kommun.se".into(),
        name: "Anna".into(),
        password_hash: "$argon2id$x".into(),
        system_admin: false,
    };
    let id = store.create_user(&new, &actor).await.unwrap();
    assert!(matches!(
        store.create_user(&new, &actor).await,
        Err(StoreError::Invalid(_))
    ));
    store
        .set_role(id, &m("0180"), Some(Role::Editor), &actor)
        .await
        .unwrap();
    store
        .set_role(id, &m("0180"), Some(Role::Admin), &actor)
        .await
        .unwrap();
    store
        .set_role(id, &m("1280"), Some(Role::Reader), &actor)
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_role(id, &m("9999"), Some(Role::Reader), &actor)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let u = store
        .user_by_email("anna@kommun.se")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.grants.role_in(&m("0180")), Some(Role::Admin));
    assert_eq!(u.grants.role_in(&m("1280")), Some(Role::Reader));
    store.set_role(id, &m("1280"), None, &actor).await.unwrap();
    assert_eq!(store.users().await.unwrap()[0].grants.roles.len(), 1);

    let events = store.audit_events(Some(&m("0180")), 10).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].before.as_deref(), Some(r#"{"role":"editor"}"#));
    assert_eq!(events[0].after.as_deref(), Some(r#"{"role":"admin"}"#));
    assert_eq!(events[0].actor, "cli:root");
    let all = store.audit_events(None, 100).await.unwrap();
    assert_eq!(all.last().unwrap().action, "user.create");
    assert!(
        all.iter()
            .all(|e| !e.after.as_deref().unwrap_or("").contains("argon2")),
        "no hash in the trail"
    );

    store
        .create_session(
            "h1",
            id,
            "csrf",
            t("2026-11-22T10:00:00Z"),
            t("2026-11-22T22:00:00Z"),
        )
        .await
        .unwrap();
    let s = store
        .session("h1", t("2026-11-22T11:00:00Z"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((s.user.id, s.csrf_token.as_str()), (id, "csrf"));
    assert!(
        store
            .session("h1", t("2026-11-23T00:00:00Z"))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(
        store
            .session("nope", t("2026-11-22T11:00:00Z"))
            .await
            .unwrap()
            .is_none()
    );

    // Login attempts: counted per key within a window, all keys or none, atomically.
    let limits = |limit: u32| {
        vec![
            AttemptLimit {
                key: "account+address:anna@kommun.se|192.0.2.7".into(),
                limit,
            },
            AttemptLimit {
                key: "address:192.0.2.7".into(),
                limit: 100,
            },
        ]
    };
    let (now, expired) = (t("2026-11-22T10:00:00Z"), t("2026-11-22T09:45:00Z"));
    for _ in 0..3 {
        assert_eq!(
            store
                .reserve_attempt(&limits(3), now, expired)
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(
        store
            .reserve_attempt(
                &limits(3),
                t("2026-11-22T10:05:00Z"),
                t("2026-11-22T09:50:00Z")
            )
            .await
            .unwrap(),
        Some(now),
        "the fourth is held back until the window that began at the first ends"
    );
    // A success takes its count back; a window that is over starts again.
    store
        .release_attempt(&["account+address:anna@kommun.se|192.0.2.7".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        store
            .reserve_attempt(&limits(3), now, expired)
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .reserve_attempt(&limits(3), now, expired)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .reserve_attempt(
                &limits(3),
                t("2026-11-22T10:16:00Z"),
                t("2026-11-22T10:01:00Z")
            )
            .await
            .unwrap(),
        None
    );
    // Held-back attempts count nothing, on any of their keys.
    let pair = AttemptLimit {
        key: "account+address:x@y.se|198.51.100.1".into(),
        limit: 1,
    };
    let address = |limit| AttemptLimit {
        key: "address:198.51.100.1".into(),
        limit,
    };
    let both = [pair, address(10)];
    assert_eq!(
        store.reserve_attempt(&both, now, expired).await.unwrap(),
        None
    );
    assert!(
        store
            .reserve_attempt(&both, now, expired)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .reserve_attempt(&[address(2)], now, expired)
            .await
            .unwrap(),
        None,
        "1 + 1"
    );
    assert!(
        store
            .reserve_attempt(&[address(2)], now, expired)
            .await
            .unwrap()
            .is_some()
    );
    // The probe's race: 100 attempts at once against a limit of 5 let exactly 5 through.
    let attempts: Vec<_> = (0..100)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let l = [AttemptLimit {
                    key: "account:bo@kommun.se".into(),
                    limit: 5,
                }];
                store
                    .reserve_attempt(&l, t("2026-11-22T10:00:00Z"), t("2026-11-22T09:45:00Z"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut passed = 0;
    for a in attempts {
        if a.await.unwrap().is_none() {
            passed += 1;
        }
    }
    assert_eq!(passed, 5);
    store.set_password(id, "$argon2id$y", &actor).await.unwrap();
    let reset = store
        .user_by_email("anna@kommun.se")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reset.password_hash, "$argon2id$y");
    assert!(
        store
            .session("h1", t("2026-11-22T11:00:00Z"))
            .await
            .unwrap()
            .is_none(),
        "a new password ends sessions"
    );
    store.delete_session("h1").await.unwrap();
}
