//! loom models of the slot handshake, one per race it claims to win.
//!
//! Each model checks the same two promises over every interleaving: a task
//! that returned `Pending` is woken exactly once by the readiness that
//! follows (never lost, never woken twice: the parked box is never taken
//! twice), and a task that returned `Ready` was not parked at all. A final
//! `unblock` after the threads join stands for "the next event": whatever is
//! still parked must be woken by it.
//!
//! Run with `RUSTFLAGS="--cfg loom -C debug-assertions"
//! LOOM_MAX_PREEMPTIONS=2 cargo test -p netloop-reactor --lib --release loom_`.

use std::io;
use std::task::{Context, Poll, Waker};

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

use super::slot::{Slot, coverage};
use super::{Direction, PollDesc};
use crate::test_waker::{Count as Counter, counting_waker, woken};
use crate::token::Token;

fn ok() -> Result<(), ()> {
    Ok(())
}

/// Go's `netpollready` for one slot: unblock, then wake outside.
fn unblock(slot: &Slot) {
    let mut out = Vec::new();
    slot.unblock(&mut out);
    out.into_iter().for_each(Waker::wake);
}

/// After the final unblock: `Pending` ⇒ woken exactly once, `Ready` ⇒ never.
fn assert_woken_exactly_when_parked(result: Poll<Result<(), ()>>, counter: &Counter) {
    match result {
        Poll::Pending => assert_eq!(woken(counter), 1, "a parked task is woken exactly once"),
        Poll::Ready(_) => assert_eq!(woken(counter), 0, "a task that got readiness is not woken"),
    }
}

/// Readiness before the wait, and readiness arriving during registration
/// (the reactor's swap meets WAIT, the commit CAS fails): either way the
/// poll returns `Ready`, or it parked first and the unblock wakes it.
#[test]
fn loom_unblock_races_first_poll() {
    loom::model(|| {
        let slot = Arc::new(Slot::new());
        let reactor = {
            let slot = slot.clone();
            thread::spawn(move || unblock(&slot))
        };
        let (waker, count) = counting_waker();
        let result = slot.poll_ready(&waker, ok);
        reactor.join().unwrap();
        match result {
            Poll::Pending => assert_eq!(woken(&count), 1, "parked before the unblock: woken"),
            Poll::Ready(r) => {
                assert_eq!(r, Ok(()));
                assert_eq!(woken(&count), 0);
            }
        }
        unblock(&slot);
        assert_woken_exactly_when_parked(result, &count);
    });
    assert!(
        coverage::get(&coverage::READY_CONSUMED) > 0,
        "readiness before the wait"
    );
    assert!(
        coverage::get(&coverage::COMMIT_FAILED) > 0,
        "readiness at the commit"
    );
}

/// A parked task re-polls with a new waker while the reactor unblocks: the
/// old waker is woken exactly once whoever wins, and the new one is woken
/// exactly when the re-poll parked it.
#[test]
fn loom_repoll_with_new_waker_races_unblock() {
    loom::model(|| {
        let slot = Arc::new(Slot::new());
        let (old, count_old) = counting_waker();
        assert_eq!(slot.poll_ready(&old, ok), Poll::Pending);
        let reactor = {
            let slot = slot.clone();
            thread::spawn(move || unblock(&slot))
        };
        let (new, count_new) = counting_waker();
        let result = slot.poll_ready(&new, ok);
        reactor.join().unwrap();
        assert_eq!(
            woken(&count_old),
            1,
            "the earlier registration is never lost"
        );
        match result {
            Poll::Pending => assert_eq!(woken(&count_new), 1),
            Poll::Ready(_) => assert_eq!(woken(&count_new), 0),
        }
        unblock(&slot);
        assert_eq!(woken(&count_old), 1, "nor woken twice");
        assert_woken_exactly_when_parked(result, &count_new);
    });
    assert!(
        coverage::get(&coverage::COMMIT_FAILED) > 0,
        "unblock met the re-poll's WAIT"
    );
}

