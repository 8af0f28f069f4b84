//! Byte I/O on borrowed fds: `read` (also into uninitialised memory) /
//! `write` / `readv` / `writev`, `recv` (also into uninitialised memory) /
//! `peek` / `send` / `send_vectored` (`MSG_NOSIGNAL`), `shutdown` and a
//! `close` that reports its error.
//!
//! Every call is a single nonblocking attempt: `EINTR` is retried, `EAGAIN`
//! surfaces as [`io::ErrorKind::WouldBlock`]. Must not know: async,
//! readiness, or who owns the fd.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, BorrowedFd, IntoRawFd, OwnedFd};

use super::{cvt, cvt_r, raw};

/// Most buffers one `readv` / `writev` passes (Linux's `UIO_MAXIOV`).
const IOV_MAX: usize = libc::UIO_MAXIOV as usize;

/// `recvfrom(2)` with no address, entered directly ([`super::raw`]):
/// glibc's `recv` is a cancellation point, whose enable/disable pair costs
/// some 60 instructions a call for nothing here. Returns the kernel's
/// answer: bytes received, or `-errno`.
///
/// # Safety
///
/// `ptr` must be valid for writes of `len` bytes for the call.
unsafe fn raw_recv(fd: BorrowedFd<'_>, ptr: *mut u8, len: usize, flags: libc::c_int) -> isize {
    // SAFETY: the caller guarantees `ptr`/`len`; the two null pointers ask
    // for no source address; `fd` is borrowed, so it stays open.
    unsafe {
        raw::syscall6(
            libc::SYS_recvfrom,
            [
                fd.as_raw_fd() as usize,
                ptr as usize,
                len,
                flags as usize,
                0,
                0,
            ],
        )
    }
}

/// `sendto(2)` with no address, entered directly (see [`raw_recv`]).
///
/// # Safety
///
/// `ptr` must be valid for reads of `len` bytes for the call.
unsafe fn raw_send(fd: BorrowedFd<'_>, ptr: *const u8, len: usize, flags: libc::c_int) -> isize {
    // SAFETY: the caller guarantees `ptr`/`len`; no destination address;
    // `fd` is borrowed, so it stays open.
    unsafe {
        raw::syscall6(
            libc::SYS_sendto,
            [
                fd.as_raw_fd() as usize,
                ptr as usize,
                len,
                flags as usize,
                0,
                0,
            ],
        )
    }
}

/// Clamps a buffer length the way std does: the syscalls return `isize`.
fn clamp_len(len: usize) -> usize {
    len.min(isize::MAX as usize)
}

/// How many bytes one [`readv`] into `bufs` asks for: the buffers it
/// passes (at most `UIO_MAXIOV` of them), so that a result below this is a
/// genuinely short read.
pub fn readv_len(bufs: &[IoSliceMut<'_>]) -> usize {
    bufs.iter().take(IOV_MAX).map(|b| b.len()).sum()
}

/// How many bytes one [`writev`] or [`send_vectored`] of `bufs` offers (at
/// most `UIO_MAXIOV` buffers).
pub fn writev_len(bufs: &[IoSlice<'_>]) -> usize {
    bufs.iter().take(IOV_MAX).map(|b| b.len()).sum()
}

/// Reads into `buf`, returning how many bytes were read (0 at end of file).
pub fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    let len = clamp_len(buf.len());
    let n = cvt_r(|| {
        // SAFETY: `buf` is a valid, writable buffer of at least `len` bytes
        // borrowed for the call; `fd` is borrowed, so it stays open.
        unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), len) }
    })?;
    Ok(n as usize)
}

/// [`read`] into `buf`, which may be uninitialised. Returns `n`: the first
/// `n` bytes of `buf` (`n` ≤ `buf.len()`) were read, initialised by the
/// kernel; the rest is untouched.
pub fn read_uninit(fd: BorrowedFd<'_>, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
    let len = clamp_len(buf.len());
    let n = cvt_r(|| {
        // SAFETY: `buf` is a valid, writable buffer of at least `len` bytes
        // borrowed for the call; the kernel only writes read bytes into it
        // (never uninitialised ones), and reads nothing from it; `fd` is
        // borrowed, so it stays open.
        unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), len) }
    })?;
    Ok(n as usize)
}

/// Writes from `buf`, returning how many bytes were written.
pub fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    let len = clamp_len(buf.len());
    let n = cvt_r(|| {
        // SAFETY: `buf` is a valid buffer of at least `len` bytes borrowed for
        // the call, only read by the kernel; `fd` is borrowed, so it stays open.
        unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), len) }
    })?;
    Ok(n as usize)
}

/// Scatter read into `bufs` (at most the first 1024 of them).
pub fn readv(fd: BorrowedFd<'_>, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    let count = bufs.len().min(IOV_MAX) as libc::c_int;
    let n = cvt_r(|| {
        // SAFETY: `IoSliceMut` is ABI-compatible with `iovec` on Unix (std
        // guarantees it), each one describes a writable buffer borrowed for
        // the call, and `count` does not exceed `bufs.len()`.
        unsafe {
            libc::readv(
                fd.as_raw_fd(),
                bufs.as_mut_ptr().cast::<libc::iovec>(),
                count,
            )
        }
    })?;
    Ok(n as usize)
}

