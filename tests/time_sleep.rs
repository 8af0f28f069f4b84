//! `sleep`, `sleep_until`, `Sleep::reset`, `timeout` and timers armed across
//! loops and threads, on both runtime flavours. Bounds are generous: a
//! timer may fire late on a loaded machine, never early.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use netloop::runtime::{Builder, Runtime};
use netloop::time::{self, Instant};

fn runtimes() -> [Runtime; 2] {
    [
        Builder::new_current_thread().build().unwrap(),
        Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    ]
}

#[test]
fn a_sleep_completes_no_earlier_than_its_deadline() {
    for rt in runtimes() {
        rt.block_on(async {
            let start = Instant::now();
            time::sleep(Duration::from_millis(30)).await;
            assert!(start.elapsed() >= Duration::from_millis(30));
            let deadline = Instant::now() + Duration::from_millis(20);
            time::sleep_until(deadline).await;
            assert!(Instant::now() >= deadline);
        });
    }
}

#[test]
fn a_sleep_in_the_past_is_ready_at_once() {
    for rt in runtimes() {
        rt.block_on(async {
            time::sleep(Duration::ZERO).await;
            time::sleep_until(Instant::now() - Duration::from_secs(1)).await;
        });
    }
}

#[test]
fn many_timers_fire_in_deadline_order_equal_deadlines_in_arming_order() {
    let rt = Builder::new_current_thread().build().unwrap();
    let order = rt.block_on(async {
        let base = Instant::now() + Duration::from_millis(30);
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        // Deadlines 0, 10, 20 ms after `base`, three timers each, armed in
        // the order 20, 0, 10 (so arming order and deadline order differ).
        for (i, offset) in [20u64, 0, 10, 20, 0, 10, 20, 0, 10].into_iter().enumerate() {
            let log = log.clone();
            handles.push(netloop::spawn(async move {
                time::sleep_until(base + Duration::from_millis(offset)).await;
                log.lock().unwrap().push((offset, i));
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        log.lock().unwrap().clone()
    });
    let mut expected = order.clone();
    expected.sort();
    assert_eq!(order, expected, "by deadline, then by arming order");
}

#[test]
fn reset_moves_the_deadline_both_ways() {
    for rt in runtimes() {
        rt.block_on(async {
            let start = Instant::now();
            let sleep = time::sleep(Duration::from_secs(3600));
            let mut sleep = std::pin::pin!(sleep);
            // Polled once: armed for an hour.
            assert!(futures_poll_once(sleep.as_mut()).is_pending());
            sleep
                .as_mut()
                .reset(Instant::now() + Duration::from_millis(20));
            sleep.as_mut().await;
            assert!(start.elapsed() < Duration::from_secs(60));
            assert!(sleep.is_elapsed());
            // Reset after completing: waits again.
            sleep
                .as_mut()
                .reset(Instant::now() + Duration::from_millis(20));
            assert!(!sleep.is_elapsed());
            sleep.as_mut().await;
        });
    }
}

#[test]
fn dropping_a_pending_sleep_cancels_it_and_leaks_nothing() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        for _ in 0..10_000 {
            let mut sleep = std::pin::pin!(time::sleep(Duration::from_secs(3600)));
            assert!(futures_poll_once(sleep.as_mut()).is_pending());
        }
        // 10,000 cancelled hour-long timers do not keep the loop from
        // sleeping a short while and waking on time.
        let start = Instant::now();
        time::sleep(Duration::from_millis(10)).await;
        assert!(start.elapsed() < Duration::from_secs(60));
    });
}

#[test]
fn timeout_of_a_never_ready_future_elapses_and_of_a_ready_one_does_not() {
    for rt in runtimes() {
        rt.block_on(async {
            let err = time::timeout(Duration::from_millis(20), std::future::pending::<()>())
                .await
                .unwrap_err();
            assert_eq!(err.to_string(), "deadline has elapsed");
            let io: std::io::Error = err.into();
            assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
            // Ready at once: completes even with a zero timeout (the inner
            // future is polled first).
            assert_eq!(time::timeout(Duration::ZERO, async { 7 }).await, Ok(7));
            let at = Instant::now() + Duration::from_secs(3600);
            assert_eq!(time::timeout_at(at, async { 8 }).await, Ok(8));
        });
    }
}

#[test]
fn timers_fire_for_tasks_on_every_loop_and_for_sleeps_made_elsewhere() {
    let rt = Builder::new_multi_thread()
        .worker_threads(3)
        .build()
        .unwrap();
    let fired = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let mut handles = Vec::new();
        for i in 0..3 {
            // Created here (the block_on thread), armed on loop i.
            let sleep = time::sleep(Duration::from_millis(20));
            let fired = fired.clone();
            handles.push(rt.handle().spawn_on(i, async move {
                sleep.await;
                fired.fetch_add(1, SeqCst);
            }));
        }
        // Created on a foreign thread, awaited on a loop.
        let foreign = std::thread::spawn(|| time::sleep(Duration::from_millis(20)))
            .join()
            .unwrap();
        handles.push(rt.handle().spawn_on(1, async move {
            foreign.await;
        }));
        for h in handles {
            h.await.unwrap();
        }
    });
    assert_eq!(fired.load(SeqCst), 3);
}

