//! Spawning and joining tasks through the facade (`netloop::spawn`,
//! `Runtime::spawn`, `Handle::spawn`): outputs come back through their
//! `JoinHandle`s, detached tasks still run, task ids are unique, and a
//! hundred thousand tasks spread over four loops all complete.

#[macro_use]
mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use futures::channel::oneshot;
use netloop::runtime::Handle;
use netloop::task::{self, JoinHandle};

use support::{multi_thread, panic_of, polls_per_loop, watchdog};

rt_test! {
    fn a_spawned_task_gives_its_output_through_its_join_handle(rt) {
        let out = rt.block_on(async { netloop::spawn(async { 6 * 7 }).await });
        assert_eq!(out.unwrap(), 42);
    }

    fn runtime_spawn_and_handle_spawn_run_tasks_awaited_in_block_on(rt) {
        let from_runtime = rt.spawn(async { "runtime" });
        let from_handle = rt.handle().spawn(async { "handle" });
        let (a, b) = rt.block_on(async { (from_runtime.await, from_handle.await) });
        assert_eq!(a.unwrap(), "runtime");
        assert_eq!(b.unwrap(), "handle");
    }

    fn tasks_spawned_by_tasks_run_and_join(rt) {
        let total = rt.block_on(async {
            let parents: Vec<JoinHandle<u64>> = (0..10u64)
                .map(|p| {
                    netloop::spawn(async move {
                        let children: Vec<_> =
                            (0..10u64).map(|c| task::spawn(async move { p * 10 + c })).collect();
                        let mut sum = 0;
                        for child in children {
                            sum += child.await.unwrap();
                        }
                        sum
                    })
                })
                .collect();
            let mut total = 0;
            for parent in parents {
                total += parent.await.unwrap();
            }
            total
        });
        assert_eq!(total, (0..100).sum::<u64>());
    }

    fn a_detached_task_still_runs_to_completion(rt) {
        let got = rt.block_on(async {
            let (tx, rx) = oneshot::channel();
            // Dropping the JoinHandle detaches the task; it is not aborted.
            drop(netloop::spawn(async move {
                task::yield_now().await;
                tx.send(5).unwrap();
            }));
            rx.await
        });
        assert_eq!(got, Ok(5));
    }

    fn spawn_works_inside_runtime_enter_outside_block_on(rt) {
        let handle = {
            let _guard = rt.enter();
            netloop::spawn(async { 11 })
        };
        assert_eq!(rt.block_on(handle).unwrap(), 11);
    }

    fn every_task_gets_a_distinct_id_shared_by_its_handles(rt) {
        rt.block_on(async {
            let handles: Vec<_> = (0..1000).map(|i| netloop::spawn(async move { i })).collect();
            let ids: HashSet<_> = handles.iter().map(JoinHandle::id).collect();
            assert_eq!(ids.len(), handles.len(), "task ids repeat");
            for handle in handles {
                assert_eq!(handle.abort_handle().id(), handle.id());
                let id = handle.id();
                assert!(ids.contains(&id));
                handle.await.unwrap();
            }
        });
    }

    fn ten_thousand_tasks_all_produce_their_outputs(rt) {
        let outputs = rt.block_on(async {
            let handles: Vec<_> = (0..10_000u64).map(|i| netloop::spawn(async move { i * 3 })).collect();
            let mut outputs = Vec::with_capacity(handles.len());
            for handle in handles {
                outputs.push(handle.await.unwrap());
            }
            outputs
        });
        assert!(outputs.iter().enumerate().all(|(i, &o)| o == i as u64 * 3));
    }
}

#[test]
fn spawn_outside_any_runtime_panics_saying_no_reactor_is_running() {
    watchdog(|| {
        let message = panic_of(|| netloop::spawn(async {}));
        assert!(
            message.contains("there is no reactor running"),
            "unexpected panic message: {message}"
        );
    });
}

#[test]
fn a_hundred_thousand_tasks_join_with_correct_outputs_on_all_four_loops() {
    watchdog(|| {
        const TASKS: u64 = 100_000;
        let rt = multi_thread(4);
        let before = polls_per_loop(rt.handle());
        let ran = Arc::new(AtomicUsize::new(0));
        let (outputs, loops_seen) = rt.block_on(async {
            let handles: Vec<_> = (0..TASKS)
                .map(|i| {
                    let ran = ran.clone();
                    netloop::spawn(async move {
                        ran.fetch_add(1, SeqCst);
                        (
                            i.wrapping_mul(2_654_435_761),
                            Handle::current().current_loop(),
                        )
                    })
                })
                .collect();
            let mut outputs = Vec::with_capacity(handles.len());
            let mut loops_seen = [0u64; 4];
            for handle in handles {
                let (out, on) = handle.await.unwrap();
                outputs.push(out);
                loops_seen[on.expect("a task runs on a loop")] += 1;
            }
            (outputs, loops_seen)
        });
        assert_eq!(ran.load(SeqCst), TASKS as usize, "every task ran once");
        assert_eq!(outputs.len(), TASKS as usize);
        for (i, out) in outputs.iter().enumerate() {
            assert_eq!(
                *out,
                (i as u64).wrapping_mul(2_654_435_761),
                "output of task {i}"
            );
        }
        assert_eq!(loops_seen.iter().sum::<u64>(), TASKS);
        let after = polls_per_loop(rt.handle());
        for (i, (b, a)) in before.iter().zip(&after).enumerate() {
            assert!(
                a > b,
                "loop {i} polled no task (tasks_polled {b} -> {a}); tasks per loop: {loops_seen:?}"
            );
            assert!(loops_seen[i] > 0, "no task ran on loop {i}: {loops_seen:?}");
        }
        let polled: u64 = after.iter().zip(&before).map(|(a, b)| a - b).sum();
        assert!(polled >= TASKS, "{polled} polls for {TASKS} tasks");
    });
}

#[test]
fn task_id_names_the_running_task_and_only_inside_a_task() {
    let rt = netloop::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        assert_eq!(
            netloop::task::try_id(),
            None,
            "block_on's own future is no task"
        );
        let handle = netloop::spawn(async { netloop::task::id() });
        let expected = handle.id();
        assert_eq!(handle.await.unwrap(), expected);
        let nested = netloop::spawn(async {
            let outer = netloop::task::id();
            let inner = netloop::spawn(async { netloop::task::id() }).await.unwrap();
            (outer, inner, netloop::task::id())
        })
        .await
        .unwrap();
        assert_ne!(nested.0, nested.1);
        assert_eq!(nested.0, nested.2, "the outer id is back after awaiting");
    });
    assert_eq!(netloop::task::try_id(), None);
}
