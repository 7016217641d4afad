//! [`replace`]: writes a file atomically, owner-only from its first byte.
//!
//! The new contents go to a temporary file in the same directory, created
//! exclusively under a random name (so nothing planted at a predictable name,
//! a file or a link, is ever opened), with mode 0600 from the start. It is
//! flushed to disk, renamed over the old file, and the directory is flushed so
//! the rename itself survives a crash.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{KeysError, random_token};

/// Random names tried before giving up: a clash is already a one in 36^16
/// chance, so a second one means someone is guessing.
const ATTEMPTS: usize = 4;

/// Whether a replacement waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// Flushed to disk, the rename too: survives a power cut.
    Synced,
    /// Atomic for every reader and across a crash of the writing process
    /// (`kill -9`), not a power cut: for counters rewritten on every request.
    ProcessCrash,
}

/// Replaces `path` with `contents`, readable and writable by the owner only.
pub(crate) fn replace(path: &Path, contents: &[u8]) -> Result<(), KeysError> {
    replace_with(path, contents, Durability::Synced, || random_token(16))
}

/// [`replace`] as durable as `durability` says.
pub(crate) fn replace_durably(
    path: &Path,
    contents: &[u8],
    durability: Durability,
) -> Result<(), KeysError> {
    replace_with(path, contents, durability, || random_token(16))
}

/// [`replace`], with the random part of the temporary name from `token`.
#[cfg(test)]
fn replace_with_names(
    path: &Path,
    contents: &[u8],
    token: impl FnMut() -> Result<String, KeysError>,
) -> Result<(), KeysError> {
    replace_with(path, contents, Durability::Synced, token)
}

fn replace_with(
    path: &Path,
    contents: &[u8],
    durability: Durability,
    mut token: impl FnMut() -> Result<String, KeysError>,
) -> Result<(), KeysError> {
    let io = |source| KeysError::Io {
        path: path.to_owned(),
        source,
    };
    let (temporary, file) = create_temporary(path, &mut token)?;
    let synced = durability == Durability::Synced;
    let written =
        write_all(file, contents, synced).and_then(|()| std::fs::rename(&temporary, path));
    if let Err(err) = written {
        // Best effort: the error that matters is the one being returned.
        let _ = std::fs::remove_file(&temporary);
        return Err(io(err));
    }
    if synced {
        sync_directory(path).map_err(io)?;
    }
    Ok(())
}

/// A new, empty, owner-only file beside `path`, and its name.
fn create_temporary(
    path: &Path,
    token: &mut impl FnMut() -> Result<String, KeysError>,
) -> Result<(PathBuf, File), KeysError> {
    let name = path.file_name().ok_or_else(|| KeysError::Io {
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file"),
    })?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let mut temporary = name.to_owned();
        temporary.push(format!(".{}.tmp", token()?));
        let temporary = path.with_file_name(temporary);
        match options.open(&temporary) {
            Ok(file) => return Ok((temporary, file)),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => last = Some(err),
            Err(source) => {
                return Err(KeysError::Io {
                    path: temporary,
                    source,
                });
            }
        }
    }
    Err(KeysError::Io {
        path: path.to_owned(),
        source: last.unwrap_or_else(|| std::io::ErrorKind::AlreadyExists.into()),
    })
}

/// Writes `contents` and a final newline, sets mode 0600 whatever the umask
/// left, and flushes to disk when `sync`.
fn write_all(mut file: File, contents: &[u8], sync: bool) -> std::io::Result<()> {
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(contents)?;
    file.write_all(b"\n")?;
    if sync { file.sync_all() } else { Ok(()) }
}

/// Flushes the directory holding `path`, so a completed rename is durable.
fn sync_directory(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(super::directory_of(path))?.sync_all()?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn scratch(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dice-replace-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(first: &'static str) -> impl FnMut() -> Result<String, KeysError> {
        let mut given = 0;
        move || {
            given += 1;
            Ok(if given == 1 {
                first.to_owned()
            } else {
                format!("fresh{given}")
            })
        }
    }

    #[test]
    fn a_link_planted_at_the_temporary_name_is_neither_followed_nor_removed() {
        let dir = scratch("link");
        let target = dir.join("target");
        std::fs::write(&target, "untouched").unwrap();
        let path = dir.join("keys.json");
        std::os::unix::fs::symlink(&target, dir.join("keys.json.planted.tmp")).unwrap();

        replace_with_names(&path, b"{}", names("planted")).unwrap();

        assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
        assert!(dir.join("keys.json.planted.tmp").is_symlink());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_world_writable_file_planted_at_the_temporary_name_is_not_used() {
        let dir = scratch("file");
        let planted = dir.join("keys.json.planted.tmp");
        std::fs::write(&planted, "planted").unwrap();
        std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o666)).unwrap();
        let path = dir.join("keys.json");

        replace_with_names(&path, b"{}", names("planted")).unwrap();

        assert_eq!(std::fs::read_to_string(&planted).unwrap(), "planted");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            2,
            "no temporary file is left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_name_that_always_clashes_is_an_error_that_writes_nothing() {
        let dir = scratch("clash");
        std::fs::write(dir.join("keys.json.same.tmp"), "planted").unwrap();
        let path = dir.join("keys.json");

        let result = replace_with_names(&path, b"{}", || Ok("same".to_owned()));

        assert!(matches!(result, Err(KeysError::Io { .. })), "{result:?}");
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
