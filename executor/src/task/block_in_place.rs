//! `block_in_place`, with thread-per-core semantics.

/// Runs the blocking function `f` on the current thread.
///
/// tokio's multi-thread scheduler hands the other tasks of the worker to
/// another thread first. netloop's loops do not steal work, so here the
/// loop running this task — and every other task on that loop — waits
/// until `f` returns. The call exists so that tokio code runs unchanged;
/// where a loop must stay responsive, use
/// [`spawn_blocking`](super::spawn_blocking) instead. Unlike tokio, it does
/// not panic on a current-thread runtime: it blocks that runtime's one loop
/// the same way.
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    f()
}
