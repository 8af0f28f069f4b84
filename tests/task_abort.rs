//! Aborting tasks: `JoinHandle::abort` and `AbortHandle::abort` on a task
//! that waits forever, on one that spins on `yield_now`, on one not yet
//! polled and on one already finished; the aborted future is dropped on its
//! own loop, and `is_finished` follows on both handles.

#[macro_use]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread;

use futures::channel::oneshot;
use netloop::runtime::Handle;
use netloop::task;

use support::{
    Drops, current_thread, last_loop, multi_thread_named, pending_with, poll_once, wait_until,
    watchdog,
};

rt_test! {
    fn aborting_a_pending_task_cancels_it_and_drops_its_future_on_its_loop(rt) {
        let drops = Drops::new();
        let target = last_loop(&rt);
        let (started_tx, started_rx) = oneshot::channel();
        let guard = drops.guard(0);
        let handle = rt.handle().spawn_on(target, async move {
            started_tx
                .send((thread::current().id(), Handle::current().current_loop()))
                .unwrap();
            pending_with(guard).await;
        });
        let (task_thread, task_loop) = rt.block_on(started_rx).unwrap();
        assert_eq!(task_loop, Some(target));
        assert!(!handle.is_finished(), "a pending task is not finished");
        assert_eq!(drops.count(), 0);

        handle.abort();
        let err = rt.block_on(handle).expect_err("an aborted task gives a JoinError");
        assert!(err.is_cancelled(), "{err:?}");
        assert!(!err.is_panic());

        let records = drops.records();
        assert_eq!(records.len(), 1, "the future is dropped exactly once");
        assert_eq!(records[0].thread, task_thread, "dropped on the task's loop thread");
        assert_eq!(records[0].current_loop, Some(target));
    }

    fn aborting_a_task_that_spins_on_yield_now_stops_it(rt) {
        let drops = Drops::new();
        let spins = Arc::new(AtomicUsize::new(0));
        let target = last_loop(&rt);
        let guard = drops.guard(0);
        let counter = spins.clone();
        let spinner = rt.handle().spawn_on(target, async move {
            let _guard = guard;
            loop {
                counter.fetch_add(1, SeqCst);
                task::yield_now().await;
            }
        });
        let abort = spinner.abort_handle();
        let watched = spins.clone();
        // The aborter runs as a task of its own: on loop 0, which on the
        // multi-thread runtime is another loop than the spinner's.
        let aborter = rt.handle().spawn_on(0, async move {
            while watched.load(SeqCst) < 100 {
                task::yield_now().await;
            }
            abort.abort();
        });
        rt.block_on(async {
            aborter.await.unwrap();
            let err = spinner.await.expect_err("the spinner was aborted");
            assert!(err.is_cancelled(), "{err:?}");
        });
        assert_eq!(drops.count(), 1, "the spinner's future was dropped");
        let stopped_at = spins.load(SeqCst);
        assert!(stopped_at >= 100);
        // The future is gone: nothing can spin any more. Give the loops a
        // chance to prove it.
        rt.block_on(async {
            for _ in 0..100 {
                task::yield_now().await;
            }
        });
        assert_eq!(spins.load(SeqCst), stopped_at, "the spinner kept running after its abort");
    }

    fn aborting_a_completed_task_still_gives_its_output(rt) {
        let handle = rt.handle().spawn_on(last_loop(&rt), async { String::from("done") });
        rt.block_on(async {
            while !handle.is_finished() {
                task::yield_now().await;
            }
        });
        handle.abort();
        handle.abort_handle().abort();
        assert_eq!(rt.block_on(handle).unwrap(), "done");
    }

    fn an_abort_handle_aborts_like_the_join_handle_and_both_see_it_finish(rt) {
        let drops = Drops::new();
        let target = last_loop(&rt);
        let (started_tx, started_rx) = oneshot::channel();
        let guard = drops.guard(0);
        let handle = rt.handle().spawn_on(target, async move {
            started_tx.send(thread::current().id()).unwrap();
            pending_with(guard).await;
        });
        let abort = handle.abort_handle();
        let task_thread = rt.block_on(started_rx).unwrap();
        assert!(!abort.is_finished());
        assert!(!handle.is_finished());

        abort.abort();
        // Both handles see the task finish without anyone awaiting it.
        rt.block_on(async {
            while !(abort.is_finished() && handle.is_finished()) {
                task::yield_now().await;
            }
        });
        let records = drops.records();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].thread, task_thread);
        assert_eq!(records[0].current_loop, Some(target));
        // Aborting again is harmless.
        abort.abort();
        handle.abort();
        let err = rt.block_on(handle).unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
        assert!(abort.is_finished());
        assert_eq!(drops.count(), 1);
    }

    fn aborting_a_pending_task_from_a_plain_thread_drops_it_on_its_loop(rt) {
        let drops = Drops::new();
        let target = last_loop(&rt);
        let (started_tx, started_rx) = oneshot::channel();
        let guard = drops.guard(0);
        let handle = rt.handle().spawn_on(target, async move {
            started_tx.send(thread::current().id()).unwrap();
            pending_with(guard).await;
        });
        let task_thread = rt.block_on(started_rx).unwrap();
        let abort = handle.abort_handle();
        let aborter = thread::spawn(move || abort.abort());
        // On the current-thread runtime the task is dropped once block_on
        // drives the loop again.
        let err = rt.block_on(handle).unwrap_err();
        aborter.join().unwrap();
        assert!(err.is_cancelled(), "{err:?}");
        let records = drops.records();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].thread, task_thread, "dropped on the task's loop");
        assert_eq!(records[0].current_loop, Some(target));
    }

    fn a_task_aborted_by_itself_is_cancelled_at_its_next_yield(rt) {
        let after_yield = Arc::new(AtomicBool::new(false));
        let flag = after_yield.clone();
        let (tx, rx) = oneshot::channel::<task::AbortHandle>();
        let handle = rt.handle().spawn_on(last_loop(&rt), async move {
            let me = rx.await.unwrap();
            me.abort();
            task::yield_now().await;
            flag.store(true, SeqCst);
        });
        tx.send(handle.abort_handle()).unwrap();
        let err = rt.block_on(handle).unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
        assert!(!after_yield.load(SeqCst), "the task ran past its abort");
    }
}

