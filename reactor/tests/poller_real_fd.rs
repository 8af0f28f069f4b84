//! The `Poller` and its `PollDesc`s against real file descriptors: the
//! orderings of data, registration and dispatch that must never lose a
//! wake-up, stale events for closed and reused fds, eventfd wake-ups across
//! threads, deregistration, and both directions of a socketpair.
//!
//! Every test takes [`serial`]: the fd-reuse tests rely on the kernel handing
//! out the lowest free fd number, which only holds while no other test in
//! this binary opens or closes fds at the same time. Every wait is bounded by
//! [`WAIT_LIMIT`]; no test asserts a speed.
//!
//! Two tools reach what the public API does not name. [`hook_waker`] builds a
//! waker whose first clone runs a hook: the slot clones the waker it parks
//! between entering `WAIT` and its commit, so a hook that dispatches an event
//! or deregisters the descriptor lands a real reactor step in exactly that
//! window, deterministically. [`token_of`] reads a descriptor's (registry
//! index, generation) from its `Debug` output, to show that a test really
//! reuses a registry slot. A genuine stale event (one whose token names a
//! freed generation) comes from an epoll entry that outlives its
//! registration; see
//! `an_event_carrying_a_deregistered_generation_is_dropped_and_wakes_nobody`.
//!
//! The helpers these tests share with the other test binaries (the counting
//! waker, the bounded poll loops, [`Registered`]) live in `tests/support`.

mod support;

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use netloop_reactor::sys::io::{read, send, write};
use netloop_reactor::sys::socket::{SockType, socketpair};
use netloop_reactor::{DEFAULT_NORMAL_BATCH, Direction, EventBuffer, PollDesc, Poller};

use support::{
    Registered, WAIT_LIMIT, assert_closed_error, assert_ready, counting_waker, is_would_block,
    poll_until, quiet_turn, serial, settle_registration, settle_registration_of, token_of, woken,
};

/// A waker that runs a hook the first time it is cloned. `PollDesc` clones
/// the waker it parks right after moving the slot to `WAIT` and before its
/// commit, so the hook runs inside the registration window: a deterministic
/// way to land a real dispatch or a real deregistration there.
struct CloneHook {
    hook: Mutex<Option<Box<dyn FnOnce() + Send>>>,
    wakes: AtomicUsize,
}

static HOOK_VTABLE: RawWakerVTable =
    RawWakerVTable::new(hook_clone, hook_wake, hook_wake_by_ref, hook_drop);

/// # Safety
/// `data` must come from `Arc::<CloneHook>::into_raw` and own one strong
/// count (every `RawWaker` built with [`HOOK_VTABLE`] does).
unsafe fn hook_clone(data: *const ()) -> RawWaker {
    // SAFETY: per the contract `data` is a live `Arc<CloneHook>` pointer
    // whose count this waker holds, so it may be borrowed and counted again.
    let hook = unsafe {
        Arc::increment_strong_count(data.cast::<CloneHook>());
        &*data.cast::<CloneHook>()
    };
    let run = hook.hook.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(run) = run {
        run();
    }
    RawWaker::new(data, &HOOK_VTABLE)
}

/// # Safety
/// As [`hook_clone`]; consumes the waker's count.
unsafe fn hook_wake(data: *const ()) {
    // SAFETY: as in `hook_clone`; then the waker's own count is released.
    unsafe {
        hook_wake_by_ref(data);
        hook_drop(data);
    }
}

/// # Safety
/// As [`hook_clone`].
unsafe fn hook_wake_by_ref(data: *const ()) {
    // SAFETY: as in `hook_clone`: the pointer is live while the waker is.
    let hook = unsafe { &*data.cast::<CloneHook>() };
    hook.wakes.fetch_add(1, SeqCst);
}

/// # Safety
/// As [`hook_clone`]; releases the waker's count.
unsafe fn hook_drop(data: *const ()) {
    // SAFETY: the waker being dropped owns one strong count of this Arc.
    unsafe { Arc::decrement_strong_count(data.cast::<CloneHook>()) };
}

/// A waker whose first clone runs `hook`, and the hook's state (to count
/// wake-ups).
fn hook_waker(hook: impl FnOnce() + Send + 'static) -> (Waker, Arc<CloneHook>) {
    let state = Arc::new(CloneHook {
        hook: Mutex::new(Some(Box::new(hook))),
        wakes: AtomicUsize::new(0),
    });
    let data = Arc::into_raw(state.clone()).cast::<()>();
    // SAFETY: `data` owns the strong count `into_raw` handed over, as the
    // vtable's contract asks; `CloneHook` is `Send + Sync` (a `Mutex` and an
    // atomic), so the waker may be cloned, woken and dropped anywhere.
    let waker = unsafe { Waker::from_raw(RawWaker::new(data, &HOOK_VTABLE)) };
    (waker, state)
}

