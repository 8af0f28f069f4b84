//! The runtime API tokio's own tests lean on: `Runtime::new`, runtime names
//! and ids, `runtime_flavor`, the scheduler intervals, unwind safety,
//! `EnterGuard`'s borrow, and timeouts too long to be an instant. Misuse
//! panics name the caller's line (`#[track_caller]`).

#[macro_use]
mod support;

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe, RefUnwindSafe, UnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, Once};
use std::time::Duration;

use netloop::runtime::{Builder, Handle, Runtime, RuntimeFlavor};
use support::{panic_message, watchdog};

thread_local! {
    /// Where the last panic on this thread came from (file, line).
    static LAST_PANIC: RefCell<Option<(String, u32)>> = const { RefCell::new(None) };
}

/// Runs `f`, expecting a panic, and returns its message and the file and
/// line it was raised at.
fn panic_site(f: impl FnOnce() + Send + 'static) -> (String, String, u32) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let site = info.location().map(|l| (l.file().to_owned(), l.line()));
            LAST_PANIC.with(|p| *p.borrow_mut() = site);
            // Keep other tests' panics visible.
            if std::thread::current().name() != Some("panic-site") {
                default(info);
            }
        }));
    });
    let payload = std::thread::Builder::new()
        .name("panic-site".to_owned())
        .spawn(move || {
            let payload = panic::catch_unwind(AssertUnwindSafe(f))
                .expect_err("expected a panic, but the call returned");
            let site = LAST_PANIC.with(|p| p.borrow_mut().take());
            (panic_message(&*payload), site)
        })
        .unwrap()
        .join()
        .unwrap();
    let (message, site) = payload;
    let (file, line) = site.expect("the panic hook saw the panic");
    (message, file, line)
}

#[test]
fn runtime_new_is_a_multi_thread_runtime_with_a_loop_per_cpu() {
    watchdog(|| {
        let rt = Runtime::new().unwrap();
        let cpus = std::thread::available_parallelism().unwrap().get();
        assert_eq!(rt.handle().loops(), cpus);
        assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::MultiThread);
        assert_eq!(
            rt.block_on(async { netloop::spawn(async { 7 }).await })
                .unwrap(),
            7
        );
    });
}

#[test]
fn flavors_are_reported() {
    let rt = Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
    let flavor = rt.block_on(async { Handle::current().runtime_flavor() });
    assert_eq!(flavor, RuntimeFlavor::CurrentThread);
}

#[test]
fn a_runtime_has_no_name_unless_given_one() {
    let rt = Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.handle().name(), None);
    let named = Builder::new_multi_thread()
        .worker_threads(1)
        .name("ingress")
        .build()
        .unwrap();
    assert_eq!(named.handle().name(), Some("ingress"));
    // Also from inside, through the current handle.
    let inside = named.block_on(async {
        netloop::spawn(async { Handle::current().name().map(str::to_owned) })
            .await
            .unwrap()
    });
    assert_eq!(inside.as_deref(), Some("ingress"));
}

#[netloop::test(name = "from-the-attribute")]
async fn the_test_attribute_names_its_runtime() {
    assert_eq!(Handle::current().name(), Some("from-the-attribute"));
}

#[test]
fn an_empty_name_panics_at_the_callers_line() {
    let (message, file, line) = panic_site(|| {
        let _ = Builder::new_multi_thread().name("  ").build();
    });
    assert_eq!(message, "runtime name shouldn't be empty");
    assert_eq!(file, file!());
    assert_eq!(line, line!() - 4);
}

#[test]
fn each_runtime_has_its_own_id_and_every_handle_of_it_the_same() {
    let a = Builder::new_current_thread().build().unwrap();
    let b = Builder::new_current_thread().build().unwrap();
    assert_ne!(a.handle().id(), b.handle().id());
    assert_eq!(a.handle().id(), a.handle().clone().id());
    let inside = a.block_on(async { Handle::current().id() });
    assert_eq!(inside, a.handle().id());
    // Displayed as a number.
    assert!(a.handle().id().to_string().parse::<u64>().is_ok());
}

#[test]
fn zero_intervals_panic_at_the_callers_line() {
    let (message, file, line) = panic_site(|| {
        let _ = Builder::new_multi_thread().event_interval(0).build();
    });
    assert_eq!(message, "event_interval must be greater than 0");
    assert_eq!((file.as_str(), line), (file!(), line!() - 3));
    let (message, file, line) = panic_site(|| {
        let _ = Builder::new_multi_thread().global_queue_interval(0).build();
    });
    assert_eq!(message, "global_queue_interval must be greater than 0");
    assert_eq!((file.as_str(), line), (file!(), line!() - 3));
}

