//! Running a [`Service`] as AWS Lambda runs `bootstrap`: configuration from the
//! environment (and Secrets Manager), init errors reported to the Runtime API,
//! then one event at a time until the instance ends.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use dice_store_mysql::Preset;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::value::RawValue;

use crate::config::{Config, ConfigError, WithoutDatabase};
use crate::{Error, Service, runtime_api, secrets};

/// Time kept back from the invocation's deadline to send the response.
const RESPONSE_MARGIN: Duration = Duration::from_millis(300);

/// Reads the configuration and builds the service; a failure is reported to
/// the Runtime API as an init error before it is returned.
pub async fn start() -> Result<Service, Error> {
    let started = match config_from_env().await {
        Ok(config) => Service::start(config).await,
        Err(err) => Err(err),
    };
    match started {
        Ok(service) => {
            let config = service.config();
            tracing::info!(
                migrated = config.migrate,
                anonymous = config.handler.allow_anonymous,
                "ready"
            );
            Ok(service)
        }
        Err(err) => {
            let runtime_api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap_or_default();
            runtime_api::report_init_error(&runtime_api, err.lambda_error_type(), &err.to_string())
                .await;
            Err(err)
        }
    }
}

/// The configuration from the environment. With `DB_SECRET_ARN`, database
/// credentials come from Secrets Manager; `DB_PASS` keeps working without it,
/// as in the tutorial.
async fn config_from_env() -> Result<Config, Error> {
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let secret = match env("DB_SECRET_ARN") {
        None => None,
        Some(arn) => {
            let port = match env("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT") {
                None => secrets::DEFAULT_PORT,
                Some(port) => port.parse().map_err(|_| {
                    ConfigError::new("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "is not a port")
                })?,
            };
            let token = env("AWS_SESSION_TOKEN").unwrap_or_default();
            Some(secrets::fetch(&arn, port, &token).await?)
        }
    };
    let lookup = |name: &str| {
        secret
            .as_ref()
            .and_then(|s| s.variable(name))
            .or_else(|| env(name))
    };
    Ok(Config::from_lookup(
        Preset::Lambda,
        WithoutDatabase::Fail,
        lookup,
    )?)
}

/// Answers events from the Runtime API until the instance ends.
pub async fn run(service: &Service) -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Box<RawValue>>| async move {
        let request = parse_event(&event.payload)?;
        let deadline = deadline(event.context.deadline);
        Ok::<ApiGatewayProxyResponse, InvalidEvent>(service.handle(&request, deadline).await)
    }))
    .await
    .map_err(|err| Error::RuntimeApi(err.to_string()))
}

/// An invocation whose payload is not an API Gateway REST proxy event: the
/// function answers it with an error of type `InvalidEvent`.
#[derive(Debug, thiserror::Error)]
#[error("not an API Gateway REST proxy event: {0}")]
pub struct InvalidEvent(String);

impl From<InvalidEvent> for Diagnostic {
    fn from(err: InvalidEvent) -> Self {
        Self {
            error_type: "InvalidEvent".to_owned(),
            error_message: err.to_string(),
        }
    }
}

/// Only the method is read before the whole event: an empty or missing one,
/// which the event type would take for `GET`, is refused.
#[derive(serde::Deserialize)]
struct MethodProbe<'a> {
    #[serde(rename = "httpMethod", borrow)]
    http_method: Option<std::borrow::Cow<'a, str>>,
}

/// The REST proxy event in `payload`, refusing what API Gateway never sends.
pub fn parse_event(payload: &RawValue) -> Result<ApiGatewayProxyRequest, InvalidEvent> {
    let probe: MethodProbe<'_> =
        serde_json::from_str(payload.get()).map_err(|err| InvalidEvent(err.to_string()))?;
    if probe.http_method.is_none_or(|method| method.is_empty()) {
        return Err(InvalidEvent("httpMethod is missing or empty".to_owned()));
    }
    serde_json::from_str(payload.get()).map_err(|err| InvalidEvent(err.to_string()))
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
