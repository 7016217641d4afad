//! A Lambda Runtime API emulator on loopback: the `next`, `response`, `error`
//! and `init/error` endpoints that a custom runtime such as `bootstrap` talks to.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::AbortHandle;

const PREFIX: &str = "/2018-06-01/runtime";

/// What the function answered for one invocation.
#[derive(Debug)]
pub enum Outcome {
    /// Posted to `/invocation/{id}/response`.
    Response(serde_json::Value),
    /// Posted to `/invocation/{id}/error`.
    Error(serde_json::Value),
}

struct Invocation {
    id: String,
    event: Vec<u8>,
    deadline_ms: u64,
}

#[derive(Default)]
struct State {
    queue: Mutex<VecDeque<Invocation>>,
    queued: Notify,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: Mutex<Option<(String, serde_json::Value)>>,
    next_id: AtomicU64,
}

/// A running emulator; stops when dropped.
pub struct RuntimeApi {
    /// Where it listens: the value of `AWS_LAMBDA_RUNTIME_API`.
    pub addr: SocketAddr,
    state: Arc<State>,
    server: AbortHandle,
}

impl RuntimeApi {
    /// Starts an emulator on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let server_state = Arc::clone(&state);
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&server_state);
                tokio::spawn(async move {
                    let service = service_fn(move |request| route(Arc::clone(&state), request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        })
        .abort_handle();
        Self {
            addr,
            state,
            server,
        }
    }

    /// Queues `event` (JSON bytes) for the function, with `timeout` to run, and
    /// waits for its answer.
    pub async fn invoke_bytes(&self, event: Vec<u8>, timeout: Duration) -> Outcome {
        let id = format!("inv-{}", self.state.next_id.fetch_add(1, Ordering::SeqCst));
        let deadline_ms = now_ms() + timeout.as_millis() as u64;
        let (sender, receiver) = oneshot::channel();
        self.state
            .waiting
            .lock()
            .unwrap()
            .insert(id.clone(), sender);
        self.state.queue.lock().unwrap().push_back(Invocation {
            id,
            event,
            deadline_ms,
        });
        self.state.queued.notify_one();
        tokio::time::timeout(timeout + Duration::from_secs(5), receiver)
            .await
            .expect("the function answered in time")
            .expect("the emulator kept the invocation")
    }

    /// Queues a JSON event and waits for its answer.
    pub async fn invoke(&self, event: &serde_json::Value) -> Outcome {
        self.invoke_bytes(serde_json::to_vec(event).unwrap(), Duration::from_secs(30))
            .await
    }

    /// A command that runs `binary` as Lambda would against this emulator: a
    /// clean environment with the variables the service sets, no stdin, and
    /// killed when dropped. Add the function's own variables and spawn it.
    pub fn function_command(&self, binary: &std::path::Path) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(binary);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", self.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "dice")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/dice")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/24/[$LATEST]emulated")
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// The init error the function reported, if any: its error type header and body.
    pub fn init_error(&self) -> Option<(String, serde_json::Value)> {
        self.state.init_error.lock().unwrap().clone()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn reply(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response
}

async fn route(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let error_type = request
        .headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(StatusCode::NOT_FOUND, "{}"));
    };
    let parsed = || serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    Ok(match (method, rest) {
        (Method::GET, "/invocation/next") => next(&state).await,
        (Method::POST, "/init/error") => {
            *state.init_error.lock().unwrap() = Some((error_type, parsed()));
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        (Method::POST, rest) => {
            let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
            let outcome = match parts.as_slice() {
                ["invocation", _, "response"] => Outcome::Response(parsed()),
                ["invocation", _, "error"] => Outcome::Error(parsed()),
                _ => return Ok(reply(StatusCode::NOT_FOUND, "{}")),
            };
            match state.waiting.lock().unwrap().remove(parts[1]) {
                Some(sender) => {
                    let _ = sender.send(outcome);
                    reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
                }
                None => reply(
                    StatusCode::BAD_REQUEST,
                    r#"{"errorMessage":"unknown invocation"}"#,
                ),
            }
        }
        _ => reply(StatusCode::NOT_FOUND, "{}"),
    })
}

/// Long-polls until an invocation is queued, as the real endpoint does.
async fn next(state: &State) -> Response<Full<Bytes>> {
    loop {
        let notified = state.queued.notified();
        if let Some(invocation) = state.queue.lock().unwrap().pop_front() {
            let mut response = reply(StatusCode::OK, "");
            *response.body_mut() = Full::new(Bytes::from(invocation.event));
            let headers = response.headers_mut();
            headers.insert(
                "lambda-runtime-aws-request-id",
                invocation.id.parse().unwrap(),
            );
            headers.insert(
                "lambda-runtime-deadline-ms",
                invocation.deadline_ms.to_string().parse().unwrap(),
            );
            headers.insert(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-west-2:123456789012:function:dice"
                    .parse()
                    .unwrap(),
            );
            headers.insert(
                "lambda-runtime-trace-id",
                "Root=1-5759e988-bd862e3fe1be46a994272793".parse().unwrap(),
            );
            headers.insert("content-type", "application/json".parse().unwrap());
            return response;
        }
        notified.await;
    }
}
