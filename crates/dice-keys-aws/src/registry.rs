//! [`ApiGatewayRegistry`]: one REST API's keys and usage plans on API
//! Gateway. The API's plans are the usage plans with one of its stages; its
//! keys are the keys in those plans, since API Gateway ignores a key outside
//! every usage plan.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_apigateway::Client;
use aws_sdk_apigateway::types::{
    ApiKey, ApiStage, Op, PatchOperation, QuotaPeriodType, QuotaSettings, ThrottleSettings,
    UsagePlan,
};
use dice_core::Timestamp;
use dice_keys::{
    Day, DayUsage, KeyId, KeyInfo, KeyName, KeyPlan, KeyRegistry, KeyRequest, KeyUsage, NewKey,
    Period, Plan, PlanChoice, PlanInfo, PlanName, Quota, RegistryError, Rotated, Throttle,
    UsageRange,
};

use crate::errors::{failed, is_not_found};
use crate::pages;

/// The keys and plans of one REST API.
#[derive(Debug, Clone)]
pub struct ApiGatewayRegistry {
    client: Client,
    rest_api_id: String,
    default_plan_id: Option<String>,
}

/// One of the API's usage plans, as the commands need it.
#[derive(Debug, Clone)]
struct ApiPlan {
    id: String,
    name: String,
    limits: Plan,
}

impl ApiGatewayRegistry {
    /// The registry of the REST API `rest_api_id`, through `client`. Keys
    /// added without `--plan` go to `default_plan_id` when given (a stack's
    /// `UsagePlanId` output), else to the API's only plan.
    pub fn new(client: Client, rest_api_id: String, default_plan_id: Option<String>) -> Self {
        Self {
            client,
            rest_api_id,
            default_plan_id,
        }
    }

    /// The REST API's id.
    pub fn rest_api_id(&self) -> &str {
        &self.rest_api_id
    }

    /// The usage plans that have a stage of this API.
    async fn api_plans(&self, key_id: Option<&str>) -> Result<Vec<ApiPlan>, RegistryError> {
        let plans = pages::usage_plans(&self.client, key_id).await?;
        Ok(plans
            .iter()
            .filter(|plan| {
                plan.api_stages()
                    .iter()
                    .any(|stage| stage.api_id() == Some(self.rest_api_id.as_str()))
            })
            .filter_map(api_plan)
            .collect())
    }

    /// Key id to the name of the API's plan that holds it.
    async fn plan_of_each_key(
        &self,
        plans: &[ApiPlan],
    ) -> Result<HashMap<String, String>, RegistryError> {
        let mut holder = HashMap::new();
        for plan in plans {
            for key in pages::plan_keys(&self.client, &plan.id).await? {
                if let Some(id) = key.id() {
                    holder.insert(id.to_owned(), plan.name.clone());
                }
            }
        }
        Ok(holder)
    }

