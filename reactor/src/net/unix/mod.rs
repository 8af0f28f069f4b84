//! Unix domain sockets (tokio's `net::unix` plus the types tokio exports
//! from `net`): [`UnixListener`], [`UnixStream`] with its halves,
//! [`UnixDatagram`], [`UnixSocket`] (a socket to bind before it listens,
//! connects or sends), the peer credentials [`UCred`], and [`pipe`]:
//! anonymous pipes and FIFOs (tokio's `net::unix::pipe`).
//!
//! Addresses are std's [`SocketAddr`] (a path, unnamed, or a Linux
//! abstract name). Every socket is nonblocking and close-on-exec, joins the
//! poller of the loop that first waits on it, and never blocks a loop: a
//! stream connect to a listener whose backlog is full is retried after a
//! short pause instead of waiting in the kernel.

mod datagram;
mod listener;
pub mod pipe;
mod socket;
mod split;
mod stream;
mod ucred;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use socket::UnixSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use std::os::unix::net::SocketAddr;
pub use stream::UnixStream;
pub use ucred::UCred;

/// The address a path names: a Linux abstract name when it starts with a
/// NUL byte (as tokio reads it), a filesystem path otherwise.
pub(crate) fn addr_of(path: &std::path::Path) -> std::io::Result<SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::ffi::OsStrExt;
    match path.as_os_str().as_bytes() {
        [0, name @ ..] => SocketAddr::from_abstract_name(name),
        _ => SocketAddr::from_pathname(path),
    }
}

/// A user id (`uid_t`).
#[allow(non_camel_case_types)]
pub type uid_t = u32;

/// A group id (`gid_t`).
#[allow(non_camel_case_types)]
pub type gid_t = u32;

/// A process id (`pid_t`).
#[allow(non_camel_case_types)]
pub type pid_t = i32;
