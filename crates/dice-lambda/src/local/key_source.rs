//! [`KeySource`]: the keys the gateway accepts, re-read when the keys file
//! changes.

use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};
use std::time::SystemTime;

use dice_core::Timestamp;

use super::keys::{self, KeyRecord, KeysError, KeysFile};

/// Where the gateway's keys come from.
#[derive(Debug)]
pub struct KeySource {
    file: Option<PathBuf>,
    extra: Option<KeyRecord>,
    loaded: RwLock<Loaded>,
}

#[derive(Debug, Default)]
struct Loaded {
    /// The file's version last read: `None` before the first read,
    /// `Some(None)` while the file does not exist.
    version: Option<Option<Version>>,
    keys: Vec<KeyRecord>,
}

/// What tells one version of the keys file from the next. Saves replace the
/// file by renaming a new one over it, so the inode changes with every save,
/// even two within the file system's timestamp granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    inode: u64,
    modified: Option<SystemTime>,
    len: u64,
}

impl Version {
    fn of(path: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Self {
            inode,
            modified: metadata.modified().ok(),
            len: metadata.len(),
        })
    }
}

impl KeySource {
    /// Keys from `file` (re-read when it changes), plus `extra` (from
    /// `DICE_API_KEY` or generated at start).
    pub fn new(file: Option<PathBuf>, extra: Option<KeyRecord>) -> Result<Self, KeysError> {
        let source = Self {
            file,
            extra,
            loaded: RwLock::default(),
        };
        source.refresh()?;
        Ok(source)
    }

    /// Whether any key can be used.
    pub fn is_empty(&self) -> bool {
        self.extra.is_none() && self.read().keys.is_empty()
    }

    /// How many keys the file held when last read well.
    pub fn len_in_file(&self) -> usize {
        self.read().keys.len()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Loaded> {
        // Every write replaces whole values, so a poisoned lock still guards
        // consistent keys.
        self.loaded.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Re-reads the file if it changed since the last read, once per change.
    /// A file that went bad keeps the keys last read good, so a half-edited
    /// file locks no one out.
    fn refresh(&self) -> Result<(), KeysError> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let version = Version::of(path);
        if self.read().version == Some(version) {
            return Ok(());
        }
        let file = KeysFile::load(path);
        let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
        loaded.version = Some(version);
        let file = file?;
        // Each key carries the limits that apply to it, its named plan's
        // included, so admitting a request needs no second look.
        loaded.keys = file
            .keys
            .iter()
            .map(|key| KeyRecord {
                plan: file.limits_of(key),
                ..key.clone()
            })
            .collect();
        Ok(())
    }

    /// The enabled key whose value is `value`.
    pub(super) fn find(&self, value: &str) -> Option<KeyRecord> {
        if let Err(err) = self.refresh() {
            tracing::warn!(error = %err, "keeping the keys last read");
        }
        let loaded = self.read();
        let now = Timestamp::now().unwrap_or(Timestamp::UNIX_EPOCH);
        keys::find(loaded.keys.iter().chain(self.extra.as_ref()), value)
            .filter(|key| key.accepted_at(now))
            .cloned()
    }
}
