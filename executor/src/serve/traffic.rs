//! gnet's event-handler shape of serving: [`Handle::serve_traffic`] calls
//! a [`TrafficHandler`] with the bytes that arrived on a connection,
//! borrowed from a buffer its loop owns, and the handler answers through a
//! [`Conn`].
//!
//! An idle connection holds no task, no future and no buffer: its socket,
//! its registration and a small record in its loop's driver
//! (`traffic_driver.rs`) are all it costs. What the handler leaves
//! unconsumed, and what the socket could not take of its writes, are kept
//! per connection only until they are used up (gnet's elastic buffers).
//!
//! This file knows the handler's API; how connections are driven is the
//! driver's.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use netloop_reactor::net::{TcpListener, TcpStream};

use super::Server;
use super::traffic_driver::{self, Drivers};
use crate::runtime::Handle;

/// What a [`TrafficHandler`] tells the connection's loop to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Keep the connection open.
    Continue,
    /// Close it once what was written has been handed to the socket (as far
    /// as the socket takes it now).
    Close,
}

/// Serves connections gnet's way (gnet's `EventHandler`): called on the
/// connection's loop, never concurrently for one connection.
///
/// Any `Fn(&mut Conn<'_>) -> Action + Send + Sync + 'static` is a handler
/// whose `on_traffic` is the closure.
pub trait TrafficHandler: Send + Sync + 'static {
    /// Bytes arrived: [`Conn::input`] holds every byte not yet consumed.
    fn on_traffic(&self, conn: &mut Conn<'_>) -> Action;

    /// A connection was handed to its loop (its input is empty): a greeting
    /// can be written here, or options set on [`Conn::stream`].
    fn on_open(&self, conn: &mut Conn<'_>) -> Action {
        let _ = conn;
        Action::Continue
    }

    /// The connection closed: the peer ended the stream (`None`), an I/O
    /// error ended it, or the handler asked to close it (`None`).
    fn on_close(&self, peer: SocketAddr, error: Option<&io::Error>) {
        let _ = (peer, error);
    }
}

impl<F> TrafficHandler for F
where
    F: Fn(&mut Conn<'_>) -> Action + Send + Sync + 'static,
{
    fn on_traffic(&self, conn: &mut Conn<'_>) -> Action {
        self(conn)
    }
}

/// One connection as a [`TrafficHandler`] sees it during a call: its
/// unconsumed input and a way to answer.
#[derive(Debug)]
pub struct Conn<'a> {
    pub(super) stream: &'a TcpStream,
    pub(super) peer: SocketAddr,
    /// Every byte not consumed yet: what arrived now, after what earlier
    /// calls left.
    pub(super) input: &'a [u8],
    pub(super) consumed: usize,
    /// Bytes written but not yet taken by the socket, in order.
    pub(super) output: &'a mut Vec<u8>,
    /// The first write error; the connection closes after the call.
    pub(super) error: &'a mut Option<io::Error>,
    /// The connection's own waker: a write the socket cannot take parks it
    /// in the write slot.
    pub(super) waker: &'a Waker,
}

