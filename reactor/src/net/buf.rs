//! Receiving into a [`bytes::BufMut`]'s spare capacity (the `tokio`
//! feature's `try_read_buf`, `recv_buf` and `recv_buf_from`): the kernel
//! writes straight into the uninitialised chunk `chunk_mut()` offers, and
//! the buffer is advanced by what it wrote. Nothing reads that memory
//! before the kernel has written it, and no zeroing is paid for.
//!
//! The same for tokio's `ReadBuf` ([`recv_read_buf`]: the stream read of
//! `tokio::io::AsyncRead`), whose unfilled part may be uninitialised too:
//! zeroing it first (`initialize_unfilled`) would cost a memset of the
//! whole spare buffer on every read.
//!
//! This file knows `BufMut`'s and `ReadBuf`'s contracts; the receives are
//! `sys`'s.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::BorrowedFd;

use bytes::BufMut;

use crate::sys;

/// Receives into `buf`'s next chunk of spare capacity with `recv`, one of
/// the `sys` receives named below (private to this file: the safety
/// argument holds for those alone), and advances `buf` by the bytes
/// received.
fn fill<B: BufMut + ?Sized, R>(
    buf: &mut B,
    recv: impl FnOnce(&mut [MaybeUninit<u8>]) -> io::Result<(usize, R)>,
) -> io::Result<(usize, R)> {
    // SAFETY: `as_uninit_slice_mut` asks that nothing be read from the
    // slice and that no uninitialised byte be written to it. Its only user
    // is `recv`, which is `sys::io::recv_uninit`, `sys::io::read_uninit`,
    // `sys::socket::recv_from_uninit` or
    // `sys::socket::recv_from_unix_uninit` (see the callers below): each
    // hands it to the kernel, which writes received (initialised) bytes
    // and reads nothing.
    let chunk = unsafe { buf.chunk_mut().as_uninit_slice_mut() };
    let capacity = chunk.len();
    let (n, from) = recv(chunk)?;
    assert!(
        n <= capacity,
        "a receive reported more bytes than it was given"
    );
    // SAFETY: `advance_mut` asks that the next `n` bytes of the chunk be
    // initialised. The receive initialised the first `n` bytes of the slice
    // (each `sys` receive documents that), and the slice is the start of
    // that chunk: `buf` has not been touched since `chunk_mut`.
    unsafe { buf.advance_mut(n) };
    Ok((n, from))
}

/// One `recv` into `buf`'s spare capacity; returns the bytes received.
pub(crate) fn recv<B: BufMut + ?Sized>(fd: BorrowedFd<'_>, buf: &mut B) -> io::Result<usize> {
    fill(buf, |chunk| Ok((sys::io::recv_uninit(fd, chunk)?, ()))).map(|(n, ())| n)
}

/// One `read` (of a pipe) into `buf`'s spare capacity; returns the bytes
/// read.
pub(crate) fn read<B: BufMut + ?Sized>(fd: BorrowedFd<'_>, buf: &mut B) -> io::Result<usize> {
    fill(buf, |chunk| Ok((sys::io::read_uninit(fd, chunk)?, ()))).map(|(n, ())| n)
}

/// One `recvfrom` of an IP datagram into `buf`'s spare capacity; returns
/// the bytes received and the sender.
pub(crate) fn recv_from<B: BufMut + ?Sized>(
    fd: BorrowedFd<'_>,
    buf: &mut B,
) -> io::Result<(usize, std::net::SocketAddr)> {
    fill(buf, |chunk| sys::socket::recv_from_uninit(fd, chunk))
}

/// One `recvfrom` of a Unix datagram into `buf`'s spare capacity; returns
/// the bytes received and the sender.
pub(crate) fn recv_from_unix<B: BufMut + ?Sized>(
    fd: BorrowedFd<'_>,
    buf: &mut B,
) -> io::Result<(usize, std::os::unix::net::SocketAddr)> {
    fill(buf, |chunk| sys::socket::recv_from_unix_uninit(fd, chunk))
}

/// One `recv` into `buf`'s unfilled part (initialised or not), advancing
/// `buf` by the bytes received; returns their count.
pub(crate) fn recv_read_buf(
    fd: BorrowedFd<'_>,
    buf: &mut tokio::io::ReadBuf<'_>,
) -> io::Result<usize> {
    // SAFETY: `unfilled_mut` asks that no initialised byte of the slice be
    // de-initialised. Its only user is `sys::io::recv_uninit`, which hands
    // the slice to the kernel: it writes received (initialised) bytes and
    // nothing else.
    let unfilled = unsafe { buf.unfilled_mut() };
    let n = sys::io::recv_uninit(fd, unfilled)?;
    // SAFETY: `assume_init(n)` asks that the first `n` unfilled bytes be
    // initialised: `recv_uninit` initialised exactly those (it documents
    // that `n` is at most the slice's length), and `buf` has not been
    // touched since.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Ok(n)
}
