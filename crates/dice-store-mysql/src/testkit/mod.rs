//! Throwaway databases on a real server, for the tests of this crate and of
//! crates built on it (feature `testkit`).
//!
//! Tests read `DICE_TEST_DATABASE_URL` (default `mysql://root@127.0.0.1:3306`).
//! An unreachable server fails the test, with or without `CI`: a skipped
//! store test proves nothing.

// Test support: a failed setup is meant to fail the test that called it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use mysql_async::prelude::Queryable;

use crate::{MysqlConfig, MysqlStore, Preset};

pub mod counts;
pub mod rds;
pub mod server;

/// The tutorial's DDL, exactly as the seed gives it: the fixture for "a database
/// made by the tutorial keeps working", deliberately not shared with the crate.
pub const TUTORIAL_DDL: &str = "CREATE TABLE IF NOT EXISTS rolls (
  `id`    INT UNSIGNED NOT NULL AUTO_INCREMENT,
  `outcome` INT UNSIGNED NOT NULL,
  `rolled_by` VARCHAR(60),
  `created_by` VARCHAR(60),
  `created_at` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id)
);";

/// The server under test: `DICE_TEST_DATABASE_URL`, or the local MariaDB.
pub fn server_url() -> String {
    std::env::var("DICE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned())
}

/// An admin connection to the test server. An unreachable server fails the
/// test, with or without `CI`: a skipped store test proves nothing.
pub async fn admin() -> mysql_async::Conn {
    let url = server_url();
    let connect = mysql_async::Conn::from_url(url.as_str());
    match tokio::time::timeout(Duration::from_secs(10), connect).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(err)) => {
            panic!("test MySQL at {url} refused: {err} (start it with scripts/mariadb.sh)")
        }
        Err(_) => {
            panic!("test MySQL at {url} did not answer in 10 s (start it with scripts/mariadb.sh)")
        }
    }
}

/// A database of its own for one test, dropped when this value is, with the
/// users made for it.
pub struct TestDb {
    /// The database name.
    pub name: String,
    users: std::sync::Mutex<Vec<String>>,
}

impl TestDb {
    /// Creates an empty, uniquely named database.
    pub async fn create() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "dice_test_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = admin().await;
        conn.query_drop(format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
            .await
            .unwrap();
        conn.disconnect().await.unwrap();
        Self {
            name,
            users: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The URL of this database on the test server.
    pub fn url(&self) -> String {
        format!("{}/{}", server_url().trim_end_matches('/'), self.name)
    }

    /// A user with every privilege on this database and none elsewhere, dropped
    /// with it; returns the URL that logs in as that user.
    pub async fn create_user(&self, password: &str) -> String {
        let user = self.track_user("u");
        self.exec(&format!(
            "CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"
        ))
        .await;
        self.exec(&format!("GRANT ALL ON `{}`.* TO '{user}'@'%'", self.name))
            .await;
        self.url_as(&user, password)
    }

    /// A fresh user name, starting with `prefix`, that is dropped with this
    /// database; the caller creates the user.
    pub fn track_user(&self, prefix: &str) -> String {
        let user = format!(
            "{prefix}{}",
            &self.name[self.name.len().saturating_sub(12)..]
        );
        let mut users = self.users.lock().unwrap();
        let user = format!("{user}_{}", users.len());
        users.push(user.clone());
        user
    }

    /// The URL of this database for `user` with `password`.
    pub fn url_as(&self, user: &str, password: &str) -> String {
        let opts = mysql_async::Opts::from_url(&server_url()).unwrap();
        format!(
            "mysql://{user}:{password}@{}:{}/{}",
            opts.ip_or_hostname(),
            opts.tcp_port(),
            self.name
        )
    }

    /// A configuration for this database on the test server.
    pub fn config(&self) -> MysqlConfig {
        MysqlConfig::from_url(&self.url(), Preset::Server)
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .query_timeout(Duration::from_secs(20))
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> MysqlStore {
        let store = MysqlStore::connect(&self.config()).await.unwrap();
        store.migrate().await.unwrap();
        store
    }

    /// Runs one statement on this database as the admin.
    pub async fn exec(&self, sql: &str) {
        let mut conn = admin().await;
        conn.query_drop(format!("USE `{}`", self.name))
            .await
            .unwrap();
        conn.query_drop(sql).await.unwrap();
        conn.disconnect().await.unwrap();
    }

    /// The number of rows in `rolls`, read past any proxy.
    pub async fn count_rolls(&self) -> u64 {
        let mut conn = admin().await;
        let n: Option<u64> = conn
            .query_first(format!("SELECT COUNT(*) FROM `{}`.rolls", self.name))
            .await
            .unwrap();
        conn.disconnect().await.unwrap();
        n.unwrap()
    }

    /// Opens `rolls` in `sessions` sessions at once and closes them, so that
    /// the server caches that many instances of the table, triggers loaded,
    /// for the statements to come.
    ///
    /// Tests that KILL sessions under load call it first. MariaDB (10.11)
    /// parses a table's triggers into each new instance of the table it
    /// opens; a KILL landing on that session meanwhile can fail the parse, and
    /// the server caches the instance anyway: every later statement that gets
    /// it fails with "Trigger ... has an error in its body" until `FLUSH
    /// TABLES` (README, "Stats at scale"). Those tests are about the
    /// store's answers under KILL, not this defect, so the instances their
    /// sessions use are made here, before any KILL.
    pub async fn open_rolls_in_sessions(&self, sessions: usize) {
        let mut holding = Vec::with_capacity(sessions);
        for _ in 0..sessions {
            let mut conn = admin().await;
            conn.query_drop(format!("LOCK TABLES `{}`.rolls READ", self.name))
                .await
                .unwrap();
            holding.push(conn);
        }
        for mut conn in holding {
            conn.query_drop("UNLOCK TABLES").await.unwrap();
            conn.disconnect().await.unwrap();
        }
    }

    /// Kills every connection to this database but the caller's.
    pub async fn kill_connections(&self) -> usize {
        let mut conn = admin().await;
        let ids: Vec<u64> = conn
            .exec(
                "SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()",
                (self.name.as_str(),),
            )
            .await
            .unwrap();
        for id in &ids {
            // A connection may end by itself in between; that is fine.
            let _ = conn.query_drop(format!("KILL CONNECTION {id}")).await;
        }
        conn.disconnect().await.unwrap();
        ids.len()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop may run inside a runtime, which cannot block: clean up from a
        // thread with a runtime of its own.
        let name = self.name.clone();
        let users = std::mem::take(&mut *self.users.lock().unwrap_or_else(|e| e.into_inner()));
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut conn = admin().await;
                let _ = conn
                    .query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))
                    .await;
                for user in users {
                    let _ = conn
                        .query_drop(format!("DROP USER IF EXISTS '{user}'@'%'"))
                        .await;
                }
                let _ = conn.disconnect().await;
            });
        });
        let _ = cleanup.join();
    }
}
