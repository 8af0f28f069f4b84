//! gnet-style serving (DESIGN §4): a main reactor accepts and hands each
//! connection to a loop picked by the runtime's balancer, where its handler
//! task runs and its socket registers (lazily, at the handler's first
//! poll); or, in `ReusePort` mode, every loop accepts on its own
//! `SO_REUSEPORT` listener and serves what it accepts.
//!
//! The accept loop never spins and never dies: after `EMFILE`, `ENFILE`,
//! `ENOBUFS` or `ENOMEM` it pauses with the listener's growing backoff
//! (counted in [`LoopStats::accept_pauses`](crate::LoopStats)); after any
//! other error it pauses for the shortest backoff step and goes on.
//!
//! Two shapes of serving share the accept loops: [`Handle::serve`] runs a
//! task per connection (`handler(stream, peer)`, any async code), and
//! [`Handle::serve_traffic`] (`traffic.rs`) drives connections gnet's way,
//! without a task or a buffer of their own while idle.
//!
//! This file knows the hand-off; sockets are the reactor's, where a task
//! runs the balancer's.

mod ready_queue;
mod traffic;
mod traffic_driver;

pub use traffic::{Action, Conn, TrafficHandler, serve_traffic, serve_traffic_reuseport};

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use netloop_reactor::net::{TcpListener, TcpSocket, TcpStream};
use netloop_reactor::sys;

use crate::event_loop::LoopShared;
use crate::runtime::Handle;
use crate::schedule;
use crate::task::JoinHandle;

/// The pause after an accept error that is not about resources.
const ERROR_PAUSE: Duration = Duration::from_millis(5);

/// A running server: its accept loops. Dropping it (or [`Server::stop`])
/// stops accepting; connections already handed out keep running.
#[must_use = "dropping a Server stops it accepting"]
pub struct Server {
    local_addr: SocketAddr,
    accept_loops: Vec<JoinHandle<()>>,
    /// Told when the server is dropped (`serve_traffic`'s drivers end once
    /// their last connection closes).
    on_drop: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl Server {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting.
    pub fn stop(self) {
        drop(self);
    }

    /// Waits until every accept loop has ended: when the runtime shuts
    /// down (they end on no error).
    pub async fn wait(mut self) {
        for accept_loop in std::mem::take(&mut self.accept_loops) {
            let _ = accept_loop.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for accept_loop in &self.accept_loops {
            accept_loop.abort();
        }
        if let Some(on_drop) = self.on_drop.take() {
            on_drop();
        }
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("accept_loops", &self.accept_loops.len())
            .finish()
    }
}

/// What serves one connection: called with the stream and the peer's
/// address on the loop the connection was handed to.
pub trait Handler: Send + Sync + 'static {
    /// The connection's task.
    type Future: Future<Output = ()> + Send + 'static;

    /// Serves `stream`.
    fn call(&self, stream: TcpStream, peer: SocketAddr) -> Self::Future;
}

impl<F, Fut> Handler for F
where
    F: Fn(TcpStream, SocketAddr) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    type Future = Fut;

    fn call(&self, stream: TcpStream, peer: SocketAddr) -> Fut {
        self(stream, peer)
    }
}

/// Where accepted connections go.
#[derive(Clone, Copy)]
enum HandOff {
    /// To the loop the balancer picks (the main-reactor mode).
    Balanced,
    /// To the accepting loop itself (`ReusePort`).
    Local,
}

impl Handle {
    /// Serves `listener` gnet's way: an accept loop on loop 0 (the main
    /// reactor) hands each connection to the loop the runtime's balancer
    /// picks (`SourceAddrHash` sees the peer's IP), which runs
    /// `handler(stream, peer)` as a task of its own and serves the
    /// connection's I/O from its own epoll.
    pub fn serve<H: Handler>(&self, listener: TcpListener, handler: H) -> io::Result<Server> {
        let handler = Arc::new(handler);
        self.start_main_reactor(listener, spawn_handler(handler), None)
    }

    /// Serves `addr` in `ReusePort` mode: every loop binds its own
    /// `SO_REUSEPORT` listener to `addr` (port 0: the port the first one
    /// got), the kernel spreads connections over them, and each loop
    /// serves the connections it accepted.
    pub fn serve_reuseport<H: Handler>(&self, addr: SocketAddr, handler: H) -> io::Result<Server> {
        let handler = Arc::new(handler);
        self.start_reuseport(addr, spawn_handler(handler), None)
    }

