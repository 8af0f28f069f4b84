//! Echo server benchmark: netloop side by side with tokio, one process tree,
//! the same load on every server.
//!
//! `cargo bench -p netloop-benches --bench echo` starts four echo servers,
//! each a child process (this binary re-executed with
//! `NETLOOP_ECHO_BENCH_SERVER` naming the kind), and keeps them for the
//! whole invocation:
//!
//! - `nl-serve`: netloop's `serve` — the main reactor on loop 0 accepts and
//!   hands each connection to the loop the balancer picks; N loops;
//! - `nl-reuseport`: netloop's `serve_reuseport` — an `SO_REUSEPORT`
//!   listener per loop; N loops;
//! - `tokio-mt`: a tokio `multi_thread` runtime with N workers, one accept
//!   loop and a `tokio::spawn` per connection;
//! - `tokio-tpc`: thread-per-core tokio — N threads, each running a
//!   `current_thread` runtime with its own `SO_REUSEPORT` listener on the
//!   same port.
//!
//! Every server runs the same handler: read into a 16 KiB buffer, write it
//! all back, stop on end-of-stream or an error; `TCP_NODELAY` on. A child
//! prints `ADDR <addr>` and serves until its stdin closes.
//!
//! This process is the load generator, the same for every server: a netloop
//! multi-thread runtime whose C connection tasks each connect, wait until
//! all are connected, then do R round trips (write a message, `read_exact`
//! the echo), recording each round trip's latency. A run's connections are
//! opened before and closed after the measured window. Per run it measures
//! the wall time (round trips/s), the server's CPU time over the window
//! (`utime + stime` from `/proc/PID/stat`, in 10 ms ticks, and the sum of
//! its threads' `/proc/PID/task/TID/schedstat` run times, in ns), this
//! process's CPU time, and p50/p99 latency. One warm-up run per server, then
//! `NETLOOP_BENCH_RUNS` measured runs, the servers taken round-robin so that
//! a noisy neighbour hurts them alike.
//!
//! On a 2-core machine the client needs a core as much as the server does,
//! so round trips/s ratios are squeezed toward 1; server CPU per round trip
//! is the figure that compares the servers. Afterwards, where `strace` is
//! installed, each server runs a shorter load under `strace -c -f` for
//! syscalls per round trip (strace slows the server down many times over;
//! only the counts mean anything). Last, memory per idle connection: the
//! server's `VmRSS` before and after this process opens
//! `NETLOOP_BENCH_IDLE` connections that send nothing.
//!
//! Environment knobs:
//! - `NETLOOP_BENCH_LOOPS`: the servers' loops/threads (default 2);
//! - `NETLOOP_BENCH_CLIENT_LOOPS`: the load generator's loops (default: the
//!   number of CPUs);
//! - `NETLOOP_BENCH_CONNS`: connections per run (default 64);
//! - `NETLOOP_BENCH_SIZE`: message bytes (default 64);
//! - `NETLOOP_BENCH_RUNS`: measured runs per server (default 5);
//! - `NETLOOP_BENCH_SCALE`: multiplies the round trips per run (default 1:
//!   120,000 round trips per run, 20,000 under strace);
//! - `NETLOOP_BENCH_ONLY`: comma-separated servers (`nl-serve`,
//!   `nl-reuseport`, `tokio-mt`, `tokio-tpc`);
//! - `NETLOOP_BENCH_IDLE`: idle connections for the memory measurement
//!   (default 2,000; 0 skips it);
//! - `NETLOOP_BENCH_STRACE`: 0 skips the strace pass (default 1);
//! - `NETLOOP_BENCH_MAX_FOREIGN`: a measured run during which other
//!   processes used more than this percentage of the machine's CPU
//!   (`/proc/stat` busy time minus the server's and this process's) is
//!   redone, up to 3 times (default 10; 100 keeps every run);
//! - `NETLOOP_BENCH_PIN`: 1 pins the load generator (all its threads) to
//!   the first CPU and starts every server under `taskset` on the other
//!   CPUs, so that client and server stop competing for cores (default 0;
//!   needs 2 CPUs and `taskset`; the client then defaults to 1 loop).

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use futures::channel::oneshot;
use netloop_benches::{Knobs, env_var};

/// Names the server kind in a child's environment.
const SERVER_ENV: &str = "NETLOOP_ECHO_BENCH_SERVER";
/// The handler's read buffer.
const BUF_SIZE: usize = 16 * 1024;
/// Round trips of one measured run (all connections together), at scale 1.
const ROUND_TRIPS: u64 = 120_000;
/// Round trips of the strace pass, at scale 1.
const STRACE_ROUND_TRIPS: u64 = 20_000;
/// Pause after a run, so that the server has closed the run's connections
/// and gone idle before the next run.
const SETTLE: Duration = Duration::from_millis(100);
/// How many times one measured run is redone at most when other processes
/// crowded it (the last try is kept, and shows in the per-run list).
const MAX_REDO: usize = 3;
/// Clock ticks per second of `/proc/PID/stat` (`USER_HZ`).
const USER_HZ: f64 = 100.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NlServe,
    NlReuseport,
    TokioMt,
    TokioTpc,
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::NlServe,
        Kind::NlReuseport,
        Kind::TokioMt,
        Kind::TokioTpc,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::NlServe => "nl-serve",
            Kind::NlReuseport => "nl-reuseport",
            Kind::TokioMt => "tokio-mt",
            Kind::TokioTpc => "tokio-tpc",
        }
    }

    fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

