//! Quota counts that outlive `dice-local`: kept in the counters file beside
//! the keys file, written atomically before each answer, read back on start
//! and by `keys usage`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;
use std::time::Duration;

use dice_keys::Day;
use dice_keys::counters::{Counters, counters_path};
use support::local::{Local, keys, keys_file};

const ROLL: &str = r#"{"outcome":6}"#;

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

async fn serve(file: &Path) -> Local {
    Local::start(&["--keys-file", file.to_str().unwrap()], &[]).await
}

/// Today's row of `keys usage ID --days 1`: (used, remaining).
async fn usage_today(file: &Path, id: &str) -> (u64, u64) {
    let table = keys(file, &["usage", id, "--days", "1"]).await;
    let today = Day::today().to_string();
    let row = table
        .lines()
        .find(|line| line.starts_with(id) && line.contains(&today))
        .unwrap_or_else(|| panic!("no row for today in\n{table}"));
    let mut numbers = row.split_whitespace().rev();
    let remaining = numbers.next().unwrap().parse().unwrap();
    let used = numbers.next().unwrap().parse().unwrap();
    (used, remaining)
}

#[tokio::test]
async fn a_restarted_dice_local_keeps_refusing_a_spent_quota() {
    let file = keys_file("restart-quota");
    let (id, value) = added(&keys(&file, &["add", "--name", "alice", "--quota", "3"]).await);
    let local = serve(&file).await;
    for _ in 0..3 {
        assert_eq!(local.post("/rolls", &value, ROLL).await.0, 201);
    }
    assert_eq!(
        local.post("/rolls", &value, ROLL).await,
        (429, r#"{"message":"Limit Exceeded"}"#.to_owned())
    );
    drop(local); // killed, not shut down gracefully

    let restarted = serve(&file).await;
    assert_eq!(
        restarted.post("/rolls", &value, ROLL).await,
        (429, r#"{"message":"Limit Exceeded"}"#.to_owned()),
        "the count survived the restart"
    );
    assert_eq!(usage_today(&file, &id).await, (3, 0));
}

#[tokio::test]
async fn requests_counted_in_a_period_that_ended_do_not_count() {
    let file = keys_file("past-period");
    let (id, value) = added(&keys(&file, &["add", "--name", "alice", "--quota", "1"]).await);
    // The quota was spent yesterday: a day quota starts again today.
    let mut counters = Counters::default();
    counters.count(&id, Day::today().minus(1));
    counters.save(&counters_path(&file)).unwrap();

    let local = serve(&file).await;
    assert_eq!(local.post("/rolls", &value, ROLL).await.0, 201);
    assert_eq!(local.post("/rolls", &value, ROLL).await.0, 429);
    let table = keys(&file, &["usage", &id, "--days", "2"]).await;
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert_eq!(rows[0][2..], [&Day::today().minus(1).to_string(), "1", "0"]);
    assert_eq!(rows[1][2..], [&Day::today().to_string(), "1", "0"]);
}

#[tokio::test]
async fn keys_usage_agrees_with_a_running_dice_local_after_every_answer() {
    let file = keys_file("agree");
    let (id, value) = added(&keys(&file, &["add", "--name", "alice", "--quota", "100"]).await);
    let local = serve(&file).await;
    for n in 1..=4 {
        assert_eq!(local.post("/rolls", &value, ROLL).await.0, 201);
        // No waiting: the count is in the file before the answer is sent.
        assert_eq!(usage_today(&file, &id).await, (n, 100 - n));
    }
}

/// A `dice-local` as a plain child process, so a watching thread can kill
/// it the moment it sees a write under way; and its base URL.
fn spawn_plain(file: &Path) -> (std::process::Child, String) {
    use std::io::BufRead;
    #[allow(clippy::zombie_processes)] // the caller kills and waits for it
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dice-local"))
        .args(["--port", "0", "--keys-file", file.to_str().unwrap()])
        .env_remove("DATABASE_URL")
        .env_remove("DB_HOST")
        .env_remove("DICE_API_KEY")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("dice-local listening on ") {
            return (child, url.split(' ').next().unwrap().to_owned());
        }
    }
    panic!("dice-local exited before listening");
}

fn temporary_files(directory: &Path) -> usize {
    std::fs::read_dir(directory)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counters_file_survives_kill_9_in_the_middle_of_writes() {
    use bytes::Bytes;
    use http_body_util::Full;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    const ROUNDS: usize = 8;
    let file = keys_file("kill-9");
    let directory = file.parent().unwrap().to_owned();
    let (id, value) = added(&keys(&file, &["add", "--name", "alice", "--quota", "1000000"]).await);
    // Counts of many other keys make each write long enough to be cut.
    let path = counters_path(&file);
    let mut counters = Counters::default();
    for n in 0..30_000 {
        counters.count(&format!("other-key-{n:05}"), Day::today());
    }
    counters.save(&path).unwrap();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();

    let (mut counted, mut cut) = (0, 0);
    for round in 0..ROUNDS {
        let (mut child, base) = spawn_plain(&file);
        let answered = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let hammer = tokio::spawn({
            let (client, answered, value) = (client.clone(), answered.clone(), value.clone());
            async move {
                loop {
                    let request = hyper::Request::post(format!("{base}/rolls"))
                        .header("x-api-key", &value)
                        .body(Full::new(Bytes::from(ROLL)))
                        .unwrap();
                    match client.request(request).await {
                        Ok(response) if response.status() == 201 => {
                            answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        Ok(_) => {}
                        Err(_) => return, // killed
                    }
                }
            }
        });
        // Let some requests through, then kill the moment a write is under
        // way (its temporary file exists), or after 3 s at the latest.
        let watcher = std::thread::spawn({
            let directory = directory.clone();
            move || {
                std::thread::sleep(Duration::from_millis(200 + 50 * round as u64));
                let deadline = std::time::Instant::now() + Duration::from_secs(3);
                while temporary_files(&directory) == 0 && std::time::Instant::now() < deadline {}
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
            }
        });
        watcher.join().unwrap();
        let _ = hammer.await;
        if temporary_files(&directory) > 0 {
            cut += 1;
            for entry in std::fs::read_dir(&directory)
                .unwrap()
                .filter_map(Result::ok)
            {
                if entry.file_name().to_string_lossy().ends_with(".tmp") {
                    std::fs::remove_file(entry.path()).unwrap();
                }
            }
        }

        let after = Counters::load(&path)
            .unwrap_or_else(|err| panic!("round {round}: the counters file is torn: {err}"));
        let now = after.on(&id, Day::today());
        let answered = answered.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            now >= counted + answered,
            "round {round}: {now} counted, but {counted} before and {answered} answered since"
        );
        assert_eq!(
            after.on("other-key-29999", Day::today()),
            1,
            "other keys kept"
        );
        counted = now;
    }
    assert!(counted > 0, "no request was counted");
    eprintln!("kills that landed in the middle of a write: {cut} of {ROUNDS}");
    // Each kill follows the sight of a temporary file by microseconds; a
    // write takes about a millisecond, so most kills cut one short.
    assert!(cut > 0, "no kill landed in the middle of a write");
}
