//! The counts table beside the rows it counts, read at one moment, for tests
//! that the counts stay exact whatever happens to the rolls.

use std::collections::BTreeMap;

use mysql_async::prelude::Queryable;

/// One count: scope, `rolled_by` as UTF-8 bytes, `dice`, outcome.
pub type CountKey = (u8, Vec<u8>, Vec<u8>, u32);

/// A row of `dice_roll_counts`, slots summed: its key and count.
type CountRow = (u8, Vec<u8>, Vec<u8>, u32, i64);
/// A row of `rolls` as counting sees it: `rolled_by` as UTF-8, `dice`, outcome.
type RollRow = (Option<Vec<u8>>, Option<Vec<u8>>, u32);

/// What `dice_roll_counts` says, slots summed and zero sums left out, and what
/// the rows of `rolls` it claims to hold (`counted` not 0, see the store's
/// `counts`) hold, counted here in Rust, both read in one consistent snapshot
/// of `database`: equal when the counts are exact.
pub async fn counts_and_rolls(
    conn: &mut mysql_async::Conn,
    database: &str,
) -> (BTreeMap<CountKey, i64>, BTreeMap<CountKey, i64>) {
    conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        .await
        .unwrap();
    let kept: Vec<CountRow> = conn
        .query(format!(
            "SELECT scope, rolled_by, dice, outcome, CAST(SUM(n) AS SIGNED) \
             FROM `{database}`.dice_roll_counts GROUP BY scope, rolled_by, dice, outcome \
             HAVING SUM(n) <> 0"
        ))
        .await
        .unwrap();
    let rows: Vec<RollRow> = conn
        .query(format!(
            "SELECT CAST(CONVERT(rolled_by USING utf8mb4) AS BINARY), dice, outcome \
             FROM `{database}`.rolls WHERE counted <> 0"
        ))
        .await
        .unwrap();
    conn.query_drop("COMMIT").await.unwrap();

    let counts = kept
        .into_iter()
        .map(|(scope, by, dice, outcome, n)| ((scope, by, dice, outcome), n))
        .collect();
    let mut table = BTreeMap::new();
    for (by, dice, outcome) in rows {
        for (scope, by, dice) in crate::counts::keys(by.as_deref(), dice.as_deref()) {
            *table
                .entry((scope, by.to_vec(), dice.to_vec(), outcome))
                .or_insert(0) += 1;
        }
    }
    (counts, table)
}

/// How many rows of `database` are not in the counts yet: the tail, which
/// stats add by themselves.
pub async fn tail(conn: &mut mysql_async::Conn, database: &str) -> u64 {
    count(
        conn,
        &format!("SELECT COUNT(*) FROM `{database}`.rolls WHERE counted = 0"),
    )
    .await
}

/// Folds with `store` until no row of `database` but maybe the newest (which
/// a fold leaves, see the store's `counts`) is left out of the counts;
/// another fold may hold the lock for a moment. Fails after 200 tries.
pub async fn fold_all(store: &crate::MysqlStore, conn: &mut mysql_async::Conn, database: &str) {
    let older = format!(
        "SELECT COUNT(*) FROM `{database}`.rolls \
         WHERE counted = 0 AND id < (SELECT MAX(id) FROM `{database}`.rolls)"
    );
    for _ in 0..200 {
        if count(conn, &older).await == 0 {
            return;
        }
        if store.fold().await.unwrap() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    panic!("rows of {database} were left out of the counts after 200 folds");
}

async fn count(conn: &mut mysql_async::Conn, sql: &str) -> u64 {
    let n: Option<u64> = conn.query_first(sql).await.unwrap();
    n.unwrap_or(0)
}
