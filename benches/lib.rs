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
