//! The three forms of a roll through the handler (server rolls, reported rolls,
//! reported rolls with dice), batches that mix them, replays that keep the
//! first faces, stats with fairness, and every refusal of a notation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use aws_lambda_events::apigw::ApiGatewayProxyResponse;
use aws_lambda_events::encodings::Body;
use dice_core::{RollStore, StatsQuery};
use dice_lambda::{Handler, Options};
use dice_memory::MemoryStore;
use serde_json::Value;
use support::*;

async fn send(
    store: &MemoryStore,
    event: &aws_lambda_events::apigw::ApiGatewayProxyRequest,
) -> ApiGatewayProxyResponse {
    Handler::new(Options::default()).handle(event, store).await
}

async fn count(store: &MemoryStore) -> u64 {
    store.stats(&StatsQuery::new()).await.unwrap().count
}

fn body_text(response: &ApiGatewayProxyResponse) -> &str {
    match &response.body {
        Some(Body::Text(text)) => text,
        other => panic!("expected a text body, got {other:?}"),
    }
}

/// The faces of a roll's JSON, each checked to lie on a die with `sides`.
fn faces(roll: &Value, sides: u64) -> Vec<u64> {
    let faces: Vec<u64> = roll["faces"]
        .as_array()
        .unwrap_or_else(|| panic!("no faces: {roll}"))
        .iter()
        .map(|f| f.as_u64().unwrap())
        .collect();
    assert!(faces.iter().all(|f| (1..=sides).contains(f)), "{roll}");
    faces
}

