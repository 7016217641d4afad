//! The function AWS Lambda runs (`provided.al2023`): builds the service once,
//! then answers API Gateway events until the instance ends.
#![allow(clippy::print_stderr)] // the one line a failed start prints

use std::process::ExitCode;

use dice_lambda::runtime_api::missing_runtime_variable;
use dice_lambda::{lambda, logging};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    logging::init_json();
    if let Some(problem) = missing_runtime_variable(|name| std::env::var(name).ok()) {
        eprintln!("bootstrap: {problem}");
        return ExitCode::FAILURE;
    }
    let served = match lambda::start().await {
        Ok(service) => lambda::run(&service).await,
        Err(err) => Err(err),
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bootstrap: {err}");
            ExitCode::FAILURE
        }
    }
}
