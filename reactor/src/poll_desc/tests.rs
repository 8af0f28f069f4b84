//! Unit tests of the slot handshake, one per transition, and of the
//! descriptor's closing and deadline paths.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Waker};

use super::slot::Slot;
use super::{Direction, PollDesc};
use crate::sys::EventBits;
use crate::token::Token;

use crate::test_waker::{counting_waker, woken};

fn ok() -> Result<(), ()> {
    Ok(())
}

/// Unblocks `slot` and wakes what it hands back; returns how many wakers.
fn unblock(slot: &Slot) -> usize {
    let mut out = Vec::new();
    slot.unblock(&mut out);
    let n = out.len();
    out.into_iter().for_each(Waker::wake);
    n
}

#[test]
fn nil_poll_parks_the_waker() {
    let slot = Slot::new();
    let (waker, count) = counting_waker();
    assert_eq!(slot.poll_ready(&waker, ok), Poll::Pending);
    assert!(slot.is_parked());
    assert_eq!(woken(&count), 0);
}

#[test]
fn nil_unblock_latches_ready_and_the_next_poll_consumes_it() {
    let slot = Slot::new();
    assert_eq!(unblock(&slot), 0);
    assert!(slot.is_ready());
    let (waker, count) = counting_waker();
    assert_eq!(slot.poll_ready(&waker, ok), Poll::Ready(Ok(())));
    assert!(
        !slot.is_ready(),
        "readiness is consumed by the poll that saw it"
    );
    assert_eq!(slot.poll_ready(&waker, ok), Poll::Pending);
    assert_eq!(woken(&count), 0);
}

#[test]
fn ready_unblocked_again_stays_one_readiness() {
    let slot = Slot::new();
    unblock(&slot);
    unblock(&slot);
    let (waker, _) = counting_waker();
    assert_eq!(slot.poll_ready(&waker, ok), Poll::Ready(Ok(())));
    assert_eq!(slot.poll_ready(&waker, ok), Poll::Pending);
}

#[test]
fn parked_unblock_wakes_the_task_once_and_latches_ready() {
    let slot = Slot::new();
    let (waker, count) = counting_waker();
    assert_eq!(slot.poll_ready(&waker, ok), Poll::Pending);
    assert_eq!(unblock(&slot), 1);
    assert_eq!(woken(&count), 1);
    assert!(slot.is_ready());
    assert_eq!(unblock(&slot), 0, "nothing is parked any more");
    assert_eq!(woken(&count), 1);
    assert_eq!(slot.poll_ready(&waker, ok), Poll::Ready(Ok(())));
}

#[test]
fn repoll_of_the_same_task_keeps_one_waker() {
    let slot = Slot::new();
    let (waker, count) = counting_waker();
    for _ in 0..5 {
        assert_eq!(slot.poll_ready(&waker, ok), Poll::Pending);
    }
    assert_eq!(unblock(&slot), 1);
    assert_eq!(woken(&count), 1);
}

#[test]
fn two_tasks_on_one_slot_are_both_woken() {
    let slot = Slot::new();
    let (a, count_a) = counting_waker();
    let (b, count_b) = counting_waker();
    assert_eq!(slot.poll_ready(&a, ok), Poll::Pending);
    assert_eq!(slot.poll_ready(&b, ok), Poll::Pending);
    assert_eq!(slot.poll_ready(&a, ok), Poll::Pending);
    assert_eq!(unblock(&slot), 2);
    assert_eq!((woken(&count_a), woken(&count_b)), (1, 1));
}

#[test]
fn fifty_waiters_on_one_slot_are_all_kept_and_none_is_woken_early() {
    let slot = Slot::new();
    let wakers: Vec<_> = (0..50).map(|_| counting_waker()).collect();
    for (waker, _) in &wakers {
        assert_eq!(slot.poll_ready(waker, ok), Poll::Pending);
    }
    // Re-polls by the same tasks add nothing.
    for (waker, _) in &wakers {
        assert_eq!(slot.poll_ready(waker, ok), Poll::Pending);
    }
    let early: usize = wakers.iter().map(|(_, c)| woken(c)).sum();
    assert_eq!(early, 0, "nobody is woken before readiness");
    unblock(&slot);
    for (_, count) in &wakers {
        assert_eq!(woken(count), 1, "every waiter is woken exactly once");
    }
}

