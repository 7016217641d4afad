//! [`LocalRegistry`]: the keys file (and the usage counters beside it) as a
//! [`KeyRegistry`]. Each change is one [`KeysFile::change`], so commands
//! run side by side, in threads or processes, lose nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use dice_core::Timestamp;

use crate::counters::{Counters, counters_path};
use crate::file::{self, KeyRecord, KeysFile, PlanRecord};
use crate::{
    KeyId, KeyInfo, KeyName, KeyPlan, KeyRegistry, KeyRequest, KeyUsage, NewKey, Plan, PlanChoice,
    PlanInfo, PlanName, RegistryError, Rotated, UsageRange,
};

/// The keys in the keys file at a path.
#[derive(Debug, Clone)]
pub struct LocalRegistry {
    path: PathBuf,
}

impl LocalRegistry {
    /// The registry of the keys file at `path` (made on the first change).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The keys file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on a blocking thread: the file lock may be waited for,
    /// and two calls awaited together then truly run at once.
    async fn blocking<T, F>(&self, work: F) -> Result<T, RegistryError>
    where
        T: Send + 'static,
        F: FnOnce(&Path) -> Result<T, RegistryError> + Send + 'static,
    {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            file::require_directory(&path)?;
            work(&path)
        })
        .await
        .map_err(|err| RegistryError::Target(format!("a keys command stopped: {err}")))?
    }
}

fn load(path: &Path) -> Result<KeysFile, RegistryError> {
    KeysFile::load(path).map_err(RegistryError::from)
}

/// How a record is shown.
fn info(file: &KeysFile, key: &KeyRecord, now: Timestamp) -> KeyInfo {
    let plan = match (&key.usage_plan, &key.plan) {
        (Some(id), _) => match file.plan(id) {
            Some(plan) => KeyPlan::Named(PlanName::from_stored(&plan.name)),
            None => KeyPlan::Own(format!("plan {id}, which the file does not hold")),
        },
        (None, Some(plan)) => KeyPlan::Own(plan.describe()),
        (None, None) => KeyPlan::Default,
    };
    KeyInfo {
        id: KeyId::from_stored(&key.id),
        name: KeyName::from_stored(&key.name),
        enabled: key.accepted_at(now),
        plan,
        created: key.created,
    }
}

fn now() -> Timestamp {
    Timestamp::now().unwrap_or(Timestamp::UNIX_EPOCH)
}

fn record<'a>(file: &'a mut KeysFile, id: &KeyId) -> Result<&'a mut KeyRecord, RegistryError> {
    file.get_mut(id.as_str()).map_err(RegistryError::from)
}

/// A key's own limits and named plan id, as `choice` says.
fn resolve(
    file: &KeysFile,
    choice: &PlanChoice,
) -> Result<(Option<Plan>, Option<String>), RegistryError> {
    match choice {
        PlanChoice::Default => Ok((None, None)),
        PlanChoice::Own(plan) => Ok((Some(*plan), None)),
        PlanChoice::Named(name) => file
            .plans
            .iter()
            .find(|plan| plan.name == name.as_str())
            .map(|plan| (None, Some(plan.id.clone())))
            .ok_or_else(|| RegistryError::NoSuchPlan(name.to_string())),
    }
}

fn plan_info(plan: &PlanRecord) -> PlanInfo {
    PlanInfo {
        id: plan.id.clone(),
        name: PlanName::from_stored(&plan.name),
        limits: plan.limits,
    }
}

#[async_trait]
impl KeyRegistry for LocalRegistry {
    async fn add(&self, request: KeyRequest) -> Result<NewKey, RegistryError> {
        self.blocking(move |path| {
            KeysFile::change(path, |file| {
                let name = request.name.as_str();
                if let Some(other) = file.named(name).filter(|_| !request.allow_duplicate_name) {
                    return Err(RegistryError::DuplicateName {
                        name: name.to_owned(),
                        id: other.id.clone(),
                    });
                }
                let (own, named) = resolve(file, &request.plan)?;
                let (record, value) = file.add_to(name, own, named)?;
                Ok(NewKey {
                    key: info(file, &record, now()),
                    value,
                })
            })
        })
        .await
    }

    async fn list(&self) -> Result<Vec<KeyInfo>, RegistryError> {
        self.blocking(|path| {
            let file = load(path)?;
            let now = now();
            Ok(file.keys.iter().map(|key| info(&file, key, now)).collect())
        })
        .await
    }

