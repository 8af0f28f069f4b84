//! `PollDesc`: the per-fd descriptor futures wait in, after Go's netpoll
//! `pollDesc` — a read slot and a write slot, a closing flag and deadline
//! flags (Go's `atomicInfo`), the registry token its epoll events carry,
//! and per direction a *hint* of what the last syscalls learnt (tokio's
//! readiness).
//!
//! Callers do optimistic I/O through [`PollDesc::poll_io`] (accept,
//! datagrams) or [`PollDesc::poll_stream_io`] (byte streams), built to make
//! one read and one write per request/response round trip:
//!
//! 1. Go's `prepareRead` → `pollReset`: before the syscall, an edge latched
//!    earlier is forgotten — its bytes are what this syscall reads — so
//!    that an `EAGAIN` parks the task instead of retrying on a stale edge.
//! 2. The syscall; on `EAGAIN`, wait in the slot (Go's `netpollblock`).
//! 3. tokio's short-read rule: a stream read (or write) that moved fewer
//!    bytes than asked emptied the kernel's queue (or filled it), so the
//!    next operation in that direction waits for an edge before its
//!    syscall — the `EAGAIN` a request/response peer would otherwise meet
//!    every time is never made. A direction an event reported closed does
//!    not wait after a short result (no edge follows a `FIN` already
//!    reported), but does after `EAGAIN` (a FIFO a new writer reopened).
//!
//! The reactor reports readiness with Go's event mapping (`netpollready`):
//! `EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR` unblocks the read slot,
//! `EPOLLOUT | EPOLLHUP | EPOLLERR` the write slot. An error event only
//! wakes; the retried syscall reports the error itself (or EOF).
//!
//! This file knows how a descriptor's state is checked and unblocked and
//! how an operation goes from syscall to wait; it does not know how tasks
//! are queued, nor how epoll is driven (`poller.rs`).

mod hint;
mod slot;
mod waiters;

#[cfg(test)]
mod io_tests;
#[cfg(test)]
mod tests;

