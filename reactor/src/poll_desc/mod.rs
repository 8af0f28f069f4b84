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

use std::sync::{Arc, Mutex, MutexGuard};

use crate::loom::{AtomicU32, Ordering::AcqRel, Ordering::Acquire};
use crate::sys::EventBits;
use crate::time::entry::TimerEntry;
use crate::time::{Instant, timers};
use crate::token::Token;
use slot::Slot;

/// The two directions a task can wait in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Waiting to read (or accept, or receive).
    Read,
    /// Waiting to write (or finish connecting, or send).
    Write,
}

impl Direction {
    fn index(self) -> usize {
        match self {
            Direction::Read => 0,
            Direction::Write => 1,
        }
    }

    fn expired_bit(self) -> u32 {
        match self {
            Direction::Read => READ_EXPIRED,
            Direction::Write => WRITE_EXPIRED,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// `info` bit: the descriptor is being closed (Go's `pollClosing`).
const CLOSING: u32 = 1 << 0;
/// `info` bit: the read deadline has passed (Go's `pollExpiredReadDeadline`).
const READ_EXPIRED: u32 = 1 << 1;
/// `info` bit: the write deadline has passed (Go's `pollExpiredWriteDeadline`).
const WRITE_EXPIRED: u32 = 1 << 2;
/// `info` bit, sticky: an event said the read side is closed (`EPOLLRDHUP`
/// or `EPOLLHUP`): what tokio's `Ready::READ_CLOSED` reports.
const READ_CLOSED_SEEN: u32 = 1 << 3;
/// `info` bit, sticky: an event said both sides are closed (`EPOLLHUP`).
const WRITE_CLOSED_SEEN: u32 = 1 << 4;
/// `info` bit, sticky: an event reported an error (`EPOLLERR`).
const ERROR_SEEN: u32 = 1 << 5;

/// The closed and error conditions a descriptor's events have reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) read_closed: bool,
    pub(crate) write_closed: bool,
    pub(crate) error: bool,
}

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
    /// The timers armed for the read and write deadlines (Go's `rt`/`wt`).
    ///
    /// # Invariant
    /// A deadline timer expires its direction only while it is still the
    /// one held here, checked under this lock; re-arming or clearing swaps
    /// it out under the same lock, so a timer firing concurrently with a
    /// move of the deadline never expires the new one.
    deadline_timers: [Mutex<Option<Arc<TimerEntry>>>; 2],
}

impl PollDesc {
    pub(crate) fn new(token: Token) -> PollDesc {
        PollDesc {
            read: Slot::new(),
            write: Slot::new(),
            info: AtomicU32::new(0),
            token,
            deadline_timers: [Mutex::new(None), Mutex::new(None)],
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
    pub(crate) fn check(&self, dir: Direction) -> io::Result<()> {
        let info = self.info.load(Acquire);
        if info & CLOSING != 0 {
            return Err(closed_error());
        }
        if info & dir.expired_bit() != 0 {
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

    /// Consumes `dir`'s latched readiness; returns whether there was some
    /// (see `Slot::consume_ready`).
    pub(crate) fn consume_ready(&self, dir: Direction) -> bool {
        self.slot(dir).consume_ready()
    }

    /// The closed and error conditions its events have reported so far.
    pub(crate) fn seen(&self) -> Seen {
        let info = self.info.load(Acquire);
        Seen {
            read_closed: info & READ_CLOSED_SEEN != 0,
            write_closed: info & WRITE_CLOSED_SEEN != 0,
            error: info & ERROR_SEEN != 0,
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
        // publishInfo before netpollunblock (see the `info` invariant).
        self.info.fetch_or(dir.expired_bit(), AcqRel);
        let mut wakers = Vec::new();
        self.slot(dir).unblock(&mut wakers);
        wake_all(wakers);
    }

    /// Sets (or with `None` clears) `dir`'s deadline, Go's
    /// `SetReadDeadline` / `SetWriteDeadline` (`poll_runtime_pollSetDeadline`):
    /// once `deadline` passes, a wait in that direction — pending or
    /// future — fails with `ErrorKind::TimedOut`, until the deadline is
    /// moved or cleared. A deadline already past expires at once.
    ///
    /// The timer is armed on the netloop loop this is called on, or, on a
    /// thread that only entered a runtime, on one of its loops.
    ///
    /// # Errors
    ///
    /// `ErrorKind::Other` when called on a thread that neither runs a
    /// netloop loop nor entered a runtime (and the deadline is in the
    /// future).
    pub fn set_deadline(
        self: &Arc<Self>,
        dir: Direction,
        deadline: Option<Instant>,
    ) -> io::Result<()> {
        let mut armed = lock(&self.deadline_timers[dir.index()]);
        if let Some(old) = armed.take() {
            old.cancel();
            // Out of this loop's wheel at once if it armed the old timer.
            timers::with_current(|timers| {
                if let Some(timers) = timers {
                    timers.cancel(&old);
                }
            });
        }
        self.clear_deadline(dir);
        let Some(deadline) = deadline else {
            return Ok(());
        };
        if deadline <= Instant::now() {
            drop(armed);
            self.expire_deadline(dir);
            return Ok(());
        }
        let entry = Arc::new(TimerEntry::deadline(Arc::downgrade(self), dir));
        let armed_here = timers::with_current(|timers| {
            timers
                .map(|timers| timers.arm(deadline, entry.clone()))
                .is_some()
        });
        if !armed_here && !timers::arm_remotely(deadline, entry.clone()) {
            return Err(io::Error::other(
                "a deadline can only be set inside a netloop runtime (in a task, in \
                 `block_on`, or on a thread that entered one)",
            ));
        }
        *armed = Some(entry);
        Ok(())
    }

    /// A deadline timer fired: expires `dir` if `entry` is still the armed
    /// one (see the `deadline_timers` invariant).
    pub(crate) fn deadline_fired(&self, entry: &TimerEntry, dir: Direction, out: &mut Vec<Waker>) {
        let armed = lock(&self.deadline_timers[dir.index()]);
        if armed.as_deref().is_some_and(|a| std::ptr::eq(a, entry)) {
            self.info.fetch_or(dir.expired_bit(), AcqRel);
            self.slot(dir).unblock(out);
        }
    }

    /// Clears `dir`'s expired deadline, so waits in that direction block
    /// again (a deadline moved into the future).
    pub fn clear_deadline(&self, dir: Direction) {
        self.info.fetch_and(!dir.expired_bit(), AcqRel);
    }

    /// Go's `netpollready`: unblocks the slots `bits` concern, moving their
    /// wakers into `out`. Returns how many slots had a parked task.
    pub(crate) fn ready(&self, bits: EventBits, out: &mut Vec<Waker>) -> usize {
        let mut seen = 0;
        if bits.is_read_closed() {
            seen |= READ_CLOSED_SEEN;
        }
        if bits.contains(EventBits::HUP) {
            seen |= WRITE_CLOSED_SEEN;
        }
        if bits.is_error() {
            seen |= ERROR_SEEN;
        }
        if seen != 0 {
            // Published before the slots are unblocked, so a woken task
            // sees it.
            self.info.fetch_or(seen, AcqRel);
        }
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

/// The error a wait on a closed descriptor returns (Go's `ErrNetClosing`):
/// its loop shut down (or it was deregistered), recognised by
/// [`is_shutdown_err`](crate::is_shutdown_err).
pub(crate) fn closed_error() -> io::Error {
    crate::shutdown::error(
        "use of a closed descriptor: its event loop has shut down (or it was deregistered \
         from its poller)",
    )
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