fn main() {
    if let Ok(name) = std::env::var(SERVER_ENV) {
        let kind = Kind::from_name(&name).unwrap_or_else(|| panic!("unknown server kind {name}"));
        server::run(kind, env_var("NETLOOP_BENCH_LOOPS", 2));
        return;
    }
    let config = Config::from_env();
    let started = Instant::now();
    let nproc = thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    println!(
        "netloop echo benchmark: nproc {nproc}; servers on {} loops/threads each, client on a \
         netloop runtime with {} loops; {} connections x {} B messages, {} round trips per \
         connection per run ({} per run); {} measured runs per server (median shown), 1 warm-up",
        config.loops,
        config.client_loops,
        config.conns,
        config.size,
        config.per_conn,
        config.per_conn * config.conns as u64,
        config.knobs.runs,
    );
    let _ = netloop::reactor::sys::resource::raise_nofile_limit();
    if let Some(cpus) = &config.server_cpus {
        // Before the client runtime exists, so that its threads inherit it.
        netloop::reactor::sys::thread::pin_current_thread(0).expect("pinning the client to CPU 0");
        println!("pinned: load generator on CPU 0, servers on CPUs {cpus}");
    }

    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| config.knobs.runtime_enabled(k.name()))
        .collect();
    let mut servers: Vec<ServerProc> = kinds
        .iter()
        .map(|&kind| ServerProc::spawn(kind, config.loops, config.server_cpus.as_deref()))
        .collect();
    let client = netloop::runtime::Builder::new_multi_thread()
        .worker_threads(config.client_loops)
        .thread_name("echo-client")
        .build()
        .expect("the client's netloop runtime");

    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); servers.len()];
    let mut thread_cpu: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); servers.len()];
    let mut discarded = vec![0usize; servers.len()];
    for run in 0..=config.knobs.runs {
        for (i, server) in servers.iter().enumerate() {
            let mut redo = 0;
            let (sample, threads) = loop {
                let (sample, threads) = measure(&client, &config, server);
                thread::sleep(SETTLE);
                // A run that other processes crowded is redone (the warm-up
                // is not checked): how busy the machine is changes how much
                // the server batches, and so its CPU per round trip.
                if run == 0 || sample.foreign_share(nproc) <= config.max_foreign || redo == MAX_REDO
                {
                    break (sample, threads);
                }
                redo += 1;
                discarded[i] += 1;
            };
            if run > 0 {
                samples[i].push(sample);
                for (name, ns) in threads {
                    *thread_cpu[i].entry(name).or_default() += ns;
                }
            }
        }
    }
    let summaries: Vec<Summary> = samples.iter().cloned().map(Summary::from_samples).collect();
    print_report(&config, &servers, &summaries, &thread_cpu);
    print_runs(&servers, &samples, &discarded, &config);

    if config.strace && tool_available("strace", "-V") {
        println!(
            "\nsyscalls per round trip (strace -c -f -p SERVER over {} round trips, {} \
             connections; the connections are opened before strace attaches and closed after \
             it detaches):",
            config.strace_per_conn * config.conns as u64,
            config.conns
        );
        for server in &servers {
            match strace_pass(&client, &config, server) {
                Ok(counts) => print_strace(
                    server.kind,
                    &counts,
                    config.strace_per_conn * config.conns as u64,
                ),
                Err(e) => println!("  {:<13} strace failed: {e}", server.kind.name()),
            }
            thread::sleep(SETTLE);
        }
    } else if config.strace {
        println!("\nsyscalls per round trip: skipped (no strace)");
    }

    if config.idle > 0 {
        println!(
            "\nmemory per idle connection (server VmRSS before and after {} connections that \
             send nothing; all accepted, 200 ms settled):",
            config.idle
        );
        for server in &servers {
            match idle_memory(server, config.idle) {
                Ok((before, after)) => println!(
                    "  {:<13} VmRSS {:>8} kB -> {:>8} kB: {:>8.0} B per idle connection",
                    server.kind.name(),
                    before,
                    after,
                    (after as f64 - before as f64) * 1024.0 / config.idle as f64
                ),
                Err(e) => println!("  {:<13} failed: {e}", server.kind.name()),
            }
        }
    }

    drop(client);
    for server in &mut servers {
        server.stop();
    }
    println!(
        "\ntotal benchmark time: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------
// Configuration.

struct Config {
    knobs: Knobs,
    loops: usize,
    client_loops: usize,
    conns: usize,
    size: usize,
    /// Round trips per connection in a measured run.
    per_conn: u64,
    /// Round trips per connection under strace.
    strace_per_conn: u64,
    idle: usize,
    /// The largest share of the machine's CPU that other processes may use
    /// during a measured run before it is redone.
    max_foreign: f64,
    strace: bool,
    /// `taskset -c` CPU list for the servers, when pinning.
    server_cpus: Option<String>,
}

impl Config {
    fn from_env() -> Config {
        let knobs = Knobs::from_env(5);
        let nproc = thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let loops: usize = env_var("NETLOOP_BENCH_LOOPS", 2);
        let pin = env_var::<u32>("NETLOOP_BENCH_PIN", 0) != 0;
        let server_cpus = if !pin {
            None
        } else if nproc < 2 || !tool_available("taskset", "-V") {
            println!("NETLOOP_BENCH_PIN ignored: it needs 2 CPUs and taskset");
            None
        } else if nproc == 2 {
            Some("1".to_owned())
        } else {
            Some(format!("1-{}", nproc - 1))
        };
        let default_client_loops = if server_cpus.is_some() { 1 } else { nproc };
        let client_loops: usize = env_var("NETLOOP_BENCH_CLIENT_LOOPS", default_client_loops);
        let conns: usize = env_var("NETLOOP_BENCH_CONNS", 64);
        let size: usize = env_var("NETLOOP_BENCH_SIZE", 64);
        assert!(
            loops >= 1 && client_loops >= 1 && conns >= 1 && size >= 1,
            "loops, client loops, connections and size must be at least 1"
        );
        let per_conn = knobs.scaled(ROUND_TRIPS, 1).div_ceil(conns as u64);
        let strace_per_conn = knobs.scaled(STRACE_ROUND_TRIPS, 1).div_ceil(conns as u64);
        Config {
            loops,
            client_loops,
            conns,
            size,
            per_conn,
            strace_per_conn,
            idle: env_var("NETLOOP_BENCH_IDLE", 2000),
            max_foreign: env_var::<f64>("NETLOOP_BENCH_MAX_FOREIGN", 10.0) / 100.0,
            strace: env_var::<u32>("NETLOOP_BENCH_STRACE", 1) != 0,
            server_cpus,
            knobs,
        }
    }
}

// ---------------------------------------------------------------------------
// The servers (child processes).

mod server {
    use std::io::{self, BufRead, Write};
    use std::net::SocketAddr;
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::{BUF_SIZE, Kind};

    /// Serves `kind` on `loops` loops until stdin closes, then exits the
    /// process.
    pub(super) fn run(kind: Kind, loops: usize) {
        let _ = netloop::reactor::sys::resource::raise_nofile_limit();
        let any: SocketAddr = "127.0.0.1:0".parse().expect("an address");
        // Whatever must live while serving.
        let _keep: Box<dyn std::any::Any> = match kind {
            Kind::NlServe | Kind::NlReuseport => {
                let rt = netloop::runtime::Builder::new_multi_thread()
                    .worker_threads(loops)
                    .thread_name(kind.name())
                    .build()
                    .expect("netloop runtime");
                let server = rt
                    .block_on(async {
                        if kind == Kind::NlServe {
                            let listener = netloop::net::TcpListener::bind(any).await?;
                            netloop::net::serve(listener, nl_echo)
                        } else {
                            netloop::net::serve_reuseport(any, nl_echo)
                        }
                    })
                    .expect("netloop server");
                announce(server.local_addr());
                Box::new((server, rt))
            }
            Kind::TokioMt => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(loops)
                    .enable_all()
                    .build()
                    .expect("tokio multi_thread runtime");
                let listener = rt
                    .block_on(tokio::net::TcpListener::bind(any))
                    .expect("tokio listener");
                let addr = listener.local_addr().expect("local address");
                rt.spawn(tokio_accept_loop(listener));
                announce(addr);
                Box::new(rt)
            }
            Kind::TokioTpc => {
                let mut addr = any;
                let mut sockets = Vec::with_capacity(loops);
                for _ in 0..loops {
                    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
                    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
                    socket.set_reuseport(true).expect("SO_REUSEPORT");
                    socket.bind(addr).expect("bind");
                    addr = socket.local_addr().expect("local address");
                    sockets.push(socket);
                }
                let (listening, ready) = mpsc::channel();
                for (i, socket) in sockets.into_iter().enumerate() {
                    let listening = listening.clone();
                    thread::Builder::new()
                        .name(format!("tokio-tpc-{i}"))
                        .spawn(move || {
                            let rt = tokio::runtime::Builder::new_current_thread()
                                .enable_all()
                                .build()
                                .expect("tokio current_thread runtime");
                            rt.block_on(async move {
                                let listener = socket.listen(1024).expect("listen");
                                let _ = listening.send(());
                                tokio_accept_loop(listener).await;
                            });
                        })
                        .expect("a server thread");
                }
                for _ in 0..loops {
                    ready.recv().expect("a server thread listening");
                }
                announce(addr);
                Box::new(())
            }
        };
        // Serve until the parent closes our stdin (or dies).
        let mut sink = String::new();
        let stdin = io::stdin();
        let mut stdin = stdin.lock();
        while matches!(stdin.read_line(&mut sink), Ok(n) if n > 0) {
            sink.clear();
        }
        std::process::exit(0);
    }

    fn announce(addr: SocketAddr) {
        let mut out = io::stdout().lock();
        writeln!(out, "ADDR {addr}").expect("stdout");
        out.flush().expect("stdout");
    }

    /// The echo handler on netloop.
    async fn nl_echo(mut stream: netloop::net::TcpStream, _peer: SocketAddr) {
        let _ = stream.set_nodelay(true);
        let mut buf = vec![0u8; BUF_SIZE];
        loop {
            // Fully qualified: with netloop's `tokio` feature on (CI's
            // second clippy pass) tokio's extension traits apply too.
            match futures::AsyncReadExt::read(&mut stream, &mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if futures::AsyncWriteExt::write_all(&mut stream, &buf[..n])
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    }

    /// The echo handler on tokio: the same logic.
    async fn tokio_echo(mut stream: tokio::net::TcpStream) {
        let _ = stream.set_nodelay(true);
        let mut buf = vec![0u8; BUF_SIZE];
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

    async fn tokio_accept_loop(listener: tokio::net::TcpListener) {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(tokio_echo(stream));
                }
                // EMFILE & co: back off as netloop's accept loop does.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }
}

/// A server child process.
struct ServerProc {
    kind: Kind,
    child: Child,
    pid: u32,
    addr: SocketAddr,
    /// Closing it stops the server.
    stdin: Option<ChildStdin>,
    _stdout: BufReader<ChildStdout>,
}

impl ServerProc {
    fn spawn(kind: Kind, loops: usize, cpus: Option<&str>) -> ServerProc {
        let exe = std::env::current_exe().expect("this benchmark's path");
        // taskset execs the server, so the child's pid is the server's.
        let mut command = match cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpus).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        let mut child = command
            .env(SERVER_ENV, kind.name())
            .env("NETLOOP_BENCH_LOOPS", loops.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("a server child process");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        let addr = loop {
            line.clear();
            let n = stdout.read_line(&mut line).expect("the server's stdout");
            assert!(
                n > 0,
                "server {} exited before announcing its address",
                kind.name()
            );
            if let Some(addr) = line.trim().strip_prefix("ADDR ") {
                break addr.parse().expect("a socket address");
            }
        };
        ServerProc {
            kind,
            pid: child.id(),
            stdin: child.stdin.take(),
            child,
            addr,
            _stdout: stdout,
        }
    }

    fn stop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// /proc readings.

/// A process's CPU time so far.
#[derive(Debug, Clone, Default)]
struct Cpu {
    /// `utime + stime` of `/proc/PID/stat`, in `USER_HZ` ticks (threads that
    /// exited included).
    ticks: u64,
    /// `utime` alone: time in user space (the runtime, the handler, libc).
    user_ticks: u64,
    /// Run time of the live threads (`/proc/PID/task/TID/schedstat`), ns.
    sched_ns: u64,
    /// Per live thread: (tid, name, ns).
    threads: Vec<(u32, String, u64)>,
    /// Context switches of the live threads: voluntary (the thread
    /// blocked), involuntary (it was preempted).
    switches: [u64; 2],
}

fn proc_cpu(pid: u32) -> Cpu {
    let (ticks, user_ticks) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let rest = stat.rsplit_once(')')?.1.to_owned();
            let mut fields = rest.split_whitespace().skip(11);
            let utime: u64 = fields.next()?.parse().ok()?;
            let stime: u64 = fields.next()?.parse().ok()?;
            Some((utime + stime, utime))
        })
        .unwrap_or((0, 0));
    let mut threads = Vec::new();
    let mut switches = [0; 2];
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for entry in dir.flatten() {
            let Some(tid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let path = entry.path();
            let ns = std::fs::read_to_string(path.join("schedstat"))
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse().ok())
                .unwrap_or(0);
            let name = std::fs::read_to_string(path.join("comm"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default();
            if let Ok(status) = std::fs::read_to_string(path.join("status")) {
                for line in status.lines() {
                    let (key, value) = line.split_once(':').unwrap_or(("", ""));
                    let slot = match key {
                        "voluntary_ctxt_switches" => 0,
                        "nonvoluntary_ctxt_switches" => 1,
                        _ => continue,
                    };
                    switches[slot] += value.trim().parse::<u64>().unwrap_or(0);
                }
            }
            threads.push((tid, name, ns));
        }
    }
    Cpu {
        ticks,
        user_ticks,
        sched_ns: threads.iter().map(|t| t.2).sum(),
        threads,
        switches,
    }
}

/// Machine-wide CPU ticks from the `cpu` line of `/proc/stat`.
#[derive(Debug, Clone, Copy, Default)]
struct MachineCpu {
    /// user + nice + system + irq + softirq.
    busy: u64,
    steal: u64,
}

fn machine_cpu() -> MachineCpu {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return MachineCpu::default();
    };
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let at = |i: usize| fields.get(i).copied().unwrap_or(0);
    MachineCpu {
        busy: at(0) + at(1) + at(2) + at(5) + at(6),
        steal: at(7),
    }
}

/// `VmRSS` of `/proc/PID/status`, in kB.
fn vm_rss_kb(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| io::Error::other("no VmRSS"))
}

fn fd_count(pid: u32) -> io::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

// ---------------------------------------------------------------------------
// The load.

/// One connection of the load: connects, says so, waits for the start, does
/// `n` round trips; gives their latencies (ns) and the stream, so that it
/// closes only after the measured window.
async fn connection(
    addr: SocketAddr,
    size: usize,
    n: u64,
    connected: oneshot::Sender<()>,
    start: oneshot::Receiver<()>,
) -> (Vec<u32>, netloop::net::TcpStream) {
    use futures::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = netloop::net::TcpStream::connect(addr)
        .await
        .expect("connect to the echo server");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    let message = vec![b'x'; size];
    let mut reply = vec![0u8; size];
    let mut latencies = Vec::with_capacity(n as usize);
    let _ = connected.send(());
    start.await.expect("the start signal");
    for _ in 0..n {
        let t = Instant::now();
        stream
            .write_all(&message)
            .await
            .expect("write to the echo server");
        stream
            .read_exact(&mut reply)
            .await
            .expect("read from the echo server");
        latencies.push(t.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32);
    }
    (latencies, stream)
}

/// Runs one load of `per_conn` round trips on each of `conns` connections:
/// `start` runs once all are connected, just before the first round trip;
/// `end` after the last one, before any connection closes. Gives the merged
/// latencies (sorted), the wall time in between, and `end`'s output.
fn run_load<S, E>(
    client: &netloop::runtime::Runtime,
    addr: SocketAddr,
    conns: usize,
    size: usize,
    per_conn: u64,
    start: impl FnOnce() -> S,
    end: impl FnOnce(S) -> E,
) -> (LoadRun, E) {
    client.block_on(async move {
        let mut handles = Vec::with_capacity(conns);
        let mut connected = Vec::with_capacity(conns);
        let mut starts = Vec::with_capacity(conns);
        for _ in 0..conns {
            let (connected_tx, connected_rx) = oneshot::channel();
            let (start_tx, start_rx) = oneshot::channel();
            handles.push(netloop::task::spawn(connection(
                addr,
                size,
                per_conn,
                connected_tx,
                start_rx,
            )));
            connected.push(connected_rx);
            starts.push(start_tx);
        }
        for rx in connected {
            rx.await.expect("a connection task failed to connect");
        }
        let state = start();
        let t = Instant::now();
        for tx in starts {
            let _ = tx.send(());
        }
        let mut results = Vec::with_capacity(conns);
        for handle in handles {
            results.push(handle.await.expect("a connection task panicked"));
        }
        let elapsed = t.elapsed();
        let out = end(state);
        let mut latencies = Vec::with_capacity(conns * per_conn as usize);
        let (mut fastest, mut slowest) = (u64::MAX, 0);
        for (l, stream) in results {
            let busy: u64 = l.iter().map(|&ns| u64::from(ns)).sum();
            fastest = fastest.min(busy);
            slowest = slowest.max(busy);
            latencies.extend(l);
            drop(stream);
        }
        latencies.sort_unstable();
        let run = LoadRun {
            latencies,
            elapsed,
            spread: slowest as f64 / fastest.max(1) as f64,
        };
        (run, out)
    })
}

/// What one load gave.
struct LoadRun {
    /// Every round trip's latency, ns, sorted.
    latencies: Vec<u32>,
    /// From the start signal to the last round trip's end.
    elapsed: Duration,
    /// Fairness: the slowest connection's total round-trip time over the
    /// fastest one's (every connection does the same number).
    spread: f64,
}

/// One measured run.
#[derive(Debug, Clone, Copy)]
struct Sample {
    round_trips: u64,
    elapsed: Duration,
    server_ticks: u64,
    server_user_ticks: u64,
    /// The server's voluntary and involuntary context switches.
    switches: [u64; 2],
    server_ns: u64,
    client_ticks: u64,
    /// Machine-wide busy ticks (`/proc/stat`), every CPU together.
    machine_busy: u64,
    /// Machine-wide steal ticks.
    steal: u64,
    p50_ns: u32,
    p99_ns: u32,
    spread: f64,
}

impl Sample {
    fn rate(&self) -> f64 {
        self.round_trips as f64 / self.elapsed.as_secs_f64()
    }
    /// Server CPU µs per round trip, from `/proc/PID/stat` ticks.
    fn server_us_ticks(&self) -> f64 {
        self.server_ticks as f64 / USER_HZ * 1e6 / self.round_trips as f64
    }
    /// Server CPU µs per round trip, from schedstat.
    fn server_us_sched(&self) -> f64 {
        self.server_ns as f64 / 1e3 / self.round_trips as f64
    }
    /// Share of the machine's CPU time (all CPUs) in the window that
    /// neither the server nor this process used.
    fn foreign_share(&self, ncpu: usize) -> f64 {
        let own = self.server_ticks + self.client_ticks;
        let total = self.elapsed.as_secs_f64() * USER_HZ * ncpu as f64;
        self.machine_busy.saturating_sub(own) as f64 / total
    }

    fn client_us(&self) -> f64 {
        self.client_ticks as f64 / USER_HZ * 1e6 / self.round_trips as f64
    }
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((p / 100.0) * (sorted.len() - 1) as f64).round() as usize]
}

