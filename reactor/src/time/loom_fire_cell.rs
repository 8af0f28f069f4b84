//! loom models of the fire cell's handshake, one per race it claims to win.
//!
//! Each model checks, over every interleaving, that the poll racing the
//! fire returns `Pending` only if the fire then woke its waker (no lost
//! wake-up), that no task is woken twice, and that once the threads are
//! done and the cell is dropped no clone of any waker is left alive (no
//! leak: `Arc::strong_count` of each waker's counter).
//!
//! Run with `RUSTFLAGS="--cfg loom -C debug-assertions"
//! LOOM_MAX_PREEMPTIONS=2 cargo test -p netloop-reactor --lib --release loom_`.

use std::task::Poll;

use loom::sync::Arc;
use loom::thread;

use super::fire_cell::{FireCell, coverage};

use crate::test_waker::{alive, counting_waker, woken};

/// The wheel's thread: fire, then wake outside.
fn spawn_firer(cell: &Arc<FireCell>) -> thread::JoinHandle<()> {
    let cell = cell.clone();
    thread::spawn(move || {
        if let Some(waker) = cell.fire() {
            waker.wake();
        }
    })
}

/// The first registration on a cell built empty, racing the fire: the
/// fire comes before it (`Ready` at once), during it (the publish meets
/// `FIRED`: `Ready`), or after it (`Pending`, and the fire wakes it).
#[test]
fn loom_fire_races_first_registration() {
    loom::model(|| {
        let cell = Arc::new(FireCell::new());
        let firer = spawn_firer(&cell);
        let (waker, count) = counting_waker();
        let result = cell.poll(&waker);
        firer.join().unwrap();
        match result {
            Poll::Pending => assert_eq!(woken(&count), 1, "a published waker is woken once"),
            Poll::Ready(()) => assert_eq!(woken(&count), 0, "a ready poll is not woken"),
        }
        assert_eq!(cell.poll(&waker), Poll::Ready(()), "fired for good");
        drop((cell, waker));
        assert_eq!(alive(&count), 0, "no waker leaked");
    });
    assert!(
        coverage::get(&coverage::FIRE_TOOK_WAKER) > 0,
        "fire after the publish"
    );
    assert!(
        coverage::get(&coverage::PUBLISH_FAILED) > 0,
        "fire during the registration"
    );
}

/// A cell built holding task A's waker (a `Sleep`'s first poll) is polled
/// by task B while it fires: the fire wakes A (before B took the cell),
/// nobody (during B's registration: B's poll is `Ready`), or B (after
/// B's publish). Either way B is `Ready` or woken, nobody twice.
#[test]
fn loom_fire_races_reregistration_with_new_waker() {
    loom::model(|| {
        let (old, count_old) = counting_waker();
        let cell = Arc::new(FireCell::with_waker(old));
        let firer = spawn_firer(&cell);
        let (new, count_new) = counting_waker();
        let result = cell.poll(&new);
        firer.join().unwrap();
        match result {
            Poll::Pending => {
                assert_eq!(woken(&count_new), 1, "the new waker is woken");
                assert_eq!(woken(&count_old), 0, "the replaced one is not");
            }
            Poll::Ready(()) => {
                assert_eq!(woken(&count_new), 0);
                assert!(woken(&count_old) <= 1);
            }
        }
        assert_eq!(cell.poll(&new), Poll::Ready(()));
        drop((cell, new));
        assert_eq!(alive(&count_old), 0, "no waker leaked");
        assert_eq!(alive(&count_new), 0, "no waker leaked");
    });
    assert!(
        coverage::get(&coverage::FIRE_TOOK_WAKER) > 0,
        "fire took a waker"
    );
    assert!(
        coverage::get(&coverage::PUBLISH_FAILED) > 0,
        "fire during the re-registration"
    );
}

/// As above with the same task's waker (a spurious re-poll): the held
/// waker is kept, and the task is woken exactly when the poll is
/// `Pending`.
#[test]
fn loom_fire_races_reregistration_with_same_waker() {
    loom::model(|| {
        let (waker, count) = counting_waker();
        let cell = Arc::new(FireCell::with_waker(waker.clone()));
        let firer = spawn_firer(&cell);
        let result = cell.poll(&waker);
        firer.join().unwrap();
        match result {
            Poll::Pending => assert_eq!(woken(&count), 1),
            Poll::Ready(()) => assert!(woken(&count) <= 1),
        }
        assert_eq!(cell.poll(&waker), Poll::Ready(()));
        drop((cell, waker));
        assert_eq!(alive(&count), 0, "no waker leaked");
    });
    assert!(coverage::get(&coverage::PUBLISH_FAILED) > 0);
}
