//! `bootstrap` as Lambda runs it, through a Runtime API emulator on loopback,
//! against MariaDB: cold start, per-invocation latency one at a time and with
//! several instances, and memory over 10,000 invocations; beside it, in the same
//! run, the 2018 tutorial's Node.js handler (`benches/node-baseline`) behind the
//! same emulator, for cold start, latency and memory. Then the cold start as
//! deployed, over verified TLS, with a password and with IAM database
//! authentication (`DB_AUTH=iam`), on a private MariaDB whose PAM check stands
//! in for RDS's (`dice_store_mysql::testkit::rds`; needs root, as the tests),
//! and the time to sign one token.
//!
//! ```sh
//! cargo bench -p dice-benches --bench lambda
//! ```
//!
//! Builds the release `bootstrap` first, and installs the baseline's one npm
//! package when it is missing (Node.js must be installed). Reads
//! `DICE_TEST_DATABASE_URL` (default `mysql://root@127.0.0.1:3306`) and uses a
//! database of its own.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dice_benches::{ms, percentile, pooled_timings};
use dice_lambda::testkit::{Outcome, RuntimeApi, post};
use dice_store_mysql::testkit::TestDb;
use dice_store_mysql::testkit::rds::{self, TokenCheck};
use dice_store_mysql::testkit::server::{PrivateServer, Scratch, make_certs};
use dice_store_mysql::{AwsCredentials, IamAuth, MysqlConfig, MysqlStore, Preset, Tls};
use tokio::process::Child;

const COLD_STARTS: usize = 11;
const SEQUENTIAL: usize = 2000;
const INSTANCES: usize = 8;
const PER_INSTANCE: usize = 500;
const RSS_INVOCATIONS: usize = 10_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rust = Function::Rust(dice_benches::build_release("bootstrap"));
    let node = Function::node();
    let db = TestDb::create().await;
    db.store().await;
    let url = db.url();
    println!("functions through a Runtime API emulator, against MariaDB, one run\n");

    let rust_cold = cold_starts(&rust, "", |api| rust.spawn(api, &url)).await;
    let node_cold = cold_starts(&node, "", |api| node.spawn(api, &url)).await;
    println!(
        "  ratio: Rust takes {:.3}x the tutorial handler's cold start (goal <= 0.1x)\n",
        rust_cold / node_cold
    );
    tls_logins(&rust).await;
    sequential(&rust, &url).await;
    sequential(&node, &url).await;
    let rust = Arc::new(rust);
    concurrent(&rust, &url).await;
    let rust_peak = memory(&rust, &url).await;
    let node_peak = memory(&node, &url).await;
    println!(
        "  ratio: Rust peaks at {:.3}x the tutorial handler's memory (goal <= 0.33x)",
        rust_peak / node_peak
    );
}

/// The function under test.
enum Function {
    /// The release `bootstrap`.
    Rust(PathBuf),
    /// The tutorial's handler in `benches/node-baseline`.
    Node(PathBuf),
}

impl Function {
    /// The Node baseline, with its npm package installed.
    fn node() -> Self {
        Self::Node(dice_benches::node_baseline())
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Rust(_) => "Rust bootstrap",
            Self::Node(_) => "tutorial's Node handler",
        }
    }

    /// What a successful create answers: the tutorial's handler says 200.
    fn created_status(&self) -> u64 {
        match self {
            Self::Rust(_) => 201,
            Self::Node(_) => 200,
        }
    }

    fn spawn(&self, api: &RuntimeApi, url: &str) -> Child {
        let mut command = match self {
            Self::Rust(binary) => {
                let mut command = api.function_command(binary);
                command.env("DATABASE_URL", url);
                command
            }
            Self::Node(dir) => {
                let opts = mysql_async::Opts::from_url(url).unwrap();
                let mut command = api.function_command(Path::new("node"));
                command
                    .arg(dir.join("runtime.js"))
                    .current_dir(dir)
                    .env("DB_HOST", opts.ip_or_hostname())
                    .env("DB_USER", opts.user().unwrap_or("root"))
                    .env("DB_PASS", opts.pass().unwrap_or(""))
                    .env("DB_NAME", opts.db_name().unwrap_or("dice"));
                command
            }
        };
        command
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the function starts")
    }
}

