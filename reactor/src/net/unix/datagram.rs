//! `UnixDatagram`: tokio's, on a lazily registered [`Source`].
//!
//! Every receive is one `recv` / `recvfrom` (a whole datagram, truncated to
//! the buffer), every send one `send` / `sendto`; `EAGAIN` waits in the
//! read or write slot. A Unix datagram send waits when the *receiver's*
//! queue is full, so `send` can wait even with an empty local buffer.
//!
//! This file knows Unix datagram calls; readiness and registration are
//! `source.rs`'s.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::task::{Context, Poll};

use super::SocketAddr;
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

    /// Polls for read readiness (tokio's `poll_recv_ready`; the same as
    /// `poll_read_ready`).
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source.poll_ready(Direction::Read, cx)
    }

    /// Polls for write readiness (tokio's `poll_send_ready`; the same as
    /// `poll_write_ready`).
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source.poll_ready(Direction::Write, cx)
    }

    /// Sends `buf` as one datagram to the connected peer, waiting while
    /// the peer's queue is full (tokio's `send`).
    ///
    /// # Errors
    ///
    /// `NotConnected` without a peer, `ConnectionRefused` once the peer is
    /// gone, the write deadline, or another `send` error.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.source
            .async_io(Direction::Write, |io| sys::io::send(io.as_fd(), buf))
            .await
    }

    /// Polls a [`send`](Self::send) (tokio's `poll_send`).
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.source.poll_send(cx, buf)
    }

    /// Sends to the connected peer without waiting (tokio's `try_send`).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the peer's queue is full, or as for `send`.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.source
            .try_io(Direction::Write, |io| sys::io::send(io.as_fd(), buf))
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

    /// Receives one datagram from the connected peer into `buf`, waiting
    /// until there is one (tokio's `recv`). A datagram longer than `buf`
    /// is truncated.
    ///
    /// # Errors
    ///
    /// `TimedOut` once the read deadline passed, or the `recv` error.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source
            .async_io(Direction::Read, |io| sys::io::recv(io.as_fd(), buf))
            .await
    }

    /// Polls a [`recv`](Self::recv) into a byte slice (tokio's
    /// `poll_recv`, minus tokio's `ReadBuf`).
    pub fn poll_recv_slice(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.source.poll_recv(cx, buf)
    }

    /// Polls a [`recv`](Self::recv) into tokio's `ReadBuf` (tokio's
    /// `poll_recv`).
    #[cfg(feature = "tokio")]
    pub fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.source.poll_recv_buf(cx, buf)
    }

    /// Receives one datagram without waiting (tokio's `try_recv`).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when none is queued, or as for `recv`.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source
            .try_io(Direction::Read, |io| sys::io::recv(io.as_fd(), buf))
    }

    /// Receives one datagram into `buf` and says who sent it (unnamed for
    /// an unbound sender), waiting until there is one (tokio's
    /// `recv_from`).
    ///
    /// # Errors
    ///
    /// `TimedOut` once the read deadline passed, or the `recvfrom` error.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source
            .async_io(Direction::Read, |io| io.recv_from(buf))
            .await
    }

    /// Polls a [`recv_from`](Self::recv_from) into a byte slice (tokio's
    /// `poll_recv_from`, minus tokio's `ReadBuf`).
    pub fn poll_recv_from_slice(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.source
            .poll_io(Direction::Read, cx, |io| io.recv_from(buf))
    }

    /// Polls a [`recv_from`](Self::recv_from) into tokio's `ReadBuf`
    /// (tokio's `poll_recv_from`).
    #[cfg(feature = "tokio")]
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        let (n, from) =
            std::task::ready!(self.poll_recv_from_slice(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(from))
    }

    /// Receives one datagram without waiting (tokio's `try_recv_from`).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when none is queued, or the `recvfrom` error.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source.try_io(Direction::Read, |io| io.recv_from(buf))
    }

    /// Receives one datagram from the connected peer into `buf`'s spare
    /// capacity, advancing `buf` by its length, without waiting (tokio's
    /// `try_recv_buf`; the `tokio` feature). The spare capacity may be
    /// uninitialised: the kernel writes into it directly. A datagram longer
    /// than the spare capacity is truncated.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when none is queued, or as for `recv`.
    #[cfg(feature = "tokio")]
    pub fn try_recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.source
            .try_io(Direction::Read, |io| crate::net::buf::recv(io.as_fd(), buf))
    }

    /// Receives one datagram from the connected peer into `buf`'s spare
    /// capacity, advancing `buf` by its length, waiting until there is one
    /// (tokio's `recv_buf`; the `tokio` feature). A datagram longer than the
    /// spare capacity is truncated.
    ///
    /// # Errors
    ///
    /// As for `recv`.
    #[cfg(feature = "tokio")]
    pub async fn recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.source
            .async_io(Direction::Read, |io| crate::net::buf::recv(io.as_fd(), buf))
            .await
    }

    /// Receives one datagram into `buf`'s spare capacity, advancing `buf`
    /// by its length, and says who sent it, without waiting (tokio's
    /// `try_recv_buf_from`; the `tokio` feature). A datagram longer than
    /// the spare capacity is truncated.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when none is queued, or as for `recv_from`.
    #[cfg(feature = "tokio")]
    pub fn try_recv_buf_from<B: bytes::BufMut>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        self.source.try_io(Direction::Read, |io| {
            crate::net::buf::recv_from_unix(io.as_fd(), buf)
        })
    }

    /// Receives one datagram into `buf`'s spare capacity, advancing `buf`
    /// by its length, and says who sent it, waiting until there is one
    /// (tokio's `recv_buf_from`; the `tokio` feature). A datagram longer
    /// than the spare capacity is truncated.
    ///
    /// # Errors
    ///
    /// As for `recv_from`.
    #[cfg(feature = "tokio")]
    pub async fn recv_buf_from<B: bytes::BufMut>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        self.source
            .async_io(Direction::Read, |io| {
                crate::net::buf::recv_from_unix(io.as_fd(), buf)
            })
            .await
    }

    /// The local address (unnamed unless bound).
    ///
    /// # Errors
    ///
    /// The `getsockname` error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` without a peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`).
    ///
    /// # Errors
    ///
    /// The `getsockopt` error.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.source.get_ref().take_error()
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

impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    fn try_from(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(socket)
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.fd()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.source.fd().as_raw_fd()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.get_ref().fmt(f)
    }
}
