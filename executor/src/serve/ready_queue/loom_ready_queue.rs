//! loom model of a connection waker queueing its key while the driver takes
//! the queue: the key is in that take, or the waker was told to wake the
//! driver (whose next take then has it). Shown to fail with the driver
//! lowering `scheduled` after its take instead of before.

use loom::sync::Arc;
use loom::thread;

use super::ReadyQueue;

#[test]
fn loom_push_racing_take_is_taken_or_wakes() {
    loom::model(|| {
        let queue = Arc::new(ReadyQueue::new());
        // A wake-up is outstanding: the driver is about to run.
        assert!(queue.push(0u32));
        let waker = {
            let queue = queue.clone();
            thread::spawn(move || queue.push(1))
        };
        let mut first = Vec::new();
        queue.take(&mut first);
        let woke = waker.join().unwrap();
        if !first.contains(&1) {
            assert!(woke, "key 1 missed the take and nobody woke the driver");
            let mut second = Vec::new();
            queue.take(&mut second);
            assert_eq!(second, vec![1], "the woken driver's take has it");
        }
    });
}

/// The same with nothing queued before: the take may skip the lock (no
/// push since the last take), and a push racing with it must then wake.
#[test]
fn loom_push_racing_an_empty_take_is_taken_or_wakes() {
    loom::model(|| {
        let queue = Arc::new(ReadyQueue::new());
        let waker = {
            let queue = queue.clone();
            thread::spawn(move || queue.push(1u32))
        };
        let mut first = Vec::new();
        queue.take(&mut first);
        let woke = waker.join().unwrap();
        if first.is_empty() {
            assert!(woke, "the key missed the take and nobody woke the driver");
            let mut second = Vec::new();
            queue.take(&mut second);
            assert_eq!(second, vec![1], "the woken driver's take has it");
        }
    });
}