/// One run against `server`; also each server thread's CPU ns in the
/// window, by name (tid appended).
fn measure(
    client: &netloop::runtime::Runtime,
    config: &Config,
    server: &ServerProc,
) -> (Sample, Vec<(String, u64)>) {
    let me = std::process::id();
    let pid = server.pid;
    let (run, (before, after, client_before, client_after, busy, steal)) = run_load(
        client,
        server.addr,
        config.conns,
        config.size,
        config.per_conn,
        || (proc_cpu(pid), proc_cpu(me), machine_cpu()),
        |(before, client_before, machine_before)| {
            let after = proc_cpu(pid);
            let client_after = proc_cpu(me);
            let machine = machine_cpu();
            let busy = machine.busy.saturating_sub(machine_before.busy);
            let steal = machine.steal.saturating_sub(machine_before.steal);
            (before, after, client_before, client_after, busy, steal)
        },
    );
    let threads = after
        .threads
        .iter()
        .map(|(tid, name, ns)| {
            let was = before
                .threads
                .iter()
                .find(|t| t.0 == *tid)
                .map_or(0, |t| t.2);
            (format!("{name}/{tid}"), ns.saturating_sub(was))
        })
        .collect();
    let sample = Sample {
        round_trips: run.latencies.len() as u64,
        elapsed: run.elapsed,
        server_ticks: after.ticks.saturating_sub(before.ticks),
        server_user_ticks: after.user_ticks.saturating_sub(before.user_ticks),
        switches: [0, 1].map(|i| after.switches[i].saturating_sub(before.switches[i])),
        server_ns: after.sched_ns.saturating_sub(before.sched_ns),
        client_ticks: client_after.ticks.saturating_sub(client_before.ticks),
        machine_busy: busy,
        steal,
        p50_ns: percentile(&run.latencies, 50.0),
        p99_ns: percentile(&run.latencies, 99.0),
        spread: run.spread,
    };
    (sample, threads)
}

