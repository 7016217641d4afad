//! A multi-row insert whose writer counts its rows, as one transaction in one
//! round trip: `START TRANSACTION`, the rows, the upsert of their counts and
//! `COMMIT`, sent as one multi-statement text query.
//!
//! Sent as four commands, each waits for the one before: four round trips,
//! and on a busy server four turns of its thread, for one commit. Coalesced
//! statements under load and batches pay that per statement, so one query
//! carries all four. Prepared statements cannot travel together, so the
//! values are written into the text, each as a literal that needs no
//! escaping whatever it holds: numbers, hexadecimal strings (`X'..'`, with
//! the `_utf8mb4` introducer for text, converted to the column's character
//! set as a parameter would be), the time from its digits, and faces as the
//! JSON array of digits the store writes.
//!
//! The server stops at the first statement that fails, so the `COMMIT`
//! after it never runs and the transaction is left open: it is rolled back
//! here before the error is returned, or the connection is lost, which rolls
//! it back too. Either way a refused statement wrote nothing.

use std::fmt::Write as _;

use dice_core::{Actor, Error, Roll, Timestamp};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use crate::counts::{self, Sums};
use crate::exec::OpError;
use crate::insert::{IdStep, Rows, split_ids};
use crate::sql;

/// Inserts every part's rolls with `counted` = 1 and adds their counts, all
/// committed or none, in one round trip; returns each part's rolls as stored.
pub(crate) async fn insert_counted(
    conn: &mut Conn,
    parts: &[Rows<'_>],
    id_step: &IdStep,
) -> Result<Vec<Vec<Roll>>, OpError> {
    let rows: usize = parts.iter().map(|part| part.rolls.len()).sum();
    let id_step = id_step.get(conn, rows).await?;
    let created_at =
        Timestamp::now().ok_or_else(|| Error::internal("system clock outside 1970..=9999"))?;
    let first_id = match send(conn, query(parts, created_at), rows).await {
        Ok(first_id) => first_id,
        Err(err) => {
            if matches!(err, mysql_async::Error::Server(_)) {
                // A failure here leaves the connection broken, which ends
                // the transaction as surely.
                let _ = conn.query_drop("ROLLBACK").await;
            }
            return Err(err.into());
        }
    };
    split_ids(parts, first_id, id_step, created_at)
}

/// Sends `query` and reads its four answers; returns the id of the first
/// row inserted, after checking that all `rows` were.
async fn send(
    conn: &mut Conn,
    query: String,
    rows: usize,
) -> Result<Option<u64>, mysql_async::Error> {
    let mut result = conn.query_iter(query).await?;
    // The answer to `START TRANSACTION`; reading it moves on to the insert's.
    result.collect::<Row>().await?;
    let (first_id, inserted) = (result.last_insert_id(), result.affected_rows());
    result.drop_result().await?;
    if inserted != rows as u64 {
        let why = format!("an insert of {rows} rows reported {inserted}");
        return Err(mysql_async::Error::Other(why.into()));
    }
    Ok(first_id)
}

/// The transaction's text: its rows in the columns of `sql::insert`, then
/// their counts.
fn query(parts: &[Rows<'_>], created_at: Timestamp) -> String {
    let (year, month, day, hour, minute, second) = created_at.to_civil();
    let created_at = format!("'{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}'");
    let mut text = String::with_capacity(256 + 128 * parts.len());
    text.push_str("START TRANSACTION; ");
    text.push_str(sql::INSERT_COUNTED_HEAD);
    let mut first = true;
    for part in parts {
        let mut common = String::new();
        push_text(&mut common, part.created_by.map(Actor::as_str));
        common.push_str(", ");
        common.push_str(&created_at);
        common.push_str(", ");
        push_hex(&mut common, part.token.map(|token| token.as_bytes()));
        for roll in part.rolls {
            if !first {
                text.push_str(", ");
            }
            first = false;
            let _ = write!(text, "({}, ", roll.outcome().get());
            push_text(&mut text, roll.rolled_by().map(Actor::as_str));
            let _ = write!(text, ", {common}, ");
            push_text(&mut text, roll.dice().map(ToString::to_string).as_deref());
            text.push_str(", ");
            push_faces(&mut text, roll.faces());
            text.push_str(", 1)");
        }
    }
    text.push_str("; ");
    push_upsert(
        &mut text,
        &counts::sums(parts.iter().flat_map(|part| {
            part.rolls
                .iter()
                .map(|roll| (roll.rolled_by(), roll.dice(), roll.outcome()))
        })),
    );
    text.push_str("COMMIT");
    text
}

/// The upsert of `sums` with its `; `, or nothing when there is none.
fn push_upsert(text: &mut String, sums: &Sums) {
    if sums.is_empty() {
        return;
    }
    text.push_str(counts::ADD_HEAD);
    for (index, ((scope, by, dice, outcome), n)) in sums.iter().enumerate() {
        if index > 0 {
            text.push_str(", ");
        }
        let _ = write!(text, "({scope}, ");
        push_hex(text, Some(by));
        text.push_str(", ");
        push_hex(text, Some(dice));
        let _ = write!(text, ", {outcome}, CONNECTION_ID() % 32, {n})");
    }
    text.push_str(counts::ADD_TAIL);
    text.push_str("; ");
}

/// Text as a UTF-8 string literal, or `NULL`.
fn push_text(text: &mut String, value: Option<&str>) {
    match value {
        Some(value) => {
            text.push_str("_utf8mb4 ");
            push_hex(text, Some(value.as_bytes()));
        }
        None => text.push_str("NULL"),
    }
}

/// Bytes as a hexadecimal string literal, or `NULL`.
fn push_hex(text: &mut String, bytes: Option<&[u8]>) {
    match bytes {
        Some(bytes) => {
            text.push_str("X'");
            text.push_str(&hex::encode(bytes));
            text.push('\'');
        }
        None => text.push_str("NULL"),
    }
}

/// Faces as the JSON array the `faces` column holds, `'[4,1,6]'`, or `NULL`:
/// digits and commas only, so quoting is all it needs.
fn push_faces(text: &mut String, faces: Option<&[u32]>) {
    let Some(faces) = faces else {
        text.push_str("NULL");
        return;
    };
    text.push_str("'[");
    for (index, face) in faces.iter().enumerate() {
        let comma = if index > 0 { "," } else { "" };
        let _ = write!(text, "{comma}{face}");
    }
    text.push_str("]'");
}

#[cfg(test)]
mod tests {
    use dice_core::testkit::{actor, new_roll, server_roll};

    use super::*;
    use crate::insert::RequestToken;

    #[test]
    fn every_value_is_a_literal_that_needs_no_escaping() {
        let quote = actor("o'brien \\ \"x\"; DROP TABLE rolls");
        let rolls = [
            server_roll("2d6", &[3, 4], Some("o'brien \\ \"x\"; DROP TABLE rolls")),
            new_roll(6, None),
        ];
        let token = RequestToken::from_bytes(&[0xab; 16]).unwrap();
        let parts = [Rows {
            rolls: &rolls,
            created_by: Some(&quote),
            token: Some(&token),
        }];
        let at = Timestamp::from_civil(2026, 12, 7, 9, 5, 3).unwrap();
        let text = query(&parts, at);
        let by = format!("_utf8mb4 X'{}'", hex::encode(quote.as_str()));
        let token = format!("X'{}'", "ab".repeat(16));
        let head = format!(
            "{}(7, {by}, {by}, '2026-12-07 09:05:03', {token}, ",
            sql::INSERT_COUNTED_HEAD
        );
        assert!(
            text.starts_with(&format!("START TRANSACTION; {head}")),
            "{text}"
        );
        assert!(text.contains(&format!(
            "_utf8mb4 X'{}', '[3,4]', 1), ",
            hex::encode("2d6")
        )));
        assert!(text.contains(&format!(
            "(6, NULL, {by}, '2026-12-07 09:05:03', {token}, NULL, NULL, 1); "
        )));
        assert!(
            text.ends_with(&format!("{}; COMMIT", counts::ADD_TAIL)),
            "{text}"
        );
        // The only quotes are the literals' own: nothing a value holds.
        assert!(!text.contains("DROP") && !text.contains('"') && !text.contains('\\'));
    }

    #[test]
    fn the_counts_upsert_sums_the_rows_per_key() {
        let rolls = [
            new_roll(6, None),
            new_roll(6, None),
            new_roll(2, Some("ann")),
        ];
        let parts = [Rows {
            rolls: &rolls,
            created_by: None,
            token: None,
        }];
        let text = query(&parts, Timestamp::UNIX_EPOCH);
        let upsert = &text[text.find(counts::ADD_HEAD).unwrap()..];
        let ann = hex::encode("ann");
        assert!(
            upsert.starts_with(&format!(
                "{}(0, X'', X'', 2, CONNECTION_ID() % 32, 1), (0, X'', X'', 6, CONNECTION_ID() % 32, 2), (1, X'{ann}', X'', 2, CONNECTION_ID() % 32, 1){}; COMMIT",
                counts::ADD_HEAD,
                counts::ADD_TAIL
            )),
            "{upsert}"
        );
    }
}
