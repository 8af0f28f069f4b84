//! A loop's timers: a binary min-heap of (deadline, arming order, entry),
//! and the thread-local through which the futures polled on the loop's
//! thread reach it.
//!
//! Why a heap rather than a hierarchical wheel: netloop's timers are
//! per-loop and touched by one thread, so a `BinaryHeap` needs no locks and
//! no intrusive lists; arming is O(log n), firing pops in deadline order.
//! Cancellation is lazy (the entry is flagged, the heap drops it when it
//! surfaces) and bounded: when the heap has doubled since its last sweep,
//! it sweeps out cancelled entries in one O(n) pass, so memory stays within
//! about twice the armed timers and the sweep costs O(1) amortised per arm.
//! The side-by-side benchmark (BENCHMARKS.md) is what this choice answers
//! to.
//!
//! This file knows deadlines and entries, not futures or epoll.

use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fmt;
use std::sync::Arc;
use std::task::Waker;

use super::clock::Clock;
use super::entry::TimerEntry;
use super::instant::Instant;

/// Heaps smaller than this are never swept.
const MIN_SWEEP: usize = 1024;

/// One loop's armed timers, and its clock.
pub struct Timers {
    heap: BinaryHeap<Reverse<Armed>>,
    clock: Clock,
    /// Arming order, to fire equal deadlines first-armed first.
    seq: u64,
    /// Heap size after the last sweep: the next sweep waits for twice this.
    swept_len: usize,
    /// Entries cancelled on this thread since the last sweep (a lower
    /// bound of the dead entries in the heap: cancellations elsewhere are
    /// not counted). When they are half the heap, the next look at the top
    /// sweeps them all in one sequential pass instead of popping them one
    /// by one, each pop a walk down a heap that may not fit in cache.
    cancelled: usize,
}

struct Armed {
    deadline: Instant,
    seq: u64,
    entry: Arc<TimerEntry>,
}

impl PartialEq for Armed {
    fn eq(&self, other: &Armed) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}

impl Eq for Armed {}

impl PartialOrd for Armed {
    fn partial_cmp(&self, other: &Armed) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Armed {
    fn cmp(&self, other: &Armed) -> Ordering {
        (self.deadline, self.seq).cmp(&(other.deadline, other.seq))
    }
}

impl Timers {
    /// No timers, on a real-time clock that may never pause.
    pub fn new() -> Timers {
        Timers::with_clock(false, false)
    }

    /// No timers. `pausable`: the loop is a current-thread runtime's, whose
    /// clock `time::pause` may stop; `start_paused`: stop it now.
    pub fn with_clock(pausable: bool, start_paused: bool) -> Timers {
        Timers {
            clock: Clock::new(pausable, start_paused),
            heap: BinaryHeap::new(),
            seq: 0,
            swept_len: 0,
            cancelled: 0,
        }
    }

    /// Arms `entry` to fire at `deadline`.
    pub(crate) fn arm(&mut self, deadline: Instant, entry: Arc<TimerEntry>) {
        self.seq += 1;
        self.heap.push(Reverse(Armed {
            deadline,
            seq: self.seq,
            entry,
        }));
        if self.heap.len() >= MIN_SWEEP.max(self.swept_len * 2) {
            self.sweep();
        }
    }

    /// Drops every cancelled entry, in one pass.
    fn sweep(&mut self) {
        self.heap
            .retain(|Reverse(armed)| !armed.entry.is_cancelled());
        self.swept_len = self.heap.len();
        self.cancelled = 0;
    }

    /// Counts a timer cancelled on this loop's thread (see `cancelled`).
    pub(crate) fn note_cancelled(&mut self) {
        self.cancelled += 1;
    }

    /// The earliest deadline of a timer still armed, if any.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        if self.cancelled >= MIN_SWEEP && self.cancelled * 2 >= self.heap.len() {
            self.sweep();
        }
        while let Some(Reverse(top)) = self.heap.peek() {
            if !top.entry.is_cancelled() {
                return Some(top.deadline);
            }
            self.heap.pop();
        }
        None
    }

    /// Fires every timer due at `now`, in deadline order, moving their
    /// tasks' wakers into `out`; returns how many fired.
    pub fn fire_due(&mut self, now: Instant, out: &mut Vec<Waker>) -> usize {
        let mut fired = 0;
        while let Some(Reverse(top)) = self.heap.peek() {
            if top.deadline > now {
                break;
            }
            let Reverse(armed) = self.heap.pop().expect("peeked");
            if !armed.entry.is_cancelled() {
                armed.entry.fire(out);
                fired += 1;
            }
        }
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

    /// Paused clock, idle loop: jumps the clock to the next timer (tokio's
    /// auto-advance) and returns whether there was one.
    pub fn auto_advance(&mut self) -> bool {
        match self.next_deadline() {
            Some(deadline) if self.clock.is_paused() => {
                self.clock.advance_to(deadline.into_std());
                true
            }
            _ => false,
        }
    }

    /// How many entries the heap holds (armed, or cancelled and not yet
    /// swept).
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
            .field("len", &self.heap.len())
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
