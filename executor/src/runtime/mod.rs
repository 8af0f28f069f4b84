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
mod main_flag;
#[allow(clippy::module_inception)]
mod runtime;

pub use builder::Builder;
pub(crate) use builder::Callback;
pub(crate) use handle::RuntimeShared;
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use runtime::Runtime;
