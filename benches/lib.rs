//! What the benchmarks share; each benchmark is a `[[bench]]` target of this
//! package (see the README).

use std::path::PathBuf;

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
