//! Distributions against a known table and against enumeration of every roll.

use std::collections::BTreeMap;

use super::super::weight::Weight;
use super::*;

fn distribution(notation: &str) -> Distribution {
    Dice::parse(notation).unwrap().distribution().unwrap()
}

/// Which dice of a term count, as the enumeration below understands it.
#[derive(Clone, Copy)]
enum Rule {
    All,
    Highest(usize),
    Lowest(usize),
}

/// `count` dice with `sides` sides, added (`sign` 1) or taken away (-1).
struct Part {
    sign: i64,
    count: usize,
    sides: u32,
    rule: Rule,
}

fn part(sign: i64, count: usize, sides: u32, rule: Rule) -> Part {
    Part {
        sign,
        count,
        sides,
        rule,
    }
}

/// How many of all equally likely rolls come to each total, found by rolling
/// every combination of faces once, and how many rolls there are.
fn enumerate(parts: &[Part], constant: i64) -> (BTreeMap<i64, u64>, u64) {
    let sides: Vec<u32> = parts
        .iter()
        .flat_map(|p| std::iter::repeat_n(p.sides, p.count))
        .collect();
    let mut faces = vec![1u32; sides.len()];
    let mut counts = BTreeMap::new();
    let mut rolls = 0;
    loop {
        *counts.entry(total(parts, &faces) + constant).or_insert(0) += 1;
        rolls += 1;
        // The next combination, like an odometer.
        let mut i = 0;
        while i < faces.len() && faces[i] == sides[i] {
            faces[i] = 1;
            i += 1;
        }
        if i == faces.len() {
            return (counts, rolls);
        }
        faces[i] += 1;
    }
}

fn total(parts: &[Part], faces: &[u32]) -> i64 {
    let mut rest = faces;
    let mut total = 0;
    for p in parts {
        let (mine, others) = rest.split_at(p.count);
        rest = others;
        let mut sorted: Vec<i64> = mine.iter().map(|&f| i64::from(f)).collect();
        sorted.sort_unstable();
        let kept: i64 = match p.rule {
            Rule::All => sorted.iter().sum(),
            Rule::Highest(k) => sorted.iter().rev().take(k).sum(),
            Rule::Lowest(k) => sorted.iter().take(k).sum(),
        };
        total += p.sign * kept;
    }
    total
}

/// Checks every total's probability against enumeration, exactly: both sides are
/// a count of rolls divided by the number of rolls, each rounded once.
fn assert_matches_enumeration(notation: &str, parts: &[Part], constant: i64) {
    let (counts, rolls) = enumerate(parts, constant);
    let dist = distribution(notation);
    assert_eq!(dist.possible_totals(), counts.len(), "{notation}");
    for (&total, &count) in &counts {
        let outcome = Outcome::new(u32::try_from(total).unwrap());
        assert_eq!(
            dist.probability(outcome),
            count as f64 / rolls as f64,
            "{notation}: total {total}"
        );
    }
}

#[test]
fn three_d6_matches_the_known_table() {
    let ways = [1, 3, 6, 10, 15, 21, 25, 27, 27, 25, 21, 15, 10, 6, 3, 1];
    let dist = distribution("3d6");
    assert_eq!(dist.min_total(), Outcome::new(3));
    assert_eq!(dist.max_total(), Outcome::new(18));
    let table: Vec<(Outcome, f64)> = (3..)
        .map(Outcome::new)
        .zip(ways.iter().map(|&w| f64::from(w) / 216.0))
        .collect();
    assert_eq!(dist.iter().collect::<Vec<_>>(), table);
}

#[test]
fn four_d6_keeping_the_highest_three_matches_enumeration() {
    assert_matches_enumeration("4d6kh3", &[part(1, 4, 6, Rule::Highest(3))], 0);
}

#[test]
fn two_d20_keeping_the_highest_matches_enumeration() {
    assert_matches_enumeration("2d20kh1", &[part(1, 2, 20, Rule::Highest(1))], 0);
}

#[test]
fn every_keep_and_drop_matches_enumeration() {
    use Rule::{Highest, Lowest};
    assert_matches_enumeration("4d6kl3", &[part(1, 4, 6, Lowest(3))], 0);
    assert_matches_enumeration("4d6dh1", &[part(1, 4, 6, Lowest(3))], 0);
    assert_matches_enumeration("5d4dl2", &[part(1, 5, 4, Highest(3))], 0);
    assert_matches_enumeration("3d8kl1", &[part(1, 3, 8, Lowest(1))], 0);
    assert_matches_enumeration("6d3kh2", &[part(1, 6, 3, Highest(2))], 0);
    assert_matches_enumeration("3d5kh3", &[part(1, 3, 5, Highest(3))], 0);
}

#[test]
fn terms_added_and_taken_away_match_enumeration() {
    let parts = [
        part(1, 4, 3, Rule::Highest(2)),
        part(1, 2, 4, Rule::Lowest(1)),
        part(-1, 1, 3, Rule::All),
        part(-1, 2, 3, Rule::Lowest(1)),
        part(-1, 3, 2, Rule::Highest(2)),
    ];
    assert_matches_enumeration("4d3kh2+2d4kl1-1d3-2d3kl1-3d2kh2+9", &parts, 9);
}

