//! Building API Gateway REST proxy events the way the service sends them.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderValue, Method};
use aws_lambda_events::query_map::QueryMap;
use std::collections::HashMap;

pub use dice_lambda::testkit::{KEY_ID, KEY_VALUE};

/// An event for `method` on `path` (the resource path) on stage `prod`.
pub fn event(method: Method, path: &str) -> ApiGatewayProxyRequest {
    let mut event = ApiGatewayProxyRequest::default();
    event.http_method = method.clone();
    event.path = Some(path.to_owned());
    event.resource = Some(path.to_owned());
    event.request_context.http_method = method;
    event.request_context.stage = Some("prod".to_owned());
    event.request_context.path = Some(format!("/prod{path}"));
    event.request_context.request_id = Some("req-0001".to_owned());
    event.request_context.identity.api_key_id = Some(KEY_ID.to_owned());
    event.request_context.identity.api_key = Some(KEY_VALUE.to_owned());
    event.request_context.identity.source_ip = Some("127.0.0.1".to_owned());
    event
}

/// A POST of `body` to `path`.
pub fn post(path: &str, body: &str) -> ApiGatewayProxyRequest {
    let mut event = event(Method::POST, path);
    event
        .headers
        .insert("content-type", HeaderValue::from_static("application/json"));
    event.body = Some(body.to_owned());
    event
}

/// A GET of `path` with query parameters.
pub fn get(path: &str, query: &[(&str, &str)]) -> ApiGatewayProxyRequest {
    let mut event = event(Method::GET, path);
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in query {
        map.entry((*k).to_owned())
            .or_default()
            .push((*v).to_owned());
    }
    let single: HashMap<String, String> = map
        .iter()
        .map(|(k, v)| (k.clone(), v.last().unwrap().clone()))
        .collect();
    event.query_string_parameters = QueryMap::from(single);
    event.multi_value_query_string_parameters = QueryMap::from(map);
    event
}

/// The same event with an `Idempotency-Key` header.
pub fn with_key(mut event: ApiGatewayProxyRequest, key: &str) -> ApiGatewayProxyRequest {
    event
        .headers
        .insert("idempotency-key", HeaderValue::from_str(key).unwrap());
    event
}

/// The response body parsed as JSON.
pub fn json_body(response: &ApiGatewayProxyResponse) -> serde_json::Value {
    match &response.body {
        Some(Body::Text(text)) => serde_json::from_str(text).unwrap(),
        other => panic!("expected a text body, got {other:?}"),
    }
}

/// The error code of an error response.
pub fn error_code(response: &ApiGatewayProxyResponse) -> String {
    json_body(response)["error"]["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A header of the response, as text.
pub fn header<'a>(response: &'a ApiGatewayProxyResponse, name: &str) -> Option<&'a str> {
    response.headers.get(name).map(|v| v.to_str().unwrap())
}
