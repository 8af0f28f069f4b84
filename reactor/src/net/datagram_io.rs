//! Datagram I/O over a `Source`, written once for UDP and Unix datagram
//! sockets: [`datagram_methods!`] expands, inside each type's `impl`
//! block, to tokio's connected `send` / `recv` family, the `recv_from`
//! family and the `BufMut` receives (the `tokio` feature).
//!
//! Every receive is one `recv` / `recvfrom` (a whole datagram, truncated
//! to the buffer), every send one `send`; `EAGAIN` waits in the read or
//! write slot.
//!
//! This file knows datagram method shapes, not the address family: the
//! caller names its address type, its `recv_from`-into-`BufMut` function,
//! and the docs of the methods whose errors differ by family (`send`,
//! `try_send`, `recv`, `recv_from`). Sending to an address (`send_to`)
//! takes family-specific targets and stays with each type.

/// Expands to the shared datagram methods; `$source` is how `self` reaches
/// its `Source`, `$addr` the sender's address type, `$buf_from` the
/// `net::buf` function that receives into a `BufMut` and says the sender. The
/// docs given before `send`, `try_send`, `recv` and `recv_from` are those
/// methods' docs.
macro_rules! datagram_methods {
    ($self:ident => $source:expr, from: $addr:ty, buf_from: $buf_from:ident;
        $(#[$send:meta])* send;
        $(#[$try_send:meta])* try_send;
        $(#[$recv:meta])* recv;
        $(#[$recv_from:meta])* recv_from;
    ) => {
        /// Polls for read readiness (tokio's `poll_recv_ready`; the same as
        /// `poll_read_ready`).
        pub fn poll_recv_ready(
            &$self,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            $source.poll_ready($crate::Direction::Read, cx)
        }

        /// Polls for write readiness (tokio's `poll_send_ready`; the same as
        /// `poll_write_ready`).
        pub fn poll_send_ready(
            &$self,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            $source.poll_ready($crate::Direction::Write, cx)
        }

        $(#[$send])*
        pub async fn send(&$self, buf: &[u8]) -> std::io::Result<usize> {
            $source
                .async_io($crate::Direction::Write, |io| {
                    $crate::sys::io::send(std::os::fd::AsFd::as_fd(io), buf)
                })
                .await
        }

        /// Polls a [`send`](Self::send) (tokio's `poll_send`).
        pub fn poll_send(
            &$self,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            $source.poll_send_datagram(cx, buf)
        }

        $(#[$try_send])*
        pub fn try_send(&$self, buf: &[u8]) -> std::io::Result<usize> {
            $source.try_io($crate::Direction::Write, |io| {
                $crate::sys::io::send(std::os::fd::AsFd::as_fd(io), buf)
            })
        }

        $(#[$recv])*
        pub async fn recv(&$self, buf: &mut [u8]) -> std::io::Result<usize> {
            $source
                .async_io($crate::Direction::Read, |io| {
                    $crate::sys::io::recv(std::os::fd::AsFd::as_fd(io), buf)
                })
                .await
        }

        /// Polls a [`recv`](Self::recv) into a byte slice (tokio's
        /// `poll_recv`, minus tokio's `ReadBuf`).
        pub fn poll_recv_slice(
            &$self,
            cx: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            $source.poll_recv_datagram(cx, buf)
        }

        /// Polls a [`recv`](Self::recv) into tokio's `ReadBuf` (tokio's
        /// `poll_recv`).
        #[cfg(feature = "tokio")]
        pub fn poll_recv(
            &$self,
            cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            $source.poll_recv_datagram_buf(cx, buf)
        }

        /// Receives one datagram from the connected peer without waiting
        /// (tokio's `try_recv`).
        ///
        /// # Errors
        ///
        /// `WouldBlock` when none is queued, or as for `recv`.
        pub fn try_recv(&$self, buf: &mut [u8]) -> std::io::Result<usize> {
            $source.try_io($crate::Direction::Read, |io| {
                $crate::sys::io::recv(std::os::fd::AsFd::as_fd(io), buf)
            })
        }

        $(#[$recv_from])*
        pub async fn recv_from(&$self, buf: &mut [u8]) -> std::io::Result<(usize, $addr)> {
            $source
                .async_io($crate::Direction::Read, |io| io.recv_from(buf))
                .await
        }

        /// Polls a [`recv_from`](Self::recv_from) into a byte slice (tokio's
        /// `poll_recv_from`, minus tokio's `ReadBuf`).
        pub fn poll_recv_from_slice(
            &$self,
            cx: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> std::task::Poll<std::io::Result<(usize, $addr)>> {
            $source.poll_io($crate::Direction::Read, cx, |io| io.recv_from(buf))
        }

        /// Polls a [`recv_from`](Self::recv_from) into tokio's `ReadBuf`
        /// (tokio's `poll_recv_from`).
        #[cfg(feature = "tokio")]
        pub fn poll_recv_from(
            &$self,
            cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<$addr>> {
            let (n, from) =
                std::task::ready!($self.poll_recv_from_slice(cx, buf.initialize_unfilled()))?;
            buf.advance(n);
            std::task::Poll::Ready(Ok(from))
        }

        /// Receives one datagram without waiting (tokio's `try_recv_from`).
        ///
        /// # Errors
        ///
        /// `WouldBlock` when none is queued, or the `recvfrom` error.
        pub fn try_recv_from(&$self, buf: &mut [u8]) -> std::io::Result<(usize, $addr)> {
            $source.try_io($crate::Direction::Read, |io| io.recv_from(buf))
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
        pub fn try_recv_buf<B: bytes::BufMut>(&$self, buf: &mut B) -> std::io::Result<usize> {
            $source.try_io($crate::Direction::Read, |io| {
                $crate::net::buf::recv(std::os::fd::AsFd::as_fd(io), buf)
            })
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
        pub async fn recv_buf<B: bytes::BufMut>(&$self, buf: &mut B) -> std::io::Result<usize> {
            $source
                .async_io($crate::Direction::Read, |io| {
                    $crate::net::buf::recv(std::os::fd::AsFd::as_fd(io), buf)
                })
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
            &$self,
            buf: &mut B,
        ) -> std::io::Result<(usize, $addr)> {
            $source.try_io($crate::Direction::Read, |io| {
                $crate::net::buf::$buf_from(std::os::fd::AsFd::as_fd(io), buf)
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
            &$self,
            buf: &mut B,
        ) -> std::io::Result<(usize, $addr)> {
            $source
                .async_io($crate::Direction::Read, |io| {
                    $crate::net::buf::$buf_from(std::os::fd::AsFd::as_fd(io), buf)
                })
                .await
        }
    };
}

pub(crate) use datagram_methods;
