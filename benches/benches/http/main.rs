//! HTTP benchmark: hyper on netloop side by side with hyper on tokio,
//! every server in a child process, `wrk` as the load.
//!
//! `cargo bench -p netloop-benches --features hyper --bench http` (the
//! `hyper` feature turns on hyper, hyper-util, http-body-util and
//! netloop's `tokio` feature) re-executes this binary once per server kind
//! (see `servers.rs`: `nl-hyper`, `tokio-hyper`, `tokio-mt-hyper`), each
//! pinned to the server CPUs with one loop by default, serving one route
//! (200, `Hello, World!`) over HTTP/1.1. wrk (`wrk.rs`; installed with
//! `apt-get` when missing) runs pinned to the load CPUs. Passes:
//!
//! 1. `wrk`: per connection count, a 1 s warm-up then `NETLOOP_BENCH_RUNS`
//!    runs per server, servers interleaved round-robin: requests/s, the
//!    server's CPU per request (schedstat), wrk's p50/p75/p90/p99 latency,
//!    other processes' share of the CPUs in play (crowded runs are redone);
//!    medians with min–max and every run, ratios to `tokio-hyper`;
//! 2. `strace`: `strace -c -f` on every server thread while wrk runs a
//!    fixed duration: syscalls per request by family (requests counted by
//!    wrk; its connects fall inside the window, so accept and close show);
//! 3. `callgrind`: user-space instructions per request (`callgrind.rs`),
//!    each server in a fresh child under `valgrind --tool=callgrind` with
//!    one loop on the first server CPU: a `wrk -t1 -c16` warm-up, a
//!    counter dump (discarded), a measured `wrk -t1 -c64`, a dump; its Ir
//!    over the requests wrk completed, stable where requests/s are not
//!    (wrk's connection setups fall inside the window).
//!
//! Environment knobs (defaults in brackets):
//! - `NETLOOP_BENCH_QUICK`: 1 for a smoke run: 1 run of 1 s per cell, a
//!   1 s strace window, a 2 s callgrind window, each unless set
//!   explicitly (and a 1 s callgrind warm-up) [0];
//! - `NETLOOP_BENCH_ONLY`: comma-separated servers [all];
//! - `NETLOOP_BENCH_WORKLOADS`: comma-separated passes, `wrk`, `strace`,
//!   `callgrind` [all];
//! - `NETLOOP_BENCH_RUNS`: measured runs per cell [5];
//! - `NETLOOP_BENCH_LOOPS`: server loops/threads [1];
//! - `NETLOOP_BENCH_SERVER_CPUS`: CPU list of the servers, `none` for
//!   unpinned [0 on 2+ CPUs];
//! - `NETLOOP_BENCH_CLIENT_CPUS`: CPU list wrk runs on (`taskset -c`)
//!   [1 on 2+ CPUs];
//! - `NETLOOP_BENCH_CLIENT_THREADS`: wrk's `-t` [1];
//! - `NETLOOP_BENCH_CONNS`: comma-separated connection counts, wrk's `-c`
//!   [64,256];
//! - `NETLOOP_BENCH_DURATION`: seconds per wrk run [5];
//! - `NETLOOP_BENCH_STRACE_CONNS`: connections of the strace window [16];
//! - `NETLOOP_BENCH_STRACE_DURATION`: seconds of the strace window [2];
//! - `NETLOOP_BENCH_CALLGRIND_CONNS`: wrk's `-c` in the callgrind window
//!   [64];
//! - `NETLOOP_BENCH_CALLGRIND_DURATION`: seconds of the callgrind window
//!   [5]; its warm-up runs 2 s;
//! - `NETLOOP_BENCH_MAX_FOREIGN`: % of the CPUs in play that other
//!   processes (beyond the server, wrk and this one) may use during a run
//!   before it is redone, twice at most [10; 100 in quick mode].
//!
//! This file owns the knobs, the orchestration and the wrk and strace
//! reports.

mod callgrind;
mod servers;
mod wrk;

use std::time::{Duration, Instant};

use netloop_benches::child::{self, ServerProc, Spawn};
use netloop_benches::proc_stats::{Cpu, MachineCpu, children_cpu, user_hz};
use netloop_benches::strace::{Counts, Strace};
use netloop_benches::table::{Grid, dash, measurement};
use netloop_benches::{Knobs, cpus, env_var, tool_available};

