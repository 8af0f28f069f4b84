//! `interval` and its missed-tick behaviours. The assertions read the
//! instants the ticks were *scheduled* for, which are exact, not how late
//! they fired: a loaded machine can only make ticks later.

use std::time::Duration;

use netloop::runtime::Builder;
use netloop::time::{self, Instant, MissedTickBehavior};

const PERIOD: Duration = Duration::from_millis(20);

/// Ticks once, blocks the loop for `stall` (so ticks are missed), then
/// returns the instants of the next `n` ticks and when the late one fired.
fn ticks_after_a_stall(behavior: MissedTickBehavior, n: usize) -> (Instant, Vec<Instant>, Instant) {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let mut interval = time::interval_at(start, PERIOD);
        interval.set_missed_tick_behavior(behavior);
        assert_eq!(interval.missed_tick_behavior(), behavior);
        assert_eq!(
            interval.tick().await,
            start,
            "the first tick is at the start"
        );
        std::thread::sleep(PERIOD * 3 + PERIOD / 2);
        let late_fired_at = Instant::now();
        let mut ticks = Vec::new();
        for _ in 0..n {
            ticks.push(interval.tick().await);
        }
        (start, ticks, late_fired_at)
    })
}

#[test]
fn the_first_tick_is_immediate_and_ticks_follow_the_period() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let begin = Instant::now();
        let mut interval = time::interval(PERIOD);
        let first = interval.tick().await;
        let second = interval.tick().await;
        let third = interval.tick().await;
        assert!(first >= begin);
        assert_eq!(second - first, PERIOD);
        assert_eq!(third - second, PERIOD);
        assert!(
            Instant::now() >= third,
            "no tick completes before its instant"
        );
        assert_eq!(interval.period(), PERIOD);
    });
}

#[test]
fn burst_fires_every_missed_tick_on_the_original_schedule() {
    let (start, ticks, _) = ticks_after_a_stall(MissedTickBehavior::Burst, 5);
    for (k, tick) in ticks.iter().enumerate() {
        assert_eq!(*tick, start + PERIOD * (k as u32 + 1), "tick {k}");
    }
}

#[test]
fn delay_schedules_the_next_tick_a_period_after_the_late_one() {
    let (start, ticks, late_fired_at) = ticks_after_a_stall(MissedTickBehavior::Delay, 3);
    assert_eq!(
        ticks[0],
        start + PERIOD,
        "the missed tick still fires, late"
    );
    assert!(
        ticks[1] >= late_fired_at + PERIOD,
        "then one period after it fired"
    );
    assert_eq!(ticks[2] - ticks[1], PERIOD, "and on from there");
}

#[test]
fn skip_drops_missed_ticks_and_stays_on_the_original_grid() {
    let (start, ticks, late_fired_at) = ticks_after_a_stall(MissedTickBehavior::Skip, 3);
    assert_eq!(
        ticks[0],
        start + PERIOD,
        "the missed tick still fires, late"
    );
    for tick in &ticks[1..] {
        let since = *tick - start;
        assert_eq!(since.as_nanos() % PERIOD.as_nanos(), 0, "on the grid");
    }
    assert!(
        ticks[1] > late_fired_at,
        "the ticks missed meanwhile are skipped"
    );
    assert!(ticks[1] <= late_fired_at + PERIOD);
    assert_eq!(ticks[2] - ticks[1], PERIOD);
}

#[test]
fn reset_restarts_the_schedule_from_now() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let mut interval = time::interval(PERIOD);
        interval.tick().await;
        let before = Instant::now();
        interval.reset();
        let next = interval.tick().await;
        assert!(next >= before + PERIOD);
        interval.reset_immediately();
        let now = Instant::now();
        let immediate = interval.tick().await;
        assert!(immediate <= Instant::now() && immediate >= now - PERIOD);
    });
}

#[test]
fn reset_after_and_reset_at_move_the_next_tick() {
    let rt = Builder::new_current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let mut interval = time::interval_at(start, PERIOD);
        assert_eq!(interval.tick().await, start);
        // Paused time: the next tick is exactly where it was put.
        interval.reset_after(PERIOD * 5);
        assert_eq!(interval.tick().await, start + PERIOD * 5);
        // And the schedule goes on from there, one period at a time.
        assert_eq!(interval.tick().await, start + PERIOD * 6);
        let at = Instant::now() + PERIOD / 2;
        interval.reset_at(at);
        assert_eq!(interval.tick().await, at);
    });
}

#[test]
#[should_panic(expected = "`period` must be non-zero.")]
fn a_zero_period_panics() {
    let _ = time::interval(Duration::ZERO);
}
