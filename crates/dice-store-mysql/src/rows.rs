//! Reading rows back into domain values, refusing anything the domain forbids.

use dice_core::{Actor, Error, Outcome, Roll, RollId, Timestamp};
use mysql_async::{Row, Value};

/// A roll from a row of `sql::roll_columns!`.
pub(crate) fn roll(mut row: Row) -> Result<Roll, Error> {
    let id = RollId::new(take(&mut row, 0)?).ok_or_else(|| Error::internal("a roll with id 0"))?;
    let corrupt = |column: &str, why: dice_core::InvalidInput| {
        Error::internal(format!(
            "roll {id}: stored {column} breaks the rules: {why}"
        ))
    };
    let outcome = Outcome::new(take(&mut row, 1)?);
    let rolled_by = take::<Option<String>>(&mut row, 2)?
        .map(Actor::parse)
        .transpose()
        .map_err(|why| corrupt("rolled_by", why))?;
    let created_by = take::<Option<String>>(&mut row, 3)?
        .map(Actor::parse)
        .transpose()
        .map_err(|why| corrupt("created_by", why))?;
    let created_at = timestamp(take(&mut row, 4)?)?;
    Ok(Roll {
        id,
        outcome,
        rolled_by,
        created_by,
        created_at,
    })
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
