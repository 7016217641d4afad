//! Load through `dice-local` with `wrk`, on MySQL and in memory, beside the same
//! load on the raw handler in-process against the same database, in one run;
//! and two baselines on the same database in the same run: the tutorial's
//! handler (`benches/node-baseline/handler.js`, a new connection per request)
//! behind a minimal Node gateway (`gateway.js`) at 16 connections, and
//! `mysqlslap -c 64` single-row inserts at 64. Last, what the machine allows
//! at 64 connections: the CPU time per request of `wrk` and the gateway in
//! memory, and MariaDB's per row in 64-row statements, read from `/proc`.
//!
//! ```sh
//! cargo bench -p dice-benches --bench local     # needs wrk, mysqlslap and Node.js
//! DICE_BENCH_SECONDS=2 cargo bench -p dice-benches --bench local   # a quicker trial
//! ```
//!
//! Reads `DICE_TEST_DATABASE_URL` (default `mysql://root@127.0.0.1:3306`), as
//! the tests do; `mysqlslap` logs in with its user, password, host and port, the
//! Node handler with its user, password and host (the tutorial's handler has no
//! port setting). `DICE_BENCH_SECONDS` sets each load's length (default 5).
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use dice_benches::cpu::{CpuReading, CpuUse, database_server};
use dice_benches::{ms, percentile, pooled_timings};
use dice_lambda::{Handler, Options};
use dice_store_mysql::MysqlStore;
use dice_store_mysql::testkit::TestDb;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const KEY: &str = "bench-key-0123456789";
const CONNECTIONS: usize = 64;
const NODE_CONNECTIONS: usize = 16;
/// The store's pool, so its coalescing lanes: few, for full statements on
/// this 2-core database (see the README's coalescing section).
const POOL: usize = 2;
/// Rows in each statement of the database's own floor (see [`server_per_row`]),
/// and a smaller size for comparison, about what the store sends at 64
/// connections on a 2-core machine.
const FLOOR_ROWS: usize = 64;
const SMALL_ROWS: usize = 16;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let local = dice_benches::build_release("dice-local");
    let node = dice_benches::node_baseline();
    let script = std::env::temp_dir().join(format!("dice-wrk-{}.lua", std::process::id()));
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = '{{\"outcome\":6}}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"x-api-key\"] = \"{KEY}\"\n"
        ),
    )
    .unwrap();
    println!("POST /prod/rolls, {} s each, one run\n", seconds());

    let db = TestDb::create().await;
    let pool = POOL.to_string();
    let (child, url) = start(
        local_command(&local).envs([("DATABASE_URL", db.url().as_str()), ("DB_POOL_MAX", &pool)]),
        "dice-local listening on ",
    )
    .await;
    let server = database_server();
    let pids = [child.id().unwrap_or(0), server.unwrap_or(0)];
    let before = CpuReading::now(&pids);
    let on_mysql = wrk(&script, &url, CONNECTIONS).await;
    let on_mysql_cpu = used_since(before.as_ref(), &pids);
    let on_mysql_16 = wrk(&script, &url, NODE_CONNECTIONS).await;
    drop(child);
    let rows = db.count_rolls().await;
    report("dice-local, MySQL (pool 2), 64 conns", &on_mysql);
    report("dice-local, MySQL (pool 2), 16 conns", &on_mysql_16);
    println!(
        "  rows in the table: {rows} (201 answers: {})",
        on_mysql.ok() + on_mysql_16.ok()
    );
    breakdown(on_mysql_cpu.as_ref(), on_mysql.requests);
    let slap = slap_rate(&db, on_mysql.requests).await;
    server_per_row(&db, server, SMALL_ROWS).await;
    let floor = server_per_row(&db, server, FLOOR_ROWS).await;
    let (child, url) = start(
        &mut node_command(&node, &db.url()),
        "node gateway listening on ",
    )
    .await;
    let on_node = wrk(&script, &url, NODE_CONNECTIONS).await;
    drop(child);
    report("tutorial's handler, Node gateway", &on_node);
    println!();

    let (child, url) = start(&mut local_command(&local), "dice-local listening on ").await;
    let pids = [child.id().unwrap_or(0), server.unwrap_or(0)];
    let before = CpuReading::now(&pids);
    let in_memory = wrk(&script, &url, CONNECTIONS).await;
    let in_memory_cpu = used_since(before.as_ref(), &pids);
    drop(child);
    report("dice-local, in memory, 64 conns", &in_memory);
    breakdown(in_memory_cpu.as_ref(), in_memory.requests);
    println!();

    let raw_db = TestDb::create().await;
    let store = MysqlStore::connect(&raw_db.config().max_connections(POOL))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    raw_handler(store).await;
    let _ = std::fs::remove_file(script);

    println!();
    summary(&on_mysql_16, &on_node, &on_mysql, slap);
    ceiling(in_memory_cpu.as_ref(), in_memory.requests, floor, slap);
}

