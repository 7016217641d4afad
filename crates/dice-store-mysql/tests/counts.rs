//! The counts behind `stats` against the rows they count, read at one moment,
//! under real concurrency and real faults: writers through the store and
//! beside it with plain SQL, connections killed mid-batch, and a migration's
//! fold cut off halfway and run again. Then every row folded, and the stats
//! equal to the table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dice_core::IdempotencyKey;
use dice_core::testkit::{actor, batch, dice, new_roll, server_roll};
use dice_core::{Outcome, RollStore, RolledRequest, StatsQuery};
use dice_store_mysql::testkit::counts::{counts_and_rolls, fold_all, tail};
use dice_store_mysql::{MysqlConfig, MysqlStore, Preset};
use mysql_async::prelude::Queryable;
use support::{TUTORIAL_DDL, TestDb, admin};

/// Fails unless the counts equal the rows folded into them, read in one
/// snapshot.
async fn assert_exact(db: &TestDb, when: &str) {
    let mut conn = admin().await;
    let (counts, folded) = counts_and_rolls(&mut conn, &db.name).await;
    conn.disconnect().await.unwrap();
    assert_eq!(counts, folded, "{when}: counts and folded rows differ");
}

/// Folds what is left and fails unless the counts hold every row but maybe
/// the newest, and the stats count them all.
async fn assert_all_folded(db: &TestDb, store: &MysqlStore, when: &str) {
    let mut conn = admin().await;
    fold_all(store, &mut conn, &db.name).await;
    let (counts, folded) = counts_and_rolls(&mut conn, &db.name).await;
    conn.disconnect().await.unwrap();
    assert!(!folded.is_empty(), "{when}: the table has rows");
    assert_eq!(
        counts, folded,
        "{when}: counts and table differ, every row folded"
    );
    let all = store.stats(&StatsQuery::new()).await.unwrap();
    assert_eq!(all.count, db.count_rolls().await, "{when}: stats");
}

/// Fails unless the store's stats, for every filter, equal a `GROUP BY` of
/// the table.
async fn assert_stats_equal_group_by(db: &TestDb, store: &MysqlStore, when: &str) {
    let everything = StatsQuery::new();
    let queries = [
        ("1 = 1", everything.clone()),
        // Names match byte for byte: the SQL writer makes `W1`s too.
        (
            "BINARY rolled_by = 'w1'",
            everything.clone().by(actor("w1")),
        ),
        ("dice = '2d6'", everything.clone().of(dice("2d6"))),
        (
            "dice = '2d6' AND BINARY rolled_by = 'w3'",
            everything.of(dice("2d6")).by(actor("w3")),
        ),
    ];
    let mut conn = admin().await;
    for (filter, query) in queries {
        let table: Vec<(u32, u64)> = conn
            .query(format!(
                "SELECT outcome, COUNT(*) FROM `{}`.rolls WHERE {filter} GROUP BY outcome",
                db.name
            ))
            .await
            .unwrap();
        let table: BTreeMap<Outcome, u64> = table
            .into_iter()
            .map(|(o, n)| (Outcome::new(o), n))
            .collect();
        let stats = store.stats(&query).await.unwrap();
        assert!(!table.is_empty(), "{when}, {filter}: rows to count");
        assert_eq!(stats.per_outcome, table, "{when}, {filter}");
    }
    conn.disconnect().await.unwrap();
}

/// Rolls through the store from `writers` tasks until `stop`: single rolls,
/// batches and idempotent inserts. Failures are allowed (connections get
/// killed); what matters is what the table and the counts say afterwards.
fn store_writers(
    store: &MysqlStore,
    writers: u32,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..writers)
        .map(|writer| {
            let (store, stop) = (store.clone(), Arc::clone(stop));
            tokio::spawn(async move {
                let name = format!("w{}", writer % 5);
                let mut round = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    round += 1;
                    let roll = server_roll("2d6", &[1 + round % 6, 1 + writer % 6], Some(&name));
                    let _ = match round % 3 {
                        0 => store.insert(&roll, None).await.map(drop),
                        // 40 counts, which the store adds itself; 3, which a fold adds.
                        1 => {
                            let rolls =
                                (0..20).map(|n| new_roll(1 + (n + round) % 12, Some(&name)));
                            let few = (0..3).map(|n| new_roll(1 + (n + round) % 6, None));
                            let many = store.insert_batch(&batch(rolls), None).await;
                            let few = store.insert_batch(&batch(few), None).await;
                            many.and(few).map(drop)
                        }
                        _ => {
                            let key = IdempotencyKey::parse(format!("w{writer}-{round}")).unwrap();
                            let request = RolledRequest::from(roll);
                            store
                                .insert_idempotent(&key, &request, None)
                                .await
                                .map(drop)
                        }
                    };
                }
            })
        })
        .collect()
}

