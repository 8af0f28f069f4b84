//! `Runtime`: owns the loops — their threads (multi-thread) or the one loop
//! `block_on` drives (current-thread) — and shuts them down: every task's
//! future is dropped on its own loop, every loop thread is joined.
//!
//! This file knows how loops start and stop, not how they turn.

use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::builder::{Builder, Callback, Flavor};
use super::core::{Core, new_local};
use super::handle::{EnterGuard, Handle, RuntimeShared};
use super::id::{Id, RuntimeFlavor};
use crate::blocking::{BlockingPool, join_until};
use crate::context;
use crate::event_loop::{EventLoop, LoopShared};
use crate::task::JoinHandle;
use netloop_reactor::time::Timers;

/// A netloop runtime: event loops, each one thread with one epoll poller and
/// one executor (tokio's `Runtime`, without work stealing).
///
/// Dropping it shuts it down: tasks are cancelled (their futures dropped on
/// their own loops), pollers and their fds closed once the last handle goes,
/// loop threads joined.
pub struct Runtime {
    handle: Handle,
    /// Loop threads of a multi-thread runtime.
    threads: Vec<thread::JoinHandle<()>>,
    /// The loop of a current-thread runtime, between `block_on` calls.
    core: Option<Box<Mutex<Core>>>,
    /// The only strong reference to the runtime's liveness token
    /// (`RuntimeShared::alive`): it dies with the `Runtime`, after the
    /// shutdown in `Drop`.
    _alive: Arc<()>,
}

// As for `Handle` (see there): a panic out of `block_on` leaves the runtime
// usable, and the current-thread core's mutex recovers from poisoning.
impl UnwindSafe for Runtime {}
impl RefUnwindSafe for Runtime {}

impl Runtime {
    /// A multi-thread runtime with one event loop per CPU (tokio's
    /// `Runtime::new`: `Builder::new_multi_thread().enable_all().build()`).
    ///
    /// # Errors
    ///
    /// The loops' pollers or threads could not be created.
    pub fn new() -> io::Result<Runtime> {
        Builder::new_multi_thread().enable_all().build()
    }

