//! The moto server, an emulator of AWS APIs, as a child process on a free
//! loopback port: installed by `scripts/moto.sh` when missing (a failure
//! when it cannot be, never a skip), started once per test binary, and gone
//! when the test binary exits (a watchdog in the child notices its parent
//! is gone).

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A running moto server.
pub struct Moto {
    pub port: u16,
    _child: Child,
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv's python, with moto installed by scripts/moto.sh if missing.
fn python() -> PathBuf {
    let root = workspace();
    std::fs::create_dir_all(root.join("target")).unwrap();
    // Test binaries run side by side: one installs, the others wait.
    let lock = File::create(root.join("target/moto-install.lock")).unwrap();
    lock.lock().unwrap();
    let installed = Command::new("bash")
        .arg(root.join("scripts/moto.sh"))
        .current_dir(&root)
        .stdout(Stdio::null())
        .status()
        .expect("bash runs scripts/moto.sh");
    assert!(
        installed.success(),
        "moto is not installed and scripts/moto.sh could not install it ({installed}); \
         run `bash scripts/moto.sh` and read its errors"
    );
    root.join("target/moto-venv/bin/python")
}

/// Starts moto's server and exits it when this process's parent changes.
const WATCHED_SERVER: &str = "\
import os, sys, threading, time
parent = os.getppid()
def watch():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /moto-api/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

impl Moto {
    fn start() -> Self {
        let python = python();
        for _ in 0..3 {
            let port = free_port();
            let mut child = Command::new(&python)
                .args([
                    "-c",
                    WATCHED_SERVER,
                    "-H",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("moto starts");
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if answers(port) {
                    return Self {
                        port,
                        _child: child,
                    };
                }
                if child.try_wait().unwrap().is_some() {
                    break; // the port was taken meanwhile: another one
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("the moto server did not answer on loopback within 30 s, three times");
    }
}

/// The moto server of this test binary.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(Moto::start)
}
