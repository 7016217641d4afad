//! API Gateway's and CloudFormation's errors in the registry's words: one
//! line that says what failed and what to do.

use aws_sdk_apigateway::config::http::HttpResponse;
use aws_sdk_apigateway::error::{ProvideErrorMetadata, SdkError};
use dice_keys::RegistryError;

/// The error code of a service's answer, such as `NotFoundException`.
pub(crate) fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    err.as_service_error().and_then(ProvideErrorMetadata::code)
}

/// Whether API Gateway said the thing asked for does not exist.
pub(crate) fn is_not_found<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    code(err) == Some("NotFoundException")
}

/// A failure of `operation`, named, with what to do when the cause is known.
pub(crate) fn failed<E>(operation: &str, err: SdkError<E, HttpResponse>) -> RegistryError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let hint = match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => Some(
            "API Gateway could not be reached: check the network, AWS_REGION and AWS_ENDPOINT_URL",
        ),
        _ => match code(&err) {
            Some(
                "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "ExpiredTokenException"
                | "ExpiredToken"
                | "AccessDeniedException"
                | "SignatureDoesNotMatch",
            ) => Some(
                "AWS refused the credentials: check AWS_PROFILE (or the AWS_ACCESS_KEY_ID in use) and its permissions",
            ),
            Some("TooManyRequestsException" | "Throttling") => {
                Some("API Gateway is throttling these calls: try again in a minute")
            }
            _ => None,
        },
    };
    let detail = detail(&err);
    match hint {
        Some(hint) => RegistryError::Target(format!("{operation} failed ({detail}); {hint}")),
        None => RegistryError::Target(format!("{operation} failed: {detail}")),
    }
}

/// What went wrong, on one line: the HTTP status with the service's code and
/// message, or the chain of causes of a failure to get an answer.
fn detail<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let text = match err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let error = service.err();
            match (error.code(), error.message()) {
                (Some(code), Some(message)) => format!("HTTP {status}, {code}: {message}"),
                (Some(code), None) => format!("HTTP {status}, {code}"),
                _ => format!("HTTP {status}"),
            }
        }
        other => {
            let mut causes = vec![other.to_string()];
            let mut source = std::error::Error::source(other);
            while let Some(cause) = source {
                causes.push(cause.to_string());
                source = cause.source();
            }
            causes.dedup();
            causes.join(": ")
        }
    };
    text.replace(['\n', '\r'], " ")
}
