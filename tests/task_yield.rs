//! `task::yield_now`: a yielding task goes to the back of its loop's queue,
//! so two tasks on one loop interleave step by step, and a task spinning on
//! `yield_now` never starves the other tasks (or the `block_on` future) of
//! its loop.

#[macro_use]
mod support;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use netloop::runtime::Handle;
use netloop::task;

use support::{current_thread, last_loop, multi_thread, watchdog};

/// Logs `name`'s steps 0..3, yielding between them.
async fn stepper(name: &'static str, log: Arc<Mutex<Vec<String>>>) {
    for step in 0..3 {
        log.lock().unwrap().push(format!("{name}{step}"));
        task::yield_now().await;
    }
}

const INTERLEAVED: [&str; 6] = ["a0", "b0", "a1", "b1", "a2", "b2"];

#[test]
fn two_tasks_on_a_current_thread_runtime_interleave_at_each_yield() {
    watchdog(|| {
        let rt = current_thread();
        let log = Arc::new(Mutex::new(Vec::new()));
        rt.block_on(async {
            let a = netloop::spawn(stepper("a", log.clone()));
            let b = netloop::spawn(stepper("b", log.clone()));
            a.await.unwrap();
            b.await.unwrap();
        });
        assert_eq!(*log.lock().unwrap(), INTERLEAVED);
    });
}

#[test]
fn two_tasks_spawned_on_one_loop_of_a_multi_thread_runtime_interleave_at_each_yield() {
    watchdog(|| {
        let rt = multi_thread(3);
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        // Spawned from a task on loop 1, both go on loop 1's local queue.
        rt.block_on(rt.handle().spawn_on(1, async move {
            let here = Handle::current();
            let a = here.spawn_on(1, stepper("a", l.clone()));
            let b = here.spawn_on(1, stepper("b", l));
            a.await.unwrap();
            b.await.unwrap();
        }))
        .unwrap();
        assert_eq!(*log.lock().unwrap(), INTERLEAVED);
    });
}

rt_test! {
    fn a_task_spinning_on_yield_now_does_not_starve_another_task_on_its_loop(rt) {
        let target = last_loop(&rt);
        let flag = Arc::new(AtomicBool::new(false));
        let seen = flag.clone();
        let spinner = rt.handle().spawn_on(target, async move {
            let mut spins = 0u64;
            while !seen.load(SeqCst) {
                spins += 1;
                task::yield_now().await;
            }
            spins
        });
        let setter = rt.handle().spawn_on(target, async move {
            flag.store(true, SeqCst);
        });
        rt.block_on(async {
            setter.await.unwrap();
            assert!(spinner.await.unwrap() >= 1);
        });
    }

    fn yield_now_in_block_on_lets_spawned_tasks_run(rt) {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        rt.block_on(async move {
            // Detached: block_on does not await it, it only yields.
            drop(netloop::spawn(async move { flag.store(true, SeqCst) }));
            let mut yields = 0u64;
            while !done.load(SeqCst) {
                yields += 1;
                assert!(yields < 100_000_000, "the spawned task never ran");
                task::yield_now().await;
            }
        });
    }

    fn a_task_yielding_ten_thousand_times_completes(rt) {
        let n = rt.block_on(rt.spawn(async {
            for _ in 0..10_000 {
                task::yield_now().await;
            }
            10_000
        }));
        assert_eq!(n.unwrap(), 10_000);
    }
}
