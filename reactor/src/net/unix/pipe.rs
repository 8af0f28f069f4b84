//! Unix pipes (tokio's `net::unix::pipe`): [`pipe`] makes an anonymous
//! pair, [`OpenOptions`] opens an end of a FIFO (a named pipe), and the two
//! ends are [`Sender`] (writing, `futures::io::AsyncWrite`) and [`Receiver`]
//! (reading, `futures::io::AsyncRead`), with tokio's io traits too under the
//! `tokio` feature.
//!
//! An end is a nonblocking, close-on-exec fd on a lazily registered
//! `Source`, like netloop's sockets: it joins the poller of the loop that
//! first has to wait on it, so — unlike tokio's, which panic outside a
//! runtime — ends can be made anywhere. I/O is `read(2)` / `write(2)` and
//! their vectored forms (`recv` / `send` are for sockets only), tried first
//! and waited for only on `EAGAIN`.
//!
//! # `SIGPIPE`
//!
//! A write to a pipe whose reading ends are all closed raises `SIGPIPE`:
//! `write(2)` has no `MSG_NOSIGNAL`. The Rust runtime sets `SIGPIPE` to
//! ignored before `main`, so the write fails with `EPIPE` instead, which is
//! [`io::ErrorKind::BrokenPipe`]. A process that puts the default action
//! back (a C host, `-Zon-broken-pipe=kill`, `signal(SIGPIPE, SIG_DFL)`) is
//! killed by such a write, as it would be with tokio or std.
//!
//! This file knows pipe ends, FIFOs and the checks on them; readiness and
//! registration are `source.rs`'s, the syscalls `sys`'s.

use std::fmt;
use std::fs::File;
use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::task::{Context, Poll, ready};

use crate::io::{Interest, Ready};
use crate::net::source::Source;
use crate::poll_desc::Direction;
use crate::sys::{self, fd::AccessMode};
use crate::time::Instant;

/// Creates an anonymous pipe (`pipe2` with `O_NONBLOCK | O_CLOEXEC`): what
/// is written to the [`Sender`] is read from the [`Receiver`] (tokio's
/// `pipe`).
///
/// For a child process's stdio, hand it
/// [`into_blocking_fd`](Sender::into_blocking_fd)'s fd.
///
/// # Errors
///
/// The `pipe2` error (`EMFILE`, `ENFILE`).
///
/// # Examples
///
/// Made, written and read without a runtime (the `try_*` operations never
/// wait, so nothing joins a poller):
///
/// ```
/// use netloop_reactor::net::unix::pipe;
///
/// let (tx, rx) = pipe::pipe()?;
/// assert_eq!(tx.try_write(b"hello")?, 5);
/// let mut buf = [0; 8];
/// assert_eq!(rx.try_read(&mut buf)?, 5);
/// assert_eq!(&buf[..5], b"hello");
/// drop(tx);
/// assert_eq!(rx.try_read(&mut buf)?, 0); // end of file
/// # std::io::Result::Ok(())
/// ```
pub fn pipe() -> io::Result<(Sender, Receiver)> {
    let (read, write) = sys::socket::pipe()?;
    let receiver = Receiver::new(read);
    receiver.writer_seen.store(true, Relaxed);
    // Writable from the start, as tokio's new pipes are.
    let sender = Sender {
        source: Source::new(write).assume_ready(false, true),
    };
    Ok((sender, receiver))
}

/// How to open an end of a FIFO (tokio's `pipe::OpenOptions`): start with
/// [`new`](Self::new), set options, then call
/// [`open_receiver`](Self::open_receiver) or
/// [`open_sender`](Self::open_sender).
///
/// The file is opened nonblocking and close-on-exec, and, unless
/// [`unchecked`](Self::unchecked), checked to be a FIFO.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    read_write: bool,
    unchecked: bool,
}

