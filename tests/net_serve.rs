//! gnet-style serving (`netloop::net::serve` / `serve_reuseport`): the
//! main reactor hands connections out by the runtime's balancer (round-robin
//! spreads 1,000 connections over 4 loops within ±10 %, and each
//! connection's I/O events arrive on its handler's loop; source-IP hashing
//! keeps one client IP on one loop), `ReusePort` mode serves on every loop,
//! stopping a server stops its accepts, and an accept loop starved of fds
//! (`EMFILE`, in a child process with a low `RLIMIT_NOFILE`) pauses with
//! bounded CPU and serves again once fds free up.

mod support;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::io::{AsyncReadExt, AsyncWriteExt};
use netloop::net::{TcpListener, TcpSocket, TcpStream};
use netloop::runtime::{Builder, Handle, LoopStats, Runtime, SourceAddrHash};
use support::{FdCheck, open_fd_count};

const LOOPS: usize = 4;

fn runtime(balancer: Option<SourceAddrHash>) -> Runtime {
    let mut builder = Builder::new_multi_thread();
    builder.worker_threads(LOOPS);
    if let Some(b) = balancer {
        builder.balancer(b);
    }
    builder.build().unwrap()
}

/// Echoes one message per read until EOF, recording the loop it ran on.
fn recording_echo(
    seen: Arc<Mutex<Vec<usize>>>,
) -> impl Fn(TcpStream, SocketAddr) -> futures::future::BoxFuture<'static, ()> + Send + Sync + 'static
{
    move |mut stream, _peer| {
        let seen = seen.clone();
        Box::pin(async move {
            seen.lock()
                .unwrap()
                .push(Handle::current().current_loop().unwrap());
            let mut buf = [0u8; 64];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if stream.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                }
            }
        })
    }
}

/// `n` clients from `source` (any loopback address), `batch` at a time:
/// each connects, round-trips one byte and closes.
fn run_clients(addr: SocketAddr, n: usize, source: Option<SocketAddr>) {
    let client = Builder::new_current_thread().build().unwrap();
    client.block_on(async {
        for _ in 0..n / 100 {
            let mut set = netloop::task::JoinSet::new();
            for _ in 0..100 {
                set.spawn(async move {
                    let mut stream = match source {
                        Some(source) => {
                            let socket = TcpSocket::new_v4().unwrap();
                            socket.bind(source).unwrap();
                            socket.connect(addr).await.unwrap()
                        }
                        None => TcpStream::connect(addr).await.unwrap(),
                    };
                    stream.write_all(b"x").await.unwrap();
                    let mut one = [0u8; 1];
                    stream.read_exact(&mut one).await.unwrap();
                    assert_eq!(&one, b"x");
                });
            }
            set.join_all().await;
        }
    });
}

fn stats_delta(before: &[LoopStats], after: &[LoopStats]) -> Vec<u64> {
    before
        .iter()
        .zip(after)
        .map(|(b, a)| a.io_events - b.io_events)
        .collect()
}

#[test]
fn round_robin_spreads_a_thousand_connections_and_their_events_stay_on_their_loops() {
    let fds = FdCheck::start_counting(open_fd_count);
    let rt = runtime(None);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = rt
        .block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            netloop::net::serve(listener, recording_echo(seen.clone()))
        })
        .unwrap();
    let before = rt.handle().loop_stats();
    run_clients(server.local_addr(), 1000, None);
    // Every handler has run by now (each echoed its byte).
    let per_loop = {
        let seen = seen.lock().unwrap();
        let mut per_loop = [0usize; LOOPS];
        for &i in seen.iter() {
            per_loop[i] += 1;
        }
        per_loop
    };
    assert_eq!(per_loop.iter().sum::<usize>(), 1000);
    for (i, &n) in per_loop.iter().enumerate() {
        assert!(
            (225..=275).contains(&n),
            "loop {i} served {n} of 1,000 connections (want 250 ± 10 %): {per_loop:?}"
        );
    }
    let after = rt.handle().loop_stats();
    let events = stats_delta(&before, &after);
    // Loops 1..4 run nothing but their connections' handlers: their events
    // are their connections' (at least one read each). Had the sockets
    // registered on the accepting loop, they would have none.
    for i in 1..LOOPS {
        assert!(
            events[i] >= per_loop[i] as u64,
            "loop {i}: {} I/O events for {} connections: {events:?}",
            events[i],
            per_loop[i]
        );
    }
    assert_eq!(after.iter().map(|s| s.accepts).sum::<u64>(), 1000);
    assert_eq!(after[0].accepts, 1000, "loop 0 is the main reactor");
    drop(server);
    drop(rt);
    fds.finish_blocking();
}

#[test]
fn source_ip_hash_keeps_one_client_ip_on_one_loop() {
    // One fd-counting test at a time (this one counts nothing itself).
    let _one_at_a_time = FdCheck::start_counting(open_fd_count);
    let rt = runtime(Some(SourceAddrHash::new()));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = rt
        .block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            netloop::net::serve(listener, recording_echo(seen.clone()))
        })
        .unwrap();
    let mut loops_per_source = Vec::new();
    for source in ["127.0.0.1", "127.0.0.2", "127.0.0.3"] {
        seen.lock().unwrap().clear();
        run_clients(
            server.local_addr(),
            200,
            Some(format!("{source}:0").parse().unwrap()),
        );
        let mut loops: Vec<usize> = seen.lock().unwrap().clone();
        loops.sort_unstable();
        loops.dedup();
        assert_eq!(
            loops.len(),
            1,
            "{source}'s connections went to loops {loops:?}"
        );
        loops_per_source.push(loops[0]);
    }
    drop(server);
}

