//! Serving: the local gateway's composition of configuration, service, keys
//! and listener, until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use dice_core::ConfigError;
use dice_store_mysql::Preset;
use tokio::net::TcpListener;

use super::cli::ServeArgs;
use super::key_source::KeySource;
use super::keys::{self, KeyRecord};
use super::plan::Meter;
use super::{Gateway, Settings, serve, shutdown_signal};
use crate::config::{Config, StoreConfig, WithoutDatabase};
use crate::{Error, Service, logging};
use dice_keys::counters::counters_path;

/// Serves the API as `args` say until told to stop; the generated key and the
/// address go to `out`.
pub(super) fn serve_until_stopped(
    keys_file: &Path,
    args: &ServeArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    logging::init_text();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?
        .block_on(run(keys_file, args, out))
}

async fn run(keys_file: &Path, args: &ServeArgs, out: &mut dyn Write) -> Result<(), Error> {
    let settings = settings(args)?;
    let service = Arc::new(Service::start(config()?).await?);
    // Bound before a key is made, so a taken port prints no key it never serves.
    let listener = listen(args.port).await?;
    let bound = listener.local_addr().map_err(|source| Error::Listen {
        address: SocketAddr::from(([127, 0, 0, 1], args.port)),
        source,
    })?;
    let keys = key_source(keys_file, out)?;
    let meter = Meter::persisted(counters_path(keys_file), settings.default_plan)?;
    let gateway = Arc::new(Gateway::new(settings, keys, meter, Arc::clone(&service)));
    writeln!(
        out,
        "dice-local listening on http://{bound}/{} (rolls {})",
        args.stage,
        service.describe_store()
    )
    .and_then(|()| out.flush())
    .map_err(Error::Output)?;
    serve(listener, gateway, shutdown_signal()).await;
    if let Ok(service) = Arc::try_unwrap(service) {
        service.close().await;
    }
    Ok(())
}

/// The configuration from the environment, in memory when no database is
/// named. With MySQL, migrations run on start so an empty database is enough;
/// the gateway logs one line per request, so the handler need not.
fn config() -> Result<Config, Error> {
    let mut config = Config::from_env(Preset::Server, WithoutDatabase::UseMemory)?;
    config.migrate = matches!(config.store, StoreConfig::Mysql(_));
    config.handler.log_requests = false;
    Ok(config)
}

/// The keys file, watched even before it exists so `keys add` works while
/// serving, plus `DICE_API_KEY`; with neither, a key generated and shown once.
/// Says which it is, so keys that seem to vanish (another working directory, a
/// mistyped path) are seen at once.
fn key_source(keys_file: &Path, out: &mut dyn Write) -> Result<KeySource, Error> {
    check_keys_directory(keys_file)?;
    let file = Some(keys_file.to_path_buf());
    let env_key = std::env::var("DICE_API_KEY")
        .ok()
        .filter(|v| !v.is_empty())
        .map(|value| local_key(&value));
    let from_env = env_key.is_some();
    let keys = KeySource::new(file.clone(), env_key)?;
    if keys.is_empty() {
        let value = keys::random_token(40)?;
        let path = keys_file.display();
        writeln!(
            out,
            "keys: none in {path} and no DICE_API_KEY; one made for this run"
        )
        .and_then(|()| writeln!(out, "API key (id local), shown only now: {value}"))
        .map_err(Error::Output)?;
        return Ok(KeySource::new(file, Some(local_key(&value)))?);
    }
    let env = if from_env {
        "DICE_API_KEY (id local) and "
    } else {
        ""
    };
    let in_file = keys.len_in_file();
    writeln!(out, "keys: {env}{in_file} from {}", keys_file.display()).map_err(Error::Output)?;
    Ok(keys)
}

/// A keys file in a directory that does not exist is a mistyped path.
fn check_keys_directory(keys_file: &Path) -> Result<(), Error> {
    let directory = match keys_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if directory.is_dir() {
        return Ok(());
    }
    Err(ConfigError::new(
        "--keys-file",
        format!(
            "names a file in {}, which is not a directory",
            directory.display()
        ),
    )
    .into())
}

async fn listen(port: u16) -> Result<TcpListener, Error> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    TcpListener::bind(address)
        .await
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => Error::AddressInUse(address),
            _ => Error::Listen { address, source },
        })
}

fn settings(args: &ServeArgs) -> Result<Settings, Error> {
    Ok(Settings {
        stage: args.stage.clone(),
        default_plan: args.plan.plan()?.unwrap_or_default(),
        max_in_flight: usize::try_from(args.max_in_flight).unwrap_or(usize::MAX),
        queue_timeout: args.queue_timeout,
        request_timeout: args.timeout,
        read_timeout: args.read_timeout,
    })
}

/// The key given by `DICE_API_KEY` or generated at start: id `local`.
fn local_key(value: &str) -> KeyRecord {
    KeyRecord {
        id: "local".to_owned(),
        name: "local".to_owned(),
        hash: keys::hash(value),
        enabled: true,
        plan: None,
        usage_plan: None,
        created: None,
        disable_at: None,
    }
}
