//! Log setup: JSON lines in Lambda, readable lines locally. What is logged is
//! chosen in the handler: never bodies, passwords or API key values.

use tracing_subscriber::EnvFilter;

/// `lambda_runtime` logs every raw event at TRACE under this target: API key
/// values, bodies and all. That line is never let through, at any level.
const RAW_EVENT_TARGET: &str = "lambda_runtime::layers::api_response=debug";

/// The log level filter: `RUST_LOG`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else
/// `info`; never below DEBUG for the runtime's raw event line.
fn filter() -> EnvFilter {
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| EnvFilter::try_from_env("AWS_LAMBDA_LOG_LEVEL"))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    match RAW_EVENT_TARGET.parse() {
        Ok(directive) => filter.add_directive(directive),
        // A constant that parses; were it not to, log nothing rather than secrets.
        Err(_) => EnvFilter::new("off"),
    }
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

/// Human-readable lines on stderr, for running on a workstation; coloured only
/// when stderr is a terminal, so a log redirected to a file stays plain text.
pub fn init_text() {
    let _ = tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .try_init();
}
