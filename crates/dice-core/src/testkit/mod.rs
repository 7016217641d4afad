//! The conformance suite every [`RollStore`] must pass (feature `testkit`).
//!
//! **Not a stable API**: the behaviours and helpers here change as the
//! contract grows, without a major version; depend on it only from tests.
//!
//! Each behaviour is a public async function taking a fresh, empty store, so a
//! store's own tests can run one alone. [`conformance_tests!`](crate::conformance_tests)
//! expands to one test per behaviour, so a failure is reported by the
//! behaviour's name; [`run_all`] runs every one of them in a single test. The
//! in-memory and MySQL stores both run this very suite, which is what makes
//! them interchangeable.
//!
//! ```text
//! // tests/conformance.rs of a store crate
//! async fn check(behaviour: dice_core::testkit::Behaviour) {
//!     behaviour.run(&MyStore::connect_fresh().await).await;
//! }
//! dice_core::conformance_tests!(#[tokio::test] check);
//! ```
//!
//! The suite needs no runtime: concurrent calls are interleaved with
//! `futures-util`'s combinators on the caller's task, and a store that needs
//! threads gets them from its own runtime.

// This module is test code that ships in the library: a failed expectation is
// meant to panic, exactly as an assertion in a `#[test]` does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod dice_rolls;
mod stats;
mod suite;
mod yield_now;

use std::collections::HashSet;
use std::future::Future;

pub use dice_rolls::{
    dice_and_faces_round_trip, idempotent_replay_keeps_the_first_faces,
    reported_roll_with_dice_round_trips, rolls_without_dice_read_as_before,
    stats_of_a_notation_count_only_its_rolls,
};
pub use futures_util::future::{BoxFuture, join, join_all};
pub use stats::{
    stats_count_concurrent_writers_once, stats_filters_match_names_and_notations_exactly,
};
pub use yield_now::yield_now;

use crate::{
    Actor, Batch, Dice, Error, IdempotencyKey, Limit, ListQuery, NewRoll, Outcome, Page, Recorded,
    Roll, RollId, RollStore, RolledRequest, StatsQuery, Timestamp,
};

/// One behaviour of the suite: its name and how to run it on a store.
#[derive(Clone, Copy)]
pub struct Behaviour {
    /// The behaviour's function name, such as `ids_strictly_increase`.
    pub name: &'static str,
    check: for<'a> fn(&'a dyn RollStore) -> BoxFuture<'a, ()>,
}

impl Behaviour {
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        check: for<'a> fn(&'a dyn RollStore) -> BoxFuture<'a, ()>,
    ) -> Self {
        Self { name, check }
    }

    /// Checks the behaviour on `store`, which must be fresh and empty; panics
    /// when the store breaks it.
    pub async fn run(&self, store: &dyn RollStore) {
        (self.check)(store).await;
    }

    /// The behaviour called `name`, if the suite has one.
    pub fn named(name: &str) -> Option<Self> {
        BEHAVIOURS.iter().copied().find(|b| b.name == name)
    }
}

impl std::fmt::Debug for Behaviour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

macro_rules! behaviour_table {
    ($($behaviour:ident),* $(,)?) => {
        /// Every behaviour, in the order [`run_all`] runs them.
        pub const BEHAVIOURS: &[Behaviour] = &[
            $(Behaviour::new(stringify!($behaviour), |store| Box::pin($behaviour(store)))),*
        ];
    };
}

crate::__conformance_behaviours!([behaviour_table][]);

