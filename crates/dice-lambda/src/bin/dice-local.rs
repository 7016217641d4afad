//! `dice-local`: the whole service on one machine. An API Gateway stand-in on
//! 127.0.0.1 with API keys and usage plans, in front of the same service as
//! `bootstrap`, on an in-memory store or MySQL.
#![allow(clippy::print_stderr)] // the one line a failure prints

use std::process::ExitCode;

use clap::Parser;
use dice_lambda::local::cli::{self, Cli};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match cli::run(Cli::parse(), &mut std::io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("dice-local: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
