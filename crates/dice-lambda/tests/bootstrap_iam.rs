//! The compiled `bootstrap` in IAM mode (`DB_AUTH=iam`), through the Runtime
//! API emulator, against a private MariaDB that takes tokens as RDS does
//! (`dice_store_mysql::testkit::rds`): it signs a token from the role's
//! variables, logs in over verified TLS and records a roll; a token the server
//! refuses fails the request once, logged in one line; and IAM without TLS
//! fails the init. No log line, even at TRACE, holds a key or a token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use dice_lambda::testkit::{Outcome, RuntimeApi, post, rest_event};
use dice_store_mysql::testkit::rds::{self, TokenCheck};
use dice_store_mysql::testkit::server::{Certs, PrivateServer, Scratch, make_certs};
use dice_store_mysql::{AwsCredentials, IamAuth, MysqlConfig, MysqlStore, Preset, Tls};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

const USER: &str = "dice_app";
const REGION: &str = "eu-west-1";
const ACCESS_KEY_ID: &str = "ASIAEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEJr/bootstrap+session=";

/// Aurora's stand-in: TLS, IAM tokens through PAM, the schema, the app user.
struct Rds {
    server: PrivateServer,
    check: TokenCheck,
    certs: Certs,
    _scratch: Scratch,
}

impl Rds {
    async fn start() -> Self {
        let scratch = Scratch::new("bootstrap-iam");
        let certs = make_certs(&scratch.0).await;
        let server =
            PrivateServer::start_with(&scratch.0, Some(&certs), &rds::SERVER_OPTIONS).await;
        let check = TokenCheck::install(&scratch.0);
        server
            .exec("CREATE DATABASE dice; CREATE USER 'admin'@'%'; GRANT ALL ON *.* TO 'admin'@'%';")
            .await;
        let admin = MysqlConfig::new("127.0.0.1", "admin", "dice", Preset::Server)
            .port(server.port)
            .tls(Tls::Required);
        let store = MysqlStore::connect(&admin).await.unwrap();
        store.migrate().await.unwrap();
        store.close().await.unwrap();
        let identified = format!("IDENTIFIED VIA pam USING '{}'", check.service());
        let statements = rds::app_user_statements(
            include_str!("../../../deploy/app-user.sql"),
            USER,
            "dice",
            &identified,
        );
        server.exec(&statements.join(";")).await;
        Self {
            server,
            check,
            certs,
            _scratch: scratch,
        }
    }

    /// Accepts the role's tokens signed from a second ago to two minutes on:
    /// `bootstrap` signs with the system clock, at a moment the test cannot know.
    fn accept_the_next_two_minutes(&self) {
        let credentials =
            AwsCredentials::new(ACCESS_KEY_ID, SECRET, Some(SESSION_TOKEN.to_owned())).unwrap();
        let iam = IamAuth::new(REGION, credentials).unwrap();
        let now = SystemTime::now();
        self.check.accept_signed_between(
            &iam,
            ("127.0.0.1", self.server.port, USER),
            now - Duration::from_secs(1),
            now + Duration::from_secs(120),
        );
    }

    /// The function's variables as the template sets them, with `changes`.
    fn env(&self, changes: &[(&'static str, &'static str)]) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("DB_HOST", "127.0.0.1".to_owned()),
            ("DB_PORT", self.server.port.to_string()),
            ("DB_USER", USER.to_owned()),
            ("DB_NAME", "dice".to_owned()),
            ("DB_AUTH", "iam".to_owned()),
            ("DB_TLS", "verify".to_owned()),
            ("DB_TLS_CA", self.certs.ca.display().to_string()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned()),
            ("AWS_SESSION_TOKEN", SESSION_TOKEN.to_owned()),
            ("RUST_LOG", "trace".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for (name, value) in changes {
            env.retain(|(k, _)| k != name);
            env.push(((*name).to_owned(), (*value).to_owned()));
        }
        env
    }
}

/// A running `bootstrap` and every line it printed.
struct Function {
    child: Child,
    output: Arc<Mutex<Vec<String>>>,
}

