//! Time: tokio's `time` module on per-loop timers.
//!
//! Each event loop keeps its own timing wheel ([`Timers`]), which sets the
//! timeout of its `epoll_wait`: a loop with timers and nothing else to do
//! sleeps until the millisecond tick of the next deadline (deadlines are
//! rounded up to the millisecond, as tokio's; never a busy poll). A timer
//! is armed on the loop that first polls it — first polled on a thread that
//! runs no loop but entered a runtime (a foreign executor inside
//! `Runtime::enter`), on one of that runtime's loops, through its remote
//! queue; firing wakes its waiter through the entry's one-shot waker cell
//! (`fire_cell.rs`), so it may be awaited from any thread afterwards.
//!
//! Time can be paused for tests on a current-thread runtime
//! ([`pause`], [`resume`], [`advance`], `Builder::start_paused`). A paused
//! loop with nothing to run first polls the network without waiting; if no
//! I/O event arrived, it jumps its clock to the next timer instead of
//! sleeping (tokio's auto-advance). So with time paused, a timer can fire
//! before I/O that real time would have delivered first: a test waiting on
//! a real socket and a timeout should resume time, or use generous
//! timeouts.
//!
//! The executor installs a loop's `Timers` on the loop's thread
//! ([`timers::install`]) and drives it (`next_deadline`, `fire_due`); this
//! module knows nothing of executors.

mod clock;
pub(crate) mod entry;
pub mod error;
mod fire_cell;
mod instant;
mod interval;
#[cfg(all(test, loom))]
mod loom_fire_cell;
mod pause;
mod sleep;
mod timeout;
pub mod timers;
mod wheel;

pub use instant::Instant;
pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use pause::{advance, pause, resume};
pub use sleep::{Sleep, sleep, sleep_until};
pub use std::time::Duration;
pub use timeout::{Timeout, timeout, timeout_at};
pub use timers::Timers;
