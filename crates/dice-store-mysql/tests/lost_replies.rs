//! Plain inserts (no idempotency key) whose reply is lost: the answer must be
//! the truth. Every `Ok` has its rows, once; every error has none; no row is
//! without an `Ok`. Faults: a request lost on its way, a statement still
//! running when the store looks, repeated `KILL`, and a network that is cut.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use dice_core::testkit::{batch, new_roll};
use dice_core::{Roll, RollStore};
use dice_store_mysql::{MysqlConfig, MysqlStore, Preset};
use mysql_async::prelude::Queryable;
use support::proxy::Proxy;
use support::{TestDb, admin};

const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const QUERY_TIMEOUT: Duration = Duration::from_secs(1);

/// Short time limits, and each insert its own statement: coalesced inserts
/// under the same faults are in `coalesce.rs`.
fn short_limits(config: MysqlConfig) -> MysqlConfig {
    config
        .coalesce(false)
        .connect_timeout(CONNECT_TIMEOUT)
        .query_timeout(QUERY_TIMEOUT)
        .max_connections(8)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_insert_lost_on_its_way_is_sent_again_once_its_session_has_ended() {
    let db = TestDb::create().await;
    db.store().await;
    let proxy = Proxy::in_front_of(&db.config()).await;
    let store = MysqlStore::connect(&short_limits(proxy.config(db.config())))
        .await
        .unwrap();
    store.insert(&new_roll(1, None), None).await.unwrap();

    // The insert is swallowed: the server never sees it, the store cannot know.
    proxy.stall();
    let deadline = Instant::now() + Duration::from_secs(6);
    let lost = tokio::spawn({
        let store = store.with_deadline(deadline);
        async move { store.insert(&new_roll(2, Some("again")), None).await }
    });
    // Past the query timeout: the store is trying to find out.
    tokio::time::sleep(QUERY_TIMEOUT + Duration::from_millis(300)).await;
    proxy.forward();

    let roll = lost.await.unwrap().expect("found absent, then sent again");
    assert_eq!(store.get(roll.id).await.unwrap(), roll);
    assert_eq!(db.count_rolls().await, 2, "recorded once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_insert_still_running_is_ended_before_its_rows_are_looked_for() {
    let db = TestDb::create().await;
    db.store().await;
    // The deployed app user's grants: ending its own session needs no more.
    let url = support::app_user(&db).await;
    let config = short_limits(MysqlConfig::from_url(&url, Preset::Lambda).unwrap());
    let store = MysqlStore::connect(&config).await.unwrap();

    // Lock the end of the table: inserts wait, and go on waiting on the server
    // after the store stops waiting for them.
    let mut blocker = admin().await;
    blocker
        .query_drop(format!("USE `{}`", db.name))
        .await
        .unwrap();
    blocker.query_drop("START TRANSACTION").await.unwrap();
    blocker
        .query_drop("SELECT id FROM rolls WHERE id >= 0 FOR UPDATE")
        .await
        .unwrap();
    let insert = tokio::spawn({
        let store = store.with_deadline(Instant::now() + Duration::from_secs(8));
        async move { store.insert(&new_roll(7, None), None).await }
    });
    // The first attempt times out while its statement still waits; the rows
    // are absent, and a store that did not end that session would now send
    // the insert again beside it, and record it twice once the lock goes.
    tokio::time::sleep(QUERY_TIMEOUT + Duration::from_millis(600)).await;
    blocker.query_drop("COMMIT").await.unwrap();
    blocker.disconnect().await.unwrap();

    let roll = insert.await.unwrap().expect("recorded after the lock");
    // Any session still waiting would have committed by now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(db.count_rolls().await, 1, "recorded once");
    assert_eq!(store.get(roll.id).await.unwrap(), roll);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_repeated_kill_every_answer_to_a_plain_insert_matches_the_table() {
    let db = TestDb::create().await;
    db.store().await;
    db.open_rolls_in_sessions(32).await;
    let store = MysqlStore::connect(&short_limits(db.config()))
        .await
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let killer = tokio::spawn(kill_sessions_until(db.name.clone(), Arc::clone(&stop)));
    let answers = insert_until(&store, Arc::clone(&stop)).await;
    let (killed, killed_busy) = killer.await.unwrap();

    let audit = audit(&db, &answers).await;
    eprintln!("KILL: {killed} sessions ({killed_busy} running a statement); {audit:?}");
    assert!(killed_busy > 0, "no KILL hit a running statement");
    audit.assert_truthful();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_network_cuts_every_answer_to_a_plain_insert_matches_the_table() {
    let db = TestDb::create().await;
    db.store().await;
    let proxy = Arc::new(Proxy::in_front_of(&db.config()).await);
    let store = MysqlStore::connect(&short_limits(proxy.config(db.config())))
        .await
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let cutter = tokio::spawn({
        let (proxy, stop) = (Arc::clone(&proxy), Arc::clone(&stop));
        async move {
            let mut cuts = 0;
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(30)).await;
                proxy.cut();
                cuts += 1;
            }
            cuts
        }
    });
    let accepted_before = proxy.accepted();
    let answers = insert_until(&store, Arc::clone(&stop)).await;
    let cuts = cutter.await.unwrap();

    let audit = audit(&db, &answers).await;
    let reconnects = proxy.accepted() - accepted_before;
    eprintln!("{cuts} cuts, {reconnects} connections; {audit:?}");
    assert!(reconnects > 10, "the cuts did not break connections");
    audit.assert_truthful();
}

/// How long the workers start new inserts while faults happen.
const FAULTS_FOR: Duration = Duration::from_secs(2);
const WORKERS: usize = 8;

/// One request's rolls (their unique outcomes) and its answer.
struct Answer {
    outcomes: Vec<u32>,
    result: Result<Vec<Roll>, dice_core::Error>,
}

/// Plain inserts from several tasks for `FAULTS_FOR`, every fourth a batch of
/// three; every roll has an outcome of its own. Sets `stop` when done starting.
async fn insert_until(store: &MysqlStore, stop: Arc<AtomicBool>) -> Vec<Answer> {
    let next = Arc::new(AtomicU32::new(1));
    let until = Instant::now() + FAULTS_FOR;
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (store, next) = (store.clone(), Arc::clone(&next));
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for n in 0.. {
                    if Instant::now() >= until {
                        break;
                    }
                    let size = if n % 4 == 3 { 3 } else { 1 };
                    let first = next.fetch_add(size, Ordering::SeqCst);
                    let outcomes: Vec<u32> = (first..first + size).collect();
                    let store = store.with_deadline(Instant::now() + Duration::from_secs(4));
                    let rolls = batch(outcomes.iter().map(|&o| new_roll(o, None)));
                    let result = store.insert_batch(&rolls, None).await;
                    answers.push(Answer { outcomes, result });
                }
                answers
            })
        })
        .collect();
    tokio::time::sleep(FAULTS_FOR).await;
    stop.store(true, Ordering::SeqCst);
    let mut answers = Vec::new();
    for worker in workers {
        answers.extend(worker.await.unwrap());
    }
    answers
}