#[test]
fn a_hundred_thousand_concurrent_sleeps_all_fire() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let fired = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let mut set = netloop::task::JoinSet::new();
        for i in 0..100_000u64 {
            let fired = fired.clone();
            set.spawn(async move {
                time::sleep(Duration::from_millis(10 + i % 50)).await;
                fired.fetch_add(1, SeqCst);
            });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap();
        }
    });
    assert_eq!(fired.load(SeqCst), 100_000);
}

#[test]
fn polling_a_sleep_off_any_loop_panics_with_a_message() {
    let result = std::panic::catch_unwind(|| {
        let mut sleep = std::pin::pin!(time::sleep(Duration::from_secs(1)));
        let _ = futures_poll_once(sleep.as_mut());
    });
    let payload = result.unwrap_err();
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(msg.contains("outside of a netloop runtime"), "{msg}");
}

/// Runs `future` to completion on this thread with a waker that unparks
/// it: a foreign executor in miniature.
fn foreign_block_on<F: std::future::Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        assert!(std::time::Instant::now() < deadline, "never woken");
        std::thread::park_timeout(Duration::from_millis(100));
    }
}

#[test]
fn a_sleep_polled_by_a_foreign_executor_inside_enter_is_armed_on_a_loop() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let _entered = rt.enter();
    let start = Instant::now();
    // Created and first polled here, on a thread that runs no loop.
    foreign_block_on(time::sleep(Duration::from_millis(30)));
    assert!(start.elapsed() >= Duration::from_millis(30));
    // Dropped before it fires: cancelled on its loop, nothing fires later.
    let mut sleep = std::pin::pin!(time::sleep(Duration::from_secs(3600)));
    assert!(futures_poll_once(sleep.as_mut()).is_pending());
    // And a timeout around a foreign future elapses.
    let never = std::future::pending::<()>();
    let elapsed = foreign_block_on(time::timeout(Duration::from_millis(10), never));
    assert!(elapsed.is_err());
}

/// Polls once with a no-op waker.
fn futures_poll_once<F: std::future::Future>(
    f: std::pin::Pin<&mut F>,
) -> std::task::Poll<F::Output> {
    f.poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
}

#[test]
fn an_idle_loop_with_a_timer_sleeps_until_it_instead_of_polling() {
    let rt = Builder::new_current_thread().build().unwrap();
    let turns = |rt: &Runtime| rt.handle().loop_stats()[0].turns;
    rt.block_on(async {}); // settle
    let before = turns(&rt);
    rt.block_on(time::sleep(Duration::from_millis(200)));
    let spent = turns(&rt) - before;
    // A handful of rounds (arming, the wake-up), not one per millisecond.
    assert!(spent <= 10, "{spent} epoll_wait calls for one 200 ms sleep");
}
