//! The idle-memory pass: a server's `VmRSS` before and after this process
//! opens N connections that send nothing, read once the server's fd count
//! shows them all accepted (plus 200 ms to settle); the connections are
//! then closed and the server's fds waited back down.
//!
//! Plain blocking `std` connects: it knows `/proc`, not the servers.

use std::io;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use netloop_benches::child::ServerProc;
use netloop_benches::proc_stats::{fd_count, vm_rss_kb};
use netloop_benches::table::Grid;

use crate::report::BASELINES;

/// What one server showed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    rss_before_kb: u64,
    rss_after_kb: u64,
    fds_before: usize,
    fds_after: usize,
}

/// Waits until `done(fd count)` holds, for 30 s at most.
fn wait_fds(pid: u32, done: impl Fn(usize) -> bool) -> io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(fd_count(pid)?) {
        if Instant::now() > deadline {
            return Err(io::Error::other(format!(
                "the server's fds stayed at {} for 30 s",
                fd_count(pid)?
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// Measures `server` with `n` idle connections.
pub(crate) fn measure(server: &ServerProc, n: usize) -> io::Result<Sample> {
    let pid = server.pid;
    let fds_before = fd_count(pid)?;
    let rss_before_kb = vm_rss_kb(pid)?;
    let mut conns = Vec::with_capacity(n);
    for _ in 0..n {
        conns.push(TcpStream::connect(server.addr)?);
    }
    wait_fds(pid, |fds| fds >= fds_before + n)?;
    std::thread::sleep(Duration::from_millis(200));
    let rss_after_kb = vm_rss_kb(pid)?;
    let fds_after = fd_count(pid)?;
    drop(conns);
    wait_fds(pid, |fds| fds <= fds_before)?;
    Ok(Sample {
        rss_before_kb,
        rss_after_kb,
        fds_before,
        fds_after,
    })
}

/// Prints the table.
pub(crate) fn report(n: usize, names: &[String], results: &[Result<Sample, String>]) {
    let mut grid = Grid::new(
        format!(
            "## Memory per idle connection: {n} connections that send nothing (lower is better)"
        ),
        "",
        names,
    );
    let cells = |f: &dyn Fn(&Sample) -> String| -> Vec<String> {
        results
            .iter()
            .map(|r| r.as_ref().map_or_else(|_| "failed".to_owned(), f))
            .collect()
    };
    grid.row("VmRSS before, kB", cells(&|s| s.rss_before_kb.to_string()));
    grid.row(
        format!("VmRSS with {n} idle, kB"),
        cells(&|s| s.rss_after_kb.to_string()),
    );
    let per_conn: Vec<Option<f64>> = results
        .iter()
        .map(|r| {
            r.as_ref()
                .ok()
                .map(|s| (s.rss_after_kb as f64 - s.rss_before_kb as f64) * 1024.0 / n as f64)
        })
        .collect();
    grid.values_with_ratios(
        "bytes per idle connection",
        &per_conn,
        &|v| format!("{v:.0}"),
        BASELINES,
    );
    grid.row(
        "fds accepted",
        cells(&|s| (s.fds_after - s.fds_before).to_string()),
    );
    for (name, r) in names.iter().zip(results) {
        if let Err(e) = r {
            grid.notes.push(format!("{name}: {e}"));
        }
    }
    grid.notes.push(
        "every async handler allocates its 16 KiB read buffer per connection up front; \
         raw-epoll shares one per thread"
            .to_owned(),
    );
    grid.print();
}
