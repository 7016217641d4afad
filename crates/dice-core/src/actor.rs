//! [`Actor`]: who rolled, or which API key recorded a roll.

use std::fmt;

use crate::{ErrorCode, InvalidInput};

/// A name stored in `rolled_by` or `created_by` (`VARCHAR(60)`): 1 to 60 Unicode
/// scalar values, not only white space, with no control characters. It is kept
/// exactly as given: no trimming, no normalisation.
///
/// MySQL counts a utf8mb4 `VARCHAR` in characters (code points), and so does this
/// type, so a name that parses always fits the column.
///
/// ```
/// use dice_core::Actor;
///
/// let alice = Actor::parse("alice")?;
/// assert_eq!(alice.as_str(), "alice");
/// assert!(Actor::parse("   ").is_err());
/// assert!(Actor::parse("a\nb").is_err());
/// # Ok::<(), dice_core::InvalidInput>(())
/// ```
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Actor(String);

impl Actor {
    /// The most characters an actor may have.
    pub const MAX_CHARS: usize = 60;

    /// Checks `value` against the column's rules.
    ///
    /// The error is attributed to no field; callers add theirs with
    /// [`InvalidInput::at`].
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidInput> {
        let value = value.into();
        let rule = if value.is_empty() {
            Some("must not be empty")
        } else if value.chars().count() > Self::MAX_CHARS {
            Some("must be at most 60 characters")
        } else if value.chars().all(char::is_whitespace) {
            Some("must not be blank")
        } else if value.chars().any(char::is_control) {
            Some("must not contain control characters")
        } else {
            None
        };
        match rule {
            Some(rule) => Err(InvalidInput::new(ErrorCode::InvalidRolledBy, rule)),
            None => Ok(Self(value)),
        }
    }

    /// The name, exactly as it was given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name, giving up the type's guarantee.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for Actor {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Actor {
    type Error = InvalidInput;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Actor> for String {
    fn from(actor: Actor) -> Self {
        actor.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_of(value: &str) -> String {
        Actor::parse(value).unwrap_err().rule().to_owned()
    }

    #[test]
    fn sixty_characters_fit_and_sixty_one_do_not() {
        let sixty = "é".repeat(60);
        assert_eq!(Actor::parse(sixty.clone()).unwrap().as_str(), sixty);
        assert_eq!(rule_of(&"é".repeat(61)), "must be at most 60 characters");
    }

    #[test]
    fn counts_scalar_values_not_bytes() {
        // 60 four-byte emoji are 240 bytes but 60 characters in utf8mb4.
        assert!(Actor::parse("🎲".repeat(60)).is_ok());
        assert!(Actor::parse("🎲".repeat(61)).is_err());
    }

    #[test]
    fn refuses_empty_blank_and_control_characters() {
        assert_eq!(rule_of(""), "must not be empty");
        assert_eq!(rule_of(" \t\u{3000}"), "must not be blank");
        assert_eq!(rule_of("a\0b"), "must not contain control characters");
        assert_eq!(rule_of("a\nb"), "must not contain control characters");
        assert_eq!(rule_of("a\u{7f}"), "must not contain control characters");
        assert_eq!(rule_of("a\u{85}"), "must not contain control characters");
    }

    #[test]
    fn keeps_surrounding_space_and_marks_exactly() {
        for name in [" alice ", "e\u{301}", "שלום", "👩‍👩‍👧"] {
            assert_eq!(Actor::parse(name).unwrap().as_str(), name);
        }
    }
}
