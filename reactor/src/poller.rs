//! The `Poller`, gnet's Poller: one epoll instance, its wake-up eventfd
//! guarded by the wake signal, the urgent and normal remote task queues, and
//! the registry of descriptors its events are dispatched to.
//!
//! One thread drives a poller ([`Poller::poll`], [`Poller::drain_tasks`]);
//! any thread may register descriptors, push tasks and wake it. A turn is:
//! `epoll_wait` → look every event's token up in the registry under one lock
//! → unblock the slots it concerns, collecting their wakers → release the
//! lock → wake the collected wakers, surviving any that panics.
//!
//! This file knows nothing of tasks beyond "a `T` someone queued": what they
//! are, and when the loop runs them, is the executor's business.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::Waker;
use std::time::Duration;

use crate::poll_desc::{self, PollDesc};
use crate::queues::{Drained, RemoteQueues};
use crate::registry::Registry;
use crate::sys::{Epoll, EventBits, EventFd, Events};
use crate::token::Token;
use crate::wake_signal::WakeSignal;

/// How many events one `epoll_wait` fetches at first; the buffer doubles
/// (up to [`MAX_EVENTS`]) whenever a wait fills it, as gnet's does.
pub const DEFAULT_EVENTS: usize = 128;
/// The largest event buffer a poller grows to.
pub const MAX_EVENTS: usize = 4096;
/// How many normal-queue tasks one drain takes (gnet's
/// `MaxAsyncTasksAtOneTime`).
pub const DEFAULT_NORMAL_BATCH: usize = 256;

/// The loop-owned buffers of one poller: the raw event batch and the wakers
/// collected from it. Kept between turns so that a turn allocates nothing.
#[derive(Debug)]
pub struct EventBuffer {
    events: Events,
    wakers: Vec<Waker>,
}

impl EventBuffer {
    /// A buffer that fetches up to `capacity` events per wait at first.
    pub fn with_capacity(capacity: usize) -> EventBuffer {
        EventBuffer {
            events: Events::with_capacity(capacity.clamp(1, MAX_EVENTS)),
            wakers: Vec::new(),
        }
    }

    /// How many events one wait can fetch now.
    pub fn capacity(&self) -> usize {
        self.events.capacity()
    }
}

impl Default for EventBuffer {
    fn default() -> EventBuffer {
        EventBuffer::with_capacity(DEFAULT_EVENTS)
    }
}

/// What one [`Poller::poll`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Turn {
    /// Events dispatched to registered descriptors.
    pub io_events: usize,
    /// Events dropped because their descriptor was deregistered.
    pub stale_events: usize,
    /// Wakers woken.
    pub woken: usize,
    /// Whether the wake-up eventfd fired: the remote queues have work, or
    /// someone called [`Poller::wake`].
    pub wake_signal: bool,
}

/// Counters of one poller since its creation, readable from any thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollerStats {
    /// Completed [`Poller::poll`] calls.
    pub turns: u64,
    /// Events dispatched to registered descriptors.
    pub io_events: u64,
    /// Events dropped because their descriptor was gone.
    pub stale_events: u64,
    /// Wakers woken by dispatch.
    pub wakers_woken: u64,
    /// Wakers that panicked while being woken (the loop survived them).
    pub waker_panics: u64,
    /// Calls that asked for a wake-up: [`Poller::wake`] and task pushes.
    pub wake_requests: u64,
    /// `write(2)`s to the wake-up eventfd actually made.
    pub eventfd_writes: u64,
    /// The sum of the eventfd counters the loop drained: what the kernel saw
    /// written, counted independently of `eventfd_writes`.
    pub eventfd_drained: u64,
    /// Tasks taken from the urgent queue.
    pub urgent_tasks: u64,
    /// Tasks taken from the normal queue.
    pub normal_tasks: u64,
}

#[derive(Debug, Default)]
struct Counters {
    turns: AtomicU64,
    io_events: AtomicU64,
    stale_events: AtomicU64,
    wakers_woken: AtomicU64,
    waker_panics: AtomicU64,
    wake_requests: AtomicU64,
    eventfd_writes: AtomicU64,
    eventfd_drained: AtomicU64,
    urgent_tasks: AtomicU64,
    normal_tasks: AtomicU64,
}

/// An epoll instance with its wake-up eventfd, remote task queues and
/// descriptor registry: the I/O half of one event loop.
///
/// `T` is whatever the driving executor queues across threads (netloop's
/// executor queues `async_task::Runnable`s).
pub struct Poller<T> {
    epoll: Epoll,
    wake_fd: EventFd,
    signal: WakeSignal,
    queues: RemoteQueues<T>,
    registry: Registry,
    normal_batch: usize,
    counters: Counters,
}

impl<T> Poller<T> {
    /// Creates a poller with an empty registry and empty queues.
    pub fn new() -> io::Result<Poller<T>> {
        Poller::with_normal_batch(DEFAULT_NORMAL_BATCH)
    }

