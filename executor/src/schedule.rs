//! The schedule function every task is spawned with: where a woken task's
//! runnable goes.
//!
//! A task never leaves the loop it was spawned on. Woken on that loop's
//! thread, its runnable goes on the local queue (no atomics, no syscall);
//! woken anywhere else, it goes on the loop's remote queue and raises the
//! loop's wake signal (one eventfd write per burst). Once the loop and its
//! runtime are gone, dropping the runnable cancels the task.
//!
//! This file knows where runnables go, not when they run.

use std::future::Future;
use std::sync::{Arc, Weak};

use async_task::Runnable;

use crate::context;
use crate::event_loop::LoopShared;
use crate::task::{Header, JoinHandle, TaskFuture};

/// Sends `runnable` to its home loop.
pub(crate) fn schedule(home: &Weak<LoopShared>, runnable: Runnable) {
    let Some(runnable) = context::push_local(home.as_ptr(), runnable) else {
        return;
    };
    if let Some(shared) = home.upgrade() {
        shared.schedule_remote(runnable);
    }
    // Otherwise the loop is gone: the runnable is dropped here, which
    // cancels the task (its future was already dropped at shutdown).
}

/// Spawns a `Send` future onto `home`.
pub(crate) fn spawn_on<F>(home: &Arc<LoopShared>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let header = Header::new();
    let weak = Arc::downgrade(home);
    let (runnable, task) = async_task::spawn(TaskFuture::new(future, header.clone()), move |r| {
        schedule(&weak, r)
    });
    home.task_spawned();
    if home.is_shut_down() {
        // As tokio: a task spawned on a runtime that is shutting down is
        // cancelled at once (its future is dropped here, unpolled).
        drop(runnable);
    } else {
        runnable.schedule();
    }
    JoinHandle::new(task.fallible(), header)
}

/// Spawns a `!Send` future onto the loop this thread runs.
///
/// # Panics
///
/// Panics when this thread runs no netloop event loop.
#[track_caller]
pub(crate) fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let home = context::with_loop(|lp| {
        lp.map(|lp| {
            lp.local_owner
                .get_or_insert_with(|| std::thread::current().id());
            lp.shared.clone()
        })
    })
    .expect(
        "`spawn_local` called from outside of a netloop event loop: a `!Send` task must be \
         spawned from a task (or `block_on`) running on the loop that will run it",
    );
    let header = Header::new();
    let weak = Arc::downgrade(&home);
    let (runnable, task) =
        async_task::spawn_local(TaskFuture::new(future, header.clone()), move |r| {
            schedule(&weak, r)
        });
    home.task_spawned();
    runnable.schedule();
    JoinHandle::new(task.fallible(), header)
}
