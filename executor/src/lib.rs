//! netloop's executors: one small executor per event loop, and the
//! tokio-shaped runtime around them.
//!
//! Every event loop is one thread running Go's `schedule()` /
//! `findrunnable()` over a local run queue and its reactor's `Poller`
//! (`../shared/DESIGN.md` §3). A task never leaves the loop it starts on;
//! woken there it is queued locally without atomics, woken elsewhere it goes
//! through the loop's remote queue and wake signal.
//!
//! ```
//! use netloop_executor::runtime::Builder;
//! use netloop_executor::task;
//!
//! let rt = Builder::new_multi_thread().worker_threads(2).build()?;
//! let sum = rt.block_on(async {
//!     let handles: Vec<_> = (0..4u64).map(|i| task::spawn(async move { i * i })).collect();
//!     let mut sum = 0;
//!     for handle in handles {
//!         sum += handle.await.unwrap();
//!     }
//!     sum
//! });
//! assert_eq!(sum, 14);
//! # std::io::Result::Ok(())
//! ```
//!
//! This crate drives `netloop-reactor` and is the only one that knows what
//! a task is; the reactor below it only ever sees `Waker`s.

#![doc(test(attr(deny(warnings))))]

mod balancer;
mod blocking;
mod busy_slice;
mod closed_flag;
mod context;
mod event_loop;
mod io_context;
mod loom;
pub mod runtime;
mod schedule;
mod serve;
pub mod task;

pub use balancer::{Balancer, LeastConnections, Loads, RoundRobin, SourceAddrHash};
pub use event_loop::LoopStats;
pub use serve::{
    Action, Conn, Handler, Server, TrafficHandler, serve, serve_reuseport, serve_traffic,
    serve_traffic_reuseport,
};
