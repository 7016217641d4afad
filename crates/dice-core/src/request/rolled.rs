//! [`RolledRequest`]: a create request once its dice are cast, ready to record.

use rand::{RngCore, TryRngCore};

use super::{Batch, RollRequest, RollToMake};
use crate::dice::{OsSource, infallible};
use crate::{EntropyError, NewRoll};

/// A create request with its dice rolled: the request as the client sent it
/// and, in the same order, the rolls to record for it.
///
/// Stores record [`rolls`](Self::rolls) and compare idempotent retries by
/// [`request`](Self::request): a retry is the same request whatever the dice
/// came up this time, and its answer is the first one's, faces included.
///
/// Made by rolling a [`RollRequest`] ([`RollRequest::roll_os`] in production,
/// [`RollRequest::roll`] with a seeded generator in tests), or from rolls made
/// already ([`From<NewRoll>`](#impl-From<NewRoll>-for-RolledRequest),
/// [`From<Batch>`](#impl-From<Batch>-for-RolledRequest)), whose request is
/// what would have made them.
///
/// ```
/// use dice_core::{Dice, NewRoll, RollRequest, RolledRequest};
///
/// let request = RollRequest::parse_json(br#"[{"dice": "2d6"}, {"outcome": 3}]"#)?;
/// let first = request.clone().roll_os()?;
/// let retry = request.roll_os()?;
/// assert_eq!(first.request(), retry.request(), "the same request, whatever the dice showed");
/// assert_eq!(first.rolls()[1].outcome().get(), 3);
///
/// let made = RolledRequest::from(NewRoll::scored(Dice::parse("2d6")?, vec![3, 4], None)?);
/// assert_eq!(serde_json::to_string(made.request())?, r#"{"dice":"2d6"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolledRequest {
    request: RollRequest,
    rolls: Vec<NewRoll>,
}

impl RolledRequest {
    /// The request as the client sent it: what idempotent retries compare.
    pub fn request(&self) -> &RollRequest {
        &self.request
    }

    /// The rolls to record, in request order: one, or the batch's.
    pub fn rolls(&self) -> &[NewRoll] {
        &self.rolls
    }

    /// How many rolls; never zero.
    pub fn len(&self) -> usize {
        self.rolls.len()
    }

    /// Always `false`: every request records at least one roll.
    pub fn is_empty(&self) -> bool {
        self.rolls.is_empty()
    }
}

impl RollRequest {
    /// Rolls the dice the request asks the server to roll, with the operating
    /// system's CSPRNG: what production uses. Reported rolls draw nothing.
    ///
    /// The OS source failing is an error, never a panic; nothing was rolled then.
    ///
    /// ```
    /// use dice_core::RollRequest;
    ///
    /// let rolled = RollRequest::parse_json(br#"{"dice": "3d6+2"}"#)?.roll_os()?;
    /// let roll = &rolled.rolls()[0];
    /// assert_eq!(roll.faces().map(<[u32]>::len), Some(3));
    /// assert!((5..=20).contains(&roll.outcome().get()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn roll_os(self) -> Result<RolledRequest, EntropyError> {
        // One source for the request: a batch of dice costs a few reads, not one per roll.
        Ok(self.try_roll(&mut OsSource::new())?)
    }

    /// Rolls with `rng`, such as a seeded generator in a test.
    pub fn roll<R: RngCore + ?Sized>(self, rng: &mut R) -> RolledRequest {
        infallible(self.try_roll(rng))
    }

    /// Rolls with a source that can fail, stopping at its first failure.
    pub fn try_roll<R: TryRngCore + ?Sized>(self, rng: &mut R) -> Result<RolledRequest, R::Error> {
        let rolls = self
            .rolls()
            .iter()
            .map(|roll| roll.try_roll(rng))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RolledRequest {
            request: self,
            rolls,
        })
    }
}

impl From<NewRoll> for RolledRequest {
    /// One roll made already; the request is what would have made it.
    fn from(roll: NewRoll) -> Self {
        Self {
            request: RollRequest::One(RollToMake::asked_for(&roll)),
            rolls: vec![roll],
        }
    }
}

impl From<Batch> for RolledRequest {
    /// A batch of rolls made already; the request is what would have made them.
    fn from(batch: Batch) -> Self {
        let asked = batch.rolls().iter().map(RollToMake::asked_for).collect();
        Self {
            request: RollRequest::Batch(Batch(asked)),
            rolls: batch.0,
        }
    }
}
