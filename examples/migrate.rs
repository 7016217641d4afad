//! Brings a MySQL database's schema up to date: the tutorial's `rolls` table if
//! it is missing, its index, and the idempotency table. Safe to run again, and
//! from several machines at once.
//!
//! ```sh
//! DATABASE_URL=mysql://root@127.0.0.1:3306/dice cargo run -p dice-examples --example migrate
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool

use std::process::ExitCode;

use dice_store_mysql::{MysqlConfig, MysqlStore, Preset};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(applied) if applied.is_empty() => {
            println!("schema already up to date");
            ExitCode::SUCCESS
        }
        Ok(applied) => {
            println!("applied migrations {applied:?}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("migrate: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<Vec<u32>, dice_store_mysql::Error> {
    let config = MysqlConfig::from_env(Preset::Server)?;
    MysqlStore::new(&config).migrate().await
}
