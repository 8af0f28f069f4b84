//! Unit tests for the syscall wrappers: creation flags, epoll registration and
//! waiting, eventfd counting, byte I/O over pipes and socket pairs, and TCP on
//! the IPv4 loopback.
//!
//! Every test is bounded (waits are capped at a few seconds) and uses loopback
//! addresses only. Must not know: anything above `sys/`.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use super::io as sio;
use super::socket::{self, Domain, SockOpt, SockType};
use super::*;

/// Upper bound on any wait for readiness in these tests.
const LONG: Duration = Duration::from_secs(5);

fn assert_cloexec(fd: BorrowedFd<'_>) {
    assert!(socket::is_close_on_exec(fd).unwrap(), "fd lacks FD_CLOEXEC");
}

fn assert_nonblocking(fd: BorrowedFd<'_>) {
    assert!(socket::is_nonblocking(fd).unwrap(), "fd lacks O_NONBLOCK");
}

/// Waits (at most [`LONG`]) until `ep` reports `token` with bits satisfying
/// `pred`, and returns those bits.
fn wait_for(ep: &Epoll, token: u64, pred: impl Fn(EventBits) -> bool) -> EventBits {
    let deadline = Instant::now() + LONG;
    let mut events = Events::with_capacity(8);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "timed out waiting for token {token}");
        ep.wait(&mut events, Some(left)).unwrap();
        if let Some((_, bits)) = events.iter().find(|&(t, b)| t == token && pred(b)) {
            return bits;
        }
    }
}

/// A nonblocking TCP listener on 127.0.0.1 with an ephemeral port.
fn tcp_listener() -> (OwnedFd, SocketAddr) {
    let fd = socket::socket(Domain::Ipv4, SockType::Stream).unwrap();
    let any_port = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    socket::bind(fd.as_fd(), &any_port).unwrap();
    socket::listen(fd.as_fd(), 128).unwrap();
    let addr = socket::local_addr(fd.as_fd()).unwrap();
    (fd, addr)
}

/// Starts a nonblocking connect, accepting `Ok` or `EINPROGRESS`.
fn start_connect(fd: BorrowedFd<'_>, addr: &SocketAddr) {
    if let Err(e) = socket::connect(fd, addr) {
        assert!(socket::is_in_progress(&e), "connect failed: {e}");
    }
}

/// A connected (client, server) TCP pair over loopback.
fn tcp_pair() -> (OwnedFd, OwnedFd) {
    let (listener, addr) = tcp_listener();
    let client = socket::socket(Domain::Ipv4, SockType::Stream).unwrap();
    start_connect(client.as_fd(), &addr);
    let ep = Epoll::new().unwrap();
    ep.add(listener.as_fd(), 1, EventBits::IN).unwrap();
    wait_for(&ep, 1, EventBits::is_readable);
    let (server, _) = socket::accept4(listener.as_fd()).unwrap();
    (client, server)
}

// ---- creation flags ----

#[test]
fn epoll_is_cloexec() {
    let ep = Epoll::new().unwrap();
    assert_cloexec(ep.as_fd());
}

#[test]
fn eventfd_is_cloexec_and_nonblocking() {
    let efd = EventFd::new().unwrap();
    assert_cloexec(efd.as_fd());
    assert_nonblocking(efd.as_fd());
}

#[test]
fn sockets_are_cloexec_and_nonblocking() {
    for (domain, ty) in [
        (Domain::Ipv4, SockType::Stream),
        (Domain::Ipv4, SockType::Datagram),
        (Domain::Unix, SockType::Stream),
        (Domain::Unix, SockType::Datagram),
    ] {
        let fd = socket::socket(domain, ty).unwrap();
        assert_cloexec(fd.as_fd());
        assert_nonblocking(fd.as_fd());
    }
}

#[test]
fn socketpair_and_pipe_are_cloexec_and_nonblocking() {
    for ty in [SockType::Stream, SockType::Datagram] {
        let (a, b) = socket::socketpair(ty).unwrap();
        for fd in [a.as_fd(), b.as_fd()] {
            assert_cloexec(fd);
            assert_nonblocking(fd);
        }
    }
    let (r, w) = socket::pipe().unwrap();
    for fd in [r.as_fd(), w.as_fd()] {
        assert_cloexec(fd);
        assert_nonblocking(fd);
    }
}

#[test]
fn flag_queries_see_cleared_flags() {
    // The checks above are only meaningful if the queries can say "no".
    let (r, _w) = socket::pipe().unwrap();
    let raw = std::os::fd::AsRawFd::as_raw_fd(&r);
    // SAFETY: `raw` is an open fd owned by `r` for the whole block; F_SETFD /
    // F_SETFL with integer arguments take no pointers.
    unsafe {
        assert_eq!(libc::fcntl(raw, libc::F_SETFD, 0), 0);
        assert_eq!(libc::fcntl(raw, libc::F_SETFL, 0), 0);
    }
    assert!(!socket::is_close_on_exec(r.as_fd()).unwrap());
    assert!(!socket::is_nonblocking(r.as_fd()).unwrap());
}

// ---- epoll ----

