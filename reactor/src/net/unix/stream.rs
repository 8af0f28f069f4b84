//! `UnixStream`: tokio's, on a lazily registered [`Source`].
//!
//! `connect` never blocks a loop: the socket is created nonblocking and the
//! connect either completes at once (Linux connects a Unix stream
//! synchronously) or, when the listener's backlog is full (`EAGAIN`), is
//! retried after a pause that doubles from 1 ms up to 100 ms. A connect
//! reported as in progress waits until writable and reads `SO_ERROR`, as
//! `TcpSocket::connect` does.
//!
//! This file knows Unix stream calls; readiness and registration are
//! `source.rs`'s, the byte-stream traits `stream_io.rs`'s, `split` and
//! `into_split` `split.rs`'s.

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{SocketAddr, UCred};
use crate::net::delegate::{forward_to_std, impl_source_traits};
use crate::net::readiness::{readiness_methods, stream_try_methods};
use crate::net::source::Source;
use crate::net::stream_io::impl_stream_io;
use crate::sys::{self, socket::Domain, socket::SockType};

/// The first pause before retrying a connect the listener's full backlog
/// refused.
const FIRST_CONNECT_PAUSE: Duration = Duration::from_millis(1);
/// The longest such pause.
const MAX_CONNECT_PAUSE: Duration = Duration::from_millis(100);

/// A Unix domain stream connection.
///
/// Reads and writes are optimistic: the syscall is tried first, and the
/// task waits in the socket's descriptor only on `EAGAIN`. Implements
/// `futures::io::{AsyncRead, AsyncWrite}` (for `UnixStream` and
/// `&UnixStream`), and tokio's with the `tokio` feature. Closing (or
/// `shutdown`) shuts the write direction down; dropping closes the socket.
pub struct UnixStream {
    pub(super) source: Source<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket bound at `path` (tokio's `connect`).
    ///
    /// # Errors
    ///
    /// `NotFound` when nothing is bound at `path`, `ConnectionRefused` when
    /// the socket there is not listening, `InvalidInput` for a path too long
    /// for `sun_path`, ...
    ///
    /// A path starting with a NUL byte names a Linux abstract socket.
    pub async fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        UnixStream::connect_addr(&super::addr_of(path.as_ref())?).await
    }

    /// Connects to `addr`, a path or a Linux abstract name (tokio's
    /// `connect_addr`).
    ///
    /// # Errors
    ///
    /// As for `connect`; `InvalidInput` for an unnamed `addr`.
    pub async fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
        let fd = sys::socket::socket(Domain::Unix, SockType::Stream)?;
        UnixStream::connect_fd(fd, addr).await
    }

    /// Connects `fd`, a new nonblocking `AF_UNIX` stream socket (perhaps
    /// bound), to `addr`: [`connect_addr`](Self::connect_addr) and
    /// `UnixSocket::connect`.
    pub(crate) async fn connect_fd(fd: OwnedFd, addr: &SocketAddr) -> io::Result<UnixStream> {
        let stream = UnixStream::from_source_std(std::os::unix::net::UnixStream::from(fd));
        let mut pause = FIRST_CONNECT_PAUSE;
        loop {
            match sys::socket::connect_unix(stream.as_fd(), addr) {
                Ok(()) => return Ok(stream),
                Err(e) if sys::socket::is_in_progress(&e) => break,
                // The listener's backlog is full and the socket is still
                // unconnected: nothing to wait on in epoll (an unconnected
                // stream socket reports itself writable), so try again
                // after a pause, as a blocking connect would keep waiting.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    crate::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_CONNECT_PAUSE);
                }
                Err(e) => return Err(e),
            }
        }
        stream
            .source
            .finish_connect(std::os::unix::net::UnixStream::peer_addr)
            .await?;
        Ok(stream)
    }

    pub(crate) fn from_source_std(stream: std::os::unix::net::UnixStream) -> UnixStream {
        UnixStream {
            source: Source::new(stream),
        }
    }

    /// A stream whose readiness starts out assumed (see
    /// `Source::assume_ready`).
    pub(crate) fn assumed_ready(
        stream: std::os::unix::net::UnixStream,
        read: bool,
        write: bool,
    ) -> UnixStream {
        UnixStream {
            source: Source::new(stream).assume_ready(read, write),
        }
    }

    /// Wraps a std stream, switching it to nonblocking mode (tokio asks its
    /// caller to do that; netloop does it).
    ///
    /// # Errors
    ///
    /// Setting nonblocking mode failed.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream::from_source_std(stream))
    }

    /// Deregisters the stream and returns it as a std stream, still in
    /// nonblocking mode (as tokio does).
    ///
    /// # Errors
    ///
    /// Never, today; the signature is tokio's.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        Ok(self.source.into_inner())
    }

    /// A connected pair of unnamed streams (tokio's `pair`).
    ///
    /// # Errors
    ///
    /// The `socketpair` error (`EMFILE`, ...).
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = sys::socket::socketpair(SockType::Stream)?;
        // Writable from the start, as tokio's pairs are.
        Ok((
            UnixStream::assumed_ready(a.into(), false, true),
            UnixStream::assumed_ready(b.into(), false, true),
        ))
    }

    forward_to_std! {
        /// The local address (usually unnamed for a connecting side).
        ///
        /// # Errors
        ///
        /// The `getsockname` error.
        pub fn local_addr(&self) -> io::Result<SocketAddr>;

        /// The peer's address.
        ///
        /// # Errors
        ///
        /// The `getpeername` error.
        pub fn peer_addr(&self) -> io::Result<SocketAddr>;

        /// Takes the socket's pending error (`SO_ERROR`).
        ///
        /// # Errors
        ///
        /// The `getsockopt` error.
        pub fn take_error(&self) -> io::Result<Option<io::Error>>;
    }

    /// The credentials of the peer process (`SO_PEERCRED`; tokio's
    /// `peer_cred`).
    ///
    /// # Errors
    ///
    /// The `getsockopt` error.
    pub fn peer_cred(&self) -> io::Result<UCred> {
        let (pid, uid, gid) = sys::socket::peer_cred(self.as_fd())?;
        Ok(UCred::new(pid, uid, gid))
    }

    /// Receives into `buf` without removing the data from the socket's
    /// queue, waiting until there is some.
    ///
    /// # Errors
    ///
    /// `TimedOut` once the read deadline passed, or the socket's error.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.peek(buf).await
    }

    /// Polls a [`peek`](Self::peek) into `buf`.
    pub fn poll_peek_slice(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.source.poll_peek(cx, buf)
    }

    /// Shuts down the read, write or both directions (std's `shutdown`).
    ///
    /// # Errors
    ///
    /// The `shutdown` error (`NotConnected` when the peer is gone).
    pub fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }

    readiness_methods!(self => self.source);
    stream_try_methods!(self => self.source);
}

impl_stream_io!(UnixStream);
impl_source_traits!(UnixStream, std::os::unix::net::UnixStream);
