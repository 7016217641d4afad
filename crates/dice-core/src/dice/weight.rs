//! What distributions are computed in: exact counts while they fit a `u128`,
//! probabilities in `f64` once they do not.

use std::convert::Infallible;

/// A `u128` count of outcomes grew past `u128::MAX`.
#[derive(Debug)]
pub(super) struct Overflow;

/// A number that weighs outcomes: how many ways (`u128`) or how likely (`f64`).
pub(super) trait Weight: Copy + PartialEq {
    /// What a sum or product can fail with: only counts can overflow.
    type Error;

    /// No outcome.
    const ZERO: Self;
    /// One outcome, or certainty.
    const ONE: Self;

    /// The weight of `faces` of the faces of one die with `sides` sides.
    fn faces(faces: u32, sides: u32) -> Self;
    /// A whole number of arrangements, such as a binomial coefficient.
    fn count(count: u64) -> Self;
    /// `self + other`.
    fn add(self, other: Self) -> Result<Self, Self::Error>;
    /// `self * other`.
    fn mul(self, other: Self) -> Result<Self, Self::Error>;
    /// The weights after rolling one more die with `sides` sides: the total
    /// shifts by 1 to `sides`, so the result is `sides - 1` longer.
    fn add_die(weights: &[Self], sides: u32) -> Result<Vec<Self>, Self::Error>;
    /// The probability of each weight.
    fn probabilities(weights: &[Self]) -> Result<Vec<f64>, Self::Error>;

    /// `self + a * b`, the step of every convolution.
    fn add_product(self, a: Self, b: Self) -> Result<Self, Self::Error> {
        self.add(a.mul(b)?)
    }
}

impl Weight for u128 {
    type Error = Overflow;
    const ZERO: Self = 0;
    const ONE: Self = 1;

    fn faces(faces: u32, _sides: u32) -> Self {
        faces.into()
    }

    fn count(count: u64) -> Self {
        count.into()
    }

    fn add(self, other: Self) -> Result<Self, Overflow> {
        self.checked_add(other).ok_or(Overflow)
    }

    fn mul(self, other: Self) -> Result<Self, Overflow> {
        self.checked_mul(other).ok_or(Overflow)
    }

    /// A sliding window over the old counts: exact integers lose nothing to the
    /// subtraction, and the cost is the length, not the length times `sides`.
    fn add_die(weights: &[Self], sides: u32) -> Result<Vec<Self>, Overflow> {
        let sides = sides as usize;
        let len = weights.len() + sides - 1;
        let mut window: u128 = 0;
        let mut out = Vec::with_capacity(len);
        for total in 0..len {
            if let Some(&entering) = weights.get(total) {
                window = window.add(entering)?;
            }
            if let Some(&leaving) = total.checked_sub(sides).and_then(|i| weights.get(i)) {
                window -= leaving;
            }
            out.push(window);
        }
        Ok(out)
    }

    fn probabilities(weights: &[Self]) -> Result<Vec<f64>, Overflow> {
        let all = weights.iter().try_fold(0, |sum: u128, &w| sum.add(w))?;
        // Each side of the division is rounded once: as near the exact ratio as f64 gets.
        Ok(weights.iter().map(|&w| w as f64 / all as f64).collect())
    }
}

impl Weight for f64 {
    type Error = Infallible;
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;

    fn faces(faces: u32, sides: u32) -> Self {
        f64::from(faces) / f64::from(sides)
    }

    fn count(count: u64) -> Self {
        count as f64
    }

    fn add(self, other: Self) -> Result<Self, Infallible> {
        Ok(self + other)
    }

    fn mul(self, other: Self) -> Result<Self, Infallible> {
        Ok(self * other)
    }

    /// Direct sums of positive terms: a sliding window would subtract numbers near
    /// 1 to get the tails' tiny ones and keep only rounding noise.
    fn add_die(weights: &[Self], sides: u32) -> Result<Vec<Self>, Infallible> {
        let face = Self::faces(1, sides);
        let mut out = vec![0.0; weights.len() + sides as usize - 1];
        for shift in 0..sides as usize {
            add_scaled(&mut out[shift..], weights, face)?;
        }
        Ok(out)
    }

    fn probabilities(weights: &[Self]) -> Result<Vec<f64>, Infallible> {
        let all: f64 = weights.iter().sum();
        Ok(weights.iter().map(|&w| w / all).collect())
    }
}

/// The weights of the sum of two independent parts: the convolution of theirs.
pub(super) fn convolve<W: Weight>(a: &[W], b: &[W]) -> Result<Vec<W>, W::Error> {
    if a.is_empty() || b.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = vec![W::ZERO; a.len() + b.len() - 1];
    for (shift, &x) in a.iter().enumerate() {
        add_scaled(&mut out[shift..], b, x)?;
    }
    Ok(out)
}

/// `dst[i] += src[i] * factor` for every `i` of `src`: one pass over contiguous
/// memory, which the compiler vectorises for `f64`.
pub(super) fn add_scaled<W: Weight>(dst: &mut [W], src: &[W], factor: W) -> Result<(), W::Error> {
    for (slot, &w) in dst.iter_mut().zip(src) {
        *slot = slot.add_product(w, factor)?;
    }
    Ok(())
}
