//! gnet's event-handler serving (`netloop::net::serve_traffic` /
//! `serve_traffic_reuseport`): bytes reach the handler intact and in order
//! on many connections over several loops; input the handler leaves
//! unconsumed is handed back with what arrives next (a message split
//! across reads); output the socket cannot take is kept and sent in order
//! to a slow reader; `on_open` greets, `Action::Close` closes after what was
//! written, `on_close` reports; a panicking handler closes only its
//! connection; idle connections hold no task; dropping the server stops
//! accepts but keeps its connections served; nothing leaks (fds counted).

mod support;

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use netloop::net::{Action, Conn, TcpListener, TcpStream, TrafficHandler};
use netloop::runtime::{Handle, Runtime};
use support::{FdCheck, bounded, multi_thread, wait_until};

const LOOPS: usize = 3;

fn echo(conn: &mut Conn<'_>) -> Action {
    let input = conn.take_input();
    conn.write(input);
    Action::Continue
}

fn serve<T: TrafficHandler>(rt: &Runtime, handler: T) -> netloop::net::Server {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        netloop::net::serve_traffic(listener, handler).unwrap()
    })
}

/// Runs `body` on a client runtime of its own, bounded.
fn client<F: std::future::Future<Output = ()>>(body: F) {
    let rt = multi_thread(2);
    rt.block_on(bounded("the client", body));
}

#[test]
fn echo_keeps_every_byte_in_order_on_many_connections() {
    let fds = FdCheck::start();
    let rt = multi_thread(LOOPS);
    let server = serve(&rt, echo);
    let addr = server.local_addr();
    client(async move {
        let mut set = netloop::task::JoinSet::new();
        for c in 0..60u32 {
            set.spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                // Sizes from 1 byte to past the loop's buffer.
                let len = 1 + (c as usize * 7919) % 150_000;
                let data: Vec<u8> = (0..len).map(|i| (i as u32 * 31 + c) as u8).collect();
                let (mut r, mut w) = TcpStream::split(&mut stream);
                let mut back = vec![0u8; len];
                let (wrote, read) =
                    futures::future::join(w.write_all(&data), r.read_exact(&mut back)).await;
                wrote.unwrap();
                read.unwrap();
                assert!(back == data, "connection {c}: the echo differs");
                stream.close().await.unwrap();
            });
        }
        set.join_all().await;
    });
    let stats = rt.handle().loop_stats();
    assert!(
        stats.iter().filter(|s| s.accepts + s.io_events > 0).count() > 1,
        "served on several loops: {stats:?}"
    );
    drop(server);
    drop(rt);
    fds.finish_blocking();
}

/// Answers each `\n`-terminated line with its length, consuming only whole
/// lines.
fn line_lengths(conn: &mut Conn<'_>) -> Action {
    while let Some(end) = conn.input().iter().position(|&b| b == b'\n') {
        conn.consume(end + 1);
        conn.write(format!("{end}\n").as_bytes());
    }
    Action::Continue
}

#[test]
fn unconsumed_input_is_handed_back_with_the_next_bytes() {
    let fds = FdCheck::start();
    let rt = multi_thread(LOOPS);
    let server = serve(&rt, line_lengths);
    let addr = server.local_addr();
    client(async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        // One line in three pieces, with pauses so that each is its own read.
        for piece in [&b"hello"[..], b", wor", b"ld\nab\n"] {
            stream.write_all(piece).await.unwrap();
            netloop::time::sleep(Duration::from_millis(30)).await;
        }
        let mut answer = [0u8; 5];
        stream.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"12\n2\n");
    });
    drop(server);
    drop(rt);
    fds.finish_blocking();
}

