//! API keys as API Gateway keeps them: an id that is safe to show, a secret
//! value shown once, a state, and a usage plan. The keys file stores only a
//! hash of each value, and is written atomically with owner-only permissions.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::plan::Plan;

/// One API key, as the keys file holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRecord {
    /// The id: becomes `created_by`, shown in lists and logs.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// SHA-256 of the key's value, in hex.
    pub hash: String,
    /// Disabled keys are refused like unknown ones.
    pub enabled: bool,
    /// Throttle and quota; `None` uses the gateway's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
}

/// The keys file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysFile {
    /// Every key, in the order they were added.
    pub keys: Vec<KeyRecord>,
}

/// What can go wrong with the keys file.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// Reading or writing failed.
    #[error("keys file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a keys file.
    #[error("keys file {path} is not valid: {problem}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        problem: String,
    },
    /// No key has this id.
    #[error("no key has the id {0:?}")]
    UnknownId(String),
    /// The system's random source failed.
    #[error("no randomness for a new key: {0}")]
    Random(String),
}

impl KeysFile {
    /// Reads `path`; a file that does not exist is an empty keys file.
    pub fn load(path: &Path) -> Result<Self, KeysError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|err| KeysError::Invalid {
                path: path.to_owned(),
                problem: err.to_string(),
            }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(KeysError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Writes to `path` atomically: a temporary file beside it, readable by the
    /// owner only, flushed to disk, then renamed over the old one.
    pub fn save(&self, path: &Path) -> Result<(), KeysError> {
        let io = |source| KeysError::Io {
            path: path.to_owned(),
            source,
        };
        let json = serde_json::to_vec_pretty(self).map_err(|err| KeysError::Invalid {
            path: path.to_owned(),
            problem: err.to_string(),
        })?;
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(format!(".tmp{}", std::process::id()));
        let temporary = PathBuf::from(temporary);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary).map_err(io)?;
        file.write_all(&json)
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .map_err(io)?;
        drop(file);
        std::fs::rename(&temporary, path).map_err(io)
    }

    /// Adds a new enabled key; returns its record and its value, which exists
    /// nowhere else and must be shown to the user now.
    pub fn add(
        &mut self,
        name: &str,
        plan: Option<Plan>,
    ) -> Result<(KeyRecord, String), KeysError> {
        let value = random_token(40)?;
        let id = loop {
            let id = random_token(10)?;
            if !self.keys.iter().any(|key| key.id == id) {
                break id;
            }
        };
        let record = KeyRecord {
            id,
            name: name.to_owned(),
            hash: hash(&value),
            enabled: true,
            plan,
        };
        self.keys.push(record.clone());
        Ok((record, value))
    }

    /// The key with `id`, for changing it.
    pub fn get_mut(&mut self, id: &str) -> Result<&mut KeyRecord, KeysError> {
        self.keys
            .iter_mut()
            .find(|key| key.id == id)
            .ok_or_else(|| KeysError::UnknownId(id.to_owned()))
    }

    /// Removes the key with `id`.
    pub fn delete(&mut self, id: &str) -> Result<KeyRecord, KeysError> {
        let index = self
            .keys
            .iter()
            .position(|key| key.id == id)
            .ok_or_else(|| KeysError::UnknownId(id.to_owned()))?;
        Ok(self.keys.remove(index))
    }
}

/// SHA-256 of a key value, in hex.
pub fn hash(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The record whose hash matches `value`, compared in constant time: every
/// record is compared in full, so timing tells nothing about the keys.
pub fn find<'a>(
    keys: impl IntoIterator<Item = &'a KeyRecord>,
    value: &str,
) -> Option<&'a KeyRecord> {
    let presented = hash(value);
    let mut found = None;
    for key in keys {
        if constant_time_eq(presented.as_bytes(), key.hash.as_bytes()) {
            found = Some(key);
        }
    }
    found
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `len` random characters from `[a-z0-9]`, like API Gateway's ids and keys.
pub fn random_token(len: usize) -> Result<String, KeysError> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut token = String::with_capacity(len);
    while token.len() < len {
        let mut bytes = [0u8; 64];
        getrandom::fill(&mut bytes).map_err(|err| KeysError::Random(err.to_string()))?;
        // 252 is the largest multiple of 36 below 256: rejecting above it keeps
        // every character equally likely.
        token.extend(
            bytes
                .iter()
                .filter(|b| **b < 252)
                .map(|b| char::from(ALPHABET[usize::from(*b % 36)]))
                .take(len - token.len()),
        );
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_by_hash_only() {
        let mut file = KeysFile::default();
        let (alice, value) = file.add("alice", None).unwrap();
        file.add("bob", None).unwrap();
        assert_eq!(find(&file.keys, &value).map(|k| &k.id), Some(&alice.id));
        assert!(find(&file.keys, "nope").is_none());
        assert!(
            !serde_json::to_string(&file).unwrap().contains(&value),
            "the value is never stored"
        );
        assert_eq!(value.len(), 40);
        assert_eq!(alice.id.len(), 10);
    }

    #[test]
    fn saved_files_are_private_and_round_trip() {
        let dir = std::env::temp_dir().join(format!("dice-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.json");
        let mut file = KeysFile::default();
        file.add("alice", None).unwrap();
        file.save(&path).unwrap();
        assert_eq!(KeysFile::load(&path).unwrap(), file);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_ids_are_errors() {
        let mut file = KeysFile::default();
        assert!(matches!(file.delete("x"), Err(KeysError::UnknownId(_))));
        assert!(matches!(file.get_mut("x"), Err(KeysError::UnknownId(_))));
    }
}
