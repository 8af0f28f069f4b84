//! Helpers shared by the runtime and task integration tests, pulled into
//! each test binary with `#[macro_use] mod support;`: the watchdog that
//! bounds every test, the runtimes the tests run on (and [`rt_test!`], which
//! runs one body on both flavours), a recorder of where futures are dropped,
//! bounded waits, and a single poll with a no-op waker.
//!
//! Every wait here is bounded; none asserts a speed.

// Each test binary compiles its own copy of this module and uses only a
// subset of it; without this, every binary would warn about the rest.
#![allow(dead_code, unused_macros)]

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::pin;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use netloop::runtime::{Builder, Handle, Runtime};

/// The longest a test body may run before the watchdog fails it.
pub(crate) const LIMIT: Duration = Duration::from_secs(60);
/// The longest a bounded wait inside a test may take.
pub(crate) const WAIT_LIMIT: Duration = Duration::from_secs(20);
/// How many loops the multi-thread flavour of [`rt_test!`] runs.
pub(crate) const MULTI_LOOPS: usize = 3;

/// Runs `body` on a thread of its own (named like the test's thread) and
/// returns what it returns; re-raises its panic unchanged (so that
/// `#[should_panic(expected = ..)]` still sees the message); fails the test
/// if the body takes longer than [`LIMIT`]. A body that hangs is left
/// behind: the test fails, the harness goes on.
pub(crate) fn watchdog<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let name = thread::current().name().unwrap_or("test").to_owned();
    thread::Builder::new()
        .name(name)
        .spawn(move || {
            let _ = tx.send(catch_unwind(AssertUnwindSafe(body)));
        })
        .expect("spawn the test body's thread");
    match rx.recv_timeout(LIMIT) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => resume_unwind(payload),
        Err(_) => panic!("the test body did not finish within {LIMIT:?} (hung?)"),
    }
}

/// A current-thread runtime.
pub(crate) fn current_thread() -> Runtime {
    Builder::new_current_thread()
        .build()
        .expect("build a current-thread runtime")
}

/// A multi-thread runtime with `loops` loops.
pub(crate) fn multi_thread(loops: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(loops)
        .build()
        .expect("build a multi-thread runtime")
}

/// A multi-thread runtime with `loops` loops whose threads are named
/// `name-0`, `name-1`, ...
pub(crate) fn multi_thread_named(loops: usize, name: &str) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(loops)
        .thread_name(name)
        .build()
        .expect("build a multi-thread runtime")
}

/// Defines each test twice, tokio's `rt_common.rs` way: in a module
/// `current_thread` on a current-thread runtime, and in a module
/// `multi_thread` on a [`MULTI_LOOPS`]-loop runtime. The body gets the
/// runtime as the named binding and runs under the [`watchdog`].
///
/// ```ignore
/// rt_test! {
///     fn a_task_runs(rt) {
///         assert_eq!(rt.block_on(async { 1 }), 1);
///     }
/// }
/// ```
macro_rules! rt_test {
    ($( $(#[$meta:meta])* fn $name:ident($rt:ident) $body:block )*) => {
        mod current_thread {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$meta])*
                #[test]
                fn $name() {
                    crate::support::watchdog(move || {
                        let $rt = crate::support::current_thread();
                        $body
                    })
                }
            )*
        }
        mod multi_thread {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$meta])*
                #[test]
                fn $name() {
                    crate::support::watchdog(move || {
                        let $rt = crate::support::multi_thread(crate::support::MULTI_LOOPS);
                        $body
                    })
                }
            )*
        }
    };
}

/// The index of the last loop of `rt`: the loop tests aim at, so that a
/// task "accidentally" on loop 0 is told apart from one on the loop named.
pub(crate) fn last_loop(rt: &Runtime) -> usize {
    rt.handle().loops() - 1
}

/// The loop running on this thread, asked without panicking (usable from
/// destructors and plain threads).
pub(crate) fn this_loop() -> Option<usize> {
    Handle::try_current().ok().and_then(|h| h.current_loop())
}

/// Where one guarded future was dropped.
#[derive(Debug, Clone)]
pub(crate) struct DropRecord {
    /// The tag the guard was made with.
    pub(crate) tag: usize,
    pub(crate) thread: ThreadId,
    pub(crate) thread_name: Option<String>,
    /// `Handle::current_loop()` on the dropping thread.
    pub(crate) current_loop: Option<usize>,
}

