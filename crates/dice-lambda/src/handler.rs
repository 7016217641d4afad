//! [`Handler`]: an API Gateway REST proxy event in, a response out.

use std::time::Instant;

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::http::header::{HeaderName, LOCATION};
use dice_core::{
    Actor, Idempotent, ListQuery, Recorded, RollId, RollRequest, RollStore, StatsQuery,
};
use serde::Serialize;

use crate::page::PAGE;
use crate::routes::{self, Operation};
use crate::{ApiError, event, response};

/// The largest body accepted: 1 MiB, after base64 decoding.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How the handler treats requests.
#[derive(Debug, Clone)]
pub struct Options {
    /// Accept events without an API key id (recorded with `created_by` NULL).
    /// Off by default, so a function exposed some other way is not left open.
    pub allow_anonymous: bool,
    /// The largest body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Log a line per request. Off behind the local gateway, which logs its own.
    pub log_requests: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            allow_anonymous: false,
            max_body_bytes: MAX_BODY_BYTES,
            log_requests: true,
        }
    }
}

/// Turns API Gateway REST proxy events into calls on a [`RollStore`] and their
/// results into responses. Never panics and never fails: every outcome,
/// including a store that is down, is an HTTP response.
///
/// ```
/// use aws_lambda_events::apigw::ApiGatewayProxyRequest;
/// use aws_lambda_events::http::Method;
/// use dice_lambda::{Handler, Options};
/// use dice_memory::MemoryStore;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut event = ApiGatewayProxyRequest::default();
/// event.http_method = Method::POST;
/// event.path = Some("/rolls".into());
/// event.body = Some(r#"{"outcome": 6}"#.into());
/// event.request_context.identity.api_key_id = Some("k1".into());
///
/// let response = Handler::new(Options::default()).handle(&event, &MemoryStore::new()).await;
/// assert_eq!(response.status_code, 201);
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct Handler {
    options: Options,
}

/// A successful answer, before it becomes a response.
enum Reply {
    /// A JSON body.
    Json {
        status: u16,
        body: String,
        location: Option<String>,
        replayed: bool,
    },
    /// The page at `/`.
    Page,
}

impl Reply {
    fn into_response(self) -> ApiGatewayProxyResponse {
        let Self::Json {
            status,
            body,
            location,
            replayed,
        } = self
        else {
            return response::page(&PAGE.html, &PAGE.csp);
        };
        let mut response = response::json(status, body);
        if let Some(location) = location {
            response::set_header(&mut response, LOCATION, &location);
        }
        if replayed {
            response::set_header(
                &mut response,
                HeaderName::from_static("idempotency-replayed"),
                "true",
            );
        }
        response
    }
}

impl Handler {
    /// A handler with `options`.
    pub fn new(options: Options) -> Self {
        Self { options }
    }

    /// Answers one event.
    pub async fn handle(
        &self,
        event: &ApiGatewayProxyRequest,
        store: &dyn RollStore,
    ) -> ApiGatewayProxyResponse {
        let started = Instant::now();
        let request_id = event.request_context.request_id.as_deref().unwrap_or("-");
        let key_id = event
            .request_context
            .identity
            .api_key_id
            .as_deref()
            .unwrap_or("-");
        let response = match self.answer(event, store).await {
            Ok(reply) => reply.into_response(),
            Err(err) => {
                let wire = err.wire();
                if wire.internal {
                    tracing::error!(request_id, error = %ErrorChain(&err), "request failed");
                }
                response::error(&wire, request_id)
            }
        };
        if !self.options.log_requests {
            return response;
        }
        tracing::info!(
            method = %event.http_method,
            path = event::path(event),
            status = response.status_code,
            duration_us = started.elapsed().as_micros() as u64,
            key_id,
            request_id,
            "request"
        );
        response
    }

    async fn answer(
        &self,
        event: &ApiGatewayProxyRequest,
        store: &dyn RollStore,
    ) -> Result<Reply, ApiError> {
        let path = event::path(event);
        // A trailing slash names the same resource, as API Gateway's proxy does.
        let trimmed = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        let route = routes::route(&event.http_method, trimmed);
        // The key comes first, except on the routes that need none (the page).
        let created_by = match event::api_key_id(event) {
            _ if route.is_ok_and(|route| !route.resource.key_required) => None,
            Some(id) => Some(id?),
            None if self.options.allow_anonymous => None,
            None => return Err(ApiError::Forbidden),
        };
        let route = route.map_err(|unrouted| ApiError::unrouted(unrouted, path))?;
        match route.operation {
            Operation::Page => Ok(Reply::Page),
            Operation::Create => self.create(event, store, created_by.as_ref()).await,
            Operation::Get => ok(&store.get(RollId::parse(route.id.unwrap_or(""))?).await?),
            Operation::List => {
                let pairs = event::query_pairs(event);
                let query =
                    ListQuery::from_params(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
                ok(&store.list(&query).await?)
            }
            Operation::Stats => {
                let pairs = event::query_pairs(event);
                let query =
                    StatsQuery::from_params(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
                ok(&store.stats(&query).await?)
            }
        }
    }

    async fn create(
        &self,
        event: &ApiGatewayProxyRequest,
        store: &dyn RollStore,
        created_by: Option<&Actor>,
    ) -> Result<Reply, ApiError> {
        let body = event::body(event, self.options.max_body_bytes)?;
        let request = RollRequest::parse_json(&body)?;
        let key = event::idempotency_key(event)?;
        // The server's dice are cast before the store is asked. A replay is the
        // same request whatever they show: the store answers the first faces,
        // and these are dropped unseen and unrecorded.
        let rolled = request
            .roll_os()
            .map_err(|err| ApiError::Store(dice_core::Error::internal(err)))?;
        let Idempotent { recorded, replayed } = match &key {
            Some(key) => store.insert_idempotent(key, &rolled, created_by).await?,
            None => Idempotent {
                recorded: store.record(&rolled, created_by).await?,
                replayed: false,
            },
        };
        let location = match &recorded {
            Recorded::One(roll) => Some(format!("{}/rolls/{}", event::url_prefix(event), roll.id)),
            Recorded::Batch(_) => None,
        };
        Ok(Reply::Json {
            status: 201,
            body: to_json(&recorded)?,
            location,
            replayed,
        })
    }
}

fn ok<T: Serialize>(value: &T) -> Result<Reply, ApiError> {
    Ok(Reply::Json {
        status: 200,
        body: to_json(value)?,
        location: None,
        replayed: false,
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|err| ApiError::Store(dice_core::Error::internal(err)))
}

/// An error and its sources, one after another, for the log.
struct ErrorChain<'a>(&'a dyn std::error::Error);

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(err) = source {
            write!(f, ": {err}")?;
            source = err.source();
        }
        Ok(())
    }
}
