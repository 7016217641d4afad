//! Test support for crates that run the Lambda (feature `testkit`): a Runtime
//! API emulator and real-shaped API Gateway events.

// Test support: a failed setup is meant to fail the test that called it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod runtime_api;

pub use runtime_api::{Outcome, RuntimeApi};

use aws_lambda_events::http::Method;
use serde_json::Value;

use crate::{RestEvent, routes};

/// The API key id the events carry, as API Gateway sets it after checking a key.
pub const KEY_ID: &str = "k1a2b3c4d5";
/// The key's secret value: in the event, never to be stored or logged.
pub const KEY_VALUE: &str = "secret-key-value-0123456789abcdefghij";

/// A REST API proxy event as API Gateway sends it, as JSON: `query` and
/// `headers` in both their single and multi-value forms, stage `prod`, and an
/// API key ([`KEY_ID`], [`KEY_VALUE`]) that API Gateway has checked. Built with
/// [`RestEvent`], the crate's one event builder.
pub fn rest_event(
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Value {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    // The resource API Gateway matched, such as `/rolls/{id}`; the path itself
    // for one the API does not have (as a `{proxy+}` integration would send).
    let route = routes::route(&method, path).ok();
    let resource = route.map_or(path, |route| route.resource.path);
    let mut event = RestEvent::new(method, resource, path)
        .stage("prod")
        .header("Host", "abc123.execute-api.us-west-2.amazonaws.com")
        .header("User-Agent", "curl/8.5.0")
        .api_key(KEY_ID, KEY_VALUE)
        .request_id("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
        .source_ip("203.0.113.7");
    for (name, value) in headers {
        event = event.header(name, value);
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    event = event.query(&query);
    if let Some(id) = route.and_then(|route| route.id) {
        event = event.path_parameter("id", id);
    }
    if let Some(body) = body {
        event = event.body(body.as_bytes());
    }
    let mut event = event.build();
    let context = &mut event.request_context;
    context.account_id = Some("123456789012".to_owned());
    context.apiid = Some("abc123".to_owned());
    context.domain_name = Some("abc123.execute-api.us-west-2.amazonaws.com".to_owned());
    context.protocol = Some("HTTP/1.1".to_owned());
    context.request_time_epoch = 1_795_473_688_000;
    serde_json::to_value(&event).unwrap()
}

/// A JSON POST of `body` to `path`.
pub fn post(path: &str, body: &str) -> Value {
    rest_event(
        "POST",
        path,
        &[],
        &[("Content-Type", "application/json")],
        Some(body),
    )
}
