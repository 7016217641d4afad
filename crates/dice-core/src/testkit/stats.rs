//! Behaviours of `stats` that any way of counting must keep: filters match
//! names and notations exactly, and concurrent writers of every kind are each
//! counted once.

use std::collections::BTreeMap;

use super::{actor, batch, dice, join_all, key, new_roll, server_roll};
use crate::{RollStore, RolledRequest, StatsQuery};

/// Per-outcome counts as plain numbers, for comparing.
async fn counts(store: &dyn RollStore, query: &StatsQuery) -> Vec<(u32, u64)> {
    let stats = store.stats(query).await.unwrap();
    assert_eq!(stats.count, stats.per_outcome.values().sum::<u64>());
    stats
        .per_outcome
        .iter()
        .map(|(o, n)| (o.get(), *n))
        .collect()
}

/// Names that differ only in case, accents or trailing space, and notations
/// that differ only in a keep that keeps everything, are counted apart.
pub async fn stats_filters_match_names_and_notations_exactly(store: &dyn RollStore) {
    let rolls = [
        server_roll("4d6", &[1, 2, 3, 4], Some("tom")),
        server_roll("4d6kh4", &[1, 2, 3, 4], Some("tom")),
        server_roll("4d6", &[6, 6, 6, 6], Some("Tom")),
        server_roll("4d6", &[6, 6, 6, 5], Some("tom ")),
        server_roll("4d6", &[6, 6, 6, 4], Some("tóm")),
        new_roll(10, Some("tom")),
    ];
    store.insert_batch(&batch(rolls), None).await.unwrap();
    let four_d6 = || StatsQuery::new().of(dice("4d6"));
    assert_eq!(
        counts(store, &four_d6()).await,
        [(10, 1), (22, 1), (23, 1), (24, 1)]
    );
    assert_eq!(counts(store, &four_d6().by(actor("tom"))).await, [(10, 1)]);
    assert_eq!(counts(store, &four_d6().by(actor("tom "))).await, [(23, 1)]);
    let of = |name: &str| StatsQuery::new().by(actor(name));
    assert_eq!(counts(store, &of("tom")).await, [(10, 3)]);
    assert_eq!(counts(store, &of("Tom")).await, [(24, 1)]);
    assert_eq!(counts(store, &of("tóm")).await, [(22, 1)]);
    let kept = StatsQuery::new().of(dice("4d6kh4"));
    assert_eq!(counts(store, &kept).await, [(10, 1)]);
    assert_eq!(counts(store, &StatsQuery::new()).await.len(), 4);
}

/// Sixteen writers at once, with single rolls, batches and idempotent inserts
/// (each sent twice), are each counted once, under every filter.
pub async fn stats_count_concurrent_writers_once(store: &dyn RollStore) {
    let writers = (0..16u32).map(|writer| async move {
        let name = format!("w{}", writer % 4);
        for round in 0..4u32 {
            let roll = server_roll("1d6", &[1 + (writer + round) % 6], Some(&name));
            match round {
                0 => drop(store.insert(&roll, None).await.unwrap()),
                1 => {
                    let rolls = (0..3).map(|n| new_roll(n + 1, Some(&name)));
                    drop(store.insert_batch(&batch(rolls), None).await.unwrap());
                }
                _ => {
                    let request = RolledRequest::from(roll);
                    let key = key(&format!("w{writer}-{round}"));
                    for _ in 0..2 {
                        drop(store.insert_idempotent(&key, &request, None).await.unwrap());
                    }
                }
            }
        }
    });
    join_all(writers).await;

    let all = store.stats(&StatsQuery::new()).await.unwrap();
    assert_eq!(all.count, 16 * (1 + 3 + 2));
    let mut expected: BTreeMap<(u32, u32), u64> = BTreeMap::new();
    for writer in 0..16u32 {
        for round in [0, 2, 3] {
            *expected
                .entry((writer % 4, 1 + (writer + round) % 6))
                .or_default() += 1;
        }
    }
    for player in 0..4u32 {
        let query = StatsQuery::new()
            .of(dice("1d6"))
            .by(actor(&format!("w{player}")));
        let wanted: Vec<(u32, u64)> = expected
            .range((player, 0)..(player + 1, 0))
            .map(|((_, outcome), n)| (*outcome, *n))
            .collect();
        assert_eq!(counts(store, &query).await, wanted, "w{player}'s 1d6");
        let everything = counts(store, &StatsQuery::new().by(actor(&format!("w{player}")))).await;
        assert_eq!(everything.iter().map(|(_, n)| n).sum::<u64>(), 4 * 6);
    }
    let d6: u64 = counts(store, &StatsQuery::new().of(dice("1d6")))
        .await
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(d6, 16 * 3);
}
