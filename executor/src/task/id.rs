//! Task ids: unique for the life of the process, as tokio's `task::Id`.

use std::cell::Cell;
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

thread_local! {
    /// The id of the task being polled on this thread.
    static CURRENT: Cell<Option<Id>> = const { Cell::new(None) };
}

/// Runs `f` (one poll of task `id`) with `id` as the current task.
pub(crate) fn with_current<R>(id: Id, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Id>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(Some(id))));
    f()
}

/// The id of the task this code runs in (tokio's `task::id`).
///
/// # Panics
///
/// Panics outside of a task (in `block_on`'s own future, or on a plain
/// thread).
#[track_caller]
pub fn id() -> Id {
    try_id().expect("`task::id()` called outside of a task")
}

/// The id of the task this code runs in, if it runs in one.
pub fn try_id() -> Option<Id> {
    CURRENT.try_with(Cell::get).ok().flatten()
}
