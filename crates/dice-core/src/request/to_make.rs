//! [`RollToMake`]: one roll as a create request asks for it, before any die is cast.

use rand::TryRngCore;

use crate::{Actor, Dice, ErrorCode, InvalidInput, NewRoll, Outcome};

/// One roll a create request asks for: dice for the server to roll
/// (`{"dice":"3d6+2"}`), or an outcome rolled elsewhere (`{"outcome":6}`),
/// perhaps with its dice (`{"outcome":6,"dice":"1d6"}`, a possible total of them).
///
/// Serialises canonically, as idempotent retries compare it: `outcome`, `dice`
/// (canonical form) and `rolled_by` in that order, absent ones left out, so a
/// request without dice serialises exactly as it always has.
///
/// ```
/// use dice_core::{Dice, Outcome, RollToMake};
///
/// let d6 = Dice::parse("1d6")?;
/// assert!(RollToMake::report_with_dice(Outcome::new(6), d6.clone(), None).is_ok());
/// let err = RollToMake::report_with_dice(Outcome::new(7), d6, None).unwrap_err();
/// assert_eq!(err.to_string(), "outcome: 7 is not a possible total of 1d6 (1 to 6)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RollToMake {
    kind: Kind,
    rolled_by: Option<Actor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Kind {
    /// The server rolls these dice.
    Roll(Dice),
    /// The client reports the outcome; with dice, a possible total of them.
    Report {
        outcome: Outcome,
        dice: Option<Dice>,
    },
}

impl RollToMake {
    /// The server rolls `dice` for `rolled_by`.
    pub fn roll(dice: Dice, rolled_by: Option<Actor>) -> Self {
        Self {
            kind: Kind::Roll(dice),
            rolled_by,
        }
    }

    /// `outcome`, reported by the client as in the tutorial.
    pub fn report(outcome: Outcome, rolled_by: Option<Actor>) -> Self {
        Self {
            kind: Kind::Report {
                outcome,
                dice: None,
            },
            rolled_by,
        }
    }

    /// `outcome`, rolled elsewhere with `dice`; refused (`invalid_outcome`)
    /// unless the dice can come to it.
    pub fn report_with_dice(
        outcome: Outcome,
        dice: Dice,
        rolled_by: Option<Actor>,
    ) -> Result<Self, InvalidInput> {
        if !dice.is_possible(outcome) {
            let rule = format!(
                "{outcome} is not a possible total of {dice} ({} to {})",
                dice.min_total(),
                dice.max_total()
            );
            return Err(InvalidInput::new(ErrorCode::InvalidOutcome, rule).at("outcome"));
        }
        Ok(Self {
            kind: Kind::Report {
                outcome,
                dice: Some(dice),
            },
            rolled_by,
        })
    }

    /// The same roll, by `rolled_by`.
    pub(super) fn by(self, rolled_by: Option<Actor>) -> Self {
        Self { rolled_by, ..self }
    }

    /// What the client asked for to get `roll`: its dice if the server rolled
    /// it, else the roll as reported.
    pub(crate) fn asked_for(roll: &NewRoll) -> Self {
        let kind = match (roll.dice(), roll.faces()) {
            (Some(dice), Some(_)) => Kind::Roll(dice.clone()),
            (dice, _) => Kind::Report {
                outcome: roll.outcome(),
                dice: dice.cloned(),
            },
        };
        Self {
            kind,
            rolled_by: roll.rolled_by().cloned(),
        }
    }

    /// The outcome the client reported; `None` when the server is to roll.
    pub fn outcome(&self) -> Option<Outcome> {
        match &self.kind {
            Kind::Roll(_) => None,
            Kind::Report { outcome, .. } => Some(*outcome),
        }
    }

    /// The dice, to roll or as reported.
    pub fn dice(&self) -> Option<&Dice> {
        match &self.kind {
            Kind::Roll(dice) => Some(dice),
            Kind::Report { dice, .. } => dice.as_ref(),
        }
    }

    /// Who rolls, if the client said.
    pub fn rolled_by(&self) -> Option<&Actor> {
        self.rolled_by.as_ref()
    }

    /// Makes the roll: rolls the dice with `rng` if the server is to roll them,
    /// else takes the reported roll as it is (drawing nothing).
    pub fn try_roll<R: TryRngCore + ?Sized>(&self, rng: &mut R) -> Result<NewRoll, R::Error> {
        let rolled_by = self.rolled_by.clone();
        Ok(match &self.kind {
            Kind::Roll(dice) => NewRoll::rolled(dice.clone(), dice.try_roll(rng)?, rolled_by),
            Kind::Report { outcome, dice } => NewRoll::reported(*outcome, dice.clone(), rolled_by),
        })
    }
}

impl serde::Serialize for RollToMake {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Canonical<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            outcome: Option<Outcome>,
            #[serde(skip_serializing_if = "Option::is_none")]
            dice: Option<&'a Dice>,
            #[serde(skip_serializing_if = "Option::is_none")]
            rolled_by: Option<&'a Actor>,
        }
        Canonical {
            outcome: self.outcome(),
            dice: self.dice(),
            rolled_by: self.rolled_by(),
        }
        .serialize(serializer)
    }
}
