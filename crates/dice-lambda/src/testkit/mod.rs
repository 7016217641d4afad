//! Test support for crates that run the Lambda (feature `testkit`): a Runtime
//! API emulator and real-shaped API Gateway events.

// Test support: a failed setup is meant to fail the test that called it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod runtime_api;

pub use runtime_api::{Outcome, RuntimeApi};

use serde_json::{Value, json};

/// The API key id the events carry, as API Gateway sets it after checking a key.
pub const KEY_ID: &str = "k1a2b3c4d5";
/// The key's secret value: in the event, never to be stored or logged.
pub const KEY_VALUE: &str = "secret-key-value-0123456789abcdefghij";

/// A REST API proxy event as API Gateway sends it: `query` and `headers` in
/// both their single and multi-value forms, stage `prod`, and an API key
/// ([`KEY_ID`], [`KEY_VALUE`]) that API Gateway has checked.
pub fn rest_event(
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Value {
    let mut header_map = serde_json::Map::new();
    let mut multi_headers = serde_json::Map::new();
    for (name, value) in [
        ("Host", "abc123.execute-api.us-west-2.amazonaws.com"),
        ("User-Agent", "curl/8.5.0"),
    ]
    .iter()
    .chain(headers)
    {
        header_map.insert((*name).to_owned(), json!(value));
        multi_headers.insert((*name).to_owned(), json!([value]));
    }
    let (single_query, multi_query) = if query.is_empty() {
        (Value::Null, Value::Null)
    } else {
        let mut single = serde_json::Map::new();
        let mut multi: serde_json::Map<String, Value> = serde_json::Map::new();
        for (name, value) in query {
            single.insert((*name).to_owned(), json!(value));
            multi
                .entry((*name).to_owned())
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .unwrap()
                .push(json!(value));
        }
        (Value::Object(single), Value::Object(multi))
    };
    json!({
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": header_map,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": single_query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "resourceId": "2gxmpl",
            "resourcePath": path,
            "httpMethod": method,
            "extendedRequestId": "lBQ8mGMwPHcFaAg=",
            "requestTime": "23/Nov/2026:22:41:28 +0000",
            "path": format!("/prod{path}"),
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": "prod",
            "domainPrefix": "abc123",
            "requestTimeEpoch": 1795473688000u64,
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {
                "cognitoIdentityPoolId": null,
                "accountId": null,
                "cognitoIdentityId": null,
                "caller": null,
                "apiKey": KEY_VALUE,
                "apiKeyId": KEY_ID,
                "sourceIp": "203.0.113.7",
                "principalOrgId": null,
                "accessKey": null,
                "cognitoAuthenticationType": null,
                "cognitoAuthenticationProvider": null,
                "userArn": null,
                "userAgent": "curl/8.5.0",
                "user": null
            },
            "domainName": "abc123.execute-api.us-west-2.amazonaws.com",
            "apiId": "abc123"
        },
        "body": body,
        "isBase64Encoded": false
    })
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