/// Registers one end of a new socketpair on `poller` after `old` (whose fd
/// was `old_raw`) was deregistered and its registry slot released, and
/// asserts that it really takes `old`'s place: the kernel hands out the same
/// fd number (lowest free first), and the registry the same slot with the
/// next generation. Returns the new fd, its peer and its descriptor.
#[track_caller]
fn register_in_reused_slot(
    poller: &Poller<()>,
    old: &PollDesc,
    old_raw: RawFd,
) -> (OwnedFd, OwnedFd, Arc<PollDesc>) {
    let (fd, peer) = socketpair(SockType::Stream).unwrap();
    assert_eq!(fd.as_raw_fd(), old_raw, "fds are reused lowest-first");
    let desc = poller.register(fd.as_fd()).unwrap();
    let (index, generation) = token_of(old);
    assert_eq!(
        token_of(&desc),
        (index, generation.wrapping_add(1)),
        "the slot is reused with a new generation"
    );
    (fd, peer, desc)
}

// ---------------------------------------------------------------------------
// a. Data, registration and dispatch in every order

#[test]
fn data_written_between_the_readers_eagain_and_its_registration_still_wakes_it() {
    let _serial = serial();
    let mut r = Registered::new();

    let mut bytes = [0u8; 16];
    assert!(is_would_block(&read(r.fd.as_fd(), &mut bytes)));
    // The data lands after the reader's EAGAIN, before it reaches the slot.
    assert_eq!(write(r.peer.as_fd(), b"late").unwrap(), 4);

    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    // Nothing has been dispatched yet, so the slot cannot know about the
    // data: it parks the reader, and the dispatch must wake it.
    assert!(
        r.desc.poll_ready(Direction::Read, &mut cx).is_pending(),
        "no event had been dispatched yet"
    );
    let turns = r.poll_until("reader wake-up", |_| woken(&count) > 0);
    assert_eq!((turns.io_events, turns.woken), (1, 1));
    let idle = r.quiet_turn();
    assert_eq!((idle.io_events, woken(&count)), (0, 1), "woken once");
    assert_ready(
        r.desc.poll_ready(Direction::Read, &mut cx),
        "the woken reader finds the readiness latched",
    );
    assert_eq!(read(r.fd.as_fd(), &mut bytes).unwrap(), 4);
    assert_eq!(&bytes[..4], b"late");
    r.deregister();
}

#[test]
fn readiness_dispatched_before_the_task_polls_is_latched_and_returned_at_once() {
    let _serial = serial();
    let mut r = Registered::new();

    let mut bytes = [0u8; 16];
    assert!(is_would_block(&read(r.fd.as_fd(), &mut bytes)));
    write(r.peer.as_fd(), b"early").unwrap();
    let turns = r.poll_until("read event", |t| t.io_events > 0);
    assert_eq!(turns.woken, 0, "nobody was parked yet");

    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert_ready(
        r.desc.poll_ready(Direction::Read, &mut cx),
        "the dispatched readiness waited in the slot",
    );
    assert_eq!(read(r.fd.as_fd(), &mut bytes).unwrap(), 5);
    assert!(is_would_block(&read(r.fd.as_fd(), &mut bytes)));
    assert!(
        r.desc.poll_ready(Direction::Read, &mut cx).is_pending(),
        "the readiness was consumed by the poll that returned it"
    );
    assert_eq!(woken(&count), 0);
    r.deregister();
}

#[test]
fn a_parked_reader_is_woken_exactly_once_by_the_turn_that_dispatches_its_data() {
    let _serial = serial();
    let mut r = Registered::settled();

    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(r.desc.poll_ready(Direction::Read, &mut cx).is_pending());
    let idle = r.quiet_turn();
    assert_eq!(
        (idle.io_events, woken(&count)),
        (0, 0),
        "no data, no wake-up"
    );

    write(r.peer.as_fd(), b"now").unwrap();
    let turns = r.poll_until("wake-up", |_| woken(&count) > 0);
    assert_eq!(turns.io_events, 1);
    assert_eq!(turns.woken, 1);
    let idle = r.quiet_turn();
    assert_eq!(idle.io_events, 0, "edge-triggered: one edge, one event");
    assert_eq!(woken(&count), 1, "woken exactly once");

    assert_ready(
        r.desc.poll_ready(Direction::Read, &mut cx),
        "the woken reader finds the readiness",
    );
    let mut bytes = [0u8; 8];
    assert_eq!(read(r.fd.as_fd(), &mut bytes).unwrap(), 3);
    assert_eq!(r.poller.stats().wakers_woken, 1);
    r.deregister();
}

