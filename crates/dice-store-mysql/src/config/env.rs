//! Reading a [`MysqlConfig`] from environment variables, in the tutorial's names.

use super::numbers::{NUMBERS, PORT};
use super::switches::SWITCHES;
use super::{Auth, MysqlConfig, Password, Preset, Tls};
use crate::{Error, IamAuth};

impl MysqlConfig {
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
    /// with `DB_TLS_CA` naming a PEM file), `DB_POOL_MAX` (1..=1000 connections),
    /// `DB_CONNECT_TIMEOUT` (0.001..=600 seconds, to the millisecond: `0.5`),
    /// `DB_QUERY_TIMEOUT` (0.001..=3600 seconds, likewise),
    /// `DICE_IDEMPOTENCY_TTL` (1..=2592000 whole seconds) and `DB_COALESCE`
    /// (`on` or `off`: whether plain inserts made while every connection is
    /// busy go together, see [`MysqlConfig::coalesce`]; the preset's choice
    /// when unset).
    ///
    /// `DB_AUTH` says how to log in: `password` (the default: `DB_PASS` or the
    /// URL's password, if any) or `iam`: IAM database authentication, with a
    /// token signed for each login from `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` and `AWS_REGION` (which
    /// Lambda sets for the function's role); it needs `DB_TLS` `required` or
    /// `verify`, and no password.
    ///
    /// A bad or missing value fails with a one-line error naming the variable,
    /// the values it accepts and the value it got.
    pub fn from_lookup(
        preset: Preset,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let get = |name: &str| lookup(name).filter(|value| !value.is_empty());
        let mut config = Self::locate(preset, &get)?;
        config.tls = tls_from(&get)?;
        for number in NUMBERS {
            if let Some(text) = get(number.variable) {
                number.set(&mut config, &text)?;
            }
        }
        for switch in SWITCHES {
            if let Some(text) = get(switch.variable) {
                switch.set(&mut config, &text)?;
            }
        }
        if let Some(auth) = auth_from(&config, &get)? {
            config.auth = auth;
        }
        config.check()?;
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
        config.auth = Auth::Password(get("DB_PASS").map(Password::new));
        if let Some(text) = get(PORT.variable) {
            PORT.set(&mut config, &text)?;
        }
        Ok(config)
    }
}

