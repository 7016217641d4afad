//! The function AWS Lambda runs (`provided.al2023`): reads its configuration,
//! builds the store once, then answers API Gateway events until the instance ends.
#![allow(clippy::print_stderr)] // the one line a failed start prints

use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use dice_lambda::config::{Config, WithoutDatabase};
use dice_lambda::runtime_api::{missing_runtime_variable, report_init_error};
use dice_lambda::{Handler, Store, logging, secrets};
use dice_store_mysql::Preset;
use lambda_runtime::{LambdaEvent, service_fn};

/// Time kept back from the invocation's deadline to send the response.
const RESPONSE_MARGIN: Duration = Duration::from_millis(300);

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    logging::init_json();
    if let Some(problem) = missing_runtime_variable(|name| std::env::var(name).ok()) {
        eprintln!("bootstrap: {problem}");
        return ExitCode::FAILURE;
    }
    let runtime_api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap_or_default();
    let started = match start().await {
        Ok(started) => started,
        Err((error_type, message)) => {
            report_init_error(&runtime_api, error_type, &message).await;
            eprintln!("bootstrap: {message}");
            return ExitCode::FAILURE;
        }
    };
    let (store, handler) = (&started.0, &started.1);
    let served = lambda_runtime::run(service_fn(
        |event: LambdaEvent<ApiGatewayProxyRequest>| async move {
            let deadline = deadline(event.context.deadline);
            Ok::<ApiGatewayProxyResponse, lambda_runtime::Error>(
                store.handle(handler, &event.payload, deadline).await,
            )
        },
    ))
    .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bootstrap: the Runtime API connection failed: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the configuration and builds the store; on failure, the error type
/// and the one line to report.
async fn start() -> Result<(Store, Handler), (&'static str, String)> {
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    // With DB_SECRET_ARN, credentials come from Secrets Manager; DB_PASS keeps
    // working without it, as in the tutorial.
    let secret = match env("DB_SECRET_ARN") {
        None => None,
        Some(arn) => {
            let port = match env("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT") {
                None => secrets::DEFAULT_PORT,
                Some(port) => port.parse().map_err(|_| {
                    (
                        "Runtime.ConfigError",
                        "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT is not a port".to_owned(),
                    )
                })?,
            };
            let token = env("AWS_SESSION_TOKEN").unwrap_or_default();
            let credentials = secrets::fetch(&arn, port, &token).await.map_err(|err| {
                (
                    "Runtime.ConfigError",
                    format!("DB_SECRET_ARN could not be read: {err}"),
                )
            })?;
            Some(credentials)
        }
    };
    let lookup = |name: &str| {
        secret
            .as_ref()
            .and_then(|s| s.variable(name))
            .or_else(|| env(name))
    };
    let config = Config::from_lookup(Preset::Lambda, WithoutDatabase::Fail, lookup)
        .map_err(|err| ("Runtime.ConfigError", err.to_string()))?;
    let store = Store::build(&config.store, config.migrate)
        .await
        .map_err(|err| ("Runtime.StoreError", err.to_string()))?;
    tracing::info!(
        migrated = config.migrate,
        anonymous = config.handler.allow_anonymous,
        "ready"
    );
    Ok((store, Handler::new(config.handler)))
}

/// The invocation's deadline (milliseconds since the epoch; 0 for none) as an
/// `Instant`, less the time the response needs.
fn deadline(deadline_ms: u64) -> Option<Instant> {
    if deadline_ms == 0 {
        return None;
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_millis();
    let left = u64::try_from(u128::from(deadline_ms).saturating_sub(now_ms)).unwrap_or(u64::MAX);
    Some(Instant::now() + Duration::from_millis(left).saturating_sub(RESPONSE_MARGIN))
}