/// Network polls of a one-loop runtime while one of its tasks yields 1,000
/// times in a row.
fn turns_while_yielding(builder: &mut Builder) -> u64 {
    let rt = builder.worker_threads(1).build().unwrap();
    let before = rt.handle().loop_stats()[0].turns;
    rt.block_on(async {
        netloop::spawn(async {
            for _ in 0..1000 {
                netloop::task::yield_now().await;
            }
        })
        .await
        .unwrap();
    });
    rt.handle().loop_stats()[0].turns - before
}

#[test]
fn event_interval_bounds_the_tasks_run_between_network_polls() {
    watchdog(|| {
        // Each poll of the yielding task is followed by a network poll.
        let every_task = turns_while_yielding(Builder::new_multi_thread().event_interval(1));
        assert!(every_task >= 1000, "{every_task} network polls");
        // By default a round runs a batch of tasks first.
        let batched = turns_while_yielding(&mut Builder::new_multi_thread());
        assert!(batched < 500, "{batched} network polls");
    });
}

#[test]
fn global_queue_interval_one_takes_remote_work_before_each_local_task() {
    watchdog(|| {
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .event_interval(100_000)
            .global_queue_interval(1)
            .build()
            .unwrap();
        let polls = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicUsize::new(0));
        let busy = {
            let (polls, stop) = (polls.clone(), stop.clone());
            rt.spawn(async move {
                while stop.load(SeqCst) == 0 {
                    polls.fetch_add(1, SeqCst);
                    // Each poll outlasts the spawn below (allocation, the
                    // remote push), so counting polls counts ticks.
                    let start = std::time::Instant::now();
                    while start.elapsed() < Duration::from_micros(50) {}
                    netloop::task::yield_now().await;
                }
            })
        };
        // Let the busy task get going, then spawn from this thread.
        while polls.load(SeqCst) < 100 {
            std::thread::yield_now();
        }
        let spawned_at = polls.load(SeqCst);
        let started_at = {
            let polls = polls.clone();
            rt.spawn(async move { polls.load(SeqCst) })
        };
        let started_at = rt.block_on(started_at).unwrap();
        stop.store(1, SeqCst);
        rt.block_on(busy).unwrap();
        // The remote queue is looked at before every local task: the new
        // task ran within a poll or two of the busy task after its push
        // (with the default 61, typically dozens).
        assert!(
            started_at - spawned_at <= 3,
            "spawned at busy poll {spawned_at}, started at {started_at}"
        );
    });
}

fn is_unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

#[test]
fn runtimes_and_handles_cross_catch_unwind_and_stay_usable() {
    is_unwind_safe::<Runtime>();
    is_unwind_safe::<Handle>();
    let rt = Builder::new_current_thread().build().unwrap();
    let caught = panic::catch_unwind(|| rt.block_on(async { panic!("in block_on") }));
    assert_eq!(panic_message(&*caught.unwrap_err()), "in block_on");
    let handle = rt.handle();
    let caught = panic::catch_unwind(|| handle.block_on(async { panic!("in Handle::block_on") }));
    assert!(caught.is_err());
    assert_eq!(
        rt.block_on(async { netloop::spawn(async { 5 }).await })
            .unwrap(),
        5
    );
}

#[test]
fn an_enter_guard_lets_its_runtime_be_shut_down_while_it_lives() {
    watchdog(|| {
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let _guard = rt.enter();
        // The guard's borrow ends at its last use: this moves `rt` with
        // the guard still in scope (tokio's guard allows it too).
        rt.shutdown_timeout(Duration::from_secs(5));
    });
}

#[test]
fn an_enter_guard_restores_what_was_entered_before() {
    let outer = Builder::new_current_thread().build().unwrap();
    let inner = Builder::new_current_thread().build().unwrap();
    let _outer = outer.enter();
    {
        let _inner = inner.enter();
        assert_eq!(Handle::current().id(), inner.handle().id());
    }
    assert_eq!(Handle::current().id(), outer.handle().id());
}

#[test]
fn shutdown_timeout_of_duration_max_waits_for_the_loops() {
    watchdog(|| {
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let dropped = Arc::new(Mutex::new(false));
        struct SetOnDrop(Arc<Mutex<bool>>);
        impl Drop for SetOnDrop {
            fn drop(&mut self) {
                *self.0.lock().unwrap() = true;
            }
        }
        let guard = SetOnDrop(dropped.clone());
        let _task = rt.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        rt.shutdown_timeout(Duration::MAX);
        // Waiting "forever" meant until the loops were done: the pending
        // task's future was dropped on its loop before this returned.
        assert!(*dropped.lock().unwrap());
    });
}