impl OpenOptions {
    /// Options with every flag `false`.
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Opens the FIFO for reading and writing (`O_RDWR`; Linux-only
    /// behaviour, undefined by POSIX).
    ///
    /// A [`Sender`] so opened never fails with `ENXIO` for want of a
    /// reader, since it is one itself — but what it wrote is lost if it
    /// closes before a reader opens. A [`Receiver`] so opened never reads
    /// end of file when the writers go (it is a writer too): it waits for
    /// the next one, so reading to end of file with it waits forever.
    pub fn read_write(&mut self, value: bool) -> &mut Self {
        self.read_write = value;
        self
    }

    /// Skips the check that the file opened is a FIFO. Set it only when the
    /// path is known to name one: any other file opens, and fails later
    /// (a regular file cannot join epoll).
    pub fn unchecked(&mut self, value: bool) -> &mut Self {
        self.unchecked = value;
        self
    }

    /// Opens the FIFO at `path` as a [`Receiver`]. A read-only open does
    /// not wait for a writer; reads see end of file once a writer has come
    /// and gone (and, before one comes, read nothing yet).
    ///
    /// # Errors
    ///
    /// `InvalidInput` when the file is not a FIFO (unless
    /// [`unchecked`](Self::unchecked)); `NotFound` and the other `open`
    /// errors.
    pub fn open_receiver<P: AsRef<Path>>(&self, path: P) -> io::Result<Receiver> {
        let fd = self.open(path.as_ref(), End::Receiver)?;
        Ok(Receiver::new(fd))
    }

    /// Opens the FIFO at `path` as a [`Sender`].
    ///
    /// # Errors
    ///
    /// With no reader on the FIFO (and without
    /// [`read_write`](Self::read_write)), `ENXIO`: check
    /// `err.raw_os_error()` (6 on Linux), then try again later. Also
    /// `InvalidInput` when the file is not a FIFO (unless
    /// [`unchecked`](Self::unchecked)); `NotFound` and the other `open`
    /// errors.
    pub fn open_sender<P: AsRef<Path>>(&self, path: P) -> io::Result<Sender> {
        let fd = self.open(path.as_ref(), End::Sender)?;
        Ok(Sender::new(fd))
    }

    fn open(&self, path: &Path, end: End) -> io::Result<OwnedFd> {
        let access = match (self.read_write, end) {
            (true, _) => AccessMode::ReadWrite,
            (false, End::Sender) => AccessMode::Write,
            (false, End::Receiver) => AccessMode::Read,
        };
        let fd = sys::fd::open_nonblocking(path, access)?;
        if !self.unchecked && !sys::fd::is_fifo(fd.as_fd())? {
            return Err(not_a_pipe());
        }
        Ok(fd)
    }
}

/// Which end of a pipe an fd is to be.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum End {
    Sender,
    Receiver,
}

fn not_a_pipe() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "not a pipe")
}

/// Checks that `fd` is a pipe or FIFO opened with the access `end` needs,
/// then sets it nonblocking: what the checked `from_*` constructors do.
fn prepare(fd: BorrowedFd<'_>, end: End) -> io::Result<()> {
    if !sys::fd::is_fifo(fd)? {
        return Err(not_a_pipe());
    }
    let mode = sys::fd::access_mode(fd)?;
    match end {
        End::Sender if !mode.is_some_and(AccessMode::can_write) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not in O_WRONLY or O_RDWR access mode",
        )),
        End::Receiver if !mode.is_some_and(AccessMode::can_read) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not in O_RDONLY or O_RDWR access mode",
        )),
        _ => sys::fd::set_nonblocking(fd, true),
    }
}

