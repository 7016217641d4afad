//! `dice-local` against clients that misbehave and settings that make no
//! sense: stalled and malformed bodies, idle connections, forged log fields,
//! a shutdown beside a half-sent request, and nonsense flags.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use support::local::{KEY, Local, keys_file};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Command;

/// Sends `raw` on a new connection and reads until the server closes it or
/// `within` passes; returns what came back.
async fn exchange(address: &str, raw: &[u8], within: Duration) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(raw).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(within, stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

fn status_of(answer: &str) -> &str {
    answer.split(' ').nth(1).unwrap_or("none")
}

/// A POST head with `x-api-key` and the given extra header lines.
fn post_head(extra: &str) -> String {
    format!("POST /prod/rolls HTTP/1.1\r\nHost: local\r\nx-api-key: {KEY}\r\n{extra}\r\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_stalled_bodies_close_in_time_while_others_are_served() {
    // At the usual default descriptor limit of 1024.
    let local = Local::start_under(
        &["prlimit", "--nofile=1024:1024"],
        &["--read-timeout", "3"],
        &[("DICE_API_KEY", KEY)],
    )
    .await;
    let address = local.address();
    let started = Instant::now();
    let mut stalled = Vec::new();
    for _ in 0..1000 {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        let head = post_head("Content-Length: 100\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        stalled.push(stream);
    }
    for n in 0..20 {
        let (status, body) = local
            .post("/rolls", KEY, &format!(r#"{{"outcome":{n}}}"#))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let answers =
        futures_util::future::join_all(stalled.into_iter().map(|mut stream| async move {
            let mut answer = Vec::new();
            tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
                .await
                .expect("the stalled connection is closed")
                .unwrap();
            String::from_utf8_lossy(&answer).into_owned()
        }))
        .await;
    for answer in &answers {
        assert_eq!(status_of(answer), "408", "{answer}");
        assert!(
            answer.contains(r#"{"message":"Request Timeout"}"#),
            "{answer}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let logs = local.logs();
    assert!(
        logs.iter().all(|l| !l.contains("Too many open files")),
        "{:?}",
        &logs[..logs.len().min(5)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_chunked_bodies_are_bad_requests() {
    let local = Local::start(&[], &[("DICE_API_KEY", KEY)]).await;
    let chunked = post_head("Transfer-Encoding: chunked\r\n");
    for body in [
        "zz\r\n{\"outcome\":1}\r\n0\r\n\r\n", // a size that is not hex
        "2\r\n{\"outcome\":1}\r\n0\r\n\r\n",  // fewer bytes announced than sent
        "d\r\n{\"outcome\":1}XX0\r\n\r\n",    // no CRLF after the data
    ] {
        let answer = exchange(
            &local.address(),
            format!("{chunked}{body}").as_bytes(),
            Duration::from_secs(5),
        )
        .await;
        assert_eq!(status_of(&answer), "400", "{body:?}: {answer}");
        assert!(answer.contains(r#"{"message":"Bad Request"}"#), "{answer}");
    }
    let (_, _, stats) = local
        .send(hyper::Method::GET, "/stats", Some(KEY), "")
        .await;
    assert!(
        stats.contains(r#""count":0"#),
        "nothing was written: {stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed_after_the_read_timeout() {
    let local = Local::start(&["--read-timeout", "1"], &[("DICE_API_KEY", KEY)]).await;
    let mut stream = TcpStream::connect(local.address()).await.unwrap();
    let request = format!("GET /prod/stats HTTP/1.1\r\nHost: local\r\nx-api-key: {KEY}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let started = Instant::now();
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest))
        .await
        .expect("closed by the server")
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_cannot_forge_log_fields() {
    let local = Local::start(&[], &[("DICE_API_KEY", KEY)]).await;
    let raw =
        format!("GET /prod/x\"key_id=\"admin HTTP/1.1\r\nHost: local\r\nx-api-key: {KEY}\r\n\r\n");
    let answer = exchange(&local.address(), raw.as_bytes(), Duration::from_millis(500)).await;
    assert_eq!(status_of(&answer), "403", "{answer}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let logs = local.logs();
    let line = logs.iter().find(|l| l.contains("/prod/x")).expect("logged");
    assert!(line.contains(r#"path="/prod/x\"key_id=\"admin""#), "{line}");
    assert!(
        line.contains(r#"route="none""#) && line.contains(r#"key_id="-""#),
        "{line}"
    );
    assert!(
        !line.contains('\x1b'),
        "no colours in a redirected log: {line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_does_not_wait_for_a_half_sent_request_line() {
    let mut local = Local::start(&[], &[("DICE_API_KEY", KEY)]).await;
    let mut half = TcpStream::connect(local.address()).await.unwrap();
    half.write_all(b"POST /prod/ro").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    local.terminate().await;
    let status = tokio::time::timeout(Duration::from_secs(10), local.child.wait())
        .await
        .expect("exits well before the 30 s header timeout")
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// Runs `dice-local` with `args` to completion.
async fn run(args: &[&str]) -> std::process::Output {
    tokio::time::timeout(
        Duration::from_secs(30),
        Command::new(env!("CARGO_BIN_EXE_dice-local"))
            .args(args)
            .env("DICE_API_KEY", KEY)
            .env_remove("DATABASE_URL")
            .env_remove("DB_HOST")
            .output(),
    )
    .await
    .expect("ends")
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonsense_settings_are_refused_by_name_and_write_nothing() {
    let file = keys_file("nonsense");
    let keys = file.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "keys", "add", "--name", "a", "--rate", "NaN", "--burst", "1",
            ],
            "--rate",
        ),
        (
            &[
                "keys", "add", "--name", "a", "--rate", "inf", "--burst", "1",
            ],
            "--rate",
        ),
        (
            &[
                "keys", "add", "--name", "a", "--rate", "1e309", "--burst", "1",
            ],
            "--rate",
        ),
        (
            &["keys", "add", "--name", "a", "--rate", "-1", "--burst", "1"],
            "--rate",
        ),
        (
            &["keys", "add", "--name", "a", "--rate", "0", "--burst", "1"],
            "--rate",
        ),
        (
            &["keys", "add", "--name", "a", "--rate", "1", "--burst", "0"],
            "--burst",
        ),
        (&["keys", "add", "--name", "a", "--quota", "0"], "--quota"),
        (&["--rate", "NaN", "--burst", "1"], "--rate"),
        (&["--timeout", "0"], "--timeout"),
        (&["--queue-timeout", "0"], "--queue-timeout"),
        (&["--read-timeout", "0"], "--read-timeout"),
        (&["--max-in-flight", "0"], "--max-in-flight"),
    ];
    for (args, flag) in cases {
        let mut all = vec!["--keys-file", keys, "--port", "0"];
        all.extend_from_slice(args);
        let output = run(&all).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} was accepted");
        assert!(
            stderr.lines().next().unwrap_or("").contains(flag),
            "{args:?}: {stderr}"
        );
        assert!(!file.exists(), "{args:?} wrote the keys file");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_file_with_a_nonsense_plan_is_refused_with_its_name() {
    let file = keys_file("null-rate");
    let hash = "0".repeat(64);
    std::fs::write(
        &file,
        format!(
            r#"{{"keys":[{{"id":"k","name":"n","hash":"{hash}","enabled":true,"plan":{{"throttle":{{"rate":null,"burst":1}}}}}}]}}"#
        ),
    )
    .unwrap();
    let output = run(&["--keys-file", file.to_str().unwrap(), "--port", "0"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(file.to_str().unwrap()), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_file_in_a_missing_directory_is_refused_before_serving() {
    let output = run(&["--keys-file", "/nonexistent-dir/keys.json", "--port", "0"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("--keys-file") && stderr.contains("/nonexistent-dir"),
        "{stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "printed no key: {:?}",
        output.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_says_at_start_where_its_keys_come_from() {
    let file = keys_file("where-from");
    let path = file.to_str().unwrap();
    let generated = Local::start(&["--keys-file", path], &[]).await;
    assert!(generated.generated_key.is_some());
    assert!(
        generated.printed[0]
            == format!("keys: none in {path} and no DICE_API_KEY; one made for this run"),
        "{:?}",
        generated.printed
    );
    let with_env = Local::start(&["--keys-file", path], &[("DICE_API_KEY", KEY)]).await;
    assert!(with_env.generated_key.is_none());
    assert_eq!(
        with_env.printed[0],
        format!("keys: DICE_API_KEY (id local) and 0 from {path}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_prints_no_key() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let file = keys_file("taken-port");
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        Command::new(env!("CARGO_BIN_EXE_dice-local"))
            .args(["--port", &port, "--keys-file", file.to_str().unwrap()])
            .env_remove("DICE_API_KEY")
            .output(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("shown only now"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_file_gone_bad_is_read_once_per_change_and_its_keys_kept() {
    let file = keys_file("gone-bad");
    let path = file.to_str().unwrap();
    let added = support::local::keys(&file, &["add", "--name", "alice"]).await;
    let value = added.lines().nth(1).unwrap().to_owned();
    let local = Local::start(&["--keys-file", path], &[]).await;
    assert_eq!(
        local.post("/rolls", &value, r#"{"outcome":1}"#).await.0,
        201
    );
    std::fs::write(&file, "{ half written").unwrap();
    for _ in 0..5 {
        assert_eq!(
            local.post("/rolls", &value, r#"{"outcome":1}"#).await.0,
            201,
            "the keys last read good still work"
        );
    }
    let warnings = local
        .logs()
        .iter()
        .filter(|l| l.contains("keeping the keys last read"))
        .count();
    assert_eq!(warnings, 1, "{:?}", local.logs());
}
