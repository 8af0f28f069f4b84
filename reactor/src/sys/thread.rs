//! Thread placement: `sched_setaffinity` for pinning a loop thread to a CPU,
//! and `sched_getaffinity` to read where a thread may run; and whether the
//! thread has had to share its CPU: `sched_yield` and the count of
//! involuntary context switches (`getrusage(RUSAGE_THREAD)`).
//!
//! Owns: the `cpu_set_t` layout. Must not know: loops, runtimes.

use std::io;

use super::cvt;

/// Restricts the calling thread to CPU `cpu`.
///
/// Fails with `InvalidInput` when `cpu` is beyond what a `cpu_set_t` can
/// name, and with the kernel's error (`EINVAL`) when the CPU is not online
/// or not allowed to this process.
pub fn pin_current_thread(cpu: usize) -> io::Result<()> {
    // SAFETY: an all-zero `cpu_set_t` is a valid empty set (it is a plain
    // bit array).
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("CPU {cpu} is beyond CPU_SETSIZE ({})", libc::CPU_SETSIZE),
        ));
    }
    // SAFETY: `cpu < CPU_SETSIZE` (checked above), so the bit is inside
    // `set`.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a valid, initialised `cpu_set_t` of the size passed;
    // pid 0 names the calling thread; the kernel only reads the set.
    cvt(unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) })?;
    Ok(())
}

/// The CPUs the calling thread may run on, in increasing order.
pub fn current_thread_cpus() -> io::Result<Vec<usize>> {
    // SAFETY: as above, an all-zero `cpu_set_t` is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid `cpu_set_t` of the size passed, which the
    // kernel fills; pid 0 names the calling thread.
    cvt(unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) })?;
    Ok((0..libc::CPU_SETSIZE as usize)
        // SAFETY: every `cpu` here is below `CPU_SETSIZE`, inside `set`.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect())
}

/// Offers the CPU to other runnable threads (`sched_yield`).
pub fn yield_cpu() {
    // SAFETY: `sched_yield` takes no arguments and cannot fail on Linux.
    unsafe { libc::sched_yield() };
}

/// How many times the calling thread was switched out while it could have
/// run on (`ru_nivcsw` of `getrusage(RUSAGE_THREAD)`): preempted, or handed
/// the CPU over by [`yield_cpu`] to a thread that was waiting for it. A
/// count that does not move across a yield means nobody wanted the CPU.
pub fn involuntary_switches() -> u64 {
    // SAFETY: an all-zero `rusage` is a valid value (plain integers).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage` for the call;
    // `RUSAGE_THREAD` exists on Linux since 2.6.26, so the call does not
    // fail (and on a failure `usage` stays zeroed: a harmless reading).
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    usage.ru_nivcsw as u64
}
