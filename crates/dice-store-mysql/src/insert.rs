//! Recording rolls: one multi-row `INSERT`, then the time and ids read back,
//! since neither MySQL 8.0 nor Aurora has `RETURNING`.

use dice_core::{Actor, NewRoll, Roll, RollId};
use mysql_async::prelude::Queryable;
use mysql_async::{Params, Value};

use crate::exec::OpError;
use crate::{rows, sql};

/// Inserts `rolls` in one statement (atomic on its own, or part of the caller's
/// transaction) and returns them as stored, in order.
///
/// The statement is a "simple insert", for which InnoDB hands out consecutive
/// ids in every lock mode, `auto_increment_increment` apart; `LAST_INSERT_ID()`
/// is the first. One statement also gives every row the same `created_at`.
pub(crate) async fn insert_rolls<Q: Queryable>(
    conn: &mut Q,
    rolls: &[NewRoll],
    created_by: Option<&Actor>,
) -> Result<Vec<Roll>, OpError> {
    let created_by_value = actor_value(created_by);
    let mut params = Vec::with_capacity(rolls.len() * 3);
    for roll in rolls {
        params.push(Value::from(roll.outcome().get()));
        params.push(actor_value(roll.rolled_by()));
        params.push(created_by_value.clone());
    }
    let first_id = {
        let result = conn
            .exec_iter(sql::insert(rolls.len()), Params::Positional(params))
            .await?;
        let first = result.last_insert_id();
        result.drop_result().await?;
        first
    };
    let first_id = first_id
        .and_then(|id| u32::try_from(id).ok())
        .and_then(RollId::new)
        .ok_or_else(|| dice_core::Error::internal("the insert reported no usable id"))?;

    let mut row = conn
        .exec_first::<mysql_async::Row, _, _>(sql::CREATED_AT, (first_id.get(),))
        .await?
        .ok_or_else(|| {
            dice_core::Error::internal(format!("roll {first_id} vanished after its insert"))
        })?;
    let created_at = rows::timestamp(rows::take(&mut row, 0)?)?;
    let step: u64 = rows::take(&mut row, 1)?;

    rolls
        .iter()
        .enumerate()
        .map(|(index, roll)| {
            let id = u64::from(first_id.get()) + step * index as u64;
            let id = u32::try_from(id)
                .ok()
                .and_then(RollId::new)
                .ok_or_else(|| {
                    dice_core::Error::internal("the roll id range (INT UNSIGNED) is used up")
                })?;
            Ok(roll.clone().into_roll(id, created_by.cloned(), created_at))
        })
        .collect()
}

/// An optional actor as a statement parameter: its text, or `NULL`.
pub(crate) fn actor_value(actor: Option<&Actor>) -> Value {
    actor.map_or(Value::NULL, |actor| Value::from(actor.as_str()))
}
