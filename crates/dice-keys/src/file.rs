//! API keys as API Gateway keeps them: an id that is safe to show, a secret
//! value shown once, a state, and a usage plan. The keys file stores only a
//! hash of each value. Changes go through [`KeysFile::change`]: one at a time
//! (an advisory lock beside the file), and written atomically with owner-only
//! permissions.

mod change_lock;
pub(crate) mod private_replace;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use dice_core::Timestamp;

use crate::Plan;
use change_lock::ChangeLock;

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
    /// Throttle and quota of the key's own; with neither this nor
    /// `usage_plan`, the gateway's defaults apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// The id of the named plan (in [`KeysFile::plans`]) the key is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_plan: Option<String>,
    /// When the key was made (absent in files from before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// When an enabled key stops being accepted: the end of a rotation's
    /// grace period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_at: Option<Timestamp>,
}

impl KeyRecord {
    /// Whether the key is accepted at `now`.
    pub fn accepted_at(&self, now: Timestamp) -> bool {
        self.enabled && self.disable_at.is_none_or(|at| now < at)
    }
}

/// A named usage plan in the keys file, which keys join by its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRecord {
    /// The id keys refer to it by.
    pub id: String,
    /// Its name, unique in the file.
    pub name: String,
    /// Its limits.
    pub limits: Plan,
}

/// The keys file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysFile {
    /// Every key, in the order they were added.
    pub keys: Vec<KeyRecord>,
    /// Named usage plans, in the order they were added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plans: Vec<PlanRecord>,
}

/// What can go wrong with the keys file. Each is one line naming the file or
/// the key, and what to do.
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
    #[error(
        "keys file {path} is not valid ({problem}); repair it, or move it away to start with no keys"
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        problem: String,
    },
    /// A change would write a file that could not be read back.
    #[error("keys file {path} left unchanged: the change would not read back ({problem})")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        problem: String,
    },
    /// The keys file's directory does not exist.
    #[error(
        "keys file {path}: its directory does not exist; create it or choose another --keys-file"
    )]
    NoDirectory {
        /// The file.
        path: PathBuf,
    },
    /// Another command kept the keys file locked too long.
    #[error(
        "keys file {path}: another keys command has been changing it for {waited:?}; try again when it ends"
    )]
    Busy {
        /// The file.
        path: PathBuf,
        /// How long this command waited.
        waited: Duration,
    },
    /// No key has this id.
    #[error("no key has the id {0:?}; `keys list` shows the ids")]
    UnknownId(String),
    /// A key already has this name.
    #[error(
        "a key named {name:?} already exists (id {id}); choose another --name, or pass --allow-duplicate-name"
    )]
    DuplicateName {
        /// The name.
        name: String,
        /// The key that has it.
        id: String,
    },
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

    /// Loads the file at `path`, applies `edit` and saves the result, while no
    /// other `change` runs on the same file: a lock beside it is held from the
    /// read to the end of the write, so concurrent changes are never lost.
    /// When `edit` fails, nothing is written.
    pub fn change<T, E: From<KeysError>>(
        path: &Path,
        edit: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        require_directory(path)?;
        let _lock = ChangeLock::acquire(path)?;
        let mut file = Self::load(path)?;
        let outcome = edit(&mut file)?;
        file.save(path)?;
        Ok(outcome)
    }

    /// Writes to `path` atomically and owner-only; callers hold the lock.
    fn save(&self, path: &Path) -> Result<(), KeysError> {
        let unreadable = |err: serde_json::Error| KeysError::Unreadable {
            path: path.to_owned(),
            problem: err.to_string(),
        };
        let json = serde_json::to_vec_pretty(self).map_err(unreadable)?;
        // serde_json writes a non-finite rate as `null`, which no load accepts:
        // refuse here rather than leave a file every later command fails on.
        serde_json::from_slice::<Self>(&json).map_err(unreadable)?;
        private_replace::replace(path, &json)
    }

    /// Adds a new enabled key; returns its record and its value, which exists
    /// nowhere else and must be shown to the user now.
    pub fn add(
        &mut self,
        name: &str,
        plan: Option<Plan>,
    ) -> Result<(KeyRecord, String), KeysError> {
        self.add_to(name, plan, None)
    }

    /// [`Self::add`], with the key in the named plan `usage_plan` (an id in
    /// [`Self::plans`]) when given.
    pub fn add_to(
        &mut self,
        name: &str,
        plan: Option<Plan>,
        usage_plan: Option<String>,
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
            usage_plan,
            created: Timestamp::now(),
            disable_at: None,
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

    /// The first key named `name`.
    pub fn named(&self, name: &str) -> Option<&KeyRecord> {
        self.keys.iter().find(|key| key.name == name)
    }

    /// The plan with `id`.
    pub fn plan(&self, id: &str) -> Option<&PlanRecord> {
        self.plans.iter().find(|plan| plan.id == id)
    }

    /// The limits that apply to `key`: its named plan's, else its own;
    /// `None` for the gateway's defaults. A plan id the file does not hold
    /// (a hand edit) counts as the defaults.
    pub fn limits_of(&self, key: &KeyRecord) -> Option<Plan> {
        match &key.usage_plan {
            Some(id) => self.plan(id).map(|plan| plan.limits),
            None => key.plan,
        }
    }
}

/// Refuses a keys file whose directory does not exist, which is most likely a
/// mistyped path or the wrong working directory rather than a wish for a new,
/// empty set of keys.
pub fn require_directory(path: &Path) -> Result<(), KeysError> {
    if directory_of(path).is_dir() {
        Ok(())
    } else {
        Err(KeysError::NoDirectory {
            path: path.to_owned(),
        })
    }
}

/// The directory holding `path`; `.` for a bare file name.
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// SHA-256 of a key value, in hex.
pub fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
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
    fn a_hash_is_sha256_in_lowercase_hex_as_keys_files_hold_it() {
        // FIPS 180-2's example for "abc": files written before keep working.
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

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
