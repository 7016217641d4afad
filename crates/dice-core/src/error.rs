//! The crate's error type and the stable codes clients see.

use std::fmt;

/// A stable, machine-readable reason for a rejection.
///
/// The HTTP layer puts [`ErrorCode::as_str`] into the `code` of its error body, so
/// the strings are part of the public contract: they are never renamed.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The body is empty, not UTF-8, or not well-formed JSON.
    InvalidJson,
    /// The body is JSON but neither an object nor an array of objects.
    InvalidBody,
    /// A roll has no `outcome`.
    MissingOutcome,
    /// `outcome` is not an integer from 0 to 4294967295.
    InvalidOutcome,
    /// `rolled_by` breaks the rules of [`Actor`](crate::Actor).
    InvalidRolledBy,
    /// `dice` (in a body or a query) is not a valid notation; the message names
    /// the problem, as [`DiceError`](crate::DiceError) words it.
    InvalidDice,
    /// A field the API does not know, such as a typo of `outcome`.
    UnknownField,
    /// The same field appears twice in one object.
    DuplicateField,
    /// A batch with no rolls in it.
    EmptyBatch,
    /// A batch with more than [`Batch::MAX_LEN`](crate::Batch::MAX_LEN) rolls.
    BatchTooLarge,
    /// A roll id that is not a positive integer in the column's range.
    InvalidId,
    /// A `limit` outside 1..=1000.
    InvalidLimit,
    /// A `cursor` that no listing handed out.
    InvalidCursor,
    /// An `Idempotency-Key` that is empty, too long, or not visible ASCII.
    InvalidIdempotencyKey,
    /// A query parameter the route does not know.
    UnknownParameter,
    /// The request carries no API key and the deployment requires one.
    Forbidden,
    /// No route has this path.
    RouteNotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// The body is over the size limit.
    PayloadTooLarge,
    /// No roll has the requested id.
    NotFound,
    /// An idempotency key was reused with a different request.
    IdempotencyKeyReused,
    /// The store cannot be reached right now; retrying later may work.
    Unavailable,
    /// The store stayed unreachable after a write may have reached it: whether
    /// it was recorded is unknown, so a blind retry could record it twice.
    OutcomeUnknown,
    /// Something failed that the client cannot fix.
    Internal,
}

impl ErrorCode {
    /// The code as it appears in error bodies, e.g. `"invalid_outcome"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::InvalidBody => "invalid_body",
            Self::MissingOutcome => "missing_outcome",
            Self::InvalidOutcome => "invalid_outcome",
            Self::InvalidRolledBy => "invalid_rolled_by",
            Self::InvalidDice => "invalid_dice",
            Self::UnknownField => "unknown_field",
            Self::DuplicateField => "duplicate_field",
            Self::EmptyBatch => "empty_batch",
            Self::BatchTooLarge => "batch_too_large",
            Self::InvalidId => "invalid_id",
            Self::InvalidLimit => "invalid_limit",
            Self::InvalidCursor => "invalid_cursor",
            Self::InvalidIdempotencyKey => "invalid_idempotency_key",
            Self::UnknownParameter => "unknown_parameter",
            Self::Forbidden => "forbidden",
            Self::RouteNotFound => "route_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::NotFound => "not_found",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::Unavailable => "unavailable",
            Self::OutcomeUnknown => "outcome_unknown",
            Self::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a value from outside was refused: the rule it broke and where.
///
/// Its `Display` (`field: rule`) is a sentence safe to show to the client who sent the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    code: ErrorCode,
    field: Option<String>,
    rule: String,
}

impl InvalidInput {
    /// A rejection with a code and the rule that was broken, not yet tied to a field.
    pub fn new(code: ErrorCode, rule: impl Into<String>) -> Self {
        Self {
            code,
            field: None,
            rule: rule.into(),
        }
    }

    /// The same rejection, attributed to `field` (e.g. `outcome`).
    #[must_use]
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The same rejection inside element `index` of a batch: `outcome` becomes `[index].outcome`.
    #[must_use]
    pub fn in_element(mut self, index: usize) -> Self {
        self.field = Some(match self.field.take() {
            Some(field) => format!("[{index}].{field}"),
            None => format!("[{index}]"),
        });
        self
    }

