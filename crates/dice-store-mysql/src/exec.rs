//! Running one store operation on a pooled connection: time limits, retries
//! with backoff inside the caller's deadline, and the mapping of driver errors.
//!
//! [`run`] is for operations that may safely run again: reads, and idempotent
//! writes. A plain insert may not, and has a loop of its own in `plain`, built
//! from the same parts.

use std::future::Future;
use std::time::{Duration, Instant};

use dice_core::Error;
use mysql_async::Conn;

use crate::pools::{ConnectError, Pools};

/// Time limits and the retry budget shared by every operation of a store.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) connect_timeout: Duration,
    pub(crate) query_timeout: Duration,
}

const FIRST_BACKOFF: Duration = Duration::from_millis(25);
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// What a client is told to wait before trying again.
pub(crate) const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Runs `op` on a connection from `pool`, retrying transient failures with
/// exponential backoff until `deadline` (or, without one, one attempt's worth of
/// time limits) runs out. `op` must be safe to run again after any failure.
pub(crate) async fn run<T, F, Fut>(
    pools: &Pools,
    limits: &Limits,
    deadline: Option<Instant>,
    mut op: F,
) -> Result<T, Error>
where
    F: FnMut(Conn) -> Fut,
    Fut: Future<Output = Result<T, OpError>>,
{
    let deadline = call_deadline(limits, deadline);
    let mut attempt = 0;
    loop {
        if Instant::now() >= deadline {
            return Err(unavailable(
                "the deadline passed before the call could start".to_owned(),
            ));
        }
        attempt += 1;
        let failure = match attempt_once(pools, limits, deadline, &mut op).await {
            Ok(value) => return Ok(value),
            Err(failure) => failure,
        };
        let retry = match &failure {
            Failure::Connect(NoConnection::Transient(_)) | Failure::OpTimeout => true,
            Failure::Connect(NoConnection::Login(_)) | Failure::Op(OpError::Store(_)) => false,
            Failure::Op(OpError::Driver(err)) => is_transient(err),
        };
        let backoff = backoff(attempt);
        if !retry || Instant::now() + backoff >= deadline {
            return Err(failure.into_error());
        }
        tokio::time::sleep(backoff).await;
    }
}

/// When a call must end: the caller's deadline, or one attempt's worth of time limits.
pub(crate) fn call_deadline(limits: &Limits, deadline: Option<Instant>) -> Instant {
    deadline.unwrap_or_else(|| Instant::now() + limits.connect_timeout + limits.query_timeout)
}

/// Why there is no connection. Either way no statement was sent.
#[derive(Debug)]
pub(crate) enum NoConnection {
    /// The server may well take a new try.
    Transient(String),
    /// The login cannot succeed as configured (a wrong password, a refused
    /// IAM token): tried again until the deadline, it would only fail later.
    Login(String),
}

/// A connection from `pools` within the connect timeout and the deadline, or why not.
pub(crate) async fn connect(
    pools: &Pools,
    limits: &Limits,
    deadline: Instant,
) -> Result<Conn, NoConnection> {
    let left = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(limits.connect_timeout.min(left), pools.get_conn()).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(ConnectError::Login(why))) => Err(NoConnection::Login(why)),
        Ok(Err(ConnectError::Failed(err))) => Err(NoConnection::Transient(err.to_string())),
        Err(_) => Err(NoConnection::Transient("timed out connecting".to_owned())),
    }
}

/// How long the next statement may take: the query timeout, cut to the deadline.
pub(crate) fn statement_limit(limits: &Limits, deadline: Instant) -> Duration {
    limits
        .query_timeout
        .min(deadline.saturating_duration_since(Instant::now()))
}

