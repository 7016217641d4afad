//! Reading rows back into domain values, refusing anything the domain forbids.

use dice_core::{Actor, Dice, Error, NewRoll, Outcome, Roll, RollId, Timestamp};
use mysql_async::{Row, Value};

/// A roll from a row of `sql::roll_columns!`.
///
/// Dice, faces and outcome are checked together as on the way in, so a row
/// changed by hand into something no roll can be is an internal error naming
/// the roll, never a panic nor a wrong answer.
pub(crate) fn roll(mut row: Row) -> Result<Roll, Error> {
    let id = RollId::new(take(&mut row, 0)?).ok_or_else(|| Error::internal("a roll with id 0"))?;
    let corrupt = |column: &str, why: &dyn std::fmt::Display| {
        Error::internal(format!(
            "roll {id}: stored {column} breaks the rules: {why}"
        ))
    };
    let outcome = Outcome::new(take(&mut row, 1)?);
    let rolled_by = take::<Option<String>>(&mut row, 2)?
        .map(Actor::parse)
        .transpose()
        .map_err(|why| corrupt("rolled_by", &why))?;
    let created_by = take::<Option<String>>(&mut row, 3)?
        .map(Actor::parse)
        .transpose()
        .map_err(|why| corrupt("created_by", &why))?;
    let created_at = timestamp(take(&mut row, 4)?)?;
    let dice = take::<Option<String>>(&mut row, 5)?
        .map(|text| canonical_dice(&text))
        .transpose()
        .map_err(|why| corrupt("dice", &why))?;
    let faces = take::<Option<String>>(&mut row, 6)?
        .map(|text| serde_json::from_str::<Vec<u32>>(&text))
        .transpose()
        .map_err(|why| corrupt("faces", &why))?;
    let roll = NewRoll::from_parts(outcome, dice, faces, rolled_by)
        .map_err(|why| corrupt("outcome, dice and faces", &why))?;
    Ok(roll.into_roll(id, created_by, created_at))
}

/// The notation in `text`, which must be its canonical form: stats compare the
/// column byte for byte, so a row written otherwise would be read but never counted.
fn canonical_dice(text: &str) -> Result<Dice, String> {
    let dice = Dice::parse(text).map_err(|why| why.to_string())?;
    if dice.to_string() != text {
        return Err(format!("{text:?} is not in canonical form ({dice})"));
    }
    Ok(dice)
}

/// Column `index` as a `T`, or an internal error naming the mismatch.
pub(crate) fn take<T: mysql_async::prelude::FromValue>(
    row: &mut Row,
    index: usize,
) -> Result<T, Error> {
    match row.take_opt::<T, _>(index) {
        Some(Ok(value)) => Ok(value),
        Some(Err(err)) => Err(Error::internal(format!(
            "column {index}: unexpected value {:?}",
            err.0
        ))),
        None => Err(Error::internal(format!(
            "column {index} missing from the row"
        ))),
    }
}

/// A `TIMESTAMP` read in a UTC session.
pub(crate) fn timestamp(value: Value) -> Result<Timestamp, Error> {
    match value {
        Value::Date(year, month, day, hour, minute, second, _) => {
            Timestamp::from_civil(year, month, day, hour, minute, second)
        }
        _ => None,
    }
    .ok_or_else(|| Error::internal(format!("not a valid TIMESTAMP: {value:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_must_be_real_dates() {
        let t = timestamp(Value::Date(2026, 11, 23, 22, 41, 28, 0)).unwrap();
        assert_eq!(t.to_string(), "2026-11-23T22:41:28Z");
        assert!(
            timestamp(Value::Date(0, 0, 0, 0, 0, 0, 0)).is_err(),
            "MySQL's zero date"
        );
        assert!(timestamp(Value::NULL).is_err());
    }
}
