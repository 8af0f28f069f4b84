//! The callgrind pass: user-space instructions per round trip of every
//! server, each in a fresh child run under `valgrind --tool=callgrind` with
//! one loop. After a warm-up, `callgrind_control -d PID` dumps (and zeroes)
//! the counters; then, on one connection and again on the main pass's
//! connections: connect, two round trips per connection, a dump (setup,
//! discarded), a window of K round trips, a dump: its Ir over K is the
//! steady state's cost. Where dumping does not work, it falls
//! back to two whole runs of K and 2K round trips and the difference of
//! their totals over K.
//!
//! callgrind slows the server some 50 times over, so on many connections
//! requests are always waiting and a server batches more than it would
//! natively. It knows the load and the two methods, not the servers;
//! valgrind's command lines and profile files are the library's
//! (`netloop_benches::callgrind`).

use std::io;
use std::path::Path;
use std::time::Duration;

use netloop_benches::callgrind::{self as cg, Dumps, ScratchDir};
use netloop_benches::child::{ServerProc, Spawn};
use netloop_benches::table::{Grid, dash};

use crate::config::Config;
use crate::loadgen::{Load, Stop};
use crate::report::BASELINES;
use crate::throughput::spec;

/// What one server gave: Ir per round trip on one connection and on many,
/// and how it was measured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    one: f64,
    many: f64,
    method: &'static str,
}

/// Starts `kind` under callgrind with one loop on the first server CPU,
/// its profile files named after `out`.
fn spawn(config: &Config, kind: &str, out: &Path) -> io::Result<ServerProc> {
    let cpu = config
        .server_cpus
        .first()
        .map(|c| vec![*c])
        .unwrap_or_default();
    cg::spawn(
        &Spawn::server(kind, 1, &cpu, Vec::new(), Duration::from_secs(120)),
        out,
    )
}

/// One window of `k` round trips on `conns` connections.
fn window(config: &Config, server: &ServerProc, conns: usize, k: u64) -> io::Result<()> {
    let mut load = Load::connect(&spec(config, conns, Duration::ZERO), server.addr)?;
    std::thread::sleep(Duration::from_millis(100));
    load.run(Stop::RoundTrips(k))?;
    Ok(())
}

fn warmup(config: &Config) -> u64 {
    (config.callgrind_round_trips / 4).max(100)
}

/// The dump method.
fn by_dumps(config: &Config, kind: &str, dir: &Path) -> io::Result<Sample> {
    let out = dir.join("callgrind.out");
    let server = spawn(config, kind, &out)?;
    let mut dumps = Dumps::new(server.pid, dir)?;
    window(config, &server, 1, warmup(config))?;
    dumps.dump()?;
    let k = config.callgrind_round_trips;
    let mut per_rt = [0.0; 2];
    for (slot, conns) in per_rt.iter_mut().zip([1, config.conns]) {
        // Connecting, accepting and each connection's first round trips
        // (registration, first buffers) go into a dump of their own, so
        // that the measured one holds the steady state only.
        let mut load = Load::connect(&spec(config, conns, Duration::ZERO), server.addr)?;
        std::thread::sleep(Duration::from_millis(100));
        load.run(Stop::RoundTrips(2 * conns as u64))?;
        dumps.dump()?;
        load.run(Stop::RoundTrips(k))?;
        *slot = dumps.dump()? as f64 / k as f64;
    }
    server.stop();
    Ok(Sample {
        one: per_rt[0],
        many: per_rt[1],
        method: "dumps",
    })
}

/// The fallback: whole runs of K and 2K round trips.
fn by_runs(config: &Config, kind: &str, dir: &Path) -> io::Result<Sample> {
    let k = config.callgrind_round_trips;
    let mut per_rt = [0.0; 2];
    for (slot, conns) in per_rt.iter_mut().zip([1, config.conns]) {
        let mut totals = [0u64; 2];
        for (total, n) in totals.iter_mut().zip([k, 2 * k]) {
            let out = dir.join(format!("whole-{conns}-{n}.out"));
            let server = spawn(config, kind, &out)?;
            window(config, &server, 1, warmup(config))?;
            window(config, &server, conns, n)?;
            server.stop();
            *total = cg::read_ir(&out)?;
        }
        *slot = totals[1].saturating_sub(totals[0]) as f64 / k as f64;
    }
    Ok(Sample {
        one: per_rt[0],
        many: per_rt[1],
        method: "K/2K runs",
    })
}

/// Measures every server in `kinds`.
pub(crate) fn run(config: &Config, kinds: &[&str]) -> Vec<Result<Sample, String>> {
    kinds
        .iter()
        .map(|kind| {
            let dir = ScratchDir::new(&format!(
                "netloop-echo-callgrind-{}-{kind}",
                std::process::id()
            ))
            .map_err(|e| e.to_string())?;
            let result = by_dumps(config, kind, dir.path()).or_else(|e| {
                println!("  {kind}: callgrind dumps failed ({e}); falling back to K/2K runs");
                by_runs(config, kind, dir.path())
            });
            result.map_err(|e| e.to_string())
        })
        .collect()
}

/// Prints the table.
pub(crate) fn report(config: &Config, names: &[String], results: &[Result<Sample, String>]) {
    let mut grid = Grid::new(
        format!(
            "## User-space instructions per round trip (callgrind Ir, 1 loop, {} round trips per \
             window; lower is better)",
            config.callgrind_round_trips
        ),
        "",
        names,
    );
    let one: Vec<Option<f64>> = results
        .iter()
        .map(|r| r.as_ref().ok().map(|s| s.one))
        .collect();
    let many: Vec<Option<f64>> = results
        .iter()
        .map(|r| r.as_ref().ok().map(|s| s.many))
        .collect();
    let fmt = |v: f64| format!("{v:.0}");
    grid.values_with_ratios("Ir/rt, 1 connection", &one, &fmt, BASELINES);
    grid.values_with_ratios(
        &format!("Ir/rt, {} connections", config.conns),
        &many,
        &fmt,
        BASELINES,
    );
    grid.row(
        "method",
        results
            .iter()
            .map(|r| r.as_ref().map_or(dash(), |s| s.method.to_owned()))
            .collect(),
    );
    for (name, r) in names.iter().zip(results) {
        if let Err(e) = r {
            grid.notes.push(format!("{name}: failed: {e}"));
        }
    }
    grid.notes.push(
        "callgrind slows the server ~50x: on many connections requests are always waiting, so \
         servers batch more than natively; 1 connection shows the full per-request path"
            .to_owned(),
    );
    grid.print();
}
