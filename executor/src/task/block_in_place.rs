//! `block_in_place`, with thread-per-core semantics.

/// Runs the blocking function `f` on the current thread.
///
/// tokio's multi-thread scheduler hands the other tasks of the worker to
/// another thread first. netloop's loops do not steal work, so here the
/// loop running this task — and every other task on that loop — waits
/// until `f` returns. The call exists so that tokio code runs unchanged;
/// where a loop must stay responsive, use
/// [`spawn_blocking`](super::spawn_blocking) instead. Inside `f` the thread
/// counts as one that runs no loop (with the runtime entered), so
/// `Handle::current().block_on(..)` works there, as in tokio. Unlike tokio,
/// it does not panic on a current-thread runtime: it blocks that runtime's
/// one loop the same way (though `block_on` inside it still panics there,
/// since that thread is inside `block_on` already).
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    crate::context::suspend_loop(f)
}
