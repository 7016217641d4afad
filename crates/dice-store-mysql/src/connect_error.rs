//! What a failed connection means and what to do about it, in one line: where
//! it tried, and the fix for the usual causes (a database not yet created,
//! nothing listening, a refused login).

use mysql_async::{Error as MysqlError, Opts};

use crate::Error;

/// Error numbers of the server's answers that have a known fix.
const UNKNOWN_DATABASE: u16 = 1049;
/// Error numbers that refuse a login: access denied (1045), to the database
/// (1044), or without a password (1698). Retrying does not change them.
const LOGIN_REFUSED: &[u16] = &[1044, 1045, 1698];

/// How the login was made, for the fix a refusal suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginKind {
    Password,
    Iam,
}

/// The one line for a refused login to `opts` (never with the password or
/// token), or `None` when `err` is not a refusal.
pub(crate) fn login_refused(opts: &Opts, err: &MysqlError, kind: LoginKind) -> Option<String> {
    let answer = match err {
        MysqlError::Server(server) if LOGIN_REFUSED.contains(&server.code) => {
            server.message.clone()
        }
        MysqlError::Driver(
            driver @ (mysql_async::DriverError::CleartextPluginDisabled
            | mysql_async::DriverError::UnknownAuthPlugin { .. }),
        ) => driver.to_string(),
        _ => return None,
    };
    let user = opts.user().unwrap_or("(no user)");
    let what = match kind {
        LoginKind::Password => format!(
            "the server refused the login ({answer}); check the user and password \
             (DB_USER and DB_PASS, or DATABASE_URL)"
        ),
        LoginKind::Iam => format!(
            "the server refused the IAM auth token ({answer}); check that {user} is \
             IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS', that the function's role \
             may rds-db:connect as {user} on this cluster, and the clock"
        ),
    };
    Some(format!("{}: {what}", place(opts)))
}

/// The error for a connection to `opts` that failed with `err`.
pub(crate) fn connect_error(opts: &Opts, err: MysqlError) -> Error {
    let database = opts.db_name().unwrap_or("");
    let what = match &err {
        MysqlError::Server(server) if server.code == UNKNOWN_DATABASE => format!(
            "database `{database}` does not exist; create it first \
             (CREATE DATABASE `{database}`), then start again"
        ),
        MysqlError::Io(io) if is_refused(io) => {
            "nothing accepts connections there; is the server running, and are \
             DB_HOST and DB_PORT (or DATABASE_URL) right?"
                .to_owned()
        }
        other => other.to_string(),
    };
    Error::Unreachable(format!("{}: {what}", place(opts)))
}

/// The error for a connection to `opts` that took longer than allowed.
pub(crate) fn connect_timeout(opts: &Opts, limit: std::time::Duration) -> Error {
    Error::Unreachable(format!(
        "{}: no answer within {limit:?} (DB_CONNECT_TIMEOUT); is the host reachable?",
        place(opts)
    ))
}

/// `cannot connect to MySQL at host:port as user`.
fn place(opts: &Opts) -> String {
    format!(
        "cannot connect to MySQL at {}:{} as {}",
        opts.ip_or_hostname(),
        opts.tcp_port(),
        opts.user().unwrap_or("(no user)")
    )
}

fn is_refused(io: &mysql_async::IoError) -> bool {
    match io {
        mysql_async::IoError::Io(err) => err.kind() == std::io::ErrorKind::ConnectionRefused,
        _ => false,
    }
}
