//! The runtime: tokio's `Builder`, `Runtime` and `Handle` over netloop's
//! event loops.
//!
//! `Builder::new_multi_thread()` starts N loop threads (one per core by
//! default); `Builder::new_current_thread()` runs one loop on the thread that
//! calls `block_on`. Unlike tokio's multi-thread scheduler there is no work
//! stealing: a task stays on the loop it was spawned on for its whole life,
//! and the balancer decides which loop that is.

mod builder;
mod core;
mod handle;
mod id;
mod main_flag;
mod metrics;
#[allow(clippy::module_inception)]
mod runtime;

pub use builder::Builder;
pub(crate) use builder::Callback;
pub(crate) use handle::RuntimeShared;
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use id::{Id, RuntimeFlavor};
pub use metrics::{RuntimeMetrics, worker_index};
pub use runtime::Runtime;

/// Whether `err` was returned because the event loop of the socket it came
/// from has shut down (tokio's `is_rt_shutdown_err`): the socket was
/// registered with a loop of a runtime since dropped (or shut down), or was
/// about to join one that is shutting down.
///
/// netloop registers a socket with a loop the first time it may have to
/// wait, not when it is created, so a socket never used on the first
/// runtime simply joins the second.
///
/// ```
/// use std::time::Duration;
/// use netloop_executor::runtime::{Builder, is_rt_shutdown_err};
/// use netloop_reactor::net::TcpListener;
/// use netloop_reactor::time::timeout;
///
/// let rt1 = Builder::new_current_thread().build()?;
/// let listener = rt1.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     // An accept that waits registers the listener with rt1's loop.
///     let _ = timeout(Duration::from_millis(1), listener.accept()).await;
///     std::io::Result::Ok(listener)
/// })?;
/// drop(rt1);
///
/// let rt2 = Builder::new_current_thread().build()?;
/// let err = rt2.block_on(listener.accept()).unwrap_err();
/// assert!(is_rt_shutdown_err(&err));
/// assert!(!is_rt_shutdown_err(&std::io::Error::other("some other error")));
/// # std::io::Result::Ok(())
/// ```
pub fn is_rt_shutdown_err(err: &std::io::Error) -> bool {
    netloop_reactor::is_shutdown_err(err)
}