/// Gather write from `bufs` (at most the first 1024 of them).
pub fn writev(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    let count = bufs.len().min(IOV_MAX) as libc::c_int;
    let n = cvt_r(|| {
        // SAFETY: `IoSlice` is ABI-compatible with `iovec` on Unix (std
        // guarantees it), each one describes a readable buffer borrowed for
        // the call, and `count` does not exceed `bufs.len()`.
        unsafe { libc::writev(fd.as_raw_fd(), bufs.as_ptr().cast::<libc::iovec>(), count) }
    })?;
    Ok(n as usize)
}

fn recv_with_flags(fd: BorrowedFd<'_>, buf: &mut [u8], flags: libc::c_int) -> io::Result<usize> {
    let len = clamp_len(buf.len());
    raw::retry(|| {
        // SAFETY: `buf` is a valid, writable buffer of at least `len` bytes
        // borrowed for the call.
        unsafe { raw_recv(fd, buf.as_mut_ptr(), len, flags) }
    })
}

/// Receives from a socket into `buf` (0 when the peer has shut down writing).
pub fn recv(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    recv_with_flags(fd, buf, 0)
}

/// [`recv`] into `buf`, which may be uninitialised. Returns `n`: the first
/// `n` bytes of `buf` (`n` ≤ `buf.len()`) were received, initialised by the
/// kernel; the rest is untouched.
pub fn recv_uninit(fd: BorrowedFd<'_>, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
    let len = clamp_len(buf.len());
    raw::retry(|| {
        // SAFETY: `buf` is a valid, writable buffer of at least `len` bytes
        // borrowed for the call; the kernel only writes received bytes into
        // it (never uninitialised ones), and reads nothing from it.
        unsafe { raw_recv(fd, buf.as_mut_ptr().cast(), len, 0) }
    })
}

/// Like [`recv`], but leaves the data queued (`MSG_PEEK`).
pub fn peek(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    recv_with_flags(fd, buf, libc::MSG_PEEK)
}

/// Sends `buf` on a socket with `MSG_NOSIGNAL`: a closed peer yields
/// [`io::ErrorKind::BrokenPipe`], never `SIGPIPE`.
pub fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    let len = clamp_len(buf.len());
    raw::retry(|| {
        // SAFETY: `buf` is a valid buffer of at least `len` bytes borrowed for
        // the call, only read by the kernel.
        unsafe { raw_send(fd, buf.as_ptr(), len, libc::MSG_NOSIGNAL) }
    })
}

/// Gather send from `bufs` (at most the first 1024 of them) with
/// `MSG_NOSIGNAL` (`sendmsg`): `writev` for sockets, minus the `SIGPIPE`.
pub fn send_vectored(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    let count = bufs.len().min(IOV_MAX);
    // SAFETY: an all-zero `msghdr` is valid (no name, no control data).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // `IoSlice` is ABI-compatible with `iovec` (std guarantees it); the
    // kernel only reads through this pointer despite its `*mut` type.
    msg.msg_iov = bufs.as_ptr().cast::<libc::iovec>().cast_mut();
    msg.msg_iovlen = count as _;
    let n = cvt_r(|| {
        // SAFETY: `msg` points at `count` iovecs describing readable buffers
        // borrowed for the call, and at no name or control data; `fd` is
        // borrowed, so it stays open.
        unsafe { libc::sendmsg(fd.as_raw_fd(), &raw const msg, libc::MSG_NOSIGNAL) }
    })?;
    Ok(n as usize)
}

/// Shuts down the read half, the write half or both halves of a socket.
pub fn shutdown(fd: BorrowedFd<'_>, how: Shutdown) -> io::Result<()> {
    let how = match how {
        Shutdown::Read => libc::SHUT_RD,
        Shutdown::Write => libc::SHUT_WR,
        Shutdown::Both => libc::SHUT_RDWR,
    };
    // SAFETY: shutdown takes no pointers; `fd` is borrowed, so it stays open.
    cvt(unsafe { libc::shutdown(fd.as_raw_fd(), how) })?;
    Ok(())
}

/// Closes `fd`, reporting `close(2)`'s error (`OwnedFd`'s `Drop` ignores it).
///
/// Never retried on `EINTR`: Linux has released the fd by then, and a retry
/// could close an fd another thread just opened. The fd is gone whatever
/// this returns.
pub fn close(fd: OwnedFd) -> io::Result<()> {
    let raw = fd.into_raw_fd();
    // SAFETY: `raw` came from an `OwnedFd` we consumed, so we are its sole
    // owner and nothing else will use or close it after this call.
    cvt(unsafe { libc::close(raw) })?;
    Ok(())
}
