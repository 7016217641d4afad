//! A `dice-local` child process on loopback, and its `keys` commands.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const KEY: &str = "tutorial-key-value-0123456789";

/// A running `dice-local` and what it printed.
pub struct Local {
    pub child: Child,
    pub base: String,
    pub generated_key: Option<String>,
    /// What it printed on stdout before listening.
    pub printed: Vec<String>,
    pub stderr: Arc<Mutex<Vec<String>>>,
    pub client: Client<HttpConnector, Full<Bytes>>,
}

impl Local {
    pub async fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_under(&[], args, env).await
    }

    /// Starts `dice-local` as an argument of `wrapper` (such as `prlimit`).
    pub async fn start_under(wrapper: &[&str], args: &[&str], env: &[(&str, &str)]) -> Self {
        let binary = env!("CARGO_BIN_EXE_dice-local");
        let mut command = match wrapper.split_first() {
            None => Command::new(binary),
            Some((program, wrapper_args)) => {
                let mut command = Command::new(program);
                command.args(wrapper_args).arg(binary);
                command
            }
        };
        let mut child = command
            .args(["--port", "0"])
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("DB_HOST")
            .env_remove("DICE_API_KEY")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut err_lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = Arc::clone(&stderr);
        tokio::spawn(async move {
            while let Ok(Some(line)) = err_lines.next_line().await {
                sink.lock().unwrap().push(line);
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut generated_key = None;
        let mut printed = Vec::new();
        let base = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                printed.push(line.clone());
                if let Some(key) = line.split("shown only now: ").nth(1) {
                    generated_key = Some(key.to_owned());
                }
                if let Some(url) = line.strip_prefix("dice-local listening on ") {
                    return url.split(' ').next().unwrap().to_owned();
                }
            }
            panic!(
                "dice-local exited before listening: {:?}",
                stderr.lock().unwrap()
            );
        })
        .await
        .expect("dice-local listens within 30 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let client = Client::builder(TokioExecutor::new()).build_http();
        Self {
            child,
            base,
            generated_key,
            printed,
            stderr,
            client,
        }
    }

    /// Sends a request to `path` (after the stage) and returns status, headers and body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: &str,
    ) -> (u16, hyper::HeaderMap, String) {
        self.send_with(method, path, key, &[], body).await
    }

    /// [`Local::send`] with more request headers.
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, hyper::HeaderMap, String) {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_owned())))
            .unwrap();
        let response = tokio::time::timeout(Duration::from_secs(60), self.client.request(request))
            .await
            .expect("answered in time")
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    pub async fn post(&self, path: &str, key: &str, body: &str) -> (u16, String) {
        let (status, _, body) = self.send(Method::POST, path, Some(key), body).await;
        (status, body)
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    /// Sends it SIGTERM, as a service manager stops it.
    pub async fn terminate(&self) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .await
            .unwrap();
        assert!(killed.success());
    }

    /// The `host:port` it listens on.
    pub fn address(&self) -> String {
        self.base
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .unwrap()
            .to_owned()
    }

    /// What it has logged so far.
    pub fn logs(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }
}

pub fn keys_file(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dice-local-{label}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.json");
    let _ = std::fs::remove_file(&path);
    path
}

/// Runs `dice-local keys ...` and returns its stdout.
pub async fn keys(file: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_dice-local"))
        .arg("--keys-file")
        .arg(file)
        .arg("keys")
        .args(args)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "keys {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