#[test]
fn an_event_dispatched_while_the_reader_registers_makes_its_poll_return_ready() {
    let _serial = serial();
    let poller = Arc::new(Poller::<()>::new().unwrap());
    let buf = Arc::new(Mutex::new(EventBuffer::default()));
    let (reader, peer) = socketpair(SockType::Stream).unwrap();
    let desc = poller.register(reader.as_fd()).unwrap();
    settle_registration(&poller, &mut buf.lock().unwrap());
    write(peer.as_fd(), b"mid").unwrap();

    // The dispatch runs inside the reader's registration window (slot in
    // WAIT): the reactor finds no waker to wake, so the registration itself
    // must notice the readiness at its commit.
    let dispatched = Arc::new(AtomicUsize::new(0));
    let (waker, hook) = {
        let (poller, buf, dispatched) = (poller.clone(), buf.clone(), dispatched.clone());
        hook_waker(move || {
            let turns = poll_until(&poller, &mut buf.lock().unwrap(), "read event", |t| {
                t.io_events > 0
            });
            dispatched.store(turns.io_events, SeqCst);
            assert_eq!(turns.woken, 0, "the registering task is not parked yet");
        })
    };
    let mut cx = Context::from_waker(&waker);
    assert_ready(
        desc.poll_ready(Direction::Read, &mut cx),
        "readiness that arrived during registration is returned, not slept through",
    );
    assert_eq!(dispatched.load(SeqCst), 1, "the hook really dispatched");
    assert_eq!(hook.wakes.load(SeqCst), 0);
    let mut bytes = [0u8; 8];
    assert_eq!(read(reader.as_fd(), &mut bytes).unwrap(), 3);
    let (waker, _count) = counting_waker();
    assert!(
        desc.poll_ready(Direction::Read, &mut Context::from_waker(&waker))
            .is_pending(),
        "and it was consumed"
    );
    poller.deregister(reader.as_fd(), &desc).unwrap();
}

// ---------------------------------------------------------------------------
// b. Stale events and reused fds

#[test]
fn a_stale_event_for_a_closed_and_reused_fd_is_ignored() {
    let _serial = serial();
    let (poller, mut buf, old_fd, old_peer, old) = Registered::settled().into_parts();
    let old_raw = old_fd.as_raw_fd();
    let (old_waker, old_count) = counting_waker();
    assert!(
        old.poll_ready(Direction::Read, &mut Context::from_waker(&old_waker))
            .is_pending()
    );

    // The old fd becomes readable; its event is queued but not dispatched.
    write(old_peer.as_fd(), b"for the old fd").unwrap();
    poller.deregister(old_fd.as_fd(), &old).unwrap();
    assert_eq!(
        woken(&old_count),
        1,
        "deregistration wakes the parked reader"
    );
    // The epoll DEL took the queued event with it; this turn also makes the
    // freed registry slot reusable.
    let turn = quiet_turn(&poller, &mut buf);
    assert_eq!((turn.io_events, turn.stale_events), (0, 0));
    drop(old_fd);
    drop(old_peer);

    // A new socket gets the same fd number and the same registry slot.
    let (new_fd, new_peer, new) = register_in_reused_slot(&poller, &old, old_raw);
    assert_eq!(poller.registered(), 1);

    let (new_waker, new_count) = counting_waker();
    let mut cx = Context::from_waker(&new_waker);
    assert!(
        new.poll_ready(Direction::Read, &mut cx).is_pending(),
        "nothing of the old fd's readiness carried over"
    );
    // The only event now is the new fd's registration edge (writable).
    let turns = poll_until(&poller, &mut buf, "registration edge", |t| t.io_events > 0);
    assert_eq!((turns.io_events, turns.stale_events), (1, 0));
    assert_eq!(woken(&new_count), 0, "a write edge does not wake a reader");
    assert!(new.poll_ready(Direction::Read, &mut cx).is_pending());
    let stats = poller.stats();
    assert_eq!(
        stats.io_events, 2,
        "one edge per registration, nothing else"
    );
    assert_eq!(stats.stale_events, 0);

    // The old descriptor keeps failing, though its slot has a new owner.
    assert!(old.is_closing() && !new.is_closing());
    let (waker, _) = counting_waker();
    let mut old_cx = Context::from_waker(&waker);
    assert_closed_error(old.poll_ready(Direction::Read, &mut old_cx));
    assert_closed_error(old.poll_ready(Direction::Write, &mut old_cx));
    let mut calls = 0;
    match old.poll_io(Direction::Read, &mut old_cx, || {
        calls += 1;
        Ok(())
    }) {
        Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::Other),
        other => panic!("poll_io on a closed descriptor: {other:?}"),
    }
    assert_eq!(calls, 0, "a closed descriptor does not try the syscall");

    // The new registration works.
    write(new_peer.as_fd(), b"new").unwrap();
    poll_until(&poller, &mut buf, "wake-up", |_| woken(&new_count) > 0);
    assert_eq!(woken(&new_count), 1);
    let mut bytes = [0u8; 8];
    assert_eq!(read(new_fd.as_fd(), &mut bytes).unwrap(), 3);
    poller.deregister(new_fd.as_fd(), &new).unwrap();
}

