//! `bootstrap` as Lambda runs it, through a Runtime API emulator on loopback,
//! against MariaDB: cold start, per-invocation latency one at a time and with
//! several instances, and memory over 10,000 invocations.
//!
//! ```sh
//! cargo bench -p dice-benches --bench lambda
//! ```
//!
//! Builds the release `bootstrap` first. Reads `DICE_TEST_DATABASE_URL` (default
//! `mysql://root@127.0.0.1:3306`) and uses a database of its own.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dice_lambda::testkit::{Outcome, RuntimeApi, post};
use dice_store_mysql::testkit::TestDb;
use tokio::process::Child;

const COLD_STARTS: usize = 11;
const SEQUENTIAL: usize = 2000;
const INSTANCES: usize = 8;
const PER_INSTANCE: usize = 500;
const RSS_INVOCATIONS: usize = 10_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let bootstrap = dice_benches::build_release("bootstrap");
    let db = TestDb::create().await;
    db.store().await;
    let url = db.url();
    println!("bootstrap through a Runtime API emulator, against MariaDB\n");

    cold_starts(&bootstrap, &url).await;
    sequential(&bootstrap, &url).await;
    concurrent(&bootstrap, &url).await;
    memory(&bootstrap, &url).await;
}

fn spawn(bootstrap: &Path, api: &RuntimeApi, url: &str) -> Child {
    api.function_command(bootstrap)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bootstrap starts")
}

fn create_event(n: usize) -> Vec<u8> {
    serde_json::to_vec(&post("/rolls", &format!(r#"{{"outcome":{}}}"#, n % 6 + 1))).unwrap()
}

async fn invoke_create(api: &RuntimeApi, n: usize) -> Duration {
    let started = Instant::now();
    match api
        .invoke_bytes(create_event(n), Duration::from_secs(30))
        .await
    {
        Outcome::Response(response) => assert_eq!(response["statusCode"], 201, "{response}"),
        Outcome::Error(error) => panic!("invocation failed: {error}"),
    }
    started.elapsed()
}

/// From exec to the first response: process start, configuration, store, the
/// first connection and the first roll recorded.
async fn cold_starts(bootstrap: &Path, url: &str) {
    let mut times = Vec::new();
    for n in 0..COLD_STARTS {
        let api = RuntimeApi::start().await;
        let started = Instant::now();
        let child = spawn(bootstrap, &api, url);
        invoke_create(&api, n).await;
        times.push(started.elapsed());
        drop(child);
    }
    println!("cold start, exec to first response ({COLD_STARTS} runs)");
    println!(
        "  median {:.1} ms, min {:.1} ms, max {:.1} ms",
        ms(percentile(&mut times, 50)),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
    println!("  goal: a tenth of the tutorial's Node handler (about 220 ms here): 22 ms\n");
}

async fn sequential(bootstrap: &Path, url: &str) {
    let api = RuntimeApi::start().await;
    let _child = spawn(bootstrap, &api, url);
    invoke_create(&api, 0).await;
    let mut times = Vec::with_capacity(SEQUENTIAL);
    let started = Instant::now();
    for n in 0..SEQUENTIAL {
        times.push(invoke_create(&api, n).await);
    }
    let rate = SEQUENTIAL as f64 / started.elapsed().as_secs_f64();
    println!("creates one at a time, one instance ({SEQUENTIAL})");
    println!(
        "  p50 {:.3} ms, p99 {:.3} ms, {rate:.0} creates/s\n",
        ms(percentile(&mut times, 50)),
        ms(percentile(&mut times, 99))
    );
}

async fn concurrent(bootstrap: &Path, url: &str) {
    let api = Arc::new(RuntimeApi::start().await);
    let children: Vec<Child> = (0..INSTANCES)
        .map(|_| spawn(bootstrap, &api, url))
        .collect();
    // Warm every instance.
    let warm: Vec<_> = (0..INSTANCES)
        .map(|n| {
            let api = Arc::clone(&api);
            tokio::spawn(async move { invoke_create(&api, n).await })
        })
        .collect();
    for task in warm {
        task.await.unwrap();
    }
    let started = Instant::now();
    let clients: Vec<_> = (0..INSTANCES)
        .map(|_| {
            let api = Arc::clone(&api);
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(PER_INSTANCE);
                for n in 0..PER_INSTANCE {
                    times.push(invoke_create(&api, n).await);
                }
                times
            })
        })
        .collect();
    let mut times = Vec::new();
    for client in clients {
        times.extend(client.await.unwrap());
    }
    let rate = times.len() as f64 / started.elapsed().as_secs_f64();
    println!(
        "creates with {INSTANCES} instances, {INSTANCES} in flight ({})",
        times.len()
    );
    println!(
        "  p50 {:.3} ms, p99 {:.3} ms, {rate:.0} creates/s\n",
        ms(percentile(&mut times, 50)),
        ms(percentile(&mut times, 99))
    );
    drop(children);
}

/// Resident memory of one instance as invocations accumulate.
async fn memory(bootstrap: &Path, url: &str) {
    let api = RuntimeApi::start().await;
    let child = spawn(bootstrap, &api, url);
    let pid = child.id().unwrap();
    invoke_create(&api, 0).await;
    let mut samples = vec![(1, rss_kib(pid, "VmRSS"))];
    for n in 1..=RSS_INVOCATIONS {
        invoke_create(&api, n).await;
        if [1000, 2500, 5000, 7500, 10_000].contains(&n) {
            samples.push((n, rss_kib(pid, "VmRSS")));
        }
    }
    println!("resident memory of one instance over {RSS_INVOCATIONS} invocations");
    for (n, kib) in &samples {
        println!("  after {n:>6}: {:.1} MiB", *kib as f64 / 1024.0);
    }
    println!(
        "  peak (VmHWM): {:.1} MiB",
        rss_kib(pid, "VmHWM") as f64 / 1024.0
    );
    drop(child);
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| {
            line.strip_prefix(field)?
                .trim_start_matches(':')
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap()
}

fn percentile(samples: &mut [Duration], p: usize) -> Duration {
    samples.sort_unstable();
    samples[(samples.len() * p / 100).min(samples.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
