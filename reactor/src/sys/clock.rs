//! The monotonic clock as plain nanoseconds (`clock_gettime(CLOCK_MONOTONIC)`,
//! through the vDSO), for the event loop's per-round bookkeeping: comparing
//! two `u64`s is a few instructions where `std::time::Instant`'s
//! `duration_since` normalises two `timespec`s (some 60 under callgrind).
//!
//! Must not know: timers, paused time, loops.

/// Nanoseconds on the monotonic clock since an arbitrary origin (the same
/// clock `std::time::Instant` reads).
pub fn monotonic_nanos() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec` for the call;
    // CLOCK_MONOTONIC always exists on Linux, so the call cannot fail (and
    // on a failure `ts` stays zeroed, a harmless reading).
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}
