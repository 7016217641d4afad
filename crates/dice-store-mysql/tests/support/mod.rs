//! What the MySQL store's tests share beyond the crate's `testkit`: a TCP
//! proxy that makes faults.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod proxy;

// Not every test file uses every helper.
#[allow(unused_imports)]
pub use dice_store_mysql::testkit::*;

use std::time::Duration;

use dice_core::Error;
use dice_store_mysql::testkit::rds;

/// Fails unless `result` is `Unavailable` with a wait to retry after.
pub fn assert_unavailable<T: std::fmt::Debug>(result: Result<T, Error>) {
    match result {
        Err(Error::Unavailable { retry_after, .. }) => assert!(retry_after > Duration::ZERO),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

/// Fails unless `result` says the outcome of a write is unknown.
pub fn assert_outcome_unknown<T: std::fmt::Debug>(result: Result<T, Error>) {
    match result {
        Err(err @ Error::OutcomeUnknown { .. }) => {
            assert_eq!(err.code().as_str(), "outcome_unknown");
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
}

/// A user with the grants of `deploy/app-user.sql` (with a password instead
/// of IAM, and less `REQUIRE SSL`: the test server has no TLS) on `db`,
/// dropped with it; returns its URL.
pub async fn app_user(db: &TestDb) -> String {
    use mysql_async::prelude::Queryable;

    let user = db.track_user("a");
    let password = "app-user-pa55word";
    let sql = include_str!("../../../../deploy/app-user.sql").replace(" REQUIRE SSL", "");
    let identified = format!("IDENTIFIED BY '{password}'");
    let mut conn = admin().await;
    for statement in rds::app_user_statements(&sql, &user, &db.name, &identified) {
        conn.query_drop(statement).await.unwrap();
    }
    conn.disconnect().await.unwrap();
    db.url_as(&user, password)
}
