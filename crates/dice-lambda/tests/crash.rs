//! The database killed with SIGKILL under load through `dice-local`, on a
//! private MariaDB of the test's own: after a restart on the same data, every
//! acknowledged roll is there and the counts behind `/stats` equal the table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dice_core::{Outcome, RollStore, Stats, StatsQuery};
use dice_store_mysql::testkit::counts::{counts_and_rolls, tail};
use dice_store_mysql::testkit::server::{PrivateServer, Scratch};
use dice_store_mysql::{MysqlConfig, MysqlStore, Preset};
use mysql_async::prelude::Queryable;
use support::local::{KEY, Local};

const PASSWORD: &str = "crash-test-only";

/// A roll some client was told was recorded: id, outcome, roller.
type Acknowledged = (u64, u64, String);

async fn start_server(dir: &Scratch) -> (PrivateServer, String) {
    let server = PrivateServer::start(&dir.0, None).await;
    server
        .exec(&format!(
            "CREATE DATABASE IF NOT EXISTS dice; \
             CREATE USER IF NOT EXISTS 'dice'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'; \
             GRANT ALL ON dice.* TO 'dice'@'127.0.0.1'"
        ))
        .await;
    let url = format!("mysql://dice:{PASSWORD}@127.0.0.1:{}/dice", server.port);
    (server, url)
}

/// Posts rolls (one, or a batch of three) until `stop`, keeping every roll
/// answered 201.
async fn client(
    local: Arc<Local>,
    n: usize,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<Acknowledged>>>,
) {
    let name = format!("client{n}");
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let body = if round % 2 == 0 {
            format!(r#"{{"dice":"2d6","rolled_by":"{name}"}}"#)
        } else {
            format!(
                r#"[{{"outcome":1,"rolled_by":"{name}"}},{{"dice":"1d6","rolled_by":"{name}"}},{{"outcome":3}}]"#
            )
        };
        let (status, answer) = local.post("/rolls", KEY, &body).await;
        if status != 201 {
            continue;
        }
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        let rolls = answer.as_array().cloned().unwrap_or_else(|| vec![answer]);
        let mut acked = acked.lock().unwrap();
        for roll in rolls {
            let by = roll["rolled_by"].as_str().unwrap_or_default().to_owned();
            acked.push((
                roll["id"].as_u64().unwrap(),
                roll["outcome"].as_u64().unwrap(),
                by,
            ));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_killed_under_load_keeps_every_acknowledged_roll_and_exact_counts() {
    let dir = Scratch::new("crash");
    let (server, url) = start_server(&dir).await;
    let env = [
        ("DICE_API_KEY", KEY),
        ("DATABASE_URL", url.as_str()),
        ("DB_CONNECT_TIMEOUT", "0.5"),
        ("DB_QUERY_TIMEOUT", "1"),
    ];
    let local = Arc::new(Local::start(&[], &env).await);
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..16)
        .map(|n| {
            tokio::spawn(client(
                Arc::clone(&local),
                n,
                Arc::clone(&stop),
                Arc::clone(&acked),
            ))
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before_kill = acked.lock().unwrap().len();
    server.stop().await; // SIGKILL, mid-commit for some requests
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        before_kill >= 50,
        "the load was running: {before_kill} rolls acknowledged"
    );

    let (_server, url) = start_server(&dir).await;
    let mut conn = mysql_async::Conn::from_url(url.as_str()).await.unwrap();
    let stored: Vec<(u64, u64, Option<String>)> = conn
        .query("SELECT id, outcome, rolled_by FROM rolls")
        .await
        .unwrap();
    let stored: std::collections::HashMap<u64, (u64, String)> = stored
        .into_iter()
        .map(|(id, outcome, by)| (id, (outcome, by.unwrap_or_default())))
        .collect();
    for (id, outcome, by) in &acked {
        assert_eq!(
            stored.get(id),
            Some(&(*outcome, by.clone())),
            "acknowledged roll {id} is kept"
        );
    }
    let (counts, folded) = counts_and_rolls(&mut conn, "dice").await;
    assert!(
        tail(&mut conn, "dice").await < stored.len() as u64,
        "rows were folded into the counts under load"
    );
    assert_eq!(
        counts, folded,
        "counts equal the rows folded into them after the crash"
    );
    let by_outcome: Vec<(u64, i64)> = conn
        .query("SELECT outcome, COUNT(*) FROM rolls GROUP BY outcome")
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    let config = MysqlConfig::from_url(&url, Preset::Server).unwrap();
    let stats = MysqlStore::new(&config)
        .stats(&StatsQuery::new())
        .await
        .unwrap();
    let by_outcome = by_outcome
        .into_iter()
        .map(|(outcome, n)| (Outcome::new(outcome as u32), n as u64));
    assert_eq!(
        stats,
        Stats::from_counts(by_outcome),
        "stats equal the table"
    );
}
