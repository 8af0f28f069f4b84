//! The load: `wrk` (not part of this repository, not netloop). Installs it
//! with `apt-get` when it is not on `PATH`, runs it (under `taskset` on
//! the load CPUs) against an address for a duration, and parses its
//! report: requests, requests/s, the `--latency` distribution, errors.
//!
//! It knows wrk's command line and output, not the servers.

use std::io;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use netloop_benches::{cpus, tool_available};

/// One wrk run's result.
#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    /// Requests completed.
    pub(crate) requests: u64,
    /// wrk's `Requests/sec`.
    pub(crate) rate: f64,
    /// The latency distribution: (percentile, µs), 50/75/90/99.
    pub(crate) latency: Vec<(f64, f64)>,
    /// Socket errors and non-2xx responses, as wrk printed them.
    pub(crate) errors: Vec<String>,
}

impl Report {
    /// The latency at percentile `p`, µs.
    pub(crate) fn latency_us(&self, p: f64) -> Option<f64> {
        self.latency.iter().find(|(q, _)| *q == p).map(|(_, v)| *v)
    }
}

/// Makes sure `wrk` runs, installing Debian's package when it does not.
///
/// # Errors
///
/// wrk is missing and `apt-get` could not install it.
pub(crate) fn ensure_installed() -> io::Result<()> {
    if tool_available("wrk", "-v") || wrk_runs() {
        return Ok(());
    }
    println!("wrk is not on PATH: installing it with `apt-get install -y wrk`");
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "wrk"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
    };
    if !install().is_ok_and(|s| s.success()) {
        println!("apt-get install failed: running `apt-get update` first");
        let _ = Command::new("apt-get")
            .arg("update")
            .stdout(Stdio::null())
            .status();
        if !install().is_ok_and(|s| s.success()) {
            return Err(io::Error::other(
                "wrk is not installed and `apt-get install -y wrk` failed: install wrk \
                 (https://github.com/wg/wrk) and put it on PATH",
            ));
        }
    }
    if wrk_runs() {
        println!("wrk installed");
        Ok(())
    } else {
        Err(io::Error::other("wrk was installed but does not run"))
    }
}

/// `wrk -v` exits 1 on some versions, so: does it start at all?
fn wrk_runs() -> bool {
    Command::new("wrk")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// How wrk is run.
#[derive(Debug, Clone)]
pub(crate) struct Load {
    /// wrk's `-t`.
    pub(crate) threads: usize,
    /// wrk's `-c`.
    pub(crate) conns: usize,
    /// wrk's `-d`.
    pub(crate) duration: Duration,
    /// `taskset -c` CPUs; empty: not pinned.
    pub(crate) cpus: Vec<usize>,
}

impl Load {
    /// The command line, for the report.
    pub(crate) fn command(&self, addr: &str) -> Vec<String> {
        let mut argv = Vec::new();
        if !self.cpus.is_empty() {
            argv.extend(["taskset".to_owned(), "-c".to_owned()]);
            argv.push(cpus::format_list(&self.cpus));
        }
        argv.push("wrk".to_owned());
        argv.push(format!("-t{}", self.threads.clamp(1, self.conns.max(1))));
        argv.push(format!("-c{}", self.conns));
        argv.push(format!(
            "-d{}s",
            self.duration.as_secs_f64().ceil().max(1.0)
        ));
        argv.push("--latency".to_owned());
        argv.push(format!("http://{addr}/"));
        argv
    }

    /// Runs wrk against `addr`.
    ///
    /// # Errors
    ///
    /// wrk could not run, failed, or printed no `Requests/sec`.
    pub(crate) fn run(&self, addr: SocketAddr) -> io::Result<Report> {
        let argv = self.command(&addr.to_string());
        let out = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "{} failed ({}): {}{}",
                argv.join(" "),
                out.status,
                text,
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        parse(&text).ok_or_else(|| io::Error::other(format!("unparsable wrk output: {text}")))
    }
}

/// `480.00us`, `1.20ms`, `2.00s` as µs.
fn duration_us(s: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1e3)
    } else if let Some(n) = s.strip_suffix("m") {
        (n, 60e6)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e6)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

/// Parses wrk's report.
fn parse(text: &str) -> Option<Report> {
    let mut report = Report::default();
    let mut in_distribution = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("Latency Distribution") {
            in_distribution = true;
            continue;
        }
        if in_distribution {
            if let Some((p, v)) = t.split_once('%')
                && let (Ok(p), Some(v)) = (p.trim().parse::<f64>(), duration_us(v.trim()))
            {
                report.latency.push((p, v));
                continue;
            }
            in_distribution = false;
        }
        if let Some(rate) = t.strip_prefix("Requests/sec:") {
            report.rate = rate.trim().parse().ok()?;
        } else if t.contains(" requests in ") {
            report.requests = t.split_whitespace().next()?.parse().ok()?;
        } else if t.starts_with("Socket errors") || t.starts_with("Non-2xx") {
            report.errors.push(t.to_owned());
        }
    }
    (report.rate > 0.0).then_some(report)
}
