//! [`NewRoll`], a roll a client asks to record, and [`Roll`], a recorded one.

use crate::{Actor, Outcome, RollId, Timestamp};

/// A valid roll to record: an outcome and, optionally, who rolled it.
///
/// Who *recorded* it (`created_by`) is not part of it: that comes from the API
/// key of the request, never from the body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct NewRoll {
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    rolled_by: Option<Actor>,
}

impl NewRoll {
    /// A roll of `outcome` by `rolled_by`.
    pub fn new(outcome: Outcome, rolled_by: Option<Actor>) -> Self {
        Self { outcome, rolled_by }
    }

    /// The number rolled.
    pub fn outcome(&self) -> Outcome {
        self.outcome
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
            rolled_by: self.rolled_by,
            created_by,
            created_at,
        }
    }
}

/// A row of the `rolls` table.
///
/// Serialises to the API's JSON:
/// `{"id":7,"outcome":6,"rolled_by":"alice","created_by":"k1","created_at":"2026-11-23T22:41:28Z"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roll {
    /// The id the store gave it.
    pub id: RollId,
    /// The number rolled.
    pub outcome: Outcome,
    /// Who rolled, if the client said.
    pub rolled_by: Option<Actor>,
    /// The id of the API key that recorded it, if the request carried one.
    pub created_by: Option<Actor>,
    /// When the store recorded it.
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_the_api_shows_it() {
        let roll = NewRoll::new(Outcome::new(6), Some(Actor::parse("alice").unwrap())).into_roll(
            RollId::new(7).unwrap(),
            Some(Actor::parse("k1").unwrap()),
            Timestamp::from_civil(2026, 11, 23, 22, 41, 28).unwrap(),
        );
        let json = serde_json::to_string(&roll).unwrap();
        assert_eq!(
            json,
            r#"{"id":7,"outcome":6,"rolled_by":"alice","created_by":"k1","created_at":"2026-11-23T22:41:28Z"}"#
        );
        assert_eq!(serde_json::from_str::<Roll>(&json).unwrap(), roll);
    }

    #[test]
    fn deserializing_keeps_the_invariants() {
        let zero_id = r#"{"id":0,"outcome":6,"rolled_by":null,"created_by":null,"created_at":"2026-11-23T22:41:28Z"}"#;
        assert!(serde_json::from_str::<Roll>(zero_id).is_err());
        let blank = r#"{"id":1,"outcome":6,"rolled_by":" ","created_by":null,"created_at":"2026-11-23T22:41:28Z"}"#;
        assert!(serde_json::from_str::<Roll>(blank).is_err());
    }
}
