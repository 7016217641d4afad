//! Migrations against the real server: from empty, over the tutorial's table,
//! again, and from several processes at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use dice_store_mysql::{LATEST_VERSION, MysqlStore};
use mysql_async::prelude::Queryable;
use support::{TUTORIAL_DDL, TestDb, admin};

async fn columns(db: &TestDb, table: &str) -> Vec<(String, String)> {
    let mut conn = admin().await;
    let cols = conn
        .exec(
            "SELECT column_name, column_type FROM information_schema.columns \
             WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            (db.name.as_str(), table),
        )
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    cols
}

async fn table_options(db: &TestDb, table: &str) -> (String, String) {
    let mut conn = admin().await;
    let row: Option<(String, String)> = conn
        .exec_first(
            "SELECT engine, table_collation FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            (db.name.as_str(), table),
        )
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    row.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_database_gets_the_tutorial_table_and_ours() {
    let db = TestDb::create().await;
    let store = MysqlStore::connect(&db.config()).await.unwrap();
    assert_eq!(
        store.migrate().await.unwrap(),
        (1..=LATEST_VERSION).collect::<Vec<_>>()
    );

    let rolls: Vec<(String, String)> = columns(&db, "rolls").await;
    let expected = [
        ("id", "int(10) unsigned"),
        ("outcome", "int(10) unsigned"),
        ("rolled_by", "varchar(60)"),
        ("created_by", "varchar(60)"),
        ("created_at", "timestamp"),
        ("request_token", "binary(16)"),
        ("dice", "varchar(64)"),
        ("faces", "text"),
        ("counted", "tinyint(3) unsigned"),
    ];
    let rolls: Vec<(&str, &str)> = rolls
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    assert_eq!(rolls, expected);
    for table in ["rolls", "dice_idempotency_keys", "dice_roll_counts"] {
        let (engine, collation) = table_options(&db, table).await;
        assert_eq!(engine, "InnoDB", "{table}");
        assert!(collation.starts_with("utf8mb4"), "{table}: {collation}");
    }
    // Rows are counted by folding: found by an index, not by an insert trigger.
    let tail_index = ("idx_rolls_counted".to_owned(), "counted".to_owned());
    assert!(indexes(&db).await.contains(&tail_index));
    let mut conn = admin().await;
    let triggers: Vec<String> = conn
        .exec(
            "SELECT trigger_name FROM information_schema.triggers \
             WHERE trigger_schema = ? ORDER BY trigger_name",
            (db.name.as_str(),),
        )
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    assert_eq!(triggers, ["dice_counts_on_delete", "dice_counts_on_update"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_again_changes_nothing() {
    let db = TestDb::create().await;
    let store = db.store().await;
    assert_eq!(store.migrate().await.unwrap(), Vec::<u32>::new());
}

/// The names of the indexes on `rolls` and their columns, in order.
async fn indexes(db: &TestDb) -> Vec<(String, String)> {
    let mut conn = admin().await;
    let found = conn
        .exec(
            "SELECT index_name, GROUP_CONCAT(column_name ORDER BY seq_in_index) \
             FROM information_schema.statistics WHERE table_schema = ? AND table_name = 'rolls' \
             GROUP BY index_name ORDER BY index_name",
            (db.name.as_str(),),
        )
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorial_table_gains_nullable_dice_and_faces_and_their_index() {
    let db = TestDb::create().await;
    db.exec(TUTORIAL_DDL).await;
    db.exec("INSERT INTO rolls (outcome, rolled_by) VALUES (6, 'tom')")
        .await;
    let store = db.store().await;
    let mut added: Vec<(String, String)> = columns(&db, "rolls").await.split_off(6);
    added.truncate(2);
    assert_eq!(
        added,
        [
            ("dice".to_owned(), "varchar(64)".to_owned()),
            ("faces".to_owned(), "text".to_owned())
        ]
    );
    assert!(
        indexes(&db).await.contains(&(
            "idx_rolls_dice_rolled_by_outcome".to_owned(),
            "dice,rolled_by,outcome".to_owned()
        )),
        "{:?}",
        indexes(&db).await
    );
    // The tutorial's row and a new one read back; the stats of a notation use the index.
    use dice_core::{RollStore, StatsQuery};
    let old = store.get(dice_core::RollId::FIRST).await.unwrap();
    assert_eq!((old.dice, old.faces), (None, None));
    store
        .insert(
            &dice_core::testkit::server_roll("2d6", &[3, 4], Some("tom")),
            None,
        )
        .await
        .unwrap();
    let query = StatsQuery::new()
        .of(dice_core::testkit::dice("2d6"))
        .by(dice_core::testkit::actor("tom"));
    assert_eq!(store.stats(&query).await.unwrap().count, 1);
    let mut conn = admin().await;
    let plan: Vec<mysql_async::Row> = conn
        .exec(
            format!(
                "EXPLAIN SELECT outcome, COUNT(*) FROM `{}`.rolls WHERE dice = ? AND rolled_by = ? \
                 AND CAST(rolled_by AS BINARY) = CAST(? AS BINARY) GROUP BY outcome",
                db.name
            ),
            ("2d6", "tom", "tom"),
        )
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    let keys: Vec<Option<String>> = plan
        .into_iter()
        .map(|mut row| row.take("key").unwrap())
        .collect();
    assert_eq!(keys, [Some("idx_rolls_dice_rolled_by_outcome".to_owned())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorial_table_keeps_its_columns_and_rows_and_gains_a_nullable_token() {
    let db = TestDb::create().await;
    db.exec(TUTORIAL_DDL).await;
    db.exec("INSERT INTO rolls (id, outcome) VALUES (null, 6)")
        .await;
    let before = columns(&db, "rolls").await;
    db.store().await;
    let after = columns(&db, "rolls").await;
    assert_eq!(after[..before.len()], before[..], "the tutorial's columns");
    assert_eq!(
        after[before.len()..before.len() + 1],
        [("request_token".to_owned(), "binary(16)".to_owned())]
    );
    assert_eq!(db.count_rolls().await, 1, "existing rows stay");
    // The tutorial's own insert still works, and leaves the token NULL.
    db.exec("INSERT INTO rolls (outcome, rolled_by, created_by) VALUES (3, 'tom', NULL)")
        .await;
    let mut conn = admin().await;
    let tokens: Vec<Option<Vec<u8>>> = conn
        .query(format!("SELECT request_token FROM `{}`.rolls", db.name))
        .await
        .unwrap();
    assert_eq!(tokens, vec![None, None]);
    let indexed: Option<i64> = conn
        .exec_first(
            "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = ? \
             AND table_name = 'rolls' AND index_name = 'idx_rolls_request_token'",
            (db.name.as_str(),),
        )
        .await
        .unwrap();
    assert_eq!(indexed, Some(1), "the token is indexed");
    conn.disconnect().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_column_made_by_an_interrupted_run_is_taken_as_it_is() {
    let db = TestDb::create().await;
    db.exec(TUTORIAL_DDL).await;
    // As if a run had added the column and died before recording it.
    db.exec("ALTER TABLE rolls ADD COLUMN request_token BINARY(16) NULL")
        .await;
    let store = MysqlStore::connect(&db.config()).await.unwrap();
    assert_eq!(
        store.migrate().await.unwrap(),
        (1..=LATEST_VERSION).collect::<Vec<_>>()
    );
    assert_eq!(columns(&db, "rolls").await.len(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrations_apply_each_version_once() {
    let db = TestDb::create().await;
    let config = db.config();
    let runs = (0..6).map(|_| {
        let config = config.clone();
        tokio::spawn(async move { MysqlStore::new(&config).migrate().await })
    });
    let mut applied = Vec::new();
    for run in runs {
        applied.extend(run.await.unwrap().unwrap());
    }
    applied.sort_unstable();
    assert_eq!(
        applied,
        (1..=LATEST_VERSION).collect::<Vec<_>>(),
        "each version applied by exactly one process"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployed_app_users_grants_are_enough() {
    let db = TestDb::create().await;
    db.store().await;
    let url = support::app_user(&db).await;
    let config =
        dice_store_mysql::MysqlConfig::from_url(&url, dice_store_mysql::Preset::Lambda).unwrap();
    let store = MysqlStore::connect(&config).await.unwrap();
    // Every kind of statement the store sends, on the user's own privileges.
    dice_core::testkit::idempotent_insert_records_once_and_replays(&store).await;
    dice_core::testkit::insert_returns_the_stored_roll(&store).await;
    use dice_core::testkit::{reported_roll, server_roll};
    for roll in [
        reported_roll(6, "1d6", Some("pat")),
        server_roll("3d6", &[1, 2, 3], Some("pat")),
    ] {
        let stored = store.insert(&roll, None).await.unwrap();
        assert_eq!(store.get(stored.id).await.unwrap(), stored);
    }
    use dice_core::RollStore;
    store
        .insert_batch(
            &dice_core::testkit::batch((0..3).map(|n| dice_core::testkit::new_roll(n, None))),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .list(&dice_core::ListQuery::new())
            .await
            .unwrap()
            .rolls
            .len(),
        9
    );
    let everything = dice_core::StatsQuery::new();
    assert_eq!(store.stats(&everything).await.unwrap().count, 9);
    let of_d6 = everything
        .of(dice_core::testkit::dice("1d6"))
        .by(dice_core::testkit::actor("pat"));
    assert_eq!(store.stats(&of_d6).await.unwrap().count, 1);
    store
        .purge_expired_keys()
        .await
        .expect("the app user may purge keys");
    // All but the newest, which a fold leaves.
    assert_eq!(store.fold().await.expect("the app user may fold"), 8);
    assert!(
        store.migrate().await.is_err(),
        "the app user cannot run DDL"
    );
}