#[test]
fn timeout_rounds_up_to_milliseconds() {
    use super::epoll::timeout_to_ms;
    assert_eq!(timeout_to_ms(None), -1);
    assert_eq!(timeout_to_ms(Some(Duration::ZERO)), 0);
    assert_eq!(timeout_to_ms(Some(Duration::from_nanos(1))), 1);
    assert_eq!(timeout_to_ms(Some(Duration::from_micros(1))), 1);
    assert_eq!(timeout_to_ms(Some(Duration::from_millis(1))), 1);
    assert_eq!(
        timeout_to_ms(Some(Duration::from_millis(1) + Duration::from_nanos(1))),
        2
    );
    assert_eq!(timeout_to_ms(Some(Duration::from_millis(1500))), 1500);
    assert_eq!(timeout_to_ms(Some(Duration::from_secs(u64::MAX))), i32::MAX);
}

#[test]
fn wait_with_zero_timeout_returns_immediately() {
    let ep = Epoll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let start = Instant::now();
    assert_eq!(ep.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    assert!(events.is_empty());
    assert_eq!(events.len(), 0);
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn sub_millisecond_timeout_really_waits() {
    let ep = Epoll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let start = Instant::now();
    assert_eq!(
        ep.wait(&mut events, Some(Duration::from_micros(1)))
            .unwrap(),
        0
    );
    // Rounded up to 1ms, not down to a non-blocking 0.
    assert!(
        start.elapsed() >= Duration::from_micros(900),
        "returned after {:?}",
        start.elapsed()
    );
}

#[test]
fn signalled_eventfd_is_readable_and_token_round_trips() {
    let ep = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    let token = 0xDEAD_BEEF_0123_4567;
    ep.add(efd.as_fd(), token, EventBits::IN | EventBits::EDGE)
        .unwrap();
    let mut events = Events::with_capacity(4);
    assert_eq!(ep.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);

    efd.signal().unwrap();
    // Blocking wait: the event is already there, so it returns at once.
    assert_eq!(ep.wait(&mut events, None).unwrap(), 1);
    let got: Vec<_> = events.iter().collect();
    assert_eq!(got.len(), 1);
    let (t, bits) = got[0];
    assert_eq!(t, token);
    assert!(bits.is_readable());
    assert!(bits.contains(EventBits::IN));
    assert!(!bits.is_error());
    assert!(!bits.is_read_closed());
}

#[test]
fn wait_replaces_previous_events() {
    let ep = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    ep.add(efd.as_fd(), 9, EventBits::IN | EventBits::EDGE)
        .unwrap();
    efd.signal().unwrap();
    let mut events = Events::with_capacity(4);
    assert_eq!(ep.wait(&mut events, Some(LONG)).unwrap(), 1);
    assert_eq!(events.len(), 1);
    // Edge-triggered: no new edge, so the next wait is empty and must not
    // leave the old event behind.
    assert_eq!(ep.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    assert!(events.is_empty());
    assert_eq!(events.iter().count(), 0);

    efd.signal().unwrap();
    assert_eq!(ep.wait(&mut events, Some(LONG)).unwrap(), 1);
    events.clear();
    assert!(events.is_empty());
    assert_eq!(events.iter().count(), 0);
}

#[test]
fn interrupted_wait_is_an_empty_batch() {
    extern "C" fn ignore(_: libc::c_int) {}
    // SAFETY: `action` is fully initialised (all-zero is a valid `sigaction`,
    // then the handler and an empty mask are set) and lives across the call.
    // The handler is async-signal-safe (it does nothing), and no other code in
    // this process uses SIGUSR2. No SA_RESTART: epoll_wait is never restarted
    // anyway.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ignore as extern "C" fn(libc::c_int) as *const () as usize;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGUSR2, &action, std::ptr::null_mut()),
            0
        );
    }

    let ep = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    ep.add(efd.as_fd(), 1, EventBits::IN | EventBits::EDGE)
        .unwrap();
    efd.signal().unwrap();
    let mut events = Events::with_capacity(4);
    // Leave a stale event in the buffer: an interrupted wait must clear it.
    assert_eq!(ep.wait(&mut events, Some(LONG)).unwrap(), 1);

    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        // SAFETY: pthread_self has no preconditions.
        tx.send(unsafe { libc::pthread_self() }).unwrap();
        let start = Instant::now();
        let res = ep.wait(&mut events, Some(LONG));
        (res, events.len(), start.elapsed())
    });
    let thread = rx.recv().unwrap();
    // Poke until the wait returns (the first pokes may land before the thread
    // blocks); stop after a while so a wrapper that retries EINTR still ends.
    let deadline = Instant::now() + 2 * LONG;
    while !waiter.is_finished() && Instant::now() < deadline {
        // SAFETY: `thread` is the waiter's id, valid until it is joined below
        // (joining happens after this loop); SIGUSR2 has the no-op handler
        // installed above, so delivering it is harmless.
        let rc = unsafe { libc::pthread_kill(thread, libc::SIGUSR2) };
        // ESRCH: it exited between `is_finished` and the kill.
        assert!(rc == 0 || rc == libc::ESRCH, "pthread_kill: {rc}");
        std::thread::sleep(Duration::from_millis(10));
    }
    let (res, len, elapsed) = waiter.join().unwrap();
    assert_eq!(res.unwrap(), 0);
    assert_eq!(len, 0);
    assert!(elapsed < LONG, "wait was not interrupted ({elapsed:?})");
}

