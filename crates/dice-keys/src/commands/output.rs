//! What the commands print: the same lines and tables for every target.

use std::io::{self, Write};

use crate::{KeyInfo, KeyUsage, NewKey, PlanInfo, Rotated};

/// `id (name)`.
fn who(key: &KeyInfo) -> String {
    format!("{} ({})", key.id, key.name)
}

/// The new key's id, then its value on a line of its own.
pub(super) fn added(out: &mut dyn Write, new: &NewKey) -> io::Result<()> {
    writeln!(
        out,
        "added key {}; its value, shown only now:\n{}",
        who(&new.key),
        new.value
    )
}

/// `disabled key id (name)`, and the like.
pub(super) fn done(out: &mut dyn Write, what: &str, key: &KeyInfo) -> io::Result<()> {
    writeln!(out, "{what} key {}", who(key))
}

/// The key's new plan.
pub(super) fn moved(out: &mut dyn Write, key: &KeyInfo) -> io::Result<()> {
    writeln!(out, "key {} now has the plan: {}", who(key), key.plan)
}

/// The new key as `added` prints it, then when the old one stops.
pub(super) fn rotated(out: &mut dyn Write, rotated: &Rotated) -> io::Result<()> {
    added(out, &rotated.new)?;
    if rotated.old.enabled {
        writeln!(
            out,
            "old key {} is accepted until {}, then refused",
            who(&rotated.old),
            rotated.old_disabled_at
        )
    } else {
        writeln!(out, "disabled old key {}", who(&rotated.old))
    }
}

/// The keys table; never values.
pub(super) fn list(out: &mut dyn Write, keys: &[KeyInfo]) -> io::Result<()> {
    writeln!(
        out,
        "{:<12} {:<9} {:<24} {:<20} plan",
        "id", "state", "name", "created"
    )?;
    for key in keys {
        let state = if key.enabled { "enabled" } else { "disabled" };
        let created = key
            .created
            .map_or_else(|| "-".to_owned(), |at| at.to_string());
        writeln!(
            out,
            "{:<12} {state:<9} {:<24} {created:<20} {}",
            key.id.as_str(),
            key.name.as_str(),
            key.plan
        )?;
    }
    Ok(())
}

/// One line per key and day.
pub(super) fn usage(out: &mut dyn Write, report: &[KeyUsage]) -> io::Result<()> {
    writeln!(
        out,
        "{:<12} {:<24} {:<10} {:>8} {:>10}",
        "id", "name", "day", "used", "remaining"
    )?;
    for key in report {
        for day in &key.days {
            writeln!(
                out,
                "{:<12} {:<24} {:<10} {:>8} {:>10}",
                key.id.as_str(),
                key.name.as_str(),
                day.day.to_string(),
                day.used,
                day.remaining
            )?;
        }
    }
    Ok(())
}

/// The plans table.
pub(super) fn plans(out: &mut dyn Write, plans: &[PlanInfo]) -> io::Result<()> {
    writeln!(out, "{:<12} {:<24} limits", "id", "name")?;
    for plan in plans {
        writeln!(
            out,
            "{:<12} {:<24} {}",
            plan.id,
            plan.name.as_str(),
            plan.limits.describe()
        )?;
    }
    Ok(())
}

/// `added plan id (name): limits`.
pub(super) fn plan_added(out: &mut dyn Write, plan: &PlanInfo) -> io::Result<()> {
    writeln!(
        out,
        "added plan {} ({}): {}",
        plan.id,
        plan.name,
        plan.limits.describe()
    )
}