/// Each load's length: `DICE_BENCH_SECONDS`, 5 by default.
fn seconds() -> u64 {
    std::env::var("DICE_BENCH_SECONDS").map_or(5, |s| s.parse().expect("DICE_BENCH_SECONDS"))
}

/// The comparisons, one line each, counting only successful answers.
fn summary(local_16: &Load, node_16: &Load, local_64: &Load, slap_64: f64) {
    println!(
        "16 connections: dice-local on MySQL {:.0} req/s (p50 {:.2} ms, p99 {:.2} ms) vs the \
         tutorial's handler behind a Node gateway {:.0} req/s (p50 {:.2} ms, p99 {:.2} ms): \
         {:.2}x (goal >= 5x)",
        local_16.ok_rate(),
        local_16.p50_ms,
        local_16.p99_ms,
        node_16.ok_rate(),
        node_16.p50_ms,
        node_16.p99_ms,
        local_16.ok_rate() / node_16.ok_rate()
    );
    println!(
        "64 connections: dice-local on MySQL {:.0} req/s (p50 {:.2} ms, p99 {:.2} ms) vs \
         mysqlslap -c 64 single-row inserts {slap_64:.0} inserts/s: {:.2}x (goal >= 2x)",
        local_64.ok_rate(),
        local_64.p50_ms,
        local_64.p99_ms,
        local_64.ok_rate() / slap_64
    );
}

/// `mysqlslap -c 64`, as many single-row inserts as `inserts`, into the
/// benchmark's table; returns rows added per second.
async fn slap_rate(db: &TestDb, inserts: u64) -> f64 {
    let query = format!(
        "INSERT INTO `{}`.rolls (outcome, rolled_by, created_by) VALUES (6, NULL, NULL)",
        db.name
    );
    let before = db.count_rolls().await;
    let took = dice_benches::mysqlslap(
        &db.url(),
        &db.name,
        CONNECTIONS,
        (inserts as usize).max(CONNECTIONS * 100),
        &query,
    )
    .await;
    let added = db.count_rolls().await - before;
    let rate = added as f64 / took.as_secs_f64();
    println!(
        "{:<38} {rate:>8.0} inserts/s ({added} inserts in {:.2} s)",
        "mysqlslap -c 64, same table",
        took.as_secs_f64()
    );
    rate
}

/// What the machine used since `before`, for the same `pids`.
fn used_since(before: Option<&CpuReading>, pids: &[u32]) -> Option<CpuUse> {
    Some(before?.until(&CpuReading::now(pids)?))
}

/// Microseconds of `time` for each of `count`.
fn micros_each(time: Duration, count: u64) -> f64 {
    time.as_secs_f64() * 1e6 / count.max(1) as f64
}

/// Where a load of `requests` on the gateway (first process) and the database
/// (second) spent the machine's time, per request.
fn breakdown(used: Option<&CpuUse>, requests: u64) {
    let Some(used) = used else {
        println!("  CPU per request: /proc cannot be read here");
        return;
    };
    let each = |time: Option<Duration>| {
        time.map_or("n/a".to_owned(), |t| {
            format!("{:.1} µs", micros_each(t, requests))
        })
    };
    let (gateway, server) = (used.processes[0], used.processes[1]);
    let rest = used
        .busy
        .saturating_sub(gateway.unwrap_or_default())
        .saturating_sub(server.unwrap_or_default());
    println!(
        "  CPU per request: dice-local {}, the database server {}, the rest (wrk, the kernel's \
         threads) {}, idle {}",
        each(gateway),
        each(server),
        each(Some(rest)),
        each(Some(used.idle))
    );
}

