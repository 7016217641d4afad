//! [`Dice`]: a roll in the notation players write (`3d6+2`, `4d6kh3`, `1d20+1d4-1`).

mod distribution;
mod error;
mod keep;
mod parse;
mod roll;
mod source;
#[cfg(test)]
mod tests;
mod weight;

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use rand::distr::Uniform;

use crate::Outcome;

pub use distribution::{Distribution, NotComputed};
pub use error::DiceError;
pub use roll::{FacesError, RolledDice};
pub use source::EntropyError;
pub(crate) use source::OsSource;

/// A valid dice notation, parsed once: what to roll and how to add it up.
///
/// Terms are joined by `+` or `-`. A term is `NdM` (N from 1 to 1000, default 1; M
/// from 2 to 4294967295; `d%` is `d100`), optionally followed by keeping or dropping
/// the highest or lowest dice (`kh`, `kl`, `dh`, `dl` and a count; `k` is `kh`), or a
/// constant from 0 to 4294967295. Letters may be in either case and spaces are
/// ignored; the input has at most 64 characters, and so does its canonical form
/// (below); the notation has at most 1000 dice and at least one, and every possible
/// total lies within 0..=4294967295.
///
/// `Display` writes the canonical form (lower case, no spaces, counts explicit, `k`
/// as `kh`, `d%` as `d100`), at most [`Dice::MAX_CHARS`] ASCII characters, which
/// parses back to an equal `Dice`; serde reads and writes that string.
///
/// ```
/// use dice_core::Dice;
///
/// let dice = Dice::parse("D20 + 3")?;
/// assert_eq!(dice.to_string(), "1d20+3");
/// assert_eq!((dice.min_total().get(), dice.max_total().get()), (4, 23));
///
/// let err = Dice::parse("1d4-5").unwrap_err();
/// assert_eq!(err.to_string(), "can total as little as -4: totals must be from 0 to 4294967295");
/// # Ok::<(), dice_core::DiceError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dice {
    terms: Vec<Term>,
    dice_count: u32,
    min_total: u32,
    max_total: u32,
}

/// One signed term of a notation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Term {
    negative: bool,
    kind: TermKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum TermKind {
    Roll(RollTerm),
    Constant(u32),
}

/// `NdM` with its keep or drop.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RollTerm {
    count: u32,
    sides: u32,
    keep: Keep,
    /// Built once from `sides`, so rolling has no error path of its own.
    uniform: Uniform<u32>,
}

/// Which dice of a term count, as written (`dl1` stays `dl1`, not `kh3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Keep {
    All,
    Highest(u32),
    Lowest(u32),
    DropHighest(u32),
    DropLowest(u32),
}

/// The dice of a term that count, whatever the notation called it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selection {
    All,
    Highest(u32),
    Lowest(u32),
}

impl Dice {
    /// The most characters a notation may have, spaces included, and its canonical form.
    pub const MAX_CHARS: usize = 64;
    /// The most dice a notation may roll, over all its terms, dropped dice included.
    pub const MAX_DICE: u32 = 1000;

