//! loom models of the wake signal: a remote push racing with the loop
//! lowering the signal and going to sleep never leaves work queued with no
//! eventfd write outstanding.
//!
//! The eventfd is modelled as a counter of writes the loop has not drained.
//! "The loop may sleep" is the state after its turn: if work is still queued
//! then, an undrained write must exist to wake it.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

use super::WakeSignal;
use crate::queues::TaskQueue;

struct Loop {
    signal: WakeSignal,
    queue: TaskQueue<u32>,
    /// Eventfd writes not yet drained by the loop.
    eventfd: AtomicUsize,
}

impl Loop {
    fn new() -> Loop {
        Loop {
            signal: WakeSignal::new(),
            queue: TaskQueue::new(),
            eventfd: AtomicUsize::new(0),
        }
    }

    /// A remote thread's push: publish, then raise; write if it flipped.
    fn push(&self, task: u32) {
        self.queue.push(task);
        if self.signal.raise() {
            self.eventfd.fetch_add(1, SeqCst);
        }
    }

    /// One loop turn that found the eventfd readable: drain it, lower the
    /// signal, then drain the queue. Returns the tasks it ran.
    fn turn(&self) -> usize {
        if self.eventfd.swap(0, SeqCst) == 0 {
            return 0;
        }
        self.signal.reset();
        let mut ran = 0;
        while self.queue.pop().is_some() {
            ran += 1;
        }
        ran
    }

    /// Would a loop that blocks in `epoll_wait` now be woken for the work
    /// still queued?
    fn no_stranded_work(&self) -> bool {
        self.queue.len() == 0 || self.eventfd.load(SeqCst) > 0
    }
}

/// A push lands while an earlier wake-up (a bare `wake()`) is outstanding:
/// the producer sees the signal up and writes nothing, so the loop's turn
/// for the earlier write must see the push — or the push must write.
#[test]
fn loom_push_races_loop_going_to_sleep() {
    loom::model(|| {
        let lp = Arc::new(Loop::new());
        assert!(lp.signal.raise());
        lp.eventfd.fetch_add(1, SeqCst);
        let producer = {
            let lp = lp.clone();
            thread::spawn(move || lp.push(1))
        };
        let ran = lp.turn();
        producer.join().unwrap();
        assert!(
            lp.no_stranded_work(),
            "work queued, nothing to wake the loop"
        );
        let ran_after = lp.turn();
        assert_eq!(ran + ran_after, 1, "the task runs exactly once");
    });
}

#[test]
fn loom_two_producers_cost_at_most_one_write_per_turn() {
    loom::model(|| {
        let lp = Arc::new(Loop::new());
        let producers: Vec<_> = (0..2)
            .map(|i| {
                let lp = lp.clone();
                thread::spawn(move || lp.push(i))
            })
            .collect();
        let ran = lp.turn();
        for p in producers {
            p.join().unwrap();
        }
        assert!(lp.no_stranded_work());
        // Before the turn only one write can be outstanding; the turn's reset
        // allows at most one more.
        assert!(lp.eventfd.load(SeqCst) <= 1);
        assert_eq!(ran + lp.turn(), 2);
    });
}
