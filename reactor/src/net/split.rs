//! A byte stream's halves, written once for TCP and Unix streams:
//! [`stream_halves!`] expands, in `tcp/split.rs` and `unix/split.rs`, to
//! tokio's borrowed `ReadHalf<'a>` / `WriteHalf<'a>` (from `split`) and
//! owned `OwnedReadHalf` / `OwnedWriteHalf` / `ReuniteError` (from
//! `into_split`), and to the stream's `split` and `into_split`.
//!
//! A macro rather than one generic `ReadHalf<'a, S>` behind per-protocol
//! type aliases: tokio's `ReuniteError(pub OwnedReadHalf, pub
//! OwnedWriteHalf)` is built and matched as a tuple struct
//! (`let ReuniteError(read, write) = err`), which an alias cannot be; and
//! aliases would show rustdoc readers a generic parameter bounded by a
//! crate-private trait where tokio has none, with docs that could not name
//! the stream they forward to. Expanded per protocol, every half is a plain
//! type whose docs say "See [`TcpStream::readable`]" as before.
//!
//! The borrowed halves hold a `&Stream`, the owned ones share an
//! `Arc<Stream>`; neither locks: the stream's read and write directions
//! wait in separate slots. Dropping an `OwnedWriteHalf` shuts the write
//! direction down unless it was `forget`-ten or reunited.
//!
//! This file knows what a half forwards to its stream and when the write
//! direction shuts down; not which stream it is (the caller names it and
//! its address type) nor any syscall.

/// Methods of a reading half: each forwards to the stream `$inner`.
macro_rules! read_half_methods {
    ($stream:ident, $addr:ty, $self:ident => $inner:expr) => {
        #[doc = concat!("See [`", stringify!($stream), "::readable`].")]
        ///
        /// # Errors
        ///
        /// As there.
        pub async fn readable(&$self) -> std::io::Result<()> {
            $inner.readable().await
        }

        #[doc = concat!("See [`", stringify!($stream), "::try_read`].")]
        ///
        /// # Errors
        ///
        /// As there.
        pub fn try_read(&$self, buf: &mut [u8]) -> std::io::Result<usize> {
            $inner.try_read(buf)
        }

        #[doc = concat!("See [`", stringify!($stream), "::try_read_buf`] (the `tokio` feature).")]
        ///
        /// # Errors
        ///
        /// As there.
        #[cfg(feature = "tokio")]
        pub fn try_read_buf<B: bytes::BufMut>(&$self, buf: &mut B) -> std::io::Result<usize> {
            $inner.try_read_buf(buf)
        }

        #[doc = concat!("See [`", stringify!($stream), "::peek`].")]
        ///
        /// # Errors
        ///
        /// As there.
        pub async fn peek(&$self, buf: &mut [u8]) -> std::io::Result<usize> {
            $inner.peek(buf).await
        }

        #[doc = concat!("See [`", stringify!($stream), "::set_read_deadline`].")]
        ///
        /// # Errors
        ///
        /// As there.
        pub fn set_read_deadline(
            &$self,
            deadline: Option<$crate::time::Instant>,
        ) -> std::io::Result<()> {
            $inner.set_read_deadline(deadline)
        }

        $crate::net::split::half_addr_methods!($stream, $addr, $self => $inner);
    };
}

/// Methods of a writing half: each forwards to the stream `$inner`.
macro_rules! write_half_methods {
    ($stream:ident, $addr:ty, $self:ident => $inner:expr) => {
        #[doc = concat!("See [`", stringify!($stream), "::writable`].")]
        ///
        /// # Errors
        ///
        /// As there.
        pub async fn writable(&$self) -> std::io::Result<()> {
            $inner.writable().await
        }

        #[doc = concat!("See [`", stringify!($stream), "::try_write`].")]
        ///
        /// # Errors
        ///
        /// As there.
        pub fn try_write(&$self, buf: &[u8]) -> std::io::Result<usize> {
            $inner.try_write(buf)
        }

        #[doc = concat!("See [`", stringify!($stream), "::set_write_deadline`].")]
        ///
        /// # Errors
        ///
        /// As there.
        pub fn set_write_deadline(
            &$self,
            deadline: Option<$crate::time::Instant>,
        ) -> std::io::Result<()> {
            $inner.set_write_deadline(deadline)
        }

        $crate::net::split::half_addr_methods!($stream, $addr, $self => $inner);
    };
}

/// `peer_addr` and `local_addr`, which both kinds of half have.
macro_rules! half_addr_methods {
    ($stream:ident, $addr:ty, $self:ident => $inner:expr) => {
        #[doc = concat!("See [`", stringify!($stream), "::peer_addr`].")]
        ///
        /// # Errors
        ///
        /// As there.
        pub fn peer_addr(&$self) -> std::io::Result<$addr> {
            $inner.peer_addr()
        }

        #[doc = concat!("See [`", stringify!($stream), "::local_addr`].")]
        ///
        /// # Errors
        ///
        /// As there.
        pub fn local_addr(&$self) -> std::io::Result<$addr> {
            $inner.local_addr()
        }
    };
}

