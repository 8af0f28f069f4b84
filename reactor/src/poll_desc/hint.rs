//! One direction's *hint*: what the operations in that direction have
//! learnt about the kernel's queue since readiness was last reported —
//! tokio's per-`ScheduledIo` readiness, kept beside Go's slot.
//!
//! | state | meaning | the next operation |
//! |---|---|---|
//! | `UNKNOWN` | nothing learnt yet | tries its syscall (optimistic I/O) |
//! | `SEEN` | readiness was reported and no syscall has disproven it | tries its syscall; `readable()` returns at once |
//! | `DRAINED` | the last syscall found the queue empty (`EAGAIN`) or emptied it (a short read or write on a stream) | waits in the slot first: tokio's short-read rule |
//!
//! The slot says whether an *edge* arrived since it was last reset; the hint
//! says whether a *syscall* is worth making without one. Together they give
//! one read and one write per request: the edge wakes the task, the read
//! empties the queue with a short read, and the next read parks without a
//! syscall.
//!
//! # Why a sequence number
//!
//! Only `DRAINED` can make a task wait, so only a move *to* `DRAINED` is
//! guarded. It is a compare-and-swap from the word read before the syscall
//! (taken before the slot's reset): if anybody recorded readiness in
//! between (`mark_seen`, which bumps the sequence), the syscall's verdict
//! is out of date and is dropped. Without the sequence, `SEEN` → `SEEN` by
//! another task would look like "unchanged" (ABA) and the stale `DRAINED`
//! would strand queued bytes. Moves to `SEEN` are unconditional: a spurious
//! `SEEN` costs one syscall at most.
//!
//! This file knows neither slots, fds nor tasks: it is a word with three
//! states and a counter.

use crate::loom::{AtomicU32, Ordering::AcqRel, Ordering::Acquire};

const STATE: u32 = 0b11;
/// Nothing learnt: the next syscall is tried.
const UNKNOWN: u32 = 0;
/// Readiness reported and not disproven.
const SEEN: u32 = 1;
/// The last syscall showed the queue empty: wait for an edge first.
const DRAINED: u32 = 2;
/// The sequence counts up in the bits above the state.
const SEQ_ONE: u32 = 0b100;

/// The hint word; see the module doc.
#[derive(Debug)]
pub(crate) struct Hint(AtomicU32);

/// A reading of a [`Hint`], to decide on and to guard a move to `DRAINED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(u32);

impl Snapshot {
    /// Whether the last syscall found the queue empty.
    pub(crate) fn is_drained(self) -> bool {
        self.0 & STATE == DRAINED
    }

    /// Whether readiness was seen and not disproven.
    pub(crate) fn is_seen(self) -> bool {
        self.0 & STATE == SEEN
    }
}

impl Hint {
    pub(crate) fn new() -> Hint {
        Hint(AtomicU32::new(UNKNOWN))
    }

    /// The current word.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot(self.0.load(Acquire))
    }

    /// Records readiness that somebody consumed from the slot without
    /// making the syscall itself (`readable()`), or that a syscall showed
    /// (a full read: more may be queued). Always wins.
    pub(crate) fn mark_seen(&self) {
        let mut current = self.0.load(Acquire);
        loop {
            let next = (current & !STATE).wrapping_add(SEQ_ONE) | SEEN;
            match self.0.compare_exchange_weak(current, next, AcqRel, Acquire) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Records that the syscall made after reading `before` found the queue
    /// empty — unless the word moved since (readiness was recorded
    /// meanwhile, so the verdict is stale). Returns whether it was
    /// recorded.
    pub(crate) fn mark_drained(&self, before: Snapshot) -> bool {
        let drained = (before.0 & !STATE) | DRAINED;
        self.0
            .compare_exchange(before.0, drained, AcqRel, Acquire)
            .is_ok()
    }
}
