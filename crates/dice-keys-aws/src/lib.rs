//! The dice API's keys and usage plans on a deployed API Gateway, through
//! the AWS SDK for Rust: [`ApiGatewayRegistry`], the other
//! [`KeyRegistry`](dice_keys::KeyRegistry) beside the local keys file, held
//! to the same conformance suite, and the `dice-keys` binary that runs the
//! same `keys` and `plans` commands as `dice-local` against it.
//!
//! A crate of its own so that `bootstrap` and `dice-local` never link the
//! SDK. HTTPS is rustls on ring; the SDK's default features (aws-lc, SSO)
//! are off.
//!
//! API Gateway operations each command calls:
//!
//! | command | operations |
//! |---|---|
//! | (every command) | GetRestApi; with `--stack`, DescribeStacks (and DescribeStackResources without a `RestApiId` output) |
//! | `keys add` | GetUsagePlans, GetUsagePlanKeys (duplicate names), CreateApiKey, CreateUsagePlanKey (DeleteApiKey if that fails) |
//! | `keys list` | GetUsagePlans, GetUsagePlanKeys, GetApiKeys |
//! | `keys disable`, `enable` | UpdateApiKey, GetUsagePlans (keyId) |
//! | `keys delete` | GetApiKey, GetUsagePlans (keyId), DeleteApiKey |
//! | `keys set-plan` | GetUsagePlans, GetApiKey, DeleteUsagePlanKey, CreateUsagePlanKey |
//! | `keys rotate` | GetApiKey, GetUsagePlans (keyId), CreateApiKey, CreateUsagePlanKey, UpdateApiKey |
//! | `keys usage ID` | GetApiKey, GetUsagePlans (keyId), GetUsage |
//! | `keys usage` | GetUsagePlans, GetUsagePlanKeys, GetUsage |
//! | `plans list` | GetUsagePlans |
//! | `plans add` | GetUsagePlans, GetStages, CreateUsagePlan |
//!
//! Every list is read page by page (`position`) to its end.

mod connect;
mod errors;
mod pages;
mod registry;

pub use connect::{AwsOptions, Target, connect, load_config};
pub use registry::ApiGatewayRegistry;
