//! The lists API Gateway answers a page at a time (25 items unless asked
//! otherwise), read to the end by following `position`.

use aws_sdk_apigateway::Client;
use aws_sdk_apigateway::types::{ApiKey, UsagePlan, UsagePlanKey};
use dice_keys::RegistryError;

use crate::errors::failed;

/// Reads pages until one comes without a `position`, refusing a position
/// that repeats (an answer that would loop forever).
macro_rules! read_all {
    ($operation:literal, |$position:ident| $request:expr) => {{
        let mut items = Vec::new();
        let mut $position: Option<String> = None;
        loop {
            let page = $request
                .send()
                .await
                .map_err(|err| failed($operation, err))?;
            items.extend(page.items().iter().cloned());
            match page.position() {
                Some(next) if Some(next) != $position.as_deref() && !next.is_empty() => {
                    $position = Some(next.to_owned());
                }
                Some(next) if Some(next) == $position.as_deref() => {
                    return Err(RegistryError::Target(format!(
                        "{} answered the same page position twice ({next}); try again",
                        $operation
                    )));
                }
                _ => break,
            }
        }
        items
    }};
}

/// Every API key of the account and region; never their values.
pub(crate) async fn api_keys(client: &Client) -> Result<Vec<ApiKey>, RegistryError> {
    Ok(read_all!("GetApiKeys", |position| client
        .get_api_keys()
        .include_values(false)
        .set_position(position.clone())))
}

/// Every usage plan of the account and region, or those holding `key_id`.
pub(crate) async fn usage_plans(
    client: &Client,
    key_id: Option<&str>,
) -> Result<Vec<UsagePlan>, RegistryError> {
    Ok(read_all!("GetUsagePlans", |position| client
        .get_usage_plans()
        .set_key_id(key_id.map(str::to_owned))
        .set_position(position.clone())))
}

/// Every key of a usage plan.
pub(crate) async fn plan_keys(
    client: &Client,
    plan_id: &str,
) -> Result<Vec<UsagePlanKey>, RegistryError> {
    Ok(read_all!("GetUsagePlanKeys", |position| client
        .get_usage_plan_keys()
        .usage_plan_id(plan_id)
        .set_position(position.clone())))
}
