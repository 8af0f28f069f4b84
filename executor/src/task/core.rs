//! What every spawned task carries besides its future: its [`Header`] (id
//! and abort flag, shared with its `JoinHandle` and `AbortHandle`s) and the
//! [`TaskFuture`] wrapper that async-task allocates around the user's
//! future. The wrapper catches panics into `JoinError`s, answers an abort
//! at its next poll, and enters the task in its loop's task list on its
//! first poll so that shutdown can find it.
//!
//! This file knows the loop only through `context::task_list_*`; it never
//! schedules anything itself.

use std::any::Any;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Acquire, Ordering::Release};
use std::task::{Context, Poll};

use futures::task::AtomicWaker;

use super::{Id, JoinError};
use crate::context::{self, ListEntry};

/// State a task shares with its handles.
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) id: Id,
    aborted: AtomicBool,
    /// Set when the task's future is dropped: completed or cancelled.
    finished: AtomicBool,
    /// The task's own waker, registered at its first poll, for `abort`.
    ///
    /// The abort protocol is `AtomicWaker`'s: the aborter sets `aborted`
    /// then wakes; the task registers then checks `aborted`. Either the
    /// task sees the flag, or the wake finds the registered waker.
    waker: AtomicWaker,
}

impl Header {
    pub(crate) fn new() -> Arc<Header> {
        Arc::new(Header {
            id: Id::next(),
            aborted: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        })
    }

    /// Asks the task to stop: its next poll returns `Cancelled` instead of
    /// polling the future, and its future is dropped on its loop.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Release);
        self.waker.wake();
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Acquire)
    }

    /// Whether the task's future is gone (completed, panicked or
    /// cancelled).
    pub(crate) fn is_finished(&self) -> bool {
        self.finished.load(Acquire)
    }
}

/// The task's own reference to its header; marks the task finished when the
/// task's future is dropped.
#[derive(Debug)]
struct Owner(Arc<Header>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.finished.store(true, Release);
        // The task's own waker, kept for `abort`, would otherwise keep the
        // task's allocation alive for as long as a handle holds the header.
        drop(self.0.waker.take());
    }
}

/// The future async-task runs: the user's future plus its header.
///
/// The user's future is dropped *here*, in place, inside `catch_unwind`:
/// right after it completes or is aborted (so a panicking `Drop` becomes a
/// `JoinError::Panic`, as in tokio), or when the wrapper itself is dropped
/// (cancellation). async-task would otherwise drop it under its
/// abort-on-panic guard, and a panicking destructor would abort the process.
#[derive(Debug)]
pub(crate) struct TaskFuture<F> {
    /// Structurally pinned: never moved out of a pinned `TaskFuture`; only
    /// ever dropped in place.
    ///
    /// # Invariant
    /// Initialised exactly while `live` is true.
    future: ManuallyDrop<F>,
    live: bool,
    header: Owner,
    /// Whether the first poll happened.
    started: bool,
    /// Whether the spawner counted the task on its loop already
    /// (`LoopShared::task_spawned`); if not (a `LocalSet` task, whose loop
    /// is known only when it first runs), the first poll counts it.
    counted: bool,
    /// The task's entry in its loop's task list, from the first poll on
    /// (none for blocking-pool jobs). Removed when the wrapper is dropped
    /// (completion or cancellation).
    entry: Option<ListEntry>,
}

impl<F> TaskFuture<F> {
    /// A task its spawner has counted on its loop.
    pub(crate) fn new(future: F, header: Arc<Header>) -> TaskFuture<F> {
        TaskFuture {
            future: ManuallyDrop::new(future),
            live: true,
            header: Owner(header),
            started: false,
            counted: true,
            entry: None,
        }
    }

    /// A task whose loop is not known yet: counted at its first poll.
    pub(crate) fn uncounted(future: F, header: Arc<Header>) -> TaskFuture<F> {
        let mut task = TaskFuture::new(future, header);
        task.counted = false;
        task
    }

    /// Drops the user's future in place, once; returns the panic payload if
    /// its destructor panicked.
    fn drop_future(&mut self) -> Option<Box<dyn Any + Send>> {
        if !self.live {
            return None;
        }
        self.live = false;
        let future = &mut self.future;
        // SAFETY: `live` was true, so by the field's invariant `future` is
        // initialised; clearing `live` first means it is never dropped
        // twice, even if its destructor panics. Dropping in place does not
        // move it, which is what a pinned value allows.
        catch_unwind(AssertUnwindSafe(|| unsafe { ManuallyDrop::drop(future) })).err()
    }
}

impl<F> Drop for TaskFuture<F> {
    /// Cancellation: the future was not finished. A panic from its
    /// destructor is swallowed (nobody is left to report it to).
    fn drop(&mut self) {
        let _ = self.drop_future();
    }
}

impl<F: Future> Future for TaskFuture<F> {
    type Output = Result<F::Output, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is the only structurally pinned field: it is
        // never moved out of `self` (no method hands it out by value; it is
        // only dropped in place, by `drop_future`), so projecting the pin
        // onto it is sound; the other fields are only used through `&mut`
        // and are `Unpin`.
        let this = unsafe { self.get_unchecked_mut() };
        let id = this.header.0.id;
        if !this.started {
            this.started = true;
            this.entry = context::task_list_insert(cx.waker(), !this.counted);
            this.header.0.waker.register(cx.waker());
        }
        if !this.live {
            // Polled after it returned `Ready`: async-task never does this.
            return Poll::Pending;
        }
        if this.header.0.is_aborted() {
            return Poll::Ready(match this.drop_future() {
                None => Err(JoinError::cancelled(id)),
                Some(payload) => Err(JoinError::panic(id, payload)),
            });
        }
        // SAFETY: `live` is true, so `future` is initialised, and it stays
        // where it is for as long as the wrapper lives (see above).
        let future = unsafe { Pin::new_unchecked(&mut *this.future) };
        let polled = catch_unwind(AssertUnwindSafe(|| {
            super::id::with_current(id, || future.poll(cx))
        }));
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(match this.drop_future() {
                None => Ok(output),
                Some(payload) => Err(JoinError::panic(id, payload)),
            }),
            Err(payload) => {
                let _ = this.drop_future();
                Poll::Ready(Err(JoinError::panic(id, payload)))
            }
        }
    }
}