    /// Creates a poller whose [`drain_tasks`](Self::drain_tasks) takes at
    /// most `normal_batch` (at least 1) normal-queue tasks per call.
    pub fn with_normal_batch(normal_batch: usize) -> io::Result<Poller<T>> {
        let epoll = Epoll::new()?;
        let wake_fd = EventFd::new()?;
        // Level-triggered: the loop drains the eventfd whenever it fires, and
        // a level registration cannot miss a write that raced with a drain.
        epoll.add(wake_fd.as_fd(), Token::WAKE.to_u64(), EventBits::IN)?;
        Ok(Poller {
            epoll,
            wake_fd,
            signal: WakeSignal::new(),
            queues: RemoteQueues::new(),
            registry: Registry::default(),
            normal_batch: normal_batch.max(1),
            counters: Counters::default(),
        })
    }

    /// Registers `fd` edge-triggered for both directions, once for its whole
    /// life (Go's `netpollopen`: `EPOLLIN | EPOLLOUT | EPOLLRDHUP |
    /// EPOLLET`), and returns the descriptor its tasks wait in.
    ///
    /// The caller must [`deregister`](Self::deregister) it before closing
    /// `fd`.
    pub fn register(&self, fd: BorrowedFd<'_>) -> io::Result<Arc<PollDesc>> {
        self.register_with(fd, EventBits::EDGE_READ_WRITE)
    }

    /// Registers `fd` with another interest than [`register`]'s, for the
    /// rare descriptor that needs one (say, level-triggered reads only).
    /// Events are still mapped to the read and write slots as Go maps them.
    ///
    /// [`register`]: Self::register
    pub fn register_with(
        &self,
        fd: BorrowedFd<'_>,
        interest: EventBits,
    ) -> io::Result<Arc<PollDesc>> {
        let desc = self.registry.insert()?;
        let token = desc.token();
        if let Err(e) = self.epoll.add(fd, token.to_u64(), interest) {
            self.registry.remove(&desc, true);
            return Err(e);
        }
        Ok(desc)
    }

    /// Changes the interest of `fd`, registered as `desc` (`EPOLL_CTL_MOD`),
    /// keeping its descriptor, token and waiters. Fails on a closed
    /// descriptor.
    pub fn modify(
        &self,
        fd: BorrowedFd<'_>,
        desc: &PollDesc,
        interest: EventBits,
    ) -> io::Result<()> {
        if desc.is_closing() {
            return Err(poll_desc::closed_error());
        }
        self.epoll.modify(fd, desc.token().to_u64(), interest)
    }