/// The column every ratio divides by.
const BASELINES: &[&str] = &["tokio-hyper"];
/// Redos of one run at most, when other processes crowded it.
const MAX_REDO: usize = 2;

/// The knobs.
#[derive(Debug, Clone)]
struct Config {
    knobs: Knobs,
    quick: bool,
    loops: usize,
    server_cpus: Vec<usize>,
    client_cpus: Vec<usize>,
    client_threads: usize,
    conns: Vec<usize>,
    duration: Duration,
    strace_conns: usize,
    strace_duration: Duration,
    callgrind_conns: usize,
    callgrind_warmup: Duration,
    callgrind_duration: Duration,
    /// %: a run during which other processes used more of the CPUs in
    /// play is redone.
    max_foreign: f64,
}

impl Config {
    fn from_env() -> Config {
        let quick = env_var::<u32>("NETLOOP_BENCH_QUICK", 0) != 0;
        let (server_default, client_default) = if cpus::available() >= 2 {
            ("0", "1")
        } else {
            ("none", "none")
        };
        let list = |name: &str, default: &str| {
            let v = std::env::var(name).unwrap_or_else(|_| default.to_owned());
            cpus::parse_list(&v).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let conns: Vec<usize> = std::env::var("NETLOOP_BENCH_CONNS")
            .unwrap_or_else(|_| "64,256".to_owned())
            .split(',')
            .map(|c| {
                c.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("NETLOOP_BENCH_CONNS: bad count {c:?}"))
            })
            .collect();
        let secs = |name: &str, full: f64, smoke: f64| {
            Duration::from_secs_f64(env_var(name, if quick { smoke } else { full }).max(1.0))
        };
        Config {
            knobs: Knobs::from_env(if quick { 1 } else { 5 }),
            quick,
            loops: env_var("NETLOOP_BENCH_LOOPS", 1usize).max(1),
            server_cpus: list("NETLOOP_BENCH_SERVER_CPUS", server_default),
            client_cpus: list("NETLOOP_BENCH_CLIENT_CPUS", client_default),
            client_threads: env_var("NETLOOP_BENCH_CLIENT_THREADS", 1usize).max(1),
            conns,
            duration: secs("NETLOOP_BENCH_DURATION", 5.0, 1.0),
            strace_conns: env_var("NETLOOP_BENCH_STRACE_CONNS", 16usize).max(1),
            strace_duration: secs("NETLOOP_BENCH_STRACE_DURATION", 2.0, 1.0),
            callgrind_conns: env_var("NETLOOP_BENCH_CALLGRIND_CONNS", 64usize).max(1),
            callgrind_warmup: Duration::from_secs(if quick { 1 } else { 2 }),
            callgrind_duration: secs("NETLOOP_BENCH_CALLGRIND_DURATION", 5.0, 2.0),
            max_foreign: env_var(
                "NETLOOP_BENCH_MAX_FOREIGN",
                if quick { 100.0 } else { 10.0 },
            ),
        }
    }

    fn load(&self, conns: usize, duration: Duration) -> wrk::Load {
        wrk::Load {
            threads: self.client_threads,
            conns,
            duration,
            cpus: self.client_cpus.clone(),
        }
    }
}

/// One measured wrk run.
#[derive(Debug, Clone)]
struct Sample {
    wrk: wrk::Report,
    /// Server CPU µs per request (schedstat).
    cpu_us: f64,
    /// Other processes' share of the CPUs in play, %.
    foreign: f64,
}

/// One wrk run against `server`, with the server's CPU over it and how
/// much of the CPUs in play (the server's and wrk's; every CPU when either
/// is unpinned) other processes used meanwhile.
fn measure(config: &Config, load: &wrk::Load, server: &ServerProc) -> std::io::Result<Sample> {
    let in_play: Vec<usize> = if config.server_cpus.is_empty() || config.client_cpus.is_empty() {
        Vec::new()
    } else {
        let mut all: Vec<usize> = config
            .server_cpus
            .iter()
            .chain(&config.client_cpus)
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    };
    let me = std::process::id();
    let (server_before, me_before, machine_before, wrk_before) = (
        Cpu::of(server.pid),
        Cpu::of(me),
        MachineCpu::of(&in_play),
        children_cpu(),
    );
    let started = Instant::now();
    let report = load.run(server.addr)?;
    let wall = started.elapsed().as_secs_f64();
    let cpu = Cpu::of(server.pid).since(&server_before);
    let me_cpu = Cpu::of(me).since(&me_before);
    let machine = MachineCpu::of(&in_play).since(&machine_before);
    let wrk_secs = children_cpu().saturating_sub(wrk_before).as_secs_f64();
    let hz = user_hz();
    let ncpus = if in_play.is_empty() {
        cpus::available()
    } else {
        in_play.len()
    };
    let others = machine.busy as f64 / hz - (cpu.ticks() + me_cpu.ticks()) as f64 / hz - wrk_secs;
    Ok(Sample {
        cpu_us: cpu.sched_ns as f64 / 1e3 / report.requests.max(1) as f64,
        foreign: (others.max(0.0) * 100.0 / (wall * ncpus as f64)).min(100.0),
        wrk: report,
    })
}