impl Function {
    fn spawn(api: &RuntimeApi, env: &[(String, String)]) -> Self {
        let mut command = api.function_command(Path::new(env!("CARGO_BIN_EXE_bootstrap")));
        command
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("bootstrap starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        let streams: [Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>; 2] = [
            child.stdout.take().map(|s| Box::new(s) as _),
            child.stderr.take().map(|s| Box::new(s) as _),
        ];
        for stream in streams.into_iter().flatten() {
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

    /// What it printed, once it has had a moment to flush.
    async fn output(&self) -> Vec<String> {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.output.lock().unwrap().clone()
    }
}

fn answer(outcome: Outcome) -> (i64, Value) {
    let Outcome::Response(response) = outcome else {
        panic!("the function failed: {outcome:?}")
    };
    let body = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    (response["statusCode"].as_i64().unwrap(), body)
}

/// The session token as it appears in a query string.
const SESSION_TOKEN_ENCODED: &str = "IQoJb3JpZ2luX2VjEJr%2Fbootstrap%2Bsession%3D";

/// No line holds the secret key, the session token (as is or encoded, as a
/// signer's canonical request at TRACE would show it) or a token presented.
fn assert_no_secret_in(logs: &[String], presented: &[String]) {
    assert!(!logs.is_empty());
    let secrets = [
        SECRET,
        SESSION_TOKEN,
        SESSION_TOKEN_ENCODED,
        "X-Amz-Security-Token",
    ];
    for line in logs {
        for secret in secrets
            .iter()
            .copied()
            .chain(presented.iter().map(String::as_str))
        {
            assert!(!line.contains(secret), "{secret:?} logged: {line}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_in_iam_mode_signs_a_token_and_records_a_roll() {
    let rds = Rds::start().await;
    rds.accept_the_next_two_minutes();
    let api = RuntimeApi::start().await;
    let function = Function::spawn(&api, &rds.env(&[]));

    let (status, roll) = answer(api.invoke(&post("/rolls", r#"{"outcome":5}"#)).await);
    assert_eq!(status, 201, "{roll}");
    let path = format!("/rolls/{}", roll["id"]);
    let (status, got) = answer(api.invoke(&rest_event("GET", &path, &[], &[], None)).await);
    assert_eq!((status, &got), (200, &roll));

    let presented: Vec<String> = rds.check.presented().into_iter().map(|t| t.0).collect();
    assert!(!presented.is_empty(), "it logged in with a token");
    for token in &presented {
        assert!(
            token.starts_with(&format!(
                "127.0.0.1:{}/?Action=connect&DBUser={USER}&",
                rds.server.port
            )),
            "{token}"
        );
    }
    let logs = function.output().await;
    assert!(logs.iter().any(|l| l.contains("TRACE")), "{logs:?}");
    assert_no_secret_in(&logs, &presented);
    drop(function.child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_fails_the_request_once_and_says_why_in_one_line() {
    let rds = Rds::start().await;
    rds.accept_the_next_two_minutes();
    let api = RuntimeApi::start().await;
    let function = Function::spawn(
        &api,
        &rds.env(&[("AWS_SECRET_ACCESS_KEY", "not-the-role-secret-key")]),
    );
    let (status, body) = answer(api.invoke(&post("/rolls", r#"{"outcome":5}"#)).await);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (500, Some("internal")),
        "{body}"
    );
    let presented: Vec<String> = rds.check.presented().into_iter().map(|t| t.0).collect();
    assert_eq!(
        presented.len(),
        1,
        "one login, not retried until the deadline"
    );

    let logs = function.output().await;
    let refusals: Vec<&String> = logs
        .iter()
        .filter(|l| l.contains("refused the IAM auth token"))
        .collect();
    assert_eq!(refusals.len(), 1, "{logs:?}");
    assert!(refusals[0].contains("rds-db:connect"), "{}", refusals[0]);
    assert_no_secret_in(&logs, &presented);
    assert!(!logs.iter().any(|l| l.contains("not-the-role-secret-key")));
    drop(function.child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_without_tls_fails_the_init_naming_db_tls_and_db_auth() {
    let rds = Rds::start().await;
    let api = RuntimeApi::start().await;
    let mut env = rds.env(&[("DB_TLS", "off")]);
    env.retain(|(k, _)| k != "DB_TLS_CA");
    let mut function = Function::spawn(&api, &env);
    let status = tokio::time::timeout(Duration::from_secs(20), function.child.wait())
        .await
        .expect("exits")
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let output = function.output().await;
    let errors: Vec<&String> = output
        .iter()
        .filter(|l| l.starts_with("bootstrap:"))
        .collect();
    assert_eq!(errors.len(), 1, "{output:?}");
    assert!(
        errors[0].contains("DB_TLS") && errors[0].contains("DB_AUTH=iam"),
        "{}",
        errors[0]
    );
    let (error_type, body) = api.init_error().expect("an init error was reported");
    assert_eq!(error_type, "Runtime.ConfigError");
    assert!(
        body["errorMessage"].as_str().unwrap().contains("DB_TLS"),
        "{body}"
    );
    assert!(rds.check.presented().is_empty(), "no token was sent");
}
