//! `PollDesc`: the per-fd descriptor futures wait in, after Go's netpoll
//! `pollDesc` — a read slot and a write slot, a closing flag and deadline
//! flags (Go's `atomicInfo`), and the registry token its epoll events carry.
//!
//! Callers do optimistic I/O through [`PollDesc::poll_io`]: try the syscall,
//! and only on `EAGAIN` wait in the direction's slot. The reactor reports
//! readiness with Go's event mapping (`netpollready`): `EPOLLIN | EPOLLRDHUP
//! | EPOLLHUP | EPOLLERR` unblocks the read slot, `EPOLLOUT | EPOLLHUP |
//! EPOLLERR` the write slot. An error event only wakes; the retried syscall
//! reports the error itself (or EOF).
//!
//! This file knows how a descriptor's state is checked and unblocked; it does
//! not know how tasks are queued, nor how epoll is driven (`poller.rs`).

mod slot;
mod waiters;

#[cfg(test)]
mod tests;

#[cfg(all(test, loom))]
mod loom_slot;

use std::fmt;
use std::io;
use std::task::{Context, Poll, Waker};

use crate::loom::{AtomicU32, Ordering::AcqRel, Ordering::Acquire};
use crate::sys::EventBits;
use crate::token::Token;
pub(crate) use slot::Slot;

/// The two directions a task can wait in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Waiting to read (or accept, or receive).
    Read,
    /// Waiting to write (or finish connecting, or send).
    Write,
}

/// `info` bit: the descriptor is being closed (Go's `pollClosing`).
const CLOSING: u32 = 1 << 0;
/// `info` bit: the read deadline has passed (Go's `pollExpiredReadDeadline`).
const READ_EXPIRED: u32 = 1 << 1;
/// `info` bit: the write deadline has passed (Go's `pollExpiredWriteDeadline`).
const WRITE_EXPIRED: u32 = 1 << 2;

/// A registered file descriptor's readiness, shared by the tasks doing I/O
/// on it and the poller that reports its events.
///
/// Obtained from [`Poller::register`](crate::Poller::register); the
/// descriptor stays usable until
/// [`Poller::deregister`](crate::Poller::deregister), after which every
/// wait on it fails.
///
/// # Waiters per direction
///
/// The intended use is one task reading and one task writing. A second task
/// waiting in the same direction (Go's "double wait", a fatal error there)
/// is allowed: every task parked in a direction is woken by its next
/// readiness event, so no wake-up is ever lost and no waiter displaces
/// another.
pub struct PollDesc {
    read: Slot,
    write: Slot,
    /// `CLOSING | READ_EXPIRED | WRITE_EXPIRED` (Go's `atomicInfo`).
    ///
    /// # Invariant
    /// A bit is published here before the slots it concerns are unblocked
    /// (Go's `publishInfo` before `netpollunblock`), so a registrant that
    /// re-checks after entering `WAIT` either sees it or is unblocked.
    info: AtomicU32,
    token: Token,
}

impl PollDesc {
    pub(crate) fn new(token: Token) -> PollDesc {
        PollDesc {
            read: Slot::new(),
            write: Slot::new(),
            info: AtomicU32::new(0),
            token,
        }
    }

    /// The registry token this descriptor's epoll events carry.
    pub(crate) fn token(&self) -> Token {
        self.token
    }

    fn slot(&self, dir: Direction) -> &Slot {
        match dir {
            Direction::Read => &self.read,
            Direction::Write => &self.write,
        }
    }

