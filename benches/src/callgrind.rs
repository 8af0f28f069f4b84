//! callgrind (valgrind's instruction counter) around a server child: start
//! a [`ServerProc`] under `valgrind --tool=callgrind` with its profile
//! going to a given file, dump and zero its counters on demand
//! (`callgrind_control -d PID`) and read the user-space instructions (Ir)
//! of each dump, or of a whole run's profile, from its `totals:` or
//! `summary:` line; and a scratch folder for the profile files.
//!
//! It knows valgrind's command lines and profile files only: not the
//! server kinds, the load, nor what a window between two dumps measures.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::child::{ServerProc, Spawn};
use crate::tool_available;

/// Whether `valgrind` and `callgrind_control` both run.
pub fn available() -> bool {
    tool_available("valgrind", "--version") && tool_available("callgrind_control", "-h")
}

/// Starts the server `spec` under callgrind (replacing any wrapper in
/// `spec`), its profile written to `out` at exit and each dump to `out`
/// with a numbered suffix.
///
/// # Errors
///
/// As [`ServerProc::spawn`].
pub fn spawn(spec: &Spawn, out: &Path) -> io::Result<ServerProc> {
    let mut out_arg = OsString::from("--callgrind-out-file=");
    out_arg.push(out);
    ServerProc::spawn(&Spawn {
        wrapper: vec![
            "valgrind".into(),
            "--quiet".into(),
            "--tool=callgrind".into(),
            out_arg,
        ],
        ..spec.clone()
    })
}

/// Ir of a callgrind profile's text: its `totals:` line, or else its
/// `summary:` line.
pub fn parse_ir(text: &str) -> Option<u64> {
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    field("totals:").or_else(|| field("summary:"))
}

/// Ir of the profile file at `path` (a whole run's, once the server
/// exited).
///
/// # Errors
///
/// The file could not be read or holds no totals.
pub fn read_ir(path: &Path) -> io::Result<u64> {
    let text = std::fs::read_to_string(path)?;
    parse_ir(&text).ok_or_else(|| io::Error::other("no totals"))
}

/// The dumps of one server under callgrind whose profiles go to `dir`.
#[derive(Debug)]
pub struct Dumps {
    pid: u32,
    dir: PathBuf,
    /// The files of `dir` already read or there before.
    seen: BTreeSet<PathBuf>,
}

impl Dumps {
    /// Dumps of the server `pid`; the files in `dir` now are not dumps.
    ///
    /// # Errors
    ///
    /// `dir` could not be read.
    pub fn new(pid: u32, dir: &Path) -> io::Result<Dumps> {
        let mut dumps = Dumps {
            pid,
            dir: dir.to_owned(),
            seen: BTreeSet::new(),
        };
        dumps.new_files()?;
        Ok(dumps)
    }

    /// The files in the folder not seen before (which they join).
    fn new_files(&mut self) -> io::Result<Vec<PathBuf>> {
        let mut fresh = Vec::new();
        for entry in std::fs::read_dir(&self.dir)?.flatten() {
            let path = entry.path();
            if self.seen.insert(path.clone()) {
                fresh.push(path);
            }
        }
        Ok(fresh)
    }

    /// `callgrind_control -d PID`, then the Ir of the dump it wrote: the
    /// instructions since the previous dump (or the start).
    ///
    /// # Errors
    ///
    /// `callgrind_control` failed or took over 60 s, or no complete dump
    /// appeared within 20 s after it.
    pub fn dump(&mut self) -> io::Result<u64> {
        let mut control = Command::new("callgrind_control")
            .arg("-d")
            .arg(self.pid.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = control.try_wait()? {
                if !status.success() {
                    return Err(io::Error::other(format!("callgrind_control -d: {status}")));
                }
                break;
            }
            if Instant::now() > deadline {
                let _ = control.kill();
                let _ = control.wait();
                return Err(io::Error::other("callgrind_control -d took over 60 s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // The dump is written by the server: wait for the file to be
        // complete.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            for path in self.new_files()? {
                if let Some(ir) = std::fs::read_to_string(&path)
                    .ok()
                    .as_deref()
                    .and_then(parse_ir)
                {
                    return Ok(ir);
                }
                self.seen.remove(&path);
            }
            if Instant::now() > deadline {
                return Err(io::Error::other("callgrind wrote no dump"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A fresh, empty folder under the temporary directory, removed with its
/// files when dropped — unless `NETLOOP_BENCH_KEEP_PROFILES` is set (to
/// anything but `0`), which keeps it for `callgrind_annotate` and says
/// where.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
    keep: bool,
}

impl ScratchDir {
    /// `name` under the temporary directory, emptied.
    ///
    /// # Errors
    ///
    /// It could not be created.
    pub fn new(name: &str) -> io::Result<ScratchDir> {
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)?;
        let keep = std::env::var("NETLOOP_BENCH_KEEP_PROFILES").is_ok_and(|v| v != "0");
        Ok(ScratchDir { path, keep })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if self.keep {
            println!("  profiles kept in {}", self.path.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ir;

    #[test]
    fn totals_win_over_summary_and_summary_is_the_fallback() {
        let dump = "version: 1\nevents: Ir\nsummary: 900\nfn=main\n3 5\ntotals: 1234\n";
        assert_eq!(parse_ir(dump), Some(1234));
        assert_eq!(parse_ir("events: Ir\nsummary: 77 3\n"), Some(77));
        assert_eq!(parse_ir("events: Ir\nfn=main\n"), None);
    }
}
