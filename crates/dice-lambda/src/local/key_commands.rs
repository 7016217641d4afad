//! The `keys` commands: add, list, disable, enable, delete keys and change
//! their plans in the keys file, printing what a person needs to read. Every
//! change holds the keys file's lock from its read to its write
//! ([`KeysFile::change`]), so commands run side by side lose nothing.

use std::io::Write;
use std::path::Path;

use clap::{ArgGroup, Subcommand};

use super::cli::PlanArgs;
use super::keys::{self, KeyRecord, KeysError, KeysFile};
use super::plan::Plan;
use crate::Error;

/// A change to, or a look at, the keys file.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a key and print its value, the only time it is shown.
    Add {
        /// A name for people, such as who holds the key; one key per name.
        #[arg(long)]
        name: String,
        /// Add the key even if another already has this name.
        #[arg(long)]
        allow_duplicate_name: bool,
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
    /// Replace a key's usage plan; its value stays the same.
    #[command(group(
        ArgGroup::new("new_plan")
            .required(true)
            .multiple(true)
            .args(["rate", "quota", "default"])
    ))]
    SetPlan {
        /// The key's id.
        id: String,
        /// The new plan, whole: limits not given are not kept.
        #[command(flatten)]
        plan: PlanArgs,
        /// Use the serving gateway's plan (its --rate, --burst, --quota) instead.
        #[arg(long, conflicts_with_all = ["rate", "burst", "quota"])]
        default: bool,
    },
}

/// Runs `command` on the keys file at `path`.
pub fn run(path: &Path, command: KeysCommand, out: &mut dyn Write) -> Result<(), Error> {
    keys::require_directory(path)?;
    let report = match command {
        KeysCommand::List => {
            return list(&KeysFile::load(path)?, out).map_err(Error::Output);
        }
        KeysCommand::Add {
            name,
            allow_duplicate_name,
            plan,
        } => {
            let plan = plan.plan()?;
            KeysFile::change(path, |file| add(file, &name, allow_duplicate_name, plan))?
        }
        KeysCommand::Disable { id } => KeysFile::change(path, |file| {
            let key = file.get_mut(&id)?;
            key.enabled = false;
            Ok(format!("disabled key {}", who(key)))
        })?,
        KeysCommand::Enable { id } => KeysFile::change(path, |file| {
            let key = file.get_mut(&id)?;
            key.enabled = true;
            Ok(format!("enabled key {}", who(key)))
        })?,
        KeysCommand::Delete { id } => KeysFile::change(path, |file| {
            Ok(format!("deleted key {}", who(&file.delete(&id)?)))
        })?,
        KeysCommand::SetPlan { id, plan, default } => {
            let plan = if default { None } else { plan.plan()? };
            KeysFile::change(path, |file| {
                let key = file.get_mut(&id)?;
                key.plan = plan;
                Ok(format!(
                    "key {} now has the plan: {}",
                    who(key),
                    describe(key.plan.as_ref())
                ))
            })?
        }
    };
    // Printed once the change is saved and the lock released.
    writeln!(out, "{report}").map_err(Error::Output)
}

/// Adds a key named `name`; the report is the id, then the value on a line of
/// its own.
fn add(
    file: &mut KeysFile,
    name: &str,
    allow_duplicate_name: bool,
    plan: Option<Plan>,
) -> Result<String, KeysError> {
    if let Some(other) = file.named(name).filter(|_| !allow_duplicate_name) {
        return Err(KeysError::DuplicateName {
            name: name.to_owned(),
            id: other.id.clone(),
        });
    }
    let (record, value) = file.add(name, plan)?;
    Ok(format!(
        "added key {} ({name}); its value, shown only now:\n{value}",
        record.id
    ))
}

/// `id (name)`.
fn who(key: &KeyRecord) -> String {
    format!("{} ({})", key.id, key.name)
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
