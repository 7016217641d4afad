//! Records a few rolls, lists them newest first, and prints the stats.
//!
//! ```sh
//! cargo run -p dice-examples --example quickstart
//! ```
#![allow(clippy::print_stdout)] // printing is what an example is for

use dice_core::{ListQuery, RollRequest, RollStore};
use dice_memory::MemoryStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = MemoryStore::new();
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
    println!(
        "newest first: {:?}",
        page.rolls
            .iter()
            .map(|r| r.outcome.get())
            .collect::<Vec<_>>()
    );
    let stats = store.stats(None).await?;
    println!("count {}, mean {:?}", stats.count, stats.mean);
    Ok(())
}

fn describe(rolls: &[dice_core::Roll]) -> String {
    rolls
        .iter()
        .map(|r| format!("#{} = {}", r.id, r.outcome))
        .collect::<Vec<_>>()
        .join(", ")
}
