//! Whatever the event holds, the handler answers without panicking, uses the
//! error envelope for every refusal, and writes nothing when it refuses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use aws_lambda_events::http::{HeaderValue, Method};
use base64::Engine as _;
use dice_core::RollStore;
use dice_lambda::{Handler, Options};
use dice_memory::MemoryStore;
use proptest::prelude::*;
use support::*;

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        Just(Method::OPTIONS),
        "[A-Z]{1,8}".prop_map(|m| Method::from_bytes(m.as_bytes()).unwrap()),
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/rolls".to_owned()),
        Just("/roll".to_owned()),
        Just("/create-roll".to_owned()),
        Just("/stats".to_owned()),
        "/rolls/[0-9a-z%]{0,12}",
        "/[ -~]{0,20}",
        ".{0,20}",
    ]
}

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,200}",
        (any::<i64>(), ".{0,70}")
            .prop_map(|(o, n)| serde_json::json!({"outcome": o, "rolled_by": n}).to_string()),
        (0u32..10).prop_map(|o| format!(r#"{{"outcome":{o}}}"#)),
        // The three forms of a roll, with notations valid and not.
        (prop::option::of(0u32..30), prop::option::of(dice_text()))
            .prop_map(|(o, d)| { serde_json::json!({"outcome": o, "dice": d}).to_string() }),
        prop::collection::vec(dice_text(), 1..4).prop_map(|ds| serde_json::to_string(
            &ds.iter()
                .map(|d| serde_json::json!({"dice": d}))
                .collect::<Vec<_>>()
        )
        .unwrap()),
        prop::collection::vec(0u32..10, 0..5).prop_map(|os| serde_json::to_string(
            &os.iter()
                .map(|o| serde_json::json!({"outcome": o}))
                .collect::<Vec<_>>()
        )
        .unwrap()),
    ]
}

/// A notation, valid or not, and now and then arbitrary text.
fn dice_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("2d6".to_owned()),
        Just("4d6kh3+1".to_owned()),
        Just("d%".to_owned()),
        Just("1d4-5".to_owned()),
        Just("0d6".to_owned()),
        "[0-9dDkKhHlL%+ -]{0,12}",
        ".{0,70}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_never_writes_on_refusal(
        method in method(),
        path in path(),
        body in body(),
        base64_encode in any::<bool>(),
        key_id in prop::option::of("[ -~]{0,70}"),
        idempotency_key in prop::option::of(prop::collection::vec(32u8..127, 0..300)),
        query in prop::collection::vec(("[a-z_]{0,10}", ".{0,20}"), 0..4),
        allow_anonymous in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let store = MemoryStore::new();
        let handler = Handler::new(Options { allow_anonymous, ..Options::default() });

        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut event = get("/x", &query);
        event.http_method = method;
        event.path = Some(path);
        event.request_context.path = None;
        event.request_context.identity.api_key_id = key_id;
        event.is_base64_encoded = base64_encode;
        event.body = Some(if base64_encode {
            base64::engine::general_purpose::STANDARD.encode(body.as_bytes())
        } else {
            body
        });
        if let Some(key) = idempotency_key {
            event.headers.insert("idempotency-key", HeaderValue::from_bytes(&key).unwrap());
        }

        let (response, written) = runtime.block_on(async {
            let response = handler.handle(&event, &store).await;
            (response, store.stats(&dice_core::StatsQuery::new()).await.unwrap().count)
        });
        let status = response.status_code;
        prop_assert!([200, 201, 400, 403, 404, 405, 413, 422].contains(&status), "status {status}");
        if status == 201 {
            prop_assert!(written > 0);
        } else {
            prop_assert_eq!(written, 0, "a refused request wrote");
        }
        if status >= 400 {
            let body = json_body(&response);
            prop_assert!(body["error"]["code"].is_string(), "no envelope: {body}");
            prop_assert!(body["error"]["message"].is_string());
        }
    }
}
