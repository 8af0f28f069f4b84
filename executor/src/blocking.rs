//! The blocking pool behind `spawn_blocking`: a bounded, growable set of
//! threads that run closures which may block, away from the event loops.
//!
//! A closure becomes an async-task task whose schedule function hands its
//! runnable to the pool, so it gets a real `JoinHandle` (abort before it
//! starts, panics reported as `JoinError`s). A job wakes an idle thread or,
//! when none is idle and the pool is below its bound, starts one; past the
//! bound jobs queue. Idle threads exit after a keep-alive. Shutdown stops
//! new jobs, drops queued ones, and joins every pool thread.
//!
//! This file knows nothing of event loops or the reactor.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::thread;
use std::time::{Duration, Instant};

use async_task::Runnable;

use crate::runtime::{Handle, RuntimeShared};
use crate::task::{Header, JoinHandle, TaskFuture};

/// How long an idle pool thread waits for work before it exits.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(10);
/// The default bound on pool threads (tokio's).
pub(crate) const DEFAULT_MAX_THREADS: usize = 512;

pub(crate) struct BlockingPool {
    state: Mutex<State>,
    /// Signalled when a job is queued or the pool shuts down.
    work: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    thread_name: String,
    /// The runtime jobs run in (entered around each job, so that
    /// `Handle::current()` and `spawn` work inside `spawn_blocking`).
    runtime: OnceLock<Weak<RuntimeShared>>,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Runnable>,
    threads: usize,
    idle: usize,
    /// Wake-ups handed to idle threads and not yet taken.
    notified: usize,
    shutdown: bool,
    /// Handles of every thread started, joined at shutdown.
    handles: Vec<thread::JoinHandle<()>>,
    next_id: usize,
}

impl BlockingPool {
    pub(crate) fn new(max_threads: usize, keep_alive: Duration, thread_name: String) -> Arc<Self> {
        Arc::new(BlockingPool {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            max_threads: max_threads.max(1),
            keep_alive,
            thread_name,
            runtime: OnceLock::new(),
        })
    }

    /// Names the runtime the pool's jobs run in.
    pub(crate) fn set_runtime(&self, runtime: Weak<RuntimeShared>) {
        let _ = self.runtime.set(runtime);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on a pool thread.
    pub(crate) fn spawn<F, R>(self: &Arc<Self>, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let header = Header::new();
        let pool = Arc::downgrade(self);
        // Never on a loop, so never counted on one.
        let future = TaskFuture::uncounted(async move { f() }, header.clone());
        let (runnable, task) = async_task::spawn(future, move |runnable| {
            // Only the first schedule happens: the future never waits. A
            // pool that is gone drops the runnable, cancelling the job.
            if let Some(pool) = pool.upgrade() {
                pool.submit(runnable);
            }
        });
        runnable.schedule();
        JoinHandle::new(task.fallible(), header)
    }

    fn submit(self: &Arc<Self>, runnable: Runnable) {
        let mut state = self.lock();
        if state.shutdown {
            // As tokio: after shutdown, a blocking job is cancelled.
            drop(state);
            drop(runnable);
            return;
        }
        state.queue.push_back(runnable);
        if state.idle > state.notified {
            state.notified += 1;
            self.work.notify_one();
        } else if state.threads < self.max_threads {
            state.threads += 1;
            let id = state.next_id;
            state.next_id += 1;
            let pool = self.clone();
            let spawned = thread::Builder::new()
                .name(format!("{}-blocking-{id}", self.thread_name))
                .spawn(move || pool.run_worker());
            match spawned {
                Ok(handle) => {
                    state.handles.retain(|h| !h.is_finished());
                    state.handles.push(handle);
                }
                // Out of threads: the job waits for a running one.
                Err(_) => state.threads -= 1,
            }
        }
    }

    fn run_worker(&self) {
        let mut state = self.lock();
        loop {
            if let Some(runnable) = state.queue.pop_front() {
                drop(state);
                let handle = self
                    .runtime
                    .get()
                    .and_then(Weak::upgrade)
                    .map(|inner| Handle { inner });
                let entered = handle.as_ref().map(Handle::enter);
                runnable.run();
                drop(entered);
                drop(handle);
                state = self.lock();
                continue;
            }
            if state.shutdown {
                break;
            }
            state.idle += 1;
            // A keep-alive too long to be an instant waits for work forever
            // (std's `wait_timeout` takes `Duration::MAX` as that).
            let deadline = Instant::now().checked_add(self.keep_alive);
            let timed_out = loop {
                let now = Instant::now();
                let wait = match deadline {
                    Some(deadline) if now >= deadline => break true,
                    Some(deadline) => deadline - now,
                    None => Duration::MAX,
                };
                state = self
                    .work
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                if state.notified > 0 {
                    state.notified -= 1;
                    break false;
                }
                if state.shutdown {
                    break false;
                }
            };
            state.idle -= 1;
            if timed_out && state.queue.is_empty() {
                break;
            }
        }
        state.threads -= 1;
    }

    /// Stops the pool: queued jobs are dropped (their handles report
    /// cancellation), running ones finish, and every pool thread is joined
    /// — until `deadline`, past which the rest are left to finish alone.
    pub(crate) fn shut_down(&self, deadline: Option<Instant>) {
        let (queued, handles) = {
            let mut state = self.lock();
            state.shutdown = true;
            (
                std::mem::take(&mut state.queue),
                std::mem::take(&mut state.handles),
            )
        };
        self.work.notify_all();
        drop(queued);
        for handle in handles {
            join_until(handle, deadline);
        }
    }

    /// How many pool threads exist now.
    pub(crate) fn threads(&self) -> usize {
        self.lock().threads
    }
}

impl fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingPool")
            .field("threads", &self.threads())
            .field("max_threads", &self.max_threads)
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

/// Joins `thread`, waiting at most until `deadline` (`None`: for as long as
/// it takes); a thread still running then is left to finish on its own. A
/// thread that panicked counts as finished.
pub(crate) fn join_until(thread: thread::JoinHandle<()>, deadline: Option<Instant>) {
    if let Some(deadline) = deadline {
        while !thread.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        if !thread.is_finished() {
            return;
        }
    }
    let _ = thread.join();
}
