//! Load through `dice-local` with `wrk`, on MySQL and in memory, beside the same
//! load on the raw handler in-process against the same database, in one run.
//!
//! ```sh
//! cargo bench -p dice-benches --bench local     # needs wrk (Debian package wrk)
//! ```
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use dice_benches::{ms, percentile, pooled_timings};
use dice_lambda::{Handler, Options};
use dice_store_mysql::MysqlStore;
use dice_store_mysql::testkit::TestDb;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const KEY: &str = "bench-key-0123456789";
const CONNECTIONS: usize = 64;
const SECONDS: u64 = 5;
const POOL: &str = "16";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let local = dice_benches::build_release("dice-local");
    let script = std::env::temp_dir().join(format!("dice-wrk-{}.lua", std::process::id()));
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = '{{\"outcome\":6}}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"x-api-key\"] = \"{KEY}\"\n"
        ),
    )
    .unwrap();
    println!("POST /prod/rolls, {CONNECTIONS} connections, {SECONDS} s each, one run\n");

    let db = TestDb::create().await;
    let (child, url) = start(
        &local,
        &[("DATABASE_URL", db.url().as_str()), ("DB_POOL_MAX", POOL)],
    )
    .await;
    let on_mysql = wrk(&script, &url).await;
    drop(child);
    let rows = db.count_rolls().await;
    report("dice-local, MySQL (pool 16)", &on_mysql);
    println!(
        "  rows in the table: {rows} (201 answers: {})\n",
        on_mysql.requests - on_mysql.non_2xx
    );

    let (child, url) = start(&local, &[]).await;
    report("dice-local, in memory", &wrk(&script, &url).await);
    drop(child);
    println!();

    let raw_db = TestDb::create().await;
    let store = MysqlStore::connect(&raw_db.config().max_connections(16))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    raw_handler(store).await;
    let _ = std::fs::remove_file(script);
}

async fn start(binary: &PathBuf, env: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(binary)
        .args(["--port", "0", "--max-in-flight", "64"])
        .env_remove("DATABASE_URL")
        .env_remove("DB_HOST")
        .env("DICE_API_KEY", KEY)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(url) = line.strip_prefix("dice-local listening on ") {
            return (child, url.split(' ').next().unwrap().to_owned());
        }
    }
    panic!("dice-local did not start");
}

struct Load {
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    non_2xx: u64,
}

async fn wrk(script: &PathBuf, url: &str) -> Load {
    let output = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{CONNECTIONS}"),
            &format!("-d{SECONDS}s"),
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(format!("{url}/rolls"))
        .output()
        .await
        .expect("wrk runs (Debian package wrk)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let field = |prefix: &str| -> Option<String> {
        text.lines().find_map(|l| {
            l.trim()
                .strip_prefix(prefix)
                .map(|rest| rest.trim().to_owned())
        })
    };
    let millis = |value: String| -> f64 {
        let (number, unit) = value.split_at(value.find(|c: char| c.is_alphabetic()).unwrap());
        let number: f64 = number.parse().unwrap();
        match unit {
            "us" => number / 1000.0,
            "ms" => number,
            "s" => number * 1000.0,
            other => panic!("unit {other}"),
        }
    };
    Load {
        rate: field("Requests/sec:").unwrap().parse().unwrap(),
        p50_ms: millis(field("50%").unwrap()),
        p99_ms: millis(field("99%").unwrap()),
        requests: text
            .lines()
            .find_map(|l| {
                l.trim()
                    .split_once(" requests in ")
                    .map(|(n, _)| n.parse().unwrap())
            })
            .unwrap(),
        non_2xx: field("Non-2xx or 3xx responses:").map_or(0, |n| n.parse().unwrap()),
    }
}

fn report(label: &str, load: &Load) {
    println!(
        "{label:<32} {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ({} requests, {} not 2xx)",
        load.rate, load.p50_ms, load.p99_ms, load.requests, load.non_2xx
    );
}

/// The same load on the handler itself: 64 tasks calling it in-process, no HTTP.
async fn raw_handler(store: MysqlStore) {
    let event: ApiGatewayProxyRequest =
        serde_json::from_value(dice_lambda::testkit::post("/rolls", r#"{"outcome":6}"#)).unwrap();
    let event = Arc::new(event);
    let handler = Arc::new(Handler::new(Options {
        log_requests: false,
        ..Options::default()
    }));
    let store = Arc::new(store);
    let until = Instant::now() + Duration::from_secs(SECONDS);
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (event, handler, store) =
                (Arc::clone(&event), Arc::clone(&handler), Arc::clone(&store));
            tokio::spawn(async move {
                let mut times = Vec::new();
                while Instant::now() < until {
                    let t = Instant::now();
                    let response = handler.handle(&event, store.as_ref()).await;
                    assert_eq!(response.status_code, 201);
                    times.push(t.elapsed());
                }
                times
            })
        })
        .collect();
    let mut times = pooled_timings(tasks).await;
    let rate = times.len() as f64 / started.elapsed().as_secs_f64();
    let mut at = |p: usize| ms(percentile(&mut times, p));
    report(
        "raw handler in-process, MySQL",
        &Load {
            rate,
            p50_ms: at(50),
            p99_ms: at(99),
            requests: times.len() as u64,
            non_2xx: 0,
        },
    );
}