    /// Parses a notation, refusing it with a message naming the problem.
    ///
    /// ```
    /// use dice_core::Dice;
    ///
    /// assert_eq!(Dice::parse("4d6k3")?.to_string(), "4d6kh3");
    /// assert_eq!(
    ///     Dice::parse("4d6kh5").unwrap_err().to_string(),
    ///     "cannot keep 5 of 4 dice: keep from 1 to 4",
    /// );
    /// # Ok::<(), dice_core::DiceError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, DiceError> {
        let terms = parse::terms(input)?;
        Self::from_terms(terms)
    }

    /// Checks what holds for the notation as a whole: how many dice, which totals.
    fn from_terms(terms: Vec<Term>) -> Result<Self, DiceError> {
        let dice: u64 = terms.iter().map(|term| u64::from(term.dice_count())).sum();
        if dice == 0 {
            return Err(DiceError::NoDice);
        }
        let dice_count = u32::try_from(dice)
            .ok()
            .filter(|&dice| dice <= Self::MAX_DICE)
            .ok_or(DiceError::TooManyDice { dice })?;
        let (lowest, highest) = terms.iter().fold((0i128, 0i128), |(lo, hi), term| {
            let (term_lo, term_hi) = term.range();
            (lo + term_lo, hi + term_hi)
        });
        let min_total = u32::try_from(lowest).map_err(|_| DiceError::BelowZero { lowest })?;
        let max_total = u32::try_from(highest).map_err(|_| DiceError::AboveMax { highest })?;
        let dice = Self {
            terms,
            dice_count,
            min_total,
            max_total,
        };
        // The canonical form must parse back, so it is held to the same length.
        let chars = dice.to_string().len();
        if chars > Self::MAX_CHARS {
            return Err(DiceError::CanonicalTooLong { chars });
        }
        Ok(dice)
    }

    /// How many dice a roll throws, dropped dice included: the length of its faces.
    pub fn dice_count(&self) -> u32 {
        self.dice_count
    }

    /// The lowest total a roll can come to.
    pub fn min_total(&self) -> Outcome {
        Outcome::new(self.min_total)
    }

    /// The highest total a roll can come to.
    pub fn max_total(&self) -> Outcome {
        Outcome::new(self.max_total)
    }

    /// How many different totals a roll can come to. Every whole number from
    /// [`min_total`](Self::min_total) to [`max_total`](Self::max_total) is one: the
    /// kept dice of a term reach every sum in their range, and so do sums and
    /// differences of ranges.
    pub fn possible_totals(&self) -> u64 {
        u64::from(self.max_total - self.min_total) + 1
    }

    /// Whether a roll can come to `total`.
    ///
    /// ```
    /// use dice_core::{Dice, Outcome};
    ///
    /// let dice = Dice::parse("2d6")?;
    /// assert!(dice.is_possible(Outcome::new(12)));
    /// assert!(!dice.is_possible(Outcome::new(1)));
    /// # Ok::<(), dice_core::DiceError>(())
    /// ```
    pub fn is_possible(&self, total: Outcome) -> bool {
        (self.min_total..=self.max_total).contains(&total.get())
    }

    fn rolls(&self) -> impl Iterator<Item = (&RollTerm, bool)> {
        self.terms.iter().filter_map(|term| match &term.kind {
            TermKind::Roll(roll) => Some((roll, term.negative)),
            TermKind::Constant(_) => None,
        })
    }
}

// `uniform` is made from `sides`, so hashing without it agrees with the derived `Eq`.
impl std::hash::Hash for RollTerm {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.count, self.sides, self.keep).hash(state);
    }
}

impl Term {
    fn dice_count(&self) -> u32 {
        match &self.kind {
            TermKind::Roll(roll) => roll.count,
            TermKind::Constant(_) => 0,
        }
    }

    /// The lowest and highest this term adds to a total, with its sign.
    fn range(&self) -> (i128, i128) {
        let (lo, hi) = match &self.kind {
            TermKind::Roll(roll) => {
                let kept = i128::from(roll.kept());
                (kept, kept * i128::from(roll.sides))
            }
            TermKind::Constant(value) => (i128::from(*value), i128::from(*value)),
        };
        if self.negative { (-hi, -lo) } else { (lo, hi) }
    }
}

impl RollTerm {
    /// How many of the term's dice count towards the total.
    fn kept(&self) -> u32 {
        match self.selection() {
            Selection::All => self.count,
            Selection::Highest(k) | Selection::Lowest(k) => k,
        }
    }

    fn selection(&self) -> Selection {
        match self.keep {
            Keep::All => Selection::All,
            Keep::Highest(k) => Selection::Highest(k),
            Keep::Lowest(k) => Selection::Lowest(k),
            Keep::DropLowest(d) => Selection::Highest(self.count - d),
            Keep::DropHighest(d) => Selection::Lowest(self.count - d),
        }
    }
}

/// The value of a computation that cannot fail.
pub(crate) fn infallible<T>(result: Result<T, Infallible>) -> T {
    match result {
        Ok(value) => value,
        Err(never) => match never {},
    }
}

impl fmt::Display for Dice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, term) in self.terms.iter().enumerate() {
            match (index, term.negative) {
                (0, _) => {}
                (_, true) => f.write_str("-")?,
                (_, false) => f.write_str("+")?,
            }
            match &term.kind {
                TermKind::Roll(roll) => write!(f, "{}d{}{}", roll.count, roll.sides, roll.keep)?,
                TermKind::Constant(value) => write!(f, "{value}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Keep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => Ok(()),
            Self::Highest(n) => write!(f, "kh{n}"),
            Self::Lowest(n) => write!(f, "kl{n}"),
            Self::DropHighest(n) => write!(f, "dh{n}"),
            Self::DropLowest(n) => write!(f, "dl{n}"),
        }
    }
}

impl FromStr for Dice {
    type Err = DiceError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

impl serde::Serialize for Dice {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Dice {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}
