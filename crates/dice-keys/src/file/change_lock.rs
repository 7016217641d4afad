//! [`ChangeLock`]: one `keys` command at a time changes a keys file.
//!
//! Saves replace the keys file by renaming a new one over it, so a lock on the
//! keys file itself would guard a file that is about to be unlinked. The lock
//! lives in a file of its own beside it, `<keys file>.lock`, which is never
//! written or removed: it only carries the advisory lock, which the system
//! drops when the holder exits, however it exits.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::KeysError;

/// How long a command waits for another to finish before giving up. A change
/// takes milliseconds; this much waiting means something is stuck.
const PATIENCE: Duration = Duration::from_secs(10);

/// How often a waiting command tries again.
const POLL: Duration = Duration::from_millis(5);

/// An exclusive advisory lock on a keys file's lock file, held until dropped.
#[derive(Debug)]
pub(super) struct ChangeLock {
    // Closing the file releases the lock.
    _file: File,
}

impl ChangeLock {
    /// Waits until no other command changes `keys_file`, then holds it.
    pub(super) fn acquire(keys_file: &Path) -> Result<Self, KeysError> {
        let path = lock_path(keys_file);
        let file = open(&path)?;
        let deadline = Instant::now() + PATIENCE;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(POLL);
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(KeysError::Busy {
                        path: keys_file.to_owned(),
                        waited: PATIENCE,
                    });
                }
                Err(TryLockError::Error(source)) => return Err(KeysError::Io { path, source }),
            }
        }
    }
}

/// `<keys file>.lock`.
pub(super) fn lock_path(keys_file: &Path) -> PathBuf {
    let mut path = keys_file.as_os_str().to_owned();
    path.push(".lock");
    PathBuf::from(path)
}

/// Opens the lock file, creating it owner-only if missing. An existing one is
/// opened read-only (a lock needs no write access), so whatever is planted
/// there, a file or a link, is never written; exclusive creation refuses to
/// follow a link.
fn open(path: &Path) -> Result<File, KeysError> {
    let io = |source| KeysError::Io {
        path: path.to_owned(),
        source,
    };
    let mut create = OpenOptions::new();
    create.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut create, 0o600);
    // A person may remove the lock file between the two opens: try again.
    let mut attempts = 0;
    loop {
        attempts += 1;
        match create.open(path) {
            Ok(file) => return Ok(file),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => match File::open(path) {
                Ok(file) => return Ok(file),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound && attempts < 3 => {}
                Err(source) => return Err(io(source)),
            },
            Err(source) => return Err(io(source)),
        }
    }
}
