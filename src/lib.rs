//! netloop: an async runtime for Linux built from gnet-style event loops.
//!
//! Every event loop is one OS thread that owns one epoll poller and one small
//! executor. Futures wait for I/O in a per-descriptor [`reactor::PollDesc`]
//! modelled on Go's netpoll `pollDesc`, and the public API uses tokio's names
//! (`netloop::runtime`, `netloop::task`, `netloop::time`, `netloop::spawn`;
//! `net` arrives with its issue), so a tokio test suite can move over by
//! changing a crate path.
//!
//! ```
//! let rt = netloop::runtime::Builder::new_multi_thread().worker_threads(4).build()?;
//! rt.block_on(async {
//!     // Each task runs on one of the 4 loops for its whole life.
//!     let on = rt.handle().spawn_on(2, async { netloop::runtime::Handle::current().loops() });
//!     assert_eq!(on.await.unwrap(), 4);
//!     let job = netloop::spawn(async { 6 * 7 });
//!     assert_eq!(job.await.unwrap(), 42);
//! });
//! # std::io::Result::Ok(())
//! ```
//!
//! The facade owns no logic: it only arranges the workspace crates on their
//! public paths.

pub use netloop_executor::task::spawn;
pub use netloop_executor::task_local;
#[cfg(feature = "macros")]
pub use netloop_macros::{main, test};
pub use netloop_reactor as reactor;

/// Networking: tokio's TCP, UDP and Unix (stream and datagram) socket
/// types, with Go's per-connection deadlines.
pub mod net {
    pub use netloop_executor::{
        Action, Conn, Handler, Server, TrafficHandler, serve, serve_reuseport, serve_traffic,
        serve_traffic_reuseport,
    };
    pub use netloop_reactor::net::*;
}

/// tokio's readiness types, [`Interest`](io::Interest) and
/// [`Ready`](io::Ready).
pub mod io {
    pub use netloop_reactor::io::{Interest, Ready};
}

/// The runtime: tokio's `Builder`, `Runtime` and `Handle`, plus netloop's
/// load balancers and per-loop counters.
pub mod runtime {
    pub use netloop_executor::runtime::*;
    pub use netloop_executor::{
        Balancer, LeastConnections, Loads, LoopStats, RoundRobin, SourceAddrHash,
    };
}

/// Time: tokio's `time` module, on per-loop timers.
pub mod time {
    pub use netloop_reactor::time::{
        Duration, Instant, Interval, MissedTickBehavior, Sleep, Timeout, advance, interval,
        interval_at, pause, resume, sleep, sleep_until, timeout, timeout_at,
    };

    /// Time errors.
    pub mod error {
        pub use netloop_reactor::time::error::Elapsed;
    }
}

/// Tasks: tokio's `task` module.
pub mod task {
    pub use netloop_executor::task::*;
}

/// The README's code blocks, compiled and run as doctests so that they stay
/// true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
