//! `block_on` and the runtime context: `block_on` returns its future's
//! output and drives spawned tasks; a `block_on` nested in another, or
//! called from a task, panics with tokio's "Cannot start a runtime from
//! within a runtime" and leaves the runtime usable; `Handle::current` and
//! `Handle::try_current` see a runtime exactly inside `block_on`, tasks and
//! `enter` guards.

#[macro_use]
mod support;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use futures::channel::oneshot;
use netloop::runtime::Handle;
use netloop::task;

use support::{current_thread, multi_thread, panic_message, panic_of, watchdog};

const NESTED: &str = "Cannot start a runtime from within a runtime";

rt_test! {
    fn block_on_returns_the_output_of_its_future_and_drives_spawned_tasks(rt) {
        let out = rt.block_on(async {
            let a = netloop::spawn(async { 20 });
            let b = netloop::spawn(async {
                task::yield_now().await;
                22
            });
            a.await.unwrap() + b.await.unwrap()
        });
        assert_eq!(out, 42);
        // Again: a runtime serves many block_on calls.
        assert_eq!(rt.block_on(async { "again" }), "again");
    }

    fn block_on_inside_block_on_of_another_runtime_panics(rt) {
        let inner = current_thread();
        let message = panic_of(|| rt.block_on(async { inner.block_on(async {}) }));
        assert!(message.contains(NESTED), "{message}");
        // Both runtimes still work.
        assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
        assert_eq!(inner.block_on(async { 2 }), 2);
    }

    fn handle_block_on_inside_block_on_of_the_same_runtime_panics(rt) {
        let handle = rt.handle().clone();
        let message = panic_of(|| rt.block_on(async { handle.block_on(async {}) }));
        assert!(message.contains(NESTED), "{message}");
        assert_eq!(rt.block_on(async { 3 }), 3);
    }

    fn block_on_inside_a_task_panics_and_the_task_reports_it(rt) {
        let other = multi_thread(1);
        let other_handle = other.handle().clone();
        let err = rt
            .block_on(rt.spawn(async move { other_handle.block_on(async { 1 }) }))
            .unwrap_err();
        assert!(err.is_panic());
        let message = panic_message(&*err.into_panic());
        assert!(message.contains(NESTED), "{message}");
        // The loop that ran the task is fine.
        assert_eq!(rt.block_on(rt.spawn(async { 4 })).unwrap(), 4);
    }

    fn try_current_finds_the_runtime_in_block_on_in_tasks_and_under_enter(rt) {
        let loops = rt.handle().loops();
        let err = Handle::try_current().expect_err("no runtime on a plain test thread");
        assert!(err.is_missing_context());
        assert!(err.to_string().contains("there is no reactor running"), "{err}");

        let in_block_on = rt.block_on(async { Handle::try_current().map(|h| h.loops()) });
        assert_eq!(in_block_on.unwrap(), loops);
        assert!(Handle::try_current().is_err(), "block_on left the runtime entered");
        let in_task = rt
            .block_on(rt.spawn(async { Handle::try_current().map(|h| h.loops()).ok() }))
            .unwrap();
        assert_eq!(in_task, Some(loops));
        {
            let _guard = rt.enter();
            assert_eq!(Handle::current().loops(), loops);
            assert_eq!(Handle::try_current().unwrap().loops(), loops);
        }
        assert!(Handle::try_current().is_err(), "the enter guard left the runtime entered");
    }

    fn block_on_is_woken_by_a_timer_thread_after_a_delay(rt) {
        let (tx, rx) = oneshot::channel();
        let timer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            tx.send(()).unwrap();
        });
        rt.block_on(rx).unwrap();
        timer.join().unwrap();
    }
}

#[test]
fn handle_current_outside_any_runtime_panics_saying_no_reactor_is_running() {
    watchdog(|| {
        let message = panic_of(Handle::current);
        assert!(message.contains("there is no reactor running"), "{message}");
    });
}

#[test]
fn enter_guards_nest_and_restore_the_runtime_entered_before() {
    watchdog(|| {
        let two = multi_thread(2);
        let three = multi_thread(3);
        let outer = two.enter();
        assert_eq!(Handle::current().loops(), 2);
        {
            let _inner = three.enter();
            assert_eq!(Handle::current().loops(), 3);
        }
        assert_eq!(Handle::current().loops(), 2);
        drop(outer);
        assert!(Handle::try_current().is_err());
    });
}

#[test]
fn handle_block_on_from_a_plain_thread_runs_a_future_that_awaits_tasks() {
    watchdog(|| {
        let rt = multi_thread(2);
        let handle = rt.handle().clone();
        let out = thread::spawn(move || {
            handle.block_on(async {
                let jh = netloop::spawn(async { Handle::current().current_loop() });
                jh.await.unwrap()
            })
        })
        .join()
        .unwrap();
        assert!(matches!(out, Some(0 | 1)), "{out:?}");
    });
}

#[test]
fn a_second_thread_block_on_of_a_current_thread_runtime_runs_beside_the_first() {
    watchdog(|| {
        let rt = Arc::new(current_thread());
        let (release_tx, release_rx) = oneshot::channel::<()>();
        let (entered_tx, entered_rx) = std::sync::mpsc::channel();
        let first = {
            let rt = rt.clone();
            thread::spawn(move || {
                rt.block_on(async move {
                    entered_tx.send(()).unwrap();
                    release_rx.await.unwrap();
                });
            })
        };
        entered_rx.recv().unwrap();
        // The first thread drives the runtime's loop; the second runs its
        // future on a guest loop meanwhile instead of waiting (tokio polls
        // it too), and a task it spawns runs on the runtime's loop.
        let second = {
            let rt = rt.clone();
            thread::spawn(move || {
                rt.block_on(async {
                    let spawned = netloop::spawn(async { Handle::current().current_loop() });
                    (Handle::current().current_loop(), spawned.await.unwrap())
                })
            })
        };
        assert_eq!(second.join().unwrap(), (None, Some(0)));
        release_tx.send(()).unwrap();
        first.join().unwrap();
    });
}

#[test]
fn a_panic_in_the_block_on_future_propagates_and_the_runtime_stays_usable() {
    watchdog(|| {
        for rt in [current_thread(), multi_thread(2)] {
            let message = panic_of(|| rt.block_on(async { panic!("from the main future") }));
            assert_eq!(message, "from the main future");
            assert!(
                Handle::try_current().is_err(),
                "the panic left the runtime entered"
            );
            assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
            // The unwound block_on cleared its mark: this is not nested.
            assert_eq!(rt.block_on(async { 6 }), 6);
        }
    });
}
