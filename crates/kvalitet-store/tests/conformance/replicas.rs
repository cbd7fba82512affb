//! Reading from a streaming replica: public reads go to it only while it has caught up with
//! the primary's data version, and a replica that lags or cannot be reached is never an error.

use super::*;
use kvalitet_store::PgOptions;

/// In a module named like the suite's PostgreSQL copies, so that `.ci/run`'s PostgreSQL
/// pass (`-- postgres_backend`) runs these with a server.
mod postgres_backend {
    use super::*;

    /// Waits up to five seconds for `ready`.
    async fn within_five_seconds<F: std::future::Future<Output = bool>>(
        mut ready: impl FnMut() -> F,
    ) -> bool {
        for _ in 0..50 {
            if ready().await {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    }

    #[tokio::test]
    async fn a_replica_that_cannot_be_reached_is_not_an_error() {
        let Some(url) = fresh_postgres_url("kvalitet_replica_down").await else {
            eprintln!("skipped: TEST_POSTGRES_URL is not set");
            return;
        };
        // Nothing listens on port 1.
        let options = PgOptions {
            read_url: Some("postgres://kvalitet@127.0.0.1:1/nowhere".into()),
            ..PgOptions::default()
        };
        let store = SqlStore::open_with(&url, &options).await.unwrap();
        load_catalogue(&store).await;
        store.data_version().await.unwrap();
        assert_eq!(store.municipalities().await.unwrap().len(), 5);
        assert!(!store.reads_from_replica().await);
        assert_eq!(store.municipalities().await.unwrap().len(), 5);
    }

    #[tokio::test]
    async fn a_replica_is_read_only_while_it_has_caught_up() {
        let (Some(url), Ok(replica_server)) = (
            fresh_postgres_url("kvalitet_replica").await,
            std::env::var("TEST_POSTGRES_READ_URL"),
        ) else {
            eprintln!("skipped: TEST_POSTGRES_URL or TEST_POSTGRES_READ_URL is not set");
            return;
        };
        let (_, name) = url.rsplit_once('/').unwrap();
        let (replica_base, _) = replica_server.rsplit_once('/').unwrap();
        let read_url = format!("{replica_base}/{name}");
        // The new database reaches the replica when its creation is replayed.
        assert!(
            within_five_seconds(|| async {
                <sqlx::PgConnection as sqlx::Connection>::connect(&read_url)
                    .await
                    .is_ok()
            })
            .await,
            "the new database reached the replica"
        );
        let replica_server = SqlStore::connect(&replica_server).await.unwrap();
        let SqlStore::Postgres(replica_admin, _) = &replica_server else {
            unreachable!()
        };
        let options = PgOptions {
            read_url: Some(read_url.clone()),
            ..PgOptions::default()
        };
        let store = SqlStore::open_with(&url, &options).await.unwrap();
        store.data_version().await.unwrap();
        assert!(
            within_five_seconds(|| store.reads_from_replica()).await,
            "read from the replica once it has the schema"
        );

        // The replica stops replaying: the import is on the primary only.
        sqlx::query("SELECT pg_wal_replay_pause()")
            .execute(replica_admin)
            .await
            .unwrap();
        load_catalogue(&store).await;
        store.data_version().await.unwrap();
        assert!(
            !store.reads_from_replica().await,
            "a lagging replica is not read"
        );
        assert_eq!(store.municipalities().await.unwrap().len(), 5);

        sqlx::query("SELECT pg_wal_replay_resume()")
            .execute(replica_admin)
            .await
            .unwrap();
        assert!(
            within_five_seconds(|| store.reads_from_replica()).await,
            "read from the replica again once it has caught up"
        );
        assert_eq!(store.municipalities().await.unwrap().len(), 5);
    }
}
