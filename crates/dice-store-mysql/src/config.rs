//! [`MysqlConfig`]: where the database is and how to talk to it, from the
//! environment or from code.

use std::fmt;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use crate::Error;

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
    Lambda,
    /// A long-running server with many requests in flight: 16 connections, kept
    /// for 5 minutes idle.
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
    pub(crate) password: Option<Password>,
    pub(crate) database: String,
    pub(crate) tls: Tls,
    pub(crate) max_connections: usize,
    pub(crate) idle_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) query_timeout: Duration,
    pub(crate) key_ttl: Duration,
}

/// The variables [`MysqlConfig::from_env`] reads, in the tutorial's names.
pub const ENV_VARS: &[&str] = &[
    "DATABASE_URL",
    "DB_HOST",
    "DB_PORT",
    "DB_USER",
    "DB_PASS",
    "DB_NAME",
    "DB_TLS",
    "DB_TLS_CA",
    "DB_POOL_MAX",
    "DB_CONNECT_TIMEOUT",
    "DB_QUERY_TIMEOUT",
    "DICE_IDEMPOTENCY_TTL",
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
        let (max_connections, idle_timeout, connect_timeout) = match preset {
            Preset::Lambda => (2, Duration::from_secs(60), Duration::from_secs(5)),
            Preset::Server => (16, Duration::from_secs(300), Duration::from_secs(10)),
        };
        Self {
            host: host.into(),
            port: 3306,
            user: user.into(),
            password: None,
            database: database.into(),
            tls: Tls::Off,
            max_connections,
            idle_timeout,
            connect_timeout,
            query_timeout: Duration::from_secs(10),
            key_ttl: Duration::from_secs(24 * 60 * 60),
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
        config.password = opts.pass().map(Password::new);
        Ok(config)
    }

    /// Reads the process environment; see [`MysqlConfig::from_lookup`].
    pub fn from_env(preset: Preset) -> Result<Self, Error> {
        Self::from_lookup(preset, |name| std::env::var(name).ok())
    }

    /// Whether the environment names a database at all (`DATABASE_URL` or `DB_HOST`),
    /// for programs that fall back to another store when it does not.
    pub fn is_configured(lookup: impl Fn(&str) -> Option<String>) -> bool {
        ["DATABASE_URL", "DB_HOST"]
            .iter()
            .any(|name| lookup(name).is_some_and(|v| !v.is_empty()))
    }

    /// Builds the configuration from variables looked up by name: `DATABASE_URL`,
    /// or the tutorial's `DB_HOST`, `DB_PORT` (3306), `DB_USER`, `DB_PASS`,
    /// `DB_NAME` (`dice`); then `DB_TLS` (`off`, `required` or `verify`, the last
    /// with `DB_TLS_CA` naming a PEM file), `DB_POOL_MAX`, `DB_CONNECT_TIMEOUT`
    /// and `DB_QUERY_TIMEOUT` (seconds), and `DICE_IDEMPOTENCY_TTL` (seconds).
    ///
    /// A bad or missing value fails with an error naming the variable.
    pub fn from_lookup(
        preset: Preset,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let get = |name: &str| lookup(name).filter(|value| !value.is_empty());
        let mut config = Self::locate(preset, &get)?;
        config.tls = tls_from(&get)?;
        for number in NUMBERS {
            if let Some(text) = get(number.variable) {
                (number.apply)(&mut config, number.parse(&text)?);
            }
        }
        Ok(config)
    }

    /// Where the database is: `DATABASE_URL`, or `DB_HOST` and its companions.
    fn locate(preset: Preset, get: &Lookup<'_>) -> Result<Self, Error> {
        match (get("DATABASE_URL"), get("DB_HOST")) {
            (Some(_), Some(_)) => Err(Error::config(
                "DATABASE_URL",
                "and DB_HOST are both set; use one or the other",
            )),
            (Some(url), None) => Self::from_url(&url, preset),
            (None, Some(host)) => Self::from_host(host, preset, get),
            (None, None) => Err(Error::config("DATABASE_URL", "or DB_HOST must be set")),
        }
    }

    /// The tutorial's variables: `DB_HOST`, `DB_PORT`, `DB_USER`, `DB_PASS`, `DB_NAME`.
    fn from_host(host: String, preset: Preset, get: &Lookup<'_>) -> Result<Self, Error> {
        let user =
            get("DB_USER").ok_or_else(|| Error::config("DB_USER", "is required with DB_HOST"))?;
        let database = get("DB_NAME").unwrap_or_else(|| "dice".to_owned());
        let mut config = Self::new(host, user, database, preset);
        config.password = get("DB_PASS").map(Password::new);
        if let Some(text) = get(PORT.variable) {
            (PORT.apply)(&mut config, PORT.parse(&text)?);
        }
        Ok(config)
    }

    /// Sets the password.
    #[must_use]
    pub fn password(mut self, password: Password) -> Self {
        self.password = Some(password);
        self
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

    /// Sets the most connections the pool opens.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Sets how long connecting (TCP, TLS and login) may take.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets how long one statement may take.
    #[must_use]
    pub fn query_timeout(mut self, timeout: Duration) -> Self {
        self.query_timeout = timeout;
        self
    }

    /// Sets how long idempotency keys are remembered (default 24 hours).
    #[must_use]
    pub fn key_ttl(mut self, ttl: Duration) -> Self {
        self.key_ttl = ttl;
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
}

/// A variable looked up by name; empty counts as unset.
type Lookup<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// `DB_TLS` and `DB_TLS_CA`, which only make sense together.
fn tls_from(get: &Lookup<'_>) -> Result<Tls, Error> {
    let tls = match (get("DB_TLS").as_deref(), get("DB_TLS_CA")) {
        (None | Some("off"), None) => Tls::Off,
        (Some("required"), None) => Tls::Required,
        (None | Some("verify"), Some(ca_file)) => Tls::VerifyCa {
            ca_file: ca_file.into(),
        },
        (Some("verify"), None) => {
            return Err(Error::config(
                "DB_TLS_CA",
                "must name the CA bundle when DB_TLS=verify",
            ));
        }
        (Some("off" | "required"), Some(_)) => {
            return Err(Error::config(
                "DB_TLS",
                "must be verify when DB_TLS_CA is set",
            ));
        }
        (Some(_), _) => return Err(Error::config("DB_TLS", "must be off, required or verify")),
    };
    if let Tls::VerifyCa { ca_file } = &tls
        && !ca_file.is_file()
    {
        return Err(Error::config(
            "DB_TLS_CA",
            format!("{} is not a readable file", ca_file.display()),
        ));
    }
    Ok(tls)
}

/// A numeric variable: the values it accepts and the setting it makes.
struct Number {
    variable: &'static str,
    range: RangeInclusive<u64>,
    /// Stores a value from `range` (so the conversions in it cannot fail).
    apply: fn(&mut MysqlConfig, u64),
}

impl Number {
    fn parse(&self, text: &str) -> Result<u64, Error> {
        text.parse::<u64>()
            .ok()
            .filter(|n| self.range.contains(n))
            .ok_or_else(|| {
                Error::config(
                    self.variable,
                    format!(
                        "must be a whole number from {} to {}, not {text:?}",
                        self.range.start(),
                        self.range.end()
                    ),
                )
            })
    }
}

/// `DB_PORT`, read only with `DB_HOST` (a `DATABASE_URL` names its own port).
const PORT: Number = Number {
    variable: "DB_PORT",
    range: 1..=65535,
    apply: |config, port| config.port = u16::try_from(port).unwrap_or(config.port),
};

/// The numeric variables read whichever way the database is named.
const NUMBERS: &[Number] = &[
    Number {
        variable: "DB_POOL_MAX",
        range: 1..=1000,
        apply: |config, max| {
            config.max_connections = usize::try_from(max).unwrap_or(config.max_connections);
        },
    },
    Number {
        variable: "DB_CONNECT_TIMEOUT",
        range: 1..=600,
        apply: |config, secs| config.connect_timeout = Duration::from_secs(secs),
    },
    Number {
        variable: "DB_QUERY_TIMEOUT",
        range: 1..=3600,
        apply: |config, secs| config.query_timeout = Duration::from_secs(secs),
    },
    Number {
        variable: "DICE_IDEMPOTENCY_TTL",
        range: 1..=30 * 24 * 3600,
        apply: |config, secs| config.key_ttl = Duration::from_secs(secs),
    },
];

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<MysqlConfig, Error> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        MysqlConfig::from_lookup(Preset::Lambda, |name| vars.get(name).cloned())
    }

    fn variable_of(vars: &[(&str, &str)]) -> String {
        match from(vars).unwrap_err() {
            Error::Config(err) => err.variable.to_owned(),
            other => panic!("not a config error: {other}"),
        }
    }

    #[test]
    fn reads_the_tutorial_variables() {
        let config = from(&[
            ("DB_HOST", "h"),
            ("DB_USER", "tom"),
            ("DB_PASS", "pw"),
            ("DB_NAME", "dice"),
            ("DB_PORT", "3307"),
        ])
        .unwrap();
        assert_eq!(
            (
                config.host(),
                config.port,
                config.user.as_str(),
                config.database()
            ),
            ("h", 3307, "tom", "dice")
        );
        assert_eq!(config.password.as_ref().map(Password::expose), Some("pw"));
        assert_eq!(
            config.max_connections, 2,
            "the Lambda preset keeps the pool small"
        );
    }

    #[test]
    fn reads_a_url_with_encoded_credentials() {
        let config = from(&[("DATABASE_URL", "mysql://u%40x:p%2Fw@127.0.0.1:3310/db")]).unwrap();
        assert_eq!((config.user.as_str(), config.port), ("u@x", 3310));
        assert_eq!(config.password.as_ref().map(Password::expose), Some("p/w"));
    }

    #[test]
    fn numeric_variables_set_what_they_name() {
        let config = from(&[
            ("DATABASE_URL", "mysql://u@h/db"),
            ("DB_POOL_MAX", "7"),
            ("DB_CONNECT_TIMEOUT", "3"),
            ("DB_QUERY_TIMEOUT", "4"),
            ("DICE_IDEMPOTENCY_TTL", "60"),
            ("DB_PORT", "3999"),
        ])
        .unwrap();
        assert_eq!(config.max_connections, 7);
        assert_eq!(config.connect_timeout, Duration::from_secs(3));
        assert_eq!(config.query_timeout, Duration::from_secs(4));
        assert_eq!(config.key_ttl, Duration::from_secs(60));
        assert_eq!(config.port, 3306, "a URL names its own port");
    }

    #[test]
    fn every_error_names_its_variable() {
        assert_eq!(variable_of(&[]), "DATABASE_URL");
        assert_eq!(variable_of(&[("DB_HOST", "h")]), "DB_USER");
        assert_eq!(
            variable_of(&[("DB_HOST", "h"), ("DB_USER", "u"), ("DB_PORT", "70000")]),
            "DB_PORT"
        );
        assert_eq!(
            variable_of(&[("DATABASE_URL", "postgres://x")]),
            "DATABASE_URL"
        );
        assert_eq!(
            variable_of(&[("DATABASE_URL", "mysql://u@h/db?pool_max=3")]),
            "DATABASE_URL"
        );
        assert_eq!(
            variable_of(&[("DATABASE_URL", "mysql://u@h/db"), ("DB_TLS", "yes")]),
            "DB_TLS"
        );
        assert_eq!(
            variable_of(&[("DATABASE_URL", "mysql://u@h/db"), ("DB_TLS", "verify")]),
            "DB_TLS_CA"
        );
        assert_eq!(
            variable_of(&[
                ("DATABASE_URL", "mysql://u@h/db"),
                ("DB_TLS_CA", "/nonexistent/ca.pem")
            ]),
            "DB_TLS_CA"
        );
        assert_eq!(
            variable_of(&[("DATABASE_URL", "mysql://u@h/db"), ("DB_POOL_MAX", "0")]),
            "DB_POOL_MAX"
        );
        assert_eq!(
            variable_of(&[("DATABASE_URL", "mysql://u@h/db"), ("DB_HOST", "h")]),
            "DATABASE_URL"
        );
    }

    #[test]
    fn config_errors_are_the_shared_type_and_read_as_one_line() {
        let err = from(&[("DB_HOST", "h")]).unwrap_err();
        assert_eq!(err.to_string(), "DB_USER is required with DB_HOST");
        match err {
            Error::Config(shared) => assert_eq!(
                shared,
                dice_core::ConfigError::new("DB_USER", "is required with DB_HOST")
            ),
            other => panic!("not a config error: {other}"),
        }
    }

    #[test]
    fn passwords_stay_out_of_debug_and_errors() {
        let config = from(&[("DATABASE_URL", "mysql://u:hunter2@h/db")]).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
        let err = from(&[("DATABASE_URL", "mysql://u:hunter2@h/db?x=1")]).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn tls_modes() {
        let url = ("DATABASE_URL", "mysql://u@h/db");
        assert_eq!(from(&[url]).unwrap().tls, Tls::Off);
        assert_eq!(
            from(&[url, ("DB_TLS", "required")]).unwrap().tls,
            Tls::Required
        );
        let ca = std::env::current_exe().unwrap();
        let ca = ca.to_str().unwrap();
        assert_eq!(
            from(&[url, ("DB_TLS_CA", ca)]).unwrap().tls,
            Tls::VerifyCa { ca_file: ca.into() }
        );
    }
}
