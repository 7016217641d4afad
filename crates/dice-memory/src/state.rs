//! The data behind the store's lock, and every operation on it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::counts::Counts;

use dice_core::{
    Actor, Error, IdempotencyKey, Idempotent, ListQuery, NewRoll, Page, Recorded, Result, Roll,
    RollId, RollRequest, RolledRequest, Stats, StatsQuery, Timestamp,
};

#[derive(Debug)]
pub(crate) struct State {
    /// Rolls in id order; the roll with id `n` is at index `n - 1`, as ids are
    /// handed out without gaps.
    rolls: Vec<Roll>,
    counts: Counts,
    keys: HashMap<(Option<Actor>, IdempotencyKey), Remembered>,
    key_ttl: Duration,
    last_purge: Instant,
}

#[derive(Debug)]
struct Remembered {
    /// The request as sent, not as rolled: a retry's own dice do not matter.
    request: RollRequest,
    recorded: Recorded,
    at: Instant,
}

impl State {
    pub(crate) fn new(key_ttl: Duration) -> Self {
        Self {
            rolls: Vec::new(),
            counts: Counts::default(),
            keys: HashMap::new(),
            key_ttl,
            last_purge: Instant::now(),
        }
    }

    /// Appends every roll or, if the id range would run out, none.
    pub(crate) fn append(
        &mut self,
        rolls: &[NewRoll],
        created_by: Option<&Actor>,
    ) -> Result<Vec<Roll>> {
        let start = self.rolls.len();
        let ids = (start + 1..=start + rolls.len())
            .map(|n| u32::try_from(n).ok().and_then(RollId::new))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::internal("the roll id range (INT UNSIGNED) is used up"))?;
        let now =
            Timestamp::now().ok_or_else(|| Error::internal("system clock outside 1970..=9999"))?;
        self.rolls.extend(
            rolls
                .iter()
                .zip(ids)
                .map(|(roll, id)| roll.clone().into_roll(id, created_by.cloned(), now)),
        );
        for roll in &self.rolls[start..] {
            self.counts.add(roll);
        }
        Ok(self.rolls[start..].to_vec())
    }

    pub(crate) fn record_once(
        &mut self,
        key: &IdempotencyKey,
        request: &RolledRequest,
        created_by: Option<&Actor>,
    ) -> Result<Idempotent> {
        self.purge_expired_keys();
        let scoped = (created_by.cloned(), key.clone());
        if let Some(remembered) = self.keys.get(&scoped)
            && remembered.at.elapsed() < self.key_ttl
        {
            return if remembered.request == *request.request() {
                Ok(Idempotent {
                    recorded: remembered.recorded.clone(),
                    replayed: true,
                })
            } else {
                Err(Error::IdempotencyConflict)
            };
        }
        let rolls = self.append(request.rolls(), created_by)?;
        let recorded = Recorded::matching(request.request(), rolls)
            .ok_or_else(|| Error::internal("stored a different number of rolls than asked"))?;
        self.keys.insert(
            scoped,
            Remembered {
                request: request.request().clone(),
                recorded: recorded.clone(),
                at: Instant::now(),
            },
        );
        Ok(Idempotent {
            recorded,
            replayed: false,
        })
    }

    /// Drops expired keys, at most once per TTL so the sweep costs O(1) amortised.
    fn purge_expired_keys(&mut self) {
        if self.last_purge.elapsed() < self.key_ttl {
            return;
        }
        let ttl = self.key_ttl;
        self.keys
            .retain(|_, remembered| remembered.at.elapsed() < ttl);
        self.last_purge = Instant::now();
    }

    pub(crate) fn get(&self, id: RollId) -> Result<Roll> {
        self.rolls
            .get(index_of(id))
            .cloned()
            .ok_or(Error::NotFound(id))
    }

    pub(crate) fn list(&self, query: &ListQuery) -> Page {
        // Rolls with ids below the cursor's are exactly those at indices below `id - 1`.
        let end = query
            .cursor()
            .map_or(usize::MAX, |cursor| index_of(cursor.before_id()));
        let end = end.min(self.rolls.len());
        let matching = self.rolls[..end]
            .iter()
            .rev()
            .filter(|roll| {
                query
                    .rolled_by()
                    .is_none_or(|by| roll.rolled_by.as_ref() == Some(by))
            })
            .take(query.limit().get() + 1)
            .cloned()
            .collect();
        Page::from_overfetch(matching, query.limit())
    }

    pub(crate) fn stats(&self, query: &StatsQuery) -> Stats {
        Stats::for_query(query, self.counts.of(query))
    }
}

/// Where the roll with `id` is, or would be, in `State::rolls`.
fn index_of(id: RollId) -> usize {
    usize::try_from(id.get() - 1).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use dice_core::testkit::{actor, new_roll};

    use super::*;

    fn key(text: &str) -> IdempotencyKey {
        IdempotencyKey::parse(text).unwrap()
    }

    #[test]
    fn expired_keys_record_again_and_are_purged() {
        let mut state = State::new(Duration::ZERO);
        let request = RolledRequest::from(new_roll(1, None));
        let by = actor("k");
        assert!(
            !state
                .record_once(&key("a"), &request, Some(&by))
                .unwrap()
                .replayed
        );
        assert!(
            !state
                .record_once(&key("a"), &request, Some(&by))
                .unwrap()
                .replayed
        );
        assert_eq!(state.rolls.len(), 2);
        state.record_once(&key("b"), &request, Some(&by)).unwrap();
        assert_eq!(
            state.keys.len(),
            1,
            "expired keys are dropped on the next idempotent insert"
        );
    }

    #[test]
    fn live_keys_replay() {
        let mut state = State::new(Duration::from_secs(60));
        let request = RolledRequest::from(new_roll(1, None));
        state.record_once(&key("a"), &request, None).unwrap();
        assert!(
            state
                .record_once(&key("a"), &request, None)
                .unwrap()
                .replayed
        );
        assert_eq!(state.rolls.len(), 1);
    }
}