// ---------------------------------------------------------------------------
// strace and idle memory.

fn tool_available(tool: &str, version_flag: &str) -> bool {
    Command::new(tool)
        .arg(version_flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the strace pass against `server`: (syscall, calls), most first.
fn strace_pass(
    client: &netloop::runtime::Runtime,
    config: &Config,
    server: &ServerProc,
) -> io::Result<Vec<(String, u64)>> {
    let out = std::env::temp_dir().join(format!(
        "netloop-echo-strace-{}-{}.txt",
        std::process::id(),
        server.kind.name()
    ));
    let pid = server.pid;
    let out_path = out.clone();
    let (_, result) = run_load(
        client,
        server.addr,
        config.conns,
        config.size,
        config.strace_per_conn,
        move || -> io::Result<Child> {
            let mut strace = Command::new("strace")
                .args(["-c", "-f", "-p", &pid.to_string(), "-o"])
                .arg(&out_path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()?;
            // Wait for "Process N attached [with M threads]", then drain
            // stderr on a thread of its own.
            let stderr = strace.stderr.take().expect("piped stderr");
            let (attached_tx, attached) = mpsc::channel();
            thread::spawn(move || {
                let mut tx = Some(attached_tx);
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if line.contains("attached")
                        && let Some(tx) = tx.take()
                    {
                        let _ = tx.send(());
                    }
                }
            });
            attached
                .recv_timeout(Duration::from_secs(10))
                .map_err(|_| io::Error::other("strace did not attach"))?;
            // Every thread is attached by the time strace reports it.
            thread::sleep(Duration::from_millis(100));
            Ok(strace)
        },
        |strace: io::Result<Child>| -> io::Result<()> {
            let mut strace = strace?;
            Command::new("kill")
                .args(["-INT", &strace.id().to_string()])
                .status()?;
            strace.wait()?;
            Ok(())
        },
    );
    result?;
    let text = std::fs::read_to_string(&out)?;
    let _ = std::fs::remove_file(&out);
    let mut counts: Vec<(String, u64)> = text
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 5 || fields[0].starts_with('%') || fields[0].starts_with('-') {
                return None;
            }
            Some((fields.last()?.to_string(), fields[3].parse().ok()?))
        })
        .filter(|(name, _)| name != "total")
        .collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    Ok(counts)
}

