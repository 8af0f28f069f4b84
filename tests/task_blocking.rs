//! `spawn_blocking`: closures run off the loops on a bounded pool whose idle
//! threads exit; results, panics and aborts come back through `JoinHandle`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use netloop::runtime::{Builder, Handle};
use netloop::task;

#[test]
fn a_blocking_closure_runs_off_the_loops_and_returns_its_value() {
    let rt = Builder::new_current_thread()
        .thread_name("nl")
        .build()
        .unwrap();
    let (value, name) = rt.block_on(async {
        task::spawn_blocking(|| (6 * 7, std::thread::current().name().map(String::from)))
            .await
            .unwrap()
    });
    assert_eq!(value, 42);
    assert!(name.unwrap().starts_with("nl-blocking-"));
}

#[test]
fn a_panicking_closure_is_reported_and_the_pool_lives_on() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let err = task::spawn_blocking(|| panic!("blocking boom"))
            .await
            .unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("blocking boom"), "{err}");
        assert_eq!(task::spawn_blocking(|| 1).await.unwrap(), 1);
    });
}

#[test]
fn the_pool_never_runs_more_than_its_bound_at_once() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(2)
        .build()
        .unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (running, peak) = (running.clone(), peak.clone());
                task::spawn_blocking(move || {
                    let now = running.fetch_add(1, SeqCst) + 1;
                    peak.fetch_max(now, SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, SeqCst);
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    assert_eq!(peak.load(SeqCst), 2, "two at a time, and all eight ran");
}

#[test]
fn jobs_run_concurrently_up_to_the_bound() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(4)
        .build()
        .unwrap();
    let arrived = Arc::new(AtomicUsize::new(0));
    let all_met = rt.block_on(async {
        // Each closure waits (boundedly) until all four are running at once.
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let arrived = arrived.clone();
                task::spawn_blocking(move || {
                    arrived.fetch_add(1, SeqCst);
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while arrived.load(SeqCst) < 4 && Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    arrived.load(SeqCst) == 4
                })
            })
            .collect();
        let mut all = true;
        for handle in handles {
            all &= handle.await.unwrap();
        }
        all
    });
    assert!(all_met, "four closures never ran at the same time");
}

#[test]
fn idle_pool_threads_exit_after_their_keep_alive() {
    let rt = Builder::new_current_thread()
        .thread_name("keepalive")
        .thread_keep_alive(Duration::from_millis(50))
        .build()
        .unwrap();
    rt.block_on(async { task::spawn_blocking(|| ()).await.unwrap() });
    let deadline = Instant::now() + Duration::from_secs(10);
    while pool_threads("keepalive-blocking") > 0 {
        assert!(
            Instant::now() < deadline,
            "the idle pool thread never exited"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn spawn_blocking_through_a_handle_from_a_plain_thread() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let handle: Handle = rt.handle().clone();
    let job = std::thread::spawn(move || handle.spawn_blocking(|| 5))
        .join()
        .unwrap();
    assert_eq!(rt.block_on(job).unwrap(), 5);
}

#[test]
fn block_in_place_runs_the_closure_on_the_calling_loop() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let same = rt.block_on(async {
        rt.handle()
            .spawn_on(1, async {
                let before = std::thread::current().id();
                task::block_in_place(|| std::thread::current().id() == before)
            })
            .await
            .unwrap()
    });
    assert!(same);
}

/// How many threads of this process have a name starting with `prefix`.
fn pool_threads(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.trim_end().starts_with(&prefix[..prefix.len().min(15)]))
        .count()
}
