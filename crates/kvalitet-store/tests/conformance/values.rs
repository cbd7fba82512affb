//! Catalogue and values: the import stream, revisions, deletions, texts per year, measure sets, export and the overview.

use super::*;

both_backends!(
    catalogue_round_trips_and_reimport_changes_nothing,
    measure_texts_are_kept_per_year,
    values_are_inserted_updated_or_left_alone_with_revisions_kept,
    deletions_leave_the_value_in_the_history,
    an_import_without_commit_writes_nothing,
    missing_statuses_and_group_counts_round_trip,
    export_filters_and_orders_values,
    measure_sets_round_trip,
    overview_counts_what_is_loaded,
    measure_values_all_values_and_shapes_read_back,
    many_measures_are_read_in_one_query_each_way,
    a_first_import_into_an_empty_table_counts_like_a_merge,
);

/// The first import (on PostgreSQL copied straight into the empty table) counts and keeps
/// history as a merge does: a deletion of what was never there is unchanged, and the next
/// import merges.
async fn a_first_import_into_an_empty_table_counts_like_a_merge(store: &SqlStore) {
    load_catalogue(store).await;
    let a = value("N15428", "0180", 2022, Gender::Total, Datum::Number(1.5));
    let b = value("N15428", "1280", 2022, Gender::Total, Datum::Number(2.5));
    let never_there = value("N15428", "0114", 2022, Gender::Total, Datum::Deleted);
    let first = import(
        store,
        vec![
            ImportChunk::Values(vec![a, never_there]),
            ImportChunk::Values(vec![b]),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        first,
        WriteCounts {
            inserted: 2,
            unchanged: 1,
            ..WriteCounts::default()
        }
    );
    assert_eq!(all_values(store, ValueFilter::default()).await, vec![a, b]);
    assert_eq!(store.value_history(&a.key).await.unwrap().len(), 1);
    let mut changed = b;
    changed.datum = Datum::Number(3.0);
    let second = import(
        store,
        vec![ImportChunk::Values(vec![a, changed]), ImportChunk::Commit],
    )
    .await
    .unwrap();
    assert_eq!(
        second,
        WriteCounts {
            updated: 1,
            unchanged: 1,
            ..WriteCounts::default()
        }
    );
    assert_eq!(store.value_history(&b.key).await.unwrap().len(), 2);
}

/// A goal plan's values: `select_values` (rows) and `numbers_by_measure_year` (one list per
/// measure, gender and year, missing values left out, numbers exact).
async fn many_measures_are_read_in_one_query_each_way(store: &SqlStore) {
    load_catalogue(store).await;
    import(
        store,
        vec![
            ImportChunk::Values(vec![
                value("N15428", "0180", 2022, Gender::Total, Datum::Number(88.5)),
                value(
                    "N15428",
                    "1480",
                    2022,
                    Gender::Total,
                    Datum::Number(0.1 + 0.2),
                ),
                value(
                    "N15428",
                    "0114",
                    2022,
                    Gender::Total,
                    Datum::Missing(MissingStatus::Secret),
                ),
                value("N15428", "0180", 2021, Gender::Total, Datum::Number(87.0)),
                value("N15428", "0180", 2022, Gender::Women, Datum::Number(90.0)),
                value(
                    "N00003",
                    "0180",
                    2022,
                    Gender::Total,
                    Datum::Number(-1234567.25),
                ),
            ]),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    let filter = kvalitet_app::ports::ValueFilter {
        measures: vec![kpi("N15428"), kpi("N00003")],
        areas: Vec::new(),
        years: vec![kvalitet_domain::Year::new(2022).unwrap()],
        genders: vec![Gender::Total],
        changed_since: None,
    };
    let mut lists = store.numbers_by_measure_year(&filter).await.unwrap();
    lists.sort_by_key(|l| l.measure);
    let said: Vec<(String, Vec<(String, f64)>)> = lists
        .into_iter()
        .map(|l| {
            let mut numbers: Vec<(String, f64)> =
                l.numbers.iter().map(|(a, v)| (a.to_string(), *v)).collect();
            numbers.sort_by(|a, b| a.0.cmp(&b.0));
            (l.measure.to_string(), numbers)
        })
        .collect();
    assert_eq!(
        said,
        vec![
            ("N00003".to_owned(), vec![("0180".to_owned(), -1234567.25)]),
            (
                "N15428".to_owned(),
                vec![("0180".to_owned(), 88.5), ("1480".to_owned(), 0.1 + 0.2)]
            ),
        ]
    );
    let rows = store.select_values(&filter).await.unwrap();
    assert_eq!(rows.len(), 4, "the secret value is a row too: {rows:?}");
}

async fn measure_values_all_values_and_shapes_read_back(store: &SqlStore) {
    load_catalogue(store).await;
    import(
        store,
        vec![
            ImportChunk::Values(vec![
                value("N15428", "0180", 2022, Gender::Total, Datum::Number(88.5)),
                value("N15428", "0180", 2022, Gender::Women, Datum::Number(90.0)),
                value(
                    "N15428",
                    "1480",
                    2021,
                    Gender::Total,
                    Datum::Missing(MissingStatus::Secret),
                ),
                value("N00003", "0180", 2022, Gender::Total, Datum::Number(1.0)),
            ]),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    let total = store
        .measure_values(&kpi("N15428"), Gender::Total)
        .await
        .unwrap();
    let mut got: Vec<_> = total
        .values
        .iter()
        .map(|v| (v.area.to_string(), v.year.get(), v.datum))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        vec![
            ("0180".to_owned(), 2022, Datum::Number(88.5)),
            (
                "1480".to_owned(),
                2021,
                Datum::Missing(MissingStatus::Secret)
            ),
        ]
    );
    assert!(total.updated_at.is_some_and(|u| u.date().year() >= 2020));
    let women = store
        .measure_values(&kpi("N15428"), Gender::Women)
        .await
        .unwrap();
    assert_eq!(women.values.len(), 1);

    let (tx, mut rx) = mpsc::channel(4);
    let n = store.all_values(tx).await.unwrap();
    let mut rows = Vec::new();
    while let Some(chunk) = rx.recv().await {
        rows.extend(chunk);
    }
    assert_eq!(n, 4);
    // Key order as the database sorts text: measure, area, year, then the gender letter.
    let keys: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.key.measure.to_string(),
                r.key.area.to_string(),
                r.key.year,
                r.key.gender.code(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "in key order");

    assert_eq!(
        store.shapes().await.unwrap(),
        vec![(m("0180"), "M0 0L1 1Z".to_owned())]
    );
}

async fn catalogue_round_trips_and_reimport_changes_nothing(store: &SqlStore) {
    let first = import(
        store,
        vec![
            ImportChunk::Catalogue(Box::new(catalogue())),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    assert_eq!(first.inserted, 1 + 5 + 1 + 1 + 2 + 1); // county, municipalities, group, neighbours, measures, shape
    let again = import(
        store,
        vec![
            ImportChunk::Catalogue(Box::new(catalogue())),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        again,
        WriteCounts {
            unchanged: 11,
            ..WriteCounts::default()
        }
    );

    let municipalities = store.municipalities().await.unwrap();
    assert_eq!(municipalities.len(), 5);
    assert_eq!(municipalities[0].id.as_str(), "0000");
    assert_eq!(municipalities[0].kind, MunicipalityKind::Riket);
    assert_eq!(municipalities[1].county_code.as_deref(), Some("01"));
    let groups = store.groups().await.unwrap();
    assert_eq!(groups[0].members, vec![m("0180"), m("1280")]);
    assert_eq!(groups[0].kind, GroupKind::SkrKommungrupp);
    assert_eq!(
        store.neighbours().await.unwrap()[&m("0114")],
        vec![m("0180")]
    );
    assert_eq!(store.counties().await.unwrap()[0].name, "Stockholms län");
    let measure = store.measure(&kpi("N15428")).await.unwrap().unwrap();
    assert!(measure.kolada.is_divided_by_gender);
    assert_eq!(measure.unit.as_deref(), Some("andel (%)"));
    assert!(store.measure(&kpi("N99999")).await.unwrap().is_none());

    let mut changed = catalogue();
    changed.groups[0].members.pop();
    changed.municipalities[4].title = "Malmö stad".into();
    let third = import(
        store,
        vec![
            ImportChunk::Catalogue(Box::new(changed)),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    assert_eq!(third.updated, 2);
    assert_eq!(store.groups().await.unwrap()[0].members, vec![m("0180")]);
}

async fn measure_texts_are_kept_per_year(store: &SqlStore) {
    load_catalogue(store).await;
    let mut old = catalogue();
    old.catalogue_year = Some(year(2020));
    old.measures[1].title = "Personalkostnader (gammal definition), kr/inv".into();
    import(
        store,
        vec![ImportChunk::Catalogue(Box::new(old)), ImportChunk::Commit],
    )
    .await
    .unwrap();

    let id = kpi("N00003");
    // The main row follows the newest catalogue, even when an older one is imported later.
    assert_eq!(
        store.measure(&id).await.unwrap().unwrap().title,
        "Personalkostnader, kr/inv"
    );
    assert_eq!(
        store
            .measure_text(&id, year(2019))
            .await
            .unwrap()
            .unwrap()
            .year,
        2020
    );
    assert_eq!(
        store
            .measure_text(&id, year(2022))
            .await
            .unwrap()
            .unwrap()
            .title,
        "Personalkostnader (gammal definition), kr/inv"
    );
    assert_eq!(
        store
            .measure_text(&id, year(2026))
            .await
            .unwrap()
            .unwrap()
            .title,
        "Personalkostnader, kr/inv"
    );
    assert_eq!(
        store
            .measure_text(&id, year(2030))
            .await
            .unwrap()
            .unwrap()
            .year,
        2026
    );
    assert_eq!(store.measure_count(Some(year(2026))).await.unwrap(), 2);
    assert_eq!(store.measure_count(None).await.unwrap(), 2);
}

async fn values_are_inserted_updated_or_left_alone_with_revisions_kept(store: &SqlStore) {
    load_catalogue(store).await;
    let rows = vec![
        value("N15428", "0180", 2022, Gender::Total, Datum::Number(85.31)),
        value("N15428", "0180", 2022, Gender::Women, Datum::Number(86.09)),
        value("N15428", "1280", 2022, Gender::Total, Datum::Number(80.0)),
    ];
    let first = import(
        store,
        vec![ImportChunk::Values(rows.clone()), ImportChunk::Commit],
    )
    .await
    .unwrap();
    assert_eq!(
        first,
        WriteCounts {
            inserted: 3,
            ..WriteCounts::default()
        }
    );
    let same = import(
        store,
        vec![ImportChunk::Values(rows.clone()), ImportChunk::Commit],
    )
    .await
    .unwrap();
    assert_eq!(
        same,
        WriteCounts {
            unchanged: 3,
            ..WriteCounts::default()
        }
    );

    let mut changed = rows.clone();
    changed[2].datum = Datum::Number(81.5);
    let third = import(
        store,
        vec![ImportChunk::Values(changed), ImportChunk::Commit],
    )
    .await
    .unwrap();
    assert_eq!(
        third,
        WriteCounts {
            updated: 1,
            unchanged: 2,
            ..WriteCounts::default()
        }
    );

    let history = store.value_history(&rows[2].key).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].datum, Datum::Number(81.5));
    assert_eq!(history[0].imported_at, imported_at());
    assert!(history[0].replaced_at.is_none());
    assert_eq!(history[1].datum, Datum::Number(80.0));
    assert!(history[1].replaced_at.is_some());
    assert_eq!(store.value_history(&rows[0].key).await.unwrap().len(), 1);
}

async fn deletions_leave_the_value_in_the_history(store: &SqlStore) {
    load_catalogue(store).await;
    let kept = value("N15428", "0180", 2021, Gender::Total, Datum::Number(1.0));
    let gone = value("N15428", "0180", 2022, Gender::Total, Datum::Number(2.0));
    import(
        store,
        vec![ImportChunk::Values(vec![kept, gone]), ImportChunk::Commit],
    )
    .await
    .unwrap();
    let mut deletion = gone;
    deletion.datum = Datum::Deleted;
    let never_there = value("N15428", "1280", 2022, Gender::Total, Datum::Deleted);
    let counts = import(
        store,
        vec![
            ImportChunk::Values(vec![deletion, never_there]),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        counts,
        WriteCounts {
            deleted: 1,
            unchanged: 1,
            ..WriteCounts::default()
        }
    );
    assert_eq!(all_values(store, ValueFilter::default()).await, vec![kept]);
    let history = store.value_history(&gone.key).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].datum, Datum::Number(2.0));
    assert!(history[0].replaced_at.is_some());
}

async fn an_import_without_commit_writes_nothing(store: &SqlStore) {
    let rows = vec![value(
        "N15428",
        "0180",
        2022,
        Gender::Total,
        Datum::Number(1.0),
    )];
    let result = import(
        store,
        vec![
            ImportChunk::Catalogue(Box::new(catalogue())),
            ImportChunk::Values(rows),
        ],
    )
    .await;
    assert!(matches!(result, Err(StoreError::Aborted)), "{result:?}");
    let overview = store.overview().await.unwrap();
    assert_eq!(
        (overview.values, overview.measures, overview.kommuner),
        (0, 0, 0)
    );
    assert!(overview.recent_imports.is_empty());
}

async fn missing_statuses_and_group_counts_round_trip(store: &SqlStore) {
    load_catalogue(store).await;
    let mut rows: Vec<ValueRow> = MissingStatus::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| {
            value(
                "N00003",
                "0180",
                2010 + i as i64,
                Gender::Total,
                Datum::Missing(*s),
            )
        })
        .collect();
    let mut group = value("N00003", "G92787", 2010, Gender::Total, Datum::Number(-0.5));
    group.count = Some(2);
    rows.push(group);
    import(
        store,
        vec![ImportChunk::Values(rows.clone()), ImportChunk::Commit],
    )
    .await
    .unwrap();
    let mut back = all_values(store, ValueFilter::default()).await;
    back.sort_by_key(|r| (r.key.area, r.key.year));
    rows.sort_by_key(|r| (r.key.area, r.key.year));
    assert_eq!(back, rows);
}

async fn export_filters_and_orders_values(store: &SqlStore) {
    load_catalogue(store).await;
    let mut rows = Vec::new();
    for measure in ["N15428", "N00003"] {
        for area in ["1280", "0180", "G92787"] {
            for y in [2021, 2022] {
                for g in Gender::ALL {
                    rows.push(value(measure, area, y, g, Datum::Number(y as f64)));
                }
            }
        }
    }
    import(
        store,
        vec![ImportChunk::Values(rows.clone()), ImportChunk::Commit],
    )
    .await
    .unwrap();
    let everything = all_values(store, ValueFilter::default()).await;
    assert_eq!(everything.len(), rows.len());
    let keys: Vec<_> = everything
        .iter()
        .map(|r| {
            (
                r.key.measure.to_string(),
                r.key.area.to_string(),
                r.key.year,
                r.key.gender.code(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        keys, sorted,
        "exports are ordered by measure, area, year, gender bytewise"
    );
    assert_eq!(everything[0].key.measure.as_str(), "N00003");
    assert_eq!(everything[0].key.area.as_str(), "0180");

    let filtered = all_values(
        store,
        ValueFilter {
            measures: vec![kpi("N15428")],
            areas: vec![
                AreaId::parse("0180").unwrap(),
                AreaId::parse("G92787").unwrap(),
            ],
            years: vec![year(2022)],
            genders: vec![Gender::Women, Gender::Men],
            changed_since: None,
        },
    )
    .await;
    assert_eq!(filtered.len(), 4);
    assert!(
        filtered
            .iter()
            .all(|r| r.key.year == year(2022) && r.key.gender != Gender::Total)
    );
}

async fn measure_sets_round_trip(store: &SqlStore) {
    load_catalogue(store).await;
    let profile = MeasureProfile {
        measure: kpi("N15428"),
        question: "Hur många elever är behöriga?".into(),
        question_en: Some("How many pupils are eligible?".into()),
        unit: Some("procent".into()),
        unit_en: Some("per cent".into()),
        direction: Direction::HigherIsBetter,
        decimals: 1,
    };
    let mut set = MeasureSet::new(
        "kkik-test",
        "KKiK test",
        vec![
            MeasureSetArea {
                title: "Barn och unga".into(),
                title_en: Some("Children".into()),
                items: vec![MeasureSetItem {
                    measure: kpi("N15428"),
                    question: "Hur många elever är behöriga?".into(),
                    question_en: Some("How many pupils are eligible?".into()),
                    profile: Some(profile.clone()),
                }],
            },
            MeasureSetArea {
                title: "Samhälle och miljö".into(),
                title_en: None,
                items: vec![MeasureSetItem {
                    measure: kpi("N00003"),
                    question: "Vad kostar personalen?".into(),
                    question_en: None,
                    profile: None,
                }],
            },
        ],
    );
    set.participants = vec![m("0180")];
    set.description = "Ett test.".into();
    store.save_measure_set(&set).await.unwrap();
    assert_eq!(store.measure_set("kkik-test").await.unwrap().unwrap(), set);
    assert!(store.measure_set("none").await.unwrap().is_none());
    assert_eq!(store.measure_profiles().await.unwrap(), vec![profile]);
    assert_eq!(
        store
            .measure(&kpi("N15428"))
            .await
            .unwrap()
            .unwrap()
            .direction,
        Direction::HigherIsBetter,
        "the profile's direction is the measure's"
    );
    let listed = store.measure_sets().await.unwrap();
    assert_eq!(listed, vec![set.clone()], "all sets whole, as one is read");

    let mut twice = set.clone();
    twice.areas[1].items[0].measure = kpi("N15428");
    assert!(matches!(
        store.save_measure_set(&twice).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        store.measure_set("kkik-test").await.unwrap().unwrap(),
        set,
        "a failed save leaves the old set"
    );
    // A set may name a measure whose catalogue is not loaded yet (a shipped set).
    let mut ahead = set.clone();
    ahead.areas[1].items[0].measure = kpi("N99999");
    store.save_measure_set(&ahead).await.unwrap();
}

async fn overview_counts_what_is_loaded(store: &SqlStore) {
    use kvalitet_app::ports::Contents;
    let nothing = Contents {
        municipalities: false,
        values: false,
    };
    assert_eq!(store.contents().await.unwrap(), nothing);
    load_catalogue(store).await;
    assert_eq!(
        store.contents().await.unwrap(),
        Contents {
            municipalities: true,
            values: false
        }
    );
    import(
        store,
        vec![
            ImportChunk::Values(vec![
                value("N15428", "0180", 1998, Gender::Total, Datum::Number(1.0)),
                value("N15428", "0180", 2022, Gender::Total, Datum::Number(1.0)),
            ]),
            ImportChunk::Commit,
        ],
    )
    .await
    .unwrap();
    let o = store.overview().await.unwrap();
    assert_eq!(
        (
            o.kommuner, o.regions, o.riket, o.groups, o.measures, o.values
        ),
        (3, 1, 1, 1, 2, 2)
    );
    assert_eq!((o.first_year, o.last_year), (Some(1998), Some(2022)));
    assert!(store.contents().await.unwrap().values);
    assert_eq!(o.recent_imports.len(), 2);
    assert_eq!(o.recent_imports[0].inserted, 2);
    let known = store.known_ids().await.unwrap();
    assert!(known.measures.contains(&kpi("N15428")));
    assert!(known.knows_area(&AreaId::parse("G92787").unwrap()));
}
