//! Records a few rolls, lists them newest first, and prints the stats: in
//! memory, or in MySQL when `DATABASE_URL` or `DB_HOST` is set (the schema is
//! migrated first, so an empty database is enough).
//!
//! ```sh
//! cargo run -p dice-examples --example quickstart
//! DATABASE_URL=mysql://dice:dice@127.0.0.1:3306/dice cargo run -p dice-examples --example quickstart
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)] // printing is what an example is for

use std::process::ExitCode;

use dice_core::{ListQuery, Roll, RollRequest, RollStore};
use dice_memory::MemoryStore;
use dice_store_mysql::{MysqlConfig, MysqlStore, Preset};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("quickstart: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let store: Box<dyn RollStore> = if MysqlConfig::is_configured(|name| std::env::var(name).ok()) {
        let config = MysqlConfig::from_env(Preset::Server)?;
        let store = MysqlStore::connect(&config).await?;
        store.migrate().await?;
        println!(
            "store: MySQL database {:?} on {}",
            config.database(),
            config.host()
        );
        Box::new(store)
    } else {
        println!("store: in memory (set DATABASE_URL to use MySQL)");
        Box::new(MemoryStore::new())
    };

    let bodies: [&[u8]; 3] = [
        br#"{"outcome": 6, "rolled_by": "alice"}"#,
        br#"[{"outcome": 3}, {"outcome": 5, "rolled_by": "bob"}]"#,
        br#"{"outcom": 4}"#,
    ];
    for body in bodies {
        match RollRequest::parse_json(body) {
            Ok(request) => {
                let recorded = store.record(&request, None).await?;
                println!("recorded {}", describe(recorded.rolls()));
            }
            Err(rejected) => println!("rejected ({}): {rejected}", rejected.code()),
        }
    }
    let page = store.list(&ListQuery::new()).await?;
    println!("newest first: {}", describe(&page.rolls));
    let stats = store.stats(None).await?;
    match stats.mean {
        Some(mean) => println!("count {}, mean {mean:.2}", stats.count),
        None => println!("count {}, no mean", stats.count),
    }
    Ok(())
}

fn describe(rolls: &[Roll]) -> String {
    rolls
        .iter()
        .map(|r| format!("#{} = {}", r.id, r.outcome))
        .collect::<Vec<_>>()
        .join(", ")
}