    async fn set_enabled(&self, id: &KeyId, enabled: bool) -> Result<KeyInfo, RegistryError> {
        let id = id.clone();
        self.blocking(move |path| {
            KeysFile::change(path, |file| {
                let key = record(file, &id)?;
                key.enabled = enabled;
                key.disable_at = None;
                let key = key.clone();
                Ok(info(file, &key, now()))
            })
        })
        .await
    }

    async fn delete(&self, id: &KeyId) -> Result<KeyInfo, RegistryError> {
        let id = id.clone();
        self.blocking(move |path| {
            KeysFile::change(path, |file| {
                let key = file.delete(id.as_str())?;
                Ok(info(file, &key, now()))
            })
        })
        .await
    }

    async fn set_plan(&self, id: &KeyId, plan: PlanChoice) -> Result<KeyInfo, RegistryError> {
        let id = id.clone();
        self.blocking(move |path| {
            KeysFile::change(path, |file| {
                let (own, named) = resolve(file, &plan)?;
                let key = record(file, &id)?;
                key.plan = own;
                key.usage_plan = named;
                let key = key.clone();
                Ok(info(file, &key, now()))
            })
        })
        .await
    }

    async fn rotate(&self, id: &KeyId, grace: Option<Duration>) -> Result<Rotated, RegistryError> {
        let id = id.clone();
        self.blocking(move |path| {
            KeysFile::change(path, |file| {
                let now = now();
                let old = record(file, &id)?.clone();
                let (new, value) = file.add_to(&old.name, old.plan, old.usage_plan.clone())?;
                let until = grace
                    .and_then(|grace| {
                        Timestamp::from_unix_seconds(now.unix_seconds() + grace.as_secs())
                    })
                    .filter(|until| *until > now);
                let old_key = record(file, &id)?;
                match until {
                    Some(until) => old_key.disable_at = Some(until),
                    None => {
                        old_key.enabled = false;
                        old_key.disable_at = None;
                    }
                }
                let old_key = old_key.clone();
                Ok(Rotated {
                    new: NewKey {
                        key: info(file, &new, now),
                        value,
                    },
                    old: info(file, &old_key, now),
                    old_disabled_at: until.unwrap_or(now),
                })
            })
        })
        .await
    }

    async fn usage(
        &self,
        id: Option<&KeyId>,
        range: UsageRange,
    ) -> Result<Vec<KeyUsage>, RegistryError> {
        let id = id.cloned();
        self.blocking(move |path| {
            let file = load(path)?;
            let counters = Counters::load(&counters_path(path))?;
            let keys: Vec<&KeyRecord> = match &id {
                Some(id) => vec![
                    file.keys
                        .iter()
                        .find(|key| key.id == id.as_str())
                        .ok_or_else(|| RegistryError::NoSuchKey(id.to_string()))?,
                ],
                None => file.keys.iter().collect(),
            };
            let mut report = Vec::new();
            for key in keys {
                let limits = file.limits_of(key).or(counters.default_plan);
                let Some(quota) = limits.and_then(|plan| plan.quota) else {
                    if id.is_some() {
                        return Err(RegistryError::NoQuota {
                            id: key.id.clone(),
                            plan: info(&file, key, now()).plan.to_string(),
                        });
                    }
                    continue;
                };
                report.push(KeyUsage {
                    id: KeyId::from_stored(&key.id),
                    name: KeyName::from_stored(&key.name),
                    days: counters.usage(&key.id, &quota, range),
                });
            }
            Ok(report)
        })
        .await
    }

    async fn plans(&self) -> Result<Vec<PlanInfo>, RegistryError> {
        self.blocking(|path| Ok(load(path)?.plans.iter().map(plan_info).collect()))
            .await
    }

    async fn add_plan(&self, name: PlanName, limits: Plan) -> Result<PlanInfo, RegistryError> {
        self.blocking(move |path| {
            KeysFile::change(path, |file| {
                if file.plans.iter().any(|plan| plan.name == name.as_str()) {
                    return Err(RegistryError::DuplicatePlan(name.to_string()));
                }
                let id = loop {
                    let id = file::random_token(6)?;
                    if file.plan(&id).is_none() {
                        break id;
                    }
                };
                let plan = PlanRecord {
                    id,
                    name: name.to_string(),
                    limits,
                };
                file.plans.push(plan.clone());
                Ok(plan_info(&plan))
            })
        })
        .await
    }
}
