//! When a loop that never sleeps gives its CPU away: the busy-slice rule.
//!
//! A loop that has had work for a whole slice without once going to sleep
//! yields its CPU (`sched_yield`) before its next network poll. Busy loops
//! never block, so with more runnable threads than CPUs (loops sharing a
//! core, or a client on the same machine) the kernel would let one run
//! until its tick preempts it (4 ms here) while the other's connections
//! wait; threads that block now and then (as tokio's do) hand over far
//! sooner.
//!
//! The slice starts at [`BUSY_SLICE`]. A yield that ran nobody (the
//! thread's involuntary context switches did not move across it) doubles
//! it, up to [`MAX_BUSY_SLICE`], so that a loop alone on its CPU (pinned,
//! as a server is) pays a yield some twenty times a second, not thousands;
//! a yield that did hand the CPU over brings it back to [`BUSY_SLICE`].
//! Only the yield itself is asked: a loop preempted now and then *during*
//! its slice (by the kernel's softirq thread, which runs the loopback
//! traffic on a busy server's CPU) is not sharing its CPU with another busy
//! thread, and would otherwise never back off.
//!
//! This file holds the bookkeeping on plain nanosecond readings; the event
//! loop reads the clock, yields and counts switches (`sys::thread`). It
//! knows nothing of tasks or the poller.

/// The first busy slice (ns).
pub(crate) const BUSY_SLICE: u64 = 200_000;
/// The longest busy slice (ns) the rule backs off to while its yields find
/// nobody else wanting the CPU.
pub(crate) const MAX_BUSY_SLICE: u64 = 50_000_000;

/// One loop's busy stretch and current slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BusySlice {
    /// When the loop last started being busy (it has not slept since).
    since: Option<u64>,
    /// The current slice: [`BUSY_SLICE`] ≤ `slice` ≤ [`MAX_BUSY_SLICE`].
    slice: u64,
}

impl BusySlice {
    pub(crate) fn new() -> BusySlice {
        BusySlice {
            since: None,
            slice: BUSY_SLICE,
        }
    }

    /// The loop is busy at `now`: starts a stretch if none was running,
    /// and says whether the running one has lasted a whole slice (time to
    /// yield).
    pub(crate) fn is_used_up(&mut self, now: u64) -> bool {
        match self.since {
            None => {
                self.since = Some(now);
                false
            }
            Some(since) => now.wrapping_sub(since) >= self.slice,
        }
    }

    /// The loop yielded, and the yield handed the CPU to another thread
    /// (`ran_others`) or not; `now` is read after it. A new stretch starts.
    pub(crate) fn yielded(&mut self, ran_others: bool, now: u64) {
        self.slice = if ran_others {
            BUSY_SLICE
        } else {
            (self.slice * 2).min(MAX_BUSY_SLICE)
        };
        self.since = Some(now);
    }

    /// The loop slept (its wait in `epoll_wait` really waited): the stretch
    /// ends. The slice is kept; sleeping says nothing about who else wants
    /// the CPU.
    pub(crate) fn slept(&mut self) {
        self.since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::{BUSY_SLICE, BusySlice, MAX_BUSY_SLICE};

    #[test]
    fn a_stretch_starts_at_the_first_busy_reading_and_lasts_one_slice() {
        let mut busy = BusySlice::new();
        assert!(!busy.is_used_up(1_000));
        assert!(!busy.is_used_up(1_000 + BUSY_SLICE - 1));
        assert!(busy.is_used_up(1_000 + BUSY_SLICE));
    }

    #[test]
    fn yields_that_run_nobody_double_the_slice_up_to_the_maximum() {
        let mut busy = BusySlice::new();
        let mut now = 0;
        assert!(!busy.is_used_up(now));
        let mut slices = Vec::new();
        for _ in 0..12 {
            // The first reading at or past the slice's end is used up.
            let start = now;
            loop {
                now += 10_000;
                if busy.is_used_up(now) {
                    break;
                }
            }
            slices.push(now - start);
            busy.yielded(false, now);
        }
        assert_eq!(slices[0], BUSY_SLICE);
        assert_eq!(slices[1], 2 * BUSY_SLICE);
        assert_eq!(slices[2], 4 * BUSY_SLICE);
        assert_eq!(*slices.last().unwrap(), MAX_BUSY_SLICE);
        assert!(slices.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn a_yield_that_ran_another_thread_brings_the_slice_back() {
        let mut busy = BusySlice::new();
        assert!(!busy.is_used_up(0));
        busy.yielded(false, 0);
        busy.yielded(false, 0);
        assert!(!busy.is_used_up(2 * BUSY_SLICE));
        busy.yielded(true, 10 * BUSY_SLICE);
        assert!(!busy.is_used_up(11 * BUSY_SLICE - 1));
        assert!(busy.is_used_up(11 * BUSY_SLICE));
    }

    #[test]
    fn sleeping_ends_the_stretch_and_keeps_the_slice() {
        let mut busy = BusySlice::new();
        assert!(!busy.is_used_up(0));
        busy.yielded(false, 0);
        busy.slept();
        // A new stretch from the next busy reading, with the doubled slice.
        assert!(!busy.is_used_up(5 * BUSY_SLICE));
        assert!(!busy.is_used_up(7 * BUSY_SLICE - 1));
        assert!(busy.is_used_up(7 * BUSY_SLICE));
    }
}