#[test]
fn aborting_a_task_before_its_first_poll_cancels_it_without_polling_it() {
    watchdog(|| {
        let rt = current_thread();
        let drops = Drops::new();
        let polled = Arc::new(AtomicBool::new(false));
        let flag = polled.clone();
        let guard = drops.guard(0);
        // No block_on runs yet, so nothing polls the task.
        let handle = rt.spawn(async move {
            let _guard = guard;
            flag.store(true, SeqCst);
        });
        handle.abort();
        let err = rt.block_on(handle).unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
        assert!(!polled.load(SeqCst), "an aborted task must not be polled");
        assert_eq!(drops.count(), 1);
    });
}

#[test]
fn aborting_a_pending_task_on_a_named_loop_drops_it_on_that_loop_thread() {
    watchdog(|| {
        let rt = multi_thread_named(4, "abort");
        let drops = Drops::new();
        let mut handles = Vec::new();
        for target in 0..4 {
            let guard = drops.guard(target);
            handles.push(rt.handle().spawn_on(target, pending_with(guard)));
        }
        wait_until("every task to be polled", || {
            rt.handle().loop_stats().iter().all(|s| s.tasks_alive == 1)
        });
        for handle in &handles {
            handle.abort();
        }
        for handle in handles {
            let err = rt.block_on(handle).unwrap_err();
            assert!(err.is_cancelled());
        }
        let mut records = drops.records();
        records.sort_by_key(|r| r.tag);
        assert_eq!(records.len(), 4);
        for record in records {
            assert_eq!(
                record.thread_name.as_deref(),
                Some(format!("abort-{}", record.tag).as_str()),
                "task {} dropped off its loop: {record:?}",
                record.tag
            );
            assert_eq!(record.current_loop, Some(record.tag));
        }
        wait_until("the loops to count no live task", || {
            rt.handle().loop_stats().iter().all(|s| s.tasks_alive == 0)
        });
    });
}

#[test]
fn a_join_handle_of_an_aborted_task_is_ready_once_the_task_is_dropped() {
    watchdog(|| {
        let rt = multi_thread_named(2, "abort-ready");
        let drops = Drops::new();
        let handle = rt.handle().spawn_on(1, pending_with(drops.guard(0)));
        wait_until("the task to be polled", || {
            rt.handle().loop_stats()[1].tasks_alive == 1
        });
        handle.abort();
        wait_until("the aborted task to finish", || handle.is_finished());
        match poll_once(handle) {
            std::task::Poll::Ready(Err(err)) => assert!(err.is_cancelled(), "{err:?}"),
            other => panic!("expected a cancelled JoinError, got {other:?}"),
        }
        assert_eq!(drops.count(), 1);
    });
}
