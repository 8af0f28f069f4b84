//! Time: tokio's `time` module on per-loop timers.
//!
//! Each event loop keeps its own timer heap ([`Timers`]), which sets the
//! timeout of its `epoll_wait`: a loop with timers and nothing else to do
//! sleeps exactly until the next deadline (millisecond precision, rounded
//! up, never a busy poll). A timer is armed on the loop that first polls it
//! and fires through the same `pdReady`/`pdWait` slot a socket uses, so it
//! may be awaited from any loop afterwards.
//!
//! The executor installs a loop's `Timers` on the loop's thread
//! ([`timers::install`]) and drives it (`next_deadline`, `fire_due`); this
//! module knows nothing of executors.

mod entry;
pub mod error;
mod instant;
mod interval;
mod sleep;
mod timeout;
pub mod timers;

pub use instant::Instant;
pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use std::time::Duration;
pub use timeout::{Timeout, timeout, timeout_at};
pub use timers::Timers;
