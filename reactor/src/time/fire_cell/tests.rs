use std::sync::Arc;
use std::task::{Poll, Waker};

use super::FireCell;

use crate::test_waker::{alive, counting_waker, woken};

fn fire(cell: &FireCell) -> bool {
    cell.fire().map(Waker::wake).is_some()
}

#[test]
fn register_then_fire_wakes_once() {
    let (waker, count) = counting_waker();
    let cell = FireCell::new();
    assert!(!cell.is_fired());
    assert_eq!(cell.poll(&waker), Poll::Pending);
    assert_eq!(alive(&count), 2, "the cell holds a clone");
    assert!(fire(&cell));
    assert_eq!(woken(&count), 1);
    assert!(cell.is_fired());
    assert!(!fire(&cell), "a second fire wakes nobody");
    assert_eq!(woken(&count), 1);
    assert_eq!(cell.poll(&waker), Poll::Ready(()));
    drop(waker);
    assert_eq!(alive(&count), 0);
}

#[test]
fn a_cell_built_with_a_waker_gives_it_to_the_fire() {
    let (waker, count) = counting_waker();
    let cell = FireCell::with_waker(waker);
    assert!(fire(&cell));
    assert_eq!((woken(&count), alive(&count)), (1, 0));
    assert!(!fire(&cell));
}

#[test]
fn fire_before_register_is_ready_and_keeps_no_waker() {
    let (waker, count) = counting_waker();
    let cell = FireCell::new();
    assert!(!fire(&cell), "nobody to wake");
    assert_eq!(cell.poll(&waker), Poll::Ready(()));
    assert_eq!((woken(&count), alive(&count)), (0, 1));
}

#[test]
fn re_registering_the_same_task_keeps_the_held_waker() {
    let (waker, count) = counting_waker();
    let cell = FireCell::with_waker(waker.clone());
    assert_eq!(cell.poll(&waker), Poll::Pending);
    assert_eq!(cell.poll(&waker.clone()), Poll::Pending);
    assert_eq!(alive(&count), 2, "no second clone stored");
    assert!(fire(&cell));
    assert_eq!(woken(&count), 1);
    assert_eq!(cell.poll(&waker), Poll::Ready(()));
}

#[test]
fn re_registering_another_task_replaces_the_waker() {
    let (a, count_a) = counting_waker();
    let (b, count_b) = counting_waker();
    let cell = FireCell::with_waker(a.clone());
    assert_eq!(cell.poll(&b), Poll::Pending);
    assert_eq!(alive(&count_a), 1, "the old waker is dropped");
    assert_eq!(alive(&count_b), 2);
    assert!(fire(&cell));
    assert_eq!((woken(&count_a), woken(&count_b)), (0, 1));
    assert_eq!(cell.poll(&a), Poll::Ready(()));
    assert_eq!((alive(&count_a), alive(&count_b)), (1, 1));
}

#[test]
fn dropping_a_cell_drops_its_waker_unwoken() {
    let (waker, count) = counting_waker();
    let cell = FireCell::new();
    assert_eq!(cell.poll(&waker), Poll::Pending);
    drop(cell);
    assert_eq!((woken(&count), alive(&count)), (0, 1));
    drop(FireCell::with_waker(waker));
    assert_eq!((woken(&count), alive(&count)), (0, 0));
}

#[test]
fn a_registration_racing_a_fire_is_woken_or_ready() {
    for _ in 0..1000 {
        let (waker, count) = counting_waker();
        let cell = Arc::new(FireCell::new());
        let firer = {
            let cell = cell.clone();
            std::thread::spawn(move || fire(&cell))
        };
        let result = cell.poll(&waker);
        let woke = firer.join().unwrap();
        assert_eq!(woke, result.is_pending());
        assert_eq!(woken(&count), usize::from(result.is_pending()));
        assert_eq!(cell.poll(&waker), Poll::Ready(()));
        drop((cell, waker));
        assert_eq!(alive(&count), 0);
    }
}
