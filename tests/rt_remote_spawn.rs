//! Spawning from threads that run no loop, through a cloned `Handle`: the
//! task runs on the runtime's loops (on a current-thread runtime, once
//! `block_on` drives its loop), is counted as a remote schedule, and many
//! spawning threads at once lose nothing.

#[macro_use]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::Duration;

use futures::channel::oneshot;
use netloop::runtime::Handle;
use netloop::task;

use support::{current_thread, last_loop, this_loop, wait_until, watchdog};

rt_test! {
    fn a_task_spawned_from_a_plain_thread_with_a_cloned_handle_runs(rt) {
        let handle = rt.handle().clone();
        let (tx, rx) = oneshot::channel();
        let spawner = thread::spawn(move || {
            assert!(Handle::try_current().is_err(), "a plain thread is in no runtime");
            let jh = handle.spawn(async { (this_loop(), 7) });
            tx.send(jh).unwrap();
        });
        let (on, out) = rt.block_on(async { rx.await.unwrap().await.unwrap() });
        spawner.join().unwrap();
        assert_eq!(out, 7);
        assert!(on.is_some(), "the task ran on a loop");
    }

    fn a_remote_spawn_counts_one_remote_schedule_on_its_loop(rt) {
        let target = last_loop(&rt);
        let before = rt.handle().loop_stats()[target].remote_schedules;
        let handle = rt.handle().clone();
        let jh = thread::spawn(move || handle.spawn_on(target, async { this_loop() }))
            .join()
            .unwrap();
        let after_spawn = rt.handle().loop_stats()[target].remote_schedules;
        assert_eq!(after_spawn - before, 1, "a spawn from a plain thread is a remote schedule");
        assert_eq!(rt.block_on(jh).unwrap(), Some(target));
    }

    fn four_threads_spawning_a_thousand_tasks_each_lose_none(rt) {
        let ran = Arc::new(AtomicUsize::new(0));
        let spawners: Vec<_> = (0..4)
            .map(|t| {
                let handle = rt.handle().clone();
                let ran = ran.clone();
                thread::spawn(move || {
                    (0..1000)
                        .map(|i| {
                            let ran = ran.clone();
                            handle.spawn(async move {
                                ran.fetch_add(1, SeqCst);
                                t * 1000 + i
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let handles: Vec<_> = spawners.into_iter().flat_map(|s| s.join().unwrap()).collect();
        let outputs = rt.block_on(async {
            let mut outputs = Vec::new();
            for jh in handles {
                outputs.push(jh.await.unwrap());
            }
            outputs
        });
        assert_eq!(outputs, (0..4000).collect::<Vec<_>>());
        assert_eq!(ran.load(SeqCst), 4000);
    }

    fn a_plain_thread_can_block_on_a_task_it_spawned_while_the_runtime_is_driven(rt) {
        let handle = rt.handle().clone();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let worker = thread::spawn(move || {
            let out = handle.block_on(async {
                let jh = Handle::current().spawn(async {
                    task::yield_now().await;
                    this_loop()
                });
                jh.await.unwrap()
            });
            stop_flag.store(true, SeqCst);
            out
        });
        // Drive the runtime (needed on a current-thread runtime) until the
        // plain thread is done.
        rt.block_on(async {
            while !stop.load(SeqCst) {
                task::yield_now().await;
            }
        });
        assert!(worker.join().unwrap().is_some());
    }
}

#[test]
fn a_remotely_spawned_task_waits_for_block_on_to_drive_a_current_thread_loop() {
    watchdog(|| {
        let rt = current_thread();
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let handle = rt.handle().clone();
        let jh = thread::spawn(move || {
            handle.spawn(async move {
                flag.store(true, SeqCst);
                thread::current().id()
            })
        })
        .join()
        .unwrap();
        // No thread drives a current-thread runtime outside of block_on.
        thread::sleep(Duration::from_millis(50));
        assert!(
            !ran.load(SeqCst),
            "the task ran with no block_on driving the loop"
        );
        let ran_on = rt.block_on(jh).unwrap();
        assert!(ran.load(SeqCst));
        assert_eq!(
            ran_on,
            thread::current().id(),
            "it ran on the block_on thread"
        );
    });
}

#[test]
fn a_spawn_from_a_plain_thread_wakes_a_current_thread_block_on_asleep_in_epoll() {
    watchdog(|| {
        let rt = current_thread();
        let handle = rt.handle().clone();
        let (tx, rx) = oneshot::channel();
        let spawner = thread::spawn(move || {
            // Let block_on reach its idle epoll_wait first.
            thread::sleep(Duration::from_millis(50));
            drop(handle.spawn(async move { tx.send(this_loop()).unwrap() }));
        });
        let on = rt.block_on(rx).unwrap();
        spawner.join().unwrap();
        assert_eq!(on, Some(0));
    });
}

#[test]
fn a_task_spawned_remotely_on_a_multi_thread_runtime_runs_without_block_on() {
    watchdog(|| {
        let rt = support::multi_thread(2);
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let handle = rt.handle().clone();
        thread::spawn(move || drop(handle.spawn(async move { flag.store(true, SeqCst) })))
            .join()
            .unwrap();
        wait_until("the remotely spawned task to run", || ran.load(SeqCst));
    });
}
