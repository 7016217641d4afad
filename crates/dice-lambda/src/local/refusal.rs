//! [`Refusal`]: every answer API Gateway gives on its own, before the function
//! runs, and its one mapping to the bytes API Gateway sends.

use aws_lambda_events::http::StatusCode;

use super::plan;

/// Why the gateway answered without calling the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No resource or method of the API matches: API Gateway's answer to any
    /// unknown route on a REST API, whatever it is.
    MissingAuthenticationToken,
    /// No `x-api-key`, or one that is unknown or disabled.
    Forbidden,
    /// Over the key's throttle.
    TooManyRequests,
    /// Over the key's quota.
    LimitExceeded,
    /// Over API Gateway's 10 MB payload limit.
    RequestTooLong,
    /// A body that breaks HTTP's framing (a bad chunk size, say).
    BadRequest,
    /// A request not sent in full within the read timeout.
    RequestTimeout,
    /// No turn came within the queue timeout; try again shortly.
    ServiceUnavailable,
}

/// How a refusal looks on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wire {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `message` of the `{"message": ...}` body.
    pub message: &'static str,
    /// The `x-amzn-ErrorType` header.
    pub error_type: &'static str,
    /// Seconds for `Retry-After`, when the client should retry.
    pub retry_after: Option<u32>,
    /// Whether the connection closes after the answer: the rest of the
    /// request was not read, so nothing after it can be trusted.
    pub close: bool,
}

impl Refusal {
    /// Status, body message, error type and headers, as API Gateway sends them:
    /// the only place the gateway's refusals meet HTTP.
    pub fn wire(self) -> Wire {
        let (status, message, error_type) = match self {
            Self::MissingAuthenticationToken => (
                StatusCode::FORBIDDEN,
                "Missing Authentication Token",
                "MissingAuthenticationTokenException",
            ),
            Self::Forbidden => (StatusCode::FORBIDDEN, "Forbidden", "ForbiddenException"),
            Self::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                "TooManyRequestsException",
            ),
            Self::LimitExceeded => (
                StatusCode::TOO_MANY_REQUESTS,
                "Limit Exceeded",
                "LimitExceededException",
            ),
            Self::RequestTooLong => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request Too Long",
                "RequestTooLongException",
            ),
            Self::BadRequest => (
                StatusCode::BAD_REQUEST,
                "Bad Request",
                "BadRequestException",
            ),
            Self::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "Request Timeout",
                "RequestTimeoutException",
            ),
            Self::ServiceUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
                "ServiceUnavailableException",
            ),
        };
        Wire {
            status,
            message,
            error_type,
            retry_after: (self == Self::ServiceUnavailable).then_some(1),
            close: matches!(
                self,
                Self::RequestTooLong | Self::BadRequest | Self::RequestTimeout
            ),
        }
    }
}

impl From<plan::Refusal> for Refusal {
    fn from(refusal: plan::Refusal) -> Self {
        match refusal {
            plan::Refusal::Throttled => Self::TooManyRequests,
            plan::Refusal::QuotaExceeded => Self::LimitExceeded,
        }
    }
}
