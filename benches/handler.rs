//! The handler's own cost per event, with the in-memory store, against two
//! baselines in the same run: the store call alone, and a naive handler that
//! parses the body into a `serde_json::Value` and builds the response by hand.
//! Group `forms` puts a roll the server makes (`{"dice":"3d6"}`, drawn from the
//! operating system's CSPRNG) beside the tutorial's reported roll.
//!
//! ```sh
//! cargo bench -p dice-benches --bench handler
//! cargo bench -p dice-benches --bench handler -- forms
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use criterion::{Criterion, criterion_group, criterion_main};
use dice_core::RollStore;
use dice_core::testkit::new_roll;
use dice_lambda::{Handler, Options};
use dice_memory::MemoryStore;

fn event(method: &str, path: &str, body: Option<&str>) -> ApiGatewayProxyRequest {
    let json = match body {
        Some(body) => dice_lambda::testkit::post(path, body),
        None => dice_lambda::testkit::rest_event(method, path, &[], &[], None),
    };
    serde_json::from_value(json).unwrap()
}

/// What a handler written without care looks like: untyped JSON in, a string out.
async fn naive(event: &ApiGatewayProxyRequest, store: &MemoryStore) -> ApiGatewayProxyResponse {
    let value: serde_json::Value =
        serde_json::from_str(event.body.as_deref().unwrap_or("")).unwrap();
    let outcome = value["outcome"].as_u64().unwrap() as u32;
    let roll = store.insert(&new_roll(outcome, None), None).await.unwrap();
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 201;
    response.body = Some(Body::Text(serde_json::to_string(&roll).unwrap()));
    response
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let handler = Handler::new(Options::default());
    let create = event(
        "POST",
        "/rolls",
        Some(r#"{"outcome":6,"rolled_by":"alice"}"#),
    );
    let get = event("GET", "/rolls/1", None);

    let mut group = c.benchmark_group("create");
    let store = MemoryStore::new();
    group.bench_function("Handler::handle (POST /rolls)", |b| {
        b.iter(|| runtime.block_on(handler.handle(&create, &store)))
    });
    let store = MemoryStore::new();
    group.bench_function("baseline: naive handler", |b| {
        b.iter(|| runtime.block_on(naive(&create, &store)))
    });
    let store = MemoryStore::new();
    let roll = new_roll(6, Some("alice"));
    group.bench_function("baseline: MemoryStore::insert alone", |b| {
        b.iter(|| runtime.block_on(store.insert(&roll, None)))
    });
    group.finish();

    let mut forms = c.benchmark_group("forms");
    for body in [
        r#"{"outcome":6}"#,
        r#"{"dice":"3d6"}"#,
        r#"{"outcome":6,"dice":"1d6"}"#,
    ] {
        let event = event("POST", "/rolls", Some(body));
        let store = MemoryStore::new();
        assert_eq!(
            runtime.block_on(handler.handle(&event, &store)).status_code,
            201
        );
        forms.bench_function(format!("Handler::handle (POST {body})"), |b| {
            b.iter(|| runtime.block_on(handler.handle(&event, &store)))
        });
    }
    forms.finish();

    let store = MemoryStore::new();
    runtime.block_on(handler.handle(&create, &store));
    c.bench_function("get/Handler::handle (GET /rolls/1)", |b| {
        b.iter(|| runtime.block_on(handler.handle(&get, &store)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