/// A genuine stale event, deterministically: the epoll entry outlives the
/// registration. Closing the registered fd number while a `dup` keeps the
/// open file alive leaves the entry in the epoll set (it is keyed on the
/// file *and* the number), and deregistering through the dup cannot remove
/// it (`ENOENT`), yet frees the registry slot. Every later write to the old
/// socket then makes the kernel hand back the old (index, generation) token —
/// exactly what an event fetched before a deregistration looks like — while a
/// new socket with the same fd number is registered in the same slot.
#[test]
fn an_event_carrying_a_deregistered_generation_is_dropped_and_wakes_nobody() {
    let _serial = serial();
    let (poller, mut buf, old_fd, old_peer, old) = Registered::settled().into_parts();
    let old_raw = old_fd.as_raw_fd();
    let old_file: OwnedFd = old_fd.try_clone().unwrap();

    drop(old_fd);
    let err = poller.deregister(old_file.as_fd(), &old).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    assert!(old.is_closing(), "the descriptor is closed even so");
    assert_eq!(poller.registered(), 0);
    let turn = quiet_turn(&poller, &mut buf);
    assert_eq!((turn.io_events, turn.stale_events), (0, 0));

    let (new_fd, new_peer, new) = register_in_reused_slot(&poller, &old, old_raw);
    settle_registration(&poller, &mut buf);
    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(new.poll_ready(Direction::Read, &mut cx).is_pending());

    // The old socket becomes readable: its event carries the old token.
    write(old_peer.as_fd(), b"stale").unwrap();
    let turns = poll_until(&poller, &mut buf, "old socket's event", |t| {
        t.stale_events + t.io_events > 0
    });
    assert_eq!(
        (turns.io_events, turns.stale_events, turns.woken),
        (0, 1, 0),
        "the event is recognised by its generation and dropped"
    );
    assert_eq!(woken(&count), 0, "the slot's new owner is not woken");
    assert!(new.poll_ready(Direction::Read, &mut cx).is_pending());
    let stats = poller.stats();
    assert_eq!((stats.stale_events, stats.wakers_woken), (1, 0));

    // The data did go to the old socket; the new one gets only its own.
    let mut bytes = [0u8; 8];
    assert_eq!(read(old_file.as_fd(), &mut bytes).unwrap(), 5);
    write(new_peer.as_fd(), b"fresh").unwrap();
    let turns = poll_until(&poller, &mut buf, "wake-up", |_| woken(&count) > 0);
    assert_eq!((turns.io_events, turns.stale_events), (1, 0));
    assert_eq!(read(new_fd.as_fd(), &mut bytes).unwrap(), 5);
    assert_eq!(&bytes[..5], b"fresh");
    poller.deregister(new_fd.as_fd(), &new).unwrap();
    // Closing the last reference to the old file removes its epoll entry.
    drop(old_file);
}

// ---------------------------------------------------------------------------
// c, d. Wake-ups across threads

/// The state letter (`R`, `S`, ...) of thread `tid` of this process.
fn thread_state(tid: &str) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // `pid (comm) state ...`: comm may hold spaces and parentheses.
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

#[test]
fn an_eventfd_wake_up_from_another_thread_ends_a_blocked_wait() {
    let _serial = serial();
    let poller = Arc::new(Poller::<()>::new().unwrap());
    let (tid_tx, tid_rx) = mpsc::channel();
    let waiter = {
        let poller = poller.clone();
        thread::spawn(move || {
            let me = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
            let tid = me.file_name().unwrap().to_string_lossy().into_owned();
            tid_tx.send(tid).unwrap();
            let mut buf = EventBuffer::default();
            let start = Instant::now();
            let turn = poller.poll(&mut buf, Some(2 * WAIT_LIMIT)).expect("poll");
            (turn.wake_signal, turn.io_events, start.elapsed())
        })
    };
    // Wait until the thread is asleep (in epoll_wait) before waking it.
    let tid = tid_rx.recv_timeout(WAIT_LIMIT).expect("waiter started");
    let deadline = Instant::now() + WAIT_LIMIT;
    while thread_state(&tid) != Some('S') {
        assert!(Instant::now() < deadline, "the waiter never blocked");
        thread::sleep(Duration::from_millis(1));
    }
    thread::sleep(Duration::from_millis(20));
    assert!(!poller.is_woken());
    poller.wake();

    let (wake_signal, io_events, elapsed) = waiter.join().expect("waiter panicked");
    assert!(wake_signal, "the turn reports the wake-up");
    assert_eq!(io_events, 0);
    assert!(
        elapsed < WAIT_LIMIT,
        "the wait ended by the wake-up, not its timeout: {elapsed:?}"
    );
    let stats = poller.stats();
    assert_eq!((stats.wake_requests, stats.eventfd_writes), (1, 1));
    assert_eq!(stats.eventfd_drained, 1);
    assert!(!poller.is_woken(), "the turn lowered the wake signal");
}

