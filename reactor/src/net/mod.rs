//! `netloop::net`: tokio's socket types (TCP, UDP, Unix stream and
//! datagram) on netloop's per-descriptor `PollDesc` slots.
//!
//! Every type wraps a `Source` (`source.rs`): the socket, registered lazily
//! with the poller of the loop that first polls it, and optimistic I/O
//! (try the syscall, wait only on `EAGAIN`). Deadlines are Go's
//! (`set_read_deadline` / `set_write_deadline`).
//!
//! This module knows sockets; it spawns nothing and names no executor (the
//! loop a socket joins comes from [`crate::context`]).

mod accept_backoff;
mod addr;
#[cfg(feature = "tokio")]
mod buf;
mod datagram_io;
mod delegate;
mod readiness;
mod source;
mod split;
mod stream_io;
pub mod tcp;
mod udp;
pub mod unix;

pub use addr::{ToSocketAddrs, lookup_host};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixSocket, UnixStream};

use crate::io::Interest;
use crate::poll_desc::Direction;

/// The slot an `Interest` waits in: read for readable/priority, else write.
pub(crate) fn direction_of(interest: Interest) -> Direction {
    if interest.is_readable() {
        Direction::Read
    } else {
        Direction::Write
    }
}