fn print_strace(kind: Kind, counts: &[(String, u64)], round_trips: u64) {
    let total: u64 = counts.iter().map(|c| c.1).sum();
    let rt = round_trips as f64;
    let top: Vec<String> = counts
        .iter()
        .take(6)
        .map(|(name, n)| format!("{name} {:.3}", *n as f64 / rt))
        .collect();
    println!(
        "  {:<13} {:>6.3} per round trip ({})",
        kind.name(),
        total as f64 / rt,
        top.join(", ")
    );
}

/// The server's `VmRSS` (kB) before and after `n` idle connections.
fn idle_memory(server: &ServerProc, n: usize) -> io::Result<(u64, u64)> {
    let pid = server.pid;
    let base_fds = fd_count(pid)?;
    let before = vm_rss_kb(pid)?;
    let mut conns = Vec::with_capacity(n);
    for _ in 0..n {
        conns.push(std::net::TcpStream::connect(server.addr)?);
    }
    let wait_for = |done: &dyn Fn(usize) -> bool| -> io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(fd_count(pid)?) {
            if Instant::now() > deadline {
                return Err(io::Error::other("the server did not accept/close in 20 s"));
            }
            thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    };
    wait_for(&|fds| fds >= base_fds + n)?;
    thread::sleep(Duration::from_millis(200));
    let after = vm_rss_kb(pid)?;
    drop(conns);
    wait_for(&|fds| fds <= base_fds)?;
    Ok((before, after))
}