#[test]
fn wait_fills_at_most_capacity() {
    let ep = Epoll::new().unwrap();
    let a = EventFd::new().unwrap();
    let b = EventFd::new().unwrap();
    ep.add(a.as_fd(), 1, EventBits::IN).unwrap();
    ep.add(b.as_fd(), 2, EventBits::IN).unwrap();
    a.signal().unwrap();
    b.signal().unwrap();

    let mut one = Events::with_capacity(1);
    assert_eq!(one.capacity(), 1);
    assert_eq!(ep.wait(&mut one, Some(LONG)).unwrap(), 1);
    assert_eq!(one.len(), 1);

    let mut many = Events::with_capacity(8);
    assert_eq!(ep.wait(&mut many, Some(LONG)).unwrap(), 2);
    let mut tokens: Vec<u64> = many.iter().map(|(t, _)| t).collect();
    tokens.sort_unstable();
    assert_eq!(tokens, [1, 2]);
    assert!(many.iter().all(|(_, bits)| bits.is_readable()));
}

#[test]
fn events_capacity_is_at_least_one() {
    let events = Events::with_capacity(0);
    assert_eq!(events.capacity(), 1);
    assert!(events.is_empty());
    assert_eq!(Events::with_capacity(64).capacity(), 64);
    let dbg = format!("{events:?}");
    assert!(
        dbg.contains("capacity: 1") && dbg.contains("len: 0"),
        "{dbg}"
    );
}

#[test]
fn modify_and_delete() {
    let ep = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    let mut events = Events::with_capacity(4);

    ep.add(efd.as_fd(), 1, EventBits::IN).unwrap();
    assert_eq!(ep.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);

    // An eventfd with a zero counter is writable: switch interest and token.
    ep.modify(efd.as_fd(), 2, EventBits::OUT).unwrap();
    assert_eq!(ep.wait(&mut events, Some(Duration::ZERO)).unwrap(), 1);
    let (token, bits) = events.iter().next().unwrap();
    assert_eq!(token, 2);
    assert!(bits.is_writable());
    assert!(!bits.contains(EventBits::IN));

    ep.delete(efd.as_fd()).unwrap();
    assert_eq!(ep.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    assert_eq!(
        ep.delete(efd.as_fd()).unwrap_err().raw_os_error(),
        Some(libc::ENOENT)
    );
    assert_eq!(
        ep.modify(efd.as_fd(), 3, EventBits::IN)
            .unwrap_err()
            .raw_os_error(),
        Some(libc::ENOENT)
    );
}

#[test]
fn adding_twice_fails() {
    let ep = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    ep.add(efd.as_fd(), 1, EventBits::IN).unwrap();
    let err = ep.add(efd.as_fd(), 1, EventBits::IN).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
}

// ---- eventfd ----

#[test]
fn eventfd_drain_returns_sum_then_zero() {
    let efd = EventFd::new().unwrap();
    assert_eq!(efd.drain().unwrap(), 0);
    for _ in 0..3 {
        efd.signal().unwrap();
    }
    assert_eq!(efd.drain().unwrap(), 3);
    assert_eq!(efd.drain().unwrap(), 0);
}

#[test]
fn eventfd_signal_on_full_counter_succeeds() {
    let efd = EventFd::new().unwrap();
    let max: u64 = u64::MAX - 1;
    // SAFETY: the eventfd is open for the call and `max` is a valid 8-byte
    // buffer that outlives it.
    let n = unsafe {
        libc::write(
            std::os::fd::AsRawFd::as_raw_fd(&efd),
            (&raw const max).cast(),
            8,
        )
    };
    assert_eq!(n, 8);
    // The counter cannot grow: write(2) says EAGAIN, signal says fine.
    efd.signal().unwrap();
    assert_eq!(efd.drain().unwrap(), max);
    assert_eq!(efd.drain().unwrap(), 0);
}

// ---- byte I/O ----

#[test]
fn pipe_read_write_readv_writev() {
    let (r, w) = socket::pipe().unwrap();
    assert_eq!(sio::write(w.as_fd(), b"abc").unwrap(), 3);
    let mut buf = [0u8; 16];
    assert_eq!(sio::read(r.as_fd(), &mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"abc");

    let n = sio::writev(
        w.as_fd(),
        &[
            IoSlice::new(b"hello "),
            IoSlice::new(b""),
            IoSlice::new(b"world"),
        ],
    )
    .unwrap();
    assert_eq!(n, 11);
    let mut a = [0u8; 4];
    let mut b = [0u8; 16];
    let n = sio::readv(
        r.as_fd(),
        &mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)],
    )
    .unwrap();
    assert_eq!(n, 11);
    assert_eq!(&a, b"hell");
    assert_eq!(&b[..7], b"o world");
}

