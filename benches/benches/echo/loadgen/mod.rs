//! The load generator: NOT netloop (an independent load, on raw epoll via
//! `libc`). One or more threads, each pinned to a load CPU and owning its
//! share of the connections; every connection plays request/response
//! ping-pong (send S bytes, wait for the whole echo, record the round
//! trip's latency, optionally think for a fixed time, repeat).
//!
//! [`Load::connect`] opens every connection first; each [`Load::run`] is
//! one measured window that stops after a total round-trip count or a
//! duration (the round trips in flight then finish and count, so that all
//! the work in the window is counted); dropping the [`Load`] closes the
//! connections. It knows nothing about the server or what is measured
//! around a window.

mod worker;

use std::io;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::histogram::Histogram;

/// What load to put on a server.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    /// Connections, over all threads.
    pub(crate) conns: usize,
    /// Request (and echo) bytes.
    pub(crate) size: usize,
    /// Wait after each round trip before a connection's next request.
    pub(crate) think: Duration,
    /// Load threads (at most one per connection).
    pub(crate) threads: usize,
    /// CPUs for the threads: thread i runs on `cpus[i % len]`; empty: not
    /// pinned.
    pub(crate) cpus: Vec<usize>,
}

/// When a window ends.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stop {
    /// After this many round trips, all threads together.
    RoundTrips(u64),
    /// After this long.
    After(Duration),
}

/// What one window gave.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// Round trips completed.
    pub(crate) round_trips: u64,
    /// From the first thread's start to the last one's end.
    pub(crate) wall: Duration,
    /// Every round trip's latency, ns.
    pub(crate) latency: Histogram,
    /// The load threads' CPU time in the window, summed.
    pub(crate) cpu: Duration,
    /// How many load threads ran.
    pub(crate) threads: usize,
}

impl Outcome {
    /// Round trips per second.
    pub(crate) fn rate(&self) -> f64 {
        self.round_trips as f64 / self.wall.as_secs_f64()
    }

    /// The load threads' busy share, % of one CPU each (100: the load
    /// generator, not the server, was the limit).
    pub(crate) fn busy_percent(&self) -> f64 {
        self.cpu.as_secs_f64() * 100.0 / (self.wall.as_secs_f64() * self.threads as f64)
    }
}

/// A command to a load thread.
#[derive(Debug)]
enum Cmd {
    Run(worker::Target),
}

/// Connections open to a server, and their threads.
#[derive(Debug)]
pub(crate) struct Load {
    commands: Vec<mpsc::Sender<Cmd>>,
    results: mpsc::Receiver<io::Result<worker::Report>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Load {
    /// Starts the threads and opens every connection to `addr`; returns
    /// once all are connected.
    ///
    /// # Errors
    ///
    /// A connection failed.
    pub(crate) fn connect(spec: &Spec, addr: SocketAddr) -> io::Result<Load> {
        let threads = spec.threads.clamp(1, spec.conns.max(1));
        let (ready_tx, ready) = mpsc::channel();
        let (results_tx, results) = mpsc::channel();
        let mut load = Load {
            commands: Vec::with_capacity(threads),
            results,
            threads: Vec::with_capacity(threads),
        };
        for i in 0..threads {
            let conns = share(spec.conns as u64, threads, i) as usize;
            let cpu = (!spec.cpus.is_empty()).then(|| spec.cpus[i % spec.cpus.len()]);
            let (cmd_tx, cmd_rx) = mpsc::channel();
            let ready_tx = ready_tx.clone();
            let results_tx = results_tx.clone();
            let setup = worker::Setup {
                addr,
                conns,
                size: spec.size,
                think: spec.think,
                cpu,
            };
            load.commands.push(cmd_tx);
            load.threads
                .push(
                    thread::Builder::new()
                        .name(format!("loadgen-{i}"))
                        .spawn(move || {
                            let mut worker = match worker::Worker::connect(&setup) {
                                Ok(worker) => {
                                    let _ = ready_tx.send(Ok(()));
                                    worker
                                }
                                Err(e) => {
                                    let _ = ready_tx.send(Err(e));
                                    return;
                                }
                            };
                            // Until the `Load` drops its sender.
                            while let Ok(Cmd::Run(target)) = cmd_rx.recv() {
                                let _ = results_tx.send(worker.run(target));
                            }
                        })?,
                );
        }
        for _ in 0..threads {
            ready
                .recv()
                .map_err(|_| io::Error::other("a load thread died while connecting"))??;
        }
        Ok(load)
    }

    /// One window: every thread runs its share of `stop`.
    ///
    /// # Errors
    ///
    /// A connection failed mid-window (the server closed it, reset it or
    /// stopped answering for 10 s).
    pub(crate) fn run(&mut self, stop: Stop) -> io::Result<Outcome> {
        let threads = self.commands.len();
        for (i, commands) in self.commands.iter().enumerate() {
            let target = match stop {
                Stop::RoundTrips(n) => worker::Target::RoundTrips(share(n, threads, i).max(1)),
                Stop::After(d) => worker::Target::Until(Instant::now() + d),
            };
            commands
                .send(Cmd::Run(target))
                .map_err(|_| io::Error::other("a load thread died"))?;
        }
        let mut outcome = Outcome {
            round_trips: 0,
            wall: Duration::ZERO,
            latency: Histogram::default(),
            cpu: Duration::ZERO,
            threads,
        };
        let (mut first, mut last): (Option<Instant>, Option<Instant>) = (None, None);
        let mut failure = None;
        for _ in 0..threads {
            match self.results.recv() {
                Ok(Ok(report)) => {
                    outcome.round_trips += report.round_trips;
                    outcome.latency.merge(&report.latency);
                    outcome.cpu += report.cpu;
                    first = Some(first.map_or(report.start, |f| f.min(report.start)));
                    last = Some(last.map_or(report.end, |l| l.max(report.end)));
                }
                Ok(Err(e)) => failure = Some(e),
                Err(_) => failure = Some(io::Error::other("a load thread died")),
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        if let (Some(first), Some(last)) = (first, last) {
            outcome.wall = last - first;
        }
        Ok(outcome)
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.commands.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Thread `i`'s share of `n` split over `threads`, as evenly as possible.
fn share(n: u64, threads: usize, i: usize) -> u64 {
    let t = threads as u64;
    n / t + u64::from((i as u64) < n % t)
}
