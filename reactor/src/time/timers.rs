//! A loop's timers: a hierarchical timing wheel of millisecond ticks
//! (`time/wheel.rs`), the loop's clock, and the thread-local through
//! which the futures polled on the loop's thread reach them.
//!
//! Why a wheel: arming, cancelling and firing are O(1), and a slot's timers
//! fire together, where a binary heap pops one entry of a large heap per
//! fire (a walk through memory that does not fit in cache) and, on paused
//! time, advances the clock to each distinct deadline, a loop round per
//! timer (tokio advances by whole milliseconds). The side-by-side numbers
//! are in BENCHMARKS.md, "Timers: netloop vs tokio".
//!
//! Deadlines are rounded up to the millisecond tick (since the `Timers`'
//! origin), as tokio does: a timer never fires before its deadline, and
//! fires when the loop's clock has reached its tick. [`Timers::next_deadline`]
//! is a tick's instant, so an idle loop on paused time jumps a whole
//! millisecond at a time and fires all of that millisecond's timers in one
//! round. Within a tick, timers fire by deadline, then arming order.
//!
//! A timer cancelled on the loop that armed it (a `Sleep` dropped or reset
//! there) leaves its slot at once, O(1), through the position its entry
//! recorded; the entry is freed then, in drop order (freeing a million
//! entries in slot order, which is random in memory, cost twice as much).
//! Any other cancellation is lazy (the entry is flagged; the wheel skips it
//! when its slot comes) and bounded: when the holes and the timers
//! cancelled on this thread are at least half of what is held, one pass
//! over every slot drops them, so memory stays within about twice the armed
//! timers and the pass costs O(1) amortised per cancel.
//!
//! This file knows deadlines and entries, not futures or epoll.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use super::clock::Clock;
use super::entry::TimerEntry;
use super::instant::Instant;
use super::wheel::{Armed, TICK_NANOS, Wheel};

/// Below this many dead timers (cancelled or holes), no sweep.
const MIN_SWEEP: usize = 1024;

/// One loop's armed timers, and its clock.
pub struct Timers {
    /// Boxed: `Timers` moves in and out of the thread-local with its loop.
    wheel: Box<Wheel>,
    clock: Clock,
    /// Tick 0 of the wheel.
    origin: std::time::Instant,
    /// The latest time `fire_due` (or a `Sleep`'s first poll) looked at,
    /// in nanoseconds since the origin: a deadline not after it has passed.
    last_now: u64,
    /// Timers cancelled on this thread since the last sweep and not taken
    /// out at once (see [`cancel`](Self::cancel)), nor seen since: an
    /// estimate of the dead timers held (cancellations on other threads are
    /// not counted). When they and the wheel's holes are half of what is
    /// held, the next arm or look at the next deadline sweeps them all in
    /// one pass.
    cancelled: usize,
}

impl Timers {
    /// No timers, on a real-time clock that may never pause.
    pub fn new() -> Timers {
        Timers::with_clock(false, false)
    }

    /// No timers. `pausable`: the loop is a current-thread runtime's, whose
    /// clock `time::pause` may stop; `start_paused`: stop it now.
    pub fn with_clock(pausable: bool, start_paused: bool) -> Timers {
        let clock = Clock::new(pausable, start_paused);
        Timers {
            wheel: Box::new(Wheel::new()),
            origin: clock.now(),
            clock,
            last_now: 0,
            cancelled: 0,
        }
    }

    /// `instant` in nanoseconds since the origin, saturated.
    fn nanos(&self, instant: Instant) -> u64 {
        let since = instant.into_std().saturating_duration_since(self.origin);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    }

    /// The instant of `nanos` since the origin.
    fn instant(&self, nanos: u64) -> Instant {
        Instant::from_std(self.origin + Duration::from_nanos(nanos))
    }

    /// The instant of the wheel's `tick`.
    fn tick_instant(&self, tick: u64) -> Instant {
        Instant::from_std(self.origin + Duration::from_millis(tick))
    }

    /// Arms `entry` to fire at `deadline`.
    pub(crate) fn arm(&mut self, deadline: Instant, entry: Arc<TimerEntry>) {
        let deadline = self.prepare(deadline);
        self.wheel.insert(Armed {
            deadline,
            entry: Some(entry),
        });
    }

