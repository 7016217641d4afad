//! Recording rolls in one round trip: one multi-row `INSERT` that carries the
//! time, since neither MySQL 8.0 nor Aurora has `RETURNING` to read it back.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use dice_core::{Actor, Dice, Error, NewRoll, Roll, RollId, Timestamp};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, TxOpts, Value};

use crate::counts;
use crate::exec::OpError;
use crate::sql::{self, Counting};

/// One caller's rows within an insert statement.
pub(crate) struct Rows<'a> {
    pub(crate) rolls: &'a [NewRoll],
    pub(crate) created_by: Option<&'a Actor>,
    /// The plain insert's token (see [`plain`](crate::plain)); `None` writes NULL.
    pub(crate) token: Option<&'a RequestToken>,
}

/// Inserts every part's rolls in one statement and returns each part's rolls
/// as stored, in order. Every row carries its part's token, by which
/// [`plain`](crate::plain) finds them again.
///
/// Rows a fold counts later are one statement, atomic on its own (or part of
/// the caller's transaction). Rows their writer counts ([`counting`]) are
/// followed by the upsert of their counts ([`counts::add`]), which must share
/// their transaction: the caller's, or [`insert_alone`]'s.
///
/// `created_at` is stamped here, in UTC at whole seconds, and written with the
/// rows: reading the server's default back would cost a second round trip on
/// every insert. The statement is a "simple insert", for which InnoDB hands out
/// consecutive ids in every lock mode, `id_step` (the session's
/// `auto_increment_increment`) apart; `LAST_INSERT_ID()` is the first. The
/// parts' rows follow each other in the statement, so their ids do too.
pub(crate) async fn insert_rolls<Q: Queryable>(
    conn: &mut Q,
    parts: &[Rows<'_>],
    id_step: &IdStep,
) -> Result<Vec<Vec<Roll>>, OpError> {
    insert_counted(conn, parts, id_step, counting(parts)).await
}

/// [`insert_rolls`], its rows counted by `counting`.
async fn insert_counted<Q: Queryable>(
    conn: &mut Q,
    parts: &[Rows<'_>],
    id_step: &IdStep,
    counting: Counting,
) -> Result<Vec<Vec<Roll>>, OpError> {
    let rows: usize = parts.iter().map(|part| part.rolls.len()).sum();
    let id_step = id_step.get(conn, rows).await?;
    let created_at =
        Timestamp::now().ok_or_else(|| Error::internal("system clock outside 1970..=9999"))?;
    let result = conn
        .exec_iter(
            sql::insert(rows, counting),
            Params::Positional(params(parts, created_at)),
        )
        .await?;
    let first_id = result.last_insert_id();
    result.drop_result().await?;
    let stored = split_ids(parts, first_id, id_step, created_at)?;
    if counting == Counting::Writer {
        counts::add(conn, stored.iter().flatten()).await?;
    }
    Ok(stored)
}

/// The fewest counts a statement's rows must take for its writer to count
/// them. Below, a fold costs less than a transaction's two more round trips
/// and its commit of a second table: a fold costs MariaDB about 20 µs a row,
/// a writer-counted statement about 100 µs more than a plain one.
const WRITER_COUNTS_FROM: usize = 16;

/// Who counts `parts`' rows: a fold, unless they take at least
/// [`WRITER_COUNTS_FROM`] counts between them (each roll one to four, see
/// [`counts::keys`]).
fn counting(parts: &[Rows<'_>]) -> Counting {
    counting_of(parts.iter().flat_map(|part| part.rolls))
}

fn counting_of<'r>(rolls: impl Iterator<Item = &'r NewRoll>) -> Counting {
    let counts: usize = rolls
        .map(|roll| counts::keys_of(roll.rolled_by().is_some(), roll.dice().is_some()))
        .sum();
    if counts >= WRITER_COUNTS_FROM {
        Counting::Writer
    } else {
        Counting::Fold
    }
}

/// How many of `rolls` a fold is left to count, if a statement carries them
/// alone: all, or none. A statement that carries them with others' rows
/// counts them itself at least as often.
pub(crate) fn left_to_fold(rolls: &[NewRoll]) -> usize {
    match counting_of(rolls.iter()) {
        Counting::Fold => rolls.len(),
        Counting::Writer => 0,
    }
}

/// [`insert_rolls`] as a transaction of its own when it takes more than one
/// statement: all of it is committed, or none.
pub(crate) async fn insert_alone(
    conn: &mut Conn,
    parts: &[Rows<'_>],
    id_step: &IdStep,
) -> Result<Vec<Vec<Roll>>, OpError> {
    let counting = counting(parts);
    if counting == Counting::Fold {
        return insert_counted(conn, parts, id_step, counting).await;
    }
    // Dropped on an error before the commit, the transaction is rolled back
    // before the connection is used again.
    let mut tx = conn.start_transaction(TxOpts::default()).await?;
    let stored = insert_counted(&mut tx, parts, id_step, counting).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Each part's rolls as stored, their ids counted from `first_id`, the id the
/// server reported for the statement's first row.
fn split_ids(
    parts: &[Rows<'_>],
    first_id: Option<u64>,
    id_step: u64,
    created_at: Timestamp,
) -> Result<Vec<Vec<Roll>>, OpError> {
    let first_id = first_id
        .and_then(|id| u32::try_from(id).ok())
        .and_then(RollId::new)
        .ok_or_else(|| Error::internal("the insert reported no usable id"))?;

    let mut index = 0_u64;
    let mut stored = Vec::with_capacity(parts.len());
    for part in parts {
        let mut rolls = Vec::with_capacity(part.rolls.len());
        for roll in part.rolls {
            let id = u64::from(first_id.get()) + id_step * index;
            index += 1;
            let id = u32::try_from(id)
                .ok()
                .and_then(RollId::new)
                .ok_or_else(|| Error::internal("the roll id range (INT UNSIGNED) is used up"))?;
            rolls.push(
                roll.clone()
                    .into_roll(id, part.created_by.cloned(), created_at),
            );
        }
        stored.push(rolls);
    }
    Ok(stored)
}

/// The statement's parameters: every part's rows, in order, in the columns of
/// `sql::insert`.
fn params(parts: &[Rows<'_>], created_at: Timestamp) -> Vec<Value> {
    let (year, month, day, hour, minute, second) = created_at.to_civil();
    let created_at_value = Value::Date(year, month, day, hour, minute, second, 0);
    let rows: usize = parts.iter().map(|part| part.rolls.len()).sum();
    let mut params = Vec::with_capacity(rows * sql::INSERT_COLUMNS);
    for part in parts {
        let created_by_value = actor_value(part.created_by);
        let token_value = part
            .token
            .map_or(Value::NULL, |token| Value::from(token.as_bytes()));
        for roll in part.rolls {
            params.push(Value::from(roll.outcome().get()));
            params.push(actor_value(roll.rolled_by()));
            params.push(created_by_value.clone());
            params.push(created_at_value.clone());
            params.push(token_value.clone());
            params.push(roll.dice().map_or(Value::NULL, dice_value));
            params.push(roll.faces().map_or(Value::NULL, faces_value));
        }
    }
    params
}

/// A name for the rows of one plain insert, which no other insert of any
/// writer shares: 64 random bits drawn from the operating system once per
/// process, then 64 bits counting this process's inserts. (Drawing all 128
/// bits for each insert cost a system call per insert.) Two processes share
/// a prefix with odds of about one in 10^19 per pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RequestToken([u8; 16]);

impl RequestToken {
    pub(crate) fn new() -> Result<Self, Error> {
        static PREFIX: OnceLock<Result<[u8; 8], String>> = OnceLock::new();
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let prefix = PREFIX.get_or_init(|| {
            let mut bytes = [0; 8];
            getrandom::fill(&mut bytes)
                .map(|()| bytes)
                .map_err(|err| err.to_string())
        });
        let prefix = prefix
            .as_ref()
            .map_err(|err| Error::internal(format!("no randomness for request tokens: {err}")))?;
        let mut bytes = [0; 16];
        bytes[..8].copy_from_slice(prefix);
        bytes[8..].copy_from_slice(&COUNT.fetch_add(1, Ordering::Relaxed).to_be_bytes());
        Ok(Self(bytes))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A token as read back from the `request_token` column.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        <[u8; 16]>::try_from(bytes)
            .map(Self)
            .map_err(|_| Error::internal(format!("a request token of {} bytes", bytes.len())))
    }
}

/// A notation as the `dice` column holds it: its canonical form.
pub(crate) fn dice_value(dice: &Dice) -> Value {
    Value::from(dice.to_string())
}

/// Faces as the `faces` column holds them: a JSON array without spaces, `[4,1,6]`.
fn faces_value(faces: &[u32]) -> Value {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(faces.len() * 4 + 2);
    text.push('[');
    for (index, face) in faces.iter().enumerate() {
        let comma = if index > 0 { "," } else { "" };
        // Writing to a String cannot fail.
        let _ = write!(text, "{comma}{face}");
    }
    text.push(']');
    Value::from(text)
}

/// An optional actor as a statement parameter: its text, or `NULL`.
pub(crate) fn actor_value(actor: Option<&Actor>) -> Value {
    actor.map_or(Value::NULL, |actor| Value::from(actor.as_str()))
}

/// The server's `auto_increment_increment`, asked once per store, and only when
/// a multi-row insert needs it (it is 1 unless a multi-writer setup changed it).
#[derive(Debug, Default)]
pub(crate) struct IdStep(OnceLock<u64>);

impl IdStep {
    async fn get<Q: Queryable>(&self, conn: &mut Q, rows: usize) -> Result<u64, OpError> {
        if rows <= 1 {
            return Ok(1);
        }
        if let Some(step) = self.0.get() {
            return Ok(*step);
        }
        let step: Option<u64> = conn.query_first(sql::ID_STEP).await?;
        let step = step
            .filter(|s| *s > 0)
            .ok_or_else(|| Error::internal("no auto_increment_increment"))?;
        Ok(*self.0.get_or_init(|| step))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_tokens_share_the_process_prefix_and_never_repeat() {
        let tokens: Vec<RequestToken> = (0..1000).map(|_| RequestToken::new().unwrap()).collect();
        let distinct: std::collections::HashSet<_> = tokens.iter().collect();
        assert_eq!(distinct.len(), tokens.len());
        assert!(tokens.iter().all(|t| t.0[..8] == tokens[0].0[..8]));
        assert_ne!(tokens[0].0[..8], [0; 8], "the prefix is drawn");
    }

    #[test]
    fn faces_are_written_as_a_json_array_that_serde_reads_back() {
        let faces = [4, 1, 6, u32::MAX];
        let Value::Bytes(text) = faces_value(&faces) else {
            panic!("faces are text")
        };
        assert_eq!(text, b"[4,1,6,4294967295]");
        assert_eq!(serde_json::from_slice::<Vec<u32>>(&text).unwrap(), faces);
        assert_eq!(faces_value(&[7]), Value::from("[7]"));
    }
}
