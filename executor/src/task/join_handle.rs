//! `JoinHandle` and `AbortHandle`: tokio's handles on a spawned task.
//!
//! A `JoinHandle` is a future of the task's `Result<T, JoinError>`.
//! Dropping it *detaches* the task, which runs on (tokio's semantics;
//! async-task's own `Task` cancels on drop, so it is wrapped here). This file
//! knows nothing of loops or scheduling.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_task::FallibleTask;

use super::core::Header;
use super::{Id, JoinError};

/// An owned permission to await a spawned task's output, and to abort it.
///
/// Awaiting gives `Ok(output)`, or `Err(JoinError)` if the task panicked or
/// was cancelled (aborted, or dropped when its runtime shut down). Dropping
/// the handle detaches the task: it keeps running and its output is dropped.
#[must_use = "dropping a JoinHandle detaches the task; await it or drop it on purpose"]
pub struct JoinHandle<T> {
    /// `None` only after the handle yielded its output.
    task: Option<FallibleTask<Result<T, JoinError>>>,
    header: Arc<Header>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: FallibleTask<Result<T, JoinError>>, header: Arc<Header>) -> Self {
        JoinHandle {
            task: Some(task),
            header,
        }
    }

    /// Aborts the task: unless it has already finished, its future is
    /// dropped (on its own loop) the next time the task would run, and
    /// awaiting this handle gives a cancelled [`JoinError`].
    ///
    /// A task that already completed is not affected: awaiting the handle
    /// still gives its output.
    pub fn abort(&self) {
        self.header.abort();
    }

    /// Whether the task has finished (completed, panicked or been
    /// cancelled).
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(FallibleTask::is_finished)
    }

    /// A handle that can abort the task without owning its output.
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle {
            header: self.header.clone(),
        }
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.header.id
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let id = self.header.id;
        let task = self
            .task
            .as_mut()
            .expect("`JoinHandle` polled after it returned its output");
        let output = std::task::ready!(Pin::new(task).poll(cx));
        self.task = None;
        // `None`: async-task cancelled the task (its runnable was dropped,
        // e.g. at runtime shutdown) before it produced an output.
        Poll::Ready(output.unwrap_or_else(|| Err(JoinError::cancelled(id))))
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.header.id)
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// A handle that aborts a task without owning its output (tokio's
/// `AbortHandle`). Cloneable; dropping it does nothing.
#[derive(Clone)]
pub struct AbortHandle {
    header: Arc<Header>,
}

impl AbortHandle {
    /// Aborts the task, as [`JoinHandle::abort`].
    pub fn abort(&self) {
        self.header.abort();
    }

    /// Whether the task has finished: completed, panicked, or cancelled
    /// and its future dropped.
    pub fn is_finished(&self) -> bool {
        self.header.is_finished()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.header.id
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.header.id)
            .finish()
    }
}
