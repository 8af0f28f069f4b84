//! The one switch between std's atomics and loom's for the executor's
//! model-checked parts (`runtime/main_flag.rs`, `closed_flag.rs`,
//! `serve/ready_queue.rs`), as in the reactor.

#[cfg(loom)]
pub(crate) use loom::sync::Mutex;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, Ordering, fence};

#[cfg(not(loom))]
pub(crate) use std::sync::Mutex;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, Ordering, fence};
