//! API keys and usage plans for the dice API, whichever the target.
//!
//! - [`KeyRegistry`]: the port, async and usable as `&dyn KeyRegistry`: add,
//!   list, disable, enable, delete, rotate keys, move them between plans,
//!   report their usage, list and add plans.
//! - [`LocalRegistry`]: the keys file `dice-local` serves from ([`file`](mod@file)),
//!   with the usage counters it keeps beside it ([`counters`]).
//!   `dice-keys-aws` holds the other one, a deployed API's API Gateway.
//! - [`commands`] (feature `cli`): the `keys` and `plans` commands and their
//!   output, the same for every target.
//! - [`testkit`] (feature `testkit`): the conformance suite both registries
//!   run.
//!
//! Nothing here links the AWS SDK, so `dice-local` can use all of it.

#[cfg(feature = "cli")]
pub mod commands;
pub mod counters;
mod day;
mod error;
pub mod file;
mod local;
mod names;
mod plan;
mod registry;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use day::Day;
pub use error::RegistryError;
pub use local::LocalRegistry;
pub use names::{KeyId, KeyName, MAX_NAME_CHARS, PlanName};
pub use plan::{Period, Plan, Quota, Throttle};
pub use registry::{
    DayUsage, KeyInfo, KeyPlan, KeyRegistry, KeyRequest, KeyUsage, NewKey, PlanChoice, PlanInfo,
    Rotated, UsageRange,
};
