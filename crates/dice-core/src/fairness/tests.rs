//! The fairness test against SciPy, on seeded rolls, and in its JSON shape.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;

fn dice(notation: &str) -> Dice {
    Dice::parse(notation).unwrap()
}

/// `(total, count)` pairs for counts listed from the lowest total of `notation` up.
fn counts_from_lowest(notation: &str, counts: &[u64]) -> Vec<(Outcome, u64)> {
    let lowest = dice(notation).min_total().get();
    (lowest..)
        .map(Outcome::new)
        .zip(counts.iter().copied())
        .collect()
}

fn assert_close(actual: f64, reference: f64, what: &str) {
    let error = (actual - reference).abs() / reference.abs();
    assert!(
        error <= 1e-9,
        "{what}: {actual} vs SciPy's {reference} (relative error {error:e})"
    );
}

/// Reference values from SciPy 1.17.1 (NumPy 2.4.6), computed once with:
///
/// ```python
/// import numpy as np
/// from scipy.stats import chisquare
/// def reference(ways, observed):  # ways: how many rolls make each total, lowest first
///     n, total = sum(observed), sum(ways)
///     f_exp = np.array([n * (w / total) for w in ways])
///     r = chisquare(np.array(observed, dtype=float), f_exp)
///     return float(r.statistic), float(r.pvalue)
/// ```
///
/// with `ways` 1,2,3,4,5,6,5,4,3,2,1 for 2d6; six 1s for 1d6; twenty 1s for 1d20;
/// 1,4,10,21,38,62,91,122,148,167,172,160,131,94,54,21 for 4d6kh3 (1296 rolls);
/// 1,3,6,10,15,21,25,27,27,25,21,15,10,6,3,1 for 3d6.
const SCIPY: [(&str, &[u64], f64, f64, Verdict); 6] = [
    (
        "2d6",
        &[18, 45, 55, 84, 97, 125, 96, 77, 66, 37, 20],
        2.8375000000000004,
        0.9849936582207112,
        Verdict::ConsistentWithFair,
    ),
    (
        "1d6",
        &[88, 95, 102, 97, 103, 115],
        4.16,
        0.5266175360940585,
        Verdict::ConsistentWithFair,
    ),
    (
        "1d20",
        &[
            95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 195,
        ],
        95.0,
        4.262265106878286e-12,
        Verdict::UnlikelyFair,
    ),
    (
        "4d6kh3",
        &[
            12, 38, 104, 205, 383, 615, 920, 1230, 1470, 1668, 1731, 1592, 1305, 946, 535, 206,
        ],
        1.3950919618745121,
        0.9999974088256872,
        Verdict::ConsistentWithFair,
    ),
    (
        "4d6kh3",
        &[
            5, 30, 90, 190, 360, 600, 900, 1210, 1470, 1680, 1760, 1630, 1335, 965, 540, 245,
        ],
        18.12708268212279,
        0.25604340813839416,
        Verdict::ConsistentWithFair,
    ),
    (
        "3d6",
        &[
            5, 20, 45, 85, 135, 195, 245, 270, 280, 260, 225, 170, 115, 75, 45, 20,
        ],
        41.51989562948468,
        0.000266328393657642,
        Verdict::UnlikelyFair,
    ),
];

#[test]
fn chi_square_and_p_value_match_scipy() {
    for (notation, counts, chi_square, p_value, verdict) in SCIPY {
        let fairness = Fairness::of(&dice(notation), counts_from_lowest(notation, counts));
        assert_close(fairness.chi_square().unwrap(), chi_square, notation);
        assert_close(fairness.p_value().unwrap(), p_value, notation);
        assert_eq!(fairness.verdict(), verdict, "{notation}");
        assert_eq!(
            fairness.degrees_of_freedom(),
            dice(notation).possible_totals() - 1
        );
    }
}

/// Rolls `notation` `n` times with a seeded generator and tests the totals.
fn seeded_fairness(notation: &str, n: usize, seed: u64) -> Fairness {
    let dice = dice(notation);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let totals = (0..n).map(|_| (dice.roll(&mut rng).total(), 1));
    Fairness::of(&dice, totals)
}

#[test]
fn sixty_thousand_seeded_rolls_are_consistent_with_fair() {
    for notation in ["1d6", "1d7", "2d6"] {
        let fairness = seeded_fairness(notation, 60_000, 2026);
        let p = fairness.p_value().unwrap();
        assert!(p > Fairness::SIGNIFICANCE, "{notation}: p = {p}");
        assert_eq!(
            fairness.verdict(),
            Verdict::ConsistentWithFair,
            "{notation}"
        );
    }
}

