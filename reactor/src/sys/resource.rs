//! The process's open-file limit (`RLIMIT_NOFILE`): read it, set it, raise
//! the soft limit to the hard one. For servers that expect many connections
//! and for tests that need many fds (or very few).
//!
//! Must not know: sockets, loops.

use std::io;

use super::cvt;

/// The `(soft, hard)` open-file limits.
pub fn nofile_limit() -> io::Result<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable `rlimit` for the call.
    cvt(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut limit) })?;
    Ok((limit.rlim_cur, limit.rlim_max))
}

/// Sets the soft open-file limit to `soft` (at most the hard limit),
/// keeping the hard limit.
pub fn set_nofile_soft_limit(soft: u64) -> io::Result<()> {
    let (_, hard) = nofile_limit()?;
    let limit = libc::rlimit {
        rlim_cur: soft.min(hard),
        rlim_max: hard,
    };
    // SAFETY: `limit` is a valid `rlimit`, only read by the call.
    cvt(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raw const limit) })?;
    Ok(())
}

/// Raises the soft open-file limit to the hard limit; returns the new soft
/// limit.
pub fn raise_nofile_limit() -> io::Result<u64> {
    let (_, hard) = nofile_limit()?;
    set_nofile_soft_limit(hard)?;
    Ok(hard)
}
