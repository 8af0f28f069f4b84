//! Every syscall netloop makes, behind safe wrappers.
//!
//! **No file outside `sys/` names `libc`.** Everything above this module sees
//! `OwnedFd` / `BorrowedFd`, `io::Result` and the small types defined here.
//!
//! # Contract
//!
//! | file | provides | must not know |
//! |---|---|---|
//! | `epoll.rs` | [`Epoll`]: `new` (`EPOLL_CLOEXEC`), `add` / `modify` / `delete`, `wait` into [`Events`]; [`EventBits`] and the registration masks | slots, wakers, tokens' meaning |
//! | `eventfd.rs` | [`EventFd`]: `new` (`EFD_CLOEXEC \| EFD_NONBLOCK`), `signal`, `drain` | the wake flag that guards it |
//! | `socket.rs` | `socket` (`SOCK_NONBLOCK \| SOCK_CLOEXEC`), `socketpair`, `pipe`, `bind` (and `bind_unix`), `listen`, `accept4` (and `accept4_unaddressed`), `connect` (and `connect_unix`), `peer_cred`, `getsockopt` / `setsockopt`, `socket_type`, `take_error`, `local_addr` / `peer_addr`, `recv_from_uninit` (and `recv_from_unix_uninit`) | async, readiness |
//! | `fd.rs` | `open_nonblocking` (`O_NONBLOCK \| O_CLOEXEC`), `mkfifo`, `is_fifo` (`fstat`, `S_ISFIFO`), `access_mode` (`F_GETFL`'s `O_ACCMODE`), `set_nonblocking` (`F_SETFL`'s `O_NONBLOCK`) | async, readiness, pipe ends |
//! | `resource.rs` | `nofile_limit`, `set_nofile_soft_limit`, `raise_nofile_limit` (`RLIMIT_NOFILE`) | sockets, loops |
//! | `signal.rs` | `sigpipe_default` (`SIG_DFL` for `SIGPIPE` until the guard drops) | sockets, loops |
//! | `thread.rs` | `pin_current_thread` / `current_thread_cpus` (`sched_setaffinity` / `sched_getaffinity`), `yield_cpu` (`sched_yield`), `involuntary_switches` (`getrusage(RUSAGE_THREAD)`) | loops, runtimes |
//! | `clock.rs` | `monotonic_nanos` (`clock_gettime(CLOCK_MONOTONIC)` as a `u64`) | timers, loops |
//! | `io.rs` | `read` (and `read_uninit`) / `write` / `readv` / `writev`, `recv` (and `recv_uninit`) / `send` (`MSG_NOSIGNAL`; both entered directly through `raw.rs`, without glibc's cancellation-point wrapper), `shutdown`, `close` on borrowed fds | async, readiness |
//! | `raw.rs` | `syscall6` (the `syscall` / `svc` instruction on x86_64 / aarch64, `syscall(2)` elsewhere; the kernel's answer, `-errno` on failure), `retry` (`EINTR`) and `result` into `io::Result` | which calls are made, their arguments |
//!
//! Conventions, after std's `cvt` family: a `-1` return becomes
//! `io::Error::last_os_error()` (a direct call's `-errno` becomes the same
//! error, without the trip through `errno`); `EINTR` is retried where retrying is right
//! (reads, writes, `accept4`) and surfaced nowhere else as an error
//! (`epoll_wait` reports an empty batch). Every new fd is wrapped in an
//! `OwnedFd` on the line that creates it, and every `unsafe` block says why it
//! is sound right above it.

pub mod clock;
mod epoll;
mod eventfd;
pub mod fd;
pub mod io;
mod raw;
pub mod resource;
pub mod signal;
pub mod socket;
pub mod thread;

#[cfg(test)]
mod tests;

pub use epoll::{Epoll, EventBits, Events};
pub use eventfd::EventFd;

/// Turns a C-style `-1`-on-error return into an `io::Result`.
pub(crate) fn cvt<T: IsMinusOne>(t: T) -> std::io::Result<T> {
    if t.is_minus_one() {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(t)
    }
}

/// Like [`cvt`], but calls `f` again while it fails with `EINTR`.
pub(crate) fn cvt_r<T: IsMinusOne>(mut f: impl FnMut() -> T) -> std::io::Result<T> {
    loop {
        match cvt(f()) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Integer return types of syscalls, where `-1` means failure.
pub(crate) trait IsMinusOne: Copy {
    fn is_minus_one(self) -> bool;
}

impl IsMinusOne for i32 {
    fn is_minus_one(self) -> bool {
        self == -1
    }
}

impl IsMinusOne for isize {
    fn is_minus_one(self) -> bool {
        self == -1
    }
}
