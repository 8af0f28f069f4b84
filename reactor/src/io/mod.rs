//! `netloop::io`: tokio's [`Interest`] and [`Ready`], the readiness
//! vocabulary of `ready()` / `readable()` / `writable()` on sockets.
//!
//! This module knows bit sets, not sockets.

mod interest;
mod ready;

pub use interest::Interest;
pub use ready::Ready;
