//! Rolling a [`Dice`]: drawing every face without bias and adding up the kept ones.

use rand::distr::Distribution as _;
use rand::{RngCore, TryRngCore};

use super::source::{OsSource, Recorder};
use super::{Dice, EntropyError, Selection, TermKind, infallible};
use crate::Outcome;

#[cfg(test)]
mod tests;

/// One roll of a [`Dice`]: every face, in term order and dropped dice included,
/// which of them count, and the total.
///
/// ```
/// use dice_core::Dice;
///
/// let roll = Dice::parse("4d6dl1+2")?.score(vec![3, 1, 6, 3])?;
/// assert_eq!(roll.faces(), [3, 1, 6, 3]);
/// assert_eq!(roll.kept(), [true, false, true, true]);
/// assert_eq!(roll.total().get(), 3 + 6 + 3 + 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolledDice {
    faces: Vec<u32>,
    kept: Vec<bool>,
    total: Outcome,
}

/// Faces that no roll of a [`Dice`] can show.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FacesError {
    /// Not one face per die.
    #[error("expected {expected} faces, found {found}")]
    WrongCount {
        /// The dice of the notation.
        expected: u32,
        /// The faces given.
        found: usize,
    },
    /// A face below 1 or above its die's sides.
    #[error("face {face} at index {index} is not on a die with {sides} sides")]
    OutOfRange {
        /// Where the face is, from 0.
        index: usize,
        /// The face.
        face: u32,
        /// The sides of its die.
        sides: u32,
    },
}

impl RolledDice {
    /// Every face rolled, in term order, dropped dice included.
    pub fn faces(&self) -> &[u32] {
        &self.faces
    }

    /// For each face, whether it counts towards the total.
    pub fn kept(&self) -> &[bool] {
        &self.kept
    }

    /// The kept faces and the constants added up, the subtracted terms taken away.
    pub fn total(&self) -> Outcome {
        self.total
    }

    /// The faces, for storing.
    pub fn into_faces(self) -> Vec<u32> {
        self.faces
    }
}

impl Dice {
    /// Rolls with the operating system's CSPRNG: what production uses.
    ///
    /// The OS source failing is an error, never a panic; nothing was rolled then.
    ///
    /// ```
    /// use dice_core::Dice;
    ///
    /// let dice = Dice::parse("3d6+2")?;
    /// let roll = dice.roll_os()?;
    /// assert_eq!(roll.faces().len(), 3);
    /// assert!(dice.is_possible(roll.total()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn roll_os(&self) -> Result<RolledDice, EntropyError> {
        Ok(self.try_roll(&mut OsSource::new())?)
    }

    /// Rolls with `rng`, such as a seeded generator in a test.
    pub fn roll<R: RngCore + ?Sized>(&self, rng: &mut R) -> RolledDice {
        infallible(self.try_roll(rng))
    }

    /// Rolls with a source that can fail, stopping at its first failure.
    ///
    /// Each die is drawn with `rand::distr::Uniform::new_inclusive(1, sides)`, which
    /// is exactly uniform: it multiplies a 32-bit draw by the range and rejects the
    /// draws whose low word falls below `2^32 mod range`, so every face has the same
    /// number of accepted draws. `Rng::random_range` would not do here: it samples
    /// with Canon's method, which rand documents as slightly biased unless its
    /// `unbiased` feature is on. `draw % sides` would be worse still: for a
    /// 3,000,000,000-sided die it favours the lowest 1,294,967,296 faces two to one.
    pub fn try_roll<R: TryRngCore + ?Sized>(&self, rng: &mut R) -> Result<RolledDice, R::Error> {
        let mut source = Recorder::new(rng);
        let mut faces = Vec::with_capacity(self.dice_count as usize);
        for (roll, _) in self.rolls() {
            for _ in 0..roll.count {
                faces.push(roll.uniform.sample(&mut source));
                if let Some(failure) = source.take_failure() {
                    return Err(failure);
                }
            }
        }
        Ok(self.tally(faces))
    }

    /// The roll that came up `faces`, such as faces read back from a store.
    ///
    /// ```
    /// use dice_core::Dice;
    ///
    /// let dice = Dice::parse("2d6")?;
    /// assert_eq!(dice.score(vec![6, 6])?.total().get(), 12);
    /// assert!(dice.score(vec![6, 7]).is_err());
    /// assert!(dice.score(vec![6]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn score(&self, faces: Vec<u32>) -> Result<RolledDice, FacesError> {
        if faces.len() != self.dice_count as usize {
            return Err(FacesError::WrongCount {
                expected: self.dice_count,
                found: faces.len(),
            });
        }
        let sides = self
            .rolls()
            .flat_map(|(roll, _)| std::iter::repeat_n(roll.sides, roll.count as usize));
        for (index, (&face, sides)) in faces.iter().zip(sides).enumerate() {
            if !(1..=sides).contains(&face) {
                return Err(FacesError::OutOfRange { index, face, sides });
            }
        }
        Ok(self.tally(faces))
    }

    /// Adds up faces that are one per die and each on its die.
    fn tally(&self, faces: Vec<u32>) -> RolledDice {
        let mut kept = vec![false; faces.len()];
        // The true total is within 0..=u32::MAX (parse checked the range), so
        // arithmetic modulo 2^32 lands on it exactly, whatever the order of terms.
        let mut total = 0u32;
        let mut start = 0;
        for term in &self.terms {
            let (value, negative) = match &term.kind {
                TermKind::Constant(value) => (*value, term.negative),
                TermKind::Roll(roll) => {
                    let end = start + roll.count as usize;
                    let selection = roll.selection();
                    let sum = keep(&faces[start..end], selection, &mut kept[start..end]);
                    start = end;
                    (sum, term.negative)
                }
            };
            total = if negative {
                total.wrapping_sub(value)
            } else {
                total.wrapping_add(value)
            };
        }
        RolledDice {
            faces,
            kept,
            total: Outcome::new(total),
        }
    }
}

/// Marks the dice of one term that count and adds them up (modulo 2^32, see
/// [`Dice::tally`]). Among equal faces, the earlier die is kept first.
fn keep(faces: &[u32], selection: Selection, kept: &mut [bool]) -> u32 {
    let mut order: Vec<usize> = (0..faces.len()).collect();
    let count = match selection {
        Selection::All => faces.len(),
        Selection::Highest(k) => {
            order.sort_by_key(|&i| std::cmp::Reverse(faces[i]));
            k as usize
        }
        Selection::Lowest(k) => {
            order.sort_by_key(|&i| faces[i]);
            k as usize
        }
    };
    order.iter().take(count).fold(0u32, |sum, &i| {
        kept[i] = true;
        sum.wrapping_add(faces[i])
    })
}
