//! [`KeyRegistry`]: where an API's keys and usage plans are kept, and what
//! can be done to them, whichever the target: the local keys file or a
//! deployed API Gateway.

use std::time::Duration;

use async_trait::async_trait;
use dice_core::Timestamp;

use crate::{Day, KeyId, KeyName, Plan, PlanName, RegistryError};

/// What a key answers to, as `keys list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPlan {
    /// The local gateway's own plan (its `--rate`, `--burst`, `--quota`).
    Default,
    /// A named usage plan.
    Named(PlanName),
    /// Limits of the key's own (local keys file only).
    Own(String),
    /// No usage plan: API Gateway ignores such a key.
    None,
}

impl std::fmt::Display for KeyPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::Named(name) => f.write_str(name.as_str()),
            Self::Own(limits) => f.write_str(limits),
            Self::None => f.write_str("none (ignored by API Gateway)"),
        }
    }
}

/// One key, as listed: never its value.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyInfo {
    /// Its id.
    pub id: KeyId,
    /// Its name.
    pub name: KeyName,
    /// Whether it is accepted now.
    pub enabled: bool,
    /// Its plan.
    pub plan: KeyPlan,
    /// When it was made; keys files from before this was kept have none.
    pub created: Option<Timestamp>,
}

/// A key just made: its description and its value, shown only now.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// The key.
    pub key: KeyInfo,
    /// Its secret value: nothing keeps it, so it is shown once.
    pub value: String,
}

/// Which plan a new key, or a key being moved, gets.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanChoice {
    /// The target's usual one: the local gateway's default plan, or the
    /// API's usage plan when it has exactly one.
    Default,
    /// The usage plan of this name.
    Named(PlanName),
    /// Limits of the key's own: local keys file only.
    Own(Plan),
}

/// What to add.
#[derive(Debug, Clone)]
pub struct KeyRequest {
    /// The new key's name.
    pub name: KeyName,
    /// Its plan.
    pub plan: PlanChoice,
    /// Add it even when another key has the name.
    pub allow_duplicate_name: bool,
}

/// A rotation: the new key, and when the old one stops working.
#[derive(Debug, Clone)]
pub struct Rotated {
    /// The new key, with the old one's name and plan.
    pub new: NewKey,
    /// The old key.
    pub old: KeyInfo,
    /// When the old key is refused: now, or at the end of the grace period.
    pub old_disabled_at: Timestamp,
}

/// A usage plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanInfo {
    /// Its id: API Gateway's, or the keys file's.
    pub id: String,
    /// Its name.
    pub name: PlanName,
    /// Its throttle and quota.
    pub limits: Plan,
}

/// One key's requests on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayUsage {
    /// The day, UTC.
    pub day: Day,
    /// Requests counted that day.
    pub used: u64,
    /// What was left of the quota at the end of that day.
    pub remaining: u64,
}

/// One key's usage over the days asked for, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyUsage {
    /// The key.
    pub id: KeyId,
    /// Its name.
    pub name: KeyName,
    /// Each day of the range, oldest first, days without requests included.
    pub days: Vec<DayUsage>,
}

/// The days a usage report covers: `days` days up to and including `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageRange {
    /// The last day, usually today.
    pub last: Day,
    /// How many days, at least 1.
    pub days: u64,
}

impl UsageRange {
    /// The most days one report covers: API Gateway keeps usage for 90.
    pub const MAX_DAYS: u64 = 90;

    /// `days` days (1 to [`Self::MAX_DAYS`]) up to and including `last`.
    pub fn new(last: Day, days: u64) -> Result<Self, RegistryError> {
        if (1..=Self::MAX_DAYS).contains(&days) {
            Ok(Self { last, days })
        } else {
            Err(RegistryError::Invalid(format!(
                "--days must be from 1 to {}, not {days}",
                Self::MAX_DAYS
            )))
        }
    }

    /// The first day.
    pub fn first(self) -> Day {
        self.last.minus(self.days - 1)
    }

    /// Every day, oldest first.
    pub fn each(self) -> impl Iterator<Item = Day> {
        let mut day = self.first();
        (0..self.days).map(move |_| {
            let this = day;
            day = day.next();
            this
        })
    }
}

/// An API's keys and usage plans. Every call is one change or one look,
/// complete when it returns; an id that is unknown, or vanished since it was
/// listed, is [`RegistryError::NoSuchKey`].
#[async_trait]
pub trait KeyRegistry: Send + Sync {
    /// Makes an enabled key with the plan asked for.
    async fn add(&self, request: KeyRequest) -> Result<NewKey, RegistryError>;

    /// Every key, in the order they were made.
    async fn list(&self) -> Result<Vec<KeyInfo>, RegistryError>;

    /// Accepts (`true`) or refuses (`false`) a key from now on.
    async fn set_enabled(&self, id: &KeyId, enabled: bool) -> Result<KeyInfo, RegistryError>;

    /// Removes a key for good.
    async fn delete(&self, id: &KeyId) -> Result<KeyInfo, RegistryError>;

    /// Gives a key another plan.
    async fn set_plan(&self, id: &KeyId, plan: PlanChoice) -> Result<KeyInfo, RegistryError>;

    /// Makes a new key with `id`'s name and plan and disables `id`, at once
    /// or after `grace` where the target can.
    async fn rotate(&self, id: &KeyId, grace: Option<Duration>) -> Result<Rotated, RegistryError>;

    /// Requests per key and day over `range`: one key's, or every key's
    /// whose plan has a quota.
    async fn usage(
        &self,
        id: Option<&KeyId>,
        range: UsageRange,
    ) -> Result<Vec<KeyUsage>, RegistryError>;

    /// Every usage plan.
    async fn plans(&self) -> Result<Vec<PlanInfo>, RegistryError>;

    /// Makes a usage plan.
    async fn add_plan(&self, name: PlanName, limits: Plan) -> Result<PlanInfo, RegistryError>;
}
