//! `UCred`: the credentials of the process at the other end of a Unix
//! stream (tokio's `unix::UCred`), read with `SO_PEERCRED`.
//!
//! This file knows the credential triple, not sockets.

use super::{gid_t, pid_t, uid_t};

/// The credentials of a Unix socket's peer process, as the kernel recorded
/// them when the connection was made (or the pair created).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UCred {
    pid: Option<pid_t>,
    uid: uid_t,
    gid: gid_t,
}

impl UCred {
    pub(crate) fn new(pid: pid_t, uid: uid_t, gid: gid_t) -> UCred {
        UCred {
            pid: Some(pid),
            uid,
            gid,
        }
    }

    /// The peer's effective user id.
    pub fn uid(&self) -> uid_t {
        self.uid
    }

    /// The peer's effective group id.
    pub fn gid(&self) -> gid_t {
        self.gid
    }

    /// The peer's process id (always `Some` on Linux; an `Option` because
    /// tokio's is).
    pub fn pid(&self) -> Option<pid_t> {
        self.pid
    }
}
