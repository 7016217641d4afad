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
    let store = fresh().await;
    testkit::dice_and_faces_round_trip(&store).await;
    let store = fresh().await;
    testkit::stats_of_a_notation_count_only_its_rolls(&store).await;
    let store = fresh().await;
    testkit::idempotent_replay_keeps_the_first_faces(&store).await;
    let store = fresh().await;
    testkit::rolls_without_dice_read_as_before(&store).await;
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
        serde_json::to_string(&roll).unwrap(),
        format!(
            r#"{{"id":1,"outcome":3,"rolled_by":null,"created_by":null,"created_at":"{}"}}"#,
            roll.created_at
        ),
        "read as a reported roll, without dice or faces"
    );
}

/// A row changed by hand into something no roll can be is an internal error
/// naming the roll, for a get, a listing and a stats call alike; never a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_whose_faces_do_not_fit_its_dice_is_an_internal_error() {
    use dice_core::{Error, ListQuery, RollId, RollStore};
    let db = TestDb::create().await;
    let store = db.store().await;
    let broken = [
        "(6, '1d6', '[5]')",
        "(6, '1d6', '[7]')",
        "(6, '2d6', '[6]')",
        "(6, NULL, '[6]')",
        "(7, '1d6', NULL)",
        "(6, '1d1', NULL)",
        "(6, '1D6', '[6]')",
        "(6, '1d6', 'six')",
        "(6, '1d6', '[6,]')",
        "(6, '1d6', '[-6]')",
    ];
    for (n, row) in broken.iter().enumerate() {
        db.exec(&format!(
            "INSERT INTO rolls (outcome, dice, faces) VALUES {row}"
        ))
        .await;
        let id = RollId::new(n as u32 + 1).unwrap();
        match store.get(id).await {
            Err(err @ Error::Internal(_)) => {
                assert!(err.to_string().contains(&format!("roll {id}")), "{err}");
            }
            other => panic!("{row}: {other:?}"),
        }
        db.exec("DELETE FROM rolls").await;
    }
    db.exec("INSERT INTO rolls (outcome, dice, faces) VALUES (6, '1d6', '[5]')")
        .await;
    assert!(matches!(
        store.list(&ListQuery::new()).await,
        Err(Error::Internal(_))
    ));
    // The canonical form stored by hand reads back, and its stats count it.
    db.exec("DELETE FROM rolls").await;
    db.exec("INSERT INTO rolls (outcome, dice, faces) VALUES (6, '1d6', '[6]')")
        .await;
    let roll = store.list(&ListQuery::new()).await.unwrap().rolls;
    assert_eq!(roll[0].faces, Some(vec![6]));
}
