//! The tokio echo servers: `tokio-mt` (a `multi_thread` runtime, one accept
//! loop, a `tokio::spawn` per connection) and `tokio-tpc` (thread-per-core:
//! N threads, each a `current_thread` runtime with its own `SO_REUSEPORT`
//! listener on the same port), and their echo handler — the same logic as
//! netloop's.
//!
//! It knows tokio only, and nothing about the load or the other kinds.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{BUF_SIZE, Started};

/// Where every server binds: loopback, any port.
const ANY: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// `tokio-mt`.
pub(crate) fn start_mt(loops: usize) -> io::Result<Started> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(loops)
        .thread_name("tokio-mt")
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind(ANY))?;
    let addr = listener.local_addr()?;
    rt.spawn(accept_loop(listener));
    Ok((addr, Box::new(rt)))
}

/// `tokio-tpc`.
pub(crate) fn start_tpc(loops: usize) -> io::Result<Started> {
    let mut addr = ANY;
    let mut sockets = Vec::with_capacity(loops);
    for _ in 0..loops {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.set_reuseport(true)?;
        socket.bind(addr)?;
        addr = socket.local_addr()?;
        sockets.push(socket);
    }
    let (listening_tx, listening) = mpsc::channel();
    for (i, socket) in sockets.into_iter().enumerate() {
        let listening_tx = listening_tx.clone();
        std::thread::Builder::new()
            .name(format!("tokio-tpc-{i}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                // `listen` registers with the runtime's reactor: inside it.
                let listener = rt.and_then(|rt| {
                    let listener = rt.block_on(async { socket.listen(1024) })?;
                    Ok((listener, rt))
                });
                match listener {
                    Ok((listener, rt)) => {
                        let _ = listening_tx.send(Ok(()));
                        rt.block_on(accept_loop(listener));
                    }
                    Err(e) => {
                        let _ = listening_tx.send(Err(e));
                    }
                }
            })?;
    }
    drop(listening_tx);
    for _ in 0..loops {
        listening
            .recv()
            .map_err(|_| io::Error::other("a tokio-tpc thread died"))??;
    }
    Ok((addr, Box::new(())))
}

/// Accepts forever, a task per connection.
async fn accept_loop(listener: tokio::net::TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(echo(stream));
            }
            // EMFILE & co: back off as netloop's accept loop does.
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

/// The echo handler on tokio: the same logic as netloop's.
async fn echo(mut stream: tokio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; BUF_SIZE];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}
