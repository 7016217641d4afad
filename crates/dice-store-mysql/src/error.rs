//! The crate's error type, for what happens outside a store call: reading the
//! configuration, connecting, migrating.

use dice_core::ConfigError;

/// Why configuration, connecting or migrating failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is missing or malformed; the message names the variable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be reached in time.
    #[error("database unreachable: {0}")]
    Unreachable(String),
    /// The database refused the login: a wrong user or password, or an IAM
    /// auth token it did not accept. Retrying does not help; the message says
    /// what to check.
    #[error("{0}")]
    LoginRefused(String),
    /// No IAM auth token could be signed (say, for a host name that is not one).
    #[error("cannot make an IAM auth token: {0}")]
    Token(String),
    /// The database answered with an error.
    #[error("database error: {0}")]
    Database(#[from] mysql_async::Error),
    /// A migration could not be applied.
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        /// Its number.
        version: u32,
        /// What it does.
        name: &'static str,
        /// The database's answer.
        source: mysql_async::Error,
    },
}

impl Error {
    pub(crate) fn config(variable: &'static str, problem: impl Into<String>) -> Self {
        Self::Config(ConfigError::new(variable, problem))
    }
}
