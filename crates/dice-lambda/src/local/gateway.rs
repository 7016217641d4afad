//! [`Gateway`]: what API Gateway does in front of the function, for one
//! request: admit it (route, API key, usage plan, size, capacity), then
//! forward it to the service as a REST proxy event.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::http::request::Parts;
use aws_lambda_events::http::{Request, Response};
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::http::{Context, Matched, from_function, is_routable, refused, strip_stage, to_event};
use super::key_source::KeySource;
use super::keys::KeyRecord;
use super::plan::{Meter, Plan};
use super::refusal::Refusal;
use super::request_ids::RequestIds;
use crate::Service;
use crate::routes;

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
    /// How long a client may take to send a request's headers, and its body;
    /// also how long a kept-alive connection may stay idle.
    pub read_timeout: Duration,
}

/// The longest pause between two parts of a body, whatever the read timeout.
const BODY_GAP: Duration = Duration::from_secs(10);

/// The gateway in front of one service.
pub struct Gateway {
    settings: Settings,
    keys: KeySource,
    meter: Meter,
    service: Arc<Service>,
    turns: Semaphore,
    request_ids: RequestIds,
}

/// A request the gateway has let through: what the event is built from.
struct Admitted {
    parts: Parts,
    matched: Matched,
    body: Bytes,
    /// The key and its value; `None` on a route that needs no key.
    key: Option<(KeyRecord, String)>,
}

impl Gateway {
    /// A gateway in front of `service`, accepting the keys of `keys` and
    /// counting their requests with `meter`.
    pub fn new(settings: Settings, keys: KeySource, meter: Meter, service: Arc<Service>) -> Self {
        let turns = Semaphore::new(settings.max_in_flight.max(1));
        Self {
            settings,
            keys,
            meter,
            service,
            turns,
            request_ids: RequestIds::new(),
        }
    }

    /// Answers one HTTP request and logs one line about it.
    pub async fn serve(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let (parts, body) = request.into_parts();
        let (method, path) = (parts.method.clone(), parts.uri.path().to_owned());
        let request_id = self.request_ids.next();
        let matched = self.route(&parts);
        // Which resource was asked for: `none` is why API Gateway answers 403.
        let route = matched.as_ref().map_or("none", |m| m.resource.path);
        let (response, key_id) = match matched {
            Err(refusal) => (refused(refusal, &request_id), None),
            Ok(matched) => match self.admit(parts, matched, body).await {
                Ok(admitted) => {
                    let key_id = admitted.key.as_ref().map(|(key, _)| key.id.clone());
                    (self.forward(admitted, peer, &request_id).await, key_id)
                }
                Err((refusal, key_id)) => (refused(refusal, &request_id), key_id),
            },
        };
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(
            %method,
            // Quoted, so a path cannot forge the fields after it.
            path = ?path,
            route,
            status = response.status().as_u16(),
            duration_ms = %format_args!("{elapsed_ms:.2}"),
            key_id = key_id.as_deref().unwrap_or("-"),
            "request"
        );
        response
    }

    /// API Gateway's checks after the route, in its order: key, plan, then
    /// the body's size and framing. A refusal carries the key id, for the log.
    async fn admit(
        &self,
        parts: Parts,
        matched: Matched,
        body: Incoming,
    ) -> Result<Admitted, (Refusal, Option<String>)> {
        let key = if matched.resource.key_required {
            Some(self.admit_key(&parts).await?)
        } else {
            None
        };
        let key_id = key.as_ref().map(|(key, _)| key.id.clone());
        let body = read_body(body, self.settings.read_timeout)
            .await
            .map_err(|refusal| (refusal, key_id))?;
        Ok(Admitted {
            parts,
            matched,
            body,
            key,
        })
    }

    /// The request's key, if it is known and enabled and its plan admits one
    /// more request; usage plans count only requests that need a key. The
    /// count is in the counters file before the request goes on.
    async fn admit_key(
        &self,
        parts: &Parts,
    ) -> Result<(KeyRecord, String), (Refusal, Option<String>)> {
        let value = parts
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let key = self.keys.find(&value).ok_or((Refusal::Forbidden, None))?;
        let plan = key.plan.as_ref().unwrap_or(&self.settings.default_plan);
        match self.meter.admit(&key.id, plan) {
            Ok(counted) => {
                self.meter.saved(counted).await;
                Ok((key, value))
            }
            Err(refusal) => Err((refusal.into(), Some(key.id))),
        }
    }

    /// The resource and method asked for, if the API has them.
    fn route(&self, parts: &Parts) -> Result<Matched, Refusal> {
        let path = strip_stage(parts.uri.path(), &self.settings.stage)
            .filter(|_| is_routable(&parts.method))
            .ok_or(Refusal::MissingAuthenticationToken)?;
        let route =
            routes::route(&parts.method, &path).map_err(|_| Refusal::MissingAuthenticationToken)?;
        Ok(Matched {
            resource: route.resource,
            id: route.id.map(str::to_owned),
            path: path.into_owned(),
        })
    }

    /// Waits for a turn, so the store sees no more work than it has
    /// connections for, then calls the function within the integration timeout.
    async fn forward(
        &self,
        admitted: Admitted,
        peer: SocketAddr,
        request_id: &str,
    ) -> Response<Full<Bytes>> {
        let Some(_turn) = self.turn().await else {
            return refused(Refusal::ServiceUnavailable, request_id);
        };
        let context = Context {
            stage: &self.settings.stage,
            matched: &admitted.matched,
            key: admitted.key.as_ref(),
            peer,
            request_id,
        };
        let event = to_event(&admitted.parts, &admitted.body, context);
        let deadline = Instant::now() + self.settings.request_timeout;
        from_function(
            self.service.handle(&event, Some(deadline)).await,
            request_id,
        )
    }

    /// How long a client may take to send a request, or stay idle between two.
    pub fn read_timeout(&self) -> Duration {
        self.settings.read_timeout
    }

    async fn turn(&self) -> Option<SemaphorePermit<'_>> {
        tokio::time::timeout(self.settings.queue_timeout, self.turns.acquire())
            .await
            .ok()?
            .ok()
    }
}

/// The body, at most API Gateway's 10 MB, all of it within `timeout` and no
/// pause between two parts longer than [`BODY_GAP`].
async fn read_body(body: Incoming, timeout: Duration) -> Result<Bytes, Refusal> {
    let deadline = Instant::now() + timeout;
    let mut body = Limited::new(body, GATEWAY_MAX_BODY);
    let mut bytes = BytesMut::new();
    loop {
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .min(BODY_GAP);
        match tokio::time::timeout(wait, body.frame()).await {
            Err(_) => return Err(Refusal::RequestTimeout),
            Ok(None) => return Ok(bytes.freeze()),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    bytes.extend_from_slice(&data);
                }
            }
            Ok(Some(Err(err))) if err.downcast_ref::<LengthLimitError>().is_some() => {
                return Err(Refusal::RequestTooLong);
            }
            // A malformed body: a bad chunk size, a wrong length, a missing CRLF.
            Ok(Some(Err(_))) => return Err(Refusal::BadRequest),
        }
    }
}
