//! One thread waits, another unblocks, a million times: the read slot's
//! `pdReady` / `pdWait` handshake driven through a real `Poller` and a real
//! socketpair, with every readiness observed exactly once.
//!
//! The unblocker (a spawned thread) writes one byte per round to the peer
//! and runs poll turns until that byte's edge-triggered event is dispatched
//! (`Poller::poll` → registry → `Slot::unblock`, the only public way to reach
//! the slot's unblock). The waiter (the test thread) polls the read slot with
//! a waker that unparks it, reads the byte, drains to `EAGAIN`, checks that
//! the slot does not report the same readiness a second time, and
//! acknowledges the round. Only then is the next byte written, so one round
//! is exactly one readiness.
//!
//! Odd rounds wait for the wake-up before polling again (park → event →
//! wake); even rounds re-poll after a round-dependent pause, racing the
//! unblocker's dispatch: the readiness is then met latched, or met at the
//! commit of a re-registration (the reactor's unblock found `WAIT`), or the
//! task re-parks and is woken. The report printed at the end (`--nocapture`)
//! says how often each happened.
//!
//! Waits spin for a moment, then park, so that on two idle cores a round
//! costs about the four syscalls it needs (write, `epoll_wait`, two reads):
//! the million rounds take seconds in a debug build. Every wait is bounded
//! and names its round; the whole run is bounded too.

mod support;

use std::io;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use netloop_reactor::Direction;
use netloop_reactor::sys::io::{read, write};

use support::{Registered, WAIT_LIMIT};

/// Rounds of the handshake.
const ROUNDS: u64 = 1_000_000;
/// The longest the whole run may take before the test fails.
const TOTAL_LIMIT: Duration = Duration::from_secs(300);

/// The waiter's waker: raises a flag, counts, and unparks the waiter.
struct Unpark {
    thread: Thread,
    woken: AtomicBool,
    wakes: AtomicU64,
}

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, SeqCst);
        self.woken.store(true, SeqCst);
        self.thread.unpark();
    }
}

/// Set by whichever side panics, so the other stops waiting at once.
struct Failed(AtomicBool);

/// Raises [`Failed`] when the thread holding it unwinds.
struct RaiseOnPanic<'a>(&'a Failed);

impl Drop for RaiseOnPanic<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.0.store(true, SeqCst);
        }
    }
}

/// How long a wait spins before it parks: a round trip between the two
/// threads takes a few microseconds when both have a core, and parking
/// costs far more than that on an idle machine (futex, wake-up latency),
/// while spinning longer only burns the peer's share on a loaded one.
const SPIN: Duration = Duration::from_micros(200);

/// Spins for up to [`SPIN`], then parks, until `done()`; panics after
/// [`WAIT_LIMIT`] with `what()` in the message, or as soon as the other side
/// has failed.
fn wait_until(failed: &Failed, done: impl Fn() -> bool, what: impl Fn() -> String) {
    let start = Instant::now();
    let mut spins: u32 = 0;
    let mut spinning = true;
    while !done() {
        spins = spins.wrapping_add(1);
        if spinning {
            std::hint::spin_loop();
        } else {
            thread::park_timeout(Duration::from_millis(1));
        }
        if spinning && !spins.is_multiple_of(16) {
            continue;
        }
        let waited = start.elapsed();
        spinning = waited < SPIN;
        assert!(
            !failed.0.load(SeqCst),
            "{}: gave up, the other thread failed",
            what()
        );
        assert!(
            waited < WAIT_LIMIT,
            "{}: nothing after {WAIT_LIMIT:?}",
            what()
        );
    }
}

/// What the unblocker saw.
#[derive(Debug, Default)]
struct UnblockerReport {
    turns: u64,
    io_events: u64,
    stale_events: u64,
    woken: u64,
}

/// What the waiter saw.
#[derive(Debug, Default)]
struct WaiterReport {
    observed: u64,
    pending: u64,
    /// Even rounds whose first re-poll already found the readiness.
    raced_ready: u64,
}

