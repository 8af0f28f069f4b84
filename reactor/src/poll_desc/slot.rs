//! One direction of a `PollDesc`: Go's `rg` / `wg` word and the
//! `pdReady` / `pdWait` handshake between a polling task and the reactor.
//!
//! # States
//!
//! The state is one `AtomicPtr`, as in Go, where the word is either a
//! sentinel or the parked goroutine's `*g`:
//!
//! | state | value | meaning | may follow |
//! |---|---|---|---|
//! | `NIL` | null | nothing pending, nobody waiting | `READY` (reactor), `WAIT` (poller) |
//! | `READY` | `1` | readiness arrived and is not consumed yet (`pdReady`) | `NIL` (a poller consumes it, or a registrant whose commit it failed does) |
//! | `WAIT` | `2` | a task is registering (`pdWait`) | `PARKED` (commit), `READY` (reactor), `NIL` (registration given up) |
//! | `PARKED` | a `Box<Waiters>` pointer | the waiting tasks' wakers (Go: the `*g`) | `READY` (reactor), `WAIT` (re-poll) |
//!
//! # Who owns the wakers
//!
//! Ownership of the `Waiters` box moves only with an atomic step on the state
//! word, never beside it: the registering task owns the box it is filling
//! from its `→ WAIT` step until its commit CAS publishes the pointer
//! (`WAIT → PARKED`); from then on the state word owns it, and whoever moves
//! the word away from that pointer — the reactor's `swap(READY)` or a
//! re-polling task's `CAS(ptr, WAIT)` — owns it next. No one else can reach
//! it, so no lock is needed and a box can never be taken twice.
//!
//! DESIGN.md §2 draws the waker in a cell beside the state word. That shape
//! has a window: after the reactor's `PARKED → READY`, a poller can consume
//! the `READY`, enter `WAIT` again and write the cell while the reactor is
//! still taking the old waker out of it. Keeping the wakers behind the
//! pointer in the state word, as Go keeps its `*g`, makes "take the wakers"
//! and "change the state" one atomic step, and closes the window.
//!
//! Parked boxes are recycled through a one-element `spare` so that the
//! steady state (park, wake, park, ...) allocates nothing.
//!
//! # Readiness is "maybe"
//!
//! `Ready(Ok(()))` means "retry the syscall": the caller does optimistic I/O
//! and comes back on `EAGAIN`. A spurious `Ready` costs one syscall; a missed
//! one would hang a task. Every choice below takes the first risk to rule
//! out the second.
//!
//! This file knows nothing of fds, epoll or executors; `check` is the only
//! view it has of the descriptor (closing flag, deadlines).

use std::ptr;
use std::task::{Poll, Waker};

use super::waiters::Waiters;
use crate::loom::{AtomicPtr, Ordering::AcqRel, Ordering::Acquire, Ordering::Release};

/// Nothing pending, nobody waiting (Go's `pdNil`).
const NIL: *mut Waiters = ptr::null_mut();
/// Readiness arrived and is not consumed yet (Go's `pdReady`).
const READY: *mut Waiters = ptr::without_provenance_mut(1);
/// A task is registering (Go's `pdWait`).
const WAIT: *mut Waiters = ptr::without_provenance_mut(2);

/// Whether `state` is a parked `Waiters` pointer rather than a sentinel.
/// `Box` pointers are aligned well past 2, so they never collide with one.
fn is_parked(state: *mut Waiters) -> bool {
    state != NIL && state != READY && state != WAIT
}

/// The read or the write half of a `PollDesc`.
#[derive(Debug)]
pub(crate) struct Slot {
    /// `NIL`, `READY`, `WAIT`, or a parked `Box<Waiters>` pointer.
    ///
    /// # Invariant
    /// When it holds a pointer, that pointer came from `Box::into_raw` and
    /// the state word is its only owner (see the module doc).
    state: AtomicPtr<Waiters>,
    /// A recycled, empty `Box<Waiters>`, or null.
    ///
    /// # Invariant
    /// A non-null value came from `Box::into_raw`, holds no wakers, and is
    /// owned by this field alone; it is taken and given with single atomic
    /// steps (`swap`, `compare_exchange`).
    spare: AtomicPtr<Waiters>,
}