#[test]
fn counts_and_probabilities_agree_where_both_fit() {
    for notation in ["10d6+2d20kh1-1d4+7", "6d10dl2", "5d12kl2", "3d100"] {
        let dice = Dice::parse(notation).unwrap();
        let exact = dice.probabilities::<u128>().unwrap();
        let Ok(approx) = dice.probabilities::<f64>();
        assert_eq!(exact.len(), approx.len());
        for (e, a) in exact.iter().zip(&approx) {
            assert!((e - a).abs() <= 1e-12 * e, "{notation}: {e} vs {a}");
        }
    }
}

#[test]
fn counts_that_would_overflow_are_weighed_as_probabilities() {
    let dice = Dice::parse("50d6").unwrap();
    assert!(
        dice.probabilities::<u128>().is_err(),
        "6^50 outcomes overflow u128"
    );
    let dist = dice.distribution().unwrap();
    let sum: f64 = dist.iter().map(|(_, p)| p).sum();
    assert!((sum - 1.0).abs() < 1e-12);
    // The two extremes: all ones, all sixes.
    let one_way = 6f64.powi(-50);
    for end in [dist.min_total(), dist.max_total()] {
        let p = dist.probability(end);
        assert!((p - one_way).abs() <= 1e-12 * one_way, "{p} vs {one_way}");
    }
}

#[test]
fn a_thousand_d6_has_the_mean_and_variance_of_its_dice() {
    let dist = distribution("1000d6");
    assert_eq!(dist.possible_totals(), 5001);
    let moment = |k: i32| -> f64 {
        dist.iter()
            .map(|(t, p)| (f64::from(t.get()) - 3500.0).powi(k) * p)
            .sum()
    };
    assert!((moment(0) - 1.0).abs() < 1e-12);
    assert!(moment(1).abs() < 1e-9);
    let variance = 1000.0 * 35.0 / 12.0;
    assert!((moment(2) - variance).abs() < 1e-9 * variance);
    let (low, high) = (Outcome::new(3400), Outcome::new(3600));
    assert!((dist.probability(low) - dist.probability(high)).abs() < 1e-15);
}

#[test]
fn the_lowest_and_highest_dice_of_large_terms_mirror_each_other() {
    let highest = distribution("20d30kh3");
    let lowest = distribution("20d30kl3");
    let mirrored: Vec<f64> = lowest.iter().map(|(_, p)| p).rev().collect();
    let direct: Vec<f64> = highest.iter().map(|(_, p)| p).collect();
    assert_eq!(mirrored, direct);
    let sum: f64 = direct.iter().sum();
    assert!((sum - 1.0).abs() < 1e-12);
    // The highest of 20 is 30 unless all twenty miss it.
    let top_is_30 = 1.0 - (29.0f64 / 30.0).powi(20);
    let single = distribution("20d30kh1");
    assert!((single.probability(Outcome::new(30)) - top_is_30).abs() < 1e-12);
}

#[test]
fn more_than_ten_thousand_possible_totals_are_not_computed() {
    let err = |notation: &str| Dice::parse(notation).unwrap().distribution().unwrap_err();
    assert_eq!(err("1d10001"), NotComputed::TooManyTotals);
    assert_eq!(err("2d5001"), NotComputed::TooManyTotals);
    assert_eq!(err("1d4294967295"), NotComputed::TooManyTotals);
    assert_eq!(
        NotComputed::TooManyTotals.to_string(),
        "more than 10000 possible totals"
    );
    assert_eq!(distribution("1d10000").possible_totals(), 10_000);
    assert_eq!(distribution("2d5000").possible_totals(), 9_999);
}

#[test]
fn keep_and_drop_on_more_than_twenty_dice_are_not_computed() {
    let err = |notation: &str| Dice::parse(notation).unwrap().distribution().unwrap_err();
    assert_eq!(err("21d6kh3"), NotComputed::KeepDropTooLarge);
    assert_eq!(err("21d6dl1+1d4"), NotComputed::KeepDropTooLarge);
    assert_eq!(
        NotComputed::KeepDropTooLarge.to_string(),
        "keep/drop on more than 20 dice"
    );
    assert_eq!(distribution("20d6kh3").possible_totals(), 16);
    assert_eq!(distribution("21d6").possible_totals(), 106);
}

#[test]
fn the_largest_outcome_can_be_a_total() {
    let dist = distribution("1d2+4294967293");
    assert_eq!(dist.max_total(), Outcome::MAX);
    assert_eq!(dist.probability(Outcome::MAX), 0.5);
    assert_eq!(dist.iter().last(), Some((Outcome::MAX, 0.5)));
    assert_eq!(dist.probability(Outcome::new(0)), 0.0);
}

#[test]
fn distributions_serialize_as_a_map_from_total_to_probability() {
    let json = serde_json::to_string(&distribution("1d4-1")).unwrap();
    assert_eq!(json, r#"{"0":0.25,"1":0.25,"2":0.25,"3":0.25}"#);
}

#[test]
fn a_sliding_window_of_counts_adds_a_die_like_direct_sums() {
    let start: Vec<u128> = vec![1, 4, 9, 0, 2];
    let window = u128::add_die(&start, 3).unwrap();
    let direct: Vec<u128> = (0..start.len() + 2)
        .map(|t| {
            (0..3)
                .filter_map(|f| t.checked_sub(f).and_then(|i| start.get(i)))
                .sum()
        })
        .collect();
    assert_eq!(window, direct);
}
