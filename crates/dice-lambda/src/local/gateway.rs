//! [`Gateway`]: what API Gateway does in front of the function, for one
//! request: admit it (route, API key, usage plan, size, capacity), then
//! forward it to the service as a REST proxy event.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::http::request::Parts;
use aws_lambda_events::http::{Request, Response};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::http::{Context, Matched, from_function, is_routable, refused, strip_stage, to_event};
use super::key_source::KeySource;
use super::keys::{self, KeyRecord};
use super::plan::{Meter, Plan};
use super::refusal::Refusal;
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
}

/// The gateway in front of one service.
pub struct Gateway {
    settings: Settings,
    keys: KeySource,
    meter: Meter,
    service: Arc<Service>,
    turns: Semaphore,
}

/// A request the gateway has let through: what the event is built from.
struct Admitted {
    parts: Parts,
    matched: Matched,
    body: Bytes,
    key: KeyRecord,
    key_value: String,
}

impl Gateway {
    /// A gateway in front of `service`, accepting the keys of `keys`.
    pub fn new(settings: Settings, keys: KeySource, service: Arc<Service>) -> Self {
        let turns = Semaphore::new(settings.max_in_flight.max(1));
        Self {
            settings,
            keys,
            meter: Meter::default(),
            service,
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
        let (response, key_id) = match self.admit(request).await {
            Ok(admitted) => {
                let key_id = admitted.key.id.clone();
                (
                    self.forward(admitted, peer, &request_id).await,
                    Some(key_id),
                )
            }
            Err((refusal, key_id)) => (refused(refusal, &request_id), key_id),
        };
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

    /// API Gateway's checks, in its order: route, key, plan, then the body's
    /// size. A refusal carries the key id once the key is known, for the log.
    async fn admit(
        &self,
        request: Request<Incoming>,
    ) -> Result<Admitted, (Refusal, Option<String>)> {
        let (parts, body) = request.into_parts();
        let matched = self.route(&parts).map_err(|refusal| (refusal, None))?;
        let key_value = parts
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let key = self
            .keys
            .find(&key_value)
            .ok_or((Refusal::Forbidden, None))?;
        let plan = key.plan.as_ref().unwrap_or(&self.settings.default_plan);
        let refused_for_key = |refusal: Refusal| (refusal, Some(key.id.clone()));
        self.meter
            .admit(&key.id, plan)
            .map_err(|refusal| refused_for_key(refusal.into()))?;
        let body = match Limited::new(body, GATEWAY_MAX_BODY).collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => return Err(refused_for_key(Refusal::RequestTooLong)),
        };
        Ok(Admitted {
            parts,
            matched,
            body,
            key,
            key_value,
        })
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
            key: &admitted.key,
            key_value: &admitted.key_value,
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

    async fn turn(&self) -> Option<SemaphorePermit<'_>> {
        tokio::time::timeout(self.settings.queue_timeout, self.turns.acquire())
            .await
            .ok()?
            .ok()
    }
}