/// A task pushed by a producer thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Task {
    urgent: bool,
    producer: usize,
    seq: usize,
}

#[test]
fn ten_thousand_wake_ups_in_a_burst_cost_one_eventfd_write_and_every_task_arrives_once() {
    const PRODUCERS: usize = 2;
    const WAKES: usize = 5_000; // per producer
    const NORMAL: usize = 5_000; // per producer
    const URGENT: usize = 500; // per producer
    let _serial = serial();
    let poller = Arc::new(Poller::<Task>::new().unwrap());
    let mut buf = EventBuffer::default();

    // The loop is not polling: the whole burst lands on a raised signal.
    thread::scope(|s| {
        for producer in 0..PRODUCERS {
            let poller = &poller;
            s.spawn(move || {
                for seq in 0..WAKES.max(NORMAL) {
                    if seq < WAKES {
                        poller.wake();
                    }
                    if seq < NORMAL {
                        poller.trigger(Task {
                            urgent: false,
                            producer,
                            seq,
                        });
                    }
                    if seq < URGENT {
                        poller.urgent_trigger(Task {
                            urgent: true,
                            producer,
                            seq,
                        });
                    }
                }
            });
        }
    });
    let requests = (PRODUCERS * (WAKES + NORMAL + URGENT)) as u64;
    let stats = poller.stats();
    assert_eq!(stats.wake_requests, requests);
    assert_eq!(
        stats.eventfd_writes, 1,
        "nobody drained the eventfd, so only the first request wrote it"
    );
    assert!(poller.is_woken());

    let turn = poll_until(&poller, &mut buf, "wake signal", |t| t.wake_signal);
    assert_eq!(turn.io_events, 0);
    assert_eq!(poller.stats().eventfd_drained, 1);
    assert!(!poller.is_woken());

    // Drain as a loop would: drain, and poll again while tasks are left.
    let mut received = Vec::new();
    let (mut drains, mut left_behind) = (0, 0);
    loop {
        let drained = poller.drain_tasks(|task| received.push(task));
        drains += 1;
        assert!(drained.normal <= DEFAULT_NORMAL_BATCH, "{drained:?}");
        if !drained.more {
            break;
        }
        left_behind += 1;
        // The drain re-woke the loop: its next turn returns at once.
        assert!(poller.is_woken(), "tasks left behind must re-wake the loop");
        let turn = poll_until(&poller, &mut buf, "re-wake", |t| t.wake_signal);
        assert_eq!(turn.turns, 1);
        assert!(drains < 1_000, "the queues never emptied");
    }
    let urgent_total = PRODUCERS * URGENT;
    let normal_total = PRODUCERS * NORMAL;
    assert_eq!(received.len(), urgent_total + normal_total);
    assert_eq!(drains, normal_total.div_ceil(DEFAULT_NORMAL_BATCH));
    assert!(
        received[..urgent_total].iter().all(|t| t.urgent),
        "every urgent task comes before any normal one"
    );
    // Every task exactly once, and each producer's tasks in push order.
    for urgent in [true, false] {
        for producer in 0..PRODUCERS {
            let seqs: Vec<usize> = received
                .iter()
                .filter(|t| t.urgent == urgent && t.producer == producer)
                .map(|t| t.seq)
                .collect();
            let expected = if urgent { URGENT } else { NORMAL };
            assert_eq!(seqs, (0..expected).collect::<Vec<_>>());
        }
    }

    let stats = poller.stats();
    assert_eq!(stats.urgent_tasks, urgent_total as u64);
    assert_eq!(stats.normal_tasks, normal_total as u64);
    assert_eq!(stats.wake_requests, requests + left_behind);
    assert_eq!(
        stats.eventfd_writes,
        1 + left_behind,
        "one write per re-wake"
    );
    assert_eq!(
        stats.eventfd_drained, stats.eventfd_writes,
        "the kernel saw exactly the writes counted"
    );
    assert!(!poller.is_woken());
    let turn = quiet_turn(&poller, &mut buf);
    assert!(!turn.wake_signal, "nothing is left to wake the loop");
}