// ---------------------------------------------------------------------------
// Reporting.

#[derive(Debug, Clone, Copy)]
struct Summary {
    /// Median, min, max round trips/s.
    rate: [f64; 3],
    /// Server CPU µs per round trip (stat ticks): median, min, max.
    cpu_ticks: [f64; 3],
    /// Server CPU µs per round trip (schedstat): median, min, max.
    cpu_sched: [f64; 3],
    /// Client CPU µs per round trip, median.
    client: f64,
    /// Median over runs of each run's p50 / p99, µs.
    p50: f64,
    p99: f64,
    /// Mean server ticks per run.
    ticks_per_run: f64,
    /// Server user-space CPU µs per round trip, pooled over the runs (the
    /// ticks of one run are too few).
    user: f64,
    /// Median over runs of the slowest connection's time over the fastest's.
    spread: f64,
}

fn med_min_max(mut v: Vec<f64>) -> [f64; 3] {
    v.sort_by(f64::total_cmp);
    [v[v.len() / 2], v[0], v[v.len() - 1]]
}

impl Summary {
    fn from_samples(samples: Vec<Sample>) -> Summary {
        let of = |f: fn(&Sample) -> f64| med_min_max(samples.iter().map(f).collect());
        Summary {
            rate: of(Sample::rate),
            cpu_ticks: of(Sample::server_us_ticks),
            cpu_sched: of(Sample::server_us_sched),
            client: of(Sample::client_us)[0],
            p50: of(|s| f64::from(s.p50_ns) / 1e3)[0],
            p99: of(|s| f64::from(s.p99_ns) / 1e3)[0],
            spread: of(|s| s.spread)[0],
            user: samples.iter().map(|s| s.server_user_ticks).sum::<u64>() as f64 / USER_HZ * 1e6
                / samples.iter().map(|s| s.round_trips).sum::<u64>() as f64,
            ticks_per_run: samples.iter().map(|s| s.server_ticks as f64).sum::<f64>()
                / samples.len() as f64,
        }
    }
}

