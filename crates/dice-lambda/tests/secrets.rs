//! Reading database credentials through a local stand-in of the AWS Parameters
//! and Secrets Lambda Extension's endpoint, alone and from the compiled
//! `bootstrap` against MariaDB.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use dice_lambda::secrets::{SecretError, fetch};
use dice_lambda::testkit::{Outcome, RuntimeApi, post};
use dice_store_mysql::testkit::TestDb;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const TOKEN: &str = "session-token-from-lambda";
const ARN: &str = "arn:aws:secretsmanager:us-west-2:123456789012:secret:dice/app-AbCdEf";

/// What the stand-in saw: the secret id and token of each request.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// Serves `/secretsmanager/get` like the extension: 400 without the token,
/// `secret` as `SecretString` for `ARN`, 400 for any other id.
async fn extension(secret: String) -> (SocketAddr, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (secret, log) = (secret.clone(), Arc::clone(&log));
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let (secret, log) = (secret.clone(), Arc::clone(&log));
                async move {
                    let id: String =
                        form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
                            .find(|(k, _)| k == "secretId")
                            .map(|(_, v)| v.into_owned())
                            .unwrap_or_default();
                    let token = request
                        .headers()
                        .get("x-aws-parameters-secrets-token")
                        .map(|v| v.to_str().unwrap().to_owned())
                        .unwrap_or_default();
                    log.lock().unwrap().push((id.clone(), token.clone()));
                    let (status, body) = if request.uri().path() != "/secretsmanager/get" {
                        (404, "not found".to_owned())
                    } else if token != TOKEN {
                        (400, "missing or invalid token".to_owned())
                    } else if id != ARN {
                        (
                            400,
                            "Secrets Manager can't find the specified secret.".to_owned(),
                        )
                    } else {
                        (200, serde_json::json!({ "ARN": ARN, "Name": "dice/app", "SecretString": secret }).to_string())
                    };
                    let mut response = Response::new(Full::new(Bytes::from(body)));
                    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                    Ok::<_, Infallible>(response)
                }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    (addr, seen)
}

#[tokio::test]
async fn reads_username_and_password_with_the_session_token() {
    let (addr, seen) =
        extension(r#"{"username":"dice_app","password":"p@ss:w/rd"}"#.to_owned()).await;
    let credentials = fetch(ARN, addr.port(), TOKEN).await.unwrap();
    assert_eq!(
        (credentials.username.as_str(), credentials.password.as_str()),
        ("dice_app", "p@ss:w/rd")
    );
    assert_eq!(
        credentials.variable("DB_PASS").as_deref(),
        Some("p@ss:w/rd")
    );
    assert_eq!(credentials.variable("DB_HOST"), None);
    assert!(
        !format!("{credentials:?}").contains("p@ss"),
        "Debug hides the password"
    );
    assert_eq!(
        seen.lock().unwrap()[0],
        (ARN.to_owned(), TOKEN.to_owned()),
        "the ARN arrives intact"
    );
}

#[tokio::test]
async fn refusals_and_malformed_secrets_are_errors_without_the_secret() {
    let (addr, _) = extension(r#"{"user":"x","password":"hunter2"}"#.to_owned()).await;
    assert!(matches!(
        fetch(ARN, addr.port(), TOKEN).await,
        Err(SecretError::Malformed)
    ));
    let refused = fetch("arn:other", addr.port(), TOKEN).await.unwrap_err();
    assert!(
        matches!(refused, SecretError::Refused { status: 400, .. }),
        "{refused}"
    );
    assert!(matches!(
        fetch(ARN, addr.port(), "wrong").await,
        Err(SecretError::Refused { .. })
    ));
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = fetch(ARN, closed, TOKEN).await.unwrap_err();
    assert!(
        matches!(unreachable, SecretError::Unreachable { .. }),
        "{unreachable}"
    );
    assert!(!unreachable.to_string().contains("hunter2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_connects_with_credentials_from_the_secret() {
    let db = TestDb::create().await;
    let password = "from-secrets-manager-7Hq";
    let url = db.create_user(password).await;
    let opts = mysql_async::Opts::from_url(&url).unwrap();
    let user = opts.user().unwrap().to_owned();
    let port = opts.tcp_port().to_string();
    let secret = serde_json::json!({"username": user, "password": password}).to_string();
    let (addr, _) = extension(secret).await;

    let api = RuntimeApi::start().await;
    let mut child = api
        .function_command(std::path::Path::new(env!("CARGO_BIN_EXE_bootstrap")))
        .env("AWS_SESSION_TOKEN", TOKEN)
        .env("DB_SECRET_ARN", ARN)
        .env(
            "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT",
            addr.port().to_string(),
        )
        .env("DB_HOST", "127.0.0.1")
        .env("DB_PORT", &port)
        .env("DB_NAME", &db.name)
        .env("DICE_MIGRATE", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let outcome = api.invoke(&post("/rolls", r#"{"outcome":3}"#)).await;
    let Outcome::Response(response) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(response["statusCode"], 201, "{response}");
    assert_eq!(db.count_rolls().await, 1);
    child.kill().await.unwrap();
}