#[test]
fn output_the_socket_cannot_take_is_sent_in_order_to_a_slow_reader() {
    let fds = FdCheck::start();
    const TOTAL: usize = 16 << 20;
    let rt = multi_thread(LOOPS);
    // One byte in: 16 MiB out, far past what the socket buffers hold.
    let server = serve(&rt, |conn: &mut Conn<'_>| {
        conn.take_input();
        let block: Vec<u8> = (0..TOTAL).map(|i| (i % 253) as u8).collect();
        conn.write(&block);
        assert!(conn.pending_output() > 0, "the socket took 16 MiB at once");
        Action::Continue
    });
    let addr = server.local_addr();
    client(async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"x").await.unwrap();
        let mut got = 0;
        let mut buf = vec![0u8; 64 * 1024];
        while got < TOTAL {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "EOF after {got} bytes");
            for (i, &b) in buf[..n].iter().enumerate() {
                assert_eq!(b, ((got + i) % 253) as u8, "byte {}", got + i);
            }
            got += n;
            if got < 4 << 20 {
                // A slow reader for the first few MiB.
                netloop::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    drop(server);
    drop(rt);
    fds.finish_blocking();
}

/// The closes a handler heard of: the peer, and the error if any.
type Closes = Arc<Mutex<Vec<(SocketAddr, Option<io::ErrorKind>)>>>;

struct Greeter {
    closed: Closes,
}

impl TrafficHandler for Greeter {
    fn on_open(&self, conn: &mut Conn<'_>) -> Action {
        conn.write(b"hello\n");
        Action::Continue
    }

    fn on_traffic(&self, conn: &mut Conn<'_>) -> Action {
        if conn.take_input().contains(&b'q') {
            conn.write(b"bye\n");
            Action::Close
        } else {
            Action::Continue
        }
    }

    fn on_close(&self, peer: SocketAddr, error: Option<&io::Error>) {
        self.closed
            .lock()
            .unwrap()
            .push((peer, error.map(io::Error::kind)));
    }
}

#[test]
fn on_open_greets_close_flushes_first_and_on_close_reports() {
    let fds = FdCheck::start();
    let closed = Arc::new(Mutex::new(Vec::new()));
    let rt = multi_thread(LOOPS);
    let server = serve(
        &rt,
        Greeter {
            closed: closed.clone(),
        },
    );
    let addr = server.local_addr();
    let (local_quit, local_gone) = {
        let closed = closed.clone();
        let mut locals = (None, None);
        client(async {
            // Asks to quit: greeting, goodbye, then EOF.
            let mut stream = TcpStream::connect(addr).await.unwrap();
            locals.0 = Some(stream.local_addr().unwrap());
            stream.write_all(b"q").await.unwrap();
            let mut all = Vec::new();
            stream.read_to_end(&mut all).await.unwrap();
            assert_eq!(all, b"hello\nbye\n");
            // Goes away itself: the server sees EOF.
            let mut stream = TcpStream::connect(addr).await.unwrap();
            locals.1 = Some(stream.local_addr().unwrap());
            let mut hello = [0u8; 6];
            stream.read_exact(&mut hello).await.unwrap();
            drop(stream);
        });
        wait_until("both closes reported", || closed.lock().unwrap().len() == 2);
        (locals.0.unwrap(), locals.1.unwrap())
    };
    let closed = closed.lock().unwrap().clone();
    assert!(closed.contains(&(local_quit, None)), "{closed:?}");
    assert!(
        closed.iter().any(|&(peer, e)| peer == local_gone
            && matches!(e, None | Some(io::ErrorKind::ConnectionReset))),
        "{closed:?}"
    );
    drop(server);
    drop(rt);
    fds.finish_blocking();
}

#[test]
fn a_panicking_handler_closes_only_its_connection() {
    let fds = FdCheck::start();
    let rt = multi_thread(1);
    let server = serve(&rt, |conn: &mut Conn<'_>| {
        let input = conn.take_input();
        assert!(!input.contains(&b'!'), "a deliberate panic in the handler");
        conn.write(input);
        Action::Continue
    });
    let addr = server.local_addr();
    client(async move {
        let mut good = TcpStream::connect(addr).await.unwrap();
        let mut bad = TcpStream::connect(addr).await.unwrap();
        good.write_all(b"a").await.unwrap();
        let mut one = [0u8; 1];
        good.read_exact(&mut one).await.unwrap();
        bad.write_all(b"!").await.unwrap();
        let mut rest = Vec::new();
        assert!(
            matches!(bad.read_to_end(&mut rest).await, Ok(0) | Err(_)),
            "the panicking connection is closed"
        );
        good.write_all(b"b").await.unwrap();
        good.read_exact(&mut one).await.unwrap();
        assert_eq!(&one, b"b", "the other connection is still served");
    });
    drop(server);
    drop(rt);
    fds.finish_blocking();
}