fn print_report(
    config: &Config,
    servers: &[ServerProc],
    summaries: &[Summary],
    thread_cpu: &[BTreeMap<String, u64>],
) {
    println!();
    println!(
        "{:<17}{:>22}{:>16}{:>20}{:>12}{:>12}{:>10}{:>10}{:>8}",
        "server",
        "round trips/s",
        "srv CPU us/rt",
        "srv CPU us/rt",
        "srv user",
        "cli CPU",
        "p50 us",
        "p99 us",
        "spread"
    );
    println!(
        "{:<17}{:>22}{:>16}{:>20}{:>12}{:>12}{:>10}{:>10}{:>8}",
        "", "median [min-max]", "(stat ticks)", "(schedstat) [range]", "us/rt", "us/rt", "", "", ""
    );
    for (server, s) in servers.iter().zip(summaries) {
        println!(
            "{:<17}{:>22}{:>16.2}{:>20}{:>12.2}{:>12.2}{:>10.1}{:>10.1}{:>8.2}",
            format!("{}({})", server.kind.name(), config.loops),
            format!(
                "{:.1}k [{:.1}-{:.1}]",
                s.rate[0] / 1e3,
                s.rate[1] / 1e3,
                s.rate[2] / 1e3
            ),
            s.cpu_ticks[0],
            format!(
                "{:.2} [{:.2}-{:.2}]",
                s.cpu_sched[0], s.cpu_sched[1], s.cpu_sched[2]
            ),
            s.user,
            s.client,
            s.p50,
            s.p99,
            s.spread,
        );
    }
    println!(
        "\nrates and CPU are per run, the median of {} runs; p50/p99 are each run's \
         percentiles over all its round trips, median over runs; spread = the slowest \
         connection's total round-trip time over the fastest one's (1.00: perfectly fair), \
         median over runs; srv user = the server's utime alone (user space: runtime, handler, \
         libc; the rest is the kernel's TCP path), pooled over the runs. Server CPU ticks per \
         run (USER_HZ {}): {}.",
        config.knobs.runs,
        USER_HZ,
        servers
            .iter()
            .zip(summaries)
            .map(|(sv, s)| format!("{} {:.0}", sv.kind.name(), s.ticks_per_run))
            .collect::<Vec<_>>()
            .join(", ")
    );

    println!(
        "\nratios (netloop vs tokio; above 1.00x netloop is better): round trips/s = nl/tokio; \
         server CPU per round trip = tokio/nl (schedstat, stat ticks); user = the same for user \
         time alone; p50, p99 = tokio/nl"
    );
    let pos = |kind: Kind| servers.iter().position(|s| s.kind == kind);
    for nl in [Kind::NlServe, Kind::NlReuseport] {
        for tk in [Kind::TokioMt, Kind::TokioTpc] {
            let (Some(a), Some(b)) = (pos(nl), pos(tk)) else {
                continue;
            };
            let (n, t) = (&summaries[a], &summaries[b]);
            println!(
                "  {:<13} / {:<10} rt/s {:.2}x   CPU/rt {:.2}x ({:.2}x)   user {:.2}x   p50 {:.2}x   \
                 p99 {:.2}x",
                nl.name(),
                tk.name(),
                n.rate[0] / t.rate[0],
                t.cpu_sched[0] / n.cpu_sched[0],
                t.cpu_ticks[0] / n.cpu_ticks[0],
                t.user / n.user,
                t.p50 / n.p50,
                t.p99 / n.p99,
            );
        }
    }

    println!("\nserver threads' share of the server's CPU over the measured runs (schedstat):");
    for (server, threads) in servers.iter().zip(thread_cpu) {
        let total: u64 = threads.values().sum();
        let shares: Vec<String> = threads
            .iter()
            .filter(|(_, ns)| **ns > 0)
            .map(|(name, ns)| format!("{name} {:.0}%", *ns as f64 * 100.0 / total.max(1) as f64))
            .collect();
        println!("  {:<13} {}", server.kind.name(), shares.join(", "));
    }
}