#[tokio::test]
async fn a_reported_outcome_answers_exactly_as_before() {
    let store = MemoryStore::new();
    let response = send(
        &store,
        &post("/rolls", r#"{"outcome":6,"rolled_by":"alice"}"#),
    )
    .await;
    assert_eq!(response.status_code, 201);
    let roll = json_body(&response);
    assert_eq!(
        body_text(&response),
        format!(
            r#"{{"id":1,"outcome":6,"rolled_by":"alice","created_by":"{KEY_ID}","created_at":{}}}"#,
            roll["created_at"]
        )
    );
}

#[tokio::test]
async fn the_server_rolls_the_dice_and_answers_every_face() {
    let store = MemoryStore::new();
    let response = send(
        &store,
        &post("/rolls", r#"{"dice":"3D6 + 2","rolled_by":"al"}"#),
    )
    .await;
    assert_eq!(response.status_code, 201, "{:?}", response.body);
    let roll = json_body(&response);
    assert_eq!(roll["dice"], "3d6+2");
    let faces = faces(&roll, 6);
    assert_eq!(faces.len(), 3);
    assert_eq!(roll["outcome"], faces.iter().sum::<u64>() + 2);
    assert_eq!(roll["rolled_by"], "al");
    assert_eq!(header(&response, "location"), Some("/prod/rolls/1"));
    let text = body_text(&response);
    assert!(
        text.starts_with(&format!(
            r#"{{"id":1,"outcome":{},"dice":"3d6+2","faces":["#,
            roll["outcome"]
        )),
        "{text}"
    );

    let read = send(&store, &get("/rolls/1", &[])).await;
    assert_eq!(read.body, response.body, "GET answers the roll as created");
    let dropped = json_body(&send(&store, &post("/rolls", r#"{"dice":"4d6dl1"}"#)).await);
    let faces = self::faces(&dropped, 6);
    let kept: u64 = faces.iter().sum::<u64>() - faces.iter().min().unwrap();
    assert_eq!(
        (faces.len() as u64, dropped["outcome"].as_u64()),
        (4, Some(kept))
    );
}

#[tokio::test]
async fn a_roll_made_elsewhere_is_recorded_with_its_dice_and_no_faces() {
    let store = MemoryStore::new();
    let response = send(&store, &post("/rolls", r#"{"outcome":6,"dice":"1d6"}"#)).await;
    assert_eq!(response.status_code, 201);
    let roll = json_body(&response);
    assert_eq!(
        (roll["outcome"].as_u64(), roll["dice"].as_str()),
        (Some(6), Some("1d6"))
    );
    assert!(roll.get("faces").is_none(), "{roll}");
}

#[tokio::test]
async fn a_batch_mixes_the_three_forms_in_request_order() {
    let store = MemoryStore::new();
    let body = r#"[{"outcome":6},{"dice":"2d6","rolled_by":"b"},{"outcome":3,"dice":"1d4"}]"#;
    let response = send(&store, &post("/rolls", body)).await;
    assert_eq!(response.status_code, 201);
    assert_eq!(header(&response, "location"), None);
    let rolls = json_body(&response);
    let rolls = rolls.as_array().unwrap();
    assert_eq!(rolls.len(), 3);
    assert!(rolls[0].get("dice").is_none() && rolls[0].get("faces").is_none());
    assert_eq!(rolls[1]["dice"], "2d6");
    assert_eq!(rolls[1]["outcome"], faces(&rolls[1], 6).iter().sum::<u64>());
    assert_eq!(
        (rolls[2]["outcome"].as_u64(), rolls[2]["dice"].as_str()),
        (Some(3), Some("1d4"))
    );
    assert!(rolls[2].get("faces").is_none());
    assert_eq!(count(&store).await, 3);
}

#[tokio::test]
async fn a_keyed_retry_answers_the_first_faces_and_rolls_nothing_new() {
    let store = MemoryStore::new();
    let create = |body: &str| with_key(post("/rolls", body), "roll-once");
    // Enough dice that a second roll showing the same faces is out of the question.
    let first = send(&store, &create(r#"{"dice":"20d1000"}"#)).await;
    assert_eq!(first.status_code, 201);
    for retry in [r#"{"dice":"20d1000"}"#, r#"{ "dice" : "20D1000" }"#] {
        let again = send(&store, &create(retry)).await;
        assert_eq!(
            again.body, first.body,
            "exactly the first answer, faces included"
        );
        assert_eq!(header(&again, "idempotency-replayed"), Some("true"));
    }
    assert_eq!(count(&store).await, 1);
    let conflict = send(&store, &create(r#"{"dice":"20d1000+0"}"#)).await;
    assert_eq!(
        (conflict.status_code, error_code(&conflict).as_str()),
        (422, "idempotency_key_reused")
    );

    let batch = |body: &str| with_key(post("/rolls", body), "batch-once");
    let body = r#"[{"dice":"20d1000"},{"outcome":2}]"#;
    let first = send(&store, &batch(body)).await;
    let again = send(&store, &batch(body)).await;
    assert_eq!((again.status_code, &again.body), (201, &first.body));
    assert_eq!(count(&store).await, 3);
}

#[tokio::test]
async fn stats_of_a_notation_answer_its_fairness() {
    let store = MemoryStore::new();
    // A loaded die, reported: every roll a six.
    let loaded = format!(
        "[{}]",
        vec![r#"{"outcome":6,"dice":"1d6","rolled_by":"loaded"}"#; 60].join(",")
    );
    assert_eq!(
        send(&store, &post("/rolls", &loaded)).await.status_code,
        201
    );
    let rolled = format!("[{}]", [r#"{"dice":"2d6"}"#; 5].join(","));
    assert_eq!(
        send(&store, &post("/rolls", &rolled)).await.status_code,
        201
    );
    send(&store, &post("/rolls", r#"{"outcome":6}"#)).await;

    let stats = json_body(
        &send(
            &store,
            &get("/stats", &[("dice", "1D6"), ("rolled_by", "loaded")]),
        )
        .await,
    );
    assert_eq!(
        (stats["count"].as_u64(), stats["mean"].as_f64()),
        (Some(60), Some(6.0))
    );
    let fairness = &stats["fairness"];
    assert_eq!(fairness["verdict"], "unlikely fair", "{stats}");
    assert_eq!(fairness["degrees_of_freedom"], 5);
    assert_eq!(
        fairness["chi_square"], 300.0,
        "60 sixes against 10 of each face"
    );
    assert!(fairness["p_value"].as_f64().unwrap() < 0.001);
    assert_eq!(fairness["expected"]["1"], 1.0 / 6.0);
    assert!(fairness.get("reason").is_none());

    let few = json_body(&send(&store, &get("/stats", &[("dice", "2d6")])).await);
    assert_eq!(few["count"], 5);
    assert_eq!(few["fairness"]["verdict"], "too few rolls");
    assert!(few["fairness"]["chi_square"].is_null() && few["fairness"]["p_value"].is_null());

    let huge = json_body(&send(&store, &get("/stats", &[("dice", "1000d1000")])).await);
    assert_eq!(
        (huge["count"].as_u64(), huge["fairness"]["verdict"].as_str()),
        (Some(0), Some("not computed"))
    );
    assert_eq!(
        huge["fairness"]["reason"],
        "more than 10000 possible totals"
    );

    let all = send(&store, &get("/stats", &[])).await;
    let all_json = json_body(&all);
    assert_eq!(all_json["count"], 66);
    assert!(
        all_json.get("fairness").is_none(),
        "stats without dice answer as before"
    );
    assert!(body_text(&all).starts_with(r#"{"count":66,"per_outcome":{"#));
    let plain = json_body(&send(&store, &get("/stats", &[("dice", "")])).await);
    assert_eq!(
        plain, all_json,
        "an empty dice= is no filter, as for rolled_by="
    );
}

#[tokio::test]
async fn every_refusal_of_dice_names_the_problem_and_writes_nothing() {
    let store = MemoryStore::new();
    let cases = [
        (
            r#"{"dice":"2d6++1"}"#,
            "invalid_dice",
            "dice: expected a number or a die (like 2d6) at position 5",
        ),
        (
            r#"{"dice":"0d6"}"#,
            "invalid_dice",
            "dice: cannot roll 0 dice in one term: roll from 1 to 1000",
        ),
        (
            r#"{"dice":"1d4-5"}"#,
            "invalid_dice",
            "dice: can total as little as -4: totals must be from 0 to 4294967295",
        ),
        (
            r#"{"dice":6}"#,
            "invalid_dice",
            r#"dice: must be a string of dice notation (like "3d6+2"), found an integer"#,
        ),
        (
            r#"{"outcome":7,"dice":"1d6"}"#,
            "invalid_outcome",
            "outcome: 7 is not a possible total of 1d6 (1 to 6)",
        ),
        (
            r#"{"dice":"1d6","faces":[6]}"#,
            "unknown_field",
            r#"faces: is not a field of a roll (expected "outcome", "dice" or both, and optionally "rolled_by")"#,
        ),
        (
            r#"{"rolled_by":"al"}"#,
            "missing_outcome",
            r#"outcome: is required, unless "dice" is given for the server to roll"#,
        ),
        (
            r#"[{"dice":"2d6"},{"outcome":1},{"dice":"d"}]"#,
            "invalid_dice",
            "[2].dice: expected the number of sides after 'd' at position 2 (like 3d6 or d%)",
        ),
    ];
    for (body, code, message) in cases {
        let response = send(&store, &post("/rolls", body)).await;
        assert_eq!(
            (response.status_code, error_code(&response).as_str()),
            (400, code),
            "{body}"
        );
        assert_eq!(json_body(&response)["error"]["message"], message, "{body}");
    }
    let stats = send(&store, &get("/stats", &[("dice", "3d")])).await;
    assert_eq!(
        (stats.status_code, error_code(&stats).as_str()),
        (400, "invalid_dice")
    );
    assert_eq!(count(&store).await, 0);
}
