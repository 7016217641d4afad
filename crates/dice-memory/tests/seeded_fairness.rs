//! 60,000 seeded rolls each of `1d6`, `1d7` and `2d6`, made as the handler makes
//! them (a JSON body parsed, its dice rolled, the rolls recorded) and judged as
//! `GET /stats?dice=` judges them, are consistent with fair dice; the same rolls
//! from a source that favours the highest face are not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dice_core::{Fairness, RollRequest, RollStore, StatsQuery, Verdict};
use dice_memory::MemoryStore;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ROLLS: usize = 60_000;
const BATCH: usize = 1000;

/// Records `ROLLS` rolls of `notation` in batches of `BATCH`, each body parsed and
/// rolled with `rng`, and returns the fairness the stats of the notation carry.
async fn record_and_judge(notation: &str, rng: &mut dyn RngCore) -> (u64, Fairness) {
    let store = MemoryStore::new();
    let one = format!(r#"{{"dice":"{notation}"}}"#);
    let body = format!("[{}]", vec![one.as_str(); BATCH].join(","));
    for _ in 0..ROLLS / BATCH {
        let request = RollRequest::parse_json(body.as_bytes()).unwrap();
        store.record(&request.roll(rng), None).await.unwrap();
    }
    // Rolls without these dice are not counted in their stats.
    let other = RollRequest::parse_json(br#"[{"outcome":6},{"dice":"1d8"}]"#).unwrap();
    store.record(&other.roll(rng), None).await.unwrap();

    let query = StatsQuery::from_params([("dice", notation)]).unwrap();
    let stats = store.stats(&query).await.unwrap();
    (
        stats.count,
        stats.fairness.expect("stats of a notation carry fairness"),
    )
}

/// A source that answers every tenth draw with all ones: `Uniform` accepts that
/// draw and maps it to the highest face, so one roll in ten or so is loaded.
struct FavoursHighFaces {
    inner: ChaCha8Rng,
    draws: u32,
}

impl RngCore for FavoursHighFaces {
    fn next_u32(&mut self) -> u32 {
        self.draws += 1;
        if self.draws.is_multiple_of(10) {
            u32::MAX
        } else {
            self.inner.next_u32()
        }
    }

    fn next_u64(&mut self) -> u64 {
        u64::from(self.next_u32()) << 32 | u64::from(self.next_u32())
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.inner.fill_bytes(dst);
    }
}

#[tokio::test]
async fn sixty_thousand_seeded_rolls_of_each_notation_are_consistent_with_fair() {
    for (notation, seed, degrees_of_freedom) in [("1d6", 1, 5), ("1d7", 2, 6), ("2d6", 3, 10)] {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (count, fairness) = record_and_judge(notation, &mut rng).await;
        assert_eq!(count, ROLLS as u64, "{notation}");
        assert_eq!(fairness.degrees_of_freedom(), degrees_of_freedom);
        let p_value = fairness.p_value().unwrap();
        assert!(
            p_value > Fairness::SIGNIFICANCE,
            "{notation}: p = {p_value}"
        );
        assert_eq!(
            fairness.verdict(),
            Verdict::ConsistentWithFair,
            "{notation}"
        );
    }
}

#[tokio::test]
async fn the_same_rolls_from_a_source_that_favours_high_faces_are_unlikely_fair() {
    for (notation, seed) in [("1d6", 1), ("1d7", 2), ("2d6", 3)] {
        let mut rng = FavoursHighFaces {
            inner: ChaCha8Rng::seed_from_u64(seed),
            draws: 0,
        };
        let (count, fairness) = record_and_judge(notation, &mut rng).await;
        assert_eq!(count, ROLLS as u64, "{notation}");
        assert_eq!(fairness.verdict(), Verdict::UnlikelyFair, "{notation}");
        assert!(fairness.p_value().unwrap() < Fairness::SIGNIFICANCE);
    }
}
