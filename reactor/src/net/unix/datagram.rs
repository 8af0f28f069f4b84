//! `UnixDatagram`: tokio's, on a lazily registered [`Source`].
//!
//! Every receive is one `recv` / `recvfrom` (a whole datagram, truncated to
//! the buffer), every send one `send` / `sendto`; `EAGAIN` waits in the
//! read or write slot. A Unix datagram send waits when the *receiver's*
//! queue is full, so `send` can wait even with an empty local buffer. The
//! connected `send` / `recv` and the `recv_from` families come from
//! `datagram_io.rs`'s `datagram_methods!`.
//!
//! This file knows Unix datagram calls and addresses; readiness and
//! registration are `source.rs`'s.

use std::io;
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::path::Path;
use std::task::{Context, Poll};

use super::SocketAddr;
use crate::net::datagram_io::datagram_methods;
use crate::net::delegate::{forward_to_std, impl_source_traits};
use crate::net::readiness::readiness_methods;
use crate::net::source::Source;
use crate::poll_desc::Direction;
use crate::sys::{self, socket::SockType};

/// A Unix domain datagram socket (tokio's `UnixDatagram`).
///
/// Bound to a path ([`bind`](Self::bind)) it can be sent to; unbound
/// ([`unbound`](Self::unbound)) it can only send, or talk to the peer of a
/// [`pair`](Self::pair) or of [`connect`](Self::connect). All methods take
/// `&self`. Dropping a bound socket leaves its path in the file system.
pub struct UnixDatagram {
    source: Source<std::os::unix::net::UnixDatagram>,
}

impl UnixDatagram {
    pub(crate) fn from_source_std(socket: std::os::unix::net::UnixDatagram) -> UnixDatagram {
        UnixDatagram {
            source: Source::new(socket),
        }
    }

    /// A socket bound to `path` (tokio's `bind`).
    ///
    /// # Errors
    ///
    /// `AddrInUse` when `path` exists, `NotFound` for a missing directory,
    /// `InvalidInput` for a path too long for `sun_path`, ...
    ///
    /// A path starting with a NUL byte names a Linux abstract socket.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        UnixDatagram::bind_addr(&super::addr_of(path.as_ref())?)
    }

    /// A socket bound to `addr`, a path or a Linux abstract name.
    ///
    /// # Errors
    ///
    /// As for `bind`.
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::bind_addr(addr)?)
    }

    /// A connected pair of unnamed sockets (tokio's `pair`).
    ///
    /// # Errors
    ///
    /// The `socketpair` error (`EMFILE`, ...).
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = sys::socket::socketpair(SockType::Datagram)?;
        // Writable from the start, as tokio's pairs are.
        let writable = |fd: std::os::fd::OwnedFd| UnixDatagram {
            source: Source::new(fd.into()).assume_ready(false, true),
        };
        Ok((writable(a), writable(b)))
    }

    /// A socket bound to no address (tokio's `unbound`): it can send with
    /// [`send_to`](Self::send_to), or `connect` and then `send`.
    ///
    /// # Errors
    ///
    /// The `socket` error.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// Wraps a std socket, switching it to nonblocking mode.
    ///
    /// # Errors
    ///
    /// Setting nonblocking mode failed.
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram::from_source_std(socket))
    }

    /// Deregisters the socket and returns it as a std socket, still in
    /// nonblocking mode (as tokio does).
    ///
    /// # Errors
    ///
    /// Never, today; the signature is tokio's.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        Ok(self.source.into_inner())
    }

    /// Connects the socket to the one bound at `path` (tokio's `connect`):
    /// `send` then goes there, and only datagrams from there are received.
    /// A datagram connect does not wait.
    ///
    /// # Errors
    ///
    /// `NotFound` when nothing is bound at `path`, ...
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.source
            .get_ref()
            .connect_addr(&super::addr_of(path.as_ref())?)
    }

    datagram_methods! { self => self.source, from: SocketAddr, buf_from: recv_from_unix;
        /// Sends `buf` as one datagram to the connected peer, waiting while
        /// the peer's queue is full (tokio's `send`).
        ///
        /// # Errors
        ///
        /// `NotConnected` without a peer, `ConnectionRefused` once the peer is
        /// gone, the write deadline, or another `send` error.
        send;

        /// Sends to the connected peer without waiting (tokio's `try_send`).
        ///
        /// # Errors
        ///
        /// `WouldBlock` when the peer's queue is full, or as for `send`.
        try_send;

        /// Receives one datagram from the connected peer into `buf`, waiting
        /// until there is one (tokio's `recv`). A datagram longer than `buf`
        /// is truncated.
        ///
        /// # Errors
        ///
        /// `TimedOut` once the read deadline passed, or the `recv` error.
        recv;

        /// Receives one datagram into `buf` and says who sent it (unnamed for
        /// an unbound sender), waiting until there is one (tokio's
        /// `recv_from`).
        ///
        /// # Errors
        ///
        /// `TimedOut` once the read deadline passed, or the `recvfrom` error.
        recv_from;
    }

    /// Sends `buf` as one datagram to the socket bound at `target`, waiting
    /// while its queue is full (tokio's `send_to`).
    ///
    /// # Errors
    ///
    /// `NotFound` when nothing is bound at `target`, the write deadline, or
    /// another `sendto` error.
    pub async fn send_to<P: AsRef<Path>>(&self, buf: &[u8], target: P) -> io::Result<usize> {
        let target = super::addr_of(target.as_ref())?;
        self.source
            .async_io(Direction::Write, |io| io.send_to_addr(buf, &target))
            .await
    }

    /// Polls a [`send_to`](Self::send_to) (tokio's `poll_send_to`).
    pub fn poll_send_to<P: AsRef<Path>>(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: P,
    ) -> Poll<io::Result<usize>> {
        let target = super::addr_of(target.as_ref())?;
        self.source
            .poll_io(Direction::Write, cx, |io| io.send_to_addr(buf, &target))
    }

    /// Sends to `target` without waiting (tokio's `try_send_to`).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when its queue is full, or as for `send_to`.
    pub fn try_send_to<P: AsRef<Path>>(&self, buf: &[u8], target: P) -> io::Result<usize> {
        let target = super::addr_of(target.as_ref())?;
        self.source
            .try_io(Direction::Write, |io| io.send_to_addr(buf, &target))
    }

    forward_to_std! {
        /// The local address (unnamed unless bound).
        ///
        /// # Errors
        ///
        /// The `getsockname` error.
        pub fn local_addr(&self) -> io::Result<SocketAddr>;

        /// The connected peer's address.
        ///
        /// # Errors
        ///
        /// `NotConnected` without a peer.
        pub fn peer_addr(&self) -> io::Result<SocketAddr>;

        /// Takes the socket's pending error (`SO_ERROR`).
        ///
        /// # Errors
        ///
        /// The `getsockopt` error.
        pub fn take_error(&self) -> io::Result<Option<io::Error>>;
    }

    /// Shuts down the read, write or both directions (tokio's `shutdown`).
    ///
    /// # Errors
    ///
    /// The `shutdown` error.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        sys::io::shutdown(self.as_fd(), how)
    }

    readiness_methods!(self => self.source);
}

impl_source_traits!(UnixDatagram, std::os::unix::net::UnixDatagram);
