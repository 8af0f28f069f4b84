//! An event loop: one thread, one `Poller`, one local run queue — and the
//! scheduling round that drives them, after Go's `schedule()` /
//! `findrunnable()`.
//!
//! A round runs a bounded batch of local tasks ([`LOCAL_BATCH`] by
//! default), looking at the remote queues every [`REMOTE_EVERY`] tasks (as
//! Go looks at its global run queue every 61 ticks, so remote work is never
//! starved; both are the builder's `event_interval` and
//! `global_queue_interval`), then drains the remote queues, then polls the
//! network: with a zero timeout while work is queued, blocking in
//! `epoll_wait` only when the loop is idle.
//!
//! [`LoopShared`] is the part other threads reach (the poller with its
//! remote queues, the counters, the shutdown flag); the local queue and task
//! list live in the thread's [`LocalLoop`](crate::context::LocalLoop). This
//! file knows how a loop turns and shuts down, not how tasks are spawned.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{
    AtomicBool, AtomicU64, AtomicUsize, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};
use std::task::Waker;
use std::time::Duration;

use async_task::Runnable;
use netloop_reactor::sys::{self, clock};
use netloop_reactor::time::{Timers, timers};
use netloop_reactor::{EventBuffer, Poller, coop};

use crate::busy_slice::BusySlice;
use crate::closed_flag::ClosedFlag;
use crate::context;
use crate::runtime::Callback;

/// Local tasks one round runs at most before it looks at the network, by
/// default (`Builder::event_interval`).
pub(crate) const LOCAL_BATCH: u32 = 128;
/// Every how many tasks the remote queues are drained mid-batch, by default
/// (Go: 61; `Builder::global_queue_interval`).
pub(crate) const REMOTE_EVERY: u32 = 61;

/// How a loop interleaves its local tasks with the rest of its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Intervals {
    /// Local tasks one round runs at most before the network poll (≥ 1).
    pub(crate) event: u32,
    /// Every how many tasks the remote queues are drained (≥ 1).
    pub(crate) remote: u32,
}

impl Default for Intervals {
    fn default() -> Intervals {
        Intervals {
            event: LOCAL_BATCH,
            remote: REMOTE_EVERY,
        }
    }
}
/// An idle round's wait that lasted this long (ns) slept (gave the CPU up).
const SLEPT: u64 = 50_000;
/// Rounds of waking and dropping that shutdown tries before it gives up on
/// tasks that keep waking more while being dropped (each round drops every
/// runnable queued, so a round that finds nothing ends it long before).
const SHUTDOWN_ROUNDS: usize = 1024;

/// The part of a loop other threads reach.
pub(crate) struct LoopShared {
    pub(crate) index: usize,
    pub(crate) poller: Poller<Runnable>,
    shutdown: AtomicBool,
    /// Set once shutdown has dropped every task of the loop: from then on a
    /// remote push drops what it finds queued (see `schedule_remote`).
    closed: ClosedFlag,
    tasks_alive: AtomicUsize,
    /// Tasks ever spawned onto this loop (any thread adds).
    tasks_spawned: AtomicU64,
    /// Tasks of this loop whose future is gone (its thread adds).
    tasks_finished: AtomicU64,
    tasks_polled: AtomicU64,
    remote_schedules: AtomicU64,
    budget_yields: AtomicU64,
    /// Served connections handed to this loop and not yet finished.
    pub(crate) connections: AtomicUsize,
    /// Connections this loop's serving accept loops accepted.
    pub(crate) accepts: AtomicU64,
    /// Times those accept loops paused after running out of fds or memory.
    pub(crate) accept_pauses: AtomicU64,
    /// Times the loop, busy for a whole slice, yielded its CPU.
    cpu_yields: AtomicU64,
    /// Parks and unparks: +1 before each idle network poll (the loop may
    /// sleep), +1 after it; odd while parked. Its thread writes.
    park_unparks: AtomicU64,
    /// Time between unparks and the following parks, summed at each park
    /// (ns). Its thread writes.
    busy_ns: AtomicU64,
    /// When the loop last unparked (or was made), in
    /// `sys::clock::monotonic_nanos`. Its thread writes.
    unparked_at: AtomicU64,
}

