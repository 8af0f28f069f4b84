//! Runtime ids and flavors: what `Handle::id` and `Handle::runtime_flavor`
//! answer (tokio's `runtime::Id` and `RuntimeFlavor`).
//!
//! This file knows nothing of loops or tasks.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// An opaque id naming one runtime uniquely among all runtimes built in
/// this process (tokio's `runtime::Id`). Shown by `Display` as a number.
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq)]
pub struct Id(NonZeroU64);

impl Id {
    pub(crate) fn next() -> Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Relaxed);
        // 2^64 runtimes are never built; a wrapped counter would be the
        // only way to reach 0.
        Id(NonZeroU64::new(n).expect("runtime ids exhausted"))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which kind of runtime a handle belongs to (tokio's `RuntimeFlavor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// `Builder::new_current_thread()`: one loop, driven by `block_on`.
    CurrentThread,
    /// `Builder::new_multi_thread()`: loops on threads of their own
    /// (without work stealing: each task stays on its loop).
    MultiThread,
}
