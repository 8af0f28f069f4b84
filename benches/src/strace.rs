//! Syscall counts of a running process: `strace -c -f` attached to every
//! thread of it (checked against `/proc/PID/task`) for a window, stopped
//! with `SIGINT`, its summary table parsed; and the counts grouped into the
//! families a benchmark report names.
//!
//! It knows nothing about the process or the load that runs meanwhile.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::proc_stats::task_ids;

/// An `strace -c` attached to a process.
#[derive(Debug)]
pub struct Strace {
    child: Child,
    out: PathBuf,
}

/// Calls and failed calls per syscall name.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// name -> (calls, errors).
    pub by_name: BTreeMap<String, (u64, u64)>,
}

impl Strace {
    /// Attaches to every thread of `pid` and returns once strace reports
    /// them all attached.
    ///
    /// `strace -f -p PID` seizes every thread listed in `/proc/PID/task`
    /// (and follows threads started later); one `-p` per thread id would
    /// fail, since `-f` has seized them already. strace's "attached with N
    /// threads" is checked against the thread count.
    ///
    /// # Errors
    ///
    /// strace could not start, did not attach within 10 s, or attached
    /// fewer threads than the process has.
    ///
    /// strace runs on `cpus` (the load generator's, say) when the list is
    /// not empty, so that it does not compete with the server for the
    /// server's CPUs: a tracer on the tracee's CPU preempts it, which is
    /// not what the server meets when it is not traced.
    pub fn attach(pid: u32, cpus: &[usize]) -> io::Result<Strace> {
        let tids = task_ids(pid)?;
        let out = std::env::temp_dir().join(format!(
            "netloop-bench-strace-{}-{pid}.txt",
            std::process::id()
        ));
        let mut command = if cpus.is_empty() {
            Command::new("strace")
        } else {
            let mut taskset = Command::new("taskset");
            taskset
                .arg("-c")
                .arg(crate::cpus::format_list(cpus))
                .arg("strace");
            taskset
        };
        let mut child = command
            .args(["-c", "-f", "-o"])
            .arg(&out)
            .arg("-p")
            .arg(pid.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        // "Process N attached" or "Process N attached with M threads";
        // then stderr is drained on a thread of its own.
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, attached) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("attached") {
                    let _ = tx.send(line);
                }
            }
        });
        let fail = |mut child: Child, why: String| {
            let _ = child.kill();
            let _ = child.wait();
            Err(io::Error::other(why))
        };
        let Ok(line) = attached.recv_timeout(Duration::from_secs(10)) else {
            return fail(child, "strace did not attach within 10 s".to_owned());
        };
        let threads = line
            .split_once(" with ")
            .and_then(|(_, rest)| rest.split_whitespace().next()?.parse::<usize>().ok())
            .unwrap_or(1);
        if threads < tids.len() {
            return fail(
                child,
                format!(
                    "strace attached {threads} of {} threads: {line}",
                    tids.len()
                ),
            );
        }
        std::thread::sleep(Duration::from_millis(50));
        Ok(Strace { child, out })
    }

    /// Detaches (`SIGINT`) and parses the summary.
    ///
    /// # Errors
    ///
    /// strace could not be signalled or its summary read.
    pub fn stop(mut self) -> io::Result<Counts> {
        let pid = libc::pid_t::try_from(self.child.id()).map_err(io::Error::other)?;
        // SAFETY: `kill` takes plain integers; `pid` is our own child,
        // which we have not reaped yet, so the id names it.
        if unsafe { libc::kill(pid, libc::SIGINT) } != 0 {
            return Err(io::Error::last_os_error());
        }
        self.child.wait()?;
        let text = std::fs::read_to_string(&self.out)?;
        let _ = std::fs::remove_file(&self.out);
        Ok(Counts::parse(&text))
    }
}

impl Counts {
    /// Parses strace's `-c` table:
    /// `% time seconds usecs/call calls [errors] syscall` rows.
    pub fn parse(text: &str) -> Counts {
        let mut by_name = BTreeMap::new();
        for line in text.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if !(5..=6).contains(&fields.len())
                || fields[0].starts_with('%')
                || fields[0].starts_with('-')
            {
                continue;
            }
            let name = fields[fields.len() - 1];
            let Ok(calls) = fields[3].parse::<u64>() else {
                continue;
            };
            let errors = if fields.len() == 6 {
                fields[4].parse().unwrap_or(0)
            } else {
                0
            };
            if name != "total" {
                by_name.insert(name.to_owned(), (calls, errors));
            }
        }
        Counts { by_name }
    }

    /// Calls and errors of the syscalls in `names`, summed.
    pub fn sum(&self, names: &[&str]) -> (u64, u64) {
        names
            .iter()
            .filter_map(|n| self.by_name.get(*n))
            .fold((0, 0), |(c, e), (c2, e2)| (c + c2, e + e2))
    }

    /// Every call, summed.
    pub fn total(&self) -> u64 {
        self.by_name.values().map(|c| c.0).sum()
    }

    /// The families a report names: (label, syscalls, whether to show
    /// the errors too, e.g. `EAGAIN` reads).
    pub const FAMILIES: &[(&str, &[&str], bool)] = &[
        ("read", &["read", "recvfrom", "recvmsg", "readv"], true),
        ("write", &["write", "sendto", "sendmsg", "writev"], true),
        (
            "epoll_wait",
            &["epoll_wait", "epoll_pwait", "epoll_pwait2"],
            false,
        ),
        ("epoll_ctl", &["epoll_ctl"], false),
        ("sched_yield", &["sched_yield"], false),
        ("futex", &["futex"], false),
        ("accept", &["accept", "accept4"], false),
    ];

    /// The report's note on the calls in no family: the four most made,
    /// each divided by `per` (round trips, requests), after `name`; `None`
    /// when there are none.
    pub fn others_note(&self, name: &str, per: u64) -> Option<String> {
        let others: Vec<String> = self
            .others()
            .iter()
            .take(4)
            .map(|(call, n)| format!("{call} {:.3}", *n as f64 / per.max(1) as f64))
            .collect();
        (!others.is_empty()).then(|| format!("{name} other: {}", others.join(", ")))
    }

    /// The calls in no family of [`Counts::FAMILIES`], by name, most first.
    pub fn others(&self) -> Vec<(String, u64)> {
        let mut others: Vec<(String, u64)> = self
            .by_name
            .iter()
            .filter(|(name, _)| {
                !Self::FAMILIES
                    .iter()
                    .any(|(_, names, _)| names.contains(&name.as_str()))
            })
            .map(|(name, c)| (name.clone(), c.0))
            .collect();
        others.sort_by_key(|o| std::cmp::Reverse(o.1));
        others
    }
}

#[cfg(test)]
mod tests {
    use super::Counts;

    #[test]
    fn the_summary_table_parses_with_and_without_errors() {
        let text = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 50.00    0.000500          10      3000      2000 read
 30.00    0.000300          10      1000           write
 20.00    0.000200          20      1000           epoll_wait
------ ----------- ----------- --------- --------- ----------------
100.00    0.001000                  5000      2000 total
";
        let counts = Counts::parse(text);
        assert_eq!(counts.sum(&["read", "recvfrom"]), (3000, 2000));
        assert_eq!(counts.sum(&["write"]), (1000, 0));
        assert_eq!(counts.total(), 5000);
        assert!(counts.others().is_empty());
    }
}