/// Counters of one event loop, readable from any thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoopStats {
    /// The loop's index in its runtime.
    pub index: usize,
    /// Tasks of this loop that have been polled and not yet finished.
    pub tasks_alive: usize,
    /// Task polls run by this loop.
    pub tasks_polled: u64,
    /// Tasks scheduled onto this loop from other threads.
    pub remote_schedules: u64,
    /// Network polls (`epoll_wait` calls).
    pub turns: u64,
    /// I/O events dispatched.
    pub io_events: u64,
    /// Cross-thread wake-up requests (remote schedules and explicit wakes).
    pub wake_requests: u64,
    /// eventfd writes those requests cost.
    pub eventfd_writes: u64,
    /// Times a task spent its cooperative budget and was made to yield.
    pub budget_yields: u64,
    /// Sockets registered with this loop's poller now (connections and
    /// listeners whose I/O this loop's epoll reports).
    pub registered: usize,
    /// Connections handed to this loop by `serve` whose handler has not
    /// finished.
    pub connections: usize,
    /// Connections accepted by `serve` accept loops running on this loop.
    pub accepts: u64,
    /// Times those accept loops paused after `EMFILE`, `ENFILE`, `ENOBUFS`
    /// or `ENOMEM`.
    pub accept_pauses: u64,
    /// Times the loop, busy for a whole slice without sleeping (200 µs,
    /// longer while its yields find nobody else wanting the CPU), yielded
    /// its CPU to other runnable threads (`sched_yield`).
    pub cpu_yields: u64,
}

impl LoopStats {
    /// I/O events dispatched per network poll, on average.
    pub fn events_per_turn(&self) -> f64 {
        if self.turns == 0 {
            0.0
        } else {
            self.io_events as f64 / self.turns as f64
        }
    }
}

impl LoopShared {
    pub(crate) fn new(index: usize) -> io::Result<Arc<LoopShared>> {
        Ok(Arc::new(LoopShared {
            index,
            poller: Poller::new()?,
            shutdown: AtomicBool::new(false),
            closed: ClosedFlag::new(),
            tasks_alive: AtomicUsize::new(0),
            tasks_spawned: AtomicU64::new(0),
            tasks_finished: AtomicU64::new(0),
            tasks_polled: AtomicU64::new(0),
            remote_schedules: AtomicU64::new(0),
            budget_yields: AtomicU64::new(0),
            connections: AtomicUsize::new(0),
            accepts: AtomicU64::new(0),
            accept_pauses: AtomicU64::new(0),
            cpu_yields: AtomicU64::new(0),
            park_unparks: AtomicU64::new(0),
            busy_ns: AtomicU64::new(0),
            unparked_at: AtomicU64::new(clock::monotonic_nanos()),
        }))
    }

    /// Schedules `runnable` here from another thread: remote queue plus the
    /// wake signal.
    pub(crate) fn schedule_remote(&self, runnable: Runnable) {
        self.remote_schedules.fetch_add(1, Relaxed);
        // A push can race with the loop's last drain at shutdown: either
        // that drain finds it, or this thread finds the queues closed and
        // drops what is queued itself (`closed_flag.rs`). Only runnables of
        // tasks whose futures shutdown already dropped, or of `Send` tasks
        // spawned in the race, can be there.
        self.closed
            .push_then_check(|| self.poller.trigger(runnable), || self.drop_queued());
    }

    /// Drops every runnable in the remote queues (cancelling their tasks).
    fn drop_queued(&self) {
        while self.poller.drain_tasks(drop).more {}
    }

