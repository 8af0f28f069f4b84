//! `Source`: one socket (a std type owning the fd) with its lazy
//! registration — what every netloop socket type is built on.
//!
//! Registration is lazy (DESIGN §3): nothing joins a poller until the first
//! operation that may have to wait, which registers the fd with the poller
//! of the thread it runs on ([`context::driver`]). So a connection accepted
//! on one loop and moved into a task on another is served by the second
//! loop's epoll. Dropping a `Source` deregisters the fd before it closes.
//! A socket made inside a runtime belongs to it, as in tokio: once that
//! runtime has shut down, the socket registers nowhere (its operations fail
//! with the shutdown error); one made outside any runtime joins whichever
//! first polls it.
//!
//! Operations are optimistic ([`PollDesc::poll_io`]): reset the slot (Go's
//! `pollReset`), try the syscall, wait in the direction's slot only on
//! `EAGAIN` — or, after a short read or write on a stream, before the next
//! syscall (tokio's rule). The descriptor's per-direction *hints* also give
//! `readable()` / `writable()` tokio's meaning — "the socket may be ready
//! until an operation says otherwise". Before registration a socket can
//! only *assume* readiness (accepted streams, fresh pairs), which its
//! registration then records.
//!
//! This file knows the registration and readiness protocol, not what the
//! socket is (TCP, UDP, Unix) nor any executor.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, Ordering::Acquire, Ordering::Release};
use std::sync::{Arc, OnceLock, Weak};
use std::task::{Context, Poll, ready};

use crate::context::{self, Driver};
use crate::io::{Interest, Ready};
use crate::poll_desc::{self, Direction, PollDesc};
use crate::time::Instant;

/// A socket and its (lazy) place in a poller.
pub(crate) struct Source<S: AsFd> {
    /// `None` only after [`Source::into_inner`] took it.
    io: Option<S>,
    registration: OnceLock<Registration>,
    /// Read, write: readiness assumed at creation and not disproven by an
    /// operation before registration; recorded in the descriptor's hints
    /// when it registers.
    assumed: [AtomicBool; 2],
    /// The runtime the socket was created in (none: created outside any):
    /// once it has shut down, the socket registers nowhere, as a tokio
    /// socket belongs to its runtime.
    home: Option<Weak<()>>,
}

struct Registration {
    desc: Arc<PollDesc>,
    /// The poller holding the fd; gone once its loop has shut down.
    driver: Weak<dyn Driver>,
}

impl<S: AsFd> Source<S> {
    /// Wraps `io`, which must be in nonblocking mode.
    pub(crate) fn new(io: S) -> Source<S> {
        Source {
            io: Some(io),
            registration: OnceLock::new(),
            assumed: [AtomicBool::new(false), AtomicBool::new(false)],
            home: context::runtime_token(),
        }
    }

    /// Starts with readiness assumed in the given directions (as tokio
    /// does for accepted streams and fresh pairs): `readable()` /
    /// `writable()` return at once until an operation meets `WouldBlock`.
    pub(crate) fn assume_ready(self, read: bool, write: bool) -> Source<S> {
        self.assumed[0].store(read, Release);
        self.assumed[1].store(write, Release);
        self
    }

    /// The socket.
    pub(crate) fn get_ref(&self) -> &S {
        self.io
            .as_ref()
            .expect("a Source's socket is only taken by into_inner")
    }

    /// The socket's fd.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }

    /// The descriptor the socket waits in, registering it with this
    /// thread's poller on first use.
    fn desc(&self) -> io::Result<&Arc<PollDesc>> {
        if let Some(reg) = self.registration.get() {
            return Ok(&reg.desc);
        }
        self.register()
    }

    #[cold]
    fn register(&self) -> io::Result<&Arc<PollDesc>> {
        if self
            .home
            .as_ref()
            .is_some_and(|home| home.strong_count() == 0)
        {
            return Err(crate::shutdown::error(
                "the runtime this socket was created in has shut down",
            ));
        }
        let driver = context::driver()?;
        let desc = match driver.register(self.fd()) {
            Ok(desc) => desc,
            // Another thread registered it with this same poller and has
            // not published it yet: wait (briefly) for it to. Past that, the
            // fd is in this epoll under another owner: a misuse, reported.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                for _ in 0..1000 {
                    if let Some(reg) = self.registration.get() {
                        return Ok(&reg.desc);
                    }
                    std::thread::yield_now();
                }
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        for dir in [Direction::Read, Direction::Write] {
            if self.assumed[index(dir)].load(Acquire) {
                desc.mark_seen(dir);
            }
        }
        let reg = Registration {
            desc,
            driver: Arc::downgrade(&driver),
        };
        if let Err(lost) = self.registration.set(reg) {
            // Another thread registered it with another poller first: ours
            // goes (the epoll_ctl on the same fd is harmless either way).
            let _ = driver.deregister(self.fd(), &lost.desc);
        }
        Ok(&self.registration.get().expect("set above").desc)
    }

