//! The `dice-keys` binary against API Gateway as moto (and the stand-in)
//! emulate it: the commands a person types, their output, their one-line
//! errors and their exit statuses. Credentials are dummies; no test
//! reaches AWS.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use std::process::{Command, Output};

use aws_sdk_apigateway::types::{ApiStage, ThrottleSettings};
use aws_sdk_cloudformation::config::{BehaviorVersion, Credentials, Region};
use dice_keys::Day;

/// `dice-keys ARGS` with the standard AWS variables pointing at the stand-in.
fn dice_keys<A: AsRef<str>>(args: &[A]) -> Output {
    command(args)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap()
}

/// The command with no credentials of any kind around it.
fn command<A: AsRef<str>>(args: &[A]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dice-keys"));
    command
        .args(args.iter().map(AsRef::as_ref))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", support::REGION)
        .env("AWS_ENDPOINT_URL", &support::stand_in().url);
    command
}

fn ok<A: AsRef<str>>(args: &[A]) -> String {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let output = dice_keys(&args);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{args:?}: {stderr}{stdout}");
    println!("$ dice-keys {}\n{stdout}", args.join(" "));
    stdout
}

/// The one line a failing command prints, checked for its exit status.
fn fails<A: AsRef<str>>(args: &[A], status: i32) -> String {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let output = dice_keys(&args);
    failure(&args, &output, status)
}

fn failure<A: AsRef<str>>(args: &[A], output: &Output, status: i32) -> String {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(output.status.code(), Some(status), "{args:?}: {stderr}");
    assert!(output.stdout.is_empty(), "{args:?} printed on stdout");
    println!("$ dice-keys {}   (exit {status})\n{stderr}", args.join(" "));
    stderr
}

fn one_line(stderr: &str, naming: &[&str]) {
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    for word in naming {
        assert!(stderr.contains(word), "{stderr:?} does not say {word:?}");
    }
}

/// The id and value `keys add` (or `rotate`) printed.
fn added(stdout: &str) -> (String, String) {
    let mut lines = stdout.lines();
    let first = lines.next().unwrap();
    let id = first
        .strip_prefix("added key ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("not an added key: {stdout}"));
    (id.to_owned(), lines.next().unwrap().to_owned())
}

fn row<'a>(table: &'a str, id: &str) -> &'a str {
    table
        .lines()
        .find(|line| line.starts_with(id))
        .unwrap_or_else(|| panic!("{id} not in\n{table}"))
}

#[tokio::test]
async fn a_session_of_every_command_against_api_gateway() {
    let api = support::fresh_api(&support::client(), "session").await;
    let target = ["--rest-api-id", api.as_str()];
    let run = |rest: &[&str]| ok(&[&target[..], rest].concat());

    let plan = run(&[
        "plans", "add", "--name", "gold", "--rate", "10", "--burst", "20", "--quota", "1000",
    ]);
    assert!(
        plan.contains("(gold): 10/s burst 20, 1000 per day"),
        "{plan}"
    );
    assert!(run(&["plans", "list"]).contains("gold"));

    let (alice, value) = added(&run(&["keys", "add", "--name", "alice"]));
    assert_eq!(value.len(), 40, "API Gateway's values are 40 characters");
    let listed = run(&["keys", "list"]);
    assert!(
        listed.starts_with("id           state     name"),
        "{listed}"
    );
    assert!(row(&listed, &alice).contains("enabled"));
    assert!(row(&listed, &alice).ends_with(" gold"));
    assert!(!listed.contains(&value), "values are never listed");

    assert_eq!(
        run(&["keys", "disable", &alice]),
        format!("disabled key {alice} (alice)\n")
    );
    assert!(row(&run(&["keys", "list"]), &alice).contains("disabled"));
    assert_eq!(
        run(&["keys", "enable", &alice]),
        format!("enabled key {alice} (alice)\n")
    );

    let rotated = run(&["keys", "rotate", &alice]);
    let (new, new_value) = added(&rotated);
    assert_ne!((&new, &new_value), (&alice, &value));
    assert!(
        rotated.ends_with(&format!("disabled old key {alice} (alice)\n")),
        "{rotated}"
    );

    support::stand_in().record(&new, Day::today(), 7);
    let usage = run(&["keys", "usage", &new, "--days", "2"]);
    let today = row_for_day(&usage, &Day::today().to_string());
    assert!(
        today.split_whitespace().rev().take(2).eq(["993", "7"]),
        "{usage}"
    );

    assert_eq!(
        run(&["keys", "delete", &alice]),
        format!("deleted key {alice} (alice)\n")
    );
    assert!(!run(&["keys", "list"]).contains(&alice));
}

/// `--rest-api-id API` then `rest`.
fn on(api: &str, rest: &[&str]) -> Vec<String> {
    ["--rest-api-id", api]
        .iter()
        .chain(rest)
        .map(|arg| (*arg).to_owned())
        .collect()
}

fn row_for_day<'a>(table: &'a str, day: &str) -> &'a str {
    table
        .lines()
        .find(|line| line.contains(day))
        .unwrap_or_else(|| panic!("{day} not in\n{table}"))
}

