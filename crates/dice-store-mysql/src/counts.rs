//! Stats that cost the same at 100 million rolls as at a thousand: counts of
//! rolls per outcome, kept in `dice_roll_counts` by triggers on `rolls`.
//!
//! # The table
//!
//! One row per (scope, `rolled_by`, `dice`, outcome, slot) holds a count `n`.
//! Each roll is counted in four scopes, one per filter `GET /stats` offers, so
//! that every stats query reads only the rows of its own filter:
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
//! collation; NULL (no roller, no notation) is stored as `''`, which no query
//! asks for.
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
//! `rolls.counted` says whether a row is in the counts; it belongs to this
//! machinery, and other programs leave it to its default:
//!
//! | `counted` | the row |
//! |---|---|
//! | 0 | was written before counting began: the backfill has yet to add it |
//! | 1 | was counted by the insert trigger (the default for new rows) |
//! | 2 | was counted by the statement that wrote it, in its transaction |
//! | 3 | is being added by the backfill (seen only inside its transaction) |
//!
//! # Backfill
//!
//! Rows written before the triggers existed have `counted` = 0. The
//! migration ([`backfill`]) adds them chunk by chunk, each chunk one short
//! transaction that locks only its own rows: it marks them 3, adds their counts from a `GROUP BY`, and marks them
//! counted. An interrupted run leaves whole chunks done or not; running it
//! again goes on where it stopped. Writers wait at most for one chunk.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, TxOpts};

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

/// Adds `$delta` to the four counts of the row `$row` (`NEW` or `OLD`) of a
/// trigger. One statement, so one source of the keys for every trigger.
macro_rules! count_row {
    ($row:literal, $delta:literal) => {
        concat!(
            "INSERT INTO dice_roll_counts (scope, rolled_by, dice, outcome, slot, n) VALUES ",
            "(0, '', '', ",
            $row,
            ".outcome, CONNECTION_ID() % 32, ",
            $delta,
            "), ",
            "(1, COALESCE(CAST(CONVERT(",
            $row,
            ".rolled_by USING utf8mb4) AS BINARY), ''), '', ",
            $row,
            ".outcome, CONNECTION_ID() % 32, ",
            $delta,
            "), ",
            "(2, '', COALESCE(",
            $row,
            ".dice, ''), ",
            $row,
            ".outcome, CONNECTION_ID() % 32, ",
            $delta,
            "), ",
            "(3, COALESCE(CAST(CONVERT(",
            $row,
            ".rolled_by USING utf8mb4) AS BINARY), ''), ",
            "COALESCE(",
            $row,
            ".dice, ''), ",
            $row,
            ".outcome, CONNECTION_ID() % 32, ",
            $delta,
            ") ",
            "ON DUPLICATE KEY UPDATE n = n + (",
            $delta,
            ")"
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
    "ELSEIF NOT (NEW.outcome <=> OLD.outcome AND NEW.rolled_by <=> OLD.rolled_by ",
    "AND NEW.dice <=> OLD.dice) THEN ",
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

/// The counts of the chunk's rows being added, in all four scopes at once.
const ADD_BACKFILLING: &str = "INSERT INTO dice_roll_counts (scope, rolled_by, dice, outcome, slot, n) \
     SELECT s.scope, \
       CASE WHEN s.scope IN (1, 3) THEN COALESCE(CAST(CONVERT(r.rolled_by USING utf8mb4) AS BINARY), '') ELSE '' END AS by_key, \
       CASE WHEN s.scope IN (2, 3) THEN COALESCE(r.dice, '') ELSE '' END AS dice_key, \
       r.outcome, CONNECTION_ID() % 32, COUNT(*) \
     FROM rolls r CROSS JOIN (SELECT 0 AS scope UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) s \
     WHERE r.id BETWEEN ? AND ? AND r.counted = 3 \
     GROUP BY s.scope, by_key, dice_key, r.outcome \
     ON DUPLICATE KEY UPDATE n = n + VALUES(n)";

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
    fn every_trigger_counts_the_same_four_scopes_over_the_same_slots() {
        for trigger in TRIGGERS {
            assert!(trigger.create.contains(trigger.name), "{}", trigger.name);
            for scope in ["(0, ", "(1, ", "(2, ", "(3, "] {
                assert!(trigger.create.contains(scope), "{}: {scope}", trigger.name);
            }
        }
        let spread = "CONNECTION_ID() % 32";
        for sql in [ON_INSERT, ON_DELETE, ADD_BACKFILLING] {
            let upserts = sql.matches("INSERT INTO dice_roll_counts").count();
            assert_eq!(
                sql.matches(spread).count(),
                upserts * if sql == ADD_BACKFILLING { 1 } else { 4 }
            );
        }
        assert_eq!(ON_UPDATE.matches(spread).count(), 3 * 4);
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
