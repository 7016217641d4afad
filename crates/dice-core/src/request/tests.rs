use proptest::prelude::*;

use super::*;
use crate::{Actor, Outcome};

fn parse(body: &str) -> Result<RollRequest, InvalidInput> {
    RollRequest::parse_json(body.as_bytes())
}

fn code_of(body: &str) -> ErrorCode {
    parse(body).unwrap_err().code()
}

fn one(outcome: u32, rolled_by: Option<&str>) -> RollRequest {
    RollRequest::One(NewRoll::new(
        Outcome::new(outcome),
        rolled_by.map(|name| Actor::parse(name).unwrap()),
    ))
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

fn new_roll() -> impl Strategy<Value = NewRoll> {
    (any::<u32>(), prop::option::of(actor_text())).prop_map(|(outcome, name)| {
        NewRoll::new(
            Outcome::new(outcome),
            name.map(|n| Actor::parse(n).unwrap()),
        )
    })
}

fn roll_request() -> impl Strategy<Value = RollRequest> {
    prop_oneof![
        new_roll().prop_map(RollRequest::One),
        prop::collection::vec(new_roll(), 1..20)
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
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        let key = prop_oneof![
            Just("outcome".to_owned()),
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
            Ok(actor) => prop_assert_eq!(parse(&body), Ok(RollRequest::One(NewRoll::new(Outcome::new(1), Some(actor))))),
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
