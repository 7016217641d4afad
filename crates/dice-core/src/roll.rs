//! [`NewRoll`], a roll to record, and [`Roll`], a recorded one.

use crate::{Actor, Dice, FacesError, Outcome, RollId, RolledDice, Timestamp};

/// A valid roll to record: an outcome, who rolled it if the client said, and
/// the dice when known.
///
/// Three kinds exist, and only these: an outcome the client reported (the
/// tutorial's roll), an outcome reported with its dice (a physical die, whose
/// outcome is a possible total of them), and a roll the server made (its dice
/// and every face, which add up to the outcome).
///
/// Who *recorded* it (`created_by`) is not part of it: that comes from the API
/// key of the request, never from the body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct NewRoll {
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    dice: Option<Dice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    faces: Option<Vec<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rolled_by: Option<Actor>,
}

/// Dice, faces and an outcome that do not belong together, as in a row that was
/// changed by hand.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InconsistentRoll {
    /// Faces are kept only for rolls with dice.
    #[error("faces without dice")]
    FacesWithoutDice,
    /// The faces are not a roll of the dice.
    #[error("faces that {dice} cannot show: {source}")]
    Faces {
        /// The dice.
        dice: Dice,
        /// How the faces do not fit them.
        source: FacesError,
    },
    /// The faces add up to another total than the outcome.
    #[error("faces of {dice} that total {total}, not the outcome {outcome}")]
    TotalMismatch {
        /// The dice.
        dice: Dice,
        /// What the faces add up to.
        total: Outcome,
        /// The outcome recorded with them.
        outcome: Outcome,
    },
    /// The dice cannot come to the outcome.
    #[error("{outcome} is not a possible total of {dice}")]
    Impossible {
        /// The dice.
        dice: Dice,
        /// The outcome recorded with them.
        outcome: Outcome,
    },
}

impl NewRoll {
    /// A roll of `outcome` by `rolled_by`, reported without dice.
    pub fn new(outcome: Outcome, rolled_by: Option<Actor>) -> Self {
        Self {
            outcome,
            dice: None,
            faces: None,
            rolled_by,
        }
    }

