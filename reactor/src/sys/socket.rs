//! Socket and pipe creation and configuration: `socket`
//! (`SOCK_NONBLOCK | SOCK_CLOEXEC`), `socketpair`, `pipe`, `bind` (and
//! `bind_unix`), `listen`, `accept4`, `connect` (and `connect_unix`), socket
//! options, `take_error` and address queries, the `recvfrom`s that name the
//! sender (into uninitialised memory), plus the `sockaddr` ↔ [`SocketAddr`]
//! (and `sockaddr_un` ↔ Unix address) conversions.
//!
//! Owns: fd creation flags and the `sockaddr` layouts. Must not know: async or
//! readiness — `connect` reports `EINPROGRESS` as an error and the caller
//! decides how to wait.

use std::io;
use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

use super::{cvt, cvt_r};

/// A socket's address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// `AF_INET`.
    Ipv4,
    /// `AF_INET6`.
    Ipv6,
    /// `AF_UNIX`.
    Unix,
}

impl Domain {
    /// The family matching `addr`: [`Domain::Ipv4`] or [`Domain::Ipv6`].
    pub fn for_addr(addr: &SocketAddr) -> Domain {
        match addr {
            SocketAddr::V4(_) => Domain::Ipv4,
            SocketAddr::V6(_) => Domain::Ipv6,
        }
    }

    fn raw(self) -> libc::c_int {
        match self {
            Domain::Ipv4 => libc::AF_INET,
            Domain::Ipv6 => libc::AF_INET6,
            Domain::Unix => libc::AF_UNIX,
        }
    }
}

/// A socket's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockType {
    /// `SOCK_STREAM`.
    Stream,
    /// `SOCK_DGRAM`.
    Datagram,
}

impl SockType {
    /// The raw type with the creation flags every netloop fd gets.
    fn raw_nonblocking_cloexec(self) -> libc::c_int {
        let ty = match self {
            SockType::Stream => libc::SOCK_STREAM,
            SockType::Datagram => libc::SOCK_DGRAM,
        };
        ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC
    }
}

/// The type of the socket `fd` (`SO_TYPE`): `None` for one that is neither
/// a stream nor a datagram socket (`SOCK_SEQPACKET`, `SOCK_RAW`, ...).
pub fn socket_type(fd: BorrowedFd<'_>) -> io::Result<Option<SockType>> {
    const SO_TYPE: SockOpt = SockOpt::new(libc::SOL_SOCKET, libc::SO_TYPE);
    Ok(match getsockopt_int(fd, SO_TYPE)? {
        libc::SOCK_STREAM => Some(SockType::Stream),
        libc::SOCK_DGRAM => Some(SockType::Datagram),
        _ => None,
    })
}

/// Creates a nonblocking, close-on-exec socket.
pub fn socket(domain: Domain, ty: SockType) -> io::Result<OwnedFd> {
    // SAFETY: socket takes no pointers. On success it returns a new fd that
    // nothing else owns, so `OwnedFd` may take ownership of it; on failure `?`
    // returns before `from_raw_fd` is reached.
    let fd = unsafe {
        OwnedFd::from_raw_fd(cvt(libc::socket(
            domain.raw(),
            ty.raw_nonblocking_cloexec(),
            0,
        ))?)
    };
    Ok(fd)
}

/// Creates a connected pair of nonblocking, close-on-exec `AF_UNIX` sockets.
pub fn socketpair(ty: SockType) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [libc::c_int; 2] = [-1, -1];
    // SAFETY: `fds` is a valid, writable array of two ints, as socketpair
    // requires; it is borrowed only for the call.
    cvt(unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            ty.raw_nonblocking_cloexec(),
            0,
            fds.as_mut_ptr(),
        )
    })?;
    // SAFETY: socketpair succeeded, so both entries are new fds that nothing
    // else owns; each is wrapped exactly once, right here.
    let pair = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok(pair)
}

/// Creates a nonblocking, close-on-exec pipe: `(read end, write end)`.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [libc::c_int; 2] = [-1, -1];
    // SAFETY: `fds` is a valid, writable array of two ints, as pipe2
    // requires; it is borrowed only for the call.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 succeeded, so both entries are new fds that nothing else
    // owns; each is wrapped exactly once, right here.
    let pair = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok(pair)
}

