//! [`Gateway`]: what API Gateway does in front of the function, for one request:
//! route, API key, usage plan, payload limit, the event, and backpressure.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use tokio::sync::Semaphore;

use super::http::{Context, from_response, is_routable, strip_stage, to_event};
use super::keys::{self, KeyRecord, KeysError, KeysFile};
use super::plan::{Meter, Plan, Refusal};
use super::resources::match_resource;
use crate::{Handler, Store};

/// API Gateway's own payload limit; the function refuses bodies over 1 MiB itself.
const GATEWAY_MAX_BODY: usize = 10 * 1024 * 1024;

/// How the gateway behaves.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The stage every path starts with, as in `/prod/rolls`.
    pub stage: String,
    /// The usage plan of keys that have none of their own.
    pub default_plan: Plan,
    /// Requests handled at once; more wait for a turn.
    pub max_in_flight: usize,
    /// How long a request may wait for a turn before `503`.
    pub queue_timeout: Duration,
    /// How long the function may take, as API Gateway's integration timeout.
    pub request_timeout: Duration,
}

/// Where the gateway's keys come from.
#[derive(Debug)]
pub struct KeySource {
    file: Option<PathBuf>,
    extra: Option<KeyRecord>,
    loaded: RwLock<(Option<SystemTime>, Vec<KeyRecord>)>,
}

impl KeySource {
    /// Keys from `file` (re-read when it changes), plus `extra` (from
    /// `DICE_API_KEY` or generated at start).
    pub fn new(file: Option<PathBuf>, extra: Option<KeyRecord>) -> Result<Self, KeysError> {
        let source = Self {
            file,
            extra,
            loaded: RwLock::new((None, Vec::new())),
        };
        source.refresh()?;
        Ok(source)
    }

    /// Whether any key can be used.
    pub fn is_empty(&self) -> bool {
        self.extra.is_none()
            && self
                .loaded
                .read()
                .map(|loaded| loaded.1.is_empty())
                .unwrap_or(true)
    }

    /// Re-reads the file if it changed since the last read. A file that went
    /// bad keeps the keys last read good, so a half-edited file locks no one out.
    fn refresh(&self) -> Result<(), KeysError> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if self
            .loaded
            .read()
            .map(|loaded| loaded.0 == modified)
            .unwrap_or(false)
            && modified.is_some()
        {
            return Ok(());
        }
        let file = KeysFile::load(path)?;
        if let Ok(mut loaded) = self.loaded.write() {
            *loaded = (modified, file.keys);
        }
        Ok(())
    }

    /// The enabled key whose value is `value`.
    fn find(&self, value: &str) -> Option<KeyRecord> {
        if let Err(err) = self.refresh() {
            tracing::warn!(error = %err, "keeping the keys last read");
        }
        let loaded = self.loaded.read().ok()?;
        keys::find(loaded.1.iter().chain(self.extra.as_ref()), value)
            .filter(|key| key.enabled)
            .cloned()
    }
}

/// The gateway in front of one store.
pub struct Gateway {
    settings: Settings,
    keys: KeySource,
    meter: Meter,
    store: Store,
    handler: Handler,
    turns: Semaphore,
}

impl Gateway {
    /// A gateway for `store`, answering with `handler`.
    pub fn new(settings: Settings, keys: KeySource, store: Store, handler: Handler) -> Self {
        let turns = Semaphore::new(settings.max_in_flight.max(1));
        Self {
            settings,
            keys,
            meter: Meter::default(),
            store,
            handler,
            turns,
        }
    }

    /// Answers one HTTP request and logs one line about it.
    pub async fn serve(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let request_id = keys::random_token(20).unwrap_or_else(|_| "local".to_owned());
        let (response, key_id) = self.answer(request, peer, &request_id).await;
        tracing::info!(
            %method,
            path = %path,
            status = response.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            key_id = key_id.as_deref().unwrap_or("-"),
            "request"
        );
        response
    }

    async fn answer(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
        request_id: &str,
    ) -> (Response<Full<Bytes>>, Option<String>) {
        let (parts, body) = request.into_parts();
        let stage = self.settings.stage.as_str();
        let matched = strip_stage(parts.uri.path(), stage)
            .filter(|_| is_routable(&parts.method))
            .and_then(|path| Some((match_resource(&parts.method, &path)?, path.into_owned())));
        let Some((matched, path)) = matched else {
            return (
                gateway_error(
                    StatusCode::FORBIDDEN,
                    "Missing Authentication Token",
                    "MissingAuthenticationTokenException",
                    request_id,
                ),
                None,
            );
        };
        let key_value = parts
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let Some(key) = self.keys.find(&key_value) else {
            return (
                gateway_error(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    "ForbiddenException",
                    request_id,
                ),
                None,
            );
        };
        let key_id = Some(key.id.clone());
        match self.meter.admit(
            &key.id,
            key.plan.as_ref().unwrap_or(&self.settings.default_plan),
        ) {
            Ok(()) => {}
            Err(Refusal::Throttled) => {
                return (
                    gateway_error(
                        StatusCode::TOO_MANY_REQUESTS,
                        "Too Many Requests",
                        "TooManyRequestsException",
                        request_id,
                    ),
                    key_id,
                );
            }
            Err(Refusal::QuotaExceeded) => {
                return (
                    gateway_error(
                        StatusCode::TOO_MANY_REQUESTS,
                        "Limit Exceeded",
                        "LimitExceededException",
                        request_id,
                    ),
                    key_id,
                );
            }
        }
        let body = match Limited::new(body, GATEWAY_MAX_BODY).collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => {
                return (
                    gateway_error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "Request Too Long",
                        "RequestTooLongException",
                        request_id,
                    ),
                    key_id,
                );
            }
        };
        let context = Context {
            stage,
            path: &path,
            matched,
            key: &key,
            key_value: &key_value,
            peer,
            request_id,
        };
        let event = to_event(&parts, &body, context);

        // Wait for a turn, so the store sees no more work than it has connections for.
        let Ok(Ok(_turn)) =
            tokio::time::timeout(self.settings.queue_timeout, self.turns.acquire()).await
        else {
            let mut response = gateway_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
                "ServiceUnavailableException",
                request_id,
            );
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            return (response, key_id);
        };
        let deadline = Instant::now() + self.settings.request_timeout;
        let answer = self
            .store
            .handle(&self.handler, &event, Some(deadline))
            .await;
        let (status, headers, body) = from_response(answer);
        (response(status, headers, body, request_id), key_id)
    }
}

fn response(
    status: u16,
    headers: HeaderMap,
    body: Bytes,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    *response.headers_mut() = headers;
    if let Ok(id) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    response
}

/// One of API Gateway's own answers: `{"message":"..."}` and its error type.
fn gateway_error(
    status: StatusCode,
    message: &str,
    error_type: &'static str,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("x-amzn-errortype", HeaderValue::from_static(error_type));
    let body = Bytes::from(format!(r#"{{"message":"{message}"}}"#));
    response(status.as_u16(), headers, body, request_id)
}
