//! TCP under load, on a 4-loop multi-thread runtime over the loopback:
//! 64 MiB of pseudo-random bytes echoed through 100 concurrent connections
//! with checksums equal on every side, and 10,000 connections open at once
//! (their clients in a child process, so that each process holds 10,000
//! sockets), each served and then closed cleanly.
//!
//! Both tests count `/proc/self/fd` before and after (one at a time) and
//! are bounded by the watchdog; neither asserts a speed. Run them in
//! `--release` too.

#[macro_use]
mod support;

use std::io::ErrorKind;
use std::net::SocketAddr;

use futures::future;
use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use netloop::net::{TcpListener, TcpStream};
use netloop::reactor::sys::resource::raise_nofile_limit;

use support::{NET_LOOPS, fd_leak_checked, multi_thread, open_fd_count};

/// xorshift64: a tiny, deterministic byte source.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        // Never zero (xorshift's fixed point).
        XorShift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn fill(&mut self, buf: &mut [u8]) {
        let mut chunks = buf.chunks_exact_mut(8);
        for chunk in &mut chunks {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        let last = self.next().to_le_bytes();
        rest.copy_from_slice(&last[..rest.len()]);
    }
}

/// FNV-1a over bytes (64-bit) plus the length: the same whatever the
/// chunking, so the sender, the echo server and the receiver can each
/// fold what they saw in whatever pieces it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Checksum {
    hash: u64,
    len: u64,
}

impl Checksum {
    fn new() -> Checksum {
        Checksum {
            hash: 0xcbf2_9ce4_8422_2325,
            len: 0,
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        let mut hash = self.hash;
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.hash = hash;
        self.len += bytes.len() as u64;
    }
}

/// Echoes until EOF, folding what passes through; shuts writing down.
async fn echo_with_checksum(stream: TcpStream) -> Checksum {
    let mut sum = Checksum::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = (&stream).read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        sum.update(&buf[..n]);
        (&stream).write_all(&buf[..n]).await.unwrap();
    }
    (&stream).close().await.unwrap();
    sum
}

/// Writes `len` bytes of the stream seeded with `seed`, then closes;
/// returns their checksum.
async fn send(mut writer: impl AsyncWrite + Unpin, seed: u64, len: usize) -> Checksum {
    let mut rng = XorShift::new(seed);
    let mut sum = Checksum::new();
    let mut buf = vec![0u8; 48 * 1024 + 7];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len());
        rng.fill(&mut buf[..n]);
        sum.update(&buf[..n]);
        writer.write_all(&buf[..n]).await.unwrap();
        left -= n;
    }
    writer.close().await.unwrap();
    sum
}

/// Reads until EOF; returns the checksum of what came.
async fn receive(mut reader: impl AsyncRead + Unpin) -> Checksum {
    let mut sum = Checksum::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf).await.unwrap();
        if n == 0 {
            return sum;
        }
        sum.update(&buf[..n]);
    }
}

/// Sends `len` bytes of the stream seeded with `seed` while reading the
/// echo back; returns (sent, received) checksums. Even seeds do both in
/// one task; odd ones move owned halves into two tasks (on two loops, as
/// the round robin spreads them), which race to register the socket.
async fn send_and_check(addr: SocketAddr, seed: u64, len: usize) -> (Checksum, Checksum) {
    let stream = TcpStream::connect(addr).await.unwrap();
    if seed.is_multiple_of(2) {
        future::join(send(&stream, seed, len), receive(&stream)).await
    } else {
        let (reader, writer) = stream.into_split();
        let sender = netloop::spawn(send(writer, seed, len));
        let receiver = netloop::spawn(receive(reader));
        (sender.await.unwrap(), receiver.await.unwrap())
    }
}

#[test]
fn sixty_four_mib_echo_through_100_connections_with_equal_checksums() {
    fd_leak_checked(|| {
        const CONNS: usize = 100;
        const TOTAL: usize = 64 * 1024 * 1024;
        let rt = multi_thread(NET_LOOPS);
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = netloop::spawn(async move {
                let mut handlers = Vec::with_capacity(CONNS);
                for _ in 0..CONNS {
                    let (stream, _) = listener.accept().await.unwrap();
                    handlers.push(netloop::spawn(echo_with_checksum(stream)));
                }
                let mut sums = Vec::with_capacity(CONNS);
                for h in handlers {
                    sums.push(h.await.unwrap());
                }
                sums
            });
            // Uneven lengths (none a multiple of the chunk sizes), summing
            // to exactly 64 MiB.
            let base = TOTAL / CONNS;
            let mut lens: Vec<usize> = (0..CONNS - 1)
                .map(|i| base - 3 * 4099 + (i % 7) * 4099)
                .collect();
            lens.push(TOTAL - lens.iter().sum::<usize>());
            assert_eq!(lens.iter().sum::<usize>(), TOTAL);
            let clients: Vec<_> = lens
                .iter()
                .enumerate()
                .map(|(i, &len)| netloop::spawn(send_and_check(addr, i as u64 + 1, len)))
                .collect();
            let mut sent = Vec::with_capacity(CONNS);
            for (i, client) in clients.into_iter().enumerate() {
                let (out, back) = client.await.unwrap();
                assert_eq!(out.len, lens[i] as u64);
                assert_eq!(
                    out, back,
                    "connection {i}: the echo differs from what was sent"
                );
                sent.push(out);
            }
            let mut served = server.await.unwrap();
            // The server saw the connections in its own order.
            sent.sort();
            served.sort();
            assert_eq!(sent, served, "the server saw other bytes than were sent");
            assert_eq!(served.iter().map(|s| s.len).sum::<u64>(), TOTAL as u64);
        });
        drop(rt);
    });
}

