//! Stats that cost the same at 100 million rolls as at a thousand: counts of
//! rolls per outcome in `dice_roll_counts`, and the short tail of rolls not
//! counted yet.
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
//! concurrent sessions (a fold, deletes and updates) add to different rows,
//! so they do not queue behind one hot row's lock until commit. A stats read
//! sums the slots; a slot may go below zero (a roll counted in one session,
//! deleted in another), the sum cannot. Any slot is right for any change, so
//! the spread can change freely.
//!
//! # Who counts: folding, or the writer
//!
//! A single insert writes its rows with `counted` = 0 and nothing else:
//! counting it in its own transaction cost it a third more on MariaDB, most
//! of it the commit of a second table, where an index on `counted` costs
//! about nothing. The rows not yet counted, the "tail", are found by that
//! index, and:
//!
//! - stats read the counts and the tail's `GROUP BY` in one statement, one
//!   snapshot ([`STATS`]): exact at every moment, whoever wrote the rows,
//!   at a cost that grows with the tail, not with the table;
//! - [`fold`] moves the tail into the counts, a chunk of rows per short
//!   transaction, and keeps it short: the store folds after every
//!   [`FOLD_EVERY`] rows it inserts, and after a stats read that met a tail
//!   that long (so rows of other programs, the tutorial's handler inserting
//!   directly, are folded too).
//!
//! The store's larger multi-row inserts (batches, and plain inserts
//! coalesced under load) count themselves instead, where a statement's rows
//! take 16 counts or more (`insert::counting`): rows written with `counted` =
//! 1 and their counts summed per key in one upsert ([`add`]), in the same
//! transaction. There the commit is shared by many rows, and a fold would
//! cost each row an update of its own.
//!
//! Deletes and updates keep their triggers, in the writing statement's
//! transaction: a DBA's `DELETE` or `UPDATE` of a counted row moves its
//! counts, and a rolled-back or killed transaction takes its changes with it.
//! `TRUNCATE TABLE rolls` fires no trigger: truncate `dice_roll_counts` with
//! it, or delete instead.
//!
//! `rolls.counted` says whether a row is in the counts; it belongs to this
//! machinery, and other programs leave it to its default:
//!
//! | `counted` | the row |
//! |---|---|
//! | 0 | is not in the counts yet: the tail, which stats add by themselves |
//! | 1 | is in the counts: folded, counted by its writer, or by the insert trigger of schema versions 11 to 15 |
//! | 2 | is in the counts, counted by its writer (versions 11 to 15) |
//! | 3 | was being folded by an earlier release of this store, which marked rows twice (seen only inside its fold's transaction) |
//!
//! # Folding
//!
//! A chunk is the range of ids of up to [`CHUNK`] rows of the tail, found
//! without locks. One transaction adds the counts of the range's rows of the
//! tail from a `GROUP BY`, which locks them, and marks them 1: one pass of
//! updates over the rows, each of which fires the update trigger.
//! A range never ends at the table's newest row: in repeatable read, its
//! locks would reach the gap after it, where inserts go. So writers never
//! wait for a fold (a delete or update of a row being folded waits for that
//! one chunk), and the newest row may stay in the tail until another follows
//! it. Folds may run at once, in any number of processes ([`fold`]); an
//! interrupted fold leaves whole chunks done or not, and the next one goes
//! on. The migration folds the rows written before counting began the same
//! way.

use std::collections::BTreeMap;

use dice_core::Roll;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, IsolationLevel, Params, TxOpts, Value};

use crate::exec::ER_LOCK_DEADLOCK;
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

/// Counted a row as it was inserted, unless its writer counted it (`counted`
/// = 2): schema versions 11 to 15 only, since version 16 drops it and rows
/// are folded instead. After the insert, not before: an `INSERT ... ON
/// DUPLICATE KEY UPDATE` that ends as an update fires the before-insert
/// trigger too.
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
/// counts a row of the tail that another statement updates. A change of
/// `counted` itself is the fold's, which counts by itself.
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

/// The triggers of schema version 11, in the order they are made.
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

/// Rows per chunk of the store's folds: one chunk's transaction takes
/// milliseconds.
pub(crate) const CHUNK: usize = 1_000;

/// Rows per chunk of the migration's fold, which may run over millions of
/// rows written before counting began: fewer transactions, each still short.
pub(crate) const MIGRATION_CHUNK: usize = 5_000;

/// The store folds after inserting this many rows, or reading a tail as long.
pub(crate) const FOLD_EVERY: u64 = 1_000;

/// Up to a chunk and one more ids of the tail after an id, read without locks.
const TAIL: &str = "SELECT id FROM rolls WHERE counted = 0 AND id > ? ORDER BY id LIMIT ?";

/// The newest row's id.
const NEWEST: &str = "SELECT MAX(id) FROM rolls";

