//! A timer's one-shot waker cell: netloop's own handshake between the one
//! task that waits on a timer and the one loop that fires it.
//!
//! A general waker register (such as an `AtomicWaker`) lets any number of
//! threads register while others take, for ever. A timer needs less: it
//! fires at most once, and only the owner of its future registers (polling
//! needs `Pin<&mut Sleep>`), so at any moment there is one registering
//! thread facing one firing thread. That allows one state byte and no
//! wake from inside a registration.
//!
//! # States
//!
//! | state | meaning | who owns `waker` | may follow |
//! |---|---|---|---|
//! | `EMPTY` | no waker yet (a cell built empty) | the state: nobody touches it | `REGISTERING` (poll), `FIRED` (fire) |
//! | `HOLDS_WAKER` | a waker is published | the state | `REGISTERING` (poll), `FIRED` (fire) |
//! | `REGISTERING` | a poll is writing the cell | that poll | `HOLDS_WAKER` (its publish), `FIRED` (fire) |
//! | `FIRED` | fired, for good | whoever moved the state to `FIRED` from `HOLDS_WAKER` (the firer) or away from `REGISTERING` (the registrant's failed publish) | nothing |
//!
//! # Protocol
//!
//! - [`with_waker`](FireCell::with_waker) builds the cell in `HOLDS_WAKER`
//!   with the waker in place: what a `Sleep`'s first poll arms, with no
//!   atomic step on a cell no other thread can see yet.
//! - [`fire`](FireCell::fire) (the loop) is one `swap(FIRED)`. From
//!   `HOLDS_WAKER` it took the cell with it and returns the waker to wake;
//!   from `REGISTERING` the registrant keeps the cell and will see `FIRED`
//!   when it publishes; from `EMPTY` (or a second fire) there is no one to
//!   wake. The same single step as Go's `netpollunblock` swapping `pdReady`
//!   into a slot's word.
//! - [`poll`](FireCell::poll) (the waiting task) returns `Ready` once it
//!   reads `FIRED`. Otherwise it takes the cell with
//!   `CAS(EMPTY | HOLDS_WAKER → REGISTERING)` (Go's `netpollblock` moving
//!   a slot to `pdWait`), stores its waker unless the held one
//!   `will_wake` the same task, and publishes with
//!   `CAS(REGISTERING → HOLDS_WAKER)` (Go's `netpollblockcommit`). A
//!   publish that fails met `FIRED`: the fire happened during the
//!   registration and found nothing to wake, so the poll clears the cell
//!   itself and returns `Ready`.
//!
//! # Invariants
//!
//! - `waker` is touched only by the thread whose atomic step on `state`
//!   gave it the cell (the table above), or through `&mut self`. In
//!   particular a poll never reads the cell while `HOLDS_WAKER` without
//!   taking it first: a fire may be taking the waker out at that moment.
//! - `FIRED` is final, and a poll that reads it returns without touching
//!   the cell (the firer may still be emptying it).
//! - No lost wake-up: a poll that returns `Pending` published its waker
//!   while the state was not `FIRED`, so the fire's swap finds
//!   `HOLDS_WAKER` and takes that waker; a fire during the registration
//!   makes the registration return `Ready`.
//! - No leak: after a fire the cell is empty once the thread that owns it
//!   is done, and dropping the cell (plainly) drops whatever it holds.
//!
//! Two polls at once (which a `Sleep` cannot do) stay sound: the second
//! finds `REGISTERING`, asks its task to poll again and returns `Pending`.
//!
//! This file knows nothing of wheels, entries, deadlines or futures;
//! `time/loom_fire_cell.rs` model-checks the races it claims to win.

use std::fmt;
use std::task::{Poll, Waker};

use crate::loom::{AtomicU8, Ordering::AcqRel, Ordering::Acquire, Ordering::Release, UnsafeCell};

/// No waker, not fired.
const EMPTY: u8 = 0;
/// A waker is published in the cell, not fired.
const HOLDS_WAKER: u8 = 1;
/// A poll owns the cell and is writing it.
const REGISTERING: u8 = 2;
/// Fired; final.
const FIRED: u8 = 3;

/// A timer's waiter: one waker and whether the timer fired (see the module
/// documentation).
pub(crate) struct FireCell {
    /// `EMPTY`, `HOLDS_WAKER`, `REGISTERING` or `FIRED`.
    state: AtomicU8,
    /// The waiting task's waker. Owned as the `state` table says.
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: `Sync` is what `UnsafeCell` withholds: every access to `waker`
// through `&self` is made by the one thread that `state` gave the cell to
// (see the invariants), so sharing a `FireCell` hands a `Waker`, which is
// `Send + Sync`, from one thread to another and nothing more.
unsafe impl Sync for FireCell {}

impl FireCell {
    /// An empty cell: not fired, no waker.
    pub(crate) fn new() -> FireCell {
        FireCell {
            state: AtomicU8::new(EMPTY),
            waker: UnsafeCell::new(None),
        }
    }

    /// A cell holding `waker`, as if it had been registered.
    pub(crate) fn with_waker(waker: Waker) -> FireCell {
        FireCell {
            state: AtomicU8::new(HOLDS_WAKER),
            waker: UnsafeCell::new(Some(waker)),
        }
    }

