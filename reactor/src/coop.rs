//! The cooperative budget (tokio's `coop`): how many I/O operations a task
//! may complete in one poll before it is made to yield.
//!
//! An always-ready socket never makes a task wait, so without a budget one
//! busy connection could keep its loop from running anything else. The
//! executor gives each task poll a budget ([`budget`]); every
//! [`PollDesc::poll_io`](crate::PollDesc::poll_io) spends one unit
//! ([`poll_proceed`]); when none is left, the operation wakes its task and
//! returns `Pending`, and the task goes to the back of its loop's queue.
//! Outside [`budget`] (a plain thread, a test) nothing is limited.
//!
//! This file knows "a budget per poll", not what a task or a loop is.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Operations per task poll: tokio's figure.
pub const BUDGET: u32 = 128;

thread_local! {
    /// The running task's remaining budget; `None`: unconstrained.
    static REMAINING: Cell<Option<u32>> = const { Cell::new(None) };
    /// How many times a budget ran out on this thread.
    static EXHAUSTED: Cell<u64> = const { Cell::new(0) };
}

/// Runs `f` (one task poll) with a fresh budget of [`BUDGET`] operations.
pub fn budget<R>(f: impl FnOnce() -> R) -> R {
    with_remaining(Some(BUDGET), f)
}

/// Runs `f` with no budget: nothing in it is made to yield (tokio's
/// `unconstrained`).
pub fn unconstrained<R>(f: impl FnOnce() -> R) -> R {
    with_remaining(None, f)
}

fn with_remaining<R>(remaining: Option<u32>, f: impl FnOnce() -> R) -> R {
    /// Restores the outer budget even if `f` panics.
    struct Reset(Option<u32>);
    impl Drop for Reset {
        fn drop(&mut self) {
            REMAINING.with(|r| r.set(self.0));
        }
    }
    let _reset = Reset(REMAINING.with(|r| r.replace(remaining)));
    f()
}

/// Spends one unit of the running task's budget. `Pending` (after waking
/// the task, so it runs again soon) when the budget is spent.
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    REMAINING.with(|r| match r.get() {
        None => Poll::Ready(()),
        Some(0) => {
            EXHAUSTED.with(|e| e.set(e.get() + 1));
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(n) => {
            r.set(Some(n - 1));
            Poll::Ready(())
        }
    })
}

/// Whether the running task may still complete an operation without
/// yielding.
pub fn has_budget_remaining() -> bool {
    REMAINING.with(|r| r.get() != Some(0))
}

/// How many times a budget ran out on this thread, in total.
pub fn exhausted() -> u64 {
    EXHAUSTED.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use std::task::{Context, Poll};

    use super::*;

    use crate::test_waker::{counting_waker, woken};

    #[test]
    fn a_budget_allows_exactly_budget_operations_then_yields_and_wakes() {
        let (waker, count) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let before = exhausted();
        budget(|| {
            for _ in 0..BUDGET {
                assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
            }
            assert!(!has_budget_remaining());
            assert_eq!(poll_proceed(&mut cx), Poll::Pending);
        });
        assert_eq!(woken(&count), 1, "the task is woken to run again");
        assert_eq!(exhausted(), before + 1);
        assert_eq!(
            poll_proceed(&mut cx),
            Poll::Ready(()),
            "outside a budget: unlimited"
        );
    }

    #[test]
    fn unconstrained_lifts_the_budget_and_restores_it_after() {
        let (waker, _) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        budget(|| {
            unconstrained(|| {
                for _ in 0..BUDGET * 2 {
                    assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
                }
            });
            assert!(has_budget_remaining());
            assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
        });
    }
}
