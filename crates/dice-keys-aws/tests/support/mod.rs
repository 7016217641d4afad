//! What the tests of dice-keys-aws share: moto on loopback, the stand-in in
//! front of it, SDK clients with dummy credentials, and fresh APIs.
#![allow(dead_code)] // each test binary uses part of it
#![allow(unreachable_pub)] // pub for the test binaries that include it

pub mod moto;
pub mod stand_in;

use aws_sdk_apigateway::Client;
use aws_sdk_apigateway::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_apigateway::types::IntegrationType;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

pub use stand_in::stand_in;

/// The region every test uses.
pub const REGION: &str = "us-east-1";

/// An API Gateway client for the stand-in (and so moto), with dummy
/// credentials: no test reaches AWS.
pub fn client() -> Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let config = aws_sdk_apigateway::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(&stand_in().url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .http_client(http)
        .build();
    Client::from_conf(config)
}

/// A new REST API with one method that needs a key, deployed to `prod`,
/// as the template makes it; its id.
pub async fn fresh_api(client: &Client, name: &str) -> String {
    let api = client.create_rest_api().name(name).send().await.unwrap();
    let id = api.id.unwrap();
    let root = client
        .get_resources()
        .rest_api_id(&id)
        .send()
        .await
        .unwrap()
        .items()
        .first()
        .and_then(|r| r.id.clone())
        .unwrap();
    client
        .put_method()
        .rest_api_id(&id)
        .resource_id(&root)
        .http_method("GET")
        .authorization_type("NONE")
        .api_key_required(true)
        .send()
        .await
        .unwrap();
    client
        .put_integration()
        .rest_api_id(&id)
        .resource_id(&root)
        .http_method("GET")
        .r#type(IntegrationType::Mock)
        .send()
        .await
        .unwrap();
    client
        .create_deployment()
        .rest_api_id(&id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    id
}
