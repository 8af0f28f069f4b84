//! The one switch between std's synchronisation primitives and loom's.
//!
//! Every file whose atomics are model-checked (`poll_desc/slot.rs`,
//! `wake_signal.rs`, `queues.rs`) imports them from here, so the same source
//! compiles against std in normal builds and against loom under
//! `RUSTFLAGS="--cfg loom"` (the shape of tokio's `src/loom/`). This file
//! knows nothing about what the primitives protect.

#[cfg(loom)]
pub(crate) use loom::sync::Mutex;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicUsize, Ordering};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, Ordering};