/// The database server's CPU time per row of `mysqlslap -c 2` inserting
/// `rows` rows a statement, the store's columns but no request token or
/// time, no counting: less than the same rows through the store cost it.
async fn server_per_row(db: &TestDb, server: Option<u32>, rows: usize) -> Option<f64> {
    let pids = [server?];
    let values = vec!["(6, NULL, NULL)"; rows].join(", ");
    let query = format!(
        "INSERT INTO `{}`.rolls (outcome, rolled_by, created_by) VALUES {values}",
        db.name
    );
    let before = db.count_rolls().await;
    let reading = CpuReading::now(&pids);
    let took = dice_benches::mysqlslap(&db.url(), &db.name, 2, 128_000 / rows, &query).await;
    let used = used_since(reading.as_ref(), &pids)?;
    let added = db.count_rolls().await - before;
    let per_row = micros_each(used.processes[0]?, added);
    println!(
        "{:<38} {:>8.0} rows/s, the server's CPU {per_row:.1} µs a row",
        format!("mysqlslap -c 2, {rows}-row statements"),
        added as f64 / took.as_secs_f64()
    );
    Some(per_row)
}

/// The most requests per second this machine allows `dice-local` on MySQL at
/// 64 connections, from the time `wrk` and the gateway take per request in
/// memory (`in_memory` over `requests`), and the server's own time per row
/// in full statements (`floor_us`): all cores busy with nothing else.
fn ceiling(in_memory: Option<&CpuUse>, requests: u64, floor_us: Option<f64>, slap_64: f64) {
    let (Some(in_memory), Some(floor_us)) = (in_memory, floor_us) else {
        println!("64 connections, this machine's ceiling: /proc cannot be read here");
        return;
    };
    let server = in_memory.processes[1].unwrap_or_default();
    let http_us = micros_each(in_memory.busy.saturating_sub(server), requests);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let most = cores as f64 * 1e6 / (http_us + floor_us);
    println!(
        "64 connections, this machine's ceiling: {cores} cores / (wrk and the gateway in memory \
         {http_us:.1} µs a request + the server alone {floor_us:.1} µs a row in \
         {FLOOR_ROWS}-row statements) = {most:.0} req/s, {:.2}x mysqlslap -c 64",
        most / slap_64
    );
}

fn local_command(binary: &Path) -> Command {
    let mut command = Command::new(binary);
    command
        .args(["--port", "0", "--max-in-flight", "64"])
        .env_remove("DATABASE_URL")
        .env_remove("DB_HOST")
        .env("DICE_API_KEY", KEY)
        .env("RUST_LOG", "warn");
    command
}

/// The tutorial's handler behind `gateway.js`, configured as `lambda.rs`
/// configures it, from the database URL.
fn node_command(dir: &Path, url: &str) -> Command {
    let opts = mysql_async::Opts::from_url(url).unwrap();
    let mut command = Command::new("node");
    command
        .arg(dir.join("gateway.js"))
        .current_dir(dir)
        .env("PORT", "0")
        .env("GATEWAY_API_KEY", KEY)
        .env("DB_HOST", opts.ip_or_hostname())
        .env("DB_USER", opts.user().unwrap_or("root"))
        .env("DB_PASS", opts.pass().unwrap_or(""))
        .env("DB_NAME", opts.db_name().unwrap_or("dice"));
    command
}

/// Starts `command` and waits for the line that starts with `ready`, followed
/// by the URL it serves.
async fn start(command: &mut Command, ready: &str) -> (Child, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(url) = line.strip_prefix(ready) {
            return (child, url.split(' ').next().unwrap().to_owned());
        }
    }
    panic!("no {ready:?} line");
}

struct Load {
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    non_2xx: u64,
}

impl Load {
    /// Answers in 2xx.
    fn ok(&self) -> u64 {
        self.requests - self.non_2xx
    }

    /// Answers in 2xx per second.
    fn ok_rate(&self) -> f64 {
        self.rate * self.ok() as f64 / self.requests.max(1) as f64
    }
}

async fn wrk(script: &PathBuf, url: &str, connections: usize) -> Load {
    let output = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{}s", seconds()),
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
        "{label:<38} {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ({} requests, {} not 2xx)",
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
    let until = Instant::now() + Duration::from_secs(seconds());
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
        "raw handler in-process, MySQL, 64 tasks",
        &Load {
            rate,
            p50_ms: at(50),
            p99_ms: at(99),
            requests: times.len() as u64,
            non_2xx: 0,
        },
    );
}
