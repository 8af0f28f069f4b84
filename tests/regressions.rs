//! Regressions: bugs found by a review of the executor, each with the test
//! that failed (or aborted the process, or hung) before its fix. Tests that
//! could abort the process run in a child process of their own
//! ([`isolated`]).
//!
//! Every body runs under a watchdog (a hang fails the test instead of
//! blocking the harness), and only the public `netloop::` API is used.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use netloop::runtime::{Builder, Handle, Runtime};
use netloop::task::{self, JoinHandle, LocalSet};

/// How long a test body may run before it counts as hung.
const LIMIT: Duration = Duration::from_secs(30);

/// Runs `body` on a thread of its own; re-raises its panic; fails the test
/// when it does not finish within [`LIMIT`] (the hung thread is left
/// behind).
fn watchdog<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(catch_unwind(AssertUnwindSafe(body)));
    });
    match rx.recv_timeout(LIMIT) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => resume_unwind(payload),
        Err(_) => panic!("the test body did not finish within {LIMIT:?}: hung"),
    }
}

/// Runs `body` (under [`watchdog`]) in a child process that re-runs just
/// this test, and fails unless the child succeeds: some of these bugs abort
/// the process (a panic while a task is dropped, or in a TLS destructor),
/// which would otherwise take the whole test binary down.
fn isolated(name: &str, body: impl FnOnce() + Send + 'static) {
    if std::env::var("NETLOOP_REGRESSION_CHILD").as_deref() == Ok(name) {
        watchdog(body);
        println!("CHILD-OK");
        return;
    }
    let name = name.to_owned();
    watchdog(move || {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([&name, "--exact", "--nocapture", "--test-threads=1"])
            .env("NETLOOP_REGRESSION_CHILD", &name)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| {
                !l.trim_start().starts_with(|c: char| c.is_ascii_digit())
                    && !l.trim_start().starts_with("at ")
            })
            .collect();
        assert!(
            out.status.success() && stdout.contains("CHILD-OK"),
            "child failed: {:?}\nstderr (backtraces elided):\n{}",
            out.status,
            lines.join("\n")
        );
    });
}

/// Wakes a parked thread.
struct Unpark(thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this (non-runtime) thread until it completes or
/// `limit` passes.
fn wait_for<F: Future>(future: F, limit: Duration) -> Option<F::Output> {
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    let deadline = Instant::now() + limit;
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        thread::park_timeout(deadline - now);
    }
}

/// Polls `future` once with a no-op waker.
fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    let waker = futures::task::noop_waker();
    Pin::new(future).poll(&mut Context::from_waker(&waker))
}

fn multi_thread(loops: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(loops)
        .build()
        .expect("build a multi-thread runtime")
}

fn current_thread() -> Runtime {
    Builder::new_current_thread()
        .build()
        .expect("build a current-thread runtime")
}

/// Panics when dropped (unless already unwinding).
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !thread::panicking() {
            panic!("PanicOnDrop dropped");
        }
    }
}

/// A future that is ready at once and whose own drop panics: what a
/// completed task's future that owns a panicking guard looks like.
struct ReadyThenPanicOnDrop(#[allow(dead_code)] PanicOnDrop);

impl Future for ReadyThenPanicOnDrop {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
        Poll::Ready(1)
    }
}

/// Bug 1: `TaskFuture` (executor `task/core.rs`) only wraps `poll` in
/// `catch_unwind`. After it returns `Ready`, async-task drops the future
/// itself, inside its `abort_on_panic` guard, so a panicking `Drop` of the
/// task's future aborts the whole process (tokio catches it and reports
/// `JoinError::Panic`). The same happens for an aborted task (1b) and for a
/// task cancelled at shutdown (its `Runnable` dropped).
#[test]
fn a_panic_in_a_completed_futures_drop_is_reported_and_the_loop_lives_on() {
    isolated(
        "a_panic_in_a_completed_futures_drop_is_reported_and_the_loop_lives_on",
        || {
            let rt = multi_thread(1);
            let first = rt.spawn(ReadyThenPanicOnDrop(PanicOnDrop));
            let first = wait_for(first, Duration::from_secs(5))
                .expect("the task's JoinHandle never completed: its loop died");
            assert!(first.unwrap_err().is_panic());
            let second = wait_for(rt.spawn(async { 2 }), Duration::from_secs(5))
                .expect("a task spawned after it never ran: the loop thread is dead");
            assert_eq!(second.unwrap(), 2);
        },
    );
}

/// Bug 1b: the same through `abort`: the aborted task returns
/// `Ready(Err(cancelled))`, async-task drops the future under
/// `abort_on_panic`, and the process aborts.
#[test]
fn a_panic_in_an_aborted_futures_drop_does_not_kill_the_loop() {
    isolated(
        "a_panic_in_an_aborted_futures_drop_does_not_kill_the_loop",
        || {
            let rt = multi_thread(1);
            let (started_tx, started_rx) = mpsc::channel();
            let task = rt.spawn(async move {
                let _guard = PanicOnDrop;
                started_tx.send(()).unwrap();
                std::future::pending::<()>().await;
            });
            started_rx.recv().unwrap();
            task.abort();
            let _ = wait_for(task, Duration::from_secs(5));
            let second = wait_for(rt.spawn(async { 2 }), Duration::from_secs(5))
                .expect("a task spawned after the abort never ran: the loop thread is dead");
            assert_eq!(second.unwrap(), 2);
        },
    );
}

