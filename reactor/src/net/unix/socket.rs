//! `UnixSocket`: a Unix domain socket not yet connected, listening or used
//! for datagrams, for binding it first (tokio's `net::UnixSocket`).
//!
//! A stream socket becomes a [`UnixListener`] (`listen`) or a
//! [`UnixStream`] (`connect`, which is `UnixStream::connect_addr`'s connect
//! on this socket's fd: no loop ever blocks on a full backlog); a datagram
//! socket becomes a [`UnixDatagram`]. This file knows which conversions a
//! socket type allows.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use super::{UnixDatagram, UnixListener, UnixStream};
use crate::net::delegate::impl_fd_traits;
use crate::sys::{self, socket::Domain, socket::SockType};

/// A Unix domain socket before `listen`, `connect` or `datagram` (tokio's
/// `UnixSocket`): made with [`new_stream`](Self::new_stream) or
/// [`new_datagram`](Self::new_datagram), then optionally
/// [`bind`](Self::bind)-ed.
///
/// ```
/// use netloop_reactor::net::UnixSocket;
///
/// let path = std::env::temp_dir().join(format!("netloop-doc-{}.sock", std::process::id()));
/// let _ = std::fs::remove_file(&path);
/// let socket = UnixSocket::new_stream()?;
/// socket.bind(&path)?;
/// let listener = socket.listen(128)?;
/// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
/// // A stream socket is no datagram socket.
/// assert!(UnixSocket::new_stream()?.datagram().is_err());
/// std::fs::remove_file(&path)?;
/// # std::io::Result::Ok(())
/// ```
pub struct UnixSocket {
    fd: OwnedFd,
}

impl UnixSocket {
    /// A new datagram socket (`SOCK_DGRAM`, nonblocking, close-on-exec);
    /// [`datagram`](Self::datagram) turns it into a [`UnixDatagram`].
    ///
    /// # Errors
    ///
    /// The `socket` error (`EMFILE`, ...).
    pub fn new_datagram() -> io::Result<UnixSocket> {
        UnixSocket::new(SockType::Datagram)
    }

    /// A new stream socket (`SOCK_STREAM`, nonblocking, close-on-exec), to
    /// [`listen`](Self::listen) or [`connect`](Self::connect).
    ///
    /// # Errors
    ///
    /// The `socket` error (`EMFILE`, ...).
    pub fn new_stream() -> io::Result<UnixSocket> {
        UnixSocket::new(SockType::Stream)
    }

    fn new(ty: SockType) -> io::Result<UnixSocket> {
        Ok(UnixSocket {
            fd: sys::socket::socket(Domain::Unix, ty)?,
        })
    }

    /// The socket's type; `None` for one that is neither stream nor
    /// datagram (only possible through `from_raw_fd`).
    fn ty(&self) -> io::Result<Option<SockType>> {
        sys::socket::socket_type(self.fd.as_fd())
    }

    /// Binds the socket to `path` (tokio's `bind`). A path starting with a
    /// NUL byte names a Linux abstract socket.
    ///
    /// # Errors
    ///
    /// `AddrInUse` when `path` exists, `NotFound` for a missing directory,
    /// `InvalidInput` for a path too long for `sun_path` (or an empty one),
    /// ...
    pub fn bind(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let addr = super::addr_of(path.as_ref())?;
        sys::socket::bind_unix(self.fd.as_fd(), &addr)
    }

    /// Listens with `backlog` pending connections at most, turning the
    /// socket into a [`UnixListener`] (tokio's `listen`).
    ///
    /// # Errors
    ///
    /// A datagram socket (`ErrorKind::Other`, as tokio's), or the `listen`
    /// error (`InvalidInput` for a socket never bound).
    pub fn listen(self, backlog: u32) -> io::Result<UnixListener> {
        if self.ty()? == Some(SockType::Datagram) {
            return Err(io::Error::other(
                "listen cannot be called on a datagram socket",
            ));
        }
        sys::socket::listen(self.fd.as_fd(), i32::try_from(backlog).unwrap_or(i32::MAX))?;
        UnixListener::from_std(std::os::unix::net::UnixListener::from(self.fd))
    }

    /// Connects to the socket bound at `path`, turning this one into a
    /// [`UnixStream`] (tokio's `connect`). A path starting with a NUL byte
    /// names a Linux abstract socket. As
    /// [`UnixStream::connect`], a full backlog is retried after a pause
    /// rather than blocking a loop.
    ///
    /// # Errors
    ///
    /// A datagram socket (`ErrorKind::Other`, as tokio's), `NotFound` when
    /// nothing is bound at `path`, `ConnectionRefused` when the socket there
    /// is not listening, ...
    pub async fn connect(self, path: impl AsRef<Path>) -> io::Result<UnixStream> {
        if self.ty()? == Some(SockType::Datagram) {
            return Err(io::Error::other(
                "connect cannot be called on a datagram socket",
            ));
        }
        let addr = super::addr_of(path.as_ref())?;
        UnixStream::connect_fd(self.fd, &addr).await
    }

    /// Turns a datagram socket into a [`UnixDatagram`] (tokio's
    /// `datagram`).
    ///
    /// # Errors
    ///
    /// A stream socket (`ErrorKind::Other`, as tokio's).
    pub fn datagram(self) -> io::Result<UnixDatagram> {
        if self.ty()? == Some(SockType::Stream) {
            return Err(io::Error::other(
                "datagram cannot be called on a stream socket",
            ));
        }
        Ok(UnixDatagram::from_source_std(
            std::os::unix::net::UnixDatagram::from(self.fd),
        ))
    }
}

impl_fd_traits!(UnixSocket, "`AF_UNIX`");