/// Adds the counts of a chunk's rows of the tail, in all four scopes at
/// once, each row in the scopes its roller and notation give it (as
/// `count_row!`). In repeatable read, an `INSERT ... SELECT` reads the rows
/// as committed and locks them, shared, with the gaps between them, until
/// the transaction ends: no row of the chunk can be added, changed or
/// removed before [`MARK_COUNTED`]. Both statements read the chunk by
/// primary key: by the index of `counted`, they may scan the whole tail and
/// lock the gap at its end, where inserts go.
const ADD_CHUNK: &str = concat!(
    insert_counts!(),
    "SELECT s.scope, ",
    "CASE WHEN s.scope IN (1, 3) THEN ",
    by_key!("r"),
    " ELSE '' END AS by_key, ",
    "CASE WHEN s.scope IN (2, 3) THEN r.dice ELSE '' END AS dice_key, ",
    "r.outcome, CONNECTION_ID() % 32, COUNT(*) ",
    "FROM rolls r FORCE INDEX (PRIMARY) CROSS JOIN ",
    "(SELECT 0 AS scope UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) s ",
    "WHERE r.id BETWEEN ? AND ? AND r.counted = 0 ",
    "AND (s.scope IN (0, 2) OR r.rolled_by IS NOT NULL) ",
    "AND (s.scope IN (0, 1) OR r.dice IS NOT NULL) ",
    "GROUP BY s.scope, by_key, dice_key, r.outcome ",
    "ON DUPLICATE KEY UPDATE n = n + VALUES(n)"
);

/// Marks the rows [`ADD_CHUNK`] counted: the same rows, which it still holds.
const MARK_COUNTED: &str = "UPDATE rolls FORCE INDEX (PRIMARY) SET counted = 1 \
     WHERE id BETWEEN ? AND ? AND counted = 0";

/// How often a chunk is tried again after a deadlock with another fold of
/// the same rows: both read them, neither can mark them, and the server
/// rolls one back, which then finds them counted.
const DEADLOCK_RETRIES: u32 = 8;

/// Folds the tail, up to `chunks` chunks of up to `rows` rows; returns the
/// rows folded.
///
/// Folds running at once are safe: each counts a row only while it holds
/// it, and only if it is still in the tail. Two that read the same chunk
/// together deadlock when they mark it; the server rolls one back, which
/// tries again and passes over the rows the other counted.
pub(crate) async fn fold(
    conn: &mut Conn,
    rows: usize,
    chunks: usize,
) -> Result<u64, mysql_async::Error> {
    let mut after = 0_u32;
    let mut folded = 0;
    for _ in 0..chunks {
        let ids: Vec<u32> = conn.exec(TAIL, (after, rows + 1)).await?;
        let Some(chunk) = next_chunk(conn, &ids, rows).await? else {
            break;
        };
        folded += fold_chunk(conn, chunk).await?;
        match chunk {
            Chunk::More { last, .. } => after = last,
            Chunk::Last { .. } => break,
        }
    }
    Ok(folded)
}

/// The range of ids one chunk folds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// A whole chunk of the tail, and more after `last`.
    More { first: u32, last: u32 },
    /// The end of the tail.
    Last { first: u32, last: u32 },
}

/// The chunk that `ids` (from `TAIL`) begin, if any. A range that ends at
/// the table's newest row would lock the gap after it, where every insert
/// goes, until the chunk commits: the newest row stays in the tail instead,
/// for a later fold.
async fn next_chunk(
    conn: &mut Conn,
    ids: &[u32],
    rows: usize,
) -> Result<Option<Chunk>, mysql_async::Error> {
    if let [first, .., last, _] = ids
        && ids.len() > rows
    {
        return Ok(Some(Chunk::More {
            first: *first,
            last: *last,
        }));
    }
    let newest: Option<Option<u32>> = conn.query_first(NEWEST).await?;
    Ok(chunk_of_the_end(ids, newest.flatten()))
}

/// The last chunk of the tail `ids`, when `newest` is the table's newest id.
fn chunk_of_the_end(ids: &[u32], newest: Option<u32>) -> Option<Chunk> {
    let ids = match ids {
        [rest @ .., last] if Some(*last) == newest => rest,
        ids => ids,
    };
    match ids {
        [] => None,
        [first, ..] => Some(Chunk::Last {
            first: *first,
            last: ids[ids.len() - 1],
        }),
    }
}

/// Folds the rows of the tail in `chunk`'s range, in one transaction, and
/// returns how many: adds their counts, marks them counted. A deadlock with
/// another fold rolls the chunk back; it is tried again.
async fn fold_chunk(conn: &mut Conn, chunk: Chunk) -> Result<u64, mysql_async::Error> {
    let mut retries = 0;
    loop {
        match fold_chunk_once(conn, chunk).await {
            Err(mysql_async::Error::Server(err))
                if err.code == ER_LOCK_DEADLOCK && retries < DEADLOCK_RETRIES =>
            {
                retries += 1;
            }
            folded => return folded,
        }
    }
}

