//! Paused time: hours of timers in milliseconds of real time, `advance`,
//! auto-advance, and intervals on a paused clock, where every instant is
//! exact.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use netloop::runtime::Builder;
use netloop::time::{self, Instant, MissedTickBehavior};

const HOUR: Duration = Duration::from_secs(3600);

#[netloop::test(start_paused = true)]
async fn an_hour_of_sleep_takes_no_real_time_and_moves_the_clock_exactly() {
    let real = std::time::Instant::now();
    let start = Instant::now();
    time::sleep(HOUR).await;
    assert_eq!(
        Instant::now() - start,
        HOUR,
        "auto-advance lands on the deadline"
    );
    for _ in 0..24 {
        time::sleep(HOUR).await;
    }
    assert_eq!(Instant::now() - start, HOUR * 25);
    assert!(
        real.elapsed() < Duration::from_secs(10),
        "{:?} of real time",
        real.elapsed()
    );
}

#[netloop::test(start_paused = true)]
async fn a_paused_clock_stands_still_while_tasks_run() {
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(20));
    netloop::task::yield_now().await;
    assert_eq!(Instant::now(), start);
}

#[netloop::test]
async fn advance_fires_exactly_the_timers_it_makes_due() {
    time::pause();
    let done = Arc::new(AtomicBool::new(false));
    let task = {
        let done = done.clone();
        netloop::spawn(async move {
            time::sleep(Duration::from_secs(10)).await;
            done.store(true, SeqCst);
        })
    };
    netloop::task::yield_now().await; // let it arm its timer
    time::advance(Duration::from_secs(5)).await;
    assert!(!done.load(SeqCst), "5 s of 10 s");
    time::advance(Duration::from_secs(5)).await;
    netloop::task::yield_now().await;
    assert!(done.load(SeqCst), "10 s of 10 s");
    task.await.unwrap();
    time::resume();
    let real = Instant::now();
    time::sleep(Duration::from_millis(5)).await;
    assert!(
        real.elapsed() >= Duration::from_millis(5),
        "real time again"
    );
}

#[netloop::test(start_paused = true)]
async fn a_timeout_elapses_in_paused_time_and_a_ready_future_still_wins() {
    let start = Instant::now();
    let err = time::timeout(HOUR, std::future::pending::<()>()).await;
    assert!(err.is_err());
    assert_eq!(Instant::now() - start, HOUR);
    assert_eq!(time::timeout(HOUR, async { 1 }).await, Ok(1));
}

/// Ticks after a stall of three and a half periods on a paused clock.
async fn ticks_after_stall(behavior: MissedTickBehavior) -> (Instant, Vec<Instant>) {
    let period = Duration::from_secs(60);
    let start = Instant::now();
    let mut interval = time::interval_at(start, period);
    interval.set_missed_tick_behavior(behavior);
    assert_eq!(interval.tick().await, start);
    time::advance(period * 3 + period / 2).await;
    let mut ticks = Vec::new();
    for _ in 0..3 {
        ticks.push(interval.tick().await);
    }
    (start, ticks)
}

#[netloop::test(start_paused = true)]
async fn missed_ticks_burst_on_a_paused_clock() {
    let p = Duration::from_secs(60);
    let (start, ticks) = ticks_after_stall(MissedTickBehavior::Burst).await;
    assert_eq!(ticks, [start + p, start + p * 2, start + p * 3]);
}

#[netloop::test(start_paused = true)]
async fn missed_ticks_delay_on_a_paused_clock() {
    let p = Duration::from_secs(60);
    let (start, ticks) = ticks_after_stall(MissedTickBehavior::Delay).await;
    let stalled = start + p * 3 + p / 2;
    assert_eq!(ticks, [start + p, stalled + p, stalled + p * 2]);
}

#[netloop::test(start_paused = true)]
async fn missed_ticks_skip_on_a_paused_clock() {
    let p = Duration::from_secs(60);
    let (start, ticks) = ticks_after_stall(MissedTickBehavior::Skip).await;
    assert_eq!(ticks, [start + p, start + p * 4, start + p * 5]);
}

#[test]
fn pausing_a_multi_thread_runtime_is_refused_with_a_message() {
    let err = Builder::new_multi_thread()
        .worker_threads(2)
        .start_paused(true)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let result = rt.block_on(async { netloop::spawn(async { time::pause() }).await });
    let payload = result.unwrap_err().into_panic();
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(msg.contains("current_thread"), "{msg}");
}
