//! The main job: an echo server served gnet's way on every event loop, and
//! a short built-in client load that measures it.
//!
//! ```sh
//! cargo run --release --example echo                       # serve + measure, then exit
//! cargo run --release --example echo -- --serve 127.0.0.1:7000   # serve until Ctrl-C
//! ```
//!
//! The server is an event handler (`serve_traffic`, gnet's `OnTraffic`): each
//! loop reads its ready connections into one loop-owned buffer and the
//! handler writes the bytes back, so an idle connection holds no task and no
//! buffer. `--tasks` serves with a task and a 16 KiB buffer per connection
//! instead (`serve`, plain async code).
//!
//! Options: `--connections N` (64), `--seconds S` (3), `--size BYTES` (64),
//! `--loops N` (one per CPU), `--reuseport` (every loop accepts on its own
//! `SO_REUSEPORT` listener instead of a main reactor handing connections
//! out), `--tasks`. The client runs on a runtime of its own; each connection
//! writes a message, reads the echo back, and records the round trip's
//! latency.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::io::{AsyncReadExt, AsyncWriteExt};
use netloop::net::{Action, Conn, TcpListener, TcpStream};
use netloop::runtime::{Builder, Handle, Runtime};

struct Options {
    serve: Option<SocketAddr>,
    connections: usize,
    seconds: f64,
    size: usize,
    loops: usize,
    reuseport: bool,
    tasks: bool,
}

fn options() -> Options {
    let mut opts = Options {
        serve: None,
        connections: 64,
        seconds: 3.0,
        size: 64,
        loops: std::thread::available_parallelism().map_or(2, |n| n.get()),
        reuseport: false,
        tasks: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--serve" => {
                opts.serve = Some(
                    value()
                        .parse()
                        .unwrap_or_else(|e| usage(&format!("--serve: {e}"))),
                )
            }
            "--connections" => {
                opts.connections = value()
                    .parse()
                    .unwrap_or_else(|e| usage(&format!("--connections: {e}")))
            }
            "--seconds" => {
                opts.seconds = value()
                    .parse()
                    .unwrap_or_else(|e| usage(&format!("--seconds: {e}")))
            }
            "--size" => {
                opts.size = value()
                    .parse()
                    .unwrap_or_else(|e| usage(&format!("--size: {e}")))
            }
            "--loops" => {
                opts.loops = value()
                    .parse()
                    .unwrap_or_else(|e| usage(&format!("--loops: {e}")))
            }
            "--reuseport" => opts.reuseport = true,
            "--tasks" => opts.tasks = true,
            _ => usage(&format!("unknown argument {arg}")),
        }
    }
    if opts.connections == 0 || opts.size == 0 || opts.loops == 0 {
        usage("--connections, --size and --loops must be at least 1");
    }
    opts
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "echo: {problem}\nusage: echo [--serve ADDR] [--connections N] [--seconds S] [--size BYTES] [--loops N] [--reuseport] [--tasks]"
    );
    std::process::exit(2)
}

/// The event handler: writes back what arrived (the connection closes
/// when the peer does).
fn on_traffic(conn: &mut Conn<'_>) -> Action {
    let input = conn.take_input();
    conn.write(input);
    Action::Continue
}

/// With `--tasks`: a task per connection echoes everything it reads until
/// the peer closes.
async fn echo(mut stream: TcpStream, _peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 16 * 1024];
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
}

fn start_server(
    rt: &Runtime,
    opts: &Options,
    addr: SocketAddr,
) -> io::Result<netloop::net::Server> {
    rt.block_on(async {
        let handle = Handle::current();
        match (opts.reuseport, opts.tasks) {
            (true, false) => handle.serve_traffic_reuseport(addr, on_traffic),
            (true, true) => handle.serve_reuseport(addr, echo),
            (false, tasks) => {
                let listener = TcpListener::bind(addr).await?;
                if tasks {
                    handle.serve(listener, echo)
                } else {
                    handle.serve_traffic(listener, on_traffic)
                }
            }
        }
    })
}

/// One client connection: round trips until `until`; returns each one's
/// latency in nanoseconds.
async fn client(addr: SocketAddr, size: usize, until: Instant) -> io::Result<Vec<u32>> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let message = vec![b'x'; size];
    let mut reply = vec![0u8; size];
    let mut latencies = Vec::with_capacity(1 << 16);
    while Instant::now() < until {
        let start = Instant::now();
        stream.write_all(&message).await?;
        stream.read_exact(&mut reply).await?;
        latencies.push(start.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32);
    }
    Ok(latencies)
}

fn serving(opts: &Options) -> &'static str {
    if opts.tasks {
        "a task per connection"
    } else {
        "event handler"
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank]) / 1000.0
}

fn main() -> io::Result<()> {
    let opts = options();
    let server_rt = Builder::new_multi_thread()
        .worker_threads(opts.loops)
        .thread_name("echo-server")
        .build()?;

    if let Some(addr) = opts.serve {
        let server = start_server(&server_rt, &opts, addr)?;
        println!(
            "echo: serving {} on {} loop(s) ({}, {}); Ctrl-C to stop",
            server.local_addr(),
            opts.loops,
            if opts.reuseport {
                "SO_REUSEPORT listener per loop"
            } else {
                "main reactor hands out connections"
            },
            serving(&opts)
        );
        server_rt.block_on(server.wait());
        return Ok(());
    }

    let server = start_server(
        &server_rt,
        &opts,
        "127.0.0.1:0".parse().expect("an address"),
    )?;
    let addr = server.local_addr();
    let client_rt = Builder::new_multi_thread()
        .worker_threads(opts.loops)
        .thread_name("echo-client")
        .build()?;
    let run_for = Duration::from_secs_f64(opts.seconds);
    let started = Instant::now();
    let until = started + run_for;
    let results = client_rt.block_on(async {
        let mut set = netloop::task::JoinSet::new();
        for _ in 0..opts.connections {
            set.spawn(client(addr, opts.size, until));
        }
        set.join_all().await
    });
    let elapsed = started.elapsed();
    let mut latencies = Vec::new();
    let mut failed = 0;
    for result in results {
        match result {
            Ok(l) => latencies.extend(l),
            Err(e) => {
                failed += 1;
                eprintln!("echo: a client connection failed: {e}");
            }
        }
    }
    latencies.sort_unstable();

    println!(
        "echo: {} server loop(s) ({}, {}), {} connections x {} B messages, {:.1} s",
        opts.loops,
        if opts.reuseport {
            "reuseport"
        } else {
            "main reactor + round-robin"
        },
        serving(&opts),
        opts.connections,
        opts.size,
        elapsed.as_secs_f64()
    );
    println!(
        "round trips: {} ({:.0}/s)",
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency: p50 {:.1} us, p99 {:.1} us, max {:.1} us",
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().map_or(0.0, |&ns| f64::from(ns) / 1000.0)
    );
    let stats = server_rt.handle().loop_stats();
    let io_events: Vec<u64> = stats.iter().map(|s| s.io_events).collect();
    println!(
        "server loops: accepts {:?}, I/O events {:?}, events per epoll_wait {:?}",
        stats.iter().map(|s| s.accepts).collect::<Vec<_>>(),
        io_events,
        stats
            .iter()
            .map(|s| (s.events_per_turn() * 10.0).round() / 10.0)
            .collect::<Vec<_>>()
    );
    drop(server);
    drop(client_rt);
    drop(server_rt);
    if failed > 0 {
        return Err(io::Error::other(format!(
            "{failed} client connection(s) failed"
        )));
    }
    Ok(())
}
