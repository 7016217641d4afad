//! Settling a lost statement: end its session, then look its rows up by the
//! request tokens it carried.

use std::collections::HashMap;
use std::time::Duration;

use dice_core::Roll;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, Row, Value};

use crate::exec::OpError;
use crate::insert::RequestToken;
use crate::{rows, sql};

/// "Unknown thread id": the session has already ended.
const UNKNOWN_THREAD: u16 = 1094;
/// "You are not owner of thread": the id now names another user's session, so
/// ours has ended.
const NOT_OWNER: u16 = 1095;
/// How often the process list is read while a killed session winds down.
const SESSION_POLL: Duration = Duration::from_millis(5);

/// The rows, by request token, that the lost statement on `session` recorded
/// for any of `tokens`. A token without rows recorded nothing and now never will.
pub(super) async fn settle(
    conn: &mut Conn,
    session: u32,
    tokens: &[RequestToken],
) -> Result<HashMap<RequestToken, Vec<Roll>>, OpError> {
    // The same session back from the pool is idle: its statement has finished.
    if conn.id() != session {
        end_session(conn, session).await?;
    }
    let params = tokens
        .iter()
        .map(|token| Value::from(token.as_bytes()))
        .collect();
    let found: Vec<Row> = conn
        .exec(sql::by_tokens(tokens.len()), Params::Positional(params))
        .await?;
    let mut by_token: HashMap<RequestToken, Vec<Roll>> = HashMap::new();
    for mut row in found {
        let token: Vec<u8> = rows::take(&mut row, sql::TOKEN_COLUMN)?;
        let token = RequestToken::from_bytes(&token)?;
        by_token.entry(token).or_default().push(rows::roll(row)?);
    }
    Ok(by_token)
}

/// Makes sure `session` has ended, so nothing sent on it can still commit.
async fn end_session(conn: &mut Conn, session: u32) -> Result<(), mysql_async::Error> {
    match conn.query_drop(sql::kill(session)).await {
        Ok(()) => {}
        Err(mysql_async::Error::Server(err)) if matches!(err.code, UNKNOWN_THREAD | NOT_OWNER) => {
            return Ok(());
        }
        Err(err) => return Err(err),
    }
    // A killed session ends, rolling back what it has not committed, at its
    // next check; until then it is listed.
    loop {
        let listed: Option<u64> = conn.exec_first(sql::SESSION_ALIVE, (session,)).await?;
        if listed.unwrap_or(0) == 0 {
            return Ok(());
        }
        tokio::time::sleep(SESSION_POLL).await;
    }
}
