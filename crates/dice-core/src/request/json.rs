//! Reading a request body without building a JSON tree: only the known fields
//! are kept, and everything else is recorded as the first problem seen.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::RollToMake;
use crate::{Actor, Batch, Dice, ErrorCode, InvalidInput, Outcome};

/// The top level of a body.
pub(super) enum Body {
    Object(Fields),
    /// Elements past [`Batch::MAX_LEN`] are skipped but counted in `len`.
    Array {
        elements: Vec<Result<Fields, InvalidInput>>,
        len: usize,
    },
}

/// Reads `body` as JSON; only syntax and the top-level shape are checked here.
pub(super) fn read(body: &[u8]) -> Result<Body, InvalidInput> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(InvalidInput::new(
            ErrorCode::InvalidJson,
            "the request body is empty",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let top = deserializer.deserialize_any(TopVisitor).and_then(|top| {
        deserializer.end()?;
        Ok(top)
    });
    match top {
        Ok(Top::Body(body)) => Ok(body),
        Ok(Top::Other(kind)) => Err(not_an_object(kind)),
        Err(err) => Err(InvalidInput::new(
            ErrorCode::InvalidJson,
            // serde_json's message names the problem and where, never the input.
            format!("the request body is not valid JSON ({err})"),
        )),
    }
}

fn not_an_object(kind: &str) -> InvalidInput {
    InvalidInput::new(
        ErrorCode::InvalidBody,
        format!("expected a JSON object or an array of objects, found {kind}"),
    )
}

/// The fields of a roll as they arrived, and the first problem with the rest.
#[derive(Default)]
pub(super) struct Fields {
    outcome: Option<Value>,
    dice: Option<Value>,
    rolled_by: Option<Value>,
    problem: Option<InvalidInput>,
}

impl Fields {
    /// Applies the rules, in a fixed order so a body with several problems always
    /// gets the same answer: field names first, then `outcome`, then `dice`, then
    /// whether they make a roll together, then `rolled_by`.
    pub(super) fn validate(self) -> Result<RollToMake, InvalidInput> {
        if let Some(problem) = self.problem {
            return Err(problem);
        }
        let outcome = self.outcome.map(outcome).transpose()?;
        let dice = self.dice.and_then(dice).transpose()?;
        let roll = match (outcome, dice) {
            (Some(outcome), None) => RollToMake::report(outcome, None),
            (None, Some(dice)) => RollToMake::roll(dice, None),
            (Some(outcome), Some(dice)) => RollToMake::report_with_dice(outcome, dice, None)?,
            (None, None) => {
                let rule = r#"is required, unless "dice" is given for the server to roll"#;
                return Err(InvalidInput::new(ErrorCode::MissingOutcome, rule).at("outcome"));
            }
        };
        let rolled_by = match self.rolled_by {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(Actor::parse(name).map_err(|e| e.at("rolled_by"))?),
            Some(other) => {
                return Err(InvalidInput::new(
                    ErrorCode::InvalidRolledBy,
                    format!("must be a string, found {}", other.kind()),
                )
                .at("rolled_by"));
            }
        };
        Ok(roll.by(rolled_by))
    }

    fn note(&mut self, problem: InvalidInput) {
        self.problem.get_or_insert(problem);
    }
}

fn outcome(value: Value) -> Result<Outcome, InvalidInput> {
    match value {
        Value::Unsigned(n) => Outcome::parse_json_integer(n),
        _ => Err(crate::outcome::out_of_range()),
    }
}

/// The notation, `None` for `null` (an absent optional field, as for `rolled_by`).
fn dice(value: Value) -> Option<Result<Dice, InvalidInput>> {
    match value {
        Value::Null => None,
        Value::String(text) => {
            Some(Dice::parse(&text).map_err(|e| InvalidInput::from(e).at("dice")))
        }
        other => Some(Err(InvalidInput::new(
            ErrorCode::InvalidDice,
            format!(
                r#"must be a string of dice notation (like "3d6+2"), found {}"#,
                other.kind()
            ),
        )
        .at("dice"))),
    }
}

/// A field's value, kept only as far as the rules need it.
enum Value {
    Unsigned(u64),
    Negative,
    Float,
    String(String),
    Bool,
    Null,
    Array,
    Object,
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Self::Unsigned(_) | Self::Negative => "an integer",
            Self::Float => "a number with a fraction or exponent",
            Self::String(_) => "a string",
            Self::Bool => "a boolean",
            Self::Null => "null",
            Self::Array => "an array",
            Self::Object => "an object",
        }
    }
}

