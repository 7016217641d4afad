//! Stats that cost the same at 100 million rolls as at a thousand: counts of
//! rolls per outcome, kept in `dice_roll_counts` by triggers on `rolls`.
//!
//! # The table
//!
//! One row per (scope, `rolled_by`, `dice`, outcome, slot) holds a count `n`.
//! Each roll is counted in up to four scopes, one per filter `GET /stats`
//! offers, so that every stats query reads only the rows of its own filter:
//!
//! | scope | `rolled_by` | `dice` | answers |
//! |---|---|---|---|
//! | 0 | `''` | `''` | `/stats` |
//! | 1 | the roller | `''` | `/stats?rolled_by=` |
//! | 2 | `''` | the notation | `/stats?dice=` |
//! | 3 | the roller | the notation | both |
//!
//! Keys are bytes (`VARBINARY`): `rolled_by` as UTF-8, so a name matches
//! exactly (case, accents, trailing spaces) whatever `rolls.rolled_by`'s
//! collation. A roll without a roller is counted in no roller's scope, one
//! without a notation in no notation's (no query asks for them), so the
//! tutorial's rolls cost one count each, not four.
//!
//! Each count is spread over 32 rows ("slots") by the writer's session id:
//! concurrent sessions add to different rows, so inserts do not queue behind
//! one hot row's lock until commit. A stats read sums the slots; a slot may go
//! below zero (a roll counted in one session, deleted in another), the sum
//! cannot. Any slot is right for any change, so the spread can change freely.
//!
//! # Who counts
//!
//! Triggers, in the writing statement's transaction: every writer is counted,
//! the store and any other program (the tutorial's handler inserting directly,
//! a DBA's `DELETE` or `UPDATE`), and a rolled-back or killed transaction takes
//! its counts with it. `TRUNCATE TABLE rolls` fires no trigger: truncate
//! `dice_roll_counts` with it, or delete instead.
//!
//! The one exception is the store's own larger multi-row inserts (batches,
//! and plain inserts coalesced under load): a trigger costs about 10 µs per
//! count a row takes, most of a multi-row insert's time, where the same
//! counts summed per key are one small upsert. When a statement's rows take
//! 16 counts or more (`insert::counting`), they are written with `counted` =
//! 2, which the insert trigger passes over, and [`add`] counts them in the
//! same transaction. Deletes and updates of them are the triggers' again.
//!
//! `rolls.counted` says whether a row is in the counts; it belongs to this
//! machinery, and other programs leave it to its default:
//!
//! | `counted` | the row |
//! |---|---|
//! | 0 | was written before counting began: the backfill has yet to add it |
//! | 1 | was counted by the insert trigger (the default for new rows) |
//! | 2 | was counted by its writer, in the transaction that wrote it |
//! | 3 | is being added by the backfill (seen only inside its transaction) |
//!
//! # Backfill
//!
//! Rows written before the triggers existed have `counted` = 0. The
//! migration ([`backfill`]) adds them chunk by chunk, each chunk one short
//! transaction that locks only its own rows: it marks them 3, adds their
//! counts from a `GROUP BY`, and marks them counted. An interrupted run
//! leaves whole chunks done or not; running it again goes on where it
//! stopped. Writers wait at most for one chunk.

use std::collections::BTreeMap;

use dice_core::Roll;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, TxOpts, Value};

use crate::sql;

/// The counts table. `n` is signed: one slot may go below zero.
pub(crate) const CREATE_COUNTS: &str = "CREATE TABLE IF NOT EXISTS dice_roll_counts (
  scope TINYINT UNSIGNED NOT NULL,
  rolled_by VARBINARY(240) NOT NULL,
  dice VARBINARY(64) NOT NULL,
  outcome INT UNSIGNED NOT NULL,
  slot TINYINT UNSIGNED NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (scope, rolled_by, dice, outcome, slot)
) ENGINE=InnoDB";

/// The key of a row's roller in the counts, from its column in a trigger
/// (`NEW` or `OLD`) or a query (`r`): its UTF-8 bytes.
macro_rules! by_key {
    ($row:literal) => {
        concat!(
            "CAST(CONVERT(",
            $row,
            ".rolled_by USING utf8mb4) AS BINARY)"
        )
    };
}

/// One count's values for the row `$row` of a trigger, in scope `$scope`.
macro_rules! count_value {
    ($scope:literal, $by:expr, $dice:expr, $row:literal, $delta:literal) => {
        concat!(
            "(",
            $scope,
            ", ",
            $by,
            ", ",
            $dice,
            ", ",
            $row,
            ".outcome, CONNECTION_ID() % 32, ",
            $delta,
            ")"
        )
    };
}

