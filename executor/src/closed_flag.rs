//! The flag that closes a loop's remote queues at shutdown, and the
//! handshake that makes sure nothing is stranded in them.
//!
//! A remote push can race with the loop's last drain. The pusher does
//! "push, then look at the flag"; the loop does "raise the flag, then
//! drain". With a `SeqCst` fence between each side's two steps, at least
//! one side sees the other's first step: either the loop's drain finds the
//! push, or the pusher finds the flag up and drains the queue itself. (A
//! fence rather than `SeqCst` accesses: loom models fences exactly, and the
//! queue's own operations are not `SeqCst`.) `loom_closed_flag.rs` checks
//! it.
//!
//! This file knows nothing of what is queued.

use crate::loom::{AtomicBool, Ordering::Relaxed, Ordering::SeqCst, fence};

#[derive(Debug)]
pub(crate) struct ClosedFlag {
    closed: AtomicBool,
}

impl ClosedFlag {
    pub(crate) fn new() -> ClosedFlag {
        ClosedFlag {
            closed: AtomicBool::new(false),
        }
    }

    /// Pusher side: `push`, then, if the queue was closed meanwhile,
    /// `drain` it (dropping what it holds).
    pub(crate) fn push_then_check(&self, push: impl FnOnce(), drain: impl FnOnce()) {
        push();
        fence(SeqCst);
        if self.closed.load(Relaxed) {
            drain();
        }
    }

    /// Loop side, once: close, then `drain` what is left.
    pub(crate) fn close_then_drain(&self, drain: impl FnOnce()) {
        self.closed.store(true, Relaxed);
        fence(SeqCst);
        drain();
    }
}

#[cfg(all(test, loom))]
mod loom_closed_flag;