// ---------------------------------------------------------------------------
// e. Deregistration and double registration

#[test]
fn deregistration_wakes_parked_waiters_with_an_error_and_frees_the_slot() {
    let _serial = serial();
    let (poller, mut buf, fd, peer, desc) = Registered::new().into_parts();
    assert_eq!(poller.registered(), 1);

    // The registration edge is not dispatched: both slots are empty.
    let (reader, read_count) = counting_waker();
    let (writer, write_count) = counting_waker();
    assert!(
        desc.poll_ready(Direction::Read, &mut Context::from_waker(&reader))
            .is_pending()
    );
    assert!(
        desc.poll_ready(Direction::Write, &mut Context::from_waker(&writer))
            .is_pending()
    );

    poller.deregister(fd.as_fd(), &desc).unwrap();
    assert_eq!(
        (woken(&read_count), woken(&write_count)),
        (1, 1),
        "both parked tasks are woken"
    );
    assert_eq!(poller.registered(), 0);
    assert!(desc.is_closing());
    assert_closed_error(desc.poll_ready(Direction::Read, &mut Context::from_waker(&reader)));
    assert_closed_error(desc.poll_ready(Direction::Write, &mut Context::from_waker(&writer)));

    // epoll forgot the fd: its data produces no event, stale or not.
    write(peer.as_fd(), b"after").unwrap();
    let turn = quiet_turn(&poller, &mut buf);
    assert_eq!((turn.io_events, turn.stale_events), (0, 0));
    assert_eq!((woken(&read_count), woken(&write_count)), (1, 1));
}

#[test]
fn a_deregistration_during_registration_fails_the_wait_instead_of_parking_it() {
    let _serial = serial();
    let poller = Arc::new(Poller::<()>::new().unwrap());
    let (fd, _peer) = socketpair(SockType::Stream).unwrap();
    let fd = Arc::new(fd);
    let desc = poller.register(fd.as_fd()).unwrap();

    // The close lands between the task's first check and its commit.
    let (waker, hook) = {
        let (poller, fd, desc) = (poller.clone(), fd.clone(), desc.clone());
        hook_waker(move || poller.deregister(fd.as_fd(), &desc).unwrap())
    };
    assert_closed_error(desc.poll_ready(Direction::Read, &mut Context::from_waker(&waker)));
    assert!(desc.is_closing());
    assert_eq!(poller.registered(), 0);
    assert_eq!(hook.wakes.load(SeqCst), 0, "the task was never parked");
}

