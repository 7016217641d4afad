//! The `keys` and `plans` commands (feature `cli`): their arguments, what
//! each asks of a [`KeyRegistry`], and what each prints. Every target runs
//! these same commands, so the verbs, flags and output are the same on the
//! local keys file and on API Gateway.
//!
//! Exit statuses: 2 for a usage error (a malformed argument, or something
//! the target cannot do), 1 for a failure of the target.

mod output;

use std::io::Write;
use std::time::Duration;

use clap::{ArgGroup, Args, Subcommand};
use dice_core::ConfigError;

use crate::{
    Day, KeyId, KeyName, KeyRegistry, KeyRequest, Period, Plan, PlanChoice, PlanName, Quota,
    RegistryError, Throttle, UsageRange,
};

/// A change to, or a look at, the keys.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a key and print its value, the only time it is shown.
    Add {
        /// A name for people, such as who holds the key; one key per name.
        #[arg(long)]
        name: String,
        /// Add the key even if another already has this name.
        #[arg(long)]
        allow_duplicate_name: bool,
        /// The usage plan to put the key in (`plans list` shows them).
        #[arg(long, conflicts_with_all = ["rate", "burst", "quota"])]
        plan: Option<String>,
        /// Limits of the key's own, instead of a named plan (local only).
        #[command(flatten)]
        limits: PlanArgs,
    },
    /// List keys: id, state, name, when made, and plan (never values).
    List,
    /// Refuse a key until it is enabled again.
    Disable {
        /// The key's id.
        id: String,
    },
    /// Accept a disabled key again.
    Enable {
        /// The key's id.
        id: String,
    },
    /// Remove a key for good.
    Delete {
        /// The key's id.
        id: String,
    },
    /// Replace a key's usage plan; its value stays the same.
    #[command(group(
        ArgGroup::new("new_plan")
            .required(true)
            .multiple(true)
            .args(["plan", "rate", "quota", "default"])
    ))]
    SetPlan {
        /// The key's id.
        id: String,
        /// The usage plan to move the key to.
        #[arg(long, conflicts_with_all = ["rate", "burst", "quota", "default"])]
        plan: Option<String>,
        /// Limits of the key's own, whole: limits not given are not kept (local only).
        #[command(flatten)]
        limits: PlanArgs,
        /// Use the serving gateway's plan (its --rate, --burst, --quota) instead (local only).
        #[arg(long, conflicts_with_all = ["rate", "burst", "quota"])]
        default: bool,
    },
    /// Make a new key with the same name and plan, print its value once, and
    /// disable the old one.
    Rotate {
        /// The key's id.
        id: String,
        /// Seconds the old key keeps working, so clients can move (local only).
        #[arg(long, value_parser = grace)]
        grace: Option<Duration>,
    },
    /// Requests per key and day, and what the quota had left: one key's, or
    /// every key's whose plan has a quota.
    Usage {
        /// The key's id; all keys without it.
        id: Option<String>,
        /// Days to show, up to today (UTC).
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=UsageRange::MAX_DAYS))]
        days: u64,
    },
}

/// A change to, or a look at, the usage plans.
#[derive(Debug, Subcommand)]
pub enum PlansCommand {
    /// List usage plans: id, name, limits.
    List,
    /// Add a usage plan.
    #[command(group(
        ArgGroup::new("limits")
            .required(true)
            .multiple(true)
            .args(["rate", "quota"])
    ))]
    Add {
        /// The plan's name, unique.
        #[arg(long)]
        name: String,
        /// Its throttle and quota.
        #[command(flatten)]
        limits: PlanArgs,
    },
}

/// A usage plan's limits given on the command line.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Throttle: steady requests per second per key (needs --burst).
    #[arg(long, requires = "burst", allow_negative_numbers = true, value_parser = rate)]
    pub rate: Option<f64>,
    /// Throttle: requests a key may send at once (needs --rate).
    #[arg(long, requires = "rate", value_parser = clap::value_parser!(u32).range(1..))]
    pub burst: Option<u32>,
    /// Quota: requests per key per --quota-period.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub quota: Option<u64>,
    /// The quota's period: day, week or month (needs --quota).
    #[arg(long, default_value = "day", requires = "quota")]
    pub quota_period: Period,
}

