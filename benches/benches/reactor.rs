//! Reactor micro-benchmarks: the cost of a cross-thread wake-up through a
//! poller's wake signal and eventfd, measured in isolation.
//!
//! `cargo bench -p netloop-benches --bench reactor` prints nanoseconds per
//! operation. These numbers describe netloop alone and support no claim by
//! themselves; side-by-side comparisons with tokio and async-executor live in
//! the executor benchmarks and are recorded in `BENCHMARKS.md`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread;
use std::time::{Duration, Instant};

use netloop_reactor::{EventBuffer, Poller};

fn main() {
    let rounds = 200_000;
    wake_burst(rounds);
    wake_ping(rounds / 10);
}

/// Many wake-ups while the loop is busy: what a burst costs per wake-up.
fn wake_burst(rounds: u32) {
    let poller: Poller<()> = Poller::new().expect("poller");
    let mut buf = EventBuffer::default();
    let start = Instant::now();
    for _ in 0..rounds {
        poller.wake();
    }
    poller.poll(&mut buf, Some(Duration::ZERO)).expect("poll");
    let elapsed = start.elapsed();
    let stats = poller.stats();
    println!(
        "wake burst: {rounds} wake-ups, {} eventfd writes, {:.1} ns per wake-up",
        stats.eventfd_writes,
        elapsed.as_nanos() as f64 / f64::from(rounds)
    );
}

/// One thread wakes, the loop thread wakes up and answers: the round trip of
/// a cross-thread wake-up that finds the loop asleep in `epoll_wait`.
fn wake_ping(rounds: u32) {
    let ping: Arc<Poller<()>> = Arc::new(Poller::new().expect("poller"));
    let pong: Arc<Poller<()>> = Arc::new(Poller::new().expect("poller"));
    let stop = Arc::new(AtomicBool::new(false));
    let echo = {
        let (ping, pong, stop) = (ping.clone(), pong.clone(), stop.clone());
        thread::spawn(move || {
            let mut buf = EventBuffer::default();
            while !stop.load(SeqCst) {
                let turn = ping.poll(&mut buf, Some(Duration::from_millis(100)));
                if turn.expect("poll").wake_signal {
                    pong.wake();
                }
            }
        })
    };
    let mut buf = EventBuffer::default();
    let start = Instant::now();
    for _ in 0..rounds {
        ping.wake();
        while !pong.poll(&mut buf, None).expect("poll").wake_signal {}
    }
    let elapsed = start.elapsed();
    stop.store(true, SeqCst);
    ping.wake();
    echo.join().expect("echo thread");
    println!(
        "cross-thread wake ping-pong: {rounds} round trips, {:.0} ns per round trip",
        elapsed.as_nanos() as f64 / f64::from(rounds)
    );
}