    /// The roll of `dice` that showed `faces` (one per die, in term order,
    /// dropped dice included), by `rolled_by`; its outcome is their total.
    ///
    /// ```
    /// use dice_core::{Dice, NewRoll};
    ///
    /// let roll = NewRoll::scored(Dice::parse("3d6+2")?, vec![4, 1, 6], None)?;
    /// assert_eq!(roll.outcome().get(), 13);
    /// assert!(NewRoll::scored(Dice::parse("3d6")?, vec![4, 1, 7], None).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scored(
        dice: Dice,
        faces: Vec<u32>,
        rolled_by: Option<Actor>,
    ) -> Result<Self, FacesError> {
        let rolled = dice.score(faces)?;
        Ok(Self::rolled(dice, rolled, rolled_by))
    }

    /// A roll the server made: `rolled` must be a roll of `dice`.
    pub(crate) fn rolled(dice: Dice, rolled: RolledDice, rolled_by: Option<Actor>) -> Self {
        Self {
            outcome: rolled.total(),
            dice: Some(dice),
            faces: Some(rolled.into_faces()),
            rolled_by,
        }
    }

    /// A reported roll of `dice`, whose `outcome` the caller checked is possible.
    pub(crate) fn reported(outcome: Outcome, dice: Option<Dice>, rolled_by: Option<Actor>) -> Self {
        Self {
            outcome,
            dice,
            faces: None,
            rolled_by,
        }
    }

    /// A roll from its parts as a store kept them, checked as on the way in:
    /// faces only with dice, faces that are a roll of the dice and add up to the
    /// outcome, and without faces an outcome the dice can come to.
    ///
    /// ```
    /// use dice_core::{Dice, NewRoll, Outcome};
    ///
    /// let d6 = || Some(Dice::parse("1d6").unwrap());
    /// assert!(NewRoll::from_parts(Outcome::new(6), d6(), Some(vec![6]), None).is_ok());
    /// assert!(NewRoll::from_parts(Outcome::new(5), d6(), Some(vec![6]), None).is_err());
    /// assert!(NewRoll::from_parts(Outcome::new(7), d6(), None, None).is_err());
    /// assert!(NewRoll::from_parts(Outcome::new(6), None, Some(vec![6]), None).is_err());
    /// ```
    pub fn from_parts(
        outcome: Outcome,
        dice: Option<Dice>,
        faces: Option<Vec<u32>>,
        rolled_by: Option<Actor>,
    ) -> Result<Self, InconsistentRoll> {
        match (dice, faces) {
            (None, None) => Ok(Self::new(outcome, rolled_by)),
            (None, Some(_)) => Err(InconsistentRoll::FacesWithoutDice),
            (Some(dice), None) if dice.is_possible(outcome) => {
                Ok(Self::reported(outcome, Some(dice), rolled_by))
            }
            (Some(dice), None) => Err(InconsistentRoll::Impossible { dice, outcome }),
            (Some(dice), Some(faces)) => match dice.score(faces) {
                Ok(rolled) if rolled.total() == outcome => {
                    Ok(Self::rolled(dice, rolled, rolled_by))
                }
                Ok(rolled) => Err(InconsistentRoll::TotalMismatch {
                    dice,
                    total: rolled.total(),
                    outcome,
                }),
                Err(source) => Err(InconsistentRoll::Faces { dice, source }),
            },
        }
    }

    /// The number rolled.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The dice, when the server rolled them or the client named them.
    pub fn dice(&self) -> Option<&Dice> {
        self.dice.as_ref()
    }

    /// Every face the server rolled, in term order, dropped dice included;
    /// `None` for a reported roll.
    pub fn faces(&self) -> Option<&[u32]> {
        self.faces.as_deref()
    }

    /// Who rolled, if the client said.
    pub fn rolled_by(&self) -> Option<&Actor> {
        self.rolled_by.as_ref()
    }

    /// The stored roll this becomes once a store gives it an id and a time.
    pub fn into_roll(self, id: RollId, created_by: Option<Actor>, created_at: Timestamp) -> Roll {
        Roll {
            id,
            outcome: self.outcome,
            dice: self.dice,
            faces: self.faces,
            rolled_by: self.rolled_by,
            created_by,
            created_at,
        }
    }
}

/// A row of the `rolls` table.
///
/// Serialises to the API's JSON:
/// `{"id":7,"outcome":6,"rolled_by":"alice","created_by":"k1","created_at":"2026-11-23T22:41:28Z"}`
/// for a reported roll, and with `"dice":"3d6+2","faces":[4,1,6]` after the
/// outcome for a roll the server made (`"dice"` alone for a reported roll with
/// dice): keys without a value are left out, so rolls without dice look exactly
/// as they always have.
///
/// Its `dice`, `faces` and `outcome` fit together as a [`NewRoll`]'s do: stores
/// make rolls from one ([`NewRoll::into_roll`]), read them back through
/// [`NewRoll::from_parts`], and deserialising checks the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RollFields")]
pub struct Roll {
    /// The id the store gave it.
    pub id: RollId,
    /// The number rolled.
    pub outcome: Outcome,
    /// The dice (canonical form), when the server rolled them or the client named them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dice: Option<Dice>,
    /// Every face the server rolled, in term order, dropped dice included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub faces: Option<Vec<u32>>,
    /// Who rolled, if the client said.
    pub rolled_by: Option<Actor>,
    /// The id of the API key that recorded it, if the request carried one.
    pub created_by: Option<Actor>,
    /// When the store recorded it.
    pub created_at: Timestamp,
}

/// A [`Roll`]'s JSON, before its parts are checked against each other.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RollFields {
    id: RollId,
    outcome: Outcome,
    #[serde(default)]
    dice: Option<Dice>,
    #[serde(default)]
    faces: Option<Vec<u32>>,
    rolled_by: Option<Actor>,
    created_by: Option<Actor>,
    created_at: Timestamp,
}

impl TryFrom<RollFields> for Roll {
    type Error = InconsistentRoll;

