//! [`DiceError`]: why a notation was refused.

/// Why a dice notation was refused, phrased for the client who wrote it.
///
/// The `Display` of every variant is a sentence fragment that names the problem
/// (`cannot keep 5 of 4 dice: keep from 1 to 4`), ready to follow a field name
/// (`dice: ...`). Positions count characters of the input from 1, spaces included.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiceError {
    /// Nothing but spaces, or nothing at all.
    #[error("must not be empty")]
    Empty,
    /// More than [`Dice::MAX_CHARS`](crate::Dice::MAX_CHARS) characters.
    #[error("must be at most 64 characters")]
    TooLong,
    /// At most [`Dice::MAX_CHARS`](crate::Dice::MAX_CHARS) characters as written,
    /// but more in canonical form, which stores keep and clients query by
    /// (`d%+d%+...`, each `d%` written `1d100`).
    #[error("is {chars} characters written out in full (counts explicit, d% as d100): at most 64")]
    CanonicalTooLong {
        /// The length of the canonical form.
        chars: usize,
    },
    /// A character the notation has no place for, here or anywhere.
    #[error("unexpected '{found}' at position {position}")]
    UnexpectedCharacter {
        /// The character, as written.
        found: char,
        /// Where it is.
        position: usize,
    },
    /// A sign with no term after it (`2d6++1`, `2d6+`), or a notation that starts with a sign.
    #[error("expected a number or a die (like 2d6) at position {position}")]
    ExpectedTerm {
        /// Where the term should start.
        position: usize,
    },
    /// A `d` with no number of sides after it (`d`, `3d`).
    #[error("expected the number of sides after 'd' at position {position} (like 3d6 or d%)")]
    MissingSides {
        /// Where the number of sides should be.
        position: usize,
    },
    /// A keep or drop with no count after it (`4d6kh`).
    #[error("expected a count after '{operator}' at position {position} (like 4d6kh3)")]
    MissingKeepCount {
        /// The operator as written canonically: `kh`, `kl`, `dh` or `dl`.
        operator: &'static str,
        /// Where the count should be.
        position: usize,
    },
    /// `0d6`, `1001d6`.
    #[error("cannot roll {found} dice in one term: roll from 1 to 1000")]
    DiceCountOutOfRange {
        /// The count, as written.
        found: String,
    },
    /// `1d1`, `1d0`, `1d4294967296`.
    #[error("cannot roll a die with {found} sides: sides must be from 2 to 4294967295")]
    SidesOutOfRange {
        /// The number of sides, as written.
        found: String,
    },
    /// A constant over 4294967295.
    #[error("the constant {found} is too large: constants must be from 0 to 4294967295")]
    ConstantOutOfRange {
        /// The constant, as written.
        found: String,
    },
    /// `4d6kh0`, `4d6kh5`.
    #[error("cannot keep {found} of {dice} dice: keep from 1 to {dice}")]
    KeepCountOutOfRange {
        /// The count, as written.
        found: String,
        /// The dice in the term.
        dice: u32,
    },
    /// `4d6dl0`, `4d6dl4`: a drop must drop at least one die and keep at least one.
    #[error("cannot drop {found} of {dice} dice: drop at least 1 and keep at least 1")]
    DropCountOutOfRange {
        /// The count, as written.
        found: String,
        /// The dice in the term.
        dice: u32,
    },
    /// More than [`Dice::MAX_DICE`](crate::Dice::MAX_DICE) dice over all terms.
    #[error("has {dice} dice in all: at most 1000")]
    TooManyDice {
        /// The dice over all terms, dropped ones included.
        dice: u64,
    },
    /// Only constants (`5`): there is nothing to roll.
    #[error("has no dice to roll (like 1d6)")]
    NoDice,
    /// A total could fall below 0 (`1d4-5`).
    #[error("can total as little as {lowest}: totals must be from 0 to 4294967295")]
    BelowZero {
        /// The lowest possible total.
        lowest: i128,
    },
    /// A total could rise above 4294967295 (`1000d4294967295`).
    #[error("can total as much as {highest}: totals must be from 0 to 4294967295")]
    AboveMax {
        /// The highest possible total.
        highest: i128,
    },
}
