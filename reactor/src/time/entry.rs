//! One armed timer, shared by the future waiting on it and the loop's timer
//! wheel: a fired flag and the waiting task's waker in an `AtomicWaker`, plus
//! a cancelled flag.
//!
//! A timer has one waiter and fires once, so it needs less than a socket's
//! `pdReady`/`pdWait` slot: the handshake is `AtomicWaker`'s documented
//! one — the wheel sets `fired`, then takes the waker; the future registers
//! its waker, then checks `fired` — and allocates nothing beyond the entry.
//! A timer is one-shot: re-arming makes a new entry. This file knows nothing
//! of wheels or futures.

use std::sync::Weak;
use std::sync::atomic::{
    AtomicBool, AtomicU64, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};
use std::task::{Poll, Waker};

use futures::task::AtomicWaker;

use crate::poll_desc::{Direction, PollDesc};

#[derive(Debug)]
pub(crate) struct TimerEntry {
    /// Set (release) by the wheel when the timer fires, before it takes the
    /// waker; read (acquire) by the future after it registers its waker.
    fired: AtomicBool,
    waker: AtomicWaker,
    /// The future went away (dropped or re-armed): the wheel discards the
    /// entry instead of firing it.
    cancelled: AtomicBool,
    /// Where the wheel put the entry when it armed it (an opaque
    /// position, `NO_POS` for none), so that a cancel on the arming loop
    /// can take it out at once. Written and read on the arming loop's
    /// thread only; it may be stale (the entry moved since), which the
    /// wheel detects.
    pos: AtomicU64,
    /// What firing does.
    on_fire: OnFire,
}

/// No wheel position recorded.
pub(crate) const NO_POS: u64 = u64::MAX;

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
            fired: AtomicBool::new(false),
            waker: AtomicWaker::new(),
            cancelled: AtomicBool::new(false),
            pos: AtomicU64::new(NO_POS),
            on_fire: OnFire::Wake,
        }
    }

    /// An entry that, when it fires, expires `desc`'s deadline for `dir`.
    pub(crate) fn deadline(desc: Weak<PollDesc>, dir: Direction) -> TimerEntry {
        TimerEntry {
            fired: AtomicBool::new(false),
            waker: AtomicWaker::new(),
            cancelled: AtomicBool::new(false),
            pos: AtomicU64::new(NO_POS),
            on_fire: OnFire::Expire(desc, dir),
        }
    }

    /// Waits until fired: `Ready` once the wheel fired the entry.
    pub(crate) fn poll_fired(&self, waker: &Waker) -> Poll<()> {
        if self.fired.load(Acquire) {
            return Poll::Ready(());
        }
        // Register, then look again: a fire between the two finds the
        // waker (or wakes it from `register` itself, AtomicWaker's
        // guarantee), a fire before the register is seen here.
        self.waker.register(waker);
        if self.fired.load(Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Fires the entry, moving the wakers of the tasks it wakes into `out`.
    pub(crate) fn fire(&self, out: &mut Vec<Waker>) {
        match &self.on_fire {
            OnFire::Wake => {
                self.fired.store(true, Release);
                out.extend(self.waker.take());
            }
            OnFire::Expire(desc, dir) => {
                if let Some(desc) = desc.upgrade() {
                    desc.deadline_fired(self, *dir, out);
                }
            }
        }
    }

    /// Whether a `Wake` entry has fired.
    pub(crate) fn is_fired(&self) -> bool {
        self.fired.load(Acquire)
    }

    /// The wheel position recorded by [`set_pos`](Self::set_pos).
    pub(crate) fn pos(&self) -> u64 {
        self.pos.load(Relaxed)
    }

    /// Records where the wheel put the entry.
    pub(crate) fn set_pos(&self, pos: u64) {
        self.pos.store(pos, Relaxed);
    }

    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Release);
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Acquire)
    }
}