#[test]
fn one_thread_waits_another_unblocks_a_million_rounds_every_readiness_observed_exactly_once() {
    // The unblocker thread polls with the fixture's buffer.
    let (poller, mut buf, reader, writer, desc) = Registered::new().into_parts();
    let failed = Failed(AtomicBool::new(false));
    let acked = AtomicU64::new(0);
    let waker_state = Arc::new(Unpark {
        thread: thread::current(),
        woken: AtomicBool::new(false),
        wakes: AtomicU64::new(0),
    });
    let waker = Waker::from(waker_state.clone());
    let start = Instant::now();

    let (unblocker, waiter) = thread::scope(|s| {
        let unblocker = s.spawn(|| {
            let _guard = RaiseOnPanic(&failed);
            let mut report = UnblockerReport::default();
            for round in 0..ROUNDS {
                let byte = [round as u8];
                assert_eq!(
                    write(writer.as_fd(), &byte).expect("write"),
                    1,
                    "round {round}: short write"
                );
                // Dispatch this round's event: exactly one, since the
                // waiter drained the previous byte before acknowledging.
                let sent = Instant::now();
                let mut io_events = 0;
                while io_events == 0 {
                    let turn = poller.poll(&mut buf, Some(WAIT_LIMIT)).expect("poll");
                    report.turns += 1;
                    io_events += turn.io_events;
                    report.stale_events += turn.stale_events as u64;
                    report.woken += turn.woken as u64;
                    assert!(
                        sent.elapsed() < WAIT_LIMIT,
                        "round {round}: the written byte produced no event"
                    );
                }
                assert_eq!(io_events, 1, "round {round}: one write, one edge");
                report.io_events += io_events as u64;
                wait_until(
                    &failed,
                    || acked.load(SeqCst) > round,
                    || format!("round {round}: the waiter never observed the readiness"),
                );
                if round.is_multiple_of(4096) {
                    assert!(
                        start.elapsed() < TOTAL_LIMIT,
                        "round {round}: the run exceeded {TOTAL_LIMIT:?}"
                    );
                }
            }
            report
        });
        let unblocker_thread = unblocker.thread().clone();

        let waiter = {
            let _guard = RaiseOnPanic(&failed);
            let mut cx = Context::from_waker(&waker);
            let mut report = WaiterReport::default();
            let mut byte = [0u8; 8];
            for round in 0..ROUNDS {
                if round % 2 == 1 {
                    // The waker parked by the previous round's final check
                    // must be woken by this round's dispatch.
                    wait_until(
                        &failed,
                        || waker_state.woken.load(SeqCst),
                        || format!("round {round}: the parked waiter was never woken"),
                    );
                } else {
                    // Re-poll after a round-dependent pause, so that the
                    // re-poll lands at varying points of the dispatch.
                    let jitter = (round.wrapping_mul(0x9E37_79B9) >> 7) % 256;
                    for _ in 0..jitter {
                        std::hint::spin_loop();
                    }
                }
                let mut first = true;
                loop {
                    waker_state.woken.store(false, SeqCst);
                    match desc.poll_ready(Direction::Read, &mut cx) {
                        Poll::Ready(Ok(())) => {
                            if first && round % 2 == 0 {
                                report.raced_ready += 1;
                            }
                            break;
                        }
                        Poll::Ready(Err(e)) => panic!("round {round}: {e}"),
                        Poll::Pending => {
                            first = false;
                            report.pending += 1;
                            wait_until(
                                &failed,
                                || waker_state.woken.load(SeqCst),
                                || format!("round {round}: the parked waiter was never woken"),
                            );
                        }
                    }
                }
                report.observed += 1;
                // The readiness is this round's byte, and only it.
                match read(reader.as_fd(), &mut byte) {
                    Ok(1) if byte[0] == round as u8 => {}
                    other => panic!(
                        "round {round}: ready, but read gave {other:?} (byte {})",
                        byte[0]
                    ),
                }
                match read(reader.as_fd(), &mut byte) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    other => panic!("round {round}: drain expected EAGAIN, got {other:?}"),
                }
                // Nothing new is written until we acknowledge: a second
                // `Ready` now would be the same readiness observed twice.
                // This poll also parks the waker for the next round.
                waker_state.woken.store(false, SeqCst);
                match desc.poll_ready(Direction::Read, &mut cx) {
                    Poll::Pending => {}
                    other => panic!("round {round}: readiness observed twice: {other:?}"),
                }
                acked.store(round + 1, SeqCst);
                unblocker_thread.unpark();
            }
            report
        };
        (unblocker.join().expect("unblocker panicked"), waiter)
    });
    let elapsed = start.elapsed();

    assert_eq!(waiter.observed, ROUNDS, "every round observed once");
    assert_eq!(
        unblocker.io_events, ROUNDS,
        "one event dispatched per round"
    );
    assert_eq!(unblocker.stale_events, 0);
    let stats = poller.stats();
    assert_eq!(stats.io_events, ROUNDS);
    assert_eq!(stats.stale_events, 0);
    assert_eq!(stats.turns, unblocker.turns);
    assert_eq!(stats.waker_panics, 0);
    // Each dispatch finds at most the one parked waiter to wake.
    assert!(
        stats.wakers_woken <= ROUNDS,
        "more wake-ups than readiness events: {stats:?}"
    );
    assert_eq!(stats.wakers_woken, unblocker.woken);
    assert_eq!(
        stats.wakers_woken,
        waker_state.wakes.load(SeqCst),
        "every waker the poller took out of the slot reached the task"
    );
    poller
        .deregister(reader.as_fd(), &desc)
        .expect("deregister");
    // A round without a wake-up is one whose re-poll held the slot in WAIT
    // when the event was dispatched: the commit failed and returned ready.
    eprintln!(
        "{ROUNDS} rounds in {elapsed:.2?}: {} Pending polls, {} even-round re-polls found \
         the readiness already there ({} of them at the commit), {} wake-ups, {} poll turns",
        waiter.pending,
        waiter.raced_ready,
        ROUNDS - stats.wakers_woken,
        stats.wakers_woken,
        stats.turns
    );
}