/// Counts and records the drops of [`DropGuard`]s: put a guard inside a
/// future and the record says whether, and where, the future was dropped.
#[derive(Debug, Clone, Default)]
pub(crate) struct Drops {
    records: Arc<Mutex<Vec<DropRecord>>>,
}

impl Drops {
    pub(crate) fn new() -> Drops {
        Drops::default()
    }

    /// A guard that records its drop here under `tag`.
    pub(crate) fn guard(&self, tag: usize) -> DropGuard {
        DropGuard {
            drops: self.clone(),
            tag,
        }
    }

    /// How many guards have been dropped.
    pub(crate) fn count(&self) -> usize {
        self.lock().len()
    }

    /// Every drop so far, in order.
    pub(crate) fn records(&self) -> Vec<DropRecord> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<DropRecord>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Records its drop in its [`Drops`].
#[derive(Debug)]
pub(crate) struct DropGuard {
    drops: Drops,
    tag: usize,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        let current = thread::current();
        let record = DropRecord {
            tag: self.tag,
            thread: current.id(),
            thread_name: current.name().map(str::to_owned),
            current_loop: this_loop(),
        };
        self.drops.lock().push(record);
    }
}

/// A future that holds `guard` and never completes.
pub(crate) async fn pending_with(guard: DropGuard) {
    let _guard = guard;
    std::future::pending::<()>().await;
}

/// Waits (sleeping 1 ms at a time) until `done` holds; fails after
/// [`WAIT_LIMIT`], naming `what` it waited for.
#[track_caller]
pub(crate) fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT_LIMIT;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "gave up after {WAIT_LIMIT:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// Polls `future` once with a no-op waker.
pub(crate) fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    pin!(future).poll(&mut cx)
}

/// The message of a panic payload (`&str` or `String`), or `""`.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&'static str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Runs `f`, expecting it to panic, and returns the panic's message.
#[track_caller]
pub(crate) fn panic_of<T>(f: impl FnOnce() -> T) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic, but the call returned"),
        Err(payload) => panic_message(&*payload),
    }
}

/// `tasks_polled` of every loop of `handle`, by loop index.
pub(crate) fn polls_per_loop(handle: &Handle) -> Vec<u64> {
    handle.loop_stats().iter().map(|s| s.tasks_polled).collect()
}

/// `tasks_alive` of every loop of `handle`, by loop index.
pub(crate) fn alive_per_loop(handle: &Handle) -> Vec<usize> {
    handle.loop_stats().iter().map(|s| s.tasks_alive).collect()
}

/// The file descriptors this process has open (`/proc/self/fd`, less the
/// one `read_dir` itself holds while listing).
pub(crate) fn open_fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .count()
        .saturating_sub(1)
}

/// Runs `body` under the [`watchdog`] inside an [`FdCheck`] that counts
/// *every* fd ([`open_fd_count`]: the runtime's epoll and eventfd too), so
/// `body` should build and drop its runtime itself; fails if the process
/// has more fds open afterwards, once the runtime has had [`WAIT_LIMIT`]
/// to let go of them.
#[track_caller]
pub(crate) fn fd_leak_checked<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let check = FdCheck::start_counting(open_fd_count);
    let value = watchdog(body);
    check.finish_blocking();
    value
}

/// The loops of the multi-thread flavour of [`net_rt_test!`].
pub(crate) const NET_LOOPS: usize = 4;

/// Defines each async test twice, like [`rt_test!`]: in a module
/// `current_thread` on a current-thread runtime and in a module
/// `multi_thread` on a [`NET_LOOPS`]-loop runtime, each body run by the
/// runtime's `block_on` under [`fd_leak_checked`] (so the runtime is built
/// and dropped inside the fd count).
///
/// ```ignore
/// net_rt_test! {
///     async fn echo() {
///         let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     }
/// }
/// ```
macro_rules! net_rt_test {
    ($( $(#[$meta:meta])* async fn $name:ident() $body:block )*) => {
        mod current_thread {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$meta])*
                #[test]
                fn $name() {
                    crate::support::fd_leak_checked(move || {
                        crate::support::current_thread().block_on(async move $body)
                    })
                }
            )*
        }
        mod multi_thread {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$meta])*
                #[test]
                fn $name() {
                    crate::support::fd_leak_checked(move || {
                        crate::support::multi_thread(crate::support::NET_LOOPS)
                            .block_on(async move $body)
                    })
                }
            )*
        }
    };
}