/// The writing end of a Unix pipe (tokio's `pipe::Sender`).
///
/// Writes are optimistic: `write(2)` is tried first, and the task waits in
/// the end's descriptor only on `EAGAIN`. A write of at most `PIPE_BUF`
/// (4096) bytes is atomic: all of it goes in, or none (`WouldBlock`).
/// Implements `futures::io::AsyncWrite` (for `Sender` and `&Sender`), and
/// tokio's with the `tokio` feature; closing (tokio's `shutdown`) does
/// nothing — the reader sees end of file once every writing end is
/// dropped. A write once every reader is gone fails with `BrokenPipe` (see
/// the [module docs](self) on `SIGPIPE`).
pub struct Sender {
    source: Source<OwnedFd>,
}

impl Sender {
    fn new(fd: OwnedFd) -> Sender {
        Sender {
            source: Source::new(fd),
        }
    }

    /// Waits until any of `interest` may be ready, and says which (tokio's
    /// `ready`). Once every reader is gone the pipe reports `EPOLLERR`,
    /// which shows here as [`Ready::WRITE_CLOSED`] (with `WRITABLE`), and
    /// as [`Ready::ERROR`] where `interest` asks for errors. The set may be
    /// a false positive (a write still meets `WouldBlock`), or empty.
    ///
    /// # Errors
    ///
    /// The end's loop shut down, or its write deadline passed.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        poll_fn(|cx| self.poll_ready(interest, cx)).await
    }

    fn poll_ready(&self, interest: Interest, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        // The poller records `EPOLLERR` as an error; for a pipe's writing
        // end it means "no reader left", tokio's write-closed. (Sticky, as
        // the poller keeps it: a FIFO that gains a new reader still says
        // closed until the end is reopened.)
        let mut ready = ready!(
            self.source
                .poll_ready_interest(interest.add(Interest::ERROR), cx)
        )?;
        if ready.is_error() {
            if interest.is_writable() {
                ready |= Ready::WRITE_CLOSED;
            }
            if !interest.is_error() {
                ready = ready - Ready::ERROR;
            }
        }
        Poll::Ready(Ok(ready))
    }

    /// Waits until the pipe may be writable (tokio's `writable`): at once if
    /// readiness was seen and no write has met `WouldBlock` since.
    ///
    /// # Errors
    ///
    /// As for [`ready`](Self::ready).
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Polls for write readiness (tokio's `poll_write_ready`).
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source.poll_ready(Direction::Write, cx)
    }

    /// Writes what fits without waiting (tokio's `try_write`); at most
    /// `PIPE_BUF` bytes go in whole or not at all.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the pipe is full, `BrokenPipe` when every reader
    /// is gone.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.source
            .try_io(Direction::Write, |fd| sys::io::write(fd.as_fd(), buf))
    }

    /// Gather write without waiting (tokio's `try_write_vectored`).
    ///
    /// # Errors
    ///
    /// As for [`try_write`](Self::try_write).
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.source
            .try_io(Direction::Write, |fd| sys::io::writev(fd.as_fd(), bufs))
    }

    /// Runs `f`, a nonblocking write-side operation on the pipe (through
    /// its fd), once, if the pipe may be writable — readiness seen by a
    /// wait or reported by the poller and not used up — and otherwise
    /// fails with `WouldBlock` without running it (tokio's `try_io`). A
    /// `WouldBlock` from `f` clears the write readiness seen, so the next
    /// [`writable`](Self::writable) waits for new readiness.
    ///
    /// # Errors
    ///
    /// `f`'s, or `TimedOut` once the write deadline passed.
    pub fn try_io<R>(&self, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.source.try_io_when_ready(Direction::Write, |_| f())
    }

    /// Sets the write deadline (Go's `SetWriteDeadline`): a write pending
    /// at `deadline`, or started after it, fails with
    /// `ErrorKind::TimedOut`; `None` clears it. The timer runs on the loop
    /// this is called on.
    ///
    /// # Errors
    ///
    /// Called outside a netloop runtime, or the end's loop shut down.
    pub fn set_write_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.source.set_deadline(Direction::Write, deadline)
    }

    fn poll_write_bytes(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.source
            .poll_stream_io(Direction::Write, cx, buf.len(), |fd| {
                sys::io::write(fd.as_fd(), buf)
            })
    }

    fn poll_write_slices(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = sys::io::writev_len(bufs);
        self.source.poll_stream_io(Direction::Write, cx, len, |fd| {
            sys::io::writev(fd.as_fd(), bufs)
        })
    }
}

