//! The wake fd: [`EventFd`], an `eventfd(2)` counter created
//! `EFD_CLOEXEC | EFD_NONBLOCK`, with `signal` (add 1) and `drain` (read and
//! reset the counter).
//!
//! Owns: the eventfd and its 8-byte read / write protocol. Must not know: the
//! wake flag that guards it (deciding *whether* to signal is the poller's job).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::{cvt, cvt_r};

/// A nonblocking, close-on-exec `eventfd` used to wake a poller.
#[derive(Debug)]
pub struct EventFd {
    fd: OwnedFd,
}

impl EventFd {
    /// Creates an eventfd with counter 0 and `EFD_CLOEXEC | EFD_NONBLOCK`.
    pub fn new() -> io::Result<EventFd> {
        // SAFETY: eventfd takes no pointers. On success it returns a new fd
        // that nothing else owns, so `OwnedFd` may take ownership of it; on
        // failure `?` returns before `from_raw_fd` is reached.
        let fd = unsafe {
            OwnedFd::from_raw_fd(cvt(libc::eventfd(
                0,
                libc::EFD_CLOEXEC | libc::EFD_NONBLOCK,
            ))?)
        };
        Ok(EventFd { fd })
    }

    /// Adds 1 to the counter, making the fd readable.
    ///
    /// `EAGAIN` (the counter is at its maximum) counts as success: the fd is
    /// readable already. `EINTR` is retried.
    pub fn signal(&self) -> io::Result<()> {
        let one: u64 = 1;
        let res = cvt_r(|| {
            // SAFETY: `self.fd` is a live eventfd and `one` is a valid 8-byte
            // buffer that outlives the call; write only reads from it.
            unsafe {
                libc::write(
                    self.fd.as_raw_fd(),
                    (&raw const one).cast::<libc::c_void>(),
                    size_of::<u64>(),
                )
            }
        });
        match res {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Reads and resets the counter, returning its value; `Ok(0)` if it was
    /// already zero (`EAGAIN`). `EINTR` is retried.
    pub fn drain(&self) -> io::Result<u64> {
        let mut value: u64 = 0;
        let res = cvt_r(|| {
            // SAFETY: `self.fd` is a live eventfd and `value` is a valid,
            // writable 8-byte buffer that outlives the call.
            unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    (&raw mut value).cast::<libc::c_void>(),
                    size_of::<u64>(),
                )
            }
        });
        match res {
            Ok(_) => Ok(value),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(e),
        }
    }
}

impl AsFd for EventFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for EventFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
