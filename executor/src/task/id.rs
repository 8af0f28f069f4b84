//! Task ids: unique for the life of the process, as tokio's `task::Id`.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// An opaque id that names a task uniquely among all tasks ever spawned in
/// this process.
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq, Ord, PartialOrd)]
pub struct Id(u64);

impl Id {
    pub(crate) fn next() -> Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Id(NEXT.fetch_add(1, Relaxed))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
