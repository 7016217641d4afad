//! The compiled `bootstrap`, run as AWS runs it: a child process that speaks the
//! Runtime API to an emulator on loopback, serving real API Gateway REST events
//! against MariaDB. Rows are checked in the database afterwards, and its logs
//! for secrets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use dice_lambda::testkit::{KEY_ID, KEY_VALUE};
use dice_lambda::testkit::{Outcome, RuntimeApi, post, rest_event};
use dice_store_mysql::testkit::TestDb;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const PASSWORD: &str = "e2e-Pa55word-never-logged";
/// A name that appears only in request bodies, so finding it in a log line
/// means a body was logged.
const BODY_MARKER: &str = "zebra-body-marker";

/// A running `bootstrap` and what it has printed.
struct Function {
    child: Child,
    output: Arc<Mutex<Vec<String>>>,
}

impl Function {
    fn spawn(runtime_api: &RuntimeApi, env: &[(&str, &str)]) -> Self {
        let mut command = runtime_api.function_command(Path::new(env!("CARGO_BIN_EXE_bootstrap")));
        command
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("bootstrap starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = Arc::clone(&output);
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    output.lock().unwrap().push(line);
                }
            });
        }
        Self { child, output }
    }

    fn output(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    /// Waits for the process to exit by itself and returns its status code.
    async fn exit_code(&mut self) -> Option<i32> {
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("exits")
            .unwrap();
        // Let the readers drain what it printed last.
        tokio::time::sleep(Duration::from_millis(100)).await;
        status.code()
    }
}

/// The function's HTTP answer: status, headers, body as JSON.
fn response(outcome: Outcome) -> (i64, Value, Value) {
    let Outcome::Response(response) = outcome else {
        panic!("the function failed: {outcome:?}")
    };
    let body = response["body"]
        .as_str()
        .map(|b| serde_json::from_str(b).unwrap())
        .unwrap_or(Value::Null);
    (
        response["statusCode"].as_i64().unwrap(),
        response["headers"].clone(),
        body,
    )
}

