//! The per-loop driver behind `serve_traffic`: one task per loop and
//! server, owning that loop's connections in a slab, reading each ready one
//! into the loop's buffer and calling the handler (gnet's `eventloop`
//! handing `OnTraffic` the loop's inbound buffer).
//!
//! A connection waits in its socket's slots with a waker of its own
//! ([`ConnWake`]): woken, it queues its key in the driver's inbox and wakes
//! the driver task, so one driver poll serves a batch of connections. A
//! connection therefore costs, while idle, its socket, its registration,
//! one `ConnWake` and one slab record — no task, no future, no buffer.
//!
//! This file knows how connections are driven; the handler's API is
//! `traffic.rs`'s, where connections come from is the accept loops'.

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{
    AtomicBool, Ordering::AcqRel, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};
use std::task::{Context, Poll, Wake, Waker};

use futures::io::{AsyncRead, AsyncWrite};
use futures::task::AtomicWaker;
use netloop_reactor::coop;
use netloop_reactor::net::TcpStream;

use super::ready_queue::ReadyQueue;
use super::traffic::{Action, Conn, TrafficHandler};
use crate::event_loop::LoopShared;
use crate::runtime::Handle;
use crate::schedule;

/// The loop's buffer, into which every ready connection is read.
const LOOP_BUFFER: usize = 64 * 1024;
/// Reads one connection may take per wake-up before the others get their
/// turn (it is queued again behind them).
const READS_PER_WAKE: usize = 16;
/// Connections one driver poll serves at most before it lets the loop's
/// other tasks (and its network poll) have a turn.
const CONNS_PER_POLL: usize = 1024;

thread_local! {
    /// This loop's read buffer, taken by the driver while it runs (drivers
    /// of several servers on one loop take turns).
    static BUFFER: Cell<Option<Box<[u8]>>> = const { Cell::new(None) };
}

/// A connection's place in its driver's slab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    index: u32,
    generation: u32,
}

/// What the rest of the runtime reaches of one loop's driver.
struct Inbox {
    /// Connections handed to this loop, not yet adopted.
    incoming: ReadyQueue<(TcpStream, SocketAddr)>,
    /// Connections woken since the driver last looked.
    ready: ReadyQueue<Key>,
    driver: AtomicWaker,
    /// The server was dropped: the driver ends with its last connection.
    server_gone: AtomicBool,
}

impl Inbox {
    fn new() -> Inbox {
        Inbox {
            incoming: ReadyQueue::new(),
            ready: ReadyQueue::new(),
            driver: AtomicWaker::new(),
            server_gone: AtomicBool::new(false),
        }
    }
}

/// One server's drivers, by loop index.
pub(super) struct Drivers {
    inboxes: Vec<Arc<Inbox>>,
}

impl Drivers {
    /// Hands `stream` to the driver of `target`.
    pub(super) fn hand_over(&self, target: &Arc<LoopShared>, stream: TcpStream, peer: SocketAddr) {
        let inbox = &self.inboxes[target.index];
        if inbox.incoming.push((stream, peer)) {
            inbox.driver.wake();
        }
    }

    /// The server was dropped: each driver ends once its connections have.
    pub(super) fn server_dropped(&self) {
        for inbox in &self.inboxes {
            inbox.server_gone.store(true, Release);
            inbox.driver.wake();
        }
    }
}

/// Starts a driver for `handler` on every loop of `handle`'s runtime.
pub(super) fn start<T: TrafficHandler>(handle: &Handle, handler: Arc<T>) -> Arc<Drivers> {
    let inboxes: Vec<Arc<Inbox>> = handle
        .inner
        .loops
        .iter()
        .map(|_| Arc::new(Inbox::new()))
        .collect();
    for (home, inbox) in handle.inner.loops.iter().zip(&inboxes) {
        let driver = Driver {
            handler: handler.clone(),
            inbox: inbox.clone(),
            home: home.clone(),
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            batch: Vec::new(),
        };
        drop(schedule::spawn_on(home, driver));
    }
    Arc::new(Drivers { inboxes })
}

/// A connection's waker: queues the connection with its driver.
struct ConnWake {
    inbox: Arc<Inbox>,
    key: Key,
    /// Queued and not yet taken by the driver: further wakes are free.
    queued: AtomicBool,
}

impl Wake for ConnWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, AcqRel) && self.inbox.ready.push(self.key) {
            self.inbox.driver.wake();
        }
    }
}

