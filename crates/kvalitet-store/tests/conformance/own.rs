//! Own data: the municipality's own measures, drafts, publishing and comments.

use super::*;

both_backends!(
    own_measures_drafts_publishing_and_comments,
    publishing_takes_exactly_the_drafts_shown,
    a_measure_keeps_its_owner,
    an_introduction_keeps_every_version,
);

/// Each save of the introduction is a new version; the newest first, withdrawing is a version
/// too, every save is audited and changes the data version (but not the values version).
async fn an_introduction_keeps_every_version(store: &SqlStore) {
    use kvalitet_app::ports::Actor;
    load_catalogue(store).await;
    let at = |time: &str| Actor {
        who: "anna@kommun.se".into(),
        at: t(time),
    };
    assert!(store.introductions(&m("0180")).await.unwrap().is_empty());
    let before = store.versions().await.unwrap();
    store
        .set_introduction(&m("0180"), "Vi är stolta.", "", &at("2026-11-22T10:00:00Z"))
        .await
        .unwrap();
    let after = store.versions().await.unwrap();
    assert!(after.data > before.data);
    assert_eq!(after.values, before.values, "a text changes no value");
    store
        .set_introduction(
            &m("0180"),
            "Vi är stolta över skolan.",
            "We are proud of the school.",
            &at("2026-11-23T10:00:00Z"),
        )
        .await
        .unwrap();
    store
        .set_introduction(&m("0180"), "", "", &at("2026-11-24T10:00:00Z"))
        .await
        .unwrap();
    let versions = store.introductions(&m("0180")).await.unwrap();
    let bodies: Vec<(&str, &str)> = versions
        .iter()
        .map(|v| (v.body.as_str(), v.body_en.as_str()))
        .collect();
    assert_eq!(
        bodies,
        [
            ("", ""),
            ("Vi är stolta över skolan.", "We are proud of the school."),
            ("Vi är stolta.", "")
        ]
    );
    assert_eq!(versions[2].written_at, t("2026-11-22T10:00:00Z"));
    assert!(store.introductions(&m("1480")).await.unwrap().is_empty());
    let trail = store.audit_events(Some(&m("0180")), 10).await.unwrap();
    assert_eq!(
        trail
            .iter()
            .filter(|e| e.action == "introduction.set")
            .count(),
        3
    );
}