    /// Whether the cell fired.
    #[inline]
    pub(crate) fn is_fired(&self) -> bool {
        self.state.load(Acquire) == FIRED
    }

    /// Fires the cell (any thread; a second fire does nothing). Returns
    /// the waker to wake, if one was published.
    pub(crate) fn fire(&self) -> Option<Waker> {
        // Go's netpollunblock: one swap. `AcqRel`: acquire the registrant's
        // published waker; release what this thread did before firing to
        // the poll that reads `FIRED`.
        match self.state.swap(FIRED, AcqRel) {
            HOLDS_WAKER => {
                #[cfg(all(test, loom))]
                coverage::hit(&coverage::FIRE_TOOK_WAKER);
                self.waker.with_mut(|cell| {
                    // SAFETY: the swap moved `state` from `HOLDS_WAKER`, so
                    // the cell is this thread's (see the invariants): no
                    // poll touches it after reading `FIRED`, and its
                    // acquire ordered the publishing poll's write before
                    // this take.
                    unsafe { (*cell).take() }
                })
            }
            // EMPTY: nobody to wake. REGISTERING: the registrant owns the
            // cell and its publish will fail. FIRED: fired before.
            _ => None,
        }
    }

    /// Returns `Ready` once the cell has fired; else leaves `waker` to be
    /// woken by the fire and returns `Pending`.
    #[inline]
    pub(crate) fn poll(&self, waker: &Waker) -> Poll<()> {
        if self.is_fired() {
            return Poll::Ready(());
        }
        self.register(waker)
    }

    /// The rest of [`poll`](Self::poll), out of line.
    #[inline(never)]
    fn register(&self, waker: &Waker) -> Poll<()> {
        // Take the cell (Go's netpollblock: CAS to pdWait).
        let mut state = self.state.load(Acquire);
        loop {
            match state {
                FIRED => return Poll::Ready(()),
                REGISTERING => {
                    // Another poll holds the cell (not a `Sleep`'s case):
                    // its publish, or its `Ready`, settles the cell within
                    // a few instructions; poll again rather than wait here.
                    waker.wake_by_ref();
                    return Poll::Pending;
                }
                _ => match self
                    .state
                    .compare_exchange(state, REGISTERING, Acquire, Acquire)
                {
                    Ok(_) => break,
                    Err(actual) => state = actual,
                },
            }
        }
        let replaced = self.waker.with_mut(|cell| {
            // SAFETY: our compare-exchange moved `state` to `REGISTERING`,
            // so the cell is ours until our publish below: a fire that
            // comes now swaps `FIRED` over `REGISTERING` and leaves the
            // cell alone.
            let cell = unsafe { &mut *cell };
            match cell {
                Some(held) if held.will_wake(waker) => None,
                _ => cell.replace(waker.clone()),
            }
        });
        // Go's netpollblockcommit: CAS(REGISTERING → HOLDS_WAKER), release
        // so that the fire's swap sees the waker written above.
        let result = match self
            .state
            .compare_exchange(REGISTERING, HOLDS_WAKER, Release, Acquire)
        {
            Ok(_) => Poll::Pending,
            Err(actual) => {
                // The fire met our REGISTERING and took nothing: it
                // happened during this registration, so this poll is the
                // wake-up. Empty the cell.
                debug_assert_eq!(actual, FIRED);
                #[cfg(all(test, loom))]
                coverage::hit(&coverage::PUBLISH_FAILED);
                let ours = self.waker.with_mut(|cell| {
                    // SAFETY: the fire's swap moved `state` away from our
                    // `REGISTERING` (to `FIRED`, final) without touching
                    // the cell, and no poll touches it after `FIRED`: it
                    // is still ours.
                    unsafe { (*cell).take() }
                });
                drop(ours);
                Poll::Ready(())
            }
        };
        // Dropped once the cell is settled: a waker's drop may run any code.
        drop(replaced);
        result
    }
}

impl fmt::Debug for FireCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state.load(Acquire) {
            EMPTY => "EMPTY",
            HOLDS_WAKER => "HOLDS_WAKER",
            REGISTERING => "REGISTERING",
            _ => "FIRED",
        };
        f.debug_struct("FireCell").field("state", &state).finish()
    }
}

/// Which branches of the handshake a loom model reached, so that a model
/// can assert it explored the race it is named after (as in
/// `poll_desc/slot.rs`).
#[cfg(all(test, loom))]
pub(crate) mod coverage {
    use std::cell::Cell;
    use std::thread::LocalKey;

    thread_local! {
        /// A fire swapped `FIRED` over `HOLDS_WAKER` and took the waker.
        pub(crate) static FIRE_TOOK_WAKER: Cell<usize> = const { Cell::new(0) };
        /// A publish met `FIRED`: the fire came during a registration.
        pub(crate) static PUBLISH_FAILED: Cell<usize> = const { Cell::new(0) };
    }

    pub(crate) fn hit(counter: &'static LocalKey<Cell<usize>>) {
        counter.with(|c| c.set(c.get() + 1));
    }

    pub(crate) fn get(counter: &'static LocalKey<Cell<usize>>) -> usize {
        counter.with(Cell::get)
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