    /// Go's `netpollcheckerr`: why `dir` cannot wait, if it cannot.
    fn check(&self, dir: Direction) -> io::Result<()> {
        let info = self.info.load(Acquire);
        if info & CLOSING != 0 {
            return Err(closed_error());
        }
        let expired = match dir {
            Direction::Read => READ_EXPIRED,
            Direction::Write => WRITE_EXPIRED,
        };
        if info & expired != 0 {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "i/o deadline reached",
            ));
        }
        Ok(())
    }

    /// Waits until `dir` may be ready: Go's `poll_runtime_pollWait`.
    ///
    /// `Ready(Ok(()))` means readiness was reported since the last time it
    /// was consumed, so the caller should retry its syscall (a spurious
    /// `Ready` just costs that syscall an `EAGAIN`). `Ready(Err(_))` means
    /// the descriptor was closed (deregistered) or the direction's deadline
    /// passed. `Pending` means the task's waker is parked and will be woken
    /// by the next event.
    pub fn poll_ready(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.slot(dir).poll_ready(cx.waker(), || self.check(dir))
    }

    /// Optimistic I/O, written once for every caller: checks the descriptor
    /// (Go's `pd.prepare`), tries `op`, and only when it fails with
    /// `WouldBlock` waits in `dir`'s slot before trying again.
    ///
    /// Each call spends one unit of the running task's cooperative budget
    /// ([`coop`](crate::coop)); with none left it returns `Pending` (the task
    /// is woken to run again) before trying `op`, so an always-ready socket
    /// cannot keep its loop to itself.
    pub fn poll_io<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        if let Err(e) = self.check(dir) {
            return Poll::Ready(Err(e));
        }
        std::task::ready!(crate::coop::poll_proceed(cx));
        loop {
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Err(e) = std::task::ready!(self.poll_ready(dir, cx)) {
                        return Poll::Ready(Err(e));
                    }
                }
                result => return Poll::Ready(result),
            }
        }
    }

    /// Whether the descriptor has been closed (deregistered).
    pub fn is_closing(&self) -> bool {
        self.info.load(Acquire) & CLOSING != 0
    }

    /// Marks `dir`'s deadline as passed and wakes its waiters, whose waits
    /// then fail with `ErrorKind::TimedOut` until
    /// [`clear_deadline`](Self::clear_deadline). This is the hook Go's
    /// `netpolldeadlineimpl` is; timers drive it.
    pub fn expire_deadline(&self, dir: Direction) {
        let bit = match dir {
            Direction::Read => READ_EXPIRED,
            Direction::Write => WRITE_EXPIRED,
        };
        // publishInfo before netpollunblock (see the `info` invariant).
        self.info.fetch_or(bit, AcqRel);
        let mut wakers = Vec::new();
        self.slot(dir).unblock(&mut wakers);
        wake_all(wakers);
    }

    /// Clears `dir`'s expired deadline, so waits in that direction block
    /// again (a deadline moved into the future).
    pub fn clear_deadline(&self, dir: Direction) {
        let bit = match dir {
            Direction::Read => READ_EXPIRED,
            Direction::Write => WRITE_EXPIRED,
        };
        self.info.fetch_and(!bit, AcqRel);
    }

    /// Go's `netpollready`: unblocks the slots `bits` concern, moving their
    /// wakers into `out`. Returns how many slots had a parked task.
    pub(crate) fn ready(&self, bits: EventBits, out: &mut Vec<Waker>) -> usize {
        let mut woken = 0;
        if bits.is_readable() {
            woken += usize::from(self.read.unblock(out));
        }
        if bits.is_writable() {
            woken += usize::from(self.write.unblock(out));
        }
        woken
    }

    /// Go's `poll_runtime_pollUnblock`: publishes the closing flag, then
    /// unblocks both slots, moving their wakers into `out`. Every wait from
    /// now on fails.
    ///
    /// Go unblocks with `ioready = false` here (and on deadlines) so that no
    /// readiness is latched; netloop always latches `READY` and lets the
    /// check at the top of every wait turn it into the error. One rule for
    /// every unblock is simpler to model, and the stale `READY` a cleared
    /// deadline leaves behind costs a single `EAGAIN`.
    pub(crate) fn close(&self, out: &mut Vec<Waker>) {
        self.info.fetch_or(CLOSING, AcqRel);
        self.read.unblock(out);
        self.write.unblock(out);
    }
}

impl fmt::Debug for PollDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollDesc")
            .field("token", &self.token)
            .field("info", &self.info.load(Acquire))
            .finish_non_exhaustive()
    }
}

/// The error a wait on a closed descriptor returns (Go's `ErrNetClosing`).
pub(crate) fn closed_error() -> io::Error {
    io::Error::other("use of a closed descriptor: it was deregistered from its poller")
}

/// Wakes each waker, surviving one that panics (as async-io's reactor does):
/// a broken waker must not take the event loop down with it. Returns how many
/// panicked.
pub(crate) fn wake_all(wakers: impl IntoIterator<Item = Waker>) -> usize {
    let mut panicked = 0;
    for waker in wakers {
        let woke = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
        panicked += usize::from(woke.is_err());
    }
    panicked
}