#[test]
fn a_keep_alive_of_duration_max_keeps_idle_blocking_threads_usable() {
    watchdog(|| {
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .thread_keep_alive(Duration::MAX)
            .build()
            .unwrap();
        // The first job's thread goes idle with an endless keep-alive; the
        // second job must still find it (or a new one) and run.
        for i in 0..3 {
            let got = rt.block_on(rt.spawn_blocking(move || i * 2)).unwrap();
            assert_eq!(got, i * 2);
            std::thread::sleep(Duration::from_millis(20));
        }
    });
}

#[test]
fn worker_index_names_the_loop_a_thread_runs() {
    watchdog(|| {
        assert_eq!(
            netloop::runtime::worker_index(),
            None,
            "outside any runtime"
        );
        let ct = Builder::new_current_thread().build().unwrap();
        assert_eq!(
            ct.block_on(async { netloop::runtime::worker_index() }),
            Some(0)
        );
        // A handle's `block_on` drives a guest loop: no worker of the runtime.
        let guest = ct
            .handle()
            .block_on(async { netloop::runtime::worker_index() });
        assert_eq!(guest, None);
        let mt = Builder::new_multi_thread()
            .worker_threads(3)
            .build()
            .unwrap();
        for i in 0..3 {
            let on = mt
                .handle()
                .spawn_on(i, async { netloop::runtime::worker_index() });
            assert_eq!(mt.block_on(on).unwrap(), Some(i));
        }
        assert_eq!(
            mt.block_on(async { netloop::runtime::worker_index() }),
            None
        );
    });
}

#[test]
fn metrics_count_workers_alive_tasks_and_queued_work() {
    watchdog(|| {
        let mt = Builder::new_multi_thread()
            .worker_threads(3)
            .build()
            .unwrap();
        let metrics = mt.metrics();
        assert_eq!(metrics.num_workers(), 3);
        let tasks: Vec<_> = (0..4)
            .map(|_| mt.spawn(std::future::pending::<()>()))
            .collect();
        assert_eq!(metrics.num_alive_tasks(), 4);
        tasks.iter().for_each(|t| t.abort());
        for t in tasks {
            assert!(mt.block_on(t).unwrap_err().is_cancelled());
        }
        support::wait_until("every aborted task is gone", || {
            metrics.num_alive_tasks() == 0
        });

        // A current-thread runtime runs nothing outside its `block_on`:
        // what is spawned meanwhile waits in its remote queue.
        let ct = Builder::new_current_thread().build().unwrap();
        assert_eq!(ct.metrics().num_workers(), 1);
        let a = ct.spawn(async { 1 });
        let b = ct.spawn(async { 2 });
        assert_eq!(ct.metrics().global_queue_depth(), 2);
        assert_eq!(
            ct.block_on(async { a.await.unwrap() + b.await.unwrap() }),
            3
        );
        assert_eq!(ct.metrics().global_queue_depth(), 0);
        assert_eq!(ct.metrics().num_alive_tasks(), 0);
    });
}

#[test]
fn metrics_count_parks_and_busy_time() {
    watchdog(|| {
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let metrics = rt.metrics();
        let parks = metrics.worker_park_count(0);
        rt.block_on(async {
            netloop::spawn(netloop::time::sleep(Duration::from_millis(20)))
                .await
                .unwrap()
        });
        assert!(
            metrics.worker_park_count(0) > parks,
            "sleeping parks the loop"
        );
        let unparks = metrics.worker_park_unpark_count(0);
        assert!(unparks >= 2 * (metrics.worker_park_count(0) - 1));

        // A task that keeps its loop busy for 50 ms adds at least that.
        let busy = metrics.worker_total_busy_duration(0);
        rt.block_on(async {
            netloop::spawn(async {
                let start = std::time::Instant::now();
                while start.elapsed() < Duration::from_millis(50) {}
            })
            .await
            .unwrap()
        });
        // Counted when the loop next parks, which it does once idle.
        support::wait_until("the busy stretch is counted", || {
            metrics.worker_total_busy_duration(0) - busy >= Duration::from_millis(50)
        });
        // An idle loop adds little: most of those 100 ms it is parked.
        let busy = metrics.worker_total_busy_duration(0);
        let start = std::time::Instant::now();
        std::thread::sleep(Duration::from_millis(100));
        // Wake the loop, and let it park again.
        rt.block_on(async { netloop::spawn(async {}).await.unwrap() });
        std::thread::sleep(Duration::from_millis(10));
        let idle = metrics.worker_total_busy_duration(0) - busy;
        assert!(idle < start.elapsed() / 2, "{idle:?} busy while idle");
    });
}

#[test]
fn a_worker_index_out_of_bounds_panics_with_the_count() {
    let rt = Builder::new_current_thread().build().unwrap();
    let message = support::panic_of(|| rt.metrics().worker_park_count(1));
    assert_eq!(
        message,
        "worker index 1 out of bounds: the runtime has 1 worker(s)"
    );
}