#[test]
fn a_failing_check_before_the_handshake_leaves_the_slot_alone() {
    let slot = Slot::new();
    unblock(&slot);
    let (waker, _) = counting_waker();
    assert_eq!(
        slot.poll_ready(&waker, || Err("closed")),
        Poll::Ready(Err("closed"))
    );
    assert!(slot.is_ready(), "an error does not consume readiness");
}

#[test]
fn a_check_failing_after_wait_gives_up_and_wakes_the_other_waiter() {
    let slot = Slot::new();
    let (a, count_a) = counting_waker();
    assert_eq!(slot.poll_ready(&a, ok), Poll::Pending);
    let (b, count_b) = counting_waker();
    let calls = AtomicUsize::new(0);
    // Passes the first check, fails the one made after entering WAIT: a
    // close published between the two.
    let check = || match calls.fetch_add(1, SeqCst) {
        0 => Ok(()),
        _ => Err("closed"),
    };
    assert_eq!(slot.poll_ready(&b, check), Poll::Ready(Err("closed")));
    assert!(!slot.is_parked() && !slot.is_ready(), "back to NIL");
    assert_eq!(woken(&count_a), 1, "the parked task learns of the close");
    assert_eq!(woken(&count_b), 0);
}

#[test]
fn readiness_during_registration_fails_the_commit_and_returns_ready() {
    let slot = Slot::new();
    let (a, count_a) = counting_waker();
    assert_eq!(slot.poll_ready(&a, ok), Poll::Pending);
    let (b, count_b) = counting_waker();
    let calls = AtomicUsize::new(0);
    // The reactor's unblock lands between WAIT and the commit: it finds WAIT,
    // not the parked box, so nobody is woken by it.
    let check = || {
        if calls.fetch_add(1, SeqCst) == 1 {
            assert_eq!(unblock(&slot), 0, "the box is held by the registrant");
        }
        Ok::<(), ()>(())
    };
    assert_eq!(slot.poll_ready(&b, check), Poll::Ready(Ok(())));
    assert!(!slot.is_ready(), "the registrant consumed the readiness");
    assert_eq!(
        woken(&count_a),
        1,
        "the other parked task is woken by the registrant"
    );
    assert_eq!(woken(&count_b), 0, "the registrant itself needs no wake-up");
    assert_eq!(slot.poll_ready(&b, ok), Poll::Pending);
}

#[test]
fn a_poll_that_meets_another_registration_asks_to_be_polled_again() {
    let slot = Slot::new();
    let (a, _) = counting_waker();
    let (b, count_b) = counting_waker();
    let calls = AtomicUsize::new(0);
    let check = || {
        if calls.fetch_add(1, SeqCst) == 1 {
            // A second task polls while we hold WAIT.
            assert_eq!(slot.poll_ready(&b, ok), Poll::Pending);
        }
        Ok::<(), ()>(())
    };
    assert_eq!(slot.poll_ready(&a, check), Poll::Pending);
    assert_eq!(woken(&count_b), 1, "the second task was told to poll again");
    assert_eq!(slot.poll_ready(&b, ok), Poll::Pending);
    assert_eq!(unblock(&slot), 2);
}

#[test]
fn dropping_a_slot_drops_parked_wakers_unwoken() {
    let (waker, count) = counting_waker();
    {
        let slot = Slot::new();
        assert_eq!(slot.poll_ready(&waker, ok), Poll::Pending);
        unblock(&slot);
        assert_eq!(slot.poll_ready(&waker, ok), Poll::Ready(Ok(())));
        assert_eq!(slot.poll_ready(&waker, ok), Poll::Pending);
    }
    assert_eq!(woken(&count), 1);
    assert_eq!(
        Arc::strong_count(&count),
        2,
        "only `waker` and `count` remain"
    );
}

fn desc() -> PollDesc {
    PollDesc::new(Token::new(0, 0))
}

