//! Between HTTP and API Gateway's REST proxy event, both ways, as API Gateway
//! does it: the stage outside the resource path, last-value and multi-value
//! headers and query parameters, base64 for bodies that are not text.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::request::Parts;
use aws_lambda_events::http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;

use super::keys::KeyRecord;
use super::refusal::Refusal;
use crate::RestEvent;
use crate::routes::Resource;

/// A request's resource, as API Gateway matched it.
pub(super) struct Matched {
    /// The resource, such as `/rolls/{id}`.
    pub(super) resource: &'static Resource,
    /// The resource path asked for, without the stage, percent-decoded.
    pub(super) path: String,
    /// The `{id}` segment, for resources that have one.
    pub(super) id: Option<String>,
}

/// What the gateway knows about a request besides its HTTP parts.
pub(super) struct Context<'a> {
    pub(super) stage: &'a str,
    pub(super) matched: &'a Matched,
    /// The API key and its value, on routes that need one.
    pub(super) key: Option<&'a (KeyRecord, String)>,
    pub(super) peer: SocketAddr,
    pub(super) request_id: &'a str,
}

/// The event API Gateway would send for this request.
pub(super) fn to_event(
    parts: &Parts,
    body: &Bytes,
    context: Context<'_>,
) -> ApiGatewayProxyRequest {
    let matched = context.matched;
    let mut event = RestEvent::new(parts.method.clone(), matched.resource.path, &matched.path)
        .stage(context.stage)
        .headers(&parts.headers)
        .query(parts.uri.query().unwrap_or(""))
        .body(body)
        .request_id(context.request_id)
        .source_ip(&context.peer.ip().to_string());
    if let Some((key, value)) = context.key {
        event = event.api_key(&key.id, value);
    }
    if let Some(id) = &matched.id {
        event = event.path_parameter("id", id);
    }
    let mut event = event.build();
    let request_context = &mut event.request_context;
    request_context.protocol = Some(format!("{:?}", parts.version));
    request_context.apiid = Some("local".to_owned());
    request_context.request_time_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        });
    event
}

/// The HTTP response for the function's answer, or API Gateway's 502 for an
/// answer it cannot send.
pub(super) fn from_function(
    response: ApiGatewayProxyResponse,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let (status, headers, body) = from_response(response);
    http_response(status, headers, body, request_id)
}

/// One of API Gateway's own answers: `{"message":"..."}` and its error type.
pub(super) fn refused(refusal: Refusal, request_id: &str) -> Response<Full<Bytes>> {
    let wire = refusal.wire();
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert(
        "x-amzn-errortype",
        HeaderValue::from_static(wire.error_type),
    );
    if let Some(seconds) = wire.retry_after {
        headers.insert("retry-after", HeaderValue::from(seconds));
    }
    if wire.close {
        headers.insert("connection", HeaderValue::from_static("close"));
    }
    let body = Bytes::from(format!(r#"{{"message":"{}"}}"#, wire.message));
    http_response(wire.status.as_u16(), headers, body, request_id)
}

fn http_response(
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

/// The HTTP response for the function's answer: status, every header, and the
/// body, decoded from base64 when the function says so.
fn from_response(response: ApiGatewayProxyResponse) -> (u16, HeaderMap, Bytes) {
    let Ok(status) = u16::try_from(response.status_code) else {
        return bad_gateway();
    };
    let mut headers = response.multi_value_headers;
    for (name, value) in response.headers {
        if let Some(name) = name {
            headers.insert(name, value);
        }
    }
    let body = match response.body {
        None | Some(Body::Empty) => Bytes::new(),
        Some(Body::Binary(bytes)) => Bytes::from(bytes),
        Some(Body::Text(text)) if response.is_base64_encoded => {
            match base64::engine::general_purpose::STANDARD.decode(text) {
                Ok(bytes) => Bytes::from(bytes),
                Err(_) => return bad_gateway(),
            }
        }
        Some(Body::Text(text)) => Bytes::from(text),
        Some(_) => return bad_gateway(),
    };
    (status, headers, body)
}

/// API Gateway's answer to a malformed function response.
fn bad_gateway() -> (u16, HeaderMap, Bytes) {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    (
        502,
        headers,
        Bytes::from_static(br#"{"message": "Internal server error"}"#),
    )
}

/// The resource path of a request for `stage`: `/prod/rolls` becomes `/rolls`,
/// percent-decoded; `None` when the path is not under the stage.
pub(super) fn strip_stage<'a>(path: &'a str, stage: &str) -> Option<std::borrow::Cow<'a, str>> {
    let rest = path.strip_prefix('/')?.strip_prefix(stage)?;
    // The stage's root, with or without its slash, is the resource `/`.
    let rest = if rest.is_empty() { "/" } else { rest };
    if !rest.starts_with('/') {
        return None;
    }
    Some(percent_encoding::percent_decode_str(rest).decode_utf8_lossy())
}

/// A method API Gateway would route; anything else is treated as unknown.
pub(super) fn is_routable(method: &Method) -> bool {
    [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ]
    .contains(method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_stripped_and_paths_decoded() {
        assert_eq!(
            strip_stage("/prod/rolls", "prod").as_deref(),
            Some("/rolls")
        );
        assert_eq!(
            strip_stage("/prod/rolls/%37", "prod").as_deref(),
            Some("/rolls/7")
        );
        assert_eq!(strip_stage("/prod", "prod").as_deref(), Some("/"));
        assert_eq!(strip_stage("/prod/", "prod").as_deref(), Some("/"));
        assert_eq!(strip_stage("/production/rolls", "prod"), None);
        assert_eq!(strip_stage("/rolls", "prod"), None);
    }

    #[test]
    fn bad_function_responses_are_502() {
        let mut response = ApiGatewayProxyResponse::default();
        response.status_code = -1;
        assert_eq!(from_response(response).0, 502);
    }
}
