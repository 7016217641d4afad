//! `dice-local`: the whole service on one machine. An API Gateway stand-in on
//! 127.0.0.1 with API keys and usage plans, in front of the same handler as
//! `bootstrap`, on an in-memory store or MySQL.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line program

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use dice_lambda::config::{Config, StoreConfig, WithoutDatabase};
use dice_lambda::local::keys::{self, KeyRecord, KeysFile};
use dice_lambda::local::plan::{Period, Plan, Quota, Throttle};
use dice_lambda::local::{Gateway, KeySource, Settings, serve, shutdown_signal};
use dice_lambda::{Handler, Store, logging};
use dice_store_mysql::Preset;

/// The dice API on your machine, behind an API Gateway stand-in.
///
/// Serves http://127.0.0.1:PORT/STAGE/... with the routes of the Lambda function.
/// Rolls are kept in memory unless DATABASE_URL or DB_HOST (with DB_USER,
/// DB_PASS, DB_NAME, DB_PORT) names a MySQL database, which is then migrated on
/// start. Requests need an x-api-key header: DICE_API_KEY sets one (id "local"),
/// the keys file holds more, and without either one is generated and printed once.
#[derive(Debug, Parser)]
#[command(name = "dice-local", version)]
struct Cli {
    /// The keys file: API key ids, names, states and plans; never key values.
    #[arg(
        long,
        global = true,
        env = "DICE_KEYS_FILE",
        default_value = "dice-keys.json"
    )]
    keys_file: PathBuf,

    #[command(flatten)]
    serve: ServeArgs,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (what runs without a subcommand).
    Serve,
    /// Manage the API keys in the keys file.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Add a key and print its value, the only time it is shown.
    Add {
        /// A name for people, such as who holds the key.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// List keys: id, name, state and plan (never values).
    List,
    /// Refuse a key until it is enabled again.
    Disable {
        /// The key's id.
        id: String,
    },
    /// Accept a disabled key again.
    Enable {
        /// The key's id.
        id: String,
    },
    /// Remove a key for good.
    Delete {
        /// The key's id.
        id: String,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The port on 127.0.0.1.
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// The stage every path starts with, as on API Gateway: /prod/rolls.
    #[arg(long, default_value = "prod")]
    stage: String,
    /// The usage plan of keys without one of their own.
    #[command(flatten)]
    plan: PlanArgs,
    /// Requests handled at once; more wait their turn.
    #[arg(long, default_value_t = 64)]
    max_in_flight: usize,
    /// Seconds a request may wait for its turn before 503 with Retry-After.
    #[arg(long, default_value_t = 10)]
    queue_timeout: u64,
    /// Seconds the function may take, like API Gateway's integration timeout.
    #[arg(long, default_value_t = 29)]
    timeout: u64,
}

#[derive(Debug, Args)]
struct PlanArgs {
    /// Throttle: steady requests per second per key (needs --burst).
    #[arg(long, requires = "burst")]
    rate: Option<f64>,
    /// Throttle: requests a key may send at once (needs --rate).
    #[arg(long, requires = "rate")]
    burst: Option<u32>,
    /// Quota: requests per key per --quota-period.
    #[arg(long)]
    quota: Option<u64>,
    /// The quota's period: day, week or month.
    #[arg(long, default_value = "day")]
    quota_period: Period,
}

impl PlanArgs {
    fn plan(&self) -> Option<Plan> {
        let throttle = self
            .rate
            .zip(self.burst)
            .map(|(rate, burst)| Throttle { rate, burst });
        let quota = self.quota.map(|limit| Quota {
            limit,
            period: self.quota_period,
        });
        (throttle.is_some() || quota.is_some()).then_some(Plan { throttle, quota })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Keys(command)) => manage_keys(&cli.keys_file, command),
        Some(Command::Serve) | None => run_server(&cli.keys_file, &cli.serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dice-local: {message}");
            ExitCode::FAILURE
        }
    }
}