impl Slot {
    pub(crate) fn new() -> Slot {
        Slot {
            state: AtomicPtr::new(NIL),
            spare: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Waits for readiness: Go's `poll_runtime_pollWait` → `netpollblock` →
    /// `netpollblockcommit`.
    ///
    /// Returns `Ready(Ok(()))` when readiness was reported since it was last
    /// consumed (possibly spuriously: retry the syscall), `Ready(Err(e))`
    /// when `check` fails, and `Pending` once `waker` is parked in the slot
    /// — or, when another task is registering on this slot at this very
    /// moment, after asking `waker` to poll again shortly.
    ///
    /// `check` is Go's `netpollcheckerr`: the descriptor's closing flag and
    /// deadlines. It runs before the handshake and again after entering
    /// `WAIT`, so a close or deadline published before the reactor's
    /// unblock is never slept through.
    pub(crate) fn poll_ready<E>(
        &self,
        waker: &Waker,
        check: impl Fn() -> Result<(), E>,
    ) -> Poll<Result<(), E>> {
        // poll_runtime_pollWait: netpollcheckerr before blocking.
        if let Err(e) = check() {
            return Poll::Ready(Err(e));
        }

        // netpollblock's loop: consume READY, or move NIL / PARKED to WAIT.
        let mut state = self.state.load(Acquire);
        let mut waiters = loop {
            if state == READY {
                // netpollblock: CAS(pdReady, pdNil) — readiness consumed.
                match self.state.compare_exchange(READY, NIL, AcqRel, Acquire) {
                    Ok(_) => {
                        #[cfg(all(test, loom))]
                        coverage::hit(&coverage::READY_CONSUMED);
                        return Poll::Ready(Ok(()));
                    }
                    Err(actual) => state = actual,
                }
            } else if state == WAIT {
                // Another task is between its `→ WAIT` and its commit on
                // this slot (a double wait racing on two threads). Its
                // window is a few instructions long; poll again rather than
                // spin here or park nowhere.
                #[cfg(all(test, loom))]
                coverage::hit(&coverage::WAIT_MET);
                waker.wake_by_ref();
                return Poll::Pending;
            } else {
                // netpollblock: CAS(pdNil, pdWait). From PARKED this is a
                // re-poll (or a second task): taking the pointer out of the
                // word takes ownership of the parked box with it.
                match self.state.compare_exchange(state, WAIT, AcqRel, Acquire) {
                    Ok(_) if state == NIL => break self.empty_box(),
                    // SAFETY: `state` is a parked pointer (neither NIL,
                    // READY nor WAIT), and our successful CAS moved the
                    // state word away from it, so by the `state` invariant
                    // we are now its only owner.
                    Ok(_) => break unsafe { Box::from_raw(state) },
                    Err(actual) => state = actual,
                }
            }
        };

        waiters.add(waker);

        // netpollblock: netpollcheckerr again, now that we are in WAIT. A
        // closer publishes its flag before unblocking, so either we see the
        // flag here or its unblock meets our WAIT (and the commit fails).
        if let Err(e) = check() {
            self.give_up(waiters, waker, WAIT);
            return Poll::Ready(Err(e));
        }

        // netpollblockcommit: CAS(pdWait, gp).
        let parked = Box::into_raw(waiters);
        match self.state.compare_exchange(WAIT, parked, AcqRel, Acquire) {
            Ok(_) => Poll::Pending,
            Err(_) => {
                // netpollunblock met our WAIT and left READY: readiness
                // arrived during registration, and nobody was woken for it.
                // SAFETY: the failed CAS did not publish `parked`; it came
                // from `Box::into_raw` above and nobody else has seen it.
                let waiters = unsafe { Box::from_raw(parked) };
                #[cfg(all(test, loom))]
                coverage::hit(&coverage::COMMIT_FAILED);
                self.give_up(waiters, waker, READY);
                Poll::Ready(Ok(()))
            }
        }
    }

    /// Abandons a registration that will not park: moves the state from
    /// `from` (WAIT: our own; READY: set by the reactor over our WAIT) back
    /// to `NIL`, then wakes the other tasks that were parked in `waiters`
    /// (the readiness or error that stopped us concerns them too, and nobody
    /// else will wake them) and drops our own waker. If the CAS fails the
    /// word already says something newer (a fresh READY, or another
    /// registrant), which is left as it is. Go: the `gpp.Swap(pdNil)` after
    /// `gopark`.
    fn give_up(&self, mut waiters: Box<Waiters>, own: &Waker, from: *mut Waiters) {
        let mut others = std::mem::take(&mut *waiters);
        self.recycle(waiters);
        let _ = self.state.compare_exchange(from, NIL, AcqRel, Acquire);
        others.wake_others(own);
    }

    /// Reports readiness: Go's `netpollunblock(pd, mode, ioready=true)`.
    ///
    /// Moves the wakers of the parked tasks into `out` (to be woken outside
    /// any lock) and returns whether there were any. The single `swap` is the
    /// whole protocol: `NIL → READY` latches readiness for the next poll,
    /// `WAIT → READY` makes the registrant's commit fail so it returns ready,
    /// `READY → READY` leaves the latch set, and `PARKED → READY` hands us
    /// the box. Being a read-modify-write even when the state is already
    /// `READY` matters: it orders a closer's flag store before any later
    /// registrant's check.
    pub(crate) fn unblock(&self, out: &mut Vec<Waker>) -> bool {
        let old = self.state.swap(READY, AcqRel);
        if !is_parked(old) {
            return false;
        }
        // SAFETY: `old` is a parked pointer and our swap moved the state
        // word away from it, so by the `state` invariant we own it now.
        let mut waiters = unsafe { Box::from_raw(old) };
        waiters.drain_into(out);
        self.recycle(waiters);
        true
    }

    /// An empty `Waiters` box: the spare if there is one, else a new one.
    fn empty_box(&self) -> Box<Waiters> {
        let spare = self.spare.swap(ptr::null_mut(), Acquire);
        if spare.is_null() {
            Box::default()
        } else {
            // SAFETY: by the `spare` invariant a non-null value came from
            // `Box::into_raw` and our swap took sole ownership of it.
            unsafe { Box::from_raw(spare) }
        }
    }

    /// Keeps an emptied box for the next registration, or frees it if the
    /// spare is taken.
    fn recycle(&self, waiters: Box<Waiters>) {
        debug_assert!(waiters.is_empty(), "recycled a box that still holds wakers");
        let raw = Box::into_raw(waiters);
        if self
            .spare
            .compare_exchange(ptr::null_mut(), raw, Release, Acquire)
            .is_err()
        {
            // SAFETY: the CAS failed, so `raw` was not stored anywhere; it
            // came from `Box::into_raw` just above.
            drop(unsafe { Box::from_raw(raw) });
        }
    }

    /// Consumes latched readiness without waiting; returns whether there
    /// was some. The same `READY → NIL` step that opens `poll_ready` (Go's
    /// `netpollblock` finding `pdReady`), taken *before* the caller's
    /// syscall, so that readiness reported after it is latched anew and
    /// never lost. Any other state is left as it is (a parked or
    /// registering task keeps its place). A plain load first: the common
    /// case, nothing latched, costs no locked instruction.
    pub(crate) fn consume_ready(&self) -> bool {
        self.state.load(Acquire) == READY
            && self
                .state
                .compare_exchange(READY, NIL, AcqRel, Acquire)
                .is_ok()
    }

    /// Go's `poll_runtime_pollReset` (`prepareRead` / `prepareWrite`),
    /// called right before an optimistic syscall: forgets an edge latched
    /// before now, whose bytes that syscall will see anyway, so that its
    /// `EAGAIN` is followed by a park instead of a retry on the stale edge.
    /// Go stores `pdNil` outright (one waiter per direction there); here
    /// other tasks may be parked, so only `READY` is moved (see
    /// [`consume_ready`](Self::consume_ready)).
    pub(crate) fn reset(&self) {
        self.consume_ready();
    }

    /// Whether readiness is latched and not consumed (for tests).
    #[cfg(test)]
    pub(crate) fn is_ready(&self) -> bool {
        self.state.load(Acquire) == READY
    }

    /// Whether a task is parked (for tests).
    #[cfg(test)]
    pub(crate) fn is_parked(&self) -> bool {
        is_parked(self.state.load(Acquire))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // `&mut self`: nobody else can reach the words; the swaps only read
        // them in a way both std and loom accept.
        let state = self.state.swap(NIL, Acquire);
        if is_parked(state) {
            // SAFETY: `&mut self` means no other thread can reach the word,
            // and by the `state` invariant the word owns this box. Its wakers
            // are dropped unwoken: the descriptor is gone.
            drop(unsafe { Box::from_raw(state) });
        }
        let spare = self.spare.swap(ptr::null_mut(), Acquire);
        if !spare.is_null() {
            // SAFETY: by the `spare` invariant the field owns this box.
            drop(unsafe { Box::from_raw(spare) });
        }
    }
}

/// Which branches of the handshake a loom model reached, so that a model
/// can assert it explored the race it is named after. Loom runs a model's
/// threads on the test's own OS thread, so thread-locals count per test.
#[cfg(all(test, loom))]
pub(crate) mod coverage {
    use std::cell::Cell;
    use std::thread::LocalKey;

    thread_local! {
        /// `READY → NIL`: readiness that arrived before the wait.
        pub(crate) static READY_CONSUMED: Cell<usize> = const { Cell::new(0) };
        /// The commit CAS met `READY`: readiness during registration.
        pub(crate) static COMMIT_FAILED: Cell<usize> = const { Cell::new(0) };
        /// A poll met another task's `WAIT`.
        pub(crate) static WAIT_MET: Cell<usize> = const { Cell::new(0) };
    }

    pub(crate) fn hit(counter: &'static LocalKey<Cell<usize>>) {
        counter.with(|c| c.set(c.get() + 1));
    }

    pub(crate) fn get(counter: &'static LocalKey<Cell<usize>>) -> usize {
        counter.with(Cell::get)
    }
}
