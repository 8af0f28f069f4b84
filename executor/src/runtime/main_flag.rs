//! The flag a `block_on`'s waker raises for the loop that drives it.
//!
//! `block_on` polls its own future outside the task system: the waker only
//! raises this flag (and, from another thread, wakes the loop's poller); the
//! loop polls the future again when it finds the flag up, and only sleeps in
//! `epoll_wait` when it finds it down. The handoff with a sleeping loop is
//! the wake signal's (reactor `wake_signal.rs`): a waker that raises the flag
//! after the loop looked either writes the eventfd, or finds an eventfd write
//! outstanding whose `reset` makes the raised flag visible to the loop's next
//! look. `loom_main_flag.rs` checks that composition.
//!
//! This file knows nothing of futures or pollers.

use crate::loom::{AtomicBool, Ordering::AcqRel, Ordering::Acquire, Ordering::Release};

#[derive(Debug)]
pub(crate) struct MainFlag {
    woken: AtomicBool,
}

impl MainFlag {
    /// A raised flag: the first round polls the future.
    pub(crate) fn new() -> MainFlag {
        MainFlag {
            woken: AtomicBool::new(true),
        }
    }

    /// Waker side: the future wants polling. Raises the flag, *then* runs
    /// `wake_loop` (`Poller::wake` from another thread): in the other order
    /// a loop could drain the wake-up, look at the flag still down, and
    /// sleep through it.
    pub(crate) fn raise_then(&self, wake_loop: impl FnOnce()) {
        self.woken.store(true, Release);
        wake_loop();
    }

    /// Loop side: lowers the flag; `true` if it was up (poll the future).
    pub(crate) fn take(&self) -> bool {
        self.woken.swap(false, AcqRel)
    }

    /// Loop side, before sleeping: whether the future wants polling.
    pub(crate) fn is_raised(&self) -> bool {
        self.woken.load(Acquire)
    }
}

#[cfg(all(test, loom))]
mod loom_main_flag;
