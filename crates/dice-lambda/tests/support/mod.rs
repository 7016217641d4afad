//! Building API Gateway REST proxy events the way the service sends them.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod local;

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderValue, Method};
use dice_lambda::RestEvent;

pub use dice_lambda::testkit::{KEY_ID, KEY_VALUE};

/// An event for `method` on `path` (the resource path) on stage `prod`.
pub fn event(method: Method, path: &str) -> ApiGatewayProxyRequest {
    RestEvent::new(method, path, path)
        .stage("prod")
        .request_id("req-0001")
        .api_key(KEY_ID, KEY_VALUE)
        .source_ip("127.0.0.1")
        .build()
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
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    RestEvent::new(Method::GET, path, path)
        .stage("prod")
        .request_id("req-0001")
        .api_key(KEY_ID, KEY_VALUE)
        .source_ip("127.0.0.1")
        .query(&query)
        .build()
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
