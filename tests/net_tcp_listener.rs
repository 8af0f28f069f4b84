//! `TcpListener` and `TcpSocket` through the public API, on the loopback:
//! every form `bind` takes (address strings, a `SocketAddr`, a
//! `(host, port)` pair, `"localhost:0"` resolved on the blocking pool,
//! `"[::1]:0"` where IPv6 loopback exists), `ConnectionRefused` and
//! `AddrInUse`, `TcpSocket`'s options with its own `connect` / `listen`
//! (`tos_v4` and `tclass_v6` among them),
//! `SO_REUSEPORT`, `from_std` / `into_std`, `poll_accept`, acceptors on
//! every loop sharing one listener, `EMFILE` from `accept` and the
//! recovery after it, and how a plain
//! accept-and-spawn server spreads its connections: over the 4 loops of a
//! multi-thread runtime by round robin, with each connection's events on
//! its handler's loop and none on the listener's.
//!
//! Every test counts `/proc/self/fd` before and after (the tests of this
//! binary run one at a time for that) and is bounded by the watchdog. No
//! test asserts a speed.

#[macro_use]
mod support;

use std::future::poll_fn;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::thread;
use std::time::Duration;

use futures::future;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use netloop::net::{TcpListener, TcpSocket, TcpStream};
use netloop::runtime::Handle;

use support::{NET_LOOPS, fd_leak_checked, multi_thread};

/// Connects to `listener` and accepts, checking that both ends and the
/// listener agree on the addresses; then one byte each way.
async fn check_round_trip(listener: &TcpListener) {
    let addr = listener.local_addr().unwrap();
    assert_ne!(
        addr.port(),
        0,
        "port 0 was not replaced by the kernel's pick"
    );
    let (client, accepted) = future::join(TcpStream::connect(addr), listener.accept()).await;
    let client = client.unwrap();
    let (server, peer) = accepted.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
    assert_eq!(client.peer_addr().unwrap(), addr);
    assert_eq!(server.local_addr().unwrap(), addr);
    (&client).write_all(b"?").await.unwrap();
    let mut byte = [0u8; 1];
    (&server).read_exact(&mut byte).await.unwrap();
    (&server).write_all(b"!").await.unwrap();
    (&client).read_exact(&mut byte).await.unwrap();
    assert_eq!(&byte, b"!");
}

/// A port that nothing listens on (for now): bound, noted, closed.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// Whether an error from binding `[::1]` means this host has no IPv6
/// loopback (rather than a netloop bug).
fn no_ipv6(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::AddrNotAvailable | ErrorKind::Unsupported | ErrorKind::InvalidInput
    ) || e.raw_os_error() == Some(97) // EAFNOSUPPORT
}

