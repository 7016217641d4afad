//! [`ApiError`], everything a request can fail with, and its one mapping to HTTP.

use std::time::Duration;

use dice_core::{ErrorCode, InvalidInput};

use crate::routes::Unrouted;

/// Why a request did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The event has no API key id and anonymous calls are not allowed.
    #[error("this API requires an API key")]
    Forbidden,
    /// No route has this path.
    #[error("no route for {0}")]
    NoRoute(String),
    /// The route exists, but not for this method.
    #[error("method not allowed; allowed: {allow}")]
    MethodNotAllowed {
        /// The methods the route has, for the `Allow` header.
        allow: String,
    },
    /// The body is larger than the limit.
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The request broke a rule of the API.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] dice_core::Error),
}

/// How an error looks on the wire.
pub(crate) struct Wire {
    pub(crate) status: u16,
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
    pub(crate) allow: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    /// Whether the message hides the cause, which goes to the log instead.
    pub(crate) internal: bool,
}

impl ApiError {
    /// The error for a request `path` that [`route`](crate::routes::route) found no route for.
    pub(crate) fn unrouted(unrouted: Unrouted, path: &str) -> Self {
        match unrouted {
            // The path is the client's text: quote back a bounded part of it.
            Unrouted::NoResource => Self::NoRoute(path.chars().take(100).collect()),
            Unrouted::NoMethod(resource) => Self::MethodNotAllowed {
                allow: resource.allow(),
            },
        }
    }

    /// The status, code, client-facing message and headers of this error: the
    /// only place where errors meet HTTP.
    pub(crate) fn wire(&self) -> Wire {
        let plain = |status, code| Wire {
            status,
            code,
            message: self.to_string(),
            allow: None,
            retry_after: None,
            internal: false,
        };
        match self {
            Self::Forbidden => plain(403, ErrorCode::Forbidden),
            Self::NoRoute(_) => plain(404, ErrorCode::RouteNotFound),
            Self::MethodNotAllowed { allow } => Wire {
                allow: Some(allow.clone()),
                ..plain(405, ErrorCode::MethodNotAllowed)
            },
            Self::PayloadTooLarge { .. } => plain(413, ErrorCode::PayloadTooLarge),
            Self::Invalid(invalid) => plain(400, invalid.code()),
            Self::Store(err) => match err {
                dice_core::Error::Invalid(invalid) => plain(400, invalid.code()),
                dice_core::Error::NotFound(_) => plain(404, ErrorCode::NotFound),
                dice_core::Error::IdempotencyConflict => Wire {
                    message: "this Idempotency-Key was already used with a different request"
                        .to_owned(),
                    ..plain(422, ErrorCode::IdempotencyKeyReused)
                },
                // Not "retry later": a blind retry could record the roll twice.
                dice_core::Error::OutcomeUnknown { .. } => Wire {
                    status: 503,
                    code: ErrorCode::OutcomeUnknown,
                    message: "the database became unreachable after the roll may have been \
                              recorded; look before retrying, and retry only with an \
                              Idempotency-Key"
                        .to_owned(),
                    allow: None,
                    retry_after: None,
                    internal: true,
                },
                dice_core::Error::Unavailable { retry_after, .. } => Wire {
                    status: 503,
                    code: ErrorCode::Unavailable,
                    message: "the database is unavailable; retry later".to_owned(),
                    allow: None,
                    retry_after: Some(*retry_after),
                    internal: true,
                },
                _ => Wire {
                    status: 500,
                    code: ErrorCode::Internal,
                    message: "internal error".to_owned(),
                    allow: None,
                    retry_after: None,
                    internal: true,
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_outcome_says_so_and_does_not_invite_a_blind_retry() {
        let err = ApiError::Store(dice_core::Error::OutcomeUnknown {
            source: "connection reset".into(),
        });
        let wire = err.wire();
        assert_eq!((wire.status, wire.code), (503, ErrorCode::OutcomeUnknown));
        assert_eq!(wire.retry_after, None);
        assert!(wire.message.contains("Idempotency-Key"), "{}", wire.message);
        assert!(
            !wire.message.contains("reset"),
            "the cause goes to the log only"
        );
    }

    #[test]
    fn an_unavailable_store_invites_a_retry_later() {
        let err = ApiError::Store(dice_core::Error::Unavailable {
            retry_after: Duration::from_secs(1),
            source: "refused".into(),
        });
        let wire = err.wire();
        assert_eq!((wire.status, wire.code), (503, ErrorCode::Unavailable));
        assert_eq!(wire.retry_after, Some(Duration::from_secs(1)));
    }
}
