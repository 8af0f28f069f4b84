//! `TcpStream` through the public API, on the IPv4 loopback: echo on both
//! runtime flavours, the addresses of the two ends, half-close, a peer's
//! reset, writing to a closed peer (`BrokenPipe`, no `SIGPIPE`), socket
//! options (`set_zero_linger` aborting the connection on drop), `from_std` /
//! `into_std`, tokio's `readable` / `try_read` and
//! `writable` / `try_write` patterns (with the readiness hint), `ready`,
//! both kinds of split, a dropped read losing no bytes, and Go's read and
//! write deadlines (on paused time where nothing needs to arrive; also
//! set on one loop for a read parked on another), and the error of a
//! socket whose runtime was dropped, recognised by `is_rt_shutdown_err`.
//!
//! Every test counts `/proc/self/fd` before and after (the tests of this
//! binary run one at a time for that) and is bounded by the watchdog. No
//! test asserts a speed.

#[macro_use]
mod support;

use std::io::{ErrorKind, IoSlice, Read, Write};
use std::net::Shutdown;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use futures::future::{self, Either};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use netloop::io::Interest;
use netloop::net::{TcpListener, TcpStream};
use netloop::runtime::{Builder, Runtime};
use netloop::time::{self, Instant};

use support::{bounded, fd_leak_checked, poll_once};

/// A bound on waits that should end at once, or as soon as the peer acts.
const GENEROUS: Duration = Duration::from_secs(10);

/// A connected pair over the loopback: (client, server). Checks that the
/// two ends agree on their addresses.
async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = future::join(TcpStream::connect(addr), listener.accept()).await;
    let client = client.unwrap();
    let (server, peer) = accepted.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
    assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
    assert_eq!(server.local_addr().unwrap(), addr);
    (client, server)
}

/// Echoes everything `stream` reads until EOF, then shuts writing down.
async fn echo(stream: TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = (&stream).read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        (&stream).write_all(&buf[..n]).await.unwrap();
    }
    (&stream).close().await.unwrap();
}

/// Writes with `try_write` until the socket's send queue (and the peer's
/// receive queue) is full; returns how many bytes went out.
fn fill_send_buffer(stream: &TcpStream) -> usize {
    let chunk = vec![0x5a_u8; 64 * 1024];
    let mut total = 0;
    loop {
        match stream.try_write(&chunk) {
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return total,
            Err(e) => panic!("try_write failed: {e}"),
        }
        assert!(total < 256 * 1024 * 1024, "the send buffer never filled up");
    }
}

/// Reads exactly `n` bytes and throws them away.
async fn drain(stream: &TcpStream, mut n: usize) {
    let mut buf = vec![0u8; 64 * 1024];
    while n > 0 {
        let want = n.min(buf.len());
        let got = (&*stream).read(&mut buf[..want]).await.unwrap();
        assert!(got > 0, "EOF with {n} bytes still to drain");
        n -= got;
    }
}

/// A current-thread runtime whose clock starts paused.
fn paused_runtime() -> Runtime {
    Builder::new_current_thread()
        .start_paused(true)
        .build()
        .unwrap()
}