    /// A `Sleep`'s first poll: unless `deadline` has passed, arms a new
    /// entry for it, holding `waker` already, and returns that. Whether it
    /// has passed is judged by the time the loop last fired its timers,
    /// without a clock read, unless the deadline falls in that time's tick
    /// or the next (so that a zero or tiny sleep completes at once, as it
    /// did before the wheel). A deadline further ahead that has passed all
    /// the same (the loop has not looked at its timers for over a
    /// millisecond) fires at the loop's next look, as in tokio.
    pub(crate) fn arm_unless_elapsed(
        &mut self,
        deadline: Instant,
        waker: &Waker,
    ) -> Option<Arc<TimerEntry>> {
        let deadline = self.prepare(deadline);
        if deadline.div_ceil(TICK_NANOS) <= self.last_now / TICK_NANOS + 1 {
            let now = self.nanos(self.now());
            self.last_now = self.last_now.max(now);
        }
        if deadline <= self.last_now {
            return None;
        }
        let entry = Arc::new(TimerEntry::with_waker(Some(waker)));
        self.wheel.insert(Armed {
            deadline,
            entry: Some(entry.clone()),
        });
        Some(entry)
    }

    /// Makes room for one more timer; returns `deadline` in nanoseconds
    /// since the origin.
    fn prepare(&mut self, deadline: Instant) -> u64 {
        if self.is_empty() {
            // Nothing held: restart the wheel at the clock's time, which
            // aligns its ticks with a clock paused since.
            self.origin = self.clock.now();
            self.last_now = 0;
            self.wheel.rebase();
            self.cancelled = 0;
        } else if self.sweep_pays() {
            self.sweep();
        }
        self.nanos(deadline)
    }

    /// Whether enough timers are dead for a sweep to pay.
    fn sweep_pays(&self) -> bool {
        let dead = self.cancelled + self.wheel.holes();
        dead >= MIN_SWEEP && dead * 2 >= self.wheel.len() + self.wheel.holes()
    }

    /// Drops every cancelled timer and hole, in one pass.
    fn sweep(&mut self) {
        self.wheel.retain(|entry| !entry.is_cancelled());
        self.cancelled = 0;
    }

    /// A timer was cancelled on this thread (its entry flagged): takes it
    /// out of the wheel if this loop armed it and it has not moved since,
    /// or counts it for the next sweep (see `cancelled`).
    pub(crate) fn cancel(&mut self, entry: &Arc<TimerEntry>) {
        if !self.wheel.remove(entry) {
            self.cancelled += 1;
        }
    }

    /// Counts `n` cancelled timers dropped from the wheel.
    fn dropped_cancelled(&mut self, n: usize) {
        self.cancelled = self.cancelled.saturating_sub(n);
    }

