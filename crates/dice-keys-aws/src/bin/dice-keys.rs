//! `dice-keys`: the `keys` and `plans` commands of `dice-local`, on a
//! deployed API's API Gateway.
#![allow(clippy::print_stderr)] // the one line a failure prints

use std::process::ExitCode;

use clap::{ArgGroup, Parser, Subcommand};
use dice_keys::commands::{self, CommandError, KeysCommand, PlansCommand};
use dice_keys_aws::{AwsOptions, Target, connect};

/// Manage the API keys and usage plans of the dice API on API Gateway.
///
/// The same commands and output as `dice-local keys` and `dice-local plans`.
/// The AWS configuration is the standard one: AWS_PROFILE (or --profile),
/// AWS_REGION (or --region), credentials from the environment or the
/// profile, and AWS_ENDPOINT_URL for another endpoint.
#[derive(Debug, Parser)]
#[command(name = "dice-keys", version)]
#[command(group(ArgGroup::new("target").required(true).args(["rest_api_id", "stack"])))]
struct Cli {
    /// The REST API's id (the stack's RestApiId output).
    #[arg(long, global = true)]
    rest_api_id: Option<String>,
    /// The CloudFormation stack that made the API.
    #[arg(long, global = true)]
    stack: Option<String>,
    /// The AWS profile to use instead of AWS_PROFILE.
    #[arg(long, global = true)]
    profile: Option<String>,
    /// The AWS region to use instead of AWS_REGION.
    #[arg(long, global = true)]
    region: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Manage the API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage the usage plans.
    #[command(subcommand)]
    Plans(PlansCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("dice-keys: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("dice-keys: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

async fn run(cli: Cli) -> Result<(), CommandError> {
    let target = match (cli.rest_api_id, cli.stack) {
        (Some(id), _) => Target::RestApi(id),
        (None, Some(stack)) => Target::Stack(stack),
        // clap requires one of the two.
        (None, None) => return Ok(()),
    };
    let options = AwsOptions {
        profile: cli.profile,
        region: cli.region,
    };
    let registry = connect(&target, &options).await?;
    let out = &mut std::io::stdout();
    match cli.command {
        Command::Keys(command) => commands::run_keys(&registry, command, out).await,
        Command::Plans(command) => commands::run_plans(&registry, command, out).await,
    }
}