/// Another program on the same table: the tutorial's insert, deletes of any
/// row, updates of outcome, roller (its case too, or to none) and notation.
async fn sql_writer(database: String, stop: Arc<AtomicBool>) {
    let mut conn = admin().await;
    conn.query_drop(format!("USE `{database}`")).await.unwrap();
    let mut round = 0u32;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let statement = match round % 6 {
            0 => format!(
                "INSERT INTO rolls (outcome, rolled_by, created_by) VALUES ({}, {}, NULL)",
                round % 7,
                if round.is_multiple_of(12) {
                    "NULL"
                } else {
                    "'tutorial'"
                }
            ),
            1 => "DELETE FROM rolls ORDER BY RAND() LIMIT 3".to_owned(),
            2 => "UPDATE rolls SET outcome = outcome + 1 ORDER BY RAND() LIMIT 2".to_owned(),
            3 => "UPDATE rolls SET rolled_by = 'renamed', dice = NULL ORDER BY RAND() LIMIT 2"
                .to_owned(),
            // Equal under the column's collation, another roller to the counts.
            4 => "UPDATE rolls SET rolled_by = UPPER(rolled_by) ORDER BY RAND() LIMIT 2".to_owned(),
            _ => "UPDATE rolls SET rolled_by = NULL ORDER BY RAND() LIMIT 1".to_owned(),
        };
        // A deadlock with a store writer is an answer too; the next round goes on.
        let _ = conn.query_drop(statement).await;
    }
    conn.disconnect().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counts_stay_exact_while_sixteen_writers_insert_and_another_program_inserts_deletes_and_updates()
 {
    let db = TestDb::create().await;
    let store = db.store().await;
    let stop = Arc::new(AtomicBool::new(false));
    let writers = store_writers(&store, 16, &stop);
    let sql = tokio::spawn(sql_writer(db.name.clone(), Arc::clone(&stop)));
    for moment in 0..5 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_exact(&db, &format!("under load, look {moment}")).await;
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    sql.await.unwrap();
    assert_exact(&db, "after the load").await;
    assert_stats_equal_group_by(&db, &store, "the counts and a tail").await;
    assert_all_folded(&db, &store, "after the load").await;
    assert_stats_equal_group_by(&db, &store, "every row folded").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counts_stay_exact_when_connections_are_killed_mid_batch() {
    let db = TestDb::create().await;
    let store = db.store().await;
    db.open_rolls_in_sessions(32).await;
    let stop = Arc::new(AtomicBool::new(false));
    let writers = store_writers(&store, 8, &stop);
    let mut killed = 0;
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        killed += db.kill_connections().await;
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    assert!(killed >= 6, "connections were killed under load ({killed})");
    assert_exact(&db, "after the kills").await;
    assert_all_folded(&db, &store, "after the kills").await;
}

/// The tutorial's table with `rows` rolls of its own, written before any
/// migration: none of them is counted yet.
async fn tutorial_table_with(db: &TestDb, rows: u32) {
    db.exec(TUTORIAL_DDL).await;
    db.exec("CREATE TABLE digits (d INT NOT NULL)").await;
    db.exec("INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)")
        .await;
    db.exec(&format!(
        "INSERT INTO rolls (outcome, rolled_by, created_by) \
         SELECT 1 + (a.d + 3 * b.d + 7 * c.d) % 6, CONCAT('p', c.d, d.d), 'tutorial' \
         FROM digits a, digits b, digits c, digits d, digits e LIMIT {rows}"
    ))
    .await;
    db.exec("DROP TABLE digits").await;
}

/// How many of the table's rows match `filter`.
async fn rows_where(db: &TestDb, filter: &str) -> Result<u64, mysql_async::Error> {
    let mut conn = admin().await;
    let n: Result<Option<u64>, _> = conn
        .query_first(format!(
            "SELECT COUNT(*) FROM `{}`.rolls WHERE {filter}",
            db.name
        ))
        .await;
    conn.disconnect().await.unwrap();
    Ok(n?.unwrap_or(0))
}

/// How many of the table's first `up_to` ids the fold has counted so far;
/// 0 while the first migration has yet to add `counted`.
async fn folded(db: &TestDb, up_to: u32) -> u64 {
    let filter = format!("counted <> 0 AND id <= {up_to}");
    rows_where(db, &filter).await.unwrap_or(0)
}

/// Makes every update of row `id` of `rolls` sleep `seconds` first, by a
/// trigger of the test's own, `test_stall_row_{id}`: a fold that reaches the
/// row stalls there, holding its transaction open.
async fn stall_updates_of_row(db: &TestDb, id: u32, seconds: u32) {
    db.exec(&format!(
        "CREATE TRIGGER test_stall_row_{id} BEFORE UPDATE ON rolls FOR EACH ROW \
         BEGIN IF NEW.id = {id} THEN DO SLEEP({seconds}); END IF; END"
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fold_of_the_tutorial_table_cut_off_halfway_and_run_again_counts_every_row_once() {
    let db = TestDb::create().await;
    tutorial_table_with(&db, 60_000).await;
    // A trigger of the test's own stalls the update of row 30000: the
    // migration's fold counts the five chunks before it (ids 1 to 25000),
    // then stalls in the sixth, and is cut off there.
    stall_updates_of_row(&db, 30_000, 60).await;
    let first = tokio::spawn({
        let config = db.config();
        async move { MysqlStore::new(&config).migrate().await }
    });
    let mut halfway = 0;
    for _ in 0..2000 {
        halfway = folded(&db, ALL).await;
        if halfway >= 25_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    db.kill_connections().await;
    db.exec("DROP TRIGGER test_stall_row_30000").await;
    assert!(first.await.unwrap().is_err(), "the first run was cut off");
    assert_eq!(
        (halfway, folded(&db, ALL).await),
        (25_000, 25_000),
        "cut off halfway, with five chunks of twelve counted"
    );

    // Meanwhile another program writes, deletes and updates, counted or not.
    let stop = Arc::new(AtomicBool::new(false));
    let sql = tokio::spawn(sql_writer(db.name.clone(), Arc::clone(&stop)));
    let again = MysqlStore::new(&db.config()).migrate().await.unwrap();
    stop.store(true, Ordering::Relaxed);
    sql.await.unwrap();
    assert!(
        again.contains(&dice_store_mysql::LATEST_VERSION),
        "{again:?}"
    );
    let tutorials = rows_where(&db, "id < 60000").await.unwrap();
    // Row 60000 may have been the newest when the fold reached it.
    assert_eq!(
        folded(&db, 59_999).await,
        tutorials,
        "every row there before the migration counted"
    );
    assert_exact(&db, "after the second run").await;
    let store = db.store().await;
    let all = store.stats(&StatsQuery::new()).await.unwrap();
    assert_eq!(all.count, db.count_rolls().await, "stats with the tail");
    let mut conn = admin().await;
    fold_all(&store, &mut conn, &db.name).await;
    conn.disconnect().await.unwrap();
    assert_exact(&db, "every row folded").await;
}

/// Every id.
const ALL: u32 = u32::MAX;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployments_least_privileged_user_folds_by_itself_and_reads_exact_stats() {
    let db = TestDb::create().await;
    db.store().await.close().await.unwrap();
    let url = support::app_user(&db).await;
    let config = MysqlConfig::from_url(&url, Preset::Lambda).unwrap();
    let store = MysqlStore::connect(&config).await.unwrap();
    // Batches of ten rolls without roller or notation, ten counts, are left
    // to a fold: the 1000th row makes one, which leaves the newest row.
    for round in 0..130 {
        let rolls = (0..10).map(|n| new_roll(1 + (n + round) % 6, None));
        store.insert_batch(&batch(rolls), None).await.unwrap();
    }
    // 400 rolls with a roller, 800 counts, the store counts as it writes.
    let named = (0..400).map(|n| new_roll(1 + n % 6, Some(&format!("p{}", n % 7))));
    store.insert_batch(&batch(named), None).await.unwrap();
    let mut conn = admin().await;
    let left = tail(&mut conn, &db.name).await;
    assert_eq!(left, 301, "the store folded the first 999 rows by itself");
    fold_all(&store, &mut conn, &db.name).await;
    conn.disconnect().await.unwrap();
    assert_exact(&db, "folded by the deployment's user").await;
    let all = store.stats(&StatsQuery::new()).await.unwrap();
    assert_eq!(all.count, 1700);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_insert_never_waits_for_a_fold_in_progress() {
    let db = TestDb::create().await;
    let store = db.store().await;
    db.exec("INSERT INTO rolls (outcome) SELECT 1 + seq % 6 FROM seq_1_to_50")
        .await;
    // Holds the fold's transaction open, its locks taken, while it marks row 10.
    stall_updates_of_row(&db, 10, 3).await;
    let fold = tokio::spawn({
        let store = store.clone();
        async move { store.fold().await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!fold.is_finished(), "the fold is stalled at row 10");

    let mut conn = admin().await;
    conn.query_drop(format!("USE `{}`", db.name)).await.unwrap();
    conn.query_drop("SET SESSION innodb_lock_wait_timeout = 1")
        .await
        .unwrap();
    conn.query_drop("INSERT INTO rolls (outcome) VALUES (6)")
        .await
        .expect("no lock of the fold's stands in the insert's way");
    let answered = fold.await.unwrap().unwrap();
    assert_eq!(
        answered, 49,
        "the fold went on, all but the then newest row"
    );
    conn.disconnect().await.unwrap();
    assert_exact(&db, "after the fold").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn folds_running_at_once_fold_each_row_once() {
    let db = TestDb::create().await;
    let store = db.store().await;
    db.exec(
        "INSERT INTO rolls (outcome, rolled_by, dice) \
         SELECT 1 + seq % 6, CONCAT('p', seq % 3), IF(seq % 2 = 0, '1d6', NULL) \
         FROM seq_1_to_5000",
    )
    .await;
    let folds: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.fold().await })
        })
        .collect();
    let mut folded = 0;
    for fold in folds {
        folded += fold.await.unwrap().unwrap();
    }
    assert_eq!(folded, 4999, "every row but the newest, once");
    assert_exact(&db, "after four folds at once").await;
    let mut conn = admin().await;
    assert_eq!(tail(&mut conn, &db.name).await, 1);
    conn.disconnect().await.unwrap();
}
