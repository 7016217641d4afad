//! The key registry conformance suite on API Gateway, as moto emulates it,
//! with the stand-in for paging and GetUsage.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use async_trait::async_trait;
use dice_keys::testkit::{Behaviour, Target};
use dice_keys::{Day, KeyId, KeyRegistry};
use dice_keys_aws::ApiGatewayRegistry;

/// A REST API of its own, with no plans and no keys.
struct AwsTarget {
    rest_api_id: String,
    registry: ApiGatewayRegistry,
}

impl AwsTarget {
    async fn fresh(name: &str) -> Self {
        let client = support::client();
        let rest_api_id = support::fresh_api(&client, name).await;
        let registry = ApiGatewayRegistry::new(client, rest_api_id.clone(), None);
        Self {
            rest_api_id,
            registry,
        }
    }
}

#[async_trait]
impl Target for AwsTarget {
    fn registry(&self) -> &dyn KeyRegistry {
        &self.registry
    }

    async fn other(&self) -> Box<dyn KeyRegistry> {
        Box::new(ApiGatewayRegistry::new(
            support::client(),
            self.rest_api_id.clone(),
            None,
        ))
    }

    async fn record_requests(&self, id: &KeyId, day: Day, count: u64) {
        support::stand_in().record(id.as_str(), day, count);
    }
}

async fn check(behaviour: Behaviour) {
    let target = AwsTarget::fresh(behaviour.name).await;
    behaviour.run(&target).await;
}

dice_keys::conformance_tests!(
    #[tokio::test]
    check
);
