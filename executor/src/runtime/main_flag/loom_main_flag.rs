//! loom model of a `block_on` wake racing with its loop going to sleep: the
//! loop never sleeps with the flag up and no eventfd write to wake it.
//!
//! The poller's wake signal and eventfd are modelled as the reactor does
//! (`wake_signal.rs`: a `swap` on each side; the eventfd as a count of
//! undrained writes), so the model checks this flag's handoff composed with
//! that one.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::AcqRel, Ordering::SeqCst};
use loom::thread;

use super::MainFlag;

struct Driven {
    flag: MainFlag,
    /// The poller's wake signal: up while an eventfd write is outstanding.
    signal: AtomicBool,
    /// Undrained eventfd writes.
    eventfd: AtomicUsize,
}

impl Driven {
    /// The waker on another thread: raise the flag, then `Poller::wake`.
    fn wake_remote(&self) {
        self.flag.raise_then(|| {
            if !self.signal.swap(true, AcqRel) {
                self.eventfd.fetch_add(1, SeqCst);
            }
        });
    }

    /// One loop round: drain a pending eventfd write (and lower the signal,
    /// as `Poller::poll` does), poll the future if the flag is up, then
    /// decide whether to sleep. Returns whether it would sleep.
    fn round(&self) -> bool {
        if self.eventfd.swap(0, SeqCst) > 0 {
            self.signal.swap(false, AcqRel);
        }
        let _poll_future = self.flag.take();
        !self.flag.is_raised()
    }
}

fn model(signal_up_at_start: bool) {
    loom::model(move || {
        let driven = Arc::new(Driven {
            flag: MainFlag::new(),
            signal: AtomicBool::new(signal_up_at_start),
            eventfd: AtomicUsize::new(usize::from(signal_up_at_start)),
        });
        // The first round consumed the initial raise.
        assert!(driven.flag.take());
        let waker = {
            let driven = driven.clone();
            thread::spawn(move || driven.wake_remote())
        };
        let sleeps = driven.round();
        waker.join().unwrap();
        if sleeps {
            assert!(
                driven.eventfd.load(SeqCst) > 0 || !driven.flag.is_raised(),
                "the loop sleeps with its future woken and nothing to wake it"
            );
        }
    });
}

#[test]
fn loom_block_on_wake_races_the_loop_going_to_sleep() {
    model(false);
}

#[test]
fn loom_block_on_wake_races_a_pending_eventfd_drain() {
    model(true);
}
