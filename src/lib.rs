//! netloop: an async runtime for Linux built from gnet-style event loops.
//!
//! Every event loop is one OS thread that owns one epoll poller and one small
//! executor. Futures wait for I/O in a per-descriptor [`reactor::PollDesc`]
//! modelled on Go's netpoll `pollDesc`, and the public API will use tokio's
//! names (`netloop::net`, `netloop::time`, `netloop::task`,
//! `netloop::runtime`) so a tokio test suite can move over by changing a crate
//! path.
//!
//! The facade owns no logic: it only arranges the workspace crates on their
//! public paths. Today the reactor core is available as [`reactor`]; the
//! runtime, networking and time modules arrive with their issues.

pub use netloop_reactor as reactor;