/// The probe's race: values B uploaded while an administrator publishes A were neither
/// published nor kept, and three simultaneous publishes wrote three audit events. Publishing
/// takes exactly the drafts it showed, or nothing.
async fn publishing_takes_exactly_the_drafts_shown(store: &SqlStore) {
    use kvalitet_app::own::{self, MeasureForm, OwnError};
    use kvalitet_app::ports::Actor;
    use kvalitet_domain::Grants;
    load_catalogue(store).await;
    let admin = Grants {
        system_admin: false,
        roles: vec![(m("0180"), kvalitet_domain::Role::Admin)],
    };
    let actor = |who: &str| Actor {
        who: who.into(),
        at: t("2026-11-22T10:00:00Z"),
    };
    let form = MeasureForm {
        id: "lopp".into(),
        title: "Eget".into(),
        question: "Hur?".into(),
        unit: String::new(),
        direction: "higher".into(),
        decimals: "1".into(),
        definition: String::new(),
    };
    let id = own::define_measure(store, &admin, &m("0180"), &form, &actor("anna@kommun.se"))
        .await
        .unwrap();
    assert_eq!(
        id.as_str(),
        "X0180-lopp",
        "own ids live in the municipality's namespace"
    );
    let row = |y: i64, x: f64| value(id.as_str(), "0180", y, Gender::Total, Datum::Number(x));
    own::save_drafts(
        store,
        &admin,
        &m("0180"),
        &[row(2021, 1.0), row(2022, 2.0)],
        "",
        &actor("anna@kommun.se"),
    )
    .await
    .unwrap();
    let shown = own::drafts_version(&store.drafts(&m("0180")).await.unwrap());
    // B arrives between the page and the click, changing one of the drafts shown.
    own::save_drafts(
        store,
        &admin,
        &m("0180"),
        &[row(2022, 3.0)],
        "",
        &actor("bo@kommun.se"),
    )
    .await
    .unwrap();
    let raced = own::publish(store, &admin, &m("0180"), &shown, &actor("anna@kommun.se")).await;
    assert!(matches!(raced, Err(OwnError::Conflict(_))), "{raced:?}");
    let kept = store.drafts(&m("0180")).await.unwrap();
    assert_eq!(kept.len(), 2, "B is kept as a draft, A not lost");
    assert!(kept.iter().any(|d| d.row.datum == Datum::Number(3.0)));
    assert!(
        all_values(store, ValueFilter::default())
            .await
            .iter()
            .all(|v| v.key.measure != id),
        "nothing was published"
    );

    // The store refuses drafts that changed after they were read, whatever the caller checked.
    let read = store.drafts(&m("0180")).await.unwrap();
    own::save_drafts(
        store,
        &admin,
        &m("0180"),
        &[row(2021, 5.0)],
        "",
        &actor("bo@kommun.se"),
    )
    .await
    .unwrap();
    let stale = store
        .apply(
            &source(),
            ChangeSet {
                drafts_taken: read,
                values: vec![row(2021, 1.0), row(2022, 3.0)],
                ..ChangeSet::default()
            },
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    assert_eq!(store.drafts(&m("0180")).await.unwrap().len(), 2);

    // Three administrators press "Publicera" on the same page at once: one publishes.
    let shown = own::drafts_version(&store.drafts(&m("0180")).await.unwrap());
    let publishers = ["anna@kommun.se", "bo@kommun.se", "cia@kommun.se"].map(|who| {
        let (store, admin, shown) = (store.clone(), admin.clone(), shown.clone());
        tokio::spawn(
            async move { own::publish(&store, &admin, &m("0180"), &shown, &actor(who)).await },
        )
    });
    let mut published = 0;
    for p in publishers {
        match p.await.unwrap() {
            Ok(_) => published += 1,
            Err(OwnError::Conflict(_) | OwnError::Invalid(_)) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(published, 1);
    let trail = store.audit_events(Some(&m("0180")), 100).await.unwrap();
    assert_eq!(
        trail
            .iter()
            .filter(|e| e.action == "values.publish")
            .count(),
        1,
        "one audit event for one change"
    );
    assert!(store.drafts(&m("0180")).await.unwrap().is_empty());

    // A new draft under a published key carries the published value beside it; one draft
    // is taken back alone, audited, and taking it back twice is "not found".
    own::save_drafts(
        store,
        &admin,
        &m("0180"),
        &[row(2022, 4.0), row(2023, 5.0)],
        "  Fel i underlaget.  ",
        &actor("bo@kommun.se"),
    )
    .await
    .unwrap();
    let drafts = store.drafts(&m("0180")).await.unwrap();
    assert_eq!(
        drafts.iter().map(|d| d.published).collect::<Vec<_>>(),
        [Some(Datum::Number(3.0)), None]
    );
    assert_eq!(drafts[0].reason.as_deref(), Some("Fel i underlaget."));
    let check = own::publish_check(&drafts);
    assert_eq!(
        check.warnings.len(),
        1,
        "a replacement, with its reason: {check:?}"
    );
    assert!(
        check
            .public
            .iter()
            .any(|p| p.code == "public_correction_reason")
    );
    let key = row(2022, 4.0).key;
    own::remove_draft(store, &admin, &m("0180"), &key, &actor("bo@kommun.se"))
        .await
        .unwrap();
    assert_eq!(store.drafts(&m("0180")).await.unwrap().len(), 1);
    assert!(matches!(
        own::remove_draft(store, &admin, &m("0180"), &key, &actor("bo@kommun.se")).await,
        Err(own::OwnError::NotFound(_))
    ));
    let removed = store.audit_events(Some(&m("0180")), 100).await.unwrap();
    assert_eq!(
        removed
            .iter()
            .filter(|e| e.action == "values.draft_remove")
            .count(),
        1
    );

    // Retiring: only the owner's own measure, kept in the catalogue with the flag set.
    assert!(matches!(
        own::set_retired(
            store,
            &admin,
            &m("0180"),
            "N00001",
            true,
            &actor("anna@kommun.se")
        )
        .await,
        Err(own::OwnError::NotFound(_))
    ));
    own::set_retired(
        store,
        &admin,
        &m("0180"),
        id.as_str(),
        true,
        &actor("anna@kommun.se"),
    )
    .await
    .unwrap();
    let retired = || async {
        kvalitet_app::ports::Catalogue::measure(store, &id)
            .await
            .unwrap()
            .map(|x| x.retired)
    };
    assert_eq!(retired().await, Some(true));
    own::set_retired(
        store,
        &admin,
        &m("0180"),
        id.as_str(),
        false,
        &actor("anna@kommun.se"),
    )
    .await
    .unwrap();
    assert_eq!(retired().await, Some(false));
}

/// The probe's claim: an own measure `KK2020` made before Kommunkompassen was published let
/// Stockholm's title and values stand in Göteborg's results. Own ids now live in the
/// owner's namespace, and the store refuses any write that would change a measure's owner.
async fn a_measure_keeps_its_owner(store: &SqlStore) {
    load_catalogue(store).await;
    // A measure that some municipality owns (as one defined before the namespace rule).
    let claimed = Measure::from_kolada(
        kpi("KK2020"),
        "Stockholms eget".into(),
        String::new(),
        KoladaMeta::default(),
    )
    .owned_by(m("0180"));
    let mut batch = CatalogueBatch {
        catalogue_year: Some(year(2026)),
        ..CatalogueBatch::default()
    };
    batch.measures = vec![claimed];
    import(
        store,
        vec![ImportChunk::Catalogue(Box::new(batch)), ImportChunk::Commit],
    )
    .await
    .unwrap();
    // Publishing a national round's results into it is refused, with nothing written.
    let national = Measure::from_kolada(
        kpi("KK2020"),
        "Kommunkompassen, totalt".into(),
        String::new(),
        KoladaMeta::default(),
    );
    let mut batch = CatalogueBatch {
        catalogue_year: Some(year(2026)),
        ..CatalogueBatch::default()
    };
    batch.measures = vec![national.clone()];
    let refused = import(
        store,
        vec![
            ImportChunk::Catalogue(Box::new(batch.clone())),
            ImportChunk::Values(vec![value(
                "KK2020",
                "1280",
                2026,
                Gender::Total,
                Datum::Number(61.0),
            )]),
            ImportChunk::Commit,
        ],
    )
    .await;
    let e = refused.unwrap_err().to_string();
    assert!(
        e.contains("KK2020 is held as municipality 0180's own; it cannot be written as kolada"),
        "{e}"
    );
    let stored = store.measure(&kpi("KK2020")).await.unwrap().unwrap();
    assert_eq!(stored.title, "Stockholms eget");
    assert!(
        all_values(store, ValueFilter::default())
            .await
            .iter()
            .all(|v| v.key.measure != kpi("KK2020")),
        "no value was written into another's measure"
    );
    // Nor may a national measure become a municipality's own.
    let mut batch = CatalogueBatch {
        catalogue_year: Some(year(2026)),
        ..CatalogueBatch::default()
    };
    batch.measures = vec![
        Measure::from_kolada(
            kpi("N15428"),
            "Tagen".into(),
            String::new(),
            KoladaMeta::default(),
        )
        .owned_by(m("1280")),
    ];
    let e = import(
        store,
        vec![ImportChunk::Catalogue(Box::new(batch)), ImportChunk::Commit],
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("N15428 is held as kolada (no municipality's)"),
        "{e}"
    );
}

async fn own_measures_drafts_publishing_and_comments(store: &SqlStore) {
    use kvalitet_app::ports::{Actor, AuditRecord};
    load_catalogue(store).await;
    let actor = Actor {
        who: "anna@kommun.se".into(),
        at: t("2026-11-22T10:00:00Z"),
    };
    let measure = Measure::from_kolada(
        kpi("X0180-1"),
        "Eget, andel (%)".into(),
        "Egen enkät.".into(),
        KoladaMeta::default(),
    )
    .owned_by(m("0180"));
    let profile = MeasureProfile {
        measure: kpi("X0180-1"),
        question: "Hur nöjda?".into(),
        question_en: None,
        unit: Some("procent".into()),
        unit_en: None,
        direction: Direction::HigherIsBetter,
        decimals: 1,
    };
    store
        .define_own_measure(&measure, &profile, &actor)
        .await
        .unwrap();
    let stored = store.measure(&kpi("X0180-1")).await.unwrap().unwrap();
    assert_eq!(
        stored.origin,
        kvalitet_domain::MeasureOrigin::Own(m("0180"))
    );
    assert_eq!(stored.direction, Direction::HigherIsBetter);
    let theirs = measure.clone().owned_by(m("1280"));
    assert!(
        store
            .define_own_measure(&theirs, &profile, &actor)
            .await
            .is_err(),
        "another's measure"
    );

    // More rows than one statement holds, to cover the batching.
    let rows: Vec<ValueRow> = (0..1200)
        .map(|i| {
            value(
                "X0180-1",
                "0180",
                1950 + (i / 3) % 150,
                [Gender::Total, Gender::Women, Gender::Men][(i % 3) as usize],
                Datum::Number(i as f64),
            )
        })
        .collect();
    let mut unique = rows.clone();
    unique.sort_by_key(|r| (r.key.year, r.key.gender));
    unique.dedup_by_key(|r| (r.key.year, r.key.gender));
    store
        .save_drafts(&m("0180"), &unique, None, &actor)
        .await
        .unwrap();
    assert_eq!(store.drafts(&m("0180")).await.unwrap().len(), unique.len());
    let wrong = vec![value(
        "X0180-1",
        "1280",
        2022,
        Gender::Total,
        Datum::Number(1.0),
    )];
    assert!(
        store
            .save_drafts(&m("0180"), &wrong, None, &actor)
            .await
            .is_err(),
        "a draft for another municipality"
    );
    assert_eq!(
        store.drafts(&m("0180")).await.unwrap().len(),
        unique.len(),
        "nothing half-written"
    );

    let drafts = store.drafts(&m("0180")).await.unwrap();
    let before_publishing = store.versions().await.unwrap();
    let counts = store
        .apply(
            &source(),
            ChangeSet {
                values: drafts.iter().map(|d| d.row).collect(),
                drafts_taken: drafts.clone(),
                audit: vec![AuditRecord {
                    actor: actor.clone(),
                    municipality: Some(m("0180")),
                    action: kvalitet_domain::audit::AuditAction::ValuesPublish,
                    object: "municipality:0180".into(),
                    before: None,
                    after: None,
                }],
                ..ChangeSet::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(counts.inserted as usize, unique.len());
    let published = store.versions().await.unwrap();
    assert!(
        published.data > before_publishing.data && published.values > before_publishing.values,
        "published values move both versions: {before_publishing:?} -> {published:?}"
    );
    assert!(store.drafts(&m("0180")).await.unwrap().is_empty());
    let trail = store.audit_events(Some(&m("0180")), 10).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["values.publish", "values.draft", "measure.define"]
    );

    let before = store.versions().await.unwrap();
    store
        .set_comment(
            &kpi("X0180-1"),
            &m("0180"),
            year(2022),
            Some("Bra år."),
            &actor,
        )
        .await
        .unwrap();
    let commented = store.versions().await.unwrap();
    assert!(
        commented.data > before.data,
        "a comment is a visible change"
    );
    assert_eq!(
        commented.values, before.values,
        "a comment changes no value: the values need not be loaded again"
    );
    store
        .set_comment(
            &kpi("X0180-1"),
            &m("0180"),
            year(2021),
            Some("Sämre år."),
            &actor,
        )
        .await
        .unwrap();
    let comments = store
        .comments(Some(&kpi("X0180-1")), &m("0180"))
        .await
        .unwrap();
    let all = store.comments(None, &m("0180")).await.unwrap();
    assert_eq!(all, comments, "one measure commented: all comments are its");
    assert!(store.comments(None, &m("1480")).await.unwrap().is_empty());
    assert_eq!(
        (comments.len(), comments[0].year, comments[0].body.as_str()),
        (2, 2022, "Bra år.")
    );
    store
        .set_comment(&kpi("X0180-1"), &m("0180"), year(2021), None, &actor)
        .await
        .unwrap();
    assert_eq!(
        store
            .comments(Some(&kpi("X0180-1")), &m("0180"))
            .await
            .unwrap()
            .len(),
        1
    );
}
