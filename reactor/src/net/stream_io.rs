//! Byte-stream I/O over a [`Source`], written once for TCP and Unix streams
//! and their halves: the `futures::io::{AsyncRead, AsyncWrite}`
//! implementations and, with the `tokio` feature, tokio's.
//!
//! Reads and writes follow the stream rules of [`Source::poll_stream_io`]
//! (one that moves fewer bytes than asked waits before the next syscall);
//! the datagram receive and send at the end do not.
//!
//! `poll_write_vectored` is one `sendmsg` (`MSG_NOSIGNAL`: a closed peer is
//! `BrokenPipe`, never `SIGPIPE`); `poll_close` / `poll_shutdown` shut the
//! write direction down (the peer reads EOF) and leave reading open. A
//! nonblocking connect ends in `Source::finish_connect`.
//!
//! This file knows stream syscalls and the traits' contracts, not which
//! socket type it serves.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::task::{Context, Poll};

use super::source::Source;
use crate::poll_desc::Direction;
use crate::sys;

impl<S: AsFd> Source<S> {
    pub(crate) fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.poll_stream_io(Direction::Read, cx, len, |io| {
            sys::io::recv(io.as_fd(), buf)
        })
    }

    pub(crate) fn poll_recv_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = sys::io::readv_len(bufs);
        self.poll_stream_io(Direction::Read, cx, len, |io| {
            sys::io::readv(io.as_fd(), bufs)
        })
    }

    /// Receives without taking the data off the queue (`MSG_PEEK`).
    pub(crate) fn poll_peek(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(Direction::Read, cx, |io| sys::io::peek(io.as_fd(), buf))
    }

    /// [`poll_peek`](Self::poll_peek) as a future.
    pub(crate) async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.async_io(Direction::Read, |io| sys::io::peek(io.as_fd(), buf))
            .await
    }

    pub(crate) fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_stream_io(Direction::Write, cx, buf.len(), |io| {
            sys::io::send(io.as_fd(), buf)
        })
    }

    pub(crate) fn poll_send_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = sys::io::writev_len(bufs);
        self.poll_stream_io(Direction::Write, cx, len, |io| {
            sys::io::send_vectored(io.as_fd(), bufs)
        })
    }

    /// Receives one datagram (a `recv` whose length says nothing of what
    /// else is queued).
    pub(crate) fn poll_recv_datagram(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(Direction::Read, cx, |io| sys::io::recv(io.as_fd(), buf))
    }

    /// Sends one datagram.
    pub(crate) fn poll_send_datagram(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(Direction::Write, cx, |io| sys::io::send(io.as_fd(), buf))
    }

    /// Shuts the write direction down; a socket that is no longer
    /// connected (the peer already went) has nothing left to shut.
    pub(crate) fn shutdown_write(&self) -> io::Result<()> {
        match sys::io::shutdown(self.fd(), Shutdown::Write) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        }
    }

    /// Waits for a nonblocking connect that reported `EINPROGRESS` to end
    /// (Go's): until the socket is writable, then its `SO_ERROR` is the
    /// result. `peer_addr` (the std socket's) tells a finished handshake
    /// from a spurious wake-up.
    pub(crate) async fn finish_connect<A>(
        &self,
        peer_addr: impl Fn(&S) -> io::Result<A>,
    ) -> io::Result<()> {
        self.async_io(Direction::Write, |io| {
            match sys::socket::take_error(io.as_fd())? {
                Some(e) => Err(e),
                // Writable with no error can also be a spurious wake-up
                // before the handshake ended: connected only once there is
                // a peer.
                None => match peer_addr(io) {
                    Ok(_) => Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(e) => Err(e),
                },
            }
        })
        .await
    }

    #[cfg(feature = "tokio")]
    pub(crate) fn poll_recv_buf(
        &self,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let len = buf.remaining();
        std::task::ready!(self.poll_stream_io(Direction::Read, cx, len, |io| {
            super::buf::recv_read_buf(io.as_fd(), buf)
        }))?;
        Poll::Ready(Ok(()))
    }

    /// [`poll_recv_datagram`](Self::poll_recv_datagram) into tokio's
    /// `ReadBuf`.
    #[cfg(feature = "tokio")]
    pub(crate) fn poll_recv_datagram_buf(
        &self,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = std::task::ready!(self.poll_recv_datagram(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }

    /// [`poll_peek`](Self::poll_peek) into tokio's `ReadBuf`, advanced by
    /// the bytes peeked; returns their count.
    #[cfg(feature = "tokio")]
    pub(crate) fn poll_peek_buf(
        &self,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<usize>> {
        let n = std::task::ready!(self.poll_peek(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(n))
    }
}

/// `futures::io::AsyncRead` (and tokio's, with the feature) for a type
/// whose `$this => $source` expression reaches its `Source`.
macro_rules! impl_async_read {
    ([$($gen:tt)*] $ty:ty, $this:ident => $source:expr) => {
        impl<$($gen)*> futures::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $source.poll_recv(cx, buf)
            }

            fn poll_read_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $source.poll_recv_vectored(cx, bufs)
            }
        }

        #[cfg(feature = "tokio")]
        impl<$($gen)*> tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = &*self;
                $source.poll_recv_buf(cx, buf)
            }
        }
    };
}

/// `poll_write`, `poll_write_vectored` and `poll_flush`, which futures'
/// `AsyncWrite` and tokio's spell the same.
macro_rules! write_fns {
    ($this:ident => $source:expr) => {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let $this = &*self;
            $source.poll_send(cx, buf)
        }

        fn poll_write_vectored(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            bufs: &[std::io::IoSlice<'_>],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let $this = &*self;
            $source.poll_send_vectored(cx, bufs)
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    };
}

/// `futures::io::AsyncWrite` (and tokio's, with the feature); `$close` is
/// what closing does (shut the write direction down).
macro_rules! impl_async_write {
    ([$($gen:tt)*] $ty:ty, $this:ident => $source:expr, close => $close:expr) => {
        impl<$($gen)*> futures::io::AsyncWrite for $ty {
            $crate::net::stream_io::write_fns!($this => $source);

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = &*self;
                std::task::Poll::Ready($close)
            }
        }

        #[cfg(feature = "tokio")]
        impl<$($gen)*> tokio::io::AsyncWrite for $ty {
            $crate::net::stream_io::write_fns!($this => $source);

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = &*self;
                std::task::Poll::Ready($close)
            }
        }
    };
}

/// Both traits for a stream type `$ty` and for `&$ty`, over its `source`
/// field; closing shuts the write direction down.
macro_rules! impl_stream_io {
    ($ty:ident) => {
        $crate::net::stream_io::impl_async_read!([] $ty, this => this.source);
        $crate::net::stream_io::impl_async_write!(
            [] $ty,
            this => this.source,
            close => this.source.shutdown_write()
        );
        $crate::net::stream_io::impl_async_read!(['a] &'a $ty, this => this.source);
        $crate::net::stream_io::impl_async_write!(
            ['a] &'a $ty,
            this => this.source,
            close => this.source.shutdown_write()
        );
    };
}

pub(crate) use {impl_async_read, impl_async_write, impl_stream_io, write_fns};