net_rt_test! {
    async fn echo_many_connections_of_many_sizes() {
        const CONNS: usize = 24;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = netloop::spawn(async move {
            let mut handlers = Vec::new();
            for _ in 0..CONNS {
                let (stream, peer) = listener.accept().await.unwrap();
                assert_eq!(stream.peer_addr().unwrap(), peer);
                handlers.push(netloop::spawn(echo(stream)));
            }
            for handler in handlers {
                handler.await.unwrap();
            }
        });
        let clients: Vec<_> = (0..CONNS)
            .map(|i| {
                netloop::spawn(async move {
                    let stream = TcpStream::connect(addr).await.unwrap();
                    assert_eq!(stream.peer_addr().unwrap(), addr);
                    // From one byte to a few hundred KiB: bigger than the
                    // socket buffers, so reading and writing must overlap.
                    let len = 1 + i * i * 997;
                    let data: Vec<u8> = (0..len).map(|j| (j * 31 + i) as u8).collect();
                    let mut back = Vec::new();
                    let (mut r, mut w) = (&stream, &stream);
                    let (written, read) = future::join(
                        async {
                            w.write_all(&data).await?;
                            w.close().await
                        },
                        r.read_to_end(&mut back),
                    )
                    .await;
                    written.unwrap();
                    assert_eq!(read.unwrap(), len);
                    assert!(back == data, "connection {i}: the echo differs");
                })
            })
            .collect();
        for client in clients {
            bounded("an echo client", client).await.unwrap();
        }
        bounded("the echo server", server).await.unwrap();
    }

    async fn the_two_ends_agree_on_their_addresses() {
        let (client, server) = pair().await;
        assert!(client.local_addr().unwrap().ip().is_loopback());
        assert_ne!(client.local_addr().unwrap().port(), 0);
        assert_eq!(client.local_addr().unwrap(), server.peer_addr().unwrap());
        assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
    }

    async fn close_half_closes_and_the_server_still_answers() {
        let (mut client, mut server) = pair().await;
        client.write_all(b"request").await.unwrap();
        // futures' close: shutdown(Write).
        client.close().await.unwrap();
        let mut request = Vec::new();
        bounded("the server's read to EOF", server.read_to_end(&mut request))
            .await
            .unwrap();
        assert_eq!(request, b"request");
        // EOF again, and writing back still works.
        let mut byte = [0u8; 1];
        assert_eq!(server.read(&mut byte).await.unwrap(), 0);
        server.write_all(b"response").await.unwrap();
        server.close().await.unwrap();
        let mut response = Vec::new();
        bounded("the client's read to EOF", client.read_to_end(&mut response))
            .await
            .unwrap();
        assert_eq!(response, b"response");
    }

    async fn shutdown_write_half_closes_and_the_server_still_answers() {
        let (mut client, mut server) = pair().await;
        client.write_all(b"ping").await.unwrap();
        client.shutdown_std(Shutdown::Write).unwrap();
        let mut request = Vec::new();
        server.read_to_end(&mut request).await.unwrap();
        assert_eq!(request, b"ping");
        server.write_all(b"pong").await.unwrap();
        drop(server);
        let mut response = Vec::new();
        client.read_to_end(&mut response).await.unwrap();
        assert_eq!(response, b"pong");
        // Writing after shutdown(Write) fails instead of sending.
        let err = client.write_all(b"late").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    }

    async fn a_reset_by_the_peer_fails_a_pending_read_with_connection_reset() {
        let (client, server) = pair().await;
        server.set_zero_linger().unwrap();
        assert_eq!(server.linger().unwrap(), Some(Duration::ZERO));
        let mut buf = [0u8; 16];
        let (read, ()) = future::join((&client).read(&mut buf), async move {
            // Let the read park first.
            time::sleep(Duration::from_millis(20)).await;
            drop(server);
        })
        .await;
        assert_eq!(read.unwrap_err().kind(), ErrorKind::ConnectionReset);
    }

    async fn a_reset_by_the_peer_fails_the_next_read_with_connection_reset() {
        let (client, server) = pair().await;
        server.set_zero_linger().unwrap();
        drop(server);
        let mut buf = [0u8; 16];
        let err = bounded("the read after the reset", (&client).read(&mut buf))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    }

    async fn writing_to_a_closed_peer_fails_with_broken_pipe_and_no_sigpipe() {
        // SIGPIPE back to its default action (terminate) while this runs:
        // a send without MSG_NOSIGNAL would kill the test binary.
        let _sigpipe = netloop::reactor::sys::signal::sigpipe_default().unwrap();
        let (client, server) = pair().await;
        drop(server);
        let chunk = vec![7u8; 1024];
        let mut saw_reset = false;
        let mut outcome = None;
        // Each way to write: write (send), write_vectored (sendmsg), and
        // writable + try_write. The first write may still succeed (the
        // peer's RST answers it); ECONNRESET may come before EPIPE.
        for attempt in 0..10_000 {
            let result = match attempt % 3 {
                0 => (&client).write(&chunk).await,
                1 => (&client).write_vectored(&[IoSlice::new(&chunk)]).await,
                _ => match client.writable().await {
                    Ok(()) => client.try_write(&chunk),
                    Err(e) => Err(e),
                },
            };
            match result {
                Ok(_) => time::sleep(Duration::from_millis(1)).await,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => saw_reset = true,
                Err(e) => {
                    outcome = Some(e);
                    break;
                }
            }
        }
        let err = outcome.unwrap_or_else(|| {
            panic!("10,000 writes to a closed peer never failed with BrokenPipe (reset seen: {saw_reset})")
        });
        assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");
        // Still alive, and every path keeps failing the same way.
        let err = (&client).write_vectored(&[IoSlice::new(&chunk)]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
        assert_eq!(client.try_write(&chunk).unwrap_err().kind(), ErrorKind::BrokenPipe);
    }

    /// tokio's `set_zero_linger`, on a `TcpSocket` before it connects and
    /// on an accepted stream: dropping either end aborts the connection
    /// (data it had not sent is discarded), and the peer's read fails with
    /// `ConnectionReset` rather than reading EOF.
    async fn set_zero_linger_makes_the_peer_see_connection_reset() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let socket = netloop::net::TcpSocket::new_v4().unwrap();
        socket.set_zero_linger().unwrap();
        assert_eq!(socket.linger().unwrap(), Some(Duration::ZERO));
        let (client, accepted) = future::join(socket.connect(addr), listener.accept()).await;
        let (client, (server, _)) = (client.unwrap(), accepted.unwrap());
        // The option carried over to the connected stream.
        assert_eq!(client.linger().unwrap(), Some(Duration::ZERO));
        (&client).write_all(b"lost").await.unwrap();
        drop(client);
        let mut buf = [0u8; 16];
        let mut read = Vec::new();
        // What arrived before the RST may be read first; then the reset.
        let err = loop {
            match bounded("the read after the abort", (&server).read(&mut buf)).await {
                Ok(0) => panic!("an aborted connection read EOF (after {read:?})"),
                Ok(n) => read.extend_from_slice(&buf[..n]),
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");

        // The other way round: the accepting side aborts.
        let (client, server) = pair().await;
        server.set_zero_linger().unwrap();
        assert_eq!(server.linger().unwrap(), Some(Duration::ZERO));
        drop(server);
        let err = bounded("the client's read", (&client).read(&mut buf))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    }

    // `set_linger` is deprecated, as tokio's is; still kept and tested.
    #[allow(deprecated)]
    async fn stream_options_round_trip() {
        let (client, _server) = pair().await;
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        client.set_nodelay(false).unwrap();
        assert!(!client.nodelay().unwrap());
        client.set_ttl(42).unwrap();
        assert_eq!(client.ttl().unwrap(), 42);
        client.set_linger(Some(Duration::from_secs(3))).unwrap();
        assert_eq!(client.linger().unwrap(), Some(Duration::from_secs(3)));
        client.set_linger(None).unwrap();
        assert_eq!(client.linger().unwrap(), None);
        client.set_zero_linger().unwrap();
        assert_eq!(client.linger().unwrap(), Some(Duration::ZERO));
        client.set_linger(None).unwrap();
        client.set_quickack(true).unwrap();
        assert!(client.quickack().unwrap());
        client.set_quickack(false).unwrap();
        assert!(!client.quickack().unwrap());
        assert!(client.take_error().unwrap().is_none());
    }

    async fn from_std_and_into_std_both_ways() {
        // std listener and std stream into netloop.
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_listener.local_addr().unwrap();
        let listener = TcpListener::from_std(std_listener).unwrap();
        // A blocking std connect to the loopback completes in the backlog.
        let std_client = std::net::TcpStream::connect(addr).unwrap();
        let client = TcpStream::from_std(std_client).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (&client).write_all(b"one").await.unwrap();
        let mut buf = [0u8; 3];
        (&server).read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"one");
        // Park a read so that the client is registered, then take it out.
        let mut byte = [0u8; 1];
        assert!(poll_once((&client).read(&mut byte)).is_pending());
        let mut std_client = client.into_std().unwrap();
        std_client.set_nonblocking(false).unwrap();
        std_client.set_read_timeout(Some(GENEROUS)).unwrap();
        std_client.write_all(b"two").unwrap();
        (&server).read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"two");
        (&server).write_all(b"three").await.unwrap();
        let mut five = [0u8; 5];
        // The bytes are already queued: this blocking read returns at once.
        std_client.read_exact(&mut five).unwrap();
        assert_eq!(&five, b"three");
        // And back into netloop, registered afresh.
        let client = TcpStream::try_from(std_client).unwrap();
        let (read, write) = future::join((&client).read_exact(&mut buf), async {
            time::sleep(Duration::from_millis(10)).await;
            (&server).write_all(b"fou").await
        })
        .await;
        read.unwrap();
        write.unwrap();
        assert_eq!(&buf, b"fou");
        // The listener into std and back.
        let std_listener = listener.into_std().unwrap();
        std_listener.set_nonblocking(false).unwrap();
        let late = TcpStream::connect(addr).await.unwrap();
        let (accepted, peer) = std_listener.accept().unwrap();
        assert_eq!(peer, late.local_addr().unwrap());
        drop(accepted);
        let listener = TcpListener::try_from(std_listener).unwrap();
        let (again, accepted) =
            future::join(TcpStream::connect(addr), listener.accept()).await;
        assert_eq!(accepted.unwrap().1, again.unwrap().local_addr().unwrap());
    }

    async fn readable_and_try_read_keep_the_hint_after_a_partial_read() {
        let (client, mut server) = pair().await;
        server.write_all(&[1u8; 100]).await.unwrap();
        bounded("readable", client.readable()).await.unwrap();
        let mut buf = [0u8; 1000];
        // Only part of what arrived.
        assert_eq!(client.try_read(&mut buf[..10]).unwrap(), 10);
        // Readiness was not used up: readable() returns without new data.
        assert!(
            matches!(poll_once(client.readable()), Poll::Ready(Ok(()))),
            "readable() waited although 90 bytes are still queued"
        );
        // The tokio loop: readable, try_read, until WouldBlock.
        let mut got = 10;
        loop {
            bounded("readable", client.readable()).await.unwrap();
            match client.try_read(&mut buf) {
                Ok(0) => panic!("unexpected EOF"),
                Ok(n) => got += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("try_read failed: {e}"),
            }
        }
        assert_eq!(got, 100);
        // Now the hint is gone: readable() waits for new data.
        assert!(poll_once(client.readable()).is_pending());
        let (ready, write) = future::join(bounded("readable", client.readable()), async {
            time::sleep(Duration::from_millis(10)).await;
            server.write_all(b"more").await
        })
        .await;
        ready.unwrap();
        write.unwrap();
        assert_eq!(client.try_read(&mut buf).unwrap(), 4);
        // peek leaves the bytes queued for the next read.
        server.write_all(b"peekaboo").await.unwrap();
        let mut peeked = [0u8; 8];
        let n = bounded("peek", client.peek(&mut peeked)).await.unwrap();
        assert_eq!(&peeked[..n], &b"peekaboo"[..n]);
        let mut eight = [0u8; 8];
        (&client).read_exact(&mut eight).await.unwrap();
        assert_eq!(&eight, b"peekaboo");
        // EOF is readable too.
        drop(server);
        bounded("readable at EOF", client.readable()).await.unwrap();
        let n = loop {
            match client.try_read(&mut buf) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    bounded("readable", client.readable()).await.unwrap();
                }
                other => break other.unwrap(),
            }
        };
        assert_eq!(n, 0);
    }

    async fn writable_wakes_once_the_peer_drains_a_full_send_buffer() {
        let (client, server) = pair().await;
        bounded("writable", client.writable()).await.unwrap();
        let sent = fill_send_buffer(&client);
        assert!(sent > 0);
        assert!(
            poll_once(client.writable()).is_pending(),
            "writable() returned with the send buffer full"
        );
        let drainer = async {
            time::sleep(Duration::from_millis(10)).await;
            drain(&server, sent).await;
        };
        let (ready, ()) = future::join(bounded("writable", client.writable()), drainer).await;
        ready.unwrap();
        assert!(client.try_write(b"x").unwrap() > 0);
    }

    async fn ready_reports_readable_and_writable() {
        let (client, mut server) = pair().await;
        let both = Interest::READABLE | Interest::WRITABLE;
        let ready = bounded("ready", client.ready(both)).await.unwrap();
        assert!(ready.is_writable());
        assert!(!ready.is_readable(), "nothing was sent yet");
        // Send buffer full and nothing to read: ready() waits...
        let sent = fill_send_buffer(&client);
        assert!(poll_once(client.ready(both)).is_pending());
        // ...until the peer writes.
        server.write_all(b"hello").await.unwrap();
        let ready = bounded("ready", client.ready(both)).await.unwrap();
        assert!(ready.is_readable());
        let mut buf = [0u8; 5];
        assert_eq!(client.try_read(&mut buf).unwrap(), 5);
        // ...or drains.
        let (ready, ()) = future::join(
            bounded("ready", client.ready(Interest::WRITABLE)),
            drain(&server, sent),
        )
        .await;
        assert!(ready.unwrap().is_writable());
    }

    async fn borrowed_halves_read_and_write_concurrently() {
        let (mut client, server) = pair().await;
        let echoer = netloop::spawn(echo(server));
        // Far more than the socket buffers hold: the halves must overlap.
        let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut back = Vec::new();
        {
            let (mut r, mut w) = TcpStream::split(&mut client);
            assert_eq!(r.local_addr().unwrap(), w.local_addr().unwrap());
            assert_eq!(r.peer_addr().unwrap(), w.peer_addr().unwrap());
            let (written, read) = bounded(
                "the split echo",
                future::join(
                    async {
                        w.write_all(&data).await?;
                        w.close().await
                    },
                    r.read_to_end(&mut back),
                ),
            )
            .await;
            written.unwrap();
            assert_eq!(read.unwrap(), data.len());
        }
        assert!(back == data, "the echo differs");
        bounded("the echo task", echoer).await.unwrap();
    }

    async fn owned_halves_move_into_two_tasks_and_reunite() {
        let (client, server) = pair().await;
        let echoer = netloop::spawn(echo(server));
        let (mut r, mut w) = client.into_split();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
        let expected = data.clone();
        let writer = netloop::spawn(async move {
            w.write_all(&data).await.unwrap();
            w
        });
        let reader = netloop::spawn(async move {
            let mut back = vec![0u8; expected.len()];
            r.read_exact(&mut back).await.unwrap();
            assert!(back == expected, "the echo differs");
            r
        });
        let w = bounded("the writer task", writer).await.unwrap();
        let r = bounded("the reader task", reader).await.unwrap();
        let mut stream = r.reunite(w).unwrap();
        // Reuniting did not shut anything down.
        stream.write_all(b"after").await.unwrap();
        let mut buf = [0u8; 5];
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"after");
        stream.close().await.unwrap();
        bounded("the echo task", echoer).await.unwrap();
    }

    async fn reuniting_halves_of_different_streams_fails() {
        let (a, _a_peer) = pair().await;
        let (b, _b_peer) = pair().await;
        let (a_read, a_write) = a.into_split();
        let (b_read, b_write) = b.into_split();
        let err = a_read.reunite(b_write).unwrap_err();
        assert!(!err.to_string().is_empty());
        // The error hands both halves back, and matching ones reunite.
        let netloop::net::tcp::ReuniteError(a_read, b_write) = err;
        a_write.reunite(a_read).unwrap();
        b_read.reunite(b_write).unwrap();
    }

    async fn dropping_the_owned_write_half_shuts_writing_down() {
        let (client, server) = pair().await;
        let (mut r, w) = client.into_split();
        drop(w);
        let mut buf = [0u8; 8];
        let n = bounded("the peer's read", (&server).read(&mut buf)).await.unwrap();
        assert_eq!(n, 0, "the peer saw no EOF");
        // Reading still works.
        (&server).write_all(b"x").await.unwrap();
        assert_eq!(r.read(&mut buf).await.unwrap(), 1);
    }

    async fn forgetting_the_owned_write_half_leaves_writing_open() {
        let (client, server) = pair().await;
        let (r, w) = client.into_split();
        w.forget();
        // The stream can still write (through &TcpStream), and the peer
        // reads that, not an EOF.
        let mut writer: &TcpStream = r.as_ref();
        writer.write_all(b"still").await.unwrap();
        let mut buf = [0u8; 5];
        (&server).read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"still");
        match server.try_read(&mut buf) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            other => panic!("expected WouldBlock (no EOF), got {other:?}"),
        }
    }

    async fn a_dropped_read_future_loses_no_bytes() {
        let (client, mut server) = pair().await;
        let mut buf = [0u8; 64];
        // Polled once (parked with a no-op waker), then dropped.
        assert!(poll_once((&client).read(&mut buf)).is_pending());
        // Parked with the task's waker, then dropped when a sleep wins.
        {
            let mut reader = &client;
            let read = pin!(reader.read(&mut buf));
            let sleep = pin!(time::sleep(Duration::from_millis(20)));
            match future::select(read, sleep).await {
                Either::Right(((), _read)) => {}
                Either::Left((result, _)) => panic!("a read with nothing sent returned {result:?}"),
            }
        }
        // Written before the next read starts...
        server.write_all(b"before the read").await.unwrap();
        let mut got = [0u8; 15];
        bounded("the read", (&client).read_exact(&mut got)).await.unwrap();
        assert_eq!(&got, b"before the read");
        // ...and after it started, behind another dropped one.
        assert!(poll_once((&client).read(&mut buf)).is_pending());
        let (read, write) = future::join(bounded("the read", (&client).read_exact(&mut got)), async {
            time::sleep(Duration::from_millis(10)).await;
            server.write_all(b"after the start").await
        })
        .await;
        read.unwrap();
        write.unwrap();
        assert_eq!(&got, b"after the start");
    }

    async fn a_read_deadline_moved_later_does_not_fire_at_the_old_instant() {
        let (client, mut server) = pair().await;
        let start = Instant::now();
        client.set_read_deadline(Some(start + Duration::from_millis(50))).unwrap();
        let mut buf = [0u8; 4];
        let (read, write) = future::join((&client).read_exact(&mut buf), async {
            time::sleep(Duration::from_millis(10)).await;
            client.set_read_deadline(Some(Instant::now() + Duration::from_secs(30))).unwrap();
            // Well past the old deadline.
            time::sleep(Duration::from_millis(150)).await;
            server.write_all(b"late").await
        })
        .await;
        write.unwrap();
        read.unwrap();
        assert_eq!(&buf, b"late");
        assert!(start.elapsed() >= Duration::from_millis(150));
    }

    async fn a_cleared_read_deadline_never_fires() {
        let (client, mut server) = pair().await;
        client.set_read_deadline(Some(Instant::now() + Duration::from_millis(50))).unwrap();
        client.set_read_deadline(None).unwrap();
        let mut buf = [0u8; 4];
        let (read, write) = future::join((&client).read_exact(&mut buf), async {
            time::sleep(Duration::from_millis(150)).await;
            server.write_all(b"late").await
        })
        .await;
        write.unwrap();
        read.unwrap();
        assert_eq!(&buf, b"late");
    }

    async fn try_io_runs_its_closure_only_once_readiness_was_seen() {
        let (client, mut server) = pair().await;
        let mut called = false;
        let err = client
            .try_io(netloop::io::Interest::READABLE, || {
                called = true;
                Ok(())
            })
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert!(!called, "nothing said the socket was readable");
        server.write_all(b"x").await.unwrap();
        client.readable().await.unwrap();
        let mut byte = [0u8; 1];
        let n = client
            .try_io(netloop::io::Interest::READABLE, || {
                called = true;
                client.try_read(&mut byte)
            })
            .unwrap();
        assert!(called && n == 1);
    }

    async fn a_passed_deadline_fails_try_read_and_try_write_too() {
        let (client, mut server) = pair().await;
        server.write_all(b"data").await.unwrap();
        client.readable().await.unwrap();
        client.set_read_deadline(Some(Instant::now())).unwrap();
        client.set_write_deadline(Some(Instant::now())).unwrap();
        let mut buf = [0u8; 4];
        let read = client.try_read(&mut buf).unwrap_err();
        assert_eq!(read.kind(), ErrorKind::TimedOut);
        let write = client.try_write(b"x").unwrap_err();
        assert_eq!(write.kind(), ErrorKind::TimedOut);
        // Cleared: the data is still there.
        client.set_read_deadline(None).unwrap();
        assert_eq!(client.try_read(&mut buf).unwrap(), 4);
        assert_eq!(&buf, b"data");
    }
}

