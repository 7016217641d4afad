//! A TCP proxy between the store and the server, for making network faults on
//! loopback: cut connections, refuse or stall new ones, lose the reply to a command.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// Client commands whose reply the proxy can lose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `COMMIT`, sent as a text query.
    Commit,
    /// `COM_STMT_EXECUTE`: a prepared statement runs.
    Execute,
}

impl Command {
    /// Whether a chunk from the client starts with this command's packet: three
    /// bytes of length, one of sequence, then the command byte.
    fn starts(self, chunk: &[u8]) -> bool {
        match self {
            Self::Commit => {
                chunk.get(4) == Some(&0x03) && chunk.get(5..11) == Some(b"COMMIT".as_slice())
            }
            Self::Execute => chunk.get(4) == Some(&0x17),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Forward,
    /// Connections are accepted and nothing is relayed, either way.
    Stall,
    /// New connections are closed at once.
    Refuse,
}

struct State {
    upstream: SocketAddr,
    mode: Mutex<Mode>,
    lose_reply_to: Mutex<Option<Command>>,
    accepted: AtomicUsize,
    connections: Mutex<Vec<AbortHandle>>,
}

/// A running proxy; stops when dropped.
pub struct Proxy {
    pub addr: SocketAddr,
    state: Arc<State>,
    accept_task: AbortHandle,
}

impl Proxy {
    /// A proxy in front of the server that `config` names.
    pub async fn in_front_of(config: &dice_store_mysql::MysqlConfig) -> Self {
        let port = mysql_async::Opts::from_url(&super::server_url())
            .unwrap()
            .tcp_port();
        let upstream = std::net::ToSocketAddrs::to_socket_addrs(&(config.host(), port))
            .unwrap()
            .next()
            .unwrap();
        Self::start(upstream).await
    }

    /// `config`, connecting through this proxy.
    pub fn config(&self, config: dice_store_mysql::MysqlConfig) -> dice_store_mysql::MysqlConfig {
        config.port(self.addr.port())
    }

    /// A proxy on a free loopback port, forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            upstream,
            mode: Mutex::new(Mode::Forward),
            lose_reply_to: Mutex::new(None),
            accepted: AtomicUsize::new(0),
            connections: Mutex::new(Vec::new()),
        });
        let accept_state = Arc::clone(&state);
        let accept_task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                accept_state.accepted.fetch_add(1, Ordering::SeqCst);
                if accept_state.mode() == Mode::Refuse {
                    drop(client);
                    continue;
                }
                let conn_state = Arc::clone(&accept_state);
                let task = tokio::spawn(async move { relay(client, conn_state).await });
                accept_state
                    .connections
                    .lock()
                    .unwrap()
                    .push(task.abort_handle());
            }
        })
        .abort_handle();
        Self {
            addr,
            state,
            accept_task,
        }
    }

    /// Relays again, for connections old and new.
    pub fn forward(&self) {
        *self.state.mode.lock().unwrap() = Mode::Forward;
    }

    /// Stops relaying: requests and replies vanish, connections stay open.
    pub fn stall(&self) {
        *self.state.mode.lock().unwrap() = Mode::Stall;
    }

    /// Closes new connections as soon as they are accepted.
    pub fn refuse(&self) {
        *self.state.mode.lock().unwrap() = Mode::Refuse;
    }

    /// Closes every open connection, as a failing network or server would.
    pub fn cut(&self) {
        for task in self.state.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// The next such command reaches the server, but its reply is dropped and
    /// that connection closed: the client cannot know whether it ran.
    pub fn lose_reply_to_next(&self, command: Command) {
        *self.state.lose_reply_to.lock().unwrap() = Some(command);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept_task.abort();
        self.cut();
    }
}

impl State {
    fn mode(&self) -> Mode {
        *self.mode.lock().unwrap()
    }

    /// Whether `chunk` starts the armed command; if so, disarms.
    fn disarm_if_starts(&self, chunk: &[u8]) -> bool {
        let mut armed = self.lose_reply_to.lock().unwrap();
        let hit = armed.is_some_and(|command| command.starts(chunk));
        if hit {
            *armed = None;
        }
        hit
    }
}

async fn relay(client: TcpStream, state: Arc<State>) {
    let Ok(server) = TcpStream::connect(state.upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let reply_lost = Arc::new(AtomicBool::new(false));

    let upstream_state = Arc::clone(&state);
    let upstream_lost = Arc::clone(&reply_lost);
    let to_server = async move {
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if upstream_state.mode() == Mode::Stall {
                continue;
            }
            let chunk = &buf[..n];
            if upstream_state.disarm_if_starts(chunk) {
                upstream_lost.store(true, Ordering::SeqCst);
            }
            if server_write.write_all(chunk).await.is_err() {
                return;
            }
        }
    };
    let to_client = async move {
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if reply_lost.load(Ordering::SeqCst) {
                // The server has answered, so the command ran: drop the answer
                // and the connection with it.
                tokio::time::sleep(Duration::from_millis(20)).await;
                return;
            }
            if state.mode() == Mode::Stall {
                continue;
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    // Either direction ending closes both: the sockets drop here.
    tokio::select! {
        () = to_server => {}
        () = to_client => {}
    }
}