#[tokio::test]
async fn a_stack_names_the_api_and_the_plan_new_keys_join() {
    let client = support::client();
    let api = support::fresh_api(&client, "stacked").await;
    let mut plans = Vec::new();
    for name in ["first", "stack's own"] {
        let plan = client
            .create_usage_plan()
            .name(name)
            .api_stages(ApiStage::builder().api_id(&api).stage("prod").build())
            .send()
            .await
            .unwrap();
        plans.push(plan.id.unwrap());
    }
    let stack = format!("dice-{api}");
    let template = serde_json::json!({
        "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {
            "RestApiId": {"Value": api},
            "UsagePlanId": {"Value": plans[1]},
        },
    });
    cloudformation()
        .create_stack()
        .stack_name(&stack)
        .template_body(template.to_string())
        .send()
        .await
        .unwrap();

    let (id, _) = added(&ok(&[
        "--stack",
        &stack,
        "keys",
        "add",
        "--name",
        "from the stack",
    ]));
    let listed = ok(&["--stack", &stack, "keys", "list"]);
    assert!(row(&listed, &id).ends_with(" stack's own"), "{listed}");
    // By the REST API id alone, two plans leave the choice to the person.
    let stderr = fails(&["--rest-api-id", &api, "keys", "add", "--name", "x"], 1);
    one_line(
        &stderr,
        &["several usage plans", "first", "stack's own", "--plan"],
    );
}

fn cloudformation() -> aws_sdk_cloudformation::Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = aws_sdk_cloudformation::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(support::REGION))
        .endpoint_url(&support::stand_in().url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .http_client(http)
        .build();
    aws_sdk_cloudformation::Client::from_conf(config)
}

#[tokio::test]
async fn failures_of_the_target_are_one_line_and_exit_1() {
    let client = support::client();
    let api = support::fresh_api(&client, "failures").await;
    let with = |rest: &[&str]| on(&api, rest);

    let args = with(&["keys", "list"]);
    let output = command(&args).output().unwrap();
    one_line(
        &failure(&args, &output, 1),
        &["no AWS credentials", "AWS_PROFILE"],
    );

    one_line(
        &fails(&["--rest-api-id", "nosuchapi0", "keys", "list"], 1),
        &["no REST API nosuchapi0", "us-east-1"],
    );
    one_line(
        &fails(&["--stack", "no-such-stack", "keys", "list"], 1),
        &["no CloudFormation stack no-such-stack"],
    );
    one_line(
        &fails(&with(&["keys", "add", "--name", "alice"]), 1),
        &["no usage plan", "ignores keys outside", "plans add"],
    );
    one_line(
        &fails(&with(&["keys", "disable", "nokey00000"]), 1),
        &["no key has the id nokey00000"],
    );

    // A key made outside any plan: API Gateway ignores it, and says so.
    let loose = client
        .create_api_key()
        .name("loose")
        .send()
        .await
        .unwrap()
        .id
        .unwrap();
    one_line(
        &fails(&with(&["keys", "rotate", &loose]), 1),
        &[
            &loose,
            "in no usage plan",
            "ignores keys outside a usage plan",
            "set-plan",
        ],
    );

    // A plan with a throttle and no quota has no usage to report.
    let plan = client
        .create_usage_plan()
        .name("throttle only")
        .api_stages(ApiStage::builder().api_id(&api).stage("prod").build())
        .throttle(
            ThrottleSettings::builder()
                .rate_limit(5.0)
                .burst_limit(10)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(plan.id.is_some());
    let (id, _) = added(&ok(&with(&["keys", "add", "--name", "throttled"])));
    one_line(
        &fails(&with(&["keys", "usage", &id]), 1),
        &["no quota", "plans add"],
    );
}

#[tokio::test]
async fn what_api_gateway_cannot_do_is_a_usage_error_and_exits_2() {
    let api = support::fresh_api(&support::client(), "usage errors").await;
    let with = |rest: &[&str]| on(&api, rest);
    ok(&with(&["plans", "add", "--name", "gold", "--quota", "5"]));
    let (id, _) = added(&ok(&with(&["keys", "add", "--name", "alice"])));

    one_line(
        &fails(&with(&["keys", "rotate", &id, "--grace", "60"]), 2),
        &["cannot disable a key later", "keys disable"],
    );
    one_line(
        &fails(
            &with(&[
                "keys", "add", "--name", "bob", "--rate", "1", "--burst", "1",
            ]),
            2,
        ),
        &["named usage plans", "--plan"],
    );
    one_line(
        &fails(&with(&["keys", "add", "--name", ""]), 2),
        &["is empty"],
    );
    one_line(
        &fails(&with(&["keys", "disable", "../x"]), 2),
        &["not a key id"],
    );
    // clap's own usage errors: no target, a period without a quota.
    let stderr = fails(&["keys", "list"], 2);
    assert!(stderr.contains("--rest-api-id"), "{stderr}");
    let stderr = fails(
        &with(&["plans", "add", "--name", "p", "--quota-period", "week"]),
        2,
    );
    assert!(stderr.contains("--quota"), "{stderr}");
    // Nothing was changed by any of them.
    let listed = ok(&with(&["keys", "list"]));
    assert_eq!(listed.lines().count(), 2, "{listed}");
}
