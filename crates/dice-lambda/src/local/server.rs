//! Serving a [`Gateway`] over HTTP/1.1 until told to stop, then finishing the
//! requests in flight.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::Gateway;

/// How long requests in flight may take to finish once shutdown starts.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait before accepting again when `accept` fails (out of file
/// descriptors, say): connections that finish meanwhile free some.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `listener` until `shutdown` completes, then stops accepting, closes
/// connections that are between requests, and waits (up to 30 s) for the
/// requests in flight.
pub async fn serve(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()>,
) {
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shedding = Shedding::default();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    shedding.recovered(connections.len());
                    let gateway = Arc::clone(&gateway);
                    connections.spawn(connection(stream, peer, gateway, stopping.clone()));
                }
                Err(err) => {
                    shedding.failed(&err, connections.len());
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: finishing requests in flight");
    let _ = stop.send(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN_TIMEOUT, drained).await.is_err() {
        tracing::warn!("requests still in flight after {DRAIN_TIMEOUT:?}; stopping anyway");
    }
}

/// Serves one connection. When shutdown starts, a connection with no request
/// in flight (idle, or still sending headers) is closed at once; one with a
/// request finishes it and then closes.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    gateway: Arc<Gateway>,
    mut stopping: watch::Receiver<bool>,
) {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let read_timeout = gateway.read_timeout();
    let service = {
        let in_flight = Arc::clone(&in_flight);
        service_fn(move |request| {
            let gateway = Arc::clone(&gateway);
            let busy = Busy::start(&in_flight);
            async move {
                let response = gateway.serve(request, peer).await;
                drop(busy);
                Ok::<_, Infallible>(response)
            }
        })
    };
    // The header timeout also closes kept-alive connections left idle that long.
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = stopping.wait_for(|stop| *stop) => {}
    }
    if in_flight.load(Ordering::SeqCst) == 0 {
        return;
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}

/// Counts a request in flight on its connection until dropped, even when the
/// request's future is cancelled.
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn start(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(counter))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether new connections are being turned away because `accept` fails,
/// logged once when it starts and once when it ends rather than per failure.
#[derive(Debug, Default)]
struct Shedding {
    failures: u64,
}

impl Shedding {
    fn failed(&mut self, err: &std::io::Error, open: usize) {
        if self.failures == 0 {
            tracing::warn!(
                error = %err,
                open_connections = open,
                "cannot accept new connections; shedding them until some close"
            );
        }
        self.failures += 1;
    }

    fn recovered(&mut self, open: usize) {
        if self.failures > 0 {
            tracing::info!(
                failed_accepts = self.failures,
                open_connections = open,
                "accepting connections again"
            );
            self.failures = 0;
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
