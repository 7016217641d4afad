//! Plain inserts (no idempotency key) whose answer is always the truth.
//!
//! A plain insert whose reply is lost may have been recorded, so it can neither
//! simply run again nor answer "unavailable, retry later": either could record
//! the rolls twice. Instead each plain insert writes a fresh random request
//! token with its rows, and when its outcome is unknown (the connection failed
//! or timed out after the statement may have reached the server), the store
//! reconnects and settles it:
//!
//! 1. It ends the old session if it is still there (`KILL CONNECTION` with the
//!    id read before sending; a user may always end its own sessions) and
//!    waits until the server no longer lists it. `KILL` only flags a session;
//!    until it is gone, a statement still running or still queued on it could
//!    commit after the store looked.
//! 2. It looks the token up. Found: the insert happened, and its rows as stored
//!    are the answer. Absent: it did not, and now never can, so the insert is
//!    sent again, with the same token.
//!
//! Only when the deadline passes with the outcome still unknown does the caller
//! get [`Error::OutcomeUnknown`]; an insert known not to be written fails with
//! [`Error::Unavailable`] as any other call.
//!
//! Session ids are unique among a server's live sessions and only grow, so the
//! killed id is the old session's, unless the server restarted (or another
//! instance took over) within the call and gave the same number to another
//! session of the same user, which then fails as after any lost connection.
//! Behind a proxy that multiplexes sessions (RDS Proxy), ids are the proxy's.

use std::time::{Duration, Instant};

use dice_core::{Actor, Error, NewRoll, Roll};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use crate::exec::{self, Limits, NoConnection, OpError};
use crate::insert::{IdStep, RequestToken, insert_rolls};
use crate::pools::Pools;
use crate::{rows, sql};

/// "Unknown thread id": the session has already ended.
const UNKNOWN_THREAD: u16 = 1094;
/// "You are not owner of thread": the id now names another user's session, so
/// ours has ended.
const NOT_OWNER: u16 = 1095;
/// Server errors that end the session, which the server may send after the
/// statement committed: shutdown, interrupted, killed (MariaDB, MySQL), idle.
const SESSION_ENDED: &[u16] = &[1053, 1317, 1927, 3169, 4031];
/// How often the process list is read while a killed session winds down.
const SESSION_POLL: Duration = Duration::from_millis(5);

/// One plain insert: the rolls, recorded together or not at all.
pub(crate) struct PlainInsert<'a> {
    pub(crate) rolls: &'a [NewRoll],
    pub(crate) created_by: Option<&'a Actor>,
    pub(crate) id_step: &'a IdStep,
}

/// What is known about the rows after a failed attempt.
enum Known {
    /// Not written: nothing was sent, the server refused the statement, or the
    /// lost attempt was settled as absent.
    NotWritten { why: String },
    /// Perhaps written, by the statement sent on session `session`.
    Unknown { session: u32, why: String },
}

impl Known {
    /// The same knowledge, failing now for another reason.
    fn because(self, why: String) -> Self {
        match self {
            Self::NotWritten { .. } => Self::NotWritten { why },
            Self::Unknown { session, .. } => Self::Unknown { session, why },
        }
    }

    fn into_error(self) -> Error {
        match self {
            Self::NotWritten { why } => exec::unavailable(why),
            Self::Unknown { why, .. } => Error::OutcomeUnknown { source: why.into() },
        }
    }
}

/// How one attempt ended.
enum Attempt {
    Recorded(Vec<Roll>),
    /// A failure that no retry changes (a bug, a broken schema).
    Failed(Error),
    Again(Known),
}

/// Records `insert` once and returns its rows as stored, retrying and settling
/// lost attempts until `deadline` (or one attempt's worth of time limits).
pub(crate) async fn insert(
    pools: &Pools,
    limits: &Limits,
    deadline: Option<Instant>,
    insert: &PlainInsert<'_>,
) -> Result<Vec<Roll>, Error> {
    let token = RequestToken::random()?;
    let deadline = exec::call_deadline(limits, deadline);
    let mut known = Known::NotWritten {
        why: "the deadline passed before the call could start".to_owned(),
    };
    let mut attempt = 0;
    while Instant::now() < deadline {
        attempt += 1;
        known = match attempt_once(pools, limits, deadline, insert, &token, known).await {
            Attempt::Recorded(rolls) => return Ok(rolls),
            Attempt::Failed(err) => return Err(err),
            Attempt::Again(known) => known,
        };
        let backoff = exec::backoff(attempt);
        if Instant::now() + backoff >= deadline {
            break;
        }
        tokio::time::sleep(backoff).await;
    }
    Err(known.into_error())
}

