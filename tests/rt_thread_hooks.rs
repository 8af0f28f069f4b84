//! `Builder::on_thread_start` and `on_thread_stop`: each runs exactly once
//! on every loop thread — start before the loop runs any task, stop after
//! the loop's tasks are dropped — and the threads are named after
//! `thread_name`.

#[macro_use]
mod support;

use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::thread;

use netloop::runtime::{Builder, Handle};

use support::{Drops, pending_with, wait_until, watchdog};

/// The names of the threads a hook ran on, in order.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn record(&self) {
        let name = thread::current().name().unwrap_or("<unnamed>").to_owned();
        self.0.lock().unwrap().push(name);
    }

    fn sorted(&self) -> Vec<String> {
        let mut names = self.0.lock().unwrap().clone();
        names.sort();
        names
    }
}

thread_local! {
    /// Set by `on_thread_start` on the thread it runs on.
    static STARTED: Cell<bool> = const { Cell::new(false) };
}

#[test]
fn on_thread_start_and_stop_run_once_on_every_loop_thread() {
    watchdog(|| {
        let (starts, stops) = (Log::default(), Log::default());
        let (s, t) = (starts.clone(), stops.clone());
        let rt = Builder::new_multi_thread()
            .worker_threads(3)
            .thread_name("hook")
            .on_thread_start(move || s.record())
            .on_thread_stop(move || t.record())
            .build()
            .unwrap();
        wait_until("every loop thread to start", || starts.sorted().len() == 3);
        assert_eq!(starts.sorted(), ["hook-0", "hook-1", "hook-2"]);
        assert!(stops.sorted().is_empty(), "a stop hook ran before shutdown");
        // Work on every loop does not run the hooks again.
        for i in 0..3 {
            rt.block_on(rt.handle().spawn_on(i, async {})).unwrap();
        }
        drop(rt);
        assert_eq!(starts.sorted(), ["hook-0", "hook-1", "hook-2"]);
        assert_eq!(stops.sorted(), ["hook-0", "hook-1", "hook-2"]);
    });
}

#[test]
fn on_thread_start_runs_before_any_task_of_its_loop() {
    watchdog(|| {
        let rt = Builder::new_multi_thread()
            .worker_threads(3)
            .on_thread_start(|| STARTED.with(|s| s.set(true)))
            .build()
            .unwrap();
        // Spawned at once, before the threads may even have started.
        let handles: Vec<_> = (0..30)
            .map(|i| {
                rt.handle()
                    .spawn_on(i % 3, async { STARTED.with(Cell::get) })
            })
            .collect();
        for h in handles {
            assert!(
                rt.block_on(h).unwrap(),
                "a task ran before its thread's start hook"
            );
        }
    });
}

#[test]
fn on_thread_stop_runs_after_its_loops_tasks_are_dropped() {
    watchdog(|| {
        let drops = Drops::new();
        let seen = drops.clone();
        let all_dropped_at_stop = Arc::new(Mutex::new(Vec::new()));
        let log = all_dropped_at_stop.clone();
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("stop")
            .on_thread_stop(move || {
                let me = thread::current().name().unwrap().to_owned();
                // This loop's task was tagged with its index.
                let index: usize = me.trim_start_matches("stop-").parse().unwrap();
                let dropped = seen.records().iter().any(|r| r.tag == index);
                log.lock().unwrap().push((index, dropped));
            })
            .build()
            .unwrap();
        for i in 0..2 {
            drop(rt.handle().spawn_on(i, pending_with(drops.guard(i))));
        }
        wait_until("both tasks to be polled", || {
            rt.handle().loop_stats().iter().all(|s| s.tasks_alive == 1)
        });
        drop(rt);
        let mut log = all_dropped_at_stop.lock().unwrap().clone();
        log.sort();
        assert_eq!(log, [(0, true), (1, true)]);
    });
}

#[test]
fn hooks_run_once_per_loop_for_a_runtime_shut_down_with_a_timeout() {
    watchdog(|| {
        let (starts, stops) = (Log::default(), Log::default());
        let (s, t) = (starts.clone(), stops.clone());
        let rt = Builder::new_multi_thread()
            .worker_threads(4)
            .thread_name("timeout")
            .on_thread_start(move || s.record())
            .on_thread_stop(move || t.record())
            .build()
            .unwrap();
        rt.block_on(async {});
        rt.shutdown_timeout(std::time::Duration::from_secs(30));
        let expected: Vec<_> = (0..4).map(|i| format!("timeout-{i}")).collect();
        assert_eq!(starts.sorted(), expected);
        assert_eq!(stops.sorted(), expected);
    });
}

#[test]
fn handle_current_works_inside_the_thread_start_and_stop_hooks() {
    watchdog(|| {
        let in_start = Arc::new(Mutex::new(None));
        let in_stop = Arc::new(Mutex::new(None));
        let (a, b) = (in_start.clone(), in_stop.clone());
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .on_thread_start(move || *a.lock().unwrap() = Some(Handle::try_current().is_ok()))
            .on_thread_stop(move || *b.lock().unwrap() = Some(Handle::try_current().is_ok()))
            .build()
            .unwrap();
        wait_until("the start hook to run", || {
            in_start.lock().unwrap().is_some()
        });
        drop(rt);
        assert_eq!(
            (*in_start.lock().unwrap(), *in_stop.lock().unwrap()),
            (Some(true), Some(true)),
            "(Handle::try_current().is_ok() in on_thread_start, in on_thread_stop)"
        );
    });
}
