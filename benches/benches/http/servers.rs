//! The HTTP/1.1 server kinds, each run in a child process (this binary
//! re-executed with `NETLOOP_BENCH_CHILD_KIND` naming it): `nl-hyper`
//! (netloop's `serve`, hyper on netloop's streams through their tokio io
//! traits and `hyper_util::rt::TokioIo`), `tokio-hyper` (one
//! `current_thread` runtime per loop, each with its own `SO_REUSEPORT`
//! listener: with one loop, plainly a `current_thread` runtime with an
//! accept loop) and `tokio-mt-hyper` (tokio `multi_thread`); all serve the
//! same `hello`.
//!
//! Adding a kind is one start function and one [`Kind`] entry in
//! [`KINDS`]. It knows nothing about wrk or the measurements.

use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use netloop_benches::child;

/// Where every server binds: loopback, any port.
const ANY: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

pub(crate) use netloop_benches::child::{Kind, Started};

/// Every kind, in report order.
pub(crate) const KINDS: &[Kind] = &[
    Kind {
        name: "nl-hyper",
        about: "netloop::net::serve + hyper http1 serve_connection(TokioIo::new(stream))",
        start: start_nl,
    },
    Kind {
        name: "tokio-hyper",
        about: "tokio current_thread runtime per loop (SO_REUSEPORT), accept loop + tokio::spawn",
        start: start_tokio_ct,
    },
    Kind {
        name: "tokio-mt-hyper",
        about: "tokio multi_thread, accept loop + tokio::spawn",
        start: start_tokio_mt,
    },
];

/// The child process's whole life: serve `name` (see
/// [`child::serve_kind`]).
pub(crate) fn child_main(name: &str) -> ! {
    let kind = KINDS
        .iter()
        .find(|k| k.name == name)
        .unwrap_or_else(|| panic!("unknown http server kind {name:?}"));
    child::serve_kind(kind)
}

/// The one route: 200, `Hello, World!`, the same headers on every server
/// (hyper adds `date` and `content-length`).
async fn hello(_request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"Hello, World!")));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain"),
    );
    Ok(response)
}

/// `nl-hyper`.
fn start_nl(loops: usize) -> io::Result<Started> {
    let rt = netloop::runtime::Builder::new_multi_thread()
        .worker_threads(loops)
        .thread_name("nl-hyper")
        .build()?;
    let server = rt.block_on(async {
        let listener = netloop::net::TcpListener::bind(ANY).await?;
        netloop::net::serve(
            listener,
            |stream: netloop::net::TcpStream, _peer| async move {
                let _ = stream.set_nodelay(true);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(hello))
                    .await;
            },
        )
    })?;
    Ok((server.local_addr(), Box::new((server, rt))))
}

/// Serves one tokio connection.
async fn tokio_conn(stream: tokio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service_fn(hello))
        .await;
}

/// Accepts forever, a task per connection.
async fn tokio_accept_loop(listener: tokio::net::TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(tokio_conn(stream));
            }
            // EMFILE & co: back off as netloop's accept loop does.
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

/// `tokio-hyper`.
fn start_tokio_ct(loops: usize) -> io::Result<Started> {
    let addr = netloop_benches::tokio_tpc::start(loops, "tokio-hyper", tokio_accept_loop)?;
    Ok((addr, Box::new(())))
}

/// `tokio-mt-hyper`.
fn start_tokio_mt(loops: usize) -> io::Result<Started> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(loops)
        .thread_name("tokio-mt-hyper")
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind(ANY))?;
    let addr = listener.local_addr()?;
    rt.spawn(tokio_accept_loop(listener));
    Ok((addr, Box::new(rt)))
}