/// Set in the child process that plays the clients of the 10,000-connection
/// test: `"<server address> <connections>"`.
const CLIENT_ENV: &str = "NETLOOP_STRESS_CLIENTS";
/// The connections the 10,000-connection test opens.
const CONNS: usize = 10_000;

/// The client side of the 10,000-connection test, in a child process (so
/// that each process holds 10,000 sockets, within a hard `RLIMIT_NOFILE` of
/// 20,000): opens the connections in waves, round-trips one byte on each,
/// prints `OPEN <n>` with all of them open, and closes them all when its
/// stdin says so (or closes).
fn clients(spec: &str) {
    let (addr, conns) = spec.split_once(' ').expect("address and count");
    let addr: SocketAddr = addr.parse().unwrap();
    let conns: usize = conns.parse().unwrap();
    raise_nofile_limit().expect("raise RLIMIT_NOFILE");
    // Connects in waves, so that the listener's backlog (1024) never
    // overflows into SYN retries.
    const WAVE: usize = 500;
    let rt = multi_thread(NET_LOOPS);
    let open = rt.block_on(async move {
        let mut open = Vec::with_capacity(conns);
        while open.len() < conns {
            let wave: Vec<_> = (open.len()..conns.min(open.len() + WAVE))
                .map(|i| {
                    netloop::spawn(async move {
                        let stream = TcpStream::connect(addr).await.unwrap();
                        let byte = [i as u8];
                        (&stream).write_all(&byte).await.unwrap();
                        let mut back = [0u8; 1];
                        (&stream).read_exact(&mut back).await.unwrap();
                        assert_eq!(back, byte);
                        stream
                    })
                })
                .collect();
            for client in wave {
                open.push(client.await.unwrap());
            }
        }
        open
    });
    println!("OPEN {}", open.len());
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(open);
    drop(rt);
}

#[test]
fn ten_thousand_concurrent_connections_are_served_and_closed_cleanly() {
    if let Ok(spec) = std::env::var(CLIENT_ENV) {
        return clients(&spec);
    }
    let limit = raise_nofile_limit().expect("raise RLIMIT_NOFILE");
    assert!(
        limit as usize > CONNS + open_fd_count() + 256,
        "RLIMIT_NOFILE's hard limit ({limit}) leaves no room for {CONNS} connections"
    );
    fd_leak_checked(move || {
        let rt = multi_thread(NET_LOOPS);
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        // Each handler answers one byte, then waits for the EOF.
        let server = rt.spawn(async move {
            let mut handlers = Vec::with_capacity(CONNS);
            for _ in 0..CONNS {
                let (stream, _) = listener.accept().await.unwrap();
                handlers.push(netloop::spawn(async move {
                    let mut byte = [0u8; 1];
                    (&stream).read_exact(&mut byte).await.unwrap();
                    (&stream).write_all(&byte).await.unwrap();
                    let mut rest = Vec::new();
                    let n = (&stream).read_to_end(&mut rest).await.unwrap();
                    assert_eq!(n, 0, "a client sent more than its byte");
                }));
            }
            handlers
        });
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "ten_thousand_concurrent_connections_are_served_and_closed_cleanly",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CLIENT_ENV, format!("{addr} {CONNS}"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let opened: usize = loop {
            line.clear();
            assert!(
                std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0,
                "the client process ended early: {:?}",
                child.wait()
            );
            // libtest may print "test <name> ... " on the same line first.
            if let Some(at) = line.find("OPEN ") {
                break line[at + 5..].trim().parse().unwrap();
            }
        };
        assert_eq!(opened, CONNS);
        // All of them are open at once, each served.
        let handlers = rt.block_on(server).unwrap();
        assert_eq!(handlers.len(), CONNS);
        assert!(
            handlers.iter().all(|h| !h.is_finished()),
            "a handler ended before its EOF"
        );
        // Close them all: every handler reads its EOF and ends.
        drop(child.stdin.take());
        rt.block_on(async {
            for h in handlers {
                h.await.unwrap();
            }
            // The listener went with the accept task: the port is free.
            let err = TcpStream::connect(addr).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        });
        assert!(child.wait().unwrap().success(), "the client process failed");
        drop(out);
        drop(rt);
    });
}