fn create_event(n: usize) -> Vec<u8> {
    serde_json::to_vec(&post("/rolls", &format!(r#"{{"outcome":{}}}"#, n % 6 + 1))).unwrap()
}

async fn invoke_create(api: &RuntimeApi, function: &Function, n: usize) -> Duration {
    let started = Instant::now();
    match api
        .invoke_bytes(create_event(n), Duration::from_secs(30))
        .await
    {
        Outcome::Response(response) => {
            assert_eq!(
                response["statusCode"],
                function.created_status(),
                "{response}"
            )
        }
        Outcome::Error(error) => panic!("invocation failed: {error}"),
    }
    started.elapsed()
}

/// From exec to the first response: process start, configuration, store, the
/// first connection and the first roll recorded. Returns the median, in ms.
async fn cold_starts(function: &Function, how: &str, spawn: impl Fn(&RuntimeApi) -> Child) -> f64 {
    let mut times = Vec::new();
    for n in 0..COLD_STARTS {
        let api = RuntimeApi::start().await;
        let started = Instant::now();
        let child = spawn(&api);
        invoke_create(&api, function, n).await;
        times.push(started.elapsed());
        drop(child);
    }
    let median = ms(percentile(&mut times, 50));
    println!(
        "cold start, exec to first response, {}{how} ({COLD_STARTS} runs)",
        function.name()
    );
    println!(
        "  median {median:.1} ms, min {:.1} ms, max {:.1} ms",
        ms(times[0]),
        ms(times[times.len() - 1])
    );
    median
}

const IAM_USER: &str = "dice_app";
const PASSWORD_USER: &str = "dice_pw";
const PASSWORD: &str = "bench-Pa55word";
const REGION: &str = "eu-west-1";
const ACCESS_KEY_ID: &str = "ASIAEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEJr/bench+session=";

/// Cold starts as deployed, over verified TLS: a password beside IAM.
async fn tls_logins(rust: &Function) {
    let Function::Rust(binary) = rust else {
        return;
    };
    let scratch = Scratch::new("bench-iam");
    let certs = make_certs(&scratch.0).await;
    let server = PrivateServer::start_with(&scratch.0, Some(&certs), &rds::SERVER_OPTIONS).await;
    let check = TokenCheck::install(&scratch.0);
    server
        .exec("CREATE DATABASE dice; CREATE USER 'admin'@'%'; GRANT ALL ON *.* TO 'admin'@'%';")
        .await;
    let admin = MysqlConfig::new("127.0.0.1", "admin", "dice", Preset::Server)
        .port(server.port)
        .tls(Tls::Required);
    let store = MysqlStore::connect(&admin).await.unwrap();
    store.migrate().await.unwrap();
    store.close().await.unwrap();
    // Both users get deploy/app-user.sql's grants and REQUIRE SSL.
    let app_sql = include_str!("../deploy/app-user.sql");
    let mut statements = rds::app_user_statements(
        app_sql,
        IAM_USER,
        "dice",
        &format!("IDENTIFIED VIA pam USING '{}'", check.service()),
    );
    statements.extend(rds::app_user_statements(
        app_sql,
        PASSWORD_USER,
        "dice",
        &format!("IDENTIFIED BY '{PASSWORD}'"),
    ));
    server.exec(&statements.join(";")).await;
    let credentials =
        AwsCredentials::new(ACCESS_KEY_ID, SECRET, Some(SESSION_TOKEN.to_owned())).unwrap();
    let iam = IamAuth::new(REGION, credentials).unwrap();
    let now = std::time::SystemTime::now();
    check.accept_signed_between(
        &iam,
        ("127.0.0.1", server.port, IAM_USER),
        now - Duration::from_secs(1),
        now + Duration::from_secs(600),
    );

    let env = |user: &str, iam_mode: bool| {
        let mut env = vec![
            ("DB_HOST", "127.0.0.1".to_owned()),
            ("DB_PORT", server.port.to_string()),
            ("DB_USER", user.to_owned()),
            ("DB_NAME", "dice".to_owned()),
            ("DB_TLS", "verify".to_owned()),
            ("DB_TLS_CA", certs.ca.display().to_string()),
        ];
        if iam_mode {
            env.extend([
                ("DB_AUTH", "iam".to_owned()),
                ("AWS_REGION", REGION.to_owned()),
                ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
                ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned()),
                ("AWS_SESSION_TOKEN", SESSION_TOKEN.to_owned()),
            ]);
        } else {
            env.push(("DB_PASS", PASSWORD.to_owned()));
        }
        env
    };
    let spawn = |api: &RuntimeApi, env: &[(&str, String)]| {
        let mut command = api.function_command(binary);
        command
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command.spawn().expect("the function starts")
    };
    let password_env = env(PASSWORD_USER, false);
    let iam_env = env(IAM_USER, true);
    let password = cold_starts(rust, ", TLS, password", |api| spawn(api, &password_env)).await;
    let iam_cold = cold_starts(rust, ", TLS, IAM token", |api| spawn(api, &iam_env)).await;
    assert!(
        check.presented().len() >= COLD_STARTS,
        "every IAM cold start logged in with a token"
    );
    println!(
        "  ratio: IAM takes {:.3}x password mode's cold start; on this server the \
         difference includes its PAM check (a fork of auth_pam_tool and a shell)",
        iam_cold / password
    );
    // The same logins in-process, without the function: what the server's
    // PAM check costs here, beside a password login.
    let logins = 20;
    let login = |user: &str, iam_mode: bool| {
        let config = MysqlConfig::new("127.0.0.1", user, "dice", Preset::Lambda)
            .port(server.port)
            .tls(Tls::VerifyCa {
                ca_file: certs.ca.clone(),
            });
        if iam_mode {
            config.iam(iam.clone())
        } else {
            config.password(dice_store_mysql::Password::new(PASSWORD))
        }
    };
    for (what, config) in [
        ("password", login(PASSWORD_USER, false)),
        ("IAM token, PAM stand-in", login(IAM_USER, true)),
    ] {
        let mut times = Vec::with_capacity(logins);
        for _ in 0..logins {
            let started = Instant::now();
            let store = MysqlStore::connect(&config).await.unwrap();
            times.push(started.elapsed());
            store.close().await.unwrap();
        }
        println!(
            "  one new connection over verified TLS in-process, {what}: median {:.2} ms ({logins})",
            ms(percentile(&mut times, 50))
        );
    }
    let signings = 1000;
    let started = Instant::now();
    for _ in 0..signings {
        iam.token(
            "127.0.0.1",
            server.port,
            IAM_USER,
            std::time::SystemTime::now(),
        )
        .unwrap();
    }
    println!(
        "  signing one token (what IAM adds in the function): {:.1} us\n",
        started.elapsed().as_secs_f64() * 1e6 / f64::from(signings)
    );
    server.stop().await;
}

async fn sequential(function: &Function, url: &str) {
    let api = RuntimeApi::start().await;
    let _child = function.spawn(&api, url);
    invoke_create(&api, function, 0).await;
    let mut times = Vec::with_capacity(SEQUENTIAL);
    let started = Instant::now();
    for n in 0..SEQUENTIAL {
        times.push(invoke_create(&api, function, n).await);
    }
    let rate = SEQUENTIAL as f64 / started.elapsed().as_secs_f64();
    println!(
        "creates one at a time, one instance, {} ({SEQUENTIAL})",
        function.name()
    );
    println!(
        "  p50 {:.3} ms, p99 {:.3} ms, {rate:.0} creates/s\n",
        ms(percentile(&mut times, 50)),
        ms(percentile(&mut times, 99))
    );
}

async fn concurrent(function: &Arc<Function>, url: &str) {
    let api = Arc::new(RuntimeApi::start().await);
    let children: Vec<Child> = (0..INSTANCES).map(|_| function.spawn(&api, url)).collect();
    // Warm every instance.
    let warm: Vec<_> = (0..INSTANCES)
        .map(|n| {
            let (api, function) = (Arc::clone(&api), Arc::clone(function));
            tokio::spawn(async move { invoke_create(&api, &function, n).await })
        })
        .collect();
    for task in warm {
        task.await.unwrap();
    }
    let started = Instant::now();
    let clients: Vec<_> = (0..INSTANCES)
        .map(|_| {
            let (api, function) = (Arc::clone(&api), Arc::clone(function));
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(PER_INSTANCE);
                for n in 0..PER_INSTANCE {
                    times.push(invoke_create(&api, &function, n).await);
                }
                times
            })
        })
        .collect();
    let mut times = pooled_timings(clients).await;
    let rate = times.len() as f64 / started.elapsed().as_secs_f64();
    println!(
        "creates with {INSTANCES} instances, {INSTANCES} in flight, {} ({})",
        function.name(),
        times.len()
    );
    println!(
        "  p50 {:.3} ms, p99 {:.3} ms, {rate:.0} creates/s\n",
        ms(percentile(&mut times, 50)),
        ms(percentile(&mut times, 99))
    );
    drop(children);
}

/// Resident memory of one instance as invocations accumulate; returns the peak, in MiB.
async fn memory(function: &Function, url: &str) -> f64 {
    let api = RuntimeApi::start().await;
    let child = function.spawn(&api, url);
    let pid = child.id().unwrap();
    invoke_create(&api, function, 0).await;
    let mut samples = vec![(1, rss_kib(pid, "VmRSS"))];
    for n in 1..=RSS_INVOCATIONS {
        invoke_create(&api, function, n).await;
        if [1000, 2500, 5000, 7500, 10_000].contains(&n) {
            samples.push((n, rss_kib(pid, "VmRSS")));
        }
    }
    println!(
        "resident memory of one instance over {RSS_INVOCATIONS} invocations, {}",
        function.name()
    );
    let line: Vec<String> = samples
        .iter()
        .map(|(n, kib)| format!("{n}: {:.1}", *kib as f64 / 1024.0))
        .collect();
    println!("  MiB after {}", line.join(", "));
    let peak = rss_kib(pid, "VmHWM") as f64 / 1024.0;
    println!("  peak (VmHWM): {peak:.1} MiB\n");
    drop(child);
    peak
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| {
            line.strip_prefix(field)?
                .trim_start_matches(':')
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap()
}