/// Every measured run, in the order they ran (kinds interleaved).
fn print_runs(
    servers: &[ServerProc],
    samples: &[Vec<Sample>],
    discarded: &[usize],
    config: &Config,
) {
    println!(
        "\nevery measured run, in order (round trips/s, server CPU us/rt by schedstat, p50/p99 \
         us, spread, the server's voluntary/involuntary context switches per 100 round trips, \
         and the share of the machine's CPU that other processes used / that was stolen by the \
         hypervisor during the run):"
    );
    let ncpu = thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    for (server, runs) in servers.iter().zip(samples) {
        let cells: Vec<String> = runs
            .iter()
            .map(|s| {
                format!(
                    "{:.1}k {:.2} {:.0}/{:.0} {:.1} cs {:.1}/{:.1} {:.0}%/{:.0}%",
                    s.rate() / 1e3,
                    s.server_us_sched(),
                    f64::from(s.p50_ns) / 1e3,
                    f64::from(s.p99_ns) / 1e3,
                    s.spread,
                    s.switches[0] as f64 * 100.0 / s.round_trips as f64,
                    s.switches[1] as f64 * 100.0 / s.round_trips as f64,
                    s.foreign_share(ncpu) * 100.0,
                    s.steal as f64 / (s.elapsed.as_secs_f64() * USER_HZ * ncpu as f64) * 100.0,
                )
            })
            .collect();
        println!("  {:<13} {}", server.kind.name(), cells.join(" | "));
    }
    println!(
        "runs redone because other processes used more than {:.0}% of the machine's CPU \
         (at most {MAX_REDO} redos per run): {}",
        config.max_foreign * 100.0,
        servers
            .iter()
            .zip(discarded)
            .map(|(s, n)| format!("{} {n}", s.kind.name()))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
