//! Unit tests of the timing wheel: levels, order across cascades, due and
//! overflow lists, holes.

use super::*;

fn armed(ms: u64) -> Armed {
    Armed {
        deadline: ms * TICK_NANOS,
        entry: Some(Arc::new(TimerEntry::new())),
    }
}

/// Every batch up to `now`, as ticks.
fn drain(wheel: &mut Wheel, now: u64) -> Vec<u64> {
    let mut ticks = Vec::new();
    while let Some(batch) = wheel.next_batch(now) {
        ticks.extend(batch.iter().map(Armed::tick));
        wheel.done(batch, 0, 0);
    }
    ticks
}

#[test]
fn levels_follow_the_highest_differing_digit() {
    assert_eq!(level_for(0, 1), 0);
    assert_eq!(level_for(0, 63), 0);
    assert_eq!(level_for(0, 64), 1);
    assert_eq!(level_for(63, 64), 1);
    assert_eq!(level_for(64, 127), 0);
    assert_eq!(level_for(0, 4095), 1);
    assert_eq!(level_for(0, 4096), 2);
    assert_eq!(level_for(0, (1 << 36) - 1), 5);
    assert_eq!(level_for(0, 1 << 36), LEVELS);
}

#[test]
fn ticks_come_out_in_order_across_levels_and_cascades() {
    let mut wheel = Wheel::new();
    let ticks = [5000, 1, 70, 64, 63, 4096, 262_144, 3, 70, 1 << 30, 100_000];
    for &t in &ticks {
        wheel.insert(armed(t));
    }
    let mut sorted = ticks.to_vec();
    sorted.sort_unstable();
    assert_eq!(drain(&mut wheel, 1 << 31), sorted);
    assert_eq!(wheel.len(), 0);
}

#[test]
fn only_what_is_due_comes_out_and_the_rest_waits() {
    let mut wheel = Wheel::new();
    for t in [10, 200, 5000] {
        wheel.insert(armed(t));
    }
    assert_eq!(drain(&mut wheel, 9), Vec::<u64>::new());
    assert_eq!(wheel.elapsed(), 9);
    assert_eq!(drain(&mut wheel, 199), [10]);
    // The level-1 slot of 200 starts at 192: the wheel stops there.
    assert_eq!(wheel.next_expiration().map(|e| e.tick), Some(200));
    assert_eq!(drain(&mut wheel, 5000), [200, 5000]);
    assert_eq!(wheel.len(), 0);
}

#[test]
fn higher_slots_expire_at_their_start_and_cascade() {
    let mut wheel = Wheel::new();
    wheel.insert(armed(4100));
    let exp = wheel.next_expiration().unwrap();
    assert_eq!((exp.level, exp.tick), (2, 4096));
    assert_eq!(drain(&mut wheel, 4096), Vec::<u64>::new());
    let exp = wheel.next_expiration().unwrap();
    assert_eq!((exp.level, exp.tick), (0, 4100));
}

#[test]
fn a_tick_not_ahead_is_due_at_once() {
    let mut wheel = Wheel::new();
    assert_eq!(drain(&mut wheel, 50), Vec::<u64>::new());
    wheel.insert(armed(20));
    wheel.insert(armed(50));
    assert_eq!(wheel.next_expiration(), None);
    assert_eq!(drain(&mut wheel, 50), [20, 50]);
}

#[test]
fn the_far_future_overflows_and_comes_back() {
    let mut wheel = Wheel::new();
    let far = (1u64 << 37) + 5;
    wheel.insert(armed(far));
    wheel.insert(armed(7));
    let exp = wheel.next_expiration().unwrap();
    assert_eq!(exp.tick, 7);
    assert_eq!(drain(&mut wheel, 7), [7]);
    assert_eq!(wheel.next_expiration().unwrap().tick, 1 << 37);
    assert_eq!(drain(&mut wheel, far - 1), Vec::<u64>::new());
    assert_eq!(drain(&mut wheel, far), [far]);
}

#[test]
fn a_slot_keeps_arming_order_through_cascades() {
    let mut wheel = Wheel::new();
    let entries: Vec<Armed> = (0..5).map(|_| armed(300)).collect();
    let ptrs: Vec<_> = entries
        .iter()
        .map(|a| a.entry.as_ref().map(Arc::as_ptr))
        .collect();
    for a in entries {
        wheel.insert(a);
    }
    let batch = wheel.next_batch(300).unwrap();
    let got: Vec<_> = batch
        .iter()
        .map(|a| a.entry.as_ref().map(Arc::as_ptr))
        .collect();
    assert_eq!(got, ptrs);
}

#[test]
fn retain_drops_and_clears_empty_slots() {
    let mut wheel = Wheel::new();
    for t in [3, 100, 1 << 40, 3] {
        wheel.insert(armed(t));
    }
    let keep: Vec<_> = (0..2).map(|_| armed(3)).collect();
    let kept: Vec<_> = keep.iter().map(|a| a.entry.clone().unwrap()).collect();
    for a in keep {
        wheel.insert(a);
    }
    assert_eq!(
        wheel.retain(|e| kept.iter().any(|k| std::ptr::eq(&**k, e))),
        4
    );
    assert_eq!(wheel.len(), 2);
    assert_eq!(wheel.next_expiration().unwrap().tick, 3);
    assert_eq!(drain(&mut wheel, u64::MAX / 2), [3, 3]);
    assert_eq!(wheel.next_expiration(), None);
}

#[test]
fn a_batch_handed_back_with_timers_left_keeps_them_due() {
    let mut wheel = Wheel::new();
    wheel.insert(armed(2));
    wheel.insert(armed(2));
    let batch = wheel.next_batch(2).unwrap();
    wheel.done(batch, 0, 1);
    assert_eq!(wheel.len(), 1);
    assert_eq!(drain(&mut wheel, 2), [2]);
}

#[test]
fn a_removed_timer_leaves_a_hole_that_goes_with_its_slot() {
    let mut wheel = Wheel::new();
    let a = armed(5000);
    let entry = a.entry.clone().unwrap();
    wheel.insert(a);
    wheel.insert(armed(5000));
    assert!(wheel.remove(&entry));
    assert!(!wheel.remove(&entry), "only once");
    assert_eq!((wheel.len(), wheel.holes()), (1, 1));
    // The cascade drops the hole.
    assert_eq!(drain(&mut wheel, 5000), [5000]);
    assert_eq!((wheel.len(), wheel.holes()), (0, 0));
}

#[test]
fn a_timer_that_moved_is_not_removed_by_its_stale_position() {
    let mut wheel = Wheel::new();
    let a = armed(100);
    let entry = a.entry.clone().unwrap();
    wheel.insert(a);
    // Cascaded from level 1 to level 0: its recorded position is stale.
    assert_eq!(drain(&mut wheel, 64), Vec::<u64>::new());
    wheel.insert(armed(70));
    assert!(!wheel.remove(&entry));
    assert_eq!(wheel.len(), 2);
}
