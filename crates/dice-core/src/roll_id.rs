//! [`RollId`]: the key of a recorded roll.

use std::fmt;

use crate::{ErrorCode, InvalidInput};

/// The id MySQL's `AUTO_INCREMENT` gives a roll: 1 to 4294967295 (`INT UNSIGNED`).
///
/// ```
/// use dice_core::RollId;
///
/// assert_eq!(RollId::parse("7")?.get(), 7);
/// assert!(RollId::parse("0").is_err());
/// assert!(RollId::parse("07").is_err());
/// # Ok::<(), dice_core::InvalidInput>(())
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "u32", into = "u32")]
pub struct RollId(u32);

impl RollId {
    /// The first id a store hands out.
    pub const FIRST: Self = Self(1);

    /// The id `value`, or `None` for 0, which `AUTO_INCREMENT` never gives.
    pub const fn new(value: u32) -> Option<Self> {
        if value == 0 { None } else { Some(Self(value)) }
    }

    /// Parses an id from a path segment: decimal digits in canonical form (no sign,
    /// no leading zero), so each roll has exactly one URL.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        let canonical =
            !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0');
        text.parse::<u32>()
            .ok()
            .filter(|_| canonical)
            .and_then(Self::new)
            .ok_or_else(out_of_range)
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The id after this one, or `None` when the column's range is used up.
    pub const fn next(self) -> Option<Self> {
        match self.0.checked_add(1) {
            Some(next) => Some(Self(next)),
            None => None,
        }
    }
}

fn out_of_range() -> InvalidInput {
    InvalidInput::new(
        ErrorCode::InvalidId,
        "must be an integer from 1 to 4294967295",
    )
    .at("id")
}

impl fmt::Display for RollId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TryFrom<u32> for RollId {
    type Error = InvalidInput;

    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::new(value).ok_or_else(out_of_range)
    }
}

impl From<RollId> for u32 {
    fn from(id: RollId) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_column_range() {
        assert_eq!(RollId::parse("1").unwrap(), RollId::FIRST);
        assert_eq!(RollId::parse("4294967295").unwrap().get(), u32::MAX);
    }

    #[test]
    fn refuses_non_canonical_and_out_of_range_text() {
        for text in [
            "",
            "0",
            "01",
            "+1",
            "-1",
            " 1",
            "1.0",
            "4294967296",
            "abc",
            "١",
        ] {
            assert_eq!(
                RollId::parse(text).unwrap_err().code(),
                ErrorCode::InvalidId,
                "{text:?}"
            );
        }
    }

    #[test]
    fn next_stops_at_the_end_of_the_range() {
        assert_eq!(RollId::FIRST.next().unwrap().get(), 2);
        assert_eq!(RollId::new(u32::MAX).unwrap().next(), None);
    }
}
