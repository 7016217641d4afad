//! [`MysqlConfig`]: where the database is and how to talk to it, from the
//! environment ([`env`]) or from code (the builders here, which keep values in
//! the ranges of [`numbers`]).

mod env;
mod numbers;
mod switches;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::{Error, IamAuth};

/// How the connection is encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// Plain TCP (a local server, or inside a private network that is trusted).
    Off,
    /// Encrypted, without checking the server's certificate; refuses a server
    /// that cannot do TLS.
    Required,
    /// Encrypted, and the server's certificate must chain to a CA in `ca_file`
    /// (for Aurora, the RDS CA bundle) and name the host connected to.
    VerifyCa {
        /// A PEM file with one or more CA certificates.
        ca_file: PathBuf,
    },
}

/// Pool sizing for the two ways the store is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// One function instance serves one request at a time: at most 2
    /// connections, closed after 60 s idle by both ends (the server's
    /// `wait_timeout` too, since a frozen function cannot close them), so an
    /// idle function lets an auto-paused Aurora sleep. Short connect timeout.
    /// No coalescing: there is nothing to coalesce with.
    Lambda,
    /// A long-running server with many requests in flight: 16 connections, kept
    /// for 5 minutes idle, and plain inserts coalesced
    /// ([`MysqlConfig::coalesce`]).
    Server,
}

/// A password that never appears in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// How the store logs in.
#[derive(Debug, Clone)]
pub enum Auth {
    /// With a password, or none.
    Password(Option<Password>),
    /// With an RDS auth token signed for each login from AWS credentials
    /// (IAM database authentication); needs TLS, since the token is sent as
    /// a clear-text password.
    Iam(IamAuth),
}

/// Everything [`MysqlStore`](crate::MysqlStore) needs to connect.
///
/// ```
/// use dice_store_mysql::{MysqlConfig, Preset};
///
/// let config = MysqlConfig::from_url("mysql://app:s3cret@db.internal:3306/dice", Preset::Server)?;
/// assert_eq!(config.database(), "dice");
/// assert!(!format!("{config:?}").contains("s3cret"));
/// # Ok::<(), dice_store_mysql::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MysqlConfig {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: String,
    pub(crate) auth: Auth,
    pub(crate) database: String,
    pub(crate) tls: Tls,
    pub(crate) max_connections: usize,
    pub(crate) idle_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) query_timeout: Duration,
    pub(crate) key_ttl: Duration,
    pub(crate) coalesce: bool,
}

/// The variables [`MysqlConfig::from_env`] reads, in the tutorial's names.
pub const ENV_VARS: &[&str] = &[
    "DATABASE_URL",
    "DB_HOST",
    "DB_PORT",
    "DB_USER",
    "DB_PASS",
    "DB_NAME",
    "DB_AUTH",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "DB_TLS",
    "DB_TLS_CA",
    "DB_POOL_MAX",
    "DB_CONNECT_TIMEOUT",
    "DB_QUERY_TIMEOUT",
    "DICE_IDEMPOTENCY_TTL",
    "DB_COALESCE",
];

impl MysqlConfig {
    /// A configuration for `user` on `host`, database `database`, with the
    /// preset's pool and no TLS.
    pub fn new(
        host: impl Into<String>,
        user: impl Into<String>,
        database: impl Into<String>,
        preset: Preset,
    ) -> Self {
        let (max_connections, idle_timeout, connect_timeout, coalesce) = match preset {
            Preset::Lambda => (2, Duration::from_secs(60), Duration::from_secs(5), false),
            Preset::Server => (16, Duration::from_secs(300), Duration::from_secs(10), true),
        };
        Self {
            host: host.into(),
            port: 3306,
            user: user.into(),
            auth: Auth::Password(None),
            database: database.into(),
            tls: Tls::Off,
            max_connections,
            idle_timeout,
            connect_timeout,
            query_timeout: Duration::from_secs(10),
            key_ttl: Duration::from_secs(24 * 60 * 60),
            coalesce,
        }
    }

    /// Parses `mysql://user[:password]@host[:port]/database`; user and password
    /// may be percent-encoded.
    pub fn from_url(url: &str, preset: Preset) -> Result<Self, Error> {
        let invalid = |problem: &str| Error::config("DATABASE_URL", problem);
        if url.contains('?') {
            return Err(invalid(
                "query parameters are not read; set DB_TLS, DB_POOL_MAX and the like instead",
            ));
        }
        let opts = mysql_async::Opts::from_url(url)
            .map_err(|_| invalid("expected mysql://user:password@host:port/database"))?;
        let user = opts
            .user()
            .filter(|u| !u.is_empty())
            .ok_or_else(|| invalid("names no user"))?;
        let database = opts
            .db_name()
            .filter(|d| !d.is_empty())
            .ok_or_else(|| invalid("names no database (add /dice)"))?;
        let mut config = Self::new(opts.ip_or_hostname(), user, database, preset);
        config.port = opts.tcp_port();
        config.auth = Auth::Password(opts.pass().map(Password::new));
        Ok(config)
    }