impl<'a> Conn<'a> {
    /// The bytes that arrived and are not consumed yet. They borrow the
    /// loop's buffer (or the connection's, for bytes an earlier call left),
    /// not the `Conn`, so they can be written back as they are.
    pub fn input(&self) -> &'a [u8] {
        &self.input[self.consumed..]
    }

    /// Marks the first `n` bytes of [`input`](Self::input) as used. Bytes
    /// not consumed when the call returns are kept for the next call, with
    /// what arrives meanwhile after them (a message split across reads).
    ///
    /// # Panics
    ///
    /// When `n` is more than `input().len()`.
    pub fn consume(&mut self, n: usize) {
        let left = self.input.len() - self.consumed;
        assert!(
            n <= left,
            "Conn::consume({n}) with only {left} unconsumed bytes of input"
        );
        self.consumed += n;
    }

    /// [`input`](Self::input), all of it consumed.
    pub fn take_input(&mut self) -> &'a [u8] {
        let input = self.input();
        self.consumed = self.input.len();
        input
    }

    /// Writes `data` (gnet's `Write`): handed to the socket at once, and
    /// what the socket cannot take now is kept, in order, and sent when it
    /// can; the connection reads nothing more until it has all gone. Never
    /// waits. After a write error the connection closes once the call
    /// returns, and later writes are dropped.
    pub fn write(&mut self, data: &[u8]) {
        if self.error.is_some() || data.is_empty() {
            return;
        }
        if !self.output.is_empty() {
            self.output.extend_from_slice(data);
            return;
        }
        let mut cx = Context::from_waker(self.waker);
        let mut sent = 0;
        while sent < data.len() {
            match futures::io::AsyncWrite::poll_write(
                std::pin::Pin::new(&mut &*self.stream),
                &mut cx,
                &data[sent..],
            ) {
                Poll::Ready(Ok(0)) => {
                    *self.error = Some(io::ErrorKind::WriteZero.into());
                    return;
                }
                Poll::Ready(Ok(n)) => sent += n,
                Poll::Ready(Err(e)) => {
                    *self.error = Some(e);
                    return;
                }
                Poll::Pending => break,
            }
        }
        if sent < data.len() {
            self.output.extend_from_slice(&data[sent..]);
        }
    }

    /// Bytes written and not yet taken by the socket.
    pub fn pending_output(&self) -> usize {
        self.output.len()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The connection's socket, for its options and addresses. Reading or
    /// writing it directly bypasses the connection's buffers.
    pub fn stream(&self) -> &TcpStream {
        self.stream
    }
}

impl Handle {
    /// Serves `listener` gnet's way, as [`serve`](Self::serve) does (the
    /// main reactor on loop 0 accepts, the balancer picks each
    /// connection's loop), but with an event handler instead of a task per
    /// connection: every loop runs one driver that reads each ready
    /// connection into the loop's buffer and calls `handler`.
    pub fn serve_traffic<T: TrafficHandler>(
        &self,
        listener: TcpListener,
        handler: T,
    ) -> io::Result<Server> {
        let drivers = traffic_driver::start(self, Arc::new(handler));
        let on_drop = stop_when_dropped(&drivers);
        self.start_main_reactor(listener, deliver_to(drivers), Some(on_drop))
    }

    /// [`serve_traffic`](Self::serve_traffic) in `ReusePort` mode: an
    /// `SO_REUSEPORT` listener per loop, as
    /// [`serve_reuseport`](Self::serve_reuseport).
    pub fn serve_traffic_reuseport<T: TrafficHandler>(
        &self,
        addr: SocketAddr,
        handler: T,
    ) -> io::Result<Server> {
        let drivers = traffic_driver::start(self, Arc::new(handler));
        let on_drop = stop_when_dropped(&drivers);
        self.start_reuseport(addr, deliver_to(drivers), Some(on_drop))
    }
}

fn deliver_to(drivers: Arc<Drivers>) -> impl super::Deliver {
    move |target: &Arc<crate::event_loop::LoopShared>, stream, peer| {
        drivers.hand_over(target, stream, peer);
    }
}

fn stop_when_dropped(drivers: &Arc<Drivers>) -> Box<dyn FnOnce() + Send + Sync> {
    let drivers = drivers.clone();
    Box::new(move || drivers.server_dropped())
}

/// [`Handle::serve_traffic`] on the current runtime.
///
/// # Panics
///
/// Outside a netloop runtime.
///
/// # Errors
///
/// The listener's `local_addr` failed.
#[track_caller]
pub fn serve_traffic<T: TrafficHandler>(listener: TcpListener, handler: T) -> io::Result<Server> {
    Handle::current().serve_traffic(listener, handler)
}

/// [`Handle::serve_traffic_reuseport`] on the current runtime.
///
/// # Panics
///
/// Outside a netloop runtime.
///
/// # Errors
///
/// Creating, configuring or binding a listener failed.
#[track_caller]
pub fn serve_traffic_reuseport<T: TrafficHandler>(
    addr: SocketAddr,
    handler: T,
) -> io::Result<Server> {
    Handle::current().serve_traffic_reuseport(addr, handler)
}
