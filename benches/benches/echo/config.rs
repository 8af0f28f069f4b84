//! The echo bench's knobs, read once from the environment (every
//! `NETLOOP_BENCH_*` variable it honours is listed in `main.rs`'s module
//! doc and in `benches/README.md`), with the defaults and the quick mode.
//!
//! It knows the knobs' names and defaults, and nothing about how they are
//! used.

use std::time::Duration;

use netloop_benches::{Knobs, cpus, env_var};

use crate::loadgen::Stop;

/// Everything the run is told.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Runs, scale, the server list (`NETLOOP_BENCH_ONLY`) and the pass
    /// list (`NETLOOP_BENCH_WORKLOADS`).
    pub(crate) knobs: Knobs,
    /// `NETLOOP_BENCH_QUICK`: a short smoke run.
    pub(crate) quick: bool,
    /// Server loops/threads.
    pub(crate) loops: usize,
    /// The CPUs the server process is pinned to (empty: not pinned).
    pub(crate) server_cpus: Vec<usize>,
    /// The CPUs the load threads are pinned to, round-robin.
    pub(crate) client_cpus: Vec<usize>,
    /// Load threads.
    pub(crate) client_threads: usize,
    /// Connections of the main pass (and of the think-0 strace pass).
    pub(crate) conns: usize,
    /// Request bytes.
    pub(crate) size: usize,
    /// Think time of the main pass.
    pub(crate) think: Duration,
    /// When a measured window of the main pass ends.
    pub(crate) stop: Stop,
    /// The warm-up window before the measured ones.
    pub(crate) warmup: Stop,
    /// A run during which other processes used more than this share of
    /// the CPUs in play is redone (at most twice).
    pub(crate) max_foreign: f64,
    /// Round trips per strace window.
    pub(crate) strace_round_trips: u64,
    /// Think time of the first strace pass.
    pub(crate) strace_think: Duration,
    /// Connections of the first strace pass.
    pub(crate) strace_conns: usize,
    /// Round trips per callgrind window.
    pub(crate) callgrind_round_trips: u64,
    /// Idle connections of the memory pass (0 skips it).
    pub(crate) idle: usize,
}

/// The default measured window: this many round trips.
const ROUND_TRIPS: u64 = 200_000;

impl Config {
    /// Reads the environment.
    ///
    /// # Panics
    ///
    /// On a knob that does not parse.
    pub(crate) fn from_env() -> Config {
        let quick = env_var::<u32>("NETLOOP_BENCH_QUICK", 0) != 0;
        let knobs = Knobs::from_env(if quick { 1 } else { 5 });
        let q = |full: u64, smoke: u64| if quick { smoke } else { full };
        let nproc = cpus::available();
        let list = |name: &str, default: &str| {
            let v = std::env::var(name).unwrap_or_else(|_| default.to_owned());
            cpus::parse_list(&v).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let (server_default, client_default) = if nproc >= 2 {
            ("0", "1")
        } else {
            ("none", "none")
        };
        let conns: usize = env_var("NETLOOP_BENCH_CONNS", 64);
        let size: usize = env_var("NETLOOP_BENCH_SIZE", 64);
        let loops: usize = env_var("NETLOOP_BENCH_LOOPS", 1);
        assert!(
            conns >= 1 && size >= 1 && loops >= 1,
            "connections, size and loops must be at least 1"
        );
        let duration: f64 = env_var("NETLOOP_BENCH_DURATION", 0.0);
        let round_trips = knobs.scaled(
            env_var("NETLOOP_BENCH_ROUND_TRIPS", q(ROUND_TRIPS, 20_000)),
            1,
        );
        let (stop, warmup) = if duration > 0.0 {
            let d = Duration::from_secs_f64(duration);
            (Stop::After(d), Stop::After(d / 4))
        } else {
            (
                Stop::RoundTrips(round_trips),
                Stop::RoundTrips((round_trips / 4).max(1)),
            )
        };
        Config {
            quick,
            loops,
            server_cpus: list("NETLOOP_BENCH_SERVER_CPUS", server_default),
            client_cpus: list("NETLOOP_BENCH_CLIENT_CPUS", client_default),
            client_threads: env_var("NETLOOP_BENCH_CLIENT_THREADS", 1usize).max(1),
            conns,
            size,
            think: Duration::from_micros(env_var("NETLOOP_BENCH_THINK_US", 0)),
            stop,
            warmup,
            max_foreign: env_var::<f64>(
                "NETLOOP_BENCH_MAX_FOREIGN",
                if quick { 100.0 } else { 10.0 },
            ) / 100.0,
            strace_round_trips: knobs.scaled(
                env_var("NETLOOP_BENCH_STRACE_ROUND_TRIPS", q(5_000, 1_000)),
                1,
            ),
            strace_think: Duration::from_micros(env_var("NETLOOP_BENCH_STRACE_THINK_US", 200)),
            strace_conns: env_var("NETLOOP_BENCH_STRACE_CONNS", 1usize).max(1),
            callgrind_round_trips: knobs.scaled(
                env_var("NETLOOP_BENCH_CALLGRIND_ROUND_TRIPS", q(5_000, 1_000)),
                1,
            ),
            idle: env_var("NETLOOP_BENCH_IDLE", q(10_000, 1_000) as usize),
            knobs,
        }
    }

    /// The CPUs whose busy time the foreign-load check reads: the
    /// server's and the load's, or every CPU when either is unpinned.
    pub(crate) fn cpus_in_play(&self) -> Vec<usize> {
        if self.server_cpus.is_empty() || self.client_cpus.is_empty() {
            return Vec::new();
        }
        let mut all: Vec<usize> = self
            .server_cpus
            .iter()
            .chain(self.client_cpus.iter().take(self.client_threads))
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Whether pass `name` (`main`, `strace`, `callgrind`, `idle`) runs.
    pub(crate) fn pass(&self, name: &str) -> bool {
        self.knobs.workload_enabled(name)
    }
}

impl Stop {
    /// For the report: `200000 round trips` or `5.0 s`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Stop::RoundTrips(n) => format!("{n} round trips"),
            Stop::After(d) => format!("{:.1} s", d.as_secs_f64()),
        }
    }
}