#[test]
fn idle_connections_hold_no_task_and_are_counted_on_their_loops() {
    let fds = FdCheck::start();
    let rt = multi_thread(LOOPS);
    let server = serve(&rt, echo);
    let addr = server.local_addr();
    let client_rt = multi_thread(1);
    // The accept loop and every loop's driver have run once by now.
    client_rt.block_on(async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"x").await.unwrap();
        let mut one = [0u8; 1];
        stream.read_exact(&mut one).await.unwrap();
    });
    let handle: Handle = rt.handle().clone();
    wait_until("the first connection closed", || {
        handle.loop_stats().iter().all(|s| s.connections == 0)
            && handle
                .loop_stats()
                .iter()
                .map(|s| s.tasks_alive)
                .sum::<usize>()
                == LOOPS + 1
    });
    let tasks_before: usize = rt.handle().loop_stats().iter().map(|s| s.tasks_alive).sum();
    let streams = client_rt.block_on(async {
        let mut streams = Vec::new();
        for _ in 0..300 {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"x").await.unwrap();
            let mut one = [0u8; 1];
            stream.read_exact(&mut one).await.unwrap();
            streams.push(stream);
        }
        streams
    });
    let stats = rt.handle().loop_stats();
    assert_eq!(stats.iter().map(|s| s.connections).sum::<usize>(), 300);
    let tasks_after: usize = stats.iter().map(|s| s.tasks_alive).sum();
    assert_eq!(
        tasks_after, tasks_before,
        "300 open connections, and not one task more"
    );
    drop(streams);
    wait_until("every connection closed", || {
        handle.loop_stats().iter().all(|s| s.connections == 0)
    });
    drop(server);
    drop(rt);
    fds.finish_blocking();
}

#[test]
fn a_dropped_server_stops_accepting_and_keeps_serving_its_connections() {
    let fds = FdCheck::start();
    let served = Arc::new(AtomicUsize::new(0));
    let rt = multi_thread(LOOPS);
    let counter = served.clone();
    let server = serve(&rt, move |conn: &mut Conn<'_>| {
        counter.fetch_add(1, SeqCst);
        let input = conn.take_input();
        conn.write(input);
        Action::Continue
    });
    let addr = server.local_addr();
    client(async move {
        let mut kept = TcpStream::connect(addr).await.unwrap();
        kept.write_all(b"1").await.unwrap();
        let mut one = [0u8; 1];
        kept.read_exact(&mut one).await.unwrap();
        drop(server);
        netloop::time::sleep(Duration::from_millis(50)).await;
        kept.write_all(b"2").await.unwrap();
        kept.read_exact(&mut one).await.unwrap();
        assert_eq!(&one, b"2", "an accepted connection outlives its server");
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "the listener is closed"
        );
    });
    assert!(served.load(SeqCst) >= 2);
    drop(rt);
    fds.finish_blocking();
}

#[test]
fn reuseport_mode_serves_on_every_loop() {
    let fds = FdCheck::start();
    let rt = multi_thread(LOOPS);
    let server = rt.block_on(async {
        netloop::net::serve_traffic_reuseport("127.0.0.1:0".parse().unwrap(), echo).unwrap()
    });
    let addr = server.local_addr();
    client(async move {
        let mut set = netloop::task::JoinSet::new();
        for _ in 0..60 {
            set.spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream.write_all(b"ping").await.unwrap();
                let mut back = [0u8; 4];
                stream.read_exact(&mut back).await.unwrap();
                assert_eq!(&back, b"ping");
            });
        }
        set.join_all().await;
    });
    let accepts: Vec<u64> = rt.handle().loop_stats().iter().map(|s| s.accepts).collect();
    assert_eq!(accepts.iter().sum::<u64>(), 60);
    assert!(
        accepts.iter().filter(|&&a| a > 0).count() > 1,
        "the kernel spread connections over the loops' listeners: {accepts:?}"
    );
    drop(server);
    drop(rt);
    fds.finish_blocking();
}