    /// The main-reactor mode: one accept loop on loop 0, `deliver`ing each
    /// connection to the loop the balancer picks.
    fn start_main_reactor(
        &self,
        listener: TcpListener,
        deliver: impl Deliver,
        on_drop: Option<Box<dyn FnOnce() + Send + Sync>>,
    ) -> io::Result<Server> {
        let local_addr = listener.local_addr()?;
        let main = self.inner.loops[0].clone();
        let accept_loop = accept_loop(
            self.clone(),
            main.clone(),
            listener,
            Arc::new(deliver),
            HandOff::Balanced,
        );
        Ok(Server {
            local_addr,
            accept_loops: vec![schedule::spawn_on(&main, accept_loop)],
            on_drop,
        })
    }

    /// The `ReusePort` mode: a listener and an accept loop per loop, each
    /// `deliver`ing to its own loop.
    fn start_reuseport(
        &self,
        addr: SocketAddr,
        deliver: impl Deliver,
        on_drop: Option<Box<dyn FnOnce() + Send + Sync>>,
    ) -> io::Result<Server> {
        let deliver = Arc::new(deliver);
        let mut local_addr = addr;
        let mut listeners = Vec::with_capacity(self.inner.loops.len());
        for _ in &self.inner.loops {
            let socket = if local_addr.is_ipv4() {
                TcpSocket::new_v4()?
            } else {
                TcpSocket::new_v6()?
            };
            socket.set_reuseaddr(true)?;
            socket.set_reuseport(true)?;
            socket.bind(local_addr)?;
            let listener = socket.listen(1024)?;
            local_addr = listener.local_addr()?;
            listeners.push(listener);
        }
        let accept_loops = self
            .inner
            .loops
            .iter()
            .zip(listeners)
            .map(|(home, listener)| {
                let accept_loop = accept_loop(
                    self.clone(),
                    home.clone(),
                    listener,
                    deliver.clone(),
                    HandOff::Local,
                );
                schedule::spawn_on(home, accept_loop)
            })
            .collect();
        Ok(Server {
            local_addr,
            accept_loops,
            on_drop,
        })
    }
}

/// What an accept loop does with a connection once it knows its loop.
trait Deliver: Fn(&Arc<LoopShared>, TcpStream, SocketAddr) + Send + Sync + 'static {}

impl<F: Fn(&Arc<LoopShared>, TcpStream, SocketAddr) + Send + Sync + 'static> Deliver for F {}

/// `serve`'s delivery: the handler's future, spawned on the loop as a task
/// of its own, counted as a connection until it ends.
fn spawn_handler<H: Handler>(handler: Arc<H>) -> impl Deliver {
    move |target: &Arc<LoopShared>, stream, peer| {
        let connection = handler.call(stream, peer);
        let guard = Connection::new(target.clone());
        drop(schedule::spawn_on(target, async move {
            let _guard = guard;
            connection.await;
        }));
    }
}

async fn accept_loop<D: Deliver>(
    handle: Handle,
    home: Arc<LoopShared>,
    listener: TcpListener,
    deliver: Arc<D>,
    hand_off: HandOff,
) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                home.accepts.fetch_add(1, Relaxed);
                match hand_off {
                    HandOff::Balanced => {
                        let target = &handle.inner.loops[handle.pick_loop(Some(peer.ip()))];
                        deliver(target, stream, peer);
                    }
                    HandOff::Local => deliver(&home, stream, peer),
                }
            }
            Err(e) if sys::socket::is_resource_exhaustion(&e) => {
                // The listener's next accept waits out its backoff.
                home.accept_pauses.fetch_add(1, Relaxed);
            }
            Err(_) => netloop_reactor::time::sleep(ERROR_PAUSE).await,
        }
    }
}

/// Counts a served connection on its loop until its task ends.
struct Connection(Arc<LoopShared>);

impl Connection {
    fn new(home: Arc<LoopShared>) -> Connection {
        home.connections.fetch_add(1, Relaxed);
        Connection(home)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Relaxed);
    }
}

/// [`Handle::serve`] on the current runtime.
///
/// # Panics
///
/// Outside a netloop runtime.
///
/// # Errors
///
/// The listener's `local_addr` failed.
#[track_caller]
pub fn serve<H: Handler>(listener: TcpListener, handler: H) -> io::Result<Server> {
    Handle::current().serve(listener, handler)
}

/// [`Handle::serve_reuseport`] on the current runtime.
///
/// # Panics
///
/// Outside a netloop runtime.
///
/// # Errors
///
/// Creating, configuring or binding a listener failed (`AddrInUse`, ...).
#[track_caller]
pub fn serve_reuseport<H: Handler>(addr: SocketAddr, handler: H) -> io::Result<Server> {
    Handle::current().serve_reuseport(addr, handler)
}
