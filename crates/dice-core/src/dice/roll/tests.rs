//! Rolling: no bias a test can see, every face kept, and failures of the source
//! reported rather than panicking or hanging.

use rand::{RngCore, SeedableRng, TryRngCore};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::*;

/// A die for which `draw % sides` is badly biased: 2^32 is between one and two times
/// its sides, so the lowest faces have two 32-bit draws each and the others one.
const SIDES: u32 = 3_000_000_000;
/// How many faces `draw % SIDES` favours: 2^32 - SIDES.
const FAVOURED: u32 = 1_294_967_296;
const DRAWS: usize = 20_000;

/// The p-value of a chi-square test that faces of a fair `SIDES`-sided die land on
/// the first `FAVOURED` faces as often as they do here: FAVOURED / SIDES (43%).
fn p_value_of_the_favoured_share(faces: &[u32]) -> f64 {
    let n = faces.len() as f64;
    let low = faces.iter().filter(|&&face| face <= FAVOURED).count() as f64;
    let share = f64::from(FAVOURED) / f64::from(SIDES);
    let (want_low, want_high) = (n * share, n * (1.0 - share));
    let chi_square =
        (low - want_low).powi(2) / want_low + (n - low - want_high).powi(2) / want_high;
    ChiSquared::new(1.0).unwrap().sf(chi_square)
}

fn favoured_share(faces: &[u32]) -> f64 {
    faces.iter().filter(|&&face| face <= FAVOURED).count() as f64 / faces.len() as f64
}

#[test]
fn the_check_for_bias_catches_a_modulo_roller() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let biased: Vec<u32> = (0..DRAWS).map(|_| rng.next_u32() % SIDES + 1).collect();
    let share = favoured_share(&biased);
    assert!((0.59..0.62).contains(&share), "share {share}");
    let p = p_value_of_the_favoured_share(&biased);
    assert!(p < 1e-12, "p = {p}: the modulo roller passed");
}

#[test]
fn rolled_dice_pass_the_check_for_bias() {
    let dice = Dice::parse("1d3000000000").unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let faces: Vec<u32> = (0..DRAWS).map(|_| dice.roll(&mut rng).faces()[0]).collect();
    let share = favoured_share(&faces);
    assert!((0.41..0.45).contains(&share), "share {share}");
    let p = p_value_of_the_favoured_share(&faces);
    assert!(p > 0.001, "p = {p}: fair dice judged biased");
}

/// A source that gives `left` draws and then fails for good.
struct Failing {
    left: u32,
}

#[derive(Debug)]
struct Broken;

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("broken")
    }
}

impl TryRngCore for Failing {
    type Error = Broken;

    fn try_next_u32(&mut self) -> Result<u32, Broken> {
        self.left = self.left.checked_sub(1).ok_or(Broken)?;
        Ok(self.left.wrapping_mul(0x9E37_79B9))
    }

    fn try_next_u64(&mut self) -> Result<u64, Broken> {
        Ok(u64::from(self.try_next_u32()?) << 32 | u64::from(self.try_next_u32()?))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Broken> {
        for byte in dst {
            *byte = self.try_next_u32()? as u8;
        }
        Ok(())
    }
}

#[test]
fn a_failing_source_is_an_error_and_neither_a_panic_nor_a_hang() {
    for notation in [
        "1d2",
        "1d3",
        "3d6",
        "1d3000000000",
        "1d4294967295",
        "1000d6",
    ] {
        let dice = Dice::parse(notation).unwrap();
        for left in [0, 1, 2, 500] {
            // Each die takes one draw or more, so fewer draws than dice cannot roll;
            // more may or may not, but must end either way.
            if let Ok(roll) = dice.try_roll(&mut Failing { left }) {
                assert!(left >= dice.dice_count(), "{notation}: {roll:?}");
            }
        }
    }
}

#[test]
fn a_source_that_does_not_fail_rolls_through_try_roll() {
    let dice = Dice::parse("3d6").unwrap();
    let roll = dice.try_roll(&mut Failing { left: 1000 }).unwrap();
    assert_eq!(roll.faces().len(), 3);
}

#[test]
fn keeping_prefers_the_earlier_of_equal_faces() {
    let kept = |notation: &str, faces: Vec<u32>| {
        let roll = Dice::parse(notation).unwrap().score(faces).unwrap();
        (roll.kept().to_vec(), roll.total().get())
    };
    let (t, f) = (true, false);
    assert_eq!(kept("4d6kh3", vec![3, 1, 6, 3]), (vec![t, f, t, t], 12));
    assert_eq!(kept("4d6kh2", vec![3, 1, 6, 3]), (vec![t, f, t, f], 9));
    assert_eq!(kept("4d6kl1", vec![3, 1, 6, 1]), (vec![f, t, f, f], 1));
    assert_eq!(kept("4d6dh1", vec![6, 1, 6, 1]), (vec![t, t, f, t], 8));
    assert_eq!(kept("4d6dl2", vec![2, 2, 2, 5]), (vec![t, f, f, t], 7));
    assert_eq!(kept("2d6", vec![2, 5]), (vec![t, t], 7));
}

#[test]
fn subtracted_terms_and_constants_are_in_the_total() {
    let dice = Dice::parse("1d20+1d4kh1-1d6+5").unwrap();
    let roll = dice.score(vec![17, 2, 6]).unwrap();
    assert_eq!(roll.total().get(), 17 + 2 - 6 + 5);
    assert_eq!(roll.into_faces(), [17, 2, 6]);
}

#[test]
fn totals_at_the_top_of_the_range_do_not_overflow() {
    let dice = Dice::parse("2d2147483647+1").unwrap();
    let roll = dice.score(vec![2_147_483_647, 2_147_483_647]).unwrap();
    assert_eq!(roll.total(), Outcome::MAX);
    let dice = Dice::parse("4294967295-1d2").unwrap();
    assert_eq!(dice.score(vec![2]).unwrap().total().get(), 4_294_967_293);
}

#[test]
fn faces_that_no_roll_can_show_are_refused() {
    let dice = Dice::parse("2d6+1d20").unwrap();
    assert_eq!(
        dice.score(vec![1, 2]).unwrap_err().to_string(),
        "expected 3 faces, found 2"
    );
    assert_eq!(
        dice.score(vec![1, 7, 20]).unwrap_err().to_string(),
        "face 7 at index 1 is not on a die with 6 sides"
    );
    assert_eq!(
        dice.score(vec![1, 6, 0]).unwrap_err(),
        FacesError::OutOfRange {
            index: 2,
            face: 0,
            sides: 20
        }
    );
}
