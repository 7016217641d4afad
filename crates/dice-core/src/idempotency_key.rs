//! [`IdempotencyKey`]: the client's name for one logical request.

use std::fmt;

use crate::{ErrorCode, InvalidInput};

/// The value of an `Idempotency-Key` header: 1 to 255 visible ASCII characters
/// (`!` to `~`; no space).
///
/// Keys are scoped by the API key that sent them, so two clients cannot collide.
///
/// ```
/// use dice_core::IdempotencyKey;
///
/// assert!(IdempotencyKey::parse("order-42/attempt").is_ok());
/// assert!(IdempotencyKey::parse("has space").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key accepted.
    pub const MAX_LEN: usize = 255;

    /// Checks a header value against the key's rules.
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidInput> {
        let value = value.into();
        let valid = (1..=Self::MAX_LEN).contains(&value.len())
            && value.bytes().all(|b| b.is_ascii_graphic());
        if valid {
            Ok(Self(value))
        } else {
            Err(InvalidInput::new(
                ErrorCode::InvalidIdempotencyKey,
                "must be 1 to 255 visible ASCII characters",
            )
            .at("Idempotency-Key"))
        }
    }

    /// The key as the client sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_bounds_are_exact() {
        assert!(IdempotencyKey::parse("k").is_ok());
        assert!(IdempotencyKey::parse("k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("k".repeat(256)).is_err());
    }

    #[test]
    fn only_visible_ascii() {
        assert!(IdempotencyKey::parse("!~").is_ok());
        for bad in ["a b", "a\tb", "é", "a\u{7f}", "a\0"] {
            let err = IdempotencyKey::parse(bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidIdempotencyKey, "{bad:?}");
        }
    }
}