    /// When the loop must next look at its timers: the tick of the earliest
    /// slot holding a live timer (for a slot of a higher level, the tick it
    /// starts at, where the loop cascades it and asks again), or the
    /// deadline of a timer already due. Drops the cancelled timers it meets
    /// on the way, so that a paused clock never advances to one.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        if self.sweep_pays() {
            self.sweep();
        }
        if !self.wheel.due().is_empty() {
            let (dropped, _) = self.wheel.drop_leading(None, TimerEntry::is_cancelled);
            self.dropped_cancelled(dropped);
            let earliest = self
                .wheel
                .due()
                .iter()
                .filter(|armed| armed.entry.as_ref().is_some_and(|e| !e.is_cancelled()))
                .map(|armed| armed.deadline)
                .min();
            if let Some(deadline) = earliest {
                return Some(self.instant(deadline));
            }
        }
        while let Some(exp) = self.wheel.next_expiration() {
            let (dropped, live) = self.wheel.drop_leading(Some(exp), TimerEntry::is_cancelled);
            self.dropped_cancelled(dropped);
            if live {
                return Some(self.tick_instant(exp.tick));
            }
        }
        None
    }

    /// Fires every timer due at `now` (whose tick `now` has reached), by
    /// deadline then arming order, moving their tasks' wakers into `out`;
    /// returns how many fired.
    pub fn fire_due(&mut self, now: Instant, out: &mut Vec<Waker>) -> usize {
        let now = self.nanos(now);
        self.last_now = self.last_now.max(now);
        let mut fired = 0;
        let mut dead = 0;
        while let Some(mut batch) = self.wheel.next_batch(now / TICK_NANOS) {
            if !batch.is_sorted_by_key(|armed| armed.deadline) {
                // Stable: equal deadlines stay in arming order.
                batch.sort_by_key(|armed| armed.deadline);
            }
            let mut holes = 0;
            let mut left = 0;
            for (i, armed) in batch.iter().enumerate() {
                if armed.deadline > now {
                    // Only a clock that went back gets here.
                    left = batch.len() - i;
                    break;
                }
                match &armed.entry {
                    None => holes += 1,
                    Some(entry) if entry.is_cancelled() => dead += 1,
                    Some(entry) => {
                        entry.fire(out);
                        fired += 1;
                    }
                }
            }
            self.wheel.done(batch, holes, left);
            if left != 0 {
                break;
            }
        }
        self.dropped_cancelled(dead);
        fired
    }

    /// The time on this loop's clock.
    pub fn now(&self) -> Instant {
        Instant::from_std(self.clock.now())
    }

    /// Whether this loop's clock is paused.
    pub fn is_paused(&self) -> bool {
        self.clock.is_paused()
    }

    pub(crate) fn clock_mut(&mut self) -> &mut Clock {
        &mut self.clock
    }

    /// Paused clock, idle loop: jumps the clock to the next timer's tick
    /// (tokio's auto-advance) and returns whether there was one.
    pub fn auto_advance(&mut self) -> bool {
        match self.next_deadline() {
            Some(deadline) if self.clock.is_paused() => {
                self.clock.advance_to(deadline.into_std());
                true
            }
            _ => false,
        }
    }

    /// How many timers are held (armed, or cancelled and not yet dropped).
    pub fn len(&self) -> usize {
        self.wheel.len()
    }

    /// Whether no timer is held.
    pub fn is_empty(&self) -> bool {
        self.wheel.len() == 0
    }
}

impl Default for Timers {
    fn default() -> Timers {
        Timers::new()
    }
}

impl fmt::Debug for Timers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timers")
            .field("len", &self.wheel.len())
            .field("elapsed_ms", &self.wheel.elapsed())
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// The timers of the loop running on this thread.
    static CURRENT: RefCell<Option<Timers>> = const { RefCell::new(None) };
}

/// Installs `timers` as this thread's loop timers (by the executor, with its
/// loop); returns what was installed before.
pub fn install(timers: Option<Timers>) -> Option<Timers> {
    CURRENT
        .try_with(|cell| std::mem::replace(&mut *cell.borrow_mut(), timers))
        .ok()
        .flatten()
}

/// Arms `entry` for `deadline` on a loop of the runtime this thread entered
/// (a thread that runs no loop: a foreign executor's, a plain thread after
/// `Runtime::enter`), through that loop's remote queue
/// ([`IoContext::run_on_loop`](crate::context::IoContext::run_on_loop)).
/// The entry wakes its waiter from the loop's thread when it fires; one
/// cancelled before the loop gets to it is never armed. Returns `false`
/// when this thread has entered no runtime.
pub(crate) fn arm_remotely(deadline: Instant, entry: Arc<TimerEntry>) -> bool {
    let Some(ctx) = crate::context::current() else {
        return false;
    };
    ctx.run_on_loop(Box::new(move || {
        if entry.is_cancelled() {
            return;
        }
        with_current(|timers| {
            if let Some(timers) = timers {
                timers.arm(deadline, entry);
            }
        });
    }));
    true
}

/// Runs `f` on this thread's loop timers, if a loop with timers runs here.
pub fn with_current<R>(f: impl FnOnce(Option<&mut Timers>) -> R) -> R {
    let mut f = Some(f);
    let ran = CURRENT.try_with(|cell| match cell.try_borrow_mut() {
        Ok(mut timers) => (f.take().expect("called once"))(timers.as_mut()),
        Err(_) => (f.take().expect("called once"))(None),
    });
    match ran {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

#[cfg(test)]
mod tests;