/// Kills every session on `database` every 20 ms until `stop`; returns how many
/// it killed, and how many of those were running a statement.
async fn kill_sessions_until(database: String, stop: Arc<AtomicBool>) -> (usize, usize) {
    let mut conn = admin().await;
    let (mut killed, mut busy) = (0, 0);
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let sessions: Vec<(u64, String)> = conn
            .exec(
                "SELECT id, command FROM information_schema.processlist \
                 WHERE db = ? AND id <> CONNECTION_ID()",
                (database.as_str(),),
            )
            .await
            .unwrap();
        for (id, command) in sessions {
            // A session may end by itself in between.
            if conn.query_drop(format!("KILL {id}")).await.is_ok() {
                killed += 1;
                busy += usize::from(command != "Sleep");
            }
        }
    }
    conn.disconnect().await.unwrap();
    (killed, busy)
}

/// Answers held against the table.
#[derive(Default)]
struct Audit {
    ok: usize,
    unavailable: usize,
    outcome_unknown: usize,
    mismatches: Vec<String>,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} Ok, {} unavailable, {} outcome unknown, {} mismatches",
            self.ok,
            self.unavailable,
            self.outcome_unknown,
            self.mismatches.len()
        )
    }
}

impl Audit {
    fn assert_truthful(&self) {
        assert!(self.ok > 0, "nothing was recorded: {self:?}");
        assert!(
            self.mismatches.is_empty(),
            "{self:?}; the first: {:#?}",
            &self.mismatches[..self.mismatches.len().min(10)]
        );
    }
}

async fn audit(db: &TestDb, answers: &[Answer]) -> Audit {
    let mut conn = admin().await;
    let rows: Vec<(u32, u32)> = conn
        .query(format!("SELECT id, outcome FROM `{}`.rolls", db.name))
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    let mut stored: HashMap<u32, Vec<u32>> = HashMap::new();
    for (id, outcome) in rows {
        stored.entry(outcome).or_default().push(id);
    }

    let mut audit = Audit::default();
    for answer in answers {
        let found: Vec<Vec<u32>> = answer
            .outcomes
            .iter()
            .map(|o| stored.remove(o).unwrap_or_default())
            .collect();
        match &answer.result {
            Ok(rolls) => {
                audit.ok += 1;
                let answered: Vec<Vec<u32>> = rolls.iter().map(|r| vec![r.id.get()]).collect();
                if found != answered {
                    audit.mismatches.push(format!(
                        "Ok {answered:?} for outcomes {:?}, but the table has {found:?}",
                        answer.outcomes
                    ));
                }
            }
            Err(err) => {
                match err {
                    dice_core::Error::Unavailable { .. } => audit.unavailable += 1,
                    dice_core::Error::OutcomeUnknown { .. } => audit.outcome_unknown += 1,
                    other => audit.mismatches.push(format!("unexpected error {other}")),
                }
                if found.iter().any(|ids| !ids.is_empty()) {
                    audit.mismatches.push(format!(
                        "{err} for outcomes {:?}, but the table has {found:?}",
                        answer.outcomes
                    ));
                }
            }
        }
    }
    for (outcome, ids) in stored {
        audit.mismatches.push(format!(
            "rows {ids:?} (outcome {outcome}) that no Ok answered"
        ));
    }
    audit
}