async fn call(api: &RuntimeApi, event: &Value) -> (i64, Value, Value) {
    response(api.invoke(event).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_serves_the_api_through_the_runtime_api() {
    let db = TestDb::create().await;
    let url = db.create_user(PASSWORD).await;

    let api = RuntimeApi::start().await;
    let function = Function::spawn(
        &api,
        &[("DATABASE_URL", url.as_str()), ("DICE_MIGRATE", "true")],
    );
    let mut created = 0;

    // Create, as the tutorial's curl does, and find the row in MariaDB.
    let (status, headers, roll) = call(
        &api,
        &post(
            "/create-roll",
            &format!(r#"{{"outcome":6,"rolled_by":"{BODY_MARKER}"}}"#),
        ),
    )
    .await;
    assert_eq!(status, 201, "{roll}");
    created += 1;
    assert_eq!(roll["created_by"], KEY_ID);
    assert_eq!(headers["location"], format!("/prod/rolls/{}", roll["id"]));
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(db.count_rolls().await, 1);

    // Idempotent create, replayed, then reused with another body.
    let keyed = |body: &str| {
        rest_event(
            "POST",
            "/rolls",
            &[],
            &[("Idempotency-Key", "e2e-key-1")],
            Some(body),
        )
    };
    let (status, _, first) = call(&api, &keyed(r#"{"outcome":4}"#)).await;
    assert_eq!(status, 201);
    created += 1;
    let (status, headers, replay) = call(&api, &keyed(r#"{ "outcome" : 4 }"#)).await;
    assert_eq!((status, &replay), (201, &first));
    assert_eq!(headers["idempotency-replayed"], "true");
    let (status, _, conflict) = call(&api, &keyed(r#"{"outcome":5}"#)).await;
    assert_eq!(
        (status, conflict["error"]["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );

    // A batch, then reads.
    let (status, _, batch) = call(
        &api,
        &post("/rolls", r#"[{"outcome":1},{"outcome":2},{"outcome":3}]"#),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(batch.as_array().unwrap().len(), 3);
    created += 3;
    let (status, _, got) = call(
        &api,
        &rest_event("GET", &format!("/rolls/{}", roll["id"]), &[], &[], None),
    )
    .await;
    assert_eq!((status, &got), (200, &roll));

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "2")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.as_str()));
        }
        let (status, _, page) = call(&api, &rest_event("GET", "/rolls", &query, &[], None)).await;
        assert_eq!(status, 200);
        seen.extend(
            page["rolls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_u64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), created, "every roll listed once: {seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );

    let (status, _, stats) = call(&api, &rest_event("GET", "/stats", &[], &[], None)).await;
    assert_eq!(
        (status, stats["count"].as_u64()),
        (200, Some(created as u64))
    );

    // Every kind of bad input: an answer with a code, and nothing written.
    let long_name = format!(r#"{{"outcome":1,"rolled_by":"{}"}}"#, "n".repeat(61));
    let huge = format!(
        r#"{{"outcome":1,"rolled_by":"{}"}}"#,
        "h".repeat(1024 * 1024)
    );
    let mut bad_base64 = post("/rolls", "!!not base64!!");
    bad_base64["isBase64Encoded"] = json!(true);
    let mut no_key = post("/rolls", r#"{"outcome":1}"#);
    no_key["requestContext"]["identity"]["apiKeyId"] = Value::Null;
    let bad: Vec<(Value, i64, &str)> = vec![
        (post("/rolls", "not json"), 400, "invalid_json"),
        (post("/rolls", ""), 400, "invalid_json"),
        (bad_base64, 400, "invalid_json"),
        (post("/rolls", r#"{"outcome":"6"}"#), 400, "invalid_outcome"),
        (post("/rolls", r#"{"outcome":-1}"#), 400, "invalid_outcome"),
        (
            post("/rolls", r#"{"outcome":6,"colour":"red"}"#),
            400,
            "unknown_field",
        ),
        (post("/rolls", &long_name), 400, "invalid_rolled_by"),
        (
            post("/rolls", r#"[{"outcome":1},{"outcome":null}]"#),
            400,
            "invalid_outcome",
        ),
        (post("/rolls", &huge), 413, "payload_too_large"),
        (
            rest_event("DELETE", "/rolls", &[], &[], None),
            405,
            "method_not_allowed",
        ),
        (
            rest_event("GET", "/nowhere", &[], &[], None),
            404,
            "route_not_found",
        ),
        (no_key, 403, "forbidden"),
    ];
    for (event, want_status, want_code) in bad {
        let (status, _, body) = call(&api, &event).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (want_status, Some(want_code)),
            "{body}"
        );
    }
    // A valid base64 body is decoded and recorded.
    let mut encoded = post(
        "/rolls",
        &base64::engine::general_purpose::STANDARD.encode(r#"{"outcome":2}"#),
    );
    encoded["isBase64Encoded"] = json!(true);
    assert_eq!(call(&api, &encoded).await.0, 201);
    created += 1;
    assert_eq!(
        db.count_rolls().await,
        created as u64,
        "rejected requests wrote nothing"
    );

    // The logs: JSON lines with request ids, and no secrets or bodies.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = function.output();
    assert!(
        logs.iter().any(|l| l.contains("\"status\":201")),
        "request lines are logged: {logs:?}"
    );
    for line in &logs {
        let parsed: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
        assert!(parsed.is_object());
        for secret in [PASSWORD, KEY_VALUE, BODY_MARKER] {
            assert!(!line.contains(secret), "{secret:?} logged: {line}");
        }
    }
    assert!(
        logs.iter().any(|l| l.contains("inv-0")),
        "log lines carry the Lambda request id: {logs:?}"
    );
}

/// The faces of a roll's JSON, checked to lie on dice with `sides`.
fn faces_of(roll: &Value, sides: u64) -> Vec<u64> {
    let faces: Vec<u64> = roll["faces"]
        .as_array()
        .unwrap_or_else(|| panic!("no faces: {roll}"))
        .iter()
        .map(|face| face.as_u64().unwrap())
        .collect();
    assert!(faces.iter().all(|f| (1..=sides).contains(f)), "{roll}");
    faces
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_rolls_dice_replays_their_faces_and_judges_them() {
    let db = TestDb::create().await;
    let url = db.create_user(PASSWORD).await;
    let api = RuntimeApi::start().await;
    let _function = Function::spawn(
        &api,
        &[("DATABASE_URL", url.as_str()), ("DICE_MIGRATE", "true")],
    );

    // Each form on its own, then mixed in a batch.
    let (status, headers, rolled) = call(&api, &post("/rolls", r#"{"dice":"2d20kh1+3"}"#)).await;
    assert_eq!(status, 201, "{rolled}");
    let faces = faces_of(&rolled, 20);
    assert_eq!(rolled["dice"], "2d20kh1+3");
    assert_eq!(rolled["outcome"], faces.iter().max().unwrap() + 3);
    assert_eq!(headers["location"], format!("/prod/rolls/{}", rolled["id"]));
    let get = rest_event("GET", &format!("/rolls/{}", rolled["id"]), &[], &[], None);
    assert_eq!(call(&api, &get).await.2, rolled);
    let (status, _, physical) = call(&api, &post("/rolls", r#"{"outcome":6,"dice":"1d6"}"#)).await;
    assert_eq!((status, physical["dice"].as_str()), (201, Some("1d6")));
    assert!(physical.get("faces").is_none(), "{physical}");
    let (status, _, plain) = call(&api, &post("/create-roll", r#"{"outcome":6}"#)).await;
    assert_eq!(status, 201);
    assert_eq!(
        plain.as_object().unwrap().len(),
        5,
        "the tutorial's answer: {plain}"
    );
    let body = r#"[{"dice":"d%"},{"outcome":1},{"outcome":2,"dice":"1d2"}]"#;
    let (status, _, batch) = call(&api, &post("/rolls", body)).await;
    assert_eq!(status, 201, "{batch}");
    assert_eq!(batch[0]["outcome"], faces_of(&batch[0], 100)[0]);
    assert_eq!(
        (batch[1].get("dice"), batch[2]["dice"].as_str()),
        (None, Some("1d2"))
    );

    // A keyed retry, even one that reached another invocation, answers the first faces.
    let keyed = |body: &str| {
        let headers = [("Idempotency-Key", "dice-e2e")];
        rest_event("POST", "/rolls", &[], &headers, Some(body))
    };
    let (status, _, first) = call(&api, &keyed(r#"{"dice":"30d1000"}"#)).await;
    assert_eq!(status, 201);
    let (status, headers, again) = call(&api, &keyed(r#"{"dice" : "30D1000"}"#)).await;
    assert_eq!((status, &again), (201, &first));
    assert_eq!(headers["idempotency-replayed"], "true");
    assert_eq!(db.count_rolls().await, 7);

    // Stats of a notation, with the fairness of a loaded die.
    let loaded = vec![r#"{"outcome":1,"dice":"1d2","rolled_by":"coin"}"#; 40].join(",");
    assert_eq!(
        call(&api, &post("/rolls", &format!("[{loaded}]"))).await.0,
        201
    );
    let query = [("dice", "1D2"), ("rolled_by", "coin")];
    let (status, _, stats) = call(&api, &rest_event("GET", "/stats", &query, &[], None)).await;
    assert_eq!(
        (status, stats["count"].as_u64()),
        (200, Some(40)),
        "{stats}"
    );
    let fairness = &stats["fairness"];
    assert_eq!(fairness["verdict"], "unlikely fair", "{stats}");
    assert_eq!(
        (
            fairness["chi_square"].as_f64(),
            fairness["degrees_of_freedom"].as_u64()
        ),
        (Some(40.0), Some(1))
    );
    assert_eq!(fairness["expected"], json!({"1": 0.5, "2": 0.5}));
    let (_, _, coins) = call(
        &api,
        &rest_event("GET", "/stats", &[("dice", "1d2")], &[], None),
    )
    .await;
    assert_eq!(
        coins["count"], 41,
        "the coin reported in the batch counts too"
    );
    let (_, _, all) = call(&api, &rest_event("GET", "/stats", &[], &[], None)).await;
    assert_eq!(all["count"], 47);
    assert!(all.get("fairness").is_none(), "{all}");

    // Every refusal, and nothing written by them.
    let bad: Vec<(Value, &str)> = vec![
        (post("/rolls", r#"{"dice":"1001d6"}"#), "invalid_dice"),
        (post("/rolls", r#"{"dice":"1d4-5"}"#), "invalid_dice"),
        (
            post("/rolls", r#"{"outcome":13,"dice":"2d6"}"#),
            "invalid_outcome",
        ),
        (
            post("/rolls", r#"{"dice":"2d6","dices":"2d6"}"#),
            "unknown_field",
        ),
        (
            post("/rolls", r#"[{"outcome":1},{"dice":""}]"#),
            "invalid_dice",
        ),
        (
            rest_event("GET", "/stats", &[("dice", "2d6++1")], &[], None),
            "invalid_dice",
        ),
    ];
    for (event, code) in bad {
        let (status, _, body) = call(&api, &event).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    assert_eq!(db.count_rolls().await, 47);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_configuration_fails_the_init_in_one_line() {
    let api = RuntimeApi::start().await;
    let mut function = Function::spawn(
        &api,
        &[
            ("DB_HOST", "127.0.0.1"),
            ("DB_USER", "tom"),
            ("DB_PASS", PASSWORD),
            ("DB_PORT", "33o6"),
        ],
    );
    assert_eq!(function.exit_code().await, Some(1));
    let output = function.output();
    let errors: Vec<&String> = output
        .iter()
        .filter(|l| l.starts_with("bootstrap:"))
        .collect();
    assert_eq!(errors.len(), 1, "{output:?}");
    assert!(errors[0].contains("DB_PORT"), "{}", errors[0]);
    assert!(
        output
            .iter()
            .all(|l| !l.contains("panicked") && !l.contains(PASSWORD)),
        "{output:?}"
    );
    let (error_type, body) = api.init_error().expect("an init error was reported");
    assert_eq!(error_type, "Runtime.ConfigError");
    assert!(body["errorMessage"].as_str().unwrap().contains("DB_PORT"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_lambda_it_says_what_is_missing() {
    let output = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("AWS_LAMBDA_RUNTIME_API is not set"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_trace_level_no_log_line_holds_a_key_value_a_password_or_a_body() {
    let db = TestDb::create().await;
    let url = db.create_user(PASSWORD).await;
    for level in [
        ("RUST_LOG", "trace"),
        ("AWS_LAMBDA_LOG_LEVEL", "TRACE"),
        // Even asked for by name, the runtime's raw event line stays out.
        (
            "RUST_LOG",
            "trace,lambda_runtime::layers::api_response=trace",
        ),
    ] {
        let api = RuntimeApi::start().await;
        let function = Function::spawn(
            &api,
            &[
                ("DATABASE_URL", url.as_str()),
                ("DICE_MIGRATE", "true"),
                level,
            ],
        );
        let body = format!(r#"{{"outcome":6,"rolled_by":"{BODY_MARKER}"}}"#);
        assert_eq!(call(&api, &post("/rolls", &body)).await.0, 201);
        assert_eq!(call(&api, &post("/rolls", "not json")).await.0, 400);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let logs = function.output();
        assert!(
            logs.iter().any(|l| l.contains("TRACE")),
            "{level:?} logs at TRACE: {logs:?}"
        );
        for line in &logs {
            for secret in [PASSWORD, KEY_VALUE, BODY_MARKER] {
                assert!(
                    !line.contains(secret),
                    "{level:?}: {secret:?} logged: {line}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_api_gateway_never_sends_fail_as_invalid_events() {
    let api = RuntimeApi::start().await;
    let _function = Function::spawn(&api, &[("DICE_STORE", "memory")]);
    let mut empty_method = post("/rolls", r#"{"outcome":1}"#);
    empty_method["httpMethod"] = json!("");
    let mut no_method = post("/rolls", r#"{"outcome":1}"#);
    no_method.as_object_mut().unwrap().remove("httpMethod");
    let mut wrong_type = post("/rolls", r#"{"outcome":1}"#);
    wrong_type["headers"] = json!(42);
    for event in [
        empty_method,
        no_method,
        wrong_type,
        json!([1, 2]),
        json!("text"),
    ] {
        let Outcome::Error(error) = api.invoke(&event).await else {
            panic!("{event} was answered as if it were a request");
        };
        assert_eq!(error["errorType"], "InvalidEvent", "{error}");
        assert!(
            error["errorMessage"]
                .as_str()
                .unwrap()
                .starts_with("not an API Gateway REST proxy event"),
            "{error}"
        );
    }
    // The instance keeps serving.
    assert_eq!(call(&api, &post("/rolls", r#"{"outcome":1}"#)).await.0, 201);
}

/// The text between `open` and `close` in `html`.
fn between<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let start = html.find(open).unwrap() + open.len();
    let end = start + html[start..].find(close).unwrap();
    &html[start..end]
}

/// A CSP hash source for `text`, computed here, apart from the crate's own.
fn csp_hash(text: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_served_without_a_key_and_locked_down() {
    let api = RuntimeApi::start().await;
    let _function = Function::spawn(&api, &[("DICE_STORE", "memory")]);
    let mut event = rest_event("GET", "/", &[], &[], None);
    event["requestContext"]["identity"]["apiKeyId"] = Value::Null;
    event["requestContext"]["identity"]["apiKey"] = Value::Null;
    let Outcome::Response(response) = api.invoke(&event).await else {
        panic!("the function failed")
    };
    assert_eq!(response["statusCode"], 200);
    let headers = &response["headers"];
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let html = response["body"].as_str().unwrap();
    assert!(html.starts_with("<!doctype html>") && html.contains("<title>dice</title>"));
    assert!(html.len() < 48 * 1024, "{} bytes", html.len());
    let csp = headers["content-security-policy"].as_str().unwrap();
    let script = between(html, "<script>", "</script>");
    let style = between(html, "<style>", "</style>");
    assert!(
        csp.contains(&format!("script-src {}", csp_hash(script))),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("style-src {}", csp_hash(style))),
        "{csp}"
    );
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"));
    assert!(!csp.contains("unsafe"), "{csp}");

    // Without a key, only the page: the API itself still refuses.
    let mut stats = rest_event("GET", "/stats", &[], &[], None);
    stats["requestContext"]["identity"]["apiKeyId"] = Value::Null;
    assert_eq!(call(&api, &stats).await.0, 403);
}
