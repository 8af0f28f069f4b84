//! The netloop echo servers: `nl-gnet` (`netloop::net::serve_traffic`: the
//! main reactor hands connections out, each loop's driver reads its ready
//! connections into the loop's buffer and an event handler writes the bytes
//! back — no task or buffer per connection), `nl-serve` (`netloop::net::serve`: the main
//! reactor on loop 0 accepts and hands each connection to the loop the
//! balancer picks), `nl-reuseport` (`netloop::net::serve_reuseport`: an
//! `SO_REUSEPORT` listener per loop) and `nl-spawn` (a plain
//! `TcpListener::accept` loop on loop 0 and a `netloop::spawn` per
//! connection), each on a netloop multi-thread runtime, and the echo
//! handler they share.
//!
//! It knows netloop's public API only, and nothing about the load or the
//! other kinds.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc;

use super::{BUF_SIZE, Started};

/// Where every server binds: loopback, any port.
const ANY: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// A netloop multi-thread runtime with `loops` loops.
fn runtime(loops: usize, name: &str) -> io::Result<netloop::runtime::Runtime> {
    netloop::runtime::Builder::new_multi_thread()
        .worker_threads(loops)
        .thread_name(name)
        .build()
}

/// `nl-gnet`.
pub(crate) fn start_gnet(loops: usize) -> io::Result<Started> {
    let rt = runtime(loops, "nl-gnet")?;
    let server = rt.block_on(async {
        let listener = netloop::net::TcpListener::bind(ANY).await?;
        netloop::net::serve_traffic(listener, NoDelayEcho)
    })?;
    Ok((server.local_addr(), Box::new((server, rt))))
}

/// The event-handler echo: `TCP_NODELAY` on at open, every byte that
/// arrives written back.
struct NoDelayEcho;

impl netloop::net::TrafficHandler for NoDelayEcho {
    fn on_open(&self, conn: &mut netloop::net::Conn<'_>) -> netloop::net::Action {
        let _ = conn.stream().set_nodelay(true);
        netloop::net::Action::Continue
    }

    fn on_traffic(&self, conn: &mut netloop::net::Conn<'_>) -> netloop::net::Action {
        let input = conn.take_input();
        conn.write(input);
        netloop::net::Action::Continue
    }
}

/// `nl-serve`.
pub(crate) fn start_serve(loops: usize) -> io::Result<Started> {
    let rt = runtime(loops, "nl-serve")?;
    let server = rt.block_on(async {
        let listener = netloop::net::TcpListener::bind(ANY).await?;
        netloop::net::serve(listener, echo)
    })?;
    Ok((server.local_addr(), Box::new((server, rt))))
}

/// `nl-reuseport`.
pub(crate) fn start_reuseport(loops: usize) -> io::Result<Started> {
    let rt = runtime(loops, "nl-reuseport")?;
    let server = rt.block_on(async { netloop::net::serve_reuseport(ANY, echo) })?;
    Ok((server.local_addr(), Box::new((server, rt))))
}

/// `nl-spawn`: the listener is bound by the accept loop itself, on loop 0.
pub(crate) fn start_spawn(loops: usize) -> io::Result<Started> {
    let rt = runtime(loops, "nl-spawn")?;
    let (bound_tx, bound) = mpsc::channel();
    // Detached: it serves until the runtime drops.
    let _accept_loop = rt.handle().spawn_on(0, async move {
        let listener = match netloop::net::TcpListener::bind(ANY).await {
            Ok(listener) => listener,
            Err(e) => {
                let _ = bound_tx.send(Err(e));
                return;
            }
        };
        let _ = bound_tx.send(listener.local_addr());
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let _detached = netloop::spawn(echo(stream, peer));
                }
                // EMFILE & co: back off as `serve`'s accept loop does.
                Err(_) => netloop::time::sleep(std::time::Duration::from_millis(5)).await,
            }
        }
    });
    let addr = bound
        .recv()
        .map_err(|_| io::Error::other("the accept loop ended before binding"))??;
    Ok((addr, Box::new(rt)))
}

/// The echo handler: read into a 16 KiB buffer, write it all back, stop on
/// end-of-stream or an error; `TCP_NODELAY` on.
pub(crate) async fn echo(mut stream: netloop::net::TcpStream, _peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; BUF_SIZE];
    loop {
        // Fully qualified: with netloop's `tokio` feature on, tokio's
        // extension traits apply to the stream too.
        match futures::AsyncReadExt::read(&mut stream, &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if futures::AsyncWriteExt::write_all(&mut stream, &buf[..n])
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}