    /// Asks the loop to stop after its current round.
    pub(crate) fn shut_down(&self) {
        self.shutdown.store(true, Release);
        self.poller.wake();
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.shutdown.load(Acquire)
    }

    pub(crate) fn set_tasks_alive(&self, n: usize) {
        self.tasks_alive.store(n, Relaxed);
    }

    /// Counts a task spawned onto this loop.
    pub(crate) fn task_spawned(&self) {
        self.tasks_spawned.fetch_add(1, Relaxed);
    }

    /// Counts a task of this loop whose future is gone. Only the loop's own
    /// thread calls this (a task's list entry is dropped at home), so a
    /// plain load and store do, without a locked read-modify-write.
    pub(crate) fn task_finished(&self) {
        let finished = self.tasks_finished.load(Relaxed);
        self.tasks_finished.store(finished + 1, Relaxed);
    }

    /// Tasks given to this loop and not finished: running, waiting, or
    /// queued and not yet polled. What a balancer weighs.
    pub(crate) fn tasks_assigned(&self) -> usize {
        let finished = self.tasks_finished.load(Relaxed);
        let spawned = self.tasks_spawned.load(Relaxed);
        spawned.saturating_sub(finished) as usize
    }

    /// The loop parks at `now` (about to poll the network with nothing to
    /// run): counts it and adds the busy stretch since the last unpark.
    /// Only the loop's thread calls this (plain loads and stores do).
    fn park(&self, now: u64) {
        let n = self.park_unparks.load(Relaxed);
        self.park_unparks.store(n + 1, Relaxed);
        let busy = now.saturating_sub(self.unparked_at.load(Relaxed));
        self.busy_ns
            .store(self.busy_ns.load(Relaxed) + busy, Relaxed);
    }

    /// The loop unparks at `now`; only the loop's thread calls this.
    fn unpark(&self, now: u64) {
        let n = self.park_unparks.load(Relaxed);
        self.park_unparks.store(n + 1, Relaxed);
        self.unparked_at.store(now, Relaxed);
    }

    /// Parks plus unparks so far (tokio's `worker_park_unpark_count`).
    pub(crate) fn park_unparks(&self) -> u64 {
        self.park_unparks.load(Relaxed)
    }

    /// How long the loop has been at work, outside its idle network polls
    /// (tokio's `worker_total_busy_duration`): summed at each park, so a
    /// busy stretch counts once the loop next parks.
    pub(crate) fn busy(&self) -> Duration {
        Duration::from_nanos(self.busy_ns.load(Relaxed))
    }

    pub(crate) fn stats(&self) -> LoopStats {
        let poller = self.poller.stats();
        LoopStats {
            index: self.index,
            tasks_alive: self.tasks_alive.load(Relaxed),
            tasks_polled: self.tasks_polled.load(Relaxed),
            remote_schedules: self.remote_schedules.load(Relaxed),
            turns: poller.turns,
            io_events: poller.io_events,
            wake_requests: poller.wake_requests,
            eventfd_writes: poller.eventfd_writes,
            budget_yields: self.budget_yields.load(Relaxed),
            registered: self.poller.registered(),
            connections: self.connections.load(Relaxed),
            accepts: self.accepts.load(Relaxed),
            accept_pauses: self.accept_pauses.load(Relaxed),
            cpu_yields: self.cpu_yields.load(Relaxed),
        }
    }
}

impl fmt::Debug for LoopShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopShared")
            .field("index", &self.index)
            .field("shutdown", &self.is_shut_down())
            .finish_non_exhaustive()
    }
}