/// A close (flag published, then both slots unblocked) racing with a wait:
/// the waiter gets the error, or a readiness after which the next poll gets
/// the error, or parks and is woken — never sleeps through the close.
#[test]
fn loom_close_races_wait() {
    loom::model(|| {
        let desc = Arc::new(PollDesc::new(Token::new(0, 0)));
        let closer = {
            let desc = desc.clone();
            thread::spawn(move || {
                let mut out = Vec::new();
                desc.close(&mut out);
                out.into_iter().for_each(Waker::wake);
            })
        };
        let (waker, count) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let result = desc.poll_ready(Direction::Read, &mut cx);
        closer.join().unwrap();
        match &result {
            Poll::Pending => assert_eq!(woken(&count), 1, "a parked waiter is woken by close"),
            Poll::Ready(_) => assert_eq!(woken(&count), 0),
        }
        match desc.poll_ready(Direction::Read, &mut cx) {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::Other),
            other => panic!("a wait after close must fail, got {other:?}"),
        }
    });
}

/// Two tasks wait on one slot (Go's "double wait") while the reactor
/// unblocks it. The readiness is never lost — someone got `Ready`, or a
/// parked task was woken, or it is still latched — and after the next event
/// every task that parked has been woken exactly once.
#[test]
fn loom_two_waiters_on_one_slot() {
    loom::model(|| {
        let slot = Arc::new(Slot::new());
        let (a, count_a) = counting_waker();
        let task_a = {
            let slot = slot.clone();
            thread::spawn(move || slot.poll_ready(&a, ok))
        };
        let (b, count_b) = counting_waker();
        let task_b = {
            let slot = slot.clone();
            thread::spawn(move || slot.poll_ready(&b, ok))
        };
        unblock(&slot);
        let result_a = task_a.join().unwrap();
        let result_b = task_b.join().unwrap();

        let someone_ready = result_a.is_ready() || result_b.is_ready();
        let someone_woken = woken(&count_a) + woken(&count_b) > 0;
        assert!(
            someone_ready || someone_woken || slot.is_ready(),
            "the readiness vanished: {result_a:?} {result_b:?}"
        );
        assert!(woken(&count_a) <= 1 && woken(&count_b) <= 1);

        unblock(&slot);
        assert_woken_exactly_when_parked(result_a, &count_a);
        assert_woken_exactly_when_parked(result_b, &count_b);
    });
    assert!(
        coverage::get(&coverage::WAIT_MET) > 0,
        "a poll met the other's WAIT"
    );
    assert!(
        coverage::get(&coverage::COMMIT_FAILED) > 0,
        "readiness at a commit"
    );
}

/// `consume_ready` (tokio's `try_io` taking reported readiness) racing an
/// event for new data: the consume happens before the caller's syscall,
/// so data that arrives at any point is either seen by that syscall or
/// still latched as `READY` afterwards — never both missed and unlatched,
/// which would strand it with no further edge coming.
#[test]
fn loom_consume_ready_races_new_data() {
    loom::model(|| {
        let slot = Arc::new(Slot::new());
        // An earlier event, already latched.
        unblock(&slot);
        // The socket's receive buffer: 1 while unread data is queued.
        let data = Arc::new(AtomicUsize::new(0));
        let peer = {
            let (slot, data) = (slot.clone(), data.clone());
            thread::spawn(move || {
                // The kernel queues data, then epoll reports the edge.
                data.store(1, SeqCst);
                unblock(&slot);
            })
        };
        if slot.consume_ready() {
            // The caller's syscall: reads what is queued (or EAGAIN).
            data.store(0, SeqCst);
        }
        peer.join().unwrap();
        if data.load(SeqCst) == 1 {
            assert!(
                slot.is_ready(),
                "unread data with no readiness latched: lost"
            );
        }
    });
}
