//! [`KeyId`], [`KeyName`], [`PlanName`]: the words people type, checked once.

use std::fmt;

use crate::RegistryError;

/// The most characters a key or plan name may have. API Gateway takes long
/// names; this bound keeps tables readable and files small.
pub const MAX_NAME_CHARS: usize = 128;

/// A key's id: what `keys list` shows and the other commands take, such as
/// `a1b2c3d4e5` (API Gateway's and the keys file's) or `local`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// As read from a file or a target that already holds it: shown as it
    /// is, even when a hand edit broke the rules new ones are held to.
    pub(crate) fn from_stored(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// An id of 1 to 64 ASCII letters, digits, `-` or `_`: what API Gateway's
    /// ids are made of, so nothing else can reach a request path.
    pub fn parse(text: &str) -> Result<Self, RegistryError> {
        let ok = (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(RegistryError::Invalid(format!(
                "{text:?} is not a key id (letters, digits, - and _, at most 64); `keys list` shows the ids"
            )))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a name: 1 to [`MAX_NAME_CHARS`] characters, not only spaces, and
/// no control characters (which would break the tables and the terminal).
fn check_name(what: &str, text: &str) -> Result<(), RegistryError> {
    let chars = text.chars().count();
    let problem = if text.trim().is_empty() {
        Some("is empty".to_owned())
    } else if chars > MAX_NAME_CHARS {
        Some(format!(
            "has {chars} characters, more than {MAX_NAME_CHARS}"
        ))
    } else if text.chars().any(char::is_control) {
        Some("holds a control character".to_owned())
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(RegistryError::Invalid(format!(
            "the {what} name {text:?} {problem}; choose another"
        ))),
    }
}

/// A key's name for people, such as who holds it; any script.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyName(String);

impl KeyName {
    /// As read from a file or a target that already holds it: shown as it
    /// is, even when a hand edit broke the rules new ones are held to.
    pub(crate) fn from_stored(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// A name of 1 to [`MAX_NAME_CHARS`] characters without control characters.
    pub fn parse(text: &str) -> Result<Self, RegistryError> {
        check_name("key", text).map(|()| Self(text.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A usage plan's name, unique within a target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlanName(String);

impl PlanName {
    /// As read from a file or a target that already holds it: shown as it
    /// is, even when a hand edit broke the rules new ones are held to.
    pub(crate) fn from_stored(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// A name of 1 to [`MAX_NAME_CHARS`] characters without control characters.
    pub fn parse(text: &str) -> Result<Self, RegistryError> {
        check_name("plan", text).map(|()| Self(text.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PlanName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn names_in_any_script_are_kept_exactly() {
        for text in ["alice", "Zoë", "名前", "🎲 team", " spaced "] {
            assert_eq!(KeyName::parse(text).unwrap().as_str(), text);
        }
    }

    #[test]
    fn empty_long_and_control_names_are_refused() {
        let long = "é".repeat(MAX_NAME_CHARS + 1);
        for text in ["", "   ", long.as_str(), "a\nb", "tab\there", "\u{1b}[31m"] {
            assert!(KeyName::parse(text).is_err(), "{text:?}");
            assert!(PlanName::parse(text).is_err(), "{text:?}");
        }
        assert!(KeyName::parse(&"é".repeat(MAX_NAME_CHARS)).is_ok());
    }

    #[test]
    fn ids_are_plain_ascii() {
        assert!(KeyId::parse("a1b2c3d4e5").is_ok());
        assert!(KeyId::parse("local").is_ok());
        for text in ["", "a/b", "a b", "é", "../x", &"a".repeat(65)] {
            assert!(KeyId::parse(text).is_err(), "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn a_parsed_id_is_only_safe_characters(text in "\\PC{0,70}") {
            if let Ok(id) = KeyId::parse(&text) {
                prop_assert!(id.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            }
        }

        #[test]
        fn a_parsed_name_has_no_control_character(text in "\\PC{0,140}|[\\x00-\\x1f]{1,3}") {
            if let Ok(name) = KeyName::parse(&text) {
                prop_assert!(!name.as_str().chars().any(char::is_control));
                prop_assert!(name.as_str().chars().count() <= MAX_NAME_CHARS);
            }
        }
    }
}
