//! `Runtime`: owns the loops — their threads (multi-thread) or the one loop
//! `block_on` drives (current-thread) — and shuts them down: every task's
//! future is dropped on its own loop, every loop thread is joined.
//!
//! This file knows how loops start and stop, not how they turn.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering::AcqRel, Ordering::Acquire, Ordering::Release};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use netloop_reactor::coop;

use super::builder::{Builder, Callback, Flavor};
use super::handle::{EnterGuard, Handle, RuntimeShared};
use crate::blocking::BlockingPool;
use crate::context::{self, LocalLoop, TaskList};
use crate::event_loop::{EventLoop, LoopShared};
use crate::park;
use crate::task::JoinHandle;

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
    core: Option<Mutex<Core>>,
}

/// A current-thread runtime's loop while no `block_on` drives it.
struct Core {
    event_loop: EventLoop,
    local: Option<LocalLoop>,
}

impl Runtime {
    pub(crate) fn start(builder: &Builder) -> io::Result<Runtime> {
        let loops = (0..builder.loop_count())
            .map(LoopShared::new)
            .collect::<io::Result<Vec<_>>>()?;
        let handle = Handle {
            inner: Arc::new(RuntimeShared {
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
        let mut runtime = Runtime {
            handle: handle.clone(),
            threads: Vec::new(),
            core: None,
        };
        match builder.flavor {
            Flavor::CurrentThread => {
                let shared = loops[0].clone();
                runtime.core = Some(Mutex::new(Core {
                    event_loop: EventLoop::new(shared.clone()),
                    local: Some(new_local(shared, handle)),
                }));
            }
            Flavor::MultiThread => {
                for shared in loops {
                    let name = format!("{}-{}", builder.thread_name, shared.index);
                    let (start, stop) = (
                        builder.on_thread_start.clone(),
                        builder.on_thread_stop.clone(),
                    );
                    let handle = handle.clone();
                    let thread = thread::Builder::new()
                        .name(name)
                        .spawn(move || run_loop_thread(shared, handle, start, stop))?;
                    // On error, `runtime` drops here and shuts down the
                    // threads already started.
                    runtime.threads.push(thread);
                }
            }
        }
        Ok(runtime)
    }

    /// Runs `future` to completion on this thread. On a current-thread
    /// runtime this thread drives the loop meanwhile (and a second thread's
    /// `block_on` waits for the first to finish); on a multi-thread runtime
    /// the loops run on their own threads and this one just waits.
    ///
    /// # Panics
    ///
    /// Panics when called from a thread that is already driving netloop
    /// tasks: a loop thread, or inside another `block_on`.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _blocking = context::enter_blocking();
        match &self.core {
            None => {
                let _entered = self.handle.enter();
                park::block_on(future)
            }
            Some(core) => {
                let mut core = core.lock().unwrap_or_else(|e| e.into_inner());
                core.block_on(future)
            }
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
    /// threads are left to end on their own).
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
        if let Some(core) = self.core.take() {
            core.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .shut_down();
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        self.handle.inner.blocking.shut_down(deadline);
        for thread in self.threads.drain(..) {
            match deadline {
                None => {
                    let _ = thread.join();
                }
                Some(deadline) => {
                    while !thread.is_finished() && Instant::now() < deadline {
                        thread::sleep(Duration::from_millis(1));
                    }
                    if thread.is_finished() {
                        let _ = thread.join();
                    }
                }
            }
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

fn new_local(shared: Arc<LoopShared>, handle: Handle) -> LocalLoop {
    LocalLoop {
        shared,
        handle,
        queue: VecDeque::new(),
        tasks: TaskList::default(),
    }
}

/// The body of a multi-thread runtime's loop thread.
fn run_loop_thread(
    shared: Arc<LoopShared>,
    handle: Handle,
    on_start: Option<Callback>,
    on_stop: Option<Callback>,
) {
    if let Some(f) = &on_start {
        f();
    }
    context::install(new_local(shared.clone(), handle));
    let mut event_loop = EventLoop::new(shared);
    event_loop.run();
    event_loop.cancel_all_tasks();
    drop(context::uninstall());
    if let Some(f) = &on_stop {
        f();
    }
}

impl Core {
    /// Drives the loop on this thread until `future` completes.
    fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        let Core { event_loop, local } = self;
        context::install(
            local
                .take()
                .expect("the current-thread loop is parked in its core"),
        );
        // Put the loop state back even if the future or a task panics.
        let _restore = Restore(local);

        let main = Arc::new(MainWaker {
            woken: AtomicBool::new(true),
            home: Arc::downgrade(event_loop.shared()),
        });
        let waker = Waker::from(main.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if main.woken.swap(false, AcqRel)
                && let Poll::Ready(output) = coop::budget(|| future.as_mut().poll(&mut cx))
            {
                return output;
            }
            event_loop.round(&|| !main.woken.load(Acquire));
        }
    }

    /// Cancels every task of the loop, on this thread.
    fn shut_down(mut self) {
        let Some(local) = self.local.take() else {
            return;
        };
        if context::with_loop(|lp| lp.is_some()) {
            // Dropped inside another loop: this thread cannot host a second
            // one. Dropping the state drops the queued tasks here.
            drop(local);
            return;
        }
        context::install(local);
        self.event_loop.cancel_all_tasks();
        drop(context::uninstall());
    }
}

/// Moves the installed loop state back into its core when dropped.
struct Restore<'a>(&'a mut Option<LocalLoop>);

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        *self.0 = context::uninstall();
    }
}

/// The waker of a current-thread `block_on`'s own future.
struct MainWaker {
    woken: AtomicBool,
    home: Weak<LoopShared>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Release);
        // On the loop's own thread the loop sees the flag before it sleeps;
        // from anywhere else it may be asleep in epoll_wait.
        if !context::is_on_loop(self.home.as_ptr())
            && let Some(shared) = self.home.upgrade()
        {
            shared.poller.wake();
        }
    }
}