/// Binds `fd` to `addr`.
pub fn bind(fd: BorrowedFd<'_>, addr: &SocketAddr) -> io::Result<()> {
    let (raw, len) = socket_addr_to_raw(addr);
    // SAFETY: `raw` holds a fully initialised sockaddr of `len` bytes that
    // lives across the call and is only read; `fd` is borrowed, so it is open.
    cvt(unsafe { libc::bind(fd.as_raw_fd(), raw.as_ptr(), len) })?;
    Ok(())
}

/// Binds the `AF_UNIX` socket `fd` to `addr` (a path, or on Linux an
/// abstract name). An unnamed `addr` is an [`io::ErrorKind::InvalidInput`]
/// error.
pub fn bind_unix(fd: BorrowedFd<'_>, addr: &std::os::unix::net::SocketAddr) -> io::Result<()> {
    let (raw, len) = unix_addr_to_raw(addr)?;
    // SAFETY: `raw` is a fully initialised `sockaddr_un` that lives across
    // the call and is only read; `len` does not exceed its size; `fd` is
    // borrowed, so it is open.
    cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&raw const raw).cast::<libc::sockaddr>(),
            len,
        )
    })?;
    Ok(())
}

/// Marks `fd` as a listening socket with the given backlog.
pub fn listen(fd: BorrowedFd<'_>, backlog: i32) -> io::Result<()> {
    // SAFETY: listen takes no pointers; `fd` is borrowed, so it is open.
    cvt(unsafe { libc::listen(fd.as_raw_fd(), backlog) })?;
    Ok(())
}

/// Accepts a connection as a nonblocking, close-on-exec socket, returning it
/// and the peer's address.
///
/// `EINTR` and `ECONNABORTED` (the peer gave up while queued) are retried, as
/// Go does; `EAGAIN` surfaces as [`io::ErrorKind::WouldBlock`]. A peer whose
/// address is neither IPv4 nor IPv6 (e.g. on an `AF_UNIX` listener) yields an
/// [`io::ErrorKind::InvalidInput`] error and the accepted fd is closed.
pub fn accept4(fd: BorrowedFd<'_>) -> io::Result<(OwnedFd, SocketAddr)> {
    loop {
        let mut storage = zeroed_storage();
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: `storage` and `len` are valid, writable out-parameters and
        // `len` holds `storage`'s size, so the kernel writes within bounds. On
        // success accept4 returns a new fd that nothing else owns, which
        // `OwnedFd` takes over immediately.
        let res = unsafe {
            cvt(libc::accept4(
                fd.as_raw_fd(),
                (&raw mut storage).cast::<libc::sockaddr>(),
                &mut len,
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            ))
            .map(|raw| OwnedFd::from_raw_fd(raw))
        };
        match res {
            Ok(accepted) => return Ok((accepted, socket_addr_from_raw(&storage, len)?)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Accepts a connection as a nonblocking, close-on-exec socket without
/// asking for the peer's address (for `AF_UNIX` listeners, whose peers are
/// usually unnamed). Retries as [`accept4`] does.
pub fn accept4_unaddressed(fd: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    loop {
        // SAFETY: null address and length pointers are allowed (the peer's
        // address is not wanted). On success accept4 returns a new fd that
        // nothing else owns, which `OwnedFd` takes over immediately.
        let res = unsafe {
            cvt(libc::accept4(
                fd.as_raw_fd(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            ))
            .map(|raw| OwnedFd::from_raw_fd(raw))
        };
        match res {
            Ok(accepted) => return Ok(accepted),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The credentials of the process at the other end of a Unix socket
/// (`SO_PEERCRED`): `(pid, uid, gid)`.
pub fn peer_cred(fd: BorrowedFd<'_>) -> io::Result<(i32, u32, u32)> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid, writable out-parameters and `len`
    // holds `cred`'s size, so the kernel writes within bounds.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&raw mut cred).cast::<libc::c_void>(),
            &mut len,
        )
    })?;
    Ok((cred.pid, cred.uid, cred.gid))
}

/// Starts connecting `fd` to `addr`. Not retried: on a nonblocking socket the
/// usual result is an `EINPROGRESS` error (see [`is_in_progress`]); wait for
/// writability, then check [`take_error`].
pub fn connect(fd: BorrowedFd<'_>, addr: &SocketAddr) -> io::Result<()> {
    let (raw, len) = socket_addr_to_raw(addr);
    // SAFETY: `raw` holds a fully initialised sockaddr of `len` bytes that
    // lives across the call and is only read; `fd` is borrowed, so it is open.
    cvt(unsafe { libc::connect(fd.as_raw_fd(), raw.as_ptr(), len) })?;
    Ok(())
}

/// Starts connecting `fd` to the `AF_UNIX` address `addr` (a path, or on
/// Linux an abstract name). Not retried. A stream connect to a listener
/// whose backlog is full fails with `EAGAIN`
/// ([`io::ErrorKind::WouldBlock`]) and leaves the socket unconnected: the
/// caller may try again later. An unnamed `addr` is an
/// [`io::ErrorKind::InvalidInput`] error.
pub fn connect_unix(fd: BorrowedFd<'_>, addr: &std::os::unix::net::SocketAddr) -> io::Result<()> {
    let (raw, len) = unix_addr_to_raw(addr)?;
    // SAFETY: `raw` is a fully initialised `sockaddr_un` that lives across
    // the call and is only read; `len` does not exceed its size; `fd` is
    // borrowed, so it is open.
    cvt(unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&raw const raw).cast::<libc::sockaddr>(),
            len,
        )
    })?;
    Ok(())
}

/// Builds the `sockaddr_un` of a path or abstract-name address, and its
/// length (a path's includes its terminating NUL, an abstract name's
/// leading NUL and no trailing one).
fn unix_addr_to_raw(
    addr: &std::os::unix::net::SocketAddr,
) -> io::Result<(libc::sockaddr_un, libc::socklen_t)> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::ffi::OsStrExt;

    // SAFETY: `sockaddr_un` is a plain C struct of integers and a byte
    // array, for which the all-zero bit pattern is a valid value.
    let mut raw: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    raw.sun_family = libc::AF_UNIX as libc::sa_family_t;
    // A path is written from the first byte and keeps a NUL after it (the
    // array is zeroed); an abstract name starts after a leading NUL.
    let (start, bytes, trailing_nul) = if let Some(path) = addr.as_pathname() {
        (0, path.as_os_str().as_bytes(), 1)
    } else if let Some(name) = addr.as_abstract_name() {
        (1, name, 0)
    } else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an unnamed unix socket address cannot be bound or connected to",
        ));
    };
    let used = start + bytes.len() + trailing_nul;
    if used > raw.sun_path.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "unix socket address longer than sun_path",
        ));
    }
    for (dst, &src) in raw.sun_path[start..].iter_mut().zip(bytes) {
        *dst = src as libc::c_char;
    }
    let len = std::mem::offset_of!(libc::sockaddr_un, sun_path) + used;
    Ok((raw, len as libc::socklen_t))
}

