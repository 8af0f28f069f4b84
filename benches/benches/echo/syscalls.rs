//! The strace pass: syscalls per round trip of every server, from
//! `strace -c -f` attached to all its threads for a window of K round
//! trips (the connections are opened before strace attaches and closed
//! after it detaches, so accept and close do not count). Two windows per
//! server: with a think time on few connections, so that the server goes
//! idle between requests (that is when an extra `EAGAIN` read shows), and
//! at think time 0 on the main pass's connections, where requests queue
//! up and a server can batch.
//!
//! strace slows the server down many times over: only the counts mean
//! anything. It knows the load and strace, not how the servers work.

use std::io;
use std::time::Duration;

use netloop_benches::child::ServerProc;
use netloop_benches::strace::{Counts, Strace};
use netloop_benches::table::{Grid, dash};

use crate::config::Config;
use crate::loadgen::{Load, Stop};
use crate::report::BASELINES;
use crate::throughput::spec;

/// One strace window's result.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    counts: Counts,
    round_trips: u64,
}

/// One window against `server`.
fn window(
    config: &Config,
    server: &ServerProc,
    conns: usize,
    think: Duration,
) -> io::Result<Window> {
    let mut load = Load::connect(&spec(config, conns, think), server.addr)?;
    std::thread::sleep(Duration::from_millis(50));
    let strace = Strace::attach(server.pid, &config.client_cpus)?;
    let outcome = load.run(Stop::RoundTrips(config.strace_round_trips));
    let counts = strace.stop()?;
    drop(load);
    Ok(Window {
        counts,
        round_trips: outcome?.round_trips,
    })
}

/// The two windows' settings: (connections, think time).
fn settings(config: &Config) -> [(usize, Duration); 2] {
    [
        (config.strace_conns, config.strace_think),
        (config.conns, Duration::ZERO),
    ]
}

/// Runs the pass: per setting, per server, its window (or why not).
pub(crate) fn run(config: &Config, servers: &[ServerProc]) -> Vec<Vec<Result<Window, String>>> {
    settings(config)
        .iter()
        .map(|&(conns, think)| {
            servers
                .iter()
                .map(|server| {
                    let w = window(config, server, conns, think).map_err(|e| e.to_string());
                    std::thread::sleep(Duration::from_millis(100));
                    w
                })
                .collect()
        })
        .collect()
}

/// Prints a table per setting: rows are syscall families per round trip.
pub(crate) fn report(config: &Config, names: &[String], results: &[Vec<Result<Window, String>>]) {
    println!(
        "\n## Syscalls per round trip (strace -c -f, every thread attached; {} round trips per \
         window; strace slows the servers, only counts mean anything)",
        config.strace_round_trips
    );
    for ((conns, think), windows) in settings(config).iter().zip(results) {
        let mut grid = Grid::new(
            format!(
                "syscalls per round trip, {conns} connection(s), think {} µs",
                think.as_micros()
            ),
            "syscall",
            names,
        );
        let per_rt = |w: &Window, n: u64| n as f64 / w.round_trips.max(1) as f64;
        let cell = |f: &dyn Fn(&Window) -> f64| -> Vec<String> {
            windows
                .iter()
                .map(|w| w.as_ref().map_or(dash(), |w| format!("{:.3}", f(w))))
                .collect()
        };
        for (label, calls, show_errors) in Counts::FAMILIES {
            grid.row(*label, cell(&|w| per_rt(w, w.counts.sum(calls).0)));
            if *show_errors {
                grid.row(
                    format!("{label} failed (EAGAIN)"),
                    cell(&|w| per_rt(w, w.counts.sum(calls).1)),
                );
            }
        }
        grid.row(
            "other",
            cell(&|w| per_rt(w, w.counts.others().iter().map(|o| o.1).sum())),
        );
        let totals: Vec<Option<f64>> = windows
            .iter()
            .map(|w| w.as_ref().ok().map(|w| per_rt(w, w.counts.total())))
            .collect();
        grid.values_with_ratios("total", &totals, &|v| format!("{v:.3}"), BASELINES);
        for (name, w) in names.iter().zip(windows) {
            match w {
                Ok(w) => grid.notes.extend(w.counts.others_note(name, w.round_trips)),
                Err(e) => grid.notes.push(format!("{name}: failed: {e}")),
            }
        }
        grid.print();
    }
}
