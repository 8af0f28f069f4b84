//! `yield_now`: give the loop a chance to run other tasks.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields once to the loop: the task is woken at once and queued behind the
/// tasks already waiting to run on its loop (tokio's `task::yield_now`).
pub async fn yield_now() {
    YieldNow { yielded: false }.await;
}

#[must_use = "futures do nothing unless you .await or poll them"]
struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