    /// Removes `fd` from epoll, then closes `desc`: every task waiting in it
    /// is woken, and every wait from now on fails. Call this before closing
    /// `fd`. The descriptor's registry slot is reused only after the batch
    /// being dispatched (if any) is done, and with a new generation.
    ///
    /// A descriptor this poller does not hold (another poller's, or one
    /// already deregistered) is refused with `ErrorKind::NotFound` and left
    /// untouched.
    pub fn deregister(&self, fd: BorrowedFd<'_>, desc: &PollDesc) -> io::Result<()> {
        if !self.registry.remove(desc, false) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "descriptor is not registered with this poller",
            ));
        }
        // From here on its events are stale: the slot's generation moved.
        let removed = self.epoll.delete(fd);
        let mut wakers = Vec::new();
        desc.close(&mut wakers);
        poll_desc::wake_all(wakers);
        removed
    }

    /// Closes every registered descriptor (their waiters wake with the
    /// closed error) and refuses registrations from now on: the loop is
    /// shutting down. The fds themselves stay with their owners, who close
    /// them; `deregister` of a closed descriptor reports `NotFound`.
    pub fn close(&self) {
        let mut wakers = Vec::new();
        self.registry.close(|desc| desc.close(&mut wakers));
        poll_desc::wake_all(wakers);
    }

    /// How many descriptors are registered.
    pub fn registered(&self) -> usize {
        self.registry.len()
    }

    /// Queues `task` on the normal queue and wakes the loop (gnet's
    /// `Trigger`).
    pub fn trigger(&self, task: T) {
        self.queues.normal.push(task);
        self.wake();
    }

    /// Queues `task` on the urgent queue and wakes the loop (gnet's
    /// `UrgentTrigger`): the next drain takes it before any normal task.
    pub fn urgent_trigger(&self, task: T) {
        self.queues.urgent.push(task);
        self.wake();
    }

    /// Makes the current or next [`poll`](Self::poll) return with
    /// [`Turn::wake_signal`] set. Any number of calls before the loop sees
    /// the first one cost one eventfd write between them.
    pub fn wake(&self) {
        self.counters.wake_requests.fetch_add(1, Relaxed);
        if self.signal.raise() {
            // Only fails if the counter is about to overflow (it is then
            // readable anyway, which is what we want) or the fd is broken.
            let written = self.wake_fd.signal();
            debug_assert!(written.is_ok(), "eventfd write failed: {written:?}");
            self.counters.eventfd_writes.fetch_add(1, Relaxed);
        }
    }

    /// One turn: waits up to `timeout` (`None`: until an event or a wake-up;
    /// `Some(Duration::ZERO)`: not at all) and dispatches what it fetched.
    ///
    /// Every event's descriptor has its slots unblocked with Go's mapping,
    /// and the parked tasks' wakers are woken after the registry lock is
    /// released. An event for a descriptor deregistered meanwhile is
    /// recognised by its generation and dropped. When the wake-up eventfd
    /// fired, it is drained and the wake signal lowered *before* this
    /// returns, so the caller's next [`drain_tasks`](Self::drain_tasks) sees
    /// everything pushed before the signal was lowered.
    ///
    /// Meant to be called by one thread at a time (the loop's).
    pub fn poll(&self, buf: &mut EventBuffer, timeout: Option<Duration>) -> io::Result<Turn> {
        let fetched = self.epoll.wait(&mut buf.events, timeout)?;
        let mut turn = Turn::default();
        {
            let mut slab = self.registry.lock();
            for (raw, bits) in buf.events.iter() {
                let token = Token::from_u64(raw);
                if token == Token::WAKE {
                    turn.wake_signal = true;
                    continue;
                }
                match slab.get(token) {
                    Some(desc) => {
                        desc.ready(bits, &mut buf.wakers);
                        turn.io_events += 1;
                    }
                    None => turn.stale_events += 1,
                }
            }
            // The batch is dispatched: slots freed before it may be reused.
            slab.release_freed();
        }
        if turn.wake_signal {
            let drained = self.wake_fd.drain()?;
            self.counters.eventfd_drained.fetch_add(drained, Relaxed);
            self.signal.reset();
        }
        turn.woken = buf.wakers.len();
        let panics = poll_desc::wake_all(buf.wakers.drain(..));

        if fetched == buf.events.capacity() && fetched < MAX_EVENTS {
            buf.events = Events::with_capacity((fetched * 2).min(MAX_EVENTS));
        }
        let c = &self.counters;
        c.turns.fetch_add(1, Relaxed);
        if turn.io_events + turn.stale_events > 0 {
            c.io_events.fetch_add(turn.io_events as u64, Relaxed);
            c.stale_events.fetch_add(turn.stale_events as u64, Relaxed);
            c.wakers_woken.fetch_add(turn.woken as u64, Relaxed);
        }
        if panics > 0 {
            c.waker_panics.fetch_add(panics as u64, Relaxed);
        }
        Ok(turn)
    }

    /// Hands `run` every urgent task queued when the drain began, then up to
    /// the normal batch of normal tasks. If tasks are left behind, the loop
    /// is woken again (gnet re-triggers the same way), so nothing is
    /// stranded when it next blocks.
    pub fn drain_tasks(&self, run: impl FnMut(T)) -> Drained {
        let drained = self.queues.drain(self.normal_batch, run);
        if drained.more {
            self.wake();
        }
        let c = &self.counters;
        if drained.urgent > 0 {
            c.urgent_tasks.fetch_add(drained.urgent as u64, Relaxed);
        }
        if drained.normal > 0 {
            c.normal_tasks.fetch_add(drained.normal as u64, Relaxed);
        }
        drained
    }

    /// Tasks waiting in the remote queues (urgent and normal) now.
    pub fn queued_tasks(&self) -> usize {
        self.queues.urgent.len() + self.queues.normal.len()
    }

    /// Whether a wake-up is outstanding (an eventfd write the loop has not
    /// seen yet).
    pub fn is_woken(&self) -> bool {
        self.signal.is_raised()
    }

    /// The poller's counters.
    pub fn stats(&self) -> PollerStats {
        let c = &self.counters;
        PollerStats {
            turns: c.turns.load(Relaxed),
            io_events: c.io_events.load(Relaxed),
            stale_events: c.stale_events.load(Relaxed),
            wakers_woken: c.wakers_woken.load(Relaxed),
            waker_panics: c.waker_panics.load(Relaxed),
            wake_requests: c.wake_requests.load(Relaxed),
            eventfd_writes: c.eventfd_writes.load(Relaxed),
            eventfd_drained: c.eventfd_drained.load(Relaxed),
            urgent_tasks: c.urgent_tasks.load(Relaxed),
            normal_tasks: c.normal_tasks.load(Relaxed),
        }
    }
}

impl<T> Drop for Poller<T> {
    /// Closes every descriptor still registered, so that tasks parked in
    /// them wake and see an error instead of waiting forever on a poller
    /// that no longer exists. The epoll and eventfd fds close with it.
    fn drop(&mut self) {
        self.close();
    }
}

impl<T> fmt::Debug for Poller<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poller")
            .field("epoll", &self.epoll)
            .field("wake_fd", &self.wake_fd)
            .field("registered", &self.registry.len())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl<T: Send> crate::context::Driver for Poller<T> {
    fn register(&self, fd: BorrowedFd<'_>) -> io::Result<Arc<PollDesc>> {
        Poller::register(self, fd)
    }

    fn deregister(&self, fd: BorrowedFd<'_>, desc: &PollDesc) -> io::Result<()> {
        Poller::deregister(self, fd, desc)
    }
}
