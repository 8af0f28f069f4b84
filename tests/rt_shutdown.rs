//! Shutting a runtime down: dropping it drops the future of every task it
//! still holds — polled and pending, or never polled — on the task's own
//! loop, and their `JoinHandle`s report cancellation; `shutdown_timeout`
//! and `shutdown_background` return even while a task is stuck in a
//! blocking call; a handle that outlives its runtime spawns only cancelled
//! tasks.

#[macro_use]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use netloop::runtime::{Builder, Handle, Runtime};
use netloop::task::{self, JoinHandle};

use support::{
    Drops, alive_per_loop, current_thread, multi_thread_named, pending_with, poll_once, wait_until,
    watchdog,
};

/// Asserts that `handle`'s task was cancelled, without a runtime to await
/// it on: a task cancelled at shutdown is ready at once.
#[track_caller]
fn assert_cancelled<T: std::fmt::Debug>(handle: JoinHandle<T>) {
    match poll_once(handle) {
        Poll::Ready(Err(err)) => assert!(err.is_cancelled(), "{err:?}"),
        other => panic!("expected a cancelled JoinError, got {other:?}"),
    }
}

#[test]
fn dropping_a_multi_thread_runtime_drops_every_pending_and_unpolled_task_on_its_loop() {
    watchdog(|| {
        const LOOPS: usize = 4;
        const PENDING: usize = 1000;
        const UNPOLLED: usize = 1000;
        let rt = multi_thread_named(LOOPS, "shutdown");
        let drops = Drops::new();
        let mut handles = Vec::new();
        for i in 0..PENDING {
            let target = i % LOOPS;
            handles.push(
                rt.handle()
                    .spawn_on(target, pending_with(drops.guard(target))),
            );
        }
        wait_until("every pending task to be polled once", || {
            alive_per_loop(rt.handle()).iter().sum::<usize>() == PENDING
        });
        // More tasks, spawned right before the drop: most are never polled.
        for i in 0..UNPOLLED {
            let target = i % LOOPS;
            handles.push(
                rt.handle()
                    .spawn_on(target, pending_with(drops.guard(target))),
            );
        }
        assert_eq!(drops.count(), 0);
        drop(rt);

        let records = drops.records();
        assert_eq!(
            records.len(),
            PENDING + UNPOLLED,
            "every task future was dropped once"
        );
        for r in &records {
            assert_eq!(
                r.thread_name.as_deref(),
                Some(format!("shutdown-{}", r.tag).as_str()),
                "a task of loop {} was dropped elsewhere: {r:?}",
                r.tag
            );
        }
        for handle in handles {
            assert!(handle.is_finished());
            assert_cancelled(handle);
        }
    });
}

#[test]
fn dropping_a_current_thread_runtime_drops_pending_and_unpolled_tasks_on_the_dropping_thread() {
    watchdog(|| {
        let rt = current_thread();
        let drops = Drops::new();
        let mut handles: Vec<_> = (0..500)
            .map(|i| rt.spawn(pending_with(drops.guard(i))))
            .collect();
        // Let block_on poll those once.
        rt.block_on(async {
            for _ in 0..10 {
                task::yield_now().await;
            }
        });
        assert_eq!(alive_per_loop(rt.handle()), [500]);
        // Never polled: no block_on runs after these.
        handles.extend((0..500).map(|i| rt.spawn(pending_with(drops.guard(500 + i)))));
        let from_thread = rt.handle().clone();
        handles.extend(
            thread::spawn(move || {
                (0..100)
                    .map(|i| from_thread.spawn(pending_with(Drops::new().guard(i))))
                    .collect::<Vec<_>>()
            })
            .join()
            .unwrap(),
        );
        drop(rt);
        let records = drops.records();
        assert_eq!(records.len(), 1000);
        let here = thread::current().id();
        assert!(records.iter().all(|r| r.thread == here));
        for handle in handles {
            assert_cancelled(handle);
        }
    });
}

