//! Between HTTP and API Gateway's REST proxy event, both ways, as API Gateway
//! does it: the stage outside the resource path, last-value and multi-value
//! headers and query parameters, base64 for bodies that are not text.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue, Method, request::Parts};
use aws_lambda_events::query_map::QueryMap;
use base64::Engine as _;
use bytes::Bytes;
use std::collections::HashMap;

use super::keys::KeyRecord;
use super::resources::Matched;

/// What the gateway knows about a request besides its HTTP parts.
pub(super) struct Context<'a> {
    pub(super) stage: &'a str,
    pub(super) path: &'a str,
    pub(super) matched: Matched,
    pub(super) key: &'a KeyRecord,
    pub(super) key_value: &'a str,
    pub(super) peer: SocketAddr,
    pub(super) request_id: &'a str,
}

/// The event API Gateway would send for this request.
pub(super) fn to_event(
    parts: &Parts,
    body: &Bytes,
    context: Context<'_>,
) -> ApiGatewayProxyRequest {
    let mut event = ApiGatewayProxyRequest::default();
    event.http_method = parts.method.clone();
    event.resource = Some(context.matched.resource.to_owned());
    event.path = Some(context.path.to_owned());
    (event.headers, event.multi_value_headers) = headers(&parts.headers);
    (
        event.query_string_parameters,
        event.multi_value_query_string_parameters,
    ) = query(parts.uri.query().unwrap_or(""));
    if let Some(id) = context.matched.id {
        event.path_parameters = HashMap::from([("id".to_owned(), id)]);
    }
    match std::str::from_utf8(body) {
        _ if body.is_empty() => {}
        Ok(text) => event.body = Some(text.to_owned()),
        Err(_) => {
            event.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
            event.is_base64_encoded = true;
        }
    }
    let request_context = &mut event.request_context;
    request_context.http_method = parts.method.clone();
    request_context.stage = Some(context.stage.to_owned());
    request_context.path = Some(format!("/{}{}", context.stage, context.path));
    request_context.resource_path = Some(context.matched.resource.to_owned());
    request_context.request_id = Some(context.request_id.to_owned());
    request_context.protocol = Some(format!("{:?}", parts.version));
    request_context.apiid = Some("local".to_owned());
    request_context.request_time_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        });
    request_context.identity.api_key = Some(context.key_value.to_owned());
    request_context.identity.api_key_id = Some(context.key.id.clone());
    request_context.identity.source_ip = Some(context.peer.ip().to_string());
    request_context.identity.user_agent = parts
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    event
}

/// `headers` holds each name's last value, `multiValueHeaders` all of them.
fn headers(headers: &HeaderMap) -> (HeaderMap, HeaderMap) {
    let mut last = HeaderMap::new();
    for (name, value) in headers {
        last.insert(name.clone(), value.clone());
    }
    (last, headers.clone())
}

/// The query string decoded, as the last-value and multi-value maps.
fn query(raw: &str) -> (QueryMap, QueryMap) {
    let mut multi: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        multi
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    let last: HashMap<String, String> = multi
        .iter()
        .filter_map(|(name, values)| Some((name.clone(), values.last()?.clone())))
        .collect();
    (QueryMap::from(last), QueryMap::from(multi))
}

/// The HTTP response for the function's answer: status, every header, and the
/// body, decoded from base64 when the function says so.
pub(super) fn from_response(response: ApiGatewayProxyResponse) -> (u16, HeaderMap, Bytes) {
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
        assert_eq!(strip_stage("/prod", "prod"), None);
        assert_eq!(strip_stage("/production/rolls", "prod"), None);
        assert_eq!(strip_stage("/rolls", "prod"), None);
    }

    #[test]
    fn query_keeps_last_and_all_values() {
        let (last, multi) = query("limit=2&limit=3&rolled_by=a%20b&cursor=");
        assert_eq!(last.first("limit"), Some("3"));
        assert_eq!(multi.all("limit"), Some(vec!["2", "3"]));
        assert_eq!(last.first("rolled_by"), Some("a b"));
        assert_eq!(last.first("cursor"), Some(""));
    }

    #[test]
    fn bad_function_responses_are_502() {
        let mut response = ApiGatewayProxyResponse::default();
        response.status_code = -1;
        assert_eq!(from_response(response).0, 502);
    }
}
