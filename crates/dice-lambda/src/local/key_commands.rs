//! The `keys` commands: add, list, disable, enable and delete keys in the keys
//! file, printing what a person needs to read.

use std::io::Write;
use std::path::Path;

use clap::Subcommand;

use super::cli::PlanArgs;
use super::keys::KeysFile;
use super::plan::Plan;
use crate::Error;

/// A change to, or a look at, the keys file.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a key and print its value, the only time it is shown.
    Add {
        /// A name for people, such as who holds the key.
        #[arg(long)]
        name: String,
        /// The key's own usage plan.
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// List keys: id, name, state and plan (never values).
    List,
    /// Refuse a key until it is enabled again.
    Disable {
        /// The key's id.
        id: String,
    },
    /// Accept a disabled key again.
    Enable {
        /// The key's id.
        id: String,
    },
    /// Remove a key for good.
    Delete {
        /// The key's id.
        id: String,
    },
}

/// Runs `command` on the keys file at `path`.
pub fn run(path: &Path, command: KeysCommand, out: &mut dyn Write) -> Result<(), Error> {
    match command {
        KeysCommand::Add { name, plan } => {
            let (record, value) = KeysFile::change(path, |file| file.add(&name, plan.plan()))?;
            writeln!(
                out,
                "added key {} ({name}); its value, shown only now:",
                record.id
            )
            .and_then(|()| writeln!(out, "{value}"))
            .map_err(Error::Output)
        }
        KeysCommand::List => list(&KeysFile::load(path)?, out).map_err(Error::Output),
        KeysCommand::Disable { id } => Ok(KeysFile::change(path, |file| {
            file.get_mut(&id).map(|key| key.enabled = false)
        })?),
        KeysCommand::Enable { id } => Ok(KeysFile::change(path, |file| {
            file.get_mut(&id).map(|key| key.enabled = true)
        })?),
        KeysCommand::Delete { id } => {
            Ok(KeysFile::change(path, |file| file.delete(&id).map(drop))?)
        }
    }
}

fn list(file: &KeysFile, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{:<12} {:<9} {:<24} plan", "id", "state", "name")?;
    for key in &file.keys {
        let state = if key.enabled { "enabled" } else { "disabled" };
        writeln!(
            out,
            "{:<12} {state:<9} {:<24} {}",
            key.id,
            key.name,
            describe(key.plan.as_ref())
        )?;
    }
    Ok(())
}

/// A plan in words: `5/s burst 10, 1000 per day`, or `default`.
fn describe(plan: Option<&Plan>) -> String {
    let Some(plan) = plan else {
        return "default".to_owned();
    };
    let throttle = plan
        .throttle
        .map(|t| format!("{}/s burst {}", t.rate, t.burst));
    let quota = plan
        .quota
        .map(|q| format!("{} per {:?}", q.limit, q.period).to_lowercase());
    [throttle, quota]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
}