/// The entries of `/proc/self/fd` that are not a runtime's own: every fd
/// but the `anon_inode:` ones (epoll, eventfd), which runtimes of other
/// tests of the binary create and drop at any time. Sockets, pipes and
/// files all count. (The fd `read_dir` holds while listing is counted each
/// time, so it cancels out.)
pub(crate) fn non_runtime_fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .filter_map(Result::ok)
        .filter(|entry| {
            // An fd closed between the listing and the readlink is gone:
            // not counted.
            std::fs::read_link(entry.path())
                .is_ok_and(|target| !target.to_string_lossy().starts_with("anon_inode:"))
        })
        .count()
}

/// Taken while one test of the binary counts fds.
static FD_CHECK_HELD: Mutex<bool> = Mutex::new(false);
static FD_CHECK_FREED: std::sync::Condvar = std::sync::Condvar::new();

/// An fd-leak check for the body of a `#[netloop::test]`: [`FdCheck::start`]
/// first (it waits for the other fd-checking tests of the binary to
/// finish, since the harness runs tests on parallel threads), then
/// [`FdCheck::finish`] last, which waits (up to [`WAIT_LIMIT`], sleeping on
/// the runtime so that it can drop what the test let go of) until
/// [`non_runtime_fd_count`] is back to (or below) where it was, and fails if it is
/// not. Unlike [`fd_leak_checked`], it works inside a runtime that the
/// test attribute built.
#[derive(Debug)]
pub(crate) struct FdCheck {
    before: usize,
    /// What is counted: [`non_runtime_fd_count`] or [`open_fd_count`].
    count: fn() -> usize,
}

impl FdCheck {
    /// Counts [`non_runtime_fd_count`].
    pub(crate) fn start() -> FdCheck {
        FdCheck::start_counting(non_runtime_fd_count)
    }

    /// Waits for the other fd-checking tests of the binary, then counts
    /// with `count`.
    pub(crate) fn start_counting(count: fn() -> usize) -> FdCheck {
        let mut held = FD_CHECK_HELD.lock().unwrap_or_else(|e| e.into_inner());
        while *held {
            held = FD_CHECK_FREED.wait(held).unwrap_or_else(|e| e.into_inner());
        }
        *held = true;
        FdCheck {
            before: count(),
            count,
        }
    }

    /// Whether the count is back to (or below) its start; panics once
    /// `deadline` has passed without that.
    fn settled(&self, deadline: Instant) -> bool {
        let now = (self.count)();
        // Fewer is fine: the previous test's runtime (dropped after its
        // check let this one start) may close leftovers meanwhile.
        if now <= self.before {
            return true;
        }
        assert!(
            Instant::now() < deadline,
            "fd leak: {} fds open before the test, {now} after {WAIT_LIMIT:?}",
            self.before
        );
        false
    }

    /// Waits (sleeping on the runtime) until the count is back.
    pub(crate) async fn finish(self) {
        let deadline = Instant::now() + WAIT_LIMIT;
        while !self.settled(deadline) {
            netloop::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits (sleeping the thread: no runtime needed) until the count is
    /// back.
    pub(crate) fn finish_blocking(self) {
        let deadline = Instant::now() + WAIT_LIMIT;
        while !self.settled(deadline) {
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for FdCheck {
    /// Lets the next fd-checking test start, also when this one panicked.
    fn drop(&mut self) {
        *FD_CHECK_HELD.lock().unwrap_or_else(|e| e.into_inner()) = false;
        FD_CHECK_FREED.notify_one();
    }
}

/// A unique name in the temp dir for this process and test: `name` plus
/// the pid and a counter, so that parallel tests and runs never meet.
fn unique_temp(prefix: &str, name: &str) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "netloop-{prefix}-{}-{n}-{name}",
        std::process::id()
    ))
}

/// A socket path in the temp dir that no other test (or run) uses; the
/// file is removed on drop.
pub(crate) struct TempPath(pub(crate) std::path::PathBuf);

impl TempPath {
    pub(crate) fn new(name: &str) -> TempPath {
        let path = unique_temp("sock", &format!("{name}.sock"));
        let _ = std::fs::remove_file(&path);
        TempPath(path)
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A directory in the temp dir that no other test (or run) uses; removed
/// with what is in it on drop.
pub(crate) struct TempDir(pub(crate) std::path::PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        let dir = unique_temp("dir", name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).expect("create a temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Bounds one step of an async test by [`WAIT_LIMIT`] (on the runtime's
/// clock), failing the test with `what` if it takes longer.
pub(crate) async fn bounded<F: Future>(what: &str, future: F) -> F::Output {
    netloop::time::timeout(WAIT_LIMIT, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {WAIT_LIMIT:?}"))
}