/// On one connection: settles the last attempt if it was lost, then sends.
async fn attempt_once(
    pools: &Pools,
    limits: &Limits,
    deadline: Instant,
    insert: &PlainInsert<'_>,
    token: &RequestToken,
    known: Known,
) -> Attempt {
    let mut conn = match exec::connect(pools, limits, deadline).await {
        Ok(conn) => conn,
        // A refused login will not change before the deadline: fail now,
        // saying whether an earlier attempt may have written the rows.
        Err(NoConnection::Login(why)) => {
            return Attempt::Failed(match known {
                Known::NotWritten { .. } => Error::internal(why),
                Known::Unknown { .. } => Error::OutcomeUnknown { source: why.into() },
            });
        }
        Err(NoConnection::Transient(why)) => return Attempt::Again(known.because(why)),
    };
    if let Known::Unknown { session, .. } = known {
        let look = settle(&mut conn, session, token, insert.rolls.len());
        match tokio::time::timeout(exec::statement_limit(limits, deadline), look).await {
            Ok(Ok(Some(rolls))) => return Attempt::Recorded(rolls),
            Ok(Ok(None)) => {}
            Ok(Err(OpError::Store(err))) => return Attempt::Failed(err),
            Ok(Err(OpError::Driver(err))) if exec::is_transient(&err) => {
                return Attempt::Again(Known::Unknown {
                    session,
                    why: err.to_string(),
                });
            }
            // The store cannot find out (say, a grant is missing); waiting will not help.
            Ok(Err(OpError::Driver(err))) => {
                return Attempt::Failed(Error::OutcomeUnknown { source: err.into() });
            }
            Err(_) => {
                let why = "timed out finding out whether a lost insert was recorded";
                return Attempt::Again(Known::Unknown {
                    session,
                    why: why.to_owned(),
                });
            }
        }
    }
    send(&mut conn, insert, token, limits, deadline).await
}

/// The rows the lost attempt on `session` recorded, or `None` when it recorded
/// nothing and never will.
async fn settle(
    conn: &mut Conn,
    session: u32,
    token: &RequestToken,
    expected: usize,
) -> Result<Option<Vec<Roll>>, OpError> {
    // The same session back from the pool is idle: its statement has finished.
    if conn.id() != session {
        end_session(conn, session).await?;
    }
    let found: Vec<Row> = conn.exec(sql::BY_TOKEN, (token.as_bytes(),)).await?;
    if found.is_empty() {
        return Ok(None);
    }
    let rolls = found
        .into_iter()
        .map(rows::roll)
        .collect::<Result<Vec<_>, _>>()?;
    if rolls.len() != expected {
        let why = format!("a request token names {} rows, not {expected}", rolls.len());
        return Err(Error::internal(why).into());
    }
    Ok(Some(rolls))
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

/// Sends the insert on `conn`; when it fails, says what is known of its rows.
async fn send(
    conn: &mut Conn,
    insert: &PlainInsert<'_>,
    token: &RequestToken,
    limits: &Limits,
    deadline: Instant,
) -> Attempt {
    // Read before sending: once the connection fails, it can no longer be asked.
    let session = conn.id();
    let statement = insert_rolls(
        conn,
        insert.rolls,
        insert.created_by,
        Some(token),
        insert.id_step,
    );
    match tokio::time::timeout(exec::statement_limit(limits, deadline), statement).await {
        Ok(Ok(rolls)) => Attempt::Recorded(rolls),
        Ok(Err(OpError::Store(err))) => Attempt::Failed(err),
        Ok(Err(OpError::Driver(err))) => after_failure(session, err),
        Err(_) => Attempt::Again(Known::Unknown {
            session,
            why: "timed out waiting for the database".to_owned(),
        }),
    }
}

/// What a failed insert statement says about its rows.
fn after_failure(session: u32, err: mysql_async::Error) -> Attempt {
    match &err {
        // The server answered that the statement failed, so it wrote nothing
        // (a single statement is atomic), unless the answer ends the session:
        // that one may follow a commit.
        mysql_async::Error::Server(server) if !SESSION_ENDED.contains(&server.code) => {
            if exec::is_transient(&err) {
                Attempt::Again(Known::NotWritten {
                    why: err.to_string(),
                })
            } else {
                Attempt::Failed(Error::internal(err))
            }
        }
        // No answer: the statement may have run.
        _ => Attempt::Again(Known::Unknown {
            session,
            why: err.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(code: u16) -> mysql_async::Error {
        mysql_async::Error::Server(mysql_async::ServerError {
            code,
            message: String::new(),
            state: String::new(),
        })
    }

    fn known_after(err: mysql_async::Error) -> &'static str {
        match after_failure(7, err) {
            Attempt::Again(Known::NotWritten { .. }) => "not written, retry",
            Attempt::Again(Known::Unknown { session: 7, .. }) => "unknown",
            Attempt::Again(Known::Unknown { .. }) => "unknown, wrong session",
            Attempt::Failed(_) => "failed",
            Attempt::Recorded(_) => "recorded",
        }
    }

    #[test]
    fn a_refused_statement_wrote_nothing_and_a_lost_one_is_unknown() {
        assert_eq!(known_after(server(1213)), "not written, retry", "deadlock");
        assert_eq!(known_after(server(1290)), "not written, retry", "read-only");
        assert_eq!(known_after(server(1054)), "failed", "unknown column");
        for ended in SESSION_ENDED {
            assert_eq!(known_after(server(*ended)), "unknown", "{ended}");
        }
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(known_after(mysql_async::Error::from(reset)), "unknown");
        let closed = mysql_async::DriverError::ConnectionClosed;
        assert_eq!(known_after(mysql_async::Error::from(closed)), "unknown");
    }

    #[test]
    fn giving_up_says_whether_the_rows_may_exist() {
        let unknown = Known::Unknown {
            session: 1,
            why: "reset".to_owned(),
        };
        assert!(matches!(
            unknown
                .because("timed out connecting".to_owned())
                .into_error(),
            Error::OutcomeUnknown { .. }
        ));
        let not_written = Known::NotWritten {
            why: "refused".to_owned(),
        };
        assert!(matches!(
            not_written.into_error(),
            Error::Unavailable { .. }
        ));
    }
}
