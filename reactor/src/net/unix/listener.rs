//! `UnixListener`: tokio's, plus the accept backoff after `EMFILE` & co.
//!
//! `accept` is `accept4(SOCK_NONBLOCK | SOCK_CLOEXEC)` without an address
//! buffer; the peer's address is asked of the accepted socket afterwards.
//! After a resource-exhaustion failure the next `accept` first sleeps out a
//! growing pause (`accept_backoff.rs`), as `TcpListener`'s does.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::task::{Context, Poll};

use super::{SocketAddr, UnixStream};
use crate::net::accept_backoff::AcceptBackoff;
use crate::net::delegate::{forward_to_std, impl_source_traits};
use crate::net::source::Source;
use crate::poll_desc::Direction;
use crate::sys;

/// A Unix domain socket listening for connections.
///
/// Dropping it closes the socket but leaves its path in the file system,
/// as std's and tokio's do: remove it to bind the path again.
pub struct UnixListener {
    source: Source<std::os::unix::net::UnixListener>,
    backoff: AcceptBackoff,
}

impl UnixListener {
    /// Binds to `path` and listens (tokio's `bind`).
    ///
    /// # Errors
    ///
    /// `AddrInUse` when `path` exists, `NotFound` for a missing directory,
    /// `InvalidInput` for a path too long for `sun_path`, ...
    ///
    /// A path starting with a NUL byte names a Linux abstract socket.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::bind_addr(&super::addr_of(path.as_ref())?)
    }

    /// Binds to `addr` (a path or a Linux abstract name) and listens
    /// (tokio's `bind_addr`).
    ///
    /// # Errors
    ///
    /// As for `bind`.
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixListener> {
        UnixListener::from_std(std::os::unix::net::UnixListener::bind_addr(addr)?)
    }

    /// Wraps a std listener, switching it to nonblocking mode.
    ///
    /// # Errors
    ///
    /// Setting nonblocking mode failed.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            source: Source::new(listener),
            backoff: AcceptBackoff::default(),
        })
    }

    /// Deregisters the listener and returns it as a std listener (still
    /// nonblocking).
    ///
    /// # Errors
    ///
    /// Never, today; the signature is tokio's.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        Ok(self.source.into_inner())
    }

    forward_to_std! {
        /// The address the listener is bound to.
        ///
        /// # Errors
        ///
        /// The `getsockname` error.
        pub fn local_addr(&self) -> io::Result<SocketAddr>;

        /// Takes the socket's pending error (`SO_ERROR`).
        ///
        /// # Errors
        ///
        /// The `getsockopt` error.
        pub fn take_error(&self) -> io::Result<Option<io::Error>>;
    }

    /// Accepts a connection and says the peer's address (usually unnamed)
    /// (tokio's `accept`).
    ///
    /// # Errors
    ///
    /// The `accept4` error. After `EMFILE`, `ENFILE`, `ENOBUFS` or `ENOMEM`
    /// the next `accept` on this listener first waits out a pause that
    /// doubles with each such failure in a row (5 ms up to 1 s).
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        self.backoff.wait().await;
        let accepted = self
            .source
            .async_io(Direction::Read, |io| {
                sys::socket::accept4_unaddressed(io.as_fd())
            })
            .await;
        self.accepted(accepted)
    }

    /// Polls for a connection (tokio's `poll_accept`). The pause after a
    /// resource error applies to `accept`, not to this.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let accepted = std::task::ready!(self.source.poll_io(Direction::Read, cx, |io| {
            sys::socket::accept4_unaddressed(io.as_fd())
        }));
        Poll::Ready(self.accepted(accepted))
    }

    fn accepted(&self, accepted: io::Result<OwnedFd>) -> io::Result<(UnixStream, SocketAddr)> {
        match accepted {
            Ok(fd) => {
                self.backoff.succeeded();
                let stream = std::os::unix::net::UnixStream::from(fd);
                let peer = stream.peer_addr()?;
                // Readable and writable until an operation says otherwise,
                // as tokio's accepted streams are.
                Ok((UnixStream::assumed_ready(stream, true, true), peer))
            }
            Err(e) => {
                if sys::socket::is_resource_exhaustion(&e) {
                    self.backoff.failed();
                }
                Err(e)
            }
        }
    }
}

impl_source_traits!(UnixListener, std::os::unix::net::UnixListener);