#[cfg(all(test, loom))]
mod loom_io;
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
use hint::Hint;
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
    /// Read, write: what the syscalls in that direction learnt of the
    /// kernel's queue since its last edge (`hint.rs`).
    hints: [Hint; 2],
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
            hints: [Hint::new(), Hint::new()],
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

    fn hint(&self, dir: Direction) -> &Hint {
        &self.hints[dir.index()]
    }

    /// Go's `netpollcheckerr`: why `dir` cannot wait, if it cannot.
    pub(crate) fn check(&self, dir: Direction) -> io::Result<()> {
        check_info(self.info.load(Acquire), dir)
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

    /// Optimistic I/O for operations whose success says nothing of the
    /// kernel's queue (accept, datagrams): checks the descriptor (closing,
    /// deadline), spends a unit of the task's cooperative budget (with none
    /// left: `Pending`, the task woken to run again, before `op` is tried),
    /// resets the slot and tries `op`; only when it fails with `WouldBlock`
    /// waits for readiness and tries again (the steps in the module doc).
    pub fn poll_io<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_with(dir, cx, op, never_drained)
    }

    /// Optimistic I/O on a byte stream: as [`poll_io`](Self::poll_io), and
    /// a read or write of `len` bytes that moved fewer (but some) emptied
    /// the kernel's queue (tokio's short-read rule), so the next operation
    /// in `dir` waits for readiness before its syscall.
    pub fn poll_stream_io(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        len: usize,
        op: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_io_with(dir, cx, op, short_of(len))
    }

    /// The one optimistic-I/O path: checks the descriptor (Go's
    /// `netpollcheckerr`), spends a unit of the task's cooperative budget,
    /// then
    ///
    /// - if the last syscall in `dir` found the queue empty (its hint is
    ///   `DRAINED`), waits in the slot first — only an edge since then can
    ///   have brought anything (tokio's rule) — and makes the syscall once
    ///   the edge is consumed;
    /// - otherwise resets the slot (Go's `prepareRead` → `pollReset`: an
    ///   edge latched before now is for bytes this syscall will see anyway)
    ///   and makes the syscall, so that after `EAGAIN` the wait parks
    ///   instead of retrying on a stale edge.
    ///
    /// After `WouldBlock` it waits for the next edge and tries again. A
    /// `WouldBlock`, or a result `drained` says emptied the queue, moves the
    /// hint to `DRAINED` (unless readiness was recorded meanwhile, see
    /// `hint.rs`: then it retries at once); any other success marks it
    /// `SEEN` (more may be queued).
    ///
    /// With no budget left it returns `Pending` (the task is woken to run
    /// again) before trying `op`, so an always-ready socket cannot keep its
    /// loop to itself.
    pub(crate) fn poll_io_with<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut() -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        // One load of the descriptor's flags serves both the check and the
        // final-state test below: a read-closed flag published after it
        // comes with an unblock of the slot, which the wait then consumes.
        let info = self.info.load(Acquire);
        if let Err(e) = check_info(info, dir) {
            return Poll::Ready(Err(e));
        }
        std::task::ready!(crate::coop::poll_proceed(cx));
        let slot = self.slot(dir);
        let hint = self.hint(dir);
        let is_final = is_final_info(info, dir);
        // Whether this call consumed an edge since its last syscall: the
        // next syscall then follows at once (no reset, no wait), and its
        // result alone settles the hint.
        let mut edge = false;
        loop {
            let before = hint.snapshot();
            if !edge {
                if before.is_drained() && !is_final {
                    // tokio's rule: the last syscall found the queue empty;
                    // only an edge since can have filled it.
                    std::task::ready!(self.wait_edge(slot, dir, cx))?;
                    edge = true;
                } else {
                    // Go's pollReset, then the syscall.
                    slot.reset();
                }
            }
            let after_edge = std::mem::take(&mut edge);
            match op() {
                Err(e) if is_would_block(&e) => {
                    // netpollblock: wait for the next edge before the next
                    // syscall — also in a direction an event reported
                    // closed (a FIFO a new writer opened) — unless
                    // readiness was recorded since the reset (then retry).
                    if after_edge || hint.mark_drained(before) {
                        std::task::ready!(self.wait_edge(slot, dir, cx))?;
                        edge = true;
                    }
                }
                Ok(r) if drained(&r) => {
                    if !after_edge {
                        hint.mark_drained(before);
                    }
                    return Poll::Ready(Ok(r));
                }
                Ok(r) => {
                    // More may be queued.
                    if after_edge || !before.is_seen() {
                        hint.mark_seen();
                    }
                    return Poll::Ready(Ok(r));
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Go's `netpollblock` for the optimistic path: consumes an edge
    /// latched since the last syscall (a woken task's case: a load and a
    /// CAS), or parks the task until one arrives.
    fn wait_edge(&self, slot: &Slot, dir: Direction, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if slot.consume_ready() {
            Poll::Ready(Ok(()))
        } else {
            slot.poll_ready(cx.waker(), || self.check(dir))
        }
    }

    /// One attempt, no waiting (tokio's `try_read` & co.). With the hint
    /// `DRAINED` and no edge latched since, `WouldBlock` without a syscall
    /// (tokio's readiness was cleared); otherwise the syscall, after the
    /// slot's reset, and a `WouldBlock` moves the hint to `DRAINED`. Unlike
    /// the waiting path, a short result does not: tokio's `try_read` keeps
    /// readiness until `WouldBlock`, and its users' "read until
    /// `WouldBlock`" loops count on that. A passed deadline or a closed
    /// descriptor fails it, as Go's `prepareRead` / `prepareWrite` do.
    pub(crate) fn try_io<R>(
        &self,
        dir: Direction,
        op: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.check(dir)?;
        let slot = self.slot(dir);
        let hint = self.hint(dir);
        let mut before = hint.snapshot();
        if before.is_drained() && !self.is_final(dir) {
            if !slot.consume_ready() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            hint.mark_seen();
            before = hint.snapshot();
        } else {
            slot.reset();
        }
        let result = op();
        match &result {
            Err(e) if is_would_block(e) => {
                hint.mark_drained(before);
            }
            Ok(_) if !before.is_seen() => hint.mark_seen(),
            _ => {}
        }
        result
    }

    /// tokio's `try_io`: runs `op` only if `dir` may be ready — readiness
    /// was seen and not disproven, or an edge is latched (consumed now,
    /// before `op` runs, so one arriving while it runs is latched anew) —
    /// and otherwise fails with `WouldBlock` without running it. A
    /// `WouldBlock` from `op` moves the hint to `DRAINED`.
    pub(crate) fn try_io_when_ready<R>(
        &self,
        dir: Direction,
        op: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.check(dir)?;
        let hint = self.hint(dir);
        let slot = self.slot(dir);
        if !hint.snapshot().is_seen() {
            if !slot.consume_ready() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            hint.mark_seen();
        } else {
            slot.reset();
        }
        let before = hint.snapshot();
        let result = op();
        if matches!(&result, Err(e) if is_would_block(e)) {
            hint.mark_drained(before);
        }
        result
    }

    /// Waits until `dir` may be ready, with tokio's meaning (`readable()`,
    /// `writable()`): at once while readiness seen is not disproven, else
    /// until an edge arrives, which is then recorded as seen.
    pub(crate) fn poll_hinted_ready(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        if self.hint(dir).snapshot().is_seen() || self.is_final(dir) {
            // Still fails once the loop shut down or the deadline passed.
            return Poll::Ready(self.check(dir));
        }
        std::task::ready!(self.poll_ready(dir, cx))?;
        self.hint(dir).mark_seen();
        Poll::Ready(Ok(()))
    }

    /// Records readiness in `dir` as seen without a syscall: a fresh
    /// accepted stream or pair starts ready, as in tokio, and a wait for an
    /// error that met plain readiness leaves it for a reader.
    pub(crate) fn mark_seen(&self, dir: Direction) {
        self.hint(dir).mark_seen();
    }

    /// Whether an event has reported `dir` closed: tokio's final states
    /// (`READ_CLOSED`, `WRITE_CLOSED`, never cleared). No edge follows
    /// them, so a `DRAINED` hint no longer means "wait": a short read that
    /// stopped at the peer's `FIN` (data and end of stream arrived
    /// together) is followed by the `0` that reports it, not by a wait for
    /// an edge that already came. An error is not final (tokio clears
    /// `ERROR`): a datagram socket's ICMP error is reported once, and then
    /// `EAGAIN` again; a fatal stream error comes with `EPOLLHUP`.
    fn is_final(&self, dir: Direction) -> bool {
        is_final_info(self.info.load(Acquire), dir)
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

/// `check` on a loaded `info` word.
fn check_info(info: u32, dir: Direction) -> io::Result<()> {
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

/// `is_final` on a loaded `info` word.
fn is_final_info(info: u32, dir: Direction) -> bool {
    let closed = match dir {
        Direction::Read => READ_CLOSED_SEEN,
        Direction::Write => WRITE_CLOSED_SEEN,
    };
    info & closed != 0
}

fn is_would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// For results that never say the queue is empty (accept, datagrams).
fn never_drained<R>(_: &R) -> bool {
    false
}

/// For a byte stream's read or write of `len` bytes: moving fewer than
/// asked, but some, empties the kernel's queue (a receive queue read dry, a
/// send buffer filled). `0` is end of stream (or an empty buffer), which
/// stays readable.
pub(crate) fn short_of(len: usize) -> impl Fn(&usize) -> bool {
    move |&n| n > 0 && n < len
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
