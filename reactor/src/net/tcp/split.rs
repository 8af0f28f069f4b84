//! `TcpStream::split`'s borrowed halves (tokio's `tcp::{ReadHalf,
//! WriteHalf}`): a reader and a writer over one `&TcpStream`, for reading
//! and writing concurrently inside one task. No locks: the stream's read
//! and write directions wait in separate slots.

use std::io;
use std::net::SocketAddr;

use super::TcpStream;
use crate::net::stream_io::{impl_async_read, impl_async_write};
use crate::time::Instant;

/// The reading half of [`TcpStream::split`].
#[derive(Debug)]
pub struct ReadHalf<'a>(pub(super) &'a TcpStream);

/// The writing half of [`TcpStream::split`]; closing it shuts the write
/// direction down.
#[derive(Debug)]
pub struct WriteHalf<'a>(pub(super) &'a TcpStream);

impl ReadHalf<'_> {
    /// See [`TcpStream::readable`].
    ///
    /// # Errors
    ///
    /// As there.
    pub async fn readable(&self) -> io::Result<()> {
        self.0.readable().await
    }

    /// See [`TcpStream::try_read`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }

    /// See [`TcpStream::try_read_buf`] (the `tokio` feature).
    ///
    /// # Errors
    ///
    /// As there.
    #[cfg(feature = "tokio")]
    pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.0.try_read_buf(buf)
    }

    /// See [`TcpStream::peek`].
    ///
    /// # Errors
    ///
    /// As there.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.peek(buf).await
    }

    /// See [`TcpStream::set_read_deadline`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn set_read_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.0.set_read_deadline(deadline)
    }

    /// See [`TcpStream::peer_addr`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }

    /// See [`TcpStream::local_addr`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl WriteHalf<'_> {
    /// See [`TcpStream::writable`].
    ///
    /// # Errors
    ///
    /// As there.
    pub async fn writable(&self) -> io::Result<()> {
        self.0.writable().await
    }

    /// See [`TcpStream::try_write`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    /// See [`TcpStream::set_write_deadline`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn set_write_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.0.set_write_deadline(deadline)
    }

    /// See [`TcpStream::peer_addr`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }

    /// See [`TcpStream::local_addr`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl AsRef<TcpStream> for ReadHalf<'_> {
    fn as_ref(&self) -> &TcpStream {
        self.0
    }
}

impl AsRef<TcpStream> for WriteHalf<'_> {
    fn as_ref(&self) -> &TcpStream {
        self.0
    }
}

impl_async_read!(['a] ReadHalf<'a>, this => this.0.source);
impl_async_write!(['a] WriteHalf<'a>, this => this.0.source, close => this.0.source.shutdown_write());
