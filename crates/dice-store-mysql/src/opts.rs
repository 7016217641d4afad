//! Turning a [`MysqlConfig`] into the driver's connection and pool options.

use std::time::Duration;

use mysql_async::{OptsBuilder, PoolConstraints, PoolOpts, SslOpts};

use crate::config::{Auth, MysqlConfig, Tls};

/// MySQL 8.0's default `sql_mode`, set on MariaDB too so that what passes here
/// passes on Aurora MySQL 3.
pub const MYSQL8_SQL_MODE: &str = "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,\
NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";

/// How long past the pool's idle timeout the server itself closes a silent
/// connection: a frozen Lambda cannot close its own, and they must not keep
/// Aurora from pausing.
const SERVER_IDLE_GRACE: Duration = Duration::from_secs(30);

/// The driver's options for `config`; in IAM mode without the token, which
/// `pools` adds.
pub(crate) fn driver_opts(config: &MysqlConfig) -> mysql_async::Opts {
    let server_idle = (config.idle_timeout + SERVER_IDLE_GRACE).as_secs();
    // min(idle / 2, 30 s), but at least 1 s: idle connections close close to on time.
    let ttl_check =
        (config.idle_timeout / 2).clamp(Duration::from_secs(1), Duration::from_secs(30));
    let constraints = PoolConstraints::new(0, config.max_connections).unwrap_or_default();
    let pool = PoolOpts::default()
        .with_constraints(constraints)
        .with_inactive_connection_ttl(config.idle_timeout)
        .with_ttl_check_interval(ttl_check)
        // Sessions keep no state between calls; a reset would cost a round trip
        // and the prepared statement cache on every return to the pool.
        .with_reset_connection(false);
    let (password, clear_text) = match &config.auth {
        Auth::Password(password) => (password.as_ref().map(|p| p.expose().to_owned()), false),
        // The token goes as a clear-text password (mysql_clear_password), as
        // RDS requires; `pools` never lets it go without TLS.
        Auth::Iam(_) => (None, true),
    };
    OptsBuilder::default()
        .ip_or_hostname(config.host.clone())
        .tcp_port(config.port)
        .user(Some(config.user.clone()))
        .pass(password)
        .enable_cleartext_plugin(clear_text)
        .db_name(Some(config.database.clone()))
        .tcp_nodelay(true)
        .prefer_socket(false)
        .stmt_cache_size(64)
        .wait_timeout(usize::try_from(server_idle).ok())
        .setup(vec![
            "SET time_zone = '+00:00'".to_owned(),
            format!("SET sql_mode = '{MYSQL8_SQL_MODE}'"),
            format!("SET wait_timeout = {server_idle}"),
        ])
        .ssl_opts(ssl_opts(&config.tls))
        .pool_opts(pool)
        .into()
}

fn ssl_opts(tls: &Tls) -> Option<SslOpts> {
    match tls {
        Tls::Off => None,
        Tls::Required => Some(
            SslOpts::default()
                .with_danger_accept_invalid_certs(true)
                .with_danger_skip_domain_validation(true),
        ),
        Tls::VerifyCa { ca_file } => Some(
            SslOpts::default()
                .with_root_certs(vec![ca_file.clone().into()])
                .with_disable_built_in_roots(true),
        ),
    }
}
