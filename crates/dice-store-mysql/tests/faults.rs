//! Real faults between the store and the server: killed connections, a network
//! that refuses or swallows traffic, and a reply lost after COMMIT.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use dice_core::testkit::{batch, new_roll, server_roll};
use dice_core::{IdempotencyKey, ListQuery, RollStore, RolledRequest};
use dice_store_mysql::MysqlStore;
use support::proxy::{Command, Proxy};
use support::{TestDb, assert_outcome_unknown, assert_unavailable};

const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const QUERY_TIMEOUT: Duration = Duration::from_secs(1);

/// A migrated database, a proxy in front of the test server, and a store that
/// talks through the proxy with short time limits.
async fn setup() -> (TestDb, Proxy, MysqlStore) {
    let db = TestDb::create().await;
    db.store().await;
    let proxy = Proxy::in_front_of(&db.config()).await;
    let through_proxy = proxy
        .config(db.config())
        .connect_timeout(CONNECT_TIMEOUT)
        .query_timeout(QUERY_TIMEOUT);
    let store = MysqlStore::connect(&through_proxy).await.unwrap();
    (db, proxy, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_connections_are_replaced_without_an_error() {
    let db = TestDb::create().await;
    let store = db.store().await;
    // Open a few pooled connections, then have the server kill every one.
    let rolls: Vec<_> = (0..4).map(|n| new_roll(n, None)).collect();
    let warm = rolls.iter().map(|roll| store.insert(roll, None));
    for roll in futures_join(warm).await {
        roll.unwrap();
    }
    assert!(
        db.kill_connections().await >= 1,
        "the store's connections were found and killed"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;

    let roll = store
        .insert(&new_roll(9, None), None)
        .await
        .expect("a plain insert after KILL");
    assert_eq!(store.get(roll.id).await.unwrap(), roll);

    db.kill_connections().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(store.list(&ListQuery::new()).await.unwrap().rolls.len(), 5);
    db.kill_connections().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let request = RolledRequest::from(new_roll(1, None));
    let key = IdempotencyKey::parse("after-kill").unwrap();
    assert!(
        !store
            .insert_idempotent(&key, &request, None)
            .await
            .unwrap()
            .replayed
    );
    assert_eq!(db.count_rolls().await, 6);
}

async fn futures_join<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    dice_core::testkit::join_all(futures).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_network_fails_fast_and_says_whether_a_write_may_exist() {
    let (db, proxy, store) = setup().await;
    store.insert(&new_roll(1, None), None).await.unwrap();

    proxy.stall();
    let deadline = Instant::now() + Duration::from_secs(2);
    let started = Instant::now();
    let result = store
        .with_deadline(deadline)
        .insert_batch(&batch((0..50).map(|n| new_roll(n, None))), None)
        .await;
    // The batch was sent and never answered, and the server stayed out of
    // reach: the store cannot know, and must not say "retry later".
    assert_outcome_unknown(result);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "gave up only after {:?}",
        started.elapsed()
    );
    proxy.cut();
    assert_unavailable(
        store
            .with_deadline(Instant::now() + Duration::from_secs(2))
            .stats(&dice_core::StatsQuery::new())
            .await,
    );

    proxy.forward();
    proxy.cut();
    assert_eq!(db.count_rolls().await, 1, "nothing partial was written");
    let roll = store
        .insert(&new_roll(2, None), None)
        .await
        .expect("the same store works again");
    assert_eq!(store.get(roll.id).await.unwrap().outcome.get(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_server_is_retried_with_backoff_until_the_deadline() {
    let (db, proxy, store) = setup().await;
    proxy.refuse();
    proxy.cut();
    // Let the pool see its connection close, as it would between two requests;
    // a plain insert on a connection that dies under it is (rightly) not retried.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let accepted_before = proxy.accepted();
    let started = Instant::now();
    let deadline = started + Duration::from_millis(1500);
    assert_unavailable(
        store
            .with_deadline(deadline)
            .insert(&new_roll(3, None), None)
            .await,
    );
    let took = started.elapsed();
    let attempts = proxy.accepted() - accepted_before;
    assert!(attempts >= 3, "only {attempts} attempts in {took:?}");
    assert!(
        took >= Duration::from_millis(500),
        "gave up after {took:?}, long before the deadline"
    );
    assert!(
        took < Duration::from_secs(3),
        "ran {took:?}, past the deadline"
    );

    let past = Instant::now() - Duration::from_millis(1);
    let accepted_before = proxy.accepted();
    assert_unavailable(
        store
            .with_deadline(past)
            .get(dice_core::RollId::FIRST)
            .await,
    );
    assert_eq!(
        proxy.accepted(),
        accepted_before,
        "a passed deadline makes no attempt"
    );

    proxy.forward();
    store
        .insert(&new_roll(4, None), None)
        .await
        .expect("recovers once the server accepts");
    assert_eq!(db.count_rolls().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotent_insert_whose_commit_reply_is_lost_records_once() {
    let (db, proxy, store) = setup().await;
    let key = IdempotencyKey::parse("lost-reply").unwrap();
    let rolls_showing = |faces: [u32; 2]| {
        let rolls = (1..=2).map(|n| new_roll(n, Some("lost")));
        RolledRequest::from(batch(rolls.chain([server_roll("2d6", &faces, None)])))
    };
    let request = rolls_showing([1, 2]);

    proxy.lose_reply_to_next(Command::Commit);
    let result = store
        .insert_idempotent(&key, &request, None)
        .await
        .expect("retried to success");
    assert_eq!(result.recorded.rolls().len(), 3);
    assert!(
        result.replayed,
        "the retry found the first attempt's commit"
    );
    assert_eq!(db.count_rolls().await, 3, "recorded exactly once");

    assert_eq!(result.recorded.rolls()[2].faces, Some(vec![1, 2]));

    // A retry whose own dice showed otherwise answers the first faces.
    let again = store
        .insert_idempotent(&key, &rolls_showing([6, 6]), None)
        .await
        .unwrap();
    assert_eq!(again.recorded, result.recorded);
    assert_eq!(db.count_rolls().await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_insert_whose_reply_is_lost_answers_with_the_row_it_recorded() {
    let (db, proxy, store) = setup().await;
    // Prepare the insert on the one pooled connection, so the next execute is it.
    store.insert(&new_roll(4, None), None).await.unwrap();

    proxy.lose_reply_to_next(Command::Execute);
    let roll = store
        .insert(&new_roll(5, Some("lost")), None)
        .await
        .expect("the store found the row its lost insert wrote");
    assert_eq!(roll.outcome.get(), 5);
    assert_eq!(
        store.get(roll.id).await.unwrap(),
        roll,
        "answered as stored"
    );
    assert_eq!(
        db.count_rolls().await,
        2,
        "the insert ran once and was not run again"
    );

    // The same lost reply on an idempotent insert is retried, and records once.
    proxy.lose_reply_to_next(Command::Execute);
    let key = IdempotencyKey::parse("lost-execute").unwrap();
    let request = RolledRequest::from(new_roll(6, None));
    store
        .insert_idempotent(&key, &request, None)
        .await
        .expect("retried");
    assert_eq!(db.count_rolls().await, 3);
}