net_rt_test! {
    async fn fifty_tasks_accepting_on_one_listener_all_get_a_connection() {
        // Fifty tasks wait in the same read slot (a "double wait" fifty
        // deep): every one must be woken, none lost or kept spinning.
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (listener, accepted) = (listener.clone(), accepted.clone());
                netloop::spawn(async move {
                    let (stream, _) = listener.accept().await.unwrap();
                    accepted.fetch_add(1, Relaxed);
                    stream
                })
            })
            .collect();
        // Let every task park before the connections arrive; parked, they
        // are not polled again (no waiter wakes another to make room).
        netloop::time::sleep(Duration::from_millis(20)).await;
        let polled = |h: &Handle| h.loop_stats().iter().map(|s| s.tasks_polled).sum::<u64>();
        let before = polled(&Handle::current());
        netloop::time::sleep(Duration::from_millis(100)).await;
        let during = polled(&Handle::current()) - before;
        assert!(during < 20, "{during} polls of parked accept tasks in 100 ms");
        let mut clients = Vec::new();
        for _ in 0..50 {
            clients.push(TcpStream::connect(addr).await.unwrap());
        }
        for task in tasks {
            drop(task.await.unwrap());
        }
        assert_eq!(accepted.load(Relaxed), 50);
    }

    async fn an_accepted_stream_starts_out_readable_and_writable_as_in_tokio() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        // Assumed ready: no event needed.
        assert!(support::poll_once(accepted.readable()).is_ready());
        assert!(support::poll_once(accepted.writable()).is_ready());
        // Until a read says otherwise: then it waits for data.
        let mut buf = [0u8; 8];
        assert_eq!(accepted.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        assert!(support::poll_once(accepted.readable()).is_pending());
        drop(client);
        accepted.readable().await.unwrap();
        assert_eq!(accepted.try_read(&mut buf).unwrap(), 0);
    }

    async fn bind_takes_every_address_form() {
        let forms = [
            TcpListener::bind("127.0.0.1:0").await.unwrap(),
            TcpListener::bind(String::from("127.0.0.1:0")).await.unwrap(),
            TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap(),
            TcpListener::bind(("127.0.0.1", 0)).await.unwrap(),
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap(),
            TcpListener::bind((IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await.unwrap(),
        ];
        for listener in &forms {
            assert_eq!(listener.local_addr().unwrap().ip(), Ipv4Addr::LOCALHOST);
            check_round_trip(listener).await;
        }
    }

    async fn bind_resolves_localhost_on_the_blocking_pool() {
        // "localhost" is no address: it goes to the system resolver.
        let listener = TcpListener::bind("localhost:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback(), "localhost bound to {addr}");
        check_round_trip(&listener).await;
        // connect resolves too, and tries each address in turn.
        let (client, accepted) =
            future::join(TcpStream::connect(("localhost", addr.port())), listener.accept()).await;
        assert_eq!(accepted.unwrap().1, client.unwrap().local_addr().unwrap());
        let resolved: Vec<_> = netloop::net::lookup_host(("localhost", 80)).await.unwrap().collect();
        assert!(!resolved.is_empty() && resolved.iter().all(|a| a.ip().is_loopback() && a.port() == 80));
    }

    async fn bind_takes_the_ipv6_loopback_where_there_is_one() {
        let listener = match TcpListener::bind("[::1]:0").await {
            Ok(listener) => listener,
            Err(e) if no_ipv6(&e) => {
                eprintln!("skipped: no IPv6 loopback here ({e})");
                return;
            }
            Err(e) => panic!("binding [::1]:0 failed: {e}"),
        };
        assert_eq!(listener.local_addr().unwrap().ip(), Ipv6Addr::LOCALHOST);
        check_round_trip(&listener).await;
        let again = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).await.unwrap();
        check_round_trip(&again).await;
    }

    async fn connecting_where_nobody_listens_is_refused() {
        let addr = closed_port().await;
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        let err = TcpSocket::new_v4().unwrap().connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    }

    async fn binding_an_address_in_use_fails_with_addr_in_use() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // `bind` sets SO_REUSEADDR, which does not let two listeners share.
        let err = TcpListener::bind(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
        let socket = TcpSocket::new_v4().unwrap();
        let err = socket.bind(addr).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
        // The first listener is unharmed.
        check_round_trip(&listener).await;
    }

    // `set_linger` is deprecated, as tokio's is; still kept and tested.
    #[allow(deprecated)]
    async fn tcp_socket_options_round_trip_and_it_connects_and_listens() {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        assert!(socket.reuseaddr().unwrap());
        socket.set_reuseaddr(false).unwrap();
        assert!(!socket.reuseaddr().unwrap());
        socket.set_reuseport(true).unwrap();
        assert!(socket.reuseport().unwrap());
        // Linux doubles what it is given (and has floors): at least it.
        socket.set_send_buffer_size(64 * 1024).unwrap();
        assert!(socket.send_buffer_size().unwrap() >= 64 * 1024);
        socket.set_recv_buffer_size(64 * 1024).unwrap();
        assert!(socket.recv_buffer_size().unwrap() >= 64 * 1024);
        socket.set_keepalive(true).unwrap();
        assert!(socket.keepalive().unwrap());
        socket.set_keepalive(false).unwrap();
        assert!(!socket.keepalive().unwrap());
        socket.set_nodelay(true).unwrap();
        assert!(socket.nodelay().unwrap());
        socket.set_linger(Some(Duration::from_secs(2))).unwrap();
        assert_eq!(socket.linger().unwrap(), Some(Duration::from_secs(2)));
        socket.set_linger(None).unwrap();
        assert_eq!(socket.linger().unwrap(), None);
        assert!(socket.take_error().unwrap().is_none());
        socket.bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        let addr = socket.local_addr().unwrap();
        let listener = socket.listen(128).unwrap();
        assert_eq!(listener.local_addr().unwrap(), addr);

        // SO_REUSEPORT on both: a second listener on the same address.
        let twin = TcpSocket::new_v4().unwrap();
        twin.set_reuseport(true).unwrap();
        twin.bind(addr).unwrap();
        let twin = twin.listen(128).unwrap();
        assert_eq!(twin.local_addr().unwrap(), addr);
        drop(twin);

        // A client socket with its options, then TcpSocket::connect.
        let client = TcpSocket::new_v4().unwrap();
        client.set_nodelay(true).unwrap();
        client.set_keepalive(true).unwrap();
        client.set_send_buffer_size(32 * 1024).unwrap();
        client.bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        let client_addr = client.local_addr().unwrap();
        let (client, accepted) = future::join(client.connect(addr), listener.accept()).await;
        let client = client.unwrap();
        let (server, peer) = accepted.unwrap();
        assert_eq!(peer, client_addr);
        assert_eq!(client.local_addr().unwrap(), client_addr);
        assert!(client.nodelay().unwrap());
        (&client).write_all(b"hi").await.unwrap();
        let mut buf = [0u8; 2];
        (&server).read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hi");

        // A std stream's socket wraps too.
        let std_stream = std::net::TcpStream::connect(addr).unwrap();
        let (wrapped, accepted) = (TcpSocket::from_std_stream(std_stream).unwrap(), listener.accept().await.unwrap());
        assert_eq!(wrapped.local_addr().unwrap(), accepted.1);
    }

    /// tokio's `tos_v4` / `set_tos_v4` (`IP_TOS`) on an IPv4 socket, the
    /// deprecated `tos` / `set_tos` naming the same option, and
    /// `tclass_v6` / `set_tclass_v6` (`IPV6_TCLASS`) on an IPv6 one. The
    /// values leave the two ECN bits clear: Linux keeps those to itself on
    /// TCP sockets.
    #[allow(deprecated)]
    async fn tcp_socket_tos_v4_and_tclass_v6_round_trip() {
        let socket = TcpSocket::new_v4().unwrap();
        assert_eq!(socket.tos_v4().unwrap(), 0);
        socket.set_tos_v4(0xb8).unwrap();
        assert_eq!(socket.tos_v4().unwrap(), 0xb8);
        assert_eq!(socket.tos().unwrap(), 0xb8);
        socket.set_tos(0x10).unwrap();
        assert_eq!(socket.tos_v4().unwrap(), 0x10);
        // Kept through listen.
        socket.bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        let listener = socket.listen(8).unwrap();
        check_round_trip(&listener).await;

        let socket = match TcpSocket::new_v6() {
            Ok(socket) => socket,
            Err(e) => {
                eprintln!("skipped the IPv6 half: no IPv6 sockets here ({e})");
                return;
            }
        };
        assert_eq!(socket.tclass_v6().unwrap(), 0);
        socket.set_tclass_v6(0xb8).unwrap();
        assert_eq!(socket.tclass_v6().unwrap(), 0xb8);
        socket.set_tclass_v6(0).unwrap();
        assert_eq!(socket.tclass_v6().unwrap(), 0);
    }

    async fn the_ipv6_tcp_socket_listens_where_there_is_one() {
        let socket = TcpSocket::new_v6().unwrap();
        let addr = SocketAddr::from((Ipv6Addr::LOCALHOST, 0));
        match socket.bind(addr) {
            Ok(()) => {}
            Err(e) if no_ipv6(&e) => {
                eprintln!("skipped: no IPv6 loopback here ({e})");
                return;
            }
            Err(e) => panic!("binding [::1]:0 failed: {e}"),
        }
        let listener = socket.listen(16).unwrap();
        check_round_trip(&listener).await;
    }

    async fn listener_from_std_into_std_and_options() {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_listener.local_addr().unwrap();
        let listener = TcpListener::from_std(std_listener).unwrap();
        listener.set_ttl(33).unwrap();
        assert_eq!(listener.ttl().unwrap(), 33);
        // Registered by a pending accept, then taken out.
        let (client, accepted) = future::join(
            async {
                netloop::time::sleep(Duration::from_millis(10)).await;
                TcpStream::connect(addr).await
            },
            listener.accept(),
        )
        .await;
        assert_eq!(accepted.unwrap().1, client.unwrap().local_addr().unwrap());
        let std_listener = listener.into_std().unwrap();
        std_listener.set_nonblocking(false).unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        // Already in the backlog: this blocking accept returns at once.
        let (mut accepted, peer) = std_listener.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        (&client).write_all(b"std").await.unwrap();
        accepted.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 3];
        accepted.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"std");
        accepted.write_all(b"ok").unwrap();
        let mut two = [0u8; 2];
        (&client).read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"ok");
        let listener = TcpListener::try_from(std_listener).unwrap();
        check_round_trip(&listener).await;
    }

    async fn acceptors_on_every_loop_share_one_listener() {
        const CONNS: usize = 400;
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        // One acceptor per loop (4 on the multi-thread runtime), all
        // waiting on the same listener's read slot.
        let acceptors: Vec<_> = (0..Handle::current().loops().max(2))
            .map(|_| {
                let listener = listener.clone();
                let accepted = accepted.clone();
                netloop::spawn(async move {
                    let mut mine = Vec::new();
                    while accepted.load(Relaxed) < CONNS {
                        let next = netloop::time::timeout(Duration::from_millis(50), listener.accept());
                        if let Ok(result) = next.await {
                            let (stream, _) = result.unwrap();
                            accepted.fetch_add(1, Relaxed);
                            mine.push(stream);
                        }
                    }
                    mine
                })
            })
            .collect();
        let mut clients = Vec::with_capacity(CONNS);
        for _ in 0..CONNS {
            clients.push(TcpStream::connect(addr).await.unwrap());
        }
        let mut served = 0;
        for acceptor in acceptors {
            served += netloop::time::timeout(Duration::from_secs(20), acceptor)
                .await
                .expect("an acceptor hung")
                .unwrap()
                .len();
        }
        assert_eq!(served, CONNS);
    }

    async fn poll_accept_accepts() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = future::join(
            TcpStream::connect(addr),
            poll_fn(|cx| listener.poll_accept(cx)),
        )
        .await;
        assert_eq!(accepted.unwrap().1, client.unwrap().local_addr().unwrap());
    }
}