/// Expands to the halves of `$stream` (a type in scope whose `source`
/// field is its `Source`, with the stream methods the halves forward to)
/// and to `$stream::split` / `$stream::into_split`; `$addr` is the type of
/// its addresses.
macro_rules! stream_halves {
    ($stream:ident, $addr:ty) => {
        #[doc = concat!("The reading half of [`", stringify!($stream), "::split`].")]
        #[derive(Debug)]
        pub struct ReadHalf<'a>(&'a $stream);

        #[doc = concat!("The writing half of [`", stringify!($stream), "::split`]; closing it")]
        /// shuts the write direction down.
        #[derive(Debug)]
        pub struct WriteHalf<'a>(&'a $stream);

        #[doc = concat!("The owned reading half of [`", stringify!($stream), "::into_split`].")]
        #[derive(Debug)]
        pub struct OwnedReadHalf {
            inner: std::sync::Arc<$stream>,
        }

        #[doc = concat!("The owned writing half of [`", stringify!($stream), "::into_split`].")]
        #[derive(Debug)]
        pub struct OwnedWriteHalf {
            inner: std::sync::Arc<$stream>,
            shutdown_on_drop: bool,
        }

        /// The halves given to [`OwnedReadHalf::reunite`] came from different
        /// streams; here they are back.
        #[derive(Debug)]
        pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

        impl std::fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("tried to reunite halves that are not from the same socket")
            }
        }

        impl std::error::Error for ReuniteError {}

        impl $stream {
            /// Borrowed halves for reading and writing concurrently in one task
            /// (tokio's `split`).
            ///
            /// With `futures::io::AsyncReadExt` in scope, `stream.split()` picks
            /// that trait's by-value `split` (method resolution tries by-value
            /// receivers first); write
            #[doc = concat!("`", stringify!($stream), "::split(&mut stream)` there.")]
            pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
                (ReadHalf(self), WriteHalf(self))
            }

            /// Owned halves that can move into different tasks (tokio's
            /// `into_split`); [`OwnedReadHalf::reunite`] puts them back together.
            /// Dropping the write half shuts the write direction down.
            pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
                let inner = std::sync::Arc::new(self);
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
        }

        impl ReadHalf<'_> {
            $crate::net::split::read_half_methods!($stream, $addr, self => self.0);
        }

        impl WriteHalf<'_> {
            $crate::net::split::write_half_methods!($stream, $addr, self => self.0);
        }

        impl OwnedReadHalf {
            /// Puts the stream back together (tokio's `reunite`).
            ///
            /// # Errors
            ///
            /// The halves came from different streams.
            pub fn reunite(self, other: OwnedWriteHalf) -> Result<$stream, ReuniteError> {
                if !std::sync::Arc::ptr_eq(&self.inner, &other.inner) {
                    return Err(ReuniteError(self, other));
                }
                let mut other = other;
                other.shutdown_on_drop = false;
                let inner = other.inner.clone();
                drop(other);
                drop(self);
                Ok(std::sync::Arc::try_unwrap(inner).expect("both halves were dropped"))
            }

            $crate::net::split::read_half_methods!($stream, $addr, self => self.inner);
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
            pub fn reunite(self, other: OwnedReadHalf) -> Result<$stream, ReuniteError> {
                other.reunite(self)
            }

            $crate::net::split::write_half_methods!($stream, $addr, self => self.inner);
        }

        impl Drop for OwnedWriteHalf {
            fn drop(&mut self) {
                if self.shutdown_on_drop {
                    let _ = self.inner.source.shutdown_write();
                }
            }
        }

        impl AsRef<$stream> for ReadHalf<'_> {
            fn as_ref(&self) -> &$stream {
                self.0
            }
        }

        impl AsRef<$stream> for WriteHalf<'_> {
            fn as_ref(&self) -> &$stream {
                self.0
            }
        }

        impl AsRef<$stream> for OwnedReadHalf {
            fn as_ref(&self) -> &$stream {
                &self.inner
            }
        }

        impl AsRef<$stream> for OwnedWriteHalf {
            fn as_ref(&self) -> &$stream {
                &self.inner
            }
        }

        $crate::net::stream_io::impl_async_read!(['a] ReadHalf<'a>, this => this.0.source);
        $crate::net::stream_io::impl_async_write!(
            ['a] WriteHalf<'a>,
            this => this.0.source,
            close => this.0.source.shutdown_write()
        );
        $crate::net::stream_io::impl_async_read!([] OwnedReadHalf, this => this.inner.source);
        $crate::net::stream_io::impl_async_write!(
            [] OwnedWriteHalf,
            this => this.inner.source,
            close => this.inner.source.shutdown_write()
        );
    };
}

pub(crate) use {half_addr_methods, read_half_methods, stream_halves, write_half_methods};
