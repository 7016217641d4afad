//! An in-memory [`RollStore`](MemoryStore#impl-RollStore-for-MemoryStore) with the semantics of the MySQL store.
//!
//! [`MemoryStore`] is the local default of `dice-local` and the store of choice in
//! tests: it passes the same conformance suite as `dice-store-mysql` (monotonic
//! ids, UTC second-precision timestamps, all-or-nothing batches, keyset cursors,
//! idempotency scoped by creator), so code tested against it behaves the same on
//! MySQL.
//!
//! ```
//! use dice_core::{ListQuery, RollRequest, RollStore};
//! use dice_memory::MemoryStore;
//!
//! # tokio_test_block_on(async {
//! let store = MemoryStore::new();
//! let request = RollRequest::parse_json(br#"{"outcome": 6, "rolled_by": "alice"}"#)?;
//! let recorded = store.record(&request.roll_os()?, None).await?;
//! assert_eq!(recorded.rolls()[0].outcome.get(), 6);
//!
//! let request = RollRequest::parse_json(br#"{"dice": "3d6"}"#)?;
//! let recorded = store.record(&request.roll_os()?, None).await?;
//! assert_eq!(recorded.rolls()[0].faces.as_ref().map(Vec::len), Some(3));
//!
//! let page = store.list(&ListQuery::new()).await?;
//! assert_eq!(page.rolls.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

mod counts;
mod state;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use dice_core::{
    Actor, IdempotencyKey, Idempotent, ListQuery, NewRoll, Page, Result, Roll, RollId, RollStore,
    RolledRequest, Stats, StatsQuery,
};

use state::State;

/// Rolls kept in process memory, safe to share between tasks and threads.
///
/// Idempotency keys expire after [`MemoryStore::DEFAULT_KEY_TTL`] unless set with
/// [`MemoryStore::with_key_ttl`], as in the MySQL store.
#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// How long an idempotency key is remembered by default: 24 hours.
    pub const DEFAULT_KEY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

    /// An empty store.
    pub fn new() -> Self {
        Self::with_key_ttl(Self::DEFAULT_KEY_TTL)
    }

    /// An empty store that forgets idempotency keys `ttl` after their first use.
    pub fn with_key_ttl(ttl: Duration) -> Self {
        Self {
            state: Mutex::new(State::new(ttl)),
        }
    }

    /// The state. Every update completes before the lock is released and none
    /// can panic halfway, so a poisoned lock still guards consistent data.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl RollStore for MemoryStore {
    async fn insert_rolls(
        &self,
        rolls: &[NewRoll],
        created_by: Option<&Actor>,
    ) -> Result<Vec<Roll>> {
        self.state().append(rolls, created_by)
    }

    async fn insert_idempotent(
        &self,
        key: &IdempotencyKey,
        request: &RolledRequest,
        created_by: Option<&Actor>,
    ) -> Result<Idempotent> {
        self.state().record_once(key, request, created_by)
    }

    async fn get(&self, id: RollId) -> Result<Roll> {
        self.state().get(id)
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        Ok(self.state().list(query))
    }

    async fn stats(&self, query: &StatsQuery) -> Result<Stats> {
        Ok(self.state().stats(query))
    }
}

// Compiles and runs the README's Rust examples as doctests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;
