//! Opting out of, and into, the cooperative budget: tokio's
//! `task::unconstrained` and `task::consume_budget`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use netloop_reactor::coop;

/// Runs `future` without a cooperative budget: its I/O never makes it yield.
/// Use with care: an always-ready socket inside it can then starve its loop.
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

/// The future [`unconstrained`] returns.
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Unconstrained<F> {
    /// Structurally pinned: never moved out of a pinned `Unconstrained`.
    future: F,
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is never moved out of `self` (no method hands it
        // out by value and there is no `Drop` impl), so the pin projects onto
        // it soundly.
        let future = unsafe { self.map_unchecked_mut(|this| &mut this.future) };
        coop::unconstrained(|| future.poll(cx))
    }
}

/// Spends one unit of the task's cooperative budget, yielding to the loop
/// first if the budget is spent (for CPU-bound loops that do no I/O).
pub async fn consume_budget() {
    std::future::poll_fn(coop::poll_proceed).await;
}
