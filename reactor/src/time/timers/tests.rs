//! Unit tests of `Timers`: firing order and rounding on a paused clock,
//! cascades, far and past deadlines, cancellation and sweeps.

use std::sync::Mutex;
use std::task::Wake;

use super::*;

const MS: Duration = Duration::from_millis(1);

/// A waker that logs its id when woken.
struct Logger {
    id: usize,
    log: Arc<Mutex<Vec<usize>>>,
}

impl Wake for Logger {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push(self.id);
    }
}

/// Paused timers and a log of the timers they fire.
struct Fixture {
    timers: Timers,
    start: Instant,
    log: Arc<Mutex<Vec<usize>>>,
    entries: Vec<Arc<TimerEntry>>,
}

impl Fixture {
    fn new() -> Fixture {
        let timers = Timers::with_clock(true, true);
        let start = timers.now();
        Fixture {
            timers,
            start,
            log: Arc::default(),
            entries: Vec::new(),
        }
    }

    /// Arms timer number `self.entries.len()` at `start + at`.
    fn arm(&mut self, at: Duration) -> usize {
        self.arm_at(self.start + at)
    }

    /// Arms timer number `self.entries.len()` at `deadline`.
    fn arm_at(&mut self, deadline: Instant) -> usize {
        let id = self.entries.len();
        let entry = Arc::new(TimerEntry::new());
        let waker = Waker::from(Arc::new(Logger {
            id,
            log: self.log.clone(),
        }));
        assert!(entry.poll_fired(&waker).is_pending());
        self.timers.arm(deadline, entry.clone());
        self.entries.push(entry);
        id
    }

    /// Moves the clock to `start + at` and fires; returns the ids fired.
    fn fire_at(&mut self, at: Duration) -> Vec<usize> {
        self.timers
            .clock_mut()
            .advance_to((self.start + at).into_std());
        let mut out = Vec::new();
        let now = self.timers.now();
        let fired = self.timers.fire_due(now, &mut out);
        assert_eq!(fired, out.len());
        out.into_iter().for_each(Waker::wake);
        std::mem::take(&mut *self.log.lock().unwrap())
    }

    fn cancel(&mut self, id: usize) {
        self.entries[id].cancel();
        self.timers.cancel(&self.entries[id]);
    }

    /// Cancels timer `id` as if it had moved since it was armed:
    /// flagged and counted, left in the wheel.
    fn cancel_lazily(&mut self, id: usize) {
        self.entries[id].cancel();
        self.timers.cancelled += 1;
    }
}

#[test]
fn timers_fire_by_deadline_then_arming_order_across_levels() {
    let mut f = Fixture::new();
    // Arming order differs from deadline order; levels 0 to 3.
    let offsets = [
        MS * 300_000,
        MS * 70,
        MS * 5,
        MS * 5000,
        MS * 70,
        MS * 5,
        MS * 70 + Duration::from_micros(300),
        MS * 69 + Duration::from_micros(900),
    ];
    for &at in &offsets {
        f.arm(at);
    }
    let mut expected: Vec<usize> = (0..offsets.len()).collect();
    expected.sort_by_key(|&id| (offsets[id], id));
    assert_eq!(f.fire_at(MS * 400_000), expected);
    assert!(f.timers.is_empty());
}

#[test]
fn deadlines_round_up_to_the_millisecond_and_never_fire_early() {
    let mut f = Fixture::new();
    let id = f.arm(MS * 10 + Duration::from_micros(1));
    assert_eq!(f.timers.next_deadline(), Some(f.start + MS * 11));
    assert_eq!(f.fire_at(MS * 10 + Duration::from_micros(500)), []);
    assert_eq!(f.fire_at(MS * 11), [id]);
}

#[test]
fn higher_level_slots_wake_the_loop_at_their_start_to_cascade() {
    let mut f = Fixture::new();
    let id = f.arm(MS * 5000);
    // Level 2 (4096-tick slots): its slot starts at tick 4096.
    assert_eq!(f.timers.next_deadline(), Some(f.start + MS * 4096));
    assert!(f.timers.auto_advance());
    assert_eq!(f.fire_at(MS * 4096), []);
    assert_eq!(f.timers.next_deadline(), Some(f.start + MS * 4992));
    assert!(f.timers.auto_advance());
    assert_eq!(f.fire_at(MS * 4992), []);
    assert_eq!(f.timers.next_deadline(), Some(f.start + MS * 5000));
    assert_eq!(f.fire_at(MS * 5000), [id]);
}