/// The Unix address a kernel-filled `sockaddr_un` of `len` bytes names:
/// unnamed (no path bytes), an abstract name (a leading NUL) or a path (up
/// to its first NUL).
fn unix_addr_from_raw(
    raw: &libc::sockaddr_un,
    len: libc::socklen_t,
) -> io::Result<std::os::unix::net::SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::net::SocketAddr as UnixAddr;

    const OFFSET: usize = std::mem::offset_of!(libc::sockaddr_un, sun_path);
    const SUN_PATH_LEN: usize = size_of::<libc::sockaddr_un>() - OFFSET;
    let mut bytes = [0u8; SUN_PATH_LEN];
    let path_len = (len as usize).saturating_sub(OFFSET).min(SUN_PATH_LEN);
    let bytes = &mut bytes[..path_len];
    for (dst, &src) in bytes.iter_mut().zip(&raw.sun_path) {
        *dst = src as u8;
    }
    match &*bytes {
        // std has no constructor for an unnamed address; an empty path is
        // one (std gives it the bare family's length, which is what
        // "unnamed" means to the kernel).
        [] => UnixAddr::from_pathname(""),
        [0, name @ ..] => UnixAddr::from_abstract_name(name),
        path => {
            let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
            UnixAddr::from_pathname(std::ffi::OsStr::from_bytes(&path[..end]))
        }
    }
}

/// One `recvfrom` into `buf` (retrying `EINTR`), the sender's address
/// written to `addr` (`addr_len` in: its size; out: the address's length).
/// On success the first `n` bytes of `buf` are initialised, `n` ≤
/// `buf.len()`.
///
/// # Safety
///
/// `addr` points at a writable sockaddr buffer of `*addr_len` bytes.
unsafe fn recvfrom_uninit(
    fd: BorrowedFd<'_>,
    buf: &mut [MaybeUninit<u8>],
    addr: *mut libc::sockaddr,
    addr_len: &mut libc::socklen_t,
) -> io::Result<usize> {
    let capacity = *addr_len;
    let len = buf.len().min(isize::MAX as usize);
    let n = super::cvt_r(|| {
        *addr_len = capacity;
        // SAFETY: `buf` is a valid, writable buffer of at least `len` bytes
        // borrowed for the call; the kernel only writes received bytes into
        // it (never uninitialised ones). `addr` is writable for `*addr_len`
        // bytes (this function's contract); `fd` is borrowed, so it is open.
        unsafe {
            libc::recvfrom(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                len,
                0,
                addr,
                addr_len,
            )
        }
    })?;
    Ok(n as usize)
}

