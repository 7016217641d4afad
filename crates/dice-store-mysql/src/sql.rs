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
macro_rules! insert_head {
    () => {
        "INSERT INTO rolls (outcome, rolled_by, created_by, created_at, request_token, dice, faces) VALUES "
    };
}

/// One row's placeholders.
macro_rules! insert_row {
    () => {
        "(?, ?, ?, ?, ?, ?, ?)"
    };
}

pub(crate) const INSERT_HEAD: &str = insert_head!();
pub(crate) const INSERT_ROW: &str = insert_row!();
/// Parameters per inserted row.
pub(crate) const INSERT_COLUMNS: usize = 7;

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
    let mut sql = String::with_capacity(head.len() + tokens * 3 + 16);
    sql.push_str(head);
    for token in 0..tokens {
        sql.push_str(if token == 0 { "?" } else { ", ?" });
    }
    sql.push_str(") ORDER BY id");
    sql
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

/// The insert of a single roll, the common case, spelled out once.
const INSERT_ONE: &str = concat!(insert_head!(), insert_row!());

/// A multi-row insert of `rows` rolls.
pub(crate) fn insert(rows: usize) -> std::borrow::Cow<'static, str> {
    if rows == 1 {
        return INSERT_ONE.into();
    }
    let mut sql = String::with_capacity(INSERT_HEAD.len() + rows * (INSERT_ROW.len() + 2));
    sql.push_str(INSERT_HEAD);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str(INSERT_ROW);
    }
    sql.into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn multi_row_insert_has_a_parameter_per_column_and_row() {
        let sql = super::insert(3);
        assert!(
            sql.ends_with(
                "VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)"
            ),
            "{sql}"
        );
        assert_eq!(sql.matches('?').count(), 3 * super::INSERT_COLUMNS);
        assert_eq!(
            super::insert(1),
            format!("{}{}", super::INSERT_HEAD, super::INSERT_ROW)
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