/// A variable looked up by name; empty counts as unset.
type Lookup<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// `DB_AUTH`: `None` to keep the password (or none) the location gave.
fn auth_from(config: &MysqlConfig, get: &Lookup<'_>) -> Result<Option<Auth>, Error> {
    match get("DB_AUTH").as_deref() {
        None | Some("password") => Ok(None),
        Some("iam") => {
            let location = if get("DATABASE_URL").is_some() {
                "DATABASE_URL"
            } else {
                "DB_HOST"
            };
            if matches!(config.auth, Auth::Password(Some(_))) {
                let variable = if location == "DB_HOST" {
                    "DB_PASS"
                } else {
                    location
                };
                return Err(Error::config(
                    variable,
                    "must hold no password with DB_AUTH=iam: the login uses an auth token",
                ));
            }
            let iam = IamAuth::from_lookup(get)?;
            // Sign once now, so a host that cannot be put in a token fails at start.
            if let Err(Error::Token(why)) =
                iam.token(&config.host, config.port, &config.user, iam.now())
            {
                let problem = format!("cannot be put in an IAM auth token: {why}");
                return Err(Error::config(location, problem));
            }
            Ok(Some(Auth::Iam(iam)))
        }
        Some(_) => Err(Error::config("DB_AUTH", "must be password or iam")),
    }
}

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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<MysqlConfig, Error> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        MysqlConfig::from_lookup(Preset::Lambda, |name| vars.get(name).cloned())
    }

    fn password_of(config: &MysqlConfig) -> Option<&str> {
        match &config.auth {
            Auth::Password(password) => password.as_ref().map(Password::expose),
            Auth::Iam(_) => panic!("IAM, not a password"),
        }
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
        assert_eq!(password_of(&config), Some("pw"));
        assert_eq!(
            config.max_connections, 2,
            "the Lambda preset keeps the pool small"
        );
    }

    #[test]
    fn reads_a_url_with_encoded_credentials() {
        let config = from(&[("DATABASE_URL", "mysql://u%40x:p%2Fw@127.0.0.1:3310/db")]).unwrap();
        assert_eq!((config.user.as_str(), config.port), ("u@x", 3310));
        assert_eq!(password_of(&config), Some("p/w"));
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
    fn db_coalesce_turns_coalescing_on_or_off_over_the_preset() {
        let url = ("DATABASE_URL", "mysql://u@h/db");
        assert!(!from(&[url]).unwrap().coalesce, "off in the Lambda preset");
        assert!(from(&[url, ("DB_COALESCE", "on")]).unwrap().coalesce);
        assert!(!from(&[url, ("DB_COALESCE", "off")]).unwrap().coalesce);
        let server = |vars: &[(&str, &str)]| {
            let vars: HashMap<&str, &str> = vars.iter().copied().collect();
            MysqlConfig::from_lookup(Preset::Server, |name| vars.get(name).map(|v| v.to_string()))
        };
        assert!(server(&[url]).unwrap().coalesce, "on in the server preset");
        assert!(!server(&[url, ("DB_COALESCE", "off")]).unwrap().coalesce);
        for bad in ["yes", "ON", "1", "true", "of"] {
            assert_eq!(
                message_for("DB_COALESCE", bad),
                format!("DB_COALESCE must be on or off, not {bad:?}")
            );
        }
    }

    #[test]
    fn timeouts_are_read_to_the_millisecond() {
        let config = from(&[
            ("DATABASE_URL", "mysql://u@h/db"),
            ("DB_CONNECT_TIMEOUT", "0.001"),
            ("DB_QUERY_TIMEOUT", "2.5"),
        ])
        .unwrap();
        assert_eq!(config.connect_timeout, Duration::from_millis(1));
        assert_eq!(config.query_timeout, Duration::from_millis(2500));
    }

    fn message_for(variable: &str, value: &str) -> String {
        let url = ("DATABASE_URL", "mysql://u@h/db");
        let host = [("DB_HOST", "h"), ("DB_USER", "u")];
        let vars: Vec<(&str, &str)> = match variable {
            "DB_PORT" => vec![host[0], host[1], (variable, value)],
            _ => vec![url, (variable, value)],
        };
        match from(&vars) {
            Err(Error::Config(err)) => {
                assert_eq!(err.variable, variable, "{variable}={value:?}: {err}");
                err.to_string()
            }
            other => panic!("{variable}={value:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn each_nonsense_number_is_refused_by_name() {
        let nonsense = [
            "0", "-1", "NaN", "nan", "inf", "-inf", "1e309", "1e3", "0x10", "1 ", "one",
        ];
        let variables = [
            "DB_PORT",
            "DB_POOL_MAX",
            "DB_CONNECT_TIMEOUT",
            "DB_QUERY_TIMEOUT",
            "DICE_IDEMPOTENCY_TTL",
        ];
        for variable in variables {
            for value in nonsense {
                let message = message_for(variable, value);
                assert!(
                    message.starts_with(variable) && message.ends_with(&format!("not {value:?}")),
                    "{message}"
                );
            }
        }
        for (variable, value) in [
            ("DB_PORT", "65536"),
            ("DB_POOL_MAX", "1001"),
            ("DB_POOL_MAX", "2.5"),
            ("DB_CONNECT_TIMEOUT", "0.0005"),
            ("DB_CONNECT_TIMEOUT", "0.000"),
            ("DB_CONNECT_TIMEOUT", "600.001"),
            ("DB_QUERY_TIMEOUT", "3601"),
            ("DB_QUERY_TIMEOUT", ".5"),
            ("DICE_IDEMPOTENCY_TTL", "0.5"),
            ("DICE_IDEMPOTENCY_TTL", "2592001"),
        ] {
            message_for(variable, value);
        }
    }

    #[test]
    fn refusals_say_the_unit_and_the_range() {
        assert_eq!(
            message_for("DB_CONNECT_TIMEOUT", "0"),
            "DB_CONNECT_TIMEOUT must be a number of seconds from 0.001 to 600 \
             (at most 3 decimals), not \"0\""
        );
        assert_eq!(
            message_for("DB_QUERY_TIMEOUT", "NaN"),
            "DB_QUERY_TIMEOUT must be a number of seconds from 0.001 to 3600 \
             (at most 3 decimals), not \"NaN\""
        );
        assert_eq!(
            message_for("DB_POOL_MAX", "-1"),
            "DB_POOL_MAX must be a whole number of connections from 1 to 1000, not \"-1\""
        );
        assert_eq!(
            message_for("DICE_IDEMPOTENCY_TTL", "inf"),
            "DICE_IDEMPOTENCY_TTL must be a whole number of seconds from 1 to 2592000, \
             not \"inf\""
        );
        assert_eq!(
            message_for("DB_PORT", "1e309"),
            "DB_PORT must be a whole number from 1 to 65535, not \"1e309\""
        );
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

    const ROLE: [(&str, &str); 4] = [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ),
        ("AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjEJr-session-token"),
    ];

    fn iam_vars(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut vars = vec![
            ("DB_HOST", "db.example.com"),
            ("DB_USER", "dice_app"),
            ("DB_AUTH", "iam"),
            ("DB_TLS", "required"),
        ];
        vars.extend(ROLE);
        for (name, value) in extra {
            vars.retain(|(n, _)| n != name);
            if !value.is_empty() {
                vars.push((name, value));
            }
        }
        vars
    }

    #[test]
    fn db_auth_iam_reads_the_role_credentials_and_region() {
        let config = from(&iam_vars(&[])).unwrap();
        match config.auth() {
            Auth::Iam(iam) => assert_eq!(iam.region(), "eu-west-1"),
            other => panic!("not IAM: {other:?}"),
        }
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("EXAMPLEKEY") && !debug.contains("IQoJ"),
            "{debug}"
        );
        // Without a session token (long-term keys), too.
        assert!(from(&iam_vars(&[("AWS_SESSION_TOKEN", "")])).is_ok());
    }

    #[test]
    fn password_stays_the_default_and_can_be_named() {
        for auth in [None, Some("password")] {
            let mut vars = vec![("DB_HOST", "h"), ("DB_USER", "u"), ("DB_PASS", "pw")];
            vars.extend(auth.map(|a| ("DB_AUTH", a)));
            assert_eq!(password_of(&from(&vars).unwrap()), Some("pw"));
        }
    }

    #[test]
    fn db_auth_iam_without_tls_refuses_to_start_naming_both_variables() {
        for tls in ["off", ""] {
            let err = from(&iam_vars(&[("DB_TLS", tls)])).unwrap_err();
            let Error::Config(config) = &err else {
                panic!("not a config error: {err}")
            };
            assert_eq!(config.variable, "DB_TLS");
            let line = err.to_string();
            assert!(
                line.contains("DB_AUTH=iam") && !line.contains('\n'),
                "{line}"
            );
        }
        let ca = std::env::current_exe().unwrap();
        let ca: &'static str = Box::leak(ca.to_str().unwrap().to_owned().into_boxed_str());
        assert!(from(&iam_vars(&[("DB_TLS", "verify"), ("DB_TLS_CA", ca)])).is_ok());
    }

    #[test]
    fn db_auth_iam_errors_name_their_variable() {
        let cases: [(&[(&'static str, &'static str)], &str); 8] = [
            (&[("DB_AUTH", "kerberos")], "DB_AUTH"),
            (&[("DB_PASS", "pw")], "DB_PASS"),
            (&[("AWS_REGION", "")], "AWS_REGION"),
            (&[("AWS_REGION", "Mars")], "AWS_REGION"),
            (&[("AWS_ACCESS_KEY_ID", "")], "AWS_ACCESS_KEY_ID"),
            (&[("AWS_SECRET_ACCESS_KEY", "")], "AWS_SECRET_ACCESS_KEY"),
            (&[("AWS_SESSION_TOKEN", "a b")], "AWS_SESSION_TOKEN"),
            (&[("DB_HOST", "bad host")], "DB_HOST"),
        ];
        for (change, variable) in cases {
            assert_eq!(variable_of(&iam_vars(change)), variable, "{change:?}");
        }
        let url = [
            ("DATABASE_URL", "mysql://dice_app:pw@db.example.com/dice"),
            ("DB_AUTH", "iam"),
            ("DB_TLS", "required"),
        ];
        let mut vars = url.to_vec();
        vars.extend(ROLE);
        assert_eq!(variable_of(&vars), "DATABASE_URL");
        vars[0].1 = "mysql://dice_app@db.example.com/dice";
        assert!(from(&vars).is_ok());
    }
}
