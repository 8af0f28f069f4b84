//! The error a socket operation returns because the event loop it is
//! registered with (or would join) has shut down — tokio's "runtime is
//! shutting down" I/O error — and [`is_shutdown_err`], which recognises it.
//!
//! The error is `ErrorKind::Other` wrapping a private marker type, so it can
//! be told apart from any other `Other` error by type rather than by its
//! message.

use std::error::Error;
use std::fmt;
use std::io;

/// The inner error of a loop-shut-down `io::Error`: only this crate makes
/// one.
#[derive(Debug)]
struct LoopShutDown(&'static str);

impl fmt::Display for LoopShutDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Error for LoopShutDown {}

/// The loop-shut-down error, saying `message`.
pub(crate) fn error(message: &'static str) -> io::Error {
    io::Error::other(LoopShutDown(message))
}

/// Whether `err` was returned because the event loop of the socket (the one
/// it is registered with, or the one it would have joined) has shut down:
/// what the runtime's `is_rt_shutdown_err` (tokio's) answers.
pub fn is_shutdown_err(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::Other
        && err
            .get_ref()
            .is_some_and(|inner| inner.is::<LoopShutDown>())
}