    /// Logs in with this password.
    #[must_use]
    pub fn password(mut self, password: Password) -> Self {
        self.auth = Auth::Password(Some(password));
        self
    }

    /// Logs in with IAM database authentication: a fresh RDS auth token
    /// instead of a password. Needs [`Tls::Required`] or [`Tls::VerifyCa`]:
    /// without TLS the store refuses to send the token
    /// ([`MysqlConfig::check`]).
    #[must_use]
    pub fn iam(mut self, iam: IamAuth) -> Self {
        self.auth = Auth::Iam(iam);
        self
    }

    /// Refuses settings that contradict each other, with an error naming the
    /// variable to change: IAM authentication without TLS.
    /// [`MysqlStore::connect`](crate::MysqlStore::connect) and
    /// [`MysqlConfig::from_env`] check this.
    pub fn check(&self) -> Result<(), Error> {
        if matches!(self.auth, Auth::Iam(_)) && self.tls == Tls::Off {
            return Err(Error::config(
                "DB_TLS",
                "must be required or verify with DB_AUTH=iam: the auth token is sent as \
                 a clear-text password, so only over TLS",
            ));
        }
        Ok(())
    }

    /// Sets the TCP port (default 3306).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Sets the database name.
    #[must_use]
    pub fn database_name(mut self, database: impl Into<String>) -> Self {
        self.database = database.into();
        self
    }

    /// Sets how the connection is encrypted.
    #[must_use]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = tls;
        self
    }

    /// Sets the most connections the pool opens, kept within 1..=1000.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.clamp(*numbers::POOL_MAX.start(), *numbers::POOL_MAX.end());
        self
    }

    /// Sets how long connecting (TCP, TLS and login) may take, kept within
    /// 1 ms..=600 s (a zero timeout would fail every call).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = clamp(timeout, &numbers::CONNECT_TIMEOUT);
        self
    }

    /// Sets how long one statement may take, kept within 1 ms..=3600 s.
    #[must_use]
    pub fn query_timeout(mut self, timeout: Duration) -> Self {
        self.query_timeout = clamp(timeout, &numbers::QUERY_TIMEOUT);
        self
    }

    /// Sets how long idempotency keys are remembered (default 24 hours), kept
    /// within 1 s..=30 days and rounded down to whole seconds.
    #[must_use]
    pub fn key_ttl(mut self, ttl: Duration) -> Self {
        let ttl = Duration::from_secs(ttl.as_secs());
        self.key_ttl = clamp(ttl, &numbers::KEY_TTL);
        self
    }

    /// Whether plain inserts made while every connection is busy queue and go
    /// together as one multi-row `INSERT` (on in the server preset, off in the
    /// Lambda one). Each caller still gets its own rows and ids, only once
    /// they are committed, and the truth when the statement fails; an insert
    /// that finds a connection free goes at once, as without. There are as
    /// many statements at once as the pool has connections.
    #[must_use]
    pub fn coalesce(mut self, on: bool) -> Self {
        self.coalesce = on;
        self
    }

    /// The database name.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The host name or address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// How the store logs in.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }
}

fn clamp(value: Duration, range: &std::ops::RangeInclusive<Duration>) -> Duration {
    value.clamp(*range.start(), *range.end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_keep_values_in_range() {
        let config = MysqlConfig::new("h", "u", "d", Preset::Server)
            .max_connections(0)
            .connect_timeout(Duration::ZERO)
            .query_timeout(Duration::MAX)
            .key_ttl(Duration::from_millis(999));
        assert_eq!(config.max_connections, 1);
        assert_eq!(config.connect_timeout, Duration::from_millis(1));
        assert_eq!(config.query_timeout, Duration::from_secs(3600));
        assert_eq!(config.key_ttl, Duration::from_secs(1));
        let config = config
            .max_connections(usize::MAX)
            .key_ttl(Duration::from_secs(1_000_000_000));
        assert_eq!(config.max_connections, 1000);
        assert_eq!(config.key_ttl, Duration::from_secs(30 * 24 * 3600));
    }

    #[test]
    fn presets_are_within_the_ranges_the_variables_accept() {
        for preset in [Preset::Lambda, Preset::Server] {
            let config = MysqlConfig::new("h", "u", "d", preset);
            assert!(numbers::POOL_MAX.contains(&config.max_connections));
            assert!(numbers::CONNECT_TIMEOUT.contains(&config.connect_timeout));
            assert!(numbers::QUERY_TIMEOUT.contains(&config.query_timeout));
            assert!(numbers::KEY_TTL.contains(&config.key_ttl));
        }
    }
}
