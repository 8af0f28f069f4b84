//! What pipes and FIFOs need of a descriptor: opening a path
//! `O_NONBLOCK | O_CLOEXEC` (`open_nonblocking`), creating a FIFO
//! (`mkfifo`), asking whether an fd is one (`is_fifo`, `fstat`'s
//! `S_ISFIFO`), its access mode (`access_mode`, `F_GETFL`'s `O_ACCMODE`),
//! and setting or clearing `O_NONBLOCK` (`set_nonblocking`, `F_SETFL`).
//!
//! Must not know: async, readiness, which end of a pipe an fd is meant to
//! be.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::{cvt, cvt_r};

/// How an fd was opened (`O_ACCMODE` of its status flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessMode {
    /// `O_RDONLY`.
    Read,
    /// `O_WRONLY`.
    Write,
    /// `O_RDWR`.
    ReadWrite,
}

impl AccessMode {
    /// Whether the fd may be read from (`O_RDONLY` or `O_RDWR`).
    pub fn can_read(self) -> bool {
        matches!(self, AccessMode::Read | AccessMode::ReadWrite)
    }

    /// Whether the fd may be written to (`O_WRONLY` or `O_RDWR`).
    pub fn can_write(self) -> bool {
        matches!(self, AccessMode::Write | AccessMode::ReadWrite)
    }
}

/// Opens `path` with `access`, nonblocking and close-on-exec (std adds
/// `O_CLOEXEC`; `EINTR` is retried by std). On a FIFO, a nonblocking
/// write-only open with no reader fails with `ENXIO`; a read-only one
/// succeeds at once.
pub fn open_nonblocking(path: &Path, access: AccessMode) -> io::Result<OwnedFd> {
    let file = std::fs::OpenOptions::new()
        .read(access.can_read())
        .write(access.can_write())
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    Ok(file.into())
}

/// Creates a FIFO at `path` with permission bits `mode` (less the umask).
///
/// # Errors
///
/// `AlreadyExists` when something is at `path`, `InvalidInput` for a path
/// holding a NUL byte, ...
pub fn mkfifo(path: &Path, mode: u32) -> io::Result<()> {
    let path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))?;
    // SAFETY: `path` is a NUL-terminated string that lives across the call,
    // only read by the kernel.
    cvt(unsafe { libc::mkfifo(path.as_ptr(), mode as libc::mode_t) })?;
    Ok(())
}

/// Whether `fd` is a pipe or a FIFO (`fstat`, `S_ISFIFO`).
pub fn is_fifo(fd: BorrowedFd<'_>) -> io::Result<bool> {
    // SAFETY: `stat` is a plain C struct of integers, for which the all-zero
    // bit pattern is a valid value.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `stat` is a valid, writable `struct stat` that lives across the
    // call; `fd` is borrowed, so it stays open.
    cvt(unsafe { libc::fstat(fd.as_raw_fd(), &raw mut stat) })?;
    Ok(stat.st_mode & libc::S_IFMT == libc::S_IFIFO)
}

/// The status flags of `fd` (`fcntl(F_GETFL)`).
fn status_flags(fd: BorrowedFd<'_>) -> io::Result<libc::c_int> {
    // SAFETY: F_GETFL takes no argument and no pointers; `fd` is borrowed, so
    // it stays open.
    cvt_r(|| unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })
}

/// How `fd` was opened (`O_ACCMODE` of `fcntl(F_GETFL)`); `None` for an
/// access mode that is none of the three (Linux's `O_PATH` fds report 3).
pub fn access_mode(fd: BorrowedFd<'_>) -> io::Result<Option<AccessMode>> {
    Ok(match status_flags(fd)? & libc::O_ACCMODE {
        libc::O_RDONLY => Some(AccessMode::Read),
        libc::O_WRONLY => Some(AccessMode::Write),
        libc::O_RDWR => Some(AccessMode::ReadWrite),
        _ => None,
    })
}

/// Sets (`true`) or clears (`false`) `O_NONBLOCK` on `fd`; a no-op when it
/// is already so. The flag belongs to the open file description, so every
/// fd sharing it (a `dup`, a forked child's copy) sees the change.
pub fn set_nonblocking(fd: BorrowedFd<'_>, nonblocking: bool) -> io::Result<()> {
    let flags = status_flags(fd)?;
    let wanted = if nonblocking {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    if wanted != flags {
        // SAFETY: F_SETFL takes an int argument and no pointers; `fd` is
        // borrowed, so it stays open.
        cvt_r(|| unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, wanted) })?;
    }
    Ok(())
}
