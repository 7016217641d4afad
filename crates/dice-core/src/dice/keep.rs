//! The distribution of the sum of the highest dice of a term.
//!
//! The faces are visited from the highest down. While fewer than `keep` dice have
//! been placed, every placed die is kept, and a state is (dice placed, their sum).
//! At face `v`, `c` of the unplaced dice show `v`, chosen in `C(unplaced, c)` ways.
//! Once the placed dice reach `keep`, the kept sum is final and the others only need
//! to show less than `v` (or `v` itself), so that state ends at once with a closed
//! form weight. The work is about `keep³ · sides² / 12` steps, which the caps on
//! totals and on keep/drop dice bound.

use super::weight::{Weight, add_scaled};

/// The weights of the sum of the `keep` highest of `dice` dice with `sides` sides:
/// entry `i` is the sum `keep + i`. Needs `1 <= keep <= dice`.
pub(super) fn keep_highest<W: Weight>(
    dice: u32,
    keep: u32,
    sides: u32,
) -> Result<Vec<W>, W::Error> {
    let (n, k, m) = (dice as usize, keep as usize, sides as usize);
    let binomial = pascal(n);
    let face_pow = powers(W::faces(1, sides), n)?;
    // rows[j][s]: j dice placed, all above the current face, summing to s.
    let mut rows: Vec<Vec<W>> = (0..k).map(|j| vec![W::ZERO; j * m + 1]).collect();
    rows[0][0] = W::ONE;
    let mut sums = vec![W::ZERO; k * m + 1];
    for v in (1..=m).rev() {
        let below_pow = powers(W::faces(v as u32 - 1, sides), n)?;
        for j in (0..k).rev() {
            let rest = n - j;
            // The weight that at least `k - j` of the `rest` dice show `v` and the others less.
            let finish = (k - j..=rest).try_fold(W::ZERO, |acc, c| {
                let ways = W::count(binomial[rest][c]).mul(face_pow[c])?;
                acc.add_product(ways, below_pow[rest - c])
            })?;
            // The weight that exactly `c` of them show `v`, for each row above this one.
            let moves = (1..k - j)
                .map(|c| W::count(binomial[rest][c]).mul(face_pow[c]))
                .collect::<Result<Vec<W>, _>>()?;
            let (done, above) = rows.split_at_mut(j + 1);
            // Placed dice show more than `v`, so their sum is at least j * (v + 1).
            let lo = (j * (v + 1)).min(done[j].len());
            let placed = &done[j][lo..];
            add_scaled(&mut sums[lo + (k - j) * v..], placed, finish)?;
            for (c, (next, &ways)) in (1..).zip(above.iter_mut().zip(&moves)) {
                add_scaled(&mut next[lo + c * v..], placed, ways)?;
            }
        }
    }
    Ok(sums.split_off(k))
}

/// `C(a, b)` for `a, b <= n`, exact in `u64` for the at most 20 dice a keep/drop term
/// may have computed.
fn pascal(n: usize) -> Vec<Vec<u64>> {
    let mut rows: Vec<Vec<u64>> = Vec::with_capacity(n + 1);
    for a in 0..=n {
        let row = (0..=n)
            .map(|b| match (a, b) {
                (_, 0) => 1,
                (0, _) => 0,
                _ => rows[a - 1][b - 1] + rows[a - 1][b],
            })
            .collect();
        rows.push(row);
    }
    rows
}

/// `base^0` to `base^n`.
fn powers<W: Weight>(base: W, n: usize) -> Result<Vec<W>, W::Error> {
    let mut out = Vec::with_capacity(n + 1);
    let mut power = W::ONE;
    out.push(power);
    for _ in 0..n {
        power = power.mul(base)?;
        out.push(power);
    }
    Ok(out)
}
