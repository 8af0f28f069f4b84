//! `raw-epoll`: the reference echo server, "the limit". Hand-written on
//! `libc`: one thread per loop, each with its own `SO_REUSEPORT` listener
//! and epoll instance, level-triggered; on a readable connection it reads
//! once into a 16 KiB buffer and writes that back, parking what a full
//! socket buffer refused until `EPOLLOUT`; it closes on end-of-stream or
//! an error.
//!
//! Deliberately not netloop: it knows nothing about netloop, tokio or the
//! load generator.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::{BUF_SIZE, Started};
use crate::sys::{self, Epoll, NO_EVENT};

/// The listener's epoll token (connections use their descriptor).
const LISTENER: u64 = u64::MAX;

/// Starts `loops` threads serving one port; nothing needs keeping alive.
pub(crate) fn start(loops: usize) -> io::Result<Started> {
    let mut port = 0;
    let mut listeners = Vec::with_capacity(loops);
    for _ in 0..loops {
        let listener = listen_reuseport(port)?;
        port = std::net::TcpListener::from(listener.try_clone()?)
            .local_addr()?
            .port();
        listeners.push(listener);
    }
    for (i, listener) in listeners.into_iter().enumerate() {
        std::thread::Builder::new()
            .name(format!("raw-epoll-{i}"))
            .spawn(move || {
                if let Err(e) = serve(&listener) {
                    eprintln!("raw-epoll loop {i}: {e}");
                    std::process::exit(1);
                }
            })?;
    }
    Ok((SocketAddr::from((Ipv4Addr::LOCALHOST, port)), Box::new(())))
}

/// A nonblocking `SO_REUSEPORT` listener on 127.0.0.1:`port`.
fn listen_reuseport(port: u16) -> io::Result<OwnedFd> {
    // SAFETY: no pointers; the result is checked below.
    let fd = sys::cvt(unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    })?;
    // SAFETY: `fd` was just returned by `socket` and nothing else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    sys::set_int_opt(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    sys::set_int_opt(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)?;
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(Ipv4Addr::LOCALHOST).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: the pointer and length describe `addr`, a valid
    // `sockaddr_in` that lives across the call.
    sys::cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&raw const addr).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    })?;
    // SAFETY: no pointers.
    sys::cvt(unsafe { libc::listen(fd.as_raw_fd(), 1024) })?;
    Ok(fd)
}

/// One accepted connection.
struct Conn {
    fd: OwnedFd,
    /// Echo bytes a full socket buffer refused; non-empty while waiting for
    /// `EPOLLOUT` (reading stops meanwhile: backpressure).
    pending: Vec<u8>,
}

/// One loop: serves `listener`'s connections forever.
fn serve(listener: &OwnedFd) -> io::Result<()> {
    let epoll = Epoll::new()?;
    epoll.add(listener.as_raw_fd(), libc::EPOLLIN as u32, LISTENER)?;
    // Indexed by descriptor.
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut buf = vec![0u8; BUF_SIZE];
    let mut events = vec![NO_EVENT; 1024];
    loop {
        let n = epoll.wait(&mut events, -1)?;
        for event in &events[..n] {
            let (token, flags) = (event.u64, event.events);
            if token == LISTENER {
                accept_all(listener.as_raw_fd(), &epoll, &mut conns);
                continue;
            }
            let fd = token as usize;
            let Some(conn) = conns.get_mut(fd).and_then(Option::as_mut) else {
                continue;
            };
            let open = if conn.pending.is_empty() {
                on_readable(conn, &epoll, &mut buf)
            } else {
                on_writable(conn, &epoll, flags)
            };
            if !open {
                // Closing the descriptor also deregisters it.
                conns[fd] = None;
            }
        }
    }
}

/// Accepts until `EAGAIN`; registers each connection for `EPOLLIN`.
fn accept_all(listener: RawFd, epoll: &Epoll, conns: &mut Vec<Option<Conn>>) {
    loop {
        // SAFETY: null address pointers are allowed (the peer is not
        // asked for).
        let fd = unsafe {
            libc::accept4(
                listener,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            )
        };
        if fd < 0 {
            // EAGAIN: done. EMFILE & co: the level-triggered listener
            // reports again on the next wait.
            return;
        }
        // SAFETY: `fd` was just returned by `accept4` and nothing else owns
        // it.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        let _ = sys::set_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1);
        if epoll.add(fd, libc::EPOLLIN as u32, fd as u64).is_err() {
            continue;
        }
        let slot = fd as usize;
        if conns.len() <= slot {
            conns.resize_with(slot + 1, || None);
        }
        conns[slot] = Some(Conn {
            fd: owned,
            pending: Vec::new(),
        });
    }
}

/// Reads once and echoes it; whether the connection stays open.
fn on_readable(conn: &mut Conn, epoll: &Epoll, buf: &mut [u8]) -> bool {
    let fd = conn.fd.as_raw_fd();
    let n = match sys::read(fd, buf) {
        Ok(0) => return false,
        Ok(n) => n,
        Err(e) => return e.kind() == io::ErrorKind::WouldBlock,
    };
    let mut sent = 0;
    while sent < n {
        match sys::write(fd, &buf[sent..n]) {
            Ok(k) => sent += k,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                conn.pending.extend_from_slice(&buf[sent..n]);
                return epoll.modify(fd, libc::EPOLLOUT as u32, fd as u64).is_ok();
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

/// Writes what was parked; back to `EPOLLIN` once it is all out. Whether
/// the connection stays open.
fn on_writable(conn: &mut Conn, epoll: &Epoll, flags: u32) -> bool {
    let fd = conn.fd.as_raw_fd();
    if flags & (libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0 {
        return false;
    }
    while !conn.pending.is_empty() {
        match sys::write(fd, &conn.pending) {
            Ok(k) => {
                conn.pending.drain(..k);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    conn.pending = Vec::new();
    epoll.modify(fd, libc::EPOLLIN as u32, fd as u64).is_ok()
}
