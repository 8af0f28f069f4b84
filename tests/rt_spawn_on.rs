//! `Handle::spawn_on`: a task spawned on loop `i` runs there (on the thread
//! named `<thread_name>-i`) for its whole life, wherever it is spawned
//! from; an index past the last loop panics naming the loop count; and
//! `Handle::{loops, current_loop, loop_stats}` describe the loops.

#[macro_use]
mod support;

use std::thread;

use futures::channel::oneshot;
use netloop::runtime::{Builder, Handle};
use netloop::task;

use support::{current_thread, multi_thread, multi_thread_named, panic_of, this_loop, watchdog};

/// Where a task found itself: its loop and its thread's name.
fn whereabouts() -> (Option<usize>, Option<String>) {
    (
        Handle::current().current_loop(),
        thread::current().name().map(str::to_owned),
    )
}

#[test]
fn spawn_on_runs_each_task_on_the_loop_and_thread_it_names() {
    watchdog(|| {
        let rt = multi_thread_named(4, "x");
        rt.block_on(async {
            for round in 0..3 {
                let handles: Vec<_> = (0..4)
                    .map(|i| Handle::current().spawn_on(i, async { whereabouts() }))
                    .collect();
                for (i, handle) in handles.into_iter().enumerate() {
                    let (on, name) = handle.await.unwrap();
                    assert_eq!(on, Some(i), "round {round}");
                    assert_eq!(name.as_deref(), Some(format!("x-{i}").as_str()));
                }
            }
        });
    });
}

#[test]
fn a_task_stays_on_its_loop_across_yields_and_remote_wakes() {
    watchdog(|| {
        let rt = multi_thread(4);
        let (tx, rx) = oneshot::channel::<()>();
        let handle = rt.handle().spawn_on(2, async move {
            let mut seen = vec![this_loop()];
            for _ in 0..50 {
                task::yield_now().await;
                seen.push(this_loop());
            }
            rx.await.unwrap();
            seen.push(this_loop());
            seen
        });
        thread::spawn(move || tx.send(()).unwrap()).join().unwrap();
        let seen = rt.block_on(handle).unwrap();
        assert_eq!(seen.len(), 52);
        assert!(seen.iter().all(|&l| l == Some(2)), "{seen:?}");
    });
}

#[test]
fn spawn_on_from_a_task_on_another_loop_runs_on_the_loop_named() {
    watchdog(|| {
        let rt = multi_thread_named(3, "hop");
        let got = rt
            .block_on(rt.handle().spawn_on(0, async {
                let from = whereabouts();
                let to = Handle::current()
                    .spawn_on(2, async { whereabouts() })
                    .await
                    .unwrap();
                let back = Handle::current()
                    .spawn_on(0, async { whereabouts() })
                    .await
                    .unwrap();
                (from, to, back)
            }))
            .unwrap();
        assert_eq!(got.0, (Some(0), Some("hop-0".to_owned())));
        assert_eq!(got.1, (Some(2), Some("hop-2".to_owned())));
        assert_eq!(got.2, (Some(0), Some("hop-0".to_owned())));
    });
}

#[test]
fn spawn_on_from_a_plain_thread_runs_on_the_loop_named() {
    watchdog(|| {
        let rt = multi_thread_named(3, "plain");
        let handle = rt.handle().clone();
        let got = thread::spawn(move || {
            let jh = handle.spawn_on(1, async { whereabouts() });
            handle.block_on(jh).unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(got, (Some(1), Some("plain-1".to_owned())));
    });
}

#[test]
#[should_panic(expected = "this runtime has 4 event loop(s)")]
fn spawn_on_past_the_last_loop_panics_naming_the_loop_count() {
    watchdog(|| {
        let rt = multi_thread(4);
        drop(rt.handle().spawn_on(4, async {}));
    });
}

#[test]
fn spawn_on_past_the_only_loop_of_a_current_thread_runtime_panics() {
    watchdog(|| {
        let rt = current_thread();
        let message = panic_of(|| rt.handle().spawn_on(1, async {}));
        assert!(message.contains("spawn_on(1, ..)"), "{message}");
        assert!(message.contains("1 event loop(s)"), "{message}");
        // The runtime is unharmed, and loop 0 is the block_on thread's.
        let here = thread::current().id();
        let (on, thread_id) = rt
            .block_on(
                rt.handle()
                    .spawn_on(0, async { (this_loop(), thread::current().id()) }),
            )
            .unwrap();
        assert_eq!(on, Some(0));
        assert_eq!(
            thread_id, here,
            "a current-thread task runs on the block_on thread"
        );
    });
}

#[test]
fn loops_counts_the_loops_asked_for_and_current_thread_has_one() {
    watchdog(|| {
        assert_eq!(multi_thread(3).handle().loops(), 3);
        let rt = Builder::new_multi_thread().loops(2).build().unwrap();
        assert_eq!(rt.handle().loops(), 2);
        assert_eq!(rt.handle().loop_stats().len(), 2);
        // worker_threads is ignored by a current-thread runtime, as in tokio.
        let rt = Builder::new_current_thread()
            .worker_threads(4)
            .build()
            .unwrap();
        assert_eq!(rt.handle().loops(), 1);
        assert_eq!(rt.block_on(async { Handle::current().loops() }), 1);
    });
}

#[test]
fn worker_threads_of_zero_panics() {
    watchdog(|| {
        let message = panic_of(|| {
            Builder::new_multi_thread().worker_threads(0);
        });
        assert!(
            message.contains("worker threads cannot be set to 0"),
            "{message}"
        );
    });
}

#[test]
fn loop_stats_are_indexed_by_loop() {
    watchdog(|| {
        let rt = multi_thread(4);
        let stats = rt.handle().loop_stats();
        assert_eq!(stats.len(), 4);
        for (i, s) in stats.iter().enumerate() {
            assert_eq!(s.index, i);
        }
    });
}

#[test]
fn current_loop_is_none_off_the_runtimes_own_loops() {
    watchdog(|| {
        let rt = multi_thread(2);
        let other = multi_thread(2);
        assert_eq!(
            rt.handle().current_loop(),
            None,
            "a plain thread runs no loop"
        );
        // block_on of a multi-thread runtime waits; it does not run a loop.
        assert_eq!(
            rt.block_on(async { Handle::current().current_loop() }),
            None
        );
        // On a loop of another runtime.
        let rt_handle = rt.handle().clone();
        let seen = other
            .block_on(other.handle().spawn_on(1, async move {
                (rt_handle.current_loop(), Handle::current().current_loop())
            }))
            .unwrap();
        assert_eq!(seen, (None, Some(1)));
    });
}
