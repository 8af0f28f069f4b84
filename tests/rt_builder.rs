//! Builder knobs beyond tokio's basics: `pin_threads`, `on_thread_park`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use netloop::reactor::sys::thread::current_thread_cpus;
use netloop::runtime::Builder;

#[test]
fn pinned_loops_each_run_on_one_cpu_in_turn() {
    let cpus = current_thread_cpus().unwrap();
    let rt = Builder::new_multi_thread()
        .worker_threads(3)
        .pin_threads(true)
        .build()
        .unwrap();
    rt.block_on(async {
        for i in 0..3 {
            let on = rt
                .handle()
                .spawn_on(i, async { current_thread_cpus().unwrap() });
            assert_eq!(on.await.unwrap(), [cpus[i % cpus.len()]], "loop {i}");
        }
    });
}

#[test]
fn loops_are_not_pinned_by_default() {
    let cpus = current_thread_cpus().unwrap();
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let seen = rt.block_on(async {
        rt.handle()
            .spawn_on(0, async { current_thread_cpus().unwrap() })
            .await
            .unwrap()
    });
    assert_eq!(seen, cpus);
}

#[test]
fn on_thread_park_runs_when_a_loop_goes_idle() {
    let parks = Arc::new(AtomicUsize::new(0));
    let counted = parks.clone();
    let rt = Builder::new_current_thread()
        .on_thread_park(move || {
            counted.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    rt.block_on(async {
        // A task that completes later from another thread makes the loop
        // sleep in between.
        let job = netloop::task::spawn_blocking(|| {
            std::thread::sleep(std::time::Duration::from_millis(20))
        });
        job.await.unwrap();
    });
    assert!(parks.load(SeqCst) >= 1);
}
