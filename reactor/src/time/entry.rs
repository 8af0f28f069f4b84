//! One armed timer, shared by the future waiting on it and the loop's timer
//! wheel: whether it fired and the waiting task's waker, in a one-shot
//! [`FireCell`] (`time/fire_cell.rs`), plus a cancelled flag.
//!
//! A timer has one waiter and fires once, so it needs less than a socket's
//! `pdReady`/`pdWait` slot: the wheel's fire is one swap that takes the
//! waker if one is published; the future's poll takes the cell, stores its
//! waker and publishes it, and a fire during that makes the poll `Ready`.
//! Nothing is allocated beyond the entry. A `Sleep`'s first poll builds
//! its entry with its waker already in place ([`TimerEntry::with_waker`]):
//! no other thread can see the entry before it is armed, so there is
//! nothing to register against. A timer is one-shot: re-arming makes a new
//! entry. This file knows nothing of wheels or futures.

use std::sync::Weak;
use std::sync::atomic::{
    AtomicBool, AtomicU32, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};
use std::task::{Poll, Waker};

use super::fire_cell::FireCell;

use crate::poll_desc::{Direction, PollDesc};

#[derive(Debug)]
pub(crate) struct TimerEntry {
    /// Whether a `Sleep`'s entry fired, and its task's waker (a
    /// deadline's entry leaves it empty and unfired).
    waiter: FireCell,
    /// The future went away (dropped or re-armed): the wheel discards the
    /// entry instead of firing it.
    cancelled: AtomicBool,
    /// Where the wheel put the entry when it armed it (an opaque
    /// position, `NO_POS` for none), so that a cancel on the arming loop
    /// can take it out at once. Written and read on the arming loop's
    /// thread only; it may be stale (the entry moved since), which the
    /// wheel detects.
    pos: AtomicU32,
    /// What firing does: `None`, wake the task waiting in `waiter` (a
    /// `Sleep`); `Some`, expire that descriptor's deadline in `dir` (Go's
    /// `netpolldeadlineimpl`). Two fields rather than an enum, so that
    /// `dir` packs with the flags: the entry is 40 bytes, 56 with the
    /// `Arc`'s counts, one 64-byte malloc chunk instead of 80.
    desc: Option<Weak<PollDesc>>,
    /// The deadline's direction (`Read`, unused, for a `Sleep`).
    dir: Direction,
}

/// No wheel position recorded.
pub(crate) const NO_POS: u32 = u32::MAX;

impl TimerEntry {
    pub(crate) fn new() -> TimerEntry {
        TimerEntry::with_waker(None)
    }

    /// An entry whose waiter is already `waker`'s task: what the first
    /// poll of a `Sleep` arms, without registering the waker afterwards.
    pub(crate) fn with_waker(waker: Option<&Waker>) -> TimerEntry {
        TimerEntry {
            waiter: match waker {
                Some(waker) => FireCell::with_waker(waker.clone()),
                None => FireCell::new(),
            },
            cancelled: AtomicBool::new(false),
            pos: AtomicU32::new(NO_POS),
            desc: None,
            dir: Direction::Read,
        }
    }

    /// An entry that, when it fires, expires `desc`'s deadline for `dir`.
    pub(crate) fn deadline(desc: Weak<PollDesc>, dir: Direction) -> TimerEntry {
        TimerEntry {
            waiter: FireCell::new(),
            cancelled: AtomicBool::new(false),
            pos: AtomicU32::new(NO_POS),
            desc: Some(desc),
            dir,
        }
    }

    /// Waits until fired: `Ready` once the wheel fired the entry.
    #[inline]
    pub(crate) fn poll_fired(&self, waker: &Waker) -> Poll<()> {
        self.waiter.poll(waker)
    }

    /// Fires the entry, moving the wakers of the tasks it wakes into `out`.
    pub(crate) fn fire(&self, out: &mut Vec<Waker>) {
        match &self.desc {
            None => {
                out.extend(self.waiter.fire());
            }
            Some(desc) => {
                if let Some(desc) = desc.upgrade() {
                    desc.deadline_fired(self, self.dir, out);
                }
            }
        }
    }

    /// Whether a `Sleep`'s entry has fired.
    pub(crate) fn is_fired(&self) -> bool {
        self.waiter.is_fired()
    }

    /// The wheel position recorded by [`set_pos`](Self::set_pos).
    pub(crate) fn pos(&self) -> u32 {
        self.pos.load(Relaxed)
    }

    /// Records where the wheel put the entry.
    pub(crate) fn set_pos(&self, pos: u32) {
        self.pos.store(pos, Relaxed);
    }

    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Release);
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::TimerEntry;

    #[test]
    fn an_entry_and_its_arc_counts_fit_a_64_byte_malloc_chunk() {
        // glibc: a 56-byte request is one 64-byte chunk; 57 to 72, 80.
        assert!(size_of::<TimerEntry>() + 2 * size_of::<usize>() <= 56);
    }
}