/// The reading end of a Unix pipe (tokio's `pipe::Receiver`).
///
/// Reads are optimistic: `read(2)` is tried first, and the task waits in
/// the end's descriptor only on `EAGAIN`. A read returns 0 (end of file)
/// once every writing end is closed. Implements `futures::io::AsyncRead`
/// (for `Receiver` and `&Receiver`), and tokio's with the `tokio` feature.
pub struct Receiver {
    source: Source<OwnedFd>,
    /// A writer is or was there: the end came from [`pipe`], a read
    /// returned data, or the poller reported the writing side gone. Until
    /// then a read of 0 bytes from a FIFO means "no writer has opened it
    /// yet", not end of file.
    writer_seen: AtomicBool,
}

impl Receiver {
    fn new(fd: OwnedFd) -> Receiver {
        Receiver {
            source: Source::new(fd),
            writer_seen: AtomicBool::new(false),
        }
    }

    /// Waits until any of `interest` may be ready, and says which (tokio's
    /// `ready`): [`Ready::READ_CLOSED`] once every writer is gone (the pipe
    /// reports `EPOLLHUP`). The set may be a false positive (a read still
    /// meets `WouldBlock`).
    ///
    /// # Errors
    ///
    /// The end's loop shut down, or its read deadline passed.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.source.ready(interest).await
    }

    /// Waits until the pipe may be readable (tokio's `readable`): at once if
    /// readiness was seen and no read has met `WouldBlock` since.
    ///
    /// # Errors
    ///
    /// As for [`ready`](Self::ready).
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Polls for read readiness (tokio's `poll_read_ready`).
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source.poll_ready(Direction::Read, cx)
    }

    /// Reads what is there without waiting (tokio's `try_read`). `Ok(0)` is
    /// end of file (every writer gone) or an empty `buf`.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the pipe is empty and a writer is still there.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let wants = !buf.is_empty();
        self.source.try_io(Direction::Read, |fd| {
            self.eof_or_no_writer_yet(sys::io::read(fd.as_fd(), buf), wants)
        })
    }

    /// Scatter read without waiting (tokio's `try_read_vectored`).
    ///
    /// # Errors
    ///
    /// As for [`try_read`](Self::try_read).
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let wants = bufs.iter().any(|b| !b.is_empty());
        self.source.try_io(Direction::Read, |fd| {
            self.eof_or_no_writer_yet(sys::io::readv(fd.as_fd(), bufs), wants)
        })
    }

    /// Reads what is there into `buf`'s spare capacity without waiting,
    /// advancing `buf` by the bytes read (tokio's `try_read_buf`; the
    /// `tokio` feature). The spare capacity may be uninitialised: the
    /// kernel writes into it directly. `Ok(0)` is end of file (or `buf` had
    /// no room).
    ///
    /// # Errors
    ///
    /// As for [`try_read`](Self::try_read).
    #[cfg(feature = "tokio")]
    pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        let wants = buf.has_remaining_mut();
        self.source.try_io(Direction::Read, |fd| {
            self.eof_or_no_writer_yet(crate::net::buf::read(fd.as_fd(), buf), wants)
        })
    }

    /// Runs `f`, a nonblocking read-side operation on the pipe (through
    /// its fd), once, if the pipe may be readable — readiness seen by a
    /// wait or reported by the poller and not used up — and otherwise
    /// fails with `WouldBlock` without running it (tokio's `try_io`). A
    /// `WouldBlock` from `f` clears the read readiness seen, so the next
    /// [`readable`](Self::readable) waits for new readiness.
    ///
    /// # Errors
    ///
    /// `f`'s, or `TimedOut` once the read deadline passed.
    pub fn try_io<R>(&self, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.source.try_io_when_ready(Direction::Read, |_| f())
    }

    /// Sets the read deadline (Go's `SetReadDeadline`): a read pending at
    /// `deadline`, or started after it, fails with `ErrorKind::TimedOut`;
    /// `None` clears it. The timer runs on the loop this is called on.
    ///
    /// # Errors
    ///
    /// Called outside a netloop runtime, or the end's loop shut down.
    pub fn set_read_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.source.set_deadline(Direction::Read, deadline)
    }

    /// A read's result, with `Ok(0)` for a non-empty buffer turned into
    /// `WouldBlock` while no writer has been seen (see `writer_seen`): a
    /// FIFO opened for reading returns 0 until a writer opens it, which is
    /// not end of file (tokio waits for readiness there).
    fn eof_or_no_writer_yet(&self, read: io::Result<usize>, wants: bool) -> io::Result<usize> {
        match read {
            Ok(0) if wants && !self.writer_seen.load(Relaxed) => {
                if self.source.read_closed_seen() {
                    self.writer_seen.store(true, Relaxed);
                    Ok(0)
                } else {
                    Err(io::ErrorKind::WouldBlock.into())
                }
            }
            Ok(n) if n > 0 => {
                self.writer_seen.store(true, Relaxed);
                Ok(n)
            }
            other => other,
        }
    }

    fn poll_read_bytes(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let wants = !buf.is_empty();
        self.source
            .poll_stream_io(Direction::Read, cx, buf.len(), |fd| {
                self.eof_or_no_writer_yet(sys::io::read(fd.as_fd(), buf), wants)
            })
    }

    fn poll_read_slices(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        let wants = bufs.iter().any(|b| !b.is_empty());
        let len = sys::io::readv_len(bufs);
        self.source.poll_stream_io(Direction::Read, cx, len, |fd| {
            self.eof_or_no_writer_yet(sys::io::readv(fd.as_fd(), bufs), wants)
        })
    }
}