/// Receives one datagram into `buf`, which may be uninitialised, and says
/// who sent it (an IPv4 or IPv6 address). Returns `n`: the first `n` bytes
/// of `buf` (`n` ≤ `buf.len()`) are the datagram, initialised by the
/// kernel; a longer datagram is truncated. `EINTR` is retried; `EAGAIN`
/// surfaces as [`io::ErrorKind::WouldBlock`].
pub fn recv_from_uninit(
    fd: BorrowedFd<'_>,
    buf: &mut [MaybeUninit<u8>],
) -> io::Result<(usize, SocketAddr)> {
    let mut storage = zeroed_storage();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `storage` is a writable `sockaddr_storage` of `len` bytes that
    // lives across the call.
    let n = unsafe {
        recvfrom_uninit(
            fd,
            buf,
            (&raw mut storage).cast::<libc::sockaddr>(),
            &mut len,
        )
    }?;
    Ok((n, socket_addr_from_raw(&storage, len)?))
}

/// [`recv_from_uninit`] for an `AF_UNIX` datagram socket: the sender is a
/// path, an abstract name, or unnamed (an unbound sender).
pub fn recv_from_unix_uninit(
    fd: BorrowedFd<'_>,
    buf: &mut [MaybeUninit<u8>],
) -> io::Result<(usize, std::os::unix::net::SocketAddr)> {
    // SAFETY: `sockaddr_un` is a plain C struct of integers and a byte
    // array, for which the all-zero bit pattern is a valid value.
    let mut raw: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::sockaddr_un>() as libc::socklen_t;
    // SAFETY: `raw` is a writable `sockaddr_un` of `len` bytes that lives
    // across the call.
    let n = unsafe { recvfrom_uninit(fd, buf, (&raw mut raw).cast::<libc::sockaddr>(), &mut len) }?;
    Ok((n, unix_addr_from_raw(&raw, len)?))
}

/// Whether `err` says the process or system ran out of something an
/// `accept` needs (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`): retrying at
/// once would fail again, so an accept loop should pause.
pub fn is_resource_exhaustion(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Whether `err` is `EINPROGRESS`, a nonblocking connect still under way.
pub fn is_in_progress(err: &io::Error) -> bool {
    err.raw_os_error() == Some(libc::EINPROGRESS)
}

/// The address `fd` is bound to (`getsockname`).
pub fn local_addr(fd: BorrowedFd<'_>) -> io::Result<SocketAddr> {
    let mut storage = zeroed_storage();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `storage` and `len` are valid, writable out-parameters and `len`
    // holds `storage`'s size, so the kernel writes within bounds.
    cvt(unsafe {
        libc::getsockname(
            fd.as_raw_fd(),
            (&raw mut storage).cast::<libc::sockaddr>(),
            &mut len,
        )
    })?;
    socket_addr_from_raw(&storage, len)
}

/// The address of `fd`'s peer (`getpeername`).
pub fn peer_addr(fd: BorrowedFd<'_>) -> io::Result<SocketAddr> {
    let mut storage = zeroed_storage();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `storage` and `len` are valid, writable out-parameters and `len`
    // holds `storage`'s size, so the kernel writes within bounds.
    cvt(unsafe {
        libc::getpeername(
            fd.as_raw_fd(),
            (&raw mut storage).cast::<libc::sockaddr>(),
            &mut len,
        )
    })?;
    socket_addr_from_raw(&storage, len)
}

/// Reads and clears the socket's pending error (`SO_ERROR`); `None` if there
/// is none. After a nonblocking connect becomes writable this is its result.
pub fn take_error(fd: BorrowedFd<'_>) -> io::Result<Option<io::Error>> {
    const SO_ERROR: SockOpt = SockOpt {
        level: libc::SOL_SOCKET,
        name: libc::SO_ERROR,
    };
    match getsockopt_int(fd, SO_ERROR)? {
        0 => Ok(None),
        errno => Ok(Some(io::Error::from_raw_os_error(errno))),
    }
}

/// An integer socket option: a `(level, name)` pair for
/// [`setsockopt_int`] / [`getsockopt_int`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SockOpt {
    level: i32,
    name: i32,
}

