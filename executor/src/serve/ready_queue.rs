//! The queues of `serve_traffic`'s drivers — the keys connection wakers
//! put in, and the connections the accept loops hand over — and
//! the handshake that wakes the driver once per batch: a waker queues its
//! key, then raises `scheduled`, and wakes the driver only if it was the
//! one to raise it; the driver lowers `scheduled`, then takes the keys.
//! Whoever's key the driver's take misses was queued after it (the lock
//! orders the two), so that waker sees `scheduled` lowered and wakes the
//! driver again: no key is ever left behind without a wake-up.
//! (`loom_ready_queue.rs` checks it.) The same shape as the reactor's wake
//! signal in front of its eventfd.
//!
//! This file knows queued items and one wake-up decision, not what is
//! woken.

use crate::loom::{AtomicBool, Mutex, Ordering::AcqRel};

#[derive(Debug)]
pub(super) struct ReadyQueue<K> {
    keys: Mutex<Vec<K>>,
    /// The consumer was (or is being) woken and has not taken `keys` yet.
    scheduled: AtomicBool,
}

impl<K> ReadyQueue<K> {
    pub(super) fn new() -> ReadyQueue<K> {
        ReadyQueue {
            keys: Mutex::new(Vec::new()),
            scheduled: AtomicBool::new(false),
        }
    }

    /// Queues `key`; returns whether the consumer must be woken (no wake-up
    /// is outstanding since its last [`take`](Self::take)).
    pub(super) fn push(&self, key: K) -> bool {
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(key);
        // After the push: see the module doc.
        !self.scheduled.swap(true, AcqRel)
    }

    /// Consumer side: swaps everything queued into `into` (which should be
    /// empty: its allocation is kept for the next take). Nothing pushed
    /// since the last take (`scheduled` was down) costs no lock: a push
    /// racing with this raises `scheduled` after its key is in, sees it
    /// lowered, and wakes the consumer for the next take.
    pub(super) fn take(&self, into: &mut Vec<K>) {
        // Lowered before the keys are taken: see the module doc.
        if self.scheduled.swap(false, AcqRel) {
            std::mem::swap(
                into,
                &mut *self.keys.lock().unwrap_or_else(|e| e.into_inner()),
            );
        }
    }
}

#[cfg(all(test, loom))]
mod loom_ready_queue;