async fn fold_chunk_once(conn: &mut Conn, chunk: Chunk) -> Result<u64, mysql_async::Error> {
    let (Chunk::More { first, last } | Chunk::Last { first, last }) = chunk;
    // The locks that keep the chunk still are repeatable read's, whatever
    // the server's or session's default.
    let mut opts = TxOpts::default();
    opts.with_isolation_level(IsolationLevel::RepeatableRead);
    let mut tx = conn.start_transaction(opts).await?;
    tx.exec_drop(ADD_CHUNK, (first, last)).await?;
    let folded = if tx.affected_rows() > 0 {
        tx.exec_drop(MARK_COUNTED, (first, last)).await?;
        tx.affected_rows()
    } else {
        0
    };
    tx.commit().await?;
    Ok(folded)
}

/// The keys a roll is counted under: scope, roller's bytes, notation's bytes.
/// The Rust side of `count_row!` and the fold, which tests hold equal.
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

/// Adds `rolls`, just written with `counted` = 1, to the counts: their counts
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

/// The stats of one filter, exact: its counts, slots summed, and the rows
/// of the tail it matches, in one statement and so one snapshot. Answers
/// outcome, count, and how many of those rows came from the tail. A sum
/// below zero would mean the counts were broken; it is read as such.
///
/// The tail is read by the index of `counted`, whatever the filter: by a
/// roller's index, a stats call would read all of that roller's rolls.
///
/// Parameters: scope, roller's bytes, notation (the counts' keys, `''` when
/// absent), then the roller three times and the notation twice, `NULL`
/// when absent.
pub(crate) const STATS: &str = concat!(
    "SELECT outcome, CAST(SUM(n) AS SIGNED), CAST(SUM(tail) AS SIGNED) FROM (",
    "SELECT outcome, n, 0 AS tail FROM dice_roll_counts ",
    "WHERE scope = ? AND rolled_by = ? AND dice = ? ",
    "UNION ALL ",
    "SELECT outcome, COUNT(*), COUNT(*) FROM rolls FORCE INDEX (idx_rolls_counted) ",
    "WHERE counted = 0 ",
    "AND (? IS NULL OR rolled_by = ? AND CAST(rolled_by AS BINARY) = CAST(? AS BINARY)) ",
    "AND (? IS NULL OR dice = ?) ",
    "GROUP BY outcome",
    ") AS both_parts GROUP BY outcome HAVING SUM(n) <> 0"
);

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
        assert_eq!(ADD_CHUNK.matches(spread).count(), 1);
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
    }

    #[test]
    fn the_scope_follows_the_filters() {
        assert_eq!(scope(false, false), 0);
        assert_eq!(scope(true, false), 1);
        assert_eq!(scope(false, true), 2);
        assert_eq!(scope(true, true), 3);
    }

    #[test]
    fn a_fold_counts_then_marks_the_same_rows_of_the_tail_by_primary_key() {
        for sql in [ADD_CHUNK, MARK_COUNTED] {
            assert!(sql.contains("id BETWEEN ? AND ? AND "), "{sql}");
            assert!(sql.contains(" FORCE INDEX (PRIMARY) "), "{sql}");
            assert_eq!(sql.matches('?').count(), 2, "{sql}");
        }
        assert!(ADD_CHUNK.starts_with("INSERT INTO ") && ADD_CHUNK.contains("r.counted = 0 "));
        assert!(MARK_COUNTED.contains("SET counted = 1 ") && MARK_COUNTED.ends_with("counted = 0"));
        // The update trigger leaves a change of `counted` to the fold.
        assert!(ON_UPDATE.contains("IF NEW.counted = OLD.counted THEN "));
    }

    #[test]
    fn the_tail_is_folded_up_to_but_not_including_the_tables_newest_row() {
        let last = |first, last| Some(Chunk::Last { first, last });
        assert_eq!(chunk_of_the_end(&[3, 5, 9], Some(9)), last(3, 5));
        assert_eq!(chunk_of_the_end(&[3, 5, 9], Some(12)), last(3, 9));
        assert_eq!(chunk_of_the_end(&[9], Some(9)), None);
        assert_eq!(chunk_of_the_end(&[9], Some(10)), last(9, 9));
        assert_eq!(chunk_of_the_end(&[], Some(10)), None);
    }

    #[test]
    fn stats_take_a_parameter_for_each_key_and_filter() {
        assert_eq!(STATS.matches('?').count(), 3 + 3 + 2);
        assert!(STATS.contains("FROM rolls FORCE INDEX (idx_rolls_counted) WHERE counted = 0 "));
    }
}
