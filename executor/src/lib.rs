//! netloop's executors: one small executor per event loop.
//!
//! This crate will own the `EventLoop` (a thread running Go's
//! `schedule()`/`findrunnable()` over a local run queue and its `Poller`), the
//! tokio-shaped `Runtime`, `Builder` and `Handle`, `spawn*`, `JoinHandle`, the
//! load balancer and the blocking pool (`../shared/DESIGN.md` §3).
//!
//! It drives `netloop-reactor` and must stay the only crate that knows what a
//! task is; the reactor below it only ever sees `Waker`s.
//!
//! Nothing is built here yet: the executor issue fills it in.