fn main() {
    if let Some(kind) = child::kind_from_env() {
        servers::child_main(&kind);
    }
    let started = Instant::now();
    let config = Config::from_env();
    let kinds: Vec<&servers::Kind> = servers::KINDS
        .iter()
        .filter(|k| config.knobs.runtime_enabled(k.name))
        .collect();
    let names: Vec<String> = kinds.iter().map(|k| k.name.to_owned()).collect();
    println!(
        "# netloop HTTP benchmark (hyper 1, HTTP/1.1){}",
        if config.quick {
            " (quick smoke run)"
        } else {
            ""
        }
    );
    println!();
    netloop_benches::print_invocation("http", "hyper");
    println!(
        "machine: {} CPUs available; servers pinned to CPUs {} with {} loop(s); wrk -t{} on CPUs \
         {}; {} s per run, {} measured runs per cell, servers interleaved round-robin",
        cpus::available(),
        cpus::format_list(&config.server_cpus),
        config.loops,
        config.client_threads,
        cpus::format_list(&config.client_cpus),
        config.duration.as_secs_f64(),
        config.knobs.runs,
    );
    println!("servers (each a child process; GET / -> 200 text/plain \"Hello, World!\"):");
    for kind in &kinds {
        println!("- `{}`: {}", kind.name, kind.about);
    }
    if let Err(e) = wrk::ensure_installed() {
        eprintln!("http bench: {e}");
        std::process::exit(1);
    }
    println!(
        "load, e.g.: `{}`",
        config
            .load(config.conns[0], config.duration)
            .command("ADDR")
            .join(" ")
    );

    // The wrk and strace passes share one long-lived child per server; the
    // callgrind pass starts its own.
    let shared = config.knobs.workload_enabled("wrk") || config.knobs.workload_enabled("strace");
    let servers: Vec<ServerProc> = kinds
        .iter()
        .filter(|_| shared)
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

    if config.knobs.workload_enabled("wrk") {
        for &conns in &config.conns {
            wrk_pass(&config, &servers, &names, conns);
        }
    }
    if config.knobs.workload_enabled("strace") {
        if tool_available("strace", "-V") {
            strace_pass(&config, &servers, &names);
        } else {
            println!("\nstrace pass skipped: no strace on PATH");
        }
    }
    for server in servers {
        server.stop();
    }
    if config.knobs.workload_enabled("callgrind") {
        if netloop_benches::callgrind::available() {
            let results = callgrind::run(&config, &names);
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

/// The wrk pass at `conns` connections, and its tables.
fn wrk_pass(config: &Config, servers: &[ServerProc], names: &[String], conns: usize) {
    let load = config.load(conns, config.duration);
    let warmup = config.load(conns, Duration::from_secs(1));
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); servers.len()];
    let mut failures: Vec<String> = Vec::new();
    let mut redone: std::collections::BTreeMap<String, usize> = Default::default();
    for run in 0..=config.knobs.runs {
        for (server, samples) in servers.iter().zip(&mut samples) {
            if run == 0 {
                if let Err(e) = warmup.run(server.addr) {
                    failures.push(format!("{} warm-up: {e}", server.kind));
                }
                continue;
            }
            // A run that other processes crowded is redone, twice at most.
            for tries in 0.. {
                match measure(config, &load, server) {
                    Ok(sample) if sample.foreign > config.max_foreign && tries < MAX_REDO => {
                        *redone.entry(server.kind.clone()).or_default() += 1;
                    }
                    Ok(sample) => {
                        samples.push(sample);
                        break;
                    }
                    Err(e) => {
                        failures.push(format!("{} run {run}: {e}", server.kind));
                        break;
                    }
                }
            }
        }
    }
    println!(
        "\n## {conns} connections: `{}` ({} runs; median, min–max, each run; ÷ = ratio of \
         medians)",
        load.command("ADDR").join(" "),
        config.knobs.runs
    );
    let of = |f: &dyn Fn(&Sample) -> f64| -> Vec<Vec<f64>> {
        samples.iter().map(|s| s.iter().map(f).collect()).collect()
    };
    let fixed = |d: usize| move |v: f64| format!("{v:.d$}");
    let table = |title: &str, values: Vec<Vec<f64>>, fmt: &dyn Fn(f64) -> String| {
        measurement(title, names, &values, fmt, BASELINES, true).print();
    };
    table(
        "requests/s (higher is better)",
        of(&|s| s.wrk.rate),
        &netloop_benches::table::si,
    );
    table(
        "server CPU µs per request, schedstat (lower is better)",
        of(&|s| s.cpu_us),
        &fixed(2),
    );
    for p in [50.0, 75.0, 90.0, 99.0] {
        table(
            &format!("wrk latency p{p} µs (lower is better)"),
            of(&|s| s.wrk.latency_us(p).unwrap_or(f64::NAN)),
            &fixed(0),
        );
    }
    measurement(
        "other processes' share of the CPUs in play, %",
        names,
        &of(&|s| s.foreign),
        &fixed(1),
        &[],
        true,
    )
    .print();
    println!(
        "\nruns redone because other processes used more than {:.0}% of the CPUs in play (at \
         most {MAX_REDO} per run): {}",
        config.max_foreign,
        names
            .iter()
            .map(|n| format!("{n} {}", redone.get(n).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (name, samples) in names.iter().zip(&samples) {
        for sample in samples {
            for error in &sample.wrk.errors {
                failures.push(format!("{name}: {error}"));
            }
        }
    }
    for failure in failures {
        println!("{failure}");
    }
}

/// The strace pass, and its table.
fn strace_pass(config: &Config, servers: &[ServerProc], names: &[String]) {
    let load = config.load(config.strace_conns, config.strace_duration);
    let results: Vec<Result<(Counts, u64), String>> = servers
        .iter()
        .map(|server| {
            let strace =
                Strace::attach(server.pid, &config.client_cpus).map_err(|e| e.to_string())?;
            let report = load.run(server.addr);
            let counts = strace.stop().map_err(|e| e.to_string())?;
            let report = report.map_err(|e| e.to_string())?;
            std::thread::sleep(Duration::from_millis(100));
            Ok((counts, report.requests))
        })
        .collect();
    let mut grid = Grid::new(
        format!(
            "## Syscalls per request (strace -c -f on every server thread during `{}`; strace \
             slows the servers, only counts mean anything; wrk's connects fall in the window)",
            load.command("ADDR").join(" ")
        ),
        "syscall",
        names,
    );
    let cell = |f: &dyn Fn(&Counts, f64) -> f64| -> Vec<String> {
        results
            .iter()
            .map(|r| {
                r.as_ref()
                    .map_or(dash(), |(c, n)| format!("{:.3}", f(c, (*n).max(1) as f64)))
            })
            .collect()
    };
    for (label, calls, show_errors) in Counts::FAMILIES {
        grid.row(*label, cell(&|c, n| c.sum(calls).0 as f64 / n));
        if *show_errors {
            grid.row(
                format!("{label} failed (EAGAIN)"),
                cell(&|c, n| c.sum(calls).1 as f64 / n),
            );
        }
    }
    grid.row(
        "other",
        cell(&|c, n| c.others().iter().map(|o| o.1).sum::<u64>() as f64 / n),
    );
    let totals: Vec<Option<f64>> = results
        .iter()
        .map(|r| {
            r.as_ref()
                .ok()
                .map(|(c, n)| c.total() as f64 / (*n).max(1) as f64)
        })
        .collect();
    grid.values_with_ratios("total", &totals, &|v| format!("{v:.3}"), BASELINES);
    grid.row(
        "requests (wrk)",
        results
            .iter()
            .map(|r| r.as_ref().map_or(dash(), |(_, n)| n.to_string()))
            .collect(),
    );
    for (name, r) in names.iter().zip(&results) {
        match r {
            Ok((c, n)) => grid.notes.extend(c.others_note(name, *n)),
            Err(e) => grid.notes.push(format!("{name}: failed: {e}")),
        }
    }
    grid.print();
}