/// Runs `conns` blocking std clients from 8 plain threads (so that the
/// only tasks spawned on the runtime are the server's): each connects,
/// sends one byte per round trip and waits for its echo `rounds` times,
/// then closes.
fn std_clients(addr: SocketAddr, conns: usize, rounds: usize) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let threads: Vec<_> = (0..8)
            .map(|t| {
                thread::spawn(move || {
                    for i in (t..conns).step_by(8) {
                        let mut s = std::net::TcpStream::connect(addr).unwrap();
                        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                        for round in 0..rounds {
                            let byte = (i + round) as u8;
                            s.write_all(&[byte]).unwrap();
                            let mut back = [0u8; 1];
                            s.read_exact(&mut back).unwrap();
                            assert_eq!(back[0], byte);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    })
}

/// The server side of [`std_clients`]: notes its loop in `per_loop`, waits
/// for readability first (registering the stream with this loop's poller),
/// echoes until EOF.
async fn handler(stream: TcpStream, per_loop: Arc<Vec<AtomicUsize>>) {
    let index = Handle::current()
        .current_loop()
        .expect("a handler runs on one of the runtime's loops");
    per_loop[index].fetch_add(1, Relaxed);
    stream.readable().await.unwrap();
    let mut byte = [0u8; 1];
    loop {
        match (&stream).read(&mut byte).await.unwrap() {
            0 => break,
            _ => (&stream).write_all(&byte).await.unwrap(),
        }
    }
}

fn io_events(handle: &Handle) -> Vec<u64> {
    handle.loop_stats().iter().map(|s| s.io_events).collect()
}

#[test]
fn accept_and_spawn_spreads_connections_over_the_loops() {
    fd_leak_checked(|| {
        const CONNS: usize = 1000;
        let rt = multi_thread(NET_LOOPS);
        let handle = rt.handle().clone();
        let per_loop: Arc<Vec<AtomicUsize>> =
            Arc::new((0..NET_LOOPS).map(|_| AtomicUsize::new(0)).collect());
        let before = io_events(&handle);
        // The accept loop runs in block_on, on a guest loop; the listener
        // joins the poller of a loop the balancer picks, which gets the
        // accept events on top of its connections'.
        let clients = rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let clients = std_clients(listener.local_addr().unwrap(), CONNS, 2);
            let mut handlers = Vec::with_capacity(CONNS);
            for _ in 0..CONNS {
                let (stream, _) = listener.accept().await.unwrap();
                handlers.push(netloop::spawn(handler(stream, per_loop.clone())));
            }
            for h in handlers {
                h.await.unwrap();
            }
            clients
        });
        clients.join().unwrap();
        let after = io_events(&handle);
        let counts: Vec<usize> = per_loop.iter().map(|c| c.load(Relaxed)).collect();
        assert_eq!(counts.iter().sum::<usize>(), CONNS);
        let fair = CONNS / NET_LOOPS;
        for (index, &count) in counts.iter().enumerate() {
            assert!(
                count.abs_diff(fair) <= fair / 10,
                "loop {index} got {count} of {CONNS} connections (per loop: {counts:?})"
            );
            // Each handler registered its stream with its own loop, and
            // registering a writable socket reports at least one event.
            let events = after[index] - before[index];
            assert!(
                events >= count as u64,
                "loop {index} saw {events} I/O events for its {count} connections \
                 (per loop: {counts:?}, events before {before:?} after {after:?})"
            );
        }
        drop(rt);
    });
}

#[test]
fn the_listeners_loop_gets_no_events_of_the_connections_it_hands_off() {
    fd_leak_checked(|| {
        const CONNS: usize = 300;
        const ROUNDS: usize = 4;
        let rt = multi_thread(NET_LOOPS);
        let handle = rt.handle().clone();
        let per_loop: Arc<Vec<AtomicUsize>> =
            Arc::new((0..NET_LOOPS).map(|_| AtomicUsize::new(0)).collect());
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let clients = std_clients(listener.local_addr().unwrap(), CONNS, ROUNDS);
        let before = io_events(&handle);
        // Accept on loop 0; each connection goes to loop 1, 2 or 3.
        let acceptor = {
            let handle = handle.clone();
            let per_loop = per_loop.clone();
            handle.clone().spawn_on(0, async move {
                let mut handlers = Vec::with_capacity(CONNS);
                for i in 0..CONNS {
                    let (stream, _) = listener.accept().await.unwrap();
                    let target = 1 + i % (NET_LOOPS - 1);
                    handlers.push(handle.spawn_on(target, handler(stream, per_loop.clone())));
                }
                for h in handlers {
                    h.await.unwrap();
                }
                listener
            })
        };
        let listener = rt.block_on(acceptor).unwrap();
        clients.join().unwrap();
        let after = io_events(&handle);
        drop(listener);
        let counts: Vec<usize> = per_loop.iter().map(|c| c.load(Relaxed)).collect();
        assert_eq!(counts[0], 0);
        let events: Vec<u64> = (0..NET_LOOPS).map(|i| after[i] - before[i]).collect();
        // Loop 0 only hears the listener: at most one event per
        // connection that arrived (edge-triggered events coalesce, never
        // multiply). Had the accepted streams joined loop 0's poller, it
        // would also get at least their registration events.
        assert!(
            events[0] <= CONNS as u64,
            "the listener's loop saw {} I/O events for {CONNS} connections it handed off \
             (events per loop: {events:?})",
            events[0]
        );
        for index in 1..NET_LOOPS {
            assert!(
                events[index] >= counts[index] as u64,
                "loop {index} saw {} events for its {} connections (events per loop: {events:?})",
                events[index],
                counts[index]
            );
        }
        drop(rt);
    });
}

#[test]
fn accept_reports_emfile_and_recovers_once_fds_are_back() {
    fd_leak_checked(|| {
        use netloop::reactor::sys::resource::{nofile_limit, set_nofile_soft_limit};
        const EMFILE: i32 = 24;
        let rt = support::current_thread();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = TcpStream::connect(addr).await.unwrap();
            let (soft, _) = nofile_limit().unwrap();
            // No fd may be opened at all for the length of one accept. The
            // tests of this binary run one at a time (fd counting), so no
            // other test is hurt.
            set_nofile_soft_limit(0).unwrap();
            let refused = listener.accept().await;
            set_nofile_soft_limit(soft).unwrap();
            let err = refused.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(EMFILE), "{err}");
            // The connection waited in the backlog; the next accept (after
            // the listener's short pause) takes it.
            let (stream, peer) = netloop::time::timeout(Duration::from_secs(10), listener.accept())
                .await
                .expect("accept after EMFILE hung")
                .unwrap();
            assert_eq!(peer, client.local_addr().unwrap());
            drop(stream);
        });
    });
}