/// The driver of one loop, owned by the thread that runs it.
pub(crate) struct EventLoop {
    shared: Arc<LoopShared>,
    events: EventBuffer,
    tick: u64,
    intervals: Intervals,
    /// `Builder::on_thread_park`: run before the loop sleeps.
    on_park: Option<Callback>,
    /// Wakers of timers fired this round, woken outside the timers' borrow.
    fired: Vec<Waker>,
    /// A task that spent its cooperative budget this round: queued again
    /// only after the round's network poll and timers.
    deferred: Option<Runnable>,
    /// The busy-slice rule's state, on `sys::clock::monotonic_nanos`.
    busy: BusySlice,
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("shared", &self.shared)
            .field("tick", &self.tick)
            .finish_non_exhaustive()
    }
}

impl EventLoop {
    pub(crate) fn new(
        shared: Arc<LoopShared>,
        on_park: Option<Callback>,
        intervals: Intervals,
    ) -> EventLoop {
        EventLoop {
            shared,
            events: EventBuffer::default(),
            tick: 0,
            intervals,
            on_park,
            fired: Vec::new(),
            deferred: None,
            busy: BusySlice::new(),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<LoopShared> {
        &self.shared
    }

    /// Runs rounds until the loop is shut down. The loop's `LocalLoop`
    /// must be installed on this thread.
    pub(crate) fn run(&mut self) {
        while !self.shared.is_shut_down() {
            self.round(&|| true);
        }
    }

    /// A loop that has been busy for a whole slice without once going to
    /// sleep gives its CPU away (`sched_yield`) before its next network
    /// poll; see `busy_slice.rs` for why and for how the slice backs off.
    /// "Busy" means no `epoll_wait` of the loop has actually waited: an
    /// idle round's wait that returns at once (events were ready) does not
    /// count as sleeping. Returns the time it read (ns).
    fn yield_if_busy_too_long(&mut self) -> u64 {
        let now = clock::monotonic_nanos();
        if self.busy.is_used_up(now) {
            let before = sys::thread::involuntary_switches();
            sys::thread::yield_cpu();
            let after = sys::thread::involuntary_switches();
            self.shared.cpu_yields.fetch_add(1, Relaxed);
            self.busy.yielded(after != before, clock::monotonic_nanos());
        }
        now
    }

    /// One scheduling round (Go's `schedule()` / `findrunnable()`).
    /// `may_block` is asked right before the network poll whether the loop
    /// may sleep (a `block_on` says no once its own future was woken).
    pub(crate) fn round(&mut self, may_block: &dyn Fn() -> bool) {
        let yields_before = coop::exhausted();
        // Woken from another thread, the loop's work is in the remote
        // queues: take it now rather than after an empty local batch (which
        // would cost an extra `epoll_wait(0)` per cross-loop wake-up).
        if context::local_is_empty() {
            self.drain_remote();
        }
        let Intervals { event, remote } = self.intervals;
        let mut ran = 0;
        while ran < u64::from(event) {
            if self.tick.is_multiple_of(u64::from(remote)) {
                self.drain_remote();
            }
            let Some(runnable) = context::pop_local() else {
                break;
            };
            self.tick += 1;
            ran += 1;
            // Each poll gets a fresh cooperative budget (tokio's coop).
            let exhausted_before = coop::exhausted();
            coop::budget(|| runnable.run());
            if coop::exhausted() != exhausted_before {
                // The task spent its budget and woke itself. It waits until
                // the network and the timers have been looked at, and goes
                // behind whatever they wake: one budget is all a busy task
                // can hold up a timer or an I/O wake-up by.
                self.deferred = context::pop_local_back();
                break;
            }
        }
        if ran > 0 {
            self.shared.tasks_polled.fetch_add(ran, Relaxed);
            let yields = coop::exhausted() - yields_before;
            if yields > 0 {
                self.shared.budget_yields.fetch_add(yields, Relaxed);
            }
        }
        self.drain_remote();
        let mut idle = self.deferred.is_none() && context::local_is_empty() && may_block();
        if idle && let Some(on_park) = &self.on_park {
            on_park();
            // The callback may have spawned or woken something.
            idle = context::local_is_empty() && may_block();
        }
        // Idle, the loop sleeps until the next timer (or forever without
        // one); busy, it only looks at the network. With time paused, an
        // idle loop only looks too, then jumps its clock to the next timer
        // if nothing arrived (auto-advance; see `netloop_reactor::time`).
        let paused = timers::with_current(|t| t.is_some_and(|t| t.is_paused()));
        let timeout = if idle && !paused {
            timers::with_current(|t| t.and_then(|t| t.next_deadline().map(|d| (d, t.now()))))
                .map(|(deadline, now)| deadline.saturating_duration_since(now))
        } else {
            Some(Duration::ZERO)
        };
        let now = self.yield_if_busy_too_long();
        if idle {
            self.shared.park(now);
        }
        let turn = match self.shared.poller.poll(&mut self.events, timeout) {
            Ok(turn) => turn,
            // epoll_wait fails only on a broken epoll fd (EBADF, EINVAL) or
            // a bad buffer (EFAULT): nothing a retry would mend.
            Err(e) => panic!(
                "netloop event loop {}: epoll_wait failed: {e}",
                self.shared.index
            ),
        };
        if idle {
            let after = clock::monotonic_nanos();
            self.shared.unpark(after);
            if after.wrapping_sub(now) >= SLEPT {
                // The wait really waited: the loop gave its CPU up.
                self.busy.slept();
            }
        }
        if idle
            && paused
            && turn.io_events == 0
            && !turn.wake_signal
            && context::local_is_empty()
            && may_block()
        {
            timers::with_current(|t| t.map(Timers::auto_advance));
        }
        self.fire_timers();
        if let Some(deferred) = self.deferred.take() {
            context::with_loop(|lp| {
                lp.expect("the loop's local state is installed")
                    .queue
                    .push_back(deferred)
            });
        }
    }

    /// Fires the timers that are due, waking their tasks after the timers'
    /// borrow is released.
    fn fire_timers(&mut self) {
        let fired = &mut self.fired;
        timers::with_current(|t| {
            if let Some(t) = t.filter(|t| !t.is_empty()) {
                let now = t.now();
                t.fire_due(now, fired);
            }
        });
        self.fired.drain(..).for_each(Waker::wake);
    }

    /// Moves what the remote queues hold (up to the poller's batch) onto
    /// the local queue; returns whether more is left.
    fn drain_remote(&mut self) -> bool {
        let drained = self.shared.poller.drain_tasks(|runnable| {
            context::with_loop(|lp| {
                lp.expect("the loop's local state is installed")
                    .queue
                    .push_back(runnable)
            });
        });
        drained.more
    }

    /// Cancels every task of this loop on this thread: wakes each live task
    /// so that it is scheduled here, then drops every runnable queued here
    /// (locally or remotely), which drops the tasks' futures; repeats while
    /// dropping futures spawns or wakes more. The loop's `LocalLoop` must be
    /// installed.
    pub(crate) fn cancel_all_tasks(&mut self) {
        for _ in 0..SHUTDOWN_ROUNDS {
            let wakers =
                context::with_loop(|lp| lp.map(|lp| lp.tasks.wakers()).unwrap_or_default());
            wakers.iter().for_each(std::task::Waker::wake_by_ref);
            drop(wakers);
            // Everything queued remotely, not just one batch of it.
            while self.drain_remote() {}
            let mut dropped = 0;
            while let Some(runnable) = context::pop_local() {
                drop(runnable);
                dropped += 1;
            }
            let alive = context::with_loop(|lp| lp.map_or(0, |lp| lp.tasks.len()));
            if dropped == 0 && alive == 0 {
                break;
            }
        }
        // Close the remote queues: see `schedule_remote` for the handshake.
        self.shared
            .closed
            .close_then_drain(|| self.shared.drop_queued());
        // Sockets that outlive their tasks (held elsewhere) fail their next
        // wait instead of waiting on a loop that no longer turns.
        self.shared.poller.close();
    }
}