impl SockOpt {
    /// `SOL_SOCKET` / `SO_REUSEADDR`.
    pub const REUSE_ADDR: SockOpt = SockOpt::new(libc::SOL_SOCKET, libc::SO_REUSEADDR);
    /// `SOL_SOCKET` / `SO_REUSEPORT`.
    pub const REUSE_PORT: SockOpt = SockOpt::new(libc::SOL_SOCKET, libc::SO_REUSEPORT);
    /// `SOL_SOCKET` / `SO_KEEPALIVE`.
    pub const KEEPALIVE: SockOpt = SockOpt::new(libc::SOL_SOCKET, libc::SO_KEEPALIVE);
    /// `SOL_SOCKET` / `SO_RCVBUF` (Linux reports double the value set).
    pub const RCVBUF: SockOpt = SockOpt::new(libc::SOL_SOCKET, libc::SO_RCVBUF);
    /// `SOL_SOCKET` / `SO_SNDBUF` (Linux reports double the value set).
    pub const SNDBUF: SockOpt = SockOpt::new(libc::SOL_SOCKET, libc::SO_SNDBUF);
    /// `IPPROTO_TCP` / `TCP_NODELAY`.
    pub const TCP_NODELAY: SockOpt = SockOpt::new(libc::IPPROTO_TCP, libc::TCP_NODELAY);
    /// `IPPROTO_TCP` / `TCP_QUICKACK`.
    pub const TCP_QUICKACK: SockOpt = SockOpt::new(libc::IPPROTO_TCP, libc::TCP_QUICKACK);
    /// `IPPROTO_IP` / `IP_TTL`.
    pub const IP_TTL: SockOpt = SockOpt::new(libc::IPPROTO_IP, libc::IP_TTL);
    /// `IPPROTO_IPV6` / `IPV6_V6ONLY`.
    pub const IPV6_V6ONLY: SockOpt = SockOpt::new(libc::IPPROTO_IPV6, libc::IPV6_V6ONLY);
    /// `IPPROTO_IP` / `IP_TOS`.
    pub const IP_TOS: SockOpt = SockOpt::new(libc::IPPROTO_IP, libc::IP_TOS);
    /// `IPPROTO_IPV6` / `IPV6_TCLASS`.
    pub const IPV6_TCLASS: SockOpt = SockOpt::new(libc::IPPROTO_IPV6, libc::IPV6_TCLASS);
    /// `SOL_SOCKET` / `SO_BROADCAST`.
    pub const BROADCAST: SockOpt = SockOpt::new(libc::SOL_SOCKET, libc::SO_BROADCAST);

    const fn new(level: i32, name: i32) -> SockOpt {
        SockOpt { level, name }
    }
}

/// Sets an integer socket option.
pub fn setsockopt_int(fd: BorrowedFd<'_>, opt: SockOpt, value: i32) -> io::Result<()> {
    let value: libc::c_int = value;
    // SAFETY: `value` is a valid `c_int` that lives across the call and is
    // only read; the length passed is exactly its size.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            opt.level,
            opt.name,
            (&raw const value).cast::<libc::c_void>(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// Reads an integer socket option.
pub fn getsockopt_int(fd: BorrowedFd<'_>, opt: SockOpt) -> io::Result<i32> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are valid, writable out-parameters and `len`
    // holds `value`'s size, so the kernel writes within bounds.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            opt.level,
            opt.name,
            (&raw mut value).cast::<libc::c_void>(),
            &mut len,
        )
    })?;
    Ok(value)
}

/// Sets `SO_LINGER`: `None` turns lingering off; `Some(d)` lingers for `d`,
/// truncated to whole seconds (as std does) and clamped to `i32::MAX` seconds.
pub fn set_linger(fd: BorrowedFd<'_>, linger: Option<Duration>) -> io::Result<()> {
    let value = libc::linger {
        l_onoff: libc::c_int::from(linger.is_some()),
        l_linger: linger.map_or(0, |d| {
            d.as_secs().min(libc::c_int::MAX as u64) as libc::c_int
        }),
    };
    // SAFETY: `value` is a valid `linger` that lives across the call and is
    // only read; the length passed is exactly its size.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const value).cast::<libc::c_void>(),
            size_of::<libc::linger>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// Reads `SO_LINGER`: `None` if lingering is off.
pub fn linger(fd: BorrowedFd<'_>) -> io::Result<Option<Duration>> {
    let mut value = libc::linger {
        l_onoff: 0,
        l_linger: 0,
    };
    let mut len = size_of::<libc::linger>() as libc::socklen_t;
    // SAFETY: `value` and `len` are valid, writable out-parameters and `len`
    // holds `value`'s size, so the kernel writes within bounds.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw mut value).cast::<libc::c_void>(),
            &mut len,
        )
    })?;
    Ok((value.l_onoff != 0)
        .then(|| Duration::from_secs(u64::try_from(value.l_linger).unwrap_or(0))))
}