#[test]
fn registering_the_same_fd_twice_fails_without_leaking_a_registry_slot() {
    let _serial = serial();
    let mut r = Registered::new();
    assert_eq!(r.poller.registered(), 1);
    for _ in 0..1_000 {
        let err = r.poller.register(r.fd.as_fd()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
        assert_eq!(r.poller.registered(), 1);
    }
    // The first registration is untouched and still delivers.
    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(r.desc.poll_ready(Direction::Read, &mut cx).is_pending());
    write(r.peer.as_fd(), b"x").unwrap();
    let turns = r.poll_until("wake-up", |_| woken(&count) > 0);
    assert_eq!((turns.io_events, turns.stale_events), (1, 0));
    // The failed registrations' slots came back: after the turn released
    // them, a new registration reuses one instead of growing the slab.
    let (other, _other_peer) = socketpair(SockType::Stream).unwrap();
    let second = r.poller.register(other.as_fd()).unwrap();
    assert_eq!(r.poller.registered(), 2);
    assert!(
        token_of(&second).0 <= 1_000,
        "a slot freed by a failed registration was reused: {second:?}"
    );
    r.poller.deregister(other.as_fd(), &second).unwrap();
    r.deregister();
    assert_eq!(r.poller.registered(), 0);
}

#[test]
fn deregistering_a_stale_descriptor_again_leaves_the_slots_new_owner_alone() {
    let _serial = serial();
    let (poller, mut buf, fd, _peer, old) = Registered::new().into_parts();
    poller.deregister(fd.as_fd(), &old).unwrap();
    quiet_turn(&poller, &mut buf); // releases the slot for reuse

    let (new_fd, new_peer) = socketpair(SockType::Stream).unwrap();
    let new = poller.register(new_fd.as_fd()).unwrap();
    assert_eq!(token_of(&new).0, token_of(&old).0, "same registry slot");

    // A second deregistration of the old descriptor: epoll says ENOENT, and
    // the registry must not free the slot its token no longer owns.
    let err = poller.deregister(fd.as_fd(), &old).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    assert_eq!(poller.registered(), 1);
    assert!(!new.is_closing());
    settle_registration(&poller, &mut buf);
    let (waker, count) = counting_waker();
    assert!(
        new.poll_ready(Direction::Read, &mut Context::from_waker(&waker))
            .is_pending()
    );
    write(new_peer.as_fd(), b"still here").unwrap();
    let turns = poll_until(&poller, &mut buf, "wake-up", |_| woken(&count) > 0);
    assert_eq!((turns.io_events, turns.stale_events), (1, 0));
    poller.deregister(new_fd.as_fd(), &new).unwrap();
    assert_eq!(poller.registered(), 0);
}

// ---------------------------------------------------------------------------
// f, g. The write side, and a peer that closes

#[test]
fn a_writer_parked_on_a_full_socket_is_woken_when_the_peer_reads() {
    let _serial = serial();
    // The registration edge is dispatched: the write slot now holds a
    // readiness that will be stale once the buffer is full.
    let (poller, mut buf, fd, peer, desc) = Registered::settled().into_parts();

    let chunk = [0xa5u8; 16 * 1024];
    let mut sent = 0;
    loop {
        match write(fd.as_fd(), &chunk) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("write: {e}"),
        }
        assert!(sent < 64 << 20, "the socket never filled up");
    }
    assert!(sent > 0);

    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut attempts = 0;
    let first = desc.poll_io(Direction::Write, &mut cx, || {
        attempts += 1;
        write(fd.as_fd(), &chunk)
    });
    assert!(
        first.is_pending(),
        "a full socket parks the writer: {first:?}"
    );
    assert_eq!(
        attempts, 1,
        "the stale latched readiness is reset before the syscall (Go's pollReset): \
         one EAGAIN, then park"
    );
    let idle = quiet_turn(&poller, &mut buf);
    assert_eq!((idle.io_events, woken(&count)), (0, 0));

    // The peer reads everything: space frees up, the writer is woken.
    let mut sink = vec![0u8; 64 * 1024];
    let mut drained = 0;
    while drained < sent {
        match read(peer.as_fd(), &mut sink) {
            Ok(0) => panic!("unexpected EOF"),
            Ok(n) => drained += n,
            Err(e) => panic!("peer read after {drained} of {sent}: {e}"),
        }
    }
    let turns = poll_until(&poller, &mut buf, "writer wake-up", |_| woken(&count) > 0);
    assert_eq!(turns.woken, 1);
    assert_eq!(woken(&count), 1);
    match desc.poll_io(Direction::Write, &mut cx, || write(fd.as_fd(), &chunk)) {
        Poll::Ready(Ok(n)) => assert!(n > 0),
        other => panic!("the woken writer could not write: {other:?}"),
    }
    poller.deregister(fd.as_fd(), &desc).unwrap();
}

#[test]
fn a_peer_that_closes_wakes_the_parked_reader_and_writer_and_reads_return_eof() {
    let _serial = serial();
    let (poller, mut buf, fd, peer, desc) = Registered::settled().into_parts();

    let (reader, read_count) = counting_waker();
    let (writer, write_count) = counting_waker();
    let mut read_cx = Context::from_waker(&reader);
    let mut write_cx = Context::from_waker(&writer);
    assert!(desc.poll_ready(Direction::Read, &mut read_cx).is_pending());
    // The registration edge left the write slot ready: consume it, then park.
    assert_ready(
        desc.poll_ready(Direction::Write, &mut write_cx),
        "the registration edge",
    );
    assert!(
        desc.poll_ready(Direction::Write, &mut write_cx)
            .is_pending()
    );

    drop(peer);
    let turns = poll_until(&poller, &mut buf, "hang-up", |_| {
        woken(&read_count) > 0 && woken(&write_count) > 0
    });
    assert_eq!(turns.io_events, 1, "one event: RDHUP | HUP for both slots");
    assert_eq!((woken(&read_count), woken(&write_count)), (1, 1));

    assert_ready(
        desc.poll_ready(Direction::Read, &mut read_cx),
        "the hang-up makes the reader ready",
    );
    let mut bytes = [0u8; 8];
    assert_eq!(read(fd.as_fd(), &mut bytes).unwrap(), 0, "EOF");
    let err = send(fd.as_fd(), b"x").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
    poller.deregister(fd.as_fd(), &desc).unwrap();
}

// ---------------------------------------------------------------------------
// Batches and wakers

