//! netloop's I/O driver: the epoll [`Poller`], its wake fd and remote task
//! queues, and the per-descriptor [`PollDesc`] whose read and write slots
//! follow Go's netpoll `pdReady` / `pdWait` handshake.
//!
//! The reactor knows nothing of tasks or executors: it takes `Waker`s and
//! wakes them, and queues whatever `T` its executor hands it. An executor
//! drives it by calling [`Poller::poll`] and [`Poller::drain_tasks`]; see
//! `DESIGN.md` §2 for the whole picture.
//!
//! ```
//! use std::os::fd::AsFd;
//! use netloop_reactor::{sys, EventBuffer, Poller};
//!
//! let poller: Poller<()> = Poller::new()?;
//! let (reader, writer) = sys::socket::pipe()?;
//! let desc = poller.register(reader.as_fd())?;
//! sys::io::write(writer.as_fd(), b"hi")?;
//! let turn = poller.poll(&mut EventBuffer::default(), None)?;
//! assert_eq!(turn.io_events, 1);
//! poller.deregister(reader.as_fd(), &desc)?;
//! # std::io::Result::Ok(())
//! ```

#![doc(test(attr(deny(warnings))))]

pub mod context;
pub mod coop;
pub mod io;
mod loom;
pub mod net;
mod poll_desc;
mod poller;
mod queues;
mod registry;
mod shutdown;
pub mod sys;
#[cfg(test)]
mod test_waker;
pub mod time;
mod token;
mod wake_signal;

pub use poll_desc::{Direction, PollDesc};
pub use poller::{
    DEFAULT_EVENTS, DEFAULT_NORMAL_BATCH, EventBuffer, MAX_EVENTS, Poller, PollerStats, Turn,
};
pub use queues::Drained;
pub use shutdown::is_shutdown_err;
