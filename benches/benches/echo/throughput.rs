//! The main pass: every server under the same ping-pong load, a warm-up
//! then `NETLOOP_BENCH_RUNS` measured windows each, the servers taken
//! round-robin so that a noisy neighbour hurts them alike; per window the
//! round trips/s, the server's CPU per round trip (schedstat; utime and
//! stime apart), context switches, latency percentiles, how busy the load
//! generator was and how much other processes used the CPUs in play. A run
//! that others crowded is redone, at most twice.
//!
//! It knows the load and `/proc`, not how the servers work.

use std::io;
use std::time::Duration;

use netloop_benches::child::ServerProc;
use netloop_benches::proc_stats::{Cpu, MachineCpu, user_hz};
use netloop_benches::table::{self, measurement};

use crate::config::Config;
use crate::loadgen::{Load, Spec, Stop};
use crate::report::BASELINES;

/// Redos of one run at most, when other processes crowded it.
const MAX_REDO: usize = 2;
/// Pause after opening a run's connections, so that the server has
/// accepted them all before the window.
const SETTLE: Duration = Duration::from_millis(50);

/// One measured window against one server.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sample {
    /// Round trips per second.
    pub(crate) rate: f64,
    /// Server CPU µs per round trip, from schedstat (all threads).
    pub(crate) cpu_us: f64,
    /// Server user-space CPU µs per round trip (utime ticks).
    pub(crate) user_us: f64,
    /// Server kernel CPU µs per round trip (stime ticks).
    pub(crate) sys_us: f64,
    /// Server context switches per round trip, voluntary + involuntary.
    pub(crate) switches: f64,
    /// Latency percentiles, µs.
    pub(crate) p50: f64,
    /// 99th.
    pub(crate) p99: f64,
    /// 99.9th.
    pub(crate) p999: f64,
    /// The load threads' busy share, % of a CPU each.
    pub(crate) load_busy: f64,
    /// Other processes' share of the CPUs in play, %.
    pub(crate) foreign: f64,
}

/// The load spec of the main pass.
pub(crate) fn spec(config: &Config, conns: usize, think: Duration) -> Spec {
    Spec {
        conns,
        size: config.size,
        think,
        threads: config.client_threads,
        cpus: config.client_cpus.clone(),
    }
}

/// One window against `server`: connections opened before, closed after.
pub(crate) fn measure(config: &Config, server: &ServerProc, stop: Stop) -> io::Result<Sample> {
    let mut load = Load::connect(&spec(config, config.conns, config.think), server.addr)?;
    std::thread::sleep(SETTLE);
    let me = std::process::id();
    let in_play = config.cpus_in_play();
    let (server_before, me_before, machine_before) =
        (Cpu::of(server.pid), Cpu::of(me), MachineCpu::of(&in_play));
    let outcome = load.run(stop)?;
    let (server_after, me_after, machine_after) =
        (Cpu::of(server.pid), Cpu::of(me), MachineCpu::of(&in_play));
    drop(load);
    let server_cpu = server_after.since(&server_before);
    let me_cpu = me_after.since(&me_before);
    let machine = machine_after.since(&machine_before);
    let hz = user_hz();
    let rts = outcome.round_trips.max(1) as f64;
    let ncpus = if in_play.is_empty() {
        netloop_benches::cpus::available()
    } else {
        in_play.len()
    };
    let window_ticks = outcome.wall.as_secs_f64() * hz * ncpus as f64;
    let foreign = machine
        .busy
        .saturating_sub(server_cpu.ticks() + me_cpu.ticks()) as f64;
    let us = |ticks: u64| ticks as f64 / hz * 1e6 / rts;
    Ok(Sample {
        rate: outcome.rate(),
        cpu_us: server_cpu.sched_ns as f64 / 1e3 / rts,
        user_us: us(server_cpu.user_ticks),
        sys_us: us(server_cpu.sys_ticks),
        switches: (server_cpu.voluntary + server_cpu.involuntary) as f64 / rts,
        p50: outcome.latency.percentile(50.0) as f64 / 1e3,
        p99: outcome.latency.percentile(99.0) as f64 / 1e3,
        p999: outcome.latency.percentile(99.9) as f64 / 1e3,
        load_busy: outcome.busy_percent(),
        foreign: foreign * 100.0 / window_ticks.max(1.0),
    })
}

