//! `SIGPIPE`'s disposition. The Rust runtime ignores `SIGPIPE` before
//! `main`, which hides a write that would raise it; a test that proves
//! netloop's writes never raise it (`MSG_NOSIGNAL`) puts the default action
//! (terminate) back while it runs.
//!
//! Must not know: sockets, loops.

use std::io;

/// `SIGPIPE`'s default action, installed until this is dropped (which puts
/// back what was there).
#[derive(Debug)]
pub struct SigpipeDefault {
    previous: libc::sighandler_t,
}

/// Installs `SIG_DFL` for `SIGPIPE`, returning the guard that restores the
/// previous disposition.
pub fn sigpipe_default() -> io::Result<SigpipeDefault> {
    // SAFETY: `SIG_DFL` installs no handler code, so nothing runs in signal
    // context; `signal` takes no pointers.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    if previous == libc::SIG_ERR {
        return Err(io::Error::last_os_error());
    }
    Ok(SigpipeDefault { previous })
}

impl Drop for SigpipeDefault {
    fn drop(&mut self) {
        // SAFETY: puts back the disposition `sigpipe_default` replaced, which
        // was valid when it was read (SIG_IGN as the Rust runtime set it, or
        // whatever handler the process had installed).
        unsafe { libc::signal(libc::SIGPIPE, self.previous) };
    }
}
