//! Plain inserts (no idempotency key) whose answer is always the truth.
//!
//! A plain insert whose reply is lost may have been recorded, so it can neither
//! simply run again nor answer "unavailable, retry later": either could record
//! the rolls twice. Instead each plain insert writes a token of its own
//! ([`RequestToken`], unique among every writer's) with its rows, and when its
//! outcome is unknown (the connection failed or timed out after the statement
//! may have reached the server), the store reconnects and settles it:
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
//! Several callers' inserts may travel in one statement
//! ([`coalesce`](crate::coalesce)): each keeps its own token, so the lost
//! statement is settled as one (it is atomic: every token is found or none),
//! and each caller is answered with its own rows. A caller that stops waiting
//! is sent in no new statement; its [`Ticket`] tells it whether its rows may
//! have been written.
//!
//! Session ids are unique among a server's live sessions and only grow, so the
//! killed id is the old session's, unless the server restarted (or another
//! instance took over) within the call and gave the same number to another
//! session of the same user, which then fails as after any lost connection.
//! Behind a proxy that multiplexes sessions (RDS Proxy), ids are the proxy's.

use std::time::Instant;

use dice_core::{Actor, Error, NewRoll, Roll};

use crate::exec::{self, Limits};
use crate::insert::{IdStep, RequestToken};
use crate::pools::Pools;

mod run;
mod settle;
mod ticket;

use run::Run;
pub(crate) use ticket::Ticket;

/// Where plain inserts go.
#[derive(Clone, Copy)]
pub(crate) struct Db<'a> {
    pub(crate) pools: &'a Pools,
    pub(crate) limits: &'a Limits,
    pub(crate) id_step: &'a IdStep,
}

/// One caller's rolls in a plain insert: recorded together or not at all.
pub(crate) struct Part<'a> {
    pub(crate) rolls: &'a [NewRoll],
    pub(crate) created_by: Option<&'a Actor>,
    pub(crate) token: RequestToken,
    /// When the caller stops waiting.
    pub(crate) deadline: Instant,
    pub(crate) ticket: &'a Ticket,
}

/// What became of one part.
#[derive(Debug)]
pub(crate) enum Answer {
    /// Its rows as stored.
    Recorded(Vec<Roll>),
    Failed(Error),
    /// The server refused the statement that carried the part for a reason no
    /// retry changes (a bug, a broken schema, a trigger): nothing was written.
    /// When other parts shared the statement, the part alone may fare otherwise.
    Refused(Error),
}

impl Answer {
    pub(crate) fn into_result(self) -> Result<Vec<Roll>, Error> {
        match self {
            Self::Recorded(rolls) => Ok(rolls),
            Self::Failed(err) | Self::Refused(err) => Err(err),
        }
    }
}

/// Records one caller's `rolls` once and returns them as stored, retrying and
/// settling lost attempts until `deadline` (or one attempt's worth of time limits).
pub(crate) async fn insert(
    db: Db<'_>,
    deadline: Option<Instant>,
    rolls: &[NewRoll],
    created_by: Option<&Actor>,
) -> Result<Vec<Roll>, Error> {
    let ticket = Ticket::default();
    let part = Part {
        rolls,
        created_by,
        token: RequestToken::new()?,
        deadline: exec::call_deadline(db.limits, deadline),
        ticket: &ticket,
    };
    match insert_parts(db, std::slice::from_ref(&part)).await.pop() {
        Some(answer) => answer.into_result(),
        None => Err(Error::internal("a plain insert of one part had no answer")),
    }
}

/// Records every part once, all in one statement while they travel together,
/// and says what became of each, in order. Retries and settles lost attempts
/// until the last part's deadline; a part whose caller has withdrawn is sent
/// in no new statement.
pub(crate) async fn insert_parts(db: Db<'_>, parts: &[Part<'_>]) -> Vec<Answer> {
    let deadline = parts
        .iter()
        .map(|part| part.deadline)
        .max()
        .unwrap_or_else(Instant::now);
    let mut run = Run::new(db, parts, deadline);
    let mut attempt = 0;
    while Instant::now() < deadline && !run.answered() {
        attempt += 1;
        run.attempt().await;
        let backoff = exec::backoff(attempt);
        if run.answered() || Instant::now() + backoff >= deadline {
            break;
        }
        tokio::time::sleep(backoff).await;
    }
    run.finish()
}

/// What is known about the rows of the last statement's parts.
enum Known {
    /// Not written: nothing was sent, the server refused the statement, or the
    /// lost statement was settled as absent.
    NotWritten { why: String },
    /// Perhaps written, by the statement sent on session `session`.
    Unknown { session: u32, why: String },
}

impl Known {
    /// After the lost statement's rows were looked for and were absent.
    fn absent() -> Self {
        Self::NotWritten {
            why: "a lost insert was not recorded".to_owned(),
        }
    }

    /// The same knowledge, failing now for another reason.
    fn because(self, why: String) -> Self {
        match self {
            Self::NotWritten { .. } => Self::NotWritten { why },
            Self::Unknown { session, .. } => Self::Unknown { session, why },
        }
    }

    fn to_error(&self) -> Error {
        match self {
            Self::NotWritten { why } => exec::unavailable(why.clone()),
            Self::Unknown { why, .. } => Error::OutcomeUnknown {
                source: why.clone().into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn giving_up_says_whether_the_rows_may_exist() {
        let unknown = Known::Unknown {
            session: 1,
            why: "reset".to_owned(),
        };
        assert!(matches!(
            unknown
                .because("timed out connecting".to_owned())
                .to_error(),
            Error::OutcomeUnknown { .. }
        ));
        let not_written = Known::NotWritten {
            why: "refused".to_owned(),
        };
        assert!(matches!(not_written.to_error(), Error::Unavailable { .. }));
    }
}
