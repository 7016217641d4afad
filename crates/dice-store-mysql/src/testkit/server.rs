//! A private MariaDB instance with its own data directory and port, optionally
//! serving TLS with a throwaway CA, for tests that cannot touch the shared
//! server (TLS, IAM authentication through PAM).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// A scratch directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A new empty directory under the system's temporary directory.
    pub fn new(label: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("dice-{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The files of a throwaway PKI: a CA that signed the server's certificate (for
/// 127.0.0.1 and localhost), and an unrelated CA.
pub struct Certs {
    /// The CA that signed the server's certificate.
    pub ca: PathBuf,
    /// A CA that signed nothing here.
    pub wrong_ca: PathBuf,
    /// The server's certificate.
    pub cert: PathBuf,
    /// The server's key.
    pub key: PathBuf,
}

async fn run(dir: &Path, program: &str, args: &[&str]) {
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(program)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("{program} took over 60 s"))
    .unwrap_or_else(|err| panic!("{program} did not start: {err}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Makes the certificates with the openssl command-line tool.
pub async fn make_certs(dir: &Path) -> Certs {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    for name in ["ca", "wrong-ca"] {
        let key = format!("{name}.key");
        let pem = format!("{name}.pem");
        let subject = format!("/CN=dice test {name}");
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        args.extend([
            "-keyout", &key, "-out", &pem, "-days", "2", "-subj", &subject,
        ]);
        run(dir, "openssl", &args).await;
    }
    let mut args = vec!["req"];
    args.extend(ec);
    args.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    run(dir, "openssl", &args).await;
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    run(
        dir,
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    )
    .await;
    Certs {
        ca: dir.join("ca.pem"),
        wrong_ca: dir.join("wrong-ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    }
}

/// A running private server; killed when dropped.
pub struct PrivateServer {
    /// Its TCP port on 127.0.0.1 (and 127.0.0.2).
    pub port: u16,
    /// Its unix socket, where root logs in.
    pub socket: PathBuf,
    child: Child,
}

impl PrivateServer {
    /// Initialises `dir/data` if needed and starts a server on a free port, with
    /// TLS when given `certs`. Root logs in through the unix socket only.
    pub async fn start(dir: &Path, certs: Option<&Certs>) -> Self {
        Self::start_with(dir, certs, &[]).await
    }

    /// The same, with more server options (`--plugin-load-add=...`).
    pub async fn start_with(dir: &Path, certs: Option<&Certs>, options: &[&str]) -> Self {
        let data = dir.join("data");
        // A temporary directory of its own: servers set up side by side in
        // one /tmp have failed on each other's temporary tables.
        let tmp = dir.join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let tmpdir = format!("--tmpdir={}", tmp.display());
        if !data.exists() {
            let datadir = format!("--datadir={}", data.display());
            run(
                dir,
                "mariadb-install-db",
                &[
                    "--no-defaults",
                    &datadir,
                    "--user=root",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    &tmpdir,
                ],
            )
            .await;
        }
        let port = free_port();
        let socket = dir.join("mysqld.sock");
        let mut args = vec![
            "--no-defaults".to_owned(),
            format!("--datadir={}", data.display()),
            format!("--socket={}", socket.display()),
            format!("--pid-file={}", dir.join("mysqld.pid").display()),
            format!("--log-error={}", dir.join("error.log").display()),
            format!("--port={port}"),
            tmpdir,
            "--bind-address=127.0.0.1,127.0.0.2".to_owned(),
            "--user=root".to_owned(),
            "--skip-name-resolve".to_owned(),
            "--innodb-buffer-pool-size=16M".to_owned(),
        ];
        if let Some(certs) = certs {
            args.push(format!("--ssl-ca={}", certs.ca.display()));
            args.push(format!("--ssl-cert={}", certs.cert.display()));
            args.push(format!("--ssl-key={}", certs.key.display()));
        }
        args.extend(options.iter().map(|option| (*option).to_owned()));
        let child = Command::new("/usr/sbin/mariadbd")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("mariadbd starts");
        let server = Self {
            port,
            socket,
            child,
        };
        server.wait_ready(dir).await;
        server
    }

    async fn wait_ready(&self, dir: &Path) {
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
                && self.socket.exists()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
        panic!(
            "private mariadbd did not listen on {} within 30 s:\n{log}",
            self.port
        );
    }

    /// Runs SQL through the unix socket, which needs no TLS.
    pub async fn exec(&self, sql: &str) {
        let socket = format!("--socket={}", self.socket.display());
        run(
            Path::new("/"),
            "mariadb",
            &["--no-defaults", &socket, "-uroot", "-e", sql],
        )
        .await;
    }

    /// Stops the server and waits until it has exited.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