/// One served connection.
struct ConnState {
    stream: TcpStream,
    peer: SocketAddr,
    wake: Arc<ConnWake>,
    waker: Waker,
    /// Input the handler left unconsumed (empty, and unallocated, when
    /// there is none).
    inbound: Vec<u8>,
    /// Output the socket has not taken yet (likewise).
    outbound: Vec<u8>,
}

struct Slot {
    generation: u32,
    conn: Option<Box<ConnState>>,
}

/// The driver task of one loop.
struct Driver<T> {
    handler: Arc<T>,
    inbox: Arc<Inbox>,
    home: Arc<LoopShared>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
    /// The keys being served this round (kept for its allocation).
    batch: Vec<Key>,
}

/// Why a connection closes: the handler or the peer (`None`), or an error.
type Closing = Option<io::Error>;

impl<T: TrafficHandler> Driver<T> {
    /// Adopts the connections handed over, greeting each (`on_open`) and
    /// serving whatever it already has.
    fn adopt(&mut self, buffer: &mut [u8]) {
        let mut incoming = Vec::new();
        self.inbox.incoming.take(&mut incoming);
        for (stream, peer) in incoming {
            let index = match self.free.pop() {
                Some(index) => index,
                None => {
                    self.slots.push(Slot {
                        generation: 0,
                        conn: None,
                    });
                    u32::try_from(self.slots.len() - 1)
                        .expect("fewer than 2^32 connections per loop")
                }
            };
            let slot = &mut self.slots[index as usize];
            let key = Key {
                index,
                generation: slot.generation,
            };
            let wake = Arc::new(ConnWake {
                inbox: self.inbox.clone(),
                key,
                queued: AtomicBool::new(false),
            });
            let waker = Waker::from(wake.clone());
            slot.conn = Some(Box::new(ConnState {
                stream,
                peer,
                wake,
                waker,
                inbound: Vec::new(),
                outbound: Vec::new(),
            }));
            self.live += 1;
            self.home.connections.fetch_add(1, Relaxed);
            let conn = slot.conn.as_mut().expect("just stored");
            let closing =
                open(&*self.handler, conn).or_else(|| drive(&*self.handler, conn, buffer));
            if let Some(closing) = closing {
                self.close(index, closing);
            }
        }
    }

    /// Serves the connection `key` names, if it is still the one there.
    fn serve(&mut self, key: Key, buffer: &mut [u8]) {
        let Some(slot) = self.slots.get_mut(key.index as usize) else {
            return;
        };
        if slot.generation != key.generation {
            return;
        }
        let Some(conn) = slot.conn.as_mut() else {
            return;
        };
        // Taken before serving: a wake from now on queues it again.
        conn.wake.queued.store(false, Release);
        if let Some(closing) = drive(&*self.handler, conn, buffer) {
            self.close(key.index, closing);
        }
    }

    fn close(&mut self, index: u32, closing: Closing) {
        let slot = &mut self.slots[index as usize];
        let Some(conn) = slot.conn.take() else {
            return;
        };
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(index);
        self.live -= 1;
        self.home.connections.fetch_sub(1, Relaxed);
        let peer = conn.peer;
        // Out of epoll and closed before the handler hears of it.
        drop(conn);
        let handler = &*self.handler;
        let _ = catch_unwind(AssertUnwindSafe(|| {
            handler.on_close(peer, closing.as_ref())
        }));
    }
}

impl<T: TrafficHandler> Future for Driver<T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        // Registered before the inbox is looked at: a hand-over or wake
        // after this finds the new waker (AtomicWaker's protocol).
        this.inbox.driver.register(cx.waker());
        let mut buffer = BUFFER
            .take()
            .unwrap_or_else(|| vec![0u8; LOOP_BUFFER].into_boxed_slice());
        this.adopt(&mut buffer);
        let mut batch = std::mem::take(&mut this.batch);
        let mut served = 0;
        let result = loop {
            this.inbox.ready.take(&mut batch);
            if batch.is_empty() {
                break if this.live == 0 && this.inbox.server_gone.load(Acquire) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                };
            }
            // Each connection gets a cooperative budget of its own, as a
            // task of its own would: one busy connection cannot hold up the
            // others, and the driver is not made to yield after the first
            // few dozen connections of a batch.
            served += batch.len();
            for key in batch.drain(..) {
                coop::budget(|| this.serve(key, &mut buffer));
            }
            if served >= CONNS_PER_POLL {
                // The rest waits behind the loop's other tasks.
                cx.waker().wake_by_ref();
                break Poll::Pending;
            }
        };
        this.batch = batch;
        BUFFER.set(Some(buffer));
        result
    }
}

