//! Echo benchmark: netloop's servers side by side with tokio's and with a
//! hand-written raw-epoll server (the limit), every one in a child process
//! under the same independent load.
//!
//! `cargo bench -p netloop-benches --bench echo` re-executes this binary
//! once per server kind (`NETLOOP_BENCH_CHILD_KIND` names it; the child
//! pins itself, prints `ADDR <addr>` and serves until its stdin closes):
//! `raw-epoll`, `nl-gnet`, `nl-serve`, `nl-reuseport`, `nl-spawn`, `tokio-mt`,
//! `tokio-tpc` (see `servers/`). The load generator (`loadgen/`) is not
//! netloop: raw epoll on `libc`, one thread per load CPU, each connection
//! doing request/response ping-pong. Passes, in order:
//!
//! 1. `main`: a warm-up then `NETLOOP_BENCH_RUNS` windows per server,
//!    interleaved: round trips/s, server CPU per round trip (schedstat;
//!    utime, stime), context switches, p50/p99/p99.9 latency, load
//!    generator busy %, other processes' CPU share (runs crowded past
//!    `NETLOOP_BENCH_MAX_FOREIGN` are redone, at most twice);
//! 2. `strace`: syscalls per round trip by family, with a think time on
//!    few connections (the server goes idle between requests) and at think
//!    time 0 on the main connections;
//! 3. `idle`: `VmRSS` per idle connection, and the fd count that proves
//!    they were accepted;
//! 4. `callgrind`: user-space instructions per round trip, each server in
//!    a fresh child under `valgrind --tool=callgrind` with one loop.
//!
//! Every table has a column per server, the median over runs with
//! min–max and every run, and ratios to `raw-epoll` and `tokio-tpc`.
//!
//! Environment knobs (defaults in brackets):
//! - `NETLOOP_BENCH_QUICK`: 1 for a short smoke run: 1 run, 20,000 round
//!   trips, 1,000 per strace/callgrind window, 1,000 idle connections,
//!   each unless set explicitly [0];
//! - `NETLOOP_BENCH_ONLY`: comma-separated servers [all];
//! - `NETLOOP_BENCH_WORKLOADS`: comma-separated passes: `main`, `strace`,
//!   `idle`, `callgrind` [all];
//! - `NETLOOP_BENCH_RUNS`: measured runs per server [5];
//! - `NETLOOP_BENCH_LOOPS`: server loops/threads [1];
//! - `NETLOOP_BENCH_SERVER_CPUS`: CPU list the server processes are pinned
//!   to, `taskset -c` syntax, `none` for unpinned [0 on 2+ CPUs];
//! - `NETLOOP_BENCH_CLIENT_CPUS`: CPU list for the load threads, thread i
//!   on the i-th (round-robin) [1 on 2+ CPUs];
//! - `NETLOOP_BENCH_CLIENT_THREADS`: load threads, each with its share of
//!   the connections and round trips [1];
//! - `NETLOOP_BENCH_CONNS`: connections [64];
//! - `NETLOOP_BENCH_SIZE`: request bytes [64];
//! - `NETLOOP_BENCH_THINK_US`: think time per round trip in the main pass,
//!   µs [0];
//! - `NETLOOP_BENCH_ROUND_TRIPS`: round trips per measured run [200,000];
//!   the warm-up does a quarter;
//! - `NETLOOP_BENCH_DURATION`: seconds per measured run instead of a
//!   round-trip count [unset];
//! - `NETLOOP_BENCH_SCALE`: multiplies every round-trip count [1];
//! - `NETLOOP_BENCH_MAX_FOREIGN`: % of the CPUs in play that other
//!   processes may use during a run before it is redone [10; 100 in quick
//!   mode];
//! - `NETLOOP_BENCH_STRACE_ROUND_TRIPS`: round trips per strace window
//!   [5,000];
//! - `NETLOOP_BENCH_STRACE_THINK_US`: think time of the first strace
//!   window [200];
//! - `NETLOOP_BENCH_STRACE_CONNS`: connections of the first strace window
//!   [1];
//! - `NETLOOP_BENCH_CALLGRIND_ROUND_TRIPS`: round trips per callgrind
//!   window [5,000];
//! - `NETLOOP_BENCH_KEEP_PROFILES`: 1 keeps the callgrind profiles (their
//!   folder is printed) for `callgrind_annotate` [0];
//! - `NETLOOP_BENCH_IDLE`: idle connections of the memory pass [10,000].
//!
//! A scaling matrix on a 16-core machine, e.g.:
//! `NETLOOP_BENCH_LOOPS=4 NETLOOP_BENCH_SERVER_CPUS=0-3
//! NETLOOP_BENCH_CLIENT_CPUS=4-15 NETLOOP_BENCH_CLIENT_THREADS=12
//! NETLOOP_BENCH_CONNS=768`.
//!
//! This file owns the orchestration only: which passes run on which
//! servers, in which order.

mod callgrind;
mod config;
mod histogram;
mod idle;
mod loadgen;
mod report;
mod servers;
mod sys;
mod syscalls;
mod throughput;

use std::time::{Duration, Instant};

use netloop_benches::child::{self, ServerProc, Spawn};
use netloop_benches::{cpus, tool_available};

use config::Config;

fn main() {
    if let Some(kind) = child::kind_from_env() {
        servers::child_main(&kind);
    }
    let started = Instant::now();
    let config = Config::from_env();
    let _ = cpus::raise_nofile_limit();
    let kinds: Vec<&servers::Kind> = servers::KINDS
        .iter()
        .filter(|k| config.knobs.runtime_enabled(k.name))
        .collect();
    let names: Vec<String> = kinds.iter().map(|k| k.name.to_owned()).collect();
    report::header(&config, &kinds);

    if ["main", "strace", "idle"].iter().any(|p| config.pass(p)) {
        let servers: Vec<ServerProc> = kinds
            .iter()
            .map(|k| {
                ServerProc::spawn(&Spawn::server(
                    k.name,
                    config.loops,
                    &config.server_cpus,
                    Vec::new(),
                    Duration::from_secs(30),
                ))
                .unwrap_or_else(|e| panic!("starting {}: {e}", k.name))
            })
            .collect();
        if config.pass("main") {
            let results = throughput::run(&config, &servers);
            throughput::report(&config, &names, &results);
        }
        if config.pass("strace") {
            if tool_available("strace", "-V") {
                let results = syscalls::run(&config, &servers);
                syscalls::report(&config, &names, &results);
            } else {
                println!("\nstrace pass skipped: no strace on PATH");
            }
        }
        if config.pass("idle") && config.idle > 0 {
            let results: Vec<_> = servers
                .iter()
                .map(|s| idle::measure(s, config.idle).map_err(|e| e.to_string()))
                .collect();
            idle::report(config.idle, &names, &results);
        }
        for server in servers {
            server.stop();
        }
    }
    if config.pass("callgrind") {
        if netloop_benches::callgrind::available() {
            let results = callgrind::run(
                &config,
                &names.iter().map(String::as_str).collect::<Vec<_>>(),
            );
            callgrind::report(&config, &names, &results);
        } else {
            println!("\ncallgrind pass skipped: valgrind or callgrind_control missing");
        }
    }
    println!(
        "\ntotal benchmark time: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