#[test]
fn deadlines_in_the_past_fire_at_once_and_the_far_future_waits() {
    let mut f = Fixture::new();
    let far = f.arm(Duration::from_secs(86400 * 365 * 30));
    assert_eq!(f.fire_at(MS * 100), []);
    let past = f.arm(MS * 40);
    // Before the origin: saturates to it.
    let before = f.arm_at(f.start.checked_sub(MS * 5).unwrap_or(f.start));
    assert_eq!(f.timers.next_deadline(), Some(f.start));
    assert_eq!(f.fire_at(MS * 100), [before, past]);
    assert_eq!(f.fire_at(Duration::from_secs(86400 * 365)), []);
    assert_eq!(f.fire_at(Duration::from_secs(86400 * 365 * 30)), [far]);
    assert!(f.timers.is_empty());
}

#[test]
fn next_deadline_skips_slots_of_cancelled_timers() {
    let mut f = Fixture::new();
    let early = f.arm(MS * 3);
    let also_early = f.arm(MS * 3);
    let mid = f.arm(MS * 2000);
    let late = f.arm(MS * 9000);
    f.cancel(early);
    f.cancel(also_early);
    f.cancel(mid);
    assert_eq!(f.timers.next_deadline(), Some(f.start + MS * 8192));
    assert_eq!(f.timers.len(), 1);
    assert!(f.timers.auto_advance());
    assert_eq!(f.timers.now(), f.start + MS * 8192);
    f.cancel(late);
    assert_eq!(f.timers.next_deadline(), None);
    assert!(f.timers.is_empty());
    assert!(!f.timers.auto_advance());
}

#[test]
fn cancelled_timers_never_fire() {
    let mut f = Fixture::new();
    let a = f.arm(MS * 7);
    let b = f.arm(MS * 7);
    f.cancel(a);
    assert_eq!(f.fire_at(MS * 7), [b]);
    assert!(f.timers.is_empty());
}

#[test]
fn sweeps_keep_cancelled_timers_and_holes_within_the_live_ones() {
    let mut f = Fixture::new();
    let live = f.arm(Duration::from_secs(3600));
    // Arm and cancel many, one at a time, half of them lazily: what is
    // held stays bounded.
    let mut most = 0;
    for i in 0..20_000u32 {
        let id = f.arm(MS * (1000 + i));
        if i % 2 == 0 {
            f.cancel(id);
        } else {
            f.cancel_lazily(id);
        }
        most = most.max(f.timers.wheel.len() + f.timers.wheel.holes());
    }
    assert!(most <= 2 * MIN_SWEEP + 2, "held up to {most}");
    // The live timer's level-3 slot starts at 13 × 2^18 ms.
    assert_eq!(f.timers.next_deadline(), Some(f.start + MS * 3_407_872));
    assert_eq!(f.timers.len(), 1);
    assert!(!f.entries[live].is_cancelled());
}

#[test]
fn a_cancel_on_the_arming_loop_frees_the_entry_at_once() {
    let mut f = Fixture::new();
    let id = f.arm(MS * 100);
    f.arm(MS * 100);
    assert_eq!(Arc::strong_count(&f.entries[id]), 2);
    f.cancel(id);
    assert_eq!(Arc::strong_count(&f.entries[id]), 1, "the wheel let go");
    assert_eq!(f.timers.len(), 1);
    assert_eq!(f.fire_at(MS * 100), [1]);
    assert!(f.timers.is_empty());
}

#[test]
fn a_sleep_whose_deadline_the_loop_saw_pass_is_not_armed() {
    let mut f = Fixture::new();
    f.arm(MS * 50);
    f.fire_at(MS * 10);
    assert!(
        f.timers
            .arm_unless_elapsed(f.start + MS * 10, Waker::noop())
            .is_none()
    );
    // Within the next tick: the clock is read.
    f.timers.clock_mut().advance(Duration::from_micros(1500));
    assert!(
        f.timers
            .arm_unless_elapsed(f.start + MS * 11, Waker::noop())
            .is_none()
    );
    // Further ahead: armed without a clock read.
    f.timers.clock_mut().advance(MS * 5);
    let later = f
        .timers
        .arm_unless_elapsed(f.start + MS * 13, Waker::noop())
        .unwrap();
    let mut out = Vec::new();
    f.timers.fire_due(f.start + MS * 16, &mut out);
    assert!(later.is_fired());
}

#[test]
fn a_wheel_emptied_restarts_at_the_clock() {
    let mut f = Fixture::new();
    f.timers.clock_mut().advance(Duration::from_micros(2500));
    f.arm(MS * 1);
    // 3.5 ms after the first origin, 1 ms after the new one.
    let then = f.timers.now() + MS * 1;
    let entry = Arc::new(TimerEntry::new());
    f.timers.arm(then, entry.clone());
    assert_eq!(f.fire_at(MS * 3), [0]);
    f.timers
        .clock_mut()
        .advance_to((f.start + Duration::from_micros(3500)).into_std());
    let mut out = Vec::new();
    let now = f.timers.now();
    f.timers.fire_due(now, &mut out);
    assert!(entry.is_fired(), "its tick is whole");
}
