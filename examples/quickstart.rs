//! Records a few rolls (reported ones and dice the store's caller rolls), lists
//! them newest first, and prints the stats and a notation's fairness: in
//! memory, or in MySQL when `DATABASE_URL` or `DB_HOST` is set (the schema is
//! migrated first, so an empty database is enough).
//!
//! ```sh
//! cargo run -p dice-examples --example quickstart
//! DATABASE_URL=mysql://dice:dice@127.0.0.1:3306/dice cargo run -p dice-examples --example quickstart
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)] // printing is what an example is for

use std::process::ExitCode;

use dice_core::{ListQuery, Roll, RollRequest, RollStore, StatsQuery};
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

    let bodies: [&[u8]; 5] = [
        br#"{"outcome": 6, "rolled_by": "alice"}"#,
        br#"[{"outcome": 3}, {"outcome": 5, "rolled_by": "bob"}]"#,
        br#"{"dice": "3d6+2", "rolled_by": "carol"}"#,
        br#"{"outcome": 4, "dice": "1d6"}"#,
        br#"{"outcom": 4}"#,
    ];
    for body in bodies {
        match RollRequest::parse_json(body) {
            Ok(request) => {
                // The server's dice are cast here, with the operating system's CSPRNG.
                let recorded = store.record(&request.roll_os()?, None).await?;
                println!("recorded {}", describe(recorded.rolls()));
            }
            Err(rejected) => println!("rejected ({}): {rejected}", rejected.code()),
        }
    }
    let page = store.list(&ListQuery::new()).await?;
    println!("newest first: {}", describe(&page.rolls));
    let stats = store.stats(&StatsQuery::new()).await?;
    match stats.mean {
        Some(mean) => println!("count {}, mean {mean:.2}", stats.count),
        None => println!("count {}, no mean", stats.count),
    }
    let d6 = StatsQuery::from_params([("dice", "1d6")])?;
    if let Some(fairness) = store.stats(&d6).await?.fairness {
        println!("1d6: {}", serde_json::to_string(&fairness)?);
    }
    Ok(())
}

fn describe(rolls: &[Roll]) -> String {
    rolls
        .iter()
        .map(|r| match (&r.dice, &r.faces) {
            (Some(dice), Some(faces)) => format!("#{} = {} ({dice}: {faces:?})", r.id, r.outcome),
            (Some(dice), None) => format!("#{} = {} ({dice})", r.id, r.outcome),
            _ => format!("#{} = {}", r.id, r.outcome),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
