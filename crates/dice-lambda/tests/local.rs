//! `dice-local` over real HTTP on loopback: API keys, usage plans, the tutorial's
//! curl, backpressure, shutdown, and load against MariaDB.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;

use dice_store_mysql::testkit::{TestDb, admin};
use hyper::Method;
use mysql_async::prelude::Queryable;
use support::local::{KEY, Local, keys, keys_file};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorials_curl_records_a_roll_in_memory() {
    let local = Local::start(&[], &[("DICE_API_KEY", KEY)]).await;
    assert!(
        local.generated_key.is_none(),
        "DICE_API_KEY set, so nothing is generated"
    );
    let (status, headers, body) = local
        .send(Method::POST, "/create-roll", Some(KEY), r#"{"outcome":6}"#)
        .await;
    assert_eq!(status, 201, "{body}");
    let roll: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (roll["outcome"].as_u64(), roll["created_by"].as_str()),
        (Some(6), Some("local"))
    );
    assert_eq!(
        headers["location"],
        format!("/prod/rolls/{}", roll["id"]).as_str()
    );
    let (status, _, list) = local.send(Method::GET, "/rolls", Some(KEY), "").await;
    assert_eq!(status, 200);
    assert!(list.contains(r#""outcome":6"#), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorials_curl_records_a_row_in_mysql() {
    let db = TestDb::create().await;
    let local = Local::start(&[], &[("DICE_API_KEY", KEY), ("DATABASE_URL", &db.url())]).await;
    let (status, body) = local.post("/create-roll", KEY, r#"{"outcome":6}"#).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        db.count_rolls().await,
        1,
        "the row is in the table of an empty, migrated database"
    );
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The faces of a roll's JSON, checked to lie on dice with `sides`.
fn faces_of(roll: &serde_json::Value, sides: u64) -> Vec<u64> {
    let faces: Vec<u64> = roll["faces"]
        .as_array()
        .unwrap_or_else(|| panic!("no faces: {roll}"))
        .iter()
        .map(|face| face.as_u64().unwrap())
        .collect();
    assert!(faces.iter().all(|f| (1..=sides).contains(f)), "{roll}");
    faces
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_rolls_dice_over_http_into_mariadb() {
    let db = TestDb::create().await;
    let local = &Local::start(&[], &[("DICE_API_KEY", KEY), ("DATABASE_URL", &db.url())]).await;

    // The server rolls; the answer, the GET and the row agree.
    let (status, headers, body) = local
        .send(
            Method::POST,
            "/rolls",
            Some(KEY),
            r#"{"dice":"3D6 + 2","rolled_by":"alice"}"#,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let rolled = json(&body);
    let faces = faces_of(&rolled, 6);
    assert_eq!(rolled["dice"], "3d6+2");
    assert_eq!(rolled["outcome"], faces.iter().sum::<u64>() + 2);
    let id = rolled["id"].as_u64().unwrap();
    assert_eq!(headers["location"], format!("/prod/rolls/{id}").as_str());
    let (_, _, read) = local
        .send(Method::GET, &format!("/rolls/{id}"), Some(KEY), "")
        .await;
    assert_eq!(read, body);
    let mut conn = admin().await;
    let row: Option<(String, String)> = conn
        .exec_first(
            format!("SELECT dice, faces FROM `{}`.rolls WHERE id = ?", db.name),
            (id,),
        )
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    let stored_faces = serde_json::to_string(&faces).unwrap();
    assert_eq!(row, Some(("3d6+2".to_owned(), stored_faces)));

    // A physical die's roll, the tutorial's roll, and a batch of all three forms.
    let (status, body) = local
        .post("/rolls", KEY, r#"{"outcome":6,"dice":"1d6"}"#)
        .await;
    assert_eq!(
        (status, json(&body)["dice"].as_str()),
        (201, Some("1d6")),
        "{body}"
    );
    assert!(!body.contains("faces"), "{body}");
    let (status, body) = local.post("/create-roll", KEY, r#"{"outcome":6}"#).await;
    assert_eq!(status, 201);
    assert_eq!(
        json(&body).as_object().unwrap().keys().collect::<Vec<_>>(),
        ["created_at", "created_by", "id", "outcome", "rolled_by"],
        "the tutorial's roll answers as it always has"
    );
    let (status, body) = local
        .post(
            "/rolls",
            KEY,
            r#"[{"outcome":2},{"dice":"4d6kh3"},{"outcome":20,"dice":"d20"}]"#,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let batch = json(&body);
    assert_eq!(faces_of(&batch[1], 6).len(), 4);
    assert_eq!(
        (batch[2]["dice"].as_str(), batch[2].get("faces")),
        (Some("1d20"), None)
    );

    // A keyed retry answers the first faces and records nothing.
    let keyed = |body: &'static str| async move {
        local
            .send_with(
                Method::POST,
                "/rolls",
                Some(KEY),
                &[("Idempotency-Key", "dice-1")],
                body,
            )
            .await
    };
    let (status, _, first) = keyed(r#"{"dice":"20d1000"}"#).await;
    assert_eq!(status, 201, "{first}");
    let (status, headers, again) = keyed(r#"{ "dice": "20D1000" }"#).await;
    assert_eq!((status, &again), (201, &first));
    assert_eq!(headers["idempotency-replayed"], "true");
    let (status, _, conflict) = keyed(r#"{"dice":"20d999"}"#).await;
    assert_eq!(
        (status, conflict.contains("idempotency_key_reused")),
        (422, true)
    );
    assert_eq!(db.count_rolls().await, 7);

    // Stats of a notation judge it: a loaded die reported 60 times, a fair one rolled 600.
    let loaded = vec![r#"{"outcome":6,"dice":"1d6","rolled_by":"loaded"}"#; 60].join(",");
    assert_eq!(
        local.post("/rolls", KEY, &format!("[{loaded}]")).await.0,
        201
    );
    let fair = vec![r#"{"dice":"1d6","rolled_by":"fair"}"#; 600].join(",");
    assert_eq!(local.post("/rolls", KEY, &format!("[{fair}]")).await.0, 201);
    let stats = |query: &'static str| async move {
        let (status, _, body) = local.send(Method::GET, query, Some(KEY), "").await;
        assert_eq!(status, 200, "{body}");
        json(&body)
    };
    let judged = stats("/stats?dice=1D6&rolled_by=loaded").await;
    assert_eq!(judged["count"], 60);
    assert_eq!(judged["fairness"]["verdict"], "unlikely fair");
    assert_eq!(judged["fairness"]["chi_square"], 300.0);
    let judged = stats("/stats?dice=1d6&rolled_by=fair").await;
    assert_eq!(judged["count"], 600);
    let fairness = &judged["fairness"];
    assert_eq!(fairness["degrees_of_freedom"], 5);
    // The OS's dice: the verdict is whichever the p-value says, never "too few rolls".
    let p_value = fairness["p_value"].as_f64().unwrap();
    let verdict = if p_value < 0.001 {
        "unlikely fair"
    } else {
        "consistent with fair"
    };
    assert_eq!(fairness["verdict"], verdict, "{judged}");
    let everything = stats("/stats").await;
    assert_eq!(everything["count"], 667);
    assert!(everything.get("fairness").is_none(), "{everything}");

    // Refusals, and nothing written by them.
    for (body, status, code) in [
        (r#"{"dice":"2d6++1"}"#, 400, "invalid_dice"),
        (r#"{"outcome":7,"dice":"1d6"}"#, 400, "invalid_outcome"),
        (r#"{"dice":"2d6","faces":[1,1]}"#, 400, "unknown_field"),
        (r#"[{"dice":"2d6"},{"dice":"1d1"}]"#, 400, "invalid_dice"),
    ] {
        let (got, answer) = local.post("/rolls", KEY, body).await;
        assert_eq!(
            (got, json(&answer)["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    let (status, _, body) = local
        .send(Method::GET, "/stats?dice=3d", Some(KEY), "")
        .await;
    assert_eq!(
        (status, json(&body)["error"]["code"].as_str()),
        (400, Some("invalid_dice"))
    );
    assert_eq!(db.count_rolls().await, 667);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_key_is_printed_once_and_works() {
    let file = keys_file("generated");
    let local = Local::start(&["--keys-file", file.to_str().unwrap()], &[]).await;
    let key = local.generated_key.clone().expect("a key was printed");
    assert_eq!(local.post("/rolls", &key, r#"{"outcome":1}"#).await.0, 201);
    assert!(
        local
            .stderr
            .lock()
            .unwrap()
            .iter()
            .all(|l| !l.contains(&key)),
        "logged the key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_refusals_match_api_gateway_byte_for_byte() {
    let local = Local::start(&[], &[("DICE_API_KEY", KEY)]).await;
    let forbidden = r#"{"message":"Forbidden"}"#;
    let missing = r#"{"message":"Missing Authentication Token"}"#;
    let cases: [(Method, &str, Option<&str>, u16, &str); 6] = [
        (Method::POST, "/rolls", None, 403, forbidden),
        (Method::POST, "/rolls", Some("wrong"), 403, forbidden),
        (Method::GET, "/nowhere", Some(KEY), 403, missing),
        (Method::DELETE, "/rolls", Some(KEY), 403, missing),
        (Method::GET, "/rolls/1/extra", None, 403, missing),
        (Method::GET, "/../rolls", Some(KEY), 403, missing),
    ];
    for (method, path, key, status, body) in cases {
        let (got_status, headers, got_body) = local.send(method.clone(), path, key, "{}").await;
        assert_eq!(
            (got_status, got_body.as_str()),
            (status, body),
            "{method} {path}"
        );
        assert_eq!(headers["content-type"], "application/json");
    }
    // A request outside the stage is unknown too.
    let outside = local.base.trim_end_matches("/prod").to_owned() + "/dev/rolls";
    let request = Request::get(outside)
        .header("x-api-key", KEY)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = local.client.request(request).await.unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_from_the_file_can_be_disabled_enabled_and_deleted() {
    let file = keys_file("lifecycle");
    let added = keys(&file, &["add", "--name", "alice"]).await;
    let value = added.lines().nth(1).unwrap().trim().to_owned();
    let id = added.split_whitespace().nth(2).unwrap().to_owned();
    let stored = std::fs::read_to_string(&file).unwrap();
    assert!(!stored.contains(&value), "the file holds no key value");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let listed = keys(&file, &["list"]).await;
    assert!(
        listed.contains(&id) && listed.contains("alice") && listed.contains("enabled"),
        "{listed}"
    );
    assert!(!listed.contains(&value));

    let local = Local::start(&["--keys-file", file.to_str().unwrap()], &[]).await;
    assert!(local.generated_key.is_none());
    let (status, body) = local.post("/rolls", &value, r#"{"outcome":2}"#).await;
    assert_eq!(status, 201);
    assert!(body.contains(&format!(r#""created_by":"{id}""#)), "{body}");

    keys(&file, &["disable", &id]).await;
    assert_eq!(
        local.post("/rolls", &value, r#"{"outcome":2}"#).await,
        (403, r#"{"message":"Forbidden"}"#.to_owned())
    );
    keys(&file, &["enable", &id]).await;
    assert_eq!(
        local.post("/rolls", &value, r#"{"outcome":2}"#).await.0,
        201
    );
    keys(&file, &["delete", &id]).await;
    assert_eq!(
        local.post("/rolls", &value, r#"{"outcome":2}"#).await.0,
        403
    );
    assert!(!keys(&file, &["list"]).await.contains(&id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttle_and_quota_answer_429_at_their_boundaries() {
    let local = Local::start(
        &["--rate", "0.001", "--burst", "3"],
        &[("DICE_API_KEY", KEY)],
    )
    .await;
    for n in 0..3 {
        assert_eq!(
            local.post("/rolls", KEY, r#"{"outcome":1}"#).await.0,
            201,
            "request {n} is within the burst"
        );
    }
    assert_eq!(
        local.post("/rolls", KEY, r#"{"outcome":1}"#).await,
        (429, r#"{"message":"Too Many Requests"}"#.to_owned())
    );

    let file = keys_file("quota");
    let added = keys(
        &file,
        &[
            "add",
            "--name",
            "metered",
            "--quota",
            "2",
            "--quota-period",
            "month",
        ],
    )
    .await;
    let value = added.lines().nth(1).unwrap().trim().to_owned();
    let local = Local::start(&["--keys-file", file.to_str().unwrap()], &[]).await;
    assert_eq!(
        local.post("/rolls", &value, r#"{"outcome":1}"#).await.0,
        201
    );
    assert_eq!(
        local.post("/rolls", &value, "not json").await.0,
        400,
        "the quota counts requests, not rolls"
    );
    assert_eq!(
        local.post("/rolls", &value, r#"{"outcome":1}"#).await,
        (429, r#"{"message":"Limit Exceeded"}"#.to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_and_bad_input_over_http() {
    let local = Local::start(&[], &[("DICE_API_KEY", KEY)]).await;
    let (status, body) = local
        .post(
            "/rolls",
            KEY,
            r#"[{"outcome":1,"rolled_by":"ann"},{"outcome":5}]"#,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, _, one) = local.send(Method::GET, "/rolls/1", Some(KEY), "").await;
    assert_eq!((status, one.contains(r#""rolled_by":"ann""#)), (200, true));
    let (status, _, page) = local
        .send(Method::GET, "/rolls?rolled_by=ann&limit=1", Some(KEY), "")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains(r#""next_cursor":null"#), "{page}");
    let (status, _, stats) = local.send(Method::GET, "/stats", Some(KEY), "").await;
    assert_eq!(
        (status, stats.contains(r#""count":2"#)),
        (200, true),
        "{stats}"
    );
    let (status, _, body) = local
        .send(Method::GET, "/rolls?limit=0", Some(KEY), "")
        .await;
    assert_eq!((status, body.contains("invalid_limit")), (400, true));
    let (status, body) = local.post("/roll", KEY, r#"{"outcome":"6"}"#).await;
    assert_eq!((status, body.contains("invalid_outcome")), (400, true));
    let (status, body) = local
        .post("/rolls", KEY, &"x".repeat(2 * 1024 * 1024))
        .await;
    assert_eq!((status, body.contains("payload_too_large")), (413, true));
    let (status, _, body) = local.send(Method::GET, "/rolls/99", Some(KEY), "").await;
    assert_eq!((status, body.contains("not_found")), (404, true));
}

/// Connections the server has open to `db`.
async fn connections_to(db: &str) -> usize {
    let mut conn = admin().await;
    let n: Option<usize> = conn
        .exec_first(
            "SELECT COUNT(*) FROM information_schema.processlist WHERE db = ?",
            (db,),
        )
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    n.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_in_flight_all_answered_within_the_pool() {
    let db = TestDb::create().await;
    let local = Arc::new(
        Local::start(
            &["--max-in-flight", "16"],
            &[
                ("DICE_API_KEY", KEY),
                ("DATABASE_URL", &db.url()),
                ("DB_POOL_MAX", "4"),
            ],
        )
        .await,
    );
    let sampler = {
        let name = db.name.clone();
        tokio::spawn(async move {
            let mut most = 0;
            for _ in 0..20 {
                most = most.max(connections_to(&name).await);
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            most
        })
    };
    let requests: Vec<_> = (0..200)
        .map(|n| {
            let local = Arc::clone(&local);
            tokio::spawn(async move {
                local
                    .post("/rolls", KEY, &format!(r#"{{"outcome":{n}}}"#))
                    .await
                    .0
            })
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap(), 201);
    }
    assert_eq!(db.count_rolls().await, 200);
    let most = sampler.await.unwrap();
    assert!(
        most <= 4,
        "the database saw {most} connections, more than the pool's 4"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_clients_lose_and_double_nothing() {
    let db = TestDb::create().await;
    let local =
        Arc::new(Local::start(&[], &[("DICE_API_KEY", KEY), ("DATABASE_URL", &db.url())]).await);
    let clients: Vec<_> = (0..64)
        .map(|client| {
            let local = Arc::clone(&local);
            tokio::spawn(async move {
                let mut created = 0;
                for n in 0..100 {
                    let (status, body) = local
                        .post(
                            "/rolls",
                            KEY,
                            &format!(r#"{{"outcome":{n},"rolled_by":"c{client}"}}"#),
                        )
                        .await;
                    assert_eq!(status, 201, "{body}");
                    created += 1;
                }
                created
            })
        })
        .collect();
    let mut created = 0;
    for client in clients {
        created += client.await.unwrap();
    }
    assert_eq!(db.count_rolls().await, created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_requests_in_flight() {
    let db = TestDb::create().await;
    let mut local = Local::start(&[], &[("DICE_API_KEY", KEY), ("DATABASE_URL", &db.url())]).await;
    // Hold the table so the inserts wait inside the server.
    let mut lock = admin().await;
    lock.query_drop(format!("LOCK TABLES `{}`.rolls WRITE", db.name))
        .await
        .unwrap();
    let client = local.client.clone();
    let base = local.base.clone();
    let in_flight: Vec<_> = (0..5)
        .map(|n| {
            let client = client.clone();
            let request = Request::post(format!("{base}/rolls"))
                .header("x-api-key", KEY)
                .body(Full::new(Bytes::from(format!(r#"{{"outcome":{n}}}"#))))
                .unwrap();
            tokio::spawn(async move { client.request(request).await.map(|r| r.status().as_u16()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    local.terminate().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    lock.query_drop("UNLOCK TABLES").await.unwrap();
    for request in in_flight {
        assert_eq!(
            request.await.unwrap().unwrap(),
            201,
            "a request in flight was dropped"
        );
    }
    let status = tokio::time::timeout(Duration::from_secs(30), local.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert_eq!(db.count_rolls().await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_is_one_clear_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_dice-local"))
        .args(["--port", &port])
        .env("DICE_API_KEY", KEY)
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("already in use") && stderr.contains("--port"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_explains_every_flag() {
    let output = Command::new(env!("CARGO_BIN_EXE_dice-local"))
        .arg("--help")
        .output()
        .await
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--port",
        "--stage",
        "--keys-file",
        "--rate",
        "--burst",
        "--quota",
        "--quota-period",
        "--max-in-flight",
        "--queue-timeout",
        "--timeout",
        "keys",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_waits_past_the_queue_timeout_gets_503_with_retry_after() {
    let db = TestDb::create().await;
    let local = Arc::new(
        Local::start(
            &["--max-in-flight", "1", "--queue-timeout", "1"],
            &[("DICE_API_KEY", KEY), ("DATABASE_URL", &db.url())],
        )
        .await,
    );
    // The first request takes the only turn and waits on a locked table.
    let mut lock = admin().await;
    lock.query_drop(format!("LOCK TABLES `{}`.rolls WRITE", db.name))
        .await
        .unwrap();
    let first = {
        let local = Arc::clone(&local);
        tokio::spawn(async move { local.post("/rolls", KEY, r#"{"outcome":1}"#).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, headers, body) = local
        .send(Method::POST, "/rolls", Some(KEY), r#"{"outcome":2}"#)
        .await;
    assert_eq!(
        (status, body.as_str()),
        (503, r#"{"message":"Service Unavailable"}"#)
    );
    assert_eq!(headers["retry-after"], "1");
    lock.query_drop("UNLOCK TABLES").await.unwrap();
    assert_eq!(
        first.await.unwrap().0,
        201,
        "the request that had its turn finishes"
    );
    assert_eq!(
        db.count_rolls().await,
        1,
        "the refused request wrote nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_added_while_serving_work_at_once() {
    let file = keys_file("live");
    let local = Local::start(
        &["--keys-file", file.to_str().unwrap()],
        &[("DICE_API_KEY", KEY)],
    )
    .await;
    let added = keys(&file, &["add", "--name", "late"]).await;
    let value = added.lines().nth(1).unwrap().trim().to_owned();
    assert_eq!(
        local.post("/rolls", &value, r#"{"outcome":4}"#).await.0,
        201
    );
    assert_eq!(
        local.post("/rolls", KEY, r#"{"outcome":4}"#).await.0,
        201,
        "DICE_API_KEY still works"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_needs_no_key_and_uses_no_quota() {
    let local = Local::start(&["--quota", "1"], &[("DICE_API_KEY", KEY)]).await;
    for path in ["/", ""] {
        let (status, headers, body) = local.send(Method::GET, path, None, "").await;
        assert_eq!(status, 200, "{path:?}: {body}");
        assert_eq!(headers["content-type"], "text/html; charset=utf-8");
        assert!(headers.contains_key("content-security-policy"));
        assert!(body.contains("<title>dice</title>"));
    }
    // The quota of one is still there for the API.
    assert_eq!(local.post("/rolls", KEY, r#"{"outcome":1}"#).await.0, 201);
    assert_eq!(
        local.post("/rolls", KEY, r#"{"outcome":1}"#).await,
        (429, r#"{"message":"Limit Exceeded"}"#.to_owned())
    );
    let (status, _, _) = local.send(Method::POST, "/", Some(KEY), "").await;
    assert_eq!(status, 403, "only GET on the page");
}
