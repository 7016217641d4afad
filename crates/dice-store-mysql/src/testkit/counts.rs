//! The counts table beside the table it counts, read at one moment, for tests
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
/// `rolls` holds, counted here in Rust, both read in one consistent snapshot of
/// `database`: equal when the counts are exact.
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
             FROM `{database}`.rolls"
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