impl PlanArgs {
    /// The plan the flags describe; `None` when they set no limit.
    pub fn plan(&self) -> Result<Option<Plan>, ConfigError> {
        let throttle = match self.rate.zip(self.burst) {
            Some((rate, burst)) => Some(Throttle::new(rate, burst)?),
            None => None,
        };
        let quota = match self.quota {
            Some(limit) => Some(Quota::new(limit, self.quota_period)?),
            None => None,
        };
        Ok((throttle.is_some() || quota.is_some()).then_some(Plan { throttle, quota }))
    }
}

/// A `--rate`: requests per second, a finite number above 0.
fn rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text.parse().map_err(|_| "must be a number".to_owned())?;
    Throttle::new(rate, 1)
        .map(|t| t.rate)
        .map_err(|err| err.problem)
}

/// A `--grace`: whole seconds from 1 to 30 days.
fn grace(text: &str) -> Result<Duration, String> {
    match text.parse::<u64>() {
        Ok(secs @ 1..=2_592_000) => Ok(Duration::from_secs(secs)),
        _ => Err("must be a whole number of seconds from 1 to 2592000 (30 days)".to_owned()),
    }
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The registry refused or failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

impl CommandError {
    /// 2 for a usage error, 1 for a failure of the target or the output.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Registry(err) if err.is_usage() => 2,
            _ => 1,
        }
    }
}

impl From<ConfigError> for CommandError {
    fn from(err: ConfigError) -> Self {
        Self::Registry(RegistryError::Invalid(err.to_string()))
    }
}

/// The plan a key gets from `--plan`, its own limits, or `--default`.
fn choice(
    plan: Option<String>,
    limits: &PlanArgs,
    default: bool,
) -> Result<PlanChoice, CommandError> {
    if let Some(name) = plan {
        return Ok(PlanChoice::Named(PlanName::parse(&name)?));
    }
    Ok(match limits.plan()? {
        Some(own) if !default => PlanChoice::Own(own),
        _ => PlanChoice::Default,
    })
}

/// Runs a `keys` command on `registry`; what a person reads goes to `out`,
/// once the change is made.
pub async fn run_keys(
    registry: &dyn KeyRegistry,
    command: KeysCommand,
    out: &mut dyn Write,
) -> Result<(), CommandError> {
    match command {
        KeysCommand::Add {
            name,
            allow_duplicate_name,
            plan,
            limits,
        } => {
            let request = KeyRequest {
                name: KeyName::parse(&name)?,
                plan: choice(plan, &limits, false)?,
                allow_duplicate_name,
            };
            output::added(out, &registry.add(request).await?)?;
        }
        KeysCommand::List => output::list(out, &registry.list().await?)?,
        KeysCommand::Disable { id } => {
            let key = registry.set_enabled(&KeyId::parse(&id)?, false).await?;
            output::done(out, "disabled", &key)?;
        }
        KeysCommand::Enable { id } => {
            let key = registry.set_enabled(&KeyId::parse(&id)?, true).await?;
            output::done(out, "enabled", &key)?;
        }
        KeysCommand::Delete { id } => {
            let key = registry.delete(&KeyId::parse(&id)?).await?;
            output::done(out, "deleted", &key)?;
        }
        KeysCommand::SetPlan {
            id,
            plan,
            limits,
            default,
        } => {
            let choice = choice(plan, &limits, default)?;
            let key = registry.set_plan(&KeyId::parse(&id)?, choice).await?;
            output::moved(out, &key)?;
        }
        KeysCommand::Rotate { id, grace } => {
            output::rotated(out, &registry.rotate(&KeyId::parse(&id)?, grace).await?)?;
        }
        KeysCommand::Usage { id, days } => {
            let id = id.as_deref().map(KeyId::parse).transpose()?;
            let range = UsageRange::new(Day::today(), days)?;
            output::usage(out, &registry.usage(id.as_ref(), range).await?)?;
        }
    }
    Ok(())
}

/// Runs a `plans` command on `registry`.
pub async fn run_plans(
    registry: &dyn KeyRegistry,
    command: PlansCommand,
    out: &mut dyn Write,
) -> Result<(), CommandError> {
    match command {
        PlansCommand::List => output::plans(out, &registry.plans().await?)?,
        PlansCommand::Add { name, limits } => {
            let limits = limits.plan()?.unwrap_or_default();
            let plan = registry.add_plan(PlanName::parse(&name)?, limits).await?;
            output::plan_added(out, &plan)?;
        }
    }
    Ok(())
}