#[test]
fn reuseport_mode_serves_on_every_loop_and_stop_ends_accepting() {
    let fds = FdCheck::start_counting(open_fd_count);
    let rt = runtime(None);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = rt
        .block_on(async {
            netloop::net::serve_reuseport(
                "127.0.0.1:0".parse().unwrap(),
                recording_echo(seen.clone()),
            )
        })
        .unwrap();
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0);
    run_clients(addr, 400, None);
    assert_eq!(seen.lock().unwrap().len(), 400);
    let accepts: Vec<u64> = rt.handle().loop_stats().iter().map(|s| s.accepts).collect();
    assert_eq!(accepts.iter().sum::<u64>(), 400, "{accepts:?}");
    // Each loop served what it accepted itself.
    let mut per_loop = [0u64; LOOPS];
    for &i in seen.lock().unwrap().iter() {
        per_loop[i] += 1;
    }
    assert_eq!(per_loop.to_vec(), accepts);

    server.stop();
    // The listeners close once their accept loops are dropped: connecting
    // is refused (bounded wait for the loops to drop them).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match std::net::TcpStream::connect(addr) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            _ if Instant::now() > deadline => panic!("still accepting after stop"),
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    drop(rt);
    fds.finish_blocking();
}

/// CPU time (user + system) of process `pid`, from `/proc/<pid>/stat`.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) start at ")".
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

const STARVED_CHILD: &str = "NETLOOP_EMFILE_CHILD";

#[test]
fn an_accept_loop_starved_of_fds_pauses_and_serves_again_once_fds_free_up() {
    if std::env::var(STARVED_CHILD).is_ok() {
        return starved_server();
    }
    // One fd-counting test at a time (this one counts nothing itself).
    let _one_at_a_time = FdCheck::start_counting(open_fd_count);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "an_accept_loop_starved_of_fds_pauses_and_serves_again_once_fds_free_up",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(STARVED_CHILD, "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let addr: SocketAddr = loop {
        line.clear();
        assert!(
            std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0,
            "child exited"
        );
        // libtest may print "test <name> ... " on the same line first.
        if let Some(at) = line.find("ADDR ") {
            break line[at + 5..].trim().parse().unwrap();
        }
    };
    let round_trip = |stream: &mut std::net::TcpStream| -> bool {
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        stream.write_all(b"x").unwrap();
        let mut one = [0u8; 1];
        stream.read_exact(&mut one).is_ok()
    };
    // The child can hold ~8 connections; 24 clients starve it.
    let mut clients: Vec<std::net::TcpStream> = (0..24)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    let served: Vec<bool> = clients.iter_mut().map(round_trip).collect();
    let held = served.iter().filter(|&&s| s).count();
    assert!(
        held > 0 && held < 24,
        "served {held} of 24 with a low fd limit"
    );

    // Starved: the accept loop must pause, not spin.
    let cpu_before = cpu_time(child.id());
    let wall = Instant::now();
    std::thread::sleep(Duration::from_secs(1));
    let cpu = cpu_time(child.id()) - cpu_before;
    assert!(
        cpu < wall.elapsed() / 4,
        "the starved server burnt {cpu:?} of CPU in {:?}",
        wall.elapsed()
    );

    // Free the served connections' fds: the rest get served.
    let (done, waiting): (Vec<_>, Vec<_>) = clients
        .drain(..)
        .zip(served)
        .partition(|(_, served)| *served);
    drop(done);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut waiting: Vec<std::net::TcpStream> = waiting.into_iter().map(|(s, _)| s).collect();
    while !waiting.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{} clients never served",
            waiting.len()
        );
        // Serve in groups the child can hold, freeing each group after.
        let mut still = Vec::new();
        for mut stream in waiting {
            let mut one = [0u8; 1];
            stream
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            // The byte was sent before; the echo comes once it is accepted.
            if stream.read_exact(&mut one).is_err() {
                still.push(stream);
            }
        }
        waiting = still;
    }
    let mut quit = std::net::TcpStream::connect(addr).unwrap();
    quit.write_all(b"q").unwrap();
    drop(quit);
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "child failed: {status:?}\n{rest}");
    let pauses: u64 = rest
        .lines()
        .find_map(|l| l.find("PAUSES ").map(|at| &l[at + 7..]))
        .expect("child reports its pauses")
        .trim()
        .parse()
        .unwrap();
    assert!(pauses > 0, "no accept pause was counted");
}

/// The child: a served echo on 2 loops with ~8 fds to spare; a "q" from a
/// client ends it, printing the accept pauses counted.
fn starved_server() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let quit = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let tx = Mutex::new(tx);
    let server = rt
        .block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let quit = quit.clone();
            netloop::net::serve(listener, move |mut stream: TcpStream, _| {
                let quit = quit.clone();
                let tx = tx.lock().unwrap().clone();
                async move {
                    let mut buf = [0u8; 1];
                    while let Ok(1) = stream.read(&mut buf).await {
                        if buf[0] == b'q' {
                            quit.store(1, Relaxed);
                            let _ = tx.send(());
                            return;
                        }
                        if stream.write_all(&buf).await.is_err() {
                            return;
                        }
                    }
                }
            })
        })
        .unwrap();
    let open = open_fd_count() as u64;
    netloop::reactor::sys::resource::set_nofile_soft_limit(open + 8).unwrap();
    println!("ADDR {}", server.local_addr());
    rx.recv_timeout(Duration::from_secs(60)).unwrap();
    let pauses: u64 = rt
        .handle()
        .loop_stats()
        .iter()
        .map(|s| s.accept_pauses)
        .sum();
    println!("PAUSES {pauses}");
    drop(server);
}
