//! `LocalSet`: a group of `!Send` tasks that run on the loop which runs the
//! set (tokio's `task::LocalSet`).
//!
//! Every netloop loop already runs `!Send` tasks ([`spawn_local`]), and
//! every `block_on` drives a loop, so a `LocalSet` only has to hold the
//! tasks spawned on it until it is first run, then hand them to that loop,
//! where they stay. This file knows where a set's tasks wait before that.
//!
//! [`spawn_local`]: super::spawn_local

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, Weak};

use async_task::Runnable;

use super::{Header, JoinHandle, TaskFuture};
use crate::context;
use crate::event_loop::LoopShared;
use crate::runtime::Runtime;
use crate::schedule;

/// A set of `!Send` tasks run by whichever loop runs the set.
///
/// Differences from tokio, which has no per-loop executors: once the set has
/// run, its tasks belong to that loop and keep running there (they are not
/// paused when `run_until` returns, nor cancelled when the set is dropped);
/// dropping the set cancels only the tasks that never ran. On a
/// multi-thread runtime each `block_on` drives a guest loop of its own that
/// ends with it, cancelling the tasks still on it; the set's next run binds
/// it to the next `block_on`'s loop. Awaiting a `LocalSet` itself is not
/// supported; await the tasks' handles instead.
pub struct LocalSet {
    /// The loop the set's tasks run on, from the set's first run (until
    /// that loop ends: a guest loop of a multi-thread `block_on` ends with
    /// it, and the next run binds the set anew). Shared with every task's
    /// schedule function, which may outlive the set.
    home: Arc<Mutex<Weak<LoopShared>>>,
    /// Runnables scheduled before the set first ran. Tasks hold it weakly:
    /// a waiting runnable must not keep its own buffer alive.
    waiting: Arc<Mutex<Vec<Runnable>>>,
    /// A set belongs to the thread that made it, as its tasks do.
    _not_send: PhantomData<*const ()>,
}

impl LocalSet {
    /// An empty set.
    pub fn new() -> LocalSet {
        LocalSet {
            home: Arc::new(Mutex::new(Weak::new())),
            waiting: Arc::new(Mutex::new(Vec::new())),
            _not_send: PhantomData,
        }
    }

    /// Spawns a `!Send` future on the set: it starts when the set first
    /// runs (at once, if it already has).
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let header = Header::new();
        let home = self.home.clone();
        let waiting = Arc::downgrade(&self.waiting);
        let schedule = move |r: Runnable| {
            let home = lock(&home).clone();
            if home.strong_count() > 0 {
                schedule::schedule(&home, r);
            } else if let Some(waiting) = waiting.upgrade() {
                // Not run yet, or its loop is gone: wait for the next run.
                lock(&waiting).push(r);
            }
            // Otherwise the set is gone too: dropping `r` cancels the task.
        };
        let (runnable, task) =
            async_task::spawn_local(TaskFuture::uncounted(future, header.clone()), schedule);
        runnable.schedule();
        JoinHandle::new(task.fallible(), header)
    }

    /// Runs `future` on the current loop, starting the set's tasks there.
    ///
    /// # Panics
    ///
    /// Panics when polled off a netloop loop (outside `block_on` and outside
    /// any task), or on a different loop than the one that first ran the set.
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        self.bind();
        future.await
    }

    /// Runs `future` with `rt.block_on`, the set's tasks beside it.
    #[track_caller]
    pub fn block_on<F: Future>(&self, rt: &Runtime, future: F) -> F::Output {
        rt.block_on(self.run_until(future))
    }

    /// Makes the current loop the set's home and starts its waiting tasks.
    fn bind(&self) {
        let here = context::with_loop(|lp| {
            lp.map(|lp| {
                lp.local_owner
                    .get_or_insert_with(|| std::thread::current().id());
                Arc::downgrade(&lp.shared)
            })
        })
        .expect(
            "`LocalSet::run_until` polled outside of a netloop event loop: run it inside \
             `block_on` or a task",
        );
        {
            let mut home = lock(&self.home);
            assert!(
                home.strong_count() == 0 || Weak::ptr_eq(&home, &here),
                "a `LocalSet` runs on the loop that first ran it, while that loop lives; it \
                 was polled on another loop"
            );
            *home = here;
        }
        let waiting = std::mem::take(&mut *lock(&self.waiting));
        waiting.into_iter().for_each(Runnable::schedule);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Drop for LocalSet {
    /// Cancels the tasks that never ran: their futures are dropped here.
    fn drop(&mut self) {
        let waiting = std::mem::take(&mut *lock(&self.waiting));
        drop(waiting);
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("running", &(lock(&self.home).strong_count() > 0))
            .finish_non_exhaustive()
    }
}