/// Runs every behaviour, each against a fresh empty store from `fresh_store`.
///
/// Prints each behaviour's name to stderr as it starts, so a failure in a
/// test's captured output says which one broke. Prefer
/// [`conformance_tests!`](crate::conformance_tests), which reports each by name.
pub async fn run_all<F, Fut, S>(mut fresh_store: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
    S: RollStore,
{
    for behaviour in BEHAVIOURS {
        eprintln!("conformance: {}", behaviour.name);
        let store = fresh_store().await;
        behaviour.run(&store).await;
    }
}

/// An actor for tests; panics on a name that breaks the rules.
pub fn actor(name: &str) -> Actor {
    Actor::parse(name).unwrap_or_else(|e| panic!("test actor {name:?}: {e}"))
}

/// A roll of `outcome` by `rolled_by`.
pub fn new_roll(outcome: u32, rolled_by: Option<&str>) -> NewRoll {
    NewRoll::new(Outcome::new(outcome), rolled_by.map(actor))
}

/// A batch of rolls; panics when empty or too long.
pub fn batch(rolls: impl IntoIterator<Item = NewRoll>) -> Batch {
    Batch::new(rolls.into_iter().collect()).expect("test batch")
}

/// Dice for tests; panics on a notation the parser refuses.
pub fn dice(notation: &str) -> Dice {
    Dice::parse(notation).unwrap_or_else(|e| panic!("test dice {notation:?}: {e}"))
}

/// A roll the server made of `notation` that came up `faces`, by `rolled_by`.
pub fn server_roll(notation: &str, faces: &[u32], rolled_by: Option<&str>) -> NewRoll {
    NewRoll::scored(dice(notation), faces.to_vec(), rolled_by.map(actor))
        .unwrap_or_else(|e| panic!("test faces {faces:?} of {notation}: {e}"))
}

/// `outcome`, reported as a roll of `notation`, by `rolled_by`.
pub fn reported_roll(outcome: u32, notation: &str, rolled_by: Option<&str>) -> NewRoll {
    NewRoll::from_parts(
        Outcome::new(outcome),
        Some(dice(notation)),
        None,
        rolled_by.map(actor),
    )
    .unwrap_or_else(|e| panic!("test report {outcome} of {notation}: {e}"))
}

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).expect("test key")
}

/// The stats of every roll, or of `rolled_by`'s.
fn everyone_or(rolled_by: Option<&Actor>) -> StatsQuery {
    rolled_by.map_or_else(StatsQuery::new, |by| StatsQuery::new().by(by.clone()))
}

async fn count(store: &dyn RollStore, rolled_by: Option<&Actor>) -> u64 {
    store
        .stats(&everyone_or(rolled_by))
        .await
        .expect("stats")
        .count
}

/// Every roll matching `query`'s filter, following cursors from its first page.
pub async fn list_all(store: &dyn RollStore, query: ListQuery) -> Vec<Roll> {
    let mut rolls = Vec::new();
    let mut query = query;
    loop {
        let page = store.list(&query).await.expect("list");
        assert!(
            page.rolls.len() <= query.limit().get(),
            "page longer than its limit"
        );
        rolls.extend(page.rolls);
        match page.next_cursor {
            Some(cursor) => query = query.after(cursor),
            None => return rolls,
        }
    }
}

fn assert_newest_first(rolls: &[Roll]) {
    for pair in rolls.windows(2) {
        assert!(
            pair[0].id > pair[1].id,
            "not newest first: {} then {}",
            pair[0].id,
            pair[1].id
        );
    }
}

/// The stored roll carries what was asked, the creator, a fresh id and the
/// store's current UTC time.
pub async fn insert_returns_the_stored_roll(store: &dyn RollStore) {
    let before = Timestamp::now().unwrap().unix_seconds();
    let by_key = actor("key-1");
    let roll = store
        .insert(&new_roll(6, Some("alice")), Some(&by_key))
        .await
        .unwrap();
    let after = Timestamp::now().unwrap().unix_seconds();

    assert_eq!(roll.outcome, Outcome::new(6));
    assert_eq!(roll.rolled_by, Some(actor("alice")));
    assert_eq!(roll.created_by, Some(by_key));
    let at = roll.created_at.unix_seconds();
    // The store's clock may be another machine's: allow a little skew.
    assert!(
        before.saturating_sub(2) <= at && at <= after + 2,
        "created_at {} is not the time of the insert",
        roll.created_at
    );

    let anonymous = store.insert(&new_roll(1, None), None).await.unwrap();
    assert_eq!((anonymous.rolled_by, anonymous.created_by), (None, None));
}

