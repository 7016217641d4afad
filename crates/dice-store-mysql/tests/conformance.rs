//! `MysqlStore` against the store conformance suite, on a real server, and on a
//! table made with the tutorial's own DDL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Mutex;

use dice_core::testkit;
use support::{TUTORIAL_DDL, TestDb};

/// Runs one behaviour on a store over a fresh database (dropped with `db`).
async fn check(behaviour: testkit::Behaviour) {
    let db = TestDb::create().await;
    behaviour.run(&db.store().await).await;
}

dice_core::conformance_tests!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    check
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_made_by_the_tutorial_keeps_working() {
    let databases = Mutex::new(Vec::new());
    let fresh = || async {
        let db = TestDb::create().await;
        db.exec(TUTORIAL_DDL).await;
        // The tutorial's first row, written by hand before dice existed.
        db.exec("INSERT INTO rolls (id, outcome) VALUES (null, 3)")
            .await;
        db.exec("DELETE FROM rolls").await;
        let store = db.store().await;
        databases.lock().unwrap().push(db);
        store
    };
    let store = fresh().await;
    testkit::insert_returns_the_stored_roll(&store).await;
    let store = fresh().await;
    testkit::unicode_names_round_trip_exactly(&store).await;
    let store = fresh().await;
    testkit::pagination_visits_every_roll_once(&store).await;
    let store = fresh().await;
    testkit::stats_agree_with_what_was_inserted(&store).await;
    let store = fresh().await;
    testkit::concurrent_idempotent_inserts_record_exactly_once(&store).await;
    let store = fresh().await;
    testkit::batch_is_recorded_in_request_order(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_by_the_tutorial_handler_are_read_back() {
    let db = TestDb::create().await;
    db.exec(TUTORIAL_DDL).await;
    db.exec("INSERT INTO rolls (id, outcome) VALUES (null, 3)")
        .await;
    let store = db.store().await;
    use dice_core::{RollId, RollStore};
    let roll = store.get(RollId::FIRST).await.unwrap();
    assert_eq!(
        (roll.outcome.get(), roll.rolled_by, roll.created_by),
        (3, None, None)
    );
}