/// Bug 2: a current-thread `Runtime` is `Send + Sync`, but the `spawn_local`
/// tasks its loop holds are bound to the thread that spawned them. The next
/// `block_on` from another thread polls them there, and async-task panics
/// ("local task polled by a thread that didn't spawn it") out of that
/// thread's `block_on`; its `Guard` then drops the future on the wrong
/// thread too, which panics again under `abort_on_panic`: the process
/// aborts. tokio keeps `!Send` tasks in a `!Send` `LocalSet` /
/// `LocalRuntime`, so this cannot happen there.
#[test]
fn a_current_thread_runtimes_local_task_is_never_polled_on_another_thread() {
    isolated(
        "a_current_thread_runtimes_local_task_is_never_polled_on_another_thread",
        || {
            let rt = current_thread();
            rt.block_on(async {
                // Detached; queued, not yet polled when block_on returns.
                drop(task::spawn_local(async {
                    let local = Rc::new(1);
                    task::yield_now().await;
                    drop(local);
                }));
            });
            let other = thread::scope(|s| {
                s.spawn(|| catch_unwind(AssertUnwindSafe(|| rt.block_on(task::yield_now()))))
                    .join()
                    .unwrap()
            });
            // The other thread is refused with a message naming the
            // misuse, before anything is polled there; the process lives on
            // and the spawning thread can still drive the runtime.
            let payload = other.expect_err("a second thread must not poll the local task");
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            assert!(msg.contains("spawn_local"), "{msg}");
            rt.block_on(task::yield_now());
        },
    );
}

/// Bug 2b: the same tasks are dropped on whichever thread drops the
/// runtime: `Core::drop` cancels them there, and async-task panics ("local
/// task dropped by a thread that didn't spawn it") under `abort_on_panic`:
/// the process aborts.
#[test]
fn dropping_a_current_thread_runtime_on_another_thread_does_not_panic() {
    isolated(
        "dropping_a_current_thread_runtime_on_another_thread_does_not_panic",
        || {
            let rt = current_thread();
            rt.block_on(async {
                drop(task::spawn_local(std::future::pending::<()>()));
                task::yield_now().await;
            });
            let dropped = thread::spawn(move || catch_unwind(AssertUnwindSafe(|| drop(rt))))
                .join()
                .unwrap();
            assert!(dropped.is_ok(), "dropping the runtime panicked");
        },
    );
}

/// Bug 3: a current-thread runtime's `block_on` holds `Mutex<Core>` for its
/// whole duration, so a second thread's `block_on` blocks on the mutex
/// without polling its future. When the first future waits for the second
/// (or for anything the second thread would do afterwards), both threads
/// deadlock. tokio polls the second future meanwhile and hands the core over
/// when it is free.
#[test]
fn concurrent_block_on_calls_on_a_current_thread_runtime_both_make_progress() {
    isolated(
        "concurrent_block_on_calls_on_a_current_thread_runtime_both_make_progress",
        || {
            let rt = current_thread();
            let (tx, rx) = futures::channel::oneshot::channel::<u32>();
            let (started_tx, started_rx) = mpsc::channel();
            thread::scope(|s| {
                let first = s.spawn(|| {
                    rt.block_on(async {
                        started_tx.send(()).unwrap();
                        rx.await.unwrap()
                    })
                });
                started_rx.recv().unwrap();
                let second = s.spawn(|| rt.block_on(async { tx.send(7).unwrap() }));
                second.join().unwrap();
                assert_eq!(first.join().unwrap(), 7);
            });
        },
    );
}

/// Bug 4: on a multi-thread runtime every `block_on` runs a fresh guest
/// loop; a `LocalSet` binds itself to the first one and `bind` asserts that
/// it is never run anywhere else, so the second `local.block_on(&rt, ..)`
/// (an everyday tokio pattern) panics. Tasks spawned on the set in between
/// are cancelled rather than kept for the next run.
#[test]
fn a_local_set_runs_twice_on_a_multi_thread_runtime() {
    isolated("a_local_set_runs_twice_on_a_multi_thread_runtime", || {
        let rt = multi_thread(2);
        let local = LocalSet::new();
        local.block_on(&rt, async {});
        let later = local.spawn_local(async { 42 });
        let out = local.block_on(&rt, later);
        assert_eq!(out.unwrap(), 42);
    });
}

/// Bug 5: blocking-pool threads never enter the runtime, so tokio's
/// `Handle::current()` / `spawn` / `Handle::current().block_on` from inside a
/// `spawn_blocking` closure panic with "there is no reactor running".
#[test]
fn a_spawn_blocking_closure_sees_its_runtime() {
    isolated("a_spawn_blocking_closure_sees_its_runtime", || {
        let rt = multi_thread(2);
        let found = rt.block_on(async {
            task::spawn_blocking(|| Handle::try_current().is_ok())
                .await
                .unwrap()
        });
        assert!(
            found,
            "Handle::try_current() failed on a blocking-pool thread"
        );
    });
}

