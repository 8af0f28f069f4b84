//! Tasks: spawning, joining, aborting — tokio's `task` module.
//!
//! A task never leaves the loop it starts on. [`spawn`] picks that loop
//! with the runtime's balancer (also from inside a loop: that is how a plain
//! accept-and-spawn server spreads its connections over the loops, gnet's
//! way; `Builder::spawn_at_home` keeps in-loop spawns at home instead),
//! [`spawn_local`] keeps a `!Send` future on the current loop, and
//! [`Handle::spawn_on`](crate::runtime::Handle::spawn_on) names the loop.

mod block_in_place;
mod core;
mod id;
mod join_error;
mod join_handle;
mod join_set;
mod local_set;
mod task_local;
mod unconstrained;
mod yield_now;

pub(crate) use self::core::{Header, TaskFuture};
pub use block_in_place::block_in_place;
pub use id::{Id, id, try_id};
pub use join_error::JoinError;
pub use join_handle::{AbortHandle, JoinHandle};
pub use join_set::JoinSet;
pub use local_set::{LocalEnterGuard, LocalSet};
pub use task_local::{AccessError, LocalKey, TaskLocalFuture};
pub use unconstrained::{Unconstrained, consume_budget, unconstrained};
pub use yield_now::yield_now;

use std::future::Future;

use crate::runtime::Handle;

/// Spawns a `Send` future onto one of the current runtime's loops, chosen by
/// its balancer (or this loop, with `Builder::spawn_at_home`).
///
/// # Panics
///
/// Panics when called outside a netloop runtime (neither on one of its
/// loops, nor inside `block_on` or `Runtime::enter`).
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Handle::current().spawn(future)
}

/// Runs `f` on the current runtime's blocking pool, away from the event
/// loops (see [`Handle::spawn_blocking`]).
///
/// # Panics
///
/// Panics when called outside a netloop runtime.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Handle::current().spawn_blocking(f)
}

/// Spawns a `!Send` future onto the loop running on this thread — or onto
/// the current [`LocalSet`]: one entered with [`LocalSet::enter`], or the
/// set whose task (or `run_until` future) is running.
///
/// # Panics
///
/// Panics when this thread runs no netloop event loop (outside of a task or
/// of a current-thread runtime's `block_on`) and has no current set.
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match local_set::spawn_on_current(future) {
        Ok(handle) => handle,
        Err(future) => crate::schedule::spawn_local(future),
    }
}
