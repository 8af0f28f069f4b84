//! The epoll instance: [`Epoll`] (`epoll_create1(EPOLL_CLOEXEC)`,
//! `epoll_ctl`, `epoll_wait`), the [`Events`] buffer it fills and the
//! [`EventBits`] readiness masks with Go netpoll's read / write mapping.
//!
//! Owns: the epoll fd and the raw `epoll_event` layout. Must not know: slots,
//! wakers, or what a token means — a token is an opaque `u64` handed back as
//! given.

use std::fmt;
use std::io;
use std::ops::{BitOr, BitOrAssign};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::cvt;

/// An epoll instance, created close-on-exec.
#[derive(Debug)]
pub struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    /// Creates a new epoll instance with `EPOLL_CLOEXEC`.
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes no pointers. On success it returns a new
        // fd that nothing else owns, so `OwnedFd` may take ownership of it; on
        // failure `?` returns before `from_raw_fd` is reached.
        let fd = unsafe { OwnedFd::from_raw_fd(cvt(libc::epoll_create1(libc::EPOLL_CLOEXEC))?) };
        Ok(Epoll { fd })
    }

    /// Registers `fd` with `interest`; events for it carry `token`.
    pub fn add(&self, fd: BorrowedFd<'_>, token: u64, interest: EventBits) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd.as_raw_fd(), token, interest)
    }

    /// Changes the token and interest of an already registered `fd`.
    pub fn modify(&self, fd: BorrowedFd<'_>, token: u64, interest: EventBits) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd.as_raw_fd(), token, interest)
    }

    /// Removes `fd` from the interest list.
    pub fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        // A non-null event pointer keeps pre-2.6.9 kernels happy; it is ignored.
        self.ctl(libc::EPOLL_CTL_DEL, fd.as_raw_fd(), 0, EventBits::EMPTY)
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, token: u64, interest: EventBits) -> io::Result<()> {
        let mut event = libc::epoll_event {
            events: interest.0,
            u64: token,
        };
        // SAFETY: `self.fd` is a live epoll fd, `fd` is borrowed by the caller
        // for the duration of the call, and `event` is a valid, initialised
        // `epoll_event` that the kernel only reads during this call.
        cvt(unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut event) })?;
        Ok(())
    }

    /// Waits for events.
    ///
    /// `None` blocks indefinitely; `Some(Duration::ZERO)` does not block; any
    /// other timeout is converted to milliseconds rounding up (so 1µs waits
    /// 1ms, never spins on 0), clamped to `i32::MAX`.
    ///
    /// `EINTR` is reported as an empty batch (`Ok(0)`), not an error. Replaces
    /// the previous contents of `events`; returns how many were filled.
    pub fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<usize> {
        events.len = 0;
        let max = events.buf.len().min(libc::c_int::MAX as usize) as libc::c_int;
        // `epoll_pwait(2)` with no signal mask, entered directly
        // (`raw.rs`): glibc's `epoll_wait` is a cancellation point, and its
        // enable/disable pair costs some 60 instructions a turn for nothing
        // (netloop never cancels threads). `epoll_pwait` rather than
        // `epoll_wait` because newer architectures (aarch64) have only the
        // former.
        // SAFETY: `events.buf` is an initialised buffer of at least `max`
        // entries that we borrow mutably for the call, so the kernel may write
        // up to `max` `epoll_event`s into it; `self.fd` is a live epoll fd; a
        // null signal mask leaves the thread's mask alone.
        let ret = unsafe {
            super::raw::syscall6(
                libc::SYS_epoll_pwait,
                [
                    self.fd.as_raw_fd() as usize,
                    events.buf.as_mut_ptr() as usize,
                    max as usize,
                    timeout_to_ms(timeout) as isize as usize,
                    0,
                    0,
                ],
            )
        };
        match super::raw::result(ret) {
            Ok(n) => {
                // epoll_wait never returns more than `max`; `min` is belt and braces.
                events.len = n.min(events.buf.len());
                Ok(events.len)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(e),
        }
    }
}

/// Converts a `wait` timeout to `epoll_wait`'s milliseconds: `None` is `-1`
/// (forever), zero is `0`, anything else rounds up to at least 1ms and is
/// clamped to `i32::MAX`.
pub(super) fn timeout_to_ms(timeout: Option<Duration>) -> libc::c_int {
    match timeout {
        None => -1,
        Some(d) => d
            .as_nanos()
            .div_ceil(1_000_000)
            .min(libc::c_int::MAX as u128) as libc::c_int,
    }
}

impl AsFd for Epoll {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Epoll {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// A reusable buffer of readiness events filled by [`Epoll::wait`].
pub struct Events {
    buf: Vec<libc::epoll_event>,
    len: usize,
}

impl Events {
    /// Creates a buffer that holds up to `capacity` events per wait
    /// (at least 1: a capacity of 0 is raised to 1).
    pub fn with_capacity(capacity: usize) -> Events {
        let capacity = capacity.max(1);
        Events {
            buf: vec![libc::epoll_event { events: 0, u64: 0 }; capacity],
            len: 0,
        }
    }