/// The head of every write of counts: the trigger's, the backfill's and the
/// store's own.
macro_rules! insert_counts {
    () => {
        "INSERT INTO dice_roll_counts (scope, rolled_by, dice, outcome, slot, n) "
    };
}

/// One upsert of the counts `$values` (each `count_value!`) by `$delta`.
macro_rules! upsert {
    ($delta:literal, $first:expr $(, $values:expr)*) => {
        concat!(
            insert_counts!(),
            "VALUES ",
            $first,
            $(", ", $values,)*
            " ON DUPLICATE KEY UPDATE n = n + (", $delta, "); "
        )
    };
}

/// Adds `$delta` to the counts of the row `$row` (`NEW` or `OLD`) of a
/// trigger: scope 0 always, the roller's scopes when it has a roller, the
/// notation's when it has a notation ([`keys`] in Rust). One statement per
/// case, since a trigger's cost is mostly per statement.
macro_rules! count_row {
    ($row:literal, $delta:literal) => {
        concat!(
            "IF ",
            $row,
            ".rolled_by IS NULL AND ",
            $row,
            ".dice IS NULL THEN ",
            upsert!($delta, count_value!("0", "''", "''", $row, $delta)),
            "ELSEIF ",
            $row,
            ".dice IS NULL THEN ",
            upsert!(
                $delta,
                count_value!("0", "''", "''", $row, $delta),
                count_value!("1", by_key!($row), "''", $row, $delta)
            ),
            "ELSEIF ",
            $row,
            ".rolled_by IS NULL THEN ",
            upsert!(
                $delta,
                count_value!("0", "''", "''", $row, $delta),
                count_value!("2", "''", concat!($row, ".dice"), $row, $delta)
            ),
            "ELSE ",
            upsert!(
                $delta,
                count_value!("0", "''", "''", $row, $delta),
                count_value!("1", by_key!($row), "''", $row, $delta),
                count_value!("2", "''", concat!($row, ".dice"), $row, $delta),
                count_value!("3", by_key!($row), concat!($row, ".dice"), $row, $delta)
            ),
            "END IF"
        )
    };
}

/// A trigger, created unless one of that name exists (MySQL 8.0 before 8.0.29
/// has no `CREATE TRIGGER IF NOT EXISTS`).
pub(crate) struct Trigger {
    pub(crate) name: &'static str,
    pub(crate) create: &'static str,
}

/// Counts a row as it is inserted, unless its writer counts it (`counted` =
/// 2). After the insert, not before: an `INSERT ... ON DUPLICATE KEY UPDATE`
/// that ends as an update fires the before-insert trigger too.
const ON_INSERT: &str = concat!(
    "CREATE TRIGGER dice_counts_on_insert AFTER INSERT ON rolls FOR EACH ROW BEGIN ",
    "IF NEW.counted = 1 THEN ",
    count_row!("NEW", "1"),
    "; END IF; END"
);

/// Takes a counted row out of the counts.
const ON_DELETE: &str = concat!(
    "CREATE TRIGGER dice_counts_on_delete AFTER DELETE ON rolls FOR EACH ROW BEGIN ",
    "IF OLD.counted IN (1, 2) THEN ",
    count_row!("OLD", "-1"),
    "; END IF; END"
);

/// Moves a counted row's count when its outcome, roller or notation change;
/// counts a row not yet counted that another statement updates. A change of
/// `counted` itself is the backfill's, which counts by itself.
const ON_UPDATE: &str = concat!(
    "CREATE TRIGGER dice_counts_on_update BEFORE UPDATE ON rolls FOR EACH ROW BEGIN ",
    "IF NEW.counted = OLD.counted THEN ",
    "IF OLD.counted = 0 THEN ",
    count_row!("NEW", "1"),
    "; SET NEW.counted = 1; ",
    // Bytes, not the column's collation: a change of case or trailing space
    // is another roller.
    "ELSEIF NOT (NEW.outcome <=> OLD.outcome AND NEW.dice <=> OLD.dice ",
    "AND CAST(NEW.rolled_by AS BINARY) <=> CAST(OLD.rolled_by AS BINARY)) THEN ",
    count_row!("OLD", "-1"),
    "; ",
    count_row!("NEW", "1"),
    "; END IF; END IF; END"
);

/// The triggers, in the order they are made.
pub(crate) const TRIGGERS: &[Trigger] = &[
    Trigger {
        name: "dice_counts_on_insert",
        create: ON_INSERT,
    },
    Trigger {
        name: "dice_counts_on_delete",
        create: ON_DELETE,
    },
    Trigger {
        name: "dice_counts_on_update",
        create: ON_UPDATE,
    },
];

/// Ids per backfill chunk: a chunk's transaction is short (tens of
/// milliseconds), so a writer never waits long on its locks.
const CHUNK: u32 = 5_000;

