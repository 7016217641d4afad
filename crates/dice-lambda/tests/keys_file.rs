//! The keys file under `dice-local keys`, run as the real binary: changes side
//! by side are never lost, nothing planted beside the file is written through,
//! and each command says in one line what it did or what to fix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::{File, Permissions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use dice_lambda::local::keys::{self, KeysFile};

/// An empty directory of its own for `label`, holding `keys.json` (not yet made).
fn keys_file(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dice-keys-file-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("keys.json")
}

/// `dice-local --keys-file FILE keys ARGS...`, not yet run.
fn command(file: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dice-local"));
    command
        .arg("--keys-file")
        .arg(file)
        .arg("keys")
        .args(args)
        .env_remove("DICE_KEYS_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn spawn(file: &Path, args: &[&str]) -> Child {
    command(file, args).spawn().unwrap()
}

/// The stdout of a command that must succeed.
fn succeeded(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs `keys ARGS...`, which must succeed, and returns its stdout.
fn keys_ok(file: &Path, args: &[&str]) -> String {
    succeeded(command(file, args).output().unwrap(), &format!("{args:?}"))
}

/// Runs `keys ARGS...`, which must fail, and returns its stderr.
fn keys_err(file: &Path, args: &[&str]) -> String {
    let output = command(file, args).output().unwrap();
    assert!(!output.status.success(), "{args:?} succeeded");
    String::from_utf8(output.stderr).unwrap()
}

/// The id and the value `keys add` printed.
fn added(stdout: &str) -> (String, String) {
    let mut lines = stdout.lines();
    let id = lines.next().unwrap().split_whitespace().nth(2).unwrap();
    let value = lines.next().unwrap().trim();
    (id.to_owned(), value.to_owned())
}

/// Asserts `stderr` is the one line `dice-local: ...` holding each of `parts`.
fn one_line_naming(stderr: &str, parts: &[&str]) {
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("dice-local: "), "{stderr}");
    for part in parts {
        assert!(stderr.contains(part), "{part:?} missing from {stderr}");
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn twenty_concurrent_adds_leave_twenty_keys_whose_printed_values_all_work() {
    let file = keys_file("twenty");
    let names: Vec<String> = (0..20).map(|n| format!("user{n}")).collect();
    let children: Vec<Child> = names
        .iter()
        .map(|name| spawn(&file, &["add", "--name", name]))
        .collect();
    let printed: Vec<(String, String)> = children
        .into_iter()
        .map(|child| added(&succeeded(child.wait_with_output().unwrap(), "add")))
        .collect();

    let stored = KeysFile::load(&file).unwrap();
    assert_eq!(stored.keys.len(), 20, "{stored:?}");
    for (id, value) in &printed {
        let found = keys::find(&stored.keys, value).map(|key| key.id.as_str());
        assert_eq!(found, Some(id.as_str()), "the value printed for {id} works");
    }
}

#[test]
fn a_disable_beside_two_concurrent_adds_always_sticks() {
    for trial in 0..10 {
        let file = keys_file(&format!("disable-{trial}"));
        let (id, _) = added(&keys_ok(&file, &["add", "--name", "revoked"]));
        let children = [
            spawn(&file, &["add", "--name", "first"]),
            spawn(&file, &["disable", &id]),
            spawn(&file, &["add", "--name", "second"]),
        ];
        for child in children {
            succeeded(child.wait_with_output().unwrap(), "a concurrent command");
        }

        let stored = KeysFile::load(&file).unwrap();
        assert_eq!(stored.keys.len(), 3, "trial {trial}: {stored:?}");
        let revoked = stored.keys.iter().find(|key| key.id == id).unwrap();
        assert!(!revoked.enabled, "trial {trial}: the disable was undone");
    }
}

#[test]
fn a_keys_command_waits_while_another_holds_the_lock() {
    let file = keys_file("waits");
    let lock = File::create(file.with_file_name("keys.json.lock")).unwrap();
    lock.lock().unwrap();
    let mut child = spawn(&file, &["add", "--name", "patient"]);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the command went ahead while the lock was held"
    );
    assert!(
        !file.exists(),
        "nothing was written while the lock was held"
    );

    lock.unlock().unwrap();
    succeeded(child.wait_with_output().unwrap(), "add after the unlock");
    assert_eq!(KeysFile::load(&file).unwrap().keys.len(), 1);
}

#[test]
fn world_writable_files_planted_at_predictable_names_leave_a_private_keys_file() {
    let file = keys_file("planted-files");
    let dir = file.parent().unwrap().to_owned();
    std::fs::write(&file, "{\"keys\":[]}").unwrap();
    let planted: Vec<PathBuf> = [
        "keys.json.tmp",
        "keys.json.new",
        "keys.json~",
        "keys.json.lock",
    ]
    .iter()
    .map(|name| dir.join(name))
    .chain([file.clone()])
    .collect();
    for path in &planted {
        if !path.exists() {
            std::fs::write(path, "planted").unwrap();
        }
        std::fs::set_permissions(path, Permissions::from_mode(0o666)).unwrap();
    }

    keys_ok(&file, &["add", "--name", "alice"]);

    assert_eq!(mode(&file), 0o600);
    for path in planted.iter().filter(|path| **path != file) {
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            "planted",
            "{path:?}"
        );
    }
}

#[test]
fn links_planted_beside_the_keys_file_are_not_written_through() {
    let file = keys_file("planted-links");
    let dir = file.parent().unwrap().to_owned();
    let target = dir.join("target");
    std::fs::write(&target, "untouched").unwrap();
    let target_mode = mode(&target);
    let links: Vec<PathBuf> = ["keys.json.tmp", "keys.json.new", "keys.json.lock"]
        .iter()
        .map(|name| dir.join(name))
        .collect();
    for link in &links {
        std::os::unix::fs::symlink(&target, link).unwrap();
    }

    keys_ok(&file, &["add", "--name", "alice"]);
    keys_ok(&file, &["add", "--name", "bob"]);

    assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
    assert_eq!(mode(&target), target_mode);
    assert!(links.iter().all(|link| link.is_symlink()));
    assert_eq!(mode(&file), 0o600);
    assert_eq!(KeysFile::load(&file).unwrap().keys.len(), 2);
}

/// The old temporary name, `<keys-file>.tmp<pid>`, is predictable for the
/// process that saves: planted there, neither a link nor a world-writable file
/// is used. (The binary's pid is not known before it runs, so this saves from
/// the test's own process, through the same call the commands make.)
#[test]
fn nothing_planted_at_the_old_temporary_name_is_used() {
    let file = keys_file("old-name");
    let dir = file.parent().unwrap().to_owned();
    let old_name = dir.join(format!("keys.json.tmp{}", std::process::id()));
    let target = dir.join("target");
    std::fs::write(&target, "untouched").unwrap();
    std::os::unix::fs::symlink(&target, &old_name).unwrap();

    KeysFile::change(&file, |keys| keys.add("alice", None)).unwrap();

    assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
    assert!(old_name.is_symlink());
    assert_eq!(mode(&file), 0o600);

    std::fs::remove_file(&old_name).unwrap();
    std::fs::write(&old_name, "planted").unwrap();
    std::fs::set_permissions(&old_name, Permissions::from_mode(0o666)).unwrap();

    KeysFile::change(&file, |keys| keys.add("bob", None)).unwrap();

    assert_eq!(std::fs::read_to_string(&old_name).unwrap(), "planted");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(KeysFile::load(&file).unwrap().keys.len(), 2);
}

#[test]
fn disable_enable_and_delete_each_print_one_line_naming_the_key() {
    let file = keys_file("report");
    let (id, _) = added(&keys_ok(&file, &["add", "--name", "alice"]));
    assert_eq!(
        keys_ok(&file, &["disable", &id]),
        format!("disabled key {id} (alice)\n")
    );
    assert!(!KeysFile::load(&file).unwrap().keys[0].enabled);
    assert_eq!(
        keys_ok(&file, &["enable", &id]),
        format!("enabled key {id} (alice)\n")
    );
    assert!(KeysFile::load(&file).unwrap().keys[0].enabled);
    assert_eq!(
        keys_ok(&file, &["delete", &id]),
        format!("deleted key {id} (alice)\n")
    );
    assert!(KeysFile::load(&file).unwrap().keys.is_empty());
    one_line_naming(&keys_err(&file, &["delete", &id]), &[&id, "keys list"]);
}

#[test]
fn a_second_key_with_a_taken_name_is_refused_unless_allowed() {
    let file = keys_file("duplicate");
    let (id, _) = added(&keys_ok(&file, &["add", "--name", "alice"]));
    let before = std::fs::read(&file).unwrap();

    let refused = keys_err(&file, &["add", "--name", "alice"]);

    one_line_naming(&refused, &["\"alice\"", &id, "--allow-duplicate-name"]);
    assert_eq!(std::fs::read(&file).unwrap(), before, "nothing was written");
    keys_ok(&file, &["add", "--name", "alice", "--allow-duplicate-name"]);
    keys_ok(&file, &["add", "--name", "alice2"]);
    assert_eq!(KeysFile::load(&file).unwrap().keys.len(), 3);
}

#[test]
fn set_plan_replaces_a_keys_plan_and_keeps_its_value() {
    let file = keys_file("set-plan");
    let (id, value) = added(&keys_ok(&file, &["add", "--name", "alice", "--quota", "7"]));

    let report = keys_ok(
        &file,
        &[
            "set-plan",
            &id,
            "--rate",
            "5",
            "--burst",
            "10",
            "--quota-period",
            "week",
            "--quota",
            "100",
        ],
    );

    assert_eq!(
        report,
        format!("key {id} (alice) now has the plan: 5/s burst 10, 100 per week\n")
    );
    let stored = KeysFile::load(&file).unwrap();
    assert_eq!(keys::find(&stored.keys, &value).map(|k| &k.id), Some(&id));
    let plan = stored.keys[0].plan.unwrap();
    assert_eq!(plan.throttle.map(|t| (t.rate, t.burst)), Some((5.0, 10)));
    assert_eq!(plan.quota.map(|q| q.limit), Some(100));
    assert!(keys_ok(&file, &["list"]).contains("5/s burst 10, 100 per week"));

    assert_eq!(
        keys_ok(&file, &["set-plan", &id, "--default"]),
        format!("key {id} (alice) now has the plan: default\n")
    );
    assert_eq!(KeysFile::load(&file).unwrap().keys[0].plan, None);
}

#[test]
fn set_plan_needs_a_plan_or_default_but_not_both() {
    let file = keys_file("set-plan-usage");
    let (id, _) = added(&keys_ok(&file, &["add", "--name", "alice", "--quota", "7"]));
    let before = std::fs::read(&file).unwrap();
    for args in [
        vec!["set-plan", id.as_str()],
        vec!["set-plan", id.as_str(), "--default", "--quota", "3"],
        vec!["set-plan", id.as_str(), "--rate", "1"],
    ] {
        let refused = keys_err(&file, &args);
        assert!(refused.starts_with("error: "), "{args:?}: {refused}");
        assert_eq!(std::fs::read(&file).unwrap(), before, "{args:?} wrote");
    }
    one_line_naming(
        &keys_err(&file, &["set-plan", "nosuchkey", "--default"]),
        &["nosuchkey"],
    );
}

#[test]
fn a_rate_that_cannot_be_stored_is_refused_and_writes_nothing() {
    let file = keys_file("nonsense-rate");
    let (id, _) = added(&keys_ok(&file, &["add", "--name", "alice"]));
    let before = std::fs::read(&file).unwrap();
    for args in [
        vec!["set-plan", id.as_str(), "--rate", "NaN", "--burst", "1"],
        vec!["add", "--name", "bob", "--rate", "inf", "--burst", "1"],
    ] {
        // Refused where the flag is read, before the file is opened.
        let stderr = keys_err(&file, &args);
        assert!(
            stderr.lines().next().unwrap().contains("--rate"),
            "{stderr}"
        );
        assert_eq!(std::fs::read(&file).unwrap(), before, "{args:?} wrote");
    }
    keys_ok(&file, &["list"]);
}

#[test]
fn a_keys_file_in_a_missing_directory_is_refused_in_one_line_by_every_command() {
    let file = keys_file("missing-dir");
    let missing = file.with_file_name("no-such-dir").join("keys.json");
    let path = missing.to_str().unwrap();
    for args in [
        vec!["list"],
        vec!["add", "--name", "alice"],
        vec!["disable", "someid"],
        vec!["set-plan", "someid", "--default"],
    ] {
        one_line_naming(&keys_err(&missing, &args), &[path, "--keys-file"]);
    }
    assert!(!missing.parent().unwrap().exists(), "nothing was created");
}

#[test]
fn a_corrupt_keys_file_is_named_in_one_line_and_left_as_it_was() {
    let file = keys_file("corrupt");
    std::fs::write(&file, "{\"keys\": [ {\"id\": \"abc\", \n").unwrap();
    let before = std::fs::read(&file).unwrap();
    for args in [
        vec!["list"],
        vec!["add", "--name", "alice"],
        vec!["disable", "abc"],
    ] {
        one_line_naming(
            &keys_err(&file, &args),
            &[file.to_str().unwrap(), "not valid", "line 2", "repair it"],
        );
        assert_eq!(std::fs::read(&file).unwrap(), before, "{args:?} wrote");
    }
}

/// A serving `dice-local`, stopped when dropped.
struct Serving {
    child: Child,
    address: String,
}

impl Serving {
    fn start(file: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dice-local"))
            .args(["--port", "0", "--keys-file"])
            .arg(file)
            .env_remove("DATABASE_URL")
            .env_remove("DB_HOST")
            .env_remove("DICE_API_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let address = stdout
            .lines()
            .map_while(Result::ok)
            .find_map(|line| {
                let url = line.strip_prefix("dice-local listening on http://")?;
                Some(url.split('/').next()?.to_owned())
            })
            .expect("dice-local printed where it listens");
        Self { child, address }
    }

    /// The status of `POST /prod/rolls` with the key `value`.
    fn post_roll(&self, value: &str) -> u16 {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let body = r#"{"outcome":3}"#;
        write!(
            stream,
            "POST /prod/rolls HTTP/1.1\r\nhost: {}\r\nx-api-key: {value}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            self.address,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
            .split_whitespace()
            .nth(1)
            .and_then(|status| status.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_plan_set_while_serving_applies_to_the_same_key_value_at_once() {
    let file = keys_file("live-plan");
    let (id, value) = added(&keys_ok(&file, &["add", "--name", "alice"]));
    let serving = Serving::start(&file);
    for _ in 0..3 {
        assert_eq!(serving.post_roll(&value), 201, "no plan, no limit");
    }

    keys_ok(&file, &["set-plan", &id, "--quota", "1"]);
    assert_eq!(serving.post_roll(&value), 201, "the quota's one request");
    assert_eq!(serving.post_roll(&value), 429, "the quota is spent");

    keys_ok(&file, &["set-plan", &id, "--default"]);
    assert_eq!(
        serving.post_roll(&value),
        201,
        "the gateway's plan has no limit"
    );
}
