//! Several servers on one database: a change committed through one is announced to every other (PostgreSQL LISTEN/NOTIFY), a rolled-back one never.

use super::*;

/// In a module named like the suite's PostgreSQL copies, so that `.ci/run`'s PostgreSQL
/// pass (`-- postgres_backend`) runs it with a server; it checks SQLite as well.
mod postgres_backend {
    use super::*;

    /// A moved data version is announced when the change commits, within a second, to a
    /// listener on another connection; SQLite has no listener (its servers poll).
    #[tokio::test]
    async fn a_moved_data_version_is_announced_to_every_listener() {
        let fresh = sqlite().await;
        assert!(fresh.store.version_listener().await.unwrap().is_none());
        let Some(url) = fresh_postgres_url("kvalitet_listen").await else {
            eprintln!("skipped: TEST_POSTGRES_URL is not set");
            return;
        };
        let writer = SqlStore::open(&url).await.unwrap();
        let other_server = SqlStore::connect(&url).await.unwrap();
        let mut listener = other_server.version_listener().await.unwrap().unwrap();
        let before = writer.data_version().await.unwrap();
        load_catalogue(&writer).await;
        assert!(writer.data_version().await.unwrap() > before);
        let heard = tokio::time::timeout(std::time::Duration::from_secs(1), listener.recv())
            .await
            .expect("announced within a second")
            .unwrap();
        assert_eq!(heard.channel(), "kvalitet_version");
        // A direct URL (what a pooler in transaction mode needs) listens the same way.
        let direct_server = SqlStore::connect_with(
            &url,
            &kvalitet_store::PgOptions {
                direct_url: Some(url.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let mut direct = direct_server.version_listener().await.unwrap().unwrap();
        load_catalogue(&writer).await;
        tokio::time::timeout(std::time::Duration::from_secs(1), direct.recv())
            .await
            .expect("announced within a second")
            .unwrap();
    }
}