/// Bug 6: tokio's documented `block_in_place(|| Handle::current().block_on(..))`
/// panics: `block_in_place` leaves the loop installed, so `block_on` finds
/// a loop on the thread and refuses.
#[test]
fn handle_block_on_inside_block_in_place_works() {
    isolated("handle_block_on_inside_block_in_place_works", || {
        let rt = multi_thread(2);
        let out = rt.block_on(async {
            netloop::spawn(async {
                task::block_in_place(|| Handle::current().block_on(async { 5 }))
            })
            .await
        });
        assert_eq!(out.expect("the task panicked"), 5);
    });
}

netloop::task_local! {
    static KEY: u32;
}

/// Records what `KEY` holds when it is dropped.
struct Probe(Arc<Mutex<Option<Option<u32>>>>);

impl Drop for Probe {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(KEY.try_with(|v| *v).ok());
    }
}

/// Bug 7: `TaskLocalFuture` has no `Drop`: the inner future is dropped after
/// the value has been swapped out, so a destructor inside the scope cannot
/// see it. tokio drops the inner future inside the scope.
#[test]
fn a_task_local_is_set_while_its_scoped_future_is_dropped() {
    isolated(
        "a_task_local_is_set_while_its_scoped_future_is_dropped",
        || {
            let seen = Arc::new(Mutex::new(None));
            let probe = Probe(seen.clone());
            let mut fut = Box::pin(KEY.scope(7, async move {
                let _probe = probe;
                std::future::pending::<()>().await;
            }));
            assert!(poll_once(&mut fut).is_pending());
            drop(fut);
            assert_eq!(*seen.lock().unwrap(), Some(Some(7)));
        },
    );
}

/// Drops a `oneshot::Sender` (waking its receiver's task) when dropped.
struct SenderInTls(#[allow(dead_code)] Option<futures::channel::oneshot::Sender<()>>);

thread_local! {
    static TLS_SENDER: std::cell::RefCell<SenderInTls> =
        const { std::cell::RefCell::new(SenderInTls(None)) };
}

/// The child half of [`a_wake_from_a_thread_local_destructor_does_not_abort`].
fn tls_wake_child() {
    let rt = multi_thread(1);
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    let task = rt.spawn(async move {
        started_tx.send(()).unwrap();
        let _ = rx.await;
    });
    started_rx.recv().unwrap();
    thread::sleep(Duration::from_millis(50));
    thread::spawn(move || {
        // Registered first, so destroyed after netloop's thread-locals.
        TLS_SENDER.with(|s| s.borrow_mut().0 = Some(tx));
        // Touches netloop's LOOP / ENTERED thread-locals.
        let _ = Handle::try_current();
    })
    .join()
    .unwrap();
    assert!(wait_for(task, Duration::from_secs(5)).is_some());
}

/// Bug 8: `schedule` (through `context::push_local`) and `MainWaker` use
/// `LOOP.with`, not `try_with`. A waker that fires from a thread-local
/// destructor after netloop's thread-locals are gone (here: a `oneshot`
/// sender kept in a thread-local) panics inside a TLS destructor, which
/// aborts the whole process. Run in a child process.
#[test]
fn a_wake_from_a_thread_local_destructor_does_not_abort() {
    isolated(
        "a_wake_from_a_thread_local_destructor_does_not_abort",
        tls_wake_child,
    );
}

/// Bug 9 (race): `schedule::spawn_on` checks `is_shut_down` and then queues
/// the runnable remotely, with nothing ordering the two against the loop's
/// last drain in `cancel_all_tasks`. A spawn that passes the check just
/// before shutdown and pushes just after the final drain leaves its
/// runnable in the poller's queue forever: its `JoinHandle` never resolves
/// (and a future that holds a `Handle` leaks the whole runtime through the
/// cycle `RuntimeShared -> LoopShared -> Poller -> queue -> future -> Handle`).
#[test]
fn every_spawn_racing_with_shutdown_resolves() {
    isolated("every_spawn_racing_with_shutdown_resolves", || {
        for _ in 0..200 {
            let rt = multi_thread(2);
            let handle = rt.handle().clone();
            let stop = Arc::new(AtomicBool::new(false));
            let spawners: Vec<_> = (0..4)
                .map(|_| {
                    let handle = handle.clone();
                    let stop = stop.clone();
                    thread::spawn(move || {
                        let mut handles: Vec<JoinHandle<()>> = Vec::new();
                        while !stop.load(SeqCst) && handles.len() < 20_000 {
                            handles.push(handle.spawn(async {}));
                        }
                        handles
                    })
                })
                .collect();
            thread::sleep(Duration::from_micros(200));
            drop(rt);
            stop.store(true, SeqCst);
            for spawner in spawners {
                for mut h in spawner.join().unwrap() {
                    assert!(
                        poll_once(&mut h).is_ready(),
                        "a task spawned during shutdown was neither run nor cancelled"
                    );
                }
            }
        }
    });
}
