//! [`Error`]: why a service could not start or stopped serving. Its `Display`
//! is the one line a binary prints, naming what to fix.

use std::net::SocketAddr;

use crate::config::ConfigError;
use crate::secrets::SecretError;

/// Why a service could not start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A variable or flag is missing or malformed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database credentials could not be read from Secrets Manager.
    #[error("DB_SECRET_ARN could not be read: {0}")]
    Secret(#[from] SecretError),
    /// The store could not be built (a migration failed, say).
    #[error(transparent)]
    Store(#[from] dice_store_mysql::Error),
    /// The local gateway's port is taken.
    #[error("{0} is already in use; choose another port with --port")]
    AddressInUse(SocketAddr),
    /// The local gateway could not listen.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// Where it tried.
        address: SocketAddr,
        /// Why it could not.
        source: std::io::Error,
    },
    /// The keys file could not be read or written.
    #[cfg(feature = "local")]
    #[error(transparent)]
    Keys(#[from] crate::local::keys::KeysError),
    /// A `keys` or `plans` command failed.
    #[cfg(feature = "local")]
    #[error(transparent)]
    Command(#[from] dice_keys::commands::CommandError),
    /// Writing the program's output failed.
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The connection to the Lambda Runtime API failed.
    #[error("the Runtime API connection failed: {0}")]
    RuntimeApi(String),
}

impl Error {
    /// The exit status a binary ends with: 2 when the command line was at
    /// fault, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            #[cfg(feature = "local")]
            Self::Command(err) => err.exit_code(),
            _ => 1,
        }
    }

    /// The `errorType` Lambda shows for an init error of this kind.
    pub fn lambda_error_type(&self) -> &'static str {
        match self {
            Self::Config(_) | Self::Secret(_) => "Runtime.ConfigError",
            Self::Store(_) => "Runtime.StoreError",
            _ => "Runtime.Unknown",
        }
    }
}
