//! The handler against the API contract: routes, statuses, headers, error bodies,
//! the order of checks, idempotency, and real store failures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use aws_lambda_events::http::Method;
use base64::Engine as _;
use dice_core::RollStore;
use dice_lambda::{Handler, Options};
use dice_memory::MemoryStore;
use dice_store_mysql::{MysqlConfig, MysqlStore, Preset};
use support::*;

fn handler() -> Handler {
    Handler::new(Options::default())
}

async fn count(store: &MemoryStore) -> u64 {
    store
        .stats(&dice_core::StatsQuery::new())
        .await
        .unwrap()
        .count
}

#[tokio::test]
async fn create_answers_201_with_the_stored_roll_and_its_location() {
    let store = MemoryStore::new();
    let response = handler()
        .handle(
            &post("/rolls", r#"{"outcome":6,"rolled_by":"alice"}"#),
            &store,
        )
        .await;
    assert_eq!(response.status_code, 201);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    let roll = json_body(&response);
    assert_eq!(roll["outcome"], 6);
    assert_eq!(roll["rolled_by"], "alice");
    assert_eq!(roll["created_by"], KEY_ID, "created_by is the API key's id");
    assert!(roll["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        header(&response, "location"),
        Some(format!("/prod/rolls/{}", roll["id"]).as_str())
    );

    for path in ["/roll", "/create-roll"] {
        let response = handler()
            .handle(&post(path, r#"{"outcome":1}"#), &store)
            .await;
        assert_eq!(response.status_code, 201, "{path}");
    }
    assert_eq!(count(&store).await, 3);
}

#[tokio::test]
async fn location_follows_the_url_the_client_used() {
    let store = MemoryStore::new();
    let mut on_custom_domain = post("/rolls", r#"{"outcome":2}"#);
    on_custom_domain.request_context.path = Some("/v1/rolls".to_owned());
    let response = handler().handle(&on_custom_domain, &store).await;
    assert_eq!(header(&response, "location"), Some("/v1/rolls/1"));
}

#[tokio::test]
async fn batches_answer_an_array_in_request_order_without_location() {
    let store = MemoryStore::new();
    let response = handler()
        .handle(
            &post("/rolls", r#"[{"outcome":1},{"outcome":2,"rolled_by":"b"}]"#),
            &store,
        )
        .await;
    assert_eq!(response.status_code, 201);
    assert_eq!(header(&response, "location"), None);
    let rolls = json_body(&response);
    assert_eq!(rolls.as_array().unwrap().len(), 2);
    assert_eq!(rolls[1]["outcome"], 2);
}

#[tokio::test]
async fn bad_bodies_answer_400_with_a_code_and_write_nothing() {
    let store = MemoryStore::new();
    let cases = [
        ("", "invalid_json"),
        ("not json", "invalid_json"),
        (r#"{"outcome":"6"}"#, "invalid_outcome"),
        (r#"{"outcome":-1}"#, "invalid_outcome"),
        (r#"{"outcome":4294967296}"#, "invalid_outcome"),
        (r#"{"outcome":6.5}"#, "invalid_outcome"),
        (r#"{"rolled_by":"x"}"#, "missing_outcome"),
        (r#"{"outcom":6}"#, "unknown_field"),
        (r#"{"outcome":6,"created_by":"me"}"#, "unknown_field"),
        (r#"{"outcome":6,"rolled_by":"   "}"#, "invalid_rolled_by"),
        ("[]", "empty_batch"),
        (r#"[{"outcome":1},{"outcome":true}]"#, "invalid_outcome"),
        ("7", "invalid_body"),
    ];
    for (body, code) in cases {
        let response = handler().handle(&post("/rolls", body), &store).await;
        assert_eq!(response.status_code, 400, "{body}");
        assert_eq!(error_code(&response), code, "{body}");
        assert!(
            json_body(&response)["error"]["message"]
                .as_str()
                .unwrap()
                .len()
                > 5
        );
    }
    let long = format!(r#"{{"outcome":1,"rolled_by":"{}"}}"#, "x".repeat(61));
    assert_eq!(
        error_code(&handler().handle(&post("/rolls", &long), &store).await),
        "invalid_rolled_by"
    );
    let too_many = format!("[{}]", vec![r#"{"outcome":1}"#; 1001].join(","));
    assert_eq!(
        error_code(&handler().handle(&post("/rolls", &too_many), &store).await),
        "batch_too_large"
    );
    assert_eq!(count(&store).await, 0);
}

#[tokio::test]
async fn base64_bodies_are_decoded_first() {
    let store = MemoryStore::new();
    let mut event = post(
        "/rolls",
        &base64::engine::general_purpose::STANDARD.encode(r#"{"outcome":3}"#),
    );
    event.is_base64_encoded = true;
    let response = handler().handle(&event, &store).await;
    assert_eq!(response.status_code, 201);
    assert_eq!(json_body(&response)["outcome"], 3);

    event.body = Some("%%% not base64".to_owned());
    let response = handler().handle(&event, &store).await;
    assert_eq!(
        (response.status_code, error_code(&response).as_str()),
        (400, "invalid_json")
    );
}

#[tokio::test]
async fn order_of_checks_is_key_then_route_then_size_then_body() {
    let store = MemoryStore::new();
    let huge = "x".repeat(dice_lambda::MAX_BODY_BYTES + 1);

    let mut no_key = post("/nowhere", &huge);
    no_key.request_context.identity.api_key_id = None;
    let response = handler().handle(&no_key, &store).await;
    assert_eq!(
        (response.status_code, error_code(&response).as_str()),
        (403, "forbidden")
    );

    let response = handler().handle(&post("/nowhere", &huge), &store).await;
    assert_eq!(
        (response.status_code, error_code(&response).as_str()),
        (404, "route_not_found")
    );

    let mut wrong_method = post("/stats", &huge);
    wrong_method.http_method = Method::POST;
    let response = handler().handle(&wrong_method, &store).await;
    assert_eq!(response.status_code, 405);
    assert_eq!(header(&response, "allow"), Some("GET"));

    let response = handler().handle(&post("/rolls", &huge), &store).await;
    assert_eq!(
        (response.status_code, error_code(&response).as_str()),
        (413, "payload_too_large")
    );

    // Exactly the limit is not too large: it fails later, as JSON.
    let at_limit = "x".repeat(dice_lambda::MAX_BODY_BYTES);
    assert_eq!(
        handler()
            .handle(&post("/rolls", &at_limit), &store)
            .await
            .status_code,
        400
    );

    let mut huge_base64 = post(
        "/rolls",
        &base64::engine::general_purpose::STANDARD.encode(huge.as_bytes()),
    );
    huge_base64.is_base64_encoded = true;
    assert_eq!(
        handler().handle(&huge_base64, &store).await.status_code,
        413
    );
    assert_eq!(count(&store).await, 0);
}

#[tokio::test]
async fn anonymous_events_are_refused_unless_allowed() {
    let store = MemoryStore::new();
    let mut event = post("/rolls", r#"{"outcome":1}"#);
    event.request_context.identity.api_key_id = None;
    assert_eq!(handler().handle(&event, &store).await.status_code, 403);
    assert_eq!(count(&store).await, 0);

    let open = Handler::new(Options {
        allow_anonymous: true,
        ..Options::default()
    });
    let response = open.handle(&event, &store).await;
    assert_eq!(response.status_code, 201);
    assert!(json_body(&response)["created_by"].is_null());
}

#[tokio::test]
async fn get_list_and_stats() {
    let store = MemoryStore::new();
    for outcome in [1, 6, 6] {
        handler()
            .handle(
                &post(
                    "/rolls",
                    &format!(r#"{{"outcome":{outcome},"rolled_by":"ann"}}"#),
                ),
                &store,
            )
            .await;
    }
    handler()
        .handle(&post("/rolls", r#"{"outcome":3}"#), &store)
        .await;

    let one = handler().handle(&get("/rolls/2", &[]), &store).await;
    assert_eq!(one.status_code, 200);
    assert_eq!(json_body(&one)["outcome"], 6);
    let missing = handler().handle(&get("/rolls/99", &[]), &store).await;
    assert_eq!(
        (missing.status_code, error_code(&missing).as_str()),
        (404, "not_found")
    );
    let bad_id = handler().handle(&get("/rolls/abc", &[]), &store).await;
    assert_eq!(
        (bad_id.status_code, error_code(&bad_id).as_str()),
        (400, "invalid_id")
    );

    let page = handler()
        .handle(&get("/rolls", &[("limit", "3")]), &store)
        .await;
    assert_eq!(page.status_code, 200);
    let page = json_body(&page);
    assert_eq!(page["rolls"].as_array().unwrap().len(), 3);
    assert_eq!(page["rolls"][0]["id"], 4, "newest first");
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let rest = json_body(
        &handler()
            .handle(
                &get("/rolls", &[("limit", "3"), ("cursor", &cursor)]),
                &store,
            )
            .await,
    );
    assert_eq!(rest["rolls"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());

    let ann = json_body(
        &handler()
            .handle(&get("/rolls", &[("rolled_by", "ann")]), &store)
            .await,
    );
    assert_eq!(ann["rolls"].as_array().unwrap().len(), 3);

    let stats = json_body(
        &handler()
            .handle(&get("/stats", &[("rolled_by", "ann")]), &store)
            .await,
    );
    assert_eq!(stats["count"], 3);
    assert_eq!(stats["per_outcome"]["6"], 2);
    assert_eq!(stats["mean"], 13.0 / 3.0);

    for (path, query, code) in [
        ("/rolls", vec![("limit", "0")], "invalid_limit"),
        ("/rolls", vec![("limit", "1001")], "invalid_limit"),
        ("/rolls", vec![("cursor", "garbage")], "invalid_cursor"),
        ("/rolls", vec![("limt", "5")], "unknown_parameter"),
        (
            "/rolls",
            vec![("limit", "5"), ("limit", "6")],
            "duplicate_field",
        ),
        ("/stats", vec![("limit", "5")], "unknown_parameter"),
    ] {
        let response = handler().handle(&get(path, &query), &store).await;
        assert_eq!(
            (response.status_code, error_code(&response).as_str()),
            (400, code),
            "{path} {query:?}"
        );
    }
}

#[tokio::test]
async fn idempotent_retries_replay_and_conflicts_answer_422() {
    let store = MemoryStore::new();
    let first = handler()
        .handle(
            &with_key(post("/rolls", r#"{"outcome":5,"rolled_by":"i"}"#), "abc-1"),
            &store,
        )
        .await;
    assert_eq!(first.status_code, 201);
    // Same parsed request, other whitespace and key order: a replay.
    let again = handler()
        .handle(
            &with_key(
                post("/rolls", r#"{ "rolled_by":"i", "outcome":5 }"#),
                "abc-1",
            ),
            &store,
        )
        .await;
    assert_eq!(again.status_code, 201);
    assert_eq!(again.body, first.body, "exactly the first answer");
    assert_eq!(header(&again, "location"), header(&first, "location"));
    assert_eq!(header(&again, "idempotency-replayed"), Some("true"));
    assert_eq!(count(&store).await, 1);

    let conflict = handler()
        .handle(
            &with_key(post("/rolls", r#"{"outcome":6}"#), "abc-1"),
            &store,
        )
        .await;
    assert_eq!(
        (conflict.status_code, error_code(&conflict).as_str()),
        (422, "idempotency_key_reused")
    );
    let bad_key = handler()
        .handle(
            &with_key(post("/rolls", r#"{"outcome":6}"#), "has space"),
            &store,
        )
        .await;
    assert_eq!(
        (bad_key.status_code, error_code(&bad_key).as_str()),
        (400, "invalid_idempotency_key")
    );
    assert_eq!(count(&store).await, 1);
}

#[tokio::test]
async fn an_unreachable_database_answers_503_with_retry_after() {
    // A real MysqlStore pointed at a port where nothing listens.
    let config = MysqlConfig::new("127.0.0.1", "root", "dice", Preset::Lambda)
        .port(1)
        .connect_timeout(Duration::from_millis(200));
    let store = MysqlStore::new(&config).with_deadline(Instant::now() + Duration::from_millis(600));
    let response = handler()
        .handle(&post("/rolls", r#"{"outcome":1}"#), &store)
        .await;
    assert_eq!(
        (response.status_code, error_code(&response).as_str()),
        (503, "unavailable")
    );
    assert_eq!(header(&response, "retry-after"), Some("1"));
    let body = json_body(&response);
    assert_eq!(body["error"]["request_id"], "req-0001");
    assert!(
        !body.to_string().contains("127.0.0.1"),
        "no driver text reaches the client: {body}"
    );
}

#[tokio::test]
async fn a_store_failure_answers_500_with_a_request_id_and_no_internals() {
    // A real server, but a database that has no tables: the store fails internally.
    let url = std::env::var("DICE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let config = MysqlConfig::from_url(
        &format!("{}/mysql", url.trim_end_matches('/')),
        Preset::Lambda,
    )
    .unwrap();
    let store = MysqlStore::new(&config);
    let response = handler().handle(&get("/rolls/1", &[]), &store).await;
    assert_eq!(
        (response.status_code, error_code(&response).as_str()),
        (500, "internal")
    );
    let text = json_body(&response).to_string();
    assert!(text.contains("req-0001"), "{text}");
    for leak in ["rolls", "1146", "exist", "SELECT", "mysql"] {
        assert!(!text.contains(leak), "{leak:?} leaked: {text}");
    }
}
