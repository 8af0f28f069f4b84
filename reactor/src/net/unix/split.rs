//! `UnixStream::split`'s borrowed halves (tokio's `unix::{ReadHalf,
//! WriteHalf}`): a reader and a writer over one `&UnixStream`, for reading
//! and writing concurrently inside one task. No locks: the stream's read
//! and write directions wait in separate slots.

use super::{SocketAddr, UnixStream};
use crate::net::stream_io::{impl_async_read, impl_async_write};
use crate::time::Instant;
use std::io;

/// The reading half of [`UnixStream::split`].
#[derive(Debug)]
pub struct ReadHalf<'a>(pub(super) &'a UnixStream);

/// The writing half of [`UnixStream::split`]; closing it shuts the write
/// direction down.
#[derive(Debug)]
pub struct WriteHalf<'a>(pub(super) &'a UnixStream);

impl ReadHalf<'_> {
    /// See [`UnixStream::readable`].
    ///
    /// # Errors
    ///
    /// As there.
    pub async fn readable(&self) -> io::Result<()> {
        self.0.readable().await
    }

    /// See [`UnixStream::try_read`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }

    /// See [`UnixStream::try_read_buf`] (the `tokio` feature).
    ///
    /// # Errors
    ///
    /// As there.
    #[cfg(feature = "tokio")]
    pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.0.try_read_buf(buf)
    }

    /// See [`UnixStream::peek`].
    ///
    /// # Errors
    ///
    /// As there.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.peek(buf).await
    }

    /// See [`UnixStream::set_read_deadline`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn set_read_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.0.set_read_deadline(deadline)
    }

    /// See [`UnixStream::peer_addr`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }

    /// See [`UnixStream::local_addr`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl WriteHalf<'_> {
    /// See [`UnixStream::writable`].
    ///
    /// # Errors
    ///
    /// As there.
    pub async fn writable(&self) -> io::Result<()> {
        self.0.writable().await
    }

    /// See [`UnixStream::try_write`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    /// See [`UnixStream::set_write_deadline`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn set_write_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.0.set_write_deadline(deadline)
    }

    /// See [`UnixStream::peer_addr`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }

    /// See [`UnixStream::local_addr`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl AsRef<UnixStream> for ReadHalf<'_> {
    fn as_ref(&self) -> &UnixStream {
        self.0
    }
}

impl AsRef<UnixStream> for WriteHalf<'_> {
    fn as_ref(&self) -> &UnixStream {
        self.0
    }
}

impl_async_read!(['a] ReadHalf<'a>, this => this.0.source);
impl_async_write!(['a] WriteHalf<'a>, this => this.0.source, close => this.0.source.shutdown_write());
