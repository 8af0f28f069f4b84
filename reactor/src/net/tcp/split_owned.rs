//! `TcpStream::into_split`'s owned halves (tokio's `tcp::{OwnedReadHalf,
//! OwnedWriteHalf}`): two handles on one `Arc<TcpStream>` that can move
//! into different tasks, and `reunite` to get the stream back. Dropping
//! the write half shuts the write direction down (unless `forget`).

use std::error::Error;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use super::TcpStream;
use crate::net::stream_io::{impl_async_read, impl_async_write};
use crate::time::Instant;

/// The owned reading half of [`TcpStream::into_split`].
#[derive(Debug)]
pub struct OwnedReadHalf {
    inner: Arc<TcpStream>,
}

/// The owned writing half of [`TcpStream::into_split`].
#[derive(Debug)]
pub struct OwnedWriteHalf {
    inner: Arc<TcpStream>,
    shutdown_on_drop: bool,
}

/// The halves given to [`OwnedReadHalf::reunite`] came from different
/// streams; here they are back.
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl Error for ReuniteError {}

pub(super) fn split_owned(stream: TcpStream) -> (OwnedReadHalf, OwnedWriteHalf) {
    let inner = Arc::new(stream);
    (
        OwnedReadHalf {
            inner: inner.clone(),
        },
        OwnedWriteHalf {
            inner,
            shutdown_on_drop: true,
        },
    )
}

impl OwnedReadHalf {
    /// Puts the stream back together (tokio's `reunite`).
    ///
    /// # Errors
    ///
    /// The halves came from different streams.
    pub fn reunite(self, other: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        if !Arc::ptr_eq(&self.inner, &other.inner) {
            return Err(ReuniteError(self, other));
        }
        let mut other = other;
        other.shutdown_on_drop = false;
        let inner = other.inner.clone();
        drop(other);
        drop(self);
        Ok(Arc::try_unwrap(inner).expect("both halves were dropped"))
    }

    /// See [`TcpStream::readable`].
    ///
    /// # Errors
    ///
    /// As there.
    pub async fn readable(&self) -> io::Result<()> {
        self.inner.readable().await
    }

    /// See [`TcpStream::try_read`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.try_read(buf)
    }

    /// See [`TcpStream::try_read_buf`] (the `tokio` feature).
    ///
    /// # Errors
    ///
    /// As there.
    #[cfg(feature = "tokio")]
    pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.inner.try_read_buf(buf)
    }

    /// See [`TcpStream::peek`].
    ///
    /// # Errors
    ///
    /// As there.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.peek(buf).await
    }

    /// See [`TcpStream::set_read_deadline`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn set_read_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.inner.set_read_deadline(deadline)
    }

    /// See [`TcpStream::peer_addr`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// See [`TcpStream::local_addr`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl OwnedWriteHalf {
    /// Drops the half without shutting the write direction down.
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }

    /// See [`OwnedReadHalf::reunite`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn reunite(self, other: OwnedReadHalf) -> Result<TcpStream, ReuniteError> {
        other.reunite(self)
    }

    /// See [`TcpStream::writable`].
    ///
    /// # Errors
    ///
    /// As there.
    pub async fn writable(&self) -> io::Result<()> {
        self.inner.writable().await
    }

    /// See [`TcpStream::try_write`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.try_write(buf)
    }

    /// See [`TcpStream::set_write_deadline`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn set_write_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.inner.set_write_deadline(deadline)
    }

    /// See [`TcpStream::peer_addr`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// See [`TcpStream::local_addr`].
    ///
    /// # Errors
    ///
    /// As there.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            let _ = self.inner.source.shutdown_write();
        }
    }
}

impl AsRef<TcpStream> for OwnedReadHalf {
    fn as_ref(&self) -> &TcpStream {
        &self.inner
    }
}

impl AsRef<TcpStream> for OwnedWriteHalf {
    fn as_ref(&self) -> &TcpStream {
        &self.inner
    }
}

impl_async_read!([] OwnedReadHalf, this => this.inner.source);
impl_async_write!([] OwnedWriteHalf, this => this.inner.source, close => this.inner.source.shutdown_write());
