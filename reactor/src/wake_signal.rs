//! The wake signal that guards the eventfd: gnet's `netpollWakeSig`.
//!
//! A thread that hands work to a loop (a remote task push, a cross-thread
//! wake) raises the signal and writes the eventfd only if it flipped the
//! signal from down to up; the loop lowers it after draining the eventfd and
//! before draining its queues. A burst of remote wake-ups therefore costs one
//! `write(2)`.
//!
//! # Why two read-modify-writes
//!
//! The handoff is "producer: publish work, then look at the flag; loop:
//! lower the flag, then look at the work" — a store-buffer pattern in which
//! plain loads and stores may each miss the other's write. Both sides use a
//! `swap` instead: all swaps on the flag are totally ordered, so either the
//! producer's swap comes after the loop's (it reads "down" and writes the
//! eventfd, waking the loop again) or before it (the loop's acquiring swap
//! reads from the producer's release sequence, so the loop's next look at
//! the queues sees the work). This matters under loom too, which models
//! `SeqCst` loads and stores as merely acquire/release.
//!
//! This file knows nothing about what is queued or how the eventfd is
//! written; it answers "must I write the eventfd?".

use crate::loom::{AtomicBool, Ordering::AcqRel, Ordering::Acquire};

#[derive(Debug)]
pub(crate) struct WakeSignal {
    /// Up while an eventfd write is outstanding: written and not yet seen by
    /// the loop.
    raised: AtomicBool,
}

impl WakeSignal {
    pub(crate) fn new() -> WakeSignal {
        WakeSignal {
            raised: AtomicBool::new(false),
        }
    }

    /// Producer side, after publishing work: returns `true` when the caller
    /// must write the eventfd (it flipped the signal up).
    pub(crate) fn raise(&self) -> bool {
        !self.raised.swap(true, AcqRel)
    }

    /// Loop side, after draining the eventfd and before draining the queues.
    pub(crate) fn reset(&self) {
        self.raised.swap(false, AcqRel);
    }

    /// Whether an eventfd write is outstanding.
    pub(crate) fn is_raised(&self) -> bool {
        self.raised.load(Acquire)
    }
}

#[cfg(all(test, loom))]
mod loom_wake_signal;
