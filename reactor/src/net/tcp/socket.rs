//! `TcpSocket`: a TCP socket not yet connected or listening, for setting
//! options first (tokio's `TcpSocket`).
//!
//! `connect` is Go's nonblocking connect: `EINPROGRESS`, wait until
//! writable, then read `SO_ERROR` for the result (the wait is
//! `Source::finish_connect`'s, shared with `UnixStream`). This file knows
//! socket options and starting the connect handshake.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use super::{TcpListener, TcpStream};
use crate::net::delegate::{impl_fd_traits, ip_tos_methods};
use crate::sys::{self, socket::Domain, socket::SockOpt, socket::SockType};

/// A TCP socket before `connect` or `listen`.
pub struct TcpSocket {
    fd: OwnedFd,
}

impl TcpSocket {
    /// A new IPv4 TCP socket (nonblocking, close-on-exec).
    ///
    /// # Errors
    ///
    /// The `socket` error (`EMFILE`, ...).
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::Ipv4)
    }

    /// A new IPv6 TCP socket.
    ///
    /// # Errors
    ///
    /// The `socket` error.
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::Ipv6)
    }

    pub(crate) fn new_for_addr(addr: &SocketAddr) -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::for_addr(addr))
    }

    fn new(domain: Domain) -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            fd: sys::socket::socket(domain, SockType::Stream)?,
        })
    }

    fn set_int(&self, opt: SockOpt, value: i32) -> io::Result<()> {
        sys::socket::setsockopt_int(self.fd.as_fd(), opt, value)
    }

    fn get_int(&self, opt: SockOpt) -> io::Result<i32> {
        sys::socket::getsockopt_int(self.fd.as_fd(), opt)
    }

    /// Sets `SO_REUSEADDR`.
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.set_int(SockOpt::REUSE_ADDR, i32::from(reuseaddr))
    }

    /// `SO_REUSEADDR`.
    ///
    /// # Errors
    ///
    /// The `getsockopt` error.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        Ok(self.get_int(SockOpt::REUSE_ADDR)? != 0)
    }

    /// Sets `SO_REUSEPORT`: several sockets may bind the same address and
    /// the kernel spreads connections over them.
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        self.set_int(SockOpt::REUSE_PORT, i32::from(reuseport))
    }

    /// `SO_REUSEPORT`.
    ///
    /// # Errors
    ///
    /// The `getsockopt` error.
    pub fn reuseport(&self) -> io::Result<bool> {
        Ok(self.get_int(SockOpt::REUSE_PORT)? != 0)
    }

    /// Sets `SO_SNDBUF`.
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.set_int(SockOpt::SNDBUF, i32::try_from(size).unwrap_or(i32::MAX))
    }

    /// `SO_SNDBUF` (Linux reports twice the size set).
    ///
    /// # Errors
    ///
    /// The `getsockopt` error.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        Ok(self.get_int(SockOpt::SNDBUF)?.max(0) as u32)
    }

    /// Sets `SO_RCVBUF`.
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.set_int(SockOpt::RCVBUF, i32::try_from(size).unwrap_or(i32::MAX))
    }

    /// `SO_RCVBUF` (Linux reports twice the size set).
    ///
    /// # Errors
    ///
    /// The `getsockopt` error.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        Ok(self.get_int(SockOpt::RCVBUF)?.max(0) as u32)
    }

    /// Sets `SO_KEEPALIVE`.
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        self.set_int(SockOpt::KEEPALIVE, i32::from(keepalive))
    }

    /// `SO_KEEPALIVE`.
    ///
    /// # Errors
    ///
    /// The `getsockopt` error.
    pub fn keepalive(&self) -> io::Result<bool> {
        Ok(self.get_int(SockOpt::KEEPALIVE)? != 0)
    }

    /// Sets `SO_LINGER`.
    ///
    /// Deprecated, as tokio's is: a nonzero linger makes closing the socket
    /// block the thread (a whole event loop) until the unsent data is sent
    /// or the time runs out. Shut writing down and read to EOF instead; for
    /// an abortive close, [`set_zero_linger`](Self::set_zero_linger) does
    /// not block. Kept, as tokio keeps it.
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    #[deprecated = "`SO_LINGER` causes the socket to block the thread on drop"]
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        sys::socket::set_linger(self.fd.as_fd(), linger)
    }

    /// Sets a linger of zero (`SO_LINGER` on, 0 s; tokio's
    /// `set_zero_linger`): closing the connection then aborts it — a `RST`
    /// instead of the `FIN` handshake, unsent data discarded, no
    /// `TIME_WAIT` — and the peer's next read fails with
    /// `ConnectionReset`. Closing does not block.
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn set_zero_linger(&self) -> io::Result<()> {
        sys::socket::set_linger(self.fd.as_fd(), Some(Duration::ZERO))
    }

    /// `SO_LINGER`.
    ///
    /// # Errors
    ///
    /// The `getsockopt` error.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        sys::socket::linger(self.fd.as_fd())
    }

    /// Sets `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.set_int(SockOpt::TCP_NODELAY, i32::from(nodelay))
    }

    /// `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// The `getsockopt` error.
    pub fn nodelay(&self) -> io::Result<bool> {
        Ok(self.get_int(SockOpt::TCP_NODELAY)? != 0)
    }

    ip_tos_methods!("packet");

    /// The local address.
    ///
    /// # Errors
    ///
    /// The `getsockname` error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        sys::socket::local_addr(self.fd.as_fd())
    }

    /// Takes the socket's pending error (`SO_ERROR`).
    ///
    /// # Errors
    ///
    /// The `getsockopt` error.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::socket::take_error(self.fd.as_fd())
    }

    /// Binds to `addr`.
    ///
    /// # Errors
    ///
    /// `AddrInUse`, `AddrNotAvailable`, `PermissionDenied`, ...
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        sys::socket::bind(self.fd.as_fd(), &addr)
    }

    /// Connects to `addr` (Go's nonblocking connect): starts the connect,
    /// waits until the socket is writable, then reads `SO_ERROR`.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused`, `TimedOut`, `NetworkUnreachable`, ...
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        let started = sys::socket::connect(self.fd.as_fd(), &addr);
        let stream = TcpStream::from_source_std(std::net::TcpStream::from(self.fd));
        match started {
            Ok(()) => return Ok(stream),
            Err(e) if sys::socket::is_in_progress(&e) => {}
            Err(e) => return Err(e),
        }
        stream
            .source
            .finish_connect(std::net::TcpStream::peer_addr)
            .await?;
        Ok(stream)
    }

    /// Starts listening with `backlog` pending connections at most.
    ///
    /// # Errors
    ///
    /// The `listen` error.
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        sys::socket::listen(self.fd.as_fd(), i32::try_from(backlog).unwrap_or(i32::MAX))?;
        Ok(TcpListener::from_source_std(std::net::TcpListener::from(
            self.fd,
        )))
    }

    /// Wraps a std stream's socket, switching it to nonblocking mode.
    ///
    /// # Errors
    ///
    /// Setting nonblocking mode failed.
    pub fn from_std_stream(stream: std::net::TcpStream) -> io::Result<TcpSocket> {
        stream.set_nonblocking(true)?;
        Ok(TcpSocket {
            fd: OwnedFd::from(stream),
        })
    }
}

impl_fd_traits!(TcpSocket, "TCP");
