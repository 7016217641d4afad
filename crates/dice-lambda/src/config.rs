//! What the binaries read from their environment, checked before anything runs.

pub use dice_core::ConfigError;
use dice_store_mysql::{MysqlConfig, Preset};

use crate::Options;

/// Where rolls are kept.
#[derive(Debug, Clone)]
pub enum StoreConfig {
    /// A MySQL or Aurora database.
    Mysql(MysqlConfig),
    /// Process memory: for trying things out; rolls are gone on exit.
    Memory,
}

/// Everything `bootstrap` (and the local gateway) configure from variables.
#[derive(Debug, Clone)]
pub struct Config {
    /// The store.
    pub store: StoreConfig,
    /// How the handler treats requests.
    pub handler: Options,
    /// Whether to run the schema migrations at start (`DICE_MIGRATE=true`). Off by
    /// default in Lambda, where DDL is a deployment step, not a cold-start one.
    pub migrate: bool,
}

/// What to do when no database is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithoutDatabase {
    /// Refuse to start (Lambda: a forgotten variable must not lose data).
    Fail,
    /// Keep rolls in memory (the local gateway's default).
    UseMemory,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env(
        preset: Preset,
        without_database: WithoutDatabase,
    ) -> Result<Self, ConfigError> {
        Self::from_lookup(preset, without_database, |name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`: the database variables of
    /// [`MysqlConfig::from_lookup`], `DICE_STORE` (`mysql` or `memory`),
    /// `DICE_ALLOW_ANONYMOUS` and `DICE_MIGRATE` (`true` or `false`).
    pub fn from_lookup(
        preset: Preset,
        without_database: WithoutDatabase,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.is_empty());
        let database_named = MysqlConfig::is_configured(&lookup);
        let store = match get("DICE_STORE").as_deref() {
            Some("memory") => StoreConfig::Memory,
            Some("mysql") => StoreConfig::Mysql(mysql(preset, &lookup)?),
            None if database_named => StoreConfig::Mysql(mysql(preset, &lookup)?),
            None if without_database == WithoutDatabase::UseMemory => StoreConfig::Memory,
            None => {
                return Err(ConfigError::new(
                    "DATABASE_URL",
                    "or DB_HOST must be set (or DICE_STORE=memory to keep rolls in memory)",
                ));
            }
            Some(_) => {
                return Err(ConfigError::new("DICE_STORE", "must be mysql or memory"));
            }
        };
        Ok(Self {
            store,
            handler: Options {
                allow_anonymous: flag("DICE_ALLOW_ANONYMOUS", get("DICE_ALLOW_ANONYMOUS"))?,
                ..Options::default()
            },
            migrate: flag("DICE_MIGRATE", get("DICE_MIGRATE"))?,
        })
    }
}

fn mysql(
    preset: Preset,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<MysqlConfig, ConfigError> {
    MysqlConfig::from_lookup(preset, lookup).map_err(|err| match err {
        dice_store_mysql::Error::Config(err) => err,
        other => ConfigError::new("DATABASE_URL", other.to_string()),
    })
}

fn flag(variable: &'static str, value: Option<String>) -> Result<bool, ConfigError> {
    match value.as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ConfigError::new(variable, "must be true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)], without: WithoutDatabase) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(Preset::Lambda, without, |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn lambda_refuses_to_start_without_a_database() {
        let err = from(&[], WithoutDatabase::Fail).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
        assert!(matches!(
            from(&[("DICE_STORE", "memory")], WithoutDatabase::Fail)
                .unwrap()
                .store,
            StoreConfig::Memory
        ));
    }

    #[test]
    fn local_defaults_to_memory() {
        assert!(matches!(
            from(&[], WithoutDatabase::UseMemory).unwrap().store,
            StoreConfig::Memory
        ));
        let mysql = from(
            &[("DATABASE_URL", "mysql://u@h/db")],
            WithoutDatabase::UseMemory,
        )
        .unwrap();
        assert!(matches!(mysql.store, StoreConfig::Mysql(_)));
    }

    #[test]
    fn flags_and_errors_name_their_variable() {
        let config = from(
            &[("DICE_STORE", "memory"), ("DICE_ALLOW_ANONYMOUS", "true")],
            WithoutDatabase::Fail,
        )
        .unwrap();
        assert!(config.handler.allow_anonymous);
        assert!(!config.migrate);
        let err = from(
            &[("DICE_STORE", "memory"), ("DICE_MIGRATE", "yes")],
            WithoutDatabase::Fail,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "DICE_MIGRATE must be true or false");
        assert_eq!(
            from(&[("DICE_STORE", "redis")], WithoutDatabase::Fail)
                .unwrap_err()
                .variable,
            "DICE_STORE"
        );
        assert_eq!(
            from(&[("DB_HOST", "h")], WithoutDatabase::Fail)
                .unwrap_err()
                .variable,
            "DB_USER"
        );
    }
}
