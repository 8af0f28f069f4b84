//! `TcpListener`: tokio's, plus the accept backoff after `EMFILE` & co.
//!
//! `accept` is `accept4(SOCK_NONBLOCK | SOCK_CLOEXEC)` retrying `EINTR`
//! and `ECONNABORTED`. When it fails because fds or memory ran out, the
//! error goes to the caller and the listener's next `accept` first sleeps
//! out a growing pause (`accept_backoff.rs`), so a retry loop cannot spin.
//! The accepted stream is not registered anywhere: it joins the poller of
//! whichever loop first polls it.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::task::{Context, Poll};

use super::{TcpSocket, TcpStream};
use crate::net::accept_backoff::AcceptBackoff;
use crate::net::addr::{ToSocketAddrs, each_addr};
use crate::net::delegate::{forward_to_std, impl_source_traits};
use crate::net::source::Source;
use crate::poll_desc::Direction;
use crate::sys;

/// The backlog `bind` listens with (tokio's).
const BACKLOG: u32 = 1024;

/// A TCP socket listening for connections.
pub struct TcpListener {
    source: Source<std::net::TcpListener>,
    backoff: AcceptBackoff,
}

impl TcpListener {
    /// Binds to `addr` and listens (backlog 1024, `SO_REUSEADDR` on, as
    /// tokio does), trying each address it resolves to in turn.
    ///
    /// # Errors
    ///
    /// `AddrInUse` and the like for the last address tried, or
    /// `InvalidInput` when `addr` resolves to nothing.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(&addr, |addr| async move {
            let socket = TcpSocket::new_for_addr(&addr)?;
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(BACKLOG)
        })
        .await
    }

    pub(crate) fn from_source_std(listener: std::net::TcpListener) -> TcpListener {
        TcpListener {
            source: Source::new(listener),
            backoff: AcceptBackoff::default(),
        }
    }

    /// Wraps a std listener, switching it to nonblocking mode.
    ///
    /// # Errors
    ///
    /// Setting nonblocking mode failed.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener::from_source_std(listener))
    }

    /// Deregisters the listener and returns it as a std listener (still
    /// nonblocking).
    ///
    /// # Errors
    ///
    /// Never, today; the signature is tokio's.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        Ok(self.source.into_inner())
    }

    /// Accepts a connection (tokio's `accept`).
    ///
    /// # Errors
    ///
    /// The `accept4` error. After `EMFILE`, `ENFILE`, `ENOBUFS` or `ENOMEM`
    /// the next `accept` on this listener first waits out a pause that
    /// doubles with each such failure in a row (5 ms up to 1 s).
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.backoff.wait().await;
        let accepted = self
            .source
            .async_io(Direction::Read, |io| sys::socket::accept4(io.as_fd()))
            .await;
        self.accepted(accepted)
    }

    /// Polls for a connection (tokio's `poll_accept`). The pause after a
    /// resource error applies to `accept`, not to this.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let accepted = std::task::ready!(
            self.source
                .poll_io(Direction::Read, cx, |io| sys::socket::accept4(io.as_fd()))
        );
        Poll::Ready(self.accepted(accepted))
    }

    fn accepted(
        &self,
        accepted: io::Result<(std::os::fd::OwnedFd, SocketAddr)>,
    ) -> io::Result<(TcpStream, SocketAddr)> {
        match accepted {
            Ok((fd, addr)) => {
                self.backoff.succeeded();
                // Readable and writable until an operation says otherwise,
                // as tokio's accepted streams are.
                let stream = TcpStream {
                    source: Source::new(std::net::TcpStream::from(fd)).assume_ready(true, true),
                };
                Ok((stream, addr))
            }
            Err(e) => {
                if sys::socket::is_resource_exhaustion(&e) {
                    self.backoff.failed();
                }
                Err(e)
            }
        }
    }

    forward_to_std! {
        /// The local address (with the port the kernel picked for port 0).
        ///
        /// # Errors
        ///
        /// The `getsockname` error.
        pub fn local_addr(&self) -> io::Result<SocketAddr>;

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
}

impl_source_traits!(TcpListener, std::net::TcpListener);