/// `futures::io::AsyncRead` (and tokio's, with the feature) for `$ty`,
/// which derefs to a [`Receiver`].
macro_rules! impl_receiver_read {
    ([$($gen:tt)*] $ty:ty) => {
        impl<$($gen)*> futures::io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                let this: &Receiver = &self;
                this.poll_read_bytes(cx, buf)
            }

            fn poll_read_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                let this: &Receiver = &self;
                this.poll_read_slices(cx, bufs)
            }
        }

        #[cfg(feature = "tokio")]
        impl<$($gen)*> tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let this: &Receiver = &self;
                let n = ready!(this.poll_read_bytes(cx, buf.initialize_unfilled()))?;
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
        }
    };
}

/// `poll_write`, `poll_write_vectored` and `poll_flush`, spelt the same in
/// futures' `AsyncWrite` and tokio's, for a type that derefs to a
/// [`Sender`].
macro_rules! sender_write_fns {
    () => {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let this: &Sender = &self;
            this.poll_write_bytes(cx, buf)
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let this: &Sender = &self;
            this.poll_write_slices(cx, bufs)
        }

        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    };
}

/// `futures::io::AsyncWrite` (and tokio's, with the feature) for `$ty`,
/// which derefs to a [`Sender`]. Closing does nothing: a pipe has no half
/// to shut down, and the reader sees end of file when the end is dropped.
macro_rules! impl_sender_write {
    ([$($gen:tt)*] $ty:ty) => {
        impl<$($gen)*> futures::io::AsyncWrite for $ty {
            sender_write_fns!();

            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }

        #[cfg(feature = "tokio")]
        impl<$($gen)*> tokio::io::AsyncWrite for $ty {
            sender_write_fns!();

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_shutdown(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
            ) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }
    };
}

