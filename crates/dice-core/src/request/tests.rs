use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::{Actor, Dice, Outcome};

fn parse(body: &str) -> Result<RollRequest, InvalidInput> {
    RollRequest::parse_json(body.as_bytes())
}

fn code_of(body: &str) -> ErrorCode {
    parse(body).unwrap_err().code()
}

fn one(outcome: u32, rolled_by: Option<&str>) -> RollRequest {
    RollRequest::One(RollToMake::report(
        Outcome::new(outcome),
        rolled_by.map(|name| Actor::parse(name).unwrap()),
    ))
}

fn dice(notation: &str) -> Dice {
    Dice::parse(notation).unwrap()
}

#[test]
fn outcome_boundaries() {
    assert_eq!(parse(r#"{"outcome":0}"#), Ok(one(0, None)));
    assert_eq!(parse(r#"{"outcome":4294967295}"#), Ok(one(u32::MAX, None)));
    for bad in [
        "-1",
        "-0",
        "4294967296",
        "18446744073709551616",
        "6.0",
        "6e0",
        "\"6\"",
        "true",
        "null",
        "[6]",
        "{}",
    ] {
        let err = parse(&format!(r#"{{"outcome":{bad}}}"#)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidOutcome, "{bad}");
        assert_eq!(err.field(), Some("outcome"));
    }
    assert_eq!(
        code_of(r#"{"rolled_by":"alice"}"#),
        ErrorCode::MissingOutcome
    );
}

#[test]
fn rolled_by_boundaries() {
    let body = |name: &str| serde_json::json!({"outcome": 1, "rolled_by": name}).to_string();
    let sixty = "x".repeat(60);
    assert_eq!(parse(&body(&sixty)), Ok(one(1, Some(&sixty))));
    for bad in [
        "x".repeat(61),
        "   ".into(),
        "".into(),
        "a\0b".into(),
        "a\nb".into(),
    ] {
        let err = parse(&body(&bad)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidRolledBy, "{bad:?}");
        assert_eq!(err.field(), Some("rolled_by"));
    }
    assert_eq!(parse(r#"{"outcome":1,"rolled_by":null}"#), Ok(one(1, None)));
    assert_eq!(
        code_of(r#"{"outcome":1,"rolled_by":7}"#),
        ErrorCode::InvalidRolledBy
    );
}

#[test]
fn unicode_names_are_kept_exactly() {
    for name in ["🎲🎲", "e\u{301}", "مرحبا", " padded "] {
        let body = serde_json::json!({"outcome": 3, "rolled_by": name}).to_string();
        assert_eq!(parse(&body), Ok(one(3, Some(name))));
    }
    // An escaped surrogate pair decodes to the same 4-byte character.
    assert_eq!(
        parse(r#"{"outcome":3,"rolled_by":"\ud83c\udfb2"}"#),
        Ok(one(3, Some("🎲")))
    );
}

#[test]
fn field_names_are_checked() {
    let err = parse(r#"{"outcom":6}"#).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        (ErrorCode::UnknownField, Some("outcom"))
    );
    let err = parse(r#"{"outcome":6,"created_by":"me"}"#).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownField);
    assert!(err.to_string().contains("API key"), "{err}");
    let err = parse(r#"{"outcome":6,"outcome":5}"#).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        (ErrorCode::DuplicateField, Some("outcome"))
    );
    // Field-name problems win over value problems, whatever their order.
    assert_eq!(
        code_of(r#"{"outcome":"x","id":1}"#),
        ErrorCode::UnknownField
    );
}

#[test]
fn malformed_bodies() {
    for body in [
        "",
        "  \n",
        "{",
        "{\"outcome\":6}}",
        "{\"outcome\":6} x",
        "nul",
        "{'outcome':6}",
    ] {
        assert_eq!(code_of(body), ErrorCode::InvalidJson, "{body:?}");
    }
    for body in ["6", "\"x\"", "null", "true"] {
        assert_eq!(code_of(body), ErrorCode::InvalidBody, "{body:?}");
    }
    assert_eq!(
        RollRequest::parse_json(b"{\"outcome\":6,\"rolled_by\":\"\xff\"}")
            .unwrap_err()
            .code(),
        ErrorCode::InvalidJson
    );
    // Deep nesting is skipped without recursion, so it cannot exhaust the stack.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(code_of(&deep), ErrorCode::InvalidBody);
    let deep = format!(
        r#"{{"outcome":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(code_of(&deep), ErrorCode::InvalidOutcome);
}

#[test]
fn batches() {
    let batch = parse(r#"[{"outcome":1},{"outcome":2,"rolled_by":"bo"}]"#).unwrap();
    let RollRequest::Batch(batch) = batch else {
        panic!("not a batch")
    };
    assert_eq!(batch.len(), 2);
    assert_eq!(batch.rolls()[1].rolled_by().unwrap().as_str(), "bo");

    assert_eq!(code_of("[]"), ErrorCode::EmptyBatch);
    let err = parse(r#"[{"outcome":1},{"outcome":-1}]"#).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        (ErrorCode::InvalidOutcome, Some("[1].outcome"))
    );
    let err = parse(r#"[{"outcome":1},5]"#).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        (ErrorCode::InvalidBody, Some("[1]"))
    );
    let err = parse(r#"[[{"outcome":1}]]"#).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        (ErrorCode::InvalidBody, Some("[0]"))
    );
}

#[test]
fn batch_size_boundaries() {
    let batch_of = |n: usize| format!("[{}]", vec![r#"{"outcome":1}"#; n].join(","));
    assert_eq!(parse(&batch_of(1000)).unwrap().len(), 1000);
    let err = parse(&batch_of(1001)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::BatchTooLarge);
    assert!(err.to_string().contains("1001"), "{err}");
    // A long batch is refused for its length before any element is judged.
    assert_eq!(
        code_of(&format!("[{}]", vec!["0"; 1001].join(","))),
        ErrorCode::BatchTooLarge
    );
}

#[test]
fn single_and_batch_of_one_are_different_requests() {
    assert_ne!(parse(r#"{"outcome":1}"#), parse(r#"[{"outcome":1}]"#));
}

#[test]
fn canonical_serialization() {
    let request = parse(r#"{ "rolled_by" : "al" , "outcome" : 2 }"#).unwrap();
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"outcome":2,"rolled_by":"al"}"#
    );
    let request = parse(r#"[{"outcome":2,"rolled_by":null}]"#).unwrap();
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"[{"outcome":2}]"#
    );
}

fn actor_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 1..=60)
        .prop_map(|chars| chars.into_iter().collect::<String>())
        .prop_filter("valid actor", |s| Actor::parse(s.as_str()).is_ok())
}

/// A valid notation, written with random case and spaces, and its canonical form.
fn notation() -> impl Strategy<Value = (String, Dice)> {
    let term = (
        1u32..=20,
        2u32..=1000,
        prop::sample::select(vec!["", "kh1", "kl1", "dl1"]),
    )
        .prop_filter("a drop keeps a die", |(count, _, op)| {
            *count > 1 || op.is_empty()
        })
        .prop_map(|(count, sides, op)| format!("{count}d{sides}{op}"));
    (
        term.clone(),
        prop::option::of(term),
        0u32..100,
        any::<bool>(),
    )
        .prop_map(|(first, second, constant, shout)| {
            let mut text = first;
            if let Some(second) = second {
                text = format!("{text} + {second}");
            }
            text = format!("{text}+{constant}");
            if shout { text.to_uppercase() } else { text }
        })
        .prop_map(|text| {
            let dice = Dice::parse(&text).unwrap();
            (text, dice)
        })
}

fn roll_to_make() -> impl Strategy<Value = RollToMake> {
    let by = || prop::option::of(actor_text()).prop_map(|n| n.map(|n| Actor::parse(n).unwrap()));
    prop_oneof![
        (any::<u32>(), by())
            .prop_map(|(outcome, by)| RollToMake::report(Outcome::new(outcome), by)),
        (notation(), by()).prop_map(|((_, dice), by)| RollToMake::roll(dice, by)),
        (notation(), any::<prop::sample::Index>(), by()).prop_map(|((_, dice), pick, by)| {
            let span = dice.possible_totals() as usize;
            let outcome = Outcome::new(dice.min_total().get() + pick.index(span) as u32);
            RollToMake::report_with_dice(outcome, dice, by).unwrap()
        }),
    ]
}

fn roll_request() -> impl Strategy<Value = RollRequest> {
    prop_oneof![
        roll_to_make().prop_map(RollRequest::One),
        prop::collection::vec(roll_to_make(), 1..20)
            .prop_map(|rolls| RollRequest::Batch(Batch::new(rolls).unwrap())),
    ]
}

fn any_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,70}".prop_map(Value::String),
        prop_oneof![Just("outcome"), Just("rolled_by")].prop_map(|s| Value::String(s.into())),
        prop_oneof![
            Just("2d6"),
            Just("d%"),
            Just("4d6kh3+1"),
            Just("1d4-5"),
            Just("3D")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        let key = prop_oneof![
            Just("outcome".to_owned()),
            Just("dice".to_owned()),
            Just("rolled_by".to_owned()),
            ".{0,8}"
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(key, inner, 0..4)
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = RollRequest::parse_json(&body);
    }

    #[test]
    fn arbitrary_json_never_panics_and_accepts_only_valid_rolls(value in any_json()) {
        if let Ok(request) = RollRequest::parse_json(value.to_string().as_bytes()) {
            // Whatever was accepted serialises back to the same parsed request.
            let again = serde_json::to_vec(&request).unwrap();
            prop_assert_eq!(RollRequest::parse_json(&again), Ok(request));
        }
    }

    #[test]
    fn valid_requests_round_trip(request in roll_request()) {
        let body = serde_json::to_vec(&request).unwrap();
        prop_assert_eq!(RollRequest::parse_json(&body), Ok(request.clone()));
        let pretty = serde_json::to_vec_pretty(&request).unwrap();
        prop_assert_eq!(RollRequest::parse_json(&pretty), Ok(request));
    }

    #[test]
    fn every_outcome_in_range_parses(n in any::<u32>()) {
        prop_assert_eq!(parse(&format!(r#"{{"outcome":{n}}}"#)), Ok(one(n, None)));
    }

    #[test]
    fn every_outcome_out_of_range_is_refused(n in (u64::from(u32::MAX) + 1)..=u64::MAX) {
        prop_assert_eq!(code_of(&format!(r#"{{"outcome":{n}}}"#)), ErrorCode::InvalidOutcome);
    }

    #[test]
    fn every_negative_outcome_is_refused(n in i64::MIN..0) {
        prop_assert_eq!(code_of(&format!(r#"{{"outcome":{n}}}"#)), ErrorCode::InvalidOutcome);
    }

    #[test]
    fn rolled_by_follows_the_actor_rules(name in ".{0,70}") {
        let body = serde_json::json!({"outcome": 1, "rolled_by": name}).to_string();
        match Actor::parse(name.as_str()) {
            Ok(actor) => prop_assert_eq!(parse(&body), Ok(RollRequest::One(RollToMake::report(Outcome::new(1), Some(actor))))),
            Err(_) => prop_assert_eq!(code_of(&body), ErrorCode::InvalidRolledBy),
        }
    }
}

#[test]
fn recorded_takes_the_shape_of_its_request() {
    use crate::{RollId, Timestamp};
    let stored = |n: u32| {
        NewRoll::new(Outcome::new(n), None).into_roll(
            RollId::new(n).unwrap(),
            None,
            Timestamp::UNIX_EPOCH,
        )
    };
    let single = one(1, None);
    assert_eq!(single.rolls().len(), 1);
    assert_eq!(
        Recorded::matching(&single, vec![stored(1)]),
        Some(Recorded::One(stored(1)))
    );
    assert_eq!(Recorded::matching(&single, vec![]), None);
    assert_eq!(
        Recorded::matching(&single, vec![stored(1), stored(2)]),
        None
    );
    let batch = parse(r#"[{"outcome":1},{"outcome":2}]"#).unwrap();
    assert_eq!(batch.rolls().len(), 2);
    let both = vec![stored(1), stored(2)];
    assert_eq!(
        Recorded::matching(&batch, both.clone()),
        Some(Recorded::Batch(both))
    );
    assert_eq!(Recorded::matching(&batch, vec![stored(1)]), None);
}

#[test]
fn a_roll_of_dice_is_parsed_into_its_canonical_form() {
    let by = |name: &str| Some(Actor::parse(name).unwrap());
    assert_eq!(
        parse(r#"{"dice":"3D6 + 2"}"#),
        Ok(RollRequest::One(RollToMake::roll(dice("3d6+2"), None)))
    );
    let request = parse(r#"{"rolled_by":"al","dice":"d20"}"#).unwrap();
    assert_eq!(
        request,
        RollRequest::One(RollToMake::roll(dice("1d20"), by("al")))
    );
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"dice":"1d20","rolled_by":"al"}"#
    );
}

#[test]
fn a_reported_roll_may_name_its_dice_when_the_outcome_is_possible() {
    let request = parse(r#"{"dice":"1d6","outcome":6}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"outcome":6,"dice":"1d6"}"#
    );
    assert!(parse(r#"{"outcome":0,"dice":"1d6-1"}"#).is_ok());
    for (body, message) in [
        (
            r#"{"outcome":7,"dice":"1d6"}"#,
            "outcome: 7 is not a possible total of 1d6 (1 to 6)",
        ),
        (
            r#"{"outcome":1,"dice":"2d6"}"#,
            "outcome: 1 is not a possible total of 2d6 (2 to 12)",
        ),
        (
            r#"{"outcome":4294967295,"dice":"d%"}"#,
            "outcome: 4294967295 is not a possible total of 1d100 (1 to 100)",
        ),
    ] {
        let err = parse(body).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidOutcome, "{body}");
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn an_invalid_notation_is_refused_as_invalid_dice_naming_the_problem() {
    let long = "1d6+".repeat(16) + "1";
    for notation in [
        "", " ", "0d6", "1d1", "1001d6", "d", "3d", "2d6++1", "4d6kh5", "4d6dl4", "1d4-5", "2d6 x",
        "5", &long,
    ] {
        let body = serde_json::json!({ "dice": notation }).to_string();
        let err = parse(&body).unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            (ErrorCode::InvalidDice, Some("dice")),
            "{notation:?}"
        );
        let why = Dice::parse(notation).unwrap_err();
        assert_eq!(err.to_string(), format!("dice: {why}"));
    }
    for value in ["6", "true", "[]", "{}", "2.5"] {
        let err = parse(&format!(r#"{{"dice":{value}}}"#)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidDice, "{value}");
        assert!(
            err.to_string()
                .starts_with(r#"dice: must be a string of dice notation (like "3d6+2"), found "#),
            "{err}"
        );
    }
}

#[test]
fn a_null_notation_is_absent_like_a_null_rolled_by() {
    assert_eq!(parse(r#"{"outcome":3,"dice":null}"#), Ok(one(3, None)));
    assert_eq!(code_of(r#"{"dice":null}"#), ErrorCode::MissingOutcome);
}

#[test]
fn a_roll_without_outcome_or_dice_says_either_will_do() {
    for body in ["{}", r#"{"rolled_by":"al"}"#, r#"{"rolled_by":" "}"#] {
        let err = parse(body).unwrap_err();
        assert_eq!(err.code(), ErrorCode::MissingOutcome, "{body}");
        assert_eq!(
            err.to_string(),
            r#"outcome: is required, unless "dice" is given for the server to roll"#
        );
    }
}

#[test]
fn dice_are_judged_after_names_and_outcome_and_before_rolled_by() {
    let first = |body: &str| {
        let err = parse(body).unwrap_err();
        (err.code(), err.field().map(str::to_owned))
    };
    let at = |code, field: &str| (code, Some(field.to_owned()));
    assert_eq!(
        first(r#"{"dice":"x","colour":1}"#),
        at(ErrorCode::UnknownField, "colour")
    );
    assert_eq!(
        first(r#"{"dice":"2d6","dice":"1d6"}"#),
        at(ErrorCode::DuplicateField, "dice")
    );
    assert_eq!(
        first(r#"{"outcome":"6","dice":"x"}"#),
        at(ErrorCode::InvalidOutcome, "outcome")
    );
    assert_eq!(
        first(r#"{"dice":"x","rolled_by":7}"#),
        at(ErrorCode::InvalidDice, "dice")
    );
    assert_eq!(
        first(r#"{"outcome":13,"dice":"2d6","rolled_by":7}"#),
        at(ErrorCode::InvalidOutcome, "outcome")
    );
}

#[test]
fn batches_mix_the_three_forms_and_name_the_element_at_fault() {
    let request = parse(r#"[{"outcome":1},{"dice":"2d6"},{"outcome":3,"dice":"1d4"}]"#).unwrap();
    let asked: Vec<_> = request
        .rolls()
        .iter()
        .map(|r| (r.outcome().map(Outcome::get), r.dice().map(Dice::to_string)))
        .collect();
    assert_eq!(
        asked,
        [
            (Some(1), None),
            (None, Some("2d6".to_owned())),
            (Some(3), Some("1d4".to_owned()))
        ]
    );
    let err = parse(r#"[{"outcome":1},{"dice":"2d6"},{"dice":"2d6"},{"dice":"0d6"}]"#).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        (ErrorCode::InvalidDice, Some("[3].dice"))
    );
    let err = parse(r#"[{"outcome":1},{"outcome":9,"dice":"1d8"}]"#).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        (ErrorCode::InvalidOutcome, Some("[1].outcome"))
    );
}

#[test]
fn notations_are_the_same_request_when_their_canonical_forms_are() {
    assert_eq!(
        parse(r#"{"dice":"D20 + 3"}"#),
        parse(r#"{"dice":"1d20+3"}"#)
    );
    assert_eq!(parse(r#"{"dice":"4d6k3"}"#), parse(r#"{"dice":"4d6kh3"}"#));
    assert_ne!(parse(r#"{"dice":"4d6dl1"}"#), parse(r#"{"dice":"4d6kh3"}"#));
    assert_ne!(
        parse(r#"{"dice":"1d6"}"#),
        parse(r#"{"outcome":6,"dice":"1d6"}"#)
    );
}

#[test]
fn rolling_a_request_rolls_only_its_dice() {
    let request =
        parse(r#"[{"outcome":1},{"dice":"2d6","rolled_by":"al"},{"outcome":3,"dice":"1d4"}]"#)
            .unwrap();
    let rolled = request.clone().roll(&mut ChaCha8Rng::seed_from_u64(7));
    assert_eq!(rolled.request(), &request);
    let [reported, server, with_dice] = rolled.rolls() else {
        panic!("three rolls asked")
    };
    assert_eq!(
        (reported.outcome().get(), reported.dice(), reported.faces()),
        (1, None, None)
    );
    assert_eq!(server.dice(), Some(&dice("2d6")));
    let faces = server.faces().unwrap();
    assert!(
        faces.len() == 2 && faces.iter().all(|f| (1..=6).contains(f)),
        "{faces:?}"
    );
    assert_eq!(server.outcome().get(), faces.iter().sum::<u32>());
    assert_eq!(server.rolled_by().map(Actor::as_str), Some("al"));
    assert_eq!(
        (
            with_dice.outcome().get(),
            with_dice.dice(),
            with_dice.faces()
        ),
        (3, Some(&dice("1d4")), None)
    );
    let again = request.roll(&mut ChaCha8Rng::seed_from_u64(7));
    assert_eq!(again, rolled, "the same seed rolls the same faces");
}

/// A source that always fails, like an operating system that has no entropy to give.
struct NoEntropy;

impl rand::TryRngCore for NoEntropy {
    type Error = &'static str;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Err("no entropy")
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Err("no entropy")
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Self::Error> {
        Err("no entropy")
    }
}

#[test]
fn a_failing_source_fails_the_roll_and_reported_rolls_do_not_draw_from_it() {
    let reported = parse(r#"[{"outcome":6},{"outcome":2,"dice":"1d6"}]"#).unwrap();
    assert!(reported.try_roll(&mut NoEntropy).is_ok());
    let mixed = parse(r#"[{"outcome":6},{"dice":"1d6"}]"#).unwrap();
    assert_eq!(mixed.try_roll(&mut NoEntropy), Err("no entropy"));
}

#[test]
fn the_operating_system_source_rolls_a_request() {
    let rolled = parse(r#"{"dice":"1000d6"}"#).unwrap().roll_os().unwrap();
    let faces = rolled.rolls()[0].faces().unwrap();
    assert_eq!(faces.len(), 1000);
    assert!(faces.iter().all(|f| (1..=6).contains(f)));
}

#[test]
fn rolls_made_already_carry_the_request_that_makes_them() {
    let json = |rolled: &RolledRequest| serde_json::to_string(rolled.request()).unwrap();
    let server = NewRoll::scored(dice("2d6"), vec![3, 4], None).unwrap();
    assert_eq!(
        json(&RolledRequest::from(server.clone())),
        r#"{"dice":"2d6"}"#
    );
    let physical = NewRoll::from_parts(Outcome::new(6), Some(dice("1d6")), None, None).unwrap();
    assert_eq!(
        json(&RolledRequest::from(physical.clone())),
        r#"{"outcome":6,"dice":"1d6"}"#
    );
    let plain = NewRoll::new(Outcome::new(6), None);
    let batch = RolledRequest::from(Batch::new(vec![plain, server, physical]).unwrap());
    assert_eq!(
        json(&batch),
        r#"[{"outcome":6},{"dice":"2d6"},{"outcome":6,"dice":"1d6"}]"#
    );
    assert_eq!(batch.len(), 3);
    assert_eq!(
        batch.request(),
        &parse(r#"[{"outcome":6},{"dice":"2d6"},{"outcome":6,"dice":"1d6"}]"#).unwrap()
    );
}

proptest! {
    #[test]
    fn a_dice_field_is_read_as_the_notation_parser_reads_it(text in ".{0,70}") {
        let body = serde_json::json!({ "dice": text }).to_string();
        match Dice::parse(&text) {
            Ok(dice) => prop_assert_eq!(parse(&body), Ok(RollRequest::One(RollToMake::roll(dice, None)))),
            Err(why) => {
                let err = parse(&body).unwrap_err();
                prop_assert_eq!(err.code(), ErrorCode::InvalidDice);
                prop_assert_eq!(err.to_string(), format!("dice: {why}"));
            }
        }
    }

    #[test]
    fn written_notations_parse_to_their_canonical_form((text, dice) in notation()) {
        let body = serde_json::json!({ "dice": text }).to_string();
        let request = parse(&body).unwrap();
        prop_assert_eq!(
            serde_json::to_string(&request).unwrap(),
            format!(r#"{{"dice":"{dice}"}}"#)
        );
    }

    #[test]
    fn a_reported_outcome_with_dice_is_accepted_exactly_when_possible(
        (text, dice) in notation(),
        outcome in prop_oneof![any::<u32>(), 0u32..200],
    ) {
        let body = serde_json::json!({ "outcome": outcome, "dice": text }).to_string();
        let possible = (dice.min_total().get()..=dice.max_total().get()).contains(&outcome);
        match parse(&body) {
            Ok(request) => {
                prop_assert!(possible, "{} accepted for {}", outcome, dice);
                prop_assert_eq!(request.rolls()[0].outcome(), Some(Outcome::new(outcome)));
            }
            Err(err) => {
                prop_assert!(!possible, "{} refused for {}: {}", outcome, dice, err);
                prop_assert_eq!(err.code(), ErrorCode::InvalidOutcome);
            }
        }
    }

    #[test]
    fn rolling_any_request_keeps_it_and_makes_rolls_that_fit_it(
        request in roll_request(),
        seed in any::<u64>(),
    ) {
        let rolled = request.clone().roll(&mut ChaCha8Rng::seed_from_u64(seed));
        prop_assert_eq!(rolled.request(), &request);
        prop_assert_eq!(rolled.len(), request.len());
        for (asked, made) in request.rolls().iter().zip(rolled.rolls()) {
            prop_assert_eq!(made.rolled_by(), asked.rolled_by());
            prop_assert_eq!(made.dice(), asked.dice());
            match asked.outcome() {
                Some(outcome) => {
                    prop_assert_eq!(made.outcome(), outcome);
                    prop_assert_eq!(made.faces(), None);
                }
                None => {
                    let faces = made.faces().map(<[u32]>::to_vec);
                    prop_assert!(faces.is_some());
                    let again = NewRoll::from_parts(made.outcome(), made.dice().cloned(), faces, None);
                    prop_assert!(again.is_ok(), "{:?}", again);
                }
            }
            let one = RolledRequest::from(made.clone());
            prop_assert_eq!(one.request(), &RollRequest::One(asked.clone()));
        }
    }
}
