//! Log setup: JSON lines in Lambda, readable lines locally. What is logged is
//! chosen in the handler: never bodies, passwords or API key values.

use tracing_subscriber::EnvFilter;

/// The log level filter: `RUST_LOG`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`.
fn filter() -> EnvFilter {
    EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| EnvFilter::try_from_env("AWS_LAMBDA_LOG_LEVEL"))
        .unwrap_or_else(|_| EnvFilter::new("info"))
}

/// JSON lines on stdout, with the fields of the current span (Lambda's request id).
pub fn init_json() {
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter())
        .with_writer(std::io::stdout)
        .try_init();
}

/// Human-readable lines on stderr, for running on a workstation.
pub fn init_text() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .try_init();
}
