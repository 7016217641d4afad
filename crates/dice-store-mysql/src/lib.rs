//! The [`RollStore`](dice_core::RollStore) on MySQL: Aurora MySQL 3 in production,
//! MySQL 8.0 or MariaDB anywhere else.
//!
//! - [`MysqlConfig`]: where the database is, from `DATABASE_URL` or the
//!   tutorial's `DB_HOST`/`DB_PORT`/`DB_USER`/`DB_PASS`/`DB_NAME`, with TLS and
//!   pool [`Preset`]s for Lambda and for servers.
//! - [`MysqlStore`]: the store, with time limits, retries inside a deadline,
//!   idempotent inserts that survive lost replies, and plain inserts whose
//!   answer stays true when their reply is lost; [`MysqlStore::migrate`] makes
//!   the schema.
//!
//! ```no_run
//! use dice_core::{ListQuery, RollRequest, RollStore};
//! use dice_store_mysql::{MysqlConfig, MysqlStore, Preset};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = MysqlConfig::from_env(Preset::Server)?;
//! let store = MysqlStore::connect(&config).await?;
//! store.migrate().await?;
//! let request = RollRequest::parse_json(br#"{"outcome": 6}"#)?;
//! store.record(&request.roll_os()?, None).await?;
//! let page = store.list(&ListQuery::new()).await?;
//! # Ok(()) }
//! ```

mod coalesce;
mod config;
mod connect_error;
mod counts;
mod error;
mod exec;
mod iam;
mod idempotency;
mod insert;
mod migrate;
mod opts;
mod plain;
mod pools;
mod rows;
mod sql;
mod store;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use config::{Auth, ENV_VARS, MysqlConfig, Password, Preset, Tls};
pub use error::Error;
pub use iam::{AuthToken, AwsCredentials, Clock, IamAuth, SystemClock, TOKEN_LIFETIME};
pub use migrate::LATEST_VERSION;
pub use opts::MYSQL8_SQL_MODE;
pub use store::MysqlStore;