#[test]
fn writev_clamps_buffer_count() {
    let (r, w) = socket::pipe().unwrap();
    let byte = [7u8];
    let bufs = vec![IoSlice::new(&byte); 2000];
    // Unclamped, 2000 iovecs would be EINVAL; clamped, the first 1024 go.
    assert_eq!(sio::writev(w.as_fd(), &bufs).unwrap(), 1024);
    let mut out = vec![0u8; 4096];
    assert_eq!(sio::read(r.as_fd(), &mut out).unwrap(), 1024);
    assert!(out[..1024].iter().all(|&b| b == 7));
}

#[test]
fn empty_pipe_read_would_block_and_full_pipe_write_would_block() {
    let (r, w) = socket::pipe().unwrap();
    let mut buf = [0u8; 8];
    let err = sio::read(r.as_fd(), &mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);

    let chunk = vec![0u8; 64 * 1024];
    let mut total = 0usize;
    let err = loop {
        match sio::write(w.as_fd(), &chunk) {
            Ok(n) => total += n,
            Err(e) => break e,
        }
        assert!(total < 64 * 1024 * 1024, "pipe never filled");
    };
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert!(total > 0);
}

#[test]
fn direct_calls_report_the_kernels_errno() {
    // recv/send are entered without libc (`raw.rs`): the kernel's -errno
    // must come back as the same error std would report.
    let (r, w) = socket::pipe().unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(
        sio::recv(r.as_fd(), &mut buf).unwrap_err().raw_os_error(),
        Some(libc::ENOTSOCK)
    );
    assert_eq!(
        sio::send(w.as_fd(), b"x").unwrap_err().raw_os_error(),
        Some(libc::ENOTSOCK)
    );
    let mut uninit = [std::mem::MaybeUninit::<u8>::uninit(); 4];
    assert_eq!(
        sio::recv_uninit(r.as_fd(), &mut uninit)
            .unwrap_err()
            .raw_os_error(),
        Some(libc::ENOTSOCK)
    );
}

