//! [`Distribution`]: the exact probability of every total of a [`Dice`].

use serde::ser::SerializeMap;

use super::keep::keep_highest;
use super::weight::{Weight, convolve};
use super::{Dice, RollTerm, Selection, infallible};
use crate::Outcome;

#[cfg(test)]
mod tests;

/// The probability of every total a notation can come to, from its lowest to its highest.
///
/// Serialises as a map from total to probability (`{"2":0.02777777777777778,...}`),
/// the `expected` of a fairness test.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    min_total: u32,
    probabilities: Vec<f64>,
}

/// Why a notation's distribution is not computed: it would be too large or too slow.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotComputed {
    /// More than [`Dice::MAX_DISTRIBUTION_TOTALS`] possible totals.
    #[error("more than 10000 possible totals")]
    TooManyTotals,
    /// A keep or drop on more than [`Dice::MAX_KEEP_DROP_DICE`] dice.
    #[error("keep/drop on more than 20 dice")]
    KeepDropTooLarge,
}

impl Dice {
    /// The most possible totals a [`Distribution`] is computed for.
    pub const MAX_DISTRIBUTION_TOTALS: u64 = 10_000;
    /// The most dice a keep/drop term may have for its [`Distribution`] to be computed.
    pub const MAX_KEEP_DROP_DICE: u32 = 20;

    /// The probability of every possible total, when the computation is small.
    ///
    /// Counts outcomes exactly in `u128` while the number of outcomes fits (so `3d6`
    /// gives 27/216 rounded once), and otherwise sums probabilities in `f64`, where
    /// the far tails of large rolls may round to 0.
    ///
    /// ```
    /// use dice_core::{Dice, NotComputed, Outcome};
    ///
    /// let two_d6 = Dice::parse("2d6")?.distribution()?;
    /// assert_eq!(two_d6.probability(Outcome::new(7)), 6.0 / 36.0);
    ///
    /// let err = Dice::parse("21d6kh3")?.distribution().unwrap_err();
    /// assert_eq!(err, NotComputed::KeepDropTooLarge);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn distribution(&self) -> Result<Distribution, NotComputed> {
        if self.possible_totals() > Self::MAX_DISTRIBUTION_TOTALS {
            return Err(NotComputed::TooManyTotals);
        }
        let keeps_many = |roll: &RollTerm| {
            roll.selection() != Selection::All && roll.count > Self::MAX_KEEP_DROP_DICE
        };
        if self.rolls().any(|(roll, _)| keeps_many(roll)) {
            return Err(NotComputed::KeepDropTooLarge);
        }
        let exact = self.outcome_bits() < 127.0;
        let probabilities = match exact.then(|| self.probabilities::<u128>()) {
            Some(Ok(exact)) => exact,
            // Counts that would overflow are weighed as probabilities instead.
            _ => infallible(self.probabilities::<f64>()),
        };
        Ok(Distribution {
            min_total: self.min_total,
            probabilities,
        })
    }

    /// log2 of the number of ways a roll can fall, which bounds every count.
    fn outcome_bits(&self) -> f64 {
        self.rolls()
            .map(|(roll, _)| f64::from(roll.count) * f64::from(roll.sides).log2())
            .sum()
    }

    /// Constants only shift the totals, so only the dice are weighed; entry 0 of
    /// the result is the lowest total.
    fn probabilities<W: Weight>(&self) -> Result<Vec<f64>, W::Error> {
        let mut weights = vec![W::ONE];
        for (roll, negative) in self.rolls() {
            weights = match roll.partial() {
                // A die weighs its faces alike, so read from either end its weights
                // are the same: a subtracted die is added like any other.
                None => (0..roll.count).try_fold(weights, |w, _| W::add_die(&w, roll.sides))?,
                Some((keep, lowest)) => {
                    let mut term = keep_highest(roll.count, keep, roll.sides)?;
                    // The lowest dice of a roll are the highest of its mirror image
                    // (face f as sides + 1 - f), whose sums run the other way; so do
                    // the sums of a subtracted term.
                    if lowest != negative {
                        term.reverse();
                    }
                    convolve(&weights, &term)?
                }
            };
        }
        W::probabilities(&weights)
    }
}

impl RollTerm {
    /// How many dice the term keeps and whether they are the lowest, unless it
    /// keeps them all.
    fn partial(&self) -> Option<(u32, bool)> {
        match self.selection() {
            Selection::Highest(k) if k < self.count => Some((k, false)),
            Selection::Lowest(k) if k < self.count => Some((k, true)),
            _ => None,
        }
    }
}

impl Distribution {
    /// The lowest possible total.
    pub fn min_total(&self) -> Outcome {
        Outcome::new(self.min_total)
    }

    /// The highest possible total.
    pub fn max_total(&self) -> Outcome {
        Outcome::new(self.min_total + (self.probabilities.len() as u32).saturating_sub(1))
    }

    /// How many totals are possible (at least two: every notation rolls a die).
    pub fn possible_totals(&self) -> usize {
        self.probabilities.len()
    }

    /// The probability of `total`; 0 for a total outside the range.
    pub fn probability(&self, total: Outcome) -> f64 {
        total
            .get()
            .checked_sub(self.min_total)
            .and_then(|i| self.probabilities.get(i as usize))
            .copied()
            .unwrap_or(0.0)
    }

    /// Every possible total with its probability, lowest total first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (Outcome, f64)> + ExactSizeIterator + '_ {
        // The last index is the highest total's, which fits a u32: no sum overflows.
        let total = |i: usize| Outcome::new(self.min_total + i as u32);
        self.probabilities
            .iter()
            .enumerate()
            .map(move |(i, &p)| (total(i), p))
    }
}

impl serde::Serialize for Distribution {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.probabilities.len()))?;
        for (total, probability) in self.iter() {
            map.serialize_entry(&total, &probability)?;
        }
        map.end()
    }
}
