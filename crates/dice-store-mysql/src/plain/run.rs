//! One plain insert of several parts, attempt by attempt: settle what was
//! lost, send what is still open, and record what each failure says.

use std::time::Instant;

use dice_core::Error;
use mysql_async::Conn;

use super::{Answer, Db, Known, Part, settle};
use crate::exec::{self, NoConnection, OpError};
use crate::insert::{RequestToken, Rows, insert_alone};

/// Server errors that end the session, which the server may send after the
/// statement committed: shutdown, interrupted, killed (MariaDB, MySQL), idle.
const SESSION_ENDED: &[u16] = &[1053, 1317, 1927, 3169, 4031];

/// One plain insert of several parts, between attempts.
pub(super) struct Run<'r, 'a> {
    db: Db<'r>,
    parts: &'r [Part<'a>],
    deadline: Instant,
    /// Each part's answer, once there is one.
    answers: Vec<Option<Answer>>,
    /// The parts the last statement carried: while `known` is unknown, they
    /// are looked for before anything is sent again.
    carried: Vec<usize>,
    known: Known,
}

impl<'r, 'a> Run<'r, 'a> {
    pub(super) fn new(db: Db<'r>, parts: &'r [Part<'a>], deadline: Instant) -> Self {
        Self {
            db,
            parts,
            deadline,
            answers: parts.iter().map(|_| None).collect(),
            carried: Vec::new(),
            known: Known::NotWritten {
                why: "the deadline passed before the call could start".to_owned(),
            },
        }
    }

    pub(super) fn answered(&self) -> bool {
        self.answers.iter().all(Option::is_some)
    }

    /// Every part still without an answer gets `answer(index)`.
    fn answer_rest(&mut self, mut answer: impl FnMut(usize) -> Answer) {
        for (index, slot) in self.answers.iter_mut().enumerate() {
            if slot.is_none() {
                *slot = Some(answer(index));
            }
        }
    }

    /// The answers, the deadline having passed for those still open.
    pub(super) fn finish(mut self) -> Vec<Answer> {
        let known = std::mem::replace(&mut self.known, Known::NotWritten { why: String::new() });
        self.answer_rest(|_| Answer::Failed(known.to_error()));
        self.answers.into_iter().flatten().collect()
    }

    /// On one connection: settles the last statement if it was lost, then sends.
    pub(super) async fn attempt(&mut self) {
        let mut conn = match exec::connect(self.db.pools, self.db.limits, self.deadline).await {
            Ok(conn) => conn,
            // A refused login will not change before the deadline: fail now,
            // saying whether an earlier statement may have written the rows.
            Err(NoConnection::Login(why)) => {
                let unknown = matches!(self.known, Known::Unknown { .. });
                return self.answer_rest(|_| {
                    Answer::Failed(if unknown {
                        Error::OutcomeUnknown {
                            source: why.clone().into(),
                        }
                    } else {
                        Error::internal(why.clone())
                    })
                });
            }
            Err(NoConnection::Transient(why)) => {
                self.known =
                    std::mem::replace(&mut self.known, Known::NotWritten { why: String::new() })
                        .because(why);
                return;
            }
        };
        if let Known::Unknown { session, .. } = self.known
            && !self.settle(&mut conn, session).await
        {
            return;
        }
        if self.send(&mut conn).await == Sent::Recorded {
            self.db.pools.keep(conn);
        }
    }

    /// Looks for the rows of the lost statement on `session`: the parts found
    /// are answered, the others are known not written. Returns whether it
    /// found out.
    async fn settle(&mut self, conn: &mut Conn, session: u32) -> bool {
        if self.carried.is_empty() {
            self.known = Known::absent();
            return true;
        }
        let tokens: Vec<RequestToken> = self
            .carried
            .iter()
            .map(|&index| self.parts[index].token)
            .collect();
        let look = settle::settle(conn, session, &tokens);
        let limit = exec::statement_limit(self.db.limits, self.deadline);
        let failure = match tokio::time::timeout(limit, look).await {
            Ok(Ok(mut found)) => {
                for index in std::mem::take(&mut self.carried) {
                    let part = &self.parts[index];
                    self.answers[index] = match found.remove(&part.token) {
                        Some(rolls) if rolls.len() == part.rolls.len() => {
                            Some(Answer::Recorded(rolls))
                        }
                        Some(rolls) => Some(Answer::Failed(Error::internal(format!(
                            "a request token names {} rows, not {}",
                            rolls.len(),
                            part.rolls.len()
                        )))),
                        None => {
                            part.ticket.unsend();
                            None
                        }
                    };
                }
                self.known = Known::absent();
                return true;
            }
            Ok(Err(failure)) => failure,
            Err(_) => {
                let why = "timed out finding out whether a lost insert was recorded";
                self.known = Known::Unknown {
                    session,
                    why: why.to_owned(),
                };
                return false;
            }
        };
        match failure {
            OpError::Driver(err) if exec::is_transient(&err) => {
                self.known = Known::Unknown {
                    session,
                    why: err.to_string(),
                };
            }
            // The store cannot find out (say, a grant is missing); waiting will not help.
            OpError::Driver(err) => {
                let why = err.to_string();
                self.answer_carried(|| Error::OutcomeUnknown {
                    source: why.clone().into(),
                });
            }
            OpError::Store(err) => self.answer_carried(|| copy(&err)),
        }
        false
    }

    /// Every carried part fails with `error()`.
    fn answer_carried(&mut self, error: impl Fn() -> Error) {
        for index in std::mem::take(&mut self.carried) {
            self.answers[index] = Some(Answer::Failed(error()));
        }
    }

    /// Sends the parts still open whose callers still wait, in one statement;
    /// when it fails, records what is known of their rows.
    async fn send(&mut self, conn: &mut Conn) -> Sent {
        self.carried.clear();
        for (index, part) in self.parts.iter().enumerate() {
            if self.answers[index].is_some() {
                continue;
            }
            if part.ticket.board() {
                self.carried.push(index);
            } else {
                // The caller has gone, answered by itself.
                self.answers[index] = Some(Answer::Failed(exec::unavailable(
                    "the caller stopped waiting".to_owned(),
                )));
            }
        }
        if self.carried.is_empty() {
            return Sent::Nothing;
        }
        let rows: Vec<Rows<'_>> = self
            .carried
            .iter()
            .map(|&index| {
                let part = &self.parts[index];
                Rows {
                    rolls: part.rolls,
                    created_by: part.created_by,
                    token: Some(&part.token),
                }
            })
            .collect();
        // Read before sending: once the connection fails, it can no longer be asked.
        let session = conn.id();
        let statement = insert_alone(conn, &rows, self.db.id_step);
        let limit = exec::statement_limit(self.db.limits, self.deadline);
        match tokio::time::timeout(limit, statement).await {
            Ok(Ok(stored)) => {
                for (index, rolls) in std::mem::take(&mut self.carried).into_iter().zip(stored) {
                    self.answers[index] = Some(Answer::Recorded(rolls));
                }
                return Sent::Recorded;
            }
            Ok(Err(OpError::Store(err))) => self.answer_carried(|| copy(&err)),
            Ok(Err(OpError::Driver(err))) => self.after_failure(session, &err),
            Err(_) => {
                self.known = Known::Unknown {
                    session,
                    why: "timed out waiting for the database".to_owned(),
                };
            }
        }
        Sent::Failed
    }

    /// Records what a failed insert statement says about its rows.
    fn after_failure(&mut self, session: u32, err: &mysql_async::Error) {
        let why = err.to_string();
        match failed(err) {
            Failed::Refused { transient } => {
                for &index in &self.carried {
                    self.parts[index].ticket.unsend();
                }
                if transient {
                    self.known = Known::NotWritten { why };
                } else {
                    for index in std::mem::take(&mut self.carried) {
                        let err = Error::internal(why.clone());
                        self.answers[index] = Some(Answer::Refused(err));
                    }
                }
            }
            Failed::Lost => self.known = Known::Unknown { session, why },
        }
    }
}

/// What became of a send, and so of its connection: only one whose
/// statement went through is clean enough to keep for the next call.
#[derive(Debug, PartialEq, Eq)]
enum Sent {
    /// No part was left to send.
    Nothing,
    Recorded,
    /// Refused, lost or timed out.
    Failed,
}

/// How an insert statement failed.
#[derive(Debug, PartialEq, Eq)]
enum Failed {
    /// The server answered that it failed, so it wrote nothing (a statement
    /// is atomic, and so is the transaction that holds several rows and
    /// their counts, which the error leaves uncommitted). `transient`: the
    /// same statement may pass later.
    Refused { transient: bool },
    /// No answer, or one that ends the session and may follow a commit: the
    /// statement may have run.
    Lost,
}

fn failed(err: &mysql_async::Error) -> Failed {
    match err {
        mysql_async::Error::Server(server) if !SESSION_ENDED.contains(&server.code) => {
            Failed::Refused {
                transient: exec::is_transient(err),
            }
        }
        _ => Failed::Lost,
    }
}

/// The same failure for another part of the statement (errors are not `Clone`).
fn copy(err: &Error) -> Error {
    match err {
        Error::Unavailable {
            retry_after,
            source,
        } => Error::Unavailable {
            retry_after: *retry_after,
            source: source.to_string().into(),
        },
        Error::OutcomeUnknown { source } => Error::OutcomeUnknown {
            source: source.to_string().into(),
        },
        Error::Internal(source) => Error::internal(source.to_string()),
        other => Error::internal(other.to_string()),
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

    #[test]
    fn a_refused_statement_wrote_nothing_and_a_lost_one_is_unknown() {
        let refused = |transient| Failed::Refused { transient };
        assert_eq!(failed(&server(1213)), refused(true), "deadlock");
        assert_eq!(failed(&server(1205)), refused(true), "lock wait");
        assert_eq!(failed(&server(1290)), refused(true), "read-only");
        assert_eq!(failed(&server(1054)), refused(false), "unknown column");
        assert_eq!(failed(&server(1644)), refused(false), "SIGNAL in a trigger");
        for ended in SESSION_ENDED {
            assert_eq!(failed(&server(*ended)), Failed::Lost, "{ended}");
        }
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(failed(&mysql_async::Error::from(reset)), Failed::Lost);
        let closed = mysql_async::DriverError::ConnectionClosed;
        assert_eq!(failed(&mysql_async::Error::from(closed)), Failed::Lost);
    }

    #[test]
    fn copies_of_an_error_keep_its_kind_and_message() {
        let unknown = Error::OutcomeUnknown {
            source: "lost".into(),
        };
        assert!(matches!(copy(&unknown), Error::OutcomeUnknown { .. }));
        let internal = copy(&Error::internal("broken"));
        assert_eq!(internal.to_string(), Error::internal("broken").to_string());
        let unavailable = copy(&exec::unavailable("busy".to_owned()));
        assert_eq!(unavailable.to_string(), "store unavailable: busy");
    }
}
