//! `dice-local`'s command line: the arguments, and what each command runs.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
pub use dice_keys::commands::PlanArgs;

use super::key_commands::{self, KeysCommand, PlansCommand};
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
    /// Manage the named usage plans in the keys file.
    #[command(subcommand)]
    Plans(PlansCommand),
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
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_in_flight: u32,
    /// Seconds a request may wait for its turn before 503 with Retry-After.
    #[arg(long, default_value = "10", value_parser = seconds)]
    pub queue_timeout: Duration,
    /// Seconds the function may take, like API Gateway's integration timeout.
    #[arg(long, default_value = "29", value_parser = seconds)]
    pub timeout: Duration,
    /// Seconds a client may take to send a request's headers, and again its
    /// body; a kept-alive connection idle this long is closed.
    #[arg(long, default_value = "30", value_parser = seconds)]
    pub read_timeout: Duration,
}

/// A timeout in whole seconds, from 1 to a day.
fn seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<u64>() {
        Ok(secs @ 1..=86_400) => Ok(Duration::from_secs(secs)),
        _ => Err("must be a whole number of seconds from 1 to 86400".to_owned()),
    }
}

/// Runs what `cli` asks for; what a person should read goes to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<(), Error> {
    match cli.command {
        Some(Command::Keys(command)) => key_commands::run(&cli.keys_file, command, out),
        Some(Command::Plans(command)) => key_commands::run_plans(&cli.keys_file, command, out),
        Some(Command::Serve) | None => start::serve_until_stopped(&cli.keys_file, &cli.serve, out),
    }
}