    /// Optimistic I/O in `dir` for operations whose success says nothing
    /// of the queue (accept, datagrams): see [`PollDesc::poll_io`], which
    /// also spends the task's cooperative budget and honours deadlines.
    pub(crate) fn poll_io<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_with(dir, cx, op, |_| false)
    }

    /// Optimistic I/O in `dir` on a byte stream, reading or writing `len`
    /// bytes: a short result waits before the next syscall (see
    /// [`PollDesc::poll_stream_io`]).
    pub(crate) fn poll_stream_io(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        len: usize,
        op: impl FnMut(&S) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_io_with(dir, cx, op, poll_desc::short_of(len))
    }

    fn poll_io_with<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&S) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        let desc = match self.desc() {
            Ok(desc) => desc,
            Err(e) => return Poll::Ready(Err(e)),
        };
        let io = self.get_ref();
        desc.poll_io_with(dir, cx, || op(io), drained)
    }

    /// [`poll_io`](Self::poll_io) as a future.
    pub(crate) async fn async_io<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(dir, cx, &mut op)).await
    }

    /// One attempt, no waiting (tokio's `try_read` & co.): see
    /// [`PollDesc::try_io`]. An unregistered socket (never polled) just
    /// makes the syscall.
    pub(crate) fn try_io<R>(
        &self,
        dir: Direction,
        op: impl FnOnce(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        let io = self.get_ref();
        match self.registration.get() {
            Some(reg) => reg.desc.try_io(dir, || op(io)),
            None => {
                let result = op(io);
                if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
                    self.assumed[index(dir)].store(false, Release);
                }
                result
            }
        }
    }

    /// tokio's `try_io`: runs `op` only if `dir` may be ready (readiness
    /// seen and not disproven, or reported by the poller and not yet
    /// consumed), and otherwise fails with `WouldBlock` without running it
    /// (registering the socket first if needed, as tokio's sockets are
    /// registered from birth, so that readiness arriving from now on is
    /// reported to the next call).
    pub(crate) fn try_io_when_ready<R>(
        &self,
        dir: Direction,
        op: impl FnOnce(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        let desc = self.desc()?;
        let io = self.get_ref();
        desc.try_io_when_ready(dir, || op(io))
    }

    /// Whether the poller has reported the read side closed (`EPOLLRDHUP`
    /// or `EPOLLHUP`, remembered).
    pub(crate) fn read_closed_seen(&self) -> bool {
        self.registration
            .get()
            .is_some_and(|reg| reg.desc.seen().read_closed)
    }

    /// Waits until `dir` may be ready: at once while its hint holds, else
    /// until the poller reports readiness.
    pub(crate) fn poll_ready(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.desc()?.poll_hinted_ready(dir, cx)
    }

    /// Waits until any direction of `interest` may be ready, and says which
    /// — with tokio's closed and error states where the poller reported
    /// them (`EPOLLRDHUP`/`EPOLLHUP`/`EPOLLERR`, remembered).
    pub(crate) fn poll_ready_interest(
        &self,
        interest: Interest,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Ready>> {
        if !interest.is_readable() && !interest.is_writable() {
            return self.poll_error(cx);
        }
        let mut ready = Ready::EMPTY;
        if interest.is_readable()
            && let Poll::Ready(result) = self.poll_ready(Direction::Read, cx)
        {
            result?;
            ready |= Ready::READABLE;
        }
        if interest.is_writable()
            && let Poll::Ready(result) = self.poll_ready(Direction::Write, cx)
        {
            result?;
            ready |= Ready::WRITABLE;
        }
        if let Some(reg) = self.registration.get() {
            let seen = reg.desc.seen();
            if seen.read_closed && interest.is_readable() {
                ready |= Ready::READ_CLOSED;
            }
            if seen.write_closed && interest.is_writable() {
                ready |= Ready::WRITE_CLOSED;
            }
            if seen.error && interest.is_error() {
                ready |= Ready::ERROR;
            }
        }
        if ready.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(Ok(ready))
        }
    }

    /// Waits for an error event alone (`Interest::ERROR`): an error wakes
    /// both slots, so the read slot is watched, and readiness without an
    /// error is waited past.
    fn poll_error(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        let desc = self.desc()?;
        loop {
            if desc.seen().error {
                return Poll::Ready(Ok(Ready::ERROR));
            }
            ready!(desc.poll_ready(Direction::Read, cx))?;
            // Readiness, not an error: it may be data a reader wants.
            desc.mark_seen(Direction::Read);
            if !desc.seen().error {
                // Registers the waker for the next event (or sees one).
                if desc.poll_ready(Direction::Read, cx).is_pending() {
                    return Poll::Pending;
                }
            }
        }
    }

    /// [`poll_ready_interest`](Self::poll_ready_interest) as a future.
    pub(crate) async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        poll_fn(|cx| self.poll_ready_interest(interest, cx)).await
    }

    /// Sets or clears the deadline of `dir` (Go's `SetReadDeadline` /
    /// `SetWriteDeadline`); registers the socket if it was not yet.
    pub(crate) fn set_deadline(&self, dir: Direction, deadline: Option<Instant>) -> io::Result<()> {
        self.desc()?.set_deadline(dir, deadline)
    }

    /// Deregisters the socket and hands it back.
    pub(crate) fn into_inner(mut self) -> S {
        self.deregister();
        self.io
            .take()
            .expect("a Source's socket is only taken once")
    }

    fn deregister(&mut self) {
        if let Some(reg) = self.registration.take()
            && let Some(driver) = reg.driver.upgrade()
            && let Some(io) = self.io.as_ref()
        {
            // NotFound: the loop shut down and closed the descriptor itself.
            let _ = driver.deregister(io.as_fd(), &reg.desc);
        }
    }
}

fn index(dir: Direction) -> usize {
    match dir {
        Direction::Read => 0,
        Direction::Write => 1,
    }
}

impl<S: AsFd> Drop for Source<S> {
    fn drop(&mut self) {
        // Out of epoll before the fd closes (the field drops after this).
        self.deregister();
    }
}

impl<S: AsFd + fmt::Debug> fmt::Debug for Source<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("io", &self.io)
            .field("registered", &self.registration.get().is_some())
            .finish()
    }
}