#[test]
fn shutdown_timeout_returns_while_a_task_is_stuck_in_a_blocking_call() {
    watchdog(|| {
        let rt = multi_thread_named(2, "stuck");
        let started = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let (s, f) = (started.clone(), finished.clone());
        drop(rt.handle().spawn_on(1, async move {
            s.store(true, SeqCst);
            // Blocks the loop thread: the runtime cannot stop it.
            thread::sleep(Duration::from_secs(2));
            f.store(true, SeqCst);
        }));
        wait_until("the stuck task to start", || started.load(SeqCst));
        let begun = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(100));
        let took = begun.elapsed();
        assert!(
            !finished.load(SeqCst),
            "shutdown_timeout waited for the stuck task (took {took:?})"
        );
        assert!(
            took >= Duration::from_millis(100),
            "it did not wait at all: {took:?}"
        );
        // The stuck loop thread ends on its own once the task returns.
        wait_until("the stuck task to finish", || finished.load(SeqCst));
    });
}

#[test]
fn shutdown_background_returns_at_once_and_the_stuck_task_is_dropped_later_on_its_loop() {
    watchdog(|| {
        let rt = multi_thread_named(2, "background");
        let drops = Drops::new();
        let started = Arc::new(AtomicBool::new(false));
        let unblocked = Arc::new(AtomicBool::new(false));
        let (s, u) = (started.clone(), unblocked.clone());
        let guard = drops.guard(1);
        drop(rt.handle().spawn_on(1, async move {
            let _guard = guard;
            s.store(true, SeqCst);
            thread::sleep(Duration::from_millis(500));
            u.store(true, SeqCst);
            std::future::pending::<()>().await;
        }));
        wait_until("the stuck task to start", || started.load(SeqCst));
        rt.shutdown_background();
        assert!(
            !unblocked.load(SeqCst),
            "shutdown_background waited for the stuck task"
        );
        wait_until("the stuck task's future to be dropped", || {
            drops.count() == 1
        });
        assert_eq!(
            drops.records()[0].thread_name.as_deref(),
            Some("background-1")
        );
    });
}

#[test]
fn shutdown_timeout_of_idle_loops_stops_every_loop_thread_before_returning() {
    watchdog(|| {
        let stopped = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = stopped.clone();
        let rt = Builder::new_multi_thread()
            .worker_threads(3)
            .thread_name("idle")
            .on_thread_stop(move || {
                log.lock()
                    .unwrap()
                    .push(thread::current().name().unwrap().to_owned());
            })
            .build()
            .unwrap();
        let drops = Drops::new();
        for i in 0..3 {
            drop(rt.handle().spawn_on(i, pending_with(drops.guard(i))));
        }
        rt.shutdown_timeout(Duration::from_secs(30));
        let mut stopped = stopped.lock().unwrap().clone();
        stopped.sort();
        assert_eq!(stopped, ["idle-0", "idle-1", "idle-2"]);
        assert_eq!(drops.count(), 3);
    });
}

rt_test! {
    fn a_handle_that_outlives_its_runtime_spawns_only_cancelled_tasks(rt) {
        let handle = rt.handle().clone();
        drop(rt);
        let drops = Drops::new();
        let jh = handle.spawn(pending_with(drops.guard(0)));
        assert_eq!(drops.count(), 1, "the future was not dropped at once");
        assert!(jh.is_finished());
        assert_cancelled(jh);
        let jh = handle.spawn_on(0, async { 1 });
        assert_cancelled(jh);
    }

    fn a_task_that_spawns_from_its_destructor_at_shutdown_does_not_hang_the_drop(rt) {
        /// Spawns a task of its own when dropped.
        struct SpawnOnDrop(Drops);
        impl Drop for SpawnOnDrop {
            fn drop(&mut self) {
                if let Ok(handle) = Handle::try_current() {
                    drop(handle.spawn(pending_with(self.0.guard(1))));
                }
            }
        }
        let drops = Drops::new();
        let on_drop = SpawnOnDrop(drops.clone());
        let guard = drops.guard(0);
        let jh = rt.spawn(async move {
            let _a = on_drop;
            pending_with(guard).await;
        });
        rt.block_on(async {
            for _ in 0..10 {
                task::yield_now().await;
            }
        });
        drop(rt);
        // The task spawned while shutting down is cancelled too.
        let mut tags: Vec<_> = drops.records().iter().map(|r| r.tag).collect();
        tags.sort();
        assert_eq!(tags, [0, 1]);
        assert_cancelled(jh);
    }

    fn join_handles_awaited_on_another_runtime_see_the_cancellation(rt) {
        let drops = Drops::new();
        let handles: Vec<_> = (0..10).map(|i| rt.spawn(pending_with(drops.guard(i)))).collect();
        drop(rt);
        let other = current_thread();
        for handle in handles {
            let err = other.block_on(handle).unwrap_err();
            assert!(err.is_cancelled());
        }
        assert_eq!(drops.count(), 10);
    }
}

