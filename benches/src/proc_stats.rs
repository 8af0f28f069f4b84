//! What `/proc` says about a process: CPU time (`/proc/PID/stat` utime and
//! stime in `USER_HZ` ticks; the sum of `/proc/PID/task/*/schedstat` run
//! times in ns), context switches, `VmRSS`, open descriptors, thread ids,
//! the CPU time of exited children; and the machine's per-CPU busy time
//! from `/proc/stat`.
//!
//! Readings only: it knows nothing about what the process is or does.

use std::io;

/// Clock ticks per second of `/proc/PID/stat` (`USER_HZ`).
pub fn user_hz() -> f64 {
    // SAFETY: `sysconf` only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

/// A process's CPU counters at one moment; subtract two with
/// [`Cpu::since`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    /// `utime`: user-space ticks (threads that exited included).
    pub user_ticks: u64,
    /// `stime`: kernel ticks.
    pub sys_ticks: u64,
    /// Run time of the live threads (`schedstat`), ns.
    pub sched_ns: u64,
    /// Voluntary context switches of the live threads (they blocked).
    pub voluntary: u64,
    /// Involuntary ones (they were preempted).
    pub involuntary: u64,
}

impl Cpu {
    /// The counters now of process `pid` (zeros where unreadable).
    pub fn of(pid: u32) -> Cpu {
        let mut cpu = Cpu::default();
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            && let Some((_, rest)) = stat.rsplit_once(')')
        {
            // After the command: state is field 3; utime, stime are 14, 15.
            let mut fields = rest.split_whitespace().skip(11);
            cpu.user_ticks = fields.next().and_then(|f| f.parse().ok()).unwrap_or(0);
            cpu.sys_ticks = fields.next().and_then(|f| f.parse().ok()).unwrap_or(0);
        }
        for tid in task_ids(pid).unwrap_or_default() {
            let task = format!("/proc/{pid}/task/{tid}");
            cpu.sched_ns += std::fs::read_to_string(format!("{task}/schedstat"))
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse().ok())
                .unwrap_or(0);
            if let Ok(status) = std::fs::read_to_string(format!("{task}/status")) {
                for line in status.lines() {
                    let (key, value) = line.split_once(':').unwrap_or(("", ""));
                    let n = value.trim().parse::<u64>().unwrap_or(0);
                    match key {
                        "voluntary_ctxt_switches" => cpu.voluntary += n,
                        "nonvoluntary_ctxt_switches" => cpu.involuntary += n,
                        _ => {}
                    }
                }
            }
        }
        cpu
    }

    /// The counters' growth from `earlier` to `self`.
    pub fn since(&self, earlier: &Cpu) -> Cpu {
        Cpu {
            user_ticks: self.user_ticks.saturating_sub(earlier.user_ticks),
            sys_ticks: self.sys_ticks.saturating_sub(earlier.sys_ticks),
            sched_ns: self.sched_ns.saturating_sub(earlier.sched_ns),
            voluntary: self.voluntary.saturating_sub(earlier.voluntary),
            involuntary: self.involuntary.saturating_sub(earlier.involuntary),
        }
    }

    /// `utime + stime`, ticks.
    pub fn ticks(&self) -> u64 {
        self.user_ticks + self.sys_ticks
    }
}

/// CPU time (user + system) of this process's children that have exited
/// and been waited for (`getrusage(RUSAGE_CHILDREN)`): the growth over a
/// run of an external tool, such as a load generator, is its CPU time.
pub fn children_cpu() -> std::time::Duration {
    // SAFETY: `rusage` is plain data for which all-zero bytes is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage` for the call.
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return std::time::Duration::ZERO;
    }
    let tv = |t: libc::timeval| {
        std::time::Duration::new(t.tv_sec.max(0) as u64, (t.tv_usec.max(0) as u32) * 1000)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// The thread ids of process `pid` (`/proc/PID/task`).
///
/// # Errors
///
/// The process is gone or `/proc` unreadable.
pub fn task_ids(pid: u32) -> io::Result<Vec<u32>> {
    let mut tids: Vec<u32> = std::fs::read_dir(format!("/proc/{pid}/task"))?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    tids.sort_unstable();
    Ok(tids)
}

/// `VmRSS` of process `pid`, kB.
///
/// # Errors
///
/// The process is gone or has no `VmRSS` line.
pub fn vm_rss_kb(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| io::Error::other("no VmRSS"))
}

/// How many descriptors process `pid` has open.
///
/// # Errors
///
/// The process is gone or `/proc/PID/fd` unreadable.
pub fn fd_count(pid: u32) -> io::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

/// Busy ticks (user + nice + system + irq + softirq) and steal ticks of
/// some CPUs, from `/proc/stat`.
#[derive(Debug, Clone, Copy, Default)]
pub struct MachineCpu {
    /// Busy ticks, summed over the CPUs.
    pub busy: u64,
    /// Ticks the hypervisor stole, summed over the CPUs.
    pub steal: u64,
}

impl MachineCpu {
    /// The counters now of the CPUs in `cpus` (every CPU when empty).
    pub fn of(cpus: &[usize]) -> MachineCpu {
        let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
            return MachineCpu::default();
        };
        let mut total = MachineCpu::default();
        for line in stat.lines() {
            let mut fields = line.split_whitespace();
            let Some(name) = fields.next() else { continue };
            let wanted = if cpus.is_empty() {
                name == "cpu"
            } else {
                name.strip_prefix("cpu")
                    .and_then(|n| n.parse::<usize>().ok())
                    .is_some_and(|n| cpus.contains(&n))
            };
            if !wanted {
                continue;
            }
            let v: Vec<u64> = fields.filter_map(|f| f.parse().ok()).collect();
            let at = |i: usize| v.get(i).copied().unwrap_or(0);
            total.busy += at(0) + at(1) + at(2) + at(5) + at(6);
            total.steal += at(7);
        }
        total
    }

    /// The growth from `earlier` to `self`.
    pub fn since(&self, earlier: &MachineCpu) -> MachineCpu {
        MachineCpu {
            busy: self.busy.saturating_sub(earlier.busy),
            steal: self.steal.saturating_sub(earlier.steal),
        }
    }
}
