//! What the benchmarks share; each benchmark is a `[[bench]]` target of this
//! package (see the README).

use std::path::PathBuf;

pub mod cpu;

/// Builds binary `bin` of `dice-lambda` in release mode and returns its path,
/// so a benchmark measures what would be deployed.
///
/// # Panics
///
/// When cargo cannot build it: a benchmark cannot go on without it.
#[allow(clippy::panic)]
pub fn build_release(bin: &str) -> PathBuf {
    let status = std::process::Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "dice-lambda",
            "--bin",
            bin,
        ])
        .status();
    if !status.is_ok_and(|status| status.success()) {
        panic!("cargo build --release --bin {bin} failed");
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("release")
        .join(bin)
}

/// The `p`th percentile of `samples` (sorted in place).
///
/// # Panics
///
/// When `samples` is empty.
pub fn percentile(samples: &mut [std::time::Duration], p: usize) -> std::time::Duration {
    samples.sort_unstable();
    samples[(samples.len() * p / 100).min(samples.len() - 1)]
}

/// A duration in milliseconds.
pub fn ms(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Waits for tasks that each timed a series of calls, and pools their timings.
///
/// # Panics
///
/// When a task panicked.
#[allow(clippy::expect_used)]
pub async fn pooled_timings(
    tasks: Vec<tokio::task::JoinHandle<Vec<std::time::Duration>>>,
) -> Vec<std::time::Duration> {
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await.expect("a timing task panicked"));
    }
    times
}

/// The Node.js baseline's folder (`benches/node-baseline`), with its npm
/// package installed.
///
/// # Panics
///
/// When npm is missing or fails: the baseline cannot run without it.
#[allow(clippy::expect_used)]
pub fn node_baseline() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node-baseline");
    if !dir.join("node_modules").exists() {
        let status = std::process::Command::new("npm")
            .args(["ci", "--silent", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm runs (Node.js is needed for the baseline)");
        assert!(status.success(), "npm ci in {}", dir.display());
    }
    dir
}

/// Runs `mysqlslap` (Debian package `mariadb-client`): `queries` runs of
/// `query` spread over `concurrency` connections, logged in as the user,
/// password, host and port of `url`. Returns its average time for all queries.
///
/// # Panics
///
/// When `url` does not parse, or mysqlslap is missing or fails.
#[allow(clippy::expect_used, clippy::panic)]
pub async fn mysqlslap(
    url: &str,
    database: &str,
    concurrency: usize,
    queries: usize,
    query: &str,
) -> std::time::Duration {
    let opts = mysql_async::Opts::from_url(url).expect("a mysql:// URL");
    let mut command = tokio::process::Command::new("mysqlslap");
    command
        .arg("--no-defaults")
        .arg("--protocol=tcp")
        .arg(format!("--host={}", opts.ip_or_hostname()))
        .arg(format!("--port={}", opts.tcp_port()))
        .arg(format!("--user={}", opts.user().unwrap_or("root")))
        .args(["--iterations=1", "--no-drop"])
        .arg(format!("--create-schema={database}"))
        .arg(format!("--concurrency={concurrency}"))
        .arg(format!("--number-of-queries={queries}"))
        .arg(format!("--query={query}"));
    if let Some(password) = opts.pass().filter(|p| !p.is_empty()) {
        command.arg(format!("--password={password}"));
    }
    let output = command
        .output()
        .await
        .expect("mysqlslap runs (package mariadb-client)");
    let text = String::from_utf8_lossy(&output.stdout);
    let seconds = text
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("Average number of seconds to run all queries:")
        })
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or_else(|| {
            panic!(
                "unexpected mysqlslap output: {text}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    std::time::Duration::from_secs_f64(seconds)
}
