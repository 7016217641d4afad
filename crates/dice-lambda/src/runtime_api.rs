//! Talking to the Lambda Runtime API before `lambda_runtime` takes over: the
//! variables it needs, and reporting an init error.

use aws_lambda_events::http::{Method, Uri};
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{PooledClient, build_request};

/// Variables the Lambda service sets and `lambda_runtime` requires.
pub const REQUIRED_VARS: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// The first required variable that is missing or unusable, with why.
pub fn missing_runtime_variable(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    for name in REQUIRED_VARS {
        match lookup(name) {
            None => {
                return Some(format!(
                    "{name} is not set: bootstrap runs inside AWS Lambda or a Runtime API emulator"
                ));
            }
            Some(value) if name == "AWS_LAMBDA_RUNTIME_API" && value.parse::<Uri>().is_err() => {
                return Some(format!("{name} is not a host:port"));
            }
            Some(value)
                if name == "AWS_LAMBDA_FUNCTION_MEMORY_SIZE" && value.parse::<u32>().is_err() =>
            {
                return Some(format!("{name} is not a number"));
            }
            Some(_) => {}
        }
    }
    None
}

/// Tells the Runtime API that initialisation failed, so Lambda reports it as an
/// init error. Best effort: the process exits either way.
pub async fn report_init_error(runtime_api: &str, error_type: &str, message: &str) {
    let Ok(endpoint) = runtime_api.parse::<Uri>() else {
        return;
    };
    let client = PooledClient::builder().with_endpoint(endpoint).build();
    let body = serde_json::json!({ "errorType": error_type, "errorMessage": message }).to_string();
    let request = build_request()
        .method(Method::POST)
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", error_type)
        .body(Body::from(body));
    if let Ok(request) = request {
        let _ = client.call(request).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_first_missing_variable() {
        let all = |name: &str| match name {
            "AWS_LAMBDA_RUNTIME_API" => Some("127.0.0.1:9001".to_owned()),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE" => Some("128".to_owned()),
            _ => Some("x".to_owned()),
        };
        assert_eq!(missing_runtime_variable(all), None);
        let message = missing_runtime_variable(|_| None).unwrap();
        assert!(
            message.starts_with("AWS_LAMBDA_RUNTIME_API is not set"),
            "{message}"
        );
        let bad_memory = missing_runtime_variable(|name| {
            if name == "AWS_LAMBDA_FUNCTION_MEMORY_SIZE" {
                Some("lots".to_owned())
            } else {
                all(name)
            }
        });
        assert_eq!(
            bad_memory.unwrap(),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE is not a number"
        );
    }
}