fn manage_keys(path: &Path, command: KeysCommand) -> Result<(), String> {
    let mut file = KeysFile::load(path).map_err(|e| e.to_string())?;
    match command {
        KeysCommand::Add { name, plan } => {
            let (record, value) = file.add(&name, plan.plan()).map_err(|e| e.to_string())?;
            file.save(path).map_err(|e| e.to_string())?;
            println!(
                "added key {} ({name}); its value, shown only now:",
                record.id
            );
            println!("{value}");
            return Ok(());
        }
        KeysCommand::List => {
            println!("{:<12} {:<9} {:<24} plan", "id", "state", "name");
            for key in &file.keys {
                let state = if key.enabled { "enabled" } else { "disabled" };
                println!(
                    "{:<12} {state:<9} {:<24} {}",
                    key.id,
                    key.name,
                    describe(key.plan.as_ref())
                );
            }
            return Ok(());
        }
        KeysCommand::Disable { id } => file.get_mut(&id).map(|key| key.enabled = false),
        KeysCommand::Enable { id } => file.get_mut(&id).map(|key| key.enabled = true),
        KeysCommand::Delete { id } => file.delete(&id).map(drop),
    }
    .map_err(|e| e.to_string())?;
    file.save(path).map_err(|e| e.to_string())
}

fn describe(plan: Option<&Plan>) -> String {
    let Some(plan) = plan else {
        return "default".to_owned();
    };
    let throttle = plan
        .throttle
        .map(|t| format!("{}/s burst {}", t.rate, t.burst));
    let quota = plan
        .quota
        .map(|q| format!("{} per {:?}", q.limit, q.period).to_lowercase());
    [throttle, quota]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
}

fn run_server(keys_file: &Path, args: &ServeArgs) -> Result<(), String> {
    logging::init_text();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(serve_until_stopped(keys_file, args))
}

async fn serve_until_stopped(keys_file: &Path, args: &ServeArgs) -> Result<(), String> {
    let config =
        Config::from_env(Preset::Server, WithoutDatabase::UseMemory).map_err(|e| e.to_string())?;
    let described = match &config.store {
        StoreConfig::Memory => "in memory".to_owned(),
        StoreConfig::Mysql(mysql) => {
            format!("MySQL database {} on {}", mysql.database(), mysql.host())
        }
    };
    // With MySQL, migrate on start so an empty database is enough.
    let store = Store::build(&config.store, matches!(config.store, StoreConfig::Mysql(_)))
        .await
        .map_err(|e| e.to_string())?;

    let env_key = std::env::var("DICE_API_KEY")
        .ok()
        .filter(|v| !v.is_empty())
        .map(|value| local_key(&value));
    // The file is watched even if it does not exist yet: `keys add` works while serving.
    let file = Some(keys_file.to_path_buf());
    let mut keys = KeySource::new(file.clone(), env_key).map_err(|e| e.to_string())?;
    if keys.is_empty() {
        let value = keys::random_token(40).map_err(|e| e.to_string())?;
        keys = KeySource::new(file, Some(local_key(&value))).map_err(|e| e.to_string())?;
        println!("API key (id local), shown only now: {value}");
    }

    let address = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::AddrInUse => {
                format!("{address} is already in use; choose another port with --port")
            }
            _ => format!("cannot listen on {address}: {err}"),
        })?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let settings = Settings {
        stage: args.stage.clone(),
        default_plan: args.plan.plan().unwrap_or_default(),
        max_in_flight: args.max_in_flight,
        queue_timeout: Duration::from_secs(args.queue_timeout),
        request_timeout: Duration::from_secs(args.timeout),
    };
    // The gateway logs one line per request; the handler need not.
    let handler = Handler::new(dice_lambda::Options {
        log_requests: false,
        ..config.handler
    });
    let gateway = Arc::new(Gateway::new(settings, keys, store.clone(), handler));
    println!(
        "dice-local listening on http://{bound}/{} (rolls {described})",
        args.stage
    );
    serve(listener, gateway, shutdown_signal()).await;
    if let Store::Mysql(store) = store {
        let _ = store.close().await;
    }
    Ok(())
}

/// The key given by `DICE_API_KEY` or generated at start: id `local`.
fn local_key(value: &str) -> KeyRecord {
    KeyRecord {
        id: "local".to_owned(),
        name: "local".to_owned(),
        hash: keys::hash(value),
        enabled: true,
        plan: None,
    }
}