    /// The plan a new key, or a moved one, goes to.
    async fn chosen_plan(&self, choice: &PlanChoice) -> Result<ApiPlan, RegistryError> {
        let plans = self.api_plans(None).await?;
        match choice {
            PlanChoice::Own(_) => Err(RegistryError::Unsupported(
                "API Gateway gives keys named usage plans only: make one with `plans add`, then pass --plan NAME"
                    .to_owned(),
            )),
            PlanChoice::Named(name) => plans
                .into_iter()
                .find(|plan| plan.name == name.as_str())
                .ok_or_else(|| RegistryError::NoSuchPlan(name.to_string())),
            PlanChoice::Default => {
                if let Some(id) = &self.default_plan_id
                    && let Some(plan) = plans.iter().find(|plan| &plan.id == id)
                {
                    return Ok(plan.clone());
                }
                match plans.as_slice() {
                    [] => Err(RegistryError::NoPlan),
                    [only] => Ok(only.clone()),
                    several => Err(RegistryError::WhichPlan(
                        several
                            .iter()
                            .map(|plan| plan.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    )),
                }
            }
        }
    }

    /// The key `id`, or no such key.
    async fn key(&self, id: &KeyId) -> Result<ApiKey, RegistryError> {
        let found = self
            .client
            .get_api_key()
            .api_key(id.as_str())
            .include_value(false)
            .send()
            .await;
        match found {
            Ok(key) => Ok(ApiKey::builder()
                .set_id(key.id)
                .set_name(key.name)
                .enabled(key.enabled)
                .set_created_date(key.created_date)
                .build()),
            Err(err) if is_not_found(&err) => Err(RegistryError::NoSuchKey(id.to_string())),
            Err(err) => Err(failed("GetApiKey", err)),
        }
    }

    /// The API's plan that holds `id`, if any.
    async fn plan_holding(&self, id: &KeyId) -> Result<Option<ApiPlan>, RegistryError> {
        Ok(self.api_plans(Some(id.as_str())).await?.into_iter().next())
    }

    /// Makes a key named `name` in `plan`; no key is left behind when the
    /// plan refuses it.
    async fn create_in(&self, name: &str, plan: &ApiPlan) -> Result<NewKey, RegistryError> {
        let created = self
            .client
            .create_api_key()
            .name(name)
            .enabled(true)
            .send()
            .await
            .map_err(|err| failed("CreateApiKey", err))?;
        let (Some(id), Some(value)) = (created.id.clone(), created.value.clone()) else {
            return Err(RegistryError::Target(
                "CreateApiKey answered without the key's id or value".to_owned(),
            ));
        };
        if let Err(err) = self.attach(&id, plan).await {
            // Best effort: the error that matters is the attach's.
            let _ = self.client.delete_api_key().api_key(&id).send().await;
            return Err(err);
        }
        Ok(NewKey {
            key: KeyInfo {
                id: KeyId::parse(&id)?,
                name: KeyName::parse(created.name().unwrap_or(name))?,
                enabled: created.enabled,
                plan: KeyPlan::Named(PlanName::parse(&plan.name)?),
                created: created.created_date.and_then(timestamp),
            },
            value,
        })
    }

    async fn attach(&self, key_id: &str, plan: &ApiPlan) -> Result<(), RegistryError> {
        self.client
            .create_usage_plan_key()
            .usage_plan_id(&plan.id)
            .key_id(key_id)
            .key_type("API_KEY")
            .send()
            .await
            .map_err(|err| failed("CreateUsagePlanKey", err))?;
        Ok(())
    }

    async fn detach(&self, key_id: &KeyId, plan: &ApiPlan) -> Result<(), RegistryError> {
        match self
            .client
            .delete_usage_plan_key()
            .usage_plan_id(&plan.id)
            .key_id(key_id.as_str())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) if is_not_found(&err) => Ok(()),
            Err(err) => Err(failed("DeleteUsagePlanKey", err)),
        }
    }

    async fn patch_enabled(&self, id: &KeyId, enabled: bool) -> Result<ApiKey, RegistryError> {
        let patch = PatchOperation::builder()
            .op(Op::Replace)
            .path("/enabled")
            .value(enabled.to_string())
            .build();
        match self
            .client
            .update_api_key()
            .api_key(id.as_str())
            .patch_operations(patch)
            .send()
            .await
        {
            Ok(key) => Ok(ApiKey::builder()
                .set_id(key.id)
                .set_name(key.name)
                .enabled(key.enabled)
                .set_created_date(key.created_date)
                .build()),
            Err(err) if is_not_found(&err) => Err(RegistryError::NoSuchKey(id.to_string())),
            Err(err) => Err(failed("UpdateApiKey", err)),
        }
    }

    /// Usage of `keys` (id and name) in `plan` over `range`, by GetUsage.
    async fn plan_usage(
        &self,
        plan: &ApiPlan,
        quota: &Quota,
        key: Option<&KeyId>,
        names: &HashMap<String, String>,
        range: UsageRange,
    ) -> Result<Vec<KeyUsage>, RegistryError> {
        let mut values: HashMap<String, Vec<Vec<i64>>> = HashMap::new();
        let mut position: Option<String> = None;
        loop {
            let page = self
                .client
                .get_usage()
                .usage_plan_id(&plan.id)
                .set_key_id(key.map(|k| k.to_string()))
                .start_date(range.first().to_string())
                .end_date(range.last.to_string())
                .set_position(position.clone())
                .send()
                .await
                .map_err(|err| failed("GetUsage", err))?;
            for (id, days) in page.items().into_iter().flatten() {
                values
                    .entry(id.clone())
                    .or_default()
                    .extend(days.iter().cloned());
            }
            match page.position() {
                Some(next) if !next.is_empty() && Some(next) != position.as_deref() => {
                    position = Some(next.to_owned());
                }
                _ => break,
            }
        }
        let ids: Vec<String> = match key {
            Some(key) => vec![key.to_string()],
            None => names.keys().cloned().collect(),
        };
        let mut report = Vec::new();
        for id in ids {
            let days = values.get(&id).map_or(&[][..], Vec::as_slice);
            report.push(KeyUsage {
                id: KeyId::parse(&id)?,
                name: KeyName::parse(names.get(&id).map_or(id.as_str(), String::as_str))?,
                days: range
                    .each()
                    .enumerate()
                    .map(|(index, day)| day_usage(day, days.get(index), quota))
                    .collect(),
            });
        }
        Ok(report)
    }
}

/// One day of GetUsage's `[used, remaining]` pairs; a day it left out had
/// no requests.
fn day_usage(day: Day, pair: Option<&Vec<i64>>, quota: &Quota) -> DayUsage {
    let number = |index: usize| {
        pair.and_then(|pair| pair.get(index))
            .and_then(|n| u64::try_from(*n).ok())
    };
    DayUsage {
        day,
        used: number(0).unwrap_or(0),
        remaining: number(1).unwrap_or(quota.limit),
    }
}