#[test]
fn a_loaded_die_is_unlikely_fair() {
    // One roll in ten comes up 6 whatever the die says.
    let die = dice("1d6");
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let totals = (0..60_000).map(|i| match i % 10 {
        0 => (Outcome::new(6), 1),
        _ => (die.roll(&mut rng).total(), 1),
    });
    let fairness = Fairness::of(&die, totals);
    assert_eq!(fairness.verdict(), Verdict::UnlikelyFair);
    assert!(fairness.p_value().unwrap() < 1e-100);
}

#[test]
fn any_total_expected_fewer_than_five_times_is_too_few_rolls() {
    // 2d6 makes 2 once in 36 rolls: 5 expected needs 180 rolls.
    let two_d6 = dice("2d6");
    let spread = |n: u64| {
        counts_from_lowest(
            "2d6",
            &[
                n,
                2 * n,
                3 * n,
                4 * n,
                5 * n,
                6 * n,
                5 * n,
                4 * n,
                3 * n,
                2 * n,
                n,
            ],
        )
    };
    let few = Fairness::of(&two_d6, spread(4)); // 144 rolls
    assert_eq!(few.verdict(), Verdict::TooFewRolls);
    assert_eq!((few.chi_square(), few.p_value()), (None, None));
    assert!(few.expected().is_some());
    let enough = Fairness::of(&two_d6, spread(5)); // 180 rolls
    assert_eq!(enough.verdict(), Verdict::ConsistentWithFair);
    assert_eq!(enough.chi_square(), Some(0.0));
    let none = Fairness::of(&two_d6, []);
    assert_eq!(none.verdict(), Verdict::TooFewRolls);
}

#[test]
fn a_total_the_dice_cannot_make_is_unlikely_fair() {
    let fairness = Fairness::of(&dice("1d2"), [(Outcome::new(1), 500), (Outcome::new(3), 1)]);
    assert_eq!(fairness.verdict(), Verdict::UnlikelyFair);
    assert_eq!(
        (fairness.chi_square(), fairness.p_value()),
        (None, Some(0.0))
    );
}

#[test]
fn repeated_totals_add_up_and_zero_counts_are_ignored() {
    let split = [
        (Outcome::new(1), 30),
        (Outcome::new(2), 50),
        (Outcome::new(1), 20),
        (Outcome::new(9), 0),
    ];
    let whole = [(Outcome::new(1), 50), (Outcome::new(2), 50)];
    assert_eq!(
        Fairness::of(&dice("1d2"), split),
        Fairness::of(&dice("1d2"), whole)
    );
}

#[test]
fn fairness_serializes_with_the_keys_of_the_spec() {
    let coin = dice("1d2");
    let fair = Fairness::of(&coin, [(Outcome::new(1), 52), (Outcome::new(2), 48)]);
    let json = serde_json::to_value(&fair).unwrap();
    let p = fair.p_value().unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "expected": {"1": 0.5, "2": 0.5},
            "chi_square": 0.16,
            "degrees_of_freedom": 1,
            "p_value": p,
            "verdict": "consistent with fair",
        })
    );
    let few = serde_json::to_value(Fairness::of(&coin, [(Outcome::new(1), 3)])).unwrap();
    assert_eq!(few["verdict"], "too few rolls");
    assert_eq!(
        (&few["chi_square"], &few["p_value"]),
        (&serde_json::Value::Null, &serde_json::Value::Null)
    );
    assert!(few.get("reason").is_none());
}

#[test]
fn too_large_distributions_are_not_computed_with_the_reason() {
    let big = Fairness::of(&dice("1d20000"), [(Outcome::new(1), 1)]);
    assert_eq!(big.verdict(), Verdict::NotComputed);
    assert_eq!(big.reason(), Some("more than 10000 possible totals"));
    assert_eq!(
        serde_json::to_value(&big).unwrap(),
        serde_json::json!({
            "expected": null,
            "chi_square": null,
            "degrees_of_freedom": 19999,
            "p_value": null,
            "verdict": "not computed",
            "reason": "more than 10000 possible totals",
        })
    );
    let keep = Fairness::of(&dice("21d6kh3"), []);
    assert_eq!(keep.reason(), Some("keep/drop on more than 20 dice"));
    assert_eq!(keep.degrees_of_freedom(), 15);
}
