//! Direct system calls for the per-request path (`recvfrom`, `sendto`,
//! `epoll_pwait`): the `syscall` instruction itself on x86_64 and aarch64,
//! `syscall(2)` elsewhere.
//!
//! glibc's `recv` / `send` / `epoll_wait` are cancellation points, wrapped in
//! `pthread_enable_asynccancel` / `pthread_disable_asynccancel` (some 30
//! instructions each way) that buy nothing for nonblocking fds in a runtime
//! that never cancels threads; and even `syscall(2)` shuffles all seven
//! argument registers and round-trips the error through the thread's
//! `errno`. Here the kernel's own convention comes back instead: a
//! non-negative result, or `-errno` (Linux returns errors as values in
//! `-4095..=-1`).
//!
//! This file knows how to enter the kernel and read its answer; not which
//! calls are made, nor their arguments' meaning.

use std::io;

/// Makes system call `nr` with six arguments and returns the kernel's raw
/// answer: the result, or `-errno`.
///
/// # Safety
///
/// As for the system call itself: every pointer among the arguments must be
/// valid for what the kernel does through it for the call's duration, and
/// the call must not break Rust's ownership of anything (no `close` of an fd
/// something else owns, no `munmap` of borrowed memory, no thread exit).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[inline]
pub(crate) unsafe fn syscall6(nr: libc::c_long, args: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: the x86_64 Linux system call ABI: number in rax, arguments in
    // rdi, rsi, rdx, r10, r8, r9, result in rax; the `syscall` instruction
    // overwrites rcx (return address) and r11 (saved flags) and nothing
    // else, and restores the flags. No stack is used. Memory may be read or
    // written by the kernel through the arguments (the block is not
    // `nomem`/`readonly`), which the caller vouches for.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") args[0],
            in("rsi") args[1],
            in("rdx") args[2],
            in("r10") args[3],
            in("r8") args[4],
            in("r9") args[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack, preserves_flags),
        );
    }
    ret
}

/// See the x86_64 version.
///
/// # Safety
///
/// As for the system call itself (see the x86_64 version).
#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
#[inline]
pub(crate) unsafe fn syscall6(nr: libc::c_long, args: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: the aarch64 Linux system call ABI: number in x8, arguments in
    // x0..x5, result in x0; `svc 0` changes no other register and no flags
    // the kernel does not restore. No stack is used; memory effects are the
    // caller's to vouch for (the block is not `nomem`).
    unsafe {
        std::arch::asm!(
            "svc 0",
            in("x8") nr,
            inlateout("x0") args[0] as isize => ret,
            in("x1") args[1],
            in("x2") args[2],
            in("x3") args[3],
            in("x4") args[4],
            in("x5") args[5],
            options(nostack, preserves_flags),
        );
    }
    ret
}

/// Elsewhere: `syscall(2)`, its `-1`-and-`errno` turned into `-errno`.
///
/// # Safety
///
/// As for the system call itself (see the x86_64 version).
#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
#[inline]
pub(crate) unsafe fn syscall6(nr: libc::c_long, args: [usize; 6]) -> isize {
    // SAFETY: forwarded; the caller vouches for the arguments.
    let ret = unsafe { libc::syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]) };
    if ret == -1 {
        -(io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO) as isize)
    } else {
        ret as isize
    }
}

/// Runs `call` (a [`syscall6`]) until it does not fail with `EINTR`, and
/// turns its answer into an `io::Result`.
#[inline]
pub(crate) fn retry(mut call: impl FnMut() -> isize) -> io::Result<usize> {
    loop {
        let ret = call();
        if ret >= 0 {
            return Ok(ret as usize);
        }
        let errno = -ret as i32;
        if errno != libc::EINTR {
            return Err(io::Error::from_raw_os_error(errno));
        }
    }
}

/// Turns one [`syscall6`] answer into an `io::Result` (no retry).
#[inline]
pub(crate) fn result(ret: isize) -> io::Result<usize> {
    if ret >= 0 {
        Ok(ret as usize)
    } else {
        Err(io::Error::from_raw_os_error(-ret as i32))
    }
}