/// 0 and 4294967295, the ends of `INT UNSIGNED`, come back unchanged.
pub async fn extreme_outcomes_round_trip(store: &dyn RollStore) {
    for outcome in [0, u32::MAX] {
        let roll = store.insert(&new_roll(outcome, None), None).await.unwrap();
        assert_eq!(roll.outcome.get(), outcome);
        assert_eq!(store.get(roll.id).await.unwrap().outcome.get(), outcome);
    }
}

/// Each insert, single or batched, gets an id above every earlier one.
pub async fn ids_strictly_increase(store: &dyn RollStore) {
    let mut last: Option<RollId> = None;
    for round in 0..5 {
        let single = store.insert(&new_roll(round, None), None).await.unwrap();
        let many = store
            .insert_batch(&batch((0..3).map(|n| new_roll(n, None))), None)
            .await
            .unwrap();
        for roll in std::iter::once(&single).chain(&many) {
            assert!(
                last.is_none_or(|last| roll.id > last),
                "id {} after {last:?}",
                roll.id
            );
            last = Some(roll.id);
        }
    }
}

/// `get` returns exactly the roll `insert` returned.
pub async fn get_returns_what_insert_returned(store: &dyn RollStore) {
    let by_key = actor("k");
    let first = store
        .insert(&new_roll(3, Some("bob")), Some(&by_key))
        .await
        .unwrap();
    let second = store.insert(&new_roll(4, None), None).await.unwrap();
    assert_eq!(store.get(first.id).await.unwrap(), first);
    assert_eq!(store.get(second.id).await.unwrap(), second);
}

/// An id nobody was given is `NotFound`, not an internal error.
pub async fn get_of_an_unknown_id_is_not_found(store: &dyn RollStore) {
    let roll = store.insert(&new_roll(1, None), None).await.unwrap();
    for id in [roll.id.next().unwrap(), RollId::new(u32::MAX).unwrap()] {
        match store.get(id).await {
            Err(Error::NotFound(missing)) => assert_eq!(missing, id),
            other => panic!("get({id}) = {other:?}, expected NotFound"),
        }
    }
}

/// Names outside ASCII are stored and filtered on exactly as given.
pub async fn unicode_names_round_trip_exactly(store: &dyn RollStore) {
    let sixty = "🎲".repeat(60);
    let names = [
        "🎲 four-byte emoji 🐉",
        "e\u{301}le\u{300}ve combining marks",
        "שלום עולם right to left",
        "\u{202e}override",
        " surrounding space ",
        sixty.as_str(),
    ];
    for name in names {
        let stored = store.insert(&new_roll(2, Some(name)), None).await.unwrap();
        assert_eq!(stored.rolled_by.as_ref().unwrap().as_str(), name);
        let read = store.get(stored.id).await.unwrap();
        assert_eq!(read.rolled_by.as_ref().unwrap().as_str(), name);
        let listed = store.list(&ListQuery::new().by(actor(name))).await.unwrap();
        assert_eq!(listed.rolls, [read], "listing by {name:?}");
    }
    // Composed and decomposed forms are different names, kept apart.
    let composed = store
        .insert(&new_roll(1, Some("\u{e9}")), None)
        .await
        .unwrap();
    let decomposed = store
        .insert(&new_roll(1, Some("e\u{301}")), None)
        .await
        .unwrap();
    assert_eq!(
        store
            .list(&ListQuery::new().by(actor("\u{e9}")))
            .await
            .unwrap()
            .rolls,
        [composed]
    );
    assert_eq!(
        store
            .list(&ListQuery::new().by(actor("e\u{301}")))
            .await
            .unwrap()
            .rolls,
        [decomposed]
    );
}

