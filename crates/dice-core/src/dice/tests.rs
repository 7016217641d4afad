//! The notation: what parses, what it is refused with, and properties of every
//! notation and every roll.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;

fn canonical(input: &str) -> String {
    match Dice::parse(input) {
        Ok(dice) => dice.to_string(),
        Err(err) => panic!("{input:?} was refused: {err}"),
    }
}

fn refusal(input: &str) -> String {
    match Dice::parse(input) {
        Ok(dice) => panic!("{input:?} was accepted as {dice}"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn the_canonical_form_is_lower_case_without_spaces_with_explicit_counts() {
    assert_eq!(canonical("D20 + 3"), "1d20+3");
    assert_eq!(canonical("d%"), "1d100");
    assert_eq!(canonical("4d6k3"), "4d6kh3");
    assert_eq!(canonical("4D6KH3"), "4d6kh3");
    assert_eq!(canonical("2d20KL1"), "2d20kl1");
    assert_eq!(canonical("4d6 dl 1"), "4d6dl1");
    assert_eq!(canonical("4d6dh1"), "4d6dh1");
    assert_eq!(canonical(" 1d20 + 1d4 + 3 "), "1d20+1d4+3");
    assert_eq!(canonical("2d6-1"), "2d6-1");
    assert_eq!(canonical("007d06+00"), "7d6+0");
    assert_eq!(canonical("3+2d6"), "3+2d6");
    assert_eq!(canonical("1000d4294967295kh1"), "1000d4294967295kh1");
}

#[test]
fn counts_sides_and_totals_are_known_from_the_notation() {
    let dice = Dice::parse("4d6kh3+1d4-2").unwrap();
    assert_eq!(dice.dice_count(), 5);
    assert_eq!(dice.min_total(), Outcome::new(3 + 1 - 2));
    assert_eq!(dice.max_total(), Outcome::new(18 + 4 - 2));
    assert_eq!(dice.possible_totals(), 20 - 2 + 1);
    assert!(dice.is_possible(Outcome::new(2)));
    assert!(!dice.is_possible(Outcome::new(1)));
    assert!(!dice.is_possible(Outcome::new(21)));
}

#[test]
fn totals_may_reach_both_ends_of_the_column_range() {
    let top = Dice::parse("1d2+4294967293").unwrap();
    assert_eq!(top.max_total(), Outcome::MAX);
    let bottom = Dice::parse("1d4-1").unwrap();
    assert_eq!(bottom.min_total(), Outcome::new(0));
}

#[test]
fn empty_and_overlong_notations_are_refused() {
    assert_eq!(refusal(""), "must not be empty");
    assert_eq!(refusal("   "), "must not be empty");
    let longest = format!("1d6{}0", "+1".repeat(30));
    assert_eq!(longest.chars().count(), 64);
    assert!(Dice::parse(&longest).is_ok(), "64 characters are allowed");
    assert_eq!(
        refusal(&format!("{longest}0")),
        "must be at most 64 characters"
    );
}

#[test]
fn spaces_count_towards_the_length_limit() {
    let padded = format!("1d6{}", " ".repeat(62));
    assert_eq!(refusal(&padded), "must be at most 64 characters");
}

#[test]
fn dice_counts_outside_one_to_a_thousand_are_refused() {
    assert_eq!(
        refusal("0d6"),
        "cannot roll 0 dice in one term: roll from 1 to 1000"
    );
    assert_eq!(
        refusal("1001d6"),
        "cannot roll 1001 dice in one term: roll from 1 to 1000"
    );
    assert_eq!(
        refusal("99999999999d6"),
        "cannot roll 99999999999 dice in one term: roll from 1 to 1000"
    );
}

#[test]
fn dice_with_fewer_than_two_or_too_many_sides_are_refused() {
    let rule = "sides must be from 2 to 4294967295";
    assert_eq!(
        refusal("1d1"),
        format!("cannot roll a die with 1 sides: {rule}")
    );
    assert_eq!(
        refusal("1d0"),
        format!("cannot roll a die with 0 sides: {rule}")
    );
    assert_eq!(
        refusal("1d4294967296"),
        format!("cannot roll a die with 4294967296 sides: {rule}")
    );
}

#[test]
fn a_die_without_sides_is_refused_with_where_they_are_missing() {
    let missing = "expected the number of sides after 'd' at position";
    assert_eq!(refusal("d"), format!("{missing} 2 (like 3d6 or d%)"));
    assert_eq!(refusal("3d"), format!("{missing} 3 (like 3d6 or d%)"));
    assert_eq!(refusal("3d+1"), format!("{missing} 3 (like 3d6 or d%)"));
}

#[test]
fn a_sign_without_a_term_is_refused() {
    let expected = "expected a number or a die (like 2d6) at position";
    assert_eq!(refusal("2d6++1"), format!("{expected} 5"));
    assert_eq!(refusal("2d6+"), format!("{expected} 5"));
    assert_eq!(refusal("-1d4+10"), format!("{expected} 1"));
    assert_eq!(refusal("2d6 - - 1"), format!("{expected} 7"));
}

#[test]
fn characters_outside_the_notation_are_refused_where_they_are() {
    assert_eq!(refusal("2d6*2"), "unexpected '*' at position 4");
    assert_eq!(refusal("2x6"), "unexpected 'x' at position 2");
    assert_eq!(refusal("1d6\t"), "unexpected '\t' at position 4");
    assert_eq!(refusal("１d6"), "unexpected '１' at position 1");
    assert_eq!(refusal("2d6h"), "unexpected 'h' at position 4");
    assert_eq!(refusal("2d6d"), "unexpected 'd' at position 4");
    assert_eq!(refusal("d%%"), "unexpected '%' at position 3");
    assert_eq!(refusal("3d6kh1d6"), "unexpected 'd' at position 7");
    assert_eq!(refusal("2d6 3d6"), "unexpected 'd' at position 6");
}

#[test]
fn keep_counts_must_keep_between_one_and_all_dice() {
    assert_eq!(
        refusal("4d6kh0"),
        "cannot keep 0 of 4 dice: keep from 1 to 4"
    );
    assert_eq!(
        refusal("4d6kh5"),
        "cannot keep 5 of 4 dice: keep from 1 to 4"
    );
    assert_eq!(
        refusal("4d6kl5"),
        "cannot keep 5 of 4 dice: keep from 1 to 4"
    );
    assert_eq!(canonical("4d6kh4"), "4d6kh4");
    assert_eq!(
        refusal("4d6kh"),
        "expected a count after 'kh' at position 6 (like 4d6kh3)"
    );
    assert_eq!(
        refusal("4d6k"),
        "expected a count after 'kh' at position 5 (like 4d6kh3)"
    );
}

#[test]
fn drops_must_drop_at_least_one_die_and_keep_at_least_one() {
    let rule = "drop at least 1 and keep at least 1";
    assert_eq!(
        refusal("4d6dl4"),
        format!("cannot drop 4 of 4 dice: {rule}")
    );
    assert_eq!(
        refusal("4d6dh0"),
        format!("cannot drop 0 of 4 dice: {rule}")
    );
    assert_eq!(
        refusal("1d20dl1"),
        format!("cannot drop 1 of 1 dice: {rule}")
    );
    assert_eq!(canonical("4d6dl3"), "4d6dl3");
}

#[test]
fn notations_over_a_thousand_dice_in_all_are_refused() {
    assert_eq!(refusal("600d6+401d6"), "has 1001 dice in all: at most 1000");
    assert!(Dice::parse("600d6+400d6").is_ok());
}

#[test]
fn a_notation_without_dice_is_refused() {
    assert_eq!(refusal("5"), "has no dice to roll (like 1d6)");
    assert_eq!(refusal("5+3"), "has no dice to roll (like 1d6)");
}

#[test]
fn totals_outside_the_column_range_are_refused() {
    let rule = "totals must be from 0 to 4294967295";
    assert_eq!(
        refusal("1d4-5"),
        format!("can total as little as -4: {rule}")
    );
    assert_eq!(
        refusal("1d6-1d6"),
        format!("can total as little as -5: {rule}")
    );
    assert_eq!(
        refusal("2d4294967295"),
        format!("can total as much as 8589934590: {rule}")
    );
    assert_eq!(
        refusal("1d2+4294967294"),
        format!("can total as much as 4294967296: {rule}")
    );
    assert_eq!(
        refusal("1d6+4294967296"),
        "the constant 4294967296 is too large: constants must be from 0 to 4294967295"
    );
}

#[test]
fn serde_writes_the_canonical_form_and_reads_through_parse() {
    let dice = Dice::parse("D20 + 3").unwrap();
    assert_eq!(serde_json::to_string(&dice).unwrap(), r#""1d20+3""#);
    let read: Dice = serde_json::from_str(r#""1D20+3""#).unwrap();
    assert_eq!(read, dice);
    let err = serde_json::from_str::<Dice>(r#""1d4-5""#).unwrap_err();
    assert!(
        err.to_string().contains("can total as little as -4"),
        "{err}"
    );
}

#[test]
fn the_same_seed_rolls_the_same_faces() {
    let dice = Dice::parse("10d20kh3+1d4").unwrap();
    let first = dice.roll(&mut ChaCha8Rng::seed_from_u64(7));
    let again = dice.roll(&mut ChaCha8Rng::seed_from_u64(7));
    assert_eq!(first, again);
}

#[test]
fn the_operating_system_source_rolls_every_die_within_its_sides() {
    let dice = Dice::parse("1000d6").unwrap();
    let roll = dice.roll_os().unwrap();
    assert_eq!(roll.faces().len(), 1000);
    assert!(roll.faces().iter().all(|face| (1..=6).contains(face)));
    // 1000 dice all alike would mean the source is stuck.
    assert!(roll.faces().iter().any(|&face| face != roll.faces()[0]));
}

/// A notation text that may or may not be valid: numbers near the limits, every
/// operator, random case and spaces.
fn notation_like() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        Just(String::new()),
        (0u64..30).prop_map(|n| n.to_string()),
        (0u64..5_000_000_000).prop_map(|n| n.to_string()),
        Just("4294967295".to_string()),
        Just("1000".to_string()),
        Just("0".to_string()),
    ];
    let keep = prop_oneof![
        Just(""),
        Just("k"),
        Just("kh"),
        Just("kl"),
        Just("dh"),
        Just("dl"),
        Just("K"),
        Just("DL")
    ];
    let term = (
        number.clone(),
        prop_oneof![Just("d"), Just("D"), Just("")],
        prop_oneof![number.clone(), Just("%".to_string())],
        keep,
        number,
    )
        .prop_map(|(count, d, sides, keep, n)| format!("{count}{d}{sides}{keep}{n}"));
    let sign = prop_oneof![Just("+"), Just("-"), Just(" + "), Just(" -")];
    (term.clone(), prop::collection::vec((sign, term), 0..4)).prop_map(|(first, rest)| {
        rest.into_iter()
            .fold(first, |text, (sign, term)| format!("{text}{sign}{term}"))
    })
}

/// A term `NdM` with a keep or drop that fits its dice, or none.
fn roll_term() -> impl Strategy<Value = String> {
    let ops = prop::sample::select(vec!["", "kh", "kl", "dh", "dl"]);
    (
        1u32..=12,
        2u32..=1_000_000,
        ops,
        any::<prop::sample::Index>(),
    )
        .prop_map(|(count, sides, op, pick)| {
            let most = if op.starts_with('d') {
                count - 1
            } else {
                count
            };
            match op {
                _ if op.is_empty() || most == 0 => format!("{count}d{sides}"),
                _ => format!("{count}d{sides}{op}{}", 1 + pick.index(most as usize)),
            }
        })
}

/// A notation that is valid: a few terms, small enough that no total overflows.
fn valid_dice() -> impl Strategy<Value = Dice> {
    let term = prop_oneof![roll_term(), (0u32..1000).prop_map(|n| n.to_string())];
    (
        roll_term(),
        prop::collection::vec((any::<bool>(), term), 0..4),
    )
        .prop_map(|(first, rest)| {
            let mut added = first;
            let mut taken = String::new();
            for (negative, term) in rest {
                let (text, sign) = if negative {
                    (&mut taken, '-')
                } else {
                    (&mut added, '+')
                };
                text.push(sign);
                text.push_str(&term);
            }
            // Enough to keep the lowest total at 0 or more whatever is taken away.
            if !taken.is_empty() {
                added.push_str("+12000000");
            }
            added + &taken
        })
        .prop_map(|text| Dice::parse(&text))
        .prop_filter_map("every generated notation is valid", Result::ok)
}

proptest! {
    #[test]
    fn any_string_is_parsed_or_refused_without_panicking(input in any::<String>()) {
        let _ = Dice::parse(&input);
    }

    #[test]
    fn notation_like_strings_are_parsed_or_refused_without_panicking(input in notation_like()) {
        let _ = Dice::parse(&input);
    }

    #[test]
    fn accepted_notations_round_trip_through_their_canonical_form(input in notation_like()) {
        if let Ok(dice) = Dice::parse(&input) {
            let canonical = dice.to_string();
            prop_assert!(canonical.len() <= Dice::MAX_CHARS, "{}", canonical);
            let again = Dice::parse(&canonical);
            prop_assert_eq!(again.as_ref(), Ok(&dice), "{} -> {}", input, canonical);
            prop_assert_eq!(again.map(|d| d.to_string()), Ok(canonical));
        }
    }

    #[test]
    fn valid_notations_round_trip_through_their_canonical_form(dice in valid_dice()) {
        let canonical = dice.to_string();
        prop_assert!(canonical.len() <= Dice::MAX_CHARS, "{}", canonical);
        prop_assert_eq!(Dice::parse(&canonical), Ok(dice));
        let messy: String = canonical
            .chars()
            .enumerate()
            .map(|(i, c)| if i % 3 == 0 { c.to_ascii_uppercase() } else { c })
            .collect();
        prop_assert_eq!(Dice::parse(&messy).map(|d| d.to_string()), Ok(canonical));
    }

    #[test]
    fn every_roll_totals_its_kept_faces_and_constants_within_the_range(
        dice in valid_dice(),
        seed in any::<u64>(),
    ) {
        let roll = dice.roll(&mut ChaCha8Rng::seed_from_u64(seed));
        prop_assert!(dice.is_possible(roll.total()));
        prop_assert_eq!(roll.faces().len(), dice.dice_count() as usize);
        prop_assert_eq!(i128::from(roll.total().get()), expected_total(&dice, &roll)?);
    }
}

/// The total from the notation's terms and the roll's faces, with every kept flag
/// checked against the keep or drop of its term.
fn expected_total(dice: &Dice, roll: &RolledDice) -> Result<i128, TestCaseError> {
    let mut faces = roll.faces().iter().zip(roll.kept());
    let mut total = 0i128;
    for term in &dice.terms {
        let value = match &term.kind {
            TermKind::Constant(value) => i128::from(*value),
            TermKind::Roll(roll_term) => {
                let dice: Vec<(u32, bool)> = faces
                    .by_ref()
                    .take(roll_term.count as usize)
                    .map(|(&face, &kept)| (face, kept))
                    .collect();
                check_keep(roll_term, &dice)?;
                dice.iter()
                    .filter(|(_, kept)| *kept)
                    .map(|&(face, _)| i128::from(face))
                    .sum()
            }
        };
        total += if term.negative { -value } else { value };
    }
    Ok(total)
}

fn check_keep(term: &RollTerm, dice: &[(u32, bool)]) -> Result<(), TestCaseError> {
    prop_assert!(
        dice.iter()
            .all(|&(face, _)| (1..=term.sides).contains(&face))
    );
    let kept: Vec<u32> = dice.iter().filter(|d| d.1).map(|d| d.0).collect();
    let dropped: Vec<u32> = dice.iter().filter(|d| !d.1).map(|d| d.0).collect();
    let n = term.count;
    let (count, highest) = match term.keep {
        Keep::All => (n, true),
        Keep::Highest(k) => (k, true),
        Keep::Lowest(k) => (k, false),
        Keep::DropLowest(d) => (n - d, true),
        Keep::DropHighest(d) => (n - d, false),
    };
    prop_assert_eq!(kept.len(), count as usize);
    for (&k, &d) in kept
        .iter()
        .flat_map(|k| dropped.iter().map(move |d| (k, d)))
    {
        prop_assert!(
            if highest { k >= d } else { k <= d },
            "kept {} dropped {}",
            k,
            d
        );
    }
    Ok(())
}

#[test]
fn a_notation_longer_than_64_characters_written_out_in_full_is_refused() {
    // 21 `d%` are 62 characters as written, 125 as `1d100+1d100+...`.
    let short_hand = ["d%"; 21].join("+");
    assert_eq!(
        refusal(&short_hand),
        "is 125 characters written out in full (counts explicit, d% as d100): at most 64"
    );
    // Written out, 10 of them fit, and their canonical form parses back.
    let ten = ["d%"; 10].join("+");
    let dice = Dice::parse(&ten).unwrap();
    assert_eq!(dice.to_string().len(), 59);
    assert_eq!(Dice::parse(&dice.to_string()), Ok(dice));
}