/// Whether `fd` has `FD_CLOEXEC` set (`fcntl(F_GETFD)`).
pub fn is_close_on_exec(fd: BorrowedFd<'_>) -> io::Result<bool> {
    // SAFETY: F_GETFD takes no argument and no pointers; `fd` is borrowed, so
    // it is open.
    let flags = cvt_r(|| unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) })?;
    Ok(flags & libc::FD_CLOEXEC != 0)
}

/// Whether `fd` has `O_NONBLOCK` set (`fcntl(F_GETFL)`).
pub fn is_nonblocking(fd: BorrowedFd<'_>) -> io::Result<bool> {
    // SAFETY: F_GETFL takes no argument and no pointers; `fd` is borrowed, so
    // it is open.
    let flags = cvt_r(|| unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })?;
    Ok(flags & libc::O_NONBLOCK != 0)
}

/// A `sockaddr_in` or `sockaddr_in6` built from a [`SocketAddr`], laid out so
/// a pointer to it can be passed as `*const sockaddr`.
#[repr(C)]
pub(super) union RawSockAddr {
    v4: libc::sockaddr_in,
    v6: libc::sockaddr_in6,
}

impl RawSockAddr {
    pub(super) fn as_ptr(&self) -> *const libc::sockaddr {
        (self as *const RawSockAddr).cast()
    }
}

/// All-zero `sockaddr_storage`, the out-parameter for calls that return an address.
fn zeroed_storage() -> libc::sockaddr_storage {
    // SAFETY: `sockaddr_storage` is a plain C struct of integers and byte
    // arrays, for which the all-zero bit pattern is a valid value.
    unsafe { std::mem::zeroed() }
}

/// Converts a [`SocketAddr`] to its C form and length.
///
/// Mirrors std: the port and IPv4 address go in network byte order; the IPv6
/// flow info and scope id are stored as given.
pub(super) fn socket_addr_to_raw(addr: &SocketAddr) -> (RawSockAddr, libc::socklen_t) {
    match addr {
        SocketAddr::V4(a) => (
            RawSockAddr {
                v4: libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(a.ip().octets()),
                    },
                    sin_zero: [0; 8],
                },
            },
            size_of::<libc::sockaddr_in>() as libc::socklen_t,
        ),
        SocketAddr::V6(a) => (
            RawSockAddr {
                v6: libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo(),
                    sin6_addr: libc::in6_addr {
                        s6_addr: a.ip().octets(),
                    },
                    sin6_scope_id: a.scope_id(),
                },
            },
            size_of::<libc::sockaddr_in6>() as libc::socklen_t,
        ),
    }
}

/// Converts a kernel-filled `sockaddr_storage` of `len` bytes to a
/// [`SocketAddr`]; families other than IPv4 / IPv6 (or a short `len`) are an
/// [`io::ErrorKind::InvalidInput`] error.
pub(super) fn socket_addr_from_raw(
    storage: &libc::sockaddr_storage,
    len: libc::socklen_t,
) -> io::Result<SocketAddr> {
    let len = len as usize;
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family says the storage holds a `sockaddr_in`, and
            // `sockaddr_storage` is at least as large and as aligned as any
            // sockaddr, so the reference is in bounds and aligned.
            let a =
                unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            Ok(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(a.sin_addr.s_addr.to_ne_bytes()),
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
            // SAFETY: the family says the storage holds a `sockaddr_in6`, and
            // `sockaddr_storage` is at least as large and as aligned as any
            // sockaddr, so the reference is in bounds and aligned.
            let a = unsafe {
                &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            Ok(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(a.sin6_addr.s6_addr),
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        family => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "unsupported socket address: family {family}, length {len} \
                 (only AF_INET and AF_INET6 convert to SocketAddr)"
            ),
        )),
    }
}
