//! [`Stats`]: what a set of rolls adds up to.

use std::collections::BTreeMap;

use crate::{Fairness, Outcome, StatsQuery};

/// The count of rolls, the count of each outcome, their mean, and for the rolls
/// of one notation, how fair they look.
///
/// Serialises as `{"count":3,"per_outcome":{"3":1,"6":2},"mean":5.0}`; `mean` is
/// `null` when there are no rolls. Stats of a notation add `"fairness":{...}`
/// (see [`Fairness`]); others have no such key.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stats {
    /// How many rolls.
    pub count: u64,
    /// How many rolls came up with each outcome; outcomes never rolled are absent.
    pub per_outcome: BTreeMap<Outcome, u64>,
    /// The arithmetic mean of the outcomes, `None` for no rolls.
    pub mean: Option<f64>,
    /// The chi-square test of the rolls against their dice, when the stats are
    /// of one notation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fairness: Option<Fairness>,
}

impl Stats {
    /// Stats from per-outcome counts, so every store computes count and mean the
    /// same way, to the last bit. Zero counts are dropped; repeated outcomes add up.
    ///
    /// ```
    /// use dice_core::{Outcome, Stats};
    ///
    /// let stats = Stats::from_counts([(Outcome::new(6), 2), (Outcome::new(3), 1)]);
    /// assert_eq!(stats.count, 3);
    /// assert_eq!(stats.mean, Some(5.0));
    /// ```
    pub fn from_counts(counts: impl IntoIterator<Item = (Outcome, u64)>) -> Self {
        let mut per_outcome = BTreeMap::new();
        for (outcome, count) in counts.into_iter().filter(|(_, count)| *count > 0) {
            *per_outcome.entry(outcome).or_insert(0) += count;
        }
        let count: u64 = per_outcome.values().sum();
        // u32 outcomes times u64 counts cannot overflow u128 for any real table.
        let sum: u128 = per_outcome
            .iter()
            .map(|(outcome, n)| u128::from(outcome.get()) * u128::from(*n))
            .sum();
        let mean = (count > 0).then(|| sum as f64 / count as f64);
        Self {
            count,
            per_outcome,
            mean,
            fairness: None,
        }
    }

    /// The answer to `query`, from the per-outcome counts of the rolls it selects:
    /// [`Stats::from_counts`], with the fairness of the notation when the query
    /// names one. Every store answers stats through this.
    ///
    /// ```
    /// use dice_core::{Dice, Outcome, Stats, StatsQuery, Verdict};
    ///
    /// let query = StatsQuery::new().of(Dice::parse("1d2")?);
    /// let stats = Stats::for_query(&query, [(Outcome::new(1), 52), (Outcome::new(2), 48)]);
    /// assert_eq!(stats.fairness.map(|f| f.verdict()), Some(Verdict::ConsistentWithFair));
    /// # Ok::<(), dice_core::DiceError>(())
    /// ```
    pub fn for_query(query: &StatsQuery, counts: impl IntoIterator<Item = (Outcome, u64)>) -> Self {
        let mut stats = Self::from_counts(counts);
        stats.fairness = query.dice().map(|dice| {
            let counts = stats.per_outcome.iter().map(|(total, n)| (*total, *n));
            Fairness::of(dice, counts)
        });
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rolls_have_no_mean() {
        let stats = Stats::from_counts([]);
        assert_eq!(stats.count, 0);
        assert_eq!(stats.mean, None);
        assert_eq!(
            serde_json::to_string(&stats).unwrap(),
            r#"{"count":0,"per_outcome":{},"mean":null}"#
        );
    }

    #[test]
    fn serializes_outcomes_as_keys() {
        let stats = Stats::from_counts([
            (Outcome::new(6), 2),
            (Outcome::new(3), 1),
            (Outcome::new(1), 0),
        ]);
        assert_eq!(
            serde_json::to_string(&stats).unwrap(),
            r#"{"count":3,"per_outcome":{"3":1,"6":2},"mean":5.0}"#
        );
    }

    #[test]
    fn stats_of_a_notation_add_its_fairness_and_others_do_not() {
        let counts = [(Outcome::new(1), 3), (Outcome::new(2), 4)];
        let plain = Stats::for_query(&StatsQuery::new(), counts);
        assert_eq!(plain, Stats::from_counts(counts));
        assert!(!serde_json::to_string(&plain).unwrap().contains("fairness"));

        let coin = crate::Dice::parse("1d2").unwrap();
        let judged = Stats::for_query(&StatsQuery::new().of(coin.clone()), counts);
        assert_eq!(judged.fairness, Some(Fairness::of(&coin, counts)));
        let json = serde_json::to_string(&judged).unwrap();
        assert!(
            json.starts_with(r#"{"count":7,"per_outcome":{"1":3,"2":4},"mean":"#)
                && json.contains(r#","fairness":{"expected":{"1":0.5,"2":0.5},"#),
            "{json}"
        );
    }

    #[test]
    fn large_outcomes_do_not_overflow() {
        let stats = Stats::from_counts([(Outcome::MAX, u64::from(u32::MAX))]);
        assert_eq!(stats.mean, Some(f64::from(u32::MAX)));
    }
}