/// `on_open`, with an empty input; `Some` when the connection is to close.
fn open<T: TrafficHandler>(handler: &T, conn: &mut ConnState) -> Option<Closing> {
    let ConnState {
        stream,
        peer,
        waker,
        outbound,
        ..
    } = conn;
    let mut error = None;
    let called = catch_unwind(AssertUnwindSafe(|| {
        let mut c = Conn {
            stream: &*stream,
            peer: *peer,
            input: &[],
            consumed: 0,
            output: outbound,
            error: &mut error,
            waker,
        };
        handler.on_open(&mut c)
    }));
    match (called, error) {
        (Err(_), _) => Some(Some(io::Error::other(
            "the traffic handler panicked in on_open",
        ))),
        (_, Some(e)) => Some(Some(e)),
        (Ok(Action::Close), None) => Some(flush_before_close(conn)),
        (Ok(Action::Continue), None) => None,
    }
}

/// Serves one woken connection: sends what is pending, then reads and
/// hands the handler what arrived, until the socket has nothing more (a
/// short read: the next read waits for an edge, without a syscall) or the
/// connection's turn is over. `Some` when it is to close.
fn drive<T: TrafficHandler>(
    handler: &T,
    conn: &mut ConnState,
    buffer: &mut [u8],
) -> Option<Closing> {
    for _ in 0..READS_PER_WAKE {
        if !conn.outbound.is_empty() {
            match flush(conn) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Some(Some(e)),
                // Back when the socket takes more; nothing is read meanwhile.
                Poll::Pending => return None,
            }
        }
        let ConnState {
            stream,
            peer,
            waker,
            inbound,
            outbound,
            ..
        } = conn;
        let mut cx = Context::from_waker(waker);
        let n = match Pin::new(&mut &*stream).poll_read(&mut cx, buffer) {
            Poll::Pending => return None,
            Poll::Ready(Ok(0)) => return Some(None),
            Poll::Ready(Ok(n)) => n,
            Poll::Ready(Err(e)) => return Some(Some(e)),
        };
        let mut carried = std::mem::take(inbound);
        if !carried.is_empty() {
            carried.extend_from_slice(&buffer[..n]);
        }
        let input: &[u8] = if carried.is_empty() {
            &buffer[..n]
        } else {
            &carried
        };
        let mut error = None;
        let mut consumed = 0;
        let called = catch_unwind(AssertUnwindSafe(|| {
            let mut c = Conn {
                stream: &*stream,
                peer: *peer,
                input,
                consumed: 0,
                output: outbound,
                error: &mut error,
                waker,
            };
            let action = handler.on_traffic(&mut c);
            consumed = c.consumed;
            action
        }));
        if consumed < input.len() {
            *inbound = if carried.is_empty() {
                input[consumed..].to_vec()
            } else {
                carried.drain(..consumed);
                carried
            };
        }
        match (called, error) {
            (Err(_), _) => return Some(Some(io::Error::other("the traffic handler panicked"))),
            (_, Some(e)) => return Some(Some(e)),
            (Ok(Action::Close), None) => return Some(flush_before_close(conn)),
            (Ok(Action::Continue), None) => {}
        }
        if n < buffer.len() {
            // A short read emptied the socket (tokio's rule): wait for the
            // next edge here rather than through another read — cheaper, and
            // it leaves any edge that came meanwhile recorded for the read.
            let mut cx = Context::from_waker(&conn.waker);
            match conn.stream.poll_read_ready(&mut cx) {
                Poll::Pending => return None,
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Some(Some(e)),
            }
        }
    }
    // More may be queued: come back after the other connections.
    conn.waker.wake_by_ref();
    None
}

/// Sends what the socket did not take before; `Pending` (with the
/// connection's waker parked in the write slot) while some is left.
fn flush(conn: &mut ConnState) -> Poll<io::Result<()>> {
    let ConnState {
        stream,
        waker,
        outbound,
        ..
    } = conn;
    if outbound.is_empty() {
        return Poll::Ready(Ok(()));
    }
    let mut cx = Context::from_waker(waker);
    while !outbound.is_empty() {
        match Pin::new(&mut &*stream).poll_write(&mut cx, outbound) {
            Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            Poll::Ready(Ok(n)) => {
                outbound.drain(..n);
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
    }
    // Drained: an idle connection holds no buffer.
    *outbound = Vec::new();
    Poll::Ready(Ok(()))
}

/// The handler asked to close: what it wrote goes out as far as the
/// socket takes it now.
fn flush_before_close(conn: &mut ConnState) -> Closing {
    match flush(conn) {
        Poll::Ready(Err(e)) => Some(e),
        _ => None,
    }
}