    pub(crate) fn start(builder: &Builder) -> io::Result<Runtime> {
        if builder.start_paused && builder.flavor == Flavor::MultiThread {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "`start_paused` requires a current-thread runtime \
                 (`Builder::new_current_thread()`), as in tokio",
            ));
        }
        let loops = (0..builder.loop_count())
            .map(LoopShared::new)
            .collect::<io::Result<Vec<_>>>()?;
        let alive = Arc::new(());
        let handle = Handle {
            inner: Arc::new(RuntimeShared {
                id: Id::next(),
                name: builder.name.clone(),
                flavor: match builder.flavor {
                    Flavor::CurrentThread => RuntimeFlavor::CurrentThread,
                    Flavor::MultiThread => RuntimeFlavor::MultiThread,
                },
                intervals: builder.intervals,
                alive: Arc::downgrade(&alive),
                loops: loops.clone(),
                balancer: builder.balancer.clone(),
                spawn_at_home: builder.spawn_at_home,
                blocking: BlockingPool::new(
                    builder.max_blocking_threads,
                    builder.keep_alive,
                    builder.thread_name.clone(),
                ),
            }),
        };
        handle
            .inner
            .blocking
            .set_runtime(Arc::downgrade(&handle.inner));
        let mut runtime = Runtime {
            handle: handle.clone(),
            threads: Vec::new(),
            core: None,
            _alive: alive,
        };
        match builder.flavor {
            Flavor::CurrentThread => {
                let shared = loops[0].clone();
                runtime.core = Some(Box::new(Mutex::new(Core::new(
                    shared,
                    handle,
                    builder.on_thread_park.clone(),
                    Timers::with_clock(true, builder.start_paused),
                ))));
            }
            Flavor::MultiThread => {
                let cpus = if builder.pin_threads {
                    netloop_reactor::sys::thread::current_thread_cpus()?
                } else {
                    Vec::new()
                };
                for shared in loops {
                    let cpu = (!cpus.is_empty()).then(|| cpus[shared.index % cpus.len()]);
                    let hooks = Hooks {
                        start: builder.on_thread_start.clone(),
                        stop: builder.on_thread_stop.clone(),
                        park: builder.on_thread_park.clone(),
                        cpu,
                    };
                    let name = format!("{}-{}", builder.thread_name, shared.index);
                    let handle = handle.clone();
                    let thread = thread::Builder::new()
                        .name(name)
                        .spawn(move || run_loop_thread(shared, handle, hooks))?;
                    // On error, `runtime` drops here and shuts down the
                    // threads already started.
                    runtime.threads.push(thread);
                }
            }
        }
        Ok(runtime)
    }

    /// Runs `future` to completion on this thread. On a current-thread
    /// runtime this thread drives the runtime's loop meanwhile (a second
    /// thread's concurrent `block_on` runs its future on a guest loop
    /// instead, so neither waits for the other). On a multi-thread
    /// runtime the loops run on their own threads, and this thread drives a
    /// guest loop of its own for as long as it blocks, so that `spawn_local`
    /// works here too; tasks left on the guest loop when `future` completes
    /// are cancelled.
    ///
    /// # Panics
    ///
    /// Panics when called from a thread that is already driving netloop
    /// tasks: a loop thread, or inside another `block_on`.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _blocking = context::enter_blocking();
        match &self.core {
            None => Core::block_on_guest(&self.handle, future),
            Some(core) => match core.try_lock() {
                Ok(mut core) => core.block_on(future),
                Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner().block_on(future),
                // Another thread drives the loop: this future runs on a
                // guest loop of its own meanwhile, so both make progress
                // (tasks it spawns still go to the runtime's loop).
                Err(std::sync::TryLockError::WouldBlock) => {
                    Core::block_on_guest(&self.handle, future)
                }
            },
        }
    }

    /// Spawns a `Send` future onto the runtime (see [`Handle::spawn`]).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// The runtime's counters (see [`Handle::metrics`]).
    pub fn metrics(&self) -> super::RuntimeMetrics {
        self.handle.metrics()
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `f` on the blocking pool (see [`Handle::spawn_blocking`]).
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// Enters the runtime on this thread (see [`Handle::enter`]).
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Shuts down, waiting at most `timeout` for the loop threads to finish
    /// (a task stuck in a blocking call keeps its loop from finishing; such
    /// threads are left to end on their own). A timeout too long to be an
    /// instant (`Duration::MAX`) waits for as long as it takes.
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(timeout));
    }

    /// Shuts down without waiting for the loop threads.
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }

    fn shutdown(&mut self, timeout: Option<Duration>) {
        for shared in &self.handle.inner.loops {
            shared.shut_down();
        }
        // Dropping the core cancels its tasks on this thread.
        drop(self.core.take());
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        self.handle.inner.blocking.shut_down(deadline);
        for thread in self.threads.drain(..) {
            join_until(thread, deadline);
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .field("current_thread", &self.core.is_some())
            .finish_non_exhaustive()
    }
}

/// What a loop thread runs besides its loop.
struct Hooks {
    start: Option<Callback>,
    stop: Option<Callback>,
    park: Option<Callback>,
    /// The CPU to pin the thread to, with `Builder::pin_threads`.
    cpu: Option<usize>,
}

/// The body of a multi-thread runtime's loop thread.
fn run_loop_thread(shared: Arc<LoopShared>, handle: Handle, hooks: Hooks) {
    if let Some(cpu) = hooks.cpu
        && let Err(e) = netloop_reactor::sys::thread::pin_current_thread(cpu)
    {
        // Placement is an optimisation: a loop that cannot be pinned (CPU
        // taken offline, a cgroup forbids it) still runs, unpinned.
        debug_assert!(
            false,
            "pinning loop {} to CPU {cpu} failed: {e}",
            shared.index
        );
    }
    // The hooks run with the runtime entered, as tokio's do, so that
    // `Handle::current()` works in them.
    let entered = handle.clone();
    let _entered = entered.enter();
    if let Some(f) = &hooks.start {
        f();
    }
    let intervals = handle.inner.intervals;
    context::install(new_local(shared.clone(), handle));
    let mut event_loop = EventLoop::new(shared, hooks.park, intervals);
    event_loop.run();
    event_loop.cancel_all_tasks();
    drop(context::uninstall());
    if let Some(f) = &hooks.stop {
        f();
    }
}
