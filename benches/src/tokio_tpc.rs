//! Thread-per-core tokio, the shape both benchmarks' `tokio-tpc`-style
//! servers take: N threads, each a `current_thread` runtime with its own
//! `SO_REUSEPORT` listener on one loopback port, each running an accept
//! loop the caller supplies.
//!
//! It knows tokio's runtime and sockets, not what a connection is served
//! with.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc;

/// Starts `threads` threads named `{name}-{i}`, each serving
/// `accept_loop(listener)` on a `current_thread` runtime of its own, all
/// on one 127.0.0.1 port; returns that port's address once every listener
/// listens. The threads serve until the process exits.
///
/// # Errors
///
/// Creating, binding or listening on a socket failed, or a runtime could
/// not be built.
pub fn start<F, Fut>(threads: usize, name: &str, accept_loop: F) -> io::Result<SocketAddr>
where
    F: Fn(tokio::net::TcpListener) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()>,
{
    let mut addr = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0);
    let mut sockets = Vec::with_capacity(threads);
    for _ in 0..threads {
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
        let accept_loop = accept_loop.clone();
        std::thread::Builder::new()
            .name(format!("{name}-{i}"))
            .spawn(move || {
                let started = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .and_then(|rt| {
                        // `listen` registers with the runtime's reactor:
                        // inside it.
                        let listener = rt.block_on(async { socket.listen(1024) })?;
                        Ok((listener, rt))
                    });
                match started {
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
    for _ in 0..threads {
        listening
            .recv()
            .map_err(|_| io::Error::other(format!("a {name} thread died")))??;
    }
    Ok(addr)
}
