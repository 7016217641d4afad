//! `dice-local`'s command line: the arguments, and what each command runs.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::key_commands::{self, KeysCommand};
use super::plan::{Period, Plan, Quota, Throttle};
use super::start;
use crate::Error;

/// The dice API on your machine, behind an API Gateway stand-in.
///
/// Serves http://127.0.0.1:PORT/STAGE/... with the routes of the Lambda function.
/// Rolls are kept in memory unless DATABASE_URL or DB_HOST (with DB_USER,
/// DB_PASS, DB_NAME, DB_PORT) names a MySQL database, which is then migrated on
/// start. Requests need an x-api-key header: DICE_API_KEY sets one (id "local"),
/// the keys file holds more, and without either one is generated and printed once.
#[derive(Debug, Parser)]
#[command(name = "dice-local", version)]
pub struct Cli {
    /// The keys file: API key ids, names, states and plans; never key values.
    #[arg(
        long,
        global = true,
        env = "DICE_KEYS_FILE",
        default_value = "dice-keys.json"
    )]
    pub keys_file: PathBuf,

    /// How to serve, when serving.
    #[command(flatten)]
    pub serve: ServeArgs,

    /// What to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `dice-local` does.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (what runs without a subcommand).
    Serve,
    /// Manage the API keys in the keys file.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// How the API is served.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port on 127.0.0.1.
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// The stage every path starts with, as on API Gateway: /prod/rolls.
    #[arg(long, default_value = "prod")]
    pub stage: String,
    /// The usage plan of keys without one of their own.
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Requests handled at once; more wait their turn.
    #[arg(long, default_value_t = 64)]
    pub max_in_flight: usize,
    /// Seconds a request may wait for its turn before 503 with Retry-After.
    #[arg(long, default_value_t = 10)]
    pub queue_timeout: u64,
    /// Seconds the function may take, like API Gateway's integration timeout.
    #[arg(long, default_value_t = 29)]
    pub timeout: u64,
}

/// A usage plan given on the command line.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Throttle: steady requests per second per key (needs --burst).
    #[arg(long, requires = "burst")]
    pub rate: Option<f64>,
    /// Throttle: requests a key may send at once (needs --rate).
    #[arg(long, requires = "rate")]
    pub burst: Option<u32>,
    /// Quota: requests per key per --quota-period.
    #[arg(long)]
    pub quota: Option<u64>,
    /// The quota's period: day, week or month.
    #[arg(long, default_value = "day")]
    pub quota_period: Period,
}

impl PlanArgs {
    /// The plan the flags describe; `None` when they set no limit.
    pub fn plan(&self) -> Option<Plan> {
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

/// Runs what `cli` asks for; what a person should read goes to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<(), Error> {
    match cli.command {
        Some(Command::Keys(command)) => key_commands::run(&cli.keys_file, command, out),
        Some(Command::Serve) | None => start::serve_until_stopped(&cli.keys_file, &cli.serve, out),
    }
}
