//! The `keys` and `plans` commands on the keys file: `dice-keys`'s commands
//! on a [`LocalRegistry`], the same verbs, flags and output as on API
//! Gateway. Every change holds the keys file's lock from its read to its
//! write, so commands run side by side lose nothing.

use std::io::Write;
use std::path::Path;

use dice_keys::LocalRegistry;
pub use dice_keys::commands::{KeysCommand, PlansCommand};

use crate::Error;

/// Runs the `keys` command `command` on the keys file at `path`.
pub fn run(path: &Path, command: KeysCommand, out: &mut dyn Write) -> Result<(), Error> {
    let registry = LocalRegistry::new(path);
    block_on(dice_keys::commands::run_keys(&registry, command, out))
}

/// Runs the `plans` command `command` on the keys file at `path`.
pub fn run_plans(path: &Path, command: PlansCommand, out: &mut dyn Write) -> Result<(), Error> {
    let registry = LocalRegistry::new(path);
    block_on(dice_keys::commands::run_plans(&registry, command, out))
}

fn block_on(
    command: impl Future<Output = Result<(), dice_keys::commands::CommandError>>,
) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(Error::Runtime)?;
    Ok(runtime.block_on(command)?)
}