    /// The stable code of the broken rule.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The field the rule applies to, when there is one.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// The rule that was broken, without the field.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.rule),
            None => f.write_str(&self.rule),
        }
    }
}

impl std::error::Error for InvalidInput {}

impl From<crate::DiceError> for InvalidInput {
    /// An [`ErrorCode::InvalidDice`] with the notation's problem as the rule; the
    /// caller names the field.
    fn from(err: crate::DiceError) -> Self {
        Self::new(ErrorCode::InvalidDice, err.to_string())
    }
}

/// A boxed error from a store's driver, kept for logs and never shown to clients.
pub type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything a [`RollStore`](crate::RollStore) call can fail with.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input broke a rule; the client can fix it.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// No roll has this id.
    #[error("roll {0} not found")]
    NotFound(crate::RollId),
    /// The idempotency key was first used with a different request.
    #[error("idempotency key was already used with a different request")]
    IdempotencyConflict,
    /// The store could not be reached in time; nothing was recorded, and retrying
    /// after `retry_after` may succeed. (When a write may have been recorded,
    /// the error is [`Error::OutcomeUnknown`] instead.)
    #[error("store unavailable: {source}")]
    Unavailable {
        /// A sensible wait before the client retries.
        retry_after: std::time::Duration,
        /// What went wrong, for the logs.
        source: Source,
    },
    /// A write may or may not have been recorded: it may have reached the store
    /// before the connection was lost, and the store stayed unreachable until
    /// the deadline, so it could not find out. Only a plain write (one without
    /// an idempotency key) ends this way; idempotent writes are retried safely.
    ///
    /// Clients must not retry blindly, which could record twice: they should
    /// look (for example list their recent rolls) and send writes with an
    /// `Idempotency-Key` so that retries are safe. Over HTTP this is meant to
    /// answer `503` with code `outcome_unknown` and no `Retry-After`.
    #[error(
        "outcome unknown: the write may have been recorded before the store became \
         unreachable; retry only with an Idempotency-Key: {source}"
    )]
    OutcomeUnknown {
        /// What went wrong, for the logs.
        source: Source,
    },
    /// A failure the client cannot fix (a bug, a broken schema, exhausted ids).
    #[error("internal store error: {0}")]
    Internal(Source),
}

impl Error {
    /// An [`Error::Internal`] from anything that reads as an error message.
    pub fn internal(source: impl Into<Source>) -> Self {
        Self::Internal(source.into())
    }

    /// The stable code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(invalid) => invalid.code(),
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::IdempotencyConflict => ErrorCode::IdempotencyKeyReused,
            Self::Unavailable { .. } => ErrorCode::Unavailable,
            Self::OutcomeUnknown { .. } => ErrorCode::OutcomeUnknown,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

/// The result of a store call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_errors_name_their_index_and_field() {
        let err = InvalidInput::new(ErrorCode::InvalidOutcome, "must be an integer")
            .at("outcome")
            .in_element(3);
        assert_eq!(err.field(), Some("[3].outcome"));
        assert_eq!(err.to_string(), "[3].outcome: must be an integer");
        assert_eq!(err.code().as_str(), "invalid_outcome");
    }

    #[test]
    fn element_errors_without_field_name_the_element() {
        let err = InvalidInput::new(ErrorCode::InvalidBody, "must be a JSON object").in_element(0);
        assert_eq!(err.to_string(), "[0]: must be a JSON object");
    }

    #[test]
    fn store_errors_carry_stable_codes() {
        assert_eq!(
            Error::IdempotencyConflict.code().as_str(),
            "idempotency_key_reused"
        );
        assert_eq!(Error::internal("boom").code().as_str(), "internal");
        let unknown = Error::OutcomeUnknown {
            source: "connection reset".into(),
        };
        assert_eq!(unknown.code().as_str(), "outcome_unknown");
        assert!(unknown.to_string().contains("Idempotency-Key"), "{unknown}");
        let invalid = InvalidInput::new(ErrorCode::InvalidLimit, "too big");
        assert_eq!(Error::from(invalid).code(), ErrorCode::InvalidLimit);
    }
}