/// A batch comes back in request order, with increasing ids, one creator and
/// every roll readable.
pub async fn batch_is_recorded_in_request_order(store: &dyn RollStore) {
    let by_key = actor("batcher");
    let wanted: Vec<NewRoll> = (0..1000)
        .map(|n| new_roll(n * 7, (n % 2 == 0).then_some("even")))
        .collect();
    let rolls = store
        .insert_batch(&batch(wanted.clone()), Some(&by_key))
        .await
        .unwrap();
    assert_eq!(rolls.len(), wanted.len());
    for (roll, asked) in rolls.iter().zip(&wanted) {
        assert_eq!(roll.outcome, asked.outcome());
        assert_eq!(roll.rolled_by.as_ref(), asked.rolled_by());
        assert_eq!(roll.created_by.as_ref(), Some(&by_key));
    }
    for pair in rolls.windows(2) {
        assert!(pair[0].id < pair[1].id, "batch ids out of request order");
    }
    assert_eq!(store.get(rolls[999].id).await.unwrap(), rolls[999]);
    assert_eq!(count(store, None).await, 1000);
    assert_eq!(count(store, Some(&actor("even"))).await, 500);
}

/// Readers see all of a batch or none of it, never a part.
pub async fn batch_is_all_or_nothing_to_readers(store: &dyn RollStore) {
    const LEN: u64 = 500;
    let writer = async {
        for _ in 0..3 {
            store
                .insert_batch(
                    &batch((0..LEN as u32).map(|n| new_roll(n, Some("bulk")))),
                    None,
                )
                .await
                .unwrap();
            yield_now().await;
        }
    };
    let reader = async {
        let mut seen = Vec::new();
        for _ in 0..30 {
            seen.push(count(store, Some(&actor("bulk"))).await);
            yield_now().await;
        }
        seen
    };
    let ((), seen) = join(writer, reader).await;
    for n in seen {
        assert_eq!(n % LEN, 0, "a reader saw {n} rolls: part of a batch");
    }
    assert_eq!(count(store, None).await, 3 * LEN);
}

/// Listing is newest first, by id, and the filter matches the name exactly.
pub async fn list_is_newest_first_and_filters_by_actor(store: &dyn RollStore) {
    let mut alices = Vec::new();
    for n in 0..10 {
        let name = if n % 3 == 0 { "alice" } else { "bob" };
        let roll = store.insert(&new_roll(n, Some(name)), None).await.unwrap();
        if name == "alice" {
            alices.push(roll);
        }
    }
    store
        .insert(&new_roll(1, Some("Alice")), None)
        .await
        .unwrap();
    store
        .insert(&new_roll(1, Some("alice ")), None)
        .await
        .unwrap();
    store.insert(&new_roll(1, None), None).await.unwrap();

    let all = store.list(&ListQuery::new()).await.unwrap();
    assert_eq!(all.rolls.len(), 13);
    assert_eq!(all.next_cursor, None);
    assert_newest_first(&all.rolls);

    alices.reverse();
    let page = store
        .list(&ListQuery::new().by(actor("alice")))
        .await
        .unwrap();
    assert_eq!(
        page.rolls, alices,
        "the filter must match exactly, case and space included"
    );

    let nobody = store
        .list(&ListQuery::new().by(actor("nobody")))
        .await
        .unwrap();
    assert_eq!(
        nobody,
        Page {
            rolls: vec![],
            next_cursor: None
        }
    );
}

/// Following cursors visits every roll exactly once, whatever the page size,
/// and a full last page does not promise a page that is empty.
pub async fn pagination_visits_every_roll_once(store: &dyn RollStore) {
    let rolls = store
        .insert_batch(
            &batch((0..30).map(|n| new_roll(n, Some(if n % 2 == 0 { "a" } else { "b" })))),
            None,
        )
        .await
        .unwrap();
    let mut expected: Vec<Roll> = rolls.into_iter().rev().collect();
    for limit in [1, 2, 7, 10, 29, 30, 31, 1000] {
        let limit = Limit::new(limit).unwrap();
        let listed = list_all(store, ListQuery::new().limit_to(limit)).await;
        assert_eq!(listed, expected, "limit {limit:?}");
    }
    let ten = store
        .list(&ListQuery::new().limit_to(Limit::new(10).unwrap()))
        .await
        .unwrap();
    assert!(ten.next_cursor.is_some());
    let exact = store
        .list(&ListQuery::new().limit_to(Limit::new(30).unwrap()))
        .await
        .unwrap();
    assert_eq!(
        exact.next_cursor, None,
        "a page that ends the listing has no cursor"
    );

    expected.retain(|roll| roll.rolled_by == Some(actor("b")));
    let by_b = list_all(
        store,
        ListQuery::new()
            .by(actor("b"))
            .limit_to(Limit::new(4).unwrap()),
    )
    .await;
    assert_eq!(by_b, expected);
}

