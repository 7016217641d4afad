//! [`Outcome`]: the number a roll came up with.

use std::fmt;

use crate::{ErrorCode, InvalidInput};

/// The result of one roll: any value of the `rolls.outcome INT UNSIGNED` column,
/// 0 to 4294967295.
///
/// The range of `u32` is exactly the column's, so every `u32` is a valid outcome;
/// what arrives as JSON goes through [`Outcome::parse_json_integer`], which accepts
/// integers only.
///
/// ```
/// use dice_core::Outcome;
///
/// assert_eq!(Outcome::new(6).get(), 6);
/// assert!(Outcome::parse_json_integer(4_294_967_296).is_err());
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Outcome(u32);

impl Outcome {
    /// The largest outcome the column can hold.
    pub const MAX: Self = Self(u32::MAX);

    /// An outcome of `value`.
    pub const fn new(value: u32) -> Self {
        Self(value)
    }

    /// The outcome of a JSON integer, refused when it does not fit the column.
    pub fn parse_json_integer(value: u64) -> Result<Self, InvalidInput> {
        u32::try_from(value).map(Self).map_err(|_| out_of_range())
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

/// The rejection for every value that is not an integer in range, so clients
/// see one rule whatever they sent.
pub(crate) fn out_of_range() -> InvalidInput {
    InvalidInput::new(
        ErrorCode::InvalidOutcome,
        "must be a JSON integer from 0 to 4294967295",
    )
    .at("outcome")
}

impl From<u32> for Outcome {
    fn from(value: u32) -> Self {
        Self(value)
    }
}

impl From<Outcome> for u32 {
    fn from(outcome: Outcome) -> Self {
        outcome.0
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_whole_column_range() {
        assert_eq!(Outcome::parse_json_integer(0), Ok(Outcome::new(0)));
        assert_eq!(Outcome::parse_json_integer(4_294_967_295), Ok(Outcome::MAX));
    }

    #[test]
    fn refuses_one_past_the_column_range() {
        let err = Outcome::parse_json_integer(4_294_967_296).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidOutcome);
        assert_eq!(err.field(), Some("outcome"));
    }
}
