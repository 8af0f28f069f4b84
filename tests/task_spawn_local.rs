//! `task::spawn_local`: `!Send` futures (holding `Rc<RefCell<..>>`) run on
//! the loop of the thread that spawns them — inside a current-thread
//! `block_on`, inside a task of a multi-thread runtime, or on the guest loop
//! of a multi-thread `block_on` — are dropped there, and spawning one where
//! no loop runs panics with a message naming `spawn_local`.

#[macro_use]
mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread;

use futures::channel::oneshot;
use netloop::task;

use support::{
    Drops, current_thread, multi_thread, multi_thread_named, panic_of, pending_with, this_loop,
    wait_until, watchdog,
};

#[test]
fn spawn_local_runs_not_send_futures_inside_a_current_thread_block_on() {
    watchdog(|| {
        let rt = current_thread();
        let log = rt.block_on(async {
            let log = Rc::new(RefCell::new(Vec::new()));
            let handles: Vec<_> = (0..3)
                .map(|i| {
                    let log = log.clone();
                    task::spawn_local(async move {
                        log.borrow_mut().push((i, 0));
                        task::yield_now().await;
                        log.borrow_mut().push((i, 1));
                        // A `!Send` output is fine too.
                        Rc::new(i)
                    })
                })
                .collect();
            for (i, handle) in handles.into_iter().enumerate() {
                assert_eq!(*handle.await.unwrap(), i);
            }
            Rc::try_unwrap(log).unwrap().into_inner()
        });
        assert_eq!(log, [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]);
    });
}

#[test]
fn spawn_local_runs_a_not_send_future_on_the_loop_of_the_task_that_spawns_it() {
    watchdog(|| {
        let rt = multi_thread_named(3, "local");
        for target in 0..3 {
            let (outer, inner) = rt
                .block_on(rt.handle().spawn_on(target, async {
                    let outer = (this_loop(), thread::current().id());
                    // The `Rc` is made inside the local task, so the outer
                    // future stays `Send`.
                    let inner = task::spawn_local(async {
                        let shared = Rc::new(RefCell::new(0));
                        for _ in 0..10 {
                            *shared.borrow_mut() += 1;
                            task::yield_now().await;
                        }
                        let total = *shared.borrow();
                        (total, this_loop(), thread::current().id())
                    })
                    .await
                    .unwrap();
                    (outer, inner)
                }))
                .unwrap();
            assert_eq!(outer.0, Some(target));
            assert_eq!(
                inner,
                (10, Some(target), outer.1),
                "the local task ran elsewhere"
            );
        }
    });
}

#[test]
fn spawn_local_on_a_plain_thread_panics_naming_spawn_local() {
    watchdog(|| {
        let message = thread::spawn(|| panic_of(|| task::spawn_local(async {})))
            .join()
            .unwrap();
        assert!(message.contains("spawn_local"), "{message}");
    });
}

#[test]
fn spawn_local_inside_a_multi_thread_block_on_runs_on_the_calling_thread() {
    watchdog(|| {
        let rt = multi_thread(2);
        let here = thread::current().id();
        let drops = Drops::new();
        let guard = drops.guard(0);
        let (out, ran_on) = rt.block_on(async {
            // A leftover local task, still pending when block_on returns.
            drop(task::spawn_local(pending_with(guard)));
            task::spawn_local(async {
                let rc = Rc::new(5);
                task::yield_now().await;
                (*rc, thread::current().id())
            })
            .await
            .unwrap()
        });
        assert_eq!(
            (out, ran_on),
            (5, here),
            "the local task ran off the block_on thread"
        );
        let records = drops.records();
        assert_eq!(
            records.len(),
            1,
            "the leftover local task was not cancelled on return"
        );
        assert_eq!(records[0].thread, here);
    });
}

#[test]
fn a_local_task_woken_from_a_plain_thread_resumes_on_its_loop() {
    watchdog(|| {
        let rt = multi_thread(3);
        let (tx, rx) = oneshot::channel::<u32>();
        let outer = rt.handle().spawn_on(1, async move {
            let here = thread::current().id();
            task::spawn_local(async move {
                let cell = Rc::new(RefCell::new(rx.await.unwrap()));
                *cell.borrow_mut() += 1;
                let v = *cell.borrow();
                (v, thread::current().id() == here, this_loop())
            })
            .await
            .unwrap()
        });
        thread::spawn(move || tx.send(41).unwrap()).join().unwrap();
        assert_eq!(rt.block_on(outer).unwrap(), (42, true, Some(1)));
    });
}

#[test]
fn a_local_task_aborted_from_a_plain_thread_is_dropped_on_its_loop() {
    watchdog(|| {
        let rt = multi_thread_named(2, "local-abort");
        let drops = Drops::new();
        let guard = drops.guard(0);
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let outer = rt.handle().spawn_on(1, async move {
            let local = task::spawn_local(async move {
                let not_send = Rc::new(());
                pending_with(guard).await;
                drop(not_send);
            });
            handle_tx.send(local.abort_handle()).unwrap();
            local.await
        });
        let abort = handle_rx.recv().unwrap();
        wait_until("the local task to be polled", || {
            rt.handle().loop_stats()[1].tasks_alive == 2
        });
        assert!(!abort.is_finished());
        thread::spawn(move || abort.abort()).join().unwrap();
        let result = rt.block_on(outer).unwrap();
        assert!(result.unwrap_err().is_cancelled());
        let records = drops.records();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].thread_name.as_deref(), Some("local-abort-1"));
        assert_eq!(records[0].current_loop, Some(1));
    });
}

#[test]
fn pending_local_tasks_are_dropped_on_their_loop_when_the_runtime_drops() {
    watchdog(|| {
        let rt = multi_thread_named(2, "local-drop");
        let drops = Drops::new();
        let started = Arc::new(AtomicBool::new(false));
        let flag = started.clone();
        let guard = drops.guard(0);
        drop(rt.handle().spawn_on(0, async move {
            drop(task::spawn_local(async move {
                let _not_send = Rc::new(RefCell::new(1));
                flag.store(true, SeqCst);
                pending_with(guard).await;
            }));
        }));
        wait_until("the local task to start", || started.load(SeqCst));
        drop(rt);
        let records = drops.records();
        assert_eq!(records.len(), 1, "the pending local task was not dropped");
        assert_eq!(records[0].thread_name.as_deref(), Some("local-drop-0"));
    });
}