    fn try_from(fields: RollFields) -> Result<Self, Self::Error> {
        let roll =
            NewRoll::from_parts(fields.outcome, fields.dice, fields.faces, fields.rolled_by)?;
        Ok(roll.into_roll(fields.id, fields.created_by, fields.created_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(roll: NewRoll) -> Roll {
        roll.into_roll(
            RollId::new(7).unwrap(),
            Some(Actor::parse("k1").unwrap()),
            Timestamp::from_civil(2026, 11, 23, 22, 41, 28).unwrap(),
        )
    }

    #[test]
    fn serializes_as_the_api_shows_it() {
        let roll = stored(NewRoll::new(
            Outcome::new(6),
            Some(Actor::parse("alice").unwrap()),
        ));
        let json = serde_json::to_string(&roll).unwrap();
        assert_eq!(
            json,
            r#"{"id":7,"outcome":6,"rolled_by":"alice","created_by":"k1","created_at":"2026-11-23T22:41:28Z"}"#
        );
        assert_eq!(serde_json::from_str::<Roll>(&json).unwrap(), roll);
    }

    #[test]
    fn a_server_roll_serializes_its_canonical_dice_and_every_face() {
        let dice = Dice::parse("3D6 + 2").unwrap();
        let roll = stored(NewRoll::scored(dice, vec![4, 1, 6], None).unwrap());
        let json = serde_json::to_string(&roll).unwrap();
        assert_eq!(
            json,
            r#"{"id":7,"outcome":13,"dice":"3d6+2","faces":[4,1,6],"rolled_by":null,"created_by":"k1","created_at":"2026-11-23T22:41:28Z"}"#
        );
        assert_eq!(serde_json::from_str::<Roll>(&json).unwrap(), roll);
    }

    #[test]
    fn a_reported_roll_with_dice_serializes_its_dice_without_faces() {
        let dice = Dice::parse("1d6").unwrap();
        let roll = stored(NewRoll::from_parts(Outcome::new(6), Some(dice), None, None).unwrap());
        let json = serde_json::to_string(&roll).unwrap();
        assert!(
            json.contains(r#""outcome":6,"dice":"1d6","rolled_by""#),
            "{json}"
        );
        assert!(!json.contains("faces"), "{json}");
        assert_eq!(serde_json::from_str::<Roll>(&json).unwrap(), roll);
    }

    #[test]
    fn deserializing_keeps_the_invariants() {
        let at = r#""created_by":null,"created_at":"2026-11-23T22:41:28Z""#;
        let refused = [
            format!(r#"{{"id":0,"outcome":6,"rolled_by":null,{at}}}"#),
            format!(r#"{{"id":1,"outcome":6,"rolled_by":" ",{at}}}"#),
            format!(r#"{{"id":1,"outcome":6,"faces":[6],"rolled_by":null,{at}}}"#),
            format!(r#"{{"id":1,"outcome":5,"dice":"1d6","faces":[6],"rolled_by":null,{at}}}"#),
            format!(r#"{{"id":1,"outcome":7,"dice":"1d6","faces":[7],"rolled_by":null,{at}}}"#),
            format!(r#"{{"id":1,"outcome":6,"dice":"2d6","faces":[6],"rolled_by":null,{at}}}"#),
            format!(r#"{{"id":1,"outcome":7,"dice":"1d6","rolled_by":null,{at}}}"#),
            format!(r#"{{"id":1,"outcome":6,"dice":"1d1","rolled_by":null,{at}}}"#),
            format!(r#"{{"id":1,"outcome":6,"colour":"red","rolled_by":null,{at}}}"#),
        ];
        for json in refused {
            assert!(serde_json::from_str::<Roll>(&json).is_err(), "{json}");
        }
    }

    #[test]
    fn parts_that_do_not_fit_say_how() {
        let d6 = || Some(Dice::parse("1d6").unwrap());
        let err = |outcome, dice, faces| {
            NewRoll::from_parts(Outcome::new(outcome), dice, faces, None)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err(6, None, Some(vec![6])), "faces without dice");
        assert_eq!(
            err(5, d6(), Some(vec![6])),
            "faces of 1d6 that total 6, not the outcome 5"
        );
        assert_eq!(
            err(7, d6(), Some(vec![7])),
            "faces that 1d6 cannot show: face 7 at index 0 is not on a die with 6 sides"
        );
        assert_eq!(err(0, d6(), None), "0 is not a possible total of 1d6");
    }
}
