//! [`KeySource`]: the keys the gateway accepts, re-read when the keys file
//! changes.

use std::path::PathBuf;
use std::sync::RwLock;
use std::time::SystemTime;

use super::keys::{self, KeyRecord, KeysError, KeysFile};

/// Where the gateway's keys come from.
#[derive(Debug)]
pub struct KeySource {
    file: Option<PathBuf>,
    extra: Option<KeyRecord>,
    loaded: RwLock<(Option<SystemTime>, Vec<KeyRecord>)>,
}

impl KeySource {
    /// Keys from `file` (re-read when it changes), plus `extra` (from
    /// `DICE_API_KEY` or generated at start).
    pub fn new(file: Option<PathBuf>, extra: Option<KeyRecord>) -> Result<Self, KeysError> {
        let source = Self {
            file,
            extra,
            loaded: RwLock::new((None, Vec::new())),
        };
        source.refresh()?;
        Ok(source)
    }

    /// Whether any key can be used.
    pub fn is_empty(&self) -> bool {
        self.extra.is_none()
            && self
                .loaded
                .read()
                .map(|loaded| loaded.1.is_empty())
                .unwrap_or(true)
    }

    /// Re-reads the file if it changed since the last read. A file that went
    /// bad keeps the keys last read good, so a half-edited file locks no one out.
    fn refresh(&self) -> Result<(), KeysError> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if self
            .loaded
            .read()
            .map(|loaded| loaded.0 == modified)
            .unwrap_or(false)
            && modified.is_some()
        {
            return Ok(());
        }
        let file = KeysFile::load(path)?;
        if let Ok(mut loaded) = self.loaded.write() {
            *loaded = (modified, file.keys);
        }
        Ok(())
    }

    /// The enabled key whose value is `value`.
    pub(super) fn find(&self, value: &str) -> Option<KeyRecord> {
        if let Err(err) = self.refresh() {
            tracing::warn!(error = %err, "keeping the keys last read");
        }
        let loaded = self.loaded.read().ok()?;
        keys::find(loaded.1.iter().chain(self.extra.as_ref()), value)
            .filter(|key| key.enabled)
            .cloned()
    }
}
