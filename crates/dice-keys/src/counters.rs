//! [`Counters`]: requests per key and day, kept by `dice-local` in a file
//! beside the keys file so a restart keeps quotas, and read by `keys usage`.
//!
//! The file is replaced whole and atomically (a new file renamed over the
//! old), so a reader, or a `dice-local` killed in the middle of a write,
//! sees the old counts or the new ones, never a mix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::file::KeysError;
use crate::file::private_replace::{Durability, replace_durably};
use crate::{Day, DayUsage, Plan, Quota, UsageRange};

/// How many days of counts are kept: the longest report (90 days) plus the
/// longest quota period before it.
const KEPT_DAYS: u64 = UsageRange::MAX_DAYS + 31;

/// Requests per key and day, and the plan the serving gateway gives keys
/// without one of their own (so `keys usage` can tell what remains).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counters {
    /// The serving gateway's default plan, as it last started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_plan: Option<Plan>,
    /// Key id, then day, then requests counted.
    #[serde(default)]
    pub keys: BTreeMap<String, BTreeMap<Day, u64>>,
}

/// The counters file of `keys_file`: `<keys file>.usage`.
pub fn counters_path(keys_file: &Path) -> PathBuf {
    let mut path = keys_file.as_os_str().to_owned();
    path.push(".usage");
    PathBuf::from(path)
}

impl Counters {
    /// Reads `path`; a missing file holds no counts.
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

    /// Replaces `path` atomically with these counts. Not flushed to disk: it
    /// is rewritten on every counted request, and a process crash cannot
    /// tear it; a power cut may lose the last counts.
    pub fn save(&self, path: &Path) -> Result<(), KeysError> {
        let json = serde_json::to_vec(self).map_err(|err| KeysError::Unreadable {
            path: path.to_owned(),
            problem: err.to_string(),
        })?;
        replace_durably(path, &json, Durability::ProcessCrash)
    }

    /// Counts one request by `key_id` on `day`, and forgets days too old to
    /// be reported or to count against a quota.
    pub fn count(&mut self, key_id: &str, day: Day) {
        let days = self.keys.entry(key_id.to_owned()).or_default();
        *days.entry(day).or_default() += 1;
        let oldest = day.minus(KEPT_DAYS);
        if days
            .first_key_value()
            .is_some_and(|(first, _)| *first < oldest)
        {
            days.retain(|kept, _| *kept >= oldest);
        }
    }

    /// Requests by `key_id` on `day`.
    pub fn on(&self, key_id: &str, day: Day) -> u64 {
        self.keys
            .get(key_id)
            .and_then(|days| days.get(&day))
            .copied()
            .unwrap_or(0)
    }

    /// Requests by `key_id` from the start of `quota`'s period holding `day`
    /// through `day`.
    pub fn used_in_period(&self, key_id: &str, quota: &Quota, day: Day) -> u64 {
        let first = quota.period.first_day(day);
        self.keys.get(key_id).map_or(0, |days| {
            days.range(first..=day).map(|(_, used)| *used).sum()
        })
    }

    /// `key_id`'s requests on each day of `range` and what its quota had
    /// left at the end of each.
    pub fn usage(&self, key_id: &str, quota: &Quota, range: UsageRange) -> Vec<DayUsage> {
        range
            .each()
            .map(|day| DayUsage {
                day,
                used: self.on(key_id, day),
                remaining: quota
                    .limit
                    .saturating_sub(self.used_in_period(key_id, quota, day)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Period;

    fn day(text: &str) -> Day {
        Day::parse(text).unwrap()
    }

    #[test]
    fn a_week_quota_counts_from_monday_and_resets_on_the_next() {
        let quota = Quota::new(10, Period::Week).unwrap();
        let mut counters = Counters::default();
        counters.count("k", day("2026-11-22")); // Sunday
        counters.count("k", day("2026-11-23")); // Monday
        counters.count("k", day("2026-11-24"));
        counters.count("k", day("2026-11-24"));
        assert_eq!(counters.used_in_period("k", &quota, day("2026-11-22")), 1);
        assert_eq!(counters.used_in_period("k", &quota, day("2026-11-25")), 3);
        assert_eq!(
            counters.used_in_period("other", &quota, day("2026-11-25")),
            0
        );
        let range = UsageRange::new(day("2026-11-25"), 4).unwrap();
        let report: Vec<_> = counters
            .usage("k", &quota, range)
            .iter()
            .map(|d| (d.day.to_string(), d.used, d.remaining))
            .collect();
        assert_eq!(
            report,
            [
                ("2026-11-22".to_owned(), 1, 9),
                ("2026-11-23".to_owned(), 1, 9),
                ("2026-11-24".to_owned(), 2, 7),
                ("2026-11-25".to_owned(), 0, 7),
            ]
        );
    }

    #[test]
    fn old_days_are_forgotten() {
        let mut counters = Counters::default();
        counters.count("k", day("2026-01-01"));
        counters.count("k", day("2026-12-31"));
        assert_eq!(counters.keys["k"].len(), 1);
    }

    #[test]
    fn counts_round_trip_through_the_file() {
        let dir = std::env::temp_dir().join(format!("dice-counters-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = counters_path(&dir.join("keys.json"));
        assert_eq!(Counters::load(&path).unwrap(), Counters::default());
        let mut counters = Counters::default();
        counters.count("k", day("2026-11-23"));
        counters.save(&path).unwrap();
        assert_eq!(Counters::load(&path).unwrap(), counters);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