const ID_RANGE: &str = "SELECT MIN(id), MAX(id) FROM rolls";

const MARK_BACKFILLING: &str =
    "UPDATE rolls SET counted = 3 WHERE id BETWEEN ? AND ? AND counted = 0";

/// The counts of the chunk's rows being added, in all four scopes at once,
/// each row in the scopes its roller and notation give it (as `count_row!`).
const ADD_BACKFILLING: &str = concat!(
    insert_counts!(),
    "SELECT s.scope, ",
    "CASE WHEN s.scope IN (1, 3) THEN ",
    by_key!("r"),
    " ELSE '' END AS by_key, ",
    "CASE WHEN s.scope IN (2, 3) THEN r.dice ELSE '' END AS dice_key, ",
    "r.outcome, CONNECTION_ID() % 32, COUNT(*) ",
    "FROM rolls r CROSS JOIN ",
    "(SELECT 0 AS scope UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) s ",
    "WHERE r.id BETWEEN ? AND ? AND r.counted = 3 ",
    "AND (s.scope IN (0, 2) OR r.rolled_by IS NOT NULL) ",
    "AND (s.scope IN (0, 1) OR r.dice IS NOT NULL) ",
    "GROUP BY s.scope, by_key, dice_key, r.outcome ",
    "ON DUPLICATE KEY UPDATE n = n + VALUES(n)"
);

const MARK_COUNTED: &str = "UPDATE rolls SET counted = 1 WHERE id BETWEEN ? AND ? AND counted = 3";

/// Adds every row not yet counted to the counts, a chunk of ids per
/// transaction, from the lowest id to the highest. Rows written meanwhile are
/// counted by the triggers already.
pub(crate) async fn backfill(conn: &mut Conn) -> Result<(), mysql_async::Error> {
    let range: Option<(Option<u32>, Option<u32>)> = conn.query_first(ID_RANGE).await?;
    let Some((Some(lowest), Some(highest))) = range else {
        return Ok(());
    };
    let mut first = lowest;
    while first <= highest {
        let last = first.saturating_add(CHUNK - 1).min(highest);
        backfill_chunk(conn, first, last).await?;
        match last.checked_add(1) {
            Some(next) => first = next,
            None => break,
        }
    }
    Ok(())
}

async fn backfill_chunk(conn: &mut Conn, first: u32, last: u32) -> Result<(), mysql_async::Error> {
    let mut tx = conn.start_transaction(TxOpts::default()).await?;
    tx.exec_drop(MARK_BACKFILLING, (first, last)).await?;
    if tx.affected_rows() > 0 {
        tx.exec_drop(ADD_BACKFILLING, (first, last)).await?;
        tx.exec_drop(MARK_COUNTED, (first, last)).await?;
    }
    tx.commit().await
}

/// The keys a roll is counted under: scope, roller's bytes, notation's bytes.
/// The Rust side of `count_row!` and the backfill, which tests hold equal.
pub(crate) fn keys<'a>(
    rolled_by: Option<&'a [u8]>,
    dice: Option<&'a [u8]>,
) -> impl Iterator<Item = (u8, &'a [u8], &'a [u8])> {
    let none: &[u8] = &[];
    [
        Some((0, none, none)),
        rolled_by.map(|by| (1, by, none)),
        dice.map(|dice| (2, none, dice)),
        rolled_by.zip(dice).map(|(by, dice)| (3, by, dice)),
    ]
    .into_iter()
    .flatten()
}

/// How many counts a roll takes: as many as [`keys`] gives it.
pub(crate) fn keys_of(has_roller: bool, has_dice: bool) -> usize {
    let present: &[u8] = &[];
    keys(has_roller.then_some(present), has_dice.then_some(present)).count()
}

/// Adds `rolls`, just written with `counted` = 2, to the counts: their counts
/// summed per key, in one upsert, in key order (so that two writers lock the
/// rows they share in the same order). The caller's transaction must be the
/// one that wrote them.
pub(crate) async fn add<'r, Q: Queryable>(
    conn: &mut Q,
    rolls: impl Iterator<Item = &'r Roll>,
) -> Result<(), mysql_async::Error> {
    let mut sums: BTreeMap<(u8, Vec<u8>, Vec<u8>, u32), i64> = BTreeMap::new();
    for roll in rolls {
        let by = roll
            .rolled_by
            .as_ref()
            .map(|actor| actor.as_str().as_bytes());
        let dice = roll.dice.as_ref().map(ToString::to_string);
        for (scope, by, dice) in keys(by, dice.as_deref().map(str::as_bytes)) {
            let key = (scope, by.to_vec(), dice.to_vec(), roll.outcome.get());
            *sums.entry(key).or_insert(0) += 1;
        }
    }
    if sums.is_empty() {
        return Ok(());
    }
    let mut params = Vec::with_capacity(sums.len() * 5);
    for ((scope, by, dice, outcome), n) in &sums {
        params.extend([
            Value::from(*scope),
            Value::from(by.as_slice()),
            Value::from(dice.as_slice()),
            Value::from(*outcome),
            Value::from(*n),
        ]);
    }
    conn.exec_drop(add_sql(sums.len()), Params::Positional(params))
        .await
}