#[test]
fn event_bits_map_to_slots_as_go_does() {
    let cases = [
        (EventBits::IN, true, false),
        (EventBits::RDHUP, true, false),
        (EventBits::OUT, false, true),
        (EventBits::HUP, true, true),
        (EventBits::ERR, true, true),
        (EventBits::IN | EventBits::OUT, true, true),
    ];
    for (bits, read, write) in cases {
        let desc = desc();
        let (r, count_r) = counting_waker();
        let (w, count_w) = counting_waker();
        assert!(desc.read.poll_ready(&r, ok).is_pending());
        assert!(desc.write.poll_ready(&w, ok).is_pending());
        let mut out = Vec::new();
        desc.ready(bits, &mut out);
        out.into_iter().for_each(Waker::wake);
        assert_eq!(woken(&count_r) == 1, read, "{bits:?} read slot");
        assert_eq!(woken(&count_w) == 1, write, "{bits:?} write slot");
    }
}

#[test]
fn close_wakes_both_directions_and_fails_every_later_wait() {
    let desc = desc();
    let (r, count_r) = counting_waker();
    let (w, count_w) = counting_waker();
    assert!(
        desc.poll_ready(Direction::Read, &mut Context::from_waker(&r))
            .is_pending()
    );
    assert!(
        desc.poll_ready(Direction::Write, &mut Context::from_waker(&w))
            .is_pending()
    );
    let mut out = Vec::new();
    desc.close(&mut out);
    out.into_iter().for_each(Waker::wake);
    assert_eq!((woken(&count_r), woken(&count_w)), (1, 1));
    assert!(desc.is_closing());
    for dir in [Direction::Read, Direction::Write] {
        match desc.poll_ready(dir, &mut Context::from_waker(&r)) {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::Other),
            other => panic!("wait on a closed descriptor gave {other:?}"),
        }
        let mut ran = false;
        let res = desc.poll_io(dir, &mut Context::from_waker(&r), || {
            ran = true;
            Ok(())
        });
        assert!(matches!(res, Poll::Ready(Err(_))));
        assert!(!ran, "no syscall on a closed descriptor");
    }
}

#[test]
fn an_expired_deadline_fails_its_direction_until_cleared() {
    let desc = desc();
    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(desc.poll_ready(Direction::Read, &mut cx).is_pending());
    desc.expire_deadline(Direction::Read);
    assert_eq!(woken(&count), 1, "the waiter is woken by the deadline");
    match desc.poll_ready(Direction::Read, &mut cx) {
        Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::TimedOut),
        other => panic!("expected TimedOut, got {other:?}"),
    }
    assert!(
        desc.poll_ready(Direction::Write, &mut cx).is_pending(),
        "writes unaffected"
    );
    desc.clear_deadline(Direction::Read);
    // The expiry left a (spurious) readiness behind: one retry, then park.
    assert!(matches!(
        desc.poll_ready(Direction::Read, &mut cx),
        Poll::Ready(Ok(()))
    ));
    assert!(desc.poll_ready(Direction::Read, &mut cx).is_pending());
}

#[test]
fn poll_io_retries_the_operation_only_after_readiness() {
    let desc = desc();
    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let attempts = AtomicUsize::new(0);
    let data_arrived = std::sync::atomic::AtomicBool::new(false);
    let op = || {
        attempts.fetch_add(1, SeqCst);
        if data_arrived.load(SeqCst) {
            Ok(7)
        } else {
            Err(io::ErrorKind::WouldBlock.into())
        }
    };
    assert!(desc.poll_io(Direction::Read, &mut cx, op).is_pending());
    assert_eq!(attempts.load(SeqCst), 1);
    data_arrived.store(true, SeqCst);
    let mut out = Vec::new();
    desc.ready(EventBits::IN, &mut out);
    out.into_iter().for_each(Waker::wake);
    assert_eq!(woken(&count), 1);
    assert!(matches!(
        desc.poll_io(Direction::Read, &mut cx, op),
        Poll::Ready(Ok(7))
    ));
}

#[test]
fn poll_io_passes_other_errors_through() {
    let desc = desc();
    let (waker, _) = counting_waker();
    let res: Poll<io::Result<()>> =
        desc.poll_io(Direction::Write, &mut Context::from_waker(&waker), || {
            Err(io::ErrorKind::BrokenPipe.into())
        });
    assert!(matches!(res, Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe));
}