async fn attempt_once<T, F, Fut>(
    pools: &Pools,
    limits: &Limits,
    deadline: Instant,
    op: &mut F,
) -> Result<T, Failure>
where
    F: FnMut(Conn) -> Fut,
    Fut: Future<Output = Result<T, OpError>>,
{
    let conn = connect(pools, limits, deadline)
        .await
        .map_err(Failure::Connect)?;
    match tokio::time::timeout(statement_limit(limits, deadline), op(conn)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(Failure::Op(err)),
        Err(_) => Err(Failure::OpTimeout),
    }
}

/// How an operation failed: the driver's error, or a verdict of the store's own
/// (such as an idempotency conflict) that no retry changes.
#[derive(Debug)]
pub(crate) enum OpError {
    Driver(mysql_async::Error),
    Store(Error),
}

impl From<mysql_async::Error> for OpError {
    fn from(err: mysql_async::Error) -> Self {
        Self::Driver(err)
    }
}

impl From<Error> for OpError {
    fn from(err: Error) -> Self {
        Self::Store(err)
    }
}

enum Failure {
    /// No connection: nothing was sent, so any operation may be retried,
    /// unless the login itself is refused.
    Connect(NoConnection),
    Op(OpError),
    OpTimeout,
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Self::Connect(NoConnection::Transient(why)) => unavailable(why),
            Self::Connect(NoConnection::Login(why)) => Error::internal(why),
            Self::OpTimeout => unavailable("timed out waiting for the database".to_owned()),
            Self::Op(OpError::Store(err)) => err,
            Self::Op(OpError::Driver(err)) if is_transient(&err) => unavailable(err.to_string()),
            Self::Op(OpError::Driver(err)) => Error::internal(err),
        }
    }
}

pub(crate) fn unavailable(why: String) -> Error {
    Error::Unavailable {
        retry_after: RETRY_AFTER,
        source: why.into(),
    }
}

/// MySQL's error number for a transaction the server rolled back to end a
/// deadlock.
pub(crate) const ER_LOCK_DEADLOCK: u16 = 1213;

/// MySQL error numbers after which the server may well answer a retry.
const TRANSIENT_SERVER_ERRORS: &[u16] = &[
    1040, // too many connections
    1053, // server shutdown in progress
    1205, // lock wait timeout: the statement was rolled back
    ER_LOCK_DEADLOCK,
    1290, // read-only (an Aurora writer failing over)
    1836, // read-only mode
    1927, // connection killed (MariaDB)
    4031, // disconnected by the server for inactivity (MySQL 8)
];

/// Whether the failure is about reaching the server rather than the request.
pub(crate) fn is_transient(err: &mysql_async::Error) -> bool {
    match err {
        mysql_async::Error::Io(_) => true,
        mysql_async::Error::Driver(driver) => matches!(
            driver,
            mysql_async::DriverError::ConnectionClosed | mysql_async::DriverError::PacketOutOfOrder
        ),
        mysql_async::Error::Server(server) => TRANSIENT_SERVER_ERRORS.contains(&server.code),
        mysql_async::Error::Other(_) | mysql_async::Error::Url(_) => false,
    }
}

/// 25 ms, 50 ms, 100 ms ... up to 1 s, less a varying part so that many clients
/// failing together do not retry together.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let full = FIRST_BACKOFF
        .saturating_mul(1 << attempt.min(6))
        .min(MAX_BACKOFF);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    full.mul_f64(0.5 + f64::from(nanos % 1000) / 2000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) <= Duration::from_millis(50));
        assert!(backoff(1) >= Duration::from_millis(25));
        assert!(backoff(20) <= MAX_BACKOFF);
        assert!(backoff(20) >= MAX_BACKOFF / 2);
    }

    #[test]
    fn classifies_server_errors() {
        let server = |code| {
            mysql_async::Error::Server(mysql_async::ServerError {
                code,
                message: String::new(),
                state: String::new(),
            })
        };
        assert!(is_transient(&server(1213)));
        assert!(
            !is_transient(&server(1064)),
            "a syntax error is no reason to retry"
        );
    }
}