/// A plan's id, name and limits; `None` for a plan without id or name.
fn api_plan(plan: &UsagePlan) -> Option<ApiPlan> {
    let throttle = plan.throttle().and_then(|t| {
        let burst = u32::try_from(t.burst_limit()).ok()?;
        Throttle::new(t.rate_limit(), burst).ok()
    });
    let quota = plan.quota().and_then(|q| {
        let period = Period::from_aws_name(q.period()?.as_str())?;
        Quota::new(u64::try_from(q.limit()).ok()?, period).ok()
    });
    Some(ApiPlan {
        id: plan.id()?.to_owned(),
        name: plan.name()?.to_owned(),
        limits: Plan { throttle, quota },
    })
}

fn timestamp(at: aws_sdk_apigateway::primitives::DateTime) -> Option<Timestamp> {
    Timestamp::from_unix_seconds(u64::try_from(at.secs()).ok()?)
}

/// A key as listed, in `plan` (or none).
fn key_info(key: &ApiKey, plan: Option<&str>) -> Result<KeyInfo, RegistryError> {
    let id = key.id().unwrap_or_default();
    Ok(KeyInfo {
        id: KeyId::parse(id)?,
        name: KeyName::parse(key.name().unwrap_or(id))?,
        enabled: key.enabled(),
        plan: match plan {
            Some(name) => KeyPlan::Named(PlanName::parse(name)?),
            None => KeyPlan::None,
        },
        created: key.created_date().copied().and_then(timestamp),
    })
}

fn plan_info(plan: &ApiPlan) -> Result<PlanInfo, RegistryError> {
    Ok(PlanInfo {
        id: plan.id.clone(),
        name: PlanName::parse(&plan.name)?,
        limits: plan.limits,
    })
}

fn too_large(what: &str) -> RegistryError {
    RegistryError::Invalid(format!(
        "{what} is over API Gateway's limit of {}",
        i32::MAX
    ))
}

#[async_trait]
impl KeyRegistry for ApiGatewayRegistry {
    async fn add(&self, request: KeyRequest) -> Result<NewKey, RegistryError> {
        let plan = self.chosen_plan(&request.plan).await?;
        if !request.allow_duplicate_name {
            for plan in self.api_plans(None).await? {
                let holder = pages::plan_keys(&self.client, &plan.id).await?;
                if let Some(other) = holder
                    .iter()
                    .find(|key| key.name() == Some(request.name.as_str()))
                {
                    return Err(RegistryError::DuplicateName {
                        name: request.name.to_string(),
                        id: other.id().unwrap_or_default().to_owned(),
                    });
                }
            }
        }
        self.create_in(request.name.as_str(), &plan).await
    }

    async fn list(&self) -> Result<Vec<KeyInfo>, RegistryError> {
        let plans = self.api_plans(None).await?;
        let holder = self.plan_of_each_key(&plans).await?;
        let mut keys: Vec<ApiKey> = pages::api_keys(&self.client)
            .await?
            .into_iter()
            .filter(|key| key.id().is_some_and(|id| holder.contains_key(id)))
            .collect();
        keys.sort_by_key(|key| {
            (
                key.created_date().map(|d| d.secs()),
                key.id().map(str::to_owned),
            )
        });
        keys.iter()
            .map(|key| {
                key_info(
                    key,
                    key.id().and_then(|id| holder.get(id)).map(String::as_str),
                )
            })
            .collect()
    }

    async fn set_enabled(&self, id: &KeyId, enabled: bool) -> Result<KeyInfo, RegistryError> {
        let key = self.patch_enabled(id, enabled).await?;
        let plan = self.plan_holding(id).await?;
        key_info(&key, plan.as_ref().map(|p| p.name.as_str()))
    }

    async fn delete(&self, id: &KeyId) -> Result<KeyInfo, RegistryError> {
        let key = self.key(id).await?;
        let plan = self.plan_holding(id).await?;
        match self
            .client
            .delete_api_key()
            .api_key(id.as_str())
            .send()
            .await
        {
            Ok(_) => key_info(&key, plan.as_ref().map(|p| p.name.as_str())),
            Err(err) if is_not_found(&err) => Err(RegistryError::NoSuchKey(id.to_string())),
            Err(err) => Err(failed("DeleteApiKey", err)),
        }
    }

