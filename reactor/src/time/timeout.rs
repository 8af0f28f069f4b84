//! `timeout` and `timeout_at`: tokio's, polling the inner future first.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::error::Elapsed;
use super::instant::Instant;
use super::sleep::{Sleep, sleep, sleep_until};

/// Runs `future` for at most `duration`: its output, or [`Elapsed`] if the
/// time ran out first. The future is polled before the timer is looked at,
/// so a future that is ready at once completes even with a zero duration.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        delay: sleep(duration),
    }
}

/// Runs `future` until `deadline` at most (see [`timeout`]).
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        delay: sleep_until(deadline),
    }
}

/// The future [`timeout`] and [`timeout_at`] return.
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Timeout<F> {
    /// Structurally pinned: never moved out of a pinned `Timeout`.
    future: F,
    delay: Sleep,
}

impl<F> Timeout<F> {
    /// The inner future.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The inner future, mutably (it must not be moved while pinned).
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// The inner future, giving up the timeout.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is the only structurally pinned field and is
        // never moved out of a pinned `Timeout` (`into_inner` and `get_mut`
        // take `self` unpinned); `delay` is `Unpin` and used by `&mut`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        Pin::new(&mut this.delay)
            .poll(cx)
            .map(|()| Err(Elapsed::new()))
    }
}
