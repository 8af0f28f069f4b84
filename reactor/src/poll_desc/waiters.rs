//! What a parked slot holds: the waker of the task waiting on it, and the
//! policy for a second task waiting on the same slot (Go's "double wait").
//!
//! Go throws on a double wait; tokio keeps the last waker and silently drops
//! the earlier one, which loses that task's wake-up. netloop keeps every
//! distinct waiter: one readiness event wakes all tasks parked on the slot,
//! and the ones that find nothing to read re-register after their `EAGAIN`.
//! Nobody is displaced, so two waiters never ping-pong each other awake, and
//! nobody is forgotten. The list is not bounded by a count: an earlier
//! version woke the oldest of more than 33 waiters early, and fifty tasks
//! accepting on one listener (tokio's `accept_many`) then woke each other
//! round and round. It is bounded by the distinct tasks waiting since the
//! slot's last readiness (one entry per task, de-duplicated with
//! `will_wake`); a task whose future was dropped stays until that
//! readiness wakes it, once.
//!
//! This file knows nothing about the slot's states or atomics: the slot hands
//! it out to exactly one owner at a time.

use std::task::Waker;

/// The tasks parked on one slot.
///
/// # Invariant
/// No two wakers in the list `will_wake` each other.
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    first: Option<Waker>,
    /// Tasks beyond the first (double wait). Empty, and unallocated, on the
    /// one-task-per-direction path every connection takes.
    extra: Vec<Waker>,
}

impl Waiters {
    /// Adds `waker` unless a waker that wakes the same task is already held.
    pub(crate) fn add(&mut self, waker: &Waker) {
        match &self.first {
            None => {
                self.first = Some(waker.clone());
                return;
            }
            Some(first) if first.will_wake(waker) => return,
            Some(_) => {}
        }
        if !self.extra.iter().any(|w| w.will_wake(waker)) {
            self.extra.push(waker.clone());
        }
    }

    /// Whether no task is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// Wakes every task held except the one `own` wakes, which is dropped:
    /// used by a registering task that got its readiness without parking.
    pub(crate) fn wake_others(&mut self, own: &Waker) {
        if let Some(first) = self.first.take()
            && !first.will_wake(own)
        {
            first.wake();
        }
        for waker in self.extra.drain(..) {
            if !waker.will_wake(own) {
                waker.wake();
            }
        }
    }

    /// Moves every waker into `out` (to be woken later, outside any lock),
    /// leaving the list empty.
    pub(crate) fn drain_into(&mut self, out: &mut Vec<Waker>) {
        if let Some(first) = self.first.take() {
            out.push(first);
        }
        if !self.extra.is_empty() {
            out.append(&mut self.extra);
        }
    }
}