/// Rolls recorded while a client pages never make it see a roll twice, nor miss
/// one that existed when it began.
pub async fn pagination_under_concurrent_inserts_never_repeats_or_skips(store: &dyn RollStore) {
    let existing = store
        .insert_batch(&batch((0..60).map(|n| new_roll(n, None))), None)
        .await
        .unwrap();
    let writer = async {
        for n in 0..40 {
            store.insert(&new_roll(n, None), None).await.unwrap();
            yield_now().await;
        }
    };
    let pager = async {
        let mut query = ListQuery::new().limit_to(Limit::new(7).unwrap());
        let mut seen = Vec::new();
        loop {
            let page = store.list(&query).await.unwrap();
            seen.extend(page.rolls);
            yield_now().await;
            match page.next_cursor {
                Some(cursor) => query = query.after(cursor),
                None => return seen,
            }
        }
    };
    let ((), seen) = join(writer, pager).await;
    assert_newest_first(&seen);
    let ids: HashSet<RollId> = seen.iter().map(|roll| roll.id).collect();
    assert_eq!(ids.len(), seen.len(), "a roll was listed twice");
    for roll in &existing {
        assert!(
            ids.contains(&roll.id),
            "roll {} existed but was skipped",
            roll.id
        );
    }
}

/// A cursor below every id gives an empty page and no further cursor.
pub async fn cursor_past_the_oldest_roll_gives_an_empty_last_page(store: &dyn RollStore) {
    let rolls = store
        .insert_batch(&batch((0..3).map(|n| new_roll(n, None))), None)
        .await
        .unwrap();
    let after_oldest = crate::Cursor::after(rolls[0].id);
    let page = store
        .list(&ListQuery::new().after(after_oldest))
        .await
        .unwrap();
    assert_eq!(
        page,
        Page {
            rolls: vec![],
            next_cursor: None
        }
    );
    let after_newest = crate::Cursor::after(rolls[2].id);
    let page = store
        .list(&ListQuery::new().after(after_newest))
        .await
        .unwrap();
    assert_eq!(page.rolls, [rolls[1].clone(), rolls[0].clone()]);
}

/// Count, per-outcome counts and mean match the rolls, overall and per actor.
pub async fn stats_agree_with_what_was_inserted(store: &dyn RollStore) {
    let empty = store.stats(&StatsQuery::new()).await.unwrap();
    assert_eq!((empty.count, empty.mean), (0, None));
    assert!(empty.per_outcome.is_empty());

    let outcomes = [
        (1, "ann"),
        (6, "ann"),
        (6, "ann"),
        (3, "ben"),
        (u32::MAX, "ben"),
    ];
    for (outcome, name) in outcomes {
        store
            .insert(&new_roll(outcome, Some(name)), None)
            .await
            .unwrap();
    }
    store.insert(&new_roll(2, None), None).await.unwrap();

    let all = store.stats(&StatsQuery::new()).await.unwrap();
    assert_eq!(
        all.fairness, None,
        "only the stats of a notation judge fairness"
    );
    assert_eq!(all.count, 6);
    assert_eq!(all.per_outcome.get(&Outcome::new(6)), Some(&2));
    assert_eq!(all.per_outcome.values().sum::<u64>(), 6);
    let sum = 1.0 + 6.0 + 6.0 + 3.0 + f64::from(u32::MAX) + 2.0;
    assert_eq!(all.mean, Some(sum / 6.0));

    let ann = store
        .stats(&everyone_or(Some(&actor("ann"))))
        .await
        .unwrap();
    assert_eq!(ann.count, 3);
    assert_eq!(ann.mean, Some(13.0 / 3.0));
    assert_eq!(ann.per_outcome.len(), 2);
    assert_eq!(count(store, Some(&actor("nobody"))).await, 0);
}

