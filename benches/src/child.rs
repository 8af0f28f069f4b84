//! Benchmark servers as child processes: this same binary re-executed with
//! [`KIND_ENV`] naming the server kind. A child announces `ADDR <addr>` on
//! stdout and serves until its stdin closes; the parent keeps a
//! [`ServerProc`] per child and closes its stdin to stop it.
//!
//! This owns the process plumbing only: it knows no server kind, no load
//! and no measurement.

use std::any::Any;
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Names the server kind in a child's environment.
pub const KIND_ENV: &str = "NETLOOP_BENCH_CHILD_KIND";
/// A server child's loops/threads.
pub const LOOPS_ENV: &str = "NETLOOP_BENCH_LOOPS";
/// The CPUs a server child pins itself to (`taskset -c` syntax, `none`).
pub const SERVER_CPUS_ENV: &str = "NETLOOP_BENCH_SERVER_CPUS";

/// What a kind's start function gives: the address it listens on, and
/// whatever must stay alive while it serves.
pub type Started = (SocketAddr, Box<dyn Any>);

/// A server kind of a benchmark.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// Its name on the command line and in the report.
    pub name: &'static str,
    /// One line for the report's header.
    pub about: &'static str,
    /// Starts serving with the given loops/threads (127.0.0.1, any port).
    pub start: fn(usize) -> io::Result<Started>,
}

/// In a child: the whole life of the server `kind`. Pins the process to
/// [`SERVER_CPUS_ENV`] before any thread starts, raises `RLIMIT_NOFILE`,
/// starts the kind with [`LOOPS_ENV`] loops, then
/// [`announce_and_serve`]s.
///
/// # Panics
///
/// On a bad CPU list, a failed pinning, or a server that does not start.
pub fn serve_kind(kind: &Kind) -> ! {
    let server_cpus = std::env::var(SERVER_CPUS_ENV).unwrap_or_default();
    let server_cpus = crate::cpus::parse_list(&server_cpus).unwrap_or_else(|e| panic!("{e}"));
    crate::cpus::pin_current_thread(&server_cpus).expect("pinning the server");
    let _ = crate::cpus::raise_nofile_limit();
    let loops: usize = crate::env_var(LOOPS_ENV, 1);
    let (addr, _keep) = (kind.start)(loops.max(1))
        .unwrap_or_else(|e| panic!("starting the {} server: {e}", kind.name));
    announce_and_serve(addr)
}

/// The server kind this process is to run, when it is a child.
pub fn kind_from_env() -> Option<String> {
    std::env::var(KIND_ENV).ok()
}

/// In a child: prints `ADDR <addr>`, then blocks until stdin closes (the
/// parent stopped it or died) and exits the process with status 0.
pub fn announce_and_serve(addr: SocketAddr) -> ! {
    {
        let mut out = io::stdout().lock();
        writeln!(out, "ADDR {addr}").expect("stdout");
        out.flush().expect("stdout");
    }
    let mut sink = String::new();
    let mut stdin = io::stdin().lock();
    while matches!(stdin.read_line(&mut sink), Ok(n) if n > 0) {
        sink.clear();
    }
    std::process::exit(0);
}

/// How to start a server child.
#[derive(Debug, Clone, Default)]
pub struct Spawn {
    /// The server kind ([`KIND_ENV`]).
    pub kind: String,
    /// Extra environment for the child.
    pub env: Vec<(String, String)>,
    /// A command that runs the binary, e.g. `valgrind --tool=callgrind`;
    /// empty runs it directly. The wrapper must exec the binary in its own
    /// process (valgrind, taskset do) so that the child's pid is the
    /// server's.
    pub wrapper: Vec<OsString>,
    /// How long to wait for `ADDR`.
    pub timeout: Duration,
}

impl Spawn {
    /// A server child of `kind` with `loops` loops pinned to `cpus`,
    /// run through `wrapper` (empty: directly), given `timeout` to announce
    /// its address.
    pub fn server(
        kind: &str,
        loops: usize,
        cpus: &[usize],
        wrapper: Vec<OsString>,
        timeout: Duration,
    ) -> Spawn {
        Spawn {
            kind: kind.to_owned(),
            env: vec![
                (LOOPS_ENV.to_owned(), loops.to_string()),
                (SERVER_CPUS_ENV.to_owned(), crate::cpus::format_list(cpus)),
            ],
            wrapper,
            timeout,
        }
    }
}

/// A running server child.
#[derive(Debug)]
pub struct ServerProc {
    /// The server kind.
    pub kind: String,
    /// The server's process id.
    pub pid: u32,
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
    /// Closing it stops the server.
    stdin: Option<ChildStdin>,
    /// Drained on a thread of its own, so that the child never blocks on
    /// a full pipe.
    _stdout: Option<std::thread::JoinHandle<()>>,
}

impl ServerProc {
    /// Starts this binary as the server `spec.kind` and waits for its
    /// address.
    ///
    /// # Errors
    ///
    /// The child could not start, exited or printed no address in time.
    pub fn spawn(spec: &Spawn) -> io::Result<ServerProc> {
        let exe = std::env::current_exe()?;
        let mut command = match spec.wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        command.env(KIND_ENV, &spec.kind);
        for (key, value) in &spec.env {
            command.env(key, value);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (addr_tx, addr_rx) = mpsc::channel();
        let reader = std::thread::spawn(move || read_addr(stdout, &addr_tx));
        let timeout = if spec.timeout.is_zero() {
            Duration::from_secs(30)
        } else {
            spec.timeout
        };
        let addr = match addr_rx.recv_timeout(timeout) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io::Error::other(format!(
                    "server {} printed no address within {timeout:?}",
                    spec.kind
                )));
            }
        };
        Ok(ServerProc {
            kind: spec.kind.clone(),
            pid: child.id(),
            addr,
            stdin: child.stdin.take(),
            child,
            _stdout: Some(reader),
        })
    }

    /// Stops the server (closes its stdin) and waits for it to exit.
    pub fn stop(mut self) {
        self.stop_in_place();
    }

    fn stop_in_place(&mut self) {
        if self.stdin.take().is_some() {
            let _ = self.child.wait();
        }
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        self.stop_in_place();
    }
}

/// Reads the child's stdout: sends the first `ADDR` line's address, then
/// drains the rest until the child closes it.
fn read_addr(stdout: ChildStdout, addr_tx: &mpsc::Sender<SocketAddr>) {
    let mut sent = false;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if !sent
            && let Some(addr) = line.trim().strip_prefix("ADDR ")
            && let Ok(addr) = addr.parse()
        {
            let _ = addr_tx.send(addr);
            sent = true;
        }
    }
}
