//! `dice-local keys` and `plans` as a person uses them: a session of every
//! command, named plans a running gateway applies, and rotation with a
//! grace period.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use std::path::Path;
use std::time::Duration;

use support::local::{Local, keys, keys_file};
use tokio::process::Command;

const ROLL: &str = r#"{"outcome":6}"#;

async fn dice_local(file: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_dice-local"))
        .arg("--keys-file")
        .arg(file)
        .args(args)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    println!("$ dice-local {}\n{stdout}{stderr}", args.join(" "));
    (output.status.code().unwrap(), stdout, stderr)
}

async fn ok(file: &Path, args: &[&str]) -> String {
    let (status, stdout, stderr) = dice_local(file, args).await;
    assert_eq!(status, 0, "{args:?}: {stderr}");
    stdout
}

fn added(printed: &str) -> (String, String) {
    let mut lines = printed.lines();
    let id = lines
        .next()
        .and_then(|line| line.strip_prefix("added key "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("not an added key: {printed}"))
        .to_owned();
    (id, lines.next().unwrap().to_owned())
}

fn row<'a>(table: &'a str, id: &str) -> &'a str {
    table
        .lines()
        .find(|line| line.starts_with(id))
        .unwrap_or_else(|| panic!("{id} not in\n{table}"))
}

#[tokio::test]
async fn a_session_of_every_command_on_the_keys_file() {
    let file = keys_file("session");
    let plan = ok(
        &file,
        &[
            "plans", "add", "--name", "gold", "--rate", "10", "--burst", "20", "--quota", "1000",
        ],
    )
    .await;
    assert!(
        plan.contains("(gold): 10/s burst 20, 1000 per day"),
        "{plan}"
    );
    assert!(ok(&file, &["plans", "list"]).await.contains("gold"));

    let (alice, value) =
        added(&ok(&file, &["keys", "add", "--name", "alice", "--plan", "gold"]).await);
    let (bob, _) = added(
        &ok(
            &file,
            &[
                "keys", "add", "--name", "bob", "--rate", "5", "--burst", "10",
            ],
        )
        .await,
    );
    let listed = ok(&file, &["keys", "list"]).await;
    assert!(
        listed.starts_with("id           state     name"),
        "{listed}"
    );
    assert!(row(&listed, &alice).ends_with(" gold"), "{listed}");
    assert!(row(&listed, &bob).ends_with(" 5/s burst 10"), "{listed}");
    assert!(!listed.contains(&value));

    assert_eq!(
        ok(&file, &["keys", "disable", &alice]).await,
        format!("disabled key {alice} (alice)\n")
    );
    assert_eq!(
        ok(&file, &["keys", "enable", &alice]).await,
        format!("enabled key {alice} (alice)\n")
    );
    let moved = ok(&file, &["keys", "set-plan", &bob, "--plan", "gold"]).await;
    assert_eq!(moved, format!("key {bob} (bob) now has the plan: gold\n"));

    let local = Local::start(&["--keys-file", file.to_str().unwrap()], &[]).await;
    for _ in 0..3 {
        assert_eq!(local.post("/rolls", &value, ROLL).await.0, 201);
    }
    let rotated = ok(&file, &["keys", "rotate", &alice]).await;
    let (new, _) = added(&rotated);
    assert!(
        rotated.ends_with(&format!("disabled old key {alice} (alice)\n")),
        "{rotated}"
    );
    assert_eq!(
        local.post("/rolls", &value, ROLL).await.0,
        403,
        "the old key is refused"
    );

    let usage = ok(&file, &["keys", "usage", "--days", "2"]).await;
    let today = dice_keys::Day::today().to_string();
    let alice_today = usage
        .lines()
        .find(|line| line.starts_with(&alice) && line.contains(&today))
        .unwrap_or_else(|| panic!("{usage}"));
    assert!(
        alice_today
            .split_whitespace()
            .rev()
            .take(2)
            .eq(["997", "3"]),
        "{usage}"
    );
    assert!(usage.contains(&new) && usage.contains(&bob), "{usage}");

    assert_eq!(
        ok(&file, &["keys", "delete", &alice]).await,
        format!("deleted key {alice} (alice)\n")
    );
}

#[tokio::test]
async fn a_named_plan_applies_to_its_keys_in_a_running_dice_local() {
    let file = keys_file("named-plan");
    ok(&file, &["plans", "add", "--name", "tiny", "--quota", "2"]).await;
    let (_, value) = added(&keys(&file, &["add", "--name", "alice", "--plan", "tiny"]).await);
    let local = Local::start(&["--keys-file", file.to_str().unwrap()], &[]).await;
    assert_eq!(local.post("/rolls", &value, ROLL).await.0, 201);
    assert_eq!(local.post("/rolls", &value, ROLL).await.0, 201);
    assert_eq!(
        local.post("/rolls", &value, ROLL).await,
        (429, r#"{"message":"Limit Exceeded"}"#.to_owned())
    );
}

#[tokio::test]
async fn a_rotated_key_works_until_its_grace_period_ends() {
    let file = keys_file("grace");
    let (old, old_value) = added(&keys(&file, &["add", "--name", "alice"]).await);
    let local = Local::start(&["--keys-file", file.to_str().unwrap()], &[]).await;
    let rotated = ok(&file, &["keys", "rotate", &old, "--grace", "2"]).await;
    let (_, new_value) = added(&rotated);
    assert!(
        rotated.contains(&format!("old key {old} (alice) is accepted until ")),
        "{rotated}"
    );
    assert_eq!(
        local.post("/rolls", &old_value, ROLL).await.0,
        201,
        "within the grace period"
    );
    assert_eq!(local.post("/rolls", &new_value, ROLL).await.0, 201);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(
        local.post("/rolls", &old_value, ROLL).await.0,
        403,
        "after it"
    );
    assert_eq!(local.post("/rolls", &new_value, ROLL).await.0, 201);
    assert!(row(&ok(&file, &["keys", "list"]).await, &old).contains("disabled"));
}

#[tokio::test]
async fn errors_are_one_line_and_usage_errors_exit_2() {
    let file = keys_file("errors");
    let (id, _) = added(
        &keys(
            &file,
            &["add", "--name", "alice", "--rate", "1", "--burst", "2"],
        )
        .await,
    );
    let cases: [(&[&str], i32, &str); 5] = [
        (
            &["keys", "disable", "nokey00000"],
            1,
            "no key has the id nokey00000",
        ),
        (
            &["keys", "add", "--name", "bob", "--plan", "gold"],
            1,
            "no usage plan is named \"gold\"",
        ),
        (&["keys", "usage", &id], 1, "has no quota"),
        (
            &["keys", "add", "--name", "a\u{7}b"],
            2,
            "control character",
        ),
        (&["keys", "disable", "a/b"], 2, "not a key id"),
    ];
    for (args, status, says) in cases {
        let (code, stdout, stderr) = dice_local(&file, args).await;
        assert_eq!((code, stdout.as_str()), (status, ""), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    // clap's own usage errors: the line, then a hint to --help.
    let (code, _, stderr) = dice_local(&file, &["keys", "usage", "--days", "91"]).await;
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: invalid value '91' for '--days"),
        "{stderr}"
    );
}
