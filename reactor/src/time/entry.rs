//! One armed timer, shared by the future waiting on it and the loop's timer
//! heap: a [`Slot`](crate::poll_desc::Slot) — the same `pdReady`/`pdWait`
//! handshake a socket uses, loom-checked there — plus a cancelled flag.
//!
//! The heap fires the entry by unblocking its slot; the future waits in the
//! slot. A timer is one-shot: re-arming makes a new entry. This file knows
//! nothing of heaps or futures.

use std::sync::Weak;
use std::sync::atomic::{AtomicBool, Ordering::Acquire, Ordering::Release};
use std::task::{Poll, Waker};

use crate::poll_desc::{Direction, PollDesc, Slot};

#[derive(Debug)]
pub(crate) struct TimerEntry {
    slot: Slot,
    /// The future went away (dropped or re-armed): the heap discards the
    /// entry instead of firing it.
    cancelled: AtomicBool,
    /// What firing does.
    on_fire: OnFire,
}

#[derive(Debug)]
enum OnFire {
    /// Wake the task waiting in the slot (a `Sleep`).
    Wake,
    /// Expire a descriptor's deadline in one direction (Go's
    /// `netpolldeadlineimpl`).
    Expire(Weak<PollDesc>, Direction),
}

impl TimerEntry {
    pub(crate) fn new() -> TimerEntry {
        TimerEntry {
            slot: Slot::new(),
            cancelled: AtomicBool::new(false),
            on_fire: OnFire::Wake,
        }
    }

    /// An entry that, when it fires, expires `desc`'s deadline for `dir`.
    pub(crate) fn deadline(desc: Weak<PollDesc>, dir: Direction) -> TimerEntry {
        TimerEntry {
            slot: Slot::new(),
            cancelled: AtomicBool::new(false),
            on_fire: OnFire::Expire(desc, dir),
        }
    }

    /// Waits until fired: `Ready` once the heap fired the entry.
    pub(crate) fn poll_fired(&self, waker: &Waker) -> Poll<()> {
        // Only firing unblocks the slot, so its readiness means "fired".
        self.slot.poll_ready(waker, || Ok::<(), ()>(())).map(|_| ())
    }

    /// Fires the entry, moving the wakers of the tasks it wakes into `out`.
    pub(crate) fn fire(&self, out: &mut Vec<Waker>) {
        match &self.on_fire {
            OnFire::Wake => {
                self.slot.unblock(out);
            }
            OnFire::Expire(desc, dir) => {
                if let Some(desc) = desc.upgrade() {
                    desc.deadline_fired(self, *dir, out);
                }
            }
        }
    }

    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Release);
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Acquire)
    }
}
