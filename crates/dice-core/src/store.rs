//! The [`RollStore`] port that every storage adapter implements.

use async_trait::async_trait;

use crate::{
    Actor, Batch, Error, IdempotencyKey, ListQuery, NewRoll, Page, Recorded, Result, Roll, RollId,
    RolledRequest, Stats, StatsQuery,
};

/// Where rolls are recorded and read back.
///
/// Implementations (the in-memory store, the MySQL store) behave alike in every
/// way the [`testkit`](crate::testkit) checks: ids strictly increase, `created_at`
/// is the store's UTC time at second precision, batches are all-or-nothing,
/// listings are newest first with keyset cursors, and idempotent inserts record
/// at most once per key, even under concurrent retries.
///
/// `created_by` is the id of the API key a request came with; `None` only when the
/// deployment lets requests without a key through.
#[async_trait]
pub trait RollStore: Send + Sync {
    /// Records `rolls` (one, or a batch's 1..=1000) all-or-nothing and returns
    /// them as stored, in the same order, dice and faces included.
    ///
    /// The one write a store implements; [`insert`](Self::insert),
    /// [`insert_batch`](Self::insert_batch) and [`record`](Self::record) are
    /// built on it. Callers pass the rolls of a [`NewRoll`], a [`Batch`] or a
    /// [`RolledRequest`], so the slice is never empty nor longer than
    /// [`Batch::MAX_LEN`].
    async fn insert_rolls(
        &self,
        rolls: &[NewRoll],
        created_by: Option<&Actor>,
    ) -> Result<Vec<Roll>>;

    /// Records `request` once per `(created_by, key)`.
    ///
    /// The first call records the request's rolls and returns what it recorded. A
    /// later call with the same key and an equal [`RolledRequest::request`] (the
    /// request as sent, whatever its dice came up this time) records nothing and
    /// returns that same result, the first faces included, with
    /// [`Idempotent::replayed`] set; with a different request it fails with
    /// [`Error::IdempotencyConflict`](crate::Error::IdempotencyConflict). Calls
    /// that overlap wait for the first to finish. Keys may expire after a period
    /// the store documents.
    async fn insert_idempotent(
        &self,
        key: &IdempotencyKey,
        request: &RolledRequest,
        created_by: Option<&Actor>,
    ) -> Result<Idempotent>;

    /// The roll with `id`, or [`Error::NotFound`](crate::Error::NotFound).
    async fn get(&self, id: RollId) -> Result<Roll>;

    /// One page of rolls, newest first.
    async fn list(&self, query: &ListQuery) -> Result<Page>;

    /// Count, per-outcome counts and mean of the rolls `query` selects (all, one
    /// actor's, one notation's, or both), built with [`Stats::for_query`], so the
    /// stats of a notation carry its fairness.
    async fn stats(&self, query: &StatsQuery) -> Result<Stats>;

    /// Records one roll and returns it as stored.
    async fn insert(&self, roll: &NewRoll, created_by: Option<&Actor>) -> Result<Roll> {
        let rolls = self
            .insert_rolls(std::slice::from_ref(roll), created_by)
            .await?;
        match <[Roll; 1]>::try_from(rolls) {
            Ok([roll]) => Ok(roll),
            Err(rolls) => Err(Error::internal(format!(
                "an insert of one roll returned {}",
                rolls.len()
            ))),
        }
    }

    /// Records every roll of `batch`, or none of them; returns them in request order.
    async fn insert_batch(&self, batch: &Batch, created_by: Option<&Actor>) -> Result<Vec<Roll>> {
        self.insert_rolls(batch.rolls(), created_by).await
    }

    /// Records `request` without idempotency: one roll or a batch.
    async fn record(
        &self,
        request: &RolledRequest,
        created_by: Option<&Actor>,
    ) -> Result<Recorded> {
        let rolls = self.insert_rolls(request.rolls(), created_by).await?;
        Recorded::matching(request.request(), rolls)
            .ok_or_else(|| Error::internal("a store returned another number of rolls than asked"))
    }
}

/// The answer to an idempotent insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotent {
    /// What the first call with this key recorded.
    pub recorded: Recorded,
    /// `true` when this call recorded nothing and returned the first call's result.
    pub replayed: bool,
}
