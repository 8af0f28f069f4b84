//! No fd outlives the reactor objects that own it: the number of entries in
//! `/proc/self/fd` is the same before and after a body that creates and drops
//! pollers, registrations, socketpairs and pipes.
//!
//! This file holds a single test so that it is the only thing running in its
//! process: tests of one binary run on parallel threads, and another test
//! opening fds meanwhile would make the count meaningless.

mod support;

use std::os::fd::AsFd;
use std::sync::Arc;
use std::task::Context;
use std::thread;
use std::time::Duration;

use netloop_reactor::sys::io::{read, write};
use netloop_reactor::sys::socket::{SockType, pipe, socketpair};
use netloop_reactor::{Direction, EventBuffer, Poller};

use support::counting_waker;

/// How many fds this process has open now.
fn open_fds() -> usize {
    // The directory stream's own fd is counted both times, so it cancels.
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

#[test]
fn pollers_registrations_and_sockets_leave_no_fd_behind() {
    let before = open_fds();
    let mut peak = before;
    for round in 0..20 {
        let poller = Arc::new(Poller::<u32>::new().unwrap());
        let mut buf = EventBuffer::with_capacity(4);
        let (waker, _wakes) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut kept = Vec::new();
        for i in 0..8 {
            let (a, b) = if i % 2 == 0 {
                socketpair(SockType::Stream).unwrap()
            } else {
                pipe().unwrap()
            };
            let desc = poller.register(a.as_fd()).unwrap();
            // Park a waker in the slot: dropping a parked waker must not
            // keep anything open either.
            let _ = desc.poll_ready(Direction::Read, &mut cx);
            if i % 2 == 0 {
                write(b.as_fd(), b"x").unwrap();
            }
            kept.push((a, b, desc));
        }
        poller.trigger(round);
        let remote = {
            let poller = poller.clone();
            thread::spawn(move || poller.wake())
        };
        remote.join().unwrap();
        poller
            .poll(&mut buf, Some(Duration::from_secs(10)))
            .unwrap();
        poller.drain_tasks(drop);
        peak = peak.max(open_fds());
        // Half deregistered properly; the other half dropped with the poller
        // while their descriptors are still registered (and still held).
        let mut descs = Vec::new();
        for (i, (a, b, desc)) in kept.into_iter().enumerate() {
            if i < 4 {
                poller.deregister(a.as_fd(), &desc).unwrap();
                let mut byte = [0u8; 1];
                let _ = read(a.as_fd(), &mut byte);
            } else {
                descs.push(desc);
            }
            drop((a, b));
        }
        drop(poller);
        drop(descs);
    }
    let after = open_fds();
    assert!(
        peak >= before + 2 + 16,
        "the count sees the fds the body opens (before {before}, peak {peak})"
    );
    assert_eq!(after, before, "fds leaked (peak {peak})");
}
