//! What every spawned task carries besides its future: its [`Header`] (id
//! and abort flag, shared with its `JoinHandle` and `AbortHandle`s) and the
//! [`TaskFuture`] wrapper that async-task allocates around the user's
//! future. The wrapper catches panics into `JoinError`s, answers an abort
//! at its next poll, and enters the task in its loop's task list on its
//! first poll so that shutdown can find it.
//!
//! This file knows the loop only through `context::task_list_*`; it never
//! schedules anything itself.

use std::future::Future;
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
#[derive(Debug)]
pub(crate) struct TaskFuture<F> {
    /// Structurally pinned: never moved out of a pinned `TaskFuture`.
    future: F,
    header: Owner,
    /// Whether the first poll happened.
    started: bool,
    /// The task's entry in its loop's task list, from the first poll on
    /// (none for blocking-pool jobs). Removed when the wrapper is dropped
    /// (completion or cancellation).
    entry: Option<ListEntry>,
}

impl<F> TaskFuture<F> {
    pub(crate) fn new(future: F, header: Arc<Header>) -> TaskFuture<F> {
        TaskFuture {
            future,
            header: Owner(header),
            started: false,
            entry: None,
        }
    }
}

impl<F: Future> Future for TaskFuture<F> {
    type Output = Result<F::Output, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is the only structurally pinned field: it is
        // never moved out of `self` (no method hands it out by value, and
        // `TaskFuture` has no `Drop` of its own that could move it; its
        // fields' drops never touch `future`), so projecting the
        // pin onto it is sound; the other fields are only used through
        // `&mut` and are `Unpin`.
        let this = unsafe { self.get_unchecked_mut() };
        if !this.started {
            this.started = true;
            this.entry = context::task_list_insert(cx.waker());
            this.header.0.waker.register(cx.waker());
        }
        if this.header.0.is_aborted() {
            return Poll::Ready(Err(JoinError::cancelled(this.header.0.id)));
        }
        // SAFETY: see above: `this.future` stays where it is for as long as
        // the wrapper lives, so this `Pin` never outlives a valid place.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        let id = this.header.0.id;
        match catch_unwind(AssertUnwindSafe(|| {
            super::id::with_current(id, || future.poll(cx))
        })) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => Poll::Ready(Err(JoinError::panic(this.header.0.id, payload))),
        }
    }
}
