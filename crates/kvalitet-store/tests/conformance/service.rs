//! Service measurement rounds: members, contacts, answers, figures and publishing.

use super::*;

both_backends!(service_rounds_register_contacts_compute_figures_and_publish,);

/// A national service round through the use cases: members, questions and plan; bad
/// contact files refused whole with every problem named; contacts from CSV and from a
/// tester's phone form (Swedish time across the change to summer time); survey answers; the
/// figures, their spread and warnings; publishing them as measures.
async fn service_rounds_register_contacts_compute_figures_and_publish(store: &SqlStore) {
    use kvalitet_app::ports::Actor;
    use kvalitet_app::service::{self as s, ContactFields, FigureKind, RoundForm, ServiceError};
    load_catalogue(store).await;
    let actor = Actor {
        who: "samordnare@skr.se".into(),
        at: t("2026-11-23T09:00:00Z"),
    };
    let coordinator = kvalitet_domain::Grants {
        system_admin: true,
        roles: vec![],
    };
    let admin_0180 = kvalitet_domain::Grants {
        system_admin: false,
        roles: vec![(m("0180"), kvalitet_domain::Role::Admin)],
    };
    let form = |organiser: &str| RoundForm {
        title: "Servicemätning 2025".into(),
        year: "2025".into(),
        organiser: organiser.into(),
        partly_counts: true,
        min_tests: "10".into(),
        closed_days: String::new(),
    };
    assert!(matches!(
        s::create_round(store, &admin_0180, &form(""), &actor).await,
        Err(ServiceError::Forbidden(_))
    ));
    let own = s::create_round(store, &admin_0180, &form("0180"), &actor)
        .await
        .unwrap();
    let round = s::create_round(store, &coordinator, &form(""), &actor)
        .await
        .unwrap();
    assert_ne!(own, round);
    let known: std::collections::HashSet<MunicipalityId> =
        [m("0114"), m("0180"), m("1280")].into_iter().collect();
    assert!(matches!(
        s::set_members(store, &coordinator, round, "0180, 9999", &known, &actor).await,
        Err(ServiceError::BadRows(_))
    ));
    assert!(
        matches!(
            s::set_members(store, &admin_0180, own, "0180 1280", &known, &actor).await,
            Err(ServiceError::BadRows(_))
        ),
        "a municipality's own round tests only itself"
    );
    s::set_members(store, &coordinator, round, "0180, 1280", &known, &actor)
        .await
        .unwrap();
    s::set_questions(store, &coordinator, round,
        "id;area;text\nq1;bygglov;Behöver jag bygglov för en altan?\nq2;förskola;Hur söker jag förskoleplats?\n", &actor)
        .await
        .unwrap();
    s::set_plan(store, &coordinator, round,
        "municipality_id;question_id;channel;planned_on;tester\n1280;q2;email;2025-03-28;Testare@skr.se\n", &actor)
        .await
        .unwrap();
    let err = s::set_plan(
        store,
        &coordinator,
        round,
        "municipality_id;question_id;channel;planned_on;tester\n0114;q9;fax;igår;nobody\n",
        &actor,
    )
    .await
    .unwrap_err();
    let ServiceError::BadRows(problems) = err else {
        panic!("{err:?}")
    };
    assert_eq!(problems.len(), 5, "{problems:?}");

    let header = "municipality_id,question_id,channel,tester,sent_at,answered_at,relevance,direct_answer,wait_seconds,reception,note\n";
    let bad = format!(
        "{header}\
0180,q1,email,t@skr.se,2025-03-03T09:00:00+01:00,2025-03-03T08:00:00+01:00,yes,,,,\n\
0180,q1,phone,t@skr.se,2025-03-03T09:00:00+01:00,,,yes,40,4,\n\
0180,q2,email,t@skr.se,2025-03-03T09:00:00,,,,,,\n\
0114,q2,phone,t@skr.se,2025-03-03T09:00:00+01:00,,,no,10,2,\n\
1280,q1,phone,t@skr.se,2025-03-03T10:00:00+01:00,,,yes,30,2,\n\
1280,q1,phone,t@skr.se,2025-03-04T10:00:00+01:00,,,no,30,2,\n"
    );
    let err = s::import_contacts(
        store,
        &coordinator,
        "samordnare@skr.se",
        round,
        &bad,
        &actor,
    )
    .await
    .unwrap_err();
    let ServiceError::BadRows(problems) = err else {
        panic!("{err:?}")
    };
    let expect = [
        "line 2: Answer came: the answer came before the question was sent",
        "line 3, column 10 (reception): \"4\" is outside 0–3",
        "line 4, column 5 (sent_at): \"2025-03-03T09:00:00\" has no time zone",
        "line 5, column 1 (municipality_id): 0114 is not a municipality of this round",
        "line 7: question \"q1\" to 1280 by telephone is a duplicate contact (first on line 6)",
    ];
    assert_eq!(problems.len(), expect.len(), "{problems:#?}");
    for (p, e) in problems.iter().zip(expect) {
        assert!(p.to_string().starts_with(e), "{p} / {e}");
    }
    assert!(
        store
            .service_content(round)
            .await
            .unwrap()
            .contacts
            .is_empty(),
        "nothing written"
    );

    let good = format!(
        "{header}\
0180,q1,email,t@skr.se,2025-03-03T09:00:00+01:00,2025-03-04T10:00:00+01:00,yes,,,,\n\
0180,q2,email,t@skr.se,2025-03-03T09:00:00+01:00,2025-03-06T10:00:00+01:00,yes,,,,\n\
0180,q1,phone,t@skr.se,2025-03-03T09:00:00+01:00,,,ja,1:35,3,\n\
0180,q2,phone,t@skr.se,2025-03-03T09:30:00+01:00,,,nej,20,1,\"Kopplades runt, \"\"vänta\"\"\"\n\
1280,q1,email,t@skr.se,2025-03-03T09:00:00Z,,,,,,aldrig besvarad\n\
1280,q1,phone,t@skr.se,2025-03-03T10:00:00+01:00,,,yes,30,2,\n"
    );
    assert_eq!(
        s::import_contacts(
            store,
            &coordinator,
            "samordnare@skr.se",
            round,
            &good,
            &actor
        )
        .await
        .unwrap(),
        6
    );
    // The planned tester registers by phone in Swedish time: sent Friday 28 March 16:00,
    // answered Monday 31 March 08:30, after the clocks went forward: one working day.
    let tester = kvalitet_domain::Grants::default();
    let fields = ContactFields {
        municipality: "1280".into(),
        question: "q2".into(),
        channel: "email".into(),
        sent_at: "2025-03-28T16:00".into(),
        answered_at: "2025-03-31T08:30".into(),
        relevance: "delvis".into(),
        ..ContactFields::default()
    };
    // Someone not in the plan is not told that the unpublished round exists.
    assert!(matches!(
        s::register_contact(store, &tester, "someone@else.se", round, &fields, &actor).await,
        Err(ServiceError::NotFound(_))
    ));
    s::register_contact(store, &tester, "testare@skr.se", round, &fields, &actor)
        .await
        .unwrap();
    assert!(
        matches!(
            s::register_contact(store, &tester, "testare@skr.se", round, &fields, &actor).await,
            Err(ServiceError::Invalid(_))
        ),
        "a duplicate contact"
    );
    let stored = store.service_content(round).await.unwrap();
    assert_eq!(stored.contacts.len(), 7);
    let phone = stored
        .contacts
        .iter()
        .find(|c| c.contact.question == "q2" && c.contact.municipality == m("1280"))
        .unwrap();
    assert_eq!(phone.contact.tester, "testare@skr.se");
    assert_eq!(
        phone.contact.sent_at,
        time::macros::datetime!(2025-03-28 15:00 UTC)
    );
    assert!(
        stored
            .contacts
            .iter()
            .any(|c| c.contact.note == "Kopplades runt, \"vänta\"")
    );
    // The tester corrects the contact (not a duplicate of itself), someone else may not,
    // and a removed contact can be entered again.
    let mut corrected = fields.clone();
    corrected.relevance = "ja".into();
    assert!(matches!(
        s::change_contact(
            store,
            &tester,
            "other@skr.se",
            round,
            phone.id,
            Some(&corrected),
            &actor
        )
        .await,
        Err(ServiceError::NotFound(_) | ServiceError::Forbidden(_))
    ));
    s::change_contact(
        store,
        &tester,
        "testare@skr.se",
        round,
        phone.id,
        Some(&corrected),
        &actor,
    )
    .await
    .unwrap();
    let relevance = |content: &kvalitet_app::ports::ServiceContent| {
        content
            .contacts
            .iter()
            .find(|c| c.id == phone.id)
            .and_then(|c| c.contact.relevance)
    };
    assert_eq!(
        relevance(&store.service_content(round).await.unwrap()),
        Some(kvalitet_domain::service::Relevance::Yes)
    );
    s::change_contact(
        store,
        &tester,
        "testare@skr.se",
        round,
        phone.id,
        None,
        &actor,
    )
    .await
    .unwrap();
    assert_eq!(
        store.service_content(round).await.unwrap().contacts.len(),
        6
    );
    s::register_contact(store, &tester, "testare@skr.se", round, &fields, &actor)
        .await
        .unwrap();

    s::import_survey(store, &coordinator, round,
        "municipality_id;channel;question;got_answer;1;2;3;4;5\n0180;phone;reception;ja;10;10;20;60;100\n0180;email;ease;nej;5;5;5;5;5\n0180;email;ease;ja;1;1;1;1;1\n", &actor)
        .await
        .unwrap();
    assert!(
        matches!(
            s::import_survey(
                store,
                &coordinator,
                round,
                "municipality_id;channel;question;1;2;3;4;5\n0180;phone;clarity;1;1;1;1;1\n",
                &actor
            )
            .await,
            Err(ServiceError::BadRows(_))
        ),
        "the telephone survey has no clarity question"
    );

    let r = s::round(store, round).await.unwrap();
    let res = s::results(&r, &store.service_content(round).await.unwrap());
    let fig = |muni: &str, k: FigureKind| {
        res.municipalities
            .iter()
            .find(|x| x.municipality == m(muni))
            .unwrap()
            .figures[&k]
    };
    // 0180: e-mails answered in 1 and 3 working days: 50 % within two, 50 % within one.
    assert_eq!(fig("0180", FigureKind::EmailWithinTwo).value, 50.0);
    assert_eq!(fig("0180", FigureKind::EmailWithinOne).value, 50.0);
    assert_eq!(fig("0180", FigureKind::DirectAnswer).value, 50.0);
    assert!(
        (fig("0180", FigureKind::Reception).value - 400.0 / 6.0).abs() < 1e-9,
        "3 + 1 of 6 points"
    );
    assert!((fig("0180", FigureKind::PhoneReceptionIndex).value - 78.75).abs() < 1e-9);
    assert!(
        fig("0180", FigureKind::EmailEaseIndex).unreliable,
        "5 answers"
    );
    // 1280: one e-mail never answered, one (partly relevant) in one working day.
    assert_eq!(fig("1280", FigureKind::EmailWithinOne).value, 50.0);
    assert_eq!(fig("1280", FigureKind::DirectAnswer).value, 100.0);
    assert!(fig("1280", FigureKind::DirectAnswer).unreliable, "one call");
    let direct = res.spread[&FigureKind::DirectAnswer];
    assert_eq!(
        (direct.mean, direct.min, direct.max, direct.n),
        (75.0, 50.0, 100.0, 2)
    );

    // A tested municipality's administrator does not run (nor see) the national round.
    assert!(matches!(
        s::publish(store, &admin_0180, round, &actor).await,
        Err(ServiceError::NotFound(_))
    ));
    let n = s::publish(store, &coordinator, round, &actor)
        .await
        .unwrap();
    assert_eq!(
        n, 9,
        "4 + 4 test figures and one survey index with 200 answers"
    );
    // Reopened to be corrected: back to draft with the reason; published again, anew.
    assert!(matches!(
        s::reopen_for_correction(store, &admin_0180, round, "fel", &actor).await,
        Err(ServiceError::NotFound(_) | ServiceError::Forbidden(_))
    ));
    s::reopen_for_correction(
        store,
        &coordinator,
        round,
        "Ett samtal på fel kommun.",
        &actor,
    )
    .await
    .unwrap();
    let reopened = s::round(store, round).await.unwrap();
    assert!(!reopened.published);
    assert_eq!(reopened.corrections.len(), 1);
    assert_eq!(reopened.corrections[0].reason, "Ett samtal på fel kommun.");
    assert!(
        s::reopen_for_correction(store, &coordinator, round, "igen", &actor)
            .await
            .is_err(),
        "a draft is not reopened"
    );
    assert_eq!(
        s::publish(store, &coordinator, round, &actor)
            .await
            .unwrap(),
        9
    );
    // Published figures say where they come from: not Kolada.
    assert_eq!(
        store
            .measure(&kpi("SERV-TELBEM"))
            .await
            .unwrap()
            .map(|m| m.origin),
        Some(kvalitet_domain::MeasureOrigin::Service)
    );
    let v = store
        .measure_values(&kpi("SERV-TELBEM"), Gender::Total)
        .await
        .unwrap();
    assert!((number(&v.values[0].datum) - 78.75).abs() < 1e-9);
    assert!(
        store
            .measure_values(&kpi("SERV-EPENK"), Gender::Total)
            .await
            .unwrap()
            .values
            .is_empty()
    );
    assert!(store.measure_set("servicematning").await.unwrap().is_some());
    let notes = store
        .comments(Some(&kpi("SERV-DIREKT")), &m("1280"))
        .await
        .unwrap();
    assert!(
        notes[0]
            .body
            .starts_with("Osäker siffra: den bygger på 1 test;"),
        "{notes:?}"
    );
    assert!(
        matches!(
            s::import_contacts(
                store,
                &coordinator,
                "samordnare@skr.se",
                round,
                &good,
                &actor
            )
            .await,
            Err(ServiceError::Invalid(_))
        ),
        "a published round does not change"
    );
    let actions: Vec<String> = store
        .audit_events(None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "service.create",
        "service.setup",
        "service.contacts",
        "service.survey",
        "service.publish",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} missing from {actions:?}"
        );
    }
    // A national round's contacts, survey and publishing are also in each municipality's trail.
    let own_trail: Vec<String> = store
        .audit_events(Some(&m("0180")), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in ["service.contacts", "service.survey", "service.publish"] {
        assert!(
            own_trail.iter().any(|x| x == a),
            "{a} missing from {own_trail:?}"
        );
    }
}
