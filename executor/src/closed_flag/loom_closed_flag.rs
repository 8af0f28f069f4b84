//! loom model of a remote push racing with a loop closing its queue at
//! shutdown: the pushed item is always dropped by someone (the loop's last
//! drain or the pusher itself), never left in the queue.
//!
//! The queue is modelled as a count of items (a lock-free length, as the
//! reactor's loom queue has), drained with a swap.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::Acquire, Ordering::Release};
use loom::thread;

use super::ClosedFlag;

#[test]
fn loom_push_racing_close_is_never_stranded() {
    loom::model(|| {
        let flag = Arc::new(ClosedFlag::new());
        let queued = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let drain = |queued: &AtomicUsize, dropped: &AtomicUsize| {
            let n = queued.swap(0, Acquire);
            dropped.fetch_add(n, Release);
        };
        let pusher = {
            let (flag, queued, dropped) = (flag.clone(), queued.clone(), dropped.clone());
            thread::spawn(move || {
                flag.push_then_check(
                    || {
                        queued.fetch_add(1, Release);
                    },
                    || drain(&queued, &dropped),
                );
            })
        };
        flag.close_then_drain(|| drain(&queued, &dropped));
        pusher.join().unwrap();
        assert_eq!(queued.load(Acquire), 0, "an item was stranded in the queue");
        assert_eq!(dropped.load(Acquire), 1, "the item is dropped exactly once");
    });
}