#[test]
fn a_read_deadline_with_no_data_fails_with_timed_out_on_paused_time() {
    fd_leak_checked(|| {
        paused_runtime().block_on(async {
            let (client, mut server) = pair().await;
            let start = Instant::now();
            client
                .set_read_deadline(Some(start + Duration::from_millis(50)))
                .unwrap();
            let mut buf = [0u8; 8];
            let err = (&client).read(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            // Paused time: the clock jumped to the deadline exactly.
            assert_eq!(start.elapsed(), Duration::from_millis(50));
            // Past the deadline, reads keep failing at once, readiness too...
            assert_eq!(
                (&client).read(&mut buf).await.unwrap_err().kind(),
                ErrorKind::TimedOut
            );
            assert_eq!(
                client.readable().await.unwrap_err().kind(),
                ErrorKind::TimedOut
            );
            // ...and writes are not affected.
            (&client).write_all(b"w").await.unwrap();
            // `None` clears it: the data the peer sends is read.
            client.set_read_deadline(None).unwrap();
            server.write_all(b"data").await.unwrap();
            let mut four = [0u8; 4];
            (&client).read_exact(&mut four).await.unwrap();
            assert_eq!(&four, b"data");
        });
    });
}

#[test]
fn a_write_deadline_on_a_full_send_buffer_fails_with_timed_out_on_paused_time() {
    fd_leak_checked(|| {
        paused_runtime().block_on(async {
            let (client, server) = pair().await;
            let sent = fill_send_buffer(&client);
            let start = Instant::now();
            client
                .set_write_deadline(Some(start + Duration::from_millis(50)))
                .unwrap();
            let err = (&client).write_all(&[1u8; 4096]).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            assert_eq!(start.elapsed(), Duration::from_millis(50));
            assert_eq!(
                client.writable().await.unwrap_err().kind(),
                ErrorKind::TimedOut
            );
            // Cleared, a write waits for room again and gets it once the
            // peer drains.
            client.set_write_deadline(None).unwrap();
            let ((), written) = future::join(drain(&server, sent), (&client).write_all(b"x")).await;
            written.unwrap();
        });
    });
}

#[test]
fn a_deadline_set_on_one_loop_fails_a_read_waiting_on_another() {
    fd_leak_checked(|| {
        let rt = support::multi_thread(support::NET_LOOPS);
        let handle = rt.handle().clone();
        rt.block_on(async move {
            let (client, server) = pair().await;
            let client = std::sync::Arc::new(client);
            // Registered with loop 1's poller by a read parked there...
            let parked = client.clone();
            let reader = handle.spawn_on(1, async move {
                let mut buf = [0u8; 4];
                (&*parked).read(&mut buf).await
            });
            support::wait_until("the read to park on loop 1", || {
                support::polls_per_loop(&handle)[1] > 0
            });
            // ...its deadline armed on loop 2's timers...
            let setter = client.clone();
            handle
                .spawn_on(2, async move {
                    setter
                        .set_read_deadline(Some(Instant::now() + Duration::from_millis(50)))
                        .unwrap();
                })
                .await
                .unwrap();
            // ...fails it, and a read from loop 3 too.
            let err = bounded("the parked read", reader)
                .await
                .unwrap()
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            let late = client.clone();
            let err = handle
                .spawn_on(3, async move { (&*late).read(&mut [0u8; 4]).await })
                .await
                .unwrap()
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            drop(server);
        });
    });
}

/// tokio's `is_rt_shutdown_err`: a stream and a listener registered with a
/// runtime's loop (by an operation that waited there) outlive it; on a new
/// runtime, their next operations fail with the loop-shut-down error, and
/// `is_rt_shutdown_err` tells it from every other error.
#[test]
fn operations_on_sockets_whose_runtime_was_dropped_fail_with_the_shutdown_error() {
    use netloop::runtime::is_rt_shutdown_err;

    fd_leak_checked(|| {
        let first = Builder::new_current_thread().build().unwrap();
        let (listener, client, server) = first.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let (client, server) = pair().await;
            // Each waits once, which registers it with this loop.
            let waited = time::timeout(Duration::from_millis(5), listener.accept()).await;
            assert!(waited.is_err(), "nobody connects");
            let mut buf = [0u8; 4];
            let waited = time::timeout(Duration::from_millis(5), (&client).read(&mut buf)).await;
            assert!(waited.is_err(), "nothing was sent");
            (listener, client, server)
        });
        drop(first);

        let second = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        second.block_on(async {
            let err = listener.accept().await.unwrap_err();
            assert!(is_rt_shutdown_err(&err), "{err:?}");
            assert_eq!(err.kind(), ErrorKind::Other);
            let err = (&client).read(&mut [0u8; 4]).await.unwrap_err();
            assert!(is_rt_shutdown_err(&err), "{err:?}");
            let err = client.readable().await.unwrap_err();
            assert!(is_rt_shutdown_err(&err), "{err:?}");
            let err = client.try_read(&mut [0u8; 4]).unwrap_err();
            assert!(is_rt_shutdown_err(&err), "{err:?}");
            // The server end never waited on the first runtime, but was
            // made there: it belongs to it, as a tokio socket does.
            let err = (&server).write_all(b"ok").await.unwrap_err();
            assert!(is_rt_shutdown_err(&err), "{err:?}");
            // A socket made outside any runtime joins whichever polls it.
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = std_listener.local_addr().unwrap();
            let std_client = std::net::TcpStream::connect(addr).unwrap();
            let adopted = std::thread::spawn(move || TcpListener::from_std(std_listener).unwrap())
                .join()
                .unwrap();
            drop(adopted.accept().await.unwrap());
            drop(std_client);

            // Other errors are not the shutdown error.
            let refused = {
                let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = closed.local_addr().unwrap();
                drop(closed);
                TcpStream::connect(addr).await.unwrap_err()
            };
            assert!(!is_rt_shutdown_err(&refused), "{refused:?}");
            let (fresh, _peer) = pair().await;
            fresh
                .set_read_deadline(Some(Instant::now() + Duration::from_millis(1)))
                .unwrap();
            let timed_out = (&fresh).read(&mut [0u8; 4]).await.unwrap_err();
            assert_eq!(timed_out.kind(), ErrorKind::TimedOut);
            assert!(!is_rt_shutdown_err(&timed_out));
            assert!(!is_rt_shutdown_err(&std::io::Error::other(
                "some other error"
            )));
            assert!(!is_rt_shutdown_err(&ErrorKind::NotFound.into()));
        });
        drop(second);

        // Outside any runtime: not a shutdown either.
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let outside = netloop::net::UnixStream::from_std(a).unwrap();
        let err = poll_once(outside.readable());
        match err {
            Poll::Ready(Err(e)) => assert!(!is_rt_shutdown_err(&e), "{e:?}"),
            other => panic!("readable outside a runtime gave {other:?}"),
        }
    });
}
