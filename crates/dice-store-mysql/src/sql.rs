//! Every statement the store sends. Values always travel as parameters.
//!
//! Only syntax that both MySQL 8.0 (Aurora MySQL 3) and MariaDB document: no
//! `RETURNING`, no `IF NOT EXISTS` on indexes.

/// The columns of a roll, in the order `rows::roll` reads them.
macro_rules! roll_columns {
    () => {
        "id, outcome, rolled_by, created_by, created_at, dice, faces"
    };
}

/// An exact match on `rolled_by`. The first comparison can use the index under
/// any collation; the second makes it exact where the column's collation
/// ignores case, accents or trailing space (the defaults of both servers do).
macro_rules! by_actor {
    () => {
        "rolled_by = ? AND CAST(rolled_by AS BINARY) = CAST(? AS BINARY)"
    };
}

/// The columns an insert writes, in the order `insert::insert_rolls` binds them.
macro_rules! insert_columns {
    () => {
        "outcome, rolled_by, created_by, created_at, request_token, dice, faces"
    };
}

/// One row's placeholders, one per column of `insert_columns!`.
macro_rules! insert_row {
    () => {
        "(?, ?, ?, ?, ?, ?, ?)"
    };
}

/// Parameters per inserted row.
pub(crate) const INSERT_COLUMNS: usize = 7;

/// The head of an insert whose rows join the tail of rows not counted yet
/// (see `counts`), and one row's placeholders.
macro_rules! insert_head {
    () => {
        concat!("INSERT INTO rolls (", insert_columns!(), ") VALUES ")
    };
}
const INSERT_HEAD: &str = insert_head!();
const INSERT_ROW: &str = insert_row!();

/// The insert of a single roll, the common case, spelled out once; a fold
/// counts it later.
const INSERT_ONE: &str = concat!(insert_head!(), insert_row!());

/// The head of a multi-row insert, whose rows its writer counts (`counted` = 1,
/// see `counts`), and one row's placeholders.
const INSERT_COUNTED_HEAD: &str = concat!(
    "INSERT INTO rolls (",
    insert_columns!(),
    ", counted) VALUES "
);
const INSERT_COUNTED_ROW: &str = "(?, ?, ?, ?, ?, ?, ?, 1)";

/// How far apart the ids of one multi-row insert are.
pub(crate) const ID_STEP: &str = "SELECT @@session.auto_increment_increment";

pub(crate) const GET: &str = concat!("SELECT ", roll_columns!(), " FROM rolls WHERE id = ?");

pub(crate) const LIST: &str = concat!(
    "SELECT ",
    roll_columns!(),
    " FROM rolls WHERE id < ? ORDER BY id DESC LIMIT ?"
);

pub(crate) const LIST_BY_ACTOR: &str = concat!(
    "SELECT ",
    roll_columns!(),
    " FROM rolls WHERE id < ? AND ",
    by_actor!(),
    " ORDER BY id DESC LIMIT ?"
);

/// `head`, then `item` `n` times separated by commas, then `tail`: the one
/// shape of every statement whose length follows its rows.
pub(crate) fn repeated(head: &str, item: &str, n: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + n * (item.len() + 2) + tail.len());
    sql.push_str(head);
    for index in 0..n {
        if index > 0 {
            sql.push_str(", ");
        }
        sql.push_str(item);
    }
    sql.push_str(tail);
    sql
}

/// Where [`by_tokens`] puts the request token: after the roll's columns.
pub(crate) const TOKEN_COLUMN: usize = 7;

/// The rows that the plain inserts with any of `tokens` request tokens wrote,
/// in insert order, each followed by its token.
pub(crate) fn by_tokens(tokens: usize) -> String {
    let head = concat!(
        "SELECT ",
        roll_columns!(),
        ", request_token FROM rolls WHERE request_token IN ("
    );
    repeated(head, "?", tokens, ") ORDER BY id")
}

/// Whether a session is still there. Without the PROCESS privilege a user sees
/// its own sessions only, which are the ones it asks about.
pub(crate) const SESSION_ALIVE: &str =
    "SELECT COUNT(*) FROM information_schema.processlist WHERE id = ?";

/// Ends a session of the same user. Its id cannot be a parameter; it is a number.
pub(crate) fn kill(session: u32) -> String {
    format!("KILL CONNECTION {session}")
}

pub(crate) const KEY_INSERT: &str = "INSERT INTO dice_idempotency_keys \
     (scope, idem_key, request_hash, response) VALUES (?, ?, ?, ?)";

pub(crate) const KEY_READ: &str = "SELECT request_hash, response, \
     created_at < UTC_TIMESTAMP() - INTERVAL ? SECOND \
     FROM dice_idempotency_keys WHERE scope = ? AND idem_key = ?";

pub(crate) const KEY_DELETE_EXPIRED: &str = "DELETE FROM dice_idempotency_keys \
     WHERE scope = ? AND idem_key = ? AND created_at < UTC_TIMESTAMP() - INTERVAL ? SECOND";

pub(crate) const KEYS_PURGE: &str = "DELETE FROM dice_idempotency_keys \
     WHERE created_at < UTC_TIMESTAMP() - INTERVAL ? SECOND LIMIT 1000";

/// Who adds an insert's rows to the stats counts (see `counts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counting {
    /// A fold, later: the rows join the tail.
    Fold,
    /// The writer, in the same transaction: the rows are written with
    /// `counted` = 1.
    Writer,
}

/// An insert of `rows` rolls, counted by `counting`.
pub(crate) fn insert(rows: usize, counting: Counting) -> std::borrow::Cow<'static, str> {
    let (head, row) = match counting {
        Counting::Fold if rows == 1 => return INSERT_ONE.into(),
        Counting::Fold => (INSERT_HEAD, INSERT_ROW),
        Counting::Writer => (INSERT_COUNTED_HEAD, INSERT_COUNTED_ROW),
    };
    repeated(head, row, rows, "").into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_multi_row_insert_has_a_parameter_per_column_and_row() {
        use super::Counting::{Fold, Writer};
        let sql = super::insert(3, Writer);
        assert!(
            sql.ends_with(
                "counted) VALUES (?, ?, ?, ?, ?, ?, ?, 1), (?, ?, ?, ?, ?, ?, ?, 1), (?, ?, ?, ?, ?, ?, ?, 1)"
            ),
            "{sql}"
        );
        assert_eq!(sql.matches('?').count(), 3 * super::INSERT_COLUMNS);
        let sql = super::insert(2, Fold);
        assert!(
            sql.ends_with("faces) VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)"),
            "{sql}"
        );
        assert_eq!(super::insert(1, Fold), super::INSERT_ONE);
        assert_eq!(
            super::INSERT_ONE.matches('?').count(),
            super::INSERT_COLUMNS
        );
    }

    #[test]
    fn token_lookup_has_a_parameter_per_token_and_reads_the_token_last() {
        let sql = super::by_tokens(3);
        assert!(
            sql.ends_with(
                ", request_token FROM rolls WHERE request_token IN (?, ?, ?) ORDER BY id"
            ),
            "{sql}"
        );
        assert_eq!(super::by_tokens(1).matches('?').count(), 1);
    }
}