    /// The most events one wait can return.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// How many events the last wait filled in.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the last wait filled in no events.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets the filled events (the buffer is kept).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The `(token, bits)` pairs of the filled events, in kernel order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, EventBits)> + '_ {
        self.buf[..self.len].iter().map(|ev| {
            // Copy the fields out: `epoll_event` is packed on x86_64.
            let token = ev.u64;
            let bits = ev.events;
            (token, EventBits(bits))
        })
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct List<'a>(&'a Events);
        impl fmt::Debug for List<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.iter()).finish()
            }
        }
        f.debug_struct("Events")
            .field("capacity", &self.capacity())
            .field("len", &self.len)
            .field("events", &List(self))
            .finish()
    }
}

/// An epoll event mask (`EPOLLIN`, `EPOLLOUT`, ...), used both as
/// registration interest and as reported readiness.
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct EventBits(u32);

impl EventBits {
    /// No bits.
    pub const EMPTY: EventBits = EventBits(0);
    /// `EPOLLIN`: readable.
    pub const IN: EventBits = EventBits(libc::EPOLLIN as u32);
    /// `EPOLLOUT`: writable.
    pub const OUT: EventBits = EventBits(libc::EPOLLOUT as u32);
    /// `EPOLLRDHUP`: the peer shut down its writing half.
    pub const RDHUP: EventBits = EventBits(libc::EPOLLRDHUP as u32);
    /// `EPOLLHUP`: hang-up (always reported, need not be requested).
    pub const HUP: EventBits = EventBits(libc::EPOLLHUP as u32);
    /// `EPOLLERR`: error condition (always reported, need not be requested).
    pub const ERR: EventBits = EventBits(libc::EPOLLERR as u32);
    /// `EPOLLET`: edge-triggered registration.
    pub const EDGE: EventBits = EventBits(libc::EPOLLET as u32);
    /// Registration mask netloop uses for every socket:
    /// `EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET` (Go's `netpollopen`).
    pub const EDGE_READ_WRITE: EventBits =
        EventBits(Self::IN.0 | Self::OUT.0 | Self::RDHUP.0 | Self::EDGE.0);

    const READ_MASK: u32 = Self::IN.0 | Self::RDHUP.0 | Self::HUP.0 | Self::ERR.0;
    const WRITE_MASK: u32 = Self::OUT.0 | Self::HUP.0 | Self::ERR.0;

    /// Wraps raw `EPOLL*` bits.
    pub const fn from_raw(bits: u32) -> EventBits {
        EventBits(bits)
    }

    /// The raw `EPOLL*` bits.
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// Whether every bit of `other` is set in `self`.
    pub const fn contains(self, other: EventBits) -> bool {
        self.0 & other.0 == other.0
    }

    /// Go's netpoll read mapping: any of `EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR`.
    pub const fn is_readable(self) -> bool {
        self.0 & Self::READ_MASK != 0
    }

    /// Go's netpoll write mapping: any of `EPOLLOUT | EPOLLHUP | EPOLLERR`.
    pub const fn is_writable(self) -> bool {
        self.0 & Self::WRITE_MASK != 0
    }

    /// Whether `EPOLLERR` is set.
    pub const fn is_error(self) -> bool {
        self.0 & Self::ERR.0 != 0
    }

    /// Whether the read side is closed: `EPOLLRDHUP` or `EPOLLHUP`.
    pub const fn is_read_closed(self) -> bool {
        self.0 & (Self::RDHUP.0 | Self::HUP.0) != 0
    }
}

impl BitOr for EventBits {
    type Output = EventBits;

    fn bitor(self, rhs: EventBits) -> EventBits {
        EventBits(self.0 | rhs.0)
    }
}

impl BitOrAssign for EventBits {
    fn bitor_assign(&mut self, rhs: EventBits) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for EventBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(EventBits, &str); 6] = [
            (EventBits::IN, "IN"),
            (EventBits::OUT, "OUT"),
            (EventBits::RDHUP, "RDHUP"),
            (EventBits::HUP, "HUP"),
            (EventBits::ERR, "ERR"),
            (EventBits::EDGE, "EDGE"),
        ];
        f.write_str("EventBits(")?;
        if self.0 == 0 {
            f.write_str("EMPTY")?;
        } else {
            let mut rest = self.0;
            let mut first = true;
            for (bit, name) in NAMES {
                if self.contains(bit) {
                    if !first {
                        f.write_str(" | ")?;
                    }
                    f.write_str(name)?;
                    first = false;
                    rest &= !bit.0;
                }
            }
            if rest != 0 {
                if !first {
                    f.write_str(" | ")?;
                }
                write!(f, "{rest:#x}")?;
            }
        }
        f.write_str(")")
    }
}
