//! Benchmarks of netloop, run side by side with its peers.
//!
//! This crate is never published; it exists so that peer crates (tokio,
//! criterion, async-executor) stay out of the library crates' dependencies.
//! The benchmarks live in `benches/benches/`; see `BENCHMARKS.md` at the
//! repository root for what was measured and with which command.
//!
//! The library holds what several benchmark binaries share: the knobs
//! ([`Knobs`], [`env_var`]), server child processes ([`child`]), CPU
//! pinning ([`cpus`]), `/proc` readings ([`proc_stats`]), `strace` counts
//! ([`strace`]), callgrind instruction counts ([`callgrind`]) and Markdown
//! report tables ([`table`]). None of it knows a particular benchmark.

pub mod callgrind;
pub mod child;
pub mod cpus;
pub mod proc_stats;
pub mod strace;
pub mod table;
pub mod tokio_tpc;

/// The knobs every benchmark binary reads from its environment:
/// `NETLOOP_BENCH_RUNS`, `NETLOOP_BENCH_SCALE`, `NETLOOP_BENCH_ONLY`
/// (runtime names) and `NETLOOP_BENCH_WORKLOADS` (workload keys).
#[derive(Debug, Clone)]
pub struct Knobs {
    /// Measured runs per cell.
    pub runs: usize,
    /// Multiplies every iteration count.
    pub scale: f64,
    only: Option<Vec<String>>,
    workloads: Option<Vec<String>>,
}

impl Knobs {
    /// Reads the knobs; `default_runs` when `NETLOOP_BENCH_RUNS` is unset.
    ///
    /// # Panics
    ///
    /// Panics on a value that does not parse, or zero runs.
    pub fn from_env(default_runs: usize) -> Knobs {
        let runs: usize = env_var("NETLOOP_BENCH_RUNS", default_runs);
        assert!(runs >= 1, "NETLOOP_BENCH_RUNS must be at least 1");
        Knobs {
            runs,
            scale: env_var("NETLOOP_BENCH_SCALE", 1.0),
            only: env_list("NETLOOP_BENCH_ONLY"),
            workloads: env_list("NETLOOP_BENCH_WORKLOADS"),
        }
    }

    /// `n` times the scale, at least `min`.
    pub fn scaled(&self, n: u64, min: u64) -> u64 {
        ((n as f64 * self.scale) as u64).max(min)
    }

    /// Whether the runtime named `name` is to be measured.
    pub fn runtime_enabled(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|o| o == name))
    }

    /// Whether the workload keyed `key` is to be measured.
    pub fn workload_enabled(&self, key: &str) -> bool {
        self.workloads
            .as_ref()
            .is_none_or(|w| w.iter().any(|o| o == key))
    }
}

/// The environment variable `name` parsed, or `default` when unset.
///
/// # Panics
///
/// Panics when it is set but does not parse.
pub fn env_var<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} does not parse")),
        Err(_) => default,
    }
}

/// The comma-separated list in the environment variable `name`, if set.
fn env_list(name: &str) -> Option<Vec<String>> {
    std::env::var(name).ok().map(|v| {
        v.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

/// The process's minor page faults so far (`minflt` of `/proc/self/stat`;
/// 0 where that cannot be read). Freed heap that the allocator returned to
/// the kernel costs a fault per page when it is touched again.
pub fn minor_faults() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    // Fields after the command name, which ends with the last ')': state,
    // ppid, pgrp, session, tty_nr, tpgid, flags, minflt.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(7))
        .and_then(|minflt| minflt.parse().ok())
        .unwrap_or(0)
}

/// Whether `tool` runs (`tool arg` exits 0), e.g. `("strace", "-V")`.
pub fn tool_available(tool: &str, arg: &str) -> bool {
    std::process::Command::new(tool)
        .arg(arg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Prints how this benchmark was invoked: the `NETLOOP_BENCH_*` variables
/// set, a `cargo bench` line that repeats the run, and this binary's own
/// command line.
pub fn print_invocation(bench: &str, features: &str) {
    let mut knobs: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("NETLOOP_BENCH_"))
        .collect();
    knobs.sort();
    let env: Vec<String> = knobs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let features = if features.is_empty() {
        String::new()
    } else {
        format!(" --features {features}")
    };
    println!(
        "command: {}{}cargo bench -p netloop-benches{features} --bench {bench}",
        env.join(" "),
        if env.is_empty() { "" } else { " " },
    );
    let argv: Vec<String> = std::env::args().collect();
    println!("binary:  {}", argv.join(" "));
}
