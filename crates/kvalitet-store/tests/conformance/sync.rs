//! The sync log: an unfinished sync resumes with the queries it finished.

use super::*;

both_backends!(an_unfinished_sync_is_resumed_with_its_finished_queries,);

async fn an_unfinished_sync_is_resumed_with_its_finished_queries(store: &SqlStore) {
    let (run, done) = store
        .start_sync("http://a/v3", "kpis=;years=2022", imported_at())
        .await
        .unwrap();
    assert!(done.is_empty());
    store
        .finish_sync_query(run, "http://a/v3/kpi?per_page=5000")
        .await
        .unwrap();
    store
        .finish_sync_query(run, "http://a/v3/kpi?per_page=5000")
        .await
        .unwrap();
    let (again, done) = store
        .start_sync("http://a/v3", "kpis=;years=2022", imported_at())
        .await
        .unwrap();
    assert_eq!(again, run);
    assert_eq!(
        done.into_iter().collect::<Vec<_>>(),
        ["http://a/v3/kpi?per_page=5000"]
    );
    let (other, done) = store
        .start_sync("http://a/v3", "kpis=;years=2023", imported_at())
        .await
        .unwrap();
    assert_ne!(other, run, "other options make another run");
    assert!(done.is_empty());
    store.finish_sync(run, imported_at()).await.unwrap();
    let (fresh, done) = store
        .start_sync("http://a/v3", "kpis=;years=2022", imported_at())
        .await
        .unwrap();
    assert_ne!(fresh, run, "a finished run is not resumed");
    assert!(done.is_empty());
}
