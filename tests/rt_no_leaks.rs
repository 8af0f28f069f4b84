//! A runtime gives back everything it took: after building, using and
//! dropping runtimes of both flavours, the process has as many file
//! descriptors (`/proc/self/fd`) and threads (`/proc/self/task`) as before.
//!
//! This binary holds a single test on purpose: the harness runs the tests
//! of one binary on parallel threads, which would disturb both counts.

#[macro_use]
mod support;

use std::thread;

use futures::channel::oneshot;
use netloop::runtime::Builder;
use netloop::task;

use support::{Drops, alive_per_loop, pending_with, wait_until, watchdog};

/// Entries of a `/proc/self` directory.
fn count(dir: &str) -> usize {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {dir}: {e}"))
        .count()
}

fn fds() -> usize {
    count("/proc/self/fd")
}

fn threads() -> usize {
    count("/proc/self/task")
}

#[test]
fn building_using_and_dropping_runtimes_leaves_no_fds_or_threads_behind() {
    watchdog(|| {
        let (fds_before, threads_before) = (fds(), threads());
        let drops = Drops::new();
        let mut spawned = 0;

        for round in 0..3 {
            // Multi-thread: tasks on every loop, cross-loop and foreign
            // wakes, a guest loop in block_on, pending tasks at the drop.
            let rt = Builder::new_multi_thread()
                .worker_threads(4)
                .thread_name(format!("leak-{round}"))
                .build()
                .unwrap();
            assert!(threads() >= threads_before + 4, "the loop threads started");
            let (tx, rx) = oneshot::channel::<u32>();
            let waiter = rt.handle().spawn_on(3, async move { rx.await.unwrap() });
            let sum = rt.block_on(async {
                let handles: Vec<_> = (0..1000u32)
                    .map(|i| netloop::spawn(async move { i }))
                    .collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await.unwrap();
                }
                let local = task::spawn_local(async { 1 }).await.unwrap();
                sum + local
            });
            assert_eq!(sum, (0..1000).sum::<u32>() + 1);
            thread::spawn(move || tx.send(7).unwrap()).join().unwrap();
            assert_eq!(rt.block_on(waiter).unwrap(), 7);
            for i in 0..200 {
                drop(rt.handle().spawn_on(i % 4, pending_with(drops.guard(i))));
                spawned += 1;
            }
            wait_until("the pending tasks to be polled", || {
                alive_per_loop(rt.handle()).iter().sum::<usize>() == 200
            });
            // Some never polled.
            for i in 0..200 {
                drop(rt.spawn(pending_with(drops.guard(i))));
                spawned += 1;
            }
            drop(rt);

            // Current-thread: pending and never-polled tasks at the drop.
            let rt = Builder::new_current_thread().build().unwrap();
            for i in 0..100 {
                drop(rt.spawn(pending_with(drops.guard(i))));
                spawned += 1;
            }
            rt.block_on(async {
                for _ in 0..10 {
                    task::yield_now().await;
                }
            });
            drop(rt.spawn(pending_with(drops.guard(0))));
            spawned += 1;
            drop(rt);
        }

        assert_eq!(drops.count(), spawned, "every task future was dropped");
        // A thread that was joined may linger in /proc for a moment.
        wait_until("the thread count to come back", || {
            threads() == threads_before
        });
        assert_eq!(fds(), fds_before, "file descriptors leaked");
    });
}
