//! The tokio echo servers: `tokio-mt` (a `multi_thread` runtime, one accept
//! loop, a `tokio::spawn` per connection) and `tokio-tpc` (thread-per-core:
//! N threads, each a `current_thread` runtime with its own `SO_REUSEPORT`
//! listener on the same port), and their echo handler — the same logic as
//! netloop's.
//!
//! It knows tokio only, and nothing about the load or the other kinds.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
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
    let addr = netloop_benches::tokio_tpc::start(loops, "tokio-tpc", accept_loop)?;
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
