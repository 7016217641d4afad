//! What a `POST /rolls` body holds, the one parser every adapter uses for it,
//! and the request once its dice are rolled.

mod json;
mod rolled;
mod to_make;

pub use rolled::RolledRequest;
pub use to_make::RollToMake;

use crate::{ErrorCode, InvalidInput, NewRoll, Roll};

/// One to [`Batch::MAX_LEN`] rolls, recorded all-or-nothing: [`NewRoll`]s to
/// record, or, in a request, [`RollToMake`]s.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Batch<T = NewRoll>(Vec<T>);

impl Batch {
    /// The most rolls one request may record.
    pub const MAX_LEN: usize = 1000;
}

impl<T> Batch<T> {
    /// A batch of `rolls`, refused when empty or longer than [`Batch::MAX_LEN`].
    pub fn new(rolls: Vec<T>) -> Result<Self, InvalidInput> {
        check_batch_len(rolls.len())?;
        Ok(Self(rolls))
    }

    /// The rolls, in request order.
    pub fn rolls(&self) -> &[T] {
        &self.0
    }

    /// How many rolls; never zero.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a batch holds at least one roll. (Here for API symmetry.)
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn check_batch_len(len: usize) -> Result<(), InvalidInput> {
    if len == 0 {
        Err(InvalidInput::new(
            ErrorCode::EmptyBatch,
            "a batch must hold at least one roll",
        ))
    } else if len > Batch::MAX_LEN {
        Err(InvalidInput::new(
            ErrorCode::BatchTooLarge,
            format!("a batch holds at most 1000 rolls, this one has {len}"),
        ))
    } else {
        Ok(())
    }
}

/// A parsed, valid create request: a JSON object asks for one roll, a JSON array
/// for a batch. Each roll is one of three forms ([`RollToMake`]); a batch may
/// mix them. The server's dice are not rolled yet: rolling the request
/// ([`RollRequest::roll_os`]) makes the [`RolledRequest`] that stores record.
///
/// Two requests are the same request when they are equal here, whatever the JSON
/// whitespace or key order, which is what idempotent retries compare. Its
/// serialisation is canonical (fixed key order, dice in canonical form, no
/// optional `null`s), so stores may hash it; a request without dice serialises
/// as it did before dice existed.
///
/// ```
/// use dice_core::{ErrorCode, RollRequest};
///
/// let one = RollRequest::parse_json(br#"{"outcome": 6, "rolled_by": "alice"}"#)?;
/// let same = RollRequest::parse_json(br#"{ "rolled_by":"alice","outcome":6 }"#)?;
/// assert_eq!(one, same);
///
/// let typo = RollRequest::parse_json(br#"{"outcom": 6}"#).unwrap_err();
/// assert_eq!(typo.code(), ErrorCode::UnknownField);
/// assert_eq!(
///     typo.to_string(),
///     r#"outcom: is not a field of a roll (expected "outcome", "dice" or both, and optionally "rolled_by")"#,
/// );
///
/// let rolled = RollRequest::parse_json(br#"{"dice": "D20 + 3"}"#)?;
/// assert_eq!(serde_json::to_string(&rolled).unwrap(), r#"{"dice":"1d20+3"}"#);
/// # Ok::<(), dice_core::InvalidInput>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(untagged)]
pub enum RollRequest {
    /// A JSON object: one roll.
    One(RollToMake),
    /// A JSON array of objects: a batch.
    Batch(Batch<RollToMake>),
}

impl RollRequest {
    /// Parses and validates a request body.
    ///
    /// Every rejection names the field (for a batch, with the element's index, as
    /// in `[3].outcome` or `[3].dice`) and carries a stable [`ErrorCode`]. Nothing
    /// here panics, whatever the bytes.
    pub fn parse_json(body: &[u8]) -> Result<Self, InvalidInput> {
        match json::read(body)? {
            json::Body::Object(fields) => fields.validate().map(Self::One),
            json::Body::Array { elements, len } => {
                check_batch_len(len)?;
                let rolls = elements
                    .into_iter()
                    .enumerate()
                    .map(|(index, element)| {
                        element
                            .and_then(json::Fields::validate)
                            .map_err(|err| err.in_element(index))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Self::Batch(Batch(rolls)))
            }
        }
    }

    /// The rolls asked for, in request order: one, or the batch's.
    pub fn rolls(&self) -> &[RollToMake] {
        match self {
            Self::One(roll) => std::slice::from_ref(roll),
            Self::Batch(batch) => batch.rolls(),
        }
    }

    /// How many rolls the request records.
    pub fn len(&self) -> usize {
        match self {
            Self::One(_) => 1,
            Self::Batch(batch) => batch.len(),
        }
    }

    /// Always `false`: every request records at least one roll.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// What a create request recorded: one roll for [`RollRequest::One`], the rolls of
/// a batch in request order for [`RollRequest::Batch`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Recorded {
    /// The roll of a single create.
    One(Roll),
    /// The rolls of a batch, in request order.
    Batch(Vec<Roll>),
}

impl Recorded {
    /// What `request` recorded, given the stored `rolls` in request order, shaped
    /// as the request was: `None` when their number does not match it.
    pub fn matching(request: &RollRequest, mut rolls: Vec<Roll>) -> Option<Self> {
        if rolls.len() != request.len() {
            return None;
        }
        match request {
            RollRequest::One(_) => rolls.pop().map(Self::One),
            RollRequest::Batch(_) => Some(Self::Batch(rolls)),
        }
    }

    /// The recorded rolls, in request order.
    pub fn rolls(&self) -> &[Roll] {
        match self {
            Self::One(roll) => std::slice::from_ref(roll),
            Self::Batch(rolls) => rolls,
        }
    }
}

#[cfg(test)]
mod tests;
