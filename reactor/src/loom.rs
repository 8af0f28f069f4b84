//! The one switch between std's synchronisation primitives and loom's.
//!
//! Every file whose atomics are model-checked (`poll_desc/slot.rs`,
//! `wake_signal.rs`, `queues.rs`, `time/fire_cell.rs`) imports them from here, so the same source
//! compiles against std in normal builds and against loom under
//! `RUSTFLAGS="--cfg loom"` (the shape of tokio's `src/loom/`). This file
//! knows nothing about what the primitives protect.

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(loom)]
pub(crate) use loom::sync::Mutex;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU8, AtomicU32, AtomicUsize, Ordering,
};

/// Only the tests' counting waker (`test_waker.rs`) uses it outside loom.
#[cfg(all(not(loom), test))]
pub(crate) use std::sync::atomic::AtomicUsize;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicU32, Ordering};

/// std's `UnsafeCell` behind loom's closure API (`with_mut`), so that a
/// cell's accesses compile unchanged against loom, which checks them.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Calls `f` with a pointer to the value; what `f` may do with it is
    /// the caller's `unsafe` to argue.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
