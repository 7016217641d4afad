//! [`connect`]: from the standard AWS configuration (profile, region,
//! `AWS_ENDPOINT_URL`) and a REST API id or a CloudFormation stack name to
//! an [`ApiGatewayRegistry`], checking first what a person can fix.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_apigateway::config::ProvideCredentials;
use aws_sdk_cloudformation::types::Output;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use dice_keys::RegistryError;

use crate::ApiGatewayRegistry;
use crate::errors::{code, failed, is_not_found};

/// Which API's keys to manage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The REST API with this id.
    RestApi(String),
    /// The REST API of this CloudFormation stack: its `RestApiId` output,
    /// else its one `AWS::ApiGateway::RestApi` resource.
    Stack(String),
}

/// How to reach AWS, beyond what the environment and `~/.aws` say.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// A named profile, instead of `AWS_PROFILE` or `default`.
    pub profile: Option<String>,
    /// A region, instead of `AWS_REGION` or the profile's.
    pub region: Option<String>,
}

/// Loads the AWS configuration with a rustls-on-ring HTTPS client.
pub async fn load_config(options: &AwsOptions) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    loader.load().await
}

/// The registry of `target`'s API, once the configuration has a region and
/// credentials and the API (or stack) exists.
pub async fn connect(
    target: &Target,
    options: &AwsOptions,
) -> Result<ApiGatewayRegistry, RegistryError> {
    let config = load_config(options).await;
    let Some(region) = config.region().map(ToString::to_string) else {
        return Err(RegistryError::Target(
            "no AWS region: set AWS_REGION, pass --region, or give the profile a region".to_owned(),
        ));
    };
    check_credentials(&config).await?;
    let (rest_api_id, default_plan_id) = match target {
        Target::RestApi(id) => (id.clone(), None),
        Target::Stack(name) => from_stack(&config, name, &region).await?,
    };
    let client = aws_sdk_apigateway::Client::new(&config);
    match client.get_rest_api().rest_api_id(&rest_api_id).send().await {
        Ok(_) => Ok(ApiGatewayRegistry::new(
            client,
            rest_api_id,
            default_plan_id,
        )),
        Err(err) if is_not_found(&err) => Err(RegistryError::Target(format!(
            "no REST API {rest_api_id} in {region}: check --rest-api-id (or the stack), AWS_REGION and AWS_PROFILE"
        ))),
        Err(err) => Err(failed("GetRestApi", err)),
    }
}

async fn check_credentials(config: &SdkConfig) -> Result<(), RegistryError> {
    let missing = |why: String| {
        RegistryError::Target(format!(
            "no AWS credentials ({why}): set AWS_PROFILE to a configured profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ))
    };
    let provider = config
        .credentials_provider()
        .ok_or_else(|| missing("no credentials provider".to_owned()))?;
    provider
        .provide_credentials()
        .await
        .map(|_| ())
        .map_err(|err| missing(err.to_string().replace('\n', " ")))
}

/// The stack's REST API id and, when it has one, its `UsagePlanId` output.
async fn from_stack(
    config: &SdkConfig,
    stack: &str,
    region: &str,
) -> Result<(String, Option<String>), RegistryError> {
    let client = aws_sdk_cloudformation::Client::new(config);
    let described = match client.describe_stacks().stack_name(stack).send().await {
        Ok(described) => described,
        // CloudFormation answers a missing stack with a ValidationError.
        Err(err) if code(&err) == Some("ValidationError") => {
            return Err(RegistryError::Target(format!(
                "no CloudFormation stack {stack} in {region}: check --stack, AWS_REGION and AWS_PROFILE"
            )));
        }
        Err(err) => return Err(failed("DescribeStacks", err)),
    };
    let outputs: &[Output] = described
        .stacks()
        .first()
        .map_or(&[], |stack| stack.outputs());
    let output = |key: &str| {
        outputs
            .iter()
            .find(|output| output.output_key() == Some(key))
            .and_then(|output| output.output_value())
            .map(str::to_owned)
    };
    let plan = output("UsagePlanId");
    if let Some(api) = output("RestApiId") {
        return Ok((api, plan));
    }
    let resources = client
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .map_err(|err| failed("DescribeStackResources", err))?;
    let apis: Vec<&str> = resources
        .stack_resources()
        .iter()
        .filter(|r| r.resource_type() == Some("AWS::ApiGateway::RestApi"))
        .filter_map(|r| r.physical_resource_id())
        .collect();
    match apis.as_slice() {
        [api] => Ok(((*api).to_owned(), plan)),
        [] => Err(RegistryError::Target(format!(
            "stack {stack} has no REST API (no RestApiId output, no AWS::ApiGateway::RestApi resource): check --stack, or pass --rest-api-id"
        ))),
        _ => Err(RegistryError::Target(format!(
            "stack {stack} has several REST APIs and no RestApiId output: pass --rest-api-id"
        ))),
    }
}
