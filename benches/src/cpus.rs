//! CPU placement and descriptor limits for benchmark processes: parsing a
//! CPU list (`0-3,8`), pinning the calling thread with `sched_setaffinity`,
//! and raising `RLIMIT_NOFILE`.
//!
//! This calls `libc` directly, because the load generators and reference
//! servers that use it must not depend on netloop. It knows nothing about
//! which benchmark runs where.

use std::io;

/// The number of CPUs this process may run on (at least 1).
pub fn available() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Parses a CPU list such as `0`, `1-3` or `0,2-3` (the `taskset -c`
/// syntax); `none` or an empty string is the empty list (no pinning).
///
/// # Errors
///
/// A malformed list.
pub fn parse_list(list: &str) -> Result<Vec<usize>, String> {
    let list = list.trim();
    if list.is_empty() || list == "none" {
        return Ok(Vec::new());
    }
    let mut cpus = Vec::new();
    for part in list.split(',') {
        let part = part.trim();
        let bad = || format!("bad CPU list {list:?} (want e.g. 0 or 1-3,8, or none)");
        match part.split_once('-') {
            Some((a, b)) => {
                let a: usize = a.trim().parse().map_err(|_| bad())?;
                let b: usize = b.trim().parse().map_err(|_| bad())?;
                if a > b {
                    return Err(bad());
                }
                cpus.extend(a..=b);
            }
            None => cpus.push(part.parse().map_err(|_| bad())?),
        }
    }
    Ok(cpus)
}

/// Writes a CPU list back in the `taskset -c` syntax (`none` when empty).
pub fn format_list(cpus: &[usize]) -> String {
    if cpus.is_empty() {
        return "none".to_owned();
    }
    cpus.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Pins the calling thread to `cpus` (threads it starts afterwards inherit
/// the mask); an empty list leaves it as it is.
///
/// # Errors
///
/// `sched_setaffinity` failed, e.g. a CPU that does not exist.
pub fn pin_current_thread(cpus: &[usize]) -> io::Result<()> {
    if cpus.is_empty() {
        return Ok(());
    }
    // SAFETY: `cpu_set_t` is a plain bit array for which all-zero bytes is
    // the valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let max = 8 * std::mem::size_of::<libc::cpu_set_t>();
    for &cpu in cpus {
        if cpu >= max {
            return Err(io::Error::other(format!("CPU {cpu} is beyond cpu_set_t")));
        }
        // SAFETY: `cpu` is below the set's capacity in bits (checked above)
        // and `set` is a live, exclusively borrowed `cpu_set_t`.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    // SAFETY: pid 0 is the calling thread; the size and pointer describe
    // `set`, which lives across the call.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit, so that tens of
/// thousands of connections fit; gives the new soft limit.
///
/// # Errors
///
/// `getrlimit` or `setrlimit` failed.
pub fn raise_nofile_limit() -> io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable `rlimit` for the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: `limit` is a valid `rlimit`, read by the call only.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(limit.rlim_cur)
}

#[cfg(test)]
mod tests {
    use super::{format_list, parse_list};

    #[test]
    fn cpu_lists_parse_in_taskset_syntax() {
        assert_eq!(parse_list("0"), Ok(vec![0]));
        assert_eq!(parse_list("0,2-4"), Ok(vec![0, 2, 3, 4]));
        assert_eq!(parse_list("none"), Ok(vec![]));
        assert_eq!(parse_list(""), Ok(vec![]));
        assert!(parse_list("3-1").is_err());
        assert!(parse_list("a").is_err());
        assert_eq!(format_list(&[4, 5]), "4,5");
        assert_eq!(format_list(&[]), "none");
    }
}
