//! `LocalSet` and `task_local!`: `!Send` tasks held until the set runs, then
//! run on the loop that runs it; task-local values that follow their task.

use std::cell::RefCell;
use std::rc::Rc;

use netloop::runtime::{Builder, Handle};
use netloop::task::{LocalSet, yield_now};

netloop::task_local! {
    static REQUEST: u32;
    static NAME: String;
}

#[test]
fn a_local_set_runs_its_tasks_on_the_loop_that_runs_it_for_both_flavours() {
    for rt in [
        Builder::new_current_thread().build().unwrap(),
        Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    ] {
        let local = LocalSet::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let task = {
            let log = log.clone();
            local.spawn_local(async move {
                log.borrow_mut().push("task");
                Rc::strong_count(&log)
            })
        };
        assert!(log.borrow().is_empty(), "nothing runs before the set does");
        let count = local.block_on(&rt, async {
            let count = task.await.unwrap();
            log.borrow_mut().push("after");
            count
        });
        assert!(count >= 2);
        assert_eq!(*log.borrow(), ["task", "after"]);
    }
}

#[test]
fn spawn_local_inside_run_until_shares_the_loop() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let local = LocalSet::new();
    let seen = rt.block_on(local.run_until(async {
        let here = std::thread::current().id();
        let inner = netloop::task::spawn_local(async move { std::thread::current().id() == here });
        inner.await.unwrap()
    }));
    assert!(seen, "spawn_local runs on the thread driving the set");
}

#[test]
fn dropping_a_set_that_never_ran_cancels_its_tasks() {
    let rt = Builder::new_current_thread().build().unwrap();
    let local = LocalSet::new();
    let marker = Rc::new(());
    let task = {
        let marker = marker.clone();
        local.spawn_local(async move { drop(marker) })
    };
    drop(local);
    assert_eq!(
        Rc::strong_count(&marker),
        1,
        "the unpolled future was dropped"
    );
    let err = rt.block_on(task).unwrap_err();
    assert!(err.is_cancelled());
}

#[test]
fn running_a_set_off_a_loop_panics_with_a_message() {
    let local = LocalSet::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures_lite_block_on(local.run_until(async {}));
    }));
    let msg = panic_message(result.unwrap_err());
    assert!(msg.contains("outside of a netloop event loop"), "{msg}");
}

#[test]
fn task_locals_follow_their_task_across_polls() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let a = netloop::spawn(REQUEST.scope(1, async {
            for _ in 0..5 {
                yield_now().await;
                assert_eq!(REQUEST.get(), 1);
            }
            REQUEST.get()
        }));
        let b = netloop::spawn(REQUEST.scope(2, async {
            for _ in 0..5 {
                yield_now().await;
                assert_eq!(REQUEST.get(), 2);
            }
            REQUEST.get()
        }));
        assert_eq!((a.await.unwrap(), b.await.unwrap()), (1, 2));
        assert!(REQUEST.try_with(|_| ()).is_err(), "unset outside any scope");
        let name = NAME.sync_scope("x".to_owned(), || NAME.with(|n| n.clone()));
        assert_eq!(name, "x");
        assert!(Handle::try_current().is_ok());
    });
}

#[test]
#[should_panic(expected = "task-local value not set")]
fn reading_an_unset_task_local_panics_with_a_message() {
    REQUEST.get();
}

/// Polls `future` on this (non-runtime) thread.
fn futures_lite_block_on<F: std::future::Future>(future: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn tasks_of_a_set_that_ran_keep_running_after_the_set_is_dropped() {
    let rt = Builder::new_current_thread().build().unwrap();
    let local = LocalSet::new();
    let go_on = Rc::new(RefCell::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let go_on = go_on.clone();
        drop(local.spawn_local(async move {
            // Still pending when the set is dropped.
            while !*go_on.borrow() {
                yield_now().await;
            }
            tx.send("done").unwrap();
        }));
    }
    rt.block_on(local.run_until(yield_now()));
    drop(local);
    *go_on.borrow_mut() = true;
    rt.block_on(async {
        for _ in 0..100 {
            yield_now().await;
        }
    });
    assert_eq!(rx.try_recv(), Ok("done"));
}

#[test]
fn awaiting_a_set_runs_until_its_tasks_and_theirs_are_done() {
    let rt = Builder::new_current_thread().build().unwrap();
    let local = LocalSet::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    {
        let log = log.clone();
        drop(local.spawn_local(async move {
            let inner = log.clone();
            // Spawned by a task of the set: it belongs to the set too, so
            // awaiting the set waits for it (it yields first, so it
            // finishes after its parent).
            drop(netloop::task::spawn_local(async move {
                for _ in 0..3 {
                    yield_now().await;
                }
                inner.borrow_mut().push("child");
            }));
            log.borrow_mut().push("parent");
        }));
    }
    rt.block_on(local);
    assert_eq!(*log.borrow(), ["parent", "child"]);
}

#[test]
fn awaiting_an_empty_set_completes() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(LocalSet::new());
}

#[test]
fn spawn_local_inside_enter_spawns_onto_the_set() {
    let rt = Builder::new_current_thread().build().unwrap();
    let local = LocalSet::new();
    let ran = Rc::new(RefCell::new(false));
    let handle = {
        // No loop runs on this thread outside `block_on`: without the
        // guard this `spawn_local` would panic.
        let _guard = local.enter();
        let ran = ran.clone();
        netloop::task::spawn_local(async move {
            *ran.borrow_mut() = true;
            7
        })
    };
    assert!(!*ran.borrow(), "a set's task starts when the set runs");
    let out = local.block_on(&rt, handle).unwrap();
    assert_eq!(out, 7);
    assert!(*ran.borrow());
}

#[test]
fn spawn_local_on_puts_a_set_task_in_a_join_set() {
    let rt = Builder::new_current_thread().build().unwrap();
    let local = LocalSet::new();
    let mut set = netloop::task::JoinSet::new();
    let rc = Rc::new(5);
    {
        let rc = rc.clone();
        set.spawn_local_on(async move { *rc + 1 }, &local);
    }
    let out = local.block_on(&rt, async move { set.join_next().await });
    assert_eq!(out.unwrap().unwrap(), 6);
}

#[test]
fn a_set_task_left_on_a_guest_loop_is_dropped_when_the_loop_ends() {
    struct Flag(Rc<RefCell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            *self.0.borrow_mut() = true;
        }
    }
    let dropped = Rc::new(RefCell::new(false));
    let local = LocalSet::new();
    {
        let flag = Flag(dropped.clone());
        drop(local.spawn_local(async move {
            let _flag = flag;
            std::future::pending::<()>().await;
        }));
    }
    // A multi-thread runtime's `block_on` drives a guest loop that ends
    // with it, cancelling what is left on it: the pending task's future is
    // dropped there, not leaked with the set.
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    local.block_on(&rt, yield_now());
    assert!(*dropped.borrow());
    drop(local);
}