/// A current-thread runtime whose one pending task holds a drop guard and
/// has been polled once, so that it sits in the loop's task list.
fn runtime_with_a_polled_pending_task(drops: &Drops) -> (Runtime, JoinHandle<()>) {
    let rt = current_thread();
    let jh = rt.spawn(pending_with(drops.guard(0)));
    rt.block_on(async {
        for _ in 0..10 {
            task::yield_now().await;
        }
    });
    assert_eq!(alive_per_loop(rt.handle()), [1]);
    (rt, jh)
}

#[test]
fn a_current_thread_runtime_dropped_inside_another_block_on_drops_its_pending_tasks() {
    watchdog(|| {
        let drops = Drops::new();
        let (inner, jh) = runtime_with_a_polled_pending_task(&drops);
        let outer = current_thread();
        outer.block_on(async move { drop(inner) });
        assert_eq!(
            drops.count(),
            1,
            "the pending task's future was not dropped"
        );
        assert_cancelled(jh);
    });
}

#[test]
fn a_current_thread_runtime_dropped_inside_a_task_drops_its_detached_pending_tasks() {
    watchdog(|| {
        let drops = Drops::new();
        let (inner, jh) = runtime_with_a_polled_pending_task(&drops);
        drop(jh);
        let outer = multi_thread_named(1, "outer");
        outer
            .block_on(outer.spawn(async move { drop(inner) }))
            .unwrap();
        drop(outer);
        assert_eq!(
            drops.count(),
            1,
            "the detached pending task's future was never dropped (leaked)"
        );
    });
}

#[test]
fn a_flood_of_unpolled_remote_tasks_is_dropped_on_its_loop_at_shutdown() {
    watchdog(|| {
        const FLOOD: usize = 40_000;
        let rt = multi_thread_named(1, "flood");
        let survivor = rt.handle().clone();
        let drops = Drops::new();
        let blocked = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let (b, r) = (blocked.clone(), release.clone());
        // Hold the loop so that the flood piles up in its remote queue.
        drop(rt.handle().spawn_on(0, async move {
            b.store(true, SeqCst);
            while !r.load(SeqCst) {
                thread::sleep(Duration::from_millis(1));
            }
        }));
        wait_until("the loop to be held", || blocked.load(SeqCst));
        let handles: Vec<_> = (0..FLOOD)
            .map(|_| rt.handle().spawn_on(0, pending_with(drops.guard(0))))
            .collect();
        // Release the loop only once the drop below has asked it to stop.
        let releaser = thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            release.store(true, SeqCst);
        });
        drop(rt);
        releaser.join().unwrap();
        let dropped_while_handle_lives = drops.count();
        let never_finished = handles.iter().filter(|h| !h.is_finished()).count();
        // The last handle frees the loop's poller, and with it the tasks
        // still queued there: on this thread.
        drop(survivor);
        let dropped = drops.count();
        let off_loop = drops
            .records()
            .iter()
            .filter(|r| r.thread_name.as_deref() != Some("flood-0"))
            .count();
        assert_eq!(
            (
                dropped_while_handle_lives,
                never_finished,
                dropped,
                off_loop
            ),
            (FLOOD, 0, FLOOD, 0),
            "(futures dropped by drop(rt), join handles left unfinished, futures dropped once \
             the last Handle went, of which off their loop)"
        );
    });
}