#[test]
fn direct_calls_retry_eintr_and_map_errno() {
    let mut answers = vec![7isize, -(libc::EINTR as isize), -(libc::EINTR as isize)];
    assert_eq!(raw::retry(|| answers.pop().unwrap()).unwrap(), 7);
    assert!(answers.is_empty(), "EINTR was not retried");
    assert_eq!(
        raw::retry(|| -(libc::EAGAIN as isize)).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    assert_eq!(raw::result(0).unwrap(), 0);
    assert_eq!(
        raw::result(-(libc::EINTR as isize)).unwrap_err().kind(),
        io::ErrorKind::Interrupted
    );
}

#[test]
fn socketpair_read_write_send_recv_peek() {
    let (a, b) = socket::socketpair(SockType::Stream).unwrap();
    assert_eq!(sio::write(a.as_fd(), b"one").unwrap(), 3);
    let mut buf = [0u8; 16];
    assert_eq!(sio::read(b.as_fd(), &mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"one");

    assert_eq!(sio::send(b.as_fd(), b"two!").unwrap(), 4);
    assert_eq!(sio::peek(a.as_fd(), &mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"two!");
    // Peeking left it queued.
    let mut buf2 = [0u8; 16];
    assert_eq!(sio::recv(a.as_fd(), &mut buf2).unwrap(), 4);
    assert_eq!(&buf2[..4], b"two!");
    assert_eq!(
        sio::recv(a.as_fd(), &mut buf2).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );

    assert_eq!(
        sio::writev(b.as_fd(), &[IoSlice::new(b"x"), IoSlice::new(b"yz")]).unwrap(),
        3
    );
    let (mut p, mut q) = ([0u8; 1], [0u8; 8]);
    assert_eq!(
        sio::readv(
            a.as_fd(),
            &mut [IoSliceMut::new(&mut p), IoSliceMut::new(&mut q)]
        )
        .unwrap(),
        3
    );
    assert_eq!((&p, &q[..2]), (b"x", &b"yz"[..]));
}

/// Blocks or restores `SIGPIPE` for the calling thread; returns the old mask.
fn set_sigpipe_mask(how: libc::c_int, mask: Option<&libc::sigset_t>) -> libc::sigset_t {
    // SAFETY: every pointer passed refers to a live, properly initialised
    // `sigset_t` on this stack frame (or `mask`, borrowed for the call);
    // all-zero is a valid `sigset_t` before sigemptyset initialises it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        let mut old: libc::sigset_t = std::mem::zeroed();
        let rc = libc::pthread_sigmask(how, mask.unwrap_or(&set), &mut old);
        assert_eq!(rc, 0);
        old
    }
}

/// Whether `SIGPIPE` is pending for this thread; consumes it if so.
fn take_pending_sigpipe() -> bool {
    // SAFETY: every pointer passed refers to a live, initialised value on this
    // stack frame; sigtimedwait with a zero timeout only polls, and SIGPIPE is
    // blocked in this thread while it is called.
    unsafe {
        let mut pending: libc::sigset_t = std::mem::zeroed();
        assert_eq!(libc::sigpending(&mut pending), 0);
        if libc::sigismember(&pending, libc::SIGPIPE) != 1 {
            return false;
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        libc::sigtimedwait(&set, std::ptr::null_mut(), &zero) == libc::SIGPIPE
    }
}

#[test]
fn send_to_dropped_peer_is_broken_pipe_without_sigpipe() {
    let (a, b) = socket::socketpair(SockType::Stream).unwrap();
    drop(b);
    // Block SIGPIPE in this thread so that a raised one stays pending (and
    // observable) instead of being ignored or killing the process.
    let old = set_sigpipe_mask(libc::SIG_BLOCK, None);

    let sent = sio::send(a.as_fd(), b"hello");
    let raised_by_send = take_pending_sigpipe();
    // Control: a plain write(2) on the same socket does raise SIGPIPE, so the
    // detection above is real.
    let written = sio::write(a.as_fd(), b"hello");
    let raised_by_write = take_pending_sigpipe();

    set_sigpipe_mask(libc::SIG_SETMASK, Some(&old));

    assert_eq!(sent.unwrap_err().kind(), io::ErrorKind::BrokenPipe);
    assert!(!raised_by_send, "send raised SIGPIPE");
    assert_eq!(written.unwrap_err().kind(), io::ErrorKind::BrokenPipe);
    assert!(raised_by_write, "control write did not raise SIGPIPE");
}

#[test]
fn shutdown_write_makes_peer_read_eof() {
    let (a, b) = socket::socketpair(SockType::Stream).unwrap();
    let ep = Epoll::new().unwrap();
    ep.add(b.as_fd(), 5, EventBits::EDGE_READ_WRITE).unwrap();
    sio::shutdown(a.as_fd(), Shutdown::Write).unwrap();
    let bits = wait_for(&ep, 5, EventBits::is_read_closed);
    assert!(bits.is_readable());
    let mut buf = [0u8; 8];
    assert_eq!(sio::read(b.as_fd(), &mut buf).unwrap(), 0);
    // The other direction still works.
    assert_eq!(sio::write(b.as_fd(), b"ok").unwrap(), 2);
    assert_eq!(sio::read(a.as_fd(), &mut buf).unwrap(), 2);
}

#[test]
fn shutdown_over_tcp() {
    let (client, server) = tcp_pair();
    sio::shutdown(client.as_fd(), Shutdown::Write).unwrap();
    let ep = Epoll::new().unwrap();
    ep.add(server.as_fd(), 1, EventBits::IN | EventBits::RDHUP)
        .unwrap();
    assert!(wait_for(&ep, 1, EventBits::is_read_closed).contains(EventBits::RDHUP));
    let mut buf = [0u8; 8];
    assert_eq!(sio::recv(server.as_fd(), &mut buf).unwrap(), 0);
}

#[test]
fn close_reports_ok_and_releases_the_fd() {
    let (r, w) = socket::pipe().unwrap();
    sio::close(w).unwrap();
    // The write end is really gone: the reader sees end of file.
    let mut buf = [0u8; 4];
    assert_eq!(sio::read(r.as_fd(), &mut buf).unwrap(), 0);
    sio::close(r).unwrap();
    sio::close(socket::socket(Domain::Ipv4, SockType::Stream).unwrap()).unwrap();
}

// ---- sockets ----

#[test]
fn tcp_loopback_connect_and_accept() {
    let (listener, laddr) = tcp_listener();
    assert_eq!(laddr.ip(), Ipv4Addr::LOCALHOST);
    assert_ne!(laddr.port(), 0);
    assert_eq!(
        socket::accept4(listener.as_fd()).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );

    let client = socket::socket(Domain::Ipv4, SockType::Stream).unwrap();
    start_connect(client.as_fd(), &laddr);

    let ep = Epoll::new().unwrap();
    ep.add(client.as_fd(), 1, EventBits::OUT).unwrap();
    ep.add(listener.as_fd(), 2, EventBits::IN).unwrap();
    let bits = wait_for(&ep, 1, EventBits::is_writable);
    assert!(!bits.is_error(), "{bits:?}");
    assert!(socket::take_error(client.as_fd()).unwrap().is_none());

    wait_for(&ep, 2, EventBits::is_readable);
    let (server, peer) = socket::accept4(listener.as_fd()).unwrap();
    assert_cloexec(server.as_fd());
    assert_nonblocking(server.as_fd());
    assert_eq!(peer, socket::local_addr(client.as_fd()).unwrap());
    assert_eq!(socket::peer_addr(client.as_fd()).unwrap(), laddr);
    assert_eq!(socket::local_addr(server.as_fd()).unwrap(), laddr);
    assert_eq!(socket::peer_addr(server.as_fd()).unwrap(), peer);

    // Bytes flow both ways.
    assert_eq!(sio::send(client.as_fd(), b"ping").unwrap(), 4);
    ep.add(server.as_fd(), 3, EventBits::IN).unwrap();
    wait_for(&ep, 3, EventBits::is_readable);
    let mut buf = [0u8; 8];
    assert_eq!(sio::recv(server.as_fd(), &mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"ping");
}

#[test]
fn connect_to_closed_port_is_refused() {
    // Hold the port (bound, not listening) so nothing else can take it: a SYN
    // to it is answered with RST.
    let holder = socket::socket(Domain::Ipv4, SockType::Stream).unwrap();
    socket::bind(holder.as_fd(), &SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    let addr = socket::local_addr(holder.as_fd()).unwrap();

    let client = socket::socket(Domain::Ipv4, SockType::Stream).unwrap();
    match socket::connect(client.as_fd(), &addr) {
        Ok(()) => panic!("connect to a non-listening port succeeded"),
        Err(e) if socket::is_in_progress(&e) => {
            let ep = Epoll::new().unwrap();
            ep.add(client.as_fd(), 4, EventBits::OUT).unwrap();
            let bits = wait_for(&ep, 4, EventBits::is_writable);
            assert!(bits.is_error(), "{bits:?}");
            let err = socket::take_error(client.as_fd())
                .unwrap()
                .expect("a pending error");
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
            // SO_ERROR is cleared by reading it.
            assert!(socket::take_error(client.as_fd()).unwrap().is_none());
        }
        Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}"),
    }
}

#[test]
fn bind_to_address_in_use_fails() {
    let (_listener, addr) = tcp_listener();
    let other = socket::socket(Domain::Ipv4, SockType::Stream).unwrap();
    let err = socket::bind(other.as_fd(), &addr).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
}

#[test]
fn sockopt_round_trips() {
    let fd = socket::socket(Domain::Ipv4, SockType::Stream).unwrap();
    for opt in [
        SockOpt::TCP_NODELAY,
        SockOpt::REUSE_ADDR,
        SockOpt::KEEPALIVE,
    ] {
        assert_eq!(
            socket::getsockopt_int(fd.as_fd(), opt).unwrap(),
            0,
            "{opt:?}"
        );
        socket::setsockopt_int(fd.as_fd(), opt, 1).unwrap();
        assert_eq!(
            socket::getsockopt_int(fd.as_fd(), opt).unwrap(),
            1,
            "{opt:?}"
        );
        socket::setsockopt_int(fd.as_fd(), opt, 0).unwrap();
        assert_eq!(
            socket::getsockopt_int(fd.as_fd(), opt).unwrap(),
            0,
            "{opt:?}"
        );
    }
    socket::setsockopt_int(fd.as_fd(), SockOpt::IP_TTL, 42).unwrap();
    assert_eq!(
        socket::getsockopt_int(fd.as_fd(), SockOpt::IP_TTL).unwrap(),
        42
    );
    socket::setsockopt_int(fd.as_fd(), SockOpt::REUSE_PORT, 1).unwrap();
    assert_eq!(
        socket::getsockopt_int(fd.as_fd(), SockOpt::REUSE_PORT).unwrap(),
        1
    );
    // Linux doubles the requested buffer size for bookkeeping.
    socket::setsockopt_int(fd.as_fd(), SockOpt::RCVBUF, 8192).unwrap();
    assert_eq!(
        socket::getsockopt_int(fd.as_fd(), SockOpt::RCVBUF).unwrap(),
        16384
    );

    let udp = socket::socket(Domain::Ipv4, SockType::Datagram).unwrap();
    socket::setsockopt_int(udp.as_fd(), SockOpt::BROADCAST, 1).unwrap();
    assert_eq!(
        socket::getsockopt_int(udp.as_fd(), SockOpt::BROADCAST).unwrap(),
        1
    );
    // A TCP option on a UDP socket is rejected by the kernel.
    assert!(socket::getsockopt_int(udp.as_fd(), SockOpt::TCP_NODELAY).is_err());
}

#[test]
fn linger_round_trips() {
    let fd = socket::socket(Domain::Ipv4, SockType::Stream).unwrap();
    assert_eq!(socket::linger(fd.as_fd()).unwrap(), None);
    socket::set_linger(fd.as_fd(), Some(Duration::from_secs(5))).unwrap();
    assert_eq!(
        socket::linger(fd.as_fd()).unwrap(),
        Some(Duration::from_secs(5))
    );
    socket::set_linger(fd.as_fd(), Some(Duration::from_millis(2500))).unwrap();
    assert_eq!(
        socket::linger(fd.as_fd()).unwrap(),
        Some(Duration::from_secs(2))
    );
    socket::set_linger(fd.as_fd(), Some(Duration::ZERO)).unwrap();
    assert_eq!(socket::linger(fd.as_fd()).unwrap(), Some(Duration::ZERO));
    socket::set_linger(fd.as_fd(), None).unwrap();
    assert_eq!(socket::linger(fd.as_fd()).unwrap(), None);
}

#[test]
fn ipv6_loopback_if_available() {
    let Ok(fd) = socket::socket(Domain::Ipv6, SockType::Stream) else {
        return; // no IPv6 in this environment
    };
    socket::setsockopt_int(fd.as_fd(), SockOpt::IPV6_V6ONLY, 1).unwrap();
    assert_eq!(
        socket::getsockopt_int(fd.as_fd(), SockOpt::IPV6_V6ONLY).unwrap(),
        1
    );
    let any_port = SocketAddr::from((Ipv6Addr::LOCALHOST, 0));
    if socket::bind(fd.as_fd(), &any_port).is_err() {
        return; // ::1 not configured
    }
    let addr = socket::local_addr(fd.as_fd()).unwrap();
    assert_eq!(addr.ip(), Ipv6Addr::LOCALHOST);
    assert_ne!(addr.port(), 0);
    assert_eq!(Domain::for_addr(&addr), Domain::Ipv6);
}

#[test]
fn domain_for_addr_and_in_progress() {
    assert_eq!(
        Domain::for_addr(&SocketAddr::from((Ipv4Addr::LOCALHOST, 1))),
        Domain::Ipv4
    );
    assert_eq!(
        Domain::for_addr(&SocketAddr::from((Ipv6Addr::LOCALHOST, 1))),
        Domain::Ipv6
    );
    assert!(socket::is_in_progress(&io::Error::from_raw_os_error(
        libc::EINPROGRESS
    )));
    assert!(!socket::is_in_progress(&io::Error::from_raw_os_error(
        libc::EAGAIN
    )));
    assert!(!socket::is_in_progress(&io::Error::other("x")));
}

/// The raw bytes of a converted address.
fn raw_bytes(addr: &SocketAddr) -> Vec<u8> {
    let (raw, len) = socket::socket_addr_to_raw(addr);
    // SAFETY: `raw` is a fully initialised sockaddr of at least `len` bytes
    // (both union variants are built with every field set, and `len` is the
    // size of the variant built), alive for the slice's lifetime.
    unsafe { std::slice::from_raw_parts(raw.as_ptr().cast::<u8>(), len as usize) }.to_vec()
}

/// Round-trips `addr` through the C representation.
fn round_trip(addr: &SocketAddr) -> io::Result<SocketAddr> {
    let bytes = raw_bytes(addr);
    let mut storage = zeroed_storage();
    // SAFETY: `bytes.len()` is at most the size of a `sockaddr_in6`, smaller
    // than `sockaddr_storage`; the regions do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), (&raw mut storage).cast::<u8>(), bytes.len());
    }
    socket::socket_addr_from_raw(&storage, bytes.len() as libc::socklen_t)
}

fn zeroed_storage() -> libc::sockaddr_storage {
    // SAFETY: all-zero is a valid `sockaddr_storage` (integers and bytes).
    unsafe { std::mem::zeroed() }
}

#[test]
fn sockaddr_conversion_round_trips_in_network_order() {
    let v4 = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(10, 1, 2, 3), 8080));
    let bytes = raw_bytes(&v4);
    assert_eq!(bytes.len(), size_of::<libc::sockaddr_in>());
    assert_eq!(&bytes[2..4], &8080u16.to_be_bytes());
    assert_eq!(&bytes[4..8], &[10, 1, 2, 3]);
    assert_eq!(round_trip(&v4).unwrap(), v4);

    let ip6 = Ipv6Addr::new(0xfe80, 0, 0, 0, 1, 2, 3, 4);
    let v6 = SocketAddr::V6(SocketAddrV6::new(ip6, 443, 0x000a_bcde, 7));
    let bytes = raw_bytes(&v6);
    assert_eq!(bytes.len(), size_of::<libc::sockaddr_in6>());
    assert_eq!(&bytes[2..4], &443u16.to_be_bytes());
    assert_eq!(&bytes[8..24], &ip6.octets());
    let back = round_trip(&v6).unwrap();
    assert_eq!(back, v6);
    let SocketAddr::V6(back) = back else {
        unreachable!()
    };
    assert_eq!((back.flowinfo(), back.scope_id()), (0x000a_bcde, 7));
}

#[test]
fn unsupported_sockaddr_is_invalid_input() {
    let mut storage = zeroed_storage();
    storage.ss_family = libc::AF_UNIX as libc::sa_family_t;
    let err = socket::socket_addr_from_raw(&storage, 2).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("family"), "{err}");

    // Right family, truncated length.
    storage.ss_family = libc::AF_INET as libc::sa_family_t;
    let err = socket::socket_addr_from_raw(&storage, 4).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

// ---- EventBits ----

#[test]
fn event_bits_debug_names_flags() {
    assert_eq!(
        format!("{:?}", EventBits::IN | EventBits::OUT | EventBits::EDGE),
        "EventBits(IN | OUT | EDGE)"
    );
    assert_eq!(format!("{:?}", EventBits::EMPTY), "EventBits(EMPTY)");
    assert_eq!(
        format!("{:?}", EventBits::EDGE_READ_WRITE),
        "EventBits(IN | OUT | RDHUP | EDGE)"
    );
    assert_eq!(
        format!("{:?}", EventBits::HUP | EventBits::ERR),
        "EventBits(HUP | ERR)"
    );
    let pri = EventBits::from_raw(libc::EPOLLIN as u32 | libc::EPOLLPRI as u32);
    assert_eq!(format!("{pri:?}"), "EventBits(IN | 0x2)");
}

#[test]
fn event_bits_match_epoll_constants() {
    assert_eq!(EventBits::IN.raw(), libc::EPOLLIN as u32);
    assert_eq!(EventBits::OUT.raw(), libc::EPOLLOUT as u32);
    assert_eq!(EventBits::RDHUP.raw(), libc::EPOLLRDHUP as u32);
    assert_eq!(EventBits::HUP.raw(), libc::EPOLLHUP as u32);
    assert_eq!(EventBits::ERR.raw(), libc::EPOLLERR as u32);
    assert_eq!(EventBits::EDGE.raw(), libc::EPOLLET as u32);
    assert_eq!(
        EventBits::EDGE_READ_WRITE.raw(),
        (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32
    );
    assert_eq!(EventBits::default(), EventBits::EMPTY);
    assert_eq!(EventBits::from_raw(0x11).raw(), 0x11);

    let mut bits = EventBits::IN;
    bits |= EventBits::OUT;
    assert_eq!(bits, EventBits::IN | EventBits::OUT);
    assert!(bits.contains(EventBits::IN));
    assert!(bits.contains(EventBits::IN | EventBits::OUT));
    assert!(!bits.contains(EventBits::IN | EventBits::ERR));
    assert!(bits.contains(EventBits::EMPTY));
}

#[test]
fn event_bits_readiness_mapping() {
    use EventBits as B;
    for (bits, readable, writable, error, read_closed) in [
        (B::EMPTY, false, false, false, false),
        (B::IN, true, false, false, false),
        (B::OUT, false, true, false, false),
        (B::RDHUP, true, false, false, true),
        (B::HUP, true, true, false, true),
        (B::ERR, true, true, true, false),
        (B::EDGE, false, false, false, false),
    ] {
        assert_eq!(bits.is_readable(), readable, "{bits:?}");
        assert_eq!(bits.is_writable(), writable, "{bits:?}");
        assert_eq!(bits.is_error(), error, "{bits:?}");
        assert_eq!(bits.is_read_closed(), read_closed, "{bits:?}");
    }
}

#[test]
fn a_thread_pinned_to_one_of_its_cpus_runs_only_there() {
    std::thread::spawn(|| {
        let cpus = super::thread::current_thread_cpus().unwrap();
        assert!(!cpus.is_empty());
        let last = *cpus.last().unwrap();
        super::thread::pin_current_thread(last).unwrap();
        assert_eq!(super::thread::current_thread_cpus().unwrap(), [last]);
        let err = super::thread::pin_current_thread(usize::MAX).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    })
    .join()
    .unwrap();
}

// ---- fd status (pipes and FIFOs) ----

/// A directory of its own under the temp dir, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("netloop-sys-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn pipe_ends_are_fifos_with_their_access_modes() {
    let (r, w) = socket::pipe().unwrap();
    assert!(fd::is_fifo(r.as_fd()).unwrap());
    assert!(fd::is_fifo(w.as_fd()).unwrap());
    assert_eq!(
        fd::access_mode(r.as_fd()).unwrap(),
        Some(fd::AccessMode::Read)
    );
    assert_eq!(
        fd::access_mode(w.as_fd()).unwrap(),
        Some(fd::AccessMode::Write)
    );
    let (a, _b) = socket::socketpair(SockType::Stream).unwrap();
    assert!(!fd::is_fifo(a.as_fd()).unwrap());
    assert_eq!(
        fd::access_mode(a.as_fd()).unwrap(),
        Some(fd::AccessMode::ReadWrite)
    );
}

#[test]
fn set_nonblocking_sets_and_clears_o_nonblock() {
    let (r, _w) = socket::pipe().unwrap();
    fd::set_nonblocking(r.as_fd(), false).unwrap();
    assert!(!socket::is_nonblocking(r.as_fd()).unwrap());
    // Idempotent both ways.
    fd::set_nonblocking(r.as_fd(), false).unwrap();
    fd::set_nonblocking(r.as_fd(), true).unwrap();
    fd::set_nonblocking(r.as_fd(), true).unwrap();
    assert_nonblocking(r.as_fd());
}

#[test]
fn read_uninit_reads_into_uninitialised_memory() {
    let (r, w) = socket::pipe().unwrap();
    sio::write(w.as_fd(), b"xyz").unwrap();
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 8];
    assert_eq!(sio::read_uninit(r.as_fd(), &mut buf).unwrap(), 3);
    let got: Vec<u8> = buf[..3]
        .iter()
        .map(|b| {
            // SAFETY: `read_uninit` initialised the first 3 bytes.
            unsafe { b.assume_init() }
        })
        .collect();
    assert_eq!(got, b"xyz");
    let err = sio::read_uninit(r.as_fd(), &mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
}

#[test]
fn a_fifo_opens_nonblocking_and_cloexec() {
    let dir = TempDir::new("fifo");
    let path = dir.0.join("fifo");
    fd::mkfifo(&path, 0o600).unwrap();
    let err = fd::mkfifo(&path, 0o600).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);

    // No reader yet: a nonblocking write-only open is ENXIO.
    let err = fd::open_nonblocking(&path, fd::AccessMode::Write).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENXIO));

    let r = fd::open_nonblocking(&path, fd::AccessMode::Read).unwrap();
    let w = fd::open_nonblocking(&path, fd::AccessMode::Write).unwrap();
    for end in [r.as_fd(), w.as_fd()] {
        assert_cloexec(end);
        assert_nonblocking(end);
        assert!(fd::is_fifo(end).unwrap());
    }
    sio::write(w.as_fd(), b"via fifo").unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(sio::read(r.as_fd(), &mut buf).unwrap(), 8);
    assert_eq!(&buf[..8], b"via fifo");

    let file = dir.0.join("file");
    std::fs::write(&file, b"").unwrap();
    let f = fd::open_nonblocking(&file, fd::AccessMode::ReadWrite).unwrap();
    assert!(!fd::is_fifo(f.as_fd()).unwrap());
}