impl_receiver_read!([] Receiver);
impl_receiver_read!(['a] &'a Receiver);
impl_sender_write!([] Sender);
impl_sender_write!(['a] &'a Sender);

/// The constructors from files and fds and the conversions back (tokio's
/// `from_file`, `from_owned_fd`, their `_unchecked` forms,
/// `into_blocking_fd`, `into_nonblocking_fd`), written once for both ends:
/// `$end` says which access mode `prepare` checks, `$mode` names it in the
/// docs.
macro_rules! end_conversions {
    ($ty:ident, $end:expr, $mode:literal) => {
        impl $ty {
            #[doc = concat!("Wraps a [`File`] that is a FIFO (or pipe) opened for ", $mode, ", and")]
            /// sets it nonblocking (tokio's `from_file`).
            ///
            /// # Errors
            ///
            #[doc = concat!("`InvalidInput` when the file is not a pipe or not opened for ", $mode, ";")]
            /// the `fstat` / `fcntl` errors.
            pub fn from_file(file: File) -> io::Result<$ty> {
                $ty::from_owned_fd(file.into())
            }

            #[doc = concat!("Wraps an fd that is a pipe or FIFO opened for ", $mode, ", and sets it")]
            /// nonblocking (tokio's `from_owned_fd`). `O_NONBLOCK` belongs to
            /// the open file description: copies of the fd (a `dup`, a
            /// child's) turn nonblocking too.
            ///
            /// # Errors
            ///
            /// As for [`from_file`](Self::from_file).
            pub fn from_owned_fd(owned_fd: OwnedFd) -> io::Result<$ty> {
                prepare(owned_fd.as_fd(), $end)?;
                Ok($ty::new(owned_fd))
            }

            /// Wraps a [`File`] as it is: the caller vouches that it is a
            #[doc = concat!("pipe or FIFO opened for ", $mode, ", in nonblocking mode (tokio's")]
            /// `from_file_unchecked`).
            ///
            /// # Errors
            ///
            /// Never, today; the signature is tokio's.
            pub fn from_file_unchecked(file: File) -> io::Result<$ty> {
                $ty::from_owned_fd_unchecked(file.into())
            }

            /// Wraps an fd as it is, as
            /// [`from_file_unchecked`](Self::from_file_unchecked) does
            /// (tokio's `from_owned_fd_unchecked`).
            ///
            /// # Errors
            ///
            /// Never, today; the signature is tokio's.
            pub fn from_owned_fd_unchecked(owned_fd: OwnedFd) -> io::Result<$ty> {
                Ok($ty::new(owned_fd))
            }

            /// Deregisters the end and returns its fd in blocking mode
            /// (tokio's `into_blocking_fd`): what a child process's stdio
            /// wants.
            ///
            /// # Errors
            ///
            /// The `fcntl` error.
            pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
                let fd = self.into_nonblocking_fd()?;
                sys::fd::set_nonblocking(fd.as_fd(), false)?;
                Ok(fd)
            }

            /// Deregisters the end and returns its fd, still nonblocking
            /// (tokio's `into_nonblocking_fd`).
            ///
            /// # Errors
            ///
            /// Never, today; the signature is tokio's.
            pub fn into_nonblocking_fd(self) -> io::Result<OwnedFd> {
                Ok(self.source.into_inner())
            }
        }
    };
}

end_conversions!(Sender, End::Sender, "writing");
end_conversions!(Receiver, End::Receiver, "reading");

/// `AsFd`, `AsRawFd` and `Debug` (the fd) for a pipe end.
macro_rules! impl_end_traits {
    ($ty:ident) => {
        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.source.fd()
            }
        }

        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.source.fd().as_raw_fd()
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("fd", &self.as_raw_fd())
                    .finish()
            }
        }
    };
}

impl_end_traits!(Sender);
impl_end_traits!(Receiver);
