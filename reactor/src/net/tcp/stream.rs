//! `TcpStream`: tokio's, on a lazily registered [`Source`].
//!
//! This file knows TCP stream calls; readiness and registration are
//! `source.rs`'s, the byte-stream traits `stream_io.rs`'s, `split` and
//! `into_split` `split.rs`'s.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsFd;
use std::task::{Context, Poll};
use std::time::Duration;

use super::socket::TcpSocket;
use crate::net::addr::{ToSocketAddrs, each_addr};
use crate::net::delegate::{forward_to_std, impl_source_traits};
use crate::net::readiness::{readiness_methods, stream_try_methods};
use crate::net::source::Source;
use crate::net::stream_io::impl_stream_io;
use crate::sys::{self, socket::SockOpt};

/// A TCP connection.
///
/// Reads and writes are optimistic: the syscall is tried first, and the
/// task waits in the socket's descriptor only on `EAGAIN`. The socket joins
/// the poller of the loop that first waits on it, so a stream accepted on
/// one loop and moved into a task on another is served by the second.
///
/// Implements `futures::io::{AsyncRead, AsyncWrite}` (for `TcpStream` and
/// `&TcpStream`), and tokio's with the `tokio` feature. Closing (or
/// `shutdown`) shuts the write direction down; dropping closes the socket.
pub struct TcpStream {
    pub(super) source: Source<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, trying each address it resolves to in turn
    /// (tokio's `TcpStream::connect`).
    ///
    /// # Errors
    ///
    /// The last address's error (`ConnectionRefused`, `TimedOut`, ...), or
    /// `InvalidInput` when `addr` resolves to nothing.
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        each_addr(&addr, |addr| async move {
            TcpSocket::new_for_addr(&addr)?.connect(addr).await
        })
        .await
    }

    pub(crate) fn from_source_std(stream: std::net::TcpStream) -> TcpStream {
        TcpStream {
            source: Source::new(stream),
        }
    }

    /// Wraps a std stream, switching it to nonblocking mode (tokio asks its
    /// caller to do that; netloop does it).
    ///
    /// # Errors
    ///
    /// Setting nonblocking mode failed.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream::from_source_std(stream))
    }

    /// Deregisters the stream and returns it as a std stream, still in
    /// nonblocking mode (as tokio does).
    ///
    /// # Errors
    ///
    /// Never, today; the signature is tokio's.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(self.source.into_inner())
    }

    forward_to_std! {
        /// The local address.
        ///
        /// # Errors
        ///
        /// The `getsockname` error.
        pub fn local_addr(&self) -> io::Result<SocketAddr>;

        /// The peer's address.
        ///
        /// # Errors
        ///
        /// `NotConnected` once the peer is gone, or another `getpeername` error.
        pub fn peer_addr(&self) -> io::Result<SocketAddr>;

        /// Takes the socket's pending error (`SO_ERROR`).
        ///
        /// # Errors
        ///
        /// The `getsockopt` error.
        pub fn take_error(&self) -> io::Result<Option<io::Error>>;

        /// Sets `TCP_NODELAY` (Nagle's algorithm off when `true`).
        ///
        /// # Errors
        ///
        /// The `setsockopt` error.
        pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()>;

        /// Whether `TCP_NODELAY` is set.
        ///
        /// # Errors
        ///
        /// The `getsockopt` error.
        pub fn nodelay(&self) -> io::Result<bool>;
    }

    /// Shuts down the read, write or both directions (std's `shutdown`).
    ///
    /// # Errors
    ///
    /// The `shutdown` error (`NotConnected` when the peer is gone).
    pub fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }

    /// Sets `TCP_QUICKACK` (Linux: acknowledge at once rather than delay).
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn set_quickack(&self, quickack: bool) -> io::Result<()> {
        sys::socket::setsockopt_int(self.as_fd(), SockOpt::TCP_QUICKACK, i32::from(quickack))
    }

    /// Whether `TCP_QUICKACK` is set.
    ///
    /// # Errors
    ///
    /// The `getsockopt` error.
    pub fn quickack(&self) -> io::Result<bool> {
        Ok(sys::socket::getsockopt_int(self.as_fd(), SockOpt::TCP_QUICKACK)? != 0)
    }

    forward_to_std! {
        /// Sets `IP_TTL`.
        ///
        /// # Errors
        ///
        /// The `setsockopt` error.
        pub fn set_ttl(&self, ttl: u32) -> io::Result<()>;

        /// `IP_TTL`.
        ///
        /// # Errors
        ///
        /// The `getsockopt` error.
        pub fn ttl(&self) -> io::Result<u32>;
    }

    /// Sets `SO_LINGER`. `Some(Duration::ZERO)` makes closing reset the
    /// connection (the peer sees `ConnectionReset`).
    ///
    /// Deprecated, as tokio's is: a nonzero linger makes dropping the
    /// stream block the thread (a whole event loop) until the unsent data
    /// is sent or the time runs out. Shut writing down and read to EOF
    /// instead; for an abortive close, use
    /// [`set_zero_linger`](Self::set_zero_linger), which does not block.
    /// Kept, as tokio keeps it.
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    #[deprecated = "`SO_LINGER` causes the socket to block the thread on drop"]
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        sys::socket::set_linger(self.as_fd(), linger)
    }

    /// Sets a linger of zero (`SO_LINGER` on, 0 s; tokio's
    /// `set_zero_linger`): dropping the stream then aborts the connection —
    /// a `RST` instead of the `FIN` handshake, unsent data discarded, no
    /// `TIME_WAIT` — and the peer's next read fails with
    /// `ConnectionReset`. Dropping does not block.
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn set_zero_linger(&self) -> io::Result<()> {
        sys::socket::set_linger(self.as_fd(), Some(Duration::ZERO))
    }

    /// `SO_LINGER`.
    ///
    /// # Errors
    ///
    /// The `getsockopt` error.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        sys::socket::linger(self.as_fd())
    }

    /// Receives into `buf` without removing the data from the socket's
    /// queue, waiting until there is some (tokio's `peek`).
    ///
    /// # Errors
    ///
    /// The socket's error.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.peek(buf).await
    }

    /// Polls a [`peek`](Self::peek) into `buf`.
    pub fn poll_peek_slice(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.source.poll_peek(cx, buf)
    }

    /// Polls a [`peek`](Self::peek) into tokio's `ReadBuf` (tokio's
    /// `poll_peek`).
    #[cfg(feature = "tokio")]
    pub fn poll_peek(
        &self,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<usize>> {
        self.source.poll_peek_buf(cx, buf)
    }

    readiness_methods!(self => self.source);
    stream_try_methods!(self => self.source);
}

impl_stream_io!(TcpStream);
impl_source_traits!(TcpStream, std::net::TcpStream);