    async fn set_plan(&self, id: &KeyId, choice: PlanChoice) -> Result<KeyInfo, RegistryError> {
        let target = self.chosen_plan(&choice).await?;
        let key = self.key(id).await?;
        // A key may be in one plan per stage: leave the old plans first.
        let current = self.api_plans(Some(id.as_str())).await?;
        for plan in current.iter().filter(|plan| plan.id != target.id) {
            self.detach(id, plan).await?;
        }
        if !current.iter().any(|plan| plan.id == target.id)
            && let Err(err) = self.attach(id.as_str(), &target).await
        {
            // Put the key back where it was, so it is not left in no plan.
            for plan in &current {
                let _ = self.attach(id.as_str(), plan).await;
            }
            return Err(err);
        }
        key_info(&key, Some(&target.name))
    }

    async fn rotate(&self, id: &KeyId, grace: Option<Duration>) -> Result<Rotated, RegistryError> {
        if grace.is_some() {
            return Err(RegistryError::Unsupported(format!(
                "API Gateway cannot disable a key later: rotate without --grace, then run `keys disable {id}` once its clients have the new key"
            )));
        }
        let old = self.key(id).await?;
        let plan = self
            .plan_holding(id)
            .await?
            .ok_or_else(|| RegistryError::NotInPlan(id.to_string()))?;
        let name = old.name().unwrap_or(id.as_str()).to_owned();
        let new = self.create_in(&name, &plan).await?;
        let disabled = self.patch_enabled(id, false).await?;
        Ok(Rotated {
            new,
            old: key_info(&disabled, Some(&plan.name))?,
            old_disabled_at: Timestamp::now().unwrap_or(Timestamp::UNIX_EPOCH),
        })
    }

    async fn usage(
        &self,
        id: Option<&KeyId>,
        range: UsageRange,
    ) -> Result<Vec<KeyUsage>, RegistryError> {
        if let Some(id) = id {
            let key = self.key(id).await?;
            let plan = self
                .plan_holding(id)
                .await?
                .ok_or_else(|| RegistryError::NotInPlan(id.to_string()))?;
            let Some(quota) = plan.limits.quota else {
                return Err(RegistryError::NoQuota {
                    id: id.to_string(),
                    plan: plan.name,
                });
            };
            let names =
                HashMap::from([(id.to_string(), key.name().unwrap_or(id.as_str()).to_owned())]);
            return self
                .plan_usage(&plan, &quota, Some(id), &names, range)
                .await;
        }
        let mut report = Vec::new();
        for plan in self.api_plans(None).await? {
            let Some(quota) = plan.limits.quota else {
                continue;
            };
            let names: HashMap<String, String> = pages::plan_keys(&self.client, &plan.id)
                .await?
                .iter()
                .filter_map(|key| {
                    let id = key.id()?.to_owned();
                    let name = key.name().unwrap_or(&id).to_owned();
                    Some((id, name))
                })
                .collect();
            report.extend(self.plan_usage(&plan, &quota, None, &names, range).await?);
        }
        report.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        Ok(report)
    }

    async fn plans(&self) -> Result<Vec<PlanInfo>, RegistryError> {
        self.api_plans(None).await?.iter().map(plan_info).collect()
    }

    async fn add_plan(&self, name: PlanName, limits: Plan) -> Result<PlanInfo, RegistryError> {
        if self
            .api_plans(None)
            .await?
            .iter()
            .any(|plan| plan.name == name.as_str())
        {
            return Err(RegistryError::DuplicatePlan(name.to_string()));
        }
        let throttle = match limits.throttle {
            Some(t) => Some(
                ThrottleSettings::builder()
                    .rate_limit(t.rate)
                    .burst_limit(i32::try_from(t.burst).map_err(|_| too_large("--burst"))?)
                    .build(),
            ),
            None => None,
        };
        let quota = match limits.quota {
            Some(q) => Some(
                QuotaSettings::builder()
                    .limit(i32::try_from(q.limit).map_err(|_| too_large("--quota"))?)
                    .period(QuotaPeriodType::from(q.period.aws_name()))
                    .build(),
            ),
            None => None,
        };
        let stages = self
            .client
            .get_stages()
            .rest_api_id(&self.rest_api_id)
            .send()
            .await
            .map_err(|err| failed("GetStages", err))?;
        let stages: Vec<ApiStage> = stages
            .item()
            .iter()
            .filter_map(|stage| stage.stage_name())
            .map(|stage| {
                ApiStage::builder()
                    .api_id(&self.rest_api_id)
                    .stage(stage)
                    .build()
            })
            .collect();
        if stages.is_empty() {
            return Err(RegistryError::Target(format!(
                "the API {} has no stage for a plan to cover; deploy it first",
                self.rest_api_id
            )));
        }
        let made = self
            .client
            .create_usage_plan()
            .name(name.as_str())
            .set_api_stages(Some(stages))
            .set_throttle(throttle)
            .set_quota(quota)
            .send()
            .await
            .map_err(|err| failed("CreateUsagePlan", err))?;
        Ok(PlanInfo {
            id: made.id.unwrap_or_default(),
            name,
            limits,
        })
    }
}
