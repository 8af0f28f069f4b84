//! The readiness and raw-I/O methods every netloop socket shares (tokio's
//! `readable`, `writable`, `ready`, `poll_*_ready`, `try_io`, `async_io`,
//! plus Go's deadlines), written once as a macro expanded inside each
//! type's `impl` block over its `source` field.
//!
//! This file knows method shapes, not socket kinds.

/// Expands to the shared readiness methods; `$source` is how `self`
/// reaches its `Source`.
macro_rules! readiness_methods {
    ($self:ident => $source:expr) => {
        /// Waits until the socket may be readable (tokio's `readable`): at
        /// once if readiness was seen and no read has met `WouldBlock`
        /// since. A following `try_read` may still return `WouldBlock`.
        ///
        /// # Errors
        ///
        /// The socket's loop shut down, or its read deadline passed.
        pub async fn readable(&$self) -> std::io::Result<()> {
            $source.ready($crate::io::Interest::READABLE).await.map(drop)
        }

        /// Waits until the socket may be writable (tokio's `writable`).
        ///
        /// # Errors
        ///
        /// As for `readable`.
        pub async fn writable(&$self) -> std::io::Result<()> {
            $source.ready($crate::io::Interest::WRITABLE).await.map(drop)
        }

        /// Waits until any of `interest` may be ready, and says which
        /// (tokio's `ready`).
        ///
        /// # Errors
        ///
        /// As for `readable`.
        pub async fn ready(&$self, interest: $crate::io::Interest) -> std::io::Result<$crate::io::Ready> {
            $source.ready(interest).await
        }

        /// Polls for read readiness (tokio's `poll_read_ready`).
        pub fn poll_read_ready(&$self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
            $source.poll_ready($crate::Direction::Read, cx)
        }

        /// Polls for write readiness (tokio's `poll_write_ready`).
        pub fn poll_write_ready(&$self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
            $source.poll_ready($crate::Direction::Write, cx)
        }

        /// Runs `f`, a nonblocking operation on the socket, once, if the
        /// socket may be ready for `interest` (tokio's `try_io`): readiness
        /// was seen by a wait (`readable()`, `ready()`, ...) or reported by
        /// the poller and not yet used up; otherwise `WouldBlock` without
        /// running `f`. A `WouldBlock` from `f` clears the readiness seen,
        /// so the next wait waits for new readiness.
        pub fn try_io<R>(
            &$self,
            interest: $crate::io::Interest,
            f: impl FnOnce() -> std::io::Result<R>,
        ) -> std::io::Result<R> {
            $source.try_io_when_ready($crate::net::direction_of(interest), |_| f())
        }

        /// Runs `f` until it does not fail with `WouldBlock`, waiting for
        /// `interest`'s readiness in between (tokio's `async_io`).
        pub async fn async_io<R>(
            &$self,
            interest: $crate::io::Interest,
            mut f: impl FnMut() -> std::io::Result<R>,
        ) -> std::io::Result<R> {
            $source.async_io($crate::net::direction_of(interest), |_| f()).await
        }

        /// Sets the read deadline (Go's `SetReadDeadline`): a read pending
        /// at `deadline`, or started after it, fails with
        /// `ErrorKind::TimedOut`. Setting it again moves it (a pending read
        /// keeps waiting if the new one is later); `None` clears it. The
        /// timer runs on the loop this is called on.
        ///
        /// # Errors
        ///
        /// Called outside a netloop runtime, or the socket's loop shut down.
        pub fn set_read_deadline(&$self, deadline: Option<$crate::time::Instant>) -> std::io::Result<()> {
            $source.set_deadline($crate::Direction::Read, deadline)
        }

        /// Sets the write deadline (Go's `SetWriteDeadline`), as
        /// `set_read_deadline` does for reads.
        ///
        /// # Errors
        ///
        /// As for `set_read_deadline`.
        pub fn set_write_deadline(&$self, deadline: Option<$crate::time::Instant>) -> std::io::Result<()> {
            $source.set_deadline($crate::Direction::Write, deadline)
        }
    };
}

/// Expands to the byte-stream `try_*` and `peek` methods of a connected
/// stream (TCP, Unix).
macro_rules! stream_try_methods {
    ($self:ident => $source:expr) => {
        /// Reads what is there without waiting (tokio's `try_read`);
        /// `WouldBlock` when nothing is.
        ///
        /// # Errors
        ///
        /// `WouldBlock`, or the socket's error.
        pub fn try_read(&$self, buf: &mut [u8]) -> std::io::Result<usize> {
            $source.try_io($crate::Direction::Read, |io| {
                $crate::sys::io::recv(std::os::fd::AsFd::as_fd(io), buf)
            })
        }

        /// Reads what is there into `buf`'s spare capacity without waiting,
        /// advancing `buf` by the bytes read (tokio's `try_read_buf`; the
        /// `tokio` feature). The spare capacity may be uninitialised: the
        /// kernel writes into it directly. `Ok(0)` is end of stream (or
        /// `buf` had no room); `WouldBlock` when nothing is there.
        ///
        /// # Errors
        ///
        /// As for `try_read`.
        #[cfg(feature = "tokio")]
        pub fn try_read_buf<B: bytes::BufMut>(&$self, buf: &mut B) -> std::io::Result<usize> {
            $source.try_io($crate::Direction::Read, |io| {
                $crate::net::buf::recv(std::os::fd::AsFd::as_fd(io), buf)
            })
        }

        /// Scatter read without waiting (tokio's `try_read_vectored`).
        ///
        /// # Errors
        ///
        /// As for `try_read`.
        pub fn try_read_vectored(&$self, bufs: &mut [std::io::IoSliceMut<'_>]) -> std::io::Result<usize> {
            $source.try_io($crate::Direction::Read, |io| {
                $crate::sys::io::readv(std::os::fd::AsFd::as_fd(io), bufs)
            })
        }

        /// Writes what fits without waiting (tokio's `try_write`).
        ///
        /// # Errors
        ///
        /// `WouldBlock` when the send buffer is full, `BrokenPipe` when
        /// the peer is gone, or the socket's error.
        pub fn try_write(&$self, buf: &[u8]) -> std::io::Result<usize> {
            $source.try_io($crate::Direction::Write, |io| {
                $crate::sys::io::send(std::os::fd::AsFd::as_fd(io), buf)
            })
        }

        /// Gather write without waiting (tokio's `try_write_vectored`).
        ///
        /// # Errors
        ///
        /// As for `try_write`.
        pub fn try_write_vectored(&$self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
            $source.try_io($crate::Direction::Write, |io| {
                $crate::sys::io::send_vectored(std::os::fd::AsFd::as_fd(io), bufs)
            })
        }
    };
}

pub(crate) use {readiness_methods, stream_try_methods};