#[test]
fn a_one_event_buffer_dispatches_every_ready_fd_across_turns_and_grows() {
    const FDS: usize = 8;
    let _serial = serial();
    let poller: Poller<()> = Poller::new().unwrap();
    let mut buf = EventBuffer::with_capacity(1);
    let mut pairs = Vec::new();
    let mut readers = Vec::new();
    for _ in 0..FDS {
        let (fd, peer) = socketpair(SockType::Stream).unwrap();
        let desc = poller.register(fd.as_fd()).unwrap();
        let (waker, count) = counting_waker();
        assert!(
            desc.poll_ready(Direction::Read, &mut Context::from_waker(&waker))
                .is_pending()
        );
        write(peer.as_fd(), b"x").unwrap();
        readers.push((desc, count));
        pairs.push((fd, peer));
    }
    let turns = poll_until(&poller, &mut buf, "every reader woken", |_| {
        readers.iter().all(|(_, count)| woken(count) > 0)
    });
    assert!(turns.turns > 1, "one event per turn at first: {turns:?}");
    assert_eq!(
        turns.io_events, FDS,
        "one event per fd, none lost or doubled"
    );
    assert!(
        readers.iter().all(|(_, count)| woken(count) == 1),
        "every reader woken exactly once"
    );
    assert!(buf.capacity() > 1, "a full batch grows the buffer");
    for ((fd, _), (desc, _)) in pairs.iter().zip(&readers) {
        poller.deregister(fd.as_fd(), desc).unwrap();
    }
}

/// A waker that panics when woken.
struct Panics;

impl Wake for Panics {
    fn wake(self: Arc<Self>) {
        panic!("a test waker panicking on purpose");
    }
}

#[test]
fn a_waker_that_panics_is_counted_and_the_rest_of_its_turn_still_runs() {
    let _serial = serial();
    let poller: Poller<()> = Poller::new().unwrap();
    let mut buf = EventBuffer::default();
    let (bad_fd, bad_peer) = socketpair(SockType::Stream).unwrap();
    let (good_fd, good_peer) = socketpair(SockType::Stream).unwrap();
    let bad = poller.register(bad_fd.as_fd()).unwrap();
    let good = poller.register(good_fd.as_fd()).unwrap();
    settle_registration_of(&poller, &mut buf, 2);

    let panicking = Waker::from(Arc::new(Panics));
    let (waker, count) = counting_waker();
    assert!(
        bad.poll_ready(Direction::Read, &mut Context::from_waker(&panicking))
            .is_pending()
    );
    assert!(
        good.poll_ready(Direction::Read, &mut Context::from_waker(&waker))
            .is_pending()
    );
    write(bad_peer.as_fd(), b"x").unwrap();
    write(good_peer.as_fd(), b"x").unwrap();
    let turns = poll_until(&poller, &mut buf, "both events", |t| t.io_events >= 2);
    assert_eq!(turns.woken, 2);
    assert_eq!(woken(&count), 1, "the other waker of the turn ran");
    let stats = poller.stats();
    assert_eq!((stats.waker_panics, stats.wakers_woken), (1, 2));
    // The poller is still usable.
    poller.wake();
    assert!(poll_until(&poller, &mut buf, "wake signal", |t| t.wake_signal).wake_signal);
    poller.deregister(bad_fd.as_fd(), &bad).unwrap();
    poller.deregister(good_fd.as_fd(), &good).unwrap();
}

#[test]
fn dropping_a_poller_wakes_its_parked_waiters_and_fails_later_waits() {
    let _serial = serial();
    let r = Registered::new();
    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(r.desc.poll_ready(Direction::Read, &mut cx).is_pending());
    // Drop the poller alone; the descriptor and both sockets stay.
    drop(r.poller);
    assert_eq!(
        woken(&count),
        1,
        "the parked task is woken when its poller goes"
    );
    assert_closed_error(r.desc.poll_ready(Direction::Read, &mut cx));
    assert_closed_error(r.desc.poll_ready(Direction::Write, &mut cx));
}

#[test]
fn deregistering_on_the_wrong_poller_leaves_both_pollers_registrations_alone() {
    let _serial = serial();
    let a = Registered::new();
    let mut b = Registered::new();
    // Both are the first registration of their poller: same (index, generation).
    assert_eq!(token_of(&a.desc), token_of(&b.desc));
    let err = b.poller.deregister(a.fd.as_fd(), &a.desc).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(!a.desc.is_closing(), "a's descriptor is untouched");
    assert_eq!((a.poller.registered(), b.poller.registered()), (1, 1));

    b.settle_registration();
    let (waker, count) = counting_waker();
    assert!(
        b.desc
            .poll_ready(Direction::Read, &mut Context::from_waker(&waker))
            .is_pending()
    );
    write(b.peer.as_fd(), b"x").unwrap();
    let turns = b.poll_until("b's read event", |t| t.io_events > 0);
    assert_eq!((turns.stale_events, woken(&count)), (0, 1));
    b.deregister();
    a.deregister();
}
