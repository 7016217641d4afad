//! The keys file under `dice-local keys`, run as the real binary: changes side
//! by side are never lost, nothing planted beside the file is written through,
//! and each command says in one line what it did or what to fix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::{File, Permissions};
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

/// The id and the value `keys add` printed.
fn added(stdout: &str) -> (String, String) {
    let mut lines = stdout.lines();
    let id = lines.next().unwrap().split_whitespace().nth(2).unwrap();
    let value = lines.next().unwrap().trim();
    (id.to_owned(), value.to_owned())
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