/// The same key and request records once; the retry gets the first answer.
pub async fn idempotent_insert_records_once_and_replays(store: &dyn RollStore) {
    let by_key = actor("key");
    let request = RolledRequest::from(new_roll(5, Some("ida")));
    let first = store
        .insert_idempotent(&key("retry-1"), &request, Some(&by_key))
        .await
        .unwrap();
    assert!(!first.replayed);
    let Recorded::One(roll) = &first.recorded else {
        panic!("one roll asked, got a batch")
    };
    assert_eq!(roll.created_by, Some(by_key.clone()));

    let again = store
        .insert_idempotent(&key("retry-1"), &request, Some(&by_key))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.recorded, first.recorded);
    assert_eq!(count(store, None).await, 1);

    let other = store
        .insert_idempotent(&key("retry-2"), &request, Some(&by_key))
        .await
        .unwrap();
    assert!(!other.replayed);
    assert_eq!(count(store, None).await, 2);
}

/// Reusing a key for a different request is a conflict and records nothing.
pub async fn idempotent_key_with_a_different_request_conflicts(store: &dyn RollStore) {
    let by_key = actor("key");
    let first = RolledRequest::from(new_roll(5, None));
    store
        .insert_idempotent(&key("k"), &first, Some(&by_key))
        .await
        .unwrap();
    let different = [
        RolledRequest::from(new_roll(6, None)),
        RolledRequest::from(new_roll(5, Some("someone"))),
        RolledRequest::from(batch([new_roll(5, None)])),
    ];
    for request in different {
        match store
            .insert_idempotent(&key("k"), &request, Some(&by_key))
            .await
        {
            Err(Error::IdempotencyConflict) => {}
            other => panic!("reused key with {request:?}: {other:?}"),
        }
    }
    assert_eq!(count(store, None).await, 1);
}

/// Keys belong to the API key that sent them: another creator's same key is new.
pub async fn idempotent_keys_are_scoped_by_creator(store: &dyn RollStore) {
    let request = RolledRequest::from(new_roll(4, None));
    let (one, two) = (actor("key-one"), actor("key-two"));
    let a = store
        .insert_idempotent(&key("shared"), &request, Some(&one))
        .await
        .unwrap();
    let b = store
        .insert_idempotent(&key("shared"), &request, Some(&two))
        .await
        .unwrap();
    let c = store
        .insert_idempotent(&key("shared"), &request, None)
        .await
        .unwrap();
    assert!(!a.replayed && !b.replayed && !c.replayed);
    assert_ne!(a.recorded, b.recorded);
    assert_eq!(count(store, None).await, 3);
    let again = store
        .insert_idempotent(&key("shared"), &request, None)
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.recorded, c.recorded);
}

/// A replayed batch returns every roll of the first answer, in order.
pub async fn idempotent_batch_replays_the_whole_batch(store: &dyn RollStore) {
    let request = RolledRequest::from(batch((1..=6).map(|n| new_roll(n, Some("six")))));
    let first = store
        .insert_idempotent(&key("b"), &request, None)
        .await
        .unwrap();
    let Recorded::Batch(rolls) = &first.recorded else {
        panic!("batch asked, one roll given")
    };
    assert_eq!(
        rolls.iter().map(|r| r.outcome.get()).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
    let again = store
        .insert_idempotent(&key("b"), &request, None)
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.recorded, first.recorded);
    assert_eq!(count(store, None).await, 6);
}

/// 32 overlapping calls with one key record one roll, and all return it.
pub async fn concurrent_idempotent_inserts_record_exactly_once(store: &dyn RollStore) {
    let by_key = actor("racer");
    let request = RolledRequest::from(new_roll(2, Some("race")));
    let idem = key("concurrent");
    let results =
        join_all((0..32).map(|_| store.insert_idempotent(&idem, &request, Some(&by_key)))).await;
    let results: Vec<_> = results
        .into_iter()
        .map(|r| r.expect("idempotent insert"))
        .collect();
    assert_eq!(
        results.iter().filter(|r| !r.replayed).count(),
        1,
        "exactly one call records"
    );
    for result in &results {
        assert_eq!(result.recorded, results[0].recorded);
    }
    assert_eq!(count(store, None).await, 1);
}