/// The upsert of `keys` summed counts, in the writer's slot.
fn add_sql(keys: usize) -> String {
    const HEAD: &str = concat!(insert_counts!(), "VALUES ");
    const ROW: &str = "(?, ?, ?, ?, CONNECTION_ID() % 32, ?)";
    const TAIL: &str = " ON DUPLICATE KEY UPDATE n = n + VALUES(n)";
    sql::repeated(HEAD, ROW, keys, TAIL)
}

/// The stats of one scope: outcomes and their counts, slots summed. A sum
/// below zero would mean the counts were broken; it is read as such.
pub(crate) const STATS: &str = "SELECT outcome, CAST(SUM(n) AS SIGNED) FROM dice_roll_counts \
     WHERE scope = ? AND rolled_by = ? AND dice = ? GROUP BY outcome HAVING SUM(n) <> 0";

/// The scope that answers a stats query, by which filters it has.
pub(crate) fn scope(by_roller: bool, by_dice: bool) -> u8 {
    u8::from(by_roller) + 2 * u8::from(by_dice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_trigger_counts_each_kind_of_row_in_its_scopes_over_the_same_slots() {
        let spread = "CONNECTION_ID() % 32";
        for trigger in TRIGGERS {
            assert!(trigger.create.contains(trigger.name), "{}", trigger.name);
            for scope in ["(0, ", "(1, ", "(2, ", "(3, "] {
                assert!(trigger.create.contains(scope), "{}: {scope}", trigger.name);
            }
        }
        // Per counting of a row: the four cases hold 1 + 2 + 2 + 4 counts.
        for (sql, countings) in [(ON_INSERT, 1), (ON_DELETE, 1), (ON_UPDATE, 3)] {
            assert_eq!(sql.matches(spread).count(), countings * 9);
            assert_eq!(
                sql.matches("INSERT INTO dice_roll_counts").count(),
                countings * 4
            );
        }
        assert_eq!(ADD_BACKFILLING.matches(spread).count(), 1);
        assert!(add_sql(3).ends_with(
            "(?, ?, ?, ?, CONNECTION_ID() % 32, ?), (?, ?, ?, ?, CONNECTION_ID() % 32, ?), \
             (?, ?, ?, ?, CONNECTION_ID() % 32, ?) ON DUPLICATE KEY UPDATE n = n + VALUES(n)"
        ));
    }

    #[test]
    fn a_roll_is_counted_under_the_scopes_of_what_it_has() {
        let scopes = |by: Option<&[u8]>, dice: Option<&[u8]>| -> Vec<u8> {
            keys(by, dice).map(|(scope, _, _)| scope).collect()
        };
        assert_eq!(scopes(None, None), [0]);
        assert_eq!(scopes(Some(b"ann"), None), [0, 1]);
        assert_eq!(scopes(None, Some(b"2d6")), [0, 2]);
        assert_eq!(scopes(Some(b"ann"), Some(b"2d6")), [0, 1, 2, 3]);
        let all: Vec<_> = keys(Some(b"ann"), Some(b"2d6")).collect();
        assert_eq!(all[3], (3, &b"ann"[..], &b"2d6"[..]));
        assert_eq!(all[1], (1, &b"ann"[..], &b""[..]));
        assert_eq!(keys_of(false, false), 1);
        assert_eq!(keys_of(true, false), 2);
        assert_eq!(keys_of(false, true), 2);
        assert_eq!(keys_of(true, true), 4);
    }

    #[test]
    fn the_scope_follows_the_filters() {
        assert_eq!(scope(false, false), 0);
        assert_eq!(scope(true, false), 1);
        assert_eq!(scope(false, true), 2);
        assert_eq!(scope(true, true), 3);
    }

    #[test]
    fn the_backfill_marks_its_rows_with_a_state_no_writer_uses() {
        assert!(
            MARK_BACKFILLING.contains("SET counted = 3 ")
                && MARK_BACKFILLING.ends_with("counted = 0")
        );
        assert!(ADD_BACKFILLING.contains("r.counted = 3 "));
        assert!(MARK_COUNTED.contains("SET counted = 1 ") && MARK_COUNTED.ends_with("counted = 3"));
        assert!(!ON_INSERT.contains("= 3") && !ON_UPDATE.contains("= 3"));
    }
}
