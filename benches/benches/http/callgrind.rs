//! The callgrind pass: user-space instructions per request of every
//! server, each in a fresh child run under `valgrind --tool=callgrind`
//! with one loop on the first server CPU. A short wrk warm-up, a dump
//! (`callgrind_control -d`, which zeroes the counters; discarded), a
//! measured wrk run, a dump: its Ir over the requests wrk completed.
//!
//! wrk opens its connections inside its run and closes them at its end,
//! so the window holds their setup and teardown too (a few dozen over
//! thousands of requests). callgrind slows the server some 50 times over,
//! so requests are always waiting and a server batches more than it
//! would natively.
//!
//! It knows the pass and its table, not the servers; valgrind's command
//! lines and profile files are the library's (`netloop_benches::callgrind`).

use std::io;
use std::time::Duration;

use netloop_benches::callgrind::{self as cg, Dumps, ScratchDir};
use netloop_benches::child::Spawn;
use netloop_benches::table::{Grid, dash, si};

use crate::wrk::Load;
use crate::{BASELINES, Config};

/// Connections of the warm-up.
const WARMUP_CONNS: usize = 16;
/// How long the server gets to see wrk's connections close before a dump.
const SETTLE: Duration = Duration::from_millis(200);

/// What one server gave.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    /// Ir of the measured window.
    ir: u64,
    /// Requests wrk completed in it.
    requests: u64,
    /// wrk's socket errors and non-2xx lines.
    errors: Vec<String>,
}

/// The warm-up's and the measured run's wrk.
fn loads(config: &Config) -> (Load, Load) {
    let load = |conns, duration| Load {
        threads: 1,
        conns,
        duration,
        cpus: config.client_cpus.clone(),
    };
    (
        load(WARMUP_CONNS, config.callgrind_warmup),
        load(config.callgrind_conns, config.callgrind_duration),
    )
}

/// Measures `kind` in a fresh child under callgrind.
fn measure(config: &Config, kind: &str) -> io::Result<Sample> {
    let dir = ScratchDir::new(&format!(
        "netloop-http-callgrind-{}-{kind}",
        std::process::id()
    ))?;
    let cpu = config
        .server_cpus
        .first()
        .map(|c| vec![*c])
        .unwrap_or_default();
    let server = cg::spawn(
        &Spawn::server(kind, 1, &cpu, Vec::new(), Duration::from_secs(120)),
        &dir.path().join("callgrind.out"),
    )?;
    let mut dumps = Dumps::new(server.pid, dir.path())?;
    let (warmup, load) = loads(config);
    warmup.run(server.addr)?;
    std::thread::sleep(SETTLE);
    dumps.dump()?;
    let report = load.run(server.addr)?;
    std::thread::sleep(SETTLE);
    let ir = dumps.dump()?;
    server.stop();
    Ok(Sample {
        ir,
        requests: report.requests,
        errors: report.errors,
    })
}

/// Measures every server in `names`, one after the other.
pub(crate) fn run(config: &Config, names: &[String]) -> Vec<Result<Sample, String>> {
    names
        .iter()
        .map(|kind| measure(config, kind).map_err(|e| e.to_string()))
        .collect()
}

/// Prints the table.
pub(crate) fn report(config: &Config, names: &[String], results: &[Result<Sample, String>]) {
    let (warmup, load) = loads(config);
    let mut grid = Grid::new(
        format!(
            "## User-space instructions per request (callgrind Ir over `{}` after a `{}` \
             warm-up; 1 loop, each server in a fresh child; lower is better)",
            load.command("ADDR").join(" "),
            warmup.command("ADDR").join(" "),
        ),
        "",
        names,
    );
    let per_request: Vec<Option<f64>> = results
        .iter()
        .map(|r| {
            r.as_ref()
                .ok()
                .map(|s| s.ir as f64 / s.requests.max(1) as f64)
        })
        .collect();
    grid.values_with_ratios(
        "Ir/request",
        &per_request,
        &|v| format!("{v:.0}"),
        BASELINES,
    );
    grid.row(
        "requests (wrk)",
        results
            .iter()
            .map(|r| r.as_ref().map_or(dash(), |s| s.requests.to_string()))
            .collect(),
    );
    grid.row(
        "Ir in the window",
        results
            .iter()
            .map(|r| r.as_ref().map_or(dash(), |s| si(s.ir as f64)))
            .collect(),
    );
    for (name, r) in names.iter().zip(results) {
        match r {
            Ok(s) => {
                for error in &s.errors {
                    grid.notes.push(format!("{name}: {error}"));
                }
            }
            Err(e) => grid.notes.push(format!("{name}: failed: {e}")),
        }
    }
    let conns = config.callgrind_conns;
    grid.notes.push(format!(
        "wrk opens its {conns} connections inside the measured run and closes them at its end, \
         so {conns} connection setups and teardowns (accept, registration, first buffers, close) \
         fall in the window, over the requests above; the at most {conns} requests in flight \
         when wrk stops are served but not counted"
    ));
    grid.notes.push(
        "callgrind slows the server ~50x: requests are always waiting, so servers batch more \
         than natively"
            .to_owned(),
    );
    grid.print();
}