/// Runs the pass: per server, its measured samples in run order, and how
/// many runs were redone.
pub(crate) fn run(config: &Config, servers: &[ServerProc]) -> Vec<(Vec<Sample>, usize)> {
    let mut results: Vec<(Vec<Sample>, usize)> = vec![(Vec::new(), 0); servers.len()];
    for run in 0..=config.knobs.runs {
        for (server, (samples, redone)) in servers.iter().zip(&mut results) {
            let stop = if run == 0 { config.warmup } else { config.stop };
            let mut tries = 0;
            loop {
                let sample = match measure(config, server, stop) {
                    Ok(sample) => sample,
                    Err(e) => {
                        println!("  {} run {run}: failed: {e}", server.kind);
                        break;
                    }
                };
                if run == 0 {
                    break;
                }
                if sample.foreign <= config.max_foreign * 100.0 || tries == MAX_REDO {
                    samples.push(sample);
                    break;
                }
                tries += 1;
                *redone += 1;
            }
            std::thread::sleep(SETTLE);
        }
    }
    results
}

/// A table of the report: its title, the value it shows, how to print one.
type Measure<'a> = (&'a str, fn(&Sample) -> f64, &'a dyn Fn(f64) -> String);

/// Prints one table per measurement.
pub(crate) fn report(config: &Config, servers: &[String], results: &[(Vec<Sample>, usize)]) {
    let per_run = true;
    let of = |f: fn(&Sample) -> f64| -> Vec<Vec<f64>> {
        results
            .iter()
            .map(|(s, _)| s.iter().map(f).collect())
            .collect()
    };
    let fixed = |d: usize| move |v: f64| format!("{v:.d$}");
    let tables: [Measure<'_>; 10] = [
        ("round trips/s (higher is better)", |s| s.rate, &table::si),
        (
            "server CPU µs per round trip, schedstat, all threads (lower is better)",
            |s| s.cpu_us,
            &fixed(2),
        ),
        (
            "server user-space CPU µs per round trip, utime (lower is better)",
            |s| s.user_us,
            &fixed(2),
        ),
        (
            "server kernel CPU µs per round trip, stime (lower is better)",
            |s| s.sys_us,
            &fixed(2),
        ),
        (
            "server context switches per round trip (lower is better)",
            |s| s.switches,
            &fixed(3),
        ),
        ("latency p50 µs (lower is better)", |s| s.p50, &fixed(1)),
        ("latency p99 µs (lower is better)", |s| s.p99, &fixed(1)),
        ("latency p99.9 µs (lower is better)", |s| s.p999, &fixed(1)),
        (
            "load generator busy, % of its CPU (near 100: the load, not the server, was the limit)",
            |s| s.load_busy,
            &fixed(0),
        ),
        (
            "other processes' share of the CPUs in play, %",
            |s| s.foreign,
            &fixed(1),
        ),
    ];
    println!(
        "\n## Main pass: {} connections x {} B ping-pong, think {} µs, {} per run, {} runs \
         (median, min–max, each run; ÷ = ratio of medians)",
        config.conns,
        config.size,
        config.think.as_micros(),
        config.stop.describe(),
        config.knobs.runs,
    );
    for (i, (title, f, fmt)) in tables.into_iter().enumerate() {
        let baselines: &[&str] = if i >= 8 { &[] } else { BASELINES };
        measurement(title, servers, &of(f), fmt, baselines, per_run).print();
    }
    println!(
        "\nruns redone because other processes used more than {:.0}% of the CPUs in play (at \
         most {MAX_REDO} per run): {}",
        config.max_foreign * 100.0,
        servers
            .iter()
            .zip(results)
            .map(|(s, (_, n))| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
