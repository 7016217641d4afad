//! [`Fairness`]: Pearson's chi-square test of the totals rolled against the totals expected.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::{Dice, Distribution, Outcome};

#[cfg(test)]
mod tests;

/// Whether rolls of a notation look like rolls of fair dice.
///
/// Serialises as the `fairness` of `GET /stats?dice=...`:
/// `{"expected":{"2":0.027...,...},"chi_square":3.2,"degrees_of_freedom":10,"p_value":0.97,"verdict":"consistent with fair"}`,
/// with `"reason"` added only when the verdict is `"not computed"` (and `expected`,
/// `chi_square` and `p_value` then null).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fairness {
    expected: Option<Distribution>,
    chi_square: Option<f64>,
    degrees_of_freedom: u64,
    p_value: Option<f64>,
    verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// What the test concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Verdict {
    /// Some possible total is expected fewer than 5 times: the chi-square
    /// approximation does not hold yet, so there is no statistic.
    #[serde(rename = "too few rolls")]
    TooFewRolls,
    /// `p < 0.001`: fair dice would rarely spread like this. Also the verdict when a
    /// total the notation cannot make was recorded.
    #[serde(rename = "unlikely fair")]
    UnlikelyFair,
    /// `p >= 0.001`: nothing here tells these dice from fair ones.
    #[serde(rename = "consistent with fair")]
    ConsistentWithFair,
    /// The distribution is too large to compute; see the reason.
    #[serde(rename = "not computed")]
    NotComputed,
}

impl Fairness {
    /// The least count every possible total must be expected to reach before the
    /// test is run. Bins are never pooled.
    pub const MIN_EXPECTED_COUNT: f64 = 5.0;
    /// The p-value below which rolls are judged unlikely fair.
    pub const SIGNIFICANCE: f64 = 0.001;

    /// Tests rolls of `dice` that came to `counts` (total, how many times; totals may
    /// repeat and add up), computing the distribution when it is small enough.
    ///
    /// ```
    /// use dice_core::{Dice, Fairness, Outcome, Verdict};
    ///
    /// let coin = Dice::parse("1d2")?;
    /// let fair = Fairness::of(&coin, [(Outcome::new(1), 52), (Outcome::new(2), 48)]);
    /// assert_eq!(fair.verdict(), Verdict::ConsistentWithFair);
    /// assert_eq!(fair.chi_square(), Some(0.16));
    ///
    /// let loaded = Fairness::of(&coin, [(Outcome::new(1), 80), (Outcome::new(2), 20)]);
    /// assert_eq!(loaded.verdict(), Verdict::UnlikelyFair);
    /// # Ok::<(), dice_core::DiceError>(())
    /// ```
    pub fn of(dice: &Dice, counts: impl IntoIterator<Item = (Outcome, u64)>) -> Self {
        match dice.distribution() {
            Ok(expected) => Self::test(expected, counts),
            Err(reason) => Self::not_computed(dice.possible_totals() - 1, reason.to_string()),
        }
    }

    /// Tests rolls that came to `counts` against the `expected` distribution.
    pub fn test(expected: Distribution, counts: impl IntoIterator<Item = (Outcome, u64)>) -> Self {
        let degrees_of_freedom = expected.possible_totals() as u64 - 1;
        let Ok(law) = ChiSquared::new(degrees_of_freedom as f64) else {
            // Every distribution has two totals or more, so this is never reached.
            return Self::not_computed(degrees_of_freedom, "no degrees of freedom".into());
        };
        let observed = Observed::tally(&expected, counts);
        let rolls = observed.rolls as f64;
        let (chi_square, p_value, verdict) = if observed.impossible {
            (None, Some(0.0), Verdict::UnlikelyFair)
        } else if expected
            .iter()
            .any(|(_, p)| rolls * p < Self::MIN_EXPECTED_COUNT)
        {
            (None, None, Verdict::TooFewRolls)
        } else {
            let chi_square = pearson(&expected, &observed.per_total, rolls);
            let p_value = law.sf(chi_square);
            let verdict = if p_value < Self::SIGNIFICANCE {
                Verdict::UnlikelyFair
            } else {
                Verdict::ConsistentWithFair
            };
            (Some(chi_square), Some(p_value), verdict)
        };
        Self {
            expected: Some(expected),
            chi_square,
            degrees_of_freedom,
            p_value,
            verdict,
            reason: None,
        }
    }

    fn not_computed(degrees_of_freedom: u64, reason: String) -> Self {
        Self {
            expected: None,
            chi_square: None,
            degrees_of_freedom,
            p_value: None,
            verdict: Verdict::NotComputed,
            reason: Some(reason),
        }
    }

    /// The probability of every possible total; `None` when not computed.
    pub fn expected(&self) -> Option<&Distribution> {
        self.expected.as_ref()
    }

    /// Pearson's statistic, `Σ (observed - expected)² / expected` over every possible
    /// total; `None` unless the verdict is a judgement on it.
    pub fn chi_square(&self) -> Option<f64> {
        self.chi_square
    }

    /// The possible totals, less one.
    pub fn degrees_of_freedom(&self) -> u64 {
        self.degrees_of_freedom
    }

    /// The chance that fair dice spread at least this far from the expected counts.
    pub fn p_value(&self) -> Option<f64> {
        self.p_value
    }

    /// What the test concludes.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// Why the test was not computed, for [`Verdict::NotComputed`].
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

/// The counts per possible total, lowest total first.
struct Observed {
    per_total: Vec<u64>,
    rolls: u64,
    /// A total outside the distribution was counted: these are not these dice.
    impossible: bool,
}

impl Observed {
    fn tally(expected: &Distribution, counts: impl IntoIterator<Item = (Outcome, u64)>) -> Self {
        let min = expected.min_total().get();
        let mut observed = Self {
            per_total: vec![0; expected.possible_totals()],
            rolls: 0,
            impossible: false,
        };
        for (total, count) in counts.into_iter().filter(|&(_, count)| count > 0) {
            observed.rolls = observed.rolls.saturating_add(count);
            let slot = total.get().checked_sub(min);
            match slot.and_then(|i| observed.per_total.get_mut(i as usize)) {
                Some(seen) => *seen = seen.saturating_add(count),
                None => observed.impossible = true,
            }
        }
        observed
    }
}

fn pearson(expected: &Distribution, observed: &[u64], rolls: f64) -> f64 {
    expected
        .iter()
        .zip(observed)
        .map(|((_, p), &seen)| {
            let want = rolls * p;
            (seen as f64 - want).powi(2) / want
        })
        .sum()
}