enum Top {
    Body(Body),
    Other(&'static str),
}

/// Implements the visitor methods for JSON scalars, mapping each to `$out`.
macro_rules! scalars_to {
    ($out:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($out("a boolean"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($out("a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($out("a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($out("a number"))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($out("a string"))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($out("null"))
        }
    };
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    scalars_to!(Top::Other);

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Top, A::Error> {
        read_fields(map).map(|fields| Top::Body(Body::Object(fields)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top, A::Error> {
        let mut elements = Vec::new();
        let mut len = 0;
        loop {
            let more = if len < Batch::MAX_LEN {
                seq.next_element_seed(ElementSeed)?
                    .map(|element| elements.push(element))
            } else {
                // Past the limit the request fails anyway; only count what is left.
                seq.next_element::<IgnoredAny>()?.map(drop)
            };
            if more.is_none() {
                break;
            }
            len += 1;
        }
        Ok(Top::Body(Body::Array { elements, len }))
    }
}

struct ElementSeed;

impl<'de> de::DeserializeSeed<'de> for ElementSeed {
    type Value = Result<Fields, InvalidInput>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Result<Fields, InvalidInput>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    scalars_to!(|kind| Err(element_not_an_object(kind)));

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        read_fields(map).map(Ok)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Err(element_not_an_object("an array")))
    }
}

fn element_not_an_object(kind: &str) -> InvalidInput {
    InvalidInput::new(
        ErrorCode::InvalidBody,
        format!("each roll must be a JSON object, found {kind}"),
    )
}

fn read_fields<'de, A: MapAccess<'de>>(mut map: A) -> Result<Fields, A::Error> {
    let mut fields = Fields::default();
    while let Some(name) = map.next_key::<FieldName>()? {
        let value = map.next_value::<Value>()?;
        let (slot, name) = match name {
            FieldName::Outcome => (&mut fields.outcome, "outcome"),
            FieldName::Dice => (&mut fields.dice, "dice"),
            FieldName::RolledBy => (&mut fields.rolled_by, "rolled_by"),
            FieldName::Unknown(name) => {
                fields.note(unknown_field(&name));
                continue;
            }
        };
        if slot.replace(value).is_some() {
            fields.note(
                InvalidInput::new(ErrorCode::DuplicateField, "appears more than once").at(name),
            );
        }
    }
    Ok(fields)
}

fn unknown_field(name: &str) -> InvalidInput {
    let rule = if name == "created_by" {
        "is taken from the API key and cannot be set in the body"
    } else {
        r#"is not a field of a roll (expected "outcome", "dice" or both, and optionally "rolled_by")"#
    };
    // The name is the client's own text: bound what is echoed back.
    let shown: String = name.chars().take(64).collect();
    InvalidInput::new(ErrorCode::UnknownField, rule).at(shown)
}

enum FieldName {
    Outcome,
    Dice,
    RolledBy,
    Unknown(String),
}

impl<'de> de::Deserialize<'de> for FieldName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = FieldName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<FieldName, E> {
                Ok(match name {
                    "outcome" => FieldName::Outcome,
                    "dice" => FieldName::Dice,
                    "rolled_by" => FieldName::RolledBy,
                    other => FieldName::Unknown(other.to_owned()),
                })
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Bool)
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        // serde_json only calls this for negative integers.
        Ok(u64::try_from(n).map_or(Value::Negative, Value::Unsigned))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Unsigned(n))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Value, E> {
        Ok(Value::Float)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        drain_seq(seq)?;
        Ok(Value::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Object)
    }
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}
