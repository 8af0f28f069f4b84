//! `UdpSocket`: tokio's, on a lazily registered [`Source`].
//!
//! Every receive is one `recv` / `recvfrom` (a whole datagram, truncated to
//! the buffer), every send one `send` / `sendto`; `EAGAIN` waits in the
//! read or write slot. Deadlines and readiness come from
//! `readiness_methods!`, the connected `send` / `recv` and the `recv_from`
//! families from `datagram_io.rs`'s `datagram_methods!`.
//!
//! This file knows UDP's addresses, peeks and options; readiness and
//! registration are `source.rs`'s.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsFd;
use std::task::{Context, Poll};

use crate::net::addr::{ToSocketAddrs, each_addr, resolve};
use crate::net::datagram_io::datagram_methods;
use crate::net::delegate::{forward_to_std, impl_source_traits, ip_tos_methods};
use crate::net::readiness::readiness_methods;
use crate::net::source::Source;
use crate::poll_desc::Direction;
use crate::sys::{self, socket::Domain, socket::SockType};

/// A UDP socket (tokio's `UdpSocket`).
///
/// Unconnected, it sends to and receives from any address
/// ([`send_to`](Self::send_to), [`recv_from`](Self::recv_from)); after
/// [`connect`](Self::connect) it talks to one peer
/// ([`send`](Self::send), [`recv`](Self::recv)) and the kernel drops
/// datagrams from anyone else. All methods take `&self`: share it in an
/// `Arc` to receive and send from different tasks.
///
/// The socket joins the poller of the loop that first waits on it.
pub struct UdpSocket {
    source: Source<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to `addr`, trying each address it resolves to in
    /// turn (tokio's `bind`).
    ///
    /// # Errors
    ///
    /// The last address's error (`AddrInUse`, ...), or `InvalidInput` when
    /// `addr` resolves to nothing.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        each_addr(&addr, |addr| async move {
            let fd = sys::socket::socket(Domain::for_addr(&addr), SockType::Datagram)?;
            sys::socket::bind(fd.as_fd(), &addr)?;
            Ok(UdpSocket {
                source: Source::new(std::net::UdpSocket::from(fd)),
            })
        })
        .await
    }

    /// Wraps a std socket, switching it to nonblocking mode (tokio asks its
    /// caller to do that; netloop does it).
    ///
    /// # Errors
    ///
    /// Setting nonblocking mode failed.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            source: Source::new(socket),
        })
    }

    /// Deregisters the socket and returns it as a std socket, still in
    /// nonblocking mode (as tokio does).
    ///
    /// # Errors
    ///
    /// Never, today; the signature is tokio's.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(self.source.into_inner())
    }

    forward_to_std! {
        /// The local address.
        ///
        /// # Errors
        ///
        /// The `getsockname` error.
        pub fn local_addr(&self) -> io::Result<SocketAddr>;

        /// The address the socket is connected to.
        ///
        /// # Errors
        ///
        /// `NotConnected` before [`connect`](Self::connect).
        pub fn peer_addr(&self) -> io::Result<SocketAddr>;
    }

    /// Connects the socket to `addr` (tokio's `connect`): `send` and `recv`
    /// then talk to that peer only. Tries each address `addr` resolves to
    /// until one is accepted (a UDP connect sends nothing, so "accepted"
    /// means only that the address is usable from this socket).
    ///
    /// # Errors
    ///
    /// The last address's error, or `InvalidInput` when `addr` resolves to
    /// nothing.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        each_addr(
            &addr,
            |addr| async move { self.source.get_ref().connect(addr) },
        )
        .await
    }

    datagram_methods! { self => self.source, from: SocketAddr, buf_from: recv_from;
        /// Sends `buf` as one datagram to the connected peer, waiting while the
        /// send buffer is full (tokio's `send`).
        ///
        /// # Errors
        ///
        /// `EDESTADDRREQ` before `connect`, `ConnectionRefused` after an ICMP
        /// "port unreachable" from the peer, the write deadline, or another
        /// `send` error.
        send;

        /// Sends to the connected peer without waiting (tokio's `try_send`).
        ///
        /// # Errors
        ///
        /// `WouldBlock` when the send buffer is full, or as for `send`.
        try_send;

        /// Receives one datagram from the connected peer into `buf`, waiting
        /// until there is one (tokio's `recv`). A datagram longer than `buf`
        /// is truncated; the rest is lost.
        ///
        /// # Errors
        ///
        /// `ConnectionRefused` after an ICMP "port unreachable", `TimedOut`
        /// once the read deadline passed, or another `recv` error.
        recv;

        /// Receives one datagram into `buf` and says who sent it, waiting until
        /// there is one (tokio's `recv_from`). A datagram longer than `buf` is
        /// truncated.
        ///
        /// # Errors
        ///
        /// `TimedOut` once the read deadline passed, or the `recvfrom` error.
        recv_from;
    }

    /// Sends `buf` as one datagram to `target`, waiting while the send
    /// buffer is full (tokio's `send_to`). Only the first address `target`
    /// resolves to is used.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when `target` resolves to nothing, the write
    /// deadline, or the `sendto` error.
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target = resolve(&target).await?.into_iter().next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to")
        })?;
        self.source
            .async_io(Direction::Write, |io| io.send_to(buf, target))
            .await
    }

    /// Polls a [`send_to`](Self::send_to) (tokio's `poll_send_to`).
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.source
            .poll_io(Direction::Write, cx, |io| io.send_to(buf, target))
    }

    /// Sends to `target` without waiting (tokio's `try_send_to`).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the send buffer is full, or the `sendto` error.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.source
            .try_io(Direction::Write, |io| io.send_to(buf, target))
    }

    /// Receives the next datagram from the connected peer into `buf`
    /// without taking it off the queue, waiting until there is one
    /// (tokio's `peek`).
    ///
    /// # Errors
    ///
    /// As for `recv`.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.peek(buf).await
    }

    /// Polls a [`peek`](Self::peek) into a byte slice.
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
    ) -> Poll<io::Result<()>> {
        self.source.poll_peek_buf(cx, buf).map_ok(drop)
    }

    /// Peeks at the next datagram from the connected peer without waiting
    /// (tokio's `try_peek`).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when none is queued, or as for `recv`.
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source
            .try_io(Direction::Read, |io| sys::io::peek(io.as_fd(), buf))
    }

    /// Receives the next datagram into `buf` and says who sent it, without
    /// taking it off the queue; waits until there is one (tokio's
    /// `peek_from`).
    ///
    /// # Errors
    ///
    /// As for `recv_from`.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source
            .async_io(Direction::Read, |io| io.peek_from(buf))
            .await
    }

    /// Polls a [`peek_from`](Self::peek_from) into a byte slice.
    pub fn poll_peek_from_slice(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.source
            .poll_io(Direction::Read, cx, |io| io.peek_from(buf))
    }

    /// Polls a [`peek_from`](Self::peek_from) into tokio's `ReadBuf`
    /// (tokio's `poll_peek_from`).
    #[cfg(feature = "tokio")]
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        let (n, from) =
            std::task::ready!(self.poll_peek_from_slice(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(from))
    }

    /// Peeks at the next datagram without waiting (tokio's
    /// `try_peek_from`).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when none is queued, or the `recvfrom` error.
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source.try_io(Direction::Read, |io| io.peek_from(buf))
    }

    /// The sender of the next datagram, left on the queue; waits until
    /// there is one (tokio's `peek_sender`).
    ///
    /// # Errors
    ///
    /// As for `recv_from`.
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        self.source.async_io(Direction::Read, peek_sender).await
    }

    /// Polls a [`peek_sender`](Self::peek_sender) (tokio's
    /// `poll_peek_sender`).
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        self.source.poll_io(Direction::Read, cx, peek_sender)
    }

    /// The sender of the next datagram, without waiting (tokio's
    /// `try_peek_sender`).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when none is queued, or the `recvfrom` error.
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        self.source.try_io(Direction::Read, peek_sender)
    }

    forward_to_std! {
        /// `SO_BROADCAST`.
        ///
        /// # Errors
        ///
        /// The `getsockopt` error.
        pub fn broadcast(&self) -> io::Result<bool>;

        /// Sets `SO_BROADCAST`: whether datagrams may go to a broadcast
        /// address.
        ///
        /// # Errors
        ///
        /// The `setsockopt` error.
        pub fn set_broadcast(&self, on: bool) -> io::Result<()>;

        /// `IP_MULTICAST_LOOP`.
        ///
        /// # Errors
        ///
        /// The `getsockopt` error (IPv4 sockets only).
        pub fn multicast_loop_v4(&self) -> io::Result<bool>;

        /// Sets `IP_MULTICAST_LOOP`: whether this host receives its own
        /// multicast datagrams.
        ///
        /// # Errors
        ///
        /// The `setsockopt` error (IPv4 sockets only).
        pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()>;

        /// `IP_MULTICAST_TTL`.
        ///
        /// # Errors
        ///
        /// The `getsockopt` error (IPv4 sockets only).
        pub fn multicast_ttl_v4(&self) -> io::Result<u32>;

        /// Sets `IP_MULTICAST_TTL` (1, the default, keeps multicast on the
        /// local network).
        ///
        /// # Errors
        ///
        /// The `setsockopt` error (IPv4 sockets only).
        pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()>;

        /// `IPV6_MULTICAST_LOOP`.
        ///
        /// # Errors
        ///
        /// The `getsockopt` error (IPv6 sockets only).
        pub fn multicast_loop_v6(&self) -> io::Result<bool>;

        /// Sets `IPV6_MULTICAST_LOOP`.
        ///
        /// # Errors
        ///
        /// The `setsockopt` error (IPv6 sockets only).
        pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()>;

        /// `IP_TTL`.
        ///
        /// # Errors
        ///
        /// The `getsockopt` error.
        pub fn ttl(&self) -> io::Result<u32>;

        /// Sets `IP_TTL`.
        ///
        /// # Errors
        ///
        /// The `setsockopt` error.
        pub fn set_ttl(&self, ttl: u32) -> io::Result<()>;

        /// Takes the socket's pending error (`SO_ERROR`), e.g. the
        /// `ConnectionRefused` an ICMP "port unreachable" left.
        ///
        /// # Errors
        ///
        /// The `getsockopt` error.
        pub fn take_error(&self) -> io::Result<Option<io::Error>>;
    }

    ip_tos_methods!("datagram");

    /// Joins the IPv4 multicast group `multiaddr` on the interface with
    /// address `interface` (`Ipv4Addr::UNSPECIFIED`: the system picks).
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.source
            .get_ref()
            .join_multicast_v4(&multiaddr, &interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on the interface with
    /// index `interface` (0: the system picks).
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.source
            .get_ref()
            .join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group (see
    /// [`join_multicast_v4`](Self::join_multicast_v4)).
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.source
            .get_ref()
            .leave_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves an IPv6 multicast group (see
    /// [`join_multicast_v6`](Self::join_multicast_v6)).
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.source
            .get_ref()
            .leave_multicast_v6(multiaddr, interface)
    }

    readiness_methods!(self => self.source);
}

/// The sender of the datagram at the head of `socket`'s queue: a zero-byte
/// `MSG_PEEK` receive, which Linux answers with the address and leaves the
/// datagram queued.
fn peek_sender(socket: &std::net::UdpSocket) -> io::Result<SocketAddr> {
    socket.peek_from(&mut []).map(|(_, from)| from)
}

impl_source_traits!(UdpSocket, std::net::UdpSocket);
